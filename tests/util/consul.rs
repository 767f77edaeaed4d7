//! A fake Consul agent, test code only: no Consul server can be installed
//! here, so the Consul store is tested against this small HTTP server
//! (tiny_http, in the test process), which follows Consul's documented KV
//! and transaction semantics:
//!
//! - `GET /v1/kv/KEY` (`?raw`, `?recurse`, `?keys`, `?separator=`),
//!   `PUT /v1/kv/KEY` (`?cas=`, `?flags=`), `DELETE /v1/kv/KEY`
//!   (`?recurse`, `?cas=`), with each path segment percent-decoded; prefixes
//!   are raw string prefixes (`foo` takes `foobar`); a `?keys` listing of a
//!   prefix other than the root with nothing below it is 404;
//! - `PUT /v1/txn` with KV operations (`set`, `cas`, `get`, `get-tree`,
//!   `delete`, `delete-tree`, `delete-cas`, `check-index`,
//!   `check-not-exists`), applied in order, all or nothing; 409 with
//!   `Errors` (`OpIndex`, `What`) listing every failed operation; the CAS
//!   rules of Consul's state store (index 0: only if absent; a `delete-cas`
//!   of a missing key succeeds); results carry values only for `get`s;
//! - `X-Consul-Index`: one Raft-like index for every write; a single key's
//!   read answers the KV table's index, a listing the highest ModifyIndex
//!   below its prefix or of a tombstone below it (never 0);
//! - blocking queries on KV reads: `?index=N` waits until that index is
//!   not N any more, at most `?wait=` (Go durations; 5 minutes by default,
//!   10 at most) and a 16th more, the most jitter Consul adds;
//! - limits, answered 413 with Consul's messages: operations per
//!   transaction (128, or 64 as before Consul 1.14), `kv_max_value_size`
//!   (a value, decoded) and `txn_max_req_len` (a transaction's body), both
//!   512 KiB by default;
//! - ACLs when started with them: tokens from `X-Consul-Token` (or, as
//!   Consul allows, `?token=` and `Authorization: Bearer`), `key_prefix`
//!   rules (longest prefix wins, default deny); an unknown token is 403 "ACL
//!   not found", a read or write the token may not make is 403 "Permission
//!   denied" (a listing leaves such keys out and says so in
//!   `X-Consul-Results-Filtered-By-ACLs`; a transaction fails with 409);
//! - an agent without a cluster leader answers 500 "No cluster leader".
//!
//! Not followed: sessions and locks, flags beyond storing them, namespaces,
//! datacenters, `?stale`/`?consistent` (there is one copy), catalog
//! operations in transactions, and the key-name checks of recent releases.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

/// The agent limits that answer 413.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_txn_ops: usize,
    pub kv_max_value_size: usize,
    pub txn_max_req_len: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_txn_ops: 128, kv_max_value_size: 512 << 10, txn_max_req_len: 512 << 10 }
    }
}

/// What a token may do with keys below a prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    Deny,
    Read,
    Write,
}

/// A token's `key_prefix` rules.
pub type Rules = Vec<(String, Access)>;

#[derive(Clone, Debug, Default)]
pub struct Config {
    pub limits: Limits,
    /// With ACLs on: each token's secret and rules ("" for the anonymous
    /// token, which has none unless given).
    pub acl: Option<HashMap<String, Rules>>,
}

/// One key as Consul keeps it.
#[derive(Clone, Debug)]
struct DirEntry {
    value: Vec<u8>,
    flags: u64,
    create_index: u64,
    modify_index: u64,
}

#[derive(Default)]
struct Kv {
    entries: BTreeMap<String, DirEntry>,
    /// Deleted keys and prefixes, with the index they went at.
    tombstones: BTreeMap<String, u64>,
    /// The last index given out.
    raft: u64,
    /// The index of the last change to the KV table (tombstones included).
    table: u64,
}

