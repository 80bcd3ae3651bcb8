//! Sequence number management in the USIM: 3GPP TS 33.102 Annex C, the scheme of
//! Annex C.1 (SQN = SEQ ‖ IND) verified as Annex C.2 says.
//!
//! ```text
//!  47                                   5 4     0
//! ┌──────────────────────────────────────┬───────┐
//! │ SEQ (43 bits)                        │ IND   │   SQN, 48 bits (TS 33.102 Annex C.1.1)
//! └──────────────────────────────────────┴───────┘
//! ```
//!
//! The USIM keeps an array SEQ_MS(0) … SEQ_MS(a−1) of the highest SEQ accepted for each
//! index value, a = 2^5 = 32 (IND of 5 bits, the length TS 33.102 Annex C.3.2 gives as
//! an example), every element zero at personalisation. A received SQN is accepted when
//! both hold (Annex C.2):
//!
//! 1. **wrap-around protection** (C.2.1): SEQ − SEQ_MS ≤ Δ, with SEQ_MS the highest SEQ
//!    in the whole array and Δ = 2^28;
//! 2. **freshness** (C.2.2): SEQ > SEQ_MS(IND); on acceptance SEQ_MS(IND) := SEQ.
//!
//! Otherwise the USIM reports a synchronisation failure carrying SQN_MS, the highest
//! previously accepted sequence number anywhere in the array (SEQ ‖ IND of that element).
//! The optional age limit L of C.2.2 (SEQ_MS − SEQ < L) is not applied.
//!
//! The state is plain data so that the card persists it with the rest of its file system;
//! [`SqnState::check`] never changes it, it returns the next state.

use serde::{Deserialize, Serialize};

/// Number of bits of IND, the array index part of SQN (TS 33.102 Annex C.1.1, C.3.2).
pub const IND_BITS: u32 = 5;

/// Number of array elements a = 2^IND_BITS (TS 33.102 Annex C.2.2).
pub const ARRAY_SIZE: usize = 1 << IND_BITS;

/// Δ, the largest step SEQ may make above SEQ_MS (TS 33.102 Annex C.2.1): 2^28, as the
/// example values of Annex C.3.3 suggest.
pub const DELTA: u64 = 1 << 28;

/// The largest sequence number: 48 bits (TS 33.102 §6.3.2).
pub const SQN_MAX: u64 = (1 << 48) - 1;

/// The USIM's record of accepted sequence numbers: SEQ_MS(i) for i = 0 … 31
/// (TS 33.102 Annex C.2.2).
///
/// ```text
///            AUTHENTICATE with a genuine AUTN (MAC-A verified)
///                               │
///            SEQ − SEQ_MS ≤ Δ and SEQ > SEQ_MS(IND) ?
///                 yes │                      │ no
///     SEQ_MS(IND) := SEQ                     state unchanged,
///     (the card persists the new state)      AUTS carries SQN_MS
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SqnState {
    seq_ms: [u64; ARRAY_SIZE],
}

/// Why a sequence number was not accepted (TS 33.102 Annex C.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SqnRejection {
    /// SEQ ≤ SEQ_MS(IND): the sequence number was used already, or an older one was
    /// (Annex C.2.2).
    NotFresh { ind: u8, seq: u64, seq_ms_ind: u64 },
    /// SEQ − SEQ_MS > Δ: an arbitrary jump ahead the USIM refuses (Annex C.2.1).
    TooFarAhead { seq: u64, seq_ms: u64 },
}

impl std::fmt::Display for SqnRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            SqnRejection::NotFresh {
                ind,
                seq,
                seq_ms_ind,
            } => write!(
                f,
                "SEQ {seq} is not above SEQ_MS({ind}) = {seq_ms_ind} (TS 33.102 Annex C.2.2)"
            ),
            SqnRejection::TooFarAhead { seq, seq_ms } => write!(
                f,
                "SEQ {seq} is more than Δ = 2^28 above SEQ_MS = {seq_ms} (TS 33.102 Annex C.2.1)"
            ),
        }
    }
}

impl SqnState {
    /// The state at personalisation: every SEQ_MS(i) zero.
    pub fn new() -> SqnState {
        SqnState::default()
    }

    /// A state with the given array, e.g. from a card profile; SEQ_MS(i) is element i.
    pub fn from_array(seq_ms: [u64; ARRAY_SIZE]) -> SqnState {
        SqnState { seq_ms }
    }

    /// The whole array SEQ_MS(0) … SEQ_MS(31).
    pub fn array(&self) -> &[u64; ARRAY_SIZE] {
        &self.seq_ms
    }

    /// SEQ_MS(ind), the highest SEQ accepted with that index (0 when `ind` ≥ 32).
    pub fn seq_ms_at(&self, ind: usize) -> u64 {
        self.seq_ms.get(ind).copied().unwrap_or(0)
    }

    /// SEQ_MS, the highest SEQ accepted anywhere in the array.
    pub fn seq_ms(&self) -> u64 {
        self.seq_ms.iter().copied().max().unwrap_or(0)
    }

