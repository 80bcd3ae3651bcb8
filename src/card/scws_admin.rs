//! The Smart Card Web Server's administration agent: what the card does with a secured
//! packet for the SCWS administration TAR (patent steps S200 and S600).
//!
//! No public standard defines this message: OMA's Smartcard Web Server specification
//! administers the SCWS over HTTP(S) once a connection exists, and leaves the SMS that
//! starts it to the card issuer. This is bipscope's own format, built the way ETSI TS
//! 102 226 builds its expanded remote commands: BER-TLV (ISO/IEC 7816-4 §5.2, one-byte
//! tags, definite lengths), one template per command, executed in order, one result per
//! command in the proof of receipt. The packet is an ordinary OTA command packet (TS
//! 102 225, 3GPP TS 31.115) for the TAR the profile names with `service =
//! "scws-admin"` (`534357`, ASCII "SCW", in the built-in profile), so it is
//! authenticated, ciphered and counted like any other.
//!
//! # Commands (the secured data)
//!
//! ```text
//! A0 L <parameters>   start remote administration (S200): open the listening port.
//!                     The card raises OPEN CHANNEL in UICC server mode (TS 102 223
//!                     §6.4.27.5): command details 40 00 (the qualifier is RFU in
//!                     server mode), device identities UICC (81) → terminal (82),
//!                     buffer size (39), transport level (3C) 03 = TCP, UICC in server
//!                     mode, and the port. The parameters apply to this start only.
//! A1 L <parameters>   reconfigure (S600): store the parameters as the SCWS settings,
//!                     in a persistent object written through the journal, so that
//!                     they survive a power cut and apply to every later start. To
//!                     move the port at once, send A1 then A0 in one packet.
//! A2 L <parameters>   connect to the administration server (the patent's client-mode
//!                     embodiment, claim 3): the card raises OPEN CHANNEL in client
//!                     mode (TS 102 223 §6.4.27.4, default bearer): command details
//!                     40 01 (immediate link establishment), UICC → terminal, bearer
//!                     description 35 01 03 (default bearer), buffer size (39), the
//!                     network access name (47) if given, transport level (3C) 02 TCP
//!                     client remote or 01 UDP client remote with the server's port,
//!                     data destination address (3E) 21 + IPv4. Once the link is up
//!                     the card sends its administration request and reads the answer,
//!                     then closes the channel (see `crate::card::http`).
//! ```
//!
//! Parameters of A0 and A1, each optional and at most once, in any order; an absent
//! parameter takes the stored setting (built-in values in brackets):
//!
//! ```text
//! 80 02 pppp   TCP port the card listens on, 0001-FFFF            [0DBC = 3516]
//! 81 02 bbbb   buffer size asked in OPEN CHANNEL, 0001-FFFF      [0578 = 1400]
//! 82 01 ss     00 insecure (HTTP), 01 secure (HTTPS, TLS)        [00]
//! 83 01 cc     channel preference: 00 any, 01-07 that channel    [00]
//! 84 01 vv     verification of the server by the gateway:        [00]
//!              00 none, 01 allow-list, 02 certificate, 03 mutual (both sides)
//! ```
//!
//! Parameters of A2, at most once each, in any order; the tags name the same things as
//! above, so 82–84 have no place here:
//!
//! ```text
//! 85 04 aaaaaaaa  the server's IPv4 address                       mandatory
//! 80 02 pppp      the server's port, 0001-FFFF                    mandatory
//! 86 01 tt        protocol, as the transport level codes it:      [02]
//!                 02 TCP, 01 UDP (client mode, remote connection)
//! 81 02 bbbb      buffer size asked, 0001-FFFF                    [the stored setting]
//! 87 L  nn…       network access name, 1-100 bytes, coded as in   [none: the
//!                 TS 102 223 §8.61 (labels, TS 23.003 §9.1)        terminal's default]
//! ```
//!
//! IANA registers 3516 for the SCWS over HTTP and 4116 over HTTPS; the port is not
//! changed by the secure flag, the server says which it wants. OPEN CHANNEL carries
//! only the port and the buffer size: the terminal chooses the channel identifier
//! (TS 102 223 §6.4.27), and neither the secure flag nor the verification level has an
//! object in it, so the card keeps them in its settings
//! ([`crate::card::Card::scws_config`]) for the gateway and the SCWS to use.
//!
//! # Results (the PoR's additional response data)
//!
//! One TLV per command processed, in order; processing stops after the first result
//! that is not `00`:
//!
//! ```text
//! B0 01 ss   result of a start (A0)
//! B1 01 ss   result of a reconfigure (A1)
//! B2 01 ss   result of a connect (A2)
//! 90 01 ss   a command that could not be read or is not known (after TS 102 226's
//!            "bad format" TLV, tag 90)
//!
//! ss = 00  done: OPEN CHANNEL raised (the ENVELOPE ends 91 XX) / settings stored
//!      01  refused: the terminal profile does not declare the channel asked for
//!          (OPEN CHANNEL, byte 12 b1; the transport, byte 17: b3 TCP in UICC server
//!          mode, b1 TCP or b2 UDP in client mode; or no channel, byte 13 b8-b6)
//!      02  refused: no TERMINAL PROFILE since the card's reset
//!      03  refused by the toolkit for another reason (e.g. too long)
//!      10  bad format: a length that runs past the data, a parameter of the wrong
//!          length, unknown, repeated or out of range
//!      11  unknown command tag
//! ```
//!
//! The packet itself was received and executed, so the PoR status is `00` even when a
//! result is not: as for remote file management, the outcome of the commands is in the
//! additional data. The result of A0 and A2 says the OPEN CHANNEL was raised; what the
//! terminal and the server then do shows in the card's BIP engine
//! ([`crate::card::Card::bip`]).
//!
//! Example: `A0 04 80 02 0F A0` asks the card to listen on port 4000; the PoR carries
//! `B0 01 00`, and FETCH returns `D0 12 81 03 01 40 00 82 02 81 82 B9 02 05 78 BC 03 03
//! 0F A0` (command number 01).

