//! The phone driven directly, with the card's answers scripted: each BIP command's
//! TERMINAL RESPONSE bytes, the event downloads, and the requests to the network side.

use super::super::gateway::{ConnectFailure, LinkState, NetIndication, NetRequest, Protocol};
use super::*;
use crate::sim::NodeId;
use crate::wire::cat::{BearerDescription, DeviceIdentity};
use crate::wire::hex;

/// A phone done with its start-up, attached, no channel open.
fn ready() -> Phone {
    let mut phone = Phone::new();
    phone.state = PhoneState::Ready;
    phone.attached = true;
    phone
}

/// The card announces `command` (`91 XX`), the phone FETCHes it and performs it: what
/// the phone sends then.
fn perform(phone: &mut Phone, command: &[u8]) -> Vec<Message> {
    assert_eq!(phone.state, PhoneState::Ready, "{:?}", phone.last_proactive);
    phone.proactive_pending = Some(command.len() as u8);
    let fetch = phone.carry_on();
    assert_eq!(
        fetch[0].payload,
        Payload::Command(vec![0x80, 0x12, 0, 0, command.len() as u8])
    );
    let mut answer = command.to_vec();
    answer.extend([0x90, 0x00]);
    phone.react(&Payload::Response(answer))
}

fn perform_hex(phone: &mut Phone, command: &str) -> Vec<Message> {
    perform(phone, &hex::parse(command).unwrap())
}

/// The data of the single command APDU `out` holds, after checking its CLA and INS.
fn apdu_data(out: &[Message], ins: u8) -> Vec<u8> {
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!((out[0].from, out[0].to), (NodeId::Phone, NodeId::Card));
    let Payload::Command(apdu) = &out[0].payload else {
        panic!("not a command: {:?}", out[0].payload);
    };
    let command = CommandApdu::parse(apdu).unwrap();
    assert_eq!((command.cla, command.ins), (0x80, ins));
    command.data
}

/// The TERMINAL RESPONSE in `out`, in hex.
fn tr(out: &[Message]) -> String {
    let data = apdu_data(out, 0x14);
    TerminalResponse::parse(&data).unwrap();
    hex::compact(&data)
}

/// The event download in `out`, in hex, checked by the wire codec.
fn envelope(out: &[Message]) -> String {
    let data = apdu_data(out, 0xC2);
    EventDownload::parse(&data).unwrap();
    hex::compact(&data)
}

/// The card answers the last APDU with `90 00`: what the phone sends then.
fn ok(phone: &mut Phone) -> Vec<Message> {
    phone.react(&Payload::Response(vec![0x90, 0x00]))
}

/// Performs `command` and checks its TERMINAL RESPONSE is `expected`; the card then
/// answers `90 00`: what the phone sends then.
fn expect(phone: &mut Phone, command: &str, expected: &str) -> Vec<Message> {
    let out = perform_hex(phone, command);
    assert_eq!(tr(&out), expected, "{command}");
    ok(phone)
}

const EVENTS_09_0A: &str = "D00D81030105008202818299020A09";
const EVENT_STATUS_ESTABLISHED: &str = "D60B99010A82028281B8028100";
const EVENT_STATUS_LISTEN: &str = "D60B99010A82028281B8024100";
const EVENT_STATUS_DROPPED: &str = "D60B99010A82028281B8020105";
const EVENT_DATA_AVAILABLE_FF: &str = "D60E99010982028281B8028100B701FF";
const CLOSE_CHANNEL_1: &str = "D009810301410082028121";
const RECEIVE_200: &str = "D00C810301420082028121B701C8";
const SEND_8_NOW: &str = "D013810301430182028121B6080001020304050607";
const GET_CHANNEL_STATUS: &str = "D009810301440082028182";

/// A phone with SET UP EVENT LIST 0A 09 done.
fn listening_for_events() -> Phone {
    let mut phone = ready();
    let after = expect(&mut phone, EVENTS_09_0A, "810301050082028281830100");
    assert!(after.is_empty());
    assert_eq!(
        phone.event_list(),
        [Event::CHANNEL_STATUS, Event::DATA_AVAILABLE]
    );
    phone
}

