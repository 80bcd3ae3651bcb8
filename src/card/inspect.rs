//! A read-only view of the card, for the UI's card panel and for tests: the file tree
//! with each file's identifier, kind and size; the stored contents of an EF, split in
//! records; the state of the PINs; what the bytes of the well-known EFs mean; and which
//! files differ between two states of a card.
//!
//! Nothing here changes the card or decides anything the card decides: it reads the
//! card's [`FileTree`] and [`Store`](super::storage::Store) as they are.
//!
//! ```text
//! Card::file_tree()         MF 3F00 ─┬─ EF.DIR 2F00 linear fixed 2 × 38 …   (FileNode)
//!                                    └─ ADF.USIM 7FF0 ─┬─ EF.IMSI 6F07 …
//! Card::file_contents(path) bytes (+ records) of one EF                      (FileContents)
//! decode(&contents)         EF.DIR, EF.ICCID, EF.IMSI, EF.AD, EF.ACM, SCWS   (Decoded)
//! Card::security_view()     PIN1, PUK1, ADM1: enabled, verified, tries left   (PinView)
//! changed_files(a, b)       the EFs whose bytes differ, before and after     (FileChange)
//! ```

use super::fs::{record_objects, DfKind, FileKind, FileRef, FileTree, Structure};
use super::scws;
use super::security::{Secret, ADM1, PIN1};
use super::storage::Slot;
use super::Card;
use crate::wire::ber_tlv::Tag;
use crate::wire::cat::text::bcd_digits;
use crate::wire::fcp::aid_note;
use crate::wire::hex;

/// What a file is (TS 102 221 §8.1, §8.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Mf,
    Df,
    Adf,
    Transparent,
    LinearFixed,
    Cyclic,
}

impl NodeKind {
    /// The kind in the standards' words: `MF`, `DF`, `ADF`, `transparent`, `linear fixed`,
    /// `cyclic`.
    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Mf => "MF",
            NodeKind::Df => "DF",
            NodeKind::Adf => "ADF",
            NodeKind::Transparent => "transparent",
            NodeKind::LinearFixed => "linear fixed",
            NodeKind::Cyclic => "cyclic",
        }
    }

    /// Whether this is a dedicated file (MF, DF or ADF), which holds other files.
    pub fn is_dedicated(self) -> bool {
        matches!(self, NodeKind::Mf | NodeKind::Df | NodeKind::Adf)
    }

    fn of(kind: &FileKind) -> NodeKind {
        match kind {
            FileKind::Dedicated { kind, .. } => match kind {
                DfKind::Mf => NodeKind::Mf,
                DfKind::Df => NodeKind::Df,
                DfKind::Adf => NodeKind::Adf,
            },
            FileKind::Elementary { structure, .. } => match structure {
                Structure::Transparent { .. } => NodeKind::Transparent,
                Structure::LinearFixed { .. } => NodeKind::LinearFixed,
                Structure::Cyclic { .. } => NodeKind::Cyclic,
            },
        }
    }
}

/// One file of the tree and the files below it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileNode {
    /// File identifiers below the MF, as [`Card::file_data`] takes them (empty for the MF).
    pub path: Vec<u16>,
    pub file_id: u16,
    /// `MF`, `EF.IMSI`, `ADF.USIM`; an SCWS resource's URL path.
    pub name: String,
    pub kind: NodeKind,
    /// Data bytes: an EF's size, or for a DF the sum of the EFs below it.
    pub size: usize,
    /// Record length and number of records of a record EF.
    pub records: Option<(u8, u8)>,
    /// Short file identifier of an EF (TS 102 221 §8.3).
    pub sfi: Option<u8>,
    /// DF name (AID) of an ADF or a named DF.
    pub aid: Option<Vec<u8>>,
    pub children: Vec<FileNode>,
}

impl FileNode {
    /// `3F00/7FF0/6F07`.
    pub fn path_text(&self) -> String {
        path_text(&self.path)
    }

