//! A document exported from each store and imported into each other store
//! exports again byte for byte, binary values included: directory → etcd →
//! ZooKeeper → SQLite → MariaDB → PostgreSQL → directory. Real servers,
//! shared by this binary, each test below a root (or on a table) of its own.

mod util;

use util::sql::Db;
use util::Env;

/// Values of every awkward kind.
fn fill(env: &Env) {
    let bin = env.path().join("bin");
    std::fs::write(&bin, (0..=255u8).rev().collect::<Vec<u8>>()).unwrap();
    env.config(&["set", "/rt/bin", "--file", bin.to_str().unwrap()]).assert().success();
    for (key, value) in [
        ("/rt/multi/line", "one\ntwo\n  three\n\n"),
        ("/rt/number", "0123"),
        ("/rt/json", r#"{"a": [1, 2], "b": "\u00e9"}"#),
        ("/rt/odd: name", "[x] - item # not a comment"),
        ("/rt/ünï/ключ", "значение"),
        ("/rt/empty", ""),
        ("/rt/controls", "tab\tdel\u{7f}nel\u{85}ls\u{2028}"),
    ] {
        env.set(key, value);
    }
}

fn export(env: &Env, output: &str) -> Vec<u8> {
    env.config(&["export", "-o", output, "/rt"]).assert().success().get_output().stdout.clone()
}

#[test]
fn every_store_exports_what_another_store_exported() {
    let (Some(etcd), Some(zk)) = (util::etcd::shared(), util::zookeeper::shared()) else { return };
    let (Some(sqlite), Some(mariadb), Some(postgres)) = (Db::sqlite(), Db::mariadb(), Db::postgres()) else { return };
    let stores = [
        Env::new(),
        Env::below_unique_root(&etcd.url()),
        Env::below_unique_root(&zk.url()),
        sqlite.env(),
        mariadb.env(),
        postgres.env(),
        Env::new(),
    ];
    fill(&stores[0]);
    for output in ["yaml", "json"] {
        let original = export(&stores[0], output);
        let mut doc = original.clone();
        for (i, next) in stores.iter().enumerate().skip(1) {
            let dest = format!("/rt-{output}");
            next.config(&["import", "--prefix", &dest, "-"]).write_stdin(doc.clone()).assert().success();
            doc = next.config(&["export", "-o", output, &dest]).assert().success().get_output().stdout.clone();
            // The same document but for the prefix it names.
            let renamed = String::from_utf8(doc.clone()).unwrap().replace(&dest, "/rt");
            assert_eq!(renamed, String::from_utf8(original.clone()).unwrap(), "{output}, store {i}");
            doc = renamed.into_bytes();
        }
    }
}

#[test]
fn a_consul_export_imports_and_exports_again_losslessly() {
    let Some(etcd) = util::etcd::shared() else { return };
    let env = Env::below_unique_root(&etcd.url());
    // As `consul kv export` writes it: keys without a leading /, base64, null for empty.
    let consul = r#"[{"key":"rt/a","flags":0,"value":"aGVsbG8="},{"key":"rt/bin","flags":0,"value":"/wD+"},{"key":"rt/empty","flags":0,"value":null}]"#;
    env.config(&["import", "--format", "consul", "-"]).write_stdin(consul).assert().success();
    assert_eq!(env.get("/rt/bin"), [0xff, 0x00, 0xfe]);
    let again = env.config(&["export", "--format", "consul", "/rt"]).assert().success().get_output().stdout.clone();
    let items: Vec<serde_json::Value> = serde_json::from_slice(&again).unwrap();
    let pairs: Vec<(String, String)> =
        items.iter().map(|i| (i["key"].as_str().unwrap().into(), i["value"].as_str().unwrap().into())).collect();
    assert_eq!(
        pairs,
        [("rt/a".into(), "aGVsbG8=".into()), ("rt/bin".into(), "/wD+".into()), ("rt/empty".into(), "".into())]
    );
}
