//! Security: PINs and the access rules of EF.ARR (ETSI TS 102 221 §9).
//!
//! The card knows two key references (TS 102 221 §9.5.1 table 9.3): `01`, PIN1 (the
//! application PIN, with its unblock key PUK1), and `0A`, ADM1 (the issuer's
//! administrative key, no unblock key). Each is a persistent [`Secret`]; which of them a
//! session has verified is volatile and lives in the card's session.
//!
//! Access rules use the expanded format of EF.ARR (TS 102 221 §9.2.4, ISO/IEC 7816-4
//! §9.3.3): an access mode data object `80` (one byte, one bit per kind of access),
//! followed by the security conditions that grant it:
//!
//! ```text
//! 80 01 01  90 00                      read: always
//! 80 01 02  A4 06 83 01 0A 95 01 08    update: ADM1 verified (user authentication, key 0A)
//! 80 01 02  97 00                      update: never
//! A0 … / AF …                          any one of / all of the conditions inside
//! ```
//!
//! A mode no access mode object mentions is never granted, nor is one whose conditions do
//! not parse (fail safe).

use crate::card::fs::record_objects;
use crate::card::storage::Stored;
use crate::wire::ber_tlv::{Tag, Tlv};

/// Key reference of PIN1 (TS 102 221 §9.5.1).
pub const PIN1: u8 = 0x01;
/// Key reference of ADM1 (TS 102 221 §9.5.1).
pub const ADM1: u8 = 0x0A;

/// Number of bytes of a PIN on the interface: digits in ASCII, padded with `FF`
/// (TS 102 221 §9.5.2).
pub const PIN_LEN: usize = 8;

/// A PIN, an unblock key or an administrative key, as persisted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Secret {
    /// Whether the PIN must be verified; a disabled PIN satisfies every condition that
    /// names it (TS 102 221 §9.5.3). Unblock and administrative keys are always enabled.
    pub enabled: bool,
    /// Tries left before the key is blocked.
    pub tries_left: u8,
    /// The value `tries_left` is reset to by a correct presentation.
    pub max_tries: u8,
    /// The value, coded as on the interface.
    pub value: [u8; PIN_LEN],
}

impl Secret {
    pub fn new(value: [u8; PIN_LEN], max_tries: u8) -> Secret {
        Secret {
            enabled: true,
            tries_left: max_tries,
            max_tries,
            value,
        }
    }

    pub fn is_blocked(&self) -> bool {
        self.tries_left == 0
    }
}

impl Stored for Secret {
    /// `enabled (00/01) ‖ tries left ‖ max tries ‖ value (8 bytes)`.
    fn encode(&self) -> Vec<u8> {
        let mut bytes = vec![u8::from(self.enabled), self.tries_left, self.max_tries];
        bytes.extend_from_slice(&self.value);
        bytes
    }

    fn decode(bytes: &[u8]) -> Option<Secret> {
        let (&[enabled, tries_left, max_tries], value) = bytes.split_first_chunk::<3>()?;
        Some(Secret {
            enabled: enabled != 0,
            tries_left,
            max_tries,
            value: value.try_into().ok()?,
        })
    }
}

/// Whether `value` is a PIN as TS 102 221 §9.5.2 codes it: 4 to 8 ASCII digits, then
/// `FF` padding.
pub fn is_pin_coding(value: &[u8; PIN_LEN]) -> bool {
    let digits = value.iter().take_while(|b| b.is_ascii_digit()).count();
    digits >= 4 && value[digits..].iter().all(|b| *b == 0xFF)
}

/// The kinds of access a command asks for, with their bit in the access mode byte of an
/// EF (ISO/IEC 7816-4 §9.3.2 table 17).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// READ BINARY, READ RECORD, SEARCH RECORD.
    Read,
    /// UPDATE BINARY, UPDATE RECORD, ERASE.
    Update,
}

impl Access {
    fn mode_bit(self) -> u8 {
        match self {
            Access::Read => 0x01,
            Access::Update => 0x02,
        }
    }
}

/// A security condition data object (ISO/IEC 7816-4 §9.3.3 table 19).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Condition {
    /// `90 00`.
    Always,
    /// `97 00`, and anything this card cannot read.
    Never,
    /// `A4`: user authentication with the key reference in its `83` object.
    KeyVerified(u8),
    /// `A0`: one of the conditions inside.
    AnyOf(Vec<Condition>),
    /// `AF`: every condition inside.
    AllOf(Vec<Condition>),
}

impl Condition {
    fn parse(tlv: &Tlv) -> Condition {
        let inner = || -> Vec<Condition> {
            tlv.children()
                .map(|c| c.iter().map(Condition::parse).collect())
                .unwrap_or_default()
        };
        match tlv.tag.0 {
            0x90 => Condition::Always,
            0xA4 => tlv
                .children()
                .ok()
                .and_then(|c| c.into_iter().find(|t| t.tag == Tag(0x83)))
                .and_then(|key| match key.value.as_slice() {
                    [key] => Some(Condition::KeyVerified(*key)),
                    _ => None,
                })
                .unwrap_or(Condition::Never),
            0xA0 => Condition::AnyOf(inner()),
            0xAF => Condition::AllOf(inner()),
            _ => Condition::Never,
        }
    }

