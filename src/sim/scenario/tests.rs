//! The OTA walk through the whole world: server, network, phone, card and back.

use super::*;
use crate::net::PHONE_NUMBER;
use crate::server::{OtaOutcome, OtaRequest};
use crate::sim::{Event, Layer, Node, NodeId};
use crate::wire::ota::{PorStatus, Spi, Tar};
use crate::wire::sms::TransferStatus;

/// (from, to, title) of each event.
fn walk(events: &[Event]) -> Vec<(NodeId, NodeId, String)> {
    events
        .iter()
        .map(|e| (e.from, e.to, e.title.clone()))
        .collect()
}

fn index_of(events: &[Event], title: &str) -> usize {
    events
        .iter()
        .position(|e| e.title == title)
        .unwrap_or_else(|| panic!("no {title} in {:?}", walk(events)))
}

#[test]
fn ota_scenario_walks_server_network_phone_card_and_back() {
    let timeline = Scenario::Ota.record(1);
    let log = timeline.log();
    let start = index_of(log, "Send OTA");
    assert_eq!(
        walk(&log[..start]).last().map(|(_, _, t)| t.as_str()),
        Some("Attach"),
        "power-on comes first, attach last"
    );
    let ota = &log[start..];
    use NodeId::*;
    let head = [
        (User, Server, "Send OTA"),
        (Server, Network, "SMS-SUBMIT"),
        (Network, Phone, "SMS-DELIVER"),
        (Phone, Card, "ENVELOPE"),
    ];
    for (event, (from, to, title)) in ota.iter().zip(head) {
        assert_eq!(
            (event.from, event.to, event.title.as_str()),
            (from, to, title)
        );
    }
    for event in &ota[1..3] {
        assert_eq!(event.layer, Layer::Sms);
        assert!(
            event.fields.uncovered(event.bytes.len()).is_empty(),
            "{}",
            event.title
        );
    }
    let answer = &ota[4];
    assert_eq!((answer.from, answer.to), (Card, Phone));
    let server = timeline.head().server();
    let outcome = server.sent()[0].outcome.clone();
    if answer.bytes[0] == 0x61 {
        // The card's OTA application ran the script and has a PoR.
        let tail: Vec<(NodeId, NodeId, String)> = walk(&ota[5..]);
        assert_eq!(tail.len(), 4, "{tail:?}");
        assert_eq!(
            (tail[0].0, tail[0].1, tail[0].2.as_str()),
            (Phone, Card, "GET RESPONSE")
        );
        assert_eq!((tail[1].0, tail[1].1), (Card, Phone));
        assert!(tail[1].2.starts_with("90 00 (+"), "{}", tail[1].2);
        assert_eq!(
            (tail[2].0, tail[2].1, tail[2].2.as_str()),
            (Phone, Network, "SMS-DELIVER-REPORT (RP-ACK)")
        );
        assert_eq!(
            (tail[3].0, tail[3].1, tail[3].2.as_str()),
            (Network, Server, "SMS-STATUS-REPORT (00)")
        );
        // The PoR travels unchanged: card → deliver report → status report.
        let por = &ota[6].bytes[..ota[6].bytes.len() - 2];
        assert_eq!(&por[..3], &[0x02, 0x71, 0x00]);
        assert!(ota[7].bytes.ends_with(por));
        assert!(ota[8].bytes.ends_with(por));
        let Some(OtaOutcome::Por(result)) = outcome else {
            panic!("no PoR read: {outcome:?}");
        };
        assert_eq!(result.status, PorStatus::Ok);
        assert!(result.protected, "a PoR for an accepted packet is secured");
        assert_eq!(result.counter, 1);
        let compact = result.compact.expect("a compact remote response");
        assert_eq!(compact.executed, 1, "SELECT MF ran");
        assert!(
            server
                .status_line()
                .contains("PoR 00 PoR OK, 1 command(s) executed"),
            "{}",
            server.status_line()
        );
    } else {
        // No OTA application yet: 6F 00, RP-ERROR D5, status report 40.
        assert_eq!(answer.bytes, [0x6F, 0x00]);
        assert_eq!(
            walk(&ota[5..]),
            [
                (
                    Phone,
                    Network,
                    "SMS-DELIVER-REPORT (RP-ERROR D5)".to_string()
                ),
                (Network, Server, "SMS-STATUS-REPORT (40)".to_string()),
            ]
        );
        assert_eq!(
            outcome,
            Some(OtaOutcome::NotDelivered(
                TransferStatus::REMOTE_PROCEDURE_ERROR
            ))
        );
    }
    let world = timeline.head();
    assert!(world.is_quiescent());
    assert!(world.phone().inbox().is_empty());
    assert!(world.network().stored().is_empty() && world.network().in_delivery().is_none());
    assert!(world
        .status_line(NodeId::Network)
        .contains("phone attached"));
    assert!(world
        .status_line(NodeId::Server)
        .starts_with("OTA #1 to TAR B00000"));
}

