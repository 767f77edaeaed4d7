//! What a kind of store is, beside the `Store` it opens: the URL schemes it
//! claims, how it checks a URL, whether it logs in and what it can do. Its
//! check reads the URL once into a typed configuration, which is all that
//! opening uses.

use std::fmt;
use std::sync::Arc;

use super::{Capabilities, Options, Store, StoreError};

/// One kind of store.
pub struct Backend {
    /// The schemes it claims; the first is its name.
    pub schemes: &'static [&'static str],
    /// Its URL's shape, for `ovs config stores` and `--help`.
    pub form: &'static str,
    pub about: &'static str,
    /// What it can do; an open store answers the same.
    pub capabilities: Capabilities,
    /// How it logs in with a user and a password.
    pub logs_in: Login,
    /// Check what follows `SCHEME://` before any I/O.
    pub check: fn(scheme: &str, rest: &str) -> Result<Checked, String>,
}

/// What a kind of store does with a user and a password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Login {
    /// It takes none: any given are ignored.
    No,
    /// A user (from `--user` or the URL) needs a password from a flag, the
    /// environment or the profile, else it is a usage error.
    UserNeedsPassword,
    /// As psql and mysql: a user without a password logs in without one and
    /// the server decides (trust, peer, an account with no password), and a
    /// password may come without a user. The credentials then always reach
    /// the store, an empty user meaning none named and an empty password none
    /// given (libpq's and libmysqlclient's reading of an empty setting).
    Optional,
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.schemes[0])
    }
}

/// What a backend tells of a URL it accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlInfo {
    /// The user the URL names (`user@`), for stores that log in.
    pub user: Option<String>,
    /// How messages name the store: no user name, never a secret.
    pub display: String,
}

/// A URL as its backend's check read it: how messages show it, and the
/// backend's own configuration (hosts, root, file, table...), to open it by.
#[derive(Clone, Debug)]
pub struct Checked {
    pub info: UrlInfo,
    pub config: Arc<dyn Config>,
}

impl Checked {
    pub fn new(info: UrlInfo, config: impl Config + 'static) -> Checked {
        Checked { info, config: Arc::new(config) }
    }
}

/// A backend's typed configuration, read from a URL its check accepted.
pub trait Config: fmt::Debug + Send + Sync {
    /// Open the store it names.
    fn open(&self, options: &Options) -> Result<Box<dyn Store>, StoreError>;
}
