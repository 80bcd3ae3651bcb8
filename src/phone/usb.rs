//! The phone's side of a USB UICC (ETSI TS 102 600): it routes IP between the operator
//! network and the card's own IP stack, and the card's web server is reached without
//! BIP (see [`crate::card::usb`] for the card's side).
//!
//! The phone learns that the card has the interface, and its address, from the ATR
//! ([`UsbLink::from_atr`]): TS 102 221 §6.3.3 table 6.7 (the first TBi, i > 2, after
//! T=15 has b8 and b7 set: Inter-Chip USB supported) and the card issuer's data object
//! of the historical bytes ([`crate::card::usb::ADDRESS_OBJECT`], the emulator's
//! convention in place of TS 102 483's DHCP). A real terminal would then enumerate the
//! USB device; that, and the EEM framing, are not modelled.
//!
//! With a USB link the phone forwards ports ([`FORWARDED_PORTS`]): a TCP packet from
//! the network to its own address and port 3516 or 4116 goes down to the card, its
//! destination rewritten to the card's address; a TCP packet from the card, from one
//! of those ports, goes up to the network, its source rewritten to the phone's
//! address. Each crossing is a router hop (RFC 1812 §5.3.1): the TTL drops by one and a
//! packet whose TTL would reach 0 is dropped; the checksums are computed anew by the
//! IPv4 and TCP codecs. The server's address is left as it is, so the card answers it
//! directly and no connection table is needed (a destination NAT, RFC 2663 §4.1).
//!
//! | packet | what the phone does |
//! |---|---|
//! | network → phone address, TCP port 3516 / 4116 | to the card |
//! | network → anything else | the phone's own stack, as without USB (the gateway) |
//! | card → network, from port 3516 / 4116 of the card's address, the phone with an IP session | to the network |
//! | card → anything else, or without an IP session | dropped (counted) |
//!
//! The forwarding takes precedence over a BIP channel listening on the same port. The
//! gateway's allow-list (module 50, [`super::link::Admission`]) applies to forwarded
//! connections as to BIP ones: a server it refuses gets a RST from the phone. A port
//! checked by certificate is the card's own business here: the TLS endpoint is the card.

use super::Phone;
use crate::card::usb::{ADDRESS_OBJECT, USB_INTERFACE_TB};
use crate::sim::{Message, NodeId, Payload};
use crate::wire::atr::Atr;
use crate::wire::ipv4::{address_text, Ipv4Packet};
use crate::wire::tcp::TcpFlags;

/// The phone's own address on the USB link: IPv4 link-local (RFC 3927), the card's
/// gateway. It never appears in a forwarded packet.
pub const PHONE_USB_ADDRESS: [u8; 4] = [169, 254, 1, 1];

/// The ports of the phone's address forwarded to the card: IANA's for the Smart Card
/// Web Server over HTTP and HTTPS.
pub const FORWARDED_PORTS: [u16; 2] = [3516, 4116];

/// A card reachable over IP on the USB interface, and the packets routed to and from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsbLink {
    card: [u8; 4],
    /// Packets forwarded from the network to the card.
    down: u64,
    /// Packets forwarded from the card to the network.
    up: u64,
    /// Packets from the card that could not be forwarded.
    dropped: u64,
}

