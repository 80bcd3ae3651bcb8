//! The response packet, or proof of receipt (PoR): ETSI TS 102 225 §5.2, as carried in
//! one SMS by 3GPP TS 31.115 §4.4.
//!
//! ```text
//! 02 71 00 | RPL(2) RHL(1) TAR(3) | CNTR(5) PCNTR(1) status(1) RC/CC/DS | data | padding
//!   UDH    └─────── clear ───────┘ └──── ciphered when the command's SPI b5 of byte 2 ───┘
//! ```
//!
//! * RPL counts the bytes after it; RHL counts TAR to the end of RC/CC/DS
//!   (RHL = 10 + the checksum's length).
//! * The SPI, KIc and KID of the command decide how the PoR is secured (second SPI
//!   byte); the same keys are used.
//! * RC/CC/DS covers the three UDH bytes `02 71 00` (TS 31.115 §4.4: "in order to
//!   achieve a modulo 8 length of the data before the RC/CC/DS field ... the UDHL, IEIa
//!   and IEIDLa shall be included"), RPL to the status code, then the additional data
//!   and padding.
//! * Additional response data: for remote file and applet management the compact
//!   remote response of TS 102 226 §5.1.2, [`CompactResponse`].
//!
//! This module produces and reads the PoR as SMS user data, UDH included; the readers
//! also accept a bare packet starting at RPL (the UDH is then taken to be `02 71 00`).

use super::coding::{Check, Codings, PorStatus};
use super::crypto::{self, KeySet};
use super::error::SecurityError;
use super::{check_counter_fits, counter_bytes, counter_from, Spi, Tar};
use crate::wire::field::FieldFill;
use crate::wire::status::StatusWord;
use crate::wire::{hex, DecodeError, Field};

/// The user data header of a single-SMS PoR: UDHL 2, IEI `71` (response packet), IEIDL 0.
pub const RESPONSE_UDH: [u8; 3] = [0x02, 0x71, 0x00];
/// RHL with no RC/CC/DS: TAR(3) CNTR(5) PCNTR status.
pub const MIN_RHL: usize = 10;

/// What the card puts in a PoR's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseParams {
    /// The command's SPI: its second byte says how to secure the PoR.
    pub spi: Spi,
    /// The command's KIc and KID.
    pub kic: u8,
    pub kid: u8,
    pub tar: Tar,
    /// CNTR: the command's counter.
    pub counter: u64,
    pub status: PorStatus,
    /// Length of an AES CMAC: the command's (8 when `None`).
    pub cc_len: Option<usize>,
}

/// Builds a PoR as SMS user data (`02 71 00` then RPL…), secured as the second SPI
/// byte asks (TS 102 225 §5.2, TS 31.115 §4.4).
pub fn secure_response(
    params: &ResponseParams,
    keys: &KeySet,
    additional: &[u8],
) -> Result<Vec<u8>, SecurityError> {
    check_counter_fits(params.counter)?;
    let codings = Codings::resolve(params.spi, params.kic, params.kid, params.cc_len)?;
    let cs = codings.por_check.len();
    let pad = match (params.spi.por_protection().1, codings.cipher) {
        (true, Some(cipher)) => {
            let block = cipher.block_len();
            (block - (7 + cs + additional.len()) % block) % block
        }
        _ => 0,
    };
    let rhl = MIN_RHL + cs;
    let rpl = 1 + rhl + additional.len() + pad;
    let rpl16 = u16::try_from(rpl).map_err(|_| SecurityError::TooLong {
        what: "response packet",
        len: rpl,
    })?;
    let counter = counter_bytes(params.counter);
    let mut head = RESPONSE_UDH.to_vec();
    head.extend_from_slice(&rpl16.to_be_bytes());
    head.push(rhl as u8);
    head.extend_from_slice(&params.tar.0);
    let mut tail = additional.to_vec();
    tail.resize(additional.len() + pad, 0);
    let mut input = head.clone();
    input.extend_from_slice(&counter);
    input.push(pad as u8);
    input.push(params.status.byte());
    input.extend_from_slice(&tail);
    let checksum = match codings.por_check {
        Check::None => Vec::new(),
        Check::Rc(rc) => crypto::redundancy_check(rc, &input),
        Check::Cc { algorithm, len } => crypto::checksum(keys.cc_key(algorithm)?, &input, len)?,
    };
    let mut secured = counter.to_vec();
    secured.push(pad as u8);
    secured.push(params.status.byte());
    secured.extend_from_slice(&checksum);
    secured.extend_from_slice(&tail);
    if params.spi.por_protection().1 {
        if let Some(cipher) = codings.cipher {
            crypto::encipher(keys.cipher_key(cipher)?, &mut secured)?;
        }
    }
    head.extend_from_slice(&secured);
    Ok(head)
}

