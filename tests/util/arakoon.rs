//! A fake Arakoon cluster, test code only: no Arakoon server can be
//! installed here, so the Arakoon store is tested against these threads
//! (std `TcpListener`s on 127.0.0.1, in the test process), written from
//! Arakoon's sources (openvstorage/arakoon 1.9.25: `client_protocol.ml`,
//! `protocol_common.ml`, `llio.ml`, `update.ml`, `sync_backend.ml`,
//! `store.ml`, `server.ml`), not from what a client happens to send.
//!
//! Followed, byte for byte (everything little-endian; a string is an int32
//! length and its bytes; an option a bool byte and the value; a bool one
//! byte, 0 or 1):
//!
//! - the prologue: magic `0xB1FF0000`, version 1, the cluster id. A bad
//!   magic or version, or another cluster's id, closes the connection
//!   without a byte written (the node fails `WRONG CLUSTER` and its session
//!   ends; the wrong-cluster code 0x06 is never sent);
//! - requests `opcode | 0xB1FF0000`: a command word without the magic bits
//!   is answered 0x01 (no message) and closed; an unknown opcode 0x05 with
//!   `"<hex>: command not found"` and closed. A reply is an int32 return code
//!   then the payload, or the code and a message;
//! - ping, who_master, exists, get, set, delete, range, prefix_keys,
//!   test_and_set, range_entries, rev_range_entries, sequence,
//!   synced_sequence, multi_get, multi_get_option, expect_progress_possible,
//!   user_function (none is registered), assert, assert_exists,
//!   get_key_count, confirm, delete_prefix, version (1.9.25), replace, nop,
//!   get_txid;
//! - list order on the wire as the node writes it: Llio's lists come out
//!   reversed, so range, range_entries and prefix_keys are sent highest key
//!   first (range as a node on Tokyo Cabinet answers; Arakoon's in-memory
//!   test store would send it lowest first), rev_range_entries lowest
//!   first, multi_get's values in the reverse of the keys' order on the
//!   wire and multi_get_option's in it;
//! - the updates of a sequence (Set, Delete, TestAndSet, Sequence and
//!   SyncedSequence nested, Nop, Assert, Assert_exists, Assert_range,
//!   DeletePrefix, Replace), applied in order, all or nothing: a failed
//!   assert answers 0x07 with the key, a delete of a missing key 0x05 with
//!   the key (as a lone delete does), and nothing is applied; the payload
//!   must be a Sequence (else 0xff "should have been a sequence", closed);
//! - the master: writes and `Consistent` reads on a node that is not the
//!   master answer 0x04 `E_NOT_MASTER` with the master's name (or "None"
//!   without one) and close the connection; `No_guarantees` reads are served
//!   anywhere; `At_least i` when the store has reached `i` (else 0x80 "store
//!   not fresh enough"). A cluster of one node takes writes without a
//!   master, as Arakoon does;
//! - `get_txid` answers `At_least i`, i counting every update that went
//!   through "consensus", failed or not; `expect_progress_possible` is true
//!   on the master only;
//! - limits with Arakoon's defaults ([`Limits`]): a value of
//!   `max_value_size` (8 MiB) or more in set, test_and_set, replace or
//!   confirm is answered 0xff "unknown failure" and closed (the node raises
//!   "value too large" as an exception its protocol does not match); an
//!   update (a whole sequence) whose serialized size is over
//!   `max_buffer_size` (32 MiB) 0x26 `E_BAD_INPUT` "update ... has size N >
//!   M"; values inside a sequence are not checked one by one;
//! - errors that close the connection as the node's do (0xff, 0x04 and
//!   the rest but 0x05, 0x07, 0x21, 0x26 and 0x80); malformed requests close
//!   it, after a 0xff "unknown failure" for those the node reads inside its
//!   error handler (ping, test_and_set, replace, delete_prefix, sequences).
//!
//! Not followed: tlogs, consensus and leases (one shared map, the master is
//! whatever the test sets), user functions and hooks, nurseries, intervals
//! and routing, statistics, collapsing and the other administrative calls
//! (answered 0xff naming the call, and closed; so is a sequence holding a
//! MasterSet, UserFunction, AdminSet or routing update), TLS, the
//! connection limit, read-only nodes and witnesses.
//!
//! Control API: [`FakeArakoon::start`]`(cluster_id, nodes)` (nodes named
//! `arakoon_0`, ..., node 0 master), [`FakeArakoon::start_with`] for other
//! limits, `cluster_id()`, `addrs()`, `url(root)`, `names()`,
//! `set_master(Option<usize>)`, `kill(i)` (its listener and every
//! connection closed) and `revive(i)` (the same port), `raw_get`, `raw_set`,
//! `raw_keys` (Arakoon's keys, as a client wrote them), `count(opcode)`
//! (requests received, by the names above), `ini(path)` (an Open vStorage
//! `arakoon_cacc.ini`), and [`shared`] for one cluster per test binary.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, BufWriter, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;

