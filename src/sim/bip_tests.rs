//! End to end through the world: the server reaches the card's web server over the
//! operator's IP network, the phone's gateway and BIP (patent steps S200–S500).

use super::{Action, Layer, NodeId, Scenario, Timeline};
use crate::net::ip::{Link, LinkFaults};
use crate::server::session::{ConnectRequest, SessionState};

pub(super) const STEP_LIMIT: usize = 200_000;

pub(super) fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 192.0.2.10:3516\r\nConnection: close\r\n\r\n")
        .into_bytes()
}

pub(super) fn connect(server: &str, send: Vec<u8>) -> Action {
    Action::ServerConnect(ConnectRequest {
        server: server.to_string(),
        port: 3516,
        send,
        secure: false,
    })
}

/// The same over TLS, to the secure port the card listens on after `secure_start`.
pub(super) fn connect_secure(server: &str, send: Vec<u8>) -> Action {
    Action::ServerConnect(ConnectRequest {
        server: server.to_string(),
        port: 4116,
        send,
        secure: true,
    })
}

/// The card listening (scenario `scws-start`), then `actions`, run until nothing is left.
pub(super) fn run(seed: u64, actions: Vec<Action>) -> Timeline {
    let mut timeline = Scenario::ScwsStart.record(seed);
    for action in actions {
        timeline.act(action);
    }
    timeline.run(STEP_LIMIT);
    assert!(
        timeline.head().is_quiescent(),
        "still busy after {STEP_LIMIT} steps"
    );
    timeline
}

/// How many messages reached the card so far.
fn messages_to_card(timeline: &Timeline) -> usize {
    timeline
        .log()
        .iter()
        .filter(|e| e.to == NodeId::Card)
        .count()
}

/// The HTTP response's body, after the blank line.
pub(super) fn body(response: &[u8]) -> &[u8] {
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    &response[end + 4..]
}

fn titles(timeline: &Timeline) -> Vec<String> {
    timeline.log().iter().map(|e| e.title.clone()).collect()
}

#[test]
fn a_server_reads_an_scws_page_through_push_proxy_gateway_and_bip() {
    let timeline = run(
        1,
        vec![connect("ras-1.operator.example", get("/index.html"))],
    );
    let world = timeline.head();
    let session = &world.server().sessions().sessions()[0];
    assert_eq!(session.state, SessionState::Finished);
    let text = String::from_utf8_lossy(&session.received);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    let page = world.card().scws_resource("/index.html").unwrap();
    assert_eq!(body(&session.received), page.body);
    let titles = titles(&timeline);
    for expected in [
        "PO-TCP: locate",
        "Session initiation request",
        "Activate PDP context",
        "PDP context accepted: 192.0.2.10",
        "PO-TCP: +12025550123 at 192.0.2.10",
        "RECEIVE DATA",
        "SEND DATA",
        "CLOSE CHANNEL",
    ] {
        assert!(
            titles.iter().any(|t| t.contains(expected)),
            "no {expected} in {titles:?}"
        );
    }
    // The SYN, as a real IPv4/TCP packet from ras-1 to the phone's port 3516.
    let syn = timeline
        .log()
        .iter()
        .find(|e| e.layer == Layer::Tcp && e.from == NodeId::Server && !e.bytes.is_empty())
        .unwrap();
    let packet = crate::wire::ipv4::Ipv4Packet::parse(&syn.bytes).unwrap();
    let segment = packet.parse_tcp().unwrap();
    assert_eq!(
        (packet.src, packet.dst, segment.dst_port),
        ([198, 51, 100, 10], [192, 0, 2, 10], 3516)
    );
    assert!(segment.flags.contains(crate::wire::tcp::TcpFlags::SYN));
    // The card went back to listening for the next server.
    let channel = world.phone().gateway().channel(1).unwrap();
    assert_eq!(channel.state, crate::phone::gateway::LinkState::Listen);
}

