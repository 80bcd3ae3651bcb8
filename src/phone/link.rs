//! The gateway's network side (patent modules 30 and 50): the phone's IP session, the
//! TCP connections and UDP sockets behind the card's channels, and the check of every
//! server that connects.
//!
//! The gateway ([`super::gateway`]) speaks in [`NetRequest`]s and [`NetIndication`]s;
//! this module carries them out on the phone's [`Host`]:
//!
//! | request / event | what happens |
//! |---|---|
//! | `Listen` | the host accepts TCP connections on the port, each with a receive buffer the size of the channel's buffer |
//! | `Connect` | without an IP session, the phone first activates a PDP context on the channel's APN ([`DEFAULT_APN`] when none); then a TCP connection (or a UDP socket, connected at once) to the address |
//! | `Send` | the bytes go into the connection (those its send buffer cannot take wait here, in order) or out as one datagram |
//! | `Close` | FIN after the data; a listening channel keeps listening |
//! | `StopListening` | the port stops accepting |
//! | a SYN to a listening channel | accepted only if the channel has no peer and the server passes the gateway's check ([`Admission`]); otherwise a RST, and the card hears nothing |
//! | a connection on a TLS port ([`PortPolicy`]; [`SECURE_PORT`] by default) | TLS 1.3 with the gateway's certificate; with verification by certificate the server must present a client certificate issued by the demo CA ([`crate::net::tls`]). Until the handshake is done, the card hears nothing; a failed handshake ends the connection (alert, then RST) |
//! | a configuration SMS to [`GATEWAY_SMS_PORT`] from the operator's server (patent step S600) | the port's policy changes: TLS or not, verification none / allow-list / certificate / mutual ([`NetSide::configure`]) |
//! | handshake done | `PeerConnected` (server mode) or `Connected` (client mode) |
//! | bytes in order | `Received`, never more than the channel can take now: the rest stays in the TCP receive buffer, whose window closes (backpressure; nothing is dropped) |
//! | FIN from the peer | `PeerClosed` |
//! | RST, retransmissions exhausted, IP session lost | `Reset` (or `ConnectFailed` before the link was up) |
//! | session initiation request (PO-TCP wake-up) | the phone activates a PDP context if it has none |
//! | the user browses the card's web server ([`super::browser`]) | a local connection to the channel listening on 3516: no IP packet, no PDP context, no admission check; `Send` goes to the browser, `Close` ends its visit; an IP session that changes leaves it alone |

use super::gateway::{
    ConnectFailure, Gateway, LinkState, Mode, NetIndication, NetRequest, Protocol,
};
use super::Phone;
use crate::card::scws_admin::{Settings, Verification};
use crate::net::host::{Handle, Host, HostEvent};
use crate::net::ip::{DEFAULT_APN, SERVER_ADDRESSES};
use crate::net::tcp::{Config, ConnectionEvent, Endpoint};
use crate::net::tls::{self, ServerSettings, TlsSession};
use crate::net::{unix_time, SERVER_ADDRESS};
use crate::sim::{Action, Instant, Message, NodeId, Payload};
use crate::wire::ipv4::{address_text, Ipv4Packet};
use crate::wire::tcp::{TcpFlags, TcpSegment};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The servers the gateway admits by source address on a port whose verification is
/// the allow-list (patent module 50): by default the operator's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admission(pub Vec<[u8; 4]>);

impl Default for Admission {
    fn default() -> Self {
        Admission(
            SERVER_ADDRESSES
                .iter()
                .filter(|(name, _)| name.ends_with(".operator.example"))
                .map(|(_, address)| *address)
                .collect(),
        )
    }
}

impl Admission {
    fn admits(&self, address: [u8; 4]) -> bool {
        self.0.contains(&address)
    }
}

/// The port on which the gateway speaks TLS from the start and authenticates the
/// server by certificate: 4116, IANA's port for the SCWS over HTTPS.
pub const SECURE_PORT: u16 = 4116;

