//! Validators chosen by key pattern: the built-in Celery rule first, then
//! those the config file declares, in its order. Every rule whose pattern
//! matches a key must accept its value. Every write path (set, edit, import,
//! apply, copy, mirror, rollback, retry) runs [`Registry::check`] before it
//! touches the store, and `ovs config validate` runs it without writing.

pub mod celery;
mod command;
pub mod declared;
pub mod glob;

use std::path::PathBuf;
use std::time::Duration;

use declared::{Kind, Spec};
use glob::Pattern;

use crate::store::Key;

pub trait Validator: Send + Sync {
    /// What the validator is, for messages: "celery schedule", "json-schema dataset.json".
    fn name(&self) -> &str;
    /// Ok, or why not: one line saying what is wrong with the value (and
    /// where inside it), or that the validator itself could not run.
    fn check(&self, key: &Key, value: &[u8]) -> Result<(), Fault>;
    /// File suffix for `edit`, so the editor highlights the right syntax;
    /// None when the value's own look decides.
    fn suffix(&self) -> Option<&'static str>;
}

/// Why a validator did not accept a value.
#[derive(Debug, PartialEq, Eq)]
pub enum Fault {
    /// The value is wrong: one line saying what, and where inside it.
    Refused(String),
    /// The validator could not run at all (its program is missing or cannot
    /// be executed): the declaration is at fault, not the value.
    CannotRun(String),
}

impl From<String> for Fault {
    fn from(message: String) -> Fault {
        Fault::Refused(message)
    }
}

/// A value a validator refused.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {name}: {message}{}", if *.refused_write { "; nothing was written" } else { "" })]
pub struct Rejected {
    pub key: Key,
    pub name: String,
    pub message: String,
    /// Set when the value was on its way to the store (not `validate`).
    pub refused_write: bool,
}

impl Rejected {
    /// The same refusal, said of a write that did not happen.
    pub fn of_write(self) -> Rejected {
        Rejected { refused_write: true, ..self }
    }
}

/// Every value of a batch that a validator refused, not just the first.
#[derive(Debug, thiserror::Error)]
#[error("{} value(s) refused: {}; nothing was written", .0.len(), .0.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; "))]
pub struct Rejections(pub Vec<Rejected>);

/// A declared validator that could not run on a key's value: a bad
/// declaration (exit 2), not a refusal of the value (exit 3).
#[derive(Debug, thiserror::Error)]
#[error("{key}: {name} cannot run ({message}); fix its declaration in {}{}", .declared_in.display(), if *.refused_write { "; nothing was written" } else { "" })]
pub struct CannotRun {
    pub key: Key,
    pub name: String,
    pub message: String,
    /// The config file that declared it.
    pub declared_in: PathBuf,
    pub refused_write: bool,
}

/// Why the registry did not accept a value, or a batch of them.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Value(Rejected),
    #[error(transparent)]
    Values(Rejections),
    #[error(transparent)]
    CannotRun(CannotRun),
}

impl Refusal {
    /// The same refusal, said of a write that did not happen.
    pub fn of_write(self) -> Refusal {
        match self {
            Refusal::Value(rejected) => Refusal::Value(rejected.of_write()),
            Refusal::CannotRun(e) => Refusal::CannotRun(CannotRun { refused_write: true, ..e }),
            values => values,
        }
    }

    /// Whether the value is at fault (exit 3), rather than a validator's declaration (exit 2).
    pub fn is_of_value(&self) -> bool {
        !matches!(self, Refusal::CannotRun(_))
    }
}

pub struct Registry {
    rules: Vec<Rule>,
}

/// Which keys a validator applies to, and where it was declared.
pub struct Rule {
    pub pattern: Pattern,
    pub kind: Kind,
    /// The config file that declared it; None for the built-in rule.
    pub source: Option<PathBuf>,
    validator: Box<dyn Validator>,
}

impl Rule {
    pub fn name(&self) -> &str {
        self.validator.name()
    }
}

/// The key Open vStorage's Celery beat reads its schedule from.
pub const CELERY_SCHEDULE_KEY: &str = "/ovs/framework/scheduling/celery";

impl Registry {
    /// The validators this build knows.
    pub fn builtin() -> Registry {
        let celery = Key::parse(CELERY_SCHEDULE_KEY).expect("constant key is valid");
        let rule = Rule {
            pattern: Pattern::exact(&celery),
            kind: Kind::Celery,
            source: None,
            validator: Box::new(celery::CelerySchedule),
        };
        Registry { rules: vec![rule] }
    }

    /// The built-in rule, then those `specs` declare in `file`; a command
    /// validator is bounded by `timeout`. A bad declaration names the file,
    /// the validator and what is wrong.
    pub fn with_declared(specs: &[Spec], file: &std::path::Path, timeout: Duration) -> Result<Registry, String> {
        let mut registry = Registry::builtin();
        for (i, spec) in specs.iter().enumerate() {
            let rule = declared::build(spec, file, timeout).map_err(|e| {
                format!(
                    "config file {}: validator {} ({} {}): {e}",
                    file.display(),
                    i + 1,
                    spec.kind.as_str(),
                    spec.pattern
                )
            })?;
            registry.rules.push(rule);
        }
        Ok(registry)
    }

