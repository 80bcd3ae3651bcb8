//! The card's behaviour, APDU in, APDU out.

use super::*;
use crate::wire::atr::Atr;
use crate::wire::hex;

const SELECT_USIM: &str = "00A4040C10A0000000871002FF33FF018900000100";
const SELECT_ICCID: &str = "00A4000C022FE2";
const SELECT_DIR: &str = "00A4000C022F00";
const SELECT_MANUAL: &str = "00A4080C047F506F02";
const VERIFY_PIN1: &str = "002000010831323334FFFFFFFF";
const VERIFY_WRONG_PIN1: &str = "002000010839393939FFFFFFFF";
const VERIFY_ADM1: &str = "0020000A083838383838383838";

pub(super) fn powered() -> Card {
    let mut card = Card::new();
    card.power_on().expect("the card answers the reset");
    card
}

/// Sends `apdu` (hex) and returns the response in hex: data, then the status word.
pub(super) fn send(card: &mut Card, apdu: &str) -> String {
    let bytes = hex::parse(apdu).expect("test APDUs are hex");
    let response = card.process(&bytes).expect("the card answers");
    hex::compact(&response.emit())
}

/// Sends each APDU, expecting each to succeed.
fn setup(card: &mut Card, apdus: &[&str]) {
    for apdu in apdus {
        let response = send(card, apdu);
        assert!(
            response.ends_with("9000") || response.starts_with("61"),
            "{apdu} → {response}"
        );
    }
}

/// SELECT with P2 04, then GET RESPONSE: the FCP.
fn select_fcp(card: &mut Card, apdu: &str) -> Vec<u8> {
    let status = send(card, apdu);
    assert!(status.starts_with("61"), "{apdu} → {status}");
    let response = send(card, &format!("00C00000{}", &status[2..4]));
    let bytes = hex::parse(&response).unwrap();
    assert!(response.ends_with("9000"), "{response}");
    bytes[..bytes.len() - 2].to_vec()
}

/// The value of the first data object `tag` in the FCP `fcp`.
fn fcp_object(fcp: &[u8], tag: u32) -> Option<Vec<u8>> {
    let (template, _) = crate::wire::ber_tlv::Tlv::parse(fcp).ok()?;
    template
        .children()
        .ok()?
        .into_iter()
        .find(|o| o.tag.0 == tag)
        .map(|o| o.value)
}

/// `apdu`, sent after `before`, is refused with `sw` and changes nothing at all.
fn refused_unchanged(before: &[&str], apdu: &str, sw: &str) {
    let mut card = powered();
    setup(&mut card, before);
    let unchanged = card.clone();
    assert_eq!(send(&mut card, apdu), sw, "{apdu}");
    assert_eq!(card, unchanged, "{apdu} changed the card");
}

// ----- power-on, ATR, the phone's start-up --------------------------------------------

#[test]
fn atr_is_valid_with_check_byte() {
    let atr = Card::atr();
    assert_eq!(atr.len(), ATR_WITHOUT_TCK.len() + 1);
    assert!(Atr::parse(&atr).is_ok());
    assert_eq!(
        atr[1..].iter().fold(0, |x, b| x ^ b),
        0,
        "TCK makes T0..TCK XOR to 0"
    );
}

#[test]
fn select_mf_returns_fcp_through_get_response() {
    let mut card = powered();
    let fcp = card.fcp(FileTree::MF).emit();
    assert_eq!(
        send(&mut card, "00A40004023F00"),
        format!("61{:02X}", fcp.len())
    );
    let response = send(&mut card, &format!("00C00000{:02X}", fcp.len()));
    assert_eq!(response, format!("{}9000", hex::compact(&fcp)));
    assert_eq!(send(&mut card, "00C0000010"), "6985", "nothing left to get");
}

#[test]
fn get_response_hands_out_data_in_parts() {
    let mut card = powered();
    let fcp = card.fcp(FileTree::MF).emit();
    send(&mut card, "00A40004023F00");
    let first = send(&mut card, "00C0000010");
    assert_eq!(
        first,
        format!("{}61{:02X}", hex::compact(&fcp[..16]), fcp.len() - 16)
    );
}

#[test]
fn get_response_with_wrong_le_gets_6cxx() {
    let mut card = powered();
    let fcp_len = card.fcp(FileTree::MF).emit().len();
    send(&mut card, "00A40004023F00");
    assert_eq!(send(&mut card, "00C0000000"), format!("6C{fcp_len:02X}"));
}