use super::bip::Service;
use super::http::{AdminClient, Responder};
use super::storage::{PowerLost, Slot, Stored, Transaction};
use super::toolkit::Refused;
use super::Card;
use crate::wire::ber_tlv::Tlv;
use crate::wire::cat::{
    BearerDescription, BearerType, CommandType, DataObject, DeviceIdentity, Object, OtherAddress,
    ProactiveCommand, TransportLevel, TransportProtocol,
};
use crate::wire::field::FieldFill;
use crate::wire::{hex, DecodeError, Field};
use std::fmt;
use std::net::Ipv4Addr;

/// Command tag: start remote administration (open the listening port).
pub const START: u8 = 0xA0;
/// Command tag: reconfigure (store new settings).
pub const RECONFIGURE: u8 = 0xA1;
/// Command tag: connect to the administration server (client mode).
pub const CONNECT: u8 = 0xA2;
/// Result tag of a start.
pub const START_RESULT: u8 = 0xB0;
/// Result tag of a reconfigure.
pub const RECONFIGURE_RESULT: u8 = 0xB1;
/// Result tag of a connect.
pub const CONNECT_RESULT: u8 = 0xB2;
/// Result tag of a command that could not be read or is unknown.
pub const BAD_FORMAT: u8 = 0x90;

/// Parameter tags.
pub const PORT: u8 = 0x80;
pub const BUFFER_SIZE: u8 = 0x81;
pub const SECURE: u8 = 0x82;
pub const CHANNEL: u8 = 0x83;
pub const VERIFICATION: u8 = 0x84;
pub const ADDRESS: u8 = 0x85;
pub const PROTOCOL: u8 = 0x86;
pub const NETWORK_ACCESS_NAME: u8 = 0x87;

/// The longest network access name (TS 23.003 §9.1: 100 octets).
pub const MAX_NETWORK_ACCESS_NAME: usize = 100;

/// The SCWS's port over HTTP (IANA).
pub const DEFAULT_PORT: u16 = 3516;
/// The SCWS's port over HTTPS (IANA), for reference: not applied by the secure flag.
pub const SECURE_PORT: u16 = 4116;
/// The buffer size OPEN CHANNEL asks for unless told otherwise.
pub const DEFAULT_BUFFER_SIZE: u16 = 1400;

/// How the gateway checks the server before it forwards its data (patent module 50).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verification {
    /// `00`: no check.
    #[default]
    None,
    /// `01`: the server's address must be on the gateway's allow-list.
    AllowList,
    /// `02`: the server presents a certificate the gateway verifies.
    Certificate,
    /// `03`: mutual authentication, both sides present certificates.
    Mutual,
}

impl Verification {
    pub fn from_byte(byte: u8) -> Option<Verification> {
        Some(match byte {
            0x00 => Verification::None,
            0x01 => Verification::AllowList,
            0x02 => Verification::Certificate,
            0x03 => Verification::Mutual,
            _ => return None,
        })
    }

    pub fn byte(self) -> u8 {
        match self {
            Verification::None => 0x00,
            Verification::AllowList => 0x01,
            Verification::Certificate => 0x02,
            Verification::Mutual => 0x03,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Verification::None => "none",
            Verification::AllowList => "allow-list",
            Verification::Certificate => "certificate",
            Verification::Mutual => "mutual authentication",
        }
    }
}

/// The SCWS administration settings, as the last reconfiguration stored them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScwsConfig {
    pub port: u16,
    pub buffer_size: u16,
    pub secure: bool,
    pub verification: Verification,
    /// `0`: any channel; `1`–`7`: the channel preferred.
    pub channel: u8,
}

impl Default for ScwsConfig {
    fn default() -> ScwsConfig {
        ScwsConfig {
            port: DEFAULT_PORT,
            buffer_size: DEFAULT_BUFFER_SIZE,
            secure: false,
            verification: Verification::None,
            channel: 0,
        }
    }
}

