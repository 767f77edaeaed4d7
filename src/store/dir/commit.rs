//! A commit: under the write lock, the old file streams into a temp file
//! with the batch merged in, and the temp file is renamed over it only if
//! every precondition held.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::time::{Duration, Instant};

use super::format::{Header, Keep, Output, Record, Trailer, FORMAT, VERSION};
use super::{DirStore, DATA_FILE};
use crate::files;
use crate::store::batch::{self, Op};
use crate::store::{Committed, Revision, StoreError};

const LOCK_FILE: &str = "ovs-config.lock";
/// Names of a writer's temp file, the next data file until its rename.
const TEMP_PREFIX: &str = ".ovs-config.";

/// A commit's writes in key order, as the old file streams past them.
pub(super) struct Batch<'a> {
    /// Every write, sorted by key (keys are unique: `batch::check`).
    sorted: Vec<&'a batch::Write>,
    /// The delete-trees' keys, to find the records below them. A subtree is
    /// not one run of the sorted file (`/foo-x` sorts between `/foo` and
    /// `/foo/a`), so each record looks its ancestors up here.
    trees: HashSet<&'a str>,
}

impl<'a> Batch<'a> {
    pub(super) fn new(writes: &'a [batch::Write]) -> Batch<'a> {
        let mut sorted: Vec<&batch::Write> = writes.iter().collect();
        sorted.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        let trees = writes.iter().filter(|w| w.op == Op::DeleteTree).map(|w| w.key.as_str()).collect();
        Batch { sorted, trees }
    }

    /// Whether `key` lies strictly below one of the batch's delete-trees.
    fn below_a_tree(&self, key: &str) -> bool {
        !self.trees.is_empty()
            && key.match_indices('/').any(|(i, _)| self.trees.contains(if i == 0 { "/" } else { &key[..i] }))
    }

    /// Whether the batch would put anything in an empty store, or why it is
    /// refused there.
    fn puts_when_all_absent(&self) -> Result<bool, StoreError> {
        self.sorted.iter().try_fold(false, |puts, w| Ok(matches!(outcome(w, None)?, Outcome::Put(_)) || puts))
    }
}

/// What one write does to its key.
enum Outcome<'v> {
    Put(&'v [u8]),
    Removed,
    /// The key stays as it is (or missing).
    Unchanged,
}

/// What `w` comes to where its key is at `current` (None: missing): its
/// precondition first, then whether there is anything to delete.
fn outcome(w: &batch::Write, current: Option<Revision>) -> Result<Outcome<'_>, StoreError> {
    if !w.cond.holds(current) {
        return Err(StoreError::precondition_failed(&w.key, w.cond, current));
    }
    Ok(match (&w.op, current) {
        (Op::Put(value), _) => Outcome::Put(value),
        (Op::Delete, None) => return Err(StoreError::NotFound { key: w.key.clone() }),
        (Op::Delete | Op::DeleteTree, Some(_)) => Outcome::Removed,
        (Op::Check, _) | (Op::DeleteTree, None) => Outcome::Unchanged,
    })
}

