//! What only the directory store does: its file format checks, its memory
//! bound with big values, its temp files, its lock file, its debug logs and
//! how a batch streams through the file.

mod util;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

use ovs_config::store::dir::DirStore;
use ovs_config::store::{Key, Precondition, Store, StoreError, StoreExt, Write as StoreWrite};

use predicates::prelude::*;
use predicates::str::contains;
use util::Env;

fn data_file(env: &Env) -> PathBuf {
    env.store_dir().join("ovs-config.jsonl")
}

fn store_lines(env: &Env) -> Vec<String> {
    std::fs::read_to_string(data_file(env)).unwrap().lines().map(str::to_string).collect()
}

fn write_lines(env: &Env, lines: &[String]) {
    std::fs::write(data_file(env), lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
}

#[test]
fn every_read_checks_the_whole_file() {
    // Lines: header, /a/x, /b/y, /c/z, end.
    type Damage = fn(&mut Vec<String>);
    let cases: [(&str, Damage, &str); 4] = [
        ("cut after the first record", |l| l.truncate(2), "truncated"),
        ("two records swapped", |l| l.swap(2, 3), "out of order"),
        ("wrong end count", |l| l[4] = r#"{"end":4}"#.into(), "end line"),
        ("header revision below a record's", |l| l[0] = l[0].replace(r#""revision":3"#, r#""revision":2"#), "revision"),
    ];
    // Reads that could stop before the damage: the first key, a missing key
    // before it, a key after it, and listings of the first prefix.
    let reads: [&[&str]; 5] =
        [&["get", "/a/x"], &["get", "/a/w"], &["get", "/b/y"], &["list", "/a"], &["list", "-r", "/a"]];
    for (case, damage, reason) in cases {
        let env = Env::new();
        for key in ["/a/x", "/b/y", "/c/z"] {
            env.set(key, "v");
        }
        let mut lines = store_lines(&env);
        assert_eq!(lines.len(), 5);
        damage(&mut lines);
        write_lines(&env, &lines);
        let file = data_file(&env).display().to_string();
        for read in reads {
            let out = env.config(read).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.code() == Some(1) && err.contains("corrupt") && err.contains(&file) && err.contains(reason),
                "{case}: {read:?} exited {:?}: {err}",
                out.status.code()
            );
        }
    }
}

/// Peak RSS in KB and stdout of one `ovs` run, waited for with wait4 so that
/// the figure is this child's alone (tests run in parallel threads).
fn peak_rss_kb(env: &Env, args: &[&str]) -> (u64, Vec<u8>) {
    let out_path = env.path().join("stdout");
    // Only its pid: wait4 below reaps it.
    let pid = std::process::Command::new(assert_cmd::cargo::cargo_bin("ovs"))
        .env("OVS_CONFIG_STORE", &env.store_url)
        .env("HOME", env.path())
        .arg("config")
        .args(args)
        .stdout(std::fs::File::create(&out_path).unwrap())
        .spawn()
        .unwrap()
        .id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: wait4 on our own child, with valid out-pointers.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::wait4(pid, &mut status, 0, &mut usage), pid);
        usage
    };
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "{args:?}: status {status:#x}");
    (usage.ru_maxrss as u64, std::fs::read(out_path).unwrap())
}

