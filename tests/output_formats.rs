//! `-o json` and `-o yaml` for every command that takes `-o`: each output
//! parses, YAML is YAML (not JSON, which a YAML parser also reads), both
//! say the same, and a fan-out write reports one shape whichever command
//! made it.

mod util;

use serde_json::{json, Value};
use util::running::Running;
use util::{Env, GOOD_SCHEDULE};

const FORMATS: [&str; 2] = ["json", "yaml"];

/// What `ovs config ARGS -o FORMAT` printed, parsed; it must exit `code`.
fn parsed(env: &Env, format: &str, args: &[&str], code: i32) -> Value {
    let out = env.config(args).args(["-o", format]).assert().code(code).get_output().clone();
    parse(format, &out.stdout, args)
}

fn parse(format: &str, stdout: &[u8], what: &[&str]) -> Value {
    let text = String::from_utf8_lossy(stdout);
    match format {
        "json" => serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what:?} -o json: {e}: {text}")),
        _ => {
            // JSON is YAML too: a YAML result is written in YAML's block style.
            assert!(!text.trim_start().starts_with('{'), "{what:?} -o yaml printed JSON: {text}");
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{what:?} -o yaml: {e}: {text}"))
        }
    }
}

/// Both formats, which must say the same.
fn both(env: &Env, args: &[&str], code: i32) -> Value {
    let [json, yaml] = FORMATS.map(|format| parsed(env, format, args, code));
    assert_eq!(json, yaml, "{args:?}");
    json
}

