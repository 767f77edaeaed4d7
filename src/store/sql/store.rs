//! Opening a SQL store, and the `Store` trait on top of its connections.

use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use super::dialect::{Engine, Statements};
use super::session::{self, Connector, Kind, Param};
use super::url::{pg_env, Place, Target};
use super::{commit, listing, revision, SqlStore, POLL};
use crate::store::watch::{self, Rescan};
use crate::store::{
    root_is_not_a_key, Capabilities, Committed, Credentials, Entries, Key, Options, Revision, Scan, Store, StoreError,
    Version, Watcher, Write,
};

impl SqlStore {
    pub(super) fn open(target: &Target, options: &Options) -> Result<SqlStore, StoreError> {
        let engine = target.engine;
        let describe = target.info.display.clone();
        let rt = crate::store::runtime::shared(&describe)?;
        let mut password_given = false;
        let (connector, endpoint, file) = match &target.place {
            Place::File(path) => {
                // Like the directory store, a file ignores TLS files meant for servers.
                (
                    Connector::Sqlite(session::sqlite(path, options.timeout)),
                    path.display().to_string(),
                    Some(path.clone()),
                )
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
                let user = match given(|c| &c.user).or_else(|| user.clone()).or_else(|| libpq("PGUSER")) {
                    Some(user) => user,
                    None => whoami::fallible::username()
                        .map_err(|e| StoreError::failed(&describe, "no user named and no login name to use", e))?,
                };
                let password = given(|c| &c.password).or_else(|| libpq("PGPASSWORD"));
                password_given = password.is_some();
                let login = session::Login { user: &user, password: password.as_deref(), database };
                let connector = session::server(engine, host, *port, login, &options.tls);
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
            capabilities: super::backend(engine).capabilities,
            file,
            idle: Mutex::new(Vec::new()),
            ready: AtomicBool::new(false),
            password_given,
        })
    }

    pub(super) fn engine(&self) -> Engine {
        self.sql.engine
    }

    pub(super) fn key_bytes<'k>(&self, key: &'k Key) -> &'k [u8] {
        key.as_str().as_bytes()
    }

    pub(super) fn key_string(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

impl Store for SqlStore {
    fn describe(&self) -> &str {
        &self.describe
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    fn get(&self, key: &Key) -> Result<Version, StoreError> {
        root_is_not_a_key(key)?;
        let not_found = || StoreError::NotFound { key: key.clone() };
        let Some(mut conn) = self.reader(false)? else { return Err(not_found()) };
        let mut found = None;
        conn.fetch(&self.sql.get, &[Param::Bytes(self.key_bytes(key))], &[Kind::Bytes, Kind::Int], &mut |mut row| {
            found = Some(Version { value: row.bytes(0), revision: revision(row.int(1)) });
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
