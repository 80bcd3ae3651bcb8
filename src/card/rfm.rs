//! Remote file management (ETSI TS 102 226 §5 and §6, 3GPP TS 31.116): the secured data
//! of an accepted packet for an RFM TAR is a command script, run against the card's own
//! file system; the PoR's additional response data says how it went.
//!
//! # The session
//!
//! A script runs like a logical channel of its own: a selection on the reserved
//! [`RFM_CHANNEL`] that starts at the MF for every packet and is forgotten after it,
//! with its own GET RESPONSE data, through the same command handlers as the phone's
//! APDUs. Nothing it selects moves the phone's channels, and the phone cannot name that
//! channel. Access rules (EF.ARR) apply as for any command; the keys counted as
//! verified are those the TAR's access domain grants ([`AccessDomain`], from the
//! profile: `full` is the issuer's ADM rights), never the PINs the phone verified, and
//! "never" stays never.
//!
//! Commands a script may hold: SELECT, READ BINARY, UPDATE BINARY, READ RECORD, UPDATE
//! RECORD and GET RESPONSE. Any other instruction answers `6D 00` (among them the PIN
//! commands TS 102 226 §6 also lists: this card keeps one security status per power
//! cycle, and a remote VERIFY must not unlock the phone's session). The class byte's
//! family is checked as for the phone (`0X` ISO, `8X` UICC), its channel bits are
//! ignored. Each update is journalled on its own, as from the phone.
//!
//! # Compact format (TS 102 226 §5.1)
//!
//! ```text
//! secured data:  C-TPDU C-TPDU …      each CLA INS P1 P2 P3 [data], as T=0 sends them
//! PoR data:      n ‖ SW1 SW2 ‖ [response data of the last command]       (§5.1.2)
//! ```
//!
//! P3 is Le for the commands with outgoing data only (READ BINARY, READ RECORD, GET
//! RESPONSE, STATUS), Lc otherwise. As under T=0, a case 4 command answers `61 XX` and
//! keeps its data for a GET RESPONSE later in the script (the shared vector: SELECT MF
//! → `61 XX`, one command). The script stops after the first command whose status word
//! is not `90 00`, `61 XX` or `91 XX`; n counts the commands run, that one included. A
//! command too short for its P3 ends the script with `67 00`.
//!
//! # Expanded format (TS 102 226 §5.2)
//!
//! ```text
//! secured data:  AA L { 22 L C-APDU … }           (AE 80 { … } 00 00: indefinite)
//! PoR data:      AB L { 80 01 n, 23 L (data SW1 SW2) …, [90 01 e] }   (AF for AE)
//! ```
//!
//! A C-APDU TLV holds a whole APDU (ISO/IEC 7816-4: Lc, data, Le); its R-APDU TLV the
//! response data and status word, with no T=0 procedure (a case 3 command gets no data
//! back). One R-APDU TLV per command run, in order; the same stop rule as above.
//! Anything that is not a C-APDU TLV (immediate action `81`, error action `82`, script
//! chaining `83` are not supported) or does not parse stops the script with the "bad
//! format" TLV `90`: `01` unknown tag, `02` wrong length, `03` length missing.
//!
//! # Size of the PoR
//!
//! The PoR must fit one short message (140 octets of user data with `02 71 00`). When
//! the full response would not, the card sends only the status words: compact `n ‖
//! SW1 SW2`; expanded `AB { 80 01 n, 23 02 SW1 SW2 of the last command }`.

use super::channels::RFM_CHANNEL;
use super::profile::AccessDomain;
use super::storage::PowerLost;
use super::{
    decode_class, handler_for, instruction, Answer, Card, Class, Handler, Interrupt, GET_RESPONSE,
    READ_BINARY, READ_RECORD, SELECT, STATUS, UPDATE_BINARY, UPDATE_RECORD,
};
use crate::wire::apdu::{CommandApdu, ResponseApdu};
use crate::wire::ber_tlv::{Tag, Tlv};
use crate::wire::status::StatusWord;
use crate::wire::DecodeError;

