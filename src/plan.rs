//! What applying a document would change, computed from one scan, and the
//! guarded commit that makes it so: every key that changes or goes is
//! guarded by the revision the plan saw, every key that is added by its
//! absence, so a concurrent write fails the commit (conflict) instead of
//! being lost.
//!
//! A plan over the store's atomic limits is refused whole, unless chunked:
//! then what the store holds below the prefix is saved first as an undo
//! document (`undo.rs`), and the plan is applied in chunks that each fit,
//! each chunk guarded the same way. If a chunk fails, the chunks already
//! applied are rolled back to the values they had — each rollback write
//! guarded by the revision the apply gave it, so a newer write made
//! meanwhile is never clobbered. A chunk whose commit got no answer may
//! have landed: its keys are read back, and undone where they hold what the
//! apply wrote. A rollback that cannot finish says what it left applied,
//! and the undo document puts the store back. Readers may see the middle
//! of a chunked apply.

use crate::document::Document;
use crate::store::{Committed, Entry, Key, Precondition, Revision, Store, StoreError, Write};
use crate::undo::Undo;

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

/// A chunk of a chunked apply failed: what became of it, of the chunks
/// applied before it (rolled back, or not: why), and where the values the
/// apply replaced are saved. Its exit code is the rollback's when the
/// rollback stopped (6 when it could not reach the store), else the
/// failed chunk's.
#[derive(Debug)]
pub struct ChunkFailed {
    pub cause: StoreError,
    /// Which chunk failed (from 1), of how many.
    pub chunk: usize,
    pub of: usize,
    /// How many chunks were applied before it.
    pub applied: usize,
    /// What became of the failed chunk.
    pub fate: Fate,
    pub rollback: Rollback,
    pub undo: Undo,
}

/// What became of the chunk whose commit failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// The store answered with a refusal: nothing of it was written.
    Refused,
    /// No answer came, and the store could not be read to tell.
    PossiblyApplied,
    /// No answer came; read back, its keys were as the plan saw them.
    NotApplied,
    /// No answer came, yet it had been applied (and is rolled back).
    Applied,
}

/// How the rollback went.
#[derive(Debug, Default)]
pub struct Rollback {
    /// Keys whose rollback was refused because they changed again meanwhile.
    pub changed_again: Vec<Key>,
    /// Why the rollback stopped part way, and what it left applied.
    pub stopped: Option<(StoreError, String)>,
}

impl ChunkFailed {
    /// The error that decides the exit code.
    pub fn decisive(&self) -> &StoreError {
        self.rollback.stopped.as_ref().map_or(&self.cause, |(e, _)| e)
    }
}

impl std::fmt::Display for ChunkFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (applied, chunk) = (self.applied, self.chunk);
        write!(f, "chunk {chunk} of {} failed: {}; ", self.of, self.cause)?;
        match self.fate {
            Fate::Refused => write!(f, "nothing of chunk {chunk} was written")?,
            Fate::PossiblyApplied => write!(f, "no answer came, so chunk {chunk} is possibly applied")?,
            Fate::NotApplied => write!(f, "no answer came; read back, chunk {chunk} had not been applied")?,
            Fate::Applied => write!(f, "no answer came, yet chunk {chunk} had been applied")?,
        }
        let also = if self.fate == Fate::Applied { format!(" and chunk {chunk}") } else { String::new() };
        match &self.rollback.stopped {
            Some((e, still)) => {
                let why = if e.is_retryable() { "could not reach the store" } else { "failed" };
                write!(f, "; the rollback {why} ({e}): {still}")?;
            }
            None if applied == 0 && self.fate != Fate::Applied => write!(f, "; no chunk had been applied before it")?,
            None => {
                write!(f, "; the {applied} chunk(s) applied before it{also} were rolled back to the values they had")?
            }
        }
        if !self.rollback.changed_again.is_empty() {
            let keys = &self.rollback.changed_again;
            let list: Vec<&str> = keys.iter().take(5).map(Key::as_str).collect();
            let more = if keys.len() > 5 { format!(" and {} more", keys.len() - 5) } else { String::new() };
            write!(
                f,
                ", except {} key(s) changed again meanwhile, left as they are: {}{more}",
                keys.len(),
                list.join(", ")
            )?;
        }
        write!(
            f,
            "; what it replaced is saved in {}: `{}` puts it all back",
            self.undo.file.display(),
            self.undo.command()
        )
    }
}

/// What a rollback that stopped left applied: the chunks before the failed
/// one up to `upto` (the rollback goes newest first), and the failed one.
fn still_applied(upto: usize, failed: Option<(usize, Fate)>) -> String {
    let mut parts = Vec::new();
    match upto {
        0 => {}
        1 => parts.push("chunk 1".to_string()),
        n => parts.push(format!("chunks 1-{n}")),
    }
    match failed {
        Some((chunk, Fate::PossiblyApplied)) => parts.push(format!("possibly chunk {chunk}")),
        Some((chunk, Fate::Applied)) => parts.push(format!("chunk {chunk}")),
        _ => {}
    }
    if parts.is_empty() {
        return "nothing is left applied".to_string();
    }
    format!("{} still applied, wholly or in part", parts.join(" and "))
}

