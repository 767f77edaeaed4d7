//! Raw global flags resolved, in one step, into what commands use. Each
//! setting is taken from the first that gives it: a flag, the environment
//! (clap merges these two), the config file's profile, the built-in default.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use crate::cli::Global;
use crate::config_file::{ConfigFile, Profile};
use crate::exit::UsageError;
use crate::store::backend::Login;
use crate::store::{self, Capabilities, Credentials, Options, Store, StoreError, StoreUrl, TlsFiles};

pub struct Settings {
    /// Every store named: reads use the first, writes go to all.
    pub stores: Vec<Target>,
    /// What opening any other store URL (copy, compare, mirror) starts from.
    base: Options,
    global_user: Option<String>,
    password_file: Option<PathBuf>,
    /// The profile's, read only when neither --password-file nor $OVS_CONFIG_PASSWORD gives one.
    profile_password_file: Option<PathBuf>,
    /// The config file found, if any: its profiles and declared validators.
    pub config: Option<ConfigFile>,
    /// The profile in use (--profile, $OVS_CONFIG_PROFILE or the default one).
    pub profile: Option<String>,
    /// Whether --timeout was given (watch then ends after it).
    pub timeout_given: bool,
    pub quiet: bool,
    /// -v given (once or more): e.g. every line of a long plan.
    pub verbose: bool,
    /// The operator's value-size limit, overriding the store's own.
    pub max_value_size: Option<u64>,
    /// Prompts are offered only when a person is at both ends.
    pub interactive: bool,
}