impl fmt::Display for ScwsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let channel = match self.channel {
            0 => "any channel".to_string(),
            n => format!("channel {n}"),
        };
        write!(
            f,
            "port {} ({}), buffer {} bytes, {channel}, verification: {}",
            self.port,
            if self.secure { "secure" } else { "insecure" },
            self.buffer_size,
            self.verification.name()
        )
    }
}

impl Stored for ScwsConfig {
    /// `port (2) ‖ buffer size (2) ‖ secure (00/01) ‖ verification ‖ channel`.
    fn encode(&self) -> Vec<u8> {
        let mut bytes = self.port.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.buffer_size.to_be_bytes());
        bytes.extend([
            u8::from(self.secure),
            self.verification.byte(),
            self.channel,
        ]);
        bytes
    }

    fn decode(bytes: &[u8]) -> Option<ScwsConfig> {
        let [p1, p2, b1, b2, secure, verification, channel] = <[u8; 7]>::try_from(bytes).ok()?;
        Some(ScwsConfig {
            port: u16::from_be_bytes([p1, p2]),
            buffer_size: u16::from_be_bytes([b1, b2]),
            secure: match secure {
                0 => false,
                1 => true,
                _ => return None,
            },
            verification: Verification::from_byte(verification)?,
            channel: (channel <= 7).then_some(channel)?,
        })
    }
}

/// The parameters one command gives; `None` keeps the stored setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub port: Option<u16>,
    pub buffer_size: Option<u16>,
    pub secure: Option<bool>,
    pub channel: Option<u8>,
    pub verification: Option<Verification>,
}

impl Settings {
    /// `config` with the parameters given replacing its values.
    pub fn apply(&self, config: ScwsConfig) -> ScwsConfig {
        ScwsConfig {
            port: self.port.unwrap_or(config.port),
            buffer_size: self.buffer_size.unwrap_or(config.buffer_size),
            secure: self.secure.unwrap_or(config.secure),
            verification: self.verification.unwrap_or(config.verification),
            channel: self.channel.unwrap_or(config.channel),
        }
    }

    /// The parameter TLVs, in tag order.
    pub fn emit(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut put = |tag: u8, value: &[u8]| {
            Tlv::new(u32::from(tag), value.to_vec()).emit_into(&mut out);
        };
        if let Some(port) = self.port {
            put(PORT, &port.to_be_bytes());
        }
        if let Some(size) = self.buffer_size {
            put(BUFFER_SIZE, &size.to_be_bytes());
        }
        if let Some(secure) = self.secure {
            put(SECURE, &[u8::from(secure)]);
        }
        if let Some(channel) = self.channel {
            put(CHANNEL, &[channel]);
        }
        if let Some(verification) = self.verification {
            put(VERIFICATION, &[verification.byte()]);
        }
        out
    }

    /// Reads the parameters of an A0 or A1 template's value.
    pub fn parse(value: &[u8]) -> Result<Settings, FormatError> {
        let mut settings = Settings::default();
        let parameters = parameters(value, &[PORT, BUFFER_SIZE, SECURE, CHANNEL, VERIFICATION])?;
        for (tag, value) in parameters {
            match (tag, value.as_slice()) {
                (PORT, _) => settings.port = Some(nonzero_u16(tag, &value)?),
                (BUFFER_SIZE, _) => settings.buffer_size = Some(nonzero_u16(tag, &value)?),
                (SECURE, [flag @ (0 | 1)]) => settings.secure = Some(*flag == 1),
                (CHANNEL, [channel @ 0..=7]) => settings.channel = Some(*channel),
                (VERIFICATION, [level]) => match Verification::from_byte(*level) {
                    Some(level) => settings.verification = Some(level),
                    None => return Err(bad(tag, "verification level 00 to 03")),
                },
                (_, [_]) => return Err(bad(tag, "value out of range")),
                _ => return Err(bad(tag, "one byte expected")),
            }
        }
        Ok(settings)
    }
}

/// A parameter that is not right.
fn bad(tag: u8, detail: &str) -> FormatError {
    FormatError::BadFormat(format!("parameter {tag:02X}: {detail}"))
}

/// The parameter TLVs of a command template's value, in order; each tag must be in
/// `allowed` and appear at most once.
fn parameters(value: &[u8], allowed: &[u8]) -> Result<Vec<(u8, Vec<u8>)>, FormatError> {
    let objects = Tlv::parse_all(value).map_err(|e| FormatError::BadFormat(e.to_string()))?;
    let mut seen: Vec<(u8, Vec<u8>)> = Vec::with_capacity(objects.len());
    for object in objects {
        let tag = u8::try_from(object.tag.0)
            .ok()
            .filter(|t| allowed.contains(t))
            .ok_or_else(|| {
                FormatError::BadFormat(format!("parameter {:02X}: unknown parameter", object.tag.0))
            })?;
        if seen.iter().any(|(t, _)| *t == tag) {
            return Err(bad(tag, "given twice"));
        }
        seen.push((tag, object.value));
    }
    Ok(seen)
}

