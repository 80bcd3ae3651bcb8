//! One entry point per kind of message, for the command line, the world's event log and
//! the inspector: each returns the [`Field`] tree of the bytes, nested payloads decoded
//! in place with absolute offsets.
//!
//! [`auto`] guesses the kind from the first byte(s) alone and never falls back to a
//! second decoder, so a damaged message gives the error of the decoder it was meant
//! for, not a misleading decoding by another one.

use crate::wire::apdu::{instruction_name, CommandApdu, ResponseApdu};
use crate::wire::atr::Atr;
use crate::wire::cat::{
    Envelope, EventDownload, ProactiveCommand, SmsPpDownload, TerminalProfile, TerminalResponse,
};
use crate::wire::field::FieldFill;
use crate::wire::ipv4::Ipv4Packet;
use crate::wire::{ber_tlv, fcp, hex, DecodeError, Field};
use serde::Serialize;

/// What [`auto`] recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Kind {
    CommandApdu,
    ResponseApdu,
    Atr,
    ProactiveCommand,
    SmsPpDownload,
    EventDownload,
    /// Any other CAT envelope template (`D2`–`DF` except `D6`), decoded generically.
    Envelope,
    TerminalResponse,
    BerTlv,
    /// An IPv4 packet without options, TCP or UDP decoded inside.
    Ipv4Packet,
}

impl Kind {
    /// A short human name, e.g. `proactive command`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::CommandApdu => "command APDU",
            Kind::ResponseApdu => "response APDU",
            Kind::Atr => "ATR",
            Kind::ProactiveCommand => "proactive command",
            Kind::SmsPpDownload => "SMS-PP download",
            Kind::EventDownload => "event download",
            Kind::Envelope => "envelope",
            Kind::TerminalResponse => "terminal response",
            Kind::BerTlv => "BER-TLV",
            Kind::Ipv4Packet => "IPv4 packet",
        }
    }
}

/// Decodes bytes of unknown kind, choosing the decoder from the first byte(s) only:
///
/// | first byte | decoded as |
/// |---|---|
/// | `D0` | proactive command (TS 102 223 §6.6) |
/// | `D1` | SMS-PP download (TS 102 223 §7.1.1) |
/// | `D6` | event download (TS 102 223 §7.5) |
/// | `D2`–`DF` otherwise | other CAT envelope, generic (TS 101 220 §7.2 template names) |
/// | `01` or `81`, then `03` or nothing | terminal response (command details tag first, TS 102 223 §6.8) |
/// | `3B` or `3F` | ATR (TS byte, ISO/IEC 7816-3 §8.1) |
/// | `45` | IPv4 packet without options (version 4, IHL 5; RFC 791 §3.1), its TCP segment or UDP datagram nested |
/// | any other byte with b6 set (constructed tag, e.g. `62`, `6F`, `61`, `A5`), except `A0` | BER-TLV tree; `62` through the FCP decoder (TS 102 221 §11.1.1.3) |
/// | anything else, 4 bytes or more | command APDU, data decoded by instruction ([`command_apdu`]) |
///
/// `01`/`81` followed by a byte other than `03` is a command APDU on logical channel 1
/// (CLA `01` or `81`), and `A0` is the GSM class byte of 3GPP TS 51.011, so both go to
/// the APDU decoder. A command APDU of class `45` (logical channel 9) looks like an
/// IPv4 packet and is decoded as one: use [`command_apdu`] for it; an IPv4 packet with
/// options (`46`–`4F`) is not recognised here: use [`Ipv4Packet::describe`]. A TCP or
/// UDP payload that does not decode leaves the IPv4 header decoded with an
/// `ipv4.undecodable` field carrying the error. A response APDU cannot be told from its bytes alone: use
/// [`response_apdu`]. Fewer than 4 bytes matching no row is [`DecodeError::Unrecognised`].
pub fn auto(bytes: &[u8]) -> Result<(Kind, Field), DecodeError> {
    let Some(&first) = bytes.first() else {
        return Err(DecodeError::Unrecognised {
            detail: "no bytes to decode".into(),
        });
    };
    let second = bytes.get(1).copied();
    match first {
        0xD0..=0xDF => cat_template(bytes),
        0x01 | 0x81 if second.is_none() || second == Some(0x03) => Ok((
            Kind::TerminalResponse,
            TerminalResponse::parse(bytes)?.describe(),
        )),
        0x3B | 0x3F => Ok((Kind::Atr, atr(bytes)?)),
        0x45 => Ok((Kind::Ipv4Packet, Ipv4Packet::describe(bytes)?)),
        _ if first & 0x20 != 0 && first != 0xA0 => Ok((Kind::BerTlv, ber_tlv_tree(bytes)?)),
        _ if bytes.len() >= 4 => Ok((Kind::CommandApdu, command_apdu(bytes)?)),
        _ => Err(DecodeError::Unrecognised {
            detail: format!(
                "{} byte(s) starting {first:02X}: not a CAT template (D0-DF), terminal response (01/81 03), ATR (3B/3F), IPv4 packet (45) or BER-TLV (constructed tag), and too short for a command APDU (4 bytes or more)",
                bytes.len()
            ),
        }),
    }
}

