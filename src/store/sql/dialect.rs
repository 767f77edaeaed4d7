//! What differs between the three engines, and nothing else: quoting,
//! placeholders, the tables' definitions and expected shape, how a write or
//! a snapshot transaction begins, the upsert, and which server errors mean
//! what. Every statement the store runs is built here, from the table name
//! the URL checked (lowercase letters, digits and `_` only).

/// The shape query's row that tells a MySQL table's storage engine.
pub(super) const ENGINE_ROW: &str = "(engine)";

/// One of the engines this backend speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Engine {
    Sqlite,
    MySql,
    Postgres,
}

/// What a server error means to the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Meaning {
    /// Wrong user, password or certificate, or a grant that does not
    /// allow it.
    Denied,
    /// A lock or statement timeout, or SQLite's busy database.
    Busy,
    /// Over a size limit of the server (a packet, a field, a row).
    TooLarge,
    Other,
}

/// The statements of one table (and its revision counter), built once.
#[derive(Debug)]
pub(super) struct Statements {
    pub engine: Engine,
    table: String,
    counter: String,
    /// The value and revision of one key.
    pub get: String,
    /// Keys in `[from, end)`, sorted, at most a limit of them.
    pub keys: String,
    /// Keys, values and revisions in `[from, end)`, sorted, at most a limit.
    pub scan: String,
    /// The counter, locked until the transaction ends.
    pub lock_counter: String,
    /// The counter, unlocked: what a watcher polls.
    pub read_counter: String,
    pub set_counter: String,
    /// A key and everything in `[from, end)` below it.
    pub delete_tree: String,
    /// Everything in `[from, end)` (the root's tree).
    pub delete_range: String,
    /// Rows `(table, column, type, key)` that describe both tables.
    pub shape: String,
}

