//! AUTHENTICATE (INS `88`, even instruction code) in the 3G security context:
//! 3GPP TS 31.102 §7.1.2 for the command and response coding, 3GPP TS 33.102 §6.3.3 for
//! what the USIM computes and checks, §6.3.5 for re-synchronisation and Annex C.2 for the
//! sequence number check (see [`super::sqn`]).
//!
//! ```text
//! command data   L1=10 RAND(16) L2=10 AUTN(16)          AUTN = SQN⊕AK(6) ‖ AMF(2) ‖ MAC-A(8)
//!
//!   AK = f5(RAND); SQN = (SQN⊕AK) ⊕ AK; XMAC = f1(SQN, RAND, AMF)
//!   XMAC ≠ MAC-A                  → 98 62                          (state unchanged)
//!   SQN out of range (Annex C.2)  → DC 0E AUTS(14)        90 00    (state unchanged)
//!        AUTS = (SQN_MS ⊕ f5*(RAND)) ‖ f1*(SQN_MS, RAND, AMF = 0000)
//!   otherwise                     → DB 08 RES 10 CK 10 IK 90 00    (SEQ_MS(IND) := SEQ)
//! ```
//!
//! This USIM does not offer service n°27 (GSM access, TS 31.102 §4.2.8), so the success
//! template carries no Kc (TS 31.102 §7.1.2.1: "parameter present if and only if
//! service n°27 is available") and the GSM security context is not supported.
//!
//! Status words for refused commands (nothing is computed, no state changes):
//!
//! | condition                                                   | SW    | clause |
//! |-------------------------------------------------------------|-------|--------|
//! | P1 ≠ `00`                                                   | 6A 86 | TS 102 221 §10.2.1.5, TS 31.102 §7.1.2 (P1 = '00') |
//! | P2 an RFU coding (not `80`, `81`, `82`, `84`)               | 6A 86 | TS 31.102 §7.1.2 table 1 |
//! | P2 `80` GSM, `82` VGCS/VBS, `84` GBA: context not supported | 98 64 | TS 31.102 §7.3.1 |
//! | data field not `L1 RAND L2 AUTN` exactly (missing or extra bytes) | 67 00 | TS 102 221 §10.2.1.5 (wrong length) |
//! | well-formed data but L1 ≠ 16 or L2 ≠ 16                      | 6A 80 | TS 102 221 §10.2.1.5 (incorrect parameters in the data field) |
//!
//! Responses come with `90 00`; turning that into `61 XX` and GET RESPONSE on T=0 is the
//! card's business, as for every case 4 command.

use super::milenage::Milenage;
use super::sqn::{sqn_from_bytes, sqn_to_bytes, SqnRejection, SqnState};
use crate::wire::apdu::{CommandApdu, ResponseApdu};
use crate::wire::status::StatusWord;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// INS of AUTHENTICATE, even instruction code (TS 102 221 §10.1.2, TS 31.102 §7.1.2).
pub const INS_AUTHENTICATE: u8 = 0x88;

/// P2 for the 3G security context: b8 = 1 (specific reference data), b3–b1 = 001
/// (TS 31.102 §7.1.2 table 1).
pub const P2_3G_CONTEXT: u8 = 0x81;

/// P2 for the GSM security context (b3–b1 = 000), not supported by this USIM.
pub const P2_GSM_CONTEXT: u8 = 0x80;

/// `98 64` Authentication error, security context not supported (TS 31.102 §7.3.1).
pub const SECURITY_CONTEXT_NOT_SUPPORTED: StatusWord = StatusWord(0x9864);

/// Tag of the "successful 3G authentication" template (TS 31.102 §7.1.2.1).
pub const TAG_SUCCESS: u8 = 0xDB;

/// Tag of the "synchronisation failure" template (TS 31.102 §7.1.2.1).
pub const TAG_SYNC_FAILURE: u8 = 0xDC;

/// The AMF of MAC-S in AUTS: the dummy value of all zeros (TS 33.102 §6.3.3).
pub const RESYNC_AMF: [u8; 2] = [0x00, 0x00];

/// What one AUTHENTICATE did: the response to send, the sequence number state to persist
/// (only when it changed), and what happened, for narration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authentication {
    pub response: ResponseApdu,
    /// The new [`SqnState`] after a successful authentication; `None` when nothing is to
    /// be written.
    pub new_state: Option<SqnState>,
    pub outcome: Outcome,
}

