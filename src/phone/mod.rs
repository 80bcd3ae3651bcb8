//! The phone (mobile equipment): powers the card, drives it with APDUs, and stands
//! between the network and the card for short messages.
//!
//! The start-up sequence of ETSI TS 102 221 §14 and TS 102 223 §5: cold reset and ATR,
//! SELECT of the MF with its FCP fetched by GET RESPONSE (the T=0 case-4 procedure),
//! then TERMINAL PROFILE; then the phone attaches to the network. The access gateway's
//! channel table is in [`gateway`]. A card whose ATR announces the USB interface (ETSI
//! TS 102 600) is also reached over IP: [`usb`] routes the server's connections to it.
//!
//! ```text
//!   Off ──PowerOn──▶ ExpectAtr ──ATR──▶ ExpectSelectStatus ──61XX──▶ ExpectFcp
//!                                                                       │ 9000
//!   Ready ◀──9000/91XX (attach)── ExpectProfileStatus ◀─────────────────┘
//!   Ready ──SendApdu──▶ ExpectUserResponse ──response──▶ Ready
//!   Ready ──SMS-DELIVER, PID 7F, class 2──▶ ExpectDownloadStatus (ENVELOPE D1 at the card)
//!           ├─ 61XX, 62XX, 63XX ──▶ ExpectDownloadData (GET RESPONSE; 6CXX → again with
//!           │                       Le = XX) ──data──▶ RP-ACK + data ──▶ Ready
//!           └─ any other status ──▶ deliver report (see below) ──▶ Ready
//!   Ready ──SMS-DELIVER to application port 16600 (IEI 05)──▶ gateway configuration
//!           (link::NetSide::configure, patent step S600), RP-ACK
//!   Ready ──any other SMS-DELIVER──▶ inbox, RP-ACK
//!   Ready ──event waiting (see bip)──▶ ExpectEventStatus (ENVELOPE D6) ──answer──▶ Ready
//!   (done with TERMINAL PROFILE, a user's APDU, an SMS-PP download or a TERMINAL
//!    RESPONSE, and the card's last status was 91 XX)
//!           ──▶ ExpectProactiveCommand (FETCH 80 12 00 00 XX)
//!                 ├─ D0 … 90 00 ──▶ ExpectTerminalResponseStatus (TERMINAL RESPONSE)
//!                 │                   ├─ 91 XX ──▶ FETCH again
//!                 │                   └─ 90 00 or anything else ──▶ Ready
//!                 ├─ D0 … 90 00, a link to set up first ──▶ ExpectNetwork
//!                 │     ──Connected / ConnectFailed──▶ ExpectTerminalResponseStatus
//!                 └─ no readable command ──▶ error noted ──▶ Ready
//!   (any state) ──bad ATR / unexpected status in start-up──▶ Failed
//!   (on) ──PowerOn──▶ detach, then start-up again
//! ```
//!
//! SMS-PP data download (3GPP TS 31.111 §7.1.1.1): a short message with TP-PID `7F`
//! ((U)SIM data download) and a class 2 TP-DCS (TS 23.038 §4: `F6`, `16`, …) goes to the
//! card in ENVELOPE (`80 C2 00 00 Lc D1 …`: device identities network → UICC, the SMS
//! centre's address, the SMS TPDU) and is neither shown nor kept. The card's answer
//! decides the SMS-DELIVER-REPORT, whose TP-PID and TP-DCS are those of the message:
//!
//! | card | report |
//! |---|---|
//! | `90 00` | RP-ACK (with the response data if the card gave any) |
//! | `91 XX` | RP-ACK; then the phone FETCHes the proactive command waiting (see below) |
//! | `61 XX` | GET RESPONSE, then RP-ACK with the data as TP-UD (a PoR keeps its UDH `02 71 00`, so TP-UDHI is set) |
//! | `62 XX`, `63 XX` | GET RESPONSE with Le `00` (the T=0 case 4 warning procedure, TS 102 221 §7.3.1.1.4; `6C XX` → again with Le `XX`), then RP-ACK with the data, if any, as TP-UD: the Release 11 and later behaviour (3GPP TS 31.124 §27.22.5.1.3: "the ME with the Rel-11 or later implementation ... returns an RP-ACK"; earlier releases sent RP-ERROR `D5` with the data) |
//! | `93 00` | RP-ERROR, TP-FCS `D4` (U)SIM Application Toolkit busy; the network retries |
//! | `6F XX` and any other status | RP-ERROR, TP-FCS `D5` (U)SIM data download error |
//!
//! A short message that arrives while the card is busy with something else waits in
//! the phone (at most [`MAX_WAITING_SMS`]) and goes to the card when it is free; one
//! that does not decode is answered RP-ERROR `FF` (unspecified error cause); one that
//! arrives while the phone is not attached (off, or restarting after a detach) is lost,
//! as the radio would lose it, and the SMS centre delivers it again after the attach.
//!
//! # Proactive commands (TS 102 221 §7.4.2, TS 102 223 §6)
//!
//! Whenever the card ends a command with `91 XX`, the phone finishes what it was doing
//! (the SMS-DELIVER-REPORT of a download goes first), then sends FETCH `80 12 00 00 XX`
//! and performs the `D0` it gets, answering with TERMINAL RESPONSE (§6.8). The BIP
//! commands work on the access gateway's channel table ([`gateway`]); [`bip`] performs
//! them and sends the card the event downloads it asked for.
//!
//! | command | TERMINAL RESPONSE |
//! |---|---|
//! | SET UP EVENT LIST (§6.4.16) of data available (`09`) and / or channel status (`0A`); an empty list removes all | `00`; only listed events are ever sent |
//! | SET UP EVENT LIST with any other event | `30`, the list unchanged |
//! | OPEN CHANNEL, transport level `03` (TCP, UICC in server mode), a free channel | `00`, channel status (channel id, b8–b7 `01` LISTEN), buffer size granted: min(asked, [`gateway::MAX_BUFFER_SIZE`]); `07` (performed with modification) when that is less than asked |
//! | OPEN CHANNEL on a port a channel already listens on | `3A 10` (BIP error, port not available) |
//! | OPEN CHANNEL, transport level `01` / `02` (UDP / TCP client, remote), bearer `02` (packet) or `03` (default), IPv4 data destination, qualifier b1 = 0 (on demand) or b3 = 1 (background) | at once: `00` / `07`, channel status `0X 00` (link not established), the card's bearer description, buffer size |
//! | the same, qualifier b1 = 1 (immediate) | when the network answers: connected → `00` / `07`, channel status `8X 00`, bearer description, buffer size; failed → `3A 07` unreachable, `3A 05` security error, `21 00` network unable, `20 00` terminal unable, with bearer description and buffer size, and the channel is freed |
//! | OPEN CHANNEL, all [`gateway::MAX_CHANNELS`] channels in use | `3A 01` (BIP error, no channel available) |
//! | OPEN CHANNEL in client mode on another bearer, to an IPv6 or other address, or another transport level | `30` (command beyond terminal's capabilities) |
//! | OPEN CHANNEL in client mode without data destination address | `36` (error, required values are missing) |
//! | SEND DATA (§6.4.30), qualifier b1 = 0 store / 1 send the Tx buffer now | `00`, channel data length = free space in the Tx buffer (`FF`: more than 255); the first sending SEND DATA on an on-demand link waits for the connection like OPEN CHANNEL immediate |
//! | SEND DATA with more than the Tx buffer has room for | `3A 04` (requested buffer size not available) |
//! | RECEIVE DATA (§6.4.29) | `00` with the bytes asked for, or `02` (performed, with missing information) with fewer: those waiting, at most [`bip::MAX_RECEIVE_CHUNK`]; channel data length = bytes still waiting (`FF`: more than 255) |
//! | CLOSE CHANNEL (§6.4.28) | `00`; client mode: link closed, channel freed; server mode: qualifier b1 = 1 back to LISTEN (then a channel status event `4X 00`), b1 = 0 closed and freed |
//! | GET CHANNEL STATUS (§6.4.31) | `00` and a channel status per open channel; none open: one channel status `00 00` |
//! | SEND DATA, RECEIVE DATA, CLOSE CHANNEL on a channel that does not exist | `3A 03` (channel identifier not valid) |
//! | SEND DATA on a channel without link (listening, link dropped), RECEIVE DATA on one with nothing left to read | `3A 02` (channel closed) |
//! | any other command | `30` (command beyond terminal's capabilities): the profile declares none of them |
//! | a `D0` that does not decode but whose command details (first object) do | `32` (command data not understood by terminal) |
//!
//! A FETCH answered with anything else than data and `90 00`, or a `D0` whose command
//! details cannot be read, cannot be answered: the phone notes the error
//! ([`Phone::last_proactive`]) and goes back to Ready. A TERMINAL RESPONSE that waits
//! for the network keeps the phone in [`PhoneState::ExpectNetwork`]: the network side
//! answers every [`gateway::NetRequest::Connect`] (a TCP side that gives up reports
//! [`gateway::NetIndication::ConnectFailed`]).

