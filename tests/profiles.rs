//! The config file: where it is found, profiles and their precedence
//! (flags > environment > profile > built-in default), its errors, and the
//! validators it declares, on every write path; last, the issue's case on a
//! real etcd with TLS and a password file.

mod util;

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use predicates::str::contains;
use util::etcd::EtcdCluster;
use util::{dir_url, user_config, Env};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// `ovs config ARGS` with no store from the environment: the profile decides.
fn bare(env: &Env, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = env.config(args);
    cmd.env_remove("OVS_CONFIG_STORE");
    cmd
}

/// The value at `key` in the directory store `name`, or None.
fn read_in(env: &Env, name: &str, key: &str) -> Option<String> {
    let out = env.config(&["get", key]).env("OVS_CONFIG_STORE", dir_url(env, name)).output().unwrap();
    out.status.success().then(|| String::from_utf8(out.stdout).unwrap())
}

#[test]
fn store_precedence_is_flag_then_environment_then_profile_then_default() {
    let env = Env::new();
    user_config(
        &env,
        &format!(
            "default_profile: a\nprofiles:\n  a:\n    store: {}\n  b:\n    stores: [{}, {}]\n",
            dir_url(&env, "a"),
            dir_url(&env, "b1"),
            dir_url(&env, "b2")
        ),
    );
    bare(&env, &["set", "/k", "profile"]).assert().success();
    assert_eq!(read_in(&env, "a", "/k").as_deref(), Some("profile"));
    // Another profile by flag and by environment; several stores are a fan-out.
    bare(&env, &["--profile", "b", "set", "/k", "b-flag"]).assert().success();
    bare(&env, &["set", "/k2", "b-env"]).env("OVS_CONFIG_PROFILE", "b").assert().success();
    for store in ["b1", "b2"] {
        assert_eq!(read_in(&env, store, "/k").as_deref(), Some("b-flag"));
        assert_eq!(read_in(&env, store, "/k2").as_deref(), Some("b-env"));
    }
    // The environment's store beats the profile's; the flag beats both.
    bare(&env, &["set", "/k", "env"]).env("OVS_CONFIG_STORE", dir_url(&env, "e")).assert().success();
    assert_eq!(read_in(&env, "e", "/k").as_deref(), Some("env"));
    bare(&env, &["--store", &dir_url(&env, "f"), "set", "/k", "flag"])
        .env("OVS_CONFIG_STORE", dir_url(&env, "e"))
        .assert()
        .success();
    assert_eq!(read_in(&env, "f", "/k").as_deref(), Some("flag"));
    assert_eq!(read_in(&env, "e", "/k").as_deref(), Some("env"));
    assert_eq!(read_in(&env, "a", "/k").as_deref(), Some("profile"));
    // No config file at all: the built-in default store.
    std::fs::remove_file(env.path().join(".config/ovs/config.yaml")).unwrap();
    bare(&env, &["set", "/k", "default"]).assert().success();
    let default = format!("dir://{}", env.path().join(".local/share/ovs-config").display());
    env.config(&["get", "/k"]).env("OVS_CONFIG_STORE", default).assert().success().stdout("default");
}

