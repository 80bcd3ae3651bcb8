//! The one-byte and two-byte codings of the secured packet header: SPI (ETSI TS 102 225
//! §5.1.1, with b6 of the second byte from 3GPP TS 31.115 §4.1), KIc (§5.1.2), KID
//! (§5.1.3.1 for a cryptographic checksum, §5.1.3.2 for a redundancy check) and the
//! response status codes (§5.2.2 table 5, `0B`/`0C` from TS 31.115 §7).
//!
//! Every byte value decodes: what the standard reserves, or what this crate refuses to
//! use (single DES, "algorithm known implicitly", proprietary algorithms), is still
//! named, and [`Codings::resolve`] turns it into a [`SecurityError`] that says why.

use super::error::SecurityError;
use crate::wire::field::FieldFill;
use crate::wire::Field;
use serde::{Deserialize, Serialize};

/// What protects a packet's integrity: SPI b2–b1 (first byte for the command, b4–b3 of
/// the second for the PoR), TS 102 225 §5.1.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Integrity {
    /// `00` no RC, CC or DS.
    None,
    /// `01` redundancy check (CRC16 or CRC32, no key: anyone can compute it).
    RedundancyCheck,
    /// `10` cryptographic checksum (3DES CBC-MAC or AES CMAC with the KID key).
    CryptographicChecksum,
    /// `11` digital signature (no algorithm is specified for it; not supported here).
    DigitalSignature,
}

impl Integrity {
    /// From two bits (b2–b1 of the value given).
    pub fn from_bits(bits: u8) -> Integrity {
        match bits & 0b11 {
            0b00 => Integrity::None,
            0b01 => Integrity::RedundancyCheck,
            0b10 => Integrity::CryptographicChecksum,
            _ => Integrity::DigitalSignature,
        }
    }

    /// The two bits.
    pub fn bits(self) -> u8 {
        match self {
            Integrity::None => 0b00,
            Integrity::RedundancyCheck => 0b01,
            Integrity::CryptographicChecksum => 0b10,
            Integrity::DigitalSignature => 0b11,
        }
    }

    /// The standard's words.
    pub fn name(self) -> &'static str {
        match self {
            Integrity::None => "no RC, CC or DS",
            Integrity::RedundancyCheck => "redundancy check (RC)",
            Integrity::CryptographicChecksum => "cryptographic checksum (CC)",
            Integrity::DigitalSignature => "digital signature (DS)",
        }
    }

    /// Order used by minimum security level checks: none < RC < CC < DS.
    pub fn rank(self) -> u8 {
        self.bits()
    }
}

/// How the counter is used: SPI first byte b5–b4 (TS 102 225 §5.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CounterMode {
    /// `00` no counter available (CNTR is sent but ignored).
    None,
    /// `01` counter available; no replay or sequence checking.
    Available,
    /// `10` process only if the counter is higher than the receiver's.
    Higher,
    /// `11` process only if the counter is exactly one higher than the receiver's.
    OneHigher,
}

impl CounterMode {
    /// From two bits (b2–b1 of the value given).
    pub fn from_bits(bits: u8) -> CounterMode {
        match bits & 0b11 {
            0b00 => CounterMode::None,
            0b01 => CounterMode::Available,
            0b10 => CounterMode::Higher,
            _ => CounterMode::OneHigher,
        }
    }

    /// The two bits.
    pub fn bits(self) -> u8 {
        match self {
            CounterMode::None => 0b00,
            CounterMode::Available => 0b01,
            CounterMode::Higher => 0b10,
            CounterMode::OneHigher => 0b11,
        }
    }

    /// The standard's words.
    pub fn name(self) -> &'static str {
        match self {
            CounterMode::None => "no counter available",
            CounterMode::Available => "counter available, no replay or sequence checking",
            CounterMode::Higher => "process only if the counter is higher than the card's",
            CounterMode::OneHigher => {
                "process only if the counter is exactly one higher than the card's"
            }
        }
    }

    /// Order used by minimum security level checks: the stricter, the higher.
    pub fn rank(self) -> u8 {
        self.bits()
    }
}

/// Whether a proof of receipt is wanted: SPI second byte b2–b1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PorRequest {
    /// `00` no PoR.
    None,
    /// `01` PoR required.
    Always,
    /// `10` PoR required only when an error has occurred.
    OnError,
    /// `11` reserved.
    Reserved,
}

impl PorRequest {
    pub fn name(self) -> &'static str {
        match self {
            PorRequest::None => "no PoR",
            PorRequest::Always => "PoR required",
            PorRequest::OnError => "PoR required only when an error has occurred",
            PorRequest::Reserved => "reserved",
        }
    }
}

