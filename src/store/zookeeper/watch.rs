//! Following a prefix: a persistent recursive watch (ZooKeeper 3.6+) on the
//! prefix's znode is the signal that something below changed, and the
//! shared `Rescan` re-reads the prefix to find what. ZooKeeper keeps no log
//! of changes, so a watch cannot resume from a revision.
//!
//! A watch lives in a session. When the session is lost, or disconnects
//! (ZooKeeper may drop the events of a reconnection, ZOOKEEPER-4698), the
//! watch is set again on a session that works and the prefix re-read: the
//! re-read's difference holds whatever changed meanwhile.

use std::time::Duration;

use futures::FutureExt;
use zookeeper_client as zk;

use super::{listing, ZkStore};
use crate::store::watch::{Rescan, Snapshot, Watcher};
use crate::store::{Key, Revision, StoreError};

pub(super) fn watch<'s>(
    store: &'s ZkStore,
    prefix: &Key,
    after: Option<Revision>,
) -> Result<Box<dyn Watcher + 's>, StoreError> {
    if after.is_some() {
        return Err(StoreError::Unsupported {
            store: store.describe.clone(),
            what: "resuming a watch from a revision (ZooKeeper keeps no log of changes)".into(),
        });
    }
    let path = store.path(prefix)?;
    // Armed before the first read, so a change made during it is not lost.
    let mut signal = Signal { store, armed: Some(arm(store, &path)?), path: path.clone() };
    let rescan =
        Rescan::start(move |wait| signal.wait(wait), move || Snapshot::read(listing::scan(store, path.clone())))?;
    Ok(Box::new(rescan))
}

fn arm(store: &ZkStore, path: &str) -> Result<zk::PersistentWatcher, StoreError> {
    store.run(|c| async move { c.watch(path, zk::AddWatchMode::PersistentRecursive).await })
}

struct Signal<'s> {
    store: &'s ZkStore,
    path: String,
    /// None once its session was lost.
    armed: Option<zk::PersistentWatcher>,
}

impl Signal<'_> {
    /// Whether something below the prefix may have changed within `wait`.
    fn wait(&mut self, wait: Duration) -> Result<bool, StoreError> {
        let Some(watcher) = self.armed.as_mut() else {
            self.armed = Some(arm(self.store, &self.path)?);
            return Ok(true);
        };
        let store = self.store;
        let Ok(mut event) = store.rt.block_on(async { tokio::time::timeout(wait, watcher.changed()).await }) else {
            return Ok(false);
        };
        loop {
            if event.event_type == zk::EventType::Session && event.session_state != zk::SessionState::SyncConnected {
                // Never ask this watcher again: it panics after a session's end.
                self.armed = None;
                self.armed = Some(arm(store, &self.path)?);
                return Ok(true);
            }
            // Events already queued are covered by the one re-read.
            match store.rt.block_on(async { watcher.changed().now_or_never() }) {
                Some(next) => event = next,
                None => return Ok(true),
            }
        }
    }
}
