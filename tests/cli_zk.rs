//! The CLI suite against a real ZooKeeper, the network suite (an ensemble
//! with a server down, servers down or silent), and what is ZooKeeper's
//! own: zkCli interop, digest auth, chroot, parents, leader elections.

mod cli_suite;
mod network_suite;
mod util;

use std::time::{Duration, Instant};

use assert_cmd::assert::OutputAssertExt;
use network_suite::{Cluster, Network};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use util::fixture::{self, Fixture};
use util::suite::{self, Table};
use util::zookeeper::ZkEnsemble;
use util::Env;

/// What is ZooKeeper's own.
const OWN: Table<fn()> = table![
    zkcli_writes_read_back_identically_and_the_reverse,
    empty_parents_are_not_keys_and_are_pruned,
    chroot_scopes_every_key,
    a_value_over_the_znode_limit_is_refused_before_sending,
    zookeepers_own_tree_is_neither_listed_nor_written,
    an_editor_open_longer_than_the_session_timeout_still_writes,
    an_edit_across_a_replaced_server_is_checked_against_the_new_one,
    tls_is_refused_rather_than_ignored,
    a_user_name_with_a_colon_is_refused_before_connecting,
    a_leader_election_is_ridden_out,
    digest_auth_protects_what_it_creates,
    a_listing_that_meets_an_unreadable_znode_names_it,
    a_subtree_too_large_for_one_multi_is_refused_whole,
];

fn main() {
    let mut trials = cli_suite::trials("", fixture::zookeeper);
    trials.extend(network_suite::trials(
        "",
        Network {
            url: |hosts| format!("zk://{hosts}"),
            retries_until_the_timeout: true,
            cluster: Some(Cluster {
                first_down: one_server_of_three_down,
                live: || Some(util::zookeeper::shared()?.hosts()),
            }),
        },
    ));
    trials.extend(suite::each("", OWN));
    suite::run(trials)
}

/// A server of its own, for tests that look at the whole tree.
fn zk_env() -> Option<Env> {
    let zk = ZkEnsemble::start(1)?;
    Some(Env::with_store(zk.url(), Box::new(zk)))
}

/// An ensemble of three, the first server of the connect string killed.
fn one_server_of_three_down() -> Option<Fixture> {
    let mut zk = ZkEnsemble::start(3)?;
    zk.kill(0);
    Some(Fixture::new(zk.url(), Box::new(zk)))
}

fn zk(env: &Env) -> &ZkEnsemble {
    env.server.as_ref().unwrap().downcast_ref().unwrap()
}

fn zkcli_writes_read_back_identically_and_the_reverse() {
    let Some(env) = zk_env() else { return };
    let out = zk(&env)
        .zkcli("create /interop\ncreate /interop/text from-zkcli\ncreate /interop/dir\ncreate /interop/dir/k v");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(env.get("/interop/text"), b"from-zkcli");
    env.config(&["list", "/interop"]).assert().success().stdout("dir/\ntext\n");
    env.set("/interop/from-ovs", "hello ovs");
    let out = zk(&env).zkcli("get /interop/from-ovs");
    assert!(String::from_utf8_lossy(&out.stdout).lines().any(|l| l == "hello ovs"), "{out:?}");
}

fn empty_parents_are_not_keys_and_are_pruned() {
    let Some(env) = zk_env() else { return };
    env.set("/p/q/r", "leaf");
    env.config(&["list", "-r", "/"]).assert().success().stdout("/p/q/r\n");
    env.config(&["get", "/p/q"]).assert().code(4);
    // Deleting the leaf removes the parents it created.
    env.config(&["delete", "/p/q/r"]).assert().success();
    let out = zk(&env).zkcli("ls /");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("p,") && !String::from_utf8_lossy(&out.stdout).contains("[p"),
        "{out:?}"
    );
    // A key that still has keys below it becomes a parent again when deleted.
    env.set("/k", "v");
    env.set("/k/below", "w");
    env.config(&["delete", "/k"]).assert().success();
    env.config(&["list", "-r", "/"]).assert().success().stdout("/k/below\n");
    env.config(&["get", "/k"]).assert().code(4);
}

