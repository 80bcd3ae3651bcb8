//! The server's campaigns: a script of steps run in order (patent steps S200–S600), each
//! waiting for its outcome before the next starts, and stopping at the first failure.
//!
//! | step | does | done when |
//! |---|---|---|
//! | [`Step::Ota`] | an OTA SMS to the SCWS administration TAR (`A0` start, S200; `A1` reconfigure, S600) | the PoR is in, status `00`, every result `00` |
//! | [`Step::ConfigureGateway`] | the gateway's configuration SMS (S600) | at once (the SMS centre delivers it) |
//! | [`Step::Connect`] | locate the phone (PO-TCP) and connect as a server identity (S400) | the connection is open |
//! | [`Step::Put`] / [`Step::Get`] / [`Step::Delete`] | an HTTP request on that connection (S500) | its whole response is in, with the status expected (and for GET the body expected) |
//! | [`Step::Close`] | close the connection | the card has closed its side too |

use super::session::SessionState;
use super::{OtaOutcome, Server, SCWS_ADMIN_TAR};
use crate::net::ip::PHONE_ADDRESS_POOL;
use crate::sim::{Instant, Message, NodeId};
use crate::wire::http::message_len;
use crate::wire::ipv4::address_text;
use crate::wire::ota::PorStatus;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// One step of a campaign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Send these SCWS administration commands by OTA SMS.
    Ota { data: Vec<u8> },
    /// Send the gateway this configuration.
    ConfigureGateway { settings: Vec<u8> },
    /// Connect to the card's port as `server`, over TLS when `secure`.
    Connect {
        server: String,
        port: u16,
        secure: bool,
    },
    /// Store `body` at `path` (expects 201 or 204).
    Put {
        path: String,
        content_type: String,
        body: Vec<u8>,
    },
    /// Read `path` (expects 200, and `expect` as the body when given).
    Get {
        path: String,
        expect: Option<Vec<u8>>,
    },
    /// Remove `path` (expects 204).
    Delete { path: String },
    /// Close the connection.
    Close,
}

impl Step {
    /// The patent step this step carries out, and the standards it uses, e.g. `S500 (RFC
    /// 9112 over BIP: TS 102 223 §6.4.29–6.4.30)`.
    pub fn patent_step(&self) -> &'static str {
        match self {
            Step::Ota { data } if data.first() == Some(&0xA1) => {
                "S600 (OTA: TS 102 225 secured packet, TS 23.040 SMS; the card re-opens its channel)"
            }
            Step::Ota { .. } => {
                "S200–S300 (OTA: TS 102 225 secured packet, TS 23.040 SMS; OPEN CHANNEL, TS 102 223 §6.4.27)"
            }
            Step::ConfigureGateway { .. } => {
                "S600 (SMS with application port addressing, TS 23.040 §9.2.3.24.4)"
            }
            Step::Connect { .. } => {
                "S400 (PO-TCP, OMA Push; TCP, RFC 9293; channel status event, TS 102 223 §7.5.11)"
            }
            Step::Put { .. } | Step::Get { .. } | Step::Delete { .. } => {
                "S500 (HTTP, RFC 9112, over BIP: TS 102 223 §6.4.29–6.4.30, §7.5.10)"
            }
            Step::Close => "S500 (TCP FIN, RFC 9293; CLOSE CHANNEL, TS 102 223 §6.4.28)",
        }
    }

    /// E.g. `PUT /index.html (1048576 bytes)`.
    pub fn summary(&self) -> String {
        match self {
            Step::Ota { data } => {
                format!("OTA to the SCWS agent ({})", crate::wire::hex::spaced(data))
            }
            Step::ConfigureGateway { settings } => format!(
                "configure the gateway ({})",
                crate::wire::hex::spaced(settings)
            ),
            Step::Connect {
                server,
                port,
                secure,
            } => format!(
                "connect as {server} to port {port}{}",
                if *secure { " over TLS" } else { "" }
            ),
            Step::Put { path, body, .. } => format!("PUT {path} ({} bytes)", body.len()),
            Step::Get { path, .. } => format!("GET {path}"),
            Step::Delete { path } => format!("DELETE {path}"),
            Step::Close => "close the connection".to_string(),
        }
    }
}

/// A campaign: its name, its steps, and how often it may reconnect and start again from
/// its last [`Step::Connect`] when the connection is lost (a reset, a timeout, the card
/// closing before it answered), [`RETRY_DELAY_MICROS`] later each time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub name: String,
    pub steps: Vec<Step>,
    #[serde(default)]
    pub retries: u8,
}

