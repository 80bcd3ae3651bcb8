//! The CAT commands (ETSI TS 102 221 §11.2, content TS 102 223): FETCH, TERMINAL
//! RESPONSE and ENVELOPE, with the routing of envelopes and completed proactive commands
//! to the card's applications. The state they act on is [`super::toolkit::Toolkit`];
//! TERMINAL PROFILE is in `mod.rs`, where it always was.
//!
//! ```text
//! FETCH               80 12 00 00 XX        → D0 … 90 00      (XX from 91 XX)
//! TERMINAL RESPONSE   80 14 00 00 Lc 81 03 …  → 90 00 / 91 XX
//! ENVELOPE            80 C2 00 00 Lc D1 … / D6 …  → 90 00 / 93 00 / …
//! ```
//!
//! Status words chosen where the standard leaves a choice, and why:
//!
//! - FETCH or TERMINAL RESPONSE out of turn (nothing announced, nothing outstanding):
//!   `69 85` conditions of use not satisfied (TS 102 221 §10.2.1.5). The command is
//!   well formed but the card is not in the state it needs, as GET RESPONSE with
//!   nothing to get, which this card already answers `69 85`. `6F 00` would claim a
//!   technical fault the card does not have.
//! - FETCH with the wrong Le: `6C XX`, XX the length of the command (T=0, TS 102 221
//!   §7.3.1.1.3), as for any case 2 command here.
//! - TERMINAL RESPONSE whose command details or device identities do not match the
//!   command outstanding, or whose data are not a terminal response (TS 102 223 §6.8:
//!   malformed objects, mandatory ones missing): `6A 80` incorrect parameters in the
//!   data field. No data at all: `67 00`.
//! - ENVELOPE with an SMS-PP download while a fetched command awaits its TERMINAL
//!   RESPONSE: `93 00` (TS 102 221 §10.2.1.2); the phone retries or reports "SIM
//!   Application Toolkit busy" to the network (3GPP TS 31.111 §7.1.1.1). The card may
//!   still take SMS-PP while a command only waits for FETCH (it can queue more), and
//!   event downloads are never refused as busy: they report what already happened.
//! - SMS-PP download whose TPDU is no SMS-DELIVER for the card (TP-PID `7F`, class 2,
//!   8-bit data) or carries no OTA command packet (no `70` header): `6F 00`, for which
//!   3GPP TS 31.111 §7.1.1.1 has the phone send RP-ERROR "(U)SIM data download error"
//!   (TS 23.040 TP-FCS `D5`), so the sender learns the download failed; `90 00` would
//!   make the phone acknowledge (RP-ACK) a message nobody read. What the card does with
//!   an OTA packet, and how its PoR comes back (`61 XX`, `62 F3`, `91 XX`), is in
//!   `remote`.
//! - Event download of an event not in the current event list: `90 00`, ignored. TS
//!   102 223 §7.5 has the terminal send only the events the list asks for; an event
//!   download has no response data and no error the terminal acts on, so the card
//!   acknowledges and drops it, as a card with nothing registered for the event does.
//!   Likewise a data available or channel status event for a channel the card's BIP
//!   engine does not know (`bip`): `90 00`, nothing changes.
//! - A CAT template `D2`–`DF` the card has no application for (menu selection, timer
//!   expiration, …): `6A 81` function not supported. A data field that is not a CAT
//!   envelope template (`D1`–`DF`, TS 101 220 §7.2) or does not decode: `6A 80`.
//! - P1 P2 other than `00 00`: `6A 86`. A class other than `80` (a logical channel):
//!   `6E 00`, as TS 102 221 §10.1.2 table 10.5 codes these commands `80` only; the
//!   toolkit talks on the basic channel.

use super::toolkit::Mismatch;
use super::{exact_le, no_response_data, Answer, Card};
use crate::wire::apdu::{CommandApdu, ResponseApdu};
use crate::wire::cat::{Envelope, EventDownload, SmsPpDownload, TerminalResponse};
use crate::wire::status::StatusWord;

