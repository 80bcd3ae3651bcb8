//! The diagram's legend: layer colours, what solid, dashed and dotted lines mean, and
//! how the selected event's causal links are marked.

use yew::prelude::*;

#[function_component(Legend)]
pub fn legend() -> Html {
    html! {
        <footer class="legend" aria-label="Legend">
            <span class="key layer-action"><i class="swatch"></i>{ "user action" }</span>
            <span class="key layer-iso7816"><i class="swatch"></i>{ "ISO 7816-3 (reset, ATR)" }</span>
            <span class="key layer-apdu"><i class="swatch"></i>{ "APDU" }</span>
            <span class="key layer-sms"><i class="swatch"></i>{ "SMS (TPDU), attach" }</span>
            <span class="key layer-tcp"><i class="swatch dot"></i>{ "TCP/IP (packets, PDP context, push proxy; ● at the sender)" }</span>
            <span class="key layer-timer"><i class="swatch loop"></i>{ "timer (a loop on the node's lane)" }</span>
            <span class="key"><i class="line solid"></i>{ "solid: toward the card" }</span>
            <span class="key"><i class="line dashed"></i>{ "dashed: toward the server" }</span>
            <span class="key"><i class="line dotted"></i>{ "dotted: no bytes (reset, attach, detach)" }</span>
            <span class="key causal cause"><i class="mark"></i>{ "what caused the selected event" }</span>
            <span class="key causal effect"><i class="mark"></i>{ "what the selected event led to" }</span>
        </footer>
    }
}
