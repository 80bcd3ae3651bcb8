//! The PIN commands: VERIFY, CHANGE, DISABLE, ENABLE and UNBLOCK PIN (ETSI TS 102 221
//! §11.1.9 to §11.1.13). P1 is `00`, P2 the key reference; values are 8 bytes, digits in
//! ASCII padded with `FF` (§9.5.2).
//!
//! ```text
//! VERIFY   00 20 00 KR 08 value          P3 00 (no data): 63CX, or 90 00 if verified or disabled
//! CHANGE   00 24 00 KR 10 old new
//! DISABLE  00 26 00 01 08 value          PIN1 only
//! ENABLE   00 28 00 01 08 value          PIN1 only
//! UNBLOCK  00 2C 00 01 10 PUK new-PIN    P3 00 (no data): 63CX for the PUK
//! ```
//!
//! Presenting a value **decrements and persists the try counter before comparing**, and a
//! correct value restores it in the same transaction as the command's own change: a power
//! cut anywhere leaves the counter decremented or the command wholly done, never a free
//! guess. A wrong value answers `63CX` (X tries left; `63C0` the last one) and forgets the
//! PIN's verification; a blocked key answers `69 83`.
//!
//! Other refusals, all before any change: `6B00` P1 not `00`; `6A88` a key reference this
//! card has not (or ADM1 with DISABLE, ENABLE, UNBLOCK: it cannot be disabled and has no
//! unblock key); `6700` data of the wrong length; `6A80` a new PIN1 that is not 4–8 digits
//! padded with `FF`; `6984` VERIFY or CHANGE of a disabled PIN (the reference data are
//! invalidated); `6985` DISABLE of a disabled or ENABLE of an enabled PIN.

use super::{Answer, Card, Interrupt};
use crate::card::security::{is_pin_coding, Secret, ADM1, PIN1, PIN_LEN};
use crate::card::storage::{Slot, Transaction};
use crate::wire::apdu::{CommandApdu, ResponseApdu};
use crate::wire::status::StatusWord;

impl Card {
    /// VERIFY PIN (TS 102 221 §11.1.9).
    pub(super) fn verify_pin(&mut self, _channel: u8, command: &CommandApdu) -> Answer {
        let key = key_reference(command, &[PIN1, ADM1])?;
        let pin = self.secret(Slot::Pin(key))?;
        if command.data.is_empty() {
            return Ok(ResponseApdu::status(
                if !pin.enabled || self.session.verified.contains(&key) {
                    StatusWord::NO_ERROR
                } else {
                    StatusWord::tries_left(pin.tries_left)
                },
            ));
        }
        let [value] = values(&command.data)?;
        if !pin.enabled {
            return Err(StatusWord::REFERENCED_DATA_INVALIDATED.into());
        }
        let restored = self.present(Slot::Pin(key), &value)?;
        self.store
            .commit(Transaction::new().put(Slot::Pin(key), &restored))?;
        self.session.verified.insert(key);
        Ok(ResponseApdu::status(StatusWord::NO_ERROR))
    }

    /// CHANGE PIN (TS 102 221 §11.1.10).
    pub(super) fn change_pin(&mut self, _channel: u8, command: &CommandApdu) -> Answer {
        let key = key_reference(command, &[PIN1, ADM1])?;
        let pin = self.secret(Slot::Pin(key))?;
        let [old, new] = values(&command.data)?;
        if key == PIN1 && !is_pin_coding(&new) {
            return Err(StatusWord::INCORRECT_DATA.into());
        }
        if !pin.enabled {
            return Err(StatusWord::REFERENCED_DATA_INVALIDATED.into());
        }
        let changed = Secret {
            value: new,
            ..self.present(Slot::Pin(key), &old)?
        };
        self.store
            .commit(Transaction::new().put(Slot::Pin(key), &changed))?;
        self.session.verified.insert(key);
        Ok(ResponseApdu::status(StatusWord::NO_ERROR))
    }

    /// DISABLE PIN (TS 102 221 §11.1.11).
    pub(super) fn disable_pin(&mut self, channel: u8, command: &CommandApdu) -> Answer {
        self.set_enabled(channel, command, false)
    }

    /// ENABLE PIN (TS 102 221 §11.1.12).
    pub(super) fn enable_pin(&mut self, channel: u8, command: &CommandApdu) -> Answer {
        self.set_enabled(channel, command, true)
    }

