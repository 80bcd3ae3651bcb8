//! The files this card is personalised with, from a [`Profile`].
//!
//! ```text
//! MF 3F00                                   read / update
//! ├── EF.DIR    2F00 linear fixed, SFI 1E   ALW / ADM
//! ├── EF.ICCID  2FE2 transparent,  SFI 02   ALW / NEV
//! ├── EF.ARR    2F06 linear fixed, SFI 06   ALW / ADM
//! ├── ADF.USIM  7FF0 (USIM AID; reached by AID or 7FFF)
//! │   ├── EF.IMSI 6F07 transparent, SFI 07  PIN / ADM   (3GPP TS 31.102 §4.2.2)
//! │   ├── EF.AD   6FAD transparent, SFI 03  ALW / ADM   (3GPP TS 31.102 §4.2.18)
//! │   └── EF.ACM  6F39 cyclic, 5 × 3 bytes  PIN / PIN   (3GPP TS 31.102 §4.2.9)
//! └── DF.SCWS   7F50 (named by the SCWS AID): the SCWS content, see crate::card::scws
//! ```
//!
//! The access rules follow TS 102 221 §13 and TS 31.102 §4.2 for each file; DFs take
//! record 1 (every DF operation for ADM1).

use crate::card::fs::{DfKind, File, FileKind, FileRef, FileTree, Structure, EF_ARR_ID};
use crate::card::ota::CounterState;
use crate::card::profile::Profile;
use crate::card::scws;
use crate::card::scws_admin::ScwsConfig;
use crate::card::security::{rule, Secret, ADM1, ALWAYS, PIN1, PIN_LEN};
use crate::card::storage::{Slot, Stored};
use crate::card::usim::SqnState;
use crate::wire::ber_tlv::Tlv;

/// File identifier of ADF.USIM as its FCP reports it.
pub const ADF_USIM_ID: u16 = 0x7FF0;

/// EF.ARR record numbers of the rules below, named as TS 31.102 tables name access
/// conditions (read, then update).
const DF_ADM: u8 = 1;
/// Read always, update with ADM1: the rule of the SCWS files too.
pub(crate) const ALW_ADM: u8 = 2;
const ALW_NEV: u8 = 3;
const PIN_ADM: u8 = 4;
const PIN_PIN: u8 = 5;

/// The records of EF.ARR, in order. For EFs the access mode bits are b1 read, b2 update,
/// b4 deactivate, b5 activate; for DFs b1 delete child, b2 create EF, b3 create DF, b4
/// deactivate, b5 activate, b6 terminate, b7 delete self (ISO/IEC 7816-4 §9.3.2).
fn access_rules() -> Vec<Vec<u8>> {
    vec![
        rule(&[(0x7F, Some(ADM1))]),
        rule(&[(0x01, Some(ALWAYS)), (0x1A, Some(ADM1))]),
        rule(&[(0x01, Some(ALWAYS)), (0x02, None), (0x18, Some(ADM1))]),
        rule(&[(0x01, Some(PIN1)), (0x1A, Some(ADM1))]),
        rule(&[(0x03, Some(PIN1)), (0x18, Some(ADM1))]),
    ]
}

/// A working EF's identifier, label, short file identifier and EF.ARR record.
type Ef<'a> = (u16, &'a str, Option<u8>, u8);

const MF_EFS: [Ef; 3] = [
    (0x2F00, "EF.DIR", Some(0x1E), ALW_ADM),
    (0x2FE2, "EF.ICCID", Some(0x02), ALW_NEV),
    (EF_ARR_ID, "EF.ARR", Some(0x06), ALW_ADM),
];

const USIM_EFS: [Ef; 3] = [
    (0x6F07, "EF.IMSI", Some(0x07), PIN_ADM),
    (0x6FAD, "EF.AD", Some(0x03), ALW_ADM),
    (0x6F39, "EF.ACM", None, PIN_PIN),
];

