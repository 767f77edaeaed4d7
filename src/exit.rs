//! Exit codes, and the one place errors are mapped to them.

use std::process::ExitCode;

use crate::document::DocumentError;
use crate::store::{KeyError, StoreError, UrlError};
use crate::validate::{Refusal, Rejected, Rejections};

/// The documented exit codes (README, man page, `--help`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    Ok = 0,
    Failure = 1,
    Usage = 2,
    Rejected = 3,
    NotFound = 4,
    Conflict = 5,
    Unreachable = 6,
    /// Not a failure: `diff --exit-code` found something that would change.
    Differs = 7,
    /// Authentication or permission refused: a wrong password or token, an
    /// ACL that does not allow it.
    Denied = 8,
}

impl Exit {
    /// Which code wins when a write failed on several stores: an unknown
    /// failure first, then access denied (neither goes away by itself),
    /// unreachable, conflict, not found, rejected, usage.
    pub fn severity(self) -> u8 {
        match self {
            Exit::Failure => 7,
            Exit::Denied => 6,
            Exit::Unreachable => 5,
            Exit::Conflict => 4,
            Exit::NotFound => 3,
            Exit::Rejected => 2,
            Exit::Usage => 1,
            Exit::Ok | Exit::Differs => 0,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// A usage error found after parsing (a missing value, a refused prompt-less
/// operation): exit 2, like clap's own.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Something named on the command line that the store does not have, other
/// than a key (a revision a key's history does not hold): exit 4.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NotFound(pub String);

/// `diff --exit-code` found changes: exit 7, and nothing more to say (the
/// diff was the output).
#[derive(Debug, thiserror::Error)]
#[error("differences found")]
pub struct Differences;

/// An error whose exit code is already decided: a write to several stores
/// that failed on some (the most severe of their codes).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Coded {
    pub message: String,
    pub code: Exit,
}

impl Coded {
    /// A copy of `err`, for an error reported twice (once per store, once as
    /// the answer): the same message, exit code and chain of causes (each
    /// cause's words, for `-vv`).
    pub fn copy_of(err: &anyhow::Error) -> anyhow::Error {
        let mut below: Option<Box<Copied>> = None;
        for cause in err.chain().collect::<Vec<_>>().into_iter().rev() {
            below = Some(Box::new(Copied {
                text: cause.to_string(),
                ends_line: ends_line(cause),
                code: None,
                source: below,
            }));
        }
        let mut copy = below.expect("an error's chain holds the error itself");
        copy.code = Some(classify(err));
        anyhow::Error::new(*copy)
    }
}

/// One link of [`Coded::copy_of`]'s copy: what the original said there.
#[derive(Debug)]
struct Copied {
    text: String,
    /// The original was a store error: its words include its cause's.
    ends_line: bool,
    /// The original's exit code (on the first link).
    code: Option<Exit>,
    source: Option<Box<Copied>>,
}

impl std::fmt::Display for Copied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Copied {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|c| c as _)
    }
}

/// Whether `cause`'s words already hold those of its own cause, so that the
/// one-line message ends with it (a store error says what failed
/// underneath; what failed below that is for `-vv`).
fn ends_line(cause: &(dyn std::error::Error + 'static)) -> bool {
    cause.is::<StoreError>() || cause.downcast_ref::<Copied>().is_some_and(|c| c.ends_line)
}

/// The one-line message for an error: each context, down to the first
/// store error, whose words end it (they include what failed underneath).
pub fn message(err: &anyhow::Error) -> String {
    let mut parts = Vec::new();
    for cause in err.chain() {
        parts.push(cause.to_string());
        if ends_line(cause) {
            break;
        }
    }
    parts.join(": ")
}

/// The whole chain, one entry per cause, each in its own words only: where
/// an error's words end with its cause's, they are left to the cause's own
/// entry. For `-vv`.
pub fn causes(err: &anyhow::Error) -> Vec<String> {
    let texts: Vec<String> = err.chain().map(|c| c.to_string()).collect();
    let mut out = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        let next = texts.get(i + 1);
        if next == Some(text) {
            continue; // a wrapper that says nothing of its own
        }
        let own = next.and_then(|n| text.strip_suffix(n.as_str())).and_then(|t| t.strip_suffix(": "));
        out.push(own.unwrap_or(text).to_string());
    }
    out
}

