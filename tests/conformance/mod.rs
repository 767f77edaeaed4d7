//! The store contract, written once. Every backend's test file calls
//! `conformance_suite!(factory)`, where the factory returns a fresh, empty
//! store and a guard that keeps whatever backs it alive, or None when the
//! server is not installed here (the harness fails instead when CI=true).

use ovs_config::store::{Key, Precondition, Revision, Store, StoreError};

pub type Fixture = (Box<dyn Store>, Box<dyn std::any::Any>);

pub fn key(text: &str) -> Key {
    Key::parse(text).unwrap()
}

fn put(store: &dyn Store, k: &str, v: &[u8]) -> Revision {
    store.put(&key(k), v, Precondition::Any).unwrap()
}

fn keys(store: &dyn Store, prefix: &str) -> Vec<String> {
    store.keys(&key(prefix)).unwrap().collect::<Result<_, _>>().unwrap()
}

fn children(store: &dyn Store, prefix: &str) -> Vec<String> {
    store.children(&key(prefix)).unwrap().collect::<Result<_, _>>().unwrap()
}

fn value(store: &dyn Store, k: &str) -> Vec<u8> {
    store.get(&key(k)).unwrap().value
}

#[macro_export]
macro_rules! conformance_suite {
    ($factory:expr) => {
        $crate::conformance_suite!(@each $factory;
            get_missing_is_not_found, put_then_get, overwrite_gets_a_new_revision,
            binary_and_empty_values_round_trip, unicode_keys, recursive_listing_is_sorted,
            children_mark_subtrees, children_with_awkward_names, prefixes_respect_segment_boundaries, absent_precondition,
            revision_precondition, recreated_key_never_matches_old_revision,
            delete_missing_is_not_found, delete_with_revision, delete_tree_counts_and_keeps_neighbours,
            root_holds_no_value, listing_an_empty_prefix, many_keys_stream);
    };
    (@each $factory:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                let fixture: Option<conformance::Fixture> = $factory();
                let Some((store, _guard)) = fixture else { return };
                conformance::$name(store.as_ref());
            }
        )*
    };
}

pub fn get_missing_is_not_found(s: &dyn Store) {
    assert!(matches!(s.get(&key("/nope")), Err(StoreError::NotFound { .. })));
}

pub fn put_then_get(s: &dyn Store) {
    let rev = put(s, "/a/b", b"hello");
    let got = s.get(&key("/a/b")).unwrap();
    assert_eq!(got.value, b"hello");
    assert_eq!(got.revision, rev);
}

pub fn overwrite_gets_a_new_revision(s: &dyn Store) {
    let first = put(s, "/k", b"1");
    let second = put(s, "/k", b"2");
    assert!(second > first, "{second:?} should be after {first:?}");
    assert_eq!(value(s, "/k"), b"2");
}

pub fn binary_and_empty_values_round_trip(s: &dyn Store) {
    let binary: Vec<u8> = (0..=255u8).chain([0xff, 0xfe, 0, b'\n']).collect();
    put(s, "/bin", &binary);
    put(s, "/empty", b"");
    put(s, "/newline", b"line\n");
    assert_eq!(value(s, "/bin"), binary);
    assert_eq!(value(s, "/empty"), b"");
    assert_eq!(value(s, "/newline"), b"line\n");
}

pub fn unicode_keys(s: &dyn Store) {
    put(s, "/ünïcødé/ключ", "значение".as_bytes());
    put(s, "/ünïcødé/✓ with space", b"x");
    assert_eq!(value(s, "/ünïcødé/ключ"), "значение".as_bytes());
    assert_eq!(keys(s, "/ünïcødé"), ["/ünïcødé/ключ", "/ünïcødé/✓ with space"]);
}

pub fn recursive_listing_is_sorted(s: &dyn Store) {
    for k in ["/r/z", "/r/a/2", "/r/a/1", "/r/a-b", "/r/m"] {
        put(s, k, b"v");
    }
    assert_eq!(keys(s, "/r"), ["/r/a-b", "/r/a/1", "/r/a/2", "/r/m", "/r/z"]);
    assert_eq!(keys(s, "/"), ["/r/a-b", "/r/a/1", "/r/a/2", "/r/m", "/r/z"]);
}

pub fn children_mark_subtrees(s: &dyn Store) {
    for k in ["/c/leaf", "/c/dir/x", "/c/dir/y/z", "/c/both", "/c/both/below"] {
        put(s, k, b"v");
    }
    assert_eq!(children(s, "/c"), ["both", "both/", "dir/", "leaf"]);
    assert_eq!(children(s, "/"), ["c/"]);
    assert_eq!(children(s, "/c/dir"), ["x", "y/"]);
}

