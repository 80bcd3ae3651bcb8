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
    assert!(text.contains("B7 01 C8") || text.contains("C8"), "{text}");
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
