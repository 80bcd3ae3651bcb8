//! TERMINAL PROFILE (ETSI TS 102 223 §5.2): one bit per facility the terminal supports,
//! byte 13 b8–b6 the number of BIP channels. The card consults it before raising any
//! proactive command ([`Facility::for_command`]); the inspector names the bits
//! ([`TerminalProfile::describe`]). One table, [`FACILITIES`], serves both.
//!
//! Bytes the terminal did not send count as `00`: nothing declared (§5.2: the terminal
//! sends the profile up to the last byte it needs).

use super::objects::{BearerType, CommandDetails, Event, TransportProtocol};
use crate::wire::field::FieldFill;
use crate::wire::Field;

/// One facility of the terminal profile: byte number (1-based, as TS 102 223 §5.2
/// counts) and bit (1 = b1), with the standard's name for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Facility {
    pub byte: u8,
    pub bit: u8,
    pub name: &'static str,
}

const fn f(byte: u8, bit: u8, name: &'static str) -> Facility {
    Facility { byte, bit, name }
}

impl Facility {
    // First byte (download).
    pub const PROFILE_DOWNLOAD: Facility = f(1, 1, "profile download");
    pub const SMS_PP_DATA_DOWNLOAD: Facility = f(1, 2, "SMS-PP data download");
    pub const CELL_BROADCAST_DATA_DOWNLOAD: Facility = f(1, 3, "Cell Broadcast data download");
    pub const MENU_SELECTION: Facility = f(1, 4, "menu selection");
    pub const TIMER_EXPIRATION: Facility = f(1, 6, "timer expiration");
    // Second byte (other).
    pub const COMMAND_RESULT: Facility = f(2, 1, "command result");
    pub const UCS2_ENTRY: Facility = f(2, 6, "UCS2 entry");
    pub const UCS2_DISPLAY: Facility = f(2, 7, "UCS2 display");
    // Third byte (proactive UICC).
    pub const DISPLAY_TEXT: Facility = f(3, 1, "DISPLAY TEXT");
    pub const GET_INKEY: Facility = f(3, 2, "GET INKEY");
    pub const GET_INPUT: Facility = f(3, 3, "GET INPUT");
    pub const MORE_TIME: Facility = f(3, 4, "MORE TIME");
    pub const PLAY_TONE: Facility = f(3, 5, "PLAY TONE");
    pub const POLL_INTERVAL: Facility = f(3, 6, "POLL INTERVAL");
    pub const POLLING_OFF: Facility = f(3, 7, "POLLING OFF");
    pub const REFRESH: Facility = f(3, 8, "REFRESH");
    // Fourth byte (proactive UICC).
    pub const SELECT_ITEM: Facility = f(4, 1, "SELECT ITEM");
    pub const SEND_SHORT_MESSAGE: Facility = f(4, 2, "SEND SHORT MESSAGE");
    pub const SEND_SS: Facility = f(4, 3, "SEND SS");
    pub const SEND_USSD: Facility = f(4, 4, "SEND USSD");
    pub const SET_UP_CALL: Facility = f(4, 5, "SET UP CALL");
    pub const SET_UP_MENU: Facility = f(4, 6, "SET UP MENU");
    pub const LOCAL_INFORMATION: Facility = f(
        4,
        7,
        "PROVIDE LOCAL INFORMATION (MCC, MNC, LAC, Cell ID & IMEI)",
    );
    pub const LOCAL_INFORMATION_NMR: Facility = f(4, 8, "PROVIDE LOCAL INFORMATION (NMR)");
    // Fifth and sixth bytes (event driven information).
    pub const SET_UP_EVENT_LIST: Facility = f(5, 1, "SET UP EVENT LIST");
    pub const DATA_AVAILABLE_EVENT: Facility = f(6, 3, "data available event");
    pub const CHANNEL_STATUS_EVENT: Facility = f(6, 4, "channel status event");
    // Seventh byte (multiple card proactive commands, class "a").
    pub const POWER_ON_CARD: Facility = f(7, 1, "POWER ON CARD");
    pub const POWER_OFF_CARD: Facility = f(7, 2, "POWER OFF CARD");
    pub const PERFORM_CARD_APDU: Facility = f(7, 3, "PERFORM CARD APDU");
    pub const READER_STATUS: Facility = f(7, 4, "GET READER STATUS (card reader status)");
    pub const READER_IDENTIFIER: Facility = f(7, 5, "GET READER STATUS (card reader identifier)");
    // Eighth byte (proactive UICC).
    pub const TIMER_START_STOP: Facility = f(8, 1, "TIMER MANAGEMENT (start, stop)");
    pub const TIMER_GET_VALUE: Facility = f(8, 2, "TIMER MANAGEMENT (get current value)");
    pub const LOCAL_INFORMATION_DATE_TIME: Facility =
        f(8, 3, "PROVIDE LOCAL INFORMATION (date, time and time zone)");
    pub const SET_UP_IDLE_MODE_TEXT: Facility = f(8, 5, "SET UP IDLE MODE TEXT");
    pub const RUN_AT_COMMAND: Facility = f(8, 6, "RUN AT COMMAND");
    // Ninth byte.
    pub const SEND_DTMF: Facility = f(9, 2, "SEND DTMF");
    pub const LOCAL_INFORMATION_LANGUAGE: Facility =
        f(9, 4, "PROVIDE LOCAL INFORMATION (language)");
    pub const LOCAL_INFORMATION_TIMING_ADVANCE: Facility =
        f(9, 5, "PROVIDE LOCAL INFORMATION (Timing Advance)");
    pub const LANGUAGE_NOTIFICATION: Facility = f(9, 6, "LANGUAGE NOTIFICATION");
    pub const LAUNCH_BROWSER: Facility = f(9, 7, "LAUNCH BROWSER");
    pub const LOCAL_INFORMATION_ACCESS_TECHNOLOGY: Facility =
        f(9, 8, "PROVIDE LOCAL INFORMATION (Access Technology)");
    // Twelfth byte (BIP proactive commands, class "e").
    pub const OPEN_CHANNEL: Facility = f(12, 1, "OPEN CHANNEL");
    pub const CLOSE_CHANNEL: Facility = f(12, 2, "CLOSE CHANNEL");
    pub const RECEIVE_DATA: Facility = f(12, 3, "RECEIVE DATA");
    pub const SEND_DATA: Facility = f(12, 4, "SEND DATA");
    pub const GET_CHANNEL_STATUS: Facility = f(12, 5, "GET CHANNEL STATUS");
    pub const SERVICE_SEARCH: Facility = f(12, 6, "SERVICE SEARCH");
    pub const GET_SERVICE_INFORMATION: Facility = f(12, 7, "GET SERVICE INFORMATION");
    pub const DECLARE_SERVICE: Facility = f(12, 8, "DECLARE SERVICE");
    // Thirteenth byte (BIP supported bearers, class "e"); b8–b6 count channels.
    pub const CSD: Facility = f(13, 1, "CSD");
    pub const GPRS: Facility = f(13, 2, "GPRS");
    pub const BLUETOOTH: Facility = f(13, 3, "Bluetooth");
    pub const IRDA: Facility = f(13, 4, "IrDA");
    pub const RS232: Facility = f(13, 5, "RS232");
    // Seventeenth byte (BIP supported transport interfaces, class "e").
    pub const TCP_CLIENT_REMOTE: Facility = f(17, 1, "TCP, UICC in client mode, remote connection");
    pub const UDP_CLIENT_REMOTE: Facility = f(17, 2, "UDP, UICC in client mode, remote connection");
    pub const TCP_SERVER: Facility = f(17, 3, "TCP, UICC in server mode");
    pub const TCP_CLIENT_LOCAL: Facility = f(17, 4, "TCP, UICC in client mode, local connection");
    pub const UDP_CLIENT_LOCAL: Facility = f(17, 5, "UDP, UICC in client mode, local connection");
    pub const DIRECT_CHANNEL: Facility = f(17, 6, "direct communication channel");
    pub const E_UTRAN: Facility = f(17, 7, "E-UTRAN (3GPP)");
    pub const HSDPA: Facility = f(17, 8, "HSDPA (3GPP)");

