//! The operator's IP network: the phone's IP session (PDP context), the routing of IPv4
//! packets between the server and the phone, the push proxy gateway that locates a phone
//! for the server (PO-TCP), and the faults a trainer injects on each link.
//!
//! ```text
//!  server ──PushLocate──▶ PPG ──(no IP session)──▶ SessionInitiation ──▶ phone
//!    ▲                     │                                              │
//!    └──PushLocated(addr)──┘◀── PdpAccept(addr) ◀── PdpActivate(APN) ◀────┘
//!  server ◀──── IPv4 ────▶ network ◀──── IPv4 ────▶ phone
//!          backbone link            radio link        (faults on each link)
//! ```
//!
//! * **IP session.** The phone asks for a PDP context on an access point name; the
//!   network answers with an address from [`PHONE_ADDRESS_POOL`] (the IPv4 range RFC
//!   5737 reserves for documentation, TEST-NET-1). One context at a time; asking again
//!   returns the same address. A detach or a cut radio link ends it.
//! * **Routing.** A packet from the server must be for the phone's current address; a
//!   packet from the phone must come from that address (the network drops spoofed
//!   sources). Anything else is dropped and counted. The server's addresses are in
//!   [`SERVER_ADDRESSES`] (TEST-NET-2 and TEST-NET-3).
//! * **PO-TCP.** The server asks the push proxy gateway where the phone is. With an IP
//!   session, the answer is immediate; without one, the PPG sends a session initiation
//!   request (OMA Push OTA-SIA) and answers once the phone has activated a context; a
//!   phone that is not attached is answered "unreachable" at once.
//! * **Faults** ([`LinkFaults`], per [`Link`], deterministic from the world's seed):
//!   partition (every packet dropped), loss, duplication, reordering (a packet is held
//!   back so later ones overtake it) and extra delay, applied as a packet leaves the
//!   network onto its outgoing link and as it arrives from its incoming one. A cut
//!   ([`Network::cut`](super::Network::cut)) tears the radio link's IP session down or
//!   resets every connection on the backbone.

use crate::net::tcp::Endpoint;
use crate::sim::{Message, NodeId, Payload};
use crate::wire::ipv4::Ipv4Packet;
use crate::wire::tcp::{TcpFlags, TcpSegment};
use rand_core::{RngCore, SeedableRng};
use rand_pcg::Pcg32;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The first address given to a phone: 192.0.2.10 (TEST-NET-1, RFC 5737).
pub const PHONE_ADDRESS_POOL: [u8; 4] = [192, 0, 2, 10];

/// The administration servers' addresses, by name: two servers of the operator in
/// TEST-NET-2 (198.51.100.0/24) and an outsider in TEST-NET-3 (203.0.113.0/24), RFC 5737.
pub const SERVER_ADDRESSES: [(&str, [u8; 4]); 3] = [
    ("ras-1.operator.example", [198, 51, 100, 10]),
    ("ras-2.operator.example", [198, 51, 100, 20]),
    ("rogue", [203, 0, 113, 66]),
];

/// The access point name the phone uses when the card names none.
pub const DEFAULT_APN: &str = "internet";

/// How long a held-back packet waits when it is reordered: long enough for the packets
/// sent after it on the same link to overtake it.
pub const REORDER_HOLD_MICROS: u64 = 40_000;

/// One of the two IP links around the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Link {
    /// Server ⇄ network: the operator's backbone.
    Backbone,
    /// Network ⇄ phone: the radio access.
    Radio,
}

impl Link {
    pub const ALL: [Link; 2] = [Link::Backbone, Link::Radio];

    pub fn name(self) -> &'static str {
        match self {
            Link::Backbone => "backbone (server ⇄ network)",
            Link::Radio => "radio (network ⇄ phone)",
        }
    }

    /// The link a packet from or to `node` crosses.
    fn of(node: NodeId) -> Option<Link> {
        match node {
            NodeId::Server => Some(Link::Backbone),
            NodeId::Phone => Some(Link::Radio),
            _ => None,
        }
    }
}

