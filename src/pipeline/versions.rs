//! The versions of a key that a store keeps, as `history` shows them and
//! `rollback` writes one back.

use anyhow::Result;

use super::Ctx;
use crate::exit::{NotFound, UsageError};
use crate::store::{History, Key, Version};

/// The history of `key` in the first store (revisions belong to one store);
/// a store that keeps none is a usage error.
pub fn read(ctx: &Ctx, key: &Key) -> Result<History> {
    let store = ctx.store()?;
    if !store.capabilities().history {
        return Err(UsageError(format!(
            "{}: this store keeps no history of its keys (etcd does, until it compacts)",
            store.describe()
        ))
        .into());
    }
    Ok(store.history(key)?)
}

/// The version at revision `rev`, or not found (exit 4).
pub fn find<'h>(history: &'h History, key: &Key, rev: u64) -> Result<&'h Version> {
    history.versions.iter().find(|v| v.revision.0 == rev).ok_or_else(|| {
        let known = history.versions.iter().map(|v| v.revision.to_string()).collect::<Vec<_>>().join(", ");
        NotFound(format!("{key} has no version at revision {rev} (it has: {known}; see `ovs config history {key}`)"))
            .into()
    })
}