/// OPEN CHANNEL in UICC server mode on `port`, buffer `buffer`.
fn open_server(port: u16, buffer: u16) -> Vec<u8> {
    ProactiveCommand::new(
        1,
        CommandType::OPEN_CHANNEL,
        0,
        DeviceIdentity::UICC,
        DeviceIdentity::TERMINAL,
    )
    .with(Object::BufferSize(buffer))
    .with(Object::TransportLevel(TransportLevel {
        protocol: TransportProtocol::TCP_SERVER,
        port,
    }))
    .emit()
}

/// OPEN CHANNEL, TCP client to 10.0.0.1:443 over GPRS, APN "internet", buffer 1000.
fn open_client(qualifier: u8) -> ProactiveCommand {
    ProactiveCommand::new(
        1,
        CommandType::OPEN_CHANNEL,
        qualifier,
        DeviceIdentity::UICC,
        DeviceIdentity::TERMINAL,
    )
    .with(Object::BearerDescription(gprs()))
    .with(Object::BufferSize(1000))
    .with(Object::NetworkAccessName(b"\x08internet".to_vec()))
    .with(Object::TransportLevel(TransportLevel {
        protocol: TransportProtocol::TCP_CLIENT_REMOTE,
        port: 443,
    }))
    .with(Object::OtherAddress(OtherAddress::Ipv4(
        [10, 0, 0, 1].into(),
    )))
}

fn gprs() -> BearerDescription {
    BearerDescription {
        bearer_type: BearerType::PACKET,
        parameters: vec![0, 0, 3, 0, 0, 2],
    }
}

/// The bearer description and buffer size objects the client TRs end with.
const GPRS_1000: &str = "B50702000003000002B90203E8";

fn connect_request(channel: u8) -> NetRequest {
    NetRequest::Connect {
        channel,
        protocol: Protocol::Tcp,
        address: [10, 0, 0, 1],
        port: 443,
        apn: Some("internet".into()),
    }
}

fn received(channel: u8, bytes: Vec<u8>) -> NetIndication {
    NetIndication::Received { channel, bytes }
}

#[test]
fn set_up_event_list_replaces_the_list_and_refuses_unknown_events() {
    let mut phone = listening_for_events();
    // MT call (00) is not an event the phone reports: 30, list unchanged.
    expect(
        &mut phone,
        "D00D81030105008202818299020A00",
        "810301050082028281830130",
    );
    assert_eq!(phone.event_list().len(), 2);
    // An empty event list removes every event.
    expect(
        &mut phone,
        "D00B8103010500820281829900",
        "810301050082028281830100",
    );
    assert!(phone.event_list().is_empty());
}

