//! PIN1, PUK1 and ADM1 at the cursor: enabled, verified, tries left of the maximum. A key
//! the selected step changed is marked, with its state before.

use crate::card::inspect::PinView;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PinStatusProps {
    pub pins: Vec<PinView>,
    /// Keys the selected step changed: before, after.
    pub changed: Vec<(PinView, PinView)>,
    /// The step that changed them.
    pub step: Option<u64>,
}

#[function_component(PinStatus)]
pub fn pin_status(props: &PinStatusProps) -> Html {
    let row = |pin: &PinView| {
        let before = props
            .changed
            .iter()
            .find(|(b, _)| b.name == pin.name)
            .map(|(b, _)| b);
        let mut title = format!(
            "{} (key reference {:02X}): {}, {} of {} tries left",
            pin.name,
            pin.key_ref,
            pin.state(),
            pin.tries_left,
            pin.max_tries
        );
        if !pin.unblock && !pin.enabled {
            title.push_str("; disabled: conditions naming it hold without it");
        }
        if let (Some(before), Some(step)) = (before, props.step) {
            title.push_str(&format!(
                "; before step #{step}: {}, {} of {}",
                before.state(),
                before.tries_left,
                before.max_tries
            ));
        }
        let state_class = pin.state().replace(' ', "-");
        html! {
            <li class={classes!("pin", state_class, before.is_some().then_some("changed"))}
                data-pin={pin.name} title={title.clone()} aria-label={title}>
                <span class="name">{ pin.name }</span>
                <span class="state">{ pin.state() }</span>
                <span class="tries" data-test="tries">
                    if let Some(before) = before.filter(|b| b.tries_left != pin.tries_left) {
                        <s class="was">{ format!("{}/{}", before.tries_left, before.max_tries) }</s>
                        { " " }
                    }
                    { format!("{}/{} tries", pin.tries_left, pin.max_tries) }
                </span>
            </li>
        }
    };
    html! {
        <ul class="pin-status" data-test="pins" aria-label="PINs and keys">
            { for props.pins.iter().map(row) }
        </ul>
    }
}
