//! IPv4 packets: RFC 791 §3.1, with the Internet checksum of RFC 1071 that TCP and UDP
//! reuse over their pseudo-headers.
//!
//! ```text
//!  0      version (4) | IHL (header length in 32-bit words, ≥ 5)
//!  1      type of service (DSCP | ECN)
//!  2-3    total length (header + payload)
//!  4-5    identification
//!  6-7    flags (reserved, DF, MF) | fragment offset (13 bits)
//!  8      time to live      9  protocol (6 TCP, 17 UDP)
//!  10-11  header checksum
//!  12-15  source address    16-19  destination address
//!  20-    options (IHL × 4 − 20 bytes), then the payload
//! ```
//!
//! What [`Ipv4Packet::parse`] accepts and drops:
//! * version 4 and IHL ≥ 5 only; options are skipped (and shown by
//!   [`Ipv4Packet::describe`] as one field), not kept;
//! * the total length must equal the bytes given: the operator network carries bare
//!   packets with no link-layer padding, so a shorter total length (bytes after the
//!   packet) is [`DecodeError::TrailingBytes`] and a longer one is truncation;
//! * the header checksum must verify;
//! * fragments (MF set or a fragment offset other than 0) are rejected as unsupported:
//!   nothing in this emulator fragments, and reassembly is not modelled;
//! * the type of service is not kept.
//!
//! [`Ipv4Packet::emit`] writes IHL 5, type of service 0, DF set and the computed
//! checksum, so `emit(parse(x)) == x` for every accepted packet without options whose
//! type of service is 0 and whose DF bit is set.

use crate::wire::field::{Field, FieldFill};
use crate::wire::tcp::TcpSegment;
use crate::wire::udp::UdpDatagram;
use crate::wire::DecodeError;

/// Length of a header without options.
pub const HEADER_LEN: usize = 20;
/// Protocol number of TCP (IANA "Assigned Internet Protocol Numbers").
pub const PROTOCOL_TCP: u8 = 6;
/// Protocol number of UDP.
pub const PROTOCOL_UDP: u8 = 17;
/// The time to live the builders [`Ipv4Packet::tcp`] and [`Ipv4Packet::udp`] set (the
/// common default of RFC 1700).
pub const DEFAULT_TTL: u8 = 64;
/// Flag DF, "don't fragment", in bytes 6-7.
const FLAG_DF: u16 = 0x4000;
/// Flag MF, "more fragments".
const FLAG_MF: u16 = 0x2000;

/// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum
/// of the 16-bit big-endian words of `parts` taken one after the other. Every part but
/// the last must have an even length; an odd last byte is padded with a zero.
pub fn internet_checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u64 = 0;
    for part in parts {
        let mut words = part.chunks_exact(2);
        for word in &mut words {
            sum += u64::from(u16::from_be_bytes([word[0], word[1]]));
        }
        if let [last] = words.remainder() {
            sum += u64::from(*last) << 8;
        }
    }
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !(sum as u16)
}

/// The 12-byte pseudo-header TCP (RFC 9293 §3.1) and UDP (RFC 768) put under their
/// checksum: source, destination, zero, protocol, and the TCP or UDP length.
pub fn pseudo_header(src: [u8; 4], dst: [u8; 4], protocol: u8, length: u16) -> [u8; 12] {
    let mut out = [0u8; 12];
    out[..4].copy_from_slice(&src);
    out[4..8].copy_from_slice(&dst);
    out[9] = protocol;
    out[10..].copy_from_slice(&length.to_be_bytes());
    out
}

/// The checksum field at `at..at + 2` of `bytes` checked against the checksum of
/// `pseudo` + `bytes` with that field taken as zero; the error names both values.
/// `zero_means_none` is UDP's rule that a field of `0000` means no checksum, and that a
/// computed `0000` is sent as `FFFF` (RFC 768).
pub(crate) fn verify_checksum(
    what: &'static str,
    pseudo: &[u8],
    bytes: &[u8],
    at: usize,
    zero_means_none: bool,
) -> Result<u16, DecodeError> {
    let field = u16::from_be_bytes([bytes[at], bytes[at + 1]]);
    if zero_means_none && field == 0 {
        return Ok(0);
    }
    let mut expected = internet_checksum(&[pseudo, &bytes[..at], &[0, 0], &bytes[at + 2..]]);
    if zero_means_none && expected == 0 {
        expected = 0xFFFF;
    }
    if field == expected {
        Ok(field)
    } else {
        Err(DecodeError::BadValue {
            what,
            detail: format!("the field says {field:04X}, the bytes sum to {expected:04X}"),
        })
    }
}

