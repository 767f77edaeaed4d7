//! Reading ranges: `range_entries` pages through a key range (one page in
//! memory), a cursor that can seek forward (past a subtree, past Arakoon's
//! own `_` keys), and on top of it `keys`, `children` (which seeks past
//! each child's subtree rather than read it) and `scan` (which reads the
//! revisions of a batch of keys in one more range, see `revision.rs`).

use std::collections::VecDeque;

use super::revision::{self, SHADOW};
use super::ArakoonStore;
use crate::store::{Entries, Entry, Key, Scan, StoreError};

/// The most pairs one page asks for.
const PAGE_KEYS: usize = 1_000;
/// What a page aims to hold; values come with the keys.
const PAGE_BYTES: usize = 4 << 20;

pub(super) type Pair = (Vec<u8>, Vec<u8>);

/// The byte string just after every string that starts with `prefix`
/// (`a/` → `a0`): the exclusive end of a prefix's range. None: no end.
pub(super) fn after_prefix(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// A forward cursor over `[from, end)`.
pub(super) struct Cursor<'s> {
    store: &'s ArakoonStore,
    from: Vec<u8>,
    from_in: bool,
    end: Option<Vec<u8>>,
    page: VecDeque<Pair>,
    /// The last page came back short: the range is read to its end.
    done: bool,
    max: usize,
    /// Skip Arakoon's own keys (those beginning with `_`): the whole store
    /// is listed (no root).
    hide: bool,
}

impl<'s> Cursor<'s> {
    pub(super) fn new(store: &'s ArakoonStore, from: Vec<u8>, end: Option<Vec<u8>>) -> Cursor<'s> {
        let hide = store.root.is_empty();
        Cursor { store, from, from_in: true, end, page: VecDeque::new(), done: false, max: PAGE_KEYS, hide }
    }

    pub(super) fn next(&mut self) -> Result<Option<Pair>, StoreError> {
        loop {
            if let Some(pair) = self.page.pop_front() {
                if self.hide && pair.0.starts_with(b"_") {
                    // `_` is 0x5f: every hidden key sorts before "`".
                    self.seek(b"`".to_vec());
                    continue;
                }
                return Ok(Some(pair));
            }
            if self.done {
                return Ok(None);
            }
            let pairs = self.store.range(&self.from, self.from_in, self.end.as_deref(), self.max)?;
            self.done = pairs.len() < self.max;
            if let Some((last, _)) = pairs.last() {
                self.from = last.clone();
                self.from_in = false;
            }
            let bytes: usize = pairs.iter().map(|(k, v)| k.len() + v.len() + 16).sum();
            self.max = (PAGE_BYTES * pairs.len().max(1) / bytes.max(1)).clamp(1, PAGE_KEYS);
            self.page = pairs.into();
        }
    }

    /// Go on from `to` (inclusive), skipping what lies before it.
    pub(super) fn seek(&mut self, to: Vec<u8>) {
        while self.page.front().is_some_and(|(k, _)| *k < to) {
            self.page.pop_front();
        }
        // The next page starts at `to`, unless reading got past it already.
        if self.page.is_empty() && to > self.from {
            self.from = to;
            self.from_in = true;
        }
    }
}

/// The subtree of `prefix` as a cursor and a test of what belongs to it.
fn subtree<'s>(store: &'s ArakoonStore, prefix: &Key) -> Subtree<'s> {
    let own = store.raw(prefix);
    let below = store.below(prefix);
    let end = after_prefix(&below);
    let from = if prefix.is_root() { below.clone() } else { own.clone() };
    Subtree { cursor: Cursor::new(store, from, end), own: (!prefix.is_root()).then_some(own), below }
}

struct Subtree<'s> {
    cursor: Cursor<'s>,
    own: Option<Vec<u8>>,
    below: Vec<u8>,
}

