//! The FCP template a UICC returns for SELECT: ETSI TS 102 221 §11.1.1.3 (template,
//! tag `62`) and §11.1.1.4 (its data objects), on the BER-TLV coding of
//! [`ber_tlv`](crate::wire::ber_tlv).
//!
//! ```text
//! 62 L  82 file descriptor     83 file identifier     84 DF name (AID)
//!       A5 proprietary info    8A life cycle status   8B/8C/AB security attributes
//!       80 file size           81 total file size     88 short file identifier
//!       C6 PIN status template DO (DFs and ADFs)
//! ```
//!
//! [`describe`] decodes a template into fields; the builders ([`template`],
//! [`descriptor_df`], [`descriptor_records`], …) produce the bytes a card returns.

use crate::wire::ber_tlv::{Span, Tag, Tlv};
use crate::wire::field::{Field, FieldFill};
use crate::wire::hex;
use crate::wire::DecodeError;

/// Tag of the FCP template.
pub const FCP_TAG: u32 = 0x62;
/// File descriptor byte of a DF or ADF (not shareable bit clear would be `38`).
pub const DESCRIPTOR_DF: u8 = 0x78;
/// File descriptor byte of a shareable transparent working EF.
pub const DESCRIPTOR_TRANSPARENT: u8 = 0x41;
/// File descriptor byte of a shareable linear fixed working EF.
pub const DESCRIPTOR_LINEAR_FIXED: u8 = 0x42;
/// File descriptor byte of a shareable cyclic working EF.
pub const DESCRIPTOR_CYCLIC: u8 = 0x46;
/// The data coding byte TS 102 221 §11.1.1.4.3 requires.
pub const DATA_CODING: u8 = 0x21;

/// `82 02 78 21`: a shareable DF or ADF.
pub fn descriptor_df() -> Tlv {
    Tlv::new(0x82, [DESCRIPTOR_DF, DATA_CODING])
}

/// `82 02 41 21`: a shareable transparent EF (its size goes in [`file_size`]).
pub fn descriptor_transparent() -> Tlv {
    Tlv::new(0x82, [DESCRIPTOR_TRANSPARENT, DATA_CODING])
}

/// `82 05 42|46 21 LLLL NN`: a shareable linear fixed (or cyclic) EF of `records`
/// records of `record_len` bytes.
pub fn descriptor_records(cyclic: bool, record_len: u16, records: u8) -> Tlv {
    let fdb = if cyclic {
        DESCRIPTOR_CYCLIC
    } else {
        DESCRIPTOR_LINEAR_FIXED
    };
    let [hi, lo] = record_len.to_be_bytes();
    Tlv::new(0x82, [fdb, DATA_CODING, hi, lo, records])
}

/// `80 02 XXXX`: the number of data bytes of an EF.
pub fn file_size(size: u16) -> Tlv {
    Tlv::new(0x80, size.to_be_bytes())
}

/// `8B 03 FFFF RR`: security attributes by reference to record `record` of EF.ARR
/// `ef_arr` (TS 102 221 §11.1.1.4.7.3).
pub fn arr_reference(ef_arr: u16, record: u8) -> Tlv {
    let [hi, lo] = ef_arr.to_be_bytes();
    Tlv::new(0x8B, [hi, lo, record])
}

/// `C6 …`: the PIN status template DO (TS 102 221 §9.5.2): a PS_DO (`90`) whose bits,
/// from b8 of its first byte, tell whether each key reference is enabled, then one
/// key reference DO (`83`) per PIN in the same order.
pub fn pin_status_template(pins: &[(u8, bool)]) -> Tlv {
    let mut ps_do = vec![0u8; pins.len().div_ceil(8).max(1)];
    for (i, _) in pins.iter().enumerate().filter(|(_, (_, enabled))| *enabled) {
        if let Some(byte) = ps_do.get_mut(i / 8) {
            *byte |= 0x80 >> (i % 8);
        }
    }
    let mut children = vec![Tlv::new(0x90, ps_do)];
    children.extend(pins.iter().map(|(key, _)| Tlv::new(0x83, [*key])));
    Tlv::constructed(0xC6, &children)
}

