//! The phone's access gateway (patent module 10, steps S300–S500): the table of BIP
//! channels the card opened, and the small request / indication interface through which
//! the gateway drives the network side (TCP connections, TLS) without knowing how it is
//! built.
//!
//! The card names a channel by its identifier (1 to [`MAX_CHANNELS`], TS 102 223 §8.56
//! b3–b1); the terminal chooses it (§6.4.27: "the terminal shall allocate a channel
//! identifier"), here the lowest free one. Each channel also gets a session identifier
//! ([`Channel::sid`]), allocated monotonically and never reused while the phone is on,
//! which names one card channel toward the network (patent step S100) and in the UI.
//!
//! The gateway never talks to the card: [`crate::phone`] turns what it reports into
//! TERMINAL RESPONSEs and event downloads. It never does I/O either: what it wants from
//! the network side waits in [`Gateway::take_requests`], and the network side reports
//! with [`NetIndication`]s.
//!
//! | request ([`NetRequest`]) | when |
//! |---|---|
//! | `Listen { channel, port }` | OPEN CHANNEL in UICC server mode |
//! | `Connect { channel, protocol, address, port, apn }` | OPEN CHANNEL in client mode with immediate (or background) link establishment; on demand: the first SEND DATA that sends |
//! | `Send { channel, bytes }` | SEND DATA "send immediately": the whole Tx buffer |
//! | `Close { channel }` | CLOSE CHANNEL on a channel with a connection (or a connection attempt) |
//! | `StopListening { channel }` | CLOSE CHANNEL in UICC server mode, "TCP in CLOSED state" |
//!
//! Backpressure: the receive buffer of a channel never holds more than the buffer size
//! granted. The network side asks [`Gateway::receive_space`] before it hands bytes over
//! (a TCP side stops reading its socket when it is 0) and never sends more in one
//! [`NetIndication::Received`]; bytes beyond it, should a network side break that rule,
//! are refused and counted ([`Counters::refused`]), never stored past the buffer.

use crate::sim::Instant;
use crate::wire::cat::{BearerDescription, ChannelState, ChannelStatus, GeneralResult};
use std::collections::{BTreeMap, VecDeque};

/// Channels the gateway holds at once: the number byte 13 b8–b6 of the phone's
/// TERMINAL PROFILE declares (TS 102 223 §5.2, at most 7; channel identifiers 1–7,
/// §8.56 b3–b1).
pub const MAX_CHANNELS: u8 = 7;

/// The largest buffer the gateway grants a channel, in bytes: the SCWS's default
/// request (1400, an Ethernet-sized TCP segment less headers) is granted in full, a
/// larger one is cut to this and answered "performed with modification" (`07`).
pub const MAX_BUFFER_SIZE: u16 = 1400;

/// Transport protocol of a client-mode channel (TS 102 223 §8.59: `01` UDP, `02` TCP,
/// UICC in client mode, remote connection).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Udp,
}

/// What kind of channel this is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// UICC server mode (transport level `03`): the gateway listens on `port` and a
    /// remote client (the server, patent step S400) connects to it.
    Server { port: u16 },
    /// UICC client mode, remote connection (transport level `01` / `02`): the gateway
    /// connects to `address`:`port` over the network access name `apn`, on the bearer
    /// the card described (kept to answer with it).
    Client {
        protocol: Protocol,
        address: [u8; 4],
        port: u16,
        apn: Option<String>,
        bearer: BearerDescription,
    },
}

