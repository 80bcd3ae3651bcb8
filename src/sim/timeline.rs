//! The recorded run: the event log plus snapshots for stepping backwards.

use super::{Action, Event, World};
use sha2::{Digest, Sha256};

/// How many steps apart snapshots are taken in the first [`DENSE_STEPS`] steps.
const SNAPSHOT_EVERY: usize = 32;

/// Steps recorded with a snapshot every [`SNAPSHOT_EVERY`]; after them, every
/// [`SPARSE_SNAPSHOT_EVERY`]: a long run (a megabyte through BIP is some 70 000 steps)
/// keeps its memory bounded, and going back replays at most that many steps.
const DENSE_STEPS: usize = 4_096;

/// How many steps apart snapshots are taken after [`DENSE_STEPS`].
const SPARSE_SNAPSHOT_EVERY: usize = 512;

/// Whether the world after `steps` steps is snapshotted.
fn snapshot_due(steps: usize) -> bool {
    let every = if steps <= DENSE_STEPS {
        SNAPSHOT_EVERY
    } else {
        SPARSE_SNAPSHOT_EVERY
    };
    steps % every == 0
}

/// A world run recorded step by step. The log only grows; [`Timeline::state_at`] rebuilds
/// the world as it was after any recorded step from the nearest earlier snapshot.
#[derive(Clone, Debug)]
pub struct Timeline {
    /// `(k, world)`: the world after `k` steps, in increasing `k`, the first at 0. Taken as
    /// [`snapshot_due`] says and whenever a user action is queued, so replaying from a
    /// snapshot never misses an action.
    snapshots: Vec<(usize, World)>,
    log: Vec<Event>,
    head: World,
}

impl Timeline {
    /// Starts recording `world` (usually a fresh one).
    pub fn new(world: World) -> Timeline {
        Timeline {
            snapshots: vec![(0, world.clone())],
            log: Vec::new(),
            head: world,
        }
    }

    /// Every event recorded so far, in step order.
    pub fn log(&self) -> &[Event] {
        &self.log
    }

    /// The world after the last recorded step.
    pub fn head(&self) -> &World {
        &self.head
    }

    /// Takes one more step; returns the new event, or `None` when the world is quiescent.
    pub fn advance(&mut self) -> Option<&Event> {
        let event = self.head.step()?;
        self.log.push(event);
        if snapshot_due(self.log.len()) {
            self.snapshot();
        }
        self.log.last()
    }

    /// Queues a user action on the latest state; the next steps deliver it.
    pub fn act(&mut self, action: Action) {
        self.head.act(action);
        self.snapshot();
    }

    /// Forgets every event after the first `k`, and any user action queued after step `k`
    /// (a "what if" branch starts here): the head becomes the world after `k` steps.
    pub fn truncate(&mut self, k: usize) {
        if k >= self.log.len() {
            return;
        }
        self.snapshots
            .retain(|(taken, _)| *taken < k || *taken == 0);
        self.log.truncate(k);
        self.head = self.state_at(k);
    }

    /// Records the head as the snapshot for the current log length.
    fn snapshot(&mut self) {
        let k = self.log.len();
        if matches!(self.snapshots.last(), Some((last, _)) if *last == k) {
            self.snapshots.pop();
        }
        self.snapshots.push((k, self.head.clone()));
    }

    /// Steps until the world is quiescent or `limit` more events were recorded; returns
    /// how many were recorded.
    pub fn run(&mut self, limit: usize) -> usize {
        let mut taken = 0;
        while taken < limit && self.advance().is_some() {
            taken += 1;
        }
        taken
    }

    /// The world as it was after `k` recorded steps (`k` is clamped to the log's length).
    pub fn state_at(&self, k: usize) -> World {
        let k = k.min(self.log.len());
        let at = self.snapshots.partition_point(|(taken, _)| *taken <= k);
        let (taken, snapshot) = &self.snapshots[at.saturating_sub(1)];
        let mut world = snapshot.clone();
        for _ in *taken..k {
            world.step();
        }
        world
    }

