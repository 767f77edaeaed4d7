//! etcd v3. Keys map one to one onto etcd keys (below the URL's root, if
//! any), so `etcdctl get /ovs/framework/memcache` and
//! `ovs config get /ovs/framework/memcache` read the same thing.
//!
//! Revisions are etcd's mod_revision. Reads are linearizable.
//!
//! A commit is one etcd transaction (see `commit.rs`): a compare for every
//! precondition, the puts and deletes in its success branch, and a failure
//! branch that reads every compared key so the error names the first write
//! whose condition failed. A recursive delete is two operations: the key
//! itself and the range below `key/`. etcd's own limits, `--max-txn-ops`
//! (128) and `--max-request-bytes` (1.5 MiB), are declared as the batch
//! limits; a server that refuses a transaction anyway (set up with less, or
//! a batch whose recursive deletes need more than 128 operations) is
//! reported as a batch too large, never as a transport error.
//!
//! A scan (see `listing.rs`) reads pages of keys and values, every page at
//! the revision of the first, so it is one snapshot; pages are sized in
//! bytes, so memory stays flat whatever the values weigh. A scan that runs
//! longer than the server keeps old revisions (auto-compaction) fails rather
//! than mix two points in time, and so does one that fails over, mid-scan,
//! to a member that has not yet applied the scan's revision.
//!
//! A watch (`watch.rs`) follows etcd's own event log from a revision on,
//! so it can resume where an earlier one stopped; a key's history
//! (`history.rs`) is read back from past revisions. Both end where the
//! server has compacted its log (auto-compaction, `etcdctl compact`):
//! a watch then reads the prefix again, and a history says what it lost.
//!
//! etcd-client balances over the endpoints it is given but does not fail
//! over, so this backend talks to one endpoint at a time, in the order of
//! the URL, and moves to the next when one is unreachable or has no leader.
//! A commit that reached a member that then died is retried on the next
//! one; if the first attempt had landed, a guarded commit reports a conflict
//! with its own write (and a delete, that its key is not found) although it
//! was applied, and a recursive delete counts only what the retry found.

mod commit;
mod history;
mod listing;
mod watch;

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use etcd_client::{Certificate, Client, ConnectOptions, Error as EtcdError, Identity as TlsIdentity, TlsOptions};
use tonic::Code;

use super::backend::{Backend, Checked, Config, Login};
use super::failover::{self, Attempt};
use super::{
    parse_cluster, root_is_not_a_key, Capabilities, Cause, ClusterUrl, Committed, Entries, History, Identity, Key,
    Options, Revision, Scan, Store, StoreError, Version, Watcher, Write,
};

/// etcd's default `--max-request-bytes`: a put carries key, value and a few
/// bytes of framing, so the value itself must stay a little below it.
const MAX_REQUEST_BYTES: u64 = 1536 * 1024;
const RAISE_HINT: &str =
    "etcd's default --max-request-bytes; a server started with more takes more: pass --max-value-size";

pub struct EtcdStore {
    rt: &'static tokio::runtime::Runtime,
    urls: Vec<String>,
    connect: ConnectOptions,
    /// The etcd key prefix for the URL's root ("" when the root is `/`).
    root: String,
    describe: String,
    timeout: Duration,
    /// The endpoint in use and its client, kept for the next operation.
    current: Mutex<Option<(usize, Client)>>,
}

impl EtcdStore {
    /// `etcds` asks for TLS, and so does any TLS file.
    pub fn open(url: &ClusterUrl, etcds: bool, options: &Options) -> Result<EtcdStore, StoreError> {
        let describe = url.describe(if etcds { "etcds" } else { "etcd" });
        let rt = super::runtime::shared(&describe)?;
        let tls = etcds || options.tls.any();
        let mut connect = ConnectOptions::new();
        if tls {
            connect = connect.with_tls(tls_options(options, &describe)?);
        }
        if let Some(creds) = &options.credentials {
            connect = connect.with_user(creds.user.clone(), creds.password.clone());
        }
        let scheme = if tls { "https" } else { "http" };
        Ok(EtcdStore {
            rt,
            urls: url.endpoints.iter().map(|e| format!("{scheme}://{e}")).collect(),
            connect,
            root: if url.root.is_root() { String::new() } else { url.root.as_str().to_string() },
            describe,
            timeout: options.timeout,
            current: Mutex::new(None),
        })
    }

    fn etcd_key(&self, key: &Key) -> Vec<u8> {
        format!("{}{}", self.root, key).into_bytes()
    }

    /// The etcd bytes every key strictly below `prefix` starts with.
    fn below(&self, prefix: &Key) -> Vec<u8> {
        format!("{}{}", self.root, prefix.dir_prefix()).into_bytes()
    }

    fn ovs_key(&self, etcd_key: &[u8]) -> String {
        String::from_utf8_lossy(&etcd_key[self.root.len().min(etcd_key.len())..]).into_owned()
    }

