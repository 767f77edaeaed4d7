//! Real ZooKeeper servers for tests (Debian's `zookeeper` package): a
//! standalone server or an ensemble, on free loopback ports with temporary
//! data dirs, killed on drop. Without java or ZooKeeper the tests are
//! skipped with a message, except when CI=true, where that fails them.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use ovs_config::store::{self, Key, Options, StoreUrl};

use super::process::{free_port, require, Server};

const ZK_SERVER: &str = "/usr/share/zookeeper/bin/zkServer.sh";
const ZK_CLI: &str = "/usr/share/zookeeper/bin/zkCli.sh";

pub struct ZkEnsemble {
    servers: Vec<Server>,
    pub dir: tempfile::TempDir,
}

fn installed() -> bool {
    if !require("java") {
        return false;
    }
    let found = Path::new(ZK_SERVER).exists();
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "ZooKeeper is not installed and CI=true: run scripts/test.sh"
        );
        eprintln!("SKIP: ZooKeeper is not installed (run scripts/test.sh)");
    }
    found
}

fn data_dir(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("s{}", i + 1))
}

fn config(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("zoo{}.cfg", i + 1))
}

/// Start server `i` of `n` from its config, on an empty data dir.
fn launch(dir: &Path, i: usize, n: usize, client_port: u16) -> Server {
    let data = data_dir(dir, i);
    if data.exists() {
        std::fs::remove_dir_all(&data).unwrap();
    }
    std::fs::create_dir_all(&data).unwrap();
    if n > 1 {
        std::fs::write(data.join("myid"), format!("{}\n", i + 1)).unwrap();
    }
    let log = std::fs::File::options().create(true).append(true).open(dir.join(format!("s{}.log", i + 1))).unwrap();
    let child = Command::new(ZK_SERVER)
        .arg("start-foreground")
        .arg(config(dir, i))
        .env("ZOO_LOG_DIR", dir)
        .env("JVMFLAGS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start ZooKeeper");
    Server::new(client_port, child)
}

/// A four-letter word's answer ("" when the server does not answer).
fn four_letter_word(port: u16, word: &str) -> String {
    let mut answer = String::new();
    if let Ok(mut conn) = TcpStream::connect(("127.0.0.1", port)) {
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        if conn.write_all(word.as_bytes()).is_ok() {
            let _ = conn.read_to_string(&mut answer);
        }
    }
    answer
}

/// The standalone ZooKeeper this test binary shares: the suites run each
/// test below a chroot of its own (see `util::unique_root`).
pub fn shared() -> Option<&'static ZkEnsemble> {
    static SHARED: std::sync::OnceLock<Option<ZkEnsemble>> = std::sync::OnceLock::new();
    SHARED
        .get_or_init(|| {
            let mut zk = ZkEnsemble::start(1)?;
            let data = zk.dir.path().to_path_buf();
            zk.servers[0].kill_when_tests_end(&data);
            Some(zk)
        })
        .as_ref()
}

impl ZkEnsemble {
    /// A standalone server (n = 1) or an n-server ensemble, ready to serve.
    pub fn start(n: usize) -> Option<ZkEnsemble> {
        if !installed() {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let ports: Vec<(u16, u16, u16)> = (0..n).map(|_| (free_port(), free_port(), free_port())).collect();
        let peers: String = ports
            .iter()
            .enumerate()
            .map(|(i, (_, quorum, election))| format!("server.{}=127.0.0.1:{quorum}:{election}\n", i + 1))
            .collect();
        for (i, &(client, _, _)) in ports.iter().enumerate() {
            let mut cfg = format!(
                "tickTime=200\ninitLimit=50\nsyncLimit=25\ndataDir={}\nclientPort={client}\n\
                 clientPortAddress=127.0.0.1\nadmin.enableServer=false\nforceSync=no\n\
                 maxSessionTimeout=60000\n4lw.commands.whitelist=ruok,srvr\n",
                data_dir(dir.path(), i).display()
            );
            if n > 1 {
                cfg.push_str(&peers);
            }
            std::fs::write(config(dir.path(), i), cfg).unwrap();
        }
        let servers = ports.iter().enumerate().map(|(i, &(client, _, _))| launch(dir.path(), i, n, client)).collect();
        let ensemble = ZkEnsemble { servers, dir };
        for i in 0..n {
            ensemble.wait_ready(i);
        }
        Some(ensemble)
    }

    /// Server `i` answers a read (in an ensemble: it has found its leader).
    fn wait_ready(&self, i: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let options = Options { timeout: Duration::from_secs(2), ..Options::default() };
        let url = format!("zk://127.0.0.1:{}", self.servers[i].client_port);
        loop {
            let store = store::open(&StoreUrl::parse(&url).unwrap(), &options).unwrap();
            match store.children(&Key::root()).map(|entries| entries.count()) {
                Ok(_) => break,
                Err(e) if Instant::now() > deadline => {
                    panic!("ZooKeeper did not start: {e}; logs in {:?}", self.dir.path())
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Replace server `i` with a new machine: killed, then started again on
    /// the same port with an empty data dir; returns once it serves.
    pub fn replace(&mut self, i: usize) {
        self.servers[i].kill();
        let (n, port) = (self.servers.len(), self.servers[i].client_port);
        self.servers[i] = launch(self.dir.path(), i, n, port);
        self.wait_ready(i);
    }

    /// The server that leads the ensemble, as `srvr` reports it.
    pub fn leader(&self) -> Option<usize> {
        self.servers.iter().position(|s| four_letter_word(s.client_port, "srvr").contains("Mode: leader"))
    }

    /// `127.0.0.1:P1,127.0.0.1:P2,...`
    pub fn hosts(&self) -> String {
        self.servers.iter().map(|s| format!("127.0.0.1:{}", s.client_port)).collect::<Vec<_>>().join(",")
    }

    pub fn url(&self) -> String {
        format!("zk://{}", self.hosts())
    }

    /// Kill server `i` (SIGKILL, like a crashed machine).
    pub fn kill(&mut self, i: usize) {
        self.servers[i].kill();
    }

    /// ZooKeeper's own CLI, fed `commands` one per line in one session.
    pub fn zkcli(&self, commands: &str) -> Output {
        let mut child = Command::new(ZK_CLI)
            .args(["-server", &self.hosts()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Fed from a thread: zkCli answers as it reads, and a long session
        // would fill the output pipe while we were still writing its input.
        let mut stdin = child.stdin.take().unwrap();
        let input = format!("{commands}\nquit\n");
        let feeder = std::thread::spawn(move || {
            stdin.write_all(input.as_bytes()).unwrap();
        });
        let out = child.wait_with_output().unwrap();
        feeder.join().unwrap();
        out
    }
}
