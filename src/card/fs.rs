//! The UICC file tree: ETSI TS 102 221 §8 (file types and structures, selection rules)
//! and ISO/IEC 7816-4 §7.
//!
//! The tree holds the structure of every file (identifier, kind, short file identifier,
//! access rule reference); the data of the EFs lives in the journalled
//! [`Store`](crate::card::storage::Store) under [`Slot::File`](crate::card::storage::Slot).
//! Files are numbered in the order they are added ([`FileRef`]); the MF is always first.
//!
//! ```text
//! MF 3F00 ─┬─ EF ……                       a DF's children: EFs and DFs, selectable by file
//!          ├─ DF ─┬─ EF ……                identifier from the DF (TS 102 221 §8.4.1)
//!          │      └─ DF ……
//!          └─ ADF (AID) ─┬─ EF ……         ADFs hang below the MF in this tree, but are
//!                        └─ DF ……         selected by AID or by 7FFF only (TS 102 221 §8.3)
//! ```

use crate::wire::ber_tlv::Tlv;

/// File identifier of the master file (TS 102 221 §8.2).
pub const MF_ID: u16 = 0x3F00;
/// File identifier standing for the current application's ADF (TS 102 221 §8.3).
pub const CURRENT_ADF_ID: u16 = 0x7FFF;

/// A file of the tree, by its position in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileRef(u16);

/// The three kinds of dedicated file (TS 102 221 §8.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DfKind {
    Mf,
    /// A DF below the MF, selectable by file identifier.
    Df,
    /// An application DF, selectable by AID (and `7FFF` while it is the current application).
    Adf,
}

/// The structure of a working EF (TS 102 221 §8.2.2 to §8.2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Structure {
    Transparent {
        size: u16,
    },
    LinearFixed {
        record_len: u8,
        records: u8,
    },
    /// Record 1 is the most recently written one; writing replaces the oldest record.
    Cyclic {
        record_len: u8,
        records: u8,
    },
}

impl Structure {
    /// Number of data bytes.
    pub fn size(self) -> usize {
        match self {
            Structure::Transparent { size } => usize::from(size),
            Structure::LinearFixed {
                record_len,
                records,
            }
            | Structure::Cyclic {
                record_len,
                records,
            } => usize::from(record_len) * usize::from(records),
        }
    }

    /// The record length and count of a record EF; `None` for a transparent EF.
    pub fn records(self) -> Option<(u8, u8)> {
        match self {
            Structure::Transparent { .. } => None,
            Structure::LinearFixed {
                record_len,
                records,
            }
            | Structure::Cyclic {
                record_len,
                records,
            } => Some((record_len, records)),
        }
    }

    /// The file descriptor data object `82` (TS 102 221 §11.1.1.4.3).
    fn descriptor(self) -> Tlv {
        match self {
            Structure::Transparent { .. } => crate::wire::fcp::descriptor_transparent(),
            Structure::LinearFixed {
                record_len,
                records,
            } => crate::wire::fcp::descriptor_records(false, u16::from(record_len), records),
            Structure::Cyclic {
                record_len,
                records,
            } => crate::wire::fcp::descriptor_records(true, u16::from(record_len), records),
        }
    }
}

/// A dedicated file or a working EF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileKind {
    Dedicated {
        kind: DfKind,
        /// The DF name (AID), for ADFs and named DFs.
        name: Option<Vec<u8>>,
    },
    Elementary {
        structure: Structure,
        /// Short file identifier (TS 102 221 §8.3), 1 to 30.
        sfi: Option<u8>,
    },
}

/// One file of the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    pub fid: u16,
    /// What the file is, in the standards' words: `EF.IMSI`, `ADF.USIM`, or for SCWS
    /// resources their URL path.
    pub label: String,
    pub kind: FileKind,
    /// Record of EF.ARR (`2F06`, in the MF) holding the file's access rules; the FCP
    /// references it in its `8B` data object (TS 102 221 §11.1.1.4.7.3).
    pub arr_record: u8,
}

impl File {
    pub fn is_df(&self) -> bool {
        matches!(self.kind, FileKind::Dedicated { .. })
    }

    /// The structure of a working EF; `None` for a DF.
    pub fn structure(&self) -> Option<Structure> {
        match self.kind {
            FileKind::Elementary { structure, .. } => Some(structure),
            FileKind::Dedicated { .. } => None,
        }
    }

