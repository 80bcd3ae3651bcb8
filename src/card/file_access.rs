//! READ BINARY, UPDATE BINARY, READ RECORD and UPDATE RECORD (ETSI TS 102 221 §11.1.3 to
//! §11.1.6), with the access rules of EF.ARR enforced and every write journalled.
//!
//! ```text
//! READ/UPDATE BINARY  P1 b8 = 0: offset P1 (b7-b1) P2 in the current EF
//!                     P1 b8 = 1: b5-b1 a short file identifier, offset P2; that EF
//!                                becomes the current EF
//! READ/UPDATE RECORD  P1 record number (00: the current record)
//!                     P2 b8-b4 short file identifier (00000: current EF), b3-b1 mode:
//!                        010 next, 011 previous, 100 absolute/current
//! ```
//!
//! The record pointer (TS 102 221 §8.2.2, §11.1.5): unset after SELECT; next from unset
//! is record 1, previous from unset the last record; on a linear fixed EF next past the
//! last (previous before the first) record is `6A83` and leaves the pointer, on a cyclic
//! EF it wraps. Absolute mode does not move the pointer. A cyclic EF is updated in
//! previous mode only: the oldest record is overwritten and becomes record 1.

use super::channels::RFM_CHANNEL;
use super::{Answer, Card};
use crate::card::fs::{FileRef, FileTree, Structure, EF_ARR_ID};
use crate::card::security::{grants, Access};
use crate::card::storage::{Slot, Transaction};
use crate::wire::apdu::{CommandApdu, ResponseApdu};
use crate::wire::status::StatusWord;

/// The three record addressing modes of P2 b3-b1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RecordMode {
    Next,
    Previous,
    Absolute,
}

/// The shape of a record EF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Records {
    len: u8,
    count: u8,
    cyclic: bool,
}

impl Card {
    /// READ BINARY (TS 102 221 §11.1.3).
    pub(super) fn read_binary(&mut self, channel: u8, command: &CommandApdu) -> Answer {
        if !command.data.is_empty() {
            return Err(StatusWord::WRONG_LENGTH.into());
        }
        let (file, offset) = self.binary_target(channel, command)?;
        let size = self.transparent_size(file)?;
        self.check_access(channel, file, Access::Read)?;
        if offset >= size {
            return Err(StatusWord::WRONG_P1_P2.into());
        }
        let le = usize::from(command.le.ok_or(StatusWord::WRONG_LENGTH)?);
        let available = size - offset;
        if le > available {
            let exact = u8::try_from(available).unwrap_or(0);
            return Err(StatusWord::wrong_le(exact).into());
        }
        let data = self
            .store
            .bytes(Slot::File(file))
            .get(offset..offset + le)
            .unwrap_or_default()
            .to_vec();
        self.make_current(channel, file, None);
        Ok(ResponseApdu::new(data, StatusWord::NO_ERROR))
    }

    /// UPDATE BINARY (TS 102 221 §11.1.4).
    pub(super) fn update_binary(&mut self, channel: u8, command: &CommandApdu) -> Answer {
        if command.data.is_empty() {
            return Err(StatusWord::WRONG_LENGTH.into());
        }
        let (file, offset) = self.binary_target(channel, command)?;
        let size = self.transparent_size(file)?;
        self.check_access(channel, file, Access::Update)?;
        if offset >= size {
            return Err(StatusWord::WRONG_P1_P2.into());
        }
        let end = offset + command.data.len();
        let mut content = self.store.bytes(Slot::File(file)).to_vec();
        let target = content
            .get_mut(offset..end)
            .ok_or(StatusWord::WRONG_LENGTH)?;
        target.copy_from_slice(&command.data);
        self.store
            .commit(Transaction::new().put_bytes(Slot::File(file), content))?;
        self.make_current(channel, file, None);
        Ok(ResponseApdu::status(StatusWord::NO_ERROR))
    }

    /// READ RECORD (TS 102 221 §11.1.5).
    pub(super) fn read_record(&mut self, channel: u8, command: &CommandApdu) -> Answer {
        if !command.data.is_empty() {
            return Err(StatusWord::WRONG_LENGTH.into());
        }
        let (file, mode) = self.record_target(channel, command.p2)?;
        let records = self.records(file)?;
        self.check_access(channel, file, Access::Read)?;
        let pointer = self.record_pointer(channel, file);
        let (number, pointer) = address_record(mode, command.p1, pointer, records)?;
        if command.le != Some(u16::from(records.len)) {
            return Err(StatusWord::wrong_le(records.len).into());
        }
        let data = self.record(file, number).unwrap_or_default().to_vec();
        self.make_current(channel, file, pointer);
        Ok(ResponseApdu::new(data, StatusWord::NO_ERROR))
    }

