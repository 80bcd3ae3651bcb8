//! The card (UICC): answers the phone's resets and APDUs.
//!
//! - [`profile`]: what makes this card this card (ICCID, IMSI, keys, PINs, OTA key sets,
//!   SCWS content), read from TOML;
//! - [`fs`]: the file tree and FCP templates; `layout` personalises it from the profile;
//!   [`scws`] is where the web server's content lives;
//! - [`storage`]: the journalled, tear-proof persistent store every change goes through;
//! - [`security`]: PINs and the access rules of EF.ARR;
//! - `select`, `file_access`, `pin`, `channels`, `authenticate`, `cat`: the commands, one
//!   family per file; [`usim`] computes AUTHENTICATE;
//! - [`toolkit`]: the toolkit (CAT) engine, the terminal profile and the proactive
//!   command queue that FETCH, TERMINAL RESPONSE and ENVELOPE (`cat`) act on;
//! - [`bip`]: the channels the card opened, driven by TERMINAL RESPONSEs and channel
//!   events, with [`http`] running on them (the SCWS's responder, the admin client);
//! - [`usb`]: the USB UICC option (ETSI TS 102 600): the card's own IP stack, its SCWS
//!   reached by TCP through the phone without BIP;
//! - remote administration over the air: `remote` takes the SMS-PP download apart
//!   (SMS-DELIVER, concatenation), [`ota`] checks the secured packet, then the TAR's
//!   service runs: [`rfm`] (remote file management scripts) or [`scws_admin`] (the web
//!   server's administration agent); the proof of receipt goes back in the ENVELOPE's
//!   response data or in a SEND SHORT MESSAGE.
//!
//! Commands (ETSI TS 102 221 §10–11; the class byte `0X` or `8X` names logical channel
//! 0–3):
//!
//! | command | CLA INS | normal answer | refusals |
//! |---|---|---|---|
//! | SELECT | `0X A4` | `61XX` (FCP), `90 00` | `6A82` `6A86` `6700` |
//! | STATUS | `8X F2` | FCP / DF name `90 00`, `90 00` | `6CXX` `6A86` `6A88` `6700` |
//! | READ / UPDATE BINARY | `0X B0` / `0X D6` | data `90 00` / `90 00` | `6986` `6981` `6982` `6A82` `6B00` `6CXX` `6700` `6A86` |
//! | READ / UPDATE RECORD | `0X B2` / `0X DC` | data `90 00` / `90 00` | `6986` `6981` `6982` `6A83` `6A82` `6CXX` `6700` `6A86` |
//! | VERIFY / CHANGE / DISABLE / ENABLE / UNBLOCK PIN | `0X 20 24 26 28 2C` | `90 00` | `63CX` `6983` `6984` `6985` `6A88` `6A80` `6700` `6B00` |
//! | MANAGE CHANNEL | `0X 70` | `XX 90 00`, `90 00` | `6881` `6985` `6A81` `6A86` `6C01` `6700` |
//! | GET RESPONSE | `0X C0` | data `90 00` / `61XX` | `6CXX` `6985` `6A86` |
//! | AUTHENTICATE (USIM) | `0X 88` | `61XX` (RES CK IK, or AUTS) | `6985` `6982` `9862` `9864` `6A86` `6700` `6A80` |
//! | TERMINAL PROFILE | `80 10` | `90 00` | `6700` |
//! | FETCH | `80 12` | `D0…` `90 00` | `6985` `6CXX` `6A86` `6700` `6E00` |
//! | TERMINAL RESPONSE | `80 14` | `90 00` / `91XX` | `6985` `6A80` `6700` `6A86` `6E00` |
//! | ENVELOPE | `80 C2` | `90 00`, `61XX` (PoR), `62F3` (PoR of an error) | `9300` `6F00` `6A81` `6A80` `6700` `6A86` `6E00` |
//!
//! Any class but `0X`/`8X` gets `6E00` (`6882` with secure messaging, `6881` for channels
//! 4–19), an instruction the card does not know `6D00`, a known one in the wrong class
//! `6E00`, a malformed APDU `6700`. A refused command changes nothing (but, like any
//! command other than GET RESPONSE, discards response data still waiting).
//!
//! The card speaks T=0: the data of a case 4 command (command data in, response data
//! out) wait for GET RESPONSE behind `61XX` (TS 102 221 §7.3.1.1.4); a case 2 command
//! whose Le is wrong gets `6CXX`, XX the right length.
//!
//! While a proactive command waits for FETCH, any command that would end `90 00` ends
//! `91 XX` instead, XX the length of the `D0` template (TS 102 221 §7.4.2.1), on any
//! channel; refusals keep their status word. `61XX` takes precedence: a case 4 command
//! still answers `61XX`, and the GET RESPONSE that hands over the last bytes ends `91
//! XX` (the T=0 procedure of §7.3.1.1.4 must finish before the terminal can FETCH). The
//! status words chosen for the CAT commands are argued in `cat`.

