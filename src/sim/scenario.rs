//! Built-in runs, recorded from a seed: what `bipscope run --scenario` prints and what a
//! user interface can start from.

use super::{Action, Timeline, World};
use crate::card::{Card, Profile};
use crate::server::session::ConnectRequest;
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
    /// The SCWS start, then the server (ras-1) reads `/index.html` from the card (steps
    /// S400–S500): it locates the phone through the push proxy gateway, connects to TCP
    /// 3516, the gateway tells the card (channel status, data available), the card
    /// takes the request with RECEIVE DATA, answers with SEND DATA and goes back to
    /// listening with CLOSE CHANNEL.
    ScwsGet,
    /// A USB UICC (ETSI TS 102 600) with its own IP stack: power on, then ras-1 reads
    /// `/index.html` straight from the card's web server, TCP all the way down to the
    /// card through the phone's port forwarding: no OTA, no BIP.
    UsbUicc,
}

impl Scenario {
    pub const ALL: [Scenario; 5] = [
        Scenario::PowerOn,
        Scenario::Ota,
        Scenario::ScwsStart,
        Scenario::ScwsGet,
        Scenario::UsbUicc,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::PowerOn => "power-on",
            Scenario::Ota => "ota",
            Scenario::ScwsStart => "scws-start",
            Scenario::ScwsGet => "scws-get",
            Scenario::UsbUicc => "usb-uicc",
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

    /// What the server sends in [`Scenario::ScwsGet`] and [`Scenario::UsbUicc`]: a GET of
    /// `/index.html` on port 3516 as ras-1.
    pub fn index_request() -> Action {
        Action::ServerConnect(ConnectRequest {
            server: "ras-1.operator.example".to_string(),
            port: 3516,
            send: b"GET /index.html HTTP/1.1\r\nHost: 192.0.2.10:3516\r\nConnection: close\r\n\r\n"
                .to_vec(),
            secure: false,
        })
    }

    /// The world a scenario starts from: the built-in card, or for
    /// [`Scenario::UsbUicc`] the built-in profile with USB on.
    fn world(self, seed: u64) -> World {
        let usb_card = || {
            let mut profile = Profile::default_profile();
            profile.usb.enabled = true;
            Card::from_profile(profile).ok()
        };
        let mut world = match self {
            Scenario::UsbUicc => match usb_card() {
                Some(card) => World::with_card(seed, card),
                None => World::new(seed),
            },
            _ => World::new(seed),
        };
        world.act(Action::PowerOn);
        world
    }

    /// Records the scenario with the PRNG seeded from `seed`, until the world is
    /// quiescent.
    pub fn record(self, seed: u64) -> Timeline {
        let mut timeline = Timeline::new(self.world(seed));
        timeline.run(STEP_LIMIT);
        let requests = match self {
            Scenario::PowerOn => vec![],
            Scenario::Ota => vec![Scenario::ota_request()],
            Scenario::ScwsStart => vec![Scenario::scws_start_request()],
            Scenario::ScwsGet => vec![Scenario::scws_start_request(), Scenario::index_request()],
            Scenario::UsbUicc => vec![Scenario::index_request()],
        };
        for request in requests {
            timeline.act(request);
            timeline.run(STEP_LIMIT);
        }
        timeline
    }
}

#[cfg(test)]
mod tests;