#[test]
fn a_second_ota_uses_the_next_counter_and_is_accepted_too() {
    let mut timeline = Scenario::Ota.record(2);
    timeline.act(Scenario::ota_request());
    timeline.run(STEP_LIMIT);
    let sent = timeline.head().server().sent();
    assert_eq!(sent.len(), 2);
    assert_eq!((sent[0].counter, sent[1].counter), (1, 2));
    assert_eq!(sent[0].outcome.is_some(), sent[1].outcome.is_some());
    if let Some(OtaOutcome::Por(first)) = &sent[0].outcome {
        let Some(OtaOutcome::Por(second)) = &sent[1].outcome else {
            panic!("{:?}", sent[1].outcome);
        };
        assert_eq!(first.status, PorStatus::Ok);
        assert_eq!(second.status, PorStatus::Ok, "counter 2 is higher than 1");
        assert_eq!(second.counter, 2);
    }
}

#[test]
fn an_sms_sent_before_power_on_is_delivered_after_attach() {
    let mut timeline = Timeline::new(World::new(3));
    timeline.act(Scenario::ota_request());
    timeline.run(STEP_LIMIT);
    assert_eq!(
        walk(timeline.log())
            .iter()
            .map(|(_, _, t)| t.as_str())
            .collect::<Vec<_>>(),
        ["Send OTA", "SMS-SUBMIT"],
        "the SMS centre keeps it while the phone is off"
    );
    assert_eq!(timeline.head().network().stored().len(), 1);
    assert!(timeline.head().is_quiescent());
    timeline.act(Action::PowerOn);
    timeline.run(STEP_LIMIT);
    let log = timeline.log();
    let attach = index_of(log, "Attach");
    let deliver = index_of(log, "SMS-DELIVER");
    assert!(attach < deliver);
    assert_eq!(log[deliver].caused_by, Some(log[attach].step));
    assert!(log[deliver].time.as_micros() - log[attach].time.as_micros() >= 1_000_000);
    assert!(log.iter().any(|e| e.title.starts_with("SMS-STATUS-REPORT")));
    assert!(timeline.head().server().sent()[0].outcome.is_some());
}

#[test]
fn a_tar_the_card_lacks_is_not_run() {
    // The shared vector's header (TAR B00011, SPI 06 19) with the card's triple DES
    // keys: the default card has no TAR B00011.
    let mut timeline = Scenario::PowerOn.record(4);
    let request = OtaRequest {
        tar: Tar([0xB0, 0x00, 0x11]),
        spi: Spi::new(0x06, 0x19),
        kic: 0x25,
        kid: 0x25,
        data: crate::server::SELECT_MF.to_vec(),
    };
    timeline.act(Action::ServerSendOta(request));
    timeline.run(STEP_LIMIT);
    let outcome = timeline.head().server().sent()[0].outcome.clone();
    match outcome {
        Some(OtaOutcome::Por(por)) => {
            assert_ne!(por.status, PorStatus::Ok);
            assert!(!por.protected, "a refused packet gets an unprotected PoR");
            // The card's error PoR: 62 F3, fetched with Le 00 then the length it gives,
            // acknowledged with RP-ACK (Release 11 and later).
            let titles: Vec<&str> = timeline.log().iter().map(|e| e.title.as_str()).collect();
            let envelope = titles.iter().position(|t| *t == "ENVELOPE").unwrap();
            assert_eq!(titles[envelope + 1], "62 F3");
            assert_eq!(
                timeline.log()[envelope + 2].bytes,
                [0x00, 0xC0, 0x00, 0x00, 0x00]
            );
            assert!(titles[envelope + 3].starts_with("6C "));
            assert!(titles.contains(&"SMS-DELIVER-REPORT (RP-ACK)"));
            assert!(titles.contains(&"SMS-STATUS-REPORT (00)"));
            assert!(timeline
                .head()
                .status_line(NodeId::Server)
                .contains("(unprotected)"));
        }
        Some(OtaOutcome::NotDelivered(_)) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        timeline.head().server().card().number,
        PHONE_NUMBER,
        "sent to the card's number"
    );
}

