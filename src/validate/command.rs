//! A site's own validator: a program that gets the key as its argument and
//! the value on stdin; exit 0 accepts, anything else rejects with the first
//! line of its stderr as the reason.
//!
//! **Trust.** Its program runs as the invoking user, so it is refused, as
//! the config file is, when someone else could write it: the program a
//! command names (by path, or found through PATH) and, in a shell line, the
//! program of every command in it that PATH finds and every word that is a
//! path to an existing file (`sh /etc/ovs/check.sh`). Shell builtins, and
//! what the line only computes at run time (`$PROG`), cannot be told.
//!
//! **Bounds.** It runs in a process group of its own. The deadline covers
//! all of it: past it, the group is killed; and once the program exits,
//! whatever it left running (a background child still holding its stderr)
//! is killed too, so nothing it started outlives it or stretches the wait.
//! Of its stderr, the first [`KEPT`] bytes are kept (the rest is read and
//! dropped, so it cannot block on a full pipe) and the reason shown is one
//! line of at most [`SHOWN`] characters.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::{Fault, Validator};
use crate::store::Key;

/// A command as a rule declares it: a list of arguments, or one line for the shell.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(untagged)]
pub enum CommandLine {
    Argv(Vec<String>),
    Shell(String),
}

/// How much of a validator's stderr is kept.
const KEPT: usize = 64 * 1024;
/// The most characters of its reason shown.
const SHOWN: usize = 300;

pub struct CommandValidator {
    name: String,
    program: PathBuf,
    args: Vec<String>,
    /// Run as `sh -c LINE`: sh's 126 and 127 then mean a command could not run.
    shell: bool,
    timeout: Duration,
}

impl CommandValidator {
    /// A program path with a `/` in it is taken from the config file's folder
    /// `dir` when relative; a bare name is looked up in PATH. A program that
    /// is missing, cannot be executed, or that someone else could write is
    /// a bad declaration.
    pub fn new(line: &CommandLine, dir: &Path, timeout: Duration) -> Result<CommandValidator, String> {
        let (program, args, shown, shell, named) = match line {
            CommandLine::Argv(argv) => {
                let (program, args) = argv.split_first().ok_or("`command` is an empty list")?;
                let named = args.iter().filter_map(|arg| existing_file(arg)).collect();
                (find_program(program, dir)?, args.to_vec(), argv.join(" "), false, named)
            }
            // The key comes after the string: the script sees it as "$1".
            CommandLine::Shell(text) if !text.trim().is_empty() => {
                let args = vec!["-c".into(), text.clone(), "ovs-validator".into()];
                (find_program("sh", dir)?, args, text.clone(), true, shell_files(text))
            }
            CommandLine::Shell(_) => return Err("`command` is empty".into()),
        };
        for file in std::iter::once(&program).chain(&named) {
            crate::files::check_trusted(file, "validator program").map_err(|e| e.to_string())?;
        }
        Ok(CommandValidator { name: format!("command {shown}"), program, args, shell, timeout })
    }

    fn run(&self, key: &Key, value: &[u8]) -> Result<(), Fault> {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .arg(key.as_str())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(|e| Fault::CannotRun(format!("cannot run {}: {e}", self.program.display())))?;
        let mut stdin = child.stdin.take().expect("piped");
        let value = value.to_vec();
        // A program that reads none of its stdin must not block us; the
        // group's end closes the pipe, which ends this thread.
        std::thread::spawn(move || {
            let _ = stdin.write_all(&value);
        });
        let stderr = child.stderr.take().expect("piped");
        let mut group = Group { child, reaped: false };
        let (status, said) = group.finish(stderr, Instant::now() + self.timeout).map_err(|e| match e {
            Unfinished::Late => Fault::Refused(format!("no answer within {:?}; killed", self.timeout)),
            Unfinished::Io(e) => Fault::CannotRun(format!("waiting for {}: {e}", self.program.display())),
        })?;
        if status.success() {
            return Ok(());
        }
        let line = first_line(&said);
        // sh's own codes for a command it could not find (127) or execute (126).
        if self.shell && matches!(status.code(), Some(126 | 127)) {
            return Err(Fault::CannotRun(line.unwrap_or_else(|| format!("sh exited {status}"))));
        }
        Err(Fault::Refused(line.unwrap_or_else(|| format!("refused ({status}) and said nothing on stderr"))))
    }
}

