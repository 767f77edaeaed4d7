//! What is etcd's own in watching and history: a transaction's events as
//! one batch, keys below the URL's root, resuming from a position, and what
//! a compaction leaves (the shared watch suite covers the rest).

mod util;

use std::process::Command;
use std::time::Duration;

use ovs_config::store::{
    self, Event, Key, Options, Precondition, Revision, Store, StoreExt, StoreUrl, Update, Version, Write,
};
use util::etcd::EtcdCluster;

const WAIT: Duration = Duration::from_secs(10);

fn key(text: &str) -> Key {
    Key::parse(text).unwrap()
}

fn open(url: &str) -> Box<dyn Store> {
    let options = Options { timeout: Duration::from_secs(5), ..Options::default() };
    store::open(&StoreUrl::parse(url).unwrap(), &options).unwrap()
}

/// A store below a fresh root on the shared server.
fn shared_store() -> Option<Box<dyn Store>> {
    Some(open(&format!("{}{}", util::etcd::shared()?.url(), util::unique_root())))
}

fn put(s: &dyn Store, k: &str, v: &str) -> Revision {
    s.put(&key(k), v.as_bytes(), Precondition::Any).unwrap()
}

fn event(k: &str, value: Option<&str>, revision: Revision) -> Event {
    Event { key: k.to_string(), value: value.map(|v| v.as_bytes().to_vec()), revision }
}

/// Compact the cluster's log up to `revision`, asking `endpoint`.
fn compact(endpoint: &str, revision: Revision) {
    let out = Command::new("etcdctl")
        .env("ETCDCTL_API", "3")
        .args(["--endpoints", endpoint, "compact", &revision.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn a_transaction_arrives_as_one_batch_with_store_keys() {
    let Some(store) = shared_store() else { return };
    let s = store.as_ref();
    put(s, "/w/old", "o");
    let mut watcher = s.watch(&key("/w"), None).unwrap();
    let done = s
        .commit(&[
            Write::put(&key("/w/a"), b"1", Precondition::Any),
            Write::put(&key("/w/b/c"), b"2", Precondition::Absent),
            Write::delete(&key("/w/old"), Precondition::Any),
            Write::put(&key("/wx"), b"outside", Precondition::Any),
        ])
        .unwrap();
    let rev = done.revision;
    let want = [event("/w/a", Some("1"), rev), event("/w/b/c", Some("2"), rev), event("/w/old", None, rev)];
    assert_eq!(watcher.next(WAIT).unwrap(), Some(Update::Changes(want.to_vec())));
    assert_eq!(watcher.position(), Some(rev));
    assert_eq!(watcher.next(Duration::ZERO).unwrap(), None, "nothing else happened below /w");
}

#[test]
fn a_watch_resumes_after_its_position() {
    let Some(store) = shared_store() else { return };
    let s = store.as_ref();
    let mut first = s.watch(&key("/w"), None).unwrap();
    let seen = put(s, "/w/a", "1");
    assert_eq!(first.next(WAIT).unwrap(), Some(Update::Changes(vec![event("/w/a", Some("1"), seen)])));
    let position = first.position().unwrap();
    drop(first);
    let (r2, r3) = (put(s, "/w/a", "2"), put(s, "/w/b", "3"));
    s.delete(&key("/w/a"), Precondition::Any).unwrap();
    let r4 = s.get(&key("/w/b")).unwrap().revision.0 + 1; // the delete's revision
    let mut resumed = s.watch(&key("/w"), Some(position)).unwrap();
    let mut events = Vec::new();
    while events.len() < 3 {
        let update = resumed.next(WAIT).unwrap().expect("the changes since the position");
        events.extend(update.events().iter().cloned());
    }
    assert_eq!(events, [event("/w/a", Some("2"), r2), event("/w/b", Some("3"), r3), event("/w/a", None, Revision(r4))]);
}

/// One cluster of its own (a compaction is server-wide): a history cut
/// short, a watcher that was behind (its member died) and one resumed from
/// a compacted position.
#[test]
fn after_a_compaction_history_says_so_and_watchers_resync() {
    let Some(mut cluster) = EtcdCluster::start(3) else { return };
    let endpoints: Vec<String> = cluster.endpoints().split(',').map(String::from).collect();
    let store = open(&format!("{}/root", cluster.url()));
    let s = store.as_ref();

    let r1 = put(s, "/h", "1");
    let r2 = put(s, "/h", "2");
    let between = put(s, "/other", "x");
    let r3 = put(s, "/h", "3");
    compact(&endpoints[1], between);
    let history = s.history(&key("/h")).unwrap();
    assert_eq!(
        history.versions,
        [Version { revision: r2, value: b"2".to_vec() }, Version { revision: r3, value: b"3".to_vec() }]
    );
    assert_eq!(history.compacted, Some(r2), "the version at {r1} was compacted away");

    put(s, "/w/a", "1");
    let gone = put(s, "/w/b", "1");
    let mut behind = s.watch(&key("/w"), None).unwrap();
    let position = behind.position().unwrap();
    cluster.kill(0); // the member both watchers would talk to first
    let a = put(s, "/w/a", "2");
    s.delete(&key("/w/b"), Precondition::Any).unwrap();
    let c = put(s, "/w/c", "3");
    compact(&endpoints[1], c);
    assert_eq!(
        behind.next(WAIT).unwrap(),
        Some(Update::Resynced {
            compacted: c,
            changes: vec![event("/w/a", Some("2"), a), event("/w/b", None, gone), event("/w/c", Some("3"), c)],
            complete: true,
        })
    );
    assert_eq!(behind.position(), Some(c));

    let mut resumed = s.watch(&key("/w"), Some(position)).unwrap();
    assert_eq!(
        resumed.next(WAIT).unwrap(),
        Some(Update::Resynced {
            compacted: c,
            changes: vec![event("/w/a", Some("2"), a), event("/w/c", Some("3"), c)],
            complete: false,
        })
    );
    let d = put(s, "/w/d", "4");
    assert_eq!(resumed.next(WAIT).unwrap(), Some(Update::Changes(vec![event("/w/d", Some("4"), d)])));
}
