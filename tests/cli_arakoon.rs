//! The CLI suite against the fake Arakoon cluster (see
//! `tests/util/arakoon.rs` for what it follows), the network suite (nodes
//! down or silent), and what is Arakoon's own from the command line: the
//! keys Open vStorage reads, documents that round-trip, a migration to etcd
//! and back, the `?ini=` form.

mod cli_suite;
mod network_suite;
mod util;

use network_suite::{Cluster, Network};
use predicates::str::contains;
use util::arakoon::{shared, FakeArakoon};
use util::fixture::{self, Fixture};
use util::suite::{self, Table};
use util::Env;

/// What is Arakoon's own.
const OWN: Table<fn()> = table![
    a_key_set_by_ovs_is_where_open_vstorage_reads_it,
    a_document_from_the_directory_store_round_trips_through_arakoon_byte_identically,
    a_configuration_moves_to_etcd_and_back_verified,
    the_ini_form_reads_the_nodes_from_arakoon_cacc_ini,
    bad_urls_and_arakoons_own_keys_are_one_line_exit_2,
];

fn main() {
    let mut trials = cli_suite::trials("", fixture::arakoon);
    trials.extend(network_suite::trials(
        "",
        Network {
            url: |nodes| format!("arakoon://ovs_cfg@{nodes}"),
            retries_until_the_timeout: true,
            cluster: Some(Cluster {
                first_down: first_of_three_nodes_down,
                live: || Some(shared().addrs()[0].to_string()),
            }),
        },
    ));
    trials.extend(suite::each("", OWN));
    suite::run(trials)
}

/// Three nodes of one cluster, the first its URL names gone (the second
/// master).
fn first_of_three_nodes_down() -> Option<Fixture> {
    let fake = FakeArakoon::start("ovs_cfg", 3);
    fake.kill(0);
    fake.set_master(Some(1));
    Some(Fixture::new(fake.url(""), Box::new(fake)))
}

fn arakoon_env() -> Env {
    fixture::arakoon().unwrap().env()
}

fn a_key_set_by_ovs_is_where_open_vstorage_reads_it() {
    let fake = FakeArakoon::start("ovs_cfg", 1);
    let env = Env::with_store(fake.url(""), Box::new(()));
    let schedule = r#"{"ovs.stats_monkey.run_all": {"minute": "0", "hour": "*"}}"#;
    env.config(&["set", "/ovs/framework/scheduling/celery", schedule]).assert().success();
    let visible: Vec<Vec<u8>> = fake.raw_keys().into_iter().filter(|k| !k.starts_with(b"_")).collect();
    assert_eq!(visible, [b"ovs/framework/scheduling/celery".to_vec()]);
    assert_eq!(fake.raw_get(b"ovs/framework/scheduling/celery").unwrap(), schedule.as_bytes());
    // And what the framework wrote, ovs reads.
    fake.raw_set(b"ovs/framework/memcache", b"{\"endpoints\": []}");
    env.config(&["get", "/ovs/framework/memcache"]).assert().success().stdout("{\"endpoints\": []}");
    env.config(&["list", "/ovs/framework"]).assert().success().stdout("memcache\nscheduling/\n");
}

fn a_document_from_the_directory_store_round_trips_through_arakoon_byte_identically() {
    let dir = Env::new();
    let bin = dir.path().join("bin");
    std::fs::write(&bin, [0xffu8, 0x00, 0xfe, b'\n']).unwrap();
    dir.config(&["set", "/rt/bin", "--file", bin.to_str().unwrap()]).assert().success();
    dir.set("/rt/multi", "one\ntwo\n");
    dir.set("/rt/empty", "");
    dir.set("/rt/ünï/key", "значение");
    let arakoon = arakoon_env();
    for output in ["yaml", "json"] {
        let doc = dir.config(&["export", "-o", output, "/rt"]).assert().success().get_output().stdout.clone();
        arakoon.config(&["import", "-"]).write_stdin(doc.clone()).assert().success();
        let back = arakoon.config(&["export", "-o", output, "/rt"]).assert().success().get_output().stdout.clone();
        assert_eq!(String::from_utf8_lossy(&back), String::from_utf8_lossy(&doc), "{output}");
        arakoon.config(&["delete", "-r", "--yes", "/rt"]).assert().success();
    }
}

