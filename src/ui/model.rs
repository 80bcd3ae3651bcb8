//! The first screen's state: a plain [`Model`], the [`Action`]s the controls send and a
//! pure [`apply`]. No Yew in here (after Yew's `examples/function_todomvc`): the
//! components render a `Model` and dispatch `Action`s; [`super::app`] adapts `apply` to
//! `use_reducer`.
//!
//! All emulator logic stays in [`crate::sim::Playback`]: stepping, going back and
//! resetting are calls on it, and the lanes' status lines come from
//! [`crate::sim::World::status_line`] at the cursor.

use crate::sim::{Event, Instant, NodeId, Playback};
use crate::wire::Field;
use std::collections::BTreeSet;
use std::rc::Rc;

/// How many events [`Model::new`] records ahead, so the header can say "step k of n"
/// for the whole run. The built-in scenarios are far shorter; a longer run shows "n+".
pub const RECORD_AHEAD: usize = 5_000;

/// The three lanes, left to right.
pub const LANES: [NodeId; 3] = [NodeId::Server, NodeId::Phone, NodeId::Card];

/// What the pointer (or keyboard focus) is over in the inspector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hover {
    /// A byte of the hex view, by offset.
    Byte(usize),
    /// A row of the field tree.
    Field(FieldPos),
}

/// Everything the controls, the diagram and the inspector can ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Show one more event (pauses playing).
    Step,
    /// Show one event less (pauses playing).
    Back,
    /// Start over from the same seed (pauses playing).
    Reset,
    /// Start or pause playing. Starting shows the next event at once.
    TogglePlay,
    /// One beat of the play timer: step while playing, stop at the end.
    Tick,
    /// Show the event at this index of the shown log in the inspector.
    SelectEvent(usize),
    /// Let the inspector follow the cursor again.
    FollowCursor,
    /// Pin this field's tree row (and its bytes).
    SelectField(FieldPos),
    /// Pin the byte at this offset: its deepest covering field is selected.
    SelectByte(usize),
    /// The pointer or focus entered (`Some`) or left (`None`) a byte or a tree row.
    Hover(Option<Hover>),
    /// Fold or unfold this field's tree row.
    ToggleCollapsed(FieldPos),
    /// A short message under the hex view (clipboard result); `None` clears it.
    Notice(Option<String>),
}

/// The first screen's state.
#[derive(Clone, Debug)]
pub struct Model {
    /// The recording and its cursor: the single source of truth for what is shown.
    pub playback: Playback,
    /// Index (into `playback.shown()`) of the event the user clicked; `None` follows
    /// the cursor (the inspector shows the current event).
    pub pinned: Option<usize>,
    /// The clicked tree row (or the field under the clicked byte).
    pub selected_field: Option<FieldPos>,
    /// Offset of the clicked byte, if the selection came from the hex view.
    pub selected_byte: Option<usize>,
    /// What the pointer or focus is over in the inspector.
    pub hover: Option<Hover>,
    /// Folded tree rows of the event shown (unfolded again when another event is shown).
    pub collapsed: Rc<BTreeSet<FieldPos>>,
    /// Whether the play timer is running.
    pub playing: bool,
    /// A short message shown under the hex view.
    pub notice: Option<String>,
    /// Status line of each of [`LANES`] in the world at the cursor (cached: rebuilding
    /// the world replays steps from a snapshot, too much work for every pointer move).
    pub lanes: [String; 3],
    /// Logical time of the world at the cursor.
    pub now: Instant,
    /// Whether the whole run is recorded (otherwise [`Model::total`] is a lower bound).
    pub run_complete: bool,
    /// Bumped whenever the cursor or the recording changes, so views derived from the
    /// log (arrows, the selected event) are rebuilt only then.
    pub revision: u64,
}

impl Model {
    /// A model over the built-in run seeded with `seed`, nothing shown yet.
    pub fn new(seed: u64) -> Model {
        let mut model = Model {
            playback: Playback::new(seed),
            pinned: None,
            selected_field: None,
            selected_byte: None,
            hover: None,
            collapsed: Rc::default(),
            playing: false,
            notice: None,
            lanes: Default::default(),
            now: Instant::ZERO,
            run_complete: false,
            revision: 0,
        };
        model.record_ahead();
        model.refresh_world();
        model
    }