pub mod bip;
pub mod browser;
pub mod gateway;
pub mod link;
pub mod usb;

use crate::sim::{Action, Instant, Message, Node, NodeId, Payload};
use crate::wire::apdu::{CommandApdu, ResponseApdu};
use crate::wire::atr::Atr;
use crate::wire::cat::{
    CommandDetails, DeviceIdentity, Event, GeneralResult, Object, ProactiveCommand, SmsPpDownload,
    TerminalResponse,
};
use crate::wire::sms::{
    DataCoding, FailureCause, OptionalParameters, SmsDeliver, SmsDeliverReport, UserData,
    PID_SIM_DATA_DOWNLOAD,
};
use crate::wire::status::StatusWord;
use bip::{Held, PendingEvent};
use gateway::{Gateway, NetRequest};
use std::collections::VecDeque;

/// The phone's TERMINAL PROFILE (TS 102 223 §5.2), 17 bytes: exactly what the phone
/// does, nothing more; later capabilities add their bits here.
///
/// | byte | value | bits set |
/// |---|---|---|
/// | 1 | `03` | b1 profile download ([`Facility::PROFILE_DOWNLOAD`](crate::wire::cat::Facility::PROFILE_DOWNLOAD)), b2 SMS-PP data download ([`Facility::SMS_PP_DATA_DOWNLOAD`](crate::wire::cat::Facility::SMS_PP_DATA_DOWNLOAD)) |
/// | 2–4 | `00` | none |
/// | 5 | `01` | b1 SET UP EVENT LIST ([`Facility::SET_UP_EVENT_LIST`](crate::wire::cat::Facility::SET_UP_EVENT_LIST)) |
/// | 6 | `0C` | b3 data available event, b4 channel status event ([`Facility::DATA_AVAILABLE_EVENT`](crate::wire::cat::Facility::DATA_AVAILABLE_EVENT), [`Facility::CHANNEL_STATUS_EVENT`](crate::wire::cat::Facility::CHANNEL_STATUS_EVENT)) |
/// | 7–11 | `00` | none |
/// | 12 | `1F` | b1 OPEN CHANNEL, b2 CLOSE CHANNEL, b3 RECEIVE DATA, b4 SEND DATA, b5 GET CHANNEL STATUS |
/// | 13 | `E2` | b8–b6 = 7: number of channels ([`gateway::MAX_CHANNELS`]); b2 GPRS ([`Facility::GPRS`](crate::wire::cat::Facility::GPRS)): bearer type `02`, packet data. The default bearer (`03`) has no bit of its own |
/// | 14–16 | `00` | screen height, width and effects: the phone declares no display for the toolkit (no DISPLAY TEXT); no byte declares buffer sizes, which OPEN CHANNEL negotiates |
/// | 17 | `07` | b1 TCP, UICC in client mode, remote connection; b2 UDP, likewise; b3 TCP, UICC in server mode ([`Facility::TCP_CLIENT_REMOTE`](crate::wire::cat::Facility::TCP_CLIENT_REMOTE), [`Facility::UDP_CLIENT_REMOTE`](crate::wire::cat::Facility::UDP_CLIENT_REMOTE), [`Facility::TCP_SERVER`](crate::wire::cat::Facility::TCP_SERVER)) |
pub const TERMINAL_PROFILE: [u8; 17] = [
    0x03, // byte 1: b1 profile download, b2 SMS-PP data download
    0x00,
    0x00,
    0x00, // bytes 2-4
    0x01, // byte 5: b1 SET UP EVENT LIST
    0x0C, // byte 6: b3 data available, b4 channel status
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,                                // bytes 7-11
    0x1F, // byte 12: b1-b5 OPEN/CLOSE CHANNEL, RECEIVE/SEND DATA, GET CHANNEL STATUS
    (gateway::MAX_CHANNELS << 5) | 0x02, // byte 13: b8-b6 number of channels, b2 GPRS
    0x00,
    0x00,
    0x00, // bytes 14-16
    0x07, // byte 17: b1 TCP client remote, b2 UDP client remote, b3 TCP server
];

/// Short messages that can wait in the phone for the card; more are refused with
/// RP-ERROR `D3` (memory capacity exceeded).
pub const MAX_WAITING_SMS: usize = 4;

/// What the phone waits for, named after rustls' state machine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PhoneState {
    #[default]
    Off,
    ExpectAtr,
    ExpectSelectStatus,
    ExpectFcp,
    ExpectProfileStatus,
    /// Start-up done: the card is ready for use.
    Ready,
    /// A command APDU the user asked for is at the card.
    ExpectUserResponse,
    /// An SMS-PP download (ENVELOPE) is at the card.
    ExpectDownloadStatus,
    /// The card had response data for the SMS-PP download (`61 XX`); GET RESPONSE is at
    /// the card.
    ExpectDownloadData,
    /// FETCH is at the card.
    ExpectProactiveCommand,
    /// A TERMINAL RESPONSE is at the card.
    ExpectTerminalResponseStatus,
    /// A proactive command waits for the network before it can be answered: OPEN
    /// CHANNEL with immediate link establishment, or the SEND DATA that sets up an
    /// on-demand link (see [`bip`]).
    ExpectNetwork,
    /// An event download (ENVELOPE `D6`) is at the card.
    ExpectEventStatus,
    /// Start-up stopped; the reason in words.
    Failed(String),
}

/// A short message kept for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxMessage {
    /// TP-OA as a person reads it.
    pub from: String,
    /// TP-SCTS.
    pub time_stamp: String,
    /// The text, or the data in hex.
    pub text: String,
    /// The SMS-DELIVER TPDU.
    pub tpdu: Vec<u8>,
}

/// GET RESPONSEs one SMS-PP download may take before the phone gives up on the card's
/// data (each `6C XX` or `61 XX` asks for one more).
const MAX_FETCHES: u8 = 4;

/// The SMS-PP download in progress: what the report needs from the message, and the
/// card's response data gathered so far.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Download {
    pid: u8,
    dcs: u8,
    /// The warning (`62 XX`, `63 XX`) the ENVELOPE ended with, if it did.
    warning: Option<StatusWord>,
    data: Vec<u8>,
    fetches: u8,
}

impl Download {
    fn new(pid: u8, dcs: u8) -> Download {
        Download {
            pid,
            dcs,
            warning: None,
            data: Vec::new(),
            fetches: 0,
        }
    }
}

/// The phone and its view of the card.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Phone {
    state: PhoneState,
    /// The card's ATR, once received.
    atr: Option<Vec<u8>>,
    /// The MF's FCP template, once received.
    mf_fcp: Option<Vec<u8>>,
    /// The card's answer to the last APDU the user sent.
    last_user_response: Option<Vec<u8>>,
    /// Whether the phone is attached to the network.
    attached: bool,
    download: Option<Download>,
    /// SMS-DELIVERs waiting for the card: the SMS centre's address and the TPDU.
    waiting: VecDeque<(Vec<u8>, Vec<u8>)>,
    /// Short messages for the user; kept across restarts, as a phone's memory is.
    inbox: Vec<InboxMessage>,
    /// Length of the proactive command the card announced (`91 XX`) and the phone has
    /// not fetched yet.
    proactive_pending: Option<u8>,
    /// How the last SMS-PP download ended, in words.
    last_download: Option<String>,
    /// The access gateway's channel table; closed with the power.
    gateway: Gateway,
    /// The gateway's network side: IP session, connections, admission of servers.
    net: link::NetSide,
    /// What the phone did with the last proactive command, in words.
    last_proactive: Option<String>,
    /// Requests for the network side made before a restart, not taken yet.
    unsent_requests: Vec<NetRequest>,
    /// The events the card asked for in SET UP EVENT LIST.
    event_list: Vec<Event>,
    /// Event downloads waiting for the card to be free.
    events: VecDeque<PendingEvent>,
    /// The event download at the card.
    event_in_flight: Option<PendingEvent>,
    /// The card answered `93 00` to an event: no event until the phone's next step.
    events_paused: bool,
    /// The proactive command whose TERMINAL RESPONSE waits for the network.
    held: Option<Held>,
    /// How the last event download went, in words.
    last_event: Option<String>,
    /// The card's IP stack on the USB interface, when its ATR announced one ([`usb`]).
    usb: Option<usb::UsbLink>,
    /// The phone's browser, a local client of the card's web server; its history is
    /// kept across restarts.
    browser: browser::Browser,
}

