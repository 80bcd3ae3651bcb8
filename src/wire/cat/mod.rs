//! Card Application Toolkit messages: ETSI TS 102 223 (CAT) and 3GPP TS 31.111 (USAT),
//! with the tag values of ETSI TS 101 220 §7.2.
//!
//! * [`objects`]: the COMPREHENSION-TLV data objects of TS 102 223 §8, typed.
//! * [`ProactiveCommand`]: BER-TLV template `D0` (§6.6), as FETCH returns it.
//! * [`SmsPpDownload`] (`D1`, §7.1.1), [`EventDownload`] (`D6`, §7.5) and the generic
//!   [`Envelope`] (`D2`–`DF`): what the terminal sends in ENVELOPE.
//! * [`TerminalResponse`] (§6.8): a bare COMPREHENSION-TLV sequence, no template.
//! * [`TerminalProfile`] (§5.2) and its [`Facility`] bits, which the card consults
//!   before raising a proactive command.
//!
//! Each has `parse` (checks the mandatory objects), `emit`, `buffer_len` and `describe`
//! (a [`Field`] tree with offsets from the first byte). `emit(parse(x)) == x` for every
//! accepted input: objects keep their CR flag and tag format.
//!
//! CAT templates carry a one-byte tag even for `DF`, whose low bits would announce a
//! multi-byte tag under plain BER rules (TS 101 220 §7.2 lists `D0`–`DF` as one-byte
//! CAT tags); the length follows TS 101 220 §7.1.2.

mod envelope;
pub mod objects;
mod proactive;
pub mod profile;
mod terminal_response;
pub mod text;

pub use envelope::{template_name, Envelope, EventDownload, SmsPpDownload};
pub use objects::{
    Address, BearerDescription, BearerType, ChannelState, ChannelStatus, CommandDetails,
    CommandResult, CommandType, DataObject, DeviceIdentities, DeviceIdentity, Event, GeneralResult,
    Object, OtherAddress, TransportLevel, TransportProtocol,
};
pub use proactive::ProactiveCommand;
pub use profile::{Facility, TerminalProfile};
pub use terminal_response::TerminalResponse;

use crate::wire::ber_tlv;
use crate::wire::field::FieldFill;
use crate::wire::{DecodeError, Field};
use objects::Context;

/// Splits a CAT BER-TLV template into its tag byte, header length and value; the
/// template must fill `bytes` exactly.
fn parse_template<'a>(
    bytes: &'a [u8],
    what: &'static str,
) -> Result<(u8, usize, &'a [u8]), DecodeError> {
    let (&tag, rest) = bytes.split_first().ok_or(DecodeError::Truncated {
        what,
        needed: 2,
        available: 0,
    })?;
    let (len, length_len) = ber_tlv::parse_length(rest, 1)?;
    let header = 1 + length_len;
    let value = bytes
        .get(header..header + len)
        .ok_or(DecodeError::Truncated {
            what,
            needed: header + len,
            available: bytes.len(),
        })?;
    if bytes.len() > header + len {
        return Err(DecodeError::TrailingBytes {
            what,
            count: bytes.len() - header - len,
        });
    }
    Ok((tag, header, value))
}

fn emit_template(tag: u8, objects: &[DataObject]) -> Vec<u8> {
    let len = DataObject::buffer_len_all(objects);
    let mut out = Vec::with_capacity(1 + ber_tlv::length_len(len) + len);
    out.push(tag);
    ber_tlv::encode_length(len, &mut out);
    DataObject::emit_all(objects, &mut out);
    out
}

fn template_len(objects: &[DataObject]) -> usize {
    let len = DataObject::buffer_len_all(objects);
    1 + ber_tlv::length_len(len) + len
}

/// The field of a whole template: `tag`, `length`, then one child per object.
fn describe_template(
    path: &str,
    label: &str,
    tag: u8,
    objects: &[DataObject],
    ctx: Context,
) -> Field {
    let len = DataObject::buffer_len_all(objects);
    let length_len = ber_tlv::length_len(len);
    let mut root = Field::new(path, label, 0, 1 + length_len + len);
    root.child("tag", "Template tag", 0, 1)
        .with_value(format!("{tag:02X}"))
        .with_note(template_name(tag).unwrap_or("not a CAT template"));
    root.child("length", "Length", 1, length_len)
        .with_value(len.to_string());
    DataObject::describe_all(objects, &mut root, 1 + length_len, ctx);
    root
}

/// Errors with [`DecodeError::Missing`] unless an object with tag value `tag` is there.
fn require(
    objects: &[DataObject],
    tag: u16,
    what: &'static str,
    within: &'static str,
) -> Result<(), DecodeError> {
    if objects.iter().any(|o| o.object.tag() == tag) {
        Ok(())
    } else {
        Err(DecodeError::Missing { what, within })
    }
}

/// The first object `pick` accepts.
fn find<'a, T>(objects: &'a [DataObject], pick: impl Fn(&'a Object) -> Option<T>) -> Option<T> {
    objects.iter().find_map(|o| pick(&o.object))
}

fn first_details(objects: &[DataObject]) -> Option<CommandDetails> {
    find(objects, |o| match o {
        Object::CommandDetails(d) => Some(*d),
        _ => None,
    })
}

fn first_devices(objects: &[DataObject]) -> Option<DeviceIdentities> {
    find(objects, |o| match o {
        Object::DeviceIdentities(d) => Some(*d),
        _ => None,
    })
}

#[cfg(test)]
pub(crate) mod tests;
