//! Answer-to-Reset: ISO/IEC 7816-3 §8.2 (structure, interface bytes, TCK), with the
//! historical bytes of ISO/IEC 7816-4 §8.1.1 and the UICC use of the T=15 global
//! bytes in ETSI TS 102 221 §6.3.
//!
//! ```text
//! TS  T0  [TA1 TB1 TC1 TD1]  [TA2 TB2 TC2 TD2] …  T1 … TK  [TCK]
//!     │                 └─ Y2 (which of TA2..TD2 follow) + protocol T
//!     └─ Y1 (which of TA1..TD1 follow) + K (number of historical bytes)
//! ```
//!
//! TCK is present if and only if some TDi indicates a protocol other than T=0; then
//! the XOR of every byte from T0 to TCK is `00`. The ATR holds at most 32 bytes after
//! TS. A wrong or missing TCK, too many bytes and truncation are all errors.

use crate::wire::field::{Field, FieldFill};
use crate::wire::hex;
use crate::wire::DecodeError;
use serde::{Deserialize, Serialize};

/// Most bytes after TS (ISO/IEC 7816-3 §8.2.1).
const MAX_AFTER_TS: usize = 32;

/// One group of interface bytes TAi TBi TCi TDi (ISO/IEC 7816-3 §8.2.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceBytes {
    pub ta: Option<u8>,
    pub tb: Option<u8>,
    pub tc: Option<u8>,
    /// The protocol T (b4–b1 of TDi) when TDi is present; its high nibble is derived
    /// from the next group when emitting.
    pub td_protocol: Option<u8>,
}

impl InterfaceBytes {
    /// The Y nibble announcing this group (b5 TA, b6 TB, b7 TC, b8 TD).
    fn presence(&self) -> u8 {
        u8::from(self.ta.is_some())
            | u8::from(self.tb.is_some()) << 1
            | u8::from(self.tc.is_some()) << 2
            | u8::from(self.td_protocol.is_some()) << 3
    }
}

/// An Answer-to-Reset, owned. `groups[0]` is TA1..TD1 (announced by T0); each
/// further group exists only if the previous one has a TD.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Atr {
    /// TS: `3B` direct convention, `3F` inverse convention.
    pub ts: u8,
    pub groups: Vec<InterfaceBytes>,
    pub historical: Vec<u8>,
}