    /// UPDATE RECORD (TS 102 221 §11.1.6).
    pub(super) fn update_record(&mut self, channel: u8, command: &CommandApdu) -> Answer {
        if command.data.is_empty() {
            return Err(StatusWord::WRONG_LENGTH.into());
        }
        let (file, mode) = self.record_target(channel, command.p2)?;
        let records = self.records(file)?;
        self.check_access(channel, file, Access::Update)?;
        if command.data.len() != usize::from(records.len) {
            return Err(StatusWord::WRONG_LENGTH.into());
        }
        let len = usize::from(records.len);
        let mut content = self.store.bytes(Slot::File(file)).to_vec();
        let pointer = if records.cyclic {
            if mode != RecordMode::Previous || command.p1 != 0 {
                return Err(StatusWord::INCORRECT_P1_P2.into());
            }
            content.truncate(len * usize::from(records.count - 1));
            content.splice(0..0, command.data.iter().copied());
            Some(1)
        } else {
            let pointer = self.record_pointer(channel, file);
            let (number, pointer) = address_record(mode, command.p1, pointer, records)?;
            let start = len * usize::from(number - 1);
            if let Some(target) = content.get_mut(start..start + len) {
                target.copy_from_slice(&command.data);
            }
            pointer
        };
        self.store
            .commit(Transaction::new().put_bytes(Slot::File(file), content))?;
        self.make_current(channel, file, pointer);
        Ok(ResponseApdu::status(StatusWord::NO_ERROR))
    }

    /// Record `number` (from 1) of the record EF `file`, as stored.
    pub(super) fn record(&self, file: FileRef, number: u8) -> Option<&[u8]> {
        let (len, count) = self.files.file(file).structure()?.records()?;
        if number == 0 || number > count {
            return None;
        }
        let len = usize::from(len);
        let start = len * usize::from(number - 1);
        self.store.bytes(Slot::File(file)).get(start..start + len)
    }

    /// `6982` unless the rule `file` references in EF.ARR grants `access` now, to a
    /// command on `channel`: the keys verified in this session, or, for a remote file
    /// management script ([`RFM_CHANNEL`]), those its TAR's access domain grants.
    fn check_access(&self, channel: u8, file: FileRef, access: Access) -> Result<(), StatusWord> {
        let rule = self
            .files
            .child(FileTree::MF, EF_ARR_ID)
            .and_then(|arr| self.record(arr, self.files.file(file).arr_record));
        let satisfied = |key: u8| {
            if channel == RFM_CHANNEL {
                self.session
                    .rfm_access
                    .as_ref()
                    .is_some_and(|domain| domain.grants(key))
            } else {
                self.key_satisfied(key)
            }
        };
        match rule {
            Some(rule) if grants(rule, access, &satisfied) => Ok(()),
            _ => Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED),
        }
    }

    /// The EF and offset of a binary command: by short file identifier when P1 b8 is set
    /// (b7-b6 must be 0), otherwise the current EF with a 15-bit offset.
    fn binary_target(
        &self,
        channel: u8,
        command: &CommandApdu,
    ) -> Result<(FileRef, usize), StatusWord> {
        let (p1, p2) = (command.p1, command.p2);
        if p1 & 0x80 == 0 {
            let offset = usize::from(u16::from_be_bytes([p1, p2]));
            return Ok((self.current_ef(channel)?, offset));
        }
        if p1 & 0x60 != 0 {
            return Err(StatusWord::INCORRECT_P1_P2);
        }
        Ok((self.ef_by_sfi(channel, p1 & 0x1F)?, usize::from(p2)))
    }

    /// The EF and mode of a record command from P2.
    fn record_target(&self, channel: u8, p2: u8) -> Result<(FileRef, RecordMode), StatusWord> {
        let mode = match p2 & 0x07 {
            0b010 => RecordMode::Next,
            0b011 => RecordMode::Previous,
            0b100 => RecordMode::Absolute,
            _ => return Err(StatusWord::INCORRECT_P1_P2),
        };
        let file = match p2 >> 3 {
            0 => self.current_ef(channel)?,
            sfi => self.ef_by_sfi(channel, sfi)?,
        };
        Ok((file, mode))
    }

    fn current_ef(&self, channel: u8) -> Result<FileRef, StatusWord> {
        self.selection(channel)
            .ef
            .ok_or(StatusWord::COMMAND_NOT_ALLOWED_NO_EF)
    }

    /// The EF of the current DF with short file identifier `sfi` (1 to 30).
    fn ef_by_sfi(&self, channel: u8, sfi: u8) -> Result<FileRef, StatusWord> {
        if !(1..=30).contains(&sfi) {
            return Err(StatusWord::INCORRECT_P1_P2);
        }
        self.files
            .child_by_sfi(self.selection(channel).df, sfi)
            .ok_or(StatusWord::FILE_NOT_FOUND)
    }

    fn transparent_size(&self, file: FileRef) -> Result<usize, StatusWord> {
        match self.files.file(file).structure() {
            Some(Structure::Transparent { size }) => Ok(usize::from(size)),
            _ => Err(StatusWord::INCOMPATIBLE_FILE_STRUCTURE),
        }
    }

    fn records(&self, file: FileRef) -> Result<Records, StatusWord> {
        match self.files.file(file).structure() {
            Some(Structure::LinearFixed {
                record_len,
                records,
            }) => Ok(Records {
                len: record_len,
                count: records,
                cyclic: false,
            }),
            Some(Structure::Cyclic {
                record_len,
                records,
            }) => Ok(Records {
                len: record_len,
                count: records,
                cyclic: true,
            }),
            _ => Err(StatusWord::INCOMPATIBLE_FILE_STRUCTURE),
        }
    }

    /// The record pointer in `file` on `channel`: unset unless `file` is the current EF.
    fn record_pointer(&self, channel: u8, file: FileRef) -> Option<u8> {
        let selection = self.selection(channel);
        selection.record.filter(|_| selection.ef == Some(file))
    }

    /// Makes `file` (a child of the current DF) the current EF, with record pointer `record`.
    fn make_current(&mut self, channel: u8, file: FileRef, record: Option<u8>) {
        let selection = self.selection(channel);
        self.session.channels.set(
            channel,
            super::channels::Selection {
                ef: Some(file),
                record,
                ..selection
            },
        );
    }
}

