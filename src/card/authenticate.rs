//! AUTHENTICATE (INS `88`) on this card: the USIM's network authentication
//! ([`usim::authenticate`], 3GPP TS 31.102 §7.1.2) with what the card around it owns.
//!
//! - it runs in the USIM application: the channel's current application must be
//!   ADF.USIM, otherwise `69 85`;
//! - the USIM's access condition is PIN1 (TS 31.102 §7.1.2): `69 82` until PIN1 is
//!   verified (or disabled);
//! - the keys are the profile's K and OPc;
//! - the SQN array (TS 33.102 Annex C) is a persistent object ([`Slot::Sqn`]); a new one is
//!   committed through the journal before the response leaves, so a power cut loses
//!   either the response or nothing.

use super::{Answer, Card};
use crate::card::security::PIN1;
use crate::card::storage::{Slot, Stored, Transaction};
use crate::card::usim::{self, Milenage, SqnState};
use crate::wire::apdu::CommandApdu;
use crate::wire::status::StatusWord;

impl Card {
    /// AUTHENTICATE (TS 31.102 §7.1.2) on `channel`.
    pub(super) fn authenticate(&mut self, channel: u8, command: &CommandApdu) -> Answer {
        let usim = self.profile.usim.aid.0.as_slice();
        let in_usim = self
            .selection(channel)
            .application
            .is_some_and(|app| self.files.file(app).df_name() == Some(usim));
        if !in_usim {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED.into());
        }
        if !self.key_satisfied(PIN1) {
            return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED.into());
        }
        let keys = Milenage::from_opc(self.profile.usim.k.0, self.profile.usim.opc.0);
        let state = self.store.load::<SqnState>(Slot::Sqn).unwrap_or_default();
        let authentication = usim::authenticate(&keys, &state, command);
        if let Some(next) = authentication.new_state {
            self.store
                .commit(Transaction::new().put(Slot::Sqn, &next))?;
        }
        Ok(authentication.response)
    }
}

impl Stored for SqnState {
    /// SEQ_MS(0) to SEQ_MS(31), 8 bytes each, most significant first.
    fn encode(&self) -> Vec<u8> {
        self.array()
            .iter()
            .flat_map(|seq| seq.to_be_bytes())
            .collect()
    }

    fn decode(bytes: &[u8]) -> Option<SqnState> {
        let mut array = [0; usim::sqn::ARRAY_SIZE];
        if bytes.len() != array.len() * 8 {
            return None;
        }
        for (seq, chunk) in array.iter_mut().zip(bytes.chunks_exact(8)) {
            *seq = u64::from_be_bytes(chunk.try_into().ok()?);
        }
        Some(SqnState::from_array(array))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::hex;

    /// 3GPP TS 35.208 test set 1: RAND and the RES, CK, IK it gives under the default
    /// profile's K and OPc.
    const RAND: &str = "23553CBE9637A89D218AE64DAE47BF35";
    const RES: &str = "A54211D5E3BA50BF";
    const CK: &str = "B40BA9A3C58B2A05BBF0D987B21BF8CB";
    const IK: &str = "F769BCD751044604127672711C6D3441";

    fn card_in_usim(verify_pin: bool) -> Card {
        let mut card = Card::new();
        enter_usim(&mut card, verify_pin);
        card
    }

    /// Powers `card` on, selects the USIM and verifies PIN1 if asked.
    fn enter_usim(card: &mut Card, verify_pin: bool) {
        card.power_on();
        let mut apdus = vec!["00A4040C10A0000000871002FF33FF018900000100"];
        if verify_pin {
            apdus.push("002000010831323334FFFFFFFF");
        }
        for apdu in apdus {
            let response = card.process(&hex::parse(apdu).unwrap()).unwrap();
            assert_eq!(response.sw, StatusWord::NO_ERROR, "{apdu}");
        }
    }

    fn authenticate_apdu(card: &Card, sqn: u64) -> Vec<u8> {
        let keys = Milenage::from_opc(card.profile.usim.k.0, card.profile.usim.opc.0);
        let rand: [u8; 16] = hex::parse(RAND).unwrap().try_into().unwrap();
        let autn = usim::make_autn(&keys, &rand, sqn, [0x80, 0x00]);
        hex::parse(&format!("0088008122 10{RAND} 10{}", hex::compact(&autn))).unwrap()
    }

    fn send(card: &mut Card, apdu: &[u8]) -> String {
        hex::compact(&card.process(apdu).unwrap().emit())
    }

    #[test]
    fn returns_res_ck_ik_through_get_response() {
        let mut card = card_in_usim(true);
        let apdu = authenticate_apdu(&card, 0x21);
        assert_eq!(send(&mut card, &apdu), "612C");
        assert_eq!(
            send(&mut card, &hex::parse("00C000002C").unwrap()),
            format!("DB08{RES}10{CK}10{IK}9000")
        );
    }

    #[test]
    fn a_replayed_challenge_gets_auts_even_after_a_power_cycle() {
        let mut card = card_in_usim(true);
        let apdu = authenticate_apdu(&card, 0x21);
        send(&mut card, &apdu);
        enter_usim(&mut card, true);
        assert_eq!(send(&mut card, &apdu), "6110");
        let auts = send(&mut card, &hex::parse("00C0000010").unwrap());
        assert!(auts.starts_with("DC0E"), "{auts}");
    }

    #[test]
    fn a_power_cut_keeps_the_sqn_array_whole() {
        let card = card_in_usim(true);
        let apdu = authenticate_apdu(&card, 0x21);
        for n in 0..=4 {
            let mut cut = card.clone();
            cut.cut_power_after_writes(n);
            let answered = cut.process(&apdu).is_some();
            cut.power_on();
            let state = cut.store.load::<SqnState>(Slot::Sqn).unwrap();
            let accepted = state.seq_ms_at(1) == 1;
            assert_eq!(answered, n == 4, "cut after {n}");
            assert_eq!(accepted, n >= 2, "cut after {n}: the commit mark decides");
        }
    }

    #[test]
    fn needs_pin1_and_the_usim() {
        let mut card = card_in_usim(false);
        let apdu = authenticate_apdu(&card, 0x21);
        assert_eq!(send(&mut card, &apdu), "6982");
        let mut card = Card::new();
        card.power_on();
        assert_eq!(send(&mut card, &apdu), "6985");
    }

    #[test]
    fn sqn_array_round_trips_through_the_store_encoding() {
        let mut array = [0; usim::sqn::ARRAY_SIZE];
        array[3] = 0x0123_4567_89AB;
        let state = SqnState::from_array(array);
        assert_eq!(SqnState::decode(&state.encode()), Some(state));
        assert_eq!(SqnState::decode(&[0; 8]), None);
    }
}
