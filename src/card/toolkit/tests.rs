//! The toolkit engine alone, then through the card's APDUs.

use super::*;
use crate::card::Card;
use crate::wire::cat::{
    BearerDescription, ChannelState, ChannelStatus, EventDownload, GeneralResult, SmsPpDownload,
    TransportLevel,
};
use crate::wire::hex;

// ----- helpers ---------------------------------------------------------------------------

/// A 17-byte profile declaring what the tests raise: bytes 3–4 all proactive commands,
/// byte 5 SET UP EVENT LIST, byte 6 data available and channel status, byte 8 timers,
/// byte 12 the five BIP commands, byte 13 GPRS and 2 channels, byte 17 TCP client
/// remote and TCP in UICC server mode.
pub(in crate::card) fn full_profile() -> Vec<u8> {
    let mut p = vec![0u8; 17];
    p[0] = 0x01;
    p[2] = 0xFF;
    p[3] = 0xFF;
    p[4] = 0x01;
    p[5] = 0x0C;
    p[7] = 0x03;
    p[11] = 0x1F;
    p[12] = 0x42;
    p[16] = 0x05;
    p
}

fn with_profile(profile: &[u8]) -> Toolkit {
    let mut toolkit = Toolkit::new();
    toolkit.set_profile(profile);
    toolkit
}

fn more_time(number: u8) -> ProactiveCommand {
    ProactiveCommand::new(
        number,
        CommandType::MORE_TIME,
        0,
        DeviceIdentity::UICC,
        DeviceIdentity::TERMINAL,
    )
}

fn display_text(number: u8) -> ProactiveCommand {
    ProactiveCommand::new(
        number,
        CommandType::DISPLAY_TEXT,
        0x80,
        DeviceIdentity::UICC,
        DeviceIdentity::DISPLAY,
    )
    .with(Object::Unknown {
        tag: 0x0D,
        value: b"\x04Hello".to_vec(),
    })
}

fn open_channel_server(number: u8) -> ProactiveCommand {
    ProactiveCommand::new(
        number,
        CommandType::OPEN_CHANNEL,
        0,
        DeviceIdentity::UICC,
        DeviceIdentity::TERMINAL,
    )
    .with(Object::BufferSize(1400))
    .with(Object::TransportLevel(TransportLevel {
        protocol: TransportProtocol::TCP_SERVER,
        port: 3516,
    }))
}

fn set_up_event_list(number: u8, events: Vec<Event>) -> ProactiveCommand {
    ProactiveCommand::new(
        number,
        CommandType::SET_UP_EVENT_LIST,
        0,
        DeviceIdentity::UICC,
        DeviceIdentity::TERMINAL,
    )
    .with(Object::EventList(events))
}

/// The APDU `header` (CLA INS P1 P2, hex) with `data` and its Lc, in hex.
pub(in crate::card) fn apdu(header: &str, data: &[u8]) -> String {
    format!("{header}{:02X}{}", data.len(), hex::compact(data))
}

pub(in crate::card) fn terminal_profile_apdu(profile: &[u8]) -> String {
    apdu("80100000", profile)
}

pub(in crate::card) fn terminal_response_apdu(response: &TerminalResponse) -> String {
    apdu("80140000", &response.emit())
}

pub(in crate::card) fn envelope_apdu(data: &[u8]) -> String {
    apdu("80C20000", data)
}

fn fetch_apdu(len: usize) -> String {
    format!("80120000{:02X}", len % 256)
}

/// A powered card that received [`full_profile`] and had the SET UP EVENT LIST it
/// raised for the BIP events performed: nothing pending.
pub(in crate::card) fn card() -> Card {
    let mut card = Card::new();
    card.power_on().expect("the card answers the reset");
    let list = crate::card::bip::event_list(1);
    assert_eq!(
        send(&mut card, &terminal_profile_apdu(&full_profile())),
        pending_sw(&list)
    );
    fetch(&mut card, &list);
    let ok = TerminalResponse::ok_for(&list);
    assert_eq!(send(&mut card, &terminal_response_apdu(&ok)), "9000");
    card
}

