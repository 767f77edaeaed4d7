//! The store-neutral document: what `export` writes and `import`, `diff`,
//! `apply` and `edit -r` read. Lossless for any value: text is text, and a
//! value that is not UTF-8 is `{base64: ...}`.
//!
//! ```yaml
//! ovs-config: 1
//! prefix: /ovs/framework
//! keys:
//!   hosts/h1/ip: 10.0.0.1
//!   memcache: 127.0.0.1:11211
//!   blob: {base64: /wD+}
//! ```
//!
//! Keys are relative to `prefix`, so a document can be placed under another
//! prefix: `b/c` for the key `prefix/b/c`, and `""` for the prefix's own key
//! (a document holds the prefix's subtree; the root `/` is no key). JSON (`-o json`) has the
//! same shape. `consul kv export`'s format (`[{"key","flags","value"}]`,
//! values in base64, keys without the leading `/`) is read and written too.
//!
//! Writing streams: memory does not grow with the number of keys. Reading
//! checks the whole document before anything is written: a key twice, a key
//! ovs refuses, or base64 that does not decode is an error naming the key
//! and where it is.
//!
//! A document `export` wrote shows that it is whole, so that a failed export
//! or a truncated backup is never read as a smaller configuration: the YAML
//! form begins with the fixed line [`SEAL`] and ends with `# end: N keys`;
//! input that begins with that line (or is any part of it, the empty input
//! included) must end with that trailer, naming as many keys as it holds.
//! JSON (ours and Consul's) is whole by construction: it cannot end early
//! and still parse, and an early end is reported as the document cut short.
//! Hand-written documents, which do not begin with the seal, read as before.

use std::collections::HashSet;
use std::fmt;
use std::io;

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::store::{Entry, Key, StoreError};

/// This format's version, written as `ovs-config: 1`.
const VERSION: u32 = 1;

/// The first line of every YAML document `export` writes; it promises the
/// trailer line [`trailer`] at the end.
pub const SEAL: &str = "# ovs-config export: complete only if its last line is \"# end: N keys\"";

/// The last line of a YAML export of `count` keys.
fn trailer(count: u64) -> String {
    format!("# end: {count} {}", if count == 1 { "key" } else { "keys" })
}

/// The one message for input that ends before its end.
const CUT_SHORT: &str = "the document is cut short";

/// Whether `text` is an export (it begins with the seal, or is a part of
/// it), and if so the number of keys its trailer names; an export without
/// a whole trailer is cut short.
fn sealed(text: &str) -> Result<Option<u64>, String> {
    let first = text.split_inclusive('\n').next().unwrap_or("");
    let line = first.trim_end_matches('\n').trim_end_matches('\r');
    if !first.ends_with('\n') && SEAL.starts_with(line) {
        return Err(format!("{CUT_SHORT}: it ends inside its first line (an export begins with {SEAL:?})"));
    }
    if line != SEAL {
        return Ok(None);
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    let body = body.strip_suffix('\r').unwrap_or(body);
    let last = body.rsplit('\n').next().unwrap_or("");
    let count = last.strip_prefix("# end: ").and_then(|rest| rest.split(' ').next()).and_then(|n| n.parse().ok());
    match count {
        Some(count) if last == trailer(count) && body.len() > first.len() => Ok(Some(count)),
        _ => Err(format!(
            "{CUT_SHORT}: it begins as an export does but does not end with its \"# end: N keys\" line \
             (a failed export or a truncated file; to read a document edited by hand, delete its first line)"
        )),
    }
}

/// A serde_json error, saying so when the input ended early.
fn json_error(e: serde_json::Error) -> String {
    if e.is_eof() {
        format!("{CUT_SHORT} ({e})")
    } else {
        e.to_string()
    }
}

/// A document in memory: absolute keys, sorted, each once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub prefix: Key,
    pub entries: Vec<(Key, Vec<u8>)>,
}

