//! An IP host: the TCP connections and UDP sockets of one node (the server, the phone's
//! gateway), the IPv4 packets they send, and the one timer they need.
//!
//! The node owns a [`Host`] and, on each message it handles, feeds it the packets it
//! received ([`Host::receive`]) and its timer ([`Host::on_timer`]), reads what happened
//! ([`Host::take_events`]), reads and writes its connections, then collects what to send
//! ([`Host::transmit`]): IPv4 packets to the network and, when the earliest deadline of
//! its connections moved, a timer message to itself.
//!
//! Initial sequence numbers follow RFC 6528: a clock component (the logical time in
//! 4 µs units) plus a keyed hash of the connection's addresses and ports, so they are
//! unpredictable to an outsider yet deterministic for the world. A SYN for a port nobody
//! listens on, and any other segment no connection owns, is answered with a RST (RFC 9293
//! §3.10.7.1).

use super::tcp::{reset_for, Config, Connection, ConnectionEvent, Endpoint, TcpState};
use crate::sim::{Instant, Message, NodeId, Payload};
use crate::wire::ipv4::{Ipv4Packet, PROTOCOL_TCP, PROTOCOL_UDP};
use crate::wire::tcp::{TcpFlags, TcpSegment};
use crate::wire::udp::UdpDatagram;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Names one connection or socket of a host.
pub type Handle = u32;

/// The first ephemeral port (IANA's dynamic range, RFC 6335 §6).
pub const FIRST_EPHEMERAL_PORT: u16 = 49_152;

/// What happened on the host, for the node that owns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostEvent {
    /// A SYN to listening port `port` opened connection `handle` from `remote`; the
    /// handshake is under way.
    Accepted {
        handle: Handle,
        port: u16,
        remote: Endpoint,
    },
    /// Something happened on connection `handle`.
    Connection {
        handle: Handle,
        event: ConnectionEvent,
    },
    /// A datagram arrived on UDP socket `handle`.
    Datagram { handle: Handle, payload: Vec<u8> },
}

/// A UDP socket bound to a remote endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
struct UdpSocket {
    local_port: u16,
    remote: Endpoint,
}

/// The connections and sockets of one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    node: NodeId,
    /// The node's IPv4 address; none until the network gave one (the phone's PDP context).
    address: Option<[u8; 4]>,
    /// Keys the initial sequence numbers (RFC 6528's secret key).
    secret: u64,
    connections: BTreeMap<Handle, Connection>,
    sockets: BTreeMap<Handle, UdpSocket>,
    /// Listening ports, with the configuration of the connections they accept.
    listening: BTreeMap<u16, Config>,
    next_handle: Handle,
    next_port: u16,
    /// The timer message in flight, if any.
    armed: Option<Instant>,
    events: Vec<HostEvent>,
    /// RSTs for segments nobody owns, not sent yet.
    pending_packets: Vec<Vec<u8>>,
    /// Segments answered with a RST because no connection owned them.
    refused: u64,
}

impl Host {
    /// A host for `node` at `address` (none yet for the phone), its sequence numbers keyed
    /// by `secret`.
    pub fn new(node: NodeId, address: Option<[u8; 4]>, secret: u64) -> Host {
        Host {
            node,
            address,
            secret,
            connections: BTreeMap::new(),
            sockets: BTreeMap::new(),
            listening: BTreeMap::new(),
            next_handle: 1,
            next_port: FIRST_EPHEMERAL_PORT,
            armed: None,
            events: Vec::new(),
            pending_packets: Vec::new(),
            refused: 0,
        }
    }

    pub fn address(&self) -> Option<[u8; 4]> {
        self.address
    }

    /// Segments answered with a RST so far.
    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// The host's address changed (an IP session began, or ended with `None`). Every
    /// connection and socket on the old address is gone, without a segment: the
    /// handles are returned so the node can tell their users.
    pub fn set_address(&mut self, address: Option<[u8; 4]>) -> Vec<Handle> {
        if self.address == address {
            return Vec::new();
        }
        self.address = address;
        let gone: Vec<Handle> = self
            .connections
            .keys()
            .chain(self.sockets.keys())
            .copied()
            .collect();
        self.connections.clear();
        self.sockets.clear();
        gone
    }

    /// Accept connections on `port`, each with `config`.
    pub fn listen(&mut self, port: u16, config: Config) {
        self.listening.insert(port, config);
    }

    /// Stop accepting on `port`; connections already accepted stay.
    pub fn unlisten(&mut self, port: u16) {
        self.listening.remove(&port);
    }