impl Phone {
    pub fn new() -> Phone {
        Phone::default()
    }

    pub fn state(&self) -> &PhoneState {
        &self.state
    }

    /// The card's ATR, once received.
    pub fn atr(&self) -> Option<&[u8]> {
        self.atr.as_deref()
    }

    /// The MF's FCP template as the card returned it, once received.
    pub fn mf_fcp(&self) -> Option<&[u8]> {
        self.mf_fcp.as_deref()
    }

    /// The card's answer to the last APDU the user sent.
    pub fn last_user_response(&self) -> Option<&[u8]> {
        self.last_user_response.as_deref()
    }

    /// Whether the phone can send a user's APDU now (start-up done, nothing outstanding).
    pub fn accepts_user_apdu(&self) -> bool {
        self.state == PhoneState::Ready
    }

    /// Whether the phone is attached to the network.
    pub fn attached(&self) -> bool {
        self.attached
    }

    /// Short messages kept for the user, oldest first.
    pub fn inbox(&self) -> &[InboxMessage] {
        &self.inbox
    }

    /// The length of a proactive command the card announced (`91 XX`) and the phone
    /// has not fetched.
    pub fn proactive_pending(&self) -> Option<u8> {
        self.proactive_pending
    }

    /// How the last SMS-PP download ended, in words.
    pub fn last_download(&self) -> Option<&str> {
        self.last_download.as_deref()
    }

    /// The access gateway: the channels the card opened.
    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    /// The gateway's network side: the IP session and the connections behind the
    /// channels.
    pub fn net(&self) -> &link::NetSide {
        &self.net
    }

    /// What the phone did with the last proactive command (or why it could not), in
    /// words.
    pub fn last_proactive(&self) -> Option<&str> {
        self.last_proactive.as_deref()
    }

    /// Reacts to one delivered message; returns what the phone sends.
    fn react(&mut self, payload: &Payload) -> Vec<Message> {
        match (&self.state, payload) {
            (_, Payload::Action(Action::PowerOn)) => {
                let mut out = Vec::new();
                if self.attached {
                    out.push(to_network(Payload::Detach));
                }
                let inbox = std::mem::take(&mut self.inbox);
                let mut browser = std::mem::take(&mut self.browser);
                browser.abort("the phone restarted");
                self.gateway.shut_down();
                let requests = self.take_net_requests();
                *self = Phone::new();
                self.inbox = inbox;
                self.browser = browser;
                self.unsent_requests = requests;
                self.state = PhoneState::ExpectAtr;
                out.push(to_card(Payload::Reset));
                out
            }
            (
                _,
                Payload::SmsDeliver {
                    service_centre,
                    tpdu,
                },
            ) => self.short_message(service_centre, tpdu),
            (PhoneState::ExpectAtr, Payload::Atr(bytes)) => match Atr::parse(bytes) {
                Ok(atr) => {
                    self.atr = Some(bytes.clone());
                    self.usb = usb::UsbLink::from_atr(&atr);
                    self.state = PhoneState::ExpectSelectStatus;
                    let select_mf =
                        CommandApdu::new(0x00, 0xA4, 0x00, 0x04).with_data([0x3F, 0x00]);
                    vec![to_card(Payload::Command(select_mf.emit()))]
                }
                Err(error) => self.fail(format!("invalid ATR: {error}")),
            },
            (PhoneState::ExpectSelectStatus, Payload::Response(bytes)) => {
                let Some(sw) = self.status(bytes) else {
                    return Vec::new();
                };
                match sw.to_bytes() {
                    [0x61, available] => {
                        self.state = PhoneState::ExpectFcp;
                        vec![to_card(get_response(available))]
                    }
                    other => self.unexpected("SELECT MF", other),
                }
            }
            (PhoneState::ExpectFcp, Payload::Response(bytes)) => {
                let Some(response) = self.response(bytes) else {
                    return Vec::new();
                };
                if response.sw != StatusWord::NO_ERROR {
                    return self.unexpected("GET RESPONSE", response.sw.to_bytes());
                }
                self.mf_fcp = Some(response.data);
                self.state = PhoneState::ExpectProfileStatus;
                let profile = CommandApdu::new(0x80, 0x10, 0x00, 0x00).with_data(TERMINAL_PROFILE);
                vec![to_card(Payload::Command(profile.emit()))]
            }
            (PhoneState::ExpectProfileStatus, Payload::Response(bytes)) => {
                let Some(sw) = self.status(bytes) else {
                    return Vec::new();
                };
                if !sw.is_normal() {
                    return self.unexpected("TERMINAL PROFILE", sw.to_bytes());
                }
                self.note_proactive(sw);
                self.attached = true;
                let mut out = vec![to_network(Payload::Attach)];
                out.extend(self.carry_on());
                out
            }
            (PhoneState::Ready, Payload::Action(Action::SendApdu(bytes))) => {
                self.state = PhoneState::ExpectUserResponse;
                vec![to_card(Payload::Command(bytes.clone()))]
            }
            (PhoneState::ExpectUserResponse, Payload::Response(bytes)) => {
                self.last_user_response = Some(bytes.clone());
                if let Ok(response) = ResponseApdu::parse(bytes) {
                    self.note_proactive(response.sw);
                }
                self.carry_on()
            }
            (PhoneState::ExpectDownloadStatus, Payload::Response(bytes)) => {
                self.download_status(bytes)
            }
            (PhoneState::ExpectDownloadData, Payload::Response(bytes)) => self.download_data(bytes),
            (PhoneState::ExpectProactiveCommand, Payload::Response(bytes)) => self.fetched(bytes),
            (PhoneState::ExpectTerminalResponseStatus, Payload::Response(bytes)) => {
                self.terminal_response_status(bytes)
            }
            (PhoneState::ExpectEventStatus, Payload::Response(bytes)) => self.event_status(bytes),
            // Anything else (a stray ATR, a response with no command outstanding, a user's
            // APDU before start-up is done) is ignored.
            _ => Vec::new(),
        }
    }

    /// An SMS-DELIVER from the network.
    fn short_message(&mut self, service_centre: &[u8], tpdu: &[u8]) -> Vec<Message> {
        match &self.state {
            // Not registered: nothing can reach the phone. A message sent before a
            // detach and arriving after it is lost; the SMS centre, told of the detach,
            // delivers it again after the next attach.
            _ if !self.attached => Vec::new(),
            PhoneState::Ready | PhoneState::Failed(_) => self.take_sms(service_centre, tpdu),
            _ if self.waiting.len() >= MAX_WAITING_SMS => vec![report(SmsDeliverReport::error(
                FailureCause::MEMORY_CAPACITY_EXCEEDED,
                OptionalParameters::default(),
            ))],
            _ => {
                self.waiting
                    .push_back((service_centre.to_vec(), tpdu.to_vec()));
                Vec::new()
            }
        }
    }

    /// The next short message that waited for the card, now that it is free.
    fn next_waiting(&mut self) -> Vec<Message> {
        match self.waiting.pop_front() {
            Some((service_centre, tpdu)) => self.take_sms(&service_centre, &tpdu),
            None => Vec::new(),
        }
    }

