//! The data file's format: the header, one record per key and the end line,
//! written by [`Output`] and read back, checked line by line, by [`Reader`].

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::PathBuf;

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::de::{self, DeserializeSeed, Error as _, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::de::IoRead;

use super::{DirStore, DATA_FILE};
use crate::store::{Key, StoreError};

pub(super) const FORMAT: &str = "ovs-config-dir";
pub(super) const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Header {
    pub(super) format: String,
    pub(super) version: u32,
    pub(super) revision: u64,
}

/// A record as written; readers rely on this field order (see [`Line`]).
#[derive(Serialize)]
pub(super) struct RecordOut<'a> {
    k: &'a str,
    r: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    v: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    b: Option<String>,
}

#[derive(Serialize)]
pub(super) struct Trailer {
    pub(super) end: u64,
}

impl DirStore {
    /// A reader of the current file after its header, or None when there is
    /// no file (an empty store).
    pub(super) fn reader<'a>(&'a self, keep: Keep<'a>) -> Result<Option<Reader<'a>>, StoreError> {
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
}

/// The new data file as it is written; counts records for the end line.
pub(super) struct Output {
    pub(super) out: crate::files::Replacement,
    pub(super) count: u64,
}

impl Output {
    pub(super) fn line<T: Serialize>(&mut self, line: &T) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, line)?;
        self.out.write_all(b"\n")
    }

    pub(super) fn record(&mut self, key: &str, revision: u64, value: &[u8]) -> io::Result<()> {
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
pub(super) enum Keep<'a> {
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
pub(super) struct Record {
    pub(super) key: String,
    pub(super) revision: u64,
    pub(super) value: Option<Vec<u8>>,
}

/// What the records so far say, to check the next line against.
pub(super) struct Progress {
    /// The header's store revision: no record can be above it.
    pub(super) revision: u64,
    last: Option<String>,
    seen: u64,
}

/// Streams the records of one version of the data file to its end line,
/// checking as it goes that they are well-formed, strictly sorted, not
/// above the header's revision, and end with a matching count. Every read
/// goes to the end, since only the end line shows that the file is whole.
pub(super) struct Reader<'a> {
    store: &'a DirStore,
    path: PathBuf,
    de: serde_json::Deserializer<IoRead<BufReader<File>>>,
    keep: Keep<'a>,
    pub(super) progress: Progress,
    done: bool,
}

impl Reader<'_> {
    fn corrupt(&self, reason: impl fmt::Display) -> StoreError {
        StoreError::Corrupt {
            store: self.store.describe.clone(),
            reason: format!("{}: {reason}", self.path.display()),
            source: None,
        }
    }

    /// What the reader met (`e`) where it found the file corrupt (`what`:
    /// "" for nowhere in particular).
    fn corrupt_by(&self, what: &str, e: serde_json::Error) -> StoreError {
        let reason = match what {
            "" => self.path.display().to_string(),
            what => format!("{}: {what}", self.path.display()),
        };
        StoreError::Corrupt { store: self.store.describe.clone(), reason, source: Some(e.into()) }
    }

    /// serde_json's errors carry the line and column.
    fn error(&self, e: serde_json::Error) -> StoreError {
        match e.classify() {
            serde_json::error::Category::Io => self.store.io_error("cannot read", &self.path, e.into()),
            serde_json::error::Category::Eof => self.corrupt_by("truncated, no end line", e),
            _ => self.corrupt_by("", e),
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
                Err(e) if e.is_syntax() => Err(self.corrupt_by("data after the end line", e)),
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
