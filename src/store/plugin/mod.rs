//! Stores as plugins: a URL whose scheme no built-in backend claims
//! (`riak://...`) runs the program `ovs-store-SCHEME` from PATH and
//! speaks `ovs-store-plugin/1` with it, JSON lines over its stdin and stdout
//! (docs/plugin-protocol.md; `protocol.rs` holds the messages).
//!
//! **Processes.** Opening the store starts the plugin and says hello: the
//! plugin answers with its capabilities and limits, which this store then
//! declares. A plugin answers one request at a time, so each request takes
//! an idle plugin from a pool, or starts another one (a listing still being
//! read, or another thread, holds the first): the store is `Send + Sync`
//! and a command that reads one listing while it writes never waits on
//! itself. A plugin must therefore be safe to run as several processes on
//! one store, as any client of a shared store is. Plugins exit when the
//! store is dropped (their stdin closes).
//!
//! **Keys, revisions, batches** are the plugin's business, by the contract
//! every built-in store keeps; `put`, `delete` and `delete_tree` go to it as
//! commits of one write, so a plugin has one write path. Batches are checked
//! here (`batch::check`, against the declared limits) before they are sent;
//! values' sizes are the plugin's to refuse (`too_large`).
//!
//! **Checked, not trusted.** Every answer is checked before it is used
//! (`protocol.rs`): listings hold only normalised keys of the prefix's
//! subtree, strictly sorted; revisions are positive; values are within the
//! declared limit; no line is longer than such a value needs. A plugin that
//! breaks one is out of protocol, so a command fails before it writes on
//! the strength of the bad answer (`apply --prune` never deletes a key a
//! scan should not have returned).
//!
//! **Failures.** Every answer is awaited at most `--timeout` (a streamed
//! listing: each of its lines); a plugin that does not answer in time is
//! killed and the request is a timeout (exit 6). One that exits, prints what
//! is not protocol, or names an unknown error kind is killed and the request
//! fails (exit 1) with a one-line message quoting the last line of its
//! stderr; its stderr is logged at `-v`. The password goes only in the
//! hello, on the plugin's stdin: never in its argv or environment, and never
//! in a message, even one the plugin wrote.
//!
//! **A subtree** (`keys`, `scan`) is the prefix's own key, read with a `get`
//! just before the stream, then what the plugin streams below it (version 1
//! streams only that): two reads, not one point in time.
//!
//! **Not in version 1:** history and watch; a plugin store declares neither.

mod process;
mod protocol;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use process::Conn;
use protocol::{Answer, EntryIn, HelloOptions, Listing, Request, Tls, WriteOut, VERSION};

use super::backend::{Backend, Checked, Config, Login, UrlInfo};
use super::{
    batch, root_is_not_a_key, Capabilities, Committed, Entries, Entry, Key, Op, Options, Revision, Scan, Store,
    StoreError, Version, Write,
};

/// The plugin backend: every scheme the built-in ones do not claim.
pub const BACKEND: Backend = Backend {
    schemes: &["plugin"],
    form: "SCHEME://... (any other scheme)",
    about: "runs the plugin ovs-store-SCHEME from PATH (docs/plugin-protocol.md)",
    // What a store not opened yet is held to: nothing; the plugin's hello
    // declares the real limits, and the plugin refuses what is over them.
    capabilities: Capabilities { atomic_batch: true, snapshot_scan: false, ..Capabilities::unlimited(u64::MAX) },
    logs_in: Login::UserNeedsPassword,
    check,
};

fn program_name(scheme: &str) -> String {
    format!("ovs-store-{scheme}")
}

