//! SELECT (ETSI TS 102 221 §11.1.1) and STATUS (§11.1.2).
//!
//! ```text
//! P1 00  by file identifier, from the current DF (§8.4.1): the MF (3F00), the current
//!        application (7FFF), a child of the current DF, the current DF itself, its parent,
//!        or a DF beside it (a child of its parent)
//! P1 03  the parent of the current DF
//! P1 04  by DF name (AID), whole or right-truncated; P2 b2-b1 first / last / next /
//!        previous occurrence, in card order, next and previous from the current DF
//! P1 08  by path from the MF (without 3F00); P1 09 by path from the current DF; a path
//!        may start with 7FFF, the current application
//! P2     04: return the FCP (T=0: 61XX, then GET RESPONSE); 0C: return nothing
//! ```
//!
//! Selecting a DF makes it the current DF and leaves no current EF; selecting an EF makes
//! its DF current and clears the record pointer; selecting by AID also makes the DF the
//! current application.

use super::channels::Selection;
use super::{exact_le, no_response_data, Answer, Card};
use crate::card::fs::{FileRef, FileTree, CURRENT_ADF_ID, MF_ID};
use crate::card::security::{Secret, ADM1, PIN1};
use crate::card::storage::Slot;
use crate::wire::apdu::{CommandApdu, ResponseApdu};
use crate::wire::ber_tlv::Tlv;
use crate::wire::fcp;
use crate::wire::status::StatusWord;

/// Longest DF name (ISO/IEC 7816-4 §5.3.1.1).
const MAX_AID_LEN: usize = 16;

impl Card {
    /// SELECT (TS 102 221 §11.1.1) on `channel`.
    pub(super) fn select(&mut self, channel: u8, command: &CommandApdu) -> Answer {
        let current = self.selection(channel);
        // b8-b5 0000 (activation, the only application session control supported),
        // b4-b3 01 (FCP) or 11 (no data), b2-b1 the occurrence for selection by DF name.
        let return_fcp = match command.p2 & 0xFC {
            0x04 => true,
            0x0C => false,
            _ => return Err(StatusWord::INCORRECT_P1_P2.into()),
        };
        let occurrence = command.p2 & 0x03;
        if occurrence != 0 && command.p1 != 0x04 {
            return Err(StatusWord::INCORRECT_P1_P2.into());
        }
        let data = command.data.as_slice();
        let target = match command.p1 {
            0x00 => match data {
                [hi, lo] => self.by_file_id(current, u16::from_be_bytes([*hi, *lo]))?,
                _ => return Err(StatusWord::WRONG_LENGTH.into()),
            },
            0x03 if data.is_empty() => self
                .files
                .parent(current.df)
                .ok_or(StatusWord::FILE_NOT_FOUND)?,
            0x03 => return Err(StatusWord::WRONG_LENGTH.into()),
            0x04 => self.by_name(current, data, occurrence)?,
            0x08 => self.by_path(current, FileTree::MF, data)?,
            0x09 => self.by_path(current, current.df, data)?,
            _ => return Err(StatusWord::INCORRECT_P1_P2.into()),
        };
        let response = match (return_fcp, data.is_empty()) {
            // Case 2 (parent DF): the FCP comes at once, if Le is right.
            (true, true) => exact_le(self.fcp(target).emit(), command.le)?,
            // Case 4: the card's T=0 delivery turns this into 61XX.
            (true, false) => ResponseApdu::new(self.fcp(target).emit(), StatusWord::NO_ERROR),
            (false, _) => {
                no_response_data(command)?;
                ResponseApdu::status(StatusWord::NO_ERROR)
            }
        };
        let selection = self.selection_of(current, target, command.p1 == 0x04);
        self.session.channels.set(channel, selection);
        Ok(response)
    }

