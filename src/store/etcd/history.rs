//! A key's past, read back from etcd's revisions: the key as it was just
//! before each version was written (a get at mod_revision - 1) is the
//! version before it. The key's `version` counts the writes since it was
//! last created, so the walk knows when it has them all; it stops early
//! where etcd has compacted the revisions away.

use etcd_client::{Error as EtcdError, GetOptions, KeyValue};
use tonic::Code;

use super::EtcdStore;
use crate::store::{root_is_not_a_key, Key, Revision, StoreError};
use crate::store::{History, Version};

pub(super) fn history(store: &EtcdStore, key: &Key) -> Result<History, StoreError> {
    root_is_not_a_key(key)?;
    let etcd_key = store.etcd_key(key);
    // The key at `revision` (0: now), or the server's refusal as it came.
    let read = |revision: i64| -> Result<Result<Option<KeyValue>, EtcdError>, StoreError> {
        let answer = store.attempt(|mut c| {
            let k = etcd_key.clone();
            async move { c.get(k, Some(GetOptions::new().with_revision(revision))).await }
        })?;
        Ok(answer.map(|mut resp| resp.take_kvs().into_iter().next()))
    };
    let current =
        read(0)?.map_err(|e| store.backend_error(e))?.ok_or_else(|| StoreError::NotFound { key: key.clone() })?;
    let (created, count) = (current.create_revision(), current.version());
    let mut versions = vec![current];
    let mut compacted = None;
    while (versions.len() as i64) < count {
        let before = versions.last().map_or(0, |kv| kv.mod_revision()) - 1;
        match read(before)? {
            Ok(Some(kv)) if kv.create_revision() == created => versions.push(kv),
            // Not the same life of the key: nothing more of this one.
            Ok(_) => break,
            Err(e) if is_compacted(&e) => {
                compacted = Some(Revision((before + 1).max(0) as u64));
                break;
            }
            Err(e) => return Err(store.backend_error(e)),
        }
    }
    let versions = versions
        .into_iter()
        .rev()
        .map(|kv| {
            let revision = Revision(kv.mod_revision().max(0) as u64);
            Version { revision, value: kv.into_key_value().1 }
        })
        .collect();
    Ok(History { versions, compacted })
}

/// etcd no longer has the revision asked for.
fn is_compacted(e: &EtcdError) -> bool {
    matches!(e, EtcdError::GRpcStatus(s) if s.code() == Code::OutOfRange && s.message().contains("compacted"))
}
