//! Short message TPDUs: 3GPP TS 23.040 §9.2.2.1 SMS-DELIVER (service centre → phone)
//! and §9.2.2.2 SMS-SUBMIT (phone → service centre), with the fields of §9.2.3 and the
//! data coding scheme of 3GPP TS 23.038 §4.
//!
//! ```text
//! SMS-DELIVER: first octet | TP-OA | TP-PID | TP-DCS | TP-SCTS(7) | TP-UDL | TP-UD
//! SMS-SUBMIT:  first octet | TP-MR | TP-DA | TP-PID | TP-DCS | [TP-VP] | TP-UDL | TP-UD
//! SMS-DELIVER-REPORT: first octet | [TP-FCS (RP-ERROR only)] | TP-PI | [PID] [DCS] [UDL UD]
//! SMS-STATUS-REPORT:  first octet | TP-MR | TP-RA | TP-SCTS | TP-DT | TP-ST | [TP-PI …]
//! first octet: b1-b0 TP-MTI, b2 TP-MMS (DELIVER) / TP-RD (SUBMIT), b4-b3 TP-VPF
//!              (SUBMIT; DELIVER: b3 TP-LP), b5 TP-SRI / TP-SRR, b6 TP-UDHI, b7 TP-RP
//! ```
//!
//! * Addresses (§9.1.2.5): length in useful semi-octets, type of address (TON, NPI),
//!   then BCD semi-octets low nibble first with an `F` filler, or, for TON 5, text in
//!   the GSM 7-bit default alphabet packed into octets.
//! * TP-UDL counts septets when the alphabet is the 7-bit default one (header and fill
//!   bits included), octets otherwise (§9.2.3.16).
//! * The user data header (§9.2.3.24) is typed for concatenation (`00`, `08`) and the
//!   (U)SIM toolkit security headers `70` (command packet) and `71` (response packet)
//!   of 3GPP TS 31.115; other elements are kept as bytes.
//!
//! For OTA: [`command_packet_user_data`] splits a secured command packet over one or
//! more SMS (TS 31.115 §4.2, §4.3), [`ota_deliver`] wraps each in an SMS-DELIVER with
//! TP-PID `7F` and TP-DCS `F6`, and [`Reassembler`] puts segments back together.
//!
//! [`SmsDeliverReport`] (§9.2.2.1a, the phone's RP-ACK or RP-ERROR answer, with TP-FCS
//! named by [`FailureCause`]) and [`SmsStatusReport`] (§9.2.2.3, TP-ST named by
//! [`TransferStatus`]) carry the optional TP-PI tail of §9.2.3.27
//! ([`OptionalParameters`]), through which a PoR travels back to the server.
//!
//! Once `parse` has accepted bytes, nothing here panics; `emit(parse(x)) == x` for every
//! accepted TPDU except that unused bits of the first octet come back as zero (§9.2.3:
//! "set to zero by the sending entity and ignored by the receiving entity"), and so do
//! TP-PI's reserved bits and extension octets, which a receiver ignores (§9.2.3.27).

use crate::wire::cat::text;
use crate::wire::field::FieldFill;
use crate::wire::{hex, ota, DecodeError, Field};
use std::collections::BTreeMap;

/// TP-PID `7F`: (U)SIM data download (§9.2.3.9).
pub const PID_SIM_DATA_DOWNLOAD: u8 = 0x7F;
/// TP-DCS `F6`: class 2 ((U)SIM-specific), 8-bit data (TS 23.038 §4).
pub const DCS_CLASS2_8BIT: u8 = 0xF6;
/// Most octets TP-UD can hold (§9.2.3.24).
pub const MAX_USER_DATA: usize = 140;
/// Most septets TP-UD can hold in the 7-bit default alphabet.
pub const MAX_SEPTETS: usize = 160;
/// Longest address value in octets: the whole address field is at most 12 octets
/// (§9.1.2.5).
pub const MAX_ADDRESS_OCTETS: usize = 10;

fn truncated(what: &'static str, needed: usize, available: usize) -> DecodeError {
    DecodeError::Truncated {
        what,
        needed,
        available,
    }
}

// ---------------------------------------------------------------------------------------
// GSM 7-bit default alphabet (TS 23.038 §6.1.2.1 packing, §6.2.1 characters)

/// Packs septets (values 0–127) into octets, least significant bit first, starting
/// `fill` bits into the first octet (TS 23.038 §6.1.2.1.1).
pub fn pack_septets(septets: &[u8], fill: usize) -> Vec<u8> {
    let bits = fill + 7 * septets.len();
    let mut out = vec![0u8; bits.div_ceil(8)];
    for (i, septet) in septets.iter().enumerate() {
        let at = fill + 7 * i;
        let value = u16::from(septet & 0x7F) << (at % 8);
        out[at / 8] |= (value & 0xFF) as u8;
        if let Some(next) = out.get_mut(at / 8 + 1) {
            *next |= (value >> 8) as u8;
        }
    }
    out
}

/// Unpacks `count` septets starting at bit `fill` of `bytes`; `None` if the bytes run
/// out.
pub fn unpack_septets(bytes: &[u8], count: usize, fill: usize) -> Option<Vec<u8>> {
    if (fill + 7 * count).div_ceil(8) > bytes.len() {
        return None;
    }
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let at = fill + 7 * i;
        let low = u16::from(bytes[at / 8]);
        let high = u16::from(bytes.get(at / 8 + 1).copied().unwrap_or(0));
        out.push((((high << 8 | low) >> (at % 8)) & 0x7F) as u8);
    }
    Some(out)
}

/// Text to GSM default alphabet septets (basic table and the extension table after
/// `1B`); `None` for a character neither has.
pub fn gsm_septets(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for c in text.chars() {
        if let Some(code) =
            (0u8..128).find(|&b| b != 0x1B && text::gsm_unpacked(&[b]).starts_with(c))
        {
            out.push(code);
        } else if let Some(code) =
            (0u8..128).find(|&b| text::gsm_unpacked(&[0x1B, b]).starts_with(c) && b != 0x1B)
        {
            out.extend([0x1B, code]);
        } else {
            return None;
        }
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------
// Addresses (§9.1.2.5)

/// What an address holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddressValue {
    /// Semi-octet digits: `0`–`9`, `*`, `#`, `a`, `b`, `c` (§9.1.2.3).
    Digits(String),
    /// Type of number 5: GSM default alphabet septets (values 0–127).
    Alphanumeric(Vec<u8>),
}

/// An originating or destination address (§9.1.2.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    /// Type of address: b7 = 1, b6–b4 type of number, b3–b0 numbering plan.
    pub type_of_address: u8,
    pub value: AddressValue,
}

impl Address {
    /// International number (TON 1, NPI 1 ISDN/E.164): type of address `91`.
    pub fn international(digits: &str) -> Result<Address, DecodeError> {
        Address::digits(0x91, digits)
    }

    /// A number with the given type of address byte.
    pub fn digits(type_of_address: u8, digits: &str) -> Result<Address, DecodeError> {
        if digits.chars().count() > 2 * MAX_ADDRESS_OCTETS {
            return Err(DecodeError::BadLength {
                what: "address",
                detail: format!("{} digits, at most 20 fit", digits.chars().count()),
            });
        }
        if let Some(bad) = digits.chars().find(|c| semi_octet(*c).is_none()) {
            return Err(DecodeError::BadValue {
                what: "address digit",
                detail: format!("'{bad}' is not 0-9, *, #, a, b or c (TS 23.040 §9.1.2.3)"),
            });
        }
        Ok(Address {
            type_of_address,
            value: AddressValue::Digits(digits.to_string()),
        })
    }

    /// Alphanumeric address (TON 5, NPI 0: type of address `D0`) in the GSM default
    /// alphabet, at most 11 characters (10 octets).
    pub fn alphanumeric(text: &str) -> Result<Address, DecodeError> {
        let septets = gsm_septets(text).ok_or_else(|| DecodeError::BadValue {
            what: "alphanumeric address",
            detail: format!("'{text}' has characters outside the GSM default alphabet"),
        })?;
        if (7 * septets.len()).div_ceil(8) > MAX_ADDRESS_OCTETS {
            return Err(DecodeError::BadLength {
                what: "alphanumeric address",
                detail: format!("{} septets, at most 11 fit in 10 octets", septets.len()),
            });
        }
        Ok(Address {
            type_of_address: 0xD0,
            value: AddressValue::Alphanumeric(septets),
        })
    }

    /// `+digits` → international, `digits` → unknown type of number (`81`), anything
    /// else → alphanumeric.
    pub fn from_text(text: &str) -> Result<Address, DecodeError> {
        if let Some(rest) = text.strip_prefix('+') {
            Address::international(rest)
        } else if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
            Address::digits(0x81, text)
        } else {
            Address::alphanumeric(text)
        }
    }

    /// Type of number: b6–b4 of the type of address.
    pub fn type_of_number(&self) -> u8 {
        (self.type_of_address >> 4) & 0x07
    }

    /// Numbering plan identification: b3–b0.
    pub fn numbering_plan(&self) -> u8 {
        self.type_of_address & 0x0F
    }

    /// Address-Length: useful semi-octets.
    pub fn length_field(&self) -> u8 {
        match &self.value {
            AddressValue::Digits(d) => d.chars().count() as u8,
            AddressValue::Alphanumeric(s) => (7 * s.len()).div_ceil(4) as u8,
        }
    }

    fn value_bytes(&self) -> Vec<u8> {
        match &self.value {
            AddressValue::Digits(digits) => {
                let nibbles: Vec<u8> = digits.chars().filter_map(semi_octet).collect();
                nibbles
                    .chunks(2)
                    .map(|pair| pair[0] | (pair.get(1).copied().unwrap_or(0x0F) << 4))
                    .collect()
            }
            AddressValue::Alphanumeric(septets) => pack_septets(septets, 0),
        }
    }

    /// Bytes on the wire: length, type of address, value.
    pub fn emit(&self) -> Vec<u8> {
        let mut out = vec![self.length_field(), self.type_of_address];
        out.extend(self.value_bytes());
        out
    }

    pub fn buffer_len(&self) -> usize {
        2 + self.value_bytes().len()
    }

    /// Parses an address field at the start of `bytes`; returns it and its length.
    pub fn parse(bytes: &[u8]) -> Result<(Address, usize), DecodeError> {
        let header = bytes.get(..2).ok_or(truncated("address", 2, bytes.len()))?;
        let (length, toa) = (usize::from(header[0]), header[1]);
        let octets = length.div_ceil(2);
        if octets > MAX_ADDRESS_OCTETS {
            return Err(DecodeError::BadLength {
                what: "address",
                detail: format!(
                    "{length} semi-octets need {octets} octets, at most 10 are allowed (TS 23.040 §9.1.2.5)"
                ),
            });
        }
        let raw =
            bytes
                .get(2..2 + octets)
                .ok_or(truncated("address value", 2 + octets, bytes.len()))?;
        let value = if (toa >> 4) & 0x07 == 0b101 {
            let count = length * 4 / 7;
            AddressValue::Alphanumeric(unpack_septets(raw, count, 0).unwrap_or_default())
        } else {
            let mut digits = String::new();
            for i in 0..length {
                let nibble = (raw[i / 2] >> (4 * (i % 2))) & 0x0F;
                digits.push(
                    semi_octet_char(nibble).ok_or_else(|| DecodeError::BadValue {
                        what: "address digit",
                        detail: format!("semi-octet F inside the number (position {})", i + 1),
                    })?,
                );
            }
            if length % 2 == 1 && raw[octets - 1] >> 4 != 0x0F {
                return Err(DecodeError::BadValue {
                    what: "address filler",
                    detail: format!(
                        "an odd number of digits ends with the filler F, not {:X} (TS 23.040 §9.1.2.3)",
                        raw[octets - 1] >> 4
                    ),
                });
            }
            AddressValue::Digits(digits)
        };
        Ok((
            Address {
                type_of_address: toa,
                value,
            },
            2 + octets,
        ))
    }

    /// The address as a person reads it: `+` before an international number.
    pub fn text(&self) -> String {
        match &self.value {
            AddressValue::Digits(d) if self.type_of_number() == 1 => format!("+{d}"),
            AddressValue::Digits(d) => d.clone(),
            AddressValue::Alphanumeric(s) => text::gsm_unpacked(s),
        }
    }

    fn describe(&self, path: &str, label: &str, start: usize) -> Field {
        let len = self.buffer_len();
        let mut field = Field::new(path, label, start, len)
            .with_value(self.text())
            .with_note("TS 23.040 §9.1.2.5");
        field
            .child("length", "Address length", start, 1)
            .with_value(self.length_field().to_string())
            .with_note("useful semi-octets of the address value");
        let toa = field
            .child("type", "Type of address", start + 1, 1)
            .with_value(format!("{:02X}", self.type_of_address))
            .with_note(format!(
                "type of number {}: {}; numbering plan {}: {}",
                self.type_of_number(),
                type_of_number_name(self.type_of_number()),
                self.numbering_plan(),
                numbering_plan_name(self.numbering_plan())
            ));
        if self.type_of_address & 0x80 == 0 {
            toa.note.push_str("; b8 should be 1");
        }
        if len > 2 {
            field
                .child("value", "Address value", start + 2, len - 2)
                .with_value(self.text())
                .with_note(match self.value {
                    AddressValue::Digits(_) => "BCD semi-octets, low nibble first, F filler",
                    AddressValue::Alphanumeric(_) => "GSM 7-bit default alphabet, packed",
                });
        }
        field
    }
}

fn semi_octet(c: char) -> Option<u8> {
    Some(match c {
        '0'..='9' => c as u8 - b'0',
        '*' => 0xA,
        '#' => 0xB,
        'a' | 'A' => 0xC,
        'b' | 'B' => 0xD,
        'c' | 'C' => 0xE,
        _ => return None,
    })
}

