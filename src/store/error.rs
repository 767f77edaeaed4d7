//! Store errors: the kind is the variant, the failure underneath is its
//! `source`, kept whole until `main` shows it (one line, or the whole chain
//! at `-vv`). Whether an error is worth retrying is the error's to say.

use std::time::Duration;

use super::{Key, KeyError, Precondition, Revision};

/// The failure underneath a store error, kept whole: `-vv` shows its chain,
/// and code can look into it. Nothing is turned into a string before it is
/// shown.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A store error's kind is its variant; the failure underneath, where there
/// is one, is its `source`. Each Display reads as one line that includes its
/// source's own words (not the source's causes: `-vv` adds those).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("key not found: {key}")]
    NotFound { key: Key },
    #[error("conflict on {key}: {detail}; nothing was written")]
    Conflict { key: Key, detail: String },
    #[error("{store}: cannot reach {endpoint}: {source}")]
    Unreachable { store: String, endpoint: String, source: Cause },
    #[error("{store}: timed out after {after:?}{}{}", lead(" ", during), source.as_ref().map(|s| format!(" (last: {s})")).unwrap_or_default())]
    Timeout { store: String, after: Duration, during: String, source: Option<Cause> },
    #[error(transparent)]
    InvalidKey(#[from] KeyError),
    /// The store's own data cannot be read back as written (`source`: what
    /// the reader met, where it says more than `reason`).
    #[error("{store}: store is corrupt: {reason}{}", source.as_ref().map(|s| format!(": {s}")).unwrap_or_default())]
    Corrupt { store: String, reason: String, source: Option<Cause> },
    /// A failure the store itself describes, in our words (no error
    /// underneath).
    #[error("{store}: {message}")]
    Backend { store: String, message: String },
    /// A failure underneath that is none of the kinds here: `what` says
    /// what was being done ("" when the source says it all).
    #[error("{store}: {}{source}", tail(what, ": "))]
    Failed { store: String, what: String, source: Cause },
    /// Authentication or permission refused (a wrong password or token, an
    /// ACL): exit 8, never worth retrying with the same credentials. `what`
    /// is what was refused ("" when the source says it).
    #[error("{store}: access denied{}: {source}", lead(" ", what))]
    Denied { store: String, what: String, source: Cause },
    /// Asked of a backend that cannot do it: refused, never silently skipped.
    #[error("{store}: {what} is not supported by this store")]
    Unsupported { store: String, what: String },
    /// The options given cannot work with this store (a usage error, found
    /// before any I/O).
    #[error("{store}: {message}")]
    BadOption { store: String, message: String },
    /// A batch over the store's atomic limits, refused whole.
    #[error("{store}: a batch of {what} is over this store's limit of {limit} for one atomic commit; nothing was written (--chunked applies it in guarded chunks)")]
    BatchTooLarge { store: String, what: String, limit: String },
    /// A value over the store's limit, refused before it is sent (or
    /// recognised in the server's answer).
    #[error("{store}: {} is over this store's limit of {limit} bytes{}; nothing was written",
        size.map_or("the request".to_string(), |n| format!("a value of {n} bytes")),
        hint.map(|h| format!(" ({h})")).unwrap_or_default())]
    TooLarge { store: String, size: Option<u64>, limit: u64, hint: Option<&'static str> },
}

/// `text` after `sep`, or nothing for no text.
fn lead(sep: &str, text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("{sep}{text}")
    }
}

/// `text` before `sep`, or nothing for no text.
fn tail(text: &str, sep: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("{text}{sep}")
    }
}

/// Our own words standing as a cause, where no error lies underneath ("no
/// answer within 2s"), or rewording the one that does (its source).
#[derive(Debug, thiserror::Error)]
#[error("{text}")]
pub struct Said {
    pub text: String,
    #[source]
    pub source: Option<Cause>,
}

impl Said {
    /// Our words as a cause, with nothing underneath.
    pub fn cause(text: impl Into<String>) -> Cause {
        Box::new(Said { text: text.into(), source: None })
    }

    /// `text` in place of `source`'s own words, which stay in the chain.
    pub fn over(text: impl Into<String>, source: impl Into<Cause>) -> Cause {
        Box::new(Said { text: text.into(), source: Some(source.into()) })
    }
}

/// A cause with what was being done, or where: "http://h:2379: transport
/// error".
#[derive(Debug, thiserror::Error)]
#[error("{what}: {source}")]
pub struct Context {
    pub what: String,
    pub source: Cause,
}

impl Context {
    /// `source`, said with what was being done or where.
    pub fn cause(what: impl Into<String>, source: impl Into<Cause>) -> Cause {
        Box::new(Context { what: what.into(), source: source.into() })
    }
}

impl StoreError {
    /// Whether trying again (another endpoint, another attempt, after a
    /// pause) may succeed: the store could not be reached or did not answer
    /// in time. A refusal, a conflict or a bad request is the same the next
    /// time.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Unreachable { .. } | StoreError::Timeout { .. })
    }

    /// A failure underneath, with what was being done ("" when its own words
    /// say it).
    pub fn failed(store: &str, what: impl Into<String>, source: impl Into<Cause>) -> Self {
        StoreError::Failed { store: store.to_string(), what: what.into(), source: source.into() }
    }

    /// Every endpoint of a cluster failed: a timeout when the time is spent,
    /// else unreachable, naming them all and the last failure (`last`, one
    /// endpoint's: its own words come after the endpoint's name).
    pub(crate) fn no_endpoint(
        store: &str,
        timeout: Duration,
        spent: bool,
        endpoints: &[String],
        last: StoreError,
    ) -> Self {
        let last = match last {
            StoreError::Unreachable { endpoint, source, .. } => Context::cause(endpoint, source),
            other => Box::new(other),
        };
        if spent {
            return StoreError::Timeout {
                store: store.to_string(),
                after: timeout,
                during: String::new(),
                source: Some(last),
            };
        }
        StoreError::Unreachable {
            store: store.to_string(),
            endpoint: format!("any of {}", endpoints.join(", ")),
            source: last,
        }
    }

    /// The conflict a failed precondition reports, worded the same way for
    /// every backend.
    pub fn precondition_failed(key: &Key, wanted: Precondition, current: Option<Revision>) -> Self {
        let now = match current {
            Some(rev) => format!("it is at revision {rev}"),
            None => "it does not exist".to_string(),
        };
        let detail = match wanted {
            Precondition::Any => now,
            Precondition::Absent => format!("expected it to be absent, but {now}"),
            Precondition::Revision(rev) => format!("expected revision {rev}, but {now}"),
        };
        StoreError::Conflict { key: key.clone(), detail }
    }
}
