//! Status words SW1 SW2 that end every response APDU: ISO/IEC 7816-4 §5.6 and the UICC
//! coding of ETSI TS 102 221 §10.2.1, with the application-specific codes of 3GPP
//! TS 31.102 §7.3 (USIM) and the GSM-only `9FXX`/`9EXX` of 3GPP TS 51.011 §9.4 where a
//! learner may meet them.

use serde::{Deserialize, Serialize};

/// A status word, SW1 in the high byte: `StatusWord(0x9000)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StatusWord(pub u16);

impl StatusWord {
    // TS 102 221 §10.2.1.1 normal processing, §10.2.1.2 postponed processing.
    /// `90 00` Normal ending of the command.
    pub const NO_ERROR: Self = Self(0x9000);
    /// `93 00` SIM Application Toolkit is busy; further normal commands are allowed.
    pub const TOOLKIT_BUSY: Self = Self(0x9300);

    // TS 102 221 §10.2.1.3 warnings.
    /// `62 00` Warning: no information given, state of non-volatile memory unchanged.
    pub const WARNING_NO_INFORMATION: Self = Self(0x6200);
    /// `62 81` Part of returned data may be corrupted.
    pub const DATA_MAY_BE_CORRUPTED: Self = Self(0x6281);
    /// `62 82` End of file/record reached before reading Le bytes or unsuccessful search.
    pub const END_OF_FILE_REACHED: Self = Self(0x6282);
    /// `62 83` Selected file invalidated/disabled.
    pub const SELECTED_FILE_INVALIDATED: Self = Self(0x6283);
    /// `62 84` Selected file in termination state.
    pub const SELECTED_FILE_TERMINATED: Self = Self(0x6284);
    /// `62 F1` More data available.
    pub const MORE_DATA_AVAILABLE: Self = Self(0x62F1);
    /// `62 F2` More data available and proactive command pending.
    pub const MORE_DATA_AVAILABLE_PROACTIVE_PENDING: Self = Self(0x62F2);
    /// `62 F3` Response data available.
    pub const RESPONSE_DATA_AVAILABLE: Self = Self(0x62F3);
    /// `63 F1` More data expected.
    pub const MORE_DATA_EXPECTED: Self = Self(0x63F1);
    /// `63 F2` More data expected and proactive command pending.
    pub const MORE_DATA_EXPECTED_PROACTIVE_PENDING: Self = Self(0x63F2);

    // TS 102 221 §10.2.1.4 execution errors.
    /// `64 00` Execution error: no information given, non-volatile memory unchanged.
    pub const EXECUTION_ERROR: Self = Self(0x6400);
    /// `65 00` Execution error: no information given, non-volatile memory changed.
    pub const EXECUTION_ERROR_MEMORY_CHANGED: Self = Self(0x6500);
    /// `65 81` Memory problem.
    pub const MEMORY_PROBLEM: Self = Self(0x6581);

