use super::*;
use crate::wire::ipv4::Ipv4Packet;
use rand_core::{RngCore, SeedableRng};
use rand_pcg::Pcg32;

const CLIENT: Endpoint = Endpoint {
    addr: [10, 0, 0, 1],
    port: 49152,
};
const SERVER: Endpoint = Endpoint {
    addr: [10, 0, 0, 2],
    port: 3516,
};
/// Initial sequence numbers close to 2³² so the sequence space wraps in every long test.
const CLIENT_ISS: u32 = 0xFFFF_F000;
const SERVER_ISS: u32 = 0xFFFF_0000;

fn test_config() -> Config {
    Config {
        mss: 1000,
        receive_buffer: 16_384,
        send_buffer: 16_384,
        initial_rto_micros: 200_000,
        max_retransmissions: 12,
        time_wait_micros: 600_000_000,
    }
}

/// Faults of the pipe, each a probability per segment.
#[derive(Clone, Copy)]
struct Faults {
    loss: f64,
    duplicate: f64,
    /// Delay drawn uniformly from this range (microseconds): reorders segments.
    delay: (u64, u64),
}

const CLEAN: Faults = Faults {
    loss: 0.0,
    duplicate: 0.0,
    delay: (5_000, 5_000),
};

/// Two connections (0 = client, 1 = server) joined by a deterministic lossy pipe. Every
/// segment travels as the bytes of an IPv4 packet, emitted and parsed again.
struct Link {
    ends: [Connection; 2],
    now: Instant,
    rng: Pcg32,
    faults: Faults,
    /// Segments on the way: arrival time, order sent, destination end, packet bytes.
    pipe: Vec<(Instant, u64, usize, Vec<u8>)>,
    sent: u64,
    /// Deliver nothing to this end (a vanished peer), when set.
    cut_off: Option<usize>,
    events: [Vec<ConnectionEvent>; 2],
}

