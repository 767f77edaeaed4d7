//! Listings and scans in pages, all read at the revision of the first page,
//! so each is one consistent snapshot and memory holds one page at a time.
//! `keys` and `scan` cover the prefix's subtree: the prefix's own key is
//! the first page (a read of that one key, which pins the revision), then
//! the range below `P/` (never `P.x` or `P-x`, which sort between them).
//!
//! etcd 3.4 walks every key in a range's `[start, end)` on each request,
//! however small the limit (it counts them), so the cost of a request grows
//! with how far its range reaches, not with what it returns. Hence:
//!
//! - `keys` uses large pages: few requests, memory bounded by one page.
//! - `children` never reads every key below the prefix. When a key shows
//!   that `name/` is a child, the listing skips the whole `name/` range and
//!   then looks for the next key with ranges that start just past it and
//!   double in reach ("galloping"), so finding the next child walks little
//!   more than what lies between. While it meets only leaves it reads plain
//!   pages that double in size.
//! - `scan` carries values, which weigh anything up to the server's request
//!   limit, so its pages are sized in bytes: each page asks for as many keys
//!   as the last page's average entry suggests fit in `SCAN_PAGE_BYTES`, and
//!   a page whose answer comes back much larger than that (big values after
//!   small ones) is refused while its length is read, before it is held in
//!   memory, and asked again with fewer keys.

use std::collections::VecDeque;

use etcd_client::{Error as EtcdError, GetOptions, KeyValue};
use tonic::Code;

use super::EtcdStore;
use crate::store::watch::Snapshot;
use crate::store::{Entries, Entry, Key, Revision, Scan, StoreError};