/// How an SMS PoR travels: SPI second byte b6 (3GPP TS 31.115 §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PorVia {
    /// `0`: in the SMS-DELIVER-REPORT (the ENVELOPE's response data).
    DeliverReport,
    /// `1`: in an SMS-SUBMIT the card sends with SEND SHORT MESSAGE.
    Submit,
}

/// The security parameter indicator, two bytes (TS 102 225 §5.1.1; b6 of the second
/// byte from 3GPP TS 31.115 §4.1). Kept as its bytes so reserved bits round-trip;
/// accessors decode each field.
///
/// ```text
/// byte 1: b8 b7 b6 | b5 b4   | b3        | b2 b1
///         reserved | counter | ciphering | RC/CC/DS
/// byte 2: b8 b7    | b6      | b5        | b4 b3        | b2 b1
///         reserved | PoR via | PoR cipher| PoR RC/CC/DS | PoR required
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Spi(pub [u8; 2]);

impl Spi {
    /// From its two bytes.
    pub const fn new(first: u8, second: u8) -> Spi {
        Spi([first, second])
    }

    /// Assembles an SPI from its fields; reserved bits are zero.
    pub fn from_parts(parts: SpiParts) -> Spi {
        let first =
            parts.integrity.bits() | (u8::from(parts.ciphering) << 2) | (parts.counter.bits() << 3);
        let por = match parts.por {
            PorRequest::None => 0b00,
            PorRequest::Always => 0b01,
            PorRequest::OnError => 0b10,
            PorRequest::Reserved => 0b11,
        };
        let second = por
            | (parts.por_integrity.bits() << 2)
            | (u8::from(parts.por_ciphering) << 4)
            | (u8::from(parts.por_via == PorVia::Submit) << 5);
        Spi([first, second])
    }

    /// The fields.
    pub fn parts(self) -> SpiParts {
        SpiParts {
            integrity: self.integrity(),
            ciphering: self.ciphering(),
            counter: self.counter(),
            por: self.por(),
            por_integrity: self.por_integrity(),
            por_ciphering: self.por_ciphering(),
            por_via: self.por_via(),
        }
    }

    /// First byte b2–b1.
    pub fn integrity(self) -> Integrity {
        Integrity::from_bits(self.0[0])
    }

    /// First byte b3.
    pub fn ciphering(self) -> bool {
        self.0[0] & 0x04 != 0
    }

    /// First byte b5–b4.
    pub fn counter(self) -> CounterMode {
        CounterMode::from_bits(self.0[0] >> 3)
    }

    /// Second byte b2–b1.
    pub fn por(self) -> PorRequest {
        match self.0[1] & 0b11 {
            0b00 => PorRequest::None,
            0b01 => PorRequest::Always,
            0b10 => PorRequest::OnError,
            _ => PorRequest::Reserved,
        }
    }

    /// Second byte b4–b3.
    pub fn por_integrity(self) -> Integrity {
        Integrity::from_bits(self.0[1] >> 2)
    }

    /// Second byte b5.
    pub fn por_ciphering(self) -> bool {
        self.0[1] & 0x10 != 0
    }

    /// Second byte b6.
    pub fn por_via(self) -> PorVia {
        if self.0[1] & 0x20 != 0 {
            PorVia::Submit
        } else {
            PorVia::DeliverReport
        }
    }

    /// The PoR protection that applies: second byte b4–b3 and b5 when a PoR is asked
    /// for (b2–b1 `01` or `10`); with no PoR (or the reserved `11`) they mean nothing.
    pub fn por_protection(self) -> (Integrity, bool) {
        match self.por() {
            PorRequest::Always | PorRequest::OnError => {
                (self.por_integrity(), self.por_ciphering())
            }
            PorRequest::None | PorRequest::Reserved => (Integrity::None, false),
        }
    }

    /// Whether any reserved bit (first byte b8–b6, second byte b8–b7) is set.
    pub fn has_reserved_bits(self) -> bool {
        self.0[0] & 0xE0 != 0 || self.0[1] & 0xC0 != 0
    }

