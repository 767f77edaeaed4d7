//! `--field`: one field inside a JSON value (or a YAML one, written back as
//! YAML), addressed by a JSON Pointer (RFC 6901), as Open vStorage's
//! configuration layer addresses `key|a.b`.

use anyhow::Result;
use serde_json::Value;

use crate::exit::{NotFound, UsageError};
use crate::splice::{self, Syntax};
use crate::store::Key;

/// A JSON or YAML value, parsed, and its text, which a field edit changes
/// only at that field.
pub struct Structured {
    pub root: Value,
    text: String,
    syntax: Syntax,
}

impl Structured {
    /// JSON first; else a YAML mapping or sequence (a bare YAML scalar is any
    /// text at all, so it does not count).
    pub fn parse(key: &Key, bytes: &[u8]) -> Result<Structured> {
        let neither = || UsageError(format!("{key}: --field needs a JSON or YAML value, and this one is neither"));
        let text = std::str::from_utf8(bytes).map_err(|_| neither())?.to_string();
        if let Ok(root) = serde_json::from_str::<Value>(&text) {
            return Ok(Structured { root, text, syntax: Syntax::Json });
        }
        match crate::yaml::from_slice::<Value>(bytes, crate::yaml::Binary::AsText) {
            Ok(root @ (Value::Object(_) | Value::Array(_))) => Ok(Structured { root, text, syntax: Syntax::Yaml }),
            _ => Err(neither().into()),
        }
    }

    /// The value's text, with the edits made.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.text.as_bytes().to_vec()
    }

    /// The field at `pointer`; missing: exit 4.
    pub fn get(&self, key: &Key, pointer: &str) -> Result<&Value> {
        let mut at = &self.root;
        for token in tokens(pointer)? {
            at = match at {
                Value::Object(map) => map.get(&token),
                Value::Array(items) => index(&token, items.len()).and_then(|i| items.get(i)),
                _ => None,
            }
            .ok_or_else(|| missing(key, pointer))?;
        }
        Ok(at)
    }

    /// The text a number field of a JSON value is written as
    /// (`12345678901234567890123`, `1E2`), which its parsed value may not
    /// say exactly; None for anything else.
    pub fn number_text(&self, pointer: &str) -> Option<&str> {
        if self.syntax != Syntax::Json {
            return None;
        }
        let tokens = tokens(pointer).ok()?;
        let tree = splice::parse(&self.text, self.syntax).ok()?;
        match splice::find(&tree, &tokens)? {
            splice::Node::Scalar { span } => self.text.get(span.clone()),
            _ => None,
        }
    }

    /// Set the field at `pointer` (its parent must exist; `-` appends to an
    /// array); the whole value when `pointer` is empty. Only that field's
    /// text changes: the new text is spliced in where the field is (or after
    /// the last member), and the result must read back as exactly the value
    /// with that one field set, or nothing changes.
    pub fn set(&mut self, key: &Key, pointer: &str, new: &NewField) -> Result<()> {
        let tokens = tokens(pointer)?;
        let mut expected = self.root.clone();
        set_value(&mut expected, key, pointer, &tokens, new.value.clone())?;
        let cannot = |why: String| {
            UsageError(format!(
                "{key}: field {pointer:?} cannot be changed without rewriting the rest of the value ({why}); \
                 nothing was written: change the whole value (ovs config edit)"
            ))
        };
        let text = match self.syntax {
            Syntax::Json => new.text.clone(),
            Syntax::Yaml => new.yaml(),
        };
        let tree = splice::parse(&self.text, self.syntax).map_err(cannot)?;
        let edit = splice::set(&self.text, &tree, self.syntax, &tokens, &text).map_err(cannot)?;
        let spliced = edit.apply(&self.text);
        let back = match self.syntax {
            Syntax::Json => serde_json::from_str::<Value>(&spliced).map_err(|e| e.to_string()),
            Syntax::Yaml => serde_yaml::from_str::<Value>(&spliced).map_err(|e| e.to_string()),
        };
        match back {
            Ok(back) if back == expected => {}
            Ok(_) => return Err(cannot("other fields would change too, as through a YAML anchor".into()).into()),
            Err(e) => return Err(cannot(format!("the result would not parse: {e}")).into()),
        }
        self.text = spliced;
        self.root = expected;
        Ok(())
    }
}