/// The FCP template `62`: the file descriptor, the file identifier `83`, then `extra`
/// data objects in the order given (TS 102 221 §11.1.1.3).
pub fn template(descriptor: Tlv, file_id: u16, extra: &[Tlv]) -> Tlv {
    let mut children = vec![descriptor, Tlv::new(0x83, file_id.to_be_bytes())];
    children.extend_from_slice(extra);
    Tlv::constructed(FCP_TAG, &children)
}

/// Decodes an FCP template (ETSI TS 102 221 §11.1.1.3, data objects §11.1.1.4) that
/// fills `bytes` exactly; offsets are `base` plus the position in `bytes`. Structure
/// errors (BER-TLV coding, a first tag other than `62`, trailing bytes) are errors;
/// unexpected contents are shown with a note, unknown tags generically.
pub fn describe(bytes: &[u8], base: usize) -> Result<Field, DecodeError> {
    let (fcp, used) = Tlv::parse(bytes)?;
    if fcp.tag != Tag(FCP_TAG) {
        return Err(DecodeError::BadTag {
            what: "FCP template (TS 102 221 §11.1.1.3 expects 62)",
            tag: fcp.tag.0,
        });
    }
    if used < bytes.len() {
        return Err(DecodeError::TrailingBytes {
            what: "FCP template",
            count: bytes.len() - used,
        });
    }
    let header_len = used - fcp.value.len();
    let span = Span {
        start: base,
        tag_len: 1,
        length_len: header_len - 1,
        value_len: fcp.value.len(),
    };
    let mut root = object_field("", "fcp", "FCP template", "62", &span);
    let objects = Tlv::parse_spanned(&fcp.value, span.value_start())?;
    let mut summary = Vec::new();
    for (tlv, span) in &objects {
        let field = describe_object(&root.path, tlv, span)?;
        if matches!(tlv.tag.0, 0x82 | 0x83) {
            summary.push(field.value.clone());
        }
        root.children.push(field);
    }
    root.value = summary.join(", ");
    if !objects.iter().any(|(t, _)| t.tag == Tag(0x82)) {
        root.note = "the file descriptor (82) is missing; TS 102 221 makes it mandatory".into();
    }
    Ok(root)
}

/// A field for one data object with its `tag` and `length` leaves.
fn object_field(parent: &str, key: &str, label: &str, tag: &str, span: &Span) -> Field {
    let path = if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    };
    let mut field = Field::new(path, label, span.start, span.len());
    field
        .child("tag", "Tag", span.start, span.tag_len)
        .with_value(tag);
    field
        .child(
            "length",
            "Length",
            span.start + span.tag_len,
            span.length_len,
        )
        .value = span.value_len.to_string();
    field
}

