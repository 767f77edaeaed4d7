//! `/v1/txn`: KV operations in Consul's JSON (keys as they are, values in
//! base64), sent as one request, and what came back.

use base64::Engine;
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::client::{Answer, Call};
use super::{ConsulStore, KvEntry};
use crate::store::StoreError;

/// One KV operation of a transaction.
#[derive(Serialize)]
pub(super) struct Op {
    #[serde(rename = "KV")]
    kv: KvOp,
}

#[derive(Serialize)]
struct KvOp {
    #[serde(rename = "Verb")]
    verb: &'static str,
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Value", skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    /// The ModifyIndex a `cas`, `check-index` or `delete-cas` compares; 0
    /// (omitted) is "absent" for `cas`.
    #[serde(rename = "Index", skip_serializing_if = "is_zero")]
    index: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Op {
    pub(super) fn new(verb: &'static str, key: String) -> Op {
        Op { kv: KvOp { verb, key, value: None, index: 0 } }
    }

    pub(super) fn index(mut self, index: u64) -> Op {
        self.kv.index = index;
        self
    }

    pub(super) fn value(mut self, value: &[u8]) -> Op {
        self.kv.value = Some(base64::engine::general_purpose::STANDARD.encode(value));
        self
    }
}

/// A failed operation, as Consul reports it with HTTP 409.
#[derive(Deserialize)]
pub(super) struct Failure {
    #[serde(rename = "OpIndex")]
    pub op: usize,
    #[serde(rename = "What")]
    pub what: String,
}

impl Failure {
    /// Consul's ACLs refused the operation (checked before any is applied).
    pub(super) fn denied(&self) -> bool {
        self.what.starts_with("Permission denied") || self.what.contains("ACL not found")
    }
}

#[derive(Deserialize)]
struct Reply {
    #[serde(rename = "Results")]
    results: Option<Vec<Result>>,
    #[serde(rename = "Errors")]
    errors: Option<Vec<Failure>>,
}

#[derive(Deserialize)]
struct Result {
    #[serde(rename = "KV")]
    kv: Option<KvEntry>,
}

/// What a transaction came to.
pub(super) enum Outcome {
    /// Applied: the KV entries it answered with, in the order of the
    /// operations that answer (`get`, `set`, `cas`, `check-index`).
    Done(Vec<KvEntry>),
    /// Nothing applied: the failed operations, by index.
    Failed(Vec<Failure>),
    /// Not looked at (413 and the like), as it came.
    Refused(Answer),
}

/// Send `ops` as one transaction.
pub(super) fn run(store: &ConsulStore, ops: &[Op]) -> std::result::Result<Outcome, StoreError> {
    let body =
        serde_json::to_vec(ops).map_err(|e| StoreError::failed(&store.describe, "cannot encode a transaction", e))?;
    let answer = store.http.call(&Call::json(Method::PUT, "/v1/txn".into(), body))?;
    let reply = |answer: &Answer| {
        serde_json::from_slice::<Reply>(&answer.body)
            .map_err(|e| StoreError::failed(&store.describe, "unexpected answer to a transaction", e))
    };
    match answer.status.as_u16() {
        200 => {
            let results = reply(&answer)?.results.unwrap_or_default();
            Ok(Outcome::Done(results.into_iter().filter_map(|r| r.kv).collect()))
        }
        409 => {
            let mut failures = reply(&answer)?.errors.unwrap_or_default();
            failures.sort_by_key(|f| f.op);
            if failures.is_empty() {
                return Err(store.backend("Consul refused a transaction without saying which operation failed".into()));
            }
            Ok(Outcome::Failed(failures))
        }
        _ => Ok(Outcome::Refused(answer)),
    }
}