/// The exit code for an error: the first cause in its chain that says.
pub fn classify(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if let Some(coded) = cause.downcast_ref::<Coded>() {
            return coded.code;
        }
        if let Some(code) = cause.downcast_ref::<Copied>().and_then(|c| c.code) {
            return code;
        }
        if let Some(e) = cause.downcast_ref::<StoreError>() {
            return store_code(e);
        }
        if let Some(failed) = cause.downcast_ref::<crate::plan::ChunkFailed>() {
            return store_code(failed.decisive());
        }
        if let Some(refusal) = cause.downcast_ref::<Refusal>() {
            return if refusal.is_of_value() { Exit::Rejected } else { Exit::Usage };
        }
        if cause.is::<Rejected>() || cause.is::<Rejections>() {
            return Exit::Rejected;
        }
        if let Some(render) = cause.downcast_ref::<crate::render::RenderError>() {
            return render.exit();
        }
        if cause.is::<crate::render::install::Refused>() {
            return Exit::Rejected;
        }
        if cause.is::<Differences>() {
            return Exit::Differs;
        }
        if cause.is::<NotFound>() {
            return Exit::NotFound;
        }
        if cause.is::<UsageError>()
            || cause.is::<UrlError>()
            || cause.is::<KeyError>()
            || cause.is::<DocumentError>()
            || cause.is::<crate::files::Untrusted>()
        {
            return Exit::Usage;
        }
    }
    Exit::Failure
}

fn store_code(e: &StoreError) -> Exit {
    match e {
        StoreError::NotFound { .. } => Exit::NotFound,
        StoreError::Conflict { .. } => Exit::Conflict,
        StoreError::Unreachable { .. } | StoreError::Timeout { .. } => Exit::Unreachable,
        StoreError::Denied { .. } => Exit::Denied,
        StoreError::InvalidKey(_)
        | StoreError::Unsupported { .. }
        | StoreError::BadOption { .. }
        | StoreError::TooLarge { .. }
        | StoreError::BatchTooLarge { .. } => Exit::Usage,
        _ => Exit::Failure,
    }
}

/// Whether trying the same again may succeed: the error that decides the
/// exit code is a store's that [`StoreError::is_retryable`] (or a copy of
/// one), which is exactly when that code is [`Exit::Unreachable`].
pub fn is_retryable(err: &anyhow::Error) -> bool {
    classify(err) == Exit::Unreachable
}