/// The result of an AUTHENTICATE, in the terms of TS 33.102 §6.3.3.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// MAC-A verified and SQN in range: RES, CK and IK returned (`DB` template).
    Authenticated { sqn: u64 },
    /// MAC-A verified but SQN out of range: AUTS returned (`DC` template).
    SynchronisationFailure {
        sqn: u64,
        sqn_ms: u64,
        reason: SqnRejection,
    },
    /// XMAC ≠ MAC-A: `98 62`.
    MacFailure,
    /// The command was refused before any computation; the status word says why.
    Refused { reason: String },
}

/// AUTHENTICATE as the USIM runs it (TS 31.102 §7.1.2, TS 33.102 §6.3.3). `state` is the
/// current SEQ_MS array; it is never modified here: on success the next state is returned
/// in [`Authentication::new_state`] for the card to persist. CLA and INS are the
/// caller's to check; this looks at P1, P2 and the data field.
pub fn authenticate(keys: &Milenage, state: &SqnState, command: &CommandApdu) -> Authentication {
    if command.p1 != 0x00 {
        return refused(StatusWord::INCORRECT_P1_P2, "P1 must be 00");
    }
    match command.p2 {
        P2_3G_CONTEXT => {}
        P2_GSM_CONTEXT => {
            return refused(
                SECURITY_CONTEXT_NOT_SUPPORTED,
                "GSM security context: service n°27 (GSM access) not available",
            )
        }
        0x82 | 0x84 => {
            return refused(
                SECURITY_CONTEXT_NOT_SUPPORTED,
                "VGCS/VBS and GBA security contexts are not supported",
            )
        }
        _ => return refused(StatusWord::INCORRECT_P1_P2, "P2 is an RFU coding"),
    }
    let (rand, autn) = match parse_challenge(&command.data) {
        Ok(challenge) => challenge,
        Err((sw, reason)) => return refused(sw, reason),
    };
    authenticate_3g(keys, state, &rand, &autn)
}

/// The USIM side of UMTS AKA once RAND and AUTN are read (TS 33.102 §6.3.3).
pub fn authenticate_3g(
    keys: &Milenage,
    state: &SqnState,
    rand: &[u8; 16],
    autn: &[u8; 16],
) -> Authentication {
    let (sqn_xor_ak, amf, mac_a) = split_autn(autn);
    let (res, ck, ik, ak) = keys.f2345(rand);
    let sqn_bytes: [u8; 6] = std::array::from_fn(|i| sqn_xor_ak[i] ^ ak[i]);
    let xmac = keys.f1(rand, &sqn_bytes, &amf);
    if !bool::from(xmac.ct_eq(&mac_a)) {
        return Authentication {
            response: ResponseApdu::status(StatusWord::AUTHENTICATION_ERROR),
            new_state: None,
            outcome: Outcome::MacFailure,
        };
    }
    let sqn = sqn_from_bytes(sqn_bytes);
    match state.check(sqn) {
        Ok(next) => {
            let mut data = Vec::with_capacity(44);
            data.extend([TAG_SUCCESS, res.len() as u8]);
            data.extend(res);
            data.push(ck.len() as u8);
            data.extend(ck);
            data.push(ik.len() as u8);
            data.extend(ik);
            Authentication {
                response: ResponseApdu::new(data, StatusWord::NO_ERROR),
                new_state: Some(next),
                outcome: Outcome::Authenticated { sqn },
            }
        }
        Err(reason) => {
            let sqn_ms = state.sqn_ms();
            let auts = auts(keys, rand, sqn_ms);
            let mut data = Vec::with_capacity(16);
            data.extend([TAG_SYNC_FAILURE, auts.len() as u8]);
            data.extend(auts);
            Authentication {
                response: ResponseApdu::new(data, StatusWord::NO_ERROR),
                new_state: None,
                outcome: Outcome::SynchronisationFailure {
                    sqn,
                    sqn_ms,
                    reason,
                },
            }
        }
    }
}

/// AUTS = Conc(SQN_MS) ‖ MAC-S with Conc(SQN_MS) = SQN_MS ⊕ f5*(RAND) and
/// MAC-S = f1*(SQN_MS ‖ RAND ‖ AMF = 0000) (TS 33.102 §6.3.3, §6.3.5).
pub fn auts(keys: &Milenage, rand: &[u8; 16], sqn_ms: u64) -> [u8; 14] {
    let sqn_ms = sqn_to_bytes(sqn_ms);
    let ak_star = keys.f5_star(rand);
    let mac_s = keys.f1_star(rand, &sqn_ms, &RESYNC_AMF);
    let mut auts = [0u8; 14];
    for (i, byte) in auts.iter_mut().take(6).enumerate() {
        *byte = sqn_ms[i] ^ ak_star[i];
    }
    auts[6..].copy_from_slice(&mac_s);
    auts
}

