//! `ovs config exec`: the variables as documented, bad names refused before
//! CMD runs, CMD's exit status as ovs's, a missing CMD like a shell's 127;
//! with --watch, a restart (or --signal) on change, and signals forwarded.
//! On the directory store, etcd and ZooKeeper.

mod util;

use std::os::unix::process::ExitStatusExt;

use util::running::Running;
use util::{stderr_of, Env};

fn etcd_env() -> Option<Env> {
    util::fixture::etcd().map(util::fixture::Fixture::env)
}

/// A whole document below `prefix`, written in one atomic import.
fn import(env: &Env, prefix: &str, keys: &[(&str, &str)]) {
    let mut doc = format!("ovs-config: 1\nprefix: {prefix}\nkeys:\n");
    for (key, value) in keys {
        doc.push_str(&format!("  {key}: \"{value}\"\n"));
    }
    doc.push_str(&format!("# end: {} keys\n", keys.len()));
    env.config(&["import", "-"]).write_stdin(doc).assert().success();
}

fn variables_as_documented(env: &Env) {
    env.set("/app/db/host", "h1");
    env.set("/app/max-conns", "10");
    env.set("/shared/Region", "eu west");
    env.set("/appx/outside", "no");
    let out = env
        .ovs()
        .env("OVS_CONFIG_PASSWORD", "secret")
        .args(["config", "exec", "--env", "/app", "--env", "/shared", "--"])
        .args(["sh", "-c", "echo \"$DB_HOST|$MAX_CONNS|$REGION|${OUTSIDE-unset}|${OVS_CONFIG_PASSWORD-unset}\""])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8(out).unwrap(), "h1|10|eu west|unset|unset\n");
}

fn a_key_that_cannot_be_a_variable_is_refused(env: &Env) {
    env.set("/app/ok", "1");
    env.set("/app/a.b", "2");
    let ran = env.path().join("ran");
    let cmd = format!("touch '{}'", ran.display());
    let err = stderr_of(env.config(&["exec", "--env", "/app", "--", "sh", "-c", &cmd]).assert().code(2));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/app/a.b"), "{err}");
    assert!(!ran.exists(), "CMD ran despite the refusal");
}

fn two_keys_for_one_variable_are_refused(env: &Env) {
    env.set("/app/a-b", "1");
    env.set("/app/a/b", "2");
    let err = stderr_of(env.config(&["exec", "--env", "/app", "--", "true"]).assert().code(2));
    assert!(err.contains("/app/a-b") && err.contains("/app/a/b") && err.contains("A_B"), "{err}");
}

fn watch_restarts_on_change(env: &Env) {
    env.set("/app/host", "h1");
    let run = Running::start(
        env,
        &["config", "exec", "--env", "/app", "--watch", "--", "sh", "-c", "echo start $HOST $PORT; exec sleep 60"],
    );
    assert_eq!(run.line(), "start h1");
    run.wait_stderr("watching");
    // A failover: both keys rewritten in one atomic import, one restart.
    import(env, "/app", &[("host", "h2"), ("port", "3307")]);
    assert_eq!(run.line(), "start h2 3307");
    // Outside the prefix (and its neighbour /appx): no restart.
    env.set("/appx/host", "h3");
    env.set("/app/host", "h4");
    assert_eq!(run.line(), "start h4 3307");
}

fn watch_sends_the_signal_instead(env: &Env) {
    env.set("/app/host", "h1");
    let cmd = "trap 'echo hup $HOST' HUP; echo start; while :; do sleep 0.05; done";
    let run =
        Running::start(env, &["config", "exec", "--env", "/app", "--watch", "--signal", "hup", "--", "sh", "-c", cmd]);
    assert_eq!(run.line(), "start");
    run.wait_stderr("watching");
    env.set("/app/host", "h2");
    // The environment a process started with cannot change: it is told.
    assert_eq!(run.line(), "hup h1");
}

/// A burst within --wait gives one restart, with the last values.
fn a_burst_within_wait_gives_one_restart(env: &Env) {
    env.set("/b/n", "start");
    let cmd = "echo run $N; exec sleep 60";
    let run =
        Running::start(env, &["config", "exec", "--env", "/b", "--watch", "--wait", "3s:120s", "--", "sh", "-c", cmd]);
    assert_eq!(run.line(), "run start");
    run.wait_stderr("watching");
    for i in 0..50 {
        env.set("/b/n", &i.to_string());
    }
    assert_eq!(run.line(), "run 49");
}

#[test]
fn dir_a_burst_within_wait_gives_one_restart() {
    a_burst_within_wait_gives_one_restart(&Env::new());
}

#[test]
fn dir_variables_as_documented() {
    variables_as_documented(&Env::new());
}

#[test]
fn etcd_variables_as_documented() {
    let Some(env) = etcd_env() else { return };
    variables_as_documented(&env);
}

