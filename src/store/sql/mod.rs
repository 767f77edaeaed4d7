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
mod listing;
mod session;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::mysql::MySqlDatabaseError;

use dialect::{Engine, Meaning, Statements, ENGINE_ROW};
use session::{Connector, Kind, Param, Session};

use super::registry::{Backend, Login};
use super::watch::{self, Rescan};
use super::{
    parse_cluster, root_is_not_a_key, Capabilities, Committed, Credentials, Entries, Key, Options, Revision, Scan,
    Store, StoreError, StoreUrl, UrlInfo, Versioned, Watcher, Write,
};

const DEFAULT_TABLE: &str = "ovs_config";
/// `<table>_rev` must fit PostgreSQL's 63 and MySQL's 64 bytes.
const MAX_TABLE_NAME: usize = 59;
/// Idle connections kept for the next call (threads sharing one store).
const MAX_IDLE: usize = 8;
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
    check: |scheme, rest| Ok(Target::parse(Engine::Sqlite, scheme, rest)?.info),
    open: |url, options| Ok(Box::new(SqlStore::open(Engine::Sqlite, url, options)?)),
};

/// MySQL and MariaDB in the registry.
pub const MYSQL: Backend = Backend {
    schemes: &["mysql", "mariadb"],
    form: "mysql://[user@]host[:port]/database[?table=NAME]",
    about: "a table in MySQL or MariaDB (InnoDB; keys up to 3072 bytes): a store-wide revision counter, \
            one transaction per batch",
    capabilities: capabilities(MYSQL_MAX_VALUE, Some(MYSQL_HINT)),
    logs_in: Login::Optional,
    check: |scheme, rest| Ok(Target::parse(Engine::MySql, scheme, rest)?.info),
    open: |url, options| Ok(Box::new(SqlStore::open(Engine::MySql, url, options)?)),
};

/// PostgreSQL in the registry.
pub const POSTGRES: Backend = Backend {
    schemes: &["postgres", "postgresql"],
    form: "postgres://[user@]host[:port]/database[?table=NAME]",
    about: "a table in PostgreSQL (keys up to 2600 bytes): a store-wide revision counter, one transaction \
            per batch",
    capabilities: capabilities(POSTGRES_MAX_VALUE, None),
    logs_in: Login::Optional,
    check: |scheme, rest| Ok(Target::parse(Engine::Postgres, scheme, rest)?.info),
    open: |url, options| Ok(Box::new(SqlStore::open(Engine::Postgres, url, options)?)),
};

/// Where a URL's store is.
#[derive(Debug)]
enum Place {
    File(PathBuf),
    Server { host: String, port: u16, user: Option<String>, database: String },
}

/// What follows `SCHEME://`, checked.
#[derive(Debug)]
struct Target {
    place: Place,
    table: String,
    info: UrlInfo,
}

impl Target {
    fn parse(engine: Engine, scheme: &str, rest: &str) -> Result<Target, String> {
        let (body, query) = match rest.split_once('?') {
            Some((body, query)) => (body, Some(query)),
            None => (rest, None),
        };
        let table = match query {
            None => DEFAULT_TABLE.to_string(),
            Some(query) => {
                let name = query
                    .strip_prefix("table=")
                    .filter(|name| !name.contains('&'))
                    .ok_or_else(|| format!("unknown parameter {query:?} (the only one is ?table=NAME)"))?;
                check_table(name)?;
                name.to_string()
            }
        };
        let suffix = if table == DEFAULT_TABLE { String::new() } else { format!("?table={table}") };
        if engine == Engine::Sqlite {
            if !body.starts_with('/') || body.len() < 2 {
                return Err("expected sqlite:///absolute/path/to/file.db".into());
            }
            let info = UrlInfo { user: None, display: format!("{scheme}://{body}{suffix}") };
            return Ok(Target { place: Place::File(PathBuf::from(body)), table, info });
        }
        let (body, port) = match engine {
            Engine::Postgres => libpq_defaults(body)?,
            _ => (body.to_string(), 3306),
        };
        let url = parse_cluster(&body, port)?;
        let [endpoint] = &url.endpoints[..] else {
            return Err("one server only (expected [user@]host[:port]/database)".into());
        };
        let database = url.root.as_str().trim_start_matches('/');
        if database.is_empty() || database.contains('/') {
            let or = if engine == Engine::Postgres { " (or set $PGDATABASE)" } else { "" };
            return Err(format!("expected [user@]host[:port]/database: name one database{or}"));
        }
        let (host, port) = endpoint.rsplit_once(':').expect("parse_cluster gives host:port");
        let info = UrlInfo { user: url.user.clone(), display: format!("{scheme}://{endpoint}/{database}{suffix}") };
        let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
        let port = port.parse().expect("parse_cluster checked the port");
        Ok(Target { place: Place::Server { host, port, user: url.user, database: database.to_string() }, table, info })
    }
}