/// Whose document it is: ovs's own, or another tool's (`--format`). How
/// it is written out, YAML or JSON, is the printer's `-o`
/// ([`crate::output::Format`]); the two together make a [`Style`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    /// ovs-config's own (YAML, or JSON with -o json)
    Ovs,
    /// `consul kv export`'s JSON array
    Consul,
}

/// A document that cannot be read: nothing is written (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct DocumentError {
    pub source_name: String,
    pub message: String,
}

/// A value as a document holds it.
#[derive(Serialize)]
#[serde(untagged)]
enum ValueView<'a> {
    Text(&'a str),
    Binary { base64: String },
}

impl<'a> ValueView<'a> {
    fn of(value: &'a [u8]) -> ValueView<'a> {
        match std::str::from_utf8(value) {
            Ok(text) => ValueView::Text(text),
            Err(_) => ValueView::Binary { base64: B64.encode(value) },
        }
    }
}

/// The path of `key` within `prefix`'s subtree, as the document writes it
/// (`""` for the prefix itself).
fn relative<'k>(prefix: &Key, key: &'k str) -> &'k str {
    prefix.within(key).unwrap_or(key)
}

/// Streams a document to `out` as its entries come.
pub struct Writer<W: io::Write> {
    out: W,
    prefix: Key,
    style: Style,
    count: u64,
    /// The YAML form carries the seal and the trailer (exports), or not
    /// (a document for an editor, which its user may add keys to).
    sealed: bool,
}

/// How a [`Writer`] writes: a dialect in one syntax (Consul's is JSON).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Yaml,
    Json,
    Consul,
}

impl Style {
    /// The dialect, in JSON when `json` (else YAML) where it has a choice.
    pub fn of(dialect: Dialect, json: bool) -> Style {
        match (dialect, json) {
            (Dialect::Consul, _) => Style::Consul,
            (Dialect::Ovs, true) => Style::Json,
            (Dialect::Ovs, false) => Style::Yaml,
        }
    }
}

impl<W: io::Write> Writer<W> {
    /// An export: in YAML, sealed (see the module's notes).
    pub fn start(out: W, prefix: &Key, style: Style) -> io::Result<Writer<W>> {
        Writer::begin(out, prefix, style, true)
    }

    fn begin(mut out: W, prefix: &Key, style: Style, sealed: bool) -> io::Result<Writer<W>> {
        if sealed && style == Style::Yaml {
            writeln!(out, "{SEAL}")?;
        }
        match style {
            Style::Yaml => write!(out, "ovs-config: {VERSION}\nprefix: {}\nkeys:", yaml_scalar(prefix.as_str()))?,
            Style::Json => write!(out, "{{\"ovs-config\":{VERSION},\"prefix\":{},\"keys\":{{", json(prefix.as_str()))?,
            Style::Consul => write!(out, "[")?,
        }
        Ok(Writer { out, prefix: prefix.clone(), style, count: 0, sealed })
    }

