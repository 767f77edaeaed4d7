//! Rendering: plain, JSON or YAML on stdout, notes on stderr. Commands hand
//! results here; nothing here touches a store.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::Serialize;

use crate::store::{is_invisible, Event, Key, Version};

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
    // Printable ASCII, the common case, needs no look at characters.
    if text.bytes().all(|b| (b' '..=b'~').contains(&b)) || !text.chars().any(needs_escape) {
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

/// How results are written on stdout, chosen once from `-o`: for a person,
/// or one document for scripts. (A document's own dialect, ovs or Consul, is
/// [`crate::document::Dialect`].)
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Plain,
    Json,
    Yaml,
}

/// A command's result: serialized for `-o json|yaml`, rendered by
/// [`Report::plain`] for a person.
pub trait Report: Serialize {
    fn plain(&self, out: &mut Plain<'_>) -> io::Result<()>;
}

/// Where a plain rendering goes: stdout, with what a person's terminal needs.
pub struct Plain<'a> {
    out: &'a mut dyn Write,
    terminal: bool,
}

impl Plain<'_> {
    /// One line of text from a store (a key, a message), escaped.
    pub fn line(&mut self, text: &str) -> io::Result<()> {
        self.out.write_all(escape(text).as_bytes())?;
        self.out.write_all(b"\n")
    }

    /// A value as it is stored, byte for byte; escaped on a terminal.
    pub fn value(&mut self, value: &[u8]) -> io::Result<()> {
        match self.terminal {
            true => self.out.write_all(escape_value(value).as_bytes()),
            false => self.out.write_all(value),
        }
    }

    /// Whether colour may be used.
    pub fn colour(&self) -> bool {
        colour(self.terminal)
    }
}

impl Write for Plain<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A listing's item: a key (or a child, `name/`), on its own line.
impl Report for String {
    fn plain(&self, out: &mut Plain<'_>) -> io::Result<()> {
        out.line(self)
    }
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

/// One stored value (`get`, `history --show`): plain, the value byte for
/// byte; for scripts, its key, value (or value_base64) and revision.
#[derive(Serialize)]
pub struct ValueReport<'a> {
    key: &'a str,
    #[serde(flatten)]
    value: ValueView<'a>,
    revision: u64,
    #[serde(skip)]
    bytes: &'a [u8],
}

impl<'a> ValueReport<'a> {
    pub fn of(key: &'a Key, item: &'a Version) -> ValueReport<'a> {
        ValueReport {
            key: key.as_str(),
            value: ValueView::of(&item.value),
            revision: item.revision.0,
            bytes: &item.value,
        }
    }
}

impl Report for ValueReport<'_> {
    fn plain(&self, out: &mut Plain<'_>) -> io::Result<()> {
        out.value(self.bytes)
    }
}

/// A watched change for scripts (`watch -o json`, `--exec`'s stdin); a
/// delete has no value. Plain: `PUT key revision` / `DELETE key revision`.
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

impl Report for EventView<'_> {
    fn plain(&self, out: &mut Plain<'_>) -> io::Result<()> {
        out.line(&format!("{} {} {}", self.kind, self.key, self.revision))
    }
}

/// The one writer of stdout: every command hands it its results.
pub struct Printer {
    quiet: bool,
    format: Format,
    /// Plain output to a terminal is escaped; to a pipe or file it is exact.
    to_terminal: bool,
}

impl Printer {
    pub fn new(quiet: bool, format: Format) -> Printer {
        Printer { quiet, format, to_terminal: io::stdout().is_terminal() }
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

    /// Text for a person on stderr as it is (escaped already, perhaps
    /// coloured: see [`Printer::colour_stderr`]), even with -q: a plan
    /// before it is applied.
    pub fn show(&self, text: &str) {
        let _ = io::stderr().lock().write_all(text.as_bytes());
    }

    /// Whether what goes to stderr may be coloured.
    pub fn colour_stderr(&self) -> bool {
        colour(io::stderr().is_terminal())
    }

    /// What -o chose.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether results are for a person (-o plain): what else a person is
    /// shown on stderr (a plan before it is applied) is theirs too.
    pub fn is_plain(&self) -> bool {
        self.format == Format::Plain
    }

    /// Whether -q asked for results and errors only.
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// A command's result: rendered plain, as one JSON line, or as a YAML
    /// document.
    pub fn print(&self, report: &impl Report) -> anyhow::Result<()> {
        let mut out = io::stdout().lock();
        match self.format {
            Format::Plain => report.plain(&mut Plain { out: &mut out, terminal: self.to_terminal })?,
            Format::Json => {
                serde_json::to_writer(&mut out, report)?;
                out.write_all(b"\n")?;
            }
            Format::Yaml => serde_yaml::to_writer(&mut out, report)?,
        }
        Ok(out.flush()?)
    }

    /// One result of a stream that has no end (watch): plain as
    /// [`Printer::print`], a JSON line, or a YAML document started by `---`.
    pub fn each(&self, report: &impl Report) -> anyhow::Result<()> {
        if self.format == Format::Yaml {
            io::stdout().lock().write_all(b"---\n")?;
        }
        self.print(report)
    }

    /// What a person sees while a command works (a line per check, per key
    /// that differs); for scripts, nothing: its result says it all.
    pub fn progress(&self, report: &impl Report) -> anyhow::Result<()> {
        match self.format {
            Format::Plain => self.print(report),
            Format::Json | Format::Yaml => Ok(()),
        }
    }

    /// A sequence written item by item as it comes, so memory stays flat
    /// however many there are: plain a rendering each, JSON one array, YAML
    /// one sequence.
    pub fn list<T: Report, E>(&self, items: impl Iterator<Item = Result<T, E>>) -> anyhow::Result<()>
    where
        anyhow::Error: From<E>,
    {
        let mut out = io::BufWriter::new(io::stdout().lock());
        let mut first = true;
        for item in items {
            let item = item?;
            match self.format {
                Format::Plain => item.plain(&mut Plain { out: &mut out, terminal: self.to_terminal })?,
                Format::Json => {
                    out.write_all(if first { b"[" } else { b"," })?;
                    serde_json::to_writer(&mut out, &item)?;
                }
                Format::Yaml => serde_yaml::to_writer(&mut out, &[&item])?,
            }
            first = false;
        }
        match (self.format, first) {
            (Format::Json, true) => writeln!(out, "[]")?,
            (Format::Json, false) => writeln!(out, "]")?,
            (Format::Yaml, true) => writeln!(out, "[]")?,
            _ => {}
        }
        Ok(out.flush()?)
    }

    /// A document the command writes as it reads it (export): exact to a
    /// file or a pipe, escaped on a terminal as a value is, so that no
    /// value can move the cursor or hide or reorder what is around it.
    pub fn document(&self, write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>) -> anyhow::Result<()> {
        let stdout = io::stdout().lock();
        let mut out: Box<dyn Write> = if self.to_terminal { Box::new(Escaping::new(stdout)) } else { Box::new(stdout) };
        let mut buffered = io::BufWriter::new(&mut out);
        write(&mut buffered)?;
        buffered.flush()?;
        drop(buffered);
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
