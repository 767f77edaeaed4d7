//! Writes that several commands make to every store named.

use anyhow::Result;

use super::fanout::{self, Fanned};
use crate::pipeline::plan::Change;
use crate::store::{Committed, Entry, Key, Precondition, Store, Write};

/// One value written to every store.
pub struct Put<'a> {
    pub key: &'a Key,
    pub value: &'a [u8],
    /// The precondition given, or None: guarded by the revision each store
    /// showed when it was read (edit, rollback).
    pub cond: Option<Precondition>,
}

impl Fanned for Put<'_> {
    type Seen = Option<Entry>;

    fn read(&self, store: &dyn Store) -> Result<Option<Entry>> {
        Ok(fanout::current(store, self.key)?)
    }

    fn changes(&self, seen: &Option<Entry>) -> Vec<Change> {
        vec![Change { key: self.key.clone(), old: seen.clone(), new: Some(self.value.to_vec()) }]
    }

    fn commit(&self, store: &dyn Store, seen: &Option<Entry>) -> Result<Committed> {
        let cond = self.cond.unwrap_or_else(|| guard(seen));
        Ok(store.commit(&[Write::put(self.key, self.value, cond)])?)
    }
}

/// The precondition that holds only while a key is as it was seen.
pub fn guard(seen: &Option<Entry>) -> Precondition {
    seen.as_ref().map_or(Precondition::Absent, |e| Precondition::Revision(e.revision))
}