#[test]
fn server_mode_life_cycle() {
    let mut phone = listening_for_events();
    expect(
        &mut phone,
        &hex::compact(&open_server(3516, 1400)),
        "810301400082028281830100B8024100B9020578",
    );
    assert_eq!(
        phone.take_net_requests(),
        [NetRequest::Listen {
            channel: 1,
            port: 3516
        }]
    );
    assert_eq!(phone.receive_space(1), 0, "no peer: nothing to read");

    // A server connects: channel status, link established.
    let peer = NetIndication::PeerConnected {
        channel: 1,
        peer: "198.51.100.7:50000".into(),
        secure: false,
    };
    let out = phone.network_indication(Instant(10), peer);
    assert_eq!(envelope(&out), EVENT_STATUS_ESTABLISHED);
    assert_eq!(phone.state, PhoneState::ExpectEventStatus);
    assert!(ok(&mut phone).is_empty());
    assert_eq!(phone.receive_space(1), 1400);

    // 300 bytes arrive: data available once, with FF (more than 255).
    let out = phone.network_indication(Instant(11), received(1, vec![0xAB; 300]));
    assert_eq!(envelope(&out), EVENT_DATA_AVAILABLE_FF);
    assert!(ok(&mut phone).is_empty());
    // More before the card read anything: no second event.
    let out = phone.network_indication(Instant(12), received(1, (0..50).collect()));
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(phone.receive_space(1), 1050);

    // RECEIVE DATA in pieces: 200, 150 left (96); then 150 of 200 asked: result 02.
    let out = perform_hex(&mut phone, RECEIVE_200);
    let first = tr(&out);
    assert_eq!(
        first,
        format!("810301420082028281830100B681C8{}B70196", "AB".repeat(200))
    );
    ok(&mut phone);
    let out = perform_hex(&mut phone, RECEIVE_200);
    let tail: Vec<u8> = std::iter::repeat_n(0xAB, 100).chain(0..50).collect();
    assert_eq!(
        tr(&out),
        format!(
            "810301420082028281830102B68196{}B70100",
            hex::compact(&tail)
        )
    );
    ok(&mut phone);
    // The buffer was emptied: the next bytes raise data available again.
    let out = phone.network_indication(Instant(13), received(1, vec![1, 2, 3]));
    assert_eq!(envelope(&out), "D60E99010982028281B8028100B70103");
    ok(&mut phone);

    // SEND DATA: store 4 bytes, then send immediately: all 12 bytes go.
    expect(
        &mut phone,
        "D00F810301430082028121B604DEADBEEF",
        "810301430082028281830100B701FF",
    );
    assert!(phone.take_net_requests().is_empty());
    expect(&mut phone, SEND_8_NOW, "810301430182028281830100B701FF");
    assert_eq!(
        phone.take_net_requests(),
        [NetRequest::Send {
            channel: 1,
            bytes: hex::parse("DEADBEEF0001020304050607").unwrap()
        }]
    );
    assert_eq!(phone.gateway().channel(1).unwrap().counters.sent, 12);

    // The server closes: channel status, link dropped.
    let out = phone.network_indication(Instant(20), NetIndication::PeerClosed { channel: 1 });
    assert_eq!(envelope(&out), EVENT_STATUS_DROPPED);
    ok(&mut phone);
    // SEND DATA on the dropped link: channel closed.
    expect(&mut phone, SEND_8_NOW, "81030143018202828183023A02");

    // CLOSE CHANNEL, "TCP in LISTEN state": the connection closes, the channel listens
    // again and the card hears so once the TERMINAL RESPONSE is done.
    let out = perform_hex(&mut phone, "D009810301410182028121");
    assert_eq!(tr(&out), "810301410182028281830100");
    assert_eq!(
        phone.take_net_requests(),
        [NetRequest::Close { channel: 1 }]
    );
    let out = ok(&mut phone);
    assert_eq!(envelope(&out), EVENT_STATUS_LISTEN);
    ok(&mut phone);
    let channel = phone.gateway().channel(1).unwrap();
    assert_eq!((channel.state, channel.rx_len()), (LinkState::Listen, 0));

    // CLOSE CHANNEL without LISTEN: no longer listened on, freed.
    expect(&mut phone, CLOSE_CHANNEL_1, "810301410082028281830100");
    assert_eq!(
        phone.take_net_requests(),
        [NetRequest::StopListening { channel: 1 }]
    );
    assert_eq!(phone.gateway().channels().count(), 0);
}