mod authenticate;
pub mod bip;
mod cat;
mod channels;
mod file_access;
pub mod fs;
pub mod http;
pub mod inspect;
mod layout;
pub mod ota;
mod pin;
pub mod profile;
mod remote;
pub mod rfm;
pub mod scws;
pub mod scws_admin;
pub mod security;
mod select;
pub mod storage;
pub mod toolkit;
pub mod usb;
pub mod usim;

pub use profile::{Profile, ProfileError};
pub use remote::OtaReport;

use crate::sim::{Instant, Message, Node, NodeId, Payload};
use crate::wire::apdu::{CommandApdu, ResponseApdu};
use crate::wire::atr;
use crate::wire::sms::Reassembler;
use crate::wire::status::StatusWord;
use channels::Channels;
use fs::FileTree;
use security::Secret;
use std::collections::BTreeSet;
use storage::{PowerLost, Slot, Store};
use toolkit::{Refused, Toolkit};

/// File identifier of the master file (TS 102 221 §8.2).
pub const MF: u16 = fs::MF_ID;

/// The card's answer-to-reset without its check byte (ISO/IEC 7816-3 §8.2): TS 3B (direct
/// convention); T0 9F (TA1 and TD1 follow, 15 historical bytes); TA1 96 (Fi 512, Di 32);
/// TD1 80 (TD2 follows, T=0); TD2 1F (TA3 follows, T=15 global bytes); TA3 C7 (clock stop
/// allowed in either state, classes A, B and C); then the historical bytes, whose card
/// capabilities (`73 FE 21 1B`) announce logical channels 0–3, numbered by card or terminal.
const ATR_WITHOUT_TCK: [u8; 21] = [
    0x3B, 0x9F, 0x96, 0x80, 0x1F, 0xC7, 0x80, 0x31, 0xE0, 0x73, 0xFE, 0x21, 0x1B, 0x63, 0x3A, 0x20,
    0x4E, 0x83, 0x00, 0x90, 0x00,
];

/// The card: its profile, its file tree, its persistent store and the volatile state of
/// the current session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Card {
    profile: Profile,
    /// The OTA TARs and key sets, built from the profile once ([`Profile::tar_table`]).
    tars: ota::TarTable,
    files: FileTree,
    store: Store,
    powered: bool,
    session: Session,
}

/// Everything a power cycle forgets.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Session {
    channels: Channels,
    /// Key references verified since power-on (TS 102 221 §9.5: the security status of a
    /// PIN is not per channel on this card).
    verified: BTreeSet<u8>,
    /// Response data waiting for GET RESPONSE (TS 102 221 §7.3.1.1.4) on a channel.
    pending: Option<(u8, Vec<u8>)>,
    /// The toolkit engine: terminal profile and proactive commands (a proactive session
    /// ends with the power, TS 102 223 §6.2).
    toolkit: Toolkit,
    /// The BIP engine: the channels the card opened and what runs on them.
    bip: bip::Bip,
    /// Segments of concatenated OTA short messages waiting for their siblings (TS
    /// 31.115 §4.3); bounded by [`crate::wire::sms::MAX_PENDING`] messages.
    sms: Reassembler,
    /// While a remote file management script runs: the key references its TAR's
    /// access domain counts as verified (see [`rfm`]).
    rfm_access: Option<profile::AccessDomain>,
    /// What became of the last secured packet, for logs and the inspector.
    last_ota: Option<OtaReport>,
    /// The card's IP stack on the USB interface, when the profile turns it on (see
    /// [`usb`]).
    usb: Option<usb::UsbIp>,
}

