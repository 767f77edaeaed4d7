//! The embedded directory store, the default: the whole store is one flat
//! file, `ovs-config.jsonl`, in the store directory, as Flocker's control
//! service keeps its state in one file.
//!
//! Layout: a header line `{"format":"ovs-config-dir","version":1,"revision":N}`,
//! then one JSON record per key, sorted by the key's bytes
//! (`{"k":"/a/b","r":7,"v":"text"}`, or `"b"` with base64 for a value that is
//! not UTF-8), then `{"end":COUNT}`. The header's revision is a store-wide
//! counter; each record keeps the counter value of its last write, so a key
//! deleted and created again never gets an old revision back.
//!
//! Reads stream the file without a lock: writers replace it by rename, so an
//! open file is always one complete version. Writers take an exclusive lock
//! on `ovs-config.lock` (bounded by the timeout), stream the old file into a
//! temp file in the same directory while applying the change, fsync it,
//! rename it over the old one and fsync the directory: a crash leaves either
//! the old or the new file, never a mix. Every write rewrites the file, which
//! keeps memory constant but costs O(store size) per write; fine for
//! configuration, not for a high write rate.
//!
//! A missing file is an empty store. A file that does not parse, is out of
//! order, or lacks its end line is reported as corrupt, never read as empty.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Lines, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::{Deserialize, Serialize};

use super::{root_is_not_a_key, Capabilities, Entries, Key, Precondition, Revision, Store, StoreError, Versioned};

const DATA_FILE: &str = "ovs-config.jsonl";
const LOCK_FILE: &str = "ovs-config.lock";
const FORMAT: &str = "ovs-config-dir";
const VERSION: u32 = 1;
/// Every write rewrites the file and a read holds one value at a time, so a
/// bound on values bounds both time and memory.
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

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    k: String,
    r: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    v: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    b: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Trailer {
    end: u64,
}

impl Record {
    fn new(key: &Key, value: &[u8], revision: u64) -> Record {
        let (v, b) = match std::str::from_utf8(value) {
            Ok(text) => (Some(text.to_string()), None),
            Err(_) => (None, Some(B64.encode(value))),
        };
        Record { k: key.as_str().to_string(), r: revision, v, b }
    }
}

/// One change, applied while the old file streams into the new one.
enum Mutation<'a> {
    Put { key: &'a Key, value: &'a [u8], cond: Precondition },
    Delete { key: &'a Key, cond: Precondition },
    DeleteTree { prefix: &'a Key },
}

impl DirStore {
    pub fn open(dir: &Path, lock_timeout: Duration) -> DirStore {
        DirStore { dir: dir.to_path_buf(), describe: format!("dir://{}", dir.display()), lock_timeout }
    }

    fn io_error(&self, what: &str, path: &Path, e: io::Error) -> StoreError {
        StoreError::Backend { store: self.describe.clone(), message: format!("{what} {}: {e}", path.display()) }
    }

    fn corrupt(&self, reason: String) -> StoreError {
        StoreError::Corrupt { store: self.describe.clone(), reason }
    }

    fn reader(&self) -> Result<Option<Reader<'_>>, StoreError> {
        let path = self.dir.join(DATA_FILE);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io_error("cannot read", &path, e)),
        };
        let mut reader = Reader {
            store: self,
            path,
            lines: BufReader::new(file).lines(),
            line_no: 0,
            seen: 0,
            last: None,
            revision: 0,
        };
        let header: Header = match reader.line()? {
            Some(line) => serde_json::from_str(&line).map_err(|e| reader.bad(format!("bad header: {e}")))?,
            None => return Err(reader.bad("empty file, no header".into())),
        };
        if header.format != FORMAT || header.version != VERSION {
            return Err(reader.bad(format!("not an {FORMAT} v{VERSION} file")));
        }
        reader.revision = header.revision;
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
        let deadline = Instant::now() + self.lock_timeout;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
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

    /// Apply `change` under the write lock; returns the new store revision
    /// and how many keys the change touched. Nothing is written when the
    /// change touches nothing or its precondition fails.
    fn rewrite(&self, change: Mutation<'_>) -> Result<(Revision, u64), StoreError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| self.io_error("cannot create store directory", &self.dir, e))?;
        let _lock = self.lock()?;
        let mut old = self.reader()?;
        let revision = old.as_ref().map_or(0, |r| r.revision) + 1;
        let write_err = |e: io::Error| self.io_error("cannot write", &self.dir, e);

        let tmp = tempfile::Builder::new().prefix(".ovs-config.").tempfile_in(&self.dir).map_err(write_err)?;
        let mut out = Output { out: BufWriter::new(tmp), count: 0 };
        out.line(&to_json(&Header { format: FORMAT.into(), version: VERSION, revision }), false).map_err(write_err)?;

        let mut pending_put = match &change {
            Mutation::Put { key, value, .. } => Some(Record::new(key, value, revision)),
            _ => None,
        };
        // A Put's precondition is checked where its key is (or would be) in
        // the sorted stream, and the new record is emitted right there.
        let mut place_put = |out: &mut Output, current: Option<Revision>| -> Result<(), StoreError> {
            if let (Some(record), Mutation::Put { key, cond, .. }) = (pending_put.take(), &change) {
                if !cond.holds(current) {
                    return Err(StoreError::precondition_failed(key, *cond, current));
                }
                out.line(&to_json(&record), true).map_err(write_err)?;
            }
            Ok(())
        };

        let mut touched = 0u64;
        if let Some(reader) = old.as_mut() {
            while let Some((record, line)) = reader.next_record()? {
                let current = Some(Revision(record.r));
                let keep = match &change {
                    Mutation::Put { key, .. } => {
                        if record.k.as_str() >= key.as_str() {
                            place_put(&mut out, current.filter(|_| record.k == key.as_str()))?;
                        }
                        record.k != key.as_str()
                    }
                    Mutation::Delete { key, cond } if record.k == key.as_str() => {
                        if !cond.holds(current) {
                            return Err(StoreError::precondition_failed(key, *cond, current));
                        }
                        false
                    }
                    Mutation::Delete { .. } => true,
                    Mutation::DeleteTree { prefix } => !prefix.contains(&record.k),
                };
                if keep {
                    out.line(&line, true).map_err(write_err)?;
                } else {
                    touched += 1;
                }
            }
        }
        place_put(&mut out, None)?;
        match &change {
            Mutation::Put { .. } => touched += 1,
            Mutation::Delete { key, .. } if touched == 0 => return Err(StoreError::NotFound { key: (*key).clone() }),
            _ if touched == 0 => return Ok((Revision(revision - 1), 0)),
            _ => {}
        }
        let count = out.count;
        out.line(&to_json(&Trailer { end: count }), false).map_err(write_err)?;

        let tmp = out.out.into_inner().map_err(|e| write_err(e.into_error()))?;
        tmp.as_file().sync_all().map_err(write_err)?;
        tmp.persist(self.dir.join(DATA_FILE)).map_err(|e| write_err(e.error))?;
        File::open(&self.dir).and_then(|d| d.sync_all()).map_err(write_err)?;
        Ok((Revision(revision), touched))
    }
}

