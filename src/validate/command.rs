//! A site's own validator: a program that gets the key as its argument and
//! the value on stdin; exit 0 accepts, anything else rejects with the first
//! line of its stderr as the reason. It runs in a process group of its own
//! so that, past the timeout, it is killed with everything it started.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::declared::CommandLine;
use super::Validator;
use crate::store::Key;

pub struct CommandValidator {
    name: String,
    program: PathBuf,
    args: Vec<String>,
    timeout: Duration,
}

impl CommandValidator {
    /// A program path with a `/` in it is taken from the config file's folder
    /// `dir` when relative; a bare name is looked up in PATH.
    pub fn new(line: &CommandLine, dir: &Path, timeout: Duration) -> Result<CommandValidator, String> {
        let (program, args, shown) = match line {
            CommandLine::Argv(argv) => {
                let (program, args) = argv.split_first().ok_or("`command` is an empty list")?;
                let program = match Path::new(program) {
                    p if p.is_relative() && program.contains('/') => dir.join(p),
                    p => p.to_path_buf(),
                };
                (program, args.to_vec(), argv.join(" "))
            }
            // The key comes after the string: the script sees it as "$1".
            CommandLine::Shell(text) if !text.trim().is_empty() => {
                (PathBuf::from("sh"), vec!["-c".into(), text.clone(), "ovs-validator".into()], text.clone())
            }
            CommandLine::Shell(_) => return Err("`command` is empty".into()),
        };
        Ok(CommandValidator { name: format!("command {shown}"), program, args, timeout })
    }

    fn run(&self, key: &Key, value: &[u8]) -> Result<(), String> {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .arg(key.as_str())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.program.display()))?;
        let mut stdin = child.stdin.take().expect("piped");
        let value = value.to_vec();
        // A program that reads none of its stdin must not block us.
        std::thread::spawn(move || {
            let _ = stdin.write_all(&value);
        });
        let mut stderr = child.stderr.take().expect("piped");
        let reader = std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = stderr.read_to_end(&mut text);
            text
        });
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            match child.try_wait().map_err(|e| format!("waiting for {}: {e}", self.program.display()))? {
                Some(status) => break status,
                None if Instant::now() >= deadline => {
                    // SAFETY: kill(2) on the group this child leads; no memory is involved.
                    unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
                    let _ = child.wait();
                    return Err(format!("no answer within {:?}; killed", self.timeout));
                }
                None => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        if status.success() {
            return Ok(());
        }
        let text = reader.join().unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        match text.lines().map(str::trim).find(|l| !l.is_empty()) {
            Some(line) => Err(line.to_string()),
            None => Err(format!("refused ({status}) and said nothing on stderr")),
        }
    }
}

impl Validator for CommandValidator {
    fn name(&self) -> &str {
        &self.name
    }

    fn check(&self, key: &Key, value: &[u8]) -> Result<(), String> {
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
        assert_eq!(v.check(&key, b"maybe").unwrap_err(), "no: /k");
        let other = Key::parse("/other").unwrap();
        assert_eq!(v.check(&other, b"yes").unwrap_err(), "no: /other");
    }

    #[test]
    fn a_silent_refusal_says_so_and_a_missing_program_is_named() {
        let v = shell("exit 3", Duration::from_secs(5));
        let err = v.check(&Key::parse("/k").unwrap(), b"").unwrap_err();
        assert!(err.contains("said nothing"), "{err}");
        let argv = CommandLine::Argv(vec!["./no-such-program".into()]);
        let v = CommandValidator::new(&argv, Path::new("/nowhere"), Duration::from_secs(5)).unwrap();
        let err = v.check(&Key::parse("/k").unwrap(), b"").unwrap_err();
        assert!(err.contains("/nowhere/./no-such-program"), "{err}");
    }

    #[test]
    fn past_the_timeout_the_program_and_its_children_are_killed() {
        // The child of sh holds stderr open: only killing the group ends it.
        let v = shell("sleep 30; true", Duration::from_millis(300));
        let err = v.check(&Key::parse("/k").unwrap(), b"").unwrap_err();
        assert!(err.contains("killed"), "{err}");
    }
}
