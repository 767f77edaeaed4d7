//! A commit as one transaction, whatever it holds (a single `put` is a
//! commit of one write and takes the same path):
//!
//! 1. the counter row is locked (SQLite: the write lock is taken at BEGIN),
//!    so writers queue here and each then reads what the last committed.
//!    On SQLite, a table an earlier ovs made `WITHOUT ROWID` is then
//!    remade as a rowid table, in this transaction (see `dialect.rs`);
//! 2. the revisions of every key a precondition or a delete looks at are
//!    read, many keys per statement, and every write is checked in batch
//!    order: the first that fails names its key (`Conflict`, or `NotFound`
//!    for a delete of a missing key) and the transaction is rolled back;
//! 3. puts are written as multi-row upserts at the counter plus one,
//!    deletes as `DELETE ... IN (...)`, each delete-tree as the key and
//!    its range below `key/` (so `/foo` keeps `/foobar`);
//! 4. the counter is advanced and the transaction committed. A commit that
//!    changed nothing (checks, delete-trees of nothing) rolls back instead
//!    and answers the counter as it was.
//!
//! Statements carry at most `ROWS_PER_STATEMENT` rows and, beyond their
//! first row, `BYTES_PER_STATEMENT` bytes: far below every engine's limit on
//! parameters and MySQL's on packets, while 10,000 keys are a few
//! statements.

use std::collections::HashMap;

use super::listing::range;
use super::pool::Conn;
use super::session::{Kind, Param};
use super::{revision, SqlStore};
use crate::store::{batch, Committed, Op, Precondition, Revision, Store, StoreError, Write};

const ROWS_PER_STATEMENT: usize = 1000;
const BYTES_PER_STATEMENT: usize = 1 << 20;

pub(super) fn commit(store: &SqlStore, writes: &[Write]) -> Result<Committed, StoreError> {
    batch::check(store.describe(), &store.capabilities(), writes)?;
    let engine = store.engine();
    if let Some(limit) = engine.max_key_bytes() {
        if let Some(w) = writes.iter().find(|w| w.key.as_str().len() > limit) {
            return Err(StoreError::BadOption {
                store: store.describe().to_string(),
                message: format!(
                    "a key of {} bytes ({}...) is longer than {} keys may be ({limit} bytes); nothing was written",
                    w.key.as_str().len(),
                    w.key.as_str().chars().take(40).collect::<String>(),
                    engine.name()
                ),
            });
        }
    }
    let puts = writes.iter().any(|w| matches!(w.op, Op::Put(_)));
    let mut conn = match store.tables_conn(false)? {
        Some(conn) => conn,
        None => {
            // No table yet: every key is missing. The tables are made only
            // for a commit that passes its checks and puts something.
            check(writes, &HashMap::new())?;
            if !puts {
                return Ok(Committed { revision: Revision(0), deleted: 0 });
            }
            store.tables_conn(true)?.expect("tables are made or refused")
        }
    };
    conn.begin(engine.begin_write())?;
    let mut counter = None;
    conn.fetch(&store.sql.lock_counter, &[], &[Kind::Int], &mut |row| {
        counter = Some(row.int(0));
        true
    })?;
    let counter = counter.ok_or_else(|| StoreError::Backend {
        store: store.describe().to_string(),
        message: format!("the revision counter's row is missing from {}", store.sql.counter()),
    })?;
    if let Some((find, remake)) = engine.relayout(&store.sql) {
        // Remade in this write's transaction: it lands with the write, or not at all.
        let mut old = false;
        conn.fetch(&find, &[], &[Kind::Int], &mut |row| {
            old = row.int(0) > 0;
            true
        })?;
        if old {
            tracing::info!(table = store.sql.table(), "remaking a WITHOUT ROWID table as a rowid table");
            remake.iter().try_for_each(|sql| conn.run(sql))?;
        }
    }
    let current = revisions(store, &mut conn, writes)?;
    if let Err(e) = check(writes, &current) {
        conn.roll_back();
        return Err(e);
    }
    let next = counter + 1;
    let deleted = apply(store, &mut conn, writes, next)?;
    if !puts && deleted == 0 {
        conn.roll_back();
        return Ok(Committed { revision: revision(counter), deleted });
    }
    conn.execute(&store.sql.set_counter, &[Param::Int(next)])?;
    conn.commit()?;
    Ok(Committed { revision: revision(next), deleted })
}