    /// [`Self::ovs_key`] of a key the listing owns, in its own buffer: the
    /// common case (UTF-8) allocates nothing.
    fn owned_ovs_key(&self, mut etcd_key: Vec<u8>) -> String {
        etcd_key.drain(..self.root.len().min(etcd_key.len()));
        String::from_utf8(etcd_key).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// What etcd's refusal means. (A member that is down or cut off from
    /// the leader is no refusal: [`Self::attempt`] tries the next one.)
    fn backend_error(&self, e: EtcdError) -> StoreError {
        let store = self.describe.clone();
        if too_large(&e) {
            // The server's own limit (or the gRPC message limit) was hit: say
            // which limit, not a transport message.
            return StoreError::TooLarge { store, size: None, limit: MAX_REQUEST_BYTES, hint: Some(RAISE_HINT) };
        }
        if denied(&e) {
            return StoreError::Denied { store, what: String::new(), source: cause(e) };
        }
        StoreError::failed(&store, "", cause(e))
    }

    /// The client of the endpoint that answered last, if any.
    fn current(&self) -> std::sync::MutexGuard<'_, Option<(usize, Client)>> {
        self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Run `op` against the first endpoint that answers, starting with the
    /// one that answered last; the whole call is bounded by the timeout, and
    /// no endpoint may use more than its share of what is left.
    fn run<T, F, Fut>(&self, op: F) -> Result<T, StoreError>
    where
        F: Fn(Client) -> Fut,
        Fut: Future<Output = Result<T, EtcdError>>,
    {
        self.attempt(op)?.map_err(|e| self.backend_error(e))
    }

    /// [`Self::run`], handing back the server's refusal as it came (the
    /// outer error: no endpoint answered), for callers that tell refusals
    /// apart themselves. A member that is down, cut off from the leader or
    /// silent is an unreachable endpoint, which is worth retrying: the next
    /// one is tried.
    fn attempt<T, F, Fut>(&self, op: F) -> Result<Result<T, EtcdError>, StoreError>
    where
        F: Fn(Client) -> Fut,
        Fut: Future<Output = Result<T, EtcdError>>,
    {
        let start = self.current().as_ref().map_or(0, |(i, _)| *i);
        let attempt = |index: usize| {
            let op = &op;
            // A member that is down, cut off from the leader or silent is
            // an unreachable endpoint, worth retrying on the next one.
            let unreachable = move |e: EtcdError| {
                Attempt::Failed(StoreError::Unreachable {
                    store: self.describe.clone(),
                    endpoint: self.urls[index].clone(),
                    source: cause(e),
                })
            };
            async move {
                match self.client(index).await {
                    Ok(client) => match op(client).await {
                        Err(e) if unavailable(&e) => unreachable(e),
                        outcome => Attempt::Answered(outcome),
                    },
                    Err(e) if unavailable(&e) => unreachable(e),
                    Err(e) => Attempt::Answered(Err(e)),
                }
            }
        };
        // A member that failed keeps no client: the next call starts afresh.
        let failed = |_| drop(self.current().take());
        let first = failover::first_answer(&self.describe, self.timeout, &self.urls, start, attempt, failed);
        Ok(self.rt.block_on(first)?.1)
    }

    async fn client(&self, index: usize) -> Result<Client, EtcdError> {
        if let Some((i, client)) = self.current().as_ref() {
            if *i == index {
                return Ok(client.clone());
            }
        }
        let client = Client::connect([&self.urls[index]], Some(self.connect.clone())).await?;
        *self.current() = Some((index, client.clone()));
        Ok(client)
    }
}

/// Errors that mean "try another member": it is down, cut off from the
/// leader, or the connection broke before its answer came (tonic's own
/// `Unknown` status with the transport's error as its source: no server
/// said it).
fn unavailable(e: &EtcdError) -> bool {
    match e {
        EtcdError::TransportError(_) | EtcdError::IoError(_) => true,
        EtcdError::GRpcStatus(s) => {
            matches!(s.code(), Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled)
                || (s.code() == Code::Unknown && std::error::Error::source(s).is_some())
        }
        _ => false,
    }
}

/// The server refused a transaction for holding more operations than its
/// `--max-txn-ops`.
fn too_many_ops(e: &EtcdError) -> bool {
    matches!(e, EtcdError::GRpcStatus(s) if s.message().contains("too many operations in txn request"))
}

/// The server refused the request's size, or gRPC its message size.
fn too_large(e: &EtcdError) -> bool {
    match e {
        EtcdError::GRpcStatus(s) => {
            s.message().contains("request is too large")
                || (matches!(s.code(), Code::ResourceExhausted | Code::OutOfRange) && s.message().contains("message"))
        }
        _ => false,
    }
}

/// The server refused the login (a wrong user or password, or none where
/// auth is enabled: etcd answers those InvalidArgument) or the operation
/// (the user's role).
fn denied(e: &EtcdError) -> bool {
    match e {
        EtcdError::GRpcStatus(s) => {
            matches!(s.code(), Code::Unauthenticated | Code::PermissionDenied)
                || ["authentication failed", "user name is empty"].iter().any(|t| s.message().contains(t))
        }
        _ => false,
    }
}

/// etcd's error as a cause: a gRPC status by its message alone (its
/// metadata dump is no use to a reader), its transport failure below it.
fn cause(e: EtcdError) -> Cause {
    match e {
        EtcdError::GRpcStatus(s) => Box::new(Status(s)),
        other => Box::new(other),
    }
}

/// A gRPC status worded by its message, with the status's own cause.
#[derive(Debug)]
struct Status(tonic::Status);

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.message())
    }
}

