//! `ovs` running in the background (watch, mirror --watch), its stdout and
//! stderr read line by line.

use super::Env;

/// A running `ovs` whose stdout and stderr are read line by line.
pub struct Running {
    child: std::process::Child,
    stdout: std::sync::mpsc::Receiver<String>,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl Running {
    pub fn start(env: &Env, args: &[&str]) -> Running {
        use std::io::BufRead;
        use std::process::Stdio;
        let mut child = env
            .ovs_process()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = |stream: Box<dyn std::io::Read + Send>| {
            let (send, receive) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = send.send(line);
                }
            });
            receive
        };
        let stdout = lines(Box::new(child.stdout.take().unwrap()));
        let stderr = lines(Box::new(child.stderr.take().unwrap()));
        Running { child, stdout, stderr }
    }

    /// The next stdout line, within 15 s.
    pub fn line(&self) -> String {
        self.stdout.recv_timeout(std::time::Duration::from_secs(15)).expect("a line on stdout in time")
    }

    /// Wait for a stderr line containing `text`; the lines seen on the way.
    pub fn wait_stderr(&self, text: &str) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            match self.stderr.recv_timeout(std::time::Duration::from_secs(15)) {
                Ok(line) if line.contains(text) => return seen,
                Ok(line) => seen.push(line),
                Err(_) => panic!("no {text:?} on stderr in time; saw {seen:?}"),
            }
        }
    }

    pub fn finish(mut self) -> std::process::ExitStatus {
        self.wait_exit()
    }

    /// Its exit status, then the rest of its stdout and stderr lines.
    pub fn finish_with_output(mut self) -> (std::process::ExitStatus, Vec<String>, Vec<String>) {
        let status = self.wait_exit();
        let rest = |lines: &std::sync::mpsc::Receiver<String>| {
            std::iter::from_fn(|| lines.recv_timeout(std::time::Duration::from_secs(15)).ok()).collect()
        };
        (status, rest(&self.stdout), rest(&self.stderr))
    }

    /// For a failure message: whether it has ended, and the stderr lines
    /// not yet read.
    pub fn state(&mut self) -> String {
        let status = self.child.try_wait().unwrap();
        let stderr: Vec<String> = self.stderr.try_iter().collect();
        format!("exit status {status:?}; stderr {stderr:?}")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn wait_exit(&mut self) -> std::process::ExitStatus {
        let start = std::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(start.elapsed() < std::time::Duration::from_secs(30), "ovs did not end");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