    /// Handles an SMS-DELIVER now: SMS-PP download to the card, or the inbox.
    fn take_sms(&mut self, service_centre: &[u8], tpdu: &[u8]) -> Vec<Message> {
        let Ok(sms) = SmsDeliver::parse(tpdu) else {
            return vec![report(SmsDeliverReport::error(
                FailureCause::UNSPECIFIED,
                OptionalParameters::default(),
            ))];
        };
        let (pid, dcs) = (sms.protocol_identifier, sms.data_coding_scheme);
        let download = pid == PID_SIM_DATA_DOWNLOAD && DataCoding::from_byte(dcs).class == Some(2);
        if !download && application_port(&sms) == Some(link::GATEWAY_SMS_PORT) {
            self.net
                .configure(&sms.originating_address.text(), &sms.user_data.body);
            return vec![report(SmsDeliverReport::ack(OptionalParameters::default()))];
        }
        if !download {
            self.inbox.push(InboxMessage {
                from: sms.originating_address.text(),
                time_stamp: sms.service_centre_time_stamp.to_string(),
                text: inbox_text(&sms),
                tpdu: tpdu.to_vec(),
            });
            return vec![report(SmsDeliverReport::ack(OptionalParameters::default()))];
        }
        let pp = Download::new(pid, dcs);
        if !matches!(self.state, PhoneState::Ready) {
            self.last_download = Some("the card is not usable: data download error".into());
            return vec![download_error(&pp, FailureCause::DATA_DOWNLOAD_ERROR)];
        }
        let address = crate::wire::cat::Address {
            ton_npi: service_centre.first().copied().unwrap_or(0x81),
            bcd: service_centre.get(1..).unwrap_or_default().to_vec(),
        };
        let envelope = SmsPpDownload::new(Some(address), tpdu.to_vec()).emit();
        if envelope.len() > 255 {
            self.last_download = Some("the SMS does not fit an ENVELOPE".into());
            return vec![download_error(&pp, FailureCause::DATA_DOWNLOAD_ERROR)];
        }
        self.download = Some(pp);
        self.state = PhoneState::ExpectDownloadStatus;
        let command = CommandApdu::new(0x80, 0xC2, 0x00, 0x00).with_data(envelope);
        vec![to_card(Payload::Command(command.emit()))]
    }

    /// The download in progress and the card's answer to its last APDU; an answer that
    /// does not decode ends the download with RP-ERROR D5 (the messages in `Err`).
    fn download_response(
        &mut self,
        bytes: &[u8],
    ) -> Result<(Download, ResponseApdu), Vec<Message>> {
        let pp = self
            .download
            .take()
            .unwrap_or_else(|| Download::new(PID_SIM_DATA_DOWNLOAD, 0xF6));
        match ResponseApdu::parse(bytes) {
            Ok(response) => Ok((pp, response)),
            Err(_) => Err(self.finish_download(
                "the card's answer does not decode",
                download_error(&pp, FailureCause::DATA_DOWNLOAD_ERROR),
            )),
        }
    }

    /// The card's answer to the ENVELOPE (SMS-PP download).
    fn download_status(&mut self, bytes: &[u8]) -> Vec<Message> {
        let (mut pp, response) = match self.download_response(bytes) {
            Ok(taken) => taken,
            Err(messages) => return messages,
        };
        let [sw1, sw2] = response.sw.to_bytes();
        match sw1 {
            0x61 => self.fetch(pp, sw2),
            0x62 | 0x63 => {
                pp.warning = Some(response.sw);
                pp.data = response.data;
                self.fetch(pp, 0x00)
            }
            0x90 | 0x91 => {
                self.note_proactive(response.sw);
                let words = format!("card answered {:04X}: RP-ACK", response.sw.0);
                self.finish_download(&words, download_ack(&pp, &response.data))
            }
            0x93 => self.finish_download(
                "card answered 9300 (toolkit busy): RP-ERROR D4",
                download_error(&pp, FailureCause::TOOLKIT_BUSY),
            ),
            _ => {
                let words = format!(
                    "card answered {:04X} ({}): RP-ERROR D5",
                    response.sw.0,
                    response.sw.meaning()
                );
                self.finish_download(
                    &words,
                    download_error(&pp, FailureCause::DATA_DOWNLOAD_ERROR),
                )
            }
        }
    }

    /// GET RESPONSE for the download's data, `le` bytes (`00`: as many as there are).
    fn fetch(&mut self, mut pp: Download, le: u8) -> Vec<Message> {
        if pp.fetches >= MAX_FETCHES {
            return self.finish_download(
                "the card kept its response data: RP-ERROR D5",
                download_error(&pp, FailureCause::DATA_DOWNLOAD_ERROR),
            );
        }
        pp.fetches += 1;
        self.download = Some(pp);
        self.state = PhoneState::ExpectDownloadData;
        vec![to_card(get_response(le))]
    }

    /// The card's answer to GET RESPONSE during an SMS-PP download.
    fn download_data(&mut self, bytes: &[u8]) -> Vec<Message> {
        let (mut pp, response) = match self.download_response(bytes) {
            Ok(taken) => taken,
            Err(messages) => return messages,
        };
        let [sw1, sw2] = response.sw.to_bytes();
        pp.data.extend_from_slice(&response.data);
        match sw1 {
            // Wrong Le: ask again with the length the card gives (TS 102 221 §7.3.1.1.4).
            0x6C => self.fetch(pp, sw2),
            0x61 => self.fetch(pp, sw2),
            0x90 | 0x91 | 0x62 | 0x63 => {
                self.note_proactive(response.sw);
                let words = match pp.warning {
                    Some(warning) => format!(
                        "card answered {:04X} with {} byte(s) of data: RP-ACK with them",
                        warning.0,
                        pp.data.len()
                    ),
                    None => format!(
                        "card gave {} byte(s) of response data: RP-ACK with them",
                        pp.data.len()
                    ),
                };
                let report = download_ack(&pp, &pp.data);
                self.finish_download(&words, report)
            }
            // A warning without data: nothing to fetch (e.g. 69 85).
            _ if pp.warning.is_some() => {
                let words = format!(
                    "card answered {:04X}, no response data: RP-ACK",
                    pp.warning.map_or(0, |w| w.0)
                );
                let report = download_ack(&pp, &pp.data);
                self.finish_download(&words, report)
            }
            _ => {
                let words = format!("GET RESPONSE answered {:04X}: RP-ERROR D5", response.sw.0);
                self.finish_download(
                    &words,
                    download_error(&pp, FailureCause::DATA_DOWNLOAD_ERROR),
                )
            }
        }
    }

    /// Sends the deliver report, then FETCHes the proactive command the card announced
    /// or goes back to Ready and takes the next waiting SMS.
    fn finish_download(&mut self, words: &str, report: Message) -> Vec<Message> {
        self.last_download = Some(words.to_string());
        self.download = None;
        let mut out = vec![report];
        out.extend(self.carry_on());
        out
    }

    /// Notes a proactive command announced with `91 XX`, to be fetched once the phone
    /// is done with what it is doing.
    fn note_proactive(&mut self, sw: StatusWord) {
        if let [0x91, length] = sw.to_bytes() {
            self.proactive_pending = Some(length);
        }
    }

    /// The phone is done with its last exchange: FETCH the proactive command announced,
    /// if one is, else Ready and the next waiting SMS.
    fn carry_on(&mut self) -> Vec<Message> {
        match self.proactive_pending.take() {
            Some(length) => {
                self.state = PhoneState::ExpectProactiveCommand;
                vec![to_card(case_2(0x80, 0x12, length))]
            }
            None => {
                self.state = PhoneState::Ready;
                let events = self.next_event();
                if !events.is_empty() {
                    return events;
                }
                self.next_waiting()
            }
        }
    }

    /// The card's answer to FETCH: perform the command and answer it, or note why not.
    fn fetched(&mut self, bytes: &[u8]) -> Vec<Message> {
        let Ok(response) = ResponseApdu::parse(bytes) else {
            return self.proactive_failed("the answer to FETCH does not decode".into());
        };
        if response.sw != StatusWord::NO_ERROR {
            return self.proactive_failed(format!(
                "FETCH answered {:04X} ({})",
                response.sw.0,
                response.sw.meaning()
            ));
        }
        match ProactiveCommand::parse(&response.data) {
            Ok(command) => self.perform(&command),
            Err(error) => match readable_details(&response.data) {
                Some(details) => {
                    let command = ProactiveCommand::new(
                        details.number,
                        details.command_type,
                        details.qualifier,
                        DeviceIdentity::UICC,
                        DeviceIdentity::TERMINAL,
                    );
                    let response = TerminalResponse::error_for(
                        &command,
                        GeneralResult::DATA_NOT_UNDERSTOOD,
                        &[],
                    );
                    self.respond(
                        response,
                        format!("{}: {error}: result 32", details.command_type),
                    )
                }
                None => self.proactive_failed(format!(
                    "FETCH returned no readable proactive command: {error}"
                )),
            },
        }
    }

    /// Performs a proactive command and answers it (see the module documentation).
    fn perform(&mut self, command: &ProactiveCommand) -> Vec<Message> {
        if let Some(out) = self.perform_bip(command) {
            return out;
        }
        let response =
            TerminalResponse::error_for(command, GeneralResult::BEYOND_CAPABILITIES, &[]);
        let words = format!(
            "{} is beyond the terminal's capabilities: result 30",
            command.details().command_type
        );
        self.respond(response, words)
    }

