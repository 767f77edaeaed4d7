//! A connection to any of the three engines behind one object-safe trait,
//! so that the store's logic is written once, in plain blocking Rust: the
//! generic impl below is the only code that sees sqlx's per-engine types.
//!
//! Transactions are plain statements (`BEGIN ...`, `COMMIT`), because the
//! engines begin them differently (see `dialect.rs`). A connection that
//! fails, times out or is dropped inside a transaction is closed, never
//! reused: the server rolls back what it had.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures::TryStreamExt;

use super::dialect::Engine;
use crate::store::TlsFiles;
use sqlx::database::Database;
use sqlx::decode::Decode;
use sqlx::encode::Encode;
use sqlx::mysql::{MySqlConnectOptions, MySqlQueryResult, MySqlSslMode};
use sqlx::postgres::{PgConnectOptions, PgQueryResult, PgSslMode};
use sqlx::sqlite::{SqliteConnectOptions, SqliteQueryResult};
use sqlx::{ColumnIndex, ConnectOptions, Connection, Executor, IntoArguments, Row as _, Type};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A statement's parameter.
#[derive(Clone, Copy, Debug)]
pub(super) enum Param<'a> {
    Bytes(&'a [u8]),
    Text(&'a str),
    Int(i64),
}

/// How to read one column of a row.
#[derive(Clone, Copy, Debug)]
pub(super) enum Kind {
    /// Raw bytes: BLOB, BYTEA, VARBINARY, and text read as its bytes.
    Bytes,
    Int,
}

/// One column of a row, read as its `Kind` asked.
#[derive(Debug)]
pub(super) enum Cell {
    Bytes(Vec<u8>),
    Int(i64),
}

/// A row, its columns in the order of the query.
#[derive(Debug)]
pub(super) struct Row(pub Vec<Cell>);

impl Row {
    pub(super) fn bytes(&mut self, i: usize) -> Vec<u8> {
        match &mut self.0[i] {
            Cell::Bytes(b) => std::mem::take(b),
            Cell::Int(_) => unreachable!("column {i} was read as a number"),
        }
    }

    pub(super) fn int(&self, i: usize) -> i64 {
        match &self.0[i] {
            Cell::Int(n) => *n,
            Cell::Bytes(_) => unreachable!("column {i} was read as bytes"),
        }
    }
}

/// What the store asks of a connection, whatever the engine.
pub(super) trait Session: Send {
    /// A statement without parameters, sent as it is (transaction control,
    /// tables' definitions): not prepared.
    fn run<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<(), sqlx::Error>>;

    /// A prepared statement; how many rows it changed.
    fn execute<'a>(&'a mut self, sql: &'a str, params: &'a [Param<'a>]) -> BoxFuture<'a, Result<u64, sqlx::Error>>;

    /// A prepared query whose rows are handed to `each` as they arrive,
    /// until it returns false (the rest are not kept).
    fn fetch<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Param<'a>],
        kinds: &'a [Kind],
        each: &'a mut (dyn FnMut(Row) -> bool + Send),
    ) -> BoxFuture<'a, Result<(), sqlx::Error>>;

    /// Say goodbye to the server.
    fn close(self: Box<Self>) -> BoxFuture<'static, Result<(), sqlx::Error>>;
}

/// The rows a statement changed, which each engine reports on its own type.
pub(super) trait Affected {
    fn affected(&self) -> u64;
}

impl Affected for SqliteQueryResult {
    fn affected(&self) -> u64 {
        self.rows_affected()
    }
}

impl Affected for MySqlQueryResult {
    fn affected(&self) -> u64 {
        self.rows_affected()
    }
}

impl Affected for PgQueryResult {
    fn affected(&self) -> u64 {
        self.rows_affected()
    }
}

fn bind<'q, DB: Database>(
    mut query: sqlx::query::Query<'q, DB, DB::Arguments<'q>>,
    params: &'q [Param<'q>],
) -> sqlx::query::Query<'q, DB, DB::Arguments<'q>>
where
    &'q [u8]: Encode<'q, DB> + Type<DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
{
    for p in params {
        query = match *p {
            Param::Bytes(b) => query.bind(b),
            Param::Text(t) => query.bind(t),
            Param::Int(n) => query.bind(n),
        };
    }
    query
}