    // TS 102 221 §10.2.1.5 checking errors.
    /// `67 00` Wrong length.
    pub const WRONG_LENGTH: Self = Self(0x6700);
    /// `68 00` Function in CLA not supported, no information given.
    pub const CLA_FUNCTION_NOT_SUPPORTED: Self = Self(0x6800);
    /// `68 81` Logical channel not supported.
    pub const LOGICAL_CHANNEL_NOT_SUPPORTED: Self = Self(0x6881);
    /// `68 82` Secure messaging not supported.
    pub const SECURE_MESSAGING_NOT_SUPPORTED: Self = Self(0x6882);
    /// `69 00` Command not allowed, no information given.
    pub const COMMAND_NOT_ALLOWED: Self = Self(0x6900);
    /// `69 81` Command incompatible with file structure.
    pub const INCOMPATIBLE_FILE_STRUCTURE: Self = Self(0x6981);
    /// `69 82` Security status not satisfied.
    pub const SECURITY_STATUS_NOT_SATISFIED: Self = Self(0x6982);
    /// `69 83` Authentication/PIN method blocked.
    pub const AUTHENTICATION_METHOD_BLOCKED: Self = Self(0x6983);
    /// `69 84` Referenced data invalidated.
    pub const REFERENCED_DATA_INVALIDATED: Self = Self(0x6984);
    /// `69 85` Conditions of use not satisfied.
    pub const CONDITIONS_NOT_SATISFIED: Self = Self(0x6985);
    /// `69 86` Command not allowed (no EF selected).
    pub const COMMAND_NOT_ALLOWED_NO_EF: Self = Self(0x6986);
    /// `69 89` Command not allowed — secure channel — security not satisfied.
    pub const SECURE_CHANNEL_SECURITY_NOT_SATISFIED: Self = Self(0x6989);
    /// `6A 80` Incorrect parameters in the data field.
    pub const INCORRECT_DATA: Self = Self(0x6A80);
    /// `6A 81` Function not supported.
    pub const FUNCTION_NOT_SUPPORTED: Self = Self(0x6A81);
    /// `6A 82` File not found (ISO/IEC 7816-4: "file or application not found").
    pub const FILE_NOT_FOUND: Self = Self(0x6A82);
    /// `6A 83` Record not found.
    pub const RECORD_NOT_FOUND: Self = Self(0x6A83);
    /// `6A 84` Not enough memory space.
    pub const NOT_ENOUGH_MEMORY: Self = Self(0x6A84);
    /// `6A 86` Incorrect parameters P1 to P2.
    pub const INCORRECT_P1_P2: Self = Self(0x6A86);
    /// `6A 87` Lc inconsistent with P1 to P2.
    pub const LC_INCONSISTENT_WITH_P1_P2: Self = Self(0x6A87);
    /// `6A 88` Referenced data not found.
    pub const REFERENCED_DATA_NOT_FOUND: Self = Self(0x6A88);
    /// `6B 00` Wrong parameter(s) P1-P2.
    pub const WRONG_P1_P2: Self = Self(0x6B00);
    /// `6D 00` Instruction code not supported or invalid.
    pub const INS_NOT_SUPPORTED: Self = Self(0x6D00);
    /// `6E 00` Class not supported.
    pub const CLA_NOT_SUPPORTED: Self = Self(0x6E00);
    /// `6F 00` Technical problem, no precise diagnosis.
    pub const NO_PRECISE_DIAGNOSIS: Self = Self(0x6F00);

    // TS 102 221 §10.2.1.6 application errors; TS 31.102 §7.3 for the USIM wording.
    /// `98 50` INCREASE cannot be performed, max value reached.
    pub const MAX_VALUE_REACHED: Self = Self(0x9850);
    /// `98 62` Authentication error, application specific (USIM: incorrect MAC).
    pub const AUTHENTICATION_ERROR: Self = Self(0x9862);
    /// `98 63` Security session or association expired.
    pub const SECURITY_SESSION_EXPIRED: Self = Self(0x9863);

    /// The status word `sw1 sw2`.
    pub const fn new(sw1: u8, sw2: u8) -> Self {
        Self(u16::from_be_bytes([sw1, sw2]))
    }

    /// SW1, the high byte.
    pub const fn sw1(self) -> u8 {
        self.0.to_be_bytes()[0]
    }

    /// SW2, the low byte.
    pub const fn sw2(self) -> u8 {
        self.0.to_be_bytes()[1]
    }

