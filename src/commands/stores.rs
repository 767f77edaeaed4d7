//! `stores`: the kinds of store this build supports, with their URL form
//! and what each can do.

use anyhow::Result;
use serde::Serialize;

use crate::output::{Plain, Printer, Report};
use crate::store::backend::Backend;
use crate::store::registry::BACKENDS;
use crate::store::{plugin, Capabilities};

/// One kind of store for scripts: its capabilities as the flags and limits
/// commands decide from (null for a plugin: its hello declares them).
#[derive(Serialize)]
struct Kind {
    name: &'static str,
    schemes: &'static [&'static str],
    form: &'static str,
    about: &'static str,
    capabilities: Option<CapabilitiesView>,
    /// The capabilities in words, for a person.
    #[serde(skip)]
    summary: String,
}

#[derive(Serialize)]
struct CapabilitiesView {
    max_value_bytes: u64,
    atomic_batch: bool,
    max_batch_ops: Option<usize>,
    max_batch_bytes: Option<u64>,
    snapshot_scan: bool,
    history: bool,
    watch: bool,
}

impl Kind {
    fn of(backend: &Backend, name: &'static str, declared: bool) -> Kind {
        let caps = &backend.capabilities;
        let summary = match declared {
            true => capabilities(caps),
            false => "capabilities as the plugin declares them in its hello".to_string(),
        };
        Kind {
            summary,
            name,
            schemes: backend.schemes,
            form: backend.form,
            about: backend.about,
            capabilities: declared.then_some(CapabilitiesView {
                max_value_bytes: caps.max_value_bytes,
                atomic_batch: caps.atomic_batch,
                max_batch_ops: caps.max_batch_ops,
                max_batch_bytes: caps.max_batch_bytes,
                snapshot_scan: caps.snapshot_scan,
                history: caps.history,
                watch: caps.watch,
            }),
        }
    }
}

/// Every kind; plain, two lines a kind (see [`lines`]).
#[derive(Serialize)]
#[serde(transparent)]
struct Kinds(Vec<Kind>);

impl Report for Kinds {
    fn plain(&self, out: &mut Plain<'_>) -> std::io::Result<()> {
        lines(&self.0).iter().try_for_each(|line| out.line(line))
    }
}

pub fn run(out: &Printer) -> Result<()> {
    out.print(&Kinds(kinds()))
}

fn kinds() -> Vec<Kind> {
    let built_in = BACKENDS.iter().map(|b| Kind::of(b, b.schemes[0], true));
    built_in.chain([Kind::of(&plugin::BACKEND, "(plugin)", false)]).collect()
}

/// Two lines a kind: its name, URL form and what it is, in columns as wide
/// as their longest entry; then its capabilities, under the form.
fn lines(kinds: &[Kind]) -> Vec<String> {
    let name = kinds.iter().map(|k| k.name.len()).max().unwrap_or(0);
    let form = kinds.iter().map(|k| k.form.len()).max().unwrap_or(0);
    kinds
        .iter()
        .flat_map(|k| {
            [format!("{:<name$} {:<form$}   {}", k.name, k.form, k.about), format!("{:name$} {}", "", k.summary)]
        })
        .collect()
}

/// `values of at most N bytes; atomic batches of any size; snapshot scans; no history; no watch`.
fn capabilities(caps: &Capabilities) -> String {
    let batches = match (caps.atomic_batch, caps.max_batch_ops, caps.max_batch_bytes) {
        (false, _, _) => "no atomic batches".to_string(),
        (true, None, None) => "atomic batches of any size".to_string(),
        (true, ops, bytes) => {
            let ops = ops.map(|n| match caps.delete_ops {
                1 => format!("{n} operations"),
                d => format!("{n} operations (a delete counts {d})"),
            });
            let limits: Vec<String> = [ops, bytes.map(|b| format!("{} bytes", b))].into_iter().flatten().collect();
            format!("atomic batches of at most {}", limits.join(" and "))
        }
    };
    let yes_no = |on: bool, what: &str| if on { what.to_string() } else { format!("no {what}") };
    format!(
        "values of at most {} bytes; {batches}; {}; {}; {}",
        caps.max_value_bytes,
        if caps.snapshot_scan { "snapshot scans" } else { "scans read key by key" },
        yes_no(caps.history, "history"),
        yes_no(caps.watch, "watch"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the text after the first run of `gap` spaces starts.
    fn after(line: &str, gap: &str) -> usize {
        let i = line.find(gap).expect("columns");
        i + line[i..].len() - line[i..].trim_start().len()
    }

    #[test]
    fn every_row_lines_up() {
        let lines = lines(&kinds());
        let columns = |line: &str| {
            let form = after(line, " ");
            (form, form + after(&line[form..], "   "))
        };
        let first = columns(&lines[0]);
        for pair in lines.chunks(2) {
            assert_eq!(columns(&pair[0]), first, "{}", pair[0]);
            let form = first.0;
            assert_eq!(after(&pair[1], " "), form, "{}", pair[1]);
        }
    }
}
