//! `bipscope ota`: build a secured command packet (and its SMS-DELIVER) and read a proof
//! of receipt, as ETSI TS 102 225 and 3GPP TS 31.115 code them.

use super::bad_input;
use bipscope::wire::hex;
use bipscope::wire::ota::coding::{cc_algorithm, cipher_algorithm};
use bipscope::wire::ota::{
    open_response, secure_command, CcKey, Check, CipherKey, CommandParams, CompactResponse,
    Integrity, KeySet, SecurityError, Spi, Tar,
};
use bipscope::wire::sms::{
    command_packet_user_data, ota_deliver, Address, ConcatReference, Timestamp,
};
use clap::{Args, Subcommand};
use std::process::ExitCode;

/// Originating address of the SMS-DELIVER when none is given: +1 202 555 0100, in the
/// 555-0100 to 555-0199 block that the North American numbering plan keeps for fiction.
const DEFAULT_ORIGINATOR: &str = "+12025550100";
/// Service centre time stamp when none is given: 2024-01-01 00:00:00 GMT.
const DEFAULT_SCTS: &str = "240101000000+00";

#[derive(Subcommand)]
pub enum OtaCommand {
    /// Build a secured command packet (CPL to the end) and print it in hex; with --sms,
    /// also print the SMS-DELIVER TPDU(s) that carry it (UDH 70, TP-PID 7F, TP-DCS F6).
    Encode(EncodeArgs),
    /// Open a proof of receipt (with or without its UDH 02 71 00) with the command's SPI,
    /// KIc, KID and keys; print its status, counter and additional response data.
    DecodePor(DecodePorArgs),
}

/// The security options of a packet.
#[derive(Args)]
pub struct SecurityArgs {
    /// SPI, 2 bytes in hex (TS 102 225 §5.1.1), e.g. 0619.
    #[arg(long)]
    spi: String,
    /// KIc, 1 byte in hex: ciphering algorithm and key version (§5.1.2).
    #[arg(long)]
    kic: String,
    /// KID, 1 byte in hex: RC/CC algorithm and key version (§5.1.3).
    #[arg(long)]
    kid: String,
    /// The ciphering key, in hex (16 bytes for 2-key 3DES, 24 for 3-key, 16/24/32 AES).
    #[arg(long)]
    kic_key: Option<String>,
    /// The cryptographic checksum key, in hex.
    #[arg(long)]
    kid_key: Option<String>,
}

#[derive(Args)]
pub struct EncodeArgs {
    #[command(flatten)]
    security: SecurityArgs,
    /// TAR, 3 bytes in hex.
    #[arg(long)]
    tar: String,
    /// CNTR, 5 bytes in hex.
    #[arg(long)]
    cntr: String,
    /// Also print the SMS-DELIVER TPDU(s), one per line.
    #[arg(long)]
    sms: bool,
    /// Originating address of the SMS: +digits (international), digits, or text
    /// (alphanumeric).
    #[arg(long, default_value = DEFAULT_ORIGINATOR)]
    originator: String,
    /// Service centre time stamp, YYMMDDhhmmss±QQ (time zone in quarters of an hour).
    #[arg(long, default_value = DEFAULT_SCTS)]
    scts: String,
    /// Concatenation reference (8-bit) used when the packet needs several SMS.
    #[arg(long, default_value_t = 1)]
    reference: u8,
    /// The secured data (remote commands) in hex; spaces allowed, also across arguments.
    #[arg(required = true, num_args = 1..)]
    data: Vec<String>,
}

#[derive(Args)]
pub struct DecodePorArgs {
    #[command(flatten)]
    security: SecurityArgs,
    /// The PoR in hex: SMS user data (02 71 00 …) or the bare packet (RPL …).
    #[arg(required = true, num_args = 1..)]
    hex: Vec<String>,
}

pub fn run(command: OtaCommand) -> ExitCode {
    let result = match command {
        OtaCommand::Encode(args) => encode(&args),
        OtaCommand::DecodePor(args) => decode_por(&args),
    };
    match result {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => bad_input(&message),
    }
}

/// Exactly `N` bytes of hex given to option `name`.
fn bytes_arg<const N: usize>(name: &str, text: &str) -> Result<[u8; N], String> {
    let bytes = hex::parse(text).map_err(|e| format!("{name}: cannot read hex: {e}"))?;
    let len = bytes.len();
    bytes.try_into().map_err(|_| {
        format!(
            "{name} must be {N} byte(s) ({} hex digits), got {len}",
            2 * N
        )
    })
}

fn key_arg(name: &str, text: Option<&str>) -> Result<Option<Vec<u8>>, String> {
    text.map(|t| hex::parse(t).map_err(|e| format!("{name}: cannot read hex: {e}")))
        .transpose()
}