/// The checks every CAT command here shares: basic channel, P1 = P2 = `00`.
fn basic_channel_only(channel: u8, command: &CommandApdu) -> Result<(), StatusWord> {
    if channel != 0 {
        return Err(StatusWord::CLA_NOT_SUPPORTED);
    }
    if (command.p1, command.p2) != (0, 0) {
        return Err(StatusWord::INCORRECT_P1_P2);
    }
    Ok(())
}

impl Card {
    /// FETCH (TS 102 221 §11.2.3): the proactive command `91 XX` announced, `D0` … `90
    /// 00`; the card then waits for its TERMINAL RESPONSE.
    pub(super) fn fetch(&mut self, channel: u8, command: &CommandApdu) -> Answer {
        basic_channel_only(channel, command)?;
        if !command.data.is_empty() {
            return Err(StatusWord::WRONG_LENGTH.into());
        }
        let Some(announced) = self.session.toolkit.announced() else {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED.into());
        };
        let response = exact_le(announced.emit(), command.le)?;
        self.session.toolkit.fetch();
        Ok(response)
    }

    /// TERMINAL RESPONSE (TS 102 221 §11.2.4, content TS 102 223 §6.8): completes the
    /// command outstanding; the toolkit keeps the result
    /// ([`super::toolkit::Toolkit::last_completed`]) and the BIP engine applies it
    /// (which may raise the channel's next command: `91 XX`).
    pub(super) fn terminal_response(&mut self, channel: u8, command: &CommandApdu) -> Answer {
        basic_channel_only(channel, command)?;
        no_response_data(command)?;
        if command.data.is_empty() {
            return Err(StatusWord::WRONG_LENGTH.into());
        }
        if self.session.toolkit.outstanding().is_none() {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED.into());
        }
        let response =
            TerminalResponse::parse(&command.data).map_err(|_| StatusWord::INCORRECT_DATA)?;
        let completed =
            self.session.toolkit.terminal_response(response).map_err(
                |mismatch| match mismatch {
                    Mismatch::NothingOutstanding => StatusWord::CONDITIONS_NOT_SATISFIED,
                    Mismatch::Details { .. } | Mismatch::Devices(_) => StatusWord::INCORRECT_DATA,
                },
            )?;
        self.bip_completed(&completed);
        Ok(ResponseApdu::status(StatusWord::NO_ERROR))
    }

    /// ENVELOPE (TS 102 221 §11.2.2, content TS 102 223 §7): dispatch by template.
    pub(super) fn envelope(&mut self, channel: u8, command: &CommandApdu) -> Answer {
        basic_channel_only(channel, command)?;
        let data = command.data.as_slice();
        match data.first() {
            None => Err(StatusWord::WRONG_LENGTH.into()),
            Some(&SmsPpDownload::TAG) => {
                let download =
                    SmsPpDownload::parse(data).map_err(|_| StatusWord::INCORRECT_DATA)?;
                if self.session.toolkit.is_busy() {
                    return Err(StatusWord::TOOLKIT_BUSY.into());
                }
                self.sms_pp_download(&download)
            }
            Some(&EventDownload::TAG) => {
                // Event download (TS 102 223 §7.5): acknowledged. Data available (§7.5.10)
                // and channel status (§7.5.11) go to the BIP engine, which drops an event
                // the card did not ask for in SET UP EVENT LIST or for a channel it does
                // not know.
                let download =
                    EventDownload::parse(data).map_err(|_| StatusWord::INCORRECT_DATA)?;
                self.bip_event(&download);
                Ok(ResponseApdu::status(StatusWord::NO_ERROR))
            }
            Some(0xD2..=0xDF) => {
                Envelope::parse(data).map_err(|_| StatusWord::INCORRECT_DATA)?;
                Err(StatusWord::FUNCTION_NOT_SUPPORTED.into())
            }
            Some(_) => Err(StatusWord::INCORRECT_DATA.into()),
        }
    }
}
