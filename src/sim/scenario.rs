//! Built-in runs, recorded from a seed: what `bipscope run --scenario` prints and what a
//! user interface can start from.

use super::{Action, Timeline, World};
use crate::server::{Server, RFM_TAR, SCWS_ADMIN_TAR, SCWS_START, SELECT_MF};

/// Steps a scenario records at most between two user actions (far more than any needs).
const STEP_LIMIT: usize = 10_000;

/// A built-in run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// The phone switches on: reset, ATR, SELECT MF, GET RESPONSE, TERMINAL PROFILE,
    /// attach.
    PowerOn,
    /// Power on, then the server sends an OTA SMS to the card's remote file management
    /// (TAR B00000, SELECT MF, triple DES key set 2, SPI `16 19`: CC, ciphered, counter
    /// must be higher, PoR with CC, ciphered, by SMS-DELIVER-REPORT), through the SMS
    /// centre and the phone's SMS-PP download, and reads the PoR from the status report.
    Ota,
    /// Power on, then the server sends the SCWS administration agent (TAR 534357, the
    /// server's SPI policy) a start on port 3516 (`A0 04 80 02 0D BC`, patent step
    /// S200); the card raises OPEN CHANNEL in UICC server mode, the phone FETCHes it,
    /// its gateway listens on TCP 3516 on channel 1 and answers TERMINAL RESPONSE
    /// (step S300); the PoR carries `B0 01 00`.
    ScwsStart,
}

impl Scenario {
    pub const ALL: [Scenario; 3] = [Scenario::PowerOn, Scenario::Ota, Scenario::ScwsStart];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::PowerOn => "power-on",
            Scenario::Ota => "ota",
            Scenario::ScwsStart => "scws-start",
        }
    }

    /// The scenario with this name.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The OTA request of [`Scenario::Ota`], as the server's SPI policy makes it.
    pub fn ota_request() -> Action {
        Action::ServerSendOta(Server::new().request(RFM_TAR, SELECT_MF.to_vec()))
    }

    /// The OTA request of [`Scenario::ScwsStart`], as the server's SPI policy makes it.
    pub fn scws_start_request() -> Action {
        Action::ServerSendOta(Server::new().request(SCWS_ADMIN_TAR, SCWS_START.to_vec()))
    }

    /// Records the scenario with the PRNG seeded from `seed`, until the world is
    /// quiescent.
    pub fn record(self, seed: u64) -> Timeline {
        let mut timeline = Timeline::new(World::power_on(seed));
        timeline.run(STEP_LIMIT);
        let request = match self {
            Scenario::PowerOn => None,
            Scenario::Ota => Some(Scenario::ota_request()),
            Scenario::ScwsStart => Some(Scenario::scws_start_request()),
        };
        if let Some(request) = request {
            timeline.act(request);
            timeline.run(STEP_LIMIT);
        }
        timeline
    }
}

#[cfg(test)]
mod tests;
