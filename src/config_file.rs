//! The config file: named profiles (stores, timeout, TLS files, login) and
//! declared validators. Files stay portable between versions: fields are
//! added, never renamed, and an unknown one is an error, so a typo is never
//! silently ignored. Relative paths in it are relative to its folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::cli::Wait;
use crate::exit::UsageError;
use crate::validate::declared::Spec;

/// Where the file is looked for when neither --config nor $OVS_CONFIG_FILE names one.
pub const SYSTEM_FILE: &str = "/etc/ovs/config.yaml";

#[derive(Debug)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub default_profile: Option<String>,
    pub profiles: BTreeMap<String, Profile>,
    pub validators: Vec<Spec>,
    pub templates: Vec<DeclaredTemplate>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    default_profile: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
    #[serde(default)]
    validators: Vec<Spec>,
    #[serde(default)]
    templates: Vec<DeclaredTemplate>,
}

/// A template `render --all` keeps current, as confd's template resources:
/// paths relative to the config file's folder.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredTemplate {
    pub source: PathBuf,
    pub destination: PathBuf,
    /// In octal, as chmod takes it (`"0644"`; `644` reads the same).
    #[serde(default, deserialize_with = "mode")]
    pub mode: Option<u32>,
    #[serde(default)]
    pub check: Option<String>,
    #[serde(default)]
    pub reload: Option<String>,
    /// `MIN[:MAX]` of calm before a re-render, for `--watch`.
    #[serde(default, deserialize_with = "wait")]
    pub wait: Option<Wait>,
}

/// A file mode in octal, from a string or the digits of a number, read by
/// a visitor so that an error carries the value's line.
fn mode<'de, D: Deserializer<'de>>(de: D) -> Result<Option<u32>, D::Error> {
    struct Mode;
    impl<'de> serde::de::Visitor<'de> for Mode {
        type Value = Option<u32>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a file mode in octal, e.g. \"0644\"")
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            crate::cli::parse_mode(text).map(Some).map_err(|e| E::custom(format!("mode: {e}")))
        }
        fn visit_u64<E: serde::de::Error>(self, digits: u64) -> Result<Self::Value, E> {
            self.visit_str(&digits.to_string())
        }
    }
    de.deserialize_any(Mode)
}

/// `MIN` or `MIN:MAX`, as `--wait` takes it; read by a visitor so that an
/// error carries the value's line.
fn wait<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Wait>, D::Error> {
    struct Visit;
    impl<'de> serde::de::Visitor<'de> for Visit {
        type Value = Option<Wait>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("MIN or MIN:MAX, e.g. 2s:10s")
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            Wait::parse(text).map(Some).map_err(|why| E::custom(format!("wait {text:?}: {why}")))
        }
        fn visit_u64<E: serde::de::Error>(self, secs: u64) -> Result<Self::Value, E> {
            self.visit_str(&secs.to_string())
        }
    }
    de.deserialize_any(Visit)
}

/// One named profile; every field is optional and only fills in what the
/// flags and the environment left unset.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawProfile")]
pub struct Profile {
    /// Several: every write goes to all (fan-out), reads use the first.
    pub stores: Vec<String>,
    pub timeout: Option<Duration>,
    pub cacert: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub user: Option<String>,
    pub password_file: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    #[serde(default)]
    store: Option<String>,
    #[serde(default)]
    stores: Option<Vec<String>>,
    #[serde(default, deserialize_with = "timeout")]
    timeout: Option<Duration>,
    #[serde(default)]
    cacert: Option<PathBuf>,
    #[serde(default)]
    cert: Option<PathBuf>,
    #[serde(default)]
    key: Option<PathBuf>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    password_file: Option<PathBuf>,
    /// Named only to refuse it with a sentence rather than "unknown field".
    #[serde(default, rename = "password", deserialize_with = "refuse_password")]
    _password: Option<()>,
}

impl TryFrom<RawProfile> for Profile {
    type Error = String;

