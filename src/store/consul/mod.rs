//! Consul's KV store, over its HTTP API (reqwest's async client on the
//! shared runtime).
//!
//! **Keys.** ovs `/a/b` is the Consul key `a/b` (Consul refuses a leading
//! `/`), below the URL's root if it has one (`consul://h:8500/tenant` puts it
//! at `tenant/a/b`). In a URL path each segment is percent-escaped on its
//! own; in a `/v1/txn` body keys go as they are. Consul's prefix operations
//! (`?recurse`, `?keys`, `delete-tree`) take a raw string prefix — `foo` also
//! takes `foobar` — so every prefix this backend sends ends in `/` (but a
//! subtree's listing, below), and a recursive delete of `/a/b` is
//! `delete-tree a/b/` plus `delete a/b`.
//! Keys Consul holds that ovs cannot address (a folder `a/b/` made by the
//! UI, `a//b`) are listed as they are; the list command flags them.
//!
//! **Revisions** are `ModifyIndex`, Consul's Raft index of the key's last
//! write: it only grows, so a key deleted and created again never gets an
//! old revision back. An empty value and a `null` Value are the same.
//!
//! **A commit is one `/v1/txn` request** (see `commit.rs`): `cas` with index
//! 0 for "absent", `cas` with index N for "at revision N", `set` otherwise;
//! a delete checks that its key is there (`check-index`, or `get` when it
//! has no condition) before `delete`; pure checks are `check-index` and
//! `check-not-exists`. Consul applies the operations in order and all or
//! nothing; HTTP 409 lists the failed operations, mapped back to the write
//! by `OpIndex`. Consul takes 128 operations per transaction (since 1.14; 64
//! before): a put or a check is one, a delete or recursive delete two (the
//! declared `delete_ops`), so a commit holds up to 128 puts, or 64 deletes.
//! A transaction's body is at most 512 KiB (`txn_max_req_len`) with values
//! in base64, which bounds a value to about 381 KiB and a batch to 384 KiB
//! of values. A 413 from a server set up with less is reported as the limit
//! it is. Consul does not say how many keys a `delete-tree` removed: the
//! count is that of a listing made just before it (keys written or removed
//! in between are deleted all the same, but may be miscounted). Consul does
//! not return the index of a delete either: a commit without puts reports
//! the store's `X-Consul-Index` read just after it.
//!
//! **Listings** (`?keys`, `?keys&separator=/` for children) come back as one
//! JSON array however many keys there are; it is parsed as it arrives (see
//! `stream.rs`), so memory stays flat. A listing that Consul's ACLs filtered
//! (`X-Consul-Results-Filtered-By-ACLs`) fails rather than look complete.
//!
//! **A subtree** (`keys`, `scan`, `watch` of a prefix P) is P's own key and
//! every key below `P/`. Consul cannot list both in one request but by the
//! string prefix `P`, which also takes neighbours (`P.x`, `Px/y`): they are
//! listed, and left out as the listing streams, so the subtree stays one
//! listing at one index; a write to a neighbour wakes a watch, whose scan
//! then finds nothing to report.
//!
//! **Scans** (see `listing.rs`) list the keys, streamed, and read their
//! values in read-only transactions of at most 64 `get`s, sized in bytes.
//! Every value read must be at an index no later than the listing's
//! `X-Consul-Index` and every listed key must still be there, so a scan is
//! one point in time: the listing's. A write that lands during the scan is
//! seen; before the scan has given anything (it reads 4 MiB ahead) it starts
//! again, until `--timeout`; after, it fails with a conflict naming the key
//! rather than mix two points in time.
//!
//! **Watching** is a blocking query on the prefix's key listing, by
//! Consul's documented rules (see `watch.rs`), then a scan of the prefix
//! when its index moves. A watch cannot go on from a past index: Consul
//! keeps no log of changes.
//!
//! **Agents.** The URL may name several agents; requests go to one at a
//! time, in URL order, and move to the next when one cannot be reached,
//! times out or answers that it has no cluster leader; the one that answered
//! is kept for the rest of the command. No agent may use more than its share
//! of what is left of `--timeout`. A write whose agent failed after
//! forwarding it is sent again to the next agent; a guarded write may then
//! report a conflict with itself (as on etcd).
//!
//! **Consul's environment**, read as its CLI reads it (see `client.rs`):
//! the ACL token from `$CONSUL_HTTP_TOKEN_FILE`, else `$CONSUL_HTTP_TOKEN`,
//! goes only in the `X-Consul-Token` header — never in a URL, a message or
//! a log line, and redirects are not followed. HTTPS is `consuls://`, any
//! TLS flag (as for etcd), `$CONSUL_HTTP_SSL=true`, or an `https://`
//! `$CONSUL_HTTP_ADDR`; its files come from the flags, else
//! `$CONSUL_CACERT`, `$CONSUL_CLIENT_CERT`, `$CONSUL_CLIENT_KEY` (which, as
//! in Consul's CLI, do not turn HTTPS on by themselves);
//! `$CONSUL_HTTP_SSL_VERIFY=false` skips checking the server. A URL with no
//! host (`consul://`, `consul:///root`) names the agent
//! `$CONSUL_HTTP_ADDR` names, else 127.0.0.1:8500.
//!
//! **Not guaranteed:** reads are Consul's default consistency (answered by
//! the leader, without a quorum round), and recent Consul releases refuse
//! some keys on the `/v1/kv` endpoint (leading or trailing spaces): such a
//! refusal is reported as the server's message.

