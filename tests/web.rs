//! Browser tests of the first screen: mount the app into a fresh element, drive it the
//! way a user does (clicks, hover, keys) and check the DOM against the emulator's own log.
//!
//! Run: `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
//! CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown --test web`
#![cfg(all(target_arch = "wasm32", feature = "web"))]

use bipscope::card::scws_admin::{AdminCommand, Connect as AdminConnect};
use bipscope::card::Card;
use bipscope::net::ip::{Link, LinkFaults};
use bipscope::phone::gateway::LinkState;
use bipscope::server::session::{ConnectRequest, Session, SessionState};
use bipscope::sim::{Event, Layer, NodeId, Playback, Scenario};
use bipscope::ui::connect::{
    check_connect, http_get, request_line, Body, ConnectField, ConnectForm, HttpView,
};
use bipscope::ui::model::{
    apply, check_apdu, check_browser_path, check_faults, check_ota, Action, ApduCheck, Causality,
    FaultField, FaultForm, FieldPos, Hover, Model, OtaField, OtaForm, SideTab,
};
use bipscope::wire::status::StatusWord;
use bipscope::wire::Field;
use std::net::Ipv4Addr;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{
    Element, EventInit, HtmlElement, HtmlInputElement, KeyboardEvent, KeyboardEventInit,
    MouseEvent, MouseEventInit,
};

wasm_bindgen_test_configure!(run_in_browser);

/// The seed the app uses by default.
const SEED: u64 = 1;

// ---------- helpers ----------

/// A mounted app and the element it lives in; removed again on drop.
struct Mounted {
    root: Element,
    handle: Option<yew::AppHandle<bipscope::ui::App>>,
}

impl Mounted {
    async fn new() -> Mounted {
        let document = gloo::utils::document();
        // The page's own stylesheet, so layout (sticky lane headers, scrolling) is real.
        if document.get_element_by_id("bipscope-style").is_none() {
            let style = document.create_element("style").unwrap();
            style.set_id("bipscope-style");
            style.set_text_content(Some(include_str!("../www/style.css")));
            document.body().unwrap().append_child(&style).unwrap();
        }
        let root = document.create_element("div").unwrap();
        document.body().unwrap().append_child(&root).unwrap();
        let handle = Some(bipscope::ui::mount(root.clone()));
        // Twice: the first render, then its effects (the page's keyboard listener), which
        // a slow first render in a debug build can push past one pause.
        settle().await;
        settle().await;
        Mounted { root, handle }
    }

    fn query(&self, selector: &str) -> Option<Element> {
        self.root.query_selector(selector).unwrap()
    }

    fn get(&self, selector: &str) -> Element {
        self.query(selector)
            .unwrap_or_else(|| panic!("no element matches {selector:?}"))
    }

    fn all(&self, selector: &str) -> Vec<Element> {
        let list = self.root.query_selector_all(selector).unwrap();
        (0..list.length())
            .filter_map(|i| list.item(i))
            .map(|n| n.dyn_into::<Element>().unwrap())
            .collect()
    }

    fn count(&self, selector: &str) -> usize {
        self.all(selector).len()
    }

    fn text(&self, selector: &str) -> String {
        self.get(selector).text_content().unwrap_or_default()
    }

    fn disabled(&self, selector: &str) -> bool {
        self.get(selector).has_attribute("disabled")
    }

    async fn click(&self, selector: &str) {
        click(&self.get(selector)).await;
    }

    async fn click_step(&self) {
        assert!(!self.disabled("[data-test=step]"), "Step is disabled");
        self.click("[data-test=step]").await;
    }

    /// Clicks Step until `k` arrows are drawn (the cursor is at `k`).
    async fn step_to(&self, k: usize) {
        for _ in 0..k {
            if self.count("g.arrow") >= k {
                break;
            }
            self.click_step().await;
        }
        assert_eq!(self.count("g.arrow"), k);
    }

    /// Offsets of the hex bytes carrying `class`.
    fn byte_offsets(&self, class: &str) -> Vec<usize> {
        self.all(&format!(".hex-view .byte.{class}"))
            .iter()
            .map(|b| b.get_attribute("data-offset").unwrap().parse().unwrap())
            .collect()
    }

    /// The tree row of `field`, a field of the event tree `root`.
    fn tree_row(&self, root: &Field, field: &Field) -> Element {
        let pos = FieldPos::of(root, field).expect("the field is in the tree");
        self.get(&format!(".field-tree .tree-row[data-pos=\"{pos}\"]"))
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.destroy();
        }
        self.root.remove();
    }
}

/// Lets Yew's scheduler render (with room for a loaded machine).
async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(50)).await;
}

/// Waits (up to `ms`) until `condition` holds; panics with `what` otherwise.
async fn until(ms: u64, what: &str, condition: impl Fn() -> bool) {
    for _ in 0..ms.div_ceil(50) {
        if condition() {
            return;
        }
        settle().await;
    }
    assert!(condition(), "timed out waiting for {what}");
}

fn mouse(kind: &str) -> MouseEvent {
    let init = MouseEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    MouseEvent::new_with_mouse_event_init_dict(kind, &init).unwrap()
}

/// Clicks any element (SVG elements have no `click()`).
async fn click(element: &Element) {
    match element.dyn_ref::<HtmlElement>() {
        Some(html) => html.click(),
        None => {
            element.dispatch_event(&mouse("click")).unwrap();
        }
    }
    settle().await;
}

async fn hover(element: &Element) {
    element.dispatch_event(&mouse("mouseover")).unwrap();
    settle().await;
}

async fn key(target: &Element, key: &str) {
    let init = KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    target.dispatch_event(&event).unwrap();
    settle().await;
}

fn has_class(element: &Element, class: &str) -> bool {
    element
        .get_attribute("class")
        .unwrap_or_default()
        .split_whitespace()
        .any(|c| c == class)
}

/// The emulator's own run, to compare the screen with.
fn run() -> Vec<Event> {
    let mut playback = Playback::new(SEED);
    playback.seek(usize::MAX);
    playback.recorded().to_vec()
}

/// Index of the first event of the run titled `title`.
fn index_of(title: &str) -> usize {
    run()
        .iter()
        .position(|e| e.title == title)
        .unwrap_or_else(|| panic!("the run has no {title:?}"))
}

// ---------- the screen ----------

#[wasm_bindgen_test]
async fn starts_empty_with_four_lanes_and_only_step_enabled() {
    let app = Mounted::new().await;
    assert_eq!(app.count("g.arrow"), 0, "no arrow before the first step");
    assert_eq!(app.count(".lifeline"), 4);
    let lanes: Vec<String> = app
        .all(".lanes .lane h2")
        .iter()
        .map(|h| h.text_content().unwrap_or_default())
        .collect();
    assert_eq!(
        lanes,
        ["Server", "Network (SMS centre)", "Phone + gateway", "Card"]
    );
    // Each lane's status line is the world's own.
    let world = Playback::new(SEED).world();
    for node in [NodeId::Server, NodeId::Network, NodeId::Phone, NodeId::Card] {
        assert_eq!(
            app.text(&format!(".lane-{} .status", node.name())),
            world.status_line(node)
        );
    }
    assert_eq!(
        app.text("[data-test=position]"),
        format!("step 0 of {}", run().len())
    );
    assert!(app.disabled("[data-test=back]"));
    assert!(app.disabled("[data-test=reset]"));
    assert!(!app.disabled("[data-test=step]"));
    assert!(!app.disabled("[data-test=play]"));
    assert!(app.text("[data-test=inspector]").contains("Press Step"));
    for button in app.all(".controls button") {
        assert!(
            button.has_attribute("aria-label"),
            "every control is labelled"
        );
        assert!(button.has_attribute("title"));
    }
}

#[wasm_bindgen_test]
async fn step_draws_an_arrow_and_inspects_the_event() {
    let app = Mounted::new().await;
    app.click_step().await;

    let arrows = app.all("g.arrow");
    assert_eq!(arrows.len(), 1, "one arrow after one step");
    assert_eq!(arrows[0].get_attribute("data-step").as_deref(), Some("1"));
    assert!(has_class(&arrows[0], "layer-action"));
    assert!(has_class(&arrows[0], "current") && has_class(&arrows[0], "selected"));
    assert!(app.text("g.arrow").contains("#1 Power on"));

    assert_eq!(app.text("[data-test=event-title]"), "#1 Power on");
    assert!(app.text(".event-head .meta").contains("user → phone"));
    assert_eq!(
        app.text("[data-test=position]"),
        format!("step 1 of {}", run().len())
    );
    assert!(!app.disabled("[data-test=back]"));
    // An action has no bytes: its single field and the "no bytes" message.
    assert_eq!(app.count(".field-tree .tree-row"), 1);
    assert_eq!(app.count(".hex-view .byte"), 0);
    assert!(app
        .text("[data-test=hex-view]")
        .contains("No bytes on the wire"));

    // The lanes show the world's status lines at the cursor.
    let mut playback = Playback::new(SEED);
    playback.seek(1);
    let world = playback.world();
    assert_eq!(
        app.text(".lane-phone .status"),
        world.status_line(NodeId::Phone)
    );
    assert_eq!(
        app.text(".lane-card .status"),
        world.status_line(NodeId::Card)
    );
    assert_eq!(app.text("[data-test=time]"), world.now().to_string());
}

#[wasm_bindgen_test]
async fn apdu_event_shows_its_decoded_fields_and_bytes() {
    let app = Mounted::new().await;
    let select = index_of("SELECT");
    app.step_to(select + 1).await;
    let event = &run()[select];

    assert_eq!(
        app.text("[data-test=event-title]"),
        format!("#{} SELECT", event.step)
    );
    let arrow = app.get(&format!("g.arrow[data-index=\"{select}\"]"));
    assert!(has_class(&arrow, "layer-apdu") && has_class(&arrow, "dir-ltr"));
    assert!(has_class(&arrow, "current"));

    // Every decoded field has its row, "label: value [start..end]".
    let fields = event.fields.walk();
    assert!(fields.len() > 1, "SELECT decodes into several fields");
    assert_eq!(app.count(".field-tree .tree-row"), fields.len());
    for field in fields {
        let row = app.tree_row(&event.fields, field);
        let text = row.text_content().unwrap_or_default();
        assert!(
            text.contains(&field.label),
            "{text:?} shows {:?}",
            field.label
        );
        assert!(
            text.contains(&field.value),
            "{text:?} shows {:?}",
            field.value
        );
        let range = format!("[{}..{}]", field.start, field.start + field.len);
        assert!(text.contains(&range), "{text:?} shows {range}");
        if !field.note.is_empty() {
            assert!(text.contains(&field.note), "the note is visible");
        }
    }

    // The hex view holds exactly the event's bytes; INS A4 is the second.
    let hex: Vec<String> = app
        .all(".hex-view .byte")
        .iter()
        .map(|b| b.text_content().unwrap_or_default())
        .collect();
    let expected: Vec<String> = event.bytes.iter().map(|b| format!("{b:02X}")).collect();
    assert_eq!(hex, expected);
    assert_eq!(hex[1], "A4");
    for byte in app.all(".hex-view .byte") {
        assert_eq!(
            byte.get_attribute("tabindex").as_deref(),
            Some("0"),
            "bytes are focusable"
        );
    }
    // Bytes no leaf covers are marked, and only those.
    let gaps: Vec<usize> = event
        .fields
        .uncovered(event.bytes.len())
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(app.byte_offsets("uncovered"), gaps);

    // The response comes back dashed (right to left).
    app.click_step().await;
    let response = app.get(&format!("g.arrow[data-index=\"{}\"]", select + 1));
    assert!(has_class(&response, "dir-rtl") && has_class(&response, "layer-apdu"));
}