    fn try_from(raw: RawProfile) -> Result<Profile, String> {
        let stores = match (raw.store, raw.stores) {
            (Some(_), Some(_)) => return Err("give `store` or `stores`, not both".into()),
            (Some(one), None) => vec![one],
            (None, Some(many)) if many.is_empty() => return Err("`stores` is empty".into()),
            (None, many) => many.unwrap_or_default(),
        };
        if raw.cert.is_some() != raw.key.is_some() {
            return Err("`cert` and `key` go together: give both or neither".into());
        }
        Ok(Profile {
            stores,
            timeout: raw.timeout,
            cacert: raw.cacert,
            cert: raw.cert,
            key: raw.key,
            user: raw.user,
            password_file: raw.password_file,
        })
    }
}

/// Seconds (`5`, `0.5`) or a duration as --timeout takes it (`500ms`, `2m`),
/// read by a visitor so that an error carries the value's line.
fn timeout<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Duration>, D::Error> {
    struct Timeout;
    impl<'de> serde::de::Visitor<'de> for Timeout {
        type Value = Option<Duration>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("seconds, or a number with ms, s, m or h")
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            crate::cli::parse_duration(text).map(Some).map_err(|e| E::custom(format!("timeout: {e}")))
        }
        fn visit_u64<E: serde::de::Error>(self, secs: u64) -> Result<Self::Value, E> {
            self.visit_str(&secs.to_string())
        }
        fn visit_i64<E: serde::de::Error>(self, secs: i64) -> Result<Self::Value, E> {
            self.visit_str(&secs.to_string())
        }
        fn visit_f64<E: serde::de::Error>(self, secs: f64) -> Result<Self::Value, E> {
            self.visit_str(&secs.to_string())
        }
    }
    de.deserialize_any(Timeout)
}

/// Refuses any value, from inside the visit of that value so the error
/// carries its line, and without quoting it.
fn refuse_password<'de, D: Deserializer<'de>>(de: D) -> Result<Option<()>, D::Error> {
    struct Refuse;
    impl Refuse {
        fn no<E: serde::de::Error>(self) -> Result<Option<()>, E> {
            Err(E::custom("a password is never kept in the config file: use `password_file` (or $OVS_CONFIG_PASSWORD)"))
        }
    }
    impl<'de> serde::de::Visitor<'de> for Refuse {
        type Value = Option<()>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("no password")
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            self.no()
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            self.no()
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            self.no()
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            self.no()
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            self.no()
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            self.no()
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            self.no()
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            self.no()
        }
    }
    de.deserialize_any(Refuse)
}

impl ConfigFile {
    /// The file `explicit` names (--config or $OVS_CONFIG_FILE), which must
    /// exist; else the first of the user's and the system's that exists;
    /// else none, and the built-in defaults apply.
    pub fn find(explicit: Option<&Path>) -> Result<Option<ConfigFile>, UsageError> {
        if let Some(path) = explicit {
            return ConfigFile::load(path).map(Some);
        }
        for path in Self::search_path() {
            if path.exists() {
                return ConfigFile::load(&path).map(Some);
            }
        }
        Ok(None)
    }

    /// `$XDG_CONFIG_HOME/ovs/config.yaml` (else `~/.config/ovs/config.yaml`),
    /// then `/etc/ovs/config.yaml`.
    pub fn search_path() -> Vec<PathBuf> {
        let user = crate::files::xdg_dir("XDG_CONFIG_HOME", ".config").map(|dir| dir.join("ovs/config.yaml"));
        user.into_iter().chain([PathBuf::from(SYSTEM_FILE)]).collect()
    }

