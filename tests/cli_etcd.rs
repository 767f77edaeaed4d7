//! The CLI suite against a real etcd, the network suite (failover,
//! unreachable clusters), and what is etcd's own: interop with etcdctl,
//! authentication, TLS, the request limit, history and rollback.

mod cli_suite;
mod network_suite;
mod util;

use std::time::Duration;

use network_suite::{Cluster, Network};
use predicates::str::contains;
use util::etcd::EtcdCluster;
use util::fixture::{self, Fixture};
use util::suite::{self, Table};
use util::Env;

/// What is etcd's own.
const OWN: Table<fn()> = table![
    etcdctl_writes_read_back_identically,
    ovs_writes_read_back_identically_in_etcdctl,
    password_authentication_keeps_the_password_secret,
    mutual_tls,
    values_over_etcds_request_limit_are_refused_naming_it,
    keys_other_tools_wrote_that_ovs_cannot_address_are_listed_escaped,
    history_lists_versions_oldest_first_and_shows_each,
    rollback_writes_the_old_value_as_a_new_revision,
    rollback_to_a_value_the_validator_now_rejects_exits_3,
    rollback_meeting_a_concurrent_write_exits_5,
];

fn main() {
    let mut trials = cli_suite::trials("", fixture::etcd);
    trials.extend(network_suite::trials(
        "",
        Network {
            url: |endpoints| format!("etcd://{endpoints}"),
            retries_until_the_timeout: false,
            cluster: Some(Cluster {
                first_down: one_member_of_three_down,
                live: || Some(util::etcd::shared()?.endpoints()),
            }),
        },
    ));
    trials.extend(suite::each("", OWN));
    suite::run(trials)
}

/// A fresh root on the etcd this binary shares.
fn etcd_env() -> Option<Env> {
    fixture::etcd().map(Fixture::env)
}

/// Three members, the first endpoint of the URL killed.
fn one_member_of_three_down() -> Option<Fixture> {
    let mut etcd = EtcdCluster::start(3)?;
    etcd.kill(0);
    Some(Fixture::new(etcd.url(), Box::new(etcd)))
}

/// The cluster behind `env`: its own, or the shared one.
fn cluster(env: &Env) -> &EtcdCluster {
    env.server.as_ref().and_then(|server| server.downcast_ref()).unwrap_or_else(|| util::etcd::shared().unwrap())
}

