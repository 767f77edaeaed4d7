//! The CLI suite on each relational engine, the network suite on the
//! servers (down or silent), and what is the relational store's own: the
//! table made by the first write, a table of another shape left alone, keys
//! compared by their bytes, what the engine's own client sees; on the
//! servers, password logins and TLS.

mod cli_suite;
mod network_suite;
mod util;

use predicates::prelude::*;
use predicates::str::contains;
use util::fixture::{self, Factory};
use util::sql::{Db, NO_PASSWORD_USER, PASSWORD};
use util::suite::{self, Table, Trial};
use util::Env;

/// What every engine does.
const ENGINE: Table<fn(Db)> = table![
    a_missing_table_reads_as_empty_until_the_first_write,
    a_table_of_another_shape_is_refused_and_left_alone,
    keys_compare_by_their_bytes,
    the_engines_own_client_reads_what_ovs_wrote,
    a_big_value_is_not_read_for_other_keys,
];

/// And what a database server does.
const SERVER: Table<fn(Db)> = table![
    a_password_login_keeps_the_password_secret,
    mutual_tls,
    a_key_longer_than_the_key_column_is_refused,
    a_user_without_a_password_logs_in_without_one,
];

const POSTGRES: Table<fn(Db)> = table![libpq_variables_fill_what_flags_and_the_url_leave_out];

const OWN: Table<fn()> = table![one_store_named_twice_is_refused, an_earlier_sqlite_table_is_remade_by_the_next_write];

/// The suites on one engine, and `tables` on a fresh table of its own.
fn engine(name: &str, store: Factory, db: fn() -> Option<Db>, tables: &[Table<fn(Db)>]) -> Vec<Trial> {
    let prefix = format!("{name}::");
    let mut trials = cli_suite::trials(&prefix, store);
    for table in tables {
        trials.extend(suite::trials(&prefix, table, move |test: fn(Db)| {
            if let Some(db) = db() {
                test(db);
            }
        }));
    }
    trials
}

fn main() {
    let mut trials = engine("sqlite", fixture::sqlite, Db::sqlite, &[ENGINE]);
    trials.extend(engine("mariadb", fixture::mariadb, Db::mariadb, &[ENGINE, SERVER]));
    trials.extend(network_suite::trials(
        "mariadb::",
        network_suite::Network {
            url: |host| format!("mysql://{host}/ovs?table=t"),
            retries_until_the_timeout: false,
            cluster: None,
        },
    ));
    trials.extend(engine("postgres", fixture::postgres, Db::postgres, &[ENGINE, SERVER, POSTGRES]));
    trials.extend(network_suite::trials(
        "postgres::",
        network_suite::Network {
            url: |host| format!("postgres://{host}/ovs?table=t"),
            retries_until_the_timeout: false,
            cluster: None,
        },
    ));
    trials.extend(suite::each("", OWN));
    suite::run(trials)
}

fn a_missing_table_reads_as_empty_until_the_first_write(db: Db) {
    let env = db.env();
    let db = Db::of(&env);
    env.config(&["list", "-r", "/"]).assert().success().stdout("");
    env.config(&["list", "/"]).assert().success().stdout("");
    env.config(&["get", "/k"]).assert().code(4);
    env.config(&["export", "/"]).assert().success().stdout(contains("keys: {}"));
    env.config(&["set", "/k", "v", "--if-revision", "3"]).assert().code(5);
    assert!(!db.has_table(&db.table), "reading made the table");
    env.set("/k", "v");
    assert!(db.has_table(&db.table) && db.has_table(&format!("{}_rev", db.table)));
    assert_eq!(db.sql(&format!("SELECT count(*) FROM {}", db.table)), "1\n");
}

fn a_table_of_another_shape_is_refused_and_left_alone(db: Db) {
    let t = db.table.clone();
    db.sql(&format!("CREATE TABLE {t} (k VARCHAR(100) PRIMARY KEY, v TEXT); INSERT INTO {t} VALUES ('a', 'b')"));
    let env = db.env();
    let doc = "ovs-config: 1\nprefix: /\nkeys:\n  x: v\n";
    for args in [&["set", "/x", "v"][..], &["get", "/x"], &["list", "-r", "/"], &["list", "/"], &["import", "-"]] {
        env.config(args)
            .write_stdin(doc)
            .assert()
            .code(1)
            .stderr(contains(format!("the table {t} is not one ovs made")).and(contains("?table=NAME")));
    }
    let db = Db::of(&env);
    assert_eq!(db.sql(&format!("SELECT k, v FROM {t}")), "a|b\n");
    assert!(!db.has_table(&format!("{t}_rev")), "a counter was made next to a table of another shape");
}