/// The new data file as it is written; counts records for the end line.
struct Output {
    out: BufWriter<tempfile::NamedTempFile>,
    count: u64,
}

impl Output {
    fn line(&mut self, line: &str, is_record: bool) -> io::Result<()> {
        self.count += u64::from(is_record);
        writeln!(self.out, "{line}")
    }
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain structs always serialise")
}

/// Streams records from one version of the data file, checking as it goes
/// that they are well-formed, strictly sorted, and end with a matching count.
struct Reader<'s> {
    store: &'s DirStore,
    path: PathBuf,
    lines: Lines<BufReader<File>>,
    line_no: usize,
    seen: u64,
    last: Option<String>,
    revision: u64,
}

impl Reader<'_> {
    fn bad(&self, reason: String) -> StoreError {
        self.store.corrupt(format!("{} line {}: {reason}", self.path.display(), self.line_no))
    }

    fn line(&mut self) -> Result<Option<String>, StoreError> {
        self.line_no += 1;
        match self.lines.next() {
            None => Ok(None),
            Some(Ok(line)) => Ok(Some(line)),
            Some(Err(e)) => Err(self.bad(format!("cannot read: {e}"))),
        }
    }

    /// The next record and its raw line, or None after a valid end line.
    fn next_record(&mut self) -> Result<Option<(Record, String)>, StoreError> {
        let Some(line) = self.line()? else {
            return Err(self.bad("truncated: no end line".into()));
        };
        if line.starts_with("{\"end\"") {
            let trailer: Trailer = serde_json::from_str(&line).map_err(|e| self.bad(format!("bad end line: {e}")))?;
            if trailer.end != self.seen {
                return Err(self.bad(format!("end line counts {} keys, file has {}", trailer.end, self.seen)));
            }
            if self.line()?.is_some() {
                return Err(self.bad("data after the end line".into()));
            }
            return Ok(None);
        }
        let record: Record = serde_json::from_str(&line).map_err(|e| self.bad(format!("bad record: {e}")))?;
        if record.v.is_some() == record.b.is_some() {
            return Err(self.bad("a record needs exactly one of \"v\" and \"b\"".into()));
        }
        if self.last.as_deref().is_some_and(|last| last >= record.k.as_str()) {
            return Err(self.bad(format!("key {:?} is out of order", record.k)));
        }
        self.last = Some(record.k.clone());
        self.seen += 1;
        Ok(Some((record, line)))
    }

    fn value(&self, record: Record) -> Result<Versioned, StoreError> {
        let value = match (record.v, record.b) {
            (Some(text), _) => text.into_bytes(),
            (None, Some(b64)) => B64.decode(b64).map_err(|e| self.bad(format!("bad base64: {e}")))?,
            (None, None) => unreachable!("checked in next_record"),
        };
        Ok(Versioned { value, revision: Revision(record.r) })
    }
}

impl Store for DirStore {
    fn describe(&self) -> &str {
        &self.describe
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            max_value_bytes: MAX_VALUE_BYTES,
            max_value_hint: Some("ovs's own bound for the directory store; --max-value-size overrides it"),
        }
    }

    fn get(&self, key: &Key) -> Result<Versioned, StoreError> {
        root_is_not_a_key(key)?;
        let not_found = || StoreError::NotFound { key: key.clone() };
        let mut reader = self.reader()?.ok_or_else(not_found)?;
        while let Some((record, _)) = reader.next_record()? {
            if record.k == key.as_str() {
                return reader.value(record);
            }
            if record.k.as_str() > key.as_str() {
                break;
            }
        }
        Err(not_found())
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
        let Some(mut reader) = self.reader()? else {
            return Ok(Box::new(std::iter::empty()));
        };
        let below = prefix.dir_prefix();
        let mut done = false;
        Ok(Box::new(std::iter::from_fn(move || {
            while !done {
                match reader.next_record() {
                    Ok(Some((record, _))) if record.k.starts_with(&below) => return Some(Ok(record.k)),
                    // Sorted: once past the prefix's range, nothing below it follows.
                    Ok(Some((record, _))) if record.k.as_str() > below.as_str() => done = true,
                    Ok(Some(_)) => {}
                    Ok(None) => done = true,
                    Err(e) => {
                        done = true;
                        return Some(Err(e));
                    }
                }
            }
            None
        })))
    }
}