/// A variable of libpq's environment, unless it is unset or empty (libpq's
/// reading of an empty setting).
fn pg_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A PostgreSQL URL's `[user@][host[:port]]/[database]` with what it leaves
/// out taken from libpq's `PGHOST` (else localhost) and `PGDATABASE`, as
/// psql takes them; and the port a host without one gets: `PGPORT`, else
/// 5432. `PGUSER` and `PGPASSWORD` are read when the store is opened, after
/// --user and the URL's user, and --password-file and $OVS_CONFIG_PASSWORD.
fn libpq_defaults(body: &str) -> Result<(String, u16), String> {
    let (authority, path) = body.split_at(body.find('/').unwrap_or(body.len()));
    let (user, host) = match authority.rsplit_once('@') {
        Some((user, host)) => (format!("{user}@"), host),
        None => (String::new(), authority),
    };
    let host = match (host, pg_env("PGHOST")) {
        ("", Some(folder)) if folder.starts_with('/') => {
            return Err(format!(
                "$PGHOST names the socket folder {folder:?}: ovs connects over TCP; name a host in the URL or in \
                 $PGHOST"
            ))
        }
        ("", from_env) => from_env.unwrap_or_else(|| "localhost".into()),
        (host, _) => host.to_string(),
    };
    let database = match (path.trim_start_matches('/'), pg_env("PGDATABASE")) {
        ("", Some(database)) => database,
        (database, _) => database.to_string(),
    };
    let port = match pg_env("PGPORT") {
        None => 5432,
        Some(text) => text.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| format!("bad $PGPORT {text:?}"))?,
    };
    Ok((format!("{user}{host}/{database}"), port))
}

/// Lowercase letters, digits and `_`, so that the name means the same
/// table on every engine, whatever its case rules, and is safe in SQL.
fn check_table(name: &str) -> Result<(), String> {
    let ok = name.len() <= MAX_TABLE_NAME
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(format!(
            "bad table name {name:?}: lowercase letters, digits and _ only, not starting with a digit, \
             at most {MAX_TABLE_NAME} characters"
        ));
    }
    Ok(())
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

impl SqlStore {
    fn open(engine: Engine, url: &StoreUrl, options: &Options) -> Result<SqlStore, StoreError> {
        let target = Target::parse(engine, url.scheme(), url.rest()).expect("checked when the URL was parsed");
        let describe = url.to_string();
        let backend = |message: String| StoreError::Backend { store: describe.clone(), message };
        let rt = super::runtime::shared().map_err(backend)?;
        let mut password_given = false;
        let (connector, endpoint, file) = match target.place {
            Place::File(path) => {
                // Like the directory store, a file ignores TLS files meant for servers.
                (Connector::Sqlite(session::sqlite(&path, options.timeout)), path.display().to_string(), Some(path))
            }
            Place::Server { host, port, user, database } => {
                // As mysql and psql: the user --user or the URL names, else
                // (PostgreSQL) $PGUSER, else the login name; the password from
                // ovs's own sources, else (PostgreSQL) $PGPASSWORD, else none,
                // and the server decides. Empty means not given.
                let given = |pick: fn(&Credentials) -> &str| {
                    options.credentials.as_ref().map(pick).filter(|s| !s.is_empty()).map(String::from)
                };
                let libpq = |name: &str| if engine == Engine::Postgres { pg_env(name) } else { None };
                let user = match given(|c| &c.user).or(user).or_else(|| libpq("PGUSER")) {
                    Some(user) => user,
                    None => whoami::fallible::username()
                        .map_err(|e| backend(format!("no user named and no login name to use ({e})")))?,
                };
                let password = given(|c| &c.password).or_else(|| libpq("PGPASSWORD"));
                password_given = password.is_some();
                let login = session::Login { user: &user, password: password.as_deref(), database: &database };
                let connector = session::server(engine, &host, port, login, &options.tls);
                let endpoint = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
                (connector, endpoint, None)
            }
        };
        Ok(SqlStore {
            rt,
            sql: Statements::new(engine, &target.table),
            connector,
            describe,
            endpoint,
            timeout: options.timeout,
            capabilities: url.backend().capabilities,
            file,
            idle: Mutex::new(Vec::new()),
            ready: AtomicBool::new(false),
            password_given,
        })
    }