/// Decodes one data object of the template.
fn describe_object(parent: &str, tlv: &Tlv, span: &Span) -> Result<Field, DecodeError> {
    let v = tlv.value.as_slice();
    let at = span.value_start();
    let tag_hex = hex::compact(&tlv.tag.bytes());
    let (key, label) = match tlv.tag.0 {
        0x80 => ("file_size", "File size"),
        0x81 => ("total_file_size", "Total file size"),
        0x82 => ("file_descriptor", "File descriptor"),
        0x83 => ("file_id", "File identifier"),
        0x84 => ("df_name", "DF name (AID)"),
        0x88 => ("sfi", "Short file identifier"),
        0x8A => ("life_cycle", "Life cycle status integer"),
        0x8B => (
            "security_referenced",
            "Security attributes, referenced format",
        ),
        0x8C => ("security_compact", "Security attributes, compact format"),
        0xA5 => ("proprietary", "Proprietary information"),
        0xAB => ("security_expanded", "Security attributes, expanded format"),
        0xC6 => ("pin_status", "PIN status template DO"),
        _ => ("", "Data object"),
    };
    let generic_key = format!("tlv_{tag_hex}");
    let key = if key.is_empty() { &generic_key } else { key };
    let mut field = object_field(parent, key, label, &tag_hex, span);
    match tlv.tag.0 {
        0x80 | 0x81 => {
            let size = be_number(v);
            field.value = format!("{size} bytes");
            value_leaf(&mut field, at, v).with_value(format!("{size} bytes"));
        }
        0x82 => describe_descriptor(&mut field, at, v),
        0x83 => {
            let name = file_name(v);
            field.value = format!("{}{name}", hex::compact(v));
            value_leaf(&mut field, at, v).with_value(format!("{}{name}", hex::compact(v)));
        }
        0x84 => {
            field.value = hex::compact(v);
            value_leaf(&mut field, at, v)
                .with_value(hex::compact(v))
                .with_note(aid_note(v));
        }
        0x88 => match v {
            [] => field.note = "empty: the EF has no short file identifier".into(),
            [sfi] => {
                field.value = format!("SFI {:02X}", sfi >> 3);
                value_leaf(&mut field, at, v)
                    .with_value(format!("{sfi:02X}"))
                    .with_note(format!("SFI {:02X} in b8-b4", sfi >> 3));
            }
            _ => {
                value_leaf(&mut field, at, v).with_note("expected 0 or 1 byte");
            }
        },
        0x8A => {
            let text = match v {
                [lcsi] => life_cycle(*lcsi),
                _ => "expected one byte".into(),
            };
            field.value = text.clone();
            value_leaf(&mut field, at, v).with_value(text);
        }
        0x8B => describe_arr_reference(&mut field, at, v),
        0xA5 => {
            for (inner, inner_span) in Tlv::parse_spanned(v, at)? {
                let (key, label, meaning) = proprietary_object(&inner);
                let tag = hex::compact(&inner.tag.bytes());
                let mut child = object_field(&field.path, key, label, &tag, &inner_span);
                child.value = meaning.clone();
                value_leaf(&mut child, inner_span.value_start(), &inner.value).with_value(meaning);
                field.children.push(child);
            }
        }
        0xC6 => describe_pin_status(&mut field, at, v)?,
        _ => {
            value_leaf(&mut field, at, v);
        }
    }
    Ok(field)
}

/// Adds a `value` leaf covering the whole value (if any) and returns it.
fn value_leaf<'a>(field: &'a mut Field, at: usize, v: &[u8]) -> &'a mut Field {
    let leaf = field.child("value", "Value", at, v.len());
    leaf.value = hex::spaced(v);
    leaf
}

fn be_number(v: &[u8]) -> u64 {
    v.iter().take(8).fold(0, |n, b| (n << 8) | u64::from(*b))
}

/// File descriptor (TS 102 221 §11.1.1.4.3): descriptor byte, data coding byte and,
/// for record EFs, record length (2 bytes) and number of records.
fn describe_descriptor(field: &mut Field, at: usize, v: &[u8]) {
    let Some((&fdb, rest)) = v.split_first() else {
        field.note = "empty file descriptor".into();
        return;
    };
    let kind = descriptor_kind(fdb);
    field.value = kind.clone();
    field
        .child("descriptor_byte", "File descriptor byte", at, 1)
        .with_value(format!("{fdb:02X}"))
        .with_note(kind);
    let Some((&dcb, rest)) = rest.split_first() else {
        return;
    };
    field
        .child("data_coding", "Data coding byte", at + 1, 1)
        .with_value(format!("{dcb:02X}"))
        .with_note(if dcb == DATA_CODING {
            "21, as TS 102 221 requires"
        } else {
            "TS 102 221 requires 21"
        });
    match rest {
        [] => {}
        [hi, lo, count] => {
            let record_len = u16::from_be_bytes([*hi, *lo]);
            field.value = format!("{}, {count} records of {record_len} bytes", field.value);
            field
                .child("record_length", "Record length", at + 2, 2)
                .with_value(format!("{record_len} bytes"));
            field
                .child("number_of_records", "Number of records", at + 4, 1)
                .with_value(count.to_string());
        }
        other => {
            field
                .child("value", "Further bytes", at + 2, other.len())
                .with_value(hex::spaced(other))
                .with_note("TS 102 221 codes the descriptor in 2 or 5 bytes");
        }
    }
}

