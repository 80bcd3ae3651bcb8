//! The world: every node, the messages in flight, the logical clock and the PRNG.

use super::{Event, Instant, Layer, Message, Node, NodeId, Payload};
use crate::card::Card;
use crate::net::ip::{Link, LinkFaults};
use crate::net::Network;
use crate::phone::Phone;
use crate::server::campaign::Campaign;
use crate::server::session::ConnectRequest;
use crate::server::{OtaRequest, Server, Tampering};
use rand_core::{RngCore, SeedableRng};
use rand_pcg::Pcg32;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// Have the server open a TCP session with the phone's gateway as one of its
    /// identities: locate the phone (PO-TCP), connect, send the bytes.
    ServerConnect(ConnectRequest),
    /// Have the server close its session with this number.
    ServerClose(u32),
    /// Have the server run this campaign (patent steps S200–S600).
    ServerCampaign(Campaign),
    /// Play an attacker with the server's OTA message `id`: replay it, or send it with a
    /// byte flipped.
    ServerAttackOta { id: u64, tampering: Tampering },
    /// Have the server reconfigure the phone's gateway by SMS (patent step S600): the
    /// settings in the SCWS administration format (`80` port, `82` secure, `84`
    /// verification).
    ServerConfigureGateway(Vec<u8>),
    /// Set the faults of an IP link (the network applies them from now on).
    SetFaults { link: Link, faults: LinkFaults },
    /// Cut an IP link now.
    CutLink(Link),
    /// Have the phone's browser fetch this path (e.g. `/index.html`; empty: `/`) from
    /// the card's web server at `http://127.0.0.1:3516`, over a local connection to the
    /// gateway's listening channel ([`crate::phone::browser`]).
    Browse(String),
}

