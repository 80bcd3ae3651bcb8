//! The secured command packet: ETSI TS 102 225 §5.1, as carried in one SMS by 3GPP
//! TS 31.115 §4.2 (the Command Packet Identifier is the UDH element `70 00`, the
//! Command Header Identifier is absent, CPL and CHL are one fixed-size field each).
//!
//! ```text
//! CPL(2) CHL(1) SPI(2) KIc(1) KID(1) TAR(3) | CNTR(5) PCNTR(1) RC/CC/DS | data | padding
//! └──────────── always clear ─────────────┘ └──── ciphered when SPI b3 is set ────────┘
//! ```
//!
//! * CPL counts the bytes after it; CHL counts SPI to the end of RC/CC/DS, so
//!   CHL = 13 + the checksum's length.
//! * Padding: the ciphered part (CNTR to the end) is padded with zeros to a whole number
//!   of cipher blocks; PCNTR counts the padding bytes. Unciphered packets carry none.
//! * RC/CC/DS covers CPL to PCNTR, then the data and its padding (the checksum field
//!   itself left out); a triple DES CBC-MAC zero-fills that to its block internally,
//!   which is not sent. The checksum is computed before ciphering.

use super::coding::{kic_meaning, kid_cc_meaning, kid_rc_meaning, Check, Codings, Integrity};
use super::crypto::{self, KeySet};
use super::error::SecurityError;
use super::{check_counter_fits, counter_bytes, counter_from, Tar};
use crate::wire::field::FieldFill;
use crate::wire::{hex, DecodeError, Field};

/// Bytes from CPL to TAR: always clear.
pub const CLEAR_HEADER_LEN: usize = 10;
/// CHL with no RC/CC/DS: SPI(2) KIc KID TAR(3) CNTR(5) PCNTR.
pub const MIN_CHL: usize = 13;

/// The clear view of a command packet, checked for consistent lengths (CPL equals the
/// bytes after it; 13 ≤ CHL ≤ CPL − 1). Nothing here needs a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandPacket<'a> {
    bytes: &'a [u8],
    pub chl: u8,
    pub spi: super::Spi,
    pub kic: u8,
    pub kid: u8,
    pub tar: Tar,
}