/// The SMS application port of the gateway's configuration messages (patent step S600):
/// 16-bit application port addressing (3GPP TS 23.040 §9.2.3.24.4, IEI `05`), from the
/// range 16000–16999 the standard leaves to SMS applications.
pub const GATEWAY_SMS_PORT: u16 = 16_600;

/// How the gateway treats connections to one listening port (patent module 50).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortPolicy {
    /// TLS 1.3 with the gateway's certificate.
    pub tls: bool,
    /// How the server is checked: none, by address (allow-list), by certificate (TLS
    /// client certificate from the demo CA; mutual: the server checks the gateway's too,
    /// which the servers here always do).
    pub verification: Verification,
}

impl PortPolicy {
    /// Port 4116: TLS and a certificate; any other port: plain, and the allow-list.
    pub fn default_for(port: u16) -> PortPolicy {
        if port == SECURE_PORT {
            PortPolicy {
                tls: true,
                verification: Verification::Certificate,
            }
        } else {
            PortPolicy {
                tls: false,
                verification: Verification::AllowList,
            }
        }
    }

    fn requires_certificate(self) -> bool {
        matches!(
            self.verification,
            Verification::Certificate | Verification::Mutual
        )
    }
}

/// The gateway's identity in TLS.
pub const GATEWAY_IDENTITY: &str = "gateway.phone.example";

/// TLS on one channel: the session and the plaintext the card has not taken yet.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Secured {
    session: TlsSession,
    plaintext: VecDeque<u8>,
    /// The handshake verified the server's certificate and the card has been told.
    announced: bool,
}

/// A channel's transport.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Transport {
    Tcp(Handle),
    Udp(Handle),
    /// The phone's own browser, connected through the loopback address.
    Local,
}

/// How the gateway names the phone's own browser as a channel's peer.
pub const LOCAL_PEER: &str = "the phone's browser (127.0.0.1, local)";

/// The phone's network side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetSide {
    host: Host,
    admission: Admission,
    /// A PDP context was asked for and not answered yet.
    activating: bool,
    /// Listening ports and their channels.
    listeners: BTreeMap<u16, u8>,
    /// Each channel's connection or socket.
    transports: BTreeMap<u8, Transport>,
    /// Connects waiting for the IP session.
    waiting: Vec<NetRequest>,
    /// Bytes the card sent that the connection's send buffer could not take yet.
    unsent: BTreeMap<u8, VecDeque<u8>>,
    /// Connections refused by the admission check or by TLS.
    refused: u64,
    /// TLS on the channels of secure ports.
    secured: BTreeMap<u8, Secured>,
    /// Why the last TLS handshake failed, in words.
    last_tls_error: Option<String>,
    /// Ports whose policy the server reconfigured (patent step S600); the others follow
    /// [`PortPolicy::default_for`].
    policies: BTreeMap<u16, PortPolicy>,
    /// What the last configuration message did, in words.
    last_configuration: Option<String>,
    /// Channels whose peer has finished (FIN) while bytes it sent still wait in the
    /// connection: the card hears of the FIN after the last of them.
    finishing: BTreeSet<u8>,
}

impl Default for NetSide {
    fn default() -> Self {
        NetSide {
            host: Host::new(NodeId::Phone, None, PHONE_SECRET),
            admission: Admission::default(),
            activating: false,
            listeners: BTreeMap::new(),
            transports: BTreeMap::new(),
            waiting: Vec::new(),
            unsent: BTreeMap::new(),
            refused: 0,
            secured: BTreeMap::new(),
            last_tls_error: None,
            policies: BTreeMap::new(),
            last_configuration: None,
            finishing: BTreeSet::new(),
        }
    }
}

/// The key of the phone's initial sequence numbers (RFC 6528).
const PHONE_SECRET: u64 = 0x7068_6f6e_6520_6b65;

