//! The CLI suite on the directory store, and what only the directory store does.

mod cli_suite;
mod util;

cli_suite!(|| Some(Env::new()));

use predicates::prelude::*;
use predicates::str::contains;
use util::Env;

#[test]
fn bad_keys_and_urls_are_usage_errors() {
    let env = Env::new();
    for bad in ["/a//b", "/a/../b", "/a/./b", "", "/a\u{7}"] {
        env.config(&["get", bad]).assert().code(2).stderr(contains("invalid key"));
    }
    for url in [
        "nope",
        "dir://relative",
        "ftp://x",
        "etcd://h:notaport",
        "etcd://u:pw@h:1",
        "zk://h:x",
        "consul://admin@127.0.0.1:8500",
    ] {
        env.ovs().args(["--store", url, "config", "list"]).assert().code(2).stderr(contains("store URL"));
    }
    env.ovs().args(["--timeout", "0", "config", "list"]).assert().code(2);
    env.ovs().args(["--cacert", "/nonexistent/ca.pem", "config", "list"]).assert().code(2).stderr(contains("--cacert"));
    let etcd = ["--store", "etcd://127.0.0.1:1"];
    env.ovs().args(etcd).args(["--user", "u", "--password-file", "/nonexistent", "config", "list"]).assert().code(2);
    // The directory store has no login: a cluster user in the environment does not matter to it.
    env.ovs().env("OVS_CONFIG_USER", "u").args(["config", "list"]).assert().success();
    env.ovs().args(["config", "frobnicate"]).assert().code(2);
}

#[test]
fn stores_lists_every_backend_with_its_capabilities() {
    let env = Env::new();
    let out = env.config(&["stores"]).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    for expect in
        ["dir:///", "etcd[s]://", "zk://", "atomic batches of at most 128 operations", "scans read key by key"]
    {
        assert!(text.contains(expect), "{expect:?} missing from:\n{text}");
    }
}

#[test]
fn default_store_lives_under_xdg_data_home() {
    let env = Env::new();
    let data = env.path().join("data");
    env.config(&["set", "/d", "v"]).env_remove("OVS_CONFIG_STORE").env("XDG_DATA_HOME", &data).assert().success();
    assert!(data.join("ovs-config/ovs-config.jsonl").is_file());
    env.config(&["set", "/h", "v"]).env_remove("OVS_CONFIG_STORE").assert().success();
    assert!(env.path().join(".local/share/ovs-config/ovs-config.jsonl").is_file());
}

#[test]
fn store_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    env.set("/p", "secret");
    for name in ["ovs-config.jsonl", "ovs-config.lock"] {
        let mode = std::fs::metadata(env.store_dir().join(name)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
}

#[test]
fn a_corrupt_store_is_an_error_and_is_not_overwritten() {
    let env = Env::new();
    env.set("/a", "1");
    let data = env.store_dir().join("ovs-config.jsonl");
    let text = std::fs::read_to_string(&data).unwrap();
    let truncated = text.lines().take(2).collect::<Vec<_>>().join("\n");
    std::fs::write(&data, &truncated).unwrap();
    env.config(&["list", "-r"]).assert().code(1).stderr(contains("corrupt").and(contains("truncated")));
    env.config(&["set", "/b", "2"]).assert().code(1).stderr(contains("corrupt"));
    assert_eq!(std::fs::read_to_string(&data).unwrap(), truncated);
    std::fs::write(&data, "garbage\n").unwrap();
    env.config(&["get", "/a"]).assert().code(1).stderr(contains("corrupt"));
}

#[test]
fn a_held_write_lock_times_out_with_exit_6() {
    let env = Env::new();
    env.set("/a", "1");
    let lock = std::fs::File::open(env.store_dir().join("ovs-config.lock")).unwrap();
    lock.lock().unwrap();
    env.config(&["set", "/a", "2"]).arg("--timeout").arg("0.2").assert().code(6).stderr(contains("timed out"));
    // Reads take no lock.
    assert_eq!(env.get("/a"), b"1");
    drop(lock);
    env.set("/a", "2");
}

#[test]
fn history_and_rollback_on_a_store_without_history_exit_2() {
    let env = Env::new();
    env.set("/k", "v");
    env.config(&["history", "/k"]).assert().code(2).stderr(contains("keeps no history"));
    env.config(&["rollback", "/k", "1"]).assert().code(2).stderr(contains("keeps no history"));
    assert_eq!(env.get("/k"), b"v");
}
