//! The server's TCP sessions with the phone's gateway (patent steps S400–S500): locate
//! the phone through the push proxy gateway (PO-TCP), connect to the port the card
//! listens on, send, collect what comes back, close.
//!
//! ```text
//!   ServerConnect ──▶ Locating ──PushLocated(address)──▶ Connecting ──SYN-ACK──▶ Open
//!        │ (address known)          │ (unreachable)          │ RST / timeout     │ FIN from the card
//!        └──────────────▶ Connecting └──▶ Failed              └──▶ Failed        └──▶ Finished
//! ```
//!
//! The server also accepts the card's own connections (client mode, claim 3) on
//! [`ADMIN_PORT`]: it reads the card's request and answers [`ADMIN_DONE`].
//!
//! The server answers from several addresses, one per administration server identity
//! ([`SERVER_ADDRESSES`]): each identity is a [`Host`] of its own, so the gateway sees
//! (and may refuse) each by its source address.

use crate::net::host::{Handle, Host, HostEvent};
use crate::net::ip::SERVER_ADDRESSES;
use crate::net::tcp::{Config, ConnectionEvent, Endpoint, TcpState};
use crate::net::tls::{self, ClientSettings, TlsSession};
use crate::net::{unix_time, PHONE_NUMBER};
use crate::phone::link::GATEWAY_IDENTITY;
use crate::sim::{Instant, Message, NodeId, Payload};
use crate::wire::http::message_len;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// What the user asks of a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectRequest {
    /// The administration server identity to connect as (a name of [`SERVER_ADDRESSES`]).
    pub server: String,
    /// The port the card listens on.
    pub port: u16,
    /// Bytes to send once connected (an HTTP request, …).
    pub send: Vec<u8>,
    /// Speak TLS: present the identity's client certificate and verify the gateway's
    /// against the demo CA ([`crate::net::tls`]).
    #[serde(default)]
    pub secure: bool,
}

/// Where a session is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionState {
    /// Waiting for the push proxy gateway's answer.
    Locating,
    /// The SYN is out.
    Connecting,
    /// Connected: data both ways.
    Open,
    /// The card's side finished (FIN); everything it sent is in.
    Finished,
    /// Refused, reset, unreachable or timed out; the reason in words.
    Failed(String),
}

/// One session with the phone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: u32,
    pub request: ConnectRequest,
    pub state: SessionState,
    /// Everything received, in order.
    pub received: Vec<u8>,
    /// The phone's address and port, once known.
    pub remote: Option<Endpoint>,
    handle: Option<Handle>,
    /// Bytes to send not yet taken by the connection (or by TLS): `request.send`, then
    /// whatever [`Sessions::write`] adds.
    outbox: VecDeque<u8>,
    /// Close once everything queued is out.
    closing: bool,
    /// TLS, once the connection is up, on a secure session.
    tls: Option<TlsSession>,
    /// TLS records not yet taken by the connection.
    ciphertext: Vec<u8>,
    /// The card connected to the server (client mode), rather than the other way.
    pub inbound: bool,
}

/// The sessions of the server node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sessions {
    hosts: BTreeMap<String, Host>,
    sessions: Vec<Session>,
    /// The phone's address as the push proxy gateway last gave it.
    phone_address: Option<[u8; 4]>,
}

impl Default for Sessions {
    fn default() -> Self {
        let hosts = SERVER_ADDRESSES
            .iter()
            .enumerate()
            .map(|(i, (name, address))| {
                let mut host = Host::new(NodeId::Server, Some(*address), SERVER_SECRET + i as u64);
                host.listen(ADMIN_PORT, Config::default());
                (name.to_string(), host)
            })
            .collect();
        Sessions {
            hosts,
            sessions: Vec::new(),
            phone_address: None,
        }
    }
}

/// TLS as the client for server identity `name` on session `id`: its own certificate,
/// the gateway verified against the demo CA. `None` when the identity has no
/// certificate.
fn start_tls(now: Instant, name: &str, id: u32) -> Option<TlsSession> {
    let settings = ClientSettings {
        identity: Some(tls::identity(name)?),
        trust_ca: Some(tls::demo_ca_der().to_vec()),
        server_name: GATEWAY_IDENTITY.to_string(),
    };
    let entropy = SERVER_SECRET ^ now.as_micros() ^ (u64::from(id) << 40);
    TlsSession::client(settings, entropy, unix_time(now)).ok()
}

/// The port the server accepts the card's own connections on (client mode, the patent's
/// claim 3): HTTP.
pub const ADMIN_PORT: u16 = 80;

/// The server's answer to a card's administration request: no more commands, the
/// session ends (GlobalPlatform Amendment B's 204 No Content). The full protocol, with
/// commands in the answers, is the campaigns' work.
pub const ADMIN_DONE: &[u8] =
    b"HTTP/1.1 204 No Content\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\n\r\n";

