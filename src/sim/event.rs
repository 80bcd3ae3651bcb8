//! Messages between nodes and the events the log records when they are delivered.

use super::{Action, Instant};
use crate::card::ota::TarTable;
use crate::wire::cat::ProactiveCommand;
use crate::wire::ipv4::Ipv4Packet;
use crate::wire::sms::{RpResult, SmsDeliver, SmsDeliverReport, SmsStatusReport, SmsSubmit};
use crate::wire::{apdu::CommandApdu, decode, hex, ota, Field};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Who sends or receives a message. `User` stands for the person driving the emulator;
/// the others are the lanes, in their order: server, network (the operator's network
/// with its SMS centre), phone, card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum NodeId {
    User,
    Server,
    Network,
    Phone,
    Card,
}

impl NodeId {
    /// The role's name as the UI and docs use it.
    pub fn name(self) -> &'static str {
        match self {
            NodeId::User => "user",
            NodeId::Server => "server",
            NodeId::Network => "network",
            NodeId::Phone => "phone",
            NodeId::Card => "card",
        }
    }
}

/// The protocol layer a message belongs to; the UI styles arrows by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Layer {
    /// A user action (power on, …).
    Action,
    /// The ISO/IEC 7816-3 electrical interface: reset and answer-to-reset.
    Iso7816,
    /// Command and response APDUs (ISO/IEC 7816-4, ETSI TS 102 221).
    Apdu,
    /// Short messages (3GPP TS 23.040 TPDUs) between server, network and phone, and the
    /// phone's attach and detach that make it reachable for them.
    Sms,
    /// IPv4 packets (TCP segments, UDP datagrams) between server, network and phone, and
    /// the signalling that gives the phone an IP address (PDP context, push proxy).
    Tcp,
    /// A node's own timer firing (TCP retransmission, zero-window probe): on no wire.
    Timer,
}

impl Layer {
    /// Short lower-case name, also used as a CSS class.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Action => "action",
            Layer::Iso7816 => "iso7816",
            Layer::Apdu => "apdu",
            Layer::Sms => "sms",
            Layer::Tcp => "tcp",
            Layer::Timer => "timer",
        }
    }
}

/// What travels between two nodes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Payload {
    /// A user action delivered to a node.
    Action(Action),
    /// Cold reset of the card (ISO/IEC 7816-3 §6.2.2: contacts activated, RST released).
    Reset,
    /// The card's answer-to-reset (ISO/IEC 7816-3 §8).
    Atr(Vec<u8>),
    /// A command APDU from the phone.
    Command(Vec<u8>),
    /// A response APDU from the card: data and status word.
    Response(Vec<u8>),
    /// An SMS-SUBMIT TPDU (3GPP TS 23.040 §9.2.2.2), server → network. A real server
    /// reaches the SMS centre over an ESME protocol (SMPP, UCP) that carries the same
    /// fields; the emulator carries the TPDU itself.
    SmsSubmit(Vec<u8>),
    /// An SMS-DELIVER TPDU (§9.2.2.1), network → phone. `service_centre` is the SMS
    /// centre's address as the relay layer carries it (RP-Originator Address, 3GPP TS
    /// 24.011 §7.3.1.1, §8.2.5.1: type of number and numbering plan, then BCD digits,
    /// without the length octet); the phone passes it to the card in an SMS-PP download
    /// (3GPP TS 31.111 §7.1.1.2).
    SmsDeliver {
        service_centre: Vec<u8>,
        tpdu: Vec<u8>,
    },
    /// An SMS-DELIVER-REPORT TPDU (§9.2.2.1a), phone → network, in the relay message
    /// `rp` (RP-ACK or RP-ERROR, TS 24.011 §7.3.3–7.3.4), which the TPDU alone does not
    /// tell.
    SmsDeliverReport { rp: RpResult, tpdu: Vec<u8> },
    /// An SMS-STATUS-REPORT TPDU (§9.2.2.3), network → server.
    SmsStatusReport(Vec<u8>),
    /// The phone has registered with the network (attach), so the SMS centre can deliver
    /// to it. No bytes are modelled.
    Attach,
    /// The phone leaves the network (switching off or restarting). No bytes are modelled.
    Detach,
    /// An IPv4 packet (RFC 791) carrying a TCP segment or a UDP datagram, between the
    /// operator network and the server or the phone.
    Ip(Vec<u8>),
    /// A node's own timer, due at the instant given; sent by a node to itself. Nothing
    /// travels: a timer whose handling sends nothing is not recorded.
    Timer(Instant),
    /// Phone → network: activate a PDP context on the access point `apn` (3GPP TS 24.008
    /// §9.5.1, ACTIVATE PDP CONTEXT REQUEST; the EPS equivalent is the PDN connectivity
    /// request of TS 24.301 §8.3.20). The session management bytes are not modelled.
    PdpActivate { apn: String },
    /// Network → phone: the context is active, with the phone's IPv4 address (TS 24.008
    /// §9.5.2, ACTIVATE PDP CONTEXT ACCEPT, PDP address).
    PdpAccept { apn: String, address: [u8; 4] },
    /// Network → phone: the context is gone (TS 24.008 §9.5.14, DEACTIVATE PDP CONTEXT
    /// REQUEST): a cut link.
    PdpDeactivate { address: [u8; 4] },
    /// Server → push proxy gateway: reach the subscriber `msisdn` over IP (OMA Push Access
    /// Protocol; the PPG-originated TCP set-up, PO-TCP, of OMA Push OTA).
    PushLocate { msisdn: String },
    /// Push proxy gateway → phone: session initiation request (OMA Push OTA-SIA), asking
    /// the phone to set up an IP session. Carried by SMS in a real network; the bytes are
    /// not modelled.
    SessionInitiation,
    /// Push proxy gateway → server: the subscriber's IPv4 address, or `None` when it
    /// cannot be reached.
    PushLocated {
        msisdn: String,
        address: Option<[u8; 4]>,
    },
}