impl Atr {
    /// Parses an ATR (ISO/IEC 7816-3 §8.2): TS, T0, the interface bytes chained by
    /// TDi, K historical bytes and, when a protocol other than T=0 is indicated, a
    /// TCK that must make T0..TCK XOR to zero.
    pub fn parse(bytes: &[u8]) -> Result<Atr, DecodeError> {
        let ts = *bytes.first().ok_or(DecodeError::Truncated {
            what: "ATR (TS)",
            needed: 1,
            available: 0,
        })?;
        if ts != 0x3B && ts != 0x3F {
            return Err(DecodeError::BadValue {
                what: "TS",
                detail: format!("{ts:02X} is neither 3B (direct) nor 3F (inverse convention)"),
            });
        }
        let t0 = *bytes.get(1).ok_or(DecodeError::Truncated {
            what: "ATR (T0)",
            needed: 2,
            available: bytes.len(),
        })?;
        let mut pos = 2;
        let mut next = |what: &'static str| {
            let b = bytes.get(pos).copied().ok_or(DecodeError::Truncated {
                what,
                needed: pos + 1,
                available: bytes.len(),
            });
            pos += 1;
            b
        };
        let mut groups = Vec::new();
        let mut y = t0 >> 4;
        loop {
            let mut group = InterfaceBytes::default();
            if y & 1 != 0 {
                group.ta = Some(next("ATR interface byte TA")?);
            }
            if y & 2 != 0 {
                group.tb = Some(next("ATR interface byte TB")?);
            }
            if y & 4 != 0 {
                group.tc = Some(next("ATR interface byte TC")?);
            }
            let td = if y & 8 != 0 {
                Some(next("ATR interface byte TD")?)
            } else {
                None
            };
            group.td_protocol = td.map(|td| td & 0x0F);
            groups.push(group);
            match td {
                Some(td) => y = td >> 4,
                None => break,
            }
        }
        let k = usize::from(t0 & 0x0F);
        let mut historical = Vec::with_capacity(k);
        for _ in 0..k {
            historical.push(next("ATR historical bytes")?);
        }
        let atr = Atr {
            ts,
            groups,
            historical,
        };
        if atr.needs_tck() {
            let tck = next("ATR check byte TCK")?;
            let check = bytes
                .get(1..pos)
                .unwrap_or_default()
                .iter()
                .fold(0, |x, b| x ^ b);
            if check != 0 {
                return Err(DecodeError::BadValue {
                    what: "TCK",
                    detail: format!(
                        "{tck:02X} makes T0..TCK XOR to {check:02X}, not 00; the right TCK is {:02X}",
                        tck ^ check
                    ),
                });
            }
        }
        if bytes.len() > pos {
            return Err(DecodeError::TrailingBytes {
                what: if atr.needs_tck() {
                    "ATR (after TCK)"
                } else {
                    "ATR (no TCK: only T=0 is indicated)"
                },
                count: bytes.len() - pos,
            });
        }
        if pos - 1 > MAX_AFTER_TS {
            return Err(DecodeError::BadLength {
                what: "ATR",
                detail: format!(
                    "{} bytes after TS; ISO/IEC 7816-3 allows at most {MAX_AFTER_TS}",
                    pos - 1
                ),
            });
        }
        Ok(atr)
    }

    /// The protocols the TD bytes indicate, in order (empty: only T=0, implicitly).
    pub fn protocols(&self) -> Vec<u8> {
        self.groups.iter().filter_map(|g| g.td_protocol).collect()
    }

    /// Whether TCK is present: some TDi indicates a protocol other than T=0.
    pub fn needs_tck(&self) -> bool {
        self.protocols().iter().any(|&t| t != 0)
    }

    /// The encoded bytes, T0, TD high nibbles and TCK computed from the contents.
    /// Historical bytes beyond 15 cannot be announced by K and are not emitted.
    pub fn emit(&self) -> Vec<u8> {
        let k = self.historical.len().min(15);
        let y1 = self.groups.first().map_or(0, InterfaceBytes::presence);
        let mut out = vec![self.ts, (y1 << 4) | k as u8];
        for (i, group) in self.groups.iter().enumerate() {
            out.extend(group.ta);
            out.extend(group.tb);
            out.extend(group.tc);
            let Some(t) = group.td_protocol else { break };
            let y_next = self.groups.get(i + 1).map_or(0, InterfaceBytes::presence);
            out.push((y_next << 4) | (t & 0x0F));
        }
        out.extend_from_slice(&self.historical[..k]);
        if self.needs_tck() {
            out = with_tck(&out);
        }
        out
    }

    /// The field tree (path `atr`, offsets from 0): TS, T0, each interface byte with
    /// its meaning, the historical bytes and TCK.
    pub fn describe(&self) -> Field {
        let bytes = self.emit();
        let mut root =
            Field::new("atr", "Answer to reset", 0, bytes.len()).with_value(hex::spaced(&bytes));
        root.child("ts", "TS (initial character)", 0, 1)
            .with_value(format!("{:02X}", self.ts))
            .with_note(if self.ts == 0x3B {
                "direct convention"
            } else {
                "inverse convention"
            });
        let t0 = bytes.get(1).copied().unwrap_or_default();
        root.child("t0", "T0 (format byte)", 1, 1)
            .with_value(format!("{t0:02X}"))
            .with_note(format!(
                "Y1 = {:X}: {}; K = {} historical bytes",
                t0 >> 4,
                announced(t0 >> 4, 1),
                t0 & 0x0F
            ));
        let mut pos = 2;
        // The protocol the previous TD indicated: it gives the meaning of TAi..TCi, i ≥ 3.
        let mut previous_t = None;
        for (index, group) in self.groups.iter().enumerate() {
            let i = index + 1;
            for (letter, byte) in [("a", group.ta), ("b", group.tb), ("c", group.tc)] {
                let Some(byte) = byte else { continue };
                let name = format!("T{}{i}", letter.to_uppercase());
                root.child(&format!("t{letter}{i}"), name, pos, 1)
                    .with_value(format!("{byte:02X}"))
                    .with_note(interface_meaning(letter, i, previous_t, byte, self));
                pos += 1;
            }
            if let Some(t) = group.td_protocol {
                let td = bytes.get(pos).copied().unwrap_or_default();
                root.child(&format!("td{i}"), format!("TD{i}"), pos, 1)
                    .with_value(format!("{td:02X}"))
                    .with_note(format!(
                        "T = {t}{}; Y{} = {:X}: {}",
                        protocol_name(t),
                        i + 1,
                        td >> 4,
                        announced(td >> 4, i + 1)
                    ));
                previous_t = Some(t);
                pos += 1;
            }
        }
        let k = self.historical.len().min(15);
        if k > 0 {
            let hist = bytes.get(pos..pos + k).unwrap_or_default();
            root.children.push(describe_historical(hist, pos));
            pos += k;
        }
        if self.needs_tck() {
            root.child("tck", "TCK (check byte)", pos, 1)
                .with_value(format!(
                    "{:02X}",
                    bytes.get(pos).copied().unwrap_or_default()
                ))
                .with_note("XOR of T0 … TCK is 00: correct");
        }
        root
    }
}

