//! Remote administration over SMS: what the card does with an ENVELOPE (SMS-PP
//! download) — 3GPP TS 31.111 §7.1.1, TS 31.115, ETSI TS 102 225 and TS 102 226.
//!
//! ```text
//!  ENVELOPE D1 ─▶ SMS-DELIVER?  TP-PID 7F, class 2, 8-bit? ──no──▶ 6F 00
//!                 concatenated segment, not the last ─────────────▶ 90 00 (kept)
//!                 70 header, segments consistent? ──────────no──▶ 6F 00
//!                 ota::receive(packet, TARs, counters)
//!                   rejected, PoR asked ─▶ unprotected PoR ─────▶ 62 F3 (GET RESPONSE)
//!                   rejected, no PoR ────────────────────────────▶ 90 00
//!                   accepted ─▶ counter committed (journal) ─▶ the TAR's service runs
//!                              ─▶ PoR as the SPI asks:
//!                                   none (or "on error" and all well) ──▶ 90 00
//!                                   in the deliver report ─────────────▶ 61 XX → RP-ACK
//!                                   by SMS-SUBMIT ─▶ SEND SHORT MESSAGE ─▶ 91 XX
//! ```
//!
//! # How the proof of receipt leaves the card
//!
//! * **SMS-DELIVER-REPORT** (SPI byte 2 b6 = 0; TS 31.111 §7.1.1.1, TS 31.115 §4.4):
//!   the PoR is the ENVELOPE's response data, as the SMS user data it will be (`02 71
//!   00`, then the response packet). Under T=0 the ENVELOPE (a case 4 command) ends
//!   `61 XX` and GET RESPONSE hands the PoR over (TS 102 221 §7.3.1.1.4; `9F XX` is the
//!   GSM SIM's form of the same, TS 51.011); the phone puts it in the TP-User-Data of
//!   the RP-ACK. A PoR whose status is not `00` ends the ENVELOPE `62 F3` "response
//!   data available" instead (TS 102 221 §10.2.1.3), the UICC's form of the GSM SIM's
//!   `9E XX` "SIM data download error": TS 31.111 §7.1.1.1 has the phone fetch the data
//!   of a `62 XX`/`63 XX` answer with GET RESPONSE (the T=0 warning procedure: `00 C0
//!   00 00 00` → `6C XX` → `00 C0 00 00 XX`) and return them to the network — in an
//!   RP-ERROR with TP-FCS `D5` "(U)SIM data download error" up to Release 10, in the
//!   RP-ACK from Release 11 (TS 31.124 §27.22.5.1.3). Either way the PoR's status code
//!   tells the sender what failed.
//! * **SMS-SUBMIT** (SPI byte 2 b6 = 1): the card raises SEND SHORT MESSAGE (TS 102
//!   223 §6.4.10, type `13`, qualifier `00`: no packing, UICC → network) whose SMS TPDU
//!   is an SMS-SUBMIT to the command's originating address, TP-PID `7F`, TP-DCS `F6`,
//!   user data `02 71 00` + the response packet; the ENVELOPE ends `90 00`, seen as
//!   `91 XX`. Only for a packet that authenticated: a card must not send short
//!   messages, at its subscriber's cost, to wherever a forged packet asks. When the
//!   terminal profile does not declare SEND SHORT MESSAGE (byte 4 b2) the PoR goes in
//!   the deliver report instead.
//!
//! # Concatenated packets
//!
//! A packet longer than one SMS comes in segments (TS 31.115 §4.3, TS 23.040
//! §9.2.3.24.1). Each segment but the one completing the packet is kept in volatile
//! memory (at most [`crate::wire::sms::MAX_PENDING`] packets) and acknowledged `90
//! 00` — the phone answers the network RP-ACK for it (TS 31.111 §7.1.1.1); the PoR
//! answers the last segment. Segments may come in any order; a repeated one is
//! ignored. A reset forgets incomplete packets.
//!
//! # Counters and power cuts
//!
//! The counter of an accepted packet is committed through the journal before anything
//! runs (TS 102 225 §5.1.1: the counter is updated before execution). A power cut
//! between the two leaves the counter moved and the command not run; the sender's
//! retry is refused as a replay and it sends a new packet. The reverse — a command run
//! with its counter not recorded, replayable — cannot happen.