/// The faults on one link. Percentages are per packet, 0–100.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkFaults {
    /// Every packet is dropped, both ways, while set.
    pub partitioned: bool,
    pub loss_percent: u8,
    pub duplicate_percent: u8,
    pub reorder_percent: u8,
    /// Added to every packet's delay.
    pub extra_delay_micros: u64,
}

impl LinkFaults {
    /// Whether the link behaves perfectly.
    pub fn is_clear(&self) -> bool {
        *self == LinkFaults::default()
    }

    /// E.g. `loss 10 %, duplication 5 %`; `none` when clear.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if self.partitioned {
            parts.push("partitioned".to_string());
        }
        for (name, percent) in [
            ("loss", self.loss_percent),
            ("duplication", self.duplicate_percent),
            ("reordering", self.reorder_percent),
        ] {
            if percent > 0 {
                parts.push(format!("{name} {percent} %"));
            }
        }
        if self.extra_delay_micros > 0 {
            parts.push(format!("+{} ms", self.extra_delay_micros / 1000));
        }
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// The phone's IP session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PdpContext {
    pub apn: String,
    pub address: [u8; 4],
}

/// Packets the network handled, for the UI.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IpCounters {
    pub forwarded: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub reordered: u64,
    /// Dropped because nobody has the destination, or the source is spoofed.
    pub unroutable: u64,
}

/// The IP side of the network node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpNetwork {
    rng: Pcg32,
    context: Option<PdpContext>,
    /// Subscribers the PPG was asked to locate, waiting for the phone's IP session.
    locating: Vec<String>,
    faults: [LinkFaults; 2],
    counters: IpCounters,
    /// TCP connections seen crossing the network, for cutting them.
    flows: BTreeMap<Flow, u32>,
}

/// One direction of a TCP connection: source address and port, destination address and
/// port, and by which node it entered the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Flow {
    from: NodeId,
    source: Endpoint,
    destination: Endpoint,
}

impl IpNetwork {
    /// No IP session, clear links; faults drawn from a PRNG seeded with `seed`.
    pub fn new(seed: u64) -> IpNetwork {
        IpNetwork {
            rng: Pcg32::seed_from_u64(seed),
            context: None,
            locating: Vec::new(),
            faults: [LinkFaults::default(); 2],
            counters: IpCounters::default(),
            flows: BTreeMap::new(),
        }
    }

    pub fn context(&self) -> Option<&PdpContext> {
        self.context.as_ref()
    }

    pub fn counters(&self) -> IpCounters {
        self.counters
    }

    pub fn faults(&self, link: Link) -> LinkFaults {
        self.faults[link as usize]
    }

    pub fn set_faults(&mut self, link: Link, faults: LinkFaults) {
        self.faults[link as usize] = faults;
    }

    /// The phone asks for an IP session.
    pub fn activate(&mut self, apn: &str, subscriber: &str) -> Vec<Message> {
        let context = self.context.get_or_insert_with(|| PdpContext {
            apn: apn.to_string(),
            address: PHONE_ADDRESS_POOL,
        });
        let address = context.address;
        let mut out = vec![Message::new(
            NodeId::Network,
            NodeId::Phone,
            Payload::PdpAccept {
                apn: context.apn.clone(),
                address,
            },
        )];
        out.extend(self.answer_locates(subscriber));
        out
    }

    /// The phone left the network: its session ends; the PPG's pending questions are
    /// answered "unreachable".
    pub fn detached(&mut self) -> Vec<Message> {
        self.context = None;
        std::mem::take(&mut self.locating)
            .into_iter()
            .map(|msisdn| located(msisdn, None))
            .collect()
    }

    /// Ends the IP session at once (a cut radio link), telling the phone.
    pub fn tear_down(&mut self) -> Vec<Message> {
        match self.context.take() {
            Some(context) => vec![Message::new(
                NodeId::Network,
                NodeId::Phone,
                Payload::PdpDeactivate {
                    address: context.address,
                },
            )],
            None => Vec::new(),
        }
    }