mod client;
mod commit;
mod listing;
mod stream;
mod txn;
mod watch;

use reqwest::Method;
use serde::Deserialize;

use super::backend::{Backend, Checked, Config, Login, UrlInfo};
use super::{
    parse_cluster, root_is_not_a_key, Capabilities, ClusterUrl, Committed, Entries, Key, Options, Revision, Scan,
    Store, StoreError, Version, Watcher, Write,
};
use client::{Call, Http};

/// Consul's default `txn_max_req_len` and `kv_max_value_size`.
const MAX_REQUEST_BYTES: u64 = 512 * 1024;
/// What a request of `request_bytes` leaves for one value in base64, with
/// room for its key and the JSON around it (4 KiB, less for small limits).
const fn value_room(request_bytes: u64) -> u64 {
    let room = if request_bytes / 8 < 4096 { request_bytes / 8 } else { 4096 };
    (request_bytes - room) / 4 * 3
}
const MAX_VALUE_BYTES: u64 = value_room(MAX_REQUEST_BYTES);
const VALUE_HINT: &str = "Consul's default txn_max_req_len of 512 KiB, which carries values in base64; a server \
                          set up with more takes more: pass --max-value-size";
/// Consul's limit of operations per transaction (since 1.14; 64 before).
const MAX_TXN_OPS: usize = 128;

/// Consul in the registry.
pub const BACKEND: Backend = Backend {
    schemes: &["consul", "consuls"],
    form: "consul[s]://host:port[,host:port...][/root]",
    about: "Consul KV (consuls: over HTTPS; no host: $CONSUL_HTTP_ADDR): revisions are ModifyIndex, batches \
            are one /v1/txn, the ACL token comes from $CONSUL_HTTP_TOKEN or $CONSUL_HTTP_TOKEN_FILE",
    capabilities: Capabilities {
        max_value_bytes: MAX_VALUE_BYTES,
        max_value_hint: Some(VALUE_HINT),
        max_batch_ops: Some(MAX_TXN_OPS),
        // A delete checks its key first; a recursive delete is two deletes.
        delete_ops: 2,
        // Values travel in base64: a batch's raw bytes are 3/4 of the body.
        max_batch_bytes: Some(MAX_REQUEST_BYTES / 4 * 3),
        // Up to two operations' JSON, with room for base64's growth.
        batch_op_bytes: 160,
        watch: true,
        ..Capabilities::unlimited(0)
    },
    logs_in: Login::No,
    check: |scheme, rest| {
        let agents = Agents::parse(scheme, rest)?;
        Ok(Checked::new(agents.info(), agents))
    },
};

/// The agents a URL names, and whether it asks for HTTPS.
#[derive(Debug)]
struct Agents {
    url: ClusterUrl,
    https: bool,
}