/// The scheme is a URL scheme (RFC 3986, lower case), so the program's name
/// is a plain file name; the program is on PATH. The rest is the plugin's to
/// check: a user may come before an `@` of the authority, as in other URLs.
fn check(scheme: &str, rest: &str) -> Result<Checked, String> {
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '.' | '-'));
    if !valid {
        return Err(format!("unknown store kind {scheme:?}: a scheme is a lower-case letter, then [a-z0-9+.-]"));
    }
    let program = program(scheme)?;
    let authority = rest.split('/').next().unwrap_or("");
    let (user, display) = match authority.rsplit_once('@') {
        Some((user, host)) if !user.is_empty() => {
            (Some(user.to_string()), format!("{scheme}://{host}{}", &rest[authority.len()..]))
        }
        Some(_) => return Err("empty user name before @".into()),
        None => (None, format!("{scheme}://{rest}")),
    };
    let config = PluginConfig {
        name: program_name(scheme),
        program,
        url: format!("{scheme}://{rest}"),
        describe: display.clone(),
    };
    Ok(Checked::new(UrlInfo { user, display }, config))
}

/// A plugin's URL: the program found for its scheme, and the URL as the
/// plugin gets it.
#[derive(Debug)]
struct PluginConfig {
    name: String,
    program: PathBuf,
    url: String,
    describe: String,
}

impl Config for PluginConfig {
    fn open(&self, options: &Options) -> Result<Box<dyn Store>, StoreError> {
        Ok(Box::new(PluginStore::open(self, options)?))
    }
}

fn program(scheme: &str) -> Result<PathBuf, String> {
    let name = program_name(scheme);
    which::which(&name).map_err(|_| {
        format!("unknown store kind {scheme:?}: no built-in store and no {name} on PATH (see `ovs config stores`)")
    })
}

pub struct PluginStore {
    describe: String,
    name: String,
    program: PathBuf,
    /// The URL as the plugin gets it in its hello.
    url: String,
    options: Options,
    caps: Capabilities,
    /// Plugins waiting for a request.
    idle: Mutex<Vec<Conn>>,
}

impl PluginStore {
    fn open(config: &PluginConfig, options: &Options) -> Result<PluginStore, StoreError> {
        let (describe, program) = (config.describe.clone(), config.program.clone());
        // It runs with the operator's login and is handed their password: a
        // program someone else could rewrite is refused, as a validator is.
        crate::files::check_trusted(&program, "the store plugin")
            .map_err(|e| StoreError::BadOption { store: describe.clone(), message: e.to_string() })?;
        let mut store = PluginStore {
            describe,
            name: config.name.clone(),
            program,
            url: config.url.clone(),
            options: options.clone(),
            caps: BACKEND.capabilities,
            idle: Mutex::new(Vec::new()),
        };
        let (conn, caps) = store.connect()?;
        store.caps = caps;
        store.release(conn);
        Ok(store)
    }

