//! The store layer: one trait every backend implements, the types it speaks
//! (keys, revisions, preconditions, typed errors), and the URL that picks a
//! backend. Nothing here prints; commands never ask which backend they have.

pub mod arakoon;
pub mod backend;
pub mod batch;
mod children;
pub mod consul;
pub mod dir;
mod error;
pub mod etcd;
mod failover;
mod key;
pub mod plugin;
pub mod registry;
mod runtime;
pub mod sql;
mod tls;
mod url;
pub mod watch;
pub mod zookeeper;

pub use backend::{Backend, Checked, Config, Login, UrlInfo};
pub use batch::{Committed, Op, Write};
pub use children::from_keys as children_from_keys;
pub use error::{Cause, Context, Said, StoreError};
pub use key::{is_invisible, Key, KeyError};
pub use tls::TlsFiles;
pub use url::{masked, parse_cluster, ClusterUrl, StoreUrl, UrlError};
pub use watch::{Event, History, Update, Watcher};

use std::time::Duration;

/// A store's version of one key: it changes on every write to that key and a
/// key deleted and created again never gets an old revision back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Revision(pub u64);

impl std::fmt::Display for Revision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The condition a write carries; a failed one is [`StoreError::Conflict`]
/// and nothing is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precondition {
    Any,
    /// Create only: the key must not exist.
    Absent,
    /// The key must exist and still be at this revision.
    Revision(Revision),
}

impl Precondition {
    /// Whether a key currently at `current` (None: missing) satisfies this.
    pub fn holds(self, current: Option<Revision>) -> bool {
        match self {
            Precondition::Any => true,
            Precondition::Absent => current.is_none(),
            Precondition::Revision(want) => current == Some(want),
        }
    }
}

/// A value and its revision: a key as read now, or one of its past
/// versions (`Store::history`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub value: Vec<u8>,
    pub revision: Revision,
}

/// Which store's history this is, and how far it has got: see
/// [`Store::identity`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Names one store's history (etcd: its cluster id, in hex).
    pub id: String,
    /// The revision the store is at now.
    pub revision: Revision,
}

/// A streamed listing: memory does not grow with the number of entries.
pub type Entries<'a> = Box<dyn Iterator<Item = Result<String, StoreError>> + 'a>;

/// One key of a scan: its full path, value and revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: Vec<u8>,
    pub revision: Revision,
}

/// A streamed scan, sorted by key bytes; memory holds a page at most.
pub type Scan<'a> = Box<dyn Iterator<Item = Result<Entry, StoreError>> + 'a>;

/// What a backend can do and its limits, declared so that commands decide
/// from them and never from the kind of store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// The largest value the store takes, in bytes.
    pub max_value_bytes: u64,
    /// How to raise that limit, where the server allows it (for messages).
    pub max_value_hint: Option<&'static str>,
    /// Whether `commit` applies a batch all or nothing.
    pub atomic_batch: bool,
    /// The most operations one commit may hold (None: no limit); a write
    /// is one operation, or `delete_ops` for a delete.
    pub max_batch_ops: Option<usize>,
    /// What a delete or recursive delete counts against `max_batch_ops`
    /// (a store that checks a key before it deletes it needs two).
    pub delete_ops: usize,
    /// The most bytes one commit may carry, as `Write::cost` counts them
    /// (None: no limit).
    pub max_batch_bytes: Option<u64>,
    /// What each write of a batch costs besides its key and value (framing,
    /// parents created on the way), for `Write::cost`.
    pub batch_op_bytes: u64,
    /// Whether `scan` reads one point in time (else: each value is one its
    /// key had, but keys may be read at different moments).
    pub snapshot_scan: bool,
    /// Whether past revisions of a key can be read back (`Store::history`).
    pub history: bool,
    /// Whether changes can be followed as they happen (`Store::watch`).
    pub watch: bool,
    /// Whether a watch can go on from a position an earlier one reached
    /// (`Store::watch`'s `after`), replaying what happened meanwhile.
    pub resume_watch: bool,
}

impl Capabilities {
    /// An atomic store with no batch limits and a snapshot scan.
    pub const fn unlimited(max_value_bytes: u64) -> Capabilities {
        Capabilities {
            max_value_bytes,
            max_value_hint: None,
            atomic_batch: true,
            max_batch_ops: None,
            delete_ops: 1,
            max_batch_bytes: None,
            batch_op_bytes: 0,
            snapshot_scan: true,
            history: false,
            watch: false,
            resume_watch: false,
        }
    }
}

/// The contract every backend keeps; the conformance suite in `tests/`
/// checks it against each one.
///
/// # Behavior
/// - Keys are [`Key`]s; the root `/` holds no value (`InvalidKey` on write).
/// - Listings are sorted by the bytes of the key and respect segment
///   boundaries: a listing of `/a/b` never includes `/a/bc` or `/a/b.x`.
/// - The subtree of a prefix P, which `keys`, `scan` and `watch` cover, is
///   P itself plus every key below `P/` (the root `/` is no key: its
///   subtree is every key). `children` lists what is below P, never P.
/// - A failed [`Precondition`] is `Conflict` and writes nothing.
/// - Deleting a missing key is `NotFound`.
pub trait Store: Send + Sync {
    /// A short name for messages, e.g. `dir:///var/lib/ovs` (no secrets).
    fn describe(&self) -> &str;

