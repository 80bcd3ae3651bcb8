//! The card profile: what makes one card different from another, in one readable TOML
//! file. The default is [`default_profile.toml`](Profile::DEFAULT_TOML), built into the
//! crate; [`Profile::from_toml`] reads others, [`Profile::to_toml`] saves one.
//!
//! Reading checks everything a card needs: hex that is hex and of the right length,
//! digits that are digits, no unknown fields (a misspelt key is an error, not a silent
//! default), and consistency ([`Profile::validate`]). Errors name the line and column, or
//! the field, in one line.
//!
//! Every value in the default profile is public test data (the keys are those of
//! 3GPP TS 35.208 test set 1); a profile is no place for real subscriber secrets.

use crate::card::ota::{
    ConfigError, KeyVersion, MinimumSecurityLevel, TarEntry as OtaTarEntry, TarTable,
};
use crate::card::security;
use crate::wire::hex;
use crate::wire::ota::{self, CcAlgorithm, CcKey, CipherAlgorithm, CipherKey, CounterMode, Tar};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A whole card profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The card's identity, stored in EF.ICCID (TS 102 221 §13.2).
    pub iccid: Iccid,
    pub usim: Usim,
    pub pin1: Pin1,
    pub adm1: Adm1,
    pub ota: Ota,
    pub scws: Scws,
    /// The USB UICC option (ETSI TS 102 600); off unless the profile turns it on.
    #[serde(default)]
    pub usb: Usb,
}

/// The card's own IP stack on the Inter-Chip USB interface (ETSI TS 102 600, IP over it
/// as in TS 102 483): when `enabled`, the card announces the interface in its ATR and
/// its SCWS listens on TCP 3516 at `address` from power-on, reached through the phone
/// without BIP (see [`crate::card::usb`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usb {
    pub enabled: bool,
    /// The card's IPv4 address on the point-to-point USB link: an IPv4 link-local
    /// address (RFC 3927) outside its reserved first and last 256, and not the phone's
    /// ([`crate::phone::usb::PHONE_USB_ADDRESS`]).
    #[serde(default = "Usb::default_address")]
    pub address: std::net::Ipv4Addr,
}

impl Usb {
    fn default_address() -> std::net::Ipv4Addr {
        crate::card::usb::DEFAULT_ADDRESS.into()
    }
}

impl Default for Usb {
    fn default() -> Usb {
        Usb {
            enabled: false,
            address: Usb::default_address(),
        }
    }
}

/// The USIM application (3GPP TS 31.102).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usim {
    /// Its AID: the 3GPP RID `A000000087`, application code `1002` (TS 101 220 annex E).
    pub aid: Aid,
    /// The application label in EF.DIR.
    pub label: String,
    /// The subscriber identity, in EF.IMSI (TS 31.102 §4.2.2).
    pub imsi: Imsi,
    /// Number of MNC digits in the IMSI, 2 or 3: byte 4 of EF.AD (TS 31.102 §4.2.18).
    pub mnc_length: u8,
    /// MILENAGE subscriber key K (3GPP TS 35.206).
    pub k: Hex<16>,
    /// MILENAGE operator variant OPc (3GPP TS 35.206).
    pub opc: Hex<16>,
}

/// PIN1 (key reference `01`) and its unblock key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pin1 {
    /// 4 to 8 digits.
    pub value: Pin,
    /// Tries before the PIN blocks, 1 to 15.
    pub tries: u8,
    /// 8 digits.
    pub puk: Puk,
    /// Tries before the PUK blocks, 1 to 15.
    pub puk_tries: u8,
}

/// ADM1 (key reference `0A`): the issuer's administrative key, 8 bytes of any value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adm1 {
    pub value: Hex<8>,
    /// Tries before the key blocks, 1 to 15.
    pub tries: u8,
}

/// Over-the-air security (ETSI TS 102 225): key sets and the applications reachable by
/// TAR. The card turns them into its [`crate::card::ota::TarTable`] once, when it is made
/// ([`Profile::tar_table`]); what each TAR runs is its [`Service`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ota {
    pub key_sets: Vec<KeySet>,
    pub tars: Vec<TarEntry>,
}