struct State {
    kv: Mutex<Kv>,
    changed: Condvar,
    config: Config,
    /// Every request's path and query, as received.
    seen: Mutex<Vec<String>>,
    /// A write to make just after the next `?keys` listing is answered.
    after_listing: Mutex<Option<(String, Vec<u8>)>>,
    /// A write to make just after the next transaction that writes.
    after_txn: Mutex<Option<(String, Vec<u8>)>>,
}

/// One fake agent: an HTTP server on 127.0.0.1 serving a KV state, which
/// other agents of the same "cluster" may share.
pub struct FakeConsul {
    addr: SocketAddr,
    state: Arc<State>,
    leaderless: Arc<AtomicBool>,
    server: Arc<tiny_http::Server>,
    accept: Option<std::thread::JoinHandle<()>>,
}

/// The fake this test binary shares; each test works below a root of its own.
pub fn shared() -> &'static FakeConsul {
    static SHARED: OnceLock<FakeConsul> = OnceLock::new();
    SHARED.get_or_init(FakeConsul::start)
}

impl FakeConsul {
    pub fn start() -> FakeConsul {
        FakeConsul::start_with(Config::default())
    }

    pub fn start_with(config: Config) -> FakeConsul {
        let state = State {
            kv: Mutex::new(Kv { raft: 10, table: 10, ..Kv::default() }),
            changed: Condvar::new(),
            config,
            seen: Mutex::new(Vec::new()),
            after_listing: Mutex::new(None),
            after_txn: Mutex::new(None),
        };
        FakeConsul::serve(Arc::new(state))
    }

    /// Another agent of the same cluster: its own port, the same data.
    pub fn another_agent(&self) -> FakeConsul {
        FakeConsul::serve(self.state.clone())
    }

    fn serve(state: Arc<State>) -> FakeConsul {
        let server =
            Arc::new(tiny_http::Server::from_listener(no_delay_listener(), None).expect("start the fake Consul"));
        let addr = server.server_addr().to_ip().expect("an IP address");
        let leaderless = Arc::new(AtomicBool::new(false));
        let accept = {
            let (server, state, leaderless) = (server.clone(), state.clone(), leaderless.clone());
            std::thread::spawn(move || {
                for mut request in server.incoming_requests() {
                    let (state, leaderless) = (state.clone(), leaderless.clone());
                    std::thread::spawn(move || {
                        let reply = if leaderless.load(Ordering::Relaxed) {
                            Reply::text(500, "No cluster leader")
                        } else {
                            state.handle(&mut request)
                        };
                        let _ = request.respond(reply.into_response());
                    });
                }
            })
        };
        FakeConsul { addr, state, leaderless, server, accept: Some(accept) }
    }

    /// `host:port`.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    /// `consul://host:port`.
    pub fn url(&self) -> String {
        format!("consul://{}", self.addr)
    }

    /// From now on, answer 500 "No cluster leader" (or serve again).
    pub fn set_leaderless(&self, on: bool) {
        self.leaderless.store(on, Ordering::Relaxed);
    }

    /// Write a Consul key directly, as another tool would (any key, even
    /// one ovs cannot address).
    pub fn put_raw(&self, key: &str, value: &[u8]) {
        let mut kv = self.state.lock();
        kv.raft += 1;
        let idx = kv.raft;
        Tx::new(&mut kv, idx).set(key, value.to_vec(), 0);
        self.state.changed.notify_all();
    }

    /// Write `key` just after the next `?keys` listing of a prefix of it has
    /// been made, as another client could at that moment.
    pub fn write_after_next_listing(&self, key: &str, value: &[u8]) {
        *self.state.after_listing.lock().unwrap() = Some((key.to_string(), value.to_vec()));
    }

    /// Write `key` just after the next transaction that writes has been
    /// applied, before its answer is sent: another client's write at that
    /// moment, or a value corrupted on its way to disk, as its writer sees it.
    pub fn write_after_next_txn(&self, key: &str, value: &[u8]) {
        *self.state.after_txn.lock().unwrap() = Some((key.to_string(), value.to_vec()));
    }

