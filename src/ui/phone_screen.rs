//! The phone's screen at the cursor, drawn in a small phone frame: network and card
//! state, the SMS inbox (ordinary short messages: sender, text), an indicator while a
//! (U)SIM data-download SMS goes to the card and when the card has a proactive command
//! pending, and the phone's browser showing the card's web server ([`BrowserView`]).
//! Below the frame, the access gateway's channels ([`GatewayPanel`]).

use super::browser_view::BrowserView;
use super::gateway_panel::GatewayPanel;
use super::model::{PhoneView, Shared};
use crate::phone::PhoneState;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PhoneScreenProps {
    pub view: Shared<PhoneView>,
}

/// The phone's state in a few words.
fn state_text(state: &PhoneState) -> String {
    match state {
        PhoneState::Off => "Off".to_string(),
        PhoneState::Ready => "Ready".to_string(),
        PhoneState::ExpectUserResponse => "Waiting for the card's answer".to_string(),
        PhoneState::ExpectDownloadStatus | PhoneState::ExpectDownloadData => {
            "Data download to the card…".to_string()
        }
        PhoneState::Failed(reason) => format!("Start-up failed: {reason}"),
        _ => "Starting up…".to_string(),
    }
}

#[function_component(PhoneScreen)]
pub fn phone_screen(props: &PhoneScreenProps) -> Html {
    let view = &props.view;
    let on = view.state != PhoneState::Off;
    html! {
        <section class="phone-panel" data-test="phone-screen" aria-label="Phone screen">
            <div class={classes!("phone-frame", (!on).then_some("off"))}>
                <div class="phone-speaker" aria-hidden="true"></div>
                <div class="phone-display">
                    <div class="phone-bar">
                        <span data-test="phone-network">
                            { if view.attached { "▂▄▆ attached" } else { "no network" } }
                        </span>
                        <span data-test="phone-state">{ state_text(&view.state) }</span>
                    </div>
                    if let Some(download) = &view.download {
                        <div class={classes!("phone-ota", download.in_progress.then_some("busy"))}
                            data-test="phone-ota" role="status">
                            <strong>{ "Data download to the card" }</strong>
                            <span>{ format!(" (SMS-PP, step #{})", download.step) }</span>
                            <div class="muted">
                                { if download.in_progress {
                                    "in progress: ENVELOPE at the card".to_string()
                                } else {
                                    view.last_download.clone().unwrap_or_else(|| "done".to_string())
                                } }
                            </div>
                        </div>
                    }
                    if let Some(length) = view.proactive_pending {
                        <div class="phone-proactive" data-test="phone-proactive" role="status">
                            { format!("Proactive command pending ({length} bytes, 91 {length:02X})") }
                        </div>
                    }
                    <h4>{ "Browser" }</h4>
                    <BrowserView view={props.view.clone()} />
                    <h4>{ format!("Messages ({})", view.inbox.len()) }</h4>
                    if view.inbox.is_empty() {
                        <p class="muted phone-empty">{ "No messages." }</p>
                    } else {
                        <ul class="phone-inbox" data-test="phone-inbox">
                            { for view.inbox.iter().rev().map(|sms| html! {
                                <li>
                                    <div class="from">{ sms.from.clone() }
                                        <span class="muted">{ format!(" {}", sms.time_stamp) }</span></div>
                                    <div class="text">{ sms.text.clone() }</div>
                                </li>
                            }) }
                        </ul>
                    }
                </div>
            </div>
            <p class="phone-status muted" title={view.status.clone()}>{ view.status.clone() }</p>
            <GatewayPanel view={props.view.clone()} />
        </section>
    }
}
