//! Why a secured packet could not be built or opened.

use crate::wire::DecodeError;
use std::fmt;

/// Why securing or opening an OTA packet failed. Each variant says what to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecurityError {
    /// The bytes are not a well-formed packet (lengths, truncation).
    Malformed(DecodeError),
    /// A coding this crate refuses to use: single DES, DES-ECB, an algorithm "known
    /// implicitly", a proprietary algorithm or a reserved value.
    Refused {
        what: &'static str,
        coding: u8,
        why: String,
    },
    /// A mechanism the standard allows but this emulator does not implement (digital
    /// signature).
    Unsupported(String),
    /// A key the packet needs was not given.
    KeyMissing { which: &'static str },
    /// The key given is for another algorithm than the packet names.
    KeyMismatch {
        which: &'static str,
        packet: &'static str,
        key: &'static str,
    },
    /// The key has a wrong length, or is a triple DES key that degenerates to single
    /// DES (two equal halves).
    BadKey { which: &'static str, detail: String },
    /// The ciphered part cannot be deciphered (not a whole number of blocks).
    Ciphering(String),
    /// The RC, CC or DS does not match.
    ChecksumFailed,
    /// PCNTR announces more padding than there is secured data.
    BadPadding { pcntr: u8, available: usize },
    /// The packet would not fit its two-byte length field.
    TooLong { what: &'static str, len: usize },
    /// A PoR claims success without the protection the command's SPI asked for: it may
    /// be forged.
    UnprotectedSuccess,
}

impl fmt::Display for SecurityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecurityError::Malformed(error) => write!(f, "{error}"),
            SecurityError::Refused { what, coding, why } => {
                write!(f, "{what} {coding:02X} refused: {why}")
            }
            SecurityError::Unsupported(what) => write!(f, "not supported: {what}"),
            SecurityError::KeyMissing { which } => {
                write!(f, "the packet needs the {which} key, none was given")
            }
            SecurityError::KeyMismatch { which, packet, key } => write!(
                f,
                "the packet names {packet} for {which}, but the key given is for {key}"
            ),
            SecurityError::BadKey { which, detail } => write!(f, "bad {which} key: {detail}"),
            SecurityError::Ciphering(detail) => write!(f, "ciphering error: {detail}"),
            SecurityError::ChecksumFailed => write!(f, "RC/CC/DS failed: the checksum does not match"),
            SecurityError::BadPadding { pcntr, available } => write!(
                f,
                "PCNTR announces {pcntr} padding byte(s) but the secured data holds only {available}"
            ),
            SecurityError::TooLong { what, len } => {
                write!(f, "{what} of {len} bytes does not fit a two-byte length")
            }
            SecurityError::UnprotectedSuccess => write!(
                f,
                "the PoR says OK but carries none of the protection the SPI asked for: not to be trusted"
            ),
        }
    }
}

impl std::error::Error for SecurityError {}

impl From<DecodeError> for SecurityError {
    fn from(error: DecodeError) -> Self {
        SecurityError::Malformed(error)
    }
}
