//! The phone's side of the bearer independent protocol (ETSI TS 102 223 §6.4.27–§6.4.31,
//! §7.5.10–§7.5.11; 3GPP TS 31.111 the same clauses): performing OPEN CHANNEL, CLOSE
//! CHANNEL, RECEIVE DATA, SEND DATA, GET CHANNEL STATUS and SET UP EVENT LIST on the
//! [`gateway`](super::gateway), and turning what the network side reports into event
//! downloads for the card.
//!
//! # Event downloads
//!
//! Only the events the card listed in SET UP EVENT LIST are ever sent (§6.4.16), each
//! in its own ENVELOPE (`80 C2 00 00 Lc D6 …`):
//!
//! | what happened | event | channel status (§8.56) |
//! |---|---|---|
//! | a peer connected to a listening channel; a background connection came up | channel status (§7.5.11) | `8X 00` |
//! | the peer closed or reset an established link; a background connection failed | channel status | `0X 05` link dropped |
//! | CLOSE CHANNEL with "TCP in LISTEN state" put the channel back to listening | channel status | `4X 00` |
//! | the receive buffer went from empty to non-empty | data available (§7.5.10) | `8X 00`, channel data length = bytes waiting (`FF`: more than 255) |
//!
//! Data available goes only on the transition from empty: more bytes arriving before
//! the card has emptied the buffer with RECEIVE DATA raise no second event (the card
//! learns from the channel data length of each RECEIVE DATA answer that more wait).
//! Envelopes wait in the phone until it is idle: never between FETCH and TERMINAL
//! RESPONSE, nor while another exchange is under way; a waiting proactive command is
//! fetched first. A card that answers `93 00` (toolkit busy) gets the same event again
//! at the phone's next step, at most [`MAX_EVENT_ATTEMPTS`] times in all; any other
//! error status drops the event (noted in [`Phone::last_event`]).

//!
//! # Not done yet
//!
//! OPEN CHANNEL qualifier b2 (automatic reconnection) is kept on the channel but the
//! gateway does not reconnect a dropped link by itself; b4 (DNS server addresses
//! requested) is ignored, so the TERMINAL RESPONSE carries no DNS server address.
//! Bearers other than packet (`02`) and default (`03`), IPv6 destinations, the local
//! address, and user login / password are not used.

use super::gateway::{BipError, Change, Channel, Mode, NetIndication, NetRequest, Protocol, Sent};
use super::{to_card, Phone, PhoneState};
use crate::sim::{Instant, Message, Payload};
use crate::wire::apdu::{CommandApdu, ResponseApdu};
use crate::wire::cat::{
    BearerType, ChannelState, ChannelStatus, CommandType, Event, EventDownload, GeneralResult,
    Object, OtherAddress, ProactiveCommand, TerminalResponse, TransportLevel, TransportProtocol,
};
use crate::wire::status::StatusWord;

/// The most channel data one TERMINAL RESPONSE to RECEIVE DATA carries: 237 bytes.
/// The response goes in one TERMINAL RESPONSE APDU, whose Lc is at most 255 (TS 102 221
/// §10.1.3), and besides the data it holds command details (5 bytes), device identities
/// (4), result (3), the channel data header (3: tag `B6`, `81`, length, for more than
/// 127 bytes) and the channel data length (3): 18 bytes. A RECEIVE DATA asking for
/// more gets 237 and result `02`.
pub const MAX_RECEIVE_CHUNK: usize = 255 - 18;

/// How often one event download is offered to a card that answers `93 00`.
pub const MAX_EVENT_ATTEMPTS: u8 = 3;

/// The events the phone reports (its TERMINAL PROFILE declares exactly these).
const SUPPORTED_EVENTS: [Event; 2] = [Event::DATA_AVAILABLE, Event::CHANNEL_STATUS];

/// A proactive command whose TERMINAL RESPONSE waits for the network: OPEN CHANNEL
/// with immediate link establishment, or the SEND DATA that establishes an on-demand
/// link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Held {
    command: ProactiveCommand,
    channel: u8,
}

