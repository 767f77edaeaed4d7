//! Watching, written once: every store whose capabilities say `watch`
//! reports each change below the prefix, with its value and revision, and
//! nothing else; one that does not refuses. Each function gets the store and
//! a second handle on it, opened on its own as another process would.
//!
//! A watcher may fold changes made between two of its reads (a put then a
//! delete can come as the delete alone), so each test waits for one change
//! before it makes the next, or checks where the changes lead.

use std::time::{Duration, Instant};

use crate::store::watch::Snapshot;
use crate::store::{Event, Precondition, Revision, Store, StoreError, StoreExt, Watcher, Write};

use super::key;

/// Long enough for any backend to notice a change; only a failing test waits it out.
const PATIENCE: Duration = Duration::from_secs(5);

/// A watcher of `prefix`, or None after checking that a store without the
/// capability refuses.
fn watcher<'s>(s: &'s dyn Store, prefix: &str) -> Option<Box<dyn Watcher + 's>> {
    if !s.capabilities().watch {
        let refused = s.watch(&key(prefix), None).err();
        assert!(matches!(refused, Some(StoreError::Unsupported { .. })), "{refused:?}");
        return None;
    }
    Some(s.watch(&key(prefix), None).unwrap())
}

/// The next `n` events, waiting at most `PATIENCE` in all; fails when
/// fewer came.
fn events(w: &mut dyn Watcher, n: usize) -> Vec<Event> {
    let deadline = Instant::now() + PATIENCE;
    let mut got = Vec::new();
    while got.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match w.next(left).unwrap() {
            Some(update) => got.extend_from_slice(update.events()),
            None => panic!("waited {PATIENCE:?} for {n} events, got {got:?}"),
        }
    }
    got
}

fn put_event(k: &str, v: &[u8], revision: Revision) -> Event {
    Event { key: k.to_string(), value: Some(v.to_vec()), revision }
}

/// A delete of `k`, which was last at `last`: the event's revision is that
/// one, or the delete's own where the store has one.
fn assert_delete(event: &Event, k: &str, last: Revision) {
    assert_eq!((event.key.as_str(), event.value.as_deref()), (k, None), "{event:?}");
    assert!(event.revision >= last, "{event:?} is before the key's last revision {last}");
}

pub fn watch_reports_puts_and_deletes_below_its_prefix(s: &dyn Store, _other: &dyn Store) {
    let old = s.put(&key("/w/old"), b"1", Precondition::Any).unwrap();
    let Some(mut w) = watcher(s, "/w") else { return };
    let new = s.put(&key("/w/new/deep"), b"created", Precondition::Any).unwrap();
    assert_eq!(events(w.as_mut(), 1), [put_event("/w/new/deep", b"created", new)]);
    let rewritten = s.put(&key("/w/old"), &[0xff, 0], Precondition::Any).unwrap();
    assert_eq!(events(w.as_mut(), 1), [put_event("/w/old", &[0xff, 0], rewritten)]);
    s.delete(&key("/w/old"), Precondition::Any).unwrap();
    let deleted = events(w.as_mut(), 1);
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    assert_delete(&deleted[0], "/w/old", rewritten.max(old));
    // The same value written again is a change: a new revision.
    let again = s.put(&key("/w/new/deep"), b"created", Precondition::Any).unwrap();
    assert_eq!(events(w.as_mut(), 1), [put_event("/w/new/deep", b"created", again)]);
}

/// Writes outside the prefix, and to `/ab`, `/a-b` and `/a.b` for the
/// prefix `/a`, come before a write below it: that one alone is reported.
pub fn watch_ignores_keys_outside_its_prefix(s: &dyn Store, _other: &dyn Store) {
    let Some(mut w) = watcher(s, "/a") else { return };
    for k in ["/ab", "/ab/c", "/b/a", "/a-b", "/a.b", "/a0/x"] {
        s.put(&key(k), b"outside", Precondition::Any).unwrap();
    }
    s.delete(&key("/ab"), Precondition::Any).unwrap();
    let inside = s.put(&key("/a/in"), b"inside", Precondition::Any).unwrap();
    assert_eq!(events(w.as_mut(), 1), [put_event("/a/in", b"inside", inside)]);
    s.delete_tree(&key("/b")).unwrap();
    assert_eq!(w.next(Duration::from_millis(300)).unwrap(), None);
}

/// What a second, independently opened handle (another process) writes is
/// seen too.
pub fn watch_sees_writes_by_another_handle(s: &dyn Store, other: &dyn Store) {
    let Some(mut w) = watcher(s, "/h") else { return };
    let rev = other.put(&key("/h/k"), b"from elsewhere", Precondition::Any).unwrap();
    assert_eq!(events(w.as_mut(), 1), [put_event("/h/k", b"from elsewhere", rev)]);
    other.delete(&key("/h/k"), Precondition::Any).unwrap();
    let deleted = events(w.as_mut(), 1);
    assert_delete(&deleted[0], "/h/k", rev);
}

/// With nothing changing, `next` waits out its time and answers None;
/// a wait of zero only looks.
pub fn watch_next_is_none_when_nothing_changed(s: &dyn Store, _other: &dyn Store) {
    s.put(&key("/q/k"), b"v", Precondition::Any).unwrap();
    let Some(mut w) = watcher(s, "/q") else { return };
    let wait = Duration::from_millis(300);
    let started = Instant::now();
    assert_eq!(w.next(wait).unwrap(), None);
    assert!(started.elapsed() >= wait, "answered None after {:?}, before its wait", started.elapsed());
    assert_eq!(w.next(Duration::ZERO).unwrap(), None);
}

