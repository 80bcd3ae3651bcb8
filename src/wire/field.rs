//! The field model every decoder fills.
//!
//! Modelled on Wireshark's `field_info`: each decoded field carries a dotted `path`
//! (stable, machine-readable), a human `label`, the byte range it covers in the
//! message it was decoded from (`start`, `len`), its decoded `value` and a plain-words
//! `note` for a learner. Fields nest: a constructed TLV holds its elements, an APDU
//! holds its data field's decoding, and so on.
//!
//! Ranges are absolute offsets into the bytes the top-level decoder was given, so the
//! inspector can highlight a field's bytes and, the other way round, find the field
//! that covers a clicked byte ([`Field::deepest_at`]). Bytes that no leaf covers are
//! reported by [`Field::uncovered`], which makes decoder gaps visible.

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::ops::Range;

/// One decoded field and the fields it contains.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// Dotted path, e.g. `proactive.command_details.type`.
    pub path: String,
    /// Human label, e.g. `Type of command`.
    pub label: String,
    /// Offset of the first byte covered, from the start of the decoded message.
    pub start: usize,
    /// Number of bytes covered.
    pub len: usize,
    /// Decoded value in the standard's words, e.g. `40 OPEN CHANNEL`.
    pub value: String,
    /// Plain-words explanation for a learner; may be empty.
    pub note: String,
    /// Contained fields, in byte order.
    pub children: Vec<Field>,
}

impl Field {
    /// A field with a path, a label and a byte range; value and note empty.
    pub fn new(
        path: impl Into<String>,
        label: impl Into<String>,
        start: usize,
        len: usize,
    ) -> Self {
        Field {
            path: path.into(),
            label: label.into(),
            start,
            len,
            ..Field::default()
        }
    }

    /// Sets the decoded value.
    pub fn with_value(mut self, value: impl Into<String>) -> Self {
        self.value = value.into();
        self
    }

    /// Sets the plain-words note.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }

    /// Appends a ready-made child and returns `self` (builder style).
    pub fn with_child(mut self, child: Field) -> Self {
        self.children.push(child);
        self
    }

    /// Creates a child whose path is `self.path` + `.` + `key` and appends it; returns it
    /// for further filling.
    pub fn child(
        &mut self,
        key: &str,
        label: impl Into<String>,
        start: usize,
        len: usize,
    ) -> &mut Field {
        let path = self.child_path(key);
        self.children.push(Field::new(path, label, start, len));
        self.children.last_mut().expect("just pushed")
    }

    /// The path a child named `key` gets.
    pub fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{}", self.path, key)
        }
    }

    /// The byte range covered.
    pub fn range(&self) -> Range<usize> {
        self.start..self.start + self.len
    }

    /// Shifts this field and all its descendants by `offset` bytes (used when a payload
    /// decoded on its own is embedded in an enclosing message).
    pub fn shifted(mut self, offset: usize) -> Self {
        self.shift(offset);
        self
    }

    fn shift(&mut self, offset: usize) {
        self.start += offset;
        for child in &mut self.children {
            child.shift(offset);
        }
    }

    /// Prefixes this field's path and all descendants' paths with `prefix` + `.`.
    pub fn prefixed(mut self, prefix: &str) -> Self {
        self.prefix(prefix);
        self
    }

    fn prefix(&mut self, prefix: &str) {
        self.path = if self.path.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}.{}", self.path)
        };
        for child in &mut self.children {
            child.prefix(prefix);
        }
    }

    /// Depth-first search for the field with exactly this path.
    pub fn find(&self, path: &str) -> Option<&Field> {
        if self.path == path {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(path))
    }

    /// The innermost field whose range contains byte `offset`.
    pub fn deepest_at(&self, offset: usize) -> Option<&Field> {
        if !self.range().contains(&offset) {
            return None;
        }
        Some(
            self.children
                .iter()
                .find_map(|c| c.deepest_at(offset))
                .unwrap_or(self),
        )
    }

    /// Every field in depth-first order (this one first).
    pub fn walk(&self) -> Vec<&Field> {
        let mut out = vec![self];
        for child in &self.children {
            out.extend(child.walk());
        }
        out
    }

    /// Byte ranges in `0..total_len` that no leaf field covers: the decoder's gaps.
    pub fn uncovered(&self, total_len: usize) -> Vec<Range<usize>> {
        let mut covered = vec![false; total_len];
        for leaf in self.walk().into_iter().filter(|f| f.children.is_empty()) {
            for i in leaf.range() {
                if let Some(slot) = covered.get_mut(i) {
                    *slot = true;
                }
            }
        }
        let mut gaps = Vec::new();
        let mut i = 0;
        while i < total_len {
            if covered[i] {
                i += 1;
                continue;
            }
            let start = i;
            while i < total_len && !covered[i] {
                i += 1;
            }
            gaps.push(start..i);
        }
        gaps
    }

    /// The annotated text tree the command line prints: one line per field with its
    /// byte range, the bytes themselves (when given and short) and its value, then the
    /// note on the next line.
    pub fn render_tree(&self, bytes: Option<&[u8]>) -> String {
        let mut out = String::new();
        self.render_into(&mut out, bytes, "", "");
        out
    }

    fn render_into(&self, out: &mut String, bytes: Option<&[u8]>, first: &str, rest: &str) {
        let end = self.start + self.len;
        let _ = write!(out, "{first}{}", self.label);
        if !self.value.is_empty() {
            let _ = write!(out, ": {}", self.value);
        }
        let _ = write!(out, "  [{}..{}]", self.start, end);
        if let Some(slice) = bytes.and_then(|b| b.get(self.start..end)) {
            if !slice.is_empty() && slice.len() <= 16 && self.children.is_empty() {
                let _ = write!(out, " {}", crate::wire::hex::spaced(slice));
            }
        }
        out.push('\n');
        let child_indent = if self.children.is_empty() {
            "  "
        } else {
            "│ "
        };
        if !self.note.is_empty() {
            let _ = writeln!(out, "{rest}{child_indent}  ({})", self.note);
        }
        let count = self.children.len();
        for (i, child) in self.children.iter().enumerate() {
            let last = i + 1 == count;
            let (head, tail) = if last {
                ("└─ ", "   ")
            } else {
                ("├─ ", "│  ")
            };
            child.render_into(
                out,
                bytes,
                &format!("{rest}{head}"),
                &format!("{rest}{tail}"),
            );
        }
    }
}

