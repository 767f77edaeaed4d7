//! What `import`, `diff`, `apply` and `edit -r` share: reading a document,
//! checking every value before anything is written, and showing a plan.

use std::io::Read;

use anyhow::{Context, Result};
use serde::Serialize;

use super::Ctx;
use crate::document::{Dialect, Document};
use crate::plan::{self, Applied, Change, Kind, Plan};
use crate::settings::Target;
use crate::store::{Committed, Key, Revision, Store};

/// The document in `file` (`-`: stdin), parsed as `dialect` and placed below
/// `prefix` if given, and checked whole: every key and value, sizes and
/// validators, all before any write.
pub fn read(ctx: &Ctx, file: &str, dialect: Dialect, prefix: Option<&Key>) -> Result<Document> {
    let doc = parse(ctx, file, dialect, prefix)?;
    check(ctx, &doc)?;
    Ok(doc)
}

/// The document in `file`, parsed (every key checked) but its values not
/// validated: what `diff`, a read, shows a plan of.
pub fn parse(ctx: &Ctx, file: &str, dialect: Dialect, prefix: Option<&Key>) -> Result<Document> {
    let bytes = if file == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).context("cannot read the document from stdin")?;
        bytes
    } else {
        std::fs::read(file).with_context(|| format!("cannot read {file}"))?
    };
    let name = if file == "-" { "stdin" } else { file };
    let read = Document::read(&bytes, dialect, name, prefix)?;
    for note in &read.notes {
        ctx.out.note(note);
    }
    Ok(read.doc)
}

/// Sizes first (a huge value is never parsed), then every validator; every
/// refused key is named, not only the first.
pub fn check(ctx: &Ctx, doc: &Document) -> Result<()> {
    ctx.check_entries(ctx.targets, &doc.entries)
}

/// The plan that makes `destination` hold `doc` (with `prune`, and nothing
/// else below its prefix), against one scan of it, once every value passed
/// the destination's checks: a copy's or a mirror's plan.
pub fn plan_onto(ctx: &Ctx, destination: &Target, doc: &Document, prune: bool) -> Result<Plan> {
    let store = destination.store()?;
    ctx.check_entries(std::slice::from_ref(destination), &doc.entries)?;
    Ok(Plan::compute(store.scan(&doc.prefix)?, doc, prune)?)
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

/// Commit a plan of the keys below `prefix` (nothing at all when it changes
/// nothing: revision 0).
pub fn commit_plan(store: &dyn Store, prefix: &Key, plan: &Plan, chunked: bool, quiet: bool) -> Result<Committed> {
    if plan.changes.is_empty() {
        return Ok(Committed { revision: Revision(0), deleted: 0 });
    }
    let applied = commit(store, prefix, &plan.changes, chunked, quiet)?;
    if applied.chunks > 1 {
        tracing::info!(chunks = applied.chunks, "written in atomic chunks");
    }
    Ok(Committed { revision: applied.revision, deleted: plan.count(Kind::Removed) as u64 })
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
    render_at_most(plan, colour, usize::MAX)
}

/// How many lines of a plan `apply` shows before it summarises the rest:
/// about a screenful.
pub const SCREENFUL: usize = 40;

/// As [`render`], but past `most` lines the rest is summarised: how many
/// more changes of each kind, and `-v` to see them all. The changes not
/// shown are not rendered at all, so a plan of any size costs a screenful.
pub fn render_at_most(plan: &Plan, colour: bool, most: usize) -> String {
    let paint = |code: &str, text: &str| if colour { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() };
    let mut out = String::new();
    let mut lines = 0;
    for (shown, change) in plan.changes.iter().enumerate() {
        let key = crate::output::escape(change.key.as_str());
        let text = match change.kind() {
            Kind::Added => paint("32", &format!("+ {key}\n")),
            Kind::Removed => paint("31", &format!("- {key}\n")),
            Kind::Changed => paint("33", &format!("~ {key}\n")) + &value_diff(change, &paint),
        };
        lines += text.lines().count();
        // The first change is always shown, however long its diff.
        if lines > most && shown > 0 {
            let rest = &plan.changes[shown..];
            let count = |kind| rest.iter().filter(|c| c.kind() == kind).count();
            out.push_str(&format!(
                "... and {} more change(s) not shown ({} to add, {} to change, {} to remove); -v shows them all\n",
                rest.len(),
                count(Kind::Added),
                count(Kind::Changed),
                count(Kind::Removed)
            ));
            break;
        }
        out.push_str(&text);
    }
    for key in plan.skipped.iter().take(most) {
        out.push_str(&format!("! {} (ovs cannot address this key; left as it is)\n", crate::output::escape(key)));
    }
    if plan.skipped.len() > most {
        out.push_str(&format!("... and {} more key(s) ovs cannot address\n", plan.skipped.len() - most));
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