/// The state of one channel's link.
///
/// TS 102 223 §8.56 codes only three states on the wire (client mode: link established
/// or not; UICC server mode: TCP in CLOSED, LISTEN or ESTABLISHED state) plus
/// "link dropped" in byte 2; the gateway keeps the states the standard's procedures
/// (§6.4.27–§6.4.31, §7.5.11) move through:
///
/// ```text
///  UICC server mode (§6.4.27.5, §6.4.28):
///
///   OPEN CHANNEL ──▶ Listen ──PeerConnected──▶ Established ──PeerClosed / Reset──▶ Dropped
///                      ▲   (event 8X 00)            │          (event 0X 05)          │
///                      │                            │ CLOSE CHANNEL, b1 = 1           │
///                      └────────────────────────────┴─────────────────────────────────┘
///                                (Close; event 4X 00 "TCP in LISTEN state")
///                   CLOSE CHANNEL, b1 = 0, from any state: Close, StopListening, freed
///
///  UICC client mode (§6.4.27.2, §6.4.27.3):
///
///   OPEN CHANNEL b1 = 0 (on demand) ──▶ Idle ──SEND DATA (immediately)──▶ Connecting
///   OPEN CHANNEL b1 = 1 (immediate) ──────────────────────────────────▶ Connecting
///   Connecting ──Connected──▶ Established ──PeerClosed / Reset──▶ Dropped (event 0X 05)
///   Connecting ──ConnectFailed──▶ freed (OPEN CHANNEL answered 3A 07 / 3A 05 / 21 / 20)
///                              └▶ Dropped (on demand, or background: the TR went already)
///   CLOSE CHANNEL from any state: Close (unless Idle), freed
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Server mode: TCP in LISTEN state, no peer yet.
    Listen,
    /// Client mode, on demand link establishment: no link until the first SEND DATA
    /// that sends.
    Idle,
    /// Client mode: [`NetRequest::Connect`] is out, no answer yet.
    Connecting,
    /// A peer is connected (server mode) or the link is up (client mode).
    Established,
    /// The link went down (peer closed, reset, or the connection could not be made);
    /// the card learns it from the channel status and closes the channel.
    Dropped,
}

impl LinkState {
    /// The state bits of channel status byte 1 (§8.56) for this state.
    pub fn wire(self) -> ChannelState {
        match self {
            LinkState::Listen => ChannelState::Listen,
            LinkState::Established => ChannelState::Established,
            LinkState::Idle | LinkState::Connecting | LinkState::Dropped => ChannelState::Closed,
        }
    }

    /// A few words for the status line.
    pub fn describe(self) -> &'static str {
        match self {
            LinkState::Listen => "listening",
            LinkState::Idle => "link on demand, not established",
            LinkState::Connecting => "connecting",
            LinkState::Established => "established",
            LinkState::Dropped => "link dropped",
        }
    }
}

/// What a channel has carried.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Bytes the network delivered into the receive buffer.
    pub received: u64,
    /// Bytes handed to the network in [`NetRequest::Send`].
    pub sent: u64,
    /// Connections established on this channel (a server channel may see several).
    pub connections: u32,
    /// Bytes a network side offered beyond [`Gateway::receive_space`], or on a channel
    /// with no connection: refused, never stored.
    pub refused: u64,
}

/// One channel of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    /// Channel identifier, 1 to [`MAX_CHANNELS`].
    pub id: u8,
    /// Session identifier: allocated by the gateway, one more for every channel opened.
    pub sid: u32,
    pub mode: Mode,
    pub state: LinkState,
    /// The buffer size granted (TS 102 223 §8.55): the most the receive buffer and the
    /// transmit buffer each hold.
    pub buffer_size: u16,
    /// Command qualifier b2 of OPEN CHANNEL: automatic reconnection asked for (kept;
    /// the gateway does not reconnect by itself yet).
    pub auto_reconnect: bool,
    /// The peer, once connected (its name or address, as the network side gives it).
    pub peer: Option<String>,
    /// Whether the connection is secured (TLS), as the network side reports it.
    pub secure: bool,
    /// When the link was last established.
    pub since: Option<Instant>,
    pub counters: Counters,
    /// Bytes from the network waiting for RECEIVE DATA.
    rx: VecDeque<u8>,
    /// Bytes SEND DATA stored ("store data in Tx buffer"), not sent yet.
    tx: Vec<u8>,
}

impl Channel {
    fn new(id: u8, sid: u32, mode: Mode, state: LinkState, buffer_size: u16) -> Channel {
        Channel {
            id,
            sid,
            mode,
            state,
            buffer_size,
            auto_reconnect: false,
            peer: None,
            secure: false,
            since: None,
            counters: Counters::default(),
            rx: VecDeque::new(),
            tx: Vec::new(),
        }
    }

    fn establish(&mut self, now: Instant) -> Change {
        self.state = LinkState::Established;
        self.since = Some(now);
        self.counters.connections += 1;
        Change::Established
    }

