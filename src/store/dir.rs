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
//! values in the file. Writers take an exclusive lock
//! on `ovs-config.lock` (bounded by the timeout), stream the old file into a
//! temp file in the same directory while applying the change, fsync it,
//! rename it over the old one and fsync the directory: a crash leaves either
//! the old or the new file, never a mix. Every write rewrites the file, which
//! keeps memory constant but costs O(store size) per write; fine for
//! configuration, not for a high write rate.
//!
//! A missing file is an empty store. A file that does not parse, is out of
//! order, has a record above the header's revision, or lacks its end line or
//! has the wrong count there is reported as corrupt, never read as empty.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::de::{self, DeserializeSeed, Error as _, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::de::IoRead;

use super::{root_is_not_a_key, Capabilities, Entries, Key, Precondition, Revision, Store, StoreError, Versioned};

const DATA_FILE: &str = "ovs-config.jsonl";
const LOCK_FILE: &str = "ovs-config.lock";
/// Names of a writer's temp file, the next data file until its rename.
const TEMP_PREFIX: &str = ".ovs-config.";
const FORMAT: &str = "ovs-config-dir";
const VERSION: u32 = 1;
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

/// One change, applied while the old file streams into the new one.
enum Mutation<'a> {
    Put { key: &'a Key, value: &'a [u8], cond: Precondition },
    Delete { key: &'a Key, cond: Precondition },
    DeleteTree { prefix: &'a Key },
}

impl Mutation<'_> {
    /// What the change comes to where its key (or subtree) is absent: whether
    /// there is anything to write, or why it is refused.
    fn when_absent(&self) -> Result<bool, StoreError> {
        match self {
            Mutation::Put { key, cond, .. } if !cond.holds(None) => {
                Err(StoreError::precondition_failed(key, *cond, None))
            }
            Mutation::Put { .. } => Ok(true),
            Mutation::Delete { key, .. } => Err(StoreError::NotFound { key: (*key).clone() }),
            Mutation::DeleteTree { .. } => Ok(false),
        }
    }
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

    /// Apply `change` under the write lock; returns the new store revision
    /// and how many keys the change touched. Nothing is written when the
    /// change touches nothing or its precondition fails.
    fn rewrite(&self, change: Mutation<'_>) -> Result<(Revision, u64), StoreError> {
        // Without a data file the whole store is absent: a change refused or
        // with nothing to do there must not create the directory or the lock.
        if matches!(self.dir.join(DATA_FILE).try_exists(), Ok(false)) && !change.when_absent()? {
            return Ok((Revision(0), 0));
        }
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| self.io_error("cannot create store directory", &self.dir, e))?;
        let _lock = self.lock()?;
        self.remove_stale_temp_files()?;
        let old = self.reader(Keep::All)?;
        let revision = old.as_ref().map_or(0, |r| r.progress.revision) + 1;
        let write_err = |e: io::Error| self.io_error("cannot write", &self.dir, e);

        let tmp = tempfile::Builder::new().prefix(TEMP_PREFIX).tempfile_in(&self.dir).map_err(write_err)?;
        let mut out = Output { out: BufWriter::new(tmp), count: 0 };
        out.line(&Header { format: FORMAT.into(), version: VERSION, revision }).map_err(write_err)?;

        // A Put's precondition is checked where its key is (or would be) in
        // the sorted stream, and the new record is emitted right there.
        let mut put_pending = matches!(change, Mutation::Put { .. });
        let mut place_put = |out: &mut Output, current: Option<Revision>| -> Result<(), StoreError> {
            if let (true, Mutation::Put { key, value, cond }) = (std::mem::take(&mut put_pending), &change) {
                if !cond.holds(current) {
                    return Err(StoreError::precondition_failed(key, *cond, current));
                }
                out.record(key.as_str(), revision, value).map_err(write_err)?;
            }
            Ok(())
        };

        let mut touched = 0u64;
        for record in old.into_iter().flatten() {
            let Record { key: k, revision: r, value } = record?;
            let current = Some(Revision(r));
            let keep = match &change {
                Mutation::Put { key, .. } => {
                    if k.as_str() >= key.as_str() {
                        place_put(&mut out, current.filter(|_| k == key.as_str()))?;
                    }
                    k != key.as_str()
                }
                Mutation::Delete { key, cond } if k == key.as_str() => {
                    if !cond.holds(current) {
                        return Err(StoreError::precondition_failed(key, *cond, current));
                    }
                    false
                }
                Mutation::Delete { .. } => true,
                Mutation::DeleteTree { prefix } => !prefix.contains(&k),
            };
            if keep {
                out.record(&k, r, &value.expect("Keep::All keeps every value")).map_err(write_err)?;
            } else {
                touched += 1;
            }
        }
        place_put(&mut out, None)?;
        match &change {
            Mutation::Put { .. } => touched += 1,
            // Nothing matched: a delete is refused, a tree delete has nothing to do.
            _ if touched == 0 && !change.when_absent()? => return Ok((Revision(revision - 1), 0)),
            _ => {}
        }
        let end = out.count;
        out.line(&Trailer { end }).map_err(write_err)?;

        let tmp = out.out.into_inner().map_err(|e| write_err(e.into_error()))?;
        tmp.as_file().sync_all().map_err(write_err)?;
        let data = self.dir.join(DATA_FILE);
        tmp.persist(&data).map_err(|e| write_err(e.error))?;
        File::open(&self.dir).and_then(|d| d.sync_all()).map_err(write_err)?;
        tracing::debug!(file = %data.display(), revision, "wrote the data file");
        Ok((Revision(revision), touched))
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
#[derive(Clone, Copy)]
enum Keep<'a> {
    None,
    Key(&'a str),
    All,
}

impl Keep<'_> {
    fn wants(self, key: &str) -> bool {
        match self {
            Keep::None => false,
            Keep::Key(wanted) => wanted == key,
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
        let line = Line { progress: &mut self.progress, keep: self.keep }.deserialize(&mut self.de);
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
    keep: Keep<'a>,
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

impl Store for DirStore {
    fn describe(&self) -> &str {
        &self.describe
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            max_value_hint: Some("ovs's own bound for the directory store; --max-value-size overrides it"),
            ..Capabilities::unlimited(MAX_VALUE_BYTES)
        }
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

    fn put(&self, key: &Key, value: &[u8], cond: Precondition) -> Result<Revision, StoreError> {
        root_is_not_a_key(key)?;
        Ok(self.rewrite(Mutation::Put { key, value, cond })?.0)
    }

    fn delete(&self, key: &Key, cond: Precondition) -> Result<(), StoreError> {
        root_is_not_a_key(key)?;
        self.rewrite(Mutation::Delete { key, cond }).map(|_| ())
    }

    fn delete_tree(&self, prefix: &Key) -> Result<u64, StoreError> {
        Ok(self.rewrite(Mutation::DeleteTree { prefix })?.1)
    }

    fn keys(&self, prefix: &Key) -> Result<Entries<'_>, StoreError> {
        let below = prefix.dir_prefix();
        // Past the prefix's range the reader still goes on, to check the file.
        let records = self.reader(Keep::None)?.into_iter().flatten();
        Ok(Box::new(records.filter_map(move |record| match record {
            Ok(record) => record.key.starts_with(&below).then_some(Ok(record.key)),
            Err(e) => Some(Err(e)),
        })))
    }
}
