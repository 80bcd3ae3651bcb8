//! The USB UICC (ETSI TS 102 600): the card's own IP stack on the Inter-Chip USB
//! interface, its web server reached by TCP without BIP (the patent's USB-UICC
//! embodiment).
//!
//! On a real USB UICC the terminal enumerates the card as a USB device whose Ethernet
//! Emulation Model (EEM) function carries IP (TS 102 600 §7–§8; the IP layer is TS 102
//! 483). Here the USB framing is not modelled: the phone and the card exchange the IPv4
//! packets themselves ([`crate::sim::Payload::Ip`]), on a link of the USB full-speed
//! bulk rate (the world's `IP_LINKS`).
//!
//! How the phone learns that the card has an IP stack, and where: the card's ATR says it
//! (see [`answer_to_reset`]):
//!
//! - the first TBi (i > 2) after T=15 is `C0`, "Inter-Chip USB UICC-Terminal interface
//!   supported" (TS 102 221 §6.3.3 table 6.7);
//! - the historical bytes carry the card's IPv4 address in a card issuer's data object
//!   (ISO/IEC 7816-4 §8.1.1.2.5, tag `5`, length 4). This is the emulator's own
//!   convention: TS 102 483 has the card get its address from the terminal's DHCP
//!   server, which is not modelled. It takes the place of the pre-issuing data, and the
//!   status indicator keeps only SW1 SW2, so that K stays 15.
//!
//! From power-on the card's [`UsbIp`] listens on TCP [`SCWS_PORT`] at the profile's
//! address and answers every connection with the same HTTP responder the SCWS runs
//! over BIP ([`super::http::Responder`]): no proactive command, no OPEN CHANNEL, no
//! RECEIVE / SEND DATA. Every packet it sends goes to the phone, which routes it.
//!
//! Not done yet: HTTPS on port 4116 (the phone forwards it, the card answers with a RST
//! as no one listens there), the card's own outgoing connections (client mode), and
//! DHCP / ARP on the link.

use super::http::{Exchange, Responder, Site};
use super::Card;
use crate::net::host::{Handle, Host, HostEvent};
use crate::net::tcp::{Config, ConnectionEvent};
use crate::sim::{Instant, Message, NodeId, Payload};
use crate::wire::atr::{Atr, InterfaceBytes};
use std::collections::{BTreeMap, VecDeque};

/// The card's address on the USB link unless the profile says otherwise: IPv4
/// link-local (RFC 3927), next to the phone's [`crate::phone::usb::PHONE_USB_ADDRESS`].
pub const DEFAULT_ADDRESS: [u8; 4] = [169, 254, 1, 2];

/// The port the SCWS listens on: IANA's for the Smart Card Web Server over HTTP.
pub const SCWS_PORT: u16 = 3516;

/// The first TBi (i > 2) after T=15 of a card with the Inter-Chip USB interface: b8
/// and b7 set (TS 102 221 §6.3.3 table 6.7).
pub const USB_INTERFACE_TB: u8 = 0xC0;

/// COMPACT-TLV header of the card issuer's data object holding the card's address:
/// tag `5`, length 4 (ISO/IEC 7816-4 §8.1.1.2.5).
pub const ADDRESS_OBJECT: u8 = 0x54;

/// The TCP receive and send buffers of each connection: a card's RAM is small.
/// Illustrative value.
pub const CARD_TCP_BUFFER: usize = 4096;

/// The key of the card's initial sequence numbers (RFC 6528).
const CARD_SECRET: u64 = 0x7573_6275_6963_6321;