/// A port or a buffer size: two bytes, not 0.
fn nonzero_u16(tag: u8, value: &[u8]) -> Result<u16, FormatError> {
    match value {
        [0, 0] => Err(bad(tag, "0 is not a port or a buffer size")),
        [hi, lo] => Ok(u16::from_be_bytes([*hi, *lo])),
        _ => Err(bad(tag, "two bytes expected")),
    }
}

/// The parameters of a connect (A2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connect {
    pub address: Ipv4Addr,
    pub port: u16,
    /// [`TransportProtocol::TCP_CLIENT_REMOTE`] or [`TransportProtocol::UDP_CLIENT_REMOTE`].
    pub protocol: TransportProtocol,
    /// `None`: the stored setting.
    pub buffer_size: Option<u16>,
    /// Coded as in TS 102 223 §8.61.
    pub network_access_name: Option<Vec<u8>>,
}

impl Connect {
    /// A TCP connect to `address`:`port` with the stored buffer size and no network
    /// access name.
    pub fn tcp(address: Ipv4Addr, port: u16) -> Connect {
        Connect {
            address,
            port,
            protocol: TransportProtocol::TCP_CLIENT_REMOTE,
            buffer_size: None,
            network_access_name: None,
        }
    }

    /// The parameter TLVs: address, port, protocol, then the optional ones.
    pub fn emit(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut put = |tag: u8, value: &[u8]| {
            Tlv::new(u32::from(tag), value.to_vec()).emit_into(&mut out);
        };
        put(ADDRESS, &self.address.octets());
        put(PORT, &self.port.to_be_bytes());
        put(PROTOCOL, &[self.protocol.0]);
        if let Some(size) = self.buffer_size {
            put(BUFFER_SIZE, &size.to_be_bytes());
        }
        if let Some(name) = &self.network_access_name {
            put(NETWORK_ACCESS_NAME, name);
        }
        out
    }

    /// Reads the parameters of an A2 template's value.
    pub fn parse(value: &[u8]) -> Result<Connect, FormatError> {
        let allowed = [ADDRESS, PORT, PROTOCOL, BUFFER_SIZE, NETWORK_ACCESS_NAME];
        let (mut address, mut port) = (None, None);
        let mut connect = Connect::tcp(Ipv4Addr::UNSPECIFIED, 0);
        for (tag, value) in parameters(value, &allowed)? {
            match (tag, value.as_slice()) {
                (ADDRESS, [a, b, c, d]) => address = Some(Ipv4Addr::new(*a, *b, *c, *d)),
                (ADDRESS, _) => return Err(bad(tag, "four bytes expected")),
                (PORT, _) => port = Some(nonzero_u16(tag, &value)?),
                (BUFFER_SIZE, _) => connect.buffer_size = Some(nonzero_u16(tag, &value)?),
                (PROTOCOL, [code @ (0x01 | 0x02)]) => connect.protocol = TransportProtocol(*code),
                (PROTOCOL, _) => return Err(bad(tag, "01 (UDP) or 02 (TCP) expected")),
                (_, name) if (1..=MAX_NETWORK_ACCESS_NAME).contains(&name.len()) => {
                    connect.network_access_name = Some(value)
                }
                _ => return Err(bad(tag, "1 to 100 bytes expected")),
            }
        }
        match (address, port) {
            (Some(address), Some(port)) => Ok(Connect {
                address,
                port,
                ..connect
            }),
            _ => Err(FormatError::BadFormat(
                "the address (85) and the port (80) are mandatory".into(),
            )),
        }
    }

    /// `address:port`, as the `Host` header names the server.
    pub fn host(&self) -> String {
        format!("{}:{}", self.address, self.port)
    }
}

/// One administration command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminCommand {
    /// `A0`: open the listening port (OPEN CHANNEL in UICC server mode).
    Start(Settings),
    /// `A1`: store new settings.
    Reconfigure(Settings),
    /// `A2`: connect to the administration server (OPEN CHANNEL in client mode).
    Connect(Connect),
}

impl AdminCommand {
    /// The command's template.
    pub fn emit(&self) -> Vec<u8> {
        let (tag, parameters) = match self {
            AdminCommand::Start(s) => (START, s.emit()),
            AdminCommand::Reconfigure(s) => (RECONFIGURE, s.emit()),
            AdminCommand::Connect(c) => (CONNECT, c.emit()),
        };
        Tlv::new(u32::from(tag), parameters).emit()
    }

    /// The tag of this command's result TLV.
    pub fn result_tag(&self) -> u8 {
        result_tag(match self {
            AdminCommand::Start(_) => START,
            AdminCommand::Reconfigure(_) => RECONFIGURE,
            AdminCommand::Connect(_) => CONNECT,
        })
    }
}

/// The result tag of command tag `command` (`B0` for `A0`, …), `90` for no command.
fn result_tag(command: u8) -> u8 {
    match command {
        START => START_RESULT,
        RECONFIGURE => RECONFIGURE_RESULT,
        CONNECT => CONNECT_RESULT,
        _ => BAD_FORMAT,
    }
}