/// An event waiting for the card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct PendingEvent {
    kind: EventKind,
    attempts: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EventKind {
    /// Data available on this channel: the envelope is built when it goes, with the
    /// bytes waiting then.
    DataAvailable(u8),
    /// Channel status, as it was when it changed.
    ChannelStatus(ChannelStatus),
}

impl EventKind {
    fn event(self) -> Event {
        match self {
            EventKind::DataAvailable(_) => Event::DATA_AVAILABLE,
            EventKind::ChannelStatus(_) => Event::CHANNEL_STATUS,
        }
    }
}

impl Phone {
    /// The requests for the network side since the last call, oldest first.
    pub fn take_net_requests(&mut self) -> Vec<NetRequest> {
        let mut out = std::mem::take(&mut self.unsent_requests);
        out.extend(self.gateway.take_requests());
        out
    }

    /// How many bytes channel `channel` can take from the network now.
    pub fn receive_space(&self, channel: u8) -> usize {
        self.gateway.receive_space(channel)
    }

    /// The events the card asked for in SET UP EVENT LIST.
    pub fn event_list(&self) -> &[Event] {
        &self.event_list
    }

    /// How the last event download went, in words.
    pub fn last_event(&self) -> Option<&str> {
        self.last_event.as_deref()
    }

    /// Takes an indication from the network side at `now`: may answer a TERMINAL
    /// RESPONSE that waited for it, or send an event download to the card.
    pub fn network_indication(&mut self, now: Instant, indication: NetIndication) -> Vec<Message> {
        self.events_paused = false;
        let id = indication.channel();
        let change = self.gateway.indicate(now, indication);
        let held_here = self.held.as_ref().is_some_and(|h| h.channel == id);
        match change {
            Some(Change::Established) if held_here => return self.connected_held(),
            Some(Change::Failed(reason)) if held_here => {
                let (general, info) = reason.result();
                return self.failed_held(general, info);
            }
            Some(Change::DataArrived) => self.queue_event(EventKind::DataAvailable(id)),
            Some(Change::Established | Change::Failed(_) | Change::Dropped) => {
                if let Some(channel) = self.gateway.channel(id) {
                    self.queue_event(EventKind::ChannelStatus(channel.status()));
                }
            }
            None => {}
        }
        self.next_event()
    }

    /// Performs a BIP command or SET UP EVENT LIST; `None` for any other command.
    pub(super) fn perform_bip(&mut self, command: &ProactiveCommand) -> Option<Vec<Message>> {
        Some(match command.details().command_type {
            CommandType::OPEN_CHANNEL => self.open_channel(command),
            CommandType::CLOSE_CHANNEL => self.close_channel(command),
            CommandType::RECEIVE_DATA => self.receive_data(command),
            CommandType::SEND_DATA => self.send_data(command),
            CommandType::GET_CHANNEL_STATUS => self.get_channel_status(command),
            CommandType::SET_UP_EVENT_LIST => self.set_up_event_list(command),
            _ => return None,
        })
    }

    /// Answers `command` with general result `general` and no further object.
    fn answer(
        &mut self,
        command: &ProactiveCommand,
        general: GeneralResult,
        words: String,
    ) -> Vec<Message> {
        let response = TerminalResponse::error_for(command, general, &[]);
        self.respond(response, format!("{words}: result {:02X}", general.0))
    }

    /// Answers `command` with BIP error `error` (general result `3A`).
    fn bip_error(&mut self, command: &ProactiveCommand, error: BipError) -> Vec<Message> {
        let info = error.additional_info();
        let response = TerminalResponse::error_for(command, GeneralResult::BIP_ERROR, &[info]);
        let words = format!("{}: result 3A {info:02X}", command.details().command_type);
        self.respond(response, words)
    }

