//! The store contract, written once: each check is a function that takes
//! a fresh, empty store (and, for watching, a second handle on that same
//! store, opened on its own as another process would) and panics, by
//! `assert!`, where the store breaks the contract. Every backend's tests run
//! them (`tests/conformance/mod.rs`), and so does `ovs config conformance`
//! against any store, built-in or plugin, below a prefix of its own
//! (`rooted.rs`).

pub mod history;
mod rooted;
pub mod watch;

use history::*;
pub use rooted::Rooted;

use crate::document::Document;
use crate::plan::{self, ChunkFailed, Chunking, Fate, Plan};
use crate::store::{Entry, Key, Precondition, Revision, Store, StoreError, StoreExt, Write};

/// One check, by name.
#[derive(Clone, Copy)]
pub struct Check {
    pub name: &'static str,
    pub run: Run,
}

#[derive(Clone, Copy)]
pub enum Run {
    /// Takes a fresh, empty store.
    One(fn(&dyn Store)),
    /// Takes the store and a second handle on it (watching).
    Two(fn(&dyn Store, &dyn Store)),
}

macro_rules! checks {
    ($($name:ident),*; $($watch:ident),*) => {
        &[
            $(Check { name: stringify!($name), run: Run::One($name) },)*
            $(Check { name: stringify!($watch), run: Run::Two(watch::$watch) },)*
        ]
    };
}

/// Every check, listed once, in the order they run: those that take one
/// store, then those that take two (in `watch`). The `conformance` command
/// and every backend's tests (`tests/conformance/`) run them from here. The
/// checks are private to this module, so one left out of this list is dead
/// code, which CI's `clippy -D warnings` refuses.
pub const CHECKS: &[Check] = checks! {
    get_missing_is_not_found, put_then_get, overwrite_gets_a_new_revision,
    binary_and_empty_values_round_trip, unicode_keys, recursive_listing_is_sorted,
    children_mark_subtrees, children_with_awkward_names, prefixes_respect_segment_boundaries,
    a_subtree_includes_its_own_key, absent_precondition,
    revision_precondition, recreated_key_never_matches_old_revision,
    delete_missing_is_not_found, delete_with_revision, delete_tree_counts_and_keeps_neighbours,
    root_holds_no_value, listing_an_empty_prefix, many_keys_stream,
    commit_applies_mixed_writes_at_one_revision, commit_is_all_or_nothing_on_a_failed_condition,
    commit_delete_of_a_missing_key_is_not_found, commit_checks_guard_without_writing,
    commit_keeps_segment_boundaries, commit_over_the_limits_is_refused_whole,
    concurrent_committers_never_see_half_a_batch, scan_gives_values_and_revisions_in_order,
    scan_streams_many_keys, a_plan_never_loses_a_concurrent_write,
    a_chunked_apply_that_meets_a_conflict_is_rolled_back, history_lists_every_version_oldest_first,
    history_starts_at_the_last_creation;
    watch_reports_puts_and_deletes_below_its_prefix, watch_ignores_keys_outside_its_prefix,
    watch_sees_writes_by_another_handle, watch_next_is_none_when_nothing_changed,
    watch_reports_every_change_of_a_batch, watch_misses_nothing_under_many_quick_writes,
    watch_from_a_position_needs_resume, watch_follows_its_own_key
};

pub fn key(text: &str) -> Key {
    Key::parse(text).unwrap()
}

pub(crate) fn put(store: &dyn Store, k: &str, v: &[u8]) -> Revision {
    store.put(&key(k), v, Precondition::Any).unwrap()
}

fn keys(store: &dyn Store, prefix: &str) -> Vec<String> {
    store.keys(&key(prefix)).unwrap().collect::<Result<_, _>>().unwrap()
}

fn children(store: &dyn Store, prefix: &str) -> Vec<String> {
    store.children(&key(prefix)).unwrap().collect::<Result<_, _>>().unwrap()
}

fn value(store: &dyn Store, k: &str) -> Vec<u8> {
    store.get(&key(k)).unwrap().value
}

