//! A write to every store named with `--store`: read and committed on each
//! store concurrently, each under its own preconditions and timeout, so one
//! store failing never stops the others. With several stores the outbox is
//! a write-ahead log: every store's intent is recorded before any commit
//! starts, and settled as the store answers, so whatever stops `ovs`, each
//! store not confirmed is left for `retry`. A write that landed makes older
//! pending writes of its keys there stale.

use std::time::Duration;

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::wal::{self, Expect, Outbox, Pending, Run};
use super::Ctx;
use crate::document::DocValue;
use crate::exit::{self, Coded, Exit};
use crate::interrupt;
use crate::pipeline::report::{StoreOutcome, WriteReport};
use crate::plan::Change;
use crate::settings::Target;
use crate::store::{Committed, Entry, Key, Store, StoreError};

/// One kind of write, as each store sees it.
pub trait Fanned: Sync {
    /// What the store holds of the keys the write touches (its guards).
    type Seen: Send + Sync;
    /// Read it from one store.
    fn read(&self, store: &dyn Store) -> Result<Self::Seen>;
    /// The changes the write makes to a store that holds `seen`.
    fn changes(&self, seen: &Self::Seen) -> Vec<Change>;
    /// Make them, guarded by what was seen.
    fn commit(&self, store: &dyn Store, seen: &Self::Seen) -> Result<Committed>;
}

/// What one store held, or why it could not be read.
pub type Read<S> = Result<S, anyhow::Error>;

/// Read every store at once, in the order named.
pub fn read_all<F: Fanned>(ctx: &Ctx, write: &F) -> Vec<Read<F::Seen>> {
    each(ctx.targets, |target| write.read(target.store()?))
}

/// For a write whose commit needs nothing read (a `set` or `delete` of one
/// key with the user's own precondition): what each store holds is read only
/// when there are several, for the outbox; with one store `blank` stands in,
/// and the write stays one round trip.
pub fn read_for_outbox<F: Fanned>(ctx: &Ctx, write: &F, blank: F::Seen) -> Vec<Read<F::Seen>> {
    match ctx.targets.len() {
        1 => vec![Ok(blank)],
        _ => read_all(ctx, write),
    }
}

/// How a write went on one store.
pub struct Outcome {
    pub store: String,
    pub result: Result<Committed>,
}

/// Commit on every store that could be read (one that could not has failed
/// already), at once. With one store its error is returned as it is: there
/// is nothing to converge, and no outbox. With several, the write is first
/// recorded in the outbox for every store (a write-ahead log: see
/// [`super::wal`]), each store's entry is settled as it answers, and each
/// store's outcome is returned — the caller reports, then calls [`finish`].
/// A stop signal while the stores answer settles what answered, keeps the
/// rest, and ends the process (128 + signal).
pub fn commit_all<F: Fanned>(ctx: &Ctx, command: &str, write: &F, seen: &[Read<F::Seen>]) -> Result<Vec<Outcome>> {
    let jobs: Vec<(&Target, &Read<F::Seen>)> = ctx.targets.iter().zip(seen).collect();
    if let [(target, seen)] = jobs.as_slice() {
        let committed = match seen {
            Ok(seen) => write.commit(target.store()?, seen)?,
            Err(e) => return Err(Coded::copy_of(e)),
        };
        if let Ok(seen) = seen {
            drop_stale(ctx, target, &write.changes(seen));
        }
        return Ok(vec![Outcome { store: target.name(), result: Ok(committed) }]);
    }
    let reference = jobs.iter().find_map(|(_, seen)| seen.as_ref().ok()).map(|seen| write.changes(seen));
    let intents: Vec<Vec<Pending>> = jobs
        .iter()
        .map(|(_, seen)| pending(seen.as_ref().ok().map(|s| write.changes(s)), reference.as_deref()))
        .collect();
    let catching = interrupt::catch();
    let mut wal = Wal::record(ctx, command, &jobs, intents)?;
    if let Some(signal) = catching.caught() {
        // No commit has started: nothing to keep.
        wal.discard(ctx);
        ctx.out.warn(format!("interrupted by {}: nothing written", interrupt::name(signal)));
        interrupt::exit(signal);
    }
    let mut results: Vec<Option<Result<Committed>>> = jobs.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let (send, answers) = std::sync::mpsc::channel();
        for (i, (target, seen)) in jobs.iter().enumerate() {
            let send = send.clone();
            scope.spawn(move || {
                let job = || match seen {
                    Ok(seen) => write.commit(target.store()?, seen),
                    Err(e) => Err(Coded::copy_of(e)),
                };
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("the write to this store panicked")));
                let _ = send.send((i, result));
            });
        }
        drop(send);
        loop {
            if let Some(signal) = catching.caught() {
                wal.interrupted(ctx, signal, &results);
                interrupt::exit(signal);
            }
            match answers.recv_timeout(SIGNAL_POLL) {
                Ok((i, result)) => {
                    if result.is_ok() {
                        wal.landed(ctx, i);
                    }
                    results[i] = Some(result);
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
    });
    wal.finish(ctx, &results);
    drop(wal);
    if let Some(signal) = catching.caught() {
        // Caught after every store answered and was settled.
        interrupt::exit(signal);
    }
    drop(catching);
    Ok(jobs
        .iter()
        .zip(results)
        .map(|((target, _), result)| Outcome {
            store: target.name(),
            result: result.unwrap_or_else(|| Err(anyhow::anyhow!("no answer from this store"))),
        })
        .collect())
}

