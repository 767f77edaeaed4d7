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
use crate::store::{self, Key, Store, Write};

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

/// Deliver what can be of `entry`, removing from it what is settled; on an
/// error before the commit, the entry stays whole.
fn deliver(ctx: &Ctx, entry: &mut Entry, done: &mut Retried) -> Result<()> {
    let target = ctx.settings.target(&entry.store)?;
    let store = target.store()?;
    let mut writes = Vec::new();
    let mut settled = Vec::new();
    for (i, pending) in entry.writes.iter().enumerate() {
        let key = Key::parse(&pending.key)?;
        let current = fanout::current(store, &key)?;
        let wanted = pending.value.as_ref().map(|v| v.0.as_slice());
        if current.as_ref().map(|c| c.value.as_slice()) == wanted {
            settled.push((i, true));
            continue;
        }
        let as_it_was = match &pending.expect {
            Expect::Revision(rev) => current.as_ref().is_some_and(|c| c.revision.0 == *rev),
            Expect::Absent => current.is_none(),
            Expect::Value(value) => current.as_ref().is_some_and(|c| c.value == value.0),
        };
        if !as_it_was {
            settled.push((i, false));
            continue;
        }
        let cond = guard(&current);
        writes.push((
            i,
            match wanted {
                Some(value) => {
                    check(ctx, store, &key, value)?;
                    Write::put(&key, value, cond)
                }
                None => Write::delete(&key, cond),
            },
        ));
    }
    let batch: Vec<Write> = writes.iter().map(|(_, w)| w.clone()).collect();
    let result = if batch.is_empty() { Ok(()) } else { store.commit(&batch).map(drop) };
    let delivered: Vec<usize> = match result {
        Ok(()) => writes.iter().map(|(i, _)| *i).collect(),
        Err(_) => Vec::new(),
    };
    let mut gone = vec![false; entry.writes.len()];
    for (i, already) in settled {
        let list = if already { &mut done.already } else { &mut done.superseded };
        list.push(entry.writes[i].key.clone());
        gone[i] = true;
    }
    for i in delivered {
        done.delivered.push(entry.writes[i].key.clone());
        gone[i] = true;
    }
    let mut index = 0;
    entry.writes.retain(|_| {
        index += 1;
        !gone[index - 1]
    });
    Ok(result?)
}

/// A value kept in the outbox passes today's checks before it is written.
fn check(ctx: &Ctx, store: &dyn Store, key: &Key, value: &[u8]) -> Result<()> {
    store::check_value_size(store.describe(), &store.capabilities(), value, ctx.max_value_size)?;
    ctx.registry.check(key, value).map_err(|r| Coded::copy_of(&r.of_write().into()))?;
    Ok(())
}

/// How messages name a kept store URL (no user).
fn store_name(given: &str) -> String {
    store::StoreUrl::parse(given).map_or_else(|_| store::masked(given), |url| url.to_string())
}
