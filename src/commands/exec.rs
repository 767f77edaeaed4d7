//! `exec`: run a command with the keys below some prefixes in its
//! environment (as envconsul does, for every store), read from one point in
//! time: one scan of the prefixes' closest common prefix (checked by a
//! second where a scan is not one snapshot).
//!
//! Without --watch ovs becomes the command (execve): signals reach it
//! directly and its exit status is ovs's, with nothing left in between.
//! With --watch ovs stays, runs it in a process group of its own, forwards
//! the signals it gets to that group, and when the keys change (coalesced
//! by --wait) restarts it with the new environment — SIGTERM, then SIGKILL
//! after --timeout — or sends it --signal. When the command ends by itself,
//! ovs ends with its status (128 + n for a signal, as a shell does). A
//! command that cannot be found is exit 127, one that cannot be run 126.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::cli::ExecArgs;
use crate::exit::{Coded, Exit};
use crate::interrupt;
use crate::output::escape;
use crate::pipeline::environment;
use crate::pipeline::follow::{Follow, Interest, Wait, Wake};
use crate::pipeline::Ctx;
use crate::process_group::Group;
use crate::store::{Entry, Store};

/// How many times keys that keep changing are scanned before exec gives up.
const SCANS: usize = 5;

/// The environment variable of ovs's own store password, never handed on.
const PASSWORD: &str = "OVS_CONFIG_PASSWORD";

pub fn run(ctx: &Ctx, args: &ExecArgs) -> Result<()> {
    let interest = Interest { prefixes: args.env.iter().cloned().collect(), ..Interest::default() };
    let store = ctx.store()?;
    if !args.watch {
        let error = command(args, &read(store, &args.env, &interest)?).exec();
        cannot_run(ctx, args, &error);
    }
    let signals = interrupt::keep(&interrupt::forwarded());
    // Watching before the first read: a change made after it is not missed.
    let mut follow = Follow::start(ctx, store, interest.clone(), args.wait.unwrap_or(Wait::OFF), &signals)?;
    let mut vars = read(store, &args.env, &interest)?;
    let mut running = start(ctx, args, &vars);
    ctx.out.note(format!("running {} with {} variable(s); watching {}", shown(args), vars.len(), store.describe()));
    loop {
        let mut ended = None;
        let wake = follow.next(|| {
            ended = running.try_wait().context("waiting for the command")?;
            Ok(ended.is_some())
        })?;
        match wake {
            Wake::Tick => exit_as(ended.expect("the command ended")),
            Wake::Signal(signal) => running.signal(signal),
            Wake::Changed(_) => {
                let now = match read(store, &args.env, &interest) {
                    Ok(now) => now,
                    Err(e) => {
                        ctx.out.warn(format!("not restarting: {}", crate::exit::message(&e)));
                        continue;
                    }
                };
                if now == vars {
                    continue;
                }
                vars = now;
                match args.signal {
                    Some(signal) => {
                        ctx.out.note(format!("the keys changed: sending {}", interrupt::name(signal)));
                        running.signal(signal);
                    }
                    None => {
                        ctx.out.note(format!("the keys changed: restarting {}", shown(args)));
                        if let Some(status) = stop(ctx, &mut running)? {
                            exit_as(status);
                        }
                        running = start(ctx, args, &vars);
                    }
                }
            }
        }
    }
}

/// The variables, from one scan of everything of interest; where a scan is
/// not one snapshot (ZooKeeper, plugins), scanned again until two scans
/// agree on every key's revision, so that the values were all the store's
/// at once.
fn read(store: &dyn Store, prefixes: &[crate::store::Key], interest: &Interest) -> Result<BTreeMap<String, Vec<u8>>> {
    let scan = || -> Result<Vec<Entry>> {
        let mut entries = Vec::new();
        for entry in store.scan(&interest.scope())? {
            let entry = entry?;
            if interest.matters(&entry.key) {
                entries.push(entry);
            }
        }
        Ok(entries)
    };
    let revisions = |entries: &[Entry]| entries.iter().map(|e| (e.key.clone(), e.revision)).collect::<Vec<_>>();
    let mut entries = scan()?;
    if !store.capabilities().snapshot_scan {
        let mut tries = 0;
        loop {
            let again = scan()?;
            if revisions(&again) == revisions(&entries) {
                break;
            }
            tries += 1;
            if tries == SCANS {
                let message = format!("the keys kept changing while they were read ({SCANS} tries); CMD not run");
                return Err(Coded { message, code: Exit::Conflict }.into());
            }
            entries = again;
        }
    }
    Ok(environment::variables(prefixes, entries)?)
}

/// CMD with the variables added to ovs's environment (ovs's store
/// password taken out).
fn command(args: &ExecArgs, vars: &BTreeMap<String, Vec<u8>>) -> Command {
    let mut command = Command::new(&args.command[0]);
    command.args(&args.command[1..]).env_remove(PASSWORD);
    for (name, value) in vars {
        command.env(name, OsString::from_vec(value.clone()));
    }
    command
}

/// Start CMD in a process group of its own; if it cannot be, ovs ends as
/// a shell would.
fn start(ctx: &Ctx, args: &ExecArgs, vars: &BTreeMap<String, Vec<u8>>) -> Group {
    match Group::spawn(&mut command(args, vars)) {
        Ok(group) => group,
        Err(error) => cannot_run(ctx, args, &error),
    }
}

/// CMD could not be run: exit 127 when it was not found, else 126.
fn cannot_run(ctx: &Ctx, args: &ExecArgs, error: &std::io::Error) -> ! {
    ctx.out.warn(format!("error: cannot run {}: {error}", shown(args)));
    let code = if error.kind() == std::io::ErrorKind::NotFound { 127 } else { 126 };
    end(code)
}

/// End CMD for a restart: SIGTERM to its group, SIGKILL after the timeout.
/// Its status if it had already ended by itself (then ovs ends with it).
fn stop(ctx: &Ctx, running: &mut Group) -> Result<Option<ExitStatus>> {
    if let Some(status) = running.try_wait()? {
        return Ok(Some(status));
    }
    running.signal(libc::SIGTERM);
    let deadline = Instant::now() + ctx.settings.timeout();
    while Instant::now() < deadline {
        if running.try_wait()?.is_some() {
            return Ok(None);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    ctx.out.warn(format!("the command did not end within {:?} of SIGTERM: killing it", ctx.settings.timeout()));
    running.end();
    Ok(None)
}

/// End ovs as CMD ended: its exit code, or 128 + the signal that ended it.
fn exit_as(status: ExitStatus) -> ! {
    match (status.code(), status.signal()) {
        (Some(code), _) => end(code),
        (None, Some(signal)) => end(128 + signal),
        (None, None) => end(1),
    }
}

/// Exit with `code` (an exit code of CMD's, which ovs's own do not cover).
fn end(code: i32) -> ! {
    use std::io::Write as _;
    let _ = std::io::stderr().flush();
    std::process::exit(code)
}

/// CMD for messages.
fn shown(args: &ExecArgs) -> String {
    escape(&args.command[0].to_string_lossy()).into_owned()
}
