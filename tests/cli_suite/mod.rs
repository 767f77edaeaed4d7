//! Every command and exit code end to end, written once and run against
//! each backend: [`trials`] makes a trial of each test in [`TESTS`], on a
//! fresh store from the backend's fixture.

use predicates::prelude::*;
use predicates::str::contains;

use crate::util::fixture::Factory;
use crate::util::running::Running;
use crate::util::suite::{self, Table, Trial};
use crate::util::{dir_url, Env, BAD_SCHEDULE, CELERY_KEY, GOOD_SCHEDULE};

/// The suite, listed once.
const TESTS: Table<fn(&Env)> = crate::table![
    every_command_once,
    no_lost_increments,
    get_prints_the_value_byte_for_byte,
    get_missing_key_exits_4_with_one_line,
    get_json_and_yaml_carry_key_value_and_revision,
    binary_values_come_as_base64_in_json_and_raw_in_plain,
    set_reads_stdin_with_dash,
    set_without_a_value_is_a_usage_error,
    list_shows_children_and_recursive_keys_sorted,
    if_absent_creates_once,
    if_revision_writes_only_at_that_revision,
    dry_run_validates_and_writes_nothing,
    celery_schedule_is_validated_on_set,
    validate_checks_without_writing,
    delete_one_key,
    delete_with_stale_revision_is_a_conflict,
    recursive_delete_needs_yes_off_a_terminal_and_keeps_the_boundary,
    quiet_silences_notes,
    a_closed_pipe_is_not_an_error,
    edit_writes_the_changed_text,
    visual_wins_over_editor,
    edit_creates_a_missing_key,
    unchanged_text_writes_nothing,
    the_editor_sees_a_json_suffix_for_the_schedule,
    invalid_text_exits_3_and_keeps_the_text,
    a_concurrent_write_exits_5_and_keeps_the_text,
    a_concurrent_create_is_also_a_conflict,
    a_failing_editor_exits_1_and_keeps_the_text,
    a_blank_editor_variable_is_a_usage_error,
    an_emptied_buffer_cancels_the_edit,
    edit_works_whatever_the_length_of_the_last_segment,
    a_value_over_the_size_limit_is_refused_before_any_io,
    export_then_import_elsewhere_is_byte_identical,
    consul_format_round_trips,
    import_checks_everything_before_writing_anything,
    diff_exit_code_tells_no_change_change_and_error,
    apply_needs_yes_off_a_terminal_then_prunes,
    writes_report_json_for_scripts,
    edit_r_applies_the_difference,
    edit_r_refuses_a_concurrent_change_and_keeps_the_text,
    edit_r_keeps_the_text_of_a_bad_document,
    a_fan_out_write_reaches_the_live_stores_and_retry_delivers_the_rest,
    fan_out_reports_each_store_in_json,
    watch_prints_each_change_and_runs_exec_once_per_batch,
    watch_ends_at_its_timeout,
    mirror_watch_keeps_a_copy_identical_across_restarts,
    copy_from_the_dir_store_and_back_verifies_clean,
    compare_tells_agreement_from_drift,
    a_prefix_is_its_own_key_in_every_command,
    field_edits_change_one_field_guarded_by_the_revision,
    concurrent_field_edits_lose_no_update,
];

/// A trial of each test, each on a fresh store from `factory`.
pub fn trials(prefix: &str, factory: Factory) -> Vec<Trial> {
    suite::trials(prefix, TESTS, move |test: fn(&Env)| {
        if let Some(fixture) = factory() {
            test(&fixture.env());
        }
    })
}

pub fn get_prints_the_value_byte_for_byte(env: &Env) {
    env.set("/a/b", "no newline");
    env.config(&["get", "/a/b"]).assert().success().stdout("no newline");
    env.config(&["set", "/a/nl", "with newline\n"]).assert().success();
    env.config(&["get", "a/nl/"]).assert().success().stdout("with newline\n");
}

pub fn get_missing_key_exits_4_with_one_line(env: &Env) {
    let out = env.config(&["get", "/missing"]).assert().code(4).stdout("").get_output().stderr.clone();
    let err = String::from_utf8(out).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/missing"), "{err}");
}

pub fn get_json_and_yaml_carry_key_value_and_revision(env: &Env) {
    env.set("/j", "text");
    let rev = env.revision("/j");
    env.config(&["get", "-o", "json", "/j"])
        .assert()
        .success()
        .stdout(format!("{{\"key\":\"/j\",\"value\":\"text\",\"revision\":{rev}}}\n"));
    env.config(&["get", "-o", "yaml", "/j"])
        .assert()
        .success()
        .stdout(format!("key: /j\nvalue: text\nrevision: {rev}\n"));
}

pub fn binary_values_come_as_base64_in_json_and_raw_in_plain(env: &Env) {
    let bin = env.path().join("bin");
    std::fs::write(&bin, [0xffu8, 0x00, 0xfe, b'\n']).unwrap();
    env.config(&["set", "/bin", "--file", bin.to_str().unwrap()]).assert().success();
    env.config(&["get", "/bin"]).assert().success().stdout(predicate::eq(&[0xffu8, 0x00, 0xfe, b'\n'][..]));
    env.config(&["get", "-o", "json", "/bin"]).assert().success().stdout(contains("\"value_base64\":\"/wD+Cg==\""));
}

pub fn set_reads_stdin_with_dash(env: &Env) {
    env.config(&["set", "/in", "-"]).write_stdin("from stdin\n").assert().success();
    assert_eq!(env.get("/in"), b"from stdin\n");
}

pub fn set_without_a_value_is_a_usage_error(env: &Env) {
    env.config(&["set", "/x"]).assert().code(2).stderr(contains("no value"));
    env.config(&["set", "/x", "v", "--file", "/etc/hostname"]).assert().code(2);
    env.config(&["set", "/", "v"]).assert().code(2).stderr(contains("prefix, not a key"));
    env.config(&["get", "/x"]).assert().code(4);
}

pub fn list_shows_children_and_recursive_keys_sorted(env: &Env) {
    for k in ["/ovs/framework/hosts/h1/ip", "/ovs/framework/hosts/h2/ip", "/ovs/framework/memcache", "/ovs/frameworkx"]
    {
        env.set(k, "v");
    }
    env.config(&["list", "/ovs"]).assert().success().stdout("framework/\nframeworkx\n");
    env.config(&["list", "/ovs/framework"]).assert().success().stdout("hosts/\nmemcache\n");
    env.config(&["list"]).assert().success().stdout("ovs/\n");
    let all = "/ovs/framework/hosts/h1/ip\n/ovs/framework/hosts/h2/ip\n/ovs/framework/memcache\n";
    env.config(&["list", "-r", "/ovs/framework"]).assert().success().stdout(all);
    env.config(&["list-recursive", "/ovs/framework"]).assert().success().stdout(all);
    env.config(&["list", "-o", "json", "/ovs/framework"]).assert().success().stdout("[\"hosts/\",\"memcache\"]\n");
    env.config(&["list", "-o", "yaml", "/ovs/framework"]).assert().success().stdout("- hosts/\n- memcache\n");
    env.config(&["list", "-o", "json", "/empty"]).assert().success().stdout("[]\n");
}