/// The file tree and the initial contents of every persistent object.
pub fn personalise(profile: &Profile) -> (FileTree, Vec<(Slot, Vec<u8>)>) {
    let mut card = Personalisation {
        tree: FileTree::new(DF_ADM),
        data: Vec::new(),
    };
    let mf = FileTree::MF;
    let dir = [
        (&profile.usim.aid, &profile.usim.label),
        (&profile.scws.aid, &profile.scws.label),
    ]
    .iter()
    .map(|(aid, label)| application_template(&aid.0, label))
    .collect();
    let iccid = bcd_swapped(profile.iccid.as_str(), 10);
    card.efs(
        mf,
        MF_EFS,
        [
            Content::LinearFixed(dir),
            Content::Transparent(iccid),
            Content::LinearFixed(access_rules()),
        ],
    );

    let usim = named_df(ADF_USIM_ID, "ADF.USIM", DfKind::Adf, &profile.usim.aid.0);
    let usim = card.tree.add(mf, usim);
    let imsi = imsi_coding(profile.usim.imsi.as_str());
    // EF.AD: UE operation mode normal, no additional information, the MNC length.
    let ad = vec![0x00, 0x00, 0x00, profile.usim.mnc_length];
    let acm = vec![vec![0; 3]; 5];
    card.efs(
        usim,
        USIM_EFS,
        [
            Content::Transparent(imsi),
            Content::Transparent(ad),
            Content::Cyclic(acm),
        ],
    );

    let scws_df = named_df(scws::DF_ID, "DF.SCWS", DfKind::Df, &profile.scws.aid.0);
    let scws_df = card.tree.add(mf, scws_df);
    let resources = profile.scws.resources.iter().zip(scws::RESOURCE_IDS);
    let mut index: Vec<Vec<u8>> = resources
        .clone()
        .map(|(r, fid)| scws::index_record(&r.path, &r.content_type, fid))
        .collect();
    index.resize(index.len().max(scws::MIN_INDEX_RECORDS), Vec::new());
    for record in &mut index {
        record.resize(scws::INDEX_RECORD_LEN, 0xFF);
    }
    let index_ef = (scws::INDEX_ID, "EF.SCWS_INDEX", None, ALW_ADM);
    card.ef(scws_df, index_ef, Content::LinearFixed(index));
    for (resource, fid) in resources {
        let content = Content::Transparent(resource.content.as_bytes().to_vec());
        card.ef(scws_df, (fid, &resource.path, None, ALW_ADM), content);
    }

    let pin1 = &profile.pin1;
    let pin = Secret::new(pin_coding(pin1.value.as_str()), pin1.tries);
    let puk = Secret::new(pin_coding(pin1.puk.as_str()), pin1.puk_tries);
    let adm = Secret::new(profile.adm1.value.0, profile.adm1.tries);
    card.data.extend([
        (Slot::Pin(PIN1), pin.encode()),
        (Slot::Puk(PIN1), puk.encode()),
        (Slot::Pin(ADM1), adm.encode()),
        (Slot::Sqn, SqnState::new().encode()),
        (Slot::OtaCounters, CounterState::new().encode()),
        (Slot::ScwsConfig, ScwsConfig::default().encode()),
    ]);
    (card.tree, card.data)
}

/// A tree being built and the data of its EFs.
struct Personalisation {
    tree: FileTree,
    data: Vec<(Slot, Vec<u8>)>,
}

impl Personalisation {
    /// Creates the EF `ef` below the DF `parent`, holding `content`.
    fn ef(&mut self, parent: FileRef, ef: Ef, content: Content) {
        let (fid, label, sfi, arr_record) = ef;
        let structure = structure_of(&content);
        let file = File {
            fid,
            label: label.to_string(),
            kind: FileKind::Elementary { structure, sfi },
            arr_record,
        };
        let at = self.tree.add(parent, file);
        self.data.push((Slot::File(at), content.bytes()));
    }

    fn efs<const N: usize>(&mut self, parent: FileRef, efs: [Ef; N], contents: [Content; N]) {
        for (ef, content) in efs.into_iter().zip(contents) {
            self.ef(parent, ef, content);
        }
    }
}

/// The initial data of an EF, which also decides its structure.
enum Content {
    Transparent(Vec<u8>),
    /// Records of equal length (the longest one's, shorter ones padded with `FF`).
    LinearFixed(Vec<Vec<u8>>),
    Cyclic(Vec<Vec<u8>>),
}

impl Content {
    fn record_len(records: &[Vec<u8>]) -> usize {
        records.iter().map(Vec::len).max().unwrap_or(1)
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            Content::Transparent(bytes) => bytes.clone(),
            Content::LinearFixed(records) | Content::Cyclic(records) => {
                crate::card::fs::padded_records(records, Content::record_len(records))
            }
        }
    }
}

/// The structure of an EF holding `content`. Profile validation keeps sizes in range
/// (records under 256 bytes, at most 254 of them, transparent data under 32 KiB).
fn structure_of(content: &Content) -> Structure {
    let records_of = |records: &[Vec<u8>]| {
        (
            u8::try_from(Content::record_len(records)).unwrap_or(u8::MAX),
            u8::try_from(records.len()).unwrap_or(u8::MAX),
        )
    };
    match content {
        Content::Transparent(bytes) => Structure::Transparent {
            size: u16::try_from(bytes.len()).unwrap_or(u16::MAX),
        },
        Content::LinearFixed(records) => {
            let (record_len, records) = records_of(records);
            Structure::LinearFixed {
                record_len,
                records,
            }
        }
        Content::Cyclic(records) => {
            let (record_len, records) = records_of(records);
            Structure::Cyclic {
                record_len,
                records,
            }
        }
    }
}