    /// This node and every node below it, depth first.
    pub fn walk(&self) -> Vec<&FileNode> {
        let mut all = vec![self];
        for child in &self.children {
            all.extend(child.walk());
        }
        all
    }

    /// The node at `path` (below this one's, which must be the MF's).
    pub fn find(&self, path: &[u16]) -> Option<&FileNode> {
        self.walk().into_iter().find(|node| node.path == path)
    }
}

/// A path below the MF as text, the MF included: `3F00/7FF0/6F07`.
pub fn path_text(path: &[u16]) -> String {
    std::iter::once(super::MF)
        .chain(path.iter().copied())
        .map(|fid| format!("{fid:04X}"))
        .collect::<Vec<_>>()
        .join("/")
}

/// The stored bytes of one EF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileContents {
    pub path: Vec<u16>,
    pub name: String,
    pub kind: NodeKind,
    /// Every data byte; for a record EF, the records in order (record 1 first; for a
    /// cyclic EF record 1 is the most recently written).
    pub bytes: Vec<u8>,
    /// Record length of a record EF.
    pub record_len: Option<usize>,
    /// The media type the SCWS index gives an SCWS resource.
    pub content_type: Option<String>,
}

impl FileContents {
    /// The records of a record EF; a transparent EF is one piece.
    pub fn records(&self) -> Vec<&[u8]> {
        match self.record_len {
            Some(len) if len > 0 => self.bytes.chunks(len).collect(),
            _ => vec![&self.bytes[..]],
        }
    }
}

/// The state of a PIN, an unblock key or an administrative key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinView {
    /// `PIN1`, `PUK1`, `ADM1`.
    pub name: &'static str,
    /// Key reference (TS 102 221 §9.5.1 table 9.3); for a PUK, its PIN's.
    pub key_ref: u8,
    /// Whether this is an unblock key (which is never verified on its own).
    pub unblock: bool,
    pub enabled: bool,
    /// Verified since power-on (TS 102 221 §9.5: the security status is lost at reset).
    pub verified: bool,
    pub tries_left: u8,
    pub max_tries: u8,
}

impl PinView {
    pub fn blocked(&self) -> bool {
        self.tries_left == 0
    }

    /// `blocked`, `disabled`, `verified`, `not verified`, or for an unblock key `usable`.
    pub fn state(&self) -> &'static str {
        match self {
            p if p.blocked() => "blocked",
            p if p.unblock => "usable",
            p if !p.enabled => "disabled",
            p if p.verified => "verified",
            _ => "not verified",
        }
    }
}

/// What the bytes of an EF mean.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    /// The clause that defines the coding.
    pub spec: &'static str,
    /// Decoded values, in file order.
    pub items: Vec<DecodedItem>,
    /// The content as text (SCWS resources).
    pub text: Option<String>,
}

/// One decoded value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedItem {
    pub label: String,
    pub value: String,
}

impl Decoded {
    fn new(spec: &'static str) -> Decoded {
        Decoded {
            spec,
            ..Decoded::default()
        }
    }

    fn item(mut self, label: impl Into<String>, value: impl Into<String>) -> Decoded {
        self.items.push(DecodedItem {
            label: label.into(),
            value: value.into(),
        });
        self
    }

    /// The value of the first item labelled `label`.
    pub fn value(&self, label: &str) -> Option<&str> {
        self.items
            .iter()
            .find(|item| item.label == label)
            .map(|item| item.value.as_str())
    }
}

/// An EF whose bytes differ between two states of a card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange {
    pub before: FileContents,
    pub after: FileContents,
}

impl FileChange {
    pub fn path(&self) -> &[u16] {
        &self.after.path
    }

    /// Offsets of the bytes that differ (bytes present on one side only included).
    pub fn changed_offsets(&self) -> Vec<usize> {
        let (a, b) = (&self.before.bytes, &self.after.bytes);
        (0..a.len().max(b.len()))
            .filter(|i| a.get(*i) != b.get(*i))
            .collect()
    }
}

