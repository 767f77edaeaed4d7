//! What applying a document would change, computed from one scan, and the
//! guarded commit that makes it so: every key that changes or goes is
//! guarded by the revision the plan saw, every key that is added by its
//! absence, so a concurrent write fails the commit (conflict) instead of
//! being lost.
//!
//! A plan over the store's atomic limits is refused whole, unless chunked:
//! then it is applied in chunks that each fit, each chunk guarded the same
//! way, and if a chunk fails the chunks already applied are rolled back to
//! the values they had — each rollback write guarded by the revision the
//! apply gave it, so a newer write made meanwhile is never clobbered. The
//! outcome is all or nothing, but readers may see the middle of it.

use crate::document::Document;
use crate::store::{Committed, Entry, Key, Precondition, Revision, Store, StoreError, Write};

/// One key the plan changes: `old` is what the scan saw (None: absent),
/// `new` what the document holds (None: removed by --prune).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub key: Key,
    pub old: Option<Entry>,
    pub new: Option<Vec<u8>>,
}

impl Change {
    pub fn kind(&self) -> Kind {
        match (&self.old, &self.new) {
            (None, _) => Kind::Added,
            (Some(_), Some(_)) => Kind::Changed,
            (Some(_), None) => Kind::Removed,
        }
    }

    /// The write that makes this change, guarded by what the plan saw.
    fn write(&self) -> Write {
        let cond = match &self.old {
            Some(entry) => Precondition::Revision(entry.revision),
            None => Precondition::Absent,
        };
        match &self.new {
            Some(value) => Write::put(&self.key, value, cond),
            None => Write::delete(&self.key, cond),
        }
    }

    /// The write that undoes this change after it landed at `at`.
    fn undo(&self, at: Revision) -> Write {
        match (&self.old, &self.new) {
            (Some(old), Some(_)) => Write::put(&self.key, &old.value, Precondition::Revision(at)),
            (None, _) => Write::delete(&self.key, Precondition::Revision(at)),
            (Some(old), None) => Write::put(&self.key, &old.value, Precondition::Absent),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Added,
    Changed,
    Removed,
}

#[derive(Debug, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub unchanged: u64,
    /// Keys below the prefix that ovs cannot address (written by another
    /// tool): never written or removed.
    pub skipped: Vec<String>,
}

impl Plan {
    /// Compare `doc` with `current`, a scan of what the store holds below the
    /// document's prefix. With `prune`, keys the document does not hold are
    /// removed.
    pub fn compute(
        current: impl Iterator<Item = Result<Entry, StoreError>>,
        doc: &Document,
        prune: bool,
    ) -> Result<Plan, StoreError> {
        let mut plan = Plan::default();
        let mut wanted = doc.entries.iter().peekable();
        // Both sides are sorted by key bytes: walk them together.
        let add_until = |plan: &mut Plan,
                         wanted: &mut std::iter::Peekable<std::slice::Iter<'_, (Key, Vec<u8>)>>,
                         stop: Option<&str>| {
            while let Some((key, value)) = wanted.next_if(|(k, _)| stop.is_none_or(|s| k.as_str() < s)) {
                plan.changes.push(Change { key: key.clone(), old: None, new: Some(value.clone()) });
            }
        };
        for entry in current {
            let entry = entry?;
            add_until(&mut plan, &mut wanted, Some(&entry.key));
            let Some(key) = Key::exact(&entry.key) else {
                plan.skipped.push(entry.key);
                continue;
            };
            match wanted.next_if(|(k, _)| *k == key) {
                Some((_, value)) if *value == entry.value => plan.unchanged += 1,
                Some((_, value)) => plan.changes.push(Change { key, old: Some(entry), new: Some(value.clone()) }),
                None if prune => plan.changes.push(Change { key, old: Some(entry), new: None }),
                None => {}
            }
        }
        add_until(&mut plan, &mut wanted, None);
        Ok(plan)
    }

    pub fn count(&self, kind: Kind) -> usize {
        self.changes.iter().filter(|c| c.kind() == kind).count()
    }

