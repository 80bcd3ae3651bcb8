//! The inspector: the selected event's title line, its field tree and its bytes.

use super::app::Dispatch;
use super::dom;
use super::field_tree::FieldTree;
use super::hex_view::HexView;
use super::model::{active_field, Action, FieldPos, Hover};
use crate::sim::Event;
use crate::wire::hex;
use std::collections::BTreeSet;
use std::rc::Rc;
use web_sys::Element;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    /// The selected event (`None` before the first step).
    pub event: Option<Rc<Event>>,
    /// Its index in the shown log.
    pub index: Option<usize>,
    /// Whether the user pinned an earlier event (the inspector does not follow the cursor).
    pub pinned: bool,
    pub selected_field: Option<FieldPos>,
    pub selected_byte: Option<usize>,
    pub hover: Option<Hover>,
    pub collapsed: Rc<BTreeSet<FieldPos>>,
    pub notice: Option<String>,
}

#[function_component(Inspector)]
pub fn inspector(props: &InspectorProps) -> Html {
    let dispatch = use_context::<Dispatch>().expect("Inspector needs the App's Dispatch context");
    let tree_ref = use_node_ref();
    let hex_ref = use_node_ref();
    let step = props.event.as_ref().map(|e| e.step);
    // A newly shown event starts at the top of both panels.
    {
        let (tree_ref, hex_ref) = (tree_ref.clone(), hex_ref.clone());
        use_effect_with(step, move |_| {
            for panel in [&tree_ref, &hex_ref] {
                if let Some(panel) = panel.cast::<Element>() {
                    panel.set_scroll_top(0);
                }
            }
        });
    }
    // A selection made on one side is scrolled into view on the other.
    {
        let (tree_ref, hex_ref) = (tree_ref.clone(), hex_ref.clone());
        let selection = (step, props.selected_field.clone(), props.selected_byte);
        use_effect_with(selection, move |_| {
            if let Some(panel) = tree_ref.cast::<Element>() {
                dom::reveal(&panel, ".tree-row.selected", 0.0);
            }
            if let Some(panel) = hex_ref.cast::<Element>() {
                dom::reveal(&panel, ".byte.highlighted", 0.0);
            }
        });
    }
    let Some(event) = props.event.clone() else {
        return html! {
            <aside class="inspector" data-test="inspector" aria-label="Inspector">
                <div class="placeholder">
                    <h2>{ "Inspector" }</h2>
                    <p>
                        { "Press Step (→) to deliver the first message. Its decoded fields and \
                           its bytes appear here; click an arrow to inspect an earlier one." }
                    </p>
                </div>
            </aside>
        };
    };

    let active = active_field(
        Some(&event.fields),
        props.hover.as_ref(),
        props.selected_field.as_ref(),
    );
    let highlight = active
        .as_ref()
        .and_then(|pos| pos.resolve(&event.fields))
        .map(|field| field.range());
    let hovered_byte = match props.hover {
        Some(Hover::Byte(offset)) => Some(offset),
        _ => None,
    };

    let select = |action: Action| {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(action.clone()))
    };
    let copy = {
        let dispatch = dispatch.clone();
        let text = hex::spaced(&event.bytes);
        let count = event.bytes.len();
        Callback::from(move |_: MouseEvent| {
            let dispatch = dispatch.clone();
            dom::copy_text(
                &text,
                Callback::from(move |outcome: Result<(), String>| {
                    let notice = match outcome {
                        Ok(()) => format!("Copied {count} bytes as hex."),
                        Err(reason) => format!("Could not copy: {reason}"),
                    };
                    dispatch.dispatch(Action::Notice(Some(notice)));
                }),
            );
        })
    };

    html! {
        <aside class="inspector" data-test="inspector" aria-label="Inspector">
            <header class="event-head">
                <h2 data-test="event-title">
                    <span class="step">{ format!("#{}", event.step) }</span>
                    { " " }
                    <span class="title">{ event.title.clone() }</span>
                </h2>
                <p class="meta">
                    <span class={classes!("badge", format!("layer-{}", event.layer.name()))}>
                        { event.layer.name() }
                    </span>
                    <span class="time">{ event.time.to_string() }</span>
                    <span class="route">
                        { format!("{} → {}", event.from.name(), event.to.name()) }
                    </span>
                    <span class="size">{ byte_count(event.bytes.len()) }</span>
                    if let Some(cause) = event.caused_by {
                        <button type="button" class="link" data-test="caused-by"
                            title={format!("Inspect step #{cause}, whose delivery sent this message")}
                            onclick={select(Action::SelectEvent(cause.saturating_sub(1) as usize))}>
                            { format!("caused by #{cause}") }
                        </button>
                    }
                    if props.pinned {
                        <button type="button" class="link" data-test="follow"
                            title="Show the current step again and follow the cursor"
                            onclick={select(Action::FollowCursor)}>
                            { "follow current step" }
                        </button>
                    }
                </p>
            </header>
            <section class="tree-panel" aria-label="Decoded fields" ref={tree_ref}>
                <h3>{ "Fields" }</h3>
                <FieldTree
                    event={Rc::clone(&event)}
                    active={active.clone()}
                    selected={props.selected_field.clone()}
                    collapsed={Rc::clone(&props.collapsed)}
                />
            </section>
            <section class="hex-panel" aria-label="Bytes" ref={hex_ref}>
                <div class="hex-head">
                    <h3>{ "Bytes" }</h3>
                    <button type="button" data-test="copy-hex" aria-label="Copy the bytes as hex"
                        title="Copy the bytes as hex" disabled={event.bytes.is_empty()}
                        onclick={copy}>
                        { "Copy hex" }
                    </button>
                </div>
                <HexView
                    event={Rc::clone(&event)}
                    {highlight}
                    selected_byte={props.selected_byte}
                    {hovered_byte}
                />
                if let Some(notice) = &props.notice {
                    <p class="notice" role="status" data-test="notice">{ notice.clone() }</p>
                }
                <p class="hex-legend">
                    <span class="byte sample highlighted">{ "A4" }</span>{ " highlighted field · " }
                    <span class="byte sample uncovered">{ "00" }</span>
                    { " not covered by any decoded field" }
                </p>
            </section>
        </aside>
    }
}

fn byte_count(n: usize) -> String {
    match n {
        0 => "no bytes".to_string(),
        1 => "1 byte".to_string(),
        n => format!("{n} bytes"),
    }
}
