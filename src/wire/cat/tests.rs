//! The public CAT/BIP conformance vectors (3GPP TS 31.124 / ETSI TS 102 384, listed in
//! `shared/vectors/README.md`), run pySim style: each vector names the fields it must
//! decode to, and one generic test runs them all.

use super::*;
use crate::wire::hex;

/// Which typed parser a vector belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    Proactive,
    Event,
    Response,
}

/// One vector: its name, bytes, form and the `(path, value)` pairs its field tree holds.
pub(crate) struct Vector {
    pub name: &'static str,
    pub hex: &'static str,
    pub form: Form,
    pub fields: &'static [(&'static str, &'static str)],
}

pub(crate) const VECTORS: &[Vector] = &[
    Vector {
        name: "CLOSE CHANNEL (channel 1)",
        hex: "D009810301410082028121",
        form: Form::Proactive,
        fields: &[
            ("proactive.command_details.number", "1"),
            ("proactive.command_details.type", "41 CLOSE CHANNEL"),
            ("proactive.command_details.qualifier", "00"),
            ("proactive.device_identities.source", "81 UICC"),
            ("proactive.device_identities.destination", "21 channel 1"),
        ],
    },
    Vector {
        name: "RECEIVE DATA (200 bytes, channel 1)",
        hex: "D00C810301420082028121B701C8",
        form: Form::Proactive,
        fields: &[
            ("proactive.command_details.type", "42 RECEIVE DATA"),
            ("proactive.device_identities.destination", "21 channel 1"),
            ("proactive.channel_data_length", "200 bytes requested"),
            ("proactive.channel_data_length.value", "200 bytes requested"),
        ],
    },
    Vector {
        name: "SEND DATA immediately (8 bytes, ch 1)",
        hex: "D013810301430182028121B6080001020304050607",
        form: Form::Proactive,
        fields: &[
            ("proactive.command_details.type", "43 SEND DATA"),
            ("proactive.command_details.qualifier", "01"),
            ("proactive.channel_data", "8 byte(s)"),
            ("proactive.channel_data.data", "0001020304050607"),
        ],
    },
    Vector {
        name: "GET CHANNEL STATUS",
        hex: "D009810301440082028182",
        form: Form::Proactive,
        fields: &[
            ("proactive.command_details.type", "44 GET CHANNEL STATUS"),
            ("proactive.device_identities.destination", "82 terminal"),
        ],
    },
    Vector {
        name: "TERMINAL RESPONSE SEND DATA (>255 free)",
        hex: "810301430182028281830100b701ff",
        form: Form::Response,
        fields: &[
            ("terminal_response.command_details.type", "43 SEND DATA"),
            ("terminal_response.device_identities.source", "82 terminal"),
            ("terminal_response.device_identities.destination", "81 UICC"),
            (
                "terminal_response.result.general",
                "00 command performed successfully",
            ),
            (
                "terminal_response.channel_data_length",
                "more than 255 bytes of empty space in the Tx buffer",
            ),
        ],
    },
    Vector {
        name: "EVENT DOWNLOAD data available",
        hex: "D60E99010982028281B8028100B701FF",
        form: Form::Event,
        fields: &[
            ("event_download.event_list.event", "09 data available"),
            ("event_download.device_identities.source", "82 terminal"),
            ("event_download.channel_status.channel_id", "1"),
            (
                "event_download.channel_status.state",
                "link established / TCP in ESTABLISHED state",
            ),
            (
                "event_download.channel_data_length",
                "more than 255 bytes available in the Rx buffer",
            ),
        ],
    },
    Vector {
        name: "EVENT DOWNLOAD channel status: LISTEN",
        hex: "D60B99010A82028281B8024100",
        form: Form::Event,
        fields: &[
            ("event_download.event_list.event", "0A channel status"),
            (
                "event_download.channel_status",
                "channel 1, TCP in LISTEN state",
            ),
            ("event_download.channel_status.state", "TCP in LISTEN state"),
            (
                "event_download.channel_status.further_info",
                "00 no further info can be given",
            ),
        ],
    },
    Vector {
        name: "EVENT DOWNLOAD channel status: dropped",
        hex: "D60B99010A82028281B8020105",
        form: Form::Event,
        fields: &[
            (
                "event_download.channel_status",
                "channel 1, link not established / TCP in CLOSED state, link dropped",
            ),
            (
                "event_download.channel_status.further_info",
                "05 link dropped (network failure or user cancellation)",
            ),
        ],
    },
];

