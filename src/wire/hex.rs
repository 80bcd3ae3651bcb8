//! Hex text in and out, as engineers paste and read it.

/// Parses hex text; spaces, tabs, newlines and `:` separators are ignored, case does not
/// matter. An empty string is an error (there is nothing to decode).
pub fn parse(text: &str) -> Result<Vec<u8>, HexError> {
    let digits: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    if digits.is_empty() {
        return Err(HexError::Empty);
    }
    if let Some(bad) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(HexError::NotHex(bad));
    }
    if digits.len() % 2 != 0 {
        return Err(HexError::OddLength(digits.len()));
    }
    hex::decode(&digits).map_err(|_| HexError::NotHex('?'))
}

/// Upper-case hex with no separators: `D009810301`.
pub fn compact(bytes: &[u8]) -> String {
    hex::encode_upper(bytes)
}

/// Upper-case hex with one space between bytes: `D0 09 81 03`.
pub fn spaced(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{b:02X}"));
    }
    out
}

/// Why hex text could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HexError {
    Empty,
    NotHex(char),
    OddLength(usize),
}

impl std::fmt::Display for HexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HexError::Empty => write!(f, "no hex digits given"),
            HexError::NotHex(c) => write!(f, "'{c}' is not a hex digit"),
            HexError::OddLength(n) => {
                write!(f, "odd number of hex digits ({n}): bytes need two each")
            }
        }
    }
}

impl std::error::Error for HexError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_separators_and_any_case() {
        assert_eq!(parse("d0 09:81\n0a").unwrap(), vec![0xD0, 0x09, 0x81, 0x0A]);
    }

    #[test]
    fn rejects_empty_odd_and_non_hex() {
        assert_eq!(parse("  "), Err(HexError::Empty));
        assert_eq!(parse("abc"), Err(HexError::OddLength(3)));
        assert_eq!(parse("zz"), Err(HexError::NotHex('z')));
    }

    #[test]
    fn prints_compact_and_spaced() {
        assert_eq!(compact(&[0xD0, 0x09]), "D009");
        assert_eq!(spaced(&[0xD0, 0x09]), "D0 09");
        assert_eq!(spaced(&[]), "");
    }
}