/// How soon a stop signal is noticed while stores are answering.
const SIGNAL_POLL: Duration = Duration::from_millis(20);

/// One write's entries in the outbox, one per store that has something to
/// take, from before any commit starts until each store is settled.
struct Wal {
    outbox: Outbox,
    /// Held until every entry is settled: while it is, the entries are in
    /// flight and `retry` leaves them alone.
    run: Option<Run>,
    /// Per store: its name, its entry's id (None: nothing to take there),
    /// and the keys the write touches there.
    stores: Vec<(String, Option<String>, Vec<String>)>,
}

impl Wal {
    /// Record every store's intent durably, or fail with nothing written
    /// anywhere.
    fn record<S>(ctx: &Ctx, command: &str, jobs: &[(&Target, &Read<S>)], intents: Vec<Vec<Pending>>) -> Result<Wal> {
        let outbox = Outbox::open().context("cannot record the write in the outbox; nothing written")?;
        let mut wal = Wal { outbox, run: None, stores: Vec::new() };
        let recorded = wal.add_all(ctx, command, jobs, intents);
        if let Err(e) = recorded {
            wal.discard(ctx);
            return Err(e.context("cannot record the write in the outbox; nothing written"));
        }
        Ok(wal)
    }

    fn add_all<S>(
        &mut self,
        ctx: &Ctx,
        command: &str,
        jobs: &[(&Target, &Read<S>)],
        intents: Vec<Vec<Pending>>,
    ) -> Result<()> {
        let mut locked = self.outbox.lock()?;
        let run = locked.start_run()?;
        let created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        for ((target, _), writes) in jobs.iter().zip(intents) {
            let keys = writes.iter().map(|w| w.key.clone()).collect();
            let id = match writes.is_empty() {
                true => None,
                false => Some(locked.add(&wal::Entry {
                    id: String::new(),
                    created: created.clone(),
                    command: command.to_string(),
                    store: target.given.clone(),
                    run: Some(run.name.clone()),
                    error: String::new(),
                    writes,
                })?),
            };
            self.stores.push((target.name(), id, keys));
        }
        self.run = Some(run);
        if let Some(run) = &mut self.run {
            run.ready()?;
        }
        say_set_aside(ctx, &mut locked);
        Ok(())
    }

    /// Store `i` took the write: its entry goes, and with it the older
    /// pending writes of its keys there.
    fn landed(&self, ctx: &Ctx, i: usize) {
        let (store, Some(id), keys) = &self.stores[i] else { return };
        let settled = self.outbox.lock().and_then(|mut locked| {
            locked.remove(id)?;
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            let dropped = locked.supersede(store, &keys, id)?;
            say_set_aside(ctx, &mut locked);
            Ok(dropped)
        });
        match settled {
            Ok(0) => {}
            Ok(dropped) => ctx
                .out
                .note(format!("{store}: {dropped} older pending write(s) in the outbox are superseded by this one")),
            Err(e) => ctx.out.warn(format!("warning: {store}: written, but the outbox could not be settled: {e:#}")),
        }
    }

    /// Every store answered: the entries of the ones that failed are kept
    /// for `retry` when the write landed somewhere, else removed (nothing
    /// diverged).
    fn finish(&mut self, ctx: &Ctx, results: &[Option<Result<Committed>>]) {
        let landed = results.iter().any(|r| matches!(r, Some(Ok(_))));
        let settled = self.outbox.lock().and_then(|mut locked| {
            for ((store, id, _), result) in self.stores.iter().zip(results) {
                let Some(id) = id else { continue };
                match result {
                    Some(Ok(_)) => {}
                    Some(Err(_)) if !landed => locked.remove(id)?,
                    Some(Err(e)) => {
                        if keep(&mut locked, id, format!("{e:#}"))? {
                            ctx.out.note(format!("{store}: kept in the outbox as {id}"));
                        }
                    }
                    None => {
                        keep(&mut locked, id, "no answer from this store; it may already hold the value".into())?;
                    }
                }
            }
            say_set_aside(ctx, &mut locked);
            Ok(())
        });
        if let Err(e) = settled {
            ctx.out.warn(format!("warning: the outbox could not be settled (retry will check each store): {e:#}"));
        }
        self.run = None;
    }

