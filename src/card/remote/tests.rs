//! Remote administration end to end: real ENVELOPE APDUs built from an SMS-PP download
//! of an SMS-DELIVER, PoRs fetched with GET RESPONSE and opened with the keys.

use crate::card::profile::{
    AccessDomain, Algorithm, CounterPolicy, Hex, HexBytes, Integrity, KeySet as ProfileKeySet,
    OtaKey, SecurityLevel, Service, TarEntry,
};
use crate::card::scws_admin::{ScwsConfig, Verification};
use crate::card::{scws, Card, Profile, ProfileError};
use crate::wire::cat::{CommandType, ProactiveCommand, SmsPpDownload, TerminalResponse};
use crate::wire::hex;
use crate::wire::ota::tests::{vector_keys, KIC_KEY, KID_KEY, VECTOR_COMMAND, VECTOR_POR};
use crate::wire::ota::{
    open_response, secure_command, secure_response, CommandParams, CompactResponse, KeySet,
    PorStatus, ResponseParams, Spi, Tar,
};
use crate::wire::sms::{
    self, command_packet_user_data, ota_deliver, ConcatReference, SmsSubmit, Timestamp, UserData,
};

const VECTOR_TAR: Tar = Tar([0xB0, 0x00, 0x11]);
const RFM_TAR: Tar = Tar([0xB0, 0x00, 0x00]);
const RAM_TAR: Tar = Tar([0x00, 0x00, 0x00]);
const SCWS_TAR: Tar = Tar([0x53, 0x43, 0x57]);
/// A TAR whose access domain is "none".
const READ_ONLY_TAR: Tar = Tar([0xB0, 0x00, 0x01]);

/// KIc/KID byte for key version 2 (triple DES, two keys) of the built-in profile.
const KVN2_3DES: u8 = 0x25;
/// KIc/KID byte for key version 1 (AES) of the built-in profile.
const KVN1_AES: u8 = 0x12;
/// CC, ciphered, counter must be higher.
const SPI1_SECURED: u8 = 0x16;
/// PoR always, with CC, ciphered, in the deliver report.
const SPI2_POR: u8 = 0x19;
/// No PoR.
const SPI2_NO_POR: u8 = 0x00;

/// The path of the first SCWS resource (index.html), updated with ADM1.
const RESOURCE: [u16; 2] = [scws::DF_ID, 0x6F01];

/// The built-in profile, plus the shared vector's keys as key version 3 and its TAR
/// `B00011` (CC and ciphering, no counter: SPI 06 asks for none), and a TAR `B00001`
/// with no access.
fn profile() -> Profile {
    let mut profile = Profile::default_profile();
    let key = |text: &str| OtaKey {
        algorithm: Algorithm::TripleDes2Key,
        key: HexBytes(hex::parse(text).unwrap()),
    };
    profile.ota.key_sets.push(ProfileKeySet {
        kvn: 3,
        kic: key(KIC_KEY),
        kid: key(KID_KEY),
    });
    let rfm = |tar: Tar, domain: AccessDomain, counter: CounterPolicy| TarEntry {
        tar: Hex(tar.0),
        application: "remote file management".into(),
        service: Service::Rfm,
        access_domain: Some(domain),
        minimum_security: SecurityLevel {
            integrity: Integrity::CryptographicChecksum,
            ciphering: true,
            counter,
        },
    };
    profile
        .ota
        .tars
        .push(rfm(VECTOR_TAR, AccessDomain::Full, CounterPolicy::None));
    profile.ota.tars.push(rfm(
        READ_ONLY_TAR,
        AccessDomain::NoAccess,
        CounterPolicy::Higher,
    ));
    profile
}

/// A terminal profile declaring SEND SHORT MESSAGE (byte 4), the BIP commands (byte
/// 12), GPRS and two channels (byte 13), TCP in UICC server mode (byte 17 b3).
fn terminal_profile(server_mode: bool) -> Vec<u8> {
    let mut p = vec![0u8; 17];
    p[0] = 0x01;
    p[2] = 0xFF;
    p[3] = 0xFF;
    p[11] = 0x1F;
    p[12] = 0x42;
    p[16] = if server_mode { 0x05 } else { 0x01 };
    p
}

fn card_with(profile: Profile, server_mode: bool) -> Card {
    let mut card = Card::from_profile(profile).expect("valid profile");
    card.power_on().expect("answers the reset");
    let tp = terminal_profile(server_mode);
    assert_eq!(send(&mut card, &apdu("80100000", &tp)), "9000");
    card
}

fn card() -> Card {
    card_with(profile(), true)
}

fn apdu(header: &str, data: &[u8]) -> String {
    format!("{header}{:02X}{}", data.len(), hex::compact(data))
}

fn send(card: &mut Card, apdu: &str) -> String {
    let response = card
        .process(&hex::parse(apdu).expect("hex"))
        .expect("the card answers");
    hex::compact(&response.emit())
}

