//! What the driver's errors mean for the caller.

use sqlx::mysql::MySqlDatabaseError;

use super::dialect::{Engine, Meaning};
use super::SqlStore;
use crate::store::StoreError;

impl SqlStore {
    pub(super) fn error(&self, e: sqlx::Error) -> StoreError {
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
}
