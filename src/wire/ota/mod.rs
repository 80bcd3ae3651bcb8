//! OTA secured packets: ETSI TS 102 225 §5 (secured packet structure for UICC
//! applications) in the SMS form of 3GPP TS 31.115 §4.
//!
//! * [`coding`]: SPI, KIc, KID and PoR status codes, every value named.
//! * [`secure_command`] / [`open_command`] / [`describe_command`]: the command packet
//!   (§5.1): CPL CHL SPI KIc KID TAR CNTR PCNTR RC/CC/DS, then the secured data.
//! * [`secure_response`] / [`open_response`] / [`describe_response`]: the response
//!   packet or proof of receipt (§5.2), with the compact remote response of TS 102 226
//!   §5.1.2 ([`CompactResponse`]).
//! * [`KeySet`], [`CipherKey`], [`CcKey`]: keys bound to their algorithms.
//!
//! Algorithms: triple DES with two or three keys and AES (128/192/256) in CBC mode for
//! ciphering; triple DES CBC-MAC and AES CMAC for the cryptographic checksum; CRC16 and
//! CRC32 of ISO/IEC 13239 for the redundancy check. Refused, with an error saying why:
//! single DES and DES-ECB (broken; gone from TS 102 225 since Release 8), "algorithm
//! known implicitly" (nothing to check), proprietary algorithms and reserved codings.
//! Digital signatures are not implemented ([`SecurityError::Unsupported`]).
//!
//! Every cryptographic primitive comes from a RustCrypto crate; checksums are compared
//! in constant time. Once a parser has accepted bytes nothing panics; a bad packet is an
//! error value.
//!
//! # Readings of the standard worth knowing
//!
//! * **CC input.** Command: CPL to PCNTR, then data and padding, without the UDH (the
//!   shared pySim vector confirms it). PoR: the three UDH bytes `02 71 00` first (TS
//!   31.115 §4.4), then RPL to the status code, data and padding (the shared PoR vector
//!   confirms it).
//! * **Padding.** Zeros, only when ciphering, up to the cipher block (8 for triple DES,
//!   16 for AES) of the ciphered part (CNTR to the end); PCNTR counts them. The triple
//!   DES CBC-MAC zero-fills its input internally; that fill is not sent. AES CMAC pads by
//!   itself (RFC 4493).
//! * **AES CMAC length.** 8 bytes are sent (the leftmost 8 of the 16-byte CMAC, NIST SP
//!   800-38B truncation); 4 are accepted when CHL says so, as osmocom pySim and the
//!   opentelecoms gsm0348 library read TS 102 225. CHL = 13 + 8 (or 4).
//! * **CRC16 / CRC32.** ISO/IEC 13239 as TS 102 225 §5.1.3.2 cites it: polynomial
//!   X^16 + X^12 + X^5 + 1 (CRC32: the ISO/IEC 13239 32-bit one), register preset to all
//!   ones, least significant bit of each byte first, final value complemented — i.e.
//!   CRC-16/IBM-SDLC (X-25, check value `906E`) and CRC-32/ISO-HDLC (zlib, `CBF43926`).
//!   The result is sent most significant byte first, as pySim (CRC32) and gsm0348 (both)
//!   do.
//! * **PoR fields with no PoR.** When the SPI asks for no PoR, the PoR bits of its
//!   second byte are ignored ([`Spi::por_protection`]).
//!
//! How a card uses all this (TAR table, minimum security levels, counters, which PoR an
//! error gets) is card logic: see `crate::card::ota`.

pub mod coding;
mod command;
mod crypto;
mod error;
mod response;

#[cfg(test)]
pub(crate) mod tests;

pub use coding::{
    CcAlgorithm, Check, CipherAlgorithm, Codings, CounterMode, Integrity, PorRequest, PorStatus,
    PorVia, RcAlgorithm, Spi, SpiParts,
};
pub use command::{
    describe_command, open_command, secure_command, CommandPacket, CommandParams, OpenedCommand,
    CLEAR_HEADER_LEN, MIN_CHL,
};
pub use crypto::{same_checksum, CcKey, CipherKey, KeySet};
pub use error::SecurityError;
pub use response::{
    describe_response, open_response, secure_response, unsecured_response, CompactResponse,
    OpenedResponse, ResponseContext, ResponsePacket, ResponseParams, MIN_RHL, RESPONSE_UDH,
};

use crate::wire::DecodeError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The largest counter value: CNTR is 5 bytes. A card whose counter reaches it is
/// blocked (PoR status `04`).
pub const COUNTER_MAX: u64 = 0xFF_FFFF_FFFF;

/// CNTR bytes, big-endian (the value must fit 40 bits; higher bits are dropped).
pub fn counter_bytes(counter: u64) -> [u8; 5] {
    let be = counter.to_be_bytes();
    [be[3], be[4], be[5], be[6], be[7]]
}

/// Refuses a counter that does not fit CNTR's 5 bytes (a builder's input check).
pub(crate) fn check_counter_fits(counter: u64) -> Result<(), SecurityError> {
    if counter > COUNTER_MAX {
        return Err(SecurityError::Malformed(DecodeError::BadValue {
            what: "CNTR",
            detail: format!("{counter:X} does not fit 5 bytes"),
        }));
    }
    Ok(())
}

/// The value of up to 5 CNTR bytes, big-endian.
pub fn counter_from(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

/// A toolkit application reference: the 3 bytes naming the application a secured
/// packet is for (TS 101 220 annex D). Written as 6 hex digits, e.g. `B00011`, also in
/// serialized data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tar(pub [u8; 3]);

impl Tar {
    /// What TS 101 220 annex D says about this TAR's range.
    pub fn name(self) -> &'static str {
        match self.0 {
            [0x00, 0x00, 0x00] => {
                "issuer security domain (TS 101 220 annex D; remote applet management, TS 102 226)"
            }
            [0xB0, _, _] => "remote file management range B00000-B0FFFF (TS 101 220 annex D)",
            [0xB2, _, _] => "remote applet management range B20000-B2FFFF (TS 101 220 annex D)",
            _ => "application-specific TAR",
        }
    }
}

impl fmt::Display for Tar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02X}{:02X}{:02X}", self.0[0], self.0[1], self.0[2])
    }
}

impl FromStr for Tar {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bytes = crate::wire::hex::parse(text).map_err(|e| format!("TAR: {e}"))?;
        let array: [u8; 3] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("a TAR is 3 bytes, {} given", b.len()))?;
        Ok(Tar(array))
    }
}

impl Serialize for Tar {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Tar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Serde for key bytes as a hex string.
pub(crate) mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&crate::wire::hex::compact(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        crate::wire::hex::parse(&text).map_err(serde::de::Error::custom)
    }
}