pub const MAGIC: u32 = 0xB1FF_0000;

/// Return codes (Arakoon_exc).
pub mod rc {
    pub const OK: u32 = 0x00;
    pub const NO_MAGIC: u32 = 0x01;
    pub const NOT_MASTER: u32 = 0x04;
    pub const NOT_FOUND: u32 = 0x05;
    pub const WRONG_CLUSTER: u32 = 0x06;
    pub const ASSERTION_FAILED: u32 = 0x07;
    pub const BAD_INPUT: u32 = 0x26;
    pub const INCONSISTENT_READ: u32 = 0x80;
    pub const UNKNOWN_FAILURE: u32 = 0xff;
}

/// Opcodes and their names (protocol_common.ml), for [`FakeArakoon::count`].
const OPCODES: &[(u32, &str)] = &[
    (0x01, "ping"),
    (0x02, "who_master"),
    (0x07, "exists"),
    (0x08, "get"),
    (0x09, "set"),
    (0x0a, "delete"),
    (0x0b, "range"),
    (0x0c, "prefix_keys"),
    (0x0d, "test_and_set"),
    (0x0e, "last_entries"),
    (0x0f, "range_entries"),
    (0x10, "sequence"),
    (0x11, "multi_get"),
    (0x12, "expect_progress_possible"),
    (0x13, "statistics"),
    (0x14, "collapse_tlogs"),
    (0x15, "user_function"),
    (0x16, "assert"),
    (0x17, "set_interval"),
    (0x18, "get_routing"),
    (0x19, "set_routing"),
    (0x1a, "get_key_count"),
    (0x1b, "get_db"),
    (0x1c, "confirm"),
    (0x1d, "get_fringe"),
    (0x1e, "get_interval"),
    (0x1f, "set_nursery_cfg"),
    (0x20, "get_nursery_cfg"),
    (0x21, "set_routing_delta"),
    (0x22, "migrate_range"),
    (0x23, "rev_range_entries"),
    (0x24, "synced_sequence"),
    (0x25, "opt_db"),
    (0x26, "defrag_db"),
    (0x27, "delete_prefix"),
    (0x28, "version"),
    (0x29, "assert_exists"),
    (0x30, "drop_master"),
    (0x31, "multi_get_option"),
    (0x32, "current_state"),
    (0x33, "replace"),
    (0x40, "last_entries2"),
    (0x41, "nop"),
    (0x42, "flush_store"),
    (0x43, "get_txid"),
    (0x44, "copy_db_to_head"),
    (0x45, "user_hook"),
    (0x46, "last_entries3"),
];

/// The version `ping` and `version` report.
const VERSION: (i32, i32, i32) = (1, 9, 25);

/// The node's limits (node_cfg.ml's defaults).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// A value this long or longer is refused (set and the like).
    pub max_value_size: usize,
    /// An update serialized longer than this is refused.
    pub max_buffer_size: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_value_size: 8 << 20, max_buffer_size: 32 << 20 }
    }
}

/// One cluster: its nodes share one store.
pub struct FakeArakoon {
    state: Arc<State>,
    nodes: Vec<Node>,
}

struct State {
    cluster_id: String,
    names: Vec<String>,
    limits: Limits,
    store: Mutex<Store>,
    master: Mutex<Option<usize>>,
    counts: Mutex<HashMap<&'static str, u64>>,
}

#[derive(Default)]
struct Store {
    kv: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Updates that went through "consensus".
    i: i64,
}

struct Node {
    addr: SocketAddr,
    serving: Mutex<Option<Serving>>,
}

struct Serving {
    stop: Arc<AtomicBool>,
    accept: JoinHandle<()>,
    conns: Arc<Mutex<HashMap<u64, TcpStream>>>,
}

/// The cluster this test binary shares (cluster id `ovs_cfg`, three
/// nodes); each test works below a root of its own.
pub fn shared() -> &'static FakeArakoon {
    static SHARED: OnceLock<FakeArakoon> = OnceLock::new();
    SHARED.get_or_init(|| FakeArakoon::start("ovs_cfg", 3))
}

impl FakeArakoon {
    /// `nodes` nodes named `arakoon_0`, ..., node 0 the master.
    pub fn start(cluster_id: &str, nodes: usize) -> FakeArakoon {
        FakeArakoon::start_with(cluster_id, nodes, Limits::default())
    }

    pub fn start_with(cluster_id: &str, nodes: usize, limits: Limits) -> FakeArakoon {
        assert!(nodes > 0, "a cluster has a node");
        let state = Arc::new(State {
            cluster_id: cluster_id.to_string(),
            names: (0..nodes).map(|i| format!("arakoon_{i}")).collect(),
            limits,
            store: Mutex::new(Store::default()),
            master: Mutex::new(Some(0)),
            counts: Mutex::new(HashMap::new()),
        });
        let nodes = (0..nodes)
            .map(|i| {
                let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the fake Arakoon");
                let addr = listener.local_addr().unwrap();
                Node { addr, serving: Mutex::new(Some(serve(state.clone(), i, listener))) }
            })
            .collect();
        FakeArakoon { state, nodes }
    }

