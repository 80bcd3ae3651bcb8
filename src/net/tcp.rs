//! A sans-IO TCP endpoint (RFC 9293), simplified but real: what the phone's access
//! gateway and the server run over the operator network.
//!
//! No clock, no randomness, no I/O: every call that depends on time takes `now`, the
//! initial sequence number is a parameter, segments come in through
//! [`Connection::on_segment`] and go out through [`Connection::poll_transmit`]. The
//! caller demultiplexes (one `Connection` per local/remote endpoint pair), wraps the
//! segments in IPv4 packets ([`crate::wire::ipv4::Ipv4Packet::tcp`]) and answers
//! segments for which no connection exists with [`reset_for`].
//!
//! ```text
//!                              ┌────────┐  connect: send SYN
//!                 listen       │ CLOSED │──────────────────────────┐
//!            ┌─────────────────└────────┘                          ▼
//!        ┌────────┐  rcv SYN, send SYN,ACK                    ┌──────────┐
//!        │ LISTEN │──────────────────────┐   rcv SYN,ACK,     │ SYN-SENT │
//!        └────────┘                      ▼   send ACK         └──────────┘
//!                                 ┌──────────┐   ┌─────────────┐  │ rcv SYN (simultaneous
//!                                 │ SYN-RCVD │◀──┼─────────────┼──┘  open), send SYN,ACK
//!                                 └──────────┘   │             │
//!                        rcv ACK of SYN  │       ▼             │
//!                                 ┌─────────────┐  rcv FIN, send ACK  ┌────────────┐
//!                                 │ ESTABLISHED │────────────────────▶│ CLOSE-WAIT │
//!                                 └─────────────┘                     └────────────┘
//!                          close: send FIN │                     close: send FIN │
//!                                 ┌────────────┐  rcv FIN  ┌─────────┐     ┌──────────┐
//!                                 │ FIN-WAIT-1 │──────────▶│ CLOSING │     │ LAST-ACK │
//!                                 └────────────┘ send ACK  └─────────┘     └──────────┘
//!                     rcv ACK of FIN │               rcv ACK of FIN │    rcv ACK of FIN │
//!                                 ┌────────────┐  rcv FIN  ┌───────────┐   ┌────────┐
//!                                 │ FIN-WAIT-2 │──────────▶│ TIME-WAIT │──▶│ CLOSED │
//!                                 └────────────┘ send ACK  └───────────┘   └────────┘
//!                                                      timeout (time_wait_micros)
//! ```
//!
//! What it does:
//! * three-way handshake with the MSS option on SYN and SYN-ACK; the effective MSS is
//!   the smaller of ours and the peer's (536 when the peer sends none, RFC 9293
//!   §3.7.1);
//! * data cut into segments of at most the effective MSS, limited by the peer's
//!   window, a congestion window (RFC 5681 slow start and congestion avoidance, initial
//!   window of §3.1) and the bounded send buffer; cumulative ACKs; the peer's window
//!   taken from acceptable segments only (SND.WL1/SND.WL2, RFC 9293 §3.10.7.4);
//! * receiving: segments trimmed to the window, out-of-order ones kept and delivered
//!   in order, duplicates dropped and acknowledged again; every segment that carries
//!   data or FIN is acknowledged at once (no delayed ACKs);
//! * the advertised window is the free space of the receive buffer (at most 65 535:
//!   no window scaling), so an application that does not [`Connection::read`] closes
//!   it and the sender stops; a larger window is announced only when it grows by at
//!   least min(half the buffer, MSS) (receiver silly window avoidance, RFC 9293
//!   §3.8.6.2.2), and then at once in a window update;
//! * a zero window is probed on a persist timer (starting at the initial RTO, doubling
//!   up to [`MAX_RTO_MICROS`], never giving up while the peer answers) with an empty
//!   segment carrying an already acknowledged sequence number, which any receiver
//!   answers with an ACK that carries its window;
//! * retransmission on timeout from the oldest unacknowledged byte (go-back-N: the
//!   congestion window drops to one segment), the timeout doubling each time up to
//!   [`MAX_RTO_MICROS`] and back to the initial value when new data is acknowledged;
//!   after [`Config::max_retransmissions`] in a row [`ConnectionEvent::TimedOut`] and
//!   an abort (RST); fast retransmit of the oldest segment on the third duplicate ACK
//!   (RFC 5681 §3.2, without the window inflation of fast recovery);
//! * FIN in both directions with the states above; RST checked as RFC 9293
//!   §3.10.7.4 says (exact RCV.NXT resets, any other in-window sequence number gets a
//!   challenge ACK, RFC 5961 §3), and a SYN in a synchronized state gets a challenge
//!   ACK too.
//!
//! What it does not do: round-trip time measurement (the timeout starts at a fixed
//! [`Config::initial_rto_micros`]), Nagle's algorithm, delayed ACKs, window scaling,
//! SACK, timestamps, urgent data. TIME-WAIT lasts [`Config::time_wait_micros`], by
//! default 1 s instead of 2 MSL (4 minutes), so simulated endpoints free up quickly.
//! Data on a SYN or SYN-ACK is ignored (the peer sends it again). A listening
//! connection ignores segments other than a SYN (a real one would answer an ACK with a
//! RST: the caller can, with [`reset_for`]); a passive connection reset in SYN-RECEIVED
//! goes back to LISTEN.

