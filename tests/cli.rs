//! The CLI suite on the directory store, and what only the directory store does.

mod cli_suite;
mod util;

use predicates::prelude::*;
use predicates::str::contains;
use util::suite::{self, Table};
use util::{dir_url, fixture, Env};

/// What only the directory store does.
const OWN: Table<fn()> = table![
    bad_keys_and_urls_are_usage_errors,
    stores_lists_every_backend_with_its_capabilities,
    default_store_lives_under_xdg_data_home,
    store_files_are_private,
    a_corrupt_store_is_an_error_and_is_not_overwritten,
    a_held_write_lock_times_out_with_exit_6,
    copy_places_keys_below_to_prefix,
    copy_refuses_a_differing_key_without_overwrite_and_writes_nothing,
    copy_checks_every_value_against_the_destination_before_writing,
    copy_onto_an_overlapping_prefix_of_the_same_store_is_refused,
    copy_and_compare_refuse_bad_urls_and_arguments_without_showing_a_password,
    compare_names_the_store_it_cannot_reach,
    history_and_rollback_on_a_store_without_history_exit_2,
];

fn main() {
    let mut trials = cli_suite::trials("", fixture::dir);
    trials.extend(suite::each("", OWN));
    suite::run(trials)
}

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

fn default_store_lives_under_xdg_data_home() {
    let env = Env::new();
    let data = env.path().join("data");
    env.config(&["set", "/d", "v"]).env_remove("OVS_CONFIG_STORE").env("XDG_DATA_HOME", &data).assert().success();
    assert!(data.join("ovs-config/ovs-config.jsonl").is_file());
    env.config(&["set", "/h", "v"]).env_remove("OVS_CONFIG_STORE").assert().success();
    assert!(env.path().join(".local/share/ovs-config/ovs-config.jsonl").is_file());
}

