//! Documents that must not be read as less than they are: a failed export,
//! a backup cut short at any byte, YAML's traps (`!!binary`, a byte-order
//! mark, nesting), Consul's folder keys, and a plan too long to print.

mod util;

use std::process::Command;

use util::etcd::{self, EtcdCluster};
use util::Env;

/// A store holding a little of everything a document writes differently:
/// plain text, several lines, a non-ASCII key and value, a control
/// character (escaped), and bytes that are not UTF-8 (base64).
fn varied(env: &Env) {
    env.set("/p/a", "x");
    env.set("/p/lines", "one\ntwo\n");
    env.set("/p/é", "ü\u{1}");
    let file = env.path().join("bin");
    std::fs::write(&file, b"\xff\x00").unwrap();
    env.config(&["set", "/p/bin", "--file", file.to_str().unwrap()]).assert().success();
}

/// `script` run by bash with the environment `env.ovs()` has.
fn bash(env: &Env, script: &str) -> std::process::Output {
    let mut cmd = Command::new("bash");
    for (name, value) in env.ovs_process().get_envs() {
        match value {
            Some(value) => cmd.env(name, value),
            None => cmd.env_remove(name),
        };
    }
    cmd.args(["-c", script]).output().unwrap()
}

fn export(env: &Env, args: &[&str]) -> Vec<u8> {
    env.config(&[&["export"], args].concat()).assert().success().get_output().stdout.clone()
}

/// Every key below `/` with its value, to see that nothing changed.
fn everything(env: &Env) -> Vec<u8> {
    export(env, &["-o", "json", "/"])
}

#[test]
fn an_export_cut_at_any_byte_is_refused() {
    let env = Env::new();
    varied(&env);
    for (export_args, read_args) in [
        (&["/p"][..], &["--prune"][..]),
        (&["-o", "json", "/p"], &["--prune"]),
        (&["--format", "consul", "/p"], &["--format", "consul"]),
    ] {
        let whole = export(&env, export_args);
        assert!(whole.ends_with(b"\n"));
        let file = env.path().join("cut");
        for cut in 0..whole.len() {
            std::fs::write(&file, &whole[..cut]).unwrap();
            let out = env.config(&[&["diff", "--exit-code"], read_args, &[file.to_str().unwrap()]].concat()).output();
            let out = out.unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let shown = String::from_utf8_lossy(&whole[..cut]);
            if cut == whole.len() - 1 {
                // Only the final line break is gone: the same content.
                assert_eq!(out.status.code(), Some(0), "{export_args:?} cut at {cut}: {stderr}");
            } else {
                assert_eq!(out.status.code(), Some(2), "{export_args:?} cut at {cut} was read: {shown:?}\n{stderr}");
                assert!(stderr.contains("the document is cut short"), "{export_args:?} cut at {cut}: {stderr}");
                assert_eq!(stderr.lines().count(), 1, "{stderr}");
            }
        }
        std::fs::write(&file, &whole).unwrap();
        env.config(&[&["diff", "--exit-code"], read_args, &[file.to_str().unwrap()]].concat()).assert().code(0);
    }
}

#[test]
fn a_failed_export_piped_into_apply_changes_nothing() {
    if !etcd::require("etcd") {
        return;
    }
    let mut stopped = EtcdCluster::start(1).unwrap();
    let url = stopped.url();
    stopped.kill(0);
    let env = Env::new();
    varied(&env);
    env.set("/ovs/framework/memcache", "127.0.0.1:11211");
    let before = everything(&env);
    let ovs = assert_cmd::cargo::cargo_bin("ovs");
    // The pipeline of the issue, as a shell runs it.
    let pipeline = format!(
        "{ovs} --store {url} --timeout 2 config export /ovs | {ovs} config apply --prune --yes -; \
         echo \"exits: ${{PIPESTATUS[*]}}\" >&2",
        ovs = ovs.display()
    );
    let out = bash(&env, &pipeline);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("exits: 6 2"), "{stderr}");
    assert!(stderr.contains("the document is cut short"), "{stderr}");
    assert_eq!(everything(&env), before);

    // A backup cut short, read from a file or from a pipe.
    let backup = env.path().join("backup.yaml");
    let whole = export(&env, &["/"]);
    std::fs::write(&backup, &whole[..whole.len() / 2]).unwrap();
    let backup = backup.to_str().unwrap();
    let out = env.config(&["apply", "--prune", "--yes", backup]).assert().code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("the document is cut short"));
    let piped = format!("cat {backup} | {} config apply --prune --yes -", ovs.display());
    assert_eq!(bash(&env, &piped).status.code(), Some(2));
    env.config(&["import", backup]).assert().code(2);
    assert_eq!(everything(&env), before);
}

