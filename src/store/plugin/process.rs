//! One running plugin: its pipes, read and written by threads of their own
//! so that every wait is bounded by the timeout (a plugin that stops reading
//! or stops answering cannot block ovs), and its stderr, kept for messages.

use std::io::{BufRead, BufReader, Read as _, Write as _};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::protocol::{line_limit, Answer, Request};
use crate::store::StoreError;

/// How long a plugin has to exit once its stdin is closed, before it is killed.
const GRACE: Duration = Duration::from_secs(2);
/// The most of a line out of protocol that a message quotes.
const QUOTE: usize = 120;

pub struct Conn {
    child: Child,
    /// Lines to the plugin's stdin; dropped to close it.
    to_plugin: Option<Sender<Vec<u8>>>,
    from_plugin: Receiver<Incoming>,
    /// The longest line taken from it: set from its declared limits once it has said hello.
    line_limit: Arc<AtomicU64>,
    stderr: Arc<Mutex<String>>,
    stderr_done: Receiver<()>,
    /// Set when the plugin left the protocol: it is never asked again.
    pub broken: bool,
    /// What messages call it: `ovs-store-NAME`.
    name: String,
    /// Hidden wherever the plugin's own text is quoted.
    secret: Option<String>,
}

impl Conn {
    pub fn spawn(program: &Path, name: &str, store: &str, secret: Option<String>) -> Result<Conn, StoreError> {
        let mut child = Command::new(program)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // The password reaches a plugin only in its hello, on its stdin.
            .env_remove("OVS_CONFIG_PASSWORD")
            .spawn()
            .map_err(|e| StoreError::failed(store, format!("cannot run {name}"), e))?;
        let (stdin, stdout, stderr) =
            (child.stdin.take().unwrap(), child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let (to_plugin, outgoing) = mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || {
            let mut stdin = stdin;
            // A write fails when the plugin is gone; the reader reports that.
            for line in outgoing {
                if stdin.write_all(&line).and_then(|()| stdin.flush()).is_err() {
                    break;
                }
            }
        });
        let (incoming, from_plugin) = mpsc::channel();
        let line_limit = Arc::new(AtomicU64::new(line_limit(None)));
        let limit = Arc::clone(&line_limit);
        std::thread::spawn(move || read_lines(stdout, &limit, &incoming));
        let last = Arc::new(Mutex::new(String::new()));
        let (done, stderr_done) = mpsc::channel();
        let (kept, label, hide) = (Arc::clone(&last), name.to_string(), secret.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).split(b'\n').map_while(Result::ok) {
                let line = redact(&String::from_utf8_lossy(&line), hide.as_deref());
                // Shown at -v only; else kept for the next message.
                tracing::debug!("{label}: {line}");
                if !line.trim().is_empty() {
                    *kept.lock().unwrap_or_else(|e| e.into_inner()) = line;
                }
            }
            let _ = done.send(());
        });
        Ok(Conn {
            child,
            to_plugin: Some(to_plugin),
            from_plugin,
            line_limit,
            stderr: last,
            stderr_done,
            broken: false,
            name: name.to_string(),
            secret,
        })
    }

    pub fn send(&mut self, request: &Request) {
        let mut line = serde_json::to_vec(request).expect("requests serialize");
        line.push(b'\n');
        if let Some(to) = &self.to_plugin {
            // A plugin that has gone is found by the answer that never comes.
            let _ = to.send(line);
        }
    }

    /// The next line the plugin answers, within `timeout`: Ok(Ok) for an
    /// answer that is `ok`, Ok(Err) for the error the plugin reports (the
    /// plugin is still in step), Err when it left the protocol (crashed,
    /// hung, printed garbage): then it is broken, and killed.
    pub fn answer(
        &mut self,
        store: &str,
        timeout: Duration,
        what: &str,
    ) -> Result<Result<Answer, StoreError>, StoreError> {
        let failed = |conn: &mut Conn, message: String| {
            conn.stop();
            let tail = conn.stderr_tail();
            Err(StoreError::Backend { store: store.to_string(), message: format!("{message}{tail}") })
        };
        let line = match self.from_plugin.recv_timeout(timeout) {
            Ok(Incoming::Line(line)) => line,
            Ok(Incoming::TooLong(limit)) => {
                return failed(
                    self,
                    format!("{} answered {what} out of protocol: a line over {limit} bytes", self.name),
                )
            }
            Ok(Incoming::Failed(e)) => {
                return failed(self, format!("cannot read {}'s answer to {what}: {e}", self.name))
            }
            Err(RecvTimeoutError::Timeout) => {
                self.stop();
                return Err(StoreError::Timeout {
                    store: store.to_string(),
                    after: timeout,
                    during: format!("waiting for {} to answer {what}; it was stopped", self.name),
                    source: None,
                });
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.wait_exit();
                return failed(self, format!("{} exited ({status}) instead of answering {what}", self.name));
            }
        };
        let answer: Answer = match serde_json::from_str(&line) {
            Ok(answer) => answer,
            Err(e) => {
                let quoted = redact(&quote(&line), self.secret.as_deref());
                return failed(self, format!("{} answered {what} out of protocol ({e}): {quoted}", self.name));
            }
        };
        if answer.ok {
            return Ok(Ok(answer));
        }
        let Some(mut error) = answer.error else {
            return failed(self, format!("{} answered {what} with \"ok\": false and no \"error\"", self.name));
        };
        // A plugin's message that quotes the password is reported without it.
        error.map_text(|text| redact(text, self.secret.as_deref()));
        match error.into_store_error(store, timeout) {
            Ok(err) => Ok(Err(err)),
            Err(why) => failed(self, format!("{} answered {what} out of protocol: {why}", self.name)),
        }
    }

    /// Take lines of at most `bytes` from now on.
    pub fn limit_lines(&self, bytes: u64) {
        self.line_limit.store(bytes, Ordering::Relaxed);
    }

    /// A protocol error found in an answer that parsed: the plugin is broken.
    pub fn out_of_protocol(&mut self, store: &str, what: &str, why: &str) -> StoreError {
        self.stop();
        StoreError::Backend {
            store: store.to_string(),
            message: format!("{} answered {what} out of protocol: {why}{}", self.name, self.stderr_tail()),
        }
    }

    /// Kill it: it is not asked again.
    fn stop(&mut self) {
        self.broken = true;
        self.to_plugin = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Its exit status, once it has gone (it closed its stdout).
    fn wait_exit(&mut self) -> String {
        let deadline = Instant::now() + GRACE;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.to_string();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        "its stdout closed".into()
    }

    /// `; its last words: LINE` from its stderr, if it said anything.
    fn stderr_tail(&self) -> String {
        // Its last line may still be on its way once it has gone.
        let _ = self.stderr_done.recv_timeout(Duration::from_millis(300));
        let last = self.stderr.lock().unwrap_or_else(|e| e.into_inner()).clone();
        match last.is_empty() {
            true => String::new(),
            false => format!("; its stderr: {}", quote(&last)),
        }
    }
}