impl Payload {
    /// The layer this payload belongs to.
    pub fn layer(&self) -> Layer {
        match self {
            Payload::Action(_) => Layer::Action,
            Payload::Reset | Payload::Atr(_) => Layer::Iso7816,
            Payload::Command(_) | Payload::Response(_) => Layer::Apdu,
            Payload::SmsSubmit(_)
            | Payload::SmsDeliver { .. }
            | Payload::SmsDeliverReport { .. }
            | Payload::SmsStatusReport(_)
            | Payload::Attach
            | Payload::Detach => Layer::Sms,
            Payload::Ip(_)
            | Payload::PdpActivate { .. }
            | Payload::PdpAccept { .. }
            | Payload::PdpDeactivate { .. }
            | Payload::PushLocate { .. }
            | Payload::SessionInitiation
            | Payload::PushLocated { .. } => Layer::Tcp,
            Payload::Timer(_) => Layer::Timer,
        }
    }

    /// The bytes on the wire (empty for actions, the reset signal, timers and the
    /// signalling whose bytes are not modelled; the TPDU for short messages; the whole
    /// packet for IP).
    pub fn bytes(&self) -> &[u8] {
        match self {
            Payload::Action(_)
            | Payload::Reset
            | Payload::Attach
            | Payload::Detach
            | Payload::Timer(_)
            | Payload::PdpActivate { .. }
            | Payload::PdpAccept { .. }
            | Payload::PdpDeactivate { .. }
            | Payload::PushLocate { .. }
            | Payload::SessionInitiation
            | Payload::PushLocated { .. } => &[],
            Payload::Ip(b)
            | Payload::Atr(b)
            | Payload::Command(b)
            | Payload::Response(b)
            | Payload::SmsSubmit(b)
            | Payload::SmsStatusReport(b) => b,
            Payload::SmsDeliver { tpdu, .. } | Payload::SmsDeliverReport { tpdu, .. } => tpdu,
        }
    }
}

/// A message in flight from one node to another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub from: NodeId,
    pub to: NodeId,
    pub payload: Payload,
    /// Microseconds added to the link's own delay: a fault the network injects.
    #[serde(default)]
    pub extra_delay: u64,
}

impl Message {
    pub fn new(from: NodeId, to: NodeId, payload: Payload) -> Self {
        Message {
            from,
            to,
            payload,
            extra_delay: 0,
        }
    }

    /// A timer for `node`, due at `at`.
    pub fn timer(node: NodeId, at: Instant) -> Self {
        Message::new(node, node, Payload::Timer(at))
    }

    /// This message, held back `micros` more microseconds on its link.
    pub fn delayed(mut self, micros: u64) -> Self {
        self.extra_delay = self.extra_delay.saturating_add(micros);
        self
    }
}