impl Link {
    fn new(faults: Faults, seed: u64, client: Config, server: Config) -> Link {
        Link {
            ends: [
                Connection::connect(CLIENT, SERVER, CLIENT_ISS, client),
                Connection::listen(SERVER, server),
            ],
            now: Instant::ZERO,
            rng: Pcg32::seed_from_u64(seed),
            faults,
            pipe: Vec::new(),
            sent: 0,
            cut_off: None,
            events: [Vec::new(), Vec::new()],
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        f64::from(self.rng.next_u32()) / f64::from(u32::MAX) < p
    }

    fn endpoint(side: usize) -> Endpoint {
        [CLIENT, SERVER][side]
    }

    /// Collects what each end has to send and puts it in the pipe.
    fn transmit(&mut self) {
        for side in 0..2 {
            let (src, dst) = (Link::endpoint(side), Link::endpoint(1 - side));
            for segment in self.ends[side].poll_transmit(self.now) {
                let bytes = Ipv4Packet::tcp(src.addr, dst.addr, &segment).emit();
                if self.chance(self.faults.loss) {
                    continue;
                }
                let copies = if self.chance(self.faults.duplicate) {
                    2
                } else {
                    1
                };
                for _ in 0..copies {
                    let (low, high) = self.faults.delay;
                    let delay = low + u64::from(self.rng.next_u32()) % (high - low + 1);
                    self.sent += 1;
                    self.pipe.push((
                        self.now.plus_micros(delay),
                        self.sent,
                        1 - side,
                        bytes.clone(),
                    ));
                }
            }
        }
    }

    /// Moves the clock to the next arrival or timer (at most `limit` ahead), delivers
    /// what arrives and runs the timers; false when nothing is scheduled at all.
    fn step(&mut self, limit: Option<u64>) -> bool {
        self.transmit();
        let arrival = self.pipe.iter().map(|p| (p.0, p.1)).min();
        let next = [
            arrival.map(|a| a.0),
            self.ends[0].next_timeout(),
            self.ends[1].next_timeout(),
            limit.map(|l| self.now.plus_micros(l)),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else {
            return false;
        };
        self.now = next.max(self.now);
        while let Some(index) = self
            .pipe
            .iter()
            .enumerate()
            .filter(|(_, p)| p.0 <= self.now)
            .min_by_key(|(_, p)| (p.0, p.1))
            .map(|(i, _)| i)
        {
            let (_, _, to, bytes) = self.pipe.swap_remove(index);
            if self.cut_off == Some(to) {
                continue;
            }
            let packet = Ipv4Packet::parse(&bytes).expect("packet decodes");
            let segment = packet.parse_tcp().expect("segment decodes");
            let iss = [CLIENT_ISS, SERVER_ISS][to];
            self.ends[to].on_segment(self.now, Link::endpoint(1 - to), &segment, iss);
        }
        for side in 0..2 {
            if self.ends[side]
                .next_timeout()
                .is_some_and(|t| t <= self.now)
            {
                self.ends[side].on_timeout(self.now);
            }
            let events = self.ends[side].take_events();
            self.events[side].extend(events);
        }
        true
    }

    /// Steps until `done` holds, panicking after `max_steps`.
    fn run_until(&mut self, max_steps: usize, mut done: impl FnMut(&mut Link) -> bool) {
        for _ in 0..max_steps {
            if done(self) {
                return;
            }
            assert!(self.step(None), "stalled at {}", self.now);
        }
        panic!(
            "not done after {max_steps} steps at {}: {:?} / {:?}",
            self.now,
            self.ends[0].state(),
            self.ends[1].state()
        );
    }

    fn established(&mut self) {
        self.run_until(100, |l| {
            l.ends.iter().all(|c| c.state() == TcpState::Established)
        });
    }
}

fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = Pcg32::seed_from_u64(seed);
    (0..len).map(|_| rng.next_u32() as u8).collect()
}

#[test]
fn handshake_negotiates_the_smaller_mss() {
    let server = Config {
        mss: 1460,
        ..test_config()
    };
    let mut link = Link::new(CLEAN, 1, test_config(), server);
    let syn = link.ends[0].poll_transmit(Instant::ZERO);
    assert_eq!(syn.len(), 1);
    assert_eq!(syn[0].flags, TcpFlags::SYN);
    assert_eq!((syn[0].seq, syn[0].mss), (CLIENT_ISS, Some(1000)));
    link.ends[1].on_segment(Instant::ZERO, CLIENT, &syn[0], SERVER_ISS);
    assert_eq!(link.ends[1].state(), TcpState::SynReceived);
    assert_eq!(link.ends[1].remote(), Some(CLIENT));
    let syn_ack = link.ends[1].poll_transmit(Instant::ZERO);
    assert_eq!(syn_ack[0].flags, TcpFlags::SYN | TcpFlags::ACK);
    assert_eq!(
        (syn_ack[0].seq, syn_ack[0].ack, syn_ack[0].mss),
        (SERVER_ISS, CLIENT_ISS.wrapping_add(1), Some(1460))
    );
    link.ends[0].on_segment(Instant::ZERO, SERVER, &syn_ack[0], 0);
    assert_eq!(link.ends[0].state(), TcpState::Established);
    let ack = link.ends[0].poll_transmit(Instant::ZERO);
    assert_eq!(ack[0].flags, TcpFlags::ACK);
    assert_eq!(ack[0].ack, SERVER_ISS.wrapping_add(1));
    link.ends[1].on_segment(Instant::ZERO, CLIENT, &ack[0], 0);
    assert_eq!(link.ends[1].state(), TcpState::Established);
    assert_eq!((link.ends[0].mss(), link.ends[1].mss()), (1000, 1000));
    assert_eq!(link.ends[0].take_events(), [ConnectionEvent::Established]);
    assert_eq!(link.ends[1].take_events(), [ConnectionEvent::Established]);
    assert_eq!(link.ends[1].stats().peer_window, 16_384);
}

#[test]
fn carries_data_both_ways_in_mss_segments() {
    let mut link = Link::new(CLEAN, 2, test_config(), test_config());
    link.established();
    assert_eq!(link.ends[0].write(&pattern(1, 2500)), 2500);
    assert_eq!(link.ends[1].write(b"200 OK"), 6);
    let out = link.ends[0].poll_transmit(link.now);
    let sizes: Vec<usize> = out.iter().map(|s| s.payload.len()).collect();
    assert_eq!(sizes, [1000, 1000, 500]);
    assert!(out[2].flags.contains(TcpFlags::PSH));
    for segment in &out {
        link.ends[1].on_segment(link.now, CLIENT, segment, 0);
    }
    link.run_until(100, |l| {
        l.ends[0].readable() == 6 && l.ends[1].readable() == 2500
    });
    assert_eq!(link.ends[1].read(10_000), pattern(1, 2500));
    assert_eq!(link.ends[0].read(10_000), b"200 OK");
    assert!(link.events[1].contains(&ConnectionEvent::Readable));
    assert_eq!(link.ends[0].stats().bytes_sent, 2500);
    assert_eq!(link.ends[1].stats().bytes_received, 2500);
    link.run_until(100, |l| l.ends.iter().all(|c| c.next_timeout().is_none()));
}

#[test]
fn fin_both_ways_ends_closed() {
    let mut link = Link::new(CLEAN, 3, test_config(), test_config());
    link.established();
    link.ends[0].write(b"GET / HTTP/1.1\r\n\r\n");
    link.ends[0].close();
    assert_eq!(link.ends[0].state(), TcpState::FinWait1);
    assert_eq!(link.ends[0].write(b"late"), 0);
    link.run_until(100, |l| l.ends[1].state() == TcpState::CloseWait);
    assert!(link.events[1].contains(&ConnectionEvent::PeerFinished));
    link.run_until(100, |l| l.ends[0].state() == TcpState::FinWait2);
    assert_eq!(link.ends[1].read(100), b"GET / HTTP/1.1\r\n\r\n");
    link.ends[1].write(b"HTTP/1.1 204 No Content\r\n\r\n");
    link.ends[1].close();
    assert_eq!(link.ends[1].state(), TcpState::LastAck);
    link.run_until(100, |l| l.ends[0].state() == TcpState::TimeWait);
    let time_wait_from = link.now;
    link.run_until(100, |l| l.ends[1].state() == TcpState::Closed);
    assert_eq!(link.ends[0].state(), TcpState::TimeWait);
    assert_eq!(link.events[1].last(), Some(&ConnectionEvent::Closed));
    // The client's data is still there to read after the close.
    assert_eq!(link.ends[0].read(100), b"HTTP/1.1 204 No Content\r\n\r\n");
    link.run_until(10, |l| l.ends[0].state() == TcpState::Closed);
    assert_eq!(
        link.now,
        time_wait_from.plus_micros(test_config().time_wait_micros)
    );
    assert_eq!(
        link.events[0],
        [
            ConnectionEvent::Established,
            ConnectionEvent::Readable,
            ConnectionEvent::PeerFinished,
            ConnectionEvent::Closed
        ]
    );
}

#[test]
fn rst_from_the_peer_gives_reset() {
    let mut link = Link::new(CLEAN, 4, test_config(), test_config());
    link.established();
    link.ends[1].write(b"unread");
    link.run_until(100, |l| l.ends[0].readable() == 6);
    link.ends[1].abort();
    let rst = link.ends[1].poll_transmit(link.now);
    assert_eq!(rst.len(), 1);
    assert_eq!(rst[0].flags, TcpFlags::RST);
    assert_eq!(link.ends[1].state(), TcpState::Closed);
    // A RST in the window but not at RCV.NXT only earns a challenge ACK.
    let off_by_one = TcpSegment {
        seq: rst[0].seq.wrapping_add(1),
        ..rst[0].clone()
    };
    link.ends[0].on_segment(link.now, SERVER, &off_by_one, 0);
    assert_eq!(link.ends[0].state(), TcpState::Established);
    let challenge = link.ends[0].poll_transmit(link.now);
    assert_eq!(challenge[0].flags, TcpFlags::ACK);
    link.ends[0].on_segment(link.now, SERVER, &rst[0], 0);
    assert_eq!(link.ends[0].state(), TcpState::Closed);
    assert_eq!(link.ends[0].take_events(), [ConnectionEvent::Reset]);
    assert_eq!(link.ends[0].readable(), 0);
    assert_eq!(link.ends[0].next_timeout(), None);
}

#[test]
fn reset_for_answers_segments_without_a_connection() {
    let syn = TcpSegment {
        src_port: 40000,
        dst_port: 8080,
        seq: 77,
        flags: TcpFlags::SYN,
        mss: Some(1460),
        ..TcpSegment::default()
    };
    let rst = reset_for(&syn).unwrap();
    assert_eq!(
        (rst.src_port, rst.dst_port, rst.seq, rst.ack, rst.flags),
        (8080, 40000, 0, 78, TcpFlags::RST | TcpFlags::ACK)
    );
    let data = TcpSegment {
        seq: 5,
        ack: 900,
        flags: TcpFlags::ACK,
        payload: vec![1, 2, 3],
        ..syn.clone()
    };
    let rst = reset_for(&data).unwrap();
    assert_eq!((rst.seq, rst.flags), (900, TcpFlags::RST));
    assert_eq!(reset_for(&rst), None);
}

#[test]
fn connecting_to_a_closed_port_is_reset() {
    let mut client = Connection::connect(CLIENT, SERVER, 10, test_config());
    let syn = client.poll_transmit(Instant::ZERO);
    let rst = reset_for(&syn[0]).unwrap();
    client.on_segment(Instant(1), SERVER, &rst, 0);
    assert_eq!(client.state(), TcpState::Closed);
    assert_eq!(client.take_events(), [ConnectionEvent::Reset]);
}

#[test]
fn keeps_out_of_order_segments_and_reacks_duplicates() {
    let mut link = Link::new(CLEAN, 5, test_config(), test_config());
    link.established();
    link.ends[0].write(&pattern(2, 3000));
    let out = link.ends[0].poll_transmit(link.now);
    assert_eq!(out.len(), 3);
    let now = link.now;
    let receiver = &mut link.ends[1];
    receiver.on_segment(now, CLIENT, &out[2], 0);
    receiver.on_segment(now, CLIENT, &out[1], 0);
    assert_eq!(receiver.readable(), 0);
    let acks = receiver.poll_transmit(now);
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].ack, out[0].seq);
    receiver.on_segment(now, CLIENT, &out[0], 0);
    assert_eq!(receiver.readable(), 3000);
    receiver.on_segment(now, CLIENT, &out[1], 0);
    assert_eq!(receiver.readable(), 3000);
    let acks = receiver.poll_transmit(now);
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].ack, out[2].seq.wrapping_add(1000));
    assert_eq!(receiver.read(5000), pattern(2, 3000));
}

