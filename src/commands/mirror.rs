//! `mirror`: make a destination identical to a source below a prefix,
//! deletes included — planned, shown, asked, and committed guarded by the
//! destination revisions planned against — and with `--watch` keep it so by
//! following the source's changes. A source that can resume its watch
//! (etcd) goes on after a restart from the last revision mirrored, kept in
//! the user's state folder, when it still has the history that revision is
//! of (the same cluster id, a revision not below it); any other source, or
//! one rebuilt meanwhile, is compared again, which writes only what
//! differs. A destination that cannot be reached is tried again for as
//! long as the timeout, as the source's watcher does for the source.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::cli::MirrorArgs;
use crate::exit::UsageError;
use crate::output::{Plain, Report};
use crate::pipeline::ride_out::ride_out;
use crate::pipeline::snapshot::snapshot;
use crate::pipeline::until::Until;
use crate::pipeline::{documents, Ctx};
use crate::plan::Plan;
use crate::settings::Target;
use crate::store::{Event, Identity, Key, Precondition, Revision, Scan, StoreError, Update, Write};

/// How often a batch whose guard failed (the destination changed under it)
/// is read again and retried before the mirror gives up.
const RETRIES: usize = 5;

/// How many keys a comparison or a batch of changes wrote, and (following
/// a source that can resume) the source revision mirrored up to; a person
/// read it in a note.
#[derive(Serialize)]
struct Mirrored {
    applied: usize,
    position: Option<u64>,
}

