//! Rendering: plain, JSON or YAML on stdout, notes on stderr. Commands hand
//! results here; nothing here touches a store.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::Serialize;

use crate::store::{is_invisible, Entries, Event, Key, Versioned};

fn needs_escape(c: char) -> bool {
    c.is_control() || is_invisible(c) || c == char::REPLACEMENT_CHARACTER
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        c if needs_escape(c) => {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// Whether to colour what goes to a stream: only to a terminal, and never
/// when NO_COLOR is set (no-color.org).
pub fn colour(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `text` made safe for a terminal and for a one-line message: control
/// characters, bidirectional controls and zero-width characters become
/// escapes, so text from a store can neither move the cursor, clear the
/// screen, break a line nor hide or reorder what is around it.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    text.chars().for_each(|c| push_escaped(&mut out, c));
    Cow::Owned(out)
}

/// A value for a person at a terminal: as [`escape`], but lines and tabs
/// stay as they are, and bytes that are not UTF-8 show as `\xNN`.
fn escape_value(value: &[u8]) -> String {
    let mut out = String::with_capacity(value.len());
    for chunk in value.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' | '\t' => out.push(c),
                c => push_escaped(&mut out, c),
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

/// A stream for a person at a terminal (`export`): what goes through it is
/// escaped as a value is, a character split across two writes included.
pub struct Escaping<W: Write> {
    out: W,
    /// The start of a character whose last bytes have not come yet.
    pending: Vec<u8>,
}

impl<W: Write> Escaping<W> {
    pub fn new(out: W) -> Escaping<W> {
        Escaping { out, pending: Vec::new() }
    }
}

impl<W: Write> Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        // A lead byte in the last three whose character is not complete.
        let len = self.pending.len();
        let keep = (1..=3.min(len))
            .find(|&k| {
                let lead = self.pending[len - k];
                let width = match lead {
                    0xc0..=0xdf => 2,
                    0xe0..=0xef => 3,
                    0xf0..=0xf7 => 4,
                    _ => 0,
                };
                width > k
            })
            .unwrap_or(0);
        let done = len - keep;
        self.out.write_all(escape_value(&self.pending[..done]).as_bytes())?;
        self.pending.drain(..done);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let rest = std::mem::take(&mut self.pending);
        self.out.write_all(escape_value(&rest).as_bytes())?;
        self.out.flush()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Plain,
    Json,
    Yaml,
}

/// A value for scripts: text as `value`, anything not UTF-8 as `value_base64`.
#[derive(Default, Serialize)]
struct ValueView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_base64: Option<String>,
}

impl<'a> ValueView<'a> {
    fn of(value: &'a [u8]) -> ValueView<'a> {
        let text = std::str::from_utf8(value).ok();
        ValueView { value: text, value_base64: text.is_none().then(|| B64.encode(value)) }
    }
}

/// `get -o json|yaml`.
#[derive(Serialize)]
struct GetView<'a> {
    key: &'a str,
    #[serde(flatten)]
    value: ValueView<'a>,
    revision: u64,
}

/// A watched change for scripts (`watch -o json`, `--exec`'s stdin); a
/// delete has no value.
#[derive(Serialize)]
pub struct EventView<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    key: &'a str,
    #[serde(flatten)]
    value: ValueView<'a>,
    revision: u64,
}

impl<'a> EventView<'a> {
    pub fn of(event: &'a Event) -> EventView<'a> {
        EventView {
            kind: if event.value.is_some() { "PUT" } else { "DELETE" },
            key: &event.key,
            value: event.value.as_deref().map(ValueView::of).unwrap_or_default(),
            revision: event.revision.0,
        }
    }
}

pub struct Printer {
    quiet: bool,
    /// Plain output to a terminal is escaped; to a pipe or file it is exact.
    to_terminal: bool,
}

impl Printer {
    pub fn new(quiet: bool) -> Printer {
        Printer { quiet, to_terminal: io::stdout().is_terminal() }
    }

    /// A progress note on stderr; -q silences it.
    pub fn note(&self, message: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{}", escape(&message.to_string()));
        }
    }

    /// Something the user must see even with -q (where their text was kept).
    pub fn warn(&self, message: impl std::fmt::Display) {
        eprintln!("{}", escape(&message.to_string()));
    }

