//! TCP segments: RFC 9293 §3.1 (header format, options, checksum over the
//! pseudo-header).
//!
//! ```text
//!  0-1    source port          2-3  destination port
//!  4-7    sequence number      8-11 acknowledgment number
//!  12     data offset (b7-b4, header length in 32-bit words, ≥ 5) | reserved (b3-b0)
//!  13     CWR ECE URG ACK PSH RST SYN FIN
//!  14-15  window               16-17 checksum      18-19 urgent pointer
//!  20-    options (data offset × 4 − 20 bytes), then the data
//! ```
//!
//! Options (§3.2): `00` end of option list, `01` no-operation, `02 04 hi lo` maximum
//! segment size; any other kind is skipped by its length byte. An option whose length
//! is below 2 or runs past the header, and an MSS option whose length is not 4, are
//! rejected. The checksum covers the 12-byte pseudo-header (source and destination
//! address, zero, protocol 6, TCP length) and the whole segment
//! ([`crate::wire::ipv4::pseudo_header`]), so [`TcpSegment::parse`] and
//! [`TcpSegment::emit`] take the two addresses.
//!
//! A segment has no length field of its own: its length is what the IP layer says.
//!
//! Not kept by [`TcpSegment::parse`]: the reserved bits, ECE and CWR (explicit
//! congestion notification is not modelled), the urgent pointer, and options other than
//! the MSS. [`TcpSegment::emit`] writes them as zero and the MSS option, when present,
//! as the only option (data offset 6), so `emit(parse(x)) == x` for segments that carry
//! no other option and zero in those fields.

use crate::wire::field::{Field, FieldFill};
use crate::wire::ipv4::{pseudo_header, verify_checksum, PROTOCOL_TCP};
use crate::wire::DecodeError;
use std::fmt;
use std::ops::{BitOr, BitOrAssign};

/// Length of a header without options.
pub const HEADER_LEN: usize = 20;
/// Option kind: end of option list.
const OPTION_END: u8 = 0;
/// Option kind: no-operation.
const OPTION_NOP: u8 = 1;
/// Option kind: maximum segment size.
const OPTION_MSS: u8 = 2;

/// The control bits of byte 13 this emulator uses (RFC 9293 §3.1), as a small bit set.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags(u8);

impl TcpFlags {
    /// No more data from sender.
    pub const FIN: TcpFlags = TcpFlags(0x01);
    /// Synchronize sequence numbers.
    pub const SYN: TcpFlags = TcpFlags(0x02);
    /// Reset the connection.
    pub const RST: TcpFlags = TcpFlags(0x04);
    /// Push function.
    pub const PSH: TcpFlags = TcpFlags(0x08);
    /// Acknowledgment field is significant.
    pub const ACK: TcpFlags = TcpFlags(0x10);
    /// Urgent pointer field is significant.
    pub const URG: TcpFlags = TcpFlags(0x20);
    /// No flag.
    pub const NONE: TcpFlags = TcpFlags(0);

    /// Lowest bit first, the order capture tools print them in.
    const NAMES: [(TcpFlags, &'static str); 6] = [
        (TcpFlags::FIN, "FIN"),
        (TcpFlags::SYN, "SYN"),
        (TcpFlags::RST, "RST"),
        (TcpFlags::PSH, "PSH"),
        (TcpFlags::ACK, "ACK"),
        (TcpFlags::URG, "URG"),
    ];

    /// The flags of a byte-13 value, CWR and ECE dropped.
    pub fn from_bits(byte: u8) -> TcpFlags {
        TcpFlags(byte & 0x3F)
    }

    /// The byte-13 value.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Whether every flag of `other` is set here.
    pub fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for TcpFlags {
    type Output = TcpFlags;
    fn bitor(self, other: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 | other.0)
    }
}

impl BitOrAssign for TcpFlags {
    fn bitor_assign(&mut self, other: TcpFlags) {
        self.0 |= other.0;
    }
}

impl fmt::Display for TcpFlags {
    /// The set flags in the order of a capture tool, e.g. `SYN, ACK`; `none` if empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = TcpFlags::NAMES
            .iter()
            .filter(|(flag, _)| self.contains(*flag))
            .map(|(_, name)| *name)
            .collect();
        if names.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&names.join(", "))
        }
    }
}

impl fmt::Debug for TcpFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TcpFlags({self})")
    }
}