/// The ATR of a card with the USB interface at `address`: the built-in ATR's TS, TA1
/// and T=0 / T=15 indications, with TD2 `3F` announcing TA3 and TB3; TA3 `C7`, TB3
/// [`USB_INTERFACE_TB`]; historical bytes `80` (COMPACT-TLV follow), the card service
/// data `31 E0` and card capabilities `73 FE 21 1B` of the built-in ATR, the address
/// object `54 a b c d`, status indicator `82 90 00` (SW1 SW2); TCK.
pub fn answer_to_reset(address: [u8; 4]) -> Vec<u8> {
    let mut historical = vec![0x80, 0x31, 0xE0, 0x73, 0xFE, 0x21, 0x1B, ADDRESS_OBJECT];
    historical.extend_from_slice(&address);
    historical.extend_from_slice(&[0x82, 0x90, 0x00]);
    Atr {
        ts: 0x3B,
        groups: vec![
            InterfaceBytes {
                ta: Some(0x96),
                td_protocol: Some(0),
                ..InterfaceBytes::default()
            },
            InterfaceBytes {
                td_protocol: Some(15),
                ..InterfaceBytes::default()
            },
            InterfaceBytes {
                ta: Some(0xC7),
                tb: Some(USB_INTERFACE_TB),
                ..InterfaceBytes::default()
            },
        ],
        historical,
    }
    .emit()
}

/// One accepted connection: its HTTP responder and what it still has to send.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Served {
    responder: Responder,
    /// Response bytes the connection's send buffer could not take yet.
    unsent: VecDeque<u8>,
    /// Close once `unsent` is out: the responder said so, or the server sent its FIN.
    closing: bool,
    /// The FIN is queued.
    closed: bool,
}

/// The card's IP side: a [`Host`] at its USB address, listening on [`SCWS_PORT`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsbIp {
    host: Host,
    served: BTreeMap<Handle, Served>,
    /// Requests answered since power-on.
    answered: u64,
    last_exchange: Option<Exchange>,
}

impl UsbIp {
    /// The IP stack of a card just powered at `address`, its SCWS listening.
    pub fn new(address: [u8; 4]) -> UsbIp {
        let mut host = Host::new(NodeId::Card, Some(address), CARD_SECRET);
        host.listen(
            SCWS_PORT,
            Config {
                receive_buffer: CARD_TCP_BUFFER,
                send_buffer: CARD_TCP_BUFFER,
                ..Config::default()
            },
        );
        UsbIp {
            host,
            served: BTreeMap::new(),
            answered: 0,
            last_exchange: None,
        }
    }

    /// The card's IPv4 address on the USB link.
    pub fn address(&self) -> [u8; 4] {
        self.host.address().unwrap_or(DEFAULT_ADDRESS)
    }

    pub fn host(&self) -> &Host {
        &self.host
    }

    /// HTTP requests answered since power-on.
    pub fn answered(&self) -> u64 {
        self.answered
    }

    /// The last request answered and its status.
    pub fn last_exchange(&self) -> Option<&Exchange> {
        self.last_exchange.as_ref()
    }

    /// An IPv4 packet from the phone or the host's timer; returns the packets to the
    /// phone and the next timer.
    fn handle(&mut self, now: Instant, payload: &Payload, site: &mut dyn Site) -> Vec<Message> {
        match payload {
            Payload::Ip(packet) => self.host.receive(now, packet),
            Payload::Timer(at) => self.host.on_timer(now, *at),
            _ => return Vec::new(),
        }
        for event in self.host.take_events() {
            match event {
                HostEvent::Accepted { handle, .. } => {
                    self.served.insert(handle, Served::default());
                }
                HostEvent::Connection {
                    handle,
                    event: ConnectionEvent::PeerFinished,
                } => {
                    if let Some(served) = self.served.get_mut(&handle) {
                        served.closing = true;
                    }
                }
                _ => {}
            }
        }
        self.serve(site);
        let out = self
            .host
            .transmit(now)
            .into_iter()
            .map(|message| match message.to {
                // The host addresses its packets to the network; on the card they go
                // down the USB link to the phone, the card's only router.
                NodeId::Network => Message {
                    to: NodeId::Phone,
                    ..message
                },
                _ => message,
            })
            .collect();
        let host = &self.host;
        self.served
            .retain(|handle, _| host.connection(*handle).is_some());
        out
    }