    /// Opens a connection to `remote` from the next ephemeral port; `None` without an
    /// address.
    pub fn connect(&mut self, now: Instant, remote: Endpoint, config: Config) -> Option<Handle> {
        let local = Endpoint {
            addr: self.address?,
            port: self.ephemeral_port(),
        };
        let iss = self.iss(now, local, remote);
        let handle = self.handle();
        self.connections
            .insert(handle, Connection::connect(local, remote, iss, config));
        Some(handle)
    }

    /// Binds a UDP socket to `remote` from the next ephemeral port; `None` without an
    /// address.
    pub fn bind_udp(&mut self, remote: Endpoint) -> Option<Handle> {
        self.address?;
        let local_port = self.ephemeral_port();
        let handle = self.handle();
        self.sockets
            .insert(handle, UdpSocket { local_port, remote });
        Some(handle)
    }

    /// The packet that sends `payload` on UDP socket `handle` now; `None` when there is
    /// no such socket or no address.
    pub fn send_datagram(&mut self, handle: Handle, payload: Vec<u8>) -> Option<Message> {
        let socket = self.sockets.get(&handle)?;
        let address = self.address?;
        let datagram = UdpDatagram {
            src_port: socket.local_port,
            dst_port: socket.remote.port,
            payload,
        };
        let packet = Ipv4Packet::udp(address, socket.remote.addr, &datagram);
        Some(self.to_network(packet.emit()))
    }

    /// Forgets UDP socket `handle`.
    pub fn unbind_udp(&mut self, handle: Handle) {
        self.sockets.remove(&handle);
    }

    pub fn connection(&self, handle: Handle) -> Option<&Connection> {
        self.connections.get(&handle)
    }

    pub fn connection_mut(&mut self, handle: Handle) -> Option<&mut Connection> {
        self.connections.get_mut(&handle)
    }

    /// The connections, by handle.
    pub fn connections(&self) -> impl Iterator<Item = (Handle, &Connection)> {
        self.connections.iter().map(|(h, c)| (*h, c))
    }

    /// An IPv4 packet from the network. Packets that do not decode, are not for this
    /// host's address, or fail their checksum are dropped, as a real stack drops them.
    pub fn receive(&mut self, now: Instant, bytes: &[u8]) {
        let Ok(packet) = Ipv4Packet::parse(bytes) else {
            return;
        };
        if Some(packet.dst) != self.address {
            return;
        }
        match packet.protocol {
            PROTOCOL_TCP => {
                if let Ok(segment) = packet.parse_tcp() {
                    self.segment(now, packet.src, segment);
                }
            }
            PROTOCOL_UDP => {
                if let Ok(datagram) = packet.parse_udp() {
                    self.datagram(packet.src, datagram);
                }
            }
            _ => {}
        }
    }

    fn segment(&mut self, now: Instant, source: [u8; 4], segment: TcpSegment) {
        let remote = Endpoint {
            addr: source,
            port: segment.src_port,
        };
        let owner = self.owner(segment.dst_port, remote);
        let handle = match owner {
            Some(handle) => handle,
            None => {
                let syn =
                    segment.flags.contains(TcpFlags::SYN) && !segment.flags.contains(TcpFlags::ACK);
                match self.listening.get(&segment.dst_port).cloned() {
                    Some(config) if syn => {
                        let local = Endpoint {
                            addr: self.address.unwrap_or_default(),
                            port: segment.dst_port,
                        };
                        let handle = self.handle();
                        self.connections
                            .insert(handle, Connection::listen(local, config));
                        self.events.push(HostEvent::Accepted {
                            handle,
                            port: segment.dst_port,
                            remote,
                        });
                        handle
                    }
                    _ => {
                        self.refuse(&segment, source);
                        return;
                    }
                }
            }
        };
        let local = self.connections[&handle].local();
        let iss = self.iss(now, local, remote);
        if let Some(connection) = self.connections.get_mut(&handle) {
            connection.on_segment(now, remote, &segment, iss);
        }
    }

    /// The connection on local port `port` with `remote`, if any.
    pub fn owner(&self, port: u16, remote: Endpoint) -> Option<Handle> {
        self.connections
            .iter()
            .find(|(_, c)| c.local().port == port && c.remote() == Some(remote))
            .map(|(h, _)| *h)
    }