#[test]
fn select_without_data_returns_9000() {
    let mut card = powered();
    assert_eq!(send(&mut card, "00A4000C023F00"), "9000");
}

#[test]
fn terminal_profile_is_stored() {
    let mut card = powered();
    assert_eq!(send(&mut card, "801000000301FF00"), "9000");
    assert_eq!(card.terminal_profile(), Some(&[0x01, 0xFF, 0x00][..]));
}

#[test]
fn reset_forgets_the_terminal_profile_and_verifications() {
    let mut card = powered();
    setup(&mut card, &["80100000010F", VERIFY_PIN1]);
    card.power_on();
    assert_eq!(card.terminal_profile(), None);
    assert_eq!(send(&mut card, "0020000100"), "63C3");
}

#[test]
fn unpowered_card_stays_silent() {
    let mut card = Card::new();
    let message = Message::new(
        NodeId::Phone,
        NodeId::Card,
        Payload::Command(vec![0, 0xA4, 0, 0]),
    );
    assert!(card.handle(Instant::ZERO, &message).is_empty());
}

#[test]
fn every_fcp_decodes_completely() {
    let card = powered();
    for (file, _) in card.files.iter() {
        let fcp = card.fcp(file).emit();
        let field = crate::wire::fcp::describe(&fcp, 0).expect("FCP decodes");
        assert!(
            field.uncovered(fcp.len()).is_empty(),
            "{}",
            field.render_tree(Some(&fcp))
        );
    }
}

// ----- SELECT and STATUS --------------------------------------------------------------

#[test]
fn selects_ef_iccid_and_reads_its_swapped_bcd() {
    let mut card = powered();
    let fcp = select_fcp(&mut card, "00A40004022FE2");
    assert_eq!(fcp_object(&fcp, 0x82), Some(vec![0x41, 0x21]));
    assert_eq!(fcp_object(&fcp, 0x80), Some(vec![0x00, 0x0A]));
    assert_eq!(fcp_object(&fcp, 0x88), Some(vec![0x10]), "SFI 02");
    assert_eq!(fcp_object(&fcp, 0x8B), Some(vec![0x2F, 0x06, 0x03]));
    assert_eq!(send(&mut card, "00B000000A"), "988812010000000000019000");
}

#[test]
fn selects_the_usim_by_full_and_by_right_truncated_aid() {
    let mut card = powered();
    let aid = "A0000000871002FF33FF018900000100";
    let full = select_fcp(&mut card, &format!("00A4040410{aid}"));
    assert_eq!(fcp_object(&full, 0x84), Some(hex::parse(aid).unwrap()));
    assert_eq!(fcp_object(&full, 0x83), Some(vec![0x7F, 0xF0]));
    assert!(
        fcp_object(&full, 0xC6).is_some(),
        "a DF carries its PIN status"
    );
    let partial = select_fcp(&mut card, "00A4040407A0000000871002");
    assert_eq!(partial, full);
    assert_eq!(send(&mut card, "00A4040C05A000000088"), "6A82");
}

#[test]
fn occurrences_walk_the_dfs_whose_name_matches() {
    let mut profile = Profile::default_profile();
    profile.scws.aid = profile::Aid(hex::parse("A0000000871002FF33FF0189000002").unwrap());
    let mut card = Card::from_profile(profile).unwrap();
    card.power_on();
    let selected_id = |card: &mut Card, apdu: &str| fcp_object(&select_fcp(card, apdu), 0x83);
    let partial = "07A0000000871002";
    assert_eq!(
        selected_id(&mut card, &format!("00A40404{partial}")),
        Some(vec![0x7F, 0xF0])
    );
    assert_eq!(
        selected_id(&mut card, &format!("00A40406{partial}")),
        Some(vec![0x7F, 0x50]),
        "next"
    );
    assert_eq!(
        send(&mut card, &format!("00A4040E{partial}")),
        "6A82",
        "no next after the last"
    );
    assert_eq!(
        selected_id(&mut card, &format!("00A40407{partial}")),
        Some(vec![0x7F, 0xF0]),
        "previous"
    );
    assert_eq!(
        selected_id(&mut card, &format!("00A40405{partial}")),
        Some(vec![0x7F, 0x50]),
        "last"
    );
}