/// Why a command could not be taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// A TLV that does not parse, or a bad parameter (in [`Settings::parse`],
    /// [`Connect::parse`]).
    BadFormat(String),
    /// A command template whose parameters are bad.
    BadParameters { command: u8, detail: String },
    /// A well-formed TLV whose tag is no command.
    UnknownCommand(u32),
}

impl FormatError {
    /// The result status byte.
    pub fn status(&self) -> AdminStatus {
        match self {
            FormatError::BadFormat(_) | FormatError::BadParameters { .. } => AdminStatus::BadFormat,
            FormatError::UnknownCommand(_) => AdminStatus::UnknownCommand,
        }
    }

    /// The tag of the result TLV: the command's when it could be told, else `90`.
    pub fn result_tag(&self) -> u8 {
        match self {
            FormatError::BadParameters { command, .. } => result_tag(*command),
            _ => BAD_FORMAT,
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::BadFormat(detail) => write!(f, "bad format: {detail}"),
            FormatError::BadParameters { command, detail } => {
                write!(f, "command {command:02X}, bad format: {detail}")
            }
            FormatError::UnknownCommand(tag) => write!(f, "tag {tag:02X} is no command"),
        }
    }
}

/// The result status of one command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminStatus {
    Done,
    ChannelNotDeclared,
    NoTerminalProfile,
    ToolkitRefused,
    BadFormat,
    UnknownCommand,
}

impl AdminStatus {
    pub fn byte(self) -> u8 {
        match self {
            AdminStatus::Done => 0x00,
            AdminStatus::ChannelNotDeclared => 0x01,
            AdminStatus::NoTerminalProfile => 0x02,
            AdminStatus::ToolkitRefused => 0x03,
            AdminStatus::BadFormat => 0x10,
            AdminStatus::UnknownCommand => 0x11,
        }
    }

    pub fn from_byte(byte: u8) -> Option<AdminStatus> {
        Some(match byte {
            0x00 => AdminStatus::Done,
            0x01 => AdminStatus::ChannelNotDeclared,
            0x02 => AdminStatus::NoTerminalProfile,
            0x03 => AdminStatus::ToolkitRefused,
            0x10 => AdminStatus::BadFormat,
            0x11 => AdminStatus::UnknownCommand,
            _ => return None,
        })
    }

    pub fn meaning(self) -> &'static str {
        match self {
            AdminStatus::Done => "done",
            AdminStatus::ChannelNotDeclared => {
                "refused: the terminal profile does not declare the channel (UICC server mode or client mode)"
            }
            AdminStatus::NoTerminalProfile => "refused: no TERMINAL PROFILE since the reset",
            AdminStatus::ToolkitRefused => "refused by the toolkit",
            AdminStatus::BadFormat => "bad format",
            AdminStatus::UnknownCommand => "unknown command",
        }
    }

    /// The status for a proactive command the toolkit refused.
    fn refused(refused: &Refused) -> AdminStatus {
        match refused {
            Refused::NoTerminalProfile => AdminStatus::NoTerminalProfile,
            Refused::NotDeclared(_) | Refused::NoChannels => AdminStatus::ChannelNotDeclared,
            _ => AdminStatus::ToolkitRefused,
        }
    }
}

/// Reads the first command of `data`; returns it and the bytes it took.
pub fn next_command(data: &[u8]) -> Result<(AdminCommand, usize), FormatError> {
    let (tlv, used) = Tlv::parse(data).map_err(|e| FormatError::BadFormat(e.to_string()))?;
    let parsed = match u8::try_from(tlv.tag.0) {
        Ok(START) => Settings::parse(&tlv.value).map(AdminCommand::Start),
        Ok(RECONFIGURE) => Settings::parse(&tlv.value).map(AdminCommand::Reconfigure),
        Ok(CONNECT) => Connect::parse(&tlv.value).map(AdminCommand::Connect),
        _ => return Err(FormatError::UnknownCommand(tlv.tag.0)),
    };
    let command = parsed.map_err(|error| FormatError::BadParameters {
        // The tag is a one-byte command tag here.
        command: u8::try_from(tlv.tag.0).unwrap_or_default(),
        detail: match error {
            FormatError::BadFormat(detail) => detail,
            other => other.to_string(),
        },
    })?;
    Ok((command, used))
}

/// OPEN CHANNEL in UICC server mode for `config` (TS 102 223 §6.4.27.5, §6.6.27):
/// qualifier `00` (RFU in server mode), UICC → terminal, buffer size, transport level
/// `03` (TCP, UICC in server mode) and the port.
pub fn open_channel(number: u8, config: &ScwsConfig) -> ProactiveCommand {
    ProactiveCommand::new(
        number,
        CommandType::OPEN_CHANNEL,
        0x00,
        DeviceIdentity::UICC,
        DeviceIdentity::TERMINAL,
    )
    .with(Object::BufferSize(config.buffer_size))
    .with(Object::TransportLevel(TransportLevel {
        protocol: TransportProtocol::TCP_SERVER,
        port: config.port,
    }))
}