    pub fn cluster_id(&self) -> &str {
        &self.state.cluster_id
    }

    /// The nodes' names, `arakoon_0`, ...
    pub fn names(&self) -> Vec<String> {
        self.state.names.clone()
    }

    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.nodes.iter().map(|n| n.addr).collect()
    }

    /// `arakoon://CLUSTER@127.0.0.1:p1,127.0.0.1:p2` and `root` ("" for
    /// none, else `/...`).
    pub fn url(&self, root: &str) -> String {
        let nodes: Vec<String> = self.addrs().iter().map(SocketAddr::to_string).collect();
        format!("arakoon://{}@{}{root}", self.state.cluster_id, nodes.join(","))
    }

    /// Make node `i` the master, or leave the cluster without one.
    pub fn set_master(&self, master: Option<usize>) {
        assert!(master.is_none_or(|i| i < self.nodes.len()), "no node {master:?}");
        *self.state.master.lock().unwrap() = master;
    }

    /// Node `i` stops answering: its listener and connections close.
    pub fn kill(&self, i: usize) {
        let node = &self.nodes[i];
        let Some(serving) = node.serving.lock().unwrap().take() else { return };
        serving.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop, which then drops the listener.
        let _ = TcpStream::connect(node.addr);
        let _ = serving.accept.join();
        for conn in serving.conns.lock().unwrap().values() {
            let _ = conn.shutdown(Shutdown::Both);
        }
    }

    /// Node `i` serves again, on the same port.
    pub fn revive(&self, i: usize) {
        let node = &self.nodes[i];
        let mut serving = node.serving.lock().unwrap();
        if serving.is_none() {
            let listener = TcpListener::bind(node.addr).expect("the killed node's port back");
            *serving = Some(serve(self.state.clone(), i, listener));
        }
    }

    /// A value as the store holds it.
    pub fn raw_get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.state.store().kv.get(key).cloned()
    }

    /// Write directly, as another client would (it counts as an update).
    pub fn raw_set(&self, key: &[u8], value: &[u8]) {
        let mut store = self.state.store();
        store.kv.insert(key.to_vec(), value.to_vec());
        store.i += 1;
    }

    /// Every key the store holds, in order.
    pub fn raw_keys(&self) -> Vec<Vec<u8>> {
        self.state.store().kv.keys().cloned().collect()
    }

    /// Requests received so far with this opcode name (`"sequence"`,
    /// `"range_entries"`, ...), by any node.
    pub fn count(&self, opcode: &str) -> u64 {
        self.state.counts.lock().unwrap().get(opcode).copied().unwrap_or(0)
    }

    /// Write the cluster's client configuration as Open vStorage keeps it
    /// (`arakoon_cacc.ini`): `[global]` with `cluster_id` and `cluster`
    /// (the node names), and each node's `ip` and `client_port`.
    pub fn ini(&self, path: &std::path::Path) {
        let mut text =
            format!("[global]\ncluster_id = {}\ncluster = {}\n", self.state.cluster_id, self.state.names.join(","));
        for (name, addr) in self.state.names.iter().zip(self.addrs()) {
            text += &format!("\n[{name}]\nname = {name}\nip = {}\nclient_port = {}\n", addr.ip(), addr.port());
        }
        std::fs::write(path, text).expect("write arakoon_cacc.ini");
    }
}

impl Drop for FakeArakoon {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}

impl State {
    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap()
    }
}

/// Accept connections on `listener` for node `index` until stopped.
fn serve(state: Arc<State>, index: usize, listener: TcpListener) -> Serving {
    let stop = Arc::new(AtomicBool::new(false));
    let conns: Arc<Mutex<HashMap<u64, TcpStream>>> = Arc::default();
    let accept = {
        let (stop, conns) = (stop.clone(), conns.clone());
        std::thread::spawn(move || {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let id = NEXT.fetch_add(1, Ordering::Relaxed);
                let Ok(clone) = stream.try_clone() else { continue };
                conns.lock().unwrap().insert(id, clone);
                let (state, conns) = (state.clone(), conns.clone());
                std::thread::spawn(move || {
                    let _registered = Registered { conns, id };
                    let _ = stream.set_nodelay(true);
                    session(&state, index, stream);
                });
            }
        })
    };
    Serving { stop, accept, conns }
}

/// A connection in its node's list until its session ends, even by a
/// panic (a bug in the fake, which then closes the connection rather than
/// leave the client waiting).
struct Registered {
    conns: Arc<Mutex<HashMap<u64, TcpStream>>>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut conns) = self.conns.lock() {
            conns.remove(&self.id);
        }
    }
}

