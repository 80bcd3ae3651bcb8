//! The network panel: the operator network's IP side at the cursor — the phone's IP
//! session (PDP context), the packets the network forwarded or dropped, what it did
//! last — and the fault controls of each link ([`LinkFaultsForm`]).

use super::link_faults::LinkFaultsForm;
use super::model::{FaultForm, NetworkView, Shared};
use crate::net::ip::Link;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NetworkPanelProps {
    pub view: Shared<NetworkView>,
    /// The fault form of each link of [`Link::ALL`].
    pub forms: [FaultForm; 2],
    pub steps_after_cursor: usize,
}

#[function_component(NetworkPanel)]
pub fn network_panel(props: &NetworkPanelProps) -> Html {
    let view = &props.view;
    let counters = view.counters;
    let session = match &view.context {
        Some(context) => html! {
            <>
                { "APN " }<strong>{ context.apn.clone() }</strong>
                { ", address " }
                <strong>{ std::net::Ipv4Addr::from(context.address).to_string() }</strong>
            </>
        },
        None => html! {
            <span class="muted">{ "No IP session: the phone has no PDP context." }</span>
        },
    };
    html! {
        <section class="network-panel" data-test="network-panel" aria-label="Network">
            <h3>{ "IP session" }<span class="muted">{ " (the phone's PDP context)" }</span></h3>
            <p data-test="ip-session">{ session }</p>
            <h3>{ "Packets" }</h3>
            <dl class="ip-counters" data-test="ip-counters">
                { for [
                    ("forwarded", counters.forwarded, "Routed to the other side"),
                    ("lost", counters.lost, "Dropped by loss or a partition"),
                    ("duplicated", counters.duplicated, "Sent twice"),
                    ("reordered", counters.reordered, "Held back so later packets overtook them"),
                    ("unroutable", counters.unroutable,
                        "Dropped: nobody has the destination, or the source is spoofed"),
                ].into_iter().map(|(name, count, what)| html! {
                    <div title={what}>
                        <dt>{ name }</dt>
                        <dd data-test={format!("ip-{name}")}>{ count }</dd>
                    </div>
                }) }
            </dl>
            <p class="network-status" data-test="network-status" role="status" aria-live="polite">
                { view.status.clone() }
            </p>
            <h3>{ "Link faults" }<span class="muted">{ " (applied at the cursor; the run branches there)" }</span></h3>
            { for Link::ALL.into_iter().zip(&props.forms).zip(&view.faults).map(|((link, form), faults)| html! {
                <LinkFaultsForm {link} form={form.clone()} current={*faults}
                    steps_after_cursor={props.steps_after_cursor} />
            }) }
        </section>
    }
}
