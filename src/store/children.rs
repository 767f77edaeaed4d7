//! Children derived from a sorted stream of full keys. Keys below one child
//! are contiguous in byte order, so dropping consecutive repeats is enough
//! and memory stays constant.

use super::{Entries, Key, StoreError};

/// The immediate children of `prefix` (as [`super::Store::children`] lists
/// them) among `keys`, the sorted keys of its subtree.
pub fn from_keys<'a>(prefix: Key, keys: Entries<'a>) -> Entries<'a> {
    let mut last: Option<String> = None;
    Box::new(keys.filter_map(move |item| {
        let key = match item {
            Ok(key) => key,
            Err(e) => return Some(Err(e)),
        };
        let rel = prefix.relative(&key)?;
        let child = match rel.split_once('/') {
            Some((name, _)) => format!("{name}/"),
            None => rel.to_string(),
        };
        if last.as_deref() == Some(child.as_str()) {
            return None;
        }
        last = Some(child.clone());
        Some(Ok::<String, StoreError>(child))
    }))
}
