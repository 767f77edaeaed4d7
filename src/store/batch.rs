//! Many writes at once: what a `commit` takes, what it answers, and the
//! checks every backend runs before it sends a batch (so that a batch is
//! refused whole, and the same way, on every store).

use super::{Capabilities, Key, Precondition, Revision, StoreError};

/// What one write of a commit does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Set the key's value, creating the key if need be.
    Put(Vec<u8>),
    /// Delete the key; a missing key fails the commit (`NotFound`).
    Delete,
    /// Delete the key and every key below it, on segment boundaries (never
    /// `/foobar` for `/foo`); finding nothing is not an error. Takes no
    /// precondition but `Any`.
    DeleteTree,
    /// Write nothing: only the precondition must hold (etcd's compare,
    /// ZooKeeper's check op).
    Check,
}

/// One write of a commit, with its own precondition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    pub key: Key,
    pub op: Op,
    pub cond: Precondition,
}

impl Write {
    pub fn put(key: &Key, value: &[u8], cond: Precondition) -> Write {
        Write { key: key.clone(), op: Op::Put(value.to_vec()), cond }
    }

    pub fn delete(key: &Key, cond: Precondition) -> Write {
        Write { key: key.clone(), op: Op::Delete, cond }
    }

    pub fn delete_tree(prefix: &Key) -> Write {
        Write { key: prefix.clone(), op: Op::DeleteTree, cond: Precondition::Any }
    }

    pub fn check(key: &Key, cond: Precondition) -> Write {
        Write { key: key.clone(), op: Op::Check, cond }
    }

    /// Bytes this write costs a batch on the wire, erring high: its value,
    /// its key up to three times (a compare or check, the write, and the read
    /// that explains a failure) and the store's framing per operation.
    pub fn cost(&self, caps: &Capabilities) -> u64 {
        let value = match &self.op {
            Op::Put(value) => value.len() as u64,
            _ => 0,
        };
        value + 3 * self.key.as_str().len() as u64 + caps.batch_op_bytes
    }

    /// Operations this write counts against the store's `max_batch_ops`.
    pub fn ops(&self, caps: &Capabilities) -> usize {
        match self.op {
            Op::Delete | Op::DeleteTree => caps.delete_ops,
            Op::Put(_) | Op::Check => 1,
        }
    }
}

/// What a commit did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Committed {
    /// The revision every key the commit put now has (all writes of a
    /// commit land at one revision on every store).
    pub revision: Revision,
    /// How many keys its deletes and delete-trees removed.
    pub deleted: u64,
}