    /// OPEN CHANNEL (§6.4.27): UICC server mode, or UDP / TCP client, remote connection.
    fn open_channel(&mut self, command: &ProactiveCommand) -> Vec<Message> {
        let Some(requested) = command.buffer_size() else {
            let words = "OPEN CHANNEL without buffer size".to_string();
            return self.answer(command, GeneralResult::DATA_NOT_UNDERSTOOD, words);
        };
        match command.transport_level() {
            Some(TransportLevel {
                protocol: TransportProtocol::TCP_SERVER,
                port,
            }) => self.open_server(command, port, requested),
            Some(TransportLevel { protocol, port })
                if protocol == TransportProtocol::TCP_CLIENT_REMOTE
                    || protocol == TransportProtocol::UDP_CLIENT_REMOTE =>
            {
                let protocol = if protocol == TransportProtocol::TCP_CLIENT_REMOTE {
                    Protocol::Tcp
                } else {
                    Protocol::Udp
                };
                self.open_client(command, protocol, port, requested)
            }
            _ => {
                let words = "OPEN CHANNEL is supported in UICC server mode (TCP) and as a remote \
                             TCP or UDP client only"
                    .to_string();
                self.answer(command, GeneralResult::BEYOND_CAPABILITIES, words)
            }
        }
    }

    fn open_server(
        &mut self,
        command: &ProactiveCommand,
        port: u16,
        requested: u16,
    ) -> Vec<Message> {
        match self.gateway.listen(port, requested) {
            Ok(channel) => {
                let response = open_response(command, channel, requested);
                let words = format!(
                    "OPEN CHANNEL: channel {} (SID {}) listening on TCP {port}, buffer {} bytes: \
                     result {:02X}",
                    channel.id,
                    channel.sid,
                    channel.buffer_size,
                    response.result().general.0
                );
                self.respond(response, words)
            }
            Err(error) => self.bip_error(command, error),
        }
    }

    fn open_client(
        &mut self,
        command: &ProactiveCommand,
        protocol: Protocol,
        port: u16,
        requested: u16,
    ) -> Vec<Message> {
        let Some(bearer) = command.bearer_description().cloned() else {
            let words = "OPEN CHANNEL without bearer description".to_string();
            return self.answer(command, GeneralResult::REQUIRED_VALUES_MISSING, words);
        };
        if bearer.bearer_type != BearerType::PACKET && bearer.bearer_type != BearerType::DEFAULT {
            let words = format!("OPEN CHANNEL on bearer {}", bearer.bearer_type);
            return self.answer(command, GeneralResult::BEYOND_CAPABILITIES, words);
        }
        let address = match command.data_destination_address() {
            Some(OtherAddress::Ipv4(address)) => address.octets(),
            None | Some(OtherAddress::Empty) => {
                let words = "OPEN CHANNEL in client mode without data destination address";
                return self.answer(
                    command,
                    GeneralResult::REQUIRED_VALUES_MISSING,
                    words.to_string(),
                );
            }
            Some(other) => {
                let words = format!("OPEN CHANNEL to {other} (the gateway speaks IPv4 only)");
                return self.answer(command, GeneralResult::BEYOND_CAPABILITIES, words);
            }
        };
        let qualifier = command.details().qualifier;
        let immediate = qualifier & 0x01 != 0;
        let reconnect = qualifier & 0x02 != 0;
        let background = qualifier & 0x04 != 0;
        let mode = Mode::Client {
            protocol,
            address,
            port,
            apn: command.network_access_name(),
            bearer: bearer.clone(),
        };
        let connect_now = immediate || background;
        let channel = match self
            .gateway
            .open_client(mode, requested, connect_now, reconnect)
        {
            Ok(channel) => channel,
            Err(error) => {
                let info = error.additional_info();
                let response =
                    TerminalResponse::error_for(command, GeneralResult::BIP_ERROR, &[info])
                        .with(Object::BearerDescription(bearer))
                        .with(Object::BufferSize(
                            requested.min(super::gateway::MAX_BUFFER_SIZE),
                        ));
                return self.respond(response, format!("OPEN CHANNEL: result 3A {info:02X}"));
            }
        };
        let [a, b, c, d] = address;
        let target = format!("{a}.{b}.{c}.{d}:{port}");
        if immediate && !background {
            let id = channel.id;
            self.hold(
                command,
                id,
                format!("OPEN CHANNEL: channel {id} connecting to {target}"),
            );
            return Vec::new();
        }
        let response = open_response(command, channel, requested);
        let words = format!(
            "OPEN CHANNEL: channel {} (SID {}) to {target}, {}: result {:02X}",
            channel.id,
            channel.sid,
            if background {
                "connecting in the background"
            } else {
                "link on demand"
            },
            response.result().general.0
        );
        self.respond(response, words)
    }