    /// The facility a proactive command needs (TS 102 223 §5.2, command types of §9.4,
    /// qualifiers of §8.6): one bit per command, or per qualifier for PROVIDE LOCAL
    /// INFORMATION, TIMER MANAGEMENT and GET READER STATUS. `None` for a command (or a
    /// qualifier) this table does not map: the card then does not raise it.
    pub fn for_command(details: CommandDetails) -> Option<Facility> {
        let qualifier = details.qualifier;
        Some(match details.command_type.0 {
            0x01 => Self::REFRESH,
            0x02 => Self::MORE_TIME,
            0x03 => Self::POLL_INTERVAL,
            0x04 => Self::POLLING_OFF,
            0x05 => Self::SET_UP_EVENT_LIST,
            0x10 => Self::SET_UP_CALL,
            0x11 => Self::SEND_SS,
            0x12 => Self::SEND_USSD,
            0x13 => Self::SEND_SHORT_MESSAGE,
            0x14 => Self::SEND_DTMF,
            0x15 => Self::LAUNCH_BROWSER,
            0x20 => Self::PLAY_TONE,
            0x21 => Self::DISPLAY_TEXT,
            0x22 => Self::GET_INKEY,
            0x23 => Self::GET_INPUT,
            0x24 => Self::SELECT_ITEM,
            0x25 => Self::SET_UP_MENU,
            // §8.6: 00 location information, 01 IMEI, 02 NMR, 03 date/time/time zone,
            // 04 language, 05 timing advance, 06 access technology.
            0x26 => match qualifier {
                0x00 | 0x01 => Self::LOCAL_INFORMATION,
                0x02 => Self::LOCAL_INFORMATION_NMR,
                0x03 => Self::LOCAL_INFORMATION_DATE_TIME,
                0x04 => Self::LOCAL_INFORMATION_LANGUAGE,
                0x05 => Self::LOCAL_INFORMATION_TIMING_ADVANCE,
                0x06 => Self::LOCAL_INFORMATION_ACCESS_TECHNOLOGY,
                _ => return None,
            },
            // §8.6: b2–b1 00 start, 01 deactivate, 10 get current value, 11 RFU.
            0x27 => match qualifier & 0x03 {
                0x00 | 0x01 => Self::TIMER_START_STOP,
                0x02 => Self::TIMER_GET_VALUE,
                _ => return None,
            },
            0x28 => Self::SET_UP_IDLE_MODE_TEXT,
            0x30 => Self::PERFORM_CARD_APDU,
            0x31 => Self::POWER_ON_CARD,
            0x32 => Self::POWER_OFF_CARD,
            0x33 => match qualifier {
                0x00 => Self::READER_STATUS,
                0x01 => Self::READER_IDENTIFIER,
                _ => return None,
            },
            0x34 => Self::RUN_AT_COMMAND,
            0x35 => Self::LANGUAGE_NOTIFICATION,
            0x40 => Self::OPEN_CHANNEL,
            0x41 => Self::CLOSE_CHANNEL,
            0x42 => Self::RECEIVE_DATA,
            0x43 => Self::SEND_DATA,
            0x44 => Self::GET_CHANNEL_STATUS,
            0x45 => Self::SERVICE_SEARCH,
            0x46 => Self::GET_SERVICE_INFORMATION,
            0x47 => Self::DECLARE_SERVICE,
            _ => return None,
        })
    }