pub(crate) fn bytes(v: &Vector) -> Vec<u8> {
    hex::parse(v.hex).expect("vector hex")
}

/// Parses with the vector's typed parser and re-emits.
fn typed(form: Form, raw: &[u8]) -> Result<(Vec<u8>, Field), DecodeError> {
    Ok(match form {
        Form::Proactive => {
            let p = ProactiveCommand::parse(raw)?;
            assert_eq!(p.buffer_len(), p.emit().len());
            (p.emit(), p.describe())
        }
        Form::Event => {
            let e = EventDownload::parse(raw)?;
            assert_eq!(e.buffer_len(), e.emit().len());
            (e.emit(), e.describe())
        }
        Form::Response => {
            let t = TerminalResponse::parse(raw)?;
            assert_eq!(t.buffer_len(), t.emit().len());
            (t.emit(), t.describe())
        }
    })
}

/// Every field lies within the input and within its parent.
pub(crate) fn assert_ranges_sane(field: &Field, total: usize, name: &str) {
    assert!(
        field.start + field.len <= total,
        "{name}: {} out of input",
        field.path
    );
    for child in &field.children {
        assert!(
            child.start >= field.start && child.start + child.len <= field.start + field.len,
            "{name}: {} [{}..{}] outside parent {} [{}..{}]",
            child.path,
            child.start,
            child.start + child.len,
            field.path,
            field.start,
            field.start + field.len
        );
        assert_ranges_sane(child, total, name);
    }
}

#[test]
fn every_vector_decodes_to_its_named_fields() {
    for v in VECTORS {
        let raw = bytes(v);
        let (_, tree) = typed(v.form, &raw).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        for (path, value) in v.fields {
            let field = tree.find(path).unwrap_or_else(|| {
                panic!("{}: no field {path}\n{}", v.name, tree.render_tree(None))
            });
            assert_eq!(field.value, *value, "{}: {path}", v.name);
        }
    }
}

#[test]
fn every_vector_round_trips() {
    for v in VECTORS {
        let raw = bytes(v);
        let (again, _) = typed(v.form, &raw).unwrap();
        assert_eq!(again, raw, "{}", v.name);
    }
}

#[test]
fn every_truncation_of_every_vector_is_rejected() {
    for v in VECTORS {
        let raw = bytes(v);
        for cut in 0..raw.len() {
            assert!(
                typed(v.form, &raw[..cut]).is_err(),
                "{}: prefix of {cut} bytes accepted",
                v.name
            );
        }
    }
}

#[test]
fn every_vector_field_lies_within_input_and_parent_and_covers_all_bytes() {
    for v in VECTORS {
        let raw = bytes(v);
        let (_, tree) = typed(v.form, &raw).unwrap();
        assert_eq!(tree.start, 0, "{}", v.name);
        assert_eq!(tree.len, raw.len(), "{}", v.name);
        assert_ranges_sane(&tree, raw.len(), v.name);
        assert!(tree.uncovered(raw.len()).is_empty(), "{}", v.name);
    }
}

#[test]
fn receive_data_vector_has_typed_values() {
    let cmd = ProactiveCommand::parse(&bytes(&VECTORS[1])).unwrap();
    assert_eq!(cmd.details().command_type, CommandType::RECEIVE_DATA);
    assert_eq!(cmd.details().command_type.name(), Some("RECEIVE DATA"));
    assert_eq!(cmd.channel_data_length(), Some(200));
    assert_eq!(cmd.devices().destination.channel_id(), Some(1));
    assert_eq!(cmd.devices().source, DeviceIdentity::UICC);
}

#[test]
fn send_data_vector_sends_immediately() {
    let cmd = ProactiveCommand::parse(&bytes(&VECTORS[2])).unwrap();
    assert_eq!(cmd.details().qualifier & 0x01, 0x01);
    assert_eq!(cmd.channel_data(), Some(&[0, 1, 2, 3, 4, 5, 6, 7][..]));
    let tree = cmd.describe();
    assert_eq!(
        tree.find("proactive.command_details.qualifier")
            .map(|f| f.note.as_str()),
        Some("send data immediately")
    );
}

#[test]
fn close_channel_vector_targets_channel_one() {
    let cmd = ProactiveCommand::parse(&bytes(&VECTORS[0])).unwrap();
    assert_eq!(cmd.details().command_type, CommandType::CLOSE_CHANNEL);
    assert_eq!(cmd.devices().destination, DeviceIdentity::channel(1));
    assert!(cmd
        .describe()
        .find("proactive.command_details.qualifier")
        .is_some_and(|f| f.note.contains("TCP in CLOSED state")));
}

