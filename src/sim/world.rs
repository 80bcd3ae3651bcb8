//! The world: every node, the messages in flight, the logical clock and the PRNG.

use super::{Event, Instant, Message, Node, NodeId, Payload};
use crate::card::Card;
use crate::phone::Phone;
use rand_core::{RngCore, SeedableRng};
use rand_pcg::Pcg32;
use serde::{Deserialize, Serialize};

/// Something the person driving the emulator does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Switch the phone on: it resets the card and runs its start-up sequence.
    PowerOn,
    /// Have the phone send this command APDU to the card, as a PC/SC tool would: the
    /// response comes back as it is (a `61XX` is not followed up automatically).
    SendApdu(Vec<u8>),
}

impl Action {
    pub fn title(&self) -> &'static str {
        match self {
            Action::PowerOn => "Power on",
            Action::SendApdu(_) => "Send APDU",
        }
    }

    /// The node an action is delivered to.
    fn target(&self) -> NodeId {
        match self {
            Action::PowerOn | Action::SendApdu(_) => NodeId::Phone,
        }
    }
}

/// A message waiting for delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
struct InFlight {
    deliver_at: Instant,
    /// Send order; breaks ties between messages due at the same instant.
    sequence: u64,
    message: Message,
    /// The step whose delivery produced this message.
    caused_by: Option<u64>,
    /// For a response APDU: the command it answers.
    answers: Option<Vec<u8>>,
}

/// ISO/IEC 7816-3 default timing on the card interface: F = 372, D = 1 at 3.5712 MHz gives
/// an elementary time unit of 104.17 µs; a character takes 12 etu (start bit, 8 data bits,
/// parity, 2 guard etu), about 1 250 µs.
const CARD_INTERFACE_MICROS_PER_BYTE: u64 = 1_250;

/// Every role, the in-flight messages, the clock and the PRNG. `Clone` is cheap enough
/// to snapshot; two worlds are equal when every part of their state is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct World {
    now: Instant,
    rng: Pcg32,
    steps: u64,
    next_sequence: u64,
    in_flight: Vec<InFlight>,
    phone: Phone,
    card: Card,
}

impl World {
    /// An idle world with its PRNG seeded from `seed`: the phone is off, nothing is in flight.
    pub fn new(seed: u64) -> World {
        World {
            now: Instant::ZERO,
            rng: Pcg32::seed_from_u64(seed),
            steps: 0,
            next_sequence: 0,
            in_flight: Vec::new(),
            phone: Phone::new(),
            card: Card::new(),
        }
    }

    /// The built-in power-on exchange: a world whose first step switches the phone on.
    pub fn power_on(seed: u64) -> World {
        let mut world = World::new(seed);
        world.act(Action::PowerOn);
        world
    }

    /// Queues a user action for delivery at the current time; it becomes an event when a
    /// step delivers it.
    pub fn act(&mut self, action: Action) {
        let message = Message::new(NodeId::User, action.target(), Payload::Action(action));
        self.enqueue(self.now, message, None, None);
    }

    /// Current logical time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Number of steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Whether no message is waiting: another step would do nothing.
    pub fn is_quiescent(&self) -> bool {
        self.in_flight.is_empty()
    }

    pub fn phone(&self) -> &Phone {
        &self.phone
    }

    pub fn card(&self) -> &Card {
        &self.card
    }

    /// One line on the current state of `node`, for the UI's lanes.
    pub fn status_line(&self, node: NodeId) -> String {
        match node {
            NodeId::Phone => self.phone.status_line(),
            NodeId::Card => self.card.status_line(),
            NodeId::Server => "idle".to_string(),
            NodeId::User => String::new(),
        }
    }

    /// Delivers the earliest in-flight message (ties in send order), advances the clock to
    /// its delivery time, lets the receiving node react and returns the event. `None` when
    /// nothing is in flight.
    pub fn step(&mut self) -> Option<Event> {
        let next = self
            .in_flight
            .iter()
            .enumerate()
            .min_by_key(|(_, m)| (m.deliver_at, m.sequence))
            .map(|(i, _)| i)?;
        let delivered = self.in_flight.remove(next);
        self.now = self.now.max(delivered.deliver_at);
        self.steps += 1;
        let step = self.steps;
        let event = Event::record(
            step,
            self.now,
            &delivered.message,
            delivered.caused_by,
            delivered.answers.as_deref(),
        );
        let outputs = match delivered.message.to {
            NodeId::Phone => self.phone.handle(self.now, &delivered.message),
            NodeId::Card => self.card.handle(self.now, &delivered.message),
            NodeId::Server | NodeId::User => Vec::new(),
        };
        let answers = match &delivered.message.payload {
            Payload::Command(bytes) => Some(bytes.clone()),
            _ => None,
        };
        for message in outputs {
            let delay = self.link_delay(&message);
            let answers = matches!(message.payload, Payload::Response(_))
                .then(|| answers.clone())
                .flatten();
            self.enqueue(self.now.plus_micros(delay), message, Some(step), answers);
        }
        Some(event)
    }

    /// Time for `message` to reach its receiver: the sender's processing time (drawn from
    /// the PRNG: a card takes 0.2–2 ms, a phone 0.1–0.5 ms) plus the bytes' transfer time
    /// on the card interface.
    fn link_delay(&mut self, message: &Message) -> u64 {
        let processing = match message.from {
            NodeId::Card => 200 + u64::from(self.rng.next_u32() % 1_800),
            _ => 100 + u64::from(self.rng.next_u32() % 400),
        };
        let transfer = match (message.from, message.to) {
            (NodeId::Phone, NodeId::Card) | (NodeId::Card, NodeId::Phone) => {
                message.payload.bytes().len() as u64 * CARD_INTERFACE_MICROS_PER_BYTE
            }
            _ => 0,
        };
        processing + transfer
    }

    fn enqueue(
        &mut self,
        deliver_at: Instant,
        message: Message,
        caused_by: Option<u64>,
        answers: Option<Vec<u8>>,
    ) {
        self.in_flight.push(InFlight {
            deliver_at,
            sequence: self.next_sequence,
            message,
            caused_by,
            answers,
        });
        self.next_sequence += 1;
    }
}