fn store_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    env.set("/p", "secret");
    for name in ["ovs-config.jsonl", "ovs-config.lock"] {
        let mode = std::fs::metadata(env.store_dir().join(name)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
}

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

/// `ovs config ARGS` on another directory store of `env`'s.
fn on(env: &Env, store: &str, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = env.config(args);
    cmd.args(["--store", &dir_url(env, store)]);
    cmd
}

fn copy_places_keys_below_to_prefix() {
    let env = Env::new();
    env.set("/app/a", "1");
    env.set("/app/b/c", "2");
    env.set("/apps", "boundary");
    env.config(&["copy", &env.store_url, &dir_url(&env, "dst"), "--prefix", "/app", "--to-prefix", "/staging/app"])
        .assert()
        .success()
        .stderr(contains("2 copied, 0 identical, 0 skipped, 0 mismatched"));
    on(&env, "dst", &["list", "-r", "/"]).assert().success().stdout("/staging/app/a\n/staging/app/b/c\n");
}

fn copy_refuses_a_differing_key_without_overwrite_and_writes_nothing() {
    let env = Env::new();
    env.set("/app/a", "new");
    env.set("/app/b", "added");
    env.set("/app/c", "same");
    let dst = dir_url(&env, "dst");
    on(&env, "dst", &["set", "/app/a", "old"]).assert().success();
    on(&env, "dst", &["set", "/app/c", "same"]).assert().success();
    let before = std::fs::read(env.path().join("dst/ovs-config.jsonl")).unwrap();
    env.config(&["copy", &env.store_url, &dst])
        .assert()
        .code(5)
        .stderr(contains("conflict on /app/a").and(contains("--overwrite")).and(contains("nothing was written")));
    assert_eq!(std::fs::read(env.path().join("dst/ovs-config.jsonl")).unwrap(), before);
    env.config(&["copy", &env.store_url, &dst, "--overwrite", "-o", "json"])
        .assert()
        .success()
        .stdout("{\"copied\":2,\"identical\":1,\"skipped\":0,\"mismatched\":0,\"mismatched_keys\":[]}\n");
    on(&env, "dst", &["get", "/app/a"]).assert().success().stdout("new");
    on(&env, "dst", &["get", "/app/b"]).assert().success().stdout("added");
}

fn copy_checks_every_value_against_the_destination_before_writing() {
    let env = Env::new();
    // Not checked where it is, but where it is going: below --to-prefix.
    env.set(&format!("/staged{}", util::CELERY_KEY), util::BAD_SCHEDULE);
    env.set("/staged/other", "fine");
    let dst = dir_url(&env, "dst");
    let copy = ["copy", &env.store_url, &dst, "--prefix", "/staged", "--to-prefix", "/"];
    env.config(&copy).assert().code(3).stderr(contains("execute_scrub"));
    env.config(&copy).arg("--max-value-size=3").assert().code(2).stderr(contains(&dst).and(contains("limit of 3")));
    on(&env, "dst", &["list", "-r", "/"]).assert().success().stdout("");
}

fn copy_onto_an_overlapping_prefix_of_the_same_store_is_refused() {
    let env = Env::new();
    env.set("/app/a", "1");
    for (from, to) in [("/app", "/app"), ("/app", "/app/copy"), ("/", "/backup"), ("/app/x", "/app")] {
        env.config(&["copy", &env.store_url, &env.store_url, "--prefix", from, "--to-prefix", to])
            .assert()
            .code(2)
            .stderr(contains("onto itself"));
    }
    env.config(&["copy", &env.store_url, &env.store_url, "--prefix", "/app", "--to-prefix", "/apps"])
        .assert()
        .success();
    assert_eq!(env.get("/apps/a"), b"1");
}

fn copy_and_compare_refuse_bad_urls_and_arguments_without_showing_a_password() {
    let env = Env::new();
    let good = env.store_url.clone();
    for args in [
        vec!["copy", "etcd://admin:pw-secret@127.0.0.1:1", &good],
        vec!["copy", &good, "etcd://admin:pw-secret@127.0.0.1:1"],
        vec!["compare", &good, "etcd://admin:pw-secret@127.0.0.1:1"],
    ] {
        let out = env.config(&args).assert().code(2).get_output().stderr.clone();
        let err = String::from_utf8_lossy(&out);
        assert!(err.lines().count() == 1 && err.contains("etcd://admin:***@127.0.0.1:1"), "{err}");
        assert!(!err.contains("pw-secret"), "{err}");
    }
    env.config(&["copy", "nope", &good]).assert().code(2).stderr(contains("\"nope\""));
    env.config(&["compare", &good, "ftp://x"]).assert().code(2).stderr(contains("ftp://x"));
    env.config(&["compare", &good, &good, "/a//b"]).assert().code(2).stderr(contains("invalid key"));
    // Two stores exactly: two URLs (and a prefix), or two --store (and a prefix).
    for args in [&["compare"][..], &["compare", &good], &["compare", "/a"]] {
        env.config(args).assert().code(2).stderr(contains("two stores"));
    }
    let two = ["--store", &good, "--store", &dir_url(&env, "other")];
    env.ovs().args(two).args(["config", "compare", &good, &good]).assert().code(2).stderr(contains("two stores"));
    env.ovs().args(two).args(["config", "compare"]).assert().success();
}

fn compare_names_the_store_it_cannot_reach() {
    let env = Env::new();
    env.set("/a", "1");
    env.config(&["compare", &env.store_url, "etcd://127.0.0.1:1", "--timeout", "1"])
        .assert()
        .code(6)
        .stderr(contains("etcd://127.0.0.1:1"));
    env.config(&["copy", "etcd://127.0.0.1:1", &env.store_url, "--timeout", "1"])
        .assert()
        .code(6)
        .stderr(contains("etcd://127.0.0.1:1"));
}

fn history_and_rollback_on_a_store_without_history_exit_2() {
    let env = Env::new();
    env.set("/k", "v");
    env.config(&["history", "/k"]).assert().code(2).stderr(contains("keeps no history"));
    env.config(&["rollback", "/k", "1"]).assert().code(2).stderr(contains("keeps no history"));
    assert_eq!(env.get("/k"), b"v");
}
