//! The phone's own web browser, a local client of the card's web server (OMA Smartcard
//! Web Server: `http://127.0.0.1:3516/`).
//!
//! In a real phone the SCWS listens on a BIP channel in UICC server mode (TS 102 223
//! §6.4.27.5) and the terminal's browser reaches it through the loopback address: the
//! terminal-side client of a server-mode channel may be an application of the terminal
//! itself, so no IP packet leaves the phone and no PDP context is needed. Here the
//! browser is such a client of the gateway's listening channel on [`SCWS_PORT`]:
//!
//! ```text
//!   Browse(path) ──▶ channel listening on 3516?  ── no ──▶ Failed: not listening
//!                         │ yes, idle                        (busy: Failed, see below)
//!                         ▼
//!   PeerConnected (local) ──▶ event download: channel status 8X 00 (link established)
//!   Received (the GET)    ──▶ event download: data available ──▶ RECEIVE DATA
//!   the card's SEND DATA  ──▶ the bytes go to the browser, not to the network
//!   the card's CLOSE CHANNEL ──▶ the response is complete: Loaded (or Failed if cut)
//! ```
//!
//! The request is `GET <path> HTTP/1.1` with `Host: 127.0.0.1:3516` and `Connection:
//! close`, so the card closes after its response (RFC 9112 §9.6) and the browser waits
//! for that close. The log shows the local link's bytes honestly where they really
//! travel: in the BIP APDUs (the GET in the TERMINAL RESPONSE to RECEIVE DATA, the
//! response in the SEND DATA commands); between the browser and the gateway nothing
//! crosses a wire, so nothing else is logged.
//!
//! The gateway's admission check (patent module 50) is for remote servers: the
//! phone's own browser is not checked.
//!
//! Choices and limits:
//! - a channel that already has a peer (a server connected), or a page still loading,
//!   makes the new visit fail at once with the reason in words: the browser does not
//!   queue;
//! - a port the server reconfigured to TLS (patent step S600) is not browsed: the
//!   browser speaks plain HTTP only;
//! - the browser does not fetch what a page links to (style sheets, images);
//! - it has no timeout: a card that never closes leaves the visit loading;
//! - a USB UICC (ETSI TS 102 600) serves its pages over its own IP stack, not over a
//!   BIP channel: the browser does not reach it yet.

use super::gateway::NetIndication;
use super::link::LOCAL_PEER;
use super::Phone;
use crate::sim::{Instant, Message};
use crate::wire::http::{content_length, header_values};
use std::collections::VecDeque;

/// The port the browser asks for: IANA's port for the SCWS over HTTP.
pub const SCWS_PORT: u16 = 3516;

/// The host the browser names: the phone's loopback address and the SCWS port.
pub const SCWS_HOST: &str = "127.0.0.1:3516";

/// The most headers a response may have for the browser to read it.
const MAX_HEADERS: usize = 32;

/// The card's answer, as the browser read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// Status code, e.g. 200.
    pub status: u16,
    /// Reason phrase, e.g. `OK`.
    pub reason: String,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// Every header, in order.
    pub headers: Vec<(String, String)>,
    /// The body: what follows the head, `Content-Length` bytes of it when given.
    pub body: Vec<u8>,
    /// Every byte the card sent.
    pub raw: Vec<u8>,
}

impl Response {
    /// Reads a whole response (RFC 9112 §2–§6): the head by `httparse`, then the
    /// body. A response cut before its head ends, or before `Content-Length` bytes of
    /// body, is an error in words; chunked transfer coding is not read.
    pub fn parse(raw: &[u8]) -> Result<Response, String> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        let head = match response.parse(raw) {
            Ok(httparse::Status::Complete(head)) => head,
            Ok(httparse::Status::Partial) => {
                return Err(format!(
                    "the card closed after {} byte(s), before the end of the response head",
                    raw.len()
                ))
            }
            Err(error) => return Err(format!("the response does not read as HTTP: {error}")),
        };
        let headers: Vec<(String, String)> = response
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect();
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_string())
        };
        if header("Transfer-Encoding").is_some() {
            return Err("the response uses a transfer coding the browser does not read".into());
        }
        let mut body = raw[head..].to_vec();
        let length =
            content_length(header_values(response.headers, "content-length")).map_err(|_| {
                format!(
                    "the Content-Length {:?} is not a number",
                    header("Content-Length").unwrap_or_default()
                )
            })?;
        if let Some(length) = length {
            if body.len() < length {
                return Err(format!(
                    "the card closed after {} of {length} byte(s) of body",
                    body.len()
                ));
            }
            body.truncate(length);
        }
        Ok(Response {
            status: response.code.unwrap_or(0),
            reason: response.reason.unwrap_or_default().to_string(),
            content_type: header("Content-Type"),
            headers,
            body,
            raw: raw.to_vec(),
        })
    }

    /// The status line as a person reads it: `200 OK`.
    pub fn status_line(&self) -> String {
        format!("{} {}", self.status, self.reason)
    }
}