/// One delivered message: the unit of the log and of stepping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// 1-based position in the log.
    pub step: u64,
    /// Logical time of delivery.
    pub time: Instant,
    pub from: NodeId,
    pub to: NodeId,
    pub layer: Layer,
    /// A short title: the instruction name, the status word, the action.
    pub title: String,
    /// The bytes delivered.
    pub bytes: Vec<u8>,
    /// The decoded field tree of `bytes` (for an undecodable message, a single field
    /// whose note holds the decoder's error).
    pub fields: Field,
    /// The step whose delivery made a node send this message; `None` for user actions.
    pub caused_by: Option<u64>,
}

impl Event {
    /// Builds the event for `payload` delivered at `time`. `command` is the command APDU a
    /// response answers, so its data can be decoded in context (FCP after SELECT, proactive
    /// command after FETCH). `card_keys` gives the card's TARs and key sets; it is called
    /// only when the message carries a secured command packet, which the keys then open so
    /// the field tree shows its deciphered data.
    pub(super) fn record(
        step: u64,
        time: Instant,
        message: &Message,
        caused_by: Option<u64>,
        command: Option<&[u8]>,
        card_keys: &dyn Fn() -> Option<TarTable>,
    ) -> Event {
        let bytes = message.payload.bytes().to_vec();
        let (title, mut fields) = describe(&message.payload, command);
        open_command_packets(&mut fields, &bytes, card_keys);
        Event {
            step,
            time,
            from: message.from,
            to: message.to,
            layer: message.payload.layer(),
            title,
            bytes,
            fields,
            caused_by,
        }
    }

    /// Feeds everything that identifies this event into a hash, field by field with
    /// fixed-width integers, so equal logs and only equal logs hash equally.
    pub(super) fn hash_into(&self, hasher: &mut Sha256) {
        hasher.update(self.step.to_be_bytes());
        hasher.update(self.time.as_micros().to_be_bytes());
        hasher.update([self.from as u8, self.to as u8, self.layer as u8]);
        hasher.update(self.caused_by.map_or(0, |s| s + 1).to_be_bytes());
        hasher.update((self.bytes.len() as u64).to_be_bytes());
        hasher.update(&self.bytes);
        hasher.update((self.title.len() as u64).to_be_bytes());
        hasher.update(self.title.as_bytes());
    }
}

/// Path segment of a secured command packet's field tree (`wire::ota::describe_command`).
const COMMAND_PACKET: &str = "ota_command";

/// Re-describes every secured command packet inside `field` with the keys its KIc and KID
/// bytes name (ETSI TS 102 225 §5.1: CPL(2) CHL SPI(2) KIc KID …), adding the deciphered
/// data. The emulator holds the card's keys; the bytes on the wire are unchanged. A packet
/// the keys do not open keeps the description it had.
fn open_command_packets(field: &mut Field, bytes: &[u8], card_keys: &dyn Fn() -> Option<TarTable>) {
    let prefix = match field.path.strip_suffix(COMMAND_PACKET) {
        Some(prefix) => prefix.strip_suffix('.').unwrap_or(prefix).to_string(),
        None => {
            for child in &mut field.children {
                open_command_packets(child, bytes, card_keys);
            }
            return;
        }
    };
    let Some(packet) = bytes.get(field.range()) else {
        return;
    };
    let (Some(&kic), Some(&kid), Some(tars)) = (packet.get(5), packet.get(6), card_keys()) else {
        return;
    };
    if let Ok(opened) = ota::describe_command(packet, Some(&tars.keys_for(kic, kid))) {
        let opened = opened.shifted(field.start);
        *field = if prefix.is_empty() {
            opened
        } else {
            opened.prefixed(&prefix)
        };
    }
}