    /// Sends TERMINAL RESPONSE `response`, noting `words`.
    fn respond(&mut self, response: TerminalResponse, words: String) -> Vec<Message> {
        self.last_proactive = Some(words);
        self.state = PhoneState::ExpectTerminalResponseStatus;
        let command = CommandApdu::new(0x80, 0x14, 0x00, 0x00).with_data(response.emit());
        vec![to_card(Payload::Command(command.emit()))]
    }

    /// The card's answer to TERMINAL RESPONSE: `91 XX` another command, FETCH it.
    fn terminal_response_status(&mut self, bytes: &[u8]) -> Vec<Message> {
        match ResponseApdu::parse(bytes).map(|r| r.sw) {
            Ok(sw) if sw.is_normal() => self.note_proactive(sw),
            Ok(sw) => {
                let words = format!(
                    "; the card answered the TERMINAL RESPONSE {:04X} ({})",
                    sw.0,
                    sw.meaning()
                );
                self.last_proactive
                    .get_or_insert_with(String::new)
                    .push_str(&words);
            }
            Err(_) => {
                let words = "; the card's answer to the TERMINAL RESPONSE does not decode";
                self.last_proactive
                    .get_or_insert_with(String::new)
                    .push_str(words);
            }
        }
        self.carry_on()
    }

    /// A proactive command the phone cannot answer: noted, back to Ready.
    fn proactive_failed(&mut self, words: String) -> Vec<Message> {
        self.last_proactive = Some(words);
        self.carry_on()
    }

    fn response(&mut self, bytes: &[u8]) -> Option<ResponseApdu> {
        match ResponseApdu::parse(bytes) {
            Ok(response) => Some(response),
            Err(error) => {
                self.fail(format!("malformed response APDU: {error}"));
                None
            }
        }
    }

    fn status(&mut self, bytes: &[u8]) -> Option<StatusWord> {
        self.response(bytes).map(|r| r.sw)
    }

    fn unexpected(&mut self, command: &str, sw: [u8; 2]) -> Vec<Message> {
        self.fail(format!(
            "{command} answered {:02X}{:02X}: {}",
            sw[0],
            sw[1],
            StatusWord::from_bytes(sw).meaning()
        ))
    }

    fn fail(&mut self, reason: String) -> Vec<Message> {
        self.state = PhoneState::Failed(reason);
        Vec::new()
    }
}

fn to_card(payload: Payload) -> Message {
    Message::new(NodeId::Phone, NodeId::Card, payload)
}

fn to_network(payload: Payload) -> Message {
    Message::new(NodeId::Phone, NodeId::Network, payload)
}

/// GET RESPONSE for the `XX` of `61 XX` (`00` stands for 256, TS 102 221 §7.3.1.1.3).
fn get_response(available: u8) -> Payload {
    case_2(0x00, 0xC0, available)
}

/// A case 2 command with P1 = P2 = `00` and Le `XX` (`00` stands for 256): GET
/// RESPONSE, FETCH (`80 12 00 00 XX`, TS 102 221 §10.1.2).
fn case_2(cla: u8, ins: u8, available: u8) -> Payload {
    let le = if available == 0 {
        256
    } else {
        u16::from(available)
    };
    Payload::Command(CommandApdu::new(cla, ins, 0x00, 0x00).with_le(le).emit())
}

/// The command details of a `D0` that does not decode as a whole, when they are where
/// TS 102 223 §6.6 puts them: the first object of the template (tag `01` or `81`,
/// length 3).
fn readable_details(data: &[u8]) -> Option<CommandDetails> {
    let (&tag, rest) = data.split_first()?;
    if tag != ProactiveCommand::TAG {
        return None;
    }
    let (_, length_len) = crate::wire::ber_tlv::parse_length(rest, 1).ok()?;
    let value = rest.get(length_len..)?;
    match (value.first(), value.get(1), value.get(2..5)) {
        (Some(0x01 | 0x81), Some(0x03), Some(details)) => match Object::decode(0x01, details) {
            Ok(Object::CommandDetails(details)) => Some(details),
            _ => None,
        },
        _ => None,
    }
}

/// The deliver report message to the network.
fn report(report: SmsDeliverReport) -> Message {
    let rp = report.rp();
    // A report built here always fits: its user data come from `download_ack`, which
    // checks them.
    let tpdu = report.emit().unwrap_or_else(|_| vec![0x00, 0x00]);
    to_network(Payload::SmsDeliverReport { rp, tpdu })
}

/// RP-ERROR with `cause`, TP-PID and TP-DCS as in the message (TS 31.111 §7.1.1.1).
fn download_error(pp: &Download, cause: FailureCause) -> Message {
    report(SmsDeliverReport::error(
        cause,
        OptionalParameters {
            protocol_identifier: Some(pp.pid),
            data_coding_scheme: Some(pp.dcs),
            user_data: None,
        },
    ))
}

/// RP-ACK for an SMS-PP download: no optional parameters without response data; with
/// data, TP-PID and TP-DCS as in the message and the data as TP-UD, with TP-UDHI set
/// when they start with a user data header (a PoR: `02 71 00`). Data that do not fit
/// TP-UD (more than 140 octets) are left out.
fn download_ack(pp: &Download, data: &[u8]) -> Message {
    if data.is_empty() {
        return report(SmsDeliverReport::ack(OptionalParameters::default()));
    }
    let with_header = u8::try_from(data.len())
        .ok()
        .and_then(|len| UserData::parse(len, data, true, false).ok())
        .filter(|ud| ud.header.as_ref().is_some_and(|h| !h.is_empty()));
    let user_data = with_header.unwrap_or_else(|| UserData {
        header: None,
        body: data.to_vec(),
    });
    let parameters = OptionalParameters::with_user_data(pp.pid, pp.dcs, user_data);
    let ack = SmsDeliverReport::ack(parameters);
    if ack.emit().is_err() {
        return report(SmsDeliverReport::ack(OptionalParameters::default()));
    }
    report(ack)
}

/// The destination port of a short message with 16-bit application port addressing
/// (TS 23.040 §9.2.3.24.4: IEI `05`, destination port then originator port).
fn application_port(sms: &SmsDeliver) -> Option<u16> {
    sms.user_data
        .header
        .as_ref()?
        .iter()
        .find_map(|element| match element {
            crate::wire::sms::InformationElement::Other { iei: 0x05, data } if data.len() == 4 => {
                Some(u16::from_be_bytes([data[0], data[1]]))
            }
            _ => None,
        })
}