impl UsbLink {
    /// The card's USB link as its ATR announces it: TB [`USB_INTERFACE_TB`] (b8 and b7
    /// set) in the first group after T=15 that has a TB (TS 102 221 §6.3.3 table 6.7),
    /// and historical bytes of category `80` (ISO/IEC 7816-4 §8.1.1.2) holding the
    /// COMPACT-TLV object [`ADDRESS_OBJECT`] with the card's IPv4 address. `None` when
    /// either is missing or malformed: the phone then treats the card as any other.
    pub fn from_atr(atr: &Atr) -> Option<UsbLink> {
        let t15 = atr.groups.iter().position(|g| g.td_protocol == Some(15))?;
        let tb = atr.groups.get(t15 + 1..)?.iter().find_map(|g| g.tb)?;
        if tb & USB_INTERFACE_TB != USB_INTERFACE_TB {
            return None;
        }
        let (&category, mut objects) = atr.historical.split_first()?;
        if category != 0x80 {
            return None;
        }
        while let Some((&header, rest)) = objects.split_first() {
            let len = usize::from(header & 0x0F);
            let value = rest.get(..len)?;
            if header == ADDRESS_OBJECT {
                let card = <[u8; 4]>::try_from(value).ok()?;
                return Some(UsbLink {
                    card,
                    down: 0,
                    up: 0,
                    dropped: 0,
                });
            }
            objects = &rest[len..];
        }
        None
    }

    /// The card's IPv4 address on the link.
    pub fn card_address(&self) -> [u8; 4] {
        self.card
    }

    /// Packets forwarded from the network to the card.
    pub fn forwarded_down(&self) -> u64 {
        self.down
    }

    /// Packets forwarded from the card to the network.
    pub fn forwarded_up(&self) -> u64 {
        self.up
    }

    /// Packets from the card that could not be forwarded.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// One line for the phone's status.
    pub fn status_line(&self) -> String {
        format!(
            "USB IP: card at {} (ports {} forwarded; {} down, {} up, {} dropped)",
            address_text(self.card),
            FORWARDED_PORTS.map(|p| p.to_string()).join(", "),
            self.down,
            self.up,
            self.dropped
        )
    }
}

impl Phone {
    /// The card's USB link, when its ATR announced one.
    pub fn usb(&self) -> Option<&UsbLink> {
        self.usb.as_ref()
    }

    /// Routes an IP packet between the network and the card (see the module
    /// documentation); `None` when the message is none of this module's business.
    pub(super) fn usb_message(&mut self, message: &Message) -> Option<Vec<Message>> {
        let Payload::Ip(bytes) = &message.payload else {
            return None;
        };
        let phone = self.net.address();
        match (message.from, self.usb.is_some()) {
            (NodeId::Network, true) => {
                let phone = phone?;
                let packet = Ipv4Packet::parse(bytes).ok()?;
                let segment = packet.parse_tcp().ok()?;
                if packet.dst != phone || !FORWARDED_PORTS.contains(&segment.dst_port) {
                    return None;
                }
                // The gateway's check applies to forwarded connections too: a server the
                // allow-list refuses gets a RST from the phone and never reaches the card.
                let opening =
                    segment.flags.contains(TcpFlags::SYN) && !segment.flags.contains(TcpFlags::ACK);
                if opening && self.net.refuses(segment.dst_port, packet.src) {
                    self.net.refuse(&segment, packet.src);
                    return Some(Vec::new());
                }
                let link = self.usb.as_mut()?;
                let forwarded = hop(packet, segment, None, Some(link.card));
                link.down += u64::from(forwarded.is_some());
                Some(
                    forwarded
                        .map(|p| Message::new(NodeId::Phone, NodeId::Card, Payload::Ip(p)))
                        .into_iter()
                        .collect(),
                )
            }
            (NodeId::Card, true) => {
                let link = self.usb.as_mut()?;
                let forwarded = Ipv4Packet::parse(bytes).ok().and_then(|packet| {
                    let segment = packet.parse_tcp().ok()?;
                    let ours =
                        packet.src == link.card && FORWARDED_PORTS.contains(&segment.src_port);
                    ours.then_some(())?;
                    hop(packet, segment, Some(phone?), None)
                });
                match forwarded {
                    Some(packet) => {
                        link.up += 1;
                        Some(vec![Message::new(
                            NodeId::Phone,
                            NodeId::Network,
                            Payload::Ip(packet),
                        )])
                    }
                    None => {
                        link.dropped += 1;
                        Some(Vec::new())
                    }
                }
            }
            // A card without the USB link sends no IP; anything else goes its usual way.
            (NodeId::Card, false) => Some(Vec::new()),
            _ => None,
        }
    }
}