/// The field at `tokens` of `root` set to `new`: the meaning of a field edit.
fn set_value(root: &mut Value, key: &Key, pointer: &str, tokens: &[String], new: Value) -> Result<()> {
    let Some((last, path)) = tokens.split_last() else {
        *root = new;
        return Ok(());
    };
    let mut at = root;
    for token in path {
        at = match at {
            Value::Object(map) => map.get_mut(token),
            Value::Array(items) => {
                let len = items.len();
                index(token, len).and_then(move |i| items.get_mut(i))
            }
            _ => None,
        }
        .ok_or_else(|| missing(key, pointer))?;
    }
    match at {
        Value::Object(map) => {
            map.insert(last.clone(), new);
        }
        Value::Array(items) if last == "-" => items.push(new),
        Value::Array(items) => {
            let i = index(last, items.len()).ok_or_else(|| missing(key, pointer))?;
            items[i] = new;
        }
        _ => {
            return Err(UsageError(format!("{key}: the parent of {pointer:?} is neither an object nor an array")).into())
        }
    }
    Ok(())
}

fn missing(key: &Key, pointer: &str) -> anyhow::Error {
    NotFound(format!("{key}: no field {pointer:?} in its value")).into()
}

/// An array index as RFC 6901 writes it: digits, no leading zero.
fn index(token: &str, len: usize) -> Option<usize> {
    if token.is_empty() || (token.len() > 1 && token.starts_with('0')) || !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok().filter(|i| *i < len)
}

/// The reference tokens of a JSON Pointer: "" is the whole value, else
/// each `/`-separated token with `~1` → `/` and `~0` → `~`.
fn tokens(pointer: &str) -> Result<Vec<String>> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let bad = |why: &str| UsageError(format!("--field {pointer:?} is not a JSON Pointer (RFC 6901): {why}"));
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(bad("it must start with / (e.g. /task/hour)").into());
    };
    rest.split('/')
        .map(|token| {
            let mut out = String::with_capacity(token.len());
            let mut chars = token.chars();
            while let Some(c) = chars.next() {
                match (c, c == '~') {
                    (_, false) => out.push(c),
                    (_, true) => match chars.next() {
                        Some('0') => out.push('~'),
                        Some('1') => out.push('/'),
                        _ => return Err(bad("~ must be followed by 0 or 1").into()),
                    },
                }
            }
            Ok(out)
        })
        .collect()
}

/// The new field from the command line: its value, and its text as given.
pub struct NewField {
    pub value: Value,
    /// JSON text: what the user wrote (so a number keeps its spelling), or
    /// with --string the string quoted.
    text: String,
}

impl NewField {
    /// The field as YAML on one line: a string plain when that reads back
    /// the same (else quoted), anything else as JSON (a flow node).
    fn yaml(&self) -> String {
        match &self.value {
            Value::String(text) => splice::yaml_scalar(text),
            _ if !self.text.contains('\n') => self.text.clone(),
            other => serde_json::to_string(other).expect("a JSON value serialises"),
        }
    }
}

