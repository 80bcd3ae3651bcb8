//! The COMPREHENSION-TLV data objects of ETSI TS 102 223 §8 (tag values of ETSI TS 101
//! 220 §7.2) that the BIP and SMS flows use, each typed, plus a generic element for every
//! other tag.
//!
//! A [`DataObject`] keeps its CR flag and tag format next to the typed [`Object`], so
//! `emit(parse(x)) == x`. Objects of a fixed layout (command details, device identities,
//! channel status, …) reject a value of the wrong length with
//! [`DecodeError::BadLength`]; variable objects keep their bytes verbatim and decode
//! them for display only.

use super::text;
use crate::wire::ctlv::{self, Ctlv, CtlvTag};
use crate::wire::field::FieldFill;
use crate::wire::{hex, DecodeError, Field};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Tag values (CR bit removed) of the objects typed here, TS 101 220 §7.2.
pub mod tag {
    pub const COMMAND_DETAILS: u16 = 0x01;
    pub const DEVICE_IDENTITIES: u16 = 0x02;
    pub const RESULT: u16 = 0x03;
    pub const ALPHA_IDENTIFIER: u16 = 0x05;
    pub const ADDRESS: u16 = 0x06;
    pub const SMS_TPDU: u16 = 0x0B;
    pub const EVENT_LIST: u16 = 0x19;
    pub const BEARER_DESCRIPTION: u16 = 0x35;
    pub const CHANNEL_DATA: u16 = 0x36;
    pub const CHANNEL_DATA_LENGTH: u16 = 0x37;
    pub const CHANNEL_STATUS: u16 = 0x38;
    pub const BUFFER_SIZE: u16 = 0x39;
    pub const TRANSPORT_LEVEL: u16 = 0x3C;
    pub const OTHER_ADDRESS: u16 = 0x3E;
    pub const NETWORK_ACCESS_NAME: u16 = 0x47;
}

/// A one-byte code with a name table; every byte value round-trips (smoltcp's
/// `enum_with_unknown` idea, as a newtype).
macro_rules! named_code {
    ($(#[$meta:meta])* $name:ident, $lookup:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $name(pub u8);

        impl $name {
            /// The standard's name for this value, if it defines one.
            pub fn name(self) -> Option<&'static str> {
                $lookup(self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(name) => write!(f, "{:02X} {name}", self.0),
                    None => write!(f, "{:02X} (reserved)", self.0),
                }
            }
        }
    };
}

named_code!(
    /// Type of command, TS 102 223 §9.4 (in command details, §8.6).
    CommandType,
    command_type_name
);

impl CommandType {
    pub const REFRESH: CommandType = CommandType(0x01);
    pub const MORE_TIME: CommandType = CommandType(0x02);
    pub const POLL_INTERVAL: CommandType = CommandType(0x03);
    pub const POLLING_OFF: CommandType = CommandType(0x04);
    pub const SET_UP_EVENT_LIST: CommandType = CommandType(0x05);
    pub const SEND_SHORT_MESSAGE: CommandType = CommandType(0x13);
    pub const DISPLAY_TEXT: CommandType = CommandType(0x21);
    pub const SET_UP_MENU: CommandType = CommandType(0x25);
    pub const PROVIDE_LOCAL_INFORMATION: CommandType = CommandType(0x26);
    pub const TIMER_MANAGEMENT: CommandType = CommandType(0x27);
    pub const OPEN_CHANNEL: CommandType = CommandType(0x40);
    pub const CLOSE_CHANNEL: CommandType = CommandType(0x41);
    pub const RECEIVE_DATA: CommandType = CommandType(0x42);
    pub const SEND_DATA: CommandType = CommandType(0x43);
    pub const GET_CHANNEL_STATUS: CommandType = CommandType(0x44);
    pub const END_OF_PROACTIVE_SESSION: CommandType = CommandType(0x81);
}

fn command_type_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0x01 => "REFRESH",
        0x02 => "MORE TIME",
        0x03 => "POLL INTERVAL",
        0x04 => "POLLING OFF",
        0x05 => "SET UP EVENT LIST",
        0x10 => "SET UP CALL",
        0x11 => "SEND SS",
        0x12 => "SEND USSD",
        0x13 => "SEND SHORT MESSAGE",
        0x14 => "SEND DTMF",
        0x15 => "LAUNCH BROWSER",
        0x16 => "GEOGRAPHICAL LOCATION REQUEST",
        0x20 => "PLAY TONE",
        0x21 => "DISPLAY TEXT",
        0x22 => "GET INKEY",
        0x23 => "GET INPUT",
        0x24 => "SELECT ITEM",
        0x25 => "SET UP MENU",
        0x26 => "PROVIDE LOCAL INFORMATION",
        0x27 => "TIMER MANAGEMENT",
        0x28 => "SET UP IDLE MODE TEXT",
        0x30 => "PERFORM CARD APDU",
        0x31 => "POWER ON CARD",
        0x32 => "POWER OFF CARD",
        0x33 => "GET READER STATUS",
        0x34 => "RUN AT COMMAND",
        0x35 => "LANGUAGE NOTIFICATION",
        0x40 => "OPEN CHANNEL",
        0x41 => "CLOSE CHANNEL",
        0x42 => "RECEIVE DATA",
        0x43 => "SEND DATA",
        0x44 => "GET CHANNEL STATUS",
        0x45 => "SERVICE SEARCH",
        0x46 => "GET SERVICE INFORMATION",
        0x47 => "DECLARE SERVICE",
        0x50 => "SET FRAMES",
        0x51 => "GET FRAMES STATUS",
        0x60 => "RETRIEVE MULTIMEDIA MESSAGE",
        0x61 => "SUBMIT MULTIMEDIA MESSAGE",
        0x62 => "DISPLAY MULTIMEDIA MESSAGE",
        0x70 => "ACTIVATE",
        0x71 => "CONTACTLESS STATE CHANGED",
        0x72 => "COMMAND CONTAINER",
        0x73 => "ENCAPSULATED SESSION CONTROL",
        0x81 => "End of the proactive UICC session",
        _ => return None,
    })
}

named_code!(
    /// A device identity, TS 102 223 §8.7.
    DeviceIdentity,
    device_name
);

impl DeviceIdentity {
    pub const KEYPAD: DeviceIdentity = DeviceIdentity(0x01);
    pub const DISPLAY: DeviceIdentity = DeviceIdentity(0x02);
    pub const EARPIECE: DeviceIdentity = DeviceIdentity(0x03);
    pub const UICC: DeviceIdentity = DeviceIdentity(0x81);
    pub const TERMINAL: DeviceIdentity = DeviceIdentity(0x82);
    pub const NETWORK: DeviceIdentity = DeviceIdentity(0x83);

    /// Channel `n` (1–7), coded `2n` (`21`–`27`).
    pub fn channel(n: u8) -> DeviceIdentity {
        DeviceIdentity(0x20 | (n & 0x07))
    }

