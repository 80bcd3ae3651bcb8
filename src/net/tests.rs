use super::*;
use crate::wire::hex;
use crate::wire::sms::{InformationElement, UserData, DCS_CLASS2_8BIT, PID_SIM_DATA_DOWNLOAD};

const SECOND: u64 = 1_000_000;

fn submit(reference: u8, to: &str, report: bool, validity: ValidityPeriod) -> Vec<u8> {
    SmsSubmit {
        reject_duplicates: false,
        validity_period: validity,
        status_report_request: report,
        reply_path: false,
        message_reference: reference,
        destination_address: Address::from_text(to).unwrap(),
        protocol_identifier: PID_SIM_DATA_DOWNLOAD,
        data_coding_scheme: DCS_CLASS2_8BIT,
        user_data: UserData::with_header(
            vec![InformationElement::CommandPacket],
            vec![0x00, 0x01, 0x02],
        ),
    }
    .emit()
    .unwrap()
}

fn from(node: NodeId, payload: Payload) -> Message {
    Message::new(node, NodeId::Network, payload)
}

fn send_submit(network: &mut Network, now: u64, bytes: Vec<u8>) -> Vec<Message> {
    network.handle(
        Instant(now),
        &from(NodeId::Server, Payload::SmsSubmit(bytes)),
    )
}

fn attach(network: &mut Network, now: u64) -> Vec<Message> {
    network.handle(Instant(now), &from(NodeId::Phone, Payload::Attach))
}

fn answer(network: &mut Network, now: u64, rp: RpResult, tpdu: &str) -> Vec<Message> {
    let tpdu = hex::parse(tpdu).unwrap();
    network.handle(
        Instant(now),
        &from(NodeId::Phone, Payload::SmsDeliverReport { rp, tpdu }),
    )
}

fn delivered(out: &[Message]) -> SmsDeliver {
    let delivers: Vec<&Message> = out
        .iter()
        .filter(|m| matches!(m.payload, Payload::SmsDeliver { .. }))
        .collect();
    assert_eq!(delivers.len(), 1, "{out:?}");
    assert_eq!(
        (delivers[0].from, delivers[0].to),
        (NodeId::Network, NodeId::Phone)
    );
    let Payload::SmsDeliver {
        service_centre,
        tpdu,
    } = &delivers[0].payload
    else {
        unreachable!()
    };
    assert_eq!(hex::compact(service_centre), "912120550591F9");
    SmsDeliver::parse(tpdu).unwrap()
}

