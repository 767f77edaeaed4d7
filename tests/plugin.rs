//! Stores as plugins: the example plugin (examples/ovs-store-jsonfile)
//! passes `ovs config conformance`; one that breaks the contract fails it;
//! plugins that crash, print garbage, hang or answer out of protocol give
//! one escaped line and the right exit code, and no password shows.

mod util;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use util::Env;

/// An env whose PATH finds the example plugins and those in its own dir.
fn plugin_env(url: &str) -> Env {
    let mut env = Env::new();
    env.store_url = url.replace("TMP", &env.path().display().to_string());
    env
}

fn examples() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").display().to_string()
}

/// `ovs config ARGS` with the env's dir and examples/ first on PATH.
fn ovs(env: &Env, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = env.config(args);
    let path = format!("{}:{}:{}", env.path().display(), examples(), std::env::var("PATH").unwrap_or_default());
    // A hung plugin must make ovs give up, never the test wait for ever.
    cmd.env("PATH", path).timeout(Duration::from_secs(60));
    cmd
}

/// Write an executable `ovs-store-NAME` into the env's dir.
fn plugin(env: &Env, name: &str, body: &str) {
    let path = env.path().join(format!("ovs-store-{name}"));
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// The error line: one line, escaped (no control character but its newline).
fn one_line(assert: &assert_cmd::assert::Assert) -> String {
    let stderr = stderr_of(assert);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!stderr.trim_end().chars().any(char::is_control), "{stderr:?}");
    stderr
}

#[test]
fn the_example_plugin_passes_conformance() {
    let env = plugin_env("jsonfile://TMP/store.json");
    let out = ovs(&env, &["conformance"]).assert().success();
    let table = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for check in ovs_config::conformance::CHECKS {
        assert!(table.lines().any(|l| l.starts_with(check.name) && l.ends_with(" pass")), "{}: {table}", check.name);
    }
    let report = ovs(&env, &["conformance", "-o", "json"]).assert().success();
    let report: serde_json::Value = serde_json::from_slice(&report.get_output().stdout).unwrap();
    assert_eq!(report["failed"], 0, "{report}");
    assert_eq!(report["passed"], ovs_config::conformance::CHECKS.len(), "{report}");
    // Nothing is left behind.
    ovs(&env, &["list", "-r", "/"]).assert().success().stdout("");
}

#[test]
fn a_plugin_that_breaks_the_contract_fails_conformance_and_is_cleaned_up() {
    let env = plugin_env("sloppy://TMP/store.json");
    let example = std::fs::read_to_string(Path::new(&examples()).join("ovs-store-jsonfile")).unwrap();
    let strict = r#"raise Refused("not_found", "no such key", key=key)"#;
    assert!(example.contains(strict));
    // Deleting a missing key "succeeds".
    plugin(&env, "sloppy", &example.replace(strict, "continue"));
    ovs(&env, &["set", "/outside", "kept"]).assert().success();
    let out = ovs(&env, &["conformance", "-o", "json"]).assert().code(1);
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let failed: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["result"] == "fail")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(failed.contains(&"delete_missing_is_not_found"), "{report}");
    assert!(report["checks"][0]["result"] == "pass", "{report}");
    let stderr = stderr_of(&out);
    assert!(stderr.lines().last().unwrap().contains("checks failed"), "{stderr}");
    let left = ovs(&env, &["list", "-r", "/"]).assert().success();
    assert_eq!(left.get_output().stdout, b"/outside\n");
    ovs(&env, &["conformance"]).assert().code(1).stdout(contains("delete_missing_is_not_found").and(contains("FAIL")));
}

#[test]
fn conformance_refuses_a_prefix_that_holds_keys() {
    let env = plugin_env("jsonfile://TMP/store.json");
    ovs(&env, &["set", "/mine/k", "v"]).assert().success();
    let out = ovs(&env, &["conformance", "--prefix", "/mine"]).assert().code(2);
    assert!(one_line(&out).contains("not empty"));
    ovs(&env, &["get", "/mine/k"]).assert().success().stdout("v");
}