#[test]
fn fast_retransmits_after_three_duplicate_acks() {
    let mut link = Link::new(CLEAN, 6, test_config(), test_config());
    link.established();
    // Open the congestion window past four segments first.
    link.ends[0].write(&pattern(3, 6000));
    link.run_until(100, |l| l.ends[1].readable() == 6000);
    link.ends[1].read(6000);
    link.run_until(100, |l| l.ends.iter().all(|c| c.next_timeout().is_none()));
    link.ends[0].write(&pattern(4, 5000));
    let now = link.now;
    let out = link.ends[0].poll_transmit(now);
    assert_eq!(out.len(), 5);
    for segment in &out[1..] {
        link.ends[1].on_segment(now, CLIENT, segment, 0);
    }
    let dup_acks = link.ends[1].poll_transmit(now);
    assert_eq!(dup_acks.len(), 1);
    for _ in 0..3 {
        link.ends[0].on_segment(now, SERVER, &dup_acks[0], 0);
    }
    let again = link.ends[0].poll_transmit(now);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0], out[0]);
    assert_eq!(link.ends[0].stats().retransmissions, 1);
    link.ends[1].on_segment(now, CLIENT, &again[0], 0);
    assert_eq!(link.ends[1].read(5000), pattern(4, 5000));
}

#[test]
fn a_vanished_peer_times_out_after_the_retries() {
    let config = Config {
        max_retransmissions: 3,
        ..test_config()
    };
    let mut link = Link::new(CLEAN, 7, config.clone(), config);
    link.established();
    link.cut_off = Some(1);
    link.ends[0].write(b"anyone there?");
    let sent_at = link.now;
    link.run_until(100, |l| l.ends[0].state() == TcpState::Closed);
    assert_eq!(
        link.events[0],
        [ConnectionEvent::Established, ConnectionEvent::TimedOut]
    );
    // Timeouts after 200, 400, 800 and 1600 ms: three retransmissions, then give up.
    assert_eq!(
        link.now,
        sent_at.plus_micros(200_000 + 400_000 + 800_000 + 1_600_000)
    );
    assert_eq!(link.ends[0].stats().retransmissions, 3);
    let rst = link.ends[0].poll_transmit(link.now);
    assert_eq!(rst.len(), 1);
    assert_eq!(rst[0].flags, TcpFlags::RST);
}

