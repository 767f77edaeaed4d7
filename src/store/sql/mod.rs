//! The relational store: one table in SQLite (a file, embedded), MySQL or
//! MariaDB, or PostgreSQL, the way orchestrator keeps its own state in its
//! backend database. One backend, three engines: everything is written once
//! against the `Session` trait (`session.rs`), and what differs between the
//! engines is the small `dialect.rs`.
//!
//! Tables: `<table>` (`?table=NAME`, default `ovs_config`) holds one row per
//! key, `key` and `value` as bytes (BLOB, VARBINARY(3072) and LONGBLOB,
//! BYTEA: compared byte by byte on every engine, so no collation folds or
//! reorders keys, and listings sort as on every other store) and
//! `revision`. `<table>_rev` holds one row, the store-wide revision counter.
//! Both are created on the first commit that puts something (the counter
//! first, so that whoever sees the table sees its counter); until then the
//! store reads as empty. Tables that exist in another shape (other columns
//! or types, another primary key, a MySQL table not on InnoDB, a table
//! without its counter) are an error before anything is read or written.
//!
//! Revisions: a commit locks the counter row first (`SELECT ... FOR
//! UPDATE`; SQLite's `BEGIN IMMEDIATE` takes the database's write lock), so
//! writers run one after another and each reads what the last one
//! committed; it then checks every precondition, writes every put at the
//! counter plus one and stores that counter, all in one transaction. The
//! counter only grows, so a key deleted and created again never gets an old
//! revision back. A commit that changes nothing leaves the counter alone.
//!
//! Reads: `get` is one statement. Listings and scans are keyset-paged range
//! scans (`key >= next AND key < end ORDER BY key LIMIT n`) in one
//! read-only snapshot transaction (REPEATABLE READ; a read transaction in
//! SQLite's WAL mode), so a scan is one point in time and memory holds one
//! page; `children` seeks past each subtree it finds instead of reading it
//! (see `listing.rs`).
//!
//! Watching polls the counter every 50 ms (`POLL`; one primary-key read on
//! a pooled connection, or a look at the catalog while the tables do not
//! exist yet): every commit that changes anything advances it,
//! deletes included (they leave no row to raise a `max(revision)`), and
//! only such a commit does; when it moves, the watcher scans the prefix and
//! reports what differs (`Rescan`). A write anywhere in the table moves it,
//! so a busy table costs the watcher a scan of its prefix per change.
//!
//! Connections log in as mysql and psql do: the user is `--user` or the
//! URL's, else (PostgreSQL) `$PGUSER`, else the login name; the password
//! comes from `Options.credentials`, else (PostgreSQL) `$PGPASSWORD`, else
//! there is none and the server decides (trust, peer, an account without a
//! password). An empty user or password is none. `$PGHOST`, `$PGPORT` and
//! `$PGDATABASE` fill what a PostgreSQL URL leaves out. TLS
//! is used when the server offers it, unverified, unless a TLS file is
//! given: then it is required, and the server's certificate and host name
//! are verified. Each call is bounded by the timeout, connecting included;
//! a connection that fails or times out is closed, and the server rolls
//! back whatever it had begun.
//!
//! What it cannot do or guarantee: that other programs writing the table
//! keep these rules (they must lock the counter row and advance it); keys
//! longer than the key column takes (3072 bytes on MySQL; 2600 on
//! PostgreSQL, below its b-tree entry limit), which are refused before any
//! I/O; values over MySQL's `max_allowed_packet`, which the server refuses;
//! SQLite on a network file system (WAL needs shared memory). An SQLite
//! file ovs makes is 0600, and so are its `-wal` and `-shm`.

mod commit;
mod dialect;
mod error;
mod listing;
mod pool;
mod session;
mod store;
mod table;
mod url;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::Duration;

use dialect::{Engine, Statements};
use session::{Connector, Session};
use url::Target;

use super::backend::{Backend, Checked, Config, Login};
use super::{Capabilities, Options, Revision, Store, StoreError};

