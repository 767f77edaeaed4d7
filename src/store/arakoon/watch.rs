//! Following a prefix by polling, as Arakoon has no watch: the re-read
//! watcher (`store::watch::Rescan`) scans the prefix when its signal says
//! something may have changed. The signal reads ovs's commit count (one
//! small read every 100 ms), which moves with every ovs commit, and fires
//! once a second regardless, for the writes of other clients (Open
//! vStorage itself), which do not count. The cost: ten small reads a
//! second, and a scan of the prefix after each ovs commit and once a second.

use std::time::{Duration, Instant};

use super::revision::COUNTER;
use super::ArakoonStore;
use crate::store::watch::{self, Rescan};
use crate::store::{Key, Revision, StoreError, Watcher};

const POLL: Duration = Duration::from_millis(100);
const RESCAN: Duration = Duration::from_secs(1);

pub(super) fn watch<'s>(
    store: &'s ArakoonStore,
    prefix: &Key,
    after: Option<Revision>,
) -> Result<Box<dyn Watcher + 's>, StoreError> {
    watch::refuse_position(store, after)?;
    let started = Instant::now();
    let signal = watch::polled(POLL, move || {
        let tick = started.elapsed().as_millis() / RESCAN.as_millis();
        Ok((store.read(COUNTER)?, tick))
    })?;
    Rescan::scanning(store, prefix, signal)
}