    fn capabilities(&self) -> Capabilities;

    fn get(&self, key: &Key) -> Result<Version, StoreError>;

    /// Every key of the subtree of `prefix` (`prefix` itself, then every
    /// key below it), full path, sorted.
    fn keys(&self, prefix: &Key) -> Result<Entries<'_>, StoreError>;

    /// Apply `writes` all or nothing, each under its own precondition. A
    /// failed precondition is `Conflict` naming the key, a `Delete` of a
    /// missing key is `NotFound`, and either way nothing is written. A batch
    /// over the store's limits is refused whole (`batch::check`).
    fn commit(&self, writes: &[Write]) -> Result<Committed, StoreError>;

    /// Every key of the subtree of `prefix` (`prefix` itself, then every key
    /// below it) with its value and revision, sorted, streamed; from one
    /// point in time where `snapshot_scan` says so, the prefix's own key
    /// included.
    fn scan(&self, prefix: &Key) -> Result<Scan<'_>, StoreError>;

    /// The immediate children of `prefix`, sorted: `name` for a key one level
    /// below, `name/` for a child with keys below it (both when both).
    /// The default derives them from [`Store::keys`]; a backend that can skip
    /// whole subtrees overrides it.
    fn children(&self, prefix: &Key) -> Result<Entries<'_>, StoreError> {
        Ok(children::from_keys(prefix.clone(), self.keys(prefix)?))
    }

    /// Follow the changes to the subtree of `prefix` (`prefix` itself and
    /// every key below it: `watch KEY` follows one key), from now on, or — where
    /// `resume_watch` says so — from just after `after`, a position an
    /// earlier watcher reached (a store that cannot resume refuses `after`).
    /// Where `watch` says so; no change may be missed silently.
    fn watch(&self, prefix: &Key, after: Option<Revision>) -> Result<Box<dyn Watcher + '_>, StoreError> {
        let _ = (prefix, after);
        Err(StoreError::Unsupported { store: self.describe().to_string(), what: "watch".into() })
    }

    /// Which store this is and how far its history has got, so that a watch
    /// is resumed from a position saved earlier only on the same history:
    /// the same id, at a revision not below that position. None where the
    /// store cannot tell (a watch then is not resumed). Where `resume_watch`
    /// says so.
    fn identity(&self) -> Result<Option<Identity>, StoreError> {
        Ok(None)
    }

    /// The versions of `key` the store still has, oldest first, the current
    /// one last; `NotFound` when the key does not exist now. Where
    /// `history` says so.
    fn history(&self, key: &Key) -> Result<History, StoreError> {
        let _ = key;
        Err(StoreError::Unsupported { store: self.describe().to_string(), what: "history".into() })
    }
}

/// Conveniences written once on top of [`Store::commit`], for every store
/// (as object_store's `ObjectStoreExt`): a backend has one write path, and
/// a wrapper that forwards `commit` gets these for free.
pub trait StoreExt: Store {
    /// Write `value` at `key` if `cond` holds; returns the new revision.
    fn put(&self, key: &Key, value: &[u8], cond: Precondition) -> Result<Revision, StoreError> {
        Ok(self.commit(&[Write::put(key, value, cond)])?.revision)
    }

    /// Delete one key if `cond` holds.
    fn delete(&self, key: &Key, cond: Precondition) -> Result<(), StoreError> {
        self.commit(&[Write::delete(key, cond)]).map(|_| ())
    }

    /// Delete `prefix` and every key below it, atomically; returns how many
    /// keys were removed (0 is not an error here).
    fn delete_tree(&self, prefix: &Key) -> Result<u64, StoreError> {
        Ok(self.commit(&[Write::delete_tree(prefix)])?.deleted)
    }
}

impl<S: Store + ?Sized> StoreExt for S {}

/// Options that apply to every backend that can use them.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub timeout: Duration,
    pub credentials: Option<Credentials>,
    pub tls: TlsFiles,
}

/// A user and password; `Debug` leaves the password out.
#[derive(Clone)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("user", &self.user).field("password", &"<hidden>").finish()
    }
}

/// Open the store a URL names.
pub fn open(url: &StoreUrl, options: &Options) -> Result<Box<dyn Store>, StoreError> {
    url.config().open(options)
}

/// Refuse, before any I/O, a value over the store's limit (or over
/// `override_limit`, the operator's own figure for a server set up to take
/// more or less than the default).
pub fn check_value_size(
    store: &str,
    caps: &Capabilities,
    value: &[u8],
    override_limit: Option<u64>,
) -> Result<(), StoreError> {
    let (limit, hint) = match override_limit {
        Some(limit) => (limit, Some("set by --max-value-size")),
        None => (caps.max_value_bytes, caps.max_value_hint),
    };
    let size = value.len() as u64;
    if size > limit {
        return Err(StoreError::TooLarge { store: store.to_string(), size: Some(size), limit, hint });
    }
    Ok(())
}

pub(crate) fn root_is_not_a_key(key: &Key) -> Result<(), StoreError> {
    if key.is_root() {
        return Err(KeyError { text: "/".into(), reason: "the root holds no value; name a key below it" }.into());
    }
    Ok(())
}