impl std::error::Error for ChunkFailed {}

/// How a plan is committed.
pub enum Chunking<'a> {
    /// One atomic commit; over the store's limits it is refused whole.
    Off,
    /// Chunks of at most this many writes that also fit the store's limits;
    /// before the first is committed, the closure saves what they replace.
    AtMost(usize, &'a dyn Fn() -> anyhow::Result<Undo>),
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
    let Chunking::AtMost(most, save) = chunking else {
        let Committed { revision, .. } = store.commit(&writes)?;
        return Ok(Applied { revision, chunks: 1 });
    };
    let ranges = chunks(store, &writes, most);
    let undo = save()?;
    let mut done: Vec<(&[Change], Revision)> = Vec::new();
    let mut revision = Revision(0);
    for (i, range) in ranges.iter().enumerate() {
        match store.commit(&writes[range.clone()]) {
            Ok(committed) => {
                revision = committed.revision;
                done.push((&changes[range.clone()], committed.revision));
                progress(done.len(), ranges.len());
            }
            Err(cause) => {
                let failed = &changes[range.clone()];
                let mut rollback = Rollback::default();
                let fate = if answered(&cause) { Fate::Refused } else { settle(store, failed, &mut rollback) };
                match &mut rollback.stopped {
                    Some((_, still)) => *still = still_applied(done.len(), Some((i + 1, fate))),
                    None => roll_back(store, &done, &mut rollback),
                }
                let applied = done.len();
                return Err(ChunkFailed { cause, chunk: i + 1, of: ranges.len(), applied, fate, rollback, undo }.into());
            }
        }
    }
    undo.discard();
    Ok(Applied { revision, chunks: done.len() })
}

/// Whether a failed commit came with the store's answer, so that nothing of
/// it was written; a commit that got no answer (a lost connection, a
/// timeout, a transport failure) may have been applied.
fn answered(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Conflict { .. }
            | StoreError::NotFound { .. }
            | StoreError::InvalidKey(_)
            | StoreError::Unsupported { .. }
            | StoreError::BadOption { .. }
            | StoreError::BatchTooLarge { .. }
            | StoreError::TooLarge { .. }
            | StoreError::Denied { .. }
    )
}

/// A chunk whose commit got no answer: read its keys back. A key as the plan
/// saw it was not written; a key holding what the apply wrote is undone,
/// guarded by the revision it holds now; any other key changed again and is
/// left. When the store cannot be read the chunk stays possibly applied and
/// the rollback stops there (the caller says what it left applied).
fn settle(store: &dyn Store, chunk: &[Change], rollback: &mut Rollback) -> Fate {
    let mut undo = Vec::new();
    for change in chunk {
        let now = match store.get(&change.key) {
            Ok(now) => Some(now),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => {
                rollback.stopped = Some((e, String::new()));
                return Fate::PossiblyApplied;
            }
        };
        let as_planned = match (&change.old, &now) {
            (Some(old), Some(now)) => old.revision == now.revision,
            (None, None) => true,
            _ => false,
        };
        let as_applied = match (&change.new, &now) {
            (Some(value), Some(now)) => now.value == *value,
            (None, None) => true,
            _ => false,
        };
        if as_applied && !as_planned {
            undo.push(change.undo(now.map_or(Revision(0), |n| n.revision)));
        } else if !as_planned {
            rollback.changed_again.push(change.key.clone());
        }
    }
    if undo.is_empty() {
        return Fate::NotApplied;
    }
    if let Err(e) = undo_writes(store, undo, &mut rollback.changed_again) {
        rollback.stopped = Some((e, String::new()));
    }
    Fate::Applied
}

/// Undo applied chunks, newest first, each guarded by the revision the
/// apply gave its keys; stops at the first failure that is not a key that
/// changed again.
fn roll_back(store: &dyn Store, done: &[(&[Change], Revision)], rollback: &mut Rollback) {
    for (n, (changes, at)) in done.iter().enumerate().rev() {
        let undo: Vec<Write> = changes.iter().map(|c| c.undo(*at)).collect();
        if let Err(e) = undo_writes(store, undo, &mut rollback.changed_again) {
            rollback.stopped = Some((e, still_applied(n + 1, None)));
            return;
        }
    }
}

