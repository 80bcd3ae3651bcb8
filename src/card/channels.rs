//! Logical channels (ETSI TS 102 221 §10.1.1 and §11.1.17, ISO/IEC 7816-4 §5.1.1): each open
//! channel has its own current DF, current application, current EF and record pointer.
//!
//! The card supports channels 0 to 3, the four its ATR announces (card capabilities, third
//! software function table byte `1B`: channel numbers assigned by the card and by the
//! terminal, at most 4 channels). The class byte names the channel
//! ([`CommandApdu::logical_channel`]); a command on a channel that is not open, or on 4–19,
//! gets `68 81`.
//!
//! ```text
//! MANAGE CHANNEL   00 70 00 00 01   open, the card picks the number → XX 90 00
//!                  00 70 00 0N      open channel N (1–3)             → 90 00
//!                  00 70 80 0N      close channel N (1–3)            → 90 00
//! opened from the basic channel: the MF is current on the new channel;
//! opened from channel M: channel M's current DF and application are (TS 102 221 §11.1.17).
//! ```

use super::{no_response_data, Answer, Card};
use crate::card::fs::{FileRef, FileTree};
use crate::wire::apdu::{CommandApdu, ResponseApdu};
use crate::wire::status::StatusWord;

/// Number of logical channels, 0 to 3.
pub const CHANNELS: u8 = 4;

/// The channel number the card's own remote file management sessions use (see
/// [`crate::card::rfm`]): a selection of their own, like a logical channel, that no
/// class byte can name (those name 0 to 19), so no APDU from the phone reaches it and
/// nothing the script selects moves the phone's channels.
pub const RFM_CHANNEL: u8 = 0xFF;

/// What is selected on one channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selection {
    /// The current DF (the MF, a DF or an ADF).
    pub df: FileRef,
    /// The application last selected by AID, which `7FFF` names (TS 102 221 §8.3).
    pub application: Option<FileRef>,
    /// The current EF, if an EF is selected.
    pub ef: Option<FileRef>,
    /// The record pointer in the current EF (TS 102 221 §8.2.2); `None` until a record
    /// command sets it.
    pub record: Option<u8>,
}

impl Selection {
    /// The MF current, nothing else (after reset, TS 102 221 §8.5).
    pub fn at_mf() -> Selection {
        Selection {
            df: FileTree::MF,
            application: None,
            ef: None,
            record: None,
        }
    }
}

/// The open channels and what each has selected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channels {
    open: [Option<Selection>; CHANNELS as usize],
    /// The selection of the remote file management session running, if one is
    /// ([`RFM_CHANNEL`]).
    rfm: Option<Selection>,
}

impl Channels {
    /// Only the basic channel, with the MF selected.
    pub fn new() -> Channels {
        Channels {
            open: [Some(Selection::at_mf()), None, None, None],
            rfm: None,
        }
    }

    /// The selection on `channel`, if it is open.
    pub fn get(&self, channel: u8) -> Option<Selection> {
        if channel == RFM_CHANNEL {
            return self.rfm;
        }
        self.open.get(usize::from(channel)).copied().flatten()
    }

    /// Replaces the selection on an open `channel`.
    pub fn set(&mut self, channel: u8, selection: Selection) {
        let slot = if channel == RFM_CHANNEL {
            Some(&mut self.rfm)
        } else {
            self.open.get_mut(usize::from(channel))
        };
        if let Some(slot @ Some(_)) = slot {
            *slot = Some(selection);
        }
    }

    /// Starts a remote file management session: the MF current on [`RFM_CHANNEL`]
    /// (TS 102 226: a command script starts at the MF).
    pub fn open_rfm(&mut self) {
        self.rfm = Some(Selection::at_mf());
    }

    /// Ends the remote file management session: its selection is forgotten.
    pub fn close_rfm(&mut self) {
        self.rfm = None;
    }

    /// The numbers of the open channels.
    pub fn open(&self) -> impl Iterator<Item = u8> + '_ {
        (0..CHANNELS).filter(|n| self.get(*n).is_some())
    }

    fn open_channel(&mut self, channel: u8, selection: Selection) {
        if let Some(slot) = self.open.get_mut(usize::from(channel)) {
            *slot = Some(selection);
        }
    }

    fn close(&mut self, channel: u8) {
        if let Some(slot) = self.open.get_mut(usize::from(channel)) {
            *slot = None;
        }
    }
}

impl Card {
    /// MANAGE CHANNEL (TS 102 221 §11.1.17), sent on `channel`.
    pub(super) fn manage_channel(&mut self, channel: u8, command: &CommandApdu) -> Answer {
        if !command.data.is_empty() {
            return Err(StatusWord::WRONG_LENGTH.into());
        }
        let channels = &mut self.session.channels;
        match (command.p1, command.p2) {
            (0x00, 0x00) => {
                match command.le {
                    Some(1) => {}
                    Some(_) => return Err(StatusWord::wrong_le(1).into()),
                    None => return Err(StatusWord::WRONG_LENGTH.into()),
                }
                let free = (1..CHANNELS)
                    .find(|n| channels.get(*n).is_none())
                    .ok_or(StatusWord::FUNCTION_NOT_SUPPORTED)?;
                let inherited = inherited(channel, channels);
                channels.open_channel(free, inherited);
                Ok(ResponseApdu::new([free], StatusWord::NO_ERROR))
            }
            (0x00, requested @ 0x01..=0x13) => {
                no_response_data(command)?;
                if requested >= CHANNELS {
                    return Err(StatusWord::LOGICAL_CHANNEL_NOT_SUPPORTED.into());
                }
                if channels.get(requested).is_some() {
                    return Err(StatusWord::CONDITIONS_NOT_SATISFIED.into());
                }
                let inherited = inherited(channel, channels);
                channels.open_channel(requested, inherited);
                Ok(ResponseApdu::status(StatusWord::NO_ERROR))
            }
            (0x80, closed @ 0x01..=0x13) => {
                no_response_data(command)?;
                if channels.get(closed).is_none() {
                    return Err(StatusWord::LOGICAL_CHANNEL_NOT_SUPPORTED.into());
                }
                channels.close(closed);
                Ok(ResponseApdu::status(StatusWord::NO_ERROR))
            }
            // P2 00 with P1 80 would close the basic channel, which cannot be closed.
            _ => Err(StatusWord::INCORRECT_P1_P2.into()),
        }
    }
}

/// What a new channel opened from `origin` starts with.
fn inherited(origin: u8, channels: &Channels) -> Selection {
    match channels.get(origin) {
        Some(selection) if origin != 0 => Selection {
            ef: None,
            record: None,
            ..selection
        },
        _ => Selection::at_mf(),
    }
}
