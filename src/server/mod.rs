//! The remote administration server (RAS): the operator's OTA platform, sending secured
//! command packets to the card by SMS and reading the proof of receipt (PoR) that
//! comes back (ETSI TS 102 225, 3GPP TS 31.115, step S200 of the patent).
//!
//! ```text
//!   ServerSendOta(request)
//!     └─▶ CNTR = card's last + 1 for the TAR; secure_command (TS 102 225 §5.1)
//!         └─▶ one SMS, or concatenated SMS (TS 31.115 §4.2–4.3), each an SMS-SUBMIT
//!             to the phone's number: TP-PID 7F, TP-DCS F6, TP-SRR set
//!   SMS-STATUS-REPORT (TP-MR of a segment)
//!     ├─ user data with IEI 71 (whatever TP-ST) ─▶ open the PoR with the request's SPI,
//!     │     KIc, KID and keys (TS 102 225 §5.2): status, counter, compact remote
//!     │     response (TS 102 226 §5.1.2: commands executed, last status word)
//!     ├─ TP-ST 00 without a PoR ─▶ delivered
//!     └─ any other TP-ST ─▶ not delivered
//! ```
//!
//! The server holds, per card, what an OTA platform gets at personalisation: the
//! card's number, its key sets and TARs (here those of the default card profile, so
//! both ends agree) and, per TAR, the last counter it used. The counter moves on for
//! every message sent and is never reused, whatever comes back, so a lost or refused
//! message cannot make the next one a replay.
//!
//! SPI policy ([`Server::request`]): at least the TAR's minimum security level, and
//! never less than a cryptographic checksum, ciphering, and a counter that must be
//! higher; a PoR always asked for, cryptographic checksum and ciphered, returned in the
//! SMS-DELIVER-REPORT. A request given in full ([`OtaRequest`]) is sent as it is, even
//! below the TAR's level, so one can watch the card refuse it.

pub mod campaign;
pub mod session;

use crate::card::ota::TarTable;
use crate::card::Profile;
use crate::net::PHONE_NUMBER;
use crate::phone::link::GATEWAY_SMS_PORT;
use crate::sim::{Action, Instant, Message, Node, NodeId, Payload};
use crate::wire::hex;
use crate::wire::ota::coding::{cc_algorithm, cipher_algorithm, key_version};
use crate::wire::ota::{
    open_response, secure_command, CommandParams, CompactResponse, CounterMode, Integrity, KeySet,
    PorRequest, PorStatus, PorVia, Spi, SpiParts, Tar, COUNTER_MAX,
};
use crate::wire::sms::{
    command_packet_user_data, Address, ConcatReference, InformationElement, SmsStatusReport,
    SmsSubmit, TransferStatus, UserData, ValidityPeriod, DCS_CLASS2_8BIT, PID_SIM_DATA_DOWNLOAD,
};
use crate::wire::status::StatusWord;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The remote file management TAR of the default card (TS 101 220 annex D range
/// B00000–B0FFFF).
pub const RFM_TAR: Tar = Tar([0xB0, 0x00, 0x00]);
/// SELECT MF by file identifier, FCP requested: the command script of the OTA scenario
/// (the same command as the shared OTA vector).
pub const SELECT_MF: [u8; 7] = [0x00, 0xA4, 0x00, 0x04, 0x02, 0x3F, 0x00];
/// The SCWS administration TAR of the default card (`534357`, ASCII "SCW"; the profile's
/// `service = "scws-admin"`, see [`crate::card::scws_admin`]).
pub const SCWS_ADMIN_TAR: Tar = Tar([0x53, 0x43, 0x57]);
/// Start remote administration on port 3516 (`A0 04 80 02 0D BC`): the secured data of
/// the SCWS start scenario (patent step S200).
pub const SCWS_START: [u8; 6] = [0xA0, 0x04, 0x80, 0x02, 0x0D, 0xBC];
/// The key version the SPI policy uses: the default card's triple DES key set.
pub const DEFAULT_KEY_VERSION: u8 = 2;
/// Relative validity period of the server's SMS: `A7`, 24 hours (TS 23.040 §9.2.3.12.1).
pub const VALIDITY: u8 = 0xA7;

/// One OTA command packet to send: its header fields and the secured data (for remote
/// file or applet management, a command script of TS 102 226 §5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtaRequest {
    pub tar: Tar,
    pub spi: Spi,
    pub kic: u8,
    pub kid: u8,
    #[serde(with = "crate::wire::ota::hex_bytes")]
    pub data: Vec<u8>,
}