fn originator() -> sms::Address {
    sms::Address::international("447700900123").unwrap()
}

fn stamp() -> Timestamp {
    Timestamp {
        year: 25,
        month: 3,
        day: 14,
        hour: 9,
        minute: 26,
        second: 53,
        zone_quarters: 4,
    }
}

/// The SMS-DELIVER TPDUs carrying `packet`.
fn tpdus(packet: &[u8], reference: u8) -> Vec<Vec<u8>> {
    command_packet_user_data(packet, ConcatReference::Eight(reference))
        .unwrap()
        .into_iter()
        .map(|ud| ota_deliver(originator(), stamp(), ud).emit().unwrap())
        .collect()
}

/// ENVELOPE (SMS-PP download) of one TPDU.
fn envelope(tpdu: &[u8]) -> String {
    apdu("80C20000", &SmsPpDownload::new(None, tpdu.to_vec()).emit())
}

/// Sends `packet` in one SMS; returns the ENVELOPE's status word (and data).
fn deliver(card: &mut Card, packet: &[u8]) -> String {
    let tpdus = tpdus(packet, 0);
    assert_eq!(tpdus.len(), 1, "one SMS");
    send(card, &envelope(&tpdus[0]))
}

/// After `61 XX` or `62 F3`: the PoR bytes and the final status word.
fn get_response(card: &mut Card, status: &str) -> (Vec<u8>, String) {
    let len = match &status[..2] {
        "61" => status[2..4].to_string(),
        "62" => {
            let probe = send(card, "00C0000000");
            assert!(probe.starts_with("6C"), "{probe}");
            probe[2..4].to_string()
        }
        _ => panic!("no response data: {status}"),
    };
    let response = hex::parse(&send(card, &format!("00C00000{len}"))).unwrap();
    let (data, sw) = response.split_at(response.len() - 2);
    (data.to_vec(), hex::compact(sw))
}

fn profile_keys(kvn_byte: u8) -> KeySet {
    let (kic, kid) = match kvn_byte {
        KVN2_3DES => (
            "0123456789ABCDEFFEDCBA9876543210",
            "FEDCBA98765432100123456789ABCDEF",
        ),
        KVN1_AES => (
            "000102030405060708090A0B0C0D0E0F",
            "101112131415161718191A1B1C1D1E1F",
        ),
        _ => unreachable!(),
    };
    KeySet::for_codings(
        kvn_byte,
        kvn_byte,
        Some(&hex::parse(kic).unwrap()),
        Some(&hex::parse(kid).unwrap()),
    )
    .unwrap()
}

/// A secured packet for `tar` with key set `kvn_byte` of the built-in profile.
fn packet(tar: Tar, kvn_byte: u8, spi2: u8, counter: u64, data: &[u8]) -> Vec<u8> {
    let params = CommandParams {
        spi: Spi::new(SPI1_SECURED, spi2),
        kic: kvn_byte,
        kid: kvn_byte,
        tar,
        counter,
        cc_len: None,
    };
    secure_command(&params, &profile_keys(kvn_byte), data).unwrap()
}

/// Opens a PoR answered to a packet made by [`packet`].
fn open(por: &[u8], kvn_byte: u8, spi2: u8) -> crate::wire::ota::OpenedResponse {
    open_response(
        por,
        Spi::new(SPI1_SECURED, spi2),
        kvn_byte,
        kvn_byte,
        &profile_keys(kvn_byte),
    )
    .expect("the PoR opens")
}

/// SELECT index.html by path, UPDATE BINARY its first bytes with `text`.
fn update_script(text: &[u8]) -> Vec<u8> {
    let mut script = hex::parse("00A4080C047F506F01").unwrap();
    script.extend(hex::parse(&apdu("00D60000", text)).unwrap());
    script
}

fn resource(card: &Card) -> Vec<u8> {
    card.file_data(&RESOURCE).unwrap().to_vec()
}

// ----- the shared vector --------------------------------------------------------------