impl Card {
    /// The whole file tree, from the MF down, in the order the files were created.
    pub fn file_tree(&self) -> FileNode {
        self.file_node(FileTree::MF)
    }

    fn file_node(&self, at: FileRef) -> FileNode {
        let file = self.files.file(at);
        let (size, records, sfi) = match &file.kind {
            FileKind::Elementary { structure, sfi } => {
                (structure.size(), structure.records(), *sfi)
            }
            FileKind::Dedicated { .. } => (self.files.data_size_below(at), None, None),
        };
        FileNode {
            path: self.files.path(at),
            file_id: file.fid,
            name: file.label.clone(),
            kind: NodeKind::of(&file.kind),
            size,
            records,
            sfi,
            aid: file.df_name().map(<[u8]>::to_vec),
            children: self
                .files
                .children(at)
                .map(|child| self.file_node(child))
                .collect(),
        }
    }

    /// The stored contents of the EF at `path` (see [`Card::file_data`]); `None` for a DF
    /// or a path that names no file.
    pub fn file_contents(&self, path: &[u16]) -> Option<FileContents> {
        let at = self.files.at_path(path)?;
        self.contents_of(at)
    }

    fn contents_of(&self, at: FileRef) -> Option<FileContents> {
        let file = self.files.file(at);
        let structure = file.structure()?;
        let in_scws = self
            .files
            .parent(at)
            .is_some_and(|df| self.files.file(df).fid == scws::DF_ID && df != FileTree::MF);
        let content_type = if in_scws && scws::RESOURCE_IDS.contains(&file.fid) {
            self.scws_resource(&file.label).map(|r| r.content_type)
        } else {
            None
        };
        Some(FileContents {
            path: self.files.path(at),
            name: file.label.clone(),
            kind: NodeKind::of(&file.kind),
            bytes: self.store.bytes(Slot::File(at)).to_vec(),
            record_len: structure.records().map(|(len, _)| usize::from(len)),
            content_type,
        })
    }

    /// PIN1, its unblock key PUK1 and ADM1, as stored now, and whether this session has
    /// verified them.
    pub fn security_view(&self) -> Vec<PinView> {
        let keys = [
            ("PIN1", PIN1, false),
            ("PUK1", PIN1, true),
            ("ADM1", ADM1, false),
        ];
        keys.into_iter()
            .filter_map(|(name, key_ref, unblock)| {
                let slot = if unblock {
                    Slot::Puk(key_ref)
                } else {
                    Slot::Pin(key_ref)
                };
                let secret = self.store.load::<Secret>(slot)?;
                Some(PinView {
                    name,
                    key_ref,
                    unblock,
                    enabled: secret.enabled,
                    verified: !unblock && self.session.verified.contains(&key_ref),
                    tries_left: secret.tries_left,
                    max_tries: secret.max_tries,
                })
            })
            .collect()
    }
}

/// The EFs whose bytes differ between `before` and `after` (two states of the same
/// card), in the order of `after`'s tree.
pub fn changed_files(before: &Card, after: &Card) -> Vec<FileChange> {
    after
        .files
        .iter()
        .filter_map(|(at, _)| {
            let now = after.contents_of(at)?;
            let then = before.file_contents(&now.path)?;
            (then.bytes != now.bytes).then_some(FileChange {
                before: then,
                after: now,
            })
        })
        .collect()
}

/// What the bytes of `contents` mean, for the EFs whose coding the standards fix (named
/// as the card's layout names them) and for SCWS resources. `None` for others.
pub fn decode(contents: &FileContents) -> Option<Decoded> {
    if let Some(content_type) = &contents.content_type {
        return Some(scws_resource(contents, content_type));
    }
    let bytes = &contents.bytes;
    Some(match contents.name.as_str() {
        "EF.DIR" => ef_dir(&contents.records()),
        "EF.ICCID" => ef_iccid(bytes),
        "EF.IMSI" => ef_imsi(bytes),
        "EF.AD" => ef_ad(bytes),
        "EF.ACM" => ef_acm(&contents.records()),
        "EF.SCWS_INDEX" => scws_index(&contents.records()),
        _ => return None,
    })
}

