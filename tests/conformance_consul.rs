//! The conformance suite against the fake Consul agent (no Consul server can
//! be installed here; see `tests/util/consul.rs` for what the fake follows):
//! one agent for the binary, each test below a root of its own.

mod conformance;
mod util;

use ovs_config::store::{self, Options, StoreUrl};

fn open(url: &str) -> Box<dyn store::Store> {
    let options = Options { timeout: std::time::Duration::from_secs(10), ..Options::default() };
    store::open(&StoreUrl::parse(url).unwrap(), &options).unwrap()
}

fn consul_store() -> Option<conformance::Fixture> {
    let url = format!("{}{}", util::consul::shared().url(), util::unique_root());
    Some((open(&url), Box::new(url)))
}

/// The store at a fixture's URL, opened again.
fn second(url: &dyn std::any::Any) -> Box<dyn store::Store> {
    open(url.downcast_ref::<String>().unwrap())
}

conformance_suite!(consul_store, second);

use std::collections::HashMap;
use std::io::{Read, Write as _};
use std::time::{Duration, Instant};

use conformance::key;
use ovs_config::store::{Precondition, StoreError, StoreExt, Write};
use util::consul::{shared, FakeConsul};

/// A store below a fresh root on the shared agent, and that root as a
/// Consul key prefix (`t1-2/`).
fn rooted() -> (Box<dyn store::Store>, String) {
    let root = util::unique_root();
    (open(&format!("{}{root}", shared().url())), format!("{}/", &root[1..]))
}

/// Guards that can never hold fail the commit, naming the key, and write
/// nothing: a delete that wants its key absent, a revision Consul never
/// gives (no key is at index 0, and a `cas` with 0 would mean "absent").
#[test]
fn guards_that_cannot_hold_fail_without_writing() {
    let (s, _) = rooted();
    s.put(&key("/here"), b"v", Precondition::Any).unwrap();
    let with_delete = |k: &str, cond| {
        s.commit(&[Write::put(&key("/side"), b"x", Precondition::Any), Write::delete(&key(k), cond)]).unwrap_err()
    };
    assert!(matches!(with_delete("/here", Precondition::Absent), StoreError::Conflict { .. }));
    assert!(matches!(with_delete("/gone", Precondition::Absent), StoreError::NotFound { .. }));
    let zero = Precondition::Revision(ovs_config::store::Revision(0));
    assert!(matches!(with_delete("/gone", zero), StoreError::Conflict { .. }));
    for k in ["/new", "/here"] {
        let err = s.put(&key(k), b"w", zero).unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    }
    let left: Vec<String> = s.keys(&ovs_config::store::Key::root()).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(left, ["/here"]);
}

#[test]
fn a_scan_that_meets_a_write_before_it_gives_anything_starts_again_unseen() {
    let (store, consul) = rooted();
    for (k, v) in [("/s/a", "1"), ("/s/b", "2")] {
        store.put(&key(k), v.as_bytes(), Precondition::Any).unwrap();
    }
    shared().write_after_next_listing(&format!("{consul}s/b"), b"changed");
    let scanned: Vec<(String, Vec<u8>)> =
        store.scan(&key("/s")).unwrap().map(|e| e.map(|e| (e.key, e.value))).collect::<Result<_, _>>().unwrap();
    assert_eq!(scanned, [("/s/a".into(), b"1".to_vec()), ("/s/b".into(), b"changed".to_vec())]);
    let listings = shared().requests().iter().filter(|r| r.starts_with(&format!("/v1/kv/{consul}s?keys"))).count();
    assert_eq!(listings, 2, "the scan should have listed again");
}

#[test]
fn a_scan_that_meets_a_write_after_giving_entries_fails_naming_the_key() {
    let (store, consul) = rooted();
    // 6 MB: more than a scan reads before it gives its first entry.
    shared().load(&format!("{consul}s/"), 300, &[b'v'; 20_000]);
    let mut scan = store.scan(&key("/s")).unwrap();
    assert_eq!(scan.next().unwrap().unwrap().key, "/s/000");
    shared().put_raw(&format!("{consul}s/299"), b"changed");
    let err = scan.find_map(Result::err).expect("the scan should see the write");
    assert!(matches!(&err, StoreError::Conflict { key, .. } if key.as_str() == "/s/299"), "{err}");
    assert!(err.to_string().contains("read again"), "{err}");
}

