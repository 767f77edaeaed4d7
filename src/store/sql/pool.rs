//! Connections: a few idle ones kept for the next call, each call bounded by
//! the timeout, and a connection that failed or left a transaction open
//! closed rather than reused.

use std::time::{Duration, Instant};

use super::session::{self, Kind, Param, Session};
use super::SqlStore;
use crate::store::StoreError;

/// Idle connections kept for the next call (threads sharing one store).
const MAX_IDLE: usize = 8;

impl SqlStore {
    /// Wait for `fut` until `deadline`, on the shared runtime.
    pub(super) fn wait<T>(
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
                source: None,
            }),
        }
    }

    /// An idle connection, or a new one; the call it serves must end by
    /// `timeout` from now, connecting included.
    pub(super) fn conn(&self) -> Result<Conn<'_>, StoreError> {
        let deadline = Instant::now() + self.timeout;
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let session = match idle {
            Some(session) => session,
            None => self.wait(deadline, self.connector.connect())?,
        };
        Ok(Conn { store: self, session: Some(session), in_transaction: false, failed: false, deadline })
    }
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
    pub(super) fn renew(&mut self) {
        self.deadline = Instant::now() + self.store.timeout;
    }

    pub(super) fn run(&mut self, sql: &str) -> Result<(), StoreError> {
        let (store, deadline) = (self.store, self.deadline);
        let outcome = store.wait(deadline, self.session().run(sql));
        self.check(outcome)
    }

    pub(super) fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let (store, deadline) = (self.store, self.deadline);
        let outcome = store.wait(deadline, self.session().execute(sql, params));
        self.check(outcome)
    }

    pub(super) fn fetch(
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

    pub(super) fn begin<S: AsRef<str>>(&mut self, statements: &[S]) -> Result<(), StoreError> {
        self.in_transaction = true;
        statements.iter().try_for_each(|s| self.run(s.as_ref()))
    }

    pub(super) fn commit(&mut self) -> Result<(), StoreError> {
        self.run("COMMIT")?;
        self.in_transaction = false;
        Ok(())
    }

    /// Undo the transaction, if one is open; if even that fails, the
    /// connection is closed when dropped, which undoes it too.
    pub(super) fn roll_back(&mut self) {
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
