//! `render --watch` keeps a file current: an orchestrator-style failover
//! (the master's keys rewritten in one atomic import) gives one new file
//! and one reload; a burst within --wait gives one render; a failed check
//! keeps the old file and watching goes on; etcd restarted under it,
//! rendering resumes; SIGHUP re-reads the template; SIGTERM ends it with 0.
//! The failover on the directory store, etcd and ZooKeeper.

mod util;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use util::etcd::EtcdCluster;
use util::running::Running;
use util::Env;

fn etcd_env() -> Option<Env> {
    util::fixture::etcd().map(util::fixture::Fixture::env)
}

/// A template at `env`'s folder; the file it renders to; the reload log.
struct Files {
    template: PathBuf,
    out: PathBuf,
    reloads: PathBuf,
}

fn files(env: &Env, template: &str) -> Files {
    let path = env.path().join("backend.j2");
    std::fs::write(&path, template).unwrap();
    Files { template: path, out: env.path().join("backend.cfg"), reloads: env.path().join("reloads.log") }
}

/// `render --watch` of `files`, each reload appending the file to the log.
fn watch(env: &Env, files: &Files, extra: &[&str]) -> Running {
    let reload = format!("{{ cat '{}'; echo --; }} >> '{}'", files.out.display(), files.reloads.display());
    let mut args = vec!["config", "render", files.template.to_str().unwrap(), "--out", files.out.to_str().unwrap()];
    args.extend(["--reload", &reload, "--watch"]);
    args.extend(extra);
    let run = Running::start(env, &args);
    run.wait_stderr("watching");
    run
}

