//! A commit is one `sequence`, applied by Arakoon all or nothing. It opens
//! with the commit count's guard (`assert` of the count read, `set` of the
//! next: see `revision.rs`), then for each write, in batch order:
//!
//! | write | read first | updates |
//! | --- | --- | --- |
//! | put, any | — | `set`, its revision record |
//! | put, absent | — (after a failed assert: the key) | `assert` none, `set`, record |
//! | put, at N | the key and its record | `assert` the value read, `set`, record |
//! | delete, any or at N | the key and its record | `assert` the value read, `delete`, the record's `delete` |
//! | delete, absent | the key | never sent: conflict, else not found |
//! | delete-tree P | the subtree (to count it) | `delete_prefix P/` and of the records, P as a delete |
//! | check | as the put | the `assert` alone |
//!
//! A precondition that does not hold on the read is a conflict before
//! anything is sent. A failed assert means something changed between the
//! read and the sequence (or another ovs commit took the count): the commit
//! reads again and is sent again, until `--timeout`, and then fails as a
//! conflict where a condition no longer holds. At the root of an Arakoon
//! store with no URL root a recursive delete removes the keys one by one
//! (each asserted), never Arakoon's own `_` keys.

use std::time::Instant;

use super::cluster::quote;
use super::connection::Reply;
use super::listing;
use super::revision::{self, COUNTER, SHADOW};
use super::wire::{self, rc, Update};
use super::{ArakoonStore, MAX_BUFFER_BYTES};
use crate::store::{batch, Committed, Key, Op, Precondition, Revision, Store, StoreError, Write};

pub(super) fn commit(store: &ArakoonStore, writes: &[Write]) -> Result<Committed, StoreError> {
    batch::check(store.describe(), &store.capabilities(), writes)?;
    for w in writes {
        store.checked(&w.key)?;
    }
    let deadline = Instant::now() + store.cluster.timeout;
    let mut careful = false;
    loop {
        let (updates, count, deleted) = plan(store, writes, careful)?;
        let request = wire::sequence(&updates);
        if request.len() as u64 > MAX_BUFFER_BYTES {
            return Err(StoreError::BatchTooLarge {
                store: store.describe.clone(),
                what: format!("{} writes ({} bytes with the values their guards assert)", writes.len(), request.len()),
                limit: format!("{MAX_BUFFER_BYTES} bytes (Arakoon's default max_buffer_size)"),
            });
        }
        match store.cluster.call(&request, |_| Ok(()))? {
            Reply::Done(()) => return Ok(Committed { revision: Revision(count), deleted }),
            Reply::Refused(rc::ASSERTION_FAILED | rc::NOT_FOUND, _) if Instant::now() < deadline => careful = true,
            Reply::Refused(rc::ASSERTION_FAILED | rc::NOT_FOUND, _) => {
                return Err(StoreError::Timeout {
                    store: store.describe.clone(),
                    after: store.cluster.timeout,
                    during: "while other commits kept landing between this one's reads and its sequence".into(),
                    source: None,
                })
            }
            Reply::Refused(code, message) => return Err(refused(store, writes, code, &message)),
        }
    }
}

