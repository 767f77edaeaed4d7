//! A commit as one multi. A multi applies its operations all or nothing, but
//! each operation checks only what it checks itself: a data version, that a
//! znode exists or not, that it has no children. So a commit reads first
//! and sends operations that fail if what it read has changed:
//!
//! 1. Read, pipelined, the stat of every znode written and of every znode
//!    above one, and list the subtree of each recursive delete.
//! 2. Check each precondition against the `mzxid` read, in batch order: the
//!    first that fails is the conflict (or the key not found) reported, and
//!    nothing is sent.
//! 3. Work out, children before parents, what the batch leaves of each
//!    znode under the parent rule: missing parents are created empty; a
//!    deleted key that keeps keys below it is emptied instead; a parent left
//!    empty and childless is deleted too.
//! 4. Send one multi: the version checks, the creates (parents first), the
//!    data writes, the deletes (children first). A write or delete of a
//!    znode that was read carries the version read (but an unconditional put
//!    overwrites whatever is there), a create fails if the znode appeared
//!    and a delete if it gained children, so a change since the read fails
//!    the multi and the commit starts again from 1, eight times at most,
//!    then reports a conflict.
//!
//! The znodes of a recursive delete are deleted without a version: their
//! data does not matter, and one that gains or loses a child fails the
//! multi. What no operation can check is that a znode still has children:
//! a key emptied (or a parent kept) because keys remain below it, whose
//! remaining children another client deletes between the read and the
//! multi, is left empty and childless, which reads as a key with an empty
//! value.
//!
//! ZooKeeper has no operation that checks that a znode does not exist, so a
//! check that a key is absent creates the znode (and its missing parents)
//! and deletes it again in the same multi, which fails if the znode appeared
//! meanwhile. Nothing is left of it, but it needs the right to create there,
//! and watchers see it come and go. An absent key that is an empty parent is
//! checked by its data version.
//!
//! The revision is the multi's zxid, which all its operations share: the
//! `mzxid` of a stat the multi answers with. ZooKeeper before 3.9 answers a
//! create in a multi without its stat (ZOOKEEPER-4026), so a multi that
//! creates but writes no data creates its first znode empty and then writes
//! its data (watchers see a create and a change). A commit that only
//! deletes (or checks absence) has no stat in its answer: its revision is the `pzxid` of the
//! parent of a znode it deleted, read afterwards (later than the commit if
//! that parent's children changed again since). A commit of version checks
//! alone changes nothing and reports the newest revision it checked.

use std::collections::{BTreeMap, HashMap};

use zookeeper_client as zk;

use super::{is_key, listing, revision, ZkStore, MAX_REQUEST_BYTES};
use crate::store::{batch, Committed, Key, Op, Precondition, Revision, Store, StoreError, Write};

/// How often a commit looks again when a znode changed under it.
const ATTEMPTS: usize = 8;
/// Bytes an operation takes in a multi beside its path and data, at most:
/// its header, the lengths, version, flags and an ACL.
const OP_BYTES: usize = 48;

/// What the batch does to a znode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate<'w> {
    Keep,
    /// A key deleted: removed, or emptied if keys remain below it.
    Delete,
    Create(&'w [u8]),
    Set(&'w [u8], Option<i32>),
    Remove(Option<i32>),
}

/// A znode the batch reads or changes.
struct Node<'w> {
    /// As read (None: missing, or not read: below a recursive delete).
    stat: Option<zk::Stat>,
    fate: Fate<'w>,
    /// The write it is read or changed for, named when it keeps changing.
    by: &'w Key,
}

/// One operation of the multi.
#[derive(Clone, Copy, Debug)]
enum ZkOp<'w> {
    Check(i32),
    Create(&'w [u8]),
    Set(&'w [u8], Option<i32>),
    Delete(Option<i32>),
}

#[derive(Clone, Debug)]
struct Step<'w> {
    path: String,
    op: ZkOp<'w>,
    by: &'w Key,
}