/// The builder setters for the `&mut Field` that [`Field::child`] returns, so a child is
/// filled in place: `parent.child("type", "Type", 2, 1).with_value("40 OPEN CHANNEL")`.
/// Bring it into scope where children are filled: `use crate::wire::field::FieldFill;`.
pub trait FieldFill {
    /// Sets the decoded value.
    fn with_value(self, value: impl Into<String>) -> Self;
    /// Sets the plain-words note.
    fn with_note(self, note: impl Into<String>) -> Self;
}

impl FieldFill for &mut Field {
    fn with_value(self, value: impl Into<String>) -> Self {
        self.value = value.into();
        self
    }

    fn with_note(self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Field {
        let mut root = Field::new("t", "Template", 0, 6).with_value("D0");
        root.child("a", "First", 2, 2).with_value("01");
        root.child("b", "Second", 4, 1).with_value("02").note = "a note".into();
        root
    }

    #[test]
    fn child_paths_are_dotted() {
        let root = sample();
        assert_eq!(root.children[0].path, "t.a");
        assert_eq!(root.find("t.b").map(|f| f.label.as_str()), Some("Second"));
        assert!(root.find("t.c").is_none());
    }

    #[test]
    fn deepest_field_at_offset_is_the_innermost() {
        let root = sample();
        assert_eq!(root.deepest_at(3).map(|f| f.path.as_str()), Some("t.a"));
        assert_eq!(root.deepest_at(0).map(|f| f.path.as_str()), Some("t"));
        assert!(root.deepest_at(6).is_none());
    }

    #[test]
    fn uncovered_reports_bytes_no_leaf_covers() {
        let root = sample();
        assert_eq!(root.uncovered(7), vec![0..2, 5..7]);
    }

    #[test]
    fn shifted_and_prefixed_apply_to_descendants() {
        let root = sample().shifted(10).prefixed("apdu");
        assert_eq!(root.children[1].start, 14);
        assert_eq!(root.children[1].path, "apdu.t.b");
    }

    #[test]
    fn tree_shows_values_ranges_bytes_and_notes() {
        let text = sample().render_tree(Some(&[0xD0, 4, 0xAA, 0xBB, 0x02, 0]));
        assert!(text.starts_with("Template: D0  [0..6]\n"), "{text}");
        assert!(text.contains("├─ First: 01  [2..4] AA BB\n"), "{text}");
        assert!(text.contains("└─ Second: 02  [4..5] 02\n"), "{text}");
        assert!(text.contains("(a note)"), "{text}");
    }
}
