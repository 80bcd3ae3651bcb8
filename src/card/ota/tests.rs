//! The receiving entity against the shared vector, every PoR status code, replays,
//! tampering and length attacks.

use super::*;
use crate::wire::hex;
use crate::wire::ota::tests::{forge, vector_keys, KIC_KEY, KID_KEY, VECTOR_COMMAND, VECTOR_POR};
use crate::wire::ota::{
    open_response, secure_command, CcAlgorithm, CipherAlgorithm, CommandParams, MIN_RHL,
};

const TAR: Tar = Tar([0xB0, 0x00, 0x11]);
const AES_KIC: [u8; 16] = *b"AES KIc key 0001";
const AES_KID: [u8; 16] = *b"AES KID key 0001";

fn key_sets() -> Vec<KeyVersion> {
    vec![
        KeyVersion {
            version: 3,
            kic: Some(
                CipherKey::new(CipherAlgorithm::TripleDes2Key, hex::parse(KIC_KEY).unwrap())
                    .unwrap(),
            ),
            kid: Some(
                CcKey::new(CcAlgorithm::TripleDes2Key, hex::parse(KID_KEY).unwrap()).unwrap(),
            ),
        },
        KeyVersion {
            version: 1,
            kic: Some(CipherKey::new(CipherAlgorithm::Aes, AES_KIC.to_vec()).unwrap()),
            kid: Some(CcKey::new(CcAlgorithm::AesCmac, AES_KID.to_vec()).unwrap()),
        },
    ]
}

fn table(msl: u8) -> TarTable {
    TarTable::new(
        vec![TarEntry {
            tar: TAR,
            minimum_security: MinimumSecurityLevel::from_byte(msl),
        }],
        key_sets(),
    )
    .unwrap()
}

/// A command for TAR B00011 with the 3DES keys of the shared vector (key version 3).
fn command(spi: Spi, counter: u64, data: &[u8]) -> Vec<u8> {
    let params = CommandParams {
        spi,
        kic: 0x35,
        kid: 0x35,
        tar: TAR,
        counter,
        cc_len: None,
    };
    secure_command(&params, &vector_keys(), data).unwrap()
}

fn rejected(receipt: &Receipt) -> (&Rejection, Option<&Por>) {
    match receipt {
        Receipt::Rejected { rejection, por } => (rejection, por.as_ref()),
        Receipt::Accepted(a) => panic!("accepted: {a:?}"),
    }
}

/// An unprotected PoR: `02 71 00`, RPL 11, RHL 10, the TAR, zero CNTR and PCNTR.
fn assert_unprotected(por: &Por, status: PorStatus) {
    assert!(!por.secured);
    assert_eq!(por.status, status);
    let mut expected = vec![0x02, 0x71, 0x00, 0x00, 0x0B, MIN_RHL as u8];
    expected.extend(por.user_data[6..9].iter());
    expected.extend([0, 0, 0, 0, 0, 0, status.byte()]);
    assert_eq!(por.user_data, expected);
}

#[test]
fn accepts_the_shared_vector_and_answers_the_shared_por() {
    let receipt = receive(
        &hex::parse(VECTOR_COMMAND).unwrap(),
        &table(0x06),
        &CounterState::new(),
    );
    let accepted = receipt.accepted().expect("accepted");
    assert_eq!(accepted.data, hex::parse("00a40004023f00").unwrap());
    assert_eq!(accepted.new_counter, None, "SPI 06: no counter");
    let por = accepted
        .por(&[0x01, 0x61, 0x32])
        .unwrap()
        .expect("PoR required");
    assert_eq!(hex::compact(&por.user_data), VECTOR_POR.to_uppercase());
    assert_eq!(por.via, PorVia::DeliverReport);
    assert!(por.secured);
}

#[test]
fn unknown_tar_and_bad_checksum_answer_identically() {
    let packet = hex::parse(VECTOR_COMMAND).unwrap();
    let other_tar = TarTable::new(
        vec![TarEntry {
            tar: Tar([0xB0, 0x00, 0x12]),
            minimum_security: MinimumSecurityLevel::from_byte(0x06),
        }],
        key_sets(),
    )
    .unwrap();
    let unknown = receive(&packet, &other_tar, &CounterState::new());
    let mut forged = packet.clone();
    forged[20] ^= 0x01;
    let bad_cc = receive(&forged, &table(0x06), &CounterState::new());
    let mut other_key = packet.clone();
    other_key[5] = 0x95; // key version 9: not on the card
    let no_key = receive(&other_key, &table(0x06), &CounterState::new());
    assert_eq!(
        unknown.status(),
        PorStatus::TarUnknown,
        "inside: the standard's code"
    );
    assert_eq!(bad_cc.status(), PorStatus::ChecksumFailed);
    assert_eq!(no_key.status(), PorStatus::ChecksumFailed);
    let (_, unknown_por) = rejected(&unknown);
    let (_, bad_por) = rejected(&bad_cc);
    let (_, no_key_por) = rejected(&no_key);
    assert_eq!(unknown_por, bad_por, "outside: the same bytes");
    assert_eq!(bad_por, no_key_por);
    assert_unprotected(bad_por.unwrap(), PorStatus::ChecksumFailed);
}