/// A TCP segment, owned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TcpSegment {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    /// The maximum segment size option (kind 2), normally only on SYN segments.
    pub mss: Option<u16>,
    pub payload: Vec<u8>,
}

/// One option found in the header, for `describe`.
struct OptionSpan {
    kind: u8,
    start: usize,
    len: usize,
}

/// The header facts `parse` checks, kept for `describe`.
struct Header {
    header_len: usize,
    options: Vec<OptionSpan>,
    mss: Option<u16>,
}

impl TcpSegment {
    /// The sequence space the segment occupies: its data, plus one for SYN and one for
    /// FIN (RFC 9293 §3.4, SEG.LEN).
    pub fn seq_len(&self) -> u32 {
        self.payload.len() as u32
            + u32::from(self.flags.contains(TcpFlags::SYN))
            + u32::from(self.flags.contains(TcpFlags::FIN))
    }

    /// Parses a segment that travelled from `src` to `dst` (RFC 9293 §3.1): data offset
    /// at least 5 and within the bytes, options as in the module documentation, and
    /// the checksum over the pseudo-header verified (a mismatch names both values).
    pub fn parse(bytes: &[u8], src: [u8; 4], dst: [u8; 4]) -> Result<TcpSegment, DecodeError> {
        let header = check_header(bytes, src, dst)?;
        let b = bytes;
        Ok(TcpSegment {
            src_port: u16::from_be_bytes([b[0], b[1]]),
            dst_port: u16::from_be_bytes([b[2], b[3]]),
            seq: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            ack: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
            flags: TcpFlags::from_bits(b[13]),
            window: u16::from_be_bytes([b[14], b[15]]),
            mss: header.mss,
            payload: b[header.header_len..].to_vec(),
        })
    }

    /// Number of bytes [`Self::emit`] produces.
    pub fn buffer_len(&self) -> usize {
        self.header_len() + self.payload.len()
    }

    fn header_len(&self) -> usize {
        HEADER_LEN + if self.mss.is_some() { 4 } else { 0 }
    }