/// The program `name` names: a path when it has a `/` (relative ones taken
/// from `dir`), else found through PATH; an executable file either way.
fn find_program(name: &str, dir: &Path) -> Result<PathBuf, String> {
    if !name.contains('/') {
        return which::which(name).map_err(|_| format!("no program {name:?} on PATH"));
    }
    let path = match Path::new(name) {
        p if p.is_relative() => dir.join(p),
        p => p.to_path_buf(),
    };
    match std::fs::metadata(&path) {
        Err(e) => Err(format!("the program {}: {e}", path.display())),
        Ok(meta) if !meta.is_file() => Err(format!("the program {} is not a file", path.display())),
        Ok(meta) if meta.permissions().mode() & 0o111 == 0 => {
            Err(format!("the program {} is not executable", path.display()))
        }
        Ok(_) => Ok(path),
    }
}

/// `word` as a path to an existing regular file (a script an interpreter
/// runs), relative ones from the current folder, as the program sees them.
fn existing_file(word: &str) -> Option<PathBuf> {
    let path = std::path::absolute(word).ok().filter(|_| word.contains('/'))?;
    path.is_file().then_some(path)
}

/// Words after which the next word is a command again.
const KEYWORDS: &[&str] =
    &["if", "then", "else", "elif", "while", "until", "do", "!", "{", "time", "exec", "command", "nohup", "env"];

/// The files a shell line runs or names, as far as they can be told
/// without running it: the program of each command, found through PATH,
/// and every word that is a path to an existing file.
fn shell_files(text: &str) -> Vec<PathBuf> {
    // Quotes removed, as sh would; a line shell-words cannot split (an
    // apostrophe in a comment) is split on blanks.
    let words = shell_words::split(text).unwrap_or_else(|_| text.split_whitespace().map(String::from).collect());
    let operator = |c: char| ";&|()<>`".contains(c);
    let mut files = Vec::new();
    let mut command_next = true;
    for word in &words {
        let mut rest = word.as_str();
        while !rest.is_empty() {
            let starts_with_operator = rest.starts_with(operator);
            let split = rest.find(|c| operator(c) != starts_with_operator).unwrap_or(rest.len());
            let (piece, after) = rest.split_at(split);
            rest = after;
            if starts_with_operator {
                // After a redirection comes its target, not a command.
                command_next = !piece.contains(['<', '>']);
                continue;
            }
            if command_next && !is_assignment(piece) {
                command_next = KEYWORDS.contains(&piece);
                if !piece.contains('/') {
                    files.extend(which::which(piece).ok());
                }
            }
            files.extend(existing_file(piece));
        }
    }
    files
}