/// A small first page, so that output starts at once; then pages of
/// `KEYS_PAGE`, each asked for while the one before is printed.
const KEYS_FIRST_PAGE: i64 = 5_000;
const KEYS_PAGE: i64 = 32_000;
/// A full page of long keys exceeds tonic's 4 MiB default response limit.
pub(super) const MAX_RESPONSE: usize = 256 << 20;
const CHILDREN_FIRST_PAGE: i64 = 16;
/// What a scan's page aims to hold, counting `ENTRY_OVERHEAD` per entry.
const SCAN_PAGE_BYTES: usize = 4 << 20;
/// Roughly what an entry costs in memory beyond its key and value bytes.
const ENTRY_OVERHEAD: usize = 64;
const SCAN_FIRST_PAGE: i64 = 256;
/// A scan's page answered with more than this is asked again with fewer
/// keys (a single entry may take up to `MAX_RESPONSE`).
const SCAN_MAX_RESPONSE: usize = 4 * SCAN_PAGE_BYTES;

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
        self.fetch_below(from, self.end.clone(), limit)
    }

    /// Up to `limit` keys in `[from, upper)`, and whether more follow there.
    fn fetch_below(&mut self, from: Vec<u8>, upper: Vec<u8>, limit: i64) -> Result<(Vec<Vec<u8>>, bool), StoreError> {
        let options = GetOptions::new().with_range(upper).with_keys_only();
        let (kvs, more) = self.range(&from, options, limit, MAX_RESPONSE)?.map_err(|e| self.store.backend_error(e))?;
        Ok((kvs.into_iter().map(|kv| kv.into_key_value().0).collect(), more))
    }

    /// The prefix's own key (None for the root, which is no key), read as
    /// a listing's first page: it pins the revision the rest is read at.
    fn own(&mut self, prefix: &Key, options: GetOptions) -> Result<Vec<KeyValue>, StoreError> {
        if prefix.is_root() {
            return Ok(Vec::new());
        }
        let own = self.store.etcd_key(prefix);
        let (kvs, _) = self.range(&own, options, 1, MAX_RESPONSE)?.map_err(|e| self.store.backend_error(e))?;
        Ok(kvs)
    }

    /// Up to `limit` entries from `from`, pinned at the listing's revision,
    /// and whether more follow; the server's refusal comes back as it came.
    fn range(
        &mut self,
        from: &[u8],
        options: GetOptions,
        limit: i64,
        max_response: usize,
    ) -> Result<Result<(Vec<KeyValue>, bool), EtcdError>, StoreError> {
        let mut options = options.with_limit(limit);
        if self.revision > 0 {
            // The first page was linearizable and pinned the revision; the
            // rest read that revision, which needs no round of consensus.
            options = options.with_revision(self.revision).with_serializable();
        }
        let resp = self.store.attempt(|c| {
            let (from, options) = (from.to_vec(), options.clone());
            async move { c.kv_client().max_decoding_message_size(max_response).get(from, Some(options)).await }
        })?;
        Ok(resp.map(|mut resp| {
            if self.revision == 0 {
                self.revision = resp.header().map_or(0, |h| h.revision());
            }
            let more = resp.more();
            tracing::debug!(from = %String::from_utf8_lossy(from), limit, returned = resp.kvs().len(), more, "etcd range");
            (resp.take_kvs(), more)
        }))
    }

    /// The first keys at or after `from` (up to `limit`), looked for in
    /// ranges that reach further each time: the byte at each position of
    /// `from`, from `last` down to `floor`, is raised by 1, 2, 4, ... Empty
    /// probes are cheap; the first non-empty one walks little beyond its
    /// first key. The probes of one position go in two rounds, each asked
    /// at once: raised by 1 and 2 (where the next child usually is), then
    /// all the rest (where there is little or nothing to walk). Returns
    /// nothing when no key is left.
    fn gallop(&mut self, from: &[u8], last: usize, floor: usize, limit: i64) -> Result<Vec<Vec<u8>>, StoreError> {
        for j in (floor..=last).rev() {
            let uppers: Vec<Vec<u8>> = (0..8)
                .map(|bit| u16::from(from[j]) + (1 << bit))
                .take_while(|raised| *raised <= 0xff)
                .map(|raised| [&from[..j], &[raised as u8]].concat())
                .take_while(|upper| *upper < self.end)
                .collect();
            let (near, far) = uppers.split_at(uppers.len().min(2));
            for round in [near, far] {
                if let Some(keys) = self.probe(from, round, limit)?.into_iter().find(|keys| !keys.is_empty()) {
                    return Ok(keys);
                }
            }
        }
        Ok(self.fetch(from.to_vec(), limit)?.0)
    }

    /// Up to `limit` keys in `[from, upper)` for each of `uppers`, asked
    /// for at once.
    fn probe(&mut self, from: &[u8], uppers: &[Vec<u8>], limit: i64) -> Result<Vec<Vec<Vec<u8>>>, StoreError> {
        if uppers.is_empty() {
            return Ok(Vec::new());
        }
        let revision = self.revision;
        let requests: Vec<(Vec<u8>, GetOptions)> = uppers
            .iter()
            .map(|upper| {
                let options = GetOptions::new().with_range(upper.clone()).with_keys_only().with_limit(limit);
                let options = if revision > 0 { options.with_revision(revision).with_serializable() } else { options };
                (from.to_vec(), options)
            })
            .collect();
        let answers = self.store.run(|c| {
            let requests = requests.clone();
            async move {
                let asks = requests.into_iter().map(|(from, options)| {
                    let mut kv = c.kv_client().max_decoding_message_size(MAX_RESPONSE);
                    async move { kv.get(from, Some(options)).await }
                });
                futures::future::try_join_all(asks).await
            }
        })?;
        if self.revision == 0 {
            self.revision = answers.first().and_then(|r| r.header()).map_or(0, |h| h.revision());
        }
        let found: Vec<usize> = answers.iter().map(|r| r.kvs().len()).collect();
        tracing::debug!(from = %String::from_utf8_lossy(from), probes = uppers.len(), ?found, "etcd probes");
        Ok(answers
            .into_iter()
            .map(|mut r| r.take_kvs().into_iter().map(|kv| kv.into_key_value().0).collect())
            .collect())
    }
}

