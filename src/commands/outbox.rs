//! `outbox` lists the writes some stores missed; `retry` delivers each one
//! only where its key is still what it was when the write failed there: a
//! key changed since is left alone and the write reported as superseded
//! (and dropped: replaying it would undo the newer write).

use std::io::Write as _;

use anyhow::Result;
use serde::Serialize;

use crate::exit::Coded;
use crate::output::{escape, Plain, Report};
use crate::pipeline::replay::{self, store_name, Retried};
use crate::pipeline::wal::{Entry, Outbox, State};
use crate::pipeline::{fanout, Ctx};

/// The outbox's entries, oldest first, then the files set aside as damaged.
struct Listing {
    entries: Vec<(State, Entry)>,
    damaged: Vec<String>,
}

/// One entry for scripts: as kept, with its id and state.
#[derive(Serialize)]
#[serde(untagged)]
enum Row<'a> {
    Entry {
        id: &'a str,
        state: &'static str,
        #[serde(flatten)]
        entry: &'a Entry,
    },
    Damaged {
        file: &'a str,
        state: &'static str,
    },
}

impl Serialize for Listing {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let entries =
            self.entries.iter().map(|(state, entry)| Row::Entry { id: &entry.id, state: state_json(*state), entry });
        let damaged = self.damaged.iter().map(|file| Row::Damaged { file, state: "damaged" });
        serializer.collect_seq(entries.chain(damaged))
    }
}

/// A line per entry: id, store, command, writes, and why it is there.
impl Report for Listing {
    fn plain(&self, out: &mut Plain<'_>) -> std::io::Result<()> {
        for (state, entry) in &self.entries {
            let keys: Vec<String> = entry
                .writes
                .iter()
                .map(|w| format!("{} {}", if w.value.is_some() { "PUT" } else { "DELETE" }, escape(&w.key)))
                .collect();
            let why = match state {
                State::Pending => escape(&entry.error).into_owned(),
                other => state_plain(*other).to_string(),
            };
            writeln!(
                out,
                "{}  {}  {}  {}  ({why})",
                entry.id,
                escape(&store_name(&entry.store)),
                entry.command,
                keys.join(", "),
            )?;
        }
        for name in &self.damaged {
            writeln!(out, "{}  damaged: set aside, never retried (read it, then remove it)", escape(name))?;
        }
        Ok(())
    }
}

pub fn list(ctx: &Ctx) -> Result<()> {
    let mut listing = Listing { entries: Vec::new(), damaged: Vec::new() };
    if let Some(outbox) = Outbox::existing()? {
        let mut locked = outbox.lock()?;
        let scan = locked.scan()?;
        fanout::say_set_aside(ctx, &mut locked);
        listing.entries = scan.entries.into_iter().map(|e| (locked.state(&e), e)).collect();
        listing.damaged = scan.damaged;
    }
    if listing.entries.is_empty() && listing.damaged.is_empty() {
        ctx.out.note("the outbox is empty");
    }
    ctx.out.print(&listing)
}

fn state_json(state: State) -> &'static str {
    match state {
        State::Pending => "pending",
        State::InFlight => "in_flight",
        State::MaybeApplied => "maybe_applied",
        State::Abandoned => "abandoned",
    }
}

fn state_plain(state: State) -> &'static str {
    match state {
        State::Pending => "pending",
        State::InFlight => "in flight in another ovs",
        State::MaybeApplied => "maybe applied: its writer stopped before the store answered",
        State::Abandoned => "void: its writer stopped before writing any store; retry removes it",
    }
}

/// What became of each entry; a person read it in the notes.
#[derive(Serialize)]
#[serde(transparent)]
struct Retries(Vec<Retried>);

impl Report for Retries {
    fn plain(&self, _: &mut Plain<'_>) -> std::io::Result<()> {
        Ok(())
    }
}

/// Deliver every entry, oldest first, each under the outbox lock from
/// reading it to settling it: two `retry` never both deliver one, and an
/// entry one settled is never written back by the other.
pub fn retry(ctx: &Ctx) -> Result<()> {
    let mut failures = Vec::new();
    let mut report = Vec::new();
    let outbox = Outbox::existing()?;
    let ids: Vec<String> = match &outbox {
        Some(outbox) => {
            let mut locked = outbox.lock()?;
            let scan = locked.scan()?;
            fanout::say_set_aside(ctx, &mut locked);
            scan.entries.into_iter().map(|e| e.id).collect()
        }
        None => Vec::new(),
    };
    for id in ids {
        let outbox = outbox.as_ref().expect("ids come from the outbox");
        let mut locked = outbox.lock()?;
        let Some((done, delivered)) = replay::entry(ctx, &mut locked, &id)? else { continue };
        drop(locked);
        if done.in_flight {
            report.push(done);
            continue;
        }
        let store = &done.store;
        if let Err(e) = delivered {
            failures.push(e);
        }
        if !done.superseded.is_empty() {
            ctx.out.warn(format!(
                "{id} {store}: superseded (the key changed since, or a newer write of it is pending; not replayed): {}",
                done.superseded.join(", ")
            ));
        }
        let waiting = match done.waiting.len() {
            0 => String::new(),
            n => format!(", {n} waiting for a newer write under way"),
        };
        ctx.out.note(format!(
            "{id} {store}: {} delivered, {} superseded, {} already there{waiting}",
            done.delivered.len(),
            done.superseded.len(),
            done.already.len()
        ));
        report.push(done);
    }
    if let Some(outbox) = &outbox {
        let mut locked = outbox.lock()?;
        let scan = locked.scan()?;
        locked.forget_ended_runs(&scan.entries)?;
    }
    if report.is_empty() {
        ctx.out.note("the outbox is empty; nothing to retry");
    }
    ctx.out.print(&Retries(report))?;
    if failures.is_empty() {
        return Ok(());
    }
    let code = fanout::most_severe(failures.iter());
    Err(Coded { message: format!("{} outbox entr(ies) still pending (see above)", failures.len()), code }.into())
}