use crate::sim::Instant;
use crate::wire::tcp::{TcpFlags, TcpSegment};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

/// The largest retransmission and persist timeout: 60 s (RFC 6298 §2.5 allows a
/// maximum of at least 60 s).
pub const MAX_RTO_MICROS: u64 = 60_000_000;
/// The MSS assumed when the peer's SYN has no MSS option (RFC 9293 §3.7.1).
pub const DEFAULT_PEER_MSS: u16 = 536;
/// The largest window a header can announce without window scaling.
const MAX_WINDOW: usize = u16::MAX as usize;

/// One end of a connection: an IPv4 address and a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Endpoint {
    pub addr: [u8; 4],
    pub port: u16,
}

impl fmt::Display for Endpoint {
    /// `10.0.0.1:3516`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.addr;
        write!(f, "{a}.{b}.{c}.{d}:{}", self.port)
    }
}

/// Tunables of a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The MSS announced in our SYN: the largest segment data we accept. Default 1460
    /// (a 1500-byte IPv4 MTU less 40 header bytes).
    pub mss: u16,
    /// Receive buffer in bytes; its free space is the advertised window (capped at
    /// 65 535). Default 65 535.
    pub receive_buffer: usize,
    /// Send buffer in bytes: written data not yet acknowledged. Default 65 535.
    pub send_buffer: usize,
    /// The first retransmission timeout. Default 1 s (RFC 6298 §2.1).
    pub initial_rto_micros: u64,
    /// Retransmissions of the same data in a row before giving up. Default 6: with
    /// the doubling timeout, about two minutes (RFC 9293 §3.8.3 asks at least 100 s).
    pub max_retransmissions: u8,
    /// How long TIME-WAIT lasts. Default 1 s (a real stack waits 2 MSL).
    pub time_wait_micros: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mss: 1460,
            receive_buffer: 65_535,
            send_buffer: 65_535,
            initial_rto_micros: 1_000_000,
            max_retransmissions: 6,
            time_wait_micros: 1_000_000,
        }
    }
}

/// The connection states of RFC 9293 §3.3.2 (see the module diagram).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TcpState {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

impl TcpState {
    /// The state's name as RFC 9293 writes it, e.g. `SYN-SENT`.
    pub fn name(self) -> &'static str {
        match self {
            TcpState::Closed => "CLOSED",
            TcpState::Listen => "LISTEN",
            TcpState::SynSent => "SYN-SENT",
            TcpState::SynReceived => "SYN-RECEIVED",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait1 => "FIN-WAIT-1",
            TcpState::FinWait2 => "FIN-WAIT-2",
            TcpState::CloseWait => "CLOSE-WAIT",
            TcpState::Closing => "CLOSING",
            TcpState::LastAck => "LAST-ACK",
            TcpState::TimeWait => "TIME-WAIT",
        }
    }

    /// States in which data and FIN may be (re)sent.
    fn sends_data(self) -> bool {
        matches!(
            self,
            TcpState::Established
                | TcpState::CloseWait
                | TcpState::FinWait1
                | TcpState::Closing
                | TcpState::LastAck
        )
    }

    /// States in which data from the peer is still taken in.
    fn receives_data(self) -> bool {
        matches!(
            self,
            TcpState::Established | TcpState::FinWait1 | TcpState::FinWait2
        )
    }
}

/// What happened, for the application; collected until [`Connection::take_events`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnectionEvent {
    /// The handshake completed.
    Established,
    /// New in-order bytes can be read.
    Readable,
    /// The peer's FIN arrived: it sends no more data.
    PeerFinished,
    /// The peer reset the connection (a valid RST); queues are flushed.
    Reset,
    /// Retransmissions ran out; the connection was aborted.
    TimedOut,
    /// The connection ended cleanly (both FINs acknowledged, TIME-WAIT over).
    Closed,
}

/// Counters for the user interface.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Data bytes sent for the first time (retransmissions not counted).
    pub bytes_sent: u64,
    /// Data bytes delivered in order to the receive buffer.
    pub bytes_received: u64,
    /// Segments handed out by `poll_transmit`.
    pub segments_sent: u64,
    /// Segments given to `on_segment`.
    pub segments_received: u64,
    /// Segments that carried data, SYN or FIN sent before.
    pub retransmissions: u64,
    /// Zero-window probes sent.
    pub window_probes: u64,
    /// The peer's window as last accepted.
    pub peer_window: u16,
}