#[test]
fn a_connect_without_answer_times_out() {
    let mut client = Connection::connect(CLIENT, SERVER, 10, test_config());
    let mut now = Instant::ZERO;
    let mut syns = 0;
    while client.state() != TcpState::Closed {
        syns += client
            .poll_transmit(now)
            .iter()
            .filter(|s| s.flags == TcpFlags::SYN)
            .count();
        now = client.next_timeout().expect("a timer runs");
        client.on_timeout(now);
    }
    assert_eq!(syns, 13);
    assert_eq!(client.take_events(), [ConnectionEvent::TimedOut]);
    assert!(client.poll_transmit(now).is_empty());
}

/// Sends `len` bytes each way over a pipe with `faults`, closes both ways, and checks
/// that each side read exactly what the other wrote.
fn transfer_both_ways(faults: Faults, seed: u64, len: usize) -> Link {
    let mut link = Link::new(faults, seed, test_config(), test_config());
    let data = [pattern(seed * 2, len), pattern(seed * 2 + 1, len)];
    let mut written = [0usize; 2];
    let mut received = [Vec::new(), Vec::new()];
    for _ in 0..400_000 {
        for side in 0..2 {
            let end = &mut link.ends[side];
            if written[side] < len {
                written[side] += end.write(&data[side][written[side]..]);
                if written[side] == len {
                    end.close();
                }
            }
            received[side].extend(end.read(usize::MAX));
        }
        if link.ends.iter().all(|c| c.state() == TcpState::Closed) {
            break;
        }
        assert!(link.step(None), "seed {seed}: stalled at {}", link.now);
    }
    for side in 0..2 {
        assert_eq!(
            received[side].len(),
            len,
            "seed {seed}, side {side}: {:?} {:?} {:?} at {}",
            link.ends[side].state(),
            link.events,
            link.ends[side].stats(),
            link.now
        );
        assert!(received[side] == data[1 - side], "seed {seed}, side {side}");
        assert!(link.events[side].contains(&ConnectionEvent::PeerFinished));
        assert_eq!(link.events[side].last(), Some(&ConnectionEvent::Closed));
    }
    link
}

