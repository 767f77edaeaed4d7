//! `ovs config edit` driven by EDITOR scripts.

mod util;

use predicates::prelude::*;
use predicates::str::contains;
use util::{Env, BAD_SCHEDULE, CELERY_KEY, GOOD_SCHEDULE};

/// An editor that replaces the file with $NEW_TEXT.
fn writer(env: &Env) -> String {
    env.editor("write.sh", r#"printf '%s' "$NEW_TEXT" > "$1""#)
}

#[test]
fn edit_writes_the_changed_text() {
    let env = Env::new();
    env.set("/e", "old");
    env.config(&["edit", "/e"]).env("EDITOR", writer(&env)).env("NEW_TEXT", "new").assert().success();
    assert_eq!(env.get("/e"), b"new");
    assert!(env.kept_drafts().is_empty());
}

#[test]
fn visual_wins_over_editor() {
    let env = Env::new();
    env.set("/e", "old");
    let failing = env.editor("fail.sh", "exit 1");
    env.config(&["edit", "/e"])
        .env("VISUAL", writer(&env))
        .env("EDITOR", failing)
        .env("NEW_TEXT", "from visual")
        .assert()
        .success();
    assert_eq!(env.get("/e"), b"from visual");
}

#[test]
fn edit_creates_a_missing_key() {
    let env = Env::new();
    env.config(&["edit", "/new/key"]).env("EDITOR", writer(&env)).env("NEW_TEXT", "created").assert().success();
    assert_eq!(env.get("/new/key"), b"created");
}

#[test]
fn unchanged_text_writes_nothing() {
    let env = Env::new();
    env.set("/e", "same");
    let rev = env.revision("/e");
    let touch = env.editor("noop.sh", "true");
    env.config(&["edit", "/e"]).env("EDITOR", &touch).assert().success().stderr(contains("no change"));
    assert_eq!(env.revision("/e"), rev);
    env.config(&["edit", "/absent"]).env("EDITOR", &touch).assert().success();
    env.config(&["get", "/absent"]).assert().code(4);
    assert!(env.kept_drafts().is_empty());
}

#[test]
fn the_editor_sees_a_json_suffix_for_the_schedule() {
    let env = Env::new();
    env.set(CELERY_KEY, GOOD_SCHEDULE);
    let check = env.editor("suffix.sh", r#"case "$1" in *.json) ;; *) exit 7 ;; esac"#);
    env.config(&["edit", CELERY_KEY]).env("EDITOR", check).assert().success();
}

#[test]
fn invalid_text_exits_3_and_keeps_the_text() {
    let env = Env::new();
    env.set(CELERY_KEY, GOOD_SCHEDULE);
    env.config(&["edit", CELERY_KEY])
        .env("EDITOR", writer(&env))
        .env("NEW_TEXT", BAD_SCHEDULE)
        .assert()
        .code(3)
        .stderr(contains("minute \"61\"").and(contains("your text is kept in")));
    assert_eq!(env.get(CELERY_KEY), GOOD_SCHEDULE.as_bytes());
    let kept = env.kept_drafts();
    assert_eq!(kept.len(), 1);
    assert_eq!(std::fs::read_to_string(&kept[0]).unwrap(), BAD_SCHEDULE);
}

#[test]
fn a_concurrent_write_exits_5_and_keeps_the_text() {
    let env = Env::new();
    env.set("/e", "base");
    // The "editor" is slow: another writer changes the key meanwhile.
    let ovs = assert_cmd::cargo::cargo_bin("ovs");
    let racer = env.editor(
        "race.sh",
        &format!(r#"{} config set /e "theirs" ; printf 'mine' > "$1""#, ovs.display()),
    );
    env.config(&["edit", "/e"]).env("EDITOR", racer).assert().code(5).stderr(contains("your text is kept in"));
    assert_eq!(env.get("/e"), b"theirs");
    let kept = env.kept_drafts();
    assert_eq!(kept.len(), 1);
    assert_eq!(std::fs::read_to_string(&kept[0]).unwrap(), "mine");
}

#[test]
fn a_concurrent_create_is_also_a_conflict() {
    let env = Env::new();
    let ovs = assert_cmd::cargo::cargo_bin("ovs");
    let racer = env.editor("race.sh", &format!(r#"{} config set /n "theirs" ; printf 'mine' > "$1""#, ovs.display()));
    env.config(&["edit", "/n"]).env("EDITOR", racer).assert().code(5);
    assert_eq!(env.get("/n"), b"theirs");
}

#[test]
fn a_failing_editor_exits_1_and_keeps_the_text() {
    let env = Env::new();
    env.set("/e", "base");
    let failing = env.editor("fail.sh", r#"printf 'half done' > "$1"; exit 1"#);
    env.config(&["edit", "/e"]).env("EDITOR", failing).assert().code(1).stderr(contains("editor"));
    assert_eq!(env.get("/e"), b"base");
    assert_eq!(std::fs::read_to_string(&env.kept_drafts()[0]).unwrap(), "half done");
}

#[test]
fn a_blank_editor_variable_is_a_usage_error() {
    let env = Env::new();
    env.config(&["edit", "/e"]).env("EDITOR", "   ").assert().code(2).stderr(contains("EDITOR is blank"));
}