fn get_missing_is_not_found(s: &dyn Store) {
    assert!(matches!(s.get(&key("/nope")), Err(StoreError::NotFound { .. })));
}

fn put_then_get(s: &dyn Store) {
    let rev = put(s, "/a/b", b"hello");
    let got = s.get(&key("/a/b")).unwrap();
    assert_eq!(got.value, b"hello");
    assert_eq!(got.revision, rev);
}

fn overwrite_gets_a_new_revision(s: &dyn Store) {
    let first = put(s, "/k", b"1");
    let second = put(s, "/k", b"2");
    assert!(second > first, "{second:?} should be after {first:?}");
    assert_eq!(value(s, "/k"), b"2");
}

fn binary_and_empty_values_round_trip(s: &dyn Store) {
    let binary: Vec<u8> = (0..=255u8).chain([0xff, 0xfe, 0, b'\n']).collect();
    put(s, "/bin", &binary);
    put(s, "/empty", b"");
    put(s, "/newline", b"line\n");
    assert_eq!(value(s, "/bin"), binary);
    assert_eq!(value(s, "/empty"), b"");
    assert_eq!(value(s, "/newline"), b"line\n");
}

fn unicode_keys(s: &dyn Store) {
    put(s, "/ünïcødé/ключ", "значение".as_bytes());
    put(s, "/ünïcødé/✓ with space", b"x");
    assert_eq!(value(s, "/ünïcødé/ключ"), "значение".as_bytes());
    assert_eq!(keys(s, "/ünïcødé"), ["/ünïcødé/ключ", "/ünïcødé/✓ with space"]);
}

fn recursive_listing_is_sorted(s: &dyn Store) {
    for k in ["/r/z", "/r/a/2", "/r/a/1", "/r/a-b", "/r/m"] {
        put(s, k, b"v");
    }
    assert_eq!(keys(s, "/r"), ["/r/a-b", "/r/a/1", "/r/a/2", "/r/m", "/r/z"]);
    assert_eq!(keys(s, "/"), ["/r/a-b", "/r/a/1", "/r/a/2", "/r/m", "/r/z"]);
}

fn children_mark_subtrees(s: &dyn Store) {
    for k in ["/c/leaf", "/c/dir/x", "/c/dir/y/z", "/c/both", "/c/both/below"] {
        put(s, k, b"v");
    }
    assert_eq!(children(s, "/c"), ["both", "both/", "dir/", "leaf"]);
    assert_eq!(children(s, "/"), ["c/"]);
    assert_eq!(children(s, "/c/dir"), ["x", "y/"]);
}

fn children_with_awkward_names(s: &dyn Store) {
    let keys = [
        "/w/a/x",
        "/w/a/y/z",
        "/w/a-b/x",
        "/w/a.b",
        "/w/a0/x",
        "/w/a00",
        "/w/b",
        "/w/é/x",
        "/w/ÿ/y",
        "/w/\u{FFEE}/z",
        "/w/~",
        "/w/ab/c",
        "/w/abc",
        "/w/abc/d",
        "/w/z/1",
        "/w/z/2",
        "/w/zz",
    ];
    for k in keys {
        put(s, k, b"v");
    }
    let mut want: Vec<String> = keys
        .iter()
        .map(|k| match k["/w/".len()..].split_once('/') {
            Some((name, _)) => format!("{name}/"),
            None => k["/w/".len()..].to_string(),
        })
        .collect();
    want.sort();
    want.dedup();
    assert_eq!(children(s, "/w"), want);
}

fn prefixes_respect_segment_boundaries(s: &dyn Store) {
    for k in ["/a/b", "/a/b/c", "/a/bc", "/a/bc/d", "/a/b-c"] {
        put(s, k, b"v");
    }
    assert_eq!(keys(s, "/a/b"), ["/a/b", "/a/b/c"]);
    assert_eq!(children(s, "/a/b"), ["c"]);
    assert_eq!(s.delete_tree(&key("/a/b")).unwrap(), 2);
    assert_eq!(keys(s, "/a"), ["/a/b-c", "/a/bc", "/a/bc/d"]);
}

