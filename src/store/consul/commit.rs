//! A commit as one `/v1/txn` request, whatever it holds (a single `put` is
//! a commit of one write and takes the same path). Each write becomes at
//! most two KV operations, in batch order, so the first failed operation
//! Consul reports names the first write whose condition failed:
//!
//! | write | operations | a failure means |
//! | --- | --- | --- |
//! | put, any | `set` | — |
//! | put, absent | `cas` index 0 | conflict |
//! | put, at N | `cas` index N | conflict |
//! | delete, any | `get`, `delete` | not found |
//! | delete, at N | `check-index` N, `delete` | conflict (a missing key too) |
//! | delete, absent | `check-not-exists`, `get` | conflict, else not found |
//! | delete-tree | `delete-tree K/`, `delete K` | — |
//! | check | `check-index` N or `check-not-exists` | conflict |
//!
//! No key is ever at index 0, so "at revision 0" is a `check-index` 0 that
//! always fails (a `cas` with 0 would mean "absent").

use super::client::Answer;
use super::txn::{self, Failure, Op, Outcome};
use super::{value_room, ConsulStore, MAX_TXN_OPS};
use crate::store::{batch, Committed, Key, Op as Does, Precondition, Revision, Store, StoreError, Write};

/// What the failure of one operation says of its write.
#[derive(Clone, Copy)]
enum Means {
    /// The write's precondition does not hold.
    Conflict,
    /// The key a delete needs is not there.
    Missing,
    /// Nothing a write asks for: Consul refused it for its own reasons.
    Fault,
}

pub(super) fn commit(store: &ConsulStore, writes: &[Write]) -> Result<Committed, StoreError> {
    batch::check(store.describe(), &store.capabilities(), writes)?;
    let mut ops = Vec::new();
    // For each operation: the write it belongs to, and what its failure means.
    let mut owners = Vec::new();
    for (i, w) in writes.iter().enumerate() {
        for (op, means) in operations(store, w) {
            ops.push(op);
            owners.push((i, means));
        }
    }
    // Consul does not say how many keys a delete-tree removed.
    let mut deleted = 0;
    for w in writes {
        match w.op {
            Does::Delete => deleted += 1,
            Does::DeleteTree => deleted += count_tree(store, &w.key)?,
            _ => {}
        }
    }
    if ops.is_empty() {
        let revision = writes.first().map_or(Ok(Revision(0)), |w| store.index_now(&w.key))?;
        return Ok(Committed { revision, deleted: 0 });
    }
    match txn::run(store, &ops)? {
        Outcome::Done(entries) => {
            // Every set and cas answers with the transaction's index, above
            // any index a check answers with.
            let revision = if writes.iter().any(|w| matches!(w.op, Does::Put(_))) {
                Revision(entries.iter().map(|e| e.modify_index).max().unwrap_or(0))
            } else {
                store.index_now(&writes[0].key)?
            };
            Ok(Committed { revision, deleted })
        }
        Outcome::Failed(failures) => Err(failed(store, writes, &owners, &failures[0])),
        Outcome::Refused(answer) => Err(refused(store, writes, ops.len(), &answer)),
    }
}

/// The operations that make `w`, each with what its failure means.
fn operations(store: &ConsulStore, w: &Write) -> Vec<(Op, Means)> {
    use Means::*;
    let key = store.consul_key(&w.key);
    let op = |verb| Op::new(verb, key.clone());
    let guard = |cond| match cond {
        Precondition::Any => None,
        Precondition::Absent => Some((op("check-not-exists"), Conflict)),
        Precondition::Revision(Revision(n)) => Some((op("check-index").index(n), Conflict)),
    };
    match (&w.op, w.cond) {
        (Does::Put(value), Precondition::Any) => vec![(op("set").value(value), Fault)],
        (Does::Put(value), Precondition::Absent) => vec![(op("cas").value(value), Conflict)],
        (Does::Put(_), Precondition::Revision(Revision(0))) => vec![(op("check-index"), Conflict)],
        (Does::Put(value), Precondition::Revision(Revision(n))) => vec![(op("cas").value(value).index(n), Conflict)],
        (Does::Delete, Precondition::Any) => vec![(op("get"), Missing), (op("delete"), Fault)],
        // Never applies: the key is there (conflict) or it is not (not found).
        (Does::Delete, Precondition::Absent) => vec![(op("check-not-exists"), Conflict), (op("get"), Missing)],
        (Does::Delete, cond) => guard(cond).into_iter().chain([(op("delete"), Fault)]).collect(),
        (Does::DeleteTree, _) => {
            let tree = (Op::new("delete-tree", store.below(&w.key)), Fault);
            if w.key.is_root() {
                vec![tree]
            } else {
                vec![tree, (op("delete"), Fault)]
            }
        }
        (Does::Check, cond) => guard(cond).into_iter().collect(),
    }
}

