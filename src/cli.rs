//! The native command line.

use bipscope::card::{Card, Profile};
use bipscope::sim::scenario::Upload;
use bipscope::sim::trace::Trace;
use bipscope::sim::{Scenario, Timeline};
use bipscope::wire::apdu::{CommandApdu, ResponseApdu};
use bipscope::wire::ber_tlv::Tlv;
use bipscope::wire::{decode, fcp, hex};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod ota;

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
    /// Run a built-in scenario and print its event log: power-on (the phone starts the
    /// card and attaches), ota (then the server sends an OTA SMS to the card's remote
    /// file management and reads the PoR) or scws-start (then an OTA SMS starts the
    /// SCWS, and the phone FETCHes OPEN CHANNEL and listens on TCP 3516).
    Run {
        /// Seed of the world's PRNG: the same seed gives the same log.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Which run: power-on, ota or scws-start.
        #[arg(
            long,
            default_value = "power-on",
            value_parser = clap::builder::PossibleValuesParser::new(Scenario::ALL.map(Scenario::name))
        )]
        scenario: String,
        /// Print the events as JSON lines.
        #[arg(long)]
        json: bool,
        /// Also print every event's decoded field tree.
        #[arg(long)]
        fields: bool,
        /// Also write the events to this file as a trace (JSON: {"version":1,"events":[{step,
        /// time_us, from, to, layer, summary, hex, caused_by}]}).
        #[arg(long, value_name = "FILE.json")]
        trace: Option<PathBuf>,
        /// With --scenario patent: push the files of this directory instead of the
        /// default page, each at its path below the directory (`DIR/a/b.html` →
        /// `/a/b.html`), its content type from its extension.
        #[arg(long, value_name = "DIR")]
        content: Option<PathBuf>,
        /// After the run, write the card's SCWS resources (DIR/scws/<URL path>) and its
        /// EFs (DIR/files/3F00/…/<file id>) into this directory.
        #[arg(long, value_name = "DIR")]
        export_card: Option<PathBuf>,
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
    /// Power on a card and send it command APDUs in order; print one line per response:
    /// the response data and status word in hex, what the status word means, and a hint
    /// at the data (FCP, record, text, AUTHENTICATE result).
    Apdu {
        /// A card profile in TOML (default: the built-in one).
        #[arg(long)]
        profile: Option<PathBuf>,
        /// Print one JSON object {command, response, sw, meaning} per response.
        #[arg(long)]
        json: bool,
        /// The command APDUs in hex, one per argument (spaces inside one are allowed).
        #[arg(required = true, num_args = 1..)]
        hex: Vec<String>,
    },
    /// Print the built-in card profile as TOML (save it, edit it, load it with
    /// `--profile`), or check a profile file.
    Profile {
        /// Check this profile file instead: print a summary if it is valid.
        #[arg(long, value_name = "FILE")]
        check: Option<PathBuf>,
    },
    /// OTA secured packets (ETSI TS 102 225, 3GPP TS 31.115): build a command packet and
    /// its SMS, read a proof of receipt.
    Ota {
        #[command(subcommand)]
        command: ota::OtaCommand,
    },
}

pub fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Decode { json, hex } => decode_command(&hex.join(" "), json),
        Command::Run {
            seed,
            scenario,
            json,
            fields,
            trace,
            content,
            export_card,
        } => run_command(
            seed,
            &scenario,
            RunOutput {
                json,
                fields,
                trace,
                export_card,
            },
            content.as_deref(),
        ),
        Command::Milenage {
            k,
            op,
            opc,
            rand,
            sqn,
            amf,
            json,
        } => milenage_command(&k, op.as_deref(), opc.as_deref(), &rand, &sqn, &amf, json),
        Command::Apdu { profile, json, hex } => apdu_command(profile.as_deref(), json, &hex),
        Command::Profile { check } => profile_command(check.as_deref()),
        Command::Ota { command } => ota::run(command),
    }
}

/// Prints the default profile, or validates the profile in `check`.
fn profile_command(check: Option<&Path>) -> ExitCode {
    let Some(path) = check else {
        return match Profile::default_profile().to_toml() {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(error) => bad_input(&format!("cannot write the profile: {error}")),
        };
    };
    let checked = load_profile(path).and_then(|profile| {
        Card::from_profile(profile).map_err(|error| format!("profile {}: {error}", path.display()))
    });
    match checked {
        Ok(_) => {
            println!("{}: a valid card profile", path.display());
            ExitCode::SUCCESS
        }
        Err(error) => bad_input(&error),
    }
}