/// The name of a server address, or the address itself.
pub fn peer_name(address: [u8; 4]) -> String {
    SERVER_ADDRESSES
        .iter()
        .find(|(_, a)| *a == address)
        .map(|(name, _)| format!("{name} ({})", address_text(address)))
        .unwrap_or_else(|| address_text(address))
}

impl NetSide {
    /// The phone's IP address, once it has a session.
    pub fn address(&self) -> Option<[u8; 4]> {
        self.host.address()
    }

    pub fn host(&self) -> &Host {
        &self.host
    }

    pub fn admission(&self) -> &Admission {
        &self.admission
    }

    /// Connections the admission check or TLS refused.
    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// Why the last TLS handshake failed, in words.
    pub fn last_tls_error(&self) -> Option<&str> {
        self.last_tls_error.as_deref()
    }

    /// Whether a server at `source` is refused on `port` by the allow-list (counted);
    /// ports checked by certificate, or not at all, refuse nobody here.
    pub(super) fn refuses(&mut self, port: u16, source: [u8; 4]) -> bool {
        let checked = self.policy(port).verification == Verification::AllowList;
        let refused = checked && !self.admission.admits(source);
        self.refused += u64::from(refused);
        refused
    }

    /// Refuses `segment` from `source` with a RST, sent with the host's next packets.
    pub(super) fn refuse(&mut self, segment: &TcpSegment, source: [u8; 4]) {
        self.host.refuse(segment, source);
    }

    /// The channel listening on `port`, if one is.
    pub fn listener(&self, port: u16) -> Option<u8> {
        self.listeners.get(&port).copied()
    }

    /// Who holds listening channel `channel` when it is not free for a new client: its
    /// peer's name, or the state it is in.
    pub(super) fn busy(&self, channel: u8, gateway: &Gateway) -> Option<String> {
        let open = gateway.channel(channel)?;
        if self.transports.contains_key(&channel) || open.state != LinkState::Listen {
            let peer = open.peer.clone();
            return Some(peer.unwrap_or_else(|| open.state.describe().to_string()));
        }
        None
    }

    /// The phone's browser takes listening channel `channel` (see [`super::browser`]).
    pub(super) fn connect_local(&mut self, channel: u8) {
        self.transports.insert(channel, Transport::Local);
    }

    /// The policy of listening port `port`.
    pub fn policy(&self, port: u16) -> PortPolicy {
        self.policies
            .get(&port)
            .copied()
            .unwrap_or_else(|| PortPolicy::default_for(port))
    }

    /// What the last configuration message did, in words.
    pub fn last_configuration(&self) -> Option<&str> {
        self.last_configuration.as_deref()
    }

    /// Applies a configuration message (patent step S600) from `sender`: the parameters
    /// of the SCWS administration format ([`crate::card::scws_admin`]): `80` the port,
    /// `82` secure (TLS) or not, `84` the verification level. Only the operator's
    /// server may configure the gateway; a message from anyone else, or one that does
    /// not decode or names no port, changes nothing.
    pub fn configure(&mut self, sender: &str, body: &[u8]) {
        let words = if sender != SERVER_ADDRESS {
            format!("ignored a configuration from {sender}: not the operator's server")
        } else {
            match Settings::parse(body) {
                Ok(Settings {
                    port: Some(port),
                    secure,
                    verification,
                    ..
                }) => {
                    let mut policy = self.policy(port);
                    if let Some(secure) = secure {
                        policy.tls = secure;
                    }
                    if let Some(verification) = verification {
                        policy.verification = verification;
                    }
                    // A certificate can only be checked in TLS.
                    policy.tls |= policy.requires_certificate();
                    self.policies.insert(port, policy);
                    format!(
                        "port {port}: {}, verification {}",
                        if policy.tls { "TLS" } else { "plain TCP" },
                        policy.verification.name()
                    )
                }
                Ok(_) => "ignored a configuration that names no port".to_string(),
                Err(error) => format!("ignored a configuration that does not decode: {error:?}"),
            }
        };
        self.last_configuration = Some(words);
    }
}