/// EF.DIR (TS 102 221 §13.1): one application template `61` per record, holding the AID
/// `4F` and the label `50`.
fn ef_dir(records: &[&[u8]]) -> Decoded {
    records.iter().enumerate().fold(
        Decoded::new("ETSI TS 102 221 §13.1"),
        |decoded, (i, record)| {
            let label = format!("record {}", i + 1);
            let template = record_objects(record)
                .into_iter()
                .find(|o| o.tag == Tag(0x61))
                .and_then(|t| t.children().ok());
            let Some(objects) = template else {
                return decoded.item(label, "empty");
            };
            let value = |tag: u32| {
                objects
                    .iter()
                    .find(|o| o.tag == Tag(tag))
                    .map(|o| o.value.clone())
            };
            let aid = value(0x4F).unwrap_or_default();
            let name = value(0x50)
                .map(|l| String::from_utf8_lossy(&l).into_owned())
                .unwrap_or_else(|| "(no label)".to_string());
            decoded.item(
                label,
                format!("{name}: AID {} ({})", hex::compact(&aid), aid_note(&aid)),
            )
        },
    )
}

/// EF.ICCID (TS 102 221 §13.2): BCD digits, the first of each pair in the low nibble,
/// `F` filling.
fn ef_iccid(bytes: &[u8]) -> Decoded {
    Decoded::new("ETSI TS 102 221 §13.2").item("ICCID", bcd_digits(bytes))
}

/// EF.IMSI (3GPP TS 31.102 §4.2.2, coded as TS 24.008 §10.5.1.4): a length byte, then
/// the first digit in the high nibble of a byte whose low nibble gives the identity type
/// and parity, then the other digits two to a byte, low nibble first.
fn ef_imsi(bytes: &[u8]) -> Decoded {
    let decoded = Decoded::new("3GPP TS 31.102 §4.2.2");
    let Some((&len, body)) = bytes.split_first() else {
        return decoded.item("IMSI", "empty file");
    };
    let body = body.get(..usize::from(len)).unwrap_or(body);
    let Some((&first, rest)) = body.split_first().filter(|_| len != 0xFF) else {
        return decoded.item("IMSI", "not set");
    };
    let mut digits = String::new();
    if first >> 4 <= 9 {
        digits.push(char::from(b'0' + (first >> 4)));
        digits.push_str(&bcd_digits(rest));
    }
    let parity = if first & 0x08 != 0 { "odd" } else { "even" };
    let decoded = decoded
        .item("IMSI", digits.clone())
        .item("length", format!("{len} bytes, {parity} number of digits"));
    match digits.get(..3) {
        Some(mcc) => decoded.item("MCC", mcc),
        None => decoded,
    }
}

/// EF.AD (3GPP TS 31.102 §4.2.18): UE operation mode, additional information, length of
/// the MNC in the IMSI.
fn ef_ad(bytes: &[u8]) -> Decoded {
    let decoded = Decoded::new("3GPP TS 31.102 §4.2.18");
    let Some(&mode) = bytes.first() else {
        return decoded.item("UE operation mode", "empty file");
    };
    let mode_text = match mode {
        0x00 => "normal operation",
        0x80 => "type approval operations",
        0x01 => "normal operation + specific facilities",
        0x81 => "type approval operations + specific facilities",
        0x02 => "maintenance (off line)",
        0x04 => "cell test operation",
        _ => "reserved",
    };
    let mut decoded = decoded.item("UE operation mode", format!("{mode:02X}: {mode_text}"));
    if let Some(info) = bytes.get(1..3) {
        let ciphering = if info[1] & 0x01 != 0 {
            "ciphering indicator feature enabled"
        } else {
            "ciphering indicator feature disabled"
        };
        decoded = decoded.item(
            "additional information",
            format!("{}: {ciphering}", hex::compact(info)),
        );
    }
    if let Some(&mnc) = bytes.get(3) {
        let digits = mnc & 0x0F;
        let text = match digits {
            2 | 3 => format!("{digits} digits"),
            _ => format!("{digits} (reserved: 2 or 3)"),
        };
        decoded = decoded.item("MNC length", text);
    }
    decoded
}

