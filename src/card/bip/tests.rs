//! The BIP engine through the card's APDUs: TERMINAL PROFILE, FETCH, TERMINAL RESPONSE
//! and event downloads, as the phone would send them.

use super::*;
use crate::card::http::Responder;
use crate::card::scws_admin::{open_channel, ScwsConfig};
use crate::card::toolkit::tests::{
    card, envelope_apdu, full_profile, send, terminal_profile_apdu, terminal_response_apdu,
};
use crate::wire::cat::GeneralResult;
use crate::wire::hex;

// ----- helpers ---------------------------------------------------------------------------

/// FETCHes the command `status` (`91 XX`) announces.
fn fetch_announced(card: &mut Card, status: &str) -> ProactiveCommand {
    assert!(status.starts_with("91"), "nothing announced: {status}");
    let reply = send(card, &format!("80120000{}", &status[2..]));
    let (body, sw) = reply.split_at(reply.len() - 4);
    assert_eq!(sw, "9000");
    ProactiveCommand::parse(&hex::parse(body).unwrap()).expect("a proactive command")
}

fn respond(card: &mut Card, response: &TerminalResponse) -> String {
    send(card, &terminal_response_apdu(response))
}

fn data_available(channel: u8, length: usize) -> String {
    let status = ChannelStatus::new(channel, ChannelState::Established, 0);
    envelope_apdu(&EventDownload::data_available(status, length).emit())
}

fn channel_status(channel: u8, state: ChannelState, further_info: u8) -> String {
    let status = ChannelStatus::new(channel, state, further_info);
    envelope_apdu(&EventDownload::channel_status_change(status).emit())
}

/// The TERMINAL RESPONSE to RECEIVE DATA: `data`, and `left` bytes still waiting.
fn received(command: &ProactiveCommand, data: &[u8], left: u8) -> TerminalResponse {
    TerminalResponse::ok_for(command)
        .with(Object::ChannelData(data.to_vec()))
        .with(Object::ChannelDataLength(left))
}

/// A card (full profile, BIP events set) with the SCWS listening on channel 1 with
/// `buffer_size` granted, and a server connected.
fn server_card(buffer_size: u16) -> Card {
    let mut card = card();
    let number = card.toolkit().next_number();
    let command = open_channel(number, &ScwsConfig::default());
    card.open_channel(command, Service::Scws(Responder::new()))
        .unwrap();
    let status = send(&mut card, "80F2000C");
    let open = fetch_announced(&mut card, &status);
    assert_eq!(open.details().command_type, CommandType::OPEN_CHANNEL);
    let ok = TerminalResponse::ok_for(&open)
        .with(Object::ChannelStatus(ChannelStatus::new(
            1,
            ChannelState::Listen,
            0,
        )))
        .with(Object::BufferSize(buffer_size));
    assert_eq!(respond(&mut card, &ok), "9000");
    assert_eq!(
        send(&mut card, &channel_status(1, ChannelState::Established, 0)),
        "9000"
    );
    card
}

/// Sends `request` as one data available event and one RECEIVE DATA.
fn request(card: &mut Card, request: &[u8]) -> String {
    let status = send(card, &data_available(1, request.len()));
    let receive = fetch_announced(card, &status);
    assert_eq!(
        receive.channel_data_length().map(usize::from),
        Some(request.len())
    );
    respond(card, &received(&receive, request, 0))
}

/// FETCHes and answers the SEND DATAs announced from `status` on: their data
/// concatenated, their qualifiers, their sizes, and the status after the last (with
/// the command announced then, if any).
struct Sent {
    data: Vec<u8>,
    qualifiers: Vec<u8>,
    sizes: Vec<usize>,
    status: String,
    next: Option<ProactiveCommand>,
}

fn sent(card: &mut Card, mut status: String) -> Sent {
    let mut out = Sent {
        data: Vec::new(),
        qualifiers: Vec::new(),
        sizes: Vec::new(),
        status: String::new(),
        next: None,
    };
    while status.starts_with("91") {
        let command = fetch_announced(card, &status);
        if command.details().command_type != CommandType::SEND_DATA {
            out.next = Some(command);
            break;
        }
        assert_eq!(command.devices().destination, DeviceIdentity::channel(1));
        let data = command.channel_data().unwrap();
        assert!(command.buffer_len() <= crate::card::toolkit::MAX_COMMAND_LEN);
        out.data.extend_from_slice(data);
        out.sizes.push(data.len());
        out.qualifiers.push(command.details().qualifier);
        let ok = TerminalResponse::ok_for(&command).with(Object::ChannelDataLength(0xFF));
        status = respond(card, &ok);
    }
    out.status = status;
    out
}

