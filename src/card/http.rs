//! HTTP/1.1 on the card's BIP channels (RFC 9112 message syntax, RFC 9110 semantics):
//! the Smart Card Web Server's responder on a UICC-server-mode channel, and the
//! administration client on a client-mode channel. Both are sans-IO: bytes in (what a
//! RECEIVE DATA brought), bytes out (what SEND DATA is to carry), parsed with `httparse`.
//!
//! # The SCWS responder ([`Responder`])
//!
//! A request may arrive in pieces over several RECEIVE DATAs: the head is buffered until
//! `httparse` finds it complete, then its body is framed by `Content-Length` or by
//! `Transfer-Encoding: chunked` (RFC 9112 §7.1: chunk extensions ignored, trailer fields
//! read and dropped). A PUT or POST body is kept (in shared pieces, so that cloning a
//! responder in the middle of a megabyte copies pointers), any other body is skipped.
//! What it answers, byte-exact (no `Date`: a server without a clock must not send one,
//! RFC 9110 §6.6.1):
//!
//! ```text
//! GET / HEAD of a resource   200 OK                 Content-Type, Content-Length, the
//!                                                   body (none for HEAD)
//! GET / HEAD, no resource    404 Not Found          Content-Length: 0
//! PUT /path                  201 Created (new) / 204 No Content (replaced): the body
//!                            becomes the resource, Content-Type its type
//!                            (application/octet-stream without one, RFC 9110 §8.3)
//! POST /path                 201 Created / 204 No Content: the body is appended to the
//!                            resource (created if absent; its type kept)
//! DELETE /path               204 No Content; 404 Not Found if there is none
//! any other method           405 Method Not Allowed   Allow: GET, HEAD, PUT, POST, DELETE
//! a body larger than the     413 Content Too Large, Connection: close, answered from
//!   free space                 the head before any byte is stored (chunked: as soon as
//!                              the pieces received exceed it)
//! a path longer than an      414 URI Too Long, Connection: close
//!   index record holds
//! a media type the index     415 Unsupported Media Type, Connection: close
//!   cannot hold (non-ASCII, longer than 64 bytes)
//! no free index record or    507 Insufficient Storage (RFC 4918 §11.5)
//!   file identifier
//! unreadable request, no or  400 Bad Request   Content-Length: 0, Connection: close
//!   several Host (RFC 9112     (the framing is lost, RFC 9112 §3.2 and §6.3)
//!   §3.2), bad Content-Length, a malformed chunk, both Content-Length and
//!   Transfer-Encoding, a head over MAX_HEAD bytes
//! Transfer-Encoding other    501 Not Implemented   Connection: close
//!   than chunked
//! ```
//!
//! `Expect: 100-continue` (RFC 9110 §10.1.1) on a request with a body is answered
//! `HTTP/1.1 100 Continue` as soon as the head is accepted; a refusal from the head
//! (413, 414, 415) goes out instead, and the connection closes. A 204 carries no
//! Content-Length (RFC 9110 §8.6).
//!
//! PUT, POST and DELETE are the SCWS administration (OMA-TS-Smartcard_Web_Server's
//! "full administration" over HTTP). For POST, bipscope takes RFC 9110 §9.3.3's
//! "appending data to a resource's existing representation(s)". Every change is one
//! atomic commit once the body is complete ([`super::scws`]): until then the old content
//! is served, and a connection that ends before is forgotten with its partial body.
//! Progress shows in [`Responder::upload`] ([`super::Card::scws_uploads`]).
//!
//! Trust model: the card cannot tell who is at the other end of a BIP channel, so it
//! takes every PUT, POST and DELETE that reaches its SCWS. What protects them is the
//! gateway's admission of the server (allow-list or TLS certificate, set by the
//! configuration SMS: [`super::scws_admin`]; on a USB UICC the same admission of the
//! forwarded connections): the patent's module 50, where the gateway authenticates the
//! server.
//!
//! The connection stays open (HTTP/1.1 persistence, RFC 9112 §9.3) unless the request
//! says `Connection: close` or is HTTP/1.0; then the response carries `Connection:
//! close` and the channel goes back to LISTEN once it is sent. Pipelined requests are
//! answered in order.
//!
//! Not done: percent-decoding of the path (the path is looked up as sent, query
//! removed), and `/` is not mapped to an index.
//!
//! # The administration client ([`AdminClient`])
//!
//! Once the link is up it sends one fixed request, then reads the response: complete
//! once the head and `Content-Length` bytes of body are in (a response without
//! `Content-Length` ends when the link does). The request stands for the first message
//! of the GlobalPlatform Amendment B (SCP81) session that a later change will run:
//!
//! ```text
//! POST /admin HTTP/1.1
//! Host: 192.0.2.10:8080
//! X-Admin-Protocol: globalplatform-remote-admin/1.0
//! X-Admin-From: //se-id/iccid/<the card's ICCID>
//! Content-Length: 0
//! ```