/// One TCP connection endpoint (the transmission control block of RFC 9293 §3.3.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    config: Config,
    state: TcpState,
    local: Endpoint,
    remote: Option<Endpoint>,
    /// Opened by `listen` (a reset in SYN-RECEIVED returns to LISTEN).
    passive: bool,
    // Send sequence space.
    iss: u32,
    snd_una: u32,
    snd_nxt: u32,
    /// One past the highest sequence number ever sent.
    snd_max: u32,
    snd_wnd: u32,
    snd_wl1: u32,
    snd_wl2: u32,
    /// The effective send MSS.
    send_mss: usize,
    cwnd: usize,
    ssthresh: usize,
    /// Written bytes not yet acknowledged; the first has sequence number `send_seq`.
    send_buffer: VecDeque<u8>,
    send_seq: u32,
    /// `close` was called: a FIN follows the last byte of `send_buffer`.
    fin_queued: bool,
    // Receive sequence space.
    rcv_nxt: u32,
    /// The right edge of the window last advertised: RCV.NXT + RCV.WND.
    rcv_adv: u32,
    receive_buffer: VecDeque<u8>,
    /// Segments beyond RCV.NXT, by sequence number.
    out_of_order: BTreeMap<u32, Vec<u8>>,
    /// Sequence number of the peer's FIN, once seen.
    peer_fin: Option<u32>,
    // Output owed.
    ack_pending: bool,
    rst_pending: Option<TcpSegment>,
    probe_pending: bool,
    fast_retransmit: bool,
    dup_acks: u8,
    // Timers.
    rto_micros: u64,
    retries: u8,
    retransmit_at: Option<Instant>,
    persist_micros: u64,
    persist_at: Option<Instant>,
    time_wait_until: Option<Instant>,
    events: Vec<ConnectionEvent>,
    stats: Stats,
}

/// `a < b` in sequence space (RFC 9293 §3.4, modulo 2³²).
fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `a ≤ b` in sequence space.
fn seq_le(a: u32, b: u32) -> bool {
    a == b || seq_lt(a, b)
}

/// The RST that answers `segment` when no connection exists for it (RFC 9293 §3.10.7.1):
/// none for a RST; `<SEQ=SEG.ACK><CTL=RST>` when it carries an ACK; otherwise
/// `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`. Ports are swapped.
pub fn reset_for(segment: &TcpSegment) -> Option<TcpSegment> {
    if segment.flags.contains(TcpFlags::RST) {
        return None;
    }
    let reply = TcpSegment {
        src_port: segment.dst_port,
        dst_port: segment.src_port,
        ..TcpSegment::default()
    };
    Some(if segment.flags.contains(TcpFlags::ACK) {
        TcpSegment {
            seq: segment.ack,
            flags: TcpFlags::RST,
            ..reply
        }
    } else {
        TcpSegment {
            ack: segment.seq.wrapping_add(segment.seq_len()),
            flags: TcpFlags::RST | TcpFlags::ACK,
            ..reply
        }
    })
}

impl Connection {
    fn new(local: Endpoint, config: Config, state: TcpState) -> Connection {
        let rto = config.initial_rto_micros;
        Connection {
            send_mss: usize::from(config.mss.max(1)),
            config,
            state,
            local,
            remote: None,
            passive: state == TcpState::Listen,
            iss: 0,
            snd_una: 0,
            snd_nxt: 0,
            snd_max: 0,
            snd_wnd: 0,
            snd_wl1: 0,
            snd_wl2: 0,
            cwnd: 0,
            ssthresh: usize::MAX,
            send_buffer: VecDeque::new(),
            send_seq: 0,
            fin_queued: false,
            rcv_nxt: 0,
            rcv_adv: 0,
            receive_buffer: VecDeque::new(),
            out_of_order: BTreeMap::new(),
            peer_fin: None,
            ack_pending: false,
            rst_pending: None,
            probe_pending: false,
            fast_retransmit: false,
            dup_acks: 0,
            rto_micros: rto,
            retries: 0,
            retransmit_at: None,
            persist_micros: rto,
            persist_at: None,
            time_wait_until: None,
            events: Vec::new(),
            stats: Stats::default(),
        }
    }

    /// A connection waiting for a SYN on `local` (passive open).
    pub fn listen(local: Endpoint, config: Config) -> Connection {
        Connection::new(local, config, TcpState::Listen)
    }

    /// A connection to `remote` (active open) with initial sequence number `iss`; the
    /// SYN goes out on the next [`Self::poll_transmit`].
    pub fn connect(local: Endpoint, remote: Endpoint, iss: u32, config: Config) -> Connection {
        let mut connection = Connection::new(local, config, TcpState::SynSent);
        connection.remote = Some(remote);
        connection.set_iss(iss);
        connection
    }

    fn set_iss(&mut self, iss: u32) {
        self.iss = iss;
        self.snd_una = iss;
        self.snd_nxt = iss;
        self.snd_max = iss;
        self.send_seq = iss.wrapping_add(1);
    }