#[test]
fn client_mode_life_cycle_with_immediate_link_establishment() {
    let mut phone = listening_for_events();
    // The TERMINAL RESPONSE waits for the network.
    let out = perform(&mut phone, &open_client(0x01).emit());
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(phone.state, PhoneState::ExpectNetwork);
    assert_eq!(phone.take_net_requests(), [connect_request(1)]);
    // Bytes for a channel still connecting are not taken.
    assert_eq!(phone.receive_space(1), 0);
    let out = phone.network_indication(Instant(5), NetIndication::Connected { channel: 1 });
    assert_eq!(
        tr(&out),
        format!("810301400182028281830100B8028100{GPRS_1000}")
    );
    assert!(ok(&mut phone).is_empty(), "no event: the card has the TR");
    assert_eq!(
        phone.gateway().channel(1).unwrap().peer.as_deref(),
        Some("10.0.0.1:443")
    );

    expect(&mut phone, SEND_8_NOW, "810301430182028281830100B701FF");
    assert_eq!(
        phone.take_net_requests(),
        [NetRequest::Send {
            channel: 1,
            bytes: (0..8).collect()
        }]
    );
    let out = phone.network_indication(Instant(6), received(1, vec![9; 20]));
    assert_eq!(envelope(&out), "D60E99010982028281B8028100B70114");
    ok(&mut phone);
    expect(
        &mut phone,
        RECEIVE_200,
        &format!("810301420082028281830102B614{}B70100", "09".repeat(20)),
    );

    // The connection is reset: channel status, link dropped.
    let out = phone.network_indication(Instant(7), NetIndication::Reset { channel: 1 });
    assert_eq!(envelope(&out), EVENT_STATUS_DROPPED);
    ok(&mut phone);
    expect(&mut phone, RECEIVE_200, "81030142008202828183023A02");
    expect(
        &mut phone,
        GET_CHANNEL_STATUS,
        "810301440082028281830100B8020105",
    );
    expect(&mut phone, CLOSE_CHANNEL_1, "810301410082028281830100");
    assert_eq!(
        phone.take_net_requests(),
        [NetRequest::Close { channel: 1 }]
    );
    // Nothing open: one channel status 00 00.
    expect(
        &mut phone,
        GET_CHANNEL_STATUS,
        "810301440082028281830100B8020000",
    );
}

#[test]
fn connect_failures_answer_open_channel_and_free_the_channel() {
    let cases = [
        (ConnectFailure::Unreachable, "023A07"),
        (ConnectFailure::Security, "023A05"),
        (ConnectFailure::NetworkUnable, "022100"),
        (ConnectFailure::TerminalUnable, "022000"),
    ];
    for (reason, result) in cases {
        let mut phone = ready();
        perform(&mut phone, &open_client(0x01).emit());
        let failed = NetIndication::ConnectFailed { channel: 1, reason };
        let out = phone.network_indication(Instant(1), failed);
        assert_eq!(
            tr(&out),
            format!("81030140018202828183{result}{GPRS_1000}"),
            "{reason:?}"
        );
        assert_eq!(phone.gateway().channels().count(), 0);
        ok(&mut phone);
        assert_eq!(phone.state, PhoneState::Ready);
    }
}

#[test]
fn on_demand_link_is_set_up_by_the_first_send_data_that_sends() {
    let mut phone = listening_for_events();
    // At once: channel status 01 00, link not established.
    expect(
        &mut phone,
        &hex::compact(&open_client(0x00).emit()),
        &format!("810301400082028281830100B8020100{GPRS_1000}"),
    );
    assert!(phone.take_net_requests().is_empty());
    expect(
        &mut phone,
        "D00E810301430082028121B603AABBCC",
        "810301430082028281830100B701FF",
    );
    let out = perform_hex(&mut phone, SEND_8_NOW);
    assert!(out.is_empty());
    assert_eq!(phone.take_net_requests(), [connect_request(1)]);
    let out = phone.network_indication(Instant(3), NetIndication::Connected { channel: 1 });
    assert_eq!(tr(&out), "810301430182028281830100B701FF");
    let mut all = vec![0xAA, 0xBB, 0xCC];
    all.extend(0..8);
    assert_eq!(
        phone.take_net_requests(),
        [NetRequest::Send {
            channel: 1,
            bytes: all
        }]
    );
    assert!(ok(&mut phone).is_empty());
}

#[test]
fn background_connection_answers_at_once_and_reports_by_event() {
    let mut phone = listening_for_events();
    expect(
        &mut phone,
        &hex::compact(&open_client(0x05).emit()),
        &format!("810301400582028281830100B8020100{GPRS_1000}"),
    );
    assert_eq!(phone.take_net_requests(), [connect_request(1)]);
    let out = phone.network_indication(Instant(1), NetIndication::Connected { channel: 1 });
    assert_eq!(envelope(&out), EVENT_STATUS_ESTABLISHED);
}

