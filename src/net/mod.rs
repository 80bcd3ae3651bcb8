//! The operator's network: whether the phone is reachable, and an SMS centre (SC) that
//! stores and forwards short messages (3GPP TS 23.040 §3.1, §10).
//!
//! ```text
//!  server ──SMS-SUBMIT──▶ SC: store ──(phone attached, nothing in delivery)──▶ SMS-DELIVER ──▶ phone
//!                             ▲                                                               │
//!                             └── retry (D4 busy, D2/D3, unreadable report) ◀── SMS-DELIVER-REPORT
//!  server ◀──SMS-STATUS-REPORT── SC  (when the SUBMIT set TP-SRR: delivered, or given up)
//! ```
//!
//! * **Store.** An SMS-SUBMIT is parsed and stored with the time the SC received it, which
//!   becomes TP-SCTS ([`time_stamp`]: logical time zero is [`EPOCH`]). A SUBMIT that does
//!   not decode, or arrives with the store full ([`MAX_STORED`]), is dropped and the
//!   status line says why; the SMS-SUBMIT-REPORT (RP-ERROR) a real SC would answer is not
//!   modelled. A destination other than the phone's number is answered with a status
//!   report `43` "not obtainable".
//! * **Forward.** While the phone is attached, one message at a time (the next waits for
//!   the deliver report of the one before, as an SC delivers to one recipient in order)
//!   goes out as an SMS-DELIVER: TP-OA the server's address, TP-PID, TP-DCS and TP-UD as
//!   submitted, TP-SRI set when a status report was requested, TP-MMS saying whether
//!   more messages wait. Before the phone attaches (after its power-on), or after it
//!   detaches, messages stay stored and go out on the next attach. A message whose
//!   relative validity period (TP-VP) has run out when its turn comes is dropped with
//!   status `46`; absolute and enhanced validity periods are not enforced.
//! * **Deliver report.** RP-ACK: delivered. RP-ERROR with TP-FCS `D4` ((U)SIM
//!   Application Toolkit busy), `D2` (error in MS) or `D3` (memory capacity exceeded),
//!   or a report that does not decode: a temporary failure, delivered again (after the
//!   SC's delivery latency) up to [`MAX_DELIVERY_ATTEMPTS`] attempts in all, then given
//!   up with status `61` (SME busy) or `65` (error in SME). Any other TP-FCS, e.g. `D5`
//!   (U)SIM data download error: a permanent failure, status `40` (remote procedure
//!   error). A detach while a message is out puts it back at the head of the store.
//! * **Status report.** When the SUBMIT asked for one (TP-SRR), the SC sends an
//!   SMS-STATUS-REPORT: TP-MR of the SUBMIT, TP-RA its destination, TP-SCTS when the SC
//!   got it, TP-DT now, TP-ST as above, and — this emulator's carriage of the PoR — the
//!   TP-PID, TP-DCS and TP-UD of the deliver report in the report's optional
//!   parameters (TS 23.040 §9.2.2.3 gives SMS-STATUS-REPORT TP-PI, TP-PID, TP-DCS,
//!   TP-UDL and TP-UD; left out when they would make the report longer than
//!   [`MAX_STATUS_REPORT`]). A real SC hands the user data of an RP-ACK to the originating
//!   server only with vendor-specific support (e.g. in an SMPP `deliver_sm` receipt);
//!   here it always does, so the server can read the PoR (TS 31.115 §4.4 via
//!   SMS-DELIVER-REPORT).
//!
//! Addresses are fictitious numbers from the +1 202 555-0100…0199 block the North
//! American numbering plan keeps for fiction: [`SERVER_ADDRESS`], [`CENTRE_ADDRESS`],
//! [`PHONE_NUMBER`].

pub mod host;
pub mod ip;
pub mod tcp;

use crate::sim::{Action, Instant, Message, Node, NodeId, Payload};
use crate::wire::sms::FailureCause;
use crate::wire::sms::{
    relative_validity_minutes, Address, OptionalParameters, RpResult, SmsDeliver, SmsDeliverReport,
    SmsStatusReport, SmsSubmit, Timestamp, TransferStatus, ValidityPeriod,
};
use ip::{IpNetwork, Link};
use std::collections::VecDeque;

pub mod tls;