#[test]
fn a_tcp_segment_causes_the_event_download_that_tells_the_card() {
    let timeline = run(
        2,
        vec![connect("ras-1.operator.example", get("/readme.txt"))],
    );
    let log = timeline.log();
    let envelopes: Vec<_> = log
        .iter()
        .filter(|e| e.title == "ENVELOPE" && e.bytes.get(5) == Some(&0xD6))
        .collect();
    // First the channel status (link established), caused by the segment that
    // completed the handshake at the phone.
    let established = envelopes[0];
    assert_eq!(established.bytes[9], 0x0A, "channel status event");
    let cause = &log[established.caused_by.unwrap() as usize - 1];
    assert_eq!((cause.layer, cause.to), (Layer::Tcp, NodeId::Phone));
    assert!(cause.title.starts_with("TCP "), "{}", cause.title);
    // Then data available, and RECEIVE DATA brings the request to the card.
    let available = envelopes
        .iter()
        .find(|e| e.bytes[9] == 0x09)
        .expect("a data available event");
    assert!(available.step > established.step);
    let request = get("/readme.txt");
    assert!(log[available.step as usize..]
        .iter()
        .any(|e| e.title == "TERMINAL RESPONSE"
            && e.bytes.windows(request.len()).any(|w| w == request)));
}

#[test]
fn a_rogue_server_is_refused_and_the_card_hears_nothing() {
    let before = Scenario::ScwsStart.record(3);
    let card_exchanges = messages_to_card(&before);
    let timeline = run(3, vec![connect("rogue", get("/index.html"))]);
    let world = timeline.head();
    let session = &world.server().sessions().sessions()[0];
    assert_eq!(
        session.state,
        SessionState::Failed("connection refused (RST)".into())
    );
    assert!(session.received.is_empty());
    assert_eq!(world.phone().net().refused(), 1);
    let after = messages_to_card(&timeline);
    assert_eq!(after, card_exchanges, "the card saw an APDU");
}

#[test]
fn every_byte_arrives_once_and_in_order_through_a_lossy_network() {
    let page = Scenario::ScwsStart
        .record(1)
        .head()
        .card()
        .scws_resource("/manual.html")
        .unwrap()
        .body;
    for (seed, percent) in [(4, 10), (5, 20), (6, 30)] {
        let faults = LinkFaults {
            loss_percent: percent,
            duplicate_percent: 5,
            reorder_percent: 5,
            ..LinkFaults::default()
        };
        let timeline = run(
            seed,
            vec![
                Action::SetFaults {
                    link: Link::Radio,
                    faults,
                },
                connect("ras-1.operator.example", get("/manual.html")),
            ],
        );
        let world = timeline.head();
        let session = &world.server().sessions().sessions()[0];
        assert_eq!(session.state, SessionState::Finished, "{percent} % loss");
        assert_eq!(body(&session.received), page, "{percent} % loss");
        assert!(world.network().ip().counters().lost > 0, "{percent} % loss");
    }
}

#[test]
fn the_same_seed_gives_the_same_log_across_the_network() {
    let digest = |seed| {
        run(
            seed,
            vec![connect("ras-2.operator.example", get("/style.css"))],
        )
        .digest()
    };
    assert_eq!(digest(7), digest(7));
    assert_ne!(digest(7), digest(8));
}

#[test]
fn every_recorded_timer_caused_something() {
    let faults = LinkFaults {
        loss_percent: 20,
        ..LinkFaults::default()
    };
    let timeline = run(
        9,
        vec![
            Action::SetFaults {
                link: Link::Backbone,
                faults,
            },
            connect("ras-1.operator.example", get("/index.html")),
        ],
    );
    let log = timeline.log();
    let timers: Vec<u64> = log
        .iter()
        .filter(|e| e.layer == Layer::Timer)
        .map(|e| e.step)
        .collect();
    assert!(!timers.is_empty(), "20 % loss and no retransmission timer");
    for step in timers {
        assert!(
            log.iter().any(|e| e.caused_by == Some(step)),
            "timer event {step} caused nothing"
        );
    }
}

/// The card listening, a server reading `/manual.html`, and `cut` once the card has
/// started taking the request in (the first RECEIVE DATA).
fn cut_mid_transfer(seed: u64, link: Link) -> Timeline {
    let mut timeline = Scenario::ScwsStart.record(seed);
    timeline.act(connect("ras-1.operator.example", get("/manual.html")));
    while timeline
        .advance()
        .is_some_and(|e| !e.title.starts_with("SEND DATA"))
    {}
    timeline.act(Action::CutLink(link));
    timeline.run(STEP_LIMIT);
    assert!(timeline.head().is_quiescent());
    timeline
}

/// The channel status event downloads the card got, as (status byte 1, byte 2).
fn channel_status_events(timeline: &Timeline) -> Vec<(u8, u8)> {
    timeline
        .log()
        .iter()
        .filter(|e| e.title == "ENVELOPE" && e.bytes.get(9) == Some(&0x0A))
        .map(|e| (e.bytes[e.bytes.len() - 2], e.bytes[e.bytes.len() - 1]))
        .collect()
}