    /// Keeps `command`'s TERMINAL RESPONSE until the network answers for `channel`.
    fn hold(&mut self, command: &ProactiveCommand, channel: u8, words: String) {
        self.held = Some(Held {
            command: command.clone(),
            channel,
        });
        self.last_proactive = Some(format!(
            "{words}; the TERMINAL RESPONSE waits for the network"
        ));
        self.state = PhoneState::ExpectNetwork;
    }

    /// The link a held command waited for is up: answer it.
    fn connected_held(&mut self) -> Vec<Message> {
        let Some(Held { command, channel }) = self.held.take() else {
            return Vec::new();
        };
        let Some(open) = self.gateway.channel(channel) else {
            return Vec::new();
        };
        if command.details().command_type == CommandType::OPEN_CHANNEL {
            let requested = command.buffer_size().unwrap_or(open.buffer_size);
            let response = open_response(&command, open, requested);
            let words = format!(
                "OPEN CHANNEL: channel {channel} (SID {}) established: result {:02X}",
                open.sid,
                response.result().general.0
            );
            return self.respond(response, words);
        }
        let free = self.gateway.flush(channel);
        let response = TerminalResponse::ok_for(&command).with(Object::channel_data_length(free));
        let words =
            format!("SEND DATA: channel {channel} established on demand, data sent: result 00");
        self.respond(response, words)
    }

    /// The link a held command waited for could not be made: answer it with `general`
    /// and `info`. A channel OPEN CHANNEL was opening is freed; an on-demand channel
    /// stays, link dropped, for the card to close.
    fn failed_held(&mut self, general: GeneralResult, info: u8) -> Vec<Message> {
        let Some(Held { command, channel }) = self.held.take() else {
            return Vec::new();
        };
        let mut response = TerminalResponse::error_for(&command, general, &[info]);
        if command.details().command_type == CommandType::OPEN_CHANNEL {
            if let Some(Mode::Client { bearer, .. }) =
                self.gateway.channel(channel).map(|c| &c.mode)
            {
                response = response.with(Object::BearerDescription(bearer.clone()));
            }
            if let Some(open) = self.gateway.channel(channel) {
                response = response.with(Object::BufferSize(open.buffer_size));
            }
            self.gateway.discard(channel);
        }
        let words = format!(
            "{}: channel {channel} could not connect: result {:02X} {info:02X}",
            command.details().command_type,
            general.0
        );
        self.respond(response, words)
    }

    /// CLOSE CHANNEL (§6.4.28).
    fn close_channel(&mut self, command: &ProactiveCommand) -> Vec<Message> {
        let Some(id) = command.devices().destination.channel_id() else {
            return self.bip_error(command, BipError::InvalidChannel);
        };
        let listen = command.details().qualifier & 0x01 != 0;
        match self.gateway.close(id, listen) {
            Ok(Some(channel)) => {
                let status = channel.status();
                self.queue_event(EventKind::ChannelStatus(status));
                let words = format!("CLOSE CHANNEL: channel {id} back to TCP in LISTEN state");
                self.answer(command, GeneralResult::OK, words)
            }
            Ok(None) => {
                let words = format!("CLOSE CHANNEL: channel {id} closed");
                self.answer(command, GeneralResult::OK, words)
            }
            Err(error) => self.bip_error(command, error),
        }
    }