    /// The event bit of bytes 5–6 (§5.2) for an event of §8.25 (`00` MT call to `0E`
    /// network search mode change); `None` for the events of later bytes.
    pub fn for_event(event: Event) -> Option<Facility> {
        let (byte, bit) = match event.0 {
            e @ 0x00..=0x06 => (5, e + 2),
            e @ 0x07..=0x0E => (6, e - 6),
            _ => return None,
        };
        name_of(byte, bit).map(|name| f(byte, bit, name))
    }

    /// The byte 17 bit for a transport protocol of §8.59. Note the two orders differ:
    /// code `01` is UDP, but b1 is TCP.
    pub fn for_transport(protocol: TransportProtocol) -> Option<Facility> {
        Some(match protocol.0 {
            0x01 => Self::UDP_CLIENT_REMOTE,
            0x02 => Self::TCP_CLIENT_REMOTE,
            0x03 => Self::TCP_SERVER,
            0x04 => Self::UDP_CLIENT_LOCAL,
            0x05 => Self::TCP_CLIENT_LOCAL,
            0x06 => Self::DIRECT_CHANNEL,
            _ => return None,
        })
    }

    /// The byte 13 bit for a bearer type of §8.52. `None` for the default bearer (`03`,
    /// no bearer of its own to declare) and for bearers declared elsewhere.
    pub fn for_bearer(bearer: BearerType) -> Option<Facility> {
        Some(match bearer.0 {
            0x01 => Self::CSD,
            0x02 => Self::GPRS,
            0x05 => Self::BLUETOOTH,
            0x06 => Self::IRDA,
            0x07 => Self::RS232,
            _ => return None,
        })
    }
}