fn semi_octet_char(nibble: u8) -> Option<char> {
    Some(match nibble {
        0..=9 => char::from(b'0' + nibble),
        0xA => '*',
        0xB => '#',
        0xC => 'a',
        0xD => 'b',
        0xE => 'c',
        _ => return None,
    })
}

/// §9.1.2.5 type of number.
pub fn type_of_number_name(ton: u8) -> &'static str {
    match ton & 0x07 {
        0 => "unknown",
        1 => "international number",
        2 => "national number",
        3 => "network specific number",
        4 => "subscriber number",
        5 => "alphanumeric (GSM 7-bit default alphabet)",
        6 => "abbreviated number",
        _ => "reserved for extension",
    }
}

/// §9.1.2.5 numbering plan identification.
pub fn numbering_plan_name(npi: u8) -> &'static str {
    match npi & 0x0F {
        0 => "unknown",
        1 => "ISDN/telephone numbering plan (E.164/E.163)",
        3 => "data numbering plan (X.121)",
        4 => "telex numbering plan",
        5 => "service centre specific plan 1",
        6 => "service centre specific plan 2",
        8 => "national numbering plan",
        9 => "private numbering plan",
        10 => "ERMES numbering plan (ETSI DE/PS 3 01-3)",
        15 => "reserved for extension",
        _ => "reserved",
    }
}

// ---------------------------------------------------------------------------------------
// TP-PID, TP-DCS, TP-SCTS, TP-VP

/// What a TP-PID means (§9.2.3.9).
pub fn protocol_identifier_name(pid: u8) -> String {
    match pid >> 6 {
        0b00 if pid & 0x20 != 0 => {
            format!("telematic interworking, device type {:02X}", pid & 0x1F)
        }
        0b00 => format!(
            "no telematic interworking, SM-AL protocol {:02X}",
            pid & 0x1F
        ),
        0b01 => match pid & 0x3F {
            0x00 => "short message type 0".into(),
            n @ 0x01..=0x07 => format!("replace short message type {n}"),
            0x1E => "enhanced message service (obsolete)".into(),
            0x1F => "return call message".into(),
            0x3C => "ANSI-136 R-DATA".into(),
            0x3D => "ME data download".into(),
            0x3E => "ME de-personalization short message".into(),
            0x3F => "(U)SIM data download".into(),
            _ => "reserved".into(),
        },
        0b10 => "reserved".into(),
        _ => "assigned by the service centre".into(),
    }
}

/// The alphabet of TP-UD (TS 23.038 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alphabet {
    /// GSM 7-bit default alphabet: TP-UDL counts septets.
    Gsm7,
    /// 8-bit data.
    Eight,
    /// UCS2, 16 bits per character.
    Ucs2,
}

/// A decoded TP-DCS (TS 23.038 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataCoding {
    pub alphabet: Alphabet,
    /// Message class 0–3, when the DCS gives one.
    pub class: Option<u8>,
    /// Whether the text is compressed (TP-UDL then counts octets).
    pub compressed: bool,
    /// The coding group, in TS 23.038's words.
    pub group: &'static str,
}

impl DataCoding {
    /// Decodes a TP-DCS. Reserved alphabets and coding groups are taken as the GSM
    /// default alphabet, as TS 23.038 §4 says a receiver shall.
    pub fn from_byte(dcs: u8) -> DataCoding {
        let alphabet_of = |bits: u8| match bits & 0b11 {
            0b01 => Alphabet::Eight,
            0b10 => Alphabet::Ucs2,
            _ => Alphabet::Gsm7,
        };
        match dcs >> 4 {
            0x0..=0x7 => DataCoding {
                alphabet: alphabet_of(dcs >> 2),
                class: (dcs & 0x10 != 0).then_some(dcs & 0b11),
                compressed: dcs & 0x20 != 0,
                group: if dcs & 0x40 == 0 {
                    "general data coding"
                } else {
                    "message marked for automatic deletion"
                },
            },
            0xC => DataCoding {
                alphabet: Alphabet::Gsm7,
                class: None,
                compressed: false,
                group: "message waiting indication: discard message",
            },
            0xD => DataCoding {
                alphabet: Alphabet::Gsm7,
                class: None,
                compressed: false,
                group: "message waiting indication: store message",
            },
            0xE => DataCoding {
                alphabet: Alphabet::Ucs2,
                class: None,
                compressed: false,
                group: "message waiting indication: store message, UCS2",
            },
            0xF => DataCoding {
                alphabet: if dcs & 0x04 != 0 {
                    Alphabet::Eight
                } else {
                    Alphabet::Gsm7
                },
                class: Some(dcs & 0b11),
                compressed: false,
                group: "data coding/message class",
            },
            _ => DataCoding {
                alphabet: Alphabet::Gsm7,
                class: None,
                compressed: false,
                group: "reserved coding group",
            },
        }
    }

    /// Whether TP-UDL counts septets.
    pub fn counts_septets(&self) -> bool {
        self.alphabet == Alphabet::Gsm7 && !self.compressed
    }

    /// Words for the DCS, e.g. `class 2 ((U)SIM-specific), 8-bit data`.
    pub fn describe_text(&self) -> String {
        let alphabet = match self.alphabet {
            Alphabet::Gsm7 => "GSM 7-bit default alphabet",
            Alphabet::Eight => "8-bit data",
            Alphabet::Ucs2 => "UCS2 (16-bit)",
        };
        let class = match self.class {
            Some(0) => "class 0 (flash: shown, not stored)",
            Some(1) => "class 1 (ME-specific)",
            Some(2) => "class 2 ((U)SIM-specific)",
            Some(_) => "class 3 (TE-specific)",
            None => "no message class",
        };
        let compressed = if self.compressed { ", compressed" } else { "" };
        format!("{class}, {alphabet}{compressed}; {}", self.group)
    }
}

/// A service centre time stamp or absolute validity period (§9.2.3.11): seven octets
/// of semi-octets, each octet's digits swapped; the last gives the time zone in
/// quarters of an hour, b4 of its first digit (bit 3 of the octet) the sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp {
    /// Two-digit year.
    pub year: u8,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    /// Offset from GMT in quarters of an hour, −79 to 79.
    pub zone_quarters: i8,
}

impl Timestamp {
    /// Parses 7 octets.
    pub fn parse(bytes: &[u8]) -> Result<Timestamp, DecodeError> {
        let raw = bytes
            .get(..7)
            .ok_or(truncated("time stamp", 7, bytes.len()))?;
        let mut digits = [0u8; 6];
        for (i, byte) in raw[..6].iter().enumerate() {
            let (units, tens) = (byte & 0x0F, byte >> 4);
            if units > 9 || tens > 9 {
                return Err(DecodeError::BadValue {
                    what: "time stamp",
                    detail: format!("octet {} ({byte:02X}) is not two BCD digits", i + 1),
                });
            }
            digits[i] = 10 * units + tens;
        }
        let zone = raw[6];
        let (tens, units) = (zone & 0x07, zone >> 4);
        if units > 9 {
            return Err(DecodeError::BadValue {
                what: "time stamp",
                detail: format!("time zone octet {zone:02X} is not BCD"),
            });
        }
        let magnitude = (10 * tens + units) as i8;
        Ok(Timestamp {
            year: digits[0],
            month: digits[1],
            day: digits[2],
            hour: digits[3],
            minute: digits[4],
            second: digits[5],
            zone_quarters: if zone & 0x08 != 0 {
                -magnitude
            } else {
                magnitude
            },
        })
    }

    /// The 7 octets; fields are taken modulo 100 (zone modulo 80).
    pub fn emit(&self) -> [u8; 7] {
        let swap = |v: u8| ((v % 10) << 4) | ((v / 10) % 10);
        let magnitude = self.zone_quarters.unsigned_abs() % 80;
        let sign = if self.zone_quarters < 0 { 0x08 } else { 0 };
        [
            swap(self.year % 100),
            swap(self.month % 100),
            swap(self.day % 100),
            swap(self.hour % 100),
            swap(self.minute % 100),
            swap(self.second % 100),
            ((magnitude % 10) << 4) | (magnitude / 10) | sign,
        ]
    }

    /// Reads `YYMMDDhhmmss±QQ` (the zone in quarters of an hour, as TS 23.040 counts it).
    pub fn from_text(text: &str) -> Result<Timestamp, String> {
        let bad = || format!("'{text}' is not YYMMDDhhmmss±QQ (time zone in quarters of an hour)");
        if text.len() != 15 || !text.is_ascii() {
            return Err(bad());
        }
        let number = |range: std::ops::Range<usize>| text[range].parse::<u8>().map_err(|_| bad());
        let sign = match &text[12..13] {
            "+" => 1,
            "-" => -1,
            _ => return Err(bad()),
        };
        let quarters = number(13..15)?;
        let stamp = Timestamp {
            year: number(0..2)?,
            month: number(2..4)?,
            day: number(4..6)?,
            hour: number(6..8)?,
            minute: number(8..10)?,
            second: number(10..12)?,
            zone_quarters: sign * quarters.min(79) as i8,
        };
        if !(1..=12).contains(&stamp.month)
            || !(1..=31).contains(&stamp.day)
            || stamp.hour > 23
            || stamp.minute > 59
            || stamp.second > 59
            || quarters > 79
        {
            return Err(bad());
        }
        Ok(stamp)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let minutes = i32::from(self.zone_quarters) * 15;
        let sign = if minutes < 0 { '-' } else { '+' };
        write!(
            f,
            "{:02}-{:02}-{:02} {:02}:{:02}:{:02} GMT{sign}{:02}:{:02}",
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            minutes.abs() / 60,
            minutes.abs() % 60
        )
    }
}

/// TP-VP of an SMS-SUBMIT, as TP-VPF announces it (§9.2.3.3, §9.2.3.12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidityPeriod {
    /// TP-VPF `00`: absent.
    None,
    /// TP-VPF `10`: one octet, relative (§9.2.3.12.1).
    Relative(u8),
    /// TP-VPF `01`: seven octets, enhanced format (§9.2.3.12.3).
    Enhanced([u8; 7]),
    /// TP-VPF `11`: seven octets, absolute time (§9.2.3.12.2).
    Absolute(Timestamp),
}

impl ValidityPeriod {
    /// TP-VPF: b4–b3 of the first octet.
    fn vpf(&self) -> u8 {
        match self {
            ValidityPeriod::None => 0b00,
            ValidityPeriod::Relative(_) => 0b10,
            ValidityPeriod::Enhanced(_) => 0b01,
            ValidityPeriod::Absolute(_) => 0b11,
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            ValidityPeriod::None => Vec::new(),
            ValidityPeriod::Relative(v) => vec![*v],
            ValidityPeriod::Enhanced(b) => b.to_vec(),
            ValidityPeriod::Absolute(t) => t.emit().to_vec(),
        }
    }

    fn text(&self) -> String {
        match self {
            ValidityPeriod::None => "absent".into(),
            ValidityPeriod::Relative(v) => relative_validity(*v),
            ValidityPeriod::Enhanced(b) => format!("enhanced format {}", hex::spaced(b)),
            ValidityPeriod::Absolute(t) => format!("until {t}"),
        }
    }
}

/// The minutes a relative TP-VP octet codes (§9.2.3.12.1).
pub fn relative_validity_minutes(v: u8) -> u32 {
    match v {
        0..=143 => (u32::from(v) + 1) * 5,
        144..=167 => 12 * 60 + (u32::from(v) - 143) * 30,
        168..=196 => (u32::from(v) - 166) * 24 * 60,
        _ => (u32::from(v) - 192) * 7 * 24 * 60,
    }
}

/// The duration a relative TP-VP octet codes (§9.2.3.12.1).
pub fn relative_validity(v: u8) -> String {
    let minutes = relative_validity_minutes(v);
    match minutes {
        m if m % (7 * 24 * 60) == 0 && v >= 197 => format!("{} weeks", m / (7 * 24 * 60)),
        m if m % (24 * 60) == 0 && v >= 168 => format!("{} days", m / (24 * 60)),
        m if m % 60 == 0 => format!("{} h", m / 60),
        m if m > 60 => format!("{} h {} min", m / 60, m % 60),
        m => format!("{m} min"),
    }
}

// ---------------------------------------------------------------------------------------
// User data header (§9.2.3.24)

/// One information element of the user data header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InformationElement {
    /// `00`: concatenated short message, 8-bit reference (§9.2.3.24.1).
    Concatenated8 {
        reference: u8,
        total: u8,
        sequence: u8,
    },
    /// `08`: concatenated short message, 16-bit reference (§9.2.3.24.8).
    Concatenated16 {
        reference: u16,
        total: u8,
        sequence: u8,
    },
    /// `70`, length 0: (U)SIM toolkit security header, command packet identifier
    /// (3GPP TS 31.115 §4.2).
    CommandPacket,
    /// `71`, length 0: response packet identifier (TS 31.115 §4.4).
    ResponsePacket,
    /// Any other element, kept as bytes.
    Other { iei: u8, data: Vec<u8> },
}

impl InformationElement {
    pub fn iei(&self) -> u8 {
        match self {
            InformationElement::Concatenated8 { .. } => 0x00,
            InformationElement::Concatenated16 { .. } => 0x08,
            InformationElement::CommandPacket => 0x70,
            InformationElement::ResponsePacket => 0x71,
            InformationElement::Other { iei, .. } => *iei,
        }
    }

