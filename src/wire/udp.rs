//! UDP datagrams: RFC 768.
//!
//! ```text
//!  0-1  source port    2-3  destination port
//!  4-5  length (header and data, ≥ 8)    6-7  checksum    8-  data
//! ```
//!
//! The checksum covers the pseudo-header (source and destination address, zero,
//! protocol 17, UDP length; [`crate::wire::ipv4::pseudo_header`]) and the datagram. A
//! checksum field of `0000` means the sender computed none, and is accepted; a computed
//! checksum of `0000` is sent as `FFFF`. The length field must equal the bytes given
//! (the IP layer delimits the datagram), so trailing bytes are rejected.
//! [`UdpDatagram::emit`] always computes the checksum, so `emit(parse(x)) == x` for
//! every accepted datagram that carried one.

use crate::wire::field::{Field, FieldFill};
use crate::wire::ipv4::{pseudo_header, verify_checksum, PROTOCOL_UDP};
use crate::wire::DecodeError;

/// Length of the header.
pub const HEADER_LEN: usize = 8;

/// A UDP datagram, owned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UdpDatagram {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: Vec<u8>,
}

impl UdpDatagram {
    /// Parses a datagram that travelled from `src` to `dst` (RFC 768): the length field
    /// equal to the bytes, the checksum verified unless it is `0000`.
    pub fn parse(bytes: &[u8], src: [u8; 4], dst: [u8; 4]) -> Result<UdpDatagram, DecodeError> {
        check(bytes, src, dst)?;
        Ok(UdpDatagram {
            src_port: u16::from_be_bytes([bytes[0], bytes[1]]),
            dst_port: u16::from_be_bytes([bytes[2], bytes[3]]),
            payload: bytes[HEADER_LEN..].to_vec(),
        })
    }

    /// Number of bytes [`Self::emit`] produces.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload.len()
    }

    /// The encoded datagram, its checksum computed for a packet from `src` to `dst`
    /// (`FFFF` when the sum gives `0000`).
    pub fn emit(&self, src: [u8; 4], dst: [u8; 4]) -> Vec<u8> {
        debug_assert!(
            self.buffer_len() <= usize::from(u16::MAX),
            "UDP datagram too long"
        );
        let length = self.buffer_len() as u16;
        let mut out = Vec::with_capacity(self.buffer_len());
        out.extend_from_slice(&self.src_port.to_be_bytes());
        out.extend_from_slice(&self.dst_port.to_be_bytes());
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.payload);
        let pseudo = pseudo_header(src, dst, PROTOCOL_UDP, length);
        let checksum = match crate::wire::ipv4::internet_checksum(&[&pseudo, &out]) {
            0 => 0xFFFF,
            sum => sum,
        };
        out[6..8].copy_from_slice(&checksum.to_be_bytes());
        out
    }

    /// The field tree of a datagram's bytes (path `udp`, offsets from 0) that
    /// travelled from `src` to `dst`: the four header fields and the data as one field
    /// `udp.data` ("data (N bytes)"). The bytes must be a datagram [`Self::parse`]
    /// accepts.
    pub fn describe(bytes: &[u8], src: [u8; 4], dst: [u8; 4]) -> Result<Field, DecodeError> {
        let checksum = check(bytes, src, dst)?;
        let datagram = UdpDatagram::parse(bytes, src, dst)?;
        let data_len = datagram.payload.len();
        let mut root = Field::new("udp", "UDP datagram", 0, bytes.len())
            .with_value(format!(
                "{} → {}, {data_len} data bytes",
                datagram.src_port, datagram.dst_port
            ))
            .with_note("RFC 768");
        root.child("src_port", "Source port", 0, 2)
            .with_value(datagram.src_port.to_string());
        root.child("dst_port", "Destination port", 2, 2)
            .with_value(datagram.dst_port.to_string());
        root.child("length", "Length", 4, 2)
            .with_value(format!("{} bytes", bytes.len()))
            .with_note("header and data");
        root.child("checksum", "Checksum", 6, 2)
            .with_value(format!("{checksum:04X}"))
            .with_note(if checksum == 0 {
                "0000: the sender computed no checksum"
            } else {
                "verified over the pseudo-header (addresses, protocol 17, UDP length) and the datagram"
            });
        if data_len > 0 {
            root.child("data", "Data", HEADER_LEN, data_len)
                .with_value(format!("data ({data_len} bytes)"));
        }
        Ok(root)
    }
}

