//! COMPREHENSION-TLV data objects, the elements inside CAT templates (`D0` proactive
//! command, `D1`/`D6` envelopes) and TERMINAL RESPONSE: ETSI TS 101 220 §7.1.1 (tag
//! formats), §7.1.2 (length) and §7.2 (tag values).
//!
//! * **Single-byte tag**: b8 = CR (comprehension required), b7–b1 = tag value.
//!   `00`, `80` and `FF` are not valid tags ([`DecodeError::BadTag`]); `7F` introduces
//!   the three-byte format.
//! * **Three-byte tag**: `7F` then two bytes; b16 = CR, b15–b1 = tag value
//!   (`0001`–`7FFF`; value `0000` is rejected).
//! * **Length**: the BER-TLV length coding of TS 101 220 §7.1.2, shared with
//!   [`ber_tlv`](crate::wire::ber_tlv): `00`–`7F`, `81 80`–`81 FF`,
//!   `82 0100`–`82 FFFF`; `80` is rejected as indefinite, non-minimal forms as bad
//!   lengths, so `emit(parse(x)) == x` for every accepted input.
//!
//! Both CR settings are accepted for every tag (terminals send channel status as `38`
//! in some terminal responses and `B8` in event downloads); the CR bit and the tag
//! format are kept so that re-encoding reproduces the input.

use crate::wire::ber_tlv::{self, Span};
use crate::wire::DecodeError;
use serde::{Deserialize, Serialize};

/// A COMPREHENSION-TLV tag (TS 101 220 §7.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CtlvTag {
    /// The tag value without the CR bit: 7 bits in the single-byte format, 15 bits in
    /// the three-byte format.
    pub value: u16,
    /// Comprehension required.
    pub cr: bool,
    /// Coded in the three-byte format (`7F` + 2 bytes).
    pub three_byte: bool,
}

impl CtlvTag {
    /// A single-byte tag; only the low 7 bits of `value` are used.
    pub const fn new(value: u8, cr: bool) -> Self {
        CtlvTag {
            value: (value & 0x7F) as u16,
            cr,
            three_byte: false,
        }
    }

    /// Bytes the tag takes on the wire: 1 or 3.
    pub fn encoded_len(self) -> usize {
        if self.three_byte {
            3
        } else {
            1
        }
    }

    /// Appends the tag bytes to `out`.
    pub fn emit_into(self, out: &mut Vec<u8>) {
        if self.three_byte {
            let word = (self.value & 0x7FFF) | if self.cr { 0x8000 } else { 0 };
            out.push(0x7F);
            out.extend_from_slice(&word.to_be_bytes());
        } else {
            let byte = (self.value & 0x7F) as u8 | if self.cr { 0x80 } else { 0 };
            out.push(byte);
        }
    }

    /// Reads a tag at the start of `bytes` (TS 101 220 §7.1.1); returns it and its size.
    fn parse(bytes: &[u8]) -> Result<(CtlvTag, usize), DecodeError> {
        let first = *bytes.first().ok_or(DecodeError::Truncated {
            what: "COMPREHENSION-TLV tag",
            needed: 1,
            available: 0,
        })?;
        match first {
            0x00 | 0x80 | 0xFF => Err(DecodeError::BadTag {
                what: "COMPREHENSION-TLV (00, 80 and FF are not tags)",
                tag: u32::from(first),
            }),
            0x7F => {
                let Some(&[hi, lo]) = bytes.get(1..3) else {
                    return Err(DecodeError::Truncated {
                        what: "COMPREHENSION-TLV three-byte tag",
                        needed: 3,
                        available: bytes.len(),
                    });
                };
                let word = u16::from_be_bytes([hi, lo]);
                let tag = CtlvTag {
                    value: word & 0x7FFF,
                    cr: word & 0x8000 != 0,
                    three_byte: true,
                };
                if tag.value == 0 {
                    return Err(DecodeError::BadTag {
                        what: "COMPREHENSION-TLV (three-byte tag value 0000)",
                        tag: 0x7F_0000 | u32::from(word),
                    });
                }
                Ok((tag, 3))
            }
            _ => Ok((CtlvTag::new(first, first & 0x80 != 0), 1)),
        }
    }
}

