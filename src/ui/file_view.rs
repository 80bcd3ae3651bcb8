//! The file shown in the card panel: what it is, what its bytes mean (EF.DIR, EF.ICCID,
//! EF.IMSI, EF.AD, SCWS resources, …), its bytes, and if the selected step changed it,
//! the bytes before and after with the differing ones marked.

use super::file_hex::{hex_line, lines, FileHex};
use super::file_tree_view::size_text;
use super::model::{CardView, Shared, StepChanges};
use crate::card::inspect::{self, Decoded, FileChange, FileContents, FileNode};
use crate::wire::fcp::aid_note;
use crate::wire::hex;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FileViewProps {
    /// The card at the cursor.
    pub view: Shared<CardView>,
    /// The file to show (path below the MF).
    pub path: Option<Vec<u16>>,
    /// What the selected step changed.
    pub changes: Option<Shared<StepChanges>>,
}

#[function_component(FileView)]
pub fn file_view(props: &FileViewProps) -> Html {
    let Some(node) = props.path.as_ref().and_then(|p| props.view.tree.find(p)) else {
        return html! {
            <div class="file-view empty" data-test="file-view">
                <p class="muted">
                    { "Select a file in the tree to see its bytes and what they mean. \
                       Files the selected step changed are marked ●." }
                </p>
            </div>
        };
    };
    let mut meta = vec![node.kind.name().to_string(), size_text(node)];
    if node.records.is_some() {
        meta.push(format!("{} bytes", node.size));
    }
    if let Some(sfi) = node.sfi {
        meta.push(format!("SFI {sfi:02X}"));
    }
    let body = if node.kind.is_dedicated() {
        dedicated(node)
    } else {
        match props.view.card.file_contents(&node.path) {
            Some(contents) => {
                let change = props.changes.as_ref().and_then(|c| {
                    c.file(&node.path)
                        .map(|change| (change, c.cause, c.cause_title.as_str()))
                });
                elementary(&contents, change)
            }
            None => html! { <p class="muted">{ "No data stored for this file." }</p> },
        }
    };
    html! {
        <div class="file-view" data-test="file-view">
            <h3 class="file-title" data-test="file-title">
                { node.name.clone() }
                <span class="path">{ node.path_text() }</span>
            </h3>
            <p class="file-meta">{ meta.join(" · ") }</p>
            { body }
        </div>
    }
}

/// A DF: its name (AID) and what it holds.
fn dedicated(node: &FileNode) -> Html {
    html! {
        <dl class="decoded">
            if let Some(aid) = &node.aid {
                <dt>{ "DF name (AID)" }</dt>
                <dd><code>{ hex::compact(aid) }</code>{ format!(" — {}", aid_note(aid)) }</dd>
            }
            <dt>{ "holds" }</dt>
            <dd>{ format!("{} files, {} bytes of data", node.children.len(), node.size) }</dd>
        </dl>
    }
}

/// An EF: the diff of the selected step, the decoded values, the bytes.
fn elementary(contents: &FileContents, change: Option<(&FileChange, u64, &str)>) -> Html {
    let decoded = inspect::decode(contents);
    let before = change.and_then(|(c, _, _)| inspect::decode(&c.before));
    let marked = change
        .map(|(c, _, _)| c.changed_offsets())
        .unwrap_or_default();
    html! {
        <>
            if let Some((change, cause, title)) = change {
                { diff(change, cause, title) }
            }
            if let Some(decoded) = &decoded {
                { decoded_view(decoded, before.as_ref()) }
            }
            <h4>{ "Bytes" }</h4>
            <FileHex bytes={contents.bytes.clone()} record_len={contents.record_len}
                marked={marked} label={format!("Bytes of {}", contents.name)} />
        </>
    }
}

/// The decoded values; those that differ from `before` show their old value.
fn decoded_view(decoded: &Decoded, before: Option<&Decoded>) -> Html {
    let items = decoded.items.iter().map(|item| {
        let was = before
            .and_then(|b| b.value(&item.label))
            .filter(|old| *old != item.value);
        html! {
            <>
                <dt>{ item.label.clone() }</dt>
                <dd class={classes!(was.is_some().then_some("changed"))}>
                    { item.value.clone() }
                    if let Some(was) = was {
                        <span class="was">{ format!(" (was {was})") }</span>
                    }
                </dd>
            </>
        }
    });
    html! {
        <section class="decoded-panel" aria-label="Decoded">
            <h4>{ "Decoded" }<span class="spec">{ decoded.spec }</span></h4>
            <dl class="decoded" data-test="decoded">{ for items }</dl>
            if let Some(text) = &decoded.text {
                <pre class="file-text" data-test="file-text" tabindex="0"
                    aria-label="Content as text">{ text.clone() }</pre>
            }
        </section>
    }
}

/// The rows of the file the step changed, before (−) and after (+).
fn diff(change: &FileChange, cause: u64, title: &str) -> Html {
    let offsets = change.changed_offsets();
    let len = change.before.bytes.len().max(change.after.bytes.len());
    let rows = lines(len, change.after.record_len)
        .into_iter()
        .filter(|line| offsets.iter().any(|o| line.range.contains(o)))
        .map(|line| {
            html! {
                <>
                    { hex_line(&line, &change.before.bytes, &offsets, Some("−")) }
                    { hex_line(&line, &change.after.bytes, &offsets, Some("+")) }
                </>
            }
        });
    let count = match offsets.len() {
        1 => "1 byte".to_string(),
        n => format!("{n} bytes"),
    };
    html! {
        <section class="file-diff" data-test="file-diff" aria-label="Changed by the selected step">
            <h4>{ format!("Changed by step #{cause} ({title}): {count}") }</h4>
            <div class="file-hex" role="table" aria-label="Before and after">{ for rows }</div>
        </section>
    }
}