use super::profile::MAX_TEXT;
use super::scws::{Refused, ScwsResource, Stored};
use crate::wire::http::{content_length, header_values};
use std::sync::Arc;

/// The longest request head the responder buffers; a longer one is answered 400. Also
/// the longest chunk-size or trailer line.
pub const MAX_HEAD: usize = 4096;
/// Header lines `httparse` reads in one head; more make the request unreadable (400).
const MAX_HEADERS: usize = 32;
/// The methods the responder serves, as `Allow` lists them.
const ALLOW: &str = "GET, HEAD, PUT, POST, DELETE";

/// What the responder reads and changes: the SCWS content (the card implements it with
/// [`super::Card::scws_resource`], [`super::Card::scws_store`] and
/// [`super::Card::scws_delete`]).
pub trait Site {
    /// The resource at URL `path`.
    fn resource(&self, path: &str) -> Option<ScwsResource>;
    /// Whether `len` bytes fit for the resource at `path` (`append`: after what it
    /// holds).
    fn room_for(&self, path: &str, len: usize, append: bool) -> bool;
    /// Creates or replaces (`append`: extends) the resource at `path`, atomically.
    fn store(
        &mut self,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
        append: bool,
    ) -> Result<Stored, Refused>;
    /// Deletes the resource at `path`; `Ok(false)` if there is none.
    fn delete(&mut self, path: &str) -> Result<bool, Refused>;
}

/// What a service hands back after an input: bytes to send, whether the connection
/// ends once they are sent, and the exchanges completed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub data: Vec<u8>,
    pub close: bool,
    pub exchanges: Vec<Exchange>,
}

/// One request and the status of its response, e.g. `GET /index.html` → 200.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    pub request: String,
    pub status: u16,
}

/// The SCWS's HTTP/1.1 responder on one connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Responder {
    /// Bytes received and not yet consumed: a head or a chunk line still partial, or
    /// pipelined requests.
    buffer: Vec<u8>,
    /// The request whose head was read, while its body comes in.
    current: Option<Request>,
    /// A response with `Connection: close` was produced: the rest is ignored.
    closing: bool,
}

/// An upload in progress: a PUT or POST whose body is coming in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    /// `PUT /manual.pdf`.
    pub request: String,
    /// Body bytes received so far.
    pub received: usize,
    /// The `Content-Length`; `None` for a chunked body.
    pub expected: Option<usize>,
}

/// A request whose head was accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Request {
    method: String,
    target: String,
    path: String,
    content_type: Option<String>,
    close: bool,
    framing: Framing,
    /// The body is kept (PUT, POST), else skipped.
    keep: bool,
    body: Body,
    /// The body's length as `Content-Length` announced it.
    expected: Option<usize>,
}

/// How the end of a body is found (RFC 9112 §6.3).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Framing {
    /// `Content-Length`: this many bytes still to come.
    Length(usize),
    /// `Transfer-Encoding: chunked` (RFC 9112 §7.1), waiting for:
    Chunked(Chunk),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chunk {
    /// a chunk-size line (with extensions, ignored);
    Size,
    /// this many bytes of chunk data;
    Data(usize),
    /// the CRLF after the chunk data;
    DataEnd,
    /// a trailer line, or the empty line that ends the message.
    Trailer,
}

/// The kept body: the pieces as received, shared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Body {
    pieces: Vec<Arc<[u8]>>,
    len: usize,
}

impl Body {
    fn push(&mut self, piece: &[u8]) {
        if !piece.is_empty() {
            self.pieces.push(piece.into());
            self.len += piece.len();
        }
    }

    fn bytes(&self) -> Vec<u8> {
        self.pieces.concat()
    }
}

/// A response ready to emit.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Response {
    bytes: Vec<u8>,
    close: bool,
    exchange: Exchange,
}

impl Responder {
    /// A fresh connection: nothing buffered.
    pub fn new() -> Responder {
        Responder::default()
    }

    /// The PUT or POST whose body is coming in, if any.
    pub fn upload(&self) -> Option<Upload> {
        let request = self.current.as_ref().filter(|r| r.keep)?;
        Some(Upload {
            request: request.describe(),
            received: request.body.len,
            expected: request.expected,
        })
    }