/// One key set, named by its key version number (KVN, the high nibble of KIc and KID,
/// TS 102 225 §5.1.2–5.1.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySet {
    /// 1 to 15.
    pub kvn: u8,
    /// Ciphering key.
    pub kic: OtaKey,
    /// Cryptographic checksum key.
    pub kid: OtaKey,
}

/// A key and its algorithm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtaKey {
    pub algorithm: Algorithm,
    pub key: HexBytes,
}

/// The algorithms KIc and KID can name (TS 102 225 §5.1.2–5.1.3): with KIc, ciphering in
/// CBC mode; with KID, the CBC-MAC (DES family) or CMAC (AES).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Algorithm {
    #[serde(rename = "des-cbc")]
    DesCbc,
    #[serde(rename = "3des-2key")]
    TripleDes2Key,
    #[serde(rename = "3des-3key")]
    TripleDes3Key,
    #[serde(rename = "aes")]
    Aes,
}

/// Why `des-cbc` is refused.
const SINGLE_DES: &str = "single DES (des-cbc) is refused: its 56-bit key is broken, and TS 102 225 dropped it in Release 8; use 3des-2key, 3des-3key or aes";

impl Algorithm {
    /// The ciphering algorithm (KIc) of this name; `None` for single DES, refused.
    pub fn cipher(self) -> Option<CipherAlgorithm> {
        match self {
            Algorithm::DesCbc => None,
            Algorithm::TripleDes2Key => Some(CipherAlgorithm::TripleDes2Key),
            Algorithm::TripleDes3Key => Some(CipherAlgorithm::TripleDes3Key),
            Algorithm::Aes => Some(CipherAlgorithm::Aes),
        }
    }

    /// The checksum algorithm (KID) of this name: the triple DES CBC-MAC or AES CMAC;
    /// `None` for single DES, refused.
    pub fn checksum(self) -> Option<CcAlgorithm> {
        match self {
            Algorithm::DesCbc => None,
            Algorithm::TripleDes2Key => Some(CcAlgorithm::TripleDes2Key),
            Algorithm::TripleDes3Key => Some(CcAlgorithm::TripleDes3Key),
            Algorithm::Aes => Some(CcAlgorithm::AesCmac),
        }
    }

    /// Key lengths in bytes the algorithm takes.
    pub fn key_lengths(self) -> &'static [usize] {
        match self {
            Algorithm::DesCbc => &[8],
            Algorithm::TripleDes2Key => &[16],
            Algorithm::TripleDes3Key => &[24],
            Algorithm::Aes => &[16, 24, 32],
        }
    }
}

/// An application reachable over the air, by its toolkit application reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TarEntry {
    /// The TAR, 3 bytes (TS 101 220 annex D).
    pub tar: Hex<3>,
    /// What the TAR reaches, in words.
    pub application: String,
    /// What the card runs with the secured data of a packet for this TAR.
    pub service: Service,
    /// For [`Service::Rfm`] only, and required there: the files a command script may
    /// reach (the access domain of TS 102 226 §8.2.1.3.2.2, kept at TAR level).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_domain: Option<AccessDomain>,
    /// The least security a command packet must have to be accepted (the minimum
    /// security level of TS 102 226 §8.2.1.3.2.4.2, coded like the first SPI byte).
    pub minimum_security: SecurityLevel,
}

/// The receiving application behind a TAR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Service {
    /// Remote file management (ETSI TS 102 226 §5, 3GPP TS 31.116): the secured data
    /// is a command script run on the card's own file system
    /// ([`crate::card::rfm`]).
    Rfm,
    /// Remote applet management (TS 102 226 §5, GlobalPlatform): the same script
    /// formats, but this card has no applet runtime, so its security domain knows no
    /// command and answers each `6D 00`.
    Ram,
    /// The Smart Card Web Server's administration agent ([`crate::card::scws_admin`]).
    ScwsAdmin,
}