    /// The DF name (AID) of a named DF or an ADF.
    pub fn df_name(&self) -> Option<&[u8]> {
        match &self.kind {
            FileKind::Dedicated { name, .. } => name.as_deref(),
            FileKind::Elementary { .. } => None,
        }
    }

    fn is_adf(&self) -> bool {
        matches!(
            self.kind,
            FileKind::Dedicated {
                kind: DfKind::Adf,
                ..
            }
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Node {
    file: File,
    parent: Option<FileRef>,
    /// Deleted ([`FileTree::remove`]): no longer listed, its place free for the next
    /// file added.
    removed: bool,
}

/// Every file of the card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileTree {
    nodes: Vec<Node>,
}

impl FileTree {
    /// The master file.
    pub const MF: FileRef = FileRef(0);

    /// A tree holding only the MF, whose access rules are in EF.ARR record `arr_record`.
    pub fn new(arr_record: u8) -> FileTree {
        let mf = File {
            fid: MF_ID,
            label: "MF".into(),
            kind: FileKind::Dedicated {
                kind: DfKind::Mf,
                name: None,
            },
            arr_record,
        };
        FileTree {
            nodes: vec![Node {
                file: mf,
                parent: None,
                removed: false,
            }],
        }
    }

    /// Adds `file` below the DF `parent`, in the place of a removed file if there is
    /// one.
    pub fn add(&mut self, parent: FileRef, file: File) -> FileRef {
        let node = Node {
            file,
            parent: Some(parent),
            removed: false,
        };
        match self.nodes.iter().position(|n| n.removed) {
            Some(free) => {
                self.nodes[free] = node;
                FileRef(u16::try_from(free).unwrap_or(u16::MAX))
            }
            None => {
                self.nodes.push(node);
                FileRef(u16::try_from(self.nodes.len() - 1).unwrap_or(u16::MAX))
            }
        }
    }

    /// Deletes the working EF `at` from the tree (its data is the store's to free). DFs
    /// and the MF are not removed.
    pub fn remove(&mut self, at: FileRef) {
        if let Some(node) = self.nodes.get_mut(usize::from(at.0)) {
            if !node.file.is_df() {
                node.removed = true;
            }
        }
    }

    /// The file at `at` (every `FileRef` this tree hands out is valid).
    pub fn file(&self, at: FileRef) -> &File {
        &self.node(at).file
    }

    /// The DF a file is in; `None` for the MF.
    pub fn parent(&self, at: FileRef) -> Option<FileRef> {
        self.node(at).parent
    }

    /// Every file, in the order added (a file added in a removed one's place takes its
    /// position).
    pub fn iter(&self) -> impl Iterator<Item = (FileRef, &File)> {
        (0..self.nodes.len()).filter_map(|i| {
            let at = FileRef(u16::try_from(i).ok()?);
            (!self.node(at).removed).then(|| (at, self.file(at)))
        })
    }

    /// The files directly below `df`.
    pub fn children(&self, df: FileRef) -> impl Iterator<Item = FileRef> + '_ {
        self.iter()
            .filter(move |(at, _)| self.parent(*at) == Some(df))
            .map(|(at, _)| at)
    }

    /// The child of `df` with identifier `fid` that a file identifier can reach (ADFs
    /// cannot be reached by their identifier).
    pub fn child(&self, df: FileRef, fid: u16) -> Option<FileRef> {
        self.children(df).find(|at| {
            let file = self.file(*at);
            file.fid == fid && !file.is_adf()
        })
    }

    /// The working EF below `df` with short file identifier `sfi`.
    pub fn child_by_sfi(&self, df: FileRef, sfi: u8) -> Option<FileRef> {
        self.children(df).find(|at| {
            matches!(self.file(*at).kind, FileKind::Elementary { sfi: Some(s), .. } if s == sfi)
        })
    }

    /// The named DFs whose name starts with `partial` (a right-truncated AID selects by
    /// prefix, ISO/IEC 7816-4 §7.1.1), in the order added.
    pub fn named(&self, partial: &[u8]) -> Vec<FileRef> {
        self.iter()
            .filter(|(_, file)| file.df_name().is_some_and(|name| name.starts_with(partial)))
            .map(|(at, _)| at)
            .collect()
    }

    /// The file identifiers from the MF (excluded) down to `at`.
    pub fn path(&self, at: FileRef) -> Vec<u16> {
        let mut path = Vec::new();
        let mut cursor = Some(at);
        while let Some(file) = cursor.filter(|f| *f != FileTree::MF) {
            path.push(self.file(file).fid);
            cursor = self.parent(file);
        }
        path.reverse();
        path
    }

    /// The file at `path` of identifiers below the MF, as [`FileTree::path`] gives them
    /// (ADFs by the identifier in their FCP).
    pub fn at_path(&self, path: &[u16]) -> Option<FileRef> {
        path.iter().try_fold(FileTree::MF, |df, fid| {
            self.children(df).find(|at| self.file(*at).fid == *fid)
        })
    }

    /// Data bytes of all the EFs below `df`, at any depth.
    pub fn data_size_below(&self, df: FileRef) -> usize {
        self.children(df)
            .map(|at| match self.file(at).structure() {
                Some(structure) => structure.size(),
                None => self.data_size_below(at),
            })
            .sum()
    }

    /// The FCP template of `at` (TS 102 221 §11.1.1.3). `pin_status` is the PIN status
    /// template DO that DFs carry (TS 102 221 §9.5.2).
    pub fn fcp(&self, at: FileRef, pin_status: Tlv) -> Tlv {
        use crate::wire::fcp;
        let file = self.file(at);
        let security = fcp::arr_reference(EF_ARR_ID, file.arr_record);
        let life_cycle = Tlv::new(0x8A, [LIFE_CYCLE_OPERATIONAL_ACTIVATED]);
        match &file.kind {
            FileKind::Dedicated { kind, name } => {
                let mut objects = Vec::new();
                if let Some(name) = name {
                    objects.push(Tlv::new(0x84, name.clone()));
                }
                if *kind == DfKind::Mf {
                    objects.push(Tlv::constructed(
                        0xA5,
                        &[Tlv::new(0x80, [UICC_CHARACTERISTICS])],
                    ));
                }
                let total = u32::try_from(self.data_size_below(at)).unwrap_or(u32::MAX);
                objects.extend([life_cycle, security, pin_status, total_file_size(total)]);
                fcp::template(fcp::descriptor_df(), file.fid, &objects)
            }
            FileKind::Elementary { structure, sfi } => {
                let size = u16::try_from(structure.size()).unwrap_or(u16::MAX);
                // Without this object the SFI would be the five low bits of the file
                // identifier; empty, it says the EF has none (TS 102 221 §11.1.1.4.8).
                let sfi = Tlv::new(0x88, sfi.map(|s| vec![s << 3]).unwrap_or_default());
                fcp::template(
                    structure.descriptor(),
                    file.fid,
                    &[life_cycle, security, fcp::file_size(size), sfi],
                )
            }
        }
    }

    fn node(&self, at: FileRef) -> &Node {
        // A FileRef comes only from this tree's `add`/`iter`, so the index is in range;
        // the MF stands in should a foreign one ever be used.
        self.nodes.get(usize::from(at.0)).unwrap_or(&self.nodes[0])
    }
}

/// File identifier of EF.ARR in the MF (TS 102 221 §13.4).
pub const EF_ARR_ID: u16 = 0x2F06;

/// Life cycle status integer `05`: operational state, activated (ISO/IEC 7816-4 §7.4.10).
const LIFE_CYCLE_OPERATIONAL_ACTIVATED: u8 = 0x05;

/// UICC characteristics (TS 102 221 §11.1.1.4.6.1): `71`, clock stop allowed with the
/// high level preferred, supply voltage classes B (3 V) and C (1.8 V).
const UICC_CHARACTERISTICS: u8 = 0x71;

/// `81`: total file size, on two bytes or four when it does not fit
/// (TS 102 221 §11.1.1.4.2).
fn total_file_size(total: u32) -> Tlv {
    match u16::try_from(total) {
        Ok(small) => Tlv::new(0x81, small.to_be_bytes()),
        Err(_) => Tlv::new(0x81, total.to_be_bytes()),
    }
}

/// The data objects of one record, up to its padding: records of EF.DIR, EF.ARR and the
/// SCWS index are BER-TLV objects followed by `FF` bytes (TS 102 221 §13.1, §13.4).
/// Bytes that do not parse end the list.
pub fn record_objects(mut record: &[u8]) -> Vec<Tlv> {
    let mut objects = Vec::new();
    while let Some(&first) = record.first() {
        if first == 0xFF || first == 0x00 {
            break;
        }
        let Ok((tlv, used)) = Tlv::parse(record) else {
            break;
        };
        objects.push(tlv);
        record = record.get(used..).unwrap_or_default();
    }
    objects
}

/// Records of `record_len` bytes, each the concatenated objects padded with `FF`.
pub fn padded_records(records: &[Vec<u8>], record_len: usize) -> Vec<u8> {
    records
        .iter()
        .flat_map(|record| {
            let mut padded = record.clone();
            padded.resize(record_len, 0xFF);
            padded
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ef(fid: u16, label: &str, sfi: Option<u8>) -> File {
        File {
            fid,
            label: label.into(),
            kind: FileKind::Elementary {
                structure: Structure::Transparent { size: 4 },
                sfi,
            },
            arr_record: 2,
        }
    }

    fn tree() -> (FileTree, FileRef, FileRef) {
        let mut tree = FileTree::new(1);
        tree.add(FileTree::MF, ef(0x2FE2, "EF.ICCID", Some(2)));
        let adf = tree.add(
            FileTree::MF,
            File {
                fid: 0x7FF0,
                label: "ADF.USIM".into(),
                kind: FileKind::Dedicated {
                    kind: DfKind::Adf,
                    name: Some(vec![0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02]),
                },
                arr_record: 1,
            },
        );
        let imsi = tree.add(adf, ef(0x6F07, "EF.IMSI", None));
        (tree, adf, imsi)
    }

    #[test]
    fn adfs_are_not_reachable_by_file_identifier() {
        let (tree, adf, imsi) = tree();
        assert_eq!(tree.child(FileTree::MF, 0x7FF0), None);
        assert_eq!(tree.child(adf, 0x6F07), Some(imsi));
        assert_eq!(tree.named(&[0xA0, 0x00, 0x00, 0x00, 0x87]), vec![adf]);
        assert_eq!(tree.at_path(&[0x7FF0, 0x6F07]), Some(imsi));
        assert_eq!(tree.path(imsi), vec![0x7FF0, 0x6F07]);
    }

    #[test]
    fn a_removed_ef_is_unlisted_and_its_place_reused() {
        let (mut tree, adf, imsi) = tree();
        tree.remove(imsi);
        assert_eq!(tree.child(adf, 0x6F07), None);
        assert_eq!(tree.children(adf).count(), 0);
        tree.remove(adf);
        assert_eq!(tree.named(&[0xA0]), vec![adf], "a DF is not removed");
        let ad = tree.add(adf, ef(0x6FAD, "EF.AD", None));
        assert_eq!(ad, imsi);
        assert_eq!(tree.child(adf, 0x6FAD), Some(ad));
        assert_eq!(tree.iter().count(), 4);
    }

    #[test]
    fn ef_fcp_says_when_there_is_no_sfi() {
        let (tree, _, imsi) = tree();
        let fcp = tree.fcp(imsi, Tlv::new(0xC6, []));
        assert_eq!(
            crate::wire::hex::compact(&fcp.emit()),
            "62168202412183026F078A01058B032F0602800200048800"
        );
        let iccid = tree.child(FileTree::MF, 0x2FE2).unwrap();
        let fcp = tree.fcp(iccid, Tlv::new(0xC6, [])).emit();
        assert!(crate::wire::hex::compact(&fcp).ends_with("880110"));
    }

    #[test]
    fn df_fcp_carries_name_pin_status_and_total_size() {
        let (tree, adf, _) = tree();
        let fcp = tree.fcp(adf, Tlv::new(0xC6, [0x90, 0x01, 0x80]));
        let text = crate::wire::hex::compact(&fcp.emit());
        assert!(
            text.starts_with("62228202782183027FF08407A0000000871002"),
            "{text}"
        );
        assert!(text.ends_with("C60390018081020004"), "{text}");
    }

    #[test]
    fn record_objects_stop_at_padding() {
        let objects = record_objects(&[0x4F, 0x01, 0xAA, 0x50, 0x00, 0xFF, 0xFF]);
        assert_eq!(objects, vec![Tlv::new(0x4F, [0xAA]), Tlv::new(0x50, [])]);
        assert!(record_objects(&[0xFF; 4]).is_empty());
        assert!(record_objects(&[0x4F, 0x05, 0x01]).is_empty(), "truncated");
    }
}