    /// SW1 SW2 as they go on the wire.
    pub const fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }

    /// The status word from its two wire bytes.
    pub const fn from_bytes(b: [u8; 2]) -> Self {
        Self(u16::from_be_bytes(b))
    }

    /// `61 XX`: `n` response bytes still available (fetch them with GET RESPONSE).
    pub const fn bytes_available(n: u8) -> Self {
        Self::new(0x61, n)
    }

    /// `91 XX`: normal ending, a proactive command of `n` bytes is pending (FETCH it).
    pub const fn proactive_command_pending(n: u8) -> Self {
        Self::new(0x91, n)
    }

    /// `6C XX`: wrong Le; `n` is the exact length to ask for.
    pub const fn wrong_le(n: u8) -> Self {
        Self::new(0x6C, n)
    }

    /// `63 CX`: counter value `n` (for PIN commands, verification failed with `n`
    /// retries left); `n` is clamped to 15.
    pub const fn tries_left(n: u8) -> Self {
        let n = if n > 15 { 15 } else { n };
        Self::new(0x63, 0xC0 | n)
    }

    /// Whether the command ended normally: `90 00`, `61 XX`, `91 XX` or `92 XX`
    /// (TS 102 221 §10.2.1.1 and the `61 XX` of §10.2.1 for correctly executed
    /// commands).
    pub fn is_normal(self) -> bool {
        self.0 == 0x9000 || matches!(self.sw1(), 0x61 | 0x91 | 0x92)
    }

    /// What the standard says this status word means, in its own words where it has
    /// them. Status words whose SW2 is a parameter start with the two bytes, e.g.
    /// `91 0F: normal ending, proactive command of 15 bytes pending`. Values no
    /// standard assigns give `unknown status word`.
    pub fn meaning(self) -> String {
        if let Some(fixed) = self.fixed_meaning() {
            return fixed.to_string();
        }
        let (sw1, sw2) = (self.sw1(), self.sw2());
        let text = match sw1 {
            0x61 => format!("response bytes still available: {}", le_count(sw2)),
            0x91 => format!(
                "normal ending, proactive command of {} bytes pending",
                le_count(sw2)
            ),
            0x92 => format!(
                "normal ending of the command, with extra information concerning an ongoing data transfer session ({sw2:02X})"
            ),
            0x6C => format!("wrong length Le: the exact length is {}", le_count(sw2)),
            0x63 if sw2 & 0xF0 == 0xC0 => {
                let x = sw2 & 0x0F;
                format!(
                    "counter X = {x}: for PIN commands, verification failed, {x} retries remaining; otherwise command successful but after using an internal update retry routine {x} times"
                )
            }
            0x67 | 0x6F => {
                "the interpretation of this status word is command dependent".to_string()
            }
            0x9F => format!(
                "GSM SIM (TS 51.011): command ended normally, {} response bytes available",
                le_count(sw2)
            ),
            0x9E => format!(
                "GSM SIM (TS 51.011): data download error, {} response bytes available",
                le_count(sw2)
            ),
            _ => return "unknown status word".to_string(),
        };
        format!("{sw1:02X} {sw2:02X}: {text}")
    }

    /// The meaning of status words with a fixed SW2, in TS 102 221 §10.2.1 words.
    fn fixed_meaning(self) -> Option<&'static str> {
        Some(match self.0 {
            0x9000 => "Normal ending of the command",
            0x9300 => "SIM Application Toolkit is busy. Command cannot be executed at present, further normal commands are allowed",
            0x6200 => "No information given, state of non-volatile memory unchanged",
            0x6281 => "Part of returned data may be corrupted",
            0x6282 => "End of file/record reached before reading Le bytes or unsuccessful search",
            0x6283 => "Selected file invalidated/disabled; needs to be activated before use",
            0x6284 => "Selected file in termination state",
            0x62F1 => "More data available",
            0x62F2 => "More data available and proactive command pending",
            0x62F3 => "Response data available",
            0x63F1 => "More data expected",
            0x63F2 => "More data expected and proactive command pending",
            0x6400 => "No information given, state of non-volatile memory unchanged",
            0x6500 => "No information given, state of non-volatile memory changed",
            0x6581 => "Memory problem",
            0x6700 => "Wrong length",
            0x6800 => "Functions in CLA not supported: no information given",
            0x6881 => "Logical channel not supported",
            0x6882 => "Secure messaging not supported",
            0x6900 => "Command not allowed: no information given",
            0x6981 => "Command incompatible with file structure",
            0x6982 => "Security status not satisfied",
            0x6983 => "Authentication/PIN method blocked",
            0x6984 => "Referenced data invalidated",
            0x6985 => "Conditions of use not satisfied",
            0x6986 => "Command not allowed (no EF selected)",
            0x6989 => "Command not allowed - secure channel - security not satisfied",
            0x6A80 => "Incorrect parameters in the data field",
            0x6A81 => "Function not supported",
            0x6A82 => "File not found",
            0x6A83 => "Record not found",
            0x6A84 => "Not enough memory space",
            0x6A86 => "Incorrect parameters P1 to P2",
            0x6A87 => "Lc inconsistent with P1 to P2",
            0x6A88 => "Referenced data not found",
            0x6B00 => "Wrong parameter(s) P1-P2",
            0x6D00 => "Instruction code not supported or invalid",
            0x6E00 => "Class not supported",
            0x6F00 => "Technical problem, no precise diagnosis",
            0x9850 => "INCREASE cannot be performed, max value reached",
            0x9862 => "Authentication error, application specific (USIM, TS 31.102: authentication error, incorrect MAC)",
            0x9863 => "Security session or association expired",
            0x9864 => "Minimum UICC suspension time is too long (USIM, TS 31.102: authentication error, security context not supported)",
            0x9865 => "Key freshness failure (USIM, TS 31.102)",
            0x9866 => "Authentication error, no memory space available (USIM, TS 31.102)",
            0x9867 => "Authentication error, no memory space available in EF MUK (USIM, TS 31.102)",
            _ => return None,
        })
    }
}