/// A CAT BER-TLV template `D0`–`DF`, typed where this crate knows the template.
fn cat_template(bytes: &[u8]) -> Result<(Kind, Field), DecodeError> {
    match bytes.first() {
        Some(0xD0) => Ok((
            Kind::ProactiveCommand,
            ProactiveCommand::parse(bytes)?.describe(),
        )),
        Some(0xD1) => Ok((Kind::SmsPpDownload, SmsPpDownload::parse(bytes)?.describe())),
        Some(0xD6) => Ok((Kind::EventDownload, EventDownload::parse(bytes)?.describe())),
        _ => Ok((Kind::Envelope, Envelope::parse(bytes)?.describe())),
    }
}

/// A generic BER-TLV tree (path `tlv`), or an FCP template when the first tag is `62`.
fn ber_tlv_tree(bytes: &[u8]) -> Result<Field, DecodeError> {
    if bytes.first() == Some(&0x62) {
        return fcp::describe(bytes, 0);
    }
    let children = ber_tlv::describe(bytes, 0)?;
    let mut root = Field::new("tlv", "BER-TLV data objects", 0, bytes.len())
        .with_value(format!("{} data object(s)", children.len()))
        .with_note("ISO/IEC 7816-4 §5.2, TS 101 220 §7.1");
    root.children = children;
    Ok(root)
}

/// Decodes a command APDU (ISO/IEC 7816-4 §5.1, TS 102 221 §10) and its data field by
/// instruction: ENVELOPE (`C2`) → the CAT template inside (TS 102 223 §7); TERMINAL
/// RESPONSE (`14`) → terminal response (§6.8); TERMINAL PROFILE (`10`) → profile bytes
/// with the facility bits named (§5.2, [`TerminalProfile::describe`]); SELECT (`A4`) →
/// file identifier, path or AID (TS 102 221 §11.1.1). P1/P2 get notes for SELECT,
/// STATUS, MANAGE CHANNEL, READ/UPDATE BINARY and RECORD, and the PIN commands. Nested
/// fields keep offsets into the whole APDU; when the data field cannot be decoded the
/// APDU decoding is kept and `apdu.data.undecodable` carries the error.
pub fn command_apdu(bytes: &[u8]) -> Result<Field, DecodeError> {
    let apdu = CommandApdu::parse(bytes)?;
    let mut root = apdu.describe();
    annotate_parameters(&apdu, &mut root);
    if !apdu.data.is_empty() {
        let inner = match apdu.ins {
            0xC2 => Some(envelope_data(&apdu.data)),
            0x14 => Some(TerminalResponse::parse(&apdu.data).map(|t| t.describe())),
            0x10 => Some(Ok(TerminalProfile::new(apdu.data.as_slice()).describe())),
            0xA4 => Some(select_data(&apdu)),
            _ => None,
        };
        if let Some(inner) = inner {
            nest(&mut root, "apdu.data", inner);
        }
    }
    Ok(root)
}

