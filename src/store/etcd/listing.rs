//! Listings in pages, all read at the revision of the first page, so a
//! listing is one consistent snapshot and memory holds one page at a time.
//!
//! `children` does not read every key below the prefix: when a key shows
//! that `name/` is a child, the next page starts after the whole `name/`
//! range. Pages start small and double while they hold only leaves, so a
//! few children with many keys each cost a few small round trips and many
//! leaf children cost few large ones.

use std::collections::VecDeque;

use etcd_client::GetOptions;

use super::EtcdStore;
use crate::store::{Entries, Key, StoreError};

const KEYS_PAGE: i64 = 5_000;
const CHILDREN_FIRST_PAGE: i64 = 16;

/// The first key after every key that starts with `prefix`.
pub(super) fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0] // every key: etcd's "to the end" marker
}

/// The first key after `key`.
fn successor(key: &[u8]) -> Vec<u8> {
    let mut next = key.to_vec();
    next.push(0);
    next
}

/// One range `[from, end)` read page by page at a pinned revision.
struct Pages<'s> {
    store: &'s EtcdStore,
    end: Vec<u8>,
    revision: i64,
}

impl Pages<'_> {
    /// Up to `limit` keys from `from`, and whether more follow.
    fn fetch(&mut self, from: Vec<u8>, limit: i64) -> Result<(Vec<Vec<u8>>, bool), StoreError> {
        let mut options = GetOptions::new().with_range(self.end.clone()).with_keys_only().with_limit(limit);
        if self.revision > 0 {
            options = options.with_revision(self.revision);
        }
        let mut resp = self.store.run(|mut c| {
            let (from, options) = (from.clone(), options.clone());
            async move { c.get(from, Some(options)).await }
        })?;
        if self.revision == 0 {
            self.revision = resp.header().map_or(0, |h| h.revision());
        }
        let more = resp.more();
        Ok((resp.take_kvs().into_iter().map(|kv| kv.into_key_value().0).collect(), more))
    }
}

pub(super) fn keys<'s>(store: &'s EtcdStore, prefix: &Key) -> Entries<'s> {
    let start = store.below(prefix);
    let mut pages = Pages { store, end: prefix_end(&start), revision: 0 };
    let mut cursor = Some(start);
    let mut buffer: VecDeque<Vec<u8>> = VecDeque::new();
    Box::new(std::iter::from_fn(move || loop {
        if let Some(key) = buffer.pop_front() {
            return Some(Ok(store.ovs_key(&key)));
        }
        let from = cursor.take()?;
        match pages.fetch(from, KEYS_PAGE) {
            Ok((keys, more)) => {
                if more {
                    cursor = keys.last().map(|k| successor(k));
                }
                buffer.extend(keys);
            }
            Err(e) => return Some(Err(e)),
        }
    }))
}

pub(super) fn children<'s>(store: &'s EtcdStore, prefix: &Key) -> Entries<'s> {
    let below = store.below(prefix);
    let mut pages = Pages { store, end: prefix_end(&below), revision: 0 };
    let mut cursor = Some(below.clone());
    let mut limit = CHILDREN_FIRST_PAGE;
    let mut buffer: VecDeque<String> = VecDeque::new();
    Box::new(std::iter::from_fn(move || loop {
        if let Some(child) = buffer.pop_front() {
            return Some(Ok(child));
        }
        let from = cursor.take()?;
        let (keys, more) = match pages.fetch(from.clone(), limit) {
            Ok(page) => page,
            Err(e) => return Some(Err(e)),
        };
        let mut next = from;
        let mut skipped_a_subtree = false;
        for key in keys.iter().filter(|k| k.len() > below.len()) {
            if *key < next {
                continue; // inside a subtree already listed
            }
            let rel = &key[below.len()..];
            match rel.iter().position(|b| *b == b'/') {
                Some(i) => {
                    buffer.push_back(format!("{}/", String::from_utf8_lossy(&rel[..i])));
                    next = [&below[..], &rel[..i], b"0"].concat(); // '0' follows '/'
                    skipped_a_subtree = true;
                }
                None => {
                    buffer.push_back(String::from_utf8_lossy(rel).into_owned());
                    next = successor(key);
                }
            }
        }
        limit = if skipped_a_subtree { CHILDREN_FIRST_PAGE } else { (limit * 2).min(KEYS_PAGE) };
        if more {
            cursor = Some(next);
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_increments_the_last_byte() {
        assert_eq!(prefix_end(b"/a/"), b"/a0");
        assert_eq!(prefix_end(b"a\xff"), b"b");
        assert_eq!(prefix_end(b"\xff"), vec![0]);
    }
}
