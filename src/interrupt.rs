//! The stop signals a write to several stores catches (SIGINT, SIGTERM,
//! SIGHUP) while its stores' commits are under way, so that it can settle
//! what answered before it goes. Outside that window the default actions
//! stand: an `ovs` stopped while it reads, or while an editor is open, just
//! ends, with nothing written.

use std::sync::atomic::{AtomicI32, Ordering};

/// The signal caught since [`catch`], 0 for none.
static CAUGHT: AtomicI32 = AtomicI32::new(0);

const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

extern "C" fn on_signal(signal: libc::c_int) {
    // Only an atomic store: nothing else is safe in a signal handler.
    CAUGHT.store(signal, Ordering::SeqCst);
}

/// While alive, the stop signals are caught instead of ending the process;
/// dropped, their former actions are back.
pub struct Catching {
    previous: Vec<(libc::c_int, libc::sigaction)>,
}

/// Catch the stop signals until the answer is dropped.
pub fn catch() -> Catching {
    CAUGHT.store(0, Ordering::SeqCst);
    let mut previous = Vec::new();
    for signal in SIGNALS {
        // SAFETY: sigaction with a handler that only stores to an atomic;
        // the structs are zeroed then filled as sigaction(2) describes.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(signal, &action, &mut old) == 0 {
                previous.push((signal, old));
            }
        }
    }
    Catching { previous }
}

impl Catching {
    /// The signal caught so far, if any.
    pub fn caught(&self) -> Option<i32> {
        match CAUGHT.load(Ordering::SeqCst) {
            0 => None,
            signal => Some(signal),
        }
    }
}

impl Drop for Catching {
    fn drop(&mut self) {
        for (signal, old) in &self.previous {
            // SAFETY: restores the action sigaction(2) handed back above.
            unsafe {
                libc::sigaction(*signal, old, std::ptr::null_mut());
            }
        }
    }
}

/// The signal's name for messages.
pub fn name(signal: i32) -> String {
    match signal {
        libc::SIGINT => "SIGINT".into(),
        libc::SIGTERM => "SIGTERM".into(),
        libc::SIGHUP => "SIGHUP".into(),
        other => format!("signal {other}"),
    }
}

/// End the process as a stopped one does, with exit code 128 + signal,
/// once what could be settled is. It does not return: the threads still
/// waiting on a slow store cannot be joined or cancelled, and their
/// stores are already recorded as pending.
pub fn exit(signal: i32) -> ! {
    use std::io::Write as _;
    let _ = std::io::stderr().flush();
    std::process::exit(128 + signal)
}