    /// Many keys at once, `{prefix}{i:0width$}` for i in 0..n, one index.
    pub fn load(&self, prefix: &str, n: usize, value: &[u8]) {
        let mut kv = self.state.lock();
        kv.raft += 1;
        let idx = kv.raft;
        let width = n.to_string().len();
        let mut tx = Tx::new(&mut kv, idx);
        for i in 0..n {
            tx.set(&format!("{prefix}{i:0width$}"), value.to_vec(), 0);
        }
    }

    /// Every Consul key the fake holds below `prefix` (raw).
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        self.state.lock().entries.keys().filter(|k| k.starts_with(prefix)).cloned().collect()
    }

    /// Every request's path and query so far.
    pub fn requests(&self) -> Vec<String> {
        self.state.seen.lock().unwrap().clone()
    }
}

impl Drop for FakeConsul {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// A listener whose connections send at once (TCP_NODELAY, which Linux
/// passes on to accepted sockets), as Consul's do: tiny_http writes a
/// response's headers and body apart, and with Nagle's algorithm a client
/// that reuses its connection would wait out its delayed ACK (40 ms) on
/// every request.
fn no_delay_listener() -> std::net::TcpListener {
    use std::os::fd::AsRawFd;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port for the fake Consul");
    let on: libc::c_int = 1;
    // SAFETY: setsockopt on a socket we own, with a valid pointer and length.
    let done = unsafe {
        libc::setsockopt(
            listener.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(done, 0, "TCP_NODELAY: {}", std::io::Error::last_os_error());
    listener
}

/// A TLS front for an agent, as Consul's HTTPS port would be: it
/// terminates TLS with the test CA's server certificate (`server.pem`,
/// `server.key` in `dir`, see `etcd::make_certificates`), wants a client
/// certificate signed by that CA when asked, and passes the bytes on to
/// the agent in the clear.
pub struct TlsFront {
    addr: SocketAddr,
    _rt: tokio::runtime::Runtime,
}

impl TlsFront {
    pub fn start(agent: &FakeConsul, dir: &std::path::Path, client_auth: bool) -> TlsFront {
        use tokio_rustls::rustls::pki_types::pem::PemObject;
        use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
        use tokio_rustls::rustls::{self, server::WebPkiClientVerifier, RootCertStore, ServerConfig};
        let pems = |name: &str| -> Vec<CertificateDer<'static>> {
            CertificateDer::pem_file_iter(dir.join(name)).unwrap().map(Result::unwrap).collect()
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder =
            ServerConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions().unwrap();
        let builder = if client_auth {
            let mut roots = RootCertStore::empty();
            roots.add_parsable_certificates(pems("ca.pem"));
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build().unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
        let config = builder.with_single_cert(pems("server.pem"), key).unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let behind = agent.endpoint();
        rt.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, behind) = (acceptor.clone(), behind.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                    let Ok(mut plain) = tokio::net::TcpStream::connect(behind).await else { return };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        TlsFront { addr, _rt: rt }
    }

    /// `host:port`.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }
}

/// An answer, before tiny_http has it.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn text(status: u16, text: &str) -> Reply {
        Reply { status, headers: vec![("Content-Type", "text/plain".into())], body: text.as_bytes().to_vec() }
    }

    fn json(status: u16, value: &Value) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type", "application/json".into())],
            body: serde_json::to_vec(value).unwrap(),
        }
    }

    /// With the blocking-query headers of a read at `index`.
    fn at(mut self, index: u64) -> Reply {
        self.headers.push(("X-Consul-Index", index.max(1).to_string()));
        self.headers.push(("X-Consul-KnownLeader", "true".into()));
        self.headers.push(("X-Consul-LastContact", "0".into()));
        self
    }

    fn into_response(self) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
        let mut response = tiny_http::Response::from_data(self.body).with_status_code(self.status);
        for (name, value) in self.headers {
            response.add_header(tiny_http::Header::from_bytes(name, value).unwrap());
        }
        response
    }
}

