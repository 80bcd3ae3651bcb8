//! The byte layer: pure codecs, parse ⇄ emit, every field with its byte range.
//!
//! One file per format, after smoltcp's `wire`: an owned representation with `parse`,
//! `emit` and `buffer_len`, and a `describe` that fills the [`field::Field`] tree the
//! inspector and the command line show. Once a decoder has accepted bytes, no accessor
//! panics; bad bytes give a [`DecodeError`], never a panic.

pub mod apdu;
pub mod atr;
pub mod ber_tlv;
pub mod cat;
pub mod ctlv;
pub mod decode;
pub mod error;
pub mod fcp;
pub mod field;
pub mod hex;
pub mod http;
pub mod ipv4;
pub mod ota;
pub mod sms;
pub mod status;
pub mod tcp;
pub mod udp;

pub use error::DecodeError;
pub use field::Field;