fn a_configuration_moves_to_etcd_and_back_verified() {
    let Some(etcd) = fixture::etcd() else { return };
    let etcd = etcd.env();
    let source = arakoon_env();
    source.set("/ovs/framework/scheduling/celery", r#"{"alba.verify_namespaces": null}"#);
    source.set("/ovs/framework/memcache", "{}");
    source.set("/ovs/arakoon/config/config", "[global]\ncluster_id = config\n");
    let back = arakoon_env();
    for (from, to) in [(&source, &etcd), (&etcd, &back)] {
        from.config(&["copy", &from.store_url, &to.store_url])
            .assert()
            .success()
            .stderr(contains("3 copied, 0 identical, 0 skipped, 0 mismatched"));
    }
    let export = |env: &Env| env.config(&["export", "/"]).assert().success().get_output().stdout.clone();
    assert_eq!(export(&back), export(&source));
    back.config(&["compare", &source.store_url, &back.store_url]).assert().success();
}

fn the_ini_form_reads_the_nodes_from_arakoon_cacc_ini() {
    let fake = FakeArakoon::start("config", 3);
    fake.set_master(Some(2));
    let tmp = tempfile::tempdir().unwrap();
    let ini = tmp.path().join("arakoon_cacc.ini");
    fake.ini(&ini);
    let url = format!("arakoon://config?ini={}", ini.display());
    let env = Env::with_store(url.clone(), Box::new(()));
    env.config(&["set", "/ovs/k", "v"]).assert().success();
    env.config(&["get", "/ovs/k"]).assert().success().stdout("v");
    assert_eq!(fake.raw_get(b"ovs/k").unwrap(), b"v");
    // The master's name, from who_master, leads straight to it.
    assert!(fake.count("who_master") >= 1);
    // A cluster id that is not the file's, and a file that is not there.
    let other = Env::with_store(format!("arakoon://other?ini={}", ini.display()), Box::new(()));
    other.config(&["get", "/ovs/k"]).assert().code(2).stderr(contains("cluster \"config\", not \"other\""));
    let missing = Env::with_store("arakoon://config?ini=/nonexistent/cacc.ini".into(), Box::new(()));
    missing.config(&["get", "/ovs/k"]).assert().code(2).stderr(contains("cannot read /nonexistent/cacc.ini"));
}

fn bad_urls_and_arakoons_own_keys_are_one_line_exit_2() {
    let fake = FakeArakoon::start("ovs_cfg", 1);
    for (url, says) in [
        ("arakoon://127.0.0.1:4000", "name the cluster"),
        ("arakoon://ovs_cfg@127.0.0.1", "give the client port of \"127.0.0.1\""),
        ("arakoon://ovs\u{7}cfg@127.0.0.1:4000", "bad cluster id \"ovs\\u{7}cfg\""),
        ("arakoon://ovs_cfg?file=/etc/cacc.ini", "the only query is ?ini=PATH"),
        ("arakoon://ovs_cfg@h:1?ini=/etc/cacc.ini", "the nodes come from the file"),
        ("arakoon://ovs_cfg@127.0.0.1:4000/_own", "Arakoon's own"),
    ] {
        let env = Env::with_store(url.to_string(), Box::new(()));
        let err = util::stderr_of(env.config(&["set", "/k", "v"]).assert().code(2));
        assert!(err.lines().count() == 1 && err.contains(says), "{url}: {err}");
    }
    let env = Env::with_store(fake.url(""), Box::new(()));
    for args in [&["set", "/_ovs-config/counter", "0"][..], &["get", "/__ovs_config"], &["list", "-r", "/_x"]] {
        let err = util::stderr_of(env.config(args).assert().code(2));
        assert!(err.lines().count() == 1 && err.contains("Arakoon's own"), "{args:?}: {err}");
    }
    assert!(fake.raw_keys().is_empty(), "nothing was written");
}
