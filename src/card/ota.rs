//! The card's OTA receiving entity: what a UICC does with a secured command packet
//! (ETSI TS 102 225 §5, 3GPP TS 31.115), as one pure function, [`receive`].
//!
//! ```text
//!  packet ─▶ header well formed? ──no──▶ 06 ┐
//!            codings usable?       ──no──▶ 06 │  depend on the packet only
//!            ciphertext in blocks? ──no──▶ 05 ┘
//!            TAR known?            ──no──▶ 09 ┐  seen outside as 01: "could not
//!            SPI ≥ TAR's minimum?  ──no──▶ 0A │  authenticate", identical bytes
//!            keys for KIc/KID?     ──no──▶ 01 │  for all three
//!            decipher, CC equal?   ──no──▶ 01 ┘  (constant-time comparison)
//!            PCNTR ≤ data?         ──no──▶ 06    (only now: no padding oracle)
//!            counter as SPI asks?  ──no──▶ 02 low / 03 high / 04 blocked
//!            ──▶ Accepted: data for the application, counter to persist,
//!                PoR built from the execution's response data
//! ```
//!
//! Nothing is stored here: the counter a packet moves to comes back in the receipt
//! ([`Accepted::new_counter`]) and the card persists it through its journal. The
//! counter only moves once the packet has authenticated and passed the counter check.
//!
//! # Design decisions (security)
//!
//! * **No TAR without authentication.** A [`TarTable`] refuses a minimum security level
//!   below a cryptographic checksum: level 0 (no security) and a redundancy check alone
//!   (a CRC anyone can compute) would both let anyone run commands on that TAR — the
//!   second 2013 OTA attack.
//! * **A packet that fails never gets a protected PoR.** Every rejection PoR is sent
//!   unciphered, with no RC/CC/DS, CNTR and PCNTR zero, no additional data: the form TS
//!   102 225 §5.2.2 prescribes for status `06`, applied to every error. A card that
//!   answered a forged packet with a PoR checksummed with its key handed the forger a
//!   known-plaintext/MAC pair to brute-force single DES keys with (the first 2013
//!   attack); a card that echoed the deciphered CNTR of a forged packet would be a
//!   decryption oracle. Replayed packets (02/03/04) get the same unprotected form: the
//!   replayer does not hold the key either.
//! * **Unknown TAR and bad checksum look the same.** Both (and a KIc/KID naming a key
//!   version or algorithm the card does not hold) answer status `01` "RC/CC/DS failed":
//!   from outside, a TAR the card does not have is indistinguishable from a TAR whose
//!   key the sender does not have — both mean "this packet could not be authenticated",
//!   which is true in either case, whereas answering `09` for a bad checksum would be a
//!   lie. The PoR bytes are identical (same TAR echoed, everything else zero). Inside,
//!   [`Rejection::status`] keeps the standard's code (`09`) for the event log.
//!   A residual: a packet below a known TAR's minimum security level still gets `0A`,
//!   so probing with a weak SPI tells a configured TAR from an absent one; TAR values
//!   are public (TS 101 220 annex D), the keys are not.
//! * **PoR for accepted packets** is secured exactly as the SPI's second byte asks, with
//!   the same keys, echoing the command's counter (see [`Accepted::por`]).

use crate::card::storage::Stored;
use crate::wire::ota::coding::key_version;
use crate::wire::ota::{
    secure_response, unsecured_response, CcKey, Check, CipherKey, CommandPacket, CounterMode,
    Integrity, KeySet, PorRequest, PorStatus, PorVia, ResponseParams, SecurityError, Spi, Tar,
    COUNTER_MAX,
};
use crate::wire::DecodeError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The least protection a TAR accepts (the minimum security level of TS 102 226
/// §8.2.1.3.2.4.2), coded like the first SPI byte: a packet meets it when its integrity
/// is at least as strong (none < RC < CC < DS), it is ciphered if the level asks for
/// ciphering, and its counter mode is at least as strict (none < available < higher <
/// one higher).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinimumSecurityLevel {
    pub integrity: Integrity,
    pub ciphering: bool,
    pub counter: CounterMode,
}

impl MinimumSecurityLevel {
    /// From an MSL byte (b5–b1 as in SPI byte 1; b8–b6 ignored).
    pub fn from_byte(byte: u8) -> MinimumSecurityLevel {
        let spi = Spi::new(byte, 0);
        MinimumSecurityLevel {
            integrity: spi.integrity(),
            ciphering: spi.ciphering(),
            counter: spi.counter(),
        }
    }

