//! The native command line.

use bipscope::sim::{Timeline, World};
use bipscope::wire::{decode, hex};
use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit code for input that could not be read or decoded.
const BAD_INPUT: u8 = 2;

#[derive(Parser)]
#[command(
    name = "bipscope",
    version,
    about = "Emulate and decode remote smart-card administration over BIP and the SCWS"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode hex bytes: a command APDU, a proactive command (D0), an envelope (D1, D6 …),
    /// a terminal response or plain BER-TLV; prints the annotated field tree.
    Decode {
        /// Print the tree as JSON objects {path, label, start, len, value, note, children}.
        #[arg(long)]
        json: bool,
        /// The bytes in hex; spaces and colons are allowed, also across several arguments.
        #[arg(required = true, num_args = 1..)]
        hex: Vec<String>,
    },
    /// Run the built-in power-on exchange and print its event log.
    Run {
        /// Seed of the world's PRNG: the same seed gives the same log.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print the events as JSON lines.
        #[arg(long)]
        json: bool,
        /// Also print every event's decoded field tree.
        #[arg(long)]
        fields: bool,
    },
}

pub fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Decode { json, hex } => decode_command(&hex.join(" "), json),
        Command::Run { seed, json, fields } => run_command(seed, json, fields),
    }
}

fn decode_command(text: &str, json: bool) -> ExitCode {
    let bytes = match hex::parse(text) {
        Ok(bytes) => bytes,
        Err(error) => return bad_input(&format!("cannot read hex: {error}")),
    };
    let (kind, field) = match decode::auto(&bytes) {
        Ok(decoded) => decoded,
        Err(error) => return bad_input(&format!("cannot decode {} byte(s): {error}", bytes.len())),
    };
    if json {
        match serde_json::to_string_pretty(&field) {
            Ok(text) => println!("{text}"),
            Err(error) => return bad_input(&format!("cannot print JSON: {error}")),
        }
    } else {
        println!(
            "{} ({} bytes): {}",
            kind.name(),
            bytes.len(),
            hex::spaced(&bytes)
        );
        print!("{}", field.render_tree(Some(&bytes)));
        let gaps = field.uncovered(bytes.len());
        if !gaps.is_empty() {
            let ranges: Vec<String> = gaps
                .iter()
                .map(|g| format!("[{}..{}]", g.start, g.end))
                .collect();
            println!("bytes no field explains: {}", ranges.join(" "));
        }
    }
    ExitCode::SUCCESS
}

fn run_command(seed: u64, json: bool, fields: bool) -> ExitCode {
    let mut timeline = Timeline::new(World::power_on(seed));
    timeline.run(10_000);
    for event in timeline.log() {
        if json {
            match serde_json::to_string(event) {
                Ok(line) => println!("{line}"),
                Err(error) => return bad_input(&format!("cannot print JSON: {error}")),
            }
            continue;
        }
        println!(
            "#{:<3} {:>12}  {:>6} → {:<6} {:<8} {:<24} {}",
            event.step,
            event.time.to_string(),
            event.from.name(),
            event.to.name(),
            event.layer.name(),
            event.title,
            hex::spaced(&event.bytes)
        );
        if fields {
            for line in event.fields.render_tree(Some(&event.bytes)).lines() {
                println!("      {line}");
            }
        }
    }
    if !json {
        println!(
            "{} events, log digest {}",
            timeline.log().len(),
            timeline.digest()
        );
    }
    ExitCode::SUCCESS
}

fn bad_input(message: &str) -> ExitCode {
    eprintln!("bipscope: {message}");
    ExitCode::from(BAD_INPUT)
}