    /// Takes `data` received on the connection and answers every request it completes.
    pub fn receive(&mut self, data: &[u8], site: &mut dyn Site) -> Output {
        let mut output = Output::default();
        if self.closing {
            return output;
        }
        self.buffer.extend_from_slice(data);
        loop {
            if let Some(mut request) = self.current.take() {
                let response = match request.read_body(&mut self.buffer) {
                    Ok(false) if request.fits(site) => {
                        self.current = Some(request);
                        break;
                    }
                    Ok(true) if request.fits(site) => request.answer(site),
                    Ok(_) => Some(Response::error(
                        Status::CONTENT_TOO_LARGE,
                        request.describe(),
                    )),
                    Err(status) => Some(Response::error(status, request.describe())),
                };
                let Some(response) = response else {
                    // The power went during the commit: the card says nothing more.
                    self.closing = true;
                    output.close = true;
                    break;
                };
                output.data.extend_from_slice(&response.bytes);
                output.exchanges.push(response.exchange);
                if response.close {
                    output.close = true;
                    self.closing = true;
                    self.buffer.clear();
                    break;
                }
            }
            if !self.next_request(site, &mut output) {
                break;
            }
        }
        output
    }

    /// Parses the next request head in the buffer; on success it becomes the current
    /// request (a 100 Continue in `output` if asked), or its refusal the current
    /// response. `false` while the head is partial.
    fn next_request(&mut self, site: &dyn Site, output: &mut Output) -> bool {
        if self.buffer.is_empty() {
            return false;
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut headers);
        let (request, head_len) = match parsed.parse(&self.buffer) {
            Ok(httparse::Status::Complete(head_len)) => {
                let request = Head::read(&parsed).and_then(|head| head.admit(site));
                (request.map_err(|s| (s, describe(&parsed))), head_len)
            }
            Ok(httparse::Status::Partial) if self.buffer.len() <= MAX_HEAD => return false,
            Ok(httparse::Status::Partial) | Err(_) => (
                Err((Status::BAD_REQUEST, describe(&parsed))),
                self.buffer.len(),
            ),
        };
        self.buffer.drain(..head_len.min(self.buffer.len()));
        match request {
            Ok((request, continue_first)) => {
                if continue_first {
                    output
                        .data
                        .extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
                }
                self.current = Some(request);
            }
            Err((status, described)) => {
                let response = Response::error(status, described);
                output.data.extend_from_slice(&response.bytes);
                output.exchanges.push(response.exchange);
                output.close = true;
                self.closing = true;
                self.buffer.clear();
                return false;
            }
        }
        true
    }
}

/// `GET /index.html`, or as much of the request line as was read.
fn describe(request: &httparse::Request) -> String {
    match (request.method, request.path) {
        (Some(method), Some(path)) => format!("{method} {path}"),
        (Some(method), None) => method.to_string(),
        _ => "(unreadable request)".to_string(),
    }
}

/// A status code and its reason phrase (RFC 9110 §15).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status(pub u16, pub &'static str);

impl Status {
    pub const OK: Status = Status(200, "OK");
    pub const CREATED: Status = Status(201, "Created");
    pub const NO_CONTENT: Status = Status(204, "No Content");
    pub const BAD_REQUEST: Status = Status(400, "Bad Request");
    pub const NOT_FOUND: Status = Status(404, "Not Found");
    pub const METHOD_NOT_ALLOWED: Status = Status(405, "Method Not Allowed");
    pub const CONTENT_TOO_LARGE: Status = Status(413, "Content Too Large");
    pub const URI_TOO_LONG: Status = Status(414, "URI Too Long");
    pub const UNSUPPORTED_MEDIA_TYPE: Status = Status(415, "Unsupported Media Type");
    pub const NOT_IMPLEMENTED: Status = Status(501, "Not Implemented");
    pub const INSUFFICIENT_STORAGE: Status = Status(507, "Insufficient Storage");
}

/// What the responder needs of a complete request head.
struct Head<'a> {
    method: &'a str,
    path: &'a str,
    target: &'a str,
    close: bool,
    content_type: Option<&'a [u8]>,
    framing: Framing,
    expected: Option<usize>,
    expect_continue: bool,
}