#[wasm_bindgen_test]
async fn hex_and_tree_highlight_each_other() {
    let app = Mounted::new().await;
    let select = index_of("SELECT");
    app.step_to(select + 1).await;
    let event = &run()[select];
    assert!(
        app.byte_offsets("highlighted").is_empty(),
        "nothing highlighted yet"
    );

    // Click the INS byte: the deepest field covering it is highlighted, and its bytes.
    let ins = event
        .fields
        .deepest_at(1)
        .expect("a field covers the INS byte");
    click(&app.get(".hex-view .byte[data-offset=\"1\"]")).await;
    let row = app.tree_row(&event.fields, ins);
    assert!(has_class(&row, "highlighted"), "the INS row is highlighted");
    assert!(has_class(&row, "selected"));
    assert_eq!(app.count(".field-tree .tree-row.highlighted"), 1);
    assert_eq!(
        app.byte_offsets("highlighted"),
        ins.range().collect::<Vec<_>>()
    );
    assert_eq!(app.byte_offsets("selected"), [1]);

    // Click the widest child row: exactly its bytes are highlighted.
    let widest = event
        .fields
        .children
        .iter()
        .max_by_key(|f| f.len)
        .expect("SELECT has child fields");
    click(&app.tree_row(&event.fields, widest)).await;
    assert!(has_class(
        &app.tree_row(&event.fields, widest),
        "highlighted"
    ));
    assert!(!has_class(&app.tree_row(&event.fields, ins), "highlighted"));
    assert_eq!(
        app.byte_offsets("highlighted"),
        widest.range().collect::<Vec<_>>()
    );

    // Hovering a byte highlights its field for as long as the pointer stays.
    let last = event.bytes.len() - 1;
    let under_last = event
        .fields
        .deepest_at(last)
        .expect("a field covers the last byte");
    hover(&app.get(&format!(".hex-view .byte[data-offset=\"{last}\"]"))).await;
    assert!(has_class(
        &app.tree_row(&event.fields, under_last),
        "highlighted"
    ));
    assert_eq!(app.byte_offsets("hovered"), [last]);
    app.get(".hex-view")
        .dispatch_event(&mouse("mouseleave"))
        .unwrap();
    settle().await;
    assert!(
        has_class(&app.tree_row(&event.fields, widest), "highlighted"),
        "back to the selection"
    );

    // Hovering a tree row highlights its bytes.
    hover(&app.tree_row(&event.fields, ins)).await;
    assert_eq!(
        app.byte_offsets("highlighted"),
        ins.range().collect::<Vec<_>>()
    );
}

#[wasm_bindgen_test]
async fn folding_a_row_hides_its_children_and_a_byte_click_unfolds_them() {
    let app = Mounted::new().await;
    let select = index_of("SELECT");
    app.step_to(select + 1).await;
    let event = &run()[select];
    let root = &event.fields;
    let rows = app.count(".field-tree .tree-row");
    click(&app.get(".tree-row[data-pos=\"0\"] > button.toggle")).await;
    assert_eq!(
        app.count(".field-tree .tree-row"),
        1,
        "only the folded root remains"
    );
    assert_eq!(
        app.tree_row(root, root)
            .get_attribute("aria-expanded")
            .as_deref(),
        Some("false")
    );
    click(&app.get(".hex-view .byte[data-offset=\"1\"]")).await;
    assert_eq!(
        app.count(".field-tree .tree-row"),
        rows,
        "unfolded to show the field"
    );
}

#[wasm_bindgen_test]
async fn clicking_an_arrow_pins_that_event_until_following_again() {
    let app = Mounted::new().await;
    app.step_to(4).await;
    let events = run();
    click(&app.get("g.arrow[data-index=\"1\"]")).await;
    assert_eq!(
        app.text("[data-test=event-title]"),
        format!("#2 {}", events[1].title)
    );
    assert!(has_class(&app.get("g.arrow[data-index=\"1\"]"), "selected"));
    assert!(has_class(&app.get("g.arrow[data-index=\"3\"]"), "current"));
    assert!(!has_class(
        &app.get("g.arrow[data-index=\"3\"]"),
        "selected"
    ));

    // "caused by" walks back along the chain of messages.
    click(&app.get("[data-test=caused-by]")).await;
    assert_eq!(
        app.text("[data-test=event-title]"),
        format!("#1 {}", events[0].title)
    );
    app.click("[data-test=follow]").await;
    assert_eq!(
        app.text("[data-test=event-title]"),
        format!("#4 {}", events[3].title)
    );

    // Stepping makes the inspector follow the cursor again.
    click(&app.get("g.arrow[data-index=\"0\"]")).await;
    app.click_step().await;
    assert_eq!(
        app.text("[data-test=event-title]"),
        format!("#5 {}", events[4].title)
    );
}

#[wasm_bindgen_test]
async fn back_removes_the_last_arrow_and_reset_clears_the_diagram() {
    let app = Mounted::new().await;
    app.step_to(3).await;
    app.click("[data-test=back]").await;
    assert_eq!(app.count("g.arrow"), 2);
    assert!(app.query("g.arrow[data-index=\"2\"]").is_none());
    assert!(has_class(&app.get("g.arrow[data-index=\"1\"]"), "current"));
    assert!(app.text("[data-test=event-title]").starts_with("#2 "));
    assert_eq!(
        app.text("[data-test=position]"),
        format!("step 2 of {}", run().len())
    );

    app.click("[data-test=reset]").await;
    assert_eq!(app.count("g.arrow"), 0);
    assert!(app.disabled("[data-test=back]"));
    assert!(app.query("[data-test=event-title]").is_none());
    assert_eq!(app.text("[data-test=time]"), "0.000 ms");

    // The same seed replays the same run.
    app.click_step().await;
    assert_eq!(app.text("[data-test=event-title]"), "#1 Power on");
}

#[wasm_bindgen_test]
async fn keyboard_steps_back_and_plays() {
    let app = Mounted::new().await;
    let body: Element = gloo::utils::body().into();
    key(&body, "ArrowRight").await;
    key(&body, "ArrowRight").await;
    assert_eq!(app.count("g.arrow"), 2, "→ steps");
    key(&body, "ArrowLeft").await;
    assert_eq!(app.count("g.arrow"), 1, "← goes back");

    // Arrow keys inside the hex view move between bytes instead of stepping.
    let select = index_of("SELECT");
    app.step_to(select + 1).await;
    let first = app.get(".hex-view .byte[data-offset=\"0\"]");
    first.dyn_ref::<HtmlElement>().unwrap().focus().unwrap();
    key(&first, "ArrowRight").await;
    assert_eq!(
        app.count("g.arrow"),
        select + 1,
        "no step from inside the hex view"
    );
    let focused = gloo::utils::document().active_element().unwrap();
    assert_eq!(focused.get_attribute("data-offset").as_deref(), Some("1"));
    focused.dyn_ref::<HtmlElement>().unwrap().blur().unwrap();

    // Space plays (one step at once, then every half second) and pauses.
    key(&body, " ").await;
    assert_eq!(app.count("g.arrow"), select + 2, "play steps at once");
    assert_eq!(
        app.get("[data-test=play]")
            .get_attribute("aria-pressed")
            .as_deref(),
        Some("true")
    );
    key(&body, " ").await;
    assert_eq!(
        app.get("[data-test=play]")
            .get_attribute("aria-pressed")
            .as_deref(),
        Some("false")
    );
    yew::platform::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(app.count("g.arrow"), select + 2, "paused: no more steps");

    // Typing in an input is not a shortcut.
    let input = gloo::utils::document().create_element("input").unwrap();
    app.root.append_child(&input).unwrap();
    key(&input, "ArrowRight").await;
    assert_eq!(app.count("g.arrow"), select + 2);
}

#[wasm_bindgen_test]
async fn play_runs_to_the_end_then_stops() {
    let app = Mounted::new().await;
    let total = run().len();
    app.click("[data-test=play]").await;
    assert_eq!(app.text("[data-test=play]").trim(), "Pause");
    until(500 * total as u64 + 2_000, "the end of the run", || {
        app.count("g.arrow") == total
    })
    .await;
    settle().await;
    assert_eq!(app.text("[data-test=play]").trim(), "Play");
    assert!(app.disabled("[data-test=step]"));
    assert!(app.disabled("[data-test=play]"));
    assert_eq!(
        app.text("[data-test=position]"),
        format!("step {total} of {total}")
    );
    assert!(has_class(
        &app.get(&format!("g.arrow[data-index=\"{}\"]", total - 1)),
        "current"
    ));
}

#[wasm_bindgen_test]
async fn copy_hex_reports_its_outcome() {
    let app = Mounted::new().await;
    app.step_to(index_of("SELECT") + 1).await;
    app.click("[data-test=copy-hex]").await;
    until(2_000, "the copy notice", || {
        app.query("[data-test=notice]").is_some()
    })
    .await;
    let notice = app.text("[data-test=notice]");
    assert!(
        notice.starts_with("Copied ") || notice.starts_with("Could not copy: "),
        "{notice:?}"
    );
}

#[wasm_bindgen_test]
async fn the_diagram_keeps_the_newest_arrow_in_view() {
    let app = Mounted::new().await;
    let scroll = app.get("[data-test=diagram-scroll]");
    // A small diagram area, so that nine rows overflow it.
    scroll
        .set_attribute("style", "flex: none; height: 200px")
        .unwrap();
    let total = run().len();
    app.step_to(total).await;
    assert!(scroll.scroll_top() > 0, "the diagram scrolled down");
    let last = app.get(&format!("g.arrow[data-index=\"{}\"] .band", total - 1));
    let (row, view) = (
        last.get_bounding_client_rect(),
        scroll.get_bounding_client_rect(),
    );
    assert!(
        row.bottom() <= view.bottom() + 1.0,
        "the newest row is visible"
    );
    let header = app.get(".lanes").get_bounding_client_rect();
    assert!(
        row.top() >= header.bottom() - 1.0,
        "nor under the lane headers"
    );

    // Going back to the start brings the first row back into view.
    app.click("[data-test=reset]").await;
    app.click_step().await;
    let first = app
        .get("g.arrow[data-index=\"0\"] .band")
        .get_bounding_client_rect();
    let header = app.get(".lanes").get_bounding_client_rect();
    assert!(
        first.top() >= header.bottom() - 1.0,
        "the first row is below the headers"
    );
    assert!(first.bottom() <= scroll.get_bounding_client_rect().bottom() + 1.0);
}

// ---------- the model, without the DOM ----------

#[wasm_bindgen_test]
fn model_steps_backs_and_resets_through_the_playback() {
    let mut model = Model::new(SEED);
    assert!(!apply(&mut model, Action::Back), "nothing to go back to");
    assert!(apply(&mut model, Action::Step));
    assert!(apply(&mut model, Action::Step));
    assert_eq!(model.cursor(), 2);
    assert_eq!(model.selected_event().map(|e| e.step), Some(2));
    assert!(apply(&mut model, Action::Back));
    assert_eq!(
        model.selected_event().map(|e| e.title.as_str()),
        Some("Power on")
    );
    assert!(apply(&mut model, Action::Reset));
    assert_eq!(model.cursor(), 0);
    assert!(model.selected_event().is_none());
    assert!(
        !apply(&mut model, Action::Reset),
        "reset at the start changes nothing"
    );
}

#[wasm_bindgen_test]
fn model_play_stops_at_the_end() {
    let mut model = Model::new(SEED);
    assert!(
        !apply(&mut model, Action::Tick),
        "ticks do nothing unless playing"
    );
    assert!(apply(&mut model, Action::TogglePlay));
    assert!(model.playing);
    assert_eq!(model.cursor(), 1);
    while model.playing {
        apply(&mut model, Action::Tick);
    }
    assert!(!model.can_step());
    assert_eq!(model.cursor(), model.total());
    assert!(
        !apply(&mut model, Action::TogglePlay),
        "nothing left to play"
    );
}

