//! Rendering: plain, JSON or YAML on stdout, notes on stderr. Commands hand
//! results here; nothing here touches a store.

use std::io::{self, Write};

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::Serialize;

use crate::store::{Entries, Key, Versioned};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Plain,
    Json,
    Yaml,
}

/// `get -o json|yaml`: text as `value`, anything not UTF-8 as `value_base64`.
#[derive(Serialize)]
struct GetView<'a> {
    key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_base64: Option<String>,
    revision: u64,
}

pub struct Printer {
    quiet: bool,
}

impl Printer {
    pub fn new(quiet: bool) -> Printer {
        Printer { quiet }
    }

    /// A progress note on stderr; -q silences it.
    pub fn note(&self, message: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }

    /// Something the user must see even with -q (where their text was kept).
    pub fn warn(&self, message: impl std::fmt::Display) {
        eprintln!("{message}");
    }

    pub fn value(&self, format: Format, key: &Key, item: &Versioned) -> anyhow::Result<()> {
        let mut out = io::stdout().lock();
        if format == Format::Plain {
            out.write_all(&item.value)?;
            return Ok(out.flush()?);
        }
        let text = std::str::from_utf8(&item.value).ok();
        let view = GetView {
            key: key.as_str(),
            value: text,
            value_base64: text.is_none().then(|| B64.encode(&item.value)),
            revision: item.revision.0,
        };
        match format {
            Format::Json => writeln!(out, "{}", serde_json::to_string(&view)?)?,
            _ => out.write_all(serde_yaml::to_string(&view)?.as_bytes())?,
        }
        Ok(out.flush()?)
    }

    /// Stream a listing; JSON and YAML are written item by item too, so
    /// memory stays flat however many keys there are.
    pub fn entries(&self, format: Format, entries: Entries<'_>) -> anyhow::Result<()> {
        let mut out = io::BufWriter::new(io::stdout().lock());
        let mut first = true;
        for entry in entries {
            let entry = entry?;
            match format {
                Format::Plain => writeln!(out, "{entry}")?,
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
