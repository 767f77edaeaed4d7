//! Real etcd servers for tests: each member on free loopback ports with a
//! temporary data dir, killed on drop. Without an `etcd` binary the tests
//! are skipped with a message, except when CI=true, where that fails them.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ovs_config::store::{self, Key, Options, StoreError, StoreUrl, TlsFiles};

use super::process::Server;
// Where test files found these before every backend shared them.
pub use super::process::{free_port, require};
pub use super::tls::make_certificates;

pub struct EtcdCluster {
    members: Vec<Server>,
    /// How each member was started, to start it again.
    commands: Vec<Vec<std::ffi::OsString>>,
    pub dir: tempfile::TempDir,
    /// Set when the cluster serves TLS and wants client certificates.
    pub tls: Option<TlsFiles>,
}

/// The one-member etcd this test binary shares: the suites run each test
/// below a root of its own (see `util::unique_root`), not on a server of its own.
pub fn shared() -> Option<&'static EtcdCluster> {
    static SHARED: std::sync::OnceLock<Option<EtcdCluster>> = std::sync::OnceLock::new();
    SHARED
        .get_or_init(|| {
            let mut cluster = EtcdCluster::start(1)?;
            let data = cluster.dir.path().to_path_buf();
            cluster.members[0].kill_when_tests_end(&data);
            Some(cluster)
        })
        .as_ref()
}

impl EtcdCluster {
    /// Start an `n`-member cluster and wait until it answers.
    pub fn start(n: usize) -> Option<EtcdCluster> {
        Self::start_with(n, false, &[])
    }

    /// One member serving only mutual TLS, with a test CA and certificates.
    pub fn start_tls() -> Option<EtcdCluster> {
        Self::start_with(1, true, &[])
    }

    /// One member started with `flags` besides the harness's own.
    pub fn start_with_flags(flags: &[&str]) -> Option<EtcdCluster> {
        Self::start_with(1, false, flags)
    }