use super::ota::{self, Accepted, CounterState, Execution, Por, Receipt};
use super::profile::Service;
use super::rfm::{Runner, ScriptResponse};
use super::storage::{PowerLost, Slot, Transaction};
use super::{Answer, Card};
use crate::wire::apdu::ResponseApdu;
use crate::wire::cat::{CommandType, DeviceIdentity, Object, ProactiveCommand, SmsPpDownload};
use crate::wire::ota::{PorStatus, PorVia, Tar};
use crate::wire::sms::{
    self, Alphabet, DataCoding, InformationElement, SmsDeliver, SmsSubmit, UserData,
    ValidityPeriod, DCS_CLASS2_8BIT, MAX_USER_DATA, PID_SIM_DATA_DOWNLOAD,
};
use crate::wire::status::StatusWord;
use std::fmt;

/// What became of one secured packet: for the event log and the inspector. Inside the
/// card the standard's own status is kept ([`ota::Rejection::status`]): an unknown TAR
/// is `09` here even though its PoR says `01`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtaReport {
    /// The packet's TAR, when it could be read.
    pub tar: Option<Tar>,
    pub status: PorStatus,
    /// In words: why it was refused, or what ran.
    pub detail: String,
}

impl fmt::Display for OtaReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.tar {
            Some(tar) => write!(f, "TAR {tar}: {:02X} {}", self.status.byte(), self.detail),
            None => write!(f, "{:02X} {}", self.status.byte(), self.detail),
        }
    }
}

/// Whether an SMS-DELIVER is for the card's OTA layer: TP-PID `7F` ((U)SIM data
/// download, TS 23.040 §9.2.3.9) and a class 2 TP-DCS (TS 31.111 §7.1.1.1) with 8-bit
/// uncompressed data (TS 31.115 §4: secured packets are binary).
fn is_data_download(deliver: &SmsDeliver) -> bool {
    let coding = DataCoding::from_byte(deliver.data_coding_scheme);
    deliver.protocol_identifier == PID_SIM_DATA_DOWNLOAD
        && coding.class == Some(2)
        && coding.alphabet == Alphabet::Eight
        && !coding.compressed
}

impl Card {
    /// SMS-PP data download (TS 102 223 §7.1.1, 3GPP TS 31.111 §7.1.1): see the module
    /// documentation.
    pub(super) fn sms_pp_download(&mut self, download: &SmsPpDownload) -> Answer {
        let deliver = match SmsDeliver::parse(download.tpdu()) {
            Ok(deliver) if is_data_download(&deliver) => deliver,
            _ => return Err(StatusWord::NO_PRECISE_DIAGNOSIS.into()),
        };
        let packet = match self.session.sms.push(&deliver.user_data) {
            Ok(Some(packet)) => packet,
            Ok(None) => return Ok(ResponseApdu::status(StatusWord::NO_ERROR)),
            Err(_) => return Err(StatusWord::NO_PRECISE_DIAGNOSIS.into()),
        };
        self.secured_packet(&packet, &deliver.originating_address)
    }

    /// What became of the last secured packet since the reset.
    pub fn last_ota(&self) -> Option<&OtaReport> {
        self.session.last_ota.as_ref()
    }

    /// The OTA counter the card holds for `tar` (0 for a TAR never counted).
    pub fn ota_counter(&self, tar: Tar) -> u64 {
        self.ota_counters().get(tar)
    }

    /// The persisted counters; if they cannot be read, every TAR blocked rather than
    /// back at 0.
    fn ota_counters(&self) -> CounterState {
        self.store
            .load::<CounterState>(Slot::OtaCounters)
            .unwrap_or_else(|| CounterState::blocked(&self.tars))
    }