    /// The field of the two SPI bytes at `start`, one child per sub-field.
    pub fn describe(self, path: &str, start: usize) -> Field {
        let mut field = Field::new(path, "Security parameter indicator (SPI)", start, 2)
            .with_value(format!("{:02X} {:02X}", self.0[0], self.0[1]))
            .with_note("TS 102 225 §5.1.1: what protects this packet and its proof of receipt");
        let b = |on: bool| if on { "1" } else { "0" };
        field
            .child("integrity", "RC/CC/DS (byte 1, b2-b1)", start, 1)
            .with_value(format!(
                "{:02b} {}",
                self.integrity().bits(),
                self.integrity().name()
            ));
        field
            .child("ciphering", "Ciphering (byte 1, b3)", start, 1)
            .with_value(format!(
                "{} {}",
                b(self.ciphering()),
                if self.ciphering() {
                    "ciphering"
                } else {
                    "no ciphering"
                }
            ));
        field
            .child("counter", "Counter (byte 1, b5-b4)", start, 1)
            .with_value(format!(
                "{:02b} {}",
                self.counter().bits(),
                self.counter().name()
            ));
        if self.0[0] & 0xE0 != 0 {
            field
                .child("reserved_1", "Reserved (byte 1, b8-b6)", start, 1)
                .with_value(format!("{:03b}", self.0[0] >> 5))
                .with_note("reserved for future use: should be 0");
        }
        field
            .child("por", "Proof of receipt (byte 2, b2-b1)", start + 1, 1)
            .with_value(format!("{:02b} {}", self.0[1] & 0b11, self.por().name()));
        field
            .child(
                "por_integrity",
                "PoR RC/CC/DS (byte 2, b4-b3)",
                start + 1,
                1,
            )
            .with_value(format!(
                "{:02b} {}",
                self.por_integrity().bits(),
                self.por_integrity().name()
            ));
        field
            .child("por_ciphering", "PoR ciphering (byte 2, b5)", start + 1, 1)
            .with_value(format!(
                "{} {}",
                b(self.por_ciphering()),
                if self.por_ciphering() {
                    "PoR ciphered"
                } else {
                    "PoR not ciphered"
                }
            ));
        field
            .child("por_via", "PoR transport (byte 2, b6)", start + 1, 1)
            .with_value(match self.por_via() {
                PorVia::DeliverReport => "0 PoR in the SMS-DELIVER-REPORT",
                PorVia::Submit => "1 PoR in an SMS-SUBMIT",
            })
            .with_note("3GPP TS 31.115 §4.1");
        if self.0[1] & 0xC0 != 0 {
            field
                .child("reserved_2", "Reserved (byte 2, b8-b7)", start + 1, 1)
                .with_value(format!("{:02b}", self.0[1] >> 6))
                .with_note("reserved for future use: should be 0");
        }
        field
    }
}

/// The fields of an [`Spi`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SpiParts {
    pub integrity: Integrity,
    pub ciphering: bool,
    pub counter: CounterMode,
    pub por: PorRequest,
    pub por_integrity: Integrity,
    pub por_ciphering: bool,
    pub por_via: PorVia,
}

/// A ciphering algorithm this crate uses, as KIc b4–b1 name it (TS 102 225 §5.1.2).
/// All run in CBC mode with a zero initial chaining value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CipherAlgorithm {
    /// KIc `xxxx0101`: triple DES in outer-CBC mode, two keys (K1 K2 K1), 16-byte key.
    #[serde(rename = "3des-2key")]
    TripleDes2Key,
    /// KIc `xxxx1001`: triple DES in outer-CBC mode, three keys, 24-byte key.
    #[serde(rename = "3des-3key")]
    TripleDes3Key,
    /// KIc `xxxx0010`: AES in CBC mode, 16-, 24- or 32-byte key.
    #[serde(rename = "aes")]
    Aes,
}

impl CipherAlgorithm {
    /// KIc b4–b1 for this algorithm.
    pub fn bits(self) -> u8 {
        match self {
            CipherAlgorithm::TripleDes2Key => 0b0101,
            CipherAlgorithm::TripleDes3Key => 0b1001,
            CipherAlgorithm::Aes => 0b0010,
        }
    }

    /// Cipher block length in bytes: padding makes the ciphered part a multiple of it.
    pub fn block_len(self) -> usize {
        match self {
            CipherAlgorithm::TripleDes2Key | CipherAlgorithm::TripleDes3Key => 8,
            CipherAlgorithm::Aes => 16,
        }
    }

    /// Key lengths in bytes the algorithm takes.
    pub fn key_lengths(self) -> &'static [usize] {
        match self {
            CipherAlgorithm::TripleDes2Key => &[16],
            CipherAlgorithm::TripleDes3Key => &[24],
            CipherAlgorithm::Aes => &[16, 24, 32],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CipherAlgorithm::TripleDes2Key => "triple DES in outer-CBC mode, 2 keys",
            CipherAlgorithm::TripleDes3Key => "triple DES in outer-CBC mode, 3 keys",
            CipherAlgorithm::Aes => "AES in CBC mode",
        }
    }
}