    /// Answers what each connection received, and moves waiting response bytes into its
    /// send buffer; a connection with nothing left to send that should close closes.
    fn serve(&mut self, site: &mut dyn Site) {
        for (handle, served) in &mut self.served {
            let Some(connection) = self.host.connection_mut(*handle) else {
                continue;
            };
            if connection.readable() > 0 {
                let request = connection.read(connection.readable());
                let output = served.responder.receive(&request, site);
                served.unsent.extend(output.data);
                served.closing |= output.close;
                self.answered += output.exchanges.len() as u64;
                if let Some(last) = output.exchanges.into_iter().last() {
                    self.last_exchange = Some(last);
                }
            }
            let (front, _) = served.unsent.as_slices();
            let taken = connection.write(front);
            served.unsent.drain(..taken);
            if served.unsent.is_empty() && served.closing && !served.closed {
                connection.close();
                served.closed = true;
            }
        }
    }

    /// One line for the card's status.
    pub fn status_line(&self) -> String {
        let [a, b, c, d] = self.address();
        let mut line = format!(
            "USB IP {a}.{b}.{c}.{d}: SCWS listening on {SCWS_PORT}, {} connection(s), {} request(s) answered",
            self.served.len(),
            self.answered
        );
        if let Some(last) = &self.last_exchange {
            line.push_str(&format!(" (last: {} → {})", last.request, last.status));
        }
        line
    }
}

impl Card {
    /// The ATR this card sends: [`answer_to_reset`] when its profile turns USB on,
    /// else [`Card::atr`].
    pub fn answer_to_reset(&self) -> Vec<u8> {
        match self.profile.usb.enabled {
            true => answer_to_reset(self.profile.usb.address.octets()),
            false => Card::atr(),
        }
    }

    /// The card's IP stack, while it is powered with USB on.
    pub fn usb(&self) -> Option<&UsbIp> {
        self.session.usb.as_ref()
    }

