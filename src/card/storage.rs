//! Tear-proof persistent storage: a journal in front of the card's non-volatile memory.
//!
//! Everything the card must remember across power cycles (file contents, PINs and their
//! try counters, the USIM's sequence numbers, the OTA counters, the SCWS administration
//! settings) is an object in a
//! [`Store`], named by a [`Slot`]. Owners read and write typed values ([`Stored`]); the
//! store sees bytes.
//!
//! The model of the memory: each object has a *home* image, and there is one *journal*
//! area. Memory is programmed in blocks of [`BLOCK_SIZE`] bytes (an EEPROM page); one
//! programmed block, one commit mark or one journal erase is one **storage write**, the
//! unit at which the world can cut the power ([`Store::cut_power_after_writes`]). A
//! transaction ([`Store::commit`]) writes:
//!
//! ```text
//!   1. journal: a copy of every block that changes, in any object     k writes
//!   2. journal: the commit mark                                        1 write
//!   3. home:    the same blocks, in place                              k writes
//!   4. journal: erased                                                 1 write
//!
//!   power-on recovery (Store::recover):
//!     commit mark present → redo step 3 from the journal, then step 4   (roll forward)
//!     commit mark absent  → step 4 only                                 (discard)
//! ```
//!
//! Step 3 is idempotent, so recovery may itself be cut and simply runs again at the next
//! power-on. Whatever the cut point, after the next power-on every object of a
//! transaction is wholly old (cut before the mark) or wholly new (cut after it).
//!
//! An object whose image becomes empty is freed: it no longer takes room, and reads as
//! empty ([`Transaction::free`]).
//!
//! Each home image is shared (`Arc`), so cloning a store — the world is cloned every few
//! steps for its timeline — copies pointers, not megabytes of SCWS content; a commit
//! copies only the images it changes.
//!
//! To add an object kind, add a [`Slot`] variant and implement [`Stored`] for its value.

use crate::card::fs::FileRef;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Bytes per programmed block of non-volatile memory.
pub const BLOCK_SIZE: usize = 64;

/// The name of one persistent object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Slot {
    /// The data of a working EF: its bytes for a transparent EF, its records in order
    /// (record 1 first) for a linear fixed or cyclic EF.
    File(FileRef),
    /// A PIN or administrative key by key reference (TS 102 221 §9.5.1): value, try
    /// counter and enabled flag ([`crate::card::security::Secret`]).
    Pin(u8),
    /// The unblock key (PUK) of the PIN with this key reference.
    Puk(u8),
    /// The USIM's array of accepted sequence numbers (3GPP TS 33.102 Annex C.2,
    /// [`crate::card::usim::SqnState`]).
    Sqn,
    /// The OTA replay counter of every TAR (the receiving entity's counters of TS 102
    /// 225 §5.1.1, [`crate::card::ota::CounterState`]). Committed before the command
    /// it admits runs, so a power cut can lose a command but never reuse a counter.
    OtaCounters,
    /// The SCWS administration settings the last reconfiguration stored
    /// ([`crate::card::scws_admin::ScwsConfig`]).
    ScwsConfig,
}

/// A value kept in the store, with its byte encoding.
pub trait Stored: Sized {
    fn encode(&self) -> Vec<u8>;
    /// `None` when `bytes` are no encoding of a value (a corrupted or foreign object).
    fn decode(bytes: &[u8]) -> Option<Self>;
}

/// Power went away in the middle of a storage write: the command stops, its response is
/// never sent, and the card is unpowered until the next reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PowerLost;

/// A set of object images to write atomically.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transaction {
    changes: BTreeMap<Slot, Vec<u8>>,
}

impl Transaction {
    pub fn new() -> Transaction {
        Transaction::default()
    }

    /// Adds (or replaces) the new image of `slot`.
    pub fn put_bytes(mut self, slot: Slot, bytes: Vec<u8>) -> Transaction {
        self.changes.insert(slot, bytes);
        self
    }

    /// Adds (or replaces) the new value of `slot`.
    pub fn put<T: Stored>(self, slot: Slot, value: &T) -> Transaction {
        self.put_bytes(slot, value.encode())
    }

    /// Frees `slot`: its object is deleted when the transaction commits.
    pub fn free(self, slot: Slot) -> Transaction {
        self.put_bytes(slot, Vec::new())
    }
}

/// One journal record: the new contents of one block of one object, and the object's new
/// length (so that an object may grow or shrink).
#[derive(Clone, Debug, PartialEq, Eq)]
struct JournalBlock {
    slot: Slot,
    len: usize,
    offset: usize,
    bytes: Vec<u8>,
}

impl JournalBlock {
    /// Programs this block into the home image of its object; a new length of zero
    /// frees the object.
    fn apply(&self, home: &mut BTreeMap<Slot, Arc<Vec<u8>>>) {
        if self.len == 0 {
            home.remove(&self.slot);
            return;
        }
        let image = Arc::make_mut(home.entry(self.slot).or_default());
        // Erased memory reads FF.
        image.resize(self.len, 0xFF);
        if let Some(target) = image.get_mut(self.offset..self.offset + self.bytes.len()) {
            target.copy_from_slice(&self.bytes);
        }
    }
}