/// EF.ACM (3GPP TS 31.102 §4.2.9): the accumulated call meter, three bytes a record,
/// record 1 the latest value.
fn ef_acm(records: &[&[u8]]) -> Decoded {
    records
        .iter()
        .enumerate()
        .fold(Decoded::new("3GPP TS 31.102 §4.2.9"), |decoded, (i, r)| {
            let units = r.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b));
            let latest = if i == 0 { " (latest)" } else { "" };
            decoded.item(
                format!("record {}{latest}", i + 1),
                format!("{units} units"),
            )
        })
}

/// EF.SCWS_INDEX (see [`scws`]): one resource per record, its URL path, media type and EF.
fn scws_index(records: &[&[u8]]) -> Decoded {
    records.iter().enumerate().fold(
        Decoded::new("bipscope SCWS index (crate::card::scws)"),
        |decoded, (i, record)| {
            let objects = record_objects(record);
            let text = |tag: u32| {
                objects
                    .iter()
                    .find(|o| o.tag == Tag(tag))
                    .map(|o| String::from_utf8_lossy(&o.value).into_owned())
            };
            let label = format!("record {}", i + 1);
            let Some(path) = text(0x80) else {
                return decoded.item(label, "empty");
            };
            let file = objects
                .iter()
                .find(|o| o.tag == Tag(0x83))
                .map(|o| hex::compact(&o.value))
                .unwrap_or_default();
            let media = text(0x81).unwrap_or_default();
            decoded.item(label, format!("{path} → EF {file}, {media}"))
        },
    )
}