    /// Takes the peer's SYN: its sequence number, MSS and window.
    fn take_syn(&mut self, segment: &TcpSegment) {
        self.rcv_nxt = segment.seq.wrapping_add(1);
        self.rcv_adv = self.rcv_nxt.wrapping_add(self.initial_window());
        let peer_mss = segment.mss.unwrap_or(DEFAULT_PEER_MSS);
        self.send_mss = usize::from(self.config.mss.min(peer_mss).max(1));
        // RFC 5681 §3.1 initial window.
        let mss = self.send_mss;
        self.cwnd = match mss {
            2191.. => 2 * mss,
            1096..=2190 => 3 * mss,
            _ => 4 * mss,
        };
        self.snd_wnd = u32::from(segment.window);
        self.stats.peer_window = segment.window;
        self.snd_wl1 = segment.seq;
        self.snd_wl2 = segment.ack;
    }

    fn initial_window(&self) -> u32 {
        self.config.receive_buffer.min(MAX_WINDOW) as u32
    }

    /// A segment from `remote` for this connection. A listening connection binds to
    /// the first SYN's sender and answers with a SYN-ACK whose sequence number is
    /// `iss` (ignored in every other state). Segments from another remote endpoint are
    /// ignored: the caller demultiplexes. Answers go out on the next
    /// [`Self::poll_transmit`].
    pub fn on_segment(&mut self, now: Instant, remote: Endpoint, segment: &TcpSegment, iss: u32) {
        self.stats.segments_received += 1;
        let flags = segment.flags;
        match self.state {
            TcpState::Closed => return,
            TcpState::Listen => {
                if flags.contains(TcpFlags::SYN)
                    && !flags.contains(TcpFlags::ACK)
                    && !flags.contains(TcpFlags::RST)
                {
                    self.remote = Some(remote);
                    self.set_iss(iss);
                    self.take_syn(segment);
                    self.state = TcpState::SynReceived;
                }
                return;
            }
            _ => {}
        }
        if self.remote != Some(remote) {
            return;
        }
        if self.state == TcpState::SynSent {
            self.on_segment_syn_sent(segment);
            return;
        }
        if self.state == TcpState::SynReceived
            && flags.contains(TcpFlags::SYN)
            && segment.seq.wrapping_add(1) == self.rcv_nxt
        {
            self.snd_nxt = self.iss; // our SYN-ACK was lost: send it again
            return;
        }
        if !self.acceptable(segment) {
            if !flags.contains(TcpFlags::RST) {
                self.ack_pending = true;
                if self.state == TcpState::TimeWait && flags.contains(TcpFlags::FIN) {
                    // The peer sent its FIN again: our last ACK was lost.
                    self.time_wait_until = Some(now.plus_micros(self.config.time_wait_micros));
                }
                // A zero window takes no data, but its ACK still counts (§3.10.7.4).
                if segment.seq == self.rcv_nxt && flags.contains(TcpFlags::ACK) {
                    self.process_ack(now, segment);
                }
            }
            return;
        }
        if flags.contains(TcpFlags::RST) {
            if segment.seq != self.rcv_nxt {
                self.ack_pending = true; // challenge ACK (RFC 5961 §3.2)
            } else if self.state == TcpState::SynReceived && self.passive {
                let config = self.config.clone();
                *self = Connection::listen(self.local, config);
            } else {
                self.events.push(ConnectionEvent::Reset);
                self.shut_down(true);
            }
            return;
        }
        if flags.contains(TcpFlags::SYN) {
            self.ack_pending = true; // challenge ACK (RFC 5961 §4)
            return;
        }
        if !flags.contains(TcpFlags::ACK) || !self.process_ack(now, segment) {
            return;
        }
        if self.state.receives_data() {
            self.receive(now, segment);
        }
    }

    fn on_segment_syn_sent(&mut self, segment: &TcpSegment) {
        let flags = segment.flags;
        let has_ack = flags.contains(TcpFlags::ACK);
        if has_ack && (seq_le(segment.ack, self.iss) || seq_lt(self.snd_max, segment.ack)) {
            if !flags.contains(TcpFlags::RST) {
                self.rst_pending = reset_for(segment);
            }
            return;
        }
        if flags.contains(TcpFlags::RST) {
            if has_ack {
                self.events.push(ConnectionEvent::Reset);
                self.shut_down(true);
            }
            return;
        }
        if !flags.contains(TcpFlags::SYN) {
            return;
        }
        self.take_syn(segment);
        if has_ack {
            self.snd_una = segment.ack;
            self.state = TcpState::Established;
            self.events.push(ConnectionEvent::Established);
            self.ack_pending = true;
            self.progress();
        } else {
            // Simultaneous open: answer with SYN-ACK.
            self.state = TcpState::SynReceived;
            self.snd_nxt = self.iss;
        }
    }