impl<'a> Head<'a> {
    /// Checks a parsed head (RFC 9112 §3.2 Host, §6 body framing, §9.6 close); the
    /// status to refuse it with otherwise.
    fn read(request: &httparse::Request<'_, 'a>) -> Result<Head<'a>, Status> {
        let method = request.method.ok_or(Status::BAD_REQUEST)?;
        let target = request.path.ok_or(Status::BAD_REQUEST)?;
        let version = request.version.ok_or(Status::BAD_REQUEST)?;
        let values = |name: &'static str| header_values(request.headers, name);
        if version == 1 && values("host").count() != 1 {
            return Err(Status::BAD_REQUEST);
        }
        let length = content_length(values("content-length")).map_err(|_| Status::BAD_REQUEST)?;
        let codings: Vec<&[u8]> = values("transfer-encoding")
            .flat_map(|v| v.split(|b| *b == b','))
            .map(<[u8]>::trim_ascii)
            .collect();
        let framing = match (codings.as_slice(), length) {
            ([], length) => Framing::Length(length.unwrap_or(0)),
            // Both framings: a request smuggling risk, rejected (RFC 9112 §6.3 item 3).
            (_, Some(_)) => return Err(Status::BAD_REQUEST),
            ([chunked], None) if chunked.eq_ignore_ascii_case(b"chunked") => {
                Framing::Chunked(Chunk::Size)
            }
            _ => return Err(Status::NOT_IMPLEMENTED),
        };
        let token = |name: &'static str, token: &str| {
            values(name)
                .flat_map(|v| v.split(|b| *b == b','))
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
        };
        let has_body = framing != Framing::Length(0);
        Ok(Head {
            method,
            path: origin_path(target).ok_or(Status::BAD_REQUEST)?,
            target,
            close: version == 0 || token("connection", "close"),
            content_type: values("content-type").next(),
            framing,
            expected: length,
            expect_continue: has_body && token("expect", "100-continue"),
        })
    }

    /// The request to read, and whether to send 100 Continue first; or the refusal
    /// that a PUT or POST gets from its head alone.
    fn admit(self, site: &dyn Site) -> Result<(Request, bool), Status> {
        let keep = matches!(self.method, "PUT" | "POST");
        let content_type = match self.content_type.map(std::str::from_utf8) {
            Some(Ok(text)) if text.is_ascii() && !text.is_empty() && text.len() <= MAX_TEXT => {
                Some(text.to_string())
            }
            None => None,
            Some(_) if keep => return Err(Status::UNSUPPORTED_MEDIA_TYPE),
            Some(_) => None,
        };
        if matches!(self.method, "PUT" | "POST" | "DELETE") && self.path.len() > MAX_TEXT {
            return Err(Status::URI_TOO_LONG);
        }
        let append = self.method == "POST";
        if keep && !site.room_for(self.path, self.expected.unwrap_or(0), append) {
            return Err(Status::CONTENT_TOO_LARGE);
        }
        let request = Request {
            method: self.method.to_string(),
            target: self.target.to_string(),
            path: self.path.to_string(),
            content_type,
            close: self.close,
            framing: self.framing,
            keep,
            body: Body::default(),
            expected: self.expected,
        };
        Ok((request, self.expect_continue))
    }
}

impl Request {
    /// `PUT /a.txt`.
    fn describe(&self) -> String {
        format!("{} {}", self.method, self.target)
    }

    /// Whether the body received so far still fits (a chunked body, whose length comes
    /// piece by piece).
    fn fits(&self, site: &dyn Site) -> bool {
        !self.keep || site.room_for(&self.path, self.body.len, self.method == "POST")
    }

    /// Takes body bytes from `buffer`: `Ok(true)` once the body is complete, `Ok(false)`
    /// while more is to come, the status of a malformed chunked body otherwise.
    fn read_body(&mut self, buffer: &mut Vec<u8>) -> Result<bool, Status> {
        let mut at = 0;
        let result = loop {
            let rest = &buffer[at..];
            match &mut self.framing {
                Framing::Length(left) => {
                    let taken = (*left).min(rest.len());
                    if self.keep {
                        self.body.push(&rest[..taken]);
                    }
                    *left -= taken;
                    at += taken;
                    break Ok(*left == 0);
                }
                Framing::Chunked(Chunk::Data(left)) => {
                    let taken = (*left).min(rest.len());
                    if self.keep {
                        self.body.push(&rest[..taken]);
                    }
                    *left -= taken;
                    at += taken;
                    if *left > 0 {
                        break Ok(false);
                    }
                    self.framing = Framing::Chunked(Chunk::DataEnd);
                }
                Framing::Chunked(Chunk::DataEnd) => match rest.get(..2) {
                    None if rest.first().is_none_or(|b| *b == b'\r') => break Ok(false),
                    Some(b"\r\n") => {
                        at += 2;
                        self.framing = Framing::Chunked(Chunk::Size);
                    }
                    _ => break Err(Status::BAD_REQUEST),
                },
                Framing::Chunked(state) => {
                    let Some(end) = rest.windows(2).position(|w| w == b"\r\n") else {
                        break if rest.len() > MAX_HEAD {
                            Err(Status::BAD_REQUEST)
                        } else {
                            Ok(false)
                        };
                    };
                    let line = &rest[..end];
                    at += end + 2;
                    if line.len() > MAX_HEAD {
                        break Err(Status::BAD_REQUEST);
                    }
                    match *state {
                        Chunk::Size => match chunk_size(line) {
                            Some(0) => *state = Chunk::Trailer,
                            Some(size) => *state = Chunk::Data(size),
                            None => break Err(Status::BAD_REQUEST),
                        },
                        _ if line.is_empty() => break Ok(true),
                        // A trailer field: read and dropped (RFC 9112 §7.1.2).
                        _ => {}
                    }
                }
            }
        };
        buffer.drain(..at.min(buffer.len()));
        result
    }