#[test]
fn shared_vector_through_an_envelope_answers_61xx_and_its_por_decodes() {
    let mut card = card();
    let fcp_len = {
        let mut probe = card.clone();
        let sw = send(&mut probe, "00A40004023F00");
        u8::from_str_radix(&sw[2..4], 16).unwrap()
    };
    let status = deliver(&mut card, &hex::parse(VECTOR_COMMAND).unwrap());
    assert_eq!(
        status,
        format!("61{:02X}", hex::parse(VECTOR_POR).unwrap().len())
    );
    let (por, sw) = get_response(&mut card, &status);
    assert_eq!(sw, "9000");
    let opened = open_response(&por, Spi::new(0x06, 0x19), 0x35, 0x35, &vector_keys()).unwrap();
    assert_eq!(opened.status, PorStatus::Ok);
    assert!(opened.protected && opened.ciphered);
    assert_eq!((opened.tar, opened.counter), (VECTOR_TAR, 0));
    let compact = CompactResponse::parse(&opened.data).unwrap();
    assert_eq!(compact.executed, 1, "one command: SELECT MF");
    assert_eq!(
        compact.last_status.0,
        0x6100 | u16::from(fcp_len),
        "61XX: the FCP waits for a GET RESPONSE the script did not send"
    );
    // The shared PoR decodes the same way: status 00, one command, 61XX (its card's
    // MF FCP has 0x32 bytes, this card's fewer), same TAR, counter, RPL and RHL.
    let shared = open_response(
        &hex::parse(VECTOR_POR).unwrap(),
        Spi::new(0x06, 0x19),
        0x35,
        0x35,
        &vector_keys(),
    )
    .unwrap();
    let shared_compact = CompactResponse::parse(&shared.data).unwrap();
    assert_eq!(
        (
            shared.status,
            shared.tar,
            shared.counter,
            shared_compact.executed
        ),
        (opened.status, opened.tar, opened.counter, compact.executed)
    );
    assert_eq!(shared_compact.last_status.sw1(), compact.last_status.sw1());
    assert_eq!(hex::compact(&por[..9]), VECTOR_POR[..18].to_uppercase());
    // Byte for byte what the encoder makes of this card's answer.
    let params = ResponseParams {
        spi: Spi::new(0x06, 0x19),
        kic: 0x35,
        kid: 0x35,
        tar: VECTOR_TAR,
        counter: 0,
        status: PorStatus::Ok,
        cc_len: None,
    };
    let expected = secure_response(&params, &vector_keys(), &[0x01, 0x61, fcp_len]).unwrap();
    assert_eq!(por, expected);
}

#[test]
fn the_script_has_its_own_selection() {
    let mut card = card();
    send(&mut card, "00A4000C022FE2"); // the phone selects EF.ICCID
    let before = card.selection(0);
    let status = deliver(&mut card, &hex::parse(VECTOR_COMMAND).unwrap());
    assert!(status.starts_with("61"));
    assert_eq!(
        card.selection(0),
        before,
        "the phone's selection is untouched"
    );
    assert_eq!(
        send(&mut card, "00B000000A"),
        "98881201000000000001 9000".replace(' ', ""),
        "still reading EF.ICCID"
    );
    assert_eq!(
        card.session
            .channels
            .get(super::super::channels::RFM_CHANNEL),
        None
    );
}

// ----- remote file management ----------------------------------------------------------

#[test]
fn rfm_update_binary_changes_the_file_and_a_replay_changes_nothing() {
    let mut card = card();
    let old = resource(&card);
    let script = update_script(b"HELLO");
    let command = packet(RFM_TAR, KVN2_3DES, SPI2_POR, 1, &script);
    let status = deliver(&mut card, &command);
    let (por, _) = get_response(&mut card, &status);
    let opened = open(&por, KVN2_3DES, SPI2_POR);
    assert_eq!(opened.status, PorStatus::Ok);
    assert_eq!(hex::compact(&opened.data), "029000", "two commands, 90 00");
    let new = resource(&card);
    assert_eq!(&new[..5], b"HELLO");
    assert_eq!(new[5..], old[5..]);
    assert_eq!(card.ota_counter(RFM_TAR), 1);

    // The same packet again: counter low, refused, nothing written.
    let writes = card.storage_writes();
    let before = card.clone();
    let status = deliver(&mut card, &command);
    assert_eq!(status, "62F3", "an error PoR: 62 F3");
    let (por, sw) = get_response(&mut card, &status);
    assert_eq!(sw, "9000");
    assert_eq!(
        hex::compact(&por),
        "027100000B0AB0000000000000000002",
        "unprotected, status 02"
    );
    assert_eq!(card.storage_writes(), writes);
    assert_eq!(card.store, before.store);
    assert_eq!(card.last_ota().unwrap().status, PorStatus::CounterLow);

    // A higher counter is accepted again.
    let next = packet(RFM_TAR, KVN2_3DES, SPI2_NO_POR, 7, &update_script(b"AGAIN"));
    assert_eq!(deliver(&mut card, &next), "9000", "no PoR asked");
    assert_eq!(&resource(&card)[..5], b"AGAIN");
    assert_eq!(card.ota_counter(RFM_TAR), 7);
}

