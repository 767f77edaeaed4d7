//! `history KEY [--show REV]`: the versions of a key that the first store
//! still keeps, oldest first, the current one last and marked.

use std::io::Write as _;

use anyhow::Result;
use serde::Serialize;

use crate::cli::HistoryArgs;
use crate::output::Format;
use crate::pipeline::context::leaf;
use crate::pipeline::versions::{find, read};
use crate::pipeline::Ctx;
use crate::store::Versioned;

#[derive(Serialize)]
struct HistoryView<'a> {
    key: &'a str,
    versions: Vec<VersionView>,
    compacted: Option<u64>,
}

#[derive(Serialize)]
struct VersionView {
    revision: u64,
    size: usize,
}

pub fn run(ctx: &Ctx, args: &HistoryArgs) -> Result<()> {
    let key = leaf(&args.key)?;
    let history = read(ctx, key)?;
    if let Some(rev) = args.show {
        let version = find(&history, key, rev)?;
        let item = Versioned { value: version.value.clone(), revision: version.revision };
        return ctx.out.value(args.output, key, &item);
    }
    let compacted = history.compacted.map(|rev| rev.0);
    if args.output != Format::Plain {
        let versions =
            history.versions.iter().map(|v| VersionView { revision: v.revision.0, size: v.value.len() }).collect();
        return ctx.out.record(args.output, &HistoryView { key: key.as_str(), versions, compacted });
    }
    let width = history.versions.last().map_or(1, |v| v.revision.to_string().len());
    let mut out = std::io::stdout().lock();
    for (i, v) in history.versions.iter().enumerate() {
        let current = if i + 1 == history.versions.len() { "  (current)" } else { "" };
        writeln!(out, "{:>width$}  {} bytes{current}", v.revision.0, v.value.len())?;
    }
    out.flush()?;
    if let Some(rev) = compacted {
        ctx.out.note(format!("versions of {key} older than revision {rev} were compacted away by the store"));
    }
    Ok(())
}