/// The new field from the command line: JSON, or with `as_string` the text
/// itself as a JSON string.
pub fn new_value(text: &[u8], as_string: bool) -> Result<NewField> {
    let text = std::str::from_utf8(text).map_err(|_| UsageError("a --field value must be UTF-8 text".into()))?;
    if as_string {
        let value = Value::String(text.to_string());
        return Ok(NewField { text: serde_json::to_string(&value)?, value });
    }
    let value = serde_json::from_str(text).map_err(|e| {
        UsageError(format!("the --field value is not valid JSON ({e}); add --string to store it as a string"))
    })?;
    Ok(NewField { value, text: text.trim_matches([' ', '\t', '\n', '\r']).to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Key::parse("/k").unwrap()
    }

    #[test]
    fn pointers_follow_rfc_6901() {
        let doc = Structured::parse(&key(), br#"{"a/b": {"m~n": [10, 20]}, "": 1}"#).unwrap();
        assert_eq!(doc.get(&key(), "/a~1b/m~0n/1").unwrap(), &Value::from(20));
        assert_eq!(doc.get(&key(), "/").unwrap(), &Value::from(1));
        assert_eq!(doc.get(&key(), "").unwrap(), &doc.root);
        for missing in ["/x", "/a~1b/m~0n/2", "/a~1b/m~0n/01", "/a~1b/m~0n/-"] {
            let err = doc.get(&key(), missing).unwrap_err();
            assert_eq!(crate::exit::classify(&err), crate::exit::Exit::NotFound, "{missing}");
        }
        for bad in ["a", "/~2", "/x~"] {
            assert_eq!(crate::exit::classify(&doc.get(&key(), bad).unwrap_err()), crate::exit::Exit::Usage, "{bad}");
        }
    }

    fn set(doc: &mut Structured, pointer: &str, json: &str) -> Result<()> {
        doc.set(&key(), pointer, &new_value(json.as_bytes(), false).unwrap())
    }

    fn edited(text: &str, pointer: &str, json: &str) -> String {
        let mut doc = Structured::parse(&key(), text.as_bytes()).unwrap();
        set(&mut doc, pointer, json).unwrap();
        String::from_utf8(doc.to_bytes()).unwrap()
    }

    #[test]
    fn set_changes_that_field_only_and_keeps_the_order_and_syntax() {
        let mut doc = Structured::parse(&key(), br#"{"z": 1, "a": {"hour": "3", "minute": "0"}}"#).unwrap();
        set(&mut doc, "/a/hour", r#""*/2""#).unwrap();
        // Was `{"z":1,"a":{"hour":"*/2","minute":"0"}}`: the whole value rewritten (issue 15, item 3).
        assert_eq!(doc.to_bytes(), br#"{"z": 1, "a": {"hour": "*/2", "minute": "0"}}"#);
        set(&mut doc, "/a/new", "null").unwrap();
        assert!(set(&mut doc, "/missing/x", "null").is_err());
        let mut yaml = Structured::parse(&key(), b"dataset:\n  backend: zfs\n  pool: tank\n").unwrap();
        set(&mut yaml, "/dataset/pool", r#""ssd""#).unwrap();
        assert_eq!(yaml.to_bytes(), b"dataset:\n  backend: zfs\n  pool: ssd\n");
        let mut list = Structured::parse(&key(), b"[1]").unwrap();
        set(&mut list, "/-", "2").unwrap();
        assert_eq!(list.to_bytes(), b"[1,2]");
        assert!(Structured::parse(&key(), b"plain text").is_err());
    }

    #[test]
    fn a_json_field_edit_keeps_every_other_byte() {
        let text = r#"{"id": 12345678901234567890123, "e": 1E2, "t": 1e-400, "a": 1}"#;
        assert_eq!(edited(text, "/a", "2"), r#"{"id": 12345678901234567890123, "e": 1E2, "t": 1e-400, "a": 2}"#);
        let doc = Structured::parse(&key(), text.as_bytes()).unwrap();
        assert_eq!(doc.number_text("/id"), Some("12345678901234567890123"));
        assert_eq!(doc.number_text("/e"), Some("1E2"));
        assert_eq!(edited(text, "/e", " 1e3 "), r#"{"id": 12345678901234567890123, "e": 1e3, "t": 1e-400, "a": 1}"#);
        let pretty = "{\n  \"a\": {\n    \"x\": 1.50\n  },\n  \"b\": [ 1 ,2 ]\n}\n";
        assert_eq!(
            edited(pretty, "/a/y", "true"),
            "{\n  \"a\": {\n    \"x\": 1.50,\n    \"y\": true\n  },\n  \"b\": [ 1 ,2 ]\n}\n"
        );
        assert_eq!(edited(pretty, "/b/-", "3"), "{\n  \"a\": {\n    \"x\": 1.50\n  },\n  \"b\": [ 1 ,2 ,3 ]\n}\n");
        assert_eq!(
            edited(pretty, "/b/0", "{\"k\": 1}"),
            "{\n  \"a\": {\n    \"x\": 1.50\n  },\n  \"b\": [ {\"k\": 1} ,2 ]\n}\n"
        );
        // A value over several lines is indented as the field's line is.
        assert_eq!(
            edited(pretty, "/c", "{\n  \"k\": 1\n}"),
            "{\n  \"a\": {\n    \"x\": 1.50\n  },\n  \"b\": [ 1 ,2 ],\n  \"c\": {\n    \"k\": 1\n  }\n}\n"
        );
        assert_eq!(edited("{ }", "/a", "1"), r#"{"a":1 }"#);
        assert_eq!(edited("[]", "/-", "1"), "[1]");
        // Escaped keys are found by what they say; a duplicate key by its last copy, as it reads.
        assert_eq!(edited(r#"{"a\u0062": 1, "ab": 2}"#, "/ab", "3"), r#"{"a\u0062": 1, "ab": 3}"#);
        assert_eq!(edited(r#"{"a/b~": [0, {"c": 1}]}"#, "/a~1b~0/1/c", r#""d""#), r#"{"a/b~": [0, {"c": "d"}]}"#);
        assert_eq!(edited(r#"{"a": 1}"#, "", "[2]"), "[2]");
        let mut doc = Structured::parse(&key(), b"{\"a\": 1}").unwrap();
        doc.set(&key(), "/a", &new_value(b"x\ny", true).unwrap()).unwrap();
        assert_eq!(doc.to_bytes(), br#"{"a": "x\ny"}"#);
    }

    #[test]
    fn a_yaml_field_edit_keeps_every_other_field_and_the_comments() {
        let text = "# the pool\ndataset:   # inline\n  backend: 'zfs'\n  size: 1E2\n  pool: tank # main\nlist:\n- a\n- b # last\n";
        assert_eq!(
            edited(text, "/dataset/pool", r#""ssd""#),
            "# the pool\ndataset:   # inline\n  backend: 'zfs'\n  size: 1E2\n  pool: ssd # main\nlist:\n- a\n- b # last\n"
        );
        assert_eq!(
            edited(text, "/dataset/new", r#""yes""#),
            "# the pool\ndataset:   # inline\n  backend: 'zfs'\n  size: 1E2\n  pool: tank # main\n  new: \"yes\"\nlist:\n- a\n- b # last\n"
        );
        assert_eq!(
            edited(text, "/list/-", r#"{"k": [1]}"#),
            "# the pool\ndataset:   # inline\n  backend: 'zfs'\n  size: 1E2\n  pool: tank # main\nlist:\n- a\n- b # last\n- {\"k\": [1]}\n"
        );
        assert_eq!(edited(text, "/dataset", "7"), "# the pool\ndataset: 7   # inline # main\nlist:\n- a\n- b # last\n");
        assert_eq!(
            edited(text, "/list", "[]"),
            "# the pool\ndataset:   # inline\n  backend: 'zfs'\n  size: 1E2\n  pool: tank # main\nlist: [] # last\n"
        );
        assert_eq!(edited("a:\nb: 1", "/a", "2"), "a: 2\nb: 1");
        assert_eq!(edited("a: 1", "/b", r#""two words""#), "a: 1\nb: two words");
        assert_eq!(edited("{a: [1], b: 2}", "/a/-", "3"), "{a: [1,3], b: 2}");
        assert_eq!(edited("{a: [1], b: 2}", "/c", "3"), "{a: [1], b: 2, c: 3}");
    }

    #[test]
    fn a_byte_order_mark_is_kept_or_refused_never_a_panic() {
        for text in ["\u{feff}a: éé\nb: 1\n", "\u{feff}{\"a\": \"é\", \"b\": 1}"] {
            let Ok(mut doc) = Structured::parse(&key(), text.as_bytes()) else { continue };
            match set(&mut doc, "/b", "2") {
                Ok(()) => assert!(String::from_utf8(doc.to_bytes()).unwrap().starts_with('\u{feff}')),
                Err(e) => assert_eq!(crate::exit::classify(&e), crate::exit::Exit::Usage, "{e}"),
            }
        }
    }

    #[test]
    fn a_yaml_field_behind_an_anchor_is_refused_not_rewritten() {
        let text = "base: &b {x: 1}\nuse: *b\n";
        let mut doc = Structured::parse(&key(), text.as_bytes()).unwrap();
        let err = set(&mut doc, "/base/x", "2").unwrap_err();
        assert_eq!(crate::exit::classify(&err), crate::exit::Exit::Usage, "{err}");
        assert!(err.to_string().contains("ovs config edit"), "{err}");
        assert!(set(&mut doc, "/use/x", "2").is_err());
        assert_eq!(doc.to_bytes(), text.as_bytes());
    }

    #[test]
    fn new_values_are_json_unless_asked_for_a_string() {
        assert_eq!(new_value(br#""*/2""#, false).unwrap().value, Value::from("*/2"));
        assert_eq!(new_value(b"12", true).unwrap().value, Value::from("12"));
        assert!(new_value(b"*/2", false).is_err());
    }

    mod proptests {
        use proptest::prelude::*;

        use super::*;

        /// JSON text with varied spacing and number spellings.
        fn json_text() -> impl Strategy<Value = String> {
            let ws = prop::sample::select(vec!["", " ", "\n  ", "\t", "  \n"]);
            let leaf = prop_oneof![
                prop::sample::select(vec![
                    "1",
                    "-0",
                    "1E2",
                    "1e-400",
                    "12345678901234567890123",
                    "0.50",
                    "true",
                    "null",
                    "\"s\"",
                    "\"\\u00e9\\n\"",
                    "\"a,b}\""
                ])
                .prop_map(str::to_string),
                any::<i32>().prop_map(|n| n.to_string()),
            ];
            leaf.prop_recursive(4, 24, 5, move |inner| {
                let key = prop::sample::select(vec!["a", "b", "c", "a/b", "t~", "é"]);
                prop_oneof![
                    prop::collection::vec((ws.clone(), inner.clone(), ws.clone()), 0..5).prop_map(|items| {
                        let body: Vec<String> = items.into_iter().map(|(a, v, b)| format!("{a}{v}{b}")).collect();
                        format!("[{}]", body.join(","))
                    }),
                    prop::collection::vec((ws.clone(), key, ws.clone(), inner, ws.clone()), 0..5).prop_map(|members| {
                        let body: Vec<String> = members
                            .into_iter()
                            .map(|(a, k, b, v, c)| format!("{a}{}{b}:{c}{v}", serde_json::to_string(k).unwrap()))
                            .collect();
                        format!("{{{}}}", body.join(","))
                    }),
                ]
            })
        }

        /// Every pointer to a node of `value`, and to a new member or item of each container.
        fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
            out.push(at.clone());
            let escape = |k: &str| k.replace('~', "~0").replace('/', "~1");
            match value {
                Value::Object(map) => {
                    out.push(format!("{at}/new"));
                    for (k, v) in map {
                        pointers(v, format!("{at}/{}", escape(k)), out);
                    }
                }
                Value::Array(items) => {
                    out.push(format!("{at}/-"));
                    for (i, v) in items.iter().enumerate() {
                        pointers(v, format!("{at}/{i}"), out);
                    }
                }
                _ => {}
            }
        }

        /// A YAML mapping as serde_yaml writes it, with a comment ending
        /// some of its lines.
        fn yaml_text() -> impl Strategy<Value = String> {
            let leaf = prop::sample::select(vec![
                Value::from("tank"),
                Value::from("yes"),
                Value::from("1e2"),
                Value::from("a: b"),
                Value::from("#x"),
                Value::from(""),
                Value::from("é"),
                Value::from(7),
                Value::from(-0.5),
                Value::Bool(true),
                Value::Null,
            ]);
            let tree = leaf.prop_recursive(3, 16, 4, |inner| {
                let key = prop::sample::select(vec!["a", "b", "c d", "yes", "1"]);
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    prop::collection::vec((key, inner), 0..4)
                        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
                ]
            });
            let root = prop::collection::vec((prop::sample::select(vec!["a", "b", "x"]), tree), 1..4)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()));
            (root, prop::collection::vec(any::<bool>(), 32)).prop_map(|(root, comments)| {
                let text = serde_yaml::to_string(&root).unwrap();
                text.lines()
                    .zip(comments.iter().cycle())
                    .map(|(l, c)| if *c { format!("{l} # c\n") } else { format!("{l}\n") })
                    .collect()
            })
        }

        proptest! {
            #[test]
            fn a_yaml_edit_changes_only_the_field(
                text in yaml_text(),
                pick in any::<prop::sample::Index>(),
                new in prop::sample::select(vec!["7", "\"no\"", "\"two words\"", "[1, {\"q\": null}]", "{}"]),
            ) {
                let mut doc = Structured::parse(&key(), text.as_bytes()).unwrap();
                let mut all = Vec::new();
                pointers(&doc.root, String::new(), &mut all);
                let pointer = pick.get(&all[1..]).clone();
                let field = new_value(new.as_bytes(), false).unwrap();
                let tree = splice::parse(&text, Syntax::Yaml).unwrap();
                let edit = splice::set(&text, &tree, Syntax::Yaml, &tokens(&pointer).unwrap(), &field.yaml()).unwrap();
                // set() itself refuses a result that reads back as anything but the old value with that field set.
                doc.set(&key(), &pointer, &field).unwrap();
                let after = String::from_utf8(doc.to_bytes()).unwrap();
                prop_assert_eq!(&after[..edit.range.start], &text[..edit.range.start]);
                prop_assert_eq!(&after[after.len() - (text.len() - edit.range.end)..], &text[edit.range.end..]);
                // A field replaced ends where it ended; the edit starts at or after its key.
                if let Some(node) = splice::find(&tree, &tokens(&pointer).unwrap()) {
                    prop_assert_eq!(edit.range.end, node.span().end);
                }
            }

            #[test]
            fn only_the_edited_span_changes(
                text in json_text(),
                pick in any::<prop::sample::Index>(),
                new in prop::sample::select(vec!["7", "1e5", "\"x\"", "[1, {\"q\": null}]", "{}", "{\n  \"m\": 2\n}"]),
            ) {
                let mut doc = Structured::parse(&key(), text.as_bytes()).unwrap();
                let mut all = Vec::new();
                pointers(&doc.root, String::new(), &mut all);
                let pointer = pick.get(&all).clone();
                let field = new_value(new.as_bytes(), false).unwrap();
                let tree = splice::parse(&text, Syntax::Json).unwrap();
                let tokens = tokens(&pointer).unwrap();
                let edit = splice::set(&text, &tree, Syntax::Json, &tokens, &field.text).unwrap();
                doc.set(&key(), &pointer, &field).unwrap();
                let after = String::from_utf8(doc.to_bytes()).unwrap();
                // Every byte before and after the edit is the original's.
                prop_assert_eq!(&after[..edit.range.start], &text[..edit.range.start]);
                prop_assert_eq!(&after[after.len() - (text.len() - edit.range.end)..], &text[edit.range.end..]);
                // The span replaced is exactly the old field's text, or nothing for an addition.
                if edit.range.is_empty() {
                    prop_assert!(pointer.ends_with("/new") || pointer.ends_with("/-"));
                } else {
                    let old: Value = serde_json::from_str(&text[edit.range.clone()]).unwrap();
                    let was = Structured::parse(&key(), text.as_bytes()).unwrap();
                    prop_assert_eq!(&old, was.get(&key(), &pointer).unwrap());
                }
                // And it reads as the old value with that one field set.
                let was = Structured::parse(&key(), text.as_bytes()).unwrap();
                let mut expected = was.root.clone();
                set_value(&mut expected, &key(), &pointer, &tokens, field.value.clone()).unwrap();
                prop_assert_eq!(serde_json::from_str::<Value>(&after).unwrap(), expected);
            }
        }
    }
}