    fn data(&self) -> Vec<u8> {
        match self {
            InformationElement::Concatenated8 {
                reference,
                total,
                sequence,
            } => vec![*reference, *total, *sequence],
            InformationElement::Concatenated16 {
                reference,
                total,
                sequence,
            } => {
                let r = reference.to_be_bytes();
                vec![r[0], r[1], *total, *sequence]
            }
            InformationElement::CommandPacket | InformationElement::ResponsePacket => Vec::new(),
            InformationElement::Other { data, .. } => data.clone(),
        }
    }

    fn emit_into(&self, out: &mut Vec<u8>) {
        let data = self.data();
        out.push(self.iei());
        out.push(data.len() as u8);
        out.extend(data);
    }

    fn from_parts(iei: u8, data: &[u8]) -> Result<InformationElement, DecodeError> {
        let expect = |len: usize, name: &'static str| {
            if data.len() == len {
                Ok(())
            } else {
                Err(DecodeError::BadLength {
                    what: name,
                    detail: format!("IEI {iei:02X} takes {len} data bytes, {} given", data.len()),
                })
            }
        };
        Ok(match iei {
            0x00 => {
                expect(3, "concatenation element (IEI 00)")?;
                InformationElement::Concatenated8 {
                    reference: data[0],
                    total: data[1],
                    sequence: data[2],
                }
            }
            0x08 => {
                expect(4, "concatenation element (IEI 08)")?;
                InformationElement::Concatenated16 {
                    reference: u16::from_be_bytes([data[0], data[1]]),
                    total: data[2],
                    sequence: data[3],
                }
            }
            0x70 => {
                expect(0, "command packet identifier (IEI 70)")?;
                InformationElement::CommandPacket
            }
            0x71 => {
                expect(0, "response packet identifier (IEI 71)")?;
                InformationElement::ResponsePacket
            }
            _ => InformationElement::Other {
                iei,
                data: data.to_vec(),
            },
        })
    }
}

/// The name §9.2.3.24 gives an IEI.
pub fn iei_name(iei: u8) -> &'static str {
    match iei {
        0x00 => "concatenated short messages, 8-bit reference",
        0x01 => "special SMS message indication",
        0x04 => "application port addressing, 8-bit",
        0x05 => "application port addressing, 16-bit",
        0x06 => "SMSC control parameters",
        0x07 => "UDH source indicator",
        0x08 => "concatenated short messages, 16-bit reference",
        0x09 => "wireless control message protocol",
        0x0A..=0x1F => "EMS element",
        0x20 => "RFC 822 e-mail header",
        0x21 => "hyperlink format element",
        0x22 => "reply address element",
        0x23 => "enhanced voice mail information",
        0x24 => "national language single shift",
        0x25 => "national language locking shift",
        0x70 => "(U)SIM toolkit security header: command packet identifier",
        0x71 => "(U)SIM toolkit security header: response packet identifier",
        0x72..=0x7F => "(U)SIM toolkit security header, reserved",
        0x80..=0x9F => "SME to SME specific use",
        0xC0..=0xDF => "SC specific use",
        _ => "reserved",
    }
}

/// TP-UD: an optional header and the body. The body holds octets, or septet values
/// (0–127, one per byte) when TP-UDL counts septets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserData {
    pub header: Option<Vec<InformationElement>>,
    pub body: Vec<u8>,
}

impl UserData {
    /// User data with a header.
    pub fn with_header(header: Vec<InformationElement>, body: Vec<u8>) -> UserData {
        UserData {
            header: Some(header),
            body,
        }
    }

    fn header_bytes(&self) -> Vec<u8> {
        let Some(elements) = &self.header else {
            return Vec::new();
        };
        let mut out = vec![0];
        for element in elements {
            element.emit_into(&mut out);
        }
        out[0] = (out.len() - 1) as u8;
        out
    }

    /// The first element with `iei`.
    pub fn element(&self, iei: u8) -> Option<&InformationElement> {
        self.header.as_ref()?.iter().find(|e| e.iei() == iei)
    }

    /// The concatenation element, 8- or 16-bit, if any.
    pub fn concatenation(&self) -> Option<(ConcatReference, u8, u8)> {
        self.header.as_ref()?.iter().find_map(|e| match e {
            InformationElement::Concatenated8 {
                reference,
                total,
                sequence,
            } => Some((ConcatReference::Eight(*reference), *total, *sequence)),
            InformationElement::Concatenated16 {
                reference,
                total,
                sequence,
            } => Some((ConcatReference::Sixteen(*reference), *total, *sequence)),
            _ => None,
        })
    }

    /// TP-UDL and TP-UD (§9.2.3.16, §9.2.3.24).
    pub fn emit(&self, septets: bool) -> Result<(u8, Vec<u8>), DecodeError> {
        let header = self.header_bytes();
        let (udl, bytes) = if septets {
            let header_septets = (header.len() * 8).div_ceil(7);
            let udl = header_septets + self.body.len();
            if udl > MAX_SEPTETS {
                return Err(DecodeError::BadLength {
                    what: "user data",
                    detail: format!("{udl} septets, at most 160 fit"),
                });
            }
            let mut bytes = pack_septets(&self.body, 7 * header_septets);
            bytes[..header.len()].copy_from_slice(&header);
            (udl, bytes)
        } else {
            let mut bytes = header;
            bytes.extend_from_slice(&self.body);
            (bytes.len(), bytes)
        };
        if bytes.len() > MAX_USER_DATA {
            return Err(DecodeError::BadLength {
                what: "user data",
                detail: format!("{} octets, at most 140 fit", bytes.len()),
            });
        }
        Ok((udl as u8, bytes))
    }

    /// Parses TP-UD from `bytes` (everything after TP-UDL, which must be exactly the
    /// user data) given TP-UDL, TP-UDHI and whether TP-UDL counts septets.
    pub fn parse(
        udl: u8,
        bytes: &[u8],
        udhi: bool,
        septets: bool,
    ) -> Result<UserData, DecodeError> {
        let udl = usize::from(udl);
        let octets = if septets { (7 * udl).div_ceil(8) } else { udl };
        if septets && udl > MAX_SEPTETS || octets > MAX_USER_DATA {
            return Err(DecodeError::BadLength {
                what: "TP-UDL",
                detail: format!(
                    "{udl} {} is more than TP-UD holds (160 septets, 140 octets)",
                    if septets { "septets" } else { "octets" }
                ),
            });
        }
        if bytes.len() < octets {
            return Err(truncated("user data", octets, bytes.len()));
        }
        if bytes.len() > octets {
            return Err(DecodeError::TrailingBytes {
                what: "user data",
                count: bytes.len() - octets,
            });
        }
        let (header, header_len) = if udhi {
            let udhl = usize::from(*bytes.first().ok_or(truncated("user data header", 1, 0))?);
            let raw = bytes.get(1..1 + udhl).ok_or(truncated(
                "user data header",
                1 + udhl,
                bytes.len(),
            ))?;
            let mut elements = Vec::new();
            let mut rest = raw;
            while let Some((&iei, tail)) = rest.split_first() {
                let (&len, tail) =
                    tail.split_first()
                        .ok_or(truncated("information element", 2, rest.len()))?;
                let data = tail.get(..usize::from(len)).ok_or(truncated(
                    "information element data",
                    usize::from(len),
                    tail.len(),
                ))?;
                elements.push(InformationElement::from_parts(iei, data)?);
                rest = &tail[usize::from(len)..];
            }
            (Some(elements), 1 + udhl)
        } else {
            (None, 0)
        };
        let body = if septets {
            let header_septets = (header_len * 8).div_ceil(7);
            let count = udl
                .checked_sub(header_septets)
                .ok_or(DecodeError::BadLength {
                    what: "TP-UDL",
                    detail: format!("{udl} septets do not hold the {header_len}-octet header"),
                })?;
            unpack_septets(bytes, count, 7 * header_septets).ok_or(truncated(
                "user data",
                octets,
                bytes.len(),
            ))?
        } else {
            bytes[header_len..].to_vec()
        };
        Ok(UserData { header, body })
    }

    /// Fields for TP-UDL and TP-UD at `start` (the UDL octet).
    fn describe(
        &self,
        parent: &mut Field,
        start: usize,
        coding: DataCoding,
    ) -> Result<(), DecodeError> {
        let septets = coding.counts_septets();
        let (udl, bytes) = self.emit(septets)?;
        parent
            .child("udl", "User data length (TP-UDL)", start, 1)
            .with_value(udl.to_string())
            .with_note(if septets {
                "septets, header and fill bits included (TS 23.040 §9.2.3.16)"
            } else {
                "octets (TS 23.040 §9.2.3.16)"
            });
        if bytes.is_empty() {
            return Ok(());
        }
        let ud_start = start + 1;
        let ud_path = parent.child_path("user_data");
        let mut ud = Field::new(ud_path, "User data (TP-UD)", ud_start, bytes.len());
        let header = self.header_bytes();
        if self.header.is_some() {
            let mut udh = Field::new(
                ud.child_path("header"),
                "User data header",
                ud_start,
                header.len(),
            )
            .with_value(format!(
                "{} element(s)",
                self.header.as_ref().map_or(0, Vec::len)
            ))
            .with_note("TS 23.040 §9.2.3.24");
            udh.child("udhl", "Header length (UDHL)", ud_start, 1)
                .with_value((header.len() - 1).to_string());
            let mut at = ud_start + 1;
            for (i, element) in self.header.iter().flatten().enumerate() {
                let data = element.data();
                let mut ie = Field::new(
                    udh.child_path(&format!("element_{i}")),
                    "Information element",
                    at,
                    2 + data.len(),
                )
                .with_value(format!(
                    "{:02X} {}",
                    element.iei(),
                    iei_name(element.iei())
                ));
                ie.child("iei", "IEI", at, 1)
                    .with_value(format!("{:02X}", element.iei()));
                ie.child("length", "Length", at + 1, 1)
                    .with_value(data.len().to_string());
                match element {
                    InformationElement::Concatenated8 {
                        reference,
                        total,
                        sequence,
                    } => {
                        ie.child("reference", "Reference number", at + 2, 1)
                            .with_value(reference.to_string());
                        ie.child("total", "Number of messages", at + 3, 1)
                            .with_value(total.to_string());
                        ie.child("sequence", "Sequence number", at + 4, 1)
                            .with_value(sequence.to_string());
                    }
                    InformationElement::Concatenated16 {
                        reference,
                        total,
                        sequence,
                    } => {
                        ie.child("reference", "Reference number", at + 2, 2)
                            .with_value(reference.to_string());
                        ie.child("total", "Number of messages", at + 4, 1)
                            .with_value(total.to_string());
                        ie.child("sequence", "Sequence number", at + 5, 1)
                            .with_value(sequence.to_string());
                    }
                    InformationElement::CommandPacket => {
                        ie.note = "the user data that follows is (the start of) a secured command packet, TS 31.115 §4.2".into();
                    }
                    InformationElement::ResponsePacket => {
                        ie.note = "the user data that follows is a secured response packet (PoR), TS 31.115 §4.4".into();
                    }
                    InformationElement::Other { data, .. } => {
                        if !data.is_empty() {
                            ie.child("data", "Data", at + 2, data.len())
                                .with_value(hex::spaced(data));
                        }
                    }
                }
                at += 2 + data.len();
                udh.children.push(ie);
            }
            ud.children.push(udh);
        }
        let body_start = ud_start + header.len();
        let body_len = bytes.len() - header.len();
        if body_len > 0 {
            let mut body = Field::new(ud.child_path("body"), "Body", body_start, body_len);
            body.value = match coding.alphabet {
                _ if coding.compressed => hex::spaced(&self.body),
                Alphabet::Gsm7 => text::gsm_unpacked(&self.body),
                Alphabet::Eight => hex::spaced(&self.body),
                Alphabet::Ucs2 => ucs2_text(&self.body),
            };
            let single = self.concatenation().is_none();
            if single && self.element(0x70).is_some() {
                match ota::describe_command(&self.body, None) {
                    Ok(packet) => {
                        body.note = "a secured command packet (TS 102 225 §5.1)".into();
                        body.children
                            .push(packet.shifted(body_start).prefixed(&body.path));
                    }
                    Err(error) => body.note = format!("not a well-formed command packet: {error}"),
                }
            } else if single && self.element(0x71).is_some() {
                match ota::describe_response(&self.body, None) {
                    Ok(packet) => {
                        body.note = "a secured response packet (TS 102 225 §5.2)".into();
                        body.children
                            .push(packet.shifted(body_start).prefixed(&body.path));
                    }
                    Err(error) => body.note = format!("not a well-formed response packet: {error}"),
                }
            } else if self.concatenation().is_some() {
                body.note = "one segment of a concatenated message".into();
            }
            ud.children.push(body);
        }
        parent.children.push(ud);
        Ok(())
    }
}

fn ucs2_text(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|p| u16::from_be_bytes([p[0], p.get(1).copied().unwrap_or(0)]))
        .collect();
    String::from_utf16_lossy(&units)
}

// ---------------------------------------------------------------------------------------
// SMS-DELIVER and SMS-SUBMIT

/// SMS-DELIVER (§9.2.2.1), service centre → phone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsDeliver {
    /// TP-MMS = 0: more messages are waiting in the service centre.
    pub more_messages_waiting: bool,
    /// TP-LP (§9.2.3.28): forwarded or spawned message, loop prevention.
    pub loop_prevention: bool,
    /// TP-SRI: a status report will be returned to the sender.
    pub status_report_indication: bool,
    /// TP-RP: reply path set.
    pub reply_path: bool,
    /// TP-OA.
    pub originating_address: Address,
    /// TP-PID.
    pub protocol_identifier: u8,
    /// TP-DCS.
    pub data_coding_scheme: u8,
    /// TP-SCTS.
    pub service_centre_time_stamp: Timestamp,
    pub user_data: UserData,
}

