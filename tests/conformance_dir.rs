//! The conformance suite against the embedded directory store.

mod conformance;

use std::time::Duration;

use ovs_config::store::dir::DirStore;

fn dir_store() -> Option<conformance::Fixture> {
    let tmp = tempfile::tempdir().unwrap();
    let store = DirStore::open(&tmp.path().join("store"), Duration::from_secs(5));
    Some((Box::new(store), Box::new(tmp)))
}

conformance_suite!(dir_store);