#[test]
fn an_unknown_scheme_names_the_plugin_it_looked_for() {
    let env = plugin_env("riak://h1:8087/ovs");
    let out = ovs(&env, &["get", "/a"]).assert().code(2);
    assert!(one_line(&out).contains("no built-in store and no ovs-store-riak on PATH"));
    let env = plugin_env("Bad_Scheme://x");
    ovs(&env, &["get", "/a"]).assert().code(2);
}

#[test]
fn a_plugin_others_can_write_is_refused_and_never_run() {
    let env = plugin_env("open://TMP/x");
    let ran = env.path().join("ran");
    plugin(&env, "open", &format!("#!/bin/sh\ntouch '{}'\n", ran.display()));
    let program = env.path().join("ovs-store-open");
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o777)).unwrap();
    let assert = ovs(&env, &["list", "/"]).assert().code(2);
    let err = one_line(&assert);
    assert!(
        err.contains("refusing the store plugin") && err.contains("ovs-store-open") && err.contains("0777"),
        "{err}"
    );
    assert!(!ran.exists(), "the plugin ran");
}

#[test]
fn a_plugin_that_exits_at_once_fails_with_its_last_words() {
    let env = plugin_env("quits://x");
    plugin(&env, "quits", "#!/bin/sh\necho 'starting' >&2\necho 'no cluster at \x1b[31mx' >&2\nexit 3\n");
    let out = ovs(&env, &["get", "/a"]).assert().code(1);
    let line = one_line(&out);
    assert!(line.contains("ovs-store-quits exited") && line.contains("no cluster at \\u{001b}[31mx"), "{line}");
}

#[test]
fn a_plugin_that_prints_garbage_fails_with_one_escaped_line() {
    let env = plugin_env("garbage://x");
    plugin(&env, "garbage", "#!/bin/sh\nread hello\nprintf 'Welcome!\\033[2J\\n'\nsleep 5\n");
    let out = ovs(&env, &["get", "/a"]).assert().code(1);
    let line = one_line(&out);
    assert!(line.contains("out of protocol") && line.contains("Welcome!\\u{001b}[2J"), "{line}");
}

#[test]
fn a_plugin_that_hangs_times_out() {
    let env = plugin_env("hangs://x");
    plugin(&env, "hangs", "#!/bin/sh\nread hello\nexec sleep 600\n");
    let out = ovs(&env, &["--timeout", "1", "get", "/a"]).assert().code(6);
    assert!(one_line(&out).contains("timed out"));
    // It answers the hello, then hangs on a request.
    let python = "#!/usr/bin/env python3\nimport sys, time\nsys.stdin.readline()\n\
        print('{\"ok\": true, \"version\": 1, \"capabilities\": {\"max_value_bytes\": 100}}', flush=True)\n\
        sys.stdin.readline()\ntime.sleep(600)\n";
    plugin(&env, "hangs", python);
    // Time enough for python to start and answer the hello on a busy machine.
    let out = ovs(&env, &["--timeout", "3", "list", "-r", "/"]).assert().code(6);
    assert!(one_line(&out).contains("waiting for ovs-store-hangs to answer keys"));
}

/// A plugin that answers every request with the error kind its URL names,
/// quoting the password it was given (as a careless plugin might), and
/// checks that the password is not in its environment.
const ERRORS: &str = r#"#!/usr/bin/env python3
import json, os, sys
hello = json.loads(sys.stdin.readline())
kind = hello["url"].split("://", 1)[1]
print(json.dumps({"ok": True, "version": 1, "capabilities": {"max_value_bytes": 1000}}), flush=True)
print("hello had password " + str(hello["options"]["password"]), file=sys.stderr, flush=True)
for line in sys.stdin:
    if "OVS_CONFIG_PASSWORD" in os.environ:
        kind = "leaked"
    error = {"kind": kind, "message": "denied for " + str(hello["options"]["password"]), "key": "/a", "limit": 10}
    print(json.dumps({"ok": False, "error": error}), flush=True)
