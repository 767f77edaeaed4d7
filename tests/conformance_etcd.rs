//! The conformance suite against a real etcd: one server for the binary,
//! each test below a root of its own.

mod conformance;
mod util;

use conformance::key;
use ovs_config::store::{self, Entry, Key, Options, Precondition, Revision, StoreError, StoreExt, StoreUrl, Write};
use util::etcd::EtcdCluster;

fn open(url: &str) -> Box<dyn store::Store> {
    let options = Options { timeout: std::time::Duration::from_secs(10), ..Options::default() };
    store::open(&StoreUrl::parse(url).unwrap(), &options).unwrap()
}

fn etcd_store() -> Option<conformance::Fixture> {
    let url = format!("{}{}", util::etcd::shared()?.url(), util::unique_root());
    Some((open(&url), Box::new(url)))
}

/// The store at a fixture's URL, opened again.
fn second(url: &dyn std::any::Any) -> Box<dyn store::Store> {
    open(url.downcast_ref::<String>().unwrap())
}

conformance_suite!(etcd_store, second);

/// The same suite below a root prefix: keys outside it stay untouched.
mod rooted {
    use super::*;

    fn rooted_store() -> Option<conformance::Fixture> {
        let cluster = EtcdCluster::start(1)?;
        let out = cluster.etcdctl().args(["put", "/outside", "x"]).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        Some((open(&format!("{}/tenant/a", cluster.url())), Box::new(cluster)))
    }

    #[test]
    fn root_prefix_scopes_every_operation() {
        let Some((store, guard)) = rooted_store() else { return };
        let cluster = guard.downcast_ref::<EtcdCluster>().unwrap();
        conformance::prefixes_respect_segment_boundaries(store.as_ref());
        assert_eq!(store.delete_tree(&ovs_config::store::Key::root()).unwrap(), 3);
        let out = cluster.etcdctl().args(["get", "--prefix", "--keys-only", "/"]).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>(), ["/outside"]);
    }
}

/// Guards that can never hold fail the commit, naming the key, and write
/// nothing: a delete that wants its key absent, a revision etcd never gives.
#[test]
fn guards_that_cannot_hold_fail_without_writing() {
    let Some((store, _guard)) = etcd_store() else { return };
    let s = store.as_ref();
    s.put(&key("/here"), b"v", Precondition::Any).unwrap();
    let with_delete = |k: &str, cond| {
        s.commit(&[Write::put(&key("/side"), b"x", Precondition::Any), Write::delete(&key(k), cond)]).unwrap_err()
    };
    assert!(matches!(with_delete("/here", Precondition::Absent), StoreError::Conflict { .. }));
    assert!(matches!(with_delete("/gone", Precondition::Absent), StoreError::NotFound { .. }));
    assert!(matches!(with_delete("/gone", Precondition::Revision(Revision(0))), StoreError::Conflict { .. }));
    let err = s.put(&key("/new"), b"v", Precondition::Revision(Revision(0))).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    let left: Vec<String> = s.keys(&Key::root()).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(left, ["/here"]);
}

/// A server set up with smaller limits than etcd's defaults refuses what
/// the declared limits let through: a batch too large, never a transport
/// error, and a value too large for a single put.
#[test]
fn a_server_with_smaller_limits_refuses_batches_as_too_large() {
    let Some(cluster) = EtcdCluster::start_with_flags(&["--max-txn-ops", "4", "--max-request-bytes", "8192"]) else {
        return;
    };
    let store = open(&cluster.url());
    let s = store.as_ref();
    let puts = |n: usize, size: usize| -> Vec<Write> {
        (0..n).map(|i| Write::put(&key(&format!("/p/{i}")), &vec![b'v'; size], Precondition::Any)).collect()
    };
    let err = s.commit(&puts(5, 1)).unwrap_err();
    assert!(matches!(err, StoreError::BatchTooLarge { .. }) && err.to_string().contains("--max-txn-ops"), "{err}");
    // Three recursive deletes are six operations.
    let trees: Vec<Write> = ["/a", "/b", "/c"].iter().map(|k| Write::delete_tree(&key(k))).collect();
    assert!(matches!(s.commit(&trees), Err(StoreError::BatchTooLarge { .. })));
    let err = s.commit(&puts(2, 6000)).unwrap_err();
    assert!(
        matches!(err, StoreError::BatchTooLarge { .. }) && err.to_string().contains("--max-request-bytes"),
        "{err}"
    );
    let err = s.commit(&puts(1, 10_000)).unwrap_err();
    assert!(matches!(err, StoreError::TooLarge { .. }) && err.to_string().contains("--max-request-bytes"), "{err}");
    assert_eq!(s.keys(&Key::root()).unwrap().count(), 0, "a refused batch wrote something");
    s.commit(&puts(4, 1000)).unwrap();
}

/// Large values after small ones: a page that would hold far more than a
/// page's worth of bytes is asked again with fewer keys, and the scan still
/// gives every entry, in order, with its revision.
#[test]
fn scan_pages_shrink_for_large_values() {
    let Some((store, _guard)) = etcd_store() else { return };
    let s = store.as_ref();
    let small: Vec<Write> =
        (0..300).map(|i| Write::put(&key(&format!("/v/a{i:03}")), b"small", Precondition::Any)).collect();
    for chunk in small.chunks(100) {
        s.commit(chunk).unwrap();
    }
    // 300 values of 80 kB: the page after the small ones, sized for small
    // values, would be 24 MB.
    let big = |i: usize| vec![b'a' + (i % 26) as u8; 80_000];
    let writes: Vec<Write> =
        (0..300).map(|i| Write::put(&key(&format!("/v/b{i:03}")), &big(i), Precondition::Any)).collect();
    for chunk in writes.chunks(16) {
        s.commit(chunk).unwrap();
    }
    let scanned: Vec<Entry> = s.scan(&key("/v")).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(scanned.len(), 600);
    assert!(scanned.windows(2).all(|w| w[0].key < w[1].key));
    assert!(scanned[..300].iter().all(|e| e.value == b"small"));
    assert!(scanned[300..].iter().enumerate().all(|(i, e)| e.value == big(i)));
    let last = scanned.iter().map(|e| e.revision).max().unwrap();
    assert_eq!(s.get(&key("/v/b299")).unwrap().revision, last);
}