/// A cryptographic checksum algorithm this crate uses, as KID b4–b1 name it (TS 102 225
/// §5.1.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CcAlgorithm {
    /// KID `xxxx0101`: triple DES CBC-MAC, two keys (ISO/IEC 9797-1 MAC algorithm 1,
    /// padding method 1, the whole final block: 8 bytes).
    #[serde(rename = "3des-2key")]
    TripleDes2Key,
    /// KID `xxxx1001`: triple DES CBC-MAC, three keys.
    #[serde(rename = "3des-3key")]
    TripleDes3Key,
    /// KID `xxxx0010`: AES CMAC (NIST SP 800-38B, RFC 4493), truncated to its leftmost
    /// 8 bytes (or 4, when the CHL says so).
    #[serde(rename = "aes")]
    AesCmac,
}

impl CcAlgorithm {
    /// KID b4–b1 for this algorithm.
    pub fn bits(self) -> u8 {
        match self {
            CcAlgorithm::TripleDes2Key => 0b0101,
            CcAlgorithm::TripleDes3Key => 0b1001,
            CcAlgorithm::AesCmac => 0b0010,
        }
    }

    /// Checksum lengths the algorithm gives: 8 for the DES family; 8 or 4 for AES CMAC,
    /// 8 being what this crate sends.
    pub fn checksum_lengths(self) -> &'static [usize] {
        match self {
            CcAlgorithm::TripleDes2Key | CcAlgorithm::TripleDes3Key => &[8],
            CcAlgorithm::AesCmac => &[8, 4],
        }
    }

    /// Key lengths in bytes the algorithm takes.
    pub fn key_lengths(self) -> &'static [usize] {
        match self {
            CcAlgorithm::TripleDes2Key => &[16],
            CcAlgorithm::TripleDes3Key => &[24],
            CcAlgorithm::AesCmac => &[16, 24, 32],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CcAlgorithm::TripleDes2Key => "triple DES CBC-MAC, 2 keys",
            CcAlgorithm::TripleDes3Key => "triple DES CBC-MAC, 3 keys",
            CcAlgorithm::AesCmac => "AES CMAC",
        }
    }
}

/// A redundancy check, as KID b4–b1 name it (TS 102 225 §5.1.3.2). Both follow ISO/IEC
/// 13239: reflected input and output, register preset to all ones, final value
/// complemented (CRC16 is CRC-16/IBM-SDLC, a.k.a. X-25; CRC32 is CRC-32/ISO-HDLC, the
/// zlib CRC). The result is sent most significant byte first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RcAlgorithm {
    /// KID `xxxx0001`: polynomial X^16 + X^12 + X^5 + 1, 2 bytes.
    Crc16,
    /// KID `xxxx0101`: the ISO/IEC 13239 32-bit polynomial, 4 bytes.
    Crc32,
}

impl RcAlgorithm {
    pub fn bits(self) -> u8 {
        match self {
            RcAlgorithm::Crc16 => 0b0001,
            RcAlgorithm::Crc32 => 0b0101,
        }
    }

    pub fn checksum_len(self) -> usize {
        match self {
            RcAlgorithm::Crc16 => 2,
            RcAlgorithm::Crc32 => 4,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RcAlgorithm::Crc16 => "CRC16 (ISO/IEC 13239)",
            RcAlgorithm::Crc32 => "CRC32 (ISO/IEC 13239)",
        }
    }
}

/// The key version number of a KIc or KID byte: b8–b5 (TS 102 225 §5.1.2, §5.1.3).
pub fn key_version(byte: u8) -> u8 {
    byte >> 4
}

/// What a KIc byte names, in the standard's words, and whether this crate refuses it.
pub fn kic_meaning(kic: u8) -> (String, Option<&'static str>) {
    let (text, refusal) = match (kic & 0b11, (kic >> 2) & 0b11) {
        (0b00, _) => (
            "algorithm known implicitly by both entities",
            Some("the algorithm must be named: an implicit one cannot be checked"),
        ),
        (0b01, 0b00) => (
            "DES in CBC mode",
            Some("single DES (56-bit key) is broken and was removed from TS 102 225 in Release 8"),
        ),
        (0b01, 0b01) => ("triple DES in outer-CBC mode, 2 keys", None),
        (0b01, 0b10) => ("triple DES in outer-CBC mode, 3 keys", None),
        (0b01, _) => (
            "DES in ECB mode",
            Some("single DES in ECB mode is broken and was removed from TS 102 225 in Release 8"),
        ),
        (0b10, 0b00) => ("AES in CBC mode", None),
        (0b10, _) => ("AES, reserved mode", Some("reserved coding")),
        _ => (
            "proprietary implementation",
            Some("proprietary algorithms are not supported"),
        ),
    };
    (format!("{text}, key version {}", key_version(kic)), refusal)
}