impl Action {
    pub fn title(&self) -> &'static str {
        match self {
            Action::PowerOn => "Power on",
            Action::SendApdu(_) => "Send APDU",
            Action::ServerSendOta(_) => "Send OTA",
            Action::ServerConnect(_) => "Server connects",
            Action::ServerClose(_) => "Server closes",
            Action::ServerCampaign(_) => "Run campaign",
            Action::ServerAttackOta { .. } => "Attack with an OTA",
            Action::ServerConfigureGateway(_) => "Configure gateway",
            Action::SetFaults { .. } => "Set link faults",
            Action::CutLink(_) => "Cut link",
            Action::Browse(_) => "Browse",
        }
    }

    /// The node an action is delivered to.
    fn target(&self) -> NodeId {
        match self {
            Action::PowerOn | Action::SendApdu(_) | Action::Browse(_) => NodeId::Phone,
            Action::ServerSendOta(_)
            | Action::ServerConnect(_)
            | Action::ServerClose(_)
            | Action::ServerCampaign(_)
            | Action::ServerAttackOta { .. }
            | Action::ServerConfigureGateway(_) => NodeId::Server,
            Action::SetFaults { .. } | Action::CutLink(_) => NodeId::Network,
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

/// Mixed into the world's seed for the network's own PRNG (link faults), so its draws
/// are not the world's.
const NETWORK_SEED_SALT: u64 = 0x6e65_7477_6f72_6b21;

/// One direction of an IP link: its one-way latency and its rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpLink {
    pub from: NodeId,
    pub to: NodeId,
    pub latency_micros: u64,
    pub bits_per_second: u64,
}

/// USB full speed (USB 2.0 §5.8.4 table 5-10): at most 19 bulk transactions of 64 bytes
/// per 1 ms frame, 1 216 000 bytes/s of the bus's 12 Mbit/s.
const USB_FULL_SPEED_BULK_BITS_PER_SECOND: u64 = 19 * 64 * 8 * 1_000;

/// The IP links and their defaults: the operator's backbone between the server and the
/// network (5 ms, 100 Mbit/s), and the radio between the network and the phone (30 ms
/// one way, 10 Mbit/s down, 2 Mbit/s up: a modest 3G/LTE cell). Illustrative values.
/// Between the phone and a USB UICC (ETSI TS 102 600, [`crate::card::usb`]): the USB
/// full-speed bulk rate both ways and one 1 ms frame of latency; the EEM and Ethernet
/// headers around each packet are not counted.
pub const IP_LINKS: [IpLink; 6] = [
    IpLink {
        from: NodeId::Server,
        to: NodeId::Network,
        latency_micros: 5_000,
        bits_per_second: 100_000_000,
    },
    IpLink {
        from: NodeId::Network,
        to: NodeId::Server,
        latency_micros: 5_000,
        bits_per_second: 100_000_000,
    },
    IpLink {
        from: NodeId::Network,
        to: NodeId::Phone,
        latency_micros: 30_000,
        bits_per_second: 10_000_000,
    },
    IpLink {
        from: NodeId::Phone,
        to: NodeId::Network,
        latency_micros: 30_000,
        bits_per_second: 2_000_000,
    },
    IpLink {
        from: NodeId::Phone,
        to: NodeId::Card,
        latency_micros: 1_000,
        bits_per_second: USB_FULL_SPEED_BULK_BITS_PER_SECOND,
    },
    IpLink {
        from: NodeId::Card,
        to: NodeId::Phone,
        latency_micros: 1_000,
        bits_per_second: USB_FULL_SPEED_BULK_BITS_PER_SECOND,
    },
];

/// Every role, the in-flight messages, the clock and the PRNG. `Clone` is cheap enough
/// to snapshot; two worlds are equal when every part of their state is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct World {
    now: Instant,
    rng: Pcg32,
    steps: u64,
    next_sequence: u64,
    in_flight: Vec<InFlight>,
    /// When each IP link direction finishes sending what it holds.
    link_free_at: BTreeMap<(NodeId, NodeId), Instant>,
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
        World::with_card(seed, Card::new())
    }

    /// An idle world as [`World::new`], with `card` in the phone instead of the
    /// built-in one (another profile, e.g. a USB UICC).
    pub fn with_card(seed: u64, card: Card) -> World {
        World {
            now: Instant::ZERO,
            rng: Pcg32::seed_from_u64(seed),
            steps: 0,
            next_sequence: 0,
            in_flight: Vec::new(),
            link_free_at: BTreeMap::new(),
            server: Server::new(),
            network: Network::with_seed(seed ^ NETWORK_SEED_SALT),
            phone: Phone::new(),
            card,
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
    /// its delivery time, lets the receiving node react and returns the event. A timer
    /// whose node sends nothing when it fires is handled without an event, and the next
    /// message is delivered. `None` when nothing is in flight.
    pub fn step(&mut self) -> Option<Event> {
        loop {
            let next = self
                .in_flight
                .iter()
                .enumerate()
                .min_by_key(|(_, m)| (m.deliver_at, m.sequence))
                .map(|(i, _)| i)?;
            let delivered = self.in_flight.remove(next);
            self.now = self.now.max(delivered.deliver_at);
            if matches!(delivered.message.payload, Payload::Timer(_)) {
                let outputs = self.deliver(&delivered.message);
                if outputs
                    .iter()
                    .all(|m| matches!(m.payload, Payload::Timer(_)))
                {
                    // Nothing but the next timer: no event.
                    for timer in outputs {
                        if let Payload::Timer(at) = timer.payload {
                            self.enqueue(at.max(self.now), timer, None, None);
                        }
                    }
                    continue;
                }
                let event = self.record(&delivered);
                self.send_all(outputs, event.step, None);
                return Some(event);
            }
            let event = self.record(&delivered);
            let outputs = self.deliver(&delivered.message);
            let answers = match &delivered.message.payload {
                Payload::Command(bytes) => Some(bytes.clone()),
                _ => None,
            };
            self.send_all(outputs, event.step, answers);
            return Some(event);
        }
    }

    /// Counts a step and records the event of delivering `delivered` now.
    fn record(&mut self, delivered: &InFlight) -> Event {
        self.steps += 1;
        let card = &self.card;
        Event::record(
            self.steps,
            self.now,
            &delivered.message,
            delivered.caused_by,
            delivered.answers.as_deref(),
            &|| card.profile().tar_table().ok(),
        )
    }

    /// Hands `message` to its node; returns what the node sends.
    fn deliver(&mut self, message: &Message) -> Vec<Message> {
        match message.to {
            NodeId::Phone => self.phone.handle(self.now, message),
            NodeId::Card => self.card.handle(self.now, message),
            NodeId::Server => self.server.handle(self.now, message),
            NodeId::Network => self.network.handle(self.now, message),
            NodeId::User => Vec::new(),
        }
    }

    /// Puts what a node sent in flight, caused by `step`; a response APDU remembers the
    /// command it answers.
    fn send_all(&mut self, outputs: Vec<Message>, step: u64, answers: Option<Vec<u8>>) {
        for message in outputs {
            let deliver_at = match message.payload {
                Payload::Timer(at) => at.max(self.now),
                _ => {
                    let delay = self.link_delay(&message);
                    self.now.plus_micros(delay).plus_micros(message.extra_delay)
                }
            };
            let answers = matches!(message.payload, Payload::Response(_))
                .then(|| answers.clone())
                .flatten();
            self.enqueue(deliver_at, message, Some(step), answers);
        }
    }

    /// Time for `message` to reach its receiver, drawn from the PRNG. Between phone and
    /// card: the sender's processing time (a card takes 0.2–2 ms, a phone 0.1–0.5 ms)
    /// plus the bytes' transfer time on the card interface. IP packets: [`IP_LINKS`], in
    /// order on each link. Short messages: [`SMSC_LINK_MICROS`], [`SMSC_DELIVERY_MICROS`],
    /// [`RADIO_UPLINK_MICROS`]; the IP-session signalling takes the radio's
    /// [`RADIO_UPLINK_MICROS`] both ways, except the session initiation request, which
    /// travels as a short message.
    fn link_delay(&mut self, message: &Message) -> u64 {
        if let Payload::Ip(bytes) = &message.payload {
            return self.ip_delay(message.from, message.to, bytes.len());
        }
        let range = match (message.from, message.to, message.payload.layer()) {
            (NodeId::Network, NodeId::Phone, _)
                if matches!(message.payload, Payload::SessionInitiation) =>
            {
                Some(SMSC_DELIVERY_MICROS)
            }
            (NodeId::Server, NodeId::Network, _) | (NodeId::Network, NodeId::Server, _) => {
                Some(SMSC_LINK_MICROS)
            }
            (NodeId::Network, NodeId::Phone, Layer::Tcp) => Some(RADIO_UPLINK_MICROS),
            (NodeId::Network, NodeId::Phone, _) => Some(SMSC_DELIVERY_MICROS),
            (NodeId::Phone, NodeId::Network, _) => Some(RADIO_UPLINK_MICROS),
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

    /// The delay of an IP packet of `len` bytes from `from` to `to`: it waits for the
    /// packets before it on the same link (first in, first out), takes its serialisation
    /// time at the link's rate, then the link's latency.
    fn ip_delay(&mut self, from: NodeId, to: NodeId, len: usize) -> u64 {
        let Some(link) = IP_LINKS
            .iter()
            .find(|link| (link.from, link.to) == (from, to))
        else {
            return 0;
        };
        let serialisation = (len as u64 * 8 * 1_000_000).div_ceil(link.bits_per_second);
        let free_at = self
            .link_free_at
            .get(&(from, to))
            .copied()
            .unwrap_or(Instant::ZERO)
            .max(self.now);
        let sent = free_at.plus_micros(serialisation);
        self.link_free_at.insert((from, to), sent);
        sent.as_micros() - self.now.as_micros() + link.latency_micros
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
