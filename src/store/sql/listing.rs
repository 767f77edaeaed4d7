//! Listings and scans: keyset-paged range scans, `key >= next AND key < end
//! ORDER BY key LIMIT n` on the primary key, all pages in one read-only
//! snapshot transaction, so memory holds one page and the whole listing is
//! one point in time.
//!
//! - `keys` and `scan` cover the prefix's subtree: its own key, read first
//!   by the same range query over `[P, P\0)` in the same transaction, then
//!   the range below `P/` (never `P.x` or `P-x`, which sort between).
//! - `keys` reads large pages of keys: few round trips.
//! - `scan` carries values, so its pages are sized in bytes: each asks for
//!   as many rows as the last page's average entry suggests fit in
//!   `SCAN_PAGE_BYTES`, and stops taking rows once a page holds that much
//!   (big values after small ones); the next page starts after the last
//!   row taken.
//! - `children` never reads a subtree: when a key shows that `name/` is a
//!   child, the next page starts at `name0` (`0` follows `/`), one index
//!   seek past everything below `name/`. Pages start small after a subtree
//!   (the rest of the page was likely inside it) and double while they
//!   meet only leaves.

use std::collections::VecDeque;

use super::pool::Conn;
use super::session::{Kind, Param, Row};
use super::{revision, SqlStore};
use crate::store::{Entries, Entry, Key, Scan, StoreError};

const KEYS_PAGE: i64 = 10_000;
const CHILDREN_FIRST_PAGE: i64 = 16;
/// What a scan's page aims to hold, counting `ENTRY_OVERHEAD` per entry.
const SCAN_PAGE_BYTES: usize = 4 << 20;
/// Roughly what an entry costs in memory beyond its key and value bytes.
const ENTRY_OVERHEAD: usize = 64;
const SCAN_FIRST_PAGE: i64 = 256;

/// The bytes every key strictly below `prefix` starts with, and the first
/// key after all of them: the range `[below, end)`.
pub(super) fn range(prefix: &Key) -> (Vec<u8>, Vec<u8>) {
    let below = prefix.dir_prefix().into_bytes();
    // `below` ends in `/`, and `0` is the byte after it.
    let mut end = below.clone();
    *end.last_mut().expect("a prefix ends in /") = b'0';
    (below, end)
}

/// The first key after `key`.
fn successor(key: &[u8]) -> Vec<u8> {
    let mut next = key.to_vec();
    next.push(0);
    next
}

/// One range `[from, end)` read page by page in a snapshot transaction;
/// no connection when the store has no tables (an empty listing).
struct Pages<'s> {
    conn: Option<Conn<'s>>,
    end: Vec<u8>,
}

impl<'s> Pages<'s> {
    /// The pages below `prefix`, and where they start.
    fn open(store: &'s SqlStore, prefix: &Key) -> Result<(Pages<'s>, Vec<u8>), StoreError> {
        let (below, end) = range(prefix);
        Ok((Pages { conn: store.reader(true)?, end }, below))
    }

    /// The row of `sql` for the key `own` itself (the prefix's own key), if
    /// there is one, in the same transaction as the pages.
    fn own(
        &mut self,
        sql: &str,
        own: &[u8],
        kinds: &[Kind],
        each: &mut (dyn FnMut(Row) -> bool + Send),
    ) -> Result<(), StoreError> {
        let end = std::mem::replace(&mut self.end, successor(own));
        let outcome = self.page(sql, own, 1, kinds, each);
        self.end = end;
        outcome
    }

    /// Up to `limit` rows of `sql` from `from`, each handed to `each` until
    /// it returns false. A failure ends the listing.
    fn page(
        &mut self,
        sql: &str,
        from: &[u8],
        limit: i64,
        kinds: &[Kind],
        each: &mut (dyn FnMut(Row) -> bool + Send),
    ) -> Result<(), StoreError> {
        let Some(conn) = self.conn.as_mut() else { return Ok(()) };
        conn.renew();
        let outcome = conn.fetch(sql, &[Param::Bytes(from), Param::Bytes(&self.end), Param::Int(limit)], kinds, each);
        if outcome.is_err() {
            self.conn = None;
        }
        outcome
    }

    /// The listing is over: end its transaction (and the connection goes
    /// back to the idle list).
    fn finish(&mut self) -> Option<StoreError> {
        self.conn.take().and_then(|mut conn| conn.commit().err())
    }
}

/// The prefix's own key, which a subtree's listing reads first (the root
/// is no key).
fn own_key(prefix: &Key) -> Option<Vec<u8>> {
    (!prefix.is_root()).then(|| prefix.as_str().as_bytes().to_vec())
}