#[wasm_bindgen_test]
fn model_selection_follows_the_cursor_unless_pinned() {
    let mut model = Model::new(SEED);
    apply(&mut model, Action::Step);
    apply(&mut model, Action::Step);
    apply(&mut model, Action::Step);
    assert!(apply(&mut model, Action::SelectEvent(0)));
    assert_eq!(model.selected_index(), Some(0));
    assert!(!apply(&mut model, Action::SelectEvent(7)), "not shown yet");
    apply(&mut model, Action::Step);
    assert_eq!(
        model.selected_index(),
        Some(3),
        "stepping follows the cursor"
    );
}

#[wasm_bindgen_test]
fn model_byte_selects_the_deepest_field_and_unfolds_its_ancestors() {
    let mut model = Model::new(SEED);
    let select = index_of("SELECT");
    for _ in 0..=select {
        apply(&mut model, Action::Step);
    }
    let fields = model.selected_event().unwrap().fields.clone();
    assert!(apply(&mut model, Action::ToggleCollapsed(FieldPos::root())));
    assert!(model.collapsed.contains(&FieldPos::root()));
    assert!(apply(&mut model, Action::SelectByte(1)));
    let deepest = FieldPos::deepest_at(&fields, 1).unwrap();
    assert_eq!(
        deepest.resolve(&fields).map(|f| f.path.as_str()),
        fields.deepest_at(1).map(|f| f.path.as_str())
    );
    assert!(!deepest.0.is_empty(), "a field below the root covers INS");
    assert_eq!(model.selected_field.as_ref(), Some(&deepest));
    assert!(
        !model.collapsed.contains(&FieldPos::root()),
        "the root was unfolded"
    );
    assert!(!apply(&mut model, Action::SelectByte(999)), "no such byte");

    // Hover wins over the selection while it lasts.
    apply(&mut model, Action::Hover(Some(Hover::Byte(0))));
    assert_eq!(model.active_field(), FieldPos::deepest_at(&fields, 0));
    apply(&mut model, Action::Hover(None));
    assert_eq!(model.active_field(), Some(deepest));
}

// ---------- the card panel ----------

/// The default profile's keys and a few commands, as a PC/SC tool would send them.
const SELECT_ICCID: &str = "00A4000C022FE2";
const READ_ICCID: &str = "00B000000A";
const SELECT_USIM: &str = "00A4040C10A0000000871002FF33FF018900000100";
const SELECT_AD: &str = "00A4000C026FAD";
const UPDATE_AD: &str = "00D600000180";
const VERIFY_ADM1: &str = "0020000A083838383838383838";
const VERIFY_WRONG_PIN1: &str = "002000010839393939FFFFFFFF";

impl Mounted {
    async fn open_card_tab(&self) {
        self.click("[data-test=tab-card]").await;
        assert!(
            self.query("[data-test=card-panel]").is_some(),
            "the card panel shows"
        );
    }

    /// The file tree's row of the file at `path` (`3F00/7FF0/6F07`).
    fn file_row(&self, path: &str) -> Element {
        self.get(&format!(".file-tree .file-row[data-path=\"{path}\"]"))
    }

    /// Types `text` into the send-APDU box (as an `input` event does).
    async fn type_apdu(&self, text: &str) {
        let input = self.get("[data-test=apdu-input]");
        input.dyn_ref::<HtmlInputElement>().unwrap().set_value(text);
        let init = EventInit::new();
        init.set_bubbles(true);
        let event = web_sys::Event::new_with_event_init_dict("input", &init).unwrap();
        input.dispatch_event(&event).unwrap();
        settle().await;
    }

    /// Types `apdu`, clicks Send and returns the echo of the card's answer.
    async fn send_apdu(&self, apdu: &str) -> String {
        self.type_apdu(apdu).await;
        assert!(
            !self.disabled("[data-test=apdu-send]"),
            "Send is enabled for {apdu}: {}",
            self.text("[data-test=apdu-message]")
        );
        self.click("[data-test=apdu-send]").await;
        self.text("[data-test=apdu-echo]")
    }

    /// Steps to the end of the run (start-up done) and opens the card panel.
    async fn ready_card(&self) -> usize {
        let total = run().len();
        self.step_to(total).await;
        self.open_card_tab().await;
        total
    }
}

#[wasm_bindgen_test]
async fn card_panel_lists_the_file_tree_with_ids_kinds_and_sizes() {
    let app = Mounted::new().await;
    assert!(
        app.query("[data-test=inspector]").is_some(),
        "the inspector is the first tab"
    );
    app.open_card_tab().await;
    assert!(
        app.query("[data-test=inspector]").is_none(),
        "one tab at a time"
    );
    assert_eq!(
        app.get("[data-test=tab-card]")
            .get_attribute("aria-selected")
            .as_deref(),
        Some("true")
    );

    let tree = Card::new().file_tree();
    let expect = [
        ("3F00", "MF", "MF", format!("{} B", tree.size)),
        ("3F00/2FE2", "EF.ICCID", "transparent", "10 B".to_string()),
        (
            "3F00/2F00",
            "EF.DIR",
            "linear fixed",
            "2 × 26 B".to_string(),
        ),
        (
            "3F00/7FF0",
            "ADF.USIM",
            "ADF",
            format!("{} B", 9 + 4 + 5 * 3),
        ),
        (
            "3F00/7FF0/6F07",
            "EF.IMSI",
            "transparent",
            "9 B".to_string(),
        ),
        ("3F00/7FF0/6F39", "EF.ACM", "cyclic", "5 × 3 B".to_string()),
    ];
    for (path, name, kind, size) in expect {
        let row = app.file_row(path);
        let fid = path.rsplit('/').next().unwrap();
        assert_eq!(
            row.query_selector(".fname")
                .unwrap()
                .unwrap()
                .text_content()
                .unwrap(),
            name
        );
        assert_eq!(
            row.query_selector(".fid")
                .unwrap()
                .unwrap()
                .text_content()
                .unwrap(),
            fid
        );
        assert_eq!(
            row.query_selector(".fkind")
                .unwrap()
                .unwrap()
                .text_content()
                .unwrap(),
            kind
        );
        assert_eq!(
            row.query_selector(".fsize")
                .unwrap()
                .unwrap()
                .text_content()
                .unwrap(),
            size,
            "{path}"
        );
    }
    // One row per file of the card.
    assert_eq!(app.count(".file-tree .file-row"), tree.walk().len());

    // Folding ADF.USIM hides its EFs; unfolding shows them again.
    click(&app.get(".file-row[data-path=\"3F00/7FF0\"] > button.toggle")).await;
    until(2000, "ADF.USIM folded", || {
        app.query(".file-row[data-path=\"3F00/7FF0/6F07\"]")
            .is_none()
    })
    .await;
    assert_eq!(
        app.file_row("3F00/7FF0")
            .get_attribute("aria-expanded")
            .as_deref(),
        Some("false")
    );
    key(&app.file_row("3F00/7FF0"), "ArrowRight").await;
    until(2000, "ADF.USIM unfolded", || {
        app.query(".file-row[data-path=\"3F00/7FF0/6F07\"]")
            .is_some()
    })
    .await;
    assert_eq!(
        app.count("g.arrow"),
        0,
        "→ in the tree unfolds, it does not step"
    );

    // The PINs as personalised.
    assert_eq!(app.text("[data-pin=PIN1] .tries"), "3/3 tries");
    assert_eq!(app.text("[data-pin=PUK1] .tries"), "10/10 tries");
    assert_eq!(app.text("[data-pin=ADM1] .tries"), "10/10 tries");
    assert_eq!(app.text("[data-pin=PIN1] .state"), "not verified");
}

#[wasm_bindgen_test]
async fn clicking_a_file_shows_its_bytes_and_decoded_content() {
    let app = Mounted::new().await;
    app.open_card_tab().await;
    app.click(".file-row[data-path=\"3F00/2FE2\"]").await;
    assert!(has_class(&app.file_row("3F00/2FE2"), "selected"));
    assert!(app.text("[data-test=file-title]").starts_with("EF.ICCID"));
    let iccid = Card::new().profile().iccid.as_str().to_string();
    assert_eq!(iccid, "89882110000000000010");
    assert!(
        app.text("[data-test=decoded]").contains(&iccid),
        "{}",
        app.text("[data-test=decoded]")
    );
    let cells: Vec<String> = app
        .all("[data-test=file-hex] .cell")
        .iter()
        .map(|c| c.text_content().unwrap_or_default())
        .collect();
    assert_eq!(
        cells.concat(),
        "98881201000000000001",
        "swapped BCD on the card"
    );

    // EF.IMSI and an SCWS resource, decoded.
    key(&app.file_row("3F00/2FE2"), "ArrowDown").await;
    app.click(".file-row[data-path=\"3F00/7FF0/6F07\"]").await;
    assert!(app.text("[data-test=decoded]").contains("001010123456789"));
    app.click(".file-row[data-path=\"3F00/7F50/6F01\"]").await;
    assert!(app
        .text("[data-test=file-title]")
        .starts_with("/index.html"));
    assert!(app.text("[data-test=decoded]").contains("text/html"));
    assert!(app
        .text("[data-test=file-text]")
        .contains("<h1>Welcome</h1>"));
}

#[wasm_bindgen_test]
async fn apdu_box_validates_as_you_type_and_waits_for_start_up() {
    let app = Mounted::new().await;
    app.open_card_tab().await;
    // Before start-up the phone cannot send: the box says why.
    app.type_apdu(SELECT_ICCID).await;
    assert!(app.disabled("[data-test=apdu-send]"));
    assert!(
        app.text("[data-test=apdu-message]").contains("step"),
        "{}",
        app.text("[data-test=apdu-message]")
    );
    app.step_to(3).await;
    assert!(app.disabled("[data-test=apdu-send]"), "still starting up");
    assert!(app.text("[data-test=apdu-message]").contains("start-up"));

    let total = run().len();
    app.step_to(total).await;
    let cases = [
        ("00A4G0", "'G' is not a hex digit"),
        ("00A4000", "odd number of hex digits (7)"),
        (
            "00A4",
            "command APDU header is truncated: needs 4 byte(s), only 2 present",
        ),
        (
            "00A4000C032FE2",
            "command data field (Lc) is truncated: needs 3 byte(s), only 2",
        ),
        ("00A4000C022FE20000", "1 unexpected byte(s)"),
    ];
    for (text, error) in cases {
        app.type_apdu(text).await;
        let message = app.text("[data-test=apdu-message]");
        assert!(message.contains(error), "{text}: {message:?}");
        assert!(has_class(&app.get("[data-test=apdu-message]"), "error"));
        assert!(
            app.disabled("[data-test=apdu-send]"),
            "{text}: Send disabled"
        );
        assert_eq!(
            app.get("[data-test=apdu-input]")
                .get_attribute("aria-invalid")
                .as_deref(),
            Some("true")
        );
        // Enter does not send it, and keys typed in the box are no shortcuts.
        key(&app.get("[data-test=apdu-input]"), "Enter").await;
        key(&app.get("[data-test=apdu-input]"), "ArrowLeft").await;
        assert_eq!(
            app.count("g.arrow"),
            total,
            "{text}: nothing sent, no step back"
        );
    }
    app.type_apdu("00 a4 00 0c 02 2f e2").await;
    assert!(!app.disabled("[data-test=apdu-send]"));
    let message = app.text("[data-test=apdu-message]");
    assert!(
        message.contains("SELECT (case 3, Lc 2, 7 bytes)"),
        "{message}"
    );
}