    /// The channel number when this identity is a channel (`21`–`27`).
    pub fn channel_id(self) -> Option<u8> {
        matches!(self.0, 0x21..=0x27).then_some(self.0 & 0x07)
    }
}

fn device_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0x01 => "keypad",
        0x02 => "display",
        0x03 => "earpiece",
        0x10 => "additional card reader 0",
        0x11 => "additional card reader 1",
        0x12 => "additional card reader 2",
        0x13 => "additional card reader 3",
        0x14 => "additional card reader 4",
        0x15 => "additional card reader 5",
        0x16 => "additional card reader 6",
        0x17 => "additional card reader 7",
        0x21 => "channel 1",
        0x22 => "channel 2",
        0x23 => "channel 3",
        0x24 => "channel 4",
        0x25 => "channel 5",
        0x26 => "channel 6",
        0x27 => "channel 7",
        0x81 => "UICC",
        0x82 => "terminal",
        0x83 => "network",
        _ => return None,
    })
}

named_code!(
    /// General result of a proactive command, TS 102 223 §8.12: `0X` performed,
    /// `1X` not performed by the user's action, `2X` temporary problem, `3X` permanent
    /// problem.
    GeneralResult,
    general_result_name
);

impl GeneralResult {
    pub const OK: GeneralResult = GeneralResult(0x00);
    /// `02`: command performed, with missing information (e.g. RECEIVE DATA returning
    /// fewer bytes than asked for, TS 102 223 §6.4.29).
    pub const PERFORMED_WITH_MISSING_INFO: GeneralResult = GeneralResult(0x02);
    /// `07`: command performed with modification (e.g. a smaller buffer size granted).
    pub const PERFORMED_WITH_MODIFICATION: GeneralResult = GeneralResult(0x07);
    pub const TERMINAL_UNABLE: GeneralResult = GeneralResult(0x20);
    pub const NETWORK_UNABLE: GeneralResult = GeneralResult(0x21);
    pub const BEYOND_CAPABILITIES: GeneralResult = GeneralResult(0x30);
    pub const TYPE_NOT_UNDERSTOOD: GeneralResult = GeneralResult(0x31);
    pub const DATA_NOT_UNDERSTOOD: GeneralResult = GeneralResult(0x32);
    pub const REQUIRED_VALUES_MISSING: GeneralResult = GeneralResult(0x36);
    pub const BIP_ERROR: GeneralResult = GeneralResult(0x3A);

    /// `0X`: the command was performed (possibly with a qualification).
    pub fn is_performed(self) -> bool {
        self.0 < 0x10
    }
}

fn general_result_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0x00 => "command performed successfully",
        0x01 => "command performed with partial comprehension",
        0x02 => "command performed, with missing information",
        0x03 => "REFRESH performed with additional EFs read",
        0x04 => "command performed successfully, but requested icon could not be displayed",
        0x05 => "command performed, but modified by call control by NAA",
        0x06 => "command performed successfully, limited service",
        0x07 => "command performed with modification",
        0x08 => "REFRESH performed but indicated NAA was not active",
        0x09 => "command performed successfully, tone not played",
        0x10 => "proactive UICC session terminated by the user",
        0x11 => "backward move in the proactive UICC session requested by the user",
        0x12 => "no response from user",
        0x13 => "help information required by the user",
        0x14 => "USSD or SS transaction terminated by the user",
        0x20 => "terminal currently unable to process command",
        0x21 => "network currently unable to process command",
        0x22 => "user did not accept the proactive command",
        0x23 => "user cleared down call before connection or network release",
        0x24 => "action in contradiction with the current timer state",
        0x25 => "interaction with call control by NAA, temporary problem",
        0x26 => "launch browser generic error code",
        0x27 => "MMS temporary problem",
        0x30 => "command beyond terminal's capabilities",
        0x31 => "command type not understood by terminal",
        0x32 => "command data not understood by terminal",
        0x33 => "command number not known by terminal",
        0x34 => "SS Return Error",
        0x35 => "SMS RP-ERROR",
        0x36 => "error, required values are missing",
        0x37 => "USSD Return Error",
        0x38 => "MultipleCard commands error",
        0x39 => "interaction with call control by NAA or MO short message control by NAA, permanent problem",
        0x3A => "Bearer Independent Protocol error",
        0x3B => "access technology unable to process command",
        0x3C => "frames error",
        0x3D => "MMS error",
        _ => return None,
    })
}

/// Additional information for general result `3A` (TS 102 223 §8.12.11).
fn bip_error_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0x00 => "no specific cause can be given",
        0x01 => "no channel available",
        0x02 => "channel closed",
        0x03 => "channel identifier not valid",
        0x04 => "requested buffer size not available",
        0x05 => "security error (unsuccessful authentication)",
        0x06 => "requested UICC/terminal interface transport level not available",
        0x07 => "remote device is not reachable",
        0x08 => "service error",
        0x09 => "service identifier unknown",
        0x10 => "port not available",
        0x11 => "launch parameters missing or incorrect",
        0x12 => "application launch failed",
        _ => return None,
    })
}

/// Additional information for general result `20` (TS 102 223 §8.12.2).
fn terminal_problem_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0x00 => "no specific cause can be given",
        0x01 => "screen is busy",
        0x02 => "terminal currently busy on call",
        0x04 => "no service",
        0x05 => "access control class bar",
        0x06 => "radio resource not granted",
        0x07 => "not in speech call",
        0x09 => "terminal currently busy on SEND DTMF command",
        0x0A => "no NAA active",
        _ => return None,
    })
}

named_code!(
    /// An event, TS 102 223 §8.25 (event list).
    Event,
    event_name
);

impl Event {
    pub const DATA_AVAILABLE: Event = Event(0x09);
    pub const CHANNEL_STATUS: Event = Event(0x0A);
}

fn event_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0x00 => "MT call",
        0x01 => "call connected",
        0x02 => "call disconnected",
        0x03 => "location status",
        0x04 => "user activity",
        0x05 => "idle screen available",
        0x06 => "card reader status",
        0x07 => "language selection",
        0x08 => "browser termination",
        0x09 => "data available",
        0x0A => "channel status",
        0x0B => "access technology change (single access technology)",
        0x0C => "display parameters changed",
        0x0D => "local connection",
        0x0E => "network search mode change",
        0x0F => "browsing status",
        0x10 => "frames information change",
        0x11 => "I-WLAN access status (3GPP)",
        0x12 => "network rejection (3GPP)",
        0x13 => "HCI connectivity event",
        0x14 => "access technology change (multiple access technologies)",
        0x15 => "CSG cell selection (3GPP)",
        0x16 => "contactless state request",
        0x17 => "IMS registration (3GPP)",
        0x18 => "IMS incoming data (3GPP)",
        0x19 => "profile container",
        0x1B => "secured profile container",
        0x1C => "poll interval negotiation",
        _ => return None,
    })
}

