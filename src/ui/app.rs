//! The root component: owns the state, wires the keyboard and the play timer, lays out
//! the screen.

use super::card_panel::CardPanel;
use super::controls::Controls;
use super::diagram::{Arrow, Diagram};
use super::dom;
use super::inspector::Inspector;
use super::lanes::Lanes;
use super::legend::Legend;
use super::model::{apply, Action, Causality, Model, SideTab};
use super::network_panel::NetworkPanel;
use super::phone_screen::PhoneScreen;
use super::server_console::ServerConsole;
use super::side_tabs::{ids, SideTabs};
use gloo::events::{EventListener, EventListenerOptions};
use gloo::timers::callback::Interval;
use std::cell::{Ref, RefCell};
use std::rc::Rc;
use yew::prelude::*;

/// Milliseconds between two steps while playing.
pub const PLAY_INTERVAL_MS: u32 = 500;

/// The reducer state handed to `use_reducer`.
///
/// Why a shared cell and a version instead of `Rc<Model>`: Yew keeps the previous
/// `Rc` alive (the hook handle holds it), so a classic `Rc::make_mut` reducer would
/// deep-clone the [`crate::sim::Playback`] — its whole log and world snapshots — on
/// every action, including each pointer move over the hex view. Here the model is
/// mutated in place by the pure [`apply`] and every change yields a new `Store` with a
/// bumped `version`, which is what triggers the re-render and what `PartialEq` compares.
/// Nothing keeps an old `Store` to read the old state from, so the sharing is safe.
#[derive(Clone, Debug)]
pub struct Store {
    model: Rc<RefCell<Model>>,
    version: u64,
}

impl Store {
    pub fn new(seed: u64) -> Store {
        Store {
            model: Rc::new(RefCell::new(Model::new(seed))),
            version: 0,
        }
    }

    /// The current model (read only; change it by dispatching an [`Action`]).
    pub fn model(&self) -> Ref<'_, Model> {
        self.model.borrow()
    }
}

impl PartialEq for Store {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.model, &other.model) && self.version == other.version
    }
}

impl Reducible for Store {
    type Action = Action;

    /// The one-line adapter: apply, and hand back a new version only if something changed
    /// (returning the same `Rc` skips the render).
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        if apply(&mut self.model.borrow_mut(), action) {
            Rc::new(Store {
                model: Rc::clone(&self.model),
                version: self.version + 1,
            })
        } else {
            self
        }
    }
}

/// How components send actions: provided as a context by [`App`].
pub type Dispatch = UseReducerDispatcher<Store>;

#[derive(Properties, PartialEq)]
pub struct AppProps {
    /// Seed of the world's PRNG; the same seed gives the same run.
    #[prop_or(1)]
    pub seed: u64,
}

impl Default for AppProps {
    fn default() -> Self {
        AppProps { seed: 1 }
    }
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let store = use_reducer({
        let seed = props.seed;
        move || Store::new(seed)
    });
    let dispatch = store.dispatcher();

    // Keyboard shortcuts for the whole page: → Step, ← Back, space Play/Pause.
    {
        let dispatch = dispatch.clone();
        use_effect_with((), move |_| {
            let listener = EventListener::new_with_options(
                &gloo::utils::document(),
                "keydown",
                EventListenerOptions::enable_prevent_default(),
                move |event| {
                    if let Some(action) = dom::shortcut(event) {
                        event.prevent_default();
                        dispatch.dispatch(action);
                    }
                },
            );
            move || drop(listener)
        });
    }

    // The play timer runs while `playing`; `Tick` stops playing at the end of the run.
    let playing = store.model().playing;
    {
        let dispatch = dispatch.clone();
        use_effect_with(playing, move |playing| {
            let timer = playing
                .then(|| Interval::new(PLAY_INTERVAL_MS, move || dispatch.dispatch(Action::Tick)));
            move || drop(timer)
        });
    }

    // Views derived from the log are rebuilt only when the cursor or the selection moves.
    let revision = store.model().revision;
    let selected_index = store.model().selected_index();
    let arrows = {
        let store = store.clone();
        use_memo(revision, move |_| {
            let model = store.model();
            model
                .playback
                .shown()
                .iter()
                .enumerate()
                .map(|(index, event)| Arrow::of(index, event))
                .collect::<Vec<_>>()
        })
    };
    let causality = {
        let store = store.clone();
        use_memo((revision, selected_index), move |_| {
            let model = store.model();
            selected_index
                .map(|index| Causality::of(model.playback.shown(), index))
                .unwrap_or_default()
        })
    };
    let selected_event = {
        let store = store.clone();
        use_memo((revision, selected_index), move |_| {
            store.model().selected_event().cloned().map(Rc::new)
        })
    };

    let model = store.model();
    let current = model.cursor().checked_sub(1);
    let card_changes = model
        .changes
        .as_ref()
        .map_or(0, |c| c.files.len() + c.pins.len());
    let (tab_id, panel_id) = ids(model.tab);
    html! {
        <ContextProvider<Dispatch> context={dispatch.clone()}>
            <div class="app">
                <Controls
                    cursor={model.cursor()}
                    total={model.total()}
                    run_complete={model.run_complete}
                    now={model.now}
                    playing={model.playing}
                    can_step={model.can_step()}
                    can_back={model.can_back()}
                />
                <section class="stage" aria-label="Lanes and sequence diagram">
                    <div class="diagram-scroll" data-test="diagram-scroll">
                        <Lanes lines={model.lanes.clone()} />
                        <Diagram {arrows} {current} selected={selected_index} {causality} />
                    </div>
                    <Legend />
                </section>
                <div class="side">
                    <SideTabs tab={model.tab} card_changes={card_changes} />
                    <div class="side-panel" role="tabpanel" id={panel_id}
                        aria-labelledby={tab_id}>
                        { match model.tab {
                            SideTab::Inspector => html! {
                                <Inspector
                                    event={(*selected_event).clone()}
                                    index={selected_index}
                                    pinned={model.pinned.is_some_and(|p| Some(p) != current)}
                                    selected_field={model.selected_field.clone()}
                                    selected_byte={model.selected_byte}
                                    hover={model.hover.clone()}
                                    collapsed={Rc::clone(&model.collapsed)}
                                    notice={model.notice.clone()}
                                />
                            },
                            SideTab::Card => html! {
                                <CardPanel
                                    view={model.card.clone()}
                                    cursor={model.cursor()}
                                    changes={model.changes.clone()}
                                    selected_file={model.selected_file.clone()}
                                    folded={Rc::clone(&model.folded)}
                                    apdu_input={model.apdu_input.clone()}
                                    apdu_echo={model.apdu_echo.clone()}
                                    apdu_blocker={model.apdu_blocker.clone()}
                                    steps_after_cursor={model.steps_after_cursor()}
                                />
                            },
                            SideTab::Phone => html! {
                                <PhoneScreen view={model.phone.clone()} />
                            },
                            SideTab::Network => html! {
                                <NetworkPanel
                                    view={model.network.clone()}
                                    forms={model.fault_forms.clone()}
                                    steps_after_cursor={model.steps_after_cursor()}
                                />
                            },
                            SideTab::Server => html! {
                                <ServerConsole
                                    scenario={model.playback.scenario()}
                                    view={model.server.clone()}
                                    form={model.ota_form.clone()}
                                    connect_form={model.connect_form.clone()}
                                    steps_after_cursor={model.steps_after_cursor()}
                                />
                            },
                        } }
                    </div>
                </div>
            </div>
        </ContextProvider<Dispatch>>
    }
}
