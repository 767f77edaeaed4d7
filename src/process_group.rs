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
        static HANDLERS: Once = Once::new();
        HANDLERS.call_once(install_handlers);
        let child = command.process_group(0).spawn()?;
        let pgid = child.id() as i32;
        let slot = RUNNING.iter().position(|s| s.compare_exchange(0, pgid, Ordering::SeqCst, Ordering::SeqCst).is_ok());
        if slot.is_none() {
            tracing::warn!(pgid, "more commands at once than ovs tracks; this one is not ended with ovs");
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

fn install_handlers() {
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
