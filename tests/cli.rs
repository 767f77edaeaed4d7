//! End-to-end tests of every command and exit code on the directory store.

mod util;

use predicates::prelude::*;
use predicates::str::contains;
use util::{Env, BAD_SCHEDULE, CELERY_KEY, GOOD_SCHEDULE};

#[test]
fn get_prints_the_value_byte_for_byte() {
    let env = Env::new();
    env.set("/a/b", "no newline");
    env.config(&["get", "/a/b"]).assert().success().stdout("no newline");
    env.config(&["set", "/a/nl", "with newline\n"]).assert().success();
    env.config(&["get", "a/nl/"]).assert().success().stdout("with newline\n");
}

#[test]
fn get_missing_key_exits_4_with_one_line() {
    let env = Env::new();
    let out = env.config(&["get", "/missing"]).assert().code(4).stdout("").get_output().stderr.clone();
    let err = String::from_utf8(out).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/missing"), "{err}");
}

#[test]
fn get_json_and_yaml_carry_key_value_and_revision() {
    let env = Env::new();
    env.set("/j", "text");
    let rev = env.revision("/j");
    env.config(&["get", "-o", "json", "/j"])
        .assert()
        .success()
        .stdout(format!("{{\"key\":\"/j\",\"value\":\"text\",\"revision\":{rev}}}\n"));
    env.config(&["get", "-o", "yaml", "/j"])
        .assert()
        .success()
        .stdout(format!("key: /j\nvalue: text\nrevision: {rev}\n"));
}

#[test]
fn binary_values_come_as_base64_in_json_and_raw_in_plain() {
    let env = Env::new();
    let bin = env.path().join("bin");
    std::fs::write(&bin, [0xffu8, 0x00, 0xfe, b'\n']).unwrap();
    env.config(&["set", "/bin", "--file", bin.to_str().unwrap()]).assert().success();
    env.config(&["get", "/bin"]).assert().success().stdout(predicate::eq(&[0xffu8, 0x00, 0xfe, b'\n'][..]));
    env.config(&["get", "-o", "json", "/bin"]).assert().success().stdout(contains("\"value_base64\":\"/wD+Cg==\""));
}

#[test]
fn set_reads_stdin_with_dash() {
    let env = Env::new();
    env.config(&["set", "/in", "-"]).write_stdin("from stdin\n").assert().success();
    assert_eq!(env.get("/in"), b"from stdin\n");
}

#[test]
fn set_without_a_value_is_a_usage_error() {
    let env = Env::new();
    env.config(&["set", "/x"]).assert().code(2).stderr(contains("no value"));
    env.config(&["set", "/x", "v", "--file", "/etc/hostname"]).assert().code(2);
    env.config(&["set", "/", "v"]).assert().code(2).stderr(contains("prefix, not a key"));
    env.config(&["get", "/x"]).assert().code(4);
}

#[test]
fn list_shows_children_and_recursive_keys_sorted() {
    let env = Env::new();
    for k in ["/ovs/framework/hosts/h1/ip", "/ovs/framework/hosts/h2/ip", "/ovs/framework/memcache", "/ovs/frameworkx"] {
        env.set(k, "v");
    }
    env.config(&["list", "/ovs"]).assert().success().stdout("framework/\nframeworkx\n");
    env.config(&["list", "/ovs/framework"]).assert().success().stdout("hosts/\nmemcache\n");
    env.config(&["list"]).assert().success().stdout("ovs/\n");
    let all = "/ovs/framework/hosts/h1/ip\n/ovs/framework/hosts/h2/ip\n/ovs/framework/memcache\n";
    env.config(&["list", "-r", "/ovs/framework"]).assert().success().stdout(all);
    env.config(&["list-recursive", "/ovs/framework"]).assert().success().stdout(all);
    env.config(&["list", "-o", "json", "/ovs/framework"]).assert().success().stdout("[\"hosts/\",\"memcache\"]\n");
    env.config(&["list", "-o", "yaml", "/ovs/framework"]).assert().success().stdout("- hosts/\n- memcache\n");
    env.config(&["list", "-o", "json", "/empty"]).assert().success().stdout("[]\n");
}

#[test]
fn if_absent_creates_once() {
    let env = Env::new();
    env.config(&["set", "--if-absent", "/once", "1"]).assert().success();
    env.config(&["set", "--if-absent", "/once", "2"]).assert().code(5).stderr(contains("conflict"));
    assert_eq!(env.get("/once"), b"1");
}

#[test]
fn if_revision_writes_only_at_that_revision() {
    let env = Env::new();
    env.set("/r", "1");
    let rev = env.revision("/r");
    env.config(&["set", "/r", "2", "--if-revision", &rev.to_string()]).assert().success();
    env.config(&["set", "/r", "3", "--if-revision", &rev.to_string()]).assert().code(5);
    assert_eq!(env.get("/r"), b"2");
    env.config(&["set", "/r", "4", "--if-revision", "x"]).assert().code(2);
}