    /// SQN_MS, the highest previously accepted sequence number (SEQ ‖ IND of the array
    /// element holding it; 0 while nothing was accepted), the value a synchronisation
    /// failure reports (TS 33.102 §6.3.5, Annex C.2.2).
    pub fn sqn_ms(&self) -> u64 {
        self.seq_ms
            .iter()
            .zip(0u64..)
            .filter(|(seq, _)| **seq > 0)
            .map(|(seq, ind)| ((*seq).min(SQN_MAX >> IND_BITS) << IND_BITS) | ind)
            .max()
            .unwrap_or(0)
    }

    /// Verifies a received SQN (48 bits; higher bits are ignored) as TS 33.102 Annex C.2
    /// says and returns the state after accepting it. `self` is never changed.
    pub fn check(&self, sqn: u64) -> Result<SqnState, SqnRejection> {
        let sqn = sqn & SQN_MAX;
        let seq = sqn >> IND_BITS;
        let ind = (sqn & (ARRAY_SIZE as u64 - 1)) as usize;
        let seq_ms = self.seq_ms();
        if seq.saturating_sub(seq_ms) > DELTA {
            return Err(SqnRejection::TooFarAhead { seq, seq_ms });
        }
        let seq_ms_ind = self.seq_ms_at(ind);
        if seq <= seq_ms_ind {
            return Err(SqnRejection::NotFresh {
                ind: ind as u8,
                seq,
                seq_ms_ind,
            });
        }
        let mut next = self.clone();
        if let Some(slot) = next.seq_ms.get_mut(ind) {
            *slot = seq;
        }
        Ok(next)
    }
}

/// SQN from its 6 bytes, most significant first.
pub fn sqn_from_bytes(bytes: [u8; 6]) -> u64 {
    bytes.iter().fold(0, |acc, b| (acc << 8) | u64::from(*b))
}

/// The 6 bytes of a 48-bit SQN, most significant first (bits above 48 are dropped).
pub fn sqn_to_bytes(sqn: u64) -> [u8; 6] {
    let b = sqn.to_be_bytes();
    [b[2], b[3], b[4], b[5], b[6], b[7]]
}

/// SQN = SEQ ‖ IND (TS 33.102 Annex C.1.1); SEQ is cut to 43 bits, IND to 5.
pub fn sqn_from_parts(seq: u64, ind: u8) -> u64 {
    ((seq << IND_BITS) | (u64::from(ind) & (ARRAY_SIZE as u64 - 1))) & SQN_MAX
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_increasing_seq_and_records_it_per_index() {
        let state = SqnState::new();
        let state = state.check(sqn_from_parts(1, 0)).expect("first");
        let state = state.check(sqn_from_parts(2, 0)).expect("second");
        assert_eq!(state.seq_ms_at(0), 2);
        assert_eq!(state.sqn_ms(), sqn_from_parts(2, 0));
    }

    #[test]
    fn rejects_replayed_sequence_number_without_changing_state() {
        let state = SqnState::new().check(sqn_from_parts(5, 3)).expect("fresh");
        let before = state.clone();
        assert_eq!(
            state.check(sqn_from_parts(5, 3)),
            Err(SqnRejection::NotFresh {
                ind: 3,
                seq: 5,
                seq_ms_ind: 5
            })
        );
        assert_eq!(state, before);
    }

    #[test]
    fn accepts_older_seq_under_another_index() {
        // Annex C.2.2 note 1: vectors used out of order in different serving nodes.
        let state = SqnState::new().check(sqn_from_parts(9, 1)).expect("fresh");
        let state = state.check(sqn_from_parts(4, 2)).expect("other index");
        assert_eq!(state.seq_ms_at(2), 4);
        assert_eq!(
            state.sqn_ms(),
            sqn_from_parts(9, 1),
            "SQN_MS is the highest"
        );
        assert!(state.check(sqn_from_parts(3, 1)).is_err());
    }

    #[test]
    fn rejects_jump_beyond_delta() {
        let state = SqnState::new();
        assert!(state.check(sqn_from_parts(DELTA, 0)).is_ok(), "exactly Δ");
        assert_eq!(
            state.check(sqn_from_parts(DELTA + 1, 0)),
            Err(SqnRejection::TooFarAhead {
                seq: DELTA + 1,
                seq_ms: 0
            })
        );
    }

    #[test]
    fn sqn_ms_is_zero_before_any_acceptance() {
        assert_eq!(SqnState::new().sqn_ms(), 0);
    }

    #[test]
    fn sqn_bytes_round_trip() {
        let bytes = [0xff, 0x9b, 0xb4, 0xd0, 0xb6, 0x07];
        assert_eq!(sqn_from_bytes(bytes), 0xff9b_b4d0_b607);
        assert_eq!(sqn_to_bytes(0xff9b_b4d0_b607), bytes);
    }

    #[test]
    fn state_survives_json_round_trip() {
        let state = SqnState::new().check(sqn_from_parts(7, 31)).expect("fresh");
        let text = serde_json::to_string(&state).expect("serialises");
        let back: SqnState = serde_json::from_str(&text).expect("deserialises");
        assert_eq!(back, state);
    }

    #[test]
    fn out_of_range_stored_values_do_not_panic() {
        let text = format!(
            "{{\"seq_ms\":[{}]}}",
            vec![u64::MAX.to_string(); 32].join(",")
        );
        let state: SqnState = serde_json::from_str(&text).expect("deserialises");
        assert!(state.check(0).is_err());
        assert!(state.sqn_ms() <= SQN_MAX);
    }
}
