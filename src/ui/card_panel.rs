//! The card panel: the card at the cursor. What the selected step changed, the PINs, the
//! file tree, the shown file, and the send-APDU box.
//!
//! ```text
//!  Card at step k · step #c (UPDATE BINARY) changed EF.AD
//!  PIN1 not verified 3/3 · PUK1 usable 10/10 · ADM1 verified 10/10
//!  ┌ Files ─────────────────────────┐
//!  │ ▾ MF 3F00 MF 1234 B            │   FileTreeView
//!  │   ▸ ADF.USIM 7FF0 ADF …        │
//!  ├ EF.AD 3F00/7FF0/6FAD ──────────┤
//!  │ diff · decoded · bytes         │   FileView
//!  └────────────────────────────────┘
//!  Send APDU [00D6000001 80     ][Send]  ApduBox
//! ```

use super::apdu_box::{examples, ApduBox};
use super::app::Dispatch;
use super::file_tree_view::FileTreeView;
use super::file_view::FileView;
use super::model::{Action, ApduEcho, CardView, Shared, StepChanges};
use super::pin_status::PinStatus;
use std::collections::BTreeSet;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CardPanelProps {
    /// The card at the cursor.
    pub view: Shared<CardView>,
    /// Events shown.
    pub cursor: usize,
    /// What the selected step did to the card.
    pub changes: Option<Shared<StepChanges>>,
    pub selected_file: Option<Vec<u16>>,
    pub folded: Rc<BTreeSet<Vec<u16>>>,
    pub apdu_input: String,
    pub apdu_echo: Option<Rc<ApduEcho>>,
    pub apdu_blocker: Option<String>,
    pub steps_after_cursor: usize,
}

#[function_component(CardPanel)]
pub fn card_panel(props: &CardPanelProps) -> Html {
    let dispatch = use_context::<Dispatch>().expect("CardPanel needs the App's Dispatch context");
    // The profile and the tree's shape never change during a run: build the suggestions once.
    let examples = {
        let view = props.view.clone();
        use_memo((), move |_| examples(view.card.profile(), &view.tree))
    };
    let pins_changed = props
        .changes
        .as_ref()
        .map(|c| c.pins.clone())
        .unwrap_or_default();
    html! {
        <section class="card-panel" data-test="card-panel" aria-label="Card">
            <header class="card-head">
                <h2>
                    { "Card" }
                    <span class="muted">{ format!(" at step {}", props.cursor) }</span>
                </h2>
                <p class="step-changes" data-test="step-changes">
                    { summary(props.changes.as_deref(), props.cursor, &dispatch) }
                </p>
            </header>
            <PinStatus pins={props.view.pins.clone()} changed={pins_changed}
                step={props.changes.as_ref().map(|c| c.cause)} />
            <div class="card-body">
                <section class="files-panel" aria-label="Files">
                    <FileTreeView view={props.view.clone()} changes={props.changes.clone()}
                        selected={props.selected_file.clone()} folded={Rc::clone(&props.folded)} />
                </section>
                <section class="file-panel" aria-label="Selected file">
                    <FileView view={props.view.clone()} path={props.selected_file.clone()}
                        changes={props.changes.clone()} />
                </section>
            </div>
            <ApduBox input={props.apdu_input.clone()} blocker={props.apdu_blocker.clone()}
                echo={props.apdu_echo.clone()} steps_after_cursor={props.steps_after_cursor}
                examples={Rc::clone(&examples)} />
        </section>
    }
}

/// One line on what the selected step changed, each changed file a button showing it.
fn summary(changes: Option<&StepChanges>, cursor: usize, dispatch: &Dispatch) -> Html {
    let Some(changes) = changes else {
        return if cursor == 0 {
            html! { { "Step (→) to power the phone on; the card answers the reset." } }
        } else {
            Html::default()
        };
    };
    let step = if changes.cause == changes.step {
        format!("Step #{} ({})", changes.step, changes.cause_title)
    } else {
        format!(
            "Step #{} ({}, answered at #{})",
            changes.cause, changes.cause_title, changes.step
        )
    };
    if changes.files.is_empty() && changes.pins.is_empty() {
        return html! { { format!("{step} changed no file and no key.") } };
    }
    let files = changes.files.iter().map(|change| {
        let path = change.path().to_vec();
        let onclick = {
            let dispatch = dispatch.clone();
            Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::SelectFile(path.clone())))
        };
        html! {
            <button type="button" class="link changed-file" {onclick}
                title={format!("Show {} and its bytes before and after", change.after.name)}>
                { change.after.name.clone() }
            </button>
        }
    });
    let pins = changes.pins.iter().map(|(before, after)| {
        let what = if before.tries_left != after.tries_left {
            format!(
                "{} tries {} → {}",
                after.name, before.tries_left, after.tries_left
            )
        } else {
            format!("{} {} → {}", after.name, before.state(), after.state())
        };
        html! { <span class="changed-key">{ what }</span> }
    });
    html! {
        <>
            { format!("{step} changed ") }
            { for files }
            { for pins }
        </>
    }
}