fn chroot_scopes_every_key() {
    let Some(env) = zk_env() else { return };
    let chrooted = format!("{}/flocker/control", zk(&env).url());
    env.config(&["set", "/state", "v1"]).args(["--store", &chrooted]).assert().success();
    env.config(&["list", "-r", "/"]).args(["--store", &chrooted]).assert().success().stdout("/state\n");
    assert_eq!(env.get("/flocker/control/state"), b"v1");
    env.config(&["delete", "-r", "--yes", "/"]).args(["--store", &chrooted]).assert().success();
    // The chroot ovs created as a parent goes with its last key.
    env.config(&["list", "-r", "/"]).assert().success().stdout("");
}

fn a_value_over_the_znode_limit_is_refused_before_sending() {
    let Some(env) = fixture::zookeeper().map(Fixture::env) else { return };
    env.config(&["set", "/big", "-"])
        .write_stdin("x".repeat(1 << 20))
        .assert()
        .code(2)
        .stderr(contains("jute.maxbuffer"));
    env.config(&["get", "/big"]).assert().code(4);
}

fn zookeepers_own_tree_is_neither_listed_nor_written() {
    let Some(env) = zk_env() else { return };
    env.config(&["list"]).assert().success().stdout("");
    env.config(&["set", "/zookeeper/quota", "x"]).assert().code(2);
    // Nor through a chroot: one inside /zookeeper is refused before any I/O.
    for chroot in ["/zookeeper", "/zookeeper/quota"] {
        let url = format!("{}{chroot}", zk(&env).url());
        env.config(&["set", "/quota/evil", "v"])
            .args(["--store", &url])
            .assert()
            .code(2)
            .stderr(contains("/zookeeper"));
        env.config(&["list", "-r", "/"]).args(["--store", &url]).assert().code(2);
    }
    // A chroot that merely starts with the same letters is an ordinary one.
    let url = format!("{}/zookeeperx", zk(&env).url());
    env.config(&["set", "/k", "v"]).args(["--store", &url]).assert().success();
    assert_eq!(env.get("/zookeeperx/k"), b"v");
}