/// A title and a field tree for a payload.
fn describe(payload: &Payload, command: Option<&[u8]>) -> (String, Field) {
    match payload {
        Payload::Action(Action::SendApdu(bytes)) => (
            "Send APDU".to_string(),
            Field::new("action", "User action: send APDU", 0, 0)
                .with_value(hex::spaced(bytes))
                .with_note("The phone forwards this command APDU to the card as it is."),
        ),
        Payload::Action(action @ Action::ServerSendOta(request)) => (
            action.title().to_string(),
            Field::new("action", "User action: send an OTA command packet", 0, 0)
                .with_value(request.summary())
                .with_note(
                    "The server secures the data (ETSI TS 102 225) and sends it as SMS-SUBMIT to the SMS centre, asking for a status report.",
                ),
        ),
        Payload::Action(action) => (
            action.title().to_string(),
            Field::new("action", "User action", 0, 0).with_value(action.title()),
        ),
        Payload::Reset => (
            "Cold reset".to_string(),
            Field::new("reset", "Cold reset", 0, 0)
                .with_note("The phone powers the card and releases RST (ISO/IEC 7816-3 §6.2.2)."),
        ),
        Payload::Atr(bytes) => ("ATR".to_string(), decoded(decode::atr(bytes), bytes)),
        Payload::Command(bytes) => {
            let title = CommandApdu::parse(bytes)
                .ok()
                .and_then(|c| crate::wire::apdu::instruction_name(c.ins))
                .unwrap_or("command APDU")
                .to_string();
            (title, decoded(decode::command_apdu(bytes), bytes))
        }
        Payload::Response(bytes) => {
            let command = command.and_then(|c| CommandApdu::parse(c).ok());
            let title = match proactive_name(bytes, command.as_ref()) {
                Some(name) => format!("{name}: {}", response_title(bytes)),
                None => response_title(bytes),
            };
            (
                title,
                decoded(decode::response_apdu(bytes, command.as_ref()), bytes),
            )
        }
        Payload::SmsSubmit(bytes) => {
            let parsed = SmsSubmit::parse(bytes);
            let title = match parsed.as_ref().ok().and_then(|s| s.user_data.concatenation()) {
                Some((_, total, sequence)) => format!("SMS-SUBMIT ({sequence}/{total})"),
                None => "SMS-SUBMIT".to_string(),
            };
            (title, decoded(parsed.and_then(|s| s.describe()), bytes))
        }
        Payload::SmsDeliver {
            service_centre,
            tpdu,
        } => {
            let parsed = SmsDeliver::parse(tpdu);
            let title = match parsed.as_ref().ok().and_then(|s| s.user_data.concatenation()) {
                Some((_, total, sequence)) => format!("SMS-DELIVER ({sequence}/{total})"),
                None => "SMS-DELIVER".to_string(),
            };
            let mut field = decoded(parsed.and_then(|s| s.describe()), tpdu);
            let centre = crate::wire::cat::Address {
                ton_npi: service_centre.first().copied().unwrap_or(0),
                bcd: service_centre.get(1..).unwrap_or_default().to_vec(),
            };
            field.note = format!(
                "{}; relayed by the SMS centre {} (RP-Originator Address, TS 24.011 §7.3.1.1; not part of the TPDU)",
                field.note,
                centre.number()
            );
            (title, field)
        }
        Payload::SmsDeliverReport { rp, tpdu } => {
            let parsed = SmsDeliverReport::parse(tpdu, *rp);
            let title = match parsed.as_ref().ok().and_then(|r| r.failure_cause) {
                Some(cause) => format!("SMS-DELIVER-REPORT (RP-ERROR {:02X})", cause.0),
                None => format!("SMS-DELIVER-REPORT ({})", rp.name()),
            };
            (title, decoded(parsed.and_then(|r| r.describe()), tpdu))
        }
        Payload::SmsStatusReport(bytes) => {
            let parsed = SmsStatusReport::parse(bytes);
            let title = match &parsed {
                Ok(report) => format!("SMS-STATUS-REPORT ({:02X})", report.status.0),
                Err(_) => "SMS-STATUS-REPORT".to_string(),
            };
            (title, decoded(parsed.and_then(|r| r.describe()), bytes))
        }
        Payload::Attach => (
            "Attach".to_string(),
            Field::new("attach", "Attach", 0, 0).with_note(
                "The phone has registered with the network (IMSI attach, 3GPP TS 24.008 §4.4.3; EPS attach, TS 24.301 §5.5.1), so the SMS centre can deliver short messages to it. The registration signalling is not modelled.",
            ),
        ),
        Payload::Detach => (
            "Detach".to_string(),
            Field::new("detach", "Detach", 0, 0).with_note(
                "The phone leaves the network as it restarts (IMSI detach, TS 24.008 §4.3.4); the SMS centre keeps what it holds for the next attach.",
            ),
        ),
        Payload::Ip(bytes) => (
            ip_title(bytes),
            decoded(Ipv4Packet::describe(bytes), bytes),
        ),
        Payload::Timer(at) => (
            "Timer".to_string(),
            Field::new("timer", "Timer", 0, 0)
                .with_value(at.to_string())
                .with_note("The node's own timer fired (TCP retransmission or zero-window probe)."),
        ),
        Payload::PdpActivate { apn } => (
            "Activate PDP context".to_string(),
            Field::new("pdp_activate", "Activate PDP context request", 0, 0)
                .with_value(format!("APN {apn}"))
                .with_note("The phone asks for an IP session on this access point (3GPP TS 24.008 §9.5.1); the session management bytes are not modelled."),
        ),
        Payload::PdpAccept { apn, address } => (
            format!("PDP context accepted: {}", ipv4_text(*address)),
            Field::new("pdp_accept", "Activate PDP context accept", 0, 0)
                .with_value(format!("APN {apn}, address {}", ipv4_text(*address)))
                .with_note("The network gives the phone its IPv4 address (TS 24.008 §9.5.2, PDP address)."),
        ),
        Payload::PdpDeactivate { address } => (
            "Deactivate PDP context".to_string(),
            Field::new("pdp_deactivate", "Deactivate PDP context request", 0, 0)
                .with_value(ipv4_text(*address))
                .with_note("The network took the phone's IP session down (TS 24.008 §9.5.14): every connection on it is gone."),
        ),
        Payload::PushLocate { msisdn } => (
            "PO-TCP: locate".to_string(),
            Field::new("push_locate", "Push request to the push proxy gateway", 0, 0)
                .with_value(msisdn.clone())
                .with_note("The server asks the operator's push proxy gateway for the subscriber's IP address, waking the phone if it has none (PPG-originated TCP set-up, OMA Push)."),
        ),
        Payload::SessionInitiation => (
            "Session initiation request".to_string(),
            Field::new("session_initiation", "Session initiation request (OTA-SIA)", 0, 0)
                .with_note("The push proxy gateway asks the phone to set up an IP session (OMA Push OTA-SIA). A real network carries it in an SMS; its bytes are not modelled."),
        ),
        Payload::PushLocated { msisdn, address } => {
            let value = match address {
                Some(address) => format!("{msisdn} at {}", ipv4_text(*address)),
                None => format!("{msisdn} unreachable"),
            };
            (
                format!("PO-TCP: {value}"),
                Field::new("push_located", "Push proxy gateway answer", 0, 0)
                    .with_value(value)
                    .with_note("Where the server can connect to the phone."),
            )
        }
    }
}