impl Phone {
    /// Handles a message for the network side; `None` when it is not one.
    pub(super) fn network_message(
        &mut self,
        now: Instant,
        payload: &Payload,
    ) -> Option<Vec<Message>> {
        let mut out = Vec::new();
        match payload {
            Payload::Ip(packet) => match self.unwanted_syn(packet) {
                Some((segment, source)) => self.net.host.refuse(&segment, source),
                None => self.net.host.receive(now, packet),
            },
            Payload::Timer(at) => self.net.host.on_timer(now, *at),
            Payload::SessionInitiation => out.extend(self.activate(None)),
            Payload::Action(Action::Browse(path)) => out.extend(self.browse(now, path)),
            Payload::PdpAccept { address, .. } => {
                self.net.activating = false;
                out.extend(self.session_changed(now, Some(*address)));
                for request in std::mem::take(&mut self.net.waiting) {
                    out.extend(self.carry_out(now, request));
                }
            }
            Payload::PdpDeactivate { .. } => {
                self.net.activating = false;
                out.extend(self.session_changed(now, None));
            }
            _ => return None,
        }
        Some(out)
    }

    /// Carries out the gateway's requests and the host's events until nothing more
    /// happens; returns the messages to the card and the network.
    pub(super) fn pump_network(&mut self, now: Instant) -> Vec<Message> {
        let mut out = Vec::new();
        loop {
            let requests = self.take_net_requests();
            let events = self.net.host.take_events();
            let mut busy = !requests.is_empty() || !events.is_empty();
            for request in requests {
                out.extend(self.carry_out(now, request));
            }
            for event in events {
                out.extend(self.host_event(now, event));
            }
            busy |= self.flush_unsent();
            busy |= self.reset_orphans();
            let (deliveries, moved) = self.deliver_readable(now);
            out.extend(deliveries);
            busy |= moved;
            let (local, moved) = self.deliver_local(now);
            out.extend(local);
            busy |= moved;
            out.extend(self.announce_finished(now));
            out.extend(self.net.host.transmit(now));
            if !busy {
                return out;
            }
        }
    }

    /// Asks for a PDP context unless there is one or one is being set up.
    fn activate(&mut self, apn: Option<&str>) -> Vec<Message> {
        if self.net.host.address().is_some() || self.net.activating || !self.attached {
            return Vec::new();
        }
        self.net.activating = true;
        vec![Message::new(
            NodeId::Phone,
            NodeId::Network,
            Payload::PdpActivate {
                apn: apn.unwrap_or(DEFAULT_APN).to_string(),
            },
        )]
    }

    /// The IP address changed: every connection on the old one is gone (the browser's
    /// local connection needs none and stays).
    fn session_changed(&mut self, now: Instant, address: Option<[u8; 4]>) -> Vec<Message> {
        self.net.host.set_address(address);
        let channels: Vec<u8> = self
            .net
            .transports
            .iter()
            .filter(|(_, t)| **t != Transport::Local)
            .map(|(c, _)| *c)
            .collect();
        self.net.transports.retain(|_, t| *t == Transport::Local);
        self.net.unsent.clear();
        let mut out = Vec::new();
        for channel in channels {
            out.extend(self.network_indication(now, NetIndication::Reset { channel }));
        }
        out
    }

