//! What `import`, `diff`, `apply` and `edit -r` share: reading a document,
//! checking every value before anything is written, and showing a plan.

use std::io::Read;

use anyhow::{Context, Result};
use serde::Serialize;

use super::Ctx;
use crate::cli::DocumentSource;
use crate::document::Document;
use crate::plan::{self, Applied, Change, Kind, Plan};
use crate::store::{Key, Store};

/// The document `source` names, parsed and checked whole: every key and
/// value, sizes and validators, all before any write.
pub fn read(ctx: &Ctx, source: &DocumentSource) -> Result<Document> {
    let doc = parse(source)?;
    check(ctx, &doc)?;
    Ok(doc)
}

/// The document `source` names, parsed (every key checked) but its values
/// not validated: what `diff`, a read, shows a plan of.
pub fn parse(source: &DocumentSource) -> Result<Document> {
    let text = if source.file == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("cannot read the document from stdin")?;
        text
    } else {
        std::fs::read_to_string(&source.file).with_context(|| format!("cannot read {}", source.file))?
    };
    let name = if source.file == "-" { "stdin" } else { source.file.as_str() };
    Ok(Document::parse(&text, source.format, name, source.prefix.as_ref())?)
}

/// Sizes first (a huge value is never parsed), then every validator; every
/// refused key is named, not only the first.
pub fn check(ctx: &Ctx, doc: &Document) -> Result<()> {
    ctx.check_entries(ctx.targets, &doc.entries)
}

/// Commit a plan's changes to `store`: one atomic commit, or with `chunked`
/// guarded chunks rolled back if one fails — what they replace below
/// `prefix` saved first as an undo document — drawing a progress bar for them.
pub fn commit(store: &dyn Store, prefix: &Key, changes: &[Change], chunked: bool, quiet: bool) -> Result<Applied> {
    let save = || crate::undo::save(store, prefix);
    let chunking = if chunked { plan::Chunking::AtMost(usize::MAX, &save) } else { plan::Chunking::Off };
    // Drawn only on a terminal (indicatif hides itself otherwise), and only
    // for a chunked commit, the one that can take long.
    let bar = indicatif::ProgressBar::hidden();
    let progress = |done: usize, of: usize| {
        if bar.is_hidden() && of > 1 && !quiet {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        bar.set_length(of as u64);
        bar.set_position(done as u64);
    };
    let applied = plan::apply(store, changes, chunking, &progress);
    bar.finish_and_clear();
    applied
}

/// The plan for scripts: keys by kind.
#[derive(Serialize)]
pub struct PlanView<'a> {
    pub added: Vec<&'a str>,
    pub changed: Vec<&'a str>,
    pub removed: Vec<&'a str>,
    pub unchanged: u64,
}

impl<'a> PlanView<'a> {
    pub fn of(plan: &'a Plan) -> PlanView<'a> {
        let keys = |kind| plan.changes.iter().filter(|c| c.kind() == kind).map(|c| c.key.as_str()).collect();
        PlanView {
            added: keys(Kind::Added),
            changed: keys(Kind::Changed),
            removed: keys(Kind::Removed),
            unchanged: plan.unchanged,
        }
    }
}

/// `2 to add, 1 to change, 0 to remove, 7 unchanged`.
pub fn summary(plan: &Plan) -> String {
    format!(
        "{} to add, {} to change, {} to remove, {} unchanged",
        plan.count(Kind::Added),
        plan.count(Kind::Changed),
        plan.count(Kind::Removed),
        plan.unchanged
    )
}

/// The plan as a person reads it: `+ key`, `- key`, `~ key` with a unified
/// diff of the value (coloured when `colour`).
pub fn render(plan: &Plan, colour: bool) -> String {
    let paint = |code: &str, text: &str| if colour { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() };
    let mut out = String::new();
    for change in &plan.changes {
        let key = crate::output::escape(change.key.as_str());
        match change.kind() {
            Kind::Added => out.push_str(&paint("32", &format!("+ {key}\n"))),
            Kind::Removed => out.push_str(&paint("31", &format!("- {key}\n"))),
            Kind::Changed => {
                out.push_str(&paint("33", &format!("~ {key}\n")));
                out.push_str(&value_diff(change, &paint));
            }
        }
    }
    for key in &plan.skipped {
        out.push_str(&format!("! {} (ovs cannot address this key; left as it is)\n", crate::output::escape(key)));
    }
    out
}

fn value_diff(change: &Change, paint: &dyn Fn(&str, &str) -> String) -> String {
    let (Some(old), Some(new)) = (&change.old, &change.new) else { return String::new() };
    let (Ok(a), Ok(b)) = (std::str::from_utf8(&old.value), std::str::from_utf8(new)) else {
        return format!("    (binary: {} bytes -> {} bytes)\n", old.value.len(), new.len());
    };
    let diff = similar::TextDiff::from_lines(a, b);
    let mut out = String::new();
    for line in diff.unified_diff().context_radius(2).to_string().lines() {
        let line = crate::output::escape(line);
        let painted = match line.chars().next() {
            Some('+') => paint("32", &line),
            Some('-') => paint("31", &line),
            Some('@') => paint("36", &line),
            _ => line.into_owned(),
        };
        out.push_str(&format!("    {painted}\n"));
    }
    out
}