/// How often a watcher reads the revision counter: a change shows within
/// this, for a query a server answers from one cached row.
const POLL: Duration = Duration::from_millis(50);

/// SQLite's SQLITE_MAX_LENGTH (a row: key, value and revision), less room for the key.
const SQLITE_MAX_VALUE: u64 = 1_000_000_000 - (64 << 10);
/// PostgreSQL's largest field and message, 1 GiB, less room for the rest of the message.
const POSTGRES_MAX_VALUE: u64 = (1 << 30) - (1 << 20);
/// MariaDB's default max_allowed_packet, 16 MiB, less room for the statement.
const MYSQL_MAX_VALUE: u64 = (16 << 20) - (1 << 10);
const MYSQL_HINT: &str = "the server's max_allowed_packet, 16 MiB by default on MariaDB (64 MiB on MySQL 8, \
     4 MiB on MySQL 5.7); for a server set up otherwise pass --max-value-size";

const fn capabilities(max_value_bytes: u64, max_value_hint: Option<&'static str>) -> Capabilities {
    Capabilities { max_value_hint, watch: true, ..Capabilities::unlimited(max_value_bytes) }
}

/// SQLite in the registry.
pub const SQLITE: Backend = Backend {
    schemes: &["sqlite"],
    form: "sqlite:///path/to/file.db[?table=NAME]",
    about: "a table in an SQLite file (embedded; created on first write): a store-wide revision counter, \
            one transaction per batch",
    capabilities: capabilities(SQLITE_MAX_VALUE, None),
    logs_in: Login::No,
    check: |scheme, rest| check(Engine::Sqlite, scheme, rest),
};

/// MySQL and MariaDB in the registry.
pub const MYSQL: Backend = Backend {
    schemes: &["mysql", "mariadb"],
    form: "mysql://[user@]host[:port]/database[?table=NAME]",
    about: "a table in MySQL or MariaDB (InnoDB; keys up to 3072 bytes): a store-wide revision counter, \
            one transaction per batch",
    capabilities: capabilities(MYSQL_MAX_VALUE, Some(MYSQL_HINT)),
    logs_in: Login::Optional,
    check: |scheme, rest| check(Engine::MySql, scheme, rest),
};

/// PostgreSQL in the registry.
pub const POSTGRES: Backend = Backend {
    schemes: &["postgres", "postgresql"],
    form: "postgres://[user@]host[:port]/database[?table=NAME]",
    about: "a table in PostgreSQL (keys up to 2600 bytes): a store-wide revision counter, one transaction \
            per batch",
    capabilities: capabilities(POSTGRES_MAX_VALUE, None),
    logs_in: Login::Optional,
    check: |scheme, rest| check(Engine::Postgres, scheme, rest),
};

fn check(engine: Engine, scheme: &str, rest: &str) -> Result<Checked, String> {
    let target = Target::parse(engine, scheme, rest)?;
    Ok(Checked::new(target.info.clone(), target))
}

/// The registry's entry for `engine`.
fn backend(engine: Engine) -> &'static Backend {
    match engine {
        Engine::Sqlite => &SQLITE,
        Engine::MySql => &MYSQL,
        Engine::Postgres => &POSTGRES,
    }
}

impl Config for Target {
    fn open(&self, options: &Options) -> Result<Box<dyn Store>, StoreError> {
        Ok(Box::new(SqlStore::open(self, options)?))
    }
}

pub struct SqlStore {
    rt: &'static tokio::runtime::Runtime,
    sql: Statements,
    connector: Connector,
    describe: String,
    /// Where the store is, for messages: `host:port`, or the file.
    endpoint: String,
    timeout: Duration,
    capabilities: Capabilities,
    /// An SQLite file that does not exist yet is an empty store: reads do
    /// not create it.
    file: Option<PathBuf>,
    idle: Mutex<Vec<Box<dyn Session>>>,
    /// Both tables were found in the right shape; no need to look again.
    ready: AtomicBool,
    /// Whether a password was given, for a refusal's message.
    password_given: bool,
}

fn revision(n: i64) -> Revision {
    Revision(n.max(0) as u64)
}
