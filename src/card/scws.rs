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
//! updated with ADM1 (EF.ARR record 2).

use crate::card::fs::{record_objects, FileTree};
use crate::card::profile::Resource;
use crate::card::storage::Slot;
use crate::card::Card;
use crate::wire::ber_tlv::{Tag, Tlv};
use std::ops::RangeInclusive;

/// File identifier of DF.SCWS.
pub const DF_ID: u16 = 0x7F50;
/// File identifier of EF.SCWS_INDEX.
pub const INDEX_ID: u16 = 0x6F00;
/// File identifiers of the resources, in order.
pub const RESOURCE_IDS: RangeInclusive<u16> = 0x6F01..=0x6FFE;

/// Tags of an index record.
const TAG_PATH: u32 = 0x80;
const TAG_CONTENT_TYPE: u32 = 0x81;
const TAG_FILE_ID: u32 = 0x83;

/// The index record of `resource`, stored in EF `fid`.
pub fn index_record(resource: &Resource, fid: u16) -> Vec<u8> {
    [
        Tlv::new(TAG_PATH, resource.path.as_bytes().to_vec()),
        Tlv::new(TAG_CONTENT_TYPE, resource.content_type.as_bytes().to_vec()),
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

impl Card {
    /// The resource at URL `path`, looked up the way the SCWS does: in the index EF, then
    /// in the EF it names, as both are stored now (updates included).
    pub fn scws_resource(&self, path: &str) -> Option<ScwsResource> {
        let df = self.files.child(FileTree::MF, DF_ID)?;
        let index = self.files.child(df, INDEX_ID)?;
        let (record_len, _) = self.files.file(index).structure()?.records()?;
        let value = |objects: &[Tlv], tag: u32| {
            objects
                .iter()
                .find(|o| o.tag == Tag(tag))
                .map(|o| o.value.clone())
        };
        self.store
            .bytes(Slot::File(index))
            .chunks(usize::from(record_len))
            .map(record_objects)
            .find(|objects| value(objects, TAG_PATH).as_deref() == Some(path.as_bytes()))
            .and_then(|objects| {
                let content_type = String::from_utf8(value(&objects, TAG_CONTENT_TYPE)?).ok()?;
                let fid = match value(&objects, TAG_FILE_ID)?.as_slice() {
                    [hi, lo] => u16::from_be_bytes([*hi, *lo]),
                    _ => return None,
                };
                let ef = self.files.child(df, fid)?;
                Some(ScwsResource {
                    content_type,
                    body: self.store.bytes(Slot::File(ef)).to_vec(),
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::hex;

    #[test]
    fn index_record_holds_path_type_and_file_id() {
        let resource = Resource {
            path: "/a".into(),
            content_type: "text/css".into(),
            content: String::new(),
        };
        assert_eq!(
            hex::compact(&index_record(&resource, 0x6F01)),
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
}
