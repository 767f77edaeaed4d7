//! `mirror --watch` across what happens to real etcd servers: a source
//! rebuilt from scratch is compared in full, not resumed; a destination
//! that restarts is ridden out; and the state it resumes from is kept
//! privately.

mod util;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use predicates::prelude::*;
use predicates::str::contains;
use util::etcd::EtcdCluster;
use util::Env;

/// `ovs config mirror --yes --watch SRC DST /m`, its stderr as lines.
fn start_mirror(env: &Env, src: &str, dst: &str, timeout: &str) -> (Child, Receiver<String>) {
    let mut child = env
        .ovs_process()
        .args(["--timeout", timeout, "config", "mirror", "--yes", "--watch", src, dst, "/m"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (send, lines) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = send.send(line);
        }
    });
    (child, lines)
}

/// Wait for a stderr line containing `text`; the lines seen on the way.
fn wait_for(lines: &Receiver<String>, text: &str) -> Vec<String> {
    wait_for_any(lines, &[text])
}

fn wait_for_any(lines: &Receiver<String>, texts: &[&str]) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        match lines.recv_timeout(Duration::from_secs(20)) {
            Ok(line) if texts.iter().any(|t| line.contains(t)) => return seen,
            Ok(line) => seen.push(line),
            Err(_) => panic!("no {texts:?} on stderr in time; saw {seen:?}"),
        }
    }
}

fn export(env: &Env, url: &str) -> Vec<u8> {
    env.ovs().args(["--store", url, "config", "export", "/m"]).assert().success().get_output().stdout.clone()
}

fn set(env: &Env, url: &str, key: &str, value: &str) {
    env.ovs().args(["--store", url, "config", "set", key, value]).assert().success();
}

/// Wait until the destination holds what the source holds below /m.
fn converge(env: &Env, src: &str, dst: &str, mirror: &mut Child) {
    let wanted = export(env, src);
    let start = Instant::now();
    while export(env, dst) != wanted {
        assert!(mirror.try_wait().unwrap().is_none(), "the mirror ended before the destination caught up");
        assert!(start.elapsed() < Duration::from_secs(20), "the mirror did not converge");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One run of the mirror that follows a change, so that it saves its
/// position, then ends.
fn mirror_and_save_a_position(env: &Env, src: &str, dst: &str, change: &str) {
    let (mut mirror, lines) = start_mirror(env, src, dst, "60");
    wait_for_any(&lines, &["already identical", "written at revision"]);
    set(env, src, change, "followed");
    wait_for(&lines, "mirrored 1 change(s)");
    converge(env, src, dst, &mut mirror);
    mirror.kill().unwrap();
    mirror.wait().unwrap();
}

#[test]
fn a_source_rebuilt_from_scratch_is_compared_in_full_not_resumed() {
    let Some(mut source) = EtcdCluster::start(1) else { return };
    let Some(shared) = util::etcd::shared() else { return };
    let env = Env::new();
    let (src, dst) = (source.url(), format!("{}{}", shared.url(), util::unique_root()));
    for i in 0..20 {
        set(&env, &src, &format!("/m/k{i:02}"), "old");
    }
    env.ovs().args(["--store", &dst, "config", "set", "/m/k00", "old"]).assert().success();
    let (mut first, lines) = start_mirror(&env, &src, &dst, "60");
    wait_for(&lines, "written at revision");
    set(&env, &src, "/m/k20", "followed");
    wait_for(&lines, "mirrored 1 change(s)");
    converge(&env, &src, &dst, &mut first);
    first.kill().unwrap();
    first.wait().unwrap();

    // Rebuilt with the same members and token: the same cluster id, but its
    // revisions start again, below the saved position.
    source.rebuild(0, &[]);
    set(&env, &src, "/m/fresh", "new history");
    let (mut second, lines) = start_mirror(&env, &src, &dst, "60");
    let seen = wait_for(&lines, "written at revision");
    assert!(seen.iter().any(|l| l.contains("not resuming") && l.contains("below the saved position")), "{seen:?}");
    converge(&env, &src, &dst, &mut second);
    assert_eq!(export(&env, &dst), export(&env, &src));
    set(&env, &src, "/m/more", "followed");
    wait_for(&lines, "mirrored 1 change(s)");
    second.kill().unwrap();
    second.wait().unwrap();

    // Rebuilt as another cluster that has already gone past the saved
    // position: its cluster id tells.
    source.rebuild(0, &["--initial-cluster-token", "another"]);
    for i in 0..30 {
        set(&env, &src, "/m/busy", &i.to_string());
    }
    let (mut third, lines) = start_mirror(&env, &src, &dst, "60");
    let seen = wait_for(&lines, "written at revision");
    assert!(seen.iter().any(|l| l.contains("not resuming") && l.contains("another store")), "{seen:?}");
    converge(&env, &src, &dst, &mut third);
    third.kill().unwrap();
    third.wait().unwrap();
    // And the same history resumes.
    mirror_and_save_a_position(&env, &src, &dst, "/m/last");
    let (mut fourth, lines) = start_mirror(&env, &src, &dst, "60");
    wait_for(&lines, "resuming from");
    fourth.kill().unwrap();
    fourth.wait().unwrap();
}

#[test]
fn a_destination_that_restarts_is_ridden_out() {
    let Some(mut destination) = EtcdCluster::start(1) else { return };
    let Some(shared) = util::etcd::shared() else { return };
    let env = Env::new();
    let (src, dst) = (format!("{}{}", shared.url(), util::unique_root()), destination.url());
    set(&env, &src, "/m/a", "1");
    let (mut mirror, lines) = start_mirror(&env, &src, &dst, "30");
    wait_for(&lines, "written at revision");
    destination.kill(0);
    set(&env, &src, "/m/b", "while the destination is down");
    wait_for(&lines, "trying again");
    std::thread::sleep(Duration::from_secs(1));
    assert!(mirror.try_wait().unwrap().is_none(), "the mirror gave up while the destination restarted");
    destination.restart(0);
    converge(&env, &src, &dst, &mut mirror);
    set(&env, &src, "/m/c", "after");
    converge(&env, &src, &dst, &mut mirror);
    mirror.kill().unwrap();
    mirror.wait().unwrap();
}

#[test]
fn the_mirror_state_folder_is_private_and_refused_when_others_can_write_it() {
    let Some(shared) = util::etcd::shared() else { return };
    let env = Env::new();
    let src = format!("{}{}", shared.url(), util::unique_root());
    let dst = format!("dir://{}", env.path().join("copy").display());
    set(&env, &src, "/m/a", "1");
    mirror_and_save_a_position(&env, &src, &dst, "/m/b");
    let folder = env.path().join(".local/state/ovs-config/mirror");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&folder), 0o700);
    let files: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "one state file, no temp file left: {files:?}");
    assert_eq!(mode(&files[0]), 0o600);
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o777)).unwrap();
    env.ovs()
        .args(["--timeout", "2", "config", "mirror", "--yes", "--watch", &src, &dst, "/m"])
        .assert()
        .code(2)
        .stderr(contains("the mirror state folder").and(contains(folder.to_str().unwrap())).and(contains("0777")));
}
