//! Listings (`?keys`, streamed) and scans (a streamed listing, then the
//! values in read-only transactions of `get`s, checked against the
//! listing's index so that the scan is one point in time).

use std::collections::VecDeque;
use std::time::Instant;

use reqwest::Method;

use super::client::{kv_path, Call};
use super::stream::{strings, Strings};
use super::txn::{self, Op, Outcome};
use super::ConsulStore;
use crate::store::{Entries, Entry, Key, Revision, Scan, StoreError};

/// Values read per transaction at most: within every Consul's limit of
/// operations (64 before 1.14).
const PAGE_KEYS: usize = 64;
/// What a page of values aims to hold.
const PAGE_BYTES: usize = 4 << 20;
/// What a scan reads before it gives its first entry: a scan that fits is
/// started again, unseen, when a write lands during it.
const READ_AHEAD: usize = 4 << 20;
/// Roughly what an entry costs in memory beyond its key and value.
const ENTRY_OVERHEAD: usize = 64;

/// The keys Consul holds below the raw prefix `below` (cut at the next `/`
/// with `separator`), streamed, with the listing's `X-Consul-Index`; None
/// when there are none.
fn list(store: &ConsulStore, below: &str, separator: bool) -> Result<Option<(u64, Strings)>, StoreError> {
    let query = if separator { "?keys&separator=/" } else { "?keys" };
    let opened = store.http.open(&Call::new(Method::GET, kv_path(below, query)))?;
    if opened.filtered {
        // Never a listing that looks complete but is not.
        let shown = format!("/{}", below.strip_prefix(store.root.as_str()).unwrap_or(below));
        return Err(store.http.access_denied(&format!("Consul's ACLs hide some keys below {shown} from this token")));
    }
    match opened.status.as_u16() {
        200 => Ok(Some((opened.index.unwrap_or(0), strings(&store.http, opened.response)?))),
        404 => Ok(None),
        _ => Err(store.http.refused(&store.http.finish(opened)?)),
    }
}

/// The raw keys of the subtree of `prefix` (see `ConsulStore::subtree`),
/// streamed, with the listing's index; None when there are none.
fn subtree<'s>(store: &'s ConsulStore, prefix: &Key) -> Result<Option<(u64, Entries<'s>)>, StoreError> {
    let Some((index, keys)) = list(store, &store.subtree(prefix), false)? else { return Ok(None) };
    let prefix = prefix.clone();
    let inside = keys.filter(move |key| key.as_ref().map_or(true, |k| prefix.contains(&store.ovs_key(k))));
    Ok(Some((index, Box::new(inside))))
}

pub(super) fn keys<'s>(store: &'s ConsulStore, prefix: &Key) -> Result<Entries<'s>, StoreError> {
    let Some((_, keys)) = subtree(store, prefix)? else { return Ok(Box::new(std::iter::empty())) };
    Ok(Box::new(keys.map(move |key| key.map(|k| store.ovs_key(&k)))))
}

pub(super) fn children<'s>(store: &'s ConsulStore, prefix: &Key) -> Result<Entries<'s>, StoreError> {
    let below = store.below(prefix);
    let Some((_, keys)) = list(store, &below, true)? else { return Ok(Box::new(std::iter::empty())) };
    // Consul cuts each key after the first `/` past the prefix and drops
    // repeats: `name` for a key, `name/` for a subtree. A folder key equal
    // to the prefix itself is no child of it.
    Ok(Box::new(keys.filter_map(move |key| match key {
        Ok(key) => key.strip_prefix(below.as_str()).filter(|rel| !rel.is_empty()).map(|rel| Ok(rel.to_string())),
        Err(e) => Some(Err(e)),
    })))
}

pub(super) fn scan<'s>(store: &'s ConsulStore, prefix: &Key) -> Scan<'s> {
    Box::new(Scanner {
        store,
        prefix: prefix.clone(),
        listing: None,
        buffer: VecDeque::new(),
        buffered: 0,
        page: PAGE_KEYS,
        given: false,
        done: false,
        deadline: Instant::now() + store.http.timeout,
    })
}

struct Scanner<'s> {
    store: &'s ConsulStore,
    prefix: Key,
    /// The listing's index and its keys still to read.
    listing: Option<(u64, Entries<'s>)>,
    buffer: VecDeque<Entry>,
    buffered: usize,
    page: usize,
    /// Entries have been given: the scan can no longer start again.
    given: bool,
    done: bool,
    /// Until when a scan that meets a write starts again.
    deadline: Instant,
}

