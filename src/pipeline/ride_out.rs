//! Riding out a store that went away (a restart, a lost connection): what
//! fails because the store cannot serve now is tried again, with a warning
//! the first time and a note when it answers again, for as long as the
//! caller is patient; any other failure is the answer.

use std::time::{Duration, Instant};

use anyhow::Result;

use super::Ctx;

/// The pause between attempts to reach a store that did not answer.
pub const PAUSE: Duration = Duration::from_millis(200);

/// A store that may be away: since when, and for how long that is borne.
pub struct Away<'a> {
    ctx: &'a Ctx<'a>,
    store: String,
    /// None: for ever (a command that keeps running, as render --watch).
    patience: Option<Duration>,
    since: Option<Instant>,
}

impl<'a> Away<'a> {
    pub fn new(ctx: &'a Ctx<'a>, store: String, patience: Option<Duration>) -> Away<'a> {
        Away { ctx, store, patience, since: None }
    }

    /// An attempt failed: Ok when it is worth another after a [`PAUSE`] (the
    /// store cannot serve now, and the patience is not spent), else the error.
    pub fn failed(&mut self, error: anyhow::Error) -> Result<()> {
        if !crate::exit::is_retryable(&error) {
            return Err(error);
        }
        let first = *self.since.get_or_insert_with(|| {
            let how_long = match self.patience {
                Some(patience) => format!("for up to {patience:?}"),
                None => "until it answers".into(),
            };
            self.ctx.out.warn(format!("{}; trying again {how_long}", crate::exit::message(&error)));
            Instant::now()
        });
        match self.patience {
            Some(patience) if first.elapsed() >= patience => Err(error),
            _ => Ok(()),
        }
    }

    /// An attempt succeeded: the store is back, if it was away.
    pub fn reached(&mut self) {
        if self.since.take().is_some() {
            self.ctx.out.note(format!("{}: reached again", self.store));
        }
    }
}

/// Run `attempt` until it succeeds, riding out the store going away for up
/// to `patience`. Each attempt must be safe to repeat after one that landed
/// without an answer (a guarded write that reads the store again).
pub fn ride_out<T>(ctx: &Ctx, store: String, patience: Duration, mut attempt: impl FnMut() -> Result<T>) -> Result<T> {
    let mut away = Away::new(ctx, store, Some(patience));
    loop {
        match attempt() {
            Ok(done) => {
                away.reached();
                return Ok(done);
            }
            Err(e) => {
                away.failed(e)?;
                std::thread::sleep(PAUSE);
            }
        }
    }
}
