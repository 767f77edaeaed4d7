//! `watch`: each change below a prefix as it happens, and with `--exec` a
//! command run after each batch of them (as `consul watch -handler` and
//! confd do), never two at once. The store's watcher makes sure no change
//! is missed; while the command runs, changes wait in it.

use std::io::Write as _;
use std::os::fd::AsFd;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::Ctx;
use crate::cli::WatchArgs;
use crate::output::{escape, EventView};
use crate::store::{Event, StoreError, Update};

pub fn run(ctx: &Ctx, args: &WatchArgs) -> Result<()> {
    if args.count == Some(0) {
        return Err(crate::exit::UsageError("--count must be at least 1".into()).into());
    }
    let store = ctx.store()?;
    // --timeout given: the whole watch ends then.
    let until = Until::new(ctx);
    let mut watcher = store.watch(&args.prefix, None)?;
    // From here on no change is missed: scripts may wait for this line.
    ctx.out.note(format!("watching {} on {}", args.prefix, store.describe()));
    let mut seen = 0u64;
    loop {
        let Some(wait) = until.next_wait() else {
            return ended(args, seen, ctx.settings.timeout(), store.describe());
        };
        let Some(update) = watcher.next(wait)? else { continue };
        if let Update::Resynced { compacted, .. } = &update {
            ctx.out.warn(format!(
                "{}: the store no longer has the changes since revision {compacted} (compacted); \
                 read the prefix again: what follows is the difference",
                store.describe()
            ));
        }
        let left = args.count.map_or(u64::MAX, |n| n - seen);
        let events = &update.events()[..update.events().len().min(left as usize)];
        for event in events {
            ctx.out.event(args.output, event)?;
        }
        seen += events.len() as u64;
        if let Some(cmd) = &args.exec {
            exec(ctx, cmd, events)?;
        }
        if args.count.is_some_and(|n| seen >= n) {
            return Ok(());
        }
    }
}

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

/// The watch ran its time: fine, unless --count asked for more changes.
fn ended(args: &WatchArgs, seen: u64, after: Duration, store: &str) -> Result<()> {
    match args.count {
        Some(n) if seen < n => Err(StoreError::Timeout {
            store: store.to_string(),
            after,
            during: format!("watching {} ({seen} of {n} changes seen)", args.prefix),
        }
        .into()),
        _ => Ok(()),
    }
}

/// Run the handler once for a batch: the changed keys in $OVS_CHANGED_KEYS
/// (one per line) and the changes as JSON lines on its stdin. Its exit
/// status is logged; a failing handler does not stop the watch.
fn exec(ctx: &Ctx, cmd: &str, events: &[Event]) -> Result<()> {
    let keys: Vec<&str> = events.iter().map(|e| e.key.as_str()).collect();
    let mut lines = Vec::new();
    for event in events {
        serde_json::to_writer(&mut lines, &EventView::of(event))?;
        lines.push(b'\n');
    }
    let mut child = Command::new("sh")
        .args(["-c", cmd])
        .env("OVS_CHANGED_KEYS", keys.join("\n"))
        .stdin(Stdio::piped())
        // Its output must not mix with the changes printed on stdout.
        .stdout(std::io::stderr().as_fd().try_clone_to_owned().context("cannot pass stderr to --exec")?)
        .spawn()
        .with_context(|| format!("cannot run --exec {}", escape(cmd)))?;
    let mut stdin = child.stdin.take().expect("piped");
    // A handler that does not read its stdin must not block the watch.
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&lines);
    });
    let status = child.wait().context("waiting for the --exec command")?;
    let _ = feeder.join();
    match status.code() {
        Some(0) => tracing::debug!(keys = keys.len(), "--exec command succeeded"),
        _ => ctx.out.warn(format!("--exec command failed ({status}) after {} change(s)", events.len())),
    }
    Ok(())
}