impl Step<'_> {
    fn size(&self) -> usize {
        let data = match self.op {
            ZkOp::Create(data) | ZkOp::Set(data, _) => data.len(),
            ZkOp::Check(_) | ZkOp::Delete(_) => 0,
        };
        self.path.len() + data + OP_BYTES
    }
}

/// What one attempt found and will send.
struct Plan<'w> {
    nodes: BTreeMap<String, Node<'w>>,
    /// The version checks and absence probes, sent first.
    checks: Vec<Step<'w>>,
    /// Keys the deletes remove.
    deleted: u64,
    /// The newest revision a version check holds the batch to.
    checked: Revision,
}

pub(super) fn commit(store: &ZkStore, writes: &[Write]) -> Result<Committed, StoreError> {
    batch::check(store.describe(), &store.capabilities(), writes)?;
    let paths = writes.iter().map(|w| store.path(&w.key)).collect::<Result<Vec<_>, _>>()?;
    let mut changing = None;
    for _ in 0..ATTEMPTS {
        let plan = Plan::read(store, writes, &paths)?;
        let steps = plan.steps();
        fits(store, writes, &steps)?;
        if steps.is_empty() {
            return Ok(Committed { revision: plan.checked, deleted: plan.deleted });
        }
        match send(store, &steps)? {
            Ok(results) => {
                let revision = committed_at(store, &plan, &steps, &results)?;
                return Ok(Committed { revision, deleted: plan.deleted });
            }
            // Changed under us: look again.
            Err((at, zk::Error::BadVersion | zk::Error::NoNode | zk::Error::NodeExists | zk::Error::NotEmpty)) => {
                changing = Some(steps[at].by)
            }
            Err((at, e @ zk::Error::NoAuth)) => return Err(store.refused(&format!("writing {}", steps[at].by), e)),
            Err((_, e)) => return Err(store.error(e)),
        }
    }
    Err(StoreError::Conflict {
        key: changing.unwrap_or(&writes[0].key).clone(),
        detail: "it kept changing while the batch was being written".into(),
    })
}

/// The znodes above `path`, nearest first, up to (not including) the root.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').rev().map(|(i, _)| &path[..i]).filter(|a| !a.is_empty())
}

fn parent(path: &str) -> &str {
    ancestors(path).next().unwrap_or("/")
}

