//! Command and response APDUs: ISO/IEC 7816-4 §5.1 (short length form only) with the
//! class byte coding and instruction codes of ETSI TS 102 221 §10.1.
//!
//! A command APDU is `CLA INS P1 P2` followed by, depending on its case:
//!
//! ```text
//! case 1: (nothing)          case 3: Lc data            (Lc = 01..FF)
//! case 2: Le                 case 4: Lc data Le         (Le 00 means 256)
//! ```
//!
//! Extended lengths (Lc `00` followed by two bytes) are not used on the UICC interface
//! of TS 102 221 and are rejected. A response APDU is the response data followed by
//! the status word SW1 SW2.

use crate::wire::field::{Field, FieldFill};
use crate::wire::hex;
use crate::wire::status::StatusWord;
use crate::wire::DecodeError;
use serde::{Deserialize, Serialize};

/// A command APDU, owned. `le` is the number of response bytes expected, 1 to 256
/// (256 is coded as `00` on the wire); `data` holds at most 255 bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandApdu {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    pub data: Vec<u8>,
    pub le: Option<u16>,
}

/// The four command APDU cases of ISO/IEC 7816-4 §5.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// No command data, no response data expected.
    One,
    /// No command data, response data expected (Le).
    Two,
    /// Command data (Lc), no response data expected.
    Three,
    /// Command data and response data expected.
    Four,
}