impl Settings {
    pub fn resolve(global: &Global) -> Result<Settings, anyhow::Error> {
        use std::io::IsTerminal;
        let Chosen { config, name: profile_name, profile } = Chosen::from(global)?;
        let tls = tls_files(global, &profile, profile_name.as_deref())?;
        let mut settings = Settings {
            stores: Vec::new(),
            base: Options {
                timeout: global.timeout.or(profile.timeout).unwrap_or(DEFAULT_TIMEOUT),
                credentials: None,
                tls,
            },
            global_user: global.user.clone().or(profile.user),
            password_file: global.password_file.clone(),
            profile_password_file: profile.password_file,
            config,
            profile: profile_name,
            timeout_given: global.timeout.is_some(),
            quiet: global.quiet,
            verbose: global.verbose > 0,
            max_value_size: global.max_value_size,
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
        };
        let default;
        let urls = match (global.stores.as_slice(), profile.stores.as_slice()) {
            ([], []) => {
                default = format!("dir://{}", default_data_dir()?.display());
                std::slice::from_ref(&default)
            }
            ([], urls) | (urls, _) => urls,
        };
        for text in urls {
            let target = settings.target(text)?;
            // Refused, not merged: a store named twice is most likely a slip
            // for another store, which a fan-out would then silently miss.
            let identity = target.url.identity();
            if let Some(first) = settings.stores.iter().find(|t| t.url.identity() == identity) {
                return Err(UsageError(format!(
                    "the store {identity} is named twice ({} and {}); name each store once",
                    first.name(),
                    target.name()
                ))
                .into());
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
    /// or --password-file, so it never shows in `ps` or shell history. What
    /// a store needs of them is its kind's [`Login`].
    fn credentials(&self, store: &StoreUrl) -> Result<Option<Credentials>, anyhow::Error> {
        let user = self.global_user.clone().or(store.user().map(String::from));
        match store.backend().logs_in {
            // An $OVS_CONFIG_USER meant for a cluster must not break a local store.
            Login::No => Ok(None),
            Login::UserNeedsPassword => {
                let Some(user) = user else { return Ok(None) };
                match self.password()? {
                    Some(password) => Ok(Some(Credentials { user, password })),
                    None => Err(UsageError(
                        "a user name needs a password: set $OVS_CONFIG_PASSWORD or --password-file (or a \
                         profile's password_file)"
                            .into(),
                    )
                    .into()),
                }
            }
            Login::Optional => {
                Ok(Some(Credentials { user: user.unwrap_or_default(), password: self.password()?.unwrap_or_default() }))
            }
        }
    }

    /// --password-file, else $OVS_CONFIG_PASSWORD, else the profile's
    /// password_file: flags, environment, profile; None when none gives one.
    fn password(&self) -> Result<Option<String>, anyhow::Error> {
        if let Some(path) = &self.password_file {
            return read_password(path, "--password-file").map(Some);
        }
        if let Ok(password) = std::env::var("OVS_CONFIG_PASSWORD") {
            return Ok(Some(password));
        }
        match (&self.profile_password_file, &self.profile) {
            (Some(path), Some(profile)) => {
                read_password(path, &format!("the password_file of profile {profile}")).map(Some)
            }
            _ => Ok(None),
        }
    }
}

/// The config file and the profile the flags and environment choose,
/// before anything in the profile is used.
pub struct Chosen {
    pub config: Option<ConfigFile>,
    pub name: Option<String>,
    pub profile: Profile,
}

impl Chosen {
    pub fn from(global: &Global) -> Result<Chosen, UsageError> {
        let config = ConfigFile::find(global.config.as_deref())?;
        let (name, profile) = match &config {
            Some(file) => match file.select(global.profile.as_deref())? {
                Some((name, profile)) => (Some(name.to_string()), profile.clone()),
                None => (None, Profile::default()),
            },
            None if global.profile.is_some() => {
                let looked: Vec<String> = ConfigFile::search_path().iter().map(|p| p.display().to_string()).collect();
                return Err(UsageError(format!(
                    "--profile (or $OVS_CONFIG_PROFILE) needs a config file: none in {}; name one with --config",
                    looked.join(", ")
                )));
            }
            None => (None, Profile::default()),
        };
        Ok(Chosen { config, name, profile })
    }
}

/// The TLS files from flags and environment, else from the profile (the
/// client certificate and key as a pair), checked before any connection.
fn tls_files(global: &Global, profile: &Profile, name: Option<&str>) -> Result<TlsFiles, UsageError> {
    let ca = global.cacert.clone().map(|p| (p, false)).or(profile.cacert.clone().map(|p| (p, true)));
    // clap makes --cert and --key go together; so does the config file.
    let pair = match (&global.cert, &global.client_key) {
        (Some(cert), Some(key)) => Some((cert.clone(), key.clone(), false)),
        _ => profile.cert.clone().zip(profile.key.clone()).map(|(cert, key)| (cert, key, true)),
    };
    let said = |flag: &str, of_profile: bool| match (of_profile, name) {
        (true, Some(name)) => format!("{} of profile {name}", flag.trim_start_matches('-')),
        _ => flag.to_string(),
    };
    let names = [
        said("--cacert", ca.as_ref().is_some_and(|c| c.1)),
        said("--cert", pair.as_ref().is_some_and(|p| p.2)),
        said("--key", pair.as_ref().is_some_and(|p| p.2)),
    ];
    let tls = TlsFiles { ca: ca.map(|c| c.0), cert: pair.as_ref().map(|p| p.0.clone()), key: pair.map(|p| p.1) };
    tls.check_as([&names[0], &names[1], &names[2]]).map_err(UsageError)?;
    Ok(tls)
}

/// --timeout when it is not given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The first line of `path`; `what` names it in the message when it cannot be read.
fn read_password(path: &std::path::Path, what: &str) -> Result<String, anyhow::Error> {
    let text =
        std::fs::read_to_string(path).map_err(|e| UsageError(format!("cannot read {what} {}: {e}", path.display())))?;
    Ok(text.lines().next().unwrap_or("").to_string())
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
    crate::files::xdg_dir("XDG_DATA_HOME", ".local/share")
        .map(|base| base.join("ovs-config"))
        .ok_or_else(|| UsageError("no --store given and neither XDG_DATA_HOME nor HOME is set".into()))
}