/// A PoR with no protection at all (no ciphering, no RC/CC/DS), CNTR and PCNTR zero:
/// what a card sends when it must not, or cannot, use its keys (TS 102 225 §5.2.2
/// prescribes this form for status `06`).
pub fn unsecured_response(tar: Tar, status: PorStatus) -> Vec<u8> {
    let mut out = RESPONSE_UDH.to_vec();
    out.extend_from_slice(&(1 + MIN_RHL as u16).to_be_bytes());
    out.push(MIN_RHL as u8);
    out.extend_from_slice(&tar.0);
    out.extend_from_slice(&[0; 5]);
    out.push(0);
    out.push(status.byte());
    out
}

/// The clear view of a PoR: lengths checked (RPL equals the bytes after it; 10 ≤ RHL ≤
/// RPL − 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponsePacket<'a> {
    /// The bytes given, UDH included when it was.
    bytes: &'a [u8],
    /// Offset of RPL: 3 with the UDH, 0 without.
    offset: usize,
    pub rhl: u8,
    pub tar: Tar,
}

impl<'a> ResponsePacket<'a> {
    /// Parses SMS user data `02 71 00 RPL …` or a bare packet `RPL …`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let fits = |offset: usize| {
            bytes.len() >= offset + 2
                && usize::from(u16::from_be_bytes([bytes[offset], bytes[offset + 1]])) + 2 + offset
                    == bytes.len()
        };
        let offset = if bytes.starts_with(&RESPONSE_UDH) && fits(3) {
            3
        } else if fits(0) {
            0
        } else if bytes.len() < 2 {
            return Err(DecodeError::Truncated {
                what: "response packet (RPL)",
                needed: 2,
                available: bytes.len(),
            });
        } else {
            return Err(DecodeError::BadLength {
                what: "response packet (RPL)",
                detail: format!(
                    "neither 02 71 00 RPL… nor RPL… matches the {} bytes given",
                    bytes.len()
                ),
            });
        };
        let packet = &bytes[offset..];
        let header = packet.get(..6).ok_or(DecodeError::Truncated {
            what: "response packet header (RPL to TAR)",
            needed: 6,
            available: packet.len(),
        })?;
        let rpl = packet.len() - 2;
        let rhl = header[2];
        if usize::from(rhl) < MIN_RHL {
            return Err(DecodeError::BadLength {
                what: "response header (RHL)",
                detail: format!("RHL {rhl} is below 10, the length of TAR to the status code"),
            });
        }
        if usize::from(rhl) > rpl - 1 {
            return Err(DecodeError::BadLength {
                what: "response header (RHL)",
                detail: format!("RHL {rhl} runs past the end of the packet (RPL {rpl})"),
            });
        }
        Ok(ResponsePacket {
            bytes,
            offset,
            rhl,
            tar: Tar([header[3], header[4], header[5]]),
        })
    }

    /// Whether the UDH `02 71 00` was part of the bytes.
    pub fn has_udh(&self) -> bool {
        self.offset == 3
    }

    /// RPL.
    pub fn rpl(&self) -> u16 {
        (self.bytes.len() - self.offset - 2) as u16
    }

    /// RHL − 10.
    pub fn checksum_len(&self) -> usize {
        usize::from(self.rhl) - MIN_RHL
    }

    /// CNTR to the end, as received.
    pub fn secured(&self) -> &'a [u8] {
        &self.bytes[self.offset + 6..]
    }

    /// The checksum input: UDH, RPL to TAR, CNTR PCNTR status, data and padding.
    fn checksum_input(&self, plain: &[u8]) -> Vec<u8> {
        let cs = self.checksum_len();
        let mut input = RESPONSE_UDH.to_vec();
        input.extend_from_slice(&self.bytes[self.offset..self.offset + 6]);
        input.extend_from_slice(&plain[..7]);
        input.extend_from_slice(&plain[7 + cs..]);
        input
    }
}