#[test]
fn delivers_100_kb_each_way_exactly_once_over_a_lossy_pipe() {
    for loss in [0.0, 0.1, 0.2, 0.3] {
        for seed in 1..=3 {
            let faults = Faults {
                loss,
                duplicate: 0.05,
                delay: (1_000, 30_000),
            };
            let link = transfer_both_ways(faults, seed, 100_000);
            if loss > 0.0 {
                let retransmissions = link.ends[0].stats().retransmissions;
                assert!(retransmissions > 0, "loss {loss}, seed {seed}");
            }
        }
    }
}

#[test]
fn backpressure_holds_the_sender_without_losing_a_byte() {
    let receiver = Config {
        receive_buffer: 1400,
        ..test_config()
    };
    let sender = Config {
        send_buffer: 4096,
        ..test_config()
    };
    let mut link = Link::new(CLEAN, 8, sender, receiver);
    link.established();
    let data = pattern(9, 20_000);
    let (mut written, mut received) = (0, Vec::new());
    let mut most_buffered = 0;
    let mut zero_windows = 0;
    while received.len() < data.len() {
        let space = link.ends[0].send_space();
        let accepted = link.ends[0].write(&data[written..]);
        assert_eq!(accepted, space.min(data.len() - written));
        written += accepted;
        most_buffered = most_buffered.max(link.ends[1].readable());
        received.extend(link.ends[1].read(100));
        if link.ends[0].stats().peer_window == 0 {
            zero_windows += 1;
        }
        assert!(link.step(Some(1_000)), "stalled");
        assert!(link.now < Instant(60_000_000), "too slow");
    }
    assert!(received == data);
    assert_eq!(most_buffered, 1400);
    assert!(zero_windows > 0);
    assert_eq!(link.ends[0].stats().retransmissions, 0);
}