    /// The channel status object for this channel (§8.56): byte 2 `05` once the link
    /// dropped, else `00`.
    pub fn status(&self) -> ChannelStatus {
        let info = if self.state == LinkState::Dropped {
            ChannelStatus::LINK_DROPPED
        } else {
            ChannelStatus::NO_FURTHER_INFO
        };
        ChannelStatus::new(self.id, self.state.wire(), info)
    }

    /// Bytes waiting in the receive buffer.
    pub fn rx_len(&self) -> usize {
        self.rx.len()
    }

    /// Bytes stored in the transmit buffer.
    pub fn tx_len(&self) -> usize {
        self.tx.len()
    }

    /// Free space in the receive buffer.
    pub fn receive_space(&self) -> usize {
        usize::from(self.buffer_size).saturating_sub(self.rx.len())
    }

    /// Free space in the transmit buffer.
    pub fn transmit_space(&self) -> usize {
        usize::from(self.buffer_size).saturating_sub(self.tx.len())
    }

    /// The listening port of a server-mode channel.
    pub fn port(&self) -> Option<u16> {
        match self.mode {
            Mode::Server { port } => Some(port),
            Mode::Client { .. } => None,
        }
    }

    /// E.g. `channel 1 listening on TCP 3516`.
    fn describe(&self) -> String {
        let head = format!("channel {}", self.id);
        let peer = self
            .peer
            .as_ref()
            .map(|p| format!(" with {p}{}", if self.secure { " (TLS)" } else { "" }))
            .unwrap_or_default();
        match (&self.mode, self.state) {
            (Mode::Server { port }, LinkState::Listen) => {
                format!("{head} listening on TCP {port}")
            }
            (Mode::Server { port }, state) => {
                format!("{head} on TCP {port}: {}{peer}", state.describe())
            }
            (
                Mode::Client {
                    protocol,
                    address,
                    port,
                    ..
                },
                state,
            ) => {
                let [a, b, c, d] = address;
                format!(
                    "{head} {} client to {a}.{b}.{c}.{d}:{port}: {}",
                    match protocol {
                        Protocol::Tcp => "TCP",
                        Protocol::Udp => "UDP",
                    },
                    state.describe()
                )
            }
        }
    }
}

/// What the gateway asks of the network side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetRequest {
    /// Accept connections on `port` for `channel` (UICC server mode).
    Listen { channel: u8, port: u16 },
    /// Connect `channel` to `address`:`port` (UICC client mode).
    Connect {
        channel: u8,
        protocol: Protocol,
        address: [u8; 4],
        port: u16,
        apn: Option<String>,
    },
    /// Send `bytes` on `channel`'s connection.
    Send { channel: u8, bytes: Vec<u8> },
    /// Close `channel`'s connection (FIN; a no-op when it is already gone). In server
    /// mode the channel keeps listening unless [`NetRequest::StopListening`] follows.
    Close { channel: u8 },
    /// Stop accepting connections for `channel` (server mode).
    StopListening { channel: u8 },
}

/// Why a connection could not be made, with the TERMINAL RESPONSE it gives OPEN
/// CHANNEL (TS 102 223 §6.4.27, general results of §8.12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectFailure {
    /// No answer, refused, no route: `3A 07` remote device is not reachable.
    Unreachable,
    /// The TLS handshake or the peer's authentication failed: `3A 05` security error.
    Security,
    /// No packet data context could be set up (no coverage, APN refused): `21 00`
    /// network currently unable to process command, no specific cause.
    NetworkUnable,
    /// The phone itself could not do it now: `20 00` terminal currently unable to
    /// process command, no specific cause.
    TerminalUnable,
}

/// What the network side reports to the gateway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetIndication {
    /// A remote client connected to a listening channel (server mode).
    PeerConnected {
        channel: u8,
        peer: String,
        secure: bool,
    },
    /// The connection a [`NetRequest::Connect`] asked for is up.
    Connected { channel: u8 },
    /// The connection a [`NetRequest::Connect`] asked for could not be made.
    ConnectFailed { channel: u8, reason: ConnectFailure },
    /// Bytes from the peer: never more than [`Gateway::receive_space`] for `channel`.
    Received { channel: u8, bytes: Vec<u8> },
    /// The peer closed the connection (FIN).
    PeerClosed { channel: u8 },
    /// The connection was reset or lost.
    Reset { channel: u8 },
}