/// `packet` (carrying `segment`) one router hop further: source and / or destination
/// replaced, TTL one less, checksums computed anew; `None` when the TTL runs out (RFC
/// 1812 §5.3.1).
fn hop(
    packet: Ipv4Packet,
    segment: crate::wire::tcp::TcpSegment,
    src: Option<[u8; 4]>,
    dst: Option<[u8; 4]>,
) -> Option<Vec<u8>> {
    let ttl = packet.ttl.checked_sub(1).filter(|ttl| *ttl > 0)?;
    let src = src.unwrap_or(packet.src);
    let dst = dst.unwrap_or(packet.dst);
    // A router keeps the identification (RFC 791 §3.2).
    let forwarded = Ipv4Packet {
        ttl,
        identification: packet.identification,
        ..Ipv4Packet::tcp(src, dst, &segment)
    };
    Some(forwarded.emit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::{usb::answer_to_reset, Card};
    use crate::wire::tcp::TcpSegment;

    fn link(card: [u8; 4]) -> UsbLink {
        UsbLink::from_atr(&Atr::parse(&answer_to_reset(card)).unwrap()).unwrap()
    }

    #[test]
    fn learns_the_card_address_from_the_atr() {
        assert_eq!(link([169, 254, 9, 1]).card_address(), [169, 254, 9, 1]);
    }

    #[test]
    fn a_card_without_the_usb_bit_has_no_link() {
        assert_eq!(UsbLink::from_atr(&Atr::parse(&Card::atr()).unwrap()), None);
        // The address object alone is not enough: TB3 must say USB.
        let mut atr = Atr::parse(&answer_to_reset([169, 254, 9, 1])).unwrap();
        atr.groups[2].tb = Some(0x82);
        assert_eq!(UsbLink::from_atr(&atr), None);
    }

    #[test]
    fn a_usb_atr_without_a_readable_address_has_no_link() {
        let mut atr = Atr::parse(&answer_to_reset([169, 254, 9, 1])).unwrap();
        // The address object cut short: its length runs past the historical bytes.
        atr.historical.truncate(10);
        assert_eq!(UsbLink::from_atr(&atr), None);
        // Another category of historical bytes.
        atr.historical = vec![0x00, 0x54, 1, 2, 3, 4];
        assert_eq!(UsbLink::from_atr(&atr), None);
    }

    fn syn(ttl: u8) -> Ipv4Packet {
        let segment = TcpSegment {
            src_port: 50_000,
            dst_port: 3516,
            seq: 9,
            flags: crate::wire::tcp::TcpFlags::SYN,
            window: 1000,
            ..TcpSegment::default()
        };
        Ipv4Packet {
            ttl,
            identification: 0x1234,
            ..Ipv4Packet::tcp([198, 51, 100, 10], [192, 0, 2, 10], &segment)
        }
    }

    #[test]
    fn a_hop_rewrites_the_address_and_keeps_the_checksums_right() {
        let packet = syn(64);
        let segment = packet.parse_tcp().unwrap();
        let bytes = hop(packet, segment.clone(), None, Some([169, 254, 1, 2])).unwrap();
        let forwarded = Ipv4Packet::parse(&bytes).unwrap();
        assert_eq!(
            (
                forwarded.src,
                forwarded.dst,
                forwarded.ttl,
                forwarded.identification
            ),
            ([198, 51, 100, 10], [169, 254, 1, 2], 63, 0x1234)
        );
        assert_eq!(forwarded.parse_tcp().unwrap(), segment);
    }

    #[test]
    fn a_packet_whose_ttl_runs_out_is_not_forwarded() {
        let packet = syn(1);
        let segment = packet.parse_tcp().unwrap();
        assert_eq!(hop(packet, segment, None, Some([169, 254, 1, 2])), None);
    }
}