impl OtaRequest {
    /// One line, e.g. `TAR B00000, SPI 16 19, KIc 25, KID 25, data 00 A4 00 04 02 3F 00`.
    pub fn summary(&self) -> String {
        format!(
            "TAR {}, SPI {:02X} {:02X}, KIc {:02X}, KID {:02X}, data {}",
            self.tar,
            self.spi.0[0],
            self.spi.0[1],
            self.kic,
            self.kid,
            hex::spaced(&self.data)
        )
    }
}

/// What the server knows of one card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardAccount {
    /// The card's phone number: TP-DA of the server's SMS.
    pub number: String,
    /// Its TARs with their minimum security levels, and its key sets by key version.
    pub table: TarTable,
    /// The last counter used, per TAR (0: none yet).
    pub counters: BTreeMap<Tar, u64>,
}

/// A PoR the server opened with the request's keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PorResult {
    pub tar: Tar,
    pub status: PorStatus,
    /// Whether it carried the protection the SPI asked for (error PoRs may not).
    pub protected: bool,
    pub counter: u64,
    /// Additional response data.
    pub data: Vec<u8>,
    /// The data read as a compact remote response (TS 102 226 §5.1.2), if they are one.
    pub compact: Option<CompactResponse>,
}

/// How an OTA message ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OtaOutcome {
    /// The card's PoR, opened and checked.
    Por(PorResult),
    /// Every SMS was delivered and no PoR came back (none asked for, or the card
    /// acknowledged without one).
    Delivered,
    /// An SMS was not delivered: the status report's TP-ST.
    NotDelivered(TransferStatus),
    /// A PoR came back that the server cannot open or trust.
    BadPor(String),
}

/// One OTA message the server sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtaMessage {
    /// Running number, from 1.
    pub id: u64,
    pub request: OtaRequest,
    /// CNTR of the command packet.
    pub counter: u64,
    /// TP-MR of each SMS, in order.
    pub message_references: Vec<u8>,
    /// Status reports received, by TP-MR.
    pub reports: BTreeMap<u8, TransferStatus>,
    pub outcome: Option<OtaOutcome>,
}

/// How an attacker tampers with an OTA message ([`crate::sim::Action::ServerAttackOta`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tampering {
    /// Not at all: the server's own message.
    None,
    /// Sent again as it was.
    Replay,
    /// Its last byte flipped.
    Flip,
}

/// The server node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    card: CardAccount,
    next_message_reference: u8,
    next_concatenation_reference: u8,
    sent: Vec<OtaMessage>,
    /// Why the last request could not be sent, if it could not.
    last_error: Option<String>,
    /// TCP sessions with the phone's gateway.
    sessions: session::Sessions,
    /// The campaign under way or last run.
    campaign: Option<campaign::CampaignRun>,
}

impl Default for Server {
    fn default() -> Self {
        Server::new()
    }
}

impl Server {
    /// A server that knows the default card ([`Profile::default_profile`]).
    pub fn new() -> Server {
        // The built-in profile always gives a table (the card's tests check it); were it
        // not to, the server would know no keys and refuse to send.
        let table = Profile::default_profile().tar_table().unwrap_or_default();
        Server::with_card(PHONE_NUMBER, table)
    }