/// The server's address: TP-OA of what the SC delivers for it.
pub const SERVER_ADDRESS: &str = "+12025550100";
/// The SMS centre's own address (RP-OA of what it delivers).
pub const CENTRE_ADDRESS: &str = "+12025550199";
/// The phone's number (MSISDN): the TP-DA the server writes.
pub const PHONE_NUMBER: &str = "+12025550123";
/// Delivery attempts per message before the SC gives up on a temporary failure.
pub const MAX_DELIVERY_ATTEMPTS: u8 = 3;
/// Messages the SC stores at most; more are refused.
pub const MAX_STORED: usize = 32;
/// The longest SMS-STATUS-REPORT TPDU: TS 23.040 §9.2.2.3 guarantees 131 octets of
/// TP-UD with the longest TP-RA and TP-PID, TP-DCS present, and allows 143 with a
/// two-octet TP-RA and neither, both adding up to 164 octets. A deliver report whose
/// user data would not fit is reported without them.
pub const MAX_STATUS_REPORT: usize = 164;
/// The calendar date of logical time zero, for TP-SCTS and TP-DT.
pub const EPOCH: &str = "2024-01-01 00:00:00 UTC";
/// Days from 1970-01-01 to [`EPOCH`].
const EPOCH_UNIX_DAYS: u64 = 19_723;

/// Seconds since the Unix epoch at logical time `now` ([`EPOCH`] plus `now`): the
/// time TLS checks certificates against.
pub fn unix_time(now: Instant) -> u64 {
    EPOCH_UNIX_DAYS * 86_400 + now.as_micros() / 1_000_000
}

/// The SC time stamp of logical time `now`: [`EPOCH`] plus `now`, in UTC (time zone
/// `00`), whole seconds.
pub fn time_stamp(now: Instant) -> Timestamp {
    let seconds = now.as_micros() / 1_000_000;
    let (year, month, day) = civil_date(EPOCH_UNIX_DAYS + seconds / 86_400);
    let in_day = seconds % 86_400;
    Timestamp {
        year: (year % 100) as u8,
        month,
        day,
        hour: (in_day / 3_600) as u8,
        minute: (in_day / 60 % 60) as u8,
        second: (in_day % 60) as u8,
        zone_quarters: 0,
    }
}

/// Year, month, day of a day count since 1970-01-01 (proleptic Gregorian; Howard
/// Hinnant's `civil_from_days`).
fn civil_date(unix_days: u64) -> (u64, u8, u8) {
    let z = unix_days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// A short message the SC holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMessage {
    /// The SC's own running number, from 1.
    pub id: u64,
    pub submit: SmsSubmit,
    /// When the SC received it.
    pub received: Instant,
    /// Delivery attempts so far.
    pub attempts: u8,
}

impl StoredMessage {
    /// Whether its relative validity period has run out at `now`.
    fn expired(&self, now: Instant) -> bool {
        match self.submit.validity_period {
            ValidityPeriod::Relative(v) => {
                let limit = u64::from(relative_validity_minutes(v)) * 60_000_000;
                now.as_micros().saturating_sub(self.received.as_micros()) > limit
            }
            _ => false,
        }
    }
}

/// The network node: registration state and the SMS centre.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Network {
    server_address: Address,
    centre_address: Address,
    subscriber: Address,
    attached: bool,
    store: VecDeque<StoredMessage>,
    /// The message sent to the phone whose deliver report is awaited.
    in_delivery: Option<StoredMessage>,
    next_id: u64,
    delivered: u64,
    failed: u64,
    /// What the SC did last, in words.
    last: String,
    /// IP sessions, routing, the push proxy gateway and the links' faults.
    ip: IpNetwork,
}

impl Default for Network {
    fn default() -> Self {
        Network::new()
    }
}

impl Network {
    /// The network with the default addresses, the phone not attached, nothing stored,
    /// clear links.
    pub fn new() -> Network {
        Network::with_seed(0)
    }

    /// [`Network::new`], with link faults drawn from a PRNG seeded with `seed`.
    pub fn with_seed(seed: u64) -> Network {
        let address = |text: &str| {
            Address::from_text(text).unwrap_or(Address {
                type_of_address: 0x81,
                value: crate::wire::sms::AddressValue::Digits(String::new()),
            })
        };
        Network {
            server_address: address(SERVER_ADDRESS),
            centre_address: address(CENTRE_ADDRESS),
            subscriber: address(PHONE_NUMBER),
            attached: false,
            store: VecDeque::new(),
            in_delivery: None,
            next_id: 1,
            delivered: 0,
            failed: 0,
            last: String::new(),
            ip: IpNetwork::new(seed),
        }
    }

    /// The IP side: the phone's session, counters, faults.
    pub fn ip(&self) -> &IpNetwork {
        &self.ip
    }