/// Decodes a response APDU (ISO/IEC 7816-4 §5.1) and its data by the command that
/// caused it: after FETCH (`12`) a proactive command (TS 102 223 §6.6); after SELECT
/// (`A4`) or GET RESPONSE (`C0`) an FCP template (TS 102 221 §11.1.1.3) when the data
/// starts with `62`; after GET RESPONSE a PoR (TS 102 225 §5.2) when the data start with
/// its user data header `02 71 00`; otherwise the data stay raw.
pub fn response_apdu(bytes: &[u8], command: Option<&CommandApdu>) -> Result<Field, DecodeError> {
    let response = ResponseApdu::parse(bytes)?;
    let mut root = response.describe();
    let Some(command) = command else {
        return Ok(root);
    };
    root.note = format!(
        "response to {}",
        instruction_name(command.ins)
            .map_or_else(|| format!("INS {:02X}", command.ins), str::to_string)
    );
    if response.data.is_empty() {
        return Ok(root);
    }
    let inner = match command.ins {
        0x12 => Some(ProactiveCommand::parse(&response.data).map(|p| p.describe())),
        0xA4 | 0xC0 if response.data.first() == Some(&0x62) => {
            Some(fcp::describe(&response.data, 0))
        }
        // The PoR a card returns for an SMS-PP download, UDH 02 71 00 first (3GPP TS
        // 31.115 §4.4, TS 31.111 §7.1.1.1).
        0xC0 if response.data.starts_with(&crate::wire::ota::RESPONSE_UDH) => {
            Some(crate::wire::ota::describe_response(&response.data, None))
        }
        _ => None,
    };
    if let Some(inner) = inner {
        nest(&mut root, "response.data", inner);
    }
    Ok(root)
}

/// Decodes an answer to reset (ISO/IEC 7816-3 §8, TS 102 221 §6.3).
pub fn atr(bytes: &[u8]) -> Result<Field, DecodeError> {
    Ok(Atr::parse(bytes)?.describe())
}

/// The CAT template in an ENVELOPE data field (TS 102 223 §7).
fn envelope_data(data: &[u8]) -> Result<Field, DecodeError> {
    match data.first() {
        Some(0xD1..=0xDF) => cat_template(data).map(|(_, field)| field),
        Some(&other) => Err(DecodeError::BadTag {
            what: "ENVELOPE data (a CAT template D1-DF, TS 101 220 §7.2)",
            tag: u32::from(other),
        }),
        None => Err(DecodeError::Truncated {
            what: "ENVELOPE data",
            needed: 2,
            available: 0,
        }),
    }
}

/// Hangs `inner` (decoded with offsets from 0) under the field at `path`, shifted to its
/// position; a failed decoding becomes an `undecodable` child carrying the error.
fn nest(root: &mut Field, path: &str, inner: Result<Field, DecodeError>) {
    let Some(data) = root.children.iter_mut().find(|c| c.path == path) else {
        return;
    };
    let child = match inner {
        Ok(field) => field.shifted(data.start).prefixed(path),
        Err(error) => Field::new(
            format!("{path}.undecodable"),
            "Undecodable data",
            data.start,
            data.len,
        )
        .with_value("not decoded")
        .with_note(error.to_string()),
    };
    data.children.push(child);
}

fn set_note(root: &mut Field, path: &str, note: String) {
    if let Some(field) = root.children.iter_mut().find(|c| c.path == path) {
        field.note = note;
    }
}

/// P1/P2 meanings of the commands an engineer meets on the BIP/OTA path.
fn annotate_parameters(apdu: &CommandApdu, root: &mut Field) {
    let (p1, p2) = (apdu.p1, apdu.p2);
    let (n1, n2): (String, String) = match apdu.ins {
        0xA4 => (
            match p1 {
                0x00 => "select DF, EF or MF by file identifier".into(),
                0x01 => "select child DF (ISO/IEC 7816-4)".into(),
                0x03 => "select parent DF of the current DF".into(),
                0x04 => "select by DF name (AID)".into(),
                0x08 => "select by path from the MF".into(),
                0x09 => "select by path from the current DF".into(),
                _ => "not a TS 102 221 §11.1.1 selection method".into(),
            },
            select_p2(p1, p2),
        ),
        0xF2 => (
            match p1 {
                0x00 => "no indication".into(),
                0x01 => "current application is initialized in the terminal".into(),
                0x02 => {
                    "the terminal will initiate the termination of the current application".into()
                }
                _ => "RFU".into(),
            },
            match p2 {
                0x00 => "response: FCP template of the current application".into(),
                0x01 => "response: DF name (AID) of the current application".into(),
                0x0C => "no data returned".into(),
                _ => "RFU".into(),
            },
        ),
        0x70 => (
            match p1 {
                0x00 => "open a logical channel".into(),
                0x80 => "close a logical channel".into(),
                _ => "RFU".into(),
            },
            match (p1, p2) {
                (0x00, 0x00) => "the card assigns the channel number".into(),
                (_, n) => format!("logical channel {n}"),
            },
        ),
        0xB0 | 0xD6 => {
            if p1 & 0x80 != 0 {
                (
                    format!("short file identifier {:02X} (b5-b1)", p1 & 0x1F),
                    format!("offset {p2}"),
                )
            } else {
                let offset = (u16::from(p1 & 0x7F) << 8) | u16::from(p2);
                (
                    format!("offset {offset} (high byte)"),
                    format!("offset {offset} (low byte)"),
                )
            }
        }
        0xB2 | 0xDC => (
            format!("record number {p1}"),
            format!(
                "{}; {}",
                match p2 >> 3 {
                    0 => "current EF".to_string(),
                    sfi => format!("short file identifier {sfi:02X}"),
                },
                match p2 & 0x07 {
                    0x02 => "next record",
                    0x03 => "previous record",
                    0x04 => "absolute/current mode, record number in P1",
                    _ => "RFU mode",
                }
            ),
        ),
        0x20 | 0x24 | 0x26 | 0x28 | 0x2C => ("00".into(), key_reference(p2)),
        0x10 | 0x12 | 0x14 | 0xC2 => (
            "not used, 00 (TS 102 221 §10.1.2)".into(),
            "not used, 00 (TS 102 221 §10.1.2)".into(),
        ),
        _ => return,
    };
    set_note(root, "apdu.p1", n1);
    set_note(root, "apdu.p2", n2);
}