fn index_response(card: &Card, extra: &str) -> Vec<u8> {
    let index = card.scws_resource("/index.html").unwrap();
    let mut expected = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\n{extra}\r\n",
        index.content_type,
        index.body.len()
    )
    .into_bytes();
    expected.extend_from_slice(&index.body);
    expected
}

/// 60 bytes.
const GET_INDEX: &[u8] = b"GET /index.html HTTP/1.1\r\nHost: x\r\nAccept: text/html,*/*\r\n\r\n";

// ----- SET UP EVENT LIST ------------------------------------------------------------------

#[test]
fn a_full_terminal_profile_gets_set_up_event_list_for_the_bip_events() {
    let mut card = Card::new();
    card.power_on().unwrap();
    let status = send(&mut card, &terminal_profile_apdu(&full_profile()));
    assert_eq!(status, "910F");
    assert_eq!(
        send(&mut card, "801200000F"),
        "D00D81030105008202818299020 90A9000".replace(' ', "")
    );
    let list = event_list(1);
    assert_eq!(respond(&mut card, &TerminalResponse::ok_for(&list)), "9000");
    assert_eq!(card.toolkit().events(), &BIP_EVENTS);
    // A second profile finds the list set: nothing more to ask.
    assert_eq!(
        send(&mut card, &terminal_profile_apdu(&full_profile())),
        "9000"
    );
}

#[test]
fn a_profile_without_the_events_is_answered_9000_as_before() {
    for (byte, value) in [(4, 0x00), (5, 0x04), (5, 0x08)] {
        let mut card = Card::new();
        card.power_on().unwrap();
        let mut profile = full_profile();
        profile[byte] = value;
        assert_eq!(send(&mut card, &terminal_profile_apdu(&profile)), "9000");
        assert!(card.toolkit().queued().next().is_none());
    }
}

// ----- UICC server mode: the SCWS --------------------------------------------------------

#[test]
fn open_channel_response_enters_the_channel_table() {
    let card = server_card(1400);
    let channel = card.bip().channel(1).expect("channel 1 is known");
    assert_eq!(channel.mode(), &Mode::Server { port: 3516 });
    assert_eq!(channel.buffer_size(), 1400);
    assert_eq!(channel.state(), ChannelState::Established);
    assert_eq!(card.bip().channels().count(), 1);
}

#[test]
fn serves_a_get_with_receive_data_then_send_data_store_and_immediately() {
    let mut card = server_card(1400);
    assert_eq!(GET_INDEX.len(), 60);
    let status = send(&mut card, &data_available(1, 60));
    assert_eq!(status, "910E");
    // Commands 01 SET UP EVENT LIST, 02 OPEN CHANNEL, 03 this one.
    assert_eq!(
        send(&mut card, "801200000E"),
        "D00C810303420082028121B7013C9000"
    );
    let receive =
        ProactiveCommand::parse(&hex::parse("D00C810303420082028121B7013C").unwrap()).unwrap();
    let status = respond(&mut card, &received(&receive, GET_INDEX, 0));
    let sent = sent(&mut card, status);
    let expected = index_response(&card, "");
    assert!(expected.len() > MAX_SEND, "two SEND DATAs needed");
    assert_eq!(sent.data, expected);
    assert_eq!(sent.qualifiers, vec![0x00, 0x01]);
    assert_eq!(sent.sizes[0], MAX_SEND);
    // Keep-alive: nothing more to do, the connection stays.
    assert_eq!(sent.status, "9000");
    assert_eq!(
        card.bip().channel(1).unwrap().state(),
        ChannelState::Established
    );
    assert_eq!(
        card.bip().notes().last(),
        Some(&Note::Exchange {
            channel: 1,
            exchange: Exchange {
                request: "GET /index.html".into(),
                status: 200
            }
        })
    );
}

#[test]
fn a_request_split_over_two_receive_data_is_answered_once_complete() {
    let mut card = server_card(1400);
    let status = send(&mut card, &data_available(1, 60));
    let first = fetch_announced(&mut card, &status);
    let (head, tail) = GET_INDEX.split_at(25);
    // 35 bytes still waiting: the card asks for them, and sends nothing yet.
    let status = respond(&mut card, &received(&first, head, 35));
    let second = fetch_announced(&mut card, &status);
    assert_eq!(second.details().command_type, CommandType::RECEIVE_DATA);
    assert_eq!(second.channel_data_length(), Some(35));
    let status = respond(&mut card, &received(&second, tail, 0));
    let sent = sent(&mut card, status);
    assert_eq!(sent.data, index_response(&card, ""));
}