/// A one-byte count where `00` stands for 256 (short Le coding, ISO/IEC 7816-4 §5.1).
fn le_count(n: u8) -> u16 {
    if n == 0 {
        256
    } else {
        u16::from(n)
    }
}

impl From<u16> for StatusWord {
    fn from(value: u16) -> Self {
        StatusWord(value)
    }
}

impl From<StatusWord> for u16 {
    fn from(sw: StatusWord) -> Self {
        sw.0
    }
}

impl std::fmt::Display for StatusWord {
    /// `90 00`, as engineers write it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02X} {:02X}", self.sw1(), self.sw2())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_word_round_trips_and_has_a_meaning() {
        for v in 0..=u16::MAX {
            let sw = StatusWord::from(v);
            assert_eq!(StatusWord::from_bytes(sw.to_bytes()), sw);
            assert_eq!(StatusWord::new(sw.sw1(), sw.sw2()), sw);
            assert_eq!(u16::from(sw), v);
            assert!(!sw.meaning().is_empty());
        }
    }

    #[test]
    fn constructors_build_parametric_status_words() {
        assert_eq!(StatusWord::bytes_available(0x10).to_bytes(), [0x61, 0x10]);
        assert_eq!(
            StatusWord::proactive_command_pending(0x0F).to_bytes(),
            [0x91, 0x0F]
        );
        assert_eq!(StatusWord::wrong_le(0x20).to_bytes(), [0x6C, 0x20]);
        assert_eq!(StatusWord::tries_left(3).to_bytes(), [0x63, 0xC3]);
        assert_eq!(StatusWord::tries_left(99).to_bytes(), [0x63, 0xCF]);
    }

    #[test]
    fn meanings_use_the_standards_words() {
        assert_eq!(
            StatusWord::NO_ERROR.meaning(),
            "Normal ending of the command"
        );
        assert_eq!(
            StatusWord::proactive_command_pending(0x0F).meaning(),
            "91 0F: normal ending, proactive command of 15 bytes pending"
        );
        assert_eq!(
            StatusWord::bytes_available(0).meaning(),
            "61 00: response bytes still available: 256"
        );
        assert!(StatusWord::AUTHENTICATION_ERROR
            .meaning()
            .contains("incorrect MAC"));
        assert!(StatusWord::tries_left(2)
            .meaning()
            .contains("2 retries remaining"));
        assert_eq!(StatusWord(0x1234).meaning(), "unknown status word");
        assert_eq!(StatusWord(0x9001).meaning(), "unknown status word");
    }

    #[test]
    fn normal_processing_is_9000_61xx_91xx_92xx() {
        assert!(StatusWord::NO_ERROR.is_normal());
        assert!(StatusWord::bytes_available(5).is_normal());
        assert!(StatusWord::proactive_command_pending(0x20).is_normal());
        assert!(StatusWord(0x9201).is_normal());
        assert!(!StatusWord::TOOLKIT_BUSY.is_normal());
        assert!(!StatusWord::WRONG_LENGTH.is_normal());
        assert!(!StatusWord(0x9001).is_normal());
    }

    #[test]
    fn displays_as_spaced_hex() {
        assert_eq!(StatusWord::FILE_NOT_FOUND.to_string(), "6A 82");
    }

    #[test]
    fn serializes_as_a_plain_number() {
        assert_eq!(
            serde_json::to_string(&StatusWord::NO_ERROR).unwrap(),
            "36864"
        );
    }
}
