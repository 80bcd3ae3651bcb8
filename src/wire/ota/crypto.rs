//! Keys and the cryptographic operations of TS 102 225 §5.1.2–5.1.3, all through
//! RustCrypto crates: `des` and `aes` block ciphers in CBC mode (`cbc`, zero initial
//! chaining value), the triple DES CBC-MAC as the final block of that CBC encryption
//! (ISO/IEC 9797-1 MAC algorithm 1, padding method 1), AES CMAC (`cmac`, RFC 4493) and
//! the ISO/IEC 13239 CRCs (`crc`). Checksums are compared in constant time (`subtle`).

use super::coding::{CcAlgorithm, CipherAlgorithm, RcAlgorithm};
use super::error::SecurityError;
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockCipher, BlockDecryptMut, BlockEncryptMut, KeyInit, KeyIvInit};
use cmac::Mac;
use serde::{Deserialize, Serialize};
use std::fmt;
use subtle::ConstantTimeEq;

/// A ciphering key bound to its algorithm: a packet naming another algorithm is refused
/// rather than run with this key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CipherKey {
    pub algorithm: CipherAlgorithm,
    #[serde(with = "super::hex_bytes")]
    pub key: Vec<u8>,
}

impl CipherKey {
    /// A checked key: right length for the algorithm, and no triple DES key whose
    /// halves are equal (that is single DES).
    pub fn new(algorithm: CipherAlgorithm, key: impl Into<Vec<u8>>) -> Result<Self, SecurityError> {
        let key = CipherKey {
            algorithm,
            key: key.into(),
        };
        key.check()?;
        Ok(key)
    }

    /// Checks length and triple DES degeneracy.
    pub fn check(&self) -> Result<(), SecurityError> {
        check_key("KIc", self.algorithm.key_lengths(), &self.key)?;
        if self.algorithm != CipherAlgorithm::Aes {
            check_des_halves("KIc", &self.key)?;
        }
        Ok(())
    }
}

impl fmt::Debug for CipherKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CipherKey({:?}, {} bytes)",
            self.algorithm,
            self.key.len()
        )
    }
}

/// A cryptographic checksum key bound to its algorithm.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CcKey {
    pub algorithm: CcAlgorithm,
    #[serde(with = "super::hex_bytes")]
    pub key: Vec<u8>,
}

impl CcKey {
    /// A checked key (see [`CipherKey::new`]).
    pub fn new(algorithm: CcAlgorithm, key: impl Into<Vec<u8>>) -> Result<Self, SecurityError> {
        let key = CcKey {
            algorithm,
            key: key.into(),
        };
        key.check()?;
        Ok(key)
    }

    pub fn check(&self) -> Result<(), SecurityError> {
        check_key("KID", self.algorithm.key_lengths(), &self.key)?;
        if self.algorithm != CcAlgorithm::AesCmac {
            check_des_halves("KID", &self.key)?;
        }
        Ok(())
    }
}

impl fmt::Debug for CcKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CcKey({:?}, {} bytes)", self.algorithm, self.key.len())
    }
}

/// The keys one packet is secured or opened with: the KIc key (ciphering) and the KID
/// key (cryptographic checksum). A redundancy check needs no key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySet {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kic: Option<CipherKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<CcKey>,
}

impl KeySet {
    /// No keys (enough for unciphered packets with no CC).
    pub fn none() -> KeySet {
        KeySet::default()
    }

    /// Keys given as raw bytes, bound to the algorithms the KIc and KID bytes of a
    /// packet name (as a person types them on a command line). A key whose coding is
    /// refused or that does not fit its algorithm is an error; the KID key is only
    /// bound when `kid` codes a cryptographic checksum algorithm.
    pub fn for_codings(
        kic: u8,
        kid: u8,
        kic_key: Option<&[u8]>,
        kid_key: Option<&[u8]>,
    ) -> Result<KeySet, SecurityError> {
        let kic = match kic_key {
            Some(key) => Some(CipherKey::new(super::coding::cipher_algorithm(kic)?, key)?),
            None => None,
        };
        let kid = match kid_key {
            Some(key) => Some(CcKey::new(super::coding::cc_algorithm(kid)?, key)?),
            None => None,
        };
        Ok(KeySet { kic, kid })
    }