/// Why a request gets no ordinary answer.
enum Fail {
    /// The connection closes, nothing written.
    Close,
    /// This code and message are written; `close`: then the connection
    /// closes.
    Error { rc: u32, msg: Option<Vec<u8>>, close: bool },
}

type Res<T> = Result<T, Fail>;

fn error(rc: u32, msg: impl Into<Vec<u8>>) -> Fail {
    // As client_protocol.ml's handle_exception: these keep the connection.
    let close = ![rc::NOT_FOUND, rc::ASSERTION_FAILED, 0x21, rc::BAD_INPUT, rc::INCONSISTENT_READ].contains(&rc);
    Fail::Error { rc, msg: Some(msg.into()), close }
}

/// What the node answers for an exception its protocol does not match.
fn unknown_failure() -> Fail {
    error(rc::UNKNOWN_FAILURE, "unknown failure")
}

/// One client connection: the prologue, then requests until one closes it.
fn session(state: &State, index: usize, stream: TcpStream) {
    let Ok(write_half) = stream.try_clone() else { return };
    let mut input = Input(BufReader::new(stream));
    let mut output = BufWriter::new(write_half);
    let prologue = (|| -> Res<bool> {
        let magic = input.u32()?;
        let version = input.i32()?;
        if magic != MAGIC || version != 1 {
            return Ok(false);
        }
        Ok(input.string()? == state.cluster_id.as_bytes())
    })();
    if !matches!(prologue, Ok(true)) {
        return;
    }
    loop {
        let mut reply = Vec::new();
        let outcome = request(state, index, &mut input, &mut reply);
        let close = match outcome {
            Ok(()) => false,
            Err(Fail::Close) => return,
            Err(Fail::Error { rc, msg, close }) => {
                reply.clear();
                put_u32(&mut reply, rc);
                if let Some(msg) = msg {
                    put_string(&mut reply, &msg);
                }
                close
            }
        };
        if output.write_all(&reply).and_then(|()| output.flush()).is_err() || close {
            return;
        }
    }
}

