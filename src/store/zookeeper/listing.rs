//! Listings. ZooKeeper answers one znode at a time, so every batch of
//! requests is sent before the first answer is awaited: a directory's
//! children are all asked for at once, and `list -r` costs one round trip
//! per directory level it expands, not one per znode. `getChildren2` returns
//! a znode's stat with its children, which is all `is_key` needs.
//!
//! `keys` walks depth-first in byte order of the full key: a child `name`
//! sorts as `name` and its subtree as `name/`, which is where `/a/x` falls
//! among `/a-b` and `/a0`. Memory holds the directories still to expand on
//! the current path, not the tree.

use std::future::Future;

use futures::future::join_all;
use zookeeper_client as zk;

use super::{is_key, ZkStore};
use crate::store::{Entries, StoreError};

/// Requests in flight at once.
const BATCH: usize = 1_000;

fn join(path: &str, name: &str) -> String {
    if path == "/" {
        format!("/{name}")
    } else {
        format!("{path}/{name}")
    }
}

/// `op` on every path, pipelined; None where the znode is gone.
fn each<T, F, Fut>(store: &ZkStore, paths: &[String], op: F) -> Result<Vec<Option<T>>, StoreError>
where
    F: Fn(zk::Client, String) -> Fut + Copy,
    Fut: Future<Output = Result<T, zk::Error>>,
{
    let mut out = Vec::with_capacity(paths.len());
    for chunk in paths.chunks(BATCH) {
        let answers = store.run(|c| async move {
            let pending = chunk.iter().map(|p| op(c.clone(), p.clone()));
            join_all(pending)
                .await
                .into_iter()
                .map(|answer| match answer {
                    Ok(value) => Ok(Some(value)),
                    Err(zk::Error::NoNode) => Ok(None),
                    Err(e) => Err(e),
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        out.extend(answers);
    }
    Ok(out)
}

/// Children names and stat of every path.
fn expand(store: &ZkStore, paths: &[String]) -> Result<Vec<Option<(Vec<String>, zk::Stat)>>, StoreError> {
    each(store, paths, |c, p| async move { c.get_children(&p).await })
}

/// The children of `path` that ovs may show (not ZooKeeper's own tree).
fn child_paths(store: &ZkStore, path: &str, names: Vec<String>) -> Vec<String> {
    names
        .into_iter()
        .filter(|name| !(store.root.is_empty() && path == "/" && name == "zookeeper"))
        .map(|name| join(path, &name))
        .collect()
}

pub(super) fn children(store: &ZkStore, path: String) -> Result<Entries<'_>, StoreError> {
    let Some(Some((names, _))) = expand(store, std::slice::from_ref(&path))?.pop() else {
        return Ok(Box::new(std::iter::empty()));
    };
    let paths = child_paths(store, &path, names);
    let stats = each(store, &paths, |c, p| async move { c.check_stat(&p).await })?;
    let mut entries = Vec::with_capacity(paths.len());
    for (child, stat) in paths.iter().zip(stats) {
        let Some(Some(stat)) = stat else { continue };
        let name = &child[child.rfind('/').map_or(0, |i| i + 1)..];
        if is_key(&stat) {
            entries.push(name.to_string());
        }
        if stat.num_children > 0 {
            entries.push(format!("{name}/"));
        }
    }
    entries.sort();
    Ok(Box::new(entries.into_iter().map(Ok)))
}

/// A step of the depth-first walk: a key to emit, or a znode to expand.
enum Item {
    Key(String),
    Dir(String, Vec<String>),
}

impl Item {
    fn order(&self) -> (&str, bool) {
        match self {
            Item::Key(path) => (path, false),
            Item::Dir(path, _) => (path, true),
        }
    }
}

/// Byte order of `path` for keys and `path/` for subtrees.
fn by_key_order(a: &Item, b: &Item) -> std::cmp::Ordering {
    let ((pa, da), (pb, db)) = (a.order(), b.order());
    let tail = |dir| if dir { &b"/"[..] } else { &b""[..] };
    pa.as_bytes().iter().chain(tail(da)).cmp(pb.as_bytes().iter().chain(tail(db)))
}

pub(super) fn keys(store: &ZkStore, top: String) -> Entries<'_> {
    let mut stack: Vec<Item> = Vec::new();
    let mut start = Some(top);
    Box::new(std::iter::from_fn(move || loop {
        if let Some(top) = start.take() {
            match expand(store, std::slice::from_ref(&top)) {
                Ok(mut found) => {
                    if let Some(Some((names, _))) = found.pop() {
                        stack.push(Item::Dir(top, names));
                    }
                }
                Err(e) => return Some(Err(e)),
            }
        }
        match stack.pop()? {
            Item::Key(path) => return Some(Ok(store.key_of(&path))),
            Item::Dir(path, names) => {
                let paths = child_paths(store, &path, names);
                let found = match expand(store, &paths) {
                    Ok(found) => found,
                    Err(e) => return Some(Err(e)),
                };
                let mut items = Vec::with_capacity(paths.len());
                for (child, found) in paths.into_iter().zip(found) {
                    let Some((names, stat)) = found else { continue };
                    if is_key(&stat) {
                        items.push(Item::Key(child.clone()));
                    }
                    if !names.is_empty() {
                        items.push(Item::Dir(child, names));
                    }
                }
                items.sort_by(by_key_order);
                stack.extend(items.into_iter().rev());
            }
        }
    }))
}

/// Every znode at and below `top`, breadth first (parents before children),
/// with its stat: what a recursive delete must remove.
pub(super) fn subtree(store: &ZkStore, top: &str) -> Result<Vec<(String, zk::Stat)>, StoreError> {
    let mut out = Vec::new();
    let mut level = vec![top.to_string()];
    while !level.is_empty() {
        let found = expand(store, &level)?;
        let mut next = Vec::new();
        for (path, found) in level.into_iter().zip(found) {
            let Some((names, stat)) = found else { continue };
            next.extend(child_paths(store, &path, names));
            out.push((path, stat));
        }
        level = next;
    }
    Ok(out)
}