impl<'a> CommandPacket<'a> {
    /// Parses the clear header (TS 102 225 §5.1.1, TS 31.115 §4.2). The bytes must be
    /// exactly one packet, CPL to its end.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let header = bytes
            .get(..CLEAR_HEADER_LEN)
            .ok_or(DecodeError::Truncated {
                what: "command packet header (CPL to TAR)",
                needed: CLEAR_HEADER_LEN,
                available: bytes.len(),
            })?;
        let cpl = usize::from(u16::from_be_bytes([header[0], header[1]]));
        if cpl + 2 != bytes.len() {
            return Err(DecodeError::BadLength {
                what: "command packet (CPL)",
                detail: format!("CPL says {cpl} bytes follow it, {} do", bytes.len() - 2),
            });
        }
        let chl = header[2];
        if usize::from(chl) < MIN_CHL {
            return Err(DecodeError::BadLength {
                what: "command header (CHL)",
                detail: format!(
                    "CHL {chl} is below 13, the length of SPI to PCNTR without RC/CC/DS"
                ),
            });
        }
        if usize::from(chl) > cpl - 1 {
            return Err(DecodeError::BadLength {
                what: "command header (CHL)",
                detail: format!("CHL {chl} runs past the end of the packet (CPL {cpl})"),
            });
        }
        Ok(CommandPacket {
            bytes,
            chl,
            spi: super::Spi::new(header[3], header[4]),
            kic: header[5],
            kid: header[6],
            tar: Tar([header[7], header[8], header[9]]),
        })
    }

    /// CPL.
    pub fn cpl(&self) -> u16 {
        (self.bytes.len() - 2) as u16
    }

    /// Length of the RC/CC/DS field: CHL − 13.
    pub fn checksum_len(&self) -> usize {
        usize::from(self.chl) - MIN_CHL
    }

    /// CNTR to the end, as received (ciphered when the SPI says so).
    pub fn secured(&self) -> &'a [u8] {
        &self.bytes[CLEAR_HEADER_LEN..]
    }

    /// The whole packet.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The SPI, KIc and KID checked together, and the CHL checked against the checksum
    /// they name.
    pub fn codings(&self) -> Result<Codings, SecurityError> {
        let codings = Codings::resolve(self.spi, self.kic, self.kid, Some(self.checksum_len()))?;
        if codings.command_check.len() != self.checksum_len() {
            return Err(SecurityError::Malformed(DecodeError::BadLength {
                what: "command header (CHL)",
                detail: format!(
                    "CHL {} leaves {} checksum byte(s), the SPI asks for {} ({})",
                    self.chl,
                    self.checksum_len(),
                    codings.command_check.len(),
                    codings.command_check.name()
                ),
            }));
        }
        Ok(codings)
    }

    /// CNTR to the end in clear: deciphered with the KIc key when the SPI says the
    /// packet is ciphered, as received otherwise. A ciphered part that is not a whole
    /// number of blocks is a ciphering error.
    pub fn plaintext(&self, codings: &Codings, keys: &KeySet) -> Result<Vec<u8>, SecurityError> {
        let mut plain = self.secured().to_vec();
        if self.spi.ciphering() {
            let algorithm = codings
                .cipher
                .ok_or_else(|| SecurityError::Unsupported("ciphering without KIc".into()))?;
            if plain.len() % algorithm.block_len() != 0 {
                return Err(SecurityError::Ciphering(format!(
                    "{} ciphered bytes are not a whole number of {}-byte blocks",
                    plain.len(),
                    algorithm.block_len()
                )));
            }
            crypto::decipher(keys.cipher_key(algorithm)?, &mut plain)?;
        }
        Ok(plain)
    }

    /// The checksum the packet should carry, computed over its clear header and the
    /// plaintext (checksum field left out). `None` when the SPI asks for none.
    pub fn expected_checksum(
        &self,
        codings: &Codings,
        plain: &[u8],
        keys: &KeySet,
    ) -> Result<Option<Vec<u8>>, SecurityError> {
        let cs = self.checksum_len();
        let mut input = Vec::with_capacity(self.bytes.len());
        input.extend_from_slice(&self.bytes[..CLEAR_HEADER_LEN]);
        input.extend_from_slice(&plain[..6]);
        input.extend_from_slice(&plain[6 + cs..]);
        Ok(match codings.command_check {
            Check::None => None,
            Check::Rc(rc) => Some(crypto::redundancy_check(rc, &input)),
            Check::Cc { algorithm, len } => {
                Some(crypto::checksum(keys.cc_key(algorithm)?, &input, len)?)
            }
        })
    }
}

/// What a sender puts in the header of a command packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandParams {
    pub spi: super::Spi,
    pub kic: u8,
    pub kid: u8,
    pub tar: Tar,
    /// CNTR, 40 bits.
    pub counter: u64,
    /// Length of an AES CMAC: 8 (the default, `None`) or 4. The DES family always
    /// gives 8.
    pub cc_len: Option<usize>,
}

/// A command packet opened with its keys: deciphered, checksum verified, padding
/// removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenedCommand {
    pub spi: super::Spi,
    pub kic: u8,
    pub kid: u8,
    pub tar: Tar,
    pub codings: Codings,
    /// CNTR.
    pub counter: u64,
    /// PCNTR: padding bytes that were removed.
    pub pcntr: u8,
    /// The RC/CC/DS as received (verified).
    pub checksum: Vec<u8>,
    /// The secured data, padding removed: what goes to the receiving application.
    pub data: Vec<u8>,
}

