//! Arakoon, Open vStorage's own configuration store, over its client
//! protocol (TCP, little-endian; `wire.rs`), written from Arakoon's sources
//! and tested against a fake cluster written from the same (no Arakoon
//! server can be installed here).
//!
//! **Keys** are stored as Open vStorage's framework stores them: without
//! the leading `/` (`/ovs/framework/scheduling/celery` is the Arakoon key
//! `ovs/framework/scheduling/celery`), below the URL's root if it has one
//! (`/tenant` puts it at `tenant/ovs/...`). Arakoon keys beginning with `_`
//! are Arakoon's and the framework's own (`__ovs_config`, ovs's revision
//! records): never listed, and an ovs key that would become one is refused.
//! Keys other clients wrote that ovs cannot address (`a//b`, not UTF-8)
//! are listed as they are (not UTF-8: with U+FFFD) and the commands flag
//! them, as on the other stores.
//!
//! **Revisions** are ovs's own, kept in Arakoon's hidden space: see
//! `revision.rs` for what they are and what they cannot see.
//!
//! **A commit is one `sequence`** (`commit.rs`), all or nothing, its
//! preconditions as asserts. Arakoon takes a value under 8 MiB
//! (`max_value_size`) and a request up to 32 MiB (`max_buffer_size`); a
//! batch is declared at half of that, as guards assert the values they read.
//!
//! **Listings and scans** page through `range_entries` (`listing.rs`), one
//! page in memory. Arakoon has no snapshot read across pages: each value a
//! scan gives is one its key had, but keys are read at different moments
//! (as on ZooKeeper), and a guarded write still refuses a value that moved.
//!
//! **Watching** re-reads the prefix once a second (`watch.rs`).
//!
//! **Clusters** (`cluster.rs`): every request goes to the master, found by
//! `who_master`; a node that is not master, gone or silent sends the
//! request on to the next, within `--timeout`.

mod cluster;
mod commit;
mod connection;
mod listing;
mod revision;
mod url;
mod watch;
mod wire;

use super::backend::{Backend, Checked, Config, Login, UrlInfo};
use super::{
    root_is_not_a_key, Capabilities, Committed, Entries, Key, KeyError, Options, Scan, Store, StoreError, Version,
    Watcher, Write,
};
use cluster::{quote, Cluster};
use connection::Reply;
use listing::Pair;
use url::Target;
use wire::rc;

/// Arakoon refuses a value of `max_value_size` (8 MiB by default) or more.
const MAX_VALUE_BYTES: u64 = 8 * 1024 * 1024 - 1;
const VALUE_HINT: &str = "Arakoon's default max_value_size of 8 MiB; a cluster set up with a larger \
                          __tainted_max_value_size takes more: pass --max-value-size";
/// Arakoon's default `max_buffer_size`: the largest request it reads.
const MAX_BUFFER_BYTES: u64 = 32 * 1024 * 1024;

/// Arakoon in the registry.
pub const BACKEND: Backend = Backend {
    schemes: &["arakoon"],
    form: "arakoon://CLUSTER_ID@host:port[,host:port...][/root] or arakoon://[CLUSTER_ID][/root]?ini=PATH",
    about: "Arakoon, Open vStorage's store (?ini=: the nodes from an arakoon_cacc.ini): keys as the OVS framework \
            keeps them, batches are one sequence, revisions are ovs's own, kept in Arakoon's hidden _ keys",
    capabilities: Capabilities {
        max_value_bytes: MAX_VALUE_BYTES,
        max_value_hint: Some(VALUE_HINT),
        max_batch_ops: None,
        // A delete asserts its key's value, then deletes it and its record.
        delete_ops: 3,
        max_batch_bytes: Some(MAX_BUFFER_BYTES / 2),
        // An update's framing, its revision record, its assert.
        batch_op_bytes: 64,
        snapshot_scan: false,
        watch: true,
        ..Capabilities::unlimited(0)
    },
    logs_in: Login::No,
    check: |_, rest| {
        let target = Target::parse(rest)?;
        Ok(Checked::new(UrlInfo { user: None, display: target.display() }, target))
    },
};

impl Config for Target {
    fn open(&self, options: &Options) -> Result<Box<dyn Store>, StoreError> {
        let describe = self.display();
        let (id, nodes) =
            self.resolve().map_err(|message| StoreError::BadOption { store: describe.clone(), message })?;
        let root = if self.root.is_root() { Vec::new() } else { format!("{}/", &self.root.as_str()[1..]).into_bytes() };
        let cluster = Cluster::new(id, nodes, options.timeout, describe.clone());
        Ok(Box::new(ArakoonStore { cluster, root, describe }))
    }
}