    /// A server that knows one card: its number, TARs and key sets.
    pub fn with_card(number: &str, table: TarTable) -> Server {
        Server {
            card: CardAccount {
                number: number.to_string(),
                table,
                counters: BTreeMap::new(),
            },
            next_message_reference: 0,
            next_concatenation_reference: 1,
            sent: Vec::new(),
            last_error: None,
            sessions: session::Sessions::default(),
            campaign: None,
        }
    }

    pub fn card(&self) -> &CardAccount {
        &self.card
    }

    /// The TCP sessions with the phone's gateway.
    pub fn sessions(&self) -> &session::Sessions {
        &self.sessions
    }

    /// The campaign under way or last run.
    pub fn campaign(&self) -> Option<&campaign::CampaignRun> {
        self.campaign.as_ref()
    }

    /// Every OTA message sent, oldest first.
    pub fn sent(&self) -> &[OtaMessage] {
        &self.sent
    }

    /// Why the last request could not be sent, if it could not.
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// A request for `tar` secured as the SPI policy says (see the module documentation),
    /// with the key set [`DEFAULT_KEY_VERSION`].
    pub fn request(&self, tar: Tar, data: Vec<u8>) -> OtaRequest {
        let minimum = self.card.table.get(tar).map(|e| e.minimum_security);
        let counter = match minimum.map(|m| m.counter) {
            Some(CounterMode::OneHigher) => CounterMode::OneHigher,
            _ => CounterMode::Higher,
        };
        let spi = Spi::from_parts(SpiParts {
            integrity: Integrity::CryptographicChecksum,
            ciphering: true,
            counter,
            por: PorRequest::Always,
            por_integrity: Integrity::CryptographicChecksum,
            por_ciphering: true,
            por_via: PorVia::DeliverReport,
        });
        let key_sets = self.card.table.key_sets();
        let set = key_sets
            .iter()
            .find(|s| s.version == DEFAULT_KEY_VERSION)
            .or_else(|| key_sets.first());
        let version = set.map_or(DEFAULT_KEY_VERSION, |s| s.version) << 4;
        let kic = version
            | set
                .and_then(|s| s.kic.as_ref())
                .map_or(0b0101, |k| k.algorithm.bits());
        let kid = version
            | set
                .and_then(|s| s.kid.as_ref())
                .map_or(0b0101, |k| k.algorithm.bits());
        OtaRequest {
            tar,
            spi,
            kic,
            kid,
            data,
        }
    }

    /// The keys `request` needs from the card's key sets: the KIc key when the packet or
    /// its PoR is ciphered, the KID key when either carries a cryptographic checksum.
    fn keys_for(&self, request: &OtaRequest) -> Result<KeySet, String> {
        let spi = request.spi;
        let (por_integrity, por_ciphered) = spi.por_protection();
        let held = self.card.table.keys_for(request.kic, request.kid);
        let mut keys = KeySet::none();
        if spi.ciphering() || por_ciphered {
            let algorithm = cipher_algorithm(request.kic).map_err(|e| format!("KIc: {e}"))?;
            let version = key_version(request.kic);
            let key = held
                .kic
                .ok_or_else(|| format!("no ciphering key of version {version} for this card"))?;
            if key.algorithm != algorithm {
                return Err(format!(
                    "KIc {:02X} names {}, the key of version {version} is for {}",
                    request.kic,
                    algorithm.name(),
                    key.algorithm.name()
                ));
            }
            keys.kic = Some(key);
        }
        let checksum = Integrity::CryptographicChecksum;
        if spi.integrity() == checksum || por_integrity == checksum {
            let algorithm = cc_algorithm(request.kid).map_err(|e| format!("KID: {e}"))?;
            let version = key_version(request.kid);
            let key = held
                .kid
                .ok_or_else(|| format!("no checksum key of version {version} for this card"))?;
            if key.algorithm != algorithm {
                return Err(format!(
                    "KID {:02X} names {}, the key of version {version} is for {}",
                    request.kid,
                    algorithm.name(),
                    key.algorithm.name()
                ));
            }
            keys.kid = Some(key);
        }
        Ok(keys)
    }

