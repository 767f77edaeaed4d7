//! The backends this build has. Each declares, in its own folder, the URL
//! schemes it claims, how it checks a URL, whether it logs in, what it can
//! do and how it opens: adding a backend is its folder and one line here.
//! A scheme none of them claims goes to the plugin backend, which runs
//! `ovs-store-SCHEME`.

use super::backend::Backend;
use super::url::{masked, StoreUrl, UrlError};
use super::{arakoon, consul, dir, etcd, plugin, sql, zookeeper};

pub const BACKENDS: &[&Backend] = &[
    &dir::BACKEND,
    &etcd::BACKEND,
    &zookeeper::BACKEND,
    &consul::BACKEND,
    &sql::SQLITE,
    &sql::MYSQL,
    &sql::POSTGRES,
    &arakoon::BACKEND,
];

/// The built-in backend that claims `scheme`, else the plugin backend (whose
/// `check` finds the plugin, or says there is none).
pub fn for_scheme(scheme: &str) -> &'static Backend {
    built_in(scheme).unwrap_or(&plugin::BACKEND)
}

fn built_in(scheme: &str) -> Option<&'static Backend> {
    BACKENDS.iter().find(|b| b.schemes.contains(&scheme)).copied()
}

/// Parsing picks the backend, so it lives with the list of them: the URL
/// type itself knows no backend by name.
impl StoreUrl {
    pub fn parse(text: &str) -> Result<StoreUrl, UrlError> {
        let err = |reason: String| UrlError { url: masked(text), reason };
        if masked(text) != text {
            // Checked first, so that no later message can quote the password.
            return Err(err("put no password in the URL; use $OVS_CONFIG_PASSWORD or --password-file".into()));
        }
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| err("expected SCHEME://..., e.g. dir:///var/lib/ovs-config".into()))?;
        let backend = for_scheme(scheme);
        let checked = (backend.check)(scheme, rest).map_err(err)?;
        // A plugin's URL means what the plugin makes of it (see `identity`).
        let opaque = built_in(scheme).is_none();
        Ok(StoreUrl::new(backend, scheme, rest, checked, opaque))
    }
}

/// Every built-in backend's URL form, for `--store`'s help.
pub fn url_forms() -> String {
    BACKENDS.iter().map(|b| b.form).collect::<Vec<_>>().join(", ")
}