#[test]
fn the_config_file_is_found_by_flag_environment_and_xdg() {
    let env = Env::new();
    let config = |name: &str| format!("default_profile: p\nprofiles:\n  p:\n    store: {}\n", dir_url(&env, name));
    let write = |file: &str, text: String| {
        let path = env.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    };
    user_config(&env, &config("home"));
    let xdg = write("xdg/ovs/config.yaml", config("xdg"));
    let by_env = write("env.yaml", config("by-env"));
    let by_flag = write("flag.yaml", config("by-flag"));
    bare(&env, &["set", "/k", "1"]).assert().success();
    bare(&env, &["set", "/k", "2"]).env("XDG_CONFIG_HOME", xdg.parent().unwrap().parent().unwrap()).assert().success();
    bare(&env, &["set", "/k", "3"]).env("OVS_CONFIG_FILE", &by_env).assert().success();
    bare(&env, &["set", "/k", "4"]).arg("--config").arg(&by_flag).env("OVS_CONFIG_FILE", &by_env).assert().success();
    for (store, value) in [("home", "1"), ("xdg", "2"), ("by-env", "3"), ("by-flag", "4")] {
        assert_eq!(read_in(&env, store, "/k").as_deref(), Some(value), "{store}");
    }
    // A file named explicitly must exist; one looked for need not.
    let missing = env.path().join("missing.yaml");
    bare(&env, &["get", "/k"]).arg("--config").arg(&missing).assert().code(2).stderr(contains("missing.yaml"));
    bare(&env, &["get", "/k"]).env("OVS_CONFIG_FILE", &missing).assert().code(2).stderr(contains("missing.yaml"));
    std::fs::remove_file(env.path().join(".config/ovs/config.yaml")).unwrap();
    env.config(&["get", "/k"]).assert().code(4);
    env.config(&["--profile", "p", "get", "/k"]).assert().code(2).stderr(contains("needs a config file"));
}

#[test]
fn a_bad_config_file_is_exit_2_naming_the_file_the_line_and_the_fault() {
    let env = Env::new();
    let cases = [
        ("profiles:\n  a:\n    store: dir:///x\n    stroes: [dir:///y]\n", "line 4", "stroes"),
        ("profiles:\n  a:\n    store: [unclosed\n", "line", "config.yaml"),
        ("profiles:\n  a:\n    store: dir:///x\n    timeout: soon\n", "line 4", "timeout"),
        ("profiles:\n  a:\n    store: dir:///x\ndefault_profile: b\n", "line 4", "default_profile \"b\""),
        ("validators:\n  - pattern: /a\n    kind: xml\n", "line 3", "xml"),
        ("profile:\n  a: {}\n", "line 1", "profile"),
    ];
    for (text, line, fault) in cases {
        let path = user_config(&env, text);
        let out = env.config(&["get", "/k"]).assert().code(2).get_output().clone();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.lines().count() == 1, "{text}: {err}");
        assert!(
            err.contains(&path.display().to_string()) && err.contains(line) && err.contains(fault),
            "{text}: {err}"
        );
    }
    user_config(&env, "profiles:\n  a:\n    store: dir:///x\n");
    env.config(&["--profile", "nope", "get", "/k"])
        .assert()
        .code(2)
        .stderr(contains("no profile \"nope\"").and(contains("(it has: a)")));
}

#[test]
fn a_password_in_the_file_is_refused_and_never_printed() {
    let env = Env::new();
    user_config(&env, "profiles:\n  a:\n    store: etcd://127.0.0.1:1\n    user: ovs\n    password: hunter2\n");
    let out = env.config(&["get", "/k"]).assert().code(2).get_output().clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 5") && err.contains("password_file") && !err.contains("hunter2"), "{err}");
}

#[test]
fn profiles_are_listed_with_where_secrets_live_never_the_secrets() {
    let env = Env::new();
    std::fs::write(env.path().join("pw"), "s3cret-pw\n").unwrap();
    user_config(
        &env,
        "default_profile: local
profiles:
  local:
    store: dir:///var/lib/ovs-config
  cluster:
    stores: [etcds://10.0.0.1:2379, 'zk://10.0.0.1:2181/ovs']
    timeout: 2.5
    cacert: ca.pem
    user: ovs
    password_file: ../../pw
",
    );
    let out = env.config(&["profiles", "-o", "json"]).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("s3cret"), "{text}");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let config_dir = env.path().join(".config/ovs");
    assert_eq!(
        doc,
        serde_json::json!([
            {"name": "cluster", "default": false, "active": false,
             "stores": ["etcds://10.0.0.1:2379", "zk://10.0.0.1:2181/ovs"], "timeout_seconds": 2.5, "user": "ovs",
             "cacert": config_dir.join("ca.pem").display().to_string(), "cert": null, "key": null,
             "password_file": config_dir.join("../../pw").display().to_string()},
            {"name": "local", "default": true, "active": true, "stores": ["dir:///var/lib/ovs-config"],
             "timeout_seconds": null, "user": null, "cacert": null, "cert": null, "key": null, "password_file": null},
        ])
    );
    // Listed even though the profile's CA file does not exist: nothing is opened.
    let out = env.config(&["--profile", "cluster", "profiles"]).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("> cluster  etcds://10.0.0.1:2379 zk://10.0.0.1:2181/ovs  timeout=2.5s user=ovs"),
        "{text}"
    );
    assert!(text.contains("\n* local  dir:///var/lib/ovs-config\n") && !text.contains("s3cret"), "{text}");
    // Used, the missing CA is a usage error naming the profile.
    env.config(&["--profile", "cluster", "get", "/k"]).assert().code(2).stderr(contains("cacert of profile cluster"));
}