pub fn children_with_awkward_names(s: &dyn Store) {
    let keys = [
        "/w/a/x",
        "/w/a/y/z",
        "/w/a-b/x",
        "/w/a.b",
        "/w/a0/x",
        "/w/a00",
        "/w/b",
        "/w/é/x",
        "/w/ÿ/y",
        "/w/\u{FFEE}/z",
        "/w/~",
        "/w/ab/c",
        "/w/abc",
        "/w/abc/d",
        "/w/z/1",
        "/w/z/2",
        "/w/zz",
    ];
    for k in keys {
        put(s, k, b"v");
    }
    let mut want: Vec<String> = keys
        .iter()
        .map(|k| match k["/w/".len()..].split_once('/') {
            Some((name, _)) => format!("{name}/"),
            None => k["/w/".len()..].to_string(),
        })
        .collect();
    want.sort();
    want.dedup();
    assert_eq!(children(s, "/w"), want);
}

pub fn prefixes_respect_segment_boundaries(s: &dyn Store) {
    for k in ["/a/b", "/a/b/c", "/a/bc", "/a/bc/d", "/a/b-c"] {
        put(s, k, b"v");
    }
    assert_eq!(keys(s, "/a/b"), ["/a/b/c"]);
    assert_eq!(children(s, "/a/b"), ["c"]);
    assert_eq!(s.delete_tree(&key("/a/b")).unwrap(), 2);
    assert_eq!(keys(s, "/a"), ["/a/b-c", "/a/bc", "/a/bc/d"]);
}

pub fn absent_precondition(s: &dyn Store) {
    s.put(&key("/once"), b"1", Precondition::Absent).unwrap();
    let err = s.put(&key("/once"), b"2", Precondition::Absent).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert_eq!(value(s, "/once"), b"1");
}

pub fn revision_precondition(s: &dyn Store) {
    let rev = put(s, "/rev", b"1");
    let next = s.put(&key("/rev"), b"2", Precondition::Revision(rev)).unwrap();
    let err = s.put(&key("/rev"), b"3", Precondition::Revision(rev)).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert_eq!(s.get(&key("/rev")).unwrap(), ovs_config::store::Versioned { value: b"2".to_vec(), revision: next });
    let err = s.put(&key("/missing"), b"x", Precondition::Revision(rev)).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert!(matches!(s.get(&key("/missing")), Err(StoreError::NotFound { .. })));
}

pub fn recreated_key_never_matches_old_revision(s: &dyn Store) {
    let old = put(s, "/re", b"1");
    s.delete(&key("/re"), Precondition::Any).unwrap();
    put(s, "/re", b"2");
    let err = s.put(&key("/re"), b"3", Precondition::Revision(old)).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert_eq!(value(s, "/re"), b"2");
}

pub fn delete_missing_is_not_found(s: &dyn Store) {
    assert!(matches!(s.delete(&key("/gone"), Precondition::Any), Err(StoreError::NotFound { .. })));
}

pub fn delete_with_revision(s: &dyn Store) {
    let old = put(s, "/d", b"1");
    put(s, "/d", b"2");
    let err = s.delete(&key("/d"), Precondition::Revision(old)).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    let current = s.get(&key("/d")).unwrap().revision;
    s.delete(&key("/d"), Precondition::Revision(current)).unwrap();
    assert!(matches!(s.get(&key("/d")), Err(StoreError::NotFound { .. })));
}

pub fn delete_tree_counts_and_keeps_neighbours(s: &dyn Store) {
    for k in ["/foo", "/foo/a", "/foo/b/c", "/foobar", "/fo"] {
        put(s, k, b"v");
    }
    assert_eq!(s.delete_tree(&key("/foo")).unwrap(), 3);
    assert_eq!(keys(s, "/"), ["/fo", "/foobar"]);
    assert_eq!(s.delete_tree(&key("/foo")).unwrap(), 0);
}

pub fn root_holds_no_value(s: &dyn Store) {
    assert!(matches!(s.put(&Key::root(), b"x", Precondition::Any), Err(StoreError::InvalidKey(_))));
    assert!(matches!(s.get(&Key::root()), Err(StoreError::InvalidKey(_))));
}

pub fn listing_an_empty_prefix(s: &dyn Store) {
    assert!(keys(s, "/").is_empty());
    assert!(children(s, "/nothing/here").is_empty());
    put(s, "/x", b"v");
    assert!(keys(s, "/x").is_empty(), "a key is not its own child");
}

pub fn many_keys_stream(s: &dyn Store) {
    for i in 0..300 {
        put(s, &format!("/many/{:03}/k", i % 30 * 10 + i / 30), b"v");
    }
    let all = keys(s, "/many");
    assert_eq!(all.len(), 300);
    assert!(all.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(children(s, "/many").len(), 300);
    assert_eq!(s.delete_tree(&key("/many")).unwrap(), 300);
}