pub fn if_absent_creates_once(env: &Env) {
    env.config(&["set", "--if-absent", "/once", "1"]).assert().success();
    env.config(&["set", "--if-absent", "/once", "2"]).assert().code(5).stderr(contains("conflict"));
    assert_eq!(env.get("/once"), b"1");
}

pub fn if_revision_writes_only_at_that_revision(env: &Env) {
    env.set("/r", "1");
    let rev = env.revision("/r");
    env.config(&["set", "/r", "2", "--if-revision", &rev.to_string()]).assert().success();
    env.config(&["set", "/r", "3", "--if-revision", &rev.to_string()]).assert().code(5);
    assert_eq!(env.get("/r"), b"2");
    env.config(&["set", "/r", "4", "--if-revision", "x"]).assert().code(2);
}

pub fn dry_run_validates_and_writes_nothing(env: &Env) {
    env.config(&["set", "--dry-run", CELERY_KEY, GOOD_SCHEDULE])
        .assert()
        .success()
        .stderr(contains("dry run").and(contains("valid celery schedule")));
    env.config(&["get", CELERY_KEY]).assert().code(4);
    env.config(&["set", "--dry-run", CELERY_KEY, BAD_SCHEDULE]).assert().code(3);
    env.set("/d", "1");
    env.config(&["set", "--dry-run", "--if-absent", "/d", "2"]).assert().code(5);
    assert_eq!(env.get("/d"), b"1");
}

pub fn celery_schedule_is_validated_on_set(env: &Env) {
    env.config(&["set", CELERY_KEY, GOOD_SCHEDULE]).assert().success();
    env.config(&["set", CELERY_KEY, BAD_SCHEDULE])
        .assert()
        .code(3)
        .stderr(contains(r#"celery schedule: task "ovs.generic.execute_scrub": minute "61""#));
    assert_eq!(env.get(CELERY_KEY), GOOD_SCHEDULE.as_bytes());
    env.config(&["set", CELERY_KEY, "not json"]).assert().code(3).stderr(contains("not valid JSON"));
}

pub fn validate_checks_without_writing(env: &Env) {
    env.config(&["validate", CELERY_KEY, GOOD_SCHEDULE]).assert().success();
    env.config(&["validate", CELERY_KEY, BAD_SCHEDULE]).assert().code(3);
    env.config(&["validate", CELERY_KEY, "-"]).write_stdin(BAD_SCHEDULE).assert().code(3);
    env.config(&["get", CELERY_KEY]).assert().code(4);
    // Without a value, the stored one is checked.
    env.config(&["validate", CELERY_KEY]).assert().code(4);
    env.set(CELERY_KEY, GOOD_SCHEDULE);
    env.config(&["validate", CELERY_KEY]).assert().success().stderr(contains("stored value is a valid"));
    env.config(&["validate", "/other", "anything"]).assert().success().stderr(contains("no validator"));
}

pub fn delete_one_key(env: &Env) {
    env.set("/del", "1");
    env.config(&["delete", "/del"]).assert().success();
    env.config(&["get", "/del"]).assert().code(4);
    env.config(&["delete", "/del"]).assert().code(4);
}

pub fn delete_with_stale_revision_is_a_conflict(env: &Env) {
    env.set("/del", "1");
    let old = env.revision("/del");
    env.set("/del", "2");
    env.config(&["delete", "/del", "--if-revision", &old.to_string()]).assert().code(5);
    assert_eq!(env.get("/del"), b"2");
}

pub fn recursive_delete_needs_yes_off_a_terminal_and_keeps_the_boundary(env: &Env) {
    for k in ["/foo", "/foo/a", "/foo/b/c", "/foobar"] {
        env.set(k, "v");
    }
    env.config(&["delete", "-r", "/foo"]).assert().code(2).stderr(contains("--yes"));
    assert_eq!(env.get("/foo/a"), b"v");
    env.config(&["delete", "-r", "--yes", "/foo"]).assert().success().stderr(contains("deleted 3"));
    env.config(&["list", "-r", "/"]).assert().success().stdout("/foobar\n");
    env.config(&["delete", "-r", "--yes", "/foo"]).assert().code(4);
    env.config(&["delete", "-r", "--if-revision", "1", "/foobar"]).assert().code(2);
}

pub fn quiet_silences_notes(env: &Env) {
    env.config(&["set", "/q", "v"]).assert().success().stderr(contains("written at revision"));
    env.config(&["-q", "set", "/q", "w"]).assert().success().stderr("");
}

pub fn a_closed_pipe_is_not_an_error(env: &Env) {
    // Four times a pipe's buffer, and within every store's value limit.
    env.config(&["set", "/big", "-"]).write_stdin("x".repeat(256 << 10)).assert().success();
    let script = format!(
        "set -o pipefail; {} config get /big | head -c 1 >/dev/null",
        assert_cmd::cargo::cargo_bin("ovs").display()
    );
    std::process::Command::new("bash")
        .args(["-c", &script])
        .env("OVS_CONFIG_STORE", &env.store_url)
        .status()
        .map(|s| assert!(s.success(), "{s}"))
        .unwrap();
}

/// Every command once; the failover tests run it with a member down.
pub fn every_command_once(env: &Env) {
    env.config(&["set", CELERY_KEY, GOOD_SCHEDULE]).assert().success();
    env.config(&["set", "/f/a", "1"]).assert().success();
    env.config(&["set", "--if-absent", "/f/b/c", "2"]).assert().success();
    assert_eq!(env.get("/f/a"), b"1");
    env.config(&["list", "/f"]).assert().success().stdout("a\nb/\n");
    env.config(&["list", "-r", "/f"]).assert().success().stdout("/f/a\n/f/b/c\n");
    env.config(&["validate", CELERY_KEY]).assert().success();
    let rev = env.revision("/f/a").to_string();
    env.config(&["set", "/f/a", "3", "--if-revision", &rev]).assert().success();
    let editor = env.editor("e.sh", r#"printf 'edited' > "$1""#);
    env.config(&["edit", "/f/a"]).env("EDITOR", editor).assert().success();
    assert_eq!(env.get("/f/a"), b"edited");
    env.config(&["delete", "/f/a"]).assert().success();
    env.config(&["delete", "-r", "--yes", "/f"]).assert().success();
    env.config(&["list", "-r", "/f"]).assert().success().stdout("");
}

/// A store that logs in with `password`: it works from $OVS_CONFIG_PASSWORD
/// and from --password-file; a wrong password is refused (exit 8, naming
/// neither password, even at -vv); with no password source at all, a store
/// whose user needs one says so (exit 2), and one that logs in as psql and
/// mysql do (`password_optional`) asks the server, which refuses (exit 8),
/// and says no password was given. The etcd and relational tests run it on
/// their servers.
#[allow(dead_code)] // each test binary includes this module; only those stores log in with a password
pub fn a_password_login_keeps_the_password_secret(env: &Env, password: &str, password_optional: bool) {
    env.config(&["set", "/auth/k", "v"]).env("OVS_CONFIG_PASSWORD", password).assert().success();
    let pw_file = env.path().join("pw");
    std::fs::write(&pw_file, format!("{password}\n")).unwrap();
    env.config(&["get", "/auth/k"]).arg("--password-file").arg(&pw_file).assert().success().stdout("v");
    let out = env
        .config(&["-vv", "get", "/auth/k"])
        .env("OVS_CONFIG_PASSWORD", "wrong-pw")
        .assert()
        .code(8)
        .get_output()
        .clone();
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(all.contains("authentication failed") || all.contains("access denied"), "{all}");
    assert!(!all.contains("wrong-pw") && !all.contains(password), "{all}");
    let without = env.config(&["get", "/auth/k"]).env_remove("OVS_CONFIG_PASSWORD").assert();
    if password_optional {
        without.code(8).stderr(contains("no password was given").and(contains("OVS_CONFIG_PASSWORD")));
    } else {
        without.code(2).stderr(contains("OVS_CONFIG_PASSWORD"));
    }
}

const WORKERS: usize = 8;
const INCREMENTS: u64 = 12;

fn increment(store_url: &str) -> u32 {
    let ovs = assert_cmd::cargo::cargo_bin("ovs");
    let mut conflicts = 0;
    loop {
        let out = std::process::Command::new(&ovs)
            .args(["config", "get", "-o", "json", "/counter"])
            .env("OVS_CONFIG_STORE", store_url)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let n: u64 = doc["value"].as_str().unwrap().parse().unwrap();
        let rev = doc["revision"].as_u64().unwrap().to_string();
        let status = std::process::Command::new(&ovs)
            .args(["-q", "config", "set", "/counter", &(n + 1).to_string(), "--if-revision", &rev])
            .env("OVS_CONFIG_STORE", store_url)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        match status.code() {
            Some(0) => return conflicts,
            Some(5) => conflicts += 1,
            other => panic!("set exited with {other:?}"),
        }
    }
}

/// Eight `ovs` processes doing read-modify-write with --if-revision retries
/// on one key: every increment must survive.
pub fn no_lost_increments(env: &Env) {
    env.config(&["set", "--if-absent", "/counter", "0"]).assert().success();
    let url = env.store_url.clone();
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || (0..INCREMENTS).map(|_| increment(&url)).sum::<u32>())
        })
        .collect();
    let conflicts: u32 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(env.get("/counter"), (WORKERS as u64 * INCREMENTS).to_string().as_bytes());
    eprintln!("{conflicts} conflicts were retried");
}