/// Appends TCK to an ATR given without it: the XOR of every byte after TS, so that
/// T0..TCK XOR to `00` (ISO/IEC 7816-3 §8.2.5). Use it only for an ATR that
/// indicates a protocol other than T=0 (otherwise TCK must be absent).
pub fn with_tck(bytes_without_tck: &[u8]) -> Vec<u8> {
    let tck = bytes_without_tck
        .get(1..)
        .unwrap_or_default()
        .iter()
        .fold(0, |x, b| x ^ b);
    let mut out = bytes_without_tck.to_vec();
    out.push(tck);
    out
}

/// Which interface bytes of group `i` a Y nibble announces, e.g. `TA1, TD1 present`.
fn announced(y: u8, i: usize) -> String {
    let names: Vec<String> = ["TA", "TB", "TC", "TD"]
        .iter()
        .enumerate()
        .filter(|(bit, _)| y & (1 << bit) != 0)
        .map(|(_, name)| format!("{name}{i}"))
        .collect();
    if names.is_empty() {
        "no further interface bytes".into()
    } else {
        format!("{} present", names.join(", "))
    }
}

fn protocol_name(t: u8) -> &'static str {
    match t {
        0 => " (half-duplex character protocol)",
        1 => " (half-duplex block protocol)",
        15 => " (global interface bytes follow)",
        14 => " (not standardized)",
        _ => " (RFU)",
    }
}

