//! `ovs config render` end to end: to stdout, installed with --out (check,
//! mode, reload only on change), --dry-run diffs, every bad input (exit code,
//! one line, nothing written), `--all` from the config file's `templates:`,
//! and the examples in examples/templates, HAProxy's checked by a real
//! `haproxy -c`. On the directory store, a real etcd and a real ZooKeeper.

mod util;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use util::fixture::Fixture;
use util::{stderr_of, Env};

fn write(env: &Env, name: &str, text: &str) -> PathBuf {
    let path = env.path().join(name);
    fs::write(&path, text).unwrap();
    path
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// The same checks on every store.
fn scenario(env: Option<Env>) {
    let Some(env) = env else { return };
    env.set("/mysql/master/c1/hostname", "db1.example");
    env.set("/mysql/master/c1/port", "3306");
    let good =
        write(&env, "good.j2", "server {{ key('/mysql/master/c1/hostname') }}:{{ key('/mysql/master/c1/port') }}\n");
    let out = env.path().join("out.cfg");
    let log = env.path().join("reloads");
    let reload = format!("echo reloaded >> {}", log.display());

    // To stdout, exact.
    let done = env.config(&["render", s(&good)]).assert().success();
    assert_eq!(done.get_output().stdout, b"server db1.example:3306\n");

    // --dry-run on a file that does not exist: the whole file is new, exit 7, nothing written.
    let done = env.config(&["render", s(&good), "--out", s(&out), "--dry-run"]).assert().code(7);
    let diff = String::from_utf8_lossy(&done.get_output().stdout).into_owned();
    assert!(diff.contains("+server db1.example:3306"), "{diff}");
    assert!(!out.exists());

    // Installed: 0644 by default, reloaded once; again: unchanged, not reloaded.
    let done = env.config(&["render", s(&good), "--out", s(&out), "--reload", &reload]).assert().success();
    assert_eq!(String::from_utf8_lossy(&done.get_output().stdout), format!("installed {}; reloaded\n", out.display()));
    assert_eq!((fs::read_to_string(&out).unwrap().as_str(), mode(&out)), ("server db1.example:3306\n", 0o644));
    let done =
        env.config(&["render", s(&good), "--out", s(&out), "--reload", &reload, "-o", "json"]).assert().success();
    let json: serde_json::Value = serde_json::from_slice(&done.get_output().stdout).unwrap();
    assert_eq!((json["changed"].as_bool(), json["reloaded"].as_bool()), (Some(false), Some(false)), "{json}");
    assert_eq!(fs::read_to_string(&log).unwrap(), "reloaded\n");
    // --dry-run with nothing to change: exit 0, no diff.
    let done = env.config(&["render", s(&good), "--out", s(&out), "--dry-run"]).assert().success();
    assert!(done.get_output().stdout.is_empty());

    // A change: the old file's mode kept, reloaded; --mode sets it.
    fs::set_permissions(&out, fs::Permissions::from_mode(0o640)).unwrap();
    env.set("/mysql/master/c1/port", "3307");
    let done = env.config(&["render", s(&good), "--out", s(&out), "--dry-run", "-o", "json"]).assert().code(7);
    let json: serde_json::Value = serde_json::from_slice(&done.get_output().stdout).unwrap();
    let diff = json["diff"].as_str().unwrap();
    assert!(diff.contains("-server db1.example:3306\n+server db1.example:3307"), "{diff}");
    assert_eq!(fs::read_to_string(&out).unwrap(), "server db1.example:3306\n", "--dry-run writes nothing");
    env.config(&["render", s(&good), "--out", s(&out), "--reload", &reload]).assert().success();
    assert_eq!((fs::read_to_string(&out).unwrap().as_str(), mode(&out)), ("server db1.example:3307\n", 0o640));
    assert_eq!(fs::read_to_string(&log).unwrap(), "reloaded\nreloaded\n");
    env.config(&["render", s(&good), "--out", s(&out), "--mode", "0600"]).assert().success();
    assert_eq!(mode(&out), 0o600);

    // Bad inputs: one line, the documented code, the old file intact, no reload.
    let before = fs::read(&out).unwrap();
    let cases: &[(&str, &str, i32, &str)] = &[
        (
            "missing.j2",
            "a\n{{ key('/mysql/master/c1/port') }}\n{{ key('/mysql/master/c9/port') }}\n",
            4,
            "missing.j2, line 3: key /mysql/master/c9/port not found",
        ),
        ("syntax.j2", "a\n{% if key('/x') %}\n", 2, "syntax.j2, line 2: syntax error"),
        ("truncated.j2", "server {{ key('/mysql/master/c1/hostname') ", 2, "truncated.j2, line 1: syntax error"),
        ("runtime.j2", "a\nb\n{{ key('/mysql/master/c1/port') | fromjson | int + [] }}\n", 2, "runtime.j2, line 3"),
        ("undefined.j2", "{{ hostname }}\n", 2, "undefined.j2, line 1: undefined value"),
        ("badkey.j2", "{{ key('/a/../b') }}\n", 2, "badkey.j2, line 1: invalid operation: invalid key"),
    ];
    for (name, text, code, said) in cases {
        let template = write(&env, name, text);
        let err = stderr_of(
            env.config(&["render", s(&template), "--out", s(&out), "--reload", &reload]).assert().code(*code),
        );
        assert!(err.contains(said) && err.lines().count() == 1, "{name}: {err}");
        assert_eq!(fs::read(&out).unwrap(), before, "{name}");
    }
    assert_eq!(fs::read_to_string(&log).unwrap(), "reloaded\nreloaded\n");
    // A template that is not UTF-8, or cannot be read.
    let binary = env.path().join("binary.j2");
    fs::write(&binary, b"a\xff\n").unwrap();
    let err = stderr_of(env.config(&["render", s(&binary)]).assert().code(2));
    assert!(err.contains("binary.j2") && err.contains("not UTF-8"), "{err}");
    let err = stderr_of(env.config(&["render", s(&env.path().join("nope.j2"))]).assert().code(1));
    assert!(err.contains("cannot read the template") && err.contains("nope.j2"), "{err}");
    let err = stderr_of(env.config(&["render", s(env.path())]).assert().code(1));
    assert!(err.contains("cannot read the template"), "{err}");
    // A refused check: exit 3, its first stderr line, the old file kept, nothing staged left.
    env.set("/mysql/master/c1/port", "3308");
    let err = stderr_of(
        env.config(&[
            "render",
            s(&good),
            "--out",
            s(&out),
            "--mode",
            "0644",
            "--check",
            "echo 'no good' >&2; echo x >&2; exit 1",
        ])
        .assert()
        .code(3),
    );
    assert!(err.ends_with("no good\n") && err.lines().count() == 1, "{err}");
    assert_eq!(fs::read(&out).unwrap(), before);
    assert!(fs::read_dir(env.path()).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().starts_with(".ovs-")));
    // Flags that make no sense: exit 2 before anything is read.
    for args in [
        vec!["render", s(&good), "--dry-run"],
        vec!["render", s(&good), "--check", "true"],
        vec!["render", s(&good), "--out", s(&out), "--mode", "0888"],
        vec!["render", s(&good), "--all"],
        vec!["render"],
    ] {
        env.config(&args).assert().code(2);
    }
}