impl Engine {
    pub(super) fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::MySql => "MySQL",
            Engine::Postgres => "PostgreSQL",
        }
    }

    fn quote(self, ident: &str) -> String {
        match self {
            Engine::MySql => format!("`{ident}`"),
            Engine::Sqlite | Engine::Postgres => format!("\"{ident}\""),
        }
    }

    /// The `n`th (from 1) parameter of a statement.
    fn param(self, n: usize) -> String {
        match self {
            Engine::Postgres => format!("${n}"),
            Engine::Sqlite => format!("?{n}"),
            Engine::MySql => "?".to_string(),
        }
    }

    /// `(p1, p2, ...)` for `count` parameters from number `first`.
    fn params(self, first: usize, count: usize) -> String {
        let list: Vec<String> = (first..first + count).map(|n| self.param(n)).collect();
        format!("({})", list.join(", "))
    }

    /// The longest key the key column takes (MySQL's column width; below
    /// PostgreSQL's b-tree entry limit of 2704 bytes); None: no limit.
    pub(super) fn max_key_bytes(self) -> Option<usize> {
        match self {
            Engine::Sqlite => None,
            Engine::MySql => Some(3072),
            Engine::Postgres => Some(2600),
        }
    }

    /// Statements that begin a write transaction. Writers serialise on the
    /// counter row: SQLite takes its write lock up front (IMMEDIATE), so
    /// the transaction never has to upgrade a read lock and fail.
    pub(super) fn begin_write(self) -> &'static [&'static str] {
        match self {
            Engine::Sqlite => &["BEGIN IMMEDIATE"],
            Engine::MySql => &["START TRANSACTION"],
            Engine::Postgres => &["BEGIN"],
        }
    }

    /// Statements that begin a read-only transaction whose reads all see
    /// one snapshot (SQLite in WAL mode: a read transaction does). On
    /// PostgreSQL, pages must come in index order: a table not analysed
    /// yet (just after a large import) looks small to the planner, which
    /// would then read the whole rest of the range and sort it, for every
    /// page.
    pub(super) fn begin_snapshot(self) -> &'static [&'static str] {
        match self {
            Engine::Sqlite => &["BEGIN"],
            Engine::MySql => &[
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
            ],
            Engine::Postgres => &["BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "SET LOCAL enable_sort = off"],
        }
    }

    /// What a server error means, from its code (SQLSTATE; MySQL's error
    /// number; SQLite's result code).
    pub(super) fn meaning(self, code: &str) -> Meaning {
        match self {
            Engine::Sqlite => match code.parse::<i32>().map(|c| c & 0xff) {
                Ok(5 | 6) => Meaning::Busy,
                Ok(18) => Meaning::TooLarge,
                _ => Meaning::Other,
            },
            Engine::MySql => match code {
                "1044" | "1045" | "1142" | "1143" | "1227" | "1698" | "1226" => Meaning::Denied,
                "1205" | "3024" | "1969" => Meaning::Busy,
                "1153" | "1301" => Meaning::TooLarge,
                _ => Meaning::Other,
            },
            Engine::Postgres => match code {
                "28000" | "28P01" | "42501" => Meaning::Denied,
                "55P03" | "57014" => Meaning::Busy,
                "54000" => Meaning::TooLarge,
                _ => Meaning::Other,
            },
        }
    }

    /// The tables as ovs creates them, each if missing: a one-row counter
    /// and its row first, the table last, so that whoever finds the table
    /// finds its counter ready (MySQL commits each statement on its own).
    /// Keys and values are bytes (BLOB, VARBINARY, BYTEA compare byte by
    /// byte: no collation folds or reorders them).
    pub(super) fn create(self, s: &Statements) -> Vec<String> {
        let (t, c) = (self.quote(&s.table), self.quote(&s.counter));
        let (k, v, r) = (self.quote("key"), self.quote("value"), self.quote("revision"));
        let (counter, seed, table) = match self {
            Engine::Sqlite => (
                format!("CREATE TABLE IF NOT EXISTS {c} (id INTEGER NOT NULL PRIMARY KEY, {r} INTEGER NOT NULL)"),
                format!("INSERT OR IGNORE INTO {c} (id, {r}) VALUES (1, 0)"),
                sqlite_table(&t),
            ),
            Engine::MySql => (
                format!("CREATE TABLE IF NOT EXISTS {c} (id INT NOT NULL PRIMARY KEY, {r} BIGINT NOT NULL) ENGINE=InnoDB"),
                format!("INSERT IGNORE INTO {c} (id, {r}) VALUES (1, 0)"),
                format!(
                    "CREATE TABLE IF NOT EXISTS {t} ({k} VARBINARY(3072) NOT NULL PRIMARY KEY, \
                     {v} LONGBLOB NOT NULL, {r} BIGINT NOT NULL) ENGINE=InnoDB"
                ),
            ),
            Engine::Postgres => (
                format!("CREATE TABLE IF NOT EXISTS {c} (id INTEGER NOT NULL PRIMARY KEY, {r} BIGINT NOT NULL)"),
                format!("INSERT INTO {c} (id, {r}) VALUES (1, 0) ON CONFLICT DO NOTHING"),
                format!("CREATE TABLE IF NOT EXISTS {t} ({k} BYTEA NOT NULL PRIMARY KEY, {v} BYTEA NOT NULL, {r} BIGINT NOT NULL)"),
            ),
        };
        vec![counter, seed, table]
    }

    /// SQLite only: a query whose one row is 1 when the data table is one
    /// an earlier ovs made `WITHOUT ROWID`, and the statements that remake
    /// it as [`Engine::create`] makes it now, rows and revisions as they
    /// are, for the write transaction that finds it to run.
    pub(super) fn relayout(self, s: &Statements) -> Option<(String, Vec<String>)> {
        if self != Engine::Sqlite {
            return None;
        }
        let (t, new) = (self.quote(&s.table), self.quote(&format!("{}_ovs_rowid", s.table)));
        let (k, v, r) = (self.quote("key"), self.quote("value"), self.quote("revision"));
        let find = format!(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{}' AND sql LIKE '%WITHOUT ROWID%'",
            s.table
        );
        let remake = vec![
            sqlite_table(&new),
            format!("INSERT INTO {new} ({k}, {r}, {v}) SELECT {k}, {r}, {v} FROM {t}"),
            format!("DROP TABLE {t}"),
            format!("ALTER TABLE {new} RENAME TO {t}"),
        ];
        Some((find, remake))
    }

    /// What begins the making of the tables: a transaction (SQLite and
    /// PostgreSQL make tables transactionally), which on PostgreSQL first
    /// takes a lock of this table's name, as two sessions making the same
    /// table at once can otherwise fail. None for MySQL, whose statements
    /// each commit.
    pub(super) fn begin_create(self, s: &Statements) -> Vec<String> {
        match self {
            Engine::Sqlite => vec!["BEGIN IMMEDIATE".into()],
            Engine::MySql => vec![],
            Engine::Postgres => {
                vec!["BEGIN".into(), format!("SELECT pg_advisory_xact_lock(hashtext('ovs-config {}'))", s.table)]
            }
        }
    }

    /// What the shape query must answer for each table, as `(column, type,
    /// key)`: the type up to any `(`, compared without case; `key` is `PRI`
    /// for the primary key. MySQL adds the storage engine as a row.
    pub(super) fn expected(self, counter: bool) -> Vec<(&'static str, &'static str, &'static str)> {
        let (key, value, int, big) = match self {
            Engine::Sqlite => ("blob", "blob", "integer", "integer"),
            Engine::MySql => ("varbinary", "longblob", "int", "bigint"),
            Engine::Postgres => ("bytea", "bytea", "integer", "bigint"),
        };
        let mut want = if counter {
            vec![("id", int, "PRI"), ("revision", big, "")]
        } else {
            vec![("key", key, "PRI"), ("value", value, ""), ("revision", big, "")]
        };
        if self == Engine::MySql {
            want.push((ENGINE_ROW, "innodb", ""));
        }
        want
    }

    /// An insert of `rows` puts at once that overwrites what is there.
    pub(super) fn upsert(self, s: &Statements, rows: usize) -> String {
        let values: Vec<String> = (0..rows).map(|i| self.params(3 * i + 1, 3)).collect();
        let (k, v, r) = (self.quote("key"), self.quote("value"), self.quote("revision"));
        let update = match self {
            Engine::MySql => format!("ON DUPLICATE KEY UPDATE {v} = VALUES({v}), {r} = VALUES({r})"),
            Engine::Sqlite | Engine::Postgres => {
                format!("ON CONFLICT ({k}) DO UPDATE SET {v} = excluded.{v}, {r} = excluded.{r}")
            }
        };
        format!("INSERT INTO {} ({k}, {v}, {r}) VALUES {} {update}", self.quote(&s.table), values.join(", "))
    }

    /// The keys and revisions of `count` keys that exist.
    pub(super) fn revisions(self, s: &Statements, count: usize) -> String {
        let (k, r) = (self.quote("key"), self.quote("revision"));
        format!("SELECT {k}, {r} FROM {} WHERE {k} IN {}", self.quote(&s.table), self.params(1, count))
    }

    pub(super) fn delete(self, s: &Statements, count: usize) -> String {
        format!("DELETE FROM {} WHERE {} IN {}", self.quote(&s.table), self.quote("key"), self.params(1, count))
    }
}

