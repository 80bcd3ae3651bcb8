//! Where the Smart Card Web Server's content lives on this card.
//!
//! The OMA Smartcard Web Server specification (OMA-TS-Smartcard_Web_Server) defines the
//! HTTP server on the card and how it is administered, not how the card stores the
//! resources; nor does any standard give the SCWS an AID (OMA's registry under its RID
//! `A000000412` names no SCWS application). This card keeps the content in ordinary
//! files, so that SELECT, READ/UPDATE, the access rules and the journalled storage apply
//! to it as to any file, and lists the SCWS in EF.DIR with a proprietary AID from the
//! profile:
//!
//! ```text
//! DF.SCWS 7F50                DF name = the SCWS AID (selectable by AID or by 7F50)
//! ├── EF.SCWS_INDEX 6F00      linear fixed, one record per resource, padded with FF:
//! │                             80 L URL path (UTF-8)  81 L media type (ASCII)  83 02 EF id
//! ├── 6F01 transparent        the bytes of the first resource
//! ├── 6F02 transparent        the second, …
//! ```
//!
//! Resources take identifiers 6F01, 6F02, … in profile order; all are read always,
//! updated with ADM1 (EF.ARR record 2). The index has room for at least
//! [`MIN_INDEX_RECORDS`] resources, each record [`INDEX_RECORD_LEN`] bytes (a path and a
//! media type of [`MAX_TEXT`] bytes fit); an empty record is all `FF`.
//!
//! # Administration over HTTP ([`Card::scws_store`], [`Card::scws_delete`])
//!
//! A PUT, POST or DELETE from the SCWS's responder ([`super::http`]) changes the content
//! in one journalled commit ([`super::storage`]), so that a reader sees the old resource
//! or the new one, never a mixture:
//!
//! ```text
//!   body received into the responder's buffer   the old EF is still served
//!   complete: a fresh EF 6Fxx enters DF.SCWS    (not yet named by the index)
//!   one transaction:  new EF data + index record naming it + old EF data freed
//!   committed: the old EF leaves the tree
//! ```
//!
//! A body cut short (link dropped, CLOSE CHANNEL, power cut) never reaches the store:
//! nothing was written and nothing is to free. The area holds
//! [`crate::card::profile::Scws::capacity`] bytes of resource data; while the commit
//! runs both copies exist, so a replacement needs room for the new one beside the old.
//! A power cut during the commit leaves an EF in DF.SCWS that the index does not name
//! (the new one if the commit was discarded, the old one if it rolled forward); the
//! next administration request removes such EFs from the tree before it starts (their
//! data is already empty or freed).
//!
//! An EF over 65 535 bytes reports `FFFF` as its size in the FCP, and READ BINARY
//! reaches its first 32 KiB only (15-bit offsets, TS 102 221 §11.1.3); the SCWS serves
//! all of it.

use crate::card::bip::Service;
use crate::card::fs::{record_objects, File, FileKind, FileRef, FileTree, Structure};
use crate::card::http::{Site, Upload};
use crate::card::layout::ALW_ADM;
use crate::card::profile::MAX_TEXT;
use crate::card::storage::{PowerLost, Slot, Transaction};
use crate::card::Card;
use crate::wire::ber_tlv::{Tag, Tlv};
use std::ops::RangeInclusive;

/// File identifier of DF.SCWS.
pub const DF_ID: u16 = 0x7F50;
/// File identifier of EF.SCWS_INDEX.
pub const INDEX_ID: u16 = 0x6F00;
/// File identifiers of the resources, in order.
pub const RESOURCE_IDS: RangeInclusive<u16> = 0x6F01..=0x6FFE;
/// Bytes of one index record: the three objects with the longest path and media type.
pub const INDEX_RECORD_LEN: usize = 2 + MAX_TEXT + 2 + MAX_TEXT + 4;
/// Records of the index at least (more if the profile has more resources).
pub const MIN_INDEX_RECORDS: usize = 32;
/// The media type of content sent without one (RFC 9110 §8.3).
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// Tags of an index record.
const TAG_PATH: u32 = 0x80;
const TAG_CONTENT_TYPE: u32 = 0x81;
const TAG_FILE_ID: u32 = 0x83;

/// The index record of the resource at `path` of type `content_type`, stored in EF
/// `fid` (unpadded).
pub fn index_record(path: &str, content_type: &str, fid: u16) -> Vec<u8> {
    [
        Tlv::new(TAG_PATH, path.as_bytes().to_vec()),
        Tlv::new(TAG_CONTENT_TYPE, content_type.as_bytes().to_vec()),
        Tlv::new(TAG_FILE_ID, fid.to_be_bytes()),
    ]
    .iter()
    .flat_map(Tlv::emit)
    .collect()
}

