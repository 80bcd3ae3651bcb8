//! The first screen's state: a plain [`Model`], the [`Action`]s the controls send and a
//! pure [`apply`]. No Yew in here (after Yew's `examples/function_todomvc`): the
//! components render a `Model` and dispatch `Action`s; [`super::app`] adapts `apply` to
//! `use_reducer`.
//!
//! All emulator logic stays in [`crate::sim::Playback`]: stepping, going back,
//! resetting and sending an APDU are calls on it, the lanes' status lines come from
//! [`crate::sim::World::status_line`] at the cursor, and the card panel reads the card
//! through [`crate::card::inspect`].

use super::connect::{check_connect, ConnectField, ConnectForm};
use crate::card::inspect::{self, FileChange, FileNode, PinView};
use crate::card::profile::Service;
use crate::card::{Card, Profile};
use crate::net::ip::{IpCounters, Link, LinkFaults, PdpContext, PHONE_ADDRESS_POOL};
use crate::phone::browser::{normalise, Visit};
use crate::phone::gateway::{Channel, Mode};
use crate::phone::usb::FORWARDED_PORTS;
use crate::phone::{InboxMessage, PhoneState};
use crate::server::session::SessionState;
use crate::server::{OtaRequest, Server};
use crate::sim::{Event, Instant, Layer, NodeId, Playback, Scenario, World};
use crate::wire::apdu::{instruction_name, Case, CommandApdu};
use crate::wire::cat::Event as CatEvent;
use crate::wire::ota::{Spi, Tar};
use crate::wire::sms::{SmsDeliver, PID_SIM_DATA_DOWNLOAD};
use crate::wire::{hex, Field};
use std::collections::BTreeSet;
use std::rc::Rc;

/// How many events [`Model::new`] records ahead, so the header can say "step k of n"
/// for the whole run. The built-in scenarios are far shorter; a longer run shows "n+".
pub const RECORD_AHEAD: usize = 5_000;

/// The four lanes, left to right.
pub const LANES: [NodeId; 4] = [NodeId::Server, NodeId::Network, NodeId::Phone, NodeId::Card];

/// What the pointer (or keyboard focus) is over in the inspector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hover {
    /// A byte of the hex view, by offset.
    Byte(usize),
    /// A row of the field tree.
    Field(FieldPos),
}

/// Which view the right-hand column shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SideTab {
    /// The selected event's fields and bytes.
    #[default]
    Inspector,
    /// The card at the cursor: files, PINs, the send-APDU box.
    Card,
    /// The phone's screen: its state, SMS inbox, data downloads to the card; below it
    /// the access gateway's channel table.
    Phone,
    /// The operator network's IP side: the phone's IP session, packet counters, the
    /// faults on each link.
    Network,
    /// The server console: scenario picker, OTA composer, the last OTA's result.
    Server,
}

impl SideTab {
    /// The tabs, left to right.
    pub const ALL: [SideTab; 5] = [
        SideTab::Inspector,
        SideTab::Card,
        SideTab::Phone,
        SideTab::Network,
        SideTab::Server,
    ];
}

/// How many steps [`Action::SendApdu`] takes at most to show the card's answer.
const STEPS_TO_ANSWER: usize = 8;

/// How many steps [`Action::SendOta`] takes at most to reach the server's PoR.
const STEPS_TO_POR: usize = 400;

/// How many steps [`Action::Connect`] takes at most to see the session finish or fail
/// (a page over a clean network takes about 40, over TLS a few more; retransmissions
/// after losses take many more).
const STEPS_TO_SESSION_END: usize = 2_000;

/// How many steps [`Action::Browse`] takes at most to see the page in (a page of a few
/// hundred bytes takes about 25; a server's traffic in between takes more).
const STEPS_TO_PAGE: usize = 600;

/// Everything the controls, the diagram, the inspector and the card panel can ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Show one more event (pauses playing).
    Step,
    /// Show one event less (pauses playing).
    Back,
    /// Start over from the same seed (pauses playing).
    Reset,
    /// Start or pause playing. Starting shows the next event at once.
    TogglePlay,
    /// One beat of the play timer: step while playing, stop at the end.
    Tick,
    /// Show the event at this index of the shown log in the inspector.
    SelectEvent(usize),
    /// Let the inspector follow the cursor again.
    FollowCursor,
    /// Pin this field's tree row (and its bytes).
    SelectField(FieldPos),
    /// Pin the byte at this offset: its deepest covering field is selected.
    SelectByte(usize),
    /// The pointer or focus entered (`Some`) or left (`None`) a byte or a tree row.
    Hover(Option<Hover>),
    /// Fold or unfold this field's tree row.
    ToggleCollapsed(FieldPos),
    /// A short message under the hex view (clipboard result); `None` clears it.
    Notice(Option<String>),
    /// Show the inspector or the card panel.
    ShowTab(SideTab),
    /// Show this file of the card (its path below the MF).
    SelectFile(Vec<u16>),
    /// Fold or unfold this DF in the card's file tree.
    ToggleFolder(Vec<u16>),
    /// The text of the send-APDU box changed.
    EditApdu(String),
    /// Send the APDU in the box to the card at the cursor (the run branches there), then
    /// step until the card's answer is shown.
    SendApdu,
    /// Start this built-in scenario over from the model's seed (nothing shown).
    PickScenario(Scenario),
    /// A field of the OTA composer changed.
    EditOta(OtaField, String),
    /// Have the server send the composed OTA at the cursor (the run branches there), then
    /// step until the server has the PoR or nothing is left in flight.
    SendOta,
    /// A text field of a link's fault form changed.
    EditFault(Link, FaultField, String),
    /// The partition checkbox of a link's fault form was ticked (`true`) or cleared.
    SetPartition(Link, bool),
    /// Set the faults in this link's form at the cursor ([`crate::sim::Action::SetFaults`];
    /// the run branches there) and show that action.
    ApplyFaults(Link),
    /// Cut this link at the cursor ([`crate::sim::Action::CutLink`]; the run branches
    /// there) and show that action.
    CutLink(Link),
    /// A text field of the connect form changed.
    EditConnect(ConnectField, String),
    /// The connect form's secure (TLS) checkbox was ticked (`true`) or cleared.
    SetSecure(bool),
    /// Have the server connect to the card as the connect form says
    /// ([`crate::sim::Action::ServerConnect`] with an HTTP GET; the run branches at the
    /// cursor), then step until the session is finished or failed.
    Connect,
    /// The text of the phone browser's address bar (the path) changed.
    EditBrowserPath(String),
    /// Have the phone's browser fetch the path in its address bar at the cursor
    /// ([`crate::sim::Action::Browse`]; the run branches there), then step until the
    /// page is in or the visit failed.
    Browse,
}