fn keys_compare_by_their_bytes(db: Db) {
    let env = db.env();
    let keys = [("/a/b", "lower"), ("/a/B", "upper"), ("/a/é", "accent"), ("/a/e", "plain"), ("/a/b ", "space")];
    for (k, v) in keys {
        env.set(k, v);
    }
    // No collation folds case or accents, or pads with spaces.
    for (k, v) in keys {
        assert_eq!(env.get(k), v.as_bytes(), "{k}");
    }
    env.config(&["list", "-r", "/a"]).assert().success().stdout("/a/B\n/a/b\n/a/b \n/a/e\n/a/é\n");
    env.config(&["list", "/a"]).assert().success().stdout("B\nb\nb \ne\né\n");
    let db = Db::of(&env);
    assert_eq!(db.sql(&format!("SELECT count(*) FROM {}", db.table)), "5\n");
}

fn the_engines_own_client_reads_what_ovs_wrote(db: Db) {
    let env = db.env();
    let db = Db::of(&env);
    env.set("/k", "hello");
    let rev = env.revision("/k");
    assert_eq!(db.sql(&format!("SELECT length(value), revision FROM {}", db.table)), format!("5|{rev}\n"));
    env.config(&["delete", "/k"]).assert().success();
    env.set("/k", "again");
    let again = env.revision("/k");
    assert!(again > rev + 1, "the delete moved the counter too: {rev} then {again}");
    assert_eq!(db.sql(&format!("SELECT revision FROM {}_rev", db.table)), format!("{again}\n"));
}

fn a_password_login_keeps_the_password_secret(db: Db) {
    let env = Env::with_store(db.url_as("secure"), Box::new(db));
    cli_suite::a_password_login_keeps_the_password_secret(&env, PASSWORD, true);
}

fn mutual_tls(db: Db) {
    let tls = db.server().tls.clone();
    let (ca, cert, key) = (tls.ca.unwrap(), tls.cert.unwrap(), tls.key.unwrap());
    let env = Env::with_store(db.url_as("client"), Box::new(db));
    let with = |args: &[&str], files: &[(&str, &std::path::Path)]| {
        let mut cmd = env.config(args);
        cmd.env("OVS_CONFIG_PASSWORD", PASSWORD).args(["--timeout", "5"]);
        for (flag, path) in files {
            cmd.arg(flag).arg(path);
        }
        cmd
    };
    let all = [("--cacert", ca.as_path()), ("--cert", cert.as_path()), ("--key", key.as_path())];
    with(&["set", "/tls/k", "secure"], &all).assert().success();
    with(&["get", "/tls/k"], &all).assert().success().stdout("secure");
    // Without a client certificate the server refuses this user.
    with(&["get", "/tls/k"], &all[..1]).assert().code(8);
    // Without the CA, the server's certificate is not trusted.
    with(&["get", "/tls/k"], &all[1..]).assert().code(1).stderr(contains("TLS"));
    // Anyone may ask for a verified server over TLS.
    let plain = Env::with_store(Db::of(&env).url.clone(), Box::new(()));
    plain.config(&["get", "/tls/k", "--cacert"]).arg(&ca).assert().success().stdout("secure");
}

/// MySQL's key column holds 3072 bytes, PostgreSQL's index 2704: a longer
/// key is refused before any I/O, with the rest of its batch.
fn a_key_longer_than_the_key_column_is_refused(db: Db) {
    let env = db.env();
    let long = format!("/long/{}", "k".repeat(3100));
    env.config(&["set", &long, "v"])
        .assert()
        .code(2)
        .stderr(contains("longer than").and(contains("nothing was written")));
    let doc = format!("ovs-config: 1\nprefix: /\nkeys:\n  short: v\n  {}: v\n", &long[1..]);
    env.config(&["import", "-"]).write_stdin(doc).assert().code(2);
    env.config(&["list", "-r", "/"]).assert().success().stdout("");
    let fits = format!("/fits/{}", "k".repeat(2500));
    env.set(&fits, "v");
    assert_eq!(env.get(&fits), b"v");
}

