//! The CLI suite on each relational engine, and what is the relational
//! store's own: the table made by the first write, a table of another
//! shape left alone, keys compared by their bytes, what the engine's own
//! client sees; on the servers, password logins, TLS and unreachable
//! servers.

mod cli_suite;
mod util;

use std::time::{Duration, Instant};

use predicates::prelude::*;
use predicates::str::contains;
use util::etcd::free_port;
use util::sql::{Db, PASSWORD};
use util::Env;

/// The shared suite and the tests every engine runs; with `server`, also
/// those of a database server.
macro_rules! engine {
    (@each $db:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                let Some(db) = $db else { return };
                super::$name(db);
            }
        )*
    };
    ($db:expr, server) => {
        engine!($db);
        engine!(@each $db; a_password_login_keeps_the_password_secret, an_unreachable_server_exits_6_naming_it,
            mutual_tls, a_key_longer_than_the_key_column_is_refused);
    };
    ($db:expr) => {
        fn env() -> Option<Env> {
            Some($db?.env())
        }

        cli_suite!(env);

        engine!(@each $db; a_missing_table_reads_as_empty_until_the_first_write,
            a_table_of_another_shape_is_refused_and_left_alone, keys_compare_by_their_bytes,
            the_engines_own_client_reads_what_ovs_wrote);
    };
}

mod sqlite {
    use super::*;
    engine!(Db::sqlite());
}

mod mariadb {
    use super::*;
    engine!(Db::mariadb(), server);
}

mod postgres {
    use super::*;
    engine!(Db::postgres(), server);
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
    cli_suite::a_password_login_keeps_the_password_secret(&env, PASSWORD);
}

fn an_unreachable_server_exits_6_naming_it(db: Db) {
    let port = free_port();
    let url = db.url.replace(&format!(":{}/", db.server().port), &format!(":{port}/"));
    let env = Env::with_store(url, Box::new(db));
    let started = Instant::now();
    let endpoint = format!("127.0.0.1:{port}");
    for args in [&["get", "/x"][..], &["set", "/x", "1"], &["list", "-r"]] {
        env.config(args).args(["--timeout", "2"]).assert().code(6).stderr(contains(endpoint.as_str()));
    }
    assert!(started.elapsed() < Duration::from_secs(3 * 2 + 3), "took {:?}", started.elapsed());
    // Accepts connections and never answers: only the timeout ends the wait.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let started = Instant::now();
    env.config(&["get", "/x", "--timeout", "2"])
        .args(["--store", &env.store_url.replace(&format!(":{port}/"), &format!(":{silent_port}/"))])
        .assert()
        .code(6)
        .stderr(contains(format!("127.0.0.1:{silent_port}")));
    assert!(started.elapsed() < Duration::from_secs(4), "took {:?}", started.elapsed());
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
    with(&["get", "/tls/k"], &all[..1]).assert().code(1);
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