#[test]
fn render_on_the_directory_store() {
    scenario(Some(Env::new()));
}

#[test]
fn render_on_etcd() {
    scenario(util::fixture::etcd().map(Fixture::env));
}

#[test]
fn render_on_zookeeper() {
    scenario(util::fixture::zookeeper().map(Fixture::env));
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/templates").join(name)
}

#[test]
fn the_examples_render_and_haproxy_checks_what_is_installed() {
    let env = Env::new();
    env.set("/mysql/master/orders/hostname", "127.0.0.1");
    env.set("/mysql/master/orders/port", "3306");
    env.set("/mysql/master/users/hostname", "127.0.0.2");
    env.set("/mysql/master/users/port", "3307");
    env.set("/haproxy/port/users", "3316");
    let haproxy = example("haproxy.cfg.j2");
    let done = env.config(&["render", s(&haproxy)]).assert().success();
    let text = String::from_utf8_lossy(&done.get_output().stdout).into_owned();
    assert!(
        text.contains(
            "listen mysql-orders\n    bind 127.0.0.1:3306\n    server orders-master 127.0.0.1:3306 check\n\nlisten mysql-users\n    bind 127.0.0.1:3316\n    server users-master 127.0.0.2:3307 check\n"
        ),
        "{text}"
    );
    if util::process::require("haproxy") {
        let out = env.path().join("haproxy.cfg");
        let check = "haproxy -c -f {src}";
        env.config(&["render", s(&haproxy), "--out", s(&out), "--check", check]).assert().success();
        assert_eq!(fs::read_to_string(&out).unwrap(), text);
        // A failover that wrote a port HAProxy refuses: never installed.
        env.set("/mysql/master/users/port", "99999");
        let err = stderr_of(env.config(&["render", s(&haproxy), "--out", s(&out), "--check", check]).assert().code(3));
        assert!(err.contains("--check refused"), "{err}");
        assert_eq!(fs::read_to_string(&out).unwrap(), text);
    }

    env.set("/flocker/control/hostname", "control.example");
    env.set("/flocker/nodes/node1/dataset", r#"{"backend": "zfs", "pool": "flocker", "options": {"compress": true}}"#);
    let done = env.config(&["render", s(&example("agent.yml.j2"))]).assert().success();
    assert_eq!(
        String::from_utf8_lossy(&done.get_output().stdout),
        "version: 1\ncontrol-service:\n  hostname: \"control.example\"\n  port: 4524\ndataset:\n  backend: zfs\n  pool: flocker\n  options:\n    compress: true\n"
    );

    env.set("/ovs/framework/memcache", r#"{"endpoints": ["10.0.0.1:11211", "10.0.0.2:11211"]}"#);
    let done = env.config(&["render", s(&example("memcacheclient.cfg.j2"))]).assert().success();
    assert_eq!(
        String::from_utf8_lossy(&done.get_output().stdout),
        "[main]\nnodes = 10.0.0.1,10.0.0.2\n\n[10.0.0.1]\nlocation = 10.0.0.1:11211\n\n[10.0.0.2]\nlocation = 10.0.0.2:11211\n"
    );
}

#[test]
fn render_all_installs_every_declared_template_from_the_config_files_folder() {
    let env = Env::new();
    env.set("/a", "one");
    let reloaded = env.path().join("reloaded-b");
    let conf = util::user_config(
        &env,
        &format!(
            "templates:
  - source: a.j2
    destination: a.out
    mode: \"0600\"
  - source: missing.j2
    destination: m.out
  - source: b.j2
    destination: b.out
    reload: touch {}
",
            reloaded.display()
        ),
    );
    let dir = conf.parent().unwrap();
    fs::write(dir.join("a.j2"), "a={{ key('/a') }}\n").unwrap();
    fs::write(dir.join("missing.j2"), "{{ key('/nope') }}\n").unwrap();
    fs::write(dir.join("b.j2"), "b={{ key('/a') }}\n").unwrap();
    // One template fails (exit 4, said once); the others are still installed.
    let done = env.config(&["render", "--all", "-o", "json"]).assert().code(4);
    let list: serde_json::Value = serde_json::from_slice(&done.get_output().stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert!(stderr_of(done).contains("missing.j2, line 1: key /nope not found"));
    assert_eq!(fs::read_to_string(dir.join("a.out")).unwrap(), "a=one\n");
    assert_eq!(mode(&dir.join("a.out")), 0o600);
    assert!(!dir.join("m.out").exists());
    assert_eq!(fs::read_to_string(dir.join("b.out")).unwrap(), "b=one\n");
    assert!(reloaded.exists());
    fs::write(dir.join("missing.j2"), "{{ key('/nope', default='none') }}\n").unwrap();
    env.set("/a", "two");
    let done = env.config(&["render", "--all", "--dry-run"]).assert().code(7);
    let diff = String::from_utf8_lossy(&done.get_output().stdout).into_owned();
    assert!(diff.contains("-a=one\n+a=two") && diff.contains("+none"), "{diff}");
    env.config(&["render", "--all"]).assert().success();
    assert_eq!(fs::read_to_string(dir.join("m.out")).unwrap(), "none\n");
    // A template someone else could write is refused, as the config file is.
    fs::set_permissions(dir.join("b.j2"), fs::Permissions::from_mode(0o666)).unwrap();
    let err = stderr_of(env.config(&["render", "--all"]).assert().code(2));
    assert!(err.contains("b.j2") && err.contains("0666"), "{err}");
    // No templates declared.
    util::user_config(&env, "profiles: {}\n");
    env.config(&["render", "--all"]).assert().code(2);
}