/// As psql and mysql: a user with no password from any source logs in
/// without one and the server decides; an empty $OVS_CONFIG_PASSWORD is no
/// password (mysql would otherwise be sent an empty one: "using password:
/// YES"); --user names the user of a URL that names none.
fn a_user_without_a_password_logs_in_without_one(db: Db) {
    let plain = db.url.clone();
    let env = Env::with_store(db.url_as(NO_PASSWORD_USER), Box::new(db));
    env.config(&["set", "/nopw/k", "v"]).env_remove("OVS_CONFIG_PASSWORD").assert().success();
    env.config(&["get", "/nopw/k"]).env("OVS_CONFIG_PASSWORD", "").assert().success().stdout("v");
    let as_user = |user: &str| {
        let mut cmd = env.config(&["get", "/nopw/k", "--user", user]);
        cmd.env("OVS_CONFIG_STORE", &plain).env_remove("OVS_CONFIG_PASSWORD");
        cmd
    };
    as_user(NO_PASSWORD_USER).assert().success().stdout("v");
    // The user --user names is the one the server sees.
    as_user("nobody_here").assert().code(8).stderr(contains("nobody_here").and(contains("no password was given")));
}

/// libpq's PGUSER, PGPASSWORD, PGHOST, PGPORT and PGDATABASE fill what the
/// flags and the URL leave unset, as they do for psql; what is set wins.
fn libpq_variables_fill_what_flags_and_the_url_leave_out(db: Db) {
    let table = db.table.clone();
    let port = db.server().port.to_string();
    let env = db.env();
    let db = Db::of(&env);
    let owner = || db.sql(&format!("SELECT tableowner FROM pg_tables WHERE tablename = '{table}'"));
    // A URL without a user: PGUSER logs in (the table is theirs), not the login name.
    env.config(&["set", "/pg/k", "v"]).env("PGUSER", NO_PASSWORD_USER).assert().success();
    assert_eq!(owner(), format!("{NO_PASSWORD_USER}\n"));
    db.sql(&format!("GRANT ALL ON {table}, {table}_rev TO secure"));
    // Host, port and database from the environment; the URL's user wins over PGUSER.
    let bare = format!("postgres:///?table={table}");
    let libpq = |user: &str| {
        let mut cmd = env.config(&["get", "/pg/k"]);
        cmd.env("OVS_CONFIG_STORE", bare.replace(":///", &format!("://{user}"))).env_remove("OVS_CONFIG_PASSWORD");
        cmd.envs([
            ("PGHOST", "127.0.0.1"),
            ("PGPORT", port.as_str()),
            ("PGDATABASE", "ovs"),
            ("PGUSER", "nobody_here"),
        ]);
        cmd
    };
    libpq("").env("PGUSER", NO_PASSWORD_USER).assert().success().stdout("v");
    libpq("").assert().code(8).stderr(contains("nobody_here"));
    libpq(&format!("{NO_PASSWORD_USER}@")).assert().success().stdout("v");
    // PGPASSWORD is the password when ovs's own sources give none; theirs win.
    libpq("secure@").env("PGPASSWORD", PASSWORD).assert().success().stdout("v");
    libpq("secure@").env("PGPASSWORD", PASSWORD).env("OVS_CONFIG_PASSWORD", "wrong-pw").assert().code(8);
    libpq("secure@").assert().code(8).stderr(contains("no password was given").and(contains("PGPASSWORD")));
    // Without PGDATABASE a URL must name its database.
    libpq("").env_remove("PGDATABASE").assert().code(2).stderr(contains("PGDATABASE"));
}

/// The peak resident memory of `ovs ARGS` in `env`, in MB; it must succeed.
/// A fresh python3 forks it and reads its `wait4` usage: a child this test
/// process spawned itself would count the test process's own peak (Linux
/// keeps the peak of the memory a process had before its exec).
fn peak_mb(env: &Env, args: &[&str]) -> u64 {
    const MEASURE: &str = "import os, sys
pid = os.fork()
if pid == 0:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)";
    let ovs = env.ovs_process();
    let mut cmd = std::process::Command::new("python3");
    cmd.args(["-c", MEASURE]).arg(ovs.get_program()).arg("config").args(args);
    for (name, value) in ovs.get_envs() {
        match value {
            Some(value) => cmd.env(name, value),
            None => cmd.env_remove(name),
        };
    }
    let out = cmd.output().expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let (code, kb) = text.trim().split_once(' ').unwrap_or_else(|| panic!("{args:?}: {out:?}"));
    assert_eq!(code, "0", "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    kb.parse::<u64>().unwrap() / 1024
}