    pub fn entry(&mut self, key: &str, value: &[u8]) -> io::Result<()> {
        let first = self.count == 0;
        self.count += 1;
        match self.style {
            Style::Yaml => {
                let rel = relative(&self.prefix, key);
                match (plain_key(rel), std::str::from_utf8(value).ok().filter(|v| quotable(v))) {
                    // The common case, written directly: a JSON string is a
                    // YAML double-quoted scalar, and serde_json is fast.
                    (true, Some(text)) => write!(self.out, "\n  {rel}: {}", json(text))?,
                    _ => {
                        let one = std::collections::BTreeMap::from([(rel, ValueView::of(value))]);
                        let text = serde_yaml::to_string(&one).map_err(io::Error::other)?;
                        for line in text.lines() {
                            write!(self.out, "\n  {line}")?;
                        }
                    }
                }
            }
            Style::Json => {
                let comma = if first { "" } else { "," };
                let value = serde_json::to_string(&ValueView::of(value)).map_err(io::Error::other)?;
                write!(self.out, "{comma}{}:{value}", json(relative(&self.prefix, key)))?;
            }
            Style::Consul => {
                let comma = if first { "" } else { "," };
                let item = ConsulItem {
                    key: key.trim_start_matches('/').to_string(),
                    flags: 0,
                    value: Some(B64.encode(value)),
                };
                write!(self.out, "{comma}{}", serde_json::to_string(&item).map_err(io::Error::other)?)?;
            }
        }
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<W> {
        match self.style {
            Style::Yaml if self.count == 0 => writeln!(self.out, " {{}}")?,
            Style::Yaml => writeln!(self.out)?,
            Style::Json => writeln!(self.out, "}}}}")?,
            Style::Consul => writeln!(self.out, "]")?,
        }
        if self.sealed && self.style == Style::Yaml {
            writeln!(self.out, "{}", trailer(self.count))?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A key YAML reads back as the same string when written bare.
fn plain_key(rel: &str) -> bool {
    rel.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && rel.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-'))
}

/// A value that JSON's quoting writes as a valid YAML double-quoted scalar
/// of one line: no line breaks (YAML 1.1 also breaks at U+0085, U+2028 and
/// U+2029) and nothing YAML does not allow raw in a stream (controls, BOM).
fn quotable(text: &str) -> bool {
    !text.chars().any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}'))
}

fn json(text: &str) -> String {
    serde_json::to_string(text).expect("a string always serialises")
}

fn yaml_scalar(text: &str) -> String {
    serde_yaml::to_string(text).expect("a string always serialises").trim_end().to_string()
}

/// Write every entry of `entries` as one document. Nothing is written
/// until the first read has answered, so a store that cannot be read
/// leaves `out` empty (which no reader takes for a document).
pub fn export<W: io::Write>(
    out: W,
    prefix: &Key,
    style: Style,
    mut entries: impl Iterator<Item = Result<Entry, StoreError>>,
) -> anyhow::Result<W> {
    let first = entries.next().transpose()?;
    let mut writer = Writer::start(out, prefix, style)?;
    for entry in first.map(Ok).into_iter().chain(entries) {
        let entry = entry?;
        writer.entry(&entry.key, &entry.value)?;
    }
    Ok(writer.finish()?)
}

#[derive(Serialize, Deserialize)]
struct ConsulItem {
    key: String,
    #[serde(default)]
    flags: u64,
    /// Consul writes `null` for an empty value.
    value: Option<String>,
}

/// The `keys:` mapping in document order, duplicates kept (serde_yaml would
/// keep only the last), so that they can be refused.
struct Keys(Vec<(String, Vec<u8>)>);

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Keys, D::Error> {
        struct KeysVisitor;
        impl<'de> Visitor<'de> for KeysVisitor {
            type Value = Keys;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of key to value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut out = Vec::new();
                while let Some(rel) = map.next_key::<String>()? {
                    let value = map.next_value::<DocValue>()?;
                    out.push((rel, value.0));
                }
                Ok(Keys(out))
            }
        }
        d.deserialize_map(KeysVisitor)
    }
}

/// The line (from 1) where `rel` stands as a mapping key for the `nth` time
/// (from 0): serde_yaml says where a bad value is, but not where a bad key is.
fn line_of(text: &str, rel: &str, nth: usize) -> Option<usize> {
    let forms = [format!("{rel}:"), format!("'{}':", rel.replace('\'', "''")), format!("{}:", json(rel))];
    text.lines()
        .enumerate()
        .filter(|(_, line)| forms.iter().any(|form| line.trim_start().starts_with(form.as_str())))
        .nth(nth)
        .map(|(i, _)| i + 1)
}

/// A key as a document writes it (`rel`): a path below the prefix that is a
/// valid key once joined to it (`full`).
fn check_relative(rel: &str, full: &str) -> Result<Key, String> {
    if rel.starts_with('/') || rel.ends_with('/') {
        return Err(format!("key {rel:?}: write it relative to the prefix, without a leading or trailing \"/\""));
    }
    match Key::parse(full) {
        Ok(key) if key.is_root() => Err(format!("key {rel:?}: the prefix / is no key and holds no value")),
        checked => checked.map_err(|e| format!("key {rel:?}: {}", e.reason)),
    }
}

/// A value: a string (any YAML scalar, by its text) or `{base64: ...}`;
/// written the same way, so other files (the outbox) can hold values too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocValue(pub Vec<u8>);

impl Serialize for DocValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ValueView::of(&self.0).serialize(s)
    }
}