#[test]
fn the_access_domain_decides_what_a_script_may_change() {
    let mut card = card();
    let old = resource(&card);
    let command = packet(
        READ_ONLY_TAR,
        KVN2_3DES,
        SPI2_POR,
        1,
        &update_script(b"NOPE"),
    );
    let status = deliver(&mut card, &command);
    let (por, _) = get_response(&mut card, &status);
    let opened = open(&por, KVN2_3DES, SPI2_POR);
    assert_eq!(opened.status, PorStatus::Ok, "the packet was fine");
    assert_eq!(
        hex::compact(&opened.data),
        "026982",
        "UPDATE refused: 69 82"
    );
    assert_eq!(resource(&card), old);
    // Reading needs no key: the domain "none" still reads.
    let read = packet(
        READ_ONLY_TAR,
        KVN2_3DES,
        SPI2_POR,
        2,
        &hex::parse("00A4080C047F506F01 00B0000005").unwrap(),
    );
    let status = deliver(&mut card, &read);
    let (por, _) = get_response(&mut card, &status);
    let opened = open(&por, KVN2_3DES, SPI2_POR);
    let mut expected = vec![0x02, 0x90, 0x00];
    expected.extend(&old[..5]);
    assert_eq!(opened.data, expected, "the last command's data come back");
}

#[test]
fn a_verified_pin_on_the_phone_grants_nothing_to_a_script() {
    let mut card = card();
    send(&mut card, "0020000A083838383838383838"); // ADM1 verified by the phone
    let command = packet(
        READ_ONLY_TAR,
        KVN2_3DES,
        SPI2_POR,
        1,
        &update_script(b"NOPE"),
    );
    let status = deliver(&mut card, &command);
    let (por, _) = get_response(&mut card, &status);
    assert_eq!(
        hex::compact(&open(&por, KVN2_3DES, SPI2_POR).data),
        "026982"
    );
}

#[test]
fn compact_scripts_stop_at_the_first_error_and_use_get_response() {
    let mut card = card();
    // SELECT MF (61XX), GET RESPONSE of 2 bytes (61XX: more left), VERIFY (not allowed
    // in a script: 6D00), then a SELECT never run.
    let script =
        hex::parse("00A40004023F00 00C0000002 0020000A083838383838383838 00A4000C022FE2").unwrap();
    let status = deliver(&mut card, &packet(RFM_TAR, KVN2_3DES, SPI2_POR, 1, &script));
    let (por, _) = get_response(&mut card, &status);
    assert_eq!(
        hex::compact(&open(&por, KVN2_3DES, SPI2_POR).data),
        "036D00"
    );
    assert!(card.session.verified.is_empty(), "nothing verified");
}

#[test]
fn expanded_scripts_answer_with_a_response_template() {
    let mut card = card();
    // AA { 22 SELECT index.html by path, 22 READ BINARY 4 bytes }
    let script = hex::parse("AA1222 0900A4080C047F506F01 2205 00B0000004").unwrap();
    let status = deliver(&mut card, &packet(RFM_TAR, KVN2_3DES, SPI2_POR, 1, &script));
    let (por, _) = get_response(&mut card, &status);
    let data = open(&por, KVN2_3DES, SPI2_POR).data;
    let old = resource(&card);
    assert_eq!(
        hex::compact(&data),
        format!("AB0F800102 2302 9000 2306 {}9000", hex::compact(&old[..4])).replace(' ', "")
    );
    // A tag other than 22 is bad format 01; a length running past the end is 02.
    for (script, expected) in [
        ("AA0681022F00 9000", "AB06800100 900101"),
        ("AA04 2209 00A4", "AB06800100 900102"),
    ] {
        let mut card = self::card();
        let script = hex::parse(script).unwrap();
        let status = deliver(&mut card, &packet(RFM_TAR, KVN2_3DES, SPI2_POR, 1, &script));
        let (por, _) = get_response(&mut card, &status);
        assert_eq!(
            hex::compact(&open(&por, KVN2_3DES, SPI2_POR).data),
            expected.replace(' ', "")
        );
    }
}

#[test]
fn a_ram_tar_knows_no_command() {
    let mut card = card();
    let install = hex::parse("80E60C0000").unwrap();
    let status = deliver(
        &mut card,
        &packet(RAM_TAR, KVN2_3DES, SPI2_POR, 1, &install),
    );
    let (por, _) = get_response(&mut card, &status);
    assert_eq!(
        hex::compact(&open(&por, KVN2_3DES, SPI2_POR).data),
        "016D00"
    );
}

// ----- refusals ------------------------------------------------------------------------

#[test]
fn a_one_bit_flip_anywhere_is_refused_with_nothing_run() {
    let card = card();
    let old = resource(&card);
    let command = packet(RFM_TAR, KVN2_3DES, SPI2_POR, 1, &update_script(b"FORGED"));
    for bit in 0..command.len() * 8 {
        let mut forged = command.clone();
        forged[bit / 8] ^= 1 << (bit % 8);
        let mut card = card.clone();
        let status = deliver(&mut card, &forged);
        assert!(
            status == "62F3" || status == "9000",
            "bit {bit}: {status} (an error PoR or none)"
        );
        assert_eq!(resource(&card), old, "bit {bit}: nothing executed");
        assert_eq!(card.ota_counter(RFM_TAR), 0, "bit {bit}: counter kept");
        assert_eq!(card.storage_writes(), 0, "bit {bit}: nothing written");
        assert_ne!(card.last_ota().unwrap().status, PorStatus::Ok, "bit {bit}");
    }
}

