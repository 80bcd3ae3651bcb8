//! The hex view: 16 bytes a row with offsets and an ASCII column. Each byte is focusable;
//! hovering or focusing one highlights the deepest field covering it, clicking (or Enter)
//! pins that field. Arrow keys move between bytes. Bytes no leaf field covers are marked.

use super::app::Dispatch;
use super::dom;
use super::model::{Action, Hover};
use crate::sim::Event;
use std::ops::Range;
use std::rc::Rc;
use yew::prelude::*;

/// Bytes per row.
pub const PER_ROW: usize = 16;

#[derive(Properties, PartialEq)]
pub struct HexViewProps {
    pub event: Rc<Event>,
    /// Bytes of the highlighted field.
    pub highlight: Option<Range<usize>>,
    pub selected_byte: Option<usize>,
    pub hovered_byte: Option<usize>,
}

#[function_component(HexView)]
pub fn hex_view(props: &HexViewProps) -> Html {
    let dispatch = use_context::<Dispatch>().expect("HexView needs the App's Dispatch context");
    let bytes = &props.event.bytes;
    if bytes.is_empty() {
        return html! {
            <div class="hex-view empty" data-test="hex-view">
                <p>{ "No bytes on the wire: this step is a signal or a user action, described by its field above." }</p>
            </div>
        };
    }

    let mut uncovered = vec![false; bytes.len()];
    for gap in props.event.fields.uncovered(bytes.len()) {
        for flag in &mut uncovered[gap] {
            *flag = true;
        }
    }
    let highlight = props.highlight.clone().unwrap_or(0..0);

    let onmouseleave = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::Hover(None)))
    };
    let byte_classes = |offset: usize| {
        classes!(
            highlight.contains(&offset).then_some("highlighted"),
            uncovered[offset].then_some("uncovered"),
            (props.selected_byte == Some(offset)).then_some("selected"),
            (props.hovered_byte == Some(offset)).then_some("hovered"),
        )
    };

    let rows = bytes.chunks(PER_ROW).enumerate().map(|(row, chunk)| {
        let base = row * PER_ROW;
        html! {
            <div class="hex-row" key={base} role="row">
                <span class="offset" role="rowheader">{ format!("{base:04X}") }</span>
                <span class="hex-bytes">
                    { for chunk.iter().enumerate().map(|(i, byte)| {
                        let offset = base + i;
                        render_byte(offset, *byte, &props.event, byte_classes(offset), &dispatch)
                    }) }
                </span>
                <span class="ascii" aria-hidden="true">
                    { for chunk.iter().enumerate().map(|(i, byte)| html! {
                        <span class={classes!("char", byte_classes(base + i))}>
                            { printable(*byte) }
                        </span>
                    }) }
                </span>
            </div>
        }
    });

    html! {
        <div class="hex-view" data-test="hex-view" role="grid" aria-label="Bytes in hex"
            {onmouseleave}>
            { for rows }
        </div>
    }
}

fn render_byte(
    offset: usize,
    byte: u8,
    event: &Event,
    class: Classes,
    dispatch: &Dispatch,
) -> Html {
    let field = event.fields.deepest_at(offset);
    let described = match field {
        Some(field) => format!(
            "offset {offset} (0x{offset:02X}): {byte:02X} — {}",
            field.label
        ),
        None => format!("offset {offset} (0x{offset:02X}): {byte:02X} — no decoded field"),
    };
    let hover = {
        let dispatch = dispatch.clone();
        move || dispatch.dispatch(Action::Hover(Some(Hover::Byte(offset))))
    };
    let onmouseover = {
        let hover = hover.clone();
        Callback::from(move |_: MouseEvent| hover())
    };
    let onfocus = Callback::from(move |_: FocusEvent| hover());
    let onblur = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: FocusEvent| dispatch.dispatch(Action::Hover(None)))
    };
    let onclick = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::SelectByte(offset)))
    };
    let len = event.bytes.len();
    let onkeydown = {
        let dispatch = dispatch.clone();
        Callback::from(move |event: KeyboardEvent| {
            let target = match event.key().as_str() {
                _ if dom::is_activation(&event) => {
                    event.prevent_default();
                    dispatch.dispatch(Action::SelectByte(offset));
                    return;
                }
                "ArrowRight" => offset.checked_add(1),
                "ArrowLeft" => offset.checked_sub(1),
                "ArrowDown" => offset.checked_add(PER_ROW),
                "ArrowUp" => offset.checked_sub(PER_ROW),
                "Home" => Some(0),
                "End" => Some(len - 1),
                _ => return,
            };
            event.prevent_default();
            if let Some(next) = target.filter(|n| *n < len) {
                dom::focus_in(
                    event.target(),
                    ".hex-view",
                    &format!(".byte[data-offset=\"{next}\"]"),
                );
            }
        })
    };
    html! {
        <span class={classes!("byte", class)} role="gridcell" tabindex="0"
            data-offset={offset.to_string()} aria-label={described.clone()} title={described}
            {onmouseover} {onfocus} {onblur} {onclick} {onkeydown}>
            { format!("{byte:02X}") }
        </span>
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