    /// The server asks the push proxy gateway for `msisdn`.
    pub fn locate(&mut self, msisdn: &str, subscriber: &str, attached: bool) -> Vec<Message> {
        if msisdn != subscriber || !attached {
            return vec![located(msisdn.to_string(), None)];
        }
        if let Some(context) = &self.context {
            return vec![located(msisdn.to_string(), Some(context.address))];
        }
        let first = self.locating.is_empty();
        if !self.locating.iter().any(|m| m == msisdn) {
            self.locating.push(msisdn.to_string());
        }
        if first {
            vec![Message::new(
                NodeId::Network,
                NodeId::Phone,
                Payload::SessionInitiation,
            )]
        } else {
            Vec::new()
        }
    }

    fn answer_locates(&mut self, subscriber: &str) -> Vec<Message> {
        let address = self.context.as_ref().map(|c| c.address);
        std::mem::take(&mut self.locating)
            .into_iter()
            .map(|msisdn| {
                let reachable = msisdn == subscriber;
                located(msisdn, address.filter(|_| reachable))
            })
            .collect()
    }

    /// An IPv4 packet from `from`: routed to the other side through the faults of both
    /// links, or dropped. Returns the copies sent (none, one, or two when duplicated).
    pub fn route(&mut self, from: NodeId, packet: &[u8]) -> Vec<Message> {
        let (Some(source), Some(destination)) = (address_at(packet, 12), address_at(packet, 16))
        else {
            self.counters.unroutable += 1;
            return Vec::new();
        };
        let phone = self.context.as_ref().map(|c| c.address);
        let to = match from {
            NodeId::Server if Some(destination) == phone => NodeId::Phone,
            NodeId::Phone
                if Some(source) == phone
                    && SERVER_ADDRESSES.iter().any(|(_, a)| *a == destination) =>
            {
                NodeId::Server
            }
            _ => {
                self.counters.unroutable += 1;
                return Vec::new();
            }
        };
        let (Some(incoming), Some(outgoing)) = (Link::of(from), Link::of(to)) else {
            return Vec::new();
        };
        let mut copies = 1;
        let mut delay = 0;
        for link in [incoming, outgoing] {
            let faults = self.faults(link);
            if faults.partitioned || self.chance(faults.loss_percent) {
                self.counters.lost += 1;
                return Vec::new();
            }
            if self.chance(faults.duplicate_percent) {
                copies = 2;
            }
            if self.chance(faults.reorder_percent) {
                self.counters.reordered += 1;
                delay += REORDER_HOLD_MICROS;
            }
            delay += faults.extra_delay_micros;
        }
        self.counters.forwarded += 1;
        self.track(from, packet);
        if copies == 2 {
            self.counters.duplicated += 1;
        }
        (0..copies)
            .map(|copy| {
                Message::new(NodeId::Network, to, Payload::Ip(packet.to_vec()))
                    .delayed(delay + copy * 1_000)
            })
            .collect()
    }

    /// Notes how far the TCP segment in `packet` reaches in its direction's sequence
    /// space; a connection's flows are forgotten once it is reset.
    fn track(&mut self, from: NodeId, packet: &[u8]) {
        let Ok(parsed) = Ipv4Packet::parse(packet) else {
            return;
        };
        let Ok(segment) = parsed.parse_tcp() else {
            return;
        };
        let flow = Flow {
            from,
            source: Endpoint {
                addr: parsed.src,
                port: segment.src_port,
            },
            destination: Endpoint {
                addr: parsed.dst,
                port: segment.dst_port,
            },
        };
        if segment.flags.contains(TcpFlags::RST) {
            self.flows.remove(&flow);
            self.flows
                .retain(|f, _| (f.source, f.destination) != (flow.destination, flow.source));
            return;
        }
        let end = segment.seq.wrapping_add(segment.seq_len());
        let reach = self.flows.entry(flow).or_insert(end);
        if (end.wrapping_sub(*reach) as i32) > 0 {
            *reach = end;
        }
    }