    pub fn value(&self, format: Format, key: &Key, item: &Versioned) -> anyhow::Result<()> {
        let mut out = io::stdout().lock();
        if format == Format::Plain {
            match self.to_terminal {
                true => out.write_all(escape_value(&item.value).as_bytes())?,
                false => out.write_all(&item.value)?,
            }
            return Ok(out.flush()?);
        }
        let view = GetView { key: key.as_str(), value: ValueView::of(&item.value), revision: item.revision.0 };
        match format {
            Format::Json => writeln!(out, "{}", serde_json::to_string(&view)?)?,
            _ => out.write_all(serde_yaml::to_string(&view)?.as_bytes())?,
        }
        Ok(out.flush()?)
    }

    /// One JSON document on a line of stdout: a write's result for scripts.
    pub fn json(&self, value: &impl Serialize) -> anyhow::Result<()> {
        let mut out = io::stdout().lock();
        writeln!(out, "{}", serde_json::to_string(value)?)?;
        Ok(out.flush()?)
    }

    /// One change a watch saw: `PUT key revision` / `DELETE key revision`,
    /// or with JSON an object on a line, with the value as `get` gives it.
    pub fn event(&self, format: Format, event: &Event) -> anyhow::Result<()> {
        let mut out = io::stdout().lock();
        let kind = if event.value.is_some() { "PUT" } else { "DELETE" };
        match format {
            Format::Plain => writeln!(out, "{kind} {} {}", escape(&event.key), event.revision)?,
            _ => writeln!(out, "{}", serde_json::to_string(&EventView::of(event))?)?,
        }
        Ok(out.flush()?)
    }

    /// Text on stdout as it is (escaped on a terminal, as a value is).
    pub fn text(&self, text: &str) -> anyhow::Result<()> {
        let mut out = io::stdout().lock();
        match self.to_terminal {
            true => out.write_all(escape_value(text.as_bytes()).as_bytes())?,
            false => out.write_all(text.as_bytes())?,
        }
        Ok(out.flush()?)
    }

    /// A result as one JSON line, or as a YAML document.
    pub fn record(&self, format: Format, value: &impl Serialize) -> anyhow::Result<()> {
        if format != Format::Yaml {
            return self.json(value);
        }
        let mut out = io::stdout().lock();
        out.write_all(serde_yaml::to_string(value)?.as_bytes())?;
        Ok(out.flush()?)
    }

    /// Whether -q asked for results and errors only.
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// Whether plain output goes to a terminal (colour, escapes).
    pub fn to_terminal(&self) -> bool {
        self.to_terminal
    }

    /// Stream a listing; JSON and YAML are written item by item too, so
    /// memory stays flat however many keys there are. Plain lines are
    /// escaped (a no-op for any key ovs can address); JSON and YAML are exact.
    pub fn entries(&self, format: Format, entries: Entries<'_>) -> anyhow::Result<()> {
        let mut out = io::BufWriter::new(io::stdout().lock());
        let mut first = true;
        for entry in entries {
            let entry = entry?;
            match format {
                Format::Plain => writeln!(out, "{}", escape(&entry))?,
                Format::Json => write!(out, "{}{}", if first { "[" } else { "," }, serde_json::to_string(&entry)?)?,
                Format::Yaml => out.write_all(serde_yaml::to_string(&[&entry])?.as_bytes())?,
            }
            first = false;
        }
        match (format, first) {
            (Format::Json, true) => writeln!(out, "[]")?,
            (Format::Json, false) => writeln!(out, "]")?,
            (Format::Yaml, true) => writeln!(out, "[]")?,
            _ => {}
        }
        Ok(out.flush()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_would_move_or_hide_text() {
        assert_eq!(escape("/plain/key é"), "/plain/key é");
        assert_eq!(escape("/a\x1b[2J\nb"), "/a\\u{001b}[2J\\nb");
        assert_eq!(escape("/a\u{202E}b\u{200B}"), "/a\\u{202e}b\\u{200b}");
        assert_eq!(escape_value(b"line\n\ttab\x1b[2J\xff"), "line\n\ttab\\u{001b}[2J\\xff");
    }

    #[test]
    fn an_escaping_stream_keeps_characters_split_across_writes() {
        let mut out = Escaping::new(Vec::new());
        let text = "a\u{202E}b\u{200B}é\n".as_bytes();
        for byte in text {
            out.write_all(std::slice::from_ref(byte)).unwrap();
        }
        out.flush().unwrap();
        assert_eq!(String::from_utf8(out.out).unwrap(), "a\\u{202e}b\\u{200b}é\n");
    }
}