    /// Records the run ahead and moves the cursor back to the start, so the total is known.
    fn record_ahead(&mut self) {
        let cursor = self.playback.cursor();
        self.playback.seek(RECORD_AHEAD);
        self.run_complete = self.playback.at_end();
        self.playback.seek(cursor);
    }

    /// Events shown so far.
    pub fn cursor(&self) -> usize {
        self.playback.cursor()
    }

    /// Events in the run (as far as recorded).
    pub fn total(&self) -> usize {
        self.playback.recorded().len()
    }

    pub fn can_step(&self) -> bool {
        !self.playback.at_end()
    }

    pub fn can_back(&self) -> bool {
        self.cursor() > 0
    }

    /// Index (into the shown log) of the event the inspector shows.
    pub fn selected_index(&self) -> Option<usize> {
        match self.pinned {
            Some(i) if i < self.cursor() => Some(i),
            _ => self.cursor().checked_sub(1),
        }
    }

    /// The event the inspector shows.
    pub fn selected_event(&self) -> Option<&Event> {
        self.selected_index()
            .and_then(|i| self.playback.shown().get(i))
    }

    /// The field whose row and bytes are highlighted: the hovered one, else the selected one.
    pub fn active_field(&self) -> Option<FieldPos> {
        active_field(
            self.selected_event().map(|e| &e.fields),
            self.hover.as_ref(),
            self.selected_field.as_ref(),
        )
    }

    /// Recomputes the lanes and the time from the world at the cursor.
    fn refresh_world(&mut self) {
        let world = self.playback.world();
        self.lanes = LANES.map(|node| world.status_line(node));
        self.now = world.now();
        self.revision += 1;
    }

    /// Forgets the inspector's field selection (when another event is shown).
    fn clear_inspection(&mut self) {
        self.selected_field = None;
        self.selected_byte = None;
        self.hover = None;
        self.notice = None;
        if !self.collapsed.is_empty() {
            self.collapsed = Rc::default();
        }
    }

    /// After the cursor moved: follow it and refresh what depends on the world.
    fn cursor_moved(&mut self) {
        self.pinned = None;
        self.clear_inspection();
        self.refresh_world();
    }
}

/// The field highlighted for `hover` (or, with no hover, `selected`) in `fields`.
pub fn active_field(
    fields: Option<&Field>,
    hover: Option<&Hover>,
    selected: Option<&FieldPos>,
) -> Option<FieldPos> {
    match hover {
        Some(Hover::Byte(offset)) => fields.and_then(|f| FieldPos::deepest_at(f, *offset)),
        Some(Hover::Field(pos)) => Some(pos.clone()),
        None => selected.cloned(),
    }
}

/// Where a field sits in its event's tree: the child indices from the root (empty for
/// the root). Field paths name a kind of field and repeat (two TLVs of the same tag
/// share a path); positions are unique, so selection and folding use them.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldPos(pub Vec<usize>);

impl FieldPos {
    /// The root field.
    pub fn root() -> FieldPos {
        FieldPos(Vec::new())
    }

    /// The `index`-th child of this field.
    pub fn child(&self, index: usize) -> FieldPos {
        let mut pos = self.0.clone();
        pos.push(index);
        FieldPos(pos)
    }

    /// The field at this position under `root`.
    pub fn resolve<'a>(&self, root: &'a Field) -> Option<&'a Field> {
        self.0
            .iter()
            .try_fold(root, |field, &index| field.children.get(index))
    }

    /// The position of `target` (by identity, not by value) under `root`.
    pub fn of(root: &Field, target: &Field) -> Option<FieldPos> {
        if std::ptr::eq(root, target) {
            return Some(FieldPos::root());
        }
        root.children.iter().enumerate().find_map(|(index, child)| {
            FieldPos::of(child, target).map(|mut pos| {
                pos.0.insert(0, index);
                pos
            })
        })
    }

    /// The position of [`Field::deepest_at`]`(offset)`: the innermost field covering the byte.
    pub fn deepest_at(root: &Field, offset: usize) -> Option<FieldPos> {
        root.deepest_at(offset)
            .and_then(|field| FieldPos::of(root, field))
    }

    /// Whether `other` is this field or lies inside it.
    pub fn contains(&self, other: &FieldPos) -> bool {
        other.0.starts_with(&self.0)
    }

    /// The fields above this one, from the root down (this one excluded).
    pub fn ancestors(&self) -> impl Iterator<Item = FieldPos> + '_ {
        (0..self.0.len()).map(|depth| FieldPos(self.0[..depth].to_vec()))
    }
}

