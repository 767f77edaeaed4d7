//! `ovs config conformance` against every built-in store: the same checks
//! as each backend's conformance tests, run through the command (below a
//! fresh prefix, on a store that holds other keys), which must pass them
//! all and leave the store as it found it.

mod util;

use util::sql::Db;
use util::Env;

/// Every check passes on the store `env` names, and only its own key is left.
fn passes(env: Env) {
    env.set("/outside", "kept");
    let out = env.config(&["conformance", "-o", "json"]).assert().success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(report["failed"], 0, "{report}");
    assert_eq!(report["passed"], ovs_config::conformance::CHECKS.len(), "{report}");
    env.config(&["list", "-r", "/"]).assert().success().stdout("/outside\n");
}

#[test]
fn dir() {
    passes(Env::new());
}

#[test]
fn sqlite() {
    let Some(db) = Db::sqlite() else { return };
    passes(db.env());
}

#[test]
fn mariadb() {
    let Some(db) = Db::mariadb() else { return };
    passes(db.env());
}

#[test]
fn postgres() {
    let Some(db) = Db::postgres() else { return };
    passes(db.env());
}

#[test]
fn etcd() {
    let Some(etcd) = util::etcd::shared() else { return };
    passes(Env::below_unique_root(&etcd.url()));
}

#[test]
fn zookeeper() {
    let Some(zk) = util::zookeeper::shared() else { return };
    passes(Env::below_unique_root(&zk.url()));
}

#[test]
fn consul() {
    passes(Env::below_unique_root(&util::consul::shared().url()));
}