impl Session {
    fn new() -> Session {
        Session {
            channels: Channels::new(),
            verified: BTreeSet::new(),
            pending: None,
            toolkit: Toolkit::new(),
            bip: bip::Bip::default(),
            sms: Reassembler::new(),
            rfm_access: None,
            last_ota: None,
            usb: None,
        }
    }
}

/// How a command ends early: with a status word and no data, or with the power gone.
enum Interrupt {
    Status(StatusWord),
    PowerLost,
}

impl From<StatusWord> for Interrupt {
    fn from(sw: StatusWord) -> Self {
        Interrupt::Status(sw)
    }
}

impl From<PowerLost> for Interrupt {
    fn from(_: PowerLost) -> Self {
        Interrupt::PowerLost
    }
}

/// What a command handler returns.
type Answer = Result<ResponseApdu, Interrupt>;

/// A command handler: the card, the logical channel the class byte names, the command.
type Handler = fn(&mut Card, u8, &CommandApdu) -> Answer;

/// The two class families of TS 102 221 §10.1.1 table 10.3 this card accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// `0X`: ISO/IEC 7816-4 commands.
    Iso,
    /// `8X`: UICC-specific and CAT commands.
    Uicc,
}

impl Default for Card {
    fn default() -> Card {
        Card::new()
    }
}

impl Card {
    /// An unpowered card personalised with the built-in profile.
    pub fn new() -> Card {
        Card::from_profile(Profile::default_profile()).expect("the built-in profile is valid")
    }

    /// An unpowered card personalised with `profile`.
    pub fn from_profile(profile: Profile) -> Result<Card, ProfileError> {
        profile.validate()?;
        let tars = profile.tar_table()?;
        let (files, data) = layout::personalise(&profile);
        Ok(Card {
            profile,
            tars,
            files,
            store: Store::personalised(data),
            powered: false,
            session: Session::new(),
        })
    }

    /// The ATR this card sends, with its check byte.
    pub fn atr() -> Vec<u8> {
        atr::with_tck(&ATR_WITHOUT_TCK)
    }

    /// The profile the card was personalised with.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The terminal profile received since the last reset, if any.
    pub fn terminal_profile(&self) -> Option<&[u8]> {
        self.session.toolkit.profile().map(|p| p.bytes())
    }

    /// The toolkit engine: its state, the commands queued, the last one completed.
    pub fn toolkit(&self) -> &Toolkit {
        &self.session.toolkit
    }

    /// Raises a proactive command ([`Toolkit::raise`]): from the next command on, the
    /// card announces it with `91 XX`. Refused, and nothing changed, when the terminal
    /// profile does not declare what it needs.
    pub fn raise_proactive(
        &mut self,
        command: crate::wire::cat::ProactiveCommand,
    ) -> Result<(), Refused> {
        self.session.toolkit.raise(command)
    }

    pub fn is_powered(&self) -> bool {
        self.powered
    }

    /// Cold reset (ISO/IEC 7816-3 §6.2.2): volatile state is lost, the persistent store recovers
    /// from an interrupted write, the MF is selected on the basic channel (§8.5), and the
    /// card answers with its ATR ([`Card::answer_to_reset`]); with USB on, its IP stack
    /// starts afresh ([`usb`]). `None` if the power fails again during recovery.
    pub fn power_on(&mut self) -> Option<Vec<u8>> {
        self.powered = false;
        self.session = Session::new();
        self.store.recover().ok()?;
        self.powered = true;
        let usb = &self.profile.usb;
        self.session.usb = usb.enabled.then(|| usb::UsbIp::new(usb.address.octets()));
        Some(self.answer_to_reset())
    }

    /// Processes one command APDU. `None` when the card says nothing: it is unpowered, or
    /// the power was cut during this command (the response is lost).
    pub fn process(&mut self, bytes: &[u8]) -> Option<ResponseApdu> {
        if !self.powered {
            return None;
        }
        let answer = self.execute(bytes);
        match answer {
            Ok(response) => Some(response),
            Err(Interrupt::Status(sw)) => Some(ResponseApdu::status(sw)),
            Err(Interrupt::PowerLost) => {
                self.powered = false;
                self.session = Session::new();
                None
            }
        }
    }

    /// Plans a power cut during a later command: `n` more storage writes happen, the next
    /// does not, and the card goes silent until the next reset (see [`storage`]).
    pub fn cut_power_after_writes(&mut self, n: u64) {
        self.store.cut_power_after_writes(n);
    }