#[test]
fn dry_run_validates_and_writes_nothing() {
    let env = Env::new();
    env.config(&["set", "--dry-run", CELERY_KEY, GOOD_SCHEDULE])
        .assert()
        .success()
        .stderr(contains("dry run").and(contains("valid celery schedule")));
    env.config(&["get", CELERY_KEY]).assert().code(4);
    env.config(&["set", "--dry-run", CELERY_KEY, BAD_SCHEDULE]).assert().code(3);
    env.set("/d", "1");
    env.config(&["set", "--dry-run", "--if-absent", "/d", "2"]).assert().code(5);
    assert_eq!(env.get("/d"), b"1");
}

#[test]
fn celery_schedule_is_validated_on_set() {
    let env = Env::new();
    env.config(&["set", CELERY_KEY, GOOD_SCHEDULE]).assert().success();
    env.config(&["set", CELERY_KEY, BAD_SCHEDULE])
        .assert()
        .code(3)
        .stderr(contains(r#"celery schedule: task "ovs.generic.execute_scrub": minute "61""#));
    assert_eq!(env.get(CELERY_KEY), GOOD_SCHEDULE.as_bytes());
    env.config(&["set", CELERY_KEY, "not json"]).assert().code(3).stderr(contains("not valid JSON"));
}

#[test]
fn validate_checks_without_writing() {
    let env = Env::new();
    env.config(&["validate", CELERY_KEY, GOOD_SCHEDULE]).assert().success();
    env.config(&["validate", CELERY_KEY, BAD_SCHEDULE]).assert().code(3);
    env.config(&["validate", CELERY_KEY, "-"]).write_stdin(BAD_SCHEDULE).assert().code(3);
    env.config(&["get", CELERY_KEY]).assert().code(4);
    // Without a value, the stored one is checked.
    env.config(&["validate", CELERY_KEY]).assert().code(4);
    env.set(CELERY_KEY, GOOD_SCHEDULE);
    env.config(&["validate", CELERY_KEY]).assert().success().stderr(contains("stored value is a valid"));
    env.config(&["validate", "/other", "anything"]).assert().success().stderr(contains("no validator"));
}

#[test]
fn delete_one_key() {
    let env = Env::new();
    env.set("/del", "1");
    env.config(&["delete", "/del"]).assert().success();
    env.config(&["get", "/del"]).assert().code(4);
    env.config(&["delete", "/del"]).assert().code(4);
}

#[test]
fn delete_with_stale_revision_is_a_conflict() {
    let env = Env::new();
    env.set("/del", "1");
    let old = env.revision("/del");
    env.set("/del", "2");
    env.config(&["delete", "/del", "--if-revision", &old.to_string()]).assert().code(5);
    assert_eq!(env.get("/del"), b"2");
}

#[test]
fn recursive_delete_needs_yes_off_a_terminal_and_keeps_the_boundary() {
    let env = Env::new();
    for k in ["/foo", "/foo/a", "/foo/b/c", "/foobar"] {
        env.set(k, "v");
    }
    env.config(&["delete", "-r", "/foo"]).assert().code(2).stderr(contains("--yes"));
    assert_eq!(env.get("/foo/a"), b"v");
    env.config(&["delete", "-r", "--yes", "/foo"]).assert().success().stderr(contains("deleted 3"));
    env.config(&["list", "-r", "/"]).assert().success().stdout("/foobar\n");
    env.config(&["delete", "-r", "--yes", "/foo"]).assert().code(4);
    env.config(&["delete", "-r", "--if-revision", "1", "/foobar"]).assert().code(2);
}

#[test]
fn bad_keys_and_urls_are_usage_errors() {
    let env = Env::new();
    for bad in ["/a//b", "/a/../b", "/a/./b", "", "/a\u{7}"] {
        env.config(&["get", bad]).assert().code(2).stderr(contains("invalid key"));
    }
    for url in ["nope", "dir://relative", "ftp://x", "etcd://127.0.0.1:1"] {
        env.ovs().args(["--store", url, "config", "list"]).assert().code(2).stderr(contains("store URL"));
    }
    env.ovs().args(["--timeout", "0", "config", "list"]).assert().code(2);
    env.ovs().args(["config", "frobnicate"]).assert().code(2);
}

#[test]
fn stores_lists_the_directory_store() {
    let env = Env::new();
    env.config(&["stores"]).assert().success().stdout(contains("dir:///"));
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
fn quiet_silences_notes() {
    let env = Env::new();
    env.config(&["set", "/q", "v"]).assert().success().stderr(contains("written at revision"));
    env.config(&["-q", "set", "/q", "w"]).assert().success().stderr("");
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let env = Env::new();
    env.config(&["set", "/big", "-"]).write_stdin("x".repeat(4 << 20)).assert().success();
    let script = format!("set -o pipefail; {} config get /big | head -c 1 >/dev/null", assert_cmd::cargo::cargo_bin("ovs").display());
    std::process::Command::new("bash")
        .args(["-c", &script])
        .env("OVS_CONFIG_STORE", &env.store_url)
        .status()
        .map(|s| assert!(s.success(), "{s}"))
        .unwrap();
}
