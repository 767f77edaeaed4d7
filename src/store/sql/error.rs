//! What the driver's errors mean for the caller.

use sqlx::mysql::MySqlDatabaseError;

use super::dialect::{Engine, Meaning};
use super::SqlStore;
use crate::store::{Cause, Said, StoreError};

impl SqlStore {
    pub(super) fn error(&self, e: sqlx::Error) -> StoreError {
        let store = self.describe.clone();
        let tls_failed =
            |source: Cause| StoreError::failed(&store, format!("TLS with {} failed", self.endpoint), source);
        let db = match e {
            // The TLS layer reports a refused handshake (an untrusted
            // certificate, say) as invalid data: the server was reached.
            sqlx::Error::Io(e) if e.kind() == std::io::ErrorKind::InvalidData => return tls_failed(e.into()),
            sqlx::Error::Tls(e) => return tls_failed(e),
            sqlx::Error::Io(e) => {
                return StoreError::Unreachable { store, endpoint: self.endpoint.clone(), source: e.into() }
            }
            sqlx::Error::Database(db) => db,
            other => return StoreError::failed(&store, "", other),
        };
        // The server's words, the driver's error below them.
        let said = |text: String, db| Said::over(text, sqlx::Error::Database(db));
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
                StoreError::Denied { store, what: String::new(), source: said(format!("{}{hint}", db.message()), db) }
            }
            Meaning::Busy => StoreError::Timeout {
                store,
                after: self.timeout,
                during: format!("waiting for a lock ({})", db.message()),
                source: None,
            },
            Meaning::TooLarge => StoreError::TooLarge {
                store,
                size: None,
                limit: self.capabilities.max_value_bytes,
                hint: self.capabilities.max_value_hint,
            },
            Meaning::Other => StoreError::failed(&store, "", said(db.message().to_string(), db)),
        }
    }
}