    /// A stop signal while stores were answering: what answered is settled
    /// already or now, the rest is kept as maybe applied.
    fn interrupted(&mut self, ctx: &Ctx, signal: i32, results: &[Option<Result<Committed>>]) {
        let name = interrupt::name(signal);
        let settled = self.outbox.lock().and_then(|mut locked| {
            for ((_, id, _), result) in self.stores.iter().zip(results) {
                let Some(id) = id else { continue };
                let why = match result {
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => format!("{e:#}"),
                    None => format!("interrupted by {name} before this store answered; it may already hold the value"),
                };
                keep(&mut locked, id, why)?;
            }
            Ok(())
        });
        if let Err(e) = settled {
            ctx.out.warn(format!("warning: the outbox could not be settled (retry will check each store): {e:#}"));
        }
        let written = results.iter().filter(|r| matches!(r, Some(Ok(_)))).count();
        ctx.out.warn(format!(
            "interrupted by {name}: written to {written} of {} stores; the others are kept in the outbox (ovs config retry)",
            results.len()
        ));
        self.run = None;
    }

    /// Remove every entry recorded (before any commit started). Entries
    /// that cannot be removed stay void: their run file, left behind, says
    /// it never became ready.
    fn discard(&mut self, ctx: &Ctx) {
        let removed = self.outbox.lock().and_then(|locked| {
            for (_, id, _) in &self.stores {
                if let Some(id) = id {
                    locked.remove(id)?;
                }
            }
            Ok(())
        });
        if let Err(e) = removed {
            ctx.out.warn(format!("warning: the outbox could not be cleaned up: {e:#}"));
            if let Some(mut run) = self.run.take() {
                if run.unready().is_ok() {
                    run.leave_file();
                }
            }
        }
        self.run = None;
    }
}

/// Mark entry `id` pending with `why`, out of its run — if it is still
/// there: another process may have settled it (then it stays settled).
fn keep(locked: &mut wal::Locked, id: &str, why: String) -> Result<bool> {
    let Some(mut entry) = locked.read(id)? else { return Ok(false) };
    entry.run = None;
    entry.error = why;
    locked.put(id, &entry)?;
    Ok(true)
}

/// Show the outbox files just set aside as damaged.
pub fn say_set_aside(ctx: &Ctx, locked: &mut wal::Locked) {
    for line in locked.set_aside() {
        ctx.out.warn(line);
    }
}

/// The error for outcomes where some store failed (None when all
/// succeeded): it names each failed store and why, and exits with the most
/// severe of their codes.
pub fn finish(outcomes: &[Outcome]) -> Result<()> {
    let failed: Vec<(&str, &anyhow::Error)> =
        outcomes.iter().filter_map(|o| o.result.as_ref().err().map(|e| (o.store.as_str(), e))).collect();
    if failed.is_empty() {
        return Ok(());
    }
    let code = most_severe(failed.iter().map(|(_, e)| *e));
    let reasons: Vec<String> = failed.iter().map(|(store, e)| naming(store, e)).collect();
    let written = outcomes.len() - failed.len();
    let kept = if written > 0 { "; kept in the outbox (ovs config retry)" } else { "" };
    Err(exit::Coded {
        message: format!("written to {written} of {} stores; failed: {}{kept}", outcomes.len(), reasons.join("; ")),
        code,
    }
    .into())
}

/// Which failure of several stores decides the exit code: an unknown
/// failure first, then unreachable, conflict, not found, rejected, usage.
pub fn most_severe<'a>(errors: impl Iterator<Item = &'a anyhow::Error>) -> Exit {
    errors.map(exit::classify).max_by_key(|c| severity(*c)).unwrap_or(Exit::Failure)
}

fn severity(code: Exit) -> u8 {
    match code {
        Exit::Failure => 6,
        Exit::Unreachable => 5,
        Exit::Conflict => 4,
        Exit::NotFound => 3,
        Exit::Rejected => 2,
        Exit::Usage => 1,
        Exit::Ok | Exit::Differs => 0,
    }
}