#[test]
fn every_por_status_code_is_reached_through_receive() {
    let none = CounterState::new();
    let at = |value: u64| {
        let mut counters = CounterState::new();
        counters.set(TAR, value);
        counters
    };
    let spi_higher = Spi::new(0x16, 0x39);
    let spi_one_higher = Spi::new(0x1E, 0x39);
    // 00: accepted, PoR OK.
    let ok = receive(
        &command(spi_higher, 1, b"\x80\xF2\x00\x00\x00"),
        &table(0x16),
        &none,
    );
    let por = ok.accepted().unwrap().por(&[1, 0x90, 0]).unwrap().unwrap();
    assert_eq!(por.status, PorStatus::Ok);
    assert_eq!(por.via, PorVia::Submit, "SPI 39: PoR in an SMS-SUBMIT");
    let opened = open_response(&por.user_data, spi_higher, 0x35, 0x35, &vector_keys()).unwrap();
    assert_eq!(
        (opened.status, opened.counter, opened.data.as_slice()),
        (PorStatus::Ok, 1, &[1, 0x90, 0][..])
    );
    // 01: bad checksum.
    let mut forged = command(spi_higher, 2, b"x");
    let last = forged.len() - 1;
    forged[last] ^= 0x80;
    assert_eq!(
        receive(&forged, &table(0x16), &none).status(),
        PorStatus::ChecksumFailed
    );
    // 02: replay.
    assert_eq!(
        receive(&command(spi_higher, 5, b"x"), &table(0x16), &at(5)).status(),
        PorStatus::CounterLow
    );
    // 03: skipping ahead in mode 11.
    assert_eq!(
        receive(&command(spi_one_higher, 7, b"x"), &table(0x16), &at(5)).status(),
        PorStatus::CounterHigh
    );
    // 04: blocked.
    let blocked = receive(
        &command(spi_higher, COUNTER_MAX, b"x"),
        &table(0x16),
        &at(COUNTER_MAX),
    );
    assert_eq!(blocked.status(), PorStatus::CounterBlocked);
    // 05: ciphered part not a whole number of blocks.
    let mut odd = command(spi_higher, 9, b"x");
    odd.pop();
    let cpl = (odd.len() - 2) as u16;
    odd[..2].copy_from_slice(&cpl.to_be_bytes());
    assert_eq!(
        receive(&odd, &table(0x16), &none).status(),
        PorStatus::CipheringError
    );
    // 06: the header cannot be interpreted.
    let mut bad_cpl = command(spi_higher, 9, b"x");
    bad_cpl[1] ^= 0x40;
    assert_eq!(
        receive(&bad_cpl, &table(0x16), &none).status(),
        PorStatus::UnidentifiedSecurityError
    );
    // 07 and 08: reported by the application after execution.
    let accepted = ok.accepted().unwrap();
    for (execution, status) in [
        (Execution::InsufficientMemory, PorStatus::InsufficientMemory),
        (Execution::MoreTime, PorStatus::MoreTime),
    ] {
        let por = accepted.por_with(execution, &[]).unwrap().unwrap();
        let opened = open_response(&por.user_data, spi_higher, 0x35, 0x35, &vector_keys()).unwrap();
        assert_eq!(opened.status, status);
        assert!(opened.protected);
    }
    // 09: unknown TAR (sent as 01).
    let empty = TarTable::new(vec![], key_sets()).unwrap();
    let unknown = receive(&command(spi_higher, 1, b"x"), &empty, &none);
    assert_eq!(unknown.status(), PorStatus::TarUnknown);
    assert_eq!(
        rejected(&unknown).1.unwrap().status,
        PorStatus::ChecksumFailed
    );
    // 0A: below the TAR's minimum security level.
    let weak = receive(&command(Spi::new(0x06, 0x39), 1, b"x"), &table(0x16), &none);
    assert_eq!(weak.status(), PorStatus::InsufficientSecurityLevel);
    assert_unprotected(
        rejected(&weak).1.unwrap(),
        PorStatus::InsufficientSecurityLevel,
    );
}