/// A field of the OTA composer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtaField {
    Tar,
    Spi,
    Kic,
    Kid,
    Data,
}

/// The OTA composer's text, one string per field (hex).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtaForm {
    pub tar: String,
    pub spi: String,
    pub kic: String,
    pub kid: String,
    pub data: String,
}

impl OtaForm {
    /// The form filled with `request`.
    pub fn of(request: &OtaRequest) -> OtaForm {
        OtaForm {
            tar: request.tar.to_string(),
            spi: hex::compact(&request.spi.0),
            kic: format!("{:02X}", request.kic),
            kid: format!("{:02X}", request.kid),
            data: hex::compact(&request.data),
        }
    }

    /// The defaults: the request of [`Scenario::Ota`].
    pub fn defaults() -> OtaForm {
        match Scenario::ota_request() {
            crate::sim::Action::ServerSendOta(request) => OtaForm::of(&request),
            _ => OtaForm {
                tar: String::new(),
                spi: String::new(),
                kic: String::new(),
                kid: String::new(),
                data: String::new(),
            },
        }
    }

    pub fn get(&self, field: OtaField) -> &str {
        match field {
            OtaField::Tar => &self.tar,
            OtaField::Spi => &self.spi,
            OtaField::Kic => &self.kic,
            OtaField::Kid => &self.kid,
            OtaField::Data => &self.data,
        }
    }

    fn get_mut(&mut self, field: OtaField) -> &mut String {
        match field {
            OtaField::Tar => &mut self.tar,
            OtaField::Spi => &mut self.spi,
            OtaField::Kic => &mut self.kic,
            OtaField::Kid => &mut self.kid,
            OtaField::Data => &mut self.data,
        }
    }
}

/// The OTA composer checked: an error per field (in words), or the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtaCheck {
    pub tar: Option<String>,
    pub spi: Option<String>,
    pub kic: Option<String>,
    pub kid: Option<String>,
    pub data: Option<String>,
    /// The request, when every field is valid.
    pub request: Option<OtaRequest>,
}

impl OtaCheck {
    pub fn error(&self, field: OtaField) -> Option<&str> {
        match field {
            OtaField::Tar => self.tar.as_deref(),
            OtaField::Spi => self.spi.as_deref(),
            OtaField::Kic => self.kic.as_deref(),
            OtaField::Kid => self.kid.as_deref(),
            OtaField::Data => self.data.as_deref(),
        }
    }
}

/// Hex of exactly `len` bytes.
fn hex_of_len<const N: usize>(text: &str, what: &str) -> Result<[u8; N], String> {
    match hex::parse(text) {
        Ok(bytes) => <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| {
            format!(
                "{what} is {N} byte{} ({} hex digits); this is {} byte{}.",
                if N == 1 { "" } else { "s" },
                2 * N,
                bytes.len(),
                if bytes.len() == 1 { "" } else { "s" }
            )
        }),
        Err(hex::HexError::Empty) => Err(format!("Enter the {what} ({} hex digits).", 2 * N)),
        Err(error) => Err(format!("Not hex: {error}.")),
    }
}

/// Checks the OTA composer: TAR 3 bytes, SPI 2 bytes, KIc and KID 1 byte each, command
/// data at least one byte, all in hex ([`hex::parse`]).
pub fn check_ota(form: &OtaForm) -> OtaCheck {
    let tar = hex_of_len::<3>(&form.tar, "TAR");
    let spi = hex_of_len::<2>(&form.spi, "SPI");
    let kic = hex_of_len::<1>(&form.kic, "KIc");
    let kid = hex_of_len::<1>(&form.kid, "KID");
    let data = match hex::parse(&form.data) {
        Ok(bytes) => Ok(bytes),
        Err(hex::HexError::Empty) => {
            Err("Enter the command data (hex), e.g. 00A40004023F00.".to_string())
        }
        Err(error) => Err(format!("Not hex: {error}.")),
    };
    let request = match (&tar, &spi, &kic, &kid, &data) {
        (Ok(tar), Ok(spi), Ok(kic), Ok(kid), Ok(data)) => Some(OtaRequest {
            tar: Tar(*tar),
            spi: Spi(*spi),
            kic: kic[0],
            kid: kid[0],
            data: data.clone(),
        }),
        _ => None,
    };
    OtaCheck {
        tar: tar.err(),
        spi: spi.err(),
        kic: kic.err(),
        kid: kid.err(),
        data: data.err(),
        request,
    }
}

/// A text field of a link's fault form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultField {
    Loss,
    Duplicate,
    Reorder,
    /// Extra delay, in milliseconds.
    Delay,
}

impl FaultField {
    pub const ALL: [FaultField; 4] = [
        FaultField::Loss,
        FaultField::Duplicate,
        FaultField::Reorder,
        FaultField::Delay,
    ];
}

/// The most extra delay the fault form accepts, in milliseconds (a minute: far longer
/// than any timer of the run).
pub const MAX_EXTRA_DELAY_MS: u64 = 60_000;

/// One link's fault form: the partition checkbox and the text of each field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultForm {
    pub partitioned: bool,
    pub loss: String,
    pub duplicate: String,
    pub reorder: String,
    /// Milliseconds.
    pub delay: String,
    /// Whether the user changed the form since it was last filled from the world; an
    /// unchanged form follows the link's faults at the cursor.
    pub edited: bool,
}

impl FaultForm {
    /// The form filled with `faults` (not edited).
    pub fn of(faults: &LinkFaults) -> FaultForm {
        FaultForm {
            partitioned: faults.partitioned,
            loss: faults.loss_percent.to_string(),
            duplicate: faults.duplicate_percent.to_string(),
            reorder: faults.reorder_percent.to_string(),
            delay: (faults.extra_delay_micros / 1000).to_string(),
            edited: false,
        }
    }

    pub fn get(&self, field: FaultField) -> &str {
        match field {
            FaultField::Loss => &self.loss,
            FaultField::Duplicate => &self.duplicate,
            FaultField::Reorder => &self.reorder,
            FaultField::Delay => &self.delay,
        }
    }

    fn get_mut(&mut self, field: FaultField) -> &mut String {
        match field {
            FaultField::Loss => &mut self.loss,
            FaultField::Duplicate => &mut self.duplicate,
            FaultField::Reorder => &mut self.reorder,
            FaultField::Delay => &mut self.delay,
        }
    }
}

/// A fault form checked: an error per text field (in words), or the faults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultCheck {
    pub loss: Option<String>,
    pub duplicate: Option<String>,
    pub reorder: Option<String>,
    pub delay: Option<String>,
    /// The faults, when every field is valid.
    pub faults: Option<LinkFaults>,
}