named_code!(
    /// Bearer type, TS 102 223 §8.52 (bearer description).
    BearerType,
    bearer_name
);

impl BearerType {
    pub const CSD: BearerType = BearerType(0x01);
    pub const PACKET: BearerType = BearerType(0x02);
    pub const DEFAULT: BearerType = BearerType(0x03);
}

fn bearer_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0x01 => "CSD",
        0x02 => "GPRS / UTRAN packet service / E-UTRAN",
        0x03 => "default bearer for requested transport layer",
        0x04 => "local link technology independent",
        0x05 => "Bluetooth",
        0x06 => "IrDA",
        0x07 => "RS232",
        0x08 => "cdma2000 packet data service (TIA/EIA/IS-820)",
        0x09 => "UTRAN packet service with extended parameters / HSDPA / E-UTRAN",
        0x0A => "I-WLAN (3GPP)",
        0x0B => "E-UTRAN / mapped UTRAN packet service (3GPP)",
        0x10 => "USB",
        _ => return None,
    })
}

named_code!(
    /// Transport protocol type of the UICC/terminal interface transport level, TS 102
    /// 223 §8.59.
    TransportProtocol,
    transport_name
);

impl TransportProtocol {
    pub const UDP_CLIENT_REMOTE: TransportProtocol = TransportProtocol(0x01);
    pub const TCP_CLIENT_REMOTE: TransportProtocol = TransportProtocol(0x02);
    pub const TCP_SERVER: TransportProtocol = TransportProtocol(0x03);
    pub const UDP_CLIENT_LOCAL: TransportProtocol = TransportProtocol(0x04);
    pub const TCP_CLIENT_LOCAL: TransportProtocol = TransportProtocol(0x05);
    pub const DIRECT: TransportProtocol = TransportProtocol(0x06);
}

fn transport_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0x01 => "UDP, UICC in client mode, remote connection",
        0x02 => "TCP, UICC in client mode, remote connection",
        0x03 => "TCP, UICC in server mode",
        0x04 => "UDP, UICC in client mode, local connection",
        0x05 => "TCP, UICC in client mode, local connection",
        0x06 => "direct communication channel",
        _ => return None,
    })
}

/// Command details, TS 102 223 §8.6: command number, type of command (§9.4) and command
/// qualifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandDetails {
    pub number: u8,
    pub command_type: CommandType,
    pub qualifier: u8,
}

/// Device identities, TS 102 223 §8.7.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceIdentities {
    pub source: DeviceIdentity,
    pub destination: DeviceIdentity,
}

/// Result, TS 102 223 §8.12: general result and additional information.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandResult {
    pub general: GeneralResult,
    pub additional: Vec<u8>,
}

/// Address, TS 102 223 §8.1: TON/NPI byte and extended BCD dialling number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub ton_npi: u8,
    pub bcd: Vec<u8>,
}

impl Address {
    /// The dialling number as text, `+` first when the type of number is international.
    pub fn number(&self) -> String {
        let digits = text::bcd_digits(&self.bcd);
        if (self.ton_npi >> 4) & 0x07 == 1 {
            format!("+{digits}")
        } else {
            digits
        }
    }
}

/// Bearer description, TS 102 223 §8.52: bearer type and its parameters (kept raw).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BearerDescription {
    pub bearer_type: BearerType,
    pub parameters: Vec<u8>,
}

/// Channel status, TS 102 223 §8.56: byte 1 holds the channel identifier (b3–b1) and
/// the link or TCP state (b8–b7); byte 2 gives further information.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelStatus {
    pub status: u8,
    pub further_info: u8,
}

/// The state bits b8–b7 of channel status byte 1 (TS 102 223 §8.56). In client mode only
/// b8 is defined (link established or not); in UICC server mode b8–b7 give the TCP
/// state. The byte alone cannot tell which mode the channel is in, so the names carry
/// both readings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelState {
    /// `00`: client mode, link not established (or PDP context not activated); server
    /// mode, TCP in CLOSED state.
    Closed,
    /// `01` (`40`): TCP in LISTEN state; only meaningful in UICC server mode.
    Listen,
    /// `10` (`80`): client mode, link established (or PDP context activated); server
    /// mode, TCP in ESTABLISHED state.
    Established,
    /// `11`: reserved.
    Reserved,
}

impl ChannelState {
    /// The standard's words for this state.
    pub fn describe(self) -> &'static str {
        match self {
            ChannelState::Closed => "link not established / TCP in CLOSED state",
            ChannelState::Listen => "TCP in LISTEN state",
            ChannelState::Established => "link established / TCP in ESTABLISHED state",
            ChannelState::Reserved => "reserved state (b8-b7 = 11)",
        }
    }

    fn bits(self) -> u8 {
        match self {
            ChannelState::Closed => 0x00,
            ChannelState::Listen => 0x40,
            ChannelState::Established => 0x80,
            ChannelState::Reserved => 0xC0,
        }
    }
}

impl ChannelStatus {
    /// No further information (§8.56 byte 2 = `00`).
    pub const NO_FURTHER_INFO: u8 = 0x00;
    /// Link dropped, network failure or user cancellation (§8.56 byte 2 = `05`).
    pub const LINK_DROPPED: u8 = 0x05;

    /// Channel `channel` (0–7) in `state`, with further information `further_info`.
    pub fn new(channel: u8, state: ChannelState, further_info: u8) -> ChannelStatus {
        ChannelStatus {
            status: (channel & 0x07) | state.bits(),
            further_info,
        }
    }

    /// The channel identifier (b3–b1); 0 means no channel.
    pub fn channel_id(self) -> u8 {
        self.status & 0x07
    }

    /// The link / TCP state (b8–b7).
    pub fn state(self) -> ChannelState {
        match self.status >> 6 {
            0 => ChannelState::Closed,
            1 => ChannelState::Listen,
            2 => ChannelState::Established,
            _ => ChannelState::Reserved,
        }
    }

    fn further_info_text(self) -> String {
        match self.further_info {
            0x00 => "00 no further info can be given".into(),
            0x01..=0x04 => format!("{:02X} not used", self.further_info),
            0x05 => "05 link dropped (network failure or user cancellation)".into(),
            other => format!("{other:02X} reserved"),
        }
    }

    /// E.g. `channel 1, TCP in LISTEN state`.
    pub fn summary(self) -> String {
        let channel = match self.channel_id() {
            0 => "no channel".to_string(),
            n => format!("channel {n}"),
        };
        let mut out = format!("{channel}, {}", self.state().describe());
        match self.further_info {
            0x00 => {}
            0x05 => out.push_str(", link dropped"),
            _ => out.push_str(&format!(", further info {:02X}", self.further_info)),
        }
        out
    }
}

/// UICC/terminal interface transport level, TS 102 223 §8.59.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransportLevel {
    pub protocol: TransportProtocol,
    pub port: u16,
}