/// The sequence for `writes`, the count it commits at and how many keys it
/// deletes; a precondition that does not hold now is the error.
fn plan(store: &ArakoonStore, writes: &[Write], careful: bool) -> Result<(Vec<Update>, u64, u64), StoreError> {
    let counter = store.read(COUNTER)?;
    let count = revision::count(counter.as_deref()) + 1;
    let mut updates =
        vec![Update::Assert(COUNTER.to_vec(), counter), Update::Set(COUNTER.to_vec(), count.to_le_bytes().to_vec())];
    let mut deleted = 0;
    for w in writes {
        let key = store.raw(&w.key);
        if w.op == Op::DeleteTree {
            deleted += delete_tree(store, &w.key, &mut updates)?;
            continue;
        }
        let read = match (&w.op, w.cond) {
            (Op::Put(_), Precondition::Any) => false,
            (Op::Put(_) | Op::Check, Precondition::Absent) => careful,
            _ => true,
        };
        // The value now, and its revision record.
        let current = if read { store.read_versioned(&key)? } else { None };
        let revision = current.as_ref().map(|(value, record)| revision::of(value, record.as_deref()));
        if read && !w.cond.holds(revision) {
            return Err(StoreError::precondition_failed(&w.key, w.cond, revision));
        }
        let record = current.as_ref().and_then(|(_, record)| record.clone());
        match (&w.op, w.cond, current) {
            (Op::Delete, Precondition::Absent, _) | (Op::Delete, _, None) => {
                return Err(StoreError::NotFound { key: w.key.clone() })
            }
            (Op::Put(_) | Op::Check, Precondition::Absent, _) => updates.push(Update::Assert(key.clone(), None)),
            (_, Precondition::Any, _) if matches!(w.op, Op::Put(_)) => {}
            (_, _, Some((value, _))) => updates.push(Update::Assert(key.clone(), Some(value))),
            (_, _, None) => {}
        }
        match &w.op {
            Op::Put(value) => {
                updates.push(revision::record(&key, value, count));
                updates.push(Update::Set(key, value.clone()));
            }
            Op::Delete => {
                deleted += 1;
                delete_key(&key, record.is_some(), &mut updates);
            }
            Op::Check | Op::DeleteTree => {}
        }
    }
    Ok((updates, count, deleted))
}

/// Delete `key` and its revision record where it has one (a delete of a
/// missing key would fail the sequence).
fn delete_key(key: &[u8], has_record: bool, updates: &mut Vec<Update>) {
    updates.push(Update::Delete(key.to_vec()));
    if has_record {
        updates.push(Update::Delete(revision::shadow(key)));
    }
}

/// The updates of a recursive delete of `prefix`; returns the keys it
/// removes, counted by a listing just before.
fn delete_tree(store: &ArakoonStore, prefix: &Key, updates: &mut Vec<Update>) -> Result<u64, StoreError> {
    let below = store.below(prefix);
    let mut n = 0;
    if below.is_empty() {
        // The whole store: its keys one by one, sparing Arakoon's own.
        let mut keys = listing::Cursor::new(store, Vec::new(), None);
        while let Some((key, value)) = keys.next()? {
            updates.push(Update::Assert(key.clone(), Some(value)));
            updates.push(Update::Delete(key));
            n += 1;
        }
        // Every record is of a key below the root.
        updates.push(Update::DeletePrefix(SHADOW.to_vec()));
        return Ok(n);
    }
    for listed in store.keys(prefix)? {
        listed?;
        n += 1;
    }
    updates.push(Update::DeletePrefix(below.clone()));
    updates.push(Update::DeletePrefix([SHADOW, &below[..]].concat()));
    if !prefix.is_root() {
        let own = store.raw(prefix);
        if let Some((value, record)) = store.read_versioned(&own)? {
            updates.push(Update::Assert(own.clone(), Some(value)));
            delete_key(&own, record.is_some(), updates);
        }
    }
    Ok(n)
}

/// A refusal other than a failed assert: over a limit, or the node's own.
fn refused(store: &ArakoonStore, writes: &[Write], code: u32, message: &[u8]) -> StoreError {
    let text = String::from_utf8_lossy(message);
    if text.contains("value too large") {
        let size = writes.iter().filter_map(|w| match &w.op {
            Op::Put(value) => Some(value.len() as u64),
            _ => None,
        });
        return StoreError::TooLarge {
            store: store.describe.clone(),
            size: size.max(),
            limit: super::MAX_VALUE_BYTES,
            hint: Some(super::VALUE_HINT),
        };
    }
    if code == rc::BAD_INPUT && text.contains(" has size ") {
        return StoreError::BatchTooLarge {
            store: store.describe.clone(),
            what: format!("{} writes", writes.len()),
            limit: format!("what the node takes ({})", quote(message)),
        };
    }
    store.refusal(code, message)
}