#[test]
fn unknown_tar_and_bad_checksum_answer_identically() {
    let packet = hex::parse(VECTOR_COMMAND).unwrap();
    let mut forged = packet.clone();
    forged[20] ^= 0x01;
    let mut knows = card();
    let bad_cc = deliver(&mut knows, &forged);
    let bad_cc_por = get_response(&mut knows, &bad_cc);
    let mut stranger = card_with(Profile::default_profile(), true);
    let unknown = deliver(&mut stranger, &packet);
    let unknown_por = get_response(&mut stranger, &unknown);
    assert_eq!(bad_cc, "62F3");
    assert_eq!((&bad_cc, &bad_cc_por), (&unknown, &unknown_por));
    assert_eq!(
        hex::compact(&unknown_por.0),
        "027100000B0AB0001100000000000001"
    );
    assert_eq!(stranger.last_ota().unwrap().status, PorStatus::TarUnknown);
    assert_eq!(knows.last_ota().unwrap().status, PorStatus::ChecksumFailed);
}

#[test]
fn a_refused_packet_without_a_por_request_is_acknowledged_silently() {
    let mut card = card();
    let mut forged = packet(RFM_TAR, KVN2_3DES, SPI2_NO_POR, 1, &update_script(b"X"));
    let last = forged.len() - 1;
    forged[last] ^= 0x80;
    let before = card.clone();
    assert_eq!(deliver(&mut card, &forged), "9000");
    assert_eq!(card.store, before.store);
}

#[test]
fn tpdus_that_are_no_ota_data_download_get_6f00() {
    let card = card();
    let command = packet(RFM_TAR, KVN2_3DES, SPI2_POR, 1, &update_script(b"X"));
    let good = ota_deliver(
        originator(),
        stamp(),
        command_packet_user_data(&command, ConcatReference::Eight(0))
            .unwrap()
            .remove(0),
    );
    let mut plain_pid = good.clone();
    plain_pid.protocol_identifier = 0x00;
    let mut class1 = good.clone();
    class1.data_coding_scheme = 0xF5;
    let mut no_70 = good.clone();
    no_70.user_data = UserData {
        header: None,
        body: command.clone(),
    };
    for (name, tpdu) in [
        ("TP-PID 00", plain_pid.emit().unwrap()),
        ("class 1", class1.emit().unwrap()),
        ("no 70 header", no_70.emit().unwrap()),
        ("no SMS-DELIVER", vec![0x01, 0x00]),
        ("truncated", good.emit().unwrap()[..20].to_vec()),
    ] {
        let mut card = card.clone();
        assert_eq!(send(&mut card, &envelope(&tpdu)), "6F00", "{name}");
        assert_eq!(card, self::card(), "{name}: nothing changed");
    }
}

// ----- concatenation -------------------------------------------------------------------

#[test]
fn concatenated_segments_are_acknowledged_then_executed_in_any_order() {
    let text = [0x5Au8; 200];
    let command = packet(RFM_TAR, KVN2_3DES, SPI2_POR, 1, &update_script(&text));
    let segments = tpdus(&command, 0x42);
    assert_eq!(segments.len(), 2);
    for order in [[0, 1], [1, 0]] {
        let mut card = card();
        assert_eq!(send(&mut card, &envelope(&segments[order[0]])), "9000");
        assert_eq!(resource(&card)[..3], *b"<!D", "not yet");
        let status = send(&mut card, &envelope(&segments[order[1]]));
        assert!(status.starts_with("61"), "{order:?}: {status}");
        let (por, _) = get_response(&mut card, &status);
        assert_eq!(
            hex::compact(&open(&por, KVN2_3DES, SPI2_POR).data),
            "029000"
        );
        assert_eq!(resource(&card)[..200], text);
    }
    // A repeated segment is ignored; a reset forgets a half-received packet.
    let mut card = card();
    send(&mut card, &envelope(&segments[0]));
    assert_eq!(send(&mut card, &envelope(&segments[0])), "9000");
    card.power_on().unwrap();
    send(&mut card, &apdu("80100000", &terminal_profile(true)));
    assert_eq!(
        send(&mut card, &envelope(&segments[1])),
        "9000",
        "waits for 1"
    );
}

// ----- PoR by SMS-SUBMIT -----------------------------------------------------------------