impl Report for Mirrored {
    fn plain(&self, _: &mut Plain<'_>) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn run(ctx: &Ctx, args: &MirrorArgs) -> Result<()> {
    let source = ctx.settings.target(&args.source)?;
    let destination = ctx.settings.target(&args.destination)?;
    if source.name() == destination.name() {
        return Err(UsageError(format!("{} is both the source and the destination", source.name())).into());
    }
    let src = source.store()?;
    if !args.watch {
        let applied = sync(ctx, args, src.scan(&args.prefix)?, &destination, true)?;
        return ctx.out.print(&Mirrored { applied, position: None });
    }
    let state = State::path(&source.name(), &destination.name(), &args.prefix)?;
    let history = if src.capabilities().resume_watch { src.identity()? } else { None };
    let resume = match State::load(&state)? {
        Some(kept) if src.capabilities().resume_watch => match kept.resumable(history.as_ref()) {
            Ok(at) => Some(at),
            Err(why) => {
                ctx.out.warn(format!(
                    "{}: not resuming from revision {}: {why}; comparing the whole prefix again",
                    source.name(),
                    kept.position
                ));
                None
            }
        },
        _ => None,
    };
    let history = history.map(|h| h.id);
    // The watch starts before the first comparison so that nothing changed
    // during it is lost (a change seen twice is written once); a watcher
    // that reports differences from its own read is compared from that read.
    let mut watcher = match resume {
        Some(at) => {
            ctx.out.note(format!("resuming from {} revision {at}", source.name()));
            src.watch(&args.prefix, Some(at))?
        }
        None => {
            let watcher = src.watch(&args.prefix, None)?;
            let source = match watcher.seen() {
                Some(seen) => seen,
                None => src.scan(&args.prefix)?,
            };
            sync(ctx, args, source, &destination, true)?;
            watcher
        }
    };
    let until = Until::new(ctx);
    loop {
        let Some(wait) = until.next_wait() else { return Ok(()) };
        let Some(update) = watcher.next(wait)? else { continue };
        let applied = match &update {
            Update::Resynced { complete: false, compacted, .. } => {
                ctx.out.warn(format!(
                    "{}: changes since revision {compacted} are compacted away; comparing the whole prefix again",
                    source.name()
                ));
                ride_out(ctx, destination.name(), ctx.settings.timeout(), || {
                    sync(ctx, args, src.scan(&args.prefix)?, &destination, false)
                })?
            }
            // Each attempt reads the destination again and writes guarded by
            // what it holds, so one that landed without an answer is not
            // written twice.
            _ => ride_out(ctx, destination.name(), ctx.settings.timeout(), || {
                follow(ctx, &destination, update.events())
            })?,
        };
        if let Some(at) = watcher.position() {
            State::save(&state, at, history.clone())?;
        }
        ctx.out.note(format!("mirrored {applied} change(s) to {}", destination.name()));
        ctx.out.each(&Mirrored { applied, position: watcher.position().map(|r| r.0) })?;
    }
}

/// Plan the destination against the source, show it, ask (the first time),
/// and commit it guarded; returns how many keys changed.
/// `source` is the source's subtree.
fn sync(ctx: &Ctx, args: &MirrorArgs, source: Scan, destination: &Target, ask: bool) -> Result<usize> {
    let (doc, skipped) = snapshot(source, &args.prefix, &args.prefix)?;
    if !skipped.is_empty() {
        ctx.out.warn(format!("{} source key(s) ovs cannot address are not mirrored", skipped.len()));
    }
    let plan = documents::plan_onto(ctx, destination, &doc, true)?;
    let dst = destination.store()?;
    if plan.changes.is_empty() {
        ctx.out.note(format!("{}: already identical ({} keys)", dst.describe(), plan.unchanged));
        return Ok(0);
    }
    if ask {
        confirm(ctx, args, &plan)?;
    }
    let committed = documents::commit_plan(dst, &args.prefix, &plan, args.chunked, ctx.out.is_quiet())?;
    ctx.out.note(format!(
        "{} written at revision {}: {}",
        dst.describe(),
        committed.revision,
        documents::summary(&plan)
    ));
    Ok(plan.changes.len())
}

fn confirm(ctx: &Ctx, args: &MirrorArgs, plan: &Plan) -> Result<()> {
    if ctx.out.is_plain() {
        ctx.out.show(&documents::render(plan, ctx.out.colour_stderr()));
    }
    if args.yes {
        return Ok(());
    }
    if !ctx.interactive {
        return Err(UsageError(format!(
            "refusing to mirror ({}) without --yes (stdin is not a terminal); nothing written",
            documents::summary(plan)
        ))
        .into());
    }
    let question = format!("Mirror: {}?", documents::summary(plan));
    if !dialoguer::Confirm::new().with_prompt(question).default(false).interact()? {
        anyhow::bail!("declined; nothing written");
    }
    Ok(())
}

/// Write a batch of source changes to the destination: each key to its last
/// state in the batch, guarded by what the destination holds, read again
/// and retried if it changed meanwhile. Returns how many keys changed.
fn follow(ctx: &Ctx, destination: &Target, events: &[Event]) -> Result<usize> {
    let mut last: BTreeMap<Key, Option<&[u8]>> = BTreeMap::new();
    for event in events {
        // A key ovs cannot address was reported by the first comparison.
        if let Ok(key) = Key::parse(&event.key) {
            last.insert(key, event.value.as_deref());
        }
    }
    let puts: Vec<(Key, Vec<u8>)> = last.iter().filter_map(|(k, v)| v.map(|v| (k.clone(), v.to_vec()))).collect();
    ctx.check_entries(std::slice::from_ref(destination), &puts)?;
    let dst = destination.store()?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut writes = Vec::new();
        for (key, wanted) in &last {
            let (now, cond) = match dst.get(key) {
                Ok(item) => (Some(item.value), Precondition::Revision(item.revision)),
                Err(StoreError::NotFound { .. }) => (None, Precondition::Absent),
                Err(e) => return Err(e.into()),
            };
            match wanted {
                Some(value) if now.as_deref() != Some(*value) => writes.push(Write::put(key, value, cond)),
                None if now.is_some() => writes.push(Write::delete(key, cond)),
                _ => {}
            }
        }
        if writes.is_empty() {
            return Ok(0);
        }
        match dst.commit(&writes) {
            Ok(_) => return Ok(writes.len()),
            Err(StoreError::Conflict { .. }) if attempt < RETRIES => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Where a mirror has got to, kept between runs of `mirror --watch`, in a
/// private folder (0700, refused if others can write it): its position is
/// what the next run trusts to skip a full comparison.
#[derive(Clone, Serialize, Deserialize)]
struct State {
    source: String,
    destination: String,
    prefix: String,
    position: u64,
    /// Which history of the source `position` is a revision of (etcd: the
    /// cluster id); absent in files written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    history: Option<String>,
}

impl State {
    fn path(source: &str, destination: &str, prefix: &Key) -> Result<(PathBuf, State)> {
        let dir = crate::files::state_dir("mirror", "the mirror state")?;
        crate::files::private_dir(&dir, "the mirror state folder")?;
        let id: String = format!("{source} {destination} {prefix}")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let state = State {
            source: source.to_string(),
            destination: destination.to_string(),
            prefix: prefix.as_str().to_string(),
            position: 0,
            history: None,
        };
        Ok((dir.join(format!("{id}.json")), state))
    }

    /// What a run of this same mirror saved, if any.
    fn load((path, this): &(PathBuf, State)) -> Result<Option<State>> {
        crate::files::check_trusted(path, "the mirror state file")?;
        let text = match std::fs::read(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let kept: State = serde_json::from_slice(&text)
            .with_context(|| format!("{} is damaged; remove it to mirror from scratch", path.display()))?;
        let same =
            (kept.source == this.source) && (kept.destination == this.destination) && (kept.prefix == this.prefix);
        Ok(same.then_some(kept))
    }

    /// The position to resume from, if the source still has the history it
    /// was saved on: the same history id, at a revision not below it (a
    /// store rebuilt from scratch, or restored from an older backup, starts
    /// again below it). Else why not.
    fn resumable(&self, now: Option<&Identity>) -> Result<Revision, String> {
        let Some(now) = now else { return Err("the source cannot tell whether its history is the same".into()) };
        let Some(kept) = &self.history else {
            return Err("the saved position does not say which history it is of".into());
        };
        if *kept != now.id {
            return Err(format!("the source is another store now (id {}, the position was saved on {kept})", now.id));
        }
        if now.revision.0 < self.position {
            return Err(format!(
                "the source is at revision {}, below the saved position: it was rebuilt or restored",
                now.revision
            ));
        }
        Ok(Revision(self.position))
    }

    fn save((path, this): &(PathBuf, State), at: Revision, history: Option<String>) -> Result<()> {
        let text = serde_json::to_vec(&State { position: at.0, history, ..this.clone() })?;
        crate::files::write_atomic(path, &text).with_context(|| format!("cannot write {}", path.display()))
    }
}