    /// Storage writes performed so far.
    pub fn storage_writes(&self) -> u64 {
        self.store.writes()
    }

    /// The stored data of the EF at `path` (file identifiers below the MF, ADFs by the
    /// identifier in their FCP: `[0x7FF0, 0x6F07]` is EF.IMSI).
    pub fn file_data(&self, path: &[u16]) -> Option<&[u8]> {
        let file = self.files.at_path(path)?;
        self.files.file(file).structure()?;
        Some(self.store.bytes(Slot::File(file)))
    }

    /// Tries left for the PIN (or ADM key) with key reference `key`.
    pub fn pin_tries_left(&self, key: u8) -> Option<u8> {
        self.store
            .load::<Secret>(Slot::Pin(key))
            .map(|s| s.tries_left)
    }

    /// Tries left for the unblock key of the PIN with key reference `key`.
    pub fn puk_tries_left(&self, key: u8) -> Option<u8> {
        self.store
            .load::<Secret>(Slot::Puk(key))
            .map(|s| s.tries_left)
    }

    /// What is selected on `channel` (the MF for a channel that is not open; commands only
    /// run on open channels).
    fn selection(&self, channel: u8) -> channels::Selection {
        self.session
            .channels
            .get(channel)
            .unwrap_or_else(channels::Selection::at_mf)
    }

    fn execute(&mut self, bytes: &[u8]) -> Answer {
        if bytes.first() == Some(&0xFF) {
            // FF is no class: it starts a PPS request (ISO/IEC 7816-3 §9).
            return Err(StatusWord::CLA_NOT_SUPPORTED.into());
        }
        let command = CommandApdu::parse(bytes).map_err(|_| StatusWord::WRONG_LENGTH)?;
        self.discard_pending(&command);
        let (class, channel) = decode_class(&command)?;
        let handler = handler_for(class, command.ins, instruction)?;
        if self.session.channels.get(channel).is_none() {
            return Err(StatusWord::LOGICAL_CHANNEL_NOT_SUPPORTED.into());
        }
        let response = handler(self, channel, &command)?;
        let response = self.deliver(channel, &command, response);
        Ok(self.announce_proactive(response))
    }

    /// Any command but GET RESPONSE discards response data not fetched (TS 102 221
    /// §7.3.1.1.4).
    fn discard_pending(&mut self, command: &CommandApdu) {
        if command.ins != GET_RESPONSE {
            self.session.pending = None;
        }
    }

    /// `90 00` becomes `91 XX` while a proactive command waits for FETCH (TS 102 221
    /// §7.4.2.1); any other status word stays.
    fn announce_proactive(&self, mut response: ResponseApdu) -> ResponseApdu {
        if response.sw == StatusWord::NO_ERROR {
            if let Some(pending) = self.session.toolkit.pending_status() {
                response.sw = pending;
            }
        }
        response
    }

    /// T=0 returns the data of a case 4 command through GET RESPONSE: keep them and say
    /// `61XX` (TS 102 221 §7.3.1.1.4).
    fn deliver(
        &mut self,
        channel: u8,
        command: &CommandApdu,
        response: ResponseApdu,
    ) -> ResponseApdu {
        if command.data.is_empty()
            || response.data.is_empty()
            || response.sw != StatusWord::NO_ERROR
        {
            return response;
        }
        let available = u8::try_from(response.data.len() % 256).unwrap_or(0);
        self.session.pending = Some((channel, response.data));
        ResponseApdu::status(StatusWord::bytes_available(available))
    }