    /// RECEIVE DATA (§6.4.29): up to the bytes asked for (at most
    /// [`MAX_RECEIVE_CHUNK`]); fewer than asked is result `02` (performed, with missing
    /// information); the channel data length says how many still wait.
    fn receive_data(&mut self, command: &ProactiveCommand) -> Vec<Message> {
        let Some(id) = command.devices().destination.channel_id() else {
            return self.bip_error(command, BipError::InvalidChannel);
        };
        let asked = usize::from(command.channel_data_length().unwrap_or(0));
        let bytes = match self.gateway.receive(id, asked.min(MAX_RECEIVE_CHUNK)) {
            Ok(bytes) => bytes,
            Err(error) => return self.bip_error(command, error),
        };
        let left = self.gateway.channel(id).map_or(0, Channel::rx_len);
        let general = if bytes.len() < asked {
            GeneralResult::PERFORMED_WITH_MISSING_INFO
        } else {
            GeneralResult::OK
        };
        let words = format!(
            "RECEIVE DATA: {} of {asked} byte(s) from channel {id}, {left} left: result {:02X}",
            bytes.len(),
            general.0
        );
        let response = TerminalResponse::error_for(command, general, &[])
            .with(Object::ChannelData(bytes))
            .with(Object::channel_data_length(left));
        self.respond(response, words)
    }

    /// SEND DATA (§6.4.30): command qualifier b1 = 0 stores in the Tx buffer, 1 sends
    /// the buffer; the channel data length answers the free space in the Tx buffer.
    fn send_data(&mut self, command: &ProactiveCommand) -> Vec<Message> {
        let Some(id) = command.devices().destination.channel_id() else {
            return self.bip_error(command, BipError::InvalidChannel);
        };
        let now = command.details().qualifier & 0x01 != 0;
        let data = command.channel_data().unwrap_or_default();
        let (free, what) = match self.gateway.send(id, data, now) {
            Ok(Sent::Stored(free)) => (free, "stored"),
            Ok(Sent::Sent(free)) => (free, "sent"),
            Ok(Sent::Connecting) => {
                self.hold(
                    command,
                    id,
                    format!("SEND DATA: channel {id} connecting on demand"),
                );
                return Vec::new();
            }
            Err(error) => return self.bip_error(command, error),
        };
        let response = TerminalResponse::ok_for(command).with(Object::channel_data_length(free));
        let words = format!(
            "SEND DATA: {} byte(s) {what} on channel {id}, {free} free: result 00",
            data.len()
        );
        self.respond(response, words)
    }

    /// GET CHANNEL STATUS (§6.4.31): one channel status per open channel; with none
    /// open, one channel status `00 00` (no channel, link not established).
    fn get_channel_status(&mut self, command: &ProactiveCommand) -> Vec<Message> {
        let mut statuses: Vec<ChannelStatus> =
            self.gateway.channels().map(Channel::status).collect();
        if statuses.is_empty() {
            statuses.push(ChannelStatus::new(0, ChannelState::Closed, 0));
        }
        let words = format!(
            "GET CHANNEL STATUS: {} channel status object(s)",
            statuses.len()
        );
        let response = statuses
            .into_iter()
            .fold(TerminalResponse::ok_for(command), |r, s| {
                r.with(Object::ChannelStatus(s))
            });
        self.respond(response, format!("{words}: result 00"))
    }

    /// SET UP EVENT LIST (§6.4.16): replaces the list (an empty list removes every
    /// event); a list with an event the phone does not report is beyond its
    /// capabilities and changes nothing.
    fn set_up_event_list(&mut self, command: &ProactiveCommand) -> Vec<Message> {
        let events = command.events().unwrap_or_default();
        if let Some(other) = events.iter().find(|e| !SUPPORTED_EVENTS.contains(e)) {
            let words = format!("SET UP EVENT LIST with {other}");
            return self.answer(command, GeneralResult::BEYOND_CAPABILITIES, words);
        }
        self.event_list = events.to_vec();
        let list = &self.event_list;
        self.events.retain(|e| list.contains(&e.kind.event()));
        let words = if events.is_empty() {
            "SET UP EVENT LIST: no event".to_string()
        } else {
            let names: Vec<String> = events.iter().map(|e| e.to_string()).collect();
            format!("SET UP EVENT LIST: {}", names.join(", "))
        };
        self.answer(command, GeneralResult::OK, words)
    }