#[test]
fn a_cut_backbone_resets_both_ends_and_the_card_hears_link_dropped() {
    let timeline = cut_mid_transfer(11, Link::Backbone);
    let world = timeline.head();
    let session = &world.server().sessions().sessions()[0];
    assert_eq!(
        session.state,
        SessionState::Failed("connection reset by the phone".into())
    );
    // Established (81 00), then link dropped (01 05), then back to listening (41 00).
    assert_eq!(
        channel_status_events(&timeline),
        [(0x81, 0x00), (0x01, 0x05), (0x41, 0x00)]
    );
    assert!(timeline
        .log()
        .iter()
        .any(|e| e.title.starts_with("CLOSE CHANNEL")));
    let channel = world.phone().gateway().channel(1).unwrap();
    assert_eq!(channel.state, crate::phone::gateway::LinkState::Listen);
}

#[test]
fn a_cut_radio_ends_the_ip_session_and_the_card_hears_link_dropped() {
    let timeline = cut_mid_transfer(12, Link::Radio);
    let world = timeline.head();
    assert!(world.phone().net().address().is_none());
    assert!(world.network().ip().context().is_none());
    assert_eq!(
        channel_status_events(&timeline),
        [(0x81, 0x00), (0x01, 0x05), (0x41, 0x00)]
    );
    // The server had nothing more to send: its connection is half-open and it does not
    // know yet. Its FIN goes unanswered until the retransmissions run out.
    let session = &world.server().sessions().sessions()[0];
    assert_eq!(session.state, SessionState::Open);
    let id = session.id;
    let mut timeline = timeline;
    timeline.act(Action::ServerClose(id));
    timeline.run(STEP_LIMIT);
    let session = &timeline.head().server().sessions().sessions()[0];
    assert_eq!(
        session.state,
        SessionState::Failed("no answer: timed out".into())
    );
}

/// The card listening on 4116 as well (a second SCWS start, port 4116), then `actions`.
pub(super) fn run_secure(seed: u64, actions: Vec<Action>) -> (Timeline, usize) {
    let mut timeline = Scenario::ScwsStart.record(seed);
    let start = timeline.head().server().request(
        crate::server::SCWS_ADMIN_TAR,
        vec![0xA0, 0x04, 0x80, 0x02, 0x10, 0x14],
    );
    timeline.act(Action::ServerSendOta(start));
    timeline.run(STEP_LIMIT);
    assert_eq!(timeline.head().phone().gateway().channels().count(), 2);
    let card_exchanges = messages_to_card(&timeline);
    for action in actions {
        timeline.act(action);
    }
    timeline.run(STEP_LIMIT);
    assert!(timeline.head().is_quiescent());
    (timeline, card_exchanges)
}

#[test]
fn a_server_with_a_certificate_from_the_demo_ca_reads_a_page_over_tls() {
    let (timeline, _) = run_secure(
        13,
        vec![connect_secure("ras-2.operator.example", get("/style.css"))],
    );
    let world = timeline.head();
    let session = &world.server().sessions().sessions()[0];
    assert_eq!(session.state, SessionState::Finished);
    let page = world.card().scws_resource("/style.css").unwrap();
    assert_eq!(body(&session.received), page.body);
    // On the wire, TLS records (content type 16 handshake, 17 application data), never
    // the request in clear.
    let request = get("/style.css");
    assert!(!timeline
        .log()
        .iter()
        .any(|e| e.layer == Layer::Tcp && e.bytes.windows(request.len()).any(|w| w == request)));
    // The card was told who connected, and that the link is secure.
    let channel = world.phone().gateway().channel(2).unwrap();
    assert_eq!(channel.counters.connections, 1);
    assert!(timeline
        .log()
        .iter()
        .any(|e| e.title == "TERMINAL RESPONSE"
            && e.bytes.windows(request.len()).any(|w| w == request)));
}

#[test]
fn a_server_with_a_certificate_from_another_ca_is_refused_and_the_card_hears_nothing() {
    let (timeline, card_exchanges) =
        run_secure(14, vec![connect_secure("rogue", get("/index.html"))]);
    let world = timeline.head();
    let session = &world.server().sessions().sessions()[0];
    assert!(
        matches!(&session.state, SessionState::Failed(_)),
        "{:?}",
        session.state
    );
    assert!(session.received.is_empty());
    assert_eq!(world.phone().net().refused(), 1);
    let why = world.phone().net().last_tls_error().unwrap();
    assert!(why.contains("issuer"), "{why}");
    let after = messages_to_card(&timeline);
    assert_eq!(after, card_exchanges, "the card saw an APDU");
}

