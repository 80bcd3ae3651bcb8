//! The shared OTA vector (osmocom pySim, reproduced by an independent encoder) and
//! round trips over every SPI option and algorithm.

use super::*;
use crate::wire::hex;

pub(crate) const KIC_KEY: &str = "300102030405060708090a0b0c0d0e0f";
pub(crate) const KID_KEY: &str = "301102030405060708090a0b0c0d0e0f";
pub(crate) const VECTOR_COMMAND: &str =
    "00201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f";
pub(crate) const VECTOR_POR: &str =
    "027100001c12b000118bb989492c632529326a2f4681feb37c825bc9021c9f6d0b";

pub(crate) fn vector_keys() -> KeySet {
    KeySet::for_codings(
        0x35,
        0x35,
        Some(&hex::parse(KIC_KEY).unwrap()),
        Some(&hex::parse(KID_KEY).unwrap()),
    )
    .unwrap()
}

fn vector_params() -> CommandParams {
    CommandParams {
        spi: Spi::new(0x06, 0x19),
        kic: 0x35,
        kid: 0x35,
        tar: Tar([0xB0, 0x00, 0x11]),
        counter: 0,
        cc_len: None,
    }
}

#[test]
fn encodes_the_shared_command_vector_byte_for_byte() {
    let packet = secure_command(
        &vector_params(),
        &vector_keys(),
        &hex::parse("00a40004023f00").unwrap(),
    )
    .unwrap();
    assert_eq!(hex::compact(&packet), VECTOR_COMMAND.to_uppercase());
}

#[test]
fn opens_the_shared_command_vector() {
    let opened = open_command(&hex::parse(VECTOR_COMMAND).unwrap(), &vector_keys()).unwrap();
    assert_eq!(opened.data, hex::parse("00a40004023f00").unwrap());
    assert_eq!(opened.tar, Tar([0xB0, 0x00, 0x11]));
    assert_eq!(opened.counter, 0);
    assert_eq!(opened.pcntr, 3);
}

#[test]
fn opens_the_shared_por_vector() {
    let opened = open_response(
        &hex::parse(VECTOR_POR).unwrap(),
        Spi::new(0x06, 0x19),
        0x35,
        0x35,
        &vector_keys(),
    )
    .unwrap();
    assert_eq!(opened.status, PorStatus::Ok);
    assert!(opened.protected && opened.ciphered);
    let compact = CompactResponse::parse(&opened.data).unwrap();
    assert_eq!(compact.executed, 1);
    assert_eq!(compact.last_status.0, 0x6132);
}

#[test]
fn encodes_the_shared_por_vector_byte_for_byte() {
    let params = ResponseParams {
        spi: Spi::new(0x06, 0x19),
        kic: 0x35,
        kid: 0x35,
        tar: Tar([0xB0, 0x00, 0x11]),
        counter: 0,
        status: PorStatus::Ok,
        cc_len: None,
    };
    let por = secure_response(&params, &vector_keys(), &[0x01, 0x61, 0x32]).unwrap();
    assert_eq!(hex::compact(&por), VECTOR_POR.to_uppercase());
}

/// Every ciphering key the round trips use.
fn cipher_keys() -> Vec<CipherKey> {
    vec![
        CipherKey::new(CipherAlgorithm::TripleDes2Key, hex::parse(KIC_KEY).unwrap()).unwrap(),
        CipherKey::new(
            CipherAlgorithm::TripleDes3Key,
            (0x41..=0x58).collect::<Vec<u8>>(),
        )
        .unwrap(),
        CipherKey::new(CipherAlgorithm::Aes, (0..16).collect::<Vec<u8>>()).unwrap(),
        CipherKey::new(CipherAlgorithm::Aes, (0..24).collect::<Vec<u8>>()).unwrap(),
        CipherKey::new(CipherAlgorithm::Aes, (0..32).collect::<Vec<u8>>()).unwrap(),
    ]
}