impl FaultCheck {
    pub fn error(&self, field: FaultField) -> Option<&str> {
        match field {
            FaultField::Loss => self.loss.as_deref(),
            FaultField::Duplicate => self.duplicate.as_deref(),
            FaultField::Reorder => self.reorder.as_deref(),
            FaultField::Delay => self.delay.as_deref(),
        }
    }
}

/// A whole number in `range` (surrounding spaces allowed), or why not, in words: not a
/// number, out of range, or not whole.
pub(super) fn whole_number(
    text: &str,
    range: std::ops::RangeInclusive<u64>,
    unit: &str,
) -> Result<u64, String> {
    let (min, max) = (*range.start(), *range.end());
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("Enter a number from {min} to {max}{unit}."));
    }
    let decimal = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'));
    let value = match text.parse::<f64>() {
        Ok(value) if decimal => value,
        _ => return Err(format!("Not a number: {text:?}.")),
    };
    if !(min as f64..=max as f64).contains(&value) {
        return Err(format!("Out of range: {min} to {max}{unit}."));
    }
    if value.fract() != 0.0 {
        return Err(format!("Use a whole number from {min} to {max}{unit}."));
    }
    Ok(value as u64)
}

/// A percentage, 0 to 100.
fn percent(text: &str) -> Result<u8, String> {
    whole_number(text, 0..=100, " %").map(|n| n as u8)
}

/// Checks a fault form: loss, duplication and reordering are whole percentages 0–100,
/// the extra delay whole milliseconds 0 to [`MAX_EXTRA_DELAY_MS`].
pub fn check_faults(form: &FaultForm) -> FaultCheck {
    let loss = percent(&form.loss);
    let duplicate = percent(&form.duplicate);
    let reorder = percent(&form.reorder);
    let delay = whole_number(&form.delay, 0..=MAX_EXTRA_DELAY_MS, " ms");
    let faults = match (&loss, &duplicate, &reorder, &delay) {
        (Ok(loss), Ok(duplicate), Ok(reorder), Ok(delay)) => Some(LinkFaults {
            partitioned: form.partitioned,
            loss_percent: *loss,
            duplicate_percent: *duplicate,
            reorder_percent: *reorder,
            extra_delay_micros: delay * 1000,
        }),
        _ => None,
    };
    FaultCheck {
        loss: loss.err(),
        duplicate: duplicate.err(),
        reorder: reorder.err(),
        delay: delay.err(),
        faults,
    }
}

/// The position of `link` in [`Link::ALL`] (and in the per-link arrays of the model).
pub fn link_index(link: Link) -> usize {
    Link::ALL.iter().position(|l| *l == link).unwrap_or(0)
}

/// The operator network's IP side at the cursor, as the network panel shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkView {
    /// The network's status line (what it did last: faults set, a link cut, …).
    pub status: String,
    /// The phone's IP session, if it has one.
    pub context: Option<PdpContext>,
    pub counters: IpCounters,
    /// The faults on each link of [`Link::ALL`].
    pub faults: [LinkFaults; 2],
}

impl NetworkView {
    fn of(world: &World) -> NetworkView {
        let ip = world.network().ip();
        NetworkView {
            status: world.status_line(NodeId::Network),
            context: ip.context().cloned(),
            counters: ip.counters(),
            faults: Link::ALL.map(|link| ip.faults(link)),
        }
    }
}

/// What the selected event is linked to by cause (within the shown events): the event
/// whose delivery sent it, and every event it led to, directly or through others.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Causality {
    /// Index (in the shown log) of the event that caused the selected one.
    pub cause: Option<usize>,
    /// Indices of the events the selected one caused, transitively, in log order.
    pub effects: BTreeSet<usize>,
}

impl Causality {
    /// The causal links of the event at `selected` among `shown` ([`Event::caused_by`]
    /// names a step, the 1-based position in the log). A cause always comes before its
    /// effects, so one pass forward finds them all.
    pub fn of(shown: &[Event], selected: usize) -> Causality {
        let Some(event) = shown.get(selected) else {
            return Causality::default();
        };
        let cause = event
            .caused_by
            .and_then(|step| usize::try_from(step).ok()?.checked_sub(1))
            .filter(|index| *index < selected);
        let mut linked = BTreeSet::from([event.step]);
        let mut effects = BTreeSet::new();
        for (index, later) in shown.iter().enumerate().skip(selected + 1) {
            if later.caused_by.is_some_and(|step| linked.contains(&step)) {
                linked.insert(later.step);
                effects.insert(index);
            }
        }
        Causality { cause, effects }
    }
}

/// The words for a TAR's service.
pub fn service_name(service: Service) -> &'static str {
    match service {
        Service::Rfm => "remote file management",
        Service::Ram => "remote applet management",
        Service::ScwsAdmin => "SCWS administration",
    }
}

/// A TAR the server knows, as the composer offers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TarChoice {
    pub tar: Tar,
    /// `B00000 — remote file management (…)`.
    pub label: String,
}

/// The server at the cursor, as the server console shows it.
#[derive(Clone, Debug)]
pub struct ServerView {
    pub server: Server,
    pub status: String,
    pub tars: Rc<Vec<TarChoice>>,
    /// The step that showed the last "Send OTA" action.
    pub sent_step: Option<u64>,
    /// The sessions the server started, by number, with the step that showed their
    /// "Server connects" action (the sessions the card opened in client mode have none).
    pub started: Vec<(u32, u64)>,
    /// The phone's IP address, once it has an IP session.
    pub phone_address: Option<[u8; 4]>,
    /// The ports the card listens on: its server-mode channels through the gateway, or
    /// the ports the phone forwards to a USB UICC's own IP stack.
    pub listening: Vec<u16>,
    /// Whether `listening` are the ports forwarded to a USB UICC (ETSI TS 102 600).
    pub forwarded: bool,
    /// Why the gateway's last TLS handshake failed, if one did.
    pub tls_error: Option<String>,
}