impl std::error::Error for Status {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.0)
    }
}

fn tls_options(options: &Options, store: &str) -> Result<TlsOptions, StoreError> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|e| StoreError::failed(store, format!("cannot read {}", path.display()), e))
    };
    let mut tls = TlsOptions::new();
    if let Some(ca) = &options.tls.ca {
        tls = tls.ca_certificate(Certificate::from_pem(read(ca)?));
    }
    if let (Some(cert), Some(key)) = (&options.tls.cert, &options.tls.key) {
        tls = tls.identity(TlsIdentity::from_pem(read(cert)?, read(key)?));
    }
    Ok(tls)
}

/// etcd in the registry.
pub const BACKEND: Backend = Backend {
    schemes: &["etcd", "etcds"],
    form: "etcd[s]://[user@]host:port[,host:port...][/root]",
    about: "etcd v3 (etcds: over TLS): revisions are mod_revision, conditions and batches are transactions",
    capabilities: Capabilities {
        max_value_bytes: MAX_REQUEST_BYTES - 1024,
        max_value_hint: Some(RAISE_HINT),
        // etcd's defaults, --max-txn-ops and --max-request-bytes.
        max_batch_ops: Some(128),
        max_batch_bytes: Some(MAX_REQUEST_BYTES - 1024),
        // Protobuf framing of a compare, a request and a failure read.
        batch_op_bytes: 32,
        history: true,
        watch: true,
        resume_watch: true,
        ..Capabilities::unlimited(0)
    },
    logs_in: Login::UserNeedsPassword,
    check: |scheme, rest| {
        let cluster = parse_cluster(rest, 2379)?;
        Ok(Checked::new(cluster.info(scheme), EtcdConfig { cluster, etcds: scheme == "etcds" }))
    },
};

/// An etcd URL: its endpoints and root, and whether it asks for TLS.
#[derive(Debug)]
struct EtcdConfig {
    cluster: ClusterUrl,
    etcds: bool,
}

impl Config for EtcdConfig {
    fn open(&self, options: &Options) -> Result<Box<dyn Store>, StoreError> {
        Ok(Box::new(EtcdStore::open(&self.cluster, self.etcds, options)?))
    }
}

impl Store for EtcdStore {
    fn describe(&self) -> &str {
        &self.describe
    }

    fn capabilities(&self) -> Capabilities {
        BACKEND.capabilities
    }

    fn get(&self, key: &Key) -> Result<Version, StoreError> {
        root_is_not_a_key(key)?;
        let k = self.etcd_key(key);
        let mut resp = self.run(|mut c| {
            let k = k.clone();
            async move { c.get(k, None).await }
        })?;
        let kv = resp.take_kvs().into_iter().next().ok_or_else(|| StoreError::NotFound { key: key.clone() })?;
        let revision = Revision(kv.mod_revision() as u64);
        Ok(Version { value: kv.into_key_value().1, revision })
    }

    fn commit(&self, writes: &[Write]) -> Result<Committed, StoreError> {
        commit::commit(self, writes)
    }

    fn scan(&self, prefix: &Key) -> Result<Scan<'_>, StoreError> {
        Ok(listing::scan(self, prefix))
    }

    fn keys(&self, prefix: &Key) -> Result<Entries<'_>, StoreError> {
        Ok(listing::keys(self, prefix))
    }

    fn children(&self, prefix: &Key) -> Result<Entries<'_>, StoreError> {
        Ok(listing::children(self, prefix))
    }

    fn watch(&self, prefix: &Key, after: Option<Revision>) -> Result<Box<dyn Watcher + '_>, StoreError> {
        Ok(Box::new(watch::watch(self, prefix, after)?))
    }

    fn history(&self, key: &Key) -> Result<History, StoreError> {
        history::history(self, key)
    }

    /// The cluster id and current revision every response carries; a
    /// cluster rebuilt from scratch gets a new id when its members or
    /// `--initial-cluster-token` differ, and starts its revisions again.
    fn identity(&self) -> Result<Option<Identity>, StoreError> {
        let k = self.etcd_key(&Key::root());
        let resp = self.run(|mut c| {
            let k = k.clone();
            async move { c.get(k, Some(etcd_client::GetOptions::new().with_count_only())).await }
        })?;
        let header = resp.header().ok_or_else(|| StoreError::Backend {
            store: self.describe.clone(),
            message: "a response came without a header (cluster id, revision)".into(),
        })?;
        Ok(Some(Identity {
            id: format!("{:x}", header.cluster_id()),
            revision: Revision(header.revision().max(0) as u64),
        }))
    }
}
