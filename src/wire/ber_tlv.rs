//! BER-TLV data objects: ISO/IEC 7816-4 §5.2 (tag and length fields) as profiled by
//! ETSI TS 101 220 §7.1 for UICC applications.
//!
//! Coding rules enforced here:
//!
//! * **Tag**: one to three bytes. The first byte's bits b5–b1 all set (`1F`) mean more
//!   bytes follow; each following byte with b8 = 1 announces one more. A fourth tag
//!   byte is rejected. A first byte `00` or `FF` is rejected ([`DecodeError::BadTag`]):
//!   ISO/IEC 7816-4 reserves them as padding, never as tags. In a tag of two or more
//!   bytes, the second byte `00`–`1E` or `80` is rejected too (ISO/IEC 7816-4 §5.2.2.1:
//!   such a tag would have a shorter form, or carries a leading zero).
//! * **Length**: `00`–`7F` in one byte, `81 XX` for 128–255, `82 XXXX` for
//!   256–65 535. `80` (indefinite length) is rejected with
//!   [`DecodeError::IndefiniteLength`]. Forms `83` and above are rejected as
//!   [`DecodeError::BadLength`]: everything decoded here travels in short APDUs,
//!   envelopes and files far below 64 KiB, so a longer length can only be an error.
//! * **Minimal lengths only.** TS 101 220 §7.1.2 gives each length form by range
//!   (one byte up to 127, `81` from 128 to 255, `82` from 256), so a length coded
//!   in a longer form than its range (`81 05`, `82 00 80`) is rejected as
//!   [`DecodeError::BadLength`]. Consequently `emit(parse(x)) == x` holds for every
//!   accepted input.
//!
//! [`Tlv`] is the owned representation; [`Span`] tells where a parsed TLV sits so a
//! [`Field`] can cover exactly its bytes. Once `parse` has accepted bytes, nothing
//! here panics.

use crate::wire::field::{Field, FieldFill};
use crate::wire::hex;
use crate::wire::DecodeError;
use serde::{Deserialize, Serialize};

/// Deepest nesting of constructed TLVs [`describe`] decodes before giving up with
/// [`DecodeError::NestingTooDeep`]. Real UICC templates nest three or four levels.
pub const MAX_DEPTH: usize = 8;

/// A BER-TLV tag: its one to three bytes read big-endian, e.g. `Tag(0x62)`,
/// `Tag(0x9F70)`, `Tag(0xDF8101)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Tag(pub u32);

impl Tag {
    /// The number of bytes the tag takes on the wire (1 to 3; more significant bytes
    /// of the `u32` beyond the third are not representable and count as three).
    pub fn encoded_len(self) -> usize {
        match self.0 {
            0..=0xFF => 1,
            0x100..=0xFFFF => 2,
            _ => 3,
        }
    }

    /// The tag bytes as they appear on the wire.
    pub fn bytes(self) -> Vec<u8> {
        let be = self.0.to_be_bytes();
        be[4 - self.encoded_len()..].to_vec()
    }

    /// The first tag byte, which carries the class and the constructed bit.
    fn first_byte(self) -> u8 {
        self.bytes().first().copied().unwrap_or(0)
    }

    /// Whether b6 (`20`) of the first tag byte is set: the value is itself a sequence
    /// of BER-TLV data objects (ISO/IEC 7816-4 §5.2.2.1).
    pub fn is_constructed(self) -> bool {
        self.first_byte() & 0x20 != 0
    }

    /// Upper-case hex of the tag bytes, e.g. `9F70`.
    fn hex(self) -> String {
        hex::compact(&self.bytes())
    }
}

/// Where one parsed TLV lies: absolute offsets (the parser's `base` plus the position
/// inside the bytes it was given).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// Offset of the first tag byte.
    pub start: usize,
    /// Number of tag bytes.
    pub tag_len: usize,
    /// Number of length bytes.
    pub length_len: usize,
    /// Number of value bytes.
    pub value_len: usize,
}

impl Span {
    /// Tag plus length bytes.
    pub fn header_len(&self) -> usize {
        self.tag_len + self.length_len
    }