"#;

#[test]
fn plugin_errors_map_to_exit_codes_and_the_password_never_shows() {
    let cases = [
        ("not_found", 4),
        ("conflict", 5),
        ("unreachable", 6),
        ("timeout", 6),
        ("invalid_key", 2),
        ("bad_option", 2),
        ("too_large", 2),
        ("corrupt", 1),
        ("denied", 8),
        ("backend", 1),
        ("no_such_kind", 1),
    ];
    for (kind, code) in cases {
        let env = plugin_env(&format!("errs://{kind}"));
        plugin(&env, "errs", ERRORS);
        for verbose in [false, true] {
            let mut cmd = ovs(&env, &["set", "/a", "v"]);
            cmd.env("OVS_CONFIG_USER", "ops").env("OVS_CONFIG_PASSWORD", "S3cretPw");
            if verbose {
                cmd.arg("-v");
            }
            let out = cmd.assert().code(code);
            let (stdout, stderr) = (&out.get_output().stdout, stderr_of(&out));
            assert!(!String::from_utf8_lossy(stdout).contains("S3cretPw"), "{kind}");
            assert!(!stderr.contains("S3cretPw") && !stderr.contains("leaked"), "{kind}: {stderr}");
            if verbose {
                // At -v the plugin's stderr is shown, the password hidden.
                assert!(stderr.contains("hello had password ***"), "{stderr}");
            } else {
                let line = one_line(&out);
                if kind == "no_such_kind" {
                    assert!(line.contains("unknown kind \"no_such_kind\""), "{line}");
                }
            }
        }
    }
}