/// A powered card whose profile declares the channel status event but not data
/// available: the card raises no SET UP EVENT LIST of its own.
fn card_without_bip_events() -> Card {
    let mut card = Card::new();
    card.power_on().expect("the card answers the reset");
    let mut profile = full_profile();
    profile[5] = 0x08;
    assert_eq!(send(&mut card, &terminal_profile_apdu(&profile)), "9000");
    assert_eq!(card.toolkit().events(), &[]);
    card
}

pub(in crate::card) fn send(card: &mut Card, apdu: &str) -> String {
    let bytes = hex::parse(apdu).expect("test APDUs are hex");
    let response = card.process(&bytes).expect("the card answers");
    hex::compact(&response.emit())
}

/// `apdu` is refused with `sw` and the card is exactly as before.
fn refused_unchanged(card: &mut Card, apdu: &str, sw: &str) {
    let before = card.clone();
    assert_eq!(send(card, apdu), sw, "{apdu}");
    assert_eq!(*card, before, "{apdu} changed the card");
}

pub(in crate::card) fn pending_sw(command: &ProactiveCommand) -> String {
    format!("91{:02X}", command.buffer_len() % 256)
}

/// FETCHes the announced `command` and checks the bytes.
pub(in crate::card) fn fetch(card: &mut Card, command: &ProactiveCommand) {
    let expected = format!("{}9000", hex::compact(&command.emit()));
    assert_eq!(send(card, &fetch_apdu(command.buffer_len())), expected);
}

const READ_ICCID: &str = "00B082000A"; // short file identifier 02: EF.ICCID
const ICCID: &str = "98881201000000000001";

// ----- the engine alone --------------------------------------------------------------------

#[test]
fn refuses_everything_before_a_terminal_profile() {
    let mut toolkit = Toolkit::new();
    assert_eq!(toolkit.raise(more_time(1)), Err(Refused::NoTerminalProfile));
    assert_eq!(toolkit, Toolkit::new());
}

#[test]
fn refuses_a_command_the_profile_does_not_declare_and_keeps_the_queue() {
    let mut profile = full_profile();
    profile[2] = 0xF7; // byte 3 without b4: no MORE TIME
    let mut toolkit = with_profile(&profile);
    toolkit.raise(display_text(1)).unwrap();
    let before = toolkit.clone();
    assert_eq!(
        toolkit.raise(more_time(2)),
        Err(Refused::NotDeclared(Facility::MORE_TIME))
    );
    assert_eq!(toolkit, before);
    assert_eq!(toolkit.queued().count(), 1);
}

#[test]
fn refuses_command_types_with_no_profile_bit_mapped() {
    let mut toolkit = with_profile(&[0xFF; 32]);
    let set_frames = ProactiveCommand::new(
        1,
        CommandType(0x50),
        0,
        DeviceIdentity::UICC,
        DeviceIdentity::TERMINAL,
    );
    assert!(matches!(
        toolkit.raise(set_frames),
        Err(Refused::Unmapped(_))
    ));
    let timer_rfu = ProactiveCommand::new(
        1,
        CommandType::TIMER_MANAGEMENT,
        0x03,
        DeviceIdentity::UICC,
        DeviceIdentity::TERMINAL,
    );
    assert!(matches!(
        toolkit.raise(timer_rfu),
        Err(Refused::Unmapped(_))
    ));
    assert_eq!(toolkit.state(), &State::Idle);
}

#[test]
fn maps_the_commands_the_card_raises_to_their_bits() {
    let all = with_profile(&[0xFF; 32]);
    let none = with_profile(&[0x01]);
    for (command_type, qualifier) in [
        (CommandType::SET_UP_EVENT_LIST, 0),
        (CommandType::CLOSE_CHANNEL, 0),
        (CommandType::GET_CHANNEL_STATUS, 0),
        (CommandType::DISPLAY_TEXT, 0),
        (CommandType::SEND_SHORT_MESSAGE, 0),
        (CommandType::REFRESH, 0),
        (CommandType::MORE_TIME, 0),
        (CommandType::POLL_INTERVAL, 0),
        (CommandType::POLLING_OFF, 0),
        (CommandType::SET_UP_MENU, 0),
        (CommandType::PROVIDE_LOCAL_INFORMATION, 0),
        (CommandType::TIMER_MANAGEMENT, 0),
    ] {
        let command = ProactiveCommand::new(
            1,
            command_type,
            qualifier,
            DeviceIdentity::UICC,
            DeviceIdentity::TERMINAL,
        );
        let command = if command_type == CommandType::SET_UP_EVENT_LIST {
            command.with(Object::EventList(vec![]))
        } else {
            command
        };
        assert_eq!(all.clone().raise(command.clone()), Ok(()), "{command_type}");
        assert!(
            matches!(none.clone().raise(command), Err(Refused::NotDeclared(_))),
            "{command_type}"
        );
    }
}