/// How long a campaign waits before reconnecting after a lost connection.
pub const RETRY_DELAY_MICROS: u64 = 2_000_000;

/// Where a campaign is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CampaignState {
    /// Step `step` (0-based) is under way.
    Running {
        step: usize,
    },
    Done,
    Failed {
        step: usize,
        why: String,
    },
}

/// What the step under way waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Waiting {
    /// Nothing: the step has not started.
    Start,
    /// The outcome of OTA message `id`.
    Por(u64),
    /// Session `id` to open.
    Open(u32),
    /// A whole HTTP response on the session, with this status (any of them).
    Response { statuses: &'static [u16] },
    /// The card to close its side.
    Closed(u32),
    /// The time to reconnect.
    Until(Instant),
    /// Nothing: the step is done once its message is out.
    Sent,
}

/// A campaign being run by the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignRun {
    /// Shared: a snapshot of the world copies a pointer, not the content it pushes.
    pub campaign: Arc<Campaign>,
    pub state: CampaignState,
    /// One line per finished step, in words.
    pub journal: Vec<String>,
    waiting: Waiting,
    session: Option<u32>,
    /// Bytes of the session's input already read as responses.
    consumed: usize,
    /// Reconnections left.
    retries_left: u8,
}

impl CampaignRun {
    /// E.g. `step 3 of 7: PUT /index.html (1048576 bytes)`, `done (7 steps)`, `failed at
    /// step 3 (GET /x): answered 404`.
    pub fn progress(&self) -> String {
        let total = self.campaign.steps.len();
        let summary = |step: usize| {
            self.campaign
                .steps
                .get(step)
                .map(Step::summary)
                .unwrap_or_default()
        };
        match &self.state {
            CampaignState::Running { step } => {
                format!("step {} of {total}: {}", step + 1, summary(*step))
            }
            CampaignState::Done => format!("done ({total} steps)"),
            CampaignState::Failed { step, why } => {
                format!("failed at step {} ({}): {why}", step + 1, summary(*step))
            }
        }
    }

    pub fn new(campaign: Campaign) -> CampaignRun {
        CampaignRun {
            retries_left: campaign.retries,
            campaign: Arc::new(campaign),
            state: CampaignState::Running { step: 0 },
            journal: Vec::new(),
            waiting: Waiting::Start,
            session: None,
            consumed: 0,
        }
    }
}

/// A complete HTTP response at the start of `bytes`: status, body and length, if it is
/// all there (the body framed by Content-Length; none means no body).
fn response(bytes: &[u8]) -> Option<(u16, Vec<u8>, usize)> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(head) = parsed.parse(bytes).ok()? else {
        return None;
    };
    let length = message_len(bytes, head, parsed.headers)?;
    Some((parsed.code?, bytes[head..length].to_vec(), length))
}

/// Whether every result TLV in a PoR's data (`B0 01 ss` …) is `00`.
fn all_results_ok(data: &[u8]) -> bool {
    let mut rest = data;
    while let [_, 1, status, tail @ ..] = rest {
        if *status != 0 {
            return false;
        }
        rest = tail;
    }
    rest.is_empty() && !data.is_empty()
}

impl Server {
    /// Starts `campaign` now (replacing any other).
    pub(super) fn start_campaign(&mut self, now: Instant, campaign: Campaign) -> Vec<Message> {
        self.campaign = Some(CampaignRun::new(campaign));
        self.advance_campaign(now)
    }