impl ConnectFailure {
    /// The general result and additional information the command waiting for the
    /// connection is answered with (TS 102 223 §8.12, §8.12.11).
    pub fn result(self) -> (GeneralResult, u8) {
        match self {
            ConnectFailure::Unreachable => (GeneralResult::BIP_ERROR, 0x07),
            ConnectFailure::Security => (GeneralResult::BIP_ERROR, 0x05),
            ConnectFailure::NetworkUnable => (GeneralResult::NETWORK_UNABLE, 0x00),
            ConnectFailure::TerminalUnable => (GeneralResult::TERMINAL_UNABLE, 0x00),
        }
    }
}

impl NetIndication {
    /// The channel the indication is about.
    pub fn channel(&self) -> u8 {
        match self {
            NetIndication::PeerConnected { channel, .. }
            | NetIndication::Connected { channel }
            | NetIndication::ConnectFailed { channel, .. }
            | NetIndication::Received { channel, .. }
            | NetIndication::PeerClosed { channel }
            | NetIndication::Reset { channel } => *channel,
        }
    }
}

/// What an indication changed, for the phone to tell the card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// The link came up (a peer connected, or a connection was made).
    Established,
    /// A connection attempt failed; the channel is [`LinkState::Dropped`].
    Failed(ConnectFailure),
    /// The receive buffer went from empty to non-empty.
    DataArrived,
    /// An established link went down.
    Dropped,
}

/// A BIP error of TS 102 223 §8.12.11 (general result `3A`), with its additional
/// information byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BipError {
    /// All [`MAX_CHANNELS`] channels are in use: `01` no channel available.
    NoChannelAvailable,
    /// The channel exists but has no link to use: `02` channel closed.
    ChannelClosed,
    /// No such channel: `03` channel identifier not valid.
    InvalidChannel,
    /// More data than the transmit buffer has room for: `04` requested buffer size not
    /// available.
    BufferFull,
    /// A channel already listens on the port: `10` port not available.
    PortNotAvailable,
}

impl BipError {
    /// The additional information byte that goes with general result `3A`.
    pub fn additional_info(self) -> u8 {
        match self {
            BipError::NoChannelAvailable => 0x01,
            BipError::ChannelClosed => 0x02,
            BipError::InvalidChannel => 0x03,
            BipError::BufferFull => 0x04,
            BipError::PortNotAvailable => 0x10,
        }
    }
}

/// The gateway's channel table and the requests waiting for the network side.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gateway {
    channels: BTreeMap<u8, Channel>,
    /// The last session identifier handed out.
    last_sid: u32,
    requests: Vec<NetRequest>,
}

impl Gateway {
    pub fn new() -> Gateway {
        Gateway::default()
    }

    /// The channels, by identifier.
    pub fn channels(&self) -> impl Iterator<Item = &Channel> {
        self.channels.values()
    }

    /// The channel with identifier `id`.
    pub fn channel(&self, id: u8) -> Option<&Channel> {
        self.channels.get(&id)
    }

    /// The requests for the network side since the last call, oldest first.
    pub fn take_requests(&mut self) -> Vec<NetRequest> {
        std::mem::take(&mut self.requests)
    }

    /// How many bytes channel `id` can take from the network now (0 for no channel).
    pub fn receive_space(&self, id: u8) -> usize {
        self.channels
            .get(&id)
            .filter(|c| c.state == LinkState::Established)
            .map_or(0, Channel::receive_space)
    }

    /// A new channel with the lowest free identifier and a buffer of `requested` bytes
    /// cut to [`MAX_BUFFER_SIZE`].
    fn allocate(
        &mut self,
        mode: Mode,
        state: LinkState,
        requested: u16,
    ) -> Result<&mut Channel, BipError> {
        let id = (1..=MAX_CHANNELS)
            .find(|id| !self.channels.contains_key(id))
            .ok_or(BipError::NoChannelAvailable)?;
        self.last_sid += 1;
        let channel = Channel::new(
            id,
            self.last_sid,
            mode,
            state,
            requested.min(MAX_BUFFER_SIZE),
        );
        Ok(self.channels.entry(id).or_insert(channel))
    }