/// Commit the undo of one chunk at once; when a key refuses (it changed
/// again), key by key, listing those that refuse. Any other failure is
/// returned (the keys undone so far stay undone).
fn undo_writes(store: &dyn Store, undo: Vec<Write>, changed_again: &mut Vec<Key>) -> Result<(), StoreError> {
    match store.commit(&undo) {
        Ok(_) => return Ok(()),
        Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => {}
        Err(e) => return Err(e),
    }
    for write in undo {
        match store.commit(std::slice::from_ref(&write)) {
            Ok(_) => {}
            Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => changed_again.push(write.key),
            Err(e) => return Err(e),
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::store::{Capabilities, Entries, History, Identity, Options, Scan, StoreExt, StoreUrl, Version, Watcher};

    /// A real directory store whose commit number `lose` gets no answer:
    /// applied first when `lands`, else not at all.
    struct NoAnswer {
        inner: Box<dyn Store>,
        commits: AtomicUsize,
        lose: usize,
        lands: bool,
    }

    #[deny(clippy::missing_trait_methods)]
    impl Store for NoAnswer {
        fn describe(&self) -> &str {
            self.inner.describe()
        }
        fn capabilities(&self) -> Capabilities {
            self.inner.capabilities()
        }
        fn get(&self, key: &Key) -> Result<Version, StoreError> {
            self.inner.get(key)
        }
        fn keys(&self, prefix: &Key) -> Result<Entries<'_>, StoreError> {
            self.inner.keys(prefix)
        }
        fn scan(&self, prefix: &Key) -> Result<Scan<'_>, StoreError> {
            self.inner.scan(prefix)
        }
        fn children(&self, prefix: &Key) -> Result<Entries<'_>, StoreError> {
            self.inner.children(prefix)
        }
        fn watch(&self, prefix: &Key, after: Option<Revision>) -> Result<Box<dyn Watcher + '_>, StoreError> {
            self.inner.watch(prefix, after)
        }
        fn identity(&self) -> Result<Option<Identity>, StoreError> {
            self.inner.identity()
        }
        fn history(&self, key: &Key) -> Result<History, StoreError> {
            self.inner.history(key)
        }
        fn commit(&self, writes: &[Write]) -> Result<Committed, StoreError> {
            if self.commits.fetch_add(1, Ordering::SeqCst) != self.lose {
                return self.inner.commit(writes);
            }
            if self.lands {
                self.inner.commit(writes)?;
            }
            Err(StoreError::Unreachable { store: "s".into(), endpoint: "e".into(), source: "connection reset".into() })
        }
    }

    fn key(text: &str) -> Key {
        Key::parse(text).unwrap()
    }

    type Contents = Vec<(String, Vec<u8>)>;

    fn contents(s: &dyn Store) -> Contents {
        s.scan(&key("/r")).unwrap().map(|e| e.map(|e| (e.key, e.value)).unwrap()).collect()
    }

    /// Ten keys, a plan that changes them and adds two, in chunks of three
    /// whose third commit gets no answer.
    fn cut_off(lands: bool) -> (ChunkFailed, Contents, Contents) {
        let dir = tempfile::tempdir().unwrap();
        let url = StoreUrl::parse(&format!("dir://{}", dir.path().join("store").display())).unwrap();
        let options = Options { timeout: Duration::from_secs(5), ..Options::default() };
        let inner = crate::store::open(&url, &options).unwrap();
        for i in 0..10 {
            inner.put(&key(&format!("/r/k{i:02}")), format!("old {i}").as_bytes(), Precondition::Any).unwrap();
        }
        let before = contents(inner.as_ref());
        let entries = (0..12).map(|i| (key(&format!("/r/k{i:02}")), format!("new {i}").into_bytes())).collect();
        let doc = Document { prefix: key("/r"), entries };
        let plan = Plan::compute(inner.scan(&key("/r")).unwrap(), &doc, false).unwrap();
        let store = NoAnswer { inner, commits: AtomicUsize::new(0), lose: 2, lands };
        let save = || crate::undo::save_in(&dir.path().join("undo"), &store, &key("/r"));
        let err = apply(&store, &plan.changes, Chunking::AtMost(3, &save), &|_, _| {}).unwrap_err();
        let failed = err.downcast::<ChunkFailed>().unwrap();
        let after = contents(&store);
        (failed, before, after)
    }

    #[test]
    fn a_chunk_that_landed_without_an_answer_is_found_and_rolled_back_with_the_others() {
        let (failed, before, after) = cut_off(true);
        assert_eq!((failed.chunk, failed.of, failed.applied, failed.fate), (3, 4, 2, Fate::Applied), "{failed}");
        assert!(failed.rollback.stopped.is_none() && failed.rollback.changed_again.is_empty(), "{failed}");
        assert_eq!(after, before, "{failed}");
        let message = failed.to_string();
        assert!(message.contains("yet chunk 3 had been applied"), "{message}");
        assert!(message.contains("the 2 chunk(s) applied before it and chunk 3 were rolled back"), "{message}");
        assert_eq!(crate::exit::classify(&failed.into()), crate::exit::Exit::Unreachable);
    }

    #[test]
    fn a_chunk_that_did_not_land_is_told_apart() {
        let (failed, before, after) = cut_off(false);
        assert_eq!(failed.fate, Fate::NotApplied, "{failed}");
        assert!(failed.rollback.stopped.is_none() && failed.rollback.changed_again.is_empty(), "{failed}");
        assert_eq!(after, before, "{failed}");
        assert!(failed.to_string().contains("chunk 3 had not been applied"), "{failed}");
    }
}