/// First byte of an expanded script, definite length coding.
pub const SCRIPT_DEFINITE: u8 = 0xAA;
/// First byte of an expanded script, indefinite length coding.
pub const SCRIPT_INDEFINITE: u8 = 0xAE;
/// Response scripting template, definite length.
pub const RESPONSE_DEFINITE: u8 = 0xAB;
/// Response scripting template, indefinite length.
pub const RESPONSE_INDEFINITE: u8 = 0xAF;
/// C-APDU TLV tag.
pub const C_APDU: u32 = 0x22;
/// R-APDU TLV tag.
pub const R_APDU: u32 = 0x23;
/// Number of executed commands TLV tag.
pub const EXECUTED: u32 = 0x80;
/// Bad format TLV tag.
pub const BAD_FORMAT: u32 = 0x90;

/// Bad format: unknown tag found.
pub const UNKNOWN_TAG: u8 = 0x01;
/// Bad format: wrong length found.
pub const WRONG_LENGTH: u8 = 0x02;
/// Bad format: length not found.
pub const LENGTH_MISSING: u8 = 0x03;

/// Which application runs the script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Runner {
    /// Remote file management, with the instructions listed in the module documentation.
    Files,
    /// A security domain that knows no command (remote applet management on a card
    /// without an applet runtime): every command answers `6D 00`.
    NoCommands,
}

impl Runner {
    fn table(self) -> fn(u8) -> Option<(Class, Handler)> {
        match self {
            Runner::Files => rfm_instruction,
            Runner::NoCommands => |_| None,
        }
    }
}

/// The instructions a remote file management script may use.
fn rfm_instruction(ins: u8) -> Option<(Class, Handler)> {
    match ins {
        SELECT | READ_BINARY | UPDATE_BINARY | READ_RECORD | UPDATE_RECORD | GET_RESPONSE => {
            instruction(ins)
        }
        _ => None,
    }
}

/// What a script gives the PoR: the whole response, and the short one used when the
/// whole one would not fit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ScriptResponse {
    pub full: Vec<u8>,
    pub summary: Vec<u8>,
}

/// Whether the script goes on after a command that ended with `sw`.
fn goes_on(sw: StatusWord) -> bool {
    sw == StatusWord::NO_ERROR || matches!(sw.sw1(), 0x61 | 0x91)
}

/// Instructions whose P3 is Le in a compact script (no command data).
fn outgoing_only(ins: u8) -> bool {
    matches!(ins, READ_BINARY | READ_RECORD | GET_RESPONSE | STATUS)
}

/// The next command of a compact script and the bytes it took, or the status word
/// that ends the script when it cannot be read.
fn next_compact(script: &[u8]) -> Result<(CommandApdu, usize), StatusWord> {
    let header = script.get(..5).ok_or(StatusWord::WRONG_LENGTH)?;
    let (ins, p3) = (header[1], usize::from(header[4]));
    let (bytes, used) = if outgoing_only(ins) {
        (header.to_vec(), 5)
    } else {
        let data = script.get(5..5 + p3).ok_or(StatusWord::WRONG_LENGTH)?;
        let bytes = if p3 == 0 {
            header[..4].to_vec()
        } else {
            [header, data].concat()
        };
        (bytes, 5 + p3)
    };
    let command = CommandApdu::parse(&bytes).map_err(|_| StatusWord::WRONG_LENGTH)?;
    Ok((command, used))
}

/// The bad format code for a TLV that does not parse from `rest`.
fn bad_format(error: &DecodeError, rest: &[u8]) -> u8 {
    match error {
        DecodeError::BadTag { .. } => UNKNOWN_TAG,
        _ if rest.len() < 2 => LENGTH_MISSING,
        _ => WRONG_LENGTH,
    }
}

