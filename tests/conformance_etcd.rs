//! The conformance suite against a real etcd: one server for the binary,
//! each test below a root of its own.

mod conformance;
mod util;

use ovs_config::store::{self, Options, StoreUrl};
use util::etcd::EtcdCluster;

fn etcd_store() -> Option<conformance::Fixture> {
    let url = format!("{}{}", util::etcd::shared()?.url(), util::unique_root());
    let options = Options { timeout: std::time::Duration::from_secs(10), ..Options::default() };
    let store = store::open(&StoreUrl::parse(&url).unwrap(), &options).unwrap();
    Some((store, Box::new(())))
}

conformance_suite!(etcd_store);

/// The same suite below a root prefix: keys outside it stay untouched.
mod rooted {
    use super::*;

    fn rooted_store() -> Option<conformance::Fixture> {
        let cluster = EtcdCluster::start(1)?;
        let out = cluster.etcdctl().args(["put", "/outside", "x"]).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let url = format!("{}/tenant/a", cluster.url());
        let store = store::open(
            &StoreUrl::parse(&url).unwrap(),
            &Options { timeout: std::time::Duration::from_secs(10), ..Options::default() },
        )
        .unwrap();
        Some((store, Box::new(cluster)))
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