/// How a visit stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VisitState {
    /// Connected to the card's web server; the response is not complete yet.
    Loading,
    /// The card answered (whatever the status code).
    Loaded(Response),
    /// No page: why, in words.
    Failed(String),
}

/// One page the browser asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Visit {
    /// The path asked for, e.g. `/index.html`.
    pub path: String,
    /// When the user asked.
    pub started: Instant,
    /// When the visit ended (loaded or failed); empty while loading, and for a visit
    /// the phone's restart cut.
    pub ended: Option<Instant>,
    pub state: VisitState,
}

impl Visit {
    /// The address the browser shows: `http://127.0.0.1:3516` and the path.
    pub fn url(&self) -> String {
        format!("http://{SCWS_HOST}{}", self.path)
    }

    /// The response, once loaded.
    pub fn response(&self) -> Option<&Response> {
        match &self.state {
            VisitState::Loaded(response) => Some(response),
            _ => None,
        }
    }
}

/// The local connection of the visit under way.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Connection {
    /// The gateway's channel the browser is connected to.
    channel: u8,
    /// The visit it serves, in the history.
    visit: usize,
    /// Request bytes the channel could not take yet.
    unsent: VecDeque<u8>,
    /// What the card sent so far.
    received: Vec<u8>,
}

/// The browser: the visits so far and the connection of the one under way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Browser {
    history: Vec<Visit>,
    connection: Option<Connection>,
}

/// The request the browser sends for `path`.
pub fn request(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {SCWS_HOST}\r\nConnection: close\r\n\r\n").into_bytes()
}

/// `path` as the browser asks for it: an empty path is `/`, and a path without its
/// leading slash gets one.
pub fn normalise(path: &str) -> String {
    let path = path.trim();
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    }
}

impl Browser {
    /// Every visit, oldest first.
    pub fn history(&self) -> &[Visit] {
        &self.history
    }

    /// The last visit: the page the browser shows.
    pub fn page(&self) -> Option<&Visit> {
        self.history.last()
    }

    /// Whether a page is loading.
    pub fn loading(&self) -> bool {
        self.connection.is_some()
    }

    /// The channel the browser is connected to, if it is.
    pub fn channel(&self) -> Option<u8> {
        self.connection.as_ref().map(|c| c.channel)
    }

    /// A visit that failed before connecting.
    fn fail(&mut self, now: Instant, path: String, reason: String) {
        self.history.push(Visit {
            path,
            started: now,
            ended: Some(now),
            state: VisitState::Failed(reason),
        });
    }

    /// A visit connected to `channel`, its request waiting to go.
    fn connect(&mut self, now: Instant, path: String, channel: u8) {
        self.connection = Some(Connection {
            channel,
            visit: self.history.len(),
            unsent: request(&path).into(),
            received: Vec::new(),
        });
        self.history.push(Visit {
            path,
            started: now,
            ended: None,
            state: VisitState::Loading,
        });
    }

    /// Up to `room` bytes of the request not sent yet.
    fn take_request(&mut self, room: usize) -> Vec<u8> {
        match &mut self.connection {
            Some(connection) => {
                let take = room.min(connection.unsent.len());
                connection.unsent.drain(..take).collect()
            }
            None => Vec::new(),
        }
    }

    /// Bytes the card sent on the browser's connection.
    pub(super) fn receive(&mut self, bytes: &[u8]) {
        if let Some(connection) = &mut self.connection {
            connection.received.extend_from_slice(bytes);
        }
    }

    /// The card closed the connection at `now`: the visit ends with what it sent.
    pub(super) fn closed(&mut self, now: Instant) {
        let Some(connection) = self.connection.take() else {
            return;
        };
        let state = match Response::parse(&connection.received) {
            Ok(response) => VisitState::Loaded(response),
            Err(reason) => VisitState::Failed(reason),
        };
        self.end(connection.visit, Some(now), state);
    }

    /// The visit under way ends without a page (the phone restarted; the moment is
    /// not known to the browser, so `ended` stays empty).
    pub(super) fn abort(&mut self, reason: &str) {
        if let Some(connection) = self.connection.take() {
            self.end(
                connection.visit,
                None,
                VisitState::Failed(reason.to_string()),
            );
        }
    }

