//! The toolkit (CAT) engine: the card's side of the proactive protocol of ETSI TS 102 221
//! §7.4.2 and TS 102 223 §6.
//!
//! The card is always the slave: it cannot send the phone anything unasked. When an
//! application on the card wants the phone to act (open a BIP channel, send data, …), it
//! raises a proactive command ([`Toolkit::raise`]); the card then ends the next command
//! that would have ended `90 00` with `91 XX` instead, XX the length of the `D0` template
//! waiting; the phone fetches it with FETCH, performs it and reports with TERMINAL
//! RESPONSE. Only then may the next command be announced: proactive commands run one at
//! a time, in the order raised.
//!
//! Before raising, the engine consults the TERMINAL PROFILE (TS 102 223 §5.2) the phone
//! sent: a command whose facility the phone did not declare is refused
//! ([`Refused`]), so the card never asks for what the phone cannot do.
//!
//! Everything here is volatile: a proactive session ends with the card's power (TS 102
//! 223 §6.2), so a reset forgets the profile, the queue and the command outstanding.
//! The APDUs themselves (FETCH, TERMINAL RESPONSE, ENVELOPE) are decoded and answered
//! in [`super::Card`]; this type only holds the state and its rules.

use crate::wire::cat::{
    BearerType, CommandDetails, CommandType, DeviceIdentities, DeviceIdentity, Event, Facility,
    Object, ProactiveCommand, TerminalProfile, TerminalResponse, TransportProtocol,
};
use crate::wire::status::StatusWord;
use std::collections::VecDeque;
use std::fmt;

/// The largest `D0` template one FETCH can return: a short Le of `00` asks for 256
/// bytes, and `91 00` announces 256.
pub const MAX_COMMAND_LEN: usize = 256;

/// The toolkit engine's state.
///
/// Named after what the card waits for, as rustls names its states. The flow of TS 102
/// 221 §7.4.2 and TS 102 223 §6.2–§6.3:
///
/// ```text
///                raise(command)
///   ┌──────┐ ───────────────────▶ ┌─────────────┐ ◀── any command that would end 90 00
///   │ Idle │                      │ ExpectFetch │     ends 91 XX (XX = length of D0)
///   └──────┘                      └─────────────┘
///      ▲                             │       ▲
///      │                FETCH, Le XX │       │ TERMINAL RESPONSE matches,
///      │               → D0 … 90 00  │       │ another command queued → 91 XX
///      │                             ▼       │
///      │  TERMINAL RESPONSE   ┌────────────────────────┐
///      └──── matches, nothing │ ExpectTerminalResponse │ ◀── ENVELOPE (SMS-PP) → 93 00
///            queued → 90 00   └────────────────────────┘
///
///   raise in ExpectFetch or ExpectTerminalResponse: queued behind, state unchanged.
///   FETCH or TERMINAL RESPONSE out of turn, a TERMINAL RESPONSE that does not match:
///   refused, state unchanged. Reset: back to Idle, queue and profile forgotten.
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Nothing to announce, nothing outstanding.
    Idle,
    /// `command` is announced with `91 XX`; the card waits for FETCH.
    ExpectFetch(ProactiveCommand),
    /// `command` was fetched; the card waits for its TERMINAL RESPONSE.
    ExpectTerminalResponse(ProactiveCommand),
}

impl State {
    /// The state's name, as in the diagram.
    pub fn name(&self) -> &'static str {
        match self {
            State::Idle => "Idle",
            State::ExpectFetch(_) => "ExpectFetch",
            State::ExpectTerminalResponse(_) => "ExpectTerminalResponse",
        }
    }
}

/// A proactive command and the TERMINAL RESPONSE that completed it: what the card's
/// dispatch routes to the application that raised the command (BIP results, for one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completed {
    pub command: ProactiveCommand,
    pub response: TerminalResponse,
}