    fn engine(&self) -> Engine {
        self.sql.engine
    }

    /// Wait for `fut` until `deadline`, on the shared runtime.
    fn wait<T>(
        &self,
        deadline: Instant,
        fut: impl std::future::Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, StoreError> {
        let left = deadline.saturating_duration_since(Instant::now());
        // The timer must be made inside the runtime.
        match self.rt.block_on(async { tokio::time::timeout(left, fut).await }) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.error(e)),
            Err(_) => Err(StoreError::Timeout {
                store: self.describe.clone(),
                after: self.timeout,
                during: format!("waiting for {}", self.endpoint),
            }),
        }
    }

    fn error(&self, e: sqlx::Error) -> StoreError {
        let store = self.describe.clone();
        let tls_failed = |reason: String| StoreError::Backend {
            store: self.describe.clone(),
            message: format!("TLS with {} failed: {reason}", self.endpoint),
        };
        let db = match e {
            // The TLS layer reports a refused handshake (an untrusted
            // certificate, say) as invalid data: the server was reached.
            sqlx::Error::Io(e) if e.kind() == std::io::ErrorKind::InvalidData => return tls_failed(e.to_string()),
            sqlx::Error::Tls(e) => return tls_failed(e.to_string()),
            sqlx::Error::Io(e) => {
                return StoreError::Unreachable { store, endpoint: self.endpoint.clone(), reason: e.to_string() }
            }
            sqlx::Error::Database(db) => db,
            other => return StoreError::Backend { store, message: other.to_string() },
        };
        let code = match db.try_downcast_ref::<MySqlDatabaseError>() {
            Some(my) => my.number().to_string(),
            None => db.code().map(|c| c.into_owned()).unwrap_or_default(),
        };
        match self.engine().meaning(&code) {
            Meaning::Denied => {
                let hint = match (self.password_given, self.engine()) {
                    (true, _) => "",
                    (false, Engine::Postgres) => {
                        " (no password was given: set $OVS_CONFIG_PASSWORD, --password-file or $PGPASSWORD)"
                    }
                    (false, _) => " (no password was given: set $OVS_CONFIG_PASSWORD or --password-file)",
                };
                StoreError::Backend { store, message: format!("access denied: {}{hint}", db.message()) }
            }
            Meaning::Busy => StoreError::Timeout {
                store,
                after: self.timeout,
                during: format!("waiting for a lock ({})", db.message()),
            },
            Meaning::TooLarge => StoreError::TooLarge {
                store,
                size: None,
                limit: self.capabilities.max_value_bytes,
                hint: self.capabilities.max_value_hint,
            },
            Meaning::Other => StoreError::Backend { store, message: db.message().to_string() },
        }
    }

    /// An idle connection, or a new one; the call it serves must end by
    /// `timeout` from now, connecting included.
    fn conn(&self) -> Result<Conn<'_>, StoreError> {
        let deadline = Instant::now() + self.timeout;
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let session = match idle {
            Some(session) => session,
            None => self.wait(deadline, self.connector.connect())?,
        };
        Ok(Conn { store: self, session: Some(session), in_transaction: false, failed: false, deadline })
    }

    /// A connection to the store's tables; None when they do not exist
    /// (nor the file, for SQLite) and `create` was not asked: the store is
    /// empty, and nothing was made.
    fn tables_conn(&self, create: bool) -> Result<Option<Conn<'_>>, StoreError> {
        if let Some(file) = self.file.as_ref().filter(|f| !f.exists()) {
            if !create {
                return Ok(None);
            }
            // Made 0600 before SQLite opens it, as the directory store's
            // files are; SQLite gives its -wal and -shm files the same mode.
            crate::files::create_private(file).map_err(|e| StoreError::Backend {
                store: self.describe.clone(),
                message: format!("cannot create {}: {e}", file.display()),
            })?;
        }
        let mut conn = self.conn()?;
        Ok(self.tables(&mut conn, create)?.then_some(conn))
    }

    /// A connection to read with, in a snapshot transaction if asked.
    fn reader(&self, snapshot: bool) -> Result<Option<Conn<'_>>, StoreError> {
        let Some(mut conn) = self.tables_conn(false)? else { return Ok(None) };
        if snapshot {
            conn.begin(self.engine().begin_snapshot())?;
        }
        Ok(Some(conn))
    }

    /// Whether the table can be read (false: it does not exist, and
    /// `create` was not asked: the store is empty). With `create`, missing
    /// tables are made, so that both are there to write to. Tables in
    /// another shape are an error either way.
    fn tables(&self, conn: &mut Conn<'_>, create: bool) -> Result<bool, StoreError> {
        if self.ready.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let (mut data, mut counter) = self.shape(conn)?;
        if create && data == Table::Missing && !matches!(counter, Table::Wrong(_)) {
            let made = self.make(conn);
            // Another writer may have made them meanwhile: look again.
            (data, counter) = self.shape(conn)?;
            if let Err(e) = made {
                if (&data, &counter) != (&Table::Right, &Table::Right) {
                    return Err(e);
                }
            }
        }
        for table in [&data, &counter] {
            if let Table::Wrong(reason) = table {
                return Err(self.wrong_shape(reason.clone()));
            }
        }
        if (&data, &counter) == (&Table::Right, &Table::Right) {
            self.ready.store(true, Ordering::Relaxed);
        } else if create {
            return Err(self.wrong_shape("it was made, yet is not there".into()));
        }
        Ok(data == Table::Right)
    }

    /// Make the missing tables, as one transaction where the engine can.
    fn make(&self, conn: &mut Conn<'_>) -> Result<(), StoreError> {
        let begin = self.engine().begin_create(&self.sql);
        let made = (|| {
            if !begin.is_empty() {
                conn.begin(&begin)?;
            }
            self.engine().create(&self.sql).iter().try_for_each(|s| conn.run(s))?;
            if !begin.is_empty() {
                conn.commit()?;
            }
            Ok(())
        })();
        if made.is_err() {
            conn.roll_back();
        }
        made
    }

    fn wrong_shape(&self, reason: String) -> StoreError {
        StoreError::Backend {
            store: self.describe.clone(),
            message: format!(
                "the table {} is not one ovs made ({reason}); nothing was read or written: name a table of \
                 ovs's own with ?table=NAME",
                self.sql.table()
            ),
        }
    }

    /// What the catalog says of the table and its counter.
    fn shape(&self, conn: &mut Conn<'_>) -> Result<(Table, Table), StoreError> {
        let (table, counter) = (self.sql.table(), self.sql.counter());
        let names = [Param::Text(table), Param::Text(counter), Param::Text(table), Param::Text(counter)];
        let params = if self.engine() == Engine::MySql { &names[..] } else { &names[..2] };
        let mut found: Vec<[String; 4]> = Vec::new();
        conn.fetch(&self.sql.shape, params, &[Kind::Bytes; 4], &mut |mut row| {
            found.push(std::array::from_fn(|i| String::from_utf8_lossy(&row.bytes(i)).into_owned()));
            true
        })?;
        let (data, count) = (judge(self.engine(), table, false, &found), judge(self.engine(), counter, true, &found));
        if (&data, &count) == (&Table::Right, &Table::Missing) {
            // ovs makes the counter first: this table is another's, or lost its counter (which
            // made again from 0 could give a key an old revision back).
            return Ok((Table::Wrong(format!("it has no revision counter table {counter}")), count));
        }
        Ok((data, count))
    }

    /// The store-wide revision counter now (0 before the tables exist).
    fn counter(&self) -> Result<i64, StoreError> {
        let Some(mut conn) = self.tables_conn(false)? else { return Ok(0) };
        let mut counter = 0;
        conn.fetch(&self.sql.read_counter, &[], &[Kind::Int], &mut |row| {
            counter = row.int(0);
            true
        })?;
        Ok(counter)
    }

    fn key_bytes<'k>(&self, key: &'k Key) -> &'k [u8] {
        key.as_str().as_bytes()
    }

    fn key_string(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// How one table stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Table {
    Missing,
    Right,
    Wrong(String),
}