/// Every facility named here, by byte then bit.
pub const FACILITIES: &[Facility] = &[
    Facility::PROFILE_DOWNLOAD,
    Facility::SMS_PP_DATA_DOWNLOAD,
    Facility::CELL_BROADCAST_DATA_DOWNLOAD,
    Facility::MENU_SELECTION,
    Facility::TIMER_EXPIRATION,
    Facility::COMMAND_RESULT,
    Facility::UCS2_ENTRY,
    Facility::UCS2_DISPLAY,
    Facility::DISPLAY_TEXT,
    Facility::GET_INKEY,
    Facility::GET_INPUT,
    Facility::MORE_TIME,
    Facility::PLAY_TONE,
    Facility::POLL_INTERVAL,
    Facility::POLLING_OFF,
    Facility::REFRESH,
    Facility::SELECT_ITEM,
    Facility::SEND_SHORT_MESSAGE,
    Facility::SEND_SS,
    Facility::SEND_USSD,
    Facility::SET_UP_CALL,
    Facility::SET_UP_MENU,
    Facility::LOCAL_INFORMATION,
    Facility::LOCAL_INFORMATION_NMR,
    Facility::SET_UP_EVENT_LIST,
    f(5, 2, "MT call event"),
    f(5, 3, "call connected event"),
    f(5, 4, "call disconnected event"),
    f(5, 5, "location status event"),
    f(5, 6, "user activity event"),
    f(5, 7, "idle screen available event"),
    f(5, 8, "card reader status event"),
    f(6, 1, "language selection event"),
    f(6, 2, "browser termination event"),
    Facility::DATA_AVAILABLE_EVENT,
    Facility::CHANNEL_STATUS_EVENT,
    f(6, 5, "access technology change event"),
    f(6, 6, "display parameters changed event"),
    f(6, 7, "local connection event"),
    f(6, 8, "network search mode change event"),
    Facility::POWER_ON_CARD,
    Facility::POWER_OFF_CARD,
    Facility::PERFORM_CARD_APDU,
    Facility::READER_STATUS,
    Facility::READER_IDENTIFIER,
    Facility::TIMER_START_STOP,
    Facility::TIMER_GET_VALUE,
    Facility::LOCAL_INFORMATION_DATE_TIME,
    Facility::SET_UP_IDLE_MODE_TEXT,
    Facility::RUN_AT_COMMAND,
    Facility::SEND_DTMF,
    Facility::LOCAL_INFORMATION_LANGUAGE,
    Facility::LOCAL_INFORMATION_TIMING_ADVANCE,
    Facility::LANGUAGE_NOTIFICATION,
    Facility::LAUNCH_BROWSER,
    Facility::LOCAL_INFORMATION_ACCESS_TECHNOLOGY,
    Facility::OPEN_CHANNEL,
    Facility::CLOSE_CHANNEL,
    Facility::RECEIVE_DATA,
    Facility::SEND_DATA,
    Facility::GET_CHANNEL_STATUS,
    Facility::SERVICE_SEARCH,
    Facility::GET_SERVICE_INFORMATION,
    Facility::DECLARE_SERVICE,
    Facility::CSD,
    Facility::GPRS,
    Facility::BLUETOOTH,
    Facility::IRDA,
    Facility::RS232,
    Facility::TCP_CLIENT_REMOTE,
    Facility::UDP_CLIENT_REMOTE,
    Facility::TCP_SERVER,
    Facility::TCP_CLIENT_LOCAL,
    Facility::UDP_CLIENT_LOCAL,
    Facility::DIRECT_CHANNEL,
    Facility::E_UTRAN,
    Facility::HSDPA,
];

/// The name of bit `bit` (1 = b1) of byte `byte` (1-based), if [`FACILITIES`] has it.
pub fn name_of(byte: u8, bit: u8) -> Option<&'static str> {
    FACILITIES
        .iter()
        .find(|f| f.byte == byte && f.bit == bit)
        .map(|f| f.name)
}

/// A terminal profile as the terminal sent it (TS 102 223 §5.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerminalProfile {
    bytes: Vec<u8>,
}

impl TerminalProfile {
    pub fn new(bytes: impl Into<Vec<u8>>) -> TerminalProfile {
        TerminalProfile {
            bytes: bytes.into(),
        }
    }

    /// The bytes as received.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether the terminal declares `facility`; a byte it did not send declares
    /// nothing.
    pub fn supports(&self, facility: Facility) -> bool {
        let byte = usize::from(facility.byte);
        let bit = facility.bit.clamp(1, 8) - 1;
        byte >= 1
            && self
                .bytes
                .get(byte - 1)
                .is_some_and(|value| value & (1 << bit) != 0)
    }

