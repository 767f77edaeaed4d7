//! A server process the harness owns: killed (SIGKILL, like a crashed
//! machine) when asked or when dropped — or, for a server shared by a whole
//! test binary (kept in a static, which is never dropped), when the test
//! process ends; and how the harness finds a server's binary and a port.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

pub struct Server {
    pub client_port: u16,
    child: Option<Child>,
    /// Held for the life of the test process; see `kill_when_tests_end`.
    _watchdog: Option<(Child, ChildStdin)>,
}

impl Server {
    pub fn new(client_port: u16, child: Child) -> Server {
        Server { client_port, child: Some(child), _watchdog: None }
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// A shell that waits on a pipe only this process holds: when the test
    /// process ends, however it ends, the pipe closes and the shell kills the
    /// server and removes `data`.
    pub fn kill_when_tests_end(&mut self, data: &Path) {
        let pid = self.child.as_ref().expect("a running server").id();
        let mut watchdog = Command::new("sh")
            .args(["-c", r#"read _; kill -9 "$1"; sleep 0.5; rm -rf "$2""#, "watchdog", &pid.to_string()])
            .arg(data)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the watchdog shell");
        let pipe = watchdog.stdin.take().expect("piped stdin");
        self._watchdog = Some((watchdog, pipe));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A loopback port nothing listens on (the OS's pick, given back).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Whether a server binary is on PATH; when CI=true its absence is a failure.
pub fn require(binary: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {binary}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{binary} is not installed and CI=true: run scripts/test.sh"
        );
        eprintln!("SKIP: {binary} is not installed (run scripts/test.sh)");
    }
    found
}