    /// The configuration message of patent step S600 for the phone's gateway: an
    /// SMS-SUBMIT to the card's number with 16-bit application port addressing to
    /// [`GATEWAY_SMS_PORT`] (TS 23.040 §9.2.3.24.4, IEI `05`; both ports the same), 8-bit
    /// data (TP-DCS `04`), carrying `settings` in the SCWS administration format
    /// (`80` port, `82` secure, `84` verification).
    fn configure_gateway(&mut self, settings: &[u8]) -> Result<Vec<Message>, String> {
        let destination = Address::from_text(&self.card.number).map_err(|e| e.to_string())?;
        let [high, low] = GATEWAY_SMS_PORT.to_be_bytes();
        let submit = SmsSubmit {
            reject_duplicates: false,
            validity_period: ValidityPeriod::Relative(VALIDITY),
            status_report_request: true,
            reply_path: false,
            message_reference: self.next_message_reference,
            destination_address: destination,
            protocol_identifier: 0x00,
            data_coding_scheme: 0x04,
            user_data: UserData::with_header(
                vec![InformationElement::Other {
                    iei: 0x05,
                    data: vec![high, low, high, low],
                }],
                settings.to_vec(),
            ),
        };
        let tpdu = submit.emit().map_err(|e| e.to_string())?;
        self.next_message_reference = self.next_message_reference.wrapping_add(1);
        Ok(vec![Message::new(
            NodeId::Server,
            NodeId::Network,
            Payload::SmsSubmit(tpdu),
        )])
    }

    /// Secures `request` and builds its SMS-SUBMITs; moves the TAR's counter on.
    fn send(&mut self, request: &OtaRequest) -> Result<Vec<Message>, String> {
        let last = self.card.counters.get(&request.tar).copied().unwrap_or(0);
        if last >= COUNTER_MAX {
            return Err(format!("the counter of TAR {} is exhausted", request.tar));
        }
        self.send_with(request, last + 1, Tampering::None)
    }

    /// What an attacker does with OTA message `id`: send it again as it was (`Replay`:
    /// the same counter, so the same bytes), or a new one whose last byte is flipped
    /// (`Flip`, in the checksum or the ciphertext).
    fn attack(&mut self, id: u64, tampering: Tampering) -> Result<Vec<Message>, String> {
        let Some(message) = self.sent.iter().find(|m| m.id == id).cloned() else {
            return Err(format!("no OTA message {id} to attack with"));
        };
        let counter = match tampering {
            Tampering::Replay => message.counter,
            _ => {
                self.card
                    .counters
                    .get(&message.request.tar)
                    .copied()
                    .unwrap_or(0)
                    + 1
            }
        };
        self.send_with(&message.request, counter, tampering)
    }