/// Dotted-quad text of an IPv4 address.
pub fn ipv4_text(address: [u8; 4]) -> String {
    std::net::Ipv4Addr::from(address).to_string()
}

/// The name of the proactive command a FETCH response carries, e.g. `RECEIVE DATA`.
fn proactive_name(bytes: &[u8], command: Option<&CommandApdu>) -> Option<String> {
    if command?.ins != 0x12 {
        return None;
    }
    let data = bytes.get(..bytes.len().checked_sub(2)?)?;
    let command_type = ProactiveCommand::parse(data).ok()?.details().command_type;
    Some(
        command_type
            .name()
            .map_or_else(|| format!("command {:02X}", command_type.0), str::to_string),
    )
}

/// `TCP 49152 → 3516 [SYN]`, `TCP 3516 → 49152 [PSH, ACK] 120 bytes`, `UDP 49152 → 53
/// 30 bytes`; `IPv4 packet` when it does not decode.
fn ip_title(bytes: &[u8]) -> String {
    let Ok(packet) = Ipv4Packet::parse(bytes) else {
        return "IPv4 packet".to_string();
    };
    let data = |len: usize| {
        if len == 0 {
            String::new()
        } else {
            format!(" {len} bytes")
        }
    };
    if let Ok(segment) = packet.parse_tcp() {
        return format!(
            "TCP {} → {} [{}]{}",
            segment.src_port,
            segment.dst_port,
            segment.flags,
            data(segment.payload.len())
        );
    }
    match packet.parse_udp() {
        Ok(datagram) => format!(
            "UDP {} → {}{}",
            datagram.src_port,
            datagram.dst_port,
            data(datagram.payload.len())
        ),
        Err(_) => "IPv4 packet".to_string(),
    }
}

/// `90 00`, or `90 00 (+28 bytes)` when data precede the status word.
fn response_title(bytes: &[u8]) -> String {
    match bytes.len().checked_sub(2) {
        Some(0) => hex::spaced(bytes),
        Some(data_len) => format!("{} (+{data_len} bytes)", hex::spaced(&bytes[data_len..])),
        None => "response".to_string(),
    }
}

/// The decoded tree, or one field spanning the bytes whose note carries the error.
fn decoded(result: Result<Field, crate::wire::DecodeError>, bytes: &[u8]) -> Field {
    result.unwrap_or_else(|error| {
        Field::new("undecodable", "Undecodable bytes", 0, bytes.len())
            .with_value(hex::spaced(bytes))
            .with_note(error.to_string())
    })
}