    /// Moves the campaign on as far as what has happened allows; returns what it sends.
    pub(super) fn advance_campaign(&mut self, now: Instant) -> Vec<Message> {
        let mut out = Vec::new();
        loop {
            let Some(run) = &self.campaign else {
                return out;
            };
            let CampaignState::Running { step } = run.state else {
                return out;
            };
            let campaign = Arc::clone(&run.campaign);
            let Some(current) = campaign.steps.get(step) else {
                if let Some(run) = &mut self.campaign {
                    run.state = CampaignState::Done;
                }
                return out;
            };
            match self.check_step(now, current) {
                Progress::Start => out.extend(self.start_step(now, current)),
                Progress::Wait => return out,
                Progress::Done(words) => {
                    if let Some(run) = &mut self.campaign {
                        run.journal.push(format!(
                            "{}: {words} — {}",
                            current.summary(),
                            current.patent_step()
                        ));
                        run.state = CampaignState::Running { step: step + 1 };
                        run.waiting = Waiting::Start;
                    }
                }
                Progress::Lost(why) if run_can_retry(&self.campaign, step) => {
                    let at = now.plus_micros(RETRY_DELAY_MICROS);
                    if let Some(run) = &mut self.campaign {
                        run.retries_left -= 1;
                        let again = last_connect(&run.campaign.steps, step).unwrap_or(0);
                        run.journal.push(format!(
                            "{}: {why}; reconnecting in {} s (retries left: {}) — {}",
                            current.summary(),
                            RETRY_DELAY_MICROS / 1_000_000,
                            run.retries_left,
                            current.patent_step()
                        ));
                        run.state = CampaignState::Running { step: again };
                        run.waiting = Waiting::Until(at);
                    }
                    out.push(Message::timer(NodeId::Server, at));
                    return out;
                }
                Progress::Failed(why) | Progress::Lost(why) => {
                    if let Some(run) = &mut self.campaign {
                        run.journal.push(format!(
                            "{}: {why} — {}",
                            current.summary(),
                            current.patent_step()
                        ));
                        run.state = CampaignState::Failed { step, why };
                    }
                    return out;
                }
            }
        }
    }

    fn start_step(&mut self, now: Instant, step: &Step) -> Vec<Message> {
        let session = self.campaign.as_ref().and_then(|r| r.session);
        let host = self.sessions.phone_address().unwrap_or(PHONE_ADDRESS_POOL);
        let (waiting, out) = match step {
            Step::Ota { data } => {
                let request = self.request(SCWS_ADMIN_TAR, data.clone());
                let out = self.send(&request).unwrap_or_default();
                let id = self.sent.last().map_or(0, |m| m.id);
                (Waiting::Por(id), out)
            }
            Step::ConfigureGateway { settings } => {
                let out = self.configure_gateway(settings).unwrap_or_default();
                (Waiting::Sent, out)
            }
            Step::Connect {
                server,
                port,
                secure,
            } => {
                let request = super::session::ConnectRequest {
                    server: server.clone(),
                    port: *port,
                    send: Vec::new(),
                    secure: *secure,
                };
                let out = self.sessions.connect(now, request);
                let id = self.sessions.sessions().last().map_or(0, |s| s.id);
                if let Some(run) = &mut self.campaign {
                    run.session = Some(id);
                    run.consumed = 0;
                }
                (Waiting::Open(id), out)
            }
            Step::Put {
                path,
                content_type,
                body,
            } => {
                let mut request = format!(
                    "PUT {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
                    address_text(host),
                    body.len()
                )
                .into_bytes();
                request.extend_from_slice(body);
                let out = self.write_session(now, session, &request);
                (
                    Waiting::Response {
                        statuses: &[201, 204],
                    },
                    out,
                )
            }
            Step::Get { path, .. } => {
                let request = format!(
                    "GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n",
                    address_text(host)
                );
                let out = self.write_session(now, session, request.as_bytes());
                (Waiting::Response { statuses: &[200] }, out)
            }
            Step::Delete { path } => {
                let request = format!(
                    "DELETE {path} HTTP/1.1\r\nHost: {}\r\n\r\n",
                    address_text(host)
                );
                let out = self.write_session(now, session, request.as_bytes());
                (Waiting::Response { statuses: &[204] }, out)
            }
            Step::Close => {
                let out = match session {
                    Some(id) => self.sessions.close(now, id),
                    None => Vec::new(),
                };
                (Waiting::Closed(session.unwrap_or(0)), out)
            }
        };
        if let Some(run) = &mut self.campaign {
            run.waiting = waiting;
        }
        out
    }

    fn write_session(&mut self, now: Instant, session: Option<u32>, bytes: &[u8]) -> Vec<Message> {
        match session {
            Some(id) => self.sessions.write(now, id, bytes),
            None => Vec::new(),
        }
    }