/// The catalog's rows `(table, column, type, key)` for table `name`
/// against what ovs makes (the data table, or the `counter`).
fn judge(engine: Engine, name: &str, counter: bool, found: &[[String; 4]]) -> Table {
    let mut have: Vec<(String, String, String)> = found
        .iter()
        .filter(|row| row[0] == name)
        .map(|row| {
            let ty = row[2].split('(').next().unwrap_or("").trim().to_ascii_lowercase();
            (row[1].clone(), ty, row[3].clone())
        })
        .collect();
    // MySQL may list a table being made before its columns.
    if have.iter().all(|(column, _, _)| column == ENGINE_ROW) {
        return Table::Missing;
    }
    have.sort();
    let mut want: Vec<(String, String, String)> =
        engine.expected(counter).into_iter().map(|(c, t, k)| (c.into(), t.into(), k.into())).collect();
    want.sort();
    if have == want {
        return Table::Right;
    }
    let show = |cols: &[(String, String, String)]| {
        let cols: Vec<String> = cols
            .iter()
            .map(|(c, t, k)| if k.is_empty() { format!("{c} {t}") } else { format!("{c} {t} primary key") })
            .collect();
        cols.join(", ")
    };
    Table::Wrong(format!("{name} has {}; ovs uses {}", show(&have), show(&want)))
}