    /// Cuts `link` now: on the radio, the phone's IP session is torn down (and with it
    /// every connection through it); on the backbone, every TCP connection crossing it
    /// is reset at both ends.
    fn cut(&mut self, link: Link) -> Vec<Message> {
        self.last = format!("{} cut", link.name());
        match link {
            Link::Radio => self.ip.tear_down(),
            Link::Backbone => self.ip.reset_connections(),
        }
    }

    /// Whether the phone is attached (reachable for SMS).
    pub fn attached(&self) -> bool {
        self.attached
    }

    /// Messages stored and not yet out for delivery.
    pub fn stored(&self) -> &VecDeque<StoredMessage> {
        &self.store
    }

    /// The message out for delivery, whose deliver report is awaited.
    pub fn in_delivery(&self) -> Option<&StoredMessage> {
        self.in_delivery.as_ref()
    }

    /// Messages delivered (RP-ACK) and given up so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.delivered, self.failed)
    }

    /// The SC's address as the relay layer carries it: type of address, then BCD.
    fn centre_rp_address(&self) -> Vec<u8> {
        self.centre_address.emit().split_off(1)
    }

    fn submit(&mut self, now: Instant, bytes: &[u8]) -> Vec<Message> {
        let submit = match SmsSubmit::parse(bytes) {
            Ok(submit) => submit,
            Err(error) => {
                self.last = format!("dropped an SMS-SUBMIT that does not decode: {error}");
                return Vec::new();
            }
        };
        if self.store.len() >= MAX_STORED {
            self.last = format!(
                "dropped SMS-SUBMIT MR {}: store full ({MAX_STORED})",
                submit.message_reference
            );
            return Vec::new();
        }
        let message = StoredMessage {
            id: self.next_id,
            submit,
            received: now,
            attempts: 0,
        };
        self.next_id += 1;
        if message.submit.destination_address.text() != self.subscriber.text() {
            self.failed += 1;
            self.last = format!(
                "message {} to {}: no such subscriber",
                message.id,
                message.submit.destination_address.text()
            );
            return self
                .status_report(now, &message, TransferStatus::NOT_OBTAINABLE, None)
                .into_iter()
                .collect();
        }
        self.last = format!(
            "stored message {} (MR {})",
            message.id, message.submit.message_reference
        );
        self.store.push_back(message);
        self.forward(now)
    }

    /// Sends the next stored message if the phone is attached and none is out.
    fn forward(&mut self, now: Instant) -> Vec<Message> {
        let mut out = Vec::new();
        if !self.attached || self.in_delivery.is_some() {
            return out;
        }
        while let Some(mut message) = self.store.pop_front() {
            if message.expired(now) {
                self.failed += 1;
                self.last = format!("message {}: validity period expired", message.id);
                out.extend(self.status_report(
                    now,
                    &message,
                    TransferStatus::VALIDITY_PERIOD_EXPIRED,
                    None,
                ));
                continue;
            }
            let submit = &message.submit;
            let deliver = SmsDeliver {
                more_messages_waiting: !self.store.is_empty(),
                loop_prevention: false,
                status_report_indication: submit.status_report_request,
                reply_path: submit.reply_path,
                originating_address: self.server_address.clone(),
                protocol_identifier: submit.protocol_identifier,
                data_coding_scheme: submit.data_coding_scheme,
                service_centre_time_stamp: time_stamp(message.received),
                user_data: submit.user_data.clone(),
            };
            let Ok(tpdu) = deliver.emit() else {
                self.failed += 1;
                self.last = format!("message {}: cannot be delivered", message.id);
                continue;
            };
            message.attempts += 1;
            self.last = format!(
                "delivering message {} (attempt {} of {MAX_DELIVERY_ATTEMPTS})",
                message.id, message.attempts
            );
            self.in_delivery = Some(message);
            out.push(Message::new(
                NodeId::Network,
                NodeId::Phone,
                Payload::SmsDeliver {
                    service_centre: self.centre_rp_address(),
                    tpdu,
                },
            ));
            break;
        }
        out
    }

    fn deliver_report(&mut self, now: Instant, rp: RpResult, tpdu: &[u8]) -> Vec<Message> {
        let Some(message) = self.in_delivery.take() else {
            self.last = "ignored a deliver report: no message out for delivery".into();
            return Vec::new();
        };
        let (cause, parameters) = match SmsDeliverReport::parse(tpdu, rp) {
            Ok(report) => (report.failure_cause, Some(report.parameters)),
            Err(_) => (Some(FailureCause::UNSPECIFIED), None),
        };
        let carried = parameters.filter(|p| *p != OptionalParameters::default());
        let mut out = Vec::new();
        let temporary = |cause: FailureCause| {
            matches!(
                cause,
                FailureCause::TOOLKIT_BUSY
                    | FailureCause::ERROR_IN_MS
                    | FailureCause::MEMORY_CAPACITY_EXCEEDED
                    | FailureCause::UNSPECIFIED
            )
        };
        match cause {
            None => {
                self.delivered += 1;
                self.last = format!("message {} delivered", message.id);
                out.extend(self.status_report(now, &message, TransferStatus::RECEIVED, carried));
            }
            Some(cause) if temporary(cause) && message.attempts < MAX_DELIVERY_ATTEMPTS => {
                self.last = format!("message {}: {}, delivering again", message.id, cause.name());
                self.store.push_front(message);
            }
            Some(cause) => {
                self.failed += 1;
                let status = match cause {
                    FailureCause::TOOLKIT_BUSY => TransferStatus::SME_BUSY_GIVEN_UP,
                    c if temporary(c) => TransferStatus::ERROR_IN_SME_GIVEN_UP,
                    _ => TransferStatus::REMOTE_PROCEDURE_ERROR,
                };
                self.last = format!(
                    "message {} not delivered: {} ({})",
                    message.id,
                    cause.name(),
                    status.name()
                );
                out.extend(self.status_report(now, &message, status, carried));
            }
        }
        out.extend(self.forward(now));
        out
    }

    /// The SMS-STATUS-REPORT for `message`, if its SUBMIT asked for one.
    fn status_report(
        &self,
        now: Instant,
        message: &StoredMessage,
        status: TransferStatus,
        parameters: Option<OptionalParameters>,
    ) -> Option<Message> {
        if !message.submit.status_report_request {
            return None;
        }
        let mut report = SmsStatusReport {
            more_messages_waiting: false,
            loop_prevention: false,
            qualifier_command: false,
            message_reference: message.submit.message_reference,
            recipient_address: message.submit.destination_address.clone(),
            service_centre_time_stamp: time_stamp(message.received),
            discharge_time: time_stamp(now),
            status,
            parameters,
        };
        let mut tpdu = report.emit().ok()?;
        if tpdu.len() > MAX_STATUS_REPORT {
            report.parameters = None;
            tpdu = report.emit().ok()?;
        }
        Some(Message::new(
            NodeId::Network,
            NodeId::Server,
            Payload::SmsStatusReport(tpdu),
        ))
    }
}

