//! The messages of `ovs-store-plugin/1` (docs/plugin-protocol.md), as serde
//! types; the checks every answer passes before ovs acts on it (a plugin is
//! checked, not trusted: a key outside the prefix asked for could otherwise
//! be pruned); and the mapping of a plugin's errors onto the typed
//! `StoreError`, so that a plugin's conflict exits 5 like a built-in store's.

use std::time::Duration;

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::{Deserialize, Serialize};

use crate::store::{Capabilities, Key, KeyError, Op, Precondition, Revision, Said, StoreError, Write};

/// The protocol version this build speaks.
pub const VERSION: u32 = 1;

/// A value on the wire: UTF-8 text as it is, anything else in base64.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Value {
    Text(String),
    Base64(String),
}

impl Value {
    pub fn of(bytes: &[u8]) -> Value {
        match std::str::from_utf8(bytes) {
            Ok(text) => Value::Text(text.to_string()),
            Err(_) => Value::Base64(B64.encode(bytes)),
        }
    }

    pub fn into_bytes(self) -> Result<Vec<u8>, String> {
        match self {
            Value::Text(text) => Ok(text.into_bytes()),
            Value::Base64(text) => B64.decode(text).map_err(|e| format!("a value is not base64: {e}")),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cond {
    Any,
    Absent,
    Revision(u64),
}

#[derive(Serialize)]
pub struct WriteOut<'a> {
    op: &'static str,
    key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Value>,
    cond: Cond,
}

impl<'a> WriteOut<'a> {
    pub fn of(w: &'a Write) -> WriteOut<'a> {
        let (op, value) = match &w.op {
            Op::Put(value) => ("put", Some(Value::of(value))),
            Op::Delete => ("delete", None),
            Op::DeleteTree => ("delete_tree", None),
            Op::Check => ("check", None),
        };
        let cond = match w.cond {
            Precondition::Any => Cond::Any,
            Precondition::Absent => Cond::Absent,
            Precondition::Revision(rev) => Cond::Revision(rev.0),
        };
        WriteOut { op, key: w.key.as_str(), value, cond }
    }
}

/// What ovs sends, one JSON object a line.
#[derive(Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request<'a> {
    Hello { version: u32, url: &'a str, options: HelloOptions<'a> },
    Get { key: &'a str },
    Keys { prefix: &'a str },
    Children { prefix: &'a str },
    Scan { prefix: &'a str },
    Commit { writes: Vec<WriteOut<'a>> },
}

#[derive(Serialize)]
pub struct HelloOptions<'a> {
    pub timeout_ms: u64,
    pub user: Option<&'a str>,
    /// Only ever on the plugin's stdin, never in its argv or environment.
    pub password: Option<&'a str>,
    pub tls: Tls<'a>,
}

#[derive(Serialize)]
pub struct Tls<'a> {
    pub ca: Option<&'a str>,
    pub cert: Option<&'a str>,
    pub key: Option<&'a str>,
}

/// One line a plugin answers: `ok` and, on success, the fields of the
/// request's answer (unknown fields are ignored, for later versions).
#[derive(Deserialize)]
pub struct Answer {
    pub ok: bool,
    pub error: Option<ErrorOut>,
    pub version: Option<u32>,
    pub capabilities: Option<CapabilitiesIn>,
    pub value: Option<Value>,
    pub revision: Option<u64>,
    pub deleted: Option<u64>,
    /// One item of a streamed listing.
    pub item: Option<serde_json::Value>,
    /// The end of a streamed listing.
    #[serde(default)]
    pub end: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapabilitiesIn {
    max_value_bytes: u64,
    #[serde(default = "yes")]
    atomic_batch: bool,
    max_batch_ops: Option<usize>,
    max_batch_bytes: Option<u64>,
    #[serde(default)]
    batch_op_bytes: u64,
    #[serde(default)]
    snapshot_scan: bool,
    /// Not in version 1: a plugin must declare them false (or leave them out).
    #[serde(default)]
    history: bool,
    #[serde(default)]
    watch: bool,
}

fn yes() -> bool {
    true
}

impl CapabilitiesIn {
    pub fn into_capabilities(self) -> Result<Capabilities, String> {
        if self.history || self.watch {
            return Err("declares history or watch, which protocol version 1 does not carry".into());
        }
        if self.max_batch_ops == Some(0) {
            return Err("declares max_batch_ops 0: no commit could ever pass".into());
        }
        Ok(Capabilities {
            max_value_bytes: self.max_value_bytes,
            max_value_hint: None,
            atomic_batch: self.atomic_batch,
            max_batch_ops: self.max_batch_ops,
            delete_ops: 1,
            max_batch_bytes: self.max_batch_bytes,
            batch_op_bytes: self.batch_op_bytes,
            snapshot_scan: self.snapshot_scan,
            history: false,
            watch: false,
            resume_watch: false,
        })
    }
}

/// A scan's item.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryIn {
    pub key: String,
    pub value: Value,
    pub revision: u64,
}

/// The longest answer line taken from a plugin whose values are at most
/// `max_value_bytes` (None before its hello): one value in its costliest
/// JSON form (a control character is six bytes, `\u0000`) and room for a
/// key and the framing. A longer line is out of protocol, so that a plugin
/// cannot make ovs hold an unbounded line in memory.
pub fn line_limit(max_value_bytes: Option<u64>) -> u64 {
    const ROOM: u64 = 1 << 20;
    max_value_bytes.map_or(ROOM, |max| max.saturating_mul(6).saturating_add(ROOM))
}

/// A revision a plugin reported for a value: positive, as the protocol says.
pub fn revision(n: u64) -> Result<Revision, String> {
    match n {
        0 => Err("revision 0 (revisions are positive)".into()),
        n => Ok(Revision(n)),
    }
}

/// A value a plugin returned, within the limit it declared.
pub fn value(value: Value, caps: &Capabilities) -> Result<Vec<u8>, String> {
    let bytes = value.into_bytes()?;
    match bytes.len() as u64 {
        n if n > caps.max_value_bytes => {
            Err(format!("a value of {n} bytes, over its declared max_value_bytes {}", caps.max_value_bytes))
        }
        _ => Ok(bytes),
    }
}

/// The items of one listing of `prefix`, checked as they come: every key is
/// in the prefix's subtree (the prefix itself or below `prefix/`, on
/// segment boundaries, never the root), every child one segment (`name`, or
/// `name/` for one with keys below it), and the items strictly increase in
/// byte order: sorted, no item twice. A key another tool wrote that ovs
/// cannot address (`/p//a`) passes, as it would from a built-in store: it
/// is listed with a warning, and never written or deleted.
pub struct Listing {
    prefix: Key,
    last: Option<String>,
}

impl Listing {
    pub fn of(prefix: &Key) -> Listing {
        Listing { prefix: prefix.clone(), last: None }
    }

    /// A key of `keys` or `scan`.
    pub fn key(&mut self, text: String) -> Result<String, String> {
        if text == "/" || !self.prefix.contains(&text) {
            return Err(format!("{text:?} is outside {}", self.prefix));
        }
        self.next(text)
    }

    /// An item of `children`.
    pub fn child(&mut self, text: String) -> Result<String, String> {
        if text.strip_suffix('/').unwrap_or(&text).contains('/') {
            return Err(format!("{text:?} is not a child's name (one segment, and `/` if it has keys below it)"));
        }
        self.next(text)
    }

    fn next(&mut self, text: String) -> Result<String, String> {
        match &self.last {
            Some(last) if *last == text => return Err(format!("{text:?} twice")),
            Some(last) if last.as_bytes() > text.as_bytes() => {
                return Err(format!("{text:?} after {last:?} (a listing is sorted by bytes)"))
            }
            _ => {}
        }
        self.last = Some(text.clone());
        Ok(text)
    }
}

#[derive(Deserialize)]
pub struct ErrorOut {
    kind: String,
    #[serde(default)]
    message: String,
    key: Option<String>,
    endpoint: Option<String>,
    size: Option<u64>,
    limit: Option<u64>,
}

impl ErrorOut {
    /// Pass every text of it through `f`.
    pub fn map_text(&mut self, f: impl Fn(&str) -> String) {
        self.message = f(&self.message);
        for text in [&mut self.key, &mut self.endpoint].into_iter().flatten() {
            *text = f(text);
        }
    }

    /// The typed error this names; Err(why) when it is out of protocol (an
    /// unknown kind, a kind without the fields it needs).
    pub fn into_store_error(self, store: &str, timeout: Duration) -> Result<StoreError, String> {
        let store = store.to_string();
        let key = |k: Option<String>| -> Result<Key, String> {
            let text = k.ok_or_else(|| format!("a {:?} error without its \"key\"", self.kind))?;
            Key::parse(&text).map_err(|e| format!("a {:?} error names {e}", self.kind))
        };
        let message = self.message.clone();
        Ok(match self.kind.as_str() {
            "not_found" => StoreError::NotFound { key: key(self.key)? },
            "conflict" => StoreError::Conflict { key: key(self.key)?, detail: message },
            "unreachable" => StoreError::Unreachable {
                store,
                endpoint: self.endpoint.unwrap_or_else(|| "its server".into()),
                source: Said::cause(message),
            },
            "timeout" => StoreError::Timeout { store, after: timeout, during: format!("({message})"), source: None },
            "denied" => StoreError::Denied { store, what: String::new(), source: Said::cause(message) },
            // KeyError's reason is a fixed text; the plugin's message goes in the key's place.
            "invalid_key" => StoreError::InvalidKey(KeyError {
                text: format!("{} ({message})", self.key.unwrap_or_default()),
                reason: "the store refuses this key",
            }),
            "corrupt" => StoreError::Corrupt { store, reason: message, source: None },
            "unsupported" => StoreError::Unsupported { store, what: message },
            "bad_option" => StoreError::BadOption { store, message },
            "too_large" => StoreError::TooLarge {
                store,
                size: self.size,
                limit: self.limit.ok_or("a \"too_large\" error without its \"limit\"")?,
                hint: None,
            },
            "batch_too_large" => StoreError::BatchTooLarge {
                store,
                what: message,
                limit: self.limit.map_or_else(|| "its own".to_string(), |n| n.to_string()),
            },
            "backend" => StoreError::Backend { store, message },
            other => return Err(format!("an error of unknown kind {other:?}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_takes_its_subtree_in_order_and_nothing_else() {
        let p = Key::parse("/p").unwrap();
        let mut keys = Listing::of(&p);
        // The prefix itself, keys below it, and one another tool wrote.
        for good in ["/p", "/p//odd", "/p/a", "/p/a-b", "/p/a/b", "/p/b"] {
            keys.key(good.into()).unwrap();
        }
        for bad in ["/pq", "/", "p/a", ""] {
            assert!(Listing::of(&p).key(bad.into()).unwrap_err().contains("is outside /p"), "{bad:?}");
        }
        let mut all = Listing::of(&Key::root());
        all.key("/a".into()).unwrap();
        assert!(all.key("/".into()).is_err());
        let mut children = Listing::of(&p);
        for good in ["", "/", "a", "a/", "b"] {
            children.child(good.into()).unwrap();
        }
        assert_eq!(children.child("b".into()).unwrap_err(), "\"b\" twice");
        assert!(children.child("a".into()).unwrap_err().contains("\"a\" after \"b\""));
        for bad in ["a/b", "a/b/", "//"] {
            assert!(Listing::of(&p).child(bad.into()).unwrap_err().contains("not a child's name"), "{bad:?}");
        }
    }

    #[test]
    fn revisions_are_positive_and_values_within_the_declared_limit() {
        assert!(revision(0).is_err());
        assert_eq!(revision(7).unwrap(), Revision(7));
        let caps = Capabilities { max_value_bytes: 3, ..Capabilities::unlimited(3) };
        assert_eq!(value(Value::Text("abc".into()), &caps).unwrap(), b"abc");
        assert!(value(Value::Text("abcd".into()), &caps).unwrap_err().contains("4 bytes"));
        assert!(line_limit(Some(u64::MAX)) == u64::MAX && line_limit(Some(10)) > line_limit(None));
    }
}