/// A key's value as read now, and its revision record if it has one.
type Current = (Vec<u8>, Option<Vec<u8>>);

pub struct ArakoonStore {
    cluster: Cluster,
    /// The Arakoon prefix of every key: "" or "ROOT/".
    root: Vec<u8>,
    describe: String,
}

impl ArakoonStore {
    /// The Arakoon key of `key` (the root: the URL root's prefix).
    fn raw(&self, key: &Key) -> Vec<u8> {
        [&self.root[..], &key.as_str().as_bytes()[1..]].concat()
    }

    /// The Arakoon key of a key ovs may read or write: never one of
    /// Arakoon's own.
    fn checked(&self, key: &Key) -> Result<Vec<u8>, StoreError> {
        let raw = self.raw(key);
        if raw.starts_with(b"_") {
            let reason = "keys beginning with \"_\" are Arakoon's own, hidden as Open vStorage hides them";
            return Err(KeyError { text: key.as_str().to_string(), reason }.into());
        }
        Ok(raw)
    }

    /// What every key strictly below `prefix` starts with.
    fn below(&self, prefix: &Key) -> Vec<u8> {
        if prefix.is_root() {
            self.root.clone()
        } else {
            [self.raw(prefix), b"/".to_vec()].concat()
        }
    }

    /// The ovs key of an Arakoon key below the root.
    fn ovs_key(&self, raw: &[u8]) -> String {
        format!("/{}", String::from_utf8_lossy(raw.strip_prefix(&self.root[..]).unwrap_or(raw)))
    }

    /// At most `max` pairs from `first` up to `last` (excluded), in order.
    fn range(&self, first: &[u8], first_in: bool, last: Option<&[u8]>, max: usize) -> Result<Vec<Pair>, StoreError> {
        let request = wire::range_entries(Some(first), first_in, last, false, max as u32);
        match self.cluster.call(&request, |r| r.pairs())? {
            Reply::Done(pairs) => Ok(pairs),
            Reply::Refused(code, message) => Err(self.refusal(code, &message)),
        }
    }

    /// The value of one Arakoon key, if it exists.
    fn read(&self, raw: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let request = wire::range_entries(Some(raw), true, Some(raw), true, 1);
        let pairs = match self.cluster.call(&request, |r| r.pairs())? {
            Reply::Done(pairs) => pairs,
            Reply::Refused(code, message) => return Err(self.refusal(code, &message)),
        };
        Ok(pairs.into_iter().find(|(k, _)| k == raw).map(|(_, v)| v))
    }

    /// The value of one key and its revision record.
    fn read_versioned(&self, raw: &[u8]) -> Result<Option<Current>, StoreError> {
        let Some(value) = self.read(raw)? else { return Ok(None) };
        Ok(Some((value, self.read(&revision::shadow(raw))?)))
    }

    /// A node's refusal, in words.
    fn refusal(&self, code: u32, message: &[u8]) -> StoreError {
        let what = match code {
            rc::NOT_FOUND => "not found",
            rc::ASSERTION_FAILED => "an assert failed",
            rc::BAD_INPUT => "bad input",
            _ => "refused",
        };
        StoreError::Backend {
            store: self.describe.clone(),
            message: format!("Arakoon answered {what} (return code {code:#04x}): {}", quote(message)),
        }
    }
}

impl Store for ArakoonStore {
    fn describe(&self) -> &str {
        &self.describe
    }

    fn capabilities(&self) -> Capabilities {
        BACKEND.capabilities
    }

    fn get(&self, key: &Key) -> Result<Version, StoreError> {
        root_is_not_a_key(key)?;
        let raw = self.checked(key)?;
        let (value, record) = self.read_versioned(&raw)?.ok_or_else(|| StoreError::NotFound { key: key.clone() })?;
        Ok(Version { revision: revision::of(&value, record.as_deref()), value })
    }

    fn keys(&self, prefix: &Key) -> Result<Entries<'_>, StoreError> {
        self.checked(prefix)?;
        Ok(listing::keys(self, prefix))
    }

    fn children(&self, prefix: &Key) -> Result<Entries<'_>, StoreError> {
        self.checked(prefix)?;
        Ok(listing::children(self, prefix))
    }

    fn scan(&self, prefix: &Key) -> Result<Scan<'_>, StoreError> {
        self.checked(prefix)?;
        Ok(listing::scan(self, prefix))
    }

    fn commit(&self, writes: &[Write]) -> Result<Committed, StoreError> {
        commit::commit(self, writes)
    }

    fn watch(&self, prefix: &Key, after: Option<super::Revision>) -> Result<Box<dyn Watcher + '_>, StoreError> {
        self.checked(prefix)?;
        watch::watch(self, prefix, after)
    }
}
