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
use crate::outbox::{Entry, Expect, Outbox, State};
use crate::output::{escape, Format};
use crate::store::{self, Key, Write};

pub fn list(ctx: &Ctx, args: &OutboxArgs) -> Result<()> {
    let (mut entries, mut damaged) = (Vec::new(), Vec::new());
    if let Some(outbox) = Outbox::existing()? {
        let mut locked = outbox.lock()?;
        let scan = locked.scan()?;
        fanout::say_set_aside(ctx, &mut locked);
        entries = scan.entries.into_iter().map(|e| (locked.state(&e), e)).collect();
        damaged = scan.damaged;
    }
    if args.output != Format::Plain {
        let mut views: Vec<serde_json::Value> = entries
            .iter()
            .map(|(state, e)| {
                let mut view = serde_json::to_value(e).unwrap_or_default();
                view["id"] = e.id.clone().into();
                view["state"] = state_json(*state).into();
                view
            })
            .collect();
        views.extend(damaged.iter().map(|name| serde_json::json!({"file": name, "state": "damaged"})));
        return ctx.out.json(&views);
    }
    if entries.is_empty() && damaged.is_empty() {
        ctx.out.note("the outbox is empty");
    }
    for (state, entry) in &entries {
        let keys: Vec<String> = entry
            .writes
            .iter()
            .map(|w| format!("{} {}", if w.value.is_some() { "PUT" } else { "DELETE" }, escape(&w.key)))
            .collect();
        let why = match state {
            State::Pending => escape(&entry.error).into_owned(),
            other => state_plain(*other).to_string(),
        };
        println!(
            "{}  {}  {}  {}  ({why})",
            entry.id,
            escape(&store_name(&entry.store)),
            entry.command,
            keys.join(", "),
        );
    }
    for name in &damaged {
        println!("{}  damaged: set aside, never retried (read it, then remove it)", escape(name));
    }
    Ok(())
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
    /// Left for a newer write of the key to the store that is under way.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    waiting: Vec<String>,
    /// The whole entry is being written by another live `ovs`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    in_flight: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit: Option<u8>,
}

/// Deliver every entry, oldest first, each under the outbox lock from
/// reading it to settling it: two `retry` never both deliver one, and an
/// entry one settled is never written back by the other.
pub fn retry(ctx: &Ctx, args: &RetryArgs) -> Result<()> {
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
        let scan = locked.scan()?;
        fanout::say_set_aside(ctx, &mut locked);
        // Gone: another process settled it meanwhile.
        let Some(at) = scan.entries.iter().position(|e| e.id == id) else { continue };
        let mut entry = scan.entries[at].clone();
        let store = store_name(&entry.store);
        let mut done = Retried { id: entry.id.clone(), store: store.clone(), ..Retried::default() };
        match locked.state(&entry) {
            State::InFlight => {
                ctx.out.note(format!("{id} {store}: in flight in another ovs; left to it"));
                done.in_flight = true;
                report.push(done);
                continue;
            }
            State::Abandoned => {
                ctx.out.note(format!("{id} {store}: void (its writer stopped before writing any store); removed"));
                locked.remove(&id)?;
                continue;
            }
            State::Pending | State::MaybeApplied => {}
        }
        // Newer entries for the same store, but void ones.
        let newer: Vec<(State, &Entry)> = scan.entries[at + 1..]
            .iter()
            .filter(|e| store_name(&e.store) == store)
            .map(|e| (locked.state(e), e))
            .filter(|(state, _)| *state != State::Abandoned)
            .collect();
        let delivered = deliver(ctx, &mut entry, &newer, &mut done);
        entry.run = None;
        if let Err(e) = &delivered {
            ctx.out.warn(format!("{id} {store}: still pending: {}", crate::exit::message(e)));
            entry.error = crate::exit::message(e);
            done.error = Some(crate::exit::message(e));
            done.exit = Some(crate::exit::classify(e) as u8);
        }
        // What was delivered, superseded or already there leaves the outbox
        // even when the rest failed.
        locked.put(&id, &entry)?;
        drop(locked);
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
    /// The key changed since the write failed (a newer write wins), or a
    /// newer pending write of it to this store stands in for it.
    Superseded,
    /// A newer write of it to this store is under way: left for now.
    Waiting,
    Deliver,
}

/// Deliver what can be of `entry`, removing from it what is settled; on an
/// error before the commit, the entry stays whole. `newer`: the entries for
/// the same store recorded after it.
fn deliver(ctx: &Ctx, entry: &mut Entry, newer: &[(State, &Entry)], done: &mut Retried) -> Result<()> {
    let (mut fates, mut batch, mut puts) = (Vec::new(), Vec::new(), Vec::new());
    let mut opened = None;
    for pending in &entry.writes {
        let key = Key::parse(&pending.key)?;
        let later =
            || newer.iter().filter_map(|(state, e)| Some((state, e.writes.iter().find(|w| w.key == pending.key)?)));
        if later().any(|(state, _)| *state == State::InFlight) {
            fates.push(Fate::Waiting);
            continue;
        }
        // A newer write guarded by what the store itself showed accounts
        // for this one: it alone is delivered (or found superseded).
        if later().any(|(_, w)| w.expect.read_from_store()) {
            fates.push(Fate::Superseded);
            continue;
        }
        let target = match &opened {
            Some(target) => target,
            None => opened.insert(ctx.settings.target(&entry.store)?),
        };
        let current = fanout::current(target.store()?, &key)?;
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
    let result = match &opened {
        Some(target) if !batch.is_empty() => {
            // A kept value passes today's limits and validators before it is written.
            ctx.check_entries(std::slice::from_ref(target), &puts)?;
            target.store()?.commit(&batch).map(drop)
        }
        _ => Ok(()),
    };
    let mut fates = fates.into_iter();
    entry.writes.retain(|w| {
        let list = match fates.next() {
            Some(Fate::Already) => &mut done.already,
            Some(Fate::Superseded) => &mut done.superseded,
            Some(Fate::Waiting) => {
                done.waiting.push(w.key.clone());
                return true;
            }
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
