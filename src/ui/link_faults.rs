//! One link's fault controls: partition, loss, duplication and reordering percentages,
//! extra delay, each checked as typed ([`check_faults`]); Apply sets them at the cursor,
//! Cut link cuts the link there.

use super::app::Dispatch;
use super::checked_input::CheckedInput;
use super::model::{check_faults, Action, FaultField, FaultForm};
use crate::net::ip::{Link, LinkFaults};
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LinkFaultsFormProps {
    pub link: Link,
    /// The form's text.
    pub form: FaultForm,
    /// The link's faults at the cursor.
    pub current: LinkFaults,
    /// Recorded steps after the cursor, which applying or cutting replaces.
    pub steps_after_cursor: usize,
}

/// The link's short name, used in element ids: `backbone`, `radio`.
pub fn link_key(link: Link) -> &'static str {
    match link {
        Link::Backbone => "backbone",
        Link::Radio => "radio",
    }
}

/// The short name, label and hint of a text field.
fn field_words(field: FaultField) -> (&'static str, &'static str, &'static str) {
    match field {
        FaultField::Loss => ("loss", "Loss %", "packets dropped, 0–100"),
        FaultField::Duplicate => ("duplicate", "Duplication %", "packets sent twice, 0–100"),
        FaultField::Reorder => ("reorder", "Reordering %", "packets held back, 0–100"),
        FaultField::Delay => ("delay", "Extra delay (ms)", "added to every packet"),
    }
}

/// ` (replaces the N recorded step(s) after the cursor)`, or nothing.
fn replaces(steps_after_cursor: usize) -> String {
    if steps_after_cursor == 0 {
        String::new()
    } else {
        format!(" (replaces the {steps_after_cursor} recorded step(s) after the cursor)")
    }
}

#[function_component(LinkFaultsForm)]
pub fn link_faults(props: &LinkFaultsFormProps) -> Html {
    let dispatch =
        use_context::<Dispatch>().expect("LinkFaultsForm needs the App's Dispatch context");
    let link = props.link;
    let key = link_key(link);
    let check = check_faults(&props.form);
    let send = |action: Action| {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(action.clone()))
    };
    let text_field = |field: FaultField| {
        let (name, label, hint) = field_words(field);
        CheckedInput {
            id: format!("fault-{key}-{name}"),
            class: classes!("fault-field"),
            label,
            hint,
            value: props.form.get(field),
            error: check.error(field),
            numeric: true,
        }
        .render(
            &dispatch,
            "fault-message",
            move |value| Action::EditFault(link, field, value),
            Action::ApplyFaults(link),
        )
    };
    let on_partition = {
        let dispatch = dispatch.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            dispatch.dispatch(Action::SetPartition(link, input.checked()));
        })
    };
    let partition_id = format!("fault-{key}-partition");
    let apply_title = if check.faults.is_some() {
        format!(
            "Set these faults on the {} at the cursor{}",
            link.name(),
            replaces(props.steps_after_cursor)
        )
    } else {
        "Correct the fields marked in red first".to_string()
    };
    let cut_title = format!(
        "Cut the {} now{}",
        link.name(),
        replaces(props.steps_after_cursor)
    );
    let pending = props.form.edited.then_some("edited");
    html! {
        <fieldset class={classes!("link-faults", pending)} data-test={format!("faults-{key}")}>
            <legend>{ link.name() }</legend>
            <p class="fault-summary">
                { "Faults now: " }
                <strong data-test={format!("faults-{key}-summary")}>{ props.current.summary() }</strong>
                if props.form.edited {
                    <span class="muted">{ " · form edited, not applied" }</span>
                }
            </p>
            <div class="fault-partition">
                <input id={partition_id.clone()} data-test={partition_id.clone()} type="checkbox"
                    checked={props.form.partitioned} onchange={on_partition} />
                <label for={partition_id}>{ "Partition (drop every packet, both ways)" }</label>
            </div>
            <div class="fault-grid">
                { for FaultField::ALL.into_iter().map(text_field) }
            </div>
            <div class="fault-actions">
                <button type="button" class="primary" data-test={format!("faults-{key}-apply")}
                    disabled={check.faults.is_none()} title={apply_title.clone()}
                    aria-label={apply_title} onclick={send(Action::ApplyFaults(link))}>
                    { "Apply" }
                </button>
                <button type="button" data-test={format!("faults-{key}-cut")}
                    title={cut_title.clone()} aria-label={cut_title}
                    onclick={send(Action::CutLink(link))}>
                    { "Cut link" }
                </button>
            </div>
        </fieldset>
    }
}