/// The journal area.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Journal {
    blocks: Vec<JournalBlock>,
    committed: bool,
}

/// The card's non-volatile memory behind its journal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Store {
    home: BTreeMap<Slot, Arc<Vec<u8>>>,
    journal: Journal,
    /// Storage writes still allowed before the power is cut; `None`: no cut planned.
    writes_before_cut: Option<u64>,
    /// Storage writes performed since the store was made.
    writes: u64,
}

impl Store {
    /// A store personalised with `objects` (written at the factory, not through the
    /// journal).
    pub fn personalised(objects: impl IntoIterator<Item = (Slot, Vec<u8>)>) -> Store {
        Store {
            home: objects
                .into_iter()
                .map(|(slot, bytes)| (slot, Arc::new(bytes)))
                .collect(),
            ..Store::default()
        }
    }

    /// The committed image of `slot` (empty when there is no such object).
    pub fn bytes(&self, slot: Slot) -> &[u8] {
        self.home.get(&slot).map_or(&[], |image| image.as_slice())
    }

    /// The committed value of `slot`, if it holds one.
    pub fn load<T: Stored>(&self, slot: Slot) -> Option<T> {
        self.home.get(&slot).and_then(|bytes| T::decode(bytes))
    }

    /// Writes every change of `transaction` atomically (see the module documentation).
    /// Objects whose image does not change cost nothing; a transaction that changes
    /// nothing writes nothing.
    pub fn commit(&mut self, transaction: Transaction) -> Result<(), PowerLost> {
        let blocks: Vec<JournalBlock> = transaction
            .changes
            .into_iter()
            .flat_map(|(slot, new)| changed_blocks(slot, self.bytes(slot), &new))
            .collect();
        if blocks.is_empty() {
            return Ok(());
        }
        for block in blocks {
            self.write()?;
            self.journal.blocks.push(block);
        }
        self.write()?;
        self.journal.committed = true;
        self.roll_forward()
    }

    /// Power-on recovery: completes a committed transaction, discards an uncommitted one.
    pub fn recover(&mut self) -> Result<(), PowerLost> {
        if self.journal.committed {
            return self.roll_forward();
        }
        if self.journal.blocks.is_empty() {
            return Ok(());
        }
        self.write()?;
        self.journal = Journal::default();
        Ok(())
    }

    /// Plans a power cut: `n` more storage writes succeed, the next one does not happen.
    /// The plan is used up when the cut happens.
    pub fn cut_power_after_writes(&mut self, n: u64) {
        self.writes_before_cut = Some(n);
    }

    /// Storage writes performed so far.
    pub fn writes(&self) -> u64 {
        self.writes
    }

    /// Steps 3 and 4: the journalled blocks into their home images, then the journal erased.
    fn roll_forward(&mut self) -> Result<(), PowerLost> {
        for i in 0..self.journal.blocks.len() {
            self.write()?;
            if let Some(block) = self.journal.blocks.get(i) {
                block.apply(&mut self.home);
            }
        }
        self.write()?;
        self.journal = Journal::default();
        Ok(())
    }

    /// Accounts for one storage write, or cuts the power instead if the plan says so.
    fn write(&mut self) -> Result<(), PowerLost> {
        match self.writes_before_cut {
            Some(0) => {
                self.writes_before_cut = None;
                Err(PowerLost)
            }
            Some(n) => {
                self.writes_before_cut = Some(n - 1);
                self.writes += 1;
                Ok(())
            }
            None => {
                self.writes += 1;
                Ok(())
            }
        }
    }
}

