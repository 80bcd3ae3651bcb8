//! Small DOM helpers: keyboard shortcuts, focus moves, the clipboard. Nothing here panics
//! on a missing element or a refused permission.

use super::model::Action;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, Event, HtmlElement, KeyboardEvent};
use yew::Callback;

/// Areas that use the arrow keys themselves (moving between bytes, tree rows or tabs).
const OWN_ARROW_KEYS: &str = ".hex-view, .field-tree, .file-tree, [role=tablist]";

/// Elements that act on space themselves (a button press, selecting a row or a byte).
const OWN_SPACE_KEY: &str = "button, a[href], summary, [role=button], [role=treeitem], .byte";

/// Where typing happens: no shortcut applies.
const TEXT_ENTRY: &str = "input, textarea, select, [contenteditable]";

/// The page-wide shortcut for a keydown, if any: → Step, ← Back, space Play/Pause.
/// Ignored with a modifier, while typing, and where the focused element uses the key.
pub fn shortcut(event: &Event) -> Option<Action> {
    let key = event.dyn_ref::<KeyboardEvent>()?;
    if key.ctrl_key() || key.meta_key() || key.alt_key() {
        return None;
    }
    let target = event.target().and_then(|t| t.dyn_into::<Element>().ok());
    let inside = |selector: &str| {
        target
            .as_ref()
            .and_then(|t| t.closest(selector).ok().flatten())
            .is_some()
    };
    if inside(TEXT_ENTRY) {
        return None;
    }
    match key.key().as_str() {
        "ArrowRight" if !inside(OWN_ARROW_KEYS) => Some(Action::Step),
        "ArrowLeft" if !inside(OWN_ARROW_KEYS) => Some(Action::Back),
        " " | "Spacebar" if !inside(OWN_SPACE_KEY) => Some(Action::TogglePlay),
        _ => None,
    }
}

/// Whether a keydown is an activation (Enter or space).
pub fn is_activation(event: &KeyboardEvent) -> bool {
    matches!(event.key().as_str(), "Enter" | " " | "Spacebar")
}

/// Focuses the element matching `selector` inside the closest `container` ancestor of
/// `from`. Returns whether something was focused.
pub fn focus_in(from: Option<web_sys::EventTarget>, container: &str, selector: &str) -> bool {
    let found = from
        .and_then(|t| t.dyn_into::<Element>().ok())
        .and_then(|e| e.closest(container).ok().flatten())
        .and_then(|c| c.query_selector(selector).ok().flatten())
        .and_then(|e| e.dyn_into::<HtmlElement>().ok());
    match found {
        Some(element) => element.focus().is_ok(),
        None => false,
    }
}

/// Focuses the `.tree-row` `delta` rows after (or before) the event's target row.
pub fn focus_sibling_row(from: Option<web_sys::EventTarget>, delta: isize) -> bool {
    focus_sibling(from, ".field-tree", ".tree-row", delta)
}

/// Focuses the element matching `rows` that is `delta` places after (or before) the
/// event's target among those inside its closest `container` ancestor.
pub fn focus_sibling(
    from: Option<web_sys::EventTarget>,
    container: &str,
    rows: &str,
    delta: isize,
) -> bool {
    let Some(row) = from.and_then(|t| t.dyn_into::<Element>().ok()) else {
        return false;
    };
    let Some(tree) = row.closest(container).ok().flatten() else {
        return false;
    };
    let Ok(rows) = tree.query_selector_all(rows) else {
        return false;
    };
    let elements: Vec<Element> = (0..rows.length())
        .filter_map(|i| rows.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect();
    let Some(here) = elements.iter().position(|e| e == &row) else {
        return false;
    };
    let Some(next) = here
        .checked_add_signed(delta)
        .and_then(|i| elements.get(i))
        .and_then(|e| e.dyn_ref::<HtmlElement>())
    else {
        return false;
    };
    next.focus().is_ok()
}

/// Scrolls `container` (vertically) just enough to show the first element matching
/// `selector` inside it; `margin` pixels are kept free at the top (for sticky headers).
pub fn reveal(container: &Element, selector: &str, margin: f64) {
    let Ok(Some(target)) = container.query_selector(selector) else {
        return;
    };
    let view = container.get_bounding_client_rect();
    let rect = target.get_bounding_client_rect();
    let below = rect.bottom() - view.bottom();
    let above = view.top() + margin - rect.top();
    if below > 0.0 {
        container.set_scroll_top(container.scroll_top() + below.ceil() as i32);
    } else if above > 0.0 {
        container.set_scroll_top(container.scroll_top() - above.ceil() as i32);
    }
}

/// Writes `text` to the clipboard (the asynchronous Clipboard API) and reports the outcome
/// to `done`: `Err` with a reason when the API is missing, refused or fails. If the browser
/// never settles the promise, `done` is never called.
pub fn copy_text(text: &str, done: Callback<Result<(), String>>) {
    let promise = match write_text(text) {
        Ok(promise) => promise,
        Err(reason) => {
            done.emit(Err(reason));
            return;
        }
    };
    let on_ok = {
        let done = done.clone();
        Closure::<dyn FnMut(JsValue)>::once_into_js(move |_: JsValue| done.emit(Ok(())))
    };
    let on_err = {
        let done = done.clone();
        Closure::<dyn FnMut(JsValue)>::once_into_js(move |error: JsValue| {
            done.emit(Err(describe(&error)))
        })
    };
    let then = Reflect::get(&promise, &JsValue::from_str("then"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok());
    match then {
        Some(then) => {
            if let Err(error) = then.call2(&promise, &on_ok, &on_err) {
                done.emit(Err(describe(&error)));
            }
        }
        None => done.emit(Err("the clipboard did not answer".to_string())),
    }
}

/// Calls `navigator.clipboard.writeText(text)`, checking each step.
fn write_text(text: &str) -> Result<Promise, String> {
    let window = web_sys::window().ok_or("no window")?;
    let navigator =
        Reflect::get(&window, &JsValue::from_str("navigator")).map_err(|e| describe(&e))?;
    let clipboard =
        Reflect::get(&navigator, &JsValue::from_str("clipboard")).map_err(|e| describe(&e))?;
    if clipboard.is_undefined() || clipboard.is_null() {
        return Err("this page has no clipboard access (it needs https or localhost)".to_string());
    }
    let write = Reflect::get(&clipboard, &JsValue::from_str("writeText"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or("the clipboard cannot write text")?;
    write
        .call1(&clipboard, &JsValue::from_str(text))
        .map_err(|e| describe(&e))?
        .dyn_into::<Promise>()
        .map_err(|_| "the clipboard did not answer".to_string())
}

/// A JavaScript error in words.
fn describe(error: &JsValue) -> String {
    if let Some(error) = error.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    error
        .as_string()
        .unwrap_or_else(|| "unknown error".to_string())
}

/// The `value` of the element an event is aimed at (a `<select>`, an `<input>`), read
/// through JS so no web-sys feature is needed for each element type; empty if none.
pub fn target_value(event: &Event) -> String {
    event
        .target()
        .and_then(|t| Reflect::get(&t, &JsValue::from_str("value")).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}