    /// The segment acceptability test of RFC 9293 §3.10.7.4, except that an empty
    /// segment may also sit exactly at the right edge of the window (as Linux allows):
    /// a sender that has filled our window sends its ACKs with that sequence number.
    fn acceptable(&self, segment: &TcpSegment) -> bool {
        let window = self.rcv_adv.wrapping_sub(self.rcv_nxt);
        let right = self.rcv_nxt.wrapping_add(window);
        let in_window = |seq: u32| seq_le(self.rcv_nxt, seq) && seq_lt(seq, right);
        match (segment.seq_len(), window) {
            (0, _) => seq_le(self.rcv_nxt, segment.seq) && seq_le(segment.seq, right),
            (_, 0) => false,
            (len, _) => in_window(segment.seq) || in_window(segment.seq.wrapping_add(len - 1)),
        }
    }

    /// New data acknowledged or the connection established: retries and timeout start
    /// over.
    fn progress(&mut self) {
        self.retries = 0;
        self.rto_micros = self.config.initial_rto_micros;
        self.dup_acks = 0;
        self.retransmit_at = None;
    }

    /// The ACK field (RFC 9293 §3.10.7.4, fifth check). Returns whether the segment's
    /// text is to be processed further.
    fn process_ack(&mut self, now: Instant, segment: &TcpSegment) -> bool {
        let ack = segment.ack;
        if self.state == TcpState::SynReceived {
            if !(seq_lt(self.snd_una, ack) && seq_le(ack, self.snd_max)) {
                self.rst_pending = reset_for(segment);
                return false;
            }
            self.state = if self.fin_queued {
                TcpState::FinWait1
            } else {
                TcpState::Established
            };
            self.events.push(ConnectionEvent::Established);
            self.snd_wnd = u32::from(segment.window);
            self.stats.peer_window = segment.window;
            self.snd_wl1 = segment.seq;
            self.snd_wl2 = ack;
        }
        if seq_lt(self.snd_max, ack) {
            self.ack_pending = true; // acknowledges something never sent
            return false;
        }
        let in_flight = self.snd_nxt != self.snd_una;
        if seq_lt(self.snd_una, ack) {
            self.new_ack(now, ack);
        } else if ack == self.snd_una
            && in_flight
            && segment.payload.is_empty()
            && !segment.flags.contains(TcpFlags::FIN)
            && u32::from(segment.window) == self.snd_wnd
        {
            self.dup_acks = self.dup_acks.saturating_add(1);
            if self.dup_acks == 3 {
                self.ssthresh = (self.flight() / 2).max(2 * self.send_mss);
                self.cwnd = self.ssthresh;
                self.fast_retransmit = true;
            }
        }
        if seq_lt(self.snd_wl1, segment.seq)
            || (self.snd_wl1 == segment.seq && seq_le(self.snd_wl2, ack))
        {
            self.snd_wnd = u32::from(segment.window);
            self.stats.peer_window = segment.window;
            self.snd_wl1 = segment.seq;
            self.snd_wl2 = ack;
            if self.snd_wnd > 0 {
                self.persist_at = None;
                self.persist_micros = self.config.initial_rto_micros;
            }
        }
        self.state != TcpState::Closed
    }

    fn flight(&self) -> usize {
        self.snd_nxt.wrapping_sub(self.snd_una) as usize
    }

    /// The sequence number of our FIN, once `close` was called.
    fn fin_seq(&self) -> Option<u32> {
        self.fin_queued
            .then(|| self.send_seq.wrapping_add(self.send_buffer.len() as u32))
    }

    /// `ack` acknowledges new sequence space.
    fn new_ack(&mut self, now: Instant, ack: u32) {
        let fin_acked = self.fin_seq().is_some_and(|fin| seq_lt(fin, ack));
        if seq_lt(self.send_seq, ack) {
            let data = (ack.wrapping_sub(self.send_seq) as usize).min(self.send_buffer.len());
            self.send_buffer.drain(..data);
            self.send_seq = self.send_seq.wrapping_add(data as u32);
            // RFC 5681 §3.1: slow start below ssthresh, congestion avoidance above.
            self.cwnd += if self.cwnd < self.ssthresh {
                data.min(self.send_mss)
            } else {
                (self.send_mss * self.send_mss / self.cwnd).max(1)
            };
        }
        self.snd_una = ack;
        if seq_lt(self.snd_nxt, ack) {
            self.snd_nxt = ack;
        }
        self.progress();
        if self.snd_nxt != self.snd_una {
            self.retransmit_at = Some(now.plus_micros(self.rto_micros));
        }
        if fin_acked {
            match self.state {
                TcpState::FinWait1 => self.state = TcpState::FinWait2,
                TcpState::Closing => self.enter_time_wait(now),
                TcpState::LastAck => {
                    self.events.push(ConnectionEvent::Closed);
                    self.shut_down(false);
                }
                _ => {}
            }
        }
    }