#[test]
fn an_eighth_channel_is_no_channel_available() {
    let mut phone = ready();
    for port in 1..=7 {
        expect(
            &mut phone,
            &hex::compact(&open_server(port, 100)),
            &format!("810301400082028281830100B802{:02X}00B9020064", 0x40 | port),
        );
    }
    expect(
        &mut phone,
        &hex::compact(&open_client(0x01).emit()),
        &format!("81030140018202828183023A01{GPRS_1000}"),
    );
    let sids: Vec<u32> = phone.gateway().channels().map(|c| c.sid).collect();
    assert_eq!(sids, [1, 2, 3, 4, 5, 6, 7]);
}

#[test]
fn commands_on_a_channel_that_does_not_exist_are_channel_identifier_not_valid() {
    let mut phone = ready();
    expect(&mut phone, CLOSE_CHANNEL_1, "81030141008202828183023A03");
    expect(&mut phone, RECEIVE_200, "81030142008202828183023A03");
    expect(&mut phone, SEND_8_NOW, "81030143018202828183023A03");
    // Not even a channel identity (82 terminal) as destination.
    expect(
        &mut phone,
        "D009810301410082028182",
        "81030141008202828183023A03",
    );
}

#[test]
fn send_data_beyond_the_tx_buffer_is_buffer_size_not_available() {
    let mut phone = ready();
    perform_hex(&mut phone, &hex::compact(&open_server(3516, 8)));
    ok(&mut phone);
    let peer = NetIndication::PeerConnected {
        channel: 1,
        peer: "x".into(),
        secure: true,
    };
    assert!(phone.network_indication(Instant(0), peer).is_empty());
    // 8 bytes stored: none free.
    expect(
        &mut phone,
        "D013810301430082028121B6080001020304050607",
        "810301430082028281830100B70100",
    );
    expect(&mut phone, SEND_8_NOW, "81030143018202828183023A04");
    assert!(phone
        .take_net_requests()
        .iter()
        .all(|r| !matches!(r, NetRequest::Send { .. })));
}

#[test]
fn receive_data_never_returns_more_than_one_terminal_response_can_carry() {
    let mut phone = ready();
    perform_hex(&mut phone, &hex::compact(&open_server(3516, 1400)));
    ok(&mut phone);
    let peer = NetIndication::PeerConnected {
        channel: 1,
        peer: "x".into(),
        secure: false,
    };
    phone.network_indication(Instant(0), peer);
    phone.network_indication(Instant(0), received(1, vec![7; 400]));
    let out = perform_hex(&mut phone, "D00C810301420082028121B701FF");
    let data = apdu_data(&out, 0x14);
    assert_eq!(data.len(), 255, "Lc at its maximum");
    let response = TerminalResponse::parse(&data).unwrap();
    assert_eq!(
        response.channel_data().map(<[u8]>::len),
        Some(MAX_RECEIVE_CHUNK)
    );
    assert_eq!(
        response.result().general,
        GeneralResult::PERFORMED_WITH_MISSING_INFO
    );
    assert_eq!(
        response.channel_data_length(),
        Some(163),
        "400 - 237 still waiting"
    );
}

#[test]
fn events_the_card_did_not_ask_for_are_never_sent() {
    let mut phone = ready();
    perform_hex(&mut phone, &hex::compact(&open_server(3516, 1400)));
    ok(&mut phone);
    let peer = NetIndication::PeerConnected {
        channel: 1,
        peer: "x".into(),
        secure: false,
    };
    assert!(phone.network_indication(Instant(0), peer).is_empty());
    assert!(phone
        .network_indication(Instant(0), received(1, vec![1]))
        .is_empty());
    assert!(phone
        .network_indication(Instant(0), NetIndication::Reset { channel: 1 })
        .is_empty());
    assert_eq!(phone.state, PhoneState::Ready);
    // Only channel status asked for: data available stays silent.
    expect(
        &mut phone,
        "D00C81030105008202818299010A",
        "810301050082028281830100",
    );
    // The LISTEN event follows the TERMINAL RESPONSE.
    let out = expect(
        &mut phone,
        "D009810301410182028121",
        "810301410182028281830100",
    );
    assert_eq!(envelope(&out), EVENT_STATUS_LISTEN);
    assert!(ok(&mut phone).is_empty());
    assert_eq!(
        phone.last_event(),
        Some("0A channel status: card answered 9000")
    );
    let peer = NetIndication::PeerConnected {
        channel: 1,
        peer: "y".into(),
        secure: false,
    };
    let out = phone.network_indication(Instant(0), peer);
    assert_eq!(envelope(&out), EVENT_STATUS_ESTABLISHED);
    ok(&mut phone);
    assert!(phone
        .network_indication(Instant(0), received(1, vec![1]))
        .is_empty());
}

