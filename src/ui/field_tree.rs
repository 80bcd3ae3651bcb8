//! The decoded field tree: one row per field, "label: value [start..end]" and its note.
//!
//! Hovering or focusing a row highlights its bytes in the hex view; clicking (or Enter)
//! pins it. ← / → fold and unfold, ↑ / ↓ move between rows.

use super::app::Dispatch;
use super::dom;
use super::model::{Action, FieldPos, Hover};
use crate::sim::Event;
use crate::wire::Field;
use std::collections::BTreeSet;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FieldTreeProps {
    pub event: Rc<Event>,
    /// The highlighted field (hovered, else selected).
    pub active: Option<FieldPos>,
    /// The selected (clicked) field.
    pub selected: Option<FieldPos>,
    pub collapsed: Rc<BTreeSet<FieldPos>>,
}

#[function_component(FieldTree)]
pub fn field_tree(props: &FieldTreeProps) -> Html {
    let dispatch = use_context::<Dispatch>().expect("FieldTree needs the App's Dispatch context");
    let onmouseleave = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::Hover(None)))
    };
    html! {
        <ul class="field-tree" role="tree" data-test="field-tree"
            aria-label="Decoded fields" {onmouseleave}>
            { render_field(&props.event.fields, FieldPos::root(), props, &dispatch) }
        </ul>
    }
}

fn render_field(field: &Field, pos: FieldPos, props: &FieldTreeProps, dispatch: &Dispatch) -> Html {
    let has_children = !field.children.is_empty();
    let collapsed = has_children && props.collapsed.contains(&pos);
    let is_active = props.active.as_ref() == Some(&pos);
    let is_selected = props.selected.as_ref() == Some(&pos);
    // A folded row stands in for a highlighted field hidden inside it.
    let holds_active =
        collapsed && !is_active && props.active.as_ref().is_some_and(|a| pos.contains(a));
    let range = format!("[{}..{}]", field.start, field.start + field.len);
    let level = pos.0.len() + 1;

    let onmouseover = {
        let dispatch = dispatch.clone();
        let pos = pos.clone();
        Callback::from(move |_: MouseEvent| {
            dispatch.dispatch(Action::Hover(Some(Hover::Field(pos.clone()))))
        })
    };
    let onfocus = {
        let dispatch = dispatch.clone();
        let pos = pos.clone();
        Callback::from(move |_: FocusEvent| {
            dispatch.dispatch(Action::Hover(Some(Hover::Field(pos.clone()))))
        })
    };
    let onblur = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: FocusEvent| dispatch.dispatch(Action::Hover(None)))
    };
    let onclick = {
        let dispatch = dispatch.clone();
        let pos = pos.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::SelectField(pos.clone())))
    };
    let toggle = {
        let dispatch = dispatch.clone();
        let pos = pos.clone();
        Callback::from(move |event: MouseEvent| {
            event.stop_propagation();
            dispatch.dispatch(Action::ToggleCollapsed(pos.clone()))
        })
    };
    let onkeydown = {
        let dispatch = dispatch.clone();
        let pos = pos.clone();
        Callback::from(move |event: KeyboardEvent| {
            let handled = match event.key().as_str() {
                _ if dom::is_activation(&event) => {
                    dispatch.dispatch(Action::SelectField(pos.clone()));
                    true
                }
                "ArrowRight" | "ArrowLeft" => {
                    let want_open = event.key() == "ArrowRight";
                    if has_children && want_open == collapsed {
                        dispatch.dispatch(Action::ToggleCollapsed(pos.clone()));
                    }
                    true
                }
                "ArrowDown" | "ArrowUp" => {
                    let delta = if event.key() == "ArrowDown" { 1 } else { -1 };
                    dom::focus_sibling_row(event.target(), delta);
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
        <li role="none" class="tree-node">
            <div
                class={classes!("tree-row", is_active.then_some("highlighted"),
                    is_selected.then_some("selected"), holds_active.then_some("holds-highlight"),
                    field.note.is_empty().then_some("no-note"))}
                role="treeitem" tabindex="0" data-path={field.path.clone()}
                data-pos={pos.to_string()}
                aria-level={level.to_string()}
                aria-selected={is_selected.to_string()}
                aria-expanded={has_children.then(|| (!collapsed).to_string())}
                title={(!field.note.is_empty()).then(|| field.note.clone())}
                {onmouseover} {onfocus} {onblur} {onclick} {onkeydown}>
                if has_children {
                    <button type="button" class="toggle" tabindex="-1"
                        aria-label={format!("{} {}", if collapsed { "Unfold" } else { "Fold" }, field.label)}
                        onclick={toggle}>
                        { if collapsed { "▸" } else { "▾" } }
                    </button>
                } else {
                    <span class="toggle-spacer" aria-hidden="true"></span>
                }
                <span class="text">
                    <span class="label">{ field.label.clone() }</span>
                    if !field.value.is_empty() {
                        <span class="sep">{ ": " }</span>
                        <span class="value">{ shorten(&field.value) }</span>
                    }
                    { " " }
                    <span class="range">{ range }</span>
                </span>
                if !field.note.is_empty() {
                    <span class="note">{ field.note.clone() }</span>
                }
            </div>
            if has_children && !collapsed {
                <ul role="group">
                    { for field.children.iter().enumerate().map(|(index, child)| {
                        render_field(child, pos.child(index), props, dispatch)
                    }) }
                </ul>
            }
        </li>
    }
}

/// Values longer than this many characters are cut in the row (the hex view has them all).
const VALUE_CHARS: usize = 72;

/// `value`, cut to [`VALUE_CHARS`] characters with an ellipsis.
fn shorten(value: &str) -> String {
    match value.char_indices().nth(VALUE_CHARS) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_string(),
    }
}
