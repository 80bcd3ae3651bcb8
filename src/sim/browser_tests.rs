//! End to end through the world: the phone's own browser reads the card's web server
//! over a local connection to the gateway's listening channel, and BIP.

use super::{Action, Layer, NodeId, Scenario, Timeline};
use crate::phone::browser::{request, VisitState};
use crate::phone::gateway::LinkState;
use crate::server::session::SessionState;

const STEP_LIMIT: usize = 20_000;

/// `scenario`, then the browser asks for each of `paths` in turn, each run until
/// nothing is left.
fn browse(scenario: Scenario, paths: &[&str]) -> Timeline {
    let mut timeline = scenario.record(1);
    for path in paths {
        timeline.act(Action::Browse(path.to_string()));
        timeline.run(STEP_LIMIT);
        assert!(timeline.head().is_quiescent(), "still busy");
    }
    timeline
}

/// The events from step `from` (1-based) on.
fn after(timeline: &Timeline, from: usize) -> &[super::Event] {
    &timeline.log()[from..]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_browser_shows_the_cards_page_byte_for_byte() {
    let timeline = browse(Scenario::ScwsStart, &["/index.html"]);
    let world = timeline.head();
    let page = world.phone().browser().page().expect("a visit");
    assert_eq!(page.path, "/index.html");
    assert_eq!(page.url(), "http://127.0.0.1:3516/index.html");
    let response = page
        .response()
        .unwrap_or_else(|| panic!("{:?}", page.state));
    let resource = world.card().scws_resource("/index.html").unwrap();
    assert_eq!(response.status_line(), "200 OK");
    assert_eq!(response.body, resource.body);
    assert_eq!(
        response.content_type.as_deref(),
        Some(resource.content_type.as_str())
    );
    assert!(page.ended.is_some());
    assert!(!world.phone().browser().loading());
    // The card closed with "back to LISTEN": the channel is free for the next client.
    let channel = world.phone().gateway().channel(1).unwrap();
    assert_eq!(channel.state, LinkState::Listen);
    assert_eq!(channel.counters.connections, 1);
}

#[test]
fn browsing_sends_no_ip_packet_and_needs_no_ip_session() {
    let before = Scenario::ScwsStart.record(1);
    let start = before.log().len();
    let timeline = browse(Scenario::ScwsStart, &["/index.html"]);
    let browsing = after(&timeline, start);
    assert_eq!(browsing[0].title, "Browse");
    assert!(
        browsing.iter().all(|e| e.layer != Layer::Tcp),
        "{:?}",
        browsing
            .iter()
            .filter(|e| e.layer == Layer::Tcp)
            .map(|e| &e.title)
            .collect::<Vec<_>>()
    );
    assert!(browsing
        .iter()
        .all(|e| e.from != NodeId::Network && e.to != NodeId::Network));
    assert_eq!(timeline.head().phone().net().address(), None);
}

#[test]
fn the_card_takes_the_get_with_receive_data_and_answers_with_send_data() {
    let start = Scenario::ScwsStart.record(1).log().len();
    let timeline = browse(Scenario::ScwsStart, &["/index.html"]);
    let browsing = after(&timeline, start);
    let titles: Vec<&str> = browsing.iter().map(|e| e.title.as_str()).collect();
    // First the channel status (link established), then data available.
    let events: Vec<u8> = browsing
        .iter()
        .filter(|e| e.title == "ENVELOPE" && e.bytes.get(5) == Some(&0xD6))
        .map(|e| e.bytes[9])
        .collect();
    assert_eq!(&events[..2], [0x0A, 0x09], "{titles:?}");
    // The GET, whole, in the TERMINAL RESPONSE to RECEIVE DATA.
    let get = request("/index.html");
    let receive = browsing
        .iter()
        .position(|e| e.title.starts_with("RECEIVE DATA"))
        .expect("RECEIVE DATA");
    let answered = browsing[receive..]
        .iter()
        .find(|e| e.title == "TERMINAL RESPONSE")
        .unwrap();
    assert!(
        contains(&answered.bytes, &get),
        "the GET is not in {answered:?}"
    );
    // The response's status line in the first SEND DATA the card raised.
    let send = browsing
        .iter()
        .find(|e| e.title.starts_with("SEND DATA"))
        .expect("SEND DATA");
    assert_eq!(send.from, NodeId::Card);
    assert!(contains(&send.bytes, b"HTTP/1.1 200 OK\r\n"));
    let close = browsing
        .iter()
        .position(|e| e.title.starts_with("CLOSE CHANNEL"))
        .expect("CLOSE CHANNEL");
    assert!(close > receive);
}

#[test]
fn browsing_without_a_listening_channel_fails_clearly_and_the_card_hears_nothing() {
    let start = Scenario::PowerOn.record(1).log().len();
    let timeline = browse(Scenario::PowerOn, &[""]);
    let page = timeline.head().phone().browser().page().unwrap();
    assert_eq!(page.path, "/");
    assert_eq!(
        page.state,
        VisitState::Failed("the card's web server is not listening".into())
    );
    assert_eq!(after(&timeline, start).len(), 1, "only the action");
}

#[test]
fn a_channel_with_a_server_connected_is_busy_for_the_browser() {
    let mut timeline = Scenario::ScwsStart.record(1);
    timeline.act(Scenario::index_request());
    let established = |t: &Timeline| {
        t.head()
            .phone()
            .gateway()
            .channel(1)
            .is_some_and(|c| c.state == LinkState::Established)
    };
    for _ in 0..STEP_LIMIT {
        if established(&timeline) || timeline.advance().is_none() {
            break;
        }
    }
    assert!(established(&timeline));
    timeline.act(Action::Browse("/index.html".into()));
    timeline.run(STEP_LIMIT);
    let world = timeline.head();
    let page = world.phone().browser().page().unwrap();
    let VisitState::Failed(reason) = &page.state else {
        panic!("{:?}", page.state);
    };
    assert!(
        reason.starts_with("the card's web server is busy: channel 1 is connected to ras-1"),
        "{reason}"
    );
    // The server's session went on undisturbed.
    let session = &world.server().sessions().sessions()[0];
    assert_eq!(session.state, SessionState::Finished);
}

#[test]
fn the_history_keeps_every_visit_and_a_missing_page_is_a_404() {
    let timeline = browse(Scenario::ScwsStart, &["/index.html", "/nothing-here"]);
    let browser = timeline.head().phone().browser();
    let history = browser.history();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].response().unwrap().status, 200);
    assert_eq!(history[1].path, "/nothing-here");
    assert_eq!(history[1].response().unwrap().status, 404);
    assert!(history[1].started > history[0].ended.unwrap());
    assert_eq!(browser.page(), history.last());
}