/// A resource as the SCWS serves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScwsResource {
    pub content_type: String,
    pub body: Vec<u8>,
}

/// What a store did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    /// No resource had the path: it was created.
    Created,
    /// The resource's content was replaced (PUT) or extended (POST).
    Replaced,
}

/// Why the content was not changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The new content does not fit beside what the area holds.
    TooLarge,
    /// No free index record or file identifier is left, or the path or media type is
    /// longer than an index record holds.
    NoRoom,
    /// The power was cut during the commit.
    PowerLost,
}

impl From<PowerLost> for Refused {
    fn from(_: PowerLost) -> Refused {
        Refused::PowerLost
    }
}

/// One resource named by the index.
struct Entry {
    /// Record number − 1.
    record: usize,
    path: Vec<u8>,
    content_type: Vec<u8>,
    ef: FileRef,
}

/// DF.SCWS, its index and the resources the index names.
struct Area {
    df: FileRef,
    index: FileRef,
    record_len: usize,
    records: usize,
    entries: Vec<Entry>,
}

impl Area {
    fn entry(&self, path: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.path == path.as_bytes())
    }
}

impl Card {
    /// The SCWS area as stored now; `None` if the profile's layout lacks it.
    fn scws_area(&self) -> Option<Area> {
        let df = self.files.child(FileTree::MF, DF_ID)?;
        let index = self.files.child(df, INDEX_ID)?;
        let (record_len, records) = self.files.file(index).structure()?.records()?;
        let value = |objects: &[Tlv], tag: u32| {
            objects
                .iter()
                .find(|o| o.tag == Tag(tag))
                .map(|o| o.value.clone())
        };
        let entries = self
            .store
            .bytes(Slot::File(index))
            .chunks(usize::from(record_len))
            .enumerate()
            .filter_map(|(record, bytes)| {
                let objects = record_objects(bytes);
                let fid = match value(&objects, TAG_FILE_ID)?.as_slice() {
                    [hi, lo] => u16::from_be_bytes([*hi, *lo]),
                    _ => return None,
                };
                Some(Entry {
                    record,
                    path: value(&objects, TAG_PATH)?,
                    content_type: value(&objects, TAG_CONTENT_TYPE)?,
                    ef: self.files.child(df, fid)?,
                })
            })
            .collect();
        Some(Area {
            df,
            index,
            record_len: usize::from(record_len),
            records: usize::from(records),
            entries,
        })
    }

    /// The resource at URL `path`, looked up the way the SCWS does: in the index EF, then
    /// in the EF it names, as both are stored now (updates included).
    pub fn scws_resource(&self, path: &str) -> Option<ScwsResource> {
        let area = self.scws_area()?;
        let entry = area.entry(path)?;
        Some(ScwsResource {
            content_type: String::from_utf8(entry.content_type.clone()).ok()?,
            body: self.store.bytes(Slot::File(entry.ef)).to_vec(),
        })
    }

