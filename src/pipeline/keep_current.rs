//! `render --watch`: keep files current. Each template is rendered and
//! installed again when a key it read (or a key under a prefix it listed)
//! changes, bursts coalesced by `--wait`. A render or check that fails is
//! logged and the old file kept; watching goes on. The store going away is
//! ridden out, and everything is rendered again once it is back. SIGHUP
//! re-reads the templates and renders them all; SIGTERM and SIGINT end it
//! cleanly (exit 0) once the render under way is done.

use std::collections::BTreeSet;

use anyhow::Result;

use super::follow::{Follow, Interest, Wait, Wake};
use super::Ctx;
use crate::interrupt;
use crate::store::{Key, Store};

/// One template kept current: renders and installs it (re-reading the
/// template first when asked), reporting what it did; its answer is what
/// the render read.
pub struct Job<'a> {
    /// How messages name it (its destination).
    name: String,
    run: Box<dyn FnMut(bool) -> Result<Interest> + 'a>,
    /// What its last good render read; everything until it had one (a
    /// template that fails, as on a missing key, is tried on any change).
    interest: Interest,
}

impl<'a> Job<'a> {
    pub fn new(name: String, run: impl FnMut(bool) -> Result<Interest> + 'a) -> Job<'a> {
        let everything = Interest { prefixes: BTreeSet::from([Key::root()]), ..Interest::default() };
        Job { name, run: Box::new(run), interest: everything }
    }

    /// Render and install; a failure is logged and the old file kept.
    fn attempt(&mut self, ctx: &Ctx, reread: bool) {
        match (self.run)(reread) {
            Ok(read) => self.interest = read,
            Err(e) => ctx.out.warn(format!(
                "{}: not updated, the old file is kept: {}; watching on",
                self.name,
                crate::exit::message(&e)
            )),
        }
    }
}

/// Keep every job's file current until SIGTERM or SIGINT.
pub fn keep_current(ctx: &Ctx, store: &dyn Store, jobs: &mut [Job], wait: Wait) -> Result<()> {
    let signals = interrupt::keep(&[libc::SIGHUP, libc::SIGINT, libc::SIGTERM]);
    for job in jobs.iter_mut() {
        job.attempt(ctx, false);
    }
    let mut follow = Follow::start(ctx, store, union(jobs), wait, &signals)?;
    // Rendered again now that the watches are open: a change made between
    // the first render and them is not missed (an unchanged file is left be).
    let mut due: Option<BTreeSet<String>> = None;
    ctx.out.note(format!("watching {} for {} template(s)", store.describe(), jobs.len()));
    loop {
        for job in jobs.iter_mut() {
            if due.as_ref().is_none_or(|keys| keys.iter().any(|k| job.interest.matters(k))) {
                job.attempt(ctx, false);
            }
        }
        // A render that read something new is rendered again once that is
        // watched too.
        due = match follow.focus(union(jobs))? {
            true => None,
            false => loop {
                match follow.next(|| Ok(false))? {
                    Wake::Changed(keys) => break keys,
                    Wake::Signal(libc::SIGHUP) => {
                        ctx.out.note("SIGHUP: reading the templates again");
                        for job in jobs.iter_mut() {
                            job.attempt(ctx, true);
                        }
                        break Some(BTreeSet::new());
                    }
                    Wake::Signal(signal) => {
                        ctx.out.note(format!("{}: stopping", interrupt::name(signal)));
                        return Ok(());
                    }
                    Wake::Tick => {}
                }
            },
        };
    }
}

/// What any job read.
fn union(jobs: &[Job]) -> Interest {
    let mut all = Interest::default();
    for job in jobs {
        all.keys.extend(job.interest.keys.iter().cloned());
        all.prefixes.extend(job.interest.prefixes.iter().cloned());
    }
    all
}
