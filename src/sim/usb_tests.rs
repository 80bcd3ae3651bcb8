//! End to end through the world with a USB UICC (ETSI TS 102 600): the server reaches
//! the card's web server over the operator's IP network and the phone's port
//! forwarding, TCP all the way down to the card, no BIP.

use super::{Action, Layer, NodeId, Timeline, World};
use crate::card::{Card, Profile};
use crate::server::session::{ConnectRequest, SessionState};
use crate::wire::ipv4::Ipv4Packet;
use crate::wire::tcp::TcpFlags;

const STEP_LIMIT: usize = 200_000;

/// The card's address on the USB link in these tests (not the default one, so that the
/// phone is seen to learn it from the ATR).
const CARD: [u8; 4] = [169, 254, 3, 7];
/// The phone's address in the operator network, ras-1's.
const PHONE: [u8; 4] = [192, 0, 2, 10];
const RAS_1: [u8; 4] = [198, 51, 100, 10];

fn usb_card() -> Card {
    let mut profile = Profile::default_profile();
    profile.usb.enabled = true;
    profile.usb.address = CARD.into();
    Card::from_profile(profile).unwrap()
}

/// Power on with `card`, then `server` GETs `path` on port 3516, run until nothing is
/// left.
fn run(seed: u64, card: Card, server: &str, path: &str) -> Timeline {
    let mut timeline = Timeline::new(World::with_card(seed, card));
    timeline.act(Action::PowerOn);
    timeline.run(STEP_LIMIT);
    let send = format!("GET {path} HTTP/1.1\r\nHost: 192.0.2.10:3516\r\nConnection: close\r\n\r\n");
    timeline.act(Action::ServerConnect(ConnectRequest {
        server: server.to_string(),
        port: 3516,
        send: send.into_bytes(),
        secure: false,
    }));
    timeline.run(STEP_LIMIT);
    assert!(
        timeline.head().is_quiescent(),
        "still busy after {STEP_LIMIT} steps"
    );
    timeline
}

/// The IPv4 packets that went between `from` and `to`.
fn packets(timeline: &Timeline, from: NodeId, to: NodeId) -> Vec<Ipv4Packet> {
    timeline
        .log()
        .iter()
        .filter(|e| (e.from, e.to, e.layer) == (from, to, Layer::Tcp) && !e.bytes.is_empty())
        .map(|e| Ipv4Packet::parse(&e.bytes).unwrap())
        .collect()
}

#[test]
fn a_server_reads_an_scws_page_over_usb_without_bip() {
    let timeline = run(1, usb_card(), "ras-1.operator.example", "/index.html");
    let world = timeline.head();
    let session = &world.server().sessions().sessions()[0];
    assert_eq!(session.state, SessionState::Finished);
    let text = String::from_utf8_lossy(&session.received);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    let page = world.card().scws_resource("/index.html").unwrap().body;
    let head_end = session
        .received
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap();
    assert_eq!(session.received[head_end + 4..], page[..]);
    // No BIP: no channel opened, no data carried in proactive commands.
    for event in timeline.log() {
        for bip in ["OPEN CHANNEL", "RECEIVE DATA", "SEND DATA", "CLOSE CHANNEL"] {
            assert!(
                !event.title.contains(bip),
                "{} at step {}",
                event.title,
                event.step
            );
        }
    }
    assert_eq!(world.phone().gateway().channels().count(), 0);
    // TCP between phone and card: the server's SYN, its destination rewritten to the
    // card's address, one hop older.
    let down = packets(&timeline, NodeId::Phone, NodeId::Card);
    let up = packets(&timeline, NodeId::Card, NodeId::Phone);
    assert!(
        down.len() >= 3 && up.len() >= 3,
        "{} down, {} up",
        down.len(),
        up.len()
    );
    let syn = &down[0];
    let segment = syn.parse_tcp().unwrap();
    assert!(segment.flags.contains(TcpFlags::SYN));
    assert_eq!((syn.src, syn.dst, segment.dst_port), (RAS_1, CARD, 3516));
    assert_eq!(syn.ttl, 63);
    assert!(up.iter().all(|p| (p.src, p.dst) == (CARD, RAS_1)));
    // Towards the server, the phone's address stands for the card's.
    let answers = packets(&timeline, NodeId::Phone, NodeId::Network);
    assert!(!answers.is_empty());
    assert!(answers
        .iter()
        .all(|p| (p.src, p.parse_tcp().unwrap().src_port) == (PHONE, 3516)));
    let link = world.phone().usb().unwrap();
    assert_eq!(link.card_address(), CARD);
    assert_eq!(
        (link.forwarded_down(), link.forwarded_up(), link.dropped()),
        (down.len() as u64, up.len() as u64, 0)
    );
    let usb = world.card().usb().unwrap();
    assert_eq!(usb.answered(), 1);
    assert_eq!(usb.last_exchange().unwrap().request, "GET /index.html");
}

#[test]
fn a_packet_takes_at_least_a_usb_frame_to_reach_the_card() {
    let timeline = run(2, usb_card(), "ras-2.operator.example", "/style.css");
    let log = timeline.log();
    let at_card = log
        .iter()
        .find(|e| (e.to, e.layer) == (NodeId::Card, Layer::Tcp))
        .unwrap();
    let cause = &log[at_card.caused_by.unwrap() as usize - 1];
    assert_eq!((cause.from, cause.to), (NodeId::Network, NodeId::Phone));
    let took = at_card.time.as_micros() - cause.time.as_micros();
    // 1 ms of latency plus the SYN's 44 bytes at 1 216 000 bytes/s (37 µs).
    assert_eq!(took, 1_000 + 37);
}

#[test]
fn without_usb_the_card_hears_no_ip_and_the_phone_refuses() {
    let timeline = run(3, Card::new(), "ras-1.operator.example", "/index.html");
    let world = timeline.head();
    assert!(world.phone().usb().is_none());
    assert!(world.card().usb().is_none());
    let session = &world.server().sessions().sessions()[0];
    assert_eq!(
        session.state,
        SessionState::Failed("connection refused (RST)".into())
    );
    assert!(timeline
        .log()
        .iter()
        .all(|e| e.layer != Layer::Tcp || (e.to != NodeId::Card && e.from != NodeId::Card)));
}

#[test]
fn the_same_seed_gives_the_same_log_over_usb() {
    let digest = |seed| run(seed, usb_card(), "ras-1.operator.example", "/readme.txt").digest();
    assert_eq!(digest(4), digest(4));
    assert_ne!(digest(4), digest(5));
}

#[test]
fn the_gateway_allow_list_keeps_a_rogue_server_off_the_usb_card() {
    let timeline = run(4, usb_card(), "rogue", "/index.html");
    let world = timeline.head();
    let session = &world.server().sessions().sessions()[0];
    assert_eq!(
        session.state,
        SessionState::Failed("connection refused (RST)".into())
    );
    assert_eq!(world.phone().net().refused(), 1);
    assert_eq!(world.phone().usb().unwrap().forwarded_down(), 0);
    assert!(packets(&timeline, NodeId::Phone, NodeId::Card).is_empty());
}
