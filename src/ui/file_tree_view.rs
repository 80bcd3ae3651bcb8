//! The card's file tree: one row per file with its name, identifier, kind and size.
//! Files the selected step changed are marked (and the DFs holding them, faintly).
//!
//! Click (or Enter / space) shows a file; ← / → fold and unfold a DF, ↑ / ↓ move between
//! rows. Only the shown file's row is in the tab order (the MF's when none is shown).

use super::app::Dispatch;
use super::dom;
use super::model::{Action, CardView, Shared, StepChanges};
use crate::card::inspect::FileNode;
use std::collections::BTreeSet;
use std::rc::Rc;
use web_sys::Element;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FileTreeViewProps {
    /// The card at the cursor.
    pub view: Shared<CardView>,
    /// What the selected step changed.
    pub changes: Option<Shared<StepChanges>>,
    pub selected: Option<Vec<u16>>,
    pub folded: Rc<BTreeSet<Vec<u16>>>,
}

#[function_component(FileTreeView)]
pub fn file_tree_view(props: &FileTreeViewProps) -> Html {
    let dispatch =
        use_context::<Dispatch>().expect("FileTreeView needs the App's Dispatch context");
    let tree_ref = use_node_ref();
    // A file shown from elsewhere (the step's summary) is scrolled into view in the tree.
    {
        let tree_ref = tree_ref.clone();
        use_effect_with(props.selected.clone(), move |_| {
            let panel = tree_ref
                .cast::<Element>()
                .and_then(|tree| tree.parent_element());
            if let Some(panel) = panel {
                dom::reveal(&panel, ".file-row.selected", 0.0);
            }
        });
    }
    html! {
        <ul class="file-tree" role="tree" data-test="file-tree" aria-label="Files on the card"
            ref={tree_ref}>
            { render_node(&props.view.tree, props, &dispatch) }
        </ul>
    }
}

/// Size of a file as the row shows it: `10 B`, `5 × 3 B`, or for a DF its data below.
pub fn size_text(node: &FileNode) -> String {
    match node.records {
        Some((len, count)) => format!("{count} × {len} B"),
        None => format!("{} B", node.size),
    }
}

fn render_node(node: &FileNode, props: &FileTreeViewProps, dispatch: &Dispatch) -> Html {
    let path = node.path.clone();
    let has_children = !node.children.is_empty();
    let folded = has_children && props.folded.contains(&path);
    let selected = props.selected.as_ref() == Some(&path);
    let focusable = selected || (props.selected.is_none() && path.is_empty());
    let change = props.changes.as_ref().and_then(|c| c.file(&path));
    // The MF holds every file: marking it would say nothing.
    let holds_change = change.is_none()
        && node.kind.is_dedicated()
        && !path.is_empty()
        && props.changes.as_ref().is_some_and(|c| c.touches(&path));
    let path_text = node.path_text();
    let mut title = format!(
        "{} {} ({}), {}",
        node.name,
        path_text,
        node.kind.name(),
        size_text(node)
    );
    if let Some(sfi) = node.sfi {
        title.push_str(&format!(", SFI {sfi:02X}"));
    }
    if let (Some(change), Some(changes)) = (change, &props.changes) {
        title.push_str(&format!(
            "; {} byte(s) changed by step #{}",
            change.changed_offsets().len(),
            changes.cause
        ));
    }

    let onclick = {
        let dispatch = dispatch.clone();
        let path = path.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::SelectFile(path.clone())))
    };
    let toggle = {
        let dispatch = dispatch.clone();
        let path = path.clone();
        Callback::from(move |event: MouseEvent| {
            event.stop_propagation();
            dispatch.dispatch(Action::ToggleFolder(path.clone()))
        })
    };
    let onkeydown = {
        let dispatch = dispatch.clone();
        let path = path.clone();
        Callback::from(move |event: KeyboardEvent| {
            let handled = match event.key().as_str() {
                _ if dom::is_activation(&event) => {
                    dispatch.dispatch(Action::SelectFile(path.clone()));
                    true
                }
                "ArrowRight" | "ArrowLeft" => {
                    let want_open = event.key() == "ArrowRight";
                    if has_children && want_open == folded {
                        dispatch.dispatch(Action::ToggleFolder(path.clone()));
                    }
                    true
                }
                "ArrowDown" | "ArrowUp" => {
                    let delta = if event.key() == "ArrowDown" { 1 } else { -1 };
                    dom::focus_sibling(event.target(), ".file-tree", ".file-row", delta);
                    true
                }
                _ => false,
            };
            if handled {
                event.prevent_default();
            }
        })
    };

    html! {
        <li role="none" class="file-node" key={path_text.clone()}>
            <div
                class={classes!("file-row", selected.then_some("selected"),
                    change.is_some().then_some("changed"),
                    holds_change.then_some("holds-change"),
                    node.kind.is_dedicated().then_some("dedicated"))}
                role="treeitem" tabindex={if focusable { "0" } else { "-1" }}
                data-path={path_text.clone()}
                aria-level={(node.path.len() + 1).to_string()}
                aria-selected={selected.to_string()}
                aria-expanded={has_children.then(|| (!folded).to_string())}
                aria-label={title.clone()} {title} {onclick} {onkeydown}>
                if has_children {
                    <button type="button" class="toggle" tabindex="-1"
                        aria-label={format!("{} {}", if folded { "Unfold" } else { "Fold" }, node.name)}
                        onclick={toggle}>
                        { if folded { "▸" } else { "▾" } }
                    </button>
                } else {
                    <span class="toggle-spacer" aria-hidden="true"></span>
                }
                <span class="fname">{ node.name.clone() }</span>
                <span class="fid">{ format!("{:04X}", node.file_id) }</span>
                <span class="fkind">{ node.kind.name() }</span>
                <span class="fsize">{ size_text(node) }</span>
                <span class="fmark" aria-hidden="true">
                    { if change.is_some() { "●" } else { "" } }
                </span>
            </div>
            if has_children && !folded {
                <ul role="group">
                    { for node.children.iter().map(|child| render_node(child, props, dispatch)) }
                </ul>
            }
        </li>
    }
}