pub(super) fn keys<'s>(store: &'s EtcdStore, prefix: &Key) -> Entries<'s> {
    let start = store.below(prefix);
    let mut pages = Pages { store, end: prefix_end(&start), revision: 0 };
    let mut own = Some(prefix.clone());
    let mut cursor = Some(start);
    let mut limit = KEYS_FIRST_PAGE;
    let mut ahead: Option<Ahead> = None;
    let mut buffer: VecDeque<Vec<u8>> = VecDeque::new();
    Box::new(std::iter::from_fn(move || loop {
        if let Some(key) = buffer.pop_front() {
            return Some(Ok(store.owned_ovs_key(key)));
        }
        if let Some(prefix) = own.take() {
            match pages.own(&prefix, GetOptions::new().with_keys_only()) {
                Ok(kvs) => buffer.extend(kvs.into_iter().map(|kv| kv.into_key_value().0)),
                Err(e) => return Some(Err(e)),
            }
            continue;
        }
        let from = cursor.take()?;
        let page = match ahead.take() {
            Some(ahead) => ahead.wait(&mut pages, from, limit),
            None => pages.fetch(from, limit),
        };
        match page {
            Ok((keys, more)) => {
                limit = KEYS_PAGE;
                if let (true, Some(last)) = (more, keys.last()) {
                    // The next page is asked for now, and read while this
                    // one is printed.
                    let next = successor(last);
                    ahead = pages.ask_ahead(next.clone(), limit);
                    cursor = Some(next);
                }
                buffer.extend(keys);
            }
            Err(e) => return Some(Err(e)),
        }
    }))
}

/// A listing's next page, asked for on the shared runtime while the
/// current one is consumed.
struct Ahead {
    from: Vec<u8>,
    task: tokio::task::JoinHandle<Option<(Vec<Vec<u8>>, bool)>>,
}

impl Pages<'_> {
    /// Ask for the page from `from` now, on the client in use, at the
    /// listing's revision; None when there is no client to ask with.
    fn ask_ahead(&self, from: Vec<u8>, limit: i64) -> Option<Ahead> {
        let client = self.store.current().as_ref().map(|(_, client)| client.clone())?;
        let options = GetOptions::new()
            .with_range(self.end.clone())
            .with_keys_only()
            .with_limit(limit)
            .with_revision(self.revision)
            .with_serializable();
        let (key, timeout) = (from.clone(), self.store.timeout);
        let task = self.store.rt.spawn(async move {
            let mut kv = client.kv_client().max_decoding_message_size(MAX_RESPONSE);
            let mut resp = tokio::time::timeout(timeout, kv.get(key, Some(options))).await.ok()?.ok()?;
            let more = resp.more();
            Some((resp.take_kvs().into_iter().map(|kv| kv.into_key_value().0).collect(), more))
        });
        Some(Ahead { from, task })
    }
}

impl Ahead {
    /// The page asked for ahead; if that request failed in any way, the
    /// page is asked for again the usual way (other endpoints, errors).
    fn wait(self, pages: &mut Pages<'_>, from: Vec<u8>, limit: i64) -> Result<(Vec<Vec<u8>>, bool), StoreError> {
        debug_assert_eq!(self.from, from);
        match pages.store.rt.block_on(self.task) {
            Ok(Some(page)) => Ok(page),
            _ => pages.fetch(from, limit),
        }
    }
}

pub(super) fn scan<'s>(store: &'s EtcdStore, prefix: &Key) -> Scan<'s> {
    scan_at(store, prefix, 0)
}

/// The subtree of `prefix` and the revision it was read at, which a
/// watch goes on from.
pub(super) fn snapshot(store: &EtcdStore, prefix: &Key) -> Result<(Snapshot, i64), StoreError> {
    let below = store.below(prefix);
    let options = GetOptions::new().with_range(prefix_end(&below)).with_count_only();
    let resp = store.run(|mut c| {
        let (below, options) = (below.clone(), options.clone());
        async move { c.get(below, Some(options)).await }
    })?;
    let revision = resp.header().map_or(0, |h| h.revision());
    Ok((Snapshot::read(scan_at(store, prefix, revision))?, revision))
}

