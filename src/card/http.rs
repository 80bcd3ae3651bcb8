//! HTTP/1.1 on the card's BIP channels (RFC 9112 message syntax, RFC 9110 semantics):
//! the Smart Card Web Server's responder on a UICC-server-mode channel, and the
//! administration client on a client-mode channel. Both are sans-IO: bytes in (what a
//! RECEIVE DATA brought), bytes out (what SEND DATA is to carry), parsed with `httparse`.
//!
//! # The SCWS responder ([`Responder`])
//!
//! A request may arrive in pieces over several RECEIVE DATAs: the head is buffered until
//! `httparse` finds it complete, then a body announced by `Content-Length` is framed (and
//! skipped: no method served here takes one). What it answers, byte-exact (no `Date`: a
//! server without a clock must not send one, RFC 9110 §6.6.1):
//!
//! ```text
//! GET / HEAD of a resource      HTTP/1.1 200 OK            Content-Type, Content-Length,
//!                                                          the body (none for HEAD)
//! GET / HEAD of no resource     HTTP/1.1 404 Not Found     Content-Length: 0
//! any other method              HTTP/1.1 405 Method Not Allowed  Allow: GET, HEAD
//! unreadable request, no or     HTTP/1.1 400 Bad Request   Content-Length: 0, Connection:
//!   several Host (RFC 9112        close (the framing is lost, RFC 9112 §3.2 and §6.3)
//!   §3.2), bad Content-Length,
//!   a head over MAX_HEAD bytes
//! Transfer-Encoding             HTTP/1.1 501 Not Implemented  Connection: close
//! ```
//!
//! The connection stays open (HTTP/1.1 persistence, RFC 9112 §9.3) unless the request
//! says `Connection: close` or is HTTP/1.0; then the response carries `Connection:
//! close` and the channel goes back to LISTEN once it is sent. Pipelined requests are
//! answered in order.
//!
//! Not done yet, and where it goes: PUT, DELETE and POST of the full SCWS
//! administration (a body is framed in [`Responder::receive`] and dropped where a
//! handler would take it), chunked bodies (answered 501), percent-decoding of the path
//! (the path is looked up as sent, query removed), and `/` is not mapped to an index.
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

use super::scws::ScwsResource;

/// The longest request head the responder buffers; a longer one is answered 400.
pub const MAX_HEAD: usize = 4096;
/// Header lines `httparse` reads in one head; more make the request unreadable (400).
const MAX_HEADERS: usize = 32;
/// The methods the responder serves, as `Allow` lists them.
const ALLOW: &str = "GET, HEAD";

/// Looks a resource up by URL path (the card's [`super::Card::scws_resource`]).
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<ScwsResource>;

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
    /// Bytes received and not yet consumed: a head still partial, or pipelined requests.
    buffer: Vec<u8>,
    /// Body bytes of the current request still to skip before its response goes out.
    body_left: usize,
    /// The response waiting for the end of its request's body.
    waiting: Option<Response>,
    /// A response with `Connection: close` was produced: the rest is ignored.
    closing: bool,
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

    /// Takes `data` received on the connection and answers every request it completes.
    pub fn receive(&mut self, data: &[u8], lookup: Lookup) -> Output {
        let mut output = Output::default();
        if self.closing {
            return output;
        }
        self.buffer.extend_from_slice(data);
        loop {
            if self.waiting.is_some() {
                let skipped = self.body_left.min(self.buffer.len());
                self.buffer.drain(..skipped);
                self.body_left -= skipped;
                if self.body_left > 0 {
                    break;
                }
                if let Some(response) = self.waiting.take() {
                    output.data.extend_from_slice(&response.bytes);
                    output.exchanges.push(response.exchange);
                    if response.close {
                        output.close = true;
                        self.closing = true;
                        self.buffer.clear();
                        break;
                    }
                }
            }
            match self.next_request(lookup) {
                Some(()) => continue,
                None => break,
            }
        }
        output
    }

    /// Parses the next request head in the buffer; on success queues its response in
    /// `waiting` and its body length in `body_left`. `None` while the head is partial.
    fn next_request(&mut self, lookup: Lookup) -> Option<()> {
        if self.buffer.is_empty() {
            return None;
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        let (response, head_len, body_len) = match request.parse(&self.buffer) {
            Ok(httparse::Status::Complete(head_len)) => match Head::read(&request) {
                Ok(head) => (head.answer(lookup), head_len, head.body_len),
                Err(status) => (Response::error(status, describe(&request)), head_len, 0),
            },
            Ok(httparse::Status::Partial) if self.buffer.len() <= MAX_HEAD => return None,
            Ok(httparse::Status::Partial) | Err(_) => (
                Response::error(Status::BAD_REQUEST, describe(&request)),
                self.buffer.len(),
                0,
            ),
        };
        self.buffer.drain(..head_len.min(self.buffer.len()));
        self.body_left = body_len;
        self.waiting = Some(response);
        Some(())
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
    pub const BAD_REQUEST: Status = Status(400, "Bad Request");
    pub const NOT_FOUND: Status = Status(404, "Not Found");
    pub const METHOD_NOT_ALLOWED: Status = Status(405, "Method Not Allowed");
    pub const NOT_IMPLEMENTED: Status = Status(501, "Not Implemented");
}

/// What the responder needs of a complete request head.
struct Head<'a> {
    method: &'a str,
    path: &'a str,
    target: &'a str,
    close: bool,
    body_len: usize,
}