impl CommandApdu {
    /// A case 1 command APDU.
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        CommandApdu {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
        }
    }

    /// Sets the command data (at most 255 bytes in the short form).
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        debug_assert!(self.data.len() <= 255, "short APDU data exceeds 255 bytes");
        self
    }

    /// Sets Le, the number of response bytes expected (1 to 256).
    pub fn with_le(mut self, le: u16) -> Self {
        debug_assert!((1..=256).contains(&le), "short Le must be 1..=256");
        self.le = Some(le);
        self
    }

    /// Parses a short command APDU (ISO/IEC 7816-4 §5.1): 4 bytes (case 1), 5 bytes
    /// (case 2, P3 = Le), 5 + Lc bytes (case 3) or 6 + Lc bytes (case 4). Any other
    /// length, Lc = `00` followed by data, and CLA `FF` (ISO/IEC 7816-4 §5.1.1: invalid,
    /// it is the PPS request byte) are errors.
    pub fn parse(bytes: &[u8]) -> Result<Self, DecodeError> {
        let [cla, ins, p1, p2] = *bytes.first_chunk::<4>().ok_or(DecodeError::Truncated {
            what: "command APDU header",
            needed: 4,
            available: bytes.len(),
        })?;
        if cla == 0xFF {
            return Err(DecodeError::BadValue {
                what: "CLA",
                detail: "FF is invalid (ISO/IEC 7816-4 §5.1.1; it introduces a PPS)".into(),
            });
        }
        let mut apdu = CommandApdu::new(cla, ins, p1, p2);
        let Some((&p3, body)) = bytes.get(4..).and_then(<[u8]>::split_first) else {
            return Ok(apdu);
        };
        if body.is_empty() {
            apdu.le = Some(le_count(p3));
            return Ok(apdu);
        }
        if p3 == 0 {
            return Err(DecodeError::BadLength {
                what: "command APDU",
                detail: format!(
                    "Lc 00 followed by {} byte(s): extended lengths are not supported, and a short Lc is 01 to FF",
                    body.len()
                ),
            });
        }
        let lc = usize::from(p3);
        let data = body.get(..lc).ok_or(DecodeError::Truncated {
            what: "command data field (Lc)",
            needed: lc,
            available: body.len(),
        })?;
        apdu.data = data.to_vec();
        match body.get(lc..).unwrap_or_default() {
            [] => {}
            [le] => apdu.le = Some(le_count(*le)),
            more => {
                return Err(DecodeError::TrailingBytes {
                    what: "command APDU (Lc, data and one Le byte)",
                    count: more.len() - 1,
                })
            }
        }
        Ok(apdu)
    }

    /// The encoded bytes.
    pub fn emit(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.buffer_len());
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        if !self.data.is_empty() {
            debug_assert!(self.data.len() <= 255, "short APDU data exceeds 255 bytes");
            out.push(self.data.len() as u8);
            out.extend_from_slice(&self.data);
        }
        if let Some(le) = self.le {
            out.push(le_byte(le));
        }
        out
    }

    /// Number of bytes [`CommandApdu::emit`] produces.
    pub fn buffer_len(&self) -> usize {
        let lc = if self.data.is_empty() {
            0
        } else {
            1 + self.data.len()
        };
        4 + lc + usize::from(self.le.is_some())
    }

    /// The ISO/IEC 7816-4 case.
    pub fn case(&self) -> Case {
        match (self.data.is_empty(), self.le.is_some()) {
            (true, false) => Case::One,
            (true, true) => Case::Two,
            (false, false) => Case::Three,
            (false, true) => Case::Four,
        }
    }

    /// The logical channel the class byte names (ISO/IEC 7816-4 §5.1.1, TS 102 221
    /// §10.1.1): b7 = 0 (`0X`, `8X`, `A0`…): b2–b1, channels 0–3; b7 = 1 (`4X`–`7X`,
    /// `CX`–`FX`): 4 + b4–b1, channels 4–19.
    pub fn logical_channel(&self) -> u8 {
        if self.cla & 0x40 == 0 {
            self.cla & 0x03
        } else {
            4 + (self.cla & 0x0F)
        }
    }

    /// The field tree of the APDU (path `apdu`, offsets from 0). The data field is one
    /// leaf, `apdu.data`; decoders of particular commands nest their decoding there.
    pub fn describe(&self) -> Field {
        let name = instruction_name(self.ins);
        let mut root = Field::new("apdu", "Command APDU", 0, self.buffer_len())
            .with_value(name.map_or_else(|| format!("INS {:02X}", self.ins), str::to_string))
            .with_note(format!("ISO/IEC 7816-4 case {}", case_number(self.case())));
        root.child("cla", "CLA", 0, 1)
            .with_value(format!("{:02X}", self.cla))
            .with_note(format!(
                "{}; logical channel {}",
                class_name(self.cla),
                self.logical_channel()
            ));
        let ins = root.child("ins", "INS", 1, 1);
        ins.value = match name {
            Some(name) => format!("{:02X} {name}", self.ins),
            None => format!("{:02X}", self.ins),
        };
        if matches!(self.ins & 0xF0, 0x60 | 0x90) {
            ins.note =
                "invalid INS: 6X and 9X are reserved for T=0 procedure bytes (ISO/IEC 7816-3)"
                    .into();
        }
        root.child("p1", "P1", 2, 1)
            .with_value(format!("{:02X}", self.p1));
        root.child("p2", "P2", 3, 1)
            .with_value(format!("{:02X}", self.p2));
        let mut pos = 4;
        if !self.data.is_empty() {
            root.child("lc", "Lc", pos, 1)
                .with_value(self.data.len().to_string())
                .with_note("number of command data bytes");
            root.child("data", "Command data", pos + 1, self.data.len())
                .with_value(hex::spaced(&self.data));
            pos += 1 + self.data.len();
        }
        if let Some(le) = self.le {
            root.child("le", "Le", pos, 1)
                .with_value(format!("{:02X}", le_byte(le)))
                .with_note(format!("up to {le} response bytes expected"));
        }
        root
    }
}

fn case_number(case: Case) -> u8 {
    match case {
        Case::One => 1,
        Case::Two => 2,
        Case::Three => 3,
        Case::Four => 4,
    }
}

/// What the class byte says (ISO/IEC 7816-4 §5.1.1, TS 102 221 §10.1.1 table 10.3).
fn class_name(cla: u8) -> &'static str {
    match cla {
        0x00..=0x0F => "first interindustry class (ISO/IEC 7816-4)",
        0x10..=0x1F => "first interindustry class with command chaining (not used by TS 102 221)",
        0x20..=0x3F => "RFU (ISO/IEC 7816-4)",
        0x40..=0x5F => "further interindustry class (ISO/IEC 7816-4)",
        0x60..=0x7F => "further interindustry class with secure messaging (ISO/IEC 7816-4)",
        0x80..=0x8F => "TS 102 221 class for UICC-specific and CAT commands, coded as 0X",
        0xA0 => "GSM SIM class (3GPP TS 51.011)",
        0xC0..=0xCF => "TS 102 221 class for UICC-specific commands, coded as 4X",
        0xE0..=0xEF => "TS 102 221 class for UICC-specific commands, coded as 6X",
        0xFF => "invalid (PPS)",
        _ => "proprietary class",
    }
}