/// Every CC key with the checksum length it is used with.
fn cc_keys() -> Vec<(CcKey, usize)> {
    vec![
        (
            CcKey::new(CcAlgorithm::TripleDes2Key, hex::parse(KID_KEY).unwrap()).unwrap(),
            8,
        ),
        (
            CcKey::new(
                CcAlgorithm::TripleDes3Key,
                (0x61..=0x78).collect::<Vec<u8>>(),
            )
            .unwrap(),
            8,
        ),
        (
            CcKey::new(CcAlgorithm::AesCmac, (0x10..0x20).collect::<Vec<u8>>()).unwrap(),
            8,
        ),
        (
            CcKey::new(CcAlgorithm::AesCmac, (0x10..0x28).collect::<Vec<u8>>()).unwrap(),
            8,
        ),
        (
            CcKey::new(CcAlgorithm::AesCmac, (0x10..0x30).collect::<Vec<u8>>()).unwrap(),
            4,
        ),
    ]
}

/// Every SPI without reserved bits, digital signature or reserved PoR request.
fn every_spi() -> Vec<Spi> {
    let integrities = [
        Integrity::None,
        Integrity::RedundancyCheck,
        Integrity::CryptographicChecksum,
    ];
    let counters = [
        CounterMode::None,
        CounterMode::Available,
        CounterMode::Higher,
        CounterMode::OneHigher,
    ];
    let mut out = Vec::new();
    for integrity in integrities {
        for ciphering in [false, true] {
            for counter in counters {
                for por in [PorRequest::None, PorRequest::Always, PorRequest::OnError] {
                    for por_integrity in integrities {
                        for por_ciphering in [false, true] {
                            for por_via in [PorVia::DeliverReport, PorVia::Submit] {
                                out.push(Spi::from_parts(SpiParts {
                                    integrity,
                                    ciphering,
                                    counter,
                                    por,
                                    por_integrity,
                                    por_ciphering,
                                    por_via,
                                }));
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_spi_round_trips_with_every_algorithm() {
    let spis = every_spi();
    assert_eq!(spis.len(), 3 * 2 * 4 * 3 * 3 * 2 * 2);
    let data = hex::parse("A0A40000023F00 A0B000000A 80F2000000").unwrap();
    let mut combinations = 0;
    for spi in spis {
        let (por_integrity, por_ciphering) = spi.por_protection();
        let uses = |i: Integrity| spi.integrity() == i || por_integrity == i;
        let mixed = uses(Integrity::RedundancyCheck) && uses(Integrity::CryptographicChecksum);
        let kids: Vec<(u8, Option<CcKey>, usize)> = if uses(Integrity::CryptographicChecksum) {
            cc_keys()
                .into_iter()
                .map(|(key, len)| (0x20 | key.algorithm.bits(), Some(key), len))
                .collect()
        } else if uses(Integrity::RedundancyCheck) {
            vec![(0x01, None, 2), (0x05, None, 4)]
        } else {
            vec![(0x00, None, 0)]
        };
        let kics: Vec<(u8, Option<CipherKey>)> = if spi.ciphering() || por_ciphering {
            cipher_keys()
                .into_iter()
                .map(|key| (0x10 | key.algorithm.bits(), Some(key)))
                .collect()
        } else {
            vec![(0x00, None)]
        };
        for (kic, kic_key) in &kics {
            for (kid, kid_key, len) in &kids {
                let keys = KeySet {
                    kic: kic_key.clone(),
                    kid: kid_key.clone(),
                };
                let params = CommandParams {
                    spi,
                    kic: *kic,
                    kid: *kid,
                    tar: Tar([0xB0, 0x00, 0x10]),
                    counter: 0x01_0203_0405,
                    cc_len: Some(*len).filter(|l| *l == 4),
                };
                let result = secure_command(&params, &keys, &data);
                if mixed {
                    assert!(
                        matches!(result, Err(SecurityError::Unsupported(_))),
                        "{spi:?}"
                    );
                    continue;
                }
                let packet = result.unwrap_or_else(|e| panic!("{spi:?} {kic:02X} {kid:02X}: {e}"));
                let opened = open_command(&packet, &keys).unwrap();
                assert_eq!(opened.data, data);
                assert_eq!(opened.counter, 0x01_0203_0405);
                if spi.integrity() != Integrity::None {
                    assert_eq!(opened.checksum.len(), opened.codings.command_check.len());
                }
                if spi.ciphering() {
                    let plain_at = CLEAR_HEADER_LEN + 6 + opened.checksum.len();
                    assert_ne!(&packet[plain_at..plain_at + 4], &data[..4], "ciphered");
                }
                let response = ResponseParams {
                    spi,
                    kic: *kic,
                    kid: *kid,
                    tar: params.tar,
                    counter: params.counter,
                    status: PorStatus::Ok,
                    cc_len: params.cc_len,
                };
                let por = secure_response(&response, &keys, &[0x03, 0x90, 0x00, 0xAB]).unwrap();
                let back = open_response(&por, spi, *kic, *kid, &keys).unwrap();
                assert_eq!(back.status, PorStatus::Ok);
                assert_eq!(back.data, [0x03, 0x90, 0x00, 0xAB]);
                assert_eq!(back.counter, 0x01_0203_0405);
                assert!(back.protected);
                assert_eq!(back.ciphered, por_ciphering);
                combinations += 1;
            }
        }
    }
    assert_eq!(combinations, 7936, "SPIs × KIc keys × KID keys");
}

#[test]
fn digital_signature_is_refused_with_a_clear_error() {
    let mut params = vector_params();
    params.spi = Spi::new(0x03, 0x00);
    let error = secure_command(&params, &vector_keys(), b"x").unwrap_err();
    assert!(error.to_string().contains("digital signature"), "{error}");
}

#[test]
fn single_des_implicit_and_proprietary_codings_are_refused() {
    let keys = KeySet::none();
    for (kic, kid, word) in [
        (0x11, 0x35, "single DES"),
        (0x1D, 0x35, "ECB"),
        (0x10, 0x35, "implicit"),
        (0x13, 0x35, "proprietary"),
        (0x35, 0x31, "single DES"),
        (0x35, 0x30, "implicit"),
    ] {
        let mut params = vector_params();
        params.kic = kic;
        params.kid = kid;
        let error = secure_command(&params, &keys, b"x").unwrap_err();
        assert!(matches!(error, SecurityError::Refused { .. }), "{error}");
        assert!(
            error.to_string().contains(word),
            "{kic:02X} {kid:02X}: {error}"
        );
    }
    assert!(KeySet::for_codings(0x11, 0x35, Some(&[1; 8][..]), None).is_err());
}

#[test]
fn wrong_keys_fail_the_checksum() {
    let packet = hex::parse(VECTOR_COMMAND).unwrap();
    let mut keys = vector_keys();
    keys.kid = Some(CcKey::new(CcAlgorithm::TripleDes2Key, hex::parse(KIC_KEY).unwrap()).unwrap());
    assert_eq!(
        open_command(&packet, &keys),
        Err(SecurityError::ChecksumFailed)
    );
    assert!(matches!(
        open_command(&packet, &KeySet::none()),
        Err(SecurityError::KeyMissing { which: "KIc" })
    ));
}

#[test]
fn every_one_bit_flip_in_a_command_is_rejected() {
    let packet = hex::parse(VECTOR_COMMAND).unwrap();
    for i in 0..packet.len() {
        for bit in 0..8 {
            let mut bad = packet.clone();
            bad[i] ^= 1 << bit;
            assert!(
                open_command(&bad, &vector_keys()).is_err(),
                "byte {i} bit {bit}"
            );
        }
    }
}

#[test]
fn every_truncation_and_extension_is_rejected_without_panic() {
    let packet = hex::parse(VECTOR_COMMAND).unwrap();
    for len in 0..packet.len() {
        assert!(
            open_command(&packet[..len], &vector_keys()).is_err(),
            "{len}"
        );
        assert!(
            describe_command(&packet[..len], Some(&vector_keys())).is_err(),
            "{len}"
        );
    }
    let mut longer = packet.clone();
    longer.push(0);
    assert!(open_command(&longer, &vector_keys()).is_err());
    let por = hex::parse(VECTOR_POR).unwrap();
    for len in 0..por.len() {
        let _ = open_response(
            &por[..len],
            Spi::new(0x06, 0x19),
            0x35,
            0x35,
            &vector_keys(),
        );
        let _ = describe_response(&por[..len], None);
    }
}

/// A command packet built by hand: any PCNTR, CHL and padding, the CC computed over
/// whatever was chosen, then ciphered with the vector keys when `cipher` is set.
pub(crate) fn forge(
    spi: Spi,
    tar: Tar,
    counter: u64,
    pcntr: u8,
    body: &[u8],
    cipher: bool,
) -> Vec<u8> {
    let keys = vector_keys();
    let cs = if spi.integrity() == Integrity::CryptographicChecksum {
        8
    } else {
        0
    };
    let cpl = 1 + 13 + cs + body.len();
    let mut header = (cpl as u16).to_be_bytes().to_vec();
    header.extend([13 + cs as u8, spi.0[0], spi.0[1], 0x35, 0x35]);
    header.extend(tar.0);
    let mut input = header.clone();
    input.extend(counter_bytes(counter));
    input.push(pcntr);
    input.extend(body);
    let mut secured = counter_bytes(counter).to_vec();
    secured.push(pcntr);
    if cs > 0 {
        let cc = crypto::checksum(keys.kid.as_ref().unwrap(), &input, 8).unwrap();
        secured.extend(cc);
    }
    secured.extend(body);
    if cipher {
        crypto::encipher(keys.kic.as_ref().unwrap(), &mut secured).unwrap();
    }
    header.extend(secured);
    header
}

#[test]
fn length_attacks_are_rejected() {
    let keys = vector_keys();
    let good = hex::parse(VECTOR_COMMAND).unwrap();
    // CPL larger and smaller than the bytes.
    for cpl in [0x0021u16, 0x001F, 0x0000, 0xFFFF] {
        let mut bad = good.clone();
        bad[..2].copy_from_slice(&cpl.to_be_bytes());
        assert!(
            matches!(open_command(&bad, &keys), Err(SecurityError::Malformed(_))),
            "{cpl:04X}"
        );
    }
    // CHL below 13, past the end, or not what the SPI asks for.
    for chl in [0u8, 12, 13, 0x14, 0x16, 0x20, 0xFF] {
        let mut bad = good.clone();
        bad[2] = chl;
        assert!(
            matches!(open_command(&bad, &keys), Err(SecurityError::Malformed(_))),
            "{chl:02X}"
        );
    }
    // Ciphertext that is not a whole number of blocks (CPL kept consistent).
    let mut odd = good.clone();
    odd.pop();
    odd[1] -= 1;
    assert!(matches!(
        open_command(&odd, &keys),
        Err(SecurityError::Ciphering(_))
    ));
    // PCNTR larger than the data, CC valid: refused after the checksum.
    let spi = Spi::new(0x06, 0x19);
    let body = [0xA0, 0xA4, 0, 0, 2, 0x3F, 0x00, 0, 0, 0];
    let forged = forge(spi, Tar([0xB0, 0, 0x11]), 0, 11, &body, true);
    assert_eq!(
        open_command(&forged, &keys),
        Err(SecurityError::BadPadding {
            pcntr: 11,
            available: 10
        })
    );
    let honest = forge(spi, Tar([0xB0, 0, 0x11]), 0, 3, &body, true);
    assert_eq!(open_command(&honest, &keys).unwrap().data, body[..7]);
    // Truncated header.
    assert!(matches!(
        open_command(&good[..9], &keys),
        Err(SecurityError::Malformed(_))
    ));
}

#[test]
fn aes_cmac_may_be_four_bytes_when_the_chl_says_so() {
    let keys = KeySet {
        kic: None,
        kid: Some(CcKey::new(CcAlgorithm::AesCmac, [0x5A; 16].to_vec()).unwrap()),
    };
    let mut params = vector_params();
    params.spi = Spi::new(0x02, 0x09);
    params.kid = 0x12;
    params.cc_len = Some(4);
    let packet = secure_command(&params, &keys, b"\x80\xF2\x00\x00\x00").unwrap();
    assert_eq!(packet[2], 13 + 4, "CHL counts the 4-byte CC");
    assert_eq!(open_command(&packet, &keys).unwrap().checksum.len(), 4);
    params.cc_len = Some(6);
    assert!(secure_command(&params, &keys, b"x").is_err());
    let mut triple = vector_params();
    triple.cc_len = Some(4);
    assert!(
        secure_command(&triple, &vector_keys(), b"x").is_err(),
        "3DES CC is 8 bytes"
    );
}

#[test]
fn describe_without_keys_shows_the_clear_header_and_one_ciphered_field() {
    let packet = hex::parse(VECTOR_COMMAND).unwrap();
    let field = describe_command(&packet, None).unwrap();
    assert_eq!(field.find("ota_command.cpl").unwrap().value, "32");
    assert_eq!(field.find("ota_command.chl").unwrap().value, "21");
    assert!(field
        .find("ota_command.spi.integrity")
        .unwrap()
        .value
        .contains("cryptographic checksum"));
    assert!(field
        .find("ota_command.kic")
        .unwrap()
        .value
        .contains("2 keys, key version 3"));
    assert_eq!(field.find("ota_command.tar").unwrap().value, "B00011");
    let secured = field.find("ota_command.secured").unwrap();
    assert_eq!((secured.start, secured.len), (10, 24));
    assert!(secured.note.contains("KIc key"), "{}", secured.note);
    assert!(field.uncovered(packet.len()).is_empty());
}

#[test]
fn describe_with_keys_shows_deciphered_fields_over_the_ciphertext() {
    let packet = hex::parse(VECTOR_COMMAND).unwrap();
    let field = describe_command(&packet, Some(&vector_keys())).unwrap();
    let inner = field.find("ota_command.secured.deciphered").unwrap();
    assert_eq!((inner.start, inner.len), (10, 24));
    assert!(inner.note.contains("not in the message"));
    let value = |path: &str| field.find(path).unwrap().value.clone();
    assert_eq!(value("ota_command.secured.deciphered.cntr"), "0000000000");
    assert_eq!(value("ota_command.secured.deciphered.pcntr"), "3");
    assert_eq!(
        value("ota_command.secured.deciphered.data"),
        "00 A4 00 04 02 3F 00"
    );
    let cc = field
        .find("ota_command.secured.deciphered.checksum")
        .unwrap();
    assert_eq!((cc.start, cc.len), (16, 8));
    assert!(cc.note.contains("verified"), "{}", cc.note);
    let padding = field
        .find("ota_command.secured.deciphered.padding")
        .unwrap();
    assert_eq!((padding.start, padding.len), (31, 3));
    assert!(field.uncovered(packet.len()).is_empty());
    let mut wrong = vector_keys();
    wrong.kid = Some(CcKey::new(CcAlgorithm::TripleDes2Key, hex::parse(KIC_KEY).unwrap()).unwrap());
    let field = describe_command(&packet, Some(&wrong)).unwrap();
    let note = &field
        .find("ota_command.secured.deciphered.checksum")
        .unwrap()
        .note;
    assert!(note.contains("NOT verify"), "{note}");
}

#[test]
fn describe_names_refused_codings_instead_of_failing() {
    let mut packet = hex::parse(VECTOR_COMMAND).unwrap();
    packet[5] = 0x31;
    let field = describe_command(&packet, Some(&vector_keys())).unwrap();
    assert!(field
        .find("ota_command.kic")
        .unwrap()
        .note
        .contains("refused"));
    assert!(field
        .find("ota_command.secured")
        .unwrap()
        .note
        .contains("cannot be opened"));
}

#[test]
fn describe_response_opens_the_vector_with_its_context() {
    let por = hex::parse(VECTOR_POR).unwrap();
    let keys = vector_keys();
    let context = ResponseContext {
        spi: Spi::new(0x06, 0x19),
        kic: 0x35,
        kid: 0x35,
        keys: &keys,
    };
    let field = describe_response(&por, Some(&context)).unwrap();
    let value = |path: &str| field.find(path).unwrap().value.clone();
    assert_eq!(
        value("ota_response.udh.iei"),
        "71 response packet identifier"
    );
    assert_eq!(value("ota_response.rpl"), "28");
    assert_eq!(value("ota_response.secured.deciphered.status"), "00 PoR OK");
    assert_eq!(value("ota_response.secured.deciphered.data.executed"), "1");
    assert_eq!(
        value("ota_response.secured.deciphered.data.last_status"),
        "6132"
    );
    assert!(field.uncovered(por.len()).is_empty());
    let bare = describe_response(&por[3..], None).unwrap();
    assert_eq!(bare.find("ota_response.tar").unwrap().value, "B00011");
    assert!(bare.find("ota_response.udh").is_none());
}

#[test]
fn unprotected_error_pors_are_read_but_never_trusted_with_success() {
    let keys = vector_keys();
    let spi = Spi::new(0x06, 0x19);
    let error = unsecured_response(Tar([0xB0, 0, 0x11]), PorStatus::ChecksumFailed);
    assert_eq!(hex::compact(&error), "027100000B0AB0001100000000000001");
    let opened = open_response(&error, spi, 0x35, 0x35, &keys).unwrap();
    assert_eq!(opened.status, PorStatus::ChecksumFailed);
    assert!(!opened.protected);
    let forged_ok = unsecured_response(Tar([0xB0, 0, 0x11]), PorStatus::Ok);
    assert_eq!(
        open_response(&forged_ok, spi, 0x35, 0x35, &keys),
        Err(SecurityError::UnprotectedSuccess)
    );
    let mut tampered = hex::parse(VECTOR_POR).unwrap();
    tampered[20] ^= 1;
    assert_eq!(
        open_response(&tampered, spi, 0x35, 0x35, &keys),
        Err(SecurityError::ChecksumFailed)
    );
}

#[test]
fn tar_reads_and_writes_six_hex_digits() {
    let tar: Tar = "b00011".parse().unwrap();
    assert_eq!(tar.to_string(), "B00011");
    assert_eq!(serde_json::to_string(&tar).unwrap(), "\"B00011\"");
    assert_eq!(
        serde_json::from_str::<Tar>("\"000000\"").unwrap(),
        Tar([0; 3])
    );
    assert!("B000".parse::<Tar>().is_err());
    assert!(serde_json::from_str::<Tar>("\"B0001122\"").is_err());
}

#[test]
fn key_sets_serialize_keys_as_hex_with_their_algorithm() {
    let keys = vector_keys();
    let json = serde_json::to_string(&keys).unwrap();
    assert!(json.contains("\"algorithm\":\"3des-2key\""), "{json}");
    assert!(json.contains("300102030405060708090A0B0C0D0E0F"), "{json}");
    assert_eq!(serde_json::from_str::<KeySet>(&json).unwrap(), keys);
}

#[test]
fn por_bits_mean_nothing_when_no_por_is_asked_for() {
    // SPI byte 2 0C: no PoR, "PoR with DS" — ignored, not refused.
    let mut params = vector_params();
    params.spi = Spi::new(0x06, 0x0C);
    let packet = secure_command(&params, &vector_keys(), b"x").unwrap();
    assert_eq!(open_command(&packet, &vector_keys()).unwrap().data, b"x");
    assert_eq!(
        Spi::new(0x06, 0x0C).por_protection(),
        (Integrity::None, false)
    );
    assert!(matches!(
        Codings::resolve(Spi::new(0x06, 0x0D), 0x35, 0x35, Some(8)),
        Err(SecurityError::Unsupported(_))
    ));
}
