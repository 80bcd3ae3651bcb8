//! Playback over a recorded run: the cursor the UI and the command line move.

use super::{Action, Event, Scenario, Timeline, World};

/// A recording plus a cursor: how many of its events are shown. Stepping forward past the
/// end records a new step; stepping back only moves the cursor, and [`Playback::world`]
/// rebuilds the state at the cursor from the timeline's snapshots.
#[derive(Clone, Debug)]
pub struct Playback {
    seed: u64,
    scenario: Scenario,
    timeline: Timeline,
    cursor: usize,
}

impl Playback {
    /// The built-in power-on exchange with the PRNG seeded from `seed`, nothing shown yet.
    pub fn new(seed: u64) -> Playback {
        Playback {
            seed,
            scenario: Scenario::PowerOn,
            timeline: Timeline::new(World::power_on(seed)),
            cursor: 0,
        }
    }

    /// The built-in `scenario` recorded from `seed` ([`Scenario::record`]), nothing shown
    /// yet; [`Playback::reset`] starts it over.
    pub fn for_scenario(scenario: Scenario, seed: u64) -> Playback {
        Playback {
            seed,
            scenario,
            timeline: scenario.record(seed),
            cursor: 0,
        }
    }

    /// The scenario this playback started from.
    pub fn scenario(&self) -> Scenario {
        self.scenario
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Number of events shown (0: none yet).
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The events shown: the log up to the cursor.
    pub fn shown(&self) -> &[Event] {
        &self.timeline.log()[..self.cursor]
    }

    /// The last event shown.
    pub fn current(&self) -> Option<&Event> {
        self.shown().last()
    }

    /// Every event recorded so far, including those after the cursor.
    pub fn recorded(&self) -> &[Event] {
        self.timeline.log()
    }

    /// Whether stepping forward would show nothing new: the cursor is at the end of the
    /// recording and the world has nothing in flight.
    pub fn at_end(&self) -> bool {
        self.cursor == self.timeline.log().len() && self.timeline.head().is_quiescent()
    }

    /// Shows one more event, recording it if needed. Returns whether the cursor moved.
    pub fn step_forward(&mut self) -> bool {
        if self.cursor == self.timeline.log().len() && self.timeline.advance().is_none() {
            return false;
        }
        self.cursor += 1;
        true
    }

    /// Shows one event less. Returns whether the cursor moved.
    pub fn step_back(&mut self) -> bool {
        if self.cursor == 0 {
            return false;
        }
        self.cursor -= 1;
        true
    }

    /// Moves the cursor to `k` events shown, recording steps as needed; stops early at the
    /// end of the run. Returns the new cursor.
    pub fn seek(&mut self, k: usize) -> usize {
        if k <= self.timeline.log().len() {
            self.cursor = k;
        } else {
            while self.cursor < k && self.step_forward() {}
        }
        self.cursor
    }

    /// Does `action` at the cursor: events recorded after the cursor are forgotten (the run
    /// branches here), the action is queued and shown as the next event.
    pub fn act(&mut self, action: Action) {
        self.timeline.truncate(self.cursor);
        self.timeline.act(action);
        self.step_forward();
    }

    /// Starts over: the same scenario from the same seed, nothing shown.
    pub fn reset(&mut self) {
        *self = match self.scenario {
            Scenario::PowerOn => Playback::new(self.seed),
            scenario => Playback::for_scenario(scenario, self.seed),
        };
    }

    /// The world as it was after the shown events.
    pub fn world(&self) -> World {
        self.timeline.state_at(self.cursor)
    }

    /// The world as it was after the first `k` recorded events (`k` is clamped to the
    /// recording), e.g. before and after one step.
    pub fn world_at(&self, k: usize) -> World {
        self.timeline.state_at(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_forward_back_and_to_the_end() {
        let mut playback = Playback::new(5);
        assert_eq!(playback.cursor(), 0);
        assert!(playback.current().is_none());
        assert!(!playback.step_back());
        assert!(playback.step_forward());
        assert_eq!(
            playback.current().map(|e| e.title.as_str()),
            Some("Power on")
        );
        assert!(playback.step_forward());
        assert!(playback.step_back());
        assert_eq!(playback.cursor(), 1);
        assert_eq!(
            playback.recorded().len(),
            2,
            "stepping back keeps the recording"
        );
        let end = playback.seek(usize::MAX);
        assert!(playback.at_end());
        assert_eq!(end, playback.recorded().len());
        assert!(!playback.step_forward());
    }

    #[test]
    fn world_follows_the_cursor() {
        let mut playback = Playback::new(5);
        playback.seek(usize::MAX);
        let end_state = playback.world();
        assert!(end_state.is_quiescent());
        playback.seek(1);
        assert_eq!(playback.world().steps(), 1);
        assert!(!playback.world().is_quiescent());
    }

    #[test]
    fn acting_in_the_past_branches_the_run() {
        let mut playback = Playback::new(5);
        playback.seek(usize::MAX);
        let end = playback.cursor();
        playback.seek(end - 2);
        playback.act(Action::PowerOn);
        assert_eq!(playback.cursor(), end - 1);
        assert_eq!(
            playback.current().map(|e| e.title.as_str()),
            Some("Power on")
        );
        assert_eq!(playback.recorded().len(), end - 1, "the old future is gone");
        playback.seek(usize::MAX);
        assert!(playback.at_end());
    }

    #[test]
    fn for_scenario_plays_the_recorded_scenario_and_resets_to_it() {
        let recorded = Scenario::Ota.record(3);
        let mut playback = Playback::for_scenario(Scenario::Ota, 3);
        assert_eq!(playback.scenario(), Scenario::Ota);
        assert_eq!(playback.cursor(), 0);
        assert_eq!(playback.recorded(), recorded.log());
        playback.seek(usize::MAX);
        assert!(playback.at_end());
        assert_eq!(playback.shown(), recorded.log());
        assert!(playback
            .shown()
            .iter()
            .any(|e| e.title.starts_with("SMS-STATUS-REPORT")));
        playback.reset();
        assert_eq!(playback.scenario(), Scenario::Ota);
        assert_eq!(playback.cursor(), 0);
        assert_eq!(playback.recorded(), recorded.log());

        let power_on = Playback::for_scenario(Scenario::PowerOn, 3);
        let mut lazy = Playback::new(3);
        lazy.seek(usize::MAX);
        assert_eq!(power_on.recorded(), lazy.recorded());
    }

    #[test]
    fn reset_starts_over_with_the_same_seed() {
        let mut playback = Playback::new(9);
        playback.seek(4);
        let first_run: Vec<Event> = playback.shown().to_vec();
        playback.reset();
        assert_eq!(playback.cursor(), 0);
        playback.seek(4);
        assert_eq!(playback.shown(), &first_run[..]);
    }
}
