//! The tab strip of the right-hand column: Inspector | Card | Phone | Network | Server. ← / → move
//! between tabs, Home / End to the first and last.

use super::app::Dispatch;
use super::dom;
use super::model::{Action, SideTab};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SideTabsProps {
    pub tab: SideTab,
    /// Files and keys the selected step changed (shown as a count on the Card tab).
    pub card_changes: usize,
}

/// The element id of a tab and of its panel.
pub fn ids(tab: SideTab) -> (&'static str, &'static str) {
    match tab {
        SideTab::Inspector => ("tab-inspector", "panel-inspector"),
        SideTab::Card => ("tab-card", "panel-card"),
        SideTab::Phone => ("tab-phone", "panel-phone"),
        SideTab::Network => ("tab-network", "panel-network"),
        SideTab::Server => ("tab-server", "panel-server"),
    }
}

#[function_component(SideTabs)]
pub fn side_tabs(props: &SideTabsProps) -> Html {
    let dispatch = use_context::<Dispatch>().expect("SideTabs needs the App's Dispatch context");
    let tab = |which: SideTab, label: &str, title: &str, extra: Html| {
        let (id, panel) = ids(which);
        let selected = props.tab == which;
        let onclick = {
            let dispatch = dispatch.clone();
            Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::ShowTab(which)))
        };
        let onkeydown = {
            let dispatch = dispatch.clone();
            Callback::from(move |event: KeyboardEvent| {
                let all = SideTab::ALL;
                let here = all.iter().position(|t| *t == which).unwrap_or(0);
                let next = match event.key().as_str() {
                    "ArrowLeft" => all[(here + all.len() - 1) % all.len()],
                    "ArrowRight" => all[(here + 1) % all.len()],
                    "Home" => all[0],
                    "End" => all[all.len() - 1],
                    _ => return,
                };
                event.prevent_default();
                dispatch.dispatch(Action::ShowTab(next));
                dom::focus_in(event.target(), ".side-tabs", &format!("#{}", ids(next).0));
            })
        };
        html! {
            <button type="button" role="tab" {id} data-test={id} aria-controls={panel}
                aria-selected={selected.to_string()} tabindex={if selected { "0" } else { "-1" }}
                title={title.to_string()} class={classes!(selected.then_some("active"))}
                {onclick} {onkeydown}>
                { label.to_string() }{ extra }
            </button>
        }
    };
    let count = (props.card_changes > 0).then(|| {
        html! {
            <span class="count" data-test="card-changes"
                aria-label={format!("{} changed by the selected step", props.card_changes)}>
                { props.card_changes }
            </span>
        }
    });
    html! {
        <div class="side-tabs" role="tablist" aria-label="Right-hand panel">
            { tab(SideTab::Inspector, "Inspector",
                "The selected message: decoded fields and bytes", Html::default()) }
            { tab(SideTab::Card, "Card",
                "The card at the cursor: files, PINs, send an APDU",
                count.unwrap_or_default()) }
            { tab(SideTab::Phone, "Phone",
                "The phone's screen: state, SMS inbox, data downloads to the card; its gateway's channels",
                Html::default()) }
            { tab(SideTab::Network, "Network",
                "The operator network's IP side: the phone's IP session, packet counters, link faults",
                Html::default()) }
            { tab(SideTab::Server, "Server",
                "The server console: scenarios, compose and send an OTA, its PoR",
                Html::default()) }
        </div>
    }
}