/// SPI, KIc, KID and the keys the SPI needs, bound to the algorithms KIc and KID name.
/// Keys the SPI does not use are ignored.
fn security(args: &SecurityArgs) -> Result<(Spi, u8, u8, KeySet), String> {
    let [first, second] = bytes_arg::<2>("--spi", &args.spi)?;
    let spi = Spi::new(first, second);
    let [kic] = bytes_arg::<1>("--kic", &args.kic)?;
    let [kid] = bytes_arg::<1>("--kid", &args.kid)?;
    let kic_key = key_arg("--kic-key", args.kic_key.as_deref())?;
    let kid_key = key_arg("--kid-key", args.kid_key.as_deref())?;
    let mut keys = KeySet::none();
    let (por_integrity, por_ciphering) = spi.por_protection();
    if spi.ciphering() || por_ciphering {
        if let Some(key) = kic_key {
            let algorithm = cipher_algorithm(kic).map_err(|e| e.to_string())?;
            keys.kic = Some(CipherKey::new(algorithm, key).map_err(|e| format!("--kic-key: {e}"))?);
        }
    }
    let uses_cc = spi.integrity() == Integrity::CryptographicChecksum
        || por_integrity == Integrity::CryptographicChecksum;
    if uses_cc {
        if let Some(key) = kid_key {
            let algorithm = cc_algorithm(kid).map_err(|e| e.to_string())?;
            keys.kid = Some(CcKey::new(algorithm, key).map_err(|e| format!("--kid-key: {e}"))?);
        }
    }
    Ok((spi, kic, kid, keys))
}

fn security_error(error: SecurityError) -> String {
    match error {
        SecurityError::KeyMissing { which: "KIc" } => {
            "the SPI asks for ciphering: give --kic-key".to_string()
        }
        SecurityError::KeyMissing { .. } => {
            "the SPI asks for a cryptographic checksum: give --kid-key".to_string()
        }
        other => other.to_string(),
    }
}

fn encode(args: &EncodeArgs) -> Result<Vec<String>, String> {
    let (spi, kic, kid, keys) = security(&args.security)?;
    let tar = Tar(bytes_arg::<3>("--tar", &args.tar)?);
    let counter = u64::from_be_bytes({
        let c = bytes_arg::<5>("--cntr", &args.cntr)?;
        [0, 0, 0, c[0], c[1], c[2], c[3], c[4]]
    });
    let data =
        hex::parse(&args.data.join(" ")).map_err(|e| format!("cannot read the data hex: {e}"))?;
    let params = CommandParams {
        spi,
        kic,
        kid,
        tar,
        counter,
        cc_len: None,
    };
    let packet = secure_command(&params, &keys, &data).map_err(security_error)?;
    let mut lines = vec![::hex::encode(&packet)];
    if args.sms {
        let originator =
            Address::from_text(&args.originator).map_err(|e| format!("--originator: {e}"))?;
        let scts = Timestamp::from_text(&args.scts).map_err(|e| format!("--scts: {e}"))?;
        let parts = command_packet_user_data(&packet, ConcatReference::Eight(args.reference))
            .map_err(|e| e.to_string())?;
        for user_data in parts {
            let tpdu = ota_deliver(originator.clone(), scts, user_data)
                .emit()
                .map_err(|e| e.to_string())?;
            lines.push(::hex::encode(tpdu));
        }
    }
    Ok(lines)
}

fn decode_por(args: &DecodePorArgs) -> Result<Vec<String>, String> {
    let (spi, kic, kid, keys) = security(&args.security)?;
    let bytes = hex::parse(&args.hex.join(" ")).map_err(|e| format!("cannot read hex: {e}"))?;
    let por = open_response(&bytes, spi, kic, kid, &keys)
        .map_err(|e| format!("cannot open the PoR: {}", security_error(e)))?;
    let mut lines = vec![
        format!("PoR from TAR {}: status {}", por.tar, por.status),
        format!("counter: {:010X}", por.counter),
        format!("padding: {} byte(s)", por.pcntr),
    ];
    let check = match por.check {
        Check::None => "no RC/CC/DS".to_string(),
        check => format!("{} {}, verified", check.name(), hex::compact(&por.checksum)),
    };
    lines.push(if por.protected {
        format!(
            "protection: {}{check}",
            if por.ciphered { "ciphered, " } else { "" }
        )
    } else {
        "protection: none, although the SPI asked for it: an error PoR, trust only its status"
            .to_string()
    });
    if por.data.is_empty() {
        lines.push("additional response data: none".to_string());
    } else {
        lines.push(format!(
            "additional response data: {}",
            hex::spaced(&por.data)
        ));
        if let Some(compact) = CompactResponse::parse(&por.data) {
            lines.push(format!(
                "{} command{} executed (TS 102 226 §5.1.2 compact remote response)",
                compact.executed,
                if compact.executed == 1 { "" } else { "s" }
            ));
            lines.push(format!(
                "last status word: {:04X} ({})",
                compact.last_status.0,
                compact.last_status.meaning()
            ));
            if !compact.last_data.is_empty() {
                lines.push(format!(
                    "last response data: {}",
                    hex::spaced(&compact.last_data)
                ));
            }
        }
    }
    Ok(lines)
}
