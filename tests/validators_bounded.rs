//! A command validator is bounded: the deadline covers the whole validator,
//! including whatever it started that holds its stderr open; what it prints
//! is capped, and the reason shown is one line; a program that does not
//! exist is a bad declaration (exit 2), not a refusal (exit 3).
//! No timing is asserted, only a loose guard against hanging.

mod util;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use util::Env;

/// Write `text` as the user's config file (~/.config/ovs/config.yaml).
fn with_validator(command: &str) -> Env {
    let env = Env::new();
    let path: PathBuf = env.path().join(".config/ovs/config.yaml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, format!("validators:\n  - {{pattern: /a, kind: command, command: {command}}}\n")).unwrap();
    env
}

/// `set /a v` with `--timeout 2`: its exit code and its stderr, checked to
/// be one line; the key must not be written unless it succeeded.
fn set(env: &Env) -> (i32, String) {
    let started = Instant::now();
    let out = env.config(&["set", "/a", "v", "--timeout", "2"]).timeout(Duration::from_secs(60)).output().unwrap();
    // Not a speed check: a hang guard (the validator's children sleep 30 s).
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.lines().count() <= 1, "{} lines: {:.300}", err.lines().count(), err);
    let code = out.status.code().unwrap();
    if code != 0 {
        // Read without the config file, which may be the fault.
        env.config(&["get", "/a"]).env("OVS_CONFIG_FILE", "/dev/null").assert().code(4);
    }
    (code, err)
}

#[test]
fn a_background_child_holding_stderr_does_not_stretch_the_deadline() {
    let (code, err) = set(&with_validator("'sleep 30 & echo no >&2; exit 1'"));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("/a: command ") && err.contains(": no; nothing was written"), "{err}");
    // Accepted, with a child left behind: the write goes ahead.
    let (code, err) = set(&with_validator("'sleep 30 & exit 0'"));
    assert_eq!(code, 0, "{err}");
    // Still running when the deadline passes: killed with its children.
    let (code, err) = set(&with_validator("'sleep 30 & sleep 30; exit 0'"));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("no answer within 2s"), "{err}");
}

#[test]
fn what_a_validator_prints_is_capped_and_the_reason_is_one_line() {
    // 100 MB on one line: the reason is its start, not 100 MB.
    let (code, err) = set(&with_validator("'head -c 100000000 /dev/zero | tr \"\\0\" x >&2; exit 1'"));
    assert_eq!(code, 3, "{err:.300}");
    assert!(err.contains(": xxxx") && err.len() < 2000, "{} bytes: {:.300}", err.len(), err);
    // Many lines: the first that says something.
    let (code, err) = set(&with_validator("'{ echo; echo \"  first  \"; seq 1000000; } >&2; exit 1' "));
    assert_eq!(code, 3, "{err:.300}");
    assert!(err.contains(": first; nothing was written"), "{err:.300}");
}

#[test]
fn a_validator_program_that_does_not_exist_is_a_bad_declaration() {
    for (command, wanted) in [
        ("[/nowhere/check-it]", "/nowhere/check-it"),
        ("[./check-it]", "check-it"),
        ("[ovs-no-such-validator, --x]", "ovs-no-such-validator"),
        ("'ovs-no-such-validator \"$1\"'", "ovs-no-such-validator"),
        ("'cat >/dev/null; ovs-no-such-validator'", "ovs-no-such-validator"),
    ] {
        let env = with_validator(command);
        let (code, err) = set(&env);
        assert_eq!(code, 2, "{command}: {err}");
        assert!(err.contains("config.yaml") && err.contains(wanted), "{command}: {err}");
    }
    // A file that is not executable is as bad.
    let env = with_validator("[./check-it]");
    std::fs::write(env.path().join(".config/ovs/check-it"), "#!/bin/sh\nexit 0\n").unwrap();
    let (code, err) = set(&env);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("check-it"), "{err}");
}
