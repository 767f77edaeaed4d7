//! Listings. ZooKeeper answers one znode per request and serves one
//! session's requests in order, so asking for znodes one by one costs a
//! round trip each, and even pipelined requests cost the server a full
//! request each. Instead a directory's children are classified together:
//! one multi-read (ZooKeeper 3.6+) asks for all their children lists, and
//! only the children that have children of their own need their stat
//! (pipelined) to tell whether they also hold a value. `list -r` thus costs a
//! few requests per directory it expands, not one per znode.
//!
//! `keys` walks depth-first in byte order of the full key: a child `name`
//! sorts as `name` and its subtree as `name/`, which is where `/a/x` falls
//! among `/a-b` and `/a0`. Memory holds the directories still to expand on
//! the current path, not the tree. `scan` takes the same walk and reads the
//! values of a batch of keys at a time. Both cover the prefix's subtree: the
//! prefix's own znode, first, when it is a key, then its descendants.

use futures::future::join_all;
use zookeeper_client as zk;

use super::{inside_zookeeper, is_key, lost, revision, ZkStore};
use crate::store::{Entries, Entry, Scan, StoreError};

/// Requests in flight at once, and paths per multi-read.
const BATCH: usize = 1_000;
/// Values a scan reads at once (and holds in memory).
const SCAN_BATCH: usize = 100;

fn join(path: &str, name: &str) -> String {
    if path == "/" {
        format!("/{name}")
    } else {
        format!("{path}/{name}")
    }
}

/// What a listing needs to know of a znode.
struct Node {
    is_key: bool,
    children: Vec<String>,
}

/// The children lists of `paths`, one multi-read per batch; None where the
/// znode is gone.
fn children_lists(store: &ZkStore, paths: &[String]) -> Result<Vec<Option<Vec<String>>>, StoreError> {
    let mut out = Vec::with_capacity(paths.len());
    for chunk in paths.chunks(BATCH) {
        let answers = store.run(|c| async move {
            let mut reader = c.new_multi_reader();
            for path in chunk {
                reader.add_get_children(path)?;
            }
            reader.commit().await
        })?;
        for (path, answer) in chunk.iter().zip(answers) {
            out.push(match answer {
                zk::MultiReadResult::Children { children } => Some(children),
                zk::MultiReadResult::Error { err: zk::Error::NoNode } => None,
                // Said per path: a bare "not authorized" would not tell which.
                zk::MultiReadResult::Error { err: e @ zk::Error::NoAuth } => {
                    return Err(store.refused(&format!("listing {}", store.key_of(path)), e))
                }
                zk::MultiReadResult::Error { err } => return Err(store.error(err)),
                _ => {
                    return Err(
                        store.error(zk::Error::UnexpectedError("a children read answered something else".into()))
                    )
                }
            });
        }
    }
    Ok(out)
}

/// Stats of `paths`, pipelined: every request is sent before the first
/// answer is awaited. (`exists` checks no ACL: a znode that may not be read
/// is refused by its children list, above, by name.)
pub(super) fn stats(store: &ZkStore, paths: &[String]) -> Result<Vec<Option<zk::Stat>>, StoreError> {
    let mut out = Vec::with_capacity(paths.len());
    for chunk in paths.chunks(BATCH) {
        let answers = store.run(|c| async move {
            let pending = chunk.iter().map(|p| {
                let (c, p) = (c.clone(), p.clone());
                async move { c.check_stat(&p).await }
            });
            join_all(pending).await.into_iter().collect::<Result<Vec<_>, _>>()
        })?;
        out.extend(answers);
    }
    Ok(out)
}

/// Classify `paths`: a znode without children is a key; one with children
/// is a key only if it has data, which its stat says.
fn classify(store: &ZkStore, paths: &[String]) -> Result<Vec<Option<Node>>, StoreError> {
    let lists = children_lists(store, paths)?;
    let parents: Vec<String> = paths
        .iter()
        .zip(&lists)
        .filter(|(_, l)| l.as_ref().is_some_and(|l| !l.is_empty()))
        .map(|(p, _)| p.clone())
        .collect();
    let mut parent_stats = stats(store, &parents)?.into_iter();
    Ok(lists
        .into_iter()
        .map(|list| {
            let children = list?;
            if children.is_empty() {
                return Some(Node { is_key: true, children });
            }
            let stat = parent_stats.next().flatten()?;
            Some(Node { is_key: is_key(&stat), children })
        })
        .collect())
}

/// The children of `path` that ovs may show (not ZooKeeper's own tree).
fn child_paths(path: &str, names: Vec<String>) -> Vec<String> {
    names.into_iter().map(|name| join(path, &name)).filter(|child| !inside_zookeeper(child)).collect()
}