/// The meaning of TAi/TBi/TCi (`letter` a/b/c) in group `i` (ISO/IEC 7816-3 §8.3,
/// §10.2, §11.4; TS 102 221 §6.3 for T=15).
fn interface_meaning(
    letter: &str,
    i: usize,
    previous_t: Option<u8>,
    byte: u8,
    atr: &Atr,
) -> String {
    match (letter, i, previous_t) {
        ("a", 1, _) => {
            let (fi, di) = (byte >> 4, byte & 0x0F);
            match (clock_rate(fi), baud_divisor(di)) {
                (Some((f, fmax)), Some(d)) => format!(
                    "FI = {fi:X}, DI = {di:X}: Fi = {f}, Di = {d} (f max {fmax} MHz), so 1 etu = {f}/{d} clock cycles"
                ),
                _ => format!("FI = {fi:X}, DI = {di:X}: RFU value"),
            }
        }
        ("b", 1, _) => "deprecated (former VPP programming voltage); 00 = no VPP".into(),
        ("c", 1, _) => match byte {
            0xFF => "N = 255: minimum guard time (12 etu for T=0, 11 etu for T=1)".into(),
            n => format!("extra guard time N = {n} etu"),
        },
        ("a", 2, _) => format!(
            "specific mode, protocol T = {}; {}; {}",
            byte & 0x0F,
            if byte & 0x80 != 0 {
                "mode change not possible"
            } else {
                "mode change possible"
            },
            if byte & 0x10 != 0 {
                "implicit transmission parameters"
            } else {
                "parameters defined by TA1"
            }
        ),
        ("b", 2, _) => "deprecated (former PI2 programming voltage)".into(),
        ("c", 2, _) if atr.protocols().first() == Some(&0) || atr.protocols().is_empty() => {
            format!("WI = {byte}: T=0 waiting time integer (work waiting time = 960 × WI × Fi/f)")
        }
        ("a", _, Some(15)) => {
            let clock = match byte >> 6 {
                0 => "clock stop not supported",
                1 => "clock stop supported in state L",
                2 => "clock stop supported in state H",
                _ => "clock stop supported, no preference",
            };
            format!("{clock}; class indicator: {}", voltage_classes(byte & 0x3F))
        }
        ("b", _, Some(15)) => format!("SPU (use of contact C6): {byte:02X}"),
        ("a", _, Some(1)) => format!("IFSC = {byte} bytes (T=1 information field size)"),
        ("b", _, Some(1)) => format!(
            "BWI = {}, CWI = {} (T=1 block and character waiting times)",
            byte >> 4,
            byte & 0x0F
        ),
        ("c", _, Some(1)) => {
            if byte & 1 == 0 {
                "T=1 error detection: LRC".into()
            } else {
                "T=1 error detection: CRC".into()
            }
        }
        (_, _, Some(t)) => format!("specific to T = {t}"),
        _ => "interface byte".into(),
    }
}

/// Supply voltage classes from a bit map: b1 = class A, b2 = B, b3 = C, b4 = D, b5 = E
/// (ISO/IEC 7816-3 §6.2.1 class indicator; TS 102 221 §6.2.1).
pub(crate) fn voltage_classes(bits: u8) -> String {
    let names: Vec<&str> = ["A (5 V)", "B (3 V)", "C (1.8 V)", "D", "E"]
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, name)| *name)
        .collect();
    if names.is_empty() {
        "no class".into()
    } else {
        format!("class {}", names.join(", "))
    }
}

/// Fi and f max (MHz) for FI (ISO/IEC 7816-3 table 7).
fn clock_rate(fi: u8) -> Option<(u16, &'static str)> {
    Some(match fi {
        0 => (372, "4"),
        1 => (372, "5"),
        2 => (558, "6"),
        3 => (744, "8"),
        4 => (1116, "12"),
        5 => (1488, "16"),
        6 => (1860, "20"),
        9 => (512, "5"),
        0xA => (768, "7.5"),
        0xB => (1024, "10"),
        0xC => (1536, "15"),
        0xD => (2048, "20"),
        _ => return None,
    })
}

/// Di for DI (ISO/IEC 7816-3 table 8).
fn baud_divisor(di: u8) -> Option<u8> {
    Some(match di {
        1 => 1,
        2 => 2,
        3 => 4,
        4 => 8,
        5 => 16,
        6 => 32,
        7 => 64,
        8 => 12,
        9 => 20,
        _ => return None,
    })
}

/// The historical bytes (ISO/IEC 7816-4 §8.1.1): the category indicator and, for
/// category `80`, the COMPACT-TLV data objects. Other categories, or COMPACT-TLV that
/// does not fit, stay one leaf.
fn describe_historical(hist: &[u8], start: usize) -> Field {
    let mut field = Field::new("atr.historical", "Historical bytes", start, hist.len())
        .with_value(hex::spaced(hist));
    let Some((&category, objects)) = hist.split_first() else {
        return field;
    };
    let compact = if category == 0x80 {
        compact_tlv(objects, start + 1)
    } else {
        None
    };
    let Some(objects) = compact else {
        field.note = match category {
            0x00 => "category 00: COMPACT-TLV objects followed by a 3-byte status indicator",
            0x10 => "category 10: DIR data reference",
            0x80 => "category 80: COMPACT-TLV objects (not well formed here)",
            0x81..=0x8F => "category RFU",
            _ => "proprietary category",
        }
        .into();
        return field;
    };
    field
        .child("category", "Category indicator", start, 1)
        .with_value("80")
        .with_note("COMPACT-TLV data objects follow");
    field.children.extend(objects);
    field
}