    pub fn writes(&self) -> Vec<Write> {
        self.changes.iter().map(Change::write).collect()
    }
}

/// How a plan was applied.
#[derive(Debug)]
pub struct Applied {
    /// The revision of the (last) commit.
    pub revision: Revision,
    pub chunks: usize,
}

/// A chunked apply failed part way and was undone; what could not be undone
/// is listed. Its exit code is its cause's.
#[derive(Debug, thiserror::Error)]
#[error("a chunk failed and the {applied} chunk(s) applied before it were rolled back{}", leftover(.not_undone))]
pub struct RolledBack {
    #[source]
    pub cause: StoreError,
    pub applied: usize,
    /// Keys whose rollback was refused because they changed again meanwhile.
    pub not_undone: Vec<Key>,
}

fn leftover(keys: &[Key]) -> String {
    if keys.is_empty() {
        return String::new();
    }
    let list: Vec<&str> = keys.iter().map(Key::as_str).collect();
    format!(", except {} key(s) changed again meanwhile, left as they are: {}", keys.len(), list.join(", "))
}

/// How a plan is committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chunking {
    /// One atomic commit; over the store's limits it is refused whole.
    Off,
    /// Chunks of at most this many writes that also fit the store's limits.
    AtMost(usize),
}

/// Commit `changes` as one atomic commit, or in chunks that each fit the
/// store's limits, rolled back if one fails. `progress` hears of each chunk
/// committed (done, of how many).
pub fn apply(
    store: &dyn Store,
    changes: &[Change],
    chunking: Chunking,
    progress: &dyn Fn(usize, usize),
) -> anyhow::Result<Applied> {
    let writes: Vec<Write> = changes.iter().map(Change::write).collect();
    let Chunking::AtMost(most) = chunking else {
        let Committed { revision, .. } = store.commit(&writes)?;
        return Ok(Applied { revision, chunks: 1 });
    };
    let mut done: Vec<(&[Change], Revision)> = Vec::new();
    let mut revision = Revision(0);
    let ranges = chunks(store, &writes, most);
    for range in &ranges {
        match store.commit(&writes[range.clone()]) {
            Ok(committed) => {
                revision = committed.revision;
                done.push((&changes[range.clone()], committed.revision));
                progress(done.len(), ranges.len());
            }
            Err(cause) => {
                let applied = done.len();
                let not_undone = roll_back(store, &done);
                return Err(RolledBack { cause, applied, not_undone }.into());
            }
        }
    }
    Ok(Applied { revision, chunks: done.len() })
}

/// Undo applied chunks, newest first; a chunk whose rollback is refused is
/// undone key by key, and keys that changed again are left and returned.
fn roll_back(store: &dyn Store, done: &[(&[Change], Revision)]) -> Vec<Key> {
    let mut left = Vec::new();
    for (changes, at) in done.iter().rev() {
        let undo: Vec<Write> = changes.iter().map(|c| c.undo(*at)).collect();
        if store.commit(&undo).is_ok() {
            continue;
        }
        for write in undo {
            if store.commit(std::slice::from_ref(&write)).is_err() {
                left.push(write.key);
            }
        }
    }
    left
}

/// Ranges of `writes` of at most `most` writes that each fit the store's
/// batch limits.
fn chunks(store: &dyn Store, writes: &[Write], most: usize) -> Vec<std::ops::Range<usize>> {
    let caps = store.capabilities();
    let max_ops = caps.max_batch_ops.unwrap_or(usize::MAX);
    let max_bytes = caps.max_batch_bytes.unwrap_or(u64::MAX);
    let most = most.max(1);
    let mut out = Vec::new();
    let (mut start, mut ops, mut bytes) = (0, 0, 0u64);
    for (i, write) in writes.iter().enumerate() {
        let (n, size) = (write.ops(&caps), write.cost(&caps));
        if i > start && (i - start >= most || ops + n > max_ops || bytes + size > max_bytes) {
            out.push(start..i);
            (start, ops, bytes) = (i, 0, 0);
        }
        ops += n;
        bytes += size;
    }
    if start < writes.len() {
        out.push(start..writes.len());
    }
    out
}