fn an_editor_open_longer_than_the_session_timeout_still_writes() {
    let Some(env) = fixture::zookeeper().map(Fixture::env) else { return };
    env.set("/e", "old");
    // --timeout 2 asks for a 4 s session; the editor stays open 6 s.
    let slow = env.editor("slow.sh", r#"sleep 6; printf 'new' > "$1""#);
    env.config(&["edit", "/e", "--timeout", "2"]).env("EDITOR", slow).assert().success();
    assert_eq!(env.get("/e"), b"new");
}

fn an_edit_across_a_replaced_server_is_checked_against_the_new_one() {
    let Some(mut zk) = ZkEnsemble::start(1) else { return };
    let env = Env::with_store(zk.url(), Box::new(()));
    env.set("/existed", "old");
    // Each editor says it has started, then waits (at most 30 s) for "go".
    let editor = env.editor(
        "wait.sh",
        r#"touch "$STARTED"
i=0
while [ ! -e "$GO" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
printf 'mine' > "$1""#,
    );
    let go = env.path().join("go");
    let edit = |key: &str| {
        let started = env.path().join(format!("started{}", key.replace('/', "-")));
        let mut cmd = env.config(&["edit", key]);
        cmd.env("EDITOR", &editor).env("STARTED", &started).env("GO", &go);
        (started, std::thread::spawn(move || cmd.output().unwrap()))
    };
    let edits = [edit("/existed"), edit("/created")];
    for (started, _) in &edits {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !started.exists() {
            assert!(Instant::now() < deadline, "the editor did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    // Both sessions were opened on the old server, which is gone with its data.
    zk.replace(0);
    std::fs::write(&go, "").unwrap();
    let [(_, existed), (_, created)] = edits;
    existed.join().unwrap().assert().code(5).stderr(contains("conflict on /existed"));
    created.join().unwrap().assert().success();
    assert_eq!(env.get("/created"), b"mine");
    env.config(&["get", "/existed"]).assert().code(4);
}

fn tls_is_refused_rather_than_ignored() {
    let env = Env::new();
    if !util::etcd::require("openssl") {
        return;
    }
    let certs = util::etcd::make_certificates(env.path());
    env.config(&["get", "/x", "--store", "zk://127.0.0.1:1"])
        .arg("--cacert")
        .arg(certs.ca.unwrap())
        .assert()
        .code(2)
        .stderr(contains("TLS"));
}

fn a_user_name_with_a_colon_is_refused_before_connecting() {
    let env = Env::new();
    // Nothing listens on port 1: only a check made before connecting exits 2.
    let out = env
        .config(&["get", "/x", "--store", "zk://127.0.0.1:1", "--user", "al:ice"])
        .env("OVS_CONFIG_PASSWORD", "pw-secret")
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("user name cannot contain ':'") && !stderr.contains("pw-secret"), "{stderr}");
}

fn a_leader_election_is_ridden_out() {
    let Some(mut zk) = ZkEnsemble::start(3) else { return };
    let env = Env::with_store(zk.url(), Box::new(()));
    env.set("/before", "1");
    zk.kill(zk.leader().expect("a server says it leads"));
    // A read and a write at once, while the other two elect a new leader.
    let started = Instant::now();
    let run = |args: &[&str]| {
        let mut cmd = env.config(args);
        cmd.args(["--timeout", "20"]);
        std::thread::spawn(move || cmd.output().unwrap())
    };
    let (get, set) = (run(&["get", "/before"]), run(&["set", "/during", "2"]));
    get.join().unwrap().assert().success().stdout("1");
    set.join().unwrap().assert().success();
    eprintln!("the election was ridden out in {:?}", started.elapsed());
    assert_eq!(env.get("/during"), b"2");
}

/// `ovs config ARGS` logged in to env's server as alice, by digest auth.
fn as_alice(env: &Env, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = env.config(args);
    cmd.args(["--store", &format!("zk://alice@{}", zk(env).hosts())]).env("OVS_CONFIG_PASSWORD", "alice-pw");
    cmd
}

fn digest_auth_protects_what_it_creates() {
    let Some(env) = zk_env() else { return };
    let url = format!("zk://alice@{}", zk(&env).hosts());
    as_alice(&env, &["set", "/secret/k", "v"]).assert().success();
    as_alice(&env, &["get", "/secret/k"]).assert().success().stdout("v");
    // Anonymous and wrong-password clients are refused, and no password is echoed.
    env.config(&["get", "/secret/k"]).assert().code(8).stderr(contains("access denied"));
    let out = env
        .config(&["get", "/secret/k"])
        .args(["--store", &url])
        .env("OVS_CONFIG_PASSWORD", "wrong-pw")
        .assert()
        .code(8)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("access denied") && !stderr.contains("wrong-pw") && !stderr.contains("alice-pw"),
        "{stderr}"
    );
}

fn a_listing_that_meets_an_unreadable_znode_names_it() {
    let Some(env) = zk_env() else { return };
    as_alice(&env, &["set", "/secret/k", "v"]).assert().success();
    env.set("/open/k", "v");
    for args in [&["list", "-r", "/"][..], &["list", "/"], &["list", "-r", "/secret"]] {
        let out = env.config(args).assert().code(8).get_output().clone();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains("access denied listing /secret"), "{args:?}: {stderr}");
    }
}

fn a_subtree_too_large_for_one_multi_is_refused_whole() {
    let Some(env) = zk_env() else { return };
    // 4,200 znodes with 240-byte names: over 1 MiB of delete operations.
    let count = 4_200;
    let mut commands = String::from("create /big\n");
    for i in 0..count {
        commands.push_str(&format!("create /big/{i:05}{} v\n", "n".repeat(235)));
    }
    let out = zk(&env).zkcli(&commands);
    assert!(out.status.success(), "{out:?}");
    env.config(&["list", "/big"])
        .assert()
        .success()
        .stdout(predicates::function::function(|s: &str| s.lines().count() == count));
    env.config(&["delete", "-r", "--yes", "/big"])
        .assert()
        .code(2)
        .stderr(contains("4201 ZooKeeper operations").and(contains("jute.maxbuffer")));
    // Nothing was deleted.
    let listed = env.config(&["list", "-r", "/big"]).assert().success().get_output().stdout.clone();
    assert_eq!(listed.iter().filter(|b| **b == b'\n').count(), count);
}