    /// The encoded segment, its checksum computed for a packet from `src` to `dst`.
    pub fn emit(&self, src: [u8; 4], dst: [u8; 4]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.buffer_len());
        out.extend_from_slice(&self.src_port.to_be_bytes());
        out.extend_from_slice(&self.dst_port.to_be_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.ack.to_be_bytes());
        out.push(((self.header_len() / 4) as u8) << 4);
        out.push(self.flags.bits());
        out.extend_from_slice(&self.window.to_be_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]);
        if let Some(mss) = self.mss {
            out.extend_from_slice(&[OPTION_MSS, 4]);
            out.extend_from_slice(&mss.to_be_bytes());
        }
        out.extend_from_slice(&self.payload);
        debug_assert!(out.len() <= usize::from(u16::MAX), "TCP segment too long");
        let pseudo = pseudo_header(src, dst, PROTOCOL_TCP, out.len() as u16);
        let checksum = crate::wire::ipv4::internet_checksum(&[&pseudo, &out]);
        out[16..18].copy_from_slice(&checksum.to_be_bytes());
        out
    }

    /// The field tree of a segment's bytes (path `tcp`, offsets from 0) that travelled
    /// from `src` to `dst`: one field per header field, `tcp.options` with a child per
    /// option, and the data as one field `tcp.data` ("data (N bytes)") for a decoder
    /// of the application protocol to nest into. The bytes must be a segment
    /// [`Self::parse`] accepts.
    pub fn describe(bytes: &[u8], src: [u8; 4], dst: [u8; 4]) -> Result<Field, DecodeError> {
        let header = check_header(bytes, src, dst)?;
        let segment = TcpSegment::parse(bytes, src, dst)?;
        let b = bytes;
        let hl = header.header_len;
        let has_ack = segment.flags.contains(TcpFlags::ACK);
        let mut root = Field::new("tcp", "TCP segment", 0, bytes.len())
            .with_value(format!(
                "{} → {} [{}] seq {}{}, {} data bytes",
                segment.src_port,
                segment.dst_port,
                segment.flags,
                segment.seq,
                if has_ack {
                    format!(" ack {}", segment.ack)
                } else {
                    String::new()
                },
                segment.payload.len()
            ))
            .with_note("RFC 9293 §3.1");
        root.child("src_port", "Source port", 0, 2)
            .with_value(segment.src_port.to_string())
            .with_note(port_note(segment.src_port));
        root.child("dst_port", "Destination port", 2, 2)
            .with_value(segment.dst_port.to_string())
            .with_note(port_note(segment.dst_port));
        root.child("seq", "Sequence number", 4, 4)
            .with_value(segment.seq.to_string())
            .with_note(if segment.flags.contains(TcpFlags::SYN) {
                "the initial sequence number: the SYN takes this number, data start one after"
            } else {
                "number of the first data byte (or of the FIN) in this segment"
            });
        root.child("ack", "Acknowledgment number", 8, 4)
            .with_value(segment.ack.to_string())
            .with_note(if has_ack {
                "the next sequence number the sender expects: everything before is received"
            } else {
                "not meaningful: the ACK flag is clear"
            });
        root.child("data_offset", "Data offset", 12, 1)
            .with_value(format!("{} words = {hl} header bytes", hl / 4))
            .with_note(if b[12] & 0x0F != 0 {
                "reserved bits (b3-b0) are set; ignored"
            } else {
                "reserved bits zero"
            });
        let extra = if b[13] & 0xC0 != 0 {
            "; ECE/CWR (congestion notification) set, not interpreted"
        } else {
            ""
        };
        root.child("flags", "Flags", 13, 1)
            .with_value(segment.flags.to_string())
            .with_note(format!("{}{extra}", flags_note(segment.flags)));
        root.child("window", "Window", 14, 2)
            .with_value(format!("{} bytes", segment.window))
            .with_note(if segment.window == 0 {
                "zero window: the sender's receive buffer is full, send no more data"
            } else {
                "free space in the sender's receive buffer, counted from the acknowledgment number"
            });
        root.child("checksum", "Checksum", 16, 2)
            .with_value(format!("{:02X}{:02X}", b[16], b[17]))
            .with_note("verified over the pseudo-header (addresses, protocol 6, TCP length) and the segment");
        root.child("urgent", "Urgent pointer", 18, 2)
            .with_value(u16::from_be_bytes([b[18], b[19]]).to_string())
            .with_note(if segment.flags.contains(TcpFlags::URG) {
                "URG set: offset of the end of urgent data (not interpreted)"
            } else {
                "not meaningful: the URG flag is clear"
            });
        if hl > HEADER_LEN {
            let options = root
                .child("options", "Options", HEADER_LEN, hl - HEADER_LEN)
                .with_value(format!("{} bytes", hl - HEADER_LEN));
            for option in &header.options {
                describe_option(options, b, option);
            }
        }
        let data_len = segment.payload.len();
        if data_len > 0 {
            root.child("data", "Data", hl, data_len)
                .with_value(format!("data ({data_len} bytes)"));
        }
        Ok(root)
    }
}

fn describe_option(options: &mut Field, b: &[u8], option: &OptionSpan) {
    let OptionSpan { kind, start, len } = *option;
    let (key, label, value, note) = match kind {
        OPTION_END => (
            "end",
            "End of option list",
            "00".to_string(),
            "the options stop here; the rest of the header is padding",
        ),
        OPTION_NOP => (
            "nop",
            "No-operation",
            "01".to_string(),
            "padding to align the next option",
        ),
        OPTION_MSS => (
            "mss",
            "Maximum segment size",
            format!("{} bytes", u16::from_be_bytes([b[start + 2], b[start + 3]])),
            "the largest segment data the sender is willing to receive",
        ),
        3 => (
            "option",
            "Window scale",
            format!("kind 3, {len} bytes"),
            "skipped: window scaling is not used here",
        ),
        4 => (
            "option",
            "SACK permitted",
            format!("kind 4, {len} bytes"),
            "skipped: selective acknowledgment is not used here",
        ),
        5 => (
            "option",
            "SACK",
            format!("kind 5, {len} bytes"),
            "skipped: selective acknowledgment is not used here",
        ),
        8 => (
            "option",
            "Timestamps",
            format!("kind 8, {len} bytes"),
            "skipped: timestamps are not used here",
        ),
        _ => (
            "option",
            "Option",
            format!("kind {kind}, {len} bytes"),
            "unknown to this decoder; skipped by its length",
        ),
    };
    options
        .child(key, label, start, len)
        .with_value(value)
        .with_note(note);
}