#[test]
fn asks_for_at_most_what_one_terminal_response_carries() {
    let mut card = server_card(1400);
    let status = send(&mut card, &data_available(1, 300));
    let receive = fetch_announced(&mut card, &status);
    assert_eq!(receive.channel_data_length(), Some(MAX_RECEIVE));
    let full = received(&receive, &[b'a'; MAX_RECEIVE as usize], 0xFF);
    assert_eq!(full.buffer_len(), 255, "Lc of one TERMINAL RESPONSE");
    // More than 255 still waiting: another RECEIVE DATA of 237.
    let status = respond(&mut card, &full);
    let again = fetch_announced(&mut card, &status);
    assert_eq!(again.channel_data_length(), Some(MAX_RECEIVE));
    assert_eq!(card.bip().channel(1).unwrap().rx_waiting(), 256);
}

#[test]
fn a_response_longer_than_the_buffer_goes_in_bursts_each_sent_immediately() {
    let mut card = server_card(300);
    let status = request(&mut card, GET_INDEX);
    let sent = sent(&mut card, status);
    let expected = index_response(&card, "");
    assert_eq!(sent.data, expected);
    assert_eq!(sent.qualifiers, vec![0x00, 0x01, 0x01]);
    assert_eq!(sent.sizes, vec![241, 59, expected.len() - 300]);
}