fn scanned(s: &dyn Store, prefix: &str) -> Vec<Entry> {
    s.scan(&key(prefix)).unwrap().collect::<Result<_, _>>().unwrap()
}

fn entries(s: &dyn Store, keys: &[&str]) -> Vec<Entry> {
    keys.iter().map(|k| Entry { key: k.to_string(), value: value(s, k), revision: rev(s, k) }).collect()
}

/// The subtree of a prefix is its own key plus every key below `P/`:
/// `keys` and `scan` hold the prefix's key first, and never a neighbour
/// whose name only starts with the prefix's (`P.x`, `P-x`, `Px`, `P0`);
/// `children` lists only what is below it.
fn a_subtree_includes_its_own_key(s: &dyn Store) {
    for (k, v) in [
        ("/t/p", "self"),
        ("/t/p/a", "1"),
        ("/t/p/b/c", "2"),
        ("/t/p.x", "dot"),
        ("/t/p-x/y", "dash"),
        ("/t/px", "x"),
        ("/t/p0", "zero"),
        ("/t/leaf", "alone"),
    ] {
        put(s, k, v.as_bytes());
    }
    assert_eq!(keys(s, "/t/p"), ["/t/p", "/t/p/a", "/t/p/b/c"]);
    assert_eq!(scanned(s, "/t/p"), entries(s, &["/t/p", "/t/p/a", "/t/p/b/c"]));
    assert_eq!(children(s, "/t/p"), ["a", "b/"]);
    // A key with nothing below it is its own subtree.
    assert_eq!(keys(s, "/t/leaf"), ["/t/leaf"]);
    assert_eq!(scanned(s, "/t/leaf"), entries(s, &["/t/leaf"]));
    assert!(children(s, "/t/leaf").is_empty());
    // With no key at the prefix, only what is below it.
    s.delete(&key("/t/p"), Precondition::Any).unwrap();
    assert_eq!(keys(s, "/t/p"), ["/t/p/a", "/t/p/b/c"]);
    assert_eq!(scanned(s, "/t/p"), entries(s, &["/t/p/a", "/t/p/b/c"]));
    // The root is no key: its subtree is every key.
    assert_eq!(keys(s, "/").len(), 7);
    assert_eq!(s.delete_tree(&key("/t/p")).unwrap(), 2);
    assert_eq!(keys(s, "/t"), ["/t/leaf", "/t/p-x/y", "/t/p.x", "/t/p0", "/t/px"]);
}

fn absent_precondition(s: &dyn Store) {
    s.put(&key("/once"), b"1", Precondition::Absent).unwrap();
    let err = s.put(&key("/once"), b"2", Precondition::Absent).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert_eq!(value(s, "/once"), b"1");
}

fn revision_precondition(s: &dyn Store) {
    let rev = put(s, "/rev", b"1");
    let next = s.put(&key("/rev"), b"2", Precondition::Revision(rev)).unwrap();
    let err = s.put(&key("/rev"), b"3", Precondition::Revision(rev)).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert_eq!(s.get(&key("/rev")).unwrap(), crate::store::Version { value: b"2".to_vec(), revision: next });
    let err = s.put(&key("/missing"), b"x", Precondition::Revision(rev)).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert!(matches!(s.get(&key("/missing")), Err(StoreError::NotFound { .. })));
}

fn recreated_key_never_matches_old_revision(s: &dyn Store) {
    let old = put(s, "/re", b"1");
    s.delete(&key("/re"), Precondition::Any).unwrap();
    put(s, "/re", b"2");
    let err = s.put(&key("/re"), b"3", Precondition::Revision(old)).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert_eq!(value(s, "/re"), b"2");
}

fn delete_missing_is_not_found(s: &dyn Store) {
    assert!(matches!(s.delete(&key("/gone"), Precondition::Any), Err(StoreError::NotFound { .. })));
}