/// Why [`Toolkit::raise`] refused a command. The queue is left untouched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// No TERMINAL PROFILE since the reset: the card may not be proactive yet (TS 102
    /// 223 §5.1: the profile download comes first).
    NoTerminalProfile,
    /// The source device of a proactive command is the UICC (TS 102 223 §6.6).
    NotFromUicc(DeviceIdentity),
    /// Command numbers run from `01` to `FE` (TS 102 223 §6.5.1).
    ReservedNumber(u8),
    /// The `D0` template is longer than one FETCH can carry ([`MAX_COMMAND_LEN`]).
    TooLong(usize),
    /// No terminal profile bit is mapped for this command type (or qualifier), so the
    /// card cannot tell whether the phone supports it.
    Unmapped(CommandDetails),
    /// SET UP EVENT LIST names an event with no profile bit mapped.
    UnmappedEvent(Event),
    /// OPEN CHANNEL names a bearer with no profile bit mapped.
    UnmappedBearer(BearerType),
    /// OPEN CHANNEL names a transport protocol with no profile bit mapped.
    UnmappedTransport(TransportProtocol),
    /// The terminal profile does not declare this facility.
    NotDeclared(Facility),
    /// OPEN CHANNEL, but the terminal profile declares no channel (byte 13 b8–b6).
    NoChannels,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::NoTerminalProfile => write!(f, "no TERMINAL PROFILE received yet"),
            Refused::NotFromUicc(source) => {
                write!(f, "the source device is {source}, not the UICC")
            }
            Refused::ReservedNumber(n) => {
                write!(f, "command number {n:02X} is reserved (01 to FE)")
            }
            Refused::TooLong(len) => write!(
                f,
                "the proactive command is {len} bytes; one FETCH carries {MAX_COMMAND_LEN} at most"
            ),
            Refused::Unmapped(details) => write!(
                f,
                "no terminal profile bit is known for {} with qualifier {:02X}",
                details.command_type, details.qualifier
            ),
            Refused::UnmappedEvent(event) => {
                write!(f, "no terminal profile bit is known for event {event}")
            }
            Refused::UnmappedBearer(bearer) => {
                write!(f, "no terminal profile bit is known for bearer {bearer}")
            }
            Refused::UnmappedTransport(protocol) => {
                write!(
                    f,
                    "no terminal profile bit is known for transport {protocol}"
                )
            }
            Refused::NotDeclared(facility) => write!(
                f,
                "the terminal profile does not declare {} (byte {} b{})",
                facility.name, facility.byte, facility.bit
            ),
            Refused::NoChannels => write!(
                f,
                "the terminal profile declares no BIP channel (byte 13 b8-b6 = 0)"
            ),
        }
    }
}

impl std::error::Error for Refused {}

/// Why a TERMINAL RESPONSE was refused. The state is left untouched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// No proactive command was fetched and awaits a response.
    NothingOutstanding,
    /// The command details are not those of the command outstanding (TS 102 223 §6.8:
    /// the terminal copies them from the command).
    Details {
        expected: CommandDetails,
        found: CommandDetails,
    },
    /// A terminal response comes from the terminal and goes to the UICC (§6.8).
    Devices(DeviceIdentities),
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::NothingOutstanding => write!(f, "no proactive command awaits a response"),
            Mismatch::Details { expected, found } => write!(
                f,
                "command details {:02X} {:02X} {:02X}, expected {:02X} {:02X} {:02X}",
                found.number,
                found.command_type.0,
                found.qualifier,
                expected.number,
                expected.command_type.0,
                expected.qualifier
            ),
            Mismatch::Devices(devices) => write!(
                f,
                "device identities {} → {}, expected terminal → UICC",
                devices.source, devices.destination
            ),
        }
    }
}

impl std::error::Error for Mismatch {}