/// Why a page could not be read.
enum Stop {
    /// This key changed or went after the listing (index: its new one).
    Changed {
        key: String,
        index: Option<u64>,
        listed: u64,
    },
    Failed(StoreError),
}

fn weight(entry: &Entry) -> usize {
    entry.key.len() + entry.value.len() + ENTRY_OVERHEAD
}

impl Iterator for Scanner<'_> {
    type Item = Result<Entry, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.given || self.done || self.buffered >= READ_AHEAD {
                if let Some(entry) = self.buffer.pop_front() {
                    self.buffered -= weight(&entry);
                    self.given = true;
                    return Some(Ok(entry));
                }
                if self.done {
                    return None;
                }
            }
            match self.fill() {
                Ok(()) => {}
                Err(Stop::Changed { key, .. }) if !self.given && Instant::now() < self.deadline => {
                    tracing::debug!(%key, "consul scan: a key changed during the scan; starting again");
                    self.listing = None;
                    self.buffer.clear();
                    self.buffered = 0;
                }
                Err(stop) => {
                    self.done = true;
                    self.buffer.clear();
                    return Some(Err(self.error(stop)));
                }
            }
        }
    }
}

impl Scanner<'_> {
    /// Read the next page of values into the buffer (or find the end).
    fn fill(&mut self) -> Result<(), Stop> {
        if self.listing.is_none() {
            match subtree(self.store, &self.prefix).map_err(Stop::Failed)? {
                Some(listing) => self.listing = Some(listing),
                None => {
                    self.done = true;
                    return Ok(());
                }
            }
        }
        let Some((listed, keys)) = self.listing.as_mut() else { return Ok(()) };
        let listed = *listed;
        let page: Vec<String> = keys.by_ref().take(self.page).collect::<Result<_, _>>().map_err(Stop::Failed)?;
        if page.is_empty() {
            self.done = true;
            return Ok(());
        }
        let ops: Vec<Op> = page.iter().map(|k| Op::new("get", k.clone())).collect();
        let entries = match txn::run(self.store, &ops).map_err(Stop::Failed)? {
            Outcome::Done(entries) => entries,
            Outcome::Failed(failures) if failures[0].denied() => {
                return Err(Stop::Failed(
                    self.store.http.access_denied(&self.store.http.quote(failures[0].what.as_bytes())),
                ))
            }
            // A listed key is gone.
            Outcome::Failed(failures) => {
                let key = page.get(failures[0].op).cloned().unwrap_or_default();
                return Err(Stop::Changed { key, index: None, listed });
            }
            Outcome::Refused(answer) => return Err(Stop::Failed(self.store.http.refused(&answer))),
        };
        let mut bytes = 0;
        for kv in entries {
            if kv.modify_index > listed {
                return Err(Stop::Changed { key: kv.key, index: Some(kv.modify_index), listed });
            }
            let value = kv.value(&self.store.describe).map_err(Stop::Failed)?;
            let entry = Entry { key: self.store.ovs_key(&kv.key), value, revision: Revision(kv.modify_index) };
            bytes += weight(&entry);
            self.buffered += weight(&entry);
            self.buffer.push_back(entry);
        }
        self.page = (PAGE_BYTES * page.len() / bytes.max(1)).clamp(1, PAGE_KEYS);
        Ok(())
    }

    fn error(&self, stop: Stop) -> StoreError {
        let (key, index, listed) = match stop {
            Stop::Failed(e) => return e,
            Stop::Changed { key, index, listed } => (key, index, listed),
        };
        if !self.given {
            return StoreError::Timeout {
                store: self.store.describe.clone(),
                after: self.store.http.timeout,
                during: format!(
                    "while the keys below {} kept changing under a scan (it starts again each time)",
                    self.prefix
                ),
                source: None,
            };
        }
        let now = match index {
            Some(index) => format!("it was written at index {index}"),
            None => "it was deleted".into(),
        };
        let detail = format!(
            "{now} while a scan of {} was reading the keys as of index {listed}; nothing was mixed: read again",
            self.prefix
        );
        let ovs_key = self.store.ovs_key(&key);
        match Key::parse(&ovs_key) {
            Ok(key) if key.as_str() == ovs_key => StoreError::Conflict { key, detail },
            _ => self.store.backend(format!("{ovs_key:?}: {detail}")),
        }
    }
}