#[test]
fn a_long_script_goes_in_concatenated_sms_and_one_por_comes_back() {
    let mut timeline = Scenario::PowerOn.record(5);
    let script: Vec<u8> = crate::server::SELECT_MF
        .iter()
        .copied()
        .cycle()
        .take(7 * 25)
        .collect();
    let request = timeline
        .head()
        .server()
        .request(crate::server::RFM_TAR, script);
    timeline.act(Action::ServerSendOta(request));
    timeline.run(STEP_LIMIT);
    let log = timeline.log();
    let count = |prefix: &str| log.iter().filter(|e| e.title.starts_with(prefix)).count();
    let segments = timeline.head().server().sent()[0].message_references.len();
    assert!(segments > 1, "{segments} SMS");
    assert_eq!(count("SMS-SUBMIT ("), segments);
    assert_eq!(count("SMS-DELIVER ("), segments);
    assert_eq!(count("ENVELOPE"), segments);
    assert_eq!(count("SMS-STATUS-REPORT (00)"), segments);
    let outcome = timeline.head().server().sent()[0].outcome.clone();
    match outcome {
        Some(OtaOutcome::Por(por)) => {
            assert_eq!(por.status, PorStatus::Ok);
            assert_eq!(por.compact.map(|c| c.executed), Some(25));
        }
        other => assert!(
            matches!(other, Some(OtaOutcome::NotDelivered(_))),
            "{other:?}"
        ),
    }
}

#[test]
fn inspector_deciphers_the_command_packet_with_the_cards_keys() {
    let timeline = Scenario::Ota.record(1);
    let log = timeline.log();
    for title in ["SMS-SUBMIT", "SMS-DELIVER", "ENVELOPE"] {
        let event = &log[index_of(log, title)];
        let deciphered = event
            .fields
            .walk()
            .into_iter()
            .find(|f| f.path.ends_with("ota_command.secured.deciphered"))
            .unwrap_or_else(|| panic!("no deciphered data in the {title} event"));
        assert!(
            deciphered.value.contains("00A40004023F00"),
            "{title}: {}",
            deciphered.value
        );
        assert!(
            event.bytes.get(deciphered.range()).is_some(),
            "{title}: the deciphered field points into the event's bytes"
        );
    }
}