    /// The MSL byte.
    pub fn byte(self) -> u8 {
        self.integrity.bits() | (u8::from(self.ciphering) << 2) | (self.counter.bits() << 3)
    }

    /// Whether a command with this SPI is protected at least this much.
    pub fn is_met_by(self, spi: Spi) -> bool {
        spi.integrity().rank() >= self.integrity.rank()
            && (spi.ciphering() || !self.ciphering)
            && spi.counter().rank() >= self.counter.rank()
    }
}

impl fmt::Display for MinimumSecurityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02X} ({}{}, {})",
            self.byte(),
            self.integrity.name(),
            if self.ciphering { ", ciphered" } else { "" },
            self.counter.name()
        )
    }
}

/// One application reachable over the air.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TarEntry {
    pub tar: Tar,
    pub minimum_security: MinimumSecurityLevel,
}

/// The keys the card holds under one key version number (b8–b5 of KIc and KID, TS 102
/// 225 §5.1.2–5.1.3): the KIc key is looked up by the KIc byte's version, the KID key
/// by the KID byte's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyVersion {
    /// 1 to 15.
    pub version: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kic: Option<CipherKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<CcKey>,
}

/// The TARs a card answers to and the key sets it holds. Built only through
/// [`TarTable::new`] (also when deserialized), which enforces the rules below.
/// The default table is empty: no TAR, no key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TarTableData", into = "TarTableData")]
pub struct TarTable {
    tars: Vec<TarEntry>,
    key_sets: Vec<KeyVersion>,
}

/// The serialized form of a [`TarTable`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TarTableData {
    pub tars: Vec<TarEntry>,
    pub key_sets: Vec<KeyVersion>,
}