/// What a remote file management script may reach (TS 102 226 §8.2.1.3.2.2, the UICC
/// access parameters, simplified to one value per TAR). The access rules of EF.ARR
/// still decide, as for a command from the phone; the domain only says which key
/// references count as verified during the script. A rule of "never" stays never.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessDomain {
    /// Access domain `00`, full access: every key reference counts as verified
    /// (the issuer's ADM rights).
    Full,
    /// Access as if these key references (TS 102 221 §9.5.1, e.g. `0A` for ADM1)
    /// were verified.
    Keys(Vec<Hex<1>>),
    /// Access domain `FF`, no access: every access rule that needs a key refuses.
    #[serde(rename = "none")]
    NoAccess,
}

impl AccessDomain {
    /// Whether a condition naming key reference `key` holds during the script.
    pub fn grants(&self, key: u8) -> bool {
        match self {
            AccessDomain::Full => true,
            AccessDomain::Keys(keys) => keys.iter().any(|k| k.0[0] == key),
            AccessDomain::NoAccess => false,
        }
    }
}

/// The protection of a command packet, as the first byte of its SPI codes it
/// (TS 102 225 §5.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityLevel {
    pub integrity: Integrity,
    pub ciphering: bool,
    pub counter: CounterPolicy,
}

impl SecurityLevel {
    /// The same level in the OTA layer's terms.
    pub fn level(self) -> MinimumSecurityLevel {
        MinimumSecurityLevel {
            integrity: match self.integrity {
                Integrity::None => ota::Integrity::None,
                Integrity::RedundancyCheck => ota::Integrity::RedundancyCheck,
                Integrity::CryptographicChecksum => ota::Integrity::CryptographicChecksum,
                Integrity::DigitalSignature => ota::Integrity::DigitalSignature,
            },
            ciphering: self.ciphering,
            counter: match self.counter {
                CounterPolicy::None => CounterMode::None,
                CounterPolicy::Available => CounterMode::Available,
                CounterPolicy::Higher => CounterMode::Higher,
                CounterPolicy::OneHigher => CounterMode::OneHigher,
            },
        }
    }
}

/// SPI byte 1, b2–b1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Integrity {
    None,
    RedundancyCheck,
    CryptographicChecksum,
    DigitalSignature,
}

/// SPI byte 1, b5–b4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CounterPolicy {
    None,
    Available,
    Higher,
    OneHigher,
}

/// The Smart Card Web Server's content (see [`crate::card::scws`] for where it lives on
/// the card).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scws {
    /// The AID of the SCWS DF; no standard assigns one (see [`crate::card::scws`]).
    pub aid: Aid,
    /// The application label in EF.DIR.
    pub label: String,
    /// Bytes of content the SCWS area holds, all resources together. A replacement
    /// needs room for the old and the new content at once (see
    /// [`crate::card::scws`]).
    #[serde(default = "Scws::default_capacity")]
    pub capacity: usize,
    pub resources: Vec<Resource>,
}

impl Scws {
    /// 3 MiB: a 1 MiB resource can be replaced while 1 MiB more is served.
    pub const DEFAULT_CAPACITY: usize = 3 << 20;
    /// The most a profile may give the SCWS area.
    pub const MAX_CAPACITY: usize = 64 << 20;

    fn default_capacity() -> usize {
        Scws::DEFAULT_CAPACITY
    }
}

/// One resource the SCWS serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// The URL path, from `/`.
    pub path: String,
    /// The media type sent in `Content-Type`.
    pub content_type: String,
    /// The text of the resource.
    pub content: String,
}

/// Why a profile cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfileError {
    /// The text is not TOML of the profile's shape (syntax, unknown or missing field,
    /// bad hex, …).
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// Well-formed, but not a card this emulator can make.
    Invalid { field: String, problem: String },
    /// The profile could not be written as TOML.
    Unsaveable(String),
}

impl std::fmt::Display for ProfileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProfileError::Syntax {
                line,
                column,
                message,
            } => write!(f, "line {line}, column {column}: {message}"),
            ProfileError::Invalid { field, problem } => write!(f, "{field}: {problem}"),
            ProfileError::Unsaveable(message) => write!(f, "cannot write the profile: {message}"),
        }
    }
}

impl std::error::Error for ProfileError {}