fn port_note(port: u16) -> &'static str {
    match port {
        80 => "HTTP",
        443 => "HTTPS",
        3516 => "Smartcard Web Server, HTTP (IANA)",
        4116 => "Smartcard Web Server, HTTPS (IANA)",
        0..=1023 => "a well-known port",
        49152.. => "a dynamic (ephemeral) port",
        _ => "a registered port",
    }
}

fn flags_note(flags: TcpFlags) -> &'static str {
    let syn = flags.contains(TcpFlags::SYN);
    let ack = flags.contains(TcpFlags::ACK);
    if flags.contains(TcpFlags::RST) {
        "reset: the connection is refused or aborted"
    } else if syn && ack {
        "second step of the three-way handshake"
    } else if syn {
        "first step of the three-way handshake: open a connection"
    } else if flags.contains(TcpFlags::FIN) {
        "the sender has no more data"
    } else if ack {
        "acknowledges data"
    } else {
        "no control bits"
    }
}

/// The checks [`TcpSegment::parse`] makes: length, data offset, checksum, options.
fn check_header(bytes: &[u8], src: [u8; 4], dst: [u8; 4]) -> Result<Header, DecodeError> {
    if bytes.len() < HEADER_LEN {
        return Err(DecodeError::Truncated {
            what: "TCP header",
            needed: HEADER_LEN,
            available: bytes.len(),
        });
    }
    let header_len = usize::from(bytes[12] >> 4) * 4;
    if header_len < HEADER_LEN {
        return Err(DecodeError::BadLength {
            what: "TCP data offset",
            detail: format!("{} words; at least 5 (20 bytes)", header_len / 4),
        });
    }
    if header_len > bytes.len() {
        return Err(DecodeError::Truncated {
            what: "TCP header (data offset)",
            needed: header_len,
            available: bytes.len(),
        });
    }
    let Ok(length) = u16::try_from(bytes.len()) else {
        return Err(DecodeError::BadLength {
            what: "TCP segment",
            detail: format!("{} bytes; at most 65535", bytes.len()),
        });
    };
    let pseudo = pseudo_header(src, dst, PROTOCOL_TCP, length);
    verify_checksum("TCP checksum", &pseudo, bytes, 16, false)?;
    let (options, mss) = parse_options(&bytes[HEADER_LEN..header_len])?;
    Ok(Header {
        header_len,
        options,
        mss,
    })
}