#[test]
fn reads_do_not_hold_values_they_do_not_return() {
    // Linux counts in a child's peak RSS the parent's peak at the time of the
    // spawn; this process may have grown (e.g. a backtrace of another test),
    // so measure from a fresh, small copy of it.
    const FRESH: &str = "OVS_TEST_FRESH_PROCESS";
    if std::env::var_os(FRESH).is_none() {
        let name = "reads_do_not_hold_values_they_do_not_return";
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", name])
            .env(FRESH, "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
        return;
    }
    const BIG_MB: usize = 50;
    const LIMIT_KB: u64 = 30 << 10;
    let env = Env::new();
    std::fs::create_dir_all(env.store_dir()).unwrap();
    // Written a megabyte at a time, to keep this process small.
    let mut file = std::fs::File::create(data_file(&env)).unwrap();
    let head = concat!(
        r#"{"format":"ovs-config-dir","version":1,"revision":3}"#,
        "\n",
        r#"{"k":"/a","r":1,"v":"small a"}"#,
        "\n",
        r#"{"k":"/big","r":2,"v":""#
    );
    file.write_all(head.as_bytes()).unwrap();
    let megabyte = vec![b'x'; 1 << 20];
    for _ in 0..BIG_MB {
        file.write_all(&megabyte).unwrap();
    }
    let tail = concat!(r#""}"#, "\n", r#"{"k":"/z","r":3,"v":"small z"}"#, "\n", r#"{"end":3}"#, "\n");
    file.write_all(tail.as_bytes()).unwrap();
    let reads: [(&[&str], &[u8]); 3] =
        [(&["list", "-r"], b"/a\n/big\n/z\n"), (&["list"], b"a\nbig\nz\n"), (&["get", "/z"], b"small z")];
    for (args, want) in reads {
        let (rss, out) = peak_rss_kb(&env, args);
        assert_eq!(out, want, "{args:?}");
        assert!(rss < LIMIT_KB, "{args:?} peaked at {rss} KB");
    }
}

#[test]
fn a_writer_removes_stale_temp_files_and_nothing_else() {
    let env = Env::new();
    env.set("/k", "1");
    let dir = env.store_dir();
    let stale = [".ovs-config.aB3xYz", ".ovs-config.9QwErt"];
    let unrelated = ["notes.txt", ".ovs-configured", "ovs-config.jsonl.bak"];
    for name in stale.iter().chain(&unrelated) {
        std::fs::write(dir.join(name), "left over").unwrap();
    }
    // Reads take no lock, so they leave temp files alone.
    assert_eq!(env.get("/k"), b"1");
    assert!(stale.iter().all(|name| dir.join(name).exists()));
    env.set("/k", "2");
    for name in stale {
        assert!(!dir.join(name).exists(), "{name} was left");
    }
    for name in unrelated {
        assert!(dir.join(name).exists(), "{name} was removed");
    }
    assert_eq!(env.get("/k"), b"2");
}

#[test]
fn a_refused_write_creates_no_directory_and_no_lock_file() {
    let env = Env::new();
    let dir = env.store_dir();
    let refused = |env: &Env| {
        env.config(&["set", "--if-revision", "5", "/k", "v"]).assert().code(5);
        env.config(&["delete", "/k"]).assert().code(4);
        env.config(&["delete", "-r", "--yes", "/k"]).assert().code(4);
    };
    refused(&env);
    assert!(!dir.exists(), "a refused write created the store directory");
    std::fs::create_dir(&dir).unwrap();
    refused(&env);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "a refused write created a file");
    std::fs::remove_dir(&dir).unwrap();

    env.set("/k", "v");
    assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    for name in ["ovs-config.jsonl", "ovs-config.lock"] {
        assert_eq!(std::fs::metadata(dir.join(name)).unwrap().permissions().mode() & 0o777, 0o600, "{name}");
    }
}

#[test]
fn verbose_logs_name_the_store_file() {
    let env = Env::new();
    let file = data_file(&env).display().to_string();
    env.ovs().args(["-v", "config", "set", "/k", "v"]).assert().success().stderr(contains(file.as_str()));
    env.ovs().args(["-v", "config", "get", "/k"]).assert().success().stderr(contains(file.as_str()));
    // Without -v the store stays quiet.
    env.config(&["get", "/k"]).assert().success().stderr(predicate::str::is_empty());
}

fn store(env: &Env) -> DirStore {
    DirStore::open(&env.store_dir(), Duration::from_secs(5))
}

fn key(text: &str) -> Key {
    Key::parse(text).unwrap()
}

#[test]
fn a_batch_deletes_subtrees_around_the_keys_that_sort_inside_them() {
    // In the sorted file /a-x and /a.b lie between /a and /a/1.
    let env = Env::new();
    let s = store(&env);
    for k in ["/a", "/a.b", "/a/1", "/a/2/3", "/b", "/c/1", "/ca"] {
        s.put(&key(k), b"v", Precondition::Any).unwrap();
    }
    let guard = s.get(&key("/a.b")).unwrap().revision;
    let done = s
        .commit(&[
            StoreWrite::delete_tree(&key("/c")),
            StoreWrite::put(&key("/a-x"), b"new", Precondition::Absent),
            StoreWrite::delete_tree(&key("/a")),
            StoreWrite::check(&key("/a.b"), Precondition::Revision(guard)),
            StoreWrite::put(&key("/b"), b"changed", Precondition::Any),
        ])
        .unwrap();
    assert_eq!(done.deleted, 4);
    let keys: Vec<String> = s.keys(&Key::root()).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(keys, ["/a-x", "/a.b", "/b", "/ca"]);
    assert_eq!(s.get(&key("/a.b")).unwrap().revision, guard);
}

#[test]
fn a_refused_or_idle_batch_leaves_the_file_as_it_was() {
    use std::os::unix::fs::MetadataExt;
    let env = Env::new();
    let s = store(&env);
    for k in ["/a", "/b", "/z"] {
        s.put(&key(k), b"v", Precondition::Any).unwrap();
    }
    let before = std::fs::read(data_file(&env)).unwrap();
    let inode = std::fs::metadata(data_file(&env)).unwrap().ino();
    let names = || {
        let mut names: Vec<String> = std::fs::read_dir(env.store_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    };
    // The failing write is the last in key order: the new file was nearly whole.
    let err = s
        .commit(&[
            StoreWrite::put(&key("/z"), b"x", Precondition::Absent),
            StoreWrite::put(&key("/a"), b"x", Precondition::Any),
            StoreWrite::delete(&key("/b"), Precondition::Any),
        ])
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { ref key, .. } if key.as_str() == "/z"), "{err}");
    assert_eq!(names(), ["ovs-config.jsonl", "ovs-config.lock"], "a temp file was left");
    // Checks that hold and a delete-tree of nothing change nothing: no rewrite.
    let revision = s.get(&key("/z")).unwrap().revision;
    let done = s
        .commit(&[
            StoreWrite::check(&key("/z"), Precondition::Revision(revision)),
            StoreWrite::delete_tree(&key("/nothing")),
        ])
        .unwrap();
    assert_eq!((done.revision, done.deleted), (revision, 0));
    assert_eq!(std::fs::read(data_file(&env)).unwrap(), before);
    assert_eq!(std::fs::metadata(data_file(&env)).unwrap().ino(), inode, "the file was rewritten");
}

/// A watcher sees what another process writes (`ovs config set`, `delete`),
/// and a damaged file stops it with the store's corruption error, never an
/// empty store's deletes.
#[test]
fn a_watcher_sees_another_process_and_stops_on_a_damaged_file() {
    let env = Env::new();
    env.set("/w/a", "1");
    let store = DirStore::open(&env.store_dir(), Duration::from_secs(5));
    let mut watcher = store.watch(&Key::parse("/w").unwrap(), None).unwrap();
    env.set("/w/b", "2");
    let update = watcher.next(Duration::from_secs(5)).unwrap().expect("the other process's write");
    assert_eq!(update.events()[0].key, "/w/b");
    assert_eq!(update.events()[0].value.as_deref(), Some(&b"2"[..]));
    env.config(&["delete", "/w/a"]).assert().success();
    let update = watcher.next(Duration::from_secs(5)).unwrap().expect("the other process's delete");
    assert_eq!((update.events()[0].key.as_str(), update.events()[0].value.as_ref()), ("/w/a", None));
    let mut lines = store_lines(&env);
    lines[0] = lines[0].replace("\"revision\":", "\"revision\":9");
    lines.pop();
    write_lines(&env, &lines);
    let err = watcher.next(Duration::from_secs(5)).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
}
