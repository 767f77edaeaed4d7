//! A chunked apply cut off part way, against a real etcd: killed mid-apply,
//! and behind a proxy that drops the connection. What it says must be what
//! happened (exit 6, the failed chunk possibly applied, nothing claimed
//! rolled back), and the undo document it names must put the store back
//! exactly with one `apply`.

mod util;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use ovs_config::store::{self, Key, Options, Store, StoreUrl};
use util::etcd::EtcdCluster;
use util::proxy::Proxy;
use util::Env;

const CHANGED: usize = 4000;
const ADDED: usize = 4000;
const REMOVED: usize = 2000;

fn open(url: &str) -> Box<dyn Store> {
    let options = Options { timeout: Duration::from_secs(2), ..Options::default() };
    store::open(&StoreUrl::parse(url).unwrap(), &options).unwrap()
}

/// The store before: `/c/a/*` (changed by the apply), `/c/gone/*` (pruned
/// by it); the document: `/c/a/*` new, `/c/b/*` added.
fn prepare(env: &Env) -> PathBuf {
    let mut before = String::from("ovs-config: 1\nprefix: /c\nkeys:\n");
    let mut after = before.clone();
    for i in 0..CHANGED {
        before.push_str(&format!("  a/{i:05}: old {i}\n"));
        after.push_str(&format!("  a/{i:05}: new {i}\n"));
    }
    for i in 0..REMOVED {
        before.push_str(&format!("  gone/{i:05}: to be pruned {i}\n"));
    }
    for i in 0..ADDED {
        after.push_str(&format!("  b/{i:05}: added {i}\n"));
    }
    let (before_file, after_file) = (env.path().join("before.yaml"), env.path().join("after.yaml"));
    std::fs::write(&before_file, before).unwrap();
    std::fs::write(&after_file, after).unwrap();
    env.config(&["import", "--chunked", before_file.to_str().unwrap()]).assert().success();
    after_file
}

fn export(env: &Env) -> Vec<u8> {
    env.config(&["export", "/c"]).assert().success().get_output().stdout.clone()
}

/// `ovs --store URL config apply --prune --chunked --yes DOC`, running, its
/// stderr (the plan, then the error) going to `apply.log`.
fn start_apply(env: &Env, url: &str, doc: &std::path::Path) -> Child {
    let log = std::fs::File::create(env.path().join("apply.log")).unwrap();
    env.ovs_process()
        .args(["--store", url, "--timeout", "2", "config", "apply", "--prune", "--chunked", "--yes"])
        .arg(doc)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// Wait until the apply has committed a few chunks (the 500th key holds its
/// new value), so that it is cut off part way.
fn wait_for_some_chunks(direct: &dyn Store, apply: &mut Child) {
    let probe = Key::parse("/c/a/00500").unwrap();
    let start = Instant::now();
    loop {
        if direct.get(&probe).is_ok_and(|v| v.value.starts_with(b"new")) {
            return;
        }
        assert!(apply.try_wait().unwrap().is_none(), "the apply ended before it was cut off");
        assert!(start.elapsed() < Duration::from_secs(60), "the apply did not start");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The apply's error line: exit 6, what happened to the failed chunk, no
/// claim of a rollback, and the undo command; returns that command's words.
fn check_failure(env: &Env, mut apply: Child) -> Vec<String> {
    let status = apply.wait().unwrap();
    let stderr = std::fs::read_to_string(env.path().join("apply.log")).unwrap();
    let error: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(status.code(), Some(6), "{error:?}");
    assert_eq!(error.len(), 1, "one error line: {stderr}");
    eprintln!("{}", error[0]);
    let error = error[0];
    assert!(error.contains("is possibly applied"), "{error}");
    assert!(error.contains("the rollback could not reach the store"), "{error}");
    assert!(error.contains("still applied"), "{error}");
    assert!(!error.contains("were rolled back") && !error.contains("changed again"), "{error}");
    let command = error.split('`').nth(1).unwrap_or_else(|| panic!("no undo command in {error}"));
    let words: Vec<String> = command.split(' ').map(str::to_string).collect();
    assert_eq!(&words[..1], ["ovs"], "{error}");
    let file = PathBuf::from(words.last().unwrap());
    assert!(error.contains(&format!("saved in {}", file.display())), "{error}");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o600, "{}", file.display());
    assert_eq!(mode(file.parent().unwrap()), 0o700);
    words
}

/// Run the undo command as printed (its `ovs` being this build), with
/// `--yes` as a script would; its own undo document, of a chunked apply that
/// succeeded, is not kept.
fn undo(env: &Env, words: &[String]) {
    let out = env.ovs().args(&words[1..]).arg("--yes").assert().get_output().clone();
    assert!(out.status.success(), "the undo apply failed: {}", String::from_utf8_lossy(&out.stderr));
    let folder = PathBuf::from(words.last().unwrap()).parent().unwrap().to_path_buf();
    let kept: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(kept.len(), 1, "only the failed apply's undo document is kept: {kept:?}");
}

#[test]
fn a_chunked_apply_cut_off_by_etcd_dying_says_so_and_its_undo_puts_the_store_back() {
    let Some(mut etcd) = EtcdCluster::start(1) else { return };
    let env = Env::with_store(etcd.url(), Box::new(()));
    let doc = prepare(&env);
    let before = export(&env);
    let direct = open(&etcd.url());
    let mut apply = start_apply(&env, &etcd.url(), &doc);
    wait_for_some_chunks(direct.as_ref(), &mut apply);
    etcd.kill(0);
    let words = check_failure(&env, apply);
    etcd.restart(0);
    assert_ne!(export(&env), before, "some chunks had landed");
    undo(&env, &words);
    assert_eq!(export(&env), before, "the undo document put the store back exactly");
}

#[test]
fn a_chunked_apply_whose_connection_drops_says_so_and_its_undo_puts_the_store_back() {
    let Some(etcd) = util::etcd::shared() else { return };
    let proxy = Proxy::start(etcd.url().trim_start_matches("etcd://"));
    let env = Env::below_unique_root(&etcd.url());
    let doc = prepare(&env);
    let before = export(&env);
    let direct = open(&env.store_url);
    let through = proxy.url_for(&env.store_url).unwrap();
    let mut apply = start_apply(&env, &through, &doc);
    wait_for_some_chunks(direct.as_ref(), &mut apply);
    proxy.set_up(false);
    let words = check_failure(&env, apply);
    proxy.set_up(true);
    assert_ne!(export(&env), before, "some chunks had landed");
    undo(&env, &words);
    assert_eq!(export(&env), before, "the undo document put the store back exactly");
}
