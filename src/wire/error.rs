//! The one error type of the wire layer: why bytes could not be decoded.
//!
//! Decoders never panic on input; they return one of these. Each variant says what was
//! wrong in words an engineer can act on.

use std::fmt;

/// Why a decoder rejected its input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended before `what` was complete.
    Truncated {
        what: &'static str,
        needed: usize,
        available: usize,
    },
    /// Bytes were left over after a complete structure.
    TrailingBytes { what: &'static str, count: usize },
    /// A length field disagrees with the bytes present or with the standard.
    BadLength { what: &'static str, detail: String },
    /// A tag value the coding rules forbid (e.g. BER-TLV `00`/`FF`).
    BadTag { what: &'static str, tag: u32 },
    /// BER-TLV indefinite length (`80`), which TS 101 220 and ISO 7816-4 do not allow.
    IndefiniteLength { offset: usize },
    /// Constructed TLVs nested deeper than the decoder's fixed bound.
    NestingTooDeep { limit: usize },
    /// A mandatory element is absent.
    Missing {
        what: &'static str,
        within: &'static str,
    },
    /// A field holds a value the standard does not allow here.
    BadValue { what: &'static str, detail: String },
    /// The input is not any structure this decoder knows.
    Unrecognised { detail: String },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated {
                what,
                needed,
                available,
            } => write!(
                f,
                "{what} is truncated: needs {needed} byte(s), only {available} present"
            ),
            DecodeError::TrailingBytes { what, count } => {
                write!(f, "{count} unexpected byte(s) after {what}")
            }
            DecodeError::BadLength { what, detail } => write!(f, "bad length in {what}: {detail}"),
            DecodeError::BadTag { what, tag } => {
                write!(f, "tag {tag:02X} is not allowed in {what}")
            }
            DecodeError::IndefiniteLength { offset } => write!(
                f,
                "indefinite length (80) at byte {offset} is not allowed (TS 101 220 §7.1.2)"
            ),
            DecodeError::NestingTooDeep { limit } => {
                write!(f, "TLVs nested more than {limit} levels deep")
            }
            DecodeError::Missing { what, within } => {
                write!(f, "mandatory {what} missing from {within}")
            }
            DecodeError::BadValue { what, detail } => write!(f, "bad {what}: {detail}"),
            DecodeError::Unrecognised { detail } => write!(f, "not recognised: {detail}"),
        }
    }
}

impl std::error::Error for DecodeError {}