/// A scan at `revision`, or (0) at the revision of its first page.
fn scan_at<'s>(store: &'s EtcdStore, prefix: &Key, revision: i64) -> Scan<'s> {
    let start = store.below(prefix);
    let mut pages = Pages { store, end: prefix_end(&start), revision };
    let mut own = Some(prefix.clone());
    let mut cursor = Some(start);
    let mut limit = SCAN_FIRST_PAGE;
    let mut buffer: VecDeque<KeyValue> = VecDeque::new();
    Box::new(std::iter::from_fn(move || loop {
        if let Some(kv) = buffer.pop_front() {
            let revision = Revision(kv.mod_revision().max(0) as u64);
            let (key, value) = kv.into_key_value();
            return Some(Ok(Entry { key: store.ovs_key(&key), value, revision }));
        }
        if let Some(prefix) = own.take() {
            match pages.own(&prefix, GetOptions::new()) {
                Ok(kvs) => buffer.extend(kvs),
                Err(e) => return Some(Err(e)),
            }
            continue;
        }
        let from = cursor.take()?;
        let options = GetOptions::new().with_range(pages.end.clone());
        let cap = if limit == 1 { MAX_RESPONSE } else { SCAN_MAX_RESPONSE };
        match pages.range(&from, options, limit, cap) {
            Ok(Ok((kvs, more))) => {
                if more {
                    cursor = kvs.last().map(|kv| successor(kv.key()));
                }
                let bytes: usize = kvs.iter().map(|kv| kv.key().len() + kv.value().len() + ENTRY_OVERHEAD).sum();
                limit = (SCAN_PAGE_BYTES * kvs.len() / bytes.max(1)).max(1) as i64;
                buffer.extend(kvs);
            }
            Ok(Err(e)) if response_too_large(&e) && limit > 1 => {
                limit = (limit / 8).max(1);
                cursor = Some(from);
            }
            Ok(Err(e)) => return Some(Err(store.backend_error(e))),
            Err(e) => return Some(Err(e)),
        }
    }))
}

/// The answer was longer than the client was told to take.
fn response_too_large(e: &EtcdError) -> bool {
    matches!(e, EtcdError::GRpcStatus(s) if s.code() == Code::OutOfRange && s.message().contains("decoded message length too large"))
}

pub(super) fn children<'s>(store: &'s EtcdStore, prefix: &Key) -> Entries<'s> {
    let below = store.below(prefix);
    let mut pages = Pages { store, end: prefix_end(&below), revision: 0 };
    let mut cursor = Some(below.clone());
    let mut limit = CHILDREN_FIRST_PAGE;
    let mut after_subtree = false;
    let mut buffer: VecDeque<String> = VecDeque::new();
    Box::new(std::iter::from_fn(move || loop {
        if let Some(child) = buffer.pop_front() {
            return Some(Ok(child));
        }
        let from = cursor.take()?;
        let page = if after_subtree {
            // `from` is `below + name + "0"`: raising its second-to-last
            // byte by one already covers every name that extends `name`.
            pages.gallop(&from, from.len() - 2, below.len(), limit).map(|keys| {
                let more = !keys.is_empty();
                (keys, more)
            })
        } else {
            pages.fetch(from.clone(), limit)
        };
        let (keys, more) = match page {
            Ok(page) => page,
            Err(e) => return Some(Err(e)),
        };
        let mut next = from;
        after_subtree = false;
        for key in keys.iter().filter(|k| k.len() > below.len()) {
            if *key < next {
                continue; // inside a subtree already listed
            }
            let rel = &key[below.len()..];
            match rel.iter().position(|b| *b == b'/') {
                Some(i) => {
                    buffer.push_back(format!("{}/", String::from_utf8_lossy(&rel[..i])));
                    next = [&below[..], &rel[..i], b"0"].concat(); // '0' follows '/'
                    after_subtree = true;
                }
                None => {
                    buffer.push_back(String::from_utf8_lossy(rel).into_owned());
                    next = successor(key);
                }
            }
        }
        limit = if after_subtree { CHILDREN_FIRST_PAGE } else { (limit * 2).min(KEYS_PAGE) };
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