/// A request's query: each `name[=value]`, decoded.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(text: &str) -> Query {
        let decode =
            |s: &str| percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
        Query(
            text.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (decode(k), decode(v)),
                    None => (decode(p), String::new()),
                })
                .collect(),
        )
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn number(&self, name: &str) -> Result<Option<u64>, Reply> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| Reply::text(400, &format!("invalid {name} {v:?}"))),
        }
    }
}

/// Go's `time.ParseDuration` for what `?wait=` takes: `10s`, `100ms`, `5m`.
fn go_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let n: u64 = text[..split].parse().ok()?;
    match &text[split..] {
        "ms" => Some(Duration::from_millis(n)),
        "s" => Some(Duration::from_secs(n)),
        "m" => Some(Duration::from_secs(n * 60)),
        "h" => Some(Duration::from_secs(n * 3600)),
        _ => None,
    }
}

fn entry_json(key: &str, e: &DirEntry, with_value: bool) -> Value {
    let value = (with_value && !e.value.is_empty()).then(|| base64::engine::general_purpose::STANDARD.encode(&e.value));
    json!({"LockIndex": 0, "Key": key, "Flags": e.flags, "Value": value,
           "CreateIndex": e.create_index, "ModifyIndex": e.modify_index})
}

/// The verbs that write.
fn writes(verb: &str) -> bool {
    matches!(verb, "set" | "cas" | "delete" | "delete-tree" | "delete-cas" | "lock" | "unlock")
}

/// What a token may do at `key`, by its longest matching prefix rule;
/// everything with ACLs off.
fn allowed(rules: Option<&Rules>, key: &str, need: Access) -> bool {
    let Some(rules) = rules else { return true };
    let access = rules.iter().filter(|(p, _)| key.starts_with(p.as_str())).max_by_key(|(p, _)| p.len());
    access.map_or(Access::Deny, |(_, a)| *a) >= need
}

fn denied(key: &str, need: Access) -> String {
    let what = if need == Access::Write { "write" } else { "read" };
    format!("Permission denied: token lacks permission 'key:{what}' on {key:?}")
}

/// The body, or None when it is longer than `limit`.
fn read_body(request: &mut tiny_http::Request, limit: usize) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    request.as_reader().take(limit as u64 + 1).read_to_end(&mut body).ok()?;
    (body.len() <= limit).then_some(body)
}

/// Consul's CAS rule: index 0 only if the key is absent, else only at
/// that ModifyIndex.
fn cas_holds(kv: &Kv, key: &str, index: u64) -> bool {
    match kv.entries.get(key) {
        None => index == 0,
        Some(e) => e.modify_index == index,
    }
}

static NO_RULES: Rules = Vec::new();

impl Kv {
    fn below<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a String, &'a DirEntry)> + 'a {
        self.entries.range(prefix.to_string()..).take_while(move |(k, _)| k.starts_with(prefix))
    }

    /// A listing's index: the highest ModifyIndex below the prefix (the
    /// table's when there is none), or a later tombstone's.
    fn list_index(&self, prefix: &str) -> u64 {
        if prefix.is_empty() {
            return self.table;
        }
        let live = self.below(prefix).map(|(_, e)| e.modify_index).max().unwrap_or(self.table);
        let graves = self.tombstones.range(prefix.to_string()..).take_while(|(k, _)| k.starts_with(prefix));
        graves.map(|(_, i)| *i).fold(live, u64::max)
    }
}

/// A decoded KV operation of a transaction.
struct KvOp {
    verb: String,
    key: String,
    value: Vec<u8>,
    flags: u64,
    index: u64,
}

/// Changes to the KV state at one index, undone on failure.
struct Tx<'a> {
    kv: &'a mut Kv,
    idx: u64,
    undo: Vec<Undo>,
}

enum Undo {
    Entry(String, Option<DirEntry>),
    Tombstone(String, Option<u64>),
    Table(u64),
}

