//! Built-in runs, recorded from a seed: what `bipscope run --scenario` prints and what a
//! user interface can start from.

use super::{Action, Timeline, World};
use crate::card::{Card, Profile};
use crate::server::campaign::{Campaign, CampaignState, Step};
use crate::server::session::{ConnectRequest, SessionState};
use crate::server::{OtaMessage, OtaOutcome, Tampering};
use crate::server::{Server, RFM_TAR, SCWS_ADMIN_TAR, SCWS_START, SELECT_MF};
use crate::wire::ota::PorStatus;

/// Steps a scenario records at most between two user actions (far more than any needs).
const STEP_LIMIT: usize = 10_000;

/// Steps the patent campaign may take: a megabyte of content takes about 4 600
/// RECEIVE DATA exchanges of 4 events each, plus TCP.
const PATENT_STEP_LIMIT: usize = 2_000_000;

/// The page the patent scenario pushes by default.
const PATENT_PAGE: &str =
    "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Updated</title>\
<link rel=\"stylesheet\" href=\"/style.css\"></head>\n<body><h1>Updated over BIP</h1>\
<p>This page was replaced by the operator's remote administration server through the phone's \
access gateway (patent steps S200\u{2013}S600).</p></body></html>\n";

/// What the two servers of [`Scenario::MultiServer`] store.
const MULTI_SERVER_PAGES: [&str; 2] = [
    "<!doctype html><title>Updated by ras-1</title><p>Pushed in clear on 3516.</p>\n",
    "Updated by ras-2 over TLS on 4116.\n",
];

/// A resource the patent campaign pushes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    /// The URL path, e.g. `/index.html`.
    pub path: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

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
    /// The whole method of the patent, S200 to S600, as the server's campaign
    /// ([`Scenario::patent_campaign`]): wake the SCWS by SMS, connect through the push
    /// proxy gateway and the gateway's channel, replace `/index.html` and read it back,
    /// close; then reconfigure by SMS (the gateway to TLS with certificates on 4116, the
    /// card to listen there) and read the page again over TLS.
    Patent,
    /// The patent flow pushing a 64 KiB `/manual.html`, with the backbone cut after the
    /// card has taken 40 RECEIVE DATA of it: the card hears link dropped and keeps the old
    /// manual, the server's campaign reconnects and pushes it again, and the new manual
    /// arrives whole.
    LinkDrop,
    /// The SCWS start, then three attacks, all refused with nothing changed: a rogue
    /// server connects (the gateway's allow-list resets it), the start SMS is replayed
    /// (its counter is no longer higher: PoR `02`), and a start SMS with a byte flipped
    /// arrives (its checksum fails: nothing executed).
    Attack,
    /// Two servers update the card at once over two channels (the patent's claim 7):
    /// the SCWS listens on 3516 and on 4116, ras-1 PUTs `/index.html` in clear on 3516
    /// while ras-2 PUTs `/readme.txt` over TLS on 4116.
    MultiServer,
}