#[test]
fn send_data_response_vector_reports_more_than_255_free() {
    let tr = TerminalResponse::parse(&bytes(&VECTORS[4])).unwrap();
    assert_eq!(tr.result().general, GeneralResult::OK);
    assert!(tr.result().additional.is_empty());
    assert_eq!(tr.details().command_type, CommandType::SEND_DATA);
    assert_eq!(tr.channel_data_length(), Some(0xFF));
}

#[test]
fn event_vectors_give_event_and_channel_state() {
    let available = EventDownload::parse(&bytes(&VECTORS[5])).unwrap();
    assert_eq!(available.event(), Event::DATA_AVAILABLE);
    assert_eq!(available.event().name(), Some("data available"));
    assert_eq!(available.channel_data_length(), Some(0xFF));
    let status = available.channel_status().unwrap();
    assert_eq!(status.channel_id(), 1);
    assert_eq!(status.state(), ChannelState::Established);

    let listen = EventDownload::parse(&bytes(&VECTORS[6])).unwrap();
    assert_eq!(listen.event(), Event::CHANNEL_STATUS);
    let status = listen.channel_status().unwrap();
    assert_eq!(status.state(), ChannelState::Listen);
    assert_eq!(status.further_info, ChannelStatus::NO_FURTHER_INFO);

    let dropped = EventDownload::parse(&bytes(&VECTORS[7])).unwrap();
    let status = dropped.channel_status().unwrap();
    assert_eq!(status.state(), ChannelState::Closed);
    assert_eq!(status.further_info, ChannelStatus::LINK_DROPPED);
}

#[test]
fn accepts_channel_status_without_cr_in_event_and_with_cr_in_response() {
    // Event download with 38 instead of B8.
    let raw = hex::parse("D60B99010A8202828138024100").unwrap();
    let event = EventDownload::parse(&raw).unwrap();
    assert_eq!(
        event.channel_status(),
        Some(ChannelStatus::new(1, ChannelState::Listen, 0))
    );
    assert_eq!(event.emit(), raw);
    // OPEN CHANNEL response with B8 instead of 38.
    let raw = hex::parse("810301400082028281830100B802410039020578").unwrap();
    let tr = TerminalResponse::parse(&raw).unwrap();
    assert_eq!(tr.channel_statuses()[0].state(), ChannelState::Listen);
    assert_eq!(tr.emit(), raw);
}

#[test]
fn no_panic_and_exact_round_trip_on_any_input() {
    let check = |raw: &[u8]| {
        if let Ok(p) = ProactiveCommand::parse(raw) {
            assert_eq!(p.emit(), raw);
            assert_ranges_sane(&p.describe(), raw.len(), "fuzz");
        }
        if let Ok(e) = EventDownload::parse(raw) {
            assert_eq!(e.emit(), raw);
            assert_ranges_sane(&e.describe(), raw.len(), "fuzz");
        }
        if let Ok(s) = SmsPpDownload::parse(raw) {
            assert_eq!(s.emit(), raw);
        }
        if let Ok(g) = Envelope::parse(raw) {
            assert_eq!(g.emit(), raw);
            assert_ranges_sane(&g.describe(), raw.len(), "fuzz");
        }
        if let Ok(t) = TerminalResponse::parse(raw) {
            assert_eq!(t.emit(), raw);
            assert_ranges_sane(&t.describe(), raw.len(), "fuzz");
        }
    };
    // Mutations of every vector: every byte replaced by a handful of values.
    for v in VECTORS {
        let raw = bytes(v);
        for i in 0..raw.len() {
            for b in [0x00, 0x01, 0x02, 0x7F, 0x80, 0x81, 0xFF, raw[i] ^ 0x80] {
                let mut m = raw.clone();
                m[i] = b;
                check(&m);
            }
        }
    }
    let mut seed = 0x05EE_DCA7_u64;
    for _ in 0..20_000 {
        let mut body = crate::wire::ber_tlv::test_input::lcg_bytes(&mut seed, 40);
        check(&body);
        let len = body.len() as u8;
        for tag in [0xD0, 0xD1, 0xD6, 0xD7] {
            let mut wrapped = vec![tag, len];
            wrapped.append(&mut body.clone());
            check(&wrapped);
        }
        body.clear();
    }
}
