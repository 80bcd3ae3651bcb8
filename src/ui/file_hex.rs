//! A file's bytes in hex: 16 a row with their offset and ASCII, a record EF record by
//! record. Marked bytes (those a step changed) stand out. Read only: the bytes are the
//! card's, the field-linked [`super::hex_view::HexView`] is for messages.

use std::ops::Range;
use yew::prelude::*;

/// Bytes per row.
pub const PER_ROW: usize = 16;

/// One row: its label (an offset, or a record number) and the bytes it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub label: String,
    pub range: Range<usize>,
}

/// The rows of a file of `len` bytes: 16 bytes a row, labelled by offset; for a record EF
/// each record starts a row labelled `#n`, its further rows `+offset` within the record.
pub fn lines(len: usize, record_len: Option<usize>) -> Vec<Line> {
    match record_len.filter(|l| *l > 0) {
        None => (0..len)
            .step_by(PER_ROW)
            .map(|start| Line {
                label: format!("{start:04X}"),
                range: start..(start + PER_ROW).min(len),
            })
            .collect(),
        Some(record_len) => (0..len)
            .step_by(record_len)
            .enumerate()
            .flat_map(|(index, record)| {
                let end = (record + record_len).min(len);
                (record..end).step_by(PER_ROW).map(move |start| Line {
                    label: if start == record {
                        format!("#{}", index + 1)
                    } else {
                        format!("+{:02X}", start - record)
                    },
                    range: start..(start + PER_ROW).min(end),
                })
            })
            .collect(),
    }
}

/// One row of `bytes` (the whole file's), with the bytes at `marked` offsets marked.
/// `sign` starts the row (`−` / `+` in a diff).
pub fn hex_line(line: &Line, bytes: &[u8], marked: &[usize], sign: Option<&str>) -> Html {
    let cells = line.range.clone().map(|offset| {
        let byte = bytes.get(offset).copied();
        let diff = marked.contains(&offset);
        let text = byte.map_or_else(|| "  ".to_string(), |b| format!("{b:02X}"));
        html! { <span class={classes!("cell", diff.then_some("diff"))}>{ text }</span> }
    });
    let ascii = line.range.clone().map(|offset| {
        let diff = marked.contains(&offset);
        let c = bytes.get(offset).map_or(' ', |b| printable(*b));
        html! { <span class={classes!("char", diff.then_some("diff"))}>{ c }</span> }
    });
    html! {
        <div class={classes!("fhex-row", sign.map(|s| if s == "+" { "after" } else { "before" }))}
            role="row">
            if let Some(sign) = sign {
                <span class="sign" aria-label={if sign == "+" { "after" } else { "before" }}>
                    { sign.to_string() }
                </span>
            }
            <span class="offset" role="rowheader">{ line.label.clone() }</span>
            <span class="cells">{ for cells }</span>
            <span class="ascii" aria-hidden="true">{ for ascii }</span>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct FileHexProps {
    pub bytes: Vec<u8>,
    pub record_len: Option<usize>,
    /// Offsets to mark.
    pub marked: Vec<usize>,
    /// What the bytes are, for assistive technology.
    pub label: String,
}

#[function_component(FileHex)]
pub fn file_hex(props: &FileHexProps) -> Html {
    if props.bytes.is_empty() {
        return html! { <p class="muted">{ "The file holds no bytes." }</p> };
    }
    html! {
        <div class="file-hex" data-test="file-hex" role="table" tabindex="0"
            aria-label={props.label.clone()}>
            { for lines(props.bytes.len(), props.record_len).iter()
                .map(|line| hex_line(line, &props.bytes, &props.marked, None)) }
        </div>
    }
}

/// The byte as a printable ASCII character, or a middle dot.
fn printable(byte: u8) -> char {
    if byte.is_ascii_graphic() || byte == b' ' {
        byte as char
    } else {
        '·'
    }
}
