//! The card's BIP engine (ETSI TS 102 223 §6.4.27–§6.4.31, events §7.5.10–§7.5.11,
//! objects §8.52–§8.59): patent step S500, the card using the channels it opened.
//!
//! The engine keeps a table of the card's channels, learned from the TERMINAL RESPONSEs
//! to its OPEN CHANNELs (channel identifier from the channel status, buffer size
//! granted, mode, state) and kept up to date by the channel status events and the
//! responses to CLOSE CHANNEL and GET CHANNEL STATUS. Each channel runs a [`Service`]:
//! the SCWS's HTTP responder in UICC server mode, the administration client in client
//! mode (see [`super::http`]).
//!
//! Only one proactive command is outstanding at a time, so each channel holds a queue of
//! intentions (receive, send a piece, close) and has at most one of them raised in the
//! toolkit; when its TERMINAL RESPONSE comes, the result is applied and the next
//! intention is raised. Two channels may each have one raised: the toolkit queues them.
//!
//! ```text
//!   OPEN CHANNEL ──TR: channel status, buffer size──▶ channel in the table
//!
//!   data available (status, length) ─▶ RECEIVE DATA min(waiting, 237)
//!        ▲                                   │ TR: channel data, bytes still waiting
//!        └──────── still waiting > 0 ────────┤
//!                                            ▼ the service's output
//!   SEND DATA 00 (store) … SEND DATA 01 (send immediately)   [≤ 241 bytes each]
//!        │ TR with an error: the rest of the output is dropped, the error noted
//!        ▼ the service asked to close
//!   CLOSE CHANNEL 01 (server mode: back to LISTEN) / 00 (client mode: released)
//!
//!   channel status event: link established ─▶ the service starts afresh (a client
//!   sends its request); link dropped or TCP CLOSED ─▶ CLOSE CHANNEL as above.
//! ```
//!
//! Sizes (T=0, short APDUs):
//!
//! - [`MAX_RECEIVE`] = 237: the TERMINAL RESPONSE to RECEIVE DATA is command details
//!   `81 03 nn 42 00` (5), device identities `82 02 82 81` (4), result `83 01 00` (3),
//!   channel data `B6 81 L` + L (3 + L for L ≥ 128), channel data length `B7 01 xx` (3):
//!   18 + L ≤ Lc = 255, so L ≤ 237.
//! - [`MAX_SEND`] = 241: FETCH returns at most 256 bytes (`91 00`), the template `D0 81
//!   LL` leaves 253 for command details (5), device identities `82 02 81 2n` (4) and
//!   channel data `B6 81 L` (3): 12 + L ≤ 253, so L ≤ 241.
//! - An output longer than the buffer size granted goes as several bursts of at most
//!   that many bytes, each ending with "send immediately", so the terminal's Tx buffer
//!   never overflows (§6.4.30); within a burst every piece but the last is "store".
//!
//! CLOSE CHANNEL's qualifier b1 (§8.6) in UICC server mode: 0 closes the TCP connection
//! and puts the channel in TCP CLOSED state, 1 closes it and puts the channel back in
//! TCP LISTEN state (§6.4.28); the engine uses 1 so that the SCWS keeps listening for the
//! next server. Events for a channel not in the table are acknowledged and ignored.

use super::http::{AdminClient, Exchange, Output, Responder, Site};
use super::toolkit::{Completed, Refused, Toolkit};
use super::Card;
use crate::wire::cat::{
    ChannelState, ChannelStatus, CommandResult, CommandType, DeviceIdentity, Event, EventDownload,
    Object, OtherAddress, ProactiveCommand, TerminalResponse, TransportLevel, TransportProtocol,
};
use std::collections::{BTreeMap, VecDeque};

/// The most bytes one RECEIVE DATA asks for: what one TERMINAL RESPONSE carries (see
/// the module doc).
pub const MAX_RECEIVE: u8 = 237;
/// The most channel data one SEND DATA carries: what one FETCH returns (module doc).
pub const MAX_SEND: usize = 241;
/// The events the engine asks for in SET UP EVENT LIST, in that order.
pub const BIP_EVENTS: [Event; 2] = [Event::DATA_AVAILABLE, Event::CHANNEL_STATUS];
/// Notes kept; older ones are dropped.
pub const MAX_NOTES: usize = 32;