fn status_reports(out: &[Message]) -> Vec<SmsStatusReport> {
    out.iter()
        .filter_map(|m| match &m.payload {
            Payload::SmsStatusReport(bytes) => {
                assert_eq!((m.from, m.to), (NodeId::Network, NodeId::Server));
                Some(SmsStatusReport::parse(bytes).unwrap())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn time_stamps_count_from_the_epoch_in_utc() {
    let at = |seconds: u64| time_stamp(Instant(seconds * SECOND + 999_999)).to_string();
    assert_eq!(at(0), "24-01-01 00:00:00 GMT+00:00");
    assert_eq!(at(86_400 + 3_723), "24-01-02 01:02:03 GMT+00:00");
    assert_eq!(
        at(59 * 86_400),
        "24-02-29 00:00:00 GMT+00:00",
        "2024 is a leap year"
    );
    assert_eq!(at(366 * 86_400), "25-01-01 00:00:00 GMT+00:00");
    assert_eq!(
        at(366 * 86_400 + 59 * 86_400),
        "25-03-01 00:00:00 GMT+00:00"
    );
}

#[test]
fn stores_until_the_phone_attaches_then_delivers_as_the_server() {
    let mut network = Network::new();
    assert!(send_submit(
        &mut network,
        5 * SECOND,
        submit(
            7,
            PHONE_NUMBER,
            true,
            ValidityPeriod::Relative(VALIDITY_24H)
        )
    )
    .is_empty());
    assert_eq!(network.stored().len(), 1);
    assert!(network.status_line().contains("not attached; 1 stored"));
    let out = attach(&mut network, 60 * SECOND);
    let sms = delivered(&out);
    assert_eq!(sms.originating_address.text(), SERVER_ADDRESS);
    assert_eq!(sms.protocol_identifier, 0x7F);
    assert_eq!(sms.data_coding_scheme, 0xF6);
    assert!(sms.status_report_indication, "TP-SRI follows TP-SRR");
    assert!(!sms.more_messages_waiting);
    assert_eq!(
        sms.service_centre_time_stamp.to_string(),
        "24-01-01 00:00:05 GMT+00:00",
        "TP-SCTS is when the centre received the SUBMIT"
    );
    assert_eq!(sms.user_data.body, [0x00, 0x01, 0x02]);
    assert_eq!(network.in_delivery().map(|m| m.attempts), Some(1));
}

const VALIDITY_24H: u8 = 0xA7;

#[test]
fn rp_ack_gives_a_status_report_carrying_the_deliver_reports_user_data() {
    let mut network = Network::new();
    attach(&mut network, 0);
    send_submit(
        &mut network,
        SECOND,
        submit(7, PHONE_NUMBER, true, ValidityPeriod::None),
    );
    let out = answer(&mut network, 3 * SECOND, RpResult::Ack, "40077FF603027100");
    let reports = status_reports(&out);
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    assert_eq!(report.message_reference, 7);
    assert_eq!(report.recipient_address.text(), PHONE_NUMBER);
    assert_eq!(report.status, TransferStatus::RECEIVED);
    assert_eq!(
        report.discharge_time.to_string(),
        "24-01-01 00:00:03 GMT+00:00"
    );
    let ud = report.user_data().unwrap();
    assert_eq!(ud.element(0x71), Some(&InformationElement::ResponsePacket));
    assert_eq!(network.counts(), (1, 0));
    assert!(network.in_delivery().is_none());
}

#[test]
fn a_plain_rp_ack_gives_a_status_report_without_optional_parameters() {
    let mut network = Network::new();
    attach(&mut network, 0);
    send_submit(
        &mut network,
        SECOND,
        submit(1, PHONE_NUMBER, true, ValidityPeriod::None),
    );
    let reports = status_reports(&answer(&mut network, 2 * SECOND, RpResult::Ack, "0000"));
    assert_eq!(reports[0].parameters, None);
}

#[test]
fn toolkit_busy_is_retried_a_bounded_number_of_times() {
    let mut network = Network::new();
    attach(&mut network, 0);
    send_submit(
        &mut network,
        SECOND,
        submit(3, PHONE_NUMBER, true, ValidityPeriod::None),
    );
    for attempt in 2..=MAX_DELIVERY_ATTEMPTS {
        let out = answer(&mut network, 2 * SECOND, RpResult::Error, "00D4037FF6");
        delivered(&out);
        assert!(status_reports(&out).is_empty());
        assert_eq!(network.in_delivery().map(|m| m.attempts), Some(attempt));
    }
    let out = answer(&mut network, 9 * SECOND, RpResult::Error, "00D4037FF6");
    let reports = status_reports(&out);
    assert_eq!(reports[0].status, TransferStatus::SME_BUSY_GIVEN_UP);
    assert_eq!(network.counts(), (0, 1));
    assert!(network.stored().is_empty() && network.in_delivery().is_none());
}

#[test]
fn a_data_download_error_is_permanent() {
    let mut network = Network::new();
    attach(&mut network, 0);
    send_submit(
        &mut network,
        SECOND,
        submit(4, PHONE_NUMBER, true, ValidityPeriod::None),
    );
    let out = answer(&mut network, 2 * SECOND, RpResult::Error, "00D5037FF6");
    let reports = status_reports(&out);
    assert_eq!(reports[0].status, TransferStatus::REMOTE_PROCEDURE_ERROR);
    let parameters = reports[0].parameters.as_ref().unwrap();
    assert_eq!(parameters.protocol_identifier, Some(0x7F));
    assert!(network.status_line().contains("(U)SIM data download error"));
}

#[test]
fn no_status_report_unless_asked_for() {
    let mut network = Network::new();
    attach(&mut network, 0);
    send_submit(
        &mut network,
        SECOND,
        submit(5, PHONE_NUMBER, false, ValidityPeriod::None),
    );
    assert!(answer(&mut network, 2 * SECOND, RpResult::Ack, "0000").is_empty());
    assert_eq!(network.counts(), (1, 0));
}

#[test]
fn an_unknown_destination_is_not_obtainable() {
    let mut network = Network::new();
    attach(&mut network, 0);
    let out = send_submit(
        &mut network,
        SECOND,
        submit(6, "+12025550155", true, ValidityPeriod::None),
    );
    let reports = status_reports(&out);
    assert_eq!(reports[0].status, TransferStatus::NOT_OBTAINABLE);
    assert_eq!(reports[0].recipient_address.text(), "+12025550155");
    assert!(network.stored().is_empty());
}

#[test]
fn one_message_at_a_time_with_more_messages_waiting_said() {
    let mut network = Network::new();
    send_submit(
        &mut network,
        SECOND,
        submit(1, PHONE_NUMBER, true, ValidityPeriod::None),
    );
    send_submit(
        &mut network,
        SECOND,
        submit(2, PHONE_NUMBER, true, ValidityPeriod::None),
    );
    let first = delivered(&attach(&mut network, 2 * SECOND));
    assert!(first.more_messages_waiting);
    let out = answer(&mut network, 3 * SECOND, RpResult::Ack, "0000");
    assert_eq!(status_reports(&out)[0].message_reference, 1);
    let second = delivered(&out);
    assert!(!second.more_messages_waiting);
}

#[test]
fn a_detach_puts_the_message_back_for_the_next_attach() {
    let mut network = Network::new();
    attach(&mut network, 0);
    send_submit(
        &mut network,
        SECOND,
        submit(1, PHONE_NUMBER, true, ValidityPeriod::None),
    );
    assert!(network
        .handle(Instant(2 * SECOND), &from(NodeId::Phone, Payload::Detach))
        .is_empty());
    assert!(!network.attached());
    assert_eq!(network.stored().len(), 1);
    assert!(
        answer(&mut network, 3 * SECOND, RpResult::Ack, "0000").is_empty(),
        "stray"
    );
    let again = attach(&mut network, 4 * SECOND);
    delivered(&again);
    assert_eq!(network.in_delivery().map(|m| m.attempts), Some(2));
}

#[test]
fn an_expired_message_is_dropped_with_status_46() {
    let mut network = Network::new();
    // Relative validity 00: 5 minutes.
    send_submit(
        &mut network,
        0,
        submit(9, PHONE_NUMBER, true, ValidityPeriod::Relative(0)),
    );
    let out = attach(&mut network, 301 * SECOND);
    let reports = status_reports(&out);
    assert_eq!(reports[0].status, TransferStatus::VALIDITY_PERIOD_EXPIRED);
    assert!(out
        .iter()
        .all(|m| !matches!(m.payload, Payload::SmsDeliver { .. })));
}

#[test]
fn bad_input_changes_nothing_but_the_status_line() {
    let mut network = Network::new();
    attach(&mut network, 0);
    let before = network.clone();
    assert!(send_submit(&mut network, SECOND, vec![0x01]).is_empty());
    assert!(network.status_line().contains("does not decode"));
    assert_eq!(network.stored(), before.stored());
    // A report with nothing out for delivery, and a report that does not decode.
    assert!(answer(&mut network, SECOND, RpResult::Ack, "0000").is_empty());
    send_submit(
        &mut network,
        SECOND,
        submit(1, PHONE_NUMBER, true, ValidityPeriod::None),
    );
    let out = answer(&mut network, 2 * SECOND, RpResult::Ack, "01");
    delivered(&out);
    assert_eq!(
        network.in_delivery().map(|m| m.attempts),
        Some(2),
        "retried"
    );
}

#[test]
fn user_data_too_long_for_a_status_report_are_left_out() {
    let mut network = Network::new();
    attach(&mut network, 0);
    send_submit(
        &mut network,
        SECOND,
        submit(1, PHONE_NUMBER, true, ValidityPeriod::None),
    );
    let long = format!("00077FF68C{}", "AB".repeat(140));
    let reports = status_reports(&answer(&mut network, 2 * SECOND, RpResult::Ack, &long));
    assert_eq!(reports[0].status, TransferStatus::RECEIVED);
    assert_eq!(reports[0].parameters, None);
    let short = format!("00077FF680{}", "AB".repeat(128));
    send_submit(
        &mut network,
        3 * SECOND,
        submit(2, PHONE_NUMBER, true, ValidityPeriod::None),
    );
    let reports = status_reports(&answer(&mut network, 4 * SECOND, RpResult::Ack, &short));
    assert_eq!(reports[0].user_data().map(|ud| ud.body.len()), Some(128));
}