/// The file descriptor byte in words (TS 102 221 §11.1.1.4.3 table 11.5).
fn descriptor_kind(fdb: u8) -> String {
    if fdb & 0x80 != 0 {
        return "RFU (b8 set)".into();
    }
    let share = if fdb & 0x40 != 0 {
        "shareable"
    } else {
        "not shareable"
    };
    let kind = if fdb & 0x3F == 0x39 {
        "working EF, BER-TLV structure"
    } else {
        match ((fdb >> 3) & 0x07, fdb & 0x07) {
            (0b111, 0) => "DF or ADF",
            (0b111, _) => "DF or ADF (structure bits RFU)",
            (0b000 | 0b001, structure) => {
                let file = if fdb & 0x38 == 0 {
                    "working EF"
                } else {
                    "internal EF"
                };
                let structure = match structure {
                    0b000 => "no information given",
                    0b001 => "transparent",
                    0b010 => "linear fixed",
                    0b110 => "cyclic",
                    _ => "structure RFU",
                };
                return format!("{file}, {structure}, {share}");
            }
            _ => "file type RFU",
        }
    };
    format!("{kind}, {share}")
}

/// Names of the files TS 102 221 §13 and 3GPP TS 31.102 place at fixed identifiers.
fn file_name(fid: &[u8]) -> &'static str {
    match fid {
        [0x3F, 0x00] => " (MF)",
        [0x2F, 0x00] => " (EF.DIR)",
        [0x2F, 0x05] => " (EF.PL)",
        [0x2F, 0x06] => " (EF.ARR)",
        [0x2F, 0x08] => " (EF.UMPC)",
        [0x2F, 0xE2] => " (EF.ICCID)",
        [0x7F, 0xFF] => " (current ADF)",
        [0x7F, 0x10] => " (DF.TELECOM)",
        [0x7F, 0x20] => " (DF.GSM)",
        _ => "",
    }
}

/// What the RID of an AID says (TS 101 220 §4, annex E).
pub fn aid_note(aid: &[u8]) -> String {
    match aid {
        [0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02, ..] => "3GPP RID, USIM application".into(),
        [0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x04, ..] => "3GPP RID, ISIM application".into(),
        [0xA0, 0x00, 0x00, 0x00, 0x87, ..] => "3GPP RID A000000087".into(),
        [0xA0, 0x00, 0x00, 0x00, 0x09, ..] => "ETSI RID A000000009".into(),
        [0xA0, 0x00, 0x00, 0x03, 0x43, ..] => "3GPP2 RID A000000343".into(),
        _ => "application identifier".into(),
    }
}

/// Life cycle status integer (ISO/IEC 7816-4 §7.4.10 table 13, TS 102 221
/// §11.1.1.4.9).
fn life_cycle(lcsi: u8) -> String {
    let text = match lcsi {
        0x00 => "no information given",
        0x01 => "creation state",
        0x03 => "initialisation state",
        0x05 | 0x07 => "operational state, activated",
        0x04 | 0x06 => "operational state, deactivated",
        0x0C..=0x0F => "termination state",
        0x10..=0xFF => "proprietary",
        _ => "RFU",
    };
    format!("{lcsi:02X}: {text}")
}

/// Referenced security attributes (TS 102 221 §11.1.1.4.7.3): EF.ARR file identifier
/// and a record number, or pairs of SEID and record number.
fn describe_arr_reference(field: &mut Field, at: usize, v: &[u8]) {
    let Some((fid, records)) = v.split_first_chunk::<2>() else {
        value_leaf(field, at, v).with_note("expected an EF.ARR file identifier");
        return;
    };
    field.value = format!("EF.ARR {}", hex::compact(fid));
    field
        .child("ef_arr", "EF.ARR file identifier", at, 2)
        .with_value(hex::compact(fid));
    match records {
        [record] => {
            field.value = format!("{}, record {record}", field.value);
            field
                .child("record", "Record number", at + 2, 1)
                .with_value(record.to_string());
        }
        pairs if pairs.len() % 2 == 0 => {
            for (i, pair) in pairs.chunks(2).enumerate() {
                if let [seid, record] = pair {
                    field
                        .child("seid_record", "SEID and record number", at + 2 + 2 * i, 2)
                        .with_value(format!("SE {seid:02X}: record {record}"));
                }
            }
        }
        other => {
            field
                .child("value", "Further bytes", at + 2, other.len())
                .with_value(hex::spaced(other))
                .with_note("expected one record number or SEID/record pairs");
        }
    }
}

