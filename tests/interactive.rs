//! What a person sees on a terminal: the prompts of `edit` and `delete`,
//! driven through a pseudo-terminal.

mod util;

use rexpect::process::WaitStatus;
use rexpect::session::{spawn_command, PtySession};
use util::{Env, BAD_SCHEDULE, CELERY_KEY, GOOD_SCHEDULE};

/// `ovs config ARGS` with stdin and stderr on a terminal.
fn on_terminal(env: &Env, args: &[&str], editor: Option<&str>) -> PtySession {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ovs"));
    cmd.arg("config").args(args);
    cmd.env("OVS_CONFIG_STORE", &env.store_url).env("TMPDIR", env.path()).env("HOME", env.path()).env_remove("VISUAL");
    if let Some(editor) = editor {
        cmd.env("EDITOR", editor);
    }
    spawn_command(cmd, Some(20_000)).unwrap()
}

/// Answer the prompt once dialoguer waits for a key: it hides the cursor,
/// then puts the terminal in raw mode (a key sent before that is lost).
fn answer(session: &mut PtySession, key: &str) {
    session.exp_string("\x1b[?25l").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    session.send(key).unwrap();
    session.flush().unwrap();
}

fn exit_code(session: &mut PtySession) -> i32 {
    session.exp_eof().unwrap();
    match session.process.wait().unwrap() {
        WaitStatus::Exited(_, code) => code,
        other => panic!("ovs ended with {other:?}"),
    }
}

#[test]
fn invalid_text_offers_to_reopen_the_editor_with_it() {
    let env = Env::new();
    env.set(CELERY_KEY, GOOD_SCHEDULE);
    // First run: the user writes a bad schedule. Second run: the editor must
    // open on that same bad text (kept), and the user fixes the minute.
    let editor = env.editor(
        "fix.sh",
        &format!(
            r#"if [ -e "$0.ran" ]; then grep -q '"61"' "$1" || exit 9; sed -i 's/"61"/"15"/' "$1"; else printf '%s' '{BAD_SCHEDULE}' > "$1"; touch "$0.ran"; fi"#
        ),
    );
    let mut ovs = on_terminal(&env, &["edit", CELERY_KEY], Some(&editor));
    ovs.exp_string("minute \"61\"").unwrap();
    ovs.exp_string("Re-open the editor with your text?").unwrap();
    answer(&mut ovs, "y");
    assert_eq!(exit_code(&mut ovs), 0);
    assert_eq!(env.get(CELERY_KEY), BAD_SCHEDULE.replace("\"61\"", "\"15\"").as_bytes());
    assert!(env.kept_drafts().is_empty());
}

