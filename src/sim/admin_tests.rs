//! End to end through the world: a server administers the SCWS content over HTTP on a
//! BIP channel (PUT, POST, DELETE, chunked bodies), each change atomic
//! ([`crate::card::scws`]).

use super::bip_tests::{body, connect, connect_secure, get, run, run_secure, STEP_LIMIT};
use super::{Action, Scenario, Timeline};
use crate::net::ip::Link;
use crate::server::session::SessionState;

const RAS_1: &str = "ras-1.operator.example";
const RAS_2: &str = "ras-2.operator.example";

/// A request head for the card's SCWS, the body after it.
fn request(method: &str, path: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes =
        format!("{method} {path} HTTP/1.1\r\nHost: 192.0.2.10:3516\r\n{headers}\r\n").into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn put(path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let headers = format!(
        "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
        body.len()
    );
    request("PUT", path, &headers, body)
}

/// What the first server session received, as text.
fn received(timeline: &Timeline, session: usize) -> String {
    let sessions = timeline.head().server().sessions().sessions();
    String::from_utf8_lossy(&sessions[session].received).into_owned()
}

/// `n` bytes that repeat only every 251.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

#[test]
fn two_puts_then_a_get_on_one_keep_alive_connection() {
    let mut requests = put("/news.html", "text/html", b"<p>old</p>");
    requests.extend(put("/news.html", "text/html; charset=utf-8", b"<p>new</p>"));
    requests.extend(get("/news.html"));
    let timeline = run(41, vec![connect(RAS_1, requests)]);
    let text = received(&timeline, 0);
    assert!(
        text.starts_with(
            "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\
             HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 10\r\n"
        ),
        "{text}"
    );
    assert!(text.ends_with("<p>new</p>"));
    let stored = timeline.head().card().scws_resource("/news.html").unwrap();
    assert_eq!(stored.body, b"<p>new</p>");
}

#[test]
fn delete_then_get_is_404() {
    let mut requests = request("DELETE", "/manual.html", "", b"");
    requests.extend(get("/manual.html"));
    let timeline = run(42, vec![connect(RAS_1, requests)]);
    let text = received(&timeline, 0);
    assert!(
        text.starts_with("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 404 Not Found\r\n"),
        "{text}"
    );
    assert!(timeline
        .head()
        .card()
        .scws_resource("/manual.html")
        .is_none());
}

#[test]
fn a_chunked_put_and_a_post_append_arrive_whole() {
    let chunked = "Transfer-Encoding: chunked\r\nContent-Type: text/plain\r\n";
    let mut requests = request(
        "PUT",
        "/log.txt",
        chunked,
        b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    );
    requests.extend(request("POST", "/log.txt", "Content-Length: 2\r\n", b"fg"));
    requests.extend(get("/log.txt"));
    let timeline = run(43, vec![connect(RAS_1, requests)]);
    let stored = timeline.head().card().scws_resource("/log.txt").unwrap();
    assert_eq!(
        (stored.content_type.as_str(), &stored.body[..]),
        ("text/plain", &b"abcdefg"[..])
    );
    assert!(received(&timeline, 0).ends_with("abcdefg"));
}

#[test]
fn a_bad_chunk_is_400_and_changes_nothing() {
    let before = Scenario::ScwsStart.record(0).head().card().scws_used();
    let mut requests = request(
        "PUT",
        "/x",
        "Transfer-Encoding: chunked\r\n",
        b"5\r\nabcdeXY",
    );
    requests.extend(b"0\r\n\r\n");
    let timeline = run(44, vec![connect(RAS_1, requests)]);
    assert!(received(&timeline, 0).starts_with("HTTP/1.1 400 Bad Request\r\n"));
    let card = timeline.head().card();
    assert!(card.scws_resource("/x").is_none());
    assert_eq!(card.scws_used(), before);
}

#[test]
fn a_body_larger_than_the_free_space_is_413_before_it_is_sent() {
    let free = Scenario::ScwsStart.record(0).head().card().scws_free();
    let headers = format!("Content-Length: {}\r\nExpect: 100-continue\r\n", free + 1);
    let timeline = run(
        45,
        vec![connect(RAS_1, request("PUT", "/big.bin", &headers, b""))],
    );
    assert_eq!(
        received(&timeline, 0),
        "HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    assert!(timeline.head().card().scws_resource("/big.bin").is_none());
}

/// The patent's bulk case: a 1 MiB resource pushed through the gateway and BIP arrives
/// byte for byte.
#[test]
fn a_megabyte_put_arrives_byte_for_byte() {
    let content = pattern(1 << 20);
    let mut requests = put("/manual.bin", "application/octet-stream", &content);
    requests.extend(request("HEAD", "/manual.bin", "Connection: close\r\n", b""));
    let started = std::time::Instant::now();
    let timeline = run(46, vec![connect(RAS_1, requests)]);
    eprintln!("1 MiB PUT through the world: {:?}", started.elapsed());
    let world = timeline.head();
    assert_eq!(
        world.server().sessions().sessions()[0].state,
        SessionState::Finished
    );
    assert!(received(&timeline, 0).starts_with("HTTP/1.1 201 Created\r\n"));
    assert_eq!(
        world.card().scws_resource("/manual.bin").unwrap().body,
        content
    );
}

/// A 100 KB replacement of `/manual.html` from ras-1, of which only `sent` bytes of
/// body are sent, then `cut` after `cut_after` RECEIVE DATAs (or never) and a GET of it
/// from ras-2 on the secure port once 20 RECEIVE DATAs have come.
fn put_with_reader(seed: u64, sent: usize, cut_after: Option<usize>) -> (Timeline, Vec<u8>) {
    let (mut timeline, _) = run_secure(seed, Vec::new());
    let old = timeline
        .head()
        .card()
        .scws_resource("/manual.html")
        .unwrap()
        .body;
    let mut upload = put("/manual.html", "text/html", &pattern(100_000));
    upload.truncate(upload.len() - (100_000 - sent));
    timeline.act(connect(RAS_1, upload));
    let mut receives = 0;
    while let Some(event) = timeline.advance() {
        if !event.title.starts_with("RECEIVE DATA") {
            continue;
        }
        receives += 1;
        if receives == 20 {
            let progress = timeline.head().card().scws_uploads();
            assert_eq!(progress.len(), 1);
            assert_eq!(progress[0].1.request, "PUT /manual.html");
            assert!(progress[0].1.received > 0 && progress[0].1.expected == Some(100_000));
            timeline.act(connect_secure(RAS_2, get("/manual.html")));
        }
        if Some(receives) == cut_after {
            timeline.act(Action::CutLink(Link::Backbone));
        }
    }
    timeline.run(STEP_LIMIT);
    assert!(timeline.head().is_quiescent());
    (timeline, old)
}

/// The upload stays incomplete (the server has sent 50 KB of 100 KB) while ras-2 reads
/// the same resource through the card's other channel.
#[test]
fn a_get_during_a_put_on_another_channel_gets_the_old_content() {
    let (timeline, old) = put_with_reader(47, 50_000, None);
    let world = timeline.head();
    let sessions = world.server().sessions().sessions();
    let reader = sessions.iter().find(|s| s.request.server == RAS_2).unwrap();
    assert_eq!(reader.state, SessionState::Finished);
    assert!(
        body(&reader.received) == old,
        "the reader got the partial content"
    );
    let progress = world.card().scws_uploads();
    assert_eq!(progress[0].1.received, 50_000, "the upload is still open");
    assert!(world.card().scws_resource("/manual.html").unwrap().body == old);
}

#[test]
fn a_link_cut_in_the_middle_of_a_put_leaves_the_old_content_and_no_space_lost() {
    let (timeline, old) = put_with_reader(48, 100_000, Some(100));
    let before = Scenario::ScwsStart.record(0).head().card().scws_used();
    let card = timeline.head().card();
    assert!(card.scws_resource("/manual.html").unwrap().body == old);
    assert_eq!(card.scws_used(), before);
    assert!(
        card.scws_uploads().is_empty(),
        "the partial body is forgotten"
    );
    let sessions = timeline.head().server().sessions().sessions();
    assert!(matches!(sessions[0].state, SessionState::Failed(_)));
}