/// Wait until `file` holds `text` (a loose guard, not a timing).
fn holds(file: &Path, text: &str) {
    let start = Instant::now();
    while std::fs::read_to_string(file).ok().as_deref() != Some(text) {
        let now = std::fs::read_to_string(file).unwrap_or_default();
        assert!(start.elapsed() < Duration::from_secs(20), "{} never held {text:?}; it holds {now:?}", file.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGTERM ends it with 0.
fn stop(run: Running) {
    // SAFETY: kill(2) on the ovs this test started.
    unsafe { libc::kill(run.pid() as i32, libc::SIGTERM) };
    let (status, _, err) = run.finish_with_output();
    assert_eq!(status.code(), Some(0), "{err:?}");
}

fn reloads(files: &Files) -> Vec<String> {
    let log = std::fs::read_to_string(&files.reloads).unwrap_or_default();
    log.split("--\n").filter(|s| !s.is_empty()).map(str::to_string).collect()
}

const BACKEND: &str = "server {{ key('/mysql/master/c1/hostname') }}:{{ key('/mysql/master/c1/port') }}\n";

fn a_failover_gives_one_new_file_and_one_reload(env: &Env) {
    env.set("/mysql/master/c1/hostname", "db1");
    env.set("/mysql/master/c1/port", "3306");
    let files = files(env, BACKEND);
    let run = watch(env, &files, &[]);
    holds(&files.out, "server db1:3306\n");
    let doc = "ovs-config: 1\nprefix: /mysql/master/c1\nkeys:\n  hostname: \"db2\"\n  port: \"3307\"\n# end: 2 keys\n";
    env.config(&["import", "-"]).write_stdin(doc).assert().success();
    holds(&files.out, "server db2:3307\n");
    // A key the template does not read: nothing is rendered for it.
    env.set("/mysql/master/c2/hostname", "other");
    stop(run);
    assert_eq!(reloads(&files), ["server db1:3306\n", "server db2:3307\n"]);
}

#[test]
fn etcd_a_failover_gives_one_new_file_and_one_reload() {
    let Some(env) = etcd_env() else { return };
    a_failover_gives_one_new_file_and_one_reload(&env);
}

#[test]
fn zk_a_failover_gives_one_new_file_and_one_reload() {
    let Some(env) = util::fixture::zookeeper().map(util::fixture::Fixture::env) else { return };
    a_failover_gives_one_new_file_and_one_reload(&env);
}

#[test]
fn dir_a_failover_gives_one_new_file_and_one_reload() {
    a_failover_gives_one_new_file_and_one_reload(&Env::new());
}

#[test]
fn etcd_a_burst_within_wait_gives_one_render() {
    let Some(env) = etcd_env() else { return };
    env.set("/burst/n", "start");
    let files = files(&env, "n={{ key('/burst/n') }}\n");
    let run = watch(&env, &files, &["--wait", "3s:120s"]);
    holds(&files.out, "n=start\n");
    for i in 0..50 {
        env.set("/burst/n", &i.to_string());
    }
    holds(&files.out, "n=49\n");
    stop(run);
    assert_eq!(reloads(&files), ["n=start\n", "n=49\n"]);
}

#[test]
fn dir_a_refused_check_keeps_the_old_file_and_watching_goes_on() {
    let env = Env::new();
    env.set("/app/mode", "good");
    let files = files(&env, "mode={{ key('/app/mode') }}\n");
    let run = watch(&env, &files, &["--check", "grep -q good {src}"]);
    holds(&files.out, "mode=good\n");
    env.set("/app/mode", "bad");
    run.wait_stderr("not updated");
    assert_eq!(std::fs::read_to_string(&files.out).unwrap(), "mode=good\n");
    // A missing key fails the render the same way.
    env.config(&["delete", "/app/mode"]).assert().success();
    run.wait_stderr("not updated");
    env.set("/app/mode", "good again");
    holds(&files.out, "mode=good again\n");
    stop(run);
}

#[test]
fn dir_sighup_reads_the_template_again() {
    let env = Env::new();
    env.set("/app/x", "1");
    let files = files(&env, "x={{ key('/app/x') }}\n");
    let run = watch(&env, &files, &[]);
    holds(&files.out, "x=1\n");
    std::fs::write(&files.template, "x is {{ key('/app/x') }}\n").unwrap();
    // SAFETY: kill(2) on the ovs this test started.
    unsafe { libc::kill(run.pid() as i32, libc::SIGHUP) };
    holds(&files.out, "x is 1\n");
    stop(run);
}

#[test]
fn etcd_restarted_under_it_rendering_resumes() {
    let Some(mut etcd) = EtcdCluster::start(1) else { return };
    let env = Env::new();
    let url = etcd.url();
    let set = |key: &str, value: &str| {
        env.ovs().args(["--store", &url, "config", "set", key, value]).assert().success();
    };
    set("/app/x", "1");
    let files = files(&env, "x={{ key('/app/x') }}\n");
    let reload = format!("echo >> '{}'", files.reloads.display());
    let run = Running::start(
        &env,
        &[
            "--store",
            &url,
            "--timeout",
            "2",
            "config",
            "render",
            files.template.to_str().unwrap(),
            "--out",
            files.out.to_str().unwrap(),
            "--reload",
            &reload,
            "--watch",
        ],
    );
    run.wait_stderr("watching");
    holds(&files.out, "x=1\n");
    etcd.kill(0);
    run.wait_stderr("trying again until it answers");
    etcd.restart(0);
    run.wait_stderr("reached again");
    set("/app/x", "2");
    holds(&files.out, "x=2\n");
    stop(run);
}

#[test]
fn bad_flags_are_usage_errors() {
    let env = Env::new();
    let files = files(&env, "x\n");
    for wait in ["soon", "2s:1s", "1s:2s:3s"] {
        let args = ["render", files.template.to_str().unwrap(), "--out", "f", "--watch", "--wait", wait];
        let err = util::stderr_of(env.config(&args).assert().code(2));
        assert_eq!(err.lines().count(), 1, "{wait}: {err}");
    }
    let template = files.template.to_str().unwrap();
    // --wait without --watch; --watch without a file to keep; --watch with --dry-run.
    for args in [
        &["render", template, "--wait", "1s"][..],
        &["render", template, "--watch"],
        &["render", template, "--out", "f", "--watch", "--dry-run"],
    ] {
        let err = util::stderr_of(env.config(args).assert().code(2));
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
    assert!(!env.path().join("f").exists());
}

/// `render --all --watch`: one process keeps every declared file current,
/// rendering again only the templates a change concerns.
#[test]
fn dir_all_renders_only_what_a_change_concerns() {
    let env = Env::new();
    env.set("/a", "1");
    env.set("/b", "1");
    let conf = util::user_config(
        &env,
        "templates:\n  - source: a.j2\n    destination: a.out\n  - source: b.j2\n    destination: b.out\n",
    );
    let dir = conf.parent().unwrap();
    std::fs::write(dir.join("a.j2"), "a={{ key('/a') }}\n").unwrap();
    std::fs::write(dir.join("b.j2"), "b={{ key('/b') }}\n").unwrap();
    let run = Running::start(&env, &["config", "render", "--all", "--watch"]);
    let a = dir.join("a.out").display().to_string();
    let b = dir.join("b.out").display().to_string();
    // Rendered, then rendered again once the watches are open.
    let first: Vec<String> = (0..4).map(|_| run.line()).collect();
    assert_eq!(
        first,
        [format!("installed {a}"), format!("installed {b}"), format!("unchanged {a}"), format!("unchanged {b}")]
    );
    env.set("/b", "2");
    assert_eq!(run.line(), format!("installed {b}"));
    env.set("/a", "2");
    assert_eq!(run.line(), format!("installed {a}"));
    holds(&dir.join("b.out"), "b=2\n");
    stop(run);
}