#[wasm_bindgen_test]
async fn sending_select_and_read_binary_appends_the_exchange_and_echoes_the_answer() {
    let app = Mounted::new().await;
    let total = app.ready_card().await;
    let echo = app.send_apdu(SELECT_ICCID).await;
    assert_eq!(
        app.count("g.arrow"),
        total + 3,
        "user → phone → card → phone"
    );
    assert!(echo.contains(SELECT_ICCID), "{echo}");
    assert_eq!(app.text("[data-test=apdu-response]"), "9000");
    assert_eq!(
        app.text("[data-test=apdu-sw]"),
        "9000: Normal ending of the command"
    );
    assert!(app.text("g.arrow[data-index=\"0\"]").contains("Power on"));
    let titles: Vec<String> = app
        .all("g.arrow")
        .iter()
        .skip(total)
        .map(|a| a.text_content().unwrap_or_default())
        .collect();
    assert!(
        titles[0].contains("Send APDU")
            && titles[1].contains("SELECT")
            && titles[2].contains("90 00"),
        "{titles:?}"
    );

    // Enter sends too; READ BINARY answers the ICCID.
    app.type_apdu(READ_ICCID).await;
    key(&app.get("[data-test=apdu-input]"), "Enter").await;
    assert_eq!(app.count("g.arrow"), total + 6);
    assert_eq!(
        app.text("[data-test=apdu-response]"),
        "98881201000000000001 9000"
    );
    assert_eq!(
        app.text("[data-test=position]"),
        format!("step {} of {}", total + 6, total + 6)
    );
    // The inspector follows: it shows the answer.
    app.click("[data-test=tab-inspector]").await;
    assert_eq!(
        app.text("[data-test=event-title]"),
        format!("#{} 90 00 (+10 bytes)", total + 6)
    );
}

#[wasm_bindgen_test]
async fn update_binary_without_adm_is_refused_with_6982() {
    let app = Mounted::new().await;
    app.ready_card().await;
    for apdu in [SELECT_USIM, SELECT_AD] {
        app.send_apdu(apdu).await;
        assert_eq!(app.text("[data-test=apdu-response]"), "9000", "{apdu}");
    }
    app.send_apdu(UPDATE_AD).await;
    assert_eq!(app.text("[data-test=apdu-response]"), "6982");
    assert_eq!(
        app.text("[data-test=apdu-sw]"),
        format!("6982: {}", StatusWord(0x6982).meaning())
    );
    assert!(app
        .text("[data-test=apdu-sw]")
        .contains("Security status not satisfied"));
    assert!(app
        .text("[data-test=step-changes]")
        .contains("changed no file"));
    assert_eq!(app.count(".file-row.changed"), 0);
    assert!(app.query("[data-test=card-changes]").is_none());
}

#[wasm_bindgen_test]
async fn update_binary_after_verify_adm_highlights_the_file_with_a_diff() {
    let app = Mounted::new().await;
    let total = app.ready_card().await;
    for apdu in [SELECT_USIM, SELECT_AD, VERIFY_ADM1] {
        app.send_apdu(apdu).await;
        assert_eq!(app.text("[data-test=apdu-response]"), "9000", "{apdu}");
    }
    assert_eq!(app.text("[data-pin=ADM1] .state"), "verified");
    app.send_apdu(UPDATE_AD).await;
    assert_eq!(app.text("[data-test=apdu-response]"), "9000");

    // The command's step changed EF.AD: marked in the tree, its DF faintly.
    let update_step = total + 11;
    let row = app.file_row("3F00/7FF0/6FAD");
    assert!(has_class(&row, "changed"));
    assert!(has_class(&app.file_row("3F00/7FF0"), "holds-change"));
    assert!(
        !has_class(&app.file_row("3F00"), "holds-change"),
        "not the MF"
    );
    assert_eq!(app.count(".file-row.changed"), 1);
    assert_eq!(app.text("[data-test=card-changes]"), "1");
    let summary = app.text("[data-test=step-changes]");
    assert!(
        summary.contains(&format!(
            "Step #{update_step} (UPDATE BINARY, answered at #{})",
            update_step + 1
        )),
        "{summary}"
    );

    // Showing the file (from the step's summary) shows the diff: byte 0 went 00 → 80.
    app.click("[data-test=step-changes] .changed-file").await;
    assert!(app.text("[data-test=file-title]").starts_with("EF.AD"));
    assert!(has_class(&app.file_row("3F00/7FF0/6FAD"), "selected"));
    let diff = app.text("[data-test=file-diff]");
    assert!(
        diff.contains(&format!(
            "Changed by step #{update_step} (UPDATE BINARY): 1 byte"
        )),
        "{diff}"
    );
    let marked: Vec<String> = app
        .all("[data-test=file-diff] .cell.diff")
        .iter()
        .map(|c| c.text_content().unwrap_or_default())
        .collect();
    assert_eq!(marked, ["00", "80"], "before, after");
    assert_eq!(app.count("[data-test=file-diff] .fhex-row"), 2);
    let decoded = app
        .get("[data-test=decoded] dd.changed")
        .text_content()
        .unwrap();
    assert_eq!(
        decoded,
        "80: type approval operations (was 00: normal operation)"
    );
    assert_eq!(
        app.count("[data-test=file-hex] .cell.diff"),
        1,
        "marked in the bytes too"
    );

    // The same change shows when the command's arrow is selected; the step before has none.
    click(&app.get(&format!("g.arrow[data-index=\"{}\"]", update_step - 1))).await;
    assert!(app.query("[data-test=file-diff]").is_some());
    click(&app.get(&format!("g.arrow[data-index=\"{}\"]", update_step - 2))).await;
    assert!(app.query("[data-test=file-diff]").is_none());
    assert_eq!(app.count(".file-row.changed"), 0);
}

#[wasm_bindgen_test]
async fn a_wrong_verify_decrements_the_pin_tries() {
    let app = Mounted::new().await;
    app.ready_card().await;
    assert_eq!(app.text("[data-pin=PIN1] .tries"), "3/3 tries");
    app.send_apdu(VERIFY_WRONG_PIN1).await;
    assert_eq!(app.text("[data-test=apdu-response]"), "63C2");
    assert_eq!(
        app.text("[data-test=apdu-sw]"),
        format!("63C2: {}", StatusWord(0x63C2).meaning())
    );
    assert_eq!(app.text("[data-pin=PIN1] .tries"), "3/3 2/3 tries");
    assert_eq!(app.text("[data-pin=PIN1] .tries .was"), "3/3");
    assert!(has_class(&app.get("[data-pin=PIN1]"), "changed"));
    assert!(app
        .text("[data-test=step-changes]")
        .contains("PIN1 tries 3 → 2"));
    app.send_apdu(VERIFY_WRONG_PIN1).await;
    assert_eq!(app.text("[data-test=apdu-response]"), "63C1");
    assert!(app.text("[data-pin=PIN1] .tries").ends_with("1/3 tries"));
    // A new run starts from the personalised counter.
    let total = run().len();
    app.click("[data-test=reset]").await;
    app.step_to(total).await;
    assert_eq!(app.text("[data-pin=PIN1] .tries"), "3/3 tries");
}

#[wasm_bindgen_test]
fn model_checks_apdus_and_sends_them_through_the_playback() {
    assert_eq!(check_apdu("  "), ApduCheck::Empty);
    assert!(
        matches!(check_apdu("0G"), ApduCheck::Invalid(m) if m.contains("'G' is not a hex digit"))
    );
    assert!(
        matches!(check_apdu("00B0000000FF"), ApduCheck::Invalid(_)),
        "Lc 00 with data"
    );
    assert!(matches!(
        check_apdu("00B000000A"),
        ApduCheck::Valid { ref bytes, ref summary } if bytes.len() == 5 && summary == "READ BINARY (case 2, Le 10, 5 bytes)"
    ));

    let mut model = Model::new(SEED);
    assert!(apply(&mut model, Action::EditApdu(SELECT_ICCID.into())));
    assert!(!apply(&mut model, Action::SendApdu), "not before start-up");
    assert!(model.apdu_blocker.is_some());
    while apply(&mut model, Action::Step) {}
    assert!(model.apdu_blocker.is_none());
    let total = model.total();
    assert!(apply(&mut model, Action::SendApdu));
    assert_eq!(model.cursor(), total + 3);
    assert_eq!(model.total(), total + 3);
    assert!(model.run_complete);
    let echo = model.apdu_echo.clone().expect("echoed");
    assert_eq!(echo.response.as_deref(), Some(&[0x90, 0x00][..]));
    assert_eq!(
        model.changes.as_ref().map(|c| c.step),
        Some(total as u64 + 3)
    );
    assert!(apply(&mut model, Action::ShowTab(SideTab::Card)));
    assert!(!apply(&mut model, Action::ShowTab(SideTab::Card)));
    assert!(apply(&mut model, Action::SelectFile(vec![0x2FE2])));
    assert!(
        !apply(&mut model, Action::SelectFile(vec![0x1234])),
        "no such file"
    );
    assert!(apply(&mut model, Action::Reset));
    assert!(model.apdu_echo.is_none());
}

// ---------- SMS, the phone screen and the server console ----------

/// The emulator's own run of `scenario`, to compare the screen with.
fn scenario_run(scenario: Scenario) -> Vec<Event> {
    scenario.record(SEED).log().to_vec()
}

/// Dispatches a bubbling event of type `kind` at `target`.
fn fire(target: &Element, kind: &str) {
    let init = EventInit::new();
    init.set_bubbles(true);
    let event = web_sys::Event::new_with_event_init_dict(kind, &init).unwrap();
    target.dispatch_event(&event).unwrap();
}

/// The arrows whose description says they go `from` → `to`.
fn arrows_between(app: &Mounted, from: NodeId, to: NodeId) -> Vec<Element> {
    let words = format!(", {} → {},", from.name(), to.name());
    app.all("g.arrow")
        .into_iter()
        .filter(|a| {
            a.get_attribute("aria-label")
                .unwrap_or_default()
                .contains(&words)
        })
        .collect()
}

impl Mounted {
    async fn open_tab(&self, tab: &str) {
        self.click(&format!("[data-test=tab-{tab}]")).await;
    }

    /// Opens the server console and picks `scenario` in its picker.
    async fn pick_scenario(&self, scenario: Scenario) {
        self.open_tab("server").await;
        let select = self.get("[data-test=scenario-select]");
        js_sys::Reflect::set(&select, &"value".into(), &scenario.name().into()).unwrap();
        fire(&select, "change");
        settle().await;
    }

    /// Clicks Step until it is disabled (the end of the run).
    async fn step_to_end(&self) {
        for _ in 0..200 {
            if self.disabled("[data-test=step]") {
                return;
            }
            self.click("[data-test=step]").await;
        }
        panic!("the run did not end");
    }

    /// Types `text` into the input `selector` (as an `input` event does).
    async fn type_into(&self, selector: &str, text: &str) {
        let input = self.get(selector);
        input.dyn_ref::<HtmlInputElement>().unwrap().set_value(text);
        fire(&input, "input");
        settle().await;
    }
}