#[test]
fn por_by_sms_submit_is_a_send_short_message_to_the_sender() {
    let spi2 = SPI2_POR | 0x20;
    let mut card = card();
    let command = packet(RFM_TAR, KVN2_3DES, spi2, 1, &update_script(b"SUBMIT"));
    let status = deliver(&mut card, &command);
    assert!(status.starts_with("91"), "{status}");
    let len = &status[2..4];
    let fetched = hex::parse(&send(&mut card, &format!("80120000{len}"))).unwrap();
    let command = ProactiveCommand::parse(&fetched[..fetched.len() - 2]).unwrap();
    assert_eq!(
        command.details().command_type,
        CommandType::SEND_SHORT_MESSAGE
    );
    assert_eq!(command.details().qualifier, 0x00);
    let tpdu = command
        .objects()
        .iter()
        .find_map(|o| match &o.object {
            crate::wire::cat::Object::SmsTpdu(t) => Some(t.clone()),
            _ => None,
        })
        .unwrap();
    let submit = SmsSubmit::parse(&tpdu).unwrap();
    assert_eq!(submit.destination_address, originator());
    assert_eq!(
        (submit.protocol_identifier, submit.data_coding_scheme),
        (0x7F, 0xF6)
    );
    assert!(submit.user_data.element(0x71).is_some());
    let mut por = vec![0x02, 0x71, 0x00];
    por.extend(&submit.user_data.body);
    let opened = open(&por, KVN2_3DES, spi2);
    assert_eq!(hex::compact(&opened.data), "029000");
    send(
        &mut card,
        &apdu("80140000", &TerminalResponse::ok_for(&command).emit()),
    );

    // Without SEND SHORT MESSAGE in the terminal profile: in the deliver report.
    let mut card = card_with(profile(), true);
    let mut tp = terminal_profile(true);
    tp[3] = 0x00;
    send(&mut card, &apdu("80100000", &tp));
    let command = packet(RFM_TAR, KVN2_3DES, spi2, 1, &update_script(b"REPORT"));
    let status = deliver(&mut card, &command);
    assert!(status.starts_with("61"), "{status}");
}

// ----- SCWS administration -------------------------------------------------------------

fn scws(card: &mut Card, spi2: u8, counter: u64, commands: &str) -> String {
    let data = hex::parse(commands).unwrap();
    deliver(card, &packet(SCWS_TAR, KVN1_AES, spi2, counter, &data))
}

#[test]
fn scws_start_raises_open_channel_in_server_mode_on_the_port_asked() {
    let mut card = card();
    let status = scws(&mut card, SPI2_NO_POR, 1, "A0 04 80020FA0");
    let expected = "D012810301400082028182B9020578BC03030FA0";
    assert_eq!(status, format!("91{:02X}", expected.len() / 2));
    assert_eq!(
        send(&mut card, &format!("80120000{}", &status[2..4])),
        format!("{expected}9000")
    );

    // With a PoR: 61XX, the PoR says B0 01 00, the GET RESPONSE ends 91XX.
    let mut card = self::card();
    let status = scws(&mut card, SPI2_POR, 1, "A0 00");
    let (por, sw) = get_response(&mut card, &status);
    assert!(sw.starts_with("91"), "{sw}");
    assert_eq!(hex::compact(&open(&por, KVN1_AES, SPI2_POR).data), "B00100");
}

#[test]
fn scws_start_without_server_mode_in_the_terminal_profile_is_refused_in_the_por() {
    let mut card = card_with(profile(), false);
    let status = scws(&mut card, SPI2_POR, 1, "A0 00");
    let (por, sw) = get_response(&mut card, &status);
    assert_eq!(sw, "9000", "nothing raised");
    assert_eq!(hex::compact(&open(&por, KVN1_AES, SPI2_POR).data), "B00101");
    assert!(card.toolkit().queued().next().is_none());
    // Bad format and unknown commands stop the list.
    let status = scws(&mut card, SPI2_POR, 2, "A1 03 820102 A0 00");
    let (por, _) = get_response(&mut card, &status);
    assert_eq!(hex::compact(&open(&por, KVN1_AES, SPI2_POR).data), "B10110");
    let status = scws(&mut card, SPI2_POR, 3, "A5 00");
    let (por, _) = get_response(&mut card, &status);
    assert_eq!(hex::compact(&open(&por, KVN1_AES, SPI2_POR).data), "900111");
}

#[test]
fn scws_reconfigure_is_stored_and_survives_a_reset() {
    let mut card = card();
    assert_eq!(card.scws_config(), ScwsConfig::default());
    let status = scws(
        &mut card,
        SPI2_POR,
        1,
        "A1 0D 80021014 820101 840102 830103",
    );
    let (por, _) = get_response(&mut card, &status);
    assert_eq!(hex::compact(&open(&por, KVN1_AES, SPI2_POR).data), "B10100");
    card.power_on().unwrap();
    let expected = ScwsConfig {
        port: 4116,
        buffer_size: 1400,
        secure: true,
        verification: Verification::Certificate,
        channel: 3,
    };
    assert_eq!(card.scws_config(), expected);
    // The next start uses the stored port.
    send(&mut card, &apdu("80100000", &terminal_profile(true)));
    let status = scws(&mut card, SPI2_NO_POR, 2, "A0 00");
    let fetched = send(&mut card, &format!("80120000{}", &status[2..4]));
    assert!(
        fetched.starts_with("D012")
            && fetched.ends_with("BC0303101 49000".replace(' ', "").as_str()),
        "{fetched}"
    );
}

