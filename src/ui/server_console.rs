//! The server console: which scenario plays, the OTA composer and what the server knows
//! at the cursor — its last OTA message with the PoR it read, its counters per TAR —
//! then the form that connects to the card over TCP/TLS and the server's sessions.

use super::connect::ConnectForm;
use super::connect_form::ConnectFormView;
use super::model::{OtaForm, ServerView, Shared};
use super::ota_composer::OtaComposer;
use super::scenario_picker::ScenarioPicker;
use super::session_list::SessionList;
use crate::server::{OtaMessage, OtaOutcome};
use crate::sim::Scenario;
use crate::wire::hex;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ServerConsoleProps {
    pub scenario: Scenario,
    pub view: Shared<ServerView>,
    pub form: OtaForm,
    pub connect_form: ConnectForm,
    pub steps_after_cursor: usize,
}

#[function_component(ServerConsole)]
pub fn server_console(props: &ServerConsoleProps) -> Html {
    let tars = Rc::clone(&props.view.tars);
    let server = &props.view.server;
    let counters = &server.card().counters;
    html! {
        <section class="server-console" data-test="server-console" aria-label="Server console">
            <ScenarioPicker scenario={props.scenario} />
            <h3>{ "Send an OTA" }<span class="muted">{ format!(" to the card {}", server.card().number) }</span></h3>
            <OtaComposer form={props.form.clone()} {tars}
                steps_after_cursor={props.steps_after_cursor} />
            <h3>{ "Result" }<span class="muted">{ " (the server at the cursor)" }</span></h3>
            <div class="ota-result" data-test="ota-result" role="status" aria-live="polite">
                if let Some(error) = server.last_error() {
                    <p class="error" data-test="ota-error">{ format!("Cannot send: {error}") }</p>
                }
                { match server.sent().last() {
                    Some(message) => message_view(message, props.view.sent_step),
                    None => html! { <p class="muted">{ "No OTA sent yet at the cursor." }</p> },
                } }
            </div>
            if !counters.is_empty() {
                <p class="counters muted" data-test="server-counters">
                    { "Last counter per TAR: " }
                    { counters.iter().map(|(tar, c)| format!("{tar} → {c:010X}")).collect::<Vec<_>>().join(", ") }
                </p>
            }
            <h3 id="connect-heading">{ "Connect to the card" }
                <span class="muted">{ " over TCP/IP, through the phone" }</span></h3>
            <ConnectFormView form={props.connect_form.clone()} view={props.view.clone()}
                steps_after_cursor={props.steps_after_cursor} />
            <h3 id="sessions-heading">{ "Sessions" }<span class="muted">{ " (the server at the cursor)" }</span></h3>
            <SessionList view={props.view.clone()} />
        </section>
    }
}

/// One OTA message: what was sent and how it ended.
fn message_view(message: &OtaMessage, sent_step: Option<u64>) -> Html {
    let outcome = match &message.outcome {
        None => html! {
            <p data-test="ota-outcome" class="waiting">
                { format!("Waiting for the status report ({} of {} in): step forward (→).",
                    message.reports.len(), message.message_references.len()) }
            </p>
        },
        Some(OtaOutcome::Por(por)) => {
            let ok = por.status.byte() == 0;
            html! {
                <dl class={classes!("por", if ok { "ok" } else { "bad" })} data-test="ota-outcome">
                    <dt>{ "PoR status" }</dt>
                    <dd data-test="por-status">
                        { format!("PoR {:02X} — {}", por.status.byte(), por.status.meaning()) }
                        if !por.protected { { " (unprotected)" } }
                    </dd>
                    <dt>{ "Counter" }</dt>
                    <dd>{ format!("{:010X}", por.counter) }</dd>
                    if let Some(compact) = &por.compact {
                        <dt>{ "Commands executed" }</dt>
                        <dd data-test="por-executed">{ compact.executed }</dd>
                        <dt>{ "Last SW" }</dt>
                        <dd data-test="por-last-sw">{ sw_words(compact.last_status) }</dd>
                        if !compact.last_data.is_empty() {
                            <dt>{ "Last data" }</dt>
                            <dd><code>{ hex::spaced(&compact.last_data) }</code></dd>
                        }
                    } else if !por.data.is_empty() {
                        <dt>{ "Data" }</dt>
                        <dd><code>{ hex::spaced(&por.data) }</code></dd>
                    }
                </dl>
            }
        }
        Some(other) => html! {
            <p data-test="ota-outcome" class="error">{ other.text() }</p>
        },
    };
    html! {
        <>
            <p class="ota-sent" data-test="ota-sent">
                <strong>{ format!("OTA #{}", message.id) }</strong>
                { format!(" — CNTR {:010X}, {} SMS", message.counter, message.message_references.len()) }
                if let Some(step) = sent_step {
                    <span class="muted">{ format!(" (sent at step #{step})") }</span>
                }
                <br />
                <code class="summary">{ message.request.summary() }</code>
            </p>
            { outcome }
        </>
    }
}

/// `61 26 — response bytes still available: 38`.
fn sw_words(sw: crate::wire::status::StatusWord) -> Html {
    let hex = hex::spaced(&sw.0.to_be_bytes());
    let meaning = sw.meaning();
    let meaning = meaning
        .strip_prefix(&format!("{hex}: "))
        .unwrap_or(&meaning)
        .to_string();
    html! { <>{ hex }<span class="muted">{ format!(" — {meaning}") }</span></> }
}