fn delete_with_revision(s: &dyn Store) {
    let old = put(s, "/d", b"1");
    put(s, "/d", b"2");
    let err = s.delete(&key("/d"), Precondition::Revision(old)).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    let current = s.get(&key("/d")).unwrap().revision;
    s.delete(&key("/d"), Precondition::Revision(current)).unwrap();
    assert!(matches!(s.get(&key("/d")), Err(StoreError::NotFound { .. })));
}

fn delete_tree_counts_and_keeps_neighbours(s: &dyn Store) {
    for k in ["/foo", "/foo/a", "/foo/b/c", "/foobar", "/fo"] {
        put(s, k, b"v");
    }
    assert_eq!(s.delete_tree(&key("/foo")).unwrap(), 3);
    assert_eq!(keys(s, "/"), ["/fo", "/foobar"]);
    assert_eq!(s.delete_tree(&key("/foo")).unwrap(), 0);
}

fn root_holds_no_value(s: &dyn Store) {
    assert!(matches!(s.put(&Key::root(), b"x", Precondition::Any), Err(StoreError::InvalidKey(_))));
    assert!(matches!(s.get(&Key::root()), Err(StoreError::InvalidKey(_))));
}

fn listing_an_empty_prefix(s: &dyn Store) {
    assert!(keys(s, "/").is_empty());
    assert!(children(s, "/nothing/here").is_empty());
    put(s, "/x", b"v");
    assert!(children(s, "/x").is_empty(), "a key is not its own child");
    assert_eq!(keys(s, "/x"), ["/x"], "a key is its own subtree");
}

