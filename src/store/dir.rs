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

use std::collections::HashSet;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::de::{self, DeserializeSeed, Error as _, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::de::IoRead;

use super::batch::{self, Op};
use super::registry::Backend;
use super::watch::{self, Rescan};
use super::{
    root_is_not_a_key, Capabilities, Committed, Entries, Entry, Key, Revision, Scan, Store, StoreError, UrlInfo,
    Versioned, Watcher,
};

const DATA_FILE: &str = "ovs-config.jsonl";
const LOCK_FILE: &str = "ovs-config.lock";
/// Names of a writer's temp file, the next data file until its rename.
const TEMP_PREFIX: &str = ".ovs-config.";
const FORMAT: &str = "ovs-config-dir";
const VERSION: u32 = 1;
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

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: String,
    version: u32,
    revision: u64,
}

/// A record as written; readers rely on this field order (see [`Line`]).
#[derive(Serialize)]
struct RecordOut<'a> {
    k: &'a str,
    r: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    v: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    b: Option<String>,
}

#[derive(Serialize)]
struct Trailer {
    end: u64,
}

/// A commit's writes in key order, as the old file streams past them.
struct Batch<'a> {
    /// Every write, sorted by key (keys are unique: `batch::check`).
    sorted: Vec<&'a batch::Write>,
    /// The delete-trees' keys, to find the records below them. A subtree is
    /// not one run of the sorted file (`/foo-x` sorts between `/foo` and
    /// `/foo/a`), so each record looks its ancestors up here.
    trees: HashSet<&'a str>,
}

impl<'a> Batch<'a> {
    fn new(writes: &'a [batch::Write]) -> Batch<'a> {
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
    pub fn open(dir: &Path, lock_timeout: Duration) -> DirStore {
        DirStore { dir: dir.to_path_buf(), describe: format!("dir://{}", dir.display()), lock_timeout }
    }

    fn io_error(&self, what: &str, path: &Path, e: io::Error) -> StoreError {
        StoreError::Backend { store: self.describe.clone(), message: format!("{what} {}: {e}", path.display()) }
    }

    /// A reader of the current file after its header, or None when there is
    /// no file (an empty store).
    fn reader<'a>(&'a self, keep: Keep<'a>) -> Result<Option<Reader<'a>>, StoreError> {
        let path = self.dir.join(DATA_FILE);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                tracing::debug!(file = %path.display(), "no data file: an empty store");
                return Ok(None);
            }
            Err(e) => return Err(self.io_error("cannot read", &path, e)),
        };
        let mut reader = Reader {
            store: self,
            path,
            // from_reader, not lines: a value is never buffered whole unless kept.
            de: serde_json::Deserializer::from_reader(BufReader::new(file)),
            keep,
            progress: Progress { revision: 0, last: None, seen: 0 },
            done: false,
        };
        let header = Header::deserialize(&mut reader.de).map_err(|e| reader.error(e))?;
        if header.format != FORMAT || header.version != VERSION {
            return Err(reader.corrupt(format_args!("not an {FORMAT} v{VERSION} file")));
        }
        tracing::debug!(file = %reader.path.display(), revision = header.revision, "reading the data file");
        reader.progress.revision = header.revision;
        Ok(Some(reader))
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
    fn rewrite(&self, batch: &Batch<'_>) -> Result<Committed, StoreError> {
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

        let tmp = tempfile::Builder::new().prefix(TEMP_PREFIX).tempfile_in(&self.dir).map_err(write_err)?;
        let mut out = Output { out: BufWriter::new(tmp), count: 0 };
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

        let tmp = out.out.into_inner().map_err(|e| write_err(e.into_error()))?;
        tmp.as_file().sync_all().map_err(write_err)?;
        let data = self.dir.join(DATA_FILE);
        tmp.persist(&data).map_err(|e| write_err(e.error))?;
        File::open(&self.dir).and_then(|d| d.sync_all()).map_err(write_err)?;
        tracing::debug!(file = %data.display(), revision, puts, deleted, "wrote the data file");
        Ok(Committed { revision: Revision(revision), deleted })
    }
}

/// The new data file as it is written; counts records for the end line.
struct Output {
    out: BufWriter<tempfile::NamedTempFile>,
    count: u64,
}

impl Output {
    fn line<T: Serialize>(&mut self, line: &T) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, line)?;
        self.out.write_all(b"\n")
    }

    fn record(&mut self, key: &str, revision: u64, value: &[u8]) -> io::Result<()> {
        self.count += 1;
        let (v, b) = match std::str::from_utf8(value) {
            Ok(text) => (Some(text), None),
            Err(_) => (None, Some(B64.encode(value))),
        };
        self.line(&RecordOut { k: key, r: revision, v, b })
    }
}

/// Which values a [`Reader`] keeps. Every other value is skipped as it
/// streams past, unbuffered, so a read holds only the values it returns.
enum Keep<'a> {
    None,
    Key(&'a str),
    /// The subtree of this prefix: the key itself and every key below it.
    Subtree(Key),
    All,
}

impl Keep<'_> {
    fn wants(&self, key: &str) -> bool {
        match self {
            Keep::None => false,
            Keep::Key(wanted) => *wanted == key,
            Keep::Subtree(prefix) => prefix.contains(key),
            Keep::All => true,
        }
    }
}