impl Card {
    /// Runs a command script (compact or expanded, told by its first byte) in a fresh
    /// session on [`RFM_CHANNEL`] with `domain`'s rights; the session ends with it.
    pub(super) fn run_script(
        &mut self,
        script: &[u8],
        runner: Runner,
        domain: Option<AccessDomain>,
    ) -> Result<ScriptResponse, PowerLost> {
        self.session.pending = None;
        self.session.channels.open_rfm();
        self.session.rfm_access = domain;
        let response = match script.first() {
            Some(&SCRIPT_DEFINITE) | Some(&SCRIPT_INDEFINITE) => self.expanded(script, runner),
            _ => self.compact(script, runner),
        };
        self.session.channels.close_rfm();
        self.session.rfm_access = None;
        self.session.pending = None;
        response
    }

    /// One command of a script, on [`RFM_CHANNEL`]; `t0` applies the T=0 procedure
    /// (`61 XX` for case 4 data) as the compact format does.
    fn remote_command(
        &mut self,
        command: &CommandApdu,
        runner: Runner,
        t0: bool,
    ) -> Result<ResponseApdu, PowerLost> {
        self.discard_pending(command);
        match self.remote_answer(command, runner) {
            Ok(response) if t0 => Ok(self.deliver(RFM_CHANNEL, command, response)),
            Ok(mut response) => {
                if command.le.is_none() {
                    response.data.clear();
                }
                Ok(response)
            }
            Err(Interrupt::Status(sw)) => Ok(ResponseApdu::status(sw)),
            Err(Interrupt::PowerLost) => Err(PowerLost),
        }
    }

    fn remote_answer(&mut self, command: &CommandApdu, runner: Runner) -> Answer {
        let (class, _) = decode_class(command)?;
        let handler = handler_for(class, command.ins, runner.table())?;
        handler(self, RFM_CHANNEL, command)
    }

    /// A compact script (TS 102 226 §5.1).
    fn compact(&mut self, script: &[u8], runner: Runner) -> Result<ScriptResponse, PowerLost> {
        let mut executed: usize = 0;
        let mut last = ResponseApdu::status(StatusWord::NO_ERROR);
        let mut rest = script;
        while !rest.is_empty() {
            executed += 1;
            match next_compact(rest) {
                Ok((command, used)) => {
                    rest = rest.get(used..).unwrap_or_default();
                    last = self.remote_command(&command, runner, true)?;
                }
                Err(sw) => {
                    last = ResponseApdu::status(sw);
                }
            }
            if !goes_on(last.sw) || executed == usize::from(u8::MAX) {
                break;
            }
        }
        let count = u8::try_from(executed).unwrap_or(u8::MAX);
        let mut summary = vec![count];
        summary.extend_from_slice(&last.sw.to_bytes());
        let mut full = summary.clone();
        full.extend_from_slice(&last.data);
        Ok(ScriptResponse { full, summary })
    }