/// An object with the comprehension required flag clear, as the OPEN CHANNEL
/// sequences of TS 102 384 §27.22.4.27 send them.
fn cr_clear(object: Object) -> DataObject {
    DataObject {
        cr: false,
        ..DataObject::from(object)
    }
}

/// OPEN CHANNEL in client mode for `connect` (TS 102 223 §6.4.27.4, §6.6.27 on the
/// default bearer): qualifier `01` (immediate link establishment), UICC → terminal,
/// bearer description `35 01 03` (default bearer), buffer size `buffer_size`, the
/// network access name if any, transport level (TCP or UDP client, remote connection)
/// with the server's port, data destination address `3E 05 21` + IPv4.
pub fn connect_channel(number: u8, connect: &Connect, buffer_size: u16) -> ProactiveCommand {
    let mut command = ProactiveCommand::new(
        number,
        CommandType::OPEN_CHANNEL,
        0x01,
        DeviceIdentity::UICC,
        DeviceIdentity::TERMINAL,
    )
    .with(cr_clear(Object::BearerDescription(BearerDescription {
        bearer_type: BearerType::DEFAULT,
        parameters: Vec::new(),
    })))
    .with(cr_clear(Object::BufferSize(buffer_size)));
    if let Some(name) = &connect.network_access_name {
        command = command.with(cr_clear(Object::NetworkAccessName(name.clone())));
    }
    command
        .with(cr_clear(Object::TransportLevel(TransportLevel {
            protocol: connect.protocol,
            port: connect.port,
        })))
        .with(cr_clear(Object::OtherAddress(OtherAddress::Ipv4(
            connect.address,
        ))))
}

impl Card {
    /// The SCWS administration settings the last reconfiguration stored (the built-in
    /// ones until then).
    pub fn scws_config(&self) -> ScwsConfig {
        self.store
            .load::<ScwsConfig>(Slot::ScwsConfig)
            .unwrap_or_default()
    }

    /// Runs the administration commands in `data` (see the module documentation);
    /// returns the result TLVs for the PoR.
    pub(super) fn scws_admin(&mut self, data: &[u8]) -> Result<Vec<u8>, PowerLost> {
        let mut results = Vec::new();
        let mut rest = data;
        while !rest.is_empty() {
            let (tag, status) = match next_command(rest) {
                Ok((command, used)) => {
                    rest = rest.get(used..).unwrap_or_default();
                    (command.result_tag(), self.admin_command(&command)?)
                }
                Err(error) => (error.result_tag(), error.status()),
            };
            results.extend([tag, 0x01, status.byte()]);
            if status != AdminStatus::Done {
                break;
            }
        }
        Ok(results)
    }

    fn admin_command(&mut self, command: &AdminCommand) -> Result<AdminStatus, PowerLost> {
        let stored = self.scws_config();
        let number = self.session.toolkit.next_number();
        let raised = |result: Result<(), Refused>| match result {
            Ok(()) => AdminStatus::Done,
            Err(refused) => AdminStatus::refused(&refused),
        };
        Ok(match command {
            AdminCommand::Start(settings) => {
                let config = settings.apply(stored);
                let scws = Service::Scws(Responder::new());
                raised(self.open_channel(open_channel(number, &config), scws))
            }
            AdminCommand::Connect(connect) => {
                let size = connect.buffer_size.unwrap_or(stored.buffer_size);
                let agent = format!("//se-id/iccid/{}", self.profile.iccid.as_str());
                let client = Service::Admin(AdminClient::new(connect.host(), agent));
                raised(self.open_channel(connect_channel(number, connect, size), client))
            }
            AdminCommand::Reconfigure(settings) => {
                let config = settings.apply(stored);
                self.store
                    .commit(Transaction::new().put(Slot::ScwsConfig, &config))?;
                AdminStatus::Done
            }
        })
    }
}

/// The field tree of administration commands (path `scws_admin`, offsets from the
/// first byte). A part that cannot be read ends the tree with a field saying why.
pub fn describe(data: &[u8]) -> Field {
    let mut root = Field::new("scws_admin", "SCWS administration commands", 0, data.len())
        .with_note("bipscope's SCWS administration format (BER-TLV, in the style of TS 102 226)");
    let mut at = 0;
    let mut index = 0;
    while let Some(rest) = data.get(at..).filter(|r| !r.is_empty()) {
        let key = format!("command{index}");
        let (tlv, used) = match Tlv::parse(rest) {
            Ok(parsed) => parsed,
            Err(error) => {
                root.child(&key, "Unreadable", at, rest.len())
                    .with_value(hex::spaced(rest))
                    .with_note(format!("bad format: {error}; the card answers 90 01 10"));
                break;
            }
        };
        let tag_len = tlv.tag.encoded_len();
        let header = used - tlv.value.len();
        let (label, note) = match tlv.tag.0 {
            0xA0 => (
                "Start remote administration",
                "S200: OPEN CHANNEL in UICC server mode on the port",
            ),
            0xA1 => (
                "Reconfigure",
                "S600: the settings are stored for every later start",
            ),
            0xA2 => (
                "Connect to the administration server",
                "client mode: OPEN CHANNEL to the server's address and port",
            ),
            _ => ("Unknown command", "the card answers 90 01 11"),
        };
        let field = root
            .child(&key, label, at, used)
            .with_value(format!("{:02X}", tlv.tag.0))
            .with_note(note);
        field
            .child("tag", "Tag", at, tag_len)
            .with_value(hex::compact(&tlv.tag.bytes()));
        field
            .child("length", "Length", at + tag_len, header - tag_len)
            .with_value(tlv.value.len().to_string());
        if matches!(tlv.tag.0, 0xA0..=0xA2) {
            describe_parameters(field, tlv.tag.0, &tlv.value, at + header);
        } else if !tlv.value.is_empty() {
            field
                .child("value", "Value", at + header, tlv.value.len())
                .with_value(hex::spaced(&tlv.value));
        }
        at += used;
        index += 1;
    }
    root
}