/// Every change of one commit arrives: puts at the commit's revision,
/// deletes, and everything a delete-tree removed.
pub fn watch_reports_every_change_of_a_batch(s: &dyn Store, _other: &dyn Store) {
    for k in ["/b/gone", "/b/tree/1", "/b/tree/2/x", "/b/treex", "/b/kept"] {
        s.put(&key(k), b"v", Precondition::Any).unwrap();
    }
    let Some(mut w) = watcher(s, "/b") else { return };
    let done = s
        .commit(&[
            Write::put(&key("/b/n1"), b"one", Precondition::Absent),
            Write::put(&key("/b/kept"), b"two", Precondition::Any),
            Write::delete(&key("/b/gone"), Precondition::Any),
            Write::delete_tree(&key("/b/tree")),
        ])
        .unwrap();
    let mut got = events(w.as_mut(), 5);
    got.sort_by(|a, b| a.key.cmp(&b.key));
    let keys: Vec<(&str, Option<&[u8]>)> = got.iter().map(|e| (e.key.as_str(), e.value.as_deref())).collect();
    assert_eq!(
        keys,
        [
            ("/b/gone", None),
            ("/b/kept", Some(&b"two"[..])),
            ("/b/n1", Some(&b"one"[..])),
            ("/b/tree/1", None),
            ("/b/tree/2/x", None)
        ]
    );
    for event in got.iter().filter(|e| e.value.is_some()) {
        assert_eq!(event.revision, done.revision, "{event:?}");
    }
    assert_eq!(w.next(Duration::from_millis(200)).unwrap(), None, "/b/treex is not below /b/tree");
}

/// Many quick writes from another handle, puts, rewrites and deletes: what
/// the watcher reports leads from the state before them to the state after.
pub fn watch_misses_nothing_under_many_quick_writes(s: &dyn Store, other: &dyn Store) {
    for i in 0..10 {
        s.put(&key(&format!("/m/{i}")), b"first", Precondition::Any).unwrap();
    }
    let mut seen = Snapshot::read(s.scan(&key("/m")).unwrap()).unwrap();
    let Some(mut w) = watcher(s, "/m") else { return };
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for round in 0..60 {
                let k = key(&format!("/m/{}", round % 13));
                if round % 4 == 3 {
                    match other.delete(&k, Precondition::Any) {
                        Ok(()) | Err(StoreError::NotFound { .. }) => {}
                        Err(e) => panic!("{e}"),
                    }
                } else {
                    other.put(&k, format!("round {round}").as_bytes(), Precondition::Any).unwrap();
                }
            }
            other.put(&key("/outside"), b"x", Precondition::Any).unwrap();
        });
        // Follow while they are written.
        while let Some(update) = w.next(Duration::from_millis(500)).unwrap() {
            seen.apply(update.events());
        }
    });
    while let Some(update) = w.next(Duration::from_millis(500)).unwrap() {
        seen.apply(update.events());
    }
    assert_eq!(seen, Snapshot::read(s.scan(&key("/m")).unwrap()).unwrap());
}

/// A store that cannot replay changes refuses to watch from a position; one
/// that can tells which history a position is of (so that a rebuilt store
/// is not resumed), at a revision not below one it gave.
pub fn watch_from_a_position_needs_resume(s: &dyn Store, _other: &dyn Store) {
    let rev = s.put(&key("/p/k"), b"v", Precondition::Any).unwrap();
    let caps = s.capabilities();
    let from = s.watch(&key("/p"), Some(rev));
    if caps.watch && caps.resume_watch {
        assert!(from.is_ok(), "{:?}", from.err());
        let identity = s.identity().unwrap().expect("a store that resumes watches tells its history");
        assert!(identity.revision >= rev && !identity.id.is_empty(), "{identity:?} after revision {rev}");
    } else {
        assert!(matches!(from, Err(StoreError::Unsupported { .. })), "{:?}", from.err());
    }
}

/// `watch KEY` follows that key: its puts and its delete are reported (and
/// keys below it), never a neighbour whose name only starts with it.
pub fn watch_follows_its_own_key(s: &dyn Store, _other: &dyn Store) {
    let Some(mut w) = watcher(s, "/k") else { return };
    for k in ["/k.x", "/k-y", "/kz", "/k0/a"] {
        s.put(&key(k), b"outside", Precondition::Any).unwrap();
    }
    let first = s.put(&key("/k"), b"one", Precondition::Any).unwrap();
    assert_eq!(events(w.as_mut(), 1), [put_event("/k", b"one", first)]);
    let second = s.put(&key("/k"), b"two", Precondition::Any).unwrap();
    assert_eq!(events(w.as_mut(), 1), [put_event("/k", b"two", second)]);
    let below = s.put(&key("/k/below"), b"b", Precondition::Any).unwrap();
    assert_eq!(events(w.as_mut(), 1), [put_event("/k/below", b"b", below)]);
    s.delete(&key("/k"), Precondition::Any).unwrap();
    let deleted = events(w.as_mut(), 1);
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    assert_delete(&deleted[0], "/k", second);
    s.put(&key("/k.x"), b"again", Precondition::Any).unwrap();
    assert_eq!(w.next(Duration::from_millis(300)).unwrap(), None);
}