#[test]
fn server_mode_open_channel_needs_the_tcp_server_bit() {
    let mut profile = full_profile();
    profile[16] = 0x01; // TCP client remote only
    let mut toolkit = with_profile(&profile);
    assert_eq!(
        toolkit.raise(open_channel_server(1)),
        Err(Refused::NotDeclared(Facility::TCP_SERVER))
    );
    toolkit.set_profile(&full_profile());
    assert_eq!(toolkit.raise(open_channel_server(1)), Ok(()));
}

#[test]
fn open_channel_needs_a_channel_in_byte_13() {
    let mut profile = full_profile();
    profile[12] = 0x02; // GPRS, no channel
    let mut toolkit = with_profile(&profile);
    assert_eq!(
        toolkit.raise(open_channel_server(1)),
        Err(Refused::NoChannels)
    );
}

#[test]
fn client_open_channel_needs_its_bearer_and_transport() {
    let gprs = |protocol| {
        ProactiveCommand::new(
            1,
            CommandType::OPEN_CHANNEL,
            0x01,
            DeviceIdentity::UICC,
            DeviceIdentity::TERMINAL,
        )
        .with(Object::BearerDescription(BearerDescription {
            bearer_type: BearerType::PACKET,
            parameters: vec![0, 0, 3, 0, 0, 2],
        }))
        .with(Object::BufferSize(1024))
        .with(Object::TransportLevel(TransportLevel {
            protocol,
            port: 443,
        }))
    };
    let mut toolkit = with_profile(&full_profile());
    assert_eq!(
        toolkit.raise(gprs(TransportProtocol::TCP_CLIENT_REMOTE)),
        Ok(())
    );
    assert_eq!(
        toolkit.raise(gprs(TransportProtocol::UDP_CLIENT_REMOTE)),
        Err(Refused::NotDeclared(Facility::UDP_CLIENT_REMOTE))
    );
    let mut profile = full_profile();
    profile[12] = 0x41; // CSD, 2 channels: no GPRS
    let mut toolkit = with_profile(&profile);
    assert_eq!(
        toolkit.raise(gprs(TransportProtocol::TCP_CLIENT_REMOTE)),
        Err(Refused::NotDeclared(Facility::GPRS))
    );
}

#[test]
fn set_up_event_list_needs_every_event_declared() {
    let mut profile = full_profile();
    profile[5] = 0x04; // data available only
    let mut toolkit = with_profile(&profile);
    assert_eq!(
        toolkit.raise(set_up_event_list(
            1,
            vec![Event::DATA_AVAILABLE, Event::CHANNEL_STATUS]
        )),
        Err(Refused::NotDeclared(Facility::CHANNEL_STATUS_EVENT))
    );
    assert_eq!(
        toolkit.raise(set_up_event_list(1, vec![Event(0x1C)])),
        Err(Refused::UnmappedEvent(Event(0x1C)))
    );
    assert_eq!(
        toolkit.raise(set_up_event_list(1, vec![Event::DATA_AVAILABLE])),
        Ok(())
    );
}

#[test]
fn refuses_reserved_numbers_foreign_sources_and_oversized_commands() {
    let mut toolkit = with_profile(&full_profile());
    assert_eq!(toolkit.raise(more_time(0)), Err(Refused::ReservedNumber(0)));
    assert_eq!(
        toolkit.raise(more_time(0xFF)),
        Err(Refused::ReservedNumber(0xFF))
    );
    let from_terminal = ProactiveCommand::new(
        1,
        CommandType::MORE_TIME,
        0,
        DeviceIdentity::TERMINAL,
        DeviceIdentity::UICC,
    );
    assert_eq!(
        toolkit.raise(from_terminal),
        Err(Refused::NotFromUicc(DeviceIdentity::TERMINAL))
    );
    let huge = display_text(1).with(Object::Unknown {
        tag: 0x0D,
        value: vec![0x04; 250],
    });
    assert!(matches!(toolkit.raise(huge), Err(Refused::TooLong(_))));
    assert_eq!(toolkit, with_profile(&full_profile()));
}