    /// Secures `request` with `counter`, tampered with as said, and builds its
    /// SMS-SUBMITs; the TAR's counter moves on to `counter` if it is higher.
    fn send_with(
        &mut self,
        request: &OtaRequest,
        counter: u64,
        tampering: Tampering,
    ) -> Result<Vec<Message>, String> {
        let keys = self.keys_for(request)?;
        let params = CommandParams {
            spi: request.spi,
            kic: request.kic,
            kid: request.kid,
            tar: request.tar,
            counter,
            cc_len: None,
        };
        let mut packet =
            secure_command(&params, &keys, &request.data).map_err(|e| e.to_string())?;
        if tampering == Tampering::Flip {
            if let Some(last) = packet.last_mut() {
                *last ^= 0x01;
            }
        }
        let reference = ConcatReference::Eight(self.next_concatenation_reference);
        let user_data = command_packet_user_data(&packet, reference).map_err(|e| e.to_string())?;
        let destination = Address::from_text(&self.card.number).map_err(|e| e.to_string())?;
        let mut messages = Vec::with_capacity(user_data.len());
        let mut references = Vec::with_capacity(user_data.len());
        for segment in user_data {
            let message_reference = self.next_message_reference;
            let submit = SmsSubmit {
                reject_duplicates: false,
                validity_period: ValidityPeriod::Relative(VALIDITY),
                status_report_request: true,
                reply_path: false,
                message_reference,
                destination_address: destination.clone(),
                protocol_identifier: PID_SIM_DATA_DOWNLOAD,
                data_coding_scheme: DCS_CLASS2_8BIT,
                user_data: segment,
            };
            let tpdu = submit.emit().map_err(|e| e.to_string())?;
            self.next_message_reference = self.next_message_reference.wrapping_add(1);
            references.push(message_reference);
            messages.push(Message::new(
                NodeId::Server,
                NodeId::Network,
                Payload::SmsSubmit(tpdu),
            ));
        }
        if references.len() > 1 {
            self.next_concatenation_reference = self.next_concatenation_reference.wrapping_add(1);
        }
        let stored = self.card.counters.entry(request.tar).or_insert(0);
        *stored = (*stored).max(counter);
        self.sent.push(OtaMessage {
            id: self.sent.len() as u64 + 1,
            request: request.clone(),
            counter,
            message_references: references,
            reports: BTreeMap::new(),
            outcome: None,
        });
        Ok(messages)
    }

    /// Reads a status report: finds the message by TP-MR (the most recent one with it),
    /// records the status and, once the PoR or a failure arrives, the outcome.
    fn status_report(&mut self, bytes: &[u8]) {
        let Ok(report) = SmsStatusReport::parse(bytes) else {
            self.last_error = Some("received a status report that does not decode".into());
            return;
        };
        let Some(index) = self.sent.iter().rposition(|m| {
            m.outcome.is_none() && m.message_references.contains(&report.message_reference)
        }) else {
            return;
        };
        let por = report
            .user_data()
            .filter(|ud| ud.element(0x71).is_some())
            .and_then(|ud| ud.emit(false).ok())
            .map(|(_, bytes)| bytes);
        // A PoR is read whatever TP-ST says: a phone of a release before 11 sends the
        // PoR of a refused packet in an RP-ERROR, which the SMS centre reports as not
        // delivered.
        let outcome = if let Some(por) = por {
            Some(self.read_por(&self.sent[index].request, self.sent[index].counter, &por))
        } else if !report.status.is_delivered() {
            Some(OtaOutcome::NotDelivered(report.status))
        } else {
            None
        };
        let message = &mut self.sent[index];
        message
            .reports
            .insert(report.message_reference, report.status);
        message.outcome = outcome.or_else(|| {
            (message.reports.len() == message.message_references.len())
                .then_some(OtaOutcome::Delivered)
        });
    }

    /// Opens a PoR (SMS user data, `02 71 00` first) with the request's SPI and keys and
    /// checks it answers this packet: same TAR, same counter.
    fn read_por(&self, request: &OtaRequest, counter: u64, por: &[u8]) -> OtaOutcome {
        let keys = match self.keys_for(request) {
            Ok(keys) => keys,
            Err(error) => return OtaOutcome::BadPor(error),
        };
        let opened = match open_response(por, request.spi, request.kic, request.kid, &keys) {
            Ok(opened) => opened,
            Err(error) => return OtaOutcome::BadPor(error.to_string()),
        };
        if opened.tar != request.tar {
            return OtaOutcome::BadPor(format!(
                "the PoR names TAR {}, the command was for {}",
                opened.tar, request.tar
            ));
        }
        if opened.protected && opened.counter != counter {
            return OtaOutcome::BadPor(format!(
                "the PoR's counter {:010X} is not the command's {counter:010X}",
                opened.counter
            ));
        }
        OtaOutcome::Por(PorResult {
            tar: opened.tar,
            status: opened.status,
            protected: opened.protected,
            counter: opened.counter,
            compact: CompactResponse::parse(&opened.data),
            data: opened.data,
        })
    }
}

