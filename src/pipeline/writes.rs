//! The kinds of write made to every store named (see [`super::fanout`]):
//! what each reads from a store, the changes it makes there, and how it
//! commits them guarded by what it read.

use anyhow::Result;

use super::documents::commit_plan;
use super::fanout::{self, Fanned};
use super::field;
use super::Ctx;
use crate::document::Document;
use crate::plan::{Change, Plan};
use crate::store::{Committed, Entry, Key, Precondition, Store, StoreError, Write};

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

/// How often a field set reads the value again after a concurrent change.
const FIELD_ATTEMPTS: usize = 5;

/// One field of a JSON or YAML value set in every store: read, edited,
/// checked whole and written back guarded by the revision read — read again
/// and retried when another write got there first.
pub struct FieldPut<'a> {
    pub ctx: &'a Ctx<'a>,
    pub key: &'a Key,
    pub pointer: &'a str,
    pub field: field::NewField,
    /// --if-revision: that revision, and no retry.
    pub cond: Option<Precondition>,
}

impl FieldPut<'_> {
    /// The whole value with the field set, checked.
    pub fn edit(&self, seen: &Option<Entry>) -> Result<Vec<u8>> {
        let entry = seen.as_ref().ok_or_else(|| StoreError::NotFound { key: self.key.clone() })?;
        let mut doc = field::Structured::parse(self.key, &entry.value)?;
        doc.set(self.key, self.pointer, &self.field)?;
        let value = doc.to_bytes();
        self.ctx.check_value(self.key, &value)?;
        Ok(value)
    }
}

impl Fanned for FieldPut<'_> {
    type Seen = Option<Entry>;

    fn read(&self, store: &dyn Store) -> Result<Option<Entry>> {
        Ok(fanout::current(store, self.key)?)
    }

    fn changes(&self, seen: &Option<Entry>) -> Vec<Change> {
        self.edit(seen)
            .map(|new| vec![Change { key: self.key.clone(), old: seen.clone(), new: Some(new) }])
            .unwrap_or_default()
    }

    fn commit(&self, store: &dyn Store, seen: &Option<Entry>) -> Result<Committed> {
        let mut seen = seen.clone();
        for attempt in 1..=FIELD_ATTEMPTS {
            let value = self.edit(&seen)?;
            let cond = self.cond.unwrap_or_else(|| guard(&seen));
            match store.commit(&[Write::put(self.key, &value, cond)]) {
                Err(StoreError::Conflict { .. }) if self.cond.is_none() && attempt < FIELD_ATTEMPTS => {
                    tracing::debug!(attempt, "the value changed under the field edit; reading it again");
                    seen = fanout::current(store, self.key)?;
                }
                result => return Ok(result?),
            }
        }
        unreachable!("the last attempt returns")
    }
}

/// One key deleted from every store.
pub struct Delete<'a> {
    pub key: &'a Key,
    pub cond: Precondition,
}

impl Fanned for Delete<'_> {
    type Seen = Option<Entry>;

    fn read(&self, store: &dyn Store) -> Result<Option<Entry>> {
        Ok(fanout::current(store, self.key)?)
    }

    fn changes(&self, seen: &Option<Entry>) -> Vec<Change> {
        vec![Change { key: self.key.clone(), old: seen.clone(), new: None }]
    }

    fn commit(&self, store: &dyn Store, _seen: &Option<Entry>) -> Result<Committed> {
        Ok(store.commit(&[Write::delete(self.key, self.cond)])?)
    }
}

/// A subtree deleted from every store.
pub struct DeleteTree<'a> {
    pub prefix: &'a Key,
}

impl Fanned for DeleteTree<'_> {
    /// The keys below the prefix (kept in the outbox for a store that missed it).
    type Seen = Vec<Entry>;

    fn read(&self, store: &dyn Store) -> Result<Vec<Entry>> {
        Ok(store.scan(self.prefix)?.collect::<Result<_, _>>()?)
    }

    fn changes(&self, seen: &Vec<Entry>) -> Vec<Change> {
        // A key ovs cannot address (another tool's) goes with the tree but
        // cannot be named in the outbox.
        seen.iter()
            .filter_map(|e| Key::exact(&e.key).map(|key| Change { key, old: Some(e.clone()), new: None }))
            .collect()
    }

    fn commit(&self, store: &dyn Store, _seen: &Vec<Entry>) -> Result<Committed> {
        let committed = store.commit(&[Write::delete_tree(self.prefix)])?;
        // The key itself counts: `delete -r /a` removes /a and what is below it.
        if committed.deleted == 0 {
            return Err(StoreError::NotFound { key: self.prefix.clone() }.into());
        }
        Ok(committed)
    }
}

/// A document made to hold in every store.
pub struct ApplyDoc<'a> {
    pub doc: &'a Document,
    pub prune: bool,
    pub chunked: bool,
    /// -q: no progress bar either.
    pub quiet: bool,
}

impl Fanned for ApplyDoc<'_> {
    type Seen = Plan;

    fn read(&self, store: &dyn Store) -> Result<Plan> {
        Ok(Plan::compute(store.scan(&self.doc.prefix)?, self.doc, self.prune)?)
    }

    fn changes(&self, plan: &Plan) -> Vec<Change> {
        plan.changes.clone()
    }

    fn commit(&self, store: &dyn Store, plan: &Plan) -> Result<Committed> {
        commit_plan(store, &self.doc.prefix, plan, self.chunked, self.quiet)
    }
}

/// The subtree as each store holds it, and the edited document to make it.
pub struct TreeWrite<'a> {
    pub prefix: &'a Key,
    pub doc: Option<&'a Document>,
}

impl TreeWrite<'_> {
    pub fn plan(&self, seen: &[Entry]) -> Result<Plan> {
        let doc = self.doc.expect("planned only once edited");
        Ok(Plan::compute(seen.iter().cloned().map(Ok), doc, true)?)
    }
}

impl Fanned for TreeWrite<'_> {
    type Seen = Vec<Entry>;

    fn read(&self, store: &dyn Store) -> Result<Vec<Entry>> {
        Ok(store.scan(self.prefix)?.collect::<Result<_, _>>()?)
    }

    fn changes(&self, seen: &Vec<Entry>) -> Vec<Change> {
        self.plan(seen).map(|p| p.changes).unwrap_or_default()
    }

    fn commit(&self, store: &dyn Store, seen: &Vec<Entry>) -> Result<Committed> {
        commit_plan(store, self.prefix, &self.plan(seen)?, false, true)
    }
}