/// Why a TAR table cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// The minimum security level does not demand a cryptographic checksum.
    NoAuthentication {
        tar: Tar,
        level: MinimumSecurityLevel,
    },
    /// The minimum security level demands a digital signature, which is not supported.
    DigitalSignature {
        tar: Tar,
    },
    DuplicateTar(Tar),
    BadKeyVersion {
        version: u8,
        problem: &'static str,
    },
    BadKey {
        version: u8,
        error: SecurityError,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NoAuthentication { tar, level } => write!(
                f,
                "TAR {tar}: minimum security level {level} lets unauthenticated commands in; at least a cryptographic checksum is required"
            ),
            ConfigError::DigitalSignature { tar } => write!(
                f,
                "TAR {tar}: a minimum security level of digital signature cannot be met (not supported)"
            ),
            ConfigError::DuplicateTar(tar) => write!(f, "TAR {tar} appears twice"),
            ConfigError::BadKeyVersion { version, problem } => {
                write!(f, "key version {version}: {problem}")
            }
            ConfigError::BadKey { version, error } => write!(f, "key version {version}: {error}"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl TarTable {
    /// Checks and builds a table: every TAR's minimum security level demands at least a
    /// cryptographic checksum (so never level 0) and no digital signature; TARs are
    /// unique; key versions are 1–15 and unique; every key fits its algorithm and no
    /// triple DES key is single DES in disguise.
    pub fn new(tars: Vec<TarEntry>, key_sets: Vec<KeyVersion>) -> Result<TarTable, ConfigError> {
        for (i, entry) in tars.iter().enumerate() {
            let level = entry.minimum_security;
            if level.integrity == Integrity::DigitalSignature {
                return Err(ConfigError::DigitalSignature { tar: entry.tar });
            }
            if level.integrity.rank() < Integrity::CryptographicChecksum.rank() {
                return Err(ConfigError::NoAuthentication {
                    tar: entry.tar,
                    level,
                });
            }
            if tars[..i].iter().any(|e| e.tar == entry.tar) {
                return Err(ConfigError::DuplicateTar(entry.tar));
            }
        }
        for (i, set) in key_sets.iter().enumerate() {
            if !(1..=15).contains(&set.version) {
                return Err(ConfigError::BadKeyVersion {
                    version: set.version,
                    problem: "must be 1 to 15",
                });
            }
            if key_sets[..i].iter().any(|s| s.version == set.version) {
                return Err(ConfigError::BadKeyVersion {
                    version: set.version,
                    problem: "appears twice",
                });
            }
            let checks = [
                set.kic.as_ref().map(CipherKey::check),
                set.kid.as_ref().map(CcKey::check),
            ];
            for check in checks.into_iter().flatten() {
                check.map_err(|error| ConfigError::BadKey {
                    version: set.version,
                    error,
                })?;
            }
        }
        Ok(TarTable { tars, key_sets })
    }

    /// The entry for `tar`.
    pub fn get(&self, tar: Tar) -> Option<&TarEntry> {
        self.tars.iter().find(|e| e.tar == tar)
    }

    pub fn tars(&self) -> &[TarEntry] {
        &self.tars
    }

    pub fn key_sets(&self) -> &[KeyVersion] {
        &self.key_sets
    }

    fn key_set(&self, version: u8) -> Option<&KeyVersion> {
        self.key_sets.iter().find(|s| s.version == version)
    }

    /// The keys a packet's KIc and KID bytes name: the KIc key from the KIc byte's key
    /// version, the KID key from the KID byte's (either absent when not held).
    pub fn keys_for(&self, kic: u8, kid: u8) -> KeySet {
        KeySet {
            kic: self.key_set(key_version(kic)).and_then(|s| s.kic.clone()),
            kid: self.key_set(key_version(kid)).and_then(|s| s.kid.clone()),
        }
    }
}

impl TryFrom<TarTableData> for TarTable {
    type Error = ConfigError;

    fn try_from(data: TarTableData) -> Result<Self, Self::Error> {
        TarTable::new(data.tars, data.key_sets)
    }
}

impl From<TarTable> for TarTableData {
    fn from(table: TarTable) -> Self {
        TarTableData {
            tars: table.tars,
            key_sets: table.key_sets,
        }
    }
}

/// The counter the card holds per TAR (the receiving entity's RE value of TS 102 225
/// §5.1.1); 0 for a TAR never used.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CounterState {
    counters: BTreeMap<Tar, u64>,
}

impl CounterState {
    pub fn new() -> CounterState {
        CounterState::default()
    }

    /// The counter for `tar`.
    pub fn get(&self, tar: Tar) -> u64 {
        self.counters.get(&tar).copied().unwrap_or(0)
    }

    /// Sets the counter for `tar` (what the card does when its journal commits).
    pub fn set(&mut self, tar: Tar, value: u64) {
        self.counters.insert(tar, value.min(COUNTER_MAX));
    }

    /// Applies the counter an accepted packet moved to, if any. A counter never goes
    /// back: a value not above the one held changes nothing.
    pub fn apply(&mut self, accepted: &Accepted) {
        if let Some(value) = accepted.new_counter {
            if value > self.get(accepted.tar) {
                self.set(accepted.tar, value);
            }
        }
    }

    /// Every TAR with a counter, and its value, in TAR order.
    pub fn entries(&self) -> impl Iterator<Item = (Tar, u64)> + '_ {
        self.counters.iter().map(|(tar, value)| (*tar, *value))
    }

    /// Every TAR of `table` at the maximum, so that each packet counted there is
    /// refused with `04` (counter blocked): what a card must assume when its counters
    /// cannot be read, rather than start again from 0 and accept replays.
    pub fn blocked(table: &TarTable) -> CounterState {
        let mut state = CounterState::new();
        for entry in table.tars() {
            state.set(entry.tar, COUNTER_MAX);
        }
        state
    }
}

impl Stored for CounterState {
    /// `TAR (3 bytes) ‖ counter (5 bytes, big-endian)` per TAR, in TAR order.
    fn encode(&self) -> Vec<u8> {
        self.entries()
            .flat_map(|(tar, value)| {
                let mut bytes = tar.0.to_vec();
                bytes.extend_from_slice(&crate::wire::ota::counter_bytes(value));
                bytes
            })
            .collect()
    }

    fn decode(bytes: &[u8]) -> Option<CounterState> {
        if bytes.len() % 8 != 0 {
            return None;
        }
        let mut state = CounterState::new();
        for record in bytes.chunks_exact(8) {
            let tar = Tar([record[0], record[1], record[2]]);
            if state.counters.contains_key(&tar) {
                return None;
            }
            state.set(tar, crate::wire::ota::counter_from(&record[3..]));
        }
        Some(state)
    }
}

/// A PoR ready to send: SMS user data (`02 71 00` then the response packet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Por {
    pub user_data: Vec<u8>,
    /// Where it goes, as SPI byte 2 b6 says.
    pub via: PorVia,
    pub status: PorStatus,
    /// Whether ciphering/RC/CC were applied as the SPI asked (only for accepted
    /// packets).
    pub secured: bool,
}