impl Agents {
    /// `consul[s]://host:port,...[/root]`; with no host, the agent
    /// `$CONSUL_HTTP_ADDR` names, else Consul's own default, 127.0.0.1:8500.
    fn parse(scheme: &str, rest: &str) -> Result<Agents, String> {
        let mut https = scheme == "consuls";
        let rest = if rest.is_empty() || rest.starts_with('/') {
            let (addr, addr_https) = agent_from_env()?;
            https |= addr_https;
            format!("{addr}{rest}")
        } else {
            rest.to_string()
        };
        let url = parse_cluster(&rest, if https { 8501 } else { 8500 })?;
        if url.user.is_some() {
            return Err("a Consul URL takes no user name: the ACL token comes from $CONSUL_HTTP_TOKEN or \
                        $CONSUL_HTTP_TOKEN_FILE"
                .into());
        }
        Ok(Agents { url, https })
    }

    fn scheme(&self) -> &'static str {
        if self.https {
            "consuls"
        } else {
            "consul"
        }
    }

    fn info(&self) -> UrlInfo {
        self.url.info(self.scheme())
    }
}

impl Config for Agents {
    fn open(&self, options: &Options) -> Result<Box<dyn Store>, StoreError> {
        Ok(Box::new(ConsulStore::open(self, options)?))
    }
}

/// `$CONSUL_HTTP_ADDR` as Consul's CLI reads it (`host:port`, `http://...`,
/// `https://...`), and whether it asks for HTTPS.
fn agent_from_env() -> Result<(String, bool), String> {
    let Some(addr) = std::env::var("CONSUL_HTTP_ADDR").ok().filter(|a| !a.is_empty()) else {
        return Ok(("127.0.0.1:8500".into(), false));
    };
    let (https, hostport) = match addr.split_once("://") {
        None => (false, addr.as_str()),
        Some(("http", rest)) => (false, rest),
        Some(("https", rest)) => (true, rest),
        Some((scheme, _)) => {
            return Err(format!("$CONSUL_HTTP_ADDR {addr:?}: {scheme}:// is not supported; give http:// or https://"))
        }
    };
    if hostport.is_empty() || hostport.contains(['/', ',', '@']) {
        return Err(format!("$CONSUL_HTTP_ADDR {addr:?}: expected host:port, with no path"));
    }
    Ok((hostport.to_string(), https))
}

pub struct ConsulStore {
    http: Http,
    /// The Consul key prefix every key lives below: "" or "ROOT/".
    root: String,
    describe: String,
}

/// One entry of a KV read or a transaction's results, as Consul writes it.
#[derive(Deserialize)]
struct KvEntry {
    #[serde(rename = "Key")]
    key: String,
    /// Base64; `null` for an empty value (and in results of writes).
    #[serde(rename = "Value")]
    value: Option<String>,
    #[serde(rename = "ModifyIndex")]
    modify_index: u64,
}

impl KvEntry {
    fn value(&self, store: &str) -> Result<Vec<u8>, StoreError> {
        use base64::Engine;
        let Some(text) = &self.value else { return Ok(Vec::new()) };
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| StoreError::failed(store, format!("the value of {:?} is not base64", self.key), e))
    }
}

impl ConsulStore {
    fn open(agents: &Agents, options: &Options) -> Result<ConsulStore, StoreError> {
        let describe = agents.url.describe(agents.scheme());
        let http = Http::new(&agents.url.endpoints, agents.https, options, &describe)?;
        let root =
            if agents.url.root.is_root() { String::new() } else { format!("{}/", &agents.url.root.as_str()[1..]) };
        Ok(ConsulStore { http, root, describe })
    }

    /// The Consul key of `key`.
    fn consul_key(&self, key: &Key) -> String {
        format!("{}{}", self.root, &key.as_str()[1..])
    }

    /// The raw Consul prefix every key strictly below `prefix` starts with:
    /// it ends in `/`, so `a/b` never takes `a/bc` (or is the whole root).
    fn below(&self, prefix: &Key) -> String {
        if prefix.is_root() {
            self.root.clone()
        } else {
            format!("{}/", self.consul_key(prefix))
        }
    }

