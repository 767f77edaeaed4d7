//! The conformance suite against the embedded directory store.

mod conformance;

use std::time::Duration;

use ovs_config::store::dir::DirStore;
use ovs_config::store::Store;

fn dir_store() -> Option<conformance::Fixture> {
    let tmp = tempfile::tempdir().unwrap();
    Some((second(&tmp), Box::new(tmp)))
}

/// The store in a fixture's directory, opened again.
fn second(tmp: &dyn std::any::Any) -> Box<dyn Store> {
    let tmp = tmp.downcast_ref::<tempfile::TempDir>().unwrap();
    Box::new(DirStore::open(&tmp.path().join("store"), Duration::from_secs(5)))
}

conformance_suite!(dir_store, second);
