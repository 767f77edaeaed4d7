//! Revisions, which Arakoon does not have: ovs keeps them beside the keys,
//! in Arakoon's own hidden space (keys beginning with `_`, which Open
//! vStorage never lists).
//!
//! - `_ovs-config/counter` counts ovs's commits (8 bytes, little-endian).
//!   Each commit asserts the count it read and sets the next one in the same
//!   sequence, so two commits never take the same count.
//! - `_ovs-config/revision/KEY` is written with each put of `KEY`: that
//!   commit's count and a 64-bit FNV-1a hash of the value put (16 bytes).
//!
//! A key's revision is the count its record holds while the value still
//! has the hash recorded with it. A key written by another client (Open
//! vStorage itself) has no record, or one whose hash no longer matches: its
//! revision is then the value's hash with the top bit set, above every
//! count. So any change of value is a new revision, and a guarded write
//! also asserts the very value it read (see `commit.rs`). What cannot be
//! seen: another client that changes a value and changes it back (A→B→A)
//! between ovs's read and write, or deletes a key and writes the same value
//! again, leaves the revision as it was.

use super::wire::Update;
use crate::store::Revision;

/// Where ovs keeps its commit count.
pub(super) const COUNTER: &[u8] = b"_ovs-config/counter";
/// The prefix of each key's revision record.
pub(super) const SHADOW: &[u8] = b"_ovs-config/revision/";
/// The revisions of values other clients wrote: a hash, above every count.
const FOREIGN: u64 = 1 << 63;

/// 64-bit FNV-1a: stable across builds and platforms, which a revision
/// kept in the store must be.
fn hash(value: &[u8]) -> u64 {
    value.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// The revision of a key holding `value`, with its record if it has one.
pub(super) fn of(value: &[u8], record: Option<&[u8]>) -> Revision {
    let hash = hash(value);
    if let Some(record) = record.filter(|r| r.len() == 16) {
        let count = u64::from_le_bytes(record[..8].try_into().expect("8 bytes"));
        let recorded = u64::from_le_bytes(record[8..].try_into().expect("8 bytes"));
        if recorded == hash && count > 0 && count < FOREIGN {
            return Revision(count);
        }
    }
    Revision(FOREIGN | hash >> 1)
}

/// The record a put of `value` at `key` (raw) leaves, at commit `count`.
pub(super) fn record(key: &[u8], value: &[u8], count: u64) -> Update {
    let mut record = count.to_le_bytes().to_vec();
    record.extend_from_slice(&hash(value).to_le_bytes());
    Update::Set(shadow(key), record)
}

pub(super) fn shadow(key: &[u8]) -> Vec<u8> {
    [SHADOW, key].concat()
}

/// The commit count a counter value holds (None: no commit yet).
pub(super) fn count(counter: Option<&[u8]>) -> u64 {
    counter.and_then(|c| c.try_into().ok()).map_or(0, u64::from_le_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(value: &[u8], count: u64) -> Vec<u8> {
        match record(b"k", value, count) {
            Update::Set(key, record) => {
                assert_eq!(key, b"_ovs-config/revision/k");
                record
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_recorded_value_is_at_its_commits_count() {
        assert_eq!(of(b"v", Some(&recorded(b"v", 7))), Revision(7));
        assert_eq!(hash(b"a"), 0xaf63_dc4c_8601_ec8c, "FNV-1a's published value");
    }

    #[test]
    fn a_value_another_client_wrote_is_at_its_hash_above_every_count() {
        let foreign = of(b"w", Some(&recorded(b"v", 7)));
        assert_eq!(foreign, of(b"w", None));
        assert!(foreign.0 >= FOREIGN);
        assert_ne!(of(b"x", None), foreign);
        assert_eq!(of(b"w", Some(b"short")), foreign, "a record that is not one is ignored");
    }

    #[test]
    fn the_counter_starts_at_zero() {
        assert_eq!(count(None), 0);
        assert_eq!(count(Some(&41u64.to_le_bytes())), 41);
    }
}