/// SQLite's data table `t` (quoted): a rowid table, its keys in an index of
/// their own. In a `WITHOUT ROWID` table every seek that compares with a row
/// whose value spills into overflow pages reads that whole row, so one big
/// value would slow every lookup and listing near it. The revision comes
/// before the value, so reading it never walks a value's overflow pages.
fn sqlite_table(t: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {t} (\"key\" BLOB NOT NULL PRIMARY KEY, \"revision\" INTEGER NOT NULL, \
         \"value\" BLOB NOT NULL)"
    )
}

impl Statements {
    /// The statements for `table`, a name the URL checked.
    pub(super) fn new(engine: Engine, table: &str) -> Statements {
        let counter = format!("{table}_rev");
        let q = |ident: &str| engine.quote(ident);
        let p = |n: usize| engine.param(n);
        let (t, c, k, v, r) = (q(table), q(&counter), q("key"), q("value"), q("revision"));
        let range = format!("{k} >= {} AND {k} < {}", p(1), p(2));
        let lock = match engine {
            Engine::Sqlite => "",
            Engine::MySql | Engine::Postgres => " FOR UPDATE",
        };
        let shape = match engine {
            Engine::Sqlite => {
                "SELECT ?1, name, type, CASE WHEN pk > 0 THEN 'PRI' ELSE '' END FROM pragma_table_info(?1) \
                 UNION ALL SELECT ?2, name, type, CASE WHEN pk > 0 THEN 'PRI' ELSE '' END FROM pragma_table_info(?2)"
                    .to_string()
            }
            Engine::MySql => format!(
                "SELECT table_name, column_name, column_type, column_key FROM information_schema.columns \
                 WHERE table_schema = DATABASE() AND table_name IN (?, ?) \
                 UNION ALL SELECT table_name, '{ENGINE_ROW}', engine, '' FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_name IN (?, ?)"
            ),
            Engine::Postgres => "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), \
                 CASE WHEN EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary \
                 AND a.attnum = ANY(i.indkey)) THEN 'PRI' ELSE '' END \
                 FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid \
                 WHERE c.oid IN (to_regclass($1), to_regclass($2)) AND a.attnum > 0 AND NOT a.attisdropped"
                .to_string(),
        };
        Statements {
            engine,
            get: format!("SELECT {v}, {r} FROM {t} WHERE {k} = {}", p(1)),
            keys: format!("SELECT {k} FROM {t} WHERE {range} ORDER BY {k} LIMIT {}", p(3)),
            scan: format!("SELECT {k}, {v}, {r} FROM {t} WHERE {range} ORDER BY {k} LIMIT {}", p(3)),
            lock_counter: format!("SELECT {r} FROM {c} WHERE id = 1{lock}"),
            read_counter: format!("SELECT {r} FROM {c} WHERE id = 1"),
            set_counter: format!("UPDATE {c} SET {r} = {} WHERE id = 1", p(1)),
            delete_tree: format!("DELETE FROM {t} WHERE {k} = {} OR ({k} >= {} AND {k} < {})", p(1), p(2), p(3)),
            delete_range: format!("DELETE FROM {t} WHERE {range}"),
            shape,
            table: table.to_string(),
            counter,
        }
    }

    pub(super) fn table(&self) -> &str {
        &self.table
    }

    pub(super) fn counter(&self) -> &str {
        &self.counter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_quote_and_number_their_parameters() {
        let pg = Statements::new(Engine::Postgres, "cfg");
        assert_eq!(pg.keys, r#"SELECT "key" FROM "cfg" WHERE "key" >= $1 AND "key" < $2 ORDER BY "key" LIMIT $3"#);
        assert_eq!(
            Engine::Postgres.upsert(&pg, 2),
            r#"INSERT INTO "cfg" ("key", "value", "revision") VALUES ($1, $2, $3), ($4, $5, $6) ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value", "revision" = excluded."revision""#
        );
        let my = Statements::new(Engine::MySql, "cfg");
        assert_eq!(my.lock_counter, "SELECT `revision` FROM `cfg_rev` WHERE id = 1 FOR UPDATE");
        assert_eq!(Engine::MySql.delete(&my, 2), "DELETE FROM `cfg` WHERE `key` IN (?, ?)");
        let lite = Statements::new(Engine::Sqlite, "cfg");
        assert_eq!(Engine::Sqlite.revisions(&lite, 1), r#"SELECT "key", "revision" FROM "cfg" WHERE "key" IN (?1)"#);
    }
}
