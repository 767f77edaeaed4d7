//! A write to every store named with `--store`: read and committed on each
//! store concurrently, each under its own preconditions and timeout, so one
//! store failing never stops the others. What failed somewhere while it
//! landed elsewhere is kept in the outbox for `retry`; a write that landed
//! makes older pending writes of its keys there stale.

use anyhow::Result;
use serde::Serialize;

use super::Ctx;
use crate::document::DocValue;
use crate::exit::{self, Coded, Exit};
use crate::outbox::{self, Expect, Pending};
use crate::output::Format;
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
/// already), at once. With one store its error is returned as it is; with
/// several, each store's outcome is returned and a failure anywhere is kept
/// in the outbox — the caller reports, then calls [`finish`].
pub fn commit_all<F: Fanned>(ctx: &Ctx, command: &str, write: &F, seen: &[Read<F::Seen>]) -> Result<Vec<Outcome>> {
    let jobs: Vec<(&Target, &Read<F::Seen>)> = ctx.targets.iter().zip(seen).collect();
    let results = each(&jobs, |(target, seen)| match seen {
        Ok(seen) => write.commit(target.store()?, seen),
        Err(e) => Err(Coded::copy_of(e)),
    });
    let reference = jobs.iter().find_map(|(_, seen)| seen.as_ref().ok()).map(|seen| write.changes(seen));
    // Only a write that landed somewhere leaves stores apart.
    let landed = results.iter().any(Result::is_ok);
    let mut outcomes = Vec::with_capacity(jobs.len());
    for ((target, seen), result) in jobs.iter().zip(results) {
        let result = match result {
            Ok(committed) => {
                // The keys it wrote make older pending writes of them stale.
                if let Ok(seen) = seen {
                    drop_stale(ctx, target, &write.changes(seen))?;
                }
                Ok(committed)
            }
            // With one store there is nothing to converge: the error is the answer.
            Err(e) if ctx.targets.len() == 1 => return Err(e),
            Err(e) => {
                if landed {
                    keep(ctx, command, target, seen.as_ref().ok().map(|s| write.changes(s)), reference.as_deref(), &e)?;
                }
                Err(e)
            }
        };
        outcomes.push(Outcome { store: target.name(), result });
    }
    Ok(outcomes)
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

/// A store's outcome for `-o json`.
#[derive(Serialize)]
pub struct OutcomeView<'a> {
    pub store: &'a str,
    pub written: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit: Option<u8>,
}

impl Outcome {
    pub fn view(&self) -> OutcomeView<'_> {
        match &self.result {
            Ok(c) => {
                OutcomeView { store: &self.store, written: true, revision: Some(c.revision.0), error: None, exit: None }
            }
            Err(e) => OutcomeView {
                store: &self.store,
                written: false,
                revision: None,
                error: Some(format!("{e:#}")),
                exit: Some(exit::classify(e) as u8),
            },
        }
    }
}

/// How a write of one key (or subtree) went: with one store a note, and
/// with -o json `json` of it; with several a line per store, -o json
/// `{"key", "stores": [...]}`, and the error if any store failed.
pub fn report(
    ctx: &Ctx,
    output: Format,
    key: &Key,
    outcomes: &[Outcome],
    note: impl Fn(&Committed) -> String,
    json: impl Fn(&Committed) -> serde_json::Value,
) -> Result<()> {
    if let [one] = outcomes {
        let committed = one.result.as_ref().map_err(Coded::copy_of)?;
        ctx.out.note(note(committed));
        if output != Format::Plain {
            ctx.out.json(&json(committed))?;
        }
        return Ok(());
    }
    note_each(ctx, outcomes, note);
    if output != Format::Plain {
        let stores: Vec<_> = outcomes.iter().map(Outcome::view).collect();
        ctx.out.json(&serde_json::json!({"key": key.as_str(), "stores": stores}))?;
    }
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

fn drop_stale(ctx: &Ctx, target: &Target, changes: &[Change]) -> Result<()> {
    let keys: Vec<&str> = changes.iter().map(|c| c.key.as_str()).collect();
    let dropped = outbox::supersede(&target.name(), &keys)?;
    if dropped > 0 {
        ctx.out.note(format!(
            "{}: {dropped} older pending write(s) in the outbox are superseded by this one",
            target.name()
        ));
    }
    Ok(())
}

/// Keep what `target` missed: its own changes guarded by the revisions it
/// showed, or — when it could not be read — the changes the first store
/// that could be read needed, guarded by the values that store held.
fn keep(
    ctx: &Ctx,
    command: &str,
    target: &Target,
    own: Option<Vec<Change>>,
    reference: Option<&[Change]>,
    error: &anyhow::Error,
) -> Result<()> {
    let writes: Vec<Pending> = match (own, reference) {
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
        (None, None) => return Ok(()),
    };
    if writes.is_empty() {
        return Ok(());
    }
    let entry = outbox::Entry {
        id: String::new(),
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        command: command.to_string(),
        store: target.given.clone(),
        error: format!("{error:#}"),
        writes,
    };
    let id = outbox::add(&entry)?;
    ctx.out.note(format!("{}: kept in the outbox as {id}", target.name()));
    Ok(())
}
