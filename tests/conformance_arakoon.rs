//! The conformance suite against the fake Arakoon cluster (no Arakoon
//! server can be installed here; see `tests/util/arakoon.rs` for what the
//! fake follows): one cluster for the binary, each test below a root of its
//! own. And what is Arakoon's own at the store level: how keys and
//! revisions sit in Arakoon, what a failed assert leaves, the limits.

mod conformance;
mod util;

use conformance::key;
use ovs_config::store::{self, Key, Precondition, StoreError, StoreExt, Write};
use util::arakoon::{shared, FakeArakoon};
use util::fixture::{self, open};
use util::suite::{self, Table};

/// What is Arakoon's own.
const OWN: Table<fn()> = table![
    keys_sit_in_arakoon_as_the_framework_keeps_them,
    a_sequence_whose_assert_fails_applies_nothing,
    a_write_by_another_client_is_a_new_revision,
    arakoons_own_keys_are_hidden_and_refused,
    binary_keys_and_values,
    values_near_the_limit,
    a_recursive_delete_at_the_root_spares_arakoons_own_keys,
    children_seek_past_subtrees_instead_of_reading_them,
];

fn main() {
    let mut trials = conformance::trials("", fixture::arakoon);
    trials.extend(suite::each("", OWN));
    suite::run(trials)
}

/// A store below a fresh root on the shared cluster, and that root as an
/// Arakoon key prefix (`t1-2/`).
fn rooted() -> (Box<dyn store::Store>, String) {
    let fixture = fixture::arakoon().unwrap();
    (fixture.open(), format!("{}/", &fixture.root[1..]))
}

fn raw_keys(fake: &FakeArakoon, prefix: &str) -> Vec<String> {
    let keys = fake.raw_keys().into_iter().filter(|k| k.starts_with(prefix.as_bytes()));
    keys.map(|k| String::from_utf8_lossy(&k).into_owned()).collect()
}

fn listed(s: &dyn store::Store, prefix: &str) -> Vec<String> {
    s.keys(&key(prefix)).unwrap().collect::<Result<_, _>>().unwrap()
}

fn keys_sit_in_arakoon_as_the_framework_keeps_them() {
    let (s, root) = rooted();
    s.put(&key("/ovs/framework/scheduling/celery"), b"{}", Precondition::Any).unwrap();
    assert_eq!(raw_keys(shared(), &root), [format!("{root}ovs/framework/scheduling/celery")]);
    assert_eq!(shared().raw_get(format!("{root}ovs/framework/scheduling/celery").as_bytes()).unwrap(), b"{}");
    // Its revision record is hidden beside it.
    let record = format!("_ovs-config/revision/{root}ovs/framework/scheduling/celery");
    assert_eq!(shared().raw_get(record.as_bytes()).map(|r| r.len()), Some(16));
}

fn a_sequence_whose_assert_fails_applies_nothing() {
    let (s, root) = rooted();
    s.put(&key("/a"), b"1", Precondition::Any).unwrap();
    let rev = s.get(&key("/a")).unwrap().revision;
    let sequences = shared().count("sequence");
    let err = s
        .commit(&[
            Write::put(&key("/new"), b"n", Precondition::Any),
            Write::put(&key("/a"), b"2", Precondition::Revision(store::Revision(rev.0 + 1))),
        ])
        .unwrap_err();
    assert!(matches!(&err, StoreError::Conflict { key, .. } if key.as_str() == "/a"), "{err}");
    assert_eq!(shared().count("sequence"), sequences, "a condition that fails on the read sends nothing");
    // A value that moves between the read and the sequence fails its assert.
    shared().raw_set(format!("{root}b").as_bytes(), b"0");
    let before = raw_keys(shared(), &root);
    let err = s
        .commit(&[Write::put(&key("/c"), b"c", Precondition::Any), Write::put(&key("/b"), b"x", Precondition::Absent)]);
    assert!(matches!(&err, Err(StoreError::Conflict { key, .. }) if key.as_str() == "/b"), "{err:?}");
    assert_eq!(raw_keys(shared(), &root), before, "nothing of a failed sequence is applied");
    assert!(shared().count("sequence") > sequences, "the absent guard went as an assert");
}