/// `import` of `text` from stdin: (exit code, stderr).
fn import(env: &Env, args: &[&str], text: impl Into<Vec<u8>>) -> (Option<i32>, String) {
    let out = env.config(&[&["import"], args, &["-"]].concat()).write_stdin(text).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn yaml_binary_tags_are_refused_not_stored_as_their_base64() {
    let env = Env::new();
    let (code, stderr) = import(&env, &[], "ovs-config: 1\nprefix: /y\nkeys:\n  a: !!binary aGVsbG8=\n");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("!!binary at line 4 column 6 is not read: write the value as {base64: ...}"), "{stderr}");
    env.config(&["get", "/y/a"]).assert().code(4);
}

#[test]
fn a_byte_order_mark_is_read_past() {
    let env = Env::new();
    let (code, stderr) = import(&env, &[], "\u{feff}ovs-config: 1\nprefix: /y\nkeys:\n  b: v\n");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(env.get("/y/b"), b"v");
    // An export saved by an editor that adds one.
    let sealed = [&b"\xef\xbb\xbf"[..], &export(&env, &["/y"])].concat();
    let (code, stderr) = import(&env, &["--prefix", "/z"], sealed);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(env.get("/z/b"), b"v");
}

#[test]
fn a_deeply_nested_value_is_refused_at_the_nesting_limit() {
    let env = Env::new();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let (code, stderr) = import(&env, &[], format!("ovs-config: 1\nprefix: /y\nkeys:\n  a: {deep}\n"));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("nested more than 128 levels deep at line 4 column"), "{stderr}");
}

#[test]
fn consul_folder_keys_are_skipped_with_a_note() {
    let env = Env::new();
    let export = r#"[{"key":"ovs/","flags":0,"value":null},{"key":"ovs/a","flags":42,"value":"eA=="},
        {"key":"ovs/b/","flags":0,"value":null}]"#;
    let (code, stderr) = import(&env, &["--format", "consul"], export);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains(r#"skipped 2 Consul folder key(s) (a name ending in "/" with no value): "ovs/", "ovs/b/""#));
    assert_eq!(env.get("/ovs/a"), b"x");
    env.config(&["list", "-r", "/"]).assert().stdout("/ovs/a\n");
    // A key ending in "/" that holds a value is not a folder: refused whole.
    let (code, stderr) = import(&env, &["--format", "consul"], r#"[{"key":"ovs/c/","flags":0,"value":"eA=="}]"#);
    assert_eq!(code, Some(2), "{stderr}");
}

#[test]
fn a_long_plan_is_summarised_past_a_screenful() {
    let env = Env::new();
    let keys: String = (0..100).map(|i| format!("  k{i:03}: v\n")).collect();
    let doc = env.path().join("doc.yaml");
    std::fs::write(&doc, format!("ovs-config: 1\nprefix: /many\nkeys:\n{keys}")).unwrap();
    let out = env.config(&["apply", "--yes", doc.to_str().unwrap()]).assert().success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.lines().count() <= 42, "{stderr}");
    assert!(stderr.contains("+ /many/k000\n"), "{stderr}");
    assert!(
        stderr.contains("... and 60 more change(s) not shown (60 to add, 0 to change, 0 to remove); -v shows them all"),
        "{stderr}"
    );
    assert!(stderr.contains("written at revision"), "{stderr}");
    env.config(&["delete", "-r", "--yes", "/many"]).assert().success();
    let out = env.config(&["-v", "apply", "--yes", doc.to_str().unwrap()]).assert().success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(stderr.lines().filter(|l| l.starts_with("+ /many/k")).count(), 100, "{stderr}");
}