    /// Start the plugin and say hello: its capabilities.
    fn connect(&self) -> Result<(Conn, Capabilities), StoreError> {
        let credentials = self.options.credentials.as_ref();
        let mut conn = Conn::spawn(&self.program, &self.name, &self.describe, credentials.map(|c| c.password.clone()))?;
        fn path(p: &Option<PathBuf>) -> Option<std::borrow::Cow<'_, str>> {
            p.as_deref().map(Path::to_string_lossy)
        }
        let (ca, cert, key) = (path(&self.options.tls.ca), path(&self.options.tls.cert), path(&self.options.tls.key));
        conn.send(&Request::Hello {
            version: VERSION,
            url: &self.url,
            options: HelloOptions {
                timeout_ms: self.options.timeout.as_millis() as u64,
                user: credentials.map(|c| c.user.as_str()),
                password: credentials.map(|c| c.password.as_str()),
                tls: Tls { ca: ca.as_deref(), cert: cert.as_deref(), key: key.as_deref() },
            },
        });
        let answer = conn.answer(&self.describe, self.options.timeout, "hello")??;
        if answer.version != Some(VERSION) {
            let theirs = answer.version.map_or("no version".to_string(), |v| format!("version {v}"));
            return Err(conn.out_of_protocol(&self.describe, "hello", &format!("it speaks {theirs}, ovs {VERSION}")));
        }
        let caps = match answer.capabilities.map(|c| c.into_capabilities()) {
            Some(Ok(caps)) => caps,
            Some(Err(why)) => return Err(conn.out_of_protocol(&self.describe, "hello", &why)),
            None => return Err(conn.out_of_protocol(&self.describe, "hello", "no \"capabilities\"")),
        };
        conn.limit_lines(protocol::line_limit(Some(caps.max_value_bytes)));
        Ok((conn, caps))
    }

    fn acquire(&self) -> Result<Conn, StoreError> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match idle {
            Some(conn) => Ok(conn),
            None => Ok(self.connect()?.0),
        }
    }

    fn release(&self, conn: Conn) {
        if !conn.broken {
            self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
        }
    }

    /// One request and its one answer, read by `read` (Err: out of protocol).
    fn call<T>(
        &self,
        request: &Request,
        what: &str,
        read: impl FnOnce(Answer) -> Result<T, String>,
    ) -> Result<T, StoreError> {
        let mut conn = self.acquire()?;
        conn.send(request);
        let answer = conn.answer(&self.describe, self.options.timeout, what)?;
        let result = match answer.map(read) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(why)) => Err(conn.out_of_protocol(&self.describe, what, &why)),
            Err(err) => Err(err),
        };
        self.release(conn);
        result
    }

    /// A streamed listing: an `item` a line, then `end`; an error ends it.
    /// `read` takes each item in turn (Err: out of protocol).
    fn stream<'a, T: 'static>(
        &'a self,
        request: &Request,
        what: &'static str,
        read: impl FnMut(serde_json::Value) -> Result<T, String> + 'a,
    ) -> Result<Box<dyn Iterator<Item = Result<T, StoreError>> + 'a>, StoreError> {
        let mut conn = self.acquire()?;
        conn.send(request);
        Ok(Box::new(Stream { store: self, conn: Some(conn), what, read: Box::new(read) }))
    }
}

struct Stream<'a, T> {
    store: &'a PluginStore,
    /// None once the listing has ended.
    conn: Option<Conn>,
    what: &'static str,
    read: Box<dyn FnMut(serde_json::Value) -> Result<T, String> + 'a>,
}

impl<T> Iterator for Stream<'_, T> {
    type Item = Result<T, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        let store = self.store;
        let conn = self.conn.as_mut()?;
        let item = match conn.answer(&store.describe, store.options.timeout, self.what) {
            Err(broken) => Err(broken),
            Ok(Err(reported)) => Err(reported),
            Ok(Ok(answer)) if answer.end => Ok(None),
            Ok(Ok(Answer { item: Some(item), .. })) => match (self.read)(item) {
                Ok(item) => return Some(Ok(item)),
                Err(why) => Err(conn.out_of_protocol(&store.describe, self.what, &why)),
            },
            Ok(Ok(_)) => {
                Err(conn.out_of_protocol(&store.describe, self.what, "a line with neither \"item\" nor \"end\""))
            }
        };
        // The listing is over: the plugin is free again, unless it broke.
        store.release(self.conn.take()?);
        item.transpose()
    }
}

impl<T> Drop for Stream<'_, T> {
    /// A listing dropped half read is read to its end, so that the plugin
    /// is in step for its next request.
    fn drop(&mut self) {
        while self.next().is_some_and(|item| item.is_ok()) {}
    }
}

fn string(item: serde_json::Value) -> Result<String, String> {
    match item {
        serde_json::Value::String(text) => Ok(text),
        other => Err(format!("a listing's item is not a string: {}", other)),
    }
}