    /// STATUS (TS 102 221 §11.1.2): P2 00, the FCP of the current DF; 01, the DF name
    /// (`84`) of the current application; 0C, nothing. P1 (00, 01, 02) tells the card about
    /// the terminal's application session and changes nothing here.
    pub(super) fn status(&mut self, channel: u8, command: &CommandApdu) -> Answer {
        if command.p1 > 0x02 {
            return Err(StatusWord::INCORRECT_P1_P2.into());
        }
        if !command.data.is_empty() {
            return Err(StatusWord::WRONG_LENGTH.into());
        }
        let current = self.selection(channel);
        let data = match command.p2 {
            0x00 => self.fcp(current.df).emit(),
            0x01 => {
                let application = current
                    .application
                    .and_then(|app| self.files.file(app).df_name())
                    .ok_or(StatusWord::REFERENCED_DATA_NOT_FOUND)?;
                Tlv::new(0x84, application.to_vec()).emit()
            }
            0x0C => {
                no_response_data(command)?;
                return Ok(ResponseApdu::status(StatusWord::NO_ERROR));
            }
            _ => return Err(StatusWord::INCORRECT_P1_P2.into()),
        };
        Ok(exact_le(data, command.le)?)
    }

    /// The FCP template of `file`, with the PIN status template for DFs.
    pub(super) fn fcp(&self, file: FileRef) -> Tlv {
        let pin1_enabled = self
            .store
            .load::<Secret>(Slot::Pin(PIN1))
            .is_some_and(|pin| pin.enabled);
        let pin_status = fcp::pin_status_template(&[(PIN1, pin1_enabled), (ADM1, true)]);
        self.files.fcp(file, pin_status)
    }

    /// The file `fid` names from the current DF (TS 102 221 §8.4.1).
    fn by_file_id(&self, current: Selection, fid: u16) -> Result<FileRef, StatusWord> {
        let df = current.df;
        let parent = self.files.parent(df);
        let found = match fid {
            MF_ID => Some(FileTree::MF),
            CURRENT_ADF_ID => current.application,
            _ => self
                .files
                .child(df, fid)
                .or_else(|| (self.files.file(df).fid == fid).then_some(df))
                .or_else(|| parent.filter(|p| self.files.file(*p).fid == fid))
                .or_else(|| {
                    parent
                        .and_then(|p| self.files.child(p, fid))
                        .filter(|beside| self.files.file(*beside).is_df())
                }),
        };
        found.ok_or(StatusWord::FILE_NOT_FOUND)
    }

    /// The file at `path` from `start` (ISO/IEC 7816-4 §7.1.1, TS 102 221 §8.4.2).
    fn by_path(
        &self,
        current: Selection,
        start: FileRef,
        path: &[u8],
    ) -> Result<FileRef, StatusWord> {
        if path.is_empty() || path.len() % 2 != 0 {
            return Err(StatusWord::WRONG_LENGTH);
        }
        let mut at = start;
        for (i, fid) in path.chunks_exact(2).enumerate() {
            let fid = u16::from_be_bytes([fid[0], fid[1]]);
            if !self.files.file(at).is_df() {
                return Err(StatusWord::FILE_NOT_FOUND);
            }
            at = match (i, fid) {
                (0, CURRENT_ADF_ID) => current.application,
                _ => self.files.child(at, fid),
            }
            .ok_or(StatusWord::FILE_NOT_FOUND)?;
        }
        Ok(at)
    }

    /// The named DF `occurrence` (P2 b2-b1) picks among those whose name starts with `aid`.
    fn by_name(
        &self,
        current: Selection,
        aid: &[u8],
        occurrence: u8,
    ) -> Result<FileRef, StatusWord> {
        if aid.is_empty() || aid.len() > MAX_AID_LEN {
            return Err(StatusWord::WRONG_LENGTH);
        }
        let matches = self.files.named(aid);
        let here = matches.iter().position(|m| *m == current.df);
        let found = match (occurrence, here) {
            (0b10, Some(i)) => matches.get(i + 1),
            (0b11, Some(i)) => i.checked_sub(1).and_then(|i| matches.get(i)),
            (0b01 | 0b11, _) => matches.last(),
            _ => matches.first(),
        };
        found.copied().ok_or(StatusWord::FILE_NOT_FOUND)
    }

    /// The selection after selecting `target` from `current`.
    fn selection_of(&self, current: Selection, target: FileRef, by_name: bool) -> Selection {
        if self.files.file(target).is_df() {
            Selection {
                df: target,
                application: if by_name {
                    Some(target)
                } else {
                    current.application
                },
                ef: None,
                record: None,
            }
        } else {
            Selection {
                df: self.files.parent(target).unwrap_or(FileTree::MF),
                ef: Some(target),
                record: None,
                ..current
            }
        }
    }
}
