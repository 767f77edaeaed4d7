//! Arakoon's cluster behaviour against the fake cluster (see
//! `tests/util/arakoon.rs`): requests find the master and follow it when
//! it moves or dies, within `--timeout`; a cluster with no master and a
//! wrong cluster id fail at once with one line that names them.

mod util;

use std::time::{Duration, Instant};

use ovs_config::store::{self, Key, Options, Precondition, Store, StoreError, StoreExt, StoreUrl};
use predicates::str::contains;
use util::arakoon::FakeArakoon;
use util::{stderr_of, Env};

fn key(text: &str) -> Key {
    Key::parse(text).unwrap()
}

fn open_with(url: &str, timeout: Duration) -> Box<dyn Store> {
    let options = Options { timeout, ..Options::default() };
    store::open(&StoreUrl::parse(url).unwrap(), &options).unwrap()
}

#[test]
fn the_nodes_that_are_not_master_send_requests_on_to_the_one_that_is() {
    let fake = FakeArakoon::start("c", 3);
    fake.set_master(Some(2));
    let s = open_with(&fake.url(""), Duration::from_secs(5));
    s.put(&key("/a"), b"1", Precondition::Any).unwrap();
    assert_eq!(s.get(&key("/a")).unwrap().value, b"1");
    assert_eq!(fake.raw_get(b"a").unwrap(), b"1");
    // Once found, the master is asked directly: no who_master per request.
    let asked = fake.count("who_master");
    for _ in 0..5 {
        s.get(&key("/a")).unwrap();
    }
    assert_eq!(fake.count("who_master"), asked);
}

#[test]
fn a_master_that_moves_is_followed() {
    let fake = FakeArakoon::start("c", 3);
    let s = open_with(&fake.url(""), Duration::from_secs(5));
    for (master, value) in [(0, "0"), (1, "1"), (2, "2"), (0, "3")] {
        fake.set_master(Some(master));
        s.put(&key("/k"), value.as_bytes(), Precondition::Any).unwrap();
        assert_eq!(s.get(&key("/k")).unwrap().value, value.as_bytes());
    }
}

#[test]
fn a_master_that_dies_is_replaced_by_the_next() {
    let fake = FakeArakoon::start("c", 3);
    let s = open_with(&fake.url(""), Duration::from_secs(5));
    s.put(&key("/k"), b"before", Precondition::Any).unwrap();
    fake.kill(0);
    fake.set_master(Some(1));
    s.put(&key("/k"), b"after", Precondition::Any).unwrap();
    assert_eq!(s.get(&key("/k")).unwrap().value, b"after");
    fake.revive(0);
    fake.kill(1);
    fake.set_master(Some(0));
    let keys: Vec<String> = s.keys(&Key::root()).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(keys, ["/k"]);
}

#[test]
fn a_cluster_without_a_master_exits_6_naming_the_cluster_and_its_nodes() {
    let fake = FakeArakoon::start("ovs_cfg", 3);
    fake.set_master(None);
    let env = Env::with_store(fake.url(""), Box::new(()));
    let started = Instant::now();
    let err = stderr_of(env.config(&["get", "/k", "--timeout", "1"]).assert().code(6));
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("\"ovs_cfg\"") && err.contains("no master"), "{err}");
    for addr in fake.addrs() {
        assert!(err.contains(&addr.to_string()), "{err}");
    }
    // A master elected meanwhile is found.
    std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(300));
            fake.set_master(Some(1));
        });
        env.config(&["set", "/k", "v", "--timeout", "5"]).assert().success();
    });
}

#[test]
fn a_wrong_cluster_id_is_one_line_naming_it_at_once() {
    let fake = FakeArakoon::start("ovs_cfg", 2);
    let url = fake.url("").replace("ovs_cfg@", "other@");
    let env = Env::with_store(url, Box::new(()));
    let started = Instant::now();
    let err = stderr_of(env.config(&["list", "-r", "/", "--timeout", "10"]).assert().code(1));
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("serves cluster \"other\""), "{err}");
}

#[test]
fn a_store_error_of_a_dead_cluster_names_every_node() {
    let fake = FakeArakoon::start("c", 2);
    let url = fake.url("");
    let s = open_with(&url, Duration::from_millis(500));
    fake.kill(0);
    fake.kill(1);
    let err = s.get(&key("/k")).unwrap_err();
    assert!(matches!(err, StoreError::Timeout { .. } | StoreError::Unreachable { .. }), "{err}");
    for addr in fake.addrs() {
        assert!(err.to_string().contains(&addr.to_string()), "{err}");
    }
    let env = Env::with_store(url, Box::new(()));
    env.config(&["get", "/k", "--timeout", "1"]).assert().code(6).stderr(contains("\"c\""));
}