    /// Opens a listening channel on `port` (UICC server mode) and asks the network side
    /// to listen.
    pub fn listen(&mut self, port: u16, requested: u16) -> Result<&Channel, BipError> {
        if self.channels.values().any(|c| c.port() == Some(port)) {
            return Err(BipError::PortNotAvailable);
        }
        let channel = self.allocate(Mode::Server { port }, LinkState::Listen, requested)?;
        let id = channel.id;
        self.requests.push(NetRequest::Listen { channel: id, port });
        Ok(&self.channels[&id])
    }

    /// Opens a client-mode channel (`mode` must be [`Mode::Client`]): with `connect_now`
    /// the network side is asked to connect at once, else the channel waits
    /// ([`LinkState::Idle`]) for the first SEND DATA that sends.
    pub fn open_client(
        &mut self,
        mode: Mode,
        requested: u16,
        connect_now: bool,
        auto_reconnect: bool,
    ) -> Result<&Channel, BipError> {
        let channel = self.allocate(mode, LinkState::Idle, requested)?;
        channel.auto_reconnect = auto_reconnect;
        let id = channel.id;
        if connect_now {
            self.connect(id);
        }
        Ok(&self.channels[&id])
    }

    /// Asks the network side to connect client channel `id` (no-op for a server
    /// channel).
    fn connect(&mut self, id: u8) {
        let Some(channel) = self.channels.get_mut(&id) else {
            return;
        };
        if let Mode::Client {
            protocol,
            address,
            port,
            apn,
            ..
        } = &channel.mode
        {
            channel.state = LinkState::Connecting;
            self.requests.push(NetRequest::Connect {
                channel: id,
                protocol: *protocol,
                address: *address,
                port: *port,
                apn: apn.clone(),
            });
        }
    }

    /// Frees channel `id` without telling the network side: for a channel whose
    /// connection attempt failed before the card learnt of it.
    pub fn discard(&mut self, id: u8) {
        self.channels.remove(&id);
    }

    /// SEND DATA (TS 102 223 §6.4.30): appends `bytes` to the transmit buffer of
    /// channel `id`; with `now` the whole buffer goes to the network side. On an
    /// on-demand channel not connected yet, sending asks for the connection first:
    /// the result is then [`Sent::Connecting`] and the bytes wait in the buffer until
    /// [`NetIndication::Connected`]. Returns the free space left in the buffer.
    pub fn send(&mut self, id: u8, bytes: &[u8], now: bool) -> Result<Sent, BipError> {
        let channel = self.channels.get_mut(&id).ok_or(BipError::InvalidChannel)?;
        if !matches!(channel.state, LinkState::Established | LinkState::Idle) {
            return Err(BipError::ChannelClosed);
        }
        if bytes.len() > channel.transmit_space() {
            return Err(BipError::BufferFull);
        }
        channel.tx.extend_from_slice(bytes);
        if !now {
            return Ok(Sent::Stored(channel.transmit_space()));
        }
        if channel.state == LinkState::Idle {
            self.connect(id);
            return Ok(Sent::Connecting);
        }
        Ok(Sent::Sent(self.flush(id)))
    }

    /// Hands channel `id`'s transmit buffer to the network side (SEND DATA "send
    /// immediately", or an on-demand link just established); returns the free space in
    /// the buffer afterwards.
    pub fn flush(&mut self, id: u8) -> usize {
        let Some(channel) = self.channels.get_mut(&id) else {
            return 0;
        };
        let bytes = std::mem::take(&mut channel.tx);
        if !bytes.is_empty() {
            channel.counters.sent += bytes.len() as u64;
            self.requests.push(NetRequest::Send { channel: id, bytes });
        }
        self.channels[&id].transmit_space()
    }

