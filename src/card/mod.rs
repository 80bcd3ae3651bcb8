//! The card (UICC): answers the phone's resets and APDUs.
//!
//! This first card knows the master file and the toolkit's TERMINAL PROFILE; the file
//! system, security, USIM and toolkit engine grow in their own modules. It already
//! behaves as ETSI TS 102 221 says for what it does not know: `6E00` for a class it does
//! not support, `6D00` for an instruction it does not support, `6A82` for a file it does not
//! have, `6A86` for parameters it does not support, `6700` for a malformed APDU.

pub mod usim;

use crate::sim::{Instant, Message, Node, NodeId, Payload};
use crate::wire::apdu::{CommandApdu, ResponseApdu};
use crate::wire::atr;
use crate::wire::ber_tlv::Tlv;
use crate::wire::status::StatusWord;

/// File identifier of the master file (ETSI TS 102 221 §8.2).
pub const MF: u16 = 0x3F00;

/// The card's answer-to-reset without its check byte (ISO/IEC 7816-3 §8.2): TS 3B (direct
/// convention); T0 9F (TA1 and TD1 follow, 15 historical bytes); TA1 96 (Fi 512, Di 32);
/// TD1 80 (TD2 follows, T=0); TD2 1F (TA3 follows, T=15 global bytes); TA3 C7 (clock stop
/// allowed in either state, classes A, B and C); then the historical bytes.
const ATR_WITHOUT_TCK: [u8; 21] = [
    0x3B, 0x9F, 0x96, 0x80, 0x1F, 0xC7, 0x80, 0x31, 0xE0, 0x73, 0xFE, 0x21, 0x1B, 0x63, 0x3A, 0x20,
    0x4E, 0x83, 0x00, 0x90, 0x00,
];

/// The card's volatile and persistent state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Card {
    powered: bool,
    /// The last TERMINAL PROFILE the phone sent (ETSI TS 102 223 §5.2).
    terminal_profile: Option<Vec<u8>>,
    /// File identifier of the current file on the basic channel.
    current_file: Option<u16>,
    /// Response data waiting for GET RESPONSE (the T=0 `61XX` procedure, TS 102 221 §7.3.1.1.4).
    pending_response: Vec<u8>,
}

impl Card {
    pub fn new() -> Card {
        Card::default()
    }

    /// The ATR this card sends, with its check byte.
    pub fn atr() -> Vec<u8> {
        atr::with_tck(&ATR_WITHOUT_TCK)
    }

    /// The terminal profile received since the last reset, if any.
    pub fn terminal_profile(&self) -> Option<&[u8]> {
        self.terminal_profile.as_deref()
    }

    /// Cold reset: volatile state is lost, the MF is selected (TS 102 221 §8.5).
    fn reset(&mut self) {
        *self = Card {
            powered: true,
            current_file: Some(MF),
            ..Card::default()
        };
    }

    /// Processes one command APDU and returns the response APDU.
    pub fn process(&mut self, bytes: &[u8]) -> ResponseApdu {
        let command = match CommandApdu::parse(bytes) {
            Ok(command) => command,
            Err(_) => return ResponseApdu::status(StatusWord::WRONG_LENGTH),
        };
        if command.ins != GET_RESPONSE {
            // Any other command discards response data not fetched (TS 102 221 §7.3.1.1.4).
            self.pending_response.clear();
        }
        match (command.cla & 0xF0, command.ins) {
            (0x00, SELECT) => self.select(&command),
            (0x00, GET_RESPONSE) => self.get_response(&command),
            (0x80, TERMINAL_PROFILE) => self.store_terminal_profile(&command),
            (0x00 | 0x80, _) => ResponseApdu::status(StatusWord::INS_NOT_SUPPORTED),
            _ => ResponseApdu::status(StatusWord::CLA_NOT_SUPPORTED),
        }
    }