    /// SHA-256 over the whole log, as lower-case hex: equal logs and only equal logs give
    /// equal digests.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        for event in &self.log {
            event.hash_into(&mut hasher);
        }
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(seed: u64) -> Timeline {
        let mut timeline = Timeline::new(World::power_on(seed));
        timeline.run(10_000);
        timeline
    }

    #[test]
    fn same_seed_gives_identical_log_digest() {
        let a = recorded(7);
        let b = recorded(7);
        assert!(!a.log().is_empty());
        assert_eq!(a.digest(), b.digest());
        assert_eq!(a.log(), b.log());
    }

    #[test]
    fn different_seed_changes_timing_and_digest() {
        let a = recorded(7);
        let b = recorded(8);
        assert_eq!(a.log().len(), b.log().len());
        assert_ne!(a.digest(), b.digest());
    }

    #[test]
    fn state_at_every_step_equals_replay_from_start() {
        let timeline = recorded(42);
        let mut replay = World::power_on(42);
        assert_eq!(timeline.state_at(0), replay);
        for k in 1..=timeline.log().len() {
            let event = replay.step().expect("replay has as many steps as the log");
            assert_eq!(&event, &timeline.log()[k - 1]);
            assert_eq!(timeline.state_at(k), replay, "state after step {k}");
        }
        assert!(replay.is_quiescent());
    }

    #[test]
    fn state_at_across_snapshots_and_actions_equals_replay() {
        // More steps than several snapshot intervals: power the phone on again and again.
        let mut timeline = Timeline::new(World::power_on(3));
        let mut acted_after = Vec::new();
        for _ in 0..8 {
            timeline.run(10_000);
            acted_after.push(timeline.log().len());
            timeline.act(Action::PowerOn);
        }
        timeline.run(10_000);
        assert!(
            timeline.log().len() > 2 * SNAPSHOT_EVERY,
            "{}",
            timeline.log().len()
        );
        let mut replay = World::power_on(3);
        for k in 0..=timeline.log().len() {
            if k > 0 {
                replay.step();
            }
            if acted_after.contains(&k) {
                replay.act(Action::PowerOn);
            }
            assert_eq!(timeline.state_at(k), replay, "state after step {k}");
        }
    }

    #[test]
    fn state_at_after_the_dense_snapshots_equals_replay() {
        // A long run with no action in it: a 200 000-byte upload through BIP.
        let mut request =
            b"PUT /big.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n".to_vec();
        request.extend(std::iter::repeat_n(0x5A, 200_000));
        let upload = Action::ServerConnect(crate::server::session::ConnectRequest {
            server: "ras-1.operator.example".into(),
            port: 3516,
            send: request,
            secure: false,
        });
        let mut timeline = crate::sim::Scenario::ScwsStart.record(5);
        let acted_at = timeline.log().len();
        let mut replay = timeline.head().clone();
        timeline.act(upload.clone());
        replay.act(upload);
        timeline.run(100_000);
        assert!(timeline.log().len() > DENSE_STEPS + 2 * SPARSE_SNAPSHOT_EVERY);
        for k in acted_at + 1..=timeline.log().len() {
            replay.step();
            if k > DENSE_STEPS && k % 97 == 0 {
                assert_eq!(timeline.state_at(k), replay, "state after step {k}");
            }
        }
    }

    #[test]
    fn truncate_branches_from_an_earlier_step() {
        let mut timeline = recorded(11);
        let full = timeline.clone();
        timeline.truncate(4);
        assert_eq!(timeline.log(), &full.log()[..4]);
        assert_eq!(timeline.head(), &full.state_at(4));
        timeline.run(10_000);
        assert_eq!(
            timeline.log(),
            full.log(),
            "the same world replays the same steps"
        );
        timeline.truncate(2);
        timeline.act(Action::PowerOn);
        timeline.run(10_000);
        assert_eq!(timeline.log()[2].title, "Power on");
        for k in 0..=timeline.log().len() {
            let mut replay = full.state_at(2);
            replay.act(Action::PowerOn);
            for _ in 2..k {
                replay.step();
            }
            if k >= 2 {
                assert_eq!(timeline.state_at(k), replay, "state after step {k}");
            }
        }
    }

    #[test]
    fn an_ota_run_is_deterministic_and_replays_step_by_step() {
        use crate::sim::Scenario;
        let a = Scenario::Ota.record(21);
        let b = Scenario::Ota.record(21);
        assert_eq!(a.digest(), b.digest());
        assert_eq!(a.log(), b.log());
        assert_ne!(a.digest(), Scenario::Ota.record(22).digest());
        assert!(a
            .log()
            .iter()
            .any(|e| e.title.starts_with("SMS-STATUS-REPORT")));
        // The OTA action is queued once power-on is over: replay the same way.
        let acted_after = a
            .log()
            .iter()
            .position(|e| e.title == "Send OTA")
            .expect("the OTA action is in the log");
        let mut replay = World::power_on(21);
        for k in 0..=a.log().len() {
            if k > 0 {
                let event = replay.step().expect("as many steps as the log");
                assert_eq!(&event, &a.log()[k - 1]);
            }
            if k == acted_after {
                replay.act(Scenario::ota_request());
            }
            assert_eq!(a.state_at(k), replay, "state after step {k}");
        }
        assert!(replay.is_quiescent());
    }

    #[test]
    fn causes_point_backwards() {
        let timeline = recorded(1);
        assert_eq!(timeline.log()[0].caused_by, None);
        for event in &timeline.log()[1..] {
            let cause = event.caused_by.expect("every later event has a cause");
            assert!(cause < event.step);
        }
    }
}