/// What a KID byte names when it codes a cryptographic checksum (TS 102 225 §5.1.3.1).
pub fn kid_cc_meaning(kid: u8) -> (String, Option<&'static str>) {
    let (text, refusal) = match (kid & 0b11, (kid >> 2) & 0b11) {
        (0b00, _) => (
            "algorithm known implicitly by both entities",
            Some("the algorithm must be named: an implicit one cannot be checked"),
        ),
        (0b01, 0b00) => (
            "DES in CBC mode (CBC-MAC)",
            Some("a single DES checksum lets its key be recovered by brute force (the 2013 OTA attacks): refused"),
        ),
        (0b01, 0b01) => ("triple DES in outer-CBC mode, 2 keys", None),
        (0b01, 0b10) => ("triple DES in outer-CBC mode, 3 keys", None),
        (0b01, _) => ("DES, reserved mode", Some("reserved coding")),
        (0b10, 0b00) => ("AES in CMAC mode", None),
        (0b10, _) => ("AES, reserved mode", Some("reserved coding")),
        _ => (
            "proprietary implementation",
            Some("proprietary algorithms are not supported"),
        ),
    };
    (format!("{text}, key version {}", key_version(kid)), refusal)
}

/// What a KID byte names when it codes a redundancy check (TS 102 225 §5.1.3.2).
pub fn kid_rc_meaning(kid: u8) -> (String, Option<&'static str>) {
    let (text, refusal) = match (kid & 0b11, (kid >> 2) & 0b11) {
        (0b00, _) => (
            "algorithm known implicitly by both entities",
            Some("the algorithm must be named: an implicit one cannot be checked"),
        ),
        (0b01, 0b00) => ("CRC16", None),
        (0b01, 0b01) => ("CRC32", None),
        (0b01, _) => ("CRC, reserved", Some("reserved coding")),
        (0b10, _) => ("reserved", Some("reserved coding")),
        _ => (
            "proprietary implementation",
            Some("proprietary algorithms are not supported"),
        ),
    };
    (text.to_string(), refusal)
}

/// The ciphering algorithm a KIc byte names, or why it is refused.
pub fn cipher_algorithm(kic: u8) -> Result<CipherAlgorithm, SecurityError> {
    match kic & 0x0F {
        0b0101 => Ok(CipherAlgorithm::TripleDes2Key),
        0b1001 => Ok(CipherAlgorithm::TripleDes3Key),
        0b0010 => Ok(CipherAlgorithm::Aes),
        _ => {
            let (text, refusal) = kic_meaning(kic);
            Err(SecurityError::Refused {
                what: "KIc",
                coding: kic,
                why: format!("{text}: {}", refusal.unwrap_or("not supported")),
            })
        }
    }
}

/// The cryptographic checksum algorithm a KID byte names, or why it is refused.
pub fn cc_algorithm(kid: u8) -> Result<CcAlgorithm, SecurityError> {
    match kid & 0x0F {
        0b0101 => Ok(CcAlgorithm::TripleDes2Key),
        0b1001 => Ok(CcAlgorithm::TripleDes3Key),
        0b0010 => Ok(CcAlgorithm::AesCmac),
        _ => {
            let (text, refusal) = kid_cc_meaning(kid);
            Err(SecurityError::Refused {
                what: "KID",
                coding: kid,
                why: format!("{text}: {}", refusal.unwrap_or("not supported")),
            })
        }
    }
}

/// The redundancy check a KID byte names, or why it is refused.
pub fn rc_algorithm(kid: u8) -> Result<RcAlgorithm, SecurityError> {
    match kid & 0x0F {
        0b0001 => Ok(RcAlgorithm::Crc16),
        0b0101 => Ok(RcAlgorithm::Crc32),
        _ => {
            let (text, refusal) = kid_rc_meaning(kid);
            Err(SecurityError::Refused {
                what: "KID",
                coding: kid,
                why: format!("{text}: {}", refusal.unwrap_or("not supported")),
            })
        }
    }
}

/// One integrity mechanism with its algorithm and checksum length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Check {
    /// No RC, CC or DS.
    None,
    /// A redundancy check.
    Rc(RcAlgorithm),
    /// A cryptographic checksum of `len` bytes.
    Cc { algorithm: CcAlgorithm, len: usize },
}