    fn start_with(n: usize, tls: bool, flags: &[&str]) -> Option<EtcdCluster> {
        if !require("etcd") || (tls && !require("openssl")) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let tls = tls.then(|| make_certificates(dir.path()));
        let scheme = if tls.is_some() { "https" } else { "http" };
        let ports: Vec<(u16, u16)> = (0..n).map(|_| (free_port(), free_port())).collect();
        let initial = ports
            .iter()
            .enumerate()
            .map(|(i, (_, peer))| format!("m{i}=http://127.0.0.1:{peer}"))
            .collect::<Vec<_>>()
            .join(",");
        let commands: Vec<Vec<std::ffi::OsString>> = ports
            .iter()
            .enumerate()
            .map(|(i, &(client, peer))| {
                let mut args: Vec<std::ffi::OsString> = Vec::new();
                if tls.is_some() {
                    let d = dir.path();
                    args.push("--client-cert-auth".into());
                    args.push("--trusted-ca-file".into());
                    args.push(d.join("ca.pem").into());
                    args.push("--cert-file".into());
                    args.push(d.join("server.pem").into());
                    args.push("--key-file".into());
                    args.push(d.join("server.key").into());
                }
                let data = dir.path().join(format!("m{i}.data"));
                let text = [
                    "--name".to_string(),
                    format!("m{i}"),
                    "--data-dir".to_string(),
                    data.display().to_string(),
                    "--listen-client-urls".to_string(),
                    format!("{scheme}://127.0.0.1:{client}"),
                    "--advertise-client-urls".to_string(),
                    format!("{scheme}://127.0.0.1:{client}"),
                    "--listen-peer-urls".to_string(),
                    format!("http://127.0.0.1:{peer}"),
                    "--initial-advertise-peer-urls".to_string(),
                    format!("http://127.0.0.1:{peer}"),
                    "--initial-cluster".to_string(),
                    initial.clone(),
                    "--initial-cluster-state".to_string(),
                    "new".to_string(),
                    "--heartbeat-interval".to_string(),
                    "50".to_string(),
                    "--election-timeout".to_string(),
                    "500".to_string(),
                ];
                args.extend(text.into_iter().map(Into::into));
                args.extend(flags.iter().map(Into::into));
                args
            })
            .collect();
        let members =
            commands.iter().enumerate().map(|(i, args)| spawn(dir.path(), i, ports[i].0, args, &[])).collect();
        let cluster = EtcdCluster { members, commands, dir, tls };
        cluster.wait_ready();
        Some(cluster)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let options = Options {
            timeout: Duration::from_secs(2),
            tls: self.tls.clone().unwrap_or_default(),
            ..Options::default()
        };
        for url in self.member_urls() {
            let store = store::open(&StoreUrl::parse(&url).unwrap(), &options).unwrap();
            loop {
                match store.get(&Key::parse("/harness-ready").unwrap()) {
                    Ok(_) | Err(StoreError::NotFound { .. }) => break,
                    Err(e) if Instant::now() > deadline => {
                        panic!("etcd did not start: {e}; logs in {:?}", self.dir.path())
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        }
    }

    fn member_urls(&self) -> Vec<String> {
        let scheme = if self.tls.is_some() { "etcds" } else { "etcd" };
        self.members.iter().map(|m| format!("{scheme}://127.0.0.1:{}", m.client_port)).collect()
    }

    /// `127.0.0.1:P1,127.0.0.1:P2,...`, as etcdctl's --endpoints wants it.
    pub fn endpoints(&self) -> String {
        self.members.iter().map(|m| format!("127.0.0.1:{}", m.client_port)).collect::<Vec<_>>().join(",")
    }

    /// `etcd://` + every member, optionally below `root`.
    pub fn url(&self) -> String {
        format!("etcd://{}", self.endpoints())
    }

    /// Kill member `i` (SIGKILL, like a crashed machine).
    pub fn kill(&mut self, i: usize) {
        self.members[i].kill();
    }

    /// Start member `i` again after [`Self::kill`], as it was started: its
    /// ports and its data (a restart); wait until the cluster answers.
    pub fn restart(&mut self, i: usize) {
        self.members[i].kill();
        let port = self.members[i].client_port;
        self.members[i] = spawn(self.dir.path(), i, port, &self.commands[i], &[]);
        self.wait_ready();
    }

    /// Member `i` (of a one-member cluster) rebuilt from scratch: killed,
    /// its data removed, started again on the same ports with `flags` added
    /// (another `--initial-cluster-token` gives it another cluster id).
    pub fn rebuild(&mut self, i: usize, flags: &[&str]) {
        self.members[i].kill();
        std::fs::remove_dir_all(self.dir.path().join(format!("m{i}.data"))).unwrap();
        let port = self.members[i].client_port;
        self.members[i] = spawn(self.dir.path(), i, port, &self.commands[i], flags);
        self.wait_ready();
    }

    /// etcdctl against this cluster.
    pub fn etcdctl(&self) -> Command {
        let mut cmd = Command::new("etcdctl");
        cmd.env("ETCDCTL_API", "3").args(["--endpoints", &self.endpoints()]);
        if let Some(tls) = &self.tls {
            cmd.arg("--cacert").arg(tls.ca.as_ref().unwrap());
            cmd.arg("--cert").arg(tls.cert.as_ref().unwrap()).arg("--key").arg(tls.key.as_ref().unwrap());
        }
        cmd
    }

    pub fn log_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

/// Start member `i` with `args` and `extra`, its log appended to in `dir`.
fn spawn(dir: &std::path::Path, i: usize, client: u16, args: &[std::ffi::OsString], extra: &[&str]) -> Server {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join(format!("m{i}.log"))).unwrap();
    let child =
        Command::new("etcd").args(args).args(extra).stdout(Stdio::null()).stderr(log).spawn().expect("start etcd");
    Server::new(client, child)
}