impl<'a> Tx<'a> {
    fn new(kv: &'a mut Kv, idx: u64) -> Tx<'a> {
        Tx { kv, idx, undo: Vec::new() }
    }

    fn touch(&mut self) {
        self.undo.push(Undo::Table(self.kv.table));
        self.kv.table = self.idx;
    }

    fn set(&mut self, key: &str, value: Vec<u8>, flags: u64) -> DirEntry {
        let old = self.kv.entries.get(key).cloned();
        let create_index = old.as_ref().map_or(self.idx, |e| e.create_index);
        let entry = DirEntry { value, flags, create_index, modify_index: self.idx };
        self.undo.push(Undo::Entry(key.to_string(), old));
        self.kv.entries.insert(key.to_string(), entry.clone());
        self.touch();
        entry
    }

    fn tombstone(&mut self, key: &str) {
        let old = self.kv.tombstones.insert(key.to_string(), self.idx);
        self.undo.push(Undo::Tombstone(key.to_string(), old));
    }

    fn delete(&mut self, key: &str) {
        if let Some(old) = self.kv.entries.remove(key) {
            self.undo.push(Undo::Entry(key.to_string(), Some(old)));
            self.tombstone(key);
            self.touch();
        }
    }

    /// Every key that starts with `prefix`, a raw string prefix.
    fn delete_tree(&mut self, prefix: &str) {
        let keys: Vec<String> = self.kv.below(prefix).map(|(k, _)| k.clone()).collect();
        if keys.is_empty() {
            return;
        }
        for key in keys {
            let old = self.kv.entries.remove(&key);
            self.undo.push(Undo::Entry(key, old));
        }
        if !prefix.is_empty() {
            self.tombstone(prefix);
        }
        self.touch();
    }

    fn roll_back(self) {
        for undo in self.undo.into_iter().rev() {
            match undo {
                Undo::Entry(key, Some(e)) => drop(self.kv.entries.insert(key, e)),
                Undo::Entry(key, None) => drop(self.kv.entries.remove(&key)),
                Undo::Tombstone(key, Some(i)) => drop(self.kv.tombstones.insert(key, i)),
                Undo::Tombstone(key, None) => drop(self.kv.tombstones.remove(&key)),
                Undo::Table(index) => self.kv.table = index,
            }
        }
    }

    /// One operation, as Consul's state store runs it: its results, or why
    /// it failed.
    fn apply(&mut self, op: KvOp) -> Result<Vec<Value>, String> {
        let key = op.key.as_str();
        let result = |e: &DirEntry, with_value: bool| vec![json!({"KV": entry_json(key, e, with_value)})];
        match op.verb.as_str() {
            "set" => Ok(result(&self.set(key, op.value, op.flags), false)),
            "cas" if !cas_holds(self.kv, key, op.index) => Err(format!("failed to set key {key:?}, index is stale")),
            "cas" => Ok(result(&self.set(key, op.value, op.flags), false)),
            "get" => self.kv.entries.get(key).map(|e| result(e, true)).ok_or(format!("key {key:?} doesn't exist")),
            "get-tree" => Ok(self.kv.below(key).map(|(k, e)| json!({"KV": entry_json(k, e, true)})).collect()),
            "delete" => {
                self.delete(key);
                Ok(Vec::new())
            }
            "delete-tree" => {
                self.delete_tree(key);
                Ok(Vec::new())
            }
            "delete-cas" => match self.kv.entries.get(key) {
                // A missing key counts as deleted.
                None => Ok(Vec::new()),
                Some(e) if e.modify_index == op.index => {
                    self.delete(key);
                    Ok(Vec::new())
                }
                Some(_) => Err(format!("failed to delete key {key:?}, index is stale")),
            },
            "check-index" => match self.kv.entries.get(key) {
                None => Err(format!("key {key:?} doesn't exist")),
                Some(e) if e.modify_index != op.index => {
                    Err(format!("current modify index {} != {}", e.modify_index, op.index))
                }
                Some(e) => Ok(result(e, false)),
            },
            "check-not-exists" if self.kv.entries.contains_key(key) => Err(format!("key {key:?} exists")),
            "check-not-exists" => Ok(Vec::new()),
            verb => Err(format!("unknown KV verb {verb:?}")),
        }
    }
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Kv> {
        self.kv.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The rules of the request's token; None with ACLs off.
    fn rules(&self, token: Option<&str>) -> Result<Option<&Rules>, Reply> {
        let Some(tokens) = &self.config.acl else { return Ok(None) };
        match token.filter(|t| !t.is_empty()) {
            Some(token) => tokens.get(token).map(Some).ok_or_else(|| Reply::text(403, "ACL not found")),
            None => Ok(Some(tokens.get("").unwrap_or(&NO_RULES))),
        }
    }

    fn handle(&self, request: &mut tiny_http::Request) -> Reply {
        let url = request.url().to_string();
        self.seen.lock().unwrap().push(url.clone());
        let (path, query) = url.split_once('?').unwrap_or((&url, ""));
        let query = Query::parse(query);
        let header = |name: &str| {
            let found = request.headers().iter().find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name));
            found.map(|h| h.value.as_str().to_string())
        };
        let token = header("X-Consul-Token")
            .or_else(|| query.get("token").map(String::from))
            .or_else(|| header("Authorization").and_then(|v| v.strip_prefix("Bearer ").map(String::from)));
        let rules = match self.rules(token.as_deref()) {
            Ok(rules) => rules,
            Err(reply) => return reply,
        };
        let method = request.method().as_str().to_string();
        if let Some(key) = path.strip_prefix("/v1/kv/") {
            let key = percent_encoding::percent_decode_str(key).decode_utf8_lossy().into_owned();
            let reply = match method.as_str() {
                "GET" => self.kv_get(&key, &query, rules),
                "PUT" => self.kv_put(&key, &query, rules, request),
                "DELETE" => self.kv_delete(&key, &query, rules),
                _ => Err(Reply::text(405, "method not allowed")),
            };
            return reply.unwrap_or_else(|refused| refused);
        }
        match (path, method.as_str()) {
            ("/v1/txn", "PUT") => self.txn(rules, request),
            ("/v1/txn", _) => Reply::text(405, "method not allowed"),
            _ => Reply::text(404, "not found"),
        }
    }