impl Node for Network {
    fn handle(&mut self, now: Instant, message: &Message) -> Vec<Message> {
        match (message.from, &message.payload) {
            (NodeId::Server, Payload::SmsSubmit(bytes)) => self.submit(now, bytes),
            (NodeId::Phone, Payload::Attach) => {
                self.attached = true;
                self.last = "phone attached".into();
                self.forward(now)
            }
            (NodeId::Phone, Payload::Detach) => {
                self.attached = false;
                self.last = "phone detached".into();
                if let Some(message) = self.in_delivery.take() {
                    self.store.push_front(message);
                }
                self.ip.detached()
            }
            (NodeId::Phone, Payload::PdpActivate { apn }) => {
                self.last = format!("IP session on APN {apn}");
                self.ip.activate(apn, &self.subscriber.text())
            }
            (NodeId::Server, Payload::PushLocate { msisdn }) => {
                self.last = format!("push proxy: locating {msisdn}");
                self.ip
                    .locate(msisdn, &self.subscriber.text(), self.attached)
            }
            (NodeId::Server | NodeId::Phone, Payload::Ip(packet)) => {
                self.ip.route(message.from, packet)
            }
            (_, Payload::Action(Action::SetFaults { link, faults })) => {
                self.ip.set_faults(*link, *faults);
                self.last = format!("{}: faults {}", link.name(), faults.summary());
                Vec::new()
            }
            (_, Payload::Action(Action::CutLink(link))) => self.cut(*link),
            (NodeId::Phone, Payload::SmsDeliverReport { rp, tpdu }) => {
                self.deliver_report(now, *rp, tpdu)
            }
            _ => Vec::new(),
        }
    }

    fn status_line(&self) -> String {
        let mut line = format!(
            "SMS centre {CENTRE_ADDRESS}: phone {}; {} stored",
            if self.attached {
                "attached"
            } else {
                "not attached"
            },
            self.store.len()
        );
        if let Some(message) = &self.in_delivery {
            line.push_str(&format!(
                "; message {} awaiting the deliver report",
                message.id
            ));
        }
        line.push_str(&format!(
            "; {} delivered, {} failed",
            self.delivered, self.failed
        ));
        if !self.last.is_empty() {
            line.push_str(&format!("; last: {}", self.last));
        }
        line
    }
}

#[cfg(test)]
mod tests;