#[test]
fn events_wait_for_the_card_to_be_free_and_a_busy_card_gets_them_again() {
    let mut phone = listening_for_events();
    perform_hex(&mut phone, &hex::compact(&open_server(3516, 1400)));
    // The TERMINAL RESPONSE is at the card: the event waits.
    let peer = NetIndication::PeerConnected {
        channel: 1,
        peer: "x".into(),
        secure: false,
    };
    assert!(phone.network_indication(Instant(0), peer).is_empty());
    // 91 XX after the TR: the proactive command goes first.
    let out = phone.react(&Payload::Response(vec![0x91, 0x09]));
    assert_eq!(out[0].payload, Payload::Command(vec![0x80, 0x12, 0, 0, 9]));
    let out = phone.react(&Payload::Response(
        hex::parse(&format!("{GET_CHANNEL_STATUS}9000")).unwrap(),
    ));
    assert_eq!(tr(&out), "810301440082028281830100B8028100");
    let out = ok(&mut phone);
    assert_eq!(envelope(&out), EVENT_STATUS_ESTABLISHED);
    // Toolkit busy: offered again at the phone's next step, at most three times.
    for attempt in 1..MAX_EVENT_ATTEMPTS {
        let out = phone.react(&Payload::Response(vec![0x93, 0x00]));
        assert!(out.is_empty(), "not at once");
        assert!(phone.last_event().unwrap().contains("offered again"));
        let out = phone.network_indication(
            Instant(u64::from(attempt)),
            NetIndication::Connected { channel: 5 },
        );
        assert_eq!(
            envelope(&out),
            EVENT_STATUS_ESTABLISHED,
            "attempt {attempt}"
        );
    }
    assert!(phone.react(&Payload::Response(vec![0x93, 0x00])).is_empty());
    assert!(phone.last_event().unwrap().ends_with("3 times, dropped"));
    assert!(phone
        .network_indication(Instant(9), NetIndication::Connected { channel: 5 })
        .is_empty());
}

#[test]
fn client_open_channel_refusals() {
    // Bearer CSD: beyond capabilities.
    let mut csd = open_client(0x01);
    let mut phone = ready();
    csd = ProactiveCommand::new(
        1,
        CommandType::OPEN_CHANNEL,
        1,
        DeviceIdentity::UICC,
        DeviceIdentity::TERMINAL,
    )
    .with(Object::BearerDescription(BearerDescription {
        bearer_type: BearerType::CSD,
        parameters: vec![],
    }))
    .with(Object::Address(crate::wire::cat::Address {
        ton_npi: 0x91,
        bcd: vec![0x21, 0x43],
    }))
    .with(Object::BufferSize(100))
    .with(csd.objects()[5].clone());
    expect(
        &mut phone,
        &hex::compact(&csd.emit()),
        "810301400182028281830130",
    );
    // IPv6 destination: beyond capabilities; no destination: required values missing.
    let v6 = ProactiveCommand::new(
        1,
        CommandType::OPEN_CHANNEL,
        1,
        DeviceIdentity::UICC,
        DeviceIdentity::TERMINAL,
    )
    .with(Object::BearerDescription(gprs()))
    .with(Object::BufferSize(100))
    .with(Object::TransportLevel(TransportLevel {
        protocol: TransportProtocol::UDP_CLIENT_REMOTE,
        port: 53,
    }));
    expect(
        &mut phone,
        &hex::compact(&v6.emit()),
        "810301400182028281830136",
    );
    let v6 = v6.with(Object::OtherAddress(OtherAddress::Ipv6(
        "2001:db8::1".parse().unwrap(),
    )));
    expect(
        &mut phone,
        &hex::compact(&v6.emit()),
        "810301400182028281830130",
    );
    assert_eq!(phone.gateway().channels().count(), 0);
    assert!(phone.take_net_requests().is_empty());
}