fn describe_parameters(parent: &mut Field, command: u32, value: &[u8], start: usize) {
    let checked = match command {
        0xA2 => Connect::parse(value).err(),
        _ => Settings::parse(value).err(),
    };
    if let Some(error) = checked {
        parent.note = format!("{error}; the card answers 10");
    }
    let Ok(objects) = Tlv::parse_spanned(value, start) else {
        if !value.is_empty() {
            parent
                .child("parameters", "Parameters", start, value.len())
                .with_value(hex::spaced(value))
                .with_note("bad format: the parameters do not parse");
        }
        return;
    };
    for (tlv, span) in objects {
        let (key, label) = match tlv.tag.0 {
            0x80 => ("port", "TCP port"),
            0x81 => ("buffer_size", "Buffer size"),
            0x82 => ("secure", "Secure"),
            0x83 => ("channel", "Channel preference"),
            0x84 => ("verification", "Verification level"),
            0x85 => ("address", "Server IPv4 address"),
            0x86 => ("protocol", "Protocol"),
            0x87 => ("network_access_name", "Network access name"),
            _ => ("unknown", "Unknown parameter"),
        };
        let value = match (tlv.tag.0, tlv.value.as_slice()) {
            (0x80 | 0x81, [hi, lo]) => u16::from_be_bytes([*hi, *lo]).to_string(),
            (0x82, [0]) => "00 insecure (HTTP)".into(),
            (0x82, [1]) => "01 secure (HTTPS)".into(),
            (0x83, [0]) => "00 any channel".into(),
            (0x83, [n]) => format!("{n:02X} channel {n}"),
            (0x84, [level]) => match Verification::from_byte(*level) {
                Some(v) => format!("{level:02X} {}", v.name()),
                None => format!("{level:02X} out of range"),
            },
            (0x85, [a, b, c, d]) => Ipv4Addr::new(*a, *b, *c, *d).to_string(),
            (0x86, [0x01]) => "01 UDP".into(),
            (0x86, [0x02]) => "02 TCP".into(),
            (0x87, name) => crate::wire::cat::text::network_access_name(name)
                .unwrap_or_else(|| hex::spaced(name)),
            _ => hex::spaced(&tlv.value),
        };
        parent
            .child(key, label, span.start, span.len())
            .with_value(value);
    }
}