#[wasm_bindgen_test]
async fn ota_scenario_draws_sms_arrows_and_the_server_reads_the_por() {
    let app = Mounted::new().await;
    let log = scenario_run(Scenario::Ota);
    app.pick_scenario(Scenario::Ota).await;
    assert_eq!(app.count("g.arrow"), 0, "picking starts the scenario over");
    assert_eq!(
        app.text("[data-test=position]"),
        format!("step 0 of {}", log.len())
    );
    assert!(app
        .text("[data-test=ota-result]")
        .contains("No OTA sent yet"));
    app.step_to_end().await;
    assert_eq!(app.count("g.arrow"), log.len());

    // SMS arrows between every pair the OTA crosses, styled as the SMS layer.
    for (from, to) in [
        (NodeId::Server, NodeId::Network),
        (NodeId::Network, NodeId::Phone),
        (NodeId::Phone, NodeId::Network),
        (NodeId::Network, NodeId::Server),
    ] {
        let arrows = arrows_between(&app, from, to);
        let expected = log.iter().filter(|e| e.from == from && e.to == to).count();
        assert!(expected > 0, "the run has {from:?} → {to:?}");
        assert_eq!(arrows.len(), expected, "{from:?} → {to:?}");
        assert!(
            arrows.iter().all(|a| has_class(a, "layer-sms")),
            "{from:?} → {to:?} arrows are SMS"
        );
    }
    // Attach carries no bytes: drawn dotted, still labelled.
    let attach = log.iter().position(|e| e.title == "Attach").unwrap();
    let arrow = app.get(&format!("g.arrow[data-index=\"{attach}\"]"));
    assert!(has_class(&arrow, "layer-sms") && has_class(&arrow, "no-bytes"));
    assert!(arrow.text_content().unwrap().contains("Attach"));
    // The SMS-PP download reaches the card as an ENVELOPE.
    let envelope = log.iter().position(|e| e.title == "ENVELOPE").unwrap();
    let arrow = app.get(&format!("g.arrow[data-index=\"{envelope}\"]"));
    assert!(has_class(&arrow, "layer-apdu") && has_class(&arrow, "dir-ltr"));
    assert!(arrow.text_content().unwrap().contains("ENVELOPE"));
    assert_eq!(app.count(".legend .layer-sms"), 1, "SMS is in the legend");

    // The server console shows the PoR the server read, as the world has it.
    let mut playback = Playback::for_scenario(Scenario::Ota, SEED);
    playback.seek(usize::MAX);
    let world = playback.world();
    let Some(bipscope::server::OtaOutcome::Por(por)) =
        world.server().sent().last().and_then(|m| m.outcome.clone())
    else {
        panic!("the ota scenario ends with a PoR");
    };
    let compact = por.compact.expect("RFM answers a compact response");
    assert!(app.text("[data-test=por-status]").starts_with("PoR 00"));
    assert_eq!(
        app.text("[data-test=por-executed]"),
        compact.executed.to_string()
    );
    assert!(compact.executed >= 1);
    let sw = compact.last_status.0.to_be_bytes();
    assert!(app
        .text("[data-test=por-last-sw]")
        .starts_with(&format!("{:02X} {:02X}", sw[0], sw[1])));
    assert!(app.text("[data-test=ota-sent]").contains("OTA #1"));
    assert_eq!(
        app.text(".lane-server .status"),
        world.status_line(NodeId::Server)
    );
    assert_eq!(
        app.text(".lane-network .status"),
        world.status_line(NodeId::Network)
    );

    // The phone screen shows the data download to the card, with its step.
    app.open_tab("phone").await;
    let deliver = log
        .iter()
        .find(|e| e.to == NodeId::Phone && e.title.starts_with("SMS-DELIVER"))
        .unwrap();
    let indicator = app.text("[data-test=phone-ota]");
    assert!(
        indicator.contains("Data download to the card"),
        "{indicator}"
    );
    assert!(
        indicator.contains(&format!("step #{}", deliver.step)),
        "{indicator}"
    );
    assert!(app.text("[data-test=phone-network]").contains("attached"));

    // Reset replays the same scenario.
    app.click("[data-test=reset]").await;
    assert_eq!(
        app.text("[data-test=position]"),
        format!("step 0 of {}", log.len())
    );
}

#[wasm_bindgen_test]
async fn ota_composer_validates_inline_then_sends_and_shows_the_por() {
    let app = Mounted::new().await;
    let total = run().len();
    app.step_to(total).await;
    app.open_tab("server").await;
    // Defaults: the ota scenario's request.
    let defaults = OtaForm::defaults();
    let value = |selector: &str| {
        app.get(selector)
            .dyn_into::<HtmlInputElement>()
            .unwrap()
            .value()
    };
    assert_eq!(value("[data-test=ota-spi]"), defaults.spi);
    assert_eq!(value("[data-test=ota-data]"), "00A40004023F00");
    assert!(app
        .text("[data-test=ota-tar-select]")
        .contains("remote file management"));
    assert!(!app.disabled("[data-test=ota-send]"));

    // A bad SPI: inline error, Send disabled; typing does not step the run.
    app.type_into("[data-test=ota-spi]", "1G19").await;
    let message = app.get("[data-test=ota-spi-message]");
    assert!(has_class(&message, "error"));
    assert!(message.text_content().unwrap().contains("Not hex"));
    assert_eq!(
        app.get("[data-test=ota-spi]")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("true")
    );
    assert!(app.disabled("[data-test=ota-send]"));
    key(&app.get("[data-test=ota-spi]"), "ArrowLeft").await;
    assert_eq!(app.count("g.arrow"), total, "no shortcut while typing");
    app.type_into("[data-test=ota-spi]", "161").await;
    assert!(app.text("[data-test=ota-spi-message]").contains("Not hex"));
    app.type_into("[data-test=ota-kic]", "2525").await;
    assert!(app.text("[data-test=ota-kic-message]").contains("1 byte"));
    app.type_into("[data-test=ota-kic]", &defaults.kic).await;
    app.type_into("[data-test=ota-spi]", &defaults.spi).await;
    assert!(!has_class(&app.get("[data-test=ota-spi-message]"), "error"));
    assert!(!app.disabled("[data-test=ota-send]"));

    // Send: the exchange is appended and the result shows the PoR.
    app.click("[data-test=ota-send]").await;
    let arrows = app.count("g.arrow");
    assert!(
        arrows > total + 5,
        "the OTA exchange is appended ({arrows})"
    );
    let shown = app.all("g.arrow");
    let titles: Vec<String> = shown[total..]
        .iter()
        .map(|a| a.text_content().unwrap_or_default())
        .collect();
    assert!(titles[0].contains("Send OTA"), "{titles:?}");
    assert!(titles.iter().any(|t| t.contains("ENVELOPE")));
    assert!(
        titles.last().unwrap().contains("SMS-STATUS-REPORT"),
        "{titles:?}"
    );
    assert!(app.text("[data-test=por-status]").starts_with("PoR 00"));
    assert!(app.text("[data-test=ota-sent]").contains("OTA #1"));
    assert!(app
        .text("[data-test=ota-sent]")
        .contains(&format!("step #{}", total + 1)));

    // A second one moves the counter on.
    app.click("[data-test=ota-send]").await;
    assert!(app.text("[data-test=ota-sent]").contains("OTA #2"));
    assert!(app.text("[data-test=por-status]").starts_with("PoR 00"));
}

#[wasm_bindgen_test]
async fn sms_events_render_nested_fields_linked_to_their_bytes() {
    let app = Mounted::new().await;
    let log = scenario_run(Scenario::Ota);
    app.pick_scenario(Scenario::Ota).await;
    app.step_to_end().await;
    let index = log
        .iter()
        .position(|e| e.title.starts_with("SMS-DELIVER") && e.to == NodeId::Phone)
        .unwrap();
    let event = &log[index];
    click(&app.get(&format!("g.arrow[data-index=\"{index}\"]"))).await;
    app.open_tab("inspector").await;
    assert!(app.text("[data-test=event-title]").contains("SMS-DELIVER"));

    // The deepest field with bytes (TPDU → user data → command packet → …).
    fn deepest(field: &Field, depth: usize) -> (usize, &Field) {
        field
            .children
            .iter()
            .filter(|c| c.len > 0)
            .map(|c| deepest(c, depth + 1))
            .max_by_key(|(d, _)| *d)
            .unwrap_or((depth, field))
    }
    let (depth, field) = deepest(&event.fields, 0);
    assert!(
        depth >= 3,
        "the SMS decodes into nested fields ({depth} deep)"
    );
    let pos = FieldPos::of(&event.fields, field).unwrap();
    for ancestor in pos.ancestors() {
        assert!(
            app.query(&format!(".field-tree .tree-row[data-pos=\"{ancestor}\"]"))
                .is_some(),
            "row {ancestor} renders"
        );
    }
    click(&app.tree_row(&event.fields, field)).await;
    assert_eq!(
        app.byte_offsets("highlighted"),
        field.range().collect::<Vec<_>>(),
        "the nested field's row highlights exactly its bytes"
    );
    // And back: a byte selects the deepest field covering it.
    let byte = field.start;
    click(&app.get(&format!(".hex-view .byte[data-offset=\"{byte}\"]"))).await;
    let under = event.fields.deepest_at(byte).unwrap();
    assert!(has_class(&app.tree_row(&event.fields, under), "selected"));
}

#[wasm_bindgen_test]
fn model_checks_ota_forms_and_picks_scenarios() {
    let defaults = OtaForm::defaults();
    assert!(check_ota(&defaults).request.is_some());
    let bad = OtaForm {
        spi: "1G19".into(),
        kid: "".into(),
        ..defaults.clone()
    };
    let check = check_ota(&bad);
    assert!(check.request.is_none());
    assert!(check.spi.as_deref().unwrap().contains("Not hex"));
    assert!(check.kid.is_some());
    assert!(check.tar.is_none() && check.kic.is_none() && check.data.is_none());

    let mut model = Model::new(SEED);
    assert!(apply(&mut model, Action::PickScenario(Scenario::Ota)));
    assert_eq!(model.cursor(), 0);
    assert_eq!(model.total(), scenario_run(Scenario::Ota).len());
    assert!(apply(&mut model, Action::ShowTab(SideTab::Server)));
}

// ---------- the gateway, the network panel, TCP and causal links in the diagram ----------

/// The world at the end of `scenario`'s recorded run.
fn scenario_end(scenario: Scenario) -> bipscope::sim::World {
    let mut playback = Playback::for_scenario(scenario, SEED);
    playback.seek(usize::MAX);
    playback.world()
}

#[wasm_bindgen_test]
async fn gateway_panel_shows_the_listening_channel_and_its_sid_after_scws_start() {
    let app = Mounted::new().await;
    app.pick_scenario(Scenario::ScwsStart).await;
    app.open_tab("phone").await;
    assert_eq!(app.text("[data-test=gateway-empty]"), "No channel open");
    assert_eq!(app.count("[data-test=gateway-channel]"), 0);

    app.step_to_end().await;
    let world = scenario_end(Scenario::ScwsStart);
    let channels: Vec<_> = world.phone().gateway().channels().cloned().collect();
    assert_eq!(channels.len(), 1, "scws-start opens one channel");
    let channel = &channels[0];
    assert_eq!(channel.state, LinkState::Listen);
    assert_eq!(app.count("[data-test=gateway-channel]"), 1);
    assert!(app.query("[data-test=gateway-empty]").is_none());
    let row = format!(
        "[data-test=gateway-channel][data-channel=\"{}\"]",
        channel.id
    );
    let cell = |test: &str| app.text(&format!("{row} [data-test={test}]"));
    assert_eq!(cell("channel-id"), channel.id.to_string());
    assert_eq!(cell("channel-sid"), channel.sid.to_string());
    assert_eq!(cell("channel-mode"), "TCP server :3516");
    assert_eq!(cell("channel-state"), LinkState::Listen.describe());
    assert_eq!(cell("channel-secure"), "not secure");
    assert!(
        cell("channel-peer").starts_with('—'),
        "no peer while listening"
    );
    // Buffer fill: numbers and an accessible bar over the granted size.
    let rx = app.get(&format!("{row} [data-test=channel-rx] [role=meter]"));
    assert_eq!(
        rx.get_attribute("aria-label").as_deref(),
        Some(format!("Receive buffer: 0 of {} bytes", channel.buffer_size).as_str())
    );
    assert_eq!(
        rx.get_attribute("aria-valuemax").as_deref(),
        Some(channel.buffer_size.to_string().as_str())
    );
    assert_eq!(
        app.text(&format!("{row} [data-test=channel-tx] .buffer-count")),
        format!("0/{}", channel.buffer_size)
    );
    // The events the card asked for, as the phone holds them.
    let events = app.text("[data-test=gateway-events]");
    let asked = world.phone().event_list();
    if asked.is_empty() {
        assert!(events.ends_with("none"), "{events}");
    }
    for event in asked {
        assert!(events.contains(&event.to_string()), "{events}");
    }

    // Back at the start the table is empty again.
    app.click("[data-test=reset]").await;
    assert_eq!(app.text("[data-test=gateway-empty]"), "No channel open");
}