/// The record a command addresses and the record pointer after it (see the module
/// documentation).
fn address_record(
    mode: RecordMode,
    p1: u8,
    pointer: Option<u8>,
    records: Records,
) -> Result<(u8, Option<u8>), StatusWord> {
    let last = records.count;
    if mode != RecordMode::Absolute && p1 != 0 {
        return Err(StatusWord::INCORRECT_P1_P2);
    }
    let number = match (mode, pointer) {
        (RecordMode::Absolute, _) => {
            let number = match p1 {
                0x00 => pointer.ok_or(StatusWord::RECORD_NOT_FOUND)?,
                0xFF => return Err(StatusWord::INCORRECT_P1_P2),
                n => n,
            };
            if number > last {
                return Err(StatusWord::RECORD_NOT_FOUND);
            }
            return Ok((number, pointer));
        }
        (RecordMode::Next, None) => 1,
        (RecordMode::Next, Some(r)) if r < last => r + 1,
        (RecordMode::Previous, None) => last,
        (RecordMode::Previous, Some(r)) if r > 1 => r - 1,
        (RecordMode::Next, Some(_)) if records.cyclic => 1,
        (RecordMode::Previous, Some(_)) if records.cyclic => last,
        _ => return Err(StatusWord::RECORD_NOT_FOUND),
    };
    Ok((number, Some(number)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINEAR: Records = Records {
        len: 4,
        count: 3,
        cyclic: false,
    };
    const CYCLIC: Records = Records {
        cyclic: true,
        ..LINEAR
    };

    fn address(
        mode: RecordMode,
        p1: u8,
        pointer: Option<u8>,
        records: Records,
    ) -> Result<(u8, Option<u8>), u16> {
        address_record(mode, p1, pointer, records).map_err(u16::from)
    }

    #[test]
    fn next_and_previous_start_at_the_ends() {
        assert_eq!(address(RecordMode::Next, 0, None, LINEAR), Ok((1, Some(1))));
        assert_eq!(
            address(RecordMode::Previous, 0, None, LINEAR),
            Ok((3, Some(3)))
        );
        assert_eq!(
            address(RecordMode::Next, 0, Some(2), LINEAR),
            Ok((3, Some(3)))
        );
        assert_eq!(
            address(RecordMode::Previous, 0, Some(2), LINEAR),
            Ok((1, Some(1)))
        );
    }

    #[test]
    fn linear_fixed_stops_at_the_ends_and_cyclic_wraps() {
        assert_eq!(address(RecordMode::Next, 0, Some(3), LINEAR), Err(0x6A83));
        assert_eq!(
            address(RecordMode::Previous, 0, Some(1), LINEAR),
            Err(0x6A83)
        );
        assert_eq!(
            address(RecordMode::Next, 0, Some(3), CYCLIC),
            Ok((1, Some(1)))
        );
        assert_eq!(
            address(RecordMode::Previous, 0, Some(1), CYCLIC),
            Ok((3, Some(3)))
        );
    }

    #[test]
    fn absolute_mode_leaves_the_pointer() {
        assert_eq!(
            address(RecordMode::Absolute, 2, None, LINEAR),
            Ok((2, None))
        );
        assert_eq!(
            address(RecordMode::Absolute, 3, Some(1), LINEAR),
            Ok((3, Some(1)))
        );
        assert_eq!(
            address(RecordMode::Absolute, 0, Some(1), LINEAR),
            Ok((1, Some(1)))
        );
        assert_eq!(address(RecordMode::Absolute, 0, None, LINEAR), Err(0x6A83));
        assert_eq!(address(RecordMode::Absolute, 4, None, LINEAR), Err(0x6A83));
        assert_eq!(
            address(RecordMode::Absolute, 0xFF, None, LINEAR),
            Err(0x6A86)
        );
    }

    #[test]
    fn next_and_previous_take_no_record_number() {
        assert_eq!(address(RecordMode::Next, 1, None, LINEAR), Err(0x6A86));
        assert_eq!(address(RecordMode::Previous, 2, None, CYCLIC), Err(0x6A86));
    }
}