    /// Every rule, in the order they run.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rules that apply to `key`, in the order they run.
    pub fn rules_for<'a>(&'a self, key: &'a Key) -> impl Iterator<Item = &'a Rule> + 'a {
        self.rules.iter().filter(move |rule| rule.pattern.matches(key))
    }

    /// The editor's file suffix for `key`: the first applying rule's that has one.
    pub fn suffix_for(&self, key: &Key) -> Option<&'static str> {
        self.rules_for(key).find_map(|rule| rule.validator.suffix())
    }

    /// Run the validators on every value; all refusals are reported at
    /// once. A validator that cannot run ends the check: it would fail on
    /// every value.
    pub fn check_all<'a>(&self, values: impl Iterator<Item = (&'a Key, &'a [u8])>) -> Result<(), Refusal> {
        let mut refused = Vec::new();
        for (key, value) in values {
            match self.check(key, value) {
                Ok(_) => {}
                Err(Refusal::Value(rejected)) => refused.push(rejected),
                Err(other) => return Err(other),
            }
        }
        if refused.is_empty() {
            Ok(())
        } else {
            Err(Refusal::Values(Rejections(refused)))
        }
    }

    /// Run every validator that applies to `key`, in order; the first
    /// refusal is the answer. Returns the names of those that accepted the
    /// value ("json and json-schema x.json"), None when none applies.
    pub fn check(&self, key: &Key, value: &[u8]) -> Result<Option<String>, Refusal> {
        let mut names = Vec::new();
        for rule in self.rules_for(key) {
            rule.validator.check(key, value).map_err(|fault| match fault {
                Fault::Refused(message) => Refusal::Value(Rejected {
                    key: key.clone(),
                    name: rule.name().to_string(),
                    message,
                    refused_write: false,
                }),
                Fault::CannotRun(message) => Refusal::CannotRun(CannotRun {
                    key: key.clone(),
                    name: rule.name().to_string(),
                    message,
                    declared_in: rule.source.clone().unwrap_or_else(|| "this build".into()),
                    refused_write: false,
                }),
            })?;
            names.push(rule.name());
        }
        Ok((!names.is_empty()).then(|| names.join(" and ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(yaml: &str) -> Registry {
        let specs: Vec<Spec> = serde_yaml::from_str(yaml).unwrap();
        Registry::with_declared(&specs, std::path::Path::new("/x/config.yaml"), Duration::from_secs(5)).unwrap()
    }

    #[test]
    fn every_matching_rule_runs_in_order_and_the_first_refusal_wins() {
        let reg = registry(
            "- {pattern: /app/**, kind: json}
- {pattern: /app/*/port, kind: regex, regex: '[0-9]+'}
",
        );
        let port = Key::parse("/app/web/port").unwrap();
        assert_eq!(reg.check(&port, b"80").unwrap().as_deref(), Some("json and regex"));
        let name = |refusal: Refusal| match refusal {
            Refusal::Value(rejected) => rejected.name,
            other => panic!("{other}"),
        };
        assert_eq!(name(reg.check(&port, b"eighty").unwrap_err()), "json");
        assert_eq!(name(reg.check(&port, b"\"80\"").unwrap_err()), "regex");
        assert_eq!(reg.check(&Key::parse("/other").unwrap(), b"x").unwrap(), None);
        assert_eq!(reg.suffix_for(&port), Some(".json"));
    }

    #[test]
    fn the_builtin_celery_rule_stays_first() {
        let reg = registry("- {pattern: /ovs/**, kind: yaml}\n");
        let kinds: Vec<Kind> = reg.rules().iter().map(|r| r.kind).collect();
        assert_eq!(kinds, [Kind::Celery, Kind::Yaml]);
        let refused = reg.check(&Key::parse(CELERY_SCHEDULE_KEY).unwrap(), b"{\"t\": {\"minute\": \"61\"}}");
        assert!(matches!(refused, Err(Refusal::Value(r)) if r.name == "celery schedule"));
    }

    #[test]
    fn a_bad_declaration_names_the_file_and_the_validator() {
        let specs: Vec<Spec> =
            serde_yaml::from_str("- {pattern: /a, kind: json}\n- {pattern: /b, kind: regex, regex: '['}\n").unwrap();
        let err = Registry::with_declared(&specs, std::path::Path::new("/x/config.yaml"), Duration::from_secs(5))
            .map(|_| ())
            .unwrap_err();
        assert!(err.starts_with("config file /x/config.yaml: validator 2 (regex /b): bad regex"), "{err}");
    }
}