#[wasm_bindgen_test]
async fn network_panel_rejects_150_loss_inline_and_applies_10() {
    let app = Mounted::new().await;
    let total = run().len();
    app.step_to(total).await;
    app.open_tab("network").await;
    assert_eq!(app.text("[data-test=faults-backbone-summary]"), "none");
    assert!(app.text("[data-test=ip-session]").contains("No IP session"));
    let loss = "[data-test=fault-backbone-loss]";
    let message = "[data-test=fault-backbone-loss-message]";
    let apply = "[data-test=faults-backbone-apply]";

    app.type_into(loss, "150").await;
    assert!(has_class(&app.get(message), "error"));
    assert_eq!(app.text(message), "Out of range: 0 to 100 %.");
    assert_eq!(
        app.get(loss).get_attribute("aria-invalid").as_deref(),
        Some("true")
    );
    assert!(app.disabled(apply));
    app.type_into(loss, "ten").await;
    assert!(app.text(message).starts_with("Not a number"));
    // Typing changes the form only: no step is taken.
    assert_eq!(app.count("g.arrow"), total);

    app.type_into(loss, "10").await;
    assert!(!has_class(&app.get(message), "error"));
    assert!(!app.disabled(apply));
    app.click(apply).await;
    assert_eq!(
        app.count("g.arrow"),
        total + 1,
        "the action is the next event"
    );
    let action = app.get(&format!("g.arrow[data-index=\"{total}\"]"));
    assert!(action.text_content().unwrap().contains("Set link faults"));
    assert!(has_class(&action, "layer-action"));
    let expected = LinkFaults {
        loss_percent: 10,
        ..LinkFaults::default()
    }
    .summary();
    assert_eq!(expected, "loss 10 %");
    assert_eq!(app.text("[data-test=faults-backbone-summary]"), expected);
    assert_eq!(app.text("[data-test=faults-radio-summary]"), "none");
    assert!(app
        .text("[data-test=network-status]")
        .contains(&format!("{}: faults loss 10 %", Link::Backbone.name())));
    // Stepping back before the action shows the link clear again; the form follows.
    app.click("[data-test=back]").await;
    assert_eq!(app.text("[data-test=faults-backbone-summary]"), "none");
    let value = app
        .get(loss)
        .dyn_into::<HtmlInputElement>()
        .unwrap()
        .value();
    assert_eq!(value, "0");
}

#[wasm_bindgen_test]
async fn cut_link_dispatches_and_the_network_status_shows_the_cut() {
    let app = Mounted::new().await;
    let total = run().len();
    app.step_to(total).await;
    app.open_tab("network").await;
    app.click("[data-test=faults-radio-cut]").await;
    assert_eq!(app.count("g.arrow"), total + 1, "the cut is the next event");
    let cut = app.get(&format!("g.arrow[data-index=\"{total}\"]"));
    assert!(cut.text_content().unwrap().contains("Cut link"));
    let words = format!("{} cut", Link::Radio.name());
    assert!(
        app.text("[data-test=network-status]").contains(&words),
        "{}",
        app.text("[data-test=network-status]")
    );
    assert_eq!(
        app.text("[data-test=network-status]"),
        app.text(".lane-network .status")
    );
}

#[wasm_bindgen_test]
async fn legend_has_tcp_timer_and_causal_entries() {
    let app = Mounted::new().await;
    assert_eq!(app.count(".legend .layer-tcp"), 1);
    assert!(app.text(".legend .layer-tcp").contains("TCP"));
    assert_eq!(app.count(".legend .layer-timer"), 1);
    assert_eq!(
        app.text(".legend .causal"),
        "cause,effects of the selected event"
    );
    assert_eq!(app.count(".legend .causal .mark.cause"), 1);
    assert_eq!(app.count(".legend .causal .mark.effect"), 1);
    // Every layer has its arrow head, TCP also its sender's dot.
    for layer in [
        Layer::Action,
        Layer::Iso7816,
        Layer::Apdu,
        Layer::Sms,
        Layer::Tcp,
        Layer::Timer,
    ] {
        assert!(app
            .query(&format!("marker#head-{}", layer.name()))
            .is_some());
    }
    assert!(app.query("marker#tail-tcp").is_some());
}

/// Indices of the events `selected` led to, by following `caused_by` back from each
/// later event (the opposite direction of the code under test).
fn led_to(log: &[Event], selected: usize) -> Vec<usize> {
    let descends = |mut index: usize| loop {
        match log[index].caused_by {
            Some(step) if step as usize - 1 == selected => return true,
            Some(step) if (step as usize - 1) > selected => index = step as usize - 1,
            _ => return false,
        }
    };
    (selected + 1..log.len()).filter(|&i| descends(i)).collect()
}

#[wasm_bindgen_test]
async fn selecting_an_event_marks_its_cause_and_the_events_it_led_to() {
    let app = Mounted::new().await;
    let log = scenario_run(Scenario::Ota);
    app.pick_scenario(Scenario::Ota).await;
    app.step_to_end().await;
    // The SMS-DELIVER to the phone: caused by the network, leads to the ENVELOPE and on.
    let index = log
        .iter()
        .position(|e| e.title.starts_with("SMS-DELIVER") && e.to == NodeId::Phone)
        .unwrap();
    let effects = led_to(&log, index);
    let envelope = log.iter().position(|e| e.title == "ENVELOPE").unwrap();
    assert!(effects.contains(&envelope), "the SMS leads to the ENVELOPE");
    click(&app.get(&format!("g.arrow[data-index=\"{index}\"]"))).await;

    let marked = |class: &str| -> Vec<usize> {
        app.all(&format!("g.arrow.{class}"))
            .iter()
            .map(|a| a.get_attribute("data-index").unwrap().parse().unwrap())
            .collect()
    };
    let cause = log[index].caused_by.unwrap() as usize - 1;
    assert_eq!(marked("cause"), vec![cause]);
    assert_eq!(marked("effect"), effects);
    assert!(app
        .get(&format!("g.arrow[data-index=\"{envelope}\"]"))
        .get_attribute("aria-label")
        .unwrap()
        .ends_with("led to by the selected event"));
    assert_eq!(app.count("g.arrow .causal-mark"), effects.len() + 1);

    // An event whose effects stop before the end of the run (the run goes on from a
    // user action it did not cause): the later events it did not lead to stay unmarked.
    let branch = (0..log.len())
        .find(|&i| {
            let n = led_to(&log, i).len();
            log[i].caused_by.is_some() && n > 0 && n < log.len() - i - 1
        })
        .expect("the ota run has an event whose effects end before the run does");
    let expected = Causality::of(&log, branch);
    assert_eq!(
        expected.effects.iter().copied().collect::<Vec<_>>(),
        led_to(&log, branch)
    );
    click(&app.get(&format!("g.arrow[data-index=\"{branch}\"]"))).await;
    assert_eq!(
        marked("cause"),
        expected.cause.into_iter().collect::<Vec<_>>()
    );
    assert_eq!(marked("effect"), led_to(&log, branch));
    let later_unmarked = (branch + 1..log.len())
        .filter(|i| !expected.effects.contains(i))
        .count();
    assert!(later_unmarked > 0);
    assert_eq!(
        app.count("g.arrow:not(.effect):not(.cause)"),
        log.len() - expected.effects.len() - usize::from(expected.cause.is_some())
    );
}

#[wasm_bindgen_test]
async fn the_network_tab_is_reached_by_arrow_keys_in_the_tab_strip() {
    let app = Mounted::new().await;
    app.open_tab("phone").await;
    key(&app.get("[data-test=tab-phone]"), "ArrowRight").await;
    assert_eq!(
        app.get("[data-test=tab-network]")
            .get_attribute("aria-selected")
            .as_deref(),
        Some("true")
    );
    assert!(app.query("[data-test=network-panel]").is_some());
    let focused = gloo::utils::document().active_element().unwrap();
    assert_eq!(focused.id(), "tab-network");
    key(&focused, "ArrowRight").await;
    assert!(app.query("[data-test=server-console]").is_some());
    // Every fault control has a label.
    app.open_tab("network").await;
    for input in app.all(".network-panel input") {
        let id = input.id();
        assert!(
            app.query(&format!("label[for=\"{id}\"]")).is_some(),
            "{id} is labelled"
        );
    }
}

#[wasm_bindgen_test]
fn model_checks_fault_forms_and_applies_them_through_the_playback() {
    let clear = FaultForm::of(&LinkFaults::default());
    let check = check_faults(&clear);
    assert_eq!(check.faults, Some(LinkFaults::default()));
    let bad = FaultForm {
        loss: "150".into(),
        duplicate: "x".into(),
        reorder: "2.5".into(),
        delay: "".into(),
        ..clear.clone()
    };
    let check = check_faults(&bad);
    assert_eq!(check.faults, None);
    assert_eq!(check.loss.as_deref(), Some("Out of range: 0 to 100 %."));
    assert_eq!(check.duplicate.as_deref(), Some("Not a number: \"x\"."));
    assert!(check
        .reorder
        .as_deref()
        .unwrap()
        .starts_with("Use a whole number"));
    assert!(check.delay.is_some());
    let good = FaultForm {
        partitioned: true,
        loss: " 10 ".into(),
        delay: "250".into(),
        ..clear.clone()
    };
    assert_eq!(
        check_faults(&good).faults,
        Some(LinkFaults {
            partitioned: true,
            loss_percent: 10,
            extra_delay_micros: 250_000,
            ..LinkFaults::default()
        })
    );

    let mut model = Model::new(SEED);
    let total = run().len();
    while apply(&mut model, Action::Step) {}
    assert_eq!(model.cursor(), total);
    assert!(apply(
        &mut model,
        Action::EditFault(Link::Radio, FaultField::Loss, "150".into())
    ));
    assert!(model.fault_form(Link::Radio).edited);
    assert!(
        !apply(&mut model, Action::ApplyFaults(Link::Radio)),
        "invalid: nothing sent"
    );
    assert_eq!(model.cursor(), total);
    assert!(apply(
        &mut model,
        Action::EditFault(Link::Radio, FaultField::Loss, "10".into())
    ));
    assert!(apply(&mut model, Action::SetPartition(Link::Radio, true)));
    assert!(apply(&mut model, Action::ApplyFaults(Link::Radio)));
    assert_eq!(model.cursor(), total + 1);
    let faults = model.playback.world().network().ip().faults(Link::Radio);
    assert_eq!(faults.summary(), "partitioned, loss 10 %");
    assert_eq!(model.network.faults[1], faults);
    assert!(!model.fault_form(Link::Radio).edited);
    assert!(apply(&mut model, Action::CutLink(Link::Backbone)));
    assert_eq!(
        model.playback.current().unwrap().title,
        "Cut link",
        "the cut is shown"
    );
}

// ---------- the server's TCP sessions with the card ----------

/// The run of scenario `scws-start` shown to its end, in the model.
fn model_listening() -> Model {
    let mut model = Model::new(SEED);
    assert!(apply(&mut model, Action::PickScenario(Scenario::ScwsStart)));
    while apply(&mut model, Action::Step) {}
    model
}

/// The last session of the server at the model's cursor.
fn last_session(model: &Model) -> Session {
    model
        .playback
        .world()
        .server()
        .sessions()
        .sessions()
        .last()
        .cloned()
        .expect("a session")
}

/// How many shown events reached the card.
fn to_card(events: &[Event]) -> usize {
    events.iter().filter(|e| e.to == NodeId::Card).count()
}