fn select_p2(p1: u8, p2: u8) -> String {
    let answer = match p2 & 0x0C {
        0x04 => "return FCP template",
        0x0C => "no data returned",
        0x00 => "return FCI (ISO/IEC 7816-4; not used by TS 102 221)",
        _ => "return FMD (ISO/IEC 7816-4; not used by TS 102 221)",
    };
    if p1 == 0x04 {
        let occurrence = match p2 & 0x03 {
            0x00 => "first or only occurrence",
            0x02 => "next occurrence",
            _ => "RFU occurrence",
        };
        let session = if p2 & 0x40 != 0 {
            "termination of the application session"
        } else {
            "activation of the application session"
        };
        format!("{answer}; {occurrence}; {session}")
    } else {
        answer.into()
    }
}

fn key_reference(p2: u8) -> String {
    match p2 {
        0x01..=0x08 => format!("key reference {p2:02X}: PIN Appl {p2} (global)"),
        0x0A..=0x0E => format!("key reference {p2:02X}: ADM{}", p2 - 9),
        0x11 => "key reference 11: universal PIN".into(),
        0x81..=0x88 => format!(
            "key reference {p2:02X}: second PIN Appl {} (local)",
            p2 & 0x0F
        ),
        _ => format!("key reference {p2:02X}"),
    }
}