/// The data objects of the proprietary template A5 (TS 102 221 §11.1.1.4.6, TS 102 222
/// table 4a): key, label and decoded value.
fn proprietary_object(tlv: &Tlv) -> (&'static str, &'static str, String) {
    let v = tlv.value.as_slice();
    match (tlv.tag.0, v) {
        (0x80, [byte]) => (
            "uicc_characteristics",
            "UICC characteristics",
            uicc_characteristics(*byte),
        ),
        (0x81, [class, current, freq]) => (
            "application_power_consumption",
            "Application power consumption",
            format!(
                "{} mA at {} (reference frequency {})",
                current,
                crate::wire::atr::voltage_classes(*class),
                if *freq == 0xFF {
                    "not given".to_string()
                } else {
                    format!("{} kHz", u32::from(*freq) * 100)
                }
            ),
        ),
        (0x82, [freq]) => (
            "min_clock_frequency",
            "Minimum application clock frequency",
            if *freq == 0xFF {
                "not given".into()
            } else {
                format!("{} kHz", u32::from(*freq) * 100)
            },
        ),
        (0x83, _) => (
            "available_memory",
            "Amount of available memory",
            format!("{} bytes", be_number(v)),
        ),
        (0x84, _) => ("file_details", "File details", hex::spaced(v)),
        (0x85, _) => (
            "reserved_file_size",
            "Reserved file size",
            format!("{} bytes", be_number(v)),
        ),
        (0x86, _) => (
            "maximum_file_size",
            "Maximum file size",
            format!("{} bytes", be_number(v)),
        ),
        (0x87, _) => (
            "supported_commands",
            "Supported system commands",
            hex::spaced(v),
        ),
        (0x88, _) => (
            "environmental_conditions",
            "Specific UICC environmental conditions",
            hex::spaced(v),
        ),
        (0x89, _) => (
            "p2p_cat_secured_apdu",
            "Platform to platform CAT secured APDU",
            hex::spaced(v),
        ),
        (0xC0, _) => (
            "special_file_info",
            "Special file information",
            hex::spaced(v),
        ),
        (0xC1, _) => ("filling_pattern", "Filling pattern", hex::spaced(v)),
        (0xC2, _) => ("repeat_pattern", "Repeat pattern", hex::spaced(v)),
        _ => ("object", "Data object", hex::spaced(v)),
    }
}

/// UICC characteristics byte (TS 102 221 §11.1.1.4.6.1): clock stop in b1, b3, b4;
/// supply voltage classes A–D in b5–b8.
fn uicc_characteristics(byte: u8) -> String {
    let allowed = byte & 0x01 != 0;
    let clock = match (allowed, byte & 0x0C) {
        (true, 0x00) => "clock stop allowed, no preferred level",
        (true, 0x04) => "clock stop allowed, high level preferred",
        (true, 0x08) => "clock stop allowed, low level preferred",
        (false, 0x00) => "clock stop not allowed",
        (false, 0x04) => "clock stop not allowed, unless at high level",
        (false, 0x08) => "clock stop not allowed, unless at low level",
        _ => "clock stop coding RFU",
    };
    format!(
        "{byte:02X}: {clock}; supply voltage {}",
        crate::wire::atr::voltage_classes(byte >> 4)
    )
}