#[wasm_bindgen_test]
fn model_checks_connect_forms_and_suggests_the_secure_port() {
    let defaults = ConnectForm::default();
    let target = check_connect(&defaults)
        .target
        .expect("the defaults are valid");
    assert_eq!(
        (
            target.server.as_str(),
            target.port,
            target.secure,
            target.path.as_str()
        ),
        ("ras-1.operator.example", 3516, false, "/index.html")
    );
    let error = |form: ConnectForm, field: ConnectField| {
        let check = check_connect(&form);
        assert!(check.target.is_none(), "{form:?} is invalid");
        check
            .error(field)
            .expect("an error on the field")
            .to_string()
    };
    let path = |text: &str| {
        error(
            ConnectForm {
                path: text.into(),
                ..defaults.clone()
            },
            ConnectField::Path,
        )
    };
    assert_eq!(
        path("readme.txt"),
        "Start the path with /, e.g. /readme.txt."
    );
    assert_eq!(
        path("/read me.txt"),
        "No spaces in a path: write a space as %20."
    );
    assert!(path("/100%.txt").contains("two hex digits"));
    assert!(path("/é.txt").starts_with("'é' is not allowed"));
    assert!(path("").starts_with("Enter a path"));
    assert!(path(&format!("/{}", "a".repeat(5000))).starts_with("Too long"));
    let ok = ConnectForm {
        path: " /a%20b.txt?x=1 ".into(),
        ..defaults.clone()
    };
    assert_eq!(check_connect(&ok).target.unwrap().path, "/a%20b.txt?x=1");
    let port = |text: &str| {
        error(
            ConnectForm {
                port: text.into(),
                ..defaults.clone()
            },
            ConnectField::Port,
        )
    };
    assert_eq!(port("0"), "Out of range: 1 to 65535.");
    assert_eq!(port("70000"), "Out of range: 1 to 65535.");
    assert_eq!(port("http"), "Not a number: \"http\".");
    let server = ConnectForm {
        server: "ras-9".into(),
        ..defaults.clone()
    };
    assert_eq!(
        error(server, ConnectField::Server),
        "Unknown server identity: \"ras-9\"."
    );

    // Ticking secure suggests 4116 for 3516 and clearing it goes back; a port of the
    // user's own stays.
    let mut form = defaults.clone();
    form.set_secure(true);
    assert_eq!((form.secure, form.port.as_str()), (true, "4116"));
    form.set_secure(false);
    assert_eq!((form.secure, form.port.as_str()), (false, "3516"));
    form.port = "8080".into();
    form.set_secure(true);
    assert_eq!((form.secure, form.port.as_str()), (true, "8080"));

    assert_eq!(
        http_get("/readme.txt", [192, 0, 2, 10], 3516),
        b"GET /readme.txt HTTP/1.1\r\nHost: 192.0.2.10:3516\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(
        request_line(&http_get("/x", [10, 0, 0, 1], 80)),
        "GET /x HTTP/1.1"
    );
}

#[wasm_bindgen_test]
fn model_reads_http_messages_as_head_and_text_or_binary_body() {
    assert_eq!(HttpView::response(b""), HttpView::Empty);
    assert_eq!(
        HttpView::response(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
        ),
        HttpView::Complete {
            start_line: "HTTP/1.1 200 OK".into(),
            headers: vec![
                ("Content-Type".into(), "text/plain".into()),
                ("Content-Length".into(), "5".into())
            ],
            body: Body::Text("hello".into()),
        }
    );
    let binary = HttpView::response(b"HTTP/1.1 200 OK\r\n\r\n\x00\x01\xFF");
    assert!(matches!(
        binary,
        HttpView::Complete {
            body: Body::Binary(3),
            ..
        }
    ));
    assert_eq!(
        HttpView::response(b"HTTP/1.1 404 Not Fou"),
        HttpView::Partial(20)
    );
    assert!(matches!(
        HttpView::response(b"<html>\r\n\r\n"),
        HttpView::Invalid(_, 10)
    ));
    // The card's own request, in client mode.
    assert_eq!(
        HttpView::request(b"POST /admin HTTP/1.1\r\nHost: ras\r\n\r\n"),
        HttpView::Complete {
            start_line: "POST /admin HTTP/1.1".into(),
            headers: vec![("Host".into(), "ras".into())],
            body: Body::Text(String::new()),
        }
    );
    assert_eq!(HttpView::request(b"POST /admin HT"), HttpView::Partial(14));
}

#[wasm_bindgen_test]
fn model_connects_and_plays_until_the_session_ends_or_is_refused() {
    let mut model = model_listening();
    assert_eq!(model.server.listening, vec![3516]);
    assert_eq!(model.server.phone_address, None, "no IP session yet");
    let listening = model.cursor();
    assert!(apply(
        &mut model,
        Action::EditConnect(ConnectField::Path, "readme.txt".into())
    ));
    assert!(!apply(&mut model, Action::Connect), "invalid: nothing sent");
    assert_eq!(model.cursor(), listening);
    assert!(apply(
        &mut model,
        Action::EditConnect(ConnectField::Path, "/readme.txt".into())
    ));
    assert!(apply(&mut model, Action::Connect));

    let session = last_session(&model);
    assert_eq!(session.state, SessionState::Finished);
    assert_eq!(session.request.server, "ras-1.operator.example");
    assert_eq!(
        session.request.send,
        http_get("/readme.txt", [192, 0, 2, 10], 3516),
        "Host is the address the phone gets"
    );
    let readme = model
        .playback
        .world()
        .card()
        .scws_resource("/readme.txt")
        .unwrap();
    match HttpView::response(&session.received) {
        HttpView::Complete {
            start_line, body, ..
        } => {
            assert_eq!(start_line, "HTTP/1.1 200 OK");
            assert_eq!(
                body,
                Body::Text(String::from_utf8(readme.body.clone()).unwrap())
            );
        }
        other => panic!("{other:?}"),
    }
    // Stopped at the segment that finished the session, with the action shown first.
    let shown = model.playback.shown();
    assert_eq!(shown[listening].title, "Server connects");
    assert_eq!(
        model.playback.current().map(|e| (e.layer, e.to)),
        Some((Layer::Tcp, NodeId::Server))
    );
    assert!(
        model.steps_after_cursor() > 0,
        "the FIN exchange comes after"
    );
    assert_eq!(model.server.started, vec![(1, listening as u64 + 1)]);
    assert_eq!(model.server.phone_address, Some([192, 0, 2, 10]));

    // The next connect names the phone's address it now knows, as ras-2.
    assert!(apply(
        &mut model,
        Action::EditConnect(ConnectField::Server, "ras-2.operator.example".into())
    ));
    assert!(apply(&mut model, Action::Connect));
    let second = last_session(&model);
    assert_eq!((second.id, second.state), (2, SessionState::Finished));
    assert!(String::from_utf8_lossy(&second.request.send).contains("Host: 192.0.2.10:3516"));

    // Once that one has ended, a rogue is refused before the card hears of it.
    while apply(&mut model, Action::Step) {}
    let before = to_card(model.playback.shown());
    assert!(apply(
        &mut model,
        Action::EditConnect(ConnectField::Server, "rogue".into())
    ));
    assert!(apply(&mut model, Action::Connect));
    assert_eq!(
        last_session(&model).state,
        SessionState::Failed("connection refused (RST)".into())
    );
    assert_eq!(to_card(model.playback.shown()), before);
    assert_eq!(model.playback.world().phone().net().refused(), 1);

    // Secure: TLS to port 4116, where nothing listens yet (the card opens it on a second
    // SCWS start): the phone resets the SYN.
    assert!(apply(&mut model, Action::SetSecure(true)));
    assert_eq!(model.connect_form.port, "4116");
    assert!(apply(
        &mut model,
        Action::EditConnect(ConnectField::Server, "ras-2.operator.example".into())
    ));
    assert!(apply(&mut model, Action::Connect));
    let secure = last_session(&model);
    assert_eq!((secure.id, secure.request.port), (4, 4116));
    assert!(secure.request.secure);
    assert!(String::from_utf8_lossy(&secure.request.send).contains("Host: 192.0.2.10:4116"));
    assert_eq!(
        secure.state,
        SessionState::Failed("connection refused (RST)".into())
    );
}

impl Mounted {
    /// Picks `server` in the connect form's identity select.
    async fn pick_server(&self, server: &str) {
        let select = self.get("[data-test=connect-server]");
        js_sys::Reflect::set(&select, &"value".into(), &server.into()).unwrap();
        fire(&select, "change");
        settle().await;
    }

    /// Clicks Connect and waits until session `id` is listed and no longer pending.
    async fn connect_and_wait(&self, id: u32) {
        self.click("[data-test=connect-send]").await;
        let session = format!("[data-test=session][data-session=\"{id}\"]");
        until(3000, &format!("session {id} to end"), || {
            self.query(&session)
                .is_some_and(|s| has_class(&s, "ok") || has_class(&s, "bad"))
        })
        .await;
    }
}

/// `GET <path>` to the card's port 3516 as `server`, as the connect form sends it before
/// the phone has an address.
fn plain_get(server: &str, path: &str) -> bipscope::sim::Action {
    bipscope::sim::Action::ServerConnect(ConnectRequest {
        server: server.to_string(),
        port: 3516,
        send: http_get(path, [192, 0, 2, 10], 3516),
        secure: false,
    })
}

