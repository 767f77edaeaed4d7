//! ZooKeeper. A key is the znode at the same path below the chroot, with
//! the value as its data, so `zkCli.sh get /ovs/framework/memcache` and
//! `ovs config get /ovs/framework/memcache` read the same bytes.
//!
//! A znode holds data and children at once; etcd and the directory store
//! have no such parents. Writing `/a/b/c` creates `/a` and `/a/b` with empty
//! data. The rule that makes every backend list the same keys: **a znode is
//! a key when it has data or has no children.** An empty parent is not a key
//! (`get` says not found, `list -r` skips it). Deleting a key prunes the
//! empty parents it leaves behind, in the same multi; deleting a key that
//! still has keys below it empties its data, which makes it a parent again.
//! The one thing that cannot be told apart: an empty value on a znode that
//! has children reads as a parent, not as a key.
//!
//! Revisions are the znode's `mzxid`, the transaction id of its last change,
//! which no later znode at that path can share: a key deleted and created
//! again never matches an old revision.
//!
//! Every write is a commit, and a commit is one multi (`commit.rs`): the
//! stats it needs are read first, each precondition is compared with the
//! `mzxid` read, and the multi's operations carry the versions read, so a
//! change in between fails the multi (BadVersion, NodeExists, NoNode,
//! NotEmpty) and the commit is looked at again. It all fits one request or
//! is refused before anything is sent (ZooKeeper's default jute.maxbuffer,
//! 1 MiB), counting the parents it creates or prunes and every znode of a
//! recursive delete, which is one multi too (children before parents).
//!
//! A scan walks like `list -r` and reads the data of 100 keys at a time,
//! pipelined (`listing.rs`). ZooKeeper has no point-in-time read across
//! znodes: each value a scan gives is one its key had, with that value's
//! revision, but keys are read at different moments, so a scan may see one
//! key before a commit and another after it. Its memory holds one batch of
//! values.
//!
//! One session serves every call of a store, and the shared runtime keeps
//! up its pings between calls, so it outlives a long pause (an editor left
//! open). A client is reused only while its session is connected; otherwise
//! the next call opens a new session. ovs keeps nothing in a session but a
//! watch (no ephemeral znodes), so nothing is lost, and a write is still
//! checked against the revision it was read at; a watch is set again on the
//! new session and re-reads its prefix (`watch.rs`). ZooKeeper keeps no
//! history of a znode: `history` is not supported.
//!
//! A request that finds no server, or loses its connection or session (a
//! leader election, a server restarted or replaced), is sent again to
//! whichever server takes a session, after a pause that doubles from 50 ms
//! to 1 s, until the timeout (which each request has in full) is spent; only
//! then does it fail, naming the servers (exit 6). Sending again is safe for
//! reads and for every write ovs makes: a multi is applied whole or not at
//! all, its version-checked writes and creates cannot apply twice, and an
//! unconditional write only writes the same bytes again. But a commit whose
//! first attempt landed just before the connection dropped meets its own
//! change the second time: read again, a conditional write then reports a
//! conflict with itself, and a delete says the key is not found; read the
//! key to see which.
//!
//! Not guaranteed: reads come from the server the session is on, which may
//! trail the leader by a moment (ZooKeeper's own rule), and a new session
//! does not carry the old one's view, so a read after a reconnect may be
//! older than one before it. Revisions are only comparable within one
//! ensemble's history: servers started again with empty data dirs count
//! transaction ids from the start.
//!
//! `/zookeeper`, ZooKeeper's own tree (quotas, the ensemble's config), is
//! never listed or written: a key whose znode path, chroot included, falls
//! inside it is a usage error, and so is a chroot inside it.

mod commit;
mod listing;
mod watch;

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;
use zookeeper_client as zk;

use super::backend::{Backend, Checked, Config, Login};
use super::{
    parse_cluster, root_is_not_a_key, Capabilities, ClusterUrl, Committed, Entries, Key, KeyError, Options, Revision,
    Said, Scan, Store, StoreError, Version, Watcher, Write,
};