/// Builds a secured command packet, CPL to the end (TS 102 225 §5.1, TS 31.115 §4.2):
/// counter, padding, RC/CC over the clear packet, then ciphering.
pub fn secure_command(
    params: &CommandParams,
    keys: &KeySet,
    data: &[u8],
) -> Result<Vec<u8>, SecurityError> {
    check_counter_fits(params.counter)?;
    let codings = Codings::resolve(params.spi, params.kic, params.kid, params.cc_len)?;
    let cs = codings.command_check.len();
    let pad = match (params.spi.ciphering(), codings.cipher) {
        (true, Some(cipher)) => {
            let block = cipher.block_len();
            (block - (6 + cs + data.len()) % block) % block
        }
        _ => 0,
    };
    let chl = MIN_CHL + cs;
    let cpl = 1 + chl + data.len() + pad;
    let cpl16 = u16::try_from(cpl).map_err(|_| SecurityError::TooLong {
        what: "command packet",
        len: cpl,
    })?;
    let mut header = Vec::with_capacity(CLEAR_HEADER_LEN);
    header.extend_from_slice(&cpl16.to_be_bytes());
    header.push(chl as u8);
    header.extend_from_slice(&params.spi.0);
    header.push(params.kic);
    header.push(params.kid);
    header.extend_from_slice(&params.tar.0);
    let mut tail = Vec::with_capacity(data.len() + pad);
    tail.extend_from_slice(data);
    tail.resize(data.len() + pad, 0);
    let counter = counter_bytes(params.counter);
    let mut input = header.clone();
    input.extend_from_slice(&counter);
    input.push(pad as u8);
    input.extend_from_slice(&tail);
    let checksum = match codings.command_check {
        Check::None => Vec::new(),
        Check::Rc(rc) => crypto::redundancy_check(rc, &input),
        Check::Cc { algorithm, len } => crypto::checksum(keys.cc_key(algorithm)?, &input, len)?,
    };
    let mut secured = Vec::with_capacity(6 + cs + tail.len());
    secured.extend_from_slice(&counter);
    secured.push(pad as u8);
    secured.extend_from_slice(&checksum);
    secured.extend_from_slice(&tail);
    if params.spi.ciphering() {
        if let Some(cipher) = codings.cipher {
            crypto::encipher(keys.cipher_key(cipher)?, &mut secured)?;
        }
    }
    let mut packet = header;
    packet.extend_from_slice(&secured);
    Ok(packet)
}

/// Opens a command packet with `keys`: structure, codings (single DES and the like
/// refused), ciphering, checksum (compared in constant time), then padding. The order
/// matters: PCNTR is read only once the checksum holds, so a forger learns nothing
/// about the plaintext from which error comes back.
pub fn open_command(bytes: &[u8], keys: &KeySet) -> Result<OpenedCommand, SecurityError> {
    let packet = CommandPacket::parse(bytes)?;
    let codings = packet.codings()?;
    let plain = packet.plaintext(&codings, keys)?;
    let cs = packet.checksum_len();
    let received = &plain[6..6 + cs];
    if let Some(expected) = packet.expected_checksum(&codings, &plain, keys)? {
        if !crypto::same_checksum(&expected, received) {
            return Err(SecurityError::ChecksumFailed);
        }
    }
    let pcntr = plain[5];
    let rest = &plain[6 + cs..];
    if usize::from(pcntr) > rest.len() {
        return Err(SecurityError::BadPadding {
            pcntr,
            available: rest.len(),
        });
    }
    Ok(OpenedCommand {
        spi: packet.spi,
        kic: packet.kic,
        kid: packet.kid,
        tar: packet.tar,
        codings,
        counter: counter_from(&plain[..5]),
        pcntr,
        checksum: received.to_vec(),
        data: rest[..rest.len() - usize::from(pcntr)].to_vec(),
    })
}

