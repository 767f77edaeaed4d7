//! The harness every test binary shares: a temp folder and an `ovs`
//! command builder pointed at a store ([`Env`]), each backend's fixture made
//! one way (`fixture`), the servers behind them (`etcd`, `zookeeper`, `sql`,
//! the fake `consul` and `arakoon`), the suite runner (`suite`), and what several tests use
//! (`outbox`, `proxy`, `running`, `python`).

#![allow(dead_code)] // each test binary uses a different part of it

pub mod arakoon;
pub mod consul;
pub mod etcd;
pub mod fixture;
pub mod outbox;
pub mod process;
pub mod proxy;
pub mod python;
pub mod running;
pub mod sql;
pub mod suite;
pub mod tls;
pub mod zookeeper;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub const CELERY_KEY: &str = "/ovs/framework/scheduling/celery";
pub const GOOD_SCHEDULE: &str =
    r#"{"ovs.generic.execute_scrub": {"minute": "0", "hour": "*/3"}, "ovs.stats_monkey.run_all": null}"#;
pub const BAD_SCHEDULE: &str =
    r#"{"ovs.generic.execute_scrub": {"minute": "61", "hour": "*/3"}, "ovs.stats_monkey.run_all": null}"#;

/// A root no other test of this process uses: `/t<pid>-<n>`.
pub fn unique_root() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!("/t{}-{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

/// Write `text` as the user's config file (~/.config/ovs/config.yaml).
pub fn user_config(env: &Env, text: &str) -> PathBuf {
    let path = env.path().join(".config/ovs/config.yaml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// `dir://` a directory store named `name` in `env`'s folder.
pub fn dir_url(env: &Env, name: &str) -> String {
    format!("dir://{}", env.path().join(name).display())
}

/// What a command printed on stderr.
pub fn stderr_of(assert: assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

pub struct Env {
    pub tmp: tempfile::TempDir,
    pub store_url: String,
    /// The prefix this env's keys live below on a shared server ("" if none),
    /// for tools that see the whole server (etcdctl, zkCli).
    pub root: String,
    /// Keeps the server behind `store_url` running (e.g. an etcd cluster).
    pub server: Option<Box<dyn std::any::Any>>,
}

impl Env {
    /// A fresh directory store.
    pub fn new() -> Env {
        let tmp = tempfile::tempdir().unwrap();
        let store_url = format!("dir://{}", tmp.path().join("store").display());
        Env { tmp, store_url, root: String::new(), server: None }
    }

    /// A store behind a server that `server` keeps alive.
    pub fn with_store(store_url: String, server: Box<dyn std::any::Any>) -> Env {
        Env { tmp: tempfile::tempdir().unwrap(), store_url, root: String::new(), server: Some(server) }
    }

    /// A store below a fresh root on a server the whole test binary shares
    /// (`base_url` has no root of its own).
    pub fn below_unique_root(base_url: &str) -> Env {
        fixture::Fixture::below_unique_root(base_url).env()
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    pub fn store_dir(&self) -> PathBuf {
        self.tmp.path().join("store")
    }

    /// `ovs` with this env's store, a private HOME and TMPDIR, no editor,
    /// and no config file but one the test writes below HOME.
    pub fn ovs(&self) -> Command {
        Command::from_std(self.ovs_process())
    }

    /// The same, as a process to spawn and talk to while it runs.
    pub fn ovs_process(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ovs"));
        cmd.env("OVS_CONFIG_STORE", &self.store_url)
            .env("HOME", self.path())
            .env("TMPDIR", self.path())
            .env_remove("EDITOR")
            .env_remove("VISUAL")
            .env_remove("XDG_DATA_HOME")
            .env_remove("XDG_STATE_HOME")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("OVS_CONFIG_FILE")
            .env_remove("OVS_CONFIG_PROFILE");
        cmd
    }

    /// `ovs config ARGS...`
    pub fn config(&self, args: &[&str]) -> Command {
        let mut cmd = self.ovs();
        cmd.arg("config").args(args);
        cmd
    }

    pub fn set(&self, key: &str, value: &str) {
        self.config(&["set", key, value]).assert().success();
    }

    pub fn get(&self, key: &str) -> Vec<u8> {
        self.config(&["get", key]).assert().success().get_output().stdout.clone()
    }

    /// The revision `get -o json` reports.
    pub fn revision(&self, key: &str) -> u64 {
        let out = self.config(&["get", "-o", "json", key]).assert().success().get_output().stdout.clone();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        doc["revision"].as_u64().unwrap()
    }

    /// Files left in TMPDIR by `edit` (the user's kept text).
    pub fn kept_drafts(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("ovs-edit-"))
            .collect()
    }

    /// Write an executable editor script; `body` is shell, the file is "$1".
    pub fn editor(&self, name: &str, body: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let path = self.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\nset -e\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path.display().to_string()
    }
}