/// Other address, TS 102 223 §8.58: a local or data destination address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OtherAddress {
    /// Empty value: no address given (for a local address, the terminal allocates one
    /// dynamically).
    Empty,
    /// Type `21`, 4 bytes.
    Ipv4(Ipv4Addr),
    /// Type `57`, 16 bytes.
    Ipv6(Ipv6Addr),
    /// Any other type, or a type whose address has the wrong length; kept verbatim.
    Other { coding: u8, address: Vec<u8> },
}

impl fmt::Display for OtherAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OtherAddress::Empty => write!(f, "no address (dynamic allocation requested)"),
            OtherAddress::Ipv4(a) => write!(f, "IPv4 {a}"),
            OtherAddress::Ipv6(a) => write!(f, "IPv6 {a}"),
            OtherAddress::Other { coding, address } => {
                write!(f, "type {coding:02X}, {}", hex::compact(address))
            }
        }
    }
}

/// One typed data object (value only; the tag form lives in [`DataObject`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Object {
    /// §8.6
    CommandDetails(CommandDetails),
    /// §8.7
    DeviceIdentities(DeviceIdentities),
    /// §8.12
    Result(CommandResult),
    /// §8.2, raw bytes (decode with [`text::alpha`]).
    AlphaIdentifier(Vec<u8>),
    /// §8.1
    Address(Address),
    /// §8.13, the TPDU of 3GPP TS 23.040, raw.
    SmsTpdu(Vec<u8>),
    /// §8.25
    EventList(Vec<Event>),
    /// §8.52
    BearerDescription(BearerDescription),
    /// §8.53
    ChannelData(Vec<u8>),
    /// §8.54: in a RECEIVE DATA command the bytes requested; in a terminal response or
    /// event the bytes available or free, `FF` meaning more than 255.
    ChannelDataLength(u8),
    /// §8.56
    ChannelStatus(ChannelStatus),
    /// §8.55
    BufferSize(u16),
    /// §8.59
    TransportLevel(TransportLevel),
    /// §8.58
    OtherAddress(OtherAddress),
    /// §8.61, raw bytes (labels of 3GPP TS 23.003 §9.1).
    NetworkAccessName(Vec<u8>),
    /// Any other tag, value kept raw; named by [`ctlv::tag_name`].
    Unknown { tag: u16, value: Vec<u8> },
}

fn exact<const N: usize>(value: &[u8], what: &'static str) -> Result<[u8; N], DecodeError> {
    <[u8; N]>::try_from(value).map_err(|_| DecodeError::BadLength {
        what,
        detail: format!(
            "value is {} byte(s), TS 102 223 codes it in {N}",
            value.len()
        ),
    })
}

impl Object {
    /// Channel data length (§8.54) for `count` bytes: the count itself up to 254, `FF`
    /// for 255 or more ("more than 255 bytes" in the standard's words; 255 itself codes
    /// the same).
    pub fn channel_data_length(count: usize) -> Object {
        Object::ChannelDataLength(u8::try_from(count).unwrap_or(0xFF))
    }

    /// Decodes the value of a data object with tag value `tag` (CR bit removed).
    pub fn decode(tag: u16, value: &[u8]) -> Result<Object, DecodeError> {
        Ok(match tag {
            tag::COMMAND_DETAILS => {
                let [number, kind, qualifier] = exact(value, "command details (§8.6)")?;
                Object::CommandDetails(CommandDetails {
                    number,
                    command_type: CommandType(kind),
                    qualifier,
                })
            }
            tag::DEVICE_IDENTITIES => {
                let [source, destination] = exact(value, "device identities (§8.7)")?;
                Object::DeviceIdentities(DeviceIdentities {
                    source: DeviceIdentity(source),
                    destination: DeviceIdentity(destination),
                })
            }
            tag::RESULT => {
                let (general, additional) =
                    value.split_first().ok_or_else(|| DecodeError::BadLength {
                        what: "result (§8.12)",
                        detail: "empty value: the general result byte is mandatory".into(),
                    })?;
                Object::Result(CommandResult {
                    general: GeneralResult(*general),
                    additional: additional.to_vec(),
                })
            }
            tag::ALPHA_IDENTIFIER => Object::AlphaIdentifier(value.to_vec()),
            tag::ADDRESS => {
                let (ton_npi, bcd) = value.split_first().ok_or_else(|| DecodeError::BadLength {
                    what: "address (§8.1)",
                    detail: "empty value: the TON/NPI byte is mandatory".into(),
                })?;
                Object::Address(Address {
                    ton_npi: *ton_npi,
                    bcd: bcd.to_vec(),
                })
            }
            tag::SMS_TPDU => Object::SmsTpdu(value.to_vec()),
            tag::EVENT_LIST => Object::EventList(value.iter().map(|b| Event(*b)).collect()),
            tag::BEARER_DESCRIPTION => {
                let (kind, parameters) =
                    value.split_first().ok_or_else(|| DecodeError::BadLength {
                        what: "bearer description (§8.52)",
                        detail: "empty value: the bearer type byte is mandatory".into(),
                    })?;
                Object::BearerDescription(BearerDescription {
                    bearer_type: BearerType(*kind),
                    parameters: parameters.to_vec(),
                })
            }
            tag::CHANNEL_DATA => Object::ChannelData(value.to_vec()),
            tag::CHANNEL_DATA_LENGTH => {
                let [len] = exact(value, "channel data length (§8.54)")?;
                Object::ChannelDataLength(len)
            }
            tag::CHANNEL_STATUS => {
                let [status, further_info] = exact(value, "channel status (§8.56)")?;
                Object::ChannelStatus(ChannelStatus {
                    status,
                    further_info,
                })
            }
            tag::BUFFER_SIZE => {
                let size = exact(value, "buffer size (§8.55)")?;
                Object::BufferSize(u16::from_be_bytes(size))
            }
            tag::TRANSPORT_LEVEL => {
                let [protocol, hi, lo] =
                    exact(value, "UICC/terminal interface transport level (§8.59)")?;
                Object::TransportLevel(TransportLevel {
                    protocol: TransportProtocol(protocol),
                    port: u16::from_be_bytes([hi, lo]),
                })
            }
            tag::OTHER_ADDRESS => Object::OtherAddress(match value.split_first() {
                None => OtherAddress::Empty,
                Some((0x21, a)) if a.len() == 4 => {
                    OtherAddress::Ipv4(Ipv4Addr::new(a[0], a[1], a[2], a[3]))
                }
                Some((0x57, a)) if a.len() == 16 => {
                    let mut octets = [0u8; 16];
                    octets.copy_from_slice(a);
                    OtherAddress::Ipv6(Ipv6Addr::from(octets))
                }
                Some((coding, address)) => OtherAddress::Other {
                    coding: *coding,
                    address: address.to_vec(),
                },
            }),
            tag::NETWORK_ACCESS_NAME => Object::NetworkAccessName(value.to_vec()),
            other => Object::Unknown {
                tag: other,
                value: value.to_vec(),
            },
        })
    }