/// Longest application label and SCWS path or media type this card stores (they go in
/// records of at most 255 bytes).
pub const MAX_TEXT: usize = 64;

/// Largest SCWS resource: READ BINARY addresses 15 bits of offset (TS 102 221 §11.1.3).
pub const MAX_RESOURCE: usize = 0x7FFF;

/// Most SCWS resources: one index record each, and record numbers go up to 254.
const MAX_RESOURCES: usize = 254;

impl Profile {
    /// The built-in profile's text.
    pub const DEFAULT_TOML: &'static str = include_str!("default_profile.toml");

    /// The built-in profile (tested to be valid).
    pub fn default_profile() -> Profile {
        Profile::from_toml(Profile::DEFAULT_TOML).expect("the built-in profile is valid")
    }

    /// Reads and validates a profile.
    pub fn from_toml(text: &str) -> Result<Profile, ProfileError> {
        let profile: Profile = toml::from_str(text).map_err(|error| {
            let start = error.span().map_or(0, |span| span.start);
            let before = text.get(..start).unwrap_or_default();
            ProfileError::Syntax {
                line: before.matches('\n').count() + 1,
                column: before
                    .rsplit('\n')
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .count()
                    + 1,
                message: error.message().trim().replace('\n', " "),
            }
        })?;
        profile.validate()?;
        Ok(profile)
    }

    /// The profile as TOML text that [`Profile::from_toml`] reads back unchanged.
    pub fn to_toml(&self) -> Result<String, ProfileError> {
        toml::to_string_pretty(self).map_err(|error| ProfileError::Unsaveable(error.to_string()))
    }

    /// The checks that span several fields or bound numbers.
    pub fn validate(&self) -> Result<(), ProfileError> {
        let invalid = |field: &str, problem: String| {
            Err(ProfileError::Invalid {
                field: field.to_string(),
                problem,
            })
        };
        for (field, tries) in [
            ("pin1.tries", self.pin1.tries),
            ("pin1.puk_tries", self.pin1.puk_tries),
            ("adm1.tries", self.adm1.tries),
        ] {
            if !(1..=15).contains(&tries) {
                return invalid(
                    field,
                    format!("{tries} tries: 1 to 15 (63CX shows up to 15)"),
                );
            }
        }
        if !matches!(self.usim.mnc_length, 2 | 3) {
            return invalid(
                "usim.mnc_length",
                format!("{}: an MNC has 2 or 3 digits", self.usim.mnc_length),
            );
        }
        if self.usim.imsi.0.len() < 3 + usize::from(self.usim.mnc_length) + 1 {
            return invalid(
                "usim.imsi",
                "too short for the MCC, the MNC and at least one MSIN digit".into(),
            );
        }
        if self.usim.aid == self.scws.aid {
            return invalid("scws.aid", "the same as the USIM's".into());
        }
        for (field, label) in [
            ("usim.label", &self.usim.label),
            ("scws.label", &self.scws.label),
        ] {
            if label.len() > MAX_TEXT {
                return invalid(field, format!("longer than {MAX_TEXT} bytes"));
            }
        }
        self.validate_ota()?;
        self.validate_scws()?;
        self.validate_usb()
    }

    /// RFC 3927 §2.1: a link-local address is in 169.254.1.0 – 169.254.254.255 (the
    /// first and last 256 addresses of 169.254/16 are reserved).
    fn validate_usb(&self) -> Result<(), ProfileError> {
        let address = self.usb.address.octets();
        let problem = if !matches!(address, [169, 254, 1..=254, _]) {
            "not an IPv4 link-local address of RFC 3927 (169.254.1.0 to 169.254.254.255)"
        } else if address == crate::phone::usb::PHONE_USB_ADDRESS {
            "the phone's own address on the USB link"
        } else {
            return Ok(());
        };
        Err(ProfileError::Invalid {
            field: "usb.address".into(),
            problem: format!("{}: {problem}", self.usb.address),
        })
    }

