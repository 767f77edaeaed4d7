//! The render core (`ovs_config::render`) against the directory store, a
//! real etcd and a real ZooKeeper: every function and filter, what a render
//! reports it read, a missing key, a template error, and a value that is
//! not text; and the install step.

mod util;

use std::os::unix::fs::PermissionsExt;

use ovs_config::exit::{classify, Exit};
use ovs_config::render::install::{install, Target};
use ovs_config::render::{render, Template};
use ovs_config::store::{Key, Precondition, Store, StoreExt};
use util::fixture::{self, Fixture};

fn template(text: &str) -> Template {
    Template { path: "t.j2".into(), name: "t.j2".into(), source: text.into() }
}

fn put(store: &dyn Store, key: &str, value: &[u8]) {
    store.put(&Key::parse(key).unwrap(), value, Precondition::Any).unwrap();
}

fn keys(list: &[&str]) -> std::collections::BTreeSet<Key> {
    list.iter().map(|k| Key::parse(k).unwrap()).collect()
}

/// The scenario every store runs.
fn every_function(fixture: Option<Fixture>) {
    let Some(fixture) = fixture else { return };
    let store = fixture.open();
    let store = store.as_ref();
    put(store, "/mysql/master/c1/hostname", b"db1.example");
    put(store, "/mysql/master/c1/port", b"3306");
    put(store, "/mysql/master/c2/hostname", b"db2.example");
    put(store, "/app/settings", br#"{"level": "debug", "peers": [1, 2]}"#);
    put(store, "/app/dataset", b"backend: zfs\npool: flocker\n");
    let text = "{{ key('/mysql/master/c1/hostname') }}:{{ key('/mysql/master/c1/port') }}
{{ key('/mysql/master/c9/port', default='3307') }}
{{ exists('/mysql/master/c2/hostname') }} {{ exists('/mysql/master/c2/port') }}
{% for c in keys('/mysql/master') %}{{ c }},{% endfor %}
{% for k, v in tree('/mysql/master/c1') | items %}{{ k }}={{ v }};{% endfor %}
{{ (key('/app/settings') | fromjson).level }} {{ (key('/app/settings') | fromjson).peers | tojson }}
{{ key('/app/dataset') | fromyaml | tojson }}
{{ {'b': 1, 'a': [true]} | toyaml }}
";
    let rendered = render(store, &template(text)).unwrap();
    assert_eq!(
        rendered.text,
        "db1.example:3306
3307
True False
c1/,c2/,
hostname=db1.example;port=3306;
debug [1,2]
{\"backend\":\"zfs\",\"pool\":\"flocker\"}
b: 1
a:
- true
"
    );
    assert_eq!(
        rendered.keys,
        keys(&[
            "/mysql/master/c1/hostname",
            "/mysql/master/c1/port",
            "/mysql/master/c9/port",
            "/mysql/master/c2/hostname",
            "/mysql/master/c2/port",
            "/app/settings",
            "/app/dataset",
        ])
    );
    assert_eq!(rendered.prefixes, keys(&["/mysql/master", "/mysql/master/c1"]));

    // A missing key: exit 4, naming the key, the template and the line.
    let err =
        render(store, &template("ok\n{{ key('/mysql/master/c1/hostname') }}\n{{ key('/nope/x') }}\n")).unwrap_err();
    assert_eq!(classify(&err), Exit::NotFound, "{err:#}");
    assert_eq!(err.to_string(), "template t.j2, line 3: key /nope/x not found");
    // A template error: exit 2 with the line; syntax and run time alike.
    let err = render(store, &template("a\n{% if %}\n")).unwrap_err();
    assert_eq!(
        (classify(&err), err.to_string().starts_with("template t.j2, line 2: syntax error")),
        (Exit::Usage, true),
        "{err}"
    );
    let err = render(store, &template("a\n\n{{ key('/app/dataset') | fromjson }}\n")).unwrap_err();
    assert_eq!(classify(&err), Exit::Usage, "{err}");
    assert!(err.to_string().starts_with("template t.j2, line 3: ") && err.to_string().contains("fromjson"), "{err}");
    let err = render(store, &template("{{ undefined_name }}\n")).unwrap_err();
    assert_eq!(classify(&err), Exit::Usage, "{err}");
    let err = render(store, &template("{{ key('/a//b') }}\n")).unwrap_err();
    assert_eq!(classify(&err), Exit::Usage, "{err}");
    // A value that is not UTF-8 cannot be text: exit 1 naming it.
    put(store, "/bin", b"\xff\xfe");
    let err = render(store, &template("{{ key('/bin') }}")).unwrap_err();
    assert_eq!(classify(&err), Exit::Failure);
    assert_eq!(err.to_string(), "template t.j2, line 1: the value of /bin is not UTF-8 text");
    // What a render reads depends on what it read: each value is read.
    put(store, "/ptr", b"/mysql/master/c2/hostname");
    let rendered = render(store, &template("{{ key(key('/ptr')) }}")).unwrap();
    assert_eq!(rendered.text, "db2.example");
    assert_eq!(rendered.keys, keys(&["/ptr", "/mysql/master/c2/hostname"]));
}

#[test]
fn every_function_on_the_directory_store() {
    every_function(fixture::dir());
}

#[test]
fn every_function_on_etcd() {
    every_function(fixture::etcd());
}

#[test]
fn every_function_on_zookeeper() {
    every_function(fixture::zookeeper());
}

#[test]
fn an_install_replaces_the_file_keeps_its_mode_and_reloads_only_on_change() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("haproxy.cfg");
    let log = dir.path().join("reloads");
    let reload = format!("echo reloaded >> {}", log.display());
    let target = Target { file: &file, mode: None, check: None, reload: Some(&reload) };
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    let done = install(&target, "one\n").unwrap();
    assert!(done.changed && done.reloaded);
    assert_eq!((std::fs::read_to_string(&file).unwrap().as_str(), mode(&file)), ("one\n", 0o644));
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert!(!install(&target, "one\n").unwrap().changed);
    assert!(install(&target, "two\n").unwrap().changed);
    assert_eq!(mode(&file), 0o640, "the old file's mode is kept");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "reloaded\nreloaded\n");
    let target = Target { mode: Some(0o600), ..target };
    assert!(!install(&target, "two\n").unwrap().changed);
    assert_eq!(mode(&file), 0o600, "--mode applies even when the content is the same");
    // A refused check keeps the old file, says why, exit 3; no staged file is left.
    let check = "echo 'bad config' >&2; echo more >&2; false";
    let target = Target { check: Some(check), ..target };
    let err = install(&target, "three\n").unwrap_err();
    assert_eq!(classify(&err), Exit::Rejected);
    assert!(err.to_string().ends_with(": bad config"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "two\n");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    // The check sees the staged file at {src}, quoted.
    let check = "grep -q three {src}";
    let target = Target { check: Some(check), ..target };
    assert!(install(&target, "three\n").unwrap().changed);
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "reloaded\nreloaded\nreloaded\n");
}
