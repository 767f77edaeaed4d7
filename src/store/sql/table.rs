//! The tables' shape: whether they are there and made as ovs makes them,
//! making them on the first write, and the revision counter they keep.

use std::sync::atomic::Ordering;

use super::dialect::{Engine, ENGINE_ROW};
use super::pool::Conn;
use super::session::{Kind, Param};
use super::SqlStore;
use crate::store::StoreError;

impl SqlStore {
    /// A connection to the store's tables; None when they do not exist
    /// (nor the file, for SQLite) and `create` was not asked: the store is
    /// empty, and nothing was made.
    pub(super) fn tables_conn(&self, create: bool) -> Result<Option<Conn<'_>>, StoreError> {
        if let Some(file) = self.file.as_ref().filter(|f| !f.exists()) {
            if !create {
                return Ok(None);
            }
            // Made 0600 before SQLite opens it, as the directory store's
            // files are; SQLite gives its -wal and -shm files the same mode.
            crate::files::create_private(file)
                .map_err(|e| StoreError::failed(&self.describe, format!("cannot create {}", file.display()), e))?;
        }
        let mut conn = self.conn()?;
        Ok(self.tables(&mut conn, create)?.then_some(conn))
    }

    /// A connection to read with, in a snapshot transaction if asked.
    pub(super) fn reader(&self, snapshot: bool) -> Result<Option<Conn<'_>>, StoreError> {
        let Some(mut conn) = self.tables_conn(false)? else { return Ok(None) };
        if snapshot {
            conn.begin(self.engine().begin_snapshot())?;
        }
        Ok(Some(conn))
    }

    /// Whether the table can be read (false: it does not exist, and
    /// `create` was not asked: the store is empty). With `create`, missing
    /// tables are made, so that both are there to write to. Tables in
    /// another shape are an error either way.
    fn tables(&self, conn: &mut Conn<'_>, create: bool) -> Result<bool, StoreError> {
        if self.ready.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let (mut data, mut counter) = self.shape(conn)?;
        if create && data == Table::Missing && !matches!(counter, Table::Wrong(_)) {
            let made = self.make(conn);
            // Another writer may have made them meanwhile: look again.
            (data, counter) = self.shape(conn)?;
            if let Err(e) = made {
                if (&data, &counter) != (&Table::Right, &Table::Right) {
                    return Err(e);
                }
            }
        }
        for table in [&data, &counter] {
            if let Table::Wrong(reason) = table {
                return Err(self.wrong_shape(reason.clone()));
            }
        }
        if (&data, &counter) == (&Table::Right, &Table::Right) {
            self.ready.store(true, Ordering::Relaxed);
        } else if create {
            return Err(self.wrong_shape("it was made, yet is not there".into()));
        }
        Ok(data == Table::Right)
    }

    /// Make the missing tables, as one transaction where the engine can.
    fn make(&self, conn: &mut Conn<'_>) -> Result<(), StoreError> {
        let begin = self.engine().begin_create(&self.sql);
        let made = (|| {
            if !begin.is_empty() {
                conn.begin(&begin)?;
            }
            self.engine().create(&self.sql).iter().try_for_each(|s| conn.run(s))?;
            if !begin.is_empty() {
                conn.commit()?;
            }
            Ok(())
        })();
        if made.is_err() {
            conn.roll_back();
        }
        made
    }

    fn wrong_shape(&self, reason: String) -> StoreError {
        StoreError::Backend {
            store: self.describe.clone(),
            message: format!(
                "the table {} is not one ovs made ({reason}); nothing was read or written: name a table of \
                 ovs's own with ?table=NAME",
                self.sql.table()
            ),
        }
    }

    /// What the catalog says of the table and its counter.
    fn shape(&self, conn: &mut Conn<'_>) -> Result<(Table, Table), StoreError> {
        let (table, counter) = (self.sql.table(), self.sql.counter());
        let names = [Param::Text(table), Param::Text(counter), Param::Text(table), Param::Text(counter)];
        let params = if self.engine() == Engine::MySql { &names[..] } else { &names[..2] };
        let mut found: Vec<[String; 4]> = Vec::new();
        conn.fetch(&self.sql.shape, params, &[Kind::Bytes; 4], &mut |mut row| {
            found.push(std::array::from_fn(|i| String::from_utf8_lossy(&row.bytes(i)).into_owned()));
            true
        })?;
        let (data, count) = (judge(self.engine(), table, false, &found), judge(self.engine(), counter, true, &found));
        if (&data, &count) == (&Table::Right, &Table::Missing) {
            // ovs makes the counter first: this table is another's, or lost its counter (which
            // made again from 0 could give a key an old revision back).
            return Ok((Table::Wrong(format!("it has no revision counter table {counter}")), count));
        }
        Ok((data, count))
    }

    /// The store-wide revision counter now (0 before the tables exist).
    pub(super) fn counter(&self) -> Result<i64, StoreError> {
        let Some(mut conn) = self.tables_conn(false)? else { return Ok(0) };
        let mut counter = 0;
        conn.fetch(&self.sql.read_counter, &[], &[Kind::Int], &mut |row| {
            counter = row.int(0);
            true
        })?;
        Ok(counter)
    }
}