/// A scan's item, checked as one of `listing` from a store of `caps`.
fn entry(item: serde_json::Value, listing: &mut Listing, caps: &Capabilities) -> Result<Entry, String> {
    let entry: EntryIn = serde_json::from_value(item).map_err(|e| format!("a scan's item: {e}"))?;
    let key = listing.key(entry.key)?;
    let revision = protocol::revision(entry.revision).map_err(|why| format!("{key:?}: {why}"))?;
    let value = protocol::value(entry.value, caps).map_err(|why| format!("{key:?}: {why}"))?;
    Ok(Entry { key, value, revision })
}

impl PluginStore {
    /// The prefix's own key, the first of its subtree (None for the root,
    /// which is no key, or a key that is not there).
    fn own(&self, prefix: &Key) -> Result<Option<Version>, StoreError> {
        if prefix.is_root() {
            return Ok(None);
        }
        match self.get(prefix) {
            Ok(found) => Ok(Some(found)),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Store for PluginStore {
    fn describe(&self) -> &str {
        &self.describe
    }

    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    fn get(&self, key: &Key) -> Result<Version, StoreError> {
        root_is_not_a_key(key)?;
        self.call(&Request::Get { key: key.as_str() }, "get", |answer| {
            let value = protocol::value(answer.value.ok_or("no \"value\"")?, &self.caps)?;
            Ok(Version { value, revision: protocol::revision(answer.revision.ok_or("no \"revision\"")?)? })
        })
    }

    fn commit(&self, writes: &[Write]) -> Result<Committed, StoreError> {
        batch::check(&self.describe, &self.caps, writes)?;
        let request = Request::Commit { writes: writes.iter().map(WriteOut::of).collect() };
        // A commit that puts nothing answers the store's current revision,
        // which a store never written yet may count as 0.
        let puts = writes.iter().any(|w| matches!(w.op, Op::Put(_)));
        self.call(&request, "commit", |answer| {
            let revision = match answer.revision.ok_or("no \"revision\"")? {
                n if puts => protocol::revision(n)?,
                n => Revision(n),
            };
            Ok(Committed { revision, deleted: answer.deleted.unwrap_or(0) })
        })
    }

    fn keys(&self, prefix: &Key) -> Result<Entries<'_>, StoreError> {
        let own = self.own(prefix)?.map(|_| Ok(prefix.to_string()));
        let mut listing = Listing::of(prefix);
        let below =
            self.stream(&Request::Keys { prefix: prefix.as_str() }, "keys", move |item| listing.key(string(item)?))?;
        let prefix = prefix.clone();
        Ok(Box::new(own.into_iter().chain(below.filter(move |k| k.as_ref().map_or(true, |k| *k != prefix.as_str())))))
    }

    fn children(&self, prefix: &Key) -> Result<Entries<'_>, StoreError> {
        let mut listing = Listing::of(prefix);
        self.stream(&Request::Children { prefix: prefix.as_str() }, "children", move |item| {
            listing.child(string(item)?)
        })
    }

    fn scan(&self, prefix: &Key) -> Result<Scan<'_>, StoreError> {
        let own =
            self.own(prefix)?.map(|v| Ok(Entry { key: prefix.to_string(), value: v.value, revision: v.revision }));
        let mut listing = Listing::of(prefix);
        let caps = self.caps;
        let below = self
            .stream(&Request::Scan { prefix: prefix.as_str() }, "scan", move |item| entry(item, &mut listing, &caps))?;
        let prefix = prefix.clone();
        Ok(Box::new(
            own.into_iter().chain(below.filter(move |e| e.as_ref().map_or(true, |e| e.key != prefix.as_str()))),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_are_checked_before_path_is_searched() {
        for bad in ["", "Arakoon", "1kv", "a_b", "a/b", "../x"] {
            let err = check(bad, "/x").unwrap_err();
            assert!(err.contains("a scheme is a lower-case letter"), "{bad}: {err}");
        }
        let err = check("no-such-kv.x+y", "h:1").unwrap_err();
        assert!(err.contains("no ovs-store-no-such-kv.x+y on PATH"), "{err}");
    }
}
