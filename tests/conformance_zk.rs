//! The conformance suite against a real ZooKeeper: one server for the
//! binary, each test below a chroot of its own.

mod conformance;
mod util;

use ovs_config::store::{self, Options, StoreUrl};

fn zk_store() -> Option<conformance::Fixture> {
    let url = format!("{}{}", util::zookeeper::shared()?.url(), util::unique_root());
    let options = Options { timeout: std::time::Duration::from_secs(10), ..Options::default() };
    let store = store::open(&StoreUrl::parse(&url).unwrap(), &options).unwrap();
    Some((store, Box::new(())))
}

conformance_suite!(zk_store);
