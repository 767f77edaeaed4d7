//! The conformance suite against a real ZooKeeper: one server for the
//! binary, each test below a chroot of its own.

mod conformance;
mod util;

use ovs_config::store::{self, Options, StoreUrl};

fn zk_store() -> Option<conformance::Fixture> {
    let url = format!("{}{}", util::zookeeper::shared()?.url(), util::unique_root());
    Some((second(&url), Box::new(url)))
}

/// The store at a fixture's URL, opened again.
fn second(url: &dyn std::any::Any) -> Box<dyn store::Store> {
    let options = Options { timeout: std::time::Duration::from_secs(10), ..Options::default() };
    store::open(&StoreUrl::parse(url.downcast_ref::<String>().unwrap()).unwrap(), &options).unwrap()
}

conformance_suite!(zk_store, second);

// What is ZooKeeper's own: parents, which the shared suite cannot see. An
// empty znode left without children would list as a key, so listings show
// whether a commit left one behind.

use conformance::key;
use ovs_config::store::{Precondition, Revision, Store, StoreError, StoreExt, Write};

fn listed(s: &dyn Store, prefix: &str) -> Vec<String> {
    s.keys(&key(prefix)).unwrap().collect::<Result<_, _>>().unwrap()
}

#[test]
fn commits_create_and_prune_parents_in_the_same_multi() {
    let Some((s, _guard)) = zk_store() else { return };
    let any = Precondition::Any;
    s.commit(&[
        Write::put(&key("/p/a"), b"1", any),
        Write::put(&key("/p/b"), b"2", any),
        Write::put(&key("/q/r/s"), b"3", any),
    ])
    .unwrap();
    assert_eq!(listed(s.as_ref(), "/"), ["/p/a", "/p/b", "/q/r/s"]);
    // Both children of an empty parent go: so does the parent.
    let done = s.commit(&[Write::delete(&key("/p/a"), any), Write::delete(&key("/p/b"), any)]).unwrap();
    assert_eq!(done.deleted, 2);
    assert_eq!(listed(s.as_ref(), "/"), ["/q/r/s"]);
    // A key deleted while a key is put below it becomes a parent.
    s.put(&key("/k"), b"v", any).unwrap();
    s.commit(&[Write::delete(&key("/k"), any), Write::put(&key("/k/x"), b"x", any)]).unwrap();
    assert_eq!(listed(s.as_ref(), "/"), ["/k/x", "/q/r/s"]);
    assert!(matches!(s.get(&key("/k")), Err(StoreError::NotFound { .. })));
    // A delete-tree and a delete that together empty a parent prune it.
    s.commit(&[Write::delete_tree(&key("/q/r")), Write::delete(&key("/k/x"), any)]).unwrap();
    assert_eq!(listed(s.as_ref(), "/"), Vec::<String>::new());
    assert_eq!(s.children(&key("/")).unwrap().count(), 0, "a pruned parent is left");
}

#[test]
fn an_absence_check_leaves_nothing_behind() {
    let Some((s, _guard)) = zk_store() else { return };
    let any = Precondition::Any;
    s.put(&key("/e/x/y"), b"v", any).unwrap();
    let absent = |k: &str| Write::check(&key(k), Precondition::Absent);
    // Missing with missing parents, missing below an empty parent, an empty parent.
    s.commit(&[absent("/none/deep/er"), absent("/e/x/z"), absent("/e/x")]).unwrap();
    assert_eq!(listed(s.as_ref(), "/"), ["/e/x/y"]);
    assert_eq!(s.children(&key("/")).unwrap().collect::<Result<Vec<_>, _>>().unwrap(), ["e/"]);
    let err = s.commit(&[absent("/e/x/y")]).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { ref key, .. } if key.as_str() == "/e/x/y"), "{err}");
}

#[test]
fn commits_without_puts_report_a_revision_in_order() {
    let Some((s, _guard)) = zk_store() else { return };
    let any = Precondition::Any;
    let gone = s.put(&key("/d/gone"), b"v", any).unwrap();
    let kept = s.put(&key("/d/kept"), b"v", any).unwrap();
    let deleted = s.commit(&[Write::delete(&key("/d/gone"), any)]).unwrap();
    assert!(deleted.revision > kept && kept > gone, "{deleted:?} after {kept}");
    let next = s.put(&key("/d/next"), b"v", any).unwrap();
    assert!(next > deleted.revision);
    // Checks alone change nothing: the revision they held at.
    let checked = s.commit(&[Write::check(&key("/d/kept"), Precondition::Revision(kept))]).unwrap();
    assert_eq!(checked.revision, kept);
    assert_eq!(s.commit(&[]).unwrap().revision, Revision(0));
}

#[test]
fn a_put_that_only_creates_answers_the_revision_it_created() {
    let Some((s, _guard)) = zk_store() else { return };
    let done = s
        .commit(&[
            Write::put(&key("/new/a"), b"a", Precondition::Absent),
            Write::put(&key("/new/b"), b"", Precondition::Absent),
        ])
        .unwrap();
    for k in ["/new/a", "/new/b"] {
        assert_eq!(s.get(&key(k)).unwrap().revision, done.revision, "{k}");
    }
    assert_eq!(s.get(&key("/new/a")).unwrap().value, b"a");
}

// Watching: the changes below the chroot come as the store's keys, and a
// watch cannot resume (ZooKeeper keeps no log of changes).

#[test]
fn a_watch_reports_store_keys_below_the_chroot() {
    use ovs_config::store::{Event, Update};
    let Some((s, _guard)) = zk_store() else { return };
    let mut watcher = s.watch(&key("/w"), None).unwrap();
    let rev = s.put(&key("/w/a/b"), b"1", Precondition::Any).unwrap();
    s.put(&key("/wx"), b"outside", Precondition::Any).unwrap();
    let want = Event { key: "/w/a/b".into(), value: Some(b"1".to_vec()), revision: rev };
    assert_eq!(watcher.next(std::time::Duration::from_secs(10)).unwrap(), Some(Update::Changes(vec![want])));
    assert_eq!(watcher.next(std::time::Duration::ZERO).unwrap(), None);
    assert_eq!(watcher.position(), None);
}

#[test]
fn a_watch_cannot_resume_from_a_revision() {
    let Some((s, _guard)) = zk_store() else { return };
    let err = s.watch(&key("/w"), Some(Revision(1))).err().unwrap();
    assert!(matches!(err, StoreError::Unsupported { .. }), "{err}");
}