/// Reads and validates a profile file; the error names the file.
fn load_profile(path: &Path) -> Result<Profile, String> {
    std::fs::read_to_string(path)
        .map_err(|error| error.to_string())
        .and_then(|text| Profile::from_toml(&text).map_err(|error| error.to_string()))
        .map_err(|error| format!("profile {}: {error}", path.display()))
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

/// Where `bipscope run` writes what it found.
struct RunOutput {
    json: bool,
    fields: bool,
    trace: Option<PathBuf>,
    export_card: Option<PathBuf>,
}

fn run_command(seed: u64, scenario: &str, output: RunOutput, content: Option<&Path>) -> ExitCode {
    let Some(scenario) = Scenario::from_name(scenario) else {
        return bad_input(&format!("no scenario named {scenario:?}"));
    };
    let (json, fields) = (output.json, output.fields);
    let timeline = match content {
        Some(_) if scenario != Scenario::Patent => {
            return bad_input("--content goes with --scenario patent only")
        }
        Some(dir) => match read_content(dir) {
            Ok(uploads) => with_progress(Scenario::start_patent(seed, &uploads)),
            Err(error) => return bad_input(&error),
        },
        None if scenario == Scenario::Patent => {
            with_progress(Scenario::start_patent(seed, &Scenario::patent_content()))
        }
        None => scenario.record(seed),
    };
    if let Some(path) = &output.trace {
        let written = serde_json::to_string(&Trace::of(timeline.log()))
            .map_err(|e| e.to_string())
            .and_then(|text| std::fs::write(path, text).map_err(|e| e.to_string()));
        if let Err(error) = written {
            return bad_input(&format!(
                "cannot write the trace {}: {error}",
                path.display()
            ));
        }
    }
    if let Some(dir) = &output.export_card {
        if let Err(error) = export_card(timeline.head().card(), dir) {
            return bad_input(&format!(
                "cannot export the card to {}: {error}",
                dir.display()
            ));
        }
    }
    for event in timeline.log() {
        if json {
            match serde_json::to_string(event) {
                Ok(line) => println!("{line}"),
                Err(error) => return bad_input(&format!("cannot print JSON: {error}")),
            }
            continue;
        }
        println!(
            "#{:<3} {:>12}  {:>7} → {:<7} {:<8} {:<24} {}",
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
    let check = scenario.check(timeline.head());
    if !json {
        println!(
            "{} events, log digest {}; {}: {}",
            timeline.log().len(),
            timeline.digest(),
            scenario.name(),
            match &check {
                Ok(words) => words.clone(),
                Err(why) => format!("FAILED: {why}"),
            }
        );
    }
    match check {
        Ok(_) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!(
                "bipscope: the {} scenario's checks failed: {why}",
                scenario.name()
            );
            ExitCode::FAILURE
        }
    }
}

/// Runs `timeline` until nothing is left, with a progress line on standard error when it
/// takes more than a second.
fn with_progress(mut timeline: Timeline) -> Timeline {
    let started = std::time::Instant::now();
    let mut shown = false;
    while timeline.run(20_000) > 0 {
        if started.elapsed().as_secs() >= 1 {
            let progress = timeline
                .head()
                .server()
                .campaign()
                .map(|run| run.progress())
                .unwrap_or_default();
            eprint!("\r{} steps, {progress}\x1b[K", timeline.log().len());
            shown = true;
        }
    }
    if shown {
        eprintln!();
    }
    timeline
}

/// The files below `dir` as resources to push: URL path from the relative path, content
/// type from the extension. Clear errors for a missing directory, an unreadable file, a
/// name that is not UTF-8 or an empty directory.
fn read_content(dir: &Path) -> Result<Vec<Upload>, String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<Upload>) -> Result<(), String> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read the content directory {}: {e}", dir.display()))?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, base, out)?;
                continue;
            }
            let relative = path.strip_prefix(base).map_err(|e| e.to_string())?;
            let parts: Option<Vec<&str>> = relative
                .components()
                .map(|c| c.as_os_str().to_str())
                .collect();
            let Some(parts) = parts else {
                return Err(format!("{}: the name is not UTF-8", path.display()));
            };
            let body =
                std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            out.push(Upload {
                path: format!("/{}", parts.join("/")),
                content_type: content_type(&path).to_string(),
                body,
            });
        }
        Ok(())
    }
    let mut uploads = Vec::new();
    walk(dir, dir, &mut uploads)?;
    if uploads.is_empty() {
        return Err(format!(
            "the content directory {} holds no file",
            dir.display()
        ));
    }
    Ok(uploads)
}

/// The media type of a file by its extension (RFC 6838 registrations); unknown:
/// `application/octet-stream`.
fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css",
        Some("txt") => "text/plain; charset=utf-8",
        Some("js") => "text/javascript",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// Writes the card's SCWS resources under `dir/scws` by URL path and its EFs under
/// `dir/files` by the path of file ids (`3F00/7FF0/6F07`). Path segments `.` and `..`
/// in a resource's URL path are left out, so nothing lands outside `dir`.
fn export_card(card: &Card, dir: &Path) -> Result<(), String> {
    let write = |path: PathBuf, bytes: &[u8]| -> Result<(), String> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))
    };
    for url in card.scws_paths() {
        let Some(resource) = card.scws_resource(&url) else {
            continue;
        };
        let mut path = dir.join("scws");
        for segment in url
            .split('/')
            .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        {
            path.push(segment);
        }
        write(path, &resource.body)?;
    }
    let tree = card.file_tree();
    for node in tree.walk() {
        if node.kind.is_dedicated() {
            continue;
        }
        if let Some(contents) = card.file_contents(&node.path) {
            let mut path = dir.join("files");
            for part in node.path_text().split('/') {
                path.push(part);
            }
            write(path, &contents.bytes)?;
        }
    }
    Ok(())
}