impl Subtree<'_> {
    /// The next pair of the subtree: the prefix's own key, then those below.
    fn next(&mut self) -> Result<Option<Pair>, StoreError> {
        while let Some(pair) = self.cursor.next()? {
            if self.own.as_ref() == Some(&pair.0) || pair.0.starts_with(&self.below) {
                return Ok(Some(pair));
            }
            // A neighbour between `a/b` and `a/b/` (`a/b.x`): skip them all.
            self.cursor.seek(self.below.clone());
        }
        Ok(None)
    }
}

pub(super) fn keys<'s>(store: &'s ArakoonStore, prefix: &Key) -> Entries<'s> {
    let mut tree = subtree(store, prefix);
    Box::new(std::iter::from_fn(move || tree.next().transpose().map(|r| r.map(|(k, _)| store.ovs_key(&k)))))
}

pub(super) fn children<'s>(store: &'s ArakoonStore, prefix: &Key) -> Entries<'s> {
    let below = store.below(prefix);
    let mut cursor = Cursor::new(store, below.clone(), after_prefix(&below));
    Box::new(std::iter::from_fn(move || loop {
        let (key, _) = match cursor.next() {
            Ok(Some(pair)) => pair,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        let rel = &key[below.len()..];
        if rel.is_empty() {
            // `a/b/` itself, written by another tool: no child.
            continue;
        }
        return Some(Ok(match rel.iter().position(|b| *b == b'/') {
            None => String::from_utf8_lossy(rel).into_owned(),
            Some(i) => {
                // Seek past the child's subtree instead of reading it.
                let mut past = below.clone();
                past.extend_from_slice(&rel[..i]);
                past.push(b'0');
                cursor.seek(past);
                format!("{}/", String::from_utf8_lossy(&rel[..i]))
            }
        }));
    }))
}

pub(super) fn scan<'s>(store: &'s ArakoonStore, prefix: &Key) -> Scan<'s> {
    let mut tree = subtree(store, prefix);
    let mut batch: VecDeque<Entry> = VecDeque::new();
    let mut failed = false;
    Box::new(std::iter::from_fn(move || {
        if batch.is_empty() && !failed {
            if let Err(e) = fill(store, &mut tree, &mut batch) {
                failed = true;
                return Some(Err(e));
            }
        }
        batch.pop_front().map(Ok)
    }))
}

/// Read the next batch of the subtree and the revisions of its keys.
fn fill(store: &ArakoonStore, tree: &mut Subtree<'_>, batch: &mut VecDeque<Entry>) -> Result<(), StoreError> {
    let mut pairs = Vec::new();
    let mut bytes = 0;
    while pairs.len() < PAGE_KEYS && bytes < PAGE_BYTES {
        let Some(pair) = tree.next()? else { break };
        bytes += pair.0.len() + pair.1.len();
        pairs.push(pair);
    }
    let (Some(first), Some(last)) = (pairs.first(), pairs.last()) else { return Ok(()) };
    let shadows = shadows(store, &first.0, &last.0)?;
    let mut shadows = shadows.into_iter().peekable();
    for (key, value) in pairs {
        let shadow_key = [SHADOW, &key[..]].concat();
        while shadows.next_if(|(k, _)| *k < shadow_key).is_some() {}
        let shadow = shadows.next_if(|(k, _)| *k == shadow_key).map(|(_, v)| v);
        let revision = revision::of(&value, shadow.as_deref());
        batch.push_back(Entry { key: store.ovs_key(&key), value, revision });
    }
    Ok(())
}

/// The revision records of the keys from `first` to `last`, inclusive.
pub(super) fn shadows(store: &ArakoonStore, first: &[u8], last: &[u8]) -> Result<Vec<Pair>, StoreError> {
    let last = [SHADOW, last].concat();
    let mut cursor = Cursor::new(store, [SHADOW, first].concat(), after_prefix(&last));
    cursor.hide = false;
    let mut out = Vec::new();
    while let Some(pair) = cursor.next()? {
        if pair.0 > last {
            break;
        }
        out.push(pair);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_ends_just_after_everything_that_starts_with_it() {
        assert_eq!(after_prefix(b"a/"), Some(b"a0".to_vec()));
        assert_eq!(after_prefix(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(after_prefix(b"\xff\xff"), None);
        assert_eq!(after_prefix(b""), None);
    }
}
