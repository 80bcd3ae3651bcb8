//! The server console's "Connect to the card" form and what it shows of a session, with
//! no Yew in here: the form's text ([`ConnectForm`]), its check ([`check_connect`]), the
//! HTTP request it sends ([`http_get`]) and a received HTTP response split for display
//! ([`ResponseView`]). The connection itself is the core's
//! ([`crate::sim::Action::ServerConnect`], [`crate::server::session`]).

use super::model::whole_number;
use crate::card::http::MAX_HEAD;
use crate::card::scws_admin::{DEFAULT_PORT, SECURE_PORT};
use crate::net::ip::SERVER_ADDRESSES;
use crate::server::session::{ConnectRequest, Session, SessionState};

/// The path the form starts with.
pub const DEFAULT_PATH: &str = "/index.html";

/// A text field of the connect form (the secure checkbox is set on its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectField {
    /// The administration server identity, a name of [`SERVER_ADDRESSES`].
    Server,
    Port,
    /// The HTTP request's path.
    Path,
}

/// The connect form's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectForm {
    pub server: String,
    pub port: String,
    /// Speak TLS (the gateway's secure port authenticates the server by certificate).
    pub secure: bool,
    pub path: String,
}

impl Default for ConnectForm {
    /// ras-1, port 3516 (the SCWS over HTTP), not secure, `/index.html`.
    fn default() -> ConnectForm {
        ConnectForm {
            server: SERVER_ADDRESSES[0].0.to_string(),
            port: DEFAULT_PORT.to_string(),
            secure: false,
            path: DEFAULT_PATH.to_string(),
        }
    }
}

impl ConnectForm {
    pub fn get(&self, field: ConnectField) -> &str {
        match field {
            ConnectField::Server => &self.server,
            ConnectField::Port => &self.port,
            ConnectField::Path => &self.path,
        }
    }

    pub(super) fn get_mut(&mut self, field: ConnectField) -> &mut String {
        match field {
            ConnectField::Server => &mut self.server,
            ConnectField::Port => &mut self.port,
            ConnectField::Path => &mut self.path,
        }
    }

    /// Ticks (or clears) the secure checkbox. Ticking suggests the SCWS's HTTPS port
    /// (4116) when the port is still the HTTP one (3516), clearing the reverse; a port
    /// the user chose otherwise is left alone.
    pub fn set_secure(&mut self, secure: bool) {
        let (from, to) = if secure {
            (DEFAULT_PORT, SECURE_PORT)
        } else {
            (SECURE_PORT, DEFAULT_PORT)
        };
        if self.port.trim() == from.to_string() {
            self.port = to.to_string();
        }
        self.secure = secure;
    }
}

/// The connect form checked: an error per text field (in words), or what to connect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectCheck {
    pub server: Option<String>,
    pub port: Option<String>,
    pub path: Option<String>,
    /// Identity, port and path, when every field is valid.
    pub target: Option<ConnectTarget>,
}

impl ConnectCheck {
    pub fn error(&self, field: ConnectField) -> Option<&str> {
        match field {
            ConnectField::Server => self.server.as_deref(),
            ConnectField::Port => self.port.as_deref(),
            ConnectField::Path => self.path.as_deref(),
        }
    }
}

/// A valid connect form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectTarget {
    pub server: String,
    pub port: u16,
    pub secure: bool,
    pub path: String,
}

impl ConnectTarget {
    /// The session request: `GET <path>` to `host` (the phone's address) on the port.
    pub fn request(&self, host: [u8; 4]) -> ConnectRequest {
        ConnectRequest {
            server: self.server.clone(),
            port: self.port,
            send: http_get(&self.path, host, self.port),
            secure: self.secure,
        }
    }
}

/// `GET <path> HTTP/1.1`, `Host: <a.b.c.d>:<port>`, `Connection: close` and the blank
/// line (RFC 9112 §3, RFC 9110 §7.2): what the form sends once connected.
pub fn http_get(path: &str, host: [u8; 4], port: u16) -> Vec<u8> {
    let [a, b, c, d] = host;
    format!("GET {path} HTTP/1.1\r\nHost: {a}.{b}.{c}.{d}:{port}\r\nConnection: close\r\n\r\n")
        .into_bytes()
}

/// Why `path` cannot be the request's path, in words: it must be an origin-form request
/// target (RFC 9112 §3.2.1: an absolute path, optionally `?query`) whose characters are
/// those RFC 3986 §3.3–3.4 allows, `%` followed by two hex digits, and the request head
/// must fit what the card reads ([`MAX_HEAD`]).
fn check_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err(format!("Enter a path, e.g. {DEFAULT_PATH}."));
    }
    if !path.starts_with('/') {
        return Err(format!("Start the path with /, e.g. /{path}."));
    }
    let bytes = path.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let allowed = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&b);
        if allowed {
            continue;
        }
        if b == b'%' {
            let escaped = bytes.get(i + 1..i + 3);
            if escaped.is_some_and(|e| e.iter().all(u8::is_ascii_hexdigit)) {
                continue;
            }
            return Err("A % must be followed by two hex digits (%20 is a space).".to_string());
        }
        if b == b' ' {
            return Err("No spaces in a path: write a space as %20.".to_string());
        }
        let c = path.get(i..).and_then(|s| s.chars().next()).unwrap_or('?');
        return Err(format!(
            "{c:?} is not allowed in a path (RFC 3986): percent-encode it."
        ));
    }
    let head = http_get(path, [255; 4], u16::MAX).len();
    if head > MAX_HEAD {
        return Err(format!(
            "Too long: the card reads request heads of up to {MAX_HEAD} bytes."
        ));
    }
    Ok(())
}