#[test]
fn replays_under_each_counter_mode() {
    let table = table(0x02);
    // 00 and 01: no replay checking, no counter kept (why a TAR should demand 10 or 11).
    for first in [0x06u8, 0x0E] {
        let packet = command(Spi::new(first, 0x00), 3, b"x");
        let counters = CounterState::new();
        for _ in 0..2 {
            let receipt = receive(&packet, &table, &counters);
            assert!(receipt.accepted().is_some(), "{first:02X}");
            assert_eq!(receipt.new_counter(), None);
        }
    }
    // 10: higher than the card's.
    let mut counters = CounterState::new();
    let packet = command(Spi::new(0x16, 0x00), 5, b"x");
    let first = receive(&packet, &table, &counters);
    assert_eq!(first.new_counter(), Some((TAR, 5)));
    counters.apply(first.accepted().unwrap());
    assert_eq!(counters.get(TAR), 5);
    assert!(matches!(
        rejected(&receive(&packet, &table, &counters)).0,
        Rejection::CounterLow {
            received: 5,
            stored: 5
        }
    ));
    assert_eq!(
        receive(&command(Spi::new(0x16, 0), 4, b"x"), &table, &counters).status(),
        PorStatus::CounterLow
    );
    assert_eq!(
        receive(&command(Spi::new(0x16, 0), 900, b"x"), &table, &counters).new_counter(),
        Some((TAR, 900))
    );
    // 11: exactly one higher.
    let spi = Spi::new(0x1E, 0x00);
    assert_eq!(
        receive(&command(spi, 5, b"x"), &table, &counters).status(),
        PorStatus::CounterLow
    );
    assert_eq!(
        receive(&command(spi, 7, b"x"), &table, &counters).status(),
        PorStatus::CounterHigh
    );
    let next = receive(&command(spi, 6, b"x"), &table, &counters);
    assert_eq!(next.new_counter(), Some((TAR, 6)));
    counters.apply(next.accepted().unwrap());
    assert_eq!(
        receive(&command(spi, 6, b"x"), &table, &counters).status(),
        PorStatus::CounterLow
    );
    assert!(receive(&command(spi, 7, b"x"), &table, &counters)
        .accepted()
        .is_some());
    // At the maximum: blocked for ever, in both modes.
    counters.set(TAR, COUNTER_MAX);
    for spi in [Spi::new(0x16, 0), spi] {
        assert_eq!(
            receive(&command(spi, COUNTER_MAX, b"x"), &table, &counters).status(),
            PorStatus::CounterBlocked
        );
    }
}

#[test]
fn a_one_bit_flip_anywhere_is_rejected_with_no_state_change() {
    let table = table(0x16);
    let counters = CounterState::new();
    let packet = command(Spi::new(0x16, 0x39), 1, b"\x00\xB0\x00\x00\x0A");
    assert!(receive(&packet, &table, &counters).accepted().is_some());
    for i in 0..packet.len() {
        for bit in 0..8 {
            let mut bad = packet.clone();
            bad[i] ^= 1 << bit;
            let receipt = receive(&bad, &table, &counters);
            assert_eq!(receipt.new_counter(), None, "byte {i} bit {bit}");
            let (_, por) = rejected(&receipt);
            if let Some(por) = por {
                assert_unprotected(por, por.status);
            }
        }
    }
}

#[test]
fn minimum_security_level_is_enforced_per_tar() {
    let open_tar = Tar([0xB0, 0x00, 0x01]);
    let strict_tar = Tar([0xB0, 0x00, 0x02]);
    let table = TarTable::new(
        vec![
            TarEntry {
                tar: open_tar,
                minimum_security: MinimumSecurityLevel::from_byte(0x02),
            },
            TarEntry {
                tar: strict_tar,
                minimum_security: MinimumSecurityLevel::from_byte(0x16),
            },
        ],
        key_sets(),
    )
    .unwrap();
    let to = |tar: Tar, spi: Spi| {
        let params = CommandParams {
            spi,
            kic: 0x35,
            kid: 0x35,
            tar,
            counter: 1,
            cc_len: None,
        };
        receive(
            &secure_command(&params, &vector_keys(), b"x").unwrap(),
            &table,
            &CounterState::new(),
        )
    };
    for (spi, open_ok, strict_ok) in [
        (Spi::new(0x02, 0x01), true, false), // CC only
        (Spi::new(0x06, 0x01), true, false), // CC + ciphering, no counter
        (Spi::new(0x12, 0x01), true, false), // CC + counter, not ciphered
        (Spi::new(0x16, 0x01), true, true),
        (Spi::new(0x1E, 0x01), true, true), // stricter counter still meets "higher"
        (Spi::new(0x00, 0x01), false, false),
        (Spi::new(0x05, 0x01), false, false), // RC + ciphering
    ] {
        assert_eq!(
            to(open_tar, spi).accepted().is_some(),
            open_ok,
            "{spi:?} open"
        );
        let strict = to(strict_tar, spi);
        assert_eq!(strict.accepted().is_some(), strict_ok, "{spi:?} strict");
        if !strict_ok {
            assert_eq!(strict.status(), PorStatus::InsufficientSecurityLevel);
        }
    }
}

