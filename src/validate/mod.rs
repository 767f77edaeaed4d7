//! Validators chosen by key. Every write path (`set`, `edit`, and the batch
//! commands to come) runs [`Registry::check`] before it touches the store,
//! and `ovs config validate` runs it without writing.

pub mod celery;

use crate::store::Key;

pub trait Validator: Send + Sync {
    /// What the value is, for messages: "celery schedule".
    fn name(&self) -> &'static str;
    /// Ok, or one line saying what is wrong.
    fn check(&self, value: &[u8]) -> Result<(), String>;
    /// File suffix for `edit`, so the editor highlights the right syntax.
    fn suffix(&self) -> &'static str;
}

/// A value a validator refused.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {name}: {message}{}", if *.refused_write { "; nothing was written" } else { "" })]
pub struct Rejected {
    pub key: Key,
    pub name: &'static str,
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

pub struct Registry {
    rules: Vec<(Key, Box<dyn Validator>)>,
}

/// The key Open vStorage's Celery beat reads its schedule from.
pub const CELERY_SCHEDULE_KEY: &str = "/ovs/framework/scheduling/celery";

impl Registry {
    /// The validators this build knows.
    pub fn builtin() -> Registry {
        let celery = Key::parse(CELERY_SCHEDULE_KEY).expect("constant key is valid");
        Registry { rules: vec![(celery, Box::new(celery::CelerySchedule))] }
    }

    pub fn validator_for(&self, key: &Key) -> Option<&dyn Validator> {
        self.rules.iter().find(|(pattern, _)| pattern == key).map(|(_, v)| v.as_ref())
    }

    /// Run the validators on every value; all refusals are reported at once.
    pub fn check_all<'a>(&self, values: impl Iterator<Item = (&'a Key, &'a [u8])>) -> Result<(), Rejections> {
        let refused: Vec<Rejected> = values.filter_map(|(key, value)| self.check(key, value).err()).collect();
        if refused.is_empty() {
            Ok(())
        } else {
            Err(Rejections(refused))
        }
    }

    /// Run the validator for `key`, if there is one. Returns its name when a
    /// validator accepted the value, None when no validator applies.
    pub fn check(&self, key: &Key, value: &[u8]) -> Result<Option<&'static str>, Rejected> {
        let Some(validator) = self.validator_for(key) else { return Ok(None) };
        validator.check(value).map(|()| Some(validator.name())).map_err(|message| Rejected {
            key: key.clone(),
            name: validator.name(),
            message,
            refused_write: false,
        })
    }
}