#[test]
fn file_identifiers_reach_only_what_the_selection_rules_allow() {
    let mut card = powered();
    // From the MF: its EFs and DF.SCWS, not the ADF's EFs nor the ADF by identifier.
    assert_eq!(send(&mut card, "00A4000C026F07"), "6A82");
    assert_eq!(send(&mut card, "00A4000C027FF0"), "6A82");
    assert_eq!(
        send(&mut card, "00A4000C027FFF"),
        "6A82",
        "no application yet"
    );
    // From DF.SCWS: its children, itself, the MF; not the MF's EFs.
    setup(
        &mut card,
        &["00A4000C027F50", "00A4000C026F00", "00A4000C027F50"],
    );
    assert_eq!(send(&mut card, "00A4000C022FE2"), "6A82");
    // From ADF.USIM: its EFs, 7FFF, and DF.SCWS beside it.
    setup(
        &mut card,
        &[
            SELECT_USIM,
            "00A4000C026F07",
            "00A4000C027FFF",
            "00A4000C027F50",
        ],
    );
    setup(
        &mut card,
        &["00A4000C023F00", "00A4000C027FFF", "00A4000C026FAD"],
    );
}

#[test]
fn selects_by_path_from_the_mf_and_from_the_current_df() {
    let mut card = powered();
    assert_eq!(send(&mut card, SELECT_MANUAL), "9000");
    assert_eq!(
        send(&mut card, "00A4080C047FFF6F07"),
        "6A82",
        "no current application"
    );
    setup(&mut card, &[SELECT_USIM, "00A4000C023F00"]);
    assert_eq!(send(&mut card, "00A4080C047FFF6F07"), "9000");
    assert_eq!(send(&mut card, "00A4090C026FAD"), "9000", "from ADF.USIM");
    assert_eq!(
        send(&mut card, "00A4080C042FE26F07"),
        "6A82",
        "through an EF"
    );
    assert_eq!(send(&mut card, "00A4080C037F506F"), "6700");
}

#[test]
fn selects_the_parent_of_the_current_df() {
    let mut card = powered();
    setup(&mut card, &[SELECT_USIM, "00A4000C026F07", "00A4030C"]);
    assert!(
        card.status_line().starts_with("current file 3F00 (MF)"),
        "{}",
        card.status_line()
    );
    assert_eq!(send(&mut card, "00A4030C"), "6A82", "the MF has no parent");
    setup(&mut card, &["00A4000C027F50"]);
    let fcp_len = card.fcp(FileTree::MF).emit().len();
    assert_eq!(send(&mut card, "00A4030400"), format!("6C{fcp_len:02X}"));
    assert!(card.status_line().contains("7F50"), "6CXX selects nothing");
    let response = send(&mut card, &format!("00A40304{fcp_len:02X}"));
    assert!(
        response.starts_with("62") && response.ends_with("9000"),
        "{response}"
    );
}

#[test]
fn status_returns_the_current_df_or_application_name() {
    let mut card = powered();
    setup(&mut card, &[SELECT_USIM, "00A4000C026F07"]);
    let fcp = card.fcp(card.selection(0).df).emit();
    assert_eq!(
        send(&mut card, "80F2000000"),
        format!("6C{:02X}", fcp.len())
    );
    assert_eq!(
        send(&mut card, &format!("80F20000{:02X}", fcp.len())),
        format!("{}9000", hex::compact(&fcp))
    );
    assert_eq!(
        send(&mut card, "80F2000112"),
        "8410A0000000871002FF33FF0189000001009000"
    );
    assert_eq!(send(&mut card, "80F2000C00"), "9000");
    assert_eq!(send(&mut card, "80F2030000"), "6A86");
}

// ----- READ / UPDATE BINARY and RECORD ------------------------------------------------

#[test]
fn reads_binary_from_an_offset_and_by_short_file_identifier() {
    let mut card = powered();
    setup(&mut card, &[SELECT_ICCID]);
    assert_eq!(send(&mut card, "00B0000504"), "000000009000");
    assert_eq!(send(&mut card, "00B000000B"), "6C0A", "Le beyond the end");
    assert_eq!(send(&mut card, "00B0000800"), "6C02", "Le 00 asks for 256");
    setup(&mut card, &["00A4000C023F00"]);
    // SFI 02 is EF.ICCID; it becomes the current EF.
    assert_eq!(send(&mut card, "00B0820802"), "00019000");
    assert_eq!(send(&mut card, "00B0000002"), "98889000");
    assert_eq!(send(&mut card, "00B0850001"), "6A82", "no EF with SFI 05");
    assert_eq!(send(&mut card, "00B09F0001"), "6A86", "SFI 31 is RFU");
}

