//! A commit as one etcd transaction, whatever it holds (a single `put` is a
//! commit of one write and takes the same path):
//!
//! - compares: each write's precondition (absent: create_revision == 0;
//!   revision r: mod_revision == r) and, for a delete, that its key exists
//!   (create_revision > 0), which a compare on a revision already implies;
//! - success: the puts and deletes; a recursive delete is the key itself
//!   and the range below `key/`, so a delete of `/foo` keeps `/foobar`;
//! - failure: a keys-only read of every compared key, at the revision the
//!   compares saw, so the error names the first write in batch order whose
//!   condition failed: `NotFound` for a delete of a missing key, else
//!   `Conflict`.

use etcd_client::{
    Compare, CompareOp, DeleteOptions, Error as EtcdError, GetOptions, Txn, TxnOp, TxnOpResponse, TxnResponse,
};

use super::listing::prefix_end;
use super::{too_large, too_many_ops, EtcdStore, MAX_REQUEST_BYTES};
use crate::store::{batch, Committed, Op, Precondition, Revision, Store, StoreError, Write};

pub(super) fn commit(store: &EtcdStore, writes: &[Write]) -> Result<Committed, StoreError> {
    batch::check(store.describe(), &store.capabilities(), writes)?;
    let mut compares = Vec::new();
    let mut then = Vec::with_capacity(writes.len());
    let mut reads = Vec::new();
    // The writes that `reads` read back, in the same order.
    let mut guarded = Vec::new();
    for w in writes {
        let key = store.etcd_key(&w.key);
        let before = compares.len();
        compares.extend(conditions(&key, w));
        if compares.len() > before {
            reads.push(TxnOp::get(key.clone(), Some(GetOptions::new().with_keys_only())));
            guarded.push(w);
        }
        match &w.op {
            Op::Put(value) => then.push(TxnOp::put(key, value.as_slice(), None)),
            Op::Delete => then.push(TxnOp::delete(key, None)),
            Op::DeleteTree => {
                let below = store.below(&w.key);
                let end = prefix_end(&below);
                then.push(TxnOp::delete(below, Some(DeleteOptions::new().with_range(end))));
                if !w.key.is_root() {
                    then.push(TxnOp::delete(key, None));
                }
            }
            Op::Check => {}
        }
    }
    // etcd counts the longest of the three lists against --max-txn-ops.
    let ops = compares.len().max(then.len()).max(reads.len());
    let txn = Txn::new().when(compares).and_then(then).or_else(reads);
    let resp = store
        .attempt(|mut c| {
            let txn = txn.clone();
            async move { c.txn(txn).await }
        })?
        .map_err(|e| refused(store, e, writes, ops))?;
    if !resp.succeeded() {
        return Err(failure(store, &guarded, &resp));
    }
    let deleted = resp
        .op_responses()
        .iter()
        .map(|op| match op {
            TxnOpResponse::Delete(d) => d.deleted().max(0) as u64,
            _ => 0,
        })
        .sum();
    let revision = Revision(resp.header().map_or(0, |h| h.revision()).max(0) as u64);
    Ok(Committed { revision, deleted })
}

/// The compares that make `w` apply only when its condition holds.
fn conditions(key: &[u8], w: &Write) -> impl Iterator<Item = Compare> {
    let cond = match w.cond {
        Precondition::Any => None,
        Precondition::Absent => Some(Compare::create_revision(key, CompareOp::Equal, 0)),
        Precondition::Revision(Revision(rev)) => {
            Some(Compare::mod_revision(key, CompareOp::Equal, i64::try_from(rev).unwrap_or(i64::MAX)))
        }
    };
    // A missing key compares as mod_revision 0, so only a revision of 0
    // leaves open whether the key exists.
    let exists_implied = matches!(w.cond, Precondition::Revision(Revision(rev)) if rev > 0);
    let must_exist = w.op == Op::Delete || matches!(w.cond, Precondition::Revision(_));
    let exists = (must_exist && !exists_implied).then(|| Compare::create_revision(key, CompareOp::Greater, 0));
    cond.into_iter().chain(exists)
}

/// Which write failed the transaction, from what its failure branch read
/// (one read per guarded write, in batch order).
fn failure(store: &EtcdStore, guarded: &[&Write], resp: &TxnResponse) -> StoreError {
    for (w, read) in guarded.iter().zip(resp.op_responses()) {
        let TxnOpResponse::Get(get) = read else { continue };
        let current = get.kvs().first().map(|kv| Revision(kv.mod_revision().max(0) as u64));
        if !w.cond.holds(current) {
            return StoreError::precondition_failed(&w.key, w.cond, current);
        }
        if w.op == Op::Delete && current.is_none() {
            return StoreError::NotFound { key: w.key.clone() };
        }
    }
    StoreError::Backend {
        store: store.describe().to_string(),
        message: "the transaction's conditions failed, but every key read back satisfies them".into(),
    }
}

/// A transaction the server refused: over its operation or size limits it
/// is a batch too large (a value too large, for a batch of one write).
fn refused(store: &EtcdStore, e: EtcdError, writes: &[Write], ops: usize) -> StoreError {
    let too_large_batch =
        |what: String, limit: String| StoreError::BatchTooLarge { store: store.describe().to_string(), what, limit };
    if too_many_ops(&e) {
        return too_large_batch(
            format!("{} writes ({ops} etcd operations)", writes.len()),
            "--max-txn-ops (128 operations by default)".into(),
        );
    }
    if too_large(&e) && writes.len() > 1 {
        let caps = store.capabilities();
        let bytes: u64 = writes.iter().map(|w| w.cost(&caps)).sum();
        return too_large_batch(
            format!("{bytes} bytes"),
            format!("--max-request-bytes ({MAX_REQUEST_BYTES} bytes by default)"),
        );
    }
    store.backend_error(e)
}