// edit, driven by EDITOR scripts

/// An editor that replaces the file with $NEW_TEXT.
fn writer(env: &Env) -> String {
    env.editor("write.sh", r#"printf '%s' "$NEW_TEXT" > "$1""#)
}

pub fn edit_writes_the_changed_text(env: &Env) {
    env.set("/e", "old");
    env.config(&["edit", "/e"]).env("EDITOR", writer(env)).env("NEW_TEXT", "new").assert().success();
    assert_eq!(env.get("/e"), b"new");
    assert!(env.kept_drafts().is_empty());
}

pub fn visual_wins_over_editor(env: &Env) {
    env.set("/e", "old");
    let failing = env.editor("fail.sh", "exit 1");
    env.config(&["edit", "/e"])
        .env("VISUAL", writer(env))
        .env("EDITOR", failing)
        .env("NEW_TEXT", "from visual")
        .assert()
        .success();
    assert_eq!(env.get("/e"), b"from visual");
}

pub fn edit_creates_a_missing_key(env: &Env) {
    env.config(&["edit", "/new/key"]).env("EDITOR", writer(env)).env("NEW_TEXT", "created").assert().success();
    assert_eq!(env.get("/new/key"), b"created");
}

pub fn unchanged_text_writes_nothing(env: &Env) {
    env.set("/e", "same");
    let rev = env.revision("/e");
    let touch = env.editor("noop.sh", "true");
    env.config(&["edit", "/e"]).env("EDITOR", &touch).assert().success().stderr(contains("no change"));
    assert_eq!(env.revision("/e"), rev);
    env.config(&["edit", "/absent"]).env("EDITOR", &touch).assert().success();
    env.config(&["get", "/absent"]).assert().code(4);
    assert!(env.kept_drafts().is_empty());
}

pub fn the_editor_sees_a_json_suffix_for_the_schedule(env: &Env) {
    env.set(CELERY_KEY, GOOD_SCHEDULE);
    let check = env.editor("suffix.sh", r#"case "$1" in *.json) ;; *) exit 7 ;; esac"#);
    env.config(&["edit", CELERY_KEY]).env("EDITOR", check).assert().success();
}

pub fn invalid_text_exits_3_and_keeps_the_text(env: &Env) {
    env.set(CELERY_KEY, GOOD_SCHEDULE);
    env.config(&["edit", CELERY_KEY])
        .env("EDITOR", writer(env))
        .env("NEW_TEXT", BAD_SCHEDULE)
        .assert()
        .code(3)
        .stderr(contains("minute \"61\"").and(contains("your text is kept in")));
    assert_eq!(env.get(CELERY_KEY), GOOD_SCHEDULE.as_bytes());
    let kept = env.kept_drafts();
    assert_eq!(kept.len(), 1);
    assert_eq!(std::fs::read_to_string(&kept[0]).unwrap(), BAD_SCHEDULE);
}

pub fn a_concurrent_write_exits_5_and_keeps_the_text(env: &Env) {
    env.set("/e", "base");
    // The "editor" is slow: another writer changes the key meanwhile.
    let ovs = assert_cmd::cargo::cargo_bin("ovs");
    let racer = env.editor("race.sh", &format!(r#"{} config set /e "theirs" ; printf 'mine' > "$1""#, ovs.display()));
    env.config(&["edit", "/e"]).env("EDITOR", racer).assert().code(5).stderr(contains("your text is kept in"));
    assert_eq!(env.get("/e"), b"theirs");
    let kept = env.kept_drafts();
    assert_eq!(kept.len(), 1);
    assert_eq!(std::fs::read_to_string(&kept[0]).unwrap(), "mine");
}

pub fn a_concurrent_create_is_also_a_conflict(env: &Env) {
    let ovs = assert_cmd::cargo::cargo_bin("ovs");
    let racer = env.editor("race.sh", &format!(r#"{} config set /n "theirs" ; printf 'mine' > "$1""#, ovs.display()));
    env.config(&["edit", "/n"]).env("EDITOR", racer).assert().code(5);
    assert_eq!(env.get("/n"), b"theirs");
}

pub fn a_failing_editor_exits_1_and_keeps_the_text(env: &Env) {
    env.set("/e", "base");
    let failing = env.editor("fail.sh", r#"printf 'half done' > "$1"; exit 1"#);
    env.config(&["edit", "/e"]).env("EDITOR", failing).assert().code(1).stderr(contains("editor"));
    assert_eq!(env.get("/e"), b"base");
    assert_eq!(std::fs::read_to_string(&env.kept_drafts()[0]).unwrap(), "half done");
}

pub fn a_blank_editor_variable_is_a_usage_error(env: &Env) {
    env.config(&["edit", "/e"]).env("EDITOR", "   ").assert().code(2).stderr(contains("EDITOR is blank"));
}

pub fn an_emptied_buffer_cancels_the_edit(env: &Env) {
    env.set("/e", "precious");
    let rev = env.revision("/e");
    for body in [r#": > "$1""#, r#"printf '\n' > "$1""#] {
        let emptier = env.editor("empty.sh", body);
        env.config(&["edit", "/e"]).env("EDITOR", emptier).assert().success().stderr(contains("cancelled"));
        assert_eq!(env.get("/e"), b"precious");
        assert_eq!(env.revision("/e"), rev);
    }
    // An empty value is still there to be had, on purpose.
    env.config(&["set", "/e", ""]).assert().success();
    assert_eq!(env.get("/e"), b"");
}

pub fn edit_works_whatever_the_length_of_the_last_segment(env: &Env) {
    let key = format!("/long/{}", "s".repeat(250));
    env.set(&key, "old");
    env.config(&["edit", &key]).env("EDITOR", writer(env)).env("NEW_TEXT", "new").assert().success();
    assert_eq!(env.get(&key), b"new");
    let multibyte = format!("/long/{}", "é".repeat(120));
    env.config(&["edit", &multibyte]).env("EDITOR", writer(env)).env("NEW_TEXT", "made").assert().success();
    assert_eq!(env.get(&multibyte), b"made");
}

pub fn a_value_over_the_size_limit_is_refused_before_any_io(env: &Env) {
    env.set("/sized", "1234");
    let rev = env.revision("/sized");
    env.config(&["set", "/sized", "12345", "--max-value-size", "4"])
        .assert()
        .code(2)
        .stderr(contains("limit of 4 bytes"));
    env.config(&["set", "/sized", "5678", "--max-value-size", "4"]).assert().success();
    let grow = env.editor("grow.sh", r#"printf 'longer than four' > "$1""#);
    env.config(&["edit", "/sized", "--max-value-size", "4"])
        .env("EDITOR", grow)
        .assert()
        .code(2)
        .stderr(contains("kept in"));
    assert_eq!(env.get("/sized"), b"5678");
    assert!(env.revision("/sized") > rev);
}

// Whole documents: export, import, diff, apply, edit -r.

/// Keys of every awkward kind, below `prefix`.
fn awkward_tree(env: &Env, prefix: &str) {
    let bin = env.path().join("bin-value");
    std::fs::write(&bin, [0xffu8, 0x00, 0xfe, b'\n']).unwrap();
    env.config(&["set", &format!("{prefix}/bin"), "--file", bin.to_str().unwrap()]).assert().success();
    env.set(&format!("{prefix}/multi/line"), "one\ntwo\n  three\n");
    env.set(&format!("{prefix}/number"), "0123");
    env.set(&format!("{prefix}/bool"), "true");
    env.set(&format!("{prefix}/odd: name"), "x: y");
    env.set(&format!("{prefix}/json"), r#"{"a": [1, 2], "b": null}"#);
    env.set(&format!("{prefix}/ünï"), "значение");
}

fn export(env: &Env, args: &[&str]) -> String {
    let out = env.config(&[&["export"], args].concat()).assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

/// The document from its `keys` on (after its prefix), which does not name the prefix.
fn keys_part(doc: &str) -> &str {
    let prefix = doc.find("prefix").unwrap();
    &doc[prefix + doc[prefix..].find("keys").unwrap()..]
}

pub fn export_then_import_elsewhere_is_byte_identical(env: &Env) {
    awkward_tree(env, "/src");
    env.set("/srcx/outside", "not exported");
    for output in ["yaml", "json"] {
        let doc = export(env, &["-o", output, "/src"]);
        let dst = format!("/dst-{output}");
        env.config(&["import", "--prefix", &dst, "-"]).write_stdin(doc.clone()).assert().success();
        let again = export(env, &["-o", output, &dst]);
        assert_eq!(keys_part(&again), keys_part(&doc), "{output}");
        assert_eq!(env.get(&format!("{dst}/bin")), [0xffu8, 0x00, 0xfe, b'\n']);
    }
    env.config(&["get", "/dst-yaml/outside"]).assert().code(4);
}

pub fn consul_format_round_trips(env: &Env) {
    awkward_tree(env, "/c");
    let doc = export(env, &["--format", "consul", "/c"]);
    let items: Vec<serde_json::Value> = serde_json::from_str(&doc).unwrap();
    assert!(items.iter().any(|i| i["key"] == "c/bin" && i["value"] == "/wD+Cg=="), "{doc}");
    env.config(&["import", "--format", "consul", "--prefix", "/copy", "-"]).write_stdin(doc.clone()).assert().success();
    assert_eq!(env.get("/copy/c/multi/line"), b"one\ntwo\n  three\n");
    assert_eq!(env.get("/copy/c/bin"), [0xffu8, 0x00, 0xfe, b'\n']);
    // Consul's own empty value is null.
    let consul = r#"[{"key":"e/empty","flags":0,"value":null}]"#;
    env.config(&["import", "--format", "consul", "-"]).write_stdin(consul).assert().success();
    assert_eq!(env.get("/e/empty"), b"");
}

pub fn import_checks_everything_before_writing_anything(env: &Env) {
    env.set("/i/kept", "old");
    let bad_schedule = BAD_SCHEDULE.replace('\'', "''");
    let refused = format!(
        "ovs-config: 1\nprefix: /\nkeys:\n  i/kept: new\n  ovs/framework/scheduling/celery: '{bad_schedule}'\n  i/n: ok\n"
    );
    env.config(&["import", "-"]).write_stdin(refused).assert().code(3).stderr(contains("minute \"61\""));
    let bad_key = "ovs-config: 1\nprefix: /i\nkeys:\n  a: '1'\n  b//c: '2'\n";
    env.config(&["import", "-"]).write_stdin(bad_key).assert().code(2).stderr(contains("line 5").and(contains("b//c")));
    let twice = "ovs-config: 1\nprefix: /i\nkeys:\n  a: '1'\n  a: '2'\n";
    env.config(&["import", "-"]).write_stdin(twice).assert().code(2).stderr(contains("twice"));
    let bad_b64 = "ovs-config: 1\nprefix: /i\nkeys:\n  a: {base64: '%%'}\n";
    env.config(&["import", "-"]).write_stdin(bad_b64).assert().code(2).stderr(contains("base64"));
    env.config(&["import", "--dry-run", "-"])
        .write_stdin("ovs-config: 1\nprefix: /i\nkeys:\n  n: v\n")
        .assert()
        .success();
    env.config(&["list", "-r", "/i"]).assert().success().stdout("/i/kept\n");
    assert_eq!(env.get("/i/kept"), b"old");
}

pub fn diff_exit_code_tells_no_change_change_and_error(env: &Env) {
    env.set("/d/a", "1\n2\n");
    env.set("/d/gone", "x");
    let same = export(env, &["/d"]);
    env.config(&["diff", "--exit-code", "--prune", "-"]).write_stdin(same.clone()).assert().success();
    let changed = "ovs-config: 1\nprefix: /d\nkeys:\n  a: |\n    1\n    3\n  new: v\n";
    env.config(&["diff", "--exit-code", "-"]).write_stdin(changed).assert().code(7).stdout(
        contains("~ /d/a")
            .and(contains("-2"))
            .and(contains("+3"))
            .and(contains("+ /d/new"))
            .and(contains("/d/gone").not()),
    );
    env.config(&["diff", "--prune", "-"]).write_stdin(changed).assert().success().stdout(contains("- /d/gone"));
    let out = env
        .config(&["diff", "--prune", "-o", "json", "-"])
        .write_stdin(changed)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let plan: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        plan,
        serde_json::json!({"added": ["/d/new"], "changed": ["/d/a"], "removed": ["/d/gone"], "unchanged": 0})
    );
    env.config(&["diff", "--exit-code", "-"]).write_stdin("nope: [").assert().code(2);
    assert_eq!(env.get("/d/a"), b"1\n2\n");
}

pub fn apply_needs_yes_off_a_terminal_then_prunes(env: &Env) {
    env.set("/a/keep", "k");
    env.set("/a/change", "old");
    env.set("/a/remove", "r");
    env.set("/ab", "outside the prefix");
    let doc = "ovs-config: 1\nprefix: /a\nkeys:\n  keep: k\n  change: new\n  add: n\n";
    env.config(&["apply", "--prune", "-"]).write_stdin(doc).assert().code(2).stderr(contains("--yes"));
    assert_eq!(env.get("/a/change"), b"old");
    env.config(&["apply", "--prune", "--yes", "-"]).write_stdin(doc).assert().success();
    env.config(&["list", "-r", "/"]).assert().success().stdout("/a/add\n/a/change\n/a/keep\n/ab\n");
    assert_eq!(env.get("/a/change"), b"new");
    // Nothing to change: said, nothing written, no --yes needed.
    let rev = env.revision("/a/keep");
    env.config(&["apply", "--prune", "-"]).write_stdin(doc).assert().success().stderr(contains("no changes"));
    assert_eq!(env.revision("/a/keep"), rev);
}

pub fn writes_report_json_for_scripts(env: &Env) {
    let out = env.config(&["set", "-o", "json", "/j", "v"]).assert().success().get_output().stdout.clone();
    let set: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(set["key"], "/j");
    assert_eq!(set["revision"].as_u64().unwrap(), env.revision("/j"));
    let doc = "ovs-config: 1\nprefix: /\nkeys:\n  j: w\n  k: x\n";
    let out = env
        .config(&["apply", "--yes", "-o", "json", "-"])
        .write_stdin(doc)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let applied: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(applied["added"], serde_json::json!(["/k"]));
    assert_eq!(applied["changed"], serde_json::json!(["/j"]));
    assert_eq!(applied["written"], true);
    assert_eq!(applied["revision"].as_u64().unwrap(), env.revision("/k"));
    let out = env.config(&["delete", "-o", "json", "/j"]).assert().success().get_output().stdout.clone();
    // Every write reports one shape (issue 16): the key, whether and at which
    // revision it was written, and what it did.
    let mut deleted = serde_json::from_slice::<serde_json::Value>(&out).unwrap();
    assert!(deleted["revision"].as_u64().is_some(), "{deleted}");
    deleted.as_object_mut().unwrap().remove("revision");
    assert_eq!(deleted, serde_json::json!({"key": "/j", "written": true, "deleted": 1}));
}

pub fn edit_r_applies_the_difference(env: &Env) {
    env.set("/t/a", "1");
    env.set("/t/b", "2");
    env.set("/t/sub/c", "3");
    env.set("/tx", "outside");
    // Change a, drop b, add d.
    let editor = env.editor(
        "tree.sh",
        r#"sed -i -e 's/^  a: "1"/  a: changed/' -e '/^  b: /d' "$1"; printf '  d: added\n' >> "$1""#,
    );
    env.config(&["edit", "-r", "/t"]).env("EDITOR", editor).assert().success();
    env.config(&["list", "-r", "/"]).assert().success().stdout("/t/a\n/t/d\n/t/sub/c\n/tx\n");
    assert_eq!(env.get("/t/a"), b"changed");
    assert_eq!(env.get("/t/d"), b"added");
    assert!(env.kept_drafts().is_empty());
    let rev = env.revision("/t/a");
    env.config(&["edit", "-r", "/t"])
        .env("EDITOR", env.editor("noop.sh", "true"))
        .assert()
        .success()
        .stderr(contains("no change"));
    assert_eq!(env.revision("/t/a"), rev);
}

pub fn edit_r_refuses_a_concurrent_change_and_keeps_the_text(env: &Env) {
    env.set("/t/a", "1");
    env.set("/t/b", "2");
    let ovs = assert_cmd::cargo::cargo_bin("ovs");
    // While the editor is open someone else changes /t/b; the user drops it.
    let racer =
        env.editor("race.sh", &format!(r#"{} -q config set /t/b theirs; sed -i '/^  b: /d' "$1""#, ovs.display()));
    env.config(&["edit", "-r", "/t"]).env("EDITOR", racer).assert().code(5).stderr(contains("your text is kept in"));
    assert_eq!(env.get("/t/b"), b"theirs");
    assert_eq!(env.get("/t/a"), b"1");
    let kept = env.kept_drafts();
    assert_eq!(kept.len(), 1);
    assert!(!std::fs::read_to_string(&kept[0]).unwrap().contains("  b:"));
}

pub fn edit_r_keeps_the_text_of_a_bad_document(env: &Env) {
    env.set("/t/a", "1");
    let breaker = env.editor("break.sh", r#"printf '  b//c: x\n' >> "$1""#);
    env.config(&["edit", "-r", "/t"])
        .env("EDITOR", breaker)
        .assert()
        .code(2)
        .stderr(contains("b//c").and(contains("kept in")));
    let schedule = env
        .editor("sched.sh", &format!(r#"printf "  ovs/framework/scheduling/celery: '%s'\n" '{BAD_SCHEDULE}' >> "$1""#));
    env.config(&["edit", "-r", "/"]).env("EDITOR", schedule).assert().code(3);
    env.config(&["list", "-r", "/"]).assert().success().stdout("/t/a\n");
}

/// A store for the fan-out tests that can be taken down and brought back:
/// the backend under test behind a proxy when it is a server (down: exit 6),
/// else a directory store whose path a file blocks (down: exit 1).
struct Flaky {
    url: String,
    proxy: Option<crate::util::proxy::Proxy>,
    blocker: std::path::PathBuf,
    code: i32,
}

impl Flaky {
    fn new(env: &Env) -> Flaky {
        let blocker = env.path().join("blocker");
        let target = env.store_url.find("127.0.0.1:").map(|at| {
            let rest = &env.store_url[at..];
            rest[..rest.find(['/', '?', ',']).unwrap_or(rest.len())].to_string()
        });
        match target {
            Some(target) => {
                let proxy = crate::util::proxy::Proxy::start(&target);
                Flaky { url: proxy.url_for(&env.store_url).unwrap(), proxy: Some(proxy), blocker, code: 6 }
            }
            None => Flaky { url: format!("dir://{}/store", blocker.display()), proxy: None, blocker, code: 1 },
        }
    }

    fn set_up(&self, up: bool) {
        match &self.proxy {
            Some(proxy) => proxy.set_up(up),
            // Down: the store's folder is moved away and a file put in its
            // way; up: the folder is back.
            None => {
                let away = self.blocker.with_extension("away");
                if up {
                    std::fs::remove_file(&self.blocker).unwrap();
                    if away.exists() {
                        std::fs::rename(&away, &self.blocker).unwrap();
                    }
                } else {
                    if self.blocker.exists() {
                        std::fs::rename(&self.blocker, &away).unwrap();
                    }
                    std::fs::write(&self.blocker, "not a directory").unwrap();
                }
            }
        }
    }

    /// The two healthy stores beside it: two directory stores, or for a
    /// backend without a server, the env's own store and a directory store.
    fn healthy(&self, env: &Env) -> [String; 2] {
        let dir = |name: &str| dir_url(env, name);
        match self.proxy {
            Some(_) => [dir("a"), dir("b")],
            None => [env.store_url.clone(), dir("a")],
        }
    }
}

/// `ovs --store A --store B --store C config ARGS`, timing out soon.
fn fan_out(env: &Env, stores: &[&str], args: &[&str]) -> assert_cmd::Command {
    let mut cmd = env.ovs();
    for store in stores {
        cmd.args(["--store", store]);
    }
    cmd.args(["--timeout", "2", "config"]).args(args);
    cmd
}

fn outbox(env: &Env) -> Vec<serde_json::Value> {
    let out = env.config(&["outbox", "-o", "json"]).assert().success().get_output().stdout.clone();
    serde_json::from_slice::<Vec<serde_json::Value>>(&out).unwrap()
}

pub fn a_fan_out_write_reaches_the_live_stores_and_retry_delivers_the_rest(env: &Env) {
    let flaky = Flaky::new(env);
    let [a, b] = flaky.healthy(env);
    let all = [a.as_str(), b.as_str(), flaky.url.as_str()];
    flaky.set_up(false);
    let out = fan_out(env, &all, &["set", "/fan/k", "v1"]).assert().code(flaky.code).get_output().stderr.clone();
    let err = String::from_utf8(out).unwrap();
    let down_name =
        flaky.proxy.as_ref().map_or(flaky.blocker.display().to_string(), |p| format!("127.0.0.1:{}", p.port));
    assert!(err.lines().last().unwrap().contains(&down_name), "the error names the down store: {err}");
    for healthy in [&a, &b] {
        fan_out(env, &[healthy], &["get", "/fan/k"]).assert().success().stdout("v1");
    }
    let kept = outbox(env);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0]["writes"][0]["key"], "/fan/k");

    // Still down: retry keeps it, with the store's code.
    env.config(&["--timeout", "2", "retry"]).assert().code(flaky.code);
    assert_eq!(outbox(env).len(), 1);
    flaky.set_up(true);
    env.config(&["retry"]).assert().success().stderr(contains("1 delivered"));
    fan_out(env, &[&flaky.url], &["get", "/fan/k"]).assert().success().stdout("v1");
    assert!(outbox(env).is_empty());

    // A write made there meanwhile by someone else wins: retry reports the
    // kept one as superseded and does not replay it.
    flaky.set_up(false);
    fan_out(env, &all, &["set", "/fan/k", "v2"]).assert().code(flaky.code);
    flaky.set_up(true);
    let elsewhere = tempfile::tempdir().unwrap();
    fan_out(env, &[&flaky.url], &["set", "/fan/k", "theirs"]).env("HOME", elsewhere.path()).assert().success();
    env.config(&["retry", "-o", "json"]).assert().success().stdout(contains(r#""superseded":["/fan/k"]"#));
    fan_out(env, &[&flaky.url], &["get", "/fan/k"]).assert().success().stdout("theirs");
    assert!(outbox(env).is_empty());

    // A later write that lands there makes an older pending one stale.
    flaky.set_up(false);
    fan_out(env, &all, &["delete", "/fan/k"]).assert().code(flaky.code);
    flaky.set_up(true);
    fan_out(env, &all, &["set", "/fan/k", "v3"]).assert().success().stderr(contains("superseded by this one"));
    assert!(outbox(env).is_empty());
    for store in all {
        fan_out(env, &[store], &["get", "/fan/k"]).assert().success().stdout("v3");
    }
}

pub fn fan_out_reports_each_store_in_json(env: &Env) {
    let other = dir_url(env, "other");
    let out = fan_out(env, &[&env.store_url, &other], &["set", "-o", "json", "/fan/j", "x"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let stores = report["stores"].as_array().unwrap();
    assert_eq!(stores.len(), 2, "{report}");
    assert!(stores.iter().all(|s| s["written"] == true && s["revision"].as_u64().is_some()), "{report}");
    // apply and delete fan out too.
    let doc = env.path().join("doc.yaml");
    std::fs::write(&doc, "ovs-config: 1\nprefix: /fan\nkeys:\n  j: y\n  n: z\n").unwrap();
    fan_out(env, &[&env.store_url, &other], &["apply", "--yes", doc.to_str().unwrap()]).assert().success();
    fan_out(env, &[&other], &["get", "/fan/n"]).assert().success().stdout("z");
    fan_out(env, &[&env.store_url, &other], &["delete", "-r", "--yes", "/fan"]).assert().success();
    fan_out(env, &[&other], &["get", "/fan/j"]).assert().code(4);
    env.config(&["get", "/fan/n"]).assert().code(4);
}

pub fn watch_prints_each_change_and_runs_exec_once_per_batch(env: &Env) {
    let log = env.path().join("exec.log");
    let handler = format!("{{ printf '%s\\n' \"$OVS_CHANGED_KEYS\"; cat; echo --; }} >> '{}'", log.display());
    let watch = Running::start(
        env,
        &["--timeout", "60", "config", "watch", "-o", "json", "--count", "5", "/w", "--exec", &handler],
    );
    watch.wait_stderr("watching /w");
    let event = |line: String| serde_json::from_str::<serde_json::Value>(&line).unwrap();
    env.set("/w/a", "1");
    let first = event(watch.line());
    assert_eq!(
        (first["type"].as_str(), first["key"].as_str(), first["value"].as_str()),
        (Some("PUT"), Some("/w/a"), Some("1"))
    );
    assert_eq!(first["revision"].as_u64(), Some(env.revision("/w/a")));
    env.set("/wx", "outside");
    env.set("/w/b", "2");
    assert_eq!(event(watch.line())["key"], "/w/b", "/wx is not below /w");
    env.config(&["delete", "/w/a"]).assert().success();
    let deleted = event(watch.line());
    assert_eq!((deleted["type"].as_str(), deleted["key"].as_str()), (Some("DELETE"), Some("/w/a")));
    // One commit of two keys is one batch: the handler runs once for both.
    let doc = env.path().join("two.yaml");
    std::fs::write(&doc, "ovs-config: 1\nprefix: /w\nkeys:\n  c: '3'\n  d: '4'\n").unwrap();
    env.config(&["import", doc.to_str().unwrap()]).assert().success();
    let keys: Vec<String> =
        [watch.line(), watch.line()].into_iter().map(|l| event(l)["key"].as_str().unwrap().to_string()).collect();
    assert_eq!(keys, ["/w/c", "/w/d"]);
    assert!(watch.finish().success(), "--count 5 ends the watch with exit 0");
    let runs = std::fs::read_to_string(&log).unwrap();
    let batches: Vec<&str> = runs.split("--\n").filter(|b| !b.is_empty()).collect();
    // Each run: the keys, then the JSON lines of its stdin.
    assert_eq!(batches.len(), 4, "one run per batch: {runs}");
    assert!(batches[3].starts_with("/w/c\n/w/d\n"), "{runs}");
    assert!(runs.contains(r#"{"type":"PUT","key":"/w/c","value":"3""#), "{runs}");
}

pub fn watch_ends_at_its_timeout(env: &Env) {
    // No change in time: --count not reached is a timeout (6); without --count, the planned end (0).
    env.config(&["--timeout", "1", "watch", "--count", "1", "/quiet"]).assert().code(6).stderr(contains("0 of 1"));
    env.config(&["--timeout", "500ms", "watch", "/quiet"]).assert().success();
    env.config(&["watch", "--count", "0", "/quiet"]).assert().code(2);
}

pub fn mirror_watch_keeps_a_copy_identical_across_restarts(env: &Env) {
    let copy = dir_url(env, "mirror");
    env.set("/m/old", "1");
    env.config(&["mirror", &env.store_url, &copy, "/m"]).assert().code(2).stderr(contains("--yes"));
    let args = ["--timeout", "60", "config", "mirror", "--yes", "--watch", &env.store_url, &copy, "/m"];
    for round in 0..2 {
        let mut mirror = Running::start(env, &args);
        if round == 0 {
            mirror.wait_stderr("written at revision");
        }
        // No wait for it: a write before its watch starts is in its first
        // comparison, one after is followed.
        env.set(&format!("/m/r{round}"), "x");
        env.set("/m/old", &format!("changed {round}"));
        env.config(&["delete", &format!("/m/r{round}")]).assert().success();
        env.set(&format!("/m/deep/k{round}"), "y");
        let wanted = env.config(&["export", "/m"]).assert().success().get_output().stdout.clone();
        let start = std::time::Instant::now();
        loop {
            let got = env
                .ovs()
                .args(["--store", &copy, "config", "export", "/m"])
                .assert()
                .success()
                .get_output()
                .stdout
                .clone();
            if got == wanted {
                break;
            }
            if start.elapsed() > std::time::Duration::from_secs(15) {
                panic!(
                    "round {round}: the mirror did not converge; {}\nwanted {}\ngot {}",
                    mirror.state(),
                    String::from_utf8_lossy(&wanted),
                    String::from_utf8_lossy(&got)
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        drop(mirror);
    }
    env.config(&["compare", &env.store_url, &copy, "/m"]).assert().success();
}

pub fn copy_from_the_dir_store_and_back_verifies_clean(env: &Env) {
    let src = dir_url(env, "src");
    let on = |url: &str, args: &[&str]| {
        let mut cmd = env.config(args);
        cmd.args(["--store", url]);
        cmd
    };
    let bin = env.path().join("bin");
    std::fs::write(&bin, [0xffu8, 0x00, b'\n']).unwrap();
    on(&src, &["set", "/app/b", "--file", bin.to_str().unwrap()]).assert().success();
    on(&src, &["set", "/app/a", "first\n"]).assert().success();
    on(&src, &["set", "/app/c/d", "deep"]).assert().success();
    on(&src, &["set", "/app-other", "not below /app"]).assert().success();
    on(&src, &["set", CELERY_KEY, GOOD_SCHEDULE]).assert().success();
    env.set("/app/c/kept", "the destination's own");

    env.config(&["copy", &src, &env.store_url, "--prefix", "/app"])
        .assert()
        .success()
        .stderr(contains("3 copied, 0 identical, 0 skipped, 0 mismatched"));
    assert_eq!(env.get("/app/a"), b"first\n");
    assert_eq!(env.get("/app/b"), [0xffu8, 0x00, b'\n']);
    assert_eq!(env.get("/app/c/kept"), b"the destination's own");
    env.config(&["get", "/app-other"]).assert().code(4);
    // Again: everything is there already.
    env.config(&["copy", &src, &env.store_url, "--prefix", "/app", "-o", "json"])
        .assert()
        .success()
        .stdout("{\"copied\":0,\"identical\":3,\"skipped\":0,\"mismatched\":0,\"mismatched_keys\":[]}\n");
    // The whole store, validated on the way (the schedule is checked).
    env.config(&["copy", &src, &env.store_url, "--prefix", "/ovs"]).assert().success().stderr(contains("1 copied"));
    assert_eq!(env.get(CELERY_KEY), GOOD_SCHEDULE.as_bytes());

    // And back, into a fresh directory store below another prefix.
    let back = dir_url(env, "back");
    env.config(&["copy", &env.store_url, &back, "--prefix", "/app", "--to-prefix", "/restored"])
        .assert()
        .success()
        .stderr(contains("4 copied, 0 identical, 0 skipped, 0 mismatched"));
    on(&back, &["get", "/restored/b"]).assert().success().stdout(predicate::eq(&[0xffu8, 0x00, b'\n'][..]));
    on(&back, &["list", "-r", "/"])
        .assert()
        .success()
        .stdout("/restored/a\n/restored/b\n/restored/c/d\n/restored/c/kept\n");
}

pub fn compare_tells_agreement_from_drift(env: &Env) {
    let other = dir_url(env, "other");
    let set_other = |key: &str, value: &str| {
        env.config(&["set", key, value]).args(["--store", &other]).assert().success();
    };
    for (key, value) in [("/c/same", "1"), ("/c/changed", "a"), ("/c/only-a", "x"), ("/d/outside", "1")] {
        set_other(key, value);
    }
    for (key, value) in [("/c/same", "1"), ("/c/changed", "b"), ("/c/only-b", "y"), ("/cc", "boundary")] {
        env.set(key, value);
    }
    env.config(&["compare", &other, &env.store_url, "/c"])
        .assert()
        .code(7)
        .stdout("-+ /c/changed\n-- /c/only-a\n++ /c/only-b\n")
        .stderr(contains("1 only in").and(contains("1 different")).and(contains("1 the same")));
    env.config(&["compare", "-o", "json", &other, &env.store_url, "/c"]).assert().code(7).stdout(
        "{\"only_in_a\":[\"/c/only-a\"],\"only_in_b\":[\"/c/only-b\"],\"different\":[\"/c/changed\"],\"same\":1}\n",
    );
    // The same with two --store.
    env.ovs()
        .args(["--store", &env.store_url, "--store", &other, "config", "compare", "c"])
        .assert()
        .code(7)
        .stdout("-+ /c/changed\n++ /c/only-a\n-- /c/only-b\n");
    // Brought into agreement: exit 0, nothing on stdout.
    env.config(&["copy", &other, &env.store_url, "--prefix", "/c", "--overwrite"]).assert().success();
    env.config(&["delete", "/c/only-b"]).assert().success();
    env.config(&["compare", &other, &env.store_url, "/c"])
        .assert()
        .success()
        .stdout("")
        .stderr(contains("agree below /c: 3 key(s)"));
    env.config(&["compare", "-o", "json", &other, &env.store_url, "/c"])
        .assert()
        .success()
        .stdout("{\"only_in_a\":[],\"only_in_b\":[],\"different\":[],\"same\":3}\n");
}

/// The subtree of a prefix is the prefix itself plus every key below it, in
/// every command that takes one (a Patroni config is one key: `watch`,
/// `copy`, `compare` and `export` of it must see it), never `P.x` or `Px`.
pub fn a_prefix_is_its_own_key_in_every_command(env: &Env) {
    let p = "/svc/config";
    for (key, value) in [(p, "ttl: 30"), ("/svc/config/below", "b"), ("/svc/config.x", "n"), ("/svc/configx", "n")] {
        env.set(key, value);
    }
    env.config(&["list", "-r", p]).assert().success().stdout("/svc/config\n/svc/config/below\n");
    env.config(&["list", p]).assert().success().stdout("below\n");

    // `watch KEY` follows that key, and not its neighbours.
    let watch = Running::start(env, &["--timeout", "60", "config", "watch", "-o", "json", "--count", "2", p]);
    watch.wait_stderr("watching /svc/config");
    let event = |line: String| serde_json::from_str::<serde_json::Value>(&line).unwrap();
    env.set("/svc/config.x", "changed");
    env.set(p, "ttl: 31");
    let put = event(watch.line());
    assert_eq!(
        (put["type"].as_str(), put["key"].as_str(), put["value"].as_str()),
        (Some("PUT"), Some(p), Some("ttl: 31"))
    );
    env.config(&["delete", p]).assert().success();
    let deleted = event(watch.line());
    assert_eq!((deleted["type"].as_str(), deleted["key"].as_str()), (Some("DELETE"), Some(p)));
    assert!(watch.finish().success());
    env.set(p, "ttl: 32");

    // A document holds the prefix's key as "", and the same document
    // imported again changes nothing.
    let doc = export(env, &[p]);
    assert!(doc.contains("'': ttl: 32") || doc.contains("'': 'ttl: 32'"), "{doc}");
    for _ in 0..2 {
        env.config(&["import", "-"]).write_stdin(doc.clone()).assert().success();
        env.config(&["import", "--prefix", "/moved", "-"]).write_stdin(doc.clone()).assert().success();
    }
    env.config(&["list", "-r", "/moved"]).assert().success().stdout("/moved\n/moved/below\n");
    assert_eq!(env.get("/moved"), b"ttl: 32");
    env.config(&["diff", "--exit-code", "--prune", "-"]).write_stdin(doc.clone()).assert().success();

    // copy and compare see the key itself.
    let other = dir_url(env, "other");
    env.config(&["copy", &env.store_url, &other, "--prefix", p])
        .assert()
        .success()
        .stderr(contains("2 copied, 0 identical, 0 skipped, 0 mismatched"));
    env.config(&["compare", &env.store_url, &other, p]).assert().success();
    env.set(p, "ttl: 33");
    env.config(&["compare", &env.store_url, &other, p]).assert().code(7).stdout("-+ /svc/config\n");
    env.config(&["copy", &env.store_url, &other, "--prefix", p, "--to-prefix", "/svc/copy"])
        .assert()
        .success()
        .stderr(contains("2 copied"));
    env.config(&["get", "/svc/copy"]).args(["--store", &other]).assert().success().stdout("ttl: 33");

    // apply --prune of a document without "" deletes the prefix's key.
    let without = "ovs-config: 1\nprefix: /svc/config\nkeys:\n  below: b\n";
    env.config(&["apply", "--prune", "--yes", "-"]).write_stdin(without).assert().success();
    env.config(&["get", p]).assert().code(4);
    env.config(&["list", "-r", "/svc"]).assert().success().stdout("/svc/config.x\n/svc/config/below\n/svc/configx\n");
}

pub fn field_edits_change_one_field_guarded_by_the_revision(env: &Env) {
    env.config(&["set", CELERY_KEY, GOOD_SCHEDULE]).assert().success();
    let before = env.revision(CELERY_KEY);
    env.config(&["set", CELERY_KEY, "--field", "/ovs.generic.execute_scrub/hour", r#""*/2""#]).assert().success();
    let after: serde_json::Value = serde_json::from_slice(&env.get(CELERY_KEY)).unwrap();
    let mut wanted: serde_json::Value = serde_json::from_str(GOOD_SCHEDULE).unwrap();
    wanted["ovs.generic.execute_scrub"]["hour"] = "*/2".into();
    assert_eq!(after, wanted, "only that field changed");
    assert!(env.revision(CELERY_KEY) > before);
    env.config(&["get", CELERY_KEY, "--field", "/ovs.generic.execute_scrub/hour"]).assert().success().stdout("*/2");
    env.config(&["get", CELERY_KEY, "--field", "/ovs.stats_monkey.run_all"]).assert().success().stdout("null\n");
    env.config(&["get", "-o", "json", CELERY_KEY, "--field", "/ovs.generic.execute_scrub/minute"])
        .assert()
        .success()
        .stdout(contains(r#""field":"/ovs.generic.execute_scrub/minute","value":"0""#));
    // The whole new value passes the validators: a bad hour is refused, nothing written.
    let rev = env.revision(CELERY_KEY);
    env.config(&["set", CELERY_KEY, "--field", "/ovs.generic.execute_scrub/hour", r#""25""#])
        .assert()
        .code(3)
        .stderr(contains("hour"));
    assert_eq!(env.revision(CELERY_KEY), rev);
    // A stale --if-revision is a conflict; a missing field or key is 4; text needs --string.
    env.config(&["set", CELERY_KEY, "--if-revision", "1", "--field", "/x", "null"]).assert().code(5);
    env.config(&["get", CELERY_KEY, "--field", "/nope/hour"]).assert().code(4).stderr(contains("/nope/hour"));
    env.config(&["set", CELERY_KEY, "--field", "/nope/hour", "1"]).assert().code(4);
    env.config(&["set", "/no/such/key", "--field", "/a", "1"]).assert().code(4);
    env.set("/app/plain", "not structured");
    env.config(&["get", "/app/plain", "--field", "/a"]).assert().code(2);
    env.set("/app/cfg.json", r#"{"log": {"level": "info"}, "port": 80}"#);
    env.config(&["set", "/app/cfg.json", "--field", "/log/level", "debug"])
        .assert()
        .code(2)
        .stderr(contains("--string"));
    env.config(&["set", "/app/cfg.json", "--field", "/log/level", "--string", "debug"]).assert().success();
    // Only that field's text changes (issue 15, item 3; the value was written again compactly).
    assert_eq!(env.get("/app/cfg.json"), br#"{"log": {"level": "debug"}, "port": 80}"#);
    // YAML stays YAML.
    env.set("/app/dataset", "dataset:\n  backend: zfs\n  pool: tank\n");
    env.config(&["set", "/app/dataset", "--field", "/dataset/pool", "--string", "ssd"]).assert().success();
    assert_eq!(env.get("/app/dataset"), b"dataset:\n  backend: zfs\n  pool: ssd\n");
}

pub fn concurrent_field_edits_lose_no_update(env: &Env) {
    env.set("/app/fields", "{}");
    let runs: Vec<(String, std::process::Child)> = (0..6)
        .map(|i| {
            let field = format!("/f{i}");
            let child = env
                .ovs_process()
                .args(["--timeout", "20", "config", "set", "/app/fields", "--field", &field, &i.to_string()])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            (field, child)
        })
        .collect();
    let doc = || serde_json::from_slice::<serde_json::Value>(&env.get("/app/fields")).unwrap();
    let mut written = Vec::new();
    for (field, mut child) in runs {
        // A field edit that lost the race five times says so (exit 5); one
        // that succeeded must be in the value: none is overwritten by another.
        match child.wait().unwrap().code() {
            Some(0) => written.push(field),
            Some(5) => {}
            other => panic!("{field}: exit {other:?}"),
        }
    }
    let value = doc();
    assert!(!written.is_empty());
    for field in written {
        assert!(value.pointer(&field).is_some(), "{field} was lost: {value}");
    }
}
