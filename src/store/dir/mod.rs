//! The embedded directory store, the default: the whole store is one flat
//! file, `ovs-config.jsonl`, in the store directory, as Flocker's control
//! service keeps its state in one file.
//!
//! Layout: a header line `{"format":"ovs-config-dir","version":1,"revision":N}`,
//! then one JSON record per key, sorted by the key's bytes
//! (`{"k":"/a/b","r":7,"v":"text"}`, or `"b"` with base64 for a value that is
//! not UTF-8; fields in that order), then `{"end":COUNT}`. The header's
//! revision is a store-wide counter; each record keeps the counter value of
//! its last write, so a key deleted and created again never gets an old
//! revision back.
//!
//! Reads stream the file without a lock: writers replace it by rename, so an
//! open file is always one complete version. Every read goes on to the end
//! line, skipping the values it does not return without buffering them, so
//! a damaged file is never read as fine and memory does not grow with the
//! values in the file. A commit takes an exclusive lock on
//! `ovs-config.lock` (bounded by the timeout), streams the old file into a
//! temp file in the same directory while applying its writes, fsyncs it,
//! renames it over the old one and fsyncs the directory: a crash leaves
//! either the old or the new file, never a mix. Every commit rewrites the
//! file once, whatever its size, which keeps memory constant but costs
//! O(store size) per commit; fine for configuration (one commit of many keys
//! costs one rewrite), not for a high rate of small commits.
//!
//! A batch is sorted by key and merged with the old records as they stream
//! past: each write's precondition is checked against its key's record, or
//! against absence where the stream passes the key's place without it
//! (first the precondition, then whether a delete finds its key: a guarded
//! delete of a missing key is a conflict, an unguarded one not found); a
//! put's record is written there at the one new store revision every put of
//! the commit gets; a deleted record is left out, and so is every record
//! below a delete-tree (found by its ancestors, since a subtree is not one
//! run of the file: `/a-x` sorts between `/a` and `/a/1`). The first write
//! that fails, in key order, ends the commit and the temp file is dropped:
//! nothing changes. A commit that changes nothing (only checks, delete-trees
//! of nothing) leaves the file alone. There are no batch limits beyond the
//! value size: the caller holds the batch, the rewrite one old value at a
//! time. A scan reads one open file, so it is a snapshot, and holds one
//! value at a time; like every read it goes on to the end line, so damage
//! anywhere in the file ends it with an error after the entries before it.
//! What this cannot guarantee: durability on a file system that does not
//! honour fsync and rename, or a writer's progress while another holds the
//! lock past the timeout.
//!
//! Watching polls the data file every 25 ms (`POLL`): its inode and the
//! header's store revision, one small read. Every commit renames a new file
//! in at a new revision, so any write, by any process, changes them; the
//! watcher then scans the prefix and reports what differs (`Rescan`).
//! Polling rather than file notification works the same on every file
//! system, network ones included, and costs one open a poll.
//!
//! A missing file is an empty store. A file that does not parse, is out of
//! order, has a record above the header's revision, or lacks its end line or
//! has the wrong count there is reported as corrupt, never read as empty.

mod commit;
mod format;

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use commit::Batch;
use format::{Keep, Record};

use super::backend::{Backend, Checked, Config, Login};
use super::batch;
use super::watch::{self, Rescan};
use super::{
    root_is_not_a_key, Capabilities, Committed, Entries, Entry, Key, Options, Revision, Scan, Store, StoreError,
    UrlInfo, Version, Watcher,
};

const DATA_FILE: &str = "ovs-config.jsonl";
/// How often a watcher looks at the data file: well under the latency an
/// operator notices, for one open and a read of its first line.
const POLL: Duration = Duration::from_millis(25);
/// Every write rewrites the file and holds one value at a time, so a bound
/// on values bounds both time and memory.
pub const MAX_VALUE_BYTES: u64 = 16 << 20;

pub struct DirStore {
    dir: PathBuf,
    describe: String,
    lock_timeout: Duration,
}

