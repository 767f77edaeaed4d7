//! `--field`: one field inside a JSON value (or a YAML one, written back as
//! YAML), addressed by a JSON Pointer (RFC 6901), as Open vStorage's
//! configuration layer addresses `key|a.b`.

use anyhow::Result;
use serde_json::Value;

use crate::exit::{NotFound, UsageError};
use crate::store::Key;

/// How a value is written, so an edited one is written the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Json { pretty: bool },
    Yaml,
}

/// A parsed value and how it was written.
pub struct Document {
    pub root: Value,
    pub syntax: Syntax,
}

impl Document {
    /// JSON first; else a YAML mapping or sequence (a bare YAML scalar is any
    /// text at all, so it does not count).
    pub fn parse(key: &Key, bytes: &[u8]) -> Result<Document> {
        if let Ok(root) = serde_json::from_slice::<Value>(bytes) {
            let pretty = bytes.contains(&b'\n') && bytes.iter().filter(|b| **b == b'\n').count() > 1;
            return Ok(Document { root, syntax: Syntax::Json { pretty } });
        }
        match crate::yaml::from_slice::<Value>(bytes, crate::yaml::Binary::AsText) {
            Ok(root @ (Value::Object(_) | Value::Array(_))) => Ok(Document { root, syntax: Syntax::Yaml }),
            _ => Err(UsageError(format!("{key}: --field needs a JSON or YAML value, and this one is neither")).into()),
        }
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(match self.syntax {
            Syntax::Json { pretty: false } => serde_json::to_vec(&self.root)?,
            Syntax::Json { pretty: true } => {
                let mut text = serde_json::to_vec_pretty(&self.root)?;
                text.push(b'\n');
                text
            }
            Syntax::Yaml => serde_yaml::to_string(&self.root)?.into_bytes(),
        })
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

    /// Set the field at `pointer` (its parent must exist; `-` appends to an
    /// array); the whole value when `pointer` is empty.
    pub fn set(&mut self, key: &Key, pointer: &str, new: Value) -> Result<()> {
        let mut tokens = tokens(pointer)?;
        let Some(last) = tokens.pop() else {
            self.root = new;
            return Ok(());
        };
        let mut at = &mut self.root;
        for token in tokens {
            at = match at {
                Value::Object(map) => map.get_mut(&token),
                Value::Array(items) => {
                    let len = items.len();
                    index(&token, len).and_then(move |i| items.get_mut(i))
                }
                _ => None,
            }
            .ok_or_else(|| missing(key, pointer))?;
        }
        match at {
            Value::Object(map) => {
                map.insert(last, new);
            }
            Value::Array(items) if last == "-" => items.push(new),
            Value::Array(items) => {
                let i = index(&last, items.len()).ok_or_else(|| missing(key, pointer))?;
                items[i] = new;
            }
            _ => {
                return Err(
                    UsageError(format!("{key}: the parent of {pointer:?} is neither an object nor an array")).into()
                )
            }
        }
        Ok(())
    }
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

/// The new field from the command line: JSON, or with `as_string` the text
/// itself as a JSON string.
pub fn new_value(text: &[u8], as_string: bool) -> Result<Value> {
    let text = std::str::from_utf8(text).map_err(|_| UsageError("a --field value must be UTF-8 text".into()))?;
    if as_string {
        return Ok(Value::String(text.to_string()));
    }
    serde_json::from_str(text).map_err(|e| {
        UsageError(format!("the --field value is not valid JSON ({e}); add --string to store it as a string")).into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Key::parse("/k").unwrap()
    }

    #[test]
    fn pointers_follow_rfc_6901() {
        let doc = Document::parse(&key(), br#"{"a/b": {"m~n": [10, 20]}, "": 1}"#).unwrap();
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

    #[test]
    fn set_changes_that_field_only_and_keeps_the_order_and_syntax() {
        let mut doc = Document::parse(&key(), br#"{"z": 1, "a": {"hour": "3", "minute": "0"}}"#).unwrap();
        doc.set(&key(), "/a/hour", Value::from("*/2")).unwrap();
        assert_eq!(doc.to_bytes().unwrap(), br#"{"z":1,"a":{"hour":"*/2","minute":"0"}}"#);
        doc.set(&key(), "/a/new", Value::Null).unwrap();
        assert!(doc.set(&key(), "/missing/x", Value::Null).is_err());
        let mut yaml = Document::parse(&key(), b"dataset:\n  backend: zfs\n  pool: tank\n").unwrap();
        yaml.set(&key(), "/dataset/pool", Value::from("ssd")).unwrap();
        assert_eq!(yaml.to_bytes().unwrap(), b"dataset:\n  backend: zfs\n  pool: ssd\n");
        let mut list = Document::parse(&key(), b"[1]").unwrap();
        list.set(&key(), "/-", Value::from(2)).unwrap();
        assert_eq!(list.to_bytes().unwrap(), b"[1,2]");
        assert!(Document::parse(&key(), b"plain text").is_err());
    }

    #[test]
    fn new_values_are_json_unless_asked_for_a_string() {
        assert_eq!(new_value(br#""*/2""#, false).unwrap(), Value::from("*/2"));
        assert_eq!(new_value(b"12", true).unwrap(), Value::from("12"));
        assert!(new_value(b"*/2", false).is_err());
    }
}