/// `61 1A` style words for a status word.
fn sw_text(sw: StatusWord) -> String {
    format!("{:02X} {:02X}", sw.0 >> 8, sw.0 & 0xFF)
}

impl OtaOutcome {
    /// The outcome in words, for status lines.
    pub fn text(&self) -> String {
        match self {
            OtaOutcome::Por(por) => {
                let mut text = format!("PoR {:02X} {}", por.status.byte(), por.status.meaning());
                if !por.protected {
                    text.push_str(" (unprotected)");
                }
                match &por.compact {
                    Some(compact) => text.push_str(&format!(
                        ", {} command(s) executed, last SW {}",
                        compact.executed,
                        sw_text(compact.last_status)
                    )),
                    None if !por.data.is_empty() => {
                        text.push_str(&format!(", data {}", hex::spaced(&por.data)))
                    }
                    None => {}
                }
                text
            }
            OtaOutcome::Delivered => "delivered, no PoR".to_string(),
            OtaOutcome::NotDelivered(status) => format!("not delivered: {status}"),
            OtaOutcome::BadPor(error) => format!("PoR refused: {error}"),
        }
    }
}

impl Node for Server {
    fn handle(&mut self, now: Instant, message: &Message) -> Vec<Message> {
        let mut out = self.react(now, message);
        out.extend(self.advance_campaign(now));
        out
    }

    fn status_line(&self) -> String {
        let line = self.ota_status_line();
        match &self.campaign {
            Some(run) => format!("{line}; campaign {}: {}", run.campaign.name, run.progress()),
            None => line,
        }
    }
}

impl Server {
    /// The messages of a request that could be sent, or none with the reason kept for
    /// the status line ([`Server::last_error`]).
    fn noted(&mut self, sent: Result<Vec<Message>, String>) -> Vec<Message> {
        match sent {
            Ok(messages) => {
                self.last_error = None;
                messages
            }
            Err(error) => {
                self.last_error = Some(error);
                Vec::new()
            }
        }
    }

    /// What the server does with one message (the campaign moves on after it).
    fn react(&mut self, now: Instant, message: &Message) -> Vec<Message> {
        match &message.payload {
            Payload::Action(Action::ServerCampaign(campaign)) => {
                self.start_campaign(now, campaign.clone())
            }
            Payload::Action(Action::ServerConnect(request)) => {
                self.sessions.connect(now, request.clone())
            }
            Payload::Action(Action::ServerClose(id)) => self.sessions.close(now, *id),
            Payload::Action(Action::ServerAttackOta { id, tampering }) => {
                let sent = self.attack(*id, *tampering);
                self.noted(sent)
            }
            Payload::Action(Action::ServerConfigureGateway(settings)) => {
                let sent = self.configure_gateway(settings);
                self.noted(sent)
            }
            Payload::PushLocated { address, .. } => self.sessions.located(now, *address),
            Payload::Ip(packet) => self.sessions.receive(now, packet),
            Payload::Timer(at) => self.sessions.on_timer(now, *at),
            Payload::Action(Action::ServerSendOta(request)) => {
                let sent = self.send(request);
                self.noted(sent)
            }
            Payload::SmsStatusReport(bytes) => {
                self.status_report(bytes);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// The status of the OTA side, for the lane.
    fn ota_status_line(&self) -> String {
        if let Some(error) = &self.last_error {
            return format!("cannot send: {error}");
        }
        let Some(last) = self.sent.last() else {
            return format!("idle: OTA for the card {}", self.card.number);
        };
        let head = format!(
            "OTA #{} to TAR {} (CNTR {:010X}, {} SMS)",
            last.id,
            last.request.tar,
            last.counter,
            last.message_references.len()
        );
        match &last.outcome {
            Some(outcome) => format!("{head}: {}", outcome.text()),
            None => format!(
                "{head}: waiting for the status report ({} of {} in)",
                last.reports.len(),
                last.message_references.len()
            ),
        }
    }
}

#[cfg(test)]
mod tests;