/// The length of an HTTP request in `bytes` (head and Content-Length body), once it is
/// all there.
fn complete_request(bytes: &[u8]) -> Option<usize> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    let httparse::Status::Complete(head) = request.parse(bytes).ok()? else {
        return None;
    };
    message_len(bytes, head, request.headers)
}

/// The key of the server's initial sequence numbers (RFC 6528).
const SERVER_SECRET: u64 = 0x7365_7276_6572_0001;

impl Sessions {
    pub fn sessions(&self) -> &[Session] {
        &self.sessions
    }

    /// The phone's address as the push proxy gateway last gave it.
    pub fn phone_address(&self) -> Option<[u8; 4]> {
        self.phone_address
    }

    /// The session `id`.
    pub fn session(&self, id: u32) -> Option<&Session> {
        self.sessions.iter().find(|s| s.id == id)
    }

    /// The TCP state of session `id`'s connection, while it has one.
    pub fn tcp_state(&self, id: u32) -> Option<TcpState> {
        let session = self.session(id)?;
        self.hosts
            .get(&session.request.server)?
            .connection(session.handle?)
            .map(|c| c.state())
    }

    /// Starts a session: locate the phone first unless its address is known.
    pub fn connect(&mut self, now: Instant, request: ConnectRequest) -> Vec<Message> {
        let id = self.sessions.len() as u32 + 1;
        let outbox = request.send.iter().copied().collect();
        let known = self.hosts.contains_key(&request.server);
        self.sessions.push(Session {
            id,
            request,
            state: SessionState::Locating,
            received: Vec::new(),
            remote: None,
            handle: None,
            outbox,
            closing: false,
            tls: None,
            ciphertext: Vec::new(),
            inbound: false,
        });
        if !known {
            self.fail(id, "no such server identity");
            return Vec::new();
        }
        match self.phone_address {
            Some(address) => {
                self.open(now, id, address);
                self.pump(now)
            }
            None => vec![Message::new(
                NodeId::Server,
                NodeId::Network,
                Payload::PushLocate {
                    msisdn: PHONE_NUMBER.to_string(),
                },
            )],
        }
    }

    /// Queues `bytes` on session `id`, sent once it is open (after what is queued).
    pub fn write(&mut self, now: Instant, id: u32, bytes: &[u8]) -> Vec<Message> {
        if let Some(session) = self.sessions.iter_mut().find(|s| s.id == id) {
            session.outbox.extend(bytes);
        }
        self.pump(now)
    }

    /// Whether session `id` has sent everything queued.
    pub fn all_sent(&self, id: u32) -> bool {
        self.session(id).is_some_and(|s| s.outbox.is_empty())
    }

    /// Closes session `id` (FIN after what is queued).
    pub fn close(&mut self, now: Instant, id: u32) -> Vec<Message> {
        if let Some(session) = self.sessions.iter_mut().find(|s| s.id == id) {
            session.closing = true;
        }
        self.pump(now)
    }

    /// The push proxy gateway's answer.
    pub fn located(&mut self, now: Instant, address: Option<[u8; 4]>) -> Vec<Message> {
        self.phone_address = address;
        let locating: Vec<u32> = self
            .sessions
            .iter()
            .filter(|s| s.state == SessionState::Locating)
            .map(|s| s.id)
            .collect();
        for id in locating {
            match address {
                Some(address) => self.open(now, id, address),
                None => self.fail(id, "the phone cannot be reached (push proxy gateway)"),
            }
        }
        self.pump(now)
    }

    /// A packet for one of the server's addresses.
    pub fn receive(&mut self, now: Instant, packet: &[u8]) -> Vec<Message> {
        let destination = packet.get(16..20);
        for host in self.hosts.values_mut() {
            if host.address().as_ref().map(|a| &a[..]) == destination {
                host.receive(now, packet);
            }
        }
        self.pump(now)
    }

    /// The server's timer.
    pub fn on_timer(&mut self, now: Instant, at: Instant) -> Vec<Message> {
        for host in self.hosts.values_mut() {
            host.on_timer(now, at);
        }
        self.pump(now)
    }

    fn open(&mut self, now: Instant, id: u32, address: [u8; 4]) {
        let Some(session) = self.sessions.iter_mut().find(|s| s.id == id) else {
            return;
        };
        let remote = Endpoint {
            addr: address,
            port: session.request.port,
        };
        session.remote = Some(remote);
        let Some(host) = self.hosts.get_mut(&session.request.server) else {
            return;
        };
        session.handle = host.connect(now, remote, Config::default());
        session.state = SessionState::Connecting;
    }