/// Read one request and write its answer (from the OK code on) to `reply`.
fn request(state: &State, index: usize, input: &mut Input<impl Read>, reply: &mut Vec<u8>) -> Res<()> {
    let word = input.u32()?;
    if word & MAGIC != MAGIC {
        // Only the code, no message.
        return Err(Fail::Error { rc: rc::NO_MAGIC, msg: None, close: true });
    }
    let code = word & 0xffff;
    let Some(&(_, name)) = OPCODES.iter().find(|(c, _)| *c == code) else {
        let msg = format!("{code:x}: command not found").into_bytes();
        return Err(Fail::Error { rc: rc::NOT_FOUND, msg: Some(msg), close: true });
    };
    *state.counts.lock().unwrap().entry(name).or_default() += 1;
    let node = NodeView { state, index };
    put_u32(reply, rc::OK);
    match name {
        "ping" => {
            let (_client, cluster) = inside(|| Ok((input.string()?, input.string()?)))?;
            if cluster != state.cluster_id.as_bytes() {
                return Err(unknown_failure());
            }
            put_string(reply, format!("Arakoon {}.{}.{}", VERSION.0, VERSION.1, VERSION.2).as_bytes());
        }
        "who_master" => put_option(reply, node.master().as_deref().map(str::as_bytes)),
        "exists" => {
            let (consistency, key) = (input.consistency()?, input.string()?);
            let store = node.read(consistency)?;
            put_bool(reply, store.kv.contains_key(&key));
        }
        "get" => {
            let (consistency, key) = (input.consistency()?, input.string()?);
            let store = node.read(consistency)?;
            put_string(reply, store.kv.get(&key).ok_or_else(|| error(rc::NOT_FOUND, "Not_found"))?);
        }
        "assert" => {
            let (consistency, key, expected) = (input.consistency()?, input.string()?, input.option()?);
            let store = node.read(consistency)?;
            if store.kv.get(&key) != expected.as_ref() {
                return Err(error(rc::ASSERTION_FAILED, key.clone()));
            }
        }
        "assert_exists" => {
            let (consistency, key) = (input.consistency()?, input.string()?);
            if !node.read(consistency)?.kv.contains_key(&key) {
                return Err(error(rc::ASSERTION_FAILED, key.clone()));
            }
        }
        "set" => {
            let (key, value) = (input.string()?, input.string()?);
            node.value_size(&value)?;
            node.update(Update::Set(key, value))?;
        }
        "delete" => {
            node.update(Update::Delete(input.string()?))?;
        }
        "delete_prefix" => {
            let prefix = inside(|| input.string())?;
            let deleted = node.update(Update::DeletePrefix(prefix))?;
            put_i32(reply, deleted.count);
        }
        "test_and_set" => {
            let (key, expected, wanted) = inside(|| Ok((input.string()?, input.option()?, input.option()?)))?;
            if let Some(wanted) = &wanted {
                node.value_size(wanted)?;
            }
            let done = node.update(Update::TestAndSet(key, expected, wanted))?;
            put_option(reply, done.old.as_deref());
        }
        "replace" => {
            let (key, wanted) = inside(|| Ok((input.string()?, input.option()?)))?;
            if let Some(wanted) = &wanted {
                node.value_size(wanted)?;
            }
            let done = node.update(Update::Replace(key, wanted))?;
            put_option(reply, done.old.as_deref());
        }
        "confirm" => {
            let (key, value) = (input.string()?, input.string()?);
            node.value_size(&value)?;
            let same = node.read(Consistency::Consistent)?.kv.get(&key) == Some(&value);
            if !same {
                node.update(Update::Set(key, value))?;
            }
        }
        "nop" => {
            node.update(Update::Nop)?;
        }
        "sequence" | "synced_sequence" => {
            let updates = inside(|| {
                let payload = input.string()?;
                match Update::decode(&mut Input(&payload[..]))? {
                    Update::Sequence(updates, false) => Ok(updates),
                    _ => Err(error(rc::UNKNOWN_FAILURE, "should have been a sequence")),
                }
            })?;
            node.update(Update::Sequence(updates, name == "synced_sequence"))?;
        }
        "range" | "range_entries" | "rev_range_entries" => {
            let consistency = input.consistency()?;
            let (first, finc, last, linc, max) =
                (input.option()?, input.bool()?, input.option()?, input.bool()?, input.i32()?);
            let store = node.read(consistency)?;
            // A missing lower bound is the empty key, an upper one none.
            let bound = |key: Option<Vec<u8>>, inc: bool, or: Bound<Vec<u8>>| match key {
                None => or,
                Some(key) if inc => Bound::Included(key),
                Some(key) => Bound::Excluded(key),
            };
            let mut found: Vec<(&Vec<u8>, &Vec<u8>)> = if name == "rev_range_entries" {
                let low = bound(last, linc, if linc { Bound::Unbounded } else { Bound::Excluded(Vec::new()) });
                between(&store.kv, low, bound(first, finc, Bound::Unbounded)).rev().take(limit(max)).collect()
            } else {
                let low = bound(first, finc, if finc { Bound::Unbounded } else { Bound::Excluded(Vec::new()) });
                between(&store.kv, low, bound(last, linc, Bound::Unbounded)).take(limit(max)).collect()
            };
            // The node's lists come out last first.
            found.reverse();
            put_i32(reply, found.len() as i32);
            for (k, v) in found {
                put_string(reply, k);
                if name != "range" {
                    put_string(reply, v);
                }
            }
        }
        "prefix_keys" => {
            let (consistency, prefix, max) = (input.consistency()?, input.string()?, input.i32()?);
            let store = node.read(consistency)?;
            let mut keys: Vec<&Vec<u8>> = store
                .kv
                .range(prefix.clone()..)
                .map(|(k, _)| k)
                .take_while(|k| k.starts_with(&prefix))
                .take(limit(max))
                .collect();
            keys.reverse();
            put_i32(reply, keys.len() as i32);
            keys.iter().for_each(|k| put_string(reply, k));
        }
        "multi_get" | "multi_get_option" => {
            let consistency = input.consistency()?;
            let n = input.i32()?;
            // Read as Llio reads a list: the last on the wire first.
            let mut keys = Vec::new();
            for _ in 0..n.max(0) {
                keys.insert(0, input.string()?);
            }
            let store = node.read(consistency)?;
            let values: Vec<Option<&Vec<u8>>> = keys.iter().map(|k| store.kv.get(k)).collect();
            put_i32(reply, values.len() as i32);
            if name == "multi_get" {
                for (key, value) in keys.iter().zip(&values) {
                    put_string(reply, value.ok_or_else(|| error(rc::NOT_FOUND, key.clone()))?);
                }
            } else {
                values.iter().rev().for_each(|v| put_option(reply, v.map(|v| &v[..])));
            }
        }
        "get_key_count" => {
            let count = node.read(Consistency::Consistent)?.kv.len();
            put_i64(reply, count as i64);
        }
        "expect_progress_possible" => put_bool(reply, node.is_master()),
        "get_txid" => {
            reply.push(2);
            put_i64(reply, state.store().i);
        }
        "version" => {
            put_i32(reply, VERSION.0);
            put_i32(reply, VERSION.1);
            put_i32(reply, VERSION.2);
            put_string(reply, b"revision: \"fake\"\ncompiled: \"fake\"\nmachine: \"fake\"\n");
        }
        "user_function" => {
            let (function, _arg) = (input.string()?, input.option()?);
            return Err(error(rc::BAD_INPUT, format!("User function {} could not be found", ocaml_quote(&function))));
        }
        other => return Err(error(rc::UNKNOWN_FAILURE, format!("the fake Arakoon does not serve {other}"))),
    }
    Ok(())
}

