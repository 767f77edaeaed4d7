//! Following a prefix with etcd's watch API, which replays every change
//! from a revision on, as long as the server still has it.
//!
//! A new watch reads the prefix once (one snapshot, at revision R) and
//! watches from R + 1, so nothing between the read and the watch is lost;
//! a resumed one watches from just after the position it is given. Each
//! watch response is one batch: etcd sends the events of one transaction
//! together. A lost connection is watched again from the last revision
//! seen, on whichever endpoint answers, for as long as the timeout allows,
//! then reported. When the server has compacted the revisions the watch
//! needs, the watcher reads the prefix again and reports the difference
//! from what it had seen (or, resumed with nothing seen, every key).

use std::time::{Duration, Instant};

use etcd_client::{EventType, WatchOptions, WatchResponse, WatchStream, Watcher as EtcdWatch};

use super::listing::{self, prefix_end, MAX_RESPONSE};
use super::EtcdStore;
use crate::store::watch::{Event, Snapshot, Update, Watcher};
use crate::store::{Cause, Context, Key, Revision, Said, StoreError};

/// The pause between attempts to watch again after the connection was lost.
const PAUSE: Duration = Duration::from_millis(100);

pub(super) struct PrefixWatcher<'s> {
    store: &'s EtcdStore,
    prefix: Key,
    /// Where the watched range starts: the prefix's own etcd key, which
    /// sorts first in its subtree. The range also holds keys that only
    /// start with it (`P.x`, `P-x`), whose events are left out.
    start: Vec<u8>,
    /// The end of the watched range: just past every key below `P/`.
    end: Vec<u8>,
    /// Every change up to this revision has been handed out.
    position: i64,
    /// What was seen below the prefix, kept up to date; None for a watch
    /// resumed from a position until a compaction makes it read the prefix.
    seen: Option<Snapshot>,
    /// The watch: its handle (dropping it ends the watch) and its stream;
    /// None once the connection was lost.
    open: Option<(EtcdWatch, WatchStream)>,
    /// When the stream last failed with no answer since.
    lost_since: Option<Instant>,
}

pub(super) fn watch<'s>(
    store: &'s EtcdStore,
    prefix: &Key,
    after: Option<Revision>,
) -> Result<PrefixWatcher<'s>, StoreError> {
    let mut watcher = PrefixWatcher {
        store,
        prefix: prefix.clone(),
        start: store.etcd_key(prefix),
        end: prefix_end(&store.below(prefix)),
        position: 0,
        seen: None,
        open: None,
        lost_since: None,
    };
    match after {
        Some(Revision(rev)) => watcher.position = i64::try_from(rev).unwrap_or(i64::MAX),
        None => {
            let (seen, revision) = listing::snapshot(store, prefix)?;
            watcher.seen = Some(seen);
            watcher.position = revision;
        }
    }
    watcher.open()?;
    Ok(watcher)
}

impl PrefixWatcher<'_> {
    /// Watch from just after the position, trying again while the
    /// endpoints do not answer, until the timeout is spent.
    fn open(&mut self) -> Result<(), StoreError> {
        let deadline = Instant::now() + self.store.timeout;
        let options = WatchOptions::new()
            .with_range(self.end.clone())
            .with_start_revision(self.position + 1)
            .with_progress_notify();
        loop {
            let opened = self.store.run(|c| {
                let (start, options) = (self.start.clone(), options.clone());
                async move { c.watch_client().max_decoding_message_size(MAX_RESPONSE).watch(start, Some(options)).await }
            });
            match opened {
                Ok(open) => {
                    self.open = Some(open);
                    return Ok(());
                }
                Err(e) if e.is_retryable() && Instant::now() + PAUSE < deadline => std::thread::sleep(PAUSE),
                Err(e) => return Err(e),
            }
        }
    }

    /// The server compacted what the watch needed: read the prefix again
    /// and watch on from there.
    fn resync(&mut self, compacted: i64) -> Result<Update, StoreError> {
        self.open = None;
        let (fresh, revision) = listing::snapshot(self.store, &self.prefix)?;
        let complete = self.seen.is_some();
        // With nothing seen, the difference from an empty snapshot: every key.
        let changes = self.seen.get_or_insert_with(Snapshot::default).advance(fresh);
        self.position = revision;
        self.open()?;
        Ok(Update::Resynced { compacted: Revision(compacted.max(0) as u64), changes, complete })
    }

    /// The response's events in the subtree, and the last revision of all
    /// of them (the watch has seen that far even when it leaves them out).
    fn events(&self, resp: &WatchResponse) -> (Vec<Event>, Option<i64>) {
        let last = resp.events().iter().filter_map(|e| e.kv()).map(|kv| kv.mod_revision()).max();
        let events = resp
            .events()
            .iter()
            .filter_map(|event| {
                let kv = event.kv()?;
                let key = self.store.ovs_key(kv.key());
                if !self.prefix.contains(&key) {
                    return None; // a neighbour: `P.x` for the prefix `P`
                }
                Some(Event {
                    key,
                    value: (event.event_type() == EventType::Put).then(|| kv.value().to_vec()),
                    // A delete's kv carries the revision of the delete.
                    revision: Revision(kv.mod_revision().max(0) as u64),
                })
            })
            .collect();
        (events, last)
    }

    /// The stream failed: watch again from the position, unless it has
    /// kept failing for longer than the timeout.
    fn lost(&mut self, reason: Cause) -> Result<(), StoreError> {
        self.open = None;
        let since = *self.lost_since.get_or_insert_with(Instant::now);
        if since.elapsed() >= self.store.timeout {
            return Err(StoreError::Unreachable {
                store: self.store.describe.clone(),
                endpoint: self.store.urls.join(", "),
                source: Context::cause("the watch was lost", reason),
            });
        }
        std::thread::sleep(PAUSE);
        self.open()
    }
}

impl Watcher for PrefixWatcher<'_> {
    fn next(&mut self, wait: Duration) -> Result<Option<Update>, StoreError> {
        let deadline = Instant::now() + wait;
        loop {
            let Some((_, stream)) = self.open.as_mut() else {
                self.open()?;
                continue;
            };
            let left = deadline.saturating_duration_since(Instant::now());
            let resp = match self.store.rt.block_on(async { tokio::time::timeout(left, stream.message()).await }) {
                Err(_) => return Ok(None),
                Ok(Ok(Some(resp))) => resp,
                Ok(Ok(None)) => {
                    self.lost(Said::cause("the server ended the stream"))?;
                    continue;
                }
                Ok(Err(e)) => {
                    self.lost(super::cause(e))?;
                    continue;
                }
            };
            self.lost_since = None;
            if resp.compact_revision() > 0 {
                return self.resync(resp.compact_revision()).map(Some);
            }
            if resp.canceled() {
                return Err(StoreError::Backend {
                    store: self.store.describe.clone(),
                    message: format!("etcd ended the watch: {}", resp.cancel_reason()),
                });
            }
            let (events, last) = self.events(&resp);
            match last {
                Some(last) => self.position = last,
                // A progress notice: the watch has caught up with the header's
                // revision. (A creation notice says nothing of the sort.)
                None if !resp.created() => {
                    self.position = self.position.max(resp.header().map_or(0, |h| h.revision()));
                }
                None => {}
            }
            if events.is_empty() {
                continue;
            }
            if let Some(seen) = self.seen.as_mut() {
                seen.apply(&events);
            }
            return Ok(Some(Update::Changes(events)));
        }
    }

    fn position(&self) -> Option<Revision> {
        Some(Revision(self.position.max(0) as u64))
    }
}