/// The field tree of the results in a PoR's additional data (path
/// `scws_admin_response`).
pub fn describe_response(data: &[u8]) -> Result<Field, DecodeError> {
    let mut root = Field::new(
        "scws_admin_response",
        "SCWS administration results",
        0,
        data.len(),
    )
    .with_note("one result per command processed; processing stops at the first not 00");
    for (i, (tlv, span)) in Tlv::parse_spanned(data, 0)?.into_iter().enumerate() {
        let label = match tlv.tag.0 {
            0xB0 => "Result of start",
            0xB1 => "Result of reconfigure",
            0xB2 => "Result of connect",
            0x90 => "Bad format",
            _ => "Unknown result",
        };
        let value = match tlv.value.as_slice() {
            [status] => match AdminStatus::from_byte(*status) {
                Some(s) => format!("{status:02X} {}", s.meaning()),
                None => format!("{status:02X} unknown status"),
            },
            other => hex::spaced(other),
        };
        root.child(&format!("result{i}"), label, span.start, span.len())
            .with_value(value);
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_refuse_bad_values() {
        let settings = Settings {
            port: Some(4000),
            buffer_size: Some(500),
            secure: Some(true),
            channel: Some(2),
            verification: Some(Verification::Mutual),
        };
        let bytes = settings.emit();
        assert_eq!(
            hex::compact(&bytes),
            "80020FA0810201F48201018301028401 03".replace(' ', "")
        );
        assert_eq!(Settings::parse(&bytes), Ok(settings));
        for bad in [
            "8001FF",     // port of one byte
            "80020000",   // port 0
            "820102",     // secure 02
            "830108",     // channel 8
            "840104",     // verification 04
            "850100",     // unknown parameter
            "8202000102", // secure of two bytes
            "820100820101",
            "8003",
        ] {
            assert!(
                matches!(
                    Settings::parse(&hex::parse(bad).unwrap()),
                    Err(FormatError::BadFormat(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn config_is_stored_in_seven_bytes_and_checked_on_reading() {
        let config = ScwsConfig {
            port: 4116,
            buffer_size: 1400,
            secure: true,
            verification: Verification::Certificate,
            channel: 3,
        };
        assert_eq!(
            hex::compact(&config.encode()),
            "101405780102 03".replace(' ', "")
        );
        assert_eq!(ScwsConfig::decode(&config.encode()), Some(config));
        assert_eq!(ScwsConfig::decode(&[0; 6]), None);
        assert_eq!(
            ScwsConfig::decode(&hex::parse("0DBC0578020000").unwrap()),
            None
        );
    }

    #[test]
    fn open_channel_is_the_server_mode_template() {
        let command = open_channel(1, &Settings::default().apply(ScwsConfig::default()));
        assert_eq!(
            hex::compact(&command.emit()),
            "D01281030140008202818 2B9020578BC03030DBC".replace(' ', "")
        );
        let port = Settings {
            port: Some(4000),
            ..Settings::default()
        };
        let command = open_channel(1, &port.apply(ScwsConfig::default()));
        assert_eq!(
            hex::compact(&command.emit()),
            "D012810301400082028182B9020578BC03030FA0"
        );
    }

    #[test]
    fn commands_are_read_one_at_a_time() {
        let data = hex::parse("A1038201 01A000").unwrap();
        let (first, used) = next_command(&data).unwrap();
        assert_eq!(
            first,
            AdminCommand::Reconfigure(Settings {
                secure: Some(true),
                ..Settings::default()
            })
        );
        assert_eq!(first.emit(), data[..used]);
        let (second, _) = next_command(&data[used..]).unwrap();
        assert_eq!(second, AdminCommand::Start(Settings::default()));
        assert_eq!(
            next_command(&hex::parse("A50100").unwrap()),
            Err(FormatError::UnknownCommand(0xA5))
        );
        assert!(matches!(
            next_command(&hex::parse("A005").unwrap()),
            Err(FormatError::BadFormat(_))
        ));
    }

    #[test]
    fn connect_round_trips_and_refuses_bad_parameters() {
        let connect = Connect {
            network_access_name: Some(b"\x08internet".to_vec()),
            buffer_size: Some(512),
            protocol: TransportProtocol::UDP_CLIENT_REMOTE,
            ..Connect::tcp(Ipv4Addr::new(192, 0, 2, 1), 8080)
        };
        let bytes = connect.emit();
        assert_eq!(
            hex::compact(&bytes),
            "8504C000020180021F908601018102020087090 8696E7465726E6574".replace(' ', "")
        );
        assert_eq!(Connect::parse(&bytes), Ok(connect.clone()));
        let command = AdminCommand::Connect(connect);
        assert_eq!(next_command(&command.emit()), Ok((command.clone(), 30)));
        assert_eq!(command.result_tag(), CONNECT_RESULT);
        for bad in [
            "80021F90",                     // no address
            "8504C0000201",                 // no port
            "8503C00002 80021F90",          // address of three bytes
            "8504C0000201 80021F90 860103", // protocol 03
            "8504C0000201 80021F90 8700",   // empty name
            "8504C0000201 80021F90 840100", // a server-mode parameter
        ] {
            assert!(
                matches!(
                    Connect::parse(&hex::parse(bad).unwrap()),
                    Err(FormatError::BadFormat(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn connect_channel_is_the_client_mode_template() {
        let connect = Connect::tcp(Ipv4Addr::new(10, 1, 2, 3), 443);
        let command = connect_channel(5, &connect, 1400);
        assert_eq!(
            hex::compact(&command.emit()),
            "D01C810305400182028182350103390205783C030201BB3E05210A010203"
        );
        let parsed = ProactiveCommand::parse(&command.emit()).unwrap();
        assert_eq!(parsed, command);
    }

    #[test]
    fn describe_names_every_byte() {
        let data = hex::parse("A1078002 0FA08201 01A000 A500 A2068504C0000201").unwrap();
        let field = describe(&data);
        assert_eq!(field.children.len(), 4);
        assert_eq!(
            field.find("scws_admin.command3.address").unwrap().value,
            "192.0.2.1"
        );
        assert!(field.children[3].note.contains("mandatory"));
        assert_eq!(
            field.find("scws_admin.command0.port").unwrap().value,
            "4000"
        );
        assert_eq!(field.children[2].label, "Unknown command");
        assert!(field.uncovered(data.len()).is_empty());
        let broken = describe(&hex::parse("A00580").unwrap());
        assert!(broken.children[0].note.contains("bad format"));
        let results = describe_response(&hex::parse("B10100B00101").unwrap()).unwrap();
        assert!(results.children[1].value.contains("UICC server mode"));
    }
}