/// Read inside the node's error handler: a malformed request is answered
/// "unknown failure" before the connection closes.
fn inside<T>(read: impl FnOnce() -> Res<T>) -> Res<T> {
    read().map_err(|fail| match fail {
        Fail::Close => unknown_failure(),
        other => other,
    })
}

/// `max` as the node counts it: negative for all.
fn limit(max: i32) -> usize {
    usize::try_from(max).unwrap_or(usize::MAX)
}

/// The entries between two bounds: none where the range is empty (where
/// `BTreeMap::range` would panic).
fn between<'a>(
    kv: &'a BTreeMap<Vec<u8>, Vec<u8>>,
    low: Bound<Vec<u8>>,
    high: Bound<Vec<u8>>,
) -> Box<dyn DoubleEndedIterator<Item = (&'a Vec<u8>, &'a Vec<u8>)> + 'a> {
    let empty = match (&low, &high) {
        (Bound::Included(l), Bound::Included(h)) => l > h,
        (Bound::Included(l) | Bound::Excluded(l), Bound::Included(h) | Bound::Excluded(h)) => l >= h,
        _ => false,
    };
    if empty {
        return Box::new(std::iter::empty());
    }
    Box::new(kv.range::<Vec<u8>, _>((low, high)))
}

/// What a read asks of the node (protocol_common.ml's consistency byte).
#[derive(Clone, Copy)]
enum Consistency {
    Consistent,
    NoGuarantees,
    AtLeast(i64),
}

/// The node a connection came in on.
struct NodeView<'a> {
    state: &'a State,
    index: usize,
}

/// What an applied update answers.
#[derive(Default)]
struct Applied {
    /// Keys a delete_prefix removed.
    count: i32,
    /// The value before a test_and_set or replace.
    old: Option<Vec<u8>>,
}

impl NodeView<'_> {
    fn master(&self) -> Option<String> {
        self.state.master.lock().unwrap().map(|m| self.state.names[m].clone())
    }

    fn is_master(&self) -> bool {
        *self.state.master.lock().unwrap() == Some(self.index)
    }

    /// sync_backend.ml's `_write_allowed`: a cluster of one needs no master.
    fn write_allowed(&self) -> Res<()> {
        if self.state.names.len() == 1 || self.is_master() {
            return Ok(());
        }
        Err(error(rc::NOT_MASTER, self.master().unwrap_or_else(|| "None".to_string())))
    }

    /// The store, if this node may serve a read of this consistency.
    fn read(&self, consistency: Consistency) -> Res<MutexGuard<'_, Store>> {
        if let Consistency::Consistent = consistency {
            self.write_allowed()?;
        }
        let store = self.state.store();
        match consistency {
            Consistency::AtLeast(i) if i > store.i => Err(error(rc::INCONSISTENT_READ, "store not fresh enough")),
            _ => Ok(store),
        }
    }

    /// sync_backend.ml's `assert_value_size`, whose exception the protocol
    /// answers as an unknown one.
    fn value_size(&self, value: &[u8]) -> Res<()> {
        if value.len() >= self.state.limits.max_value_size {
            return Err(unknown_failure());
        }
        Ok(())
    }

    /// Push an update through "consensus" and apply it, all or nothing.
    fn update(&self, update: Update) -> Res<Applied> {
        self.write_allowed()?;
        let size = update.serialized_size();
        let max = self.state.limits.max_buffer_size;
        if size > max {
            return Err(error(rc::BAD_INPUT, format!("update {} has size {size} > {max}", update.describe())));
        }
        let mut store = self.state.store();
        store.i += 1;
        let mut tx = Tx { kv: &mut store.kv, undo: Vec::new() };
        let applied = tx.apply(&update);
        if applied.is_err() {
            tx.rollback();
        }
        applied
    }
}

/// The updates of a sequence (update.ml), those the fake applies.
enum Update {
    Set(Vec<u8>, Vec<u8>),
    Delete(Vec<u8>),
    TestAndSet(Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>),
    /// `true`: a SyncedSequence.
    Sequence(Vec<Update>, bool),
    Nop,
    Assert(Vec<u8>, Option<Vec<u8>>),
    AssertExists(Vec<u8>),
    /// The prefix and the keys of a `ContainsExactly`, as the node lists
    /// them (the reverse of the wire's order).
    AssertRange(Vec<u8>, Vec<Vec<u8>>),
    DeletePrefix(Vec<u8>),
    Replace(Vec<u8>, Option<Vec<u8>>),
}

