use super::*;
use crate::net::PHONE_NUMBER;
use crate::wire::ota::{open_command, secure_response, ResponseParams};
use crate::wire::sms::{InformationElement, OptionalParameters, Reassembler, Timestamp, UserData};

fn act(server: &mut Server, request: &OtaRequest) -> Vec<Message> {
    server.handle(
        Instant::ZERO,
        &Message::new(
            NodeId::User,
            NodeId::Server,
            Payload::Action(Action::ServerSendOta(request.clone())),
        ),
    )
}

fn submits(out: &[Message]) -> Vec<SmsSubmit> {
    out.iter()
        .map(|m| {
            assert_eq!((m.from, m.to), (NodeId::Server, NodeId::Network));
            match &m.payload {
                Payload::SmsSubmit(bytes) => SmsSubmit::parse(bytes).unwrap(),
                other => panic!("not an SMS-SUBMIT: {other:?}"),
            }
        })
        .collect()
}

fn report(reference: u8, status: TransferStatus, por: Option<Vec<u8>>) -> Message {
    let stamp = Timestamp::from_text("240101000000+00").unwrap();
    let parameters = por.map(|por| {
        OptionalParameters::with_user_data(
            PID_SIM_DATA_DOWNLOAD,
            DCS_CLASS2_8BIT,
            UserData::with_header(vec![InformationElement::ResponsePacket], por[3..].to_vec()),
        )
    });
    let tpdu = SmsStatusReport {
        more_messages_waiting: false,
        loop_prevention: false,
        qualifier_command: false,
        message_reference: reference,
        recipient_address: Address::from_text(PHONE_NUMBER).unwrap(),
        service_centre_time_stamp: stamp,
        discharge_time: stamp,
        status,
        parameters,
    }
    .emit()
    .unwrap();
    Message::new(
        NodeId::Network,
        NodeId::Server,
        Payload::SmsStatusReport(tpdu),
    )
}

/// The PoR the card would send for `request` with `counter`.
fn por(server: &Server, request: &OtaRequest, counter: u64, status: PorStatus) -> Vec<u8> {
    let keys = server.keys_for(request).unwrap();
    let params = ResponseParams {
        spi: request.spi,
        kic: request.kic,
        kid: request.kid,
        tar: request.tar,
        counter,
        status,
        cc_len: None,
    };
    secure_response(&params, &keys, &[0x01, 0x61, 0x1A]).unwrap()
}

#[test]
fn the_spi_policy_meets_the_default_cards_rfm_tar() {
    let server = Server::new();
    let request = server.request(RFM_TAR, SELECT_MF.to_vec());
    // CC, ciphered, counter must be higher; PoR always, CC, ciphered, by deliver report.
    assert_eq!(request.spi, Spi::new(0x16, 0x19));
    // Key version 2, triple DES with two keys, for both.
    assert_eq!((request.kic, request.kid), (0x25, 0x25));
    assert_eq!(
        request.summary(),
        "TAR B00000, SPI 16 19, KIc 25, KID 25, data 00 A4 00 04 02 3F 00"
    );
    let entry = server.card().table.get(RFM_TAR).unwrap();
    assert!(entry.minimum_security.is_met_by(request.spi));
}

#[test]
fn sends_one_secured_sms_submit_and_moves_the_counter_on() {
    let mut server = Server::new();
    let request = server.request(RFM_TAR, SELECT_MF.to_vec());
    let sms = submits(&act(&mut server, &request));
    assert_eq!(sms.len(), 1);
    let submit = &sms[0];
    assert_eq!(submit.protocol_identifier, 0x7F);
    assert_eq!(submit.data_coding_scheme, 0xF6);
    assert!(submit.status_report_request);
    assert_eq!(submit.destination_address.text(), PHONE_NUMBER);
    assert_eq!(submit.validity_period, ValidityPeriod::Relative(VALIDITY));
    assert_eq!(
        submit.user_data.element(0x70),
        Some(&InformationElement::CommandPacket)
    );
    let keys = server.keys_for(&request).unwrap();
    let opened = open_command(&submit.user_data.body, &keys).unwrap();
    assert_eq!(opened.data, SELECT_MF);
    assert_eq!(opened.counter, 1);
    assert_eq!(opened.tar, RFM_TAR);
    assert!(server
        .status_line()
        .contains("waiting for the status report"));

    let again = submits(&act(&mut server, &request));
    let opened = open_command(&again[0].user_data.body, &keys).unwrap();
    assert_eq!(opened.counter, 2, "one more per message");
    assert_ne!(again[0].message_reference, submit.message_reference);
    assert_eq!(server.card().counters.get(&RFM_TAR), Some(&2));
}