    /// An IP packet or a timer for the card's IP stack; nothing without one.
    pub(super) fn usb_message(&mut self, now: Instant, payload: &Payload) -> Vec<Message> {
        let Some(mut usb) = self.session.usb.take() else {
            return Vec::new();
        };
        let out = usb.handle(now, payload, self);
        self.session.usb = Some(usb);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::tcp::{Connection, Endpoint};
    use crate::wire::ipv4::Ipv4Packet;
    use crate::wire::tcp::TcpFlags;

    #[test]
    fn usb_atr_announces_the_interface_and_the_address() {
        let bytes = answer_to_reset([169, 254, 7, 9]);
        let atr = Atr::parse(&bytes).unwrap();
        assert_eq!(atr.protocols(), [0, 15]);
        assert_eq!(atr.groups[2].tb, Some(0xC0));
        assert_eq!(
            atr.historical,
            [0x80, 0x31, 0xE0, 0x73, 0xFE, 0x21, 0x1B, 0x54, 169, 254, 7, 9, 0x82, 0x90, 0x00]
        );
        // T0 to TCK XOR to zero.
        assert_eq!(bytes[1..].iter().fold(0, |x, b| x ^ b), 0);
        assert_eq!(&bytes[..7], [0x3B, 0x9F, 0x96, 0x80, 0x3F, 0xC7, 0xC0]);
    }

    /// A client at 198.51.100.10 that has sent `request` on a connection to the card.
    struct Client {
        connection: Connection,
        now: Instant,
        received: Vec<u8>,
    }

    const CLIENT: [u8; 4] = [198, 51, 100, 10];

    impl Client {
        fn new() -> Client {
            let local = Endpoint {
                addr: CLIENT,
                port: 50_000,
            };
            let remote = Endpoint {
                addr: DEFAULT_ADDRESS,
                port: SCWS_PORT,
            };
            Client {
                connection: Connection::connect(local, remote, 1000, Config::default()),
                now: Instant::ZERO,
                received: Vec::new(),
            }
        }

        /// Exchanges packets with `card` until neither side sends anything.
        fn converse(&mut self, card: &mut Card) {
            for _ in 0..200 {
                self.now = self.now.plus_micros(1_000);
                let packets: Vec<Vec<u8>> = self
                    .connection
                    .poll_transmit(self.now)
                    .iter()
                    .map(|s| Ipv4Packet::tcp(CLIENT, DEFAULT_ADDRESS, s).emit())
                    .collect();
                let mut answers = Vec::new();
                for packet in &packets {
                    for message in card.usb_message(self.now, &Payload::Ip(packet.clone())) {
                        assert_eq!(
                            message.to,
                            if matches!(message.payload, Payload::Timer(_)) {
                                NodeId::Card
                            } else {
                                NodeId::Phone
                            }
                        );
                        if let Payload::Ip(bytes) = message.payload {
                            answers.push(bytes);
                        }
                    }
                }
                for bytes in &answers {
                    let packet = Ipv4Packet::parse(bytes).unwrap();
                    assert_eq!((packet.src, packet.dst), (DEFAULT_ADDRESS, CLIENT));
                    let segment = packet.parse_tcp().unwrap();
                    let remote = Endpoint {
                        addr: packet.src,
                        port: segment.src_port,
                    };
                    self.connection.on_segment(self.now, remote, &segment, 0);
                }
                self.received
                    .extend(self.connection.read(self.connection.readable()));
                if packets.is_empty() && answers.is_empty() {
                    return;
                }
            }
            panic!("the conversation never ended");
        }
    }

    fn usb_card() -> Card {
        let mut profile = crate::card::Profile::default_profile();
        profile.usb.enabled = true;
        let mut card = Card::from_profile(profile).unwrap();
        card.power_on().unwrap();
        card
    }

    #[test]
    fn serves_a_page_over_tcp_and_closes_when_asked() {
        let mut card = usb_card();
        let mut client = Client::new();
        let request = b"GET /readme.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        client.connection.write(request);
        client.converse(&mut card);
        let page = card.scws_resource("/readme.txt").unwrap().body;
        let text = String::from_utf8_lossy(&client.received);
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(client.received.ends_with(&page));
        let usb = card.usb().unwrap();
        assert_eq!(usb.answered(), 1);
        assert_eq!(usb.last_exchange().unwrap().status, 200);
        // The card closed its side after the response and waits for the client's FIN.
        assert!(client
            .connection
            .take_events()
            .contains(&ConnectionEvent::PeerFinished));
        let (_, connection) = usb.host().connections().next().unwrap();
        assert_eq!(connection.state(), crate::net::tcp::TcpState::FinWait2);
    }

    #[test]
    fn a_response_larger_than_the_send_buffer_arrives_whole() {
        let mut card = usb_card();
        let page = card.scws_resource("/manual.html").unwrap().body;
        let mut client = Client::new();
        // Pipelined requests whose responses together overflow the card's send buffer.
        let count = CARD_TCP_BUFFER / page.len() + 2;
        let request = b"GET /manual.html HTTP/1.1\r\nHost: x\r\n\r\n".repeat(count);
        client.connection.write(&request);
        client.converse(&mut card);
        let bodies = client
            .received
            .windows(page.len())
            .filter(|w| *w == page.as_slice())
            .count();
        assert_eq!(bodies, count);
        assert_eq!(card.usb().unwrap().answered(), count as u64);
    }

    #[test]
    fn refuses_other_ports_and_ignores_packets_without_usb() {
        let mut card = usb_card();
        let syn = crate::wire::tcp::TcpSegment {
            src_port: 50_000,
            dst_port: 4116,
            seq: 7,
            flags: TcpFlags::SYN,
            window: 1000,
            ..Default::default()
        };
        let packet = Ipv4Packet::tcp(CLIENT, DEFAULT_ADDRESS, &syn).emit();
        let out = card.usb_message(Instant::ZERO, &Payload::Ip(packet.clone()));
        let Payload::Ip(reply) = &out[0].payload else {
            panic!("{out:?}");
        };
        let reply = Ipv4Packet::parse(reply).unwrap().parse_tcp().unwrap();
        assert!(reply.flags.contains(TcpFlags::RST));
        let mut plain = Card::new();
        plain.power_on().unwrap();
        assert!(plain.usb().is_none());
        assert!(plain
            .usb_message(Instant::ZERO, &Payload::Ip(packet))
            .is_empty());
    }
}