impl Update {
    fn decode<R: Read>(input: &mut Input<R>) -> Res<Update> {
        Ok(match input.i32()? {
            1 => Update::Set(input.string()?, input.string()?),
            2 => Update::Delete(input.string()?),
            3 => Update::TestAndSet(input.string()?, input.option()?, input.option()?),
            kind @ (5 | 13) => {
                let n = input.i32()?;
                let updates = (0..n).map(|_| Update::decode(input)).collect::<Res<_>>()?;
                Update::Sequence(updates, kind == 13)
            }
            6 => Update::Nop,
            8 => Update::Assert(input.string()?, input.option()?),
            14 => Update::DeletePrefix(input.string()?),
            15 => Update::AssertExists(input.string()?),
            16 => Update::Replace(input.string()?, input.option()?),
            17 => {
                let prefix = input.string()?;
                if input.i32()? != 1 {
                    return Err(Fail::Close);
                }
                let n = input.i32()?;
                let mut keys = Vec::new();
                for _ in 0..n.max(0) {
                    keys.insert(0, input.string()?);
                }
                Update::AssertRange(prefix, keys)
            }
            kind @ (4 | 7 | 9..=12) => {
                return Err(error(rc::UNKNOWN_FAILURE, format!("the fake Arakoon does not apply update kind {kind}")))
            }
            _ => return Err(Fail::Close),
        })
    }

    /// update.ml's `serialized_size`, which the node holds against
    /// `max_buffer_size`.
    fn serialized_size(&self) -> usize {
        let ss = |s: &[u8]| 4 + s.len();
        let sos = |s: &Option<Vec<u8>>| s.as_ref().map_or(1, |s| 1 + ss(s));
        4 + match self {
            Update::Set(k, v) => ss(k) + ss(v),
            Update::Delete(k) | Update::AssertExists(k) | Update::DeletePrefix(k) => ss(k),
            Update::TestAndSet(k, e, w) => ss(k) + sos(e) + sos(w),
            Update::Sequence(us, _) => 4 + us.iter().map(Update::serialized_size).sum::<usize>(),
            Update::Nop => 0,
            Update::Assert(k, vo) | Update::Replace(k, vo) => ss(k) + sos(vo),
            Update::AssertRange(p, keys) => ss(p) + 8 + keys.iter().map(|k| ss(k)).sum::<usize>(),
        }
    }

    /// update.ml's `update2s` (without values), as the size error quotes it.
    fn describe(&self) -> String {
        let size = |vo: &Option<Vec<u8>>| vo.as_ref().map_or(0, Vec::len);
        match self {
            Update::Set(k, v) => format!("Set            ;{};{};\"...\"", ocaml_quote(k), v.len()),
            Update::Delete(k) => format!("Delete         ;{}", ocaml_quote(k)),
            Update::TestAndSet(k, _, w) => {
                let shown = if w.is_some() { "\"...\"" } else { "\"None\"" };
                format!("TestAndSet     ;{};{};{shown}", ocaml_quote(k), size(w))
            }
            Update::Sequence(us, synced) => {
                let mut s = String::from(if *synced { "SyncedSequence([" } else { "Sequence([" });
                let shown = us.len().min(100);
                if us.is_empty() {
                    s += "])";
                }
                for (c, u) in us.iter().take(shown).enumerate() {
                    s += &u.describe();
                    if c + 1 < us.len() {
                        s += "; ";
                    }
                    if c + 1 == shown {
                        s += &format!("... ({} more) ])", us.len() - shown);
                    }
                }
                s
            }
            Update::Nop => "NOP".to_string(),
            Update::Assert(k, vo) => format!("Assert          ;{};{}", ocaml_quote(k), size(vo)),
            Update::AssertExists(k) => format!("Assert_exists   ;{}", ocaml_quote(k)),
            Update::AssertRange(p, keys) => format!("Assert_range({}, {})", ocaml_quote(p), contains_exactly(keys)),
            Update::DeletePrefix(p) => format!("DeletePrefix    ;{}", ocaml_quote(p)),
            Update::Replace(k, vo) => format!("Replace            ;{};{}", ocaml_quote(k), size(vo)),
        }
    }
}

/// update.ml's `Range_assertion.to_string`.
fn contains_exactly(keys: &[Vec<u8>]) -> String {
    format!("ContainsExactly [ {} ]", ocaml_quote(&keys.join(&b"; "[..])))
}