/// A PoR opened with the command's SPI, KIc, KID and keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenedResponse {
    pub tar: Tar,
    pub counter: u64,
    pub pcntr: u8,
    pub status: PorStatus,
    /// The RC/CC/DS as received (verified when `protected`).
    pub checksum: Vec<u8>,
    /// The integrity mechanism that was checked.
    pub check: Check,
    /// Whether it was deciphered.
    pub ciphered: bool,
    /// Whether the PoR carried the protection the SPI asked for. A card sends error
    /// PoRs without protection (see [`unsecured_response`]); such a PoR is accepted only
    /// with an error status.
    pub protected: bool,
    /// Additional response data, padding removed.
    pub data: Vec<u8>,
}

/// Opens a PoR (TS 102 225 §5.2, TS 31.115 §4.4) with the command's `spi`, `kic`, `kid`
/// and keys: deciphers, checks the RC/CC in constant time, removes the padding.
///
/// An error PoR may come back unprotected (RHL 10 when the SPI asked for an RC/CC, or a
/// "ciphered" part that is not a whole number of blocks): it is read in clear, marked
/// `protected: false`, and refused if it claims success
/// ([`SecurityError::UnprotectedSuccess`]).
pub fn open_response(
    bytes: &[u8],
    spi: Spi,
    kic: u8,
    kid: u8,
    keys: &KeySet,
) -> Result<OpenedResponse, SecurityError> {
    let packet = ResponsePacket::parse(bytes)?;
    let cs = packet.checksum_len();
    let cc_len = (cs > 0).then_some(cs);
    let codings = Codings::resolve(spi, kic, kid, cc_len)?;
    let wants_check = !codings.por_check.is_empty();
    let secured = packet.secured();
    let block_mismatch = codings
        .cipher
        .is_some_and(|c| secured.len() % c.block_len() != 0);
    let unprotected =
        (wants_check && cs == 0) || (spi.por_protection().1 && block_mismatch && !wants_check);
    if unprotected {
        let opened = clear_response(&packet, secured, false)?;
        if opened.status == PorStatus::Ok {
            return Err(SecurityError::UnprotectedSuccess);
        }
        return Ok(opened);
    }
    if codings.por_check.len() != cs {
        return Err(SecurityError::Malformed(DecodeError::BadLength {
            what: "response header (RHL)",
            detail: format!(
                "RHL {} leaves {cs} checksum byte(s), the SPI asks for {}",
                packet.rhl,
                codings.por_check.len()
            ),
        }));
    }
    let mut plain = secured.to_vec();
    let ciphered = spi.por_protection().1;
    if ciphered {
        let cipher = codings
            .cipher
            .ok_or_else(|| SecurityError::Unsupported("ciphering without KIc".into()))?;
        if plain.len() % cipher.block_len() != 0 {
            return Err(SecurityError::Ciphering(format!(
                "{} ciphered bytes are not a whole number of {}-byte blocks",
                plain.len(),
                cipher.block_len()
            )));
        }
        crypto::decipher(keys.cipher_key(cipher)?, &mut plain)?;
    }
    if plain.len() < 7 + cs {
        return Err(SecurityError::Malformed(DecodeError::Truncated {
            what: "response packet (CNTR to RC/CC/DS)",
            needed: 7 + cs,
            available: plain.len(),
        }));
    }
    let received = &plain[7..7 + cs];
    let input = packet.checksum_input(&plain);
    let expected = match codings.por_check {
        Check::None => None,
        Check::Rc(rc) => Some(crypto::redundancy_check(rc, &input)),
        Check::Cc { algorithm, len } => {
            Some(crypto::checksum(keys.cc_key(algorithm)?, &input, len)?)
        }
    };
    if let Some(expected) = expected {
        if !crypto::same_checksum(&expected, received) {
            return Err(SecurityError::ChecksumFailed);
        }
    }
    let mut opened = clear_response(&packet, &plain, true)?;
    opened.check = codings.por_check;
    opened.ciphered = ciphered;
    Ok(opened)
}