/// The field tree of a command packet (path `ota_command`, offsets from its first byte).
///
/// Without keys, a ciphered part is one field. With keys, that field gets one child,
/// `ota_command.secured.deciphered`, whose value is the whole plaintext and whose own
/// children are CNTR, PCNTR, the checksum (with whether it verifies), the data and the
/// padding. Deciphered bytes are not in the message, so their ranges are those of the
/// ciphertext bytes at the same positions (CBC keeps positions: plaintext byte *i* comes
/// out of ciphertext block ⌊*i*/block⌋ and the one before it); the note says so.
/// Structural errors (lengths) are errors; security problems (refused algorithms,
/// missing keys, a checksum that does not verify) are shown in the tree.
pub fn describe_command(bytes: &[u8], keys: Option<&KeySet>) -> Result<Field, DecodeError> {
    let packet = CommandPacket::parse(bytes)?;
    let mut root = Field::new("ota_command", "Secured command packet", 0, bytes.len())
        .with_value(format!("TAR {}", packet.tar))
        .with_note("ETSI TS 102 225 §5.1, SMS form of 3GPP TS 31.115 §4.2");
    root.child("cpl", "Command packet length (CPL)", 0, 2)
        .with_value(packet.cpl().to_string())
        .with_note("bytes after CPL");
    root.child("chl", "Command header length (CHL)", 2, 1)
        .with_value(packet.chl.to_string())
        .with_note(format!(
            "SPI to the end of RC/CC/DS: 13 + {} checksum byte(s)",
            packet.checksum_len()
        ));
    root.children
        .push(packet.spi.describe("ota_command.spi", 3));
    let codings = packet.codings();
    let (por_integrity, por_ciphering) = packet.spi.por_protection();
    let kic_used = packet.spi.ciphering() || por_ciphering;
    let (kic_text, kic_refusal) = kic_meaning(packet.kic);
    let kic = root
        .child("kic", "Key and algorithm for ciphering (KIc)", 5, 1)
        .with_value(format!("{:02X} {kic_text}", packet.kic));
    kic.note = match (kic_used, kic_refusal) {
        (false, _) => "not used: neither the command nor the PoR is ciphered".into(),
        (true, Some(why)) => format!("refused: {why}"),
        (true, None) => "TS 102 225 §5.1.2: b8-b5 key version, b4-b3 mode, b2-b1 algorithm".into(),
    };
    let uses = |i: Integrity| packet.spi.integrity() == i || por_integrity == i;
    let (kid_text, kid_refusal, kid_note) = if uses(Integrity::CryptographicChecksum) {
        let (t, r) = kid_cc_meaning(packet.kid);
        (t, r, "TS 102 225 §5.1.3.1 (cryptographic checksum)")
    } else if uses(Integrity::RedundancyCheck) {
        let (t, r) = kid_rc_meaning(packet.kid);
        (t, r, "TS 102 225 §5.1.3.2 (redundancy check)")
    } else {
        (String::new(), None, "not used: no RC, CC or DS asked for")
    };
    let kid = root
        .child("kid", "Key and algorithm for RC/CC/DS (KID)", 6, 1)
        .with_value(
            format!("{:02X} {kid_text}", packet.kid)
                .trim_end()
                .to_string(),
        );
    kid.note = match kid_refusal {
        Some(why) => format!("refused: {why}"),
        None => kid_note.into(),
    };
    root.child("tar", "Toolkit application reference (TAR)", 7, 3)
        .with_value(packet.tar.to_string())
        .with_note(packet.tar.name());
    let secured_len = packet.secured().len();
    let start = CLEAR_HEADER_LEN;
    let codings = match codings {
        Ok(codings) => codings,
        Err(error) => {
            root.child(
                "secured",
                "Secured part (CNTR to the end)",
                start,
                secured_len,
            )
            .with_value(format!("{secured_len} bytes"))
            .with_note(format!("cannot be opened: {error}"));
            return Ok(root);
        }
    };
    let no_keys = KeySet::none();
    let keys_given = keys.is_some();
    let keys = keys.unwrap_or(&no_keys);
    let ciphered = packet.spi.ciphering();
    let mut secured = Field::new(
        "ota_command.secured",
        "Secured part (CNTR to the end)",
        start,
        secured_len,
    );
    let plain = match packet.plaintext(&codings, keys) {
        Ok(plain) => plain,
        Err(error) => {
            secured.value = format!(
                "{secured_len} bytes, ciphered ({})",
                codings.cipher.map_or("?", |c| c.name())
            );
            secured.note = if keys_given || !matches!(error, SecurityError::KeyMissing { .. }) {
                format!("cannot be deciphered: {error}")
            } else {
                "ciphered: give the KIc key to read CNTR, PCNTR, the checksum and the data".into()
            };
            root.children.push(secured);
            return Ok(root);
        }
    };
    let cs = packet.checksum_len();
    let verdict = match packet.expected_checksum(&codings, &plain, keys) {
        Ok(Some(expected)) if crypto::same_checksum(&expected, &plain[6..6 + cs]) => {
            "verified".to_string()
        }
        Ok(Some(expected)) => format!(
            "does NOT verify (the keys give {}): the card answers RC/CC/DS failed",
            hex::compact(&expected)
        ),
        Ok(None) => String::new(),
        Err(SecurityError::KeyMissing { .. }) => "not verified: give the KID key".to_string(),
        Err(error) => format!("cannot be verified: {error}"),
    };
    let path = if ciphered {
        "ota_command.secured.deciphered"
    } else {
        "ota_command.secured"
    };
    let mut inner = Field::new(path, "Deciphered", start, secured_len);
    inner
        .child("cntr", "Counter (CNTR)", start, 5)
        .with_value(hex::compact(&plain[..5]))
        .with_note(packet.spi.counter().name());
    let pcntr = plain[5];
    inner
        .child("pcntr", "Padding counter (PCNTR)", start + 5, 1)
        .with_value(pcntr.to_string())
        .with_note("number of padding bytes at the end of the secured data");
    if cs > 0 {
        inner
            .child(
                "checksum",
                checksum_label(codings.command_check),
                start + 6,
                cs,
            )
            .with_value(hex::compact(&plain[6..6 + cs]))
            .with_note(format!("{}; {verdict}", codings.command_check.name()));
    }
    let rest = plain.len() - 6 - cs;
    let data_start = start + 6 + cs;
    if usize::from(pcntr) <= rest {
        let data_len = rest - usize::from(pcntr);
        if data_len > 0 {
            inner
                .child("data", "Secured data", data_start, data_len)
                .with_value(hex::spaced(&plain[6 + cs..6 + cs + data_len]))
                .with_note("the application message: remote commands for the TAR (TS 102 226)");
        }
        if pcntr > 0 {
            inner
                .child(
                    "padding",
                    "Padding",
                    data_start + data_len,
                    usize::from(pcntr),
                )
                .with_value(hex::compact(&plain[6 + cs + data_len..]));
        }
    } else if rest > 0 {
        inner
            .child("data", "Secured data", data_start, rest)
            .with_value(hex::spaced(&plain[6 + cs..]))
            .with_note(format!(
                "PCNTR {pcntr} is larger than these {rest} bytes: the packet is malformed"
            ));
    }
    if ciphered {
        secured.value = format!(
            "{secured_len} bytes, ciphered ({})",
            codings.cipher.map_or("?", |c| c.name())
        );
        secured.note = "CBC with a zero initial chaining value (TS 102 225 §5.1.2)".into();
        inner.value = hex::compact(&plain);
        inner.note = "the plaintext, deciphered with the KIc key: these bytes are not in the message; each field below points at the ciphertext bytes at the same positions".into();
        secured.children.push(inner);
    } else {
        secured.value = format!("{secured_len} bytes, not ciphered");
        secured.children = inner.children;
    }
    root.children.push(secured);
    Ok(root)
}

fn checksum_label(check: Check) -> &'static str {
    match check {
        Check::Rc(_) => "Redundancy check (RC)",
        Check::Cc { .. } => "Cryptographic checksum (CC)",
        Check::None => "Checksum",
    }
}