    fn kv_get(&self, key: &str, query: &Query, rules: Option<&Rules>) -> Result<Reply, Reply> {
        let listing = query.has("keys") || query.has("recurse");
        if !listing && key.is_empty() {
            return Err(Reply::text(400, "Missing key name"));
        }
        let index_of = |kv: &Kv| if listing { kv.list_index(key) } else { kv.table };
        let mut kv = self.lock();
        // A blocking query: wait for the index to move past the one given.
        if let Some(min) = query.number("index")?.filter(|n| *n > 0) {
            let wait = query.get("wait").and_then(go_duration).unwrap_or(Duration::from_secs(300));
            // Consul adds up to a 16th of the wait to spread wake-ups: all of it here.
            let wait = wait.min(Duration::from_secs(600));
            let deadline = Instant::now() + wait + wait / 16;
            while index_of(&kv) <= min {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                kv = self.changed.wait_timeout(kv, left).unwrap_or_else(|p| p.into_inner()).0;
            }
        }
        let index = index_of(&kv);
        let mut filtered = false;
        let found = if query.has("keys") {
            let separator = query.get("separator").or(query.get("seperator")).unwrap_or("");
            let mut keys: Vec<String> = Vec::new();
            for (k, _) in kv.below(key) {
                let cut = (!separator.is_empty()).then(|| k[key.len()..].find(separator)).flatten();
                let listed = cut.map_or(k.as_str(), |i| &k[..key.len() + i + separator.len()]);
                if keys.last().is_some_and(|last| last == listed) {
                    continue;
                }
                if allowed(rules, listed, Access::Read) {
                    keys.push(listed.to_string());
                } else {
                    filtered = true;
                }
            }
            // The root is never "not found".
            (!keys.is_empty() || key.is_empty()).then(|| Reply::json(200, &json!(keys)))
        } else if query.has("recurse") {
            let mut entries = Vec::new();
            for (k, e) in kv.below(key) {
                if allowed(rules, k, Access::Read) {
                    entries.push(entry_json(k, e, true));
                } else {
                    filtered = true;
                }
            }
            (!entries.is_empty()).then(|| Reply::json(200, &json!(entries)))
        } else {
            if !allowed(rules, key, Access::Read) {
                return Err(Reply::text(403, &denied(key, Access::Read)));
            }
            kv.entries.get(key).map(|e| match query.has("raw") {
                true => {
                    Reply { status: 200, headers: vec![("Content-Type", "text/plain".into())], body: e.value.clone() }
                }
                false => Reply::json(200, &json!([entry_json(key, e, true)])),
            })
        };
        let mut reply = found.unwrap_or_else(|| Reply::text(404, "")).at(index);
        if filtered {
            reply.headers.push(("X-Consul-Results-Filtered-By-ACLs", "true".into()));
        }
        if query.has("keys") {
            // Only the listing that covers the key: tests share the agent.
            let mut hook = self.after_listing.lock().unwrap();
            if let Some((written, value)) = hook.take_if(|(written, _)| written.starts_with(key)) {
                kv.raft += 1;
                let idx = kv.raft;
                Tx::new(&mut kv, idx).set(&written, value, 0);
                self.changed.notify_all();
            }
        }
        Ok(reply)
    }