/// SELECT data (TS 102 221 §11.1.1): a file identifier, a path or an AID.
fn select_data(apdu: &CommandApdu) -> Result<Field, DecodeError> {
    let data = &apdu.data;
    let mut root = Field::new("select", "Selection", 0, data.len());
    match apdu.p1 {
        0x00 | 0x01 => {
            let [hi, lo] =
                <[u8; 2]>::try_from(data.as_slice()).map_err(|_| DecodeError::BadLength {
                    what: "SELECT by file identifier",
                    detail: format!("{} data byte(s); a file identifier is 2", data.len()),
                })?;
            let fid = u16::from_be_bytes([hi, lo]);
            root.value = format!("file {fid:04X}{}", if fid == 0x3F00 { " (MF)" } else { "" });
            root.child("file_id", "File identifier", 0, 2)
                .with_value(format!("{fid:04X}"));
        }
        0x04 => {
            root.value = format!("AID {}", hex::compact(data));
            let rid_len = data.len().min(5);
            let rid = &data[..rid_len];
            let provider = match rid {
                [0xA0, 0x00, 0x00, 0x00, 0x87] => " (3GPP)",
                [0xA0, 0x00, 0x00, 0x00, 0x09] => " (ETSI)",
                [0xA0, 0x00, 0x00, 0x01, 0x51] => " (GlobalPlatform)",
                _ => "",
            };
            root.child("rid", "RID", 0, rid_len)
                .with_value(format!("{}{provider}", hex::compact(rid)))
                .with_note("registered application provider identifier (ISO/IEC 7816-5)");
            if data.len() > 5 {
                let pix = &data[5..];
                let app = match pix.get(..2) {
                    Some([0x10, 0x02]) if provider == " (3GPP)" => " (USIM)",
                    Some([0x10, 0x04]) if provider == " (3GPP)" => " (ISIM)",
                    _ => "",
                };
                root.child("pix", "PIX", 5, pix.len())
                    .with_value(format!("{}{app}", hex::compact(pix)))
                    .with_note("proprietary application identifier extension (TS 101 220 Annex E)");
            }
        }
        0x08 | 0x09 => {
            if data.len() % 2 != 0 {
                return Err(DecodeError::BadLength {
                    what: "SELECT by path",
                    detail: format!(
                        "{} data byte(s); a path is a sequence of 2-byte file identifiers",
                        data.len()
                    ),
                });
            }
            let fids: Vec<String> = data
                .chunks_exact(2)
                .map(|p| format!("{:02X}{:02X}", p[0], p[1]))
                .collect();
            let from = if apdu.p1 == 0x08 { "MF" } else { "current DF" };
            root.value = format!("{from}/{}", fids.join("/"));
            for (i, fid) in fids.iter().enumerate() {
                root.child("file_id", "File identifier", 2 * i, 2)
                    .with_value(fid.clone());
            }
        }
        _ => {
            root.value = hex::compact(data);
        }
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::cat::tests::{assert_ranges_sane, bytes, Form, VECTORS};

    fn kind_of(form: Form) -> Kind {
        match form {
            Form::Proactive => Kind::ProactiveCommand,
            Form::Event => Kind::EventDownload,
            Form::Response => Kind::TerminalResponse,
        }
    }

    #[test]
    fn auto_recognises_every_vector() {
        for v in VECTORS {
            let raw = bytes(v);
            let (kind, field) = auto(&raw).unwrap_or_else(|e| panic!("{}: {e}", v.name));
            assert_eq!(kind, kind_of(v.form), "{}", v.name);
            for (path, value) in v.fields {
                assert_eq!(
                    field.find(path).map(|f| f.value.as_str()),
                    Some(*value),
                    "{}: {path}",
                    v.name
                );
            }
            assert_ranges_sane(&field, raw.len(), v.name);
            assert!(field.uncovered(raw.len()).is_empty(), "{}", v.name);
        }
    }

    #[test]
    fn auto_rejects_every_truncation_of_every_vector() {
        for v in VECTORS {
            let raw = bytes(v);
            for cut in 0..raw.len() {
                assert!(
                    auto(&raw[..cut]).is_err(),
                    "{}: prefix {cut} accepted",
                    v.name
                );
            }
        }
    }

    #[test]
    fn auto_names_what_it_expected_for_short_input() {
        let Err(DecodeError::Unrecognised { detail }) = auto(&[0x80, 0x12]) else {
            panic!("expected Unrecognised");
        };
        assert!(detail.contains("command APDU"), "{detail}");
        assert!(matches!(auto(&[]), Err(DecodeError::Unrecognised { .. })));
    }

    #[test]
    fn auto_sends_channel_one_apdus_and_gsm_class_to_the_apdu_decoder() {
        let (kind, _) = auto(&hex::parse("8112000010").unwrap()).unwrap();
        assert_eq!(kind, Kind::CommandApdu);
        let (kind, _) = auto(&hex::parse("01A4000C023F00").unwrap()).unwrap();
        assert_eq!(kind, Kind::CommandApdu);
        let (kind, field) = auto(&hex::parse("A0A40000023F00").unwrap()).unwrap();
        assert_eq!(kind, Kind::CommandApdu);
        assert_eq!(
            field.find("apdu.data.select").map(|f| f.value.as_str()),
            Some("file 3F00 (MF)")
        );
    }

    #[test]
    fn auto_decodes_ber_tlv_and_fcp() {
        let (kind, field) = auto(&hex::parse("6F0584030102 03").unwrap()).unwrap();
        assert_eq!(kind, Kind::BerTlv);
        assert_eq!(field.path, "tlv");
        assert!(
            field.find("tlv.6F").is_some(),
            "{}",
            field.render_tree(None)
        );
        let (kind, field) = auto(&hex::parse("620882027821 83023F00").unwrap()).unwrap();
        assert_eq!(kind, Kind::BerTlv);
        assert_eq!(field.path, "fcp");
    }

    #[test]
    fn auto_decodes_generic_envelopes_and_sms_pp() {
        let (kind, field) = auto(&hex::parse("D70C82028281A40101A503000010").unwrap()).unwrap();
        assert_eq!(kind, Kind::Envelope);
        assert_eq!(field.value, "D7 timer expiration");
        let sms = hex::parse("D10E820283818B0840088155667788F6").unwrap();
        let (kind, field) = auto(&sms).unwrap();
        assert_eq!(kind, Kind::SmsPpDownload);
        assert!(field.uncovered(sms.len()).is_empty());
    }

    #[test]
    fn envelope_apdu_nests_event_download_at_absolute_offsets() {
        let raw = hex::parse("80C2000010D60E99010982028281B8028100B701FF").unwrap();
        let field = command_apdu(&raw).unwrap();
        let list = field.find("apdu.data.event_download.event_list").unwrap();
        assert_eq!(list.start, 7);
        assert_eq!(list.len, 3);
        assert_eq!(
            field
                .find("apdu.data.event_download.event_list.event")
                .map(|f| (f.start, f.value.as_str())),
            Some((9, "09 data available"))
        );
        assert_eq!(
            field
                .find("apdu.data.event_download.channel_data_length.value")
                .map(|f| f.start),
            Some(20)
        );
        assert_ranges_sane(&field, raw.len(), "envelope");
        assert!(field.uncovered(raw.len()).is_empty());
        let (kind, again) = auto(&raw).unwrap();
        assert_eq!((kind, again), (Kind::CommandApdu, field));
    }

    #[test]
    fn terminal_response_apdu_nests_the_response() {
        let raw = hex::parse("801400000F810301430182028281830100B701FF").unwrap();
        let field = command_apdu(&raw).unwrap();
        let general = field
            .find("apdu.data.terminal_response.result.general")
            .unwrap();
        assert_eq!(general.start, 5 + 11);
        assert_eq!(general.value, "00 command performed successfully");
        assert!(field.uncovered(raw.len()).is_empty());
    }

    #[test]
    fn undecodable_envelope_keeps_the_apdu() {
        // Event download whose data available event lacks the channel data length.
        let raw = hex::parse("80C200000DD60B99010982028281B8028100").unwrap();
        let field = command_apdu(&raw).unwrap();
        let bad = field.find("apdu.data.undecodable").unwrap();
        assert_eq!((bad.start, bad.len), (5, 13));
        assert!(bad.note.contains("channel data length"), "{}", bad.note);
        assert_eq!(
            field.find("apdu.ins").map(|f| f.value.as_str()),
            Some("C2 ENVELOPE")
        );
    }

    #[test]
    fn fetch_response_decodes_the_proactive_command() {
        let fetch = CommandApdu::parse(&hex::parse("801200000E").unwrap()).unwrap();
        let raw = hex::parse("D00C810301420082028121B701C89000").unwrap();
        let field = response_apdu(&raw, Some(&fetch)).unwrap();
        assert_eq!(
            field
                .find("response.data.proactive.command_details.type")
                .map(|f| (f.start, f.value.as_str())),
            Some((5, "42 RECEIVE DATA"))
        );
        assert_eq!(
            field
                .find("response.data.proactive.channel_data_length.value")
                .map(|f| (f.start, f.value.as_str())),
            Some((13, "200 bytes requested"))
        );
        assert_eq!(field.find("response.sw").map(|f| f.start), Some(14));
        assert_ranges_sane(&field, raw.len(), "fetch");
        assert!(field.uncovered(raw.len()).is_empty());
        // Without the command the data stay raw.
        let plain = response_apdu(&raw, None).unwrap();
        assert!(plain.find("response.data.proactive").is_none());
    }

    #[test]
    fn select_response_decodes_fcp() {
        let select = CommandApdu::parse(&hex::parse("00A40004023F00").unwrap()).unwrap();
        let raw = hex::parse("62088202782183023F009000").unwrap();
        let field = response_apdu(&raw, Some(&select)).unwrap();
        let fcp = field.find("response.data.fcp").unwrap();
        assert_eq!((fcp.start, fcp.len), (0, 10));
        assert_ranges_sane(&field, raw.len(), "select");
    }

    #[test]
    fn select_by_aid_names_usim_and_p2() {
        let raw = hex::parse("00A4040410A0000000871002FFFFFFFF8907090000").unwrap();
        let field = command_apdu(&raw).unwrap();
        assert_eq!(
            field.find("apdu.data.select.rid").map(|f| f.value.as_str()),
            Some("A000000087 (3GPP)")
        );
        assert!(field
            .find("apdu.data.select.pix")
            .is_some_and(|f| f.value.ends_with("(USIM)")));
        assert_eq!(
            field.find("apdu.p1").map(|f| f.note.as_str()),
            Some("select by DF name (AID)")
        );
        assert!(field
            .find("apdu.p2")
            .is_some_and(|f| f.note.starts_with("return FCP template")));
    }

    #[test]
    fn terminal_profile_names_bip_facilities() {
        let mut profile = vec![0u8; 17];
        profile[5] = 0x0C; // byte 6: data available, channel status
        profile[11] = 0x1F; // byte 12: the five BIP commands
        profile[12] = 0x42; // byte 13: GPRS, 2 channels
        profile[16] = 0x05; // byte 17: TCP client remote, TCP server
        let mut raw = hex::parse("8010000011").unwrap();
        raw.extend(&profile);
        let field = command_apdu(&raw).unwrap();
        let note = |n: usize| {
            field
                .find(&format!("apdu.data.terminal_profile.byte_{n}"))
                .map(|f| f.note.clone())
                .unwrap_or_default()
        };
        assert_eq!(note(6), "data available event, channel status event");
        assert!(note(12).starts_with("OPEN CHANNEL, CLOSE CHANNEL"));
        assert_eq!(note(13), "GPRS; 2 channel(s) supported (b8-b6)");
        assert_eq!(
            note(17),
            "TCP, UICC in client mode, remote connection, TCP, UICC in server mode"
        );
    }

    #[test]
    fn read_binary_offsets_and_manage_channel_are_explained() {
        let field = command_apdu(&hex::parse("00B0010210").unwrap()).unwrap();
        assert_eq!(
            field.find("apdu.p2").map(|f| f.note.as_str()),
            Some("offset 258 (low byte)")
        );
        let field = command_apdu(&hex::parse("0070000001").unwrap()).unwrap();
        assert_eq!(
            field.find("apdu.p1").map(|f| f.note.as_str()),
            Some("open a logical channel")
        );
    }

    #[test]
    fn auto_sends_ts_bytes_to_the_atr_decoder() {
        let raw = crate::wire::atr::with_tck(
            &hex::parse("3B9F96801FC78031E073FE211B633A204E83009000").unwrap(),
        );
        let direct = atr(&raw).unwrap();
        assert_eq!(direct.path, "atr");
        assert_eq!(auto(&raw).unwrap(), (Kind::Atr, direct));
        assert!(auto(&raw[..3]).is_err());
    }

    #[test]
    fn kinds_have_names() {
        assert_eq!(Kind::ProactiveCommand.name(), "proactive command");
        assert_eq!(Kind::TerminalResponse.name(), "terminal response");
        assert_eq!(crate::wire::cat::template_name(0xD9), Some("USSD download"));
    }

    #[test]
    fn no_panic_on_any_input() {
        let check = |raw: &[u8]| {
            if let Ok((_, field)) = auto(raw) {
                assert_ranges_sane(&field, raw.len(), "fuzz");
            }
            if let Ok(field) = command_apdu(raw) {
                assert_ranges_sane(&field, raw.len(), "fuzz");
            }
            let fetch = CommandApdu::new(0x80, 0x12, 0, 0).with_le(256);
            if let Ok(field) = response_apdu(raw, Some(&fetch)) {
                assert_ranges_sane(&field, raw.len(), "fuzz");
            }
        };
        for a in 0..=255u8 {
            check(&[a]);
            for b in 0..=255u8 {
                check(&[a, b]);
            }
        }
        let mut seed = 0x00DE_C0DE_u64;
        for _ in 0..20_000 {
            let body = crate::wire::ber_tlv::test_input::lcg_bytes(&mut seed, 40);
            check(&body);
            for head in [
                &[0x80, 0xC2, 0, 0][..],
                &[0x80, 0x14, 0, 0],
                &[0x00, 0xA4, 0x04, 0x04],
            ] {
                let mut apdu = head.to_vec();
                apdu.push(body.len() as u8);
                apdu.extend(&body);
                check(&apdu);
            }
        }
    }
}