fn etcdctl_writes_read_back_identically() {
    let Some(env) = etcd_env() else { return };
    let etcd = cluster(&env);
    let out = etcd.etcdctl().args(["put", &format!("{}/interop/text", env.root), "from etcdctl\n"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(env.get("/interop/text"), b"from etcdctl\n");
    let out = etcd.etcdctl().args(["put", &format!("{}/interop/dir/k", env.root), "v"]).output().unwrap();
    assert!(out.status.success());
    env.config(&["list", "/interop"]).assert().success().stdout("dir/\ntext\n");
}

fn ovs_writes_read_back_identically_in_etcdctl() {
    let Some(env) = etcd_env() else { return };
    let etcd = cluster(&env);
    let binary: Vec<u8> = (0..=255u8).rev().collect();
    let file = env.path().join("bin");
    std::fs::write(&file, &binary).unwrap();
    env.config(&["set", "/interop/bin", "--file", file.to_str().unwrap()]).assert().success();
    env.set("/interop/text", "hello\n");
    // -w json carries the value as base64, so binary survives the comparison.
    let out = etcd.etcdctl().args(["get", &format!("{}/interop/bin", env.root), "-w", "json"]).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    use base64::Engine;
    let value = base64::engine::general_purpose::STANDARD.decode(doc["kvs"][0]["value"].as_str().unwrap()).unwrap();
    assert_eq!(value, binary);
    let mod_revision = doc["kvs"][0]["mod_revision"].as_u64().unwrap();
    assert_eq!(env.revision("/interop/bin"), mod_revision, "revisions are etcd's mod_revision");
    let out =
        etcd.etcdctl().args(["get", &format!("{}/interop/text", env.root), "--print-value-only"]).output().unwrap();
    assert_eq!(out.stdout, b"hello\n\n", "etcdctl adds one newline of its own");
}

fn password_authentication_keeps_the_password_secret() {
    let Some(etcd) = EtcdCluster::start(1) else { return };
    for args in [&["user", "add", "root:s3cret-pw"][..], &["auth", "enable"]] {
        let out = etcd.etcdctl().args(args).output().unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let with_user = format!("etcd://root@{}", etcd.endpoints());
    let env = Env::with_store(with_user, Box::new(etcd));
    cli_suite::a_password_login_keeps_the_password_secret(&env, "s3cret-pw", false);
    // Without credentials, etcd refuses.
    let anonymous = format!("etcd://{}", cluster(&env).endpoints());
    env.config(&["get", "/auth/k"]).args(["--store", &anonymous]).assert().code(8);
}

fn mutual_tls() {
    let Some(etcd) = EtcdCluster::start_tls() else { return };
    let tls = etcd.tls.clone().unwrap();
    let url = format!("etcds://{}", etcd.endpoints());
    let env = Env::with_store(url, Box::new(etcd));
    let with_certs = |args: &[&str]| {
        let mut cmd = env.config(args);
        cmd.arg("--cacert").arg(tls.ca.as_ref().unwrap());
        cmd.arg("--cert").arg(tls.cert.as_ref().unwrap()).arg("--key").arg(tls.key.as_ref().unwrap());
        cmd
    };
    with_certs(&["set", "/tls/k", "secure"]).assert().success();
    with_certs(&["get", "/tls/k"]).assert().success().stdout("secure");
    let out = cluster(&env).etcdctl().args(["get", "/tls/k", "--print-value-only"]).output().unwrap();
    assert_eq!(out.stdout, b"secure\n");
    // Without a client certificate the server refuses the handshake.
    env.config(&["get", "/tls/k", "--timeout", "2"]).arg("--cacert").arg(tls.ca.as_ref().unwrap()).assert().failure();
    // Without the CA, the server's certificate is not trusted.
    env.config(&["get", "/tls/k", "--timeout", "2"]).assert().failure();
}

fn values_over_etcds_request_limit_are_refused_naming_it() {
    let Some(env) = etcd_env() else { return };
    env.set("/big", "small");
    let file = env.path().join("big");
    for size in [1_700_000, 50_000_000] {
        std::fs::write(&file, vec![b'x'; size]).unwrap();
        let out = env.config(&["set", "/big", "--file", file.to_str().unwrap()]).assert().code(2).get_output().clone();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.lines().count() == 1 && err.contains("--max-request-bytes"), "{err}");
    }
    // Told the server takes more, ovs sends it; the server's refusal names the limit too.
    for size in [2_000_000, 3_000_000] {
        std::fs::write(&file, vec![b'x'; size]).unwrap();
        let out = env
            .config(&["set", "/big", "--file", file.to_str().unwrap(), "--max-value-size", "100000000"])
            .assert()
            .code(2)
            .get_output()
            .clone();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.lines().count() == 1 && err.contains("--max-request-bytes"), "{size}: {err}");
    }
    assert_eq!(env.get("/big"), b"small");
}

fn keys_other_tools_wrote_that_ovs_cannot_address_are_listed_escaped() {
    let Some(env) = etcd_env() else { return };
    for key in ["/odd//b", "/odd/c/", "/odd/\x1b[2J", "/odd/fine"] {
        let out = cluster(&env).etcdctl().args(["put", &format!("{}{key}", env.root), "v"]).output().unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let out = env.config(&["list", "-r", "/odd"]).assert().success().get_output().clone();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "/odd/\\u{001b}[2J\n/odd//b\n/odd/c/\n/odd/fine\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.lines().count() == 1 && err.contains("3 key(s)"), "{err}");
    env.config(&["get", "/odd/fine"]).assert().success().stdout("v");
}

// history and rollback: etcd keeps a key's past revisions.

/// Write `value` at `key` (below the env's root) with etcdctl, past ovs's validators.
fn etcdctl_put(env: &Env, key: &str, value: &str) {
    let out = cluster(env).etcdctl().args(["put", &format!("{}{key}", env.root), value]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
}

fn history_lists_versions_oldest_first_and_shows_each() {
    let Some(env) = etcd_env() else { return };
    let mut revisions = Vec::new();
    for value in ["one", "two!", "three"] {
        env.set("/h", value);
        revisions.push(env.revision("/h"));
    }
    let [r1, r2, r3] = revisions[..] else { unreachable!() };
    env.config(&["history", "/h"])
        .assert()
        .success()
        // Revisions are right-aligned to the widest.
        .stdout(format!(
            "{r1:>w$}  3 bytes\n{r2:>w$}  4 bytes\n{r3:>w$}  5 bytes  (current)\n",
            w = r3.to_string().len()
        ));
    env.config(&["history", "/h", "--show", &r2.to_string()]).assert().success().stdout("two!");
    env.config(&["history", "-o", "json", "/h", "--show", &r1.to_string()])
        .assert()
        .success()
        .stdout(format!("{{\"key\":\"/h\",\"value\":\"one\",\"revision\":{r1}}}\n"));
    let out = env.config(&["history", "-o", "json", "/h"]).assert().success().get_output().stdout.clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({"key": "/h", "compacted": null, "versions": [
            {"revision": r1, "size": 3}, {"revision": r2, "size": 4}, {"revision": r3, "size": 5}]})
    );
    env.config(&["history", "/h", "--show", &(r3 + 100).to_string()])
        .assert()
        .code(4)
        .stderr(contains(format!("no version at revision {}", r3 + 100)));
    env.config(&["history", "/missing"]).assert().code(4);
}

fn rollback_writes_the_old_value_as_a_new_revision() {
    let Some(env) = etcd_env() else { return };
    env.set("/r", "good old");
    let old = env.revision("/r");
    env.set("/r", "bad new");
    let bad = env.revision("/r");
    env.config(&["rollback", "--dry-run", "/r", &old.to_string()]).assert().success().stdout("");
    assert_eq!(env.revision("/r"), bad, "a dry run writes nothing");
    let out =
        env.config(&["rollback", "-o", "json", "/r", &old.to_string()]).assert().success().get_output().stdout.clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let now = env.revision("/r");
    assert!(now > bad);
    assert_eq!(doc, serde_json::json!({"key": "/r", "revision": now, "from": old}));
    assert_eq!(env.get("/r"), b"good old");
    env.config(&["rollback", "/r", "1"]).assert().code(4);
}

fn rollback_to_a_value_the_validator_now_rejects_exits_3() {
    let Some(env) = etcd_env() else { return };
    etcdctl_put(&env, util::CELERY_KEY, util::BAD_SCHEDULE);
    let bad = env.revision(util::CELERY_KEY);
    env.set(util::CELERY_KEY, util::GOOD_SCHEDULE);
    let good = env.revision(util::CELERY_KEY);
    env.config(&["rollback", util::CELERY_KEY, &bad.to_string()]).assert().code(3).stderr(contains("minute"));
    assert_eq!(env.revision(util::CELERY_KEY), good, "a rejected rollback writes nothing");
}

/// A write between the rollback's read and its write is a conflict: a
/// writer keeps writing while rollbacks run (each walks back through many
/// versions first), until one meets it.
fn rollback_meeting_a_concurrent_write_exits_5() {
    let Some(env) = etcd_env() else { return };
    env.set("/c", "target");
    let target = env.revision("/c");
    for i in 0..100 {
        etcdctl_put(&env, "/c", &format!("version {i}"));
    }
    use ovs_config::store::StoreExt;
    let store = ovs_config::store::open(
        &ovs_config::store::StoreUrl::parse(&env.store_url).unwrap(),
        &ovs_config::store::Options { timeout: Duration::from_secs(5), ..Default::default() },
    )
    .unwrap();
    let key = ovs_config::store::Key::parse("/c").unwrap();
    for _ in 0..20 {
        let mut rollback = env.config(&["rollback", "/c", &target.to_string()]);
        let done = std::sync::atomic::AtomicBool::new(false);
        let code = std::thread::scope(|scope| {
            scope.spawn(|| {
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    store.put(&key, b"theirs", ovs_config::store::Precondition::Any).unwrap();
                    std::thread::sleep(Duration::from_millis(2));
                }
            });
            let out = rollback.output().unwrap();
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            out
        });
        match code.status.code() {
            Some(5) => {
                assert!(String::from_utf8_lossy(&code.stderr).contains("conflict"), "{code:?}");
                return;
            }
            Some(0) => continue,
            _ => panic!("{code:?}"),
        }
    }
    panic!("no rollback met the concurrent writes");
}