    fn enter_time_wait(&mut self, now: Instant) {
        self.state = TcpState::TimeWait;
        self.retransmit_at = None;
        self.time_wait_until = Some(now.plus_micros(self.config.time_wait_micros));
    }

    /// The segment's data and FIN (RFC 9293 §3.10.7.4, seventh and eighth checks),
    /// trimmed to the window.
    fn receive(&mut self, now: Instant, segment: &TcpSegment) {
        let data = &segment.payload;
        if segment.seq_len() == 0 {
            return;
        }
        self.ack_pending = true;
        let end = segment.seq.wrapping_add(data.len() as u32);
        if segment.flags.contains(TcpFlags::FIN) && seq_lt(end, self.rcv_adv) {
            self.peer_fin = Some(end);
        }
        let start = if seq_lt(segment.seq, self.rcv_nxt) {
            self.rcv_nxt
        } else {
            segment.seq
        };
        let stop = if seq_lt(self.rcv_adv, end) {
            self.rcv_adv
        } else {
            end
        };
        if seq_lt(start, stop) {
            let from = start.wrapping_sub(segment.seq) as usize;
            let to = stop.wrapping_sub(segment.seq) as usize;
            let kept = &data[from..to];
            if start == self.rcv_nxt {
                self.deliver(kept);
                self.deliver_out_of_order();
            } else {
                let slot = self.out_of_order.entry(start).or_default();
                if slot.len() < kept.len() {
                    *slot = kept.to_vec();
                }
            }
        }
        if self.peer_fin == Some(self.rcv_nxt) {
            self.rcv_nxt = self.rcv_nxt.wrapping_add(1);
            self.events.push(ConnectionEvent::PeerFinished);
            self.out_of_order.clear();
            match self.state {
                TcpState::Established => self.state = TcpState::CloseWait,
                TcpState::FinWait1 => self.state = TcpState::Closing,
                TcpState::FinWait2 => self.enter_time_wait(now),
                _ => {}
            }
        }
    }

    fn deliver(&mut self, bytes: &[u8]) {
        debug_assert!(self.receive_buffer.len() + bytes.len() <= self.config.receive_buffer);
        self.receive_buffer.extend(bytes);
        self.rcv_nxt = self.rcv_nxt.wrapping_add(bytes.len() as u32);
        self.stats.bytes_received += bytes.len() as u64;
        if !self.events.contains(&ConnectionEvent::Readable) {
            self.events.push(ConnectionEvent::Readable);
        }
    }

    /// Delivers the kept segments that now follow RCV.NXT; drops those wholly before.
    fn deliver_out_of_order(&mut self) {
        loop {
            let next = self
                .out_of_order
                .iter()
                .find_map(|(&seq, data)| seq_le(seq, self.rcv_nxt).then_some((seq, data.len())));
            let Some((seq, len)) = next else {
                return;
            };
            let data = self.out_of_order.remove(&seq).unwrap_or_default();
            let end = seq.wrapping_add(len as u32);
            if seq_lt(self.rcv_nxt, end) {
                let skip = self.rcv_nxt.wrapping_sub(seq) as usize;
                self.deliver(&data[skip..]);
            }
        }
    }

    /// Queues `data` for sending; returns how many bytes the send buffer took (0 after
    /// `close`, or when not connecting or connected).
    pub fn write(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(self.send_space());
        self.send_buffer.extend(&data[..n]);
        n
    }

    /// Free space in the send buffer (0 when writing is no longer possible).
    pub fn send_space(&self) -> usize {
        let open = matches!(
            self.state,
            TcpState::SynSent | TcpState::SynReceived | TcpState::Established | TcpState::CloseWait
        );
        if open && !self.fin_queued {
            self.config
                .send_buffer
                .saturating_sub(self.send_buffer.len())
        } else {
            0
        }
    }

    /// Takes up to `max` received bytes, in order. Freeing buffer space may owe the
    /// peer a window update, sent on the next `poll_transmit`.
    pub fn read(&mut self, max: usize) -> Vec<u8> {
        let n = max.min(self.receive_buffer.len());
        let bytes: Vec<u8> = self.receive_buffer.drain(..n).collect();
        if n > 0 && self.state.receives_data() {
            let window = self.window_to_advertise();
            if self.rcv_nxt.wrapping_add(window) != self.rcv_adv {
                self.ack_pending = true;
            }
        }
        bytes
    }

    /// Bytes ready to [`Self::read`].
    pub fn readable(&self) -> usize {
        self.receive_buffer.len()
    }