    /// The URL paths of the resources stored now, in index order.
    pub fn scws_paths(&self) -> Vec<String> {
        self.scws_area()
            .map(|area| {
                area.entries
                    .iter()
                    .filter_map(|e| String::from_utf8(e.path.clone()).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Bytes of resource data stored now.
    pub fn scws_used(&self) -> usize {
        self.scws_area().map_or(0, |area| {
            let store = &self.store;
            area.entries
                .iter()
                .map(|e| store.bytes(Slot::File(e.ef)).len())
                .sum()
        })
    }

    /// Bytes a new resource may take now ([`crate::card::profile::Scws::capacity`] less
    /// what is stored).
    pub fn scws_free(&self) -> usize {
        self.profile.scws.capacity.saturating_sub(self.scws_used())
    }

    /// The length of the resource at `path` (0 if there is none).
    pub fn scws_len(&self, path: &str) -> usize {
        self.scws_area()
            .and_then(|area| Some(self.store.bytes(Slot::File(area.entry(path)?.ef)).len()))
            .unwrap_or(0)
    }

    /// Creates or replaces the resource at `path` with `body` (PUT), or appends `body` to
    /// it (`append`, POST), atomically (see the module doc). `content_type` `None` keeps
    /// the type of a resource being appended to, else is [`DEFAULT_CONTENT_TYPE`].
    pub fn scws_store(
        &mut self,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
        append: bool,
    ) -> Result<Stored, Refused> {
        self.scws_collect();
        let area = self.scws_area().ok_or(Refused::NoRoom)?;
        let old = area.entry(path);
        let content_type = match (content_type, old) {
            (Some(given), _) => given.as_bytes().to_vec(),
            (None, Some(old)) if append => old.content_type.clone(),
            (None, _) => DEFAULT_CONTENT_TYPE.as_bytes().to_vec(),
        };
        let mut content = match old {
            Some(old) if append => self.store.bytes(Slot::File(old.ef)).to_vec(),
            _ => Vec::new(),
        };
        content.extend_from_slice(body);
        if content.len() > self.scws_free() {
            return Err(Refused::TooLarge);
        }
        let record = match old {
            Some(old) => Some(old.record),
            None => (0..area.records).find(|r| area.entries.iter().all(|e| e.record != *r)),
        };
        let taken = |fid: &u16| self.files.child(area.df, *fid).is_some();
        let fid = RESOURCE_IDS.clone().find(|fid| !taken(fid));
        let text = std::str::from_utf8(&content_type).map_err(|_| Refused::NoRoom)?;
        let entry = fid.map(|fid| (fid, index_record(path, text, fid)));
        let (Some(record), Some((fid, entry))) = (record, entry) else {
            return Err(Refused::NoRoom);
        };
        if entry.len() > area.record_len {
            return Err(Refused::NoRoom);
        }
        let file = File {
            fid,
            label: path.to_string(),
            kind: FileKind::Elementary {
                structure: Structure::Transparent {
                    size: u16::try_from(content.len()).unwrap_or(u16::MAX),
                },
                sfi: None,
            },
            arr_record: ALW_ADM,
        };
        let new = self.files.add(area.df, file);
        let mut transaction = Transaction::new()
            .put_bytes(Slot::File(new), content)
            .put_bytes(
                Slot::File(area.index),
                self.index_with(&area, record, &entry),
            );
        if let Some(old) = old {
            transaction = transaction.free(Slot::File(old.ef));
        }
        self.store.commit(transaction)?;
        Ok(match old {
            Some(old) => {
                self.files.remove(old.ef);
                Stored::Replaced
            }
            None => Stored::Created,
        })
    }

    /// Deletes the resource at `path` in one commit: its index record emptied, its data
    /// freed. `Ok(false)` when there is none.
    pub fn scws_delete(&mut self, path: &str) -> Result<bool, Refused> {
        self.scws_collect();
        let Some(area) = self.scws_area() else {
            return Ok(false);
        };
        let Some(old) = area.entry(path) else {
            return Ok(false);
        };
        let transaction = Transaction::new()
            .put_bytes(
                Slot::File(area.index),
                self.index_with(&area, old.record, &[]),
            )
            .free(Slot::File(old.ef));
        self.store.commit(transaction)?;
        self.files.remove(old.ef);
        Ok(true)
    }

    /// The index's bytes with record `record` (0-based) holding `entry`, padded.
    fn index_with(&self, area: &Area, record: usize, entry: &[u8]) -> Vec<u8> {
        let mut index = self.store.bytes(Slot::File(area.index)).to_vec();
        let at = record * area.record_len;
        if let Some(target) = index.get_mut(at..at + area.record_len) {
            target.fill(0xFF);
            target[..entry.len()].copy_from_slice(entry);
        }
        index
    }

    /// The uploads in progress on the card's BIP channels, by channel identifier.
    pub fn scws_uploads(&self) -> Vec<(u8, Upload)> {
        self.bip()
            .channels()
            .filter_map(|channel| match channel.service() {
                Service::Scws(responder) => Some((channel.id(), responder.upload()?)),
                Service::Admin(_) => None,
            })
            .collect()
    }

    /// Removes from DF.SCWS the resource EFs the index does not name: what a power cut
    /// in the middle of a commit leaves (see the module doc).
    fn scws_collect(&mut self) {
        let Some(area) = self.scws_area() else {
            return;
        };
        let orphans: Vec<FileRef> = self
            .files
            .children(area.df)
            .filter(|at| {
                RESOURCE_IDS.contains(&self.files.file(*at).fid)
                    && area.entries.iter().all(|e| e.ef != *at)
            })
            .collect();
        for orphan in orphans {
            self.files.remove(orphan);
        }
    }
}

/// The SCWS's responder works on the card's content. A power cut during a commit leaves
/// the card unpowered.
impl Site for Card {
    fn resource(&self, path: &str) -> Option<ScwsResource> {
        self.scws_resource(path)
    }

    fn room_for(&self, path: &str, len: usize, append: bool) -> bool {
        let kept = if append { self.scws_len(path) } else { 0 };
        kept.saturating_add(len) <= self.scws_free()
    }

    fn store(
        &mut self,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
        append: bool,
    ) -> Result<Stored, Refused> {
        let stored = self.scws_store(path, content_type, body, append);
        self.powered &= stored != Err(Refused::PowerLost);
        stored
    }

    fn delete(&mut self, path: &str) -> Result<bool, Refused> {
        let deleted = self.scws_delete(path);
        self.powered &= deleted != Err(Refused::PowerLost);
        deleted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::hex;

    #[test]
    fn index_record_holds_path_type_and_file_id() {
        assert_eq!(
            hex::compact(&index_record("/a", "text/css", 0x6F01)),
            "80022F618108746578742F63737383026F01"
        );
    }

    #[test]
    fn serves_every_profile_resource_by_path() {
        let card = Card::new();
        for resource in &card.profile().scws.resources {
            let served = card.scws_resource(&resource.path).expect("served");
            assert_eq!(served.content_type, resource.content_type);
            assert_eq!(served.body, resource.content.as_bytes());
        }
        assert!(card.scws_resource("/missing.html").is_none());
        let welcome = card.scws_resource("/index.html").unwrap();
        assert!(String::from_utf8(welcome.body).unwrap().contains("Welcome"));
    }

    #[test]
    fn store_replaces_in_one_commit_and_frees_the_old_copy() {
        let mut card = Card::new();
        let used = card.scws_used();
        let old_len = card.scws_len("/manual.html");
        let body = vec![7u8; 100_000];
        let stored = card.scws_store("/manual.html", Some("application/pdf"), &body, false);
        assert_eq!(stored, Ok(Stored::Replaced));
        let served = card.scws_resource("/manual.html").unwrap();
        assert_eq!(
            (served.content_type.as_str(), served.body),
            ("application/pdf", body)
        );
        assert_eq!(card.scws_used(), used - old_len + 100_000);
        let df = card.files.child(FileTree::MF, DF_ID).unwrap();
        let efs = card.files.children(df).count();
        assert_eq!(card.scws_delete("/manual.html"), Ok(true));
        assert_eq!(card.scws_delete("/manual.html"), Ok(false));
        assert_eq!(card.scws_used(), used - old_len);
        assert_eq!(card.files.children(df).count(), efs - 1);
        assert!(card.scws_resource("/manual.html").is_none());
    }

    #[test]
    fn a_power_cut_in_the_commit_leaves_the_old_or_the_new_and_no_orphan() {
        let old = Card::new().scws_resource("/index.html").unwrap();
        let new = vec![1u8; 300];
        // 5 blocks of data + 1 of the index, journalled then written home: 14 writes.
        for n in 0..14 {
            let mut card = Card::new();
            let used = card.scws_used();
            card.cut_power_after_writes(n);
            let stored = card.scws_store("/index.html", None, &new, false);
            assert_eq!(stored, Err(Refused::PowerLost), "cut after {n}");
            card.power_on().unwrap();
            let served = card.scws_resource("/index.html").unwrap();
            let rolled_forward = served.body == new;
            assert!(rolled_forward || served == old, "cut after {n}: torn");
            let expected = if rolled_forward {
                used - old.body.len() + 300
            } else {
                used
            };
            assert_eq!(card.scws_used(), expected, "cut after {n}");
            card.scws_store("/other", None, b"x", false).unwrap();
            let df = card.files.child(FileTree::MF, DF_ID).unwrap();
            let named = card.scws_area().unwrap().entries.len();
            assert_eq!(
                card.files.children(df).count(),
                named + 1,
                "cut after {n}: orphan"
            );
        }
    }

    #[test]
    fn refuses_what_does_not_fit_and_a_full_index() {
        let mut card = Card::new();
        let free = card.scws_free();
        assert_eq!(free, card.profile().scws.capacity - card.scws_used());
        let writes = card.storage_writes();
        let too_big = vec![0u8; free + 1];
        assert_eq!(
            card.scws_store("/big", None, &too_big, false),
            Err(Refused::TooLarge)
        );
        assert_eq!(card.storage_writes(), writes, "nothing written");
        let spare = MIN_INDEX_RECORDS - card.profile().scws.resources.len();
        for i in 0..spare {
            let stored = card.scws_store(&format!("/r{i}"), None, b"r", false);
            assert_eq!(stored, Ok(Stored::Created));
        }
        assert_eq!(
            card.scws_store("/one-more", None, b"r", false),
            Err(Refused::NoRoom)
        );
        assert_eq!(
            card.scws_store("/r0", None, b"s", true),
            Ok(Stored::Replaced)
        );
        assert_eq!(card.scws_resource("/r0").unwrap().body, b"rs");
    }

    #[test]
    fn the_built_in_area_replaces_a_megabyte_beside_a_megabyte() {
        let mut card = Card::new();
        let megabyte: Vec<u8> = (0..1 << 20).map(|i| (i % 253) as u8).collect();
        card.scws_store("/a.bin", None, &megabyte, false).unwrap();
        assert_eq!(
            card.scws_store("/a.bin", None, &megabyte, false),
            Ok(Stored::Replaced)
        );
        assert_eq!(
            card.scws_store("/b.bin", None, &megabyte, false),
            Ok(Stored::Created)
        );
        assert_eq!(card.scws_resource("/a.bin").unwrap().body, megabyte);
        assert!(card.scws_used() > 2 << 20);
    }
}