    /// RECEIVE DATA (TS 102 223 §6.4.29): up to `max` bytes from channel `id`'s
    /// receive buffer, oldest first. A channel with nothing waiting and no link is
    /// [`BipError::ChannelClosed`]; bytes that arrived before the link dropped can
    /// still be read.
    pub fn receive(&mut self, id: u8, max: usize) -> Result<Vec<u8>, BipError> {
        let channel = self.channels.get_mut(&id).ok_or(BipError::InvalidChannel)?;
        if channel.rx.is_empty() && channel.state != LinkState::Established {
            return Err(BipError::ChannelClosed);
        }
        let take = max.min(channel.rx.len());
        Ok(channel.rx.drain(..take).collect())
    }

    /// CLOSE CHANNEL (TS 102 223 §6.4.28) on channel `id`. A client channel is freed;
    /// a server channel goes back to LISTEN with `listen` (qualifier b1 = 1, "TCP in
    /// LISTEN state"), or is freed and no longer listened on. Returns the channel when
    /// it stays (back in LISTEN).
    pub fn close(&mut self, id: u8, listen: bool) -> Result<Option<&Channel>, BipError> {
        let channel = self.channels.get_mut(&id).ok_or(BipError::InvalidChannel)?;
        if !matches!(channel.state, LinkState::Listen | LinkState::Idle) {
            self.requests.push(NetRequest::Close { channel: id });
        }
        match channel.mode {
            Mode::Server { .. } if listen => {
                channel.state = LinkState::Listen;
                channel.rx.clear();
                channel.tx.clear();
                channel.peer = None;
                channel.secure = false;
                channel.since = None;
                Ok(self.channels.get(&id))
            }
            Mode::Server { .. } => {
                self.requests
                    .push(NetRequest::StopListening { channel: id });
                self.channels.remove(&id);
                Ok(None)
            }
            Mode::Client { .. } => {
                self.channels.remove(&id);
                Ok(None)
            }
        }
    }

    /// Closes every channel (the phone switches off); the requests that tell the
    /// network side wait in [`Gateway::take_requests`].
    pub fn shut_down(&mut self) {
        let ids: Vec<u8> = self.channels.keys().copied().collect();
        for id in ids {
            // Every identifier comes from the table, and closing without LISTEN frees
            // the channel: this cannot fail.
            let _ = self.close(id, false);
        }
    }

    /// Applies an indication from the network side at `now`; returns what changed for
    /// the card, if anything. Indications for a channel that does not exist, or that
    /// do not fit its state (a stale one after CLOSE CHANNEL), change nothing.
    pub fn indicate(&mut self, now: Instant, indication: NetIndication) -> Option<Change> {
        let channel = self.channels.get_mut(&indication.channel())?;
        match indication {
            NetIndication::PeerConnected { peer, secure, .. } => {
                if channel.state != LinkState::Listen {
                    return None;
                }
                channel.peer = Some(peer);
                channel.secure = secure;
                Some(channel.establish(now))
            }
            NetIndication::Connected { .. } => {
                if channel.state != LinkState::Connecting {
                    return None;
                }
                if let Mode::Client { address, port, .. } = &channel.mode {
                    let [a, b, c, d] = address;
                    channel.peer = Some(format!("{a}.{b}.{c}.{d}:{port}"));
                }
                Some(channel.establish(now))
            }
            NetIndication::ConnectFailed { reason, .. } => {
                if channel.state != LinkState::Connecting {
                    return None;
                }
                channel.state = LinkState::Dropped;
                channel.tx.clear();
                Some(Change::Failed(reason))
            }
            NetIndication::Received { bytes, .. } => {
                let space = if channel.state == LinkState::Established {
                    channel.receive_space()
                } else {
                    0
                };
                let keep = bytes.len().min(space);
                channel.counters.refused += (bytes.len() - keep) as u64;
                if keep == 0 {
                    return None;
                }
                let was_empty = channel.rx.is_empty();
                channel.rx.extend(&bytes[..keep]);
                channel.counters.received += keep as u64;
                was_empty.then_some(Change::DataArrived)
            }
            NetIndication::PeerClosed { .. } | NetIndication::Reset { .. } => {
                if channel.state != LinkState::Established {
                    return None;
                }
                channel.state = LinkState::Dropped;
                channel.tx.clear();
                Some(Change::Dropped)
            }
        }
    }