/// Dotted-quad text of an address, e.g. `192.168.0.1`.
pub fn address_text(address: [u8; 4]) -> String {
    let [a, b, c, d] = address;
    format!("{a}.{b}.{c}.{d}")
}

/// An IPv4 packet, owned: the header fields this emulator uses and the payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ipv4Packet {
    pub identification: u16,
    pub ttl: u8,
    pub protocol: u8,
    pub src: [u8; 4],
    pub dst: [u8; 4],
    pub payload: Vec<u8>,
}

/// The header facts `parse` checks, kept for `describe`.
struct Header {
    header_len: usize,
    total_len: usize,
    flags_fragment: u16,
}

impl Ipv4Packet {
    /// A packet carrying `segment` from `src` to `dst` (protocol 6, TTL
    /// [`DEFAULT_TTL`], identification 0: with DF set the identification of an atomic
    /// datagram is not used, RFC 6864 §4).
    pub fn tcp(src: [u8; 4], dst: [u8; 4], segment: &TcpSegment) -> Ipv4Packet {
        Ipv4Packet {
            identification: 0,
            ttl: DEFAULT_TTL,
            protocol: PROTOCOL_TCP,
            src,
            dst,
            payload: segment.emit(src, dst),
        }
    }

    /// A packet carrying `datagram` from `src` to `dst` (protocol 17, as [`Self::tcp`]).
    pub fn udp(src: [u8; 4], dst: [u8; 4], datagram: &UdpDatagram) -> Ipv4Packet {
        Ipv4Packet {
            protocol: PROTOCOL_UDP,
            payload: datagram.emit(src, dst),
            ..Ipv4Packet::tcp(src, dst, &TcpSegment::default())
        }
    }

    /// The TCP segment inside, its checksum verified over this packet's addresses.
    pub fn parse_tcp(&self) -> Result<TcpSegment, DecodeError> {
        self.expect_protocol(PROTOCOL_TCP, "TCP (6)")?;
        TcpSegment::parse(&self.payload, self.src, self.dst)
    }

    /// The UDP datagram inside, its checksum (when present) verified.
    pub fn parse_udp(&self) -> Result<UdpDatagram, DecodeError> {
        self.expect_protocol(PROTOCOL_UDP, "UDP (17)")?;
        UdpDatagram::parse(&self.payload, self.src, self.dst)
    }

    fn expect_protocol(&self, protocol: u8, name: &str) -> Result<(), DecodeError> {
        if self.protocol == protocol {
            Ok(())
        } else {
            Err(DecodeError::BadValue {
                what: "IPv4 protocol",
                detail: format!("{} where {name} was expected", self.protocol),
            })
        }
    }

    /// Parses a packet (RFC 791 §3.1) under the rules of the module documentation.
    pub fn parse(bytes: &[u8]) -> Result<Ipv4Packet, DecodeError> {
        let header = check_header(bytes)?;
        let b = bytes;
        Ok(Ipv4Packet {
            identification: u16::from_be_bytes([b[4], b[5]]),
            ttl: b[8],
            protocol: b[9],
            src: [b[12], b[13], b[14], b[15]],
            dst: [b[16], b[17], b[18], b[19]],
            payload: b[header.header_len..header.total_len].to_vec(),
        })
    }