/// Reads CNTR to the end of a clear PoR.
fn clear_response(
    packet: &ResponsePacket<'_>,
    plain: &[u8],
    checked: bool,
) -> Result<OpenedResponse, SecurityError> {
    let cs = packet.checksum_len();
    if plain.len() < 7 + cs {
        return Err(SecurityError::Malformed(DecodeError::Truncated {
            what: "response packet (CNTR to RC/CC/DS)",
            needed: 7 + cs,
            available: plain.len(),
        }));
    }
    let pcntr = plain[5];
    let rest = &plain[7 + cs..];
    if usize::from(pcntr) > rest.len() {
        return Err(SecurityError::BadPadding {
            pcntr,
            available: rest.len(),
        });
    }
    Ok(OpenedResponse {
        tar: packet.tar,
        counter: counter_from(&plain[..5]),
        pcntr,
        status: PorStatus::from_byte(plain[6]),
        checksum: plain[7..7 + cs].to_vec(),
        check: Check::None,
        ciphered: false,
        protected: checked,
        data: rest[..rest.len() - usize::from(pcntr)].to_vec(),
    })
}

/// The compact remote response of TS 102 226 §5.1.2: how many commands of the script
/// ran, the status word of the last one, and its response data if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompactResponse {
    pub executed: u8,
    pub last_status: StatusWord,
    pub last_data: Vec<u8>,
}

impl CompactResponse {
    /// Reads additional response data in the compact format (at least 3 bytes).
    pub fn parse(data: &[u8]) -> Option<CompactResponse> {
        let (&executed, rest) = data.split_first()?;
        let sw = rest.get(..2)?;
        Some(CompactResponse {
            executed,
            last_status: StatusWord(u16::from_be_bytes([sw[0], sw[1]])),
            last_data: rest[2..].to_vec(),
        })
    }

    /// The additional data bytes.
    pub fn emit(&self) -> Vec<u8> {
        let mut out = vec![self.executed];
        out.extend_from_slice(&self.last_status.0.to_be_bytes());
        out.extend_from_slice(&self.last_data);
        out
    }

    fn describe(&self, path: &str, start: usize, len: usize) -> Field {
        let mut field = Field::new(path, "Additional response data", start, len)
            .with_value(format!(
                "{} command(s) executed, last status word {:04X}",
                self.executed, self.last_status.0
            ))
            .with_note("compact remote response, TS 102 226 §5.1.2");
        field
            .child("executed", "Number of commands executed", start, 1)
            .with_value(self.executed.to_string());
        field
            .child(
                "last_status",
                "Status word of the last command",
                start + 1,
                2,
            )
            .with_value(format!("{:04X}", self.last_status.0))
            .with_note(self.last_status.meaning());
        if !self.last_data.is_empty() {
            field
                .child(
                    "last_data",
                    "Response data of the last command",
                    start + 3,
                    self.last_data.len(),
                )
                .with_value(hex::spaced(&self.last_data));
        }
        field
    }
}

/// What opening a PoR needs: the command's SPI, KIc and KID, and the keys.
#[derive(Clone, Copy, Debug)]
pub struct ResponseContext<'a> {
    pub spi: Spi,
    pub kic: u8,
    pub kid: u8,
    pub keys: &'a KeySet,
}

