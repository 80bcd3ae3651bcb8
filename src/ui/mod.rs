//! The browser UI (Yew, wasm32 only): the first screen of bipscope.
//!
//! ```text
//!  App ── ContextProvider<Dispatch> (callbacks up: every component dispatches Actions)
//!   ├─ Controls        header: name, Reset · Back · Step · Play/Pause, "step k of n", time
//!   ├─ stage
//!   │   ├─ Lanes       Server | Network (SMS centre) | Phone + gateway | Card, status lines
//!   │   ├─ Diagram     SVG sequence diagram of the shown events; click selects
//!   │   │              TCP arrows with a dot at the sender, timers as self-loops;
//!   │   │              the selected event's cause and effects marked
//!   │   └─ Legend      layer colours, line styles, causal marks
//!   └─ side
//!       ├─ SideTabs        Inspector | Card | Phone | Network | Server
//!       ├─ Inspector       title line, Copy hex
//!       │   ├─ FieldTree   the selected event's decoded fields (collapsible)
//!       │   └─ HexView     its bytes, 16 a row; tree and hex highlight each other
//!       └─ CardPanel       the card at the cursor; what the selected step changed
//!           ├─ PinStatus       PIN1 · PUK1 · ADM1: state, tries left
//!           ├─ FileTreeView    MF/DF/ADF/EF with ids, kinds, sizes; changed files marked
//!           ├─ FileView        the shown file: diff, decoded values, FileHex bytes
//!           └─ ApduBox         hex input checked as typed; Send; the card's answer
//!       ├─ PhoneScreen     phone frame: state, SMS inbox, data download, proactive pending
//!       │   └─ GatewayPanel    the gateway's channels: id, SID, mode, state, buffers, peer;
//!       │                      the events the card asked for
//!       ├─ NetworkPanel    IP session, packet counters, the network's last deed
//!       │   └─ LinkFaultsForm  per link: partition, loss, duplication, reordering, delay;
//!       │                      Apply · Cut link
//!       └─ ServerConsole   the server at the cursor
//!           ├─ ScenarioPicker  power-on | ota: starts the run over
//!           ├─ OtaComposer     TAR · SPI · KIc · KID · data, checked as typed; Send OTA
//!           ├─ ConnectFormView server identity · port · TLS · HTTP path, checked as
//!           │                  typed; Connect (the server's TCP session to the card)
//!           └─ SessionList     each session: state, bytes in, the HTTP response
//! ```
//!
//! State lives in one plain [`model::Model`] changed only by [`model::apply`] (the
//! connect form's pure parts are in [`connect`]); the components receive data as props
//! and send [`model::Action`]s through the context.
//! No protocol logic here: stepping and state come from [`crate::sim::Playback`].

mod apdu_box;
mod app;
mod browser_view;
mod card_panel;
mod checked_input;
pub mod connect;
mod connect_form;
mod controls;
mod diagram;
mod dom;
mod field_tree;
mod file_hex;
mod file_tree_view;
mod file_view;
mod gateway_panel;
mod hex_view;
mod inspector;
mod lanes;
mod legend;
mod link_faults;
pub mod model;
mod network_panel;
mod ota_composer;
mod phone_screen;
mod pin_status;
mod scenario_picker;
mod server_console;
mod session_list;
mod side_tabs;

pub use app::{App, AppProps, Dispatch, Store};

/// Starts the app in the page's `<body>` (the wasm binary's entry point).
pub fn start() {
    console_error_panic_hook::set_once();
    yew::Renderer::<App>::new().render();
}

/// Mounts the app into `root` (tests, embedding); drop or `destroy` the handle to remove it.
pub fn mount(root: web_sys::Element) -> yew::AppHandle<App> {
    yew::Renderer::<App>::with_root(root).render()
}