    /// The tag value (CR bit removed).
    pub fn tag(&self) -> u16 {
        match self {
            Object::CommandDetails(_) => tag::COMMAND_DETAILS,
            Object::DeviceIdentities(_) => tag::DEVICE_IDENTITIES,
            Object::Result(_) => tag::RESULT,
            Object::AlphaIdentifier(_) => tag::ALPHA_IDENTIFIER,
            Object::Address(_) => tag::ADDRESS,
            Object::SmsTpdu(_) => tag::SMS_TPDU,
            Object::EventList(_) => tag::EVENT_LIST,
            Object::BearerDescription(_) => tag::BEARER_DESCRIPTION,
            Object::ChannelData(_) => tag::CHANNEL_DATA,
            Object::ChannelDataLength(_) => tag::CHANNEL_DATA_LENGTH,
            Object::ChannelStatus(_) => tag::CHANNEL_STATUS,
            Object::BufferSize(_) => tag::BUFFER_SIZE,
            Object::TransportLevel(_) => tag::TRANSPORT_LEVEL,
            Object::OtherAddress(_) => tag::OTHER_ADDRESS,
            Object::NetworkAccessName(_) => tag::NETWORK_ACCESS_NAME,
            Object::Unknown { tag, .. } => *tag,
        }
    }

    /// The value bytes.
    pub fn value(&self) -> Vec<u8> {
        match self {
            Object::CommandDetails(d) => vec![d.number, d.command_type.0, d.qualifier],
            Object::DeviceIdentities(d) => vec![d.source.0, d.destination.0],
            Object::Result(r) => [&[r.general.0][..], &r.additional].concat(),
            Object::AlphaIdentifier(v)
            | Object::SmsTpdu(v)
            | Object::ChannelData(v)
            | Object::NetworkAccessName(v)
            | Object::Unknown { value: v, .. } => v.clone(),
            Object::Address(a) => [&[a.ton_npi][..], &a.bcd].concat(),
            Object::EventList(events) => events.iter().map(|e| e.0).collect(),
            Object::BearerDescription(b) => [&[b.bearer_type.0][..], &b.parameters].concat(),
            Object::ChannelDataLength(n) => vec![*n],
            Object::ChannelStatus(s) => vec![s.status, s.further_info],
            Object::BufferSize(n) => n.to_be_bytes().to_vec(),
            Object::TransportLevel(t) => {
                let [hi, lo] = t.port.to_be_bytes();
                vec![t.protocol.0, hi, lo]
            }
            Object::OtherAddress(a) => match a {
                OtherAddress::Empty => Vec::new(),
                OtherAddress::Ipv4(ip) => [&[0x21][..], &ip.octets()].concat(),
                OtherAddress::Ipv6(ip) => [&[0x57][..], &ip.octets()].concat(),
                OtherAddress::Other { coding, address } => [&[*coding][..], address].concat(),
            },
        }
    }

    /// Path key of this object in a [`Field`] tree.
    fn key(&self) -> String {
        match self {
            Object::CommandDetails(_) => "command_details",
            Object::DeviceIdentities(_) => "device_identities",
            Object::Result(_) => "result",
            Object::AlphaIdentifier(_) => "alpha_identifier",
            Object::Address(_) => "address",
            Object::SmsTpdu(_) => "sms_tpdu",
            Object::EventList(_) => "event_list",
            Object::BearerDescription(_) => "bearer_description",
            Object::ChannelData(_) => "channel_data",
            Object::ChannelDataLength(_) => "channel_data_length",
            Object::ChannelStatus(_) => "channel_status",
            Object::BufferSize(_) => "buffer_size",
            Object::TransportLevel(_) => "transport_level",
            Object::OtherAddress(_) => "other_address",
            Object::NetworkAccessName(_) => "network_access_name",
            Object::Unknown { tag, .. } => return format!("tag_{tag:02x}"),
        }
        .to_string()
    }

    /// The TS 102 223 clause that defines this object.
    fn clause(&self) -> &'static str {
        match self {
            Object::CommandDetails(_) => "TS 102 223 §8.6",
            Object::DeviceIdentities(_) => "TS 102 223 §8.7",
            Object::Result(_) => "TS 102 223 §8.12",
            Object::AlphaIdentifier(_) => "TS 102 223 §8.2",
            Object::Address(_) => "TS 102 223 §8.1",
            Object::SmsTpdu(_) => "TS 102 223 §8.13, 3GPP TS 23.040",
            Object::EventList(_) => "TS 102 223 §8.25",
            Object::BearerDescription(_) => "TS 102 223 §8.52",
            Object::ChannelData(_) => "TS 102 223 §8.53",
            Object::ChannelDataLength(_) => "TS 102 223 §8.54",
            Object::ChannelStatus(_) => "TS 102 223 §8.56",
            Object::BufferSize(_) => "TS 102 223 §8.55",
            Object::TransportLevel(_) => "TS 102 223 §8.59",
            Object::OtherAddress(_) => "TS 102 223 §8.58",
            Object::NetworkAccessName(_) => "TS 102 223 §8.61",
            Object::Unknown { .. } => "TS 101 220 §7.2",
        }
    }
}

/// Where an object sits, which decides what some values mean (a channel data length is
/// bytes requested in RECEIVE DATA, bytes free in the response to SEND DATA, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Inside a proactive command of this type.
    Command(CommandType),
    /// Inside a terminal response to a command of this type.
    Response(CommandType),
    /// Inside an event download for this event.
    Event(Event),
    /// Anywhere else (other envelopes).
    Other,
}

/// One COMPREHENSION-TLV data object: the typed value, its CR flag and its tag format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataObject {
    /// Comprehension required (tag b8, or b16 in the three-byte format).
    pub cr: bool,
    /// Tag coded in the three-byte format (`7F xx xx`).
    pub three_byte: bool,
    pub object: Object,
}

impl From<Object> for DataObject {
    /// CR set, except for the alpha identifier, which TS 102 223 sends with CR clear in
    /// its command tables; the single-byte tag format unless the value needs three bytes
    /// (above `7E`).
    fn from(object: Object) -> DataObject {
        DataObject {
            cr: !matches!(object, Object::AlphaIdentifier(_)),
            three_byte: object.tag() > 0x7E,
            object,
        }
    }
}

impl DataObject {
    /// The COMPREHENSION-TLV this object encodes to.
    pub fn to_ctlv(&self) -> Ctlv {
        Ctlv {
            tag: CtlvTag {
                value: self.object.tag(),
                cr: self.cr,
                three_byte: self.three_byte,
            },
            value: self.object.value(),
        }
    }

    /// Decodes one parsed COMPREHENSION-TLV.
    pub fn from_ctlv(ctlv: &Ctlv) -> Result<DataObject, DecodeError> {
        Ok(DataObject {
            cr: ctlv.tag.cr,
            three_byte: ctlv.tag.three_byte,
            object: Object::decode(ctlv.tag.value, &ctlv.value)?,
        })
    }

