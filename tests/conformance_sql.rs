//! The conformance suite on each relational engine: an SQLite file per
//! test, one MariaDB and one PostgreSQL for the binary with a table per
//! test; and what is the relational store's own, on each engine.

mod conformance;
mod util;

use std::time::Duration;

use conformance::key;
use ovs_config::store::{self, Precondition, Revision, Store, StoreExt, StoreUrl, Write};
use util::sql::Db;

fn open(url: &str) -> Box<dyn Store> {
    let options = store::Options { timeout: Duration::from_secs(10), ..store::Options::default() };
    store::open(&StoreUrl::parse(url).unwrap(), &options).unwrap()
}

fn fixture(db: Option<Db>) -> Option<conformance::Fixture> {
    let db = db?;
    Some((open(&db.url), Box::new(db)))
}

/// The store of a fixture's table, opened again.
fn second(db: &dyn std::any::Any) -> Box<dyn Store> {
    open(&db.downcast_ref::<Db>().unwrap().url)
}

/// The shared suite and the tests below, on one engine.
macro_rules! engine {
    (@each $db:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                let Some(db) = $db else { return };
                super::$name(&db);
            }
        )*
    };
    ($db:expr) => {
        fn store() -> Option<conformance::Fixture> {
            fixture($db)
        }

        conformance_suite!(store, second);

        engine!(@each $db; first_writers_all_make_the_tables_and_none_fails,
            a_commit_that_changes_nothing_leaves_the_counter, scan_pages_hold_a_few_megabytes_of_large_values);
    };
}

mod sqlite {
    use super::*;
    engine!(Db::sqlite());
    engine!(@each Db::sqlite(); the_files_are_private);
}

mod mariadb {
    use super::*;
    engine!(Db::mariadb());
}

mod postgres {
    use super::*;
    engine!(Db::postgres());
}

/// Eight stores write their first key to a table nobody has made yet, at
/// the same moment: each makes the tables or finds them made, and every
/// write lands at a revision of its own.
fn first_writers_all_make_the_tables_and_none_fails(db: &Db) {
    let revisions: Vec<Revision> = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..8)
            .map(|i| scope.spawn(move || open(&db.url).put(&key(&format!("/first/{i}")), b"v", Precondition::Absent)))
            .collect();
        writers.into_iter().map(|w| w.join().unwrap().unwrap()).collect()
    });
    let mut sorted = revisions.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, (1..=8).map(Revision).collect::<Vec<_>>(), "{revisions:?}");
    assert_eq!(open(&db.url).keys(&key("/first")).unwrap().count(), 8);
}

/// Checks alone, and a recursive delete of nothing, write nothing: the
/// counter stays, and the next write is the next revision.
fn a_commit_that_changes_nothing_leaves_the_counter(db: &Db) {
    let s = open(&db.url);
    let rev = s.put(&key("/k"), b"v", Precondition::Any).unwrap();
    let done =
        s.commit(&[Write::check(&key("/k"), Precondition::Revision(rev)), Write::delete_tree(&key("/none"))]).unwrap();
    assert_eq!((done.revision, done.deleted), (rev, 0));
    assert_eq!(s.put(&key("/k"), b"w", Precondition::Any).unwrap(), Revision(rev.0 + 1));
}

/// Large values after small ones: a scan's page stops taking rows once it
/// holds a few megabytes, and the next page starts after the last row
/// taken; every entry comes, in order, with its value and revision.
fn scan_pages_hold_a_few_megabytes_of_large_values(db: &Db) {
    let s = open(&db.url);
    let small: Vec<Write> =
        (0..300).map(|i| Write::put(&key(&format!("/v/a{i:03}")), b"small", Precondition::Any)).collect();
    s.commit(&small).unwrap();
    // 40 values of 400 kB: the page after the small ones, sized for them, would hold 16 MB.
    let big = |i: usize| vec![b'a' + (i % 26) as u8; 400_000];
    let writes: Vec<Write> =
        (0..40).map(|i| Write::put(&key(&format!("/v/b{i:03}")), &big(i), Precondition::Any)).collect();
    let done = s.commit(&writes).unwrap();
    let scanned: Vec<store::Entry> = s.scan(&key("/v")).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(scanned.len(), 340);
    assert!(scanned.windows(2).all(|w| w[0].key < w[1].key));
    assert!(scanned[..300].iter().all(|e| e.value == b"small"));
    assert!(scanned[300..].iter().enumerate().all(|(i, e)| e.value == big(i) && e.revision == done.revision));
}

/// The SQLite file ovs makes, and its `-wal` and `-shm` while a store has
/// it open, are 0600, as the directory store's files are, whatever the umask.
fn the_files_are_private(db: &Db) {
    use std::os::unix::fs::PermissionsExt;
    let s = open(&db.url);
    s.get(&key("/k")).unwrap_err();
    let file = db.file().unwrap();
    assert!(!file.exists(), "a read made the file");
    s.put(&key("/k"), b"v", Precondition::Any).unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", file.display());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{path} is {mode:o}");
    }
}