    /// The response once the body is complete; `None` if the power went while storing.
    fn answer(&self, site: &mut dyn Site) -> Option<Response> {
        let mut headers = Vec::new();
        let mut body = Vec::new();
        let head_only = self.method == "HEAD";
        let status = match self.method.as_str() {
            "GET" | "HEAD" => match site.resource(&self.path) {
                Some(resource) => {
                    headers.push(("Content-Type", resource.content_type));
                    headers.push(("Content-Length", resource.body.len().to_string()));
                    if !head_only {
                        body = resource.body;
                    }
                    Status::OK
                }
                None => Status::NOT_FOUND,
            },
            "PUT" | "POST" => {
                let append = self.method == "POST";
                let content = self.body.bytes();
                let content_type = self.content_type.as_deref();
                match site.store(&self.path, content_type, &content, append) {
                    Ok(Stored::Created) => Status::CREATED,
                    Ok(Stored::Replaced) => Status::NO_CONTENT,
                    Err(Refused::TooLarge) => Status::CONTENT_TOO_LARGE,
                    Err(Refused::NoRoom) => Status::INSUFFICIENT_STORAGE,
                    Err(Refused::PowerLost) => return None,
                }
            }
            "DELETE" => match site.delete(&self.path) {
                Ok(true) => Status::NO_CONTENT,
                Ok(false) => Status::NOT_FOUND,
                Err(_) => return None,
            },
            _ => {
                headers.push(("Allow", ALLOW.to_string()));
                Status::METHOD_NOT_ALLOWED
            }
        };
        if headers.iter().all(|(name, _)| *name != "Content-Length") && status.0 != 204 {
            headers.push(("Content-Length", "0".to_string()));
        }
        Some(Response {
            bytes: emit_response(status, &headers, self.close, &body),
            close: self.close,
            exchange: Exchange {
                request: self.describe(),
                status: status.0,
            },
        })
    }
}

/// The size of a chunk-size line (RFC 9112 §7.1): hex digits, then optional
/// extensions after `;` (with optional whitespace before it), ignored.
fn chunk_size(line: &[u8]) -> Option<usize> {
    let digits = line
        .split(|b| *b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii_end();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    usize::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

impl Response {
    /// A refusal: no body, and the connection closes (the request's framing cannot be
    /// trusted, RFC 9112 §6.3, or its body is not read).
    fn error(status: Status, request: String) -> Response {
        let headers = [("Content-Length", "0".to_string())];
        Response {
            bytes: emit_response(status, &headers, true, &[]),
            close: true,
            exchange: Exchange {
                request,
                status: status.0,
            },
        }
    }
}

/// The path of a request target (RFC 9112 §3.2): origin-form `/path?query` or
/// absolute-form `http://host/path?query`; `None` for the other forms.
fn origin_path(target: &str) -> Option<&str> {
    let origin = match target.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("http://") => {
            let rest = target.get(7..)?;
            rest.find('/').and_then(|at| rest.get(at..)).unwrap_or("/")
        }
        _ => target,
    };
    if !origin.starts_with('/') {
        return None;
    }
    Some(origin.split('?').next().unwrap_or(origin))
}

/// `HTTP/1.1 <code> <reason>`, the header lines, `Connection: close` if `close`, an empty
/// line, the body (RFC 9112 §4, §5).
pub fn emit_response(
    status: Status,
    headers: &[(&str, String)],
    close: bool,
    body: &[u8],
) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", status.0, status.1);
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// The card as an HTTP client of the administration server (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminClient {
    host: String,
    agent: String,
    buffer: Vec<u8>,
    /// The response's status once its head is read, and the body bytes it announced.
    head: Option<(u16, usize)>,
    done: bool,
}

/// The request target of the administration request.
pub const ADMIN_PATH: &str = "/admin";

impl AdminClient {
    /// A client for the server at `host` (`address:port`), naming the card `agent` in
    /// `X-Admin-From`.
    pub fn new(host: String, agent: String) -> AdminClient {
        AdminClient {
            host,
            agent,
            buffer: Vec::new(),
            head: None,
            done: false,
        }
    }

    /// The request, byte-exact.
    pub fn request(&self) -> Vec<u8> {
        format!(
            "POST {ADMIN_PATH} HTTP/1.1\r\nHost: {}\r\nX-Admin-Protocol: \
             globalplatform-remote-admin/1.0\r\nX-Admin-From: {}\r\nContent-Length: 0\r\n\r\n",
            self.host, self.agent
        )
        .into_bytes()
    }

    /// The link is up: send the request.
    pub fn connected(&mut self) -> Output {
        self.buffer.clear();
        self.head = None;
        self.done = false;
        Output {
            data: self.request(),
            ..Output::default()
        }
    }