#[test]
fn probes_a_zero_window_until_it_opens() {
    let receiver = Config {
        receive_buffer: 1000,
        ..test_config()
    };
    let mut link = Link::new(CLEAN, 9, test_config(), receiver);
    link.established();
    link.ends[0].write(&pattern(5, 1500));
    link.run_until(100, |l| l.ends[1].readable() == 1000);
    link.run_until(100, |l| l.ends[0].stats().peer_window == 0);
    // The receiver reads, but its window update is lost.
    link.ends[1].read(1000);
    let update = link.ends[1].poll_transmit(link.now);
    assert_eq!(update.len(), 1);
    assert_eq!(update[0].window, 1000);
    link.transmit();
    let probe_due = link.ends[0].next_timeout().expect("persist timer");
    link.run_until(100, |l| l.ends[1].readable() == 500);
    assert!(link.now > probe_due);
    assert_eq!(link.ends[0].stats().window_probes, 1);
    assert_eq!(link.ends[0].stats().retransmissions, 0);
    assert_eq!(link.ends[1].read(1000), pattern(5, 1500)[1000..]);
}

#[test]
fn is_deterministic_and_cloneable() {
    let faults = Faults {
        loss: 0.2,
        duplicate: 0.1,
        delay: (1_000, 20_000),
    };
    let a = transfer_both_ways(faults, 11, 20_000);
    let b = transfer_both_ways(faults, 11, 20_000);
    assert_eq!(a.now, b.now);
    assert_eq!(a.ends, b.ends);
    assert_eq!(a.ends[0].clone(), a.ends[0]);
}

#[test]
fn a_listener_resends_its_syn_ack_and_returns_to_listen_on_reset() {
    let mut server = Connection::listen(SERVER, test_config());
    let mut client = Connection::connect(CLIENT, SERVER, 500, test_config());
    let syn = client.poll_transmit(Instant::ZERO);
    server.on_segment(Instant::ZERO, CLIENT, &syn[0], SERVER_ISS);
    let syn_ack = server.poll_transmit(Instant::ZERO);
    // The SYN-ACK is lost; the client's SYN comes again and gets it again.
    server.on_segment(Instant(1), CLIENT, &syn[0], SERVER_ISS);
    assert_eq!(server.poll_transmit(Instant(1)), syn_ack);
    assert_eq!(server.stats().retransmissions, 1);
    let rst = TcpSegment {
        src_port: CLIENT.port,
        dst_port: SERVER.port,
        seq: 501,
        flags: TcpFlags::RST,
        ..TcpSegment::default()
    };
    server.on_segment(Instant(2), CLIENT, &rst, 0);
    assert_eq!(server.state(), TcpState::Listen);
    assert_eq!(server.remote(), None);
    assert!(server.take_events().is_empty());
}