impl ServerView {
    /// The server of `world`; `previous` lends its TAR labels when the TARs are the same
    /// (reading the card profile for the service names is not free).
    fn of(world: &World, shown: &[Event], previous: Option<&ServerView>) -> ServerView {
        let server = world.server().clone();
        let tars = match previous {
            Some(view) if view.server.card().table == server.card().table => Rc::clone(&view.tars),
            _ => Rc::new(tar_choices(&server)),
        };
        let actions = |title: &'static str| {
            shown
                .iter()
                .filter(move |e| e.from == NodeId::User && e.title == title)
                .map(|e| e.step)
        };
        // Each "Server connects" action starts the next session the server opens.
        let started = server
            .sessions()
            .sessions()
            .iter()
            .filter(|s| !s.inbound)
            .map(|s| s.id)
            .zip(actions(CONNECT_TITLE))
            .collect();
        let phone = world.phone();
        let net = phone.net();
        let forwarded = phone.usb().is_some();
        let listening = if forwarded {
            FORWARDED_PORTS.to_vec()
        } else {
            phone
                .gateway()
                .channels()
                .filter_map(|c| match c.mode {
                    Mode::Server { port } => Some(port),
                    Mode::Client { .. } => None,
                })
                .collect()
        };
        ServerView {
            sent_step: actions(SEND_OTA_TITLE).next_back(),
            started,
            phone_address: net.address(),
            listening,
            forwarded,
            tls_error: net.last_tls_error().map(str::to_string),
            status: world.status_line(NodeId::Server),
            server,
            tars,
        }
    }
}

impl ServerView {
    /// The step that showed the action starting session `id`, if the server started it.
    pub fn started_at(&self, id: u32) -> Option<u64> {
        self.started
            .iter()
            .find(|(session, _)| *session == id)
            .map(|(_, step)| *step)
    }
}

/// The title of the event that shows a [`crate::sim::Action::ServerSendOta`].
const SEND_OTA_TITLE: &str = "Send OTA";
/// The title of the event that shows a [`crate::sim::Action::ServerConnect`].
const CONNECT_TITLE: &str = "Server connects";

/// The TARs `server` knows, labelled with their services from the card profile.
fn tar_choices(server: &Server) -> Vec<TarChoice> {
    let profile = Profile::default_profile();
    server
        .card()
        .table
        .tars()
        .iter()
        .map(|entry| {
            let label = match profile.tar_entry(entry.tar) {
                Some(e) => {
                    let service = service_name(e.service);
                    if e.application.to_lowercase().contains(service) || e.application.is_empty() {
                        format!("{} — {service}", entry.tar)
                    } else {
                        format!("{} — {service} ({})", entry.tar, e.application)
                    }
                }
                None => entry.tar.to_string(),
            };
            TarChoice {
                tar: entry.tar,
                label,
            }
        })
        .collect()
}

/// A (U)SIM data-download SMS the phone received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadView {
    /// The step that delivered the SMS-DELIVER to the phone.
    pub step: u64,
    /// Whether the phone is still busy with it (ENVELOPE or GET RESPONSE at the card).
    pub in_progress: bool,
}

/// The phone at the cursor, as the phone screen shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhoneView {
    pub status: String,
    pub state: PhoneState,
    pub attached: bool,
    pub inbox: Vec<InboxMessage>,
    pub proactive_pending: Option<u8>,
    pub last_download: Option<String>,
    /// The last data-download SMS shown, if any.
    pub download: Option<DownloadView>,
    /// The access gateway's channels, by identifier.
    pub channels: Vec<Channel>,
    /// The events the card asked for in SET UP EVENT LIST.
    pub event_list: Vec<CatEvent>,
    /// The text of the browser's address bar: what the user typed, not world state.
    pub browser_path: String,
    /// The page the browser shows at the cursor: its last visit.
    pub page: Option<Visit>,
    /// How many visits the browser has made so far.
    pub visits: usize,
}

/// The browser's address bar's text, checked: the path it asks for (`/` when empty,
/// a leading `/` added), or why it cannot be sent. A request target is visible ASCII
/// (RFC 9112 §3.2, RFC 3986 §2): other characters must be percent-encoded.
pub fn check_browser_path(text: &str) -> Result<String, String> {
    let path = normalise(text);
    match path.chars().find(|c| !c.is_ascii_graphic()) {
        Some(c) => Err(format!(
            "{c:?} cannot stand in a path: write it percent-encoded (e.g. a space as %20)."
        )),
        None => Ok(path),
    }
}

impl PhoneView {
    fn of(world: &World, shown: &[Event], browser_path: &str) -> PhoneView {
        let phone = world.phone();
        let in_progress = matches!(
            phone.state(),
            PhoneState::ExpectDownloadStatus | PhoneState::ExpectDownloadData
        );
        let download = shown
            .iter()
            .rev()
            .find(|e| is_data_download(e))
            .map(|e| DownloadView {
                step: e.step,
                in_progress,
            });
        PhoneView {
            status: world.status_line(NodeId::Phone),
            state: phone.state().clone(),
            attached: phone.attached(),
            inbox: phone.inbox().to_vec(),
            proactive_pending: phone.proactive_pending(),
            last_download: phone.last_download().map(str::to_string),
            download,
            channels: phone.gateway().channels().cloned().collect(),
            event_list: phone.event_list().to_vec(),
            browser_path: browser_path.to_string(),
            page: phone.browser().page().cloned(),
            visits: phone.browser().history().len(),
        }
    }
}

/// Whether `event` delivers a (U)SIM data-download SMS (TP-PID 7F) to the phone.
pub fn is_data_download(event: &Event) -> bool {
    event.to == NodeId::Phone
        && event.layer == Layer::Sms
        && SmsDeliver::parse(&event.bytes)
            .is_ok_and(|d| d.protocol_identifier == PID_SIM_DATA_DOWNLOAD)
}

/// An `Rc` that compares by pointer: a view computed once and handed to components,
/// whose props then compare in constant time.
#[derive(Debug)]
pub struct Shared<T>(pub Rc<T>);

impl<T> Shared<T> {
    pub fn new(value: T) -> Shared<T> {
        Shared(Rc::new(value))
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Rc::clone(&self.0))
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The card at the cursor, as the card panel shows it.
#[derive(Clone, Debug)]
pub struct CardView {
    pub card: Card,
    pub tree: FileNode,
    pub pins: Vec<PinView>,
}

impl CardView {
    fn of(card: &Card) -> CardView {
        CardView {
            card: card.clone(),
            tree: card.file_tree(),
            pins: card.security_view(),
        }
    }
}

/// What the selected step did to the card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepChanges {
    /// The selected event's step.
    pub step: u64,
    /// The step whose delivery changed the card: the selected one, or for the card's
    /// answer the command it answers (the card changes when the command arrives).
    pub cause: u64,
    /// Title of the `cause` event.
    pub cause_title: String,
    /// EFs whose bytes changed.
    pub files: Vec<FileChange>,
    /// PINs and keys whose state changed: before, after.
    pub pins: Vec<(PinView, PinView)>,
}

impl StepChanges {
    /// The change to the file at `path`, if it changed.
    pub fn file(&self, path: &[u16]) -> Option<&FileChange> {
        self.files.iter().find(|c| c.path() == path)
    }