    /// Offset of the first value byte.
    pub fn value_start(&self) -> usize {
        self.start + self.header_len()
    }

    /// Offset just past the last value byte.
    pub fn end(&self) -> usize {
        self.value_start() + self.value_len
    }

    /// Total bytes: tag, length and value.
    pub fn len(&self) -> usize {
        self.header_len() + self.value_len
    }

    /// Whether the span covers no byte (never true for a parsed TLV, whose tag and
    /// length take at least two bytes).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One BER-TLV data object, owned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tlv {
    pub tag: Tag,
    pub value: Vec<u8>,
}

impl Tlv {
    /// A TLV with the given tag (its bytes big-endian) and value.
    pub fn new(tag: u32, value: impl Into<Vec<u8>>) -> Self {
        Tlv {
            tag: Tag(tag),
            value: value.into(),
        }
    }

    /// A TLV whose value is the concatenated encodings of `children`.
    pub fn constructed(tag: u32, children: &[Tlv]) -> Self {
        let mut value = Vec::with_capacity(children.iter().map(Tlv::buffer_len).sum());
        for child in children {
            child.emit_into(&mut value);
        }
        Tlv::new(tag, value)
    }

    /// Parses one BER-TLV data object at the start of `bytes` (ISO/IEC 7816-4 §5.2,
    /// TS 101 220 §7.1); returns it and the number of bytes it took. Bytes after it
    /// are left alone.
    pub fn parse(bytes: &[u8]) -> Result<(Tlv, usize), DecodeError> {
        let (tlv, span) = parse_one(bytes, 0)?;
        Ok((tlv, span.len()))
    }

    /// Parses a buffer made of back-to-back BER-TLV data objects (ISO/IEC 7816-4 §5.2);
    /// every byte must belong to one. An empty buffer gives an empty list.
    pub fn parse_all(bytes: &[u8]) -> Result<Vec<Tlv>, DecodeError> {
        Ok(Tlv::parse_spanned(bytes, 0)?
            .into_iter()
            .map(|(tlv, _)| tlv)
            .collect())
    }

    /// As [`Tlv::parse_all`], with each TLV's [`Span`]; offsets are `base` plus the
    /// position in `bytes`.
    pub fn parse_spanned(bytes: &[u8], base: usize) -> Result<Vec<(Tlv, Span)>, DecodeError> {
        let mut out = Vec::new();
        let mut pos = 0;
        while let Some(rest) = bytes.get(pos..).filter(|r| !r.is_empty()) {
            let (tlv, span) = parse_one(rest, base + pos)?;
            pos += span.len();
            out.push((tlv, span));
        }
        Ok(out)
    }

    /// Parses the value as back-to-back BER-TLV data objects (for constructed tags).
    pub fn children(&self) -> Result<Vec<Tlv>, DecodeError> {
        Tlv::parse_all(&self.value)
    }

    /// The encoded bytes.
    pub fn emit(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.buffer_len());
        self.emit_into(&mut out);
        out
    }

    /// Appends the encoded bytes to `out`.
    pub fn emit_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.tag.bytes());
        encode_length(self.value.len(), out);
        out.extend_from_slice(&self.value);
    }

    /// Number of bytes [`Tlv::emit`] produces.
    pub fn buffer_len(&self) -> usize {
        self.tag.encoded_len() + length_len(self.value.len()) + self.value.len()
    }
}

/// Parses one TLV at the start of `bytes`, which sit at absolute offset `base`.
fn parse_one(bytes: &[u8], base: usize) -> Result<(Tlv, Span), DecodeError> {
    let (tag, tag_len) = parse_tag(bytes)?;
    let rest = bytes.get(tag_len..).unwrap_or_default();
    let (value_len, length_len) = parse_length(rest, base + tag_len)?;
    let value_start = tag_len + length_len;
    let value = bytes
        .get(value_start..value_start + value_len)
        .ok_or(DecodeError::Truncated {
            what: "BER-TLV value",
            needed: value_len,
            available: bytes.len().saturating_sub(value_start),
        })?;
    let span = Span {
        start: base,
        tag_len,
        length_len,
        value_len,
    };
    Ok((
        Tlv {
            tag,
            value: value.to_vec(),
        },
        span,
    ))
}