#[test]
fn tar_table_refuses_level_0_unauthenticated_levels_and_bad_keys() {
    let entry = |msl: u8| TarEntry {
        tar: TAR,
        minimum_security: MinimumSecurityLevel::from_byte(msl),
    };
    for msl in [0x00, 0x01, 0x04, 0x1D, 0x18] {
        assert!(
            matches!(
                TarTable::new(vec![entry(msl)], vec![]),
                Err(ConfigError::NoAuthentication { .. })
            ),
            "{msl:02X}"
        );
    }
    assert!(matches!(
        TarTable::new(vec![entry(0x03)], vec![]),
        Err(ConfigError::DigitalSignature { .. })
    ));
    assert!(matches!(
        TarTable::new(vec![entry(0x02), entry(0x16)], vec![]),
        Err(ConfigError::DuplicateTar(_))
    ));
    for version in [0u8, 16] {
        let sets = vec![KeyVersion {
            version,
            kic: None,
            kid: None,
        }];
        assert!(matches!(
            TarTable::new(vec![], sets),
            Err(ConfigError::BadKeyVersion { .. })
        ));
    }
    let mut twice = key_sets();
    twice[1].version = 3;
    assert!(TarTable::new(vec![], twice).is_err());
    let weak = KeyVersion {
        version: 2,
        kic: None,
        kid: Some(CcKey {
            algorithm: CcAlgorithm::TripleDes2Key,
            key: [[0x20u8; 8], [0x21; 8]].concat(),
        }),
    };
    let error = TarTable::new(vec![], vec![weak]).unwrap_err();
    assert!(error.to_string().contains("single DES"), "{error}");
    // Deserialized tables go through the same checks.
    let json = r#"{"tars":[{"tar":"B00011","minimum_security":{"integrity":"none","ciphering":false,"counter":"none"}}],"key_sets":[]}"#;
    let error = serde_json::from_str::<TarTable>(json)
        .unwrap_err()
        .to_string();
    assert!(error.contains("unauthenticated"), "{error}");
}