    /// Number of bytes [`Self::emit`] produces.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload.len()
    }

    /// The encoded packet: IHL 5, type of service 0, DF set, checksum computed. The
    /// payload must leave the total length within 65 535 bytes.
    pub fn emit(&self) -> Vec<u8> {
        debug_assert!(
            self.buffer_len() <= usize::from(u16::MAX),
            "IPv4 packet too long"
        );
        let mut out = Vec::with_capacity(self.buffer_len());
        out.extend_from_slice(&[0x45, 0x00]);
        out.extend_from_slice(&(self.buffer_len() as u16).to_be_bytes());
        out.extend_from_slice(&self.identification.to_be_bytes());
        out.extend_from_slice(&FLAG_DF.to_be_bytes());
        out.extend_from_slice(&[self.ttl, self.protocol, 0, 0]);
        out.extend_from_slice(&self.src);
        out.extend_from_slice(&self.dst);
        let checksum = internet_checksum(&[&out]);
        out[10..12].copy_from_slice(&checksum.to_be_bytes());
        out.extend_from_slice(&self.payload);
        out
    }

    /// The field tree of a packet's bytes (path `ipv4`, offsets from 0): one field per
    /// header field, the options as one field, then the TCP segment (`ipv4.tcp`, see
    /// [`TcpSegment::describe`]) or UDP datagram (`ipv4.udp`) at absolute offsets, or
    /// for another protocol the payload as `ipv4.data`. The bytes must be a packet
    /// [`Self::parse`] accepts; a TCP or UDP payload that does not decode is kept as
    /// `ipv4.undecodable` carrying the error.
    pub fn describe(bytes: &[u8]) -> Result<Field, DecodeError> {
        let header = check_header(bytes)?;
        let packet = Ipv4Packet::parse(bytes)?;
        let b = bytes;
        let hl = header.header_len;
        let mut root = Field::new("ipv4", "IPv4 packet", 0, bytes.len())
            .with_value(format!(
                "{} → {}, {}",
                address_text(packet.src),
                address_text(packet.dst),
                protocol_name(packet.protocol)
            ))
            .with_note("RFC 791 §3.1");
        root.child("version_ihl", "Version and header length", 0, 1)
            .with_value(format!("{:02X}", b[0]))
            .with_note(format!(
                "version 4; IHL {} words = {hl} header bytes",
                hl / 4
            ));
        root.child("tos", "Type of service", 1, 1)
            .with_value(format!("{:02X}", b[1]))
            .with_note(format!("DSCP {}, ECN {}", b[1] >> 2, b[1] & 0x03));
        root.child("total_length", "Total length", 2, 2)
            .with_value(format!("{} bytes", header.total_len))
            .with_note("header and payload");
        root.child("identification", "Identification", 4, 2)
            .with_value(format!("{:04X}", packet.identification))
            .with_note("names the fragments of one datagram; unused when DF is set");
        root.child("flags", "Flags and fragment offset", 6, 2)
            .with_value(if header.flags_fragment & FLAG_DF != 0 {
                "DF"
            } else {
                "none"
            })
            .with_note(if header.flags_fragment & FLAG_DF != 0 {
                "don't fragment; not a fragment (offset 0, no more fragments)"
            } else {
                "fragmenting allowed; not a fragment (offset 0, no more fragments)"
            });
        root.child("ttl", "Time to live", 8, 1)
            .with_value(packet.ttl.to_string())
            .with_note("routers it may still cross");
        root.child("protocol", "Protocol", 9, 1).with_value(format!(
            "{} {}",
            packet.protocol,
            protocol_name(packet.protocol)
        ));
        root.child("checksum", "Header checksum", 10, 2)
            .with_value(format!("{:02X}{:02X}", b[10], b[11]))
            .with_note("verified (RFC 1071 ones' complement sum of the header)");
        root.child("src", "Source address", 12, 4)
            .with_value(address_text(packet.src));
        root.child("dst", "Destination address", 16, 4)
            .with_value(address_text(packet.dst));
        if hl > HEADER_LEN {
            root.child("options", "Options", HEADER_LEN, hl - HEADER_LEN)
                .with_value(format!("{} bytes", hl - HEADER_LEN))
                .with_note("skipped: this emulator does not interpret IPv4 options");
        }
        let inner = match packet.protocol {
            PROTOCOL_TCP => Some(TcpSegment::describe(
                &packet.payload,
                packet.src,
                packet.dst,
            )),
            PROTOCOL_UDP => Some(UdpDatagram::describe(
                &packet.payload,
                packet.src,
                packet.dst,
            )),
            _ => None,
        };
        let payload_len = packet.payload.len();
        match inner {
            Some(Ok(field)) => root.children.push(field.shifted(hl).prefixed("ipv4")),
            Some(Err(error)) => {
                root.child("undecodable", "Undecodable payload", hl, payload_len)
                    .with_value("not decoded")
                    .with_note(error.to_string());
            }
            None if payload_len > 0 => {
                root.child("data", "Payload", hl, payload_len)
                    .with_value(format!("data ({payload_len} bytes)"));
            }
            None => {}
        }
        Ok(root)
    }
}

/// `TCP`, `UDP`, `ICMP` or `unknown`.
fn protocol_name(protocol: u8) -> &'static str {
    match protocol {
        1 => "ICMP",
        PROTOCOL_TCP => "TCP",
        PROTOCOL_UDP => "UDP",
        _ => "unknown",
    }
}