    /// Number of BIP channels the terminal supports (byte 13 b8–b6, 0 to 7).
    pub fn channels(&self) -> u8 {
        self.bytes.get(12).map_or(0, |b| b >> 5)
    }

    /// One child per byte; the bytes [`FACILITIES`] covers name the facilities the
    /// terminal declares. Path `terminal_profile`, offsets from the first byte.
    pub fn describe(&self) -> Field {
        let mut root = Field::new("terminal_profile", "Terminal profile", 0, self.bytes.len())
            .with_value(format!("{} byte(s)", self.bytes.len()))
            .with_note("TS 102 223 §5.2: one bit per facility the terminal supports");
        for (i, byte) in self.bytes.iter().enumerate() {
            let number = i + 1;
            let named: Vec<&Facility> = FACILITIES
                .iter()
                .filter(|f| usize::from(f.byte) == number)
                .collect();
            let mut note = String::new();
            if !named.is_empty() {
                let set: Vec<&str> = named
                    .iter()
                    .filter(|f| self.supports(***f))
                    .map(|f| f.name)
                    .collect();
                note = if set.is_empty() {
                    "none of this byte's facilities".into()
                } else {
                    set.join(", ")
                };
                if number == 13 {
                    note.push_str(&format!("; {} channel(s) supported (b8-b6)", byte >> 5));
                }
            }
            root.child(&format!("byte_{number}"), format!("Byte {number}"), i, 1)
                .with_value(format!("{byte:02X}"))
                .with_note(note);
        }
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::cat::CommandType;

    #[test]
    fn missing_bytes_declare_nothing() {
        let profile = TerminalProfile::new([0xFF]);
        assert!(profile.supports(Facility::PROFILE_DOWNLOAD));
        assert!(!profile.supports(Facility::OPEN_CHANNEL));
        assert_eq!(profile.channels(), 0);
    }

    #[test]
    fn reads_bip_bits_and_channel_count() {
        let mut bytes = [0u8; 17];
        bytes[11] = 0x01; // OPEN CHANNEL
        bytes[12] = 0x42; // GPRS, 2 channels
        bytes[16] = 0x04; // TCP, UICC in server mode
        let profile = TerminalProfile::new(bytes);
        assert!(profile.supports(Facility::OPEN_CHANNEL));
        assert!(!profile.supports(Facility::CLOSE_CHANNEL));
        assert!(profile.supports(Facility::GPRS));
        assert!(profile.supports(Facility::TCP_SERVER));
        assert!(!profile.supports(Facility::TCP_CLIENT_REMOTE));
        assert_eq!(profile.channels(), 2);
    }

    #[test]
    fn maps_events_to_bytes_5_and_6() {
        assert_eq!(
            Facility::for_event(Event::DATA_AVAILABLE),
            Some(Facility::DATA_AVAILABLE_EVENT)
        );
        assert_eq!(
            Facility::for_event(Event::CHANNEL_STATUS),
            Some(Facility::CHANNEL_STATUS_EVENT)
        );
        assert_eq!(
            Facility::for_event(Event(0x00)).map(|f| (f.byte, f.bit)),
            Some((5, 2))
        );
        assert_eq!(Facility::for_event(Event(0x0F)), None);
    }

    #[test]
    fn maps_qualified_commands_by_qualifier() {
        let details = |command_type, qualifier| CommandDetails {
            number: 1,
            command_type,
            qualifier,
        };
        assert_eq!(
            Facility::for_command(details(CommandType::PROVIDE_LOCAL_INFORMATION, 0x03)),
            Some(Facility::LOCAL_INFORMATION_DATE_TIME)
        );
        assert_eq!(
            Facility::for_command(details(CommandType::TIMER_MANAGEMENT, 0x02)),
            Some(Facility::TIMER_GET_VALUE)
        );
        assert_eq!(
            Facility::for_command(details(CommandType::TIMER_MANAGEMENT, 0x03)),
            None
        );
        assert_eq!(
            Facility::for_command(details(CommandType::END_OF_PROACTIVE_SESSION, 0)),
            None
        );
    }

    #[test]
    fn every_facility_is_listed_once_in_byte_order() {
        for pair in FACILITIES.windows(2) {
            assert!(
                (pair[0].byte, pair[0].bit) < (pair[1].byte, pair[1].bit),
                "{pair:?}"
            );
        }
        assert!(FACILITIES.iter().all(|f| (1..=8).contains(&f.bit)));
    }
}