#[test]
fn dir_a_key_that_cannot_be_a_variable_is_refused() {
    a_key_that_cannot_be_a_variable_is_refused(&Env::new());
}

#[test]
fn dir_two_keys_for_one_variable_are_refused() {
    two_keys_for_one_variable_are_refused(&Env::new());
}

#[test]
fn dir_watch_restarts_on_change() {
    watch_restarts_on_change(&Env::new());
}

#[test]
fn etcd_watch_restarts_on_change() {
    let Some(env) = etcd_env() else { return };
    watch_restarts_on_change(&env);
}

#[test]
fn zk_watch_restarts_on_change() {
    let Some(env) = util::fixture::zookeeper().map(util::fixture::Fixture::env) else { return };
    watch_restarts_on_change(&env);
}

#[test]
fn dir_watch_sends_the_signal_instead() {
    watch_sends_the_signal_instead(&Env::new());
}

#[test]
fn exit_status_is_cmds() {
    let env = Env::new();
    env.set("/app/x", "1");
    env.config(&["exec", "--env", "/app", "--", "sh", "-c", "exit 3"]).assert().code(3);
    // ovs became CMD: killed by a signal, so is "ovs" (a shell says 128 + n).
    let status = env.config(&["exec", "--env", "/app", "--", "sh", "-c", "kill -TERM $$"]).output().unwrap().status;
    assert_eq!(status.signal(), Some(libc::SIGTERM));
}

#[test]
fn a_missing_cmd_is_127_and_one_that_cannot_run_126() {
    let env = Env::new();
    env.set("/app/x", "1");
    let err = stderr_of(env.config(&["exec", "--env", "/app", "--", "no-such-command-here"]).assert().code(127));
    assert!(err.contains("no-such-command-here"), "{err}");
    let file = env.path().join("not-executable");
    std::fs::write(&file, "#!/bin/sh\n").unwrap();
    env.config(&["exec", "--env", "/app", "--", file.to_str().unwrap()]).assert().code(126);
}

#[test]
fn bad_flags_are_usage_errors() {
    let env = Env::new();
    for args in [
        &["exec", "--env", "/app", "--watch", "--wait", "2s:1s", "--", "true"][..],
        &["exec", "--env", "/app", "--watch", "--wait", "soon", "--", "true"],
        &["exec", "--env", "/app", "--watch", "--signal", "KILL", "--", "true"],
        &["exec", "--env", "/app", "--wait", "1s", "--", "true"],
        &["exec", "--env", "/app"],
        &["exec", "--", "true"],
    ] {
        let err = stderr_of(env.config(args).assert().code(2));
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}

/// Without --watch ovs becomes CMD: a signal sent to ovs's pid is CMD's.
#[test]
fn without_watch_ovs_becomes_cmd() {
    let env = Env::new();
    env.set("/app/x", "1");
    let run = Running::start(&env, &["config", "exec", "--env", "/app", "--", "sh", "-c", "echo $$; exec sleep 60"]);
    assert_eq!(run.line(), run.pid().to_string());
    // SAFETY: kill(2) on the process this test started.
    unsafe { libc::kill(run.pid() as i32, libc::SIGTERM) };
    assert_eq!(run.finish().signal(), Some(libc::SIGTERM));
}

/// With --watch ovs forwards the signals it gets, and ends as CMD ends.
#[test]
fn watch_forwards_signals_and_exits_with_cmds_status() {
    let env = Env::new();
    env.set("/app/x", "1");
    let cmd = "trap 'echo usr1' USR1; trap 'echo term; exit 7' TERM; echo start; while :; do sleep 0.05; done";
    let run = Running::start(&env, &["config", "exec", "--env", "/app", "--watch", "--", "sh", "-c", cmd]);
    assert_eq!(run.line(), "start");
    run.wait_stderr("watching");
    // SAFETY: kill(2) on the ovs this test started.
    unsafe { libc::kill(run.pid() as i32, libc::SIGUSR1) };
    assert_eq!(run.line(), "usr1");
    // SAFETY: as above.
    unsafe { libc::kill(run.pid() as i32, libc::SIGTERM) };
    assert_eq!(run.line(), "term");
    assert_eq!(run.finish().code(), Some(7));
}

/// CMD ending by itself under --watch ends ovs with its status; killed by
/// a signal, 128 + n, as a shell reports it.
#[test]
fn watch_ends_when_cmd_ends() {
    let env = Env::new();
    env.set("/app/x", "1");
    for (cmd, code) in [("sleep 0.5; exit 5", 5), ("sleep 0.5; kill -TERM $$", 128 + libc::SIGTERM)] {
        let run = Running::start(&env, &["config", "exec", "--env", "/app", "--watch", "--", "sh", "-c", cmd]);
        assert_eq!(run.finish().code(), Some(code), "{cmd}");
    }
}
