//! Text codings found inside CAT data objects: the SMS default alphabet of 3GPP TS 23.038
//! §6.2.1 (unpacked, one character per byte, as alpha identifiers use it), the three
//! UCS2 forms of ETSI TS 102 221 Annex A (`80`, `81`, `82`), extended BCD dialling
//! numbers (TS 102 223 §8.1, coded as EF_ADN in TS 31.102) and network access names
//! (3GPP TS 23.003 §9.1, length-prefixed labels).
//!
//! Everything here is best effort for display: it never fails and never panics; bytes
//! that have no character become U+FFFD.

/// The basic character set of the SMS default alphabet (3GPP TS 23.038 §6.2.1), indexed
/// by the 7-bit code. `1B` is the escape to the extension table (shown as a space when
/// nothing follows it).
const GSM_BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', ' ', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The extension table of 3GPP TS 23.038 §6.2.1.1 (the character after `1B`).
fn gsm_extension(code: u8) -> Option<char> {
    Some(match code {
        0x0A => '\u{0C}',
        0x14 => '^',
        0x28 => '{',
        0x29 => '}',
        0x2F => '\\',
        0x3C => '[',
        0x3D => '~',
        0x3E => ']',
        0x40 => '|',
        0x65 => '€',
        _ => return None,
    })
}

/// Decodes SMS default alphabet text, one character per byte (b8 = 0). Trailing `FF`
/// padding (as in EF_ADN-coded fields) is dropped.
pub fn gsm_unpacked(bytes: &[u8]) -> String {
    let end = bytes.iter().rposition(|b| *b != 0xFF).map_or(0, |i| i + 1);
    let mut out = String::new();
    let mut iter = bytes[..end].iter().copied().peekable();
    while let Some(b) = iter.next() {
        if b == 0x1B {
            match iter.peek().copied().and_then(gsm_extension) {
                Some(c) => {
                    out.push(c);
                    iter.next();
                }
                None => out.push(' '),
            }
        } else {
            out.push(gsm_char(b));
        }
    }
    out
}

fn gsm_char(b: u8) -> char {
    GSM_BASIC
        .get(usize::from(b))
        .copied()
        .unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// Which coding an alpha identifier uses (TS 102 221 Annex A, referenced by TS 102 223
/// §8.2).
pub fn alpha_coding(bytes: &[u8]) -> &'static str {
    match bytes.first() {
        None => "empty (null alpha identifier)",
        Some(0x80) => "UCS2, 16-bit characters (TS 102 221 Annex A, form 80)",
        Some(0x81) => "UCS2 with an 8-bit base pointer (TS 102 221 Annex A, form 81)",
        Some(0x82) => "UCS2 with a 16-bit base pointer (TS 102 221 Annex A, form 82)",
        Some(_) => "SMS default alphabet, 8-bit unpacked (3GPP TS 23.038)",
    }
}