pub(super) fn children(store: &ZkStore, path: String) -> Result<Entries<'_>, StoreError> {
    let Some(Some(top)) = classify(store, std::slice::from_ref(&path))?.pop() else {
        return Ok(Box::new(std::iter::empty()));
    };
    let paths = child_paths(&path, top.children);
    let mut entries = Vec::with_capacity(paths.len());
    for (child, node) in paths.iter().zip(classify(store, &paths)?) {
        let Some(node) = node else { continue };
        let name = &child[child.rfind('/').map_or(0, |i| i + 1)..];
        if node.is_key {
            entries.push(name.to_string());
        }
        if !node.children.is_empty() {
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
    Box::new(key_paths(store, top).map(|path| path.map(|path| store.key_of(&path))))
}

/// The znode paths of the keys in the subtree of `top` (`top` itself, when
/// it is a key and not the root, then every key below it), in key order.
fn key_paths(store: &ZkStore, top: String) -> impl Iterator<Item = Result<String, StoreError>> + '_ {
    let mut stack: Vec<Item> = Vec::new();
    let mut start = Some(top);
    std::iter::from_fn(move || loop {
        if let Some(top) = start.take() {
            match classify(store, std::slice::from_ref(&top)) {
                Ok(mut found) => {
                    if let Some(Some(node)) = found.pop() {
                        let own = node.is_key && store.key_of(&top) != "/";
                        if !node.children.is_empty() {
                            stack.push(Item::Dir(top.clone(), node.children));
                        }
                        if own {
                            stack.push(Item::Key(top));
                        }
                    }
                }
                Err(e) => return Some(Err(e)),
            }
        }
        match stack.pop()? {
            Item::Key(path) => return Some(Ok(path)),
            Item::Dir(path, names) => {
                let paths = child_paths(&path, names);
                let nodes = match classify(store, &paths) {
                    Ok(nodes) => nodes,
                    Err(e) => return Some(Err(e)),
                };
                let mut items = Vec::with_capacity(paths.len());
                for (child, node) in paths.into_iter().zip(nodes) {
                    let Some(node) = node else { continue };
                    if node.is_key {
                        items.push(Item::Key(child.clone()));
                    }
                    if !node.children.is_empty() {
                        items.push(Item::Dir(child, node.children));
                    }
                }
                items.sort_by(by_key_order);
                stack.extend(items.into_iter().rev());
            }
        }
    })
}

/// The keys of the subtree of `top` with their values, in key order: walked as `keys`
/// walks, the data read `SCAN_BATCH` keys at a time (pipelined), so memory
/// holds one batch of values. A key gone (or become an empty parent) by the
/// time its data is read is left out.
pub(super) fn scan(store: &ZkStore, top: String) -> Scan<'_> {
    let mut paths = key_paths(store, top);
    let mut ready = std::collections::VecDeque::new();
    Box::new(std::iter::from_fn(move || loop {
        if let Some(entry) = ready.pop_front() {
            return Some(Ok(entry));
        }
        let batch = match paths.by_ref().take(SCAN_BATCH).collect::<Result<Vec<_>, _>>() {
            Ok(batch) if batch.is_empty() => return None,
            Ok(batch) => batch,
            Err(e) => return Some(Err(e)),
        };
        match values(store, &batch) {
            Ok(entries) => ready.extend(entries),
            Err(e) => return Some(Err(e)),
        }
    }))
}

/// The entries of the keys at `paths`, their data read pipelined.
fn values(store: &ZkStore, paths: &[String]) -> Result<Vec<Entry>, StoreError> {
    let answers = store.run(|c| async move {
        let pending = paths.iter().map(|p| {
            let (c, p) = (c.clone(), p.clone());
            async move { c.get_data(&p).await }
        });
        let answers = join_all(pending).await;
        // A lost connection is no answer: the whole batch is asked again.
        if let Some(e) = answers.iter().find_map(|a| a.as_ref().err().filter(|e| lost(e))) {
            return Err(e.clone());
        }
        Ok(answers)
    })?;
    let mut entries = Vec::with_capacity(paths.len());
    for (path, answer) in paths.iter().zip(answers) {
        match answer {
            Ok((value, stat)) if is_key(&stat) => {
                entries.push(Entry { key: store.key_of(path), value, revision: revision(&stat) })
            }
            Ok(_) | Err(zk::Error::NoNode) => {}
            Err(e @ zk::Error::NoAuth) => return Err(store.refused(&format!("reading {}", store.key_of(path)), e)),
            Err(e) => return Err(store.error(e)),
        }
    }
    Ok(entries)
}

/// Every znode at and below `top`, breadth first (parents before children),
/// and whether it is a key: what a recursive delete must remove.
pub(super) fn subtree(store: &ZkStore, top: &str) -> Result<Vec<(String, bool)>, StoreError> {
    let mut out = Vec::new();
    let mut level = vec![top.to_string()];
    while !level.is_empty() {
        let nodes = classify(store, &level)?;
        let mut next = Vec::new();
        for (path, node) in level.into_iter().zip(nodes) {
            let Some(node) = node else { continue };
            next.extend(child_paths(&path, node.children));
            out.push((path, node.is_key));
        }
        level = next;
    }
    Ok(out)
}