impl Scenario {
    pub const ALL: [Scenario; 9] = [
        Scenario::PowerOn,
        Scenario::Ota,
        Scenario::ScwsStart,
        Scenario::ScwsGet,
        Scenario::UsbUicc,
        Scenario::Patent,
        Scenario::LinkDrop,
        Scenario::Attack,
        Scenario::MultiServer,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::PowerOn => "power-on",
            Scenario::Ota => "ota",
            Scenario::ScwsStart => "scws-start",
            Scenario::ScwsGet => "scws-get",
            Scenario::UsbUicc => "usb-uicc",
            Scenario::Patent => "patent",
            Scenario::LinkDrop => "link-drop",
            Scenario::Attack => "attack",
            Scenario::MultiServer => "multi-server",
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

    /// The content [`Scenario::Patent`] pushes by default: a new `/index.html`.
    pub fn patent_content() -> Vec<Upload> {
        vec![Upload {
            path: "/index.html".to_string(),
            content_type: "text/html; charset=utf-8".to_string(),
            body: PATENT_PAGE.as_bytes().to_vec(),
        }]
    }

    /// The campaign of [`Scenario::Patent`], pushing `content`: S200–S300 (start the SCWS
    /// on 3516), S400 (connect as ras-1), S500 (PUT each resource, GET each back, close),
    /// S600 (the gateway: TLS with certificates on 4116; the card: store port 4116 and
    /// secure, then start again), S400–S500 over TLS (GET each resource, close).
    pub fn patent_campaign(content: &[Upload]) -> Campaign {
        let settings = vec![0x80, 0x02, 0x10, 0x14, 0x82, 0x01, 0x01, 0x84, 0x01, 0x02];
        let mut reconfigure = vec![0xA1, settings.len() as u8];
        reconfigure.extend(&settings);
        reconfigure.extend([0xA0, 0x00]);
        let connect = |port, secure| Step::Connect {
            server: "ras-1.operator.example".to_string(),
            port,
            secure,
        };
        let verify = || {
            content.iter().map(|upload| Step::Get {
                path: upload.path.clone(),
                expect: Some(upload.body.clone()),
            })
        };
        let mut steps = vec![
            Step::Ota {
                data: SCWS_START.to_vec(),
            },
            connect(3516, false),
        ];
        steps.extend(content.iter().map(|upload| Step::Put {
            path: upload.path.clone(),
            content_type: upload.content_type.clone(),
            body: upload.body.clone(),
        }));
        steps.extend(verify());
        steps.push(Step::Close);
        steps.push(Step::ConfigureGateway { settings });
        steps.push(Step::Ota { data: reconfigure });
        steps.push(connect(4116, true));
        steps.extend(verify());
        steps.push(Step::Close);
        Campaign {
            name: "patent".to_string(),
            steps,
            retries: 3,
        }
    }

    /// The content [`Scenario::LinkDrop`] pushes: a 64 KiB manual.
    pub fn link_drop_content() -> Vec<Upload> {
        let line = "The operator's manual, updated over BIP through the phone's access gateway.\n";
        let body: Vec<u8> = line.bytes().cycle().take(64 * 1024).collect();
        vec![Upload {
            path: "/manual.html".to_string(),
            content_type: "text/plain; charset=utf-8".to_string(),
            body,
        }]
    }

    /// [`Scenario::LinkDrop`]: the patent flow with its 64 KiB push, the backbone cut
    /// after the 40th RECEIVE DATA.
    pub fn record_link_drop(seed: u64) -> Timeline {
        let mut timeline = Scenario::start_patent(seed, &Scenario::link_drop_content());
        let mut receive_data = 0;
        while let Some(event) = timeline.advance() {
            receive_data += usize::from(event.title.starts_with("RECEIVE DATA"));
            if receive_data == 40 {
                break;
            }
        }
        timeline.act(Action::CutLink(crate::net::ip::Link::Backbone));
        timeline.run(PATENT_STEP_LIMIT);
        timeline
    }

    /// [`Scenario::Patent`] pushing `content` instead of the default page.
    pub fn record_patent(seed: u64, content: &[Upload]) -> Timeline {
        let mut timeline = Scenario::start_patent(seed, content);
        timeline.run(PATENT_STEP_LIMIT);
        timeline
    }

    /// [`Scenario::Patent`] up to the start of its campaign: the phone on, the campaign
    /// pushing `content` queued. Running the timeline on plays it (the command line does,
    /// with a progress line).
    pub fn start_patent(seed: u64, content: &[Upload]) -> Timeline {
        let mut timeline = Timeline::new(Scenario::Patent.world(seed));
        timeline.run(STEP_LIMIT);
        timeline.act(Action::ServerCampaign(Scenario::patent_campaign(content)));
        timeline
    }

    /// The scenario's own checks on the world it ended in: what it did, in words, or
    /// what did not happen.
    pub fn check(self, world: &World) -> Result<String, String> {
        let session_read = |world: &World| match world.server().sessions().sessions().last() {
            Some(session)
                if session.state == SessionState::Finished
                    && session.received.starts_with(b"HTTP/1.1 200 ") =>
            {
                Ok(format!(
                    "the server read {} bytes from the card",
                    session.received.len()
                ))
            }
            Some(session) => Err(format!("the server's session ended {:?}", session.state)),
            None => Err("the server opened no session".to_string()),
        };
        match self {
            Scenario::PowerOn if world.phone().attached() => {
                Ok("the phone started the card and attached".to_string())
            }
            Scenario::PowerOn => Err(format!("the phone is {:?}", world.phone().state())),
            Scenario::Ota | Scenario::ScwsStart => match world.server().sent().last() {
                Some(OtaMessage {
                    outcome: Some(OtaOutcome::Por(por)),
                    ..
                }) if por.status == PorStatus::Ok => Ok(format!(
                    "PoR 00, additional data {}",
                    crate::wire::hex::spaced(&por.data)
                )),
                Some(message) => Err(format!("the OTA ended {:?}", message.outcome)),
                None => Err("no OTA was sent".to_string()),
            },
            Scenario::ScwsGet | Scenario::UsbUicc => session_read(world),
            Scenario::MultiServer => {
                let updated = [("/index.html", 0), ("/readme.txt", 1)]
                    .iter()
                    .all(|(path, i)| {
                        world
                            .card()
                            .scws_resource(path)
                            .is_some_and(|r| r.body == MULTI_SERVER_PAGES[*i].as_bytes())
                    });
                let sessions = world.server().sessions().sessions();
                let answered = sessions.len() == 2
                    && sessions.iter().all(|s| {
                        s.state == SessionState::Finished && s.received.starts_with(b"HTTP/1.1 20")
                    });
                if updated && answered {
                    Ok("ras-1 (3516) and ras-2 (4116, TLS) both updated the card".to_string())
                } else {
                    Err(format!("updated: {updated}; both answered: {answered}"))
                }
            }
            Scenario::Attack => {
                let refused = match world.server().sessions().sessions().first() {
                    Some(session) => {
                        matches!(session.state, SessionState::Failed(_))
                            && session.received.is_empty()
                    }
                    None => false,
                };
                let outcomes: Vec<String> = world
                    .server()
                    .sent()
                    .iter()
                    .skip(1)
                    .map(|m| match &m.outcome {
                        Some(OtaOutcome::Por(por)) => format!("PoR {:02X}", por.status.byte()),
                        other => format!("{other:?}"),
                    })
                    .collect();
                let untouched = world.card().scws_resource("/index.html").is_some()
                    && world.phone().gateway().channels().count() == 1;
                if refused && untouched && outcomes.len() == 2 && outcomes[0] == "PoR 02" {
                    Ok(format!(
                        "rogue server refused; replay answered {}; flipped byte answered {}; nothing changed",
                        outcomes[0], outcomes[1]
                    ))
                } else {
                    Err(format!(
                        "rogue refused: {refused}; OTA outcomes {outcomes:?}; card untouched: {untouched}"
                    ))
                }
            }
            Scenario::LinkDrop => {
                let manual = &Scenario::link_drop_content()[0];
                let arrived = world
                    .card()
                    .scws_resource(&manual.path)
                    .is_some_and(|r| r.body == manual.body);
                match world.server().campaign() {
                    Some(run) if run.state == CampaignState::Done && arrived => Ok(format!(
                        "the manual arrived whole after {} reconnection(s); campaign {}",
                        run.journal
                            .iter()
                            .filter(|l| l.contains("reconnecting"))
                            .count(),
                        run.progress()
                    )),
                    Some(run) => Err(format!("campaign {}", run.progress())),
                    None => Err("no campaign ran".to_string()),
                }
            }
            Scenario::Patent => match world.server().campaign() {
                Some(run) if run.state == CampaignState::Done => {
                    Ok(format!("campaign {}", run.progress()))
                }
                Some(run) => Err(format!("campaign {}", run.progress())),
                None => Err("no campaign ran".to_string()),
            },
        }
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
        match self {
            Scenario::Patent => return Scenario::record_patent(seed, &Scenario::patent_content()),
            Scenario::LinkDrop => return Scenario::record_link_drop(seed),
            _ => {}
        }
        let mut timeline = Timeline::new(self.world(seed));
        timeline.run(STEP_LIMIT);
        let requests = match self {
            Scenario::PowerOn => vec![],
            Scenario::Ota => vec![Scenario::ota_request()],
            Scenario::ScwsStart => vec![Scenario::scws_start_request()],
            Scenario::ScwsGet => vec![Scenario::scws_start_request(), Scenario::index_request()],
            Scenario::UsbUicc => vec![Scenario::index_request()],
            Scenario::MultiServer => {
                let put = |server: &str, port, secure, path: &str, body: &str| {
                    let mut send = format!(
                        "PUT {path} HTTP/1.1\r\nHost: 192.0.2.10:{port}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    send.extend_from_slice(body.as_bytes());
                    Action::ServerConnect(ConnectRequest {
                        server: server.to_string(),
                        port,
                        send,
                        secure,
                    })
                };
                vec![
                    Scenario::scws_start_request(),
                    Action::ServerSendOta(
                        Server::new()
                            .request(SCWS_ADMIN_TAR, vec![0xA0, 0x04, 0x80, 0x02, 0x10, 0x14]),
                    ),
                    put(
                        "ras-1.operator.example",
                        3516,
                        false,
                        "/index.html",
                        MULTI_SERVER_PAGES[0],
                    ),
                    put(
                        "ras-2.operator.example",
                        4116,
                        true,
                        "/readme.txt",
                        MULTI_SERVER_PAGES[1],
                    ),
                ]
            }
            Scenario::Attack => vec![
                Scenario::scws_start_request(),
                Action::ServerConnect(ConnectRequest {
                    server: "rogue".to_string(),
                    port: 3516,
                    send: b"DELETE /index.html HTTP/1.1\r\nHost: 192.0.2.10\r\n\r\n".to_vec(),
                    secure: false,
                }),
                Action::ServerAttackOta {
                    id: 1,
                    tampering: Tampering::Replay,
                },
                Action::ServerAttackOta {
                    id: 1,
                    tampering: Tampering::Flip,
                },
            ],
            Scenario::Patent | Scenario::LinkDrop => vec![],
        };
        // Each request runs to its end before the next, except the two servers of
        // multi-server, which start at the same instant.
        let together = if self == Scenario::MultiServer { 2 } else { 1 };
        let (each, last) = requests.split_at(requests.len().saturating_sub(together));
        for request in each {
            timeline.act(request.clone());
            timeline.run(STEP_LIMIT);
        }
        for request in last {
            timeline.act(request.clone());
        }
        timeline.run(STEP_LIMIT);
        timeline
    }
}

#[cfg(test)]
mod tests;
