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
/// that failed on some (the most severe of their codes), or a copy of an
/// error reported twice (once per store, once as the answer).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Coded {
    pub message: String,
    pub code: Exit,
}

impl Coded {
    /// The same message and exit code as `err`.
    pub fn copy_of(err: &anyhow::Error) -> anyhow::Error {
        Coded { message: format!("{err:#}"), code: classify(err) }.into()
    }
}

/// The exit code for an error: the first cause in its chain that says.
pub fn classify(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if let Some(coded) = cause.downcast_ref::<Coded>() {
            return coded.code;
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
        StoreError::InvalidKey(_)
        | StoreError::Unsupported { .. }
        | StoreError::BadOption { .. }
        | StoreError::TooLarge { .. }
        | StoreError::BatchTooLarge { .. } => Exit::Usage,
        _ => Exit::Failure,
    }
}

/// `ovs config list | head` closes the pipe early; that is not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().filter_map(|c| c.downcast_ref::<std::io::Error>()).any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Key;

    #[test]
    fn store_errors_map_to_their_codes() {
        let key = Key::parse("/a").unwrap();
        let cases = [
            (StoreError::NotFound { key: key.clone() }, Exit::NotFound),
            (StoreError::Conflict { key: key.clone(), detail: "x".into() }, Exit::Conflict),
            (
                StoreError::Unreachable { store: "s".into(), endpoint: "e".into(), reason: "r".into() },
                Exit::Unreachable,
            ),
            (StoreError::Corrupt { store: "s".into(), reason: "r".into() }, Exit::Failure),
            (StoreError::TooLarge { store: "s".into(), size: Some(2), limit: 1, hint: None }, Exit::Usage),
            (StoreError::BadOption { store: "s".into(), message: "m".into() }, Exit::Usage),
        ];
        for (err, code) in cases {
            assert_eq!(classify(&anyhow::Error::new(err).context("while doing x")), code);
        }
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