/// The keys a recursive delete of `key` is about to remove.
fn count_tree(store: &ConsulStore, key: &Key) -> Result<u64, StoreError> {
    // The subtree's listing holds the key itself.
    let mut n = 0;
    for listed in store.keys(key)? {
        listed?;
        n += 1;
    }
    Ok(n)
}

/// The error a failed transaction stands for, from its first failed
/// operation.
fn failed(store: &ConsulStore, writes: &[Write], owners: &[(usize, Means)], failure: &Failure) -> StoreError {
    if failure.denied() {
        return store.http.access_denied(&store.http.quote(failure.what.as_bytes()));
    }
    let Some(&(i, means)) = owners.get(failure.op) else {
        return store.backend(format!("Consul refused a transaction: {}", store.http.quote(failure.what.as_bytes())));
    };
    let w = &writes[i];
    match means {
        Means::Conflict => {
            // Where the key is now, for the message.
            let current = match store.get(&w.key) {
                Ok(found) => Some(found.revision),
                Err(StoreError::NotFound { .. }) => None,
                Err(e) => return e,
            };
            StoreError::precondition_failed(&w.key, w.cond, current)
        }
        Means::Missing => StoreError::NotFound { key: w.key.clone() },
        Means::Fault => {
            store.backend(format!("Consul refused to write {}: {}", w.key, store.http.quote(failure.what.as_bytes())))
        }
    }
}

/// A transaction the server would not look at: over its limits (413) it
/// is a batch or a value too large, as the server's text says.
fn refused(store: &ConsulStore, writes: &[Write], ops: usize, answer: &Answer) -> StoreError {
    if answer.status.as_u16() != 413 {
        return store.http.refused(answer);
    }
    let text = store.http.quote(&answer.body);
    let batch = |what: String, limit: String| StoreError::BatchTooLarge { store: store.describe.clone(), what, limit };
    let value = writes.iter().find_map(|w| match &w.op {
        Does::Put(value) => Some(value.len() as u64),
        _ => None,
    });
    // "Transaction contains too many operations (129 > 128)"
    if text.contains("too many operations") {
        let limit = last_pair(&text).map_or(MAX_TXN_OPS as u64, |(_, limit)| limit);
        return batch(
            format!("{} writes ({ops} Consul operations)", writes.len()),
            format!(
                "{limit} operations per transaction on this server (Consul takes {MAX_TXN_OPS} since 1.14, 64 before)"
            ),
        );
    }
    // "Value for key \"k\" is too large (600000 > 524288 bytes)"
    if text.starts_with("Value for key") {
        if let Some((size, limit)) = last_pair(&text) {
            let hint = Some("the server's kv_max_value_size");
            return StoreError::TooLarge { store: store.describe.clone(), size: Some(size), limit, hint };
        }
    }
    // "Request body too large, max size: 524288 bytes"
    let max = text.split("max size: ").nth(1).and_then(leading_number);
    let hint = Some("the server's txn_max_req_len, which carries values in base64");
    match max {
        Some(max) if writes.len() > 1 => batch(
            format!("{} writes", writes.len()),
            format!("{max} bytes per transaction (txn_max_req_len, values in base64)"),
        ),
        Some(max) => StoreError::TooLarge { store: store.describe.clone(), size: value, limit: value_room(max), hint },
        None if writes.len() > 1 => {
            batch(format!("{} writes", writes.len()), format!("what the server takes ({text})"))
        }
        None => {
            StoreError::TooLarge { store: store.describe.clone(), size: value, limit: super::MAX_VALUE_BYTES, hint }
        }
    }
}

/// `(A > B ...)` at the end of one of Consul's messages.
fn last_pair(text: &str) -> Option<(u64, u64)> {
    let inside = &text[text.rfind('(')? + 1..];
    let (a, b) = inside.split_once(" > ")?;
    Some((a.trim().parse().ok()?, leading_number(b)?))
}

fn leading_number(text: &str) -> Option<u64> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_consuls_limits_from_its_messages() {
        assert_eq!(last_pair("Transaction contains too many operations (129 > 128)"), Some((129, 128)));
        assert_eq!(
            last_pair(r#"Value for key "a (1 > 2)" is too large (600000 > 524288 bytes)"#),
            Some((600000, 524288))
        );
        assert_eq!(leading_number("524288 bytes"), Some(524288));
        assert_eq!(last_pair("no numbers"), None);
    }
}