    /// One whole command packet (CPL to the end).
    fn secured_packet(&mut self, packet: &[u8], originator: &sms::Address) -> Answer {
        let mut counters = self.ota_counters();
        let accepted = match ota::receive(packet, &self.tars, &counters) {
            Receipt::Rejected { rejection, por } => {
                self.session.last_ota = Some(OtaReport {
                    tar: packet.get(7..10).map(|t| Tar([t[0], t[1], t[2]])),
                    status: rejection.status(),
                    detail: rejection.to_string(),
                });
                return Ok(match por {
                    Some(por) => self.por_in_response(por),
                    None => ResponseApdu::status(StatusWord::NO_ERROR),
                });
            }
            Receipt::Accepted(accepted) => accepted,
        };
        if accepted.new_counter.is_some() {
            counters.apply(&accepted);
            self.store
                .commit(Transaction::new().put(Slot::OtaCounters, &counters))?;
        }
        let (service, response) = self.run_service(&accepted)?;
        self.session.last_ota = Some(OtaReport {
            tar: Some(accepted.tar),
            status: PorStatus::Ok,
            detail: format!("accepted; {service}"),
        });
        let por = match accepted.por_with(Execution::Done, &response.full) {
            Ok(Some(por)) if por.user_data.len() > MAX_USER_DATA => {
                accepted.por_with(Execution::Done, &response.summary)
            }
            other => other,
        };
        match por {
            Ok(Some(por)) => Ok(self.send_por(por, originator)),
            Ok(None) => Ok(ResponseApdu::status(StatusWord::NO_ERROR)),
            // The keys were checked by `receive`: unreachable, kept fail-safe.
            Err(_) => Err(StatusWord::NO_PRECISE_DIAGNOSIS.into()),
        }
    }

    /// Runs the TAR's service on the secured data; returns what ran, in words, and the
    /// PoR's additional response data.
    fn run_service(
        &mut self,
        accepted: &Accepted,
    ) -> Result<(&'static str, ScriptResponse), PowerLost> {
        let entry = self.profile.tar_entry(accepted.tar);
        let service = entry.map(|e| e.service);
        let domain = entry.and_then(|e| e.access_domain.clone());
        Ok(match service {
            Some(Service::Rfm) => (
                "remote file management script run",
                self.run_script(&accepted.data, Runner::Files, domain)?,
            ),
            Some(Service::ScwsAdmin) => {
                let results = self.scws_admin(&accepted.data)?;
                let summary = results
                    .get(results.len().saturating_sub(3)..)
                    .unwrap_or_default()
                    .to_vec();
                (
                    "SCWS administration commands run",
                    ScriptResponse {
                        full: results,
                        summary,
                    },
                )
            }
            Some(Service::Ram) | None => (
                "remote applet management: no command known",
                self.run_script(&accepted.data, Runner::NoCommands, None)?,
            ),
        })
    }

    /// Sends the PoR of an accepted packet where its SPI asks.
    fn send_por(&mut self, por: Por, originator: &sms::Address) -> ResponseApdu {
        if por.via == PorVia::Submit && por.secured {
            if let Some(command) = self.por_submit(&por, originator) {
                if self.raise_proactive(command).is_ok() {
                    return ResponseApdu::status(StatusWord::NO_ERROR);
                }
            }
        }
        self.por_in_response(por)
    }

    /// The PoR as the ENVELOPE's response data: `61 XX` for status `00` (the card's
    /// T=0 delivery turns the data into it), `62 F3` for any other.
    fn por_in_response(&mut self, por: Por) -> ResponseApdu {
        if por.status == PorStatus::Ok {
            return ResponseApdu::new(por.user_data, StatusWord::NO_ERROR);
        }
        self.session.pending = Some((0, por.user_data));
        ResponseApdu::status(StatusWord::RESPONSE_DATA_AVAILABLE)
    }

    /// SEND SHORT MESSAGE carrying the PoR in an SMS-SUBMIT to `originator` (TS 31.115
    /// §4.4, TS 102 223 §6.4.10).
    fn por_submit(&self, por: &Por, originator: &sms::Address) -> Option<ProactiveCommand> {
        let packet = por.user_data.get(3..)?.to_vec();
        let submit = SmsSubmit {
            reject_duplicates: false,
            validity_period: ValidityPeriod::None,
            status_report_request: false,
            reply_path: false,
            message_reference: 0,
            destination_address: originator.clone(),
            protocol_identifier: PID_SIM_DATA_DOWNLOAD,
            data_coding_scheme: DCS_CLASS2_8BIT,
            user_data: UserData::with_header(vec![InformationElement::ResponsePacket], packet),
        };
        let tpdu = submit.emit().ok()?;
        Some(
            ProactiveCommand::new(
                self.session.toolkit.next_number(),
                CommandType::SEND_SHORT_MESSAGE,
                0x00,
                DeviceIdentity::UICC,
                DeviceIdentity::NETWORK,
            )
            .with(Object::SmsTpdu(tpdu)),
        )
    }
}

#[cfg(test)]
mod tests;