/// A one-byte count where `00` stands for 256.
fn le_count(byte: u8) -> u16 {
    if byte == 0 {
        256
    } else {
        u16::from(byte)
    }
}

/// The Le byte for 1..=256 (256 → `00`).
fn le_byte(le: u16) -> u8 {
    debug_assert!((1..=256).contains(&le), "short Le must be 1..=256");
    (le & 0xFF) as u8
}

/// The name of an instruction byte on the UICC interface: TS 102 221 §10.1.2 table
/// 10.5, TS 102 222 §6.1 (file administration), the CAT commands of TS 102 223 and a
/// few GlobalPlatform commands seen in remote applet management (TS 102 226). Where
/// GlobalPlatform reuses a code (`E4`, `E6`, `E8`, `F2` with CLA `80`), the UICC name
/// is given.
pub fn instruction_name(ins: u8) -> Option<&'static str> {
    Some(match ins {
        0x04 => "DEACTIVATE FILE",
        0x10 => "TERMINAL PROFILE",
        0x12 => "FETCH",
        0x14 => "TERMINAL RESPONSE",
        0x20 => "VERIFY PIN",
        0x24 => "CHANGE PIN",
        0x26 => "DISABLE PIN",
        0x28 => "ENABLE PIN",
        0x2C => "UNBLOCK PIN",
        0x32 => "INCREASE",
        0x44 => "ACTIVATE FILE",
        0x50 => "INITIALIZE UPDATE (GlobalPlatform)",
        0x70 => "MANAGE CHANNEL",
        0x73 => "MANAGE SECURE CHANNEL",
        0x75 => "TRANSACT DATA",
        0x76 => "SUSPEND UICC",
        0x78 => "GET IDENTITY",
        0x7A => "EXCHANGE CAPABILITIES",
        0x82 => "EXTERNAL AUTHENTICATE",
        0x84 => "GET CHALLENGE",
        0x88 => "AUTHENTICATE",
        0x89 => "AUTHENTICATE (odd instruction, BER-TLV data)",
        0xA2 => "SEARCH RECORD",
        0xA4 => "SELECT",
        0xAA => "TERMINAL CAPABILITY",
        0xB0 => "READ BINARY",
        0xB2 => "READ RECORD",
        0xC0 => "GET RESPONSE",
        0xC2 => "ENVELOPE",
        0xCA => "GET DATA",
        0xCB => "RETRIEVE DATA",
        0xD4 => "RESIZE FILE",
        0xD6 => "UPDATE BINARY",
        0xD8 => "PUT KEY (GlobalPlatform)",
        0xDB => "SET DATA",
        0xDC => "UPDATE RECORD",
        0xE0 => "CREATE FILE",
        0xE2 => "STORE DATA (GlobalPlatform)",
        0xE4 => "DELETE FILE",
        0xE6 => "TERMINATE DF",
        0xE8 => "TERMINATE EF",
        0xF0 => "SET STATUS (GlobalPlatform)",
        0xF2 => "STATUS",
        0xFE => "TERMINATE CARD USAGE",
        _ => return None,
    })
}

/// A response APDU: response data, then SW1 SW2 (ISO/IEC 7816-4 §5.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseApdu {
    pub data: Vec<u8>,
    pub sw: StatusWord,
}

impl ResponseApdu {
    /// A response with data.
    pub fn new(data: impl Into<Vec<u8>>, sw: StatusWord) -> Self {
        ResponseApdu {
            data: data.into(),
            sw,
        }
    }

    /// A response with no data, only a status word.
    pub fn status(sw: StatusWord) -> Self {
        ResponseApdu::new(Vec::new(), sw)
    }

    /// Parses a response APDU (ISO/IEC 7816-4 §5.1): at least the two status bytes;
    /// everything before them is response data.
    pub fn parse(bytes: &[u8]) -> Result<Self, DecodeError> {
        let (data, [sw1, sw2]) = bytes
            .split_last_chunk::<2>()
            .ok_or(DecodeError::Truncated {
                what: "response APDU status word",
                needed: 2,
                available: bytes.len(),
            })?;
        Ok(ResponseApdu::new(data, StatusWord::new(*sw1, *sw2)))
    }