#[test]
fn update_binary_needs_adm_and_is_read_back() {
    let mut card = powered();
    setup(&mut card, &[SELECT_USIM, "00A4000C026FAD"]);
    assert_eq!(send(&mut card, "00D6000301 03"), "6982");
    setup(&mut card, &[VERIFY_ADM1]);
    assert_eq!(send(&mut card, "00D6000301 03"), "9000");
    assert_eq!(send(&mut card, "00B0000004"), "000000039000");
    assert_eq!(card.file_data(&[0x7FF0, 0x6FAD]), Some(&[0, 0, 0, 3][..]));
    assert_eq!(send(&mut card, "00D6000302 0303"), "6700", "past the end");
}

#[test]
fn never_means_never_even_for_adm() {
    let mut card = powered();
    setup(&mut card, &[VERIFY_ADM1, SELECT_ICCID]);
    assert_eq!(send(&mut card, "00D6000001 00"), "6982");
}

#[test]
fn imsi_is_read_after_pin1_in_ts_31_102_coding() {
    let mut card = powered();
    setup(&mut card, &[SELECT_USIM, "00A4000C026F07"]);
    assert_eq!(send(&mut card, "00B0000009"), "6982");
    setup(&mut card, &[VERIFY_PIN1]);
    assert_eq!(send(&mut card, "00B0000009"), "0809101010325476989000");
}

#[test]
fn ef_dir_lists_the_usim_and_the_scws_by_record() {
    let mut card = powered();
    setup(&mut card, &[SELECT_DIR]);
    let usim = send(&mut card, "00B201041A");
    assert_eq!(
        usim,
        "61184F10A0000000871002FF33FF01890000010050045553494D9000"
    );
    let scws = send(&mut card, "00B202041A");
    assert!(
        scws.starts_with("61154F0DF062697073636F706553435753500453435753FFFF"),
        "{scws}"
    );
    assert_eq!(send(&mut card, "00B2010400"), "6C1A");
    assert_eq!(send(&mut card, "00B203041A"), "6A83");
    // SFI 1E in P2 b8-b4 reads EF.DIR from anywhere in the MF.
    setup(&mut card, &["00A4000C023F00"]);
    assert_eq!(send(&mut card, "00B201F41A"), usim);
}

#[test]
fn record_pointer_moves_with_next_and_previous() {
    let mut card = powered();
    setup(&mut card, &[SELECT_DIR]);
    let record =
        |card: &mut Card, p1p2: &str| send(card, &format!("00B2{p1p2}1A"))[..8].to_string();
    assert_eq!(
        record(&mut card, "0002"),
        "61184F10",
        "next from unset: record 1"
    );
    assert_eq!(record(&mut card, "0002"), "61154F0D", "record 2");
    assert_eq!(
        send(&mut card, "00B200021A"),
        "6A83",
        "no record after the last"
    );
    assert_eq!(
        record(&mut card, "0004"),
        "61154F0D",
        "current record is still 2"
    );
    assert_eq!(record(&mut card, "0003"), "61184F10", "previous");
    assert_eq!(record(&mut card, "0204"), "61154F0D", "absolute");
    assert_eq!(
        record(&mut card, "0004"),
        "61184F10",
        "absolute mode left the pointer"
    );
    setup(&mut card, &[SELECT_DIR]);
    assert_eq!(
        send(&mut card, "00B200041A"),
        "6A83",
        "SELECT unset the pointer"
    );
}

#[test]
fn cyclic_ef_is_updated_in_previous_mode_and_wraps() {
    let mut card = powered();
    setup(&mut card, &[VERIFY_PIN1, SELECT_USIM, "00A4000C026F39"]);
    assert_eq!(send(&mut card, "00DC000303 000001"), "9000");
    assert_eq!(send(&mut card, "00DC000303 000002"), "9000");
    assert_eq!(
        send(&mut card, "00DC010403 000003"),
        "6A86",
        "absolute on a cyclic EF"
    );
    assert_eq!(
        send(&mut card, "00B2010403"),
        "0000029000",
        "record 1 is the newest"
    );
    assert_eq!(send(&mut card, "00B2020403"), "0000019000");
    assert_eq!(
        send(&mut card, "00B2000303"),
        "0000009000",
        "previous from 1 wraps to 5"
    );
    assert_eq!(
        send(&mut card, "00B2000203"),
        "0000029000",
        "next from 5 wraps to 1"
    );
}