#[test]
fn every_read_command_gives_json_and_yaml() {
    let env = Env::new();
    env.set("/r/a", "1");
    env.set("/r/b", r#"{"x": 2}"#);
    env.config(&["set", util::CELERY_KEY, GOOD_SCHEDULE]).assert().success();

    assert_eq!(both(&env, &["list", "/r"], 0), json!(["a", "b"]));
    assert_eq!(both(&env, &["list", "-r", "/r"], 0), json!(["/r/a", "/r/b"]));
    assert_eq!(both(&env, &["list-recursive", "/r"], 0), json!(["/r/a", "/r/b"]));
    assert_eq!(both(&env, &["get", "/r/a"], 0)["value"], "1");
    assert_eq!(both(&env, &["get", "/r/b", "--field", "/x"], 0)["value"], 2);
    assert_eq!(both(&env, &["export", "/r"], 0)["keys"], json!({"a": "1", "b": r#"{"x": 2}"#}));
    let doc = env.path().join("doc.yaml");
    std::fs::write(&doc, "ovs-config: 1\nprefix: /r\nkeys:\n  a: '1'\n  c: new\n").unwrap();
    let plan = both(&env, &["diff", "--prune", doc.to_str().unwrap()], 0);
    assert_eq!((&plan["added"], &plan["removed"]), (&json!(["/r/c"]), &json!(["/r/b"])));
    let schedule = both(&env, &["schedule", "--at", "2026-01-01T00:00:00Z", "--count", "1"], 0);
    assert_eq!(schedule["ovs.generic.execute_scrub"]["next"], json!(["2026-01-01T03:00:00Z"]));
    let kinds = both(&env, &["stores"], 0);
    let dir = kinds.as_array().unwrap().iter().find(|k| k["name"] == "dir").unwrap();
    assert_eq!(dir["capabilities"]["atomic_batch"], true, "{kinds}");
    assert_eq!(both(&env, &["profiles"], 0), json!([]));
    assert_eq!(both(&env, &["validators", util::CELERY_KEY], 0)[0]["pattern"], util::CELERY_KEY);
    assert_eq!(both(&env, &["outbox"], 0), json!([]));
    assert_eq!(both(&env, &["retry"], 0), json!([]));
    for format in FORMATS {
        // Each run checks below a fresh prefix of its own.
        let conformance = parsed(&env, format, &["conformance"], 0);
        assert_eq!(conformance["failed"], 0, "{conformance}");
    }
}

#[test]
fn two_store_commands_give_json_and_yaml() {
    let env = Env::new();
    let other = format!("dir://{}", env.path().join("other").display());
    env.set("/c/a", "1");
    env.set("/c/b", "2");
    for format in FORMATS {
        let dst = format!("dir://{}", env.path().join(format!("copy-{format}")).display());
        let copied = parsed(&env, format, &["copy", &env.store_url, &dst, "--prefix", "/c"], 0);
        assert_eq!((&copied["copied"], &copied["mismatched_keys"]), (&json!(2), &json!([])), "{format}");
        let drift = parsed(&env, format, &["compare", &env.store_url, &dst, "/c"], 0);
        assert_eq!(drift["same"], 2, "{format}");
        let drift = parsed(&env, format, &["compare", &env.store_url, &other, "/c"], 7);
        assert_eq!(drift["only_in_a"], json!(["/c/a", "/c/b"]), "{format}");
        let dst = format!("dir://{}", env.path().join(format!("mirror-{format}")).display());
        let mirrored = parsed(&env, format, &["mirror", "--yes", &env.store_url, &dst, "/c"], 0);
        assert_eq!(mirrored["applied"], 2, "{format}");
    }
}

#[test]
fn every_write_command_gives_json_and_yaml() {
    let env = Env::new();
    let writer = env.editor("write.sh", r#"printf '%s' "$NEW_TEXT" > "$1""#);
    let same = env.editor("same.sh", "true");
    for format in FORMATS {
        let key = format!("/w/{format}");
        let set = parsed(&env, format, &["set", &key, "v"], 0);
        assert_eq!((&set["key"], &set["written"]), (&json!(key), &json!(true)), "{format}");
        assert_eq!(set["revision"].as_u64(), Some(env.revision(&key)), "{format}");
        let dry = parsed(&env, format, &["set", "--dry-run", &key, "w"], 0);
        assert_eq!(dry["written"], false, "{format}");
        let out =
            env.config(&["edit", &key, "-o", format]).env("EDITOR", &same).assert().success().get_output().clone();
        assert_eq!(parse(format, &out.stdout, &["edit"])["written"], false, "{format}: nothing changed");
        let out = env
            .config(&["edit", &key, "-o", format])
            .env("EDITOR", &writer)
            .env("NEW_TEXT", "edited")
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let edited = parse(format, &out, &["edit"]);
        assert_eq!(edited["revision"].as_u64(), Some(env.revision(&key)), "{format}");
        let doc = env.path().join(format!("{format}.yaml"));
        std::fs::write(&doc, format!("ovs-config: 1\nprefix: /d/{format}\nkeys:\n  a: '1'\n")).unwrap();
        let imported = parsed(&env, format, &["import", doc.to_str().unwrap()], 0);
        assert_eq!(
            (&imported["key"], &imported["added"]),
            (&json!(format!("/d/{format}")), &json!([format!("/d/{format}/a")]))
        );
        let planned = parsed(&env, format, &["import", "--dry-run", doc.to_str().unwrap()], 0);
        assert_eq!((&planned["written"], &planned["unchanged"]), (&json!(false), &json!(1)), "{format}");
        let applied = parsed(&env, format, &["apply", "--yes", "--prune", doc.to_str().unwrap()], 0);
        assert_eq!(applied["written"], false, "{format}: nothing to change");
        let deleted = parsed(&env, format, &["delete", &key], 0);
        assert_eq!((&deleted["deleted"], &deleted["written"]), (&json!(1), &json!(true)), "{format}");
        let deleted = parsed(&env, format, &["delete", "-r", "--yes", &format!("/d/{format}")], 0);
        assert_eq!(deleted["deleted"], 1, "{format}");
    }
}

#[test]
fn watch_gives_a_json_line_or_a_yaml_document_per_change() {
    let env = Env::new();
    for format in FORMATS {
        let watch = Running::start(&env, &["--timeout", "30", "config", "watch", "--count", "2", "-o", format, "/w"]);
        watch.wait_stderr("watching /w");
        env.set("/w/a", "1");
        // The directory store is re-read on change: a key set and deleted
        // between two reads is not reported, so the put is seen first.
        let first = watch.line();
        env.config(&["delete", "/w/a"]).assert().success();
        let (status, rest, _) = watch.finish_with_output();
        let stdout: Vec<String> = std::iter::once(first).chain(rest).collect();
        assert!(status.success(), "{format}: {stdout:?}");
        let text = stdout.join("\n");
        let events: Vec<Value> = match format {
            "json" => stdout.iter().map(|line| serde_json::from_str(line).unwrap()).collect(),
            _ => serde_yaml::Deserializer::from_str(&text)
                .map(|doc| serde::Deserialize::deserialize(doc).unwrap())
                .collect(),
        };
        let seen: Vec<(&str, &str)> =
            events.iter().map(|e| (e["type"].as_str().unwrap(), e["key"].as_str().unwrap())).collect();
        assert_eq!(seen, [("PUT", "/w/a"), ("DELETE", "/w/a")], "{format}: {text}");
    }
}

#[test]
fn history_and_rollback_give_json_and_yaml() {
    let Some(etcd) = util::etcd::shared() else { return };
    let env = Env::below_unique_root(&etcd.url());
    env.set("/h", "one");
    let first = env.revision("/h");
    env.set("/h", "two");
    let history = both(&env, &["history", "/h"], 0);
    assert_eq!(history["versions"][0]["revision"].as_u64(), Some(first));
    assert_eq!(both(&env, &["history", "/h", "--show", &first.to_string()], 0)["value"], "one");
    for format in FORMATS {
        let rolled = parsed(&env, format, &["rollback", "/h", &first.to_string()], 0);
        assert_eq!((rolled["from"].as_u64(), rolled["revision"].as_u64()), (Some(first), Some(env.revision("/h"))));
    }
}

/// The stores' entries of a fan-out report, with what the command adds
/// (`deleted`, a plan's keys) taken out: what is left is the same for all.
fn envelope(report: &Value, detail: &[&str]) -> Vec<Vec<String>> {
    let stores = report["stores"].as_array().unwrap_or_else(|| panic!("no stores: {report}"));
    stores
        .iter()
        .map(|store| {
            let mut keys: Vec<String> =
                store.as_object().unwrap().keys().filter(|k| !detail.contains(&k.as_str())).cloned().collect();
            keys.sort();
            keys
        })
        .collect()
}

#[test]
fn a_fan_out_write_reports_one_shape_from_every_command() {
    let env = Env::new();
    // A store that cannot be opened: a file where its folder should be.
    let blocker = env.path().join("blocker");
    std::fs::write(&blocker, "not a directory").unwrap();
    let down = format!("dir://{}/store", blocker.display());
    let fan_out = |args: &[&str], format: &str| {
        let mut cmd = env.ovs();
        cmd.args(["--store", &env.store_url, "--store", &down, "--timeout", "2", "config"]).args(args);
        let out = cmd.args(["-o", format]).env("EDITOR", env.editor("w.sh", "printf x > \"$1\"")).output().unwrap();
        let code = out.status.code().unwrap();
        assert_ne!(code, 0, "{args:?}: one store is down");
        (parse(format, &out.stdout, args), code)
    };
    // A document of its own for each write, so that each writes something.
    let doc = |name: &str| {
        let path = env.path().join(format!("{name}.yaml"));
        std::fs::write(&path, format!("ovs-config: 1\nprefix: /fan/{name}\nkeys:\n  k: v\n")).unwrap();
        path.display().to_string()
    };
    let plan = ["added", "changed", "removed", "unchanged"];
    for format in FORMATS {
        env.set("/fan/e", "old");
        let (import, apply) = (doc(&format!("import-{format}")), doc(&format!("apply-{format}")));
        for (args, detail) in [
            (&["set", "/fan/s", "v"][..], &[][..]),
            (&["edit", "/fan/e"], &[]),
            (&["import", &import], &plan),
            (&["apply", "--yes", &apply], &plan),
            (&["delete", "/fan/s"], &["deleted"]),
        ] {
            let (report, code) = fan_out(args, format);
            assert_eq!(report["key"].as_str().map(|k| k.starts_with("/fan")), Some(true), "{args:?}: {report}");
            assert_eq!(
                envelope(&report, detail),
                [vec!["revision", "store", "written"], vec!["error", "exit", "store", "written"]],
                "{format} {args:?}: {report}"
            );
            let [landed, failed] = [&report["stores"][0], &report["stores"][1]];
            assert_eq!((&landed["written"], &failed["written"]), (&json!(true), &json!(false)), "{report}");
            assert_eq!(failed["exit"].as_i64(), Some(code as i64), "{args:?}: {report}");
            assert!(failed["error"].as_str().unwrap().contains("blocker"), "{report}");
        }
    }
}
