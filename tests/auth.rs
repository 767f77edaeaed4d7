//! A refused login or permission is its own kind of failure: exit 8, one
//! line naming the store, never the password or token; `-vv` adds the cause
//! chain, one "caused by" line each. Checked on every store that logs in:
//! etcd (a server of its own with auth enabled), ZooKeeper (a znode with a
//! digest ACL for another identity), MySQL and PostgreSQL (the shared test
//! servers, a wrong password), Consul (the fake agent with ACLs on, a token
//! it does not know). And the cause chain of an unreachable store.

mod util;

use std::collections::HashMap;

use util::consul::{Access, Config, FakeConsul};
use util::etcd::EtcdCluster;
use util::sql::{Db, PASSWORD};
use util::zookeeper::ZkEnsemble;
use util::Env;

const WRONG: &str = "wr0ng-pa55w0rd";

/// What `ovs config -vv? get /auth/k` printed on stderr, refused: exit 8,
/// the first line naming `store` and saying access was denied, and none of
/// `secrets` anywhere. With -vv, at least one cause line too.
fn refused(env: &Env, verbose: bool, store: &str, secrets: &[&str], setup: impl Fn(&mut assert_cmd::Command)) {
    let mut cmd = env.config(if verbose { &["-vv", "get", "/auth/k"][..] } else { &["get", "/auth/k"] });
    setup(&mut cmd);
    let out = cmd.assert().code(8).get_output().clone();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let all = format!("{}{stderr}", String::from_utf8_lossy(&out.stdout));
    for secret in secrets {
        assert!(!all.contains(secret), "{secret:?} was printed: {all}");
    }
    // Messages name a store without its user: `etcd://root@h:p` is `etcd://h:p`.
    let named = match store.split_once("://").and_then(|(scheme, rest)| Some((scheme, rest.split_once('@')?.1))) {
        Some((scheme, rest)) => format!("{scheme}://{rest}"),
        None => store.to_string(),
    };
    let error = stderr.lines().find(|l| l.starts_with("error: ")).unwrap_or_else(|| panic!("{stderr}"));
    assert!(error.starts_with(&format!("error: {named}: access denied")), "{named}: {stderr}");
    if verbose {
        assert!(stderr.lines().any(|l| l.starts_with("  caused by: ")), "no cause at -vv: {stderr}");
    } else {
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[test]
fn etcd_refuses_a_wrong_password_with_exit_8() {
    let Some(etcd) = EtcdCluster::start(1) else { return };
    for args in [&["user", "add", "root:s3cret-pw"][..], &["auth", "enable"]] {
        let out = etcd.etcdctl().args(args).output().unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let store = format!("etcd://root@{}", etcd.endpoints());
    let env = Env::with_store(store.clone(), Box::new(etcd));
    for verbose in [false, true] {
        refused(&env, verbose, &store, &[WRONG, "s3cret-pw"], |cmd| {
            cmd.env("OVS_CONFIG_PASSWORD", WRONG);
        });
    }
}

#[test]
fn zookeeper_refuses_a_znode_whose_acl_names_another_identity_with_exit_8() {
    let Some(zk) = ZkEnsemble::start(1) else { return };
    let hosts = zk.hosts();
    let env = Env::with_store(zk.url(), Box::new(zk));
    // Made by alice: its ACL (creator_all) is hers alone.
    env.config(&["set", "/auth/k", "v"])
        .args(["--store", &format!("zk://alice@{hosts}")])
        .env("OVS_CONFIG_PASSWORD", "alice-pw")
        .assert()
        .success();
    let store = format!("zk://bob@{hosts}");
    for verbose in [false, true] {
        refused(&env, verbose, &store, &["bob-pw", "alice-pw"], |cmd| {
            cmd.args(["--store", &store]).env("OVS_CONFIG_PASSWORD", "bob-pw");
        });
    }
}

fn sql_refuses_a_wrong_password_with_exit_8(db: Db) {
    let store = db.url_as("secure");
    let env = Env::with_store(store.clone(), Box::new(db));
    for verbose in [false, true] {
        refused(&env, verbose, &store, &[WRONG, PASSWORD], |cmd| {
            cmd.env("OVS_CONFIG_PASSWORD", WRONG);
        });
    }
}

#[test]
fn mysql_refuses_a_wrong_password_with_exit_8() {
    let Some(db) = Db::mariadb() else { return };
    sql_refuses_a_wrong_password_with_exit_8(db);
}

#[test]
fn postgres_refuses_a_wrong_password_with_exit_8() {
    let Some(db) = Db::postgres() else { return };
    sql_refuses_a_wrong_password_with_exit_8(db);
}

#[test]
fn consul_refuses_a_token_it_does_not_know_with_exit_8() {
    const TOKEN: &str = "5ec7e7-70ken-a11";
    const UNKNOWN: &str = "unkn0wn-70ken";
    let tokens = HashMap::from([(TOKEN.to_string(), vec![(String::new(), Access::Write)])]);
    let fake = FakeConsul::start_with(Config { acl: Some(tokens), ..Config::default() });
    let store = fake.url();
    let env = Env::with_store(store.clone(), Box::new(()));
    for verbose in [false, true] {
        refused(&env, verbose, &store, &[TOKEN, UNKNOWN], |cmd| {
            cmd.env("CONSUL_HTTP_TOKEN", UNKNOWN);
        });
    }
    // The refusal is Consul's own: "ACL not found".
    let out = env.config(&["get", "/auth/k"]).env("CONSUL_HTTP_TOKEN", UNKNOWN).assert().code(8).get_output().clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("ACL not found"), "{out:?}");
}

#[test]
fn an_unreachable_etcd_shows_its_cause_chain_at_vv_and_one_line_without() {
    let port = util::etcd::free_port();
    let store = format!("etcd://127.0.0.1:{port}");
    let env = Env::with_store(store.clone(), Box::new(()));
    let endpoint = format!("http://127.0.0.1:{port}");
    let out = env.config(&["get", "/k"]).args(["--timeout", "2s"]).assert().code(6).get_output().clone();
    // The one line, as it has always read.
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("error: {store}: cannot reach any of {endpoint}: {endpoint}: tcp connect error\n")
    );
    let out = env.config(&["-vv", "get", "/k"]).args(["--timeout", "2s"]).assert().code(6).get_output().clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let ours: Vec<&str> =
        stderr.lines().filter(|l| l.starts_with("error: ") || l.starts_with("  caused by: ")).collect();
    assert_eq!(
        ours.first().copied(),
        Some(format!("error: {store}: cannot reach any of {endpoint}").as_str()),
        "{stderr}"
    );
    assert!(ours.contains(&"  caused by: Connection refused (os error 111)"), "{stderr}");
    assert!(ours.len() >= 3, "{stderr}");
}