/// Why a packet was not accepted. Nothing was executed and no counter moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The header cannot be read: lengths (CPL, CHL), truncation.
    Malformed(DecodeError),
    /// A coding the card does not accept: single DES, DES-ECB, implicit or proprietary
    /// algorithm, digital signature, reserved value.
    Unsupported(SecurityError),
    /// The ciphered part is not a whole number of blocks.
    Ciphering(String),
    /// No such TAR.
    TarUnknown(Tar),
    /// The SPI is below the TAR's minimum security level.
    InsufficientSecurityLevel {
        tar: Tar,
        spi: Spi,
        required: MinimumSecurityLevel,
    },
    /// No key under the version KIc or KID names, or one for another algorithm.
    NoKey(SecurityError),
    /// The cryptographic checksum does not match.
    ChecksumFailed,
    /// Authenticated, but PCNTR announces more padding than there is data.
    BadPadding { pcntr: u8, available: usize },
    /// The counter is not above the card's (a replay), for counter modes 10 and 11.
    CounterLow { received: u64, stored: u64 },
    /// Counter mode 11: the counter skips ahead of the card's + 1.
    CounterHigh { received: u64, stored: u64 },
    /// The card's counter has reached its maximum.
    CounterBlocked,
}

impl Rejection {
    /// The status code TS 102 225 §5.2.2 gives this situation (for logs and the
    /// inspector).
    pub fn status(&self) -> PorStatus {
        match self {
            Rejection::Malformed(_) | Rejection::Unsupported(_) | Rejection::BadPadding { .. } => {
                PorStatus::UnidentifiedSecurityError
            }
            Rejection::Ciphering(_) => PorStatus::CipheringError,
            Rejection::TarUnknown(_) => PorStatus::TarUnknown,
            Rejection::InsufficientSecurityLevel { .. } => PorStatus::InsufficientSecurityLevel,
            Rejection::NoKey(_) | Rejection::ChecksumFailed => PorStatus::ChecksumFailed,
            Rejection::CounterLow { .. } => PorStatus::CounterLow,
            Rejection::CounterHigh { .. } => PorStatus::CounterHigh,
            Rejection::CounterBlocked => PorStatus::CounterBlocked,
        }
    }

    /// The status the PoR carries: [`Rejection::status`], except that an unknown TAR
    /// answers `01` like a bad checksum (see the module documentation).
    pub fn status_sent(&self) -> PorStatus {
        match self {
            Rejection::TarUnknown(_) => PorStatus::ChecksumFailed,
            other => other.status(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Malformed(error) => write!(f, "malformed command packet: {error}"),
            Rejection::Unsupported(error) => write!(f, "{error}"),
            Rejection::Ciphering(detail) => write!(f, "ciphering error: {detail}"),
            Rejection::TarUnknown(tar) => write!(f, "TAR {tar} unknown"),
            Rejection::InsufficientSecurityLevel { tar, spi, required } => write!(
                f,
                "SPI {:02X}{:02X} is below TAR {tar}'s minimum security level {required}",
                spi.0[0], spi.0[1]
            ),
            Rejection::NoKey(error) => write!(f, "no usable key: {error}"),
            Rejection::ChecksumFailed => write!(f, "cryptographic checksum failed"),
            Rejection::BadPadding { pcntr, available } => write!(
                f,
                "PCNTR {pcntr} is larger than the {available} byte(s) of secured data"
            ),
            Rejection::CounterLow { received, stored } => write!(
                f,
                "counter {received:010X} is not above the card's {stored:010X}: replay refused"
            ),
            Rejection::CounterHigh { received, stored } => write!(
                f,
                "counter {received:010X} is not exactly one above the card's {stored:010X}"
            ),
            Rejection::CounterBlocked => write!(f, "the card's counter is at its maximum: blocked"),
        }
    }
}

/// What the application reports after executing the secured data, for the PoR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Execution {
    /// `00` PoR OK.
    Done,
    /// `07` insufficient memory to process the incoming message.
    InsufficientMemory,
    /// `08` more time needed; a later PoR follows.
    MoreTime,
}

impl Execution {
    fn status(self) -> PorStatus {
        match self {
            Execution::Done => PorStatus::Ok,
            Execution::InsufficientMemory => PorStatus::InsufficientMemory,
            Execution::MoreTime => PorStatus::MoreTime,
        }
    }
}