#[test]
fn linear_fixed_update_record_by_number_needs_adm() {
    let mut card = powered();
    setup(&mut card, &[SELECT_DIR]);
    let record = format!("{:0<52}", "61034F01AA");
    assert_eq!(send(&mut card, &format!("00DC02041A{record}")), "6982");
    setup(&mut card, &[VERIFY_ADM1]);
    assert_eq!(send(&mut card, &format!("00DC02041A{record}")), "9000");
    assert_eq!(send(&mut card, "00B202041A"), format!("{record}9000"));
    assert_eq!(
        send(&mut card, "00DC020402 6100"),
        "6700",
        "a record is 26 bytes"
    );
}

// ----- bad input: the standard's answer, and nothing changes --------------------------

#[test]
fn rejects_unsupported_class_with_6e00() {
    refused_unchanged(&[SELECT_ICCID], "A0A40000023F00", "6E00");
    refused_unchanged(&[SELECT_ICCID], "80A4000C023F00", "6E00");
}

#[test]
fn rejects_unknown_instruction_with_6d00() {
    refused_unchanged(&[SELECT_ICCID], "80EE000000", "6D00");
    refused_unchanged(&[SELECT_ICCID], "0084000008", "6D00");
}

#[test]
fn rejects_secure_messaging_and_channels_above_3() {
    refused_unchanged(&[SELECT_ICCID], "04B000000A", "6882");
    refused_unchanged(&[SELECT_ICCID], "40B000000A", "6881");
}

#[test]
fn rejects_unsupported_p1_p2_with_6a86() {
    refused_unchanged(&[SELECT_ICCID], "00A40504023F00", "6A86");
    refused_unchanged(&[SELECT_ICCID], "00A40000023F00", "6A86");
}

#[test]
fn rejects_offset_beyond_the_file_with_6b00() {
    refused_unchanged(&[SELECT_ICCID], "00B0000A01", "6B00");
    refused_unchanged(&[SELECT_ICCID], "00200100083132333435363738", "6B00");
}

#[test]
fn rejects_wrong_lengths_with_6700() {
    refused_unchanged(&[SELECT_ICCID], "0020000104 31323334", "6700");
    refused_unchanged(&[SELECT_ICCID], "00A4000C033F0000", "6700");
    refused_unchanged(&[SELECT_ICCID], "00A4", "6700");
    refused_unchanged(&[SELECT_ICCID], "00B00000", "6700");
}

#[test]
fn rejects_missing_files_with_6a82() {
    refused_unchanged(&[SELECT_ICCID], "00A4000C026F07", "6A82");
    refused_unchanged(&[SELECT_ICCID], "00A4000C023F01", "6A82");
}

#[test]
fn rejects_missing_records_with_6a83() {
    refused_unchanged(&[SELECT_DIR], "00B209041A", "6A83");
    refused_unchanged(&[SELECT_DIR], "00B200041A", "6A83");
}

#[test]
fn rejects_file_commands_without_a_current_ef_with_6986() {
    refused_unchanged(&["00A4000C027F50"], "00B0000001", "6986");
    refused_unchanged(&[], "00B201041A", "6986");
}

#[test]
fn rejects_commands_of_the_wrong_structure_with_6981() {
    refused_unchanged(&[SELECT_ICCID], "00B2010410", "6981");
    refused_unchanged(&[SELECT_DIR], "00B0000001", "6981");
}

#[test]
fn rejects_access_without_the_key_with_6982() {
    refused_unchanged(&[SELECT_USIM, "00A4000C026FAD"], "00D6000001 01", "6982");
    refused_unchanged(&[SELECT_USIM, "00A4000C026F07"], "00B0000009", "6982");
}

#[test]
fn rejects_commands_on_closed_channels_with_6881() {
    refused_unchanged(&[], "01A4000C023F00", "6881");
    refused_unchanged(&[], "00708002", "6881");
}

#[test]
fn rejects_unknown_key_references_with_6a88() {
    refused_unchanged(&[], "0020000208 3132333435363738", "6A88");
    refused_unchanged(&[], "0026000A08 3838383838383838", "6A88");
}