#[test]
fn udp_client_connects_with_its_protocol() {
    let mut phone = ready();
    let udp = ProactiveCommand::new(
        2,
        CommandType::OPEN_CHANNEL,
        1,
        DeviceIdentity::UICC,
        DeviceIdentity::TERMINAL,
    )
    .with(Object::BearerDescription(BearerDescription {
        bearer_type: BearerType::DEFAULT,
        parameters: vec![],
    }))
    .with(Object::BufferSize(1500))
    .with(Object::TransportLevel(TransportLevel {
        protocol: TransportProtocol::UDP_CLIENT_REMOTE,
        port: 53,
    }))
    .with(Object::OtherAddress(OtherAddress::Ipv4(
        [192, 0, 2, 53].into(),
    )));
    assert!(perform(&mut phone, &udp.emit()).is_empty());
    assert_eq!(
        phone.take_net_requests(),
        [NetRequest::Connect {
            channel: 1,
            protocol: Protocol::Udp,
            address: [192, 0, 2, 53],
            port: 53,
            apn: None
        }]
    );
    // Buffer cut to 1400 (0578): performed with modification, default bearer echoed.
    let out = phone.network_indication(Instant(0), NetIndication::Connected { channel: 1 });
    assert_eq!(tr(&out), "810302400182028281830107B8028100B50103B9020578");
}

#[test]
fn switching_off_closes_every_channel() {
    let mut phone = ready();
    perform_hex(&mut phone, &hex::compact(&open_server(3516, 100)));
    ok(&mut phone);
    perform(&mut phone, &open_client(0x01).emit());
    phone.network_indication(Instant(0), NetIndication::Connected { channel: 2 });
    ok(&mut phone);
    phone.take_net_requests();
    phone.react(&Payload::Action(crate::sim::Action::PowerOn));
    assert_eq!(
        phone.take_net_requests(),
        [
            NetRequest::StopListening { channel: 1 },
            NetRequest::Close { channel: 2 }
        ]
    );
    assert_eq!(phone.gateway().channels().count(), 0);
}

#[test]
fn a_failed_on_demand_link_answers_send_data_and_leaves_the_channel_dropped() {
    let mut phone = listening_for_events();
    perform(&mut phone, &open_client(0x00).emit());
    ok(&mut phone);
    assert!(perform_hex(&mut phone, SEND_8_NOW).is_empty());
    let failed = NetIndication::ConnectFailed {
        channel: 1,
        reason: ConnectFailure::Unreachable,
    };
    let out = phone.network_indication(Instant(1), failed);
    assert_eq!(tr(&out), "81030143018202828183023A07");
    assert!(ok(&mut phone).is_empty(), "the card has the TR: no event");
    let channel = phone.gateway().channel(1).unwrap();
    assert_eq!((channel.state, channel.tx_len()), (LinkState::Dropped, 0));
    expect(
        &mut phone,
        GET_CHANNEL_STATUS,
        "810301440082028281830100B8020105",
    );
}

#[test]
fn a_short_message_waits_while_a_terminal_response_waits_for_the_network() {
    let mut phone = ready();
    perform(&mut phone, &open_client(0x01).emit());
    let sms = Payload::SmsDeliver {
        service_centre: vec![0x91, 0x21],
        tpdu: hex::parse("040B911346610089F60000804011116432400CC8F71D14969741F977FD07").unwrap(),
    };
    assert!(phone.react(&sms).is_empty());
    assert!(phone
        .react(&Payload::Action(crate::sim::Action::SendApdu(vec![
            0, 0xB0, 0, 0, 1
        ])))
        .is_empty());
    let out = phone.network_indication(Instant(1), NetIndication::Connected { channel: 1 });
    assert_eq!(
        tr(&out),
        format!("810301400182028281830100B8028100{GPRS_1000}")
    );
    // Once the card has the TERMINAL RESPONSE, the short message goes on.
    let out = ok(&mut phone);
    assert!(matches!(&out[0].payload, Payload::SmsDeliverReport { .. }));
    assert_eq!(phone.inbox().len(), 1);
}
