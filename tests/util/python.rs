//! Real Celery as a judge: a python3 script that answers JSON lines.

use std::io::Write;
use std::process::{Command, Stdio};

/// Whether python3 with Celery is installed (the README's test command
/// installs it). With CI=true a missing Celery fails the test, never skips it.
pub fn celery_available() -> bool {
    let found = Command::new("python3").args(["-c", "import celery.schedules"]).status().is_ok_and(|s| s.success());
    if !found {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "python3 with celery is required when CI=true");
        eprintln!("SKIP: python3 with celery is not installed (run the README's test command)");
    }
    found
}

/// Run `script` with `lines` on its stdin; its stdout, line by line.
pub fn answers(script: &str, lines: Vec<String>) -> Vec<String> {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    let mut stdin = child.stdin.take().unwrap();
    // Written from a thread, so a long answer cannot block both pipes.
    let writer = std::thread::spawn(move || {
        for line in lines {
            writeln!(stdin, "{line}").unwrap();
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "the python judge failed");
    String::from_utf8(out.stdout).unwrap().lines().map(String::from).collect()
}