impl SmsDeliver {
    /// Parses an SMS-DELIVER TPDU (TP-MTI `00`); the bytes must be exactly one TPDU.
    pub fn parse(bytes: &[u8]) -> Result<SmsDeliver, DecodeError> {
        let first = *bytes.first().ok_or(truncated("SMS-DELIVER", 1, 0))?;
        if first & 0b11 != 0b00 {
            return Err(DecodeError::BadValue {
                what: "TP-MTI",
                detail: format!("{:02b} is not SMS-DELIVER (00)", first & 0b11),
            });
        }
        let (originating_address, len) = Address::parse(&bytes[1..])?;
        let at = 1 + len;
        let fixed = bytes.get(at..at + 10).ok_or(truncated(
            "SMS-DELIVER (TP-PID to TP-UDL)",
            at + 10,
            bytes.len(),
        ))?;
        let coding = DataCoding::from_byte(fixed[1]);
        let user_data = UserData::parse(
            fixed[9],
            &bytes[at + 10..],
            first & 0x40 != 0,
            coding.counts_septets(),
        )?;
        Ok(SmsDeliver {
            more_messages_waiting: first & 0x04 == 0,
            loop_prevention: first & 0x08 != 0,
            status_report_indication: first & 0x20 != 0,
            reply_path: first & 0x80 != 0,
            originating_address,
            protocol_identifier: fixed[0],
            data_coding_scheme: fixed[1],
            service_centre_time_stamp: Timestamp::parse(&fixed[2..9])?,
            user_data,
        })
    }

    fn first_octet(&self) -> u8 {
        (u8::from(!self.more_messages_waiting) << 2)
            | (u8::from(self.loop_prevention) << 3)
            | (u8::from(self.status_report_indication) << 5)
            | (u8::from(self.user_data.header.is_some()) << 6)
            | (u8::from(self.reply_path) << 7)
    }

    /// The TPDU bytes.
    pub fn emit(&self) -> Result<Vec<u8>, DecodeError> {
        let coding = DataCoding::from_byte(self.data_coding_scheme);
        let (udl, ud) = self.user_data.emit(coding.counts_septets())?;
        let mut out = vec![self.first_octet()];
        out.extend(self.originating_address.emit());
        out.push(self.protocol_identifier);
        out.push(self.data_coding_scheme);
        out.extend(self.service_centre_time_stamp.emit());
        out.push(udl);
        out.extend(ud);
        Ok(out)
    }

    /// The field tree (path `sms_deliver`).
    pub fn describe(&self) -> Result<Field, DecodeError> {
        let bytes = self.emit()?;
        let mut root = Field::new("sms_deliver", "SMS-DELIVER", 0, bytes.len())
            .with_value(format!("from {}", self.originating_address.text()))
            .with_note(
                "3GPP TS 23.040 §9.2.2.1: a short message from the service centre to the phone",
            );
        let first = self.first_octet();
        let octet = root
            .child("first_octet", "First octet", 0, 1)
            .with_value(format!("{first:02X}"));
        octet
            .child("mti", "TP-MTI (b1-b0)", 0, 1)
            .with_value("00 SMS-DELIVER");
        octet
            .child("mms", "TP-MMS (b2)", 0, 1)
            .with_value(if self.more_messages_waiting {
                "0 more messages are waiting"
            } else {
                "1 no more messages are waiting"
            });
        octet
            .child("lp", "TP-LP (b3)", 0, 1)
            .with_value(if self.loop_prevention {
                "1 forwarded or spawned message"
            } else {
                "0 not forwarded or spawned"
            });
        octet
            .child("sri", "TP-SRI (b5)", 0, 1)
            .with_value(if self.status_report_indication {
                "1 a status report will be returned to the sender"
            } else {
                "0 no status report"
            });
        udhi_field(octet, self.user_data.header.is_some());
        reply_path_field(octet, self.reply_path);
        root.children.push(self.originating_address.describe(
            "sms_deliver.originating_address",
            "Originating address (TP-OA)",
            1,
        ));
        let at = 1 + self.originating_address.buffer_len();
        describe_pid_dcs(
            &mut root,
            at,
            self.protocol_identifier,
            self.data_coding_scheme,
        );
        root.child("scts", "Service centre time stamp (TP-SCTS)", at + 2, 7)
            .with_value(self.service_centre_time_stamp.to_string())
            .with_note("swapped BCD; time zone in quarters of an hour (TS 23.040 §9.2.3.11)");
        self.user_data.describe(
            &mut root,
            at + 9,
            DataCoding::from_byte(self.data_coding_scheme),
        )?;
        Ok(root)
    }
}

fn describe_pid_dcs(root: &mut Field, at: usize, pid: u8, dcs: u8) {
    root.child("pid", "Protocol identifier (TP-PID)", at, 1)
        .with_value(format!("{pid:02X} {}", protocol_identifier_name(pid)))
        .with_note("TS 23.040 §9.2.3.9");
    root.child("dcs", "Data coding scheme (TP-DCS)", at + 1, 1)
        .with_value(format!(
            "{dcs:02X} {}",
            DataCoding::from_byte(dcs).describe_text()
        ))
        .with_note("3GPP TS 23.038 §4");
}

/// SMS-SUBMIT (§9.2.2.2), phone → service centre.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsSubmit {
    /// TP-RD: reject a duplicate still held by the service centre.
    pub reject_duplicates: bool,
    /// TP-VPF and TP-VP.
    pub validity_period: ValidityPeriod,
    /// TP-SRR: a status report is requested.
    pub status_report_request: bool,
    /// TP-RP.
    pub reply_path: bool,
    /// TP-MR.
    pub message_reference: u8,
    /// TP-DA.
    pub destination_address: Address,
    pub protocol_identifier: u8,
    pub data_coding_scheme: u8,
    pub user_data: UserData,
}

impl SmsSubmit {
    /// Parses an SMS-SUBMIT TPDU (TP-MTI `01`); the bytes must be exactly one TPDU.
    pub fn parse(bytes: &[u8]) -> Result<SmsSubmit, DecodeError> {
        let head = bytes
            .get(..2)
            .ok_or(truncated("SMS-SUBMIT", 2, bytes.len()))?;
        let first = head[0];
        if first & 0b11 != 0b01 {
            return Err(DecodeError::BadValue {
                what: "TP-MTI",
                detail: format!("{:02b} is not SMS-SUBMIT (01)", first & 0b11),
            });
        }
        let (destination_address, len) = Address::parse(&bytes[2..])?;
        let mut at = 2 + len;
        let pid_dcs = bytes.get(at..at + 2).ok_or(truncated(
            "SMS-SUBMIT (TP-PID, TP-DCS)",
            at + 2,
            bytes.len(),
        ))?;
        let (pid, dcs) = (pid_dcs[0], pid_dcs[1]);
        at += 2;
        let vp_len = match (first >> 3) & 0b11 {
            0b00 => 0,
            0b10 => 1,
            _ => 7,
        };
        let vp = bytes
            .get(at..at + vp_len)
            .ok_or(truncated("TP-VP", at + vp_len, bytes.len()))?;
        let validity_period = match (first >> 3) & 0b11 {
            0b00 => ValidityPeriod::None,
            0b10 => ValidityPeriod::Relative(vp[0]),
            0b01 => ValidityPeriod::Enhanced(vp.try_into().unwrap_or([0; 7])),
            _ => ValidityPeriod::Absolute(Timestamp::parse(vp)?),
        };
        at += vp_len;
        let udl = *bytes
            .get(at)
            .ok_or(truncated("TP-UDL", at + 1, bytes.len()))?;
        let coding = DataCoding::from_byte(dcs);
        let user_data = UserData::parse(
            udl,
            &bytes[at + 1..],
            first & 0x40 != 0,
            coding.counts_septets(),
        )?;
        Ok(SmsSubmit {
            reject_duplicates: first & 0x04 != 0,
            validity_period,
            status_report_request: first & 0x20 != 0,
            reply_path: first & 0x80 != 0,
            message_reference: head[1],
            destination_address,
            protocol_identifier: pid,
            data_coding_scheme: dcs,
            user_data,
        })
    }

    fn first_octet(&self) -> u8 {
        0b01 | (u8::from(self.reject_duplicates) << 2)
            | (self.validity_period.vpf() << 3)
            | (u8::from(self.status_report_request) << 5)
            | (u8::from(self.user_data.header.is_some()) << 6)
            | (u8::from(self.reply_path) << 7)
    }

    /// The TPDU bytes.
    pub fn emit(&self) -> Result<Vec<u8>, DecodeError> {
        let coding = DataCoding::from_byte(self.data_coding_scheme);
        let (udl, ud) = self.user_data.emit(coding.counts_septets())?;
        let mut out = vec![self.first_octet(), self.message_reference];
        out.extend(self.destination_address.emit());
        out.push(self.protocol_identifier);
        out.push(self.data_coding_scheme);
        out.extend(self.validity_period.bytes());
        out.push(udl);
        out.extend(ud);
        Ok(out)
    }

    /// The field tree (path `sms_submit`).
    pub fn describe(&self) -> Result<Field, DecodeError> {
        let bytes = self.emit()?;
        let mut root = Field::new("sms_submit", "SMS-SUBMIT", 0, bytes.len())
            .with_value(format!("to {}", self.destination_address.text()))
            .with_note(
                "3GPP TS 23.040 §9.2.2.2: a short message from the phone to the service centre",
            );
        let first = self.first_octet();
        let octet = root
            .child("first_octet", "First octet", 0, 1)
            .with_value(format!("{first:02X}"));
        octet
            .child("mti", "TP-MTI (b1-b0)", 0, 1)
            .with_value("01 SMS-SUBMIT");
        octet
            .child("rd", "TP-RD (b2)", 0, 1)
            .with_value(if self.reject_duplicates {
                "1 reject duplicates"
            } else {
                "0 accept duplicates"
            });
        octet
            .child("vpf", "TP-VPF (b4-b3)", 0, 1)
            .with_value(format!(
                "{:02b} {}",
                self.validity_period.vpf(),
                match self.validity_period {
                    ValidityPeriod::None => "TP-VP absent",
                    ValidityPeriod::Relative(_) => "TP-VP relative",
                    ValidityPeriod::Enhanced(_) => "TP-VP enhanced",
                    ValidityPeriod::Absolute(_) => "TP-VP absolute",
                }
            ));
        octet
            .child("srr", "TP-SRR (b5)", 0, 1)
            .with_value(if self.status_report_request {
                "1 status report requested"
            } else {
                "0 no status report requested"
            });
        udhi_field(octet, self.user_data.header.is_some());
        reply_path_field(octet, self.reply_path);
        root.child("mr", "Message reference (TP-MR)", 1, 1)
            .with_value(self.message_reference.to_string());
        root.children.push(self.destination_address.describe(
            "sms_submit.destination_address",
            "Destination address (TP-DA)",
            2,
        ));
        let mut at = 2 + self.destination_address.buffer_len();
        describe_pid_dcs(
            &mut root,
            at,
            self.protocol_identifier,
            self.data_coding_scheme,
        );
        at += 2;
        let vp = self.validity_period.bytes();
        if !vp.is_empty() {
            root.child("vp", "Validity period (TP-VP)", at, vp.len())
                .with_value(self.validity_period.text())
                .with_note("TS 23.040 §9.2.3.12");
            at += vp.len();
        }
        self.user_data.describe(
            &mut root,
            at,
            DataCoding::from_byte(self.data_coding_scheme),
        )?;
        Ok(root)
    }
}

// ---------------------------------------------------------------------------------------
// OTA framing (3GPP TS 31.115 §4.2, §4.3)

/// A concatenation reference: the 8-bit (IEI `00`) or 16-bit (IEI `08`) form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConcatReference {
    Eight(u8),
    Sixteen(u16),
}

impl ConcatReference {
    fn element(self, total: u8, sequence: u8) -> InformationElement {
        match self {
            ConcatReference::Eight(reference) => InformationElement::Concatenated8 {
                reference,
                total,
                sequence,
            },
            ConcatReference::Sixteen(reference) => InformationElement::Concatenated16 {
                reference,
                total,
                sequence,
            },
        }
    }

    /// Octets the element takes in the header (IEI, length, data).
    fn element_len(self) -> usize {
        match self {
            ConcatReference::Eight(_) => 5,
            ConcatReference::Sixteen(_) => 6,
        }
    }
}

/// The user data of the SMS that carry one secured command packet (CPL to the end),
/// for 8-bit data (TP-DCS `F6`).
///
/// * If the packet fits one SMS (at most 137 octets after the 3-octet header), one user
///   data: header `02 70 00`, then the packet (TS 31.115 §4.2).
/// * Otherwise concatenated SMS (TS 31.115 §4.3, TS 23.040 §9.2.3.24.1): every segment
///   carries the concatenation element (`00` or `08` with `reference`, total, sequence
///   number from 1); only the first also carries the command packet identifier `70 00`,
///   after it, so the first segment's header is `07 00 03 ref n 1 70 00` (132 packet
///   octets follow) and the others' `05 00 03 ref n i` (134 octets).
pub fn command_packet_user_data(
    packet: &[u8],
    reference: ConcatReference,
) -> Result<Vec<UserData>, DecodeError> {
    if packet.len() + 3 <= MAX_USER_DATA {
        return Ok(vec![UserData::with_header(
            vec![InformationElement::CommandPacket],
            packet.to_vec(),
        )]);
    }
    let first_room = MAX_USER_DATA - 1 - reference.element_len() - 2;
    let other_room = MAX_USER_DATA - 1 - reference.element_len();
    let rest = packet.len() - first_room;
    let total = 1 + rest.div_ceil(other_room);
    let total = u8::try_from(total).map_err(|_| DecodeError::BadLength {
        what: "command packet",
        detail: format!(
            "{} bytes need {total} SMS, at most 255 can be concatenated",
            packet.len()
        ),
    })?;
    let mut out = vec![UserData::with_header(
        vec![
            reference.element(total, 1),
            InformationElement::CommandPacket,
        ],
        packet[..first_room].to_vec(),
    )];
    for (i, chunk) in packet[first_room..].chunks(other_room).enumerate() {
        out.push(UserData::with_header(
            vec![reference.element(total, (i + 2) as u8)],
            chunk.to_vec(),
        ));
    }
    Ok(out)
}