    fn validate_ota(&self) -> Result<(), ProfileError> {
        let mut kvns = BTreeSet::new();
        for (i, set) in self.ota.key_sets.iter().enumerate() {
            let field = |name: &str| format!("ota.key_sets[{i}].{name}");
            if !(1..=15).contains(&set.kvn) || !kvns.insert(set.kvn) {
                return Err(ProfileError::Invalid {
                    field: field("kvn"),
                    problem: format!("{}: KVNs are 1 to 15, each used once", set.kvn),
                });
            }
            for (name, key) in [("kic", &set.kic), ("kid", &set.kid)] {
                if key.algorithm == Algorithm::DesCbc {
                    return Err(ProfileError::Invalid {
                        field: field(name),
                        problem: SINGLE_DES.into(),
                    });
                }
                let lengths = key.algorithm.key_lengths();
                if !lengths.contains(&key.key.0.len()) {
                    return Err(ProfileError::Invalid {
                        field: field(name),
                        problem: format!(
                            "a {}-byte key; {:?} takes {lengths:?} bytes",
                            key.key.0.len(),
                            key.algorithm
                        ),
                    });
                }
            }
        }
        let mut tars = BTreeSet::new();
        for (i, tar) in self.ota.tars.iter().enumerate() {
            if !tars.insert(tar.tar.0) {
                return Err(ProfileError::Invalid {
                    field: format!("ota.tars[{i}].tar"),
                    problem: format!("{} appears twice", hex::compact(&tar.tar.0)),
                });
            }
            let problem = match (tar.service, &tar.access_domain) {
                (Service::Rfm, None) => {
                    Some("remote file management needs an access_domain (full, none or { keys = [...] })".to_string())
                }
                (Service::Rfm, Some(AccessDomain::Keys(keys))) => keys
                    .iter()
                    .find(|k| !matches!(k.0[0], security::PIN1 | security::ADM1))
                    .map(|k| {
                        format!(
                            "key reference {:02X}: this card knows 01 (PIN1) and 0A (ADM1)",
                            k.0[0]
                        )
                    })
                    .or_else(|| keys.is_empty().then(|| "an empty key list: write none".into())),
                (Service::Rfm, Some(_)) => None,
                (_, Some(_)) => Some("only a remote file management TAR has an access_domain".into()),
                (_, None) => None,
            };
            if let Some(problem) = problem {
                return Err(ProfileError::Invalid {
                    field: format!("ota.tars[{i}].access_domain"),
                    problem,
                });
            }
        }
        self.tar_table().map(|_| ())
    }

    /// The card's TAR table (TS 102 225 §5, TS 102 226 §8.2.1.3.2.4.2): every TAR with
    /// its minimum security level, every key set bound to its algorithms. Refused, with
    /// the field named: single DES (`des-cbc`, broken and gone from TS 102 225 since
    /// Release 8; DES-ECB and "algorithm known implicitly" cannot even be written
    /// here), a triple DES key whose halves repeat (single DES in disguise), and a
    /// minimum security level below a cryptographic checksum (anyone could run
    /// commands on that TAR).
    pub fn tar_table(&self) -> Result<TarTable, ProfileError> {
        let mut key_sets = Vec::new();
        for (i, set) in self.ota.key_sets.iter().enumerate() {
            let field = |name: &str| format!("ota.key_sets[{i}].{name}");
            let invalid = |name: &str, problem: String| ProfileError::Invalid {
                field: field(name),
                problem,
            };
            let kic = match set.kic.algorithm.cipher() {
                Some(algorithm) => CipherKey::new(algorithm, set.kic.key.0.clone())
                    .map_err(|error| invalid("kic", error.to_string()))?,
                None => return Err(invalid("kic", SINGLE_DES.into())),
            };
            let kid = match set.kid.algorithm.checksum() {
                Some(algorithm) => CcKey::new(algorithm, set.kid.key.0.clone())
                    .map_err(|error| invalid("kid", error.to_string()))?,
                None => return Err(invalid("kid", SINGLE_DES.into())),
            };
            key_sets.push(KeyVersion {
                version: set.kvn,
                kic: Some(kic),
                kid: Some(kid),
            });
        }
        let tars = self
            .ota
            .tars
            .iter()
            .map(|entry| OtaTarEntry {
                tar: Tar(entry.tar.0),
                minimum_security: entry.minimum_security.level(),
            })
            .collect();
        TarTable::new(tars, key_sets).map_err(|error| {
            let field = match &error {
                ConfigError::NoAuthentication { tar, .. }
                | ConfigError::DigitalSignature { tar }
                | ConfigError::DuplicateTar(tar) => self
                    .ota
                    .tars
                    .iter()
                    .position(|e| e.tar.0 == tar.0)
                    .map_or("ota.tars".to_string(), |i| {
                        format!("ota.tars[{i}].minimum_security")
                    }),
                ConfigError::BadKeyVersion { .. } | ConfigError::BadKey { .. } => {
                    "ota.key_sets".to_string()
                }
            };
            ProfileError::Invalid {
                field,
                problem: error.to_string(),
            }
        })
    }