/// COMPACT-TLV objects (ISO/IEC 7816-4 §8.1.1.2: tag in the high nibble, length in
/// the low nibble), or `None` if they do not exactly fill `bytes`.
fn compact_tlv(bytes: &[u8], start: usize) -> Option<Vec<Field>> {
    let mut fields = Vec::new();
    let mut pos = 0;
    while let Some(&header) = bytes.get(pos) {
        let (tag, len) = (header >> 4, usize::from(header & 0x0F));
        let value = bytes.get(pos + 1..pos + 1 + len)?;
        let (key, label) = match tag {
            0x1 => ("country_code", "Country code"),
            0x2 => ("issuer_id", "Issuer identification number"),
            0x3 => ("card_service_data", "Card service data"),
            0x4 => ("initial_access_data", "Initial access data"),
            0x5 => ("card_issuer_data", "Card issuer's data"),
            0x6 => ("pre_issuing_data", "Pre-issuing data"),
            0x7 => ("card_capabilities", "Card capabilities"),
            0x8 => ("status_indicator", "Status indicator"),
            0xF => ("aid", "Application identifier"),
            _ => ("object", "COMPACT-TLV data object"),
        };
        let mut field = Field::new(format!("atr.historical.{key}"), label, start + pos, 1 + len)
            .with_value(hex::spaced(value));
        field
            .child("header", "Tag and length", start + pos, 1)
            .with_value(format!("{header:02X}"))
            .with_note(format!("tag {tag:X}, length {len}"));
        if len > 0 {
            let value_field = field.child("value", "Value", start + pos + 1, len);
            value_field.value = hex::spaced(value);
            if tag == 0x8 && len == 3 {
                value_field.note = "life cycle status and status word SW1 SW2".into();
            }
        }
        fields.push(field);
        pos += 1 + len;
    }
    Some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real UICC ATR (T=0, T=15 global bytes, 15 historical bytes) without TCK.
    const UICC_WITHOUT_TCK: [u8; 21] = [
        0x3B, 0x9F, 0x96, 0x80, 0x1F, 0xC7, 0x80, 0x31, 0xE0, 0x73, 0xFE, 0x21, 0x1B, 0x63, 0x3A,
        0x20, 0x4E, 0x83, 0x00, 0x90, 0x00,
    ];
    /// TCK: the XOR of 9F … 00 (T0 to the last historical byte).
    const UICC_TCK: u8 = 0x93;

    fn uicc() -> Vec<u8> {
        let mut atr = UICC_WITHOUT_TCK.to_vec();
        atr.push(UICC_TCK);
        atr
    }

    #[test]
    fn with_tck_makes_t0_to_tck_xor_to_zero() {
        let atr = with_tck(&UICC_WITHOUT_TCK);
        assert_eq!(atr, uicc());
        assert_eq!(atr[1..].iter().fold(0, |x, b| x ^ b), 0);
    }

    #[test]
    fn test_parse() {
        let atr = Atr::parse(&uicc()).unwrap();
        assert_eq!(atr.ts, 0x3B);
        assert_eq!(atr.groups.len(), 3);
        assert_eq!(atr.groups[0].ta, Some(0x96));
        assert_eq!(atr.protocols(), vec![0, 15]);
        assert_eq!(atr.groups[2].ta, Some(0xC7));
        assert_eq!(atr.historical, UICC_WITHOUT_TCK[6..].to_vec());
        assert!(atr.needs_tck());
    }

    #[test]
    fn test_emit() {
        let atr = Atr {
            ts: 0x3B,
            groups: vec![
                InterfaceBytes {
                    ta: Some(0x96),
                    td_protocol: Some(0),
                    ..Default::default()
                },
                InterfaceBytes {
                    td_protocol: Some(15),
                    ..Default::default()
                },
                InterfaceBytes {
                    ta: Some(0xC7),
                    ..Default::default()
                },
            ],
            historical: UICC_WITHOUT_TCK[6..].to_vec(),
        };
        assert_eq!(atr.emit(), uicc());
    }

    #[test]
    fn parses_t0_only_atr_without_tck() {
        // TS, T0 = 0x60 (TB1, TC1), TB1 00, TC1 00, no historical bytes.
        let raw = [0x3B, 0x60, 0x00, 0x00];
        let atr = Atr::parse(&raw).unwrap();
        assert!(!atr.needs_tck());
        assert_eq!(atr.emit(), raw);
        assert!(matches!(
            Atr::parse(&[0x3B, 0x60, 0x00, 0x00, 0x60]),
            Err(DecodeError::TrailingBytes { .. })
        ));
    }

    #[test]
    fn emit_of_parse_is_identity() {
        for raw in [
            uicc(),
            vec![0x3B, 0x60, 0x00, 0x00],
            with_tck(&[0x3B, 0x81, 0x01, 0x80]),
        ] {
            assert_eq!(Atr::parse(&raw).unwrap().emit(), raw);
        }
    }

    #[test]
    fn rejects_wrong_tck() {
        let mut raw = uicc();
        *raw.last_mut().unwrap() ^= 0x01;
        assert!(matches!(
            Atr::parse(&raw),
            Err(DecodeError::BadValue { what: "TCK", .. })
        ));
    }

    #[test]
    fn rejects_missing_tck_when_t_other_than_0() {
        assert!(matches!(
            Atr::parse(&UICC_WITHOUT_TCK),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn rejects_bad_ts() {
        assert!(matches!(
            Atr::parse(&[0x3C, 0x00]),
            Err(DecodeError::BadValue { what: "TS", .. })
        ));
    }

    #[test]
    fn rejects_every_truncated_prefix() {
        let raw = uicc();
        for cut in 0..raw.len() {
            assert!(Atr::parse(&raw[..cut]).is_err(), "prefix {cut}");
        }
    }

    #[test]
    fn rejects_more_than_32_bytes_after_ts() {
        // 16 TD-only groups chaining T=1, 15 historical bytes and TCK: 33 bytes after TS.
        let mut raw = vec![0x3B, 0x8F];
        raw.extend([0x81; 15]);
        raw.push(0x01);
        raw.extend([0u8; 15]);
        let raw = with_tck(&raw);
        assert!(matches!(
            Atr::parse(&raw),
            Err(DecodeError::BadLength { .. })
        ));
    }

    #[test]
    fn describe_explains_every_byte() {
        let raw = uicc();
        let field = Atr::parse(&raw).unwrap().describe();
        assert!(
            field.uncovered(raw.len()).is_empty(),
            "{}",
            field.render_tree(Some(&raw))
        );
        let note = |path: &str| field.find(path).unwrap().note.clone();
        assert_eq!(note("atr.ts"), "direct convention");
        assert!(note("atr.t0").contains("K = 15"));
        assert!(note("atr.ta1").contains("Fi = 512, Di = 32"));
        assert!(note("atr.td1").starts_with("T = 0"));
        assert!(note("atr.td2").starts_with("T = 15"));
        assert!(note("atr.ta3").contains("no preference"));
        assert!(note("atr.ta3").contains("A (5 V), B (3 V), C (1.8 V)"));
        assert_eq!(field.find("atr.tck").unwrap().range(), 21..22);
        let status = field.find("atr.historical.status_indicator.value").unwrap();
        assert_eq!(status.value, "00 90 00");
    }

    #[test]
    fn no_panic_on_any_input() {
        let check = |raw: &[u8]| {
            if let Ok(atr) = Atr::parse(raw) {
                assert_eq!(atr.emit(), raw);
                assert!(atr.describe().uncovered(raw.len()).is_empty());
            }
        };
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                check(&[0x3B, a, b]);
                check(&with_tck(&[0x3F, a, b]));
            }
        }
        let mut seed = 3u64;
        for _ in 0..5000 {
            let mut raw = crate::wire::ber_tlv::test_input::lcg_bytes(&mut seed, 32);
            raw.insert(0, 0x3B);
            check(&raw);
            check(&with_tck(&raw));
        }
    }
}