/// A map being changed, and how to undo it.
struct Tx<'a> {
    kv: &'a mut BTreeMap<Vec<u8>, Vec<u8>>,
    undo: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Tx<'_> {
    fn put(&mut self, key: &[u8], value: Option<Vec<u8>>) {
        let old = match value {
            Some(value) => self.kv.insert(key.to_vec(), value),
            None => self.kv.remove(key),
        };
        self.undo.push((key.to_vec(), old));
    }

    fn rollback(self) {
        for (key, old) in self.undo.into_iter().rev() {
            match old {
                Some(value) => self.kv.insert(key, value),
                None => self.kv.remove(&key),
            };
        }
    }

    /// store.ml's `_do_one`.
    fn apply(&mut self, update: &Update) -> Res<Applied> {
        let mut applied = Applied::default();
        match update {
            Update::Set(k, v) => self.put(k, Some(v.clone())),
            Update::Delete(k) => {
                if !self.kv.contains_key(k) {
                    return Err(error(rc::NOT_FOUND, k.clone()));
                }
                self.put(k, None);
            }
            Update::TestAndSet(k, expected, wanted) => {
                applied.old = self.kv.get(k).cloned();
                if applied.old == *expected {
                    self.put(k, wanted.clone());
                }
            }
            Update::Replace(k, wanted) => {
                applied.old = self.kv.get(k).cloned();
                self.put(k, wanted.clone());
            }
            Update::DeletePrefix(p) => {
                let keys = prefixed(self.kv, p);
                applied.count = keys.len() as i32;
                keys.iter().for_each(|k| self.put(k, None));
            }
            Update::Sequence(updates, _) => {
                for u in updates {
                    self.apply(u)?;
                }
            }
            Update::Nop => {}
            Update::Assert(k, vo) => {
                if self.kv.get(k) != vo.as_ref() {
                    return Err(error(rc::ASSERTION_FAILED, k.clone()));
                }
            }
            Update::AssertExists(k) => {
                if !self.kv.contains_key(k) {
                    return Err(error(rc::ASSERTION_FAILED, k.clone()));
                }
            }
            Update::AssertRange(p, keys) => {
                let actual = prefixed(self.kv, p);
                if *keys != actual {
                    let msg = format!("{} actual: ", contains_exactly(keys)).into_bytes();
                    return Err(error(rc::ASSERTION_FAILED, [msg, actual.join(&b","[..])].concat()));
                }
            }
        }
        Ok(applied)
    }
}

/// The keys that start with `prefix`, in order.
fn prefixed(kv: &BTreeMap<Vec<u8>, Vec<u8>>, prefix: &[u8]) -> Vec<Vec<u8>> {
    kv.range(prefix.to_vec()..).map(|(k, _)| k).take_while(|k| k.starts_with(prefix)).cloned().collect()
}

/// OCaml's `%S`: quoted, with `String.escaped`'s escapes.
fn ocaml_quote(s: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in s {
        match b {
            b'"' => out += "\\\"",
            b'\\' => out += "\\\\",
            b'\n' => out += "\\n",
            b'\t' => out += "\\t",
            b'\r' => out += "\\r",
            8 => out += "\\b",
            b' '..=b'~' => out.push(b as char),
            _ => out += &format!("\\{b:03}"),
        }
    }
    out + "\""
}

/// Llio's decoding; anything malformed closes the connection.
struct Input<R>(R);

impl<R: Read> Input<R> {
    fn bytes<const N: usize>(&mut self) -> Res<[u8; N]> {
        let mut buf = [0; N];
        self.0.read_exact(&mut buf).map_err(|_| Fail::Close)?;
        Ok(buf)
    }

    fn u32(&mut self) -> Res<u32> {
        Ok(u32::from_le_bytes(self.bytes()?))
    }

    fn i32(&mut self) -> Res<i32> {
        Ok(i32::from_le_bytes(self.bytes()?))
    }

    fn i64(&mut self) -> Res<i64> {
        Ok(i64::from_le_bytes(self.bytes()?))
    }

    fn bool(&mut self) -> Res<bool> {
        match self.bytes::<1>()? {
            [0] => Ok(false),
            [1] => Ok(true),
            _ => Err(Fail::Close),
        }
    }

    fn string(&mut self) -> Res<Vec<u8>> {
        let len = usize::try_from(self.i32()?).map_err(|_| Fail::Close)?;
        let mut s = Vec::new();
        (&mut self.0).take(len as u64).read_to_end(&mut s).map_err(|_| Fail::Close)?;
        if s.len() != len {
            return Err(Fail::Close);
        }
        Ok(s)
    }

    fn option(&mut self) -> Res<Option<Vec<u8>>> {
        Ok(if self.bool()? { Some(self.string()?) } else { None })
    }

    fn consistency(&mut self) -> Res<Consistency> {
        match self.bytes::<1>()? {
            [0] => Ok(Consistency::Consistent),
            [1] => Ok(Consistency::NoGuarantees),
            [2] => Ok(Consistency::AtLeast(self.i64()?)),
            _ => Err(Fail::Close),
        }
    }
}

fn put_u32(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(&n.to_le_bytes());
}

fn put_i32(out: &mut Vec<u8>, n: i32) {
    out.extend_from_slice(&n.to_le_bytes());
}

fn put_i64(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(&n.to_le_bytes());
}

fn put_bool(out: &mut Vec<u8>, b: bool) {
    out.push(u8::from(b));
}

fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    put_i32(out, s.len() as i32);
    out.extend_from_slice(s);
}

fn put_option(out: &mut Vec<u8>, s: Option<&[u8]>) {
    match s {
        None => put_bool(out, false),
        Some(s) => {
            put_bool(out, true);
            put_string(out, s);
        }
    }
}
