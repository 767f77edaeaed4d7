//! 100,000 keys in the directory store stay usable: every command works and
//! listings are complete and ordered, and one commit writes them all. (Speed
//! is measured by bench/, not here.)

mod util;

use std::io::Write;

const KEYS: usize = 100_000;

/// Write a store of KEYS keys in the documented file format, as if it had
/// been built by KEYS `set`s (which would take far longer).
fn big_store(env: &util::Env) {
    std::fs::create_dir_all(env.store_dir()).unwrap();
    let file = std::fs::File::create(env.store_dir().join("ovs-config.jsonl")).unwrap();
    let mut out = std::io::BufWriter::new(file);
    writeln!(out, r#"{{"format":"ovs-config-dir","version":1,"revision":{KEYS}}}"#).unwrap();
    for i in 0..KEYS {
        writeln!(out, r#"{{"k":"/bench/{:02}/{:06}","r":{},"v":"value {i}"}}"#, i / 10_000, i, i + 1).unwrap();
    }
    writeln!(out, r#"{{"end":{KEYS}}}"#).unwrap();
}

#[test]
fn a_hundred_thousand_keys() {
    let env = util::Env::new();
    big_store(&env);
    let out = env.config(&["list", "-r", "/bench"]).assert().success().get_output().stdout.clone();
    let keys: Vec<&[u8]> = out.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
    assert_eq!(keys.len(), KEYS);
    assert!(keys.windows(2).all(|w| w[0] < w[1]));
    let children = env.config(&["list", "/bench"]).assert().success().get_output().stdout.clone();
    assert_eq!(String::from_utf8(children).unwrap().lines().count(), 10);
    assert_eq!(env.get("/bench/09/099999"), b"value 99999");
    env.set("/bench/05/050000", "changed");
    assert_eq!(env.get("/bench/05/050000"), b"changed");
    env.config(&["delete", "-r", "--yes", "/bench/03"]).assert().success();
    let out = env.config(&["list", "-r"]).assert().success().get_output().stdout.clone();
    assert_eq!(out.iter().filter(|b| **b == b'\n').count(), KEYS - 10_000);
}

#[test]
fn a_hundred_thousand_keys_in_one_commit_are_one_rewrite() {
    use ovs_config::store::{dir::DirStore, Key, Precondition, Store, Write};
    let env = util::Env::new();
    big_store(&env);
    let store = DirStore::open(&env.store_dir(), std::time::Duration::from_secs(5));
    // Every existing key rewritten under a guard, and as many new ones.
    let mut writes: Vec<Write> = store
        .scan(&Key::parse("/bench").unwrap())
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            Write::put(&Key::parse(&e.key).unwrap(), b"new", Precondition::Revision(e.revision))
        })
        .collect();
    writes
        .extend((0..KEYS).map(|i| Write::put(&Key::parse(&format!("/new/{i}")).unwrap(), b"v", Precondition::Absent)));
    let done = store.commit(&writes).unwrap();
    assert_eq!(done.revision.0, KEYS as u64 + 1, "one rewrite, one revision");
    let scanned: Vec<_> = store.scan(&Key::root()).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(scanned.len(), 2 * KEYS);
    assert!(scanned.iter().all(|e| e.revision == done.revision));
}