    /// Cuts every TCP connection crossing the backbone, as a middlebox that drops its
    /// state does: each end gets a RST whose sequence number is where the other end's
    /// bytes had reached through the network (RFC 9293 §3.10.7.4: a RST at RCV.NXT
    /// resets the connection).
    pub fn reset_connections(&mut self) -> Vec<Message> {
        let mut out = Vec::new();
        for (flow, reach) in std::mem::take(&mut self.flows) {
            let to = match flow.from {
                NodeId::Server => NodeId::Phone,
                _ => NodeId::Server,
            };
            let reset = TcpSegment {
                src_port: flow.source.port,
                dst_port: flow.destination.port,
                seq: reach,
                flags: TcpFlags::RST,
                ..TcpSegment::default()
            };
            let packet = Ipv4Packet::tcp(flow.source.addr, flow.destination.addr, &reset);
            out.push(Message::new(
                NodeId::Network,
                to,
                Payload::Ip(packet.emit()),
            ));
        }
        out
    }

    /// True with probability `percent` %; draws from the PRNG only when `percent` is not
    /// 0, so a clear link changes nothing in the world's random sequence.
    fn chance(&mut self, percent: u8) -> bool {
        percent > 0 && self.rng.next_u32() % 100 < u32::from(percent)
    }
}

fn located(msisdn: String, address: Option<[u8; 4]>) -> Message {
    Message::new(
        NodeId::Network,
        NodeId::Server,
        Payload::PushLocated { msisdn, address },
    )
}