#[test]
fn numbers_cycle_from_01_to_fe() {
    let mut toolkit = with_profile(&full_profile());
    assert_eq!(toolkit.next_number(), 1);
    toolkit.raise(more_time(0xFE)).unwrap();
    assert_eq!(toolkit.next_number(), 1);
    toolkit.raise(more_time(7)).unwrap();
    assert_eq!(toolkit.next_number(), 8);
}

#[test]
fn a_refused_event_list_response_keeps_the_old_list() {
    let mut toolkit = with_profile(&full_profile());
    let command = set_up_event_list(1, vec![Event::DATA_AVAILABLE]);
    toolkit.raise(command.clone()).unwrap();
    toolkit.fetch().unwrap();
    let failed = TerminalResponse::error_for(&command, GeneralResult::BEYOND_CAPABILITIES, &[]);
    toolkit.terminal_response(failed).unwrap();
    assert!(toolkit.events().is_empty());
    toolkit.raise(command.clone()).unwrap();
    toolkit.fetch().unwrap();
    toolkit
        .terminal_response(TerminalResponse::ok_for(&command))
        .unwrap();
    assert!(toolkit.expects_event(Event::DATA_AVAILABLE));
    assert!(!toolkit.expects_event(Event::CHANNEL_STATUS));
}

#[test]
fn a_response_out_of_turn_changes_nothing() {
    let mut toolkit = with_profile(&full_profile());
    toolkit.raise(more_time(1)).unwrap();
    let before = toolkit.clone();
    assert_eq!(
        toolkit.terminal_response(TerminalResponse::ok_for(&more_time(1))),
        Err(Mismatch::NothingOutstanding)
    );
    assert_eq!(toolkit, before);
}

// ----- through the card --------------------------------------------------------------------

#[test]
fn full_cycle_raise_announce_fetch_respond() {
    let mut card = card();
    let command = more_time(1);
    card.raise_proactive(command.clone()).unwrap();
    assert_eq!(send(&mut card, "80F2000C"), "910B", "STATUS announces it");
    assert_eq!(card.toolkit().state().name(), "ExpectFetch");
    fetch(&mut card, &command);
    assert_eq!(card.toolkit().outstanding(), Some(&command));
    assert_eq!(
        send(&mut card, "80F2000C"),
        "9000",
        "nothing more to announce"
    );
    let response = TerminalResponse::ok_for(&command);
    assert_eq!(send(&mut card, &terminal_response_apdu(&response)), "9000");
    assert_eq!(card.toolkit().state(), &State::Idle);
    assert_eq!(
        card.toolkit().last_completed(),
        Some(&Completed { command, response })
    );
}

#[test]
fn announces_after_read_binary_select_and_status() {
    let mut card = card();
    let command = display_text(1);
    let sw = pending_sw(&command);
    card.raise_proactive(command).unwrap();
    assert_eq!(send(&mut card, READ_ICCID), format!("{ICCID}{sw}"));
    assert_eq!(send(&mut card, "00A4000C022FE2"), sw, "SELECT without data");
    assert_eq!(send(&mut card, "80F2000C"), sw, "STATUS without data");
    let status = send(&mut card, "80F2000000");
    assert!(status.starts_with("6C"), "{status}");
    let fcp = send(&mut card, &format!("80F20000{}", &status[2..4]));
    assert!(fcp.starts_with("62") && fcp.ends_with(&sw), "{fcp}");
}

#[test]
fn response_data_waiting_takes_precedence_until_get_response_ends() {
    let mut card = card();
    let command = more_time(1);
    card.raise_proactive(command).unwrap();
    let status = send(&mut card, "00A40004022FE2");
    assert!(status.starts_with("61"), "T=0 case 4 keeps 61XX: {status}");
    let fcp = send(&mut card, &format!("00C00000{}", &status[2..4]));
    assert!(fcp.ends_with("910B"), "{fcp}");
}

#[test]
fn refusals_keep_their_status_word_while_a_command_is_pending() {
    let mut card = card();
    card.raise_proactive(more_time(1)).unwrap();
    refused_unchanged(&mut card, "00B0000001", "6986");
    refused_unchanged(&mut card, "00A4000C026F99", "6A82");
}

