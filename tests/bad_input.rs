//! Bad input of every kind — keys, URLs, TLS files, editors, flags — gets
//! one escaped line naming what was wrong, the documented exit code, and
//! leaves the store as it was. No server is needed: the directory store, or
//! a URL that is refused before any connection.

mod util;

use std::time::{Duration, Instant};

use predicates::prelude::*;
use predicates::str::contains;
use util::Env;

/// stderr of a finished command, asserting it is exactly one line.
fn one_line(out: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.lines().count(), 1, "expected one line, got: {err:?}");
    assert!(!err.contains('\x1b'), "raw escape in {err:?}");
    err
}

/// The store file, to show a refused command left it as it was.
fn store_bytes(env: &Env) -> Vec<u8> {
    std::fs::read(env.store_dir().join("ovs-config.jsonl")).unwrap_or_default()
}

#[test]
fn bad_store_urls_are_usage_errors_quoting_the_url() {
    let env = Env::new();
    for (url, says) in [
        ("etcd://:2379", "empty host"),
        ("etcd://[::1", "unclosed"),
        ("etcd://::1", "brackets"),
        ("zk://h:0", "bad port"),
        ("etcd://h 1", "bad host"),
        ("nope://x", "unknown store kind"),
    ] {
        let out = env.ovs().args(["--store", url, "config", "list"]).assert().code(2).get_output().clone();
        let err = one_line(&out);
        assert!(err.contains(&format!("{url:?}")) && err.contains(says), "{url}: {err}");
        assert!(!err.contains(":2379:2379"), "{err}");
    }
}

#[test]
fn no_message_ever_holds_a_password_from_a_url() {
    let env = Env::new();
    for url in [
        "etcd://root:S3cret@127.0.0.1:2379",
        "etcd://root:pa/S3cret@127.0.0.1:2379",
        "etcd://root:pa/S3cret@127.0.0.1:bad",
        "zk://u:S3cret@h:2181/x",
    ] {
        for verbosity in ["-q", "-vv"] {
            let out = env
                .ovs()
                .env("OVS_CONFIG_STORE", url)
                .args([verbosity, "config", "get", "/k"])
                .assert()
                .code(2)
                .get_output()
                .clone();
            let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(!all.contains("S3cret") && !all.contains("pa/"), "{url}: {all}");
            assert!(all.contains("***") && all.contains("no password in the URL"), "{url}: {all}");
        }
    }
}

#[test]
fn tls_files_without_certificates_are_refused_before_any_connection() {
    let env = Env::new();
    // A silent server: anything that tried to connect would wait for the timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("etcds://{}", silent.local_addr().unwrap());
    let started = Instant::now();
    for flag in ["--cacert", "--cert"] {
        let mut cmd = env.ovs();
        cmd.args(["--store", &url, "--timeout", "5", flag, "/etc/passwd"]);
        if flag == "--cert" {
            cmd.args(["--key", "/etc/passwd"]);
        }
        let out = cmd.args(["config", "get", "/k"]).assert().code(2).get_output().clone();
        let err = one_line(&out);
        assert!(err.contains(flag) && err.contains("/etc/passwd") && err.contains("no PEM certificate"), "{err}");
    }
    let out =
        env.ovs().args(["--store", &url, "--cacert", "/nonexistent/ca.pem", "config", "get", "/k"]).assert().code(2);
    assert!(one_line(out.get_output()).contains("--cacert /nonexistent/ca.pem"));
    assert!(started.elapsed() < Duration::from_secs(4), "took {:?}", started.elapsed());
}

#[test]
fn a_silent_zookeeper_port_gives_our_one_line_and_no_library_logs() {
    let env = Env::new();
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("zk://{}", silent.local_addr().unwrap());
    let out = env
        .ovs()
        .args(["--store", &url, "--timeout", "1", "config", "get", "/k"])
        .assert()
        .code(6)
        .get_output()
        .clone();
    let err = one_line(&out);
    assert!(err.starts_with("error: ") && err.contains(&silent.local_addr().unwrap().to_string()), "{err}");
    // -vv shows the libraries' logs, but never in colour off a terminal.
    let out = env
        .ovs()
        .args(["-vv", "--store", &url, "--timeout", "1", "config", "get", "/k"])
        .assert()
        .code(6)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.lines().count() > 1 && !err.contains('\x1b'), "{err}");
}

#[test]
fn keys_with_control_or_invisible_characters_are_refused_and_never_echoed_raw() {
    let env = Env::new();
    env.set("/a", "kept");
    let before = store_bytes(&env);
    for key in ["/a\x1b[2J", "/a\nb", "/a\u{202E}b", "/a\u{200B}", "/\u{FEFF}a", "/a\u{2066}x"] {
        for args in [&["set", key, "v"][..], &["get", key], &["delete", key], &["list", key]] {
            let out = env.config(args).assert().code(2).get_output().clone();
            let err = one_line(&out);
            assert!(err.contains("key"), "{args:?}: {err}");
            for raw in ['\u{202E}', '\u{200B}', '\u{FEFF}', '\u{2066}'] {
                assert!(!err.contains(raw), "{args:?}: raw {raw:?} in {err}");
            }
        }
    }
    assert_eq!(store_bytes(&env), before);
}