#[test]
fn rejects_wrong_le_with_6cxx() {
    refused_unchanged(&[SELECT_ICCID], "00B0000000", "6C0A");
}

// ----- PINs ---------------------------------------------------------------------------

#[test]
fn verify_without_data_reports_tries_or_verified() {
    let mut card = powered();
    assert_eq!(send(&mut card, "0020000100"), "63C3");
    assert_eq!(send(&mut card, "00200001"), "63C3");
    assert_eq!(send(&mut card, VERIFY_PIN1), "9000");
    assert_eq!(send(&mut card, "0020000100"), "9000");
    assert_eq!(send(&mut card, "0020000A00"), "63CA");
}

#[test]
fn wrong_pins_count_down_then_block() {
    let mut card = powered();
    assert_eq!(send(&mut card, VERIFY_WRONG_PIN1), "63C2");
    assert_eq!(card.pin_tries_left(security::PIN1), Some(2));
    assert_eq!(
        send(&mut card, VERIFY_PIN1),
        "9000",
        "a right PIN restores the counter"
    );
    assert_eq!(card.pin_tries_left(security::PIN1), Some(3));
    for left in ["63C2", "63C1", "63C0"] {
        assert_eq!(send(&mut card, VERIFY_WRONG_PIN1), left);
    }
    assert_eq!(send(&mut card, VERIFY_PIN1), "6983");
    assert_eq!(send(&mut card, "0020000100"), "63C0");
    card.power_on();
    assert_eq!(
        send(&mut card, VERIFY_PIN1),
        "6983",
        "blocked across power cycles"
    );
}

#[test]
fn a_wrong_pin_forgets_the_verification() {
    let mut card = powered();
    setup(&mut card, &[VERIFY_PIN1, SELECT_USIM, "00A4000C026F07"]);
    assert_eq!(send(&mut card, VERIFY_WRONG_PIN1), "63C2");
    assert_eq!(send(&mut card, "00B0000009"), "6982");
}

#[test]
fn unblock_sets_a_new_pin_with_the_puk() {
    let mut card = powered();
    for _ in 0..3 {
        send(&mut card, VERIFY_WRONG_PIN1);
    }
    assert_eq!(send(&mut card, "002C000100"), "63CA");
    assert_eq!(
        send(&mut card, "002C0001103131313131313131 35353535FFFFFFFF"),
        "63C9"
    );
    assert_eq!(
        send(&mut card, "002C0001103132333435363738 35353535FFFFFFFF"),
        "9000"
    );
    assert_eq!(card.puk_tries_left(security::PIN1), Some(10));
    assert_eq!(card.pin_tries_left(security::PIN1), Some(3));
    assert_eq!(
        send(&mut card, "0020000100"),
        "9000",
        "verified by the unblocking"
    );
    assert_eq!(send(&mut card, "002000010835353535FFFFFFFF"), "9000");
    assert_eq!(
        send(&mut card, "002C0001103132333435363738 3535FFFFFFFFFFFF"),
        "6A80",
        "a PIN has 4 to 8 digits"
    );
    assert_eq!(
        send(&mut card, "002C000A1031323334353637383535353535353535"),
        "6A88"
    );
}

#[test]
fn change_pin_needs_the_old_value() {
    let mut card = powered();
    let change = "002400011031323334FFFFFFFF 39383736FFFFFFFF";
    assert_eq!(send(&mut card, change), "9000");
    assert_eq!(send(&mut card, VERIFY_PIN1), "63C2");
    assert_eq!(send(&mut card, "002000010839383736FFFFFFFF"), "9000");
    assert_eq!(send(&mut card, change), "63C2", "the old value is no more");
    assert_eq!(
        send(&mut card, "002400011039383736FFFFFFFF3132FFFFFFFFFFFF"),
        "6A80"
    );
}