#[test]
fn declining_to_reopen_exits_3_and_keeps_the_text() {
    let env = Env::new();
    let editor = env.editor("bad.sh", &format!(r#"printf '%s' '{BAD_SCHEDULE}' > "$1""#));
    let mut ovs = on_terminal(&env, &["edit", CELERY_KEY], Some(&editor));
    ovs.exp_string("Re-open the editor with your text?").unwrap();
    answer(&mut ovs, "n");
    assert_eq!(exit_code(&mut ovs), 3);
    assert_eq!(std::fs::read_to_string(&env.kept_drafts()[0]).unwrap(), BAD_SCHEDULE);
}

#[test]
fn a_concurrent_write_offers_to_reedit_on_top_of_it() {
    let env = Env::new();
    env.set("/e", "base");
    let ovs_bin = assert_cmd::cargo::cargo_bin("ovs");
    // First run: someone else writes meanwhile. Second run: the editor opens
    // on their value, and the user appends to it.
    let editor = env.editor(
        "race.sh",
        &format!(
            r#"if [ -e "$0.ran" ]; then grep -q theirs "$1" || exit 9; printf ' + mine' >> "$1"; else {} -q config set /e theirs; printf 'mine' > "$1"; touch "$0.ran"; fi"#,
            ovs_bin.display()
        ),
    );
    let mut ovs = on_terminal(&env, &["edit", "/e"], Some(&editor));
    ovs.exp_string("your text is kept in").unwrap();
    ovs.exp_string("Re-edit on top of the new value").unwrap();
    answer(&mut ovs, "y");
    assert_eq!(exit_code(&mut ovs), 0);
    assert_eq!(env.get("/e"), b"theirs + mine");
    // The first attempt's text is still there for the user.
    let kept = env.kept_drafts();
    assert_eq!(kept.len(), 1);
    assert_eq!(std::fs::read_to_string(&kept[0]).unwrap(), "mine");
}

#[test]
fn delete_asks_first_on_a_terminal() {
    let env = Env::new();
    env.set("/d/a", "1");
    env.set("/d/b", "2");
    let mut ovs = on_terminal(&env, &["delete", "/d/a"], None);
    ovs.exp_string("Delete /d/a?").unwrap();
    answer(&mut ovs, "n");
    assert_eq!(exit_code(&mut ovs), 1);
    assert_eq!(env.get("/d/a"), b"1");
    let mut ovs = on_terminal(&env, &["delete", "-r", "/d"], None);
    ovs.exp_string("Delete /d and every key below it?").unwrap();
    answer(&mut ovs, "y");
    assert_eq!(exit_code(&mut ovs), 0);
    env.config(&["list", "-r"]).assert().success().stdout("");
}

/// `ovs ARGS` on a terminal, with extra environment.
fn ovs_on_terminal(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> PtySession {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ovs"));
    cmd.args(args).env("OVS_CONFIG_STORE", &env.store_url).env("HOME", env.path()).env_remove("NO_COLOR");
    for (name, value) in vars {
        cmd.env(name, value);
    }
    spawn_command(cmd, Some(20_000)).unwrap()
}

#[test]
fn values_are_escaped_on_a_terminal_and_exact_in_a_pipe() {
    let env = Env::new();
    let file = env.path().join("v");
    std::fs::write(&file, b"clear\x1b[2Jme\nline two\n").unwrap();
    env.config(&["set", "/esc", "--file", file.to_str().unwrap()]).assert().success();
    let mut ovs = ovs_on_terminal(&env, &["config", "get", "/esc"], &[]);
    ovs.exp_string("clear\\u{001b}[2Jme").unwrap();
    ovs.exp_string("line two").unwrap();
    assert_eq!(exit_code(&mut ovs), 0);
    assert_eq!(env.get("/esc"), b"clear\x1b[2Jme\nline two\n");
}

#[test]
fn export_is_escaped_on_a_terminal_and_exact_in_a_pipe() {
    let env = Env::new();
    env.set("/esc/k", "a\u{202E}b\u{200B}c");
    let mut ovs = ovs_on_terminal(&env, &["config", "export", "/esc"], &[]);
    ovs.exp_string("k: \"a\\u{202e}b\\u{200b}c\"").unwrap();
    assert_eq!(exit_code(&mut ovs), 0);
    let piped = env.config(&["export", "/esc"]).assert().success().get_output().stdout.clone();
    assert!(String::from_utf8(piped).unwrap().contains("k: \"a\u{202E}b\u{200B}c\""));
}

#[test]
fn logs_are_coloured_on_a_terminal_unless_no_color_is_set() {
    let env = Env::new();
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("zk://{}", silent.local_addr().unwrap());
    let args = ["-vv", "--store", &url, "--timeout", "1", "config", "get", "/k"];
    let mut ovs = ovs_on_terminal(&env, &args, &[]);
    let before = ovs.exp_string("error: ").unwrap();
    assert!(before.contains("\x1b["), "no colour on a terminal: {before:?}");
    assert_eq!(exit_code(&mut ovs), 6);
    let mut ovs = ovs_on_terminal(&env, &args, &[("NO_COLOR", "1")]);
    let before = ovs.exp_string("error: ").unwrap();
    assert!(before.contains("DEBUG") && !before.contains("\x1b["), "colour despite NO_COLOR: {before:?}");
    assert_eq!(exit_code(&mut ovs), 6);
}

#[test]
fn apply_shows_the_plan_and_asks_first_on_a_terminal() {
    let env = Env::new();
    env.set("/a/k", "old");
    let doc = env.path().join("doc.yaml");
    std::fs::write(&doc, "ovs-config: 1\nprefix: /a\nkeys:\n  k: new\n  n: added\n").unwrap();
    let doc = doc.to_str().unwrap();
    let mut ovs = on_terminal(&env, &["apply", doc], None);
    ovs.exp_string("~ /a/k").unwrap();
    ovs.exp_string("Apply: 1 to add, 1 to change, 0 to remove, 0 unchanged?").unwrap();
    answer(&mut ovs, "n");
    assert_eq!(exit_code(&mut ovs), 1);
    assert_eq!(env.get("/a/k"), b"old");
    let mut ovs = on_terminal(&env, &["apply", doc], None);
    ovs.exp_string("Apply:").unwrap();
    answer(&mut ovs, "y");
    assert_eq!(exit_code(&mut ovs), 0);
    assert_eq!(env.get("/a/k"), b"new");
    assert_eq!(env.get("/a/n"), b"added");
}