pub(super) fn keys<'s>(store: &'s SqlStore, prefix: &Key) -> Result<Entries<'s>, StoreError> {
    let (mut pages, start) = Pages::open(store, prefix)?;
    let mut own = own_key(prefix);
    let mut cursor = Some(start);
    let mut buffer: VecDeque<Vec<u8>> = VecDeque::new();
    Ok(Box::new(std::iter::from_fn(move || loop {
        if let Some(key) = buffer.pop_front() {
            return Some(Ok(SqlStore::key_string(&key)));
        }
        if let Some(own) = own.take() {
            let outcome = pages.own(&store.sql.keys, &own, &[Kind::Bytes], &mut |mut row| {
                buffer.push_back(row.bytes(0));
                true
            });
            if let Err(e) = outcome {
                return Some(Err(e));
            }
            continue;
        }
        let Some(from) = cursor.take() else { return pages.finish().map(Err) };
        let outcome = pages.page(&store.sql.keys, &from, KEYS_PAGE, &[Kind::Bytes], &mut |mut row| {
            buffer.push_back(row.bytes(0));
            true
        });
        if let Err(e) = outcome {
            return Some(Err(e));
        }
        if buffer.len() as i64 == KEYS_PAGE {
            cursor = buffer.back().map(|k| successor(k));
        }
    })))
}

pub(super) fn scan<'s>(store: &'s SqlStore, prefix: &Key) -> Result<Scan<'s>, StoreError> {
    let (mut pages, start) = Pages::open(store, prefix)?;
    let mut own = own_key(prefix);
    let mut cursor = Some(start);
    let mut limit = SCAN_FIRST_PAGE;
    let mut buffer: VecDeque<Entry> = VecDeque::new();
    let kinds = [Kind::Bytes, Kind::Bytes, Kind::Int];
    Ok(Box::new(std::iter::from_fn(move || loop {
        if let Some(entry) = buffer.pop_front() {
            return Some(Ok(entry));
        }
        if let Some(own) = own.take() {
            let outcome = pages.own(&store.sql.scan, &own, &kinds, &mut |mut row| {
                buffer.push_back(Entry {
                    key: SqlStore::key_string(&row.bytes(0)),
                    value: row.bytes(1),
                    revision: revision(row.int(2)),
                });
                true
            });
            if let Err(e) = outcome {
                return Some(Err(e));
            }
            continue;
        }
        let Some(from) = cursor.take() else { return pages.finish().map(Err) };
        let (mut rows, mut bytes, mut full) = (0i64, 0usize, false);
        let outcome = pages.page(&store.sql.scan, &from, limit, &kinds, &mut |mut row| {
            let (key, value) = (row.bytes(0), row.bytes(1));
            rows += 1;
            bytes += key.len() + value.len() + ENTRY_OVERHEAD;
            buffer.push_back(Entry { key: SqlStore::key_string(&key), value, revision: revision(row.int(2)) });
            full = bytes >= SCAN_PAGE_BYTES;
            !full
        });
        if let Err(e) = outcome {
            return Some(Err(e));
        }
        if full || rows == limit {
            cursor = buffer.back().map(|e| successor(e.key.as_bytes()));
        }
        limit = (SCAN_PAGE_BYTES as i64 * rows / bytes.max(1) as i64).clamp(1, KEYS_PAGE);
    })))
}

pub(super) fn children<'s>(store: &'s SqlStore, prefix: &Key) -> Result<Entries<'s>, StoreError> {
    let (mut pages, below) = Pages::open(store, prefix)?;
    let mut cursor = Some(below.clone());
    let mut limit = CHILDREN_FIRST_PAGE;
    let mut buffer: VecDeque<String> = VecDeque::new();
    Ok(Box::new(std::iter::from_fn(move || loop {
        if let Some(child) = buffer.pop_front() {
            return Some(Ok(child));
        }
        let Some(from) = cursor.take() else { return pages.finish().map(Err) };
        let mut keys = Vec::new();
        let outcome = pages.page(&store.sql.keys, &from, limit, &[Kind::Bytes], &mut |mut row| {
            keys.push(row.bytes(0));
            true
        });
        if let Err(e) = outcome {
            return Some(Err(e));
        }
        let mut next = from;
        let mut in_subtree = false;
        for key in keys.iter().filter(|k| k.len() > below.len()) {
            if *key < next {
                continue; // below a child already listed
            }
            let rel = &key[below.len()..];
            in_subtree = match rel.iter().position(|b| *b == b'/') {
                Some(i) => {
                    buffer.push_back(format!("{}/", SqlStore::key_string(&rel[..i])));
                    next = [&below[..], &rel[..i], b"0"].concat();
                    true
                }
                None => {
                    buffer.push_back(SqlStore::key_string(rel));
                    next = successor(key);
                    false
                }
            };
        }
        if keys.len() as i64 == limit {
            cursor = Some(next);
        }
        limit = if in_subtree { CHILDREN_FIRST_PAGE } else { (limit * 2).min(KEYS_PAGE) };
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_ends_just_past_its_slash() {
        assert_eq!(range(&Key::parse("/a/b").unwrap()), (b"/a/b/".to_vec(), b"/a/b0".to_vec()));
        assert_eq!(range(&Key::root()), (b"/".to_vec(), b"0".to_vec()));
    }
}