/// An SMS-DELIVER for the card's OTA layer: TP-PID `7F` ((U)SIM data download), TP-DCS
/// `F6` (class 2, 8-bit data), no more messages waiting, no status report, no reply
/// path (TS 31.115 §4, TS 31.111 §7.1.1).
pub fn ota_deliver(originator: Address, time_stamp: Timestamp, user_data: UserData) -> SmsDeliver {
    SmsDeliver {
        more_messages_waiting: false,
        loop_prevention: false,
        status_report_indication: false,
        reply_path: false,
        originating_address: originator,
        protocol_identifier: PID_SIM_DATA_DOWNLOAD,
        data_coding_scheme: DCS_CLASS2_8BIT,
        service_centre_time_stamp: time_stamp,
        user_data,
    }
}

/// Segments waiting for their siblings.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pending {
    total: u8,
    segments: BTreeMap<u8, UserData>,
}

/// Most concatenated messages a [`Reassembler`] keeps open at once.
pub const MAX_PENDING: usize = 8;

/// Puts the segments of a concatenated OTA command back together (TS 23.040
/// §9.2.3.24.1, TS 31.115 §4.3), keyed by concatenation reference: segments may come in
/// any order, a duplicate (same reference and sequence number) is ignored, and until
/// every sequence number has arrived the message stays incomplete.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reassembler {
    pending: BTreeMap<ConcatReference, Pending>,
}

impl Reassembler {
    pub fn new() -> Reassembler {
        Reassembler::default()
    }

    /// Takes one SMS user data. Returns the whole command packet (CPL to the end) when
    /// this completed it, `None` while segments are missing (or this one was a
    /// duplicate). A single SMS with `70` and no concatenation element completes at
    /// once.
    ///
    /// Errors: no `70` in a single SMS or in the first segment; a sequence number of 0
    /// or above the total; a total differing from earlier segments with the same
    /// reference; more than [`MAX_PENDING`] messages open.
    pub fn push(&mut self, user_data: &UserData) -> Result<Option<Vec<u8>>, DecodeError> {
        let Some((reference, total, sequence)) = user_data.concatenation() else {
            if user_data.element(0x70).is_some() {
                return Ok(Some(user_data.body.clone()));
            }
            return Err(DecodeError::Missing {
                what: "command packet identifier (IEI 70)",
                within: "OTA short message (TS 31.115 §4.2)",
            });
        };
        if total == 0 || sequence == 0 || sequence > total {
            return Err(DecodeError::BadValue {
                what: "concatenation element",
                detail: format!(
                    "sequence {sequence} of {total}: TS 23.040 §9.2.3.24.1 says to ignore such an element"
                ),
            });
        }
        if !self.pending.contains_key(&reference) && self.pending.len() >= MAX_PENDING {
            return Err(DecodeError::BadValue {
                what: "concatenated message",
                detail: format!("already {MAX_PENDING} incomplete messages waiting"),
            });
        }
        let pending = self.pending.entry(reference).or_insert_with(|| Pending {
            total,
            segments: BTreeMap::new(),
        });
        if pending.total != total {
            return Err(DecodeError::BadValue {
                what: "concatenated message",
                detail: format!(
                    "reference {reference:?} announced {} segments before, {total} now",
                    pending.total
                ),
            });
        }
        pending
            .segments
            .entry(sequence)
            .or_insert_with(|| user_data.clone());
        if pending.segments.len() < usize::from(total) {
            return Ok(None);
        }
        let Some(done) = self.pending.remove(&reference) else {
            return Ok(None);
        };
        if done
            .segments
            .get(&1)
            .and_then(|s| s.element(0x70))
            .is_none()
        {
            return Err(DecodeError::Missing {
                what: "command packet identifier (IEI 70) in the first segment",
                within: "concatenated OTA message (TS 31.115 §4.3)",
            });
        }
        Ok(Some(
            done.segments
                .into_values()
                .flat_map(|segment| segment.body)
                .collect(),
        ))
    }

    /// Sequence numbers still missing for `reference`, or `None` if nothing is pending
    /// under it.
    pub fn missing(&self, reference: ConcatReference) -> Option<Vec<u8>> {
        let pending = self.pending.get(&reference)?;
        Some(
            (1..=pending.total)
                .filter(|s| !pending.segments.contains_key(s))
                .collect(),
        )
    }

    /// How many messages are incomplete.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

// ---------------------------------------------------------------------------------------
// SMS-DELIVER-REPORT (§9.2.2.1a) and SMS-STATUS-REPORT (§9.2.2.3)

/// TP-FCS, the failure cause of an RP-ERROR report (§9.2.3.22). Every byte value is kept
/// (`FailureCause(0x42)` round-trips); [`FailureCause::name`] gives the standard's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FailureCause(pub u8);

impl FailureCause {
    /// `8F` unspecified TP-PID error.
    pub const UNSPECIFIED_PID_ERROR: FailureCause = FailureCause(0x8F);
    /// `9F` unspecified TP-DCS error.
    pub const UNSPECIFIED_DCS_ERROR: FailureCause = FailureCause(0x9F);
    /// `D2` error in MS.
    pub const ERROR_IN_MS: FailureCause = FailureCause(0xD2);
    /// `D3` memory capacity exceeded.
    pub const MEMORY_CAPACITY_EXCEEDED: FailureCause = FailureCause(0xD3);
    /// `D4` (U)SIM Application Toolkit busy: the card answered `93 00` to the SMS-PP
    /// download (3GPP TS 31.111 §7.1.1.1).
    pub const TOOLKIT_BUSY: FailureCause = FailureCause(0xD4);
    /// `D5` (U)SIM data download error: the card answered `6F XX` (TS 31.111 §7.1.1.1).
    pub const DATA_DOWNLOAD_ERROR: FailureCause = FailureCause(0xD5);
    /// `FF` unspecified error cause.
    pub const UNSPECIFIED: FailureCause = FailureCause(0xFF);

    /// The value's meaning in TS 23.040 §9.2.3.22's words.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x00..=0x7F => "reserved",
            0x80 => "telematic interworking not supported",
            0x81 => "short message type 0 not supported",
            0x82 => "cannot replace short message",
            0x83..=0x8E => "reserved (TP-PID error)",
            0x8F => "unspecified TP-PID error",
            0x90 => "data coding scheme (alphabet) not supported",
            0x91 => "message class not supported",
            0x92..=0x9E => "reserved (TP-DCS error)",
            0x9F => "unspecified TP-DCS error",
            0xA0 => "command cannot be actioned",
            0xA1 => "command unsupported",
            0xA2..=0xAE => "reserved (TP-Command error)",
            0xAF => "unspecified TP-Command error",
            0xB0 => "TPDU not supported",
            0xB1..=0xBF => "reserved",
            0xC0 => "SC busy",
            0xC1 => "no SC subscription",
            0xC2 => "SC system failure",
            0xC3 => "invalid SME address",
            0xC4 => "destination SME barred",
            0xC5 => "SM rejected: duplicate SM",
            0xC6 => "TP-VPF not supported",
            0xC7 => "TP-VP not supported",
            0xC8..=0xCF => "reserved",
            0xD0 => "(U)SIM SMS storage full",
            0xD1 => "no SMS storage capability in (U)SIM",
            0xD2 => "error in MS",
            0xD3 => "memory capacity exceeded",
            0xD4 => "(U)SIM Application Toolkit busy",
            0xD5 => "(U)SIM data download error",
            0xD6..=0xDF => "reserved",
            0xE0..=0xFE => "value specific to an application",
            0xFF => "unspecified error cause",
        }
    }
}

impl std::fmt::Display for FailureCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02X} {}", self.0, self.name())
    }
}

/// The relay-layer message (3GPP TS 24.011 §7.3.3 RP-ACK, §7.3.4 RP-ERROR) that carries an
/// SMS-DELIVER-REPORT. The TPDU alone does not say which form it is (§9.2.2.1a): the
/// second octet is TP-FCS in one and TP-PI in the other, so a decoder must be told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum RpResult {
    /// RP-ACK: the short message was accepted.
    Ack,
    /// RP-ERROR: it was not; TP-FCS says why.
    Error,
}

impl RpResult {
    pub fn name(self) -> &'static str {
        match self {
            RpResult::Ack => "RP-ACK",
            RpResult::Error => "RP-ERROR",
        }
    }
}

/// The optional tail of a report TPDU: TP-PI, then TP-PID, TP-DCS and TP-UDL + TP-UD
/// when TP-PI announces them (§9.2.3.27).
///
/// Reading: the TP-PI extension bit (b8) is honoured by skipping the further TP-PI
/// octets, and reserved bits (b7–b4) are ignored, as §9.2.3.27 tells a receiver; a
/// reserved bit set also means octets may follow TP-UD, which are discarded. Neither
/// comes back on `emit` (one TP-PI octet, reserved bits zero). Without TP-DCS, TP-UD is
/// read in the GSM 7-bit default alphabet (TP-DCS `00`, §9.2.3.27).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OptionalParameters {
    pub protocol_identifier: Option<u8>,
    pub data_coding_scheme: Option<u8>,
    /// `Some` when TP-UDL is present (TP-UD then holds TP-UDL octets or septets).
    pub user_data: Option<UserData>,
}

impl OptionalParameters {
    /// TP-PID, TP-DCS and 8-bit user data, the way a phone answers an SMS-PP download
    /// with the card's response data (3GPP TS 31.111 §7.1.1.1: "the values of protocol
    /// identifier and data coding scheme ... shall be as in the original message").
    pub fn with_user_data(pid: u8, dcs: u8, user_data: UserData) -> OptionalParameters {
        OptionalParameters {
            protocol_identifier: Some(pid),
            data_coding_scheme: Some(dcs),
            user_data: Some(user_data),
        }
    }

    /// The TP-PI octet.
    pub fn indicator(&self) -> u8 {
        u8::from(self.protocol_identifier.is_some())
            | (u8::from(self.data_coding_scheme.is_some()) << 1)
            | (u8::from(self.user_data.is_some()) << 2)
    }

    /// Whether TP-UDHI must be set in the first octet.
    fn has_header(&self) -> bool {
        self.user_data
            .as_ref()
            .is_some_and(|ud| ud.header.is_some())
    }

    fn coding(&self) -> DataCoding {
        DataCoding::from_byte(self.data_coding_scheme.unwrap_or(0))
    }

    /// Parses TP-PI and what follows; `bytes` starts at TP-PI and runs to the end of the
    /// TPDU; `udhi` is TP-UDHI from the first octet.
    fn parse(bytes: &[u8], udhi: bool) -> Result<OptionalParameters, DecodeError> {
        let pi = *bytes.first().ok_or(truncated("TP-PI", 1, 0))?;
        let mut at = 1;
        let mut octet = pi;
        while octet & 0x80 != 0 {
            octet =
                *bytes
                    .get(at)
                    .ok_or(truncated("TP-PI extension octet", at + 1, bytes.len()))?;
            at += 1;
        }
        let discard_tail = pi & 0x78 != 0;
        let mut take = |what: &'static str, present: bool| -> Result<Option<u8>, DecodeError> {
            if !present {
                return Ok(None);
            }
            let byte = *bytes.get(at).ok_or(truncated(what, at + 1, bytes.len()))?;
            at += 1;
            Ok(Some(byte))
        };
        let protocol_identifier = take("TP-PID", pi & 0x01 != 0)?;
        let data_coding_scheme = take("TP-DCS", pi & 0x02 != 0)?;
        let udl = take("TP-UDL", pi & 0x04 != 0)?;
        let mut parameters = OptionalParameters {
            protocol_identifier,
            data_coding_scheme,
            user_data: None,
        };
        let rest = &bytes[at..];
        let used = match udl {
            Some(udl) => {
                let coding = parameters.coding();
                let octets = if coding.counts_septets() {
                    (7 * usize::from(udl)).div_ceil(8)
                } else {
                    usize::from(udl)
                };
                let ud = if discard_tail {
                    rest.get(..octets).unwrap_or(rest)
                } else {
                    rest
                };
                parameters.user_data =
                    Some(UserData::parse(udl, ud, udhi, coding.counts_septets())?);
                ud.len()
            }
            None => 0,
        };
        if rest.len() > used && !discard_tail {
            return Err(DecodeError::TrailingBytes {
                what: "report TPDU (after the parameters TP-PI announces)",
                count: rest.len() - used,
            });
        }
        Ok(parameters)
    }

    fn emit_into(&self, out: &mut Vec<u8>) -> Result<(), DecodeError> {
        out.push(self.indicator());
        out.extend(self.protocol_identifier);
        out.extend(self.data_coding_scheme);
        if let Some(ud) = &self.user_data {
            let (udl, bytes) = ud.emit(self.coding().counts_septets())?;
            out.push(udl);
            out.extend(bytes);
        }
        Ok(())
    }

    fn describe_into(&self, root: &mut Field, at: usize) -> Result<(), DecodeError> {
        let pi = self.indicator();
        let mut present = Vec::new();
        if self.protocol_identifier.is_some() {
            present.push("TP-PID");
        }
        if self.data_coding_scheme.is_some() {
            present.push("TP-DCS");
        }
        if self.user_data.is_some() {
            present.push("TP-UDL");
        }
        root.child("pi", "Parameter indicator (TP-PI)", at, 1)
            .with_value(format!(
                "{pi:02X} {}",
                if present.is_empty() {
                    "no optional parameter".to_string()
                } else {
                    format!("{} present", present.join(", "))
                }
            ))
            .with_note("b1 TP-PID, b2 TP-DCS, b3 TP-UDL; b8 extension (TS 23.040 §9.2.3.27)");
        let mut at = at + 1;
        if let Some(pid) = self.protocol_identifier {
            root.child("pid", "Protocol identifier (TP-PID)", at, 1)
                .with_value(format!("{pid:02X} {}", protocol_identifier_name(pid)))
                .with_note("TS 23.040 §9.2.3.9");
            at += 1;
        }
        if let Some(dcs) = self.data_coding_scheme {
            root.child("dcs", "Data coding scheme (TP-DCS)", at, 1)
                .with_value(format!(
                    "{dcs:02X} {}",
                    DataCoding::from_byte(dcs).describe_text()
                ))
                .with_note("3GPP TS 23.038 §4");
            at += 1;
        }
        if let Some(ud) = &self.user_data {
            ud.describe(root, at, self.coding())?;
        }
        Ok(())
    }
}

