//! What every command that touches a store is handed, and the checks every
//! value passes before any write: the pipeline's stages all take it.

use std::sync::OnceLock;

use anyhow::Result;

use crate::exit::UsageError;
use crate::output::Printer;
use crate::settings::{Settings, Target};
use crate::store::{self, Key, Store, StoreError};
use crate::validate::{Refusal, Registry};

/// What every command that touches the store gets.
pub struct Ctx<'a> {
    /// The stores named: reads use the first, writes go to all.
    pub targets: &'a [Target],
    /// To open the other stores a command names (copy, compare, mirror).
    pub settings: &'a Settings,
    /// Built on first use, by the commands that write or validate: a read
    /// never pays for the validators (a large schema takes seconds).
    registry: OnceLock<Registry>,
    pub out: &'a Printer,
    pub interactive: bool,
    pub max_value_size: Option<u64>,
}

/// The built-in validators and those the config file declares; a bad
/// declaration is a usage error naming the file and the validator.
pub fn build_registry(settings: &Settings) -> Result<Registry> {
    Ok(match &settings.config {
        Some(file) => Registry::with_declared(&file.validators, &file.path, settings.timeout()).map_err(UsageError)?,
        None => Registry::builtin(),
    })
}

impl<'a> Ctx<'a> {
    /// The context of the stores `settings` names, printing with `out`.
    pub fn new(settings: &'a Settings, out: &'a Printer) -> Ctx<'a> {
        Ctx {
            targets: &settings.stores,
            settings,
            registry: OnceLock::new(),
            out,
            interactive: settings.interactive,
            max_value_size: settings.max_value_size,
        }
    }
}

impl Ctx<'_> {
    /// The validators, built the first time a command needs them.
    pub fn registry(&self) -> Result<&Registry> {
        if let Some(registry) = self.registry.get() {
            return Ok(registry);
        }
        let built = build_registry(self.settings)?;
        Ok(self.registry.get_or_init(|| built))
    }

    /// The store reads use: the first one named.
    pub fn store(&self) -> Result<&dyn Store, StoreError> {
        self.targets[0].store()
    }

    /// Refuse, before any I/O, a value over any target store's limit.
    pub fn check_size(&self, value: &[u8]) -> Result<(), StoreError> {
        self.check_size_in(self.targets, value)
    }

    /// Refuse a value over the limit of any of `stores`, those it is bound
    /// for (the targets, or the destination of a copy).
    pub fn check_size_in(&self, stores: &[Target], value: &[u8]) -> Result<(), StoreError> {
        for target in stores {
            store::check_value_size(&target.name(), &target.capabilities(), value, self.max_value_size)?;
        }
        Ok(())
    }

    /// What every value of a batch bound for `stores` passes before any is
    /// written: sizes first (a huge value is never parsed), then every
    /// validator; every refused key is named, not only the first.
    pub fn check_entries(&self, stores: &[Target], entries: &[(Key, Vec<u8>)]) -> Result<()> {
        for (_, value) in entries {
            self.check_size_in(stores, value)?;
        }
        self.registry()?.check_all(entries.iter().map(|(k, v)| (k, v.as_slice())))?;
        Ok(())
    }

    /// What every value passes before it is written: the store's size limit
    /// (first, so a huge value is never parsed), then the validators.
    /// Returns the names of the validators that accepted it, if any.
    pub fn check_value(&self, key: &Key, value: &[u8]) -> Result<Option<String>, anyhow::Error> {
        self.check_size(value)?;
        Ok(self.registry()?.check(key, value).map_err(Refusal::of_write)?)
    }
}

/// Commands that read or write one value refuse the root before any I/O.
pub fn leaf(key: &Key) -> Result<&Key> {
    if key.is_root() {
        return Err(UsageError("\"/\" is a prefix, not a key: name a key below it".into()).into());
    }
    Ok(key)
}