    /// Refused (exit 2) when a user other than the invoking one or root
    /// could write it or a folder above it: its command validators run as
    /// the invoking user, its profiles choose the stores written to and the
    /// files a password is read from. `/dev/null` is the usual way to say
    /// "no config file": it always reads as empty, so it is no file at all.
    pub fn load(path: &Path) -> Result<ConfigFile, UsageError> {
        if std::fs::canonicalize(path).is_ok_and(|real| real == Path::new("/dev/null")) {
            return ConfigFile::parse(path, "");
        }
        crate::files::check_trusted(path, "the config file").map_err(|e| UsageError(e.to_string()))?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| UsageError(format!("cannot read the config file {}: {e}", path.display())))?;
        ConfigFile::parse(path, &text)
    }

    /// `path` is where the text came from: messages name it, and relative
    /// paths in it are taken from its folder.
    pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, UsageError> {
        // An empty file (or one of comments only) is no document at all.
        let raw: Option<Raw> = serde_yaml::from_str(text).map_err(|e| syntax_error(path, &e))?;
        let raw = raw.unwrap_or_default();
        let dir = path.parent().unwrap_or(Path::new("."));
        let profiles = raw.profiles.into_iter().map(|(name, profile)| (name, profile.relative_to(dir))).collect();
        let templates = raw.templates.into_iter().map(|t| t.relative_to(dir)).collect();
        let file = ConfigFile {
            path: path.to_path_buf(),
            default_profile: raw.default_profile,
            profiles,
            validators: raw.validators,
            templates,
        };
        if let Some(name) = &file.default_profile {
            if !file.profiles.contains_key(name) {
                // serde_yaml gives no position for a value that parsed; the line is found by its key.
                let line = text.lines().position(|l| l.starts_with("default_profile:"));
                let line = line.map_or(String::new(), |i| format!(", line {}", i + 1));
                return Err(UsageError(format!(
                    "config file {}{line}: default_profile {name:?} is not one of its profiles ({})",
                    path.display(),
                    file.profile_names()
                )));
            }
        }
        Ok(file)
    }

    /// The profile `name` asks for (--profile, $OVS_CONFIG_PROFILE), else
    /// the default one, else none.
    pub fn select(&self, name: Option<&str>) -> Result<Option<(&str, &Profile)>, UsageError> {
        let Some(name) = name.or(self.default_profile.as_deref()) else { return Ok(None) };
        match self.profiles.get_key_value(name) {
            Some((name, profile)) => Ok(Some((name.as_str(), profile))),
            None => Err(UsageError(format!(
                "no profile {name:?} in the config file {} (it has: {})",
                self.path.display(),
                self.profile_names()
            ))),
        }
    }

    fn profile_names(&self) -> String {
        match self.profiles.keys().map(String::as_str).collect::<Vec<_>>().join(", ") {
            names if names.is_empty() => "none".into(),
            names => names,
        }
    }
}

/// `config file PATH, line 4: profiles.a: unknown field ...`: the line up
/// front, even on line 1 (where serde_yaml's own text leaves it out).
fn syntax_error(path: &Path, e: &serde_yaml::Error) -> UsageError {
    let text = e.to_string();
    let Some(at) = e.location() else {
        return UsageError(format!("config file {}: {text}", path.display()));
    };
    let suffix = format!(" at line {} column {}", at.line(), at.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text);
    UsageError(format!("config file {}, line {}: {message}", path.display(), at.line()))
}

impl DeclaredTemplate {
    fn relative_to(self, dir: &Path) -> DeclaredTemplate {
        let fix = |p: PathBuf| if p.is_relative() { dir.join(p) } else { p };
        DeclaredTemplate { source: fix(self.source), destination: fix(self.destination), ..self }
    }
}