/// TP-RP, b7 of a first octet (TS 23.040 §9.2.3.17).
fn reply_path_field(octet: &mut Field, set: bool) {
    octet.child("rp", "TP-RP (b7)", 0, 1).with_value(if set {
        "1 reply path set"
    } else {
        "0 no reply path"
    });
}

fn udhi_field(octet: &mut Field, header: bool) {
    octet
        .child("udhi", "TP-UDHI (b6)", 0, 1)
        .with_value(if header {
            "1 the user data starts with a header"
        } else {
            "0 no user data header"
        });
}

/// SMS-DELIVER-REPORT (§9.2.2.1a), phone → service centre, in an RP-ACK or an RP-ERROR.
///
/// ```text
/// RP-ACK:   first octet | TP-PI | [TP-PID] [TP-DCS] [TP-UDL TP-UD]
/// RP-ERROR: first octet | TP-FCS | TP-PI | [TP-PID] [TP-DCS] [TP-UDL TP-UD]
/// first octet: b1-b0 TP-MTI 00, b6 TP-UDHI; the other bits unused (zero)
/// ```
///
/// In answer to an SMS-PP data download the user data carry what the card returned, e.g.
/// a PoR with UDH `02 71 00` (3GPP TS 31.111 §7.1.1.1, TS 31.115 §4.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsDeliverReport {
    /// TP-FCS: `Some` in the RP-ERROR form, `None` in the RP-ACK form.
    pub failure_cause: Option<FailureCause>,
    pub parameters: OptionalParameters,
}

impl SmsDeliverReport {
    /// An RP-ACK report.
    pub fn ack(parameters: OptionalParameters) -> SmsDeliverReport {
        SmsDeliverReport {
            failure_cause: None,
            parameters,
        }
    }

    /// An RP-ERROR report with this failure cause.
    pub fn error(cause: FailureCause, parameters: OptionalParameters) -> SmsDeliverReport {
        SmsDeliverReport {
            failure_cause: Some(cause),
            parameters,
        }
    }

    /// Which RP message carries it.
    pub fn rp(&self) -> RpResult {
        if self.failure_cause.is_some() {
            RpResult::Error
        } else {
            RpResult::Ack
        }
    }

    /// Parses an SMS-DELIVER-REPORT TPDU (TP-MTI `00`, mobile to network) carried in
    /// `rp`; the bytes must be exactly one TPDU.
    pub fn parse(bytes: &[u8], rp: RpResult) -> Result<SmsDeliverReport, DecodeError> {
        let first = *bytes.first().ok_or(truncated("SMS-DELIVER-REPORT", 1, 0))?;
        if first & 0b11 != 0b00 {
            return Err(DecodeError::BadValue {
                what: "TP-MTI",
                detail: format!("{:02b} is not SMS-DELIVER-REPORT (00)", first & 0b11),
            });
        }
        let (failure_cause, at) = match rp {
            RpResult::Ack => (None, 1),
            RpResult::Error => {
                let fcs = *bytes.get(1).ok_or(truncated("TP-FCS", 2, bytes.len()))?;
                (Some(FailureCause(fcs)), 2)
            }
        };
        if bytes.len() <= at {
            return Err(truncated("TP-PI", at + 1, bytes.len()));
        }
        let parameters = OptionalParameters::parse(&bytes[at..], first & 0x40 != 0)?;
        Ok(SmsDeliverReport {
            failure_cause,
            parameters,
        })
    }

    fn first_octet(&self) -> u8 {
        u8::from(self.parameters.has_header()) << 6
    }

    /// The TPDU bytes.
    pub fn emit(&self) -> Result<Vec<u8>, DecodeError> {
        let mut out = vec![self.first_octet()];
        out.extend(self.failure_cause.map(|c| c.0));
        self.parameters.emit_into(&mut out)?;
        Ok(out)
    }

    /// The field tree (path `sms_deliver_report`).
    pub fn describe(&self) -> Result<Field, DecodeError> {
        let bytes = self.emit()?;
        let mut root = Field::new(
            "sms_deliver_report",
            "SMS-DELIVER-REPORT",
            0,
            bytes.len(),
        )
        .with_value(match self.failure_cause {
            None => "RP-ACK: accepted".to_string(),
            Some(cause) => format!("RP-ERROR: {}", cause.name()),
        })
        .with_note(
            "3GPP TS 23.040 §9.2.2.1a: the phone's answer to an SMS-DELIVER, carried in an RP-ACK or RP-ERROR (TS 24.011 §7.3)",
        );
        let first = self.first_octet();
        let octet = root
            .child("first_octet", "First octet", 0, 1)
            .with_value(format!("{first:02X}"));
        octet
            .child("mti", "TP-MTI (b1-b0)", 0, 1)
            .with_value("00 SMS-DELIVER-REPORT (mobile to network)");
        udhi_field(octet, self.parameters.has_header());
        let mut at = 1;
        if let Some(cause) = self.failure_cause {
            root.child("fcs", "Failure cause (TP-FCS)", 1, 1)
                .with_value(cause.to_string())
                .with_note("TS 23.040 §9.2.3.22; present in the RP-ERROR form only");
            at = 2;
        }
        self.parameters.describe_into(&mut root, at)?;
        Ok(root)
    }
}

/// TP-ST, the status of a short message in an SMS-STATUS-REPORT (§9.2.3.15). Every byte
/// value is kept; [`TransferStatus::name`] gives the standard's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TransferStatus(pub u8);

impl TransferStatus {
    /// `00` short message received by the SME.
    pub const RECEIVED: TransferStatus = TransferStatus(0x00);
    /// `40` permanent error: remote procedure error.
    pub const REMOTE_PROCEDURE_ERROR: TransferStatus = TransferStatus(0x40);
    /// `43` permanent error: not obtainable.
    pub const NOT_OBTAINABLE: TransferStatus = TransferStatus(0x43);
    /// `46` permanent error: SM validity period expired.
    pub const VALIDITY_PERIOD_EXPIRED: TransferStatus = TransferStatus(0x46);
    /// `61` temporary error, the SC is not making any more transfer attempts: SME busy.
    pub const SME_BUSY_GIVEN_UP: TransferStatus = TransferStatus(0x61);
    /// `65` temporary error, the SC is not making any more transfer attempts: error in
    /// SME.
    pub const ERROR_IN_SME_GIVEN_UP: TransferStatus = TransferStatus(0x65);

    /// The class of the value: completed, temporary error (still trying or given up),
    /// permanent error.
    pub fn class(self) -> &'static str {
        match self.0 {
            0x00..=0x1F => "short message transaction completed",
            0x20..=0x3F => "temporary error, SC still trying to transfer the SM",
            0x40..=0x5F => "permanent error, SC is not making any more transfer attempts",
            0x60..=0x7F => "temporary error, SC is not making any more transfer attempts",
            _ => "reserved",
        }
    }

    /// Whether the short message reached the recipient (`00`–`02`).
    pub fn is_delivered(self) -> bool {
        self.0 <= 0x02
    }

    /// The value's meaning in TS 23.040 §9.2.3.15's words.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x00 => "short message received by the SME",
            0x01 => "forwarded by the SC to the SME, SC unable to confirm delivery",
            0x02 => "short message replaced by the SC",
            0x10..=0x1F | 0x30..=0x3F | 0x50..=0x5F | 0x70..=0x7F => "value specific to the SC",
            0x20 | 0x60 => "congestion",
            0x21 | 0x61 => "SME busy",
            0x22 | 0x62 => "no response from SME",
            0x23 | 0x63 => "service rejected",
            0x24 | 0x44 | 0x64 => "quality of service not available",
            0x25 | 0x65 => "error in SME",
            0x40 => "remote procedure error",
            0x41 => "incompatible destination",
            0x42 => "connection rejected by SME",
            0x43 => "not obtainable",
            0x45 => "no interworking available",
            0x46 => "SM validity period expired",
            0x47 => "SM deleted by originating SME",
            0x48 => "SM deleted by SC administration",
            0x49 => "SM does not exist",
            _ => "reserved",
        }
    }
}

impl std::fmt::Display for TransferStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02X} {}", self.0, self.name())
    }
}

/// SMS-STATUS-REPORT (§9.2.2.3), service centre → the sender of an SMS-SUBMIT that asked
/// for one (TP-SRR).
///
/// ```text
/// first octet | TP-MR | TP-RA | TP-SCTS(7) | TP-DT(7) | TP-ST | [TP-PI [TP-PID] [TP-DCS] [TP-UDL TP-UD]]
/// first octet: b1-b0 TP-MTI 10, b2 TP-MMS, b3 TP-LP, b5 TP-SRQ, b6 TP-UDHI
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsStatusReport {
    /// TP-MMS = 0: more messages are waiting in the service centre.
    pub more_messages_waiting: bool,
    /// TP-LP (§9.2.3.28).
    pub loop_prevention: bool,
    /// TP-SRQ: `false` reports on an SMS-SUBMIT, `true` on an SMS-COMMAND.
    pub qualifier_command: bool,
    /// TP-MR of the SMS-SUBMIT reported on.
    pub message_reference: u8,
    /// TP-RA: the recipient of that message.
    pub recipient_address: Address,
    /// TP-SCTS: when the service centre received that message.
    pub service_centre_time_stamp: Timestamp,
    /// TP-DT: when it was delivered, or when the service centre gave up (§9.2.3.13).
    pub discharge_time: Timestamp,
    /// TP-ST.
    pub status: TransferStatus,
    /// TP-PI and what it announces; `None` when TP-PI is absent (it is optional here).
    pub parameters: Option<OptionalParameters>,
}

impl SmsStatusReport {
    /// Parses an SMS-STATUS-REPORT TPDU (TP-MTI `10`); the bytes must be exactly one
    /// TPDU.
    pub fn parse(bytes: &[u8]) -> Result<SmsStatusReport, DecodeError> {
        let head = bytes
            .get(..2)
            .ok_or(truncated("SMS-STATUS-REPORT", 2, bytes.len()))?;
        let first = head[0];
        if first & 0b11 != 0b10 {
            return Err(DecodeError::BadValue {
                what: "TP-MTI",
                detail: format!("{:02b} is not SMS-STATUS-REPORT (10)", first & 0b11),
            });
        }
        let (recipient_address, len) = Address::parse(&bytes[2..])?;
        let at = 2 + len;
        let fixed = bytes.get(at..at + 15).ok_or(truncated(
            "SMS-STATUS-REPORT (TP-SCTS, TP-DT, TP-ST)",
            at + 15,
            bytes.len(),
        ))?;
        let parameters = if bytes.len() > at + 15 {
            Some(OptionalParameters::parse(
                &bytes[at + 15..],
                first & 0x40 != 0,
            )?)
        } else {
            None
        };
        Ok(SmsStatusReport {
            more_messages_waiting: first & 0x04 == 0,
            loop_prevention: first & 0x08 != 0,
            qualifier_command: first & 0x20 != 0,
            message_reference: head[1],
            recipient_address,
            service_centre_time_stamp: Timestamp::parse(&fixed[..7])?,
            discharge_time: Timestamp::parse(&fixed[7..14])?,
            status: TransferStatus(fixed[14]),
            parameters,
        })
    }

    fn first_octet(&self) -> u8 {
        0b10 | (u8::from(!self.more_messages_waiting) << 2)
            | (u8::from(self.loop_prevention) << 3)
            | (u8::from(self.qualifier_command) << 5)
            | (u8::from(self.parameters.as_ref().is_some_and(|p| p.has_header())) << 6)
    }

    /// The user data, if any.
    pub fn user_data(&self) -> Option<&UserData> {
        self.parameters.as_ref()?.user_data.as_ref()
    }

    /// The TPDU bytes.
    pub fn emit(&self) -> Result<Vec<u8>, DecodeError> {
        let mut out = vec![self.first_octet(), self.message_reference];
        out.extend(self.recipient_address.emit());
        out.extend(self.service_centre_time_stamp.emit());
        out.extend(self.discharge_time.emit());
        out.push(self.status.0);
        if let Some(parameters) = &self.parameters {
            parameters.emit_into(&mut out)?;
        }
        Ok(out)
    }

