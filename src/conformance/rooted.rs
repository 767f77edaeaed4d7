//! A store seen below one of its prefixes, as if that prefix were its root:
//! the checks, written for a fresh, empty store, run in a corner of a
//! store that holds other data, and their keys, listings and errors read as
//! they would on an empty one.

use std::time::{Duration, Instant};

use crate::store::{
    batch, root_is_not_a_key, Capabilities, Committed, Entries, Entry, Event, History, Identity, Key, Revision, Scan,
    Store, StoreError, Update, Version, Watcher, Write,
};

pub struct Rooted<'s> {
    inner: &'s dyn Store,
    root: Key,
}

impl<'s> Rooted<'s> {
    /// `inner` below `root` (not the store's root).
    pub fn new(inner: &'s dyn Store, root: Key) -> Rooted<'s> {
        Rooted { inner, root }
    }

    /// The inner store's key for `key`.
    fn inside(&self, key: &Key) -> Key {
        match key.is_root() {
            true => self.root.clone(),
            false => Key::parse(&format!("{}{}", self.root.as_str(), key.as_str())).expect("a key below a key"),
        }
    }

    /// The key as the checks name it; one outside the root (a store's bug)
    /// is left whole, for the check to show.
    fn outside(&self, key: &str) -> String {
        match key.strip_prefix(self.root.as_str()) {
            Some("") => "/".into(),
            Some(rest) if rest.starts_with('/') => rest.into(),
            _ => key.into(),
        }
    }

    fn outside_key(&self, key: Key) -> Key {
        Key::parse(&self.outside(key.as_str())).unwrap_or(key)
    }

    fn error(&self, err: StoreError) -> StoreError {
        match err {
            StoreError::NotFound { key } => StoreError::NotFound { key: self.outside_key(key) },
            StoreError::Conflict { key, detail } => StoreError::Conflict { key: self.outside_key(key), detail },
            other => other,
        }
    }

    fn write(&self, w: &Write) -> Write {
        Write { key: self.inside(&w.key), ..w.clone() }
    }
}

#[deny(clippy::missing_trait_methods)]
impl Store for Rooted<'_> {
    fn describe(&self) -> &str {
        self.inner.describe()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    fn get(&self, key: &Key) -> Result<Version, StoreError> {
        root_is_not_a_key(key)?;
        self.inner.get(&self.inside(key)).map_err(|e| self.error(e))
    }

    fn keys(&self, prefix: &Key) -> Result<Entries<'_>, StoreError> {
        let keys = self.inner.keys(&self.inside(prefix)).map_err(|e| self.error(e))?;
        let keys = keys.map(|k| k.map(|k| self.outside(&k)).map_err(|e| self.error(e)));
        // The view's root is a key of the inner store, but no key here.
        Ok(Box::new(keys.filter(|k| k.as_ref().map_or(true, |k| k != "/"))))
    }

    fn children(&self, prefix: &Key) -> Result<Entries<'_>, StoreError> {
        let children = self.inner.children(&self.inside(prefix)).map_err(|e| self.error(e))?;
        Ok(Box::new(children.map(|c| c.map_err(|e| self.error(e)))))
    }

    fn commit(&self, writes: &[Write]) -> Result<Committed, StoreError> {
        // The root of this view is a key of the inner store: refused here.
        batch::check(self.describe(), &self.capabilities(), writes)?;
        let inside: Vec<Write> = writes.iter().map(|w| self.write(w)).collect();
        self.inner.commit(&inside).map_err(|e| self.error(e))
    }

    fn scan(&self, prefix: &Key) -> Result<Scan<'_>, StoreError> {
        let entries = self.inner.scan(&self.inside(prefix)).map_err(|e| self.error(e))?;
        let entries = entries.map(|e| {
            e.map(|Entry { key, value, revision }| Entry { key: self.outside(&key), value, revision })
                .map_err(|e| self.error(e))
        });
        Ok(Box::new(entries.filter(|e| e.as_ref().map_or(true, |e| e.key != "/"))))
    }

    fn watch(&self, prefix: &Key, after: Option<Revision>) -> Result<Box<dyn Watcher + '_>, StoreError> {
        let inner = self.inner.watch(&self.inside(prefix), after).map_err(|e| self.error(e))?;
        Ok(Box::new(RootedWatcher { view: self, inner }))
    }

    fn history(&self, key: &Key) -> Result<History, StoreError> {
        root_is_not_a_key(key)?;
        self.inner.history(&self.inside(key)).map_err(|e| self.error(e))
    }

    /// The whole store's history: a corner of it has no other.
    fn identity(&self) -> Result<Option<Identity>, StoreError> {
        self.inner.identity().map_err(|e| self.error(e))
    }
}

struct RootedWatcher<'v> {
    view: &'v Rooted<'v>,
    inner: Box<dyn Watcher + 'v>,
}

impl Watcher for RootedWatcher<'_> {
    fn next(&mut self, wait: Duration) -> Result<Option<Update>, StoreError> {
        let view = self.view;
        let outside = |events: Vec<Event>| -> Vec<Event> {
            let events = events.into_iter().map(|e| Event { key: view.outside(&e.key), ..e });
            events.filter(|e| e.key != "/").collect()
        };
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let update = match self.inner.next(left).map_err(|e| view.error(e))? {
                None => return Ok(None),
                Some(Update::Changes(events)) => Update::Changes(outside(events)),
                Some(Update::Resynced { compacted, changes, complete }) => {
                    Update::Resynced { compacted, changes: outside(changes), complete }
                }
            };
            // A change to the view's root alone is no change here.
            if matches!(update, Update::Resynced { .. }) || !update.events().is_empty() {
                return Ok(Some(update));
            }
            if left.is_zero() {
                return Ok(None);
            }
        }
    }

    fn position(&self) -> Option<Revision> {
        self.inner.position()
    }
}