#[test]
fn fetch_returns_the_raised_commands_bytes() {
    let mut card = card();
    let command = open_channel_server(3);
    card.raise_proactive(command.clone()).unwrap();
    assert_eq!(send(&mut card, "80F2000C"), "9114");
    assert_eq!(
        send(&mut card, "8012000014"),
        "D012810303400082028182B9020578BC03030DBC9000"
    );
    assert_eq!(
        hex::compact(&command.emit()),
        "D012810303400082028182B9020578BC03030DBC"
    );
}

#[test]
fn fetch_with_the_wrong_le_gets_6cxx_and_changes_nothing() {
    let mut card = card();
    card.raise_proactive(more_time(1)).unwrap();
    refused_unchanged(&mut card, "8012000010", "6C0B");
    refused_unchanged(&mut card, "8012000000", "6C0B");
    refused_unchanged(&mut card, "80120000", "6C0B");
}

#[test]
fn fetch_with_nothing_announced_gets_6985() {
    let mut card = card();
    refused_unchanged(&mut card, "801200000B", "6985");
    let command = more_time(1);
    card.raise_proactive(command.clone()).unwrap();
    fetch(&mut card, &command);
    refused_unchanged(&mut card, "801200000B", "6985");
}

#[test]
fn terminal_response_with_nothing_outstanding_gets_6985() {
    let mut card = card();
    let command = more_time(1);
    let response = terminal_response_apdu(&TerminalResponse::ok_for(&command));
    refused_unchanged(&mut card, &response, "6985");
    card.raise_proactive(command).unwrap();
    refused_unchanged(&mut card, &response, "6985");
}

#[test]
fn mismatching_terminal_responses_are_refused_without_a_state_change() {
    let mut card = card();
    let command = display_text(5);
    card.raise_proactive(command.clone()).unwrap();
    fetch(&mut card, &command);
    let other = |number, command_type, qualifier| {
        ProactiveCommand::new(
            number,
            command_type,
            qualifier,
            DeviceIdentity::UICC,
            DeviceIdentity::DISPLAY,
        )
    };
    for (what, wrong) in [
        ("number", other(6, CommandType::DISPLAY_TEXT, 0x80)),
        ("type", other(5, CommandType::MORE_TIME, 0x80)),
        ("qualifier", other(5, CommandType::DISPLAY_TEXT, 0x81)),
    ] {
        let apdu = terminal_response_apdu(&TerminalResponse::ok_for(&wrong));
        let before = card.clone();
        assert_eq!(send(&mut card, &apdu), "6A80", "{what}");
        assert_eq!(card, before, "{what}");
    }
    // Device identities UICC → terminal instead of terminal → UICC.
    refused_unchanged(&mut card, "80140000 0C 810305218082028182830100", "6A80");
    // The right one still completes it.
    let ok = terminal_response_apdu(&TerminalResponse::ok_for(&command));
    assert_eq!(send(&mut card, &ok), "9000");
}

#[test]
fn malformed_terminal_responses_are_refused_without_a_state_change() {
    let mut card = card();
    let command = more_time(1);
    card.raise_proactive(command.clone()).unwrap();
    fetch(&mut card, &command);
    refused_unchanged(&mut card, "80140000", "6700");
    refused_unchanged(&mut card, "8014000007 81030102008202", "6A80");
    // Command details and device identities but no result.
    refused_unchanged(&mut card, "80140000098103010200820282 81", "6A80");
    let with_le = format!(
        "{}01",
        terminal_response_apdu(&TerminalResponse::ok_for(&command))
    );
    refused_unchanged(&mut card, &with_le, "6700");
    refused_unchanged(
        &mut card,
        &format!("81140000{}", &with_le[8..with_le.len() - 2]),
        "6881",
    );
}