/// An authenticated packet: its data for the application, and what the card must
/// persist and answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub tar: Tar,
    pub spi: Spi,
    pub kic: u8,
    pub kid: u8,
    /// CNTR as received.
    pub counter: u64,
    /// The counter value to persist for the TAR (modes 10 and 11), `None` when the
    /// counter mode keeps no state.
    pub new_counter: Option<u64>,
    /// The secured data, padding removed: the remote commands for the TAR.
    pub data: Vec<u8>,
    /// Checksum length, reused for an AES CMAC on the PoR.
    cc_len: Option<usize>,
    keys: KeySet,
}

impl Accepted {
    /// The PoR for a script that ran: status `00`, the execution's additional response
    /// data (for RFM/RAM the compact remote response of TS 102 226 §5.1.2), secured as
    /// the SPI's second byte asks. `None` unless the SPI asks for a PoR always (`01`):
    /// "PoR on error" refers to the status code, which is `00` here.
    pub fn por(&self, additional: &[u8]) -> Result<Option<Por>, SecurityError> {
        self.por_with(Execution::Done, additional)
    }

    /// The PoR for any outcome of the execution: `00`, `07` or `08`. A non-zero status
    /// is sent both when the SPI asks for a PoR always and only on error.
    pub fn por_with(
        &self,
        execution: Execution,
        additional: &[u8],
    ) -> Result<Option<Por>, SecurityError> {
        let status = execution.status();
        let wanted = match self.spi.por() {
            PorRequest::Always => true,
            PorRequest::OnError => status != PorStatus::Ok,
            PorRequest::None | PorRequest::Reserved => false,
        };
        if !wanted {
            return Ok(None);
        }
        let params = ResponseParams {
            spi: self.spi,
            kic: self.kic,
            kid: self.kid,
            tar: self.tar,
            counter: self.counter,
            status,
            cc_len: self.cc_len,
        };
        Ok(Some(Por {
            user_data: secure_response(&params, &self.keys, additional)?,
            via: self.spi.por_via(),
            status,
            secured: true,
        }))
    }
}

/// What the card made of one command packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Receipt {
    /// Authenticated and within the counter rules: execute [`Accepted::data`], persist
    /// [`Accepted::new_counter`], then send [`Accepted::por`].
    Accepted(Accepted),
    /// Refused: nothing to execute, nothing to persist; `por` is the unprotected PoR to
    /// send, if the SPI asked for one.
    Rejected {
        rejection: Rejection,
        por: Option<Por>,
    },
}

impl Receipt {
    /// The counter to persist, if any (only ever for an accepted packet).
    pub fn new_counter(&self) -> Option<(Tar, u64)> {
        match self {
            Receipt::Accepted(a) => a.new_counter.map(|c| (a.tar, c)),
            Receipt::Rejected { .. } => None,
        }
    }

    /// The status code of the situation (the PoR may say otherwise: see
    /// [`Rejection::status_sent`]); `00` for an accepted packet.
    pub fn status(&self) -> PorStatus {
        match self {
            Receipt::Accepted(_) => PorStatus::Ok,
            Receipt::Rejected { rejection, .. } => rejection.status(),
        }
    }

    pub fn accepted(&self) -> Option<&Accepted> {
        match self {
            Receipt::Accepted(a) => Some(a),
            Receipt::Rejected { .. } => None,
        }
    }
}