    fn carry_out(&mut self, now: Instant, request: NetRequest) -> Vec<Message> {
        match request {
            NetRequest::Listen { channel, port } => {
                let config = self.channel_config(channel);
                self.net.host.listen(port, config);
                self.net.listeners.insert(port, channel);
                Vec::new()
            }
            NetRequest::StopListening { channel } => {
                self.net.listeners.retain(|port, c| {
                    let keep = *c != channel;
                    if !keep {
                        self.net.host.unlisten(*port);
                    }
                    keep
                });
                Vec::new()
            }
            NetRequest::Connect { .. } if self.net.host.address().is_none() => {
                let apn = match &request {
                    NetRequest::Connect { apn, .. } => apn.clone(),
                    _ => None,
                };
                self.net.waiting.push(request);
                let out = self.activate(apn.as_deref());
                if out.is_empty() && !self.net.activating {
                    // Not attached: no IP session can be had.
                    let channel = match self.net.waiting.pop() {
                        Some(NetRequest::Connect { channel, .. }) => channel,
                        _ => return Vec::new(),
                    };
                    return self.network_indication(
                        now,
                        NetIndication::ConnectFailed {
                            channel,
                            reason: ConnectFailure::NetworkUnable,
                        },
                    );
                }
                out
            }
            NetRequest::Connect {
                channel,
                protocol,
                address,
                port,
                ..
            } => {
                let remote = Endpoint {
                    addr: address,
                    port,
                };
                match protocol {
                    Protocol::Tcp => {
                        let config = self.channel_config(channel);
                        if let Some(handle) = self.net.host.connect(now, remote, config) {
                            self.net.transports.insert(channel, Transport::Tcp(handle));
                        }
                        Vec::new()
                    }
                    Protocol::Udp => match self.net.host.bind_udp(remote) {
                        Some(handle) => {
                            self.net.transports.insert(channel, Transport::Udp(handle));
                            self.network_indication(now, NetIndication::Connected { channel })
                        }
                        None => Vec::new(),
                    },
                }
            }
            NetRequest::Send { channel, bytes } => match self.net.transports.get(&channel) {
                Some(Transport::Tcp(_)) => {
                    let bytes = match self.net.secured.get_mut(&channel) {
                        Some(secured) => {
                            // A write after a failure is refused by the session; the
                            // connection is being torn down then anyway.
                            let _ = secured.session.write(&bytes);
                            secured.session.take_outgoing()
                        }
                        None => bytes,
                    };
                    self.net.unsent.entry(channel).or_default().extend(bytes);
                    self.flush_unsent();
                    Vec::new()
                }
                Some(Transport::Udp(handle)) => {
                    let handle = *handle;
                    self.net
                        .host
                        .send_datagram(handle, bytes)
                        .into_iter()
                        .collect()
                }
                Some(Transport::Local) => {
                    self.browser.receive(&bytes);
                    Vec::new()
                }
                None => Vec::new(),
            },
            NetRequest::Close { channel } => {
                self.net.finishing.remove(&channel);
                let mut last = Vec::new();
                if let Some(mut secured) = self.net.secured.remove(&channel) {
                    secured.session.close();
                    last = secured.session.take_outgoing();
                }
                let mut pending = self.net.unsent.remove(&channel).unwrap_or_default();
                pending.extend(last);
                match self.net.transports.remove(&channel) {
                    Some(Transport::Tcp(handle)) => {
                        if let Some(connection) = self.net.host.connection_mut(handle) {
                            // Bytes the card will never read: the peer learns it by a
                            // reset, as from any application that closes with unread
                            // data (RFC 9293 §3.10.4, RFC 2525 §2.17).
                            if connection.readable() > 0 {
                                connection.abort();
                                return Vec::new();
                            }
                            // Whatever the send buffer cannot take now is lost with the
                            // channel: the card closed it.
                            let (front, back) = pending.as_slices();
                            let taken = connection.write(front);
                            if taken == front.len() {
                                connection.write(back);
                            }
                            connection.close();
                        }
                    }
                    Some(Transport::Udp(handle)) => self.net.host.unbind_udp(handle),
                    Some(Transport::Local) => self.browser.closed(now),
                    None => {}
                }
                Vec::new()
            }
        }
    }