    /// Whether a file at or below `path` changed.
    pub fn touches(&self, path: &[u16]) -> bool {
        self.files.iter().any(|c| c.path().starts_with(path))
    }
}

/// The send-APDU box's text, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApduCheck {
    /// Nothing typed yet.
    Empty,
    /// Not a command APDU: why, in words.
    Invalid(String),
    /// A command APDU and a one-line description of it.
    Valid { bytes: Vec<u8>, summary: String },
}

/// Checks the text of the send-APDU box as the card would read it: hex digits in pairs
/// ([`hex::parse`]), then a short command APDU ([`CommandApdu::parse`]).
pub fn check_apdu(text: &str) -> ApduCheck {
    let bytes = match hex::parse(text) {
        Ok(bytes) => bytes,
        Err(hex::HexError::Empty) => return ApduCheck::Empty,
        Err(error) => return ApduCheck::Invalid(format!("Not hex: {error}.")),
    };
    match CommandApdu::parse(&bytes) {
        Ok(command) => {
            let name = instruction_name(command.ins)
                .map_or_else(|| format!("INS {:02X}", command.ins), str::to_string);
            let lengths = match command.case() {
                Case::One => "case 1".to_string(),
                Case::Two => format!("case 2, Le {}", command.le.unwrap_or(0)),
                Case::Three => format!("case 3, Lc {}", command.data.len()),
                Case::Four => format!(
                    "case 4, Lc {}, Le {}",
                    command.data.len(),
                    command.le.unwrap_or(0)
                ),
            };
            ApduCheck::Valid {
                summary: format!("{name} ({lengths}, {} bytes)", bytes.len()),
                bytes,
            }
        }
        Err(error) => ApduCheck::Invalid(format!("Not a command APDU: {error}.")),
    }
}

/// An APDU the user sent and the card's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApduEcho {
    pub command: Vec<u8>,
    /// Response data and status word; `None` if the card did not answer.
    pub response: Option<Vec<u8>>,
    /// The step that showed the answer (or the last step taken).
    pub step: u64,
}

/// The first screen's state.
#[derive(Clone, Debug)]
pub struct Model {
    /// The recording and its cursor: the single source of truth for what is shown.
    pub playback: Playback,
    /// Index (into `playback.shown()`) of the event the user clicked; `None` follows
    /// the cursor (the inspector shows the current event).
    pub pinned: Option<usize>,
    /// The clicked tree row (or the field under the clicked byte).
    pub selected_field: Option<FieldPos>,
    /// Offset of the clicked byte, if the selection came from the hex view.
    pub selected_byte: Option<usize>,
    /// What the pointer or focus is over in the inspector.
    pub hover: Option<Hover>,
    /// Folded tree rows of the event shown (unfolded again when another event is shown).
    pub collapsed: Rc<BTreeSet<FieldPos>>,
    /// Whether the play timer is running.
    pub playing: bool,
    /// A short message shown under the hex view.
    pub notice: Option<String>,
    /// Status line of each of [`LANES`] in the world at the cursor (cached: rebuilding
    /// the world replays steps from a snapshot, too much work for every pointer move).
    pub lanes: [String; 4],
    /// Logical time of the world at the cursor.
    pub now: Instant,
    /// Whether the whole run is recorded (otherwise [`Model::total`] is a lower bound).
    pub run_complete: bool,
    /// Bumped whenever the cursor or the recording changes, so views derived from the
    /// log (arrows, the selected event) are rebuilt only then.
    pub revision: u64,
    /// What the right-hand column shows.
    pub tab: SideTab,
    /// The card at the cursor (cached with the lanes).
    pub card: Shared<CardView>,
    /// What the selected step did to the card (cached when the selection moves).
    pub changes: Option<Shared<StepChanges>>,
    /// The file the card panel shows, by path below the MF.
    pub selected_file: Option<Vec<u16>>,
    /// Folded DFs of the card's file tree.
    pub folded: Rc<BTreeSet<Vec<u16>>>,
    /// The text of the send-APDU box.
    pub apdu_input: String,
    /// The last APDU sent and its answer.
    pub apdu_echo: Option<Rc<ApduEcho>>,
    /// Why the phone cannot send an APDU at the cursor; `None` when it can.
    pub apdu_blocker: Option<String>,
    /// The seed every scenario starts from.
    pub seed: u64,
    /// The phone at the cursor (cached with the lanes).
    pub phone: Shared<PhoneView>,
    /// The server at the cursor (cached with the lanes).
    pub server: Shared<ServerView>,
    /// The OTA composer's text.
    pub ota_form: OtaForm,
    /// The network's IP side at the cursor (cached with the lanes).
    pub network: Shared<NetworkView>,
    /// The fault form of each link of [`Link::ALL`].
    pub fault_forms: [FaultForm; 2],
    /// The server console's connect form.
    pub connect_form: ConnectForm,
}

impl Model {
    /// A model over the built-in run seeded with `seed`, nothing shown yet.
    pub fn new(seed: u64) -> Model {
        let world = World::new(seed);
        let mut model = Model {
            seed,
            phone: Shared::new(PhoneView::of(&world, &[], "/")),
            server: Shared::new(ServerView::of(&world, &[], None)),
            ota_form: OtaForm::defaults(),
            connect_form: ConnectForm::default(),
            network: Shared::new(NetworkView::of(&world)),
            fault_forms: Link::ALL.map(|link| FaultForm::of(&world.network().ip().faults(link))),
            playback: Playback::new(seed),
            pinned: None,
            selected_field: None,
            selected_byte: None,
            hover: None,
            collapsed: Rc::default(),
            playing: false,
            notice: None,
            lanes: Default::default(),
            now: Instant::ZERO,
            run_complete: false,
            revision: 0,
            tab: SideTab::default(),
            card: Shared::new(CardView::of(&Card::new())),
            changes: None,
            selected_file: None,
            folded: Rc::default(),
            apdu_input: String::new(),
            apdu_echo: None,
            apdu_blocker: None,
        };
        model.record_ahead();
        model.refresh_world();
        model
    }

    /// Records the run ahead and moves the cursor back to the start, so the total is known.
    fn record_ahead(&mut self) {
        let cursor = self.playback.cursor();
        self.playback.seek(RECORD_AHEAD);
        self.run_complete = self.playback.at_end();
        self.playback.seek(cursor);
    }

    /// Events shown so far.
    pub fn cursor(&self) -> usize {
        self.playback.cursor()
    }

    /// Events in the run (as far as recorded).
    pub fn total(&self) -> usize {
        self.playback.recorded().len()
    }

    pub fn can_step(&self) -> bool {
        !self.playback.at_end()
    }