impl<'de> Deserialize<'de> for DocValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DocValue, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = DocValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, or {base64: ...} for a value that is not text")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<DocValue, E> {
                Ok(DocValue(text.as_bytes().to_vec()))
            }
            // YAML reads an unquoted 0123 as the number 123 and yes as true: which
            // text was meant is lost before ovs sees it, so it asks.
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<DocValue, E> {
                Err(E::custom(format!("{n} is a YAML number: quote it ('{n}') to store it as text")))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<DocValue, E> {
                Err(E::custom(format!("{n} is a YAML number: quote it ('{n}') to store it as text")))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<DocValue, E> {
                Err(E::custom(format!("{n} is a YAML number: quote it to store it as text")))
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<DocValue, E> {
                Err(E::custom(format!("{b} is a YAML boolean: quote it ('{b}') to store it as text")))
            }
            fn visit_unit<E: de::Error>(self) -> Result<DocValue, E> {
                Err(E::custom("no value: write '' for an empty one"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DocValue, A::Error> {
                let field = map.next_key::<String>()?.unwrap_or_default();
                if field != "base64" {
                    return Err(de::Error::custom(format!("expected {{base64: ...}}, found a mapping with {field:?}")));
                }
                let text: String = map.next_value()?;
                if map.next_key::<String>()?.is_some() {
                    return Err(de::Error::custom("{base64: ...} takes nothing else"));
                }
                B64.decode(text.trim()).map(DocValue).map_err(|e| de::Error::custom(format!("bad base64: {e}")))
            }
        }
        d.deserialize_any(ValueVisitor)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Parsed {
    #[serde(rename = "ovs-config")]
    version: u32,
    prefix: String,
    keys: Keys,
}

impl Parsed {
    /// The document as `export` writes it, read line by line: serde_yaml
    /// takes about a microsecond a line, which would make `diff` of a large
    /// document slower than the scan it compares with. Only lines of exactly
    /// the form `export` writes are taken (`  key: "JSON string"`, a key YAML
    /// reads bare); anything else — a comment, a block scalar, another
    /// quoting — returns None, and serde_yaml reads the whole document.
    fn canonical(text: &str) -> Option<Parsed> {
        let mut lines = text.lines().peekable();
        lines.next_if_eq(&SEAL);
        let version = lines.next()?.strip_prefix("ovs-config: ")?.parse().ok()?;
        let prefix = lines.next()?.strip_prefix("prefix: ")?;
        if !(prefix == "/" || prefix.starts_with('/') && plain_key(&prefix[1..])) || lines.next()? != "keys:" {
            return None;
        }
        let mut keys = Vec::new();
        while let Some(line) = lines.next() {
            // The trailer, which `sealed` has checked.
            if line.starts_with("# end: ") && lines.peek().is_none() {
                break;
            }
            let (rel, value) = line.strip_prefix("  ")?.split_once(": ")?;
            if !plain_key(rel) || !value.starts_with('"') {
                return None;
            }
            let value: String = serde_json::from_str(value).ok()?;
            // What YAML would not take raw, or would read as a line break.
            if !quotable(&value) {
                return None;
            }
            keys.push((rel.to_string(), value.into_bytes()));
        }
        Some(Parsed { version, prefix: prefix.to_string(), keys: Keys(keys) })
    }
}

/// A document read, with what was left out of it and why.
pub struct Read {
    pub doc: Document,
    /// Lines for the user: what was skipped (Consul's folder keys).
    pub notes: Vec<String>,
}

impl Document {
    /// Read a document from `text`; `source_name` names it in errors. With
    /// `place_under`, its keys go below that prefix instead of its own.
    pub fn parse(
        text: &str,
        format: Dialect,
        source_name: &str,
        place_under: Option<&Key>,
    ) -> Result<Document, DocumentError> {
        Ok(Document::parse_noting(text, format, source_name, place_under)?.doc)
    }

    /// Read a document from the bytes of a file or of stdin: UTF-8 (a
    /// leading byte-order mark is dropped), and an input that stops inside
    /// a character is cut short.
    pub fn read(
        bytes: &[u8],
        format: Dialect,
        source_name: &str,
        place_under: Option<&Key>,
    ) -> Result<Read, DocumentError> {
        let text = std::str::from_utf8(bytes).map_err(|e| DocumentError {
            source_name: source_name.to_string(),
            message: match e.error_len() {
                None => format!("{CUT_SHORT}: it ends inside a character"),
                Some(_) => format!("not UTF-8 text (at byte {})", e.valid_up_to()),
            },
        })?;
        Document::parse_noting(text, format, source_name, place_under)
    }

    fn parse_noting(
        text: &str,
        format: Dialect,
        source_name: &str,
        place_under: Option<&Key>,
    ) -> Result<Read, DocumentError> {
        let err = |message: String| DocumentError { source_name: source_name.to_string(), message };
        // Editors on some systems begin UTF-8 files with a byte-order mark.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut notes = Vec::new();
        let (prefix, entries): (Key, Vec<(Key, Vec<u8>)>) = match format {
            Dialect::Ovs => {
                let promised = sealed(text).map_err(err)?;
                // JSON is YAML too, but serde_yaml refuses characters in JSON
                // strings that YAML does not allow raw (DEL, C1 controls).
                let parsed: Parsed = if let Some(parsed) = Parsed::canonical(text) {
                    parsed
                } else if text.trim_start().starts_with('{') {
                    serde_json::from_str(text).map_err(|e| err(json_error(e)))?
                } else {
                    crate::yaml::from_str(text, crate::yaml::Binary::Refuse).map_err(|e| err(e.to_string()))?
                };
                if parsed.version != VERSION {
                    return Err(err(format!(
                        "ovs-config: {} is not a version this ovs reads (it reads {VERSION})",
                        parsed.version
                    )));
                }
                let held = parsed.keys.0.len() as u64;
                if let Some(promised) = promised.filter(|n| *n != held) {
                    return Err(err(format!(
                        "its last line says it holds {promised} keys, but it holds {held}: an export is refused \
                         unless whole (to read a document edited by hand, delete its first line)"
                    )));
                }
                let prefix = Key::parse(&parsed.prefix).map_err(|e| err(format!("prefix: {e}")))?;
                let prefix = place_under.cloned().unwrap_or(prefix);
                let below = prefix.dir_prefix();
                let mut seen = HashSet::new();
                let mut entries = Vec::with_capacity(parsed.keys.0.len());
                for (rel, value) in parsed.keys.0 {
                    let again = !seen.insert(rel.clone());
                    let key = match check_relative(&rel, &format!("{below}{rel}")) {
                        Ok(_) if again => Err(format!("key {rel:?} appears twice")),
                        checked => checked,
                    };
                    let key = key.map_err(|problem| {
                        let at = line_of(text, &rel, usize::from(again))
                            .map(|n| format!(" at line {n}"))
                            .unwrap_or_default();
                        err(format!("{problem}{at}"))
                    })?;
                    entries.push((key, value));
                }
                (prefix, entries)
            }
            Dialect::Consul => {
                let items: Vec<ConsulItem> = serde_json::from_str(text)
                    .map_err(|e| err(format!("not a consul kv export: {}", json_error(e))))?;
                let prefix = place_under.cloned().unwrap_or_else(Key::root);
                let mut entries = Vec::with_capacity(items.len());
                let mut folders = Vec::new();
                for (i, item) in items.into_iter().enumerate() {
                    // Consul's UI makes a "folder" as a key ending in "/"
                    // with no value; ovs has folders of its own (a key's
                    // parents), so there is nothing to import.
                    if item.key.ends_with('/') && item.value.as_deref().is_none_or(str::is_empty) {
                        folders.push(item.key);
                        continue;
                    }
                    let at = |m: String| err(format!("item {} (key {:?}): {m}", i + 1, item.key));
                    let key = check_relative(&item.key, &format!("{}{}", prefix.dir_prefix(), item.key)).map_err(at)?;
                    let value = match &item.value {
                        None => Vec::new(),
                        Some(b64) => B64.decode(b64).map_err(|e| at(format!("bad base64: {e}")))?,
                    };
                    entries.push((key, value));
                }
                if !folders.is_empty() {
                    let shown: Vec<String> = folders.iter().take(5).map(|k| format!("{k:?}")).collect();
                    let more =
                        if folders.len() > 5 { format!(" and {} more", folders.len() - 5) } else { String::new() };
                    notes.push(format!(
                        "{source_name}: skipped {} Consul folder key(s) (a name ending in \"/\" with no value): {}{more}",
                        folders.len(),
                        shown.join(", ")
                    ));
                }
                (prefix, entries)
            }
        };
        let mut keyed = entries;
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(pair) = keyed.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(err(format!("key {} appears twice", pair[0].0)));
        }
        Ok(Read { doc: Document { prefix, entries: keyed }, notes })
    }

    /// The document as YAML text, for `edit -r`.
    pub fn to_yaml(&self) -> String {
        let mut writer = Writer::begin(Vec::new(), &self.prefix, Style::Yaml, false).expect("writing to memory");
        for (key, value) in &self.entries {
            writer.entry(key.as_str(), value).expect("writing to memory");
        }
        String::from_utf8(writer.finish().expect("writing to memory")).expect("YAML is text")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Key {
        Key::parse(text).unwrap()
    }

    fn sample() -> Document {
        let entries = vec![
            (key("/p/bin"), vec![0xff, 0x00, 0xfe]),
            (key("/p/empty"), vec![]),
            (key("/p/json"), br#"{"a": [1, 2]}"#.to_vec()),
            (key("/p/multi/line"), b"one\ntwo\n  three\n".to_vec()),
            (key("/p/number"), b"0123".to_vec()),
            (key("/p/odd: name"), b"true".to_vec()),
            (key("/p/trailing"), b"spaces  \n\n".to_vec()),
            (key("/p/separators"), "a\u{2028}b\u{2029}c\u{85}d\u{7f}e\u{feff}\t\"q\" \\ 'x' #c: d".as_bytes().to_vec()),
            (key("/p/true"), b"null".to_vec()),
            (key("/p/-dash"), b"- item".to_vec()),
            (key("/p/9"), b"~".to_vec()),
        ];
        let mut entries = entries;
        entries.sort();
        Document { prefix: key("/p"), entries }
    }

    #[test]
    fn every_format_round_trips_byte_for_byte() {
        let doc = sample();
        for (style, format) in
            [(Style::Yaml, Dialect::Ovs), (Style::Json, Dialect::Ovs), (Style::Consul, Dialect::Consul)]
        {
            let mut writer = Writer::start(Vec::new(), &doc.prefix, style).unwrap();
            for (k, v) in &doc.entries {
                writer.entry(k.as_str(), v).unwrap();
            }
            let text = String::from_utf8(writer.finish().unwrap()).unwrap();
            // consul kv export holds full keys; ours holds them below the prefix.
            let under = (format == Dialect::Ovs).then_some(&doc.prefix);
            let back = Document::parse(&text, format, "t", under).unwrap();
            assert_eq!(back.entries, doc.entries, "{text}");
        }
        assert_eq!(Document::parse(&doc.to_yaml(), Dialect::Ovs, "t", None).unwrap(), doc);
    }

    #[test]
    fn the_fast_reader_reads_what_serde_yaml_reads() {
        let doc = sample();
        let text = doc.to_yaml();
        let canonical = "ovs-config: 1\nprefix: /p\nkeys:\n  a/b: \"x \\\" \\u00e9 \\/ y\"\n  c: \"\"\n";
        let (fast, slow): (Parsed, Parsed) =
            (Parsed::canonical(canonical).unwrap(), serde_yaml::from_str(canonical).unwrap());
        assert_eq!((fast.prefix, fast.keys.0), (slow.prefix, slow.keys.0));
        // An export is read the fast way too, seal and trailer included.
        let sealed = format!("{SEAL}\n{canonical}# end: 2 keys\n");
        assert_eq!(Parsed::canonical(&sealed).map(|p| p.keys.0.len()), Some(2));
        // Not the canonical form: the fast reader steps aside.
        assert!(Parsed::canonical(&text).is_none(), "{text}");
        for other in [
            "ovs-config: 1\nprefix: /p\nkeys:\n  a: \"x\" # note\n",
            "ovs-config: 1\nprefix: /p\nkeys:\n  a: 'x'\n",
            "# c\novs-config: 1\n",
        ] {
            assert!(Parsed::canonical(other).is_none(), "{other}");
        }
    }

    fn exported(doc: &Document, style: Style) -> Vec<u8> {
        let mut writer = Writer::start(Vec::new(), &doc.prefix, style).unwrap();
        for (k, v) in &doc.entries {
            writer.entry(k.as_str(), v).unwrap();
        }
        writer.finish().unwrap()
    }

    #[test]
    fn an_export_cut_anywhere_is_cut_short() {
        let doc = sample();
        for (style, format) in
            [(Style::Yaml, Dialect::Ovs), (Style::Json, Dialect::Ovs), (Style::Consul, Dialect::Consul)]
        {
            let whole = exported(&doc, style);
            for cut in 0..whole.len() - 1 {
                let e = Document::read(&whole[..cut], format, "t", None).err();
                let e = e.unwrap_or_else(|| panic!("cut at {cut} read: {:?}", String::from_utf8_lossy(&whole[..cut])));
                assert!(e.message.contains(CUT_SHORT), "cut at {cut}: {e}");
            }
            let under = (format == Dialect::Ovs).then_some(&doc.prefix);
            let back = Document::read(&whole[..whole.len() - 1], format, "t", under).unwrap();
            assert_eq!(back.doc.entries, doc.entries);
        }
    }

    #[test]
    fn an_export_missing_a_key_says_so_and_a_hand_written_one_needs_no_trailer() {
        let text = String::from_utf8(exported(&sample(), Style::Yaml)).unwrap();
        assert!(
            text.starts_with(&format!("{SEAL}\novs-config: 1\n")) && text.ends_with("\n# end: 11 keys\n"),
            "{text}"
        );
        let fewer: String = text.lines().filter(|l| !l.starts_with("  empty:")).map(|l| format!("{l}\n")).collect();
        let e = Document::parse(&fewer, Dialect::Ovs, "t", None).unwrap_err();
        assert!(e.to_string().contains("says it holds 11 keys, but it holds 10"), "{e}");
        let unsealed = text.split_once('\n').unwrap().1;
        assert_eq!(Document::parse(unsealed, Dialect::Ovs, "t", None).unwrap().entries.len(), 11);
        assert!(!sample().to_yaml().contains("# end"));
        let one = exported(&Document { prefix: key("/o"), entries: vec![(key("/o/k"), b"v".to_vec())] }, Style::Yaml);
        assert!(String::from_utf8(one).unwrap().ends_with("\n# end: 1 key\n"));
        let e = Document::read(b"ovs-config: 1\nprefix: /a\nkeys: {}\n\xff", Dialect::Ovs, "t", None).err().unwrap();
        assert!(e.message.contains("not UTF-8 text (at byte 34)"), "{e}");
    }

    #[test]
    fn an_empty_document_round_trips() {
        let doc = Document { prefix: key("/e"), entries: vec![] };
        assert_eq!(Document::parse(&doc.to_yaml(), Dialect::Ovs, "t", None).unwrap(), doc);
    }

    #[test]
    fn the_prefix_key_itself_is_the_empty_key() {
        let doc =
            Document { prefix: key("/p"), entries: vec![(key("/p"), b"self".to_vec()), (key("/p/a"), b"1".to_vec())] };
        for style in [Style::Yaml, Style::Json] {
            let mut writer = Writer::start(Vec::new(), &doc.prefix, style).unwrap();
            for (k, v) in &doc.entries {
                writer.entry(k.as_str(), v).unwrap();
            }
            let text = String::from_utf8(writer.finish().unwrap()).unwrap();
            assert!(text.contains("'':") || text.contains("\"\":"), "{text}");
            assert_eq!(Document::parse(&text, Dialect::Ovs, "t", None).unwrap(), doc, "{text}");
            let moved = Document::parse(&text, Dialect::Ovs, "t", Some(&key("/q"))).unwrap();
            assert_eq!(moved.entries, [(key("/q"), b"self".to_vec()), (key("/q/a"), b"1".to_vec())]);
        }
        let e = Document::parse("ovs-config: 1\nprefix: /\nkeys:\n  '': x\n", Dialect::Ovs, "d", None).unwrap_err();
        assert!(e.to_string().contains("no key"), "{e}");
    }

    #[test]
    fn a_document_goes_under_another_prefix() {
        let text = "ovs-config: 1\nprefix: /a\nkeys:\n  b/c: v\n";
        let doc = Document::parse(text, Dialect::Ovs, "t", Some(&key("/x/y"))).unwrap();
        assert_eq!(doc.entries, [(key("/x/y/b/c"), b"v".to_vec())]);
    }

    #[test]
    fn bad_documents_name_the_key_and_the_line() {
        for (text, says) in [
            ("ovs-config: 1\nprefix: /a\nkeys:\n  b: '1'\n  c: '2'\n  b: '3'\n", "\"b\" appears twice at line 6"),
            ("ovs-config: 1\nprefix: /a\nkeys:\n  b: 123\n", "quote it"),
            ("ovs-config: 1\nprefix: /a\nkeys:\n  b: true\n", "boolean"),
            ("ovs-config: 1\nprefix: /a\nkeys:\n  b:\n", "no value"),
            ("ovs-config: 1\nprefix: /a\nkeys:\n  ok: '1'\n  b//c: '2'\n", "empty segment"),
            ("ovs-config: 1\nprefix: /a\nkeys:\n  /b: '2'\n", "leading or trailing"),
            ("ovs-config: 1\nprefix: /a\nkeys:\n  b: {base64: '!!'}\n", "bad base64"),
            ("ovs-config: 1\nprefix: /a\nkeys:\n  b: [1, 2]\n", "a string, or {base64"),
            ("ovs-config: 2\nprefix: /a\nkeys: {}\n", "version"),
            ("ovs-config: 1\nprefix: /a\nkeys: {}\nextra: 1\n", "unknown field"),
            ("prefix: /a\nkeys:\n  b: x\n  - nope\n", "line"),
        ] {
            let e = Document::parse(text, Dialect::Ovs, "doc.yaml", None).unwrap_err().to_string();
            assert!(e.starts_with("doc.yaml: ") && e.contains(says), "{text:?}: {e}");
        }
        let e =
            Document::parse("ovs-config: 1\nprefix: /a\nkeys:\n  x: '1'\n  b\u{202E}: '2'\n", Dialect::Ovs, "d", None)
                .unwrap_err();
        assert!(e.to_string().contains("line 5"), "{e}");
    }

    #[test]
    fn consul_exports_read_like_consul_writes_them() {
        let text = r#"[{"key":"a/b","flags":0,"value":"aGVsbG8="},{"key":"a/empty","flags":0,"value":null}]"#;
        let doc = Document::parse(text, Dialect::Consul, "c", None).unwrap();
        assert_eq!(doc.entries, [(key("/a/b"), b"hello".to_vec()), (key("/a/empty"), vec![])]);
        let e = Document::parse(r#"[{"key":"a//b","flags":0,"value":null}]"#, Dialect::Consul, "c", None).unwrap_err();
        assert!(e.to_string().contains("item 1"), "{e}");
    }
}