    fn end(&mut self, visit: usize, now: Option<Instant>, state: VisitState) {
        if let Some(visit) = self.history.get_mut(visit) {
            visit.ended = now;
            visit.state = state;
        }
    }
}

impl Phone {
    /// The phone's browser: the page it shows and the visits so far.
    pub fn browser(&self) -> &Browser {
        &self.browser
    }

    /// The user asks the browser for `path` on the card's web server: a local
    /// connection to the channel listening on [`SCWS_PORT`], if it is free.
    pub(super) fn browse(&mut self, now: Instant, path: &str) -> Vec<Message> {
        let path = normalise(path);
        if self.browser.loading() {
            let reason = "the browser is still loading the last page".to_string();
            self.browser.fail(now, path, reason);
            return Vec::new();
        }
        let Some(channel) = self.net.listener(SCWS_PORT) else {
            let reason = "the card's web server is not listening".to_string();
            self.browser.fail(now, path, reason);
            return Vec::new();
        };
        if self.net.policy(SCWS_PORT).tls {
            let reason =
                format!("port {SCWS_PORT} speaks TLS now; the browser speaks plain HTTP only");
            self.browser.fail(now, path, reason);
            return Vec::new();
        }
        if let Some(peer) = self.net.busy(channel, &self.gateway) {
            let reason =
                format!("the card's web server is busy: channel {channel} is connected to {peer}");
            self.browser.fail(now, path, reason);
            return Vec::new();
        }
        self.net.connect_local(channel);
        self.browser.connect(now, path, channel);
        let peer = LOCAL_PEER.to_string();
        self.network_indication(
            now,
            NetIndication::PeerConnected {
                channel,
                peer,
                secure: false,
            },
        )
    }

    /// Hands the card's channel the browser's request, as much as it can take now;
    /// whether any moved.
    pub(super) fn deliver_local(&mut self, now: Instant) -> (Vec<Message>, bool) {
        let Some(channel) = self.browser.channel() else {
            return (Vec::new(), false);
        };
        let bytes = self.browser.take_request(self.receive_space(channel));
        if bytes.is_empty() {
            return (Vec::new(), false);
        }
        let out = self.network_indication(now, NetIndication::Received { channel, bytes });
        (out, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_content_type_and_a_body_of_content_length() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\
                    Connection: close\r\n\r\nhello";
        let response = Response::parse(raw).unwrap();
        assert_eq!(response.status_line(), "200 OK");
        assert_eq!(response.content_type.as_deref(), Some("text/html"));
        assert_eq!(response.body, b"hello");
        assert_eq!(response.headers.len(), 3);
        assert_eq!(response.raw, raw);
    }

    #[test]
    fn rejects_a_response_cut_in_its_head_or_its_body() {
        let cut_head = Response::parse(b"HTTP/1.1 200 OK\r\nContent-Len").unwrap_err();
        assert!(
            cut_head.contains("before the end of the response head"),
            "{cut_head}"
        );
        let cut_body =
            Response::parse(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc").unwrap_err();
        assert_eq!(cut_body, "the card closed after 3 of 9 byte(s) of body");
        let garbage = Response::parse(b"\x00\x01 not http\r\n\r\n").unwrap_err();
        assert!(garbage.contains("does not read as HTTP"), "{garbage}");
        let chunked =
            Response::parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                .unwrap_err();
        assert!(chunked.contains("transfer coding"), "{chunked}");
    }

    #[test]
    fn asks_for_the_path_on_the_loopback_host_and_closes() {
        assert_eq!(
            request("/index.html"),
            b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:3516\r\nConnection: close\r\n\r\n"
        );
        assert_eq!(normalise(""), "/");
        assert_eq!(normalise(" readme.txt "), "/readme.txt");
        assert_eq!(normalise("/a/b"), "/a/b");
    }

    #[test]
    fn a_visit_ends_with_what_the_card_sent_before_it_closed() {
        let mut browser = Browser::default();
        browser.connect(Instant::ZERO, "/a.txt".into(), 1);
        assert!(browser.loading());
        assert_eq!(browser.take_request(10), b"GET /a.txt");
        browser.receive(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        browser.closed(Instant::ZERO.plus_micros(7));
        let page = browser.page().unwrap();
        assert_eq!(page.response().unwrap().status, 404);
        assert_eq!(page.ended, Some(Instant::ZERO.plus_micros(7)));
        assert_eq!(page.url(), "http://127.0.0.1:3516/a.txt");
        assert!(!browser.loading());
    }
}
