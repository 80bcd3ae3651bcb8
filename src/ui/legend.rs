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
            <span class="key layer-tcp" title="IPv4 packets, PDP context signalling, push proxy; a dot marks the sender's end"><i class="swatch dot"></i>{ "TCP/IP (● sender)" }</span>
            <span class="key layer-timer" title="A node's own timer firing: a loop on its lane"><i class="swatch loop"></i>{ "timer (loop)" }</span>
            <span class="key"><i class="line solid"></i>{ "solid: to the card" }</span>
            <span class="key"><i class="line dashed"></i>{ "dashed: to the server" }</span>
            <span class="key" title="Reset, attach, detach, signalling whose bytes are not modelled"><i class="line dotted"></i>{ "dotted: no bytes" }</span>
            <span class="key causal" title="Select an event: the event whose delivery sent it, and every shown event it led to, are marked">
                <i class="mark cause"></i>{ "cause," }<i class="mark effect"></i>{ "effects of the selected event" }
            </span>
        </footer>
    }
}