    /// Queues an event if the card asked for it.
    fn queue_event(&mut self, kind: EventKind) {
        if self.event_list.contains(&kind.event()) {
            self.events.push_back(PendingEvent { kind, attempts: 0 });
        }
    }

    /// Sends the next waiting event download if the phone is idle.
    pub(super) fn next_event(&mut self) -> Vec<Message> {
        if self.state != PhoneState::Ready || self.events_paused {
            return Vec::new();
        }
        while let Some(pending) = self.events.pop_front() {
            let envelope = match pending.kind {
                EventKind::ChannelStatus(status) => EventDownload::channel_status_change(status),
                EventKind::DataAvailable(id) => match self.gateway.channel(id) {
                    Some(channel) if channel.rx_len() > 0 => {
                        EventDownload::data_available(channel.status(), channel.rx_len())
                    }
                    // Read or closed meanwhile: nothing to announce any more.
                    _ => continue,
                },
            };
            self.event_in_flight = Some(pending);
            self.state = PhoneState::ExpectEventStatus;
            let apdu = CommandApdu::new(0x80, 0xC2, 0x00, 0x00).with_data(envelope.emit());
            return vec![to_card(Payload::Command(apdu.emit()))];
        }
        Vec::new()
    }

    /// The card's answer to an event download.
    pub(super) fn event_status(&mut self, bytes: &[u8]) -> Vec<Message> {
        let pending = self.event_in_flight.take();
        let what = pending
            .as_ref()
            .map_or("event".to_string(), |p| p.kind.event().to_string());
        let words = match ResponseApdu::parse(bytes).map(|r| r.sw) {
            Ok(sw) if sw.is_normal() => {
                self.note_proactive(sw);
                format!("{what}: card answered {:04X}", sw.0)
            }
            Ok(StatusWord::TOOLKIT_BUSY) => match pending {
                Some(mut pending) if pending.attempts + 1 < MAX_EVENT_ATTEMPTS => {
                    pending.attempts += 1;
                    self.events.push_front(pending);
                    self.events_paused = true;
                    format!("{what}: card answered 9300 (toolkit busy), offered again later")
                }
                _ => format!(
                    "{what}: card answered 9300 (toolkit busy) {MAX_EVENT_ATTEMPTS} times, dropped"
                ),
            },
            Ok(sw) => format!(
                "{what}: card answered {:04X} ({}), dropped",
                sw.0,
                sw.meaning()
            ),
            Err(_) => format!("{what}: the card's answer does not decode"),
        };
        self.last_event = Some(words);
        self.carry_on()
    }
}

/// The TERMINAL RESPONSE to a successful OPEN CHANNEL (§6.8): result `00`, or `07` when
/// the buffer granted is smaller than `requested`; channel status; the bearer
/// description (client mode: the card's own); buffer size.
fn open_response(
    command: &ProactiveCommand,
    channel: &Channel,
    requested: u16,
) -> TerminalResponse {
    let general = if channel.buffer_size < requested {
        GeneralResult::PERFORMED_WITH_MODIFICATION
    } else {
        GeneralResult::OK
    };
    let mut response = TerminalResponse::error_for(command, general, &[])
        .with(Object::ChannelStatus(channel.status()));
    if let Mode::Client { bearer, .. } = &channel.mode {
        response = response.with(Object::BearerDescription(bearer.clone()));
    }
    response.with(Object::BufferSize(channel.buffer_size))
}

#[cfg(test)]
mod tests;