/// An env whose config file declares `validators` (YAML list items).
fn with_validators(validators: &str) -> Env {
    let env = Env::new();
    user_config(&env, &format!("validators:\n{validators}"));
    env
}

/// `set KEY VALUE` is refused with exit 3, naming `wanted`, and nothing is written.
fn refused(env: &Env, key: &str, value: &str, wanted: &[&str]) {
    let before = env.config(&["get", key]).output().unwrap();
    let out = env.config(&["set", key, value]).assert().code(3).get_output().clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.lines().count() == 1 && err.contains(key) && err.contains("nothing was written"), "{err}");
    for w in wanted {
        assert!(err.contains(w), "{value}: wanted {w:?} in {err}");
    }
    let after = env.config(&["get", key]).output().unwrap();
    assert_eq!((after.status.code(), after.stdout), (before.status.code(), before.stdout), "{key} changed");
}

#[test]
fn json_and_yaml_values_must_parse_where_declared() {
    let env = with_validators("  - {pattern: /app/*.json, kind: json}\n  - {pattern: '/app/**/*.yaml', kind: yaml}\n");
    env.set("/app/a.json", r#"{"a": [1, 2]}"#);
    refused(&env, "/app/b.json", "{\n  \"a\": [1, 2\n}", &["json", "not valid JSON", "line 3 column 1"]);
    env.set("/app/x/y/c.yaml", "a: [1, 2]\n");
    refused(&env, "/app/x/d.yaml", "a: [1, 2\nb: c\n", &["yaml", "not valid YAML", "line"]);
    // Outside the patterns (segment by segment), anything goes.
    env.set("/app/sub/e.json", "{not json");
    env.set("/apps/f.json", "{not json");
    env.set("/app2/g.yaml", "[unclosed");
}

#[test]
fn a_json_schema_names_the_path_inside_the_value_for_json_and_yaml() {
    let schema = examples().join("flocker-dataset.schema.json");
    let env = with_validators(&format!(
        "  - pattern: /flocker/**\n    kind: json-schema\n    schema: {}\n",
        schema.display()
    ));
    env.set("/flocker/n1/dataset", r#"{"dataset": {"backend": "zfs", "pool": "tank"}}"#);
    env.set("/flocker/n2/dataset", "dataset:\n  backend: zfs\n  pool: flocker-pool.1\n");
    env.set("/flocker/n3/dataset", "dataset:\n  backend: aws\n  region: us-east-1\n");
    refused(
        &env,
        "/flocker/n4/dataset",
        "dataset:\n  backend: btrfs\n",
        &["json-schema", "at /dataset/backend", "btrfs"],
    );
    refused(&env, "/flocker/n4/dataset", r#"{"dataset": {"backend": "zfs", "pool": "mirror"}}"#, &["at /dataset/pool"]);
    refused(&env, "/flocker/n4/dataset", r#"{"dataset": {"backend": "zfs", "pool": "9tank"}}"#, &["at /dataset/pool"]);
    refused(&env, "/flocker/n4/dataset", r#"{"dataset": {"backend": "zfs", "pool": "log"}}"#, &["at /dataset/pool"]);
    refused(&env, "/flocker/n4/dataset", r#"{"dataset": {"backend": "zfs"}}"#, &["at /dataset", "pool"]);
    refused(&env, "/flocker/n4/dataset", "[not: a mapping", &["neither JSON", "nor YAML"]);
    // `validate` runs the same registry without writing.
    env.config(&["validate", "/flocker/n4/dataset", "dataset: {backend: zfs, pool: raidz2}"])
        .assert()
        .code(3)
        .stderr(contains("at /dataset/pool"));
    env.config(&["validate", "/flocker/n4/dataset", "dataset: {backend: zfs, pool: tank}"])
        .assert()
        .success()
        .stderr(contains("valid json-schema"));
}

#[test]
fn a_regex_must_match_the_whole_value() {
    let env = with_validators("  - {pattern: /ovs/framework/memcache, kind: regex, regex: '[0-9.]+:[0-9]+'}\n");
    env.set("/ovs/framework/memcache", "127.0.0.1:11211");
    refused(&env, "/ovs/framework/memcache", "127.0.0.1:11211 ", &["regex", "does not match"]);
}

#[test]
fn a_celery_rule_can_be_declared_for_other_keys() {
    let env = with_validators("  - {pattern: /ovs/staging/**/celery, kind: celery}\n");
    env.set("/ovs/staging/a/celery", util::GOOD_SCHEDULE);
    refused(&env, "/ovs/staging/a/celery", util::BAD_SCHEDULE, &["celery schedule", "minute \"61\""]);
}

#[test]
fn a_command_gets_the_key_and_the_value_and_its_stderr_is_the_reason() {
    let env = with_validators(&format!(
        "  - pattern: /flocker/**\n    kind: command\n    command: [{}]\n",
        examples().join("check-pool.sh").display()
    ));
    let pools = |cmd: &mut assert_cmd::Command| {
        cmd.env("OVS_NODE_POOLS", "tank, flocker");
    };
    let mut ok = env.config(&["set", "/flocker/n1", "dataset: {backend: zfs, pool: flocker}"]);
    pools(&mut ok);
    ok.assert().success();
    let mut bad = env.config(&["set", "/flocker/n2", r#"{"dataset": {"backend": "zfs", "pool": "tank2"}}"#]);
    pools(&mut bad);
    let out = bad.assert().code(3).get_output().clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/flocker/n2: command ")
            && err.contains("no node has a pool named tank2 (they have: tank flocker)"),
        "{err}"
    );
    env.config(&["get", "/flocker/n2"]).assert().code(4);
    // The pools from a file; a control character in the reason is escaped.
    std::fs::write(env.path().join("pools"), "tank\n").unwrap();
    env.config(&["set", "/flocker/n3", "dataset: {backend: zfs, pool: tank}"])
        .env("OVS_NODE_POOLS_FILE", env.path().join("pools"))
        .assert()
        .success();
    let env = with_validators(
        "  - {pattern: /x, kind: command, command: 'printf \"bad\\033[2J %s\\n\" \"$1\" >&2; exit 1'}\n",
    );
    env.config(&["set", "/x", "v"]).assert().code(3).stderr(contains("bad\\u{001b}[2J /x"));
}

#[test]
fn a_command_past_the_timeout_is_killed_and_the_value_refused() {
    let env = with_validators("  - {pattern: /slow, kind: command, command: 'sleep 30'}\n");
    env.config(&["set", "/slow", "v", "--timeout", "300ms"])
        .assert()
        .code(3)
        .stderr(contains("no answer within 300ms"));
    env.config(&["get", "/slow"]).assert().code(4);
    // The profile's timeout bounds it when no flag does; the flag beats it.
    user_config(
        &env,
        "default_profile: p\nprofiles:\n  p:\n    timeout: 200ms\nvalidators:\n  - {pattern: /slow, kind: command, command: 'sleep 30'}\n",
    );
    env.config(&["set", "/slow", "v"]).assert().code(3).stderr(contains("no answer within 200ms"));
    env.config(&["set", "/slow", "v", "--timeout", "0.1"]).assert().code(3).stderr(contains("no answer within 100ms"));
}

#[test]
fn every_write_path_runs_the_declared_validators() {
    let env = with_validators("  - {pattern: /app/*.json, kind: json}\n");
    let doc = "ovs-config: 1\nprefix: /app\nkeys:\n  good.json: '{}'\n  bad.json: '{'\n";
    let file = env.path().join("doc.yaml");
    std::fs::write(&file, doc).unwrap();
    let file = file.to_str().unwrap();
    env.config(&["import", file]).assert().code(3).stderr(contains("/app/bad.json: json"));
    env.config(&["apply", "--yes", file]).assert().code(3).stderr(contains("/app/bad.json: json"));
    env.config(&["get", "/app/good.json"]).assert().code(4);
    let editor = env.editor("ed.sh", r#"printf '{' > "$1""#);
    env.config(&["edit", "/app/e.json"]).env("EDITOR", editor).assert().code(3);
    env.config(&["get", "/app/e.json"]).assert().code(4);
    // A copy from another store is checked against this store's rules too.
    let other = dir_url(&env, "other");
    env.config(&["set", "/app/c.json", "{"])
        .env("OVS_CONFIG_STORE", &other)
        .env("OVS_CONFIG_FILE", "/dev/null")
        .assert()
        .success();
    env.config(&["copy", &other, &env.store_url]).assert().code(3).stderr(contains("/app/c.json"));
    env.config(&["get", "/app/c.json"]).assert().code(4);
}

#[test]
fn a_bad_validator_declaration_is_exit_2_naming_the_file_and_the_validator() {
    for (decl, fault) in [
        ("{pattern: /a, kind: regex, regex: '(unclosed'}", "bad regex"),
        ("{pattern: /a, kind: json-schema, schema: nowhere.json}", "cannot read the schema"),
        ("{pattern: /a, kind: json-schema, schema: {type: 7}}", "not a valid schema"),
        ("{pattern: a/*, kind: json}", "must start with /"),
        ("{pattern: /a, kind: json, regex: x}", "does not go with kind json"),
    ] {
        let env = with_validators(&format!("  - {{pattern: /ok, kind: json}}\n  - {decl}\n"));
        // A write builds the validators (a read does not: tests/lazy_validators.rs).
        let out = env.config(&["set", "/a", "1"]).assert().code(2).get_output().clone();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("config.yaml: validator 2 (") && err.contains(fault), "{decl}: {err}");
    }
}

#[test]
fn validators_lists_what_applies_to_a_key_or_every_rule() {
    let env = with_validators("  - {pattern: '/app/**', kind: yaml}\n  - {pattern: /app/*.json, kind: json}\n");
    let source = env.path().join(".config/ovs/config.yaml").display().to_string();
    let out = env.config(&["validators"]).assert().success().get_output().stdout.clone();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!(
            "/ovs/framework/scheduling/celery  celery schedule  (built in)\n/app/**  yaml  ({source})\n/app/*.json  json  ({source})\n"
        )
    );
    let out = env.config(&["validators", "-o", "json", "/app/x.json"]).assert().success().get_output().stdout.clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        doc,
        serde_json::json!([
            {"pattern": "/app/**", "kind": "yaml", "validator": "yaml", "source": source},
            {"pattern": "/app/*.json", "kind": "json", "validator": "json", "source": source},
        ])
    );
    env.config(&["validators", "/elsewhere"]).assert().success().stdout("").stderr(contains("no validator applies"));
}

#[test]
fn the_example_config_file_reads_its_schema_and_script_from_its_own_folder() {
    let env = Env::new();
    let config = examples().join("config.yaml");
    let set = |key: &str, value: &str| {
        let mut cmd = env.config(&["set", key, value]);
        cmd.arg("--config").arg(&config).env("OVS_NODE_POOLS", "tank");
        cmd
    };
    set("/flocker/n1", "dataset: {backend: zfs, pool: tank}").assert().success();
    set("/flocker/n2", "dataset: {backend: zfs, pool: spare1}").assert().code(3).stderr(contains("at /dataset/pool"));
    set("/flocker/n2", "dataset: {backend: zfs, pool: other}").assert().code(3).stderr(contains("check-pool.sh"));
    set("/ovs/vpools/p1/config", "{").assert().code(3);
    set("/ovs/framework/memcache", "10.0.0.5:11211").assert().success();
}

/// The issue's "done when": a profile for etcd with TLS and a password file,
/// and a validator for /flocker/** using the ZFS dataset schema.
#[test]
fn a_tls_and_password_profile_on_etcd_with_the_dataset_schema() {
    let Some(etcd) = EtcdCluster::start_tls() else { return };
    for args in [&["user", "add", "root:s3cret-pw"][..], &["auth", "enable"]] {
        let out = etcd.etcdctl().args(args).output().unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let tls = etcd.tls.clone().unwrap();
    let env = Env::with_store(String::new(), Box::new(()));
    std::fs::write(env.path().join(".password"), "s3cret-pw\n").unwrap();
    let path = |p: &Option<PathBuf>| p.as_ref().unwrap().display().to_string();
    user_config(
        &env,
        &format!(
            "default_profile: flocker
profiles:
  flocker:
    store: etcds://{}/site
    timeout: 10
    cacert: {}
    cert: {}
    key: {}
    user: root
    password_file: ../../.password
validators:
  - pattern: /flocker/**
    kind: json-schema
    schema: {}
",
            etcd.endpoints(),
            path(&tls.ca),
            path(&tls.cert),
            path(&tls.key),
            examples().join("flocker-dataset.schema.json").display()
        ),
    );
    let out = bare(&env, &["set", "/flocker/node1/dataset", "dataset:\n  backend: zfs\n  pool: '-tank'\n"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/flocker/node1/dataset: json-schema") && err.contains("at /dataset/pool"), "{err}");
    bare(&env, &["get", "/flocker/node1/dataset"]).assert().code(4);
    bare(&env, &["set", "/flocker/node1/dataset", "dataset:\n  backend: zfs\n  pool: tank\n"]).assert().success();
    let out = etcd
        .etcdctl()
        .args(["--user", "root:s3cret-pw", "get", "/site/flocker/node1/dataset", "--print-value-only"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "dataset:\n  backend: zfs\n  pool: tank\n\n");
    // The user: the environment's beats the profile's, the flag beats both.
    bare(&env, &["get", "/flocker/node1/dataset"]).env("OVS_CONFIG_USER", "nobody").assert().code(8);
    bare(&env, &["--user", "root", "get", "/flocker/node1/dataset"])
        .env("OVS_CONFIG_USER", "nobody")
        .assert()
        .success();
    // The password: $OVS_CONFIG_PASSWORD beats the profile's file, never printed.
    let out = bare(&env, &["get", "/flocker/node1/dataset"])
        .env("OVS_CONFIG_PASSWORD", "wrong-pw")
        .assert()
        .code(8)
        .get_output()
        .clone();
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!all.contains("wrong-pw") && !all.contains("s3cret-pw"), "{all}");
    // Without the profile's TLS files, the server is not trusted.
    bare(&env, &["get", "/flocker/node1/dataset"])
        .env("OVS_CONFIG_FILE", "/dev/null")
        .env("OVS_CONFIG_STORE", format!("etcds://{}/site", etcd.endpoints()))
        .args(["--timeout", "2", "--user", "root"])
        .env("OVS_CONFIG_PASSWORD", "s3cret-pw")
        .assert()
        .failure();
}
