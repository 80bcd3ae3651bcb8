//! The scenario picker: a labelled `<select>` of the built-in runs; choosing one starts it
//! over from the model's seed.

use super::app::Dispatch;
use super::dom;
use super::model::Action;
use crate::sim::Scenario;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ScenarioPickerProps {
    /// The scenario playing now.
    pub scenario: Scenario,
}

/// What a scenario does, in a few words.
pub fn scenario_label(scenario: Scenario) -> &'static str {
    match scenario {
        Scenario::PowerOn => "power-on: the phone starts the card and attaches",
        Scenario::Ota => "ota: power-on, then an OTA SMS to remote file management",
        Scenario::ScwsStart => {
            "scws-start: power-on, then an OTA SMS starts the SCWS; the phone opens a listening channel"
        }
        Scenario::ScwsGet => {
            "scws-get: the SCWS start, then the server reads a page over TCP and BIP"
        }
        Scenario::UsbUicc => {
            "usb-uicc: a USB UICC with its own IP stack; the server reads a page without BIP"
        }
        Scenario::Patent => {
            "patent: S200–S600 — wake by SMS, connect, replace the page, reconfigure to TLS, read it again"
        }
        Scenario::MultiServer => {
            "multi-server: two servers update the card at once over two channels, one over TLS"
        }
        Scenario::Attack => {
            "attack: a rogue server, a replayed OTA SMS, a flipped byte: all refused, nothing changed"
        }
        Scenario::LinkDrop => {
            "link-drop: the patent flow with a 64 KiB push cut mid-way; the server reconnects and pushes again"
        }
    }
}

#[function_component(ScenarioPicker)]
pub fn scenario_picker(props: &ScenarioPickerProps) -> Html {
    let dispatch =
        use_context::<Dispatch>().expect("ScenarioPicker needs the App's Dispatch context");
    let onchange = Callback::from(move |event: Event| {
        if let Some(scenario) = Scenario::from_name(&dom::target_value(&event)) {
            dispatch.dispatch(Action::PickScenario(scenario));
        }
    });
    html! {
        <div class="scenario-picker">
            <label for="scenario-select">{ "Scenario" }</label>
            <select id="scenario-select" data-test="scenario-select" {onchange}
                aria-describedby="scenario-hint">
                { for Scenario::ALL.into_iter().map(|s| html! {
                    <option value={s.name()} selected={s == props.scenario}>
                        { scenario_label(s) }
                    </option>
                }) }
            </select>
            <p id="scenario-hint" class="hint">
                { "Choosing a scenario starts it over from the beginning (same seed)." }
            </p>
        </div>
    }
}