/// The toolkit engine: the stored terminal profile, the proactive commands raised and
/// not yet completed, the current event list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toolkit {
    /// The last TERMINAL PROFILE the phone sent (TS 102 223 §5.2).
    profile: Option<TerminalProfile>,
    state: State,
    /// Commands raised behind the one the state holds, oldest first; empty when Idle.
    queue: VecDeque<ProactiveCommand>,
    /// The events the phone reports, as the last performed SET UP EVENT LIST set them
    /// (TS 102 223 §6.4.16).
    events: Vec<Event>,
    /// Number of the last command raised; `00` before the first.
    last_number: u8,
    /// The last command completed and its response.
    last: Option<Completed>,
}

impl Default for Toolkit {
    fn default() -> Toolkit {
        Toolkit::new()
    }
}

impl Toolkit {
    /// The state after a reset: no profile, nothing raised.
    pub fn new() -> Toolkit {
        Toolkit {
            profile: None,
            state: State::Idle,
            queue: VecDeque::new(),
            events: Vec::new(),
            last_number: 0,
            last: None,
        }
    }

    /// The terminal profile received since the last reset, if any.
    pub fn profile(&self) -> Option<&TerminalProfile> {
        self.profile.as_ref()
    }

    /// Stores a TERMINAL PROFILE. A new one replaces the old and changes nothing else
    /// (commands already raised stay queued).
    pub fn set_profile(&mut self, bytes: &[u8]) {
        self.profile = Some(TerminalProfile::new(bytes));
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// The commands raised and not yet fetched, oldest (the one `91 XX` announces)
    /// first.
    pub fn queued(&self) -> impl Iterator<Item = &ProactiveCommand> {
        let announced = match &self.state {
            State::ExpectFetch(command) => Some(command),
            _ => None,
        };
        announced.into_iter().chain(self.queue.iter())
    }

    /// The command fetched and awaiting its TERMINAL RESPONSE.
    pub fn outstanding(&self) -> Option<&ProactiveCommand> {
        match &self.state {
            State::ExpectTerminalResponse(command) => Some(command),
            _ => None,
        }
    }

    /// The command `91 XX` announces, waiting for FETCH.
    pub fn announced(&self) -> Option<&ProactiveCommand> {
        match &self.state {
            State::ExpectFetch(command) => Some(command),
            _ => None,
        }
    }

    /// `91 XX` while a command waits for FETCH (XX = its length, `00` for 256), to
    /// replace a command's `90 00` (TS 102 221 §7.4.2.1).
    pub fn pending_status(&self) -> Option<StatusWord> {
        let len = self.announced()?.buffer_len();
        Some(StatusWord::proactive_command_pending(
            u8::try_from(len % 256).unwrap_or(0),
        ))
    }

    /// Busy: a command was fetched and its TERMINAL RESPONSE has not come yet. An
    /// SMS-PP download then gets `93 00` (TS 102 221 §10.2.1.2).
    pub fn is_busy(&self) -> bool {
        matches!(self.state, State::ExpectTerminalResponse(_))
    }

    /// The current event list.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Whether the card asked for `event` in the current event list.
    pub fn expects_event(&self, event: Event) -> bool {
        self.events.contains(&event)
    }

    /// The last command completed by a matching TERMINAL RESPONSE, with that response.
    pub fn last_completed(&self) -> Option<&Completed> {
        self.last.as_ref()
    }

    /// The number a new command should carry: the one after the last raised, from `01`
    /// to `FE` and round again (TS 102 223 §6.5.1).
    pub fn next_number(&self) -> u8 {
        self.last_number % 0xFE + 1
    }

    /// Queues `command` for the phone to fetch, after every command raised before it.
    /// Refused, and nothing changed, when the terminal profile does not declare what
    /// the command needs ([`Refused`]): the command type's bit (TS 102 223 §5.2), every
    /// event of SET UP EVENT LIST, and for OPEN CHANNEL a channel (byte 13 b8–b6), the
    /// bearer (byte 13) and the transport (byte 17, b3 for TCP in UICC server mode).
    pub fn raise(&mut self, command: ProactiveCommand) -> Result<(), Refused> {
        self.check(&command)?;
        self.last_number = command.details().number;
        match std::mem::replace(&mut self.state, State::Idle) {
            State::Idle => self.state = State::ExpectFetch(command),
            waiting => {
                self.state = waiting;
                self.queue.push_back(command);
            }
        }
        Ok(())
    }

    fn check(&self, command: &ProactiveCommand) -> Result<(), Refused> {
        let profile = self.profile.as_ref().ok_or(Refused::NoTerminalProfile)?;
        let details = command.details();
        let source = command.devices().source;
        if source != DeviceIdentity::UICC {
            return Err(Refused::NotFromUicc(source));
        }
        if matches!(details.number, 0x00 | 0xFF) {
            return Err(Refused::ReservedNumber(details.number));
        }
        let len = command.buffer_len();
        if len > MAX_COMMAND_LEN {
            return Err(Refused::TooLong(len));
        }
        let declared = |facility: Facility| {
            if profile.supports(facility) {
                Ok(())
            } else {
                Err(Refused::NotDeclared(facility))
            }
        };
        declared(Facility::for_command(details).ok_or(Refused::Unmapped(details))?)?;
        for object in command.objects() {
            match &object.object {
                Object::EventList(events) => {
                    for event in events {
                        declared(
                            Facility::for_event(*event).ok_or(Refused::UnmappedEvent(*event))?,
                        )?;
                    }
                }
                Object::BearerDescription(bearer) if bearer.bearer_type != BearerType::DEFAULT => {
                    declared(
                        Facility::for_bearer(bearer.bearer_type)
                            .ok_or(Refused::UnmappedBearer(bearer.bearer_type))?,
                    )?;
                }
                Object::TransportLevel(transport) => declared(
                    Facility::for_transport(transport.protocol)
                        .ok_or(Refused::UnmappedTransport(transport.protocol))?,
                )?,
                _ => {}
            }
        }
        if details.command_type == CommandType::OPEN_CHANNEL && profile.channels() == 0 {
            return Err(Refused::NoChannels);
        }
        Ok(())
    }

    /// FETCH: hands over the announced command and waits for its response. `None`, and
    /// nothing changed, when no command is announced.
    pub fn fetch(&mut self) -> Option<Vec<u8>> {
        match std::mem::replace(&mut self.state, State::Idle) {
            State::ExpectFetch(command) => {
                let bytes = command.emit();
                self.state = State::ExpectTerminalResponse(command);
                Some(bytes)
            }
            other => {
                self.state = other;
                None
            }
        }
    }

    /// TERMINAL RESPONSE: completes the outstanding command if `response` answers it
    /// (same command details, terminal → UICC) and announces the next one queued. A
    /// performed SET UP EVENT LIST replaces the event list (TS 102 223 §6.4.16). On a
    /// mismatch nothing changes.
    pub fn terminal_response(&mut self, response: TerminalResponse) -> Result<Completed, Mismatch> {
        let State::ExpectTerminalResponse(command) = &self.state else {
            return Err(Mismatch::NothingOutstanding);
        };
        let expected = command.details();
        if response.details() != expected {
            return Err(Mismatch::Details {
                expected,
                found: response.details(),
            });
        }
        let devices = response
            .objects()
            .iter()
            .find_map(|o| match o.object {
                Object::DeviceIdentities(d) => Some(d),
                _ => None,
            })
            .unwrap_or(DeviceIdentities {
                source: DeviceIdentity(0),
                destination: DeviceIdentity(0),
            });
        if (devices.source, devices.destination) != (DeviceIdentity::TERMINAL, DeviceIdentity::UICC)
        {
            return Err(Mismatch::Devices(devices));
        }
        let command = command.clone();
        self.state = match self.queue.pop_front() {
            Some(next) => State::ExpectFetch(next),
            None => State::Idle,
        };
        if command.details().command_type == CommandType::SET_UP_EVENT_LIST
            && response.result().general.is_performed()
        {
            self.events = command.events().unwrap_or_default().to_vec();
        }
        let completed = Completed { command, response };
        self.last = Some(completed.clone());
        Ok(completed)
    }
}

#[cfg(test)]
pub(super) mod tests;
