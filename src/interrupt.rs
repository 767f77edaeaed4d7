//! The stop signals a write to several stores catches (SIGINT, SIGTERM,
//! SIGHUP) while its stores' commits are under way, so that it can settle
//! what answered before it goes. Outside that window the default actions
//! stand: an `ovs` stopped while it reads, or while an editor is open, just
//! ends, with nothing written. A command that keeps running (render
//! --watch, exec --watch) instead [`keep`]s the signals it acts on: each is
//! noted, and taken when the command is ready for it.

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

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
    Catching { previous: install(&SIGNALS, on_signal) }
}

/// Set `handler` for `signals`; their former actions, to restore.
fn install(signals: &[libc::c_int], handler: extern "C" fn(libc::c_int)) -> Vec<(libc::c_int, libc::sigaction)> {
    let mut previous = Vec::new();
    for &signal in signals {
        // SAFETY: sigaction with a handler that only stores to an atomic;
        // the structs are zeroed then filled as sigaction(2) describes.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(signal, &action, &mut old) == 0 {
                previous.push((signal, old));
            }
        }
    }
    previous
}

fn restore(previous: &[(libc::c_int, libc::sigaction)]) {
    for (signal, old) in previous {
        // SAFETY: restores the action sigaction(2) handed back by `install`.
        unsafe {
            libc::sigaction(*signal, old, std::ptr::null_mut());
        }
    }
}

/// The signals [`keep`] noted and nobody took yet, one bit each.
static PENDING: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_kept(signal: libc::c_int) {
    PENDING.fetch_or(1 << signal, Ordering::SeqCst);
}

/// While alive, `signals` are noted instead of acted on, until taken;
/// dropped, their former actions are back.
pub struct Kept {
    previous: Vec<(libc::c_int, libc::sigaction)>,
}

/// Note `signals` (each below 64) until the answer is dropped. The process
/// groups' own stop handlers are set first, so that a command started
/// later does not set them over these.
pub fn keep(signals: &[libc::c_int]) -> Kept {
    crate::process_group::install_handlers();
    PENDING.store(0, Ordering::SeqCst);
    Kept { previous: install(signals, on_kept) }
}

impl Kept {
    /// A signal noted and not taken yet, the lowest number first.
    pub fn take(&self) -> Option<i32> {
        let pending = PENDING.load(Ordering::SeqCst);
        let signal = (1..64).find(|signal| pending & (1 << signal) != 0)?;
        PENDING.fetch_and(!(1 << signal), Ordering::SeqCst);
        Some(signal)
    }
}

impl Drop for Kept {
    fn drop(&mut self) {
        restore(&self.previous);
    }
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
        restore(&self.previous);
    }
}

/// The signals ovs names and forwards, by name.
const NAMES: [(libc::c_int, &str); 6] = [
    (libc::SIGHUP, "SIGHUP"),
    (libc::SIGINT, "SIGINT"),
    (libc::SIGQUIT, "SIGQUIT"),
    (libc::SIGTERM, "SIGTERM"),
    (libc::SIGUSR1, "SIGUSR1"),
    (libc::SIGUSR2, "SIGUSR2"),
];

/// The signals a command that runs another one hands on to it.
pub fn forwarded() -> Vec<libc::c_int> {
    NAMES.iter().map(|(signal, _)| *signal).collect()
}

/// The signal's name for messages.
pub fn name(signal: i32) -> String {
    match NAMES.iter().find(|(s, _)| *s == signal) {
        Some((_, name)) => name.to_string(),
        None => format!("signal {signal}"),
    }
}

/// A signal from its name, with or without `SIG`, in any case (`HUP`,
/// `sigterm`): one of those ovs forwards.
pub fn parse(text: &str) -> Result<i32, String> {
    let upper = text.to_ascii_uppercase();
    let full = if upper.starts_with("SIG") { upper } else { format!("SIG{upper}") };
    match NAMES.iter().find(|(_, name)| *name == full) {
        Some((signal, _)) => Ok(*signal),
        None => Err(format!(
            "{text:?} is not a signal ovs sends: one of {}",
            NAMES.iter().map(|(_, n)| &n[3..]).collect::<Vec<_>>().join(", ")
        )),
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