impl<C> Session for C
where
    C: Connection,
    for<'c> &'c mut C: Executor<'c, Database = C::Database>,
    for<'a> &'a [u8]: Encode<'a, C::Database> + Type<C::Database>,
    for<'a> &'a str: Encode<'a, C::Database> + Type<C::Database>,
    for<'a> i64: Encode<'a, C::Database> + Type<C::Database> + Decode<'a, C::Database>,
    for<'a> Vec<u8>: Decode<'a, C::Database>,
    for<'a> <C::Database as Database>::Arguments<'a>: IntoArguments<'a, C::Database>,
    <C::Database as Database>::QueryResult: Affected,
    usize: ColumnIndex<<C::Database as Database>::Row>,
{
    fn run<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        // A bare string goes unprepared, as a simple query.
        Box::pin(async move { Executor::execute(self, sql).await.map(|_| ()) })
    }

    fn execute<'a>(&'a mut self, sql: &'a str, params: &'a [Param<'a>]) -> BoxFuture<'a, Result<u64, sqlx::Error>> {
        Box::pin(async move {
            let query = bind(sqlx::query::<C::Database>(sql), params);
            Ok(query.execute(self).await?.affected())
        })
    }

    fn fetch<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Param<'a>],
        kinds: &'a [Kind],
        each: &'a mut (dyn FnMut(Row) -> bool + Send),
    ) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        Box::pin(async move {
            let query = bind(sqlx::query::<C::Database>(sql), params);
            let mut rows = query.fetch(self);
            while let Some(row) = rows.try_next().await? {
                let mut cells = Vec::with_capacity(kinds.len());
                for (i, kind) in kinds.iter().enumerate() {
                    cells.push(match kind {
                        // Unchecked: text (the catalogs' answers) reads as its bytes too.
                        Kind::Bytes => Cell::Bytes(row.try_get_unchecked::<Vec<u8>, _>(i)?),
                        Kind::Int => Cell::Int(row.try_get::<i64, _>(i)?),
                    });
                }
                if !each(Row(cells)) {
                    break;
                }
            }
            Ok(())
        })
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, Result<(), sqlx::Error>> {
        Box::pin((*self).close())
    }
}

/// How to open a connection to one store.
#[derive(Clone, Debug)]
pub(super) enum Connector {
    Sqlite(SqliteConnectOptions),
    MySql(MySqlConnectOptions),
    Postgres(PgConnectOptions),
}

impl Connector {
    pub(super) async fn connect(&self) -> Result<Box<dyn Session>, sqlx::Error> {
        Ok(match self {
            Connector::Sqlite(o) => Box::new(o.connect().await?),
            Connector::MySql(o) => Box::new(o.connect().await?),
            Connector::Postgres(o) => Box::new(o.connect().await?),
        })
    }
}

/// SQLite's options for `path`: created on first write, WAL so that a
/// reader's snapshot neither blocks writers nor is blocked by them, and a
/// writer waits for the lock up to `timeout`.
pub(super) fn sqlite(path: &std::path::Path, timeout: Duration) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .busy_timeout(timeout)
}

/// Who logs in to a server, and to which database.
pub(super) struct Login<'a> {
    pub user: &'a str,
    pub password: Option<&'a str>,
    pub database: &'a str,
}

/// A MySQL or PostgreSQL server's options. Without TLS files, TLS is used
/// when the server offers it, unverified (as mysql and psql do by
/// default); any TLS file requires TLS and a server certificate that the CA
/// (else the system's roots) vouches for, for this host name.
pub(super) fn server(engine: Engine, host: &str, port: u16, login: Login<'_>, tls: &TlsFiles) -> Connector {
    let client = tls.cert.as_ref().zip(tls.key.as_ref());
    if engine == Engine::MySql {
        let mut o = MySqlConnectOptions::new().host(host).port(port).username(login.user).database(login.database);
        if let Some(password) = login.password {
            o = o.password(password);
        }
        if tls.any() {
            o = o.ssl_mode(MySqlSslMode::VerifyIdentity);
        }
        if let Some(ca) = &tls.ca {
            o = o.ssl_ca(ca);
        }
        if let Some((cert, key)) = client {
            o = o.ssl_client_cert(cert).ssl_client_key(key);
        }
        return Connector::MySql(o);
    }
    // Explicit settings win over libpq's PG* environment, which sqlx reads.
    let mut o = PgConnectOptions::new_without_pgpass()
        .host(host)
        .port(port)
        .username(login.user)
        .database(login.database)
        .application_name("ovs");
    if let Some(password) = login.password {
        o = o.password(password);
    }
    if tls.any() {
        o = o.ssl_mode(PgSslMode::VerifyFull);
    }
    if let Some(ca) = &tls.ca {
        o = o.ssl_root_cert(ca);
    }
    if let Some((cert, key)) = client {
        o = o.ssl_client_cert(cert).ssl_client_key(key);
    }
    Connector::Postgres(o)
}
