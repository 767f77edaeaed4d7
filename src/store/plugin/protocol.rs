//! The messages of `ovs-store-plugin/1` (docs/plugin-protocol.md), as serde
//! types, and the mapping of a plugin's errors onto the typed `StoreError`,
//! so that a plugin's conflict exits 5 like a built-in store's.

use std::time::Duration;

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::{Deserialize, Serialize};

use crate::store::{Capabilities, Key, KeyError, Op, Precondition, StoreError, Write};

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
                reason: message,
            },
            "timeout" => StoreError::Timeout { store, after: timeout, during: format!("({message})") },
            // KeyError's reason is a fixed text; the plugin's message goes in the key's place.
            "invalid_key" => StoreError::InvalidKey(KeyError {
                text: format!("{} ({message})", self.key.unwrap_or_default()),
                reason: "the store refuses this key",
            }),
            "corrupt" => StoreError::Corrupt { store, reason: message },
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