    /// The field tree (path `sms_status_report`).
    pub fn describe(&self) -> Result<Field, DecodeError> {
        let bytes = self.emit()?;
        let mut root = Field::new("sms_status_report", "SMS-STATUS-REPORT", 0, bytes.len())
            .with_value(format!(
                "message {} to {}: {}",
                self.message_reference,
                self.recipient_address.text(),
                self.status.name()
            ))
            .with_note(
                "3GPP TS 23.040 §9.2.2.3: the service centre tells the sender what became of its message",
            );
        let first = self.first_octet();
        let octet = root
            .child("first_octet", "First octet", 0, 1)
            .with_value(format!("{first:02X}"));
        octet
            .child("mti", "TP-MTI (b1-b0)", 0, 1)
            .with_value("10 SMS-STATUS-REPORT");
        octet
            .child("mms", "TP-MMS (b2)", 0, 1)
            .with_value(if self.more_messages_waiting {
                "0 more messages are waiting"
            } else {
                "1 no more messages are waiting"
            });
        octet
            .child("lp", "TP-LP (b3)", 0, 1)
            .with_value(if self.loop_prevention {
                "1 forwarded or spawned message"
            } else {
                "0 not forwarded or spawned"
            });
        octet
            .child("srq", "TP-SRQ (b5)", 0, 1)
            .with_value(if self.qualifier_command {
                "1 the result of an SMS-COMMAND"
            } else {
                "0 the result of an SMS-SUBMIT"
            });
        udhi_field(
            octet,
            self.parameters.as_ref().is_some_and(|p| p.has_header()),
        );
        root.child("mr", "Message reference (TP-MR)", 1, 1)
            .with_value(self.message_reference.to_string())
            .with_note("the TP-MR of the SMS-SUBMIT reported on");
        root.children.push(self.recipient_address.describe(
            "sms_status_report.recipient_address",
            "Recipient address (TP-RA)",
            2,
        ));
        let at = 2 + self.recipient_address.buffer_len();
        root.child("scts", "Service centre time stamp (TP-SCTS)", at, 7)
            .with_value(self.service_centre_time_stamp.to_string())
            .with_note("when the service centre received the message (TS 23.040 §9.2.3.11)");
        root.child("dt", "Discharge time (TP-DT)", at + 7, 7)
            .with_value(self.discharge_time.to_string())
            .with_note(
                "when the message was delivered, or the service centre gave up (TS 23.040 §9.2.3.13)",
            );
        root.child("st", "Status (TP-ST)", at + 14, 1)
            .with_value(self.status.to_string())
            .with_note(format!("{} (TS 23.040 §9.2.3.15)", self.status.class()));
        if let Some(parameters) = &self.parameters {
            parameters.describe_into(&mut root, at + 15)?;
        }
        Ok(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ota::tests::VECTOR_COMMAND;

    fn bytes(text: &str) -> Vec<u8> {
        hex::parse(text).unwrap()
    }

    fn stamp() -> Timestamp {
        Timestamp {
            year: 24,
            month: 1,
            day: 2,
            hour: 13,
            minute: 45,
            second: 30,
            zone_quarters: 4,
        }
    }

    #[test]
    fn packs_septets_as_ts_23038_example() {
        // "hellohello" packed: the classic TS 23.038 example.
        let septets = gsm_septets("hellohello").unwrap();
        assert_eq!(
            hex::compact(&pack_septets(&septets, 0)),
            "E8329BFD4697D9EC37"
        );
        assert_eq!(
            unpack_septets(&bytes("E8329BFD4697D9EC37"), 10, 0).unwrap(),
            septets
        );
        assert_eq!(gsm_septets("€"), Some(vec![0x1B, 0x65]));
        assert_eq!(gsm_septets("ж"), None);
    }

    #[test]
    fn parses_an_sms_deliver_with_a_7bit_text() {
        // TP-MMS set, OA +31641600986 (international, 11 digits), PID 00, DCS 00,
        // SCTS 2008-04-11 11:46:23 GMT+1, "How are you?".
        let tpdu = bytes("040B911346610089F60000804011116432400CC8F71D14969741F977FD07");
        let sms = SmsDeliver::parse(&tpdu).unwrap();
        assert!(!sms.more_messages_waiting);
        assert_eq!(sms.originating_address.text(), "+31641600986");
        assert_eq!(text::gsm_unpacked(&sms.user_data.body), "How are you?");
        assert_eq!(
            sms.service_centre_time_stamp.to_string(),
            "08-04-11 11:46:23 GMT+01:00"
        );
        assert_eq!(sms.emit().unwrap(), tpdu);
        let field = sms.describe().unwrap();
        assert_eq!(
            field.find("sms_deliver.user_data.body").unwrap().value,
            "How are you?"
        );
        assert!(field.uncovered(tpdu.len()).is_empty());
    }

    #[test]
    fn ota_deliver_carries_pid_7f_dcs_f6_and_udh_70() {
        let packet = bytes(VECTOR_COMMAND);
        let uds = command_packet_user_data(&packet, ConcatReference::Eight(1)).unwrap();
        assert_eq!(uds.len(), 1);
        let sms = ota_deliver(
            Address::international("12025550100").unwrap(),
            stamp(),
            uds[0].clone(),
        );
        let tpdu = sms.emit().unwrap();
        let text = hex::compact(&tpdu);
        // 44: TP-MMS (no more messages) + TP-UDHI; OA 11 digits, TOA 91, filler F.
        assert!(text.starts_with("440B912120550501F07FF6"), "{text}");
        assert!(text.contains(&format!(
            "{:02X}027000{}",
            packet.len() + 3,
            VECTOR_COMMAND.to_uppercase()
        )));
        assert_eq!(SmsDeliver::parse(&tpdu).unwrap(), sms);
        let field = sms.describe().unwrap();
        assert!(field
            .find("sms_deliver.pid")
            .unwrap()
            .value
            .contains("(U)SIM data download"));
        let dcs = &field.find("sms_deliver.dcs").unwrap().value;
        assert!(dcs.contains("class 2") && dcs.contains("8-bit"), "{dcs}");
        let tar = field
            .walk()
            .into_iter()
            .find(|f| f.path.ends_with("ota_command.tar"))
            .expect("the command packet is decoded inside");
        assert_eq!(tar.value, "B00011");
        assert_eq!(&tpdu[tar.start..tar.start + 3], &[0xB0, 0x00, 0x11]);
        assert!(field.uncovered(tpdu.len()).is_empty());
    }

    #[test]
    fn dcs_16_and_f6_are_both_class_2_8bit() {
        for dcs in [0x16, 0xF6] {
            let coding = DataCoding::from_byte(dcs);
            assert_eq!((coding.alphabet, coding.class), (Alphabet::Eight, Some(2)));
        }
        assert_eq!(DataCoding::from_byte(0x00).alphabet, Alphabet::Gsm7);
        assert_eq!(DataCoding::from_byte(0x08).alphabet, Alphabet::Ucs2);
        assert_eq!(
            DataCoding::from_byte(0x0C).alphabet,
            Alphabet::Gsm7,
            "reserved → default"
        );
        assert_eq!(DataCoding::from_byte(0xF0).class, Some(0));
    }

    #[test]
    fn pid_7f_is_sim_data_download() {
        assert_eq!(protocol_identifier_name(0x7F), "(U)SIM data download");
        assert_eq!(
            protocol_identifier_name(0x41),
            "replace short message type 1"
        );
        assert!(protocol_identifier_name(0x21).contains("telematic"));
    }

    #[test]
    fn addresses_round_trip_digits_fillers_and_alphanumeric() {
        for (address, wire) in [
            (
                Address::international("12025550100").unwrap(),
                "0B912120550501F0",
            ),
            (Address::digits(0x81, "*#abc1").unwrap(), "0681BADC1E"),
            (Address::alphanumeric("OTA").unwrap(), "06D04F6A10"),
        ] {
            assert_eq!(hex::compact(&address.emit()), wire);
            let (back, len) = Address::parse(&bytes(wire)).unwrap();
            assert_eq!((back, len), (address, wire.len() / 2));
        }
        assert_eq!(Address::from_text("Bank").unwrap().type_of_number(), 5);
        assert_eq!(Address::from_text("+33").unwrap().type_of_address, 0x91);
        assert_eq!(Address::from_text("5550").unwrap().type_of_address, 0x81);
        // Filler in the middle, wrong filler, 11 octets.
        assert!(Address::parse(&bytes("0481F121")).is_err());
        assert!(Address::parse(&bytes("03812103")).is_err());
        assert!(Address::parse(&bytes("1681111111111111111111")).is_err());
        assert!(Address::international("123456789012345678901").is_err());
    }

    #[test]
    fn time_stamps_swap_digits_and_sign_the_zone() {
        let t = stamp();
        assert_eq!(hex::compact(&t.emit()), "42102031540340");
        assert_eq!(Timestamp::parse(&t.emit()).unwrap(), t);
        let west = Timestamp {
            zone_quarters: -32,
            ..t
        };
        assert_eq!(west.emit()[6], 0x2B);
        assert_eq!(Timestamp::parse(&west.emit()).unwrap().zone_quarters, -32);
        assert_eq!(west.to_string(), "24-01-02 13:45:30 GMT-08:00");
        assert_eq!(Timestamp::from_text("240102134530+04").unwrap(), t);
        assert!(Timestamp::from_text("241302134530+04").is_err());
        assert!(Timestamp::parse(&bytes("4A102031540340")).is_err());
    }

    #[test]
    fn sms_submit_round_trips_every_validity_period_form() {
        for vp in [
            ValidityPeriod::None,
            ValidityPeriod::Relative(0xA7),
            ValidityPeriod::Enhanced([1, 2, 3, 4, 5, 6, 7]),
            ValidityPeriod::Absolute(stamp()),
        ] {
            let submit = SmsSubmit {
                reject_duplicates: true,
                validity_period: vp,
                status_report_request: true,
                reply_path: false,
                message_reference: 7,
                destination_address: Address::international("447700900123").unwrap(),
                protocol_identifier: 0x7F,
                data_coding_scheme: 0xF6,
                user_data: UserData::with_header(
                    vec![InformationElement::ResponsePacket],
                    vec![0; 4],
                ),
            };
            let tpdu = submit.emit().unwrap();
            assert_eq!(SmsSubmit::parse(&tpdu).unwrap(), submit, "{vp:?}");
            let field = submit.describe().unwrap();
            assert!(field.uncovered(tpdu.len()).is_empty(), "{vp:?}");
        }
        assert_eq!(relative_validity(0xA7), "24 h");
        assert_eq!(relative_validity(0xA8), "2 days");
        assert_eq!(relative_validity(0), "5 min");
        assert_eq!(relative_validity(143), "12 h");
        assert_eq!(relative_validity(144), "12 h 30 min");
        assert_eq!(relative_validity(255), "63 weeks");
    }

    #[test]
    fn sms_submit_carrying_a_por_decodes_it() {
        let por = bytes(crate::wire::ota::tests::VECTOR_POR);
        let ud = UserData::parse(por.len() as u8, &por, true, false).unwrap();
        assert_eq!(ud.element(0x71), Some(&InformationElement::ResponsePacket));
        let submit = SmsSubmit {
            reject_duplicates: false,
            validity_period: ValidityPeriod::None,
            status_report_request: false,
            reply_path: false,
            message_reference: 0,
            destination_address: Address::international("12025550100").unwrap(),
            protocol_identifier: 0x7F,
            data_coding_scheme: 0xF6,
            user_data: ud,
        };
        let field = submit.describe().unwrap();
        assert!(field
            .walk()
            .iter()
            .any(|f| f.path.ends_with("ota_response.rpl")));
    }

    #[test]
    fn seven_bit_user_data_with_a_header_counts_fill_bits() {
        // UDH 05 00 03 2A 02 01 (6 octets = 48 bits → 7 septets, 1 fill bit), then "Hi".
        let ud = UserData::with_header(
            vec![InformationElement::Concatenated8 {
                reference: 0x2A,
                total: 2,
                sequence: 1,
            }],
            gsm_septets("Hi").unwrap(),
        );
        let (udl, wire) = ud.emit(true).unwrap();
        assert_eq!(udl, 9);
        assert_eq!(hex::compact(&wire), "0500032A02019069");
        assert_eq!(UserData::parse(udl, &wire, true, true).unwrap(), ud);
    }

    #[test]
    fn user_data_errors_are_errors_not_panics() {
        assert!(UserData::parse(5, &[0; 4], false, false).is_err());
        assert!(UserData::parse(3, &[0; 4], false, false).is_err());
        assert!(UserData::parse(3, &[5, 0, 0], true, false).is_err());
        assert!(
            UserData::parse(4, &[3, 0, 2, 0], true, false).is_err(),
            "IEI 00 needs 3 bytes"
        );
        assert!(UserData::parse(2, &[2, 0], true, true).is_err());
        assert!(UserData::parse(200, &[0; 175], false, true).is_err());
        let long = UserData {
            header: None,
            body: vec![0; 141],
        };
        assert!(long.emit(false).is_err());
    }

    #[test]
    fn every_truncation_of_a_deliver_is_rejected_without_panic() {
        let sms = ota_deliver(
            Address::alphanumeric("OTA").unwrap(),
            stamp(),
            command_packet_user_data(&bytes(VECTOR_COMMAND), ConcatReference::Eight(0))
                .unwrap()
                .remove(0),
        );
        let tpdu = sms.emit().unwrap();
        for len in 0..tpdu.len() {
            assert!(SmsDeliver::parse(&tpdu[..len]).is_err(), "{len}");
            let _ = SmsSubmit::parse(&tpdu[..len]);
        }
        for i in 0..tpdu.len() {
            let mut bad = tpdu.clone();
            bad[i] ^= 0xFF;
            let _ = SmsDeliver::parse(&bad).map(|s| s.describe());
        }
    }

    fn long_packet(len: usize) -> Vec<u8> {
        let mut packet = ((len - 2) as u16).to_be_bytes().to_vec();
        packet.extend((0..len - 2).map(|i| i as u8));
        packet
    }

    #[test]
    fn a_long_packet_splits_with_70_only_in_the_first_segment() {
        let packet = long_packet(300);
        let uds = command_packet_user_data(&packet, ConcatReference::Eight(0x42)).unwrap();
        assert_eq!(uds.len(), 3, "132 + 134 + 34");
        let (udl, first) = uds[0].emit(false).unwrap();
        assert_eq!(udl, 140);
        assert_eq!(
            hex::compact(&first[..8]),
            "070003420301".to_string() + "7000"
        );
        let (_, second) = uds[1].emit(false).unwrap();
        assert_eq!(hex::compact(&second[..6]), "050003420302");
        assert!(uds[1].element(0x70).is_none() && uds[2].element(0x70).is_none());
        let sixteen = command_packet_user_data(&packet, ConcatReference::Sixteen(0x1234)).unwrap();
        let (_, first16) = sixteen[0].emit(false).unwrap();
        assert_eq!(
            hex::compact(&first16[..9]),
            "08080412340301".to_string() + "7000"
        );
        for (segments, reference) in [(uds, 0x42u16), (sixteen, 0x1234)] {
            let mut reassembler = Reassembler::new();
            let mut order: Vec<&UserData> = segments.iter().rev().collect();
            order.insert(1, &segments[2]); // a duplicate
            let mut done = None;
            for ud in order {
                if let Some(packet) = reassembler.push(ud).unwrap() {
                    done = Some(packet);
                }
            }
            assert_eq!(done.as_deref(), Some(&packet[..]), "{reference:X}");
            assert_eq!(reassembler.pending(), 0);
        }
    }

    #[test]
    fn a_missing_segment_leaves_the_message_incomplete() {
        let packet = long_packet(300);
        let uds = command_packet_user_data(&packet, ConcatReference::Eight(7)).unwrap();
        let mut reassembler = Reassembler::new();
        assert_eq!(reassembler.push(&uds[0]).unwrap(), None);
        assert_eq!(reassembler.push(&uds[2]).unwrap(), None);
        assert_eq!(
            reassembler.push(&uds[2]).unwrap(),
            None,
            "duplicate ignored"
        );
        assert_eq!(
            reassembler.missing(ConcatReference::Eight(7)),
            Some(vec![2])
        );
        assert_eq!(reassembler.missing(ConcatReference::Eight(8)), None);
        assert_eq!(reassembler.push(&uds[1]).unwrap(), Some(packet));
    }

    #[test]
    fn reassembly_refuses_bad_segments() {
        let mut reassembler = Reassembler::new();
        let segment = |total, sequence, cpi: bool| {
            let mut header = vec![InformationElement::Concatenated8 {
                reference: 1,
                total,
                sequence,
            }];
            if cpi {
                header.push(InformationElement::CommandPacket);
            }
            UserData::with_header(header, vec![sequence])
        };
        assert!(reassembler.push(&segment(2, 0, false)).is_err());
        assert!(reassembler.push(&segment(2, 3, false)).is_err());
        assert!(reassembler.push(&segment(0, 0, false)).is_err());
        assert_eq!(reassembler.push(&segment(2, 2, false)).unwrap(), None);
        assert!(
            reassembler.push(&segment(3, 1, true)).is_err(),
            "total changed"
        );
        assert!(
            reassembler.push(&segment(2, 1, false)).is_err(),
            "no 70 in the first"
        );
        assert!(
            reassembler.push(&UserData::default()).is_err(),
            "no 70 at all"
        );
        for reference in 0..MAX_PENDING as u8 {
            let ud = UserData::with_header(
                vec![InformationElement::Concatenated8 {
                    reference,
                    total: 2,
                    sequence: 1,
                }],
                vec![],
            );
            reassembler.push(&ud).unwrap();
        }
        let one_more = UserData::with_header(
            vec![InformationElement::Concatenated8 {
                reference: 200,
                total: 2,
                sequence: 1,
            }],
            vec![],
        );
        assert!(reassembler.push(&one_more).is_err(), "bounded");
    }

    #[test]
    fn a_too_long_packet_is_an_error() {
        assert!(command_packet_user_data(&long_packet(40_000), ConcatReference::Eight(1)).is_err());
    }

    fn por_user_data() -> UserData {
        let por = bytes(crate::wire::ota::tests::VECTOR_POR);
        UserData::with_header(vec![InformationElement::ResponsePacket], por[3..].to_vec())
    }

    #[test]
    fn deliver_report_rp_ack_carries_the_por_with_pid_dcs_of_the_download() {
        let report = SmsDeliverReport::ack(OptionalParameters::with_user_data(
            PID_SIM_DATA_DOWNLOAD,
            DCS_CLASS2_8BIT,
            por_user_data(),
        ));
        let tpdu = report.emit().unwrap();
        let por = crate::wire::ota::tests::VECTOR_POR.to_uppercase();
        // 40: TP-MTI 00, TP-UDHI; TP-PI 07: PID, DCS and UDL present.
        assert_eq!(
            hex::compact(&tpdu),
            format!("40077FF6{:02X}{por}", por.len() / 2)
        );
        assert_eq!(
            SmsDeliverReport::parse(&tpdu, RpResult::Ack).unwrap(),
            report
        );
        assert_eq!(report.rp(), RpResult::Ack);
        let field = report.describe().unwrap();
        assert!(field.uncovered(tpdu.len()).is_empty());
        assert!(field
            .find("sms_deliver_report.pi")
            .unwrap()
            .value
            .contains("TP-PID, TP-DCS, TP-UDL"));
        let tar = field
            .walk()
            .into_iter()
            .find(|f| f.path.ends_with("ota_response.tar"))
            .expect("the PoR is decoded inside");
        assert_eq!(tar.value, "B00011");
        assert_eq!(&tpdu[tar.start..tar.start + 3], &[0xB0, 0x00, 0x11]);
    }

    #[test]
    fn deliver_report_minimal_forms() {
        let ack = SmsDeliverReport::ack(OptionalParameters::default());
        assert_eq!(ack.emit().unwrap(), [0x00, 0x00]);
        assert_eq!(
            SmsDeliverReport::parse(&[0x00, 0x00], RpResult::Ack).unwrap(),
            ack
        );
        let error = SmsDeliverReport::error(
            FailureCause::DATA_DOWNLOAD_ERROR,
            OptionalParameters {
                protocol_identifier: Some(0x7F),
                data_coding_scheme: Some(0xF6),
                user_data: None,
            },
        );
        let tpdu = error.emit().unwrap();
        assert_eq!(hex::compact(&tpdu), "00D5037FF6");
        assert_eq!(
            SmsDeliverReport::parse(&tpdu, RpResult::Error).unwrap(),
            error
        );
        let field = error.describe().unwrap();
        assert_eq!(
            field.find("sms_deliver_report.fcs").unwrap().value,
            "D5 (U)SIM data download error"
        );
        assert!(field.uncovered(tpdu.len()).is_empty());
    }

    #[test]
    fn failure_causes_and_transfer_statuses_are_named() {
        assert_eq!(
            FailureCause::TOOLKIT_BUSY.name(),
            "(U)SIM Application Toolkit busy"
        );
        assert_eq!(
            FailureCause(0xD5).to_string(),
            "D5 (U)SIM data download error"
        );
        assert_eq!(FailureCause(0xD2).name(), "error in MS");
        assert_eq!(FailureCause(0xFF).name(), "unspecified error cause");
        assert_eq!(FailureCause(0x10).name(), "reserved");
        assert_eq!(
            TransferStatus::RECEIVED.name(),
            "short message received by the SME"
        );
        assert!(TransferStatus(0x02).is_delivered());
        assert!(!TransferStatus(0x40).is_delivered());
        assert_eq!(TransferStatus(0x46).name(), "SM validity period expired");
        assert!(TransferStatus(0x61).class().contains("not making any more"));
        assert!(TransferStatus(0x21).class().contains("still trying"));
        assert_eq!(TransferStatus(0x80).class(), "reserved");
    }

    #[test]
    fn deliver_report_without_dcs_reads_7bit_user_data() {
        // TP-PI 04: only TP-UDL; "hello" in the default alphabet (TS 23.040 §9.2.3.27).
        let tpdu = bytes("000405E8329BFD06");
        let report = SmsDeliverReport::parse(&tpdu, RpResult::Ack).unwrap();
        let ud = report.parameters.user_data.as_ref().unwrap();
        assert_eq!(text::gsm_unpacked(&ud.body), "hello");
        assert_eq!(report.emit().unwrap(), tpdu);
    }

    #[test]
    fn tp_pi_extension_and_reserved_bits_are_read_and_ignored() {
        // Extension bit: a second TP-PI octet follows and is skipped.
        let extended = SmsDeliverReport::parse(&bytes("008000"), RpResult::Ack).unwrap();
        assert_eq!(extended.parameters, OptionalParameters::default());
        assert_eq!(extended.emit().unwrap(), [0x00, 0x00]);
        // A reserved bit set: octets after TP-UD are discarded.
        let reserved =
            SmsDeliverReport::parse(&bytes("000F7FF602AABBCCDD"), RpResult::Ack).unwrap();
        assert_eq!(reserved.parameters.protocol_identifier, Some(0x7F));
        assert_eq!(reserved.parameters.user_data.unwrap().body, [0xAA, 0xBB]);
        // Without a reserved bit, those octets are an error.
        assert!(matches!(
            SmsDeliverReport::parse(&bytes("00077FF602AABBCCDD"), RpResult::Ack),
            Err(DecodeError::TrailingBytes { count: 2, .. })
        ));
    }

    #[test]
    fn every_truncation_of_a_deliver_report_is_rejected() {
        let ack = SmsDeliverReport::ack(OptionalParameters::with_user_data(
            0x7F,
            0xF6,
            por_user_data(),
        ))
        .emit()
        .unwrap();
        for cut in 0..ack.len() {
            assert!(
                SmsDeliverReport::parse(&ack[..cut], RpResult::Ack).is_err(),
                "RP-ACK cut at {cut}"
            );
        }
        let error = bytes("00D5077FF603AABBCC");
        assert!(SmsDeliverReport::parse(&error, RpResult::Error).is_ok());
        for cut in 0..error.len() {
            assert!(
                SmsDeliverReport::parse(&error[..cut], RpResult::Error).is_err(),
                "RP-ERROR cut at {cut}"
            );
        }
        assert!(matches!(
            SmsDeliverReport::parse(&bytes("0100"), RpResult::Ack),
            Err(DecodeError::BadValue { what: "TP-MTI", .. })
        ));
    }

    fn status_report(parameters: Option<OptionalParameters>) -> SmsStatusReport {
        SmsStatusReport {
            more_messages_waiting: false,
            loop_prevention: false,
            qualifier_command: false,
            message_reference: 7,
            recipient_address: Address::international("12025550123").unwrap(),
            service_centre_time_stamp: stamp(),
            discharge_time: Timestamp {
                second: 33,
                ..stamp()
            },
            status: TransferStatus::RECEIVED,
            parameters,
        }
    }

    #[test]
    fn status_report_round_trips_with_and_without_the_optional_tail() {
        let bare = status_report(None);
        let tpdu = bare.emit().unwrap();
        // 06: TP-MTI 10, TP-MMS 1; TP-MR 7; TP-RA +12025550123; SCTS; DT; TP-ST 00.
        assert_eq!(
            hex::compact(&tpdu),
            "06070B912120550521F34210203154034042102031543340".to_string() + "00"
        );
        assert_eq!(&tpdu[..4], &[0x06, 0x07, 0x0B, 0x91]);
        assert_eq!(tpdu.len(), 2 + 8 + 7 + 7 + 1);
        assert_eq!(SmsStatusReport::parse(&tpdu).unwrap(), bare);
        let field = bare.describe().unwrap();
        assert!(field.uncovered(tpdu.len()).is_empty());
        assert_eq!(
            field.find("sms_status_report.st").unwrap().value,
            "00 short message received by the SME"
        );
        assert_eq!(
            field
                .find("sms_status_report.recipient_address")
                .unwrap()
                .value,
            "+12025550123"
        );

        let with_por = status_report(Some(OptionalParameters::with_user_data(
            0x7F,
            0xF6,
            por_user_data(),
        )));
        let tpdu = with_por.emit().unwrap();
        assert_eq!(tpdu[0], 0x46, "TP-UDHI set");
        assert_eq!(SmsStatusReport::parse(&tpdu).unwrap(), with_por);
        assert_eq!(
            with_por.user_data().unwrap().element(0x71),
            Some(&InformationElement::ResponsePacket)
        );
        let field = with_por.describe().unwrap();
        assert!(field.uncovered(tpdu.len()).is_empty());
        assert!(field
            .walk()
            .iter()
            .any(|f| f.path.ends_with("ota_response.tar") && f.value == "B00011"));
    }

    #[test]
    fn every_truncation_of_a_status_report_is_rejected_except_at_the_optional_tail() {
        let tpdu = status_report(Some(OptionalParameters::with_user_data(
            0x7F,
            0xF6,
            por_user_data(),
        )))
        .emit()
        .unwrap();
        let mandatory = 2 + 8 + 15;
        for cut in 0..tpdu.len() {
            let parsed = SmsStatusReport::parse(&tpdu[..cut]);
            if cut == mandatory {
                assert_eq!(parsed.unwrap().parameters, None, "TP-PI is optional");
            } else {
                assert!(parsed.is_err(), "cut at {cut}");
            }
        }
        assert!(matches!(
            SmsStatusReport::parse(&tpdu[1..]),
            Err(DecodeError::BadValue { what: "TP-MTI", .. })
        ));
    }
}