/// The example plugin with one flaw: every listing also holds /x/outside,
/// a key below no prefix but the root (sorted after /p, so only the
/// prefix is wrong).
fn leaky(env: &Env) {
    let example = std::fs::read_to_string(Path::new(&examples()).join("ovs-store-jsonfile")).unwrap();
    let honest = r#"if k.startswith(start)"#;
    assert!(example.contains(honest));
    plugin(env, "leaky", &example.replace(honest, r#"if k.startswith(start) or k == "/x/outside""#));
}

#[test]
fn a_scan_that_returns_a_key_outside_its_prefix_is_refused_and_nothing_is_pruned() {
    let env = plugin_env("jsonfile://TMP/store.json");
    leaky(&env);
    ovs(&env, &["set", "/p/a", "old"]).assert().success();
    ovs(&env, &["set", "/x/outside", "kept"]).assert().success();
    let doc = env.path().join("p.yaml");
    std::fs::write(&doc, "ovs-config: 1\nprefix: /p\nkeys:\n  a: new\n").unwrap();
    let leaky_url = format!("leaky://{}/store.json", env.path().display());
    let out = ovs(&env, &["apply", "--prune", "--yes", doc.to_str().unwrap()])
        .env("OVS_CONFIG_STORE", &leaky_url)
        .assert()
        .code(1);
    let line = one_line(&out);
    assert!(line.contains("out of protocol") && line.contains("/x/outside") && line.contains("/p"), "{line}");
    // Read back through the honest plugin: nothing was written at all.
    ovs(&env, &["get", "/x/outside"]).assert().success().stdout("kept");
    ovs(&env, &["get", "/p/a"]).assert().success().stdout("old");
    let out = ovs(&env, &["list", "-r", "/p"]).env("OVS_CONFIG_STORE", &leaky_url).assert().code(1);
    assert!(one_line(&out).contains("/x/outside"));
}

/// A plugin whose answers break the protocol in the way its URL names
/// (`bad://MODE`); it declares values of at most 100 bytes.
const BAD: &str = r#"#!/usr/bin/env python3
import json, sys
hello = json.loads(sys.stdin.readline())
mode = hello["url"].split("://", 1)[1]
def send(obj):
    print(json.dumps(obj), flush=True)
send({"ok": True, "version": 1, "capabilities": {"max_value_bytes": 100}})
def entry(key, revision=1, text="v"):
    return {"key": key, "value": {"text": text}, "revision": revision}
ITEMS = {
    "keys-outside": ["/p/a", "/pq"],
    "keys-unsorted": ["/p/b", "/p/a"],
    "keys-twice": ["/p/a", "/p/a"],
    "keys-relative": ["p/a"],
    "children-deep": ["a/b"],
    "children-unsorted": ["b", "a"],
    "children-twice": ["a/", "a/"],
    "scan-outside": [entry("/p/a"), entry("/q/a")],
    "scan-unsorted": [entry("/p/b"), entry("/p/a")],
    "scan-revision-0": [entry("/p/a", revision=0)],
    "scan-too-big": [entry("/p/a", text="x" * 101)],
}
for line in sys.stdin:
    req = json.loads(line)
    if req["op"] == "get":
        if mode == "get-revision-0":
            send({"ok": True, "value": {"text": "v"}, "revision": 0})
        elif mode == "get-too-big":
            send({"ok": True, "value": {"base64": "eHh4" * 101}, "revision": 1})
        elif mode == "get-long-line":
            send({"ok": True, "value": {"text": "v"}, "revision": 1, "padding": "x" * (16 << 20)})
        else:
            send({"ok": False, "error": {"kind": "not_found", "key": req["key"]}})
    elif req["op"] in ("keys", "children", "scan"):
        for item in ITEMS.get(mode, []):
            send({"ok": True, "item": item})
        send({"ok": True, "end": True})
    else:
        send({"ok": False, "error": {"kind": "unsupported", "message": req["op"]}})
"#;

#[test]
fn answers_out_of_protocol_are_one_line_errors_whatever_the_request() {
    let cases: [(&str, &[&str], &str); 14] = [
        ("keys-outside", &["list", "-r", "/p"], "\"/pq\" is outside /p"),
        ("keys-unsorted", &["list", "-r", "/p"], "\"/p/a\" after \"/p/b\""),
        ("keys-twice", &["list", "-r", "/p"], "\"/p/a\" twice"),
        ("keys-relative", &["list", "-r", "/p"], "\"p/a\" is outside /p"),
        ("children-deep", &["list", "/p"], "\"a/b\" is not a child's name"),
        ("children-unsorted", &["list", "/p"], "\"a\" after \"b\""),
        ("children-twice", &["list", "/p"], "\"a/\" twice"),
        ("scan-outside", &["export", "/p"], "\"/q/a\" is outside /p"),
        ("scan-unsorted", &["export", "/p"], "\"/p/a\" after \"/p/b\""),
        ("scan-revision-0", &["export", "/p"], "revision 0"),
        ("scan-too-big", &["export", "/p"], "101 bytes"),
        ("get-revision-0", &["get", "/p/a"], "revision 0"),
        ("get-too-big", &["get", "/p/a"], "303 bytes"),
        ("get-long-line", &["get", "/p/a"], "a line over"),
    ];
    for (mode, args, wanted) in cases {
        let env = plugin_env(&format!("bad://{mode}"));
        plugin(&env, "bad", BAD);
        let out = ovs(&env, args).assert().code(1);
        let line = one_line(&out);
        assert!(line.contains("ovs-store-bad answered") && line.contains("out of protocol"), "{mode}: {line}");
        assert!(line.contains(wanted), "{mode}: {line}");
        assert!(line.len() < 1000, "{mode}: {} bytes", line.len());
        assert!(out.get_output().stdout.is_empty() || !mode.starts_with("get"), "{mode}");
    }
}