/// A record as read; `value` is None when the reader skipped it.
struct Record {
    key: String,
    revision: u64,
    value: Option<Vec<u8>>,
}

/// What the records so far say, to check the next line against.
struct Progress {
    /// The header's store revision: no record can be above it.
    revision: u64,
    last: Option<String>,
    seen: u64,
}

/// Streams the records of one version of the data file to its end line,
/// checking as it goes that they are well-formed, strictly sorted, not
/// above the header's revision, and end with a matching count. Every read
/// goes to the end, since only the end line shows that the file is whole.
struct Reader<'a> {
    store: &'a DirStore,
    path: PathBuf,
    de: serde_json::Deserializer<IoRead<BufReader<File>>>,
    keep: Keep<'a>,
    progress: Progress,
    done: bool,
}

impl Reader<'_> {
    fn corrupt(&self, reason: impl fmt::Display) -> StoreError {
        StoreError::Corrupt { store: self.store.describe.clone(), reason: format!("{}: {reason}", self.path.display()) }
    }

    /// serde_json's errors carry the line and column.
    fn error(&self, e: serde_json::Error) -> StoreError {
        match e.classify() {
            serde_json::error::Category::Io => self.store.io_error("cannot read", &self.path, e.into()),
            serde_json::error::Category::Eof => self.corrupt(format_args!("truncated, no end line: {e}")),
            _ => self.corrupt(e),
        }
    }
}

impl Iterator for Reader<'_> {
    type Item = Result<Record, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let line = Line { progress: &mut self.progress, keep: &self.keep }.deserialize(&mut self.de);
        let end = match line {
            Ok(Some(record)) => return Some(Ok(record)),
            Ok(None) => match self.de.end() {
                Err(e) if e.is_syntax() => Err(self.corrupt(format_args!("data after the end line: {e}"))),
                end => end.map_err(|e| self.error(e)),
            },
            Err(e) => Err(self.error(e)),
        };
        self.done = true;
        end.err().map(Err)
    }
}

#[derive(Deserialize, PartialEq)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Field {
    K,
    R,
    V,
    B,
    End,
}

/// Reads one line after the header: a record, or the end line (None). Fields must come in the order they are written, so that a
/// value is kept or skipped knowing its key.
struct Line<'a> {
    progress: &'a mut Progress,
    keep: &'a Keep<'a>,
}

const LINE_SHAPE: &str = r#"{"k":KEY,"r":REVISION,"v":TEXT or "b":BASE64} in that order, or {"end":COUNT}"#;

impl<'de> DeserializeSeed<'de> for Line<'_> {
    type Value = Option<Record>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Line<'_> {
    type Value = Option<Record>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(LINE_SHAPE)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let shape = || A::Error::custom(format_args!("expected {LINE_SHAPE}"));
        let progress = self.progress;
        let field = map.next_key()?;
        if field == Some(Field::End) {
            let end: u64 = map.next_value()?;
            if map.next_key::<Field>()?.is_some() {
                return Err(shape());
            }
            if end != progress.seen {
                return Err(A::Error::custom(format_args!("end line counts {end} keys, file has {}", progress.seen)));
            }
            return Ok(None);
        }
        if field != Some(Field::K) {
            return Err(shape());
        }
        let key: String = map.next_value()?;
        if progress.last.as_ref().is_some_and(|last| *last >= key) {
            return Err(A::Error::custom(format_args!("key {key:?} is out of order")));
        }
        if map.next_key()? != Some(Field::R) {
            return Err(shape());
        }
        let revision: u64 = map.next_value()?;
        if revision > progress.revision {
            return Err(A::Error::custom(format_args!(
                "key {key:?} has revision {revision}, above the header's store revision {}",
                progress.revision
            )));
        }
        let keep = self.keep.wants(&key);
        let value = match map.next_key()? {
            Some(Field::V) if keep => Some(map.next_value::<String>()?.into_bytes()),
            Some(Field::B) if keep => Some(
                B64.decode(map.next_value::<String>()?)
                    .map_err(|e| A::Error::custom(format_args!("key {key:?}: bad base64: {e}")))?,
            ),
            Some(Field::V | Field::B) => {
                map.next_value::<IgnoredAny>()?;
                None
            }
            _ => return Err(shape()),
        };
        if map.next_key::<Field>()?.is_some() {
            return Err(shape());
        }
        progress.last = Some(key.clone());
        progress.seen += 1;
        Ok(Some(Record { key, revision, value }))
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
    logs_in: super::registry::Login::No,
    check: |_, rest| {
        if !rest.starts_with('/') {
            return Err("a dir store needs an absolute path: dir:///path".into());
        }
        Ok(UrlInfo { user: None, display: format!("dir://{rest}") })
    },
    open: |url, options| Ok(Box::new(DirStore::open(Path::new(url.rest()), options.timeout))),
};

impl Store for DirStore {
    fn describe(&self) -> &str {
        &self.describe
    }

    fn capabilities(&self) -> Capabilities {
        BACKEND.capabilities
    }

    fn get(&self, key: &Key) -> Result<Versioned, StoreError> {
        root_is_not_a_key(key)?;
        let mut found = None;
        // Only the wanted key's record comes with its value.
        for record in self.reader(Keep::Key(key.as_str()))?.into_iter().flatten() {
            let record = record?;
            if let Some(value) = record.value {
                found = Some(Versioned { value, revision: Revision(record.revision) });
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