    pub fn can_back(&self) -> bool {
        self.cursor() > 0
    }

    /// Index (into the shown log) of the event the inspector shows.
    pub fn selected_index(&self) -> Option<usize> {
        match self.pinned {
            Some(i) if i < self.cursor() => Some(i),
            _ => self.cursor().checked_sub(1),
        }
    }

    /// The event the inspector shows.
    pub fn selected_event(&self) -> Option<&Event> {
        self.selected_index()
            .and_then(|i| self.playback.shown().get(i))
    }

    /// The field whose row and bytes are highlighted: the hovered one, else the selected one.
    pub fn active_field(&self) -> Option<FieldPos> {
        active_field(
            self.selected_event().map(|e| &e.fields),
            self.hover.as_ref(),
            self.selected_field.as_ref(),
        )
    }

    /// Recorded events after the cursor (sending an APDU here replaces them).
    pub fn steps_after_cursor(&self) -> usize {
        self.total() - self.cursor()
    }

    /// Recomputes the lanes, the time and the card from the world at the cursor, and
    /// what the selected step changed; returns that world.
    fn refresh_world(&mut self) -> World {
        let world = self.playback.world();
        self.lanes = LANES.map(|node| world.status_line(node));
        self.now = world.now();
        self.card = Shared::new(CardView::of(world.card()));
        self.apdu_blocker = apdu_blocker(world.phone().state());
        self.phone = Shared::new(PhoneView::of(
            &world,
            self.playback.shown(),
            &self.phone.browser_path,
        ));
        self.server = Shared::new(ServerView::of(
            &world,
            self.playback.shown(),
            Some(&self.server),
        ));
        let network = NetworkView::of(&world);
        for (form, faults) in self.fault_forms.iter_mut().zip(&network.faults) {
            if !form.edited {
                *form = FaultForm::of(faults);
            }
        }
        self.network = Shared::new(network);
        self.revision += 1;
        self.refresh_changes();
        world
    }

    /// Recomputes what the selected step did to the card (the card before it against the
    /// card after it; for the card's answer, before its command against after the answer).
    fn refresh_changes(&mut self) {
        let Some(index) = self.selected_index() else {
            self.changes = None;
            return;
        };
        let shown = self.playback.shown();
        let event = &shown[index];
        let cause = match event.caused_by {
            Some(cause) if event.from == NodeId::Card && cause >= 1 => cause,
            _ => event.step,
        };
        let card_at = |k: usize| -> Card {
            if k == self.cursor() {
                self.card.card.clone()
            } else {
                self.playback.world_at(k).card().clone()
            }
        };
        let before = card_at(usize::try_from(cause - 1).unwrap_or(0));
        let after = card_at(index + 1);
        let pins = before
            .security_view()
            .into_iter()
            .zip(after.security_view())
            .filter(|(b, a)| b != a)
            .collect();
        let cause_title = usize::try_from(cause - 1)
            .ok()
            .and_then(|i| shown.get(i))
            .map(|e| e.title.clone())
            .unwrap_or_default();
        self.changes = Some(Shared::new(StepChanges {
            step: event.step,
            cause,
            cause_title,
            files: inspect::changed_files(&before, &after),
            pins,
        }));
    }

    /// Forgets the inspector's field selection (when another event is shown).
    fn clear_inspection(&mut self) {
        self.selected_field = None;
        self.selected_byte = None;
        self.hover = None;
        self.notice = None;
        if !self.collapsed.is_empty() {
            self.collapsed = Rc::default();
        }
    }

    /// After the cursor moved: follow it and refresh what depends on the world.
    fn cursor_moved(&mut self) -> World {
        self.pinned = None;
        self.clear_inspection();
        self.refresh_world()
    }

    /// Sends the APDU in the box at the cursor and steps until the card's answer reaches
    /// the phone. Returns whether anything happened.
    fn send_apdu(&mut self) -> bool {
        let ApduCheck::Valid { bytes, .. } = check_apdu(&self.apdu_input) else {
            return false;
        };
        if self.apdu_blocker.is_some() {
            return false;
        }
        self.playing = false;
        self.playback
            .act(crate::sim::Action::SendApdu(bytes.clone()));
        let answered = |playback: &Playback| {
            playback
                .current()
                .is_some_and(|e| e.from == NodeId::Card && e.to == NodeId::Phone)
        };
        for _ in 0..STEPS_TO_ANSWER {
            if answered(&self.playback) || !self.playback.step_forward() {
                break;
            }
        }
        let response = answered(&self.playback)
            .then(|| self.playback.current().map(|e| e.bytes.clone()))
            .flatten();
        let step = self.playback.current().map_or(0, |e| e.step);
        self.record_ahead();
        self.cursor_moved();
        self.apdu_echo = Some(Rc::new(ApduEcho {
            command: bytes,
            response,
            step,
        }));
        true
    }
}

impl Model {
    /// Restarts with the built-in `scenario` from the model's seed, nothing shown.
    fn pick_scenario(&mut self, scenario: Scenario) -> bool {
        self.playing = false;
        self.playback = Playback::for_scenario(scenario, self.seed);
        self.apdu_echo = None;
        self.discard_fault_drafts();
        self.record_ahead();
        self.cursor_moved();
        true
    }

    /// A composer field changed; a new TAR also takes the server's KIc and KID for it.
    fn edit_ota(&mut self, field: OtaField, text: String) -> bool {
        if self.ota_form.get(field) == text {
            return false;
        }
        if field == OtaField::Tar {
            if let Ok(tar) = hex_of_len::<3>(&text, "TAR") {
                let request = self.server.server.request(Tar(tar), Vec::new());
                self.ota_form.kic = format!("{:02X}", request.kic);
                self.ota_form.kid = format!("{:02X}", request.kid);
            }
        }
        *self.ota_form.get_mut(field) = text;
        true
    }

    /// Sends the composed OTA at the cursor and steps until the server has read the PoR
    /// (or the message's outcome), could not send, or nothing is left in flight.
    fn send_ota(&mut self) -> bool {
        let Some(request) = check_ota(&self.ota_form).request else {
            return false;
        };
        let before = self.server.server.sent().len();
        self.act_on_server(
            crate::sim::Action::ServerSendOta(request),
            STEPS_TO_POR,
            |world| {
                world.server().last_error().is_some()
                    || world
                        .server()
                        .sent()
                        .get(before)
                        .is_some_and(|m| m.outcome.is_some())
            },
        )
    }