/// Reads a BER-TLV tag (ISO/IEC 7816-4 §5.2.2.1); returns it and its byte count.
fn parse_tag(bytes: &[u8]) -> Result<(Tag, usize), DecodeError> {
    let truncated = |needed| DecodeError::Truncated {
        what: "BER-TLV tag",
        needed,
        available: bytes.len(),
    };
    let first = *bytes.first().ok_or(truncated(1))?;
    if first == 0x00 || first == 0xFF {
        return Err(DecodeError::BadTag {
            what: "BER-TLV (00 and FF are padding, not tags)",
            tag: u32::from(first),
        });
    }
    let mut value = u32::from(first);
    if first & 0x1F != 0x1F {
        return Ok((Tag(value), 1));
    }
    let mut len = 1;
    loop {
        let next = *bytes.get(len).ok_or(truncated(len + 1))?;
        if len == 1 && (next <= 0x1E || next == 0x80) {
            return Err(DecodeError::BadTag {
                what: "BER-TLV (second tag byte 00-1E or 80 is not minimal)",
                tag: (value << 8) | u32::from(next),
            });
        }
        value = (value << 8) | u32::from(next);
        len += 1;
        if next & 0x80 == 0 {
            return Ok((Tag(value), len));
        }
        if len == 3 {
            return Err(DecodeError::BadTag {
                what: "BER-TLV (tags longer than 3 bytes are not supported)",
                tag: value,
            });
        }
    }
}

/// Reads a BER-TLV length field (ISO/IEC 7816-4 §5.2.2.2, TS 101 220 §7.1.2) at the
/// start of `bytes`, which sit at absolute offset `base` (used in errors). Returns
/// the length value and the number of bytes the field took.
///
/// Accepts `00`–`7F`, `81 80`–`81 FF` and `82 0100`–`82 FFFF`; rejects `80`
/// (indefinite), `83` and longer forms, and non-minimal codings (see module docs).
pub fn parse_length(bytes: &[u8], base: usize) -> Result<(usize, usize), DecodeError> {
    let first = *bytes.first().ok_or(DecodeError::Truncated {
        what: "BER-TLV length",
        needed: 1,
        available: 0,
    })?;
    let extra = match first {
        0x00..=0x7F => return Ok((usize::from(first), 1)),
        0x80 => return Err(DecodeError::IndefiniteLength { offset: base }),
        0x81 => 1,
        0x82 => 2,
        _ => {
            return Err(DecodeError::BadLength {
                what: "BER-TLV length",
                detail: format!(
                    "length form {first:02X} at byte {base} is not supported: only 00-7F, 81 XX and 82 XXXX are used for UICC data objects"
                ),
            })
        }
    };
    let digits = bytes.get(1..1 + extra).ok_or(DecodeError::Truncated {
        what: "BER-TLV length",
        needed: 1 + extra,
        available: bytes.len(),
    })?;
    let len = digits
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    if length_len(len) != 1 + extra {
        return Err(DecodeError::BadLength {
            what: "BER-TLV length",
            detail: format!(
                "length {len} at byte {base} is coded in {} bytes ({}); TS 101 220 §7.1.2 codes it in {}",
                1 + extra,
                hex::spaced(bytes.get(..1 + extra).unwrap_or_default()),
                length_len(len)
            ),
        });
    }
    Ok((len, 1 + extra))
}

/// Number of bytes the length field for `len` takes (1, 2 or 3; see [`encode_length`]).
pub fn length_len(len: usize) -> usize {
    match len {
        0..=0x7F => 1,
        0x80..=0xFF => 2,
        _ => 3,
    }
}

