//! The phone's access gateway at the cursor: one row per BIP channel the card opened —
//! channel identifier, SID, mode, link state, how full its buffers are, peer, whether it
//! is secured, what it carried — and the events the card asked for in SET UP EVENT LIST.

use super::model::{PhoneView, Shared};
use crate::phone::gateway::{Channel, LinkState, Mode, Protocol};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct GatewayPanelProps {
    pub view: Shared<PhoneView>,
}

/// `TCP server :3516`, or `TCP → 198.51.100.10:443` (`UDP → …`) for a client channel.
pub fn mode_text(mode: &Mode) -> String {
    match mode {
        Mode::Server { port } => format!("TCP server :{port}"),
        Mode::Client {
            protocol,
            address,
            port,
            ..
        } => {
            let protocol = match protocol {
                Protocol::Tcp => "TCP",
                Protocol::Udp => "UDP",
            };
            format!("{protocol} → {}:{port}", std::net::Ipv4Addr::from(*address))
        }
    }
}

/// A short CSS class for a link state.
fn state_class(state: LinkState) -> &'static str {
    match state {
        LinkState::Listen => "state-listen",
        LinkState::Idle => "state-idle",
        LinkState::Connecting => "state-connecting",
        LinkState::Established => "state-established",
        LinkState::Dropped => "state-dropped",
    }
}

/// A byte count, short: `1400 B`.
fn bytes(n: u64) -> String {
    format!("{n} B")
}

/// One buffer's fill: a labelled bar and `used / size`.
fn buffer(name: &str, what: &str, used: usize, size: u16, test: &str) -> Html {
    let size = usize::from(size);
    let percent = if size == 0 {
        0.0
    } else {
        (used.min(size) as f64) * 100.0 / size as f64
    };
    let label = format!("{what} buffer: {used} of {size} bytes");
    html! {
        <div class="buffer" data-test={test.to_string()}>
            <span class="buffer-name" aria-hidden="true">{ name.to_string() }</span>
            <span class="bar" role="meter" aria-label={label.clone()} title={label}
                aria-valuemin="0" aria-valuemax={size.to_string()} aria-valuenow={used.to_string()}>
                <span class="fill" style={format!("width: {percent:.1}%")}></span>
            </span>
            <span class="buffer-count" aria-hidden="true">{ format!("{used}/{size}") }</span>
        </div>
    }
}

fn channel_row(channel: &Channel) -> Html {
    let counters = &channel.counters;
    let connections = format!(
        "{} connection{}",
        counters.connections,
        if counters.connections == 1 { "" } else { "s" }
    );
    html! {
        <tr data-test="gateway-channel" data-channel={channel.id.to_string()}>
            <td class="num" data-test="channel-id">{ channel.id }</td>
            <td class="num" data-test="channel-sid">{ channel.sid }</td>
            <td data-test="channel-mode">{ mode_text(&channel.mode) }</td>
            <td data-test="channel-state">
                <span class={classes!("link-state", state_class(channel.state))}>
                    { channel.state.describe() }
                </span>
                if let (LinkState::Established, Some(since)) = (channel.state, channel.since) {
                    <span class="muted since">{ format!(" since {since}") }</span>
                }
            </td>
            <td class="buffers">
                { buffer("Rx", "Receive", channel.rx_len(), channel.buffer_size, "channel-rx") }
                { buffer("Tx", "Transmit", channel.tx_len(), channel.buffer_size, "channel-tx") }
            </td>
            <td data-test="channel-peer">
                { channel.peer.clone().unwrap_or_else(|| "—".to_string()) }
                <br />
                <span class={classes!("secure", channel.secure.then_some("yes"))}
                    data-test="channel-secure">
                    { if channel.secure { "secure (TLS)" } else { "not secure" } }
                </span>
            </td>
            <td class="carried" data-test="channel-counters">
                <span>{ format!("in {}", bytes(counters.received)) }</span>
                <span>{ format!("out {}", bytes(counters.sent)) }</span>
                <span>{ connections }</span>
                if counters.refused > 0 {
                    <span class="refused">{ format!("{} refused", bytes(counters.refused)) }</span>
                }
            </td>
        </tr>
    }
}

#[function_component(GatewayPanel)]
pub fn gateway_panel(props: &GatewayPanelProps) -> Html {
    let view = &props.view;
    let events = if view.event_list.is_empty() {
        html! { <span class="muted">{ "none" }</span> }
    } else {
        html! {
            <ul class="event-list">
                { for view.event_list.iter().map(|event| html! { <li>{ event.to_string() }</li> }) }
            </ul>
        }
    };
    html! {
        <section class="gateway-panel" data-test="gateway-panel" aria-labelledby="gateway-heading">
            <h3 id="gateway-heading">
                { "Access gateway" }<span class="muted">{ " — the card's BIP channels" }</span>
            </h3>
            if view.channels.is_empty() {
                <p class="muted gateway-empty" data-test="gateway-empty">{ "No channel open" }</p>
            } else {
                <div class="table-scroll">
                    <table class="gateway-table" data-test="gateway-table">
                        <thead>
                            <tr>
                                <th scope="col" title="Channel identifier (TS 102 223 §8.56)">{ "Ch" }</th>
                                <th scope="col" title="Session identifier the gateway gave the channel">{ "SID" }</th>
                                <th scope="col">{ "Mode" }</th>
                                <th scope="col">{ "State" }</th>
                                <th scope="col" title="Bytes waiting over the buffer size granted">{ "Buffers" }</th>
                                <th scope="col">{ "Peer" }</th>
                                <th scope="col">{ "Carried" }</th>
                            </tr>
                        </thead>
                        <tbody>
                            { for view.channels.iter().map(channel_row) }
                        </tbody>
                    </table>
                </div>
            }
            <div class="gateway-events" data-test="gateway-events">
                <span class="events-head">{ "Events the card asked for (SET UP EVENT LIST): " }</span>
                { events }
            </div>
        </section>
    }
}