    /// How the step under way stands at `now`.
    fn check_step(&mut self, now: Instant, step: &Step) -> Progress {
        let Some(run) = &self.campaign else {
            return Progress::Wait;
        };
        match &run.waiting {
            Waiting::Start => Progress::Start,
            Waiting::Until(at) if now >= *at => Progress::Start,
            Waiting::Until(_) => Progress::Wait,
            Waiting::Sent => Progress::Done("sent".into()),
            Waiting::Por(id) => {
                let outcome = self
                    .sent
                    .iter()
                    .find(|m| m.id == *id)
                    .and_then(|m| m.outcome.clone());
                match outcome {
                    None => Progress::Wait,
                    Some(OtaOutcome::Por(por))
                        if por.status == PorStatus::Ok && all_results_ok(&por.data) =>
                    {
                        Progress::Done(format!(
                            "PoR 00, results {}",
                            crate::wire::hex::spaced(&por.data)
                        ))
                    }
                    Some(other) => Progress::Failed(format!("{other:?}")),
                }
            }
            Waiting::Open(id) => match self.sessions.session(*id).map(|s| &s.state) {
                Some(SessionState::Open) => Progress::Done("connected".into()),
                Some(SessionState::Failed(why)) => Progress::Lost(why.clone()),
                _ => Progress::Wait,
            },
            Waiting::Closed(id) => match self.sessions.session(*id).map(|s| &s.state) {
                Some(SessionState::Finished) => Progress::Done("closed".into()),
                Some(SessionState::Failed(why)) => Progress::Lost(why.clone()),
                _ => Progress::Wait,
            },
            Waiting::Response { statuses } => {
                let statuses = *statuses;
                let Some(id) = run.session else {
                    return Progress::Failed("no connection".into());
                };
                let Some(session) = self.sessions.session(id) else {
                    return Progress::Failed("no connection".into());
                };
                let state = session.state.clone();
                let Some((status, body, length)) =
                    response(session.received.get(run.consumed..).unwrap_or_default())
                else {
                    return match state {
                        SessionState::Failed(why) => Progress::Lost(why),
                        SessionState::Finished => {
                            Progress::Lost("the card closed before answering".into())
                        }
                        _ => Progress::Wait,
                    };
                };
                if let Some(run) = &mut self.campaign {
                    run.consumed += length;
                }
                if !statuses.contains(&status) {
                    return Progress::Failed(format!("answered {status}"));
                }
                match step {
                    Step::Get {
                        expect: Some(expected),
                        ..
                    } if body != *expected => Progress::Failed(format!(
                        "answered {status} with {} bytes that differ from the {} expected",
                        body.len(),
                        expected.len()
                    )),
                    _ => Progress::Done(format!("answered {status}, {} bytes", body.len())),
                }
            }
        }
    }
}

/// How a step stands.
enum Progress {
    Start,
    Wait,
    Done(String),
    Failed(String),
    /// The connection was lost: a retry may reconnect.
    Lost(String),
}

/// Whether the campaign may reconnect: retries left and a [`Step::Connect`] at or before
/// `step`.
fn run_can_retry(run: &Option<CampaignRun>, step: usize) -> bool {
    run.as_ref()
        .is_some_and(|r| r.retries_left > 0 && last_connect(&r.campaign.steps, step).is_some())
}

/// The index of the last [`Step::Connect`] at or before `step`.
fn last_connect(steps: &[Step], step: usize) -> Option<usize> {
    steps[..=step.min(steps.len().saturating_sub(1))]
        .iter()
        .rposition(|s| matches!(s, Step::Connect { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_whole_responses_only() {
        let bytes =
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 204 No Content\r\n\r\n";
        let (status, body, length) = response(bytes).unwrap();
        assert_eq!((status, body.as_slice(), length), (200, &b"abc"[..], 41));
        assert_eq!(response(&bytes[length..]).unwrap().0, 204);
        assert!(response(&bytes[..40]).is_none());
    }

    #[test]
    fn por_results_must_all_be_zero() {
        assert!(all_results_ok(&[0xB0, 0x01, 0x00, 0xB1, 0x01, 0x00]));
        assert!(!all_results_ok(&[0xB0, 0x01, 0x00, 0xB1, 0x01, 0x10]));
        assert!(!all_results_ok(&[]));
        assert!(!all_results_ok(&[0xB0, 0x02]));
    }

    #[test]
    fn progress_names_the_step_in_words() {
        let mut run = CampaignRun::new(Campaign {
            name: "c".into(),
            steps: vec![Step::Close, Step::Delete { path: "/x".into() }],
            retries: 0,
        });
        assert_eq!(run.progress(), "step 1 of 2: close the connection");
        run.state = CampaignState::Failed {
            step: 1,
            why: "answered 404".into(),
        };
        assert_eq!(run.progress(), "failed at step 2 (DELETE /x): answered 404");
    }
}