    /// The encoded bytes.
    pub fn emit(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 2);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.sw.to_bytes());
        out
    }

    /// The field tree (path `response`): `response.data` if there is data, then
    /// `response.sw` with the status word's meaning.
    pub fn describe(&self) -> Field {
        let n = self.data.len();
        let mut root =
            Field::new("response", "Response APDU", 0, n + 2).with_value(self.sw.to_string());
        if n > 0 {
            root.child("data", "Response data", 0, n)
                .with_value(hex::spaced(&self.data));
        }
        root.child("sw", "Status word", n, 2)
            .with_value(self.sw.to_string())
            .with_note(self.sw.meaning());
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SELECT MF by file identifier, no response data requested (case 3).
    static SELECT_MF: [u8; 7] = [0x00, 0xA4, 0x00, 0x04, 0x02, 0x3F, 0x00];
    /// TERMINAL PROFILE with 3 bytes (case 3, CLA 80).
    static TERMINAL_PROFILE: [u8; 8] = [0x80, 0x10, 0x00, 0x00, 0x03, 0xFF, 0xFF, 0xFF];
    /// FETCH of a 15-byte proactive command (case 2).
    static FETCH: [u8; 5] = [0x80, 0x12, 0x00, 0x00, 0x0F];
    /// SELECT by AID returning FCP (case 4, Le 00 = 256).
    static SELECT_AID: [u8; 13] = [
        0x00, 0xA4, 0x04, 0x04, 0x07, 0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02, 0x00,
    ];

    #[test]
    fn test_parse() {
        let apdu = CommandApdu::parse(&SELECT_MF).unwrap();
        assert_eq!(
            apdu,
            CommandApdu::new(0x00, 0xA4, 0x00, 0x04).with_data([0x3F, 0x00])
        );
        assert_eq!(apdu.case(), Case::Three);
        let fetch = CommandApdu::parse(&FETCH).unwrap();
        assert_eq!((fetch.case(), fetch.le), (Case::Two, Some(15)));
        let aid = CommandApdu::parse(&SELECT_AID).unwrap();
        assert_eq!(
            (aid.case(), aid.le, aid.data.len()),
            (Case::Four, Some(256), 7)
        );
        let status = CommandApdu::parse(&[0x80, 0xF2, 0x00, 0x0C]).unwrap();
        assert_eq!(status.case(), Case::One);
    }

    #[test]
    fn test_emit() {
        let apdu = CommandApdu::new(0x80, 0x10, 0, 0).with_data([0xFF; 3]);
        assert_eq!(apdu.emit(), TERMINAL_PROFILE);
        assert_eq!(apdu.buffer_len(), TERMINAL_PROFILE.len());
        let fetch = CommandApdu::new(0x80, 0x12, 0, 0).with_le(15);
        assert_eq!(fetch.emit(), FETCH);
        let get = CommandApdu::new(0x00, 0xC0, 0, 0).with_le(256);
        assert_eq!(get.emit(), [0x00, 0xC0, 0x00, 0x00, 0x00]);
    }

    #[test]
    fn emit_of_parse_is_identity() {
        for raw in [
            &SELECT_MF[..],
            &TERMINAL_PROFILE[..],
            &FETCH[..],
            &SELECT_AID[..],
            &[0x80, 0xF2, 0x00, 0x0C][..],
        ] {
            assert_eq!(CommandApdu::parse(raw).unwrap().emit(), raw);
        }
    }

    #[test]
    fn rejects_lengths_inconsistent_with_lc() {
        // Lc 02 but one data byte.
        assert!(matches!(
            CommandApdu::parse(&[0x00, 0xA4, 0x00, 0x04, 0x02, 0x3F]),
            Err(DecodeError::Truncated { .. })
        ));
        // Lc 02, data, Le, and one byte too many.
        assert_eq!(
            CommandApdu::parse(&[0x00, 0xA4, 0x00, 0x04, 0x02, 0x3F, 0x00, 0x00, 0x00]),
            Err(DecodeError::TrailingBytes {
                what: "command APDU (Lc, data and one Le byte)",
                count: 1
            })
        );
        // Lc 00 with data (extended length form).
        assert!(matches!(
            CommandApdu::parse(&[0x00, 0xB0, 0x00, 0x00, 0x00, 0x01, 0x00]),
            Err(DecodeError::BadLength { .. })
        ));
    }

    #[test]
    fn rejects_truncated_header() {
        for cut in 0..4 {
            assert!(matches!(
                CommandApdu::parse(&SELECT_MF[..cut]),
                Err(DecodeError::Truncated { .. })
            ));
        }
        // Every prefix of a case 3/4 APDU longer than 5 bytes but short of Lc fails.
        for cut in 6..SELECT_AID.len() - 1 {
            assert!(CommandApdu::parse(&SELECT_AID[..cut]).is_err(), "{cut}");
        }
    }

    #[test]
    fn rejects_cla_ff() {
        assert!(matches!(
            CommandApdu::parse(&[0xFF, 0xA4, 0x00, 0x00]),
            Err(DecodeError::BadValue { what: "CLA", .. })
        ));
    }

    #[test]
    fn logical_channel_follows_class_coding() {
        let channel = |cla| CommandApdu::new(cla, 0xA4, 0, 0).logical_channel();
        assert_eq!(channel(0x00), 0);
        assert_eq!(channel(0x03), 3);
        assert_eq!(channel(0x81), 1);
        assert_eq!(channel(0xA0), 0);
        assert_eq!(channel(0x40), 4);
        assert_eq!(channel(0x4F), 19);
        assert_eq!(channel(0x61), 5);
        assert_eq!(channel(0xC2), 6);
        assert_eq!(channel(0xE3), 7);
    }

    #[test]
    fn names_instructions() {
        assert_eq!(instruction_name(0xA4), Some("SELECT"));
        assert_eq!(instruction_name(0x12), Some("FETCH"));
        assert_eq!(instruction_name(0xC2), Some("ENVELOPE"));
        assert_eq!(instruction_name(0x01), None);
    }

    #[test]
    fn describe_covers_every_byte() {
        for raw in [
            &SELECT_MF[..],
            &FETCH[..],
            &SELECT_AID[..],
            &[0x80, 0xF2, 0, 0][..],
        ] {
            let field = CommandApdu::parse(raw).unwrap().describe();
            assert!(field.uncovered(raw.len()).is_empty(), "{raw:02X?}");
            assert_eq!(field.len, raw.len());
        }
        let field = CommandApdu::parse(&SELECT_AID).unwrap().describe();
        assert_eq!(field.value, "SELECT");
        let data = field.find("apdu.data").unwrap();
        assert_eq!((data.start, data.len), (5, 7));
        let le = field.find("apdu.le").unwrap();
        assert_eq!((le.start, le.value.as_str()), (12, "00"));
        assert!(field.find("apdu.cla").unwrap().note.contains("channel 0"));
    }

    #[test]
    fn response_round_trips() {
        let raw = [0x62, 0x00, 0x90, 0x00];
        let rsp = ResponseApdu::parse(&raw).unwrap();
        assert_eq!(rsp, ResponseApdu::new([0x62, 0x00], StatusWord::NO_ERROR));
        assert_eq!(rsp.emit(), raw);
        assert_eq!(
            ResponseApdu::parse(&[0x91, 0x0F]).unwrap(),
            ResponseApdu::status(StatusWord::proactive_command_pending(15))
        );
        assert!(matches!(
            ResponseApdu::parse(&[0x90]),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn response_describe_names_the_status_word() {
        let field = ResponseApdu::new([0xAA], StatusWord::NO_ERROR).describe();
        assert_eq!(field.find("response.data").unwrap().range(), 0..1);
        let sw = field.find("response.sw").unwrap();
        assert_eq!(
            (sw.range(), sw.note.as_str()),
            (1..3, "Normal ending of the command")
        );
        assert!(ResponseApdu::status(StatusWord::NO_ERROR)
            .describe()
            .find("response.data")
            .is_none());
    }

    #[test]
    fn no_panic_on_any_input() {
        let check = |raw: &[u8]| {
            if let Ok(apdu) = CommandApdu::parse(raw) {
                assert_eq!(apdu.emit(), raw);
                assert!(apdu.describe().uncovered(raw.len()).is_empty());
            }
            if let Ok(rsp) = ResponseApdu::parse(raw) {
                assert_eq!(rsp.emit(), raw);
                let _ = rsp.describe();
            }
        };
        for a in 0..=255u8 {
            check(&[a]);
            for b in 0..=255u8 {
                check(&[a, b]);
                check(&[a, b, 0x00, 0x00, b, a]);
            }
        }
        let mut seed = 11u64;
        for _ in 0..5000 {
            check(&crate::wire::ber_tlv::test_input::lcg_bytes(&mut seed, 12));
        }
    }
}