/// The revisions of the keys that a precondition or a delete looks at, for
/// those that exist.
fn revisions(
    store: &SqlStore,
    conn: &mut Conn<'_>,
    writes: &[Write],
) -> Result<HashMap<Vec<u8>, Revision>, StoreError> {
    let keys: Vec<&[u8]> = writes
        .iter()
        .filter(|w| w.cond != Precondition::Any || w.op == Op::Delete)
        .map(|w| store.key_bytes(&w.key))
        .collect();
    let mut found = HashMap::with_capacity(keys.len());
    for chunk in keys.chunks(ROWS_PER_STATEMENT) {
        let params: Vec<Param<'_>> = chunk.iter().map(|k| Param::Bytes(k)).collect();
        let sql = store.engine().revisions(&store.sql, chunk.len());
        conn.fetch(&sql, &params, &[Kind::Bytes, Kind::Int], &mut |mut row| {
            found.insert(row.bytes(0), revision(row.int(1)));
            true
        })?;
    }
    Ok(found)
}

/// The first write, in batch order, whose precondition fails or that
/// deletes a missing key.
fn check(writes: &[Write], current: &HashMap<Vec<u8>, Revision>) -> Result<(), StoreError> {
    for w in writes {
        let now = current.get(w.key.as_str().as_bytes()).copied();
        if !w.cond.holds(now) {
            return Err(StoreError::precondition_failed(&w.key, w.cond, now));
        }
        if w.op == Op::Delete && now.is_none() {
            return Err(StoreError::NotFound { key: w.key.clone() });
        }
    }
    Ok(())
}

/// Every write, puts at revision `rev`; how many keys were deleted.
fn apply(store: &SqlStore, conn: &mut Conn<'_>, writes: &[Write], rev: i64) -> Result<u64, StoreError> {
    let engine = store.engine();
    let mut rows: Vec<Param<'_>> = Vec::new();
    let mut bytes = 0;
    for w in writes {
        if let Op::Put(value) = &w.op {
            let key = store.key_bytes(&w.key);
            if !rows.is_empty() && bytes + key.len() + value.len() > BYTES_PER_STATEMENT {
                conn.execute(&engine.upsert(&store.sql, rows.len() / 3), &rows)?;
                (rows, bytes) = (Vec::new(), 0);
            }
            rows.extend([Param::Bytes(key), Param::Bytes(value), Param::Int(rev)]);
            bytes += key.len() + value.len();
            if rows.len() / 3 == ROWS_PER_STATEMENT {
                conn.execute(&engine.upsert(&store.sql, ROWS_PER_STATEMENT), &rows)?;
                (rows, bytes) = (Vec::new(), 0);
            }
        }
    }
    if !rows.is_empty() {
        conn.execute(&engine.upsert(&store.sql, rows.len() / 3), &rows)?;
    }
    let mut deleted = 0;
    let deletes: Vec<Param<'_>> =
        writes.iter().filter(|w| w.op == Op::Delete).map(|w| Param::Bytes(store.key_bytes(&w.key))).collect();
    for chunk in deletes.chunks(ROWS_PER_STATEMENT) {
        deleted += conn.execute(&engine.delete(&store.sql, chunk.len()), chunk)?;
    }
    for w in writes.iter().filter(|w| w.op == Op::DeleteTree) {
        let (below, end) = range(&w.key);
        deleted += if w.key.is_root() {
            conn.execute(&store.sql.delete_range, &[Param::Bytes(&below), Param::Bytes(&end)])?
        } else {
            let key = Param::Bytes(store.key_bytes(&w.key));
            conn.execute(&store.sql.delete_tree, &[key, Param::Bytes(&below), Param::Bytes(&end)])?
        };
    }
    Ok(deleted)
}