    /// An expanded script (TS 102 226 §5.2).
    fn expanded(&mut self, script: &[u8], runner: Runner) -> Result<ScriptResponse, PowerLost> {
        let indefinite = script.first() == Some(&SCRIPT_INDEFINITE);
        let content = if indefinite {
            match script {
                [_, 0x80, inner @ .., 0x00, 0x00] => Ok(inner),
                _ => Err(LENGTH_MISSING),
            }
        } else {
            match Tlv::parse(script) {
                Ok((_, used)) if used != script.len() => Err(WRONG_LENGTH),
                Ok((tlv, used)) => Ok(&script[used - tlv.value.len()..]),
                Err(error) => Err(bad_format(&error, script)),
            }
        };
        let mut executed: usize = 0;
        let mut responses: Vec<Tlv> = Vec::new();
        let mut bad = None;
        match content {
            Err(code) => bad = Some(code),
            Ok(mut rest) => {
                while !rest.is_empty() && executed < usize::from(u8::MAX) {
                    let (tlv, used) = match Tlv::parse(rest) {
                        Ok(parsed) => parsed,
                        Err(error) => {
                            bad = Some(bad_format(&error, rest));
                            break;
                        }
                    };
                    rest = rest.get(used..).unwrap_or_default();
                    if tlv.tag != Tag(C_APDU) {
                        bad = Some(UNKNOWN_TAG);
                        break;
                    }
                    executed += 1;
                    let response = match CommandApdu::parse(&tlv.value) {
                        Ok(command) => self.remote_command(&command, runner, false)?,
                        Err(_) => ResponseApdu::status(StatusWord::WRONG_LENGTH),
                    };
                    let sw = response.sw;
                    responses.push(Tlv::new(R_APDU, response.emit()));
                    if !goes_on(sw) {
                        break;
                    }
                }
            }
        }
        let count = Tlv::new(EXECUTED, [u8::try_from(executed).unwrap_or(u8::MAX)]);
        let bad = bad.map(|code| Tlv::new(BAD_FORMAT, [code]));
        let template = |objects: Vec<&Tlv>| -> Vec<u8> {
            let mut inner = Vec::new();
            for object in objects {
                object.emit_into(&mut inner);
            }
            if indefinite {
                let mut out = vec![RESPONSE_INDEFINITE, 0x80];
                out.extend(inner);
                out.extend([0x00, 0x00]);
                out
            } else {
                Tlv::new(u32::from(RESPONSE_DEFINITE), inner).emit()
            }
        };
        let full = template(
            std::iter::once(&count)
                .chain(responses.iter())
                .chain(bad.iter())
                .collect(),
        );
        let last_sw = responses.last().map(|r| {
            let sw = r
                .value
                .get(r.value.len().saturating_sub(2)..)
                .unwrap_or_default();
            Tlv::new(R_APDU, sw.to_vec())
        });
        let summary = template(
            std::iter::once(&count)
                .chain(last_sw.iter())
                .chain(bad.iter())
                .collect(),
        );
        Ok(ScriptResponse { full, summary })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::hex;

    fn compact(text: &str) -> Result<(CommandApdu, usize), StatusWord> {
        next_compact(&hex::parse(text).unwrap())
    }

    #[test]
    fn compact_commands_take_p3_as_lc_or_le_by_instruction() {
        let (select, used) = compact("00A40004023F00 00B000000A").unwrap();
        assert_eq!(
            (select.data.clone(), select.le, used),
            (vec![0x3F, 0x00], None, 7)
        );
        let (read, used) = compact("00B000000A").unwrap();
        assert_eq!((read.data.len(), read.le, used), (0, Some(10), 5));
        let (all, _) = compact("00B0000000").unwrap();
        assert_eq!(all.le, Some(256));
        let (update, used) = compact("00D6000002AABB").unwrap();
        assert_eq!((update.data, update.le, used), (vec![0xAA, 0xBB], None, 7));
        let (case1, used) = compact("00A4000C00").unwrap();
        assert_eq!((case1.data.len(), case1.le, used), (0, None, 5));
    }

    #[test]
    fn truncated_compact_commands_end_the_script_with_6700() {
        for text in ["00A400", "00A40004023F", "00D6000003AABB"] {
            assert_eq!(
                compact(text).unwrap_err(),
                StatusWord::WRONG_LENGTH,
                "{text}"
            );
        }
    }

    #[test]
    fn only_the_file_commands_are_allowed() {
        for ins in [
            SELECT,
            READ_BINARY,
            UPDATE_BINARY,
            READ_RECORD,
            UPDATE_RECORD,
            GET_RESPONSE,
        ] {
            assert!(rfm_instruction(ins).is_some(), "{ins:02X}");
        }
        for ins in [0x20, 0x24, 0x2C, 0x70, 0x10, 0x12, 0x14, 0xC2, 0x88, 0xF2] {
            assert!(rfm_instruction(ins).is_none(), "{ins:02X}");
        }
        assert!((Runner::NoCommands.table())(SELECT).is_none());
    }

    #[test]
    fn the_script_goes_on_after_normal_endings_only() {
        assert!(goes_on(StatusWord::NO_ERROR));
        assert!(goes_on(StatusWord::bytes_available(0x26)));
        assert!(!goes_on(StatusWord::SECURITY_STATUS_NOT_SATISFIED));
        assert!(!goes_on(StatusWord::RESPONSE_DATA_AVAILABLE));
        assert!(!goes_on(StatusWord::wrong_le(4)));
    }
}
