//! The phone's browser inside the phone frame: an address bar (`http://127.0.0.1:3516`
//! and an editable path; Enter or Go fetches it at the cursor), a status line, and the
//! page the card served, as it stands at the cursor's step, in a sandboxed `<iframe>`
//! (`sandbox=""`: no scripts, no same-origin, no forms, no pop-ups). Linked style
//! sheets and images are not fetched: the page shows unstyled. Links are not followed:
//! a `<base href="http://127.0.0.1:3516/" target="_blank">` put after the doctype makes
//! them name the card's addresses and open a new window, which the sandbox forbids, so
//! the frame never loads anything but what the card served.

use super::app::Dispatch;
use super::checked_input::CheckedInput;
use super::model::{check_browser_path, Action, PhoneView, Shared};
use crate::phone::browser::{Response, VisitState, SCWS_HOST};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct BrowserViewProps {
    pub view: Shared<PhoneView>,
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// What the frame puts before an HTML page's content (after its doctype).
const LINK_BASE: &str = "<base href=\"http://127.0.0.1:3516/\" target=\"_blank\">";

/// An HTML page with [`LINK_BASE`] after its doctype (or first, without one).
fn with_link_base(page: &str) -> String {
    let doctype = page
        .get(..9)
        .is_some_and(|start| start.eq_ignore_ascii_case("<!doctype"));
    let at = if doctype {
        page.find('>').map_or(0, |end| end + 1)
    } else {
        0
    };
    format!("{}{LINK_BASE}{}", &page[..at], &page[at..])
}

/// The document the frame shows for `response`: an HTML body as the card served it
/// (with [`LINK_BASE`]), plain text in `<pre>`, anything else described in words.
fn document(response: &Response) -> String {
    let media = response
        .content_type
        .as_deref()
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&response.body);
    match media.as_str() {
        "text/html" | "application/xhtml+xml" => with_link_base(&text),
        m if m.starts_with("text/") || m.is_empty() => {
            format!(
                "<pre style=\"white-space:pre-wrap\">{}</pre>",
                escape(&text)
            )
        }
        other => format!(
            "<p>{} byte(s) of {}: the browser does not show this kind of content.</p>",
            response.body.len(),
            escape(other)
        ),
    }
}

/// The status line: `200 OK · text/html · 281 bytes`.
fn status_text(response: &Response) -> String {
    let mut parts = vec![response.status_line()];
    if let Some(kind) = &response.content_type {
        parts.push(kind.clone());
    }
    parts.push(format!("{} bytes", response.body.len()));
    parts.join(" · ")
}

#[function_component(BrowserView)]
pub fn browser_view(props: &BrowserViewProps) -> Html {
    let dispatch = use_context::<Dispatch>().expect("BrowserView needs the App's Dispatch context");
    let view = &props.view;
    let check = check_browser_path(&view.browser_path);
    let go = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::Browse))
    };
    let hint = format!("http://{SCWS_HOST} + this path; Enter or Go");
    let address = CheckedInput {
        id: "browser-path".to_string(),
        class: classes!("ota-field", "browser-path"),
        label: "Address",
        hint: &hint,
        value: &view.browser_path,
        error: check.as_ref().err().map(String::as_str),
        numeric: false,
    }
    .render(
        &dispatch,
        "ota-message",
        Action::EditBrowserPath,
        Action::Browse,
    );
    let page = match &view.page {
        None => html! {
            <p class="muted browser-empty" data-test="browser-empty">
                { "No page yet: start the card's web server (scenario scws-start), then Go." }
            </p>
        },
        Some(visit) => {
            let (status, body) = match &visit.state {
                VisitState::Loading => (
                    "loading… the card answers over BIP".to_string(),
                    html! { <p class="muted browser-loading">{ "⟳ Loading" }</p> },
                ),
                VisitState::Failed(reason) => (
                    "no page".to_string(),
                    html! {
                        <p class="browser-error" data-test="browser-error" role="alert">
                            { format!("Cannot open {}: {reason}.", visit.url()) }
                        </p>
                    },
                ),
                VisitState::Loaded(response) => (
                    status_text(response),
                    html! {
                        <iframe class="browser-frame" data-test="browser-frame" sandbox=""
                            title={format!("{} as the card served it", visit.url())}
                            srcdoc={document(response)} />
                    },
                ),
            };
            html! {
                <>
                    <div class="browser-status" data-test="browser-status" role="status">
                        <span class="browser-url">{ visit.url() }</span>
                        <span>{ status }</span>
                    </div>
                    { body }
                </>
            }
        }
    };
    html! {
        <section class="browser" data-test="browser" aria-label="The phone's browser">
            <form class="browser-bar" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                { address }
                <button type="button" class="primary" data-test="browser-go"
                    disabled={check.is_err()}
                    title="Fetch this page from the card at the cursor (the run branches there)"
                    onclick={go}>
                    { "Go" }
                </button>
            </form>
            { page }
            if view.visits > 1 {
                <p class="muted browser-visits">{ format!("{} visits so far", view.visits) }</p>
            }
        </section>
    }
}