/// The field tree of a PoR (path `ota_response`, offsets from the first byte given).
/// Without a context the part after TAR is one field (it may be ciphered); with one,
/// it is opened as [`open_response`] does and its fields shown, deciphered ones as in
/// [`super::describe_command`].
pub fn describe_response(
    bytes: &[u8],
    context: Option<&ResponseContext<'_>>,
) -> Result<Field, DecodeError> {
    let packet = ResponsePacket::parse(bytes)?;
    let o = packet.offset;
    let mut root = Field::new("ota_response", "Response packet (PoR)", 0, bytes.len())
        .with_value(format!("TAR {}", packet.tar))
        .with_note("ETSI TS 102 225 §5.2, SMS form of 3GPP TS 31.115 §4.4");
    if packet.has_udh() {
        let udh = root
            .child("udh", "User data header", 0, 3)
            .with_value("02 71 00")
            .with_note("UDHL 2, IEI 71 (response packet), length 0; part of the RC/CC/DS input");
        udh.child("udhl", "UDHL", 0, 1).with_value("2");
        udh.child("iei", "IEI", 1, 1)
            .with_value("71 response packet identifier");
        udh.child("iedl", "IEI data length", 2, 1).with_value("0");
    }
    root.child("rpl", "Response packet length (RPL)", o, 2)
        .with_value(packet.rpl().to_string())
        .with_note("bytes after RPL");
    root.child("rhl", "Response header length (RHL)", o + 2, 1)
        .with_value(packet.rhl.to_string())
        .with_note(format!(
            "TAR to the end of RC/CC/DS: 10 + {} checksum byte(s)",
            packet.checksum_len()
        ));
    root.child("tar", "Toolkit application reference (TAR)", o + 3, 3)
        .with_value(packet.tar.to_string())
        .with_note(packet.tar.name());
    let start = o + 6;
    let secured = packet.secured();
    let mut field = Field::new(
        "ota_response.secured",
        "Secured part (CNTR to the end)",
        start,
        secured.len(),
    )
    .with_value(format!("{} bytes", secured.len()));
    let Some(context) = context else {
        field.note =
            "ciphered or clear as the command's SPI said: give SPI, KIc, KID and keys to read it"
                .into();
        root.children.push(field);
        return Ok(root);
    };
    let opened = match open_response(bytes, context.spi, context.kic, context.kid, context.keys) {
        Ok(opened) => opened,
        Err(error) => {
            field.note = format!("cannot be opened: {error}");
            root.children.push(field);
            return Ok(root);
        }
    };
    let cs = packet.checksum_len();
    let path = if opened.ciphered {
        "ota_response.secured.deciphered"
    } else {
        "ota_response.secured"
    };
    let mut inner = Field::new(path, "Deciphered", start, secured.len());
    inner
        .child("cntr", "Counter (CNTR)", start, 5)
        .with_value(format!("{:010X}", opened.counter));
    inner
        .child("pcntr", "Padding counter (PCNTR)", start + 5, 1)
        .with_value(opened.pcntr.to_string());
    inner
        .child("status", "Response status code", start + 6, 1)
        .with_value(opened.status.to_string());
    if cs > 0 {
        inner
            .child("checksum", "RC/CC/DS", start + 7, cs)
            .with_value(hex::compact(&opened.checksum))
            .with_note(if opened.protected {
                format!("{}; verified", opened.check.name())
            } else {
                "not checked".to_string()
            });
    }
    let data_start = start + 7 + cs;
    if !opened.data.is_empty() {
        match (opened.status, CompactResponse::parse(&opened.data)) {
            (PorStatus::Ok, Some(compact)) => inner.children.push(compact.describe(
                &format!("{path}.data"),
                data_start,
                opened.data.len(),
            )),
            _ => {
                inner
                    .child(
                        "data",
                        "Additional response data",
                        data_start,
                        opened.data.len(),
                    )
                    .with_value(hex::spaced(&opened.data));
            }
        }
    }
    if opened.pcntr > 0 {
        inner
            .child(
                "padding",
                "Padding",
                data_start + opened.data.len(),
                usize::from(opened.pcntr),
            )
            .with_value(format!("{} byte(s)", opened.pcntr));
    }
    if !opened.protected {
        field.note = "sent without the protection the SPI asked for: an error PoR, not to be trusted beyond its status".into();
    }
    if opened.ciphered {
        field.value = format!("{} bytes, ciphered", secured.len());
        inner.note = "the plaintext, deciphered with the KIc key: each field below points at the ciphertext bytes at the same positions".into();
        field.children.push(inner);
    } else {
        field.value = format!("{} bytes, not ciphered", secured.len());
        field.children = inner.children;
    }
    root.children.push(field);
    Ok(root)
}