/// An SCWS resource: its URL path, media type and the content as text.
fn scws_resource(contents: &FileContents, content_type: &str) -> Decoded {
    let text = String::from_utf8_lossy(&contents.bytes).into_owned();
    let mut decoded = Decoded::new("OMA Smartcard Web Server resource (crate::card::scws)")
        .item("URL path", contents.name.clone())
        .item("content type", content_type)
        .item("size", format!("{} bytes", contents.bytes.len()));
    decoded.text = Some(text);
    decoded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::layout::ADF_USIM_ID;
    use crate::card::tests::{powered, send};

    const SELECT_USIM: &str = "00A4040C10A0000000871002FF33FF018900000100";
    const VERIFY_ADM1: &str = "0020000A083838383838383838";

    #[test]
    fn file_tree_lists_every_file_with_kind_and_size() {
        let card = Card::new();
        let tree = card.file_tree();
        assert_eq!(
            (tree.file_id, tree.kind, tree.path_text()),
            (0x3F00, NodeKind::Mf, "3F00".into())
        );
        let iccid = tree.find(&[0x2FE2]).expect("EF.ICCID");
        assert_eq!(iccid.name, "EF.ICCID");
        assert_eq!(iccid.kind, NodeKind::Transparent);
        assert_eq!((iccid.size, iccid.sfi), (10, Some(0x02)));
        let usim = tree.find(&[ADF_USIM_ID]).expect("ADF.USIM");
        assert_eq!((usim.name.as_str(), usim.kind), ("ADF.USIM", NodeKind::Adf));
        assert_eq!(usim.aid.as_deref(), Some(&card.profile().usim.aid.0[..]));
        let imsi = tree.find(&[ADF_USIM_ID, 0x6F07]).expect("EF.IMSI");
        assert_eq!((imsi.name.as_str(), imsi.size), ("EF.IMSI", 9));
        assert_eq!(imsi.path_text(), "3F00/7FF0/6F07");
        let acm = tree.find(&[ADF_USIM_ID, 0x6F39]).expect("EF.ACM");
        assert_eq!(
            (acm.kind, acm.records, acm.size),
            (NodeKind::Cyclic, Some((3, 5)), 15)
        );
        let dir = tree.find(&[0x2F00]).expect("EF.DIR");
        assert_eq!(dir.kind, NodeKind::LinearFixed);
        assert_eq!(
            usim.size,
            usim.children.iter().map(|c| c.size).sum::<usize>(),
            "a DF counts the data below it"
        );
        // Every node's path leads back to it, and every EF's size is its stored data.
        for node in tree.walk() {
            assert_eq!(tree.find(&node.path), Some(node));
            if !node.kind.is_dedicated() {
                assert_eq!(card.file_data(&node.path).map(<[u8]>::len), Some(node.size));
            }
        }
        assert_eq!(
            tree.walk().len(),
            card.files.iter().count(),
            "the tree holds every file"
        );
    }

    #[test]
    fn file_contents_split_records_and_skip_dfs() {
        let card = Card::new();
        assert!(
            card.file_contents(&[ADF_USIM_ID]).is_none(),
            "a DF has no data"
        );
        assert!(card.file_contents(&[0x1234]).is_none());
        let dir = card.file_contents(&[0x2F00]).unwrap();
        let records = dir.records();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0][0], 0x61);
        assert!(records.iter().all(|r| r.len() == dir.record_len.unwrap()));
        let iccid = card.file_contents(&[0x2FE2]).unwrap();
        assert_eq!(iccid.records(), vec![&iccid.bytes[..]]);
        assert_eq!(iccid.content_type, None);
    }

    #[test]
    fn decodes_iccid_imsi_ad_and_dir() {
        let card = Card::new();
        let profile = card.profile().clone();
        let decoded = |path: &[u16]| decode(&card.file_contents(path).unwrap()).unwrap();
        assert_eq!(
            decoded(&[0x2FE2]).value("ICCID"),
            Some(profile.iccid.as_str())
        );
        let imsi = decoded(&[ADF_USIM_ID, 0x6F07]);
        assert_eq!(imsi.value("IMSI"), Some(profile.usim.imsi.as_str()));
        assert_eq!(imsi.value("MCC"), Some("001"));
        assert_eq!(imsi.value("length"), Some("8 bytes, odd number of digits"));
        let ad = decoded(&[ADF_USIM_ID, 0x6FAD]);
        assert_eq!(ad.value("UE operation mode"), Some("00: normal operation"));
        assert_eq!(ad.value("MNC length"), Some("2 digits"));
        let dir = decoded(&[0x2F00]);
        let usim = dir.value("record 1").unwrap();
        assert!(usim.starts_with("USIM: AID A0000000871002"), "{usim}");
        assert!(usim.contains("USIM application"), "{usim}");
        assert!(dir.value("record 2").unwrap().starts_with("SCWS: AID F0"));
        let acm = decoded(&[ADF_USIM_ID, 0x6F39]);
        assert_eq!(acm.value("record 1 (latest)"), Some("0 units"));
        assert!(
            decode(&card.file_contents(&[0x2F06]).unwrap()).is_none(),
            "EF.ARR: hex only"
        );
    }

    #[test]
    fn decodes_scws_resources_as_text_with_their_media_type() {
        let card = Card::new();
        let index = decode(&card.file_contents(&[scws::DF_ID, scws::INDEX_ID]).unwrap()).unwrap();
        assert_eq!(
            index.value("record 1"),
            Some("/index.html → EF 6F01, text/html; charset=utf-8")
        );
        let welcome = card.file_contents(&[scws::DF_ID, 0x6F01]).unwrap();
        assert_eq!(
            welcome.content_type.as_deref(),
            Some("text/html; charset=utf-8")
        );
        let decoded = decode(&welcome).unwrap();
        assert_eq!(decoded.value("URL path"), Some("/index.html"));
        assert!(decoded.text.unwrap().contains("<h1>Welcome</h1>"));
    }

    #[test]
    fn imsi_decoder_handles_even_and_unset_imsis() {
        let even = ef_imsi(&hex::parse("0801101010325476F8").unwrap());
        assert_eq!(even.value("IMSI"), Some("00101012345678"));
        assert_eq!(even.value("length"), Some("8 bytes, even number of digits"));
        assert_eq!(ef_imsi(&[0xFF; 9]).value("IMSI"), Some("not set"));
        assert_eq!(ef_imsi(&[]).value("IMSI"), Some("empty file"));
        assert_eq!(ef_imsi(&[0x08, 0x09]).value("IMSI"), Some("0"), "truncated");
    }

    #[test]
    fn security_view_follows_verify_and_wrong_tries() {
        let mut card = powered();
        let view = card.security_view();
        let names: Vec<&str> = view.iter().map(|p| p.name).collect();
        assert_eq!(names, ["PIN1", "PUK1", "ADM1"]);
        assert_eq!((view[0].tries_left, view[0].max_tries), (3, 3));
        assert_eq!(view[0].state(), "not verified");
        assert_eq!(view[1].state(), "usable");
        assert_eq!((view[2].key_ref, view[2].tries_left), (0x0A, 10));

        assert_eq!(send(&mut card, "002000010839393939FFFFFFFF"), "63C2");
        assert_eq!(card.security_view()[0].tries_left, 2);
        assert_eq!(send(&mut card, "002000010831323334FFFFFFFF"), "9000");
        let pin1 = &card.security_view()[0];
        assert_eq!((pin1.tries_left, pin1.state()), (3, "verified"));
        card.power_on();
        assert_eq!(
            card.security_view()[0].state(),
            "not verified",
            "reset forgets"
        );
    }

    #[test]
    fn update_binary_shows_up_in_changed_files() {
        let mut card = powered();
        let before = card.clone();
        for apdu in [SELECT_USIM, "00A4000C026FAD"] {
            assert_eq!(send(&mut card, apdu), "9000");
        }
        assert_eq!(send(&mut card, "00D6000001 80"), "6982", "EF.AD needs ADM1");
        assert!(changed_files(&before, &card).is_empty());
        assert_eq!(send(&mut card, VERIFY_ADM1), "9000");
        assert_eq!(send(&mut card, "00D6000001 80"), "9000");

        let changes = changed_files(&before, &card);
        assert_eq!(changes.len(), 1, "{changes:?}");
        let change = &changes[0];
        assert_eq!(change.path(), [ADF_USIM_ID, 0x6FAD]);
        assert_eq!(change.after.name, "EF.AD");
        assert_eq!(change.before.bytes, [0x00, 0x00, 0x00, 0x02]);
        assert_eq!(change.after.bytes, [0x80, 0x00, 0x00, 0x02]);
        assert_eq!(change.changed_offsets(), [0]);
        assert_eq!(
            decode(&change.after).unwrap().value("UE operation mode"),
            Some("80: type approval operations")
        );
        assert!(changed_files(&card, &card).is_empty());
    }

    #[test]
    fn record_and_scws_updates_show_up_in_changed_files() {
        let mut card = powered();
        assert_eq!(send(&mut card, VERIFY_ADM1), "9000");
        let before = card.clone();
        // Write "X" over the first byte of /readme.txt (6F04), by path from the MF.
        assert_eq!(send(&mut card, "00A4080C047F506F04"), "9000");
        assert_eq!(send(&mut card, "00D600000158"), "9000");
        let changes = changed_files(&before, &card);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].after.name, "/readme.txt");
        assert_eq!(
            changes[0].after.content_type.as_deref(),
            Some("text/plain; charset=utf-8")
        );
        assert!(decode(&changes[0].after)
            .unwrap()
            .text
            .unwrap()
            .starts_with("Xerved"));
    }
}