/// `bipscope apdu`: a card powered on (reset, ATR), then each APDU and its response.
fn apdu_command(profile: Option<&Path>, json: bool, apdus: &[String]) -> ExitCode {
    let profile = match profile {
        None => Profile::default_profile(),
        Some(path) => match load_profile(path) {
            Ok(profile) => profile,
            Err(error) => return bad_input(&error),
        },
    };
    let mut commands = Vec::with_capacity(apdus.len());
    for text in apdus {
        match hex::parse(text) {
            Ok(bytes) => commands.push(bytes),
            Err(error) => return bad_input(&format!("cannot read APDU {text:?}: {error}")),
        }
    }
    let mut card = match Card::from_profile(profile) {
        Ok(card) => card,
        Err(error) => return bad_input(&format!("profile: {error}")),
    };
    if card.power_on().is_none() {
        return bad_input("the card did not answer the reset");
    }
    // The command whose data a GET RESPONSE fetches.
    let mut pending_from = None;
    for bytes in &commands {
        let Some(response) = card.process(bytes) else {
            return bad_input("the card went silent");
        };
        let ins = CommandApdu::parse(bytes).ok().map(|c| c.ins);
        let context = if ins == Some(0xC0) { pending_from } else { ins };
        if response.sw.sw1() == 0x61 {
            pending_from = context;
        }
        let meaning = response.sw.meaning();
        if json {
            let line = ResponseLine {
                command: hex::compact(bytes),
                response: hex::compact(&response.emit()),
                sw: hex::compact(&response.sw.to_bytes()),
                meaning,
            };
            match serde_json::to_string(&line) {
                Ok(line) => println!("{line}"),
                Err(error) => return bad_input(&format!("cannot print JSON: {error}")),
            }
            continue;
        }
        match context.and_then(|ins| data_hint(ins, &response)) {
            Some(hint) => println!("{}  {meaning}; {hint}", hex::compact(&response.emit())),
            None => println!("{}  {meaning}", hex::compact(&response.emit())),
        }
    }
    ExitCode::SUCCESS
}

/// One response of `bipscope apdu --json`, fields in this order.
#[derive(serde::Serialize)]
struct ResponseLine {
    command: String,
    response: String,
    sw: String,
    meaning: String,
}

/// A few words on response data, given the instruction that produced it.
fn data_hint(ins: u8, response: &ResponseApdu) -> Option<String> {
    let data = response.data.as_slice();
    let first = *data.first()?;
    match ins {
        0xA4 | 0xF2 if first == 0x62 => {
            let field = fcp::describe(data, 0).ok()?;
            Some(match field.find("fcp.file_size") {
                Some(size) => format!("FCP: {}, {}", field.value, size.value),
                None => format!("FCP: {}", field.value),
            })
        }
        0xF2 if first == 0x84 => Some(format!("DF name {}", hex::compact(data.get(2..)?))),
        0xB2 => {
            let objects = bipscope::card::fs::record_objects(data);
            (!objects.is_empty()).then(|| {
                let objects: Vec<String> = objects.iter().map(tlv_summary).collect();
                format!("record: {}", objects.join(" "))
            })
        }
        0xB0 => {
            let text = std::str::from_utf8(data).ok()?;
            let line = text.lines().next().unwrap_or_default();
            let printable = !line.is_empty() && !line.chars().any(char::is_control);
            printable.then(|| format!("text: {line:?}"))
        }
        0x70 => Some(format!("logical channel {first} open")),
        0x88 => match data {
            [0xDB, 0x08, res @ ..] if res.len() == 42 => Some(format!(
                "3G authentication: RES {} CK {} IK {}",
                hex::compact(&res[..8]),
                hex::compact(&res[9..25]),
                hex::compact(&res[26..])
            )),
            [0xDC, 0x0E, auts @ ..] => Some(format!(
                "synchronisation failure: AUTS {}",
                hex::compact(auts)
            )),
            _ => None,
        },
        _ => None,
    }
}

/// `61 [4F A000…, 50 "USIM"]`: tags, then values as text when printable, else in hex.
fn tlv_summary(tlv: &Tlv) -> String {
    let tag = hex::compact(&tlv.tag.bytes());
    if let Some(children) = tlv
        .tag
        .is_constructed()
        .then(|| tlv.children().ok())
        .flatten()
    {
        let inner: Vec<String> = children.iter().map(tlv_summary).collect();
        return format!("{tag} [{}]", inner.join(", "));
    }
    match std::str::from_utf8(&tlv.value) {
        Ok(text) if !text.is_empty() && text.chars().all(|c| c.is_ascii_graphic() || c == ' ') => {
            format!("{tag} {text:?}")
        }
        _ => format!("{tag} {}", hex::compact(&tlv.value)),
    }
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
