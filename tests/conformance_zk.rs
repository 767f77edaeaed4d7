//! The conformance suite against a real ZooKeeper, one fresh server per test.

mod conformance;
mod util;

use ovs_config::store::{self, Options, StoreUrl};
use util::zookeeper::ZkEnsemble;

fn zk_store() -> Option<conformance::Fixture> {
    let zk = ZkEnsemble::start(1)?;
    let options = Options { timeout: std::time::Duration::from_secs(10), ..Options::default() };
    let store = store::open(&StoreUrl::parse(&zk.url()).unwrap(), &options).unwrap();
    Some((store, Box::new(zk)))
}

conformance_suite!(zk_store);