/// The checks of RFC 791 §3.1 that [`Ipv4Packet::parse`] makes, in order: length,
/// version, IHL, total length, checksum, fragmentation.
fn check_header(bytes: &[u8]) -> Result<Header, DecodeError> {
    if bytes.len() < HEADER_LEN {
        return Err(DecodeError::Truncated {
            what: "IPv4 header",
            needed: HEADER_LEN,
            available: bytes.len(),
        });
    }
    let version = bytes[0] >> 4;
    if version != 4 {
        return Err(DecodeError::BadValue {
            what: "IP version",
            detail: format!("{version}; only 4 is decoded here"),
        });
    }
    let header_len = usize::from(bytes[0] & 0x0F) * 4;
    if header_len < HEADER_LEN {
        return Err(DecodeError::BadLength {
            what: "IPv4 header",
            detail: format!("IHL {} words; at least 5 (20 bytes)", header_len / 4),
        });
    }
    let total_len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
    if total_len < header_len {
        return Err(DecodeError::BadLength {
            what: "IPv4 total length",
            detail: format!("{total_len} is shorter than the {header_len}-byte header"),
        });
    }
    if bytes.len() < total_len {
        return Err(DecodeError::Truncated {
            what: "IPv4 packet (total length)",
            needed: total_len,
            available: bytes.len(),
        });
    }
    if bytes.len() > total_len {
        return Err(DecodeError::TrailingBytes {
            what: "IPv4 packet (total length)",
            count: bytes.len() - total_len,
        });
    }
    verify_checksum("IPv4 header checksum", &[], &bytes[..header_len], 10, false)?;
    let flags_fragment = u16::from_be_bytes([bytes[6], bytes[7]]);
    if flags_fragment & FLAG_MF != 0 || flags_fragment & 0x1FFF != 0 {
        return Err(DecodeError::BadValue {
            what: "IPv4 fragmentation",
            detail: format!(
                "a fragment (MF {}, offset {} bytes): reassembly is not supported",
                u8::from(flags_fragment & FLAG_MF != 0),
                (flags_fragment & 0x1FFF) * 8
            ),
        });
    }
    Ok(Header {
        header_len,
        total_len,
        flags_fragment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::cat::tests::assert_ranges_sane;
    use crate::wire::hex;

    /// The header of the well-known example (Wikipedia, "Internet checksum"): a UDP
    /// packet of 115 bytes from 192.168.0.1 to 192.168.0.199, checksum B861.
    const EXAMPLE_HEADER: &str = "45000073 00004000 4011b861 c0a80001 c0a800c7";

    /// The example header followed by a 95-byte UDP datagram without checksum.
    fn example() -> Vec<u8> {
        let mut bytes = hex::parse(EXAMPLE_HEADER).unwrap();
        bytes.extend(hex::parse("3039 0035 005F 0000").unwrap());
        bytes.extend((0..87u8).map(|i| i.wrapping_mul(7)));
        bytes
    }

    #[test]
    fn parses_the_well_known_example_header() {
        let bytes = example();
        let packet = Ipv4Packet::parse(&bytes).unwrap();
        assert_eq!(packet.identification, 0);
        assert_eq!(packet.ttl, 64);
        assert_eq!(packet.protocol, PROTOCOL_UDP);
        assert_eq!(packet.src, [192, 168, 0, 1]);
        assert_eq!(packet.dst, [192, 168, 0, 199]);
        assert_eq!(packet.payload.len(), 95);
        assert_eq!(internet_checksum(&[&bytes[..10], &bytes[12..20]]), 0xB861);
        assert_eq!(packet.emit(), bytes);
    }

    #[test]
    fn computes_the_example_checksum_on_emit() {
        let packet = Ipv4Packet::parse(&example()).unwrap();
        assert_eq!(packet.emit()[10..12], [0xB8, 0x61]);
        let mut other = packet.clone();
        other.ttl = 63;
        let bytes = other.emit();
        assert_eq!(Ipv4Packet::parse(&bytes), Ok(other));
        assert_ne!(bytes[10..12], [0xB8, 0x61]);
    }

    #[test]
    fn rejects_a_checksum_mismatch_naming_both_values() {
        let mut bytes = example();
        bytes[11] = 0x62;
        let Err(DecodeError::BadValue { what, detail }) = Ipv4Packet::parse(&bytes) else {
            panic!("accepted a bad checksum");
        };
        assert_eq!(what, "IPv4 header checksum");
        assert_eq!(detail, "the field says B862, the bytes sum to B861");
    }

    #[test]
    fn rejects_every_strict_prefix() {
        let bytes = example();
        for cut in 0..bytes.len() {
            assert!(Ipv4Packet::parse(&bytes[..cut]).is_err(), "prefix {cut}");
        }
    }

    #[test]
    fn rejects_trailing_bytes_after_the_total_length() {
        let mut bytes = example();
        bytes.push(0);
        assert_eq!(
            Ipv4Packet::parse(&bytes),
            Err(DecodeError::TrailingBytes {
                what: "IPv4 packet (total length)",
                count: 1
            })
        );
    }

    #[test]
    fn rejects_a_flipped_bit_anywhere_in_the_header() {
        let bytes = example();
        for bit in 0..HEADER_LEN * 8 {
            let mut damaged = bytes.clone();
            damaged[bit / 8] ^= 0x80 >> (bit % 8);
            assert!(Ipv4Packet::parse(&damaged).is_err(), "bit {bit}");
        }
    }

    /// A header with the given bytes changed and its checksum recomputed.
    fn reheadered(changes: &[(usize, u8)]) -> Vec<u8> {
        let mut bytes = example();
        for &(at, value) in changes {
            bytes[at] = value;
        }
        bytes[10..12].copy_from_slice(&[0, 0]);
        let checksum = internet_checksum(&[&bytes[..HEADER_LEN]]);
        bytes[10..12].copy_from_slice(&checksum.to_be_bytes());
        bytes
    }

    #[test]
    fn rejects_fragments_as_unsupported() {
        for flags in [[0x20, 0x00], [0x40, 0x01], [0x00, 0x10]] {
            let bytes = reheadered(&[(6, flags[0]), (7, flags[1])]);
            assert!(
                matches!(
                    Ipv4Packet::parse(&bytes),
                    Err(DecodeError::BadValue {
                        what: "IPv4 fragmentation",
                        ..
                    })
                ),
                "{flags:02X?}"
            );
        }
    }

    #[test]
    fn rejects_other_versions_and_short_ihl() {
        assert!(matches!(
            Ipv4Packet::parse(&reheadered(&[(0, 0x65)])),
            Err(DecodeError::BadValue {
                what: "IP version",
                ..
            })
        ));
        assert!(matches!(
            Ipv4Packet::parse(&reheadered(&[(0, 0x44)])),
            Err(DecodeError::BadLength {
                what: "IPv4 header",
                ..
            })
        ));
    }

    #[test]
    fn skips_options_and_describes_them() {
        // IHL 6: four option bytes (NOP NOP NOP EOL) before the payload.
        let mut bytes = example();
        bytes.splice(20..20, [1, 1, 1, 0]);
        bytes[0] = 0x46;
        bytes[3] += 4;
        bytes[10..12].copy_from_slice(&[0, 0]);
        let checksum = internet_checksum(&[&bytes[..24]]);
        bytes[10..12].copy_from_slice(&checksum.to_be_bytes());
        let packet = Ipv4Packet::parse(&bytes).unwrap();
        assert_eq!(packet.payload, example()[20..]);
        let field = Ipv4Packet::describe(&bytes).unwrap();
        let options = field.find("ipv4.options").unwrap();
        assert_eq!((options.start, options.len), (20, 4));
        assert_eq!(field.find("ipv4.udp").map(|f| f.start), Some(24));
        assert_ranges_sane(&field, bytes.len(), "options");
        assert!(field.uncovered(bytes.len()).is_empty());
    }

    #[test]
    fn describes_every_header_byte_and_nests_udp() {
        let bytes = example();
        let field = Ipv4Packet::describe(&bytes).unwrap();
        let value = |path: &str| field.find(path).map(|f| f.value.clone());
        assert_eq!(field.value, "192.168.0.1 → 192.168.0.199, UDP");
        assert_eq!(value("ipv4.flags").as_deref(), Some("DF"));
        assert_eq!(value("ipv4.checksum").as_deref(), Some("B861"));
        assert_eq!(value("ipv4.protocol").as_deref(), Some("17 UDP"));
        assert_eq!(value("ipv4.total_length").as_deref(), Some("115 bytes"));
        let data = field.find("ipv4.udp.data").unwrap();
        assert_eq!((data.start, data.len), (28, 87));
        assert_ranges_sane(&field, bytes.len(), "example");
        assert!(field.uncovered(bytes.len()).is_empty());
    }

    #[test]
    fn keeps_the_header_when_the_transport_does_not_decode() {
        // UDP length field 5: shorter than its own header.
        let mut bytes = example();
        bytes[24..26].copy_from_slice(&[0, 5]);
        let field = Ipv4Packet::describe(&bytes).unwrap();
        let bad = field.find("ipv4.undecodable").unwrap();
        assert_eq!((bad.start, bad.len), (20, 95));
        assert!(bad.note.contains("UDP length"), "{}", bad.note);
    }

    #[test]
    fn other_protocols_show_their_payload_as_data() {
        let packet = Ipv4Packet {
            protocol: 1,
            payload: vec![8, 0, 0xF7, 0xFF],
            ..Ipv4Packet::parse(&example()).unwrap()
        };
        let bytes = packet.emit();
        let field = Ipv4Packet::describe(&bytes).unwrap();
        assert_eq!(
            field.find("ipv4.data").map(|f| f.value.as_str()),
            Some("data (4 bytes)")
        );
        assert!(packet.parse_tcp().is_err());
    }

    fn tcp_packet() -> (Ipv4Packet, TcpSegment) {
        let segment = TcpSegment {
            src_port: 3516,
            dst_port: 49152,
            seq: 7,
            ack: 1001,
            flags: crate::wire::tcp::TcpFlags::SYN | crate::wire::tcp::TcpFlags::ACK,
            window: 4096,
            mss: Some(1400),
            payload: b"hello".to_vec(),
        };
        (
            Ipv4Packet::tcp([10, 0, 0, 2], [10, 0, 0, 1], &segment),
            segment,
        )
    }

    #[test]
    fn carries_a_tcp_segment_both_ways() {
        let (packet, segment) = tcp_packet();
        let bytes = packet.emit();
        assert_eq!(bytes.len(), packet.buffer_len());
        let parsed = Ipv4Packet::parse(&bytes).unwrap();
        assert_eq!(parsed, packet);
        assert_eq!(parsed.parse_tcp(), Ok(segment));
        assert!(parsed.parse_udp().is_err());
    }

    #[test]
    fn rejects_a_flipped_bit_anywhere_in_a_tcp_packet() {
        let bytes = tcp_packet().0.emit();
        for bit in 0..bytes.len() * 8 {
            let mut damaged = bytes.clone();
            damaged[bit / 8] ^= 0x80 >> (bit % 8);
            let result = Ipv4Packet::parse(&damaged).and_then(|p| p.parse_tcp());
            assert!(result.is_err(), "bit {bit}");
        }
    }

    #[test]
    fn auto_decodes_an_emitted_packet_into_the_tree() {
        let bytes = tcp_packet().0.emit();
        let (kind, field) = crate::wire::decode::auto(&bytes).unwrap();
        assert_eq!(kind, crate::wire::decode::Kind::Ipv4Packet);
        let at = |path: &str| {
            field
                .find(path)
                .map(|f| (f.start, f.len, f.value.clone()))
                .unwrap_or_else(|| panic!("no {path}\n{}", field.render_tree(Some(&bytes))))
        };
        assert_eq!(at("ipv4.src"), (12, 4, "10.0.0.2".into()));
        assert_eq!(at("ipv4.tcp.dst_port"), (22, 2, "49152".into()));
        assert_eq!(at("ipv4.tcp.flags"), (33, 1, "SYN, ACK".into()));
        assert_eq!(at("ipv4.tcp.options.mss"), (40, 4, "1400 bytes".into()));
        assert_eq!(at("ipv4.tcp.data"), (44, 5, "data (5 bytes)".into()));
        assert_ranges_sane(&field, bytes.len(), "tcp");
        assert!(field.uncovered(bytes.len()).is_empty());
        for cut in 0..bytes.len() {
            assert!(crate::wire::decode::auto(&bytes[..cut]).is_err(), "{cut}");
        }
    }

    #[test]
    fn no_panic_on_any_input() {
        let mut seed = 0x1234_5678_u64;
        let valid = example();
        for _ in 0..20_000 {
            let mut bytes = crate::wire::ber_tlv::test_input::lcg_bytes(&mut seed, 60);
            if let Some(first) = bytes.first_mut() {
                *first = 0x45;
            }
            for candidate in [&bytes[..], &valid[..bytes.len().min(valid.len())]] {
                if let Ok(field) = Ipv4Packet::describe(candidate) {
                    assert_ranges_sane(&field, candidate.len(), "fuzz");
                }
                let _ = Ipv4Packet::parse(candidate);
            }
        }
    }
}