/// How a channel was opened (from its OPEN CHANNEL, §6.4.27).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// UICC server mode (transport level `03`): the terminal listens on `port`.
    Server { port: u16 },
    /// Client mode: the terminal connects to the data destination address.
    Client {
        transport: Option<TransportLevel>,
        address: Option<OtherAddress>,
    },
}

/// What runs on a channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Service {
    /// The Smart Card Web Server (UICC server mode).
    Scws(Responder),
    /// The administration client (client mode).
    Admin(AdminClient),
}

impl Service {
    /// A new connection: start afresh; a client sends its request.
    fn start(&mut self) -> Output {
        match self {
            Service::Scws(responder) => {
                *responder = Responder::new();
                Output::default()
            }
            Service::Admin(client) => client.connected(),
        }
    }

    fn receive(&mut self, data: &[u8], site: &mut dyn Site) -> Output {
        match self {
            Service::Scws(responder) => responder.receive(data, site),
            Service::Admin(client) => client.receive(data),
        }
    }

    /// The connection is gone: the SCWS forgets a request cut short (an upload's
    /// partial body was never stored, so nothing is to free).
    fn disconnected(&mut self) {
        if let Service::Scws(responder) = self {
            *responder = Responder::new();
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Service::Scws(_) => "SCWS (HTTP server)",
            Service::Admin(_) => "administration client (HTTP)",
        }
    }
}

/// One step a channel means to take, raised as one proactive command.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Intention {
    /// RECEIVE DATA for what is waiting.
    Receive,
    /// SEND DATA, qualifier `01` if `immediately`, else `00` (store).
    Send { data: Vec<u8>, immediately: bool },
    /// CLOSE CHANNEL, qualifier `01` (back to LISTEN) if `listen`.
    Close { listen: bool },
}

/// Something the engine did or saw that its state does not keep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A service completed an exchange on a channel.
    Exchange { channel: u8, exchange: Exchange },
    /// The terminal did not perform a BIP command (`channel` is `None` for an OPEN
    /// CHANNEL that opened none).
    Failed {
        channel: Option<u8>,
        command: CommandType,
        result: CommandResult,
    },
    /// The toolkit refused a command for the channel; its queue was dropped.
    Refused { channel: u8, refused: Refused },
}

/// One of the card's channels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    id: u8,
    mode: Mode,
    buffer_size: u16,
    state: ChannelState,
    /// Bytes the terminal holds for the card: 256 stands for "more than 255" (`FF`).
    rx_waiting: u16,
    service: Service,
    queue: VecDeque<Intention>,
    /// The intention raised, with its command number.
    in_flight: Option<(u8, Intention)>,
}

impl Channel {
    /// The channel identifier (1–7), as the terminal chose it.
    pub fn id(&self) -> u8 {
        self.id
    }

    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    /// The buffer size the terminal granted.
    pub fn buffer_size(&self) -> u16 {
        self.buffer_size
    }

    /// The link / TCP state, as last reported.
    pub fn state(&self) -> ChannelState {
        self.state
    }

    /// Bytes waiting in the terminal for the card (256: more than 255).
    pub fn rx_waiting(&self) -> u16 {
        self.rx_waiting
    }

    pub fn service(&self) -> &Service {
        &self.service
    }