impl Check {
    /// Bytes the checksum takes in the header.
    pub fn len(self) -> usize {
        match self {
            Check::None => 0,
            Check::Rc(rc) => rc.checksum_len(),
            Check::Cc { len, .. } => len,
        }
    }

    /// Whether there is no checksum.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    pub fn name(self) -> String {
        match self {
            Check::None => "none".to_string(),
            Check::Rc(rc) => rc.name().to_string(),
            Check::Cc { algorithm, len } => format!("{}, {len} bytes", algorithm.name()),
        }
    }
}

/// What the SPI, KIc and KID of one packet mean together, checked: every algorithm the
/// command or its PoR needs, refused codings turned into errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Codings {
    /// The ciphering algorithm, when the command or the PoR is ciphered.
    pub cipher: Option<CipherAlgorithm>,
    /// The command's integrity mechanism.
    pub command_check: Check,
    /// The PoR's integrity mechanism (what the SPI asks the card to apply).
    pub por_check: Check,
}

impl Codings {
    /// Checks the codings; the PoR's protection counts only when a PoR is asked for
    /// ([`Spi::por_protection`]). `command_check_len` is the command's checksum length (CHL −
    /// 13) when known, used to tell an 8-byte from a 4-byte AES CMAC; the PoR uses the
    /// same length as the command when both carry a CC, 8 bytes otherwise.
    ///
    /// Errors: a digital signature anywhere ([`SecurityError::Unsupported`]); a reserved
    /// PoR request (`11`); KIc or KID coding single DES, DES-ECB, an implicit or a
    /// proprietary algorithm, or a reserved value ([`SecurityError::Refused`]); a KID
    /// that would have to code both an RC and a CC; a checksum length the algorithm
    /// does not give.
    pub fn resolve(
        spi: Spi,
        kic: u8,
        kid: u8,
        command_check_len: Option<usize>,
    ) -> Result<Codings, SecurityError> {
        if spi.por() == PorRequest::Reserved {
            return Err(SecurityError::Refused {
                what: "SPI",
                coding: spi.0[1],
                why: "PoR request 11 is reserved (TS 102 225 §5.1.1)".into(),
            });
        }
        let (por_integrity, por_ciphering) = spi.por_protection();
        for (integrity, whose) in [(spi.integrity(), "the command"), (por_integrity, "the PoR")] {
            if integrity == Integrity::DigitalSignature {
                return Err(SecurityError::Unsupported(format!(
                    "digital signature asked for {whose}: TS 102 225 specifies no algorithm for it and this emulator implements none"
                )));
            }
        }
        let cipher = if spi.ciphering() || por_ciphering {
            Some(cipher_algorithm(kic)?)
        } else {
            None
        };
        let uses = |i: Integrity| spi.integrity() == i || por_integrity == i;
        if uses(Integrity::RedundancyCheck) && uses(Integrity::CryptographicChecksum) {
            return Err(SecurityError::Unsupported(
                "the command asks an RC for one direction and a CC for the other, but one KID byte cannot code both (TS 102 225 §5.1.3)".into(),
            ));
        }
        let check_for =
            |integrity: Integrity, len: Option<usize>| -> Result<Check, SecurityError> {
                match integrity {
                    Integrity::None => Ok(Check::None),
                    Integrity::RedundancyCheck => {
                        let rc = rc_algorithm(kid)?;
                        if let Some(len) = len.filter(|l| *l != rc.checksum_len()) {
                            return Err(SecurityError::Malformed(
                                crate::wire::DecodeError::BadLength {
                                    what: "command header (CHL)",
                                    detail: format!(
                                        "{} takes {} bytes, CHL leaves {len}",
                                        rc.name(),
                                        rc.checksum_len()
                                    ),
                                },
                            ));
                        }
                        Ok(Check::Rc(rc))
                    }
                    Integrity::CryptographicChecksum => {
                        let algorithm = cc_algorithm(kid)?;
                        let len = match len {
                            Some(len) if algorithm.checksum_lengths().contains(&len) => len,
                            Some(len) => {
                                return Err(SecurityError::Malformed(
                                    crate::wire::DecodeError::BadLength {
                                        what: "command header (CHL)",
                                        detail: format!(
                                            "{} gives a {} byte checksum, CHL leaves {len}",
                                            algorithm.name(),
                                            lengths_text(algorithm.checksum_lengths())
                                        ),
                                    },
                                ))
                            }
                            None => 8,
                        };
                        Ok(Check::Cc { algorithm, len })
                    }
                    Integrity::DigitalSignature => {
                        Err(SecurityError::Unsupported("digital signature".into()))
                    }
                }
            };
        let command_check = check_for(spi.integrity(), command_check_len)?;
        let por_len = match command_check {
            Check::Cc { len, .. } => Some(len),
            _ => None,
        };
        let por_check = check_for(por_integrity, por_len)?;
        Ok(Codings {
            cipher,
            command_check,
            por_check,
        })
    }
}