#[test]
fn the_queue_drains_in_order() {
    let mut card = card();
    let first = more_time(1);
    let second = display_text(2);
    card.raise_proactive(first.clone()).unwrap();
    card.raise_proactive(second.clone()).unwrap();
    assert_eq!(card.toolkit().queued().count(), 2);
    assert_eq!(send(&mut card, "80F2000C"), pending_sw(&first));
    fetch(&mut card, &first);
    assert_eq!(
        send(
            &mut card,
            &terminal_response_apdu(&TerminalResponse::ok_for(&first))
        ),
        pending_sw(&second),
        "the next one is announced by the TERMINAL RESPONSE itself"
    );
    fetch(&mut card, &second);
    assert_eq!(
        send(
            &mut card,
            &terminal_response_apdu(&TerminalResponse::ok_for(&second))
        ),
        "9000"
    );
    assert_eq!(card.toolkit().state(), &State::Idle);
}

#[test]
fn a_command_raised_while_one_is_outstanding_waits_for_its_response() {
    let mut card = card();
    let first = more_time(1);
    card.raise_proactive(first.clone()).unwrap();
    fetch(&mut card, &first);
    let second = more_time(2);
    card.raise_proactive(second.clone()).unwrap();
    assert_eq!(send(&mut card, "80F2000C"), "9000", "one at a time");
    assert_eq!(
        send(
            &mut card,
            &terminal_response_apdu(&TerminalResponse::ok_for(&first))
        ),
        "910B"
    );
}

#[test]
fn sms_pp_download_while_a_command_awaits_its_response_gets_9300() {
    let mut card = card();
    let download = envelope_apdu(
        &SmsPpDownload::new(
            None,
            vec![0x40, 0x08, 0x81, 0x55, 0x66, 0x77, 0x88, 0x7F, 0xF6],
        )
        .emit(),
    );
    let command = more_time(1);
    card.raise_proactive(command.clone()).unwrap();
    assert_eq!(
        send(&mut card, &download),
        "6F00",
        "a command waiting for FETCH does not make the toolkit busy"
    );
    fetch(&mut card, &command);
    refused_unchanged(&mut card, &download, "9300");
    send(
        &mut card,
        &terminal_response_apdu(&TerminalResponse::ok_for(&command)),
    );
    refused_unchanged(&mut card, &download, "6F00");
}

#[test]
fn sms_pp_download_whose_tpdu_is_no_sms_deliver_gets_6f00() {
    let mut card = card();
    let download = SmsPpDownload::new(None, vec![0x40, 0x00, 0x7F, 0xF6]).emit();
    refused_unchanged(&mut card, &envelope_apdu(&download), "6F00");
    refused_unchanged(&mut card, "80C2000004D1028202", "6A80");
}

#[test]
fn event_downloads_not_asked_for_are_acknowledged_and_ignored() {
    let mut card = card_without_bip_events();
    let data_available = EventDownload::new(Event::DATA_AVAILABLE, DeviceIdentity::TERMINAL)
        .with(Object::ChannelStatus(ChannelStatus::new(
            1,
            ChannelState::Established,
            0,
        )))
        .with(Object::ChannelDataLength(0x10))
        .emit();
    let before = card.clone();
    assert_eq!(send(&mut card, &envelope_apdu(&data_available)), "9000");
    assert_eq!(card, before);
    // While a command waits for FETCH, the 90 00 becomes 91 XX like any other.
    card.raise_proactive(more_time(1)).unwrap();
    assert_eq!(send(&mut card, &envelope_apdu(&data_available)), "910B");
}

#[test]
fn event_downloads_asked_for_reach_the_channel_handler_even_when_busy() {
    let mut card = card_without_bip_events();
    let list = set_up_event_list(1, vec![Event::CHANNEL_STATUS]);
    card.raise_proactive(list.clone()).unwrap();
    fetch(&mut card, &list);
    let ok = TerminalResponse::ok_for(&list);
    assert_eq!(send(&mut card, &terminal_response_apdu(&ok)), "9000");
    assert_eq!(card.toolkit().events(), &[Event::CHANNEL_STATUS]);
    let command = more_time(2);
    card.raise_proactive(command.clone()).unwrap();
    fetch(&mut card, &command);
    let status = EventDownload::new(Event::CHANNEL_STATUS, DeviceIdentity::TERMINAL)
        .with(Object::ChannelStatus(ChannelStatus::new(
            1,
            ChannelState::Listen,
            0,
        )))
        .emit();
    assert_eq!(send(&mut card, &envelope_apdu(&status)), "9000");
}