/// Walks the option bytes (RFC 9293 §3.2); spans are absolute offsets in the segment.
fn parse_options(bytes: &[u8]) -> Result<(Vec<OptionSpan>, Option<u16>), DecodeError> {
    let mut spans = Vec::new();
    let mut mss = None;
    let mut at = 0;
    while at < bytes.len() {
        let kind = bytes[at];
        let start = HEADER_LEN + at;
        match kind {
            OPTION_END => {
                spans.push(OptionSpan {
                    kind,
                    start,
                    len: bytes.len() - at,
                });
                break;
            }
            OPTION_NOP => {
                spans.push(OptionSpan {
                    kind,
                    start,
                    len: 1,
                });
                at += 1;
                continue;
            }
            _ => {}
        }
        let len = usize::from(*bytes.get(at + 1).ok_or(DecodeError::Truncated {
            what: "TCP option length",
            needed: at + 2,
            available: bytes.len(),
        })?);
        if len < 2 || at + len > bytes.len() {
            return Err(DecodeError::BadLength {
                what: "TCP option",
                detail: format!(
                    "kind {kind} says {len} bytes, with {} option bytes left",
                    bytes.len() - at
                ),
            });
        }
        if kind == OPTION_MSS {
            if len != 4 {
                return Err(DecodeError::BadLength {
                    what: "TCP MSS option",
                    detail: format!("length {len}; the MSS option is 4 bytes"),
                });
            }
            mss = Some(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        }
        spans.push(OptionSpan { kind, start, len });
        at += len;
    }
    Ok((spans, mss))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::cat::tests::assert_ranges_sane;
    use crate::wire::hex;
    use crate::wire::ipv4::internet_checksum;

    const CLIENT: [u8; 4] = [10, 0, 0, 1];
    const SERVER: [u8; 4] = [10, 0, 0, 2];

    fn syn() -> TcpSegment {
        TcpSegment {
            src_port: 49152,
            dst_port: 3516,
            seq: 0x0102_0304,
            ack: 0,
            flags: TcpFlags::SYN,
            window: 65535,
            mss: Some(1460),
            payload: Vec::new(),
        }
    }

    fn data() -> TcpSegment {
        TcpSegment {
            src_port: 3516,
            dst_port: 49152,
            seq: 0xFFFF_FFF0,
            ack: 0x0102_0305,
            flags: TcpFlags::ACK | TcpFlags::PSH,
            window: 1400,
            mss: None,
            payload: b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec(),
        }
    }

    /// `bytes` with the checksum recomputed for CLIENT → SERVER.
    fn rechecksummed(mut bytes: Vec<u8>) -> Vec<u8> {
        bytes[16..18].copy_from_slice(&[0, 0]);
        let pseudo = pseudo_header(CLIENT, SERVER, PROTOCOL_TCP, bytes.len() as u16);
        let checksum = internet_checksum(&[&pseudo, &bytes]);
        bytes[16..18].copy_from_slice(&checksum.to_be_bytes());
        bytes
    }

    #[test]
    fn emits_a_syn_with_the_mss_option() {
        let bytes = syn().emit(CLIENT, SERVER);
        assert_eq!(
            hex::compact(&bytes[..16]),
            "C0000DBC010203040000000060 02FFFF".replace(' ', "")
        );
        assert_eq!(bytes[20..], [2, 4, 0x05, 0xB4]);
        assert_eq!(
            internet_checksum(&[&pseudo_header(CLIENT, SERVER, PROTOCOL_TCP, 24), &bytes]),
            0
        );
    }

    #[test]
    fn round_trips_syn_and_data() {
        for segment in [syn(), data()] {
            let bytes = segment.emit(CLIENT, SERVER);
            assert_eq!(bytes.len(), segment.buffer_len());
            assert_eq!(TcpSegment::parse(&bytes, CLIENT, SERVER), Ok(segment));
        }
    }

    #[test]
    fn rejects_every_strict_prefix() {
        for segment in [syn(), data()] {
            let bytes = segment.emit(CLIENT, SERVER);
            for cut in 0..bytes.len() {
                assert!(
                    TcpSegment::parse(&bytes[..cut], CLIENT, SERVER).is_err(),
                    "prefix {cut}"
                );
            }
        }
    }

    #[test]
    fn rejects_a_flipped_bit_anywhere() {
        for segment in [syn(), data()] {
            let bytes = segment.emit(CLIENT, SERVER);
            for bit in 0..bytes.len() * 8 {
                let mut damaged = bytes.clone();
                damaged[bit / 8] ^= 0x80 >> (bit % 8);
                assert!(
                    TcpSegment::parse(&damaged, CLIENT, SERVER).is_err(),
                    "bit {bit}"
                );
            }
        }
    }

    #[test]
    fn checksum_covers_the_pseudo_header() {
        let bytes = data().emit(CLIENT, SERVER);
        let Err(DecodeError::BadValue { what, detail }) =
            TcpSegment::parse(&bytes, CLIENT, [10, 0, 0, 3])
        else {
            panic!("accepted a segment for another address");
        };
        assert_eq!(what, "TCP checksum");
        let field = format!("{:02X}{:02X}", bytes[16], bytes[17]);
        assert!(
            detail.starts_with(&format!("the field says {field}, ")),
            "{detail}"
        );
    }

    #[test]
    fn skips_unknown_options_by_their_length() {
        // NOP, NOP, SACK permitted (4, 2), MSS 536, kind 99 length 3, padding EOL.
        let mut bytes = syn().emit(CLIENT, SERVER)[..20].to_vec();
        bytes.extend(hex::parse("0101 0402 02040218 630300 00").unwrap());
        bytes[12] = 0x80;
        let bytes = rechecksummed(bytes);
        let segment = TcpSegment::parse(&bytes, CLIENT, SERVER).unwrap();
        assert_eq!(segment.mss, Some(536));
        assert!(segment.payload.is_empty());
        let field = TcpSegment::describe(&bytes, CLIENT, SERVER).unwrap();
        let options = field.find("tcp.options").unwrap();
        let spans: Vec<(&str, usize, usize)> = options
            .children
            .iter()
            .map(|c| (c.label.as_str(), c.start, c.len))
            .collect();
        assert_eq!(
            spans,
            [
                ("No-operation", 20, 1),
                ("No-operation", 21, 1),
                ("SACK permitted", 22, 2),
                ("Maximum segment size", 24, 4),
                ("Option", 28, 3),
                ("End of option list", 31, 1),
            ]
        );
        assert_eq!(
            field.find("tcp.options.mss").map(|f| f.value.as_str()),
            Some("536 bytes")
        );
        assert!(field.uncovered(bytes.len()).is_empty());
    }

    #[test]
    fn rejects_malformed_options() {
        for options in [
            "02030000",
            "02050000",
            "0400 0000",
            "0101 0105",
            "0101 0102 0001 02",
        ] {
            let mut bytes = syn().emit(CLIENT, SERVER)[..20].to_vec();
            let options = hex::parse(options).unwrap();
            let words = options.len().div_ceil(4);
            bytes.extend(&options);
            bytes.resize(20 + 4 * words, 0);
            bytes[12] = ((5 + words) as u8) << 4;
            let bytes = rechecksummed(bytes);
            assert!(
                matches!(
                    TcpSegment::parse(&bytes, CLIENT, SERVER),
                    Err(DecodeError::BadLength { .. } | DecodeError::Truncated { .. })
                ),
                "{}",
                hex::compact(&options)
            );
        }
    }

    #[test]
    fn rejects_a_data_offset_outside_the_segment() {
        let mut bytes = data().emit(CLIENT, SERVER);
        bytes[12] = 0x40;
        assert!(matches!(
            TcpSegment::parse(&rechecksummed(bytes.clone()), CLIENT, SERVER),
            Err(DecodeError::BadLength {
                what: "TCP data offset",
                ..
            })
        ));
        bytes.truncate(40);
        bytes[12] = 0xF0;
        assert!(matches!(
            TcpSegment::parse(&rechecksummed(bytes), CLIENT, SERVER),
            Err(DecodeError::Truncated {
                what: "TCP header (data offset)",
                ..
            })
        ));
    }

    #[test]
    fn describes_flags_window_and_data() {
        let bytes = data().emit(CLIENT, SERVER);
        let field = TcpSegment::describe(&bytes, CLIENT, SERVER).unwrap();
        let value = |path: &str| field.find(path).map(|f| f.value.clone()).unwrap();
        assert_eq!(value("tcp.flags"), "PSH, ACK");
        assert_eq!(value("tcp.window"), "1400 bytes");
        assert_eq!(value("tcp.seq"), "4294967280");
        assert_eq!(value("tcp.data"), "data (38 bytes)");
        assert_eq!(field.find("tcp.data").map(|f| f.start), Some(20));
        assert_eq!(
            field.value,
            "3516 → 49152 [PSH, ACK] seq 4294967280 ack 16909061, 38 data bytes"
        );
        assert_ranges_sane(&field, bytes.len(), "data");
        assert!(field.uncovered(bytes.len()).is_empty());
        let syn_field = TcpSegment::describe(&syn().emit(CLIENT, SERVER), CLIENT, SERVER).unwrap();
        assert_eq!(
            syn_field.find("tcp.ack").map(|f| f.note.as_str()),
            Some("not meaningful: the ACK flag is clear")
        );
        assert_eq!(
            syn_field.find("tcp.options.mss").map(|f| (f.start, f.len)),
            Some((20, 4))
        );
    }

    #[test]
    fn flags_print_in_capture_order() {
        assert_eq!((TcpFlags::SYN | TcpFlags::ACK).to_string(), "SYN, ACK");
        assert_eq!((TcpFlags::FIN | TcpFlags::ACK).to_string(), "FIN, ACK");
        assert_eq!(TcpFlags::NONE.to_string(), "none");
        assert_eq!(TcpFlags::from_bits(0xFF).bits(), 0x3F);
    }

    #[test]
    fn seq_len_counts_syn_and_fin() {
        assert_eq!(syn().seq_len(), 1);
        let mut fin = data();
        fin.flags |= TcpFlags::FIN;
        assert_eq!(fin.seq_len(), 39);
    }

    #[test]
    fn no_panic_on_any_input_with_a_valid_checksum() {
        let mut seed = 0x7C9_u64;
        for _ in 0..20_000 {
            let mut bytes = crate::wire::ber_tlv::test_input::lcg_bytes(&mut seed, 48);
            if bytes.len() >= 20 {
                bytes[12] = (bytes[12] & 0xF0).max(0x50);
                bytes = rechecksummed(bytes);
            }
            if let Ok(field) = TcpSegment::describe(&bytes, CLIENT, SERVER) {
                assert_ranges_sane(&field, bytes.len(), "fuzz");
                assert!(field.uncovered(bytes.len()).is_empty());
            }
        }
    }
}