/// The text of a short message for the inbox.
fn inbox_text(sms: &SmsDeliver) -> String {
    let coding = DataCoding::from_byte(sms.data_coding_scheme);
    match coding.alphabet {
        _ if coding.compressed => crate::wire::hex::spaced(&sms.user_data.body),
        crate::wire::sms::Alphabet::Gsm7 => {
            crate::wire::cat::text::gsm_unpacked(&sms.user_data.body)
        }
        crate::wire::sms::Alphabet::Ucs2 => {
            let units: Vec<u16> = sms
                .user_data
                .body
                .chunks(2)
                .map(|p| u16::from_be_bytes([p[0], p.get(1).copied().unwrap_or(0)]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        crate::wire::sms::Alphabet::Eight => crate::wire::hex::spaced(&sms.user_data.body),
    }
}

impl Node for Phone {
    fn handle(&mut self, now: Instant, message: &Message) -> Vec<Message> {
        self.events_paused = false;
        let mut out = match self.usb_message(message) {
            Some(out) => out,
            None => match self.network_message(now, &message.payload) {
                Some(out) => out,
                None => self.react(&message.payload),
            },
        };
        out.extend(self.pump_network(now));
        out.extend(self.next_event());
        out
    }

    fn status_line(&self) -> String {
        let mut line = match &self.state {
            PhoneState::Off => "off".to_string(),
            PhoneState::ExpectAtr => "waiting for the ATR".to_string(),
            PhoneState::ExpectSelectStatus => "waiting for SELECT MF status".to_string(),
            PhoneState::ExpectFcp => "waiting for the MF's FCP".to_string(),
            PhoneState::ExpectProfileStatus => "waiting for TERMINAL PROFILE status".to_string(),
            PhoneState::Ready => "ready: card initialised".to_string(),
            PhoneState::ExpectUserResponse => "waiting for the card's answer".to_string(),
            PhoneState::ExpectDownloadStatus => {
                "SMS-PP download: waiting for the card's answer to the ENVELOPE".to_string()
            }
            PhoneState::ExpectDownloadData => {
                "SMS-PP download: fetching the card's response data".to_string()
            }
            PhoneState::ExpectProactiveCommand => "fetching a proactive command".to_string(),
            PhoneState::ExpectTerminalResponseStatus => {
                "waiting for the card's answer to the TERMINAL RESPONSE".to_string()
            }
            PhoneState::ExpectNetwork => {
                "waiting for the network before answering the card".to_string()
            }
            PhoneState::ExpectEventStatus => {
                "event download: waiting for the card's answer".to_string()
            }
            PhoneState::Failed(reason) => format!("start-up failed: {reason}"),
        };
        if self.attached {
            line.push_str("; attached");
        }
        if let Some(length) = self.proactive_pending {
            line.push_str(&format!(
                "; proactive command pending ({length} bytes, not fetched yet)"
            ));
        }
        if let Some(usb) = &self.usb {
            line.push_str(&format!("; {}", usb.status_line()));
        }
        let channels = self.gateway.status_line();
        if !channels.is_empty() {
            line.push_str(&format!("; gateway: {channels}"));
        }
        if let Some(words) = &self.last_proactive {
            line.push_str(&format!("; last proactive command: {words}"));
        }
        if let Some(words) = &self.last_event {
            line.push_str(&format!("; last event download: {words}"));
        }
        if let Some(words) = &self.last_download {
            line.push_str(&format!("; last SMS-PP download: {words}"));
        }
        if !self.inbox.is_empty() {
            line.push_str(&format!("; inbox: {} message(s)", self.inbox.len()));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Layer, Timeline, World};

    #[test]
    fn power_on_runs_reset_select_get_response_and_terminal_profile() {
        let mut timeline = Timeline::new(World::power_on(1));
        timeline.run(100);
        let titles: Vec<&str> = timeline.log().iter().map(|e| e.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Power on",
                "Cold reset",
                "ATR",
                "SELECT",
                &*format!("61 {:02X}", timeline.log()[4].bytes[1]),
                "GET RESPONSE",
                &*timeline.log()[6].title,
                "TERMINAL PROFILE",
                "91 0F",
                "FETCH",
                "SET UP EVENT LIST: 90 00 (+15 bytes)",
                "TERMINAL RESPONSE",
                "90 00",
                "Attach",
            ]
        );
        // The card asked for the BIP events (SET UP EVENT LIST) as soon as it read the
        // profile; the phone keeps the list.
        assert_eq!(
            timeline.head().phone().event_list(),
            [
                crate::wire::cat::Event::DATA_AVAILABLE,
                crate::wire::cat::Event::CHANNEL_STATUS
            ]
        );
        assert_eq!(timeline.log()[13].layer, Layer::Sms);
        assert_eq!(
            (timeline.log()[13].from, timeline.log()[13].to),
            (NodeId::Phone, NodeId::Network)
        );
        assert!(timeline.head().phone().attached());
        assert!(timeline.head().network().attached());
        assert!(timeline.log()[6].title.starts_with("90 00 (+"));
        assert_eq!(timeline.log()[3].layer, Layer::Apdu);
        assert_eq!(timeline.head().phone().state(), &PhoneState::Ready);
        assert_eq!(
            timeline.head().card().terminal_profile(),
            Some(&TERMINAL_PROFILE[..])
        );
        assert_eq!(
            timeline.head().phone().atr(),
            Some(&crate::card::Card::atr()[..])
        );
        assert_eq!(timeline.head().phone().mf_fcp().map(|f| f[0]), Some(0x62));
        assert!(timeline.head().is_quiescent());
    }

    #[test]
    fn decodes_fcp_in_the_get_response_event() {
        let mut timeline = Timeline::new(World::power_on(1));
        timeline.run(100);
        let fcp_event = &timeline.log()[6];
        let file_id = fcp_event
            .fields
            .find("response.data.fcp.file_id")
            .expect("the GET RESPONSE data decode as an FCP");
        assert_eq!(file_id.value, "3F00 (MF)");
        assert_eq!(&fcp_event.bytes[file_id.range()], &[0x83, 0x02, 0x3F, 0x00]);
    }

    #[test]
    fn bad_atr_fails_start_up() {
        let mut phone = Phone::new();
        phone.react(&Payload::Action(Action::PowerOn));
        assert!(phone.react(&Payload::Atr(vec![0x3B])).is_empty());
        assert!(matches!(phone.state(), PhoneState::Failed(reason) if reason.contains("ATR")));
    }

    #[test]
    fn error_status_on_select_fails_start_up_with_its_meaning() {
        let mut phone = Phone::new();
        phone.react(&Payload::Action(Action::PowerOn));
        phone.react(&Payload::Atr(crate::card::Card::atr()));
        assert!(phone.react(&Payload::Response(vec![0x6A, 0x82])).is_empty());
        assert!(
            matches!(phone.state(), PhoneState::Failed(reason) if reason.starts_with("SELECT MF answered 6A82"))
        );
    }

    #[test]
    fn forwards_a_user_apdu_once_ready_and_keeps_the_answer() {
        let mut timeline = Timeline::new(World::power_on(1));
        timeline.run(100);
        let before = timeline.log().len();
        timeline.act(Action::SendApdu(vec![
            0x00, 0xA4, 0x00, 0x0C, 0x02, 0x2F, 0xE2,
        ]));
        timeline.run(100);
        let titles: Vec<&str> = timeline.log()[before..]
            .iter()
            .map(|e| e.title.as_str())
            .collect();
        assert_eq!(titles, ["Send APDU", "SELECT", "90 00"]);
        assert_eq!(
            timeline.head().phone().last_user_response(),
            Some(&[0x90, 0x00][..])
        );
        assert!(timeline.head().phone().accepts_user_apdu());
    }

    #[test]
    fn ignores_a_user_apdu_before_start_up() {
        let mut phone = Phone::new();
        assert!(phone
            .react(&Payload::Action(Action::SendApdu(vec![0, 0xB0, 0, 0, 1])))
            .is_empty());
        assert_eq!(phone.state(), &PhoneState::Off);
    }

    #[test]
    fn stray_messages_are_ignored() {
        let mut phone = Phone::new();
        assert!(phone.react(&Payload::Response(vec![0x90, 0x00])).is_empty());
        assert_eq!(phone.state(), &PhoneState::Off);
    }

    use crate::wire::hex;
    use crate::wire::sms::{
        command_packet_user_data, ota_deliver, Address, ConcatReference, RpResult, Timestamp,
    };

    /// A phone through its start-up with the default card, attached.
    fn ready_phone() -> Phone {
        let mut timeline = Timeline::new(World::power_on(1));
        timeline.run(100);
        let phone = timeline.head().phone().clone();
        assert_eq!(phone.state(), &PhoneState::Ready);
        phone
    }

    const CENTRE: [u8; 7] = [0x91, 0x21, 0x20, 0x55, 0x05, 0x91, 0xF9];

    fn stamp() -> Timestamp {
        Timestamp::from_text("240101000000+00").unwrap()
    }

    /// An OTA SMS-DELIVER carrying the shared command vector.
    fn ota_sms() -> Vec<u8> {
        let packet = hex::parse(crate::wire::ota::tests::VECTOR_COMMAND).unwrap();
        let ud = command_packet_user_data(&packet, ConcatReference::Eight(1)).unwrap();
        ota_deliver(
            Address::international("12025550100").unwrap(),
            stamp(),
            ud[0].clone(),
        )
        .emit()
        .unwrap()
    }

    fn deliver(tpdu: Vec<u8>) -> Payload {
        Payload::SmsDeliver {
            service_centre: CENTRE.to_vec(),
            tpdu,
        }
    }

    /// The single deliver report in `out`: its RP message and TPDU in hex.
    fn report_of(out: &[Message]) -> (RpResult, String) {
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!((out[0].from, out[0].to), (NodeId::Phone, NodeId::Network));
        match &out[0].payload {
            Payload::SmsDeliverReport { rp, tpdu } => (*rp, hex::compact(tpdu)),
            other => panic!("not a deliver report: {other:?}"),
        }
    }

    #[test]
    fn sms_pp_download_goes_to_the_card_in_an_envelope() {
        let mut phone = ready_phone();
        let tpdu = ota_sms();
        let out = phone.react(&deliver(tpdu.clone()));
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].from, out[0].to), (NodeId::Phone, NodeId::Card));
        let Payload::Command(apdu) = &out[0].payload else {
            panic!("not a command: {:?}", out[0].payload);
        };
        let command = CommandApdu::parse(apdu).unwrap();
        assert_eq!(
            (command.cla, command.ins, command.p1, command.p2),
            (0x80, 0xC2, 0, 0)
        );
        assert_eq!(command.data[0], 0xD1);
        let download = SmsPpDownload::parse(&command.data).unwrap();
        assert_eq!(download.tpdu(), &tpdu[..]);
        assert_eq!(
            download.address().map(|a| a.number()).as_deref(),
            Some("+12025550199")
        );
        // Device identities: network (83) to UICC (81), TS 31.111 §7.1.1.2.
        assert_eq!(&command.data[2..6], &[0x82, 0x02, 0x83, 0x81]);
        assert_eq!(phone.state(), &PhoneState::ExpectDownloadStatus);
        assert!(
            phone.inbox().is_empty(),
            "a download is not shown to the user"
        );
    }

    #[test]
    fn maps_each_envelope_status_to_its_deliver_report() {
        let cases: [(&[u8], RpResult, &str); 6] = [
            (&[0x90, 0x00], RpResult::Ack, "0000"),
            (&[0x91, 0x0A], RpResult::Ack, "0000"),
            (&[0xAA, 0xBB, 0x90, 0x00], RpResult::Ack, "00077FF602AABB"),
            (&[0x93, 0x00], RpResult::Error, "00D4037FF6"),
            (&[0x6F, 0x00], RpResult::Error, "00D5037FF6"),
            (&[0x6A, 0x80], RpResult::Error, "00D5037FF6"),
        ];
        for (answer, rp, tpdu) in cases {
            let mut phone = ready_phone();
            phone.react(&deliver(ota_sms()));
            let out = phone.react(&Payload::Response(answer.to_vec()));
            // 91 XX: the report, then FETCH.
            let fetch = answer[0] == 0x91;
            assert_eq!(out.len(), 1 + usize::from(fetch), "{answer:02X?}");
            assert_eq!(
                report_of(&out[..1]),
                (rp, tpdu.to_string()),
                "{answer:02X?}"
            );
            let state = if fetch {
                PhoneState::ExpectProactiveCommand
            } else {
                PhoneState::Ready
            };
            assert_eq!(phone.state(), &state);
        }
    }

    #[test]
    fn a_pending_proactive_command_is_fetched_after_the_deliver_report() {
        let mut phone = ready_phone();
        phone.react(&deliver(ota_sms()));
        let out = phone.react(&Payload::Response(vec![0x91, 0x0A]));
        assert_eq!(out.len(), 2, "the deliver report, then FETCH");
        assert_eq!(report_of(&out[..1]).0, RpResult::Ack);
        assert_eq!((out[1].from, out[1].to), (NodeId::Phone, NodeId::Card));
        assert_eq!(
            out[1].payload,
            Payload::Command(vec![0x80, 0x12, 0x00, 0x00, 0x0A])
        );
        assert_eq!(phone.proactive_pending(), None);
        assert_eq!(phone.state(), &PhoneState::ExpectProactiveCommand);
        assert!(phone.status_line().contains("fetching a proactive command"));
    }

    /// The TERMINAL PROFILE declares exactly profile download, SMS-PP data download, SET
    /// UP EVENT LIST with the data available and channel status events, the five BIP
    /// commands, 7 channels on the packet (GPRS) bearer, and TCP / UDP client remote and
    /// TCP server transports.
    #[test]
    fn terminal_profile_declares_what_the_phone_does() {
        use crate::wire::cat::{Facility, TerminalProfile};
        assert_eq!(
            hex::compact(&TERMINAL_PROFILE),
            "03000000010C0000000000".to_string() + "1FE2000000" + "07"
        );
        let profile = TerminalProfile::new(TERMINAL_PROFILE);
        let declared: Vec<Facility> = (1..=17u8)
            .flat_map(|byte| (1..=8u8).map(move |bit| (byte, bit)))
            .filter(|&(byte, bit)| !(byte == 13 && bit >= 6))
            .filter_map(|(byte, bit)| {
                let facility = Facility {
                    byte,
                    bit,
                    name: "",
                };
                profile.supports(facility).then_some(facility)
            })
            .collect();
        let expected = [
            Facility::PROFILE_DOWNLOAD,
            Facility::SMS_PP_DATA_DOWNLOAD,
            Facility::SET_UP_EVENT_LIST,
            Facility::DATA_AVAILABLE_EVENT,
            Facility::CHANNEL_STATUS_EVENT,
            Facility::OPEN_CHANNEL,
            Facility::CLOSE_CHANNEL,
            Facility::RECEIVE_DATA,
            Facility::SEND_DATA,
            Facility::GET_CHANNEL_STATUS,
            Facility::GPRS,
            Facility::TCP_CLIENT_REMOTE,
            Facility::UDP_CLIENT_REMOTE,
            Facility::TCP_SERVER,
        ];
        let pairs = |list: &[Facility]| list.iter().map(|f| (f.byte, f.bit)).collect::<Vec<_>>();
        assert_eq!(pairs(&declared), pairs(&expected));
        assert_eq!(profile.channels(), gateway::MAX_CHANNELS);
    }

    /// A phone waiting for the answer to FETCH.
    fn fetching_phone() -> Phone {
        let mut phone = ready_phone();
        phone.react(&Payload::Action(Action::SendApdu(vec![
            0x00, 0xB0, 0, 0, 1,
        ])));
        let out = phone.react(&Payload::Response(vec![0x91, 0x14]));
        assert_eq!(
            out[0].payload,
            Payload::Command(vec![0x80, 0x12, 0, 0, 0x14])
        );
        phone
    }

    /// The TERMINAL RESPONSE in `out`, decoded.
    fn terminal_response_of(out: &[Message]) -> TerminalResponse {
        assert_eq!(out.len(), 1, "{out:?}");
        let Payload::Command(apdu) = &out[0].payload else {
            panic!("not a command: {:?}", out[0].payload);
        };
        let command = CommandApdu::parse(apdu).unwrap();
        assert_eq!((command.cla, command.ins), (0x80, 0x14));
        TerminalResponse::parse(&command.data).unwrap()
    }

    fn open_channel(number: u8, port: u16, buffer: u16) -> Vec<u8> {
        let config = crate::card::scws_admin::ScwsConfig {
            port,
            buffer_size: buffer,
            ..Default::default()
        };
        let mut answer = crate::card::scws_admin::open_channel(number, &config).emit();
        answer.extend([0x90, 0x00]);
        answer
    }

    #[test]
    fn open_channel_in_server_mode_listens_and_answers_the_channel_status() {
        let mut phone = fetching_phone();
        let out = phone.react(&Payload::Response(open_channel(1, 3516, 1400)));
        let response = terminal_response_of(&out);
        assert_eq!(
            hex::compact(&response.emit()),
            "810301400082028281830100B8024100B9020578"
        );
        assert_eq!(phone.state(), &PhoneState::ExpectTerminalResponseStatus);
        assert!(phone
            .status_line()
            .contains("channel 1 listening on TCP 3516"));
        // 91 XX after the TERMINAL RESPONSE: FETCH again; 90 00: Ready.
        let out = phone.react(&Payload::Response(vec![0x91, 0x14]));
        assert_eq!(
            out[0].payload,
            Payload::Command(vec![0x80, 0x12, 0, 0, 0x14])
        );
        // The same port again: BIP error, port not available.
        let out = phone.react(&Payload::Response(open_channel(2, 3516, 1400)));
        assert_eq!(
            hex::compact(&terminal_response_of(&out).emit()),
            "81030240008202828183023A10"
        );
        assert!(phone.react(&Payload::Response(vec![0x90, 0x00])).is_empty());
        assert_eq!(phone.state(), &PhoneState::Ready);
        assert_eq!(phone.gateway().channels().count(), 1);
    }

    #[test]
    fn a_buffer_too_large_is_granted_smaller_with_result_07() {
        let mut phone = fetching_phone();
        let out = phone.react(&Payload::Response(open_channel(1, 4116, 0x2000)));
        assert_eq!(
            hex::compact(&terminal_response_of(&out).emit()),
            "810301400082028281830107B8024100B9020578"
        );
    }

    #[test]
    fn no_free_channel_is_result_3a_01() {
        let mut phone = ready_phone();
        for port in 1..=7 {
            phone.gateway.listen(port, 100).unwrap();
        }
        phone.proactive_pending = Some(0x14);
        phone.carry_on();
        let out = phone.react(&Payload::Response(open_channel(1, 3516, 1400)));
        assert_eq!(
            hex::compact(&terminal_response_of(&out).emit()),
            "81030140008202828183023A01"
        );
    }

    #[test]
    fn other_commands_are_beyond_capabilities_and_bad_ones_not_understood() {
        // DISPLAY TEXT: result 30.
        let mut phone = fetching_phone();
        let display = hex::parse("D00C8103012180820281028D0104").unwrap();
        let mut answer = display.clone();
        answer.extend([0x90, 0x00]);
        let out = phone.react(&Payload::Response(answer));
        assert_eq!(
            hex::compact(&terminal_response_of(&out).emit()),
            "810301218082028281830130"
        );
        // OPEN CHANNEL without its mandatory objects: result 32.
        let mut phone = fetching_phone();
        let out = phone.react(&Payload::Response(
            hex::parse("D009810301400082028182 9000".replace(' ', "").as_str()).unwrap(),
        ));
        assert_eq!(
            hex::compact(&terminal_response_of(&out).emit()),
            "810301400082028281830132"
        );
        // Not even command details: noted, no TERMINAL RESPONSE.
        let mut phone = fetching_phone();
        let out = phone.react(&Payload::Response(vec![0xD0, 0x02, 0x99, 0x90, 0x00]));
        assert!(out.is_empty());
        assert_eq!(phone.state(), &PhoneState::Ready);
        assert!(phone.last_proactive().unwrap().contains("no readable"));
        // FETCH refused by the card: noted.
        let mut phone = fetching_phone();
        assert!(phone.react(&Payload::Response(vec![0x69, 0x85])).is_empty());
        assert!(phone.last_proactive().unwrap().contains("6985"));
    }

    #[test]
    fn response_data_come_back_by_get_response_in_the_rp_ack() {
        let por = hex::parse(crate::wire::ota::tests::VECTOR_POR).unwrap();
        let mut phone = ready_phone();
        phone.react(&deliver(ota_sms()));
        let out = phone.react(&Payload::Response(vec![0x61, por.len() as u8]));
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].payload,
            Payload::Command(vec![0x00, 0xC0, 0x00, 0x00, por.len() as u8])
        );
        assert_eq!(phone.state(), &PhoneState::ExpectDownloadData);
        let mut answer = por.clone();
        answer.extend([0x90, 0x00]);
        let (rp, tpdu) = report_of(&phone.react(&Payload::Response(answer)));
        assert_eq!(rp, RpResult::Ack);
        // TP-UDHI set: the PoR's 02 71 00 is a user data header.
        assert_eq!(
            tpdu,
            format!("40077FF6{:02X}{}", por.len(), hex::compact(&por))
        );
        assert!(phone.last_download().unwrap().contains("RP-ACK"));
    }

    #[test]
    fn a_warning_fetches_its_data_with_le_00_then_6cxx_and_acknowledges() {
        let por = hex::parse(crate::wire::ota::tests::VECTOR_POR).unwrap();
        let mut phone = ready_phone();
        phone.react(&deliver(ota_sms()));
        // 62 F3: response data available (TS 102 221 §10.2.1.3), e.g. an error PoR.
        let out = phone.react(&Payload::Response(vec![0x62, 0xF3]));
        assert_eq!(
            out[0].payload,
            Payload::Command(vec![0x00, 0xC0, 0x00, 0x00, 0x00])
        );
        let out = phone.react(&Payload::Response(vec![0x6C, por.len() as u8]));
        assert_eq!(
            out[0].payload,
            Payload::Command(vec![0x00, 0xC0, 0x00, 0x00, por.len() as u8])
        );
        let mut answer = por.clone();
        answer.extend([0x90, 0x00]);
        let (rp, tpdu) = report_of(&phone.react(&Payload::Response(answer)));
        assert_eq!(rp, RpResult::Ack, "Release 11 and later: RP-ACK");
        assert!(tpdu.starts_with("40077FF6"), "{tpdu}");
        assert!(phone.last_download().unwrap().contains("62F3"));
        assert_eq!(phone.state(), &PhoneState::Ready);

        // A warning with no data behind it: 63 C1, then GET RESPONSE answers 69 85.
        let mut phone = ready_phone();
        phone.react(&deliver(ota_sms()));
        phone.react(&Payload::Response(vec![0x63, 0xC1]));
        let out = phone.react(&Payload::Response(vec![0x69, 0x85]));
        assert_eq!(report_of(&out), (RpResult::Ack, "0000".into()));
    }

    #[test]
    fn a_card_that_never_hands_its_data_over_is_a_data_download_error() {
        let mut phone = ready_phone();
        phone.react(&deliver(ota_sms()));
        let mut out = phone.react(&Payload::Response(vec![0x62, 0xF3]));
        let mut rounds = 0;
        while matches!(out[0].payload, Payload::Command(_)) {
            out = phone.react(&Payload::Response(vec![0x6C, 0x10]));
            rounds += 1;
            assert!(rounds < 10);
        }
        assert_eq!(report_of(&out), (RpResult::Error, "00D5037FF6".into()));
    }

    #[test]
    fn a_failed_get_response_is_a_data_download_error() {
        let mut phone = ready_phone();
        phone.react(&deliver(ota_sms()));
        phone.react(&Payload::Response(vec![0x61, 0x10]));
        let out = phone.react(&Payload::Response(vec![0x6F, 0x00]));
        assert_eq!(report_of(&out), (RpResult::Error, "00D5037FF6".into()));
    }

    #[test]
    fn an_ordinary_sms_lands_in_the_inbox_and_never_reaches_the_card() {
        let mut phone = ready_phone();
        // PID 00, DCS 00, "How are you?" (TS 23.040 example).
        let tpdu =
            hex::parse("040B911346610089F60000804011116432400CC8F71D14969741F977FD07").unwrap();
        let out = phone.react(&deliver(tpdu.clone()));
        assert_eq!(report_of(&out), (RpResult::Ack, "0000".into()));
        assert_eq!(phone.inbox().len(), 1);
        assert_eq!(phone.inbox()[0].text, "How are you?");
        assert_eq!(phone.inbox()[0].from, "+31641600986");
        assert_eq!(phone.inbox()[0].tpdu, tpdu);
        assert!(phone.status_line().contains("inbox: 1 message(s)"));
        // PID 7F with a class 1 DCS is not a data download either.
        let mut sms = SmsDeliver::parse(&ota_sms()).unwrap();
        sms.data_coding_scheme = 0xF5;
        let out = phone.react(&deliver(sms.emit().unwrap()));
        assert_eq!(report_of(&out).0, RpResult::Ack);
        assert_eq!(phone.inbox().len(), 2);
    }

    #[test]
    fn an_undecodable_sms_is_refused_with_an_unspecified_error() {
        let mut phone = ready_phone();
        let out = phone.react(&deliver(vec![0x04, 0x0B]));
        assert_eq!(report_of(&out), (RpResult::Error, "00FF00".into()));
        assert_eq!(phone.state(), &PhoneState::Ready);
    }

    #[test]
    fn an_sms_waits_while_the_card_is_busy() {
        let mut phone = ready_phone();
        phone.react(&Payload::Action(Action::SendApdu(vec![
            0x00, 0xB0, 0, 0, 1,
        ])));
        assert!(phone.react(&deliver(ota_sms())).is_empty());
        let out = phone.react(&Payload::Response(vec![0x6D, 0x00]));
        assert_eq!(out.len(), 1);
        assert!(matches!(&out[0].payload, Payload::Command(c) if c[..2] == [0x80, 0xC2]));
        assert_eq!(phone.state(), &PhoneState::ExpectDownloadStatus);
    }

    #[test]
    fn a_detached_phone_hears_no_sms() {
        let mut phone = ready_phone();
        phone.react(&Payload::Action(Action::PowerOn));
        assert!(phone.react(&deliver(ota_sms())).is_empty());
        assert_eq!(phone.state(), &PhoneState::ExpectAtr);
        assert!(Phone::new().react(&deliver(ota_sms())).is_empty());
    }

    #[test]
    fn restarting_detaches_first_and_keeps_the_inbox() {
        let mut phone = ready_phone();
        let text =
            hex::parse("040B911346610089F60000804011116432400CC8F71D14969741F977FD07").unwrap();
        phone.react(&deliver(text));
        let out = phone.react(&Payload::Action(Action::PowerOn));
        let payloads: Vec<(NodeId, &Payload)> = out.iter().map(|m| (m.to, &m.payload)).collect();
        assert_eq!(
            payloads,
            [
                (NodeId::Network, &Payload::Detach),
                (NodeId::Card, &Payload::Reset)
            ]
        );
        assert!(!phone.attached());
        assert_eq!(phone.inbox().len(), 1);
    }
}