#[test]
fn unknown_paths_get_404_and_the_connection_stays() {
    let mut card = server_card(1400);
    let status = request(&mut card, b"GET /nothing.html HTTP/1.1\r\nHost: x\r\n\r\n");
    let sent = sent(&mut card, status);
    assert_eq!(
        sent.data,
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    );
    assert_eq!(sent.qualifiers, vec![0x01]);
    assert_eq!(sent.status, "9000");
    // The same connection serves the next request.
    let status = request(&mut card, b"HEAD /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut head = index_response(&card, "");
    head.truncate(head.len() - card.scws_resource("/index.html").unwrap().body.len());
    assert_eq!(sent_data(&mut card, status), head);
}

fn sent_data(card: &mut Card, status: String) -> Vec<u8> {
    sent(card, status).data
}

#[test]
fn a_put_on_the_channel_replaces_the_resource_and_others_get_405() {
    let mut card = server_card(1400);
    let status = request(
        &mut card,
        b"PUT /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi",
    );
    assert_eq!(
        sent_data(&mut card, status),
        b"HTTP/1.1 204 No Content\r\n\r\n"
    );
    let page = card.scws_resource("/index.html").unwrap();
    assert_eq!(page.body, b"hi");
    assert_eq!(page.content_type, "application/octet-stream");
    let status = request(&mut card, b"PATCH /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(
        sent_data(&mut card, status),
        b"HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD, PUT, POST, DELETE\r\n\
          Content-Length: 0\r\n\r\n"
    );
}

#[test]
fn a_bad_request_gets_400_then_the_channel_goes_back_to_listen() {
    let mut card = server_card(1400);
    let status = request(&mut card, b"GET /index.html HTTP/1.1\r\n\r\n");
    let sent = sent(&mut card, status);
    assert_eq!(
        sent.data,
        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let close = sent.next.expect("CLOSE CHANNEL after the response");
    assert_eq!(hex::compact(&close.emit()), "D009810305410182028121");
    assert_eq!(
        respond(&mut card, &TerminalResponse::ok_for(&close)),
        "9000"
    );
    assert_eq!(card.bip().channel(1).unwrap().state(), ChannelState::Listen);
}

#[test]
fn connection_close_is_honoured_then_a_new_connection_is_served() {
    let mut card = server_card(1400);
    let close_request = b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let status = request(&mut card, close_request);
    let sent = sent(&mut card, status);
    assert_eq!(sent.data, index_response(&card, "Connection: close\r\n"));
    let close = sent.next.unwrap();
    assert_eq!(close.details().command_type, CommandType::CLOSE_CHANNEL);
    assert_eq!(close.details().qualifier, 0x01, "back to TCP LISTEN");
    assert_eq!(
        respond(&mut card, &TerminalResponse::ok_for(&close)),
        "9000"
    );
    // The next server connects and is served afresh.
    send(&mut card, &channel_status(1, ChannelState::Established, 0));
    let status = request(&mut card, GET_INDEX);
    assert_eq!(sent_data(&mut card, status), index_response(&card, ""));
}

#[test]
fn link_dropped_closes_the_channel_back_to_listen() {
    let mut card = server_card(1400);
    let status = send(
        &mut card,
        &channel_status(1, ChannelState::Closed, ChannelStatus::LINK_DROPPED),
    );
    assert_eq!(status, "910B");
    assert_eq!(
        send(&mut card, "801200000B"),
        "D009810303410182028121 9000".replace(' ', "")
    );
    assert_eq!(card.bip().channel(1).unwrap().state(), ChannelState::Closed);
    let close = ProactiveCommand::parse(&hex::parse("D009810303410182028121").unwrap()).unwrap();
    assert_eq!(
        respond(&mut card, &TerminalResponse::ok_for(&close)),
        "9000"
    );
    assert_eq!(card.bip().channel(1).unwrap().state(), ChannelState::Listen);
}

#[test]
fn events_for_a_channel_the_card_does_not_know_are_acknowledged_and_ignored() {
    let mut card = server_card(1400);
    let before = card.clone();
    assert_eq!(send(&mut card, &data_available(2, 60)), "9000");
    assert_eq!(
        send(
            &mut card,
            &channel_status(3, ChannelState::Closed, ChannelStatus::LINK_DROPPED)
        ),
        "9000"
    );
    assert_eq!(card, before);
}

#[test]
fn a_bip_error_in_send_data_stops_the_response_and_is_noted() {
    let mut card = server_card(1400);
    let status = request(&mut card, GET_INDEX);
    let first = fetch_announced(&mut card, &status);
    assert_eq!(first.details().qualifier, 0x00, "the first of two pieces");
    let error = TerminalResponse::error_for(&first, GeneralResult::BIP_ERROR, &[0x02]);
    assert_eq!(
        respond(&mut card, &error),
        "9000",
        "the second piece is dropped"
    );
    assert_eq!(card.bip().channel(1).unwrap().pending(), 0);
    assert_eq!(
        card.bip().notes().last(),
        Some(&Note::Failed {
            channel: Some(1),
            command: CommandType::SEND_DATA,
            result: CommandResult {
                general: GeneralResult::BIP_ERROR,
                additional: vec![0x02]
            }
        })
    );
}

#[test]
fn a_failed_open_channel_opens_nothing_and_is_noted() {
    let mut card = card();
    let command = open_channel(card.toolkit().next_number(), &ScwsConfig::default());
    card.open_channel(command, Service::Scws(Responder::new()))
        .unwrap();
    let status = send(&mut card, "80F2000C");
    let open = fetch_announced(&mut card, &status);
    let refused = TerminalResponse::error_for(&open, GeneralResult::BIP_ERROR, &[0x10]);
    assert_eq!(respond(&mut card, &refused), "9000");
    assert_eq!(card.bip().channels().count(), 0);
    assert!(matches!(
        card.bip().notes().last(),
        Some(Note::Failed { channel: None, command, .. }) if *command == CommandType::OPEN_CHANNEL
    ));
}

#[test]
fn get_channel_status_forgets_the_channels_it_does_not_list() {
    let mut card = server_card(1400);
    let number = card.toolkit().next_number();
    let get = ProactiveCommand::new(
        number,
        CommandType::GET_CHANNEL_STATUS,
        0,
        DeviceIdentity::UICC,
        DeviceIdentity::TERMINAL,
    );
    card.raise_proactive(get.clone()).unwrap();
    let status = send(&mut card, "80F2000C");
    fetch_announced(&mut card, &status);
    let listed = TerminalResponse::ok_for(&get).with(Object::ChannelStatus(ChannelStatus::new(
        1,
        ChannelState::Listen,
        0,
    )));
    assert_eq!(respond(&mut card, &listed), "9000");
    assert_eq!(card.bip().channel(1).unwrap().state(), ChannelState::Listen);

    card.raise_proactive(get.clone()).unwrap();
    let status = send(&mut card, "80F2000C");
    fetch_announced(&mut card, &status);
    assert_eq!(respond(&mut card, &TerminalResponse::ok_for(&get)), "9000");
    assert_eq!(card.bip().channels().count(), 0);
}