    /// GET RESPONSE (TS 102 221 §11.1.19): hands over the data a previous command on the
    /// same channel left, `Le` bytes at a time.
    fn get_response(&mut self, channel: u8, command: &CommandApdu) -> Answer {
        if (command.p1, command.p2) != (0, 0) {
            return Err(StatusWord::INCORRECT_P1_P2.into());
        }
        let Some((_, pending)) = self
            .session
            .pending
            .as_mut()
            .filter(|(on, data)| *on == channel && !data.is_empty())
        else {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED.into());
        };
        let available = pending.len();
        let wanted = usize::from(command.le.unwrap_or(0));
        if wanted == 0 || wanted > available {
            let le = u8::try_from(available % 256).unwrap_or(0);
            return Err(StatusWord::wrong_le(le).into());
        }
        let data: Vec<u8> = pending.drain(..wanted).collect();
        let sw = match pending.len() {
            0 => StatusWord::NO_ERROR,
            left => StatusWord::bytes_available(u8::try_from(left % 256).unwrap_or(0)),
        };
        Ok(ResponseApdu::new(data, sw))
    }

    /// TERMINAL PROFILE (TS 102 221 §11.2.1, content TS 102 223 §5.2): stored and consulted
    /// before the card raises any proactive command. A second one replaces the first
    /// and changes nothing else. A profile declaring SET UP EVENT LIST and the BIP
    /// events gets SET UP EVENT LIST raised (`91 XX`, see [`bip`]).
    fn store_terminal_profile(&mut self, _channel: u8, command: &CommandApdu) -> Answer {
        if command.data.is_empty() {
            return Err(StatusWord::WRONG_LENGTH.into());
        }
        self.session.toolkit.set_profile(&command.data);
        self.set_up_bip_events();
        Ok(ResponseApdu::status(StatusWord::NO_ERROR))
    }
}

const SELECT: u8 = 0xA4;
const STATUS: u8 = 0xF2;
const READ_BINARY: u8 = 0xB0;
const UPDATE_BINARY: u8 = 0xD6;
const READ_RECORD: u8 = 0xB2;
const UPDATE_RECORD: u8 = 0xDC;
const VERIFY_PIN: u8 = 0x20;
const CHANGE_PIN: u8 = 0x24;
const DISABLE_PIN: u8 = 0x26;
const ENABLE_PIN: u8 = 0x28;
const UNBLOCK_PIN: u8 = 0x2C;
const MANAGE_CHANNEL: u8 = 0x70;
const GET_RESPONSE: u8 = 0xC0;
const TERMINAL_PROFILE: u8 = 0x10;
const FETCH: u8 = 0x12;
const TERMINAL_RESPONSE: u8 = 0x14;
const ENVELOPE: u8 = 0xC2;
const AUTHENTICATE: u8 = 0x88;

/// The instructions this card knows, their class and their handler (TS 102 221 §10.1.2
/// table 10.5).
fn instruction(ins: u8) -> Option<(Class, Handler)> {
    Some(match ins {
        SELECT => (Class::Iso, Card::select),
        STATUS => (Class::Uicc, Card::status),
        READ_BINARY => (Class::Iso, Card::read_binary),
        UPDATE_BINARY => (Class::Iso, Card::update_binary),
        READ_RECORD => (Class::Iso, Card::read_record),
        UPDATE_RECORD => (Class::Iso, Card::update_record),
        VERIFY_PIN => (Class::Iso, Card::verify_pin),
        CHANGE_PIN => (Class::Iso, Card::change_pin),
        DISABLE_PIN => (Class::Iso, Card::disable_pin),
        ENABLE_PIN => (Class::Iso, Card::enable_pin),
        UNBLOCK_PIN => (Class::Iso, Card::unblock_pin),
        MANAGE_CHANNEL => (Class::Iso, Card::manage_channel),
        GET_RESPONSE => (Class::Iso, Card::get_response),
        TERMINAL_PROFILE => (Class::Uicc, Card::store_terminal_profile),
        FETCH => (Class::Uicc, Card::fetch),
        TERMINAL_RESPONSE => (Class::Uicc, Card::terminal_response),
        ENVELOPE => (Class::Uicc, Card::envelope),
        AUTHENTICATE => (Class::Iso, Card::authenticate),
        _ => return None,
    })
}

/// The handler of instruction `ins` in `table`, or the status word refusing it: `6D 00`
/// for an instruction the table lacks, `6E 00` for one of the other class family.
fn handler_for(
    class: Class,
    ins: u8,
    table: fn(u8) -> Option<(Class, Handler)>,
) -> Result<Handler, StatusWord> {
    let (expected, handler) = table(ins).ok_or(StatusWord::INS_NOT_SUPPORTED)?;
    if class != expected {
        return Err(StatusWord::CLA_NOT_SUPPORTED);
    }
    Ok(handler)
}

