//! `conformance`: the store contract's checks (the same functions every
//! backend's tests run, `crate::conformance`) against the store named, each
//! below a prefix of its own inside a fresh one, which is deleted afterwards
//! whatever happened. A check fails by panicking (`assert!`): each runs
//! under `catch_unwind`, with the panic hook silenced and its message kept
//! for the table.

use std::hash::{BuildHasher, Hasher};
use std::io::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;

use anyhow::Result;
use serde::Serialize;

use crate::cli::ConformanceArgs;
use crate::conformance::{Rooted, Run, CHECKS};
use crate::exit::{Coded, Exit, UsageError};
use crate::output::{escape, Plain, Report};
use crate::pipeline::Ctx;
use crate::settings::Target;
use crate::store::Key;

#[derive(Serialize)]
struct Outcome {
    name: &'static str,
    /// `pass` or `fail`.
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// The names' column width, for a person.
    #[serde(skip)]
    width: usize,
}

/// A person sees each check as it ends: name, pass or FAIL, why.
impl Report for Outcome {
    fn plain(&self, out: &mut Plain<'_>) -> std::io::Result<()> {
        let width = self.width;
        match &self.message {
            None => writeln!(out, "{:<width$}  pass", self.name),
            Some(message) => writeln!(out, "{:<width$}  FAIL  {}", self.name, escape(message)),
        }
    }
}

#[derive(Serialize)]
struct ConformanceReport<'a> {
    store: &'a str,
    prefix: &'a str,
    passed: usize,
    failed: usize,
    checks: &'a [Outcome],
}

/// For a person, the checks' lines came as each ended.
impl Report for ConformanceReport<'_> {
    fn plain(&self, _: &mut Plain<'_>) -> std::io::Result<()> {
        Ok(())
    }
}

/// What the silenced panic hook saw first during a check: its message and place.
static PANICKED: Mutex<Option<String>> = Mutex::new(None);

pub fn run(ctx: &Ctx, args: &ConformanceArgs) -> Result<()> {
    let [target] = ctx.targets else {
        return Err(UsageError("conformance checks one store: give one --store".into()).into());
    };
    let store = target.store()?;
    let prefix = match &args.prefix {
        Some(prefix) if prefix.is_root() => {
            return Err(UsageError("the checks need a prefix of their own, not \"/\"".into()).into())
        }
        Some(prefix) => prefix.clone(),
        None => Key::parse(&format!("/ovs-conformance-{:016x}", random()))?,
    };
    if let Some(first) = store.keys(&prefix)?.next() {
        let first = first?;
        return Err(UsageError(format!(
            "{prefix} is not empty (it holds {first}); the checks run below an empty prefix and delete it afterwards"
        ))
        .into());
    }
    ctx.out.note(format!("checking {} below {prefix}", target.name()));
    let width = CHECKS.iter().map(|c| c.name.len()).max().unwrap_or(0);
    // The second handle the watch checks need, opened once, when first needed.
    let mut second: Option<Result<Target, String>> = None;
    let mut outcomes = Vec::with_capacity(CHECKS.len());
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|info| {
        let mut first = PANICKED.lock().unwrap_or_else(|e| e.into_inner());
        if first.is_none() {
            let place = info.location().map(|l| format!(" (at {}:{})", l.file(), l.line())).unwrap_or_default();
            *first = Some(format!("{}{place}", message(info.payload())));
        }
    }));
    for check in CHECKS {
        let root = Key::parse(&format!("{prefix}/{}", check.name))?;
        let view = Rooted::new(store, root.clone());
        let result = match check.run {
            Run::One(f) => catch(|| f(&view)),
            Run::Two(f) => match second.get_or_insert_with(|| open_again(ctx, target)) {
                Ok(other) => match other.store() {
                    Ok(other) => catch(|| f(&view, &Rooted::new(other, root.clone()))),
                    Err(e) => Err(format!("cannot open a second handle on the store: {e}")),
                },
                Err(e) => Err(e.clone()),
            },
        };
        // Each check's keys go as it ends, so the store holds one check's at most.
        let result = result.and(store.delete_tree(&root).map(|_| ()).map_err(|e| format!("cleaning up: {e}")));
        let outcome = Outcome {
            name: check.name,
            result: if result.is_ok() { "pass" } else { "fail" },
            message: result.err(),
            width,
        };
        ctx.out.progress(&outcome)?;
        outcomes.push(outcome);
    }
    panic::set_hook(hook);
    if let Err(e) = store.delete_tree(&prefix) {
        ctx.out.warn(format!("could not delete {prefix}: {e}"));
    }
    let failed = outcomes.iter().filter(|o| o.message.is_some()).count();
    ctx.out.print(&ConformanceReport {
        store: store.describe(),
        prefix: prefix.as_str(),
        passed: outcomes.len() - failed,
        failed,
        checks: &outcomes,
    })?;
    if failed > 0 {
        let message = format!("{failed} of {} checks failed on {}", outcomes.len(), target.name());
        return Err(Coded { message, code: Exit::Failure }.into());
    }
    ctx.out.note(format!("all {} checks passed on {}", outcomes.len(), target.name()));
    Ok(())
}

/// Run one check: Err with what its first panic said.
fn catch(check: impl FnOnce()) -> Result<(), String> {
    PANICKED.lock().unwrap_or_else(|e| e.into_inner()).take();
    let outcome = panic::catch_unwind(AssertUnwindSafe(check));
    let seen = PANICKED.lock().unwrap_or_else(|e| e.into_inner()).take();
    outcome.map_err(|payload| seen.unwrap_or_else(|| message(payload.as_ref())))
}

fn message(payload: &(dyn std::any::Any + Send)) -> String {
    match (payload.downcast_ref::<&str>(), payload.downcast_ref::<String>()) {
        (Some(text), _) => text.to_string(),
        (_, Some(text)) => text.clone(),
        _ => "panicked".to_string(),
    }
}

/// The same store opened again, as another process would.
fn open_again(ctx: &Ctx, target: &Target) -> Result<Target, String> {
    ctx.settings.target(&target.given).map_err(|e| format!("cannot open a second handle on the store: {e:#}"))
}

/// A fresh random number (std seeds each `RandomState` from the OS).
fn random() -> u64 {
    std::collections::hash_map::RandomState::new().build_hasher().finish()
}