#[test]
fn envelopes_the_card_cannot_take_are_refused_without_a_state_change() {
    let mut card = card();
    card.raise_proactive(more_time(1)).unwrap();
    refused_unchanged(&mut card, "80C20000", "6700");
    // A proactive command template is no envelope; nor is a bare data object.
    refused_unchanged(&mut card, "80C200000BD009810301020082028182", "6A80");
    refused_unchanged(&mut card, "80C200000481020000", "6A80");
    // Event download with two events (one per ENVELOPE, TS 102 223 §7.5).
    refused_unchanged(&mut card, "80C200000ED60C9902090A82028281B8024100", "6A80");
    // Timer expiration, well formed: no application for it.
    refused_unchanged(&mut card, "80C200000ED70C82028281A40101A503000010", "6A81");
    refused_unchanged(&mut card, "80C2010004D6029900", "6A86");
    refused_unchanged(&mut card, "81C200000ED70C82028281A40101A503000010", "6881");
}

#[test]
fn cat_commands_run_on_the_basic_channel_only() {
    let mut card = card();
    assert_eq!(send(&mut card, "0070000001"), "019000");
    card.raise_proactive(more_time(1)).unwrap();
    refused_unchanged(&mut card, "811200000B", "6E00");
    refused_unchanged(&mut card, "801201000B", "6A86");
    assert_eq!(send(&mut card, "81F2000C"), "910B", "91XX on any channel");
}

#[test]
fn a_new_terminal_profile_changes_only_the_profile() {
    let mut card = card();
    let command = more_time(1);
    card.raise_proactive(command.clone()).unwrap();
    assert_eq!(send(&mut card, &terminal_profile_apdu(&[0x01])), "910B");
    assert_eq!(card.terminal_profile(), Some(&[0x01][..]));
    assert_eq!(card.toolkit().announced(), Some(&command));
    assert_eq!(
        card.raise_proactive(more_time(2)),
        Err(Refused::NotDeclared(Facility::MORE_TIME))
    );
}

#[test]
fn raise_is_refused_without_the_profile_bit_and_changes_nothing() {
    let mut card = Card::new();
    card.power_on();
    assert_eq!(
        card.raise_proactive(more_time(1)),
        Err(Refused::NoTerminalProfile)
    );
    let mut profile = full_profile();
    profile[4] = 0x00; // no SET UP EVENT LIST
    profile[11] = 0x1E; // no OPEN CHANNEL
    assert_eq!(send(&mut card, &terminal_profile_apdu(&profile)), "9000");
    let before = card.clone();
    assert_eq!(
        card.raise_proactive(open_channel_server(1)),
        Err(Refused::NotDeclared(Facility::OPEN_CHANNEL))
    );
    assert_eq!(card, before);
    assert_eq!(send(&mut card, "80F2000C"), "9000");
}

#[test]
fn reset_ends_the_proactive_session() {
    let mut card = card();
    let command = more_time(1);
    card.raise_proactive(command.clone()).unwrap();
    card.raise_proactive(more_time(2)).unwrap();
    fetch(&mut card, &command);
    card.power_on();
    assert_eq!(card.toolkit(), &Toolkit::new());
    assert_eq!(card.terminal_profile(), None);
    assert_eq!(send(&mut card, "80F2000C"), "9000");
    refused_unchanged(
        &mut card,
        &terminal_response_apdu(&TerminalResponse::ok_for(&command)),
        "6985",
    );
}

#[test]
fn a_power_cut_ends_the_proactive_session_too() {
    let mut card = card();
    card.raise_proactive(more_time(1)).unwrap();
    // VERIFY PIN1 writes its counter first; cut before that write.
    card.cut_power_after_writes(0);
    assert!(card
        .process(&hex::parse("002000010831323334FFFFFFFF").unwrap())
        .is_none());
    card.power_on();
    assert_eq!(card.toolkit().state(), &State::Idle);
}

#[test]
fn the_status_line_shows_the_proactive_state() {
    use crate::sim::Node;
    let mut card = card();
    let command = open_channel_server(1);
    card.raise_proactive(command.clone()).unwrap();
    assert!(
        card.status_line()
            .ends_with("; proactive 40 OPEN CHANNEL pending"),
        "{}",
        card.status_line()
    );
    fetch(&mut card, &command);
    assert!(card
        .status_line()
        .ends_with("; awaiting TERMINAL RESPONSE to 40 OPEN CHANNEL"));
}