/// A 20 000-byte request body: the gateway's buffer never holds more than the channel's
/// buffer size (the TCP window closes instead), and each RECEIVE DATA carries as much as
/// one TERMINAL RESPONSE can.
#[test]
fn a_bulk_upload_is_paced_by_the_card_and_fills_each_receive_data() {
    let size = 20_000;
    let mut request = format!(
        "PUT /upload.bin HTTP/1.1\r\nHost: 192.0.2.10:3516\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    let head = request.len();
    request.extend((0..size).map(|i| (i % 251) as u8));
    let mut timeline = Scenario::ScwsStart.record(15);
    let start = timeline.log().len();
    timeline.act(connect("ras-1.operator.example", request.clone()));
    let mut most_waiting = 0;
    while timeline.advance().is_some() {
        if let Some(channel) = timeline.head().phone().gateway().channel(1) {
            assert!(channel.rx_len() <= usize::from(channel.buffer_size));
            most_waiting = most_waiting.max(channel.rx_len());
        }
    }
    let buffer = usize::from(
        timeline
            .head()
            .phone()
            .gateway()
            .channel(1)
            .unwrap()
            .buffer_size,
    );
    assert_eq!(
        most_waiting, buffer,
        "the buffer never filled: no backpressure"
    );
    // The card took every byte of the request, in order, through RECEIVE DATA.
    let log = &timeline.log()[start..];
    let mut received = Vec::new();
    let mut receive_data = 0;
    for (i, event) in log.iter().enumerate() {
        if event.title.starts_with("RECEIVE DATA") {
            receive_data += 1;
            let response = log[i..]
                .iter()
                .find(|e| e.title == "TERMINAL RESPONSE")
                .expect("the RECEIVE DATA's TERMINAL RESPONSE");
            let tr = crate::wire::cat::TerminalResponse::parse(&response.bytes[5..]).unwrap();
            let data = tr.objects().iter().find_map(|o| match &o.object {
                crate::wire::cat::Object::ChannelData(bytes) => Some(bytes.clone()),
                _ => None,
            });
            received.extend(data.unwrap_or_default());
        }
    }
    assert_eq!(received, request);
    // The upload became a resource (PUT is served, see src/sim/admin_tests.rs).
    let stored = timeline.head().card().scws_resource("/upload.bin").unwrap();
    assert_eq!(stored.body, request[head..]);
    let per_command = received.len() as f64 / f64::from(receive_data);
    let maximum = crate::phone::bip::MAX_RECEIVE_CHUNK as f64;
    assert!(
        per_command >= 0.95 * maximum,
        "{per_command:.1} bytes per RECEIVE DATA of at most {maximum}"
    );
    assert!(head < received.len());
}

/// Client mode (the patent's claim 3): an OTA `A2` makes the card open a TCP client
/// channel to ras-1's port 80 and post its administration request; the server answers
/// 204 and the card closes the channel.
#[test]
fn the_card_connects_out_to_the_server_in_client_mode_and_closes_after_the_answer() {
    let mut timeline = Scenario::PowerOn.record(16);
    let connect = crate::card::scws_admin::AdminCommand::Connect(
        crate::card::scws_admin::Connect::tcp(std::net::Ipv4Addr::new(198, 51, 100, 10), 80),
    );
    let request = timeline
        .head()
        .server()
        .request(crate::server::SCWS_ADMIN_TAR, connect.emit());
    let start = timeline.log().len();
    timeline.act(Action::ServerSendOta(request));
    timeline.run(STEP_LIMIT);
    assert!(timeline.head().is_quiescent());
    let world = timeline.head();
    let session = &world.server().sessions().sessions()[0];
    assert!(session.inbound);
    assert_eq!(session.state, SessionState::Finished);
    let text = String::from_utf8_lossy(&session.received);
    assert!(text.starts_with("POST /"), "{text}");
    assert!(text.contains("X-Admin-From: "), "{text}");
    let log = &timeline.log()[start..];
    let names: Vec<&str> = log
        .iter()
        .filter_map(|e| {
            e.title
                .split(':')
                .next()
                .filter(|_| e.title.contains(": 90 00"))
        })
        .collect();
    assert_eq!(
        names,
        ["OPEN CHANNEL", "SEND DATA", "RECEIVE DATA", "CLOSE CHANNEL"],
        "the proactive commands in order"
    );
    // The TERMINAL RESPONSE to OPEN CHANNEL waited for the link: channel status 81 00.
    let open = log.iter().find(|e| e.title == "TERMINAL RESPONSE").unwrap();
    assert!(open.bytes.windows(4).any(|w| w == [0xB8, 0x02, 0x81, 0x00]));
    let syn = log
        .iter()
        .find(|e| e.title.starts_with("TCP ") && e.from == NodeId::Phone)
        .unwrap();
    assert!(syn.title.ends_with("→ 80 [SYN]"), "{}", syn.title);
    assert_eq!(world.phone().gateway().channels().count(), 0);
}

/// Patent step S600 for the gateway: the operator's server reconfigures a port by SMS.
fn configure(settings: &[u8]) -> Action {
    Action::ServerConfigureGateway(settings.to_vec())
}

#[test]
fn a_configuration_sms_lifts_the_allow_list_on_a_port() {
    let timeline = run(
        17,
        vec![
            configure(&[0x80, 0x02, 0x0D, 0xBC, 0x84, 0x01, 0x00]),
            connect("rogue", get("/readme.txt")),
        ],
    );
    let world = timeline.head();
    assert_eq!(
        world.phone().net().last_configuration(),
        Some("port 3516: plain TCP, verification none")
    );
    assert!(world.phone().inbox().is_empty(), "shown to the user");
    let session = &world.server().sessions().sessions()[0];
    assert_eq!(session.state, SessionState::Finished);
    let page = world.card().scws_resource("/readme.txt").unwrap();
    assert_eq!(body(&session.received), page.body);
}

#[test]
fn a_configuration_sms_puts_a_port_under_tls_with_certificates() {
    let mut timeline = run(
        18,
        vec![
            configure(&[0x80, 0x02, 0x0D, 0xBC, 0x84, 0x01, 0x02]),
            connect("ras-1.operator.example", get("/readme.txt")),
        ],
    );
    assert_eq!(
        timeline.head().phone().net().last_configuration(),
        Some("port 3516: TLS, verification certificate")
    );
    // In clear on a TLS port: the handshake fails, nothing reaches the card.
    let cards_before = messages_to_card(&timeline);
    let session = &timeline.head().server().sessions().sessions()[0];
    assert!(
        matches!(session.state, SessionState::Failed(_)),
        "{:?}",
        session.state
    );
    assert!(session.received.is_empty());
    // With TLS and ras-2's certificate: the page.
    timeline.act(Action::ServerConnect(ConnectRequest {
        server: "ras-2.operator.example".into(),
        port: 3516,
        send: get("/style.css"),
        secure: true,
    }));
    timeline.run(STEP_LIMIT);
    let world = timeline.head();
    let session = &world.server().sessions().sessions()[1];
    assert_eq!(session.state, SessionState::Finished);
    let page = world.card().scws_resource("/style.css").unwrap();
    assert_eq!(body(&session.received), page.body);
    assert!(messages_to_card(&timeline) > cards_before);
}

#[test]
fn two_servers_use_two_channels_at_once() {
    let (timeline, _) = run_secure(
        19,
        vec![
            connect("ras-1.operator.example", get("/manual.html")),
            connect_secure("ras-2.operator.example", get("/index.html")),
        ],
    );
    let world = timeline.head();
    let sessions = world.server().sessions().sessions();
    for (session, path) in sessions.iter().zip(["/manual.html", "/index.html"]) {
        assert_eq!(session.state, SessionState::Finished, "{path}");
        let page = world.card().scws_resource(path).unwrap();
        assert_eq!(body(&session.received), page.body, "{path}");
    }
    // Both links were up at the same time: each was established before the other ended.
    let statuses: Vec<(u64, u8, u8)> = timeline
        .log()
        .iter()
        .filter(|e| e.title == "ENVELOPE" && e.bytes.get(9) == Some(&0x0A))
        .map(|e| {
            (
                e.step,
                e.bytes[e.bytes.len() - 2],
                e.bytes[e.bytes.len() - 1],
            )
        })
        .collect();
    let up = |channel: u8| statuses.iter().find(|s| s.1 == 0x80 | channel).unwrap().0;
    // Down: back to listening (41 00, 42 00) or dropped (01 05, 02 05), whichever came.
    let down = |channel: u8| {
        statuses
            .iter()
            .find(|s| s.1 == 0x40 | channel || (s.1, s.2) == (channel, 0x05))
            .unwrap()
            .0
    };
    assert!(up(2) < down(1) && up(1) < down(2), "{statuses:02X?}");
}