    /// Closes our direction: a FIN follows the data already written. Before the
    /// handshake completes, SYN-SENT closes at once and SYN-RECEIVED sends the FIN once
    /// established.
    pub fn close(&mut self) {
        match self.state {
            TcpState::Listen | TcpState::SynSent => {
                self.shut_down(false);
                self.events.push(ConnectionEvent::Closed);
            }
            TcpState::SynReceived => self.fin_queued = true,
            TcpState::Established => {
                self.fin_queued = true;
                self.state = TcpState::FinWait1;
            }
            TcpState::CloseWait => {
                self.fin_queued = true;
                self.state = TcpState::LastAck;
            }
            _ => {}
        }
    }

    /// Aborts: a RST goes out on the next `poll_transmit` (in the states where RFC 9293
    /// §3.10.5 sends one) and everything is dropped.
    pub fn abort(&mut self) {
        if matches!(
            self.state,
            TcpState::SynReceived
                | TcpState::Established
                | TcpState::FinWait1
                | TcpState::FinWait2
                | TcpState::CloseWait
        ) {
            self.rst_pending = Some(self.segment(self.snd_max, TcpFlags::RST, Vec::new()));
        }
        self.shut_down(true);
    }

    /// CLOSED, timers stopped, nothing more to send; with `flush` (a reset, abort or
    /// timeout) the received bytes not yet read are dropped too.
    fn shut_down(&mut self, flush: bool) {
        self.state = TcpState::Closed;
        self.send_buffer.clear();
        self.out_of_order.clear();
        self.ack_pending = false;
        self.probe_pending = false;
        self.fast_retransmit = false;
        self.retransmit_at = None;
        self.persist_at = None;
        self.time_wait_until = None;
        if flush {
            self.receive_buffer.clear();
        }
    }

    /// The window to announce now, with receiver silly window avoidance (RFC 9293
    /// §3.8.6.2.2): the right edge moves only by at least min(buffer / 2, MSS).
    fn window_to_advertise(&self) -> u32 {
        let free = self
            .config
            .receive_buffer
            .saturating_sub(self.receive_buffer.len())
            .min(MAX_WINDOW) as u32;
        let current = self.rcv_adv.wrapping_sub(self.rcv_nxt);
        let growth = free.saturating_sub(current) as usize;
        let threshold = (self.config.receive_buffer / 2).min(self.send_mss).max(1);
        if growth >= threshold {
            free
        } else {
            current
        }
    }

    /// A segment from us to the remote with our ACK and window (ACK flag unless it is
    /// a bare SYN or RST).
    fn segment(&mut self, seq: u32, flags: TcpFlags, payload: Vec<u8>) -> TcpSegment {
        let remote = self.remote.map_or(0, |r| r.port);
        let synchronized = self.state != TcpState::SynSent;
        let (flags, ack, window) = if flags == TcpFlags::RST {
            (flags, 0, 0)
        } else if synchronized {
            let window = self.window_to_advertise();
            self.rcv_adv = self.rcv_nxt.wrapping_add(window);
            self.ack_pending = false;
            (flags | TcpFlags::ACK, self.rcv_nxt, window as u16)
        } else {
            (flags, 0, self.initial_window() as u16)
        };
        let is_syn = flags.contains(TcpFlags::SYN);
        TcpSegment {
            src_port: self.local.port,
            dst_port: remote,
            seq,
            ack,
            flags,
            window,
            mss: is_syn.then_some(self.config.mss),
            payload,
        }
    }

    /// Everything due now: a pending RST, the SYN or SYN-ACK, a fast retransmission, a
    /// window probe, data and FIN as the windows allow, and a bare ACK if one is owed
    /// and nothing else carried it. Starts the retransmission and persist timers.
    pub fn poll_transmit(&mut self, now: Instant) -> Vec<TcpSegment> {
        let mut out: Vec<TcpSegment> = self.rst_pending.take().into_iter().collect();
        if matches!(self.state, TcpState::SynSent | TcpState::SynReceived)
            && self.snd_nxt == self.iss
        {
            if seq_lt(self.iss, self.snd_max) {
                self.stats.retransmissions += 1;
            }
            let syn = self.segment(self.iss, TcpFlags::SYN, Vec::new());
            out.push(syn);
            self.advance(1);
        }
        if self.state.sends_data() {
            if std::mem::take(&mut self.fast_retransmit) {
                out.extend(self.data_segment(self.snd_una));
            }
            if std::mem::take(&mut self.probe_pending) {
                self.stats.window_probes += 1;
                let probe = self.segment(self.snd_una.wrapping_sub(1), TcpFlags::NONE, Vec::new());
                out.push(probe);
            }
            while let Some(segment) = self.data_segment(self.snd_nxt) {
                self.advance(segment.seq_len());
                out.push(segment);
            }
        }
        if self.ack_pending
            && !matches!(
                self.state,
                TcpState::Closed | TcpState::Listen | TcpState::SynSent
            )
        {
            // After a timeout SND.NXT went back; the peer may hold everything up to
            // SND.MAX, and an ACK numbered below its RCV.NXT would be dropped.
            let ack = self.segment(self.snd_max, TcpFlags::NONE, Vec::new());
            out.push(ack);
        }
        self.arm_timers(now);
        self.stats.segments_sent += out.len() as u64;
        out
    }