/// The checks of [`UdpDatagram::parse`]; returns the checksum field.
fn check(bytes: &[u8], src: [u8; 4], dst: [u8; 4]) -> Result<u16, DecodeError> {
    if bytes.len() < HEADER_LEN {
        return Err(DecodeError::Truncated {
            what: "UDP header",
            needed: HEADER_LEN,
            available: bytes.len(),
        });
    }
    let length = u16::from_be_bytes([bytes[4], bytes[5]]);
    if usize::from(length) != bytes.len() {
        return Err(DecodeError::BadLength {
            what: "UDP length",
            detail: format!(
                "the field says {length} bytes, the datagram has {}",
                bytes.len()
            ),
        });
    }
    let pseudo = pseudo_header(src, dst, PROTOCOL_UDP, length);
    verify_checksum("UDP checksum", &pseudo, bytes, 6, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::cat::tests::assert_ranges_sane;
    use crate::wire::ipv4::Ipv4Packet;

    const PHONE: [u8; 4] = [10, 0, 0, 1];
    const SERVER: [u8; 4] = [10, 0, 0, 2];

    fn sample() -> UdpDatagram {
        UdpDatagram {
            src_port: 5000,
            dst_port: 2948,
            payload: b"push: connect to 10.0.0.2".to_vec(),
        }
    }

    #[test]
    fn round_trips_with_a_computed_checksum() {
        let bytes = sample().emit(PHONE, SERVER);
        assert_eq!(bytes[4..6], [0, 33]);
        assert_ne!(bytes[6..8], [0, 0]);
        assert_eq!(UdpDatagram::parse(&bytes, PHONE, SERVER), Ok(sample()));
    }

    #[test]
    fn accepts_a_zero_checksum_as_none() {
        let mut bytes = sample().emit(PHONE, SERVER);
        bytes[6..8].copy_from_slice(&[0, 0]);
        assert_eq!(
            UdpDatagram::parse(&bytes, PHONE, [1, 2, 3, 4]),
            Ok(sample())
        );
        let field = UdpDatagram::describe(&bytes, PHONE, SERVER).unwrap();
        assert_eq!(
            field.find("udp.checksum").map(|f| f.note.as_str()),
            Some("0000: the sender computed no checksum")
        );
    }

    #[test]
    fn sends_a_zero_sum_as_ffff() {
        // Choose the last two data bytes (a whole word: 28 data bytes) so that the
        // checksum comes out as zero.
        let mut datagram = sample();
        datagram.payload.extend([0, 0, 0]);
        let sum = !u16::from_be_bytes(datagram.emit(PHONE, SERVER)[6..8].try_into().unwrap());
        let n = datagram.payload.len();
        // Adding `!sum` as the last word makes the ones' complement sum FFFF.
        datagram.payload[n - 2..].copy_from_slice(&(!sum).to_be_bytes());
        let bytes = datagram.emit(PHONE, SERVER);
        assert_eq!(bytes[6..8], [0xFF, 0xFF]);
        assert_eq!(UdpDatagram::parse(&bytes, PHONE, SERVER), Ok(datagram));
    }

    #[test]
    fn rejects_every_strict_prefix_and_trailing_bytes() {
        let bytes = sample().emit(PHONE, SERVER);
        for cut in 0..bytes.len() {
            assert!(
                UdpDatagram::parse(&bytes[..cut], PHONE, SERVER).is_err(),
                "{cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            UdpDatagram::parse(&longer, PHONE, SERVER),
            Err(DecodeError::BadLength {
                what: "UDP length",
                ..
            })
        ));
    }

    #[test]
    fn rejects_a_flipped_bit_anywhere() {
        let bytes = sample().emit(PHONE, SERVER);
        assert!(bytes[6..8].iter().map(|b| b.count_ones()).sum::<u32>() > 1);
        for bit in 0..bytes.len() * 8 {
            let mut damaged = bytes.clone();
            damaged[bit / 8] ^= 0x80 >> (bit % 8);
            assert!(
                UdpDatagram::parse(&damaged, PHONE, SERVER).is_err(),
                "bit {bit}"
            );
        }
    }

    #[test]
    fn describes_inside_an_ipv4_packet() {
        let bytes = Ipv4Packet::udp(PHONE, SERVER, &sample()).emit();
        assert_eq!(Ipv4Packet::parse(&bytes).unwrap().parse_udp(), Ok(sample()));
        let field = Ipv4Packet::describe(&bytes).unwrap();
        let data = field.find("ipv4.udp.data").unwrap();
        assert_eq!((data.start, data.len), (28, 25));
        assert_eq!(data.value, "data (25 bytes)");
        assert_eq!(
            field
                .find("ipv4.udp.dst_port")
                .map(|f| (f.start, f.value.as_str())),
            Some((22, "2948"))
        );
        assert_ranges_sane(&field, bytes.len(), "udp");
        assert!(field.uncovered(bytes.len()).is_empty());
    }
}
