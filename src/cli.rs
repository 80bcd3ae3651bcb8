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
    /// Compute MILENAGE (3GPP TS 35.206) for one subscriber and challenge: OPc, MAC-A (f1),
    /// MAC-S (f1*), RES (f2), CK (f3), IK (f4), AK (f5) and AK* (f5*).
    Milenage {
        /// Subscriber key K, 16 bytes in hex.
        #[arg(long)]
        k: String,
        /// Operator key OP, 16 bytes in hex (give this or --opc).
        #[arg(long)]
        op: Option<String>,
        /// OPc, 16 bytes in hex (give this or --op).
        #[arg(long)]
        opc: Option<String>,
        /// RAND, 16 bytes in hex.
        #[arg(long)]
        rand: String,
        /// SQN, 6 bytes in hex.
        #[arg(long)]
        sqn: String,
        /// AMF, 2 bytes in hex.
        #[arg(long)]
        amf: String,
        /// Print one JSON object {opc, mac_a, mac_s, res, ck, ik, ak, ak_star} (lowercase hex).
        #[arg(long)]
        json: bool,
    },
}

pub fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Decode { json, hex } => decode_command(&hex.join(" "), json),
        Command::Run { seed, json, fields } => run_command(seed, json, fields),
        Command::Milenage {
            k,
            op,
            opc,
            rand,
            sqn,
            amf,
            json,
        } => milenage_command(&k, op.as_deref(), opc.as_deref(), &rand, &sqn, &amf, json),
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

/// `bipscope milenage`: every MILENAGE output for one K, OP or OPc, RAND, SQN and AMF.
fn milenage_command(
    k: &str,
    op: Option<&str>,
    opc: Option<&str>,
    rand: &str,
    sqn: &str,
    amf: &str,
    json: bool,
) -> ExitCode {
    use bipscope::card::usim::Milenage;
    let inputs = (|| -> Result<_, String> {
        let k = hex_arg::<16>("--k", k)?;
        let keys = match (op, opc) {
            (Some(op), None) => Milenage::from_op(k, hex_arg("--op", op)?),
            (None, Some(opc)) => Milenage::from_opc(k, hex_arg("--opc", opc)?),
            _ => return Err("give exactly one of --op and --opc".to_string()),
        };
        Ok((
            keys,
            hex_arg::<16>("--rand", rand)?,
            hex_arg::<6>("--sqn", sqn)?,
            hex_arg::<2>("--amf", amf)?,
        ))
    })();
    let (keys, rand, sqn, amf) = match inputs {
        Ok(inputs) => inputs,
        Err(message) => return bad_input(&message),
    };
    let opc_note = if op.is_some() {
        "OP ⊕ E_K(OP)"
    } else {
        "as given"
    };
    let (res, ck, ik, ak) = keys.f2345(&rand);
    let lines: [(&str, &str, String, &str); 8] = [
        ("opc", "OPc", ::hex::encode(keys.opc()), opc_note),
        (
            "mac_a",
            "MAC-A",
            ::hex::encode(keys.f1(&rand, &sqn, &amf)),
            "f1",
        ),
        (
            "mac_s",
            "MAC-S",
            ::hex::encode(keys.f1_star(&rand, &sqn, &amf)),
            "f1*",
        ),
        ("res", "RES", ::hex::encode(res), "f2"),
        ("ck", "CK", ::hex::encode(ck), "f3"),
        ("ik", "IK", ::hex::encode(ik), "f4"),
        ("ak", "AK", ::hex::encode(ak), "f5"),
        ("ak_star", "AK*", ::hex::encode(keys.f5_star(&rand)), "f5*"),
    ];
    if json {
        let object: serde_json::Map<String, serde_json::Value> = lines
            .iter()
            .map(|(key, _, value, _)| (key.to_string(), value.clone().into()))
            .collect();
        println!("{}", serde_json::Value::Object(object));
    } else {
        for (_, label, value, function) in &lines {
            println!("{label:<6} {value}  ({function})");
        }
    }
    ExitCode::SUCCESS
}

/// Reads `N` bytes of hex given to option `name`.
fn hex_arg<const N: usize>(name: &str, text: &str) -> Result<[u8; N], String> {
    let bytes = hex::parse(text).map_err(|error| format!("{name}: cannot read hex: {error}"))?;
    let len = bytes.len();
    bytes
        .try_into()
        .map_err(|_| format!("{name} must be {N} bytes ({} hex digits), got {len}", 2 * N))
}
