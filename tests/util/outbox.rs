//! Several directory stores written together, each test with its own
//! outbox (XDG_STATE_HOME below its temp folder): what the outbox tests
//! share. A store is made slow by holding its write lock
//! (`ovs-config.lock`, which a writer waits on up to `--timeout`), and
//! down by putting a file where its folder was.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Env;

pub struct Cluster {
    pub env: Env,
    /// The stores' folders.
    pub dirs: Vec<PathBuf>,
}

impl Cluster {
    pub fn new(stores: usize) -> Cluster {
        let env = Env::new();
        let dirs = (0..stores).map(|i| env.path().join(format!("store{i}"))).collect();
        Cluster { env, dirs }
    }

    pub fn url(&self, store: usize) -> String {
        format!("dir://{}", self.dirs[store].display())
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.env.path().join("state/ovs-config/outbox")
    }

    /// `ovs --store ... --timeout SECS config ARGS` on `stores`, with this
    /// cluster's outbox.
    pub fn ovs(&self, stores: &[usize], timeout: u32, args: &[&str]) -> Command {
        let mut cmd = self.env.ovs_process();
        cmd.env("XDG_STATE_HOME", self.env.path().join("state"));
        for &store in stores {
            cmd.arg("--store").arg(self.url(store));
        }
        cmd.args(["--timeout", &timeout.to_string(), "config"]).args(args);
        cmd.stdin(Stdio::null());
        cmd
    }

    /// The same, started with its output kept.
    pub fn spawn(&self, stores: &[usize], timeout: u32, args: &[&str]) -> Child {
        self.ovs(stores, timeout, args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
    }

    /// Run to the end: (exit code, stderr).
    pub fn run(&self, stores: &[usize], args: &[&str]) -> (Option<i32>, String) {
        let out = self.ovs(stores, 5, args).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    }

    pub fn all(&self) -> Vec<usize> {
        (0..self.dirs.len()).collect()
    }

    /// The value of `key` in store `store`, read from its file (the format
    /// the README gives: one JSON line per key), None when missing.
    pub fn value(&self, store: usize, key: &str) -> Option<String> {
        let text = std::fs::read_to_string(self.dirs[store].join("ovs-config.jsonl")).ok()?;
        text.lines().find_map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).ok()?;
            (record["k"] == key).then(|| record["v"].as_str().unwrap_or_default().to_string())
        })
    }

    /// Hold store `store`'s write lock (so its writers wait) until dropped.
    pub fn hold(&self, store: usize) -> File {
        std::fs::create_dir_all(&self.dirs[store]).unwrap();
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dirs[store].join("ovs-config.lock"))
            .unwrap();
        file.lock().unwrap();
        file
    }

    /// Down: its folder moved away and a file put in its way; up: back.
    pub fn set_up(&self, store: usize, up: bool) {
        let dir = &self.dirs[store];
        let away = dir.with_extension("away");
        if up {
            std::fs::remove_file(dir).unwrap();
            std::fs::rename(&away, dir).unwrap();
        } else {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::rename(dir, &away).unwrap();
            std::fs::write(dir, "not a directory").unwrap();
        }
    }

    /// `ovs config outbox -o json`.
    pub fn outbox(&self) -> Vec<serde_json::Value> {
        let out = self.ovs(&[0], 5, &["outbox", "-o", "json"]).output().unwrap();
        assert!(out.status.success(), "outbox: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// The outbox's entry files (`*.json`), read without `ovs`.
    pub fn entry_files(&self) -> Vec<PathBuf> {
        let Ok(listing) = std::fs::read_dir(self.outbox_dir()) else { return Vec::new() };
        let mut files: Vec<PathBuf> =
            listing.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
        files.sort();
        files
    }

    /// The entry files whose store is `store`.
    pub fn entry_files_for(&self, store: usize) -> Vec<PathBuf> {
        let url = self.url(store);
        self.entry_files()
            .into_iter()
            .filter(|p| {
                std::fs::read(p)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                    .is_some_and(|e| e["store"] == url.as_str())
            })
            .collect()
    }
}

/// The outbox's entries read from its files without `ovs` (cheaper in a
/// loop), each with its state as `ovs config outbox -o json` gives it:
/// `pending` (no run), `in_flight` (its run file locked), `maybe_applied`
/// (its run ended after saying `ready`, or its run file is gone), else
/// `abandoned`. Damaged files count as `damaged`.
pub fn entries_on_disk(c: &Cluster) -> Vec<serde_json::Value> {
    let dir = c.outbox_dir();
    let mut out = Vec::new();
    for path in c.entry_files() {
        let Ok(mut entry) = serde_json::from_slice::<serde_json::Value>(&std::fs::read(&path).unwrap_or_default())
        else {
            out.push(serde_json::json!({"state": "damaged", "file": path.display().to_string()}));
            continue;
        };
        let state = match entry["run"].as_str() {
            None => "pending",
            Some(run) => match File::open(dir.join(format!(".run-{run}"))) {
                Err(_) => "maybe_applied",
                Ok(file) if file.try_lock().is_err() => "in_flight",
                Ok(_) if std::fs::read_to_string(dir.join(format!(".run-{run}"))).unwrap_or_default() == "ready" => {
                    "maybe_applied"
                }
                Ok(_) => "abandoned",
            },
        };
        entry["state"] = state.into();
        out.push(entry);
    }
    out
}

/// Wait (up to `secs`) until `done` holds; whether it did.
pub fn wait_until(secs: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    done()
}

/// Send `signal` to `child`.
pub fn signal(child: &Child, signal: i32) {
    // SAFETY: kill(2) on a child this test started and has not reaped.
    unsafe {
        libc::kill(child.id() as libc::pid_t, signal);
    }
}

/// The whole stderr of a child that has ended.
pub fn stderr_of(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(mut err) = child.stderr.take() {
        std::io::Read::read_to_string(&mut err, &mut text).unwrap();
    }
    text
}