impl<'w> Plan<'w> {
    fn read(store: &ZkStore, writes: &'w [Write], paths: &[String]) -> Result<Plan<'w>, StoreError> {
        // Every znode written and every znode above one, read at once.
        let mut wanted: BTreeMap<&str, &'w Key> = BTreeMap::new();
        for (w, path) in writes.iter().zip(paths) {
            if w.op != Op::DeleteTree {
                wanted.insert(path, &w.key);
            }
            for above in ancestors(path) {
                wanted.entry(above).or_insert(&w.key);
            }
        }
        let (names, by): (Vec<String>, Vec<&Key>) = wanted.into_iter().map(|(p, by)| (p.to_string(), by)).unzip();
        let stats = listing::stats(store, &names)?;
        let nodes = names
            .into_iter()
            .zip(stats.into_iter().zip(by))
            .map(|(path, (stat, by))| (path, Node { stat, fate: Fate::Keep, by }))
            .collect();
        let mut plan = Plan { nodes, checks: Vec::new(), deleted: 0, checked: Revision(0) };
        for (w, path) in writes.iter().zip(paths) {
            if w.op == Op::DeleteTree {
                continue;
            }
            let current = plan.nodes[path].stat.filter(is_key).map(|s| revision(&s));
            if !w.cond.holds(current) {
                return Err(StoreError::precondition_failed(&w.key, w.cond, current));
            }
            if w.op == Op::Delete && current.is_none() {
                return Err(StoreError::NotFound { key: w.key.clone() });
            }
        }
        for (w, path) in writes.iter().zip(paths) {
            match &w.op {
                Op::Put(value) => plan.put(w, path, value),
                Op::Delete => {
                    plan.change(path, Fate::Delete, &w.key);
                    plan.deleted += 1;
                }
                Op::Check => plan.check(w, path),
                Op::DeleteTree => {
                    for (znode, key) in listing::subtree(store, path)? {
                        if znode != "/" {
                            plan.deleted += u64::from(key);
                            plan.nodes.insert(znode, Node { stat: None, fate: Fate::Remove(None), by: &w.key });
                        }
                    }
                }
            }
        }
        plan.settle();
        Ok(plan)
    }

    fn change(&mut self, path: &str, fate: Fate<'w>, by: &'w Key) {
        if let Some(node) = self.nodes.get_mut(path) {
            node.fate = fate;
            node.by = by;
        }
    }

    fn put(&mut self, w: &'w Write, path: &str, value: &'w [u8]) {
        let fate = match self.nodes[path].stat {
            Some(stat) => Fate::Set(value, (w.cond != Precondition::Any).then_some(stat.version)),
            None => Fate::Create(value),
        };
        self.change(path, fate, &w.key);
        for above in ancestors(path) {
            if self.nodes[above].stat.is_none() && self.nodes[above].fate == Fate::Keep {
                self.change(above, Fate::Create(&[]), &w.key);
            }
        }
    }

    fn check(&mut self, w: &'w Write, path: &str) {
        let step = |path: &str, op| Step { path: path.to_string(), op, by: &w.key };
        match (w.cond, self.nodes[path].stat) {
            (Precondition::Any, _) => {}
            (Precondition::Revision(rev), Some(stat)) => {
                self.checked = self.checked.max(rev);
                self.checks.push(step(path, ZkOp::Check(stat.version)));
            }
            // An empty parent: it stays absent while it stays empty.
            (Precondition::Absent, Some(stat)) => self.checks.push(step(path, ZkOp::Check(stat.version))),
            // Missing (a revision check on a missing key has failed already):
            // create it and its missing parents, and delete them again.
            (_, None) => {
                let missing = ancestors(path).take_while(|a| self.nodes[*a].stat.is_none()).count();
                let mut chain: Vec<&str> = ancestors(path).take(missing).collect();
                chain.reverse();
                chain.push(path);
                self.checks.extend(chain.iter().map(|p| step(p, ZkOp::Create(&[]))));
                self.checks.extend(chain.iter().rev().map(|p| step(p, ZkOp::Delete(Some(0)))));
            }
        }
    }

    /// Decide, children before parents, whether a deleted key is removed or
    /// emptied, and which parents the batch leaves empty and childless.
    fn settle(&mut self) {
        // How many children each znode gains (or loses, negative).
        let mut gained: HashMap<String, i32> = HashMap::new();
        for (path, node) in self.nodes.iter_mut().rev() {
            if let Some(stat) = node.stat {
                let left = stat.num_children + gained.remove(path.as_str()).unwrap_or(0);
                node.fate = match node.fate {
                    Fate::Delete if left > 0 => Fate::Set(&[], Some(stat.version)),
                    Fate::Delete => Fate::Remove(Some(stat.version)),
                    Fate::Keep if stat.data_length == 0 && stat.num_children > 0 && left <= 0 => {
                        Fate::Remove(Some(stat.version))
                    }
                    fate => fate,
                };
            }
            let change = match node.fate {
                Fate::Create(_) => 1,
                Fate::Remove(_) => -1,
                _ => continue,
            };
            *gained.entry(parent(path).to_string()).or_default() += change;
        }
    }

    /// The multi: checks, creates (parents first), data writes, deletes
    /// (children first).
    fn steps(&self) -> Vec<Step<'w>> {
        let step = |(path, node): (&String, &Node<'w>), op| Step { path: path.clone(), op, by: node.by };
        let mut creates = Vec::new();
        let mut sets = Vec::new();
        for entry in &self.nodes {
            match entry.1.fate {
                Fate::Create(data) => creates.push(step(entry, ZkOp::Create(data))),
                Fate::Set(data, version) => sets.push(step(entry, ZkOp::Set(data, version))),
                _ => {}
            }
        }
        // Servers before 3.9 answer a create in a multi without its stat
        // (ZOOKEEPER-4026), and a data write always answers with one.
        if let (Some(first), true) = (creates.first_mut(), sets.is_empty()) {
            if let ZkOp::Create(data) = first.op {
                sets.push(Step { op: ZkOp::Set(data, Some(0)), ..first.clone() });
                first.op = ZkOp::Create(&[]);
            }
        }
        let removes = self.nodes.iter().rev().filter_map(|entry| match entry.1.fate {
            Fate::Remove(version) => Some(step(entry, ZkOp::Delete(version))),
            _ => None,
        });
        self.checks.iter().cloned().chain(creates).chain(sets).chain(removes).collect()
    }
}

/// Refuse a multi over ZooKeeper's request limit before sending it (the
/// server would drop the connection). A lone put's value is held to the
/// value limit instead, which the operator may raise (--max-value-size).
fn fits(store: &ZkStore, writes: &[Write], steps: &[Step<'_>]) -> Result<(), StoreError> {
    let lone_value = match writes {
        [Write { op: Op::Put(value), .. }] => value.len(),
        _ => 0,
    };
    let bytes = steps.iter().map(Step::size).sum::<usize>().saturating_sub(lone_value);
    if bytes > MAX_REQUEST_BYTES {
        return Err(StoreError::BatchTooLarge {
            store: store.describe().to_string(),
            what: format!(
                "{} write{} ({} ZooKeeper operations, ~{bytes} bytes, with the znodes it deletes and the parents \
                 it creates or prunes)",
                writes.len(),
                if writes.len() == 1 { "" } else { "s" },
                steps.len()
            ),
            limit: format!("{MAX_REQUEST_BYTES} bytes per request (jute.maxbuffer)"),
        });
    }
    Ok(())
}

/// The multi's answers, or the operation that failed it and why.
type Sent = Result<Vec<zk::MultiWriteResult>, (usize, zk::Error)>;

fn send(store: &ZkStore, steps: &[Step<'_>]) -> Result<Sent, StoreError> {
    let options = &store.create_options();
    store.run(|c| async move {
        let mut multi = c.new_multi_writer();
        for Step { path, op, .. } in steps {
            match *op {
                ZkOp::Check(version) => multi.add_check_version(path, version)?,
                ZkOp::Create(data) => multi.add_create(path, data, options)?,
                ZkOp::Set(data, version) => multi.add_set_data(path, data, version)?,
                ZkOp::Delete(version) => multi.add_delete(path, version)?,
            }
        }
        match multi.commit().await {
            Ok(results) => Ok(Ok(results)),
            Err(zk::MultiWriteError::OperationFailed { index, source }) => Ok(Err((index, source))),
            Err(zk::MultiWriteError::RequestFailed { source }) => Err(source),
        }
    })
}

/// The zxid the multi was applied at (see the module doc).
fn committed_at(
    store: &ZkStore,
    plan: &Plan<'_>,
    steps: &[Step<'_>],
    results: &[zk::MultiWriteResult],
) -> Result<Revision, StoreError> {
    let answered = results.iter().find_map(|r| match r {
        zk::MultiWriteResult::SetData { stat } | zk::MultiWriteResult::Create { stat, .. } if !stat.is_invalid() => {
            Some(revision(stat))
        }
        _ => None,
    });
    if let Some(rev) = answered {
        return Ok(rev);
    }
    // Deletes go children first: the last one's parent is still there.
    let Some(Step { path, .. }) = steps.iter().rev().find(|s| matches!(s.op, ZkOp::Delete(_))) else {
        return Ok(plan.checked);
    };
    let stat = listing::stats(store, &[parent(path).to_string()])?.pop().flatten();
    let zxid = stat.map_or(0, |stat| stat.pzxid);
    Ok(Revision(zxid.max(0) as u64))
}