    /// The raw Consul prefix a listing of the subtree of `prefix` asks for:
    /// its own key, which as a string prefix also takes neighbours such as
    /// `a/b.x` and `a/bc` (the listing leaves them out), or the whole root.
    /// Listing `a/b` and `a/b/` separately would not be one point in time.
    fn subtree(&self, prefix: &Key) -> String {
        if prefix.is_root() {
            self.root.clone()
        } else {
            self.consul_key(prefix)
        }
    }

    /// The ovs key of a Consul key below the root.
    fn ovs_key(&self, consul_key: &str) -> String {
        format!("/{}", consul_key.strip_prefix(self.root.as_str()).unwrap_or(consul_key))
    }

    /// `X-Consul-Index` now, read with a cheap request near `key`: the
    /// store's index, at or after every write made so far.
    fn index_now(&self, key: &Key) -> Result<Revision, StoreError> {
        let probe = self.consul_key(key);
        let call = if probe.is_empty() {
            Call::new(Method::GET, client::kv_path("", "?keys&separator=/"))
        } else {
            Call::new(Method::GET, client::kv_path(probe.trim_end_matches('/'), ""))
        };
        let answer = self.http.call(&call)?;
        answer.index.map(Revision).ok_or_else(|| self.http.refused(&answer))
    }

    fn backend(&self, message: String) -> StoreError {
        StoreError::Backend { store: self.describe.clone(), message }
    }
}

impl Store for ConsulStore {
    fn describe(&self) -> &str {
        &self.describe
    }

    fn capabilities(&self) -> Capabilities {
        BACKEND.capabilities
    }

    fn get(&self, key: &Key) -> Result<Version, StoreError> {
        root_is_not_a_key(key)?;
        let answer = self.http.call(&Call::new(Method::GET, client::kv_path(&self.consul_key(key), "")))?;
        match answer.status.as_u16() {
            200 => {
                let entries: Vec<KvEntry> = serde_json::from_slice(&answer.body).map_err(|e| {
                    StoreError::failed(&self.describe, format!("unexpected answer to a read of {key}"), e)
                })?;
                let entry = entries.into_iter().next().ok_or_else(|| StoreError::NotFound { key: key.clone() })?;
                Ok(Version { value: entry.value(&self.describe)?, revision: Revision(entry.modify_index) })
            }
            404 => Err(StoreError::NotFound { key: key.clone() }),
            _ => Err(self.http.refused(&answer)),
        }
    }

    fn commit(&self, writes: &[Write]) -> Result<Committed, StoreError> {
        commit::commit(self, writes)
    }

    fn keys(&self, prefix: &Key) -> Result<Entries<'_>, StoreError> {
        listing::keys(self, prefix)
    }

    fn children(&self, prefix: &Key) -> Result<Entries<'_>, StoreError> {
        listing::children(self, prefix)
    }

    fn scan(&self, prefix: &Key) -> Result<Scan<'_>, StoreError> {
        Ok(listing::scan(self, prefix))
    }

    fn watch(&self, prefix: &Key, after: Option<Revision>) -> Result<Box<dyn Watcher + '_>, StoreError> {
        watch::watch(self, prefix, after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_agents_and_refuse_users() {
        let agents = Agents::parse("consul", "h1:8500,h2/tenant/a").unwrap();
        assert_eq!(agents.url.endpoints, ["h1:8500", "h2:8500"]);
        assert_eq!(agents.info().display, "consul://h1:8500,h2:8500/tenant/a");
        assert_eq!(Agents::parse("consuls", "h").unwrap().url.endpoints, ["h:8501"]);
        assert!(Agents::parse("consul", "admin@h:8500").unwrap_err().contains("CONSUL_HTTP_TOKEN"));
    }

    #[test]
    fn values_fit_a_default_transaction_in_base64() {
        assert!(MAX_VALUE_BYTES.div_ceil(3) * 4 + 4096 <= MAX_REQUEST_BYTES);
        assert_eq!(value_room(MAX_REQUEST_BYTES), 390_144);
    }
}
