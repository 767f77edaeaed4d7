//! Following the changes below a prefix, and reading a key's past: the
//! types every backend's watcher and history speak, and the one re-read
//! that stores without an event log (and etcd after a compaction) use to
//! find what changed without missing anything.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::{Entry, Key, Revision, Scan, Store, StoreError, Version};

/// One change below the watched prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub key: String,
    /// The new value, or None: the key was deleted.
    pub value: Option<Vec<u8>>,
    /// The revision of the change: the key's new revision for a put; for a
    /// delete the store's revision of the delete where it has one (etcd),
    /// else the last revision the key had.
    pub revision: Revision,
}

/// What a watcher hands out: the changes since its last answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Update {
    /// Changes in the order the store made them.
    Changes(Vec<Event>),
    /// The store could not replay every change since the watcher's position
    /// (etcd compacted them away): the watcher read a fresh snapshot, and
    /// `changes` are its differences from what the watcher had seen. With
    /// no earlier snapshot (a watch resumed from a position) `complete` is
    /// false and the changes hold only puts: the reader must re-sync.
    Resynced { compacted: Revision, changes: Vec<Event>, complete: bool },
}

impl Update {
    pub fn events(&self) -> &[Event] {
        match self {
            Update::Changes(events) | Update::Resynced { changes: events, .. } => events,
        }
    }
}

/// A running watch; it holds what it needs to never miss a change.
pub trait Watcher: Send {
    /// The next batch of changes, waiting at most `wait` for one (None: none
    /// came). An empty batch is never returned.
    fn next(&mut self, wait: Duration) -> Result<Option<Update>, StoreError>;

    /// Where a later watch can go on from (`Store::watch`'s `after`), for a
    /// store that can replay changes (etcd); None elsewhere.
    fn position(&self) -> Option<Revision>;

    /// For a watcher that reports differences from what it last read rather
    /// than each change (a re-read store): that state. A reader that keeps a
    /// copy must start its copy from exactly this, not from a read of its
    /// own: a key written after the watcher's read and undone after the
    /// reader's would differ in the copy and never be reported. None for a
    /// watcher that reports every change from its start on (etcd).
    fn seen(&self) -> Option<Scan<'_>> {
        None
    }
}

/// The versions of a key the store still has, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History {
    pub versions: Vec<Version>,
    /// Set when older versions existed but the store no longer has them
    /// (etcd compacted them): the revision before which they were lost.
    pub compacted: Option<Revision>,
}

/// What a watcher has seen below its prefix: key → (value, revision).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot(BTreeMap<String, (Vec<u8>, Revision)>);

impl Snapshot {
    /// Everything a scan holds.
    pub fn read(scan: impl Iterator<Item = Result<Entry, StoreError>>) -> Result<Snapshot, StoreError> {
        let mut map = BTreeMap::new();
        for entry in scan {
            let entry = entry?;
            map.insert(entry.key, (entry.value, entry.revision));
        }
        Ok(Snapshot(map))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&(Vec<u8>, Revision)> {
        self.0.get(key)
    }

    /// What it holds, as a scan would give it.
    pub fn entries(&self) -> Scan<'_> {
        Box::new(
            self.0.iter().map(|(key, (value, revision))| {
                Ok(Entry { key: key.clone(), value: value.clone(), revision: *revision })
            }),
        )
    }

    /// Keep up with changes the store reported.
    pub fn apply(&mut self, events: &[Event]) {
        for event in events {
            match &event.value {
                Some(value) => self.0.insert(event.key.clone(), (value.clone(), event.revision)),
                None => self.0.remove(&event.key),
            };
        }
    }

    /// Become `newer`, returning the changes that lead there, sorted by key:
    /// a put for each key added or rewritten (a new revision, even with the
    /// same value), a delete for each key gone.
    pub fn advance(&mut self, newer: Snapshot) -> Vec<Event> {
        let mut events = Vec::new();
        let mut old = std::mem::take(&mut self.0).into_iter().peekable();
        for (key, (value, revision)) in &newer.0 {
            while let Some((gone, (_, rev))) = old.next_if(|(k, _)| k < key) {
                events.push(Event { key: gone, value: None, revision: rev });
            }
            match old.next_if(|(k, _)| k == key) {
                Some((_, (_, rev))) if rev == *revision => {}
                _ => events.push(Event { key: key.clone(), value: Some(value.clone()), revision: *revision }),
            }
        }
        events.extend(old.map(|(gone, (_, rev))| Event { key: gone, value: None, revision: rev }));
        *self = newer;
        events
    }
}

/// A watcher for a store that can tell that something changed below the
/// prefix (a signal: a file's revision, a table's counter, a blocking query's
/// index, a ZooKeeper watch) but not exactly what: on each signal it re-reads
/// the prefix and reports the differences from what it had seen. Changes
/// made and undone between two reads are not reported; the state after them
/// always is.
pub struct Rescan<'a> {
    seen: Snapshot,
    /// Waits at most the given time for a sign of change; true when one came
    /// (a false alarm is fine: the re-read then finds nothing).
    signal: Box<dyn FnMut(Duration) -> Result<bool, StoreError> + Send + 'a>,
    /// Reads the prefix.
    read: Box<dyn FnMut() -> Result<Snapshot, StoreError> + Send + 'a>,
}