/// The network side (HE/AuC, TS 33.102 §6.3.2): AUTN = SQN ⊕ AK ‖ AMF ‖ MAC-A for a
/// given RAND, SQN and AMF.
pub fn make_autn(keys: &Milenage, rand: &[u8; 16], sqn: u64, amf: [u8; 2]) -> [u8; 16] {
    let sqn = sqn_to_bytes(sqn);
    let ak = keys.f5(rand);
    let mac_a = keys.f1(rand, &sqn, &amf);
    let mut autn = [0u8; 16];
    for (i, byte) in autn.iter_mut().take(6).enumerate() {
        *byte = sqn[i] ^ ak[i];
    }
    autn[6..8].copy_from_slice(&amf);
    autn[8..].copy_from_slice(&mac_a);
    autn
}

/// The network side of re-synchronisation (HE/AuC, TS 33.102 §6.3.5): recovers SQN_MS
/// from AUTS and verifies MAC-S; `None` when MAC-S is wrong.
pub fn check_auts(keys: &Milenage, rand: &[u8; 16], auts: &[u8; 14]) -> Option<u64> {
    let ak_star = keys.f5_star(rand);
    let sqn_ms: [u8; 6] = std::array::from_fn(|i| auts[i] ^ ak_star[i]);
    let mac_s: [u8; 8] = std::array::from_fn(|i| auts[6 + i]);
    let xmac_s = keys.f1_star(rand, &sqn_ms, &RESYNC_AMF);
    bool::from(xmac_s.ct_eq(&mac_s)).then(|| sqn_from_bytes(sqn_ms))
}