#[test]
fn tables_and_counters_are_plain_serde_data() {
    let table = table(0x16);
    let json = serde_json::to_string(&table).unwrap();
    assert!(json.contains(r#""tar":"B00011""#), "{json}");
    assert!(
        json.contains(r#""integrity":"cryptographic-checksum""#),
        "{json}"
    );
    assert!(json.contains(r#""counter":"higher""#), "{json}");
    assert_eq!(serde_json::from_str::<TarTable>(&json).unwrap(), table);
    let mut counters = CounterState::new();
    counters.set(TAR, 42);
    let json = serde_json::to_string(&counters).unwrap();
    assert_eq!(json, r#"{"B00011":42}"#);
    assert_eq!(
        serde_json::from_str::<CounterState>(&json).unwrap(),
        counters
    );
}

#[test]
fn single_des_and_other_refused_codings_get_06() {
    let packet = hex::parse(VECTOR_COMMAND).unwrap();
    for (at, value) in [(5, 0x31u8), (5, 0x3D), (5, 0x30), (6, 0x31), (3, 0x07)] {
        let mut bad = packet.clone();
        bad[at] = value;
        let receipt = receive(&bad, &table(0x06), &CounterState::new());
        let (rejection, por) = rejected(&receipt);
        assert!(
            matches!(rejection, Rejection::Unsupported(_)),
            "{at} {value:02X}: {rejection}"
        );
        assert_unprotected(por.unwrap(), PorStatus::UnidentifiedSecurityError);
    }
}

#[test]
fn length_attacks_are_rejected_without_execution_or_protected_por() {
    let table = table(0x06);
    let counters = CounterState::new();
    let good = hex::parse(VECTOR_COMMAND).unwrap();
    let mut attacks: Vec<(&str, Vec<u8>, PorStatus)> = Vec::new();
    for cpl in [0x0021u16, 0x001F, 0, 0xFFFF] {
        let mut bad = good.clone();
        bad[..2].copy_from_slice(&cpl.to_be_bytes());
        attacks.push(("CPL", bad, PorStatus::UnidentifiedSecurityError));
    }
    for chl in [0u8, 12, 13, 0x11, 0x16, 0xFF] {
        let mut bad = good.clone();
        bad[2] = chl;
        attacks.push(("CHL", bad, PorStatus::UnidentifiedSecurityError));
    }
    let mut odd = good.clone();
    odd.pop();
    odd[1] -= 1;
    attacks.push(("partial block", odd, PorStatus::CipheringError));
    let body = [0xA0, 0xA4, 0, 0, 2, 0x3F, 0x00, 0, 0, 0];
    attacks.push((
        "PCNTR",
        forge(Spi::new(0x06, 0x19), TAR, 0, 200, &body, true),
        PorStatus::UnidentifiedSecurityError,
    ));
    for (name, packet, status) in attacks {
        let receipt = receive(&packet, &table, &counters);
        let (rejection, por) = rejected(&receipt);
        assert_eq!(rejection.status(), status, "{name}: {rejection}");
        assert_unprotected(por.unwrap(), status);
    }
    // Too short to echo a TAR: no PoR at all.
    for len in 0..10 {
        let receipt = receive(&good[..len], &table, &counters);
        assert_eq!(rejected(&receipt).1, None, "{len}");
    }
}

#[test]
fn every_truncation_is_rejected_without_panic() {
    let packet = command(Spi::new(0x16, 0x39), 1, &[0xAB; 40]);
    for len in 0..packet.len() {
        let receipt = receive(&packet[..len], &table(0x16), &CounterState::new());
        assert!(receipt.accepted().is_none(), "{len}");
        assert_eq!(receipt.new_counter(), None);
    }
}

#[test]
fn por_request_decides_what_is_sent() {
    let table = table(0x06);
    let counters = CounterState::new();
    // No PoR: nothing on error, nothing on success.
    let quiet = command(Spi::new(0x06, 0x00), 0, b"x");
    let accepted = receive(&quiet, &table, &counters);
    assert_eq!(accepted.accepted().unwrap().por(&[]).unwrap(), None);
    let mut bad = quiet.clone();
    bad[12] ^= 1;
    assert_eq!(rejected(&receive(&bad, &table, &counters)).1, None);
    // PoR on error: none for success, one for an error status.
    let on_error = command(Spi::new(0x06, 0x1A), 0, b"x");
    let accepted = receive(&on_error, &table, &counters);
    let accepted = accepted.accepted().unwrap();
    assert_eq!(accepted.por(&[1, 0x90, 0]).unwrap(), None);
    assert!(accepted
        .por_with(Execution::MoreTime, &[])
        .unwrap()
        .is_some());
    let mut bad = on_error.clone();
    bad[12] ^= 1;
    assert!(rejected(&receive(&bad, &table, &counters)).1.is_some());
}

#[test]
fn aes_keys_work_end_to_end_and_stay_bound_to_their_algorithm() {
    let aes_keys = KeySet {
        kic: Some(CipherKey::new(CipherAlgorithm::Aes, AES_KIC.to_vec()).unwrap()),
        kid: Some(CcKey::new(CcAlgorithm::AesCmac, AES_KID.to_vec()).unwrap()),
    };
    let spi = Spi::new(0x1E, 0x39);
    let params = CommandParams {
        spi,
        kic: 0x12,
        kid: 0x12,
        tar: TAR,
        counter: 1,
        cc_len: None,
    };
    let packet = secure_command(&params, &aes_keys, b"\x00\xA4\x00\x04\x02\x3F\x00").unwrap();
    let receipt = receive(&packet, &table(0x16), &CounterState::new());
    let accepted = receipt.accepted().expect("AES packet accepted");
    let por = accepted.por(&[1, 0x90, 0]).unwrap().unwrap();
    let opened = open_response(&por.user_data, spi, 0x12, 0x12, &aes_keys).unwrap();
    assert_eq!(opened.data, [1, 0x90, 0]);
    // The same packet naming version 3 (3DES keys) for AES: no such key.
    let mut confused = packet.clone();
    confused[5] = 0x32;
    confused[6] = 0x32;
    assert_eq!(
        receive(&confused, &table(0x16), &CounterState::new()).status(),
        PorStatus::ChecksumFailed
    );
}