    /// Commands still to raise for this channel after the one raised.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    fn is_server(&self) -> bool {
        matches!(self.mode, Mode::Server { .. })
    }

    fn intends(&self, pick: impl Fn(&Intention) -> bool) -> bool {
        self.queue.iter().any(&pick) || self.in_flight.as_ref().is_some_and(|(_, i)| pick(i))
    }

    /// Channel data length `n` (§8.54) is waiting: receive it unless already asked.
    fn data_available(&mut self, n: u8) {
        self.rx_waiting = waiting(n);
        if self.rx_waiting > 0 && !self.intends(|i| *i == Intention::Receive) {
            self.queue.push_back(Intention::Receive);
        }
    }

    /// A channel status (§8.56) from an event or GET CHANNEL STATUS.
    fn status_changed(&mut self, status: ChannelStatus, notes: &mut Notes) {
        if status.further_info == ChannelStatus::LINK_DROPPED
            || status.state() == ChannelState::Closed
        {
            self.state = ChannelState::Closed;
            self.rx_waiting = 0;
            self.service.disconnected();
            self.queue.clear();
            self.queue_close();
            return;
        }
        let was = self.state;
        self.state = status.state();
        if self.state == ChannelState::Established && was != ChannelState::Established {
            self.begin(notes);
        }
    }

    fn begin(&mut self, notes: &mut Notes) {
        let output = self.service.start();
        self.queue_output(output, notes);
    }

    /// The service's output as SEND DATA pieces (see the module doc), then the close it
    /// asked for.
    fn queue_output(&mut self, output: Output, notes: &mut Notes) {
        for exchange in output.exchanges {
            notes.push(Note::Exchange {
                channel: self.id,
                exchange,
            });
        }
        for burst in output.data.chunks(usize::from(self.buffer_size.max(1))) {
            let mut pieces = burst.chunks(MAX_SEND).peekable();
            while let Some(piece) = pieces.next() {
                self.queue.push_back(Intention::Send {
                    data: piece.to_vec(),
                    immediately: pieces.peek().is_none(),
                });
            }
        }
        if output.close {
            self.queue_close();
        }
    }

    fn queue_close(&mut self) {
        if !self.intends(|i| matches!(i, Intention::Close { .. })) {
            self.queue.push_back(Intention::Close {
                listen: self.is_server(),
            });
        }
    }

    /// The proactive command for `intention`, number `number`; `None` for a receive
    /// with nothing waiting any more.
    fn command(&self, intention: &Intention, number: u8) -> Option<ProactiveCommand> {
        let (command_type, qualifier) = match intention {
            Intention::Receive => (CommandType::RECEIVE_DATA, 0),
            Intention::Send { immediately, .. } => (CommandType::SEND_DATA, u8::from(*immediately)),
            Intention::Close { listen } => (CommandType::CLOSE_CHANNEL, u8::from(*listen)),
        };
        let command = ProactiveCommand::new(
            number,
            command_type,
            qualifier,
            DeviceIdentity::UICC,
            DeviceIdentity::channel(self.id),
        );
        Some(match intention {
            Intention::Receive if self.rx_waiting == 0 => return None,
            Intention::Receive => {
                let asked = self.rx_waiting.min(u16::from(MAX_RECEIVE));
                command.with(Object::ChannelDataLength(u8::try_from(asked).ok()?))
            }
            Intention::Send { data, .. } => command.with(Object::ChannelData(data.clone())),
            Intention::Close { .. } => command,
        })
    }
}

/// A channel data length (§8.54) as a count: `FF` is "more than 255", kept as 256.
fn waiting(n: u8) -> u16 {
    match n {
        0xFF => 256,
        n => u16::from(n),
    }
}

/// The engine's notes, the newest [`MAX_NOTES`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Notes(VecDeque<Note>);

impl Notes {
    fn push(&mut self, note: Note) {
        if self.0.len() == MAX_NOTES {
            self.0.pop_front();
        }
        self.0.push_back(note);
    }
}

/// The BIP engine: the channel table, the OPEN CHANNELs raised and not yet answered,
/// the notes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bip {
    channels: BTreeMap<u8, Channel>,
    /// The service each OPEN CHANNEL raised will run, by command number.
    opening: BTreeMap<u8, Service>,
    notes: Notes,
}

impl Bip {
    /// The channels open, by identifier.
    pub fn channels(&self) -> impl Iterator<Item = &Channel> {
        self.channels.values()
    }

    pub fn channel(&self, id: u8) -> Option<&Channel> {
        self.channels.get(&id)
    }