    /// The entry of the profile for `tar`.
    pub fn tar_entry(&self, tar: Tar) -> Option<&TarEntry> {
        self.ota.tars.iter().find(|e| e.tar.0 == tar.0)
    }

    fn validate_scws(&self) -> Result<(), ProfileError> {
        let resources = &self.scws.resources;
        if resources.is_empty() || resources.len() > MAX_RESOURCES {
            return Err(ProfileError::Invalid {
                field: "scws.resources".into(),
                problem: format!("{} resources: 1 to {MAX_RESOURCES}", resources.len()),
            });
        }
        let content: usize = resources.iter().map(|r| r.content.len()).sum();
        if self.scws.capacity < content || self.scws.capacity > Scws::MAX_CAPACITY {
            return Err(ProfileError::Invalid {
                field: "scws.capacity".into(),
                problem: format!(
                    "{} bytes: from the {content} bytes of the resources to {}",
                    self.scws.capacity,
                    Scws::MAX_CAPACITY
                ),
            });
        }
        let mut paths = BTreeSet::new();
        for (i, resource) in resources.iter().enumerate() {
            let problem = if !resource.path.starts_with('/')
                || resource.path.len() > MAX_TEXT
                || resource.path.contains(char::is_whitespace)
            {
                Some((
                    "path",
                    format!(
                        "{:?}: a URL path from '/', no spaces, at most {MAX_TEXT} bytes",
                        resource.path
                    ),
                ))
            } else if !paths.insert(resource.path.as_str()) {
                Some(("path", format!("{:?} appears twice", resource.path)))
            } else if resource.content_type.is_empty()
                || resource.content_type.len() > MAX_TEXT
                || !resource.content_type.is_ascii()
            {
                Some((
                    "content_type",
                    format!(
                        "{:?}: an ASCII media type of at most {MAX_TEXT} bytes",
                        resource.content_type
                    ),
                ))
            } else if resource.content.len() > MAX_RESOURCE {
                Some((
                    "content",
                    format!("{} bytes: at most {MAX_RESOURCE}", resource.content.len()),
                ))
            } else {
                None
            };
            if let Some((name, problem)) = problem {
                return Err(ProfileError::Invalid {
                    field: format!("scws.resources[{i}].{name}"),
                    problem,
                });
            }
        }
        Ok(())
    }
}

/// `N` bytes written as `2N` hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Hex<const N: usize>(pub [u8; N]);

impl<const N: usize> TryFrom<String> for Hex<N> {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let bytes = read_hex(&text)?;
        let array: [u8; N] = bytes.as_slice().try_into().map_err(|_| {
            format!(
                "{} bytes where {N} are expected ({} hex digits)",
                bytes.len(),
                2 * N
            )
        })?;
        Ok(Hex(array))
    }
}

impl<const N: usize> From<Hex<N>> for String {
    fn from(value: Hex<N>) -> String {
        hex::compact(&value.0)
    }
}

/// Bytes of any length, written in hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HexBytes(pub Vec<u8>);

impl TryFrom<String> for HexBytes {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        read_hex(&text).map(HexBytes)
    }
}

impl From<HexBytes> for String {
    fn from(value: HexBytes) -> String {
        hex::compact(&value.0)
    }
}