impl Drop for Conn {
    /// Close its stdin, the sign to exit; kill it if it does not.
    fn drop(&mut self) {
        if self.broken {
            return;
        }
        self.to_plugin = None;
        let deadline = Instant::now() + GRACE;
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the thread reading a plugin's stdout hands on.
enum Incoming {
    Line(String),
    /// A line longer than the limit (given): reading stops there.
    TooLong(u64),
    Failed(std::io::Error),
}

/// Hand on each line of `stdout` until it closes, a line is over `limit`
/// (never held whole), or nobody listens.
fn read_lines(stdout: ChildStdout, limit: &AtomicU64, incoming: &Sender<Incoming>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let max = limit.load(Ordering::Relaxed);
        let mut line = Vec::new();
        let read = (&mut reader).take(max.saturating_add(1)).read_until(b'\n', &mut line);
        let item = match read {
            Ok(0) => return,
            Ok(_) if line.last() == Some(&b'\n') => {
                line.pop();
                utf8(line)
            }
            Ok(_) if line.len() as u64 > max => Incoming::TooLong(max),
            // Its last line, with no newline before it closed.
            Ok(_) => utf8(line),
            Err(e) => Incoming::Failed(e),
        };
        let stop = !matches!(item, Incoming::Line(_));
        if incoming.send(item).is_err() || stop {
            return;
        }
    }
}

fn utf8(line: Vec<u8>) -> Incoming {
    match String::from_utf8(line) {
        Ok(line) => Incoming::Line(line.strip_suffix('\r').map(String::from).unwrap_or(line)),
        Err(_) => Incoming::Failed(std::io::Error::new(std::io::ErrorKind::InvalidData, "a line that is not UTF-8")),
    }
}

fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// `text` with the password, if it is in it, hidden.
fn redact(text: &str, secret: Option<&str>) -> String {
    match secret.filter(|s| !s.is_empty()) {
        Some(secret) => text.replace(secret, "***"),
        None => text.to_string(),
    }
}
