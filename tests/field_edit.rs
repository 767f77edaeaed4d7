//! `set --field` changes only that field: every other byte of a JSON value,
//! every other field's text and the comments of a YAML value stay.

mod util;

use util::Env;

#[test]
fn a_json_field_edit_keeps_numbers_spacing_and_order() {
    let env = Env::new();
    env.set("/n", r#"{"id": 12345678901234567890123, "e": 1E2, "t": 1e-400, "a": 1}"#);
    env.config(&["set", "/n", "--field", "/a", "2"]).assert().success();
    assert_eq!(env.get("/n"), br#"{"id": 12345678901234567890123, "e": 1E2, "t": 1e-400, "a": 2}"#);
    env.config(&["get", "/n", "--field", "/id"]).assert().success().stdout("12345678901234567890123\n");
    env.config(&["set", "/n", "--field", "/new", "--string", "x"]).assert().success();
    assert_eq!(env.get("/n"), br#"{"id": 12345678901234567890123, "e": 1E2, "t": 1e-400, "a": 2, "new": "x"}"#);
}

#[test]
fn a_yaml_field_edit_keeps_the_other_fields_and_the_comments() {
    let env = Env::new();
    let text = "# pool of node 1\ndataset:\n  backend: 'zfs'   # fast\n  size: 1E2\n  pool: tank\n";
    env.set("/y", text);
    env.config(&["set", "/y", "--field", "/dataset/pool", "--string", "ssd"]).assert().success();
    assert_eq!(env.get("/y"), b"# pool of node 1\ndataset:\n  backend: 'zfs'   # fast\n  size: 1E2\n  pool: ssd\n");
    // A field behind an anchor cannot change alone: refused, nothing written.
    let anchored = "base: &b {x: 1}\nuse: *b\n";
    env.set("/z", anchored);
    env.config(&["set", "/z", "--field", "/base/x", "2"]).assert().code(2);
    assert_eq!(env.get("/z"), anchored.as_bytes());
}