/// ZooKeeper's default jute.maxbuffer is 1 MiB per request (a larger one
/// makes the server drop the connection); keep a margin for headers.
const MAX_REQUEST_BYTES: usize = 1_000_000;
const RAISE_HINT: &str = "ZooKeeper's default jute.maxbuffer of 1 MiB per request; servers started with a larger -Djute.maxbuffer take more: pass --max-value-size";
/// The pause before trying again after a lost connection, doubling up to
/// the longest.
const FIRST_PAUSE: Duration = Duration::from_millis(50);
const MAX_PAUSE: Duration = Duration::from_secs(1);

pub struct ZkStore {
    rt: &'static tokio::runtime::Runtime,
    hosts: String,
    /// The chroot as a path prefix ("" for none).
    root: String,
    describe: String,
    timeout: Duration,
    auth: Option<Vec<u8>>,
    client: Mutex<Option<zk::Client>>,
}

fn is_key(stat: &zk::Stat) -> bool {
    stat.data_length > 0 || stat.num_children == 0
}

fn revision(stat: &zk::Stat) -> Revision {
    Revision(stat.mzxid.max(0) as u64)
}

/// Whether a znode path is ZooKeeper's own tree or below it.
fn inside_zookeeper(path: &str) -> bool {
    path.strip_prefix("/zookeeper").is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

impl ZkStore {
    pub fn open(url: &ClusterUrl, options: &Options) -> Result<ZkStore, StoreError> {
        let describe = url.describe("zk");
        if options.tls.any() {
            // Sending in the clear what was meant to be encrypted is worse than failing.
            return Err(StoreError::Unsupported { store: describe, what: "TLS (--cacert/--cert)".into() });
        }
        if options.credentials.as_ref().is_some_and(|c| c.user.contains(':')) {
            // Digest auth sends "user:password" and the server splits it at the
            // first ':', so part of the name would be taken as the password.
            // The name is not repeated: it may hold a password pasted into it.
            return Err(StoreError::BadOption {
                store: describe,
                message: "a ZooKeeper user name cannot contain ':' (digest auth splits user and password there)".into(),
            });
        }
        if inside_zookeeper(url.root.as_str()) {
            return Err(StoreError::BadOption {
                store: describe,
                message: format!(
                    "the chroot {} is in /zookeeper, ZooKeeper's own tree, which ovs never writes",
                    url.root
                ),
            });
        }
        let rt = super::runtime::shared(&describe)?;
        Ok(ZkStore {
            rt,
            hosts: url.endpoints.join(","),
            root: if url.root.is_root() { String::new() } else { url.root.as_str().to_string() },
            describe,
            timeout: options.timeout,
            auth: options.credentials.as_ref().map(|c| format!("{}:{}", c.user, c.password).into_bytes()),
            client: Mutex::new(None),
        })
    }

    /// The znode path of `key`, refused when it falls inside `/zookeeper`.
    fn path(&self, key: &Key) -> Result<String, StoreError> {
        let path = match (self.root.is_empty(), key.is_root()) {
            (true, _) => key.as_str().to_string(),
            (false, true) => self.root.clone(),
            (false, false) => format!("{}{}", self.root, key),
        };
        if inside_zookeeper(&path) {
            return Err(KeyError { text: key.to_string(), reason: "/zookeeper belongs to ZooKeeper itself" }.into());
        }
        Ok(path)
    }

    /// The ovs key for a znode path at or below the chroot.
    fn key_of(&self, path: &str) -> String {
        match &path[self.root.len()..] {
            "" => "/".to_string(),
            key => key.to_string(),
        }
    }

    /// What ZooKeeper's answer means. A lost connection or session is an
    /// unreachable store (worth retrying); a refused login or ACL is access
    /// denied.
    fn error(&self, e: zk::Error) -> StoreError {
        self.refused("", e)
    }

    /// [`Self::error`], saying what was refused (`what`, "" for nothing
    /// more than ZooKeeper's words).
    fn refused(&self, what: &str, e: zk::Error) -> StoreError {
        let store = self.describe.clone();
        match e {
            zk::Error::NoAuth | zk::Error::AuthFailed => {
                StoreError::Denied { store, what: what.into(), source: e.into() }
            }
            e if lost(&e) => StoreError::Unreachable { store, endpoint: self.hosts.clone(), source: e.into() },
            e => StoreError::failed(&store, what, e),
        }
    }

    /// Run `op` with a connected client until ZooKeeper answers it.
    fn run<T, F, Fut>(&self, op: F) -> Result<T, StoreError>
    where
        F: Fn(zk::Client) -> Fut,
        Fut: Future<Output = Result<T, zk::Error>>,
    {
        self.call(op)?.map_err(|e| self.error(e))
    }

    /// Like `run`, but hands back what ZooKeeper said about the operation
    /// itself, for writes that look again when the znode changed under them.
    /// A lost connection or session is no answer: `op` is tried again (on a
    /// new session if need be) after a pause that doubles from 50 ms to 1 s,
    /// until the timeout is spent. Only once the session has failed the
    /// request, though: a session that dropped may still hold it and send
    /// it when it comes back, and sending it elsewhere meanwhile could apply
    /// it twice, the second time after this call has returned.
    fn call<T, F, Fut>(&self, op: F) -> Result<Result<T, zk::Error>, StoreError>
    where
        F: Fn(zk::Client) -> Fut,
        Fut: Future<Output = Result<T, zk::Error>>,
    {
        // Timers must be made inside the runtime.
        self.rt.block_on(async {
            let deadline = Instant::now() + self.timeout;
            let mut pause = FIRST_PAUSE;
            let mut last = None;
            while Instant::now() < deadline {
                match tokio::time::timeout_at(deadline, async { op(self.client().await?).await }).await {
                    Ok(Err(e)) if self.error(e.clone()).is_retryable() => last = Some(e),
                    Ok(answer) => return Ok(answer),
                    Err(_) => break,
                }
                tokio::time::sleep_until(deadline.min(Instant::now() + pause)).await;
                pause = (pause * 2).min(MAX_PAUSE);
            }
            Err(self.gave_up(last))
        })
    }

    /// The error once the timeout is spent: the last failure, or that
    /// nothing answered at all.
    fn gave_up(&self, last: Option<zk::Error>) -> StoreError {
        match last {
            Some(e) => StoreError::Unreachable {
                store: self.describe.clone(),
                endpoint: self.hosts.clone(),
                source: match e {
                    // The client's "no available hosts" reads as if none were given.
                    zk::Error::NoHosts => {
                        Said::over(format!("no server would open a session (retried for {:?})", self.timeout), e)
                    }
                    e => Said::over(format!("{e} (retried for {:?})", self.timeout), e),
                },
            },
            None => StoreError::Timeout {
                store: self.describe.clone(),
                after: self.timeout,
                during: format!("talking to {}", self.hosts),
                source: None,
            },
        }
    }

    /// The cached client while its session is connected, else a new
    /// session. A disconnected client may find its way back, but it may as
    /// well be knocking on a server that will never take it again (one that
    /// was replaced refuses a client that has seen later transactions than
    /// its own) until its session expires on its own clock; a new session
    /// costs one round trip and ovs keeps nothing in one. (The session
    /// marks its state before it fails a request, so a client that has just
    /// lost one is never reused.)
    async fn client(&self) -> Result<zk::Client, zk::Error> {
        let cached = self.cached().clone();
        if let Some(client) = cached.filter(|c| c.state() == zk::SessionState::SyncConnected) {
            return Ok(client);
        }
        let mut connector = zk::Client::connector();
        // Try each server once: `call` paces the retries within the timeout.
        connector.fail_eagerly();
        connector.session_timeout(self.timeout.max(Duration::from_secs(4)));
        connector.connection_timeout(self.timeout / 2);
        if let Some(auth) = &self.auth {
            connector.auth("digest".to_string(), auth.clone());
        }
        let client = connector.connect(&self.hosts).await?;
        *self.cached() = Some(client.clone());
        Ok(client)
    }

    fn cached(&self) -> std::sync::MutexGuard<'_, Option<zk::Client>> {
        self.client.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// New znodes: open to all, or with credentials only to their creator.
    fn create_options(&self) -> zk::CreateOptions<'static> {
        let acls = if self.auth.is_some() { zk::Acls::creator_all() } else { zk::Acls::anyone_all() };
        zk::CreateMode::Persistent.with_acls(acls)
    }
}