    /// Has the server connect as the connect form says, with an HTTP GET whose `Host` is
    /// the phone's address (or the one it will get), and steps until the session is
    /// finished or failed.
    fn connect(&mut self) -> bool {
        let Some(target) = check_connect(&self.connect_form).target else {
            return false;
        };
        let host = self.server.phone_address.unwrap_or(PHONE_ADDRESS_POOL);
        let before = self.server.server.sessions().sessions().len();
        self.act_on_server(
            crate::sim::Action::ServerConnect(target.request(host)),
            STEPS_TO_SESSION_END,
            |world| {
                world
                    .server()
                    .sessions()
                    .sessions()
                    .get(before)
                    .is_some_and(|s| {
                        matches!(s.state, SessionState::Finished | SessionState::Failed(_))
                    })
            },
        )
    }

    /// Does a server action at the cursor (the run branches there) and steps, at most
    /// `limit` times, until a message delivered to the server leaves it `done` or
    /// nothing is left in flight.
    fn act_on_server(
        &mut self,
        action: crate::sim::Action,
        limit: usize,
        done: impl Fn(&World) -> bool,
    ) -> bool {
        self.playing = false;
        self.playback.act(action);
        for _ in 0..limit {
            let to_server = self
                .playback
                .current()
                .is_some_and(|e| e.to == NodeId::Server);
            if to_server && done(&self.playback.world()) {
                break;
            }
            if !self.playback.step_forward() {
                break;
            }
        }
        self.record_ahead();
        self.cursor_moved();
        true
    }

    /// A text field of the connect form changed.
    fn edit_connect(&mut self, field: ConnectField, text: String) -> bool {
        if self.connect_form.get(field) == text {
            return false;
        }
        *self.connect_form.get_mut(field) = text;
        true
    }

    /// The connect form's secure checkbox changed.
    fn set_secure(&mut self, secure: bool) -> bool {
        if self.connect_form.secure == secure {
            return false;
        }
        self.connect_form.set_secure(secure);
        true
    }
}

impl Model {
    /// The browser's address bar changed.
    fn edit_browser_path(&mut self, text: String) -> bool {
        if self.phone.browser_path == text {
            return false;
        }
        let mut view = (*self.phone).clone();
        view.browser_path = text;
        self.phone = Shared::new(view);
        true
    }

    /// Has the phone's browser fetch the address bar's path at the cursor and steps
    /// until the visit has ended: at once when it fails, else when the card's CLOSE
    /// CHANNEL reaches the phone and the page is in (at most [`STEPS_TO_PAGE`]).
    fn browse(&mut self) -> bool {
        let Ok(path) = check_browser_path(&self.phone.browser_path) else {
            return false;
        };
        self.playing = false;
        let before = self.phone.visits;
        self.playback.act(crate::sim::Action::Browse(path));
        for _ in 0..STEPS_TO_PAGE {
            let may_end = self.playback.current().is_some_and(|e| {
                e.to == NodeId::Phone
                    && (e.from == NodeId::User || e.title.starts_with("CLOSE CHANNEL"))
            });
            if may_end {
                let world = self.playback.world();
                let browser = world.phone().browser();
                if browser.history().len() > before && !browser.loading() {
                    break;
                }
            }
            if !self.playback.step_forward() {
                break;
            }
        }
        self.record_ahead();
        self.cursor_moved();
        true
    }
}

/// How many steps a network action takes at most to be shown (messages due at the same
/// instant and queued before it go first).
const STEPS_TO_ACTION: usize = 8;

impl Model {
    /// The fault form of `link`.
    pub fn fault_form(&self, link: Link) -> &FaultForm {
        &self.fault_forms[link_index(link)]
    }

    /// Lets every fault form follow its link's faults again (a run started over).
    fn discard_fault_drafts(&mut self) {
        for form in &mut self.fault_forms {
            form.edited = false;
        }
    }

    /// A text field of a link's fault form changed.
    fn edit_fault(&mut self, link: Link, field: FaultField, text: String) -> bool {
        let form = &mut self.fault_forms[link_index(link)];
        if form.get(field) == text {
            return false;
        }
        *form.get_mut(field) = text;
        form.edited = true;
        true
    }

    /// The partition checkbox of a link's fault form changed.
    fn set_partition(&mut self, link: Link, partitioned: bool) -> bool {
        let form = &mut self.fault_forms[link_index(link)];
        if form.partitioned == partitioned {
            return false;
        }
        form.partitioned = partitioned;
        form.edited = true;
        true
    }

    /// Sets the faults of `link`'s form at the cursor, if the form is valid.
    fn apply_faults(&mut self, link: Link) -> bool {
        let index = link_index(link);
        let Some(faults) = check_faults(&self.fault_forms[index]).faults else {
            return false;
        };
        self.fault_forms[index].edited = false;
        self.act_on_network(crate::sim::Action::SetFaults { link, faults })
    }

    /// Does a network action at the cursor (the run branches there, as for an APDU or
    /// an OTA) and steps until the network has it.
    fn act_on_network(&mut self, action: crate::sim::Action) -> bool {
        self.playing = false;
        self.playback.act(action);
        let shown = |playback: &Playback| {
            playback
                .current()
                .is_some_and(|e| e.from == NodeId::User && e.to == NodeId::Network)
        };
        for _ in 0..STEPS_TO_ACTION {
            if shown(&self.playback) || !self.playback.step_forward() {
                break;
            }
        }
        self.record_ahead();
        self.cursor_moved();
        true
    }
}

/// Why the phone in `state` cannot send a user's APDU; `None` when it can.
fn apdu_blocker(state: &PhoneState) -> Option<String> {
    Some(match state {
        PhoneState::Ready => return None,
        PhoneState::Off => "The phone is off: step through its start-up first (→).".to_string(),
        PhoneState::ExpectUserResponse => {
            "The card has not answered the last APDU yet: step once more (→).".to_string()
        }
        PhoneState::Failed(reason) => format!("Start-up failed ({reason}): reset to try again."),
        _ => "The phone is still starting up: step to the end of start-up first (→).".to_string(),
    })
}

/// The field highlighted for `hover` (or, with no hover, `selected`) in `fields`.
pub fn active_field(
    fields: Option<&Field>,
    hover: Option<&Hover>,
    selected: Option<&FieldPos>,
) -> Option<FieldPos> {
    match hover {
        Some(Hover::Byte(offset)) => fields.and_then(|f| FieldPos::deepest_at(f, *offset)),
        Some(Hover::Field(pos)) => Some(pos.clone()),
        None => selected.cloned(),
    }
}

/// Where a field sits in its event's tree: the child indices from the root (empty for
/// the root). Field paths name a kind of field and repeat (two TLVs of the same tag
/// share a path); positions are unique, so selection and folding use them.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldPos(pub Vec<usize>);