/// A lookup or a listing never reads another key's value: next to 40 MB
/// values, `get` of a small key, `list` and `export` of a small subtree
/// each take no more memory than without them, on every engine. (Not timed:
/// bench/sql.sh times the same next to 100 MB, in a release build.)
fn a_big_value_is_not_read_for_other_keys(db: Db) {
    const BIG: usize = 40 << 20;
    let env = db.env();
    env.set("/small", "v");
    env.set("/x/small", "v");
    let commands =
        [&["get", "/small"][..], &["get", "/x/small"], &["list", "/"], &["list", "-r", "/"], &["export", "/x/small"]];
    let alone: Vec<u64> = commands.iter().map(|args| peak_mb(&env, args)).collect();
    let file = env.path().join("big");
    // Not compressible, as PostgreSQL would otherwise keep it small.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let big: Vec<u8> = (0..BIG)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            b'a' + (state % 26) as u8
        })
        .collect();
    std::fs::write(&file, &big).unwrap();
    drop(big);
    for key in ["/big", "/x/big"] {
        env.config(&["set", key, "-f"]).arg(&file).args(["--max-value-size", &BIG.to_string()]).assert().success();
    }
    for (args, alone) in commands.iter().zip(alone) {
        let mb = peak_mb(&env, args);
        assert!(mb < alone + 10, "{args:?} took {alone} MB, and {mb} MB next to values of {} MB", BIG >> 20);
    }
    assert_eq!(env.get("/x/small"), b"v");
}

/// Two spellings of one store are one store: naming it twice is refused
/// before anything is written (a slip for another store, which the fan-out
/// would otherwise miss), for a folder, an SQLite file and a cluster's host
/// list alike.
fn one_store_named_twice_is_refused() {
    let env = Env::new();
    let dir = env.store_url.clone();
    let file = format!("sqlite://{}/s.db", env.path().display());
    for (a, b) in [
        (dir.clone(), format!("{dir}/")),
        (dir.clone(), format!("{dir}/../store/.")),
        (format!("{file}?table=ovs_config"), file.replace("/s.db", "//./s.db")),
        ("etcd://127.0.0.1:1,127.0.0.1:2".into(), "etcds://127.0.0.1:2,127.0.0.1:1".into()),
        ("zk://127.0.0.1:1/x".into(), "zk://127.0.0.1:1/x/".into()),
    ] {
        env.config(&["set", "/k", "v"])
            .args(["--store", &a, "--store", &b])
            .assert()
            .code(2)
            .stderr(contains("is named twice").and(contains("name each store once")));
    }
    assert!(!env.store_dir().exists() && !env.path().join("s.db").exists(), "something was written");
    // Two stores that differ are two.
    let other = format!("{dir}-2");
    env.config(&["set", "/k", "v"]).args(["--store", &dir, "--store", &other]).assert().success();
}

/// A table an earlier ovs made on SQLite, `WITHOUT ROWID` (where a big
/// value slows every key near it), is read as it is and remade as a rowid
/// table by the next write, in that write's transaction: every key keeps
/// its value and revision, and the counter goes on.
fn an_earlier_sqlite_table_is_remade_by_the_next_write() {
    let Some(db) = Db::sqlite() else { return };
    let t = db.table.clone();
    db.sql(&format!(
        "CREATE TABLE {t}_rev (id INTEGER NOT NULL PRIMARY KEY, revision INTEGER NOT NULL);
         INSERT INTO {t}_rev VALUES (1, 7);
         CREATE TABLE {t} (key BLOB NOT NULL PRIMARY KEY, value BLOB NOT NULL, revision INTEGER NOT NULL) WITHOUT ROWID;
         INSERT INTO {t} VALUES (CAST('/a' AS BLOB), CAST('x' AS BLOB), 3), (CAST('/b/c' AS BLOB), X'00FF', 7);"
    ));
    let env = db.env();
    let db = Db::of(&env);
    let layout = || db.sql(&format!("SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_master WHERE name = '{t}'"));
    assert_eq!((env.get("/a"), env.revision("/a")), (b"x".to_vec(), 3));
    assert_eq!(layout(), "1\n", "a read remade the table");
    // A write whose check fails leaves it as it was.
    env.config(&["set", "/a", "y", "--if-revision", "2"]).assert().code(5);
    assert_eq!(layout(), "1\n");
    env.set("/d", "z");
    assert_eq!(layout(), "0\n");
    assert_eq!((env.get("/a"), env.revision("/a")), (b"x".to_vec(), 3));
    assert_eq!((env.get("/b/c"), env.revision("/b/c")), (vec![0, 0xff], 7));
    assert_eq!(env.revision("/d"), 8);
    env.config(&["list", "-r", "/"]).assert().success().stdout("/a\n/b/c\n/d\n");
}