/// The class family and logical channel of a command (TS 102 221 §10.1.1 table 10.3,
/// channel numbers as [`CommandApdu::logical_channel`] reads them), or the status word
/// refusing its class. Channels 4 to 19 are never open on this card.
fn decode_class(command: &CommandApdu) -> Result<(Class, u8), StatusWord> {
    let cla = command.cla;
    let (class, secure_messaging) = match cla {
        0x00..=0x0F => (Class::Iso, cla & 0x0C != 0),
        0x40..=0x7F => (Class::Iso, cla & 0x20 != 0),
        0x80..=0x8F => (Class::Uicc, cla & 0x0C != 0),
        0xC0..=0xCF => (Class::Uicc, false),
        0xE0..=0xEF => (Class::Uicc, true),
        _ => return Err(StatusWord::CLA_NOT_SUPPORTED),
    };
    if secure_messaging {
        return Err(StatusWord::SECURE_MESSAGING_NOT_SUPPORTED);
    }
    Ok((class, command.logical_channel()))
}

/// A case 1 command: no Le, or the `P3 = 00` T=0 sends for it (parsed as Le 256).
fn no_response_data(command: &CommandApdu) -> Result<(), StatusWord> {
    match command.le {
        None | Some(256) => Ok(()),
        Some(_) => Err(StatusWord::WRONG_LENGTH),
    }
}

/// The answer to a case 2 command returning `data`: the data if Le asks for exactly that
/// many bytes, `6CXX` otherwise (T=0, TS 102 221 §7.3.1.1.3).
fn exact_le(data: Vec<u8>, le: Option<u16>) -> Result<ResponseApdu, StatusWord> {
    if le == Some(u16::try_from(data.len()).unwrap_or(0)) {
        Ok(ResponseApdu::new(data, StatusWord::NO_ERROR))
    } else {
        Err(StatusWord::wrong_le(
            u8::try_from(data.len() % 256).unwrap_or(0),
        ))
    }
}

impl Node for Card {
    fn handle(&mut self, now: Instant, message: &Message) -> Vec<Message> {
        let reply = match &message.payload {
            Payload::Reset => self.power_on().map(Payload::Atr),
            Payload::Command(bytes) => self.process(bytes).map(|r| Payload::Response(r.emit())),
            Payload::Ip(_) | Payload::Timer(_) => return self.usb_message(now, &message.payload),
            // The card does not answer its own kinds of message.
            _ => None,
        };
        reply
            .map(|payload| Message::new(NodeId::Card, message.from, payload))
            .into_iter()
            .collect()
    }

    fn status_line(&self) -> String {
        if !self.powered {
            return "unpowered".to_string();
        }
        let selection = self.selection(0);
        let current = selection.ef.unwrap_or(selection.df);
        let path: Vec<String> = std::iter::once(MF)
            .chain(self.files.path(current))
            .map(|fid| format!("{fid:04X}"))
            .collect();
        let pin1 = match self.store.load::<Secret>(Slot::Pin(security::PIN1)) {
            Some(pin) if !pin.enabled => "disabled",
            Some(pin) if pin.is_blocked() => "blocked",
            _ if self.session.verified.contains(&security::PIN1) => "verified",
            _ => "not verified",
        };
        let logical: Vec<String> = self
            .session
            .channels
            .open()
            .filter(|n| *n != 0)
            .map(|n| n.to_string())
            .collect();
        let logical = match logical.as_slice() {
            [] => String::new(),
            open => format!("; logical channels {} open", open.join(", ")),
        };
        let toolkit = &self.session.toolkit;
        let profile = match toolkit.profile() {
            Some(p) => format!("{} bytes", p.bytes().len()),
            None => "not received".to_string(),
        };
        let proactive = match toolkit.state() {
            toolkit::State::Idle => String::new(),
            toolkit::State::ExpectFetch(command) => {
                let behind = match toolkit.queued().count().saturating_sub(1) {
                    0 => String::new(),
                    n => format!(" ({n} more queued)"),
                };
                format!(
                    "; proactive {} pending{behind}",
                    command.details().command_type
                )
            }
            toolkit::State::ExpectTerminalResponse(command) => format!(
                "; awaiting TERMINAL RESPONSE to {}",
                command.details().command_type
            ),
        };
        let usb = match &self.session.usb {
            Some(usb) => format!("; {}", usb.status_line()),
            None => String::new(),
        };
        format!(
            "current file {} ({}); PIN1 {pin1}{logical}; terminal profile {profile}{proactive}{usb}",
            path.join("/"),
            self.files.file(current).label
        )
    }
}

#[cfg(test)]
mod tests;