/// One COMPREHENSION-TLV data object, owned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ctlv {
    pub tag: CtlvTag,
    pub value: Vec<u8>,
}

impl Ctlv {
    /// A single-byte-tag COMPREHENSION-TLV.
    pub fn new(tag: u8, cr: bool, value: impl Into<Vec<u8>>) -> Self {
        Ctlv {
            tag: CtlvTag::new(tag, cr),
            value: value.into(),
        }
    }

    /// Parses one COMPREHENSION-TLV at the start of `bytes` (TS 101 220 §7.1.1,
    /// §7.1.2); returns it and the number of bytes it took.
    pub fn parse(bytes: &[u8]) -> Result<(Ctlv, usize), DecodeError> {
        let (ctlv, span) = parse_one(bytes, 0)?;
        Ok((ctlv, span.len()))
    }

    /// Parses a buffer made of back-to-back COMPREHENSION-TLVs (the inside of a CAT
    /// template, TS 101 220 §7.1); every byte must belong to one.
    pub fn parse_all(bytes: &[u8]) -> Result<Vec<Ctlv>, DecodeError> {
        Ok(Ctlv::parse_spanned(bytes, 0)?
            .into_iter()
            .map(|(ctlv, _)| ctlv)
            .collect())
    }

    /// As [`Ctlv::parse_all`], with each element's [`Span`]; offsets are `base` plus
    /// the position in `bytes`.
    pub fn parse_spanned(bytes: &[u8], base: usize) -> Result<Vec<(Ctlv, Span)>, DecodeError> {
        let mut out = Vec::new();
        let mut pos = 0;
        while let Some(rest) = bytes.get(pos..).filter(|r| !r.is_empty()) {
            let (ctlv, span) = parse_one(rest, base + pos)?;
            pos += span.len();
            out.push((ctlv, span));
        }
        Ok(out)
    }

    /// The encoded bytes.
    pub fn emit(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.buffer_len());
        self.emit_into(&mut out);
        out
    }

    /// Appends the encoded bytes to `out`.
    pub fn emit_into(&self, out: &mut Vec<u8>) {
        self.tag.emit_into(out);
        ber_tlv::encode_length(self.value.len(), out);
        out.extend_from_slice(&self.value);
    }

    /// Number of bytes [`Ctlv::emit`] produces.
    pub fn buffer_len(&self) -> usize {
        self.tag.encoded_len() + ber_tlv::length_len(self.value.len()) + self.value.len()
    }
}

fn parse_one(bytes: &[u8], base: usize) -> Result<(Ctlv, Span), DecodeError> {
    let (tag, tag_len) = CtlvTag::parse(bytes)?;
    let rest = bytes.get(tag_len..).unwrap_or_default();
    let (value_len, length_len) = ber_tlv::parse_length(rest, base + tag_len)?;
    let value_start = tag_len + length_len;
    let value = bytes
        .get(value_start..value_start + value_len)
        .ok_or(DecodeError::Truncated {
            what: "COMPREHENSION-TLV value",
            needed: value_len,
            available: bytes.len().saturating_sub(value_start),
        })?;
    let span = Span {
        start: base,
        tag_len,
        length_len,
        value_len,
    };
    Ok((
        Ctlv {
            tag,
            value: value.to_vec(),
        },
        span,
    ))
}