    /// UNBLOCK PIN (TS 102 221 §11.1.13): the PUK sets a new PIN, enabled, with its
    /// counter reset, and the PIN counts as verified.
    pub(super) fn unblock_pin(&mut self, _channel: u8, command: &CommandApdu) -> Answer {
        let key = key_reference(command, &[PIN1])?;
        let puk = self.secret(Slot::Puk(key))?;
        if command.data.is_empty() {
            return Ok(ResponseApdu::status(StatusWord::tries_left(puk.tries_left)));
        }
        let [puk_value, new] = values(&command.data)?;
        if !is_pin_coding(&new) {
            return Err(StatusWord::INCORRECT_DATA.into());
        }
        let pin = self.secret(Slot::Pin(key))?;
        let restored_puk = self.present(Slot::Puk(key), &puk_value)?;
        let unblocked = Secret {
            enabled: true,
            tries_left: pin.max_tries,
            value: new,
            ..pin
        };
        self.store.commit(
            Transaction::new()
                .put(Slot::Puk(key), &restored_puk)
                .put(Slot::Pin(key), &unblocked),
        )?;
        self.session.verified.insert(key);
        Ok(ResponseApdu::status(StatusWord::NO_ERROR))
    }

    /// Whether the access condition "key `key` verified" holds: verified since power-on,
    /// or a PIN that is disabled (TS 102 221 §9.5.3).
    pub(super) fn key_satisfied(&self, key: u8) -> bool {
        self.session.verified.contains(&key)
            || self
                .store
                .load::<Secret>(Slot::Pin(key))
                .is_some_and(|pin| !pin.enabled)
    }

    fn set_enabled(&mut self, _channel: u8, command: &CommandApdu, enabled: bool) -> Answer {
        let key = key_reference(command, &[PIN1])?;
        let pin = self.secret(Slot::Pin(key))?;
        let [value] = values(&command.data)?;
        if pin.enabled == enabled {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED.into());
        }
        let changed = Secret {
            enabled,
            ..self.present(Slot::Pin(key), &value)?
        };
        self.store
            .commit(Transaction::new().put(Slot::Pin(key), &changed))?;
        self.session.verified.insert(key);
        Ok(ResponseApdu::status(StatusWord::NO_ERROR))
    }

    /// Presents `value` for the key in `slot`: a blocked key is refused; otherwise one try
    /// is spent and persisted, then the value compared. Wrong: `63CX`, and a PIN loses its
    /// verification. Right: the key with its counter back at the maximum, which the caller
    /// commits together with its own change.
    fn present(&mut self, slot: Slot, value: &[u8; PIN_LEN]) -> Result<Secret, Interrupt> {
        let key = self.secret(slot)?;
        if key.is_blocked() {
            return Err(StatusWord::AUTHENTICATION_METHOD_BLOCKED.into());
        }
        let spent = Secret {
            tries_left: key.tries_left - 1,
            ..key
        };
        self.store.commit(Transaction::new().put(slot, &spent))?;
        if spent.value != *value {
            if let Slot::Pin(reference) = slot {
                self.session.verified.remove(&reference);
            }
            return Err(StatusWord::tries_left(spent.tries_left).into());
        }
        Ok(Secret {
            tries_left: spent.max_tries,
            ..spent
        })
    }

    fn secret(&self, slot: Slot) -> Result<Secret, StatusWord> {
        self.store
            .load(slot)
            .ok_or(StatusWord::REFERENCED_DATA_NOT_FOUND)
    }
}

/// P2, if P1 is `00` and P2 one of the key references `allowed`.
fn key_reference(command: &CommandApdu, allowed: &[u8]) -> Result<u8, StatusWord> {
    if command.p1 != 0x00 {
        return Err(StatusWord::WRONG_P1_P2);
    }
    if !allowed.contains(&command.p2) {
        return Err(StatusWord::REFERENCED_DATA_NOT_FOUND);
    }
    Ok(command.p2)
}

/// The data field as `N` values of 8 bytes, or `6700`.
fn values<const N: usize>(data: &[u8]) -> Result<[[u8; PIN_LEN]; N], StatusWord> {
    if data.len() != N * PIN_LEN {
        return Err(StatusWord::WRONG_LENGTH);
    }
    let mut values = [[0; PIN_LEN]; N];
    for (value, chunk) in values.iter_mut().zip(data.chunks_exact(PIN_LEN)) {
        value.copy_from_slice(chunk);
    }
    Ok(values)
}