/// Decodes an alpha identifier (TS 102 223 §8.2): the SMS default alphabet unpacked, or
/// one of the UCS2 forms `80`, `81`, `82` of TS 102 221 Annex A.
pub fn alpha(bytes: &[u8]) -> String {
    match bytes.split_first() {
        None => String::new(),
        Some((0x80, rest)) => rest
            .chunks_exact(2)
            .map(|p| u16::from_be_bytes([p[0], p[1]]))
            .take_while(|u| *u != 0xFFFF)
            .map(|u| char::from_u32(u32::from(u)).unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
        Some((0x81, rest)) => {
            let count = rest.first().copied().map_or(0, usize::from);
            let base = rest.get(1).map_or(0, |b| u32::from(*b) << 7);
            based_ucs2(rest.get(2..).unwrap_or_default(), count, base)
        }
        Some((0x82, rest)) => {
            let count = rest.first().copied().map_or(0, usize::from);
            let base = match rest.get(1..3) {
                Some(p) => u32::from(u16::from_be_bytes([p[0], p[1]])),
                None => 0,
            };
            based_ucs2(rest.get(3..).unwrap_or_default(), count, base)
        }
        Some(_) => gsm_unpacked(bytes),
    }
}

/// The `81`/`82` forms: b8 = 0 is an SMS default alphabet character, b8 = 1 adds b7–b1
/// to the base pointer.
fn based_ucs2(chars: &[u8], count: usize, base: u32) -> String {
    chars
        .iter()
        .take(count)
        .map(|b| {
            if b & 0x80 == 0 {
                gsm_char(*b)
            } else {
                char::from_u32(base + u32::from(b & 0x7F)).unwrap_or(char::REPLACEMENT_CHARACTER)
            }
        })
        .collect()
}

/// Decodes an extended BCD dialling number (TS 102 223 §8.1, EF_ADN coding of TS 31.102
/// §4.4.2.3): low nibble first, `F` ends the number. `A` is `*`, `B` is `#`, `C` (DTMF
/// control digit separator) is shown as `p`, `D` (wild value) as `?`, `E` (expansion)
/// as `e`.
pub fn bcd_digits(bytes: &[u8]) -> String {
    let mut out = String::new();
    for b in bytes {
        for nibble in [b & 0x0F, b >> 4] {
            let c = match nibble {
                0..=9 => char::from(b'0' + nibble),
                0xA => '*',
                0xB => '#',
                0xC => 'p',
                0xD => '?',
                0xE => 'e',
                _ => return out,
            };
            out.push(c);
        }
    }
    out
}

/// Decodes a network access name (TS 102 223 §8.61, coded as an APN in 3GPP TS 23.003
/// §9.1): labels each preceded by their length, joined with dots. Returns `None` when a
/// label length runs past the end.
pub fn network_access_name(bytes: &[u8]) -> Option<String> {
    let mut labels = Vec::new();
    let mut rest = bytes;
    while let Some((len, tail)) = rest.split_first() {
        let label = tail.get(..usize::from(*len))?;
        labels.push(printable(label));
        rest = &tail[label.len()..];
    }
    Some(labels.join("."))
}

/// ASCII text with anything non-printable shown as `\xNN`.
pub fn printable(bytes: &[u8]) -> String {
    let mut out = String::new();
    for b in bytes {
        if b.is_ascii_graphic() || *b == b' ' {
            out.push(char::from(*b));
        } else {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_default_alphabet_with_padding_and_escape() {
        assert_eq!(gsm_unpacked(b"Open\x20ch\xFF\xFF"), "Open ch");
        assert_eq!(gsm_unpacked(&[0x00, 0x1B, 0x65, 0x11]), "@€_");
        assert_eq!(gsm_unpacked(&[0x41, 0x1B]), "A ");
    }

    #[test]
    fn decodes_the_three_ucs2_forms() {
        assert_eq!(alpha(&[0x80, 0x00, 0x48, 0x04, 0x10, 0xFF, 0xFF]), "HА");
        // 81: 2 characters, base 0x0410 >> 7 = 08 -> base 0x0400; 0x90 -> U+0410.
        assert_eq!(alpha(&[0x81, 0x02, 0x08, 0x90, 0x41]), "АA");
        assert_eq!(alpha(&[0x82, 0x02, 0x04, 0x00, 0x90, 0x41]), "АA");
        assert_eq!(alpha(&[0x81, 0x05]), "");
        assert_eq!(alpha(b"Hi"), "Hi");
    }

    #[test]
    fn bcd_stops_at_filler() {
        assert_eq!(bcd_digits(&[0x21, 0x43, 0xF5]), "12345");
        assert_eq!(bcd_digits(&[0xBA, 0x0C]), "*#p0");
    }

    #[test]
    fn network_access_name_joins_labels() {
        assert_eq!(
            network_access_name(b"\x08internet\x02op\x03com").as_deref(),
            Some("internet.op.com")
        );
        assert_eq!(network_access_name(b"\x09internet"), None);
        assert_eq!(network_access_name(b"").as_deref(), Some(""));
    }
}