impl Profile {
    fn relative_to(self, dir: &Path) -> Profile {
        let fix = |p: Option<PathBuf>| p.map(|p| if p.is_relative() { dir.join(p) } else { p });
        Profile {
            cacert: fix(self.cacert),
            cert: fix(self.cert),
            key: fix(self.key),
            password_file: fix(self.password_file),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile, String> {
        ConfigFile::parse(Path::new("/etc/ovs/config.yaml"), text).map_err(|e| e.0)
    }

    #[test]
    fn the_issues_example_parses_with_paths_from_the_files_folder() {
        let file = parse(
            "default_profile: local
profiles:
  local:
    store: dir:///var/lib/ovs-config
  cluster:
    stores:
      - etcd://10.0.0.1:2379,10.0.0.2:2379
      - zk://10.0.0.1:2181/ovs
    timeout: 5
    cacert: ca.pem
    user: ovs
    password_file: /etc/ovs/password
validators:
  - pattern: /flocker/**
    kind: json-schema
    schema: /etc/ovs/schemas/dataset.json
  - pattern: /app/*.json
    kind: json
",
        )
        .unwrap();
        assert_eq!(file.select(None).unwrap().unwrap().0, "local");
        let (_, cluster) = file.select(Some("cluster")).unwrap().unwrap();
        assert_eq!(cluster.stores.len(), 2);
        assert_eq!(cluster.timeout, Some(Duration::from_secs(5)));
        assert_eq!(cluster.cacert.as_deref(), Some(Path::new("/etc/ovs/ca.pem")));
        assert_eq!(file.validators.len(), 2);
    }

    #[test]
    fn errors_name_the_file_the_line_and_what_is_wrong() {
        let err = parse("profiles:\n  a:\n    stor: dir:///x\n").unwrap_err();
        assert!(err.contains("/etc/ovs/config.yaml") && err.contains("line 3") && err.contains("stor"), "{err}");
        let err = parse("profiles:\n  a:\n    store: dir:///x\n    password: hunter2\n").unwrap_err();
        assert!(err.contains("line 4") && err.contains("password_file") && !err.contains("hunter2"), "{err}");
        let err = parse("profiles:\n  a:\n    user: x\n    timeout: 1y\n").unwrap_err();
        assert!(err.contains("line 4") && err.contains("timeout"), "{err}");
        let err = parse("profiles:\n  a:\n    user: x\n    password: [hunter2]\n").unwrap_err();
        assert!(err.contains("line 4") && !err.contains("hunter2"), "{err}");
        let err = parse("profiles: [\n").unwrap_err();
        assert!(err.contains("line"), "{err}");
        let err = parse("profiles:\n  a:\n    store: dir:///x\n    stores: [dir:///y]\n").unwrap_err();
        assert!(err.contains("line") && err.contains("not both"), "{err}");
        let err = parse("profiles:\n  a: {}\ndefault_profile: b\n").unwrap_err();
        assert!(err.contains("line 3") && err.contains("\"b\"") && err.contains("a"), "{err}");
    }

    #[test]
    fn declared_templates_take_paths_from_the_files_folder_and_modes_in_octal() {
        let file = parse(
            "templates:
  - source: haproxy.cfg.j2
    destination: /etc/haproxy/haproxy.cfg
    mode: \"0640\"
    check: haproxy -c -f {src}
    reload: systemctl reload haproxy
    wait: 2s:10s
  - source: /srv/agent.yml.j2
    destination: out/agent.yml
    mode: 600
",
        )
        .unwrap();
        let [haproxy, agent] = &file.templates[..] else { panic!("{:?}", file.templates) };
        assert_eq!(haproxy.source, Path::new("/etc/ovs/haproxy.cfg.j2"));
        assert_eq!((haproxy.mode, agent.mode), (Some(0o640), Some(0o600)));
        assert_eq!(haproxy.wait, Some(Wait { min: Duration::from_secs(2), max: Duration::from_secs(10) }));
        assert_eq!(agent.destination, Path::new("/etc/ovs/out/agent.yml"));
        let err = parse("templates:\n  - source: a\n    destination: b\n    mode: rw\n").unwrap_err();
        assert!(err.contains("line 4") && err.contains("mode"), "{err}");
        let err = parse("templates:\n  - source: a\n    destination: b\n    wait: 5s:1s\n").unwrap_err();
        assert!(err.contains("line 4") && err.contains("MAX"), "{err}");
        let err = parse("templates:\n  - source: a\n").unwrap_err();
        assert!(err.contains("destination"), "{err}");
    }

    #[test]
    fn an_empty_file_is_no_profile() {
        let file = parse("# nothing yet\n").unwrap();
        assert!(file.select(None).unwrap().is_none());
        assert!(file.select(Some("x")).unwrap_err().0.contains("no profile \"x\""));
    }
}