impl FieldPos {
    /// The root field.
    pub fn root() -> FieldPos {
        FieldPos(Vec::new())
    }

    /// The `index`-th child of this field.
    pub fn child(&self, index: usize) -> FieldPos {
        let mut pos = self.0.clone();
        pos.push(index);
        FieldPos(pos)
    }

    /// The field at this position under `root`.
    pub fn resolve<'a>(&self, root: &'a Field) -> Option<&'a Field> {
        self.0
            .iter()
            .try_fold(root, |field, &index| field.children.get(index))
    }

    /// The position of `target` (by identity, not by value) under `root`.
    pub fn of(root: &Field, target: &Field) -> Option<FieldPos> {
        if std::ptr::eq(root, target) {
            return Some(FieldPos::root());
        }
        root.children.iter().enumerate().find_map(|(index, child)| {
            FieldPos::of(child, target).map(|mut pos| {
                pos.0.insert(0, index);
                pos
            })
        })
    }

    /// The position of [`Field::deepest_at`]`(offset)`: the innermost field covering the byte.
    pub fn deepest_at(root: &Field, offset: usize) -> Option<FieldPos> {
        root.deepest_at(offset)
            .and_then(|field| FieldPos::of(root, field))
    }

    /// Whether `other` is this field or lies inside it.
    pub fn contains(&self, other: &FieldPos) -> bool {
        other.0.starts_with(&self.0)
    }

    /// The fields above this one, from the root down (this one excluded).
    pub fn ancestors(&self) -> impl Iterator<Item = FieldPos> + '_ {
        (0..self.0.len()).map(|depth| FieldPos(self.0[..depth].to_vec()))
    }
}

impl std::fmt::Display for FieldPos {
    /// `0` for the root, `0.2.1` for the second child of the third child.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "0")?;
        for index in &self.0 {
            write!(f, ".{index}")?;
        }
        Ok(())
    }
}

/// Applies `action` to `model`. Returns whether anything changed (so the view can skip a
/// render).
pub fn apply(model: &mut Model, action: Action) -> bool {
    match action {
        Action::Step => {
            let was_playing = std::mem::replace(&mut model.playing, false);
            let moved = model.playback.step_forward();
            if moved {
                model.cursor_moved();
            }
            moved || was_playing
        }
        Action::Back => {
            let was_playing = std::mem::replace(&mut model.playing, false);
            let moved = model.playback.step_back();
            if moved {
                model.cursor_moved();
            }
            moved || was_playing
        }
        Action::Reset => {
            let was_playing = std::mem::replace(&mut model.playing, false);
            if model.cursor() == 0 {
                return was_playing;
            }
            model.playback.reset();
            model.discard_fault_drafts();
            model.record_ahead();
            model.cursor_moved();
            model.apdu_echo = None;
            true
        }
        Action::TogglePlay => {
            if model.playing {
                model.playing = false;
                return true;
            }
            if !model.playback.step_forward() {
                return false;
            }
            model.cursor_moved();
            model.playing = !model.playback.at_end();
            true
        }
        Action::Tick => {
            if !model.playing {
                return false;
            }
            if model.playback.step_forward() {
                model.cursor_moved();
            }
            model.playing = !model.playback.at_end();
            true
        }
        Action::SelectEvent(index) => {
            if index >= model.cursor() || model.selected_index() == Some(index) {
                return false;
            }
            model.pinned = Some(index);
            model.clear_inspection();
            model.refresh_changes();
            true
        }
        Action::FollowCursor => {
            if model.pinned.is_none() {
                return false;
            }
            let before = model.selected_index();
            model.pinned = None;
            if model.selected_index() != before {
                model.clear_inspection();
                model.refresh_changes();
            }
            true
        }
        Action::SelectField(pos) => {
            let exists = model
                .selected_event()
                .is_some_and(|e| pos.resolve(&e.fields).is_some());
            let unchanged =
                model.selected_field.as_ref() == Some(&pos) && model.selected_byte.is_none();
            if !exists || unchanged {
                return false;
            }
            model.selected_field = Some(pos);
            model.selected_byte = None;
            true
        }
        Action::SelectByte(offset) => {
            let Some(event) = model.selected_event() else {
                return false;
            };
            if offset >= event.bytes.len() {
                return false;
            }
            let pos = FieldPos::deepest_at(&event.fields, offset);
            // Unfold the rows above the field so that its row is visible.
            if let Some(pos) = &pos {
                if pos.ancestors().any(|a| model.collapsed.contains(&a)) {
                    let collapsed = Rc::make_mut(&mut model.collapsed);
                    for ancestor in pos.ancestors() {
                        collapsed.remove(&ancestor);
                    }
                }
            }
            model.selected_field = pos;
            model.selected_byte = Some(offset);
            true
        }
        Action::Hover(hover) => {
            if model.hover == hover {
                return false;
            }
            model.hover = hover;
            true
        }
        Action::ToggleCollapsed(pos) => {
            let collapsed = Rc::make_mut(&mut model.collapsed);
            if !collapsed.remove(&pos) {
                collapsed.insert(pos);
            }
            true
        }
        Action::Notice(notice) => {
            if model.notice == notice {
                return false;
            }
            model.notice = notice;
            true
        }
        Action::ShowTab(tab) => {
            if model.tab == tab {
                return false;
            }
            model.tab = tab;
            true
        }
        Action::SelectFile(path) => {
            if model.selected_file.as_ref() == Some(&path) || model.card.tree.find(&path).is_none()
            {
                return false;
            }
            model.selected_file = Some(path);
            true
        }
        Action::ToggleFolder(path) => {
            let folded = Rc::make_mut(&mut model.folded);
            if !folded.remove(&path) {
                folded.insert(path);
            }
            true
        }
        Action::EditApdu(text) => {
            if model.apdu_input == text {
                return false;
            }
            model.apdu_input = text;
            true
        }
        Action::SendApdu => model.send_apdu(),
        Action::PickScenario(scenario) => model.pick_scenario(scenario),
        Action::EditOta(field, text) => model.edit_ota(field, text),
        Action::SendOta => model.send_ota(),
        Action::EditFault(link, field, text) => model.edit_fault(link, field, text),
        Action::SetPartition(link, partitioned) => model.set_partition(link, partitioned),
        Action::ApplyFaults(link) => model.apply_faults(link),
        Action::CutLink(link) => model.act_on_network(crate::sim::Action::CutLink(link)),
        Action::EditConnect(field, text) => model.edit_connect(field, text),
        Action::SetSecure(secure) => model.set_secure(secure),
        Action::Connect => model.connect(),
        Action::EditBrowserPath(text) => model.edit_browser_path(text),
        Action::Browse => model.browse(),
    }
}