/// The blocks of `new` that differ from `old`; when only the length changes, one empty
/// record carrying the new length.
fn changed_blocks(slot: Slot, old: &[u8], new: &[u8]) -> Vec<JournalBlock> {
    let mut blocks: Vec<JournalBlock> = new
        .chunks(BLOCK_SIZE)
        .enumerate()
        .filter(|(i, chunk)| old.get(i * BLOCK_SIZE..i * BLOCK_SIZE + chunk.len()) != Some(chunk))
        .map(|(i, chunk)| JournalBlock {
            slot,
            len: new.len(),
            offset: i * BLOCK_SIZE,
            bytes: chunk.to_vec(),
        })
        .collect();
    if blocks.is_empty() && old.len() != new.len() {
        blocks.push(JournalBlock {
            slot,
            len: new.len(),
            offset: new.len(),
            bytes: Vec::new(),
        });
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLOT: Slot = Slot::Pin(1);
    const OTHER: Slot = Slot::Puk(1);

    fn store_with(old: &[u8]) -> Store {
        Store::personalised([(SLOT, old.to_vec()), (OTHER, vec![1, 2, 3])])
    }

    /// Commits `new` into `SLOT` and `[9, 9, 9]` into `OTHER` with a cut after `n` writes,
    /// then powers on again; returns the store and whether the commit completed.
    fn commit_with_cut(old: &[u8], new: &[u8], n: u64) -> (Store, bool) {
        let mut store = store_with(old);
        store.cut_power_after_writes(n);
        let tx = Transaction::new()
            .put_bytes(SLOT, new.to_vec())
            .put_bytes(OTHER, vec![9, 9, 9]);
        let completed = store.commit(tx).is_ok();
        store.recover().expect("no second cut planned");
        (store, completed)
    }

    #[test]
    fn commit_writes_only_changed_blocks() {
        let mut store = store_with(&[0u8; 300]);
        let mut new = vec![0u8; 300];
        new[70] = 1; // block 1 of 5
        let before = store.writes();
        store
            .commit(Transaction::new().put_bytes(SLOT, new.clone()))
            .unwrap();
        assert_eq!(store.writes() - before, 1 + 1 + 1 + 1);
        assert_eq!(store.bytes(SLOT), &new[..]);
    }

    #[test]
    fn unchanged_transaction_writes_nothing() {
        let mut store = store_with(&[5; 10]);
        store
            .commit(Transaction::new().put_bytes(SLOT, vec![5; 10]))
            .unwrap();
        assert_eq!(store.writes(), 0);
    }

    #[test]
    fn every_cut_point_leaves_each_object_wholly_old_or_wholly_new() {
        let old: Vec<u8> = (0..300).map(|i| i as u8).collect();
        let new: Vec<u8> = (0..300).map(|i| !(i as u8)).collect();
        // 5 blocks of SLOT and 1 of OTHER: 6 journal writes, the mark, 6 home writes, erase.
        let total = 6 + 1 + 6 + 1;
        for n in 0..=total {
            let (store, completed) = commit_with_cut(&old, &new, n);
            assert_eq!(completed, n == total, "cut after {n}");
            if n <= 6 {
                assert_eq!(store.bytes(SLOT), &old[..], "cut after {n}: old");
                assert_eq!(store.bytes(OTHER), [1, 2, 3], "cut after {n}: old");
            } else {
                assert_eq!(store.bytes(SLOT), &new[..], "cut after {n}: new");
                assert_eq!(store.bytes(OTHER), [9, 9, 9], "cut after {n}: new");
            }
            assert_eq!(store.journal, Journal::default());
        }
    }

    #[test]
    fn recovery_cut_short_completes_at_the_next_power_on() {
        let old = vec![0u8; 200];
        let new = vec![7u8; 200];
        let mut store = store_with(&old);
        // Journal (4 + 1 blocks) and mark written, then the cut in the middle of step 3.
        store.cut_power_after_writes(7);
        let tx = Transaction::new()
            .put_bytes(SLOT, new.clone())
            .put_bytes(OTHER, vec![9, 9, 9]);
        assert_eq!(store.commit(tx), Err(PowerLost));
        assert_ne!(store.bytes(SLOT), &new[..], "torn until recovered");
        store.cut_power_after_writes(1);
        assert_eq!(store.recover(), Err(PowerLost));
        store.recover().unwrap();
        assert_eq!(store.bytes(SLOT), &new[..]);
        assert_eq!(store.bytes(OTHER), [9, 9, 9]);
    }

    #[test]
    fn objects_may_change_length() {
        let mut store = store_with(&[1, 2, 3, 4]);
        store
            .commit(Transaction::new().put_bytes(SLOT, vec![1, 2]))
            .unwrap();
        assert_eq!(store.bytes(SLOT), [1, 2]);
        store
            .commit(Transaction::new().put_bytes(SLOT, vec![1, 2, 5]))
            .unwrap();
        assert_eq!(store.bytes(SLOT), [1, 2, 5]);
    }

    #[test]
    fn freeing_an_object_deletes_it_and_a_cut_before_the_mark_keeps_it() {
        let (store, completed) = {
            let mut store = store_with(&[4; 100]);
            store.cut_power_after_writes(1);
            let done = store.commit(Transaction::new().free(SLOT)).is_ok();
            store.recover().unwrap();
            (store, done)
        };
        assert!(!completed);
        assert_eq!(store.bytes(SLOT), [4; 100]);
        let mut store = store_with(&[4; 100]);
        store.commit(Transaction::new().free(SLOT)).unwrap();
        assert!(store.bytes(SLOT).is_empty());
        assert!(!store.home.contains_key(&SLOT));
    }

    #[test]
    fn a_clone_shares_images_until_one_side_commits() {
        let mut store = store_with(&[1; 1000]);
        let snapshot = store.clone();
        assert!(Arc::ptr_eq(&store.home[&SLOT], &snapshot.home[&SLOT]));
        store
            .commit(Transaction::new().put_bytes(SLOT, vec![2; 1000]))
            .unwrap();
        assert_eq!(snapshot.bytes(SLOT), [1; 1000]);
        assert_eq!(store.bytes(SLOT), [2; 1000]);
    }

    #[test]
    fn cut_plan_is_used_up_by_the_cut() {
        let mut store = store_with(&[0]);
        store.cut_power_after_writes(0);
        assert_eq!(
            store.commit(Transaction::new().put_bytes(SLOT, vec![1])),
            Err(PowerLost)
        );
        store.recover().unwrap();
        store
            .commit(Transaction::new().put_bytes(SLOT, vec![1]))
            .unwrap();
        assert_eq!(store.bytes(SLOT), [1]);
    }
}