/// `ovs config list | head` closes the pipe early; that is not a failure.
/// A broken pipe among a store error's causes is the store's connection,
/// not our output: it is the failure it says.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    for cause in err.chain() {
        if ends_line(cause) || cause.is::<crate::plan::ChunkFailed>() {
            return false;
        }
        if cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::Key;

    #[test]
    fn store_errors_map_to_their_codes() {
        let key = Key::parse("/a").unwrap();
        let cases = [
            (StoreError::NotFound { key: key.clone() }, Exit::NotFound),
            (StoreError::Conflict { key: key.clone(), detail: "x".into() }, Exit::Conflict),
            (
                StoreError::Unreachable { store: "s".into(), endpoint: "e".into(), source: "r".into() },
                Exit::Unreachable,
            ),
            (StoreError::Corrupt { store: "s".into(), reason: "r".into(), source: None }, Exit::Failure),
            (StoreError::TooLarge { store: "s".into(), size: Some(2), limit: 1, hint: None }, Exit::Usage),
            (StoreError::BadOption { store: "s".into(), message: "m".into() }, Exit::Usage),
        ];
        for (err, code) in cases {
            assert_eq!(classify(&anyhow::Error::new(err).context("while doing x")), code);
        }
    }

    fn unreachable() -> StoreError {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        StoreError::Unreachable {
            store: "etcd://h:1".into(),
            endpoint: "h:1".into(),
            source: crate::store::Context::cause("http://h:1", refused),
        }
    }

    #[test]
    fn access_denied_is_8_and_is_never_retried() {
        let denied = StoreError::Denied { store: "s".into(), what: String::new(), source: "bad password".into() };
        assert!(!denied.is_retryable());
        assert_eq!(denied.to_string(), "s: access denied: bad password");
        let err = anyhow::Error::new(denied).context("while reading /a");
        assert_eq!(classify(&err), Exit::Denied);
        assert_eq!(Exit::Denied as u8, 8);
        assert!(!is_retryable(&err));
        // A refusal outranks an unreachable store when several failed.
        assert!(Exit::Denied.severity() > Exit::Unreachable.severity());
        assert!(Exit::Failure.severity() > Exit::Denied.severity());
    }

    #[test]
    fn only_an_unreachable_store_or_a_timeout_is_worth_retrying() {
        assert!(unreachable().is_retryable());
        let timeout =
            StoreError::Timeout { store: "s".into(), after: Duration::from_secs(1), during: "x".into(), source: None };
        assert!(timeout.is_retryable());
        let key = Key::parse("/a").unwrap();
        assert!(!StoreError::Conflict { key: key.clone(), detail: "x".into() }.is_retryable());
        assert!(!StoreError::failed("s", "", "boom").is_retryable());
        assert!(is_retryable(&anyhow::Error::new(unreachable()).context("writing /a")));
    }

    #[test]
    fn the_cause_is_kept_and_the_one_line_reads_as_before() {
        let err = anyhow::Error::new(unreachable()).context("cannot write /a");
        let store = err.chain().nth(1).unwrap();
        // The cause is reachable, whole: the io::Error two links down.
        let io = store.source().and_then(|c| c.source()).and_then(|c| c.downcast_ref::<std::io::Error>());
        assert_eq!(io.map(|e| e.kind()), Some(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(message(&err), "cannot write /a: etcd://h:1: cannot reach h:1: http://h:1: Connection refused");
        assert_eq!(
            causes(&err),
            ["cannot write /a", "etcd://h:1: cannot reach h:1", "http://h:1", "Connection refused"]
        );
    }

    #[test]
    fn a_broken_pipe_under_a_store_error_is_the_store_failing_not_our_output_closed() {
        let pipe = || std::io::Error::new(std::io::ErrorKind::BrokenPipe, "Broken pipe");
        assert!(is_broken_pipe(&anyhow::Error::new(pipe()).context("writing the listing")));
        let store = StoreError::Unreachable { store: "s".into(), endpoint: "e".into(), source: pipe().into() };
        let err = anyhow::Error::new(store).context("get /a");
        assert!(!is_broken_pipe(&err));
        assert!(!is_broken_pipe(&Coded::copy_of(&err)));
        assert_eq!(classify(&err), Exit::Unreachable);
    }

    #[test]
    fn a_copy_keeps_the_message_code_and_causes() {
        let err = anyhow::Error::new(unreachable()).context("cannot write /a");
        let copy = Coded::copy_of(&err);
        assert_eq!(message(&copy), message(&err));
        assert_eq!(causes(&copy), causes(&err));
        assert_eq!(classify(&copy), Exit::Unreachable);
        assert!(is_retryable(&copy));
    }

    #[test]
    fn other_errors_map_to_their_codes() {
        let rejected =
            Rejected { key: Key::parse("/a").unwrap(), name: "v".into(), message: "m".into(), refused_write: false };
        assert_eq!(classify(&anyhow::Error::new(rejected)), Exit::Rejected);
        assert_eq!(classify(&anyhow::Error::new(UsageError("u".into()))), Exit::Usage);
        assert_eq!(classify(&anyhow::Error::new(NotFound("n".into()))), Exit::NotFound);
        assert_eq!(classify(&anyhow::anyhow!("plain")), Exit::Failure);
        assert_eq!(Exit::Unreachable as u8, 6);
    }
}