fn many_keys_stream(s: &dyn Store) {
    for i in 0..300 {
        put(s, &format!("/many/{:03}/k", i % 30 * 10 + i / 30), b"v");
    }
    let all = keys(s, "/many");
    assert_eq!(all.len(), 300);
    assert!(all.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(children(s, "/many").len(), 300);
    assert_eq!(s.delete_tree(&key("/many")).unwrap(), 300);
}

fn rev(s: &dyn Store, k: &str) -> Revision {
    s.get(&key(k)).unwrap().revision
}

fn all(s: &dyn Store, prefix: &str) -> Vec<(String, Vec<u8>)> {
    keys(s, prefix).into_iter().map(|k| (k.clone(), value(s, &k))).collect()
}

fn commit_applies_mixed_writes_at_one_revision(s: &dyn Store) {
    for k in ["/m/old", "/m/gone", "/m/tree/a", "/m/tree/b/c", "/m/treex"] {
        put(s, k, b"v");
    }
    let old = rev(s, "/m/old");
    let done = s
        .commit(&[
            Write::put(&key("/m/new"), b"n", Precondition::Absent),
            Write::put(&key("/m/old"), b"o2", Precondition::Revision(old)),
            Write::delete(&key("/m/gone"), Precondition::Any),
            Write::delete_tree(&key("/m/tree")),
        ])
        .unwrap();
    assert_eq!(done.deleted, 3);
    assert_eq!(
        all(s, "/m"),
        [("/m/new".into(), b"n".to_vec()), ("/m/old".into(), b"o2".to_vec()), ("/m/treex".into(), b"v".to_vec())]
    );
    assert_eq!(rev(s, "/m/new"), done.revision);
    assert_eq!(rev(s, "/m/old"), done.revision);
    assert!(done.revision > old);
}

fn commit_is_all_or_nothing_on_a_failed_condition(s: &dyn Store) {
    put(s, "/x/a", b"1");
    put(s, "/x/b", b"2");
    put(s, "/x/c", b"3");
    let before: Vec<Revision> = ["/x/a", "/x/b", "/x/c"].iter().map(|k| rev(s, k)).collect();
    let stale = Revision(before[1].0.saturating_sub(1));
    let err = s
        .commit(&[
            Write::put(&key("/x/a"), b"changed", Precondition::Any),
            Write::put(&key("/x/new"), b"new", Precondition::Absent),
            Write::put(&key("/x/b"), b"changed", Precondition::Revision(stale)),
            Write::delete(&key("/x/c"), Precondition::Any),
            Write::delete_tree(&key("/x/d")),
        ])
        .unwrap_err();
    match &err {
        StoreError::Conflict { key, .. } => assert_eq!(key.as_str(), "/x/b", "{err}"),
        other => panic!("expected a conflict on /x/b, got {other}"),
    }
    assert_eq!(
        all(s, "/x"),
        [("/x/a".into(), b"1".to_vec()), ("/x/b".into(), b"2".to_vec()), ("/x/c".into(), b"3".to_vec())]
    );
    let after: Vec<Revision> = ["/x/a", "/x/b", "/x/c"].iter().map(|k| rev(s, k)).collect();
    assert_eq!(before, after);
    // An absent-only condition fails the same way.
    let err = s.commit(&[
        Write::put(&key("/x/z"), b"z", Precondition::Any),
        Write::put(&key("/x/a"), b"9", Precondition::Absent),
    ]);
    assert!(matches!(err, Err(StoreError::Conflict { ref key, .. }) if key.as_str() == "/x/a"), "{err:?}");
    assert!(matches!(s.get(&key("/x/z")), Err(StoreError::NotFound { .. })));
}

fn commit_delete_of_a_missing_key_is_not_found(s: &dyn Store) {
    put(s, "/n/here", b"1");
    let err = s.commit(&[
        Write::put(&key("/n/here"), b"2", Precondition::Any),
        Write::delete(&key("/n/missing"), Precondition::Any),
    ]);
    assert!(matches!(err, Err(StoreError::NotFound { ref key }) if key.as_str() == "/n/missing"), "{err:?}");
    assert_eq!(value(s, "/n/here"), b"1");
}

fn commit_checks_guard_without_writing(s: &dyn Store) {
    put(s, "/g/guard", b"g");
    let guard = rev(s, "/g/guard");
    s.commit(&[
        Write::check(&key("/g/guard"), Precondition::Revision(guard)),
        Write::put(&key("/g/out"), b"1", Precondition::Any),
    ])
    .unwrap();
    assert_eq!(rev(s, "/g/guard"), guard, "a check writes nothing");
    assert_eq!(value(s, "/g/out"), b"1");
    s.commit(&[
        Write::check(&key("/g/none"), Precondition::Absent),
        Write::put(&key("/g/out"), b"2", Precondition::Any),
    ])
    .unwrap();
    assert!(matches!(s.get(&key("/g/none")), Err(StoreError::NotFound { .. })), "an absence check creates nothing");
    put(s, "/g/guard", b"moved");
    for cond in [Precondition::Revision(guard), Precondition::Absent] {
        let err =
            s.commit(&[Write::check(&key("/g/guard"), cond), Write::put(&key("/g/out"), b"3", Precondition::Any)]);
        assert!(matches!(err, Err(StoreError::Conflict { ref key, .. }) if key.as_str() == "/g/guard"), "{err:?}");
    }
    let err = s.commit(&[
        Write::check(&key("/g/none"), Precondition::Revision(guard)),
        Write::put(&key("/g/out"), b"4", Precondition::Any),
    ]);
    assert!(matches!(err, Err(StoreError::Conflict { .. })), "{err:?}");
    assert_eq!(value(s, "/g/out"), b"2");
}

fn commit_keeps_segment_boundaries(s: &dyn Store) {
    for k in ["/foo", "/foo/a", "/foo/b/c", "/foobar", "/foo-x/y"] {
        put(s, k, b"v");
    }
    let done =
        s.commit(&[Write::delete_tree(&key("/foo")), Write::put(&key("/foobar"), b"kept", Precondition::Any)]).unwrap();
    assert_eq!(done.deleted, 3);
    assert_eq!(keys(s, "/"), ["/foo-x/y", "/foobar"]);
    assert_eq!(value(s, "/foobar"), b"kept");
}

fn commit_over_the_limits_is_refused_whole(s: &dyn Store) {
    let caps = s.capabilities();
    let puts = |n: usize, size: usize| -> Vec<Write> {
        (0..n).map(|i| Write::put(&key(&format!("/big/{i:05}")), &vec![b'v'; size], Precondition::Any)).collect()
    };
    if let Some(ops) = caps.max_batch_ops {
        let err = s.commit(&puts(ops + 1, 1)).unwrap_err();
        assert!(matches!(err, StoreError::BatchTooLarge { .. }), "{err}");
        s.commit(&puts(ops, 1)).unwrap();
        s.delete_tree(&key("/big")).unwrap();
    }
    if let Some(bytes) = caps.max_batch_bytes {
        let size = (caps.max_value_bytes as usize).min(bytes as usize / 4);
        let err = s.commit(&puts(5, size)).unwrap_err();
        assert!(matches!(err, StoreError::BatchTooLarge { .. }), "{err}");
    }
    if caps.max_batch_ops.is_none() && caps.max_batch_bytes.is_none() {
        assert_eq!(s.commit(&puts(2_000, 10)).unwrap().deleted, 0);
        assert_eq!(keys(s, "/big").len(), 2_000);
        s.delete_tree(&key("/big")).unwrap();
    }
    assert!(keys(s, "/big").is_empty(), "a refused batch wrote something");
}

/// Writers move one unit from /c/a to /c/b in a guarded commit, retrying on
/// conflict; no reader ever sees a sum that is off, and none is lost.
fn concurrent_committers_never_see_half_a_batch(s: &dyn Store) {
    const WRITERS: usize = 4;
    const MOVES: u64 = 10;
    let total = WRITERS as u64 * MOVES;
    put(s, "/c/a", total.to_string().as_bytes());
    put(s, "/c/b", b"0");
    let number = |e: &Entry| -> u64 { std::str::from_utf8(&e.value).unwrap().parse().unwrap() };
    std::thread::scope(|scope| {
        for _ in 0..WRITERS {
            scope.spawn(|| {
                for _ in 0..MOVES {
                    loop {
                        let entries: Vec<Entry> = s.scan(&key("/c")).unwrap().collect::<Result<_, _>>().unwrap();
                        let (a, b) = (&entries[0], &entries[1]);
                        let moved = s.commit(&[
                            Write::put(
                                &key("/c/a"),
                                (number(a) - 1).to_string().as_bytes(),
                                Precondition::Revision(a.revision),
                            ),
                            Write::put(
                                &key("/c/b"),
                                (number(b) + 1).to_string().as_bytes(),
                                Precondition::Revision(b.revision),
                            ),
                        ]);
                        match moved {
                            Ok(_) => break,
                            Err(StoreError::Conflict { .. }) => continue,
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            });
        }
        scope.spawn(|| {
            for _ in 0..20 {
                let entries: Vec<Entry> = s.scan(&key("/c")).unwrap().collect::<Result<_, _>>().unwrap();
                if s.capabilities().snapshot_scan {
                    assert_eq!(number(&entries[0]) + number(&entries[1]), total, "a scan saw half a commit");
                }
            }
        });
    });
    assert_eq!(value(s, "/c/a"), b"0");
    assert_eq!(value(s, "/c/b"), total.to_string().as_bytes());
}

fn scan_gives_values_and_revisions_in_order(s: &dyn Store) {
    let binary: Vec<u8> = vec![0xff, 0, 0xfe];
    for (k, v) in
        [("/s/b", &b"2"[..]), ("/s/a/x", b"1"), ("/s/empty", b""), ("/s/bin", &binary), ("/sx", b"no"), ("/s", b"self")]
    {
        put(s, k, v);
    }
    let scanned: Vec<Entry> = s.scan(&key("/s")).unwrap().collect::<Result<_, _>>().unwrap();
    let want: Vec<Entry> = ["/s", "/s/a/x", "/s/b", "/s/bin", "/s/empty"]
        .iter()
        .map(|k| Entry { key: k.to_string(), value: value(s, k), revision: rev(s, k) })
        .collect();
    assert_eq!(scanned, want);
    assert!(s.scan(&key("/nothing")).unwrap().next().is_none());
    assert_eq!(s.scan(&Key::root()).unwrap().count(), 6);
}

fn scan_streams_many_keys(s: &dyn Store) {
    let batch: Vec<Write> = (0..500)
        .map(|i| Write::put(&key(&format!("/many/{:03}/k", i % 50 * 10 + i / 50)), b"v", Precondition::Any))
        .collect();
    for chunk in batch.chunks(100) {
        s.commit(chunk).unwrap();
    }
    let scanned: Vec<Entry> = s.scan(&key("/many")).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(scanned.len(), 500);
    assert!(scanned.windows(2).all(|w| w[0].key < w[1].key));
}

fn document(prefix: &str, entries: &[(&str, &str)]) -> Document {
    let entries = entries.iter().map(|(k, v)| (key(k), v.as_bytes().to_vec())).collect();
    Document { prefix: key(prefix), entries }
}

/// apply and edit -r plan against one scan and commit guarded by it: a
/// write made in between fails the whole commit, and survives.
fn a_plan_never_loses_a_concurrent_write(s: &dyn Store) {
    for (k, v) in [("/p/a", "1"), ("/p/b", "2"), ("/p/c", "3")] {
        put(s, k, v.as_bytes());
    }
    let doc = document("/p", &[("/p/a", "A"), ("/p/b", "B"), ("/p/d", "D")]);
    let plan = Plan::compute(s.scan(&key("/p")).unwrap(), &doc, true).unwrap();
    assert_eq!(plan.changes.len(), 4, "{plan:?}");
    put(s, "/p/b", b"theirs");
    let err = plan::apply(s, &plan.changes, Chunking::Off, &|_, _| {}).unwrap_err();
    assert!(
        matches!(err.downcast_ref::<StoreError>(), Some(StoreError::Conflict { key, .. }) if key.as_str() == "/p/b"),
        "{err:#}"
    );
    assert_eq!(
        all(s, "/p"),
        [("/p/a".into(), b"1".to_vec()), ("/p/b".into(), b"theirs".to_vec()), ("/p/c".into(), b"3".to_vec())]
    );
    // Planned again, it goes through.
    let plan = Plan::compute(s.scan(&key("/p")).unwrap(), &doc, true).unwrap();
    plan::apply(s, &plan.changes, Chunking::Off, &|_, _| {}).unwrap();
    assert_eq!(
        all(s, "/p"),
        [("/p/a".into(), b"A".to_vec()), ("/p/b".into(), b"B".to_vec()), ("/p/d".into(), b"D".to_vec())]
    );
}

/// Chunks of three: the third meets a write made after planning, and the
/// two applied before it are undone to exactly the values they had.
fn a_chunked_apply_that_meets_a_conflict_is_rolled_back(s: &dyn Store) {
    let old: Vec<(String, String)> = (0..10).map(|i| (format!("/r/k{i:02}"), format!("old {i}"))).collect();
    for (k, v) in &old {
        put(s, k, v.as_bytes());
    }
    let new: Vec<(String, String)> = (0..12).map(|i| (format!("/r/k{i:02}"), format!("new {i}"))).collect();
    let pairs: Vec<(&str, &str)> = new.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let plan = Plan::compute(s.scan(&key("/r")).unwrap(), &document("/r", &pairs), false).unwrap();
    put(s, "/r/k07", b"theirs");
    let undo_dir = tempfile::tempdir().unwrap();
    let save = || crate::undo::save_in(undo_dir.path(), s, &key("/r"));
    let err = plan::apply(s, &plan.changes, Chunking::AtMost(3, &save), &|_, _| {}).unwrap_err();
    let rolled = err.downcast_ref::<ChunkFailed>().unwrap_or_else(|| panic!("{err:#}"));
    assert!(matches!(rolled.cause, StoreError::Conflict { .. }), "{err:#}");
    assert_eq!((rolled.applied, rolled.fate), (2, Fate::Refused));
    assert!(rolled.rollback.changed_again.is_empty() && rolled.rollback.stopped.is_none(), "{err:#}");
    assert!(rolled.undo.file.exists(), "the undo document is kept: {err:#}");
    let mut want: Vec<(String, Vec<u8>)> = old.iter().map(|(k, v)| (k.clone(), v.as_bytes().to_vec())).collect();
    want[7].1 = b"theirs".to_vec();
    assert_eq!(all(s, "/r"), want);
}
