//! `outbox` lists the writes some stores missed; `retry` delivers each one
//! only where its key is still what it was when the write failed there: a
//! key changed since is left alone and the write reported as superseded
//! (and dropped: replaying it would undo the newer write).

use anyhow::Result;
use serde::Serialize;

use super::fanout;
use super::set::guard;
use super::Ctx;
use crate::cli::{OutboxArgs, RetryArgs};
use crate::exit::Coded;
use crate::outbox::{self, Entry, Expect};
use crate::output::{escape, Format};
use crate::store::{self, Key, Write};

pub fn list(ctx: &Ctx, args: &OutboxArgs) -> Result<()> {
    let entries = outbox::entries()?;
    if args.output != Format::Plain {
        let views: Vec<serde_json::Value> = entries
            .iter()
            .map(|e| {
                let mut view = serde_json::to_value(e).unwrap_or_default();
                view["id"] = e.id.clone().into();
                view
            })
            .collect();
        return ctx.out.json(&views);
    }
    if entries.is_empty() {
        ctx.out.note("the outbox is empty");
    }
    for entry in &entries {
        let keys: Vec<String> = entry
            .writes
            .iter()
            .map(|w| format!("{} {}", if w.value.is_some() { "PUT" } else { "DELETE" }, escape(&w.key)))
            .collect();
        println!(
            "{}  {}  {}  {}  ({})",
            entry.id,
            escape(&store_name(&entry.store)),
            entry.command,
            keys.join(", "),
            escape(&entry.error)
        );
    }
    Ok(())
}

/// What became of one outbox entry.
#[derive(Default, Serialize)]
struct Retried {
    id: String,
    store: String,
    delivered: Vec<String>,
    superseded: Vec<String>,
    /// The store held the value already (the write landed after all, or
    /// someone wrote the same).
    already: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit: Option<u8>,
}

pub fn retry(ctx: &Ctx, args: &RetryArgs) -> Result<()> {
    let mut failures = Vec::new();
    let mut report = Vec::new();
    for mut entry in outbox::entries()? {
        let mut done = Retried { id: entry.id.clone(), store: store_name(&entry.store), ..Retried::default() };
        if let Err(e) = deliver(ctx, &mut entry, &mut done) {
            ctx.out.warn(format!("{} {}: still pending: {e:#}", done.id, done.store));
            done.error = Some(format!("{e:#}"));
            done.exit = Some(crate::exit::classify(&e) as u8);
            failures.push(e);
        }
        // What was delivered, superseded or already there leaves the outbox
        // even when the rest failed.
        outbox::update(&entry)?;
        if !done.superseded.is_empty() {
            ctx.out.warn(format!(
                "{} {}: superseded (the key changed since; not replayed): {}",
                done.id,
                done.store,
                done.superseded.join(", ")
            ));
        }
        ctx.out.note(format!(
            "{} {}: {} delivered, {} superseded, {} already there",
            done.id,
            done.store,
            done.delivered.len(),
            done.superseded.len(),
            done.already.len()
        ));
        report.push(done);
    }
    if report.is_empty() {
        ctx.out.note("the outbox is empty; nothing to retry");
    }
    if args.output != Format::Plain {
        ctx.out.json(&report)?;
    }
    if failures.is_empty() {
        return Ok(());
    }
    let code = fanout::most_severe(failures.iter());
    Err(Coded { message: format!("{} outbox entr(ies) still pending (see above)", failures.len()), code }.into())
}

/// What `retry` makes of one pending write.
enum Fate {
    /// The store holds the value already.
    Already,
    /// The key changed since the write failed: a newer write wins.
    Superseded,
    Deliver,
}

/// Deliver what can be of `entry`, removing from it what is settled; on an
/// error before the commit, the entry stays whole.
fn deliver(ctx: &Ctx, entry: &mut Entry, done: &mut Retried) -> Result<()> {
    let target = ctx.settings.target(&entry.store)?;
    let store = target.store()?;
    let (mut fates, mut batch, mut puts) = (Vec::new(), Vec::new(), Vec::new());
    for pending in &entry.writes {
        let key = Key::parse(&pending.key)?;
        let current = fanout::current(store, &key)?;
        let wanted = pending.value.as_ref().map(|v| v.0.as_slice());
        let as_it_was = match &pending.expect {
            Expect::Revision(rev) => current.as_ref().is_some_and(|c| c.revision.0 == *rev),
            Expect::Absent => current.is_none(),
            Expect::Value(value) => current.as_ref().is_some_and(|c| c.value == value.0),
        };
        fates.push(match (current.as_ref().map(|c| c.value.as_slice()) == wanted, as_it_was) {
            (true, _) => Fate::Already,
            (false, false) => Fate::Superseded,
            (false, true) => Fate::Deliver,
        });
        if let Some(Fate::Deliver) = fates.last() {
            let cond = guard(&current);
            batch.push(match wanted {
                Some(value) => Write::put(&key, value, cond),
                None => Write::delete(&key, cond),
            });
            if let Some(value) = wanted {
                puts.push((key, value.to_vec()));
            }
        }
    }
    // A kept value passes today's limits and validators before it is written.
    ctx.check_entries(std::slice::from_ref(&target), &puts)?;
    let result = if batch.is_empty() { Ok(()) } else { store.commit(&batch).map(drop) };
    let mut fates = fates.into_iter();
    entry.writes.retain(|w| {
        let list = match fates.next() {
            Some(Fate::Already) => &mut done.already,
            Some(Fate::Superseded) => &mut done.superseded,
            Some(Fate::Deliver) if result.is_ok() => &mut done.delivered,
            _ => return true,
        };
        list.push(w.key.clone());
        false
    });
    Ok(result?)
}

/// How messages name a kept store URL (no user).
fn store_name(given: &str) -> String {
    store::StoreUrl::parse(given).map_or_else(|_| store::masked(given), |url| url.to_string())
}