    fn kv_put(
        &self,
        key: &str,
        query: &Query,
        rules: Option<&Rules>,
        request: &mut tiny_http::Request,
    ) -> Result<Reply, Reply> {
        if key.is_empty() {
            return Err(Reply::text(400, "Missing key name"));
        }
        let limit = self.config.limits.kv_max_value_size;
        let too_large = |n: String| {
            Reply::text(
                413,
                &format!(
                    "Request body({n} bytes) too large, max size: {limit} bytes. See \
                     https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size."
                ),
            )
        };
        if let Some(n) = request.body_length().filter(|n| *n > limit) {
            return Err(too_large(n.to_string()));
        }
        let value = read_body(request, limit).ok_or_else(|| too_large("more than that".into()))?;
        if !allowed(rules, key, Access::Write) {
            return Err(Reply::text(403, &denied(key, Access::Write)));
        }
        let flags = query.number("flags")?.unwrap_or(0);
        let cas = query.number("cas")?;
        let mut kv = self.lock();
        let holds = cas.is_none_or(|index| cas_holds(&kv, key, index));
        if holds {
            kv.raft += 1;
            let idx = kv.raft;
            Tx::new(&mut kv, idx).set(key, value, flags);
            self.changed.notify_all();
        }
        Ok(Reply::json(200, &json!(holds)))
    }

    fn kv_delete(&self, key: &str, query: &Query, rules: Option<&Rules>) -> Result<Reply, Reply> {
        let recurse = query.has("recurse");
        if recurse && query.has("cas") {
            return Err(Reply::text(400, "Conflicting flags: cas, recurse"));
        }
        if !recurse && key.is_empty() {
            return Err(Reply::text(400, "Missing key name"));
        }
        if !allowed(rules, key, Access::Write) {
            return Err(Reply::text(403, &denied(key, Access::Write)));
        }
        let cas = query.number("cas")?;
        let mut kv = self.lock();
        kv.raft += 1;
        let idx = kv.raft;
        let mut tx = Tx::new(&mut kv, idx);
        let done = match cas {
            _ if recurse => {
                tx.delete_tree(key);
                true
            }
            Some(index) => tx
                .apply(KvOp { verb: "delete-cas".into(), key: key.into(), value: Vec::new(), flags: 0, index })
                .is_ok(),
            None => {
                tx.delete(key);
                true
            }
        };
        drop(tx);
        self.changed.notify_all();
        Ok(Reply::json(200, &json!(done)))
    }