#[test]
fn disabled_pin1_opens_its_files_and_shows_in_the_pin_status() {
    let mut card = powered();
    let ps_do = |card: &mut Card| {
        let fcp = select_fcp(card, "00A40004023F00");
        let c6 = fcp_object(&fcp, 0xC6).unwrap();
        c6[2]
    };
    assert_eq!(ps_do(&mut card), 0xC0, "PIN1 and ADM1 enabled");
    assert_eq!(send(&mut card, "002600010831323334FFFFFFFF"), "9000");
    assert_eq!(ps_do(&mut card), 0x40, "PIN1 disabled");
    card.power_on();
    setup(&mut card, &[SELECT_USIM, "00A4000C026F07", "00B0000009"]);
    assert_eq!(send(&mut card, "0020000100"), "9000");
    assert_eq!(send(&mut card, VERIFY_PIN1), "6984");
    assert_eq!(send(&mut card, "002600010831323334FFFFFFFF"), "6985");
    assert_eq!(send(&mut card, "002800010831323334FFFFFFFF"), "9000");
    assert_eq!(ps_do(&mut card), 0xC0);
}

#[test]
fn adm1_cannot_be_disabled_nor_unblocked() {
    refused_unchanged(&[], "0028000A083838383838383838", "6A88");
    refused_unchanged(&[], "002C000A00", "6A88");
}

// ----- logical channels ---------------------------------------------------------------

#[test]
fn channels_open_with_a_number_chosen_by_the_card_or_the_terminal() {
    let mut card = powered();
    assert_eq!(send(&mut card, "0070000001"), "019000");
    assert_eq!(send(&mut card, "00700003"), "9000");
    assert_eq!(send(&mut card, "00700003"), "6985", "already open");
    assert_eq!(
        send(&mut card, "00700004"),
        "6881",
        "the card has channels 0 to 3"
    );
    assert_eq!(send(&mut card, "0070000001"), "029000");
    assert_eq!(send(&mut card, "0070000001"), "6A81", "none left");
    assert_eq!(send(&mut card, "0070000000"), "6C01");
    assert!(card.status_line().contains("logical channels 1, 2, 3 open"));
}

#[test]
fn each_channel_has_its_own_selection_and_record_pointer() {
    let mut card = powered();
    setup(
        &mut card,
        &[
            "0070000001",
            "01A4040C07A0000000871002",
            SELECT_DIR,
            "01A4000C026FAD",
        ],
    );
    assert_eq!(
        send(&mut card, "01B0000004"),
        "000000029000",
        "EF.AD on channel 1"
    );
    assert_eq!(send(&mut card, "00B200021A")[..8], *"61184F10");
    setup(&mut card, &["01A4000C023F00", "01A4000C022F00"]);
    assert_eq!(
        send(&mut card, "00B200021A")[..8],
        *"61154F0D",
        "channel 0 goes on"
    );
    assert_eq!(
        send(&mut card, "01B200021A")[..8],
        *"61184F10",
        "channel 1 starts"
    );
}

#[test]
fn a_channel_opened_from_another_inherits_its_df() {
    let mut card = powered();
    setup(&mut card, &["0070000001", "01A4040C07A0000000871002"]);
    assert_eq!(send(&mut card, "0170000001"), "029000");
    assert_eq!(
        send(&mut card, "02A4000C026F07"),
        "9000",
        "ADF.USIM is current on 2"
    );
    assert_eq!(send(&mut card, "0070000001"), "039000");
    assert_eq!(
        send(&mut card, "03A4000C026F07"),
        "6A82",
        "the MF is current on 3"
    );
}

#[test]
fn closed_channels_refuse_commands() {
    let mut card = powered();
    setup(&mut card, &["0070000001", "00708001"]);
    assert_eq!(send(&mut card, "01A4000C023F00"), "6881");
    assert_eq!(
        send(&mut card, "00708000"),
        "6A86",
        "the basic channel stays open"
    );
}

#[test]
fn get_response_belongs_to_the_channel_of_the_command() {
    let mut card = powered();
    setup(&mut card, &["0070000001", "01A40004023F00"]);
    assert_eq!(send(&mut card, "00C0000010"), "6985");
}

// ----- tear-proof storage -------------------------------------------------------------

/// Runs `apdu` with the power cut after `n` storage writes, then powers the card on
/// again; returns the card and whether `apdu` was answered.
fn with_cut(mut card: Card, apdu: &str, n: u64) -> (Card, bool) {
    card.cut_power_after_writes(n);
    let answered = card.process(&hex::parse(apdu).unwrap()).is_some();
    assert_eq!(card.is_powered(), answered);
    card.power_on().expect("powers on");
    (card, answered)
}