    /// Takes response bytes; once the response is complete the output asks to close.
    /// A response that does not parse ends the exchange too (status 0 in the log).
    pub fn receive(&mut self, data: &[u8]) -> Output {
        if self.done {
            return Output::default();
        }
        self.buffer.extend_from_slice(data);
        if self.head.is_none() {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut response = httparse::Response::new(&mut headers);
            let parsed = match response.parse(&self.buffer) {
                Ok(httparse::Status::Complete(len)) => {
                    content_length(header_values(response.headers, "content-length"))
                        .ok()
                        .map(|body| (len, response.code.unwrap_or(0), body.unwrap_or(0)))
                }
                Ok(httparse::Status::Partial) if self.buffer.len() <= MAX_HEAD => {
                    return Output::default()
                }
                Ok(httparse::Status::Partial) | Err(_) => None,
            };
            match parsed {
                Some((len, code, body)) => {
                    self.buffer.drain(..len.min(self.buffer.len()));
                    self.head = Some((code, body));
                }
                None => return self.finish(0),
            }
        }
        match self.head {
            Some((code, body)) if self.buffer.len() >= body => self.finish(code),
            _ => Output::default(),
        }
    }

    fn finish(&mut self, status: u16) -> Output {
        self.done = true;
        Output {
            data: Vec::new(),
            close: true,
            exchanges: vec![Exchange {
                request: format!("POST {ADMIN_PATH}"),
                status,
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Resources in memory, with a capacity, as the card keeps them.
    #[derive(Default)]
    struct Memory {
        resources: std::collections::BTreeMap<String, ScwsResource>,
        capacity: usize,
    }

    impl Memory {
        fn new() -> Memory {
            let mut memory = Memory {
                capacity: 100,
                ..Memory::default()
            };
            memory.resources.insert(
                "/a.txt".into(),
                ScwsResource {
                    content_type: "text/plain".into(),
                    body: b"hello".to_vec(),
                },
            );
            memory
        }

        fn used(&self) -> usize {
            self.resources.values().map(|r| r.body.len()).sum()
        }

        fn body(&self, path: &str) -> Option<&[u8]> {
            self.resources.get(path).map(|r| r.body.as_slice())
        }
    }

    impl Site for Memory {
        fn resource(&self, path: &str) -> Option<ScwsResource> {
            self.resources.get(path).cloned()
        }

        fn room_for(&self, path: &str, len: usize, append: bool) -> bool {
            let kept = if append {
                self.body(path).map_or(0, <[u8]>::len)
            } else {
                0
            };
            kept + len + self.used() <= self.capacity
        }

        fn store(
            &mut self,
            path: &str,
            content_type: Option<&str>,
            body: &[u8],
            append: bool,
        ) -> Result<Stored, Refused> {
            if !self.room_for(path, body.len(), append) {
                return Err(Refused::TooLarge);
            }
            let old = self.resources.remove(path);
            let stored = if old.is_some() {
                Stored::Replaced
            } else {
                Stored::Created
            };
            let mut resource = match old {
                Some(old) if append => old,
                _ => ScwsResource {
                    content_type: "application/octet-stream".into(),
                    body: Vec::new(),
                },
            };
            if let Some(content_type) = content_type {
                resource.content_type = content_type.into();
            }
            resource.body.extend_from_slice(body);
            self.resources.insert(path.into(), resource);
            Ok(stored)
        }

        fn delete(&mut self, path: &str) -> Result<bool, Refused> {
            Ok(self.resources.remove(path).is_some())
        }
    }

    fn serve(responder: &mut Responder, request: &str) -> Output {
        responder.receive(request.as_bytes(), &mut Memory::new())
    }

    fn serve_on(memory: &mut Memory, responder: &mut Responder, request: &str) -> Output {
        responder.receive(request.as_bytes(), memory)
    }

    fn text(output: &Output) -> &str {
        std::str::from_utf8(&output.data).unwrap()
    }

    #[test]
    fn answers_get_with_type_length_and_body() {
        let mut r = Responder::new();
        let out = serve(&mut r, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(
            text(&out),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
        );
        assert!(!out.close);
        assert_eq!(
            out.exchanges,
            vec![Exchange {
                request: "GET /a.txt".into(),
                status: 200
            }]
        );
    }

    #[test]
    fn head_gets_the_headers_without_the_body() {
        let mut r = Responder::new();
        let out = serve(&mut r, "HEAD /a.txt?x=1 HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(
            text(&out),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n"
        );
    }

    #[test]
    fn waits_for_a_head_split_anywhere() {
        let request = "GET http://card/a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        for split in 1..request.len() {
            let mut r = Responder::new();
            assert_eq!(serve(&mut r, &request[..split]), Output::default());
            let out = serve(&mut r, &request[split..]);
            assert!(
                text(&out).ends_with("Connection: close\r\n\r\nhello"),
                "{split}"
            );
            assert!(out.close);
        }
    }

    #[test]
    fn refuses_other_methods_with_allow_after_their_body() {
        let mut r = Responder::new();
        let out = serve(
            &mut r,
            "PATCH /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab",
        );
        assert_eq!(out, Output::default(), "the body is not complete yet");
        let out = serve(&mut r, "cdGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(
            text(&out),
            "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD, PUT, POST, DELETE\r\n\
             Content-Length: 0\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        );
        assert_eq!(out.exchanges.len(), 2);
        assert!(!out.close);
    }

    #[test]
    fn put_creates_then_replaces_with_the_type_sent() {
        let mut memory = Memory::new();
        let mut r = Responder::new();
        let put = |body: &str| {
            format!(
                "PUT /b.css HTTP/1.1\r\nHost: x\r\nContent-Type: text/css\r\n\
                 Content-Length: {}\r\n\r\n{body}",
                body.len()
            )
        };
        let out = serve_on(&mut memory, &mut r, &put("p{}"));
        assert_eq!(
            text(&out),
            "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
        );
        let out = serve_on(&mut memory, &mut r, &put("h1{}"));
        assert_eq!(text(&out), "HTTP/1.1 204 No Content\r\n\r\n");
        assert_eq!(out.exchanges[0].request, "PUT /b.css");
        let out = serve_on(
            &mut memory,
            &mut r,
            "GET /b.css HTTP/1.1\r\nHost: x\r\n\r\n",
        );
        assert_eq!(
            text(&out),
            "HTTP/1.1 200 OK\r\nContent-Type: text/css\r\nContent-Length: 4\r\n\r\nh1{}"
        );
        assert!(!out.close, "one keep-alive connection throughout");
    }

    #[test]
    fn post_appends_and_delete_removes() {
        let mut memory = Memory::new();
        let mut r = Responder::new();
        let out = serve_on(
            &mut memory,
            &mut r,
            "POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n world",
        );
        assert_eq!(text(&out), "HTTP/1.1 204 No Content\r\n\r\n");
        assert_eq!(memory.body("/a.txt"), Some(&b"hello world"[..]));
        assert_eq!(memory.resources["/a.txt"].content_type, "text/plain");
        let delete = "DELETE /a.txt HTTP/1.1\r\nHost: x\r\n\r\n";
        let out = serve_on(&mut memory, &mut r, delete);
        assert_eq!(text(&out), "HTTP/1.1 204 No Content\r\n\r\n");
        assert_eq!(memory.body("/a.txt"), None);
        let out = serve_on(&mut memory, &mut r, delete);
        assert!(text(&out).starts_with("HTTP/1.1 404 Not Found\r\n"));
    }

    #[test]
    fn reads_a_chunked_body_split_anywhere_with_extensions_and_trailers() {
        let request = "PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
                       5;name=value\r\nhello\r\n6 \r\n world\r\n0\r\nX-Sum: 1\r\n\r\n\
                       GET /c HTTP/1.1\r\nHost: x\r\n\r\n";
        for split in 1..request.len() {
            let mut memory = Memory::new();
            let mut r = Responder::new();
            let first = serve_on(&mut memory, &mut r, &request[..split]);
            let second = serve_on(&mut memory, &mut r, &request[split..]);
            let mut both = first.data;
            both.extend(second.data);
            assert_eq!(
                std::str::from_utf8(&both).unwrap(),
                "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n\
                 Content-Type: application/octet-stream\r\nContent-Length: 11\r\n\r\nhello world",
                "{split}"
            );
        }
    }

    #[test]
    fn rejects_malformed_chunks_and_stores_nothing() {
        for chunks in [
            "zz\r\nhello\r\n0\r\n\r\n", // not hex
            "\r\n",                     // no size
            "5\r\nhelloXX0\r\n\r\n",    // no CRLF after the data
            "FFFFFFFFFFFFFFFFFF\r\n",   // overflows
        ] {
            let mut memory = Memory::new();
            let mut r = Responder::new();
            let out = serve_on(
                &mut memory,
                &mut r,
                &format!(
                    "PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{chunks}"
                ),
            );
            assert_eq!(
                text(&out),
                "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                "{chunks:?}"
            );
            assert!(out.close);
            assert_eq!(memory.body("/c"), None);
        }
    }

    #[test]
    fn answers_413_from_the_head_and_when_chunks_outgrow_the_space() {
        let mut memory = Memory::new();
        let mut r = Responder::new();
        let out = serve_on(
            &mut memory,
            &mut r,
            "PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: 96\r\nExpect: 100-continue\r\n\r\n",
        );
        assert_eq!(
            text(&out),
            "HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        assert!(out.close);
        let mut r = Responder::new();
        let chunk = format!("40\r\n{}\r\n", "x".repeat(64));
        let head = "PUT /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(
            serve_on(&mut memory, &mut r, &format!("{head}{chunk}")),
            Output::default()
        );
        assert_eq!(r.upload().unwrap().received, 64);
        let out = serve_on(&mut memory, &mut r, &chunk);
        assert!(text(&out).starts_with("HTTP/1.1 413 Content Too Large\r\n"));
        assert_eq!(memory.body("/big"), None);
        assert_eq!(memory.used(), 5);
    }

    #[test]
    fn expect_100_continue_is_answered_before_the_body() {
        let mut memory = Memory::new();
        let mut r = Responder::new();
        let out = serve_on(
            &mut memory,
            &mut r,
            "PUT /d HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n",
        );
        assert_eq!(text(&out), "HTTP/1.1 100 Continue\r\n\r\n");
        assert_eq!(
            r.upload(),
            Some(Upload {
                request: "PUT /d".into(),
                received: 0,
                expected: Some(2)
            })
        );
        let out = serve_on(&mut memory, &mut r, "ok");
        assert!(text(&out).starts_with("HTTP/1.1 201 Created\r\n"));
        assert_eq!(r.upload(), None);
        assert_eq!(memory.body("/d"), Some(&b"ok"[..]));
    }

    #[test]
    fn refuses_names_the_index_cannot_hold() {
        let long_path = format!("/{}", "p".repeat(MAX_TEXT));
        let long_type = "t".repeat(MAX_TEXT + 1);
        for (request, status) in [
            (
                format!("DELETE {long_path} HTTP/1.1\r\nHost: x\r\n\r\n"),
                "414 URI Too Long",
            ),
            (
                format!("PUT /e HTTP/1.1\r\nHost: x\r\nContent-Type: {long_type}\r\n\r\n"),
                "415 Unsupported Media Type",
            ),
        ] {
            let mut r = Responder::new();
            let out = serve(&mut r, &request);
            assert!(
                text(&out).starts_with(&format!("HTTP/1.1 {status}\r\n")),
                "{status}"
            );
            assert!(out.close);
        }
    }

    #[test]
    fn rejects_bad_requests_and_closes() {
        for bad in [
            "GET /a.txt HTTP/1.1\r\n\r\n",                       // no Host
            "GET /a.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", // two Hosts
            "GET /a.txt HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n", // bad length
            "GET /a.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\n",
            "GET a.txt HTTP/1.1\r\nHost: a\r\n\r\n", // no origin form
            "G\x01T / HTTP/1.1\r\n\r\n",             // not a token
        ] {
            let mut r = Responder::new();
            let out = serve(&mut r, bad);
            assert_eq!(
                text(&out),
                "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                "{bad:?}"
            );
            assert!(out.close);
            assert_eq!(
                serve(&mut r, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
                Output::default(),
                "nothing after the close"
            );
        }
    }

    #[test]
    fn rejects_an_endless_head() {
        let mut r = Responder::new();
        let mut out = serve(&mut r, "GET /a.txt HTTP/1.1\r\n");
        let filler = format!("X-Filler: {}\r\n", "a".repeat(100));
        while out.data.is_empty() {
            out = serve(&mut r, &filler);
        }
        assert!(text(&out).starts_with("HTTP/1.1 400 Bad Request\r\n"));
    }

    #[test]
    fn answers_other_codings_501_both_framings_400_and_http_1_0_with_close() {
        let mut r = Responder::new();
        let out = serve(
            &mut r,
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        );
        assert!(text(&out).starts_with("HTTP/1.1 501 Not Implemented\r\n"));
        assert!(out.close);
        let mut r = Responder::new();
        let out = serve(
            &mut r,
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
        );
        assert!(text(&out).starts_with("HTTP/1.1 400 Bad Request\r\n"));
        let mut r = Responder::new();
        let out = serve(&mut r, "GET /a.txt HTTP/1.0\r\n\r\n");
        assert!(text(&out).ends_with("Connection: close\r\n\r\nhello"));
        assert!(out.close);
    }

    #[test]
    fn admin_client_sends_its_request_and_closes_after_the_body() {
        let mut client = AdminClient::new("10.0.0.1:8080".into(), "//se-id/iccid/89".into());
        let out = client.connected();
        assert_eq!(
            std::str::from_utf8(&out.data).unwrap(),
            "POST /admin HTTP/1.1\r\nHost: 10.0.0.1:8080\r\nX-Admin-Protocol: \
             globalplatform-remote-admin/1.0\r\nX-Admin-From: //se-id/iccid/89\r\n\
             Content-Length: 0\r\n\r\n"
        );
        assert_eq!(
            client.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab"),
            Output::default()
        );
        let out = client.receive(b"c");
        assert!(out.close);
        assert_eq!(out.exchanges[0].status, 200);
        assert_eq!(client.receive(b"more"), Output::default());
    }

    #[test]
    fn admin_client_gives_up_on_an_unreadable_response() {
        let mut client = AdminClient::new("h".into(), "a".into());
        let out = client.receive(b"SMTP ready\r\n\r\n");
        assert!(out.close);
        assert_eq!(out.exchanges[0].status, 0);
    }
}