    fn advance(&mut self, len: u32) {
        self.snd_nxt = self.snd_nxt.wrapping_add(len);
        if seq_lt(self.snd_max, self.snd_nxt) {
            self.snd_max = self.snd_nxt;
        }
    }

    /// The data (and FIN) segment starting at `seq`, as large as the MSS, the peer's
    /// window and the congestion window allow; `None` when nothing may be sent.
    fn data_segment(&mut self, seq: u32) -> Option<TcpSegment> {
        let fin = self.fin_seq();
        if fin.is_some_and(|fin| seq_lt(fin, seq)) {
            return None;
        }
        let offset = seq.wrapping_sub(self.send_seq) as usize;
        let unsent = self.send_buffer.len().saturating_sub(offset);
        let sent_ahead = seq.wrapping_sub(self.snd_una) as usize;
        let window = (self.snd_wnd as usize).min(self.cwnd);
        let n = self
            .send_mss
            .min(unsent)
            .min(window.saturating_sub(sent_ahead));
        // The FIN takes one sequence number, which must fit in the window too.
        let with_fin = fin.is_some() && n == unsent && sent_ahead + n < window;
        if n == 0 && !with_fin {
            return None;
        }
        let mut flags = TcpFlags::NONE;
        if n > 0 && n == unsent {
            flags |= TcpFlags::PSH;
        }
        if with_fin {
            flags |= TcpFlags::FIN;
        }
        let end = seq.wrapping_add(n as u32 + u32::from(with_fin));
        let fresh = end.wrapping_sub(self.snd_max) as usize;
        if seq_lt(seq, self.snd_max) {
            self.stats.retransmissions += 1;
        }
        if seq_lt(self.snd_max, end) {
            self.stats.bytes_sent += fresh.min(n) as u64;
        }
        let payload = self
            .send_buffer
            .range(offset..offset + n)
            .copied()
            .collect();
        Some(self.segment(seq, flags, payload))
    }

    fn arm_timers(&mut self, now: Instant) {
        let in_flight = self.snd_nxt != self.snd_una;
        if !in_flight {
            self.retransmit_at = None;
        } else if self.retransmit_at.is_none() {
            self.retransmit_at = Some(now.plus_micros(self.rto_micros));
        }
        let unsent = self.send_buffer.len() > self.snd_nxt.wrapping_sub(self.send_seq) as usize
            || self.fin_seq().is_some_and(|fin| seq_le(self.snd_nxt, fin));
        let blocked = self.state.sends_data() && self.snd_wnd == 0 && !in_flight && unsent;
        if !blocked {
            self.persist_at = None;
        } else if self.persist_at.is_none() {
            self.persist_at = Some(now.plus_micros(self.persist_micros));
        }
    }

    /// When [`Self::on_timeout`] should next be called: the earliest of the
    /// retransmission, persist and TIME-WAIT timers.
    pub fn next_timeout(&self) -> Option<Instant> {
        [self.retransmit_at, self.persist_at, self.time_wait_until]
            .into_iter()
            .flatten()
            .min()
    }

    /// Runs the timers that are due at `now`; what they send goes out on the next
    /// `poll_transmit`.
    pub fn on_timeout(&mut self, now: Instant) {
        if self.time_wait_until.is_some_and(|at| at <= now) {
            self.events.push(ConnectionEvent::Closed);
            self.shut_down(false);
            return;
        }
        if self.retransmit_at.is_some_and(|at| at <= now) {
            if self.retries >= self.config.max_retransmissions {
                self.events.push(ConnectionEvent::TimedOut);
                self.abort();
                return;
            }
            self.retries += 1;
            self.ssthresh = (self.flight() / 2).max(2 * self.send_mss);
            self.cwnd = self.send_mss;
            self.dup_acks = 0;
            self.snd_nxt = self.snd_una;
            self.rto_micros = (self.rto_micros * 2).min(MAX_RTO_MICROS);
            self.retransmit_at = Some(now.plus_micros(self.rto_micros));
        }
        if self.persist_at.is_some_and(|at| at <= now) {
            self.probe_pending = true;
            self.persist_micros = (self.persist_micros * 2).min(MAX_RTO_MICROS);
            self.persist_at = Some(now.plus_micros(self.persist_micros));
        }
    }

    /// The events since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<ConnectionEvent> {
        std::mem::take(&mut self.events)
    }

    pub fn state(&self) -> TcpState {
        self.state
    }

    pub fn local(&self) -> Endpoint {
        self.local
    }

    /// The peer, once known (a listening connection learns it from the first SYN).
    pub fn remote(&self) -> Option<Endpoint> {
        self.remote
    }

    /// The effective send MSS: the smaller of ours and the peer's.
    pub fn mss(&self) -> usize {
        self.send_mss
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }
}

#[cfg(test)]
mod tests;