/// Every cut point of `apdu` sent to `prepared`, from none done to all done:
/// `check(n, card after recovery)`. Returns the number of writes `apdu` makes.
fn sweep(prepared: Card, apdu: &str, mut check: impl FnMut(u64, &Card)) -> u64 {
    for n in 0.. {
        let (card, answered) = with_cut(prepared.clone(), apdu, n);
        check(n, &card);
        if answered {
            return n;
        }
    }
    unreachable!()
}

#[test]
fn multi_block_update_binary_is_wholly_old_or_wholly_new_at_every_cut() {
    let path = [scws::DF_ID, 0x6F02];
    let old = Card::new().file_data(&path).unwrap().to_vec();
    assert!(old.len() >= 20 + 255, "the manual spans several blocks");
    let update = format!("00D60014FF{}", "5A".repeat(255));
    let mut new = old.clone();
    new[20..275].fill(0x5A);
    let mut olds = 0;
    let mut prepared = powered();
    setup(&mut prepared, &[VERIFY_ADM1, SELECT_MANUAL]);
    let writes = sweep(prepared, &update, |n, card| {
        let data = card.file_data(&path).unwrap();
        assert!(data == &old[..] || data == &new[..], "cut after {n}: torn");
        olds += usize::from(data == &old[..]);
    });
    // Bytes 20..275 touch blocks 0 to 4: 5 journal writes, the mark, 5 in place, the erase.
    assert_eq!(writes, 12);
    assert_eq!(olds, 6, "old until the commit mark is written");
}

#[test]
fn right_pin_decrements_before_comparing_at_every_cut() {
    let writes = sweep(powered(), VERIFY_PIN1, |n, card| {
        let left = card.pin_tries_left(security::PIN1).unwrap();
        let expected = match n {
            0 | 1 => 3, // the decrement not committed: nothing happened
            2..=5 => 2, // decremented and persisted, the restore lost
            _ => 3,     // restored
        };
        assert_eq!(left, expected, "cut after {n}");
    });
    assert_eq!(writes, 8);
}

#[test]
fn wrong_pin_is_never_forgotten_after_the_decrement() {
    let writes = sweep(powered(), VERIFY_WRONG_PIN1, |n, card| {
        let left = card.pin_tries_left(security::PIN1).unwrap();
        assert_eq!(left, if n < 2 { 3 } else { 2 }, "cut after {n}");
    });
    assert_eq!(writes, 4);
}

#[test]
fn unblock_writes_puk_and_pin_together() {
    let mut blocked = powered();
    for _ in 0..3 {
        send(&mut blocked, VERIFY_WRONG_PIN1);
    }
    let unblock = "002C0001103132333435363738 35353535FFFFFFFF";
    let writes = sweep(blocked, unblock, |n, card| {
        let pin = card.pin_tries_left(security::PIN1).unwrap();
        let puk = card.puk_tries_left(security::PIN1).unwrap();
        assert!(
            matches!((pin, puk), (0, 10) | (0, 9) | (3, 10)),
            "cut after {n}: {pin} {puk}"
        );
    });
    // The PUK spent (4 writes), then one transaction for both: 2 blocks journalled, the
    // mark, 2 in place, the erase.
    assert_eq!(writes, 4 + 6);
}

#[test]
fn a_cut_command_sends_no_response_and_the_card_goes_silent() {
    let mut card = powered();
    card.cut_power_after_writes(0);
    let command = Message::new(
        NodeId::Phone,
        NodeId::Card,
        Payload::Command(hex::parse(VERIFY_PIN1).unwrap()),
    );
    assert!(card.handle(Instant::ZERO, &command).is_empty());
    assert_eq!(card.status_line(), "unpowered");
    let reset = Message::new(NodeId::Phone, NodeId::Card, Payload::Reset);
    assert_eq!(card.handle(Instant::ZERO, &reset).len(), 1);
}

// ----- profile ------------------------------------------------------------------------

#[test]
fn the_card_is_built_from_its_profile() {
    let mut profile = Profile::default_profile();
    profile.iccid = "8988211000000000003".to_string().try_into().unwrap();
    let card = Card::from_profile(profile).unwrap();
    assert_eq!(
        card.file_data(&[0x2FE2]),
        Some(&hex::parse("988812010000000000F3").unwrap()[..])
    );
}

#[test]
fn an_invalid_profile_makes_no_card() {
    let mut profile = Profile::default_profile();
    profile.usim.mnc_length = 1;
    assert!(matches!(
        Card::from_profile(profile),
        Err(ProfileError::Invalid { .. })
    ));
}