/// How one table stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Table {
    Missing,
    Right,
    Wrong(String),
}

/// The catalog's rows `(table, column, type, key)` for table `name`
/// against what ovs makes (the data table, or the `counter`).
fn judge(engine: Engine, name: &str, counter: bool, found: &[[String; 4]]) -> Table {
    let mut have: Vec<(String, String, String)> = found
        .iter()
        .filter(|row| row[0] == name)
        .map(|row| {
            let ty = row[2].split('(').next().unwrap_or("").trim().to_ascii_lowercase();
            (row[1].clone(), ty, row[3].clone())
        })
        .collect();
    // MySQL may list a table being made before its columns.
    if have.iter().all(|(column, _, _)| column == ENGINE_ROW) {
        return Table::Missing;
    }
    have.sort();
    let mut want: Vec<(String, String, String)> =
        engine.expected(counter).into_iter().map(|(c, t, k)| (c.into(), t.into(), k.into())).collect();
    want.sort();
    if have == want {
        return Table::Right;
    }
    let show = |cols: &[(String, String, String)]| {
        let cols: Vec<String> = cols
            .iter()
            .map(|(c, t, k)| if k.is_empty() { format!("{c} {t}") } else { format!("{c} {t} primary key") })
            .collect();
        cols.join(", ")
    };
    Table::Wrong(format!("{name} has {}; ovs uses {}", show(&have), show(&want)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_of_another_shape_is_wrong() {
        let row = |t: &str, c: &str, ty: &str, k: &str| [t.to_string(), c.to_string(), ty.to_string(), k.to_string()];
        let good = vec![
            row("t", "key", "bytea", "PRI"),
            row("t", "value", "bytea", ""),
            row("t", "revision", "bigint", ""),
            row("t_rev", "id", "integer", "PRI"),
            row("t_rev", "revision", "bigint", ""),
        ];
        let pg = |found: &[[String; 4]]| {
            (judge(Engine::Postgres, "t", false, found), judge(Engine::Postgres, "t_rev", true, found))
        };
        assert_eq!(pg(&good), (Table::Right, Table::Right));
        assert_eq!(pg(&[]), (Table::Missing, Table::Missing));
        assert_eq!(pg(&good[..3]), (Table::Right, Table::Missing));
        let mut text_key = good.clone();
        text_key[0] = row("t", "key", "text", "PRI");
        assert!(matches!(pg(&text_key).0, Table::Wrong(r) if r.contains("key text primary key")));
        // MySQL also wants InnoDB, and reads types with their widths.
        let mysql = vec![
            row("t", "key", "varbinary(3072)", "PRI"),
            row("t", "value", "longblob", ""),
            row("t", "revision", "bigint(20)", ""),
            row("t", ENGINE_ROW, "InnoDB", ""),
            row("t_rev", "id", "int(11)", "PRI"),
            row("t_rev", "revision", "bigint(20)", ""),
            row("t_rev", ENGINE_ROW, "InnoDB", ""),
        ];
        assert_eq!(judge(Engine::MySql, "t_rev", true, &mysql), Table::Right);
        let mut myisam = mysql.clone();
        myisam[3] = row("t", ENGINE_ROW, "MyISAM", "");
        assert!(matches!(judge(Engine::MySql, "t", false, &myisam), Table::Wrong(_)));
    }
}
