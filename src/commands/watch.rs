//! `watch`: each change below a prefix as it happens, and with `--exec` a
//! command run for the changes (as `consul watch -handler` and confd do),
//! never two at once. The store's watcher makes sure no change is missed.
//! While the command runs, changes are still read, printed and counted, and
//! those that arrive meanwhile are coalesced into its next run; `--count`
//! and `--timeout` hold throughout: at the deadline the command's whole
//! process group is ended, as it is when ovs itself is terminated.

use std::io::Write as _;
use std::os::fd::AsFd;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::cli::WatchArgs;
use crate::output::{escape, EventView};
use crate::pipeline::until::Until;
use crate::pipeline::Ctx;
use crate::process_group::Group;
use crate::store::{Event, StoreError, Update};

/// How often a running --exec command is looked at while changes are awaited.
const HANDLER_POLL: Duration = Duration::from_millis(50);

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
    let mut handler = args.exec.as_deref().map(|cmd| Handler { ctx, cmd, running: None, pending: Batch::default() });
    let mut seen = 0u64;
    while args.count.is_none_or(|n| seen < n) {
        if let Some(handler) = &mut handler {
            handler.poll()?;
        }
        let Some(wait) = until.next_wait() else {
            let cut = handler.as_mut().is_some_and(Handler::end);
            return ended(args, seen, ctx.settings.timeout(), store.describe(), cut);
        };
        let wait = match handler.as_ref().is_some_and(Handler::busy) {
            true => wait.min(HANDLER_POLL),
            false => wait,
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
            ctx.out.each(&EventView::of(event))?;
        }
        seen += events.len() as u64;
        if let Some(handler) = &mut handler {
            handler.pending.add(events)?;
        }
    }
    // --count reached: the command still runs for the changes it has not
    // had, within the deadline.
    let Some(handler) = &mut handler else { return Ok(()) };
    loop {
        handler.poll()?;
        if !handler.busy() {
            return Ok(());
        }
        match until.next_wait() {
            Some(wait) => std::thread::sleep(wait.min(HANDLER_POLL)),
            None => {
                handler.end();
                return ended(args, seen, ctx.settings.timeout(), store.describe(), true);
            }
        }
    }
}

/// The watch ran its time: fine, unless --count asked for more changes or
/// the --exec command had to be ended (`cut`).
fn ended(args: &WatchArgs, seen: u64, after: Duration, store: &str, cut: bool) -> Result<()> {
    let cut = if cut { "; the --exec command was still running and was ended" } else { "" };
    let counted = match args.count {
        Some(n) if seen < n || !cut.is_empty() => format!(" ({seen} of {n} changes seen{cut})"),
        None if !cut.is_empty() => format!(" ({seen} changes seen{cut})"),
        _ => return Ok(()),
    };
    Err(StoreError::Timeout {
        store: store.to_string(),
        after,
        during: format!("watching {}{counted}", args.prefix),
        source: None,
    }
    .into())
}

/// Changes the --exec command has not had yet: their keys and JSON lines.
#[derive(Default)]
struct Batch {
    keys: Vec<String>,
    lines: Vec<u8>,
}

impl Batch {
    fn add(&mut self, events: &[Event]) -> Result<()> {
        for event in events {
            self.keys.push(event.key.clone());
            serde_json::to_writer(&mut self.lines, &EventView::of(event))?;
            self.lines.push(b'\n');
        }
        Ok(())
    }
}

/// The --exec command: at most one run at a time, the next one for every
/// change that came meanwhile.
struct Handler<'a> {
    ctx: &'a Ctx<'a>,
    cmd: &'a str,
    running: Option<(Group, usize)>,
    pending: Batch,
}

impl Handler<'_> {
    fn busy(&self) -> bool {
        self.running.is_some() || !self.pending.keys.is_empty()
    }

    /// Note a run that finished; start one for the pending changes if none runs.
    fn poll(&mut self) -> Result<()> {
        if let Some((group, changes)) = &mut self.running {
            let Some(status) = group.try_wait().context("waiting for the --exec command")? else {
                return Ok(());
            };
            match status.code() {
                Some(0) => tracing::debug!(changes, "--exec command succeeded"),
                _ => self.ctx.out.warn(format!("--exec command failed ({status}) after {changes} change(s)")),
            }
            self.running = None;
        }
        if !self.pending.keys.is_empty() {
            let batch = std::mem::take(&mut self.pending);
            let changes = batch.keys.len();
            self.running = Some((self.start(batch)?, changes));
        }
        Ok(())
    }

    /// At the deadline: end a running command's whole process group. True
    /// when some change did not have its complete run.
    fn end(&mut self) -> bool {
        let unrun = std::mem::take(&mut self.pending).keys.len();
        if unrun > 0 {
            self.ctx
                .out
                .warn(format!("--exec command not run for the last {unrun} change(s): the deadline came first"));
        }
        match self.running.take() {
            Some((mut group, changes)) => {
                group.end();
                self.ctx.out.warn(format!("--exec command ended at the deadline, running for {changes} change(s)"));
                true
            }
            None => unrun > 0,
        }
    }

    /// Run the command for a batch: the changed keys in $OVS_CHANGED_KEYS
    /// (one per line) and the changes as JSON lines on its stdin. Its exit
    /// status is logged; a failing command does not stop the watch.
    fn start(&self, batch: Batch) -> Result<Group> {
        let mut group = Group::spawn(
            Command::new("sh")
                .args(["-c", self.cmd])
                .env("OVS_CHANGED_KEYS", batch.keys.join("\n"))
                .stdin(Stdio::piped())
                // Its output must not mix with the changes printed on stdout.
                .stdout(std::io::stderr().as_fd().try_clone_to_owned().context("cannot pass stderr to --exec")?),
        )
        .with_context(|| format!("cannot run --exec {}", escape(self.cmd)))?;
        let mut stdin = group.child().stdin.take().expect("piped");
        // A command that does not read its stdin must not block the watch.
        std::thread::spawn(move || {
            let _ = stdin.write_all(&batch.lines);
        });
        Ok(group)
    }
}