/// FETCHes the command `status` (`91 XX`) announces.
fn fetch_announced(card: &mut Card, status: &str) -> ProactiveCommand {
    assert!(status.starts_with("91"), "nothing announced: {status}");
    let reply = send(card, &format!("80120000{}", &status[2..]));
    let (body, sw) = reply.split_at(reply.len() - 4);
    assert_eq!(sw, "9000");
    ProactiveCommand::parse(&hex::parse(body).unwrap()).unwrap()
}

#[test]
fn scws_connect_runs_a_client_channel_from_open_to_close() {
    use crate::card::bip::Note;
    use crate::card::http::Exchange;
    use crate::card::toolkit::tests::{card as card_with_bip_events, envelope_apdu};
    use crate::wire::cat::{ChannelState, ChannelStatus, EventDownload, Object};
    let mut card = card_with_bip_events();
    // 192.0.2.1 port 8080, TCP.
    let status = scws(&mut card, SPI2_POR, 1, "A2 0D 8504C0000201 80021F90 860102");
    let (por, sw) = get_response(&mut card, &status);
    assert_eq!(hex::compact(&open(&por, KVN1_AES, SPI2_POR).data), "B20100");
    // Command 01 was the SET UP EVENT LIST.
    let open_channel = fetch_announced(&mut card, &sw);
    assert_eq!(
        hex::compact(&open_channel.emit()),
        "D01C810302400182028182350103390205783C03021F903E0521C0000201"
    );
    let opened = TerminalResponse::ok_for(&open_channel)
        .with(Object::ChannelStatus(ChannelStatus::new(
            1,
            ChannelState::Established,
            0,
        )))
        .with(Object::BufferSize(1400));
    let status = send(&mut card, &apdu("80140000", &opened.emit()));

    // The link is up: the request goes in one SEND DATA, sent immediately.
    let request = fetch_announced(&mut card, &status);
    assert_eq!(request.details().command_type, CommandType::SEND_DATA);
    assert_eq!(request.details().qualifier, 0x01);
    let expected = format!(
        "POST /admin HTTP/1.1\r\nHost: 192.0.2.1:8080\r\nX-Admin-Protocol: \
         globalplatform-remote-admin/1.0\r\nX-Admin-From: //se-id/iccid/{}\r\n\
         Content-Length: 0\r\n\r\n",
        card.profile().iccid.as_str()
    );
    assert_eq!(request.channel_data(), Some(expected.as_bytes()));
    let sent = TerminalResponse::ok_for(&request).with(Object::ChannelDataLength(0xFF));
    assert_eq!(send(&mut card, &apdu("80140000", &sent.emit())), "9000");

    // The server answers: data available, RECEIVE DATA, then CLOSE CHANNEL.
    let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let established = ChannelStatus::new(1, ChannelState::Established, 0);
    let available = EventDownload::data_available(established, answer.len());
    let status = send(&mut card, &envelope_apdu(&available.emit()));
    let receive = fetch_announced(&mut card, &status);
    assert_eq!(receive.channel_data_length(), Some(answer.len() as u8));
    let received = TerminalResponse::ok_for(&receive)
        .with(Object::ChannelData(answer.to_vec()))
        .with(Object::ChannelDataLength(0));
    let status = send(&mut card, &apdu("80140000", &received.emit()));
    let close = fetch_announced(&mut card, &status);
    assert_eq!(hex::compact(&close.emit()), "D009810305410082028121");
    let closed = TerminalResponse::ok_for(&close);
    assert_eq!(send(&mut card, &apdu("80140000", &closed.emit())), "9000");
    assert_eq!(card.bip().channels().count(), 0);
    assert!(card.bip().notes().any(|note| *note
        == Note::Exchange {
            channel: 1,
            exchange: Exchange {
                request: "POST /admin".into(),
                status: 200
            }
        }));
}

#[test]
fn scws_connect_results_follow_the_module_convention() {
    // UDP is not in this terminal profile (byte 17 b2).
    let mut card = card();
    let status = scws(&mut card, SPI2_POR, 1, "A2 0D 8504C0000201 80021F90 860101");
    let (por, sw) = get_response(&mut card, &status);
    assert_eq!(hex::compact(&open(&por, KVN1_AES, SPI2_POR).data), "B20101");
    assert_eq!(sw, "9000");
    // No port: bad format; a server-mode parameter: bad format.
    let status = scws(&mut card, SPI2_POR, 2, "A2 06 8504C0000201");
    let (por, _) = get_response(&mut card, &status);
    assert_eq!(hex::compact(&open(&por, KVN1_AES, SPI2_POR).data), "B20110");
    let status = scws(&mut card, SPI2_POR, 3, "A2 0D 8504C0000201 80021F90 820101");
    let (por, _) = get_response(&mut card, &status);
    assert_eq!(hex::compact(&open(&por, KVN1_AES, SPI2_POR).data), "B20110");
    // With a network access name and a buffer size.
    let status = scws(
        &mut card,
        SPI2_NO_POR,
        4,
        "A2 19 8504C0000201 80021F90 81020200 870908696E7465726E6574",
    );
    let command = fetch_announced(&mut card, &status);
    assert_eq!(
        hex::compact(&command.emit()),
        "D027810301400182028182350103390202004709 08696E7465726E6574\
         3C03021F903E0521C0000201"
            .replace(' ', "")
    );
}