/// An application identifier: a 5-byte RID and up to 11 bytes of PIX (ISO/IEC 7816-5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Aid(pub Vec<u8>);

impl TryFrom<String> for Aid {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let bytes = read_hex(&text)?;
        if !(5..=16).contains(&bytes.len()) {
            return Err(format!(
                "an AID has 5 to 16 bytes, not {} (ISO/IEC 7816-5)",
                bytes.len()
            ));
        }
        Ok(Aid(bytes))
    }
}

impl From<Aid> for String {
    fn from(value: Aid) -> String {
        hex::compact(&value.0)
    }
}

/// A string of `MIN` to `MAX` decimal digits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digits<const MIN: usize, const MAX: usize>(String);

/// An IMSI: MCC, MNC and MSIN, at most 15 digits (3GPP TS 23.003 §2.2).
pub type Imsi = Digits<6, 15>;
/// A PIN: 4 to 8 digits (TS 102 221 §9.5.2).
pub type Pin = Digits<4, 8>;
/// An unblock key: 8 digits (TS 102 221 §9.5.2).
pub type Puk = Digits<8, 8>;

impl<const MIN: usize, const MAX: usize> Digits<MIN, MAX> {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MIN: usize, const MAX: usize> TryFrom<String> for Digits<MIN, MAX> {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        read_digits(&text, MIN, MAX).map(Digits)
    }
}

impl<const MIN: usize, const MAX: usize> From<Digits<MIN, MAX>> for String {
    fn from(value: Digits<MIN, MAX>) -> String {
        value.0
    }
}

/// An ICCID: 19 or 20 digits whose last is the Luhn check digit (ITU-T E.118).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iccid(String);

impl Iccid {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Iccid {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let digits = read_digits(&text, 19, 20)?;
        if !luhn_valid(&digits) {
            return Err(format!(
                "{digits}: the last digit is not the Luhn check digit (ITU-T E.118)"
            ));
        }
        Ok(Iccid(digits))
    }
}

impl From<Iccid> for String {
    fn from(value: Iccid) -> String {
        value.0
    }
}

fn read_hex(text: &str) -> Result<Vec<u8>, String> {
    hex::parse(text).map_err(|error| format!("bad hex {text:?}: {error}"))
}

fn read_digits(text: &str, min: usize, max: usize) -> Result<String, String> {
    if !text.chars().all(|c| c.is_ascii_digit()) || !(min..=max).contains(&text.len()) {
        let count = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(format!("{text:?}: expected {count} decimal digits"));
    }
    Ok(text.to_string())
}

