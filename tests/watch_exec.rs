//! `watch --exec` keeps its limits while the command runs: --count and
//! --timeout hold, changes that arrive meanwhile are coalesced into the next
//! run (as `consul watch` does), and the command's whole process group is
//! ended at the deadline and when ovs is terminated. On the directory store
//! and on etcd.

mod util;

use std::path::Path;
use std::time::{Duration, Instant};

use util::running::Running;
use util::Env;

fn etcd_env() -> Option<Env> {
    util::fixture::etcd().map(util::fixture::Fixture::env)
}

/// The pids a handler wrote to `file` ("$$ $!": its shell and a child).
fn pids(file: &Path) -> Vec<i32> {
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(file) {
            if text.ends_with('\n') {
                return text.split_whitespace().map(|p| p.parse().unwrap()).collect();
            }
        }
        assert!(start.elapsed() < Duration::from_secs(15), "the handler did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// True while `pid` runs (a zombie waiting for its parent does not).
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// Every pid is gone (the kill is asynchronous: a loose guard, not a timing).
fn all_gone(pids: &[i32]) -> bool {
    let start = Instant::now();
    while pids.iter().any(|p| alive(*p)) {
        if start.elapsed() > Duration::from_secs(10) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// The handler: its shell's pid and a child's to `file`, then it sleeps.
fn sleeper(file: &Path, secs: u32) -> String {
    format!("sleep {secs} & echo $$ $! > '{}'; wait", file.display())
}

fn the_deadline_and_the_count_hold_while_the_handler_runs(env: &Env) {
    let file = env.path().join("handler.pids");
    let handler = sleeper(&file, 12);
    let watch = Running::start(env, &["--timeout", "4", "config", "watch", "--count", "3", "/w", "--exec", &handler]);
    watch.wait_stderr("watching /w");
    for i in 0..4 {
        env.set(&format!("/w/k{i}"), "v");
    }
    let (status, out, err) = watch.finish_with_output();
    let err = err.join("\n");
    // Three changes seen while the first run slept; the deadline ended it.
    assert_eq!(out.len(), 3, "{out:?} {err}");
    assert_eq!(status.code(), Some(6), "{err}");
    assert!(err.contains("3 of 3 changes seen") && err.contains("ended"), "{err}");
    assert!(all_gone(&pids(&file)), "the handler's process group outlived the deadline");
}

fn changes_during_a_run_are_coalesced_into_the_next(env: &Env) {
    let log = env.path().join("runs.log");
    let handler = format!("{{ printf '%s\\n' \"$OVS_CHANGED_KEYS\"; echo --; }} >> '{}'; sleep 3", log.display());
    let watch = Running::start(env, &["--timeout", "60", "config", "watch", "--count", "4", "/w", "--exec", &handler]);
    watch.wait_stderr("watching /w");
    env.set("/w/a", "1");
    watch.line();
    for key in ["/w/b", "/w/c", "/w/d"] {
        env.set(key, "2");
    }
    let (status, out, err) = watch.finish_with_output();
    assert!(status.success(), "{err:?}");
    assert_eq!(out.len(), 3, "every change is printed as it comes: {out:?}");
    let runs = std::fs::read_to_string(&log).unwrap();
    assert_eq!(runs, "/w/a\n--\n/w/b\n/w/c\n/w/d\n--\n", "one run, then one for all that came meanwhile");
}

fn terminating_ovs_ends_the_handler_group(env: &Env) {
    let file = env.path().join("handler.pids");
    let handler = sleeper(&file, 30);
    let watch = Running::start(env, &["config", "watch", "/w", "--exec", &handler]);
    watch.wait_stderr("watching /w");
    env.set("/w/a", "1");
    let pids = pids(&file);
    // SAFETY: kill(2) on the ovs this test started.
    unsafe { libc::kill(watch.pid() as i32, libc::SIGTERM) };
    let (status, _, _) = watch.finish_with_output();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGTERM));
    assert!(all_gone(&pids), "the handler's process group outlived ovs");
}

#[test]
fn dir_the_deadline_and_the_count_hold_while_the_handler_runs() {
    the_deadline_and_the_count_hold_while_the_handler_runs(&Env::new());
}

#[test]
fn etcd_the_deadline_and_the_count_hold_while_the_handler_runs() {
    let Some(env) = etcd_env() else { return };
    the_deadline_and_the_count_hold_while_the_handler_runs(&env);
}

#[test]
fn dir_changes_during_a_run_are_coalesced_into_the_next() {
    changes_during_a_run_are_coalesced_into_the_next(&Env::new());
}

#[test]
fn etcd_changes_during_a_run_are_coalesced_into_the_next() {
    let Some(env) = etcd_env() else { return };
    changes_during_a_run_are_coalesced_into_the_next(&env);
}

#[test]
fn dir_terminating_ovs_ends_the_handler_group() {
    terminating_ovs_ends_the_handler_group(&Env::new());
}

#[test]
fn etcd_terminating_ovs_ends_the_handler_group() {
    let Some(env) = etcd_env() else { return };
    terminating_ovs_ends_the_handler_group(&env);
}
