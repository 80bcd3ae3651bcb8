//! The `bipscope` command line, run as a user runs it.
#![cfg(not(target_arch = "wasm32"))]

use std::process::{Command, Output};

fn bipscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bipscope"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 output")
}

#[test]
fn decode_prints_annotated_tree_of_a_proactive_command() {
    let output = bipscope(&["decode", "D00C810301420082028121B701C8"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("RECEIVE DATA"), "{text}");
    assert!(
        text.contains("200"),
        "channel data length in decimal: {text}"
    );
    assert!(text.contains("[0..14]"), "root range: {text}");
    assert!(
        text.contains("Channel data length: 200 bytes requested  [11..14]"),
        "{text}"
    );
}

#[test]
fn decode_accepts_hex_split_over_arguments_with_spaces() {
    let output = bipscope(&["decode", "D0 09 81 03", "01 41 00 82 02 81 21"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("CLOSE CHANNEL"));
}

#[test]
fn decode_json_is_nested_objects_with_ranges() {
    let output = bipscope(&["decode", "--json", "D60B99010A82028281B8024100"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let tree: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("valid JSON");
    for key in ["label", "start", "len", "value", "children"] {
        assert!(tree.get(key).is_some(), "missing {key}: {tree}");
    }
    assert_eq!(tree["start"], 0);
    assert_eq!(tree["len"], 13);
    let text = tree.to_string();
    assert!(
        text.contains("LISTEN"),
        "channel status state named: {text}"
    );
    let children = tree["children"].as_array().expect("children array");
    assert!(!children.is_empty());
    assert!(children.iter().all(|c| c["start"].as_u64().unwrap() < 13));
}

#[test]
fn decode_recognises_a_terminal_response_and_a_command_apdu() {
    let response = bipscope(&["decode", "810301430182028281830100b701ff"]);
    assert!(response.status.success(), "{}", stderr(&response));
    assert!(stdout(&response)
        .to_lowercase()
        .contains("terminal response"));
    let apdu = bipscope(&["decode", "00A40004023F00"]);
    assert!(apdu.status.success(), "{}", stderr(&apdu));
    assert!(stdout(&apdu).contains("SELECT"));
}

#[test]
fn bad_hex_is_one_line_on_stderr_and_exit_code_2() {
    for input in ["D0G1", "D00", ""] {
        let output = bipscope(&["decode", input]);
        assert_eq!(output.status.code(), Some(2), "input {input:?}");
        assert!(stdout(&output).is_empty());
        assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
    }
}

#[test]
fn undecodable_bytes_are_one_line_on_stderr_and_exit_code_2() {
    for input in ["D00C8103014200", "D080", "FF"] {
        let output = bipscope(&["decode", input]);
        assert_eq!(output.status.code(), Some(2), "input {input}");
        let err = stderr(&output);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("bipscope: cannot decode"), "{err}");
    }
}

#[test]
fn run_prints_the_power_on_log_with_a_stable_digest() {
    let first = bipscope(&["run", "--seed", "4"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let text = stdout(&first);
    for title in [
        "Power on",
        "Cold reset",
        "ATR",
        "SELECT",
        "GET RESPONSE",
        "TERMINAL PROFILE",
    ] {
        assert!(text.contains(title), "{title} in {text}");
    }
    let digest_line = text.lines().last().expect("a summary line").to_string();
    assert!(digest_line.contains("log digest"), "{digest_line}");
    let again = stdout(&bipscope(&["run", "--seed", "4"]));
    assert_eq!(again.lines().last(), Some(digest_line.as_str()));
    let other = stdout(&bipscope(&["run", "--seed", "5"]));
    assert_ne!(other.lines().last(), Some(digest_line.as_str()));
}

#[test]
fn run_json_prints_one_event_per_line() {
    let output = bipscope(&["run", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let events: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert!(events.len() >= 9);
    assert_eq!(events[0]["step"], 1);
    assert_eq!(events[0]["title"], "Power on");
}

/// 3GPP TS 35.208 test set 1 (shared/vectors/README.md): K, RAND, SQN, AMF and OP.
const MILENAGE_SET_1: [&str; 10] = [
    "--k",
    "465b5ce8b199b49faa5f0a2ee238a6bc",
    "--rand",
    "23553cbe9637a89d218ae64dae47bf35",
    "--sqn",
    "ff9bb4d0b607",
    "--amf",
    "b9b9",
    "--op",
    "cdc202d5123e20f62b6d676ac72cb318",
];

fn milenage(extra: &[&str]) -> Output {
    let mut args = vec!["milenage"];
    args.extend(MILENAGE_SET_1);
    args.extend(extra);
    bipscope(&args)
}

#[test]
fn milenage_prints_every_output_of_test_set_1_as_labelled_lines() {
    let output = milenage(&[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for (label, value) in [
        ("OPc", "cd63cb71954a9f4e48a5994e37a02baf"),
        ("MAC-A", "4a9ffac354dfafb3"),
        ("MAC-S", "01cfaf9ec4e871e9"),
        ("RES", "a54211d5e3ba50bf"),
        ("CK", "b40ba9a3c58b2a05bbf0d987b21bf8cb"),
        ("IK", "f769bcd751044604127672711c6d3441"),
        ("AK", "aa689c648370"),
        ("AK*", "451e8beca43b"),
    ] {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(label))
            .unwrap_or_else(|| panic!("no {label} line in {text}"));
        assert!(line.contains(value), "{label}: {line}");
    }
}

#[test]
fn milenage_json_has_exactly_the_eight_lowercase_keys() {
    let output = milenage(&["--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let object = value.as_object().expect("one object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["ak", "ak_star", "ck", "ik", "mac_a", "mac_s", "opc", "res"]
    );
    assert_eq!(object["opc"], "cd63cb71954a9f4e48a5994e37a02baf");
    assert_eq!(object["mac_a"], "4a9ffac354dfafb3");
    assert_eq!(object["mac_s"], "01cfaf9ec4e871e9");
    assert_eq!(object["res"], "a54211d5e3ba50bf");
    assert_eq!(object["ck"], "b40ba9a3c58b2a05bbf0d987b21bf8cb");
    assert_eq!(object["ik"], "f769bcd751044604127672711c6d3441");
    assert_eq!(object["ak"], "aa689c648370");
    assert_eq!(object["ak_star"], "451e8beca43b");
}

#[test]
fn milenage_accepts_opc_instead_of_op() {
    let output = bipscope(&[
        "milenage",
        "--k",
        "465b5ce8b199b49faa5f0a2ee238a6bc",
        "--opc",
        "CD63CB71954A9F4E48A5994E37A02BAF",
        "--rand",
        "23553cbe9637a89d218ae64dae47bf35",
        "--sqn",
        "ff9bb4d0b607",
        "--amf",
        "b9b9",
        "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(value["mac_a"], "4a9ffac354dfafb3");
    assert_eq!(value["opc"], "cd63cb71954a9f4e48a5994e37a02baf");
}

#[test]
fn milenage_bad_input_is_one_line_on_stderr_and_exit_code_2() {
    let both = milenage(&["--opc", "cd63cb71954a9f4e48a5994e37a02baf"]);
    let mut neither = vec!["milenage"];
    neither.extend(&MILENAGE_SET_1[..8]);
    let mut short_k = vec!["milenage"];
    short_k.extend(MILENAGE_SET_1);
    short_k[2] = "465b5ce8b199b49faa5f0a2ee238a6";
    let mut bad_hex = vec!["milenage"];
    bad_hex.extend(MILENAGE_SET_1);
    bad_hex[6] = "ff9bb4d0b6zz";
    let mut long_amf = vec!["milenage"];
    long_amf.extend(MILENAGE_SET_1);
    long_amf[8] = "b9b900";
    for output in [
        both,
        bipscope(&neither),
        bipscope(&short_k),
        bipscope(&bad_hex),
        bipscope(&long_amf),
    ] {
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(stdout(&output).is_empty());
        assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
    }
}

/// `bipscope apdu` with these arguments; the first whitespace-separated token of each
/// stdout line.
fn apdu_tokens(args: &[&str]) -> (Output, Vec<String>) {
    let mut all = vec!["apdu"];
    all.extend(args);
    let output = bipscope(&all);
    let tokens = stdout(&output)
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
        .collect();
    (output, tokens)
}

/// A file in the temporary directory holding `text`, named for the test.
fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("bipscope-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("temporary file written");
    path
}

#[test]
fn apdu_selects_ef_iccid_fetches_its_fcp_and_reads_it() {
    let (output, tokens) = apdu_tokens(&["00A40004022FE2", "00C0000019", "00B000000A"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(tokens.len(), 3, "one line per response");
    assert_eq!(tokens[0], "6119");
    assert!(tokens[1].starts_with("6217") && tokens[1].ends_with("9000"));
    assert_eq!(tokens[2], "988812010000000000019000");
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("response bytes still available: 25"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("FCP") && lines[1].contains("EF.ICCID"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("Normal ending of the command"),
        "{}",
        lines[2]
    );
}

#[test]
fn apdu_hints_at_records_and_text() {
    let (output, tokens) = apdu_tokens(&[
        "00A4000C022F00",
        "00B201041A",
        "00A4080C047F506F01",
        "00B000000F",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(tokens[0], "9000");
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[1].contains("A0000000871002FF33FF018900000100") && lines[1].contains("\"USIM\""),
        "{}",
        lines[1]
    );
    assert!(lines[3].contains("<!DOCTYPE html>"), "{}", lines[3]);
}

#[test]
fn apdu_prints_refusals_with_their_meaning() {
    let (output, tokens) = apdu_tokens(&["00B0000001", "00A4000C026F07", "A0A40000023F00"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(tokens, ["6986", "6A82", "6E00"]);
    assert!(stdout(&output).contains("Command not allowed (no EF selected)"));
}

#[test]
fn apdu_json_is_one_object_per_response() {
    let output = bipscope(&[
        "apdu",
        "--json",
        "00A4000C022FE2",
        "00B0000002",
        "00B0000A01",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["command"], "00B0000002");
    assert_eq!(lines[1]["response"], "98889000");
    assert_eq!(lines[1]["sw"], "9000");
    assert_eq!(lines[2]["sw"], "6B00");
    assert_eq!(lines[2]["meaning"], "Wrong parameter(s) P1-P2");
    for line in &lines {
        let mut keys: Vec<&str> = line
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["command", "meaning", "response", "sw"]);
    }
}

#[test]
fn apdu_uses_the_profile_given() {
    let default = include_str!("../src/card/default_profile.toml");
    let text = default.replace("89882110000000000010", "8988211000000000003");
    let path = temp_file("profile.toml", &text);
    let (output, tokens) = apdu_tokens(&[
        "--profile",
        path.to_str().unwrap(),
        "00A4000C022FE2",
        "00B000000A",
    ]);
    std::fs::remove_file(&path).ok();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(tokens[1], "988812010000000000F39000");
}

#[test]
fn apdu_bad_hex_or_profile_is_one_line_on_stderr_and_exit_code_2() {
    let bad_profile = temp_file(
        "bad-profile.toml",
        &include_str!("../src/card/default_profile.toml").replace("mnc_length", "mnc_lenght"),
    );
    let cases: [Vec<&str>; 4] = [
        vec!["apdu", "00A4G0"],
        vec!["apdu", "00A40", "00B0000001"],
        vec![
            "apdu",
            "--profile",
            bad_profile.to_str().unwrap(),
            "00A4000C023F00",
        ],
        vec![
            "apdu",
            "--profile",
            "/nonexistent/profile.toml",
            "00A4000C023F00",
        ],
    ];
    for args in cases {
        let output = bipscope(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stdout(&output).is_empty(), "{args:?}: nothing sent");
        assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
    }
    let output = bipscope(&[
        "apdu",
        "--profile",
        bad_profile.to_str().unwrap(),
        "00A4000C023F00",
    ]);
    assert!(
        stderr(&output).contains("unknown field `mnc_lenght`"),
        "{}",
        stderr(&output)
    );
    std::fs::remove_file(&bad_profile).ok();
}

/// The OTA vector of shared/vectors/README.md (osmocom pySim): keys, SPI, KIc, KID.
const OTA_SECURITY: [&str; 10] = [
    "--spi",
    "0619",
    "--kic",
    "35",
    "--kid",
    "35",
    "--kic-key",
    "300102030405060708090a0b0c0d0e0f",
    "--kid-key",
    "301102030405060708090a0b0c0d0e0f",
];
const OTA_COMMAND: &str = "00201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f";
const OTA_POR: &str = "027100001c12b000118bb989492c632529326a2f4681feb37c825bc9021c9f6d0b";

fn ota(subcommand: &str, extra: &[&str]) -> Output {
    let mut args = vec!["ota", subcommand];
    args.extend(OTA_SECURITY);
    args.extend(extra);
    bipscope(&args)
}

#[test]
fn ota_encode_reproduces_the_shared_vector() {
    let output = ota(
        "encode",
        &["--tar", "b00011", "--cntr", "0000000000", "00a40004023f00"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), format!("{OTA_COMMAND}\n"));
}

#[test]
fn ota_encode_sms_prints_the_sms_deliver_on_a_second_line() {
    let output = ota(
        "encode",
        &[
            "--tar",
            "b00011",
            "--cntr",
            "0000000000",
            "--sms",
            "--originator",
            "+12025550100",
            "--scts",
            "240102134530+04",
            "00a40004023f00",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0], OTA_COMMAND);
    // First octet 44 (no more messages, UDHI), OA +12025550100, PID 7F, DCS F6, SCTS,
    // UDL 37, UDH 02 70 00, then the packet.
    assert_eq!(
        lines[1],
        format!("440b912120550501f07ff64210203154034025027000{OTA_COMMAND}")
    );
    let decoded = bipscope(&[
        "ota",
        "encode",
        "--spi",
        "0000",
        "--kic",
        "00",
        "--kid",
        "00",
        "--tar",
        "b00011",
        "--cntr",
        "0000000001",
        "--sms",
        "--originator",
        "OTA",
        "00",
    ]);
    assert!(decoded.status.success(), "{}", stderr(&decoded));
    assert!(stdout(&decoded)
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("4406d04f6a107ff6"));
}

#[test]
fn ota_encode_splits_a_long_packet_over_concatenated_sms() {
    let data = "00".repeat(200);
    let output = ota(
        "encode",
        &[
            "--tar",
            "b00011",
            "--cntr",
            "0000000000",
            "--sms",
            "--reference",
            "9",
            &data,
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "packet + 2 SMS: {text}");
    assert!(lines[1].contains("8c07000309020170000"), "{}", lines[1]);
    assert!(lines[2].contains("050003090202"), "{}", lines[2]);
}

#[test]
fn ota_decode_por_reads_the_shared_vector_with_or_without_udh() {
    for por in [OTA_POR, &OTA_POR[6..]] {
        let output = ota("decode-por", &[por]);
        assert!(output.status.success(), "{}", stderr(&output));
        let text = stdout(&output);
        assert!(text.contains("status 00 PoR OK"), "{text}");
        assert!(text.contains("TAR B00011"), "{text}");
        assert!(text.contains("counter: 0000000000"), "{text}");
        assert!(text.contains("1 command executed"), "{text}");
        assert!(text.contains("last status word: 6132"), "{text}");
        assert!(text.contains("verified"), "{text}");
    }
}

#[test]
fn ota_bad_input_is_one_line_on_stderr_and_exit_code_2() {
    let tampered = format!("{}00", &OTA_POR[..OTA_POR.len() - 2]);
    let cases: Vec<Output> = vec![
        ota("decode-por", &[&tampered]),
        ota("decode-por", &["0271"]),
        ota("decode-por", &["zz"]),
        ota("encode", &["--tar", "b000", "--cntr", "0000000000", "00"]),
        ota("encode", &["--tar", "b00011", "--cntr", "00", "00"]),
        ota("encode", &["--tar", "b00011", "--cntr", "0000000000", "0g"]),
        ota(
            "encode",
            &[
                "--tar",
                "b00011",
                "--cntr",
                "0000000000",
                "--sms",
                "--scts",
                "yesterday",
                "00",
            ],
        ),
        bipscope(&[
            "ota",
            "encode",
            "--spi",
            "0619",
            "--kic",
            "31",
            "--kid",
            "35",
            "--kic-key",
            "3001020304050607",
            "--kid-key",
            "301102030405060708090a0b0c0d0e0f",
            "--tar",
            "b00011",
            "--cntr",
            "0000000000",
            "00",
        ]),
        bipscope(&[
            "ota",
            "encode",
            "--spi",
            "0619",
            "--kic",
            "35",
            "--kid",
            "35",
            "--tar",
            "b00011",
            "--cntr",
            "0000000000",
            "00",
        ]),
    ];
    for output in cases {
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(stdout(&output).is_empty(), "{}", stdout(&output));
        assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
    }
    let single_des = bipscope(&[
        "ota",
        "encode",
        "--spi",
        "0619",
        "--kic",
        "31",
        "--kid",
        "35",
        "--kic-key",
        "3001020304050607",
        "--tar",
        "b00011",
        "--cntr",
        "0000000000",
        "00",
    ]);
    assert!(
        stderr(&single_des).contains("single DES"),
        "{}",
        stderr(&single_des)
    );
}

#[test]
fn profile_prints_the_default_which_checks_and_loads_after_editing() {
    let output = bipscope(&["profile"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("iccid"), "{text}");
    let dir = std::env::temp_dir().join(format!("bipscope-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let saved = dir.join("saved.toml");
    std::fs::write(&saved, &text).unwrap();
    let check = bipscope(&["profile", "--check", saved.to_str().unwrap()]);
    assert!(check.status.success(), "{}", stderr(&check));
    assert!(stdout(&check).contains("a valid card profile"));

    let broken = dir.join("broken.toml");
    std::fs::write(&broken, text.replacen("iccid", "iccdi", 1)).unwrap();
    let refused = bipscope(&["profile", "--check", broken.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(stderr(&refused).lines().count(), 1, "{}", stderr(&refused));
    assert!(stderr(&refused).contains("broken.toml"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn run_ota_scenario_prints_the_sms_walk_and_its_decoded_fields() {
    let output = bipscope(&["run", "--scenario", "ota", "--fields", "--seed", "3"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let order = [
        "Attach",
        "Send OTA",
        "SMS-SUBMIT",
        "SMS-DELIVER ",
        "ENVELOPE",
        "GET RESPONSE",
        "SMS-DELIVER-REPORT (RP-ACK)",
        "SMS-STATUS-REPORT (00)",
    ];
    let mut from = 0;
    for title in order {
        let at = text[from..]
            .find(title)
            .unwrap_or_else(|| panic!("{title} after byte {from} in {text}"));
        from += at + title.len();
    }
    for line in [
        "server → network",
        "network → phone",
        "phone → network",
        "network → server",
    ] {
        assert!(
            text.lines().any(|l| l
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .contains(line)),
            "{line} in {text}"
        );
    }
    for field in [
        "Secured command packet: TAR B00000",
        "Response packet (PoR): TAR B00000",
        "Status (TP-ST): 00 short message received by the SME",
        "Parameter indicator (TP-PI): 07",
    ] {
        assert!(text.contains(field), "{field} in {text}");
    }
    let digest = text.lines().last().expect("a summary line").to_string();
    assert!(digest.contains("log digest"), "{digest}");
    let again = stdout(&bipscope(&["run", "--scenario", "ota", "--seed", "3"]));
    assert_eq!(again.lines().last(), Some(digest.as_str()));
    let power_on = stdout(&bipscope(&["run", "--scenario", "power-on", "--seed", "3"]));
    assert_eq!(
        power_on,
        stdout(&bipscope(&["run", "--seed", "3"])),
        "power-on is the default"
    );
    assert!(!power_on.contains("SMS-SUBMIT"));
    let unknown = bipscope(&["run", "--scenario", "bip"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn run_scws_start_scenario_fetches_open_channel_and_answers_listen() {
    let output = bipscope(&["run", "--scenario", "scws-start", "--seed", "3"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let order = [
        "Attach",
        "Send OTA",
        "SMS-DELIVER ",
        "ENVELOPE",
        "GET RESPONSE",
        "FETCH                    80 12 00 00 14",
        "D0 12 81 03 02 40 00 82 02 81 82 B9 02 05 78 BC 03 03 0D BC 90 00",
        "TERMINAL RESPONSE",
        "81 03 02 40 00 82 02 82 81 83 01 00 B8 02 41 00 B9 02 05 78",
        "90 00",
        "SMS-STATUS-REPORT (00)",
    ];
    let mut from = 0;
    for title in order {
        let at = text[from..]
            .find(title)
            .unwrap_or_else(|| panic!("{title} after byte {from} in {text}"));
        from += at + title.len();
    }
    let digest = text.lines().last().expect("a summary line").to_string();
    assert!(digest.contains("log digest"), "{digest}");
    let again = stdout(&bipscope(&[
        "run",
        "--scenario",
        "scws-start",
        "--seed",
        "3",
    ]));
    assert_eq!(again.lines().last(), Some(digest.as_str()));
}

#[test]
fn run_scws_get_scenario_shows_tcp_and_bip_in_order() {
    let output = bipscope(&["run", "--scenario", "scws-get", "--seed", "2"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let order = [
        "PO-TCP: locate",
        "Activate PDP context",
        "TCP 49152 → 3516 [SYN]",
        "TCP 3516 → 49152 [SYN, ACK]",
        "ENVELOPE",
        "RECEIVE DATA: 90 00",
        "SEND DATA: 90 00",
        "CLOSE CHANNEL: 90 00",
    ];
    let mut from = 0;
    for title in order {
        let at = text[from..]
            .find(title)
            .unwrap_or_else(|| panic!("{title} after byte {from} in {text}"));
        from += at + title.len();
    }
}

#[test]
fn run_usb_uicc_scenario_reaches_the_card_over_tcp_without_bip() {
    let output = bipscope(&["run", "--scenario", "usb-uicc"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("phone → card    tcp      TCP 49152 → 3516 [SYN]"),
        "{text}"
    );
    assert!(!text.contains("RECEIVE DATA"), "{text}");
}

#[test]
fn run_writes_the_trace_it_prints() {
    let dir = std::env::temp_dir().join(format!("bipscope-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("scws-get.json");
    let output = bipscope(&[
        "run",
        "--scenario",
        "scws-get",
        "--trace",
        path.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let trace: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(trace["version"], 1);
    let events = trace["events"].as_array().unwrap();
    let printed = stdout(&output);
    assert!(printed.contains(&format!("{} events, log digest", events.len())));
    let syn = events
        .iter()
        .find(|e| e["summary"] == "TCP 49152 → 3516 [SYN]")
        .unwrap();
    assert_eq!(syn["layer"], "tcp");
    assert_eq!(
        (syn["from"].as_str(), syn["to"].as_str()),
        (Some("server"), Some("network"))
    );
    assert!(syn["hex"].as_str().unwrap().starts_with("45"));
    assert!(syn["time_us"].as_u64().unwrap() > 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn run_says_why_it_cannot_write_the_trace() {
    let output = bipscope(&["run", "--trace", "/nonexistent-dir/trace.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot write the trace /nonexistent-dir/trace.json"));
}

/// A scratch directory for one test, removed by the caller.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("bipscope-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn run_patent_pushes_a_content_directory_and_exports_the_card() {
    let dir = scratch("patent");
    let content = dir.join("content");
    std::fs::create_dir_all(content.join("docs")).unwrap();
    std::fs::write(
        content.join("index.html"),
        b"<!doctype html><title>New</title>",
    )
    .unwrap();
    std::fs::write(content.join("docs/guide.txt"), b"manual, chapter 1").unwrap();
    let export = dir.join("card");
    let output = bipscope(&[
        "run",
        "--scenario",
        "patent",
        "--content",
        content.to_str().unwrap(),
        "--export-card",
        export.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let last = text.lines().last().unwrap();
    assert!(last.contains("patent: campaign done"), "{last}");
    assert_eq!(
        std::fs::read(export.join("scws/index.html")).unwrap(),
        b"<!doctype html><title>New</title>"
    );
    assert_eq!(
        std::fs::read(export.join("scws/docs/guide.txt")).unwrap(),
        b"manual, chapter 1"
    );
    // The EFs by their file ids, e.g. EF.ICCID.
    let iccid = std::fs::read(export.join("files/3F00/2FE2")).unwrap();
    assert_eq!(iccid.len(), 10);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn run_refuses_a_missing_content_directory_or_content_without_patent() {
    let output = bipscope(&[
        "run",
        "--scenario",
        "patent",
        "--content",
        "/nonexistent-content",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot read the content directory /nonexistent-content"),
        "{}",
        stderr(&output)
    );
    let dir = scratch("content-only");
    let output = bipscope(&[
        "run",
        "--scenario",
        "ota",
        "--content",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--content goes with --scenario patent only"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn run_link_drop_reports_the_reconnection_and_succeeds() {
    let output = bipscope(&["run", "--scenario", "link-drop"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("user → network action   Cut link"), "{text}");
    let last = text.lines().last().unwrap();
    assert!(
        last.contains("link-drop: the manual arrived whole after"),
        "{last}"
    );
}

#[test]
fn run_attack_says_every_attack_was_refused() {
    let output = bipscope(&["run", "--scenario", "attack"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let last = stdout(&output).lines().last().unwrap().to_string();
    assert!(
        last.contains("attack: rogue server refused; replay answered PoR 02"),
        "{last}"
    );
}

#[test]
fn run_multi_server_has_both_servers_update_the_card() {
    let output = bipscope(&["run", "--scenario", "multi-server"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let last = stdout(&output).lines().last().unwrap().to_string();
    assert!(last.contains("both updated the card"), "{last}");
}