    fn txn(&self, rules: Option<&Rules>, request: &mut tiny_http::Request) -> Reply {
        let limits = &self.config.limits;
        // As Consul: kv_max_value_size stands in for a smaller txn_max_req_len.
        let max_len = limits.txn_max_req_len.max(limits.kv_max_value_size);
        let too_large = || Reply::text(413, &format!("Request body too large, max size: {max_len} bytes"));
        if request.body_length().is_some_and(|n| n > max_len) {
            return too_large();
        }
        let Some(body) = read_body(request, max_len) else { return too_large() };
        let ops = match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Array(ops)) => ops,
            Ok(_) => return Reply::text(400, "Failed to parse body: expected an array of operations"),
            Err(e) => return Reply::text(400, &format!("Failed to parse body: {e}")),
        };
        if ops.len() > limits.max_txn_ops {
            let text = format!("Transaction contains too many operations ({} > {})", ops.len(), limits.max_txn_ops);
            return Reply::text(413, &text);
        }
        let mut kv_ops = Vec::with_capacity(ops.len());
        for op in &ops {
            let Some(op) = op.get("KV") else {
                return Reply::text(400, "the fake Consul takes only KV operations in a transaction");
            };
            let text = |field: &str| op.get(field).and_then(Value::as_str).unwrap_or("").to_string();
            let key = text("Key");
            let value = match op.get("Value") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::String(b64)) => match base64::engine::general_purpose::STANDARD.decode(b64) {
                    Ok(value) => value,
                    Err(e) => return Reply::text(400, &format!("Failed to parse body: failed to decode value: {e}")),
                },
                Some(other) => {
                    return Reply::text(400, &format!("Failed to parse body: unexpected value type: {other}"))
                }
            };
            if value.len() > limits.kv_max_value_size {
                let limit = limits.kv_max_value_size;
                return Reply::text(
                    413,
                    &format!("Value for key {key:?} is too large ({} > {limit} bytes)", value.len()),
                );
            }
            let number = |field: &str| op.get(field).and_then(Value::as_u64).unwrap_or(0);
            kv_ops.push(KvOp { verb: text("Verb"), key, value, flags: number("Flags"), index: number("Index") });
        }
        // ACLs are checked before anything is applied.
        let refused: Vec<Value> = kv_ops
            .iter()
            .enumerate()
            .filter_map(|(i, op)| {
                let need = if writes(&op.verb) { Access::Write } else { Access::Read };
                (!allowed(rules, &op.key, need)).then(|| json!({"OpIndex": i, "What": denied(&op.key, need)}))
            })
            .collect();
        if !refused.is_empty() {
            return Reply::json(409, &json!({"Results": null, "Errors": refused}));
        }
        let any_write = kv_ops.iter().any(|op| writes(&op.verb));
        let mut kv = self.lock();
        let idx = kv.raft + 1;
        let mut tx = Tx::new(&mut kv, idx);
        let (mut results, mut errors) = (Vec::new(), Vec::new());
        for (i, op) in kv_ops.into_iter().enumerate() {
            match tx.apply(op) {
                Ok(answers) => results.extend(answers),
                Err(what) => errors.push(json!({"OpIndex": i, "What": what})),
            }
        }
        if !errors.is_empty() {
            tx.roll_back();
            return Reply::json(409, &json!({"Results": null, "Errors": errors}));
        }
        drop(tx);
        if any_write {
            kv.raft = idx;
            if let Some((written, value)) = self.after_txn.lock().unwrap().take() {
                kv.raft += 1;
                let idx = kv.raft;
                Tx::new(&mut kv, idx).set(&written, value, 0);
            }
            self.changed.notify_all();
        }
        Reply::json(200, &json!({"Results": results, "Errors": null}))
    }
}