    /// Parses back-to-back COMPREHENSION-TLVs (TS 101 220 §7.1.1) into data objects.
    pub fn parse_all(bytes: &[u8]) -> Result<Vec<DataObject>, DecodeError> {
        Ctlv::parse_all(bytes)?
            .iter()
            .map(DataObject::from_ctlv)
            .collect()
    }

    /// Appends the encoding of `objects` to `out`.
    pub fn emit_all(objects: &[DataObject], out: &mut Vec<u8>) {
        for object in objects {
            object.to_ctlv().emit_into(out);
        }
    }

    /// Bytes [`DataObject::emit_all`] produces for `objects`.
    pub fn buffer_len_all(objects: &[DataObject]) -> usize {
        objects.iter().map(|o| o.to_ctlv().buffer_len()).sum()
    }

    /// Appends one field per object to `parent`, the first starting at byte `at`.
    pub fn describe_all(objects: &[DataObject], parent: &mut Field, mut at: usize, ctx: Context) {
        for object in objects {
            at += object.describe_into(parent, at, ctx);
        }
    }

    /// Appends this object's field (with children tag, length and the decoded
    /// sub-fields) to `parent`, starting at byte `at`; returns the bytes it covers.
    pub fn describe_into(&self, parent: &mut Field, at: usize, ctx: Context) -> usize {
        let ctlv = self.to_ctlv();
        let total = ctlv.buffer_len();
        let tag_len = ctlv.tag.encoded_len();
        let value_len = ctlv.value.len();
        let length_len = total - tag_len - value_len;
        let v = at + tag_len + length_len;
        let name = ctlv::tag_name(self.object.tag()).unwrap_or("Unknown data object");
        let field = parent.child(&self.object.key(), name, at, total);
        field.note = self.object.clause().to_string();
        let mut tag_bytes = Vec::new();
        ctlv.tag.emit_into(&mut tag_bytes);
        field
            .child("tag", "Tag", at, tag_len)
            .with_value(hex::compact(&tag_bytes))
            .with_note(if self.cr {
                "CR set: comprehension required"
            } else {
                "CR clear: comprehension not required"
            });
        field
            .child("length", "Length", at + tag_len, length_len)
            .with_value(value_len.to_string());
        describe_value(&self.object, field, v, value_len, ctx);
        total
    }
}

/// The meaning of a command qualifier for its type of command (TS 102 223 §8.6).
pub fn qualifier_meaning(command_type: CommandType, q: u8) -> String {
    let bit = |n: u8| q & (1 << (n - 1)) != 0;
    let rfu = |mask: u8| {
        if q & mask != 0 {
            "; RFU bits set"
        } else {
            ""
        }
    };
    match command_type {
        CommandType::OPEN_CHANNEL => {
            let mut parts = vec![
                if bit(1) {
                    "immediate link establishment"
                } else {
                    "on demand link establishment"
                },
                if bit(2) {
                    "automatic reconnection"
                } else {
                    "no automatic reconnection"
                },
                if bit(3) {
                    "immediate link establishment in background mode"
                } else {
                    "no background mode"
                },
            ];
            if bit(4) {
                parts.push("DNS server address(es) requested");
            }
            format!(
                "{}{} (link options; RFU in UICC server mode)",
                parts.join(", "),
                rfu(0xF0)
            )
        }
        CommandType::CLOSE_CHANNEL => format!(
            "{} (UICC server mode){}",
            if bit(1) {
                "close the TCP connection and go to TCP in LISTEN state"
            } else {
                "close the TCP connection and go to TCP in CLOSED state"
            },
            rfu(0xFE)
        ),
        CommandType::SEND_DATA => format!(
            "{}{}",
            if bit(1) {
                "send data immediately"
            } else {
                "store data in Tx buffer"
            },
            rfu(0xFE)
        ),
        CommandType::RECEIVE_DATA
        | CommandType::GET_CHANNEL_STATUS
        | CommandType::SET_UP_EVENT_LIST => {
            if q == 0 {
                "RFU".into()
            } else {
                "RFU bits set".into()
            }
        }
        CommandType::REFRESH => match q {
            0x00 => "NAA initialization and full file change notification".into(),
            0x01 => "file change notification".into(),
            0x02 => "NAA initialization and file change notification".into(),
            0x03 => "NAA initialization".into(),
            0x04 => "UICC reset".into(),
            0x05 => "NAA application reset".into(),
            0x06 => "NAA session reset".into(),
            other => format!("{other:02X} reserved"),
        },
        CommandType::SEND_SHORT_MESSAGE => if bit(1) {
            "packing by the terminal required"
        } else {
            "packing not required"
        }
        .into(),
        CommandType::DISPLAY_TEXT => format!(
            "{}, {}",
            if bit(1) {
                "high priority"
            } else {
                "normal priority"
            },
            if bit(8) {
                "wait for user to clear message"
            } else {
                "clear message after a delay"
            }
        ),
        _ => format!("{q:02X} (see TS 102 223 §8.6 for this command)"),
    }
}

fn result_additional(general: GeneralResult, info: &[u8]) -> Option<String> {
    let first = *info.first()?;
    let named = match general.0 {
        0x3A => bip_error_name(first),
        0x20 => terminal_problem_name(first),
        0x21 if first == 0x00 => Some("no specific cause can be given"),
        0x21 if first & 0x80 != 0 => {
            return Some(format!(
                "{first:02X} cause {:02X} given by the network",
                first & 0x7F
            ))
        }
        _ => None,
    };
    Some(match named {
        Some(name) => format!("{first:02X} {name}"),
        None => hex::compact(info),
    })
}

