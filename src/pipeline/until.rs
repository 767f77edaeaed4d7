//! How long a command that follows a store's changes goes on.

use std::time::{Duration, Instant};

use super::Ctx;

/// When a following command (watch, mirror --watch) stops: when --timeout
/// was given, after it; else never.
pub struct Until(Option<Instant>);

impl Until {
    pub fn new(ctx: &Ctx) -> Until {
        Until(ctx.settings.timeout_given.then(|| Instant::now() + ctx.settings.timeout()))
    }

    /// How long to wait for the next changes (a second at most, so that a
    /// stop is noticed), or None: time to stop.
    pub fn next_wait(&self) -> Option<Duration> {
        let second = Duration::from_secs(1);
        match self.0 {
            Some(end) => Some(end.checked_duration_since(Instant::now())?.min(second)).filter(|d| !d.is_zero()),
            None => Some(second),
        }
    }
}