/// PIN status template DO (TS 102 221 §9.5.2): PS_DO `90`, usage qualifier `95`,
/// key references `83`.
fn describe_pin_status(field: &mut Field, at: usize, v: &[u8]) -> Result<(), DecodeError> {
    let objects = Tlv::parse_spanned(v, at)?;
    let ps_do: Vec<u8> = objects
        .iter()
        .find(|(t, _)| t.tag == Tag(0x90))
        .map(|(t, _)| t.value.clone())
        .unwrap_or_default();
    let mut key_index = 0usize;
    let mut enabled_names = Vec::new();
    for (tlv, span) in &objects {
        let (key, label, value, note) = match (tlv.tag.0, tlv.value.as_slice()) {
            (0x90, bits) => (
                "ps_do",
                "PIN status (PS_DO)",
                hex::spaced(bits),
                "bit b8 of the first byte onwards: 1 = the key reference in that position is enabled".to_string(),
            ),
            (0x95, [uq]) => (
                "usage_qualifier",
                "Usage qualifier",
                format!("{uq:02X}"),
                usage_qualifier(*uq).to_string(),
            ),
            (0x83, [key_ref]) => {
                let enabled = ps_do
                    .get(key_index / 8)
                    .is_some_and(|b| b & (0x80 >> (key_index % 8)) != 0);
                key_index += 1;
                let name = key_reference_name(*key_ref);
                if enabled {
                    enabled_names.push(name.clone());
                }
                (
                    "key_reference",
                    "Key reference",
                    format!("{key_ref:02X}: {name}"),
                    if enabled { "enabled" } else { "disabled" }.to_string(),
                )
            }
            _ => ("object", "Data object", hex::spaced(&tlv.value), String::new()),
        };
        let tag = hex::compact(&tlv.tag.bytes());
        let mut child = object_field(&field.path, key, label, &tag, span);
        child.value = value.clone();
        child.note = note;
        value_leaf(&mut child, span.value_start(), &tlv.value).with_value(value);
        field.children.push(child);
    }
    field.value = if enabled_names.is_empty() {
        "no PIN enabled".into()
    } else {
        format!("enabled: {}", enabled_names.join(", "))
    };
    Ok(())
}

/// Usage qualifier (ISO/IEC 7816-4 table 54 as used by TS 102 221 §9.5.2).
fn usage_qualifier(uq: u8) -> &'static str {
    match uq {
        0x08 => "user authentication, knowledge-based (use the PIN for verification)",
        0x00 => "the PIN is not used for verification",
        _ => "usage qualifier",
    }
}

