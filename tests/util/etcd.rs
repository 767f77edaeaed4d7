//! Real etcd servers for tests: each member on free loopback ports with a
//! temporary data dir, killed on drop. Without an `etcd` binary the tests
//! are skipped with a message, except when CI=true, where that fails them.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ovs_config::store::{self, Key, Options, StoreError, StoreUrl};

pub struct EtcdCluster {
    members: Vec<Member>,
    pub dir: tempfile::TempDir,
}

struct Member {
    client_port: u16,
    child: Option<Child>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Whether a server binary is on PATH; when CI=true its absence is a failure.
pub fn require(binary: &str) -> bool {
    let found = Command::new("sh").args(["-c", &format!("command -v {binary}")]).stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    if !found {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{binary} is not installed and CI=true: run scripts/test.sh");
        eprintln!("SKIP: {binary} is not installed (run scripts/test.sh)");
    }
    found
}

impl EtcdCluster {
    /// Start an `n`-member cluster and wait until it answers.
    pub fn start(n: usize) -> Option<EtcdCluster> {
        if !require("etcd") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let ports: Vec<(u16, u16)> = (0..n).map(|_| (free_port(), free_port())).collect();
        let initial = ports
            .iter()
            .enumerate()
            .map(|(i, (_, peer))| format!("m{i}=http://127.0.0.1:{peer}"))
            .collect::<Vec<_>>()
            .join(",");
        let members = ports
            .iter()
            .enumerate()
            .map(|(i, &(client, peer))| {
                let log = std::fs::File::create(dir.path().join(format!("m{i}.log"))).unwrap();
                let child = Command::new("etcd")
                    .args(["--name", &format!("m{i}")])
                    .arg("--data-dir")
                    .arg(dir.path().join(format!("m{i}.data")))
                    .args(["--listen-client-urls", &format!("http://127.0.0.1:{client}")])
                    .args(["--advertise-client-urls", &format!("http://127.0.0.1:{client}")])
                    .args(["--listen-peer-urls", &format!("http://127.0.0.1:{peer}")])
                    .args(["--initial-advertise-peer-urls", &format!("http://127.0.0.1:{peer}")])
                    .args(["--initial-cluster", &initial, "--initial-cluster-state", "new"])
                    .args(["--heartbeat-interval", "50", "--election-timeout", "500"])
                    .stdout(Stdio::null())
                    .stderr(log)
                    .spawn()
                    .expect("start etcd");
                Member { client_port: client, child: Some(child) }
            })
            .collect();
        let cluster = EtcdCluster { members, dir };
        cluster.wait_ready();
        Some(cluster)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let options = Options { timeout: Duration::from_secs(2), ..Options::default() };
        for url in self.member_urls() {
            let store = store::open(&StoreUrl::parse(&url).unwrap(), &options).unwrap();
            loop {
                match store.get(&Key::parse("/harness-ready").unwrap()) {
                    Ok(_) | Err(StoreError::NotFound { .. }) => break,
                    Err(e) if Instant::now() > deadline => panic!("etcd did not start: {e}; logs in {:?}", self.dir.path()),
                    Err(_) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        }
    }

    fn member_urls(&self) -> Vec<String> {
        self.members.iter().map(|m| format!("etcd://127.0.0.1:{}", m.client_port)).collect()
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
        if let Some(mut child) = self.members[i].child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// etcdctl against this cluster.
    pub fn etcdctl(&self) -> Command {
        let mut cmd = Command::new("etcdctl");
        cmd.env("ETCDCTL_API", "3").args(["--endpoints", &self.endpoints()]);
        cmd
    }

    pub fn log_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        for i in 0..self.members.len() {
            self.kill(i);
        }
    }
}
