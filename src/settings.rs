//! Raw global flags resolved, in one step, into what commands use.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use crate::cli::Global;
use crate::exit::UsageError;
use crate::store::{self, Capabilities, Credentials, Options, Store, StoreError, StoreUrl, TlsFiles};

pub struct Settings {
    /// Every store named: reads use the first, writes go to all.
    pub stores: Vec<Target>,
    /// What opening any other store URL (copy, compare, mirror) starts from.
    base: Options,
    global_user: Option<String>,
    password_file: Option<PathBuf>,
    /// Whether --timeout was given (watch then ends after it).
    pub timeout_given: bool,
    pub quiet: bool,
    /// The operator's value-size limit, overriding the store's own.
    pub max_value_size: Option<u64>,
    /// Prompts are offered only when a person is at both ends.
    pub interactive: bool,
}

impl Settings {
    pub fn resolve(global: &Global) -> Result<Settings, anyhow::Error> {
        use std::io::IsTerminal;
        let tls = TlsFiles { ca: global.cacert.clone(), cert: global.cert.clone(), key: global.client_key.clone() };
        tls.check().map_err(UsageError)?;
        let mut settings = Settings {
            stores: Vec::new(),
            base: Options { timeout: global.timeout.unwrap_or(DEFAULT_TIMEOUT), credentials: None, tls },
            global_user: global.user.clone(),
            password_file: global.password_file.clone(),
            timeout_given: global.timeout.is_some(),
            quiet: global.quiet,
            max_value_size: global.max_value_size,
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
        };
        let default;
        let urls = match global.stores.as_slice() {
            [] => {
                default = format!("dir://{}", default_data_dir()?.display());
                std::slice::from_ref(&default)
            }
            urls => urls,
        };
        for text in urls {
            let target = settings.target(text)?;
            if settings.stores.iter().any(|t| t.name() == target.name()) {
                return Err(UsageError(format!("the store {} is named twice", target.name())).into());
            }
            settings.stores.push(target);
        }
        Ok(settings)
    }

    pub fn timeout(&self) -> Duration {
        self.base.timeout
    }

    /// A store URL from the command line, parsed, with the options to open
    /// it (its login, if its kind logs in); nothing is opened yet.
    pub fn target(&self, text: &str) -> Result<Target, anyhow::Error> {
        let url = StoreUrl::parse(text)?;
        let options = Options { credentials: self.credentials(&url)?, ..self.base.clone() };
        Ok(Target::new(url, text.to_string(), options))
    }

    /// The user from --user or the URL; the password from $OVS_CONFIG_PASSWORD
    /// or --password-file, so it never shows in `ps` or shell history.
    fn credentials(&self, store: &StoreUrl) -> Result<Option<Credentials>, anyhow::Error> {
        if !store.backend().logs_in {
            // An $OVS_CONFIG_USER meant for a cluster must not break a local store.
            return Ok(None);
        }
        let url_user = store.user().map(String::from);
        let Some(user) = self.global_user.clone().or(url_user) else {
            return Ok(None);
        };
        password(self.password_file.as_deref()).map(|password| Some(Credentials { user, password }))
    }
}

/// --timeout when it is not given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

fn password(file: Option<&std::path::Path>) -> Result<String, anyhow::Error> {
    let password = match (file, std::env::var("OVS_CONFIG_PASSWORD")) {
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
    Ok(password)
}

/// One store named on the command line, opened when first used (so that a
/// fan-out write still reaches the others when one cannot be opened).
pub struct Target {
    pub url: StoreUrl,
    /// The URL as given (it names the user, never a password): what the
    /// outbox keeps to open the store again.
    pub given: String,
    options: Options,
    store: OnceLock<Box<dyn Store>>,
}

impl Target {
    fn new(url: StoreUrl, given: String, options: Options) -> Target {
        Target { url, given, options, store: OnceLock::new() }
    }

    /// The store, opened on first use.
    pub fn store(&self) -> Result<&dyn Store, StoreError> {
        if let Some(store) = self.store.get() {
            return Ok(store.as_ref());
        }
        let opened = store::open(&self.url, &self.options)?;
        Ok(self.store.get_or_init(|| opened).as_ref())
    }

    /// What it can do: the open store's answer, else what its kind declares.
    pub fn capabilities(&self) -> Capabilities {
        match self.store.get() {
            Some(store) => store.capabilities(),
            None => self.url.backend().capabilities,
        }
    }

    /// How messages name it: no user, never a secret.
    pub fn name(&self) -> String {
        self.url.to_string()
    }
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
