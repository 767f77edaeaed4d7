//! The backends this build has. Each declares, in its own folder, the URL
//! schemes it claims, how it checks a URL, whether it logs in, what it can
//! do and how it opens: adding a backend is its folder and one line here.
//! A scheme none of them claims goes to the plugin backend, which runs
//! `ovs-store-SCHEME`.

use super::url::UrlInfo;
use super::{consul, dir, etcd, plugin, sql, zookeeper, Capabilities, Options, Store, StoreError, StoreUrl};

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
    pub check: fn(scheme: &str, rest: &str) -> Result<UrlInfo, String>,
    pub open: Opener,
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

/// How a backend opens a store its `check` accepted.
pub type Opener = fn(url: &StoreUrl, options: &Options) -> Result<Box<dyn Store>, StoreError>;

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.schemes[0])
    }
}

pub const BACKENDS: &[&Backend] =
    &[&dir::BACKEND, &etcd::BACKEND, &zookeeper::BACKEND, &consul::BACKEND, &sql::SQLITE, &sql::MYSQL, &sql::POSTGRES];

/// The built-in backend that claims `scheme`, else the plugin backend (whose
/// `check` finds the plugin, or says there is none).
pub fn for_scheme(scheme: &str) -> &'static Backend {
    BACKENDS.iter().find(|b| b.schemes.contains(&scheme)).copied().unwrap_or(&plugin::BACKEND)
}