impl std::fmt::Display for FieldPos {
    /// `0` for the root, `0.2.1` for the second child of the third child.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "0")?;
        for index in &self.0 {
            write!(f, ".{index}")?;
        }
        Ok(())
    }
}

/// Applies `action` to `model`. Returns whether anything changed (so the view can skip a
/// render).
pub fn apply(model: &mut Model, action: Action) -> bool {
    match action {
        Action::Step => {
            let was_playing = std::mem::replace(&mut model.playing, false);
            let moved = model.playback.step_forward();
            if moved {
                model.cursor_moved();
            }
            moved || was_playing
        }
        Action::Back => {
            let was_playing = std::mem::replace(&mut model.playing, false);
            let moved = model.playback.step_back();
            if moved {
                model.cursor_moved();
            }
            moved || was_playing
        }
        Action::Reset => {
            let was_playing = std::mem::replace(&mut model.playing, false);
            if model.cursor() == 0 {
                return was_playing;
            }
            model.playback.reset();
            model.record_ahead();
            model.cursor_moved();
            true
        }
        Action::TogglePlay => {
            if model.playing {
                model.playing = false;
                return true;
            }
            if !model.playback.step_forward() {
                return false;
            }
            model.cursor_moved();
            model.playing = !model.playback.at_end();
            true
        }
        Action::Tick => {
            if !model.playing {
                return false;
            }
            if model.playback.step_forward() {
                model.cursor_moved();
            }
            model.playing = !model.playback.at_end();
            true
        }
        Action::SelectEvent(index) => {
            if index >= model.cursor() || model.selected_index() == Some(index) {
                return false;
            }
            model.pinned = Some(index);
            model.clear_inspection();
            true
        }
        Action::FollowCursor => {
            if model.pinned.is_none() {
                return false;
            }
            let before = model.selected_index();
            model.pinned = None;
            if model.selected_index() != before {
                model.clear_inspection();
            }
            true
        }
        Action::SelectField(pos) => {
            let exists = model
                .selected_event()
                .is_some_and(|e| pos.resolve(&e.fields).is_some());
            let unchanged =
                model.selected_field.as_ref() == Some(&pos) && model.selected_byte.is_none();
            if !exists || unchanged {
                return false;
            }
            model.selected_field = Some(pos);
            model.selected_byte = None;
            true
        }
        Action::SelectByte(offset) => {
            let Some(event) = model.selected_event() else {
                return false;
            };
            if offset >= event.bytes.len() {
                return false;
            }
            let pos = FieldPos::deepest_at(&event.fields, offset);
            // Unfold the rows above the field so that its row is visible.
            if let Some(pos) = &pos {
                if pos.ancestors().any(|a| model.collapsed.contains(&a)) {
                    let collapsed = Rc::make_mut(&mut model.collapsed);
                    for ancestor in pos.ancestors() {
                        collapsed.remove(&ancestor);
                    }
                }
            }
            model.selected_field = pos;
            model.selected_byte = Some(offset);
            true
        }
        Action::Hover(hover) => {
            if model.hover == hover {
                return false;
            }
            model.hover = hover;
            true
        }
        Action::ToggleCollapsed(pos) => {
            let collapsed = Rc::make_mut(&mut model.collapsed);
            if !collapsed.remove(&pos) {
                collapsed.insert(pos);
            }
            true
        }
        Action::Notice(notice) => {
            if model.notice == notice {
                return false;
            }
            model.notice = notice;
            true
        }
    }
}