/// A connection for one call; back to the idle list when dropped, unless
/// it is inside a transaction or something failed (then it is closed, and
/// the server rolls back whatever it had).
pub(super) struct Conn<'s> {
    store: &'s SqlStore,
    session: Option<Box<dyn Session>>,
    in_transaction: bool,
    failed: bool,
    deadline: Instant,
}

impl Conn<'_> {
    fn session(&mut self) -> &mut Box<dyn Session> {
        self.session.as_mut().expect("a connection until dropped")
    }

    fn check<T>(&mut self, outcome: Result<T, StoreError>) -> Result<T, StoreError> {
        self.failed |= outcome.is_err();
        outcome
    }

    /// Give the next call `timeout` from now (each page of a listing).
    fn renew(&mut self) {
        self.deadline = Instant::now() + self.store.timeout;
    }

    fn run(&mut self, sql: &str) -> Result<(), StoreError> {
        let (store, deadline) = (self.store, self.deadline);
        let outcome = store.wait(deadline, self.session().run(sql));
        self.check(outcome)
    }

    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let (store, deadline) = (self.store, self.deadline);
        let outcome = store.wait(deadline, self.session().execute(sql, params));
        self.check(outcome)
    }

    fn fetch(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        kinds: &[Kind],
        each: &mut (dyn FnMut(session::Row) -> bool + Send),
    ) -> Result<(), StoreError> {
        let (store, deadline) = (self.store, self.deadline);
        let outcome = store.wait(deadline, self.session().fetch(sql, params, kinds, each));
        self.check(outcome)
    }

    fn begin<S: AsRef<str>>(&mut self, statements: &[S]) -> Result<(), StoreError> {
        self.in_transaction = true;
        statements.iter().try_for_each(|s| self.run(s.as_ref()))
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.run("COMMIT")?;
        self.in_transaction = false;
        Ok(())
    }

    /// Undo the transaction, if one is open; if even that fails, the
    /// connection is closed when dropped, which undoes it too.
    fn roll_back(&mut self) {
        if self.in_transaction && self.run("ROLLBACK").is_ok() {
            self.in_transaction = false;
        }
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        let Some(session) = self.session.take() else { return };
        if self.in_transaction || self.failed {
            return; // dropped: the connection closes
        }
        let mut idle = self.store.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(session);
        }
    }
}

impl Drop for SqlStore {
    /// Say goodbye to the servers, so that they log no broken connection
    /// (and SQLite tidies its WAL), unless dropped inside async code.
    fn drop(&mut self) {
        if tokio::runtime::Handle::try_current().is_ok() {
            return;
        }
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(|p| p.into_inner()));
        for session in idle {
            let _ = self.rt.block_on(async { tokio::time::timeout(Duration::from_secs(1), session.close()).await });
        }
    }
}

fn revision(n: i64) -> Revision {
    Revision(n.max(0) as u64)
}

impl Store for SqlStore {
    fn describe(&self) -> &str {
        &self.describe
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    fn get(&self, key: &Key) -> Result<Versioned, StoreError> {
        root_is_not_a_key(key)?;
        let not_found = || StoreError::NotFound { key: key.clone() };
        let Some(mut conn) = self.reader(false)? else { return Err(not_found()) };
        let mut found = None;
        conn.fetch(&self.sql.get, &[Param::Bytes(self.key_bytes(key))], &[Kind::Bytes, Kind::Int], &mut |mut row| {
            found = Some(Versioned { value: row.bytes(0), revision: revision(row.int(1)) });
            true
        })?;
        found.ok_or_else(not_found)
    }

    fn commit(&self, writes: &[Write]) -> Result<Committed, StoreError> {
        commit::commit(self, writes)
    }

    fn keys(&self, prefix: &Key) -> Result<Entries<'_>, StoreError> {
        listing::keys(self, prefix)
    }