/// The name of a COMPREHENSION-TLV tag value (CR bit removed) in the CAT tag list of
/// ETSI TS 101 220 §7.2 (as used by TS 102 223 and 3GPP TS 31.111). Values with two
/// meanings in different contexts give both.
pub fn tag_name(value: u16) -> Option<&'static str> {
    Some(match value {
        0x01 => "Command details",
        0x02 => "Device identities",
        0x03 => "Result",
        0x04 => "Duration",
        0x05 => "Alpha identifier",
        0x06 => "Address",
        0x07 => "Capability configuration parameters",
        0x08 => "Subaddress",
        0x09 => "SS string",
        0x0A => "USSD string",
        0x0B => "SMS TPDU",
        0x0C => "Cell Broadcast page",
        0x0D => "Text string",
        0x0E => "Tone",
        0x0F => "Item",
        0x10 => "Item identifier",
        0x11 => "Response length",
        0x12 => "File list",
        0x13 => "Location information",
        0x14 => "IMEI",
        0x15 => "Help request",
        0x16 => "Network measurement results",
        0x17 => "Default text",
        0x18 => "Items next action indicator",
        0x19 => "Event list",
        0x1A => "Cause",
        0x1B => "Location status",
        0x1C => "Transaction identifier",
        0x1D => "BCCH channel list",
        0x1E => "Icon identifier",
        0x1F => "Item icon identifier list",
        0x20 => "Card reader status",
        0x21 => "Card ATR / eCAT sequence number",
        0x22 => "C-APDU / encrypted TLV list",
        0x23 => "R-APDU / SA template",
        0x24 => "Timer identifier",
        0x25 => "Timer value",
        0x26 => "Date-time and time zone",
        0x27 => "Call control requested action",
        0x28 => "AT command",
        0x29 => "AT response",
        0x2A => "BC repeat indicator",
        0x2B => "Immediate response",
        0x2C => "DTMF string",
        0x2D => "Language",
        0x2E => "Timing advance",
        0x2F => "AID",
        0x30 => "Browser identity",
        0x31 => "URL",
        0x32 => "Bearer",
        0x33 => "Provisioning reference file",
        0x34 => "Browser termination cause",
        0x35 => "Bearer description",
        0x36 => "Channel data",
        0x37 => "Channel data length",
        0x38 => "Channel status",
        0x39 => "Buffer size",
        0x3A => "Card reader identifier / REFRESH enforcement policy",
        0x3B => "File update information",
        0x3C => "UICC/terminal interface transport level",
        0x3E => "Other address (data destination address)",
        0x3F => "Access technology",
        0x40 => "Display parameters / DNS server address",
        0x41 => "Service record",
        0x42 => "Device filter",
        0x43 => "Service search",
        0x44 => "Attribute information",
        0x45 => "Service availability",
        0x46 => "ESN",
        0x47 => "Network access name",
        0x48 => "CDMA-SMS TPDU",
        0x49 => "Remote entity address",
        0x4A => "I-WLAN identifier",
        0x4B => "I-WLAN access status",
        0x50 => "Text attribute",
        0x51 => "Item text attribute list",
        0x52 => "PDP context activation parameter",
        0x53 => "Contactless state request",
        0x54 => "Contactless functionality state",
        0x55 => "CSG cell selection status",
        0x56 => "CSG ID",
        0x57 => "HNB name",
        0x60 => "MAC",
        0x61 => "Emergency call object",
        0x62 => "IMEISV",
        0x63 => "Battery state",
        0x64 => "Browsing status",
        0x65 => "Network search mode",
        0x66 => "Frame layout",
        0x67 => "Frames information",
        0x68 => "Frame identifier",
        0x69 => "UTRAN/E-UTRAN measurement qualifier",
        0x6A => "Multimedia message reference",
        0x6B => "Multimedia message identifier",
        0x6C => "Multimedia message transfer status",
        0x6D => "MEID",
        0x6E => "Multimedia message content identifier",
        0x6F => "Multimedia message notification",
        0x70 => "Last envelope",
        0x71 => "Registry application data",
        0x72 => "PLMNwAcT list",
        0x73 => "Routing area information",
        0x74 => "Update/attach type",
        0x75 => "Rejection cause code",
        0x76 => "Geographical location parameters / IARI",
        0x77 => "GAD shapes / IMPU list",
        0x78 => "NMEA sentence / IMS status-code",
        0x79 => "PLMN list",
        0x7A => "Broadcast network information",
        0x7B => "ACTIVATE descriptor",
        0x7C => "EPS PDN connection activation parameters",
        0x7D => "Tracking area identification",
        0x7E => "CSG ID list",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ber_tlv::Tlv;
    use crate::wire::hex;

    /// CAT/BIP conformance vectors (3GPP TS 31.124 / ETSI TS 102 384), each a BER-TLV
    /// template holding COMPREHENSION-TLVs.
    const TEMPLATES: [&str; 7] = [
        "D009810301410082028121",                     // CLOSE CHANNEL, channel 1
        "D00C810301420082028121B701C8",               // RECEIVE DATA, 200 bytes
        "D013810301430182028121B6080001020304050607", // SEND DATA immediately
        "D009810301440082028182",                     // GET CHANNEL STATUS
        "D60E99010982028281B8028100B701FF",           // event: data available
        "D60B99010A82028281B8024100",                 // event: channel status LISTEN
        "D60B99010A82028281B8020105",                 // event: channel status, link dropped
    ];

    /// TERMINAL RESPONSE to SEND DATA: a bare COMPREHENSION-TLV sequence.
    const SEND_DATA_RESPONSE: &str = "810301430182028281830100b701ff";

    fn bytes(text: &str) -> Vec<u8> {
        hex::parse(text).unwrap()
    }

    #[test]
    fn test_parse() {
        let (ctlv, used) = Ctlv::parse(&[0x81, 0x03, 0x01, 0x43, 0x01, 0xEE]).unwrap();
        assert_eq!(used, 5);
        assert_eq!(ctlv, Ctlv::new(0x01, true, [0x01, 0x43, 0x01]));
    }

    #[test]
    fn test_emit() {
        let ctlv = Ctlv::new(0x37, true, [0xC8]);
        assert_eq!(ctlv.emit(), [0xB7, 0x01, 0xC8]);
        assert_eq!(ctlv.buffer_len(), 3);
    }

    #[test]
    fn parses_conformance_templates_exactly() {
        for text in TEMPLATES {
            let raw = bytes(text);
            let (template, used) = Tlv::parse(&raw).unwrap();
            assert_eq!(used, raw.len(), "{text}");
            let elements = Ctlv::parse_spanned(&template.value, 2).unwrap();
            let mut again = vec![raw[0], raw[1]];
            for (ctlv, span) in &elements {
                assert_eq!(raw[span.start..span.end()], ctlv.emit()[..], "{text}");
                ctlv.emit_into(&mut again);
            }
            assert_eq!(again, raw, "{text}");
        }
    }

    #[test]
    fn decodes_send_data_proactive_command() {
        let raw = bytes(TEMPLATES[2]);
        let elements = Ctlv::parse_all(&raw[2..]).unwrap();
        assert_eq!(
            elements,
            vec![
                Ctlv::new(0x01, true, [0x01, 0x43, 0x01]),
                Ctlv::new(0x02, true, [0x81, 0x21]),
                Ctlv::new(0x36, true, [0, 1, 2, 3, 4, 5, 6, 7]),
            ]
        );
    }

    #[test]
    fn decodes_bare_terminal_response_sequence() {
        let raw = bytes(SEND_DATA_RESPONSE);
        let elements = Ctlv::parse_all(&raw).unwrap();
        let tags: Vec<u16> = elements.iter().map(|c| c.tag.value).collect();
        assert_eq!(tags, vec![0x01, 0x02, 0x03, 0x37]);
        assert_eq!(elements[2], Ctlv::new(0x03, true, [0x00]));
        assert_eq!(elements[3].value, [0xFF]);
        let out: Vec<u8> = elements.iter().flat_map(Ctlv::emit).collect();
        assert_eq!(out, raw);
    }

    #[test]
    fn accepts_tag_without_cr_bit() {
        let (ctlv, _) = Ctlv::parse(&[0x38, 0x02, 0x81, 0x00]).unwrap();
        assert_eq!(ctlv.tag, CtlvTag::new(0x38, false));
        let (with_cr, _) = Ctlv::parse(&[0xB8, 0x02, 0x81, 0x00]).unwrap();
        assert_eq!(with_cr.tag.value, ctlv.tag.value);
        assert!(with_cr.tag.cr);
        assert_eq!(ctlv.emit(), [0x38, 0x02, 0x81, 0x00]);
    }

    #[test]
    fn parses_three_byte_tags() {
        let raw = [0x7F, 0x80, 0x81, 0x01, 0xAA];
        let (ctlv, used) = Ctlv::parse(&raw).unwrap();
        assert_eq!(used, 5);
        assert_eq!(
            ctlv.tag,
            CtlvTag {
                value: 0x81,
                cr: true,
                three_byte: true
            }
        );
        assert_eq!(ctlv.tag.encoded_len(), 3);
        assert_eq!(ctlv.emit(), raw);
    }

    #[test]
    fn rejects_invalid_single_byte_tags() {
        for tag in [0x00u8, 0x80, 0xFF] {
            assert!(
                matches!(Ctlv::parse(&[tag, 0x00]), Err(DecodeError::BadTag { .. })),
                "{tag:02X}"
            );
        }
    }

    #[test]
    fn rejects_three_byte_tag_value_zero() {
        assert!(matches!(
            Ctlv::parse(&[0x7F, 0x80, 0x00, 0x00]),
            Err(DecodeError::BadTag { .. })
        ));
    }

    #[test]
    fn rejects_indefinite_length() {
        assert_eq!(
            Ctlv::parse_spanned(&[0x81, 0x03, 0x01, 0x43, 0x01, 0x82, 0x80], 2),
            Err(DecodeError::IndefiniteLength { offset: 8 })
        );
    }

    #[test]
    fn uses_long_length_form_from_128_bytes() {
        let ctlv = Ctlv::new(0x36, true, vec![0x42; 200]);
        let raw = ctlv.emit();
        assert_eq!(raw[..3], [0xB6, 0x81, 0xC8]);
        assert_eq!(Ctlv::parse(&raw).unwrap(), (ctlv, 203));
    }

    #[test]
    fn rejects_non_minimal_length() {
        assert!(matches!(
            Ctlv::parse(&[0xB7, 0x81, 0x01, 0xC8]),
            Err(DecodeError::BadLength { .. })
        ));
    }

    #[test]
    fn rejects_length_beyond_buffer() {
        assert!(matches!(
            Ctlv::parse(&[0xB6, 0x08, 0x00, 0x01]),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn rejects_every_truncated_prefix() {
        let raw = bytes(SEND_DATA_RESPONSE);
        // Element boundaries: 81 03 .. | 82 02 .. | 83 01 .. | B7 01 ..
        let boundaries = [0, 5, 9, 12, 15];
        for cut in 0..=raw.len() {
            let whole = Ctlv::parse_all(&raw[..cut]);
            assert_eq!(whole.is_ok(), boundaries.contains(&cut), "prefix {cut}");
        }
        for cut in 0..5 {
            assert!(Ctlv::parse(&raw[..cut]).is_err(), "prefix {cut}");
        }
    }

    #[test]
    fn names_bip_tags() {
        assert_eq!(
            tag_name(0x3C),
            Some("UICC/terminal interface transport level")
        );
        assert_eq!(tag_name(0x47), Some("Network access name"));
        assert_eq!(tag_name(0x0B), Some("SMS TPDU"));
        assert_eq!(tag_name(0x3D), None);
    }

    #[test]
    fn no_panic_on_any_input() {
        let check = |raw: &[u8]| {
            if let Ok(all) = Ctlv::parse_all(raw) {
                let out: Vec<u8> = all.iter().flat_map(Ctlv::emit).collect();
                assert_eq!(out, raw);
            }
            let _ = Ctlv::parse(raw);
        };
        for a in 0..=255u8 {
            check(&[a]);
            for b in 0..=255u8 {
                check(&[a, b]);
            }
        }
        let mut seed = 7u64;
        for _ in 0..5000 {
            check(&crate::wire::ber_tlv::test_input::lcg_bytes(&mut seed, 40));
        }
    }
}