fn lengths_text(lengths: &[usize]) -> String {
    lengths
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The response status code of a PoR (TS 102 225 §5.2.2 table 5; `0B` and `0C` from
/// 3GPP TS 31.115 §7). Every byte value round-trips.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PorStatus {
    /// `00` PoR OK.
    Ok,
    /// `01` RC/CC/DS failed.
    ChecksumFailed,
    /// `02` CNTR low.
    CounterLow,
    /// `03` CNTR high.
    CounterHigh,
    /// `04` CNTR blocked.
    CounterBlocked,
    /// `05` ciphering error.
    CipheringError,
    /// `06` unidentified security error.
    UnidentifiedSecurityError,
    /// `07` insufficient memory to process the incoming message.
    InsufficientMemory,
    /// `08` more time needed.
    MoreTime,
    /// `09` TAR unknown.
    TarUnknown,
    /// `0A` insufficient security level.
    InsufficientSecurityLevel,
    /// `0B` actual response data sent in an SMS-SUBMIT (TS 31.115).
    ResponseInSubmit,
    /// `0C` actual response data sent in a USSD (TS 31.115).
    ResponseInUssd,
    /// Any other value: reserved (`0D`–`BF`, `FF`) or proprietary (`C0`–`FE`).
    Unknown(u8),
}

impl PorStatus {
    pub fn from_byte(byte: u8) -> PorStatus {
        match byte {
            0x00 => PorStatus::Ok,
            0x01 => PorStatus::ChecksumFailed,
            0x02 => PorStatus::CounterLow,
            0x03 => PorStatus::CounterHigh,
            0x04 => PorStatus::CounterBlocked,
            0x05 => PorStatus::CipheringError,
            0x06 => PorStatus::UnidentifiedSecurityError,
            0x07 => PorStatus::InsufficientMemory,
            0x08 => PorStatus::MoreTime,
            0x09 => PorStatus::TarUnknown,
            0x0A => PorStatus::InsufficientSecurityLevel,
            0x0B => PorStatus::ResponseInSubmit,
            0x0C => PorStatus::ResponseInUssd,
            other => PorStatus::Unknown(other),
        }
    }

    pub fn byte(self) -> u8 {
        match self {
            PorStatus::Ok => 0x00,
            PorStatus::ChecksumFailed => 0x01,
            PorStatus::CounterLow => 0x02,
            PorStatus::CounterHigh => 0x03,
            PorStatus::CounterBlocked => 0x04,
            PorStatus::CipheringError => 0x05,
            PorStatus::UnidentifiedSecurityError => 0x06,
            PorStatus::InsufficientMemory => 0x07,
            PorStatus::MoreTime => 0x08,
            PorStatus::TarUnknown => 0x09,
            PorStatus::InsufficientSecurityLevel => 0x0A,
            PorStatus::ResponseInSubmit => 0x0B,
            PorStatus::ResponseInUssd => 0x0C,
            PorStatus::Unknown(other) => other,
        }
    }

    /// The standard's words for the code.
    pub fn meaning(self) -> &'static str {
        match self {
            PorStatus::Ok => "PoR OK",
            PorStatus::ChecksumFailed => "RC/CC/DS failed",
            PorStatus::CounterLow => "CNTR low",
            PorStatus::CounterHigh => "CNTR high",
            PorStatus::CounterBlocked => "CNTR blocked",
            PorStatus::CipheringError => "ciphering error",
            PorStatus::UnidentifiedSecurityError => "unidentified security error",
            PorStatus::InsufficientMemory => "insufficient memory to process incoming message",
            PorStatus::MoreTime => "more time needed to process the command packet",
            PorStatus::TarUnknown => "TAR unknown",
            PorStatus::InsufficientSecurityLevel => "insufficient security level",
            PorStatus::ResponseInSubmit => {
                "actual response data to be sent using SMS-SUBMIT (TS 31.115)"
            }
            PorStatus::ResponseInUssd => "actual response data to be sent using USSD (TS 31.115)",
            PorStatus::Unknown(0xC0..=0xFE) => "reserved for proprietary use",
            PorStatus::Unknown(_) => "reserved for future use",
        }
    }
}