/// A status word and the reason for it, for a command refused before any computation.
type Refusal = (StatusWord, &'static str);

/// The command data of the 3G context: `L1 RAND L2 AUTN` (TS 31.102 §7.1.2.1).
fn parse_challenge(data: &[u8]) -> Result<([u8; 16], [u8; 16]), Refusal> {
    const WRONG_LENGTH: Refusal = (
        StatusWord::WRONG_LENGTH,
        "data field is not L1 RAND L2 AUTN",
    );
    let (&l1, rest) = data.split_first().ok_or(WRONG_LENGTH)?;
    let l1 = usize::from(l1);
    let (rand, rest) = rest.split_at_checked(l1).ok_or(WRONG_LENGTH)?;
    let (&l2, autn) = rest.split_first().ok_or(WRONG_LENGTH)?;
    if autn.len() != usize::from(l2) {
        return Err(WRONG_LENGTH);
    }
    let rand: [u8; 16] = rand.try_into().map_err(|_| {
        (
            StatusWord::INCORRECT_DATA,
            "RAND must be 16 bytes (TS 33.102 §6.3.2)",
        )
    })?;
    let autn: [u8; 16] = autn.try_into().map_err(|_| {
        (
            StatusWord::INCORRECT_DATA,
            "AUTN must be 16 bytes (TS 33.102 §6.3.2)",
        )
    })?;
    Ok((rand, autn))
}

/// AUTN = SQN⊕AK (6) ‖ AMF (2) ‖ MAC-A (8) (TS 33.102 §6.3.2).
fn split_autn(autn: &[u8; 16]) -> ([u8; 6], [u8; 2], [u8; 8]) {
    (
        std::array::from_fn(|i| autn[i]),
        [autn[6], autn[7]],
        std::array::from_fn(|i| autn[8 + i]),
    )
}

fn refused(sw: StatusWord, reason: &str) -> Authentication {
    Authentication {
        response: ResponseApdu::status(sw),
        new_state: None,
        outcome: Outcome::Refused {
            reason: reason.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::sqn::sqn_from_parts;
    use super::*;

    fn h<const N: usize>(text: &str) -> [u8; N] {
        hex::decode(text).expect("hex").try_into().expect("length")
    }

    /// TS 35.208 test set 1 keys and RAND.
    fn keys() -> Milenage {
        Milenage::from_op(
            h("465b5ce8b199b49faa5f0a2ee238a6bc"),
            h("cdc202d5123e20f62b6d676ac72cb318"),
        )
    }

    fn rand() -> [u8; 16] {
        h("23553cbe9637a89d218ae64dae47bf35")
    }

    fn command(p2: u8, rand: &[u8; 16], autn: &[u8; 16]) -> CommandApdu {
        let mut data = vec![16];
        data.extend(rand);
        data.push(16);
        data.extend(autn);
        CommandApdu::new(0x00, INS_AUTHENTICATE, 0x00, p2)
            .with_data(data)
            .with_le(256)
    }

    #[test]
    fn returns_res_ck_ik_in_db_template_and_new_state() {
        // Test set 1 vectors with a state in which its SQN is fresh and within Δ.
        let sqn = 0xff9b_b4d0_b607u64;
        let seq = sqn >> 5;
        let mut array = [0; 32];
        array[0] = seq - 10;
        let state = SqnState::from_array(array);
        let autn = [
            h::<6>("ff9bb4d0b607")
                .iter()
                .zip(h::<6>("aa689c648370"))
                .map(|(s, a)| s ^ a)
                .collect::<Vec<u8>>(),
            h::<2>("b9b9").to_vec(),
            h::<8>("4a9ffac354dfafb3").to_vec(),
        ]
        .concat();
        let autn: [u8; 16] = autn.try_into().unwrap();
        let result = authenticate(&keys(), &state, &command(0x81, &rand(), &autn));
        let mut expected = vec![0xDB, 0x08];
        expected.extend(h::<8>("a54211d5e3ba50bf"));
        expected.push(0x10);
        expected.extend(h::<16>("b40ba9a3c58b2a05bbf0d987b21bf8cb"));
        expected.push(0x10);
        expected.extend(h::<16>("f769bcd751044604127672711c6d3441"));
        assert_eq!(expected.len(), 44);
        assert_eq!(result.response.data, expected);
        assert_eq!(result.response.sw, StatusWord::NO_ERROR);
        assert_eq!(result.outcome, Outcome::Authenticated { sqn });
        let next = result.new_state.expect("state to persist");
        assert_eq!(next.seq_ms_at(7), seq, "IND = 7 (SQN ends in 0x07)");
        assert_eq!(next.sqn_ms(), sqn);
    }

    #[test]
    fn network_side_builds_autn_of_test_set_1() {
        // SQN ⊕ AK = ff9bb4d0b607 ⊕ aa689c648370, then AMF b9b9, then MAC-A (f1).
        let autn = make_autn(&keys(), &rand(), 0xff9b_b4d0_b607, h("b9b9"));
        assert_eq!(hex::encode(autn), "55f328b43577b9b94a9ffac354dfafb3");
    }

    #[test]
    fn accepts_autn_built_by_the_network_side() {
        let keys = keys();
        let mut state = SqnState::new();
        for (n, seq) in [1u64, 2, 3].into_iter().enumerate() {
            let rand = [n as u8; 16];
            let sqn = sqn_from_parts(seq, 0);
            let autn = make_autn(&keys, &rand, sqn, [0x80, 0x00]);
            let result = authenticate(&keys, &state, &command(0x81, &rand, &autn));
            assert_eq!(result.outcome, Outcome::Authenticated { sqn });
            let (res, ck, ik, _) = keys.f2345(&rand);
            assert_eq!(&result.response.data[2..10], &res, "RES = XRES");
            assert_eq!(&result.response.data[11..27], &ck);
            assert_eq!(&result.response.data[28..44], &ik);
            state = result.new_state.expect("new state");
        }
        assert_eq!(state.seq_ms_at(0), 3);
    }

    #[test]
    fn wrong_mac_gives_9862_and_no_state_change() {
        let keys = keys();
        let state = SqnState::new();
        let mut autn = make_autn(&keys, &rand(), sqn_from_parts(1, 0), [0x80, 0x00]);
        autn[15] ^= 0x01;
        let result = authenticate(&keys, &state, &command(0x81, &rand(), &autn));
        assert_eq!(result.response.emit(), vec![0x98, 0x62]);
        assert_eq!(result.new_state, None);
        assert_eq!(result.outcome, Outcome::MacFailure);
    }

    #[test]
    fn mac_failure_is_reported_before_sqn_check() {
        // A replayed SQN with a bad MAC is a MAC failure, not a resynchronisation.
        let keys = keys();
        let sqn = sqn_from_parts(1, 0);
        let state = SqnState::new().check(sqn).expect("setup");
        let mut autn = make_autn(&keys, &rand(), sqn, [0x80, 0x00]);
        autn[8] ^= 0x80;
        let result = authenticate(&keys, &state, &command(0x81, &rand(), &autn));
        assert_eq!(result.response.sw, StatusWord::AUTHENTICATION_ERROR);
        assert!(result.response.data.is_empty());
    }

    #[test]
    fn replayed_autn_gives_dc_template_with_verifiable_auts() {
        let keys = keys();
        let rand = rand();
        let sqn = sqn_from_parts(42, 3);
        let autn = make_autn(&keys, &rand, sqn, [0x80, 0x00]);
        let first = authenticate(&keys, &SqnState::new(), &command(0x81, &rand, &autn));
        let state = first.new_state.expect("accepted once");
        let replay = authenticate(&keys, &state, &command(0x81, &rand, &autn));
        assert_eq!(replay.new_state, None, "no state change");
        assert_eq!(replay.response.sw, StatusWord::NO_ERROR);
        let data = &replay.response.data;
        assert_eq!(data.len(), 16);
        assert_eq!(&data[..2], &[0xDC, 0x0E]);
        // Recompute independently: SQN_MS = AUTS[0..6] ⊕ AK*, MAC-S = f1*(SQN_MS, RAND, 0000).
        let ak_star = keys.f5_star(&rand);
        let sqn_ms: [u8; 6] = std::array::from_fn(|i| data[2 + i] ^ ak_star[i]);
        assert_eq!(
            sqn_from_bytes(sqn_ms),
            sqn,
            "SQN_MS is the SQN accepted before"
        );
        assert_eq!(
            &data[8..16],
            &keys.f1_star(&rand, &sqn_ms, &[0x00, 0x00]),
            "MAC-S uses the dummy AMF 0000"
        );
        assert_eq!(
            replay.outcome,
            Outcome::SynchronisationFailure {
                sqn,
                sqn_ms: sqn,
                reason: SqnRejection::NotFresh {
                    ind: 3,
                    seq: 42,
                    seq_ms_ind: 42
                }
            }
        );
        let auts: [u8; 14] = data[2..].try_into().unwrap();
        assert_eq!(check_auts(&keys, &rand, &auts), Some(sqn));
    }

    #[test]
    fn sqn_far_ahead_gives_resynchronisation_with_sqn_ms_zero() {
        // Test set 1's SQN on a fresh card: SEQ is far beyond Δ = 2^28.
        let keys = keys();
        let autn = make_autn(&keys, &rand(), 0xff9b_b4d0_b607, h("b9b9"));
        let result = authenticate(&keys, &SqnState::new(), &command(0x81, &rand(), &autn));
        assert!(matches!(
            result.outcome,
            Outcome::SynchronisationFailure {
                sqn_ms: 0,
                reason: SqnRejection::TooFarAhead { .. },
                ..
            }
        ));
        let auts: [u8; 14] = result.response.data[2..].try_into().unwrap();
        assert_eq!(check_auts(&keys, &rand(), &auts), Some(0));
        let mut forged = auts;
        forged[13] ^= 1;
        assert_eq!(check_auts(&keys, &rand(), &forged), None);
    }

    #[test]
    fn refuses_unsupported_contexts_and_bad_parameters() {
        let keys = keys();
        let state = SqnState::new();
        let autn = make_autn(&keys, &rand(), 1 << 5, [0, 0]);
        for (p2, sw) in [
            (0x80, 0x9864),
            (0x82, 0x9864),
            (0x84, 0x9864),
            (0x01, 0x6A86),
            (0x83, 0x6A86),
            (0x85, 0x6A86),
            (0xC1, 0x6A86),
        ] {
            let result = authenticate(&keys, &state, &command(p2, &rand(), &autn));
            assert_eq!(result.response.sw, StatusWord(sw), "P2 {p2:02X}");
            assert!(result.response.data.is_empty());
            assert_eq!(result.new_state, None);
        }
        let mut bad_p1 = command(0x81, &rand(), &autn);
        bad_p1.p1 = 0x01;
        assert_eq!(
            authenticate(&keys, &state, &bad_p1).response.sw,
            StatusWord::INCORRECT_P1_P2
        );
    }

    #[test]
    fn malformed_data_gives_6700_and_wrong_field_lengths_give_6a80() {
        let keys = keys();
        let state = SqnState::new();
        let good = command(0x81, &rand(), &make_autn(&keys, &rand(), 1 << 5, [0, 0])).data;
        let mut trailing = good.clone();
        trailing.push(0);
        let mut short_rand = vec![8];
        short_rand.extend(&good[1..9]);
        short_rand.extend(&good[17..]);
        for (data, sw) in [
            (vec![], 0x6700),
            (vec![16], 0x6700),
            (good[..20].to_vec(), 0x6700),
            (good[..33].to_vec(), 0x6700),
            (trailing, 0x6700),
            (vec![0xFF; 34], 0x6700),
            (short_rand, 0x6A80),
            ([&good[..17], &[8], &good[18..26]].concat(), 0x6A80),
        ] {
            let mut apdu = CommandApdu::new(0, INS_AUTHENTICATE, 0, 0x81);
            apdu.data = data.clone();
            let result = authenticate(&keys, &state, &apdu);
            assert_eq!(result.response.sw, StatusWord(sw), "data {data:02X?}");
            assert_eq!(result.new_state, None);
        }
    }
}