    /// A SYN for a listening channel that the gateway refuses (patent module 50): on an
    /// insecure port from a server the admission check does not admit, or for a
    /// channel that already has its peer. It is answered with a RST and never reaches the card.
    fn unwanted_syn(&mut self, packet: &[u8]) -> Option<(TcpSegment, [u8; 4])> {
        let packet = Ipv4Packet::parse(packet).ok()?;
        if Some(packet.dst) != self.net.host.address() {
            return None;
        }
        let segment = packet.parse_tcp().ok()?;
        let syn = segment.flags.contains(TcpFlags::SYN) && !segment.flags.contains(TcpFlags::ACK);
        let channel = *self.net.listeners.get(&segment.dst_port)?;
        let remote = Endpoint {
            addr: packet.src,
            port: segment.src_port,
        };
        if !syn || self.net.host.owner(segment.dst_port, remote).is_some() {
            return None;
        }
        // A channel takes a new peer only while it listens: after a link dropped, not
        // before the card has closed it back to LISTEN.
        let listening = self
            .gateway
            .channel(channel)
            .is_some_and(|c| c.state == LinkState::Listen);
        if !self.net.refuses(segment.dst_port, packet.src)
            && listening
            && !self.net.transports.contains_key(&channel)
        {
            return None;
        }
        Some((segment, packet.src))
    }

    /// TCP settings for `channel`'s connection: a receive buffer as large as the
    /// channel's, so the window closes when the card does not keep up.
    fn channel_config(&self, channel: u8) -> Config {
        let buffer = self
            .gateway
            .channel(channel)
            .map_or(1400, |c| usize::from(c.buffer_size));
        Config {
            receive_buffer: buffer,
            ..Config::default()
        }
    }

    fn channel_of(&self, handle: Handle) -> Option<u8> {
        self.net
            .transports
            .iter()
            .find(|(_, t)| matches!(t, Transport::Tcp(h) | Transport::Udp(h) if *h == handle))
            .map(|(c, _)| *c)
    }

    fn host_event(&mut self, now: Instant, event: HostEvent) -> Vec<Message> {
        match event {
            HostEvent::Accepted { handle, port, .. } => {
                if let Some(channel) = self.net.listeners.get(&port).copied() {
                    self.net.transports.insert(channel, Transport::Tcp(handle));
                    let policy = self.net.policy(port);
                    if policy.tls {
                        self.secure(now, channel, handle, policy.requires_certificate());
                    }
                }
                Vec::new()
            }
            HostEvent::Connection { handle, event } => {
                let Some(channel) = self.channel_of(handle) else {
                    return Vec::new();
                };
                let server_mode = matches!(
                    self.gateway.channel(channel).map(|c| &c.mode),
                    Some(Mode::Server { .. })
                );
                let secured = self.net.secured.contains_key(&channel);
                let indication = match event {
                    // A secure channel is announced once TLS has verified the server.
                    ConnectionEvent::Established if secured => return Vec::new(),
                    ConnectionEvent::Established if server_mode => {
                        let peer = self
                            .net
                            .host
                            .connection(handle)
                            .and_then(|c| c.remote())
                            .map(|r| peer_name(r.addr))
                            .unwrap_or_default();
                        NetIndication::PeerConnected {
                            channel,
                            peer,
                            secure: false,
                        }
                    }
                    ConnectionEvent::Established => NetIndication::Connected { channel },
                    ConnectionEvent::PeerFinished => {
                        self.net.finishing.insert(channel);
                        return Vec::new();
                    }
                    ConnectionEvent::Reset | ConnectionEvent::TimedOut => {
                        let was_up = self.gateway.channel(channel).is_some_and(|c| {
                            matches!(c.state, LinkState::Established | LinkState::Dropped)
                        });
                        self.net.transports.remove(&channel);
                        self.net.unsent.remove(&channel);
                        self.net.secured.remove(&channel);
                        self.net.finishing.remove(&channel);
                        match (was_up, server_mode) {
                            (true, _) => NetIndication::Reset { channel },
                            // A handshake that never completed: the card never heard of it.
                            (false, true) => return Vec::new(),
                            (false, false) => NetIndication::ConnectFailed {
                                channel,
                                reason: ConnectFailure::Unreachable,
                            },
                        }
                    }
                    ConnectionEvent::Readable | ConnectionEvent::Closed => return Vec::new(),
                };
                self.network_indication(now, indication)
            }
            HostEvent::Datagram { handle, payload } => match self.channel_of(handle) {
                Some(channel) => {
                    let room = self.receive_space(channel).min(payload.len());
                    let bytes = payload[..room].to_vec();
                    self.network_indication(now, NetIndication::Received { channel, bytes })
                }
                None => Vec::new(),
            },
        }
    }

