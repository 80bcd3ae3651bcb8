//! The phone (mobile equipment): powers the card and drives it with APDUs.
//!
//! This first phone runs the start-up sequence of ETSI TS 102 221 §14 and TS 102 223 §5:
//! cold reset and ATR, SELECT of the MF with its FCP fetched by GET RESPONSE (the T=0 case-4
//! procedure), then TERMINAL PROFILE. The access gateway, the FETCH loop and BIP grow in
//! their own modules.
//!
//! ```text
//!   Off ──PowerOn──▶ ExpectAtr ──ATR──▶ ExpectSelectStatus ──61XX──▶ ExpectFcp
//!                                                                       │ 9000
//!   Ready ◀──9000/91XX── ExpectProfileStatus ◀──────────────────────────┘
//!   Ready ──SendApdu──▶ ExpectUserResponse ──response──▶ Ready
//!   (any state) ──bad ATR / unexpected status──▶ Failed
//! ```

use crate::sim::{Action, Instant, Message, Node, NodeId, Payload};
use crate::wire::apdu::{CommandApdu, ResponseApdu};
use crate::wire::atr::Atr;
use crate::wire::status::StatusWord;

/// The phone's TERMINAL PROFILE (TS 102 223 §5.2): byte 1 b1 "profile download". The phone
/// declares nothing it does not do; later capabilities add their bits here.
pub const TERMINAL_PROFILE: [u8; 1] = [0x01];

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
    /// Start-up stopped; the reason in words.
    Failed(String),
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

    /// Reacts to one delivered message; returns the APDU or signal to send to the card.
    fn react(&mut self, payload: &Payload) -> Option<Payload> {
        match (&self.state, payload) {
            (_, Payload::Action(Action::PowerOn)) => {
                *self = Phone::new();
                self.state = PhoneState::ExpectAtr;
                Some(Payload::Reset)
            }
            (PhoneState::ExpectAtr, Payload::Atr(bytes)) => match Atr::parse(bytes) {
                Ok(_) => {
                    self.atr = Some(bytes.clone());
                    self.state = PhoneState::ExpectSelectStatus;
                    let select_mf =
                        CommandApdu::new(0x00, 0xA4, 0x00, 0x04).with_data([0x3F, 0x00]);
                    Some(Payload::Command(select_mf.emit()))
                }
                Err(error) => self.fail(format!("invalid ATR: {error}")),
            },
            (PhoneState::ExpectSelectStatus, Payload::Response(bytes)) => {
                match self.status(bytes)?.to_bytes() {
                    [0x61, available] => {
                        self.state = PhoneState::ExpectFcp;
                        let get_response = CommandApdu::new(0x00, 0xC0, 0x00, 0x00)
                            .with_le(u16::from(available).max(1));
                        Some(Payload::Command(get_response.emit()))
                    }
                    other => self.unexpected("SELECT MF", other),
                }
            }
            (PhoneState::ExpectFcp, Payload::Response(bytes)) => {
                let response = self.response(bytes)?;
                if response.sw != StatusWord::NO_ERROR {
                    return self.unexpected("GET RESPONSE", response.sw.to_bytes());
                }
                self.mf_fcp = Some(response.data);
                self.state = PhoneState::ExpectProfileStatus;
                let profile = CommandApdu::new(0x80, 0x10, 0x00, 0x00).with_data(TERMINAL_PROFILE);
                Some(Payload::Command(profile.emit()))
            }
            (PhoneState::ExpectProfileStatus, Payload::Response(bytes)) => {
                let sw = self.status(bytes)?;
                if sw.is_normal() {
                    self.state = PhoneState::Ready;
                    None
                } else {
                    self.unexpected("TERMINAL PROFILE", sw.to_bytes())
                }
            }
            (PhoneState::Ready, Payload::Action(Action::SendApdu(bytes))) => {
                self.state = PhoneState::ExpectUserResponse;
                Some(Payload::Command(bytes.clone()))
            }
            (PhoneState::ExpectUserResponse, Payload::Response(bytes)) => {
                self.last_user_response = Some(bytes.clone());
                self.state = PhoneState::Ready;
                None
            }
            // Anything else (a stray ATR, a response with no command outstanding, a user's
            // APDU before start-up is done) is ignored.
            _ => None,
        }
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

    fn unexpected(&mut self, command: &str, sw: [u8; 2]) -> Option<Payload> {
        self.fail(format!(
            "{command} answered {:02X}{:02X}: {}",
            sw[0],
            sw[1],
            StatusWord::from_bytes(sw).meaning()
        ))
    }

    fn fail(&mut self, reason: String) -> Option<Payload> {
        self.state = PhoneState::Failed(reason);
        None
    }
}

impl Node for Phone {
    fn handle(&mut self, _now: Instant, message: &Message) -> Vec<Message> {
        self.react(&message.payload)
            .map(|payload| Message::new(NodeId::Phone, NodeId::Card, payload))
            .into_iter()
            .collect()
    }

    fn status_line(&self) -> String {
        match &self.state {
            PhoneState::Off => "off".to_string(),
            PhoneState::ExpectAtr => "waiting for the ATR".to_string(),
            PhoneState::ExpectSelectStatus => "waiting for SELECT MF status".to_string(),
            PhoneState::ExpectFcp => "waiting for the MF's FCP".to_string(),
            PhoneState::ExpectProfileStatus => "waiting for TERMINAL PROFILE status".to_string(),
            PhoneState::Ready => "ready: card initialised".to_string(),
            PhoneState::ExpectUserResponse => "waiting for the card's answer".to_string(),
            PhoneState::Failed(reason) => format!("start-up failed: {reason}"),
        }
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
                "90 00",
            ]
        );
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
        let text = fcp_event.fields.render_tree(Some(&fcp_event.bytes));
        assert!(text.contains("3F00") || text.contains("3F 00"), "{text}");
    }

    #[test]
    fn bad_atr_fails_start_up() {
        let mut phone = Phone::new();
        phone.react(&Payload::Action(Action::PowerOn));
        assert_eq!(phone.react(&Payload::Atr(vec![0x3B])), None);
        assert!(matches!(phone.state(), PhoneState::Failed(reason) if reason.contains("ATR")));
    }

    #[test]
    fn error_status_on_select_fails_start_up_with_its_meaning() {
        let mut phone = Phone::new();
        phone.react(&Payload::Action(Action::PowerOn));
        phone.react(&Payload::Atr(crate::card::Card::atr()));
        assert_eq!(phone.react(&Payload::Response(vec![0x6A, 0x82])), None);
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
        assert_eq!(
            phone.react(&Payload::Action(Action::SendApdu(vec![0, 0xB0, 0, 0, 1]))),
            None
        );
        assert_eq!(phone.state(), &PhoneState::Off);
    }

    #[test]
    fn stray_messages_are_ignored() {
        let mut phone = Phone::new();
        assert_eq!(phone.react(&Payload::Response(vec![0x90, 0x00])), None);
        assert_eq!(phone.state(), &PhoneState::Off);
    }
}
