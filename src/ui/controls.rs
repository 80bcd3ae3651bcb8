//! The header: name, subtitle, Reset · Back · Step · Play/Pause, position and time.

use super::app::Dispatch;
use super::model::Action;
use crate::sim::Instant;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    /// Events shown.
    pub cursor: usize,
    /// Events in the run (a lower bound unless `run_complete`).
    pub total: usize,
    pub run_complete: bool,
    /// Logical time at the cursor.
    pub now: Instant,
    pub playing: bool,
    pub can_step: bool,
    pub can_back: bool,
}

#[function_component(Controls)]
pub fn controls(props: &ControlsProps) -> Html {
    let dispatch = use_context::<Dispatch>().expect("Controls needs the App's Dispatch context");
    let send = |action: Action| {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(action.clone()))
    };
    let total = if props.run_complete {
        props.total.to_string()
    } else {
        format!("{}+", props.total)
    };
    let (play_label, play_text, play_icon) = if props.playing {
        ("Pause (space)", "Pause", Icon::Pause)
    } else {
        (
            "Play: one step every half second (space)",
            "Play",
            Icon::Play,
        )
    };
    html! {
        <header class="controls">
            <div class="brand">
                <h1>{ "bipscope" }</h1>
                <p class="subtitle">
                    { "remote smart-card administration over BIP and the SCWS — emulated byte by byte" }
                </p>
            </div>
            <nav class="buttons" aria-label="Playback">
                <button type="button" data-test="reset" aria-label="Reset: start over"
                    title="Reset: start over" disabled={props.cursor == 0 && !props.playing}
                    onclick={send(Action::Reset)}>
                    { icon(Icon::Reset) }{ "Reset" }
                </button>
                <button type="button" data-test="back" aria-label="Back one step (←)"
                    title="Back one step (←)" disabled={!props.can_back}
                    onclick={send(Action::Back)}>
                    { icon(Icon::Back) }{ "Back" }
                </button>
                <button type="button" data-test="step" aria-label="Step: deliver the next message (→)"
                    title="Step: deliver the next message (→)" disabled={!props.can_step}
                    onclick={send(Action::Step)} class="primary">
                    { "Step" }{ icon(Icon::Step) }
                </button>
                <button type="button" data-test="play" aria-label={play_label} title={play_label}
                    aria-pressed={props.playing.to_string()}
                    disabled={!props.playing && !props.can_step}
                    onclick={send(Action::TogglePlay)}>
                    { icon(play_icon) }{ play_text }
                </button>
            </nav>
            <div class="position" aria-live="polite">
                <span data-test="position">{ format!("step {} of {}", props.cursor, total) }</span>
                <span class="time" data-test="time" title="Logical time of the emulated world">
                    { props.now.to_string() }
                </span>
            </div>
            <p class="keys" aria-hidden="true">
                <kbd>{ "→" }</kbd>{ " step · " }<kbd>{ "←" }</kbd>{ " back · " }
                <kbd>{ "space" }</kbd>{ " play" }
            </p>
        </header>
    }
}

/// The buttons' pictograms, drawn inline so they need no icon font.
#[derive(Clone, Copy)]
enum Icon {
    Reset,
    Back,
    Step,
    Play,
    Pause,
}

fn icon(kind: Icon) -> Html {
    let path = match kind {
        Icon::Reset => "M4 3v4h4 M4.6 6.6A5 5 0 1 1 3.2 10",
        Icon::Back => "M10 3 4 8l6 5z",
        Icon::Step => "M6 3l6 5-6 5z",
        Icon::Play => "M5 3l8 5-8 5z",
        Icon::Pause => "M5 3h2v10H5z M9 3h2v10H9z",
    };
    let class = match kind {
        Icon::Reset => "icon stroke",
        _ => "icon",
    };
    html! {
        <svg class={class} viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"
            focusable="false">
            <path d={path} />
        </svg>
    }
}