    /// Moves waiting bytes of the card into their connections' send buffers; whether any
    /// moved.
    fn flush_unsent(&mut self) -> bool {
        let mut moved = false;
        for (channel, bytes) in &mut self.net.unsent {
            let Some(Transport::Tcp(handle)) = self.net.transports.get(channel) else {
                continue;
            };
            let Some(connection) = self.net.host.connection_mut(*handle) else {
                continue;
            };
            let (front, _) = bytes.as_slices();
            let taken = connection.write(front);
            bytes.drain(..taken);
            moved |= taken > 0;
        }
        self.net.unsent.retain(|_, bytes| !bytes.is_empty());
        moved
    }

    /// Resets the connections no channel reads any more (the card closed the channel)
    /// that received data after the close: nobody will read it, and a window that never
    /// opens again would leave the peer probing for ever. Whether any was reset.
    fn reset_orphans(&mut self) -> bool {
        let owned: Vec<Handle> = self
            .net
            .transports
            .values()
            .filter_map(|t| match t {
                Transport::Tcp(h) => Some(*h),
                _ => None,
            })
            .collect();
        let orphans: Vec<Handle> = self
            .net
            .host
            .connections()
            .filter(|(handle, c)| !owned.contains(handle) && c.readable() > 0)
            .map(|(handle, _)| handle)
            .collect();
        for handle in &orphans {
            if let Some(connection) = self.net.host.connection_mut(*handle) {
                connection.abort();
            }
        }
        !orphans.is_empty()
    }

    /// Tells the card of each peer's FIN once every byte before it has reached the
    /// channel.
    fn announce_finished(&mut self, now: Instant) -> Vec<Message> {
        let drained: Vec<u8> = self
            .net
            .finishing
            .iter()
            .copied()
            .filter(|channel| {
                let in_connection = match self.net.transports.get(channel) {
                    Some(Transport::Tcp(handle)) => self
                        .net
                        .host
                        .connection(*handle)
                        .map_or(0, |c| c.readable()),
                    _ => 0,
                };
                let in_tls = self
                    .net
                    .secured
                    .get(channel)
                    .map_or(0, |s| s.plaintext.len());
                in_connection + in_tls == 0
            })
            .collect();
        let mut out = Vec::new();
        for channel in drained {
            self.net.finishing.remove(&channel);
            out.extend(self.network_indication(now, NetIndication::PeerClosed { channel }));
        }
        out
    }

    /// Starts TLS as the server on `channel`'s new connection `handle`.
    fn secure(&mut self, now: Instant, channel: u8, handle: Handle, certificate: bool) {
        let Some(identity) = tls::identity(GATEWAY_IDENTITY) else {
            return;
        };
        let settings = ServerSettings {
            identity,
            client_ca: tls::demo_ca_der().to_vec(),
            require_client_certificate: certificate,
        };
        let entropy = now.as_micros() ^ u64::from(handle) << 48 ^ PHONE_SECRET;
        match TlsSession::server(settings, entropy, unix_time(now)) {
            Ok(session) => {
                self.net.secured.insert(
                    channel,
                    Secured {
                        session,
                        plaintext: VecDeque::new(),
                        announced: false,
                    },
                );
            }
            Err(error) => self.net.last_tls_error = Some(error.to_string()),
        }
    }