    fn holds(&self, satisfied: &dyn Fn(u8) -> bool) -> bool {
        match self {
            Condition::Always => true,
            Condition::Never => false,
            Condition::KeyVerified(key) => satisfied(*key),
            Condition::AnyOf(all) => all.iter().any(|c| c.holds(satisfied)),
            Condition::AllOf(all) => !all.is_empty() && all.iter().all(|c| c.holds(satisfied)),
        }
    }
}

/// Whether the access rule in `record` (one record of EF.ARR) grants `access`, given
/// which key references are `satisfied`. Several conditions after one access mode
/// object are alternatives.
pub fn grants(record: &[u8], access: Access, satisfied: &dyn Fn(u8) -> bool) -> bool {
    let mut granted = false;
    let mut mode_applies = false;
    for object in record_objects(record) {
        if object.tag == Tag(0x80) {
            mode_applies = object
                .value
                .first()
                .is_some_and(|mode| mode & 0x80 == 0 && mode & access.mode_bit() != 0);
        } else if mode_applies {
            granted |= Condition::parse(&object).holds(satisfied);
        }
    }
    granted
}

/// The access rule `80 01 mode` followed by one condition: `None` for never, `Some(key)`
/// for that key verified, or always when `key` is [`ALWAYS`].
pub fn rule(entries: &[(u8, Option<u8>)]) -> Vec<u8> {
    entries
        .iter()
        .flat_map(|(mode, key)| {
            let condition = match key {
                None => Tlv::new(0x97, []),
                Some(ALWAYS) => Tlv::new(0x90, []),
                Some(key) => Tlv::constructed(
                    0xA4,
                    &[
                        Tlv::new(0x83, [*key]),
                        // Usage qualifier 08: user authentication, knowledge based.
                        Tlv::new(0x95, [0x08]),
                    ],
                ),
            };
            let mut bytes = Tlv::new(0x80, [*mode]).emit();
            bytes.extend(condition.emit());
            bytes
        })
        .collect()
}

/// Stands for "always" in [`rule`] (no key has this reference: `00` is RFU in
/// TS 102 221 table 9.3).
pub const ALWAYS: u8 = 0x00;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::hex;

    fn adm_only(key: u8) -> bool {
        key == ADM1
    }

    #[test]
    fn builds_the_expanded_format() {
        let record = rule(&[(0x01, Some(ALWAYS)), (0x02, Some(ADM1)), (0x18, None)]);
        assert_eq!(
            hex::compact(&record),
            "800101900080010 2A40683010A950108800118 9700".replace(' ', "")
        );
    }

    #[test]
    fn grants_by_access_mode_and_condition() {
        let record = rule(&[(0x01, Some(ALWAYS)), (0x02, Some(ADM1))]);
        assert!(grants(&record, Access::Read, &|_| false));
        assert!(!grants(&record, Access::Update, &|_| false));
        assert!(grants(&record, Access::Update, &adm_only));
        let never = rule(&[(0x03, None)]);
        assert!(!grants(&never, Access::Read, &|_| true));
    }

    #[test]
    fn alternatives_and_templates() {
        // Update: PIN1 or ADM1 (two conditions after one mode); read: PIN1 and ADM1.
        let record = hex::parse(
            "800102 A40683010195 0108 A40683010A950108 800101 AF10A40683010195 0108A40683010A950108",
        )
        .unwrap();
        assert!(grants(&record, Access::Update, &adm_only));
        assert!(!grants(&record, Access::Read, &adm_only));
        assert!(grants(&record, Access::Read, &|_| true));
    }

    #[test]
    fn unreadable_rules_grant_nothing() {
        assert!(!grants(&[0xFF; 8], Access::Read, &|_| true));
        assert!(!grants(
            &hex::parse("8001019F").unwrap(),
            Access::Read,
            &|_| true
        ));
        assert!(!grants(
            &hex::parse("8001FF9000").unwrap(),
            Access::Read,
            &|_| true
        ));
        assert!(!grants(
            &hex::parse("800101A4058301").unwrap(),
            Access::Read,
            &|_| true
        ));
    }

    #[test]
    fn secret_round_trips_and_rejects_short_bytes() {
        let secret = Secret::new(*b"1234\xFF\xFF\xFF\xFF", 3);
        assert_eq!(Secret::decode(&secret.encode()), Some(secret));
        assert_eq!(Secret::decode(&secret.encode()[..10]), None);
    }

    #[test]
    fn pin_coding_is_four_to_eight_digits_then_padding() {
        assert!(is_pin_coding(b"1234\xFF\xFF\xFF\xFF"));
        assert!(is_pin_coding(b"12345678"));
        assert!(!is_pin_coding(b"123\xFF\xFF\xFF\xFF\xFF"));
        assert!(!is_pin_coding(b"1234\xFF5\xFF\xFF"));
        assert!(!is_pin_coding(b"12a4\xFF\xFF\xFF\xFF"));
    }
}