/// The Luhn check (ISO/IEC 7812-1 annex B) over decimal digits.
fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            match (i % 2 == 1, d * 2) {
                (false, _) => d,
                (true, doubled) if doubled > 9 => doubled - 9,
                (true, doubled) => doubled,
            }
        })
        .sum();
    sum % 10 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(find: &str, replace: &str) -> String {
        assert!(Profile::DEFAULT_TOML.contains(find), "{find}");
        Profile::DEFAULT_TOML.replacen(find, replace, 1)
    }

    fn error(text: &str) -> String {
        Profile::from_toml(text).unwrap_err().to_string()
    }

    #[test]
    fn default_profile_is_valid() {
        let profile = Profile::default_profile();
        assert_eq!(profile.usim.imsi.as_str(), "001010123456789");
        assert!(profile
            .scws
            .resources
            .iter()
            .any(|r| r.path == "/index.html"));
        assert!(!profile.ota.key_sets.is_empty());
    }

    #[test]
    fn usb_is_off_in_the_default_profile() {
        let usb = Profile::default_profile().usb;
        assert!(!usb.enabled);
        assert_eq!(usb.address.octets(), crate::card::usb::DEFAULT_ADDRESS);
        // A profile without a [usb] table is a card without USB.
        let start = Profile::DEFAULT_TOML.find("[usb]").unwrap();
        let end = Profile::DEFAULT_TOML.find("[scws]").unwrap();
        let text = format!(
            "{}{}",
            &Profile::DEFAULT_TOML[..start],
            &Profile::DEFAULT_TOML[end..]
        );
        assert_eq!(Profile::from_toml(&text).unwrap().usb, Usb::default());
    }

    #[test]
    fn usb_addresses_outside_rfc_3927_or_the_phones_are_refused() {
        for (address, problem) in [
            ("10.0.0.2", "not an IPv4 link-local address"),
            ("169.254.0.2", "not an IPv4 link-local address"),
            ("169.254.255.9", "not an IPv4 link-local address"),
            ("169.254.1.1", "the phone's own address"),
        ] {
            let text = with(
                "address = \"169.254.1.2\"",
                &format!("address = \"{address}\""),
            );
            let message = error(&text);
            assert!(message.starts_with("usb.address: "), "{message}");
            assert!(message.contains(problem), "{address}: {message}");
        }
        let message = error(&with(
            "address = \"169.254.1.2\"",
            "address = \"169.254.1\"",
        ));
        assert!(message.contains("address"), "{message}");
    }

    #[test]
    fn saved_profile_reads_back_the_same() {
        let profile = Profile::default_profile();
        let saved = profile.to_toml().unwrap();
        assert_eq!(Profile::from_toml(&saved), Ok(profile));
        let mut usb = Profile::default_profile();
        usb.usb.enabled = true;
        let saved = usb.to_toml().unwrap();
        assert_eq!(Profile::from_toml(&saved), Ok(usb));
    }

    #[test]
    fn bad_hex_is_reported_with_its_line() {
        let text = with(
            "k = \"465B5CE8B199B49FAA5F0A2EE238A6BC\"",
            "k = \"465B5CE8B199B49FAA5F0A2EE238A6BG\"",
        );
        let message = error(&text);
        assert!(message.contains("'G' is not a hex digit"), "{message}");
        let line = text.lines().position(|l| l.starts_with("k = ")).unwrap() + 1;
        assert!(message.starts_with(&format!("line {line},")), "{message}");
        assert_eq!(message.lines().count(), 1);
    }

    #[test]
    fn wrong_lengths_are_errors() {
        let message = error(&with(
            "opc = \"CD63CB71954A9F4E48A5994E37A02BAF\"",
            "opc = \"CD63CB71954A9F4E48A5994E37A02B\"",
        ));
        assert!(
            message.contains("15 bytes where 16 are expected"),
            "{message}"
        );
        let message = error(&with("value = \"1234\"", "value = \"123\""));
        assert!(message.contains("4 to 8 decimal digits"), "{message}");
        let message = error(&with(
            "imsi = \"001010123456789\"",
            "imsi = \"0010101234567890\"",
        ));
        assert!(message.contains("6 to 15 decimal digits"), "{message}");
    }

    #[test]
    fn unknown_fields_are_errors() {
        let message = error(&with("mnc_length = 2", "mnc_length = 2\nmnc_lenght = 2"));
        assert!(message.contains("unknown field `mnc_lenght`"), "{message}");
    }

    #[test]
    fn iccid_needs_its_check_digit() {
        let message = error(&with("89882110000000000010", "89882110000000000011"));
        assert!(message.contains("Luhn"), "{message}");
    }

    #[test]
    fn consistency_is_checked_by_field() {
        let cases = [
            ("mnc_length = 2", "mnc_length = 4", "usim.mnc_length: 4"),
            ("tries = 3", "tries = 16", "pin1.tries: 16 tries"),
            (
                "algorithm = \"aes\"",
                "algorithm = \"des-cbc\"",
                "ota.key_sets[0].kic",
            ),
            (
                "path = \"/style.css\"",
                "path = \"/index.html\"",
                "appears twice",
            ),
            (
                "path = \"/style.css\"",
                "path = \"style.css\"",
                "scws.resources[2].path",
            ),
            (
                "capacity = 3145728",
                "capacity = 10",
                "scws.capacity: 10 bytes",
            ),
        ];
        for (find, replace, expected) in cases {
            let message = error(&with(find, replace));
            assert!(message.contains(expected), "{find}: {message}");
        }
    }

    #[test]
    fn luhn_check_digit() {
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("79927398710"));
    }
}