    /// Answers `segment` from `source` with a RST instead of handling it: for a segment
    /// nobody owns, and for a SYN the node does not want to accept.
    pub fn refuse(&mut self, segment: &TcpSegment, source: [u8; 4]) {
        let (Some(reply), Some(address)) = (reset_for(segment), self.address) else {
            return;
        };
        self.refused += 1;
        let packet = Ipv4Packet::tcp(address, source, &reply);
        self.pending_packets.push(packet.emit());
    }

    fn datagram(&mut self, source: [u8; 4], datagram: UdpDatagram) {
        let remote = Endpoint {
            addr: source,
            port: datagram.src_port,
        };
        if let Some((handle, _)) = self
            .sockets
            .iter()
            .find(|(_, s)| s.local_port == datagram.dst_port && s.remote == remote)
        {
            self.events.push(HostEvent::Datagram {
                handle: *handle,
                payload: datagram.payload,
            });
        }
    }

    /// The host's timer fired: connections whose deadline has come handle it.
    pub fn on_timer(&mut self, now: Instant, at: Instant) {
        if self.armed == Some(at) {
            self.armed = None;
        }
        for connection in self.connections.values_mut() {
            if connection.next_timeout().is_some_and(|due| due <= now) {
                connection.on_timeout(now);
            }
        }
    }

    /// What happened since the last call: accepted connections, then each connection's
    /// events in handle order.
    pub fn take_events(&mut self) -> Vec<HostEvent> {
        let mut events = std::mem::take(&mut self.events);
        for (handle, connection) in &mut self.connections {
            events.extend(connection.take_events().into_iter().map(|event| {
                HostEvent::Connection {
                    handle: *handle,
                    event,
                }
            }));
        }
        events
    }

    /// Everything due now: the connections' segments as IPv4 packets to the network,
    /// and a timer message when the earliest deadline is earlier than the one armed.
    /// Connections that reached CLOSED are forgotten once their last segment is out;
    /// their last events wait for the next [`Host::take_events`].
    pub fn transmit(&mut self, now: Instant) -> Vec<Message> {
        let mut packets = std::mem::take(&mut self.pending_packets);
        if let Some(address) = self.address {
            for connection in self.connections.values_mut() {
                let Some(remote) = connection.remote() else {
                    continue;
                };
                for segment in connection.poll_transmit(now) {
                    packets.push(Ipv4Packet::tcp(address, remote.addr, &segment).emit());
                }
            }
        }
        let closed: Vec<Handle> = self
            .connections
            .iter()
            // A connection back in LISTEN after a reset in SYN-RECEIVED is over too: the
            // host itself listens.
            .filter(|(_, c)| matches!(c.state(), TcpState::Closed | TcpState::Listen))
            .map(|(h, _)| *h)
            .collect();
        for handle in closed {
            if let Some(mut connection) = self.connections.remove(&handle) {
                self.events.extend(
                    connection
                        .take_events()
                        .into_iter()
                        .map(|event| HostEvent::Connection { handle, event }),
                );
            }
        }
        let mut out: Vec<Message> = packets.into_iter().map(|p| self.to_network(p)).collect();
        let due = self
            .connections
            .values()
            .filter_map(|c| c.next_timeout())
            .min();
        if let Some(due) = due {
            if self.armed.is_none_or(|armed| due < armed) {
                self.armed = Some(due);
                out.push(Message::timer(self.node, due));
            }
        }
        out
    }

    fn to_network(&self, packet: Vec<u8>) -> Message {
        Message::new(self.node, NodeId::Network, Payload::Ip(packet))
    }

    fn handle(&mut self) -> Handle {
        let handle = self.next_handle;
        self.next_handle += 1;
        handle
    }

    fn ephemeral_port(&mut self) -> u16 {
        let port = self.next_port;
        self.next_port = self
            .next_port
            .checked_add(1)
            .unwrap_or(FIRST_EPHEMERAL_PORT);
        port
    }

    /// RFC 6528 §3: ISN = M + F(local, remote, secret), M the clock in 4 µs ticks, F the
    /// first four bytes of SHA-256 over the key and the connection's identity.
    fn iss(&self, now: Instant, local: Endpoint, remote: Endpoint) -> u32 {
        let mut hash = Sha256::new();
        hash.update(self.secret.to_be_bytes());
        hash.update(local.addr);
        hash.update(local.port.to_be_bytes());
        hash.update(remote.addr);
        hash.update(remote.port.to_be_bytes());
        let digest = hash.finalize();
        let keyed = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
        keyed.wrapping_add((now.as_micros() / 4) as u32)
    }
}