#[test]
fn a_long_script_goes_in_concatenated_sms() {
    let mut server = Server::new();
    let script: Vec<u8> = SELECT_MF.iter().copied().cycle().take(7 * 30).collect();
    let request = server.request(RFM_TAR, script.clone());
    let sms = submits(&act(&mut server, &request));
    assert!(sms.len() > 1, "{} SMS", sms.len());
    let mut reassembler = Reassembler::new();
    let mut packet = None;
    for submit in &sms {
        packet = reassembler.push(&submit.user_data).unwrap().or(packet);
    }
    let keys = server.keys_for(&request).unwrap();
    assert_eq!(open_command(&packet.unwrap(), &keys).unwrap().data, script);
    let references: std::collections::BTreeSet<u8> =
        sms.iter().map(|s| s.message_reference).collect();
    assert_eq!(references.len(), sms.len(), "one TP-MR per SMS");
    assert!(server.status_line().contains(&format!("{} SMS", sms.len())));
}

#[test]
fn reads_and_verifies_the_por_from_the_status_report() {
    let mut server = Server::new();
    let request = server.request(RFM_TAR, SELECT_MF.to_vec());
    let reference = submits(&act(&mut server, &request))[0].message_reference;
    let por = por(&server, &request, 1, PorStatus::Ok);
    server.handle(
        Instant::ZERO,
        &report(reference, TransferStatus::RECEIVED, Some(por)),
    );
    let Some(OtaOutcome::Por(result)) = &server.sent()[0].outcome else {
        panic!("no PoR: {:?}", server.sent()[0].outcome);
    };
    assert_eq!(result.status, PorStatus::Ok);
    assert!(result.protected);
    assert_eq!(result.counter, 1);
    let compact = result.compact.as_ref().unwrap();
    assert_eq!(
        (compact.executed, compact.last_status),
        (1, StatusWord(0x611A))
    );
    assert!(
        server
            .status_line()
            .ends_with("PoR 00 PoR OK, 1 command(s) executed, last SW 61 1A"),
        "{}",
        server.status_line()
    );
}

#[test]
fn a_por_for_another_counter_or_forged_is_refused() {
    let mut server = Server::new();
    let request = server.request(RFM_TAR, SELECT_MF.to_vec());
    let reference = submits(&act(&mut server, &request))[0].message_reference;
    let stale = por(&server, &request, 7, PorStatus::Ok);
    server.handle(
        Instant::ZERO,
        &report(reference, TransferStatus::RECEIVED, Some(stale)),
    );
    assert!(matches!(
        &server.sent()[0].outcome,
        Some(OtaOutcome::BadPor(reason)) if reason.contains("counter")
    ));

    let reference = submits(&act(&mut server, &request))[0].message_reference;
    let mut forged = por(&server, &request, 2, PorStatus::Ok);
    let last = forged.len() - 1;
    forged[last] ^= 0x01;
    server.handle(
        Instant::ZERO,
        &report(reference, TransferStatus::RECEIVED, Some(forged)),
    );
    assert!(matches!(
        &server.sent()[1].outcome,
        Some(OtaOutcome::BadPor(_))
    ));
}

#[test]
fn an_undelivered_message_and_a_por_less_delivery_are_recorded() {
    let mut server = Server::new();
    let request = server.request(RFM_TAR, SELECT_MF.to_vec());
    let reference = submits(&act(&mut server, &request))[0].message_reference;
    server.handle(
        Instant::ZERO,
        &report(reference, TransferStatus::REMOTE_PROCEDURE_ERROR, None),
    );
    assert_eq!(
        server.sent()[0].outcome,
        Some(OtaOutcome::NotDelivered(TransferStatus(0x40)))
    );
    assert!(server
        .status_line()
        .ends_with("not delivered: 40 remote procedure error"));

    let quiet = OtaRequest {
        spi: Spi::new(0x16, 0x00),
        ..request
    };
    let reference = submits(&act(&mut server, &quiet))[0].message_reference;
    server.handle(
        Instant::ZERO,
        &report(reference, TransferStatus::RECEIVED, None),
    );
    assert_eq!(server.sent()[1].outcome, Some(OtaOutcome::Delivered));
    // A report for no message of ours is ignored.
    server.handle(Instant::ZERO, &report(200, TransferStatus::RECEIVED, None));
    assert_eq!(server.sent().len(), 2);
}

#[test]
fn a_request_the_card_has_no_keys_for_is_not_sent() {
    let mut server = Server::new();
    let mut request = server.request(RFM_TAR, SELECT_MF.to_vec());
    request.kic = 0x75; // key version 7: the card has none.
    assert!(act(&mut server, &request).is_empty());
    assert!(server.last_error().unwrap().contains("version 7"));
    assert!(server.status_line().starts_with("cannot send"));
    assert_eq!(server.card().counters.get(&RFM_TAR), None);
    // AES named with the triple DES key set's version.
    request.kic = 0x22;
    assert!(act(&mut server, &request).is_empty());
    assert!(server.last_error().unwrap().contains("AES"));
    assert!(server.sent().is_empty());
}
