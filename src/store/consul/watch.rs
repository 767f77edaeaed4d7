//! Following a prefix: blocking queries on the recursive key listing
//! (`?keys&index=N&wait=...`), by the rules Consul documents for them
//! (api-docs/features/blocking). A query returns when the listing's
//! `X-Consul-Index` passes N, or when its wait ends; the watcher then scans
//! the prefix and reports what differs (`Rescan`), so an answer that is no
//! change (an idempotent write, a write elsewhere below the root) costs a
//! scan and reports nothing. Keys, not `?recurse`: the index is the same
//! (the highest ModifyIndex below the prefix, or a tombstone's), and the
//! values come from the scan.

use std::time::{Duration, Instant};

use reqwest::Method;

use super::client::{kv_path, Call};
use super::ConsulStore;
use crate::store::watch::{self, Rescan};
use crate::store::{Key, Revision, StoreError, Watcher};

/// The least time between two queries: a loop that returns at once (a
/// busy prefix, a misbehaving agent) asks at most 20 times a second.
const MIN_GAP: Duration = Duration::from_millis(50);

pub(super) fn watch<'s>(
    store: &'s ConsulStore,
    prefix: &Key,
    after: Option<Revision>,
) -> Result<Box<dyn Watcher + 's>, StoreError> {
    watch::refuse_position(store, after)?;
    let mut follow = Follow { store, listed: store.subtree(prefix), index: 0, sent: None };
    // The index before the first scan: whatever is written after it wakes the query.
    follow.index = next_index(0, follow.ask(Duration::ZERO)?).0;
    Rescan::scanning(store, prefix, move |wait| follow.signal(wait))
}

struct Follow<'s> {
    store: &'s ConsulStore,
    /// The raw prefix listed: the subtree's (which also takes neighbours
    /// whose names start with the prefix's: their writes wake the watch,
    /// and its scan finds nothing to report).
    listed: String,
    /// The index the listing was last seen at.
    index: u64,
    /// When the last query was sent.
    sent: Option<Instant>,
}

impl Follow<'_> {
    /// Wait at most `wait` for the listing's index to move: true when it did.
    fn signal(&mut self, wait: Duration) -> Result<bool, StoreError> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(sent) = self.sent {
                let next = sent + MIN_GAP;
                if next > deadline {
                    std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
                    return Ok(false);
                }
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let (index, moved) = next_index(self.index, self.ask(left)?);
            self.index = index;
            if moved {
                return Ok(true);
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
        }
    }

    /// The listing's index, waiting at most `wait` (and what the timeout
    /// allows) for it to pass the one last seen.
    fn ask(&mut self, wait: Duration) -> Result<u64, StoreError> {
        let wait = wait.min(self.store.http.longest_wait());
        let query = if wait.as_millis() == 0 {
            "?keys".to_string()
        } else {
            format!("?keys&index={}&wait={}ms", self.index, wait.as_millis())
        };
        self.sent = Some(Instant::now());
        let http = &self.store.http;
        // Only the header is wanted: the keys are left unread.
        let opened = http.open(&Call::new(Method::GET, kv_path(&self.listed, &query)))?;
        match (opened.status.as_u16(), opened.index) {
            (200 | 404, Some(index)) => Ok(index),
            _ => Err(http.refused(&http.finish(opened)?)),
        }
    }
}

/// Consul's rules for the index `got` that a query sent with `held`
/// answered: the index to send next, and whether the listing may have
/// changed. An index below 1 is a Consul bug that would make every query
/// return at once: it is taken as 1 (wait for any change). An index that
/// went backwards (a snapshot restored, tombstones reaped) restarts the
/// loop: Consul's rule resets it to 0, which reads afresh and waits from
/// what that read answers; here the answer in hand is that index, and the
/// scan that follows is the fresh read.
fn next_index(held: u64, got: u64) -> (u64, bool) {
    let got = got.max(1);
    (got, got != held)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_follows_consuls_rules() {
        assert_eq!(next_index(7, 7), (7, false), "the wait ended, nothing moved");
        assert_eq!(next_index(7, 9), (9, true));
        assert_eq!(next_index(9, 4), (4, true), "backwards: start again from it, with a fresh read");
        assert_eq!(next_index(5, 0), (1, true), "below 1: taken as 1");
        assert_eq!(next_index(1, 0), (1, false), "and then waits for any change");
    }
}