    /// Hands the channels the bytes their connections hold, as much as each channel can
    /// take now; whether any moved. On a secure channel the ciphertext goes through TLS
    /// first, and is read from TCP only once the card has taken the plaintext before it.
    fn deliver_readable(&mut self, now: Instant) -> (Vec<Message>, bool) {
        let mut out = Vec::new();
        let mut moved = false;
        let tcp: Vec<(u8, Handle)> = self
            .net
            .transports
            .iter()
            .filter_map(|(c, t)| match t {
                Transport::Tcp(h) => Some((*c, *h)),
                Transport::Udp(_) | Transport::Local => None,
            })
            .collect();
        for (channel, handle) in tcp {
            let room = self.receive_space(channel);
            let Some(connection) = self.net.host.connection_mut(handle) else {
                continue;
            };
            let Some(secured) = self.net.secured.get_mut(&channel) else {
                if room == 0 || connection.readable() == 0 {
                    continue;
                }
                let bytes = connection.read(room);
                moved = true;
                out.extend(
                    self.network_indication(now, NetIndication::Received { channel, bytes }),
                );
                continue;
            };
            if secured.plaintext.is_empty() && connection.readable() > 0 {
                let ciphertext = connection.read(connection.readable());
                moved = true;
                let result = secured.session.receive(&ciphertext);
                secured.plaintext.extend(secured.session.read());
                let reply = secured.session.take_outgoing();
                connection.write(&reply);
                if let Err(error) = result {
                    // The handshake failed (or the records are bad): the alert goes out,
                    // then the connection ends; the card never heard of it, or hears
                    // the link drop.
                    connection.abort();
                    self.net.refused += u64::from(!secured.announced);
                    self.net.last_tls_error = Some(error.to_string());
                    let announced = secured.announced;
                    self.net.secured.remove(&channel);
                    self.net.transports.remove(&channel);
                    if announced {
                        out.extend(self.network_indication(now, NetIndication::Reset { channel }));
                    }
                    continue;
                }
            }
            let Some(secured) = self.net.secured.get_mut(&channel) else {
                continue;
            };
            if !secured.announced && !secured.session.is_handshaking() {
                secured.announced = true;
                let peer = secured.session.peer_name().unwrap_or_default();
                moved = true;
                out.extend(self.network_indication(
                    now,
                    NetIndication::PeerConnected {
                        channel,
                        peer,
                        secure: true,
                    },
                ));
            }
            let room = self.receive_space(channel);
            let Some(secured) = self.net.secured.get_mut(&channel) else {
                continue;
            };
            if secured.announced && room > 0 && !secured.plaintext.is_empty() {
                let take = room.min(secured.plaintext.len());
                let bytes: Vec<u8> = secured.plaintext.drain(..take).collect();
                moved = true;
                out.extend(
                    self.network_indication(now, NetIndication::Received { channel, bytes }),
                );
            }
        }
        (out, moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_operators_server_configures_the_gateway() {
        let mut net = NetSide::default();
        net.configure("+12025550999", &[0x80, 0x02, 0x0D, 0xBC, 0x84, 0x01, 0x00]);
        assert_eq!(net.policy(3516), PortPolicy::default_for(3516));
        assert!(net
            .last_configuration()
            .unwrap()
            .contains("not the operator's server"));
        net.configure(SERVER_ADDRESS, &[0x84, 0x01, 0x00]);
        assert!(net.last_configuration().unwrap().contains("names no port"));
        net.configure(SERVER_ADDRESS, &[0x80, 0x03]);
        assert!(net
            .last_configuration()
            .unwrap()
            .contains("does not decode"));
        assert_eq!(net.policy(3516), PortPolicy::default_for(3516));
    }

    #[test]
    fn a_certificate_needs_tls_and_4116_has_it_by_default() {
        let mut net = NetSide::default();
        assert_eq!(
            net.policy(SECURE_PORT),
            PortPolicy {
                tls: true,
                verification: Verification::Certificate
            }
        );
        net.configure(
            SERVER_ADDRESS,
            &[0x80, 0x02, 0x13, 0x88, 0x82, 0x01, 0x00, 0x84, 0x01, 0x03],
        );
        assert_eq!(
            net.policy(5000),
            PortPolicy {
                tls: true,
                verification: Verification::Mutual
            }
        );
    }
}