impl std::fmt::Display for PorStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02X} {}", self.byte(), self.meaning())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spi_of_the_shared_vector_decodes_field_by_field() {
        let spi = Spi::new(0x06, 0x19);
        assert_eq!(spi.integrity(), Integrity::CryptographicChecksum);
        assert!(spi.ciphering());
        assert_eq!(spi.counter(), CounterMode::None);
        assert_eq!(spi.por(), PorRequest::Always);
        assert_eq!(spi.por_integrity(), Integrity::CryptographicChecksum);
        assert!(spi.por_ciphering());
        assert_eq!(spi.por_via(), PorVia::DeliverReport);
        assert!(!spi.has_reserved_bits());
    }

    #[test]
    fn spi_parts_round_trip_every_value_without_reserved_bits() {
        for first in 0u8..0x20 {
            for second in 0u8..0x40 {
                let spi = Spi::new(first, second);
                assert_eq!(
                    Spi::from_parts(spi.parts()),
                    spi,
                    "{first:02X} {second:02X}"
                );
            }
        }
    }

    #[test]
    fn kic_codings_are_named_and_weak_ones_refused() {
        assert_eq!(cipher_algorithm(0x35), Ok(CipherAlgorithm::TripleDes2Key));
        assert_eq!(cipher_algorithm(0x19), Ok(CipherAlgorithm::TripleDes3Key));
        assert_eq!(cipher_algorithm(0x12), Ok(CipherAlgorithm::Aes));
        for (kic, word) in [
            (0x11, "DES in CBC"),
            (0x1D, "ECB"),
            (0x10, "implicitly"),
            (0x13, "proprietary"),
            (0x16, "reserved"),
        ] {
            let error = cipher_algorithm(kic).unwrap_err();
            assert!(error.to_string().contains(word), "{kic:02X}: {error}");
        }
        assert!(kic_meaning(0x11).0.contains("key version 1"));
    }

    #[test]
    fn kid_codings_depend_on_rc_or_cc() {
        assert_eq!(cc_algorithm(0x35), Ok(CcAlgorithm::TripleDes2Key));
        assert_eq!(cc_algorithm(0x22), Ok(CcAlgorithm::AesCmac));
        assert_eq!(rc_algorithm(0x01), Ok(RcAlgorithm::Crc16));
        assert_eq!(rc_algorithm(0x05), Ok(RcAlgorithm::Crc32));
        assert!(cc_algorithm(0x01)
            .unwrap_err()
            .to_string()
            .contains("single DES"));
        assert!(rc_algorithm(0x02).is_err());
        assert!(rc_algorithm(0x00).is_err());
    }

    #[test]
    fn codings_refuse_ds_reserved_por_and_mixed_rc_cc() {
        assert!(matches!(
            Codings::resolve(Spi::new(0x03, 0x00), 0, 0, None),
            Err(SecurityError::Unsupported(_))
        ));
        assert!(matches!(
            Codings::resolve(Spi::new(0x02, 0x03), 0, 0x15, None),
            Err(SecurityError::Refused { .. })
        ));
        assert!(matches!(
            Codings::resolve(Spi::new(0x02, 0x05), 0, 0x15, None),
            Err(SecurityError::Unsupported(_))
        ));
        let ok = Codings::resolve(Spi::new(0x06, 0x19), 0x35, 0x35, Some(8)).unwrap();
        assert_eq!(ok.cipher, Some(CipherAlgorithm::TripleDes2Key));
        assert_eq!(
            ok.command_check,
            Check::Cc {
                algorithm: CcAlgorithm::TripleDes2Key,
                len: 8
            }
        );
        assert!(Codings::resolve(Spi::new(0x02, 0x00), 0, 0x15, Some(4)).is_err());
        let aes4 = Codings::resolve(Spi::new(0x02, 0x09), 0, 0x12, Some(4)).unwrap();
        assert_eq!(aes4.por_check.len(), 4);
    }

    #[test]
    fn every_status_byte_round_trips_and_00_to_0a_are_named() {
        for byte in 0..=255u8 {
            assert_eq!(PorStatus::from_byte(byte).byte(), byte);
        }
        for byte in 0..=0x0Au8 {
            assert!(!matches!(PorStatus::from_byte(byte), PorStatus::Unknown(_)));
        }
        assert_eq!(PorStatus::TarUnknown.to_string(), "09 TAR unknown");
        assert_eq!(
            PorStatus::from_byte(0xC5).meaning(),
            "reserved for proprietary use"
        );
    }
}