impl Outcome {
    /// This store's part of the report, with `detail` of what it committed.
    pub fn reported<D>(&self, detail: impl Fn(&Committed) -> Option<D>) -> StoreOutcome<'_, D> {
        StoreOutcome {
            store: &self.store,
            detail: self.result.as_ref().ok().and_then(detail),
            result: self.result.as_ref().map(|c| Some(c.revision)),
        }
    }
}

/// How a write of one key (or subtree) went: with one store a note, with
/// several a line per store; the report (`detail` of what each store
/// committed) to the printer; and the error if any store failed.
pub fn report<D: Serialize>(
    ctx: &Ctx,
    key: &Key,
    outcomes: &[Outcome],
    note: impl Fn(&Committed) -> String,
    detail: impl Fn(&Committed) -> Option<D>,
) -> Result<()> {
    if let [one] = outcomes {
        let committed = one.result.as_ref().map_err(Coded::copy_of)?;
        ctx.out.note(note(committed));
    } else {
        note_each(ctx, outcomes, note);
    }
    let stores = outcomes.iter().map(|o| o.reported(&detail)).collect();
    ctx.out.print(&WriteReport { key: key.as_str(), stores })?;
    finish(outcomes)
}

/// A line per store on stderr: `STORE: <what>` or `STORE: failed: <why>`.
pub fn note_each(ctx: &Ctx, outcomes: &[Outcome], what: impl Fn(&Committed) -> String) {
    for o in outcomes {
        match &o.result {
            Ok(c) => ctx.out.note(format!("{}: {}", o.store, what(c))),
            Err(e) => ctx.out.warn(format!("failed: {}", naming(&o.store, e))),
        }
    }
}

/// The key's current value and revision, None when it is missing.
pub fn current(store: &dyn Store, key: &Key) -> Result<Option<Entry>, StoreError> {
    match store.get(key) {
        Ok(item) => Ok(Some(Entry { key: key.as_str().to_string(), value: item.value, revision: item.revision })),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `STORE: why`, without naming the store twice (store errors name it).
fn naming(store: &str, e: &anyhow::Error) -> String {
    let why = format!("{e:#}");
    if why.starts_with(store) {
        why
    } else {
        format!("{store}: {why}")
    }
}

/// Run `job` on every item at once, answers in the items' order.
fn each<T: Sync, R: Send>(items: &[T], job: impl Fn(&T) -> Result<R> + Sync) -> Vec<Result<R>> {
    if let [one] = items {
        return vec![job(one)];
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = items.iter().map(|item| scope.spawn(|| job(item))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("the write to this store panicked"))))
            .collect()
    })
}

/// A write that landed on one store makes older pending writes of its keys
/// there stale. Housekeeping: a failure is a warning, never the write's
/// outcome.
fn drop_stale(ctx: &Ctx, target: &Target, changes: &[Change]) {
    let keys: Vec<&str> = changes.iter().map(|c| c.key.as_str()).collect();
    if keys.is_empty() {
        return;
    }
    let name = target.name();
    let dropped = Outbox::existing().and_then(|outbox| {
        let Some(outbox) = outbox else { return Ok(0) };
        let mut locked = outbox.lock()?;
        // Everything recorded before now is older than this write.
        let now = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ~").to_string();
        let dropped = locked.supersede(&name, &keys, &now)?;
        say_set_aside(ctx, &mut locked);
        Ok(dropped)
    });
    match dropped {
        Ok(0) => {}
        Ok(dropped) => {
            ctx.out.note(format!("{name}: {dropped} older pending write(s) in the outbox are superseded by this one"))
        }
        Err(e) => ctx.out.warn(format!("warning: {name}: written, but the outbox could not be checked: {e:#}")),
    }
}

/// What a store must take: its own changes guarded by the revisions it
/// showed, or — when it could not be read — the changes the first store
/// that could be read needed, guarded by the values that store held.
fn pending(own: Option<Vec<Change>>, reference: Option<&[Change]>) -> Vec<Pending> {
    match (own, reference) {
        (Some(changes), _) => changes
            .into_iter()
            .map(|c| Pending {
                key: c.key.as_str().to_string(),
                expect: c.old.map_or(Expect::Absent, |old| Expect::Revision(old.revision.0)),
                value: c.new.map(DocValue),
            })
            .collect(),
        (None, Some(changes)) => changes
            .iter()
            .map(|c| Pending {
                key: c.key.as_str().to_string(),
                expect: c.old.as_ref().map_or(Expect::Absent, |old| Expect::Value(DocValue(old.value.clone()))),
                value: c.new.clone().map(DocValue),
            })
            .collect(),
        (None, None) => Vec::new(),
    }
}