impl<'a> Head<'a> {
    /// Checks a parsed head (RFC 9112 §3.2 Host, §6 body framing, §9.6 close); the
    /// status to refuse it with otherwise.
    fn read(request: &httparse::Request<'_, 'a>) -> Result<Head<'a>, Status> {
        let method = request.method.ok_or(Status::BAD_REQUEST)?;
        let target = request.path.ok_or(Status::BAD_REQUEST)?;
        let version = request.version.ok_or(Status::BAD_REQUEST)?;
        let values = |name: &'static str| {
            request
                .headers
                .iter()
                .filter(move |h| h.name.eq_ignore_ascii_case(name))
                .map(|h| h.value)
        };
        if version == 1 && values("host").count() != 1 {
            return Err(Status::BAD_REQUEST);
        }
        if values("transfer-encoding").next().is_some() {
            return Err(Status::NOT_IMPLEMENTED);
        }
        let body_len = content_length(values("content-length"))?;
        let connection = |token: &str| {
            values("connection")
                .flat_map(|v| v.split(|b| *b == b','))
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
        };
        let close = version == 0 || connection("close");
        Ok(Head {
            method,
            path: origin_path(target).ok_or(Status::BAD_REQUEST)?,
            target,
            close,
            body_len: body_len.unwrap_or(0),
        })
    }

    fn answer(&self, lookup: Lookup) -> Response {
        let exchange = |status: Status| Exchange {
            request: format!("{} {}", self.method, self.target),
            status: status.0,
        };
        let head_only = self.method == "HEAD";
        let (status, headers, body) = match self.method {
            "GET" | "HEAD" => match lookup(self.path) {
                Some(resource) => {
                    let headers = vec![
                        ("Content-Type", resource.content_type),
                        ("Content-Length", resource.body.len().to_string()),
                    ];
                    let body = if head_only { Vec::new() } else { resource.body };
                    (Status::OK, headers, body)
                }
                None => (Status::NOT_FOUND, content_length_zero(), Vec::new()),
            },
            _ => {
                let mut headers = vec![("Allow", ALLOW.to_string())];
                headers.extend(content_length_zero());
                (Status::METHOD_NOT_ALLOWED, headers, Vec::new())
            }
        };
        Response {
            bytes: emit_response(status, &headers, self.close, &body),
            close: self.close,
            exchange: exchange(status),
        }
    }
}

fn content_length_zero() -> Vec<(&'static str, String)> {
    vec![("Content-Length", "0".to_string())]
}

impl Response {
    /// A refusal: no body, and the connection closes (the request's framing cannot be
    /// trusted, RFC 9112 §6.3).
    fn error(status: Status, request: String) -> Response {
        Response {
            bytes: emit_response(status, &content_length_zero(), true, &[]),
            close: true,
            exchange: Exchange {
                request,
                status: status.0,
            },
        }
    }
}

/// The value of `Content-Length` (RFC 9112 §6.3): none, or one decimal number
/// (repeated identical values are one); anything else is a bad request.
fn content_length<'a>(values: impl Iterator<Item = &'a [u8]>) -> Result<Option<usize>, Status> {
    let mut length = None;
    for value in values {
        let text = std::str::from_utf8(value).map_err(|_| Status::BAD_REQUEST)?;
        for item in text.split(',') {
            let item = item.trim();
            if item.is_empty() || !item.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Status::BAD_REQUEST);
            }
            let n: usize = item.parse().map_err(|_| Status::BAD_REQUEST)?;
            if length.is_some_and(|l| l != n) {
                return Err(Status::BAD_REQUEST);
            }
            length = Some(n);
        }
    }
    Ok(length)
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
                Ok(httparse::Status::Complete(len)) => content_length(
                    response
                        .headers
                        .iter()
                        .filter(|h| h.name.eq_ignore_ascii_case("content-length"))
                        .map(|h| h.value),
                )
                .ok()
                .map(|body| (len, response.code.unwrap_or(0), body.unwrap_or(0))),
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

    fn resources(path: &str) -> Option<ScwsResource> {
        (path == "/a.txt").then(|| ScwsResource {
            content_type: "text/plain".into(),
            body: b"hello".to_vec(),
        })
    }

    fn serve(responder: &mut Responder, request: &str) -> Output {
        responder.receive(request.as_bytes(), &resources)
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
            "PUT /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab",
        );
        assert_eq!(out, Output::default(), "the body is not complete yet");
        let out = serve(&mut r, "cdGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(
            text(&out),
            "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\n\r\n\
             HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        );
        assert_eq!(out.exchanges.len(), 2);
        assert!(!out.close);
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
    fn answers_chunked_bodies_501_and_http_1_0_with_close() {
        let mut r = Responder::new();
        let out = serve(
            &mut r,
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        assert!(text(&out).starts_with("HTTP/1.1 501 Not Implemented\r\n"));
        assert!(out.close);
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