#[test]
fn a_scan_reads_values_in_pages_not_all_at_once() {
    let (store, consul) = rooted();
    shared().load(&format!("{consul}p/"), 200, b"v");
    assert_eq!(store.scan(&key("/p")).unwrap().count(), 200);
    let requests = shared().requests();
    assert!(!requests.iter().any(|r| r.contains("recurse")), "a scan never asks for every value at once");
}

#[test]
fn a_commit_is_one_transaction_and_a_delete_tree_keeps_the_boundary() {
    let fake = FakeConsul::start();
    let store = open(&fake.url());
    for k in ["foo", "foo/", "foo/a", "foobar", "foo0"] {
        fake.put_raw(k, b"v");
    }
    let done = store
        .commit(&[Write::delete_tree(&key("/foo")), Write::put(&key("/new"), b"n", Precondition::Absent)])
        .unwrap();
    assert_eq!(done.deleted, 3, "foo, the folder foo/ and foo/a");
    assert_eq!(fake.requests().iter().filter(|r| r.as_str() == "/v1/txn").count(), 1);
    assert_eq!(fake.keys(""), ["foo0", "foobar", "new"]);
}

/// `GET path` on an agent, by hand: status, headers (lower case), body.
fn get(fake: &FakeConsul, path: &str) -> (u16, HashMap<String, String>, String) {
    let mut conn = std::net::TcpStream::connect(fake.endpoint()).unwrap();
    write!(conn, "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", fake.endpoint()).unwrap();
    let mut text = String::new();
    conn.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
    let headers = lines.filter_map(|l| l.split_once(": ")).map(|(k, v)| (k.to_lowercase(), v.to_string())).collect();
    (status, headers, body.to_string())
}

fn index(headers: &HashMap<String, String>) -> u64 {
    headers["x-consul-index"].parse().unwrap()
}

/// The watch issue will rely on these: a read with `?index=` waits until
/// the index moves (or `?wait=` ends), on a key and on a listing.
#[test]
fn the_fake_agent_answers_blocking_queries() {
    let fake = FakeConsul::start();
    fake.put_raw("w/k", b"1");
    let (status, headers, _) = get(&fake, "/v1/kv/w/k");
    let at = index(&headers);
    assert_eq!(status, 200);
    let started = Instant::now();
    let (_, headers, _) = get(&fake, &format!("/v1/kv/w/k?index={at}&wait=300ms"));
    assert!(started.elapsed() >= Duration::from_millis(300) && index(&headers) == at);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(200));
            fake.put_raw("w/other", b"2");
        });
        let started = Instant::now();
        let (status, headers, body) = get(&fake, &format!("/v1/kv/w/?keys&index={at}&wait=20s"));
        assert!(started.elapsed() < Duration::from_secs(10), "the write did not wake the query");
        assert_eq!((status, body.as_str()), (200, r#"["w/k","w/other"]"#));
        assert!(index(&headers) > at);
    });
}

/// An idle watch waits in blocking queries on the prefix's key listing,
/// each sent with the index last seen and a wait, never a poll in a loop:
/// one query (or two, at a wait's edge) in a second, besides the one that
/// armed it and the scan's listing.
#[test]
fn an_idle_watch_waits_in_blocking_queries() {
    let fake = FakeConsul::start();
    fake.put_raw("w/k", b"1");
    let store = open(&fake.url());
    let mut watcher = store.watch(&key("/w"), None).unwrap();
    let armed = fake.requests().len();
    assert_eq!(watcher.next(Duration::from_secs(1)).unwrap(), None);
    let requests = fake.requests()[armed..].to_vec();
    assert!(!requests.is_empty() && requests.len() <= 2, "{requests:?}");
    let listings = fake.requests().iter().filter(|r| r.starts_with("/v1/kv/w?keys")).count();
    assert!(listings >= 2, "arming and the scan list the prefix");
    assert!(requests.iter().all(|r| r.starts_with("/v1/kv/w?keys&index=") && r.contains("&wait=")), "{requests:?}");
    // A write wakes the query at once; the next query waits from the new index.
    fake.put_raw("w/k", b"2");
    let update = watcher.next(Duration::from_secs(5)).unwrap().expect("the write should wake the watch");
    assert_eq!(update.events()[0].value.as_deref(), Some(&b"2"[..]));
}
