//! The world: every node, the messages in flight, the logical clock and the PRNG.

use super::{Event, Instant, Message, Node, NodeId, Payload};
use crate::card::Card;
use crate::net::Network;
use crate::phone::Phone;
use crate::server::{OtaRequest, Server};
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
    /// Have the server send this OTA command packet to the card by SMS: it secures the
    /// data, submits the SMS to the network with a status report requested, and reads
    /// the PoR the report brings back.
    ServerSendOta(OtaRequest),
}

impl Action {
    pub fn title(&self) -> &'static str {
        match self {
            Action::PowerOn => "Power on",
            Action::SendApdu(_) => "Send APDU",
            Action::ServerSendOta(_) => "Send OTA",
        }
    }

    /// The node an action is delivered to.
    fn target(&self) -> NodeId {
        match self {
            Action::PowerOn | Action::SendApdu(_) => NodeId::Phone,
            Action::ServerSendOta(_) => NodeId::Server,
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

/// Server ⇄ SMS centre (an IP link carrying SMPP or the like): 20–100 ms each way.
/// Illustrative default, not taken from a standard.
pub const SMSC_LINK_MICROS: (u64, u64) = (20_000, 100_000);

/// SMS centre → phone: store and forward, routing query, paging and the radio
/// transfer, 1–3 s from the moment the centre holds the message (or the phone
/// attaches). Illustrative default: real figures range from well under a second to
/// minutes under load; TS 23.040 sets no target.
pub const SMSC_DELIVERY_MICROS: (u64, u64) = (1_000_000, 3_000_000);

/// Phone → network over the radio (deliver reports, attach, detach): 50–200 ms.
/// Illustrative default.
pub const RADIO_UPLINK_MICROS: (u64, u64) = (50_000, 200_000);

/// Every role, the in-flight messages, the clock and the PRNG. `Clone` is cheap enough
/// to snapshot; two worlds are equal when every part of their state is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct World {
    now: Instant,
    rng: Pcg32,
    steps: u64,
    next_sequence: u64,
    in_flight: Vec<InFlight>,
    server: Server,
    network: Network,
    phone: Phone,
    card: Card,
}

impl World {
    /// An idle world with its PRNG seeded from `seed`: the phone is off, nothing is in
    /// flight; the server knows the default card's OTA keys and TARs, the network knows
    /// the server's and the phone's addresses ([`crate::net`]).
    pub fn new(seed: u64) -> World {
        World {
            now: Instant::ZERO,
            rng: Pcg32::seed_from_u64(seed),
            steps: 0,
            next_sequence: 0,
            in_flight: Vec::new(),
            server: Server::new(),
            network: Network::new(),
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

    pub fn server(&self) -> &Server {
        &self.server
    }

    pub fn network(&self) -> &Network {
        &self.network
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
            NodeId::Server => self.server.status_line(),
            NodeId::Network => self.network.status_line(),
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
        let card = &self.card;
        let event = Event::record(
            step,
            self.now,
            &delivered.message,
            delivered.caused_by,
            delivered.answers.as_deref(),
            &|| card.profile().tar_table().ok(),
        );
        let outputs = match delivered.message.to {
            NodeId::Phone => self.phone.handle(self.now, &delivered.message),
            NodeId::Card => self.card.handle(self.now, &delivered.message),
            NodeId::Server => self.server.handle(self.now, &delivered.message),
            NodeId::Network => self.network.handle(self.now, &delivered.message),
            NodeId::User => Vec::new(),
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

    /// Time for `message` to reach its receiver, drawn from the PRNG. Between phone and
    /// card: the sender's processing time (a card takes 0.2–2 ms, a phone 0.1–0.5 ms)
    /// plus the bytes' transfer time on the card interface. Around the network:
    /// [`SMSC_LINK_MICROS`], [`SMSC_DELIVERY_MICROS`], [`RADIO_UPLINK_MICROS`].
    fn link_delay(&mut self, message: &Message) -> u64 {
        let range = match (message.from, message.to) {
            (NodeId::Server, NodeId::Network) | (NodeId::Network, NodeId::Server) => {
                Some(SMSC_LINK_MICROS)
            }
            (NodeId::Network, NodeId::Phone) => Some(SMSC_DELIVERY_MICROS),
            (NodeId::Phone, NodeId::Network) => Some(RADIO_UPLINK_MICROS),
            _ => None,
        };
        if let Some((low, high)) = range {
            return low + u64::from(self.rng.next_u32()) % (high - low + 1);
        }
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