#[test]
fn values_over_the_size_limit_are_refused_naming_the_limit() {
    let env = Env::new();
    env.set("/big", "small");
    let before = store_bytes(&env);
    let file = env.path().join("big");
    std::fs::write(&file, vec![b'x'; (16 << 20) + 1]).unwrap();
    let out = env.config(&["set", "/big", "--file", file.to_str().unwrap()]).assert().code(2).get_output().clone();
    let err = one_line(&out);
    assert!(err.contains("16777216") && err.contains("--max-value-size"), "{err}");
    env.config(&["validate", "/big", "--file", file.to_str().unwrap()]).assert().code(2);
    // The operator's own limit applies instead of the store's.
    env.config(&["set", "/big", "eleven byte"])
        .args(["--max-value-size", "10"])
        .assert()
        .code(2)
        .stderr(contains("limit of 10 bytes"));
    assert_eq!(store_bytes(&env), before);
}

#[test]
fn an_editor_that_cannot_be_run_fails_at_once_naming_it() {
    let env = Env::new();
    env.set("/k", "v");
    for var in ["EDITOR", "VISUAL"] {
        for stdin in [std::process::Stdio::null(), std::process::Stdio::piped()] {
            let started = Instant::now();
            let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ovs"));
            cmd.args(["config", "edit", "/k"])
                .env("OVS_CONFIG_STORE", &env.store_url)
                .env("TMPDIR", env.path())
                .env_remove("EDITOR")
                .env_remove("VISUAL")
                .env(var, "/nonexistent/editor --wait")
                .stdin(stdin);
            let out = cmd.output().unwrap();
            assert_eq!(out.status.code(), Some(1), "{out:?}");
            let err = one_line(&out);
            assert!(err.contains(var) && err.contains("/nonexistent/editor"), "{err}");
            assert!(out.stdout.is_empty());
            assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
        }
    }
    assert_eq!(env.get("/k"), b"v");
}

#[test]
fn without_an_editor_and_without_a_terminal_no_default_editor_is_started() {
    let env = Env::new();
    env.set("/k", "v");
    // A PATH where every default editor the edit crate knows would be found.
    let bin = env.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let trap = env.editor("trap.sh", r#"printf 'trapped' > "$1""#);
    for name in
        ["nano", "vim", "vi", "pico", "emacs", "editor", "xdg-open", "gedit", "micro", "helix", "hx", "kak", "code"]
    {
        std::os::unix::fs::symlink(&trap, bin.join(name)).unwrap();
    }
    let out = env.config(&["edit", "/k"]).env("PATH", &bin).assert().code(1).get_output().clone();
    assert!(one_line(&out).contains("$VISUAL or $EDITOR"));
    assert_eq!(env.get("/k"), b"v");
}

#[test]
fn help_shows_the_list_default_once() {
    let env = Env::new();
    let out = env.config(&["list", "--help"]).assert().success().get_output().stdout.clone();
    assert_eq!(String::from_utf8_lossy(&out).matches("[default: /]").count(), 1);
}

#[test]
fn validate_says_nothing_of_writing_and_dry_run_counts_bytes_right() {
    let env = Env::new();
    env.config(&["validate", util::CELERY_KEY, util::BAD_SCHEDULE])
        .assert()
        .code(3)
        .stderr(contains("minute \"61\"").and(contains("nothing was written").not()));
    env.config(&["set", util::CELERY_KEY, util::BAD_SCHEDULE]).assert().code(3).stderr(contains("nothing was written"));
    env.config(&["set", "--dry-run", "/one", "x"]).assert().success().stderr(contains("with 1 byte;"));
}

#[test]
fn usage_errors_from_the_parser_are_one_line() {
    let env = Env::new();
    for args in [
        &["config", "frobnicate"][..],
        &["config", "get"],
        &["--timeout", "x", "config", "list"],
        &["config", "list", "--nope"],
    ] {
        let out = env.ovs().args(args).assert().code(2).get_output().clone();
        assert!(one_line(&out).starts_with("error: "), "{args:?}");
    }
}

#[test]
fn keys_ovs_cannot_address_are_listed_escaped_with_one_warning() {
    let env = Env::new();
    // Written by another tool: an escape sequence, an empty segment, a trailing slash.
    std::fs::create_dir_all(env.store_dir()).unwrap();
    let records = [
        r#"{"k":"/odd/\u001b[2J","r":1,"v":"x"}"#,
        r#"{"k":"/odd//b","r":2,"v":"x"}"#,
        r#"{"k":"/odd/c/","r":3,"v":"x"}"#,
        r#"{"k":"/odd/fine","r":4,"v":"x"}"#,
    ];
    let file = format!(
        "{{\"format\":\"ovs-config-dir\",\"version\":1,\"revision\":4}}\n{}\n{{\"end\":4}}\n",
        records.join("\n")
    );
    std::fs::write(env.store_dir().join("ovs-config.jsonl"), file).unwrap();
    let out = env.config(&["list", "-r", "/odd"]).assert().success().get_output().clone();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "/odd/\\u{001b}[2J\n/odd//b\n/odd/c/\n/odd/fine\n");
    let warning = one_line(&out);
    assert!(warning.contains("3 key(s)") && warning.contains("cannot be addressed"), "{warning}");
    // JSON stays exact.
    let out = env.config(&["list", "-r", "-o", "json", "/odd"]).assert().success().get_output().stdout.clone();
    let keys: Vec<String> = serde_json::from_slice(&out).unwrap();
    assert_eq!(keys[0], "/odd/\x1b[2J");
    // The children listing flags them too, and the good key passes without a warning.
    env.config(&["list", "/odd"]).assert().success().stderr(contains("cannot be addressed"));
    env.config(&["list", "-r", "/odd/fine"]).assert().success().stderr("");
}