/// Processes one secured command packet (CPL to the end; reassembled first if it came
/// in concatenated SMS) against the card's TARs, keys and counters, in the order of TS
/// 102 225 §5 / TS 31.115 described in the module documentation. Pure: nothing is
/// stored; the receipt says what to execute, persist and send.
pub fn receive(packet: &[u8], tars: &TarTable, counters: &CounterState) -> Receipt {
    let header = match CommandPacket::parse(packet) {
        Ok(header) => header,
        Err(error) => return reject(Rejection::Malformed(error), clear_header(packet)),
    };
    let hint = Some((header.spi, header.tar));
    let codings = match header.codings() {
        Ok(codings) => codings,
        Err(SecurityError::Malformed(error)) => return reject(Rejection::Malformed(error), hint),
        Err(error) => return reject(Rejection::Unsupported(error), hint),
    };
    if header.spi.ciphering() {
        if let Some(cipher) = codings.cipher {
            let len = header.secured().len();
            if len % cipher.block_len() != 0 {
                return reject(
                    Rejection::Ciphering(format!(
                        "{len} ciphered bytes are not a whole number of {}-byte blocks",
                        cipher.block_len()
                    )),
                    hint,
                );
            }
        }
    }
    let Some(entry) = tars.get(header.tar) else {
        return reject(Rejection::TarUnknown(header.tar), hint);
    };
    if !entry.minimum_security.is_met_by(header.spi) {
        return reject(
            Rejection::InsufficientSecurityLevel {
                tar: header.tar,
                spi: header.spi,
                required: entry.minimum_security,
            },
            hint,
        );
    }
    let keys = tars.keys_for(header.kic, header.kid);
    if let Err(error) = check_keys(&codings, &keys) {
        return reject(Rejection::NoKey(error), hint);
    }
    let plain = match header.plaintext(&codings, &keys) {
        Ok(plain) => plain,
        Err(SecurityError::Ciphering(detail)) => return reject(Rejection::Ciphering(detail), hint),
        Err(error) => return reject(Rejection::NoKey(error), hint),
    };
    let cs = header.checksum_len();
    match header.expected_checksum(&codings, &plain, &keys) {
        Ok(Some(expected)) if crate::wire::ota::same_checksum(&expected, &plain[6..6 + cs]) => {}
        Ok(Some(_)) => return reject(Rejection::ChecksumFailed, hint),
        // Unreachable with a valid table (every TAR demands a CC), kept fail-safe.
        Ok(None) => return reject(Rejection::ChecksumFailed, hint),
        Err(error) => return reject(Rejection::NoKey(error), hint),
    }
    let pcntr = plain[5];
    let rest = &plain[6 + cs..];
    if usize::from(pcntr) > rest.len() {
        return reject(
            Rejection::BadPadding {
                pcntr,
                available: rest.len(),
            },
            hint,
        );
    }
    let received = crate::wire::ota::counter_from(&plain[..5]);
    let stored = counters.get(header.tar);
    let new_counter = match header.spi.counter() {
        CounterMode::None | CounterMode::Available => None,
        mode => {
            if stored >= COUNTER_MAX {
                return reject(Rejection::CounterBlocked, hint);
            }
            if received <= stored {
                return reject(Rejection::CounterLow { received, stored }, hint);
            }
            if mode == CounterMode::OneHigher && received != stored + 1 {
                return reject(Rejection::CounterHigh { received, stored }, hint);
            }
            Some(received)
        }
    };
    let cc_len = match codings.command_check {
        Check::Cc { len, .. } => Some(len),
        _ => None,
    };
    Receipt::Accepted(Accepted {
        tar: header.tar,
        spi: header.spi,
        kic: header.kic,
        kid: header.kid,
        counter: received,
        new_counter,
        data: rest[..rest.len() - usize::from(pcntr)].to_vec(),
        cc_len,
        keys,
    })
}

/// Checks that every key the command and its PoR need is there, for the algorithm the
/// packet names.
fn check_keys(codings: &crate::wire::ota::Codings, keys: &KeySet) -> Result<(), SecurityError> {
    if let Some(cipher) = codings.cipher {
        keys.cipher_key(cipher)?;
    }
    for check in [codings.command_check, codings.por_check] {
        if let Check::Cc { algorithm, .. } = check {
            keys.cc_key(algorithm)?;
        }
    }
    Ok(())
}

/// SPI and TAR read from a packet too malformed to parse, if its first 10 bytes exist.
fn clear_header(packet: &[u8]) -> Option<(Spi, Tar)> {
    let h = packet.get(..crate::wire::ota::CLEAR_HEADER_LEN)?;
    Some((Spi::new(h[3], h[4]), Tar([h[7], h[8], h[9]])))
}

/// A rejection with its unprotected PoR, if the SPI asks for one.
fn reject(rejection: Rejection, hint: Option<(Spi, Tar)>) -> Receipt {
    let por = hint.and_then(|(spi, tar)| {
        matches!(spi.por(), PorRequest::Always | PorRequest::OnError).then(|| {
            let status = rejection.status_sent();
            Por {
                user_data: unsecured_response(tar, status),
                via: spi.por_via(),
                status,
                secured: false,
            }
        })
    });
    Receipt::Rejected { rejection, por }
}

#[cfg(test)]
mod tests;