/// The SCWS start (patent S200–S300): the SMS wakes the admin agent, the card raises
/// OPEN CHANNEL in UICC server mode, the phone FETCHes it and listens on TCP 3516.
#[test]
fn scws_start_fetches_open_channel_and_listens_on_3516() {
    use crate::wire::cat::{
        ChannelState, Object, ProactiveCommand, TerminalResponse, TransportProtocol,
    };
    let timeline = Scenario::ScwsStart.record(1);
    let log = timeline.log();
    let start = index_of(log, "SMS-DELIVER");
    let titles: Vec<String> = log[start..]
        .iter()
        .map(|e| {
            if e.title.starts_with("61 ") || e.title.starts_with("GET RESPONSE") {
                e.title.split(' ').next().unwrap_or_default().to_string()
            } else {
                e.title.clone()
            }
        })
        .collect();
    assert_eq!(
        titles,
        [
            "SMS-DELIVER",
            "ENVELOPE",
            "61",
            "GET",
            "91 14 (+33 bytes)",
            "FETCH",
            "OPEN CHANNEL: 90 00 (+20 bytes)",
            "TERMINAL RESPONSE",
            "90 00",
            "SMS-DELIVER-REPORT (RP-ACK)",
            "SMS-STATUS-REPORT (00)",
        ]
    );
    let fetch = &log[start + index_of(&log[start..], "FETCH")..];
    assert_eq!(fetch[0].bytes, [0x80, 0x12, 0x00, 0x00, 0x14]);
    let d0 = &fetch[1].bytes[..fetch[1].bytes.len() - 2];
    let command = ProactiveCommand::parse(d0).unwrap();
    assert_eq!(command.details().command_type.0, 0x40);
    let transport = command.transport_level().unwrap();
    assert_eq!(
        (transport.protocol, transport.port),
        (TransportProtocol::TCP_SERVER, 3516)
    );
    let tr = &fetch[2].bytes;
    assert_eq!(tr[..5], [0x80, 0x14, 0x00, 0x00, 0x14]);
    assert_eq!(
        tr[5..17],
        [0x81, 0x03, 0x02, 0x40, 0x00, 0x82, 0x02, 0x82, 0x81, 0x83, 0x01, 0x00]
    );
    assert_eq!(tr[17..21], [0xB8, 0x02, 0x41, 0x00]);
    let response = TerminalResponse::parse(&tr[5..]).unwrap();
    let status = response
        .objects()
        .iter()
        .find_map(|o| match o.object {
            Object::ChannelStatus(s) => Some(s),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        (status.channel_id(), status.state()),
        (1, ChannelState::Listen)
    );
    assert_eq!(fetch[3].bytes, [0x90, 0x00]);
    let world = timeline.head();
    assert_eq!(
        world.phone().gateway().status_line(),
        "channel 1 listening on TCP 3516"
    );
    assert!(world
        .status_line(NodeId::Phone)
        .contains("channel 1 listening on TCP 3516"));
    let Some(OtaOutcome::Por(por)) = &world.server().sent()[0].outcome else {
        panic!("no PoR: {:?}", world.server().sent());
    };
    assert_eq!(por.status, PorStatus::Ok);
    assert_eq!(por.data, [0xB0, 0x01, 0x00]);
    assert!(world.is_quiescent());
}

#[test]
fn a_second_scws_start_on_the_same_port_is_refused_port_not_available() {
    let mut timeline = Scenario::ScwsStart.record(1);
    let before = timeline.log().len();
    timeline.act(Scenario::scws_start_request());
    timeline.run(STEP_LIMIT);
    let log = &timeline.log()[before..];
    let tr = &log[index_of(log, "TERMINAL RESPONSE")].bytes;
    // Command number 03 (01 was SET UP EVENT LIST, 02 the first OPEN CHANNEL), result
    // 3A 10 (BIP error, port not available).
    assert_eq!(
        tr[5..],
        [0x81, 0x03, 0x03, 0x40, 0x00, 0x82, 0x02, 0x82, 0x81, 0x83, 0x02, 0x3A, 0x10]
    );
    assert_eq!(timeline.head().phone().gateway().channels().count(), 1);
}

#[test]
fn scws_start_is_deterministic() {
    let a = Scenario::ScwsStart.record(5);
    let b = Scenario::ScwsStart.record(5);
    assert_eq!(a.digest(), b.digest());
    assert_eq!(Scenario::from_name("scws-start"), Some(Scenario::ScwsStart));
}

#[test]
fn scws_get_reads_the_index_page_over_bip() {
    let timeline = Scenario::ScwsGet.record(1);
    let world = timeline.head();
    assert!(world.is_quiescent());
    let session = &world.server().sessions().sessions()[0];
    assert_eq!(
        session.state,
        crate::server::session::SessionState::Finished
    );
    let page = world.card().scws_resource("/index.html").unwrap();
    assert!(session.received.ends_with(&page.body));
    assert!(timeline
        .log()
        .iter()
        .any(|e| e.title.starts_with("RECEIVE DATA")));
}

#[test]
fn usb_uicc_reads_the_index_page_without_bip() {
    let timeline = Scenario::UsbUicc.record(1);
    let world = timeline.head();
    let session = &world.server().sessions().sessions()[0];
    let page = world.card().scws_resource("/index.html").unwrap();
    assert!(session.received.ends_with(&page.body));
    assert!(world.phone().usb().is_some());
    assert!(!timeline
        .log()
        .iter()
        .any(|e| e.title.starts_with("OPEN CHANNEL")
            || e.title.starts_with("RECEIVE DATA")
            || e.title.starts_with("SEND DATA")));
    assert!(timeline
        .log()
        .iter()
        .any(|e| e.layer == crate::sim::Layer::Tcp && e.to == NodeId::Card));
}

#[test]
fn patent_runs_s200_to_s600_and_the_card_serves_the_new_page() {
    use crate::server::campaign::CampaignState;
    let timeline = Scenario::Patent.record(1);
    let world = timeline.head();
    assert!(world.is_quiescent());
    let run = world.server().campaign().unwrap();
    assert_eq!(run.state, CampaignState::Done, "{:#?}", run.journal);
    let page = &Scenario::patent_content()[0];
    assert_eq!(
        world.card().scws_resource("/index.html").unwrap().body,
        page.body
    );
    // The journal names every patent step, S200 to S600.
    for step in ["S200", "S400", "S500", "S600"] {
        assert!(
            run.journal.iter().any(|line| line.contains(step)),
            "{step} in {:#?}",
            run.journal
        );
    }
    // After S600 the card listens on 4116 too, and the last read went over TLS.
    let channels: Vec<u16> = world
        .phone()
        .gateway()
        .channels()
        .filter_map(|c| c.port())
        .collect();
    assert_eq!(channels, [3516, 4116]);
    let last = world.server().sessions().sessions().last().unwrap();
    assert!(last.request.secure);
}

#[test]
fn a_megabyte_pushed_through_the_patent_flow_arrives_byte_for_byte() {
    let body: Vec<u8> = (0..1_048_576u32).map(|i| (i * 7 % 251) as u8).collect();
    let content = [super::Upload {
        path: "/manual.bin".into(),
        content_type: "application/octet-stream".into(),
        body: body.clone(),
    }];
    let timeline = Scenario::record_patent(2, &content);
    let world = timeline.head();
    let run = world.server().campaign().unwrap();
    assert_eq!(
        run.state,
        crate::server::campaign::CampaignState::Done,
        "{:#?}",
        run.journal
    );
    assert_eq!(
        world.card().scws_resource("/manual.bin").unwrap().body,
        body
    );
}

#[test]
fn link_drop_reconnects_and_the_manual_arrives_whole() {
    use crate::server::campaign::CampaignState;
    let timeline = Scenario::LinkDrop.record(1);
    let world = timeline.head();
    assert!(world.is_quiescent(), "{} events", timeline.log().len());
    let run = world.server().campaign().unwrap();
    assert_eq!(run.state, CampaignState::Done, "{:#?}", run.journal);
    let reconnections: Vec<&String> = run
        .journal
        .iter()
        .filter(|line| line.contains("reconnecting"))
        .collect();
    // The PUT lost its connection; reconnecting may meet the channel still draining the
    // dropped link's bytes into the card (refused), then succeeds.
    assert!(!reconnections.is_empty(), "{:#?}", run.journal);
    assert!(
        reconnections[0].starts_with("PUT /manual.html"),
        "{}",
        reconnections[0]
    );
    assert!(run
        .journal
        .iter()
        .any(|l| l.starts_with("PUT /manual.html (65536 bytes): answered")));
    let manual = &Scenario::link_drop_content()[0];
    assert_eq!(
        world.card().scws_resource("/manual.html").unwrap().body,
        manual.body
    );
    // The card heard the link drop.
    assert!(timeline
        .log()
        .iter()
        .any(|e| e.title == "ENVELOPE" && e.bytes.ends_with(&[0xB8, 0x02, 0x01, 0x05])));
    assert!(Scenario::LinkDrop.check(world).is_ok());
}

#[test]
fn attack_is_refused_at_every_turn_and_changes_nothing() {
    let timeline = Scenario::Attack.record(1);
    let world = timeline.head();
    let words = Scenario::Attack
        .check(world)
        .expect("the attack scenario's checks");
    assert!(words.contains("replay answered PoR 02"), "{words}");
    assert!(words.contains("flipped byte answered PoR 01"), "{words}");
    // One OPEN CHANNEL only: the replayed start was not executed again.
    let opens = timeline
        .log()
        .iter()
        .filter(|e| e.title.starts_with("OPEN CHANNEL"))
        .count();
    assert_eq!(opens, 1);
    // The rogue's DELETE never reached the card.
    assert!(!timeline
        .log()
        .iter()
        .any(|e| e.to == NodeId::Card && e.bytes.windows(6).any(|w| w == b"DELETE")));
    assert_eq!(
        world.card().scws_resource("/index.html"),
        crate::card::Card::new().scws_resource("/index.html")
    );
}

#[test]
fn multi_server_updates_the_card_over_two_channels_at_once() {
    let timeline = Scenario::MultiServer.record(1);
    let world = timeline.head();
    let words = Scenario::MultiServer
        .check(world)
        .expect("both servers updated the card");
    assert!(words.contains("both updated"), "{words}");
    // Both connections were up together: each SYN-ACK came before either FIN.
    let log = timeline.log();
    let first = |needle: &str| {
        log.iter()
            .position(|e| e.title.starts_with("TCP ") && e.title.contains(needle))
            .unwrap_or(usize::MAX)
    };
    let handshakes = first("3516 → 49152 [SYN, ACK]").max(first("4116 → 49152 [SYN, ACK]"));
    assert!(
        handshakes < first("[FIN"),
        "the two sessions did not overlap"
    );
}