/// The IPv4 address at `offset` of a packet's header (12: source, 16: destination,
/// RFC 791 §3.1), if the packet is long enough.
fn address_at(packet: &[u8], offset: usize) -> Option<[u8; 4]> {
    packet.get(offset..offset + 4)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBSCRIBER: &str = "+12025550123";
    const RAS_1: [u8; 4] = SERVER_ADDRESSES[0].1;

    /// A 20-byte IPv4 header with these addresses and nothing else that routing reads.
    fn packet(source: [u8; 4], destination: [u8; 4]) -> Vec<u8> {
        let mut header = vec![0x45, 0, 0, 20, 0, 0, 0x40, 0, 64, 6, 0, 0];
        header.extend(source);
        header.extend(destination);
        header
    }

    fn with_session() -> IpNetwork {
        let mut network = IpNetwork::new(7);
        network.activate(DEFAULT_APN, SUBSCRIBER);
        network
    }

    #[test]
    fn activation_gives_the_phone_an_address_once() {
        let mut network = IpNetwork::new(1);
        let out = network.activate("admin", SUBSCRIBER);
        assert_eq!(
            out,
            vec![Message::new(
                NodeId::Network,
                NodeId::Phone,
                Payload::PdpAccept {
                    apn: "admin".into(),
                    address: PHONE_ADDRESS_POOL
                }
            )]
        );
        network.activate("other", SUBSCRIBER);
        assert_eq!(network.context().unwrap().apn, "admin");
    }

    #[test]
    fn routes_between_server_and_phone_and_drops_the_rest() {
        let mut network = with_session();
        let down = network.route(NodeId::Server, &packet(RAS_1, PHONE_ADDRESS_POOL));
        assert_eq!(down.len(), 1);
        assert_eq!(down[0].to, NodeId::Phone);
        let up = network.route(NodeId::Phone, &packet(PHONE_ADDRESS_POOL, RAS_1));
        assert_eq!(up[0].to, NodeId::Server);
        // Spoofed source, unknown destination, truncated header.
        assert!(network
            .route(NodeId::Phone, &packet([192, 0, 2, 99], RAS_1))
            .is_empty());
        assert!(network
            .route(NodeId::Server, &packet(RAS_1, [192, 0, 2, 99]))
            .is_empty());
        assert!(network.route(NodeId::Server, &[0x45, 0]).is_empty());
        assert_eq!(network.counters().forwarded, 2);
        assert_eq!(network.counters().unroutable, 3);
    }

    #[test]
    fn nothing_reaches_a_phone_without_an_ip_session() {
        let mut network = IpNetwork::new(1);
        assert!(network
            .route(NodeId::Server, &packet(RAS_1, PHONE_ADDRESS_POOL))
            .is_empty());
    }

    #[test]
    fn push_proxy_wakes_a_phone_without_session_then_answers_its_address() {
        let mut network = IpNetwork::new(1);
        let out = network.locate(SUBSCRIBER, SUBSCRIBER, true);
        assert_eq!(out[0].payload, Payload::SessionInitiation);
        assert!(network.locate(SUBSCRIBER, SUBSCRIBER, true).is_empty());
        let out = network.activate(DEFAULT_APN, SUBSCRIBER);
        assert_eq!(
            out[1].payload,
            Payload::PushLocated {
                msisdn: SUBSCRIBER.into(),
                address: Some(PHONE_ADDRESS_POOL)
            }
        );
        assert_eq!(out.len(), 2);
        let again = network.locate(SUBSCRIBER, SUBSCRIBER, true);
        assert_eq!(
            again[0].payload,
            Payload::PushLocated {
                msisdn: SUBSCRIBER.into(),
                address: Some(PHONE_ADDRESS_POOL)
            }
        );
    }

    #[test]
    fn push_proxy_answers_unreachable_for_a_detached_or_unknown_subscriber() {
        let mut network = IpNetwork::new(1);
        let unreachable = Payload::PushLocated {
            msisdn: SUBSCRIBER.into(),
            address: None,
        };
        assert_eq!(
            network.locate(SUBSCRIBER, SUBSCRIBER, false)[0].payload,
            unreachable
        );
        assert!(matches!(
            network.locate("+1999", SUBSCRIBER, true)[0].payload,
            Payload::PushLocated { address: None, .. }
        ));
        network.locate(SUBSCRIBER, SUBSCRIBER, true);
        assert_eq!(network.detached()[0].payload, unreachable);
    }

    #[test]
    fn a_partitioned_link_drops_everything_both_ways() {
        let mut network = with_session();
        network.set_faults(
            Link::Radio,
            LinkFaults {
                partitioned: true,
                ..LinkFaults::default()
            },
        );
        for _ in 0..10 {
            assert!(network
                .route(NodeId::Server, &packet(RAS_1, PHONE_ADDRESS_POOL))
                .is_empty());
            assert!(network
                .route(NodeId::Phone, &packet(PHONE_ADDRESS_POOL, RAS_1))
                .is_empty());
        }
        assert_eq!(network.counters().lost, 20);
    }

    #[test]
    fn loss_duplication_and_reordering_follow_their_rates_deterministically() {
        let run = |seed| {
            let mut network = IpNetwork::new(seed);
            network.activate(DEFAULT_APN, SUBSCRIBER);
            network.set_faults(
                Link::Backbone,
                LinkFaults {
                    loss_percent: 20,
                    duplicate_percent: 10,
                    reorder_percent: 10,
                    extra_delay_micros: 5_000,
                    ..LinkFaults::default()
                },
            );
            let delays: Vec<Vec<u64>> = (0..2_000)
                .map(|_| {
                    network
                        .route(NodeId::Server, &packet(RAS_1, PHONE_ADDRESS_POOL))
                        .iter()
                        .map(|m| m.extra_delay)
                        .collect()
                })
                .collect();
            (network.counters(), delays)
        };
        let (counters, delays) = run(3);
        assert_eq!(run(3), (counters, delays.clone()));
        assert_ne!(run(4).1, delays);
        assert!((320..480).contains(&counters.lost), "{counters:?}");
        assert!((120..200).contains(&counters.duplicated), "{counters:?}");
        assert!((120..200).contains(&counters.reordered), "{counters:?}");
        assert!(delays.iter().flatten().all(|d| *d >= 5_000));
        assert!(delays
            .iter()
            .any(|copies| copies.len() == 2 && copies[1] == copies[0] + 1_000));
    }

    #[test]
    fn a_clear_link_draws_nothing_from_the_prng() {
        let mut network = with_session();
        let before = network.clone();
        network.route(NodeId::Server, &packet(RAS_1, PHONE_ADDRESS_POOL));
        assert_eq!(network.rng, before.rng);
    }

    #[test]
    fn tearing_down_tells_the_phone_and_stops_routing() {
        let mut network = with_session();
        assert_eq!(
            network.tear_down()[0].payload,
            Payload::PdpDeactivate {
                address: PHONE_ADDRESS_POOL
            }
        );
        assert!(network
            .route(NodeId::Server, &packet(RAS_1, PHONE_ADDRESS_POOL))
            .is_empty());
        assert!(network.tear_down().is_empty());
    }
}
