//! Raw global flags resolved, in one step, into what commands use.

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::Global;
use crate::exit::UsageError;
use crate::store::{Credentials, Options, StoreUrl, TlsFiles};

pub struct Settings {
    pub store: StoreUrl,
    pub options: Options,
    pub quiet: bool,
    /// The operator's value-size limit, overriding the store's own.
    pub max_value_size: Option<u64>,
    /// Prompts are offered only when a person is at both ends.
    pub interactive: bool,
}

impl Settings {
    pub fn resolve(global: &Global) -> Result<Settings, anyhow::Error> {
        use std::io::IsTerminal;
        let store = match &global.store {
            Some(url) => StoreUrl::parse(url)?,
            None => StoreUrl::parse(&format!("dir://{}", default_data_dir()?.display()))?,
        };
        let tls = TlsFiles { ca: global.cacert.clone(), cert: global.cert.clone(), key: global.client_key.clone() };
        tls.check().map_err(UsageError)?;
        let credentials = credentials(global, &store)?;
        Ok(Settings {
            store,
            options: Options { timeout: global.timeout, credentials, tls },
            quiet: global.quiet,
            max_value_size: global.max_value_size,
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
        })
    }

    pub fn timeout(&self) -> Duration {
        self.options.timeout
    }
}

/// The user from --user or the URL; the password from $OVS_CONFIG_PASSWORD
/// or --password-file, so it never shows in `ps` or shell history.
fn credentials(global: &Global, store: &StoreUrl) -> Result<Option<Credentials>, anyhow::Error> {
    if !store.backend().logs_in {
        // An $OVS_CONFIG_USER meant for a cluster must not break a local store.
        return Ok(None);
    }
    let url_user = store.user().map(String::from);
    let Some(user) = global.user.clone().or(url_user) else {
        return Ok(None);
    };
    let password = match (&global.password_file, std::env::var("OVS_CONFIG_PASSWORD")) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| UsageError(format!("cannot read --password-file {}: {e}", path.display())))?;
            text.lines().next().unwrap_or("").to_string()
        }
        (None, Ok(password)) => password,
        (None, Err(_)) => {
            return Err(
                UsageError("a user name needs a password: set $OVS_CONFIG_PASSWORD or --password-file".into()).into()
            )
        }
    };
    Ok(Some(Credentials { user, password }))
}

/// `$XDG_DATA_HOME/ovs-config`, else `$HOME/.local/share/ovs-config`: a path
/// any user can write, per the XDG base directory spec.
fn default_data_dir() -> Result<PathBuf, UsageError> {
    let from_env = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = from_env("XDG_DATA_HOME").filter(|p| p.is_absolute()) {
        return Ok(dir.join("ovs-config"));
    }
    from_env("HOME")
        .map(|home| home.join(".local/share/ovs-config"))
        .ok_or_else(|| UsageError("no --store given and neither XDG_DATA_HOME nor HOME is set".into()))
}