/// The connection or the session is gone, the server is busy, or no server
/// took the session: nothing was said about the operation, so it may be
/// tried again (the store is unreachable, for [`ZkStore::error`]). `Custom` is how this client reports its transport failures
/// (I/O errors, "no response from connection").
fn lost(e: &zk::Error) -> bool {
    use zk::Error as E;
    matches!(
        e,
        E::NoHosts
            | E::ConnectionLoss
            | E::SessionExpired
            | E::SessionMoved
            | E::ClientClosed
            | E::Timeout
            | E::Throttled
            | E::Custom(_)
    )
}

impl Store for ZkStore {
    fn describe(&self) -> &str {
        &self.describe
    }

    fn capabilities(&self) -> Capabilities {
        BACKEND.capabilities
    }

    fn get(&self, key: &Key) -> Result<Version, StoreError> {
        root_is_not_a_key(key)?;
        let path = &self.path(key)?;
        let found = self.run(|c| async move {
            match c.get_data(path).await {
                Ok(found) => Ok(Some(found)),
                Err(zk::Error::NoNode) => Ok(None),
                Err(e) => Err(e),
            }
        })?;
        match found {
            Some((value, stat)) if is_key(&stat) => Ok(Version { value, revision: revision(&stat) }),
            _ => Err(StoreError::NotFound { key: key.clone() }),
        }
    }

