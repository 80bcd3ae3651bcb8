//! The server's TCP sessions at the cursor: for each, its number, identity, port,
//! whether it is secure, its state in words, the bytes received and the HTTP message
//! received (start line, headers, the body as text or its length) in a scrollable
//! region; a failed session says why. A session the card opened (client mode) shows
//! the card's request and the server's answer.

use super::connect::{request_line, state_words, Body, HttpView};
use super::model::{ServerView, Shared};
use crate::server::session::{Session, SessionState};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SessionListProps {
    pub view: Shared<ServerView>,
}

/// `n byte(s)`.
fn byte_count(n: usize) -> String {
    format!("{n} byte{}", if n == 1 { "" } else { "s" })
}

/// A CSS class for a session's state.
fn state_class(state: &SessionState) -> &'static str {
    match state {
        SessionState::Locating | SessionState::Connecting => "pending",
        SessionState::Open => "open",
        SessionState::Finished => "ok",
        SessionState::Failed(_) => "bad",
    }
}

/// The received bytes as an HTTP message, in a region the keyboard can scroll.
fn received_view(session: &Session) -> Html {
    let (message, label) = if session.inbound {
        (
            HttpView::request(&session.received),
            format!("The card's HTTP request in session {}", session.id),
        )
    } else {
        (
            HttpView::response(&session.received),
            format!("HTTP response of session {}", session.id),
        )
    };
    let content = match message {
        HttpView::Empty => return Html::default(),
        HttpView::Complete {
            start_line,
            headers,
            body,
        } => html! {
            <>
                <p class="status-line" data-test="response-status">{ start_line }</p>
                <pre class="headers" data-test="response-headers">
                    { headers.iter().map(|(name, value)| format!("{name}: {value}"))
                        .collect::<Vec<_>>().join("\n") }
                </pre>
                { match body {
                    Body::Text(text) if text.is_empty() => html! {
                        <p class="muted" data-test="response-body-size">{ "No body." }</p>
                    },
                    Body::Text(text) => html! {
                        <pre class="body" data-test="response-body">{ text }</pre>
                    },
                    Body::Binary(len) => html! {
                        <p class="muted" data-test="response-body-size">
                            { format!("Body: {} (not text)", byte_count(len)) }
                        </p>
                    },
                } }
            </>
        },
        HttpView::Partial(len) => html! {
            <p class="muted">{ format!("{} in, the HTTP head is not complete yet.", byte_count(len)) }</p>
        },
        HttpView::Invalid(why, len) => html! {
            <p class="error">{ format!("Not HTTP ({why}): {}.", byte_count(len)) }</p>
        },
    };
    html! {
        <div class="http-response" data-test="session-response" role="region" tabindex="0"
            aria-label={label}>
            { content }
        </div>
    }
}

/// Who connected to whom: `ras-1.operator.example → 192.0.2.10:3516`, or for the card's
/// own connection `the card (192.0.2.10:49152) → ras-1.operator.example:80`.
fn endpoints(session: &Session) -> Html {
    let request = &session.request;
    if session.inbound {
        let card = session
            .remote
            .map_or_else(String::new, |remote| format!(" ({remote})"));
        return html! {
            <>
                { format!("the card{card} → ") }
                <span data-test="session-server">{ request.server.clone() }</span>
                <span data-test="session-port">{ format!(":{}", request.port) }</span>
            </>
        };
    }
    html! {
        <>
            <span data-test="session-server">{ request.server.clone() }</span>
            { " → " }
            <span data-test="session-port">{ match &session.remote {
                Some(remote) => remote.to_string(),
                None => format!(":{}", request.port),
            } }</span>
        </>
    }
}

fn session_item(session: &Session, view: &ServerView) -> Html {
    let request = &session.request;
    let started = view
        .started_at(session.id)
        .map(|step| format!(" (step #{step})"));
    let gateway_tls = match (&session.state, request.secure, &view.tls_error) {
        (SessionState::Failed(_), true, Some(error)) => Some(error.clone()),
        _ => None,
    };
    let sent = if request.send.is_empty() {
        None
    } else if session.inbound {
        Some(format!("answered {}", request_line(&request.send)))
    } else {
        Some(request_line(&request.send))
    };
    html! {
        <li class={classes!("session", state_class(&session.state))} data-test="session"
            data-session={session.id.to_string()}>
            <p class="session-head">
                <strong>{ format!("#{}", session.id) }</strong>
                { " " }{ endpoints(session) }
                { " · " }
                <span data-test="session-secure">{ if request.secure { "TLS" } else { "plain TCP" } }</span>
                if let Some(started) = started {
                    <span class="muted">{ started }</span>
                }
                if session.inbound {
                    <span class="muted">{ " (the card connected: client mode)" }</span>
                }
            </p>
            if let Some(sent) = sent {
                <p class="session-request"><code>{ sent }</code></p>
            }
            <p class="session-state">
                <span class="state" data-test="session-state">{ state_words(session) }</span>
                { " · " }
                <span data-test="session-received">{ format!("{} received", byte_count(session.received.len())) }</span>
            </p>
            if let Some(error) = gateway_tls {
                <p class="error" data-test="session-tls-error">
                    { format!("The gateway's last TLS error: {error}") }
                </p>
            }
            { received_view(session) }
        </li>
    }
}

#[function_component(SessionList)]
pub fn session_list(props: &SessionListProps) -> Html {
    let view = &props.view;
    let sessions = view.server.sessions().sessions();
    html! {
        <div class="sessions" data-test="sessions">
            if sessions.is_empty() {
                <p class="muted" data-test="sessions-empty">{ "No session at the cursor." }</p>
            } else {
                <ul class="session-list" aria-label="Sessions, newest first">
                    { for sessions.iter().rev().map(|session| session_item(session, view)) }
                </ul>
            }
        </div>
    }
}