// ----- power cuts ----------------------------------------------------------------------

#[test]
fn a_power_cut_never_moves_the_counter_back_nor_tears_the_file() {
    let prepared = card();
    let old = resource(&prepared);
    // 80 bytes: the packet fits one SMS, the update touches blocks 0 and 1.
    let text = [0xA5u8; 80];
    let command = packet(RFM_TAR, KVN2_3DES, SPI2_POR, 5, &update_script(&text));
    let sms = tpdus(&command, 0);
    assert_eq!(sms.len(), 1, "one SMS");
    let envelope = envelope(&sms[0]);
    let mut new = old.clone();
    new[..80].copy_from_slice(&text);
    let mut counter_seen = 0;
    let mut file_new_seen = false;
    for n in 0.. {
        let mut card = prepared.clone();
        card.cut_power_after_writes(n);
        let answered = card.process(&hex::parse(&envelope).unwrap()).is_some();
        card.power_on().unwrap();
        let counter = card.ota_counter(RFM_TAR);
        let file = resource(&card);
        assert!(
            counter == 0 || counter == 5,
            "cut after {n}: counter {counter}"
        );
        assert!(
            counter >= counter_seen,
            "cut after {n}: the counter went back"
        );
        counter_seen = counter;
        assert!(file == old || file == new, "cut after {n}: torn file");
        assert!(
            file == old || counter == 5,
            "cut after {n}: run with its counter lost"
        );
        assert!(
            !file_new_seen || file == new,
            "cut after {n}: the update went back"
        );
        file_new_seen |= file == new;
        if answered {
            assert_eq!(file, new);
            // Counter: 1 block, mark, home, erase; the file: 2 blocks, mark, 2, erase.
            assert_eq!(n, 4 + 6);
            break;
        }
        // A retry of the same packet after the cut: refused once the counter moved.
        if counter == 5 {
            send(&mut card, &apdu("80100000", &terminal_profile(true)));
            let status = send(&mut card, &envelope);
            assert_eq!(status, "62F3", "cut after {n}: the retry is a replay");
            assert_eq!(resource(&card), file, "cut after {n}");
        }
    }
}

// ----- the profile ---------------------------------------------------------------------

#[test]
fn profiles_with_single_des_or_unauthenticated_tars_make_no_card() {
    let single_des = Profile::DEFAULT_TOML.replacen(
        r#"kic = { algorithm = "3des-2key", key = "0123456789ABCDEFFEDCBA9876543210" }"#,
        r#"kic = { algorithm = "des-cbc", key = "0123456789ABCDEF" }"#,
        1,
    );
    let message = Profile::from_toml(&single_des).unwrap_err().to_string();
    assert!(
        message.starts_with("ota.key_sets[1].kic: single DES"),
        "{message}"
    );
    let mut weak = Profile::default_profile();
    weak.ota.tars[0].minimum_security.integrity = Integrity::RedundancyCheck;
    let error = Card::from_profile(weak).unwrap_err();
    assert!(
        matches!(&error, ProfileError::Invalid { field, .. } if field == "ota.tars[0].minimum_security"),
        "{error}"
    );
    let mut degenerate = Profile::default_profile();
    degenerate.ota.key_sets[1].kid.key =
        HexBytes(hex::parse("0123456789ABCDEF0123456789ABCDEF").unwrap());
    assert!(
        Card::from_profile(degenerate).is_err(),
        "3DES with equal halves"
    );
    let mut no_domain = Profile::default_profile();
    no_domain.ota.tars[0].access_domain = None;
    assert!(Card::from_profile(no_domain)
        .unwrap_err()
        .to_string()
        .contains("access_domain"));
}

#[test]
fn access_domains_read_and_write_as_toml() {
    let mut profile = profile();
    profile.ota.tars[1].service = Service::Rfm;
    profile.ota.tars[1].access_domain = Some(AccessDomain::Keys(vec![Hex([0x0A])]));
    let text = profile.to_toml().unwrap();
    assert!(text.contains(r#"access_domain = "full""#), "{text}");
    assert!(text.contains(r#"access_domain = "none""#), "{text}");
    assert_eq!(Profile::from_toml(&text), Ok(profile));
}