    /// The KIc key, checked against the algorithm the packet names.
    pub fn cipher_key(&self, algorithm: CipherAlgorithm) -> Result<&CipherKey, SecurityError> {
        let key = self
            .kic
            .as_ref()
            .ok_or(SecurityError::KeyMissing { which: "KIc" })?;
        if key.algorithm != algorithm {
            return Err(SecurityError::KeyMismatch {
                which: "ciphering (KIc)",
                packet: algorithm.name(),
                key: key.algorithm.name(),
            });
        }
        key.check()?;
        Ok(key)
    }

    /// The KID key, checked against the algorithm the packet names.
    pub fn cc_key(&self, algorithm: CcAlgorithm) -> Result<&CcKey, SecurityError> {
        let key = self
            .kid
            .as_ref()
            .ok_or(SecurityError::KeyMissing { which: "KID" })?;
        if key.algorithm != algorithm {
            return Err(SecurityError::KeyMismatch {
                which: "the cryptographic checksum (KID)",
                packet: algorithm.name(),
                key: key.algorithm.name(),
            });
        }
        key.check()?;
        Ok(key)
    }
}

fn check_key(which: &'static str, lengths: &[usize], key: &[u8]) -> Result<(), SecurityError> {
    if lengths.contains(&key.len()) {
        Ok(())
    } else {
        Err(SecurityError::BadKey {
            which,
            detail: format!(
                "{} bytes, the algorithm takes {}",
                key.len(),
                lengths
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    }
}

/// Refuses a triple DES key with two equal adjacent 8-byte parts (parity bits ignored):
/// E(K1) D(K1) cancel out and the cipher is single DES.
fn check_des_halves(which: &'static str, key: &[u8]) -> Result<(), SecurityError> {
    let parts: Vec<&[u8]> = key.chunks(8).collect();
    let same = |a: &[u8], b: &[u8]| a.iter().zip(b).all(|(x, y)| x & 0xFE == y & 0xFE);
    if parts.windows(2).any(|w| same(w[0], w[1])) {
        return Err(SecurityError::BadKey {
            which,
            detail: "two adjacent 8-byte parts are equal, so triple DES falls back to single DES"
                .into(),
        });
    }
    Ok(())
}

fn bad_length<E>(_: E) -> SecurityError {
    SecurityError::Ciphering("data is not a whole number of cipher blocks".into())
}

fn cbc_encrypt<C>(key: &[u8], data: &mut [u8]) -> Result<(), SecurityError>
where
    C: BlockCipher + BlockEncryptMut + KeyInit,
{
    let iv = vec![0u8; C::block_size()];
    let cipher =
        cbc::Encryptor::<C>::new_from_slices(key, &iv).map_err(|_| SecurityError::BadKey {
            which: "cipher",
            detail: "wrong length".into(),
        })?;
    let len = data.len();
    cipher
        .encrypt_padded_mut::<NoPadding>(data, len)
        .map_err(bad_length)?;
    Ok(())
}

fn cbc_decrypt<C>(key: &[u8], data: &mut [u8]) -> Result<(), SecurityError>
where
    C: BlockCipher + BlockDecryptMut + KeyInit,
{
    let iv = vec![0u8; C::block_size()];
    let cipher =
        cbc::Decryptor::<C>::new_from_slices(key, &iv).map_err(|_| SecurityError::BadKey {
            which: "cipher",
            detail: "wrong length".into(),
        })?;
    cipher
        .decrypt_padded_mut::<NoPadding>(data)
        .map_err(bad_length)?;
    Ok(())
}

/// Enciphers `data` in place (CBC, zero initial chaining value). The length must be a
/// multiple of the block.
pub fn encipher(key: &CipherKey, data: &mut [u8]) -> Result<(), SecurityError> {
    key.check()?;
    if data.len() % key.algorithm.block_len() != 0 {
        return Err(bad_length(()));
    }
    match (key.algorithm, key.key.len()) {
        (CipherAlgorithm::TripleDes2Key, _) => cbc_encrypt::<des::TdesEde2>(&key.key, data),
        (CipherAlgorithm::TripleDes3Key, _) => cbc_encrypt::<des::TdesEde3>(&key.key, data),
        (CipherAlgorithm::Aes, 16) => cbc_encrypt::<aes::Aes128>(&key.key, data),
        (CipherAlgorithm::Aes, 24) => cbc_encrypt::<aes::Aes192>(&key.key, data),
        (CipherAlgorithm::Aes, _) => cbc_encrypt::<aes::Aes256>(&key.key, data),
    }
}

/// Deciphers `data` in place (CBC, zero initial chaining value).
pub fn decipher(key: &CipherKey, data: &mut [u8]) -> Result<(), SecurityError> {
    key.check()?;
    if data.len() % key.algorithm.block_len() != 0 {
        return Err(bad_length(()));
    }
    match (key.algorithm, key.key.len()) {
        (CipherAlgorithm::TripleDes2Key, _) => cbc_decrypt::<des::TdesEde2>(&key.key, data),
        (CipherAlgorithm::TripleDes3Key, _) => cbc_decrypt::<des::TdesEde3>(&key.key, data),
        (CipherAlgorithm::Aes, 16) => cbc_decrypt::<aes::Aes128>(&key.key, data),
        (CipherAlgorithm::Aes, 24) => cbc_decrypt::<aes::Aes192>(&key.key, data),
        (CipherAlgorithm::Aes, _) => cbc_decrypt::<aes::Aes256>(&key.key, data),
    }
}

/// AES CMAC of `data` with a 16-, 24- or 32-byte key (RFC 4493), all 16 bytes.
fn aes_cmac(key: &[u8], data: &[u8]) -> Result<Vec<u8>, SecurityError> {
    macro_rules! run {
        ($cipher:ty) => {{
            let mut mac = <cmac::Cmac<$cipher> as KeyInit>::new_from_slice(key).map_err(|_| {
                SecurityError::BadKey {
                    which: "KID",
                    detail: "wrong length".into(),
                }
            })?;
            Mac::update(&mut mac, data);
            mac.finalize().into_bytes().to_vec()
        }};
    }
    Ok(match key.len() {
        16 => run!(aes::Aes128),
        24 => run!(aes::Aes192),
        _ => run!(aes::Aes256),
    })
}

/// The cryptographic checksum of `data`, `len` bytes (TS 102 225 §5.1.3.1):
/// * triple DES: `data` padded with zeros to a multiple of 8 (the padding is not sent),
///   enciphered in CBC mode with a zero initial chaining value; the CC is the whole
///   final block (ISO/IEC 9797-1 MAC algorithm 1, padding method 1);
/// * AES: CMAC (RFC 4493, which pads by itself), the leftmost `len` bytes.
pub fn checksum(key: &CcKey, data: &[u8], len: usize) -> Result<Vec<u8>, SecurityError> {
    key.check()?;
    if !key.algorithm.checksum_lengths().contains(&len) {
        return Err(SecurityError::Unsupported(format!(
            "a {len}-byte checksum with {}",
            key.algorithm.name()
        )));
    }
    let full = match key.algorithm {
        CcAlgorithm::TripleDes2Key | CcAlgorithm::TripleDes3Key => {
            let mut padded = data.to_vec();
            padded.resize(data.len().div_ceil(8).max(1) * 8, 0);
            match key.algorithm {
                CcAlgorithm::TripleDes2Key => cbc_encrypt::<des::TdesEde2>(&key.key, &mut padded)?,
                _ => cbc_encrypt::<des::TdesEde3>(&key.key, &mut padded)?,
            }
            padded.split_off(padded.len() - 8)
        }
        CcAlgorithm::AesCmac => aes_cmac(&key.key, data)?,
    };
    Ok(full[..len].to_vec())
}

/// The redundancy check of `data`, most significant byte first (TS 102 225 §5.1.3.2,
/// ISO/IEC 13239).
pub fn redundancy_check(algorithm: RcAlgorithm, data: &[u8]) -> Vec<u8> {
    match algorithm {
        RcAlgorithm::Crc16 => crc::Crc::<u16>::new(&crc::CRC_16_IBM_SDLC)
            .checksum(data)
            .to_be_bytes()
            .to_vec(),
        RcAlgorithm::Crc32 => crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC)
            .checksum(data)
            .to_be_bytes()
            .to_vec(),
    }
}

/// Constant-time equality of two checksums (lengths are public).
pub fn same_checksum(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_is_the_iso_13239_x25_crc_and_crc32_the_zlib_one() {
        // Catalogue check values over "123456789".
        assert_eq!(
            redundancy_check(RcAlgorithm::Crc16, b"123456789"),
            [0x90, 0x6E]
        );
        assert_eq!(
            redundancy_check(RcAlgorithm::Crc32, b"123456789"),
            [0xCB, 0xF4, 0x39, 0x26]
        );
    }

    #[test]
    fn aes_cmac_matches_rfc_4493_example_2() {
        // RFC 4493 §4, example 2 (16-byte message), truncated to 8 bytes.
        let key = CcKey::new(
            CcAlgorithm::AesCmac,
            hex::decode("2b7e151628aed2a6abf7158809cf4f3c").unwrap(),
        )
        .unwrap();
        let message = hex::decode("6bc1bee22e409f96e93d7e117393172a").unwrap();
        assert_eq!(
            checksum(&key, &message, 8).unwrap(),
            hex::decode("070a16b46b4d4144").unwrap()
        );
        assert_eq!(
            checksum(&key, &message, 4).unwrap(),
            hex::decode("070a16b4").unwrap()
        );
    }

    #[test]
    fn cipher_round_trips_for_every_algorithm_and_rejects_partial_blocks() {
        let keys = [
            CipherKey::new(
                CipherAlgorithm::TripleDes2Key,
                (1..=16).collect::<Vec<u8>>(),
            ),
            CipherKey::new(
                CipherAlgorithm::TripleDes3Key,
                (1..=24).collect::<Vec<u8>>(),
            ),
            CipherKey::new(CipherAlgorithm::Aes, (1..=16).collect::<Vec<u8>>()),
            CipherKey::new(CipherAlgorithm::Aes, (1..=24).collect::<Vec<u8>>()),
            CipherKey::new(CipherAlgorithm::Aes, (1..=32).collect::<Vec<u8>>()),
        ];
        for key in keys {
            let key = key.unwrap();
            let plain: Vec<u8> = (0..32).collect();
            let mut data = plain.clone();
            encipher(&key, &mut data).unwrap();
            assert_ne!(data, plain);
            decipher(&key, &mut data).unwrap();
            assert_eq!(data, plain);
            let mut odd = vec![0u8; 15];
            assert!(matches!(
                decipher(&key, &mut odd),
                Err(SecurityError::Ciphering(_))
            ));
        }
    }

    #[test]
    fn keys_of_wrong_length_or_single_des_strength_are_refused() {
        assert!(CipherKey::new(CipherAlgorithm::TripleDes2Key, vec![1; 8]).is_err());
        assert!(CipherKey::new(CipherAlgorithm::Aes, vec![1; 20]).is_err());
        // K1 = K2 (up to parity bits): single DES in disguise.
        let mut weak = vec![0x10u8; 8];
        weak.extend([0x11u8; 8]);
        let error = CcKey::new(CcAlgorithm::TripleDes2Key, weak).unwrap_err();
        assert!(error.to_string().contains("single DES"), "{error}");
        let mut weak3: Vec<u8> = (1..=8).collect();
        weak3.extend((11..=18).collect::<Vec<u8>>());
        weak3.extend((11..=18).collect::<Vec<u8>>());
        assert!(CipherKey::new(CipherAlgorithm::TripleDes3Key, weak3).is_err());
    }

    #[test]
    fn key_set_binds_algorithms() {
        let keys = KeySet::for_codings(0x35, 0x35, Some(&[0x30; 16][..]), None);
        // 16 equal bytes: degenerate.
        assert!(keys.is_err());
        let keys = KeySet::for_codings(
            0x35,
            0x12,
            Some(&hex::decode("300102030405060708090a0b0c0d0e0f").unwrap()),
            Some(&[7u8; 16][..]),
        )
        .unwrap();
        assert!(keys.cipher_key(CipherAlgorithm::Aes).is_err());
        assert!(keys.cipher_key(CipherAlgorithm::TripleDes2Key).is_ok());
        assert!(keys.cc_key(CcAlgorithm::AesCmac).is_ok());
        assert!(matches!(
            KeySet::none().cc_key(CcAlgorithm::AesCmac),
            Err(SecurityError::KeyMissing { .. })
        ));
        assert!(
            !format!("{keys:?}").contains("07"),
            "keys stay out of Debug"
        );
    }

    #[test]
    fn checksums_compare_by_value_and_length() {
        assert!(same_checksum(&[1, 2], &[1, 2]));
        assert!(!same_checksum(&[1, 2], &[1, 3]));
        assert!(!same_checksum(&[1, 2], &[1, 2, 3]));
    }
}
