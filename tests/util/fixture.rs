//! A backend's test fixture, made one way for every backend: the URL of a
//! fresh, empty store and a guard that keeps what backs it alive. Servers
//! are shared by the whole test binary (one each, started on first use);
//! each fixture is a root, chroot or table of its own on it. `None`: that
//! server is not installed here, and the test passes as skipped (with
//! CI=true the harness fails instead, see `process::require`).

use std::any::Any;
use std::time::Duration;

use ovs_config::store::{self, Options, Store, StoreUrl};

use super::sql::Db;
use super::{arakoon, consul, etcd, unique_root, zookeeper, Env};

pub struct Fixture {
    pub url: String,
    /// The prefix the store's keys live below on a shared server ("" if
    /// none), for tools that see the whole server (etcdctl, zkCli).
    pub root: String,
    pub guard: Box<dyn Any>,
}

/// How a suite asks a backend for a fixture.
pub type Factory = fn() -> Option<Fixture>;

/// Every backend, by name.
pub const ALL: &[(&str, Factory)] = &[
    ("dir", dir),
    ("etcd", etcd),
    ("zookeeper", zookeeper),
    ("consul", consul),
    ("sqlite", sqlite),
    ("mariadb", mariadb),
    ("postgres", postgres),
    ("arakoon", arakoon),
];

impl Fixture {
    pub fn new(url: String, guard: Box<dyn Any>) -> Fixture {
        Fixture { url, root: String::new(), guard }
    }

    /// A fresh root below `base_url`, on a server the binary shares.
    pub fn below_unique_root(base_url: &str) -> Fixture {
        let root = unique_root();
        Fixture { url: format!("{base_url}{root}"), root, guard: Box::new(()) }
    }

    /// The store, opened as `ovs` opens it; call again for a second handle
    /// on the same store, as another process would have.
    pub fn open(&self) -> Box<dyn Store> {
        open(&self.url)
    }

    /// An `ovs` environment on this store; the env keeps the guard.
    pub fn env(self) -> Env {
        Env { root: self.root, ..Env::with_store(self.url, self.guard) }
    }
}

/// The store at `url`, opened as `ovs` opens it (with a 10 s timeout).
pub fn open(url: &str) -> Box<dyn Store> {
    let options = Options { timeout: Duration::from_secs(10), ..Options::default() };
    store::open(&StoreUrl::parse(url).unwrap(), &options).unwrap()
}

/// A directory store in a temporary folder.
pub fn dir() -> Option<Fixture> {
    let tmp = tempfile::tempdir().unwrap();
    Some(Fixture::new(format!("dir://{}", tmp.path().join("store").display()), Box::new(tmp)))
}

pub fn etcd() -> Option<Fixture> {
    Some(Fixture::below_unique_root(&etcd::shared()?.url()))
}

pub fn zookeeper() -> Option<Fixture> {
    Some(Fixture::below_unique_root(&zookeeper::shared()?.url()))
}

/// On the fake Consul agent (see `consul.rs`).
pub fn consul() -> Option<Fixture> {
    Some(Fixture::below_unique_root(&consul::shared().url()))
}

/// On the fake Arakoon cluster (see `arakoon.rs`).
pub fn arakoon() -> Option<Fixture> {
    Some(Fixture::below_unique_root(&arakoon::shared().url("")))
}

/// A table of its own in an SQLite file of its own; the guard is the [`Db`].
pub fn sqlite() -> Option<Fixture> {
    Db::sqlite().map(Db::fixture)
}

pub fn mariadb() -> Option<Fixture> {
    Db::mariadb().map(Db::fixture)
}

pub fn postgres() -> Option<Fixture> {
    Db::postgres().map(Db::fixture)
}