    /// What happened that the table does not show, oldest first.
    pub fn notes(&self) -> impl Iterator<Item = &Note> {
        self.notes.0.iter()
    }

    /// Applies the TERMINAL RESPONSE to a BIP command.
    fn completed(&mut self, done: &Completed, site: &mut dyn Site) {
        let command = &done.command;
        let response = &done.response;
        match command.details().command_type {
            CommandType::OPEN_CHANNEL => self.opened(command, response),
            CommandType::GET_CHANNEL_STATUS if response.result().general.is_performed() => {
                self.statuses(&response.channel_statuses())
            }
            _ => self.channel_completed(command, response, site),
        }
    }

    /// OPEN CHANNEL answered (§6.4.27): a channel enters the table with the identifier
    /// and state of the channel status and the buffer size granted.
    fn opened(&mut self, command: &ProactiveCommand, response: &TerminalResponse) {
        let Some(service) = self.opening.remove(&command.details().number) else {
            return;
        };
        let status = response.channel_statuses().first().copied();
        let granted = response.objects().iter().find_map(|o| match o.object {
            Object::BufferSize(n) => Some(n),
            _ => None,
        });
        let (Some(status), Some(buffer_size), true) = (
            status.filter(|s| s.channel_id() != 0),
            granted,
            response.result().general.is_performed(),
        ) else {
            self.notes.push(Note::Failed {
                channel: None,
                command: CommandType::OPEN_CHANNEL,
                result: response.result().clone(),
            });
            return;
        };
        let mode = match command.transport_level() {
            Some(t) if t.protocol == TransportProtocol::TCP_SERVER => Mode::Server { port: t.port },
            transport => Mode::Client {
                transport,
                address: command.data_destination_address().cloned(),
            },
        };
        let mut channel = Channel {
            id: status.channel_id(),
            mode,
            buffer_size,
            state: status.state(),
            rx_waiting: 0,
            service,
            queue: VecDeque::new(),
            in_flight: None,
        };
        if channel.state == ChannelState::Established {
            channel.begin(&mut self.notes);
        }
        self.channels.insert(channel.id, channel);
    }

    /// GET CHANNEL STATUS answered (§6.4.31): the terminal lists every open channel, so
    /// a channel it leaves out is gone.
    fn statuses(&mut self, statuses: &[ChannelStatus]) {
        self.channels
            .retain(|id, _| statuses.iter().any(|s| s.channel_id() == *id));
        for status in statuses {
            if let Some(channel) = self.channels.get_mut(&status.channel_id()) {
                channel.status_changed(*status, &mut self.notes);
            }
        }
    }

    /// RECEIVE DATA, SEND DATA or CLOSE CHANNEL answered for the intention raised.
    fn channel_completed(
        &mut self,
        command: &ProactiveCommand,
        response: &TerminalResponse,
        site: &mut dyn Site,
    ) {
        let Some(id) = command.devices().destination.channel_id() else {
            return;
        };
        let Some(channel) = self.channels.get_mut(&id) else {
            return;
        };
        let number = command.details().number;
        let Some((_, intention)) = channel.in_flight.take_if(|(n, _)| *n == number) else {
            return;
        };
        let performed = response.result().general.is_performed();
        if !performed {
            self.notes.push(Note::Failed {
                channel: Some(id),
                command: command.details().command_type,
                result: response.result().clone(),
            });
        }
        match intention {
            Intention::Receive if performed => {
                channel.data_available(response.channel_data_length().unwrap_or(0));
                let data = response.channel_data().unwrap_or_default();
                let output = channel.service.receive(data, site);
                channel.queue_output(output, &mut self.notes);
            }
            Intention::Receive => channel.rx_waiting = 0,
            Intention::Send { .. } if !performed => {
                // The response stops here: what was still to send, and the close after
                // it, is dropped. The terminal reports the link itself.
                channel.queue.retain(|i| *i == Intention::Receive);
            }
            Intention::Send { .. } => {}
            Intention::Close { listen: true } if performed => {
                channel.state = ChannelState::Listen;
                channel.begin(&mut self.notes);
            }
            Intention::Close { .. } if performed => {
                self.channels.remove(&id);
            }
            Intention::Close { .. } => {}
        }
    }