impl DirStore {
    pub fn open(dir: &Path, lock_timeout: Duration) -> DirStore {
        DirStore { dir: dir.to_path_buf(), describe: format!("dir://{}", dir.display()), lock_timeout }
    }

    fn io_error(&self, what: &str, path: &Path, e: io::Error) -> StoreError {
        StoreError::failed(&self.describe, format!("{what} {}", path.display()), e)
    }

    /// The data file's inode and header revision (None: no file), which
    /// every commit changes.
    fn version(&self) -> Result<Option<(u64, u64)>, StoreError> {
        let path = self.dir.join(DATA_FILE);
        let inode = match fs::metadata(&path) {
            Ok(meta) => meta.ino(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io_error("cannot read", &path, e)),
        };
        // A rename between the two reads only makes this poll differ from the next.
        Ok(self.reader(Keep::None)?.map(|r| (inode, r.progress.revision)))
    }
}

/// The directory store in the registry.
pub const BACKEND: Backend = Backend {
    schemes: &["dir"],
    form: "dir:///absolute/path",
    about: "embedded directory store (the default): one flat file, atomic rewrites, file lock",
    capabilities: Capabilities {
        max_value_hint: Some("ovs's own bound for the directory store; --max-value-size overrides it"),
        watch: true,
        ..Capabilities::unlimited(MAX_VALUE_BYTES)
    },
    logs_in: Login::No,
    check: |_, rest| {
        if !rest.starts_with('/') {
            return Err("a dir store needs an absolute path: dir:///path".into());
        }
        let info = UrlInfo { user: None, display: format!("dir://{rest}") };
        Ok(Checked::new(info, DirConfig { dir: PathBuf::from(rest) }))
    },
};

/// A directory store's URL: its folder.
#[derive(Debug)]
struct DirConfig {
    dir: PathBuf,
}

impl Config for DirConfig {
    fn open(&self, options: &Options) -> Result<Box<dyn Store>, StoreError> {
        Ok(Box::new(DirStore::open(&self.dir, options.timeout)))
    }
}

impl Store for DirStore {
    fn describe(&self) -> &str {
        &self.describe
    }

    fn capabilities(&self) -> Capabilities {
        BACKEND.capabilities
    }

    fn get(&self, key: &Key) -> Result<Version, StoreError> {
        root_is_not_a_key(key)?;
        let mut found = None;
        // Only the wanted key's record comes with its value.
        for record in self.reader(Keep::Key(key.as_str()))?.into_iter().flatten() {
            let record = record?;
            if let Some(value) = record.value {
                found = Some(Version { value, revision: Revision(record.revision) });
            }
        }
        found.ok_or_else(|| StoreError::NotFound { key: key.clone() })
    }

    fn commit(&self, writes: &[batch::Write]) -> Result<Committed, StoreError> {
        batch::check(&self.describe, &self.capabilities(), writes)?;
        self.rewrite(&Batch::new(writes))
    }

    fn keys(&self, prefix: &Key) -> Result<Entries<'_>, StoreError> {
        let prefix = prefix.clone();
        // Past the prefix's range the reader still goes on, to check the file.
        let records = self.reader(Keep::None)?.into_iter().flatten();
        Ok(Box::new(records.filter_map(move |record| match record {
            Ok(record) => prefix.contains(&record.key).then_some(Ok(record.key)),
            Err(e) => Some(Err(e)),
        })))
    }

    fn scan(&self, prefix: &Key) -> Result<Scan<'_>, StoreError> {
        // One open file is one version of the store, whatever writers rename
        // over it meanwhile: the scan is a snapshot.
        let records = self.reader(Keep::Subtree(prefix.clone()))?.into_iter().flatten();
        Ok(Box::new(records.filter_map(|record| match record {
            Ok(Record { key, revision, value: Some(value) }) => {
                Some(Ok(Entry { key, value, revision: Revision(revision) }))
            }
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })))
    }

    fn watch(&self, prefix: &Key, after: Option<Revision>) -> Result<Box<dyn Watcher + '_>, StoreError> {
        watch::refuse_position(self, after)?;
        let signal = watch::polled(POLL, || self.version())?;
        Rescan::scanning(self, prefix, signal)
    }
}
