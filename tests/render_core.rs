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
    let err = render(store, &template("\n{{ tree('/') }}")).unwrap_err();
    assert_eq!(err.to_string(), "template t.j2, line 2: the value of /bin is not UTF-8 text");
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
    // A failing reload: the new file stays, exit 1 saying so.
    let target = Target { check: None, reload: Some("echo 'not running' >&2; exit 1"), ..target };
    let err = install(&target, "four\n").unwrap_err();
    assert_eq!(classify(&err), Exit::Failure);
    assert!(err.to_string().contains("--reload failed: not running"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "four\n");
    // A link stays a link: the file it points to is replaced.
    let link = dir.path().join("link.cfg");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    let target = Target { file: &link, reload: None, ..target };
    assert!(install(&target, "five\n").unwrap().changed);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "five\n");
}

/// A store whose pair `/pair/a`, `/pair/b` (always written together, equal)
/// moves on each of the first `moves` gets of `/pair/a`, just after the
/// value is read: a render that read the two one by one would mix them.
struct Moving {
    inner: Box<dyn Store>,
    snapshot_scan: bool,
    moves: std::sync::atomic::AtomicU64,
}

impl Moving {
    fn new(snapshot_scan: bool, moves: u64) -> (Moving, Box<dyn std::any::Any>) {
        let fixture = fixture::dir().unwrap();
        let inner = fixture.open();
        let moving = Moving { inner, snapshot_scan, moves: moves.into() };
        moving.write(0);
        (moving, fixture.guard)
    }

    fn write(&self, n: u64) {
        let [a, b] = ["/pair/a", "/pair/b"].map(|k| Key::parse(k).unwrap());
        let value = n.to_string();
        let writes = [
            ovs_config::store::Write::put(&a, value.as_bytes(), Precondition::Any),
            ovs_config::store::Write::put(&b, value.as_bytes(), Precondition::Any),
        ];
        self.inner.commit(&writes).unwrap();
    }
}

impl Store for Moving {
    fn describe(&self) -> &str {
        "moving"
    }
    fn capabilities(&self) -> ovs_config::store::Capabilities {
        ovs_config::store::Capabilities { snapshot_scan: self.snapshot_scan, ..self.inner.capabilities() }
    }
    fn get(&self, key: &Key) -> Result<ovs_config::store::Version, ovs_config::store::StoreError> {
        let read = self.inner.get(key);
        if key.as_str() == "/pair/a" {
            let left = self.moves.load(std::sync::atomic::Ordering::SeqCst);
            if left > 0 {
                self.moves.store(left - 1, std::sync::atomic::Ordering::SeqCst);
                self.write(left);
            }
        }
        read
    }
    fn keys(&self, prefix: &Key) -> Result<ovs_config::store::Entries<'_>, ovs_config::store::StoreError> {
        self.inner.keys(prefix)
    }
    fn commit(
        &self,
        writes: &[ovs_config::store::Write],
    ) -> Result<ovs_config::store::Committed, ovs_config::store::StoreError> {
        self.inner.commit(writes)
    }
    fn scan(&self, prefix: &Key) -> Result<ovs_config::store::Scan<'_>, ovs_config::store::StoreError> {
        self.inner.scan(prefix)
    }
}

#[test]
fn values_read_one_by_one_are_read_again_until_none_moved() {
    let pair = template("{{ key('/pair/a') }} {{ key('/pair/b') }}");
    // Without snapshot scans: re-read, and rendered again when one moved.
    let (store, _guard) = Moving::new(false, 3);
    let text = render(&store, &pair).unwrap().text;
    let (a, b) = text.split_once(' ').unwrap();
    assert_eq!(a, b, "one point in time: {text}");
    // With them: rendered again from one scan of the prefix covering both
    // (which does not move: gets alone would never settle).
    let (store, _guard) = Moving::new(true, 1000);
    let rendered = render(&store, &pair).unwrap();
    assert_eq!(rendered.text, "1000 1000");
    // A store that never settles: exit 5, nothing rendered.
    let (store, _guard) = Moving::new(false, 1000);
    let err = render(&store, &pair).unwrap_err();
    assert_eq!(classify(&err), Exit::Conflict, "{err}");
    assert!(err.to_string().contains("kept changing"), "{err}");
}