/// Checks the connect form: a server identity of [`SERVER_ADDRESSES`], a port from 1 to
/// 65535, a request path ([`check_path`]).
pub fn check_connect(form: &ConnectForm) -> ConnectCheck {
    let server = if SERVER_ADDRESSES
        .iter()
        .any(|(name, _)| *name == form.server)
    {
        Ok(form.server.clone())
    } else {
        Err(format!("Unknown server identity: {:?}.", form.server))
    };
    let port = whole_number(&form.port, 1..=u64::from(u16::MAX), "").map(|p| p as u16);
    let path = check_path(form.path.trim()).map(|()| form.path.trim().to_string());
    let target = match (&server, &port, &path) {
        (Ok(server), Ok(port), Ok(path)) => Some(ConnectTarget {
            server: server.clone(),
            port: *port,
            secure: form.secure,
            path: path.clone(),
        }),
        _ => None,
    };
    ConnectCheck {
        server: server.err(),
        port: port.err(),
        path: path.err(),
        target,
    }
}

/// A session's state in words: `locating the phone (PO-TCP)`, `failed: connection
/// refused (RST)`, …
pub fn state_words(session: &Session) -> String {
    match &session.state {
        SessionState::Locating => "locating the phone (PO-TCP)".to_string(),
        SessionState::Connecting if session.inbound => "accepting (SYN received)".to_string(),
        SessionState::Connecting => "connecting (SYN sent)".to_string(),
        SessionState::Open => "open".to_string(),
        SessionState::Finished => "finished (the card closed)".to_string(),
        SessionState::Failed(why) => format!("failed: {why}"),
    }
}

/// The first line of what a session sent (`GET /index.html HTTP/1.1`), as text.
pub fn request_line(send: &[u8]) -> String {
    let end = send
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(send.len());
    String::from_utf8_lossy(&send[..end]).into_owned()
}

/// How many header lines [`HttpView`] reads.
const MAX_HEADERS: usize = 32;

/// An HTTP message's body, for display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// UTF-8 with no control characters but tab, CR and LF.
    Text(String),
    /// Anything else: its length.
    Binary(usize),
}

impl Body {
    fn of(bytes: &[u8]) -> Body {
        match std::str::from_utf8(bytes) {
            Ok(text)
                if !text
                    .chars()
                    .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n')) =>
            {
                Body::Text(text.to_string())
            }
            _ => Body::Binary(bytes.len()),
        }
    }
}

/// What a session received, read as an HTTP/1.1 message (RFC 9112 §2–6, parsed by
/// `httparse`): the card's response to the server's request, or in client mode the
/// card's own request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpView {
    /// Nothing yet.
    Empty,
    /// A complete head — its start line (`HTTP/1.1 200 OK`, `POST /admin HTTP/1.1`) and
    /// header lines — and what follows the head.
    Complete {
        start_line: String,
        headers: Vec<(String, String)>,
        body: Body,
    },
    /// The head is not complete yet: how many bytes are in.
    Partial(usize),
    /// Not an HTTP message: why, and how many bytes.
    Invalid(String, usize),
}

/// A parsed head: start line, header lines, length.
type Head = (String, Vec<(String, String)>, usize);

fn owned(headers: &[httparse::Header<'_>]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect()
}

impl HttpView {
    /// `received` as a response: `HTTP/1.1 200 OK` and on.
    pub fn response(received: &[u8]) -> HttpView {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        let head = match response.parse(received) {
            Ok(httparse::Status::Complete(len)) => {
                let start_line = format!(
                    "HTTP/1.{} {} {}",
                    response.version.unwrap_or(1),
                    response.code.unwrap_or(0),
                    response.reason.unwrap_or("")
                );
                Ok(Some((
                    start_line.trim_end().to_string(),
                    owned(response.headers),
                    len,
                )))
            }
            Ok(httparse::Status::Partial) => Ok(None),
            Err(error) => Err(error),
        };
        HttpView::of(received, head)
    }

    /// `received` as a request: `POST /path HTTP/1.1` and on.
    pub fn request(received: &[u8]) -> HttpView {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        let head = match request.parse(received) {
            Ok(httparse::Status::Complete(len)) => {
                let start_line = format!(
                    "{} {} HTTP/1.{}",
                    request.method.unwrap_or(""),
                    request.path.unwrap_or(""),
                    request.version.unwrap_or(1)
                );
                Ok(Some((start_line, owned(request.headers), len)))
            }
            Ok(httparse::Status::Partial) => Ok(None),
            Err(error) => Err(error),
        };
        HttpView::of(received, head)
    }

    fn of(received: &[u8], head: Result<Option<Head>, httparse::Error>) -> HttpView {
        if received.is_empty() {
            return HttpView::Empty;
        }
        match head {
            Ok(Some((start_line, headers, len))) => HttpView::Complete {
                start_line,
                headers,
                body: Body::of(received.get(len..).unwrap_or_default()),
            },
            Ok(None) => HttpView::Partial(received.len()),
            Err(error) => HttpView::Invalid(error.to_string(), received.len()),
        }
    }
}
