//! Reads don't pay for validators: the registry is built only by the
//! commands that write or validate, so a declared schema that cannot be
//! built (here: a broken file) stops those and nothing else.

mod util;

use predicates::str::contains;
use util::Env;

/// An env whose config file declares a json-schema validator for
/// `/data/**` whose schema file does not parse, over a store that already
/// holds `/data/a` and `/other` (written without the config file).
fn with_broken_schema() -> Env {
    let env = Env::new();
    for (key, value) in [("/data/a", r#"{"size": 1}"#), ("/other", "x")] {
        env.config(&["set", key, value]).env("OVS_CONFIG_FILE", "/dev/null").assert().success();
    }
    let dir = env.path().join(".config/ovs");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("broken.json"), "{\"type\": ").unwrap();
    std::fs::write(
        dir.join("config.yaml"),
        "validators:\n  - {pattern: '/data/**', kind: json-schema, schema: broken.json}\n",
    )
    .unwrap();
    env
}

#[test]
fn reads_succeed_while_a_declared_schema_is_broken() {
    let env = with_broken_schema();
    env.config(&["get", "/data/a"]).assert().success().stdout(r#"{"size": 1}"#);
    env.config(&["get", "--field", "/size", "/data/a"]).assert().success().stdout("1\n");
    env.config(&["list", "/data"]).assert().success().stdout(contains("a"));
    env.config(&["list", "-r", "/"]).assert().success().stdout(contains("/other"));
    let export = env.config(&["export", "/data"]).assert().success().get_output().stdout.clone();
    let doc = env.path().join("data.yaml");
    std::fs::write(&doc, &export).unwrap();
    env.config(&["diff", "--exit-code", doc.to_str().unwrap()]).assert().success();
    env.config(&["--timeout", "300ms", "watch", "/data"]).assert().success();
    env.config(&["compare", &env.store_url, &env.store_url]).assert().success();
}

#[test]
fn writes_and_validate_report_the_broken_schema_and_write_nothing() {
    let env = with_broken_schema();
    for args in [
        &["set", "/data/a", r#"{"size": 2}"#][..],
        &["set", "/data/b", "{}"],
        &["set", "--field", "/size", "/data/a", "3"],
        &["validate", "/data/a"],
    ] {
        let out = env.config(args).assert().code(2).get_output().clone();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("config.yaml: validator 1 (json-schema /data/**)") && err.contains("broken.json"),
            "{args:?}: {err}"
        );
    }
    // Fail closed: while a declared validator cannot be built, no write
    // goes through, whichever key it is for.
    env.config(&["set", "/other", "y"]).assert().code(2).stderr(contains("broken.json"));
    env.config(&["get", "/data/a"]).assert().success().stdout(r#"{"size": 1}"#);
    env.config(&["get", "/data/b"]).assert().code(4);
    env.config(&["get", "/other"]).assert().success().stdout("x");
}