/// The checks every backend makes before it sends a batch, so that nothing
/// is written: the root holds no value, a delete-tree takes no condition, no
/// key is written twice or inside a subtree the same batch deletes (etcd
/// refuses those too), and the batch fits the store's declared limits. (The
/// size of each value is the commands' to check, with the operator's
/// `--max-value-size` in mind: `check_value_size`.)
pub fn check(store: &str, caps: &Capabilities, writes: &[Write]) -> Result<(), StoreError> {
    let refuse = |message: String| Err(StoreError::BadOption { store: store.to_string(), message });
    let mut keys: Vec<&Key> = Vec::with_capacity(writes.len());
    for w in writes {
        match (&w.op, w.cond) {
            (Op::DeleteTree, Precondition::Any) => {}
            (Op::DeleteTree, _) => return refuse(format!("a recursive delete of {} takes no precondition", w.key)),
            (_, _) => super::root_is_not_a_key(&w.key)?,
        }
        keys.push(&w.key);
    }
    keys.sort();
    for pair in keys.windows(2) {
        if pair[0] == pair[1] {
            return refuse(format!("{} is written twice in one batch", pair[0]));
        }
    }
    // A write inside a subtree the batch deletes: look up each write's
    // ancestors among the delete-trees (not every pair: batches are large).
    let trees: std::collections::HashSet<&str> =
        writes.iter().filter(|w| w.op == Op::DeleteTree).map(|w| w.key.as_str()).collect();
    if !trees.is_empty() {
        for w in writes {
            let path = w.key.as_str();
            let inside =
                path.match_indices('/').map(|(i, _)| if i == 0 { "/" } else { &path[..i] }).find(|a| trees.contains(a));
            if let Some(tree) = inside.filter(|t| *t != path) {
                return refuse(format!(
                    "{} is written in the same batch that deletes {tree} and everything below it",
                    w.key
                ));
            }
        }
    }
    if let Some(limit) = caps.max_batch_ops {
        let ops: usize = writes.iter().map(|w| w.ops(caps)).sum();
        if ops > limit {
            let what = match ops == writes.len() {
                true => format!("{ops} operations"),
                false => format!("{} writes ({ops} operations: a delete counts {})", writes.len(), caps.delete_ops),
            };
            return Err(StoreError::BatchTooLarge {
                store: store.to_string(),
                what,
                limit: format!("{limit} operations"),
            });
        }
    }
    // One write's size is its value's, checked against the value limit (which
    // the operator may raise); the byte limit is for batches.
    if let Some(limit) = caps.max_batch_bytes.filter(|_| writes.len() > 1) {
        let bytes: u64 = writes.iter().map(|w| w.cost(caps)).sum();
        if bytes > limit {
            return Err(StoreError::BatchTooLarge {
                store: store.to_string(),
                what: format!("{bytes} bytes"),
                limit: format!("{limit} bytes"),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Key {
        Key::parse(text).unwrap()
    }

    fn caps() -> Capabilities {
        Capabilities { max_batch_ops: Some(3), max_batch_bytes: Some(100), ..Capabilities::unlimited(1000) }
    }

    #[test]
    fn refuses_overlaps_and_batches_over_the_limits() {
        let any = Precondition::Any;
        let ok = [Write::put(&key("/a"), b"1", any), Write::delete_tree(&key("/b")), Write::delete(&key("/bc"), any)];
        check("s", &caps(), &ok).unwrap();
        let twice = [Write::put(&key("/a"), b"1", any), Write::delete(&key("/a"), any)];
        assert!(matches!(check("s", &caps(), &twice), Err(StoreError::BadOption { .. })));
        let inside = [Write::delete_tree(&key("/b")), Write::put(&key("/b/c"), b"1", any)];
        assert!(matches!(check("s", &caps(), &inside), Err(StoreError::BadOption { .. })));
        let many: Vec<Write> = (0..4).map(|i| Write::put(&key(&format!("/k{i}")), b"v", any)).collect();
        assert!(matches!(check("s", &caps(), &many), Err(StoreError::BatchTooLarge { .. })));
        let big = [Write::put(&key("/b1"), &[b'x'; 60], any), Write::put(&key("/b2"), &[b'x'; 60], any)];
        assert!(matches!(check("s", &caps(), &big), Err(StoreError::BatchTooLarge { .. })));
        // One write is held to the value limit, not the batch limit.
        check("s", &caps(), &[Write::put(&key("/one"), &[b'x'; 200], any)]).unwrap();
        let root = [Write::put(&Key::root(), b"x", any)];
        assert!(matches!(check("s", &caps(), &root), Err(StoreError::InvalidKey(_))));
        let guarded_tree = [Write { cond: Precondition::Absent, ..Write::delete_tree(&key("/t")) }];
        assert!(matches!(check("s", &caps(), &guarded_tree), Err(StoreError::BadOption { .. })));
    }

    #[test]
    fn deletes_count_as_the_store_says() {
        let caps = Capabilities { delete_ops: 2, ..caps() };
        let any = Precondition::Any;
        check("s", &caps, &[Write::put(&key("/a"), b"1", any), Write::delete(&key("/b"), any)]).unwrap();
        let two_deletes = [Write::delete(&key("/a"), any), Write::delete_tree(&key("/b"))];
        let err = check("s", &caps, &two_deletes).unwrap_err();
        assert!(err.to_string().contains("2 writes (4 operations"), "{err}");
    }
}