impl<'a> Rescan<'a> {
    /// Start from a first read of the prefix. `signal` must be armed before
    /// that read so that a change made during it is not lost.
    pub fn start(
        signal: impl FnMut(Duration) -> Result<bool, StoreError> + Send + 'a,
        mut read: impl FnMut() -> Result<Snapshot, StoreError> + Send + 'a,
    ) -> Result<Rescan<'a>, StoreError> {
        let seen = read()?;
        Ok(Rescan { seen, signal: Box::new(signal), read: Box::new(read) })
    }

    /// The watcher of a store that follows `prefix` by its `scan` on each
    /// `signal` (armed by the caller, before this first scan).
    pub fn scanning(
        store: &'a dyn Store,
        prefix: &Key,
        signal: impl FnMut(Duration) -> Result<bool, StoreError> + Send + 'a,
    ) -> Result<Box<dyn Watcher + 'a>, StoreError> {
        let prefix = prefix.clone();
        Ok(Box::new(Rescan::start(signal, move || Snapshot::read(store.scan(&prefix)?))?))
    }
}

/// A store that cannot replay past changes refuses to watch from a
/// position (`Store::watch`'s `after`), before any I/O.
pub fn refuse_position(store: &dyn Store, after: Option<Revision>) -> Result<(), StoreError> {
    match after {
        Some(rev) => Err(StoreError::Unsupported {
            store: store.describe().to_string(),
            what: format!("watching from a past revision ({rev}): this store keeps no log of changes to replay"),
        }),
        None => Ok(()),
    }
}

/// The signal of a store that can only be asked how it stands (a file's
/// revision, a table's counter): `probe` is asked now, which arms the
/// signal, then every `every` while the signal is waited on, until its
/// answer differs from the last one.
pub fn polled<'a, T: PartialEq + Send + 'a>(
    every: Duration,
    mut probe: impl FnMut() -> Result<T, StoreError> + Send + 'a,
) -> Result<impl FnMut(Duration) -> Result<bool, StoreError> + Send + 'a, StoreError> {
    let mut last = probe()?;
    Ok(move |wait: Duration| {
        let deadline = Instant::now() + wait;
        loop {
            let now = probe()?;
            if now != last {
                last = now;
                return Ok(true);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            std::thread::sleep(every.min(left));
        }
    })
}

impl Watcher for Rescan<'_> {
    fn next(&mut self, wait: Duration) -> Result<Option<Update>, StoreError> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if !(self.signal)(left)? {
                return Ok(None);
            }
            let changes = self.seen.advance((self.read)()?);
            if !changes.is_empty() {
                return Ok(Some(Update::Changes(changes)));
            }
            if left.is_zero() {
                return Ok(None);
            }
        }
    }

    fn position(&self) -> Option<Revision> {
        None
    }

    fn seen(&self) -> Option<Scan<'_>> {
        Some(self.seen.entries())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(items: &[(&str, &str, u64)]) -> Snapshot {
        Snapshot(items.iter().map(|(k, v, r)| (k.to_string(), (v.as_bytes().to_vec(), Revision(*r)))).collect())
    }

    #[test]
    fn advance_reports_puts_and_deletes_in_key_order() {
        let mut seen = snap(&[("/a", "1", 1), ("/b", "2", 2), ("/d", "4", 4)]);
        let events = seen.advance(snap(&[("/b", "2", 2), ("/c", "3", 5), ("/d", "4", 6)]));
        let got: Vec<(&str, Option<&[u8]>, u64)> =
            events.iter().map(|e| (e.key.as_str(), e.value.as_deref(), e.revision.0)).collect();
        assert_eq!(got, [("/a", None, 1), ("/c", Some(&b"3"[..]), 5), ("/d", Some(&b"4"[..]), 6)]);
        assert_eq!(seen, snap(&[("/b", "2", 2), ("/c", "3", 5), ("/d", "4", 6)]));
        assert!(seen.advance(snap(&[])).iter().all(|e| e.value.is_none()));
    }

    /// A write that lands while the first read runs is not lost: the
    /// signal was armed before it.
    #[test]
    fn a_write_during_the_first_read_is_reported() {
        use std::sync::atomic::{AtomicU64, Ordering};
        let counter = AtomicU64::new(0);
        let signal = polled(Duration::from_millis(1), || Ok(counter.load(Ordering::SeqCst))).unwrap();
        let mut reads = 0;
        let mut rescan = Rescan::start(signal, || {
            reads += 1;
            if reads == 1 {
                // The write lands after the store was read, before the read returns.
                counter.store(1, Ordering::SeqCst);
                return Ok(snap(&[]));
            }
            Ok(snap(&[("/a", "1", 1)]))
        })
        .unwrap();
        let update = rescan.next(Duration::from_secs(5)).unwrap().expect("the write should be reported");
        assert_eq!(update.events(), [Event { key: "/a".into(), value: Some(b"1".to_vec()), revision: Revision(1) }]);
        assert_eq!(rescan.next(Duration::ZERO).unwrap(), None);
    }

    /// A copy must start from `seen`, the watcher's own first read: a key
    /// written after that read and deleted later is never reported, so a
    /// copy started from a later read of its own would keep it.
    #[test]
    fn a_rescan_shows_what_it_has_seen() {
        let signal = polled(Duration::from_millis(1), || Ok(0)).unwrap();
        let rescan = Rescan::start(signal, || Ok(snap(&[("/a", "1", 1)]))).unwrap();
        let seen: Vec<Entry> = rescan.seen().expect("a re-read watcher has a state").map(Result::unwrap).collect();
        assert_eq!(seen, [Entry { key: "/a".into(), value: b"1".to_vec(), revision: Revision(1) }]);
    }

    #[test]
    fn apply_follows_events() {
        let mut seen = snap(&[("/a", "1", 1)]);
        seen.apply(&[
            Event { key: "/a".into(), value: None, revision: Revision(3) },
            Event { key: "/b".into(), value: Some(b"2".to_vec()), revision: Revision(4) },
        ]);
        assert_eq!(seen, snap(&[("/b", "2", 4)]));
    }
}