impl DirStore {
    fn lock(&self) -> Result<File, StoreError> {
        let path = self.dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| self.io_error("cannot open lock file", &path, e))?;
        let start = Instant::now();
        let deadline = start + self.lock_timeout;
        loop {
            match file.try_lock() {
                Ok(()) => {
                    tracing::debug!(file = %path.display(), waited = ?start.elapsed(), "took the write lock");
                    return Ok(file);
                }
                Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(2))
                }
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(StoreError::Timeout {
                        store: self.describe.clone(),
                        after: self.lock_timeout,
                        during: format!("waiting for the write lock {}", path.display()),
                        source: None,
                    })
                }
                Err(fs::TryLockError::Error(e)) => return Err(self.io_error("cannot lock", &path, e)),
            }
        }
    }

    /// Remove the temp files of writers that died before their rename (each
    /// nearly a copy of the store). Only a lock holder makes one, so under
    /// the lock every one found is stale.
    fn remove_stale_temp_files(&self) -> Result<(), StoreError> {
        let entries = fs::read_dir(&self.dir).map_err(|e| self.io_error("cannot list", &self.dir, e))?;
        for entry in entries {
            let path = entry.map_err(|e| self.io_error("cannot list", &self.dir, e))?.path();
            if !path.file_name().is_some_and(|name| name.as_encoded_bytes().starts_with(TEMP_PREFIX.as_bytes())) {
                continue;
            }
            // One that cannot go must not stop every write after it.
            match fs::remove_file(&path) {
                Ok(()) => tracing::debug!(file = %path.display(), "removed a stale temp file"),
                Err(e) => tracing::warn!("cannot remove stale temp file {}: {e}", path.display()),
            }
        }
        Ok(())
    }

    /// Apply a batch under the write lock in one rewrite of the file: each
    /// precondition is checked as the old records stream past (or against
    /// absence where its key is not found), and the new file replaces the
    /// old one only if every one holds. Nothing is written when one fails or
    /// when the batch changes nothing.
    pub(super) fn rewrite(&self, batch: &Batch<'_>) -> Result<Committed, StoreError> {
        // Without a data file the whole store is absent: a batch refused or
        // with nothing to do there must not create the directory or the lock.
        if matches!(self.dir.join(DATA_FILE).try_exists(), Ok(false)) && !batch.puts_when_all_absent()? {
            return Ok(Committed { revision: Revision(0), deleted: 0 });
        }
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| self.io_error("cannot create store directory", &self.dir, e))?;
        let _lock = self.lock()?;
        self.remove_stale_temp_files()?;
        let old = self.reader(Keep::All)?;
        let current = old.as_ref().map_or(0, |r| r.progress.revision);
        let revision = current + 1;
        let write_err = |e: io::Error| self.io_error("cannot write", &self.dir, e);

        let data = self.dir.join(DATA_FILE);
        let new = files::Replacement::beside(&data, TEMP_PREFIX).map_err(write_err)?;
        let mut out = Output { out: new, count: 0 };
        out.line(&Header { format: FORMAT.into(), version: VERSION, revision }).map_err(write_err)?;

        let (mut puts, mut deleted) = (0u64, 0u64);
        // One key of the new file, in key order: `old` is its record (None:
        // missing) and `w` the batch's write to it, if any.
        let mut step = |out: &mut Output, key: &str, w: Option<&batch::Write>, old: Option<(u64, &[u8])>| {
            let outcome = match w {
                Some(w) => outcome(w, old.map(|(r, _)| Revision(r)))?,
                None if batch.below_a_tree(key) => Outcome::Removed,
                None => Outcome::Unchanged,
            };
            match (outcome, old) {
                (Outcome::Put(value), _) => {
                    puts += 1;
                    out.record(key, revision, value)
                }
                (Outcome::Removed, _) => {
                    deleted += 1;
                    Ok(())
                }
                (Outcome::Unchanged, Some((r, value))) => out.record(key, r, value),
                (Outcome::Unchanged, None) => Ok(()),
            }
            .map_err(write_err)
        };

        let mut writes = batch.sorted.iter().copied().peekable();
        for record in old.into_iter().flatten() {
            let Record { key, revision: r, value } = record?;
            let value = value.expect("Keep::All keeps every value");
            // Writes that sort before this record find their key missing.
            while let Some(w) = writes.next_if(|w| w.key.as_str() < key.as_str()) {
                step(&mut out, w.key.as_str(), Some(w), None)?;
            }
            let w = writes.next_if(|w| w.key.as_str() == key);
            step(&mut out, &key, w, Some((r, &value)))?;
        }
        for w in writes {
            step(&mut out, w.key.as_str(), Some(w), None)?;
        }
        if puts == 0 && deleted == 0 {
            tracing::debug!(revision = current, "the batch changes nothing; the data file stays");
            return Ok(Committed { revision: Revision(current), deleted });
        }
        let end = out.count;
        out.line(&Trailer { end }).map_err(write_err)?;

        out.out.commit().map_err(write_err)?;
        tracing::debug!(file = %data.display(), revision, puts, deleted, "wrote the data file");
        Ok(Committed { revision: Revision(revision), deleted })
    }
}