/// `NAME=value` before a command.
fn is_assignment(word: &str) -> bool {
    word.split_once('=')
        .is_some_and(|(name, _)| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// The first line of `text` that says something, trimmed and cut to [`SHOWN`] characters.
fn first_line(text: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(text);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(match line.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("{}...", &line[..at]),
        None => line.to_string(),
    })
}

/// The validator's process group, led by the program.
struct Group {
    child: Child,
    reaped: bool,
}

enum Unfinished {
    /// Past the deadline: the group was killed.
    Late,
    Io(std::io::Error),
}

impl Group {
    /// Read its stderr until the program exits, within `deadline`; then
    /// kill whatever of its group is left. Its status and the start of its
    /// stderr.
    fn finish(&mut self, mut stderr: ChildStderr, deadline: Instant) -> Result<(ExitStatus, Vec<u8>), Unfinished> {
        set_nonblocking(&stderr).map_err(Unfinished::Io)?;
        let mut said = Vec::new();
        let mut open = true;
        loop {
            if open {
                open = drain(&mut stderr, &mut said);
            }
            if self.exited().map_err(Unfinished::Io)? {
                // What it wrote before it exited is in the pipe by now.
                if open {
                    drain(&mut stderr, &mut said);
                }
                self.kill();
                return Ok((self.reap().map_err(Unfinished::Io)?, said));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.kill();
                let _ = self.reap();
                return Err(Unfinished::Late);
            }
            let wait = left.min(Duration::from_millis(10));
            if open {
                let mut fd = libc::pollfd { fd: stderr.as_raw_fd(), events: libc::POLLIN, revents: 0 };
                // SAFETY: one valid pollfd, for the length given; a failure only ends the wait early.
                unsafe { libc::poll(&mut fd, 1, wait.as_millis() as libc::c_int) };
            } else {
                std::thread::sleep(wait);
            }
        }
    }

    /// Whether the program has exited, leaving it unreaped: its process id,
    /// and so its group's, stays reserved until [`Group::reap`].
    fn exited(&mut self) -> std::io::Result<bool> {
        // SAFETY: waitid writes only into `info`; WNOWAIT leaves the child to be reaped later.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
        if unsafe { libc::waitid(libc::P_PID, self.child.id(), &mut info, flags) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: si_pid is set by waitid (0 while the child still runs).
        Ok(unsafe { info.si_pid() } != 0)
    }

    /// SIGKILL to the whole group (the program, if it is still running, and
    /// everything it started that stayed in its group).
    fn kill(&self) {
        if !self.reaped {
            // SAFETY: kill(2) on the group this unreaped child leads; no memory is involved.
            unsafe { libc::kill(-(self.child.id() as libc::pid_t), libc::SIGKILL) };
        }
    }

    fn reap(&mut self) -> std::io::Result<ExitStatus> {
        let status = self.child.wait();
        self.reaped = true;
        status
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if !self.reaped {
            self.kill();
            let _ = self.reap();
        }
    }
}

fn set_nonblocking(stderr: &ChildStderr) -> std::io::Result<()> {
    let fd = stderr.as_raw_fd();
    // SAFETY: fcntl on a descriptor this process owns; no memory is involved.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Read what `stderr` holds now, keeping up to [`KEPT`] bytes in `said`;
/// false once it is closed.
fn drain(stderr: &mut ChildStderr, said: &mut Vec<u8>) -> bool {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match stderr.read(&mut buf) {
            Ok(0) => return false,
            Ok(n) => {
                let room = KEPT.saturating_sub(said.len());
                said.extend_from_slice(&buf[..n.min(room)]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

impl Validator for CommandValidator {
    fn name(&self) -> &str {
        &self.name
    }

    fn check(&self, key: &Key, value: &[u8]) -> Result<(), Fault> {
        self.run(key, value)
    }

    fn suffix(&self) -> Option<&'static str> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(text: &str, timeout: Duration) -> CommandValidator {
        CommandValidator::new(&CommandLine::Shell(text.into()), Path::new("/"), timeout).unwrap()
    }

    #[test]
    fn the_key_is_an_argument_and_the_value_stdin() {
        let v =
            shell(r#"test "$1" = /k && test "$(cat)" = yes || { echo "no: $1" >&2; exit 1; }"#, Duration::from_secs(5));
        let key = Key::parse("/k").unwrap();
        v.check(&key, b"yes").unwrap();
        assert_eq!(v.check(&key, b"maybe").unwrap_err(), Fault::Refused("no: /k".into()));
        let other = Key::parse("/other").unwrap();
        assert_eq!(v.check(&other, b"yes").unwrap_err(), Fault::Refused("no: /other".into()));
    }

    #[test]
    fn a_silent_refusal_says_so_and_a_missing_program_is_named() {
        let v = shell("exit 3", Duration::from_secs(5));
        let err = v.check(&Key::parse("/k").unwrap(), b"").unwrap_err();
        assert!(matches!(&err, Fault::Refused(e) if e.contains("said nothing")), "{err:?}");
        // A missing program is found when the validator is declared.
        let argv = CommandLine::Argv(vec!["./no-such-program".into()]);
        let err = CommandValidator::new(&argv, Path::new("/nowhere"), Duration::from_secs(5)).map(|_| ()).unwrap_err();
        assert!(err.contains("/nowhere/./no-such-program"), "{err}");
        let v = shell("no-such-program-anywhere", Duration::from_secs(5));
        let err = v.check(&Key::parse("/k").unwrap(), b"").unwrap_err();
        assert!(matches!(&err, Fault::CannotRun(e) if e.contains("not found")), "{err:?}");
    }

    #[test]
    fn past_the_timeout_the_program_and_its_children_are_killed() {
        // The child of sh holds stderr open: only killing the group ends it.
        let v = shell("sleep 30; true", Duration::from_millis(300));
        let err = v.check(&Key::parse("/k").unwrap(), b"").unwrap_err();
        assert!(matches!(&err, Fault::Refused(e) if e.contains("killed")), "{err:?}");
    }

    #[test]
    fn a_shell_line_names_the_programs_of_its_commands_and_the_files_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("check.sh");
        std::fs::write(&script, "exit 0").unwrap();
        let line = format!(
            "X=1 cat >/dev/null 2>&1 && if test -n \"$1\"; then sh '{}' \"$1\" >&2; fi | tr a b; echo $(id)",
            script.display()
        );
        let which = |name: &str| which::which(name).unwrap();
        let files = shell_files(&line);
        for wanted in
            [which("cat"), which("test"), which("sh"), script.clone(), which("tr"), which("echo"), which("id")]
        {
            assert!(files.contains(&wanted), "{wanted:?} in {files:?}");
        }
        // Redirection targets and arguments are not programs.
        assert!(!files.iter().any(|f| f.ends_with("null") || f.ends_with("b") || f.ends_with("1")), "{files:?}");
    }

    #[test]
    fn the_reason_is_the_first_line_that_says_something_cut_short() {
        assert_eq!(first_line(b"\n  \n  no: x  \nmore\n").as_deref(), Some("no: x"));
        assert_eq!(first_line(b" \n").as_deref(), None);
        let long = first_line(&[b'x'; 5000]).unwrap();
        assert_eq!(long.len(), SHOWN + 3);
    }
}