    /// E.g. `channel 1 listening on TCP 3516`; several channels joined by `, `;
    /// empty when no channel is open.
    pub fn status_line(&self) -> String {
        self.channels
            .values()
            .map(Channel::describe)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What SEND DATA did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    /// Stored in the transmit buffer; the free space left.
    Stored(usize),
    /// Handed to the network side; the free space left (the whole buffer).
    Sent(usize),
    /// The on-demand link is being set up; the bytes go when it is.
    Connecting,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::cat::BearerType;

    fn client(port: u16) -> Mode {
        Mode::Client {
            protocol: Protocol::Tcp,
            address: [192, 0, 2, 1],
            port,
            apn: Some("internet".into()),
            bearer: BearerDescription {
                bearer_type: BearerType::DEFAULT,
                parameters: vec![],
            },
        }
    }

    #[test]
    fn allocates_the_lowest_free_channel_and_refuses_a_busy_port() {
        let mut gateway = Gateway::new();
        let first = gateway.listen(3516, 1400).unwrap();
        assert_eq!(
            (first.id, first.sid, first.port(), first.buffer_size),
            (1, 1, Some(3516), 1400)
        );
        assert_eq!(first.status().status, 0x41);
        assert_eq!(gateway.status_line(), "channel 1 listening on TCP 3516");
        assert_eq!(
            gateway.take_requests(),
            [NetRequest::Listen {
                channel: 1,
                port: 3516
            }]
        );
        assert_eq!(gateway.listen(3516, 100), Err(BipError::PortNotAvailable));
        assert_eq!(
            gateway.listen(4116, 5000).unwrap().buffer_size,
            MAX_BUFFER_SIZE
        );
        for port in 1..=5 {
            gateway.listen(port, 10).unwrap();
        }
        assert_eq!(gateway.channels().count(), 7);
        assert_eq!(gateway.listen(9, 10), Err(BipError::NoChannelAvailable));
        assert_eq!(
            gateway
                .open_client(client(80), 100, true, false)
                .map(|c| c.id),
            Err(BipError::NoChannelAvailable)
        );
        assert_eq!(BipError::NoChannelAvailable.additional_info(), 0x01);
        assert_eq!(BipError::PortNotAvailable.additional_info(), 0x10);
    }

    #[test]
    fn session_identifiers_grow_and_are_never_reused() {
        let mut gateway = Gateway::new();
        gateway.listen(1, 10).unwrap();
        gateway.listen(2, 10).unwrap();
        gateway.close(1, false).unwrap();
        let again = gateway.listen(3, 10).unwrap();
        assert_eq!((again.id, again.sid), (1, 3));
    }

    #[test]
    fn the_receive_buffer_never_holds_more_than_the_buffer_size() {
        let mut gateway = Gateway::new();
        gateway.listen(3516, 10).unwrap();
        assert_eq!(gateway.receive_space(1), 0, "no peer yet");
        let now = Instant(5);
        let connected = NetIndication::PeerConnected {
            channel: 1,
            peer: "198.51.100.7".into(),
            secure: true,
        };
        assert_eq!(gateway.indicate(now, connected), Some(Change::Established));
        assert_eq!(gateway.receive_space(1), 10);
        let first = NetIndication::Received {
            channel: 1,
            bytes: vec![1; 6],
        };
        assert_eq!(gateway.indicate(now, first), Some(Change::DataArrived));
        assert_eq!(gateway.receive_space(1), 4);
        let too_much = NetIndication::Received {
            channel: 1,
            bytes: vec![2; 7],
        };
        assert_eq!(gateway.indicate(now, too_much), None, "not empty before");
        let channel = gateway.channel(1).unwrap();
        assert_eq!(channel.rx_len(), 10);
        assert_eq!(
            (channel.counters.received, channel.counters.refused),
            (10, 3)
        );
        assert_eq!(gateway.receive_space(1), 0);
        assert_eq!(gateway.receive(1, 8).unwrap(), [1, 1, 1, 1, 1, 1, 2, 2]);
        assert_eq!(gateway.receive_space(1), 8);
        assert_eq!(channel_since(&gateway), Some(now));
    }

    fn channel_since(gateway: &Gateway) -> Option<Instant> {
        gateway.channel(1).and_then(|c| c.since)
    }

    #[test]
    fn on_demand_link_connects_at_the_first_send_and_then_flushes() {
        let mut gateway = Gateway::new();
        let channel = gateway.open_client(client(443), 300, false, true).unwrap();
        assert_eq!(
            (channel.state, channel.auto_reconnect),
            (LinkState::Idle, true)
        );
        assert!(gateway.take_requests().is_empty());
        assert_eq!(gateway.send(1, &[1, 2], false), Ok(Sent::Stored(298)));
        assert_eq!(gateway.send(1, &[3], true), Ok(Sent::Connecting));
        assert_eq!(
            gateway.take_requests(),
            [NetRequest::Connect {
                channel: 1,
                protocol: Protocol::Tcp,
                address: [192, 0, 2, 1],
                port: 443,
                apn: Some("internet".into())
            }]
        );
        assert_eq!(
            gateway.indicate(Instant(1), NetIndication::Connected { channel: 1 }),
            Some(Change::Established)
        );
        assert_eq!(gateway.flush(1), 300);
        assert_eq!(
            gateway.take_requests(),
            [NetRequest::Send {
                channel: 1,
                bytes: vec![1, 2, 3]
            }]
        );
        assert_eq!(gateway.channel(1).unwrap().counters.sent, 3);
        assert_eq!(
            gateway.channel(1).unwrap().peer.as_deref(),
            Some("192.0.2.1:443")
        );
    }

    #[test]
    fn send_errors_name_the_bip_cause() {
        let mut gateway = Gateway::new();
        assert_eq!(gateway.send(1, &[0], true), Err(BipError::InvalidChannel));
        gateway.listen(3516, 4).unwrap();
        assert_eq!(gateway.send(1, &[0], true), Err(BipError::ChannelClosed));
        gateway.indicate(
            Instant(0),
            NetIndication::PeerConnected {
                channel: 1,
                peer: "x".into(),
                secure: false,
            },
        );
        assert_eq!(gateway.send(1, &[0; 5], false), Err(BipError::BufferFull));
        assert_eq!(gateway.send(1, &[0; 4], false), Ok(Sent::Stored(0)));
        assert_eq!(gateway.receive(2, 1), Err(BipError::InvalidChannel));
        gateway.indicate(Instant(0), NetIndication::Reset { channel: 1 });
        assert_eq!(gateway.receive(1, 1), Err(BipError::ChannelClosed));
        assert_eq!(gateway.channel(1).unwrap().status().further_info, 0x05);
    }

    #[test]
    fn close_back_to_listen_keeps_the_channel_and_close_without_frees_it() {
        let mut gateway = Gateway::new();
        gateway.listen(3516, 100).unwrap();
        gateway.indicate(
            Instant(0),
            NetIndication::PeerConnected {
                channel: 1,
                peer: "x".into(),
                secure: false,
            },
        );
        gateway.take_requests();
        let back = gateway.close(1, true).unwrap().unwrap();
        assert_eq!((back.state, back.peer.clone()), (LinkState::Listen, None));
        assert_eq!(gateway.take_requests(), [NetRequest::Close { channel: 1 }]);
        assert_eq!(gateway.close(1, false), Ok(None));
        assert_eq!(
            gateway.take_requests(),
            [NetRequest::StopListening { channel: 1 }],
            "nothing to FIN in LISTEN"
        );
        assert_eq!(gateway.close(1, false), Err(BipError::InvalidChannel));
    }

    #[test]
    fn stale_indications_change_nothing() {
        let mut gateway = Gateway::new();
        assert_eq!(
            gateway.indicate(Instant(0), NetIndication::Connected { channel: 3 }),
            None
        );
        gateway.listen(1, 10).unwrap();
        assert_eq!(
            gateway.indicate(Instant(0), NetIndication::Connected { channel: 1 }),
            None
        );
        assert_eq!(
            gateway.indicate(Instant(0), NetIndication::PeerClosed { channel: 1 }),
            None
        );
        let late = NetIndication::Received {
            channel: 1,
            bytes: vec![1],
        };
        assert_eq!(gateway.indicate(Instant(0), late), None);
        assert_eq!(gateway.channel(1).unwrap().counters.refused, 1);
        assert_eq!(gateway.channel(1).unwrap().state, LinkState::Listen);
    }
}
