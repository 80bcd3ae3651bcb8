//! The "Connect to the card" form: server identity, port, secure (TLS), the HTTP path,
//! each checked as typed ([`check_connect`]); Connect has the server open a TCP session
//! to the card at the cursor (patent steps S400–S500) and send `GET <path>`.

use super::app::Dispatch;
use super::checked_input::CheckedInput;
use super::connect::{check_connect, ConnectField, ConnectForm};
use super::dom;
use super::model::{Action, ServerView, Shared};
use crate::card::scws_admin::SECURE_PORT;
use crate::net::ip::{PHONE_ADDRESS_POOL, SERVER_ADDRESSES};
use std::net::Ipv4Addr;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ConnectFormViewProps {
    pub form: ConnectForm,
    /// The server at the cursor: the phone's address, the ports the card listens on.
    pub view: Shared<ServerView>,
    /// Recorded steps after the cursor, which connecting replaces.
    pub steps_after_cursor: usize,
}

/// A text field of the form: label, input, inline error (or hint).
fn text_field(
    dispatch: &Dispatch,
    field: ConnectField,
    label: &str,
    hint: &str,
    value: &str,
    error: Option<&str>,
) -> Html {
    let name = match field {
        ConnectField::Server => "server",
        ConnectField::Port => "port",
        ConnectField::Path => "path",
    };
    CheckedInput {
        id: format!("connect-{name}"),
        class: classes!("ota-field", format!("connect-{name}")),
        label,
        hint,
        value,
        error,
        numeric: field == ConnectField::Port,
    }
    .render(
        dispatch,
        "ota-message",
        move |value| Action::EditConnect(field, value),
        Action::Connect,
    )
}

#[function_component(ConnectFormView)]
pub fn connect_form_view(props: &ConnectFormViewProps) -> Html {
    let dispatch =
        use_context::<Dispatch>().expect("ConnectFormView needs the App's Dispatch context");
    let form = &props.form;
    let check = check_connect(form);
    let on_server = {
        let dispatch = dispatch.clone();
        Callback::from(move |event: Event| {
            dispatch.dispatch(Action::EditConnect(
                ConnectField::Server,
                dom::target_value(&event),
            ));
        })
    };
    let on_secure = {
        let dispatch = dispatch.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            dispatch.dispatch(Action::SetSecure(input.checked()));
        })
    };
    let onclick = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::Connect))
    };
    let ports: Vec<String> = props.view.listening.iter().map(u16::to_string).collect();
    let port_hint = if ports.is_empty() {
        "Nothing listens yet: start the SCWS first (scenario scws-start).".to_string()
    } else if props.view.forwarded {
        format!("The phone forwards {} to the card (USB).", ports.join(", "))
    } else {
        format!("The card listens on {}.", ports.join(", "))
    };
    let host = Ipv4Addr::from(props.view.phone_address.unwrap_or(PHONE_ADDRESS_POOL));
    let connect_title = if check.target.is_some() {
        let mut title = "Have the server connect to the card and send this request".to_string();
        if props.steps_after_cursor > 0 {
            title.push_str(&format!(
                " (replaces the {} recorded step(s) after the cursor)",
                props.steps_after_cursor
            ));
        }
        title
    } else {
        "Correct the fields marked in red first".to_string()
    };
    html! {
        <form class="connect-form" data-test="connect-form" aria-label="Connect to the card"
            onsubmit={Callback::from(|event: SubmitEvent| event.prevent_default())}>
            <div class="connect-row">
                <div class="ota-field">
                    <label for="connect-server">{ "Server identity" }</label>
                    <select id="connect-server" data-test="connect-server" onchange={on_server}>
                        { for SERVER_ADDRESSES.iter().map(|(name, address)| html! {
                            <option value={name.to_string()} selected={*name == form.server}>
                                { format!("{name} ({})", Ipv4Addr::from(*address)) }
                            </option>
                        }) }
                    </select>
                    if let Some(error) = check.error(ConnectField::Server) {
                        <p class="ota-message error" data-test="connect-server-message">{ error.to_string() }</p>
                    }
                </div>
                { text_field(&dispatch, ConnectField::Port, "Port", &port_hint, &form.port,
                    check.error(ConnectField::Port)) }
            </div>
            <div class="connect-secure">
                <input id="connect-secure" data-test="connect-secure" type="checkbox"
                    checked={form.secure} onchange={on_secure}
                    aria-describedby="connect-secure-hint" />
                <label for="connect-secure">{ "Secure (TLS)" }</label>
                <span id="connect-secure-hint" class="muted">
                    { format!(" — on port {SECURE_PORT} the gateway authenticates the server by its certificate") }
                </span>
            </div>
            { text_field(&dispatch, ConnectField::Path, "HTTP path",
                "GET this resource of the card's web server, e.g. /readme.txt",
                &form.path, check.error(ConnectField::Path)) }
            <div class="ota-actions">
                <button type="button" class="primary" data-test="connect-send"
                    disabled={check.target.is_none()} title={connect_title.clone()}
                    aria-label={connect_title} {onclick}>
                    { "Connect" }
                </button>
                if let Some(target) = &check.target {
                    <code class="ota-summary" data-test="connect-preview">
                        { format!("GET {} HTTP/1.1 · Host: {host}:{}{}", target.path, target.port,
                            if target.secure { " · over TLS" } else { "" }) }
                    </code>
                }
            </div>
        </form>
    }
}