    fn commit(&self, writes: &[Write]) -> Result<Committed, StoreError> {
        commit::commit(self, writes)
    }

    fn scan(&self, prefix: &Key) -> Result<Scan<'_>, StoreError> {
        Ok(listing::scan(self, self.path(prefix)?))
    }

    fn keys(&self, prefix: &Key) -> Result<Entries<'_>, StoreError> {
        Ok(listing::keys(self, self.path(prefix)?))
    }

    fn children(&self, prefix: &Key) -> Result<Entries<'_>, StoreError> {
        listing::children(self, self.path(prefix)?)
    }

    fn watch(&self, prefix: &Key, after: Option<Revision>) -> Result<Box<dyn Watcher + '_>, StoreError> {
        watch::watch(self, prefix, after)
    }
}

/// ZooKeeper in the registry.
pub const BACKEND: Backend = Backend {
    schemes: &["zk"],
    form: "zk://[user@]host:port[,host:port...][/chroot]",
    about: "ZooKeeper: revisions are the znode's mzxid, writes are version-checked, batches are multi",
    capabilities: Capabilities {
        max_value_bytes: MAX_REQUEST_BYTES as u64,
        max_value_hint: Some(RAISE_HINT),
        // A multi is one request, under the same jute.maxbuffer.
        max_batch_bytes: Some(MAX_REQUEST_BYTES as u64),
        // About 48 bytes an operation, and room for a chroot and a parent
        // created on the way (commit.rs counts exactly before sending).
        batch_op_bytes: 200,
        // ZooKeeper reads one znode at a time: no point-in-time view.
        snapshot_scan: false,
        watch: true,
        ..Capabilities::unlimited(0)
    },
    logs_in: Login::UserNeedsPassword,
    check: |scheme, rest| {
        let cluster = parse_cluster(rest, 2181)?;
        Ok(Checked::new(cluster.info(scheme), ZkConfig { cluster }))
    },
};

/// A ZooKeeper URL: its hosts and chroot.
#[derive(Debug)]
struct ZkConfig {
    cluster: ClusterUrl,
}

impl Config for ZkConfig {
    fn open(&self, options: &Options) -> Result<Box<dyn Store>, StoreError> {
        Ok(Box::new(ZkStore::open(&self.cluster, options)?))
    }
}