fn describe_value(object: &Object, field: &mut Field, v: usize, len: usize, ctx: Context) {
    match object {
        Object::CommandDetails(d) => {
            field.value = format!(
                "#{} {}, qualifier {:02X}",
                d.number, d.command_type, d.qualifier
            );
            field
                .child("number", "Command number", v, 1)
                .with_value(d.number.to_string())
                .with_note("chosen by the UICC; the terminal response repeats it");
            field
                .child("type", "Type of command", v + 1, 1)
                .with_value(d.command_type.to_string())
                .with_note("TS 102 223 §9.4");
            field
                .child("qualifier", "Command qualifier", v + 2, 1)
                .with_value(format!("{:02X}", d.qualifier))
                .with_note(qualifier_meaning(d.command_type, d.qualifier));
        }
        Object::DeviceIdentities(d) => {
            field.value = format!("{} → {}", d.source, d.destination);
            field
                .child("source", "Source device", v, 1)
                .with_value(d.source.to_string());
            field
                .child("destination", "Destination device", v + 1, 1)
                .with_value(d.destination.to_string());
        }
        Object::Result(r) => {
            let extra = result_additional(r.general, &r.additional);
            field.value = match &extra {
                Some(extra) => format!("{}; {extra}", r.general),
                None => r.general.to_string(),
            };
            field
                .child("general", "General result", v, 1)
                .with_value(r.general.to_string());
            if let Some(extra) = extra {
                field
                    .child("additional", "Additional information", v + 1, len - 1)
                    .with_value(extra);
            } else if matches!(
                r.general.0,
                0x20 | 0x21 | 0x26 | 0x38 | 0x39 | 0x3A | 0x3C | 0x3D
            ) {
                field.note.push_str(
                    "; additional information missing (§8.12 makes it mandatory for this result)",
                );
            }
        }
        Object::AlphaIdentifier(raw) => {
            field.value = format!("\"{}\"", text::alpha(raw));
            if len > 0 {
                field
                    .child("text", "Text", v, len)
                    .with_value(text::alpha(raw))
                    .with_note(text::alpha_coding(raw));
            }
        }
        Object::Address(a) => {
            let ton = match (a.ton_npi >> 4) & 0x07 {
                0 => "unknown",
                1 => "international number",
                2 => "national number",
                3 => "network specific number",
                _ => "reserved type of number",
            };
            let npi = match a.ton_npi & 0x0F {
                0x0 => "unknown numbering plan",
                0x1 => "ISDN/telephony (E.164)",
                0x3 => "data (X.121)",
                0x4 => "telex (F.69)",
                0x9 => "private",
                0xF => "reserved for extension",
                _ => "reserved numbering plan",
            };
            field.value = a.number();
            field
                .child("ton_npi", "TON/NPI", v, 1)
                .with_value(format!("{:02X}: {ton}, {npi}", a.ton_npi));
            if !a.bcd.is_empty() {
                field
                    .child("number", "Dialling number", v + 1, len - 1)
                    .with_value(a.number())
                    .with_note("extended BCD, low nibble first, F = filler");
            }
        }
        Object::SmsTpdu(tpdu) => {
            field.value = format!("{} byte(s)", tpdu.len());
            if len > 0 {
                let tpdu_field = field
                    .child("tpdu", "TPDU", v, len)
                    .with_value(hex::compact(tpdu))
                    .with_note("3GPP TS 23.040 TPDU (SMS-DELIVER in an SMS-PP download)");
                // An SMS-DELIVER (TP-MTI 00) is decoded in place, the command packet
                // it carries included; anything else stays one field.
                let decoded = crate::wire::sms::SmsDeliver::parse(tpdu).and_then(|s| s.describe());
                if let Ok(sms) = decoded {
                    let path = tpdu_field.path.clone();
                    tpdu_field.children.push(sms.shifted(v).prefixed(&path));
                }
            }
        }
        Object::EventList(events) => {
            field.value = if events.is_empty() {
                "no events (removes the current list)".into()
            } else {
                events
                    .iter()
                    .map(Event::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            for (i, e) in events.iter().enumerate() {
                field
                    .child("event", "Event", v + i, 1)
                    .with_value(e.to_string());
            }
        }
        Object::BearerDescription(b) => {
            field.value = b.bearer_type.to_string();
            field
                .child("type", "Bearer type", v, 1)
                .with_value(b.bearer_type.to_string());
            if !b.parameters.is_empty() {
                field
                    .child("parameters", "Bearer parameters", v + 1, len - 1)
                    .with_value(hex::compact(&b.parameters))
                    .with_note("bearer-specific (3GPP TS 31.111 §8.52 for 3GPP bearers)");
            }
        }
        Object::ChannelData(data) => {
            field.value = format!("{} byte(s)", data.len());
            if len > 0 {
                field
                    .child("data", "Data", v, len)
                    .with_value(hex::compact(data));
            }
        }
        Object::ChannelDataLength(n) => {
            let (value, note) = channel_data_length_text(*n, ctx);
            field.value = value.clone();
            field
                .child("value", "Channel data length", v, 1)
                .with_value(value)
                .with_note(note);
        }
        Object::ChannelStatus(s) => {
            field.value = s.summary();
            field
                .child("channel_id", "Channel identifier", v, 1)
                .with_value(match s.channel_id() {
                    0 => "0 (no channel available)".to_string(),
                    n => n.to_string(),
                })
                .with_note("byte 1, b3-b1");
            let mut note = String::from(
                "byte 1, b8-b7: client mode uses b8 only (link established or not); UICC server mode codes the TCP state in b8-b7",
            );
            if s.status & 0x38 != 0 {
                note.push_str("; RFU bits b6-b4 set");
            }
            field
                .child("state", "State", v, 1)
                .with_value(s.state().describe())
                .with_note(note);
            field
                .child("further_info", "Further information", v + 1, 1)
                .with_value(s.further_info_text());
        }
        Object::BufferSize(n) => {
            field.value = format!("{n} bytes");
            field
                .child("value", "Buffer size", v, 2)
                .with_value(n.to_string());
        }
        Object::TransportLevel(t) => {
            field.value = format!("{}, port {}", t.protocol, t.port);
            field
                .child("protocol", "Transport protocol type", v, 1)
                .with_value(t.protocol.to_string());
            field
                .child("port", "Port number", v + 1, 2)
                .with_value(t.port.to_string());
        }
        Object::OtherAddress(a) => {
            field.value = a.to_string();
            if len > 0 {
                let coding = match a {
                    OtherAddress::Ipv4(_) => "21 IPv4".to_string(),
                    OtherAddress::Ipv6(_) => "57 IPv6".to_string(),
                    OtherAddress::Other { coding, .. } => {
                        format!("{coding:02X} (unknown or bad length)")
                    }
                    OtherAddress::Empty => String::new(),
                };
                field
                    .child("type", "Type of address", v, 1)
                    .with_value(coding);
                if len > 1 {
                    field
                        .child("address", "Address", v + 1, len - 1)
                        .with_value(a.to_string());
                }
            }
        }
        Object::NetworkAccessName(raw) => {
            let (value, note) = match text::network_access_name(raw) {
                Some(name) => (name, "labels of 3GPP TS 23.003 §9.1, joined with dots"),
                None => (
                    text::printable(raw),
                    "not a valid label sequence (3GPP TS 23.003 §9.1); shown as text",
                ),
            };
            field.value = value.clone();
            if len > 0 {
                field
                    .child("name", "Name", v, len)
                    .with_value(value)
                    .with_note(note);
            }
        }
        Object::Unknown { value, .. } => {
            field.value = hex::compact(value);
            if len > 0 {
                field
                    .child("value", "Value", v, len)
                    .with_value(hex::compact(value));
            }
        }
    }
}

fn channel_data_length_text(n: u8, ctx: Context) -> (String, &'static str) {
    let available = |what: &'static str| {
        if n == 0xFF {
            (
                format!("more than 255 bytes {what}"),
                "FF means more than 255",
            )
        } else {
            (format!("{n} bytes {what}"), "FF would mean more than 255")
        }
    };
    match ctx {
        Context::Command(CommandType::RECEIVE_DATA) => (
            format!("{n} bytes requested"),
            "number of bytes the UICC asks for (§6.4.29)",
        ),
        Context::Response(CommandType::RECEIVE_DATA) => available("remaining in the Rx buffer"),
        Context::Response(CommandType::SEND_DATA) => available("of empty space in the Tx buffer"),
        Context::Event(_) => available("available in the Rx buffer"),
        _ => available("available"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_layout_objects_reject_wrong_lengths() {
        for (tag, value) in [
            (tag::COMMAND_DETAILS, &[1u8, 2][..]),
            (tag::DEVICE_IDENTITIES, &[0x81][..]),
            (tag::CHANNEL_STATUS, &[0x81, 0, 0][..]),
            (tag::CHANNEL_DATA_LENGTH, &[][..]),
            (tag::BUFFER_SIZE, &[5][..]),
            (tag::TRANSPORT_LEVEL, &[3, 0x0D][..]),
            (tag::RESULT, &[][..]),
        ] {
            assert!(
                matches!(
                    Object::decode(tag, value),
                    Err(DecodeError::BadLength { .. })
                ),
                "tag {tag:02X}"
            );
        }
    }

    #[test]
    fn every_object_reencodes_its_value() {
        let samples: [(u16, &[u8]); 16] = [
            (tag::COMMAND_DETAILS, &[1, 0x40, 0x03]),
            (tag::DEVICE_IDENTITIES, &[0x81, 0x82]),
            (tag::RESULT, &[0x3A, 0x02]),
            (tag::ALPHA_IDENTIFIER, b"Open"),
            (tag::ADDRESS, &[0x91, 0x44, 0x77, 0xF9]),
            (tag::SMS_TPDU, &[0x04, 0x00]),
            (tag::EVENT_LIST, &[0x09, 0x0A]),
            (tag::BEARER_DESCRIPTION, &[0x02, 0, 0, 3, 0, 0, 2]),
            (tag::CHANNEL_DATA, &[1, 2, 3]),
            (tag::CHANNEL_DATA_LENGTH, &[0xFF]),
            (tag::CHANNEL_STATUS, &[0x41, 0x00]),
            (tag::BUFFER_SIZE, &[0x05, 0x78]),
            (tag::TRANSPORT_LEVEL, &[0x03, 0x0D, 0xBC]),
            (tag::OTHER_ADDRESS, &[0x21, 10, 0, 0, 1]),
            (tag::NETWORK_ACCESS_NAME, b"\x08internet"),
            (0x3F, &[0x08]),
        ];
        for (tag, value) in samples {
            let object = Object::decode(tag, value).unwrap();
            assert_eq!(object.tag(), tag);
            assert_eq!(object.value(), value, "tag {tag:02X}");
        }
    }

    #[test]
    fn other_address_prints_dotted_and_colon_forms() {
        let v4 = Object::decode(tag::OTHER_ADDRESS, &[0x21, 192, 168, 1, 20]).unwrap();
        assert_eq!(
            v4,
            Object::OtherAddress(OtherAddress::Ipv4(Ipv4Addr::new(192, 168, 1, 20)))
        );
        let mut v6 = vec![0x57, 0x20, 0x01, 0x0D, 0xB8];
        v6.extend([0; 11]);
        v6.push(1);
        let Object::OtherAddress(a) = Object::decode(tag::OTHER_ADDRESS, &v6).unwrap() else {
            panic!("not an other address");
        };
        assert_eq!(a.to_string(), "IPv6 2001:db8::1");
        let odd = Object::decode(tag::OTHER_ADDRESS, &[0x21, 1, 2]).unwrap();
        assert_eq!(odd.value(), [0x21, 1, 2]);
        assert_eq!(
            Object::decode(tag::OTHER_ADDRESS, &[]).unwrap(),
            Object::OtherAddress(OtherAddress::Empty)
        );
    }

    #[test]
    fn channel_status_names_state_in_both_modes() {
        let listen = ChannelStatus {
            status: 0x41,
            further_info: 0,
        };
        assert_eq!(listen.summary(), "channel 1, TCP in LISTEN state");
        assert_eq!(listen.state(), ChannelState::Listen);
        let up = ChannelStatus {
            status: 0x81,
            further_info: 0,
        };
        assert_eq!(
            up.summary(),
            "channel 1, link established / TCP in ESTABLISHED state"
        );
        let down = ChannelStatus {
            status: 0x01,
            further_info: 0x05,
        };
        assert_eq!(
            down.summary(),
            "channel 1, link not established / TCP in CLOSED state, link dropped"
        );
        assert_eq!(ChannelStatus::new(1, ChannelState::Listen, 0), listen);
    }

    #[test]
    fn qualifiers_name_bip_options() {
        assert_eq!(
            qualifier_meaning(CommandType::SEND_DATA, 0x01),
            "send data immediately"
        );
        assert_eq!(
            qualifier_meaning(CommandType::SEND_DATA, 0x00),
            "store data in Tx buffer"
        );
        assert!(qualifier_meaning(CommandType::OPEN_CHANNEL, 0x03)
            .starts_with("immediate link establishment, automatic reconnection"));
        assert!(qualifier_meaning(CommandType::CLOSE_CHANNEL, 0x01).contains("LISTEN"));
    }

    #[test]
    fn names_every_bip_result() {
        let r = |info: u8| result_additional(GeneralResult::BIP_ERROR, &[info]).unwrap();
        assert_eq!(r(0x01), "01 no channel available");
        assert_eq!(r(0x02), "02 channel closed");
        assert_eq!(r(0x07), "07 remote device is not reachable");
        assert_eq!(r(0x10), "10 port not available");
        assert_eq!(r(0x12), "12 application launch failed");
        assert_eq!(
            GeneralResult::TERMINAL_UNABLE.to_string(),
            "20 terminal currently unable to process command"
        );
    }

    #[test]
    fn data_objects_with_large_tags_use_the_three_byte_form() {
        let big = DataObject::from(Object::Unknown {
            tag: 0x0123,
            value: vec![0xAA],
        });
        assert_eq!(big.to_ctlv().emit(), [0x7F, 0x81, 0x23, 0x01, 0xAA]);
        let small = DataObject::from(Object::ChannelDataLength(5));
        assert_eq!(small.to_ctlv().emit(), [0xB7, 0x01, 0x05]);
        let alpha = DataObject::from(Object::AlphaIdentifier(b"Hi".to_vec()));
        assert_eq!(alpha.to_ctlv().emit(), [0x05, 0x02, b'H', b'i']);
    }

    #[test]
    fn device_identities_name_channels() {
        assert_eq!(DeviceIdentity::channel(3), DeviceIdentity(0x23));
        assert_eq!(DeviceIdentity(0x23).channel_id(), Some(3));
        assert_eq!(DeviceIdentity::UICC.channel_id(), None);
        assert_eq!(DeviceIdentity(0x27).to_string(), "27 channel 7");
        assert_eq!(
            DeviceIdentity(0x15).to_string(),
            "15 additional card reader 5"
        );
    }
}
