//! A command of the user's run in a process group of its own, so that it
//! and everything it started end together: when its caller ends it (at a
//! deadline, or by dropping it), and when ovs itself is terminated by
//! SIGTERM, SIGINT or SIGHUP — ovs never leaves such a command running
//! behind it. (A SIGKILL of ovs cannot be caught; nothing can be done then.)

use std::io;
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Once;

/// The groups running now, for the signal handler (a fixed table: the
/// handler may not allocate or lock). 0 is a free slot.
static RUNNING: [AtomicI32; 16] = [const { AtomicI32::new(0) }; 16];

/// How many spawns are between `spawn` and their entry in `RUNNING`: a stop
/// signal then only leaves its number in `DEFERRED`, and the spawn that
/// finishes last acts on it, so no group is missed for being a moment old.
static SPAWNING: AtomicI32 = AtomicI32::new(0);
static DEFERRED: AtomicI32 = AtomicI32::new(0);

/// A child leading its own process group.
pub struct Group {
    child: Child,
    slot: Option<usize>,
    ended: bool,
}

impl Group {
    /// Start `command` as the leader of a new process group.
    pub fn spawn(command: &mut Command) -> io::Result<Group> {
        use std::os::unix::process::CommandExt;
        install_handlers();
        SPAWNING.fetch_add(1, Ordering::SeqCst);
        let spawned = command.process_group(0).spawn();
        let slot = spawned.as_ref().ok().and_then(|child| {
            let pgid = child.id() as i32;
            RUNNING.iter().position(|s| s.compare_exchange(0, pgid, Ordering::SeqCst, Ordering::SeqCst).is_ok())
        });
        if SPAWNING.fetch_sub(1, Ordering::SeqCst) == 1 {
            let signal = DEFERRED.swap(0, Ordering::SeqCst);
            if signal != 0 {
                end_all_and_die(signal);
            }
        }
        let child = spawned?;
        if slot.is_none() {
            tracing::warn!(pgid = child.id(), "more commands at once than ovs tracks; this one is not ended with ovs");
        }
        Ok(Group { child, slot, ended: false })
    }

    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Its status once the leader has exited.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        let status = self.child.try_wait()?;
        if status.is_some() {
            self.release();
        }
        Ok(status)
    }

    /// Send `signal` to the whole group (a group that ended ignores it).
    pub fn signal(&self, signal: i32) {
        if !self.ended {
            // SAFETY: kill(2) on the group this child leads; no memory is involved.
            unsafe { libc::kill(-(self.child.id() as i32), signal) };
        }
    }

    /// End the whole group now (SIGKILL), and reap the leader.
    pub fn end(&mut self) {
        if !self.ended {
            // SAFETY: kill(2) on the group this child leads; no memory is involved.
            unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
            let _ = self.child.wait();
        }
        self.release();
    }

    fn release(&mut self) {
        self.ended = true;
        if let Some(slot) = self.slot.take() {
            RUNNING[slot].store(0, Ordering::SeqCst);
        }
    }
}

impl Drop for Group {
    /// A group its caller lets go of while the leader runs is ended.
    fn drop(&mut self) {
        if !self.ended && !matches!(self.child.try_wait(), Ok(Some(_))) {
            self.end();
        }
        self.release();
    }
}

/// Set the stop handlers that end every group (once; [`crate::interrupt::keep`]
/// sets them before its own, so a later spawn cannot undo those).
pub fn install_handlers() {
    static HANDLERS: Once = Once::new();
    HANDLERS.call_once(set_handlers);
}

fn set_handlers() {
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // SAFETY: a handler that only calls async-signal-safe functions
        // (kill, signal, raise) and reads atomics.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

/// End every running group, then die of the signal as if it were not caught.
extern "C" fn on_signal(signal: libc::c_int) {
    // Left first, then taken back unless a spawn is under way: whichever of
    // this and the spawn's end comes last finds it and acts on it.
    DEFERRED.store(signal, Ordering::SeqCst);
    if SPAWNING.load(Ordering::SeqCst) == 0 && DEFERRED.swap(0, Ordering::SeqCst) != 0 {
        end_all_and_die(signal);
    }
}

/// Only async-signal-safe calls: it runs in the signal handler.
fn end_all_and_die(signal: libc::c_int) {
    for slot in &RUNNING {
        let pgid = slot.load(Ordering::SeqCst);
        if pgid > 0 {
            // SAFETY: async-signal-safe; a group that already ended gives ESRCH.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
        }
    }
    // SAFETY: async-signal-safe; the default action ends the process.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}