/// Key reference names (TS 102 221 §9.5.1 table 9.3).
fn key_reference_name(key: u8) -> String {
    match key {
        0x01 => "PIN Appl 1 (PIN1)".into(),
        0x02..=0x08 => format!("PIN Appl {key}"),
        0x0A..=0x0E => format!("ADM{}", key - 0x09),
        0x11 => "Universal PIN".into(),
        0x81 => "Second PIN Appl 1 (PIN2)".into(),
        0x82..=0x88 => format!("Second PIN Appl {}", key - 0x80),
        0x8A..=0x8E => format!("ADM{}", key - 0x8A + 6),
        _ => "RFU".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::hex;

    /// A real-world MF FCP: DF 3F00, UICC characteristics 71, life cycle 05, EF.ARR
    /// 2F06 record 1, PIN status template (PIN1, PIN2, ADM1, ADM2; PS_DO 70).
    const MF_FCP: &str =
        "62268202782183023F00A5038001718A01058B032F0601C60F90017083010183018183010A83010B";

    /// EF.ICCID: transparent, 10 bytes, SFI 02 (coded 10).
    const ICCID_FCP: &str = "621C8202412183022FE2A5038001718A01058B032F06058002000A880110";

    /// A linear fixed EF of 5 records of 110 bytes.
    const RECORD_FCP: &str = "621282054221006E0583026F3A8A010580020226";

    fn bytes(text: &str) -> Vec<u8> {
        hex::parse(text).unwrap()
    }

    #[test]
    fn builds_the_mf_template() {
        let fcp = template(
            descriptor_df(),
            0x3F00,
            &[
                Tlv::constructed(0xA5, &[Tlv::new(0x80, [0x71])]),
                Tlv::new(0x8A, [0x05]),
                arr_reference(0x2F06, 1),
                pin_status_template(&[(0x01, false), (0x81, true), (0x0A, true), (0x0B, true)]),
            ],
        );
        assert_eq!(fcp.emit(), bytes(MF_FCP));
    }

    #[test]
    fn builds_record_descriptor_and_file_size() {
        let fcp = template(
            descriptor_records(false, 110, 5),
            0x6F3A,
            &[Tlv::new(0x8A, [0x05]), file_size(550)],
        );
        assert_eq!(fcp.emit(), bytes(RECORD_FCP));
    }

    #[test]
    fn pin_status_bits_follow_key_order() {
        let c6 = pin_status_template(&[(0x01, true), (0x0A, false), (0x11, true)]);
        assert_eq!(c6.emit(), bytes("C60C9001A083010183010A830111"));
    }

    #[test]
    fn describes_the_mf() {
        let raw = bytes(MF_FCP);
        let field = describe(&raw, 0).unwrap();
        assert!(
            field.uncovered(raw.len()).is_empty(),
            "{}",
            field.render_tree(Some(&raw))
        );
        assert_eq!(field.value, "DF or ADF, shareable, 3F00 (MF)");
        let value = |path: &str| field.find(path).unwrap().value.clone();
        assert_eq!(value("fcp.life_cycle"), "05: operational state, activated");
        assert_eq!(value("fcp.security_referenced"), "EF.ARR 2F06, record 1");
        assert!(value("fcp.proprietary.uicc_characteristics")
            .contains("clock stop allowed, no preferred level; supply voltage class A (5 V), B (3 V), C (1.8 V)"));
        assert_eq!(
            value("fcp.pin_status"),
            "enabled: Second PIN Appl 1 (PIN2), ADM1, ADM2"
        );
        let pin1 = field.find("fcp.pin_status.key_reference").unwrap();
        assert_eq!(
            (pin1.value.as_str(), pin1.note.as_str()),
            ("01: PIN Appl 1 (PIN1)", "disabled")
        );
    }

    #[test]
    fn describes_transparent_and_record_efs_with_offsets() {
        let raw = bytes(ICCID_FCP);
        let field = describe(&raw, 40).unwrap();
        assert_eq!(field.start, 40);
        let gaps = field.uncovered(raw.len() + 40);
        assert_eq!((gaps.len(), gaps.first()), (1, Some(&(0..40))));
        assert_eq!(
            field.value,
            "working EF, transparent, shareable, 2FE2 (EF.ICCID)"
        );
        assert_eq!(field.find("fcp.file_size").unwrap().value, "10 bytes");
        assert_eq!(field.find("fcp.sfi").unwrap().value, "SFI 02");

        let raw = bytes(RECORD_FCP);
        let field = describe(&raw, 0).unwrap();
        assert!(field.uncovered(raw.len()).is_empty());
        assert_eq!(
            field.find("fcp.file_descriptor").unwrap().value,
            "working EF, linear fixed, shareable, 5 records of 110 bytes"
        );
        let record_len = field.find("fcp.file_descriptor.record_length").unwrap();
        assert_eq!((record_len.start, record_len.len), (6, 2));
    }

    #[test]
    fn shows_unknown_tags_generically() {
        let raw = bytes("620C8202782183023F009F700107");
        let field = describe(&raw, 0).unwrap();
        let unknown = field.find("fcp.tlv_9F70").unwrap();
        assert_eq!((unknown.start, unknown.len), (10, 4));
        assert!(field.uncovered(raw.len()).is_empty());
    }

    #[test]
    fn rejects_other_templates_and_trailing_bytes() {
        assert!(matches!(
            describe(&bytes("6F00"), 0),
            Err(DecodeError::BadTag { .. })
        ));
        assert!(matches!(
            describe(&bytes("62009000"), 0),
            Err(DecodeError::TrailingBytes { count: 2, .. })
        ));
        assert!(matches!(
            describe(&bytes("62038202"), 0),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn rejects_every_truncated_prefix() {
        let raw = bytes(MF_FCP);
        for cut in 0..raw.len() {
            assert!(describe(&raw[..cut], 0).is_err(), "prefix {cut}");
        }
    }

    #[test]
    fn notes_missing_file_descriptor() {
        let field = describe(&bytes("620483023F00"), 0).unwrap();
        assert!(field.note.contains("missing"));
    }

    #[test]
    fn no_panic_on_any_input() {
        let check = |raw: &[u8]| {
            if let Ok(field) = describe(raw, 0) {
                assert!(field.uncovered(raw.len()).is_empty(), "{raw:02X?}");
            }
        };
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                check(&[0x62, 0x02, a, b]);
                check(&[0x62, 0x05, 0xC6, 0x03, a, 0x01, b]);
                check(&[0x62, 0x05, 0xA5, 0x03, a, 0x01, b]);
                check(&[0x62, 0x05, a, 0x03, b, 0x01, 0x00]);
            }
        }
        let mut seed = 5u64;
        for _ in 0..5000 {
            let body = crate::wire::ber_tlv::test_input::lcg_bytes(&mut seed, 40);
            check(&Tlv::new(0x62, body).emit());
        }
    }
}