fn named_df(fid: u16, label: &str, kind: DfKind, aid: &[u8]) -> File {
    File {
        fid,
        label: label.to_string(),
        kind: FileKind::Dedicated {
            kind,
            name: Some(aid.to_vec()),
        },
        arr_record: DF_ADM,
    }
}

/// An application template of EF.DIR (TS 102 221 §13.1): `61` holding the AID `4F` and
/// the application label `50`.
fn application_template(aid: &[u8], label: &str) -> Vec<u8> {
    Tlv::constructed(
        0x61,
        &[
            Tlv::new(0x4F, aid.to_vec()),
            Tlv::new(0x50, label.as_bytes().to_vec()),
        ],
    )
    .emit()
}

/// Digits two to a byte, the first in the low nibble, `F` filling the last nibble and
/// `FF` the remaining bytes (the coding of EF.ICCID, TS 102 221 §13.2).
fn bcd_swapped(digits: &str, len: usize) -> Vec<u8> {
    let mut nibbles: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
    if nibbles.len() % 2 == 1 {
        nibbles.push(0xF);
    }
    let mut bytes: Vec<u8> = nibbles.chunks(2).map(|p| p[0] | (p[1] << 4)).collect();
    bytes.resize(len, 0xFF);
    bytes
}

/// EF.IMSI (3GPP TS 31.102 §4.2.2): a length byte, then the IMSI as TS 24.008 §10.5.1.4
/// codes a mobile identity: first digit in the high nibble of the first byte, whose low
/// nibble is `1` (type IMSI) with b4 set for an odd number of digits; the other digits
/// two to a byte, low nibble first, `F` filling. 9 bytes, `FF` after the IMSI.
fn imsi_coding(imsi: &str) -> Vec<u8> {
    let digits: Vec<u8> = imsi.bytes().map(|b| b - b'0').collect();
    let odd = digits.len() % 2 == 1;
    let (first, rest) = digits.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
    let mut body = vec![(first << 4) | if odd { 0x09 } else { 0x01 }];
    let mut nibbles = rest.to_vec();
    if nibbles.len() % 2 == 1 {
        nibbles.push(0xF);
    }
    body.extend(nibbles.chunks(2).map(|p| p[0] | (p[1] << 4)));
    let mut bytes = vec![u8::try_from(body.len()).unwrap_or(8)];
    bytes.extend(body);
    bytes.resize(9, 0xFF);
    bytes
}

/// A PIN on the interface: its digits in ASCII, padded with `FF` (TS 102 221 §9.5.2).
pub fn pin_coding(digits: &str) -> [u8; PIN_LEN] {
    let mut coded = [0xFF; PIN_LEN];
    for (slot, digit) in coded.iter_mut().zip(digits.bytes()) {
        *slot = digit;
    }
    coded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::hex;

    #[test]
    fn iccid_is_bcd_with_swapped_nibbles() {
        assert_eq!(
            hex::compact(&bcd_swapped("89882110000000000010", 10)),
            "98881201000000000001"
        );
        assert_eq!(
            hex::compact(&bcd_swapped("8988211000000000001", 10)),
            "988812010000000000F1"
        );
    }

    #[test]
    fn imsi_coding_follows_ts_31_102() {
        // The classic test IMSI: 15 digits, odd.
        assert_eq!(
            hex::compact(&imsi_coding("001010000000001")),
            "080910100000000010"
        );
        assert_eq!(
            hex::compact(&imsi_coding("001010123456789")),
            "080910101032547698"
        );
        // 14 digits: even, the last byte's high nibble is F.
        assert_eq!(
            hex::compact(&imsi_coding("00101012345678")),
            "0801101010325476F8"
        );
        // 6 digits: shorter IMSIs leave FF at the end.
        assert_eq!(hex::compact(&imsi_coding("001010")), "04011010F0FFFFFFFF");
    }

    #[test]
    fn pins_are_ascii_padded_with_ff() {
        assert_eq!(pin_coding("1234"), *b"1234\xFF\xFF\xFF\xFF");
        assert_eq!(pin_coding("12345678"), *b"12345678");
    }

    #[test]
    fn ef_dir_lists_both_applications() {
        let profile = Profile::default_profile();
        let template = application_template(&profile.usim.aid.0, "USIM");
        assert_eq!(
            hex::compact(&template),
            "61184F10A0000000871002FF33FF01890000010050045553494D"
        );
    }
}