    /// SELECT by file identifier (TS 102 221 §11.1.1). Only the MF exists on this card.
    fn select(&mut self, command: &CommandApdu) -> ResponseApdu {
        if command.p1 != 0x00 || !matches!(command.p2, 0x04 | 0x0C) {
            return ResponseApdu::status(StatusWord::INCORRECT_P1_P2);
        }
        let file_id = match command.data.as_slice() {
            [hi, lo] => u16::from_be_bytes([*hi, *lo]),
            _ => return ResponseApdu::status(StatusWord::WRONG_LENGTH),
        };
        if file_id != MF {
            return ResponseApdu::status(StatusWord::FILE_NOT_FOUND);
        }
        self.current_file = Some(MF);
        if command.p2 == 0x0C {
            return ResponseApdu::status(StatusWord::NO_ERROR);
        }
        self.pending_response = mf_fcp().emit();
        let available = u8::try_from(self.pending_response.len()).unwrap_or(0xFF);
        ResponseApdu::status(StatusWord::bytes_available(available))
    }

    /// GET RESPONSE (TS 102 221 §11.1.19): hands over the data a previous command left.
    fn get_response(&mut self, command: &CommandApdu) -> ResponseApdu {
        if self.pending_response.is_empty() {
            return ResponseApdu::status(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        let available = self.pending_response.len();
        let wanted = usize::from(command.le.unwrap_or(0));
        if wanted == 0 || wanted > available {
            let le = u8::try_from(available).unwrap_or(0);
            return ResponseApdu::status(StatusWord::wrong_le(le));
        }
        let data: Vec<u8> = self.pending_response.drain(..wanted).collect();
        let sw = match u8::try_from(self.pending_response.len()) {
            Ok(0) => StatusWord::NO_ERROR,
            Ok(left) => StatusWord::bytes_available(left),
            Err(_) => StatusWord::bytes_available(0),
        };
        ResponseApdu::new(data, sw)
    }

    /// TERMINAL PROFILE (TS 102 221 §11.2.1, content TS 102 223 §5.2): stored and consulted
    /// before the card raises any proactive command.
    fn store_terminal_profile(&mut self, command: &CommandApdu) -> ResponseApdu {
        if command.data.is_empty() {
            return ResponseApdu::status(StatusWord::WRONG_LENGTH);
        }
        self.terminal_profile = Some(command.data.clone());
        ResponseApdu::status(StatusWord::NO_ERROR)
    }
}

const SELECT: u8 = 0xA4;
const GET_RESPONSE: u8 = 0xC0;
const TERMINAL_PROFILE: u8 = 0x10;

/// The MF's FCP template (TS 102 221 §11.1.1.3): file descriptor `78 21` (shareable DF),
/// file identifier 3F00, proprietary information with the UICC characteristics (`71`: clock
/// stop allowed, preferably high; 3 V and 1.8 V technology), life cycle `05` (operational,
/// activated), security attributes referencing EF.ARR 2F06 record 1, and the PIN status
/// template: PIN1 (`01`) and ADM1 (`0A`), both enabled.
fn mf_fcp() -> Tlv {
    Tlv::constructed(
        0x62,
        &[
            Tlv::new(0x82, [0x78, 0x21]),
            Tlv::new(0x83, MF.to_be_bytes()),
            Tlv::constructed(0xA5, &[Tlv::new(0x80, [0x71])]),
            Tlv::new(0x8A, [0x05]),
            Tlv::new(0x8B, [0x2F, 0x06, 0x01]),
            Tlv::constructed(
                0xC6,
                &[
                    Tlv::new(0x90, [0xC0]),
                    Tlv::new(0x83, [0x01]),
                    Tlv::new(0x83, [0x0A]),
                ],
            ),
        ],
    )
}

impl Node for Card {
    fn handle(&mut self, _now: Instant, message: &Message) -> Vec<Message> {
        let reply = match &message.payload {
            Payload::Reset => {
                self.reset();
                Payload::Atr(Card::atr())
            }
            Payload::Command(bytes) if self.powered => {
                Payload::Response(self.process(bytes).emit())
            }
            // An unpowered card says nothing; neither does it answer its own kinds of message.
            _ => return Vec::new(),
        };
        vec![Message::new(NodeId::Card, message.from, reply)]
    }

    fn status_line(&self) -> String {
        if !self.powered {
            return "unpowered".to_string();
        }
        let file = self
            .current_file
            .map_or("none".to_string(), |f| format!("{f:04X}"));
        let profile = match &self.terminal_profile {
            Some(p) => format!("{} bytes", p.len()),
            None => "not received".to_string(),
        };
        format!("current file {file}; terminal profile {profile}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::atr::Atr;

    fn powered() -> Card {
        let mut card = Card::new();
        card.reset();
        card
    }

    fn run(card: &mut Card, hex: &str) -> Vec<u8> {
        card.process(&crate::wire::hex::parse(hex).unwrap()).emit()
    }

    #[test]
    fn atr_is_valid_with_check_byte() {
        let atr = Card::atr();
        assert_eq!(atr.len(), ATR_WITHOUT_TCK.len() + 1);
        assert!(Atr::parse(&atr).is_ok());
        assert_eq!(
            atr[1..].iter().fold(0, |x, b| x ^ b),
            0,
            "TCK makes T0..TCK XOR to 0"
        );
    }

    #[test]
    fn select_mf_returns_fcp_through_get_response() {
        let mut card = powered();
        let fcp = mf_fcp().emit();
        assert_eq!(
            run(&mut card, "00A40004023F00"),
            vec![0x61, fcp.len() as u8]
        );
        let mut expected = fcp.clone();
        expected.extend([0x90, 0x00]);
        assert_eq!(
            run(&mut card, &format!("00C00000{:02X}", fcp.len())),
            expected
        );
        assert_eq!(
            run(&mut card, "00C0000010"),
            vec![0x69, 0x85],
            "nothing left to get"
        );
    }

    #[test]
    fn get_response_with_wrong_le_gets_6cxx() {
        let mut card = powered();
        let fcp_len = mf_fcp().emit().len() as u8;
        run(&mut card, "00A40004023F00");
        assert_eq!(run(&mut card, "00C0000000"), vec![0x6C, fcp_len]);
    }

    #[test]
    fn select_without_data_returns_9000() {
        let mut card = powered();
        assert_eq!(run(&mut card, "00A4000C023F00"), vec![0x90, 0x00]);
    }

    #[test]
    fn unknown_file_class_and_instruction_get_their_status_words() {
        let mut card = powered();
        assert_eq!(run(&mut card, "00A40004022F00"), vec![0x6A, 0x82]);
        assert_eq!(run(&mut card, "00A40904023F00"), vec![0x6A, 0x86]);
        assert_eq!(run(&mut card, "A0A40000023F00"), vec![0x6E, 0x00]);
        assert_eq!(run(&mut card, "80EE000000"), vec![0x6D, 0x00]);
        assert_eq!(run(&mut card, "00A4"), vec![0x67, 0x00]);
    }

    #[test]
    fn terminal_profile_is_stored() {
        let mut card = powered();
        assert_eq!(run(&mut card, "801000000301FF00"), vec![0x90, 0x00]);
        assert_eq!(card.terminal_profile(), Some(&[0x01, 0xFF, 0x00][..]));
    }

    #[test]
    fn reset_forgets_the_terminal_profile() {
        let mut card = powered();
        run(&mut card, "80100000010F");
        card.reset();
        assert_eq!(card.terminal_profile(), None);
    }

    #[test]
    fn unpowered_card_stays_silent() {
        let mut card = Card::new();
        let message = Message::new(
            NodeId::Phone,
            NodeId::Card,
            Payload::Command(vec![0, 0xA4, 0, 0]),
        );
        assert!(card.handle(Instant::ZERO, &message).is_empty());
    }
}
