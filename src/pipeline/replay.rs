//! `retry`'s part below the commands: each outbox entry delivered only
//! where its key is still what it was when the write failed there, under
//! the outbox lock from reading it to settling it.

use anyhow::Result;
use serde::Serialize;

use super::fanout;
use super::wal::{Entry, Expect, Locked, State};
use super::writes::guard;
use super::Ctx;
use crate::store::{self, Key, Write};

/// What became of one outbox entry.
#[derive(Default, Serialize)]
pub struct Retried {
    pub id: String,
    pub store: String,
    pub delivered: Vec<String>,
    pub superseded: Vec<String>,
    /// The store held the value already (the write landed after all, or
    /// someone wrote the same).
    pub already: Vec<String>,
    /// Left for a newer write of the key to the store that is under way.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waiting: Vec<String>,
    /// The whole entry is being written by another live `ovs`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub in_flight: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit: Option<u8>,
}

/// Retry the outbox entry `id`: what became of it and whether its delivery
/// failed, or None when it is gone (another process settled it meanwhile)
/// or was void (removed). What was delivered, superseded or already there
/// leaves the outbox even when the rest failed.
pub fn entry(ctx: &Ctx, locked: &mut Locked, id: &str) -> Result<Option<(Retried, Result<()>)>> {
    let scan = locked.scan()?;
    fanout::say_set_aside(ctx, locked);
    // Gone: another process settled it meanwhile.
    let Some(at) = scan.entries.iter().position(|e| e.id == id) else { return Ok(None) };
    let mut entry = scan.entries[at].clone();
    let store = store_name(&entry.store);
    let mut done = Retried { id: entry.id.clone(), store: store.clone(), ..Retried::default() };
    match locked.state(&entry) {
        State::InFlight => {
            ctx.out.note(format!("{id} {store}: in flight in another ovs; left to it"));
            done.in_flight = true;
            return Ok(Some((done, Ok(()))));
        }
        State::Abandoned => {
            ctx.out.note(format!("{id} {store}: void (its writer stopped before writing any store); removed"));
            locked.remove(id)?;
            return Ok(None);
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
        ctx.out.warn(format!("{id} {store}: still pending: {e:#}"));
        entry.error = format!("{e:#}");
        done.error = Some(format!("{e:#}"));
        done.exit = Some(crate::exit::classify(e) as u8);
    }
    // What was delivered, superseded or already there leaves the outbox
    // even when the rest failed.
    locked.put(id, &entry)?;
    Ok(Some((done, delivered)))
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
pub fn store_name(given: &str) -> String {
    store::StoreUrl::parse(given).map_or_else(|_| store::masked(given), |url| url.to_string())
}