#[wasm_bindgen_test]
async fn a_rogue_is_refused_then_ras_1_reads_the_readme_over_tcp() {
    let app = Mounted::new().await;
    app.pick_scenario(Scenario::ScwsStart).await;
    app.step_to_end().await;
    let listening = app.count("g.arrow");
    let apdus = arrows_between(&app, NodeId::Phone, NodeId::Card).len();
    app.open_tab("server").await;
    assert_eq!(
        app.text("[data-test=sessions-empty]"),
        "No session at the cursor."
    );
    assert_eq!(
        app.text("[data-test=connect-port-message]"),
        "The card listens on 3516."
    );

    // The rogue server: refused by the gateway, and the card hears nothing.
    let select = app.get("[data-test=connect-server]");
    assert!(select
        .text_content()
        .unwrap()
        .contains("rogue (203.0.113.66)"));
    app.pick_server("rogue").await;
    app.connect_and_wait(1).await;
    let refused = app.count("g.arrow");
    assert!(refused > listening, "the attempt is drawn");
    assert_eq!(
        arrows_between(&app, NodeId::Phone, NodeId::Card).len(),
        apdus,
        "no new APDU to the card"
    );
    let first = "[data-test=session][data-session=\"1\"]";
    assert!(has_class(&app.get(first), "bad"));
    let state = app.text(&format!("{first} [data-test=session-state]"));
    assert_eq!(state, "failed: connection refused (RST)");
    assert_eq!(
        app.text(&format!("{first} [data-test=session-received]")),
        "0 bytes received"
    );
    assert!(app
        .query(&format!("{first} [data-test=session-response]"))
        .is_none());

    // ras-1 reads /readme.txt.
    app.pick_server("ras-1.operator.example").await;
    app.type_into("[data-test=connect-path]", "/readme.txt")
        .await;
    assert_eq!(
        app.text("[data-test=connect-preview]"),
        "GET /readme.txt HTTP/1.1 · Host: 192.0.2.10:3516"
    );
    app.connect_and_wait(2).await;

    // The same actions at the same steps in the emulator: what the screen must show.
    let mut playback = Playback::for_scenario(Scenario::ScwsStart, SEED);
    playback.seek(listening);
    playback.act(plain_get("rogue", "/index.html"));
    playback.seek(refused);
    playback.act(plain_get("ras-1.operator.example", "/readme.txt"));
    playback.seek(app.count("g.arrow"));
    let log = playback.shown().to_vec();
    assert_eq!(log.len(), app.count("g.arrow"));
    let tcp_between = |from: NodeId, to: NodeId| {
        arrows_between(&app, from, to)
            .iter()
            .filter(|a| has_class(a, "layer-tcp"))
            .count()
    };
    for (from, to) in [
        (NodeId::Server, NodeId::Network),
        (NodeId::Network, NodeId::Phone),
        (NodeId::Phone, NodeId::Network),
        (NodeId::Network, NodeId::Server),
    ] {
        assert!(tcp_between(from, to) > 0, "no TCP arrow {from:?} → {to:?}");
    }
    assert_eq!(tcp_between(NodeId::Phone, NodeId::Card), 0);

    // The segment that brings the request to the phone: among the events it led to,
    // an ENVELOPE with an event download (D6) to the card.
    let request = http_get("/readme.txt", [192, 0, 2, 10], 3516);
    let segment = log
        .iter()
        .position(|e| {
            e.layer == Layer::Tcp
                && e.to == NodeId::Phone
                && e.bytes.windows(request.len()).any(|w| w == request)
        })
        .expect("the request reaches the phone in a segment");
    assert!(segment > refused);
    click(&app.get(&format!("g.arrow[data-index=\"{segment}\"]"))).await;
    let marked = |class: &str| -> Vec<usize> {
        app.all(&format!("g.arrow.{class}"))
            .iter()
            .map(|a| a.get_attribute("data-index").unwrap().parse().unwrap())
            .collect()
    };
    let effects = led_to(&log, segment);
    assert_eq!(marked("effect"), effects);
    let cause = log[segment].caused_by.unwrap() as usize - 1;
    assert_eq!(marked("cause"), vec![cause]);
    assert_eq!(
        (log[cause].from, log[cause].to, log[cause].layer),
        (NodeId::Server, NodeId::Network, Layer::Tcp)
    );
    let envelope = effects
        .iter()
        .copied()
        .find(|&i| log[i].title == "ENVELOPE" && log[i].bytes.get(5) == Some(&0xD6))
        .expect("an event download among the effects");
    let arrow = app.get(&format!("g.arrow[data-index=\"{envelope}\"]"));
    assert!(has_class(&arrow, "effect"));
    assert!(arrow.query_selector(".causal-mark").unwrap().is_some());
    let label = arrow.get_attribute("aria-label").unwrap();
    assert!(label.contains("ENVELOPE, phone → card,"), "{label}");
    assert!(label.ends_with("led to by the selected event"), "{label}");

    // The session: finished, the card's 200 and the readme, listed above the rogue's.
    let world = playback.world();
    let readme = world.card().scws_resource("/readme.txt").unwrap();
    let received = world.server().sessions().session(2).unwrap().received.len();
    let sessions: Vec<String> = app
        .all("[data-test=session]")
        .iter()
        .map(|s| s.get_attribute("data-session").unwrap())
        .collect();
    assert_eq!(sessions, ["2", "1"]);
    let second = |test: &str| app.text(&format!("[data-session=\"2\"] [data-test={test}]"));
    assert_eq!(second("session-server"), "ras-1.operator.example");
    assert_eq!(second("session-port"), "192.0.2.10:3516");
    assert_eq!(second("session-secure"), "plain TCP");
    assert_eq!(second("session-state"), "finished (the card closed)");
    assert_eq!(
        second("session-received"),
        format!("{received} bytes received")
    );
    assert_eq!(second("response-status"), "HTTP/1.1 200 OK");
    assert!(second("response-headers").contains(&format!("Content-Length: {}", readme.body.len())));
    assert_eq!(
        second("response-body"),
        String::from_utf8(readme.body).unwrap()
    );
    let region = app.get("[data-session=\"2\"] [data-test=session-response]");
    assert_eq!(region.get_attribute("tabindex").as_deref(), Some("0"));
    assert_eq!(
        region.get_attribute("aria-label").as_deref(),
        Some("HTTP response of session 2")
    );

    // The gateway counted one connection on the card's channel (the rogue's was
    // refused before it became one).
    app.open_tab("phone").await;
    let counters = app.text("[data-test=gateway-channel] [data-test=channel-counters]");
    assert!(counters.contains("1 connection"), "{counters}");
    assert!(!counters.contains("connections"), "{counters}");
}

#[wasm_bindgen_test]
fn model_tells_the_cards_own_connection_from_the_servers() {
    let mut model = Model::new(SEED);
    while apply(&mut model, Action::Step) {}
    // Client mode (claim 3): the SCWS administration agent has the card connect to
    // ras-1's port 80 and post its request; the server answers 204.
    let connect = AdminCommand::Connect(AdminConnect::tcp(Ipv4Addr::new(198, 51, 100, 10), 80));
    apply(&mut model, Action::EditOta(OtaField::Tar, "534357".into()));
    apply(
        &mut model,
        Action::EditOta(
            OtaField::Data,
            bipscope::wire::hex::compact(&connect.emit()),
        ),
    );
    assert!(apply(&mut model, Action::SendOta));
    while apply(&mut model, Action::Step) {}
    let inbound = last_session(&model);
    assert!(inbound.inbound);
    assert_eq!(inbound.id, 1);
    assert_eq!(model.server.started_at(1), None, "no action started it");
    match HttpView::request(&inbound.received) {
        HttpView::Complete { start_line, .. } => {
            assert!(start_line.starts_with("POST /"), "{start_line}")
        }
        other => panic!("{other:?}"),
    }
    // The server's own session after it is number 2, started by the action shown next.
    let action = model.cursor() as u64 + 1;
    assert!(apply(&mut model, Action::Connect));
    assert_eq!(last_session(&model).id, 2);
    assert_eq!(model.server.started, vec![(2, action)]);
    assert_eq!(model.server.started_at(2), Some(action));
}

#[wasm_bindgen_test]
async fn the_connect_form_validates_inline_is_labelled_and_submits_on_enter() {
    let app = Mounted::new().await;
    app.open_tab("server").await;
    assert_eq!(
        app.text("[data-test=connect-port-message]"),
        "Nothing listens yet: start the SCWS first (scenario scws-start)."
    );
    for input in app.all(".connect-form input, .connect-form select") {
        let id = input.id();
        assert!(
            app.query(&format!("label[for=\"{id}\"]")).is_some(),
            "{id} is labelled"
        );
    }
    app.type_into("[data-test=connect-path]", "index.html")
        .await;
    let message = app.get("[data-test=connect-path-message]");
    assert!(has_class(&message, "error"));
    assert_eq!(
        message.text_content().unwrap(),
        "Start the path with /, e.g. /index.html."
    );
    assert_eq!(
        app.get("[data-test=connect-path]")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("true")
    );
    assert!(app.disabled("[data-test=connect-send]"));
    assert!(app.query("[data-test=connect-preview]").is_none());
    app.type_into("[data-test=connect-path]", "/index.html")
        .await;
    assert!(!app.disabled("[data-test=connect-send]"));

    // Ticking TLS suggests the secure port.
    let secure = app.get("[data-test=connect-secure]");
    secure.dyn_ref::<HtmlElement>().unwrap().click();
    settle().await;
    let port = || {
        app.get("[data-test=connect-port]")
            .dyn_into::<HtmlInputElement>()
            .unwrap()
            .value()
    };
    assert_eq!(port(), "4116");
    assert!(app
        .text("[data-test=connect-preview]")
        .ends_with(":4116 · over TLS"));
    app.type_into("[data-test=connect-port]", "99999").await;
    assert_eq!(
        app.text("[data-test=connect-port-message]"),
        "Out of range: 1 to 65535."
    );
    assert!(app.disabled("[data-test=connect-send]"));
    // Typing changes the form only.
    assert_eq!(app.count("g.arrow"), 0);

    // Enter in a valid form connects: before start-up the phone is not attached, so
    // the push proxy gateway cannot reach it.
    app.type_into("[data-test=connect-port]", "4116").await;
    key(&app.get("[data-test=connect-path]"), "Enter").await;
    until(2000, "the session to fail", || {
        app.query("[data-test=session]")
            .is_some_and(|s| has_class(&s, "bad"))
    })
    .await;
    assert_eq!(
        app.text("[data-test=session-state]"),
        "failed: the phone cannot be reached (push proxy gateway)"
    );
    assert_eq!(app.text("[data-test=session-secure]"), "TLS");
    assert!(app.count("g.arrow") > 0, "the action is shown");
}

// ---------- the phone's browser ----------

#[wasm_bindgen_test]
async fn the_phone_browser_shows_the_cards_page_in_a_sandboxed_frame_after_scws_start() {
    let app = Mounted::new().await;
    app.pick_scenario(Scenario::ScwsStart).await;
    app.open_tab("phone").await;
    app.step_to_end().await;
    assert!(app.query("[data-test=browser-empty]").is_some());
    let steps_before = app.count("g.arrow");

    app.type_into("[data-test=browser-path]", "/index.html")
        .await;
    assert!(!app.disabled("[data-test=browser-go]"));
    app.click("[data-test=browser-go]").await;
    until(20_000, "the page in the frame", || {
        app.query("[data-test=browser-frame]").is_some()
    })
    .await;
    let frame = app.get("[data-test=browser-frame]");
    // Sandboxed with every restriction: no scripts, no same-origin.
    assert_eq!(frame.get_attribute("sandbox").as_deref(), Some(""));
    let page = scenario_end(Scenario::ScwsStart)
        .card()
        .scws_resource("/index.html")
        .unwrap();
    let srcdoc = frame.get_attribute("srcdoc").unwrap();
    // The page as the card served it, links kept from loading anything (a base that
    // opens them in a window the sandbox forbids).
    let base = r#"<base href="http://127.0.0.1:3516/" target="_blank">"#;
    assert!(
        srcdoc.starts_with(&format!("<!DOCTYPE html>{base}")),
        "{srcdoc}"
    );
    assert_eq!(
        srcdoc.replacen(base, "", 1).as_bytes(),
        page.body,
        "the page as the card served it"
    );
    assert!(srcdoc.contains("<title>Welcome</title>"), "{srcdoc}");
    let status = app.text("[data-test=browser-status]");
    assert!(
        status.contains("http://127.0.0.1:3516/index.html"),
        "{status}"
    );
    assert!(
        status.contains(&format!(
            "200 OK · text/html; charset=utf-8 · {} bytes",
            page.body.len()
        )),
        "{status}"
    );
    // The run went on to the card's CLOSE CHANNEL, over BIP only.
    assert!(app.count("g.arrow") > steps_before);

    // One step back the card has not closed yet: the page is still loading there.
    app.click("[data-test=back]").await;
    assert!(app.query("[data-test=browser-frame]").is_none());
    assert!(app.text("[data-test=browser-status]").contains("loading"));
}

#[wasm_bindgen_test]
async fn the_phone_browser_says_when_the_cards_web_server_is_not_listening() {
    let app = Mounted::new().await;
    app.open_tab("phone").await;
    app.step_to_end().await;
    app.type_into("[data-test=browser-path]", "/a b").await;
    assert!(app.disabled("[data-test=browser-go]"));
    assert!(app
        .text("[data-test=browser-path-message]")
        .contains("percent-encoded"));

    app.type_into("[data-test=browser-path]", "readme.txt")
        .await;
    key(&app.get("[data-test=browser-path]"), "Enter").await;
    until(5_000, "the browser's error", || {
        app.query("[data-test=browser-error]").is_some()
    })
    .await;
    assert_eq!(
        app.text("[data-test=browser-error]"),
        "Cannot open http://127.0.0.1:3516/readme.txt: the card's web server is not listening."
    );
    assert!(app.query("[data-test=browser-frame]").is_none());
}

#[wasm_bindgen_test]
fn model_checks_the_browser_path_and_browses_through_the_playback() {
    assert_eq!(check_browser_path("").as_deref(), Ok("/"));
    assert_eq!(
        check_browser_path("index.html").as_deref(),
        Ok("/index.html")
    );
    assert!(check_browser_path("/é").is_err());

    let mut model = Model::new(SEED);
    apply(&mut model, Action::PickScenario(Scenario::ScwsStart));
    model.playback.seek(usize::MAX);
    assert!(apply(
        &mut model,
        Action::EditBrowserPath("/nothing".into())
    ));
    assert!(apply(&mut model, Action::Browse));
    let page = model.phone.page.clone().expect("a visit");
    assert_eq!(page.response().map(|r| r.status), Some(404));
    assert_eq!(model.phone.visits, 1);
    assert_eq!(model.phone.browser_path, "/nothing");
}