    fn fail(&mut self, id: u32, why: &str) {
        if let Some(session) = self.sessions.iter_mut().find(|s| s.id == id) {
            session.state = SessionState::Failed(why.to_string());
        }
    }

    /// Feeds the connections, reads what they hold and reacts to their events, until
    /// nothing more happens; returns the packets and timers to send.
    fn pump(&mut self, now: Instant) -> Vec<Message> {
        let mut out = Vec::new();
        for (name, host) in &mut self.hosts {
            for event in host.take_events() {
                let (handle, event) = match event {
                    HostEvent::Connection { handle, event } => (handle, event),
                    HostEvent::Accepted {
                        handle,
                        port,
                        remote,
                    } => {
                        let id = self.sessions.len() as u32 + 1;
                        self.sessions.push(Session {
                            id,
                            request: ConnectRequest {
                                server: name.clone(),
                                port,
                                send: Vec::new(),
                                secure: false,
                            },
                            state: SessionState::Connecting,
                            received: Vec::new(),
                            remote: Some(remote),
                            handle: Some(handle),
                            outbox: VecDeque::new(),
                            closing: false,
                            tls: None,
                            ciphertext: Vec::new(),
                            inbound: true,
                        });
                        continue;
                    }
                    HostEvent::Datagram { .. } => continue,
                };
                let Some(session) = self
                    .sessions
                    .iter_mut()
                    .find(|s| &s.request.server == name && s.handle == Some(handle))
                else {
                    continue;
                };
                match event {
                    ConnectionEvent::Established => {
                        session.state = SessionState::Open;
                        if session.request.secure {
                            session.tls = start_tls(now, name, session.id);
                        }
                    }
                    ConnectionEvent::PeerFinished => {
                        session.state = SessionState::Finished;
                        if let Some(connection) = host.connection_mut(handle) {
                            connection.close();
                        }
                    }
                    ConnectionEvent::Reset if session.state == SessionState::Connecting => {
                        session.state = SessionState::Failed("connection refused (RST)".into())
                    }
                    // After the card's FIN everything is in: a late RST (our FIN
                    // retransmitted after the phone forgot the connection) changes nothing.
                    ConnectionEvent::Reset | ConnectionEvent::TimedOut
                        if session.state == SessionState::Finished => {}
                    ConnectionEvent::Reset => {
                        session.state = SessionState::Failed("connection reset by the phone".into())
                    }
                    ConnectionEvent::TimedOut => {
                        session.state = SessionState::Failed("no answer: timed out".into())
                    }
                    ConnectionEvent::Readable | ConnectionEvent::Closed => {}
                }
            }
            for session in self
                .sessions
                .iter_mut()
                .filter(|s| &s.request.server == name)
            {
                let Some(connection) = session.handle.and_then(|h| host.connection_mut(h)) else {
                    continue;
                };
                if !session.outbox.is_empty() && session.state == SessionState::Open {
                    session.outbox.make_contiguous();
                    let (pending, _) = session.outbox.as_slices();
                    let taken = match &mut session.tls {
                        Some(tls) => match tls.write(pending) {
                            Ok(()) => pending.len(),
                            Err(_) => 0,
                        },
                        None => connection.write(pending),
                    };
                    session.outbox.drain(..taken);
                }
                if session.closing && session.outbox.is_empty() {
                    session.closing = false;
                    if let Some(tls) = &mut session.tls {
                        tls.close();
                        session.ciphertext.extend(tls.take_outgoing());
                    }
                    let taken = connection.write(&session.ciphertext);
                    session.ciphertext.drain(..taken);
                    connection.close();
                }
                let readable = connection.readable();
                let incoming = connection.read(readable);
                match &mut session.tls {
                    Some(tls) => {
                        if !incoming.is_empty() {
                            if let Err(error) = tls.receive(&incoming) {
                                session.state = SessionState::Failed(format!("TLS: {error}"));
                            }
                        }
                        session.received.extend(tls.read());
                        session.ciphertext.extend(tls.take_outgoing());
                    }
                    None => session.received.extend(incoming),
                }
                if session.inbound
                    && session.state == SessionState::Open
                    && session.request.send.is_empty()
                    && complete_request(&session.received).is_some()
                {
                    session.request.send = ADMIN_DONE.to_vec();
                    connection.write(ADMIN_DONE);
                    connection.close();
                }
                let taken = connection.write(&session.ciphertext);
                session.ciphertext.drain(..taken);
                if matches!(session.state, SessionState::Failed(_)) && session.tls.is_some() {
                    connection.close();
                    session.tls = None;
                }
            }
            out.extend(host.transmit(now));
            // Events raised while transmitting (a connection that just closed) are
            // handled at the next message; none of them sends anything.
        }
        out
    }
}