fn a_write_by_another_client_is_a_new_revision() {
    let (s, root) = rooted();
    let rev = s.put(&key("/k"), b"1", Precondition::Any).unwrap();
    assert_eq!(s.get(&key("/k")).unwrap().revision, rev);
    shared().raw_set(format!("{root}k").as_bytes(), b"theirs");
    let now = s.get(&key("/k")).unwrap();
    assert_ne!(now.revision, rev);
    let err = s.put(&key("/k"), b"mine", Precondition::Revision(rev)).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert_eq!(s.get(&key("/k")).unwrap().value, b"theirs");
    // Its revision guards like any other.
    s.put(&key("/k"), b"mine", Precondition::Revision(now.revision)).unwrap();
    assert_eq!(s.get(&key("/k")).unwrap().value, b"mine");
}

fn arakoons_own_keys_are_hidden_and_refused() {
    let fake = FakeArakoon::start("own", 1);
    let s = open(&fake.url(""));
    fake.raw_set(b"__ovs_config", b"internal");
    fake.raw_set(b"_x/y", b"internal");
    s.put(&key("/ovs/a"), b"1", Precondition::Any).unwrap();
    s.put(&key("/z"), b"1", Precondition::Any).unwrap();
    assert_eq!(listed(s.as_ref(), "/"), ["/ovs/a", "/z"]);
    let children: Vec<String> = s.children(&Key::root()).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(children, ["ovs/", "z"]);
    assert_eq!(s.scan(&Key::root()).unwrap().count(), 2);
    for k in ["/__ovs_config", "/_x/y"] {
        assert!(matches!(s.get(&key(k)), Err(StoreError::InvalidKey(_))), "{k}");
        assert!(matches!(s.put(&key(k), b"v", Precondition::Any), Err(StoreError::InvalidKey(_))), "{k}");
    }
    assert_eq!(fake.raw_get(b"__ovs_config").unwrap(), b"internal");
}

fn binary_keys_and_values() {
    let (s, root) = rooted();
    let value: Vec<u8> = (0..=255u8).collect();
    s.put(&key("/bin"), &value, Precondition::Any).unwrap();
    assert_eq!(s.get(&key("/bin")).unwrap().value, value);
    assert_eq!(shared().raw_get(format!("{root}bin").as_bytes()).unwrap(), value);
    // A key another client wrote that is not UTF-8 is listed, not lost.
    shared().raw_set(&[root.as_bytes(), b"odd/\xff\xfe"].concat(), b"v");
    assert_eq!(listed(s.as_ref(), "/odd"), ["/odd/\u{fffd}\u{fffd}"]);
}

fn values_near_the_limit() {
    let (s, _) = rooted();
    let limit = s.capabilities().max_value_bytes as usize;
    assert_eq!(limit, 8 * 1024 * 1024 - 1, "Arakoon refuses max_value_size (8 MiB) and more");
    let big = vec![b'v'; limit];
    s.put(&key("/big"), &big, Precondition::Any).unwrap();
    assert_eq!(s.get(&key("/big")).unwrap().value.len(), limit);
    let scanned: Vec<usize> = s.scan(&key("/big")).unwrap().map(|e| e.unwrap().value.len()).collect();
    assert_eq!(scanned, [limit]);
}

fn a_recursive_delete_at_the_root_spares_arakoons_own_keys() {
    let fake = FakeArakoon::start("own", 1);
    let s = open(&fake.url(""));
    fake.raw_set(b"__ovs_config", b"internal");
    for k in ["/a", "/a/b", "/z/y"] {
        s.put(&key(k), b"v", Precondition::Any).unwrap();
    }
    assert_eq!(s.delete_tree(&Key::root()).unwrap(), 3);
    let left: Vec<Vec<u8>> = fake.raw_keys();
    assert!(left.iter().all(|k| k.starts_with(b"_")), "{left:?}");
    assert!(left.contains(&b"__ovs_config".to_vec()));
    assert!(!left.iter().any(|k| k.starts_with(b"_ovs-config/revision/")), "the records go with their keys");
}

fn children_seek_past_subtrees_instead_of_reading_them() {
    let fake = FakeArakoon::start("seek", 1);
    let s = open(&fake.url("/r"));
    let writes: Vec<Write> = (0..3)
        .flat_map(|d| (0..2000).map(move |i| Write::put(&key(&format!("/d{d}/{i:04}")), b"v", Precondition::Any)))
        .collect();
    for chunk in writes.chunks(2000) {
        s.commit(chunk).unwrap();
    }
    s.put(&key("/top"), b"v", Precondition::Any).unwrap();
    let ranges = fake.count("range_entries");
    let children: Vec<String> = s.children(&Key::root()).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(children, ["d0/", "d1/", "d2/", "top"]);
    assert!(fake.count("range_entries") - ranges <= 5, "{} ranges", fake.count("range_entries") - ranges);
}