#[test]
fn a_second_visit_while_loading_fails_and_the_first_completes() {
    let mut timeline = Scenario::ScwsStart.record(1);
    timeline.act(Action::Browse("/index.html".into()));
    timeline.act(Action::Browse("/readme.txt".into()));
    timeline.run(STEP_LIMIT);
    let history = timeline.head().phone().browser().history();
    assert_eq!(history.len(), 2);
    assert_eq!(
        history[1].state,
        VisitState::Failed("the browser is still loading the last page".into())
    );
    assert_eq!(history[0].response().unwrap().status, 200);
}

#[test]
fn a_server_is_refused_while_the_browser_holds_the_channel() {
    let mut timeline = Scenario::ScwsStart.record(1);
    timeline.act(Scenario::index_request());
    // The phone has its IP session: the server's SYN comes next.
    for _ in 0..STEP_LIMIT {
        if timeline.head().phone().net().address().is_some() || timeline.advance().is_none() {
            break;
        }
    }
    timeline.act(Action::Browse("/manual.html".into()));
    timeline.run(STEP_LIMIT);
    let world = timeline.head();
    let page = world.phone().browser().page().unwrap();
    assert_eq!(page.response().unwrap().status, 200);
    let session = &world.server().sessions().sessions()[0];
    assert_eq!(
        session.state,
        SessionState::Failed("connection refused (RST)".into())
    );
    // Refused because the channel was taken, not by the allow-list.
    assert_eq!(world.phone().net().refused(), 0);
}