    fn scan(&self, prefix: &Key) -> Result<Scan<'_>, StoreError> {
        listing::scan(self, prefix)
    }

    fn children(&self, prefix: &Key) -> Result<Entries<'_>, StoreError> {
        listing::children(self, prefix)
    }

    fn watch(&self, prefix: &Key, after: Option<Revision>) -> Result<Box<dyn Watcher + '_>, StoreError> {
        watch::refuse_position(self, after)?;
        let signal = watch::polled(POLL, || self.counter())?;
        Rescan::scanning(self, prefix, signal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_file_or_one_database_and_a_checked_table() {
        let t = Target::parse(Engine::Sqlite, "sqlite", "/var/lib/ovs.db?table=orch_kv").unwrap();
        assert_eq!((t.table.as_str(), t.info.display.as_str()), ("orch_kv", "sqlite:///var/lib/ovs.db?table=orch_kv"));
        let t = Target::parse(Engine::MySql, "mysql", "orc@db1/orchestrator").unwrap();
        assert_eq!(t.info, UrlInfo { user: Some("orc".into()), display: "mysql://db1:3306/orchestrator".into() });
        assert_eq!(t.table, DEFAULT_TABLE);
        let t = Target::parse(Engine::Postgres, "postgres", "[::1]:6432/cfg").unwrap();
        assert!(matches!(t.place, Place::Server { ref host, port: 6432, .. } if host == "::1"));
        for (engine, bad) in [
            (Engine::Sqlite, "relative.db"),
            (Engine::Sqlite, "/x.db?table=Upper"),
            (Engine::Sqlite, "/x.db?table=a;drop"),
            (Engine::Sqlite, "/x.db?table=1a"),
            (Engine::Sqlite, "/x.db?mode=ro"),
            (Engine::Sqlite, "/x.db?table=a&table=b"),
            (Engine::MySql, "h1,h2/db"),
            (Engine::MySql, "h1"),
            (Engine::MySql, "h1/db/more"),
            (Engine::Postgres, "h1/db?table="),
        ] {
            assert!(Target::parse(engine, "x", bad).is_err(), "{bad}");
        }
        assert!(check_table(&"t".repeat(MAX_TABLE_NAME)).is_ok());
        assert!(check_table(&"t".repeat(MAX_TABLE_NAME + 1)).is_err());
    }

    #[test]
    fn a_table_of_another_shape_is_wrong() {
        let row = |t: &str, c: &str, ty: &str, k: &str| [t.to_string(), c.to_string(), ty.to_string(), k.to_string()];
        let good = vec![
            row("t", "key", "bytea", "PRI"),
            row("t", "value", "bytea", ""),
            row("t", "revision", "bigint", ""),
            row("t_rev", "id", "integer", "PRI"),
            row("t_rev", "revision", "bigint", ""),
        ];
        let pg = |found: &[[String; 4]]| {
            (judge(Engine::Postgres, "t", false, found), judge(Engine::Postgres, "t_rev", true, found))
        };
        assert_eq!(pg(&good), (Table::Right, Table::Right));
        assert_eq!(pg(&[]), (Table::Missing, Table::Missing));
        assert_eq!(pg(&good[..3]), (Table::Right, Table::Missing));
        let mut text_key = good.clone();
        text_key[0] = row("t", "key", "text", "PRI");
        assert!(matches!(pg(&text_key).0, Table::Wrong(r) if r.contains("key text primary key")));
        // MySQL also wants InnoDB, and reads types with their widths.
        let mysql = vec![
            row("t", "key", "varbinary(3072)", "PRI"),
            row("t", "value", "longblob", ""),
            row("t", "revision", "bigint(20)", ""),
            row("t", ENGINE_ROW, "InnoDB", ""),
            row("t_rev", "id", "int(11)", "PRI"),
            row("t_rev", "revision", "bigint(20)", ""),
            row("t_rev", ENGINE_ROW, "InnoDB", ""),
        ];
        assert_eq!(judge(Engine::MySql, "t_rev", true, &mysql), Table::Right);
        let mut myisam = mysql.clone();
        myisam[3] = row("t", ENGINE_ROW, "MyISAM", "");
        assert!(matches!(judge(Engine::MySql, "t", false, &myisam), Table::Wrong(_)));
    }
}