    /// An event download of §7.5.10 / §7.5.11 for a channel in the table.
    fn event(&mut self, event: &EventDownload) {
        let Some(status) = event.channel_status() else {
            return;
        };
        let Some(channel) = self.channels.get_mut(&status.channel_id()) else {
            return;
        };
        match event.event() {
            Event::DATA_AVAILABLE => {
                channel.data_available(event.channel_data_length().unwrap_or(0))
            }
            Event::CHANNEL_STATUS => channel.status_changed(status, &mut self.notes),
            _ => {}
        }
    }

    /// Raises the next intention of every channel that has none raised.
    fn pump(&mut self, toolkit: &mut Toolkit) {
        for channel in self.channels.values_mut() {
            while channel.in_flight.is_none() {
                let Some(intention) = channel.queue.pop_front() else {
                    break;
                };
                let number = toolkit.next_number();
                let Some(command) = channel.command(&intention, number) else {
                    continue;
                };
                match toolkit.raise(command) {
                    Ok(()) => channel.in_flight = Some((number, intention)),
                    Err(refused) => {
                        self.notes.push(Note::Refused {
                            channel: channel.id,
                            refused,
                        });
                        channel.queue.clear();
                    }
                }
            }
        }
    }
}

/// SET UP EVENT LIST (§6.4.16) with the BIP events, data available and channel status.
pub fn event_list(number: u8) -> ProactiveCommand {
    ProactiveCommand::new(
        number,
        CommandType::SET_UP_EVENT_LIST,
        0x00,
        DeviceIdentity::UICC,
        DeviceIdentity::TERMINAL,
    )
    .with(Object::EventList(BIP_EVENTS.to_vec()))
}

impl Card {
    /// The BIP engine: the channels, the notes.
    pub fn bip(&self) -> &Bip {
        &self.session.bip
    }

    /// Raises `command` (an OPEN CHANNEL) whose channel will run `service` once the
    /// terminal answers it.
    pub(super) fn open_channel(
        &mut self,
        command: ProactiveCommand,
        service: Service,
    ) -> Result<(), Refused> {
        let number = command.details().number;
        self.session.toolkit.raise(command)?;
        self.session.bip.opening.insert(number, service);
        Ok(())
    }

    /// After a TERMINAL PROFILE: asks for the BIP events when the profile declares SET
    /// UP EVENT LIST (byte 5 b1) and both events (byte 6 b3, b4), unless the list holds
    /// them already or a SET UP EVENT LIST is on its way.
    pub(super) fn set_up_bip_events(&mut self) {
        let toolkit = &mut self.session.toolkit;
        let on_its_way = toolkit
            .queued()
            .chain(toolkit.outstanding())
            .any(|c| c.details().command_type == CommandType::SET_UP_EVENT_LIST);
        if on_its_way || BIP_EVENTS.iter().all(|e| toolkit.expects_event(*e)) {
            return;
        }
        // Refused when the profile lacks SET UP EVENT LIST or either event: the card
        // then hears of no channel event, and the profile is answered 90 00.
        toolkit.raise(event_list(toolkit.next_number())).ok();
    }

    /// A completed proactive command, for the engine. If the power went while the
    /// SCWS stored content, the session is lost with it.
    pub(super) fn bip_completed(&mut self, done: &Completed) {
        let mut bip = std::mem::take(&mut self.session.bip);
        bip.completed(done, self);
        if !self.powered {
            self.session = super::Session::new();
            return;
        }
        bip.pump(&mut self.session.toolkit);
        self.session.bip = bip;
    }

    /// An event download the card asked for, for the engine.
    pub(super) fn bip_event(&mut self, event: &EventDownload) {
        if !self.session.toolkit.expects_event(event.event()) {
            return;
        }
        self.session.bip.event(event);
        self.session.bip.pump(&mut self.session.toolkit);
    }
}

#[cfg(test)]
mod tests;
