//! `history KEY [--show REV]`: the versions of a key that the first store
//! still keeps, oldest first, the current one last and marked.

use std::io::Write as _;

use anyhow::Result;
use serde::Serialize;

use crate::cli::HistoryArgs;
use crate::output::{Plain, Report, ValueReport};
use crate::pipeline::context::leaf;
use crate::pipeline::versions::{find, read};
use crate::pipeline::Ctx;
use crate::store::Version;

/// The versions of a key, oldest first: plain a line each, the current one
/// marked.
#[derive(Serialize)]
struct HistoryReport<'a> {
    key: &'a str,
    versions: Vec<VersionView>,
    compacted: Option<u64>,
}

#[derive(Serialize)]
struct VersionView {
    revision: u64,
    size: usize,
}

impl Report for HistoryReport<'_> {
    fn plain(&self, out: &mut Plain<'_>) -> std::io::Result<()> {
        let width = self.versions.last().map_or(1, |v| v.revision.to_string().len());
        for (i, v) in self.versions.iter().enumerate() {
            let current = if i + 1 == self.versions.len() { "  (current)" } else { "" };
            writeln!(out, "{:>width$}  {} bytes{current}", v.revision, v.size)?;
        }
        Ok(())
    }
}

pub fn run(ctx: &Ctx, args: &HistoryArgs) -> Result<()> {
    let key = leaf(&args.key)?;
    let history = read(ctx, key)?;
    if let Some(rev) = args.show {
        let version = find(&history, key, rev)?;
        let item = Version { value: version.value.clone(), revision: version.revision };
        return ctx.out.print(&ValueReport::of(key, &item));
    }
    let compacted = history.compacted.map(|rev| rev.0);
    let versions =
        history.versions.iter().map(|v| VersionView { revision: v.revision.0, size: v.value.len() }).collect();
    ctx.out.print(&HistoryReport { key: key.as_str(), versions, compacted })?;
    if let (Some(rev), true) = (compacted, ctx.out.is_plain()) {
        ctx.out.note(format!("versions of {key} older than revision {rev} were compacted away by the store"));
    }
    Ok(())
}