/// Appends the minimal BER-TLV length field for `len` (TS 101 220 §7.1.2): `00`–`7F`,
/// `81 XX` or `82 XXXX`.
///
/// Lengths above 65 535 cannot be coded in these forms; they are a programming error
/// (values that large never fit a short APDU). Debug builds panic on them; release
/// builds saturate at `82 FF FF`, so this function itself never panics at run time.
pub fn encode_length(len: usize, out: &mut Vec<u8>) {
    debug_assert!(len <= 0xFFFF, "BER-TLV length {len} exceeds 82 FFFF");
    match len {
        0..=0x7F => out.push(len as u8),
        0x80..=0xFF => out.extend_from_slice(&[0x81, len as u8]),
        _ => {
            let len = u16::try_from(len).unwrap_or(u16::MAX);
            out.push(0x82);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
}

/// Decodes back-to-back BER-TLV data objects into a generic field tree (ISO/IEC 7816-4
/// §5.2): each TLV becomes a field `tlv.<TAG>` with children `tag`, `length` and
/// either `value` (primitive) or its nested TLVs (constructed, recursively up to
/// [`MAX_DEPTH`] levels). Offsets are `base` plus the position in `bytes`.
pub fn describe(bytes: &[u8], base: usize) -> Result<Vec<Field>, DecodeError> {
    describe_level(bytes, base, "tlv", 1)
}

fn describe_level(
    bytes: &[u8],
    base: usize,
    parent_path: &str,
    depth: usize,
) -> Result<Vec<Field>, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError::NestingTooDeep { limit: MAX_DEPTH });
    }
    let mut fields = Vec::new();
    for (tlv, span) in Tlv::parse_spanned(bytes, base)? {
        let tag_hex = tlv.tag.hex();
        let kind = if tlv.tag.is_constructed() {
            "constructed"
        } else {
            "primitive"
        };
        let mut field = Field::new(
            format!("{parent_path}.{tag_hex}"),
            format!("TLV {tag_hex}"),
            span.start,
            span.len(),
        )
        .with_value(format!("tag {tag_hex}, {} byte(s)", span.value_len));
        field
            .child("tag", "Tag", span.start, span.tag_len)
            .with_value(tag_hex.clone())
            .note = format!("{kind} data object");
        field
            .child(
                "length",
                "Length",
                span.start + span.tag_len,
                span.length_len,
            )
            .value = span.value_len.to_string();
        if tlv.tag.is_constructed() {
            let path = field.path.clone();
            field.children.extend(describe_level(
                &tlv.value,
                span.value_start(),
                &path,
                depth + 1,
            )?);
        } else {
            field
                .child("value", "Value", span.value_start(), span.value_len)
                .value = hex::spaced(&tlv.value);
        }
        fields.push(field);
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small FCP template: 62 { 82 (2), 83 (2), A5 { 80 (1) } }.
    static FCP: [u8; 15] = [
        0x62, 0x0D, 0x82, 0x02, 0x78, 0x21, 0x83, 0x02, 0x3F, 0x00, 0xA5, 0x03, 0x80, 0x01, 0x71,
    ];

    #[test]
    fn test_parse() {
        let (tlv, used) = Tlv::parse(&FCP).unwrap();
        assert_eq!(used, FCP.len());
        assert_eq!(tlv.tag, Tag(0x62));
        let kids = tlv.children().unwrap();
        assert_eq!(kids.len(), 3);
        assert_eq!(kids[1], Tlv::new(0x83, [0x3F, 0x00]));
        assert_eq!(kids[2].children().unwrap(), vec![Tlv::new(0x80, [0x71])]);
    }

    #[test]
    fn test_emit() {
        let tlv = Tlv::constructed(
            0x62,
            &[
                Tlv::new(0x82, [0x78, 0x21]),
                Tlv::new(0x83, [0x3F, 0x00]),
                Tlv::constructed(0xA5, &[Tlv::new(0x80, [0x71])]),
            ],
        );
        assert_eq!(tlv.emit(), FCP);
        assert_eq!(tlv.buffer_len(), FCP.len());
    }

    #[test]
    fn parse_stops_after_one_tlv() {
        let (tlv, used) = Tlv::parse(&[0x80, 0x01, 0xAA, 0x81, 0x00]).unwrap();
        assert_eq!((tlv, used), (Tlv::new(0x80, [0xAA]), 3));
    }

    #[test]
    fn parses_two_and_three_byte_tags() {
        let all = Tlv::parse_all(&[0x9F, 0x70, 0x01, 0x07, 0xDF, 0x81, 0x01, 0x00]).unwrap();
        assert_eq!(all, vec![Tlv::new(0x9F70, [0x07]), Tlv::new(0xDF8101, [])]);
        assert_eq!(Tag(0x9F70).bytes(), vec![0x9F, 0x70]);
        assert_eq!(Tag(0xDF8101).encoded_len(), 3);
        assert!(Tag(0xDF8101).is_constructed() == (0xDF & 0x20 != 0));
    }

    #[test]
    fn constructed_bit_is_b6_of_first_byte() {
        assert!(Tag(0x62).is_constructed());
        assert!(Tag(0xA5).is_constructed());
        assert!(!Tag(0x82).is_constructed());
        assert!(!Tag(0xD0).is_constructed());
        assert!(Tag(0x7F21).is_constructed());
    }

    #[test]
    fn lengths_round_trip_at_every_form_boundary() {
        for len in [0usize, 1, 0x7F, 0x80, 0xFF, 0x100, 0x1234, 0xFFFF] {
            let tlv = Tlv::new(0x04, vec![0x5A; len]);
            let bytes = tlv.emit();
            assert_eq!(bytes.len(), tlv.buffer_len());
            let (back, used) = Tlv::parse(&bytes).unwrap();
            assert_eq!((back, used), (tlv, bytes.len()), "length {len}");
        }
        let mut out = Vec::new();
        encode_length(0x80, &mut out);
        encode_length(0x100, &mut out);
        assert_eq!(out, [0x81, 0x80, 0x82, 0x01, 0x00]);
    }

    #[test]
    fn emit_of_parse_is_identity_for_accepted_inputs() {
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([0xA5; 0x80]);
        let inputs: [&[u8]; 3] = [&FCP, &[0x9F, 0x70, 0x01, 0x07, 0x80, 0x00], &long];
        for input in inputs {
            let out: Vec<u8> = Tlv::parse_all(input)
                .unwrap()
                .iter()
                .flat_map(Tlv::emit)
                .collect();
            assert_eq!(out, input);
        }
    }

    #[test]
    fn rejects_indefinite_length() {
        assert_eq!(
            Tlv::parse(&[0x62, 0x80, 0x00, 0x00]),
            Err(DecodeError::IndefiniteLength { offset: 1 })
        );
        assert_eq!(
            Tlv::parse_spanned(&[0x9F, 0x70, 0x80], 10),
            Err(DecodeError::IndefiniteLength { offset: 12 })
        );
    }

    #[test]
    fn rejects_length_forms_beyond_82() {
        for first in [0x83u8, 0x84, 0xFF] {
            let r = Tlv::parse(&[0x04, first, 0, 0, 0, 0]);
            assert!(
                matches!(r, Err(DecodeError::BadLength { .. })),
                "{first:02X}"
            );
        }
    }

    #[test]
    fn rejects_non_minimal_lengths() {
        assert!(matches!(
            Tlv::parse(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5]),
            Err(DecodeError::BadLength { .. })
        ));
        let mut long = vec![0x04, 0x82, 0x00, 0x80];
        long.extend(vec![0u8; 0x80]);
        assert!(matches!(
            Tlv::parse(&long),
            Err(DecodeError::BadLength { .. })
        ));
    }

    #[test]
    fn rejects_length_beyond_buffer() {
        assert_eq!(
            Tlv::parse(&[0x80, 0x03, 0x01, 0x02]),
            Err(DecodeError::Truncated {
                what: "BER-TLV value",
                needed: 3,
                available: 2
            })
        );
    }

    #[test]
    fn rejects_padding_bytes_as_tags() {
        for tag in [0x00u8, 0xFF] {
            assert_eq!(
                Tlv::parse(&[tag, 0x00]).unwrap_err(),
                DecodeError::BadTag {
                    what: "BER-TLV (00 and FF are padding, not tags)",
                    tag: u32::from(tag)
                }
            );
        }
    }

    #[test]
    fn rejects_tags_longer_than_three_bytes() {
        assert!(matches!(
            Tlv::parse(&[0xDF, 0x81, 0x81, 0x01, 0x00]),
            Err(DecodeError::BadTag { .. })
        ));
    }

    #[test]
    fn rejects_non_minimal_second_tag_byte() {
        for second in [0x00u8, 0x1E, 0x80] {
            assert!(matches!(
                Tlv::parse(&[0x9F, second, 0x01, 0x00, 0x00]),
                Err(DecodeError::BadTag { .. })
            ));
        }
    }

    #[test]
    fn rejects_every_truncated_prefix() {
        for cut in 0..FCP.len() {
            assert!(Tlv::parse(&FCP[..cut]).is_err(), "prefix of {cut} bytes");
        }
        assert!(Tlv::parse_all(&FCP[..FCP.len() - 1]).is_err());
    }

    #[test]
    fn describe_nests_constructed_tlvs_with_absolute_offsets() {
        let fields = describe(&FCP, 100).unwrap();
        assert_eq!(fields.len(), 1);
        let root = &fields[0];
        assert_eq!(
            (root.path.as_str(), root.start, root.len),
            ("tlv.62", 100, 15)
        );
        let fid = root.find("tlv.62.83.value").unwrap();
        assert_eq!((fid.start, fid.len, fid.value.as_str()), (108, 2, "3F 00"));
        let inner = root.find("tlv.62.A5.80.value").unwrap();
        assert_eq!((inner.start, inner.len), (114, 1));
        assert_eq!(root.find("tlv.62.length").unwrap().value, "13");
        // Only the 100 bytes before `base` are left uncovered.
        assert_eq!(root.uncovered(115).first(), Some(&(0..100)));
        assert_eq!(root.uncovered(115).len(), 1);
    }

    #[test]
    fn describe_rejects_nesting_deeper_than_max_depth() {
        // MAX_DEPTH + 1 levels of constructed tag 62 around an empty 80.
        let mut bytes = vec![0x80, 0x00];
        for _ in 0..MAX_DEPTH {
            bytes = Tlv::new(0x62, bytes).emit();
        }
        assert_eq!(
            describe(&bytes, 0),
            Err(DecodeError::NestingTooDeep { limit: MAX_DEPTH })
        );
        // One level less is fine.
        let ok = Tlv::parse(&bytes).unwrap().0.value;
        assert!(describe(&ok, 0).is_ok());
    }

    #[test]
    fn no_panic_on_any_input() {
        let check = |bytes: &[u8]| {
            if let Ok(tlvs) = Tlv::parse_all(bytes) {
                let out: Vec<u8> = tlvs.iter().flat_map(Tlv::emit).collect();
                assert_eq!(out, bytes);
            }
            let _ = Tlv::parse(bytes);
            let _ = describe(bytes, 0);
        };
        for a in 0..=255u8 {
            check(&[a]);
            for b in 0..=255u8 {
                check(&[a, b]);
            }
        }
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..5000 {
            let bytes = test_input::lcg_bytes(&mut seed, 40);
            check(&bytes);
        }
    }
}

/// Deterministic input for the "no panic on any input" tests of every wire decoder.
#[cfg(test)]
pub(crate) mod test_input {
    /// Deterministic pseudo-random bytes (Knuth's MMIX LCG), biased towards small
    /// lengths and constructed tags so nesting gets exercised.
    pub fn lcg_bytes(seed: &mut u64, max_len: usize) -> Vec<u8> {
        let mut next = || {
            *seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (*seed >> 33) as u8
        };
        let len = usize::from(next()) % (max_len + 1);
        (0..len)
            .map(|_| match next() % 4 {
                0 => next() % 8,
                1 => 0x62,
                _ => next(),
            })
            .collect()
    }
}
