//! The CLI suite against the fake Consul agent (see `tests/util/consul.rs`
//! for what it follows), the network suite (agents down or silent), and
//! what is Consul's own: keys other tools wrote, raw prefixes, the ACL
//! token, agents without a leader, the server's limits, `$CONSUL_HTTP_ADDR`,
//! memory over 100,000 keys.

mod cli_suite;
mod network_suite;
mod util;

use std::collections::HashMap;

use network_suite::{Cluster, Network};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use util::consul::{Access, Config, FakeConsul, Limits, TlsFront};
use util::fixture::{self, Fixture};
use util::suite::{self, Table};
use util::{stderr_of, Env};

/// What is Consul's own.
const OWN: Table<fn()> = table![
    keys_other_tools_wrote_that_ovs_cannot_address_are_listed_and_flagged,
    prefixes_get_their_slash_so_consuls_raw_prefixes_keep_the_boundary,
    the_acl_token_goes_only_in_its_header_and_is_never_printed,
    an_agent_without_a_leader_is_passed_over_for_the_next,
    the_servers_limits_are_reported_as_the_limits_they_are,
    consul_http_addr_names_the_agent_of_a_url_without_one,
    a_delete_guarded_by_a_revision_of_a_missing_key_is_a_conflict,
    a_document_from_another_store_round_trips_through_consul_byte_identically,
    a_listing_of_100_000_keys_streams_in_flat_memory,
    https_with_consuls_own_tls_variables_or_the_flags,
    copy_over_the_transaction_limit_needs_chunked_then_verifies_clean,
    a_destination_value_changed_before_the_read_back_is_a_mismatch,
    keys_other_tools_wrote_that_ovs_cannot_address_are_skipped_by_copy,
];

fn main() {
    let mut trials = cli_suite::trials("", fixture::consul);
    trials.extend(network_suite::trials(
        "",
        Network {
            url: |agents| format!("consul://{agents}"),
            retries_until_the_timeout: false,
            cluster: Some(Cluster {
                first_down: first_of_three_agents_down,
                live: || Some(util::consul::shared().endpoint()),
            }),
        },
    ));
    trials.extend(suite::each("", OWN));
    suite::run(trials)
}

/// A fresh root on the agent this binary shares.
fn consul_env() -> Option<Env> {
    fixture::consul().map(Fixture::env)
}

/// Three agents of one cluster, the first its URL names gone.
fn first_of_three_agents_down() -> Option<Fixture> {
    let first = FakeConsul::start();
    let others = (first.another_agent(), first.another_agent());
    let url = format!("consul://{},{},{}", first.endpoint(), others.0.endpoint(), others.1.endpoint());
    drop(first);
    Some(Fixture::new(url, Box::new(others)))
}

/// An agent of its own, for tests that look at all its keys or set it up.
fn own_agent(config: Config) -> (FakeConsul, Env) {
    let fake = FakeConsul::start_with(config);
    let env = Env::with_store(fake.url(), Box::new(()));
    (fake, env)
}

fn keys_other_tools_wrote_that_ovs_cannot_address_are_listed_and_flagged() {
    let (fake, env) = own_agent(Config::default());
    // A folder made by Consul's UI, an empty segment, and ordinary keys.
    for key in ["odd/folder/", "odd/folder/inside", "odd/a//b", "odd/fine", "odd/empty-ui-dir/"] {
        fake.put_raw(key, b"v");
    }
    let out = env.config(&["list", "-r", "/odd"]).assert().success().get_output().clone();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "/odd/a//b\n/odd/empty-ui-dir/\n/odd/fine\n/odd/folder/\n/odd/folder/inside\n"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.lines().count() == 1 && err.contains("3 key(s)"), "{err}");
    // Children: the folders are subtrees; a folder key is no child of itself.
    env.config(&["list", "/odd"]).assert().success().stdout("a/\nempty-ui-dir/\nfine\nfolder/\n");
    env.config(&["list", "/odd/folder"]).assert().success().stdout("inside\n");
    let out = env.config(&["list", "/odd/a"]).assert().success().get_output().clone();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "/\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be addressed"));
    env.config(&["get", "/odd/fine"]).assert().success().stdout("v");
    // A recursive delete takes the folder key with the rest of the subtree.
    env.config(&["delete", "-r", "--yes", "/odd/folder"]).assert().success().stderr(contains("deleted 2 key(s)"));
    assert_eq!(fake.keys("odd/"), ["odd/a//b", "odd/empty-ui-dir/", "odd/fine"]);
}

fn prefixes_get_their_slash_so_consuls_raw_prefixes_keep_the_boundary() {
    let (fake, env) = own_agent(Config::default());
    for key in ["foo", "foo/a", "foo/b/c", "foobar", "foo-x/y", "foo0"] {
        fake.put_raw(key, b"v");
    }
    env.config(&["list", "-r", "/foo"]).assert().success().stdout("/foo\n/foo/a\n/foo/b/c\n");
    env.config(&["list", "/foo"]).assert().success().stdout("a\nb/\n");
    env.config(&["delete", "-r", "--yes", "/foo"]).assert().success().stderr(contains("deleted 3 key(s)"));
    assert_eq!(fake.keys(""), ["foo-x/y", "foo0", "foobar"]);
    // Children are asked for below `foo/`; the subtree (`foo` and below
    // `foo/`) by the raw `foo`, one listing, its neighbours left out.
    let listings: Vec<String> = fake.requests().into_iter().filter(|r| r.contains("?keys")).collect();
    assert!(listings.iter().any(|r| r.starts_with("/v1/kv/foo/?keys&separator=/")), "{listings:?}");
    assert!(listings.iter().all(|r| r.starts_with("/v1/kv/foo/?") || r.starts_with("/v1/kv/foo?")), "{listings:?}");
}

fn the_acl_token_goes_only_in_its_header_and_is_never_printed() {
    const TOKEN: &str = "5ec7e7-70ken-a11";
    const READER: &str = "read-only-70ken";
    const WRONG: &str = "wr0ng-70ken-6u355";
    let tokens = HashMap::from([
        (TOKEN.to_string(), vec![(String::new(), Access::Write)]),
        (READER.to_string(), vec![(String::new(), Access::Read)]),
        ("pub-only".to_string(), vec![("pub/".to_string(), Access::Read)]),
    ]);
    let (fake, env) = own_agent(Config { acl: Some(tokens), ..Config::default() });
    let secrets = [TOKEN, READER, WRONG];
    let leaks = |text: &str| secrets.iter().any(|s| text.contains(s));
    let check = |assert: assert_cmd::assert::Assert| {
        let out = assert.get_output();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!leaks(&all), "a token was printed: {all}");
        all
    };
    check(env.config(&["-vv", "set", "/k", "v"]).env("CONSUL_HTTP_TOKEN", TOKEN).assert().success());
    check(env.config(&["-vv", "get", "/k"]).env("CONSUL_HTTP_TOKEN", TOKEN).assert().success().stdout("v"));
    // A token file wins over the variable, as in Consul's CLI.
    let file = env.path().join("token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    env.config(&["set", "/k", "w"])
        .env("CONSUL_HTTP_TOKEN", WRONG)
        .env("CONSUL_HTTP_TOKEN_FILE", &file)
        .assert()
        .success();
    // Refusals: no token, a token Consul does not know, one that may only read.
    let all = check(env.config(&["-vv", "get", "/k"]).assert().code(8));
    assert!(all.contains("access denied") && all.contains("CONSUL_HTTP_TOKEN"), "{all}");
    let all = check(env.config(&["-vv", "get", "/k"]).env("CONSUL_HTTP_TOKEN", WRONG).assert().code(8));
    assert!(all.contains("ACL not found"), "{all}");
    let all = check(env.config(&["-vv", "set", "/k", "x"]).env("CONSUL_HTTP_TOKEN", READER).assert().code(8));
    assert!(all.contains("access denied") && all.contains("Permission denied"), "{all}");
    env.config(&["get", "/k"]).env("CONSUL_HTTP_TOKEN", READER).assert().success().stdout("w");
    // A listing the token sees only part of fails rather than look complete.
    let all = check(env.config(&["list", "-r", "/"]).env("CONSUL_HTTP_TOKEN", "pub-only").assert().code(8));
    assert!(all.contains("ACLs hide some keys below /"), "{all}");
    // Not once in a URL, query string included.
    let requests = fake.requests();
    assert!(requests.len() >= 8 && !requests.iter().any(|r| leaks(r) || r.contains("token")), "{requests:?}");
}

fn an_agent_without_a_leader_is_passed_over_for_the_next() {
    let first = FakeConsul::start();
    let second = first.another_agent();
    let third = first.another_agent();
    let dead = first.endpoint();
    drop(first);
    // The dead agent first (as in the network suite), then one that has
    // lost its cluster leader: both are passed over.
    let url = format!("consul://{dead},{},{}", second.endpoint(), third.endpoint());
    second.set_leaderless(true);
    cli_suite::every_command_once(&Env::with_store(url, Box::new(())));
    let alone = Env::with_store(format!("consul://{}", second.endpoint()), Box::new(()));
    let err = stderr_of(alone.config(&["get", "/x", "--timeout", "2"]).assert().code(6));
    assert!(err.contains("No cluster leader"), "{err}");
}

fn the_servers_limits_are_reported_as_the_limits_they_are() {
    // A server set up with less than Consul's defaults.
    let limits = Limits { kv_max_value_size: 2000, txn_max_req_len: 3000, ..Limits::default() };
    let (_small, env) = own_agent(Config { limits, acl: None });
    env.set("/k", "small");
    let file = env.path().join("value");
    // 2,400 bytes are 3,200 in base64: over the request limit; 2,100 fit
    // the request but not the value limit.
    for (size, says) in [
        (2400, "limit of 1968 bytes (the server's txn_max_req_len"),
        (2100, "limit of 2000 bytes (the server's kv_max_value_size"),
    ] {
        std::fs::write(&file, vec![b'x'; size]).unwrap();
        let err = stderr_of(env.config(&["set", "/k", "--file", file.to_str().unwrap()]).assert().code(2));
        assert!(
            err.lines().count() == 1 && err.contains(&format!("a value of {size} bytes")) && err.contains(says),
            "{err}"
        );
    }
    assert_eq!(env.get("/k"), b"small");
    // An older Consul, which takes 64 operations per transaction.
    let limits = Limits { max_txn_ops: 64, ..Limits::default() };
    let (old, env) = own_agent(Config { limits, acl: None });
    let doc: String = (0..100).map(|i| format!("  k{i:03}: v\n")).collect();
    let doc = format!("ovs-config: 1\nprefix: /many\nkeys:\n{doc}");
    let err = stderr_of(env.config(&["import", "-"]).write_stdin(doc.clone()).assert().code(2));
    assert!(
        err.contains("100 writes (100 Consul operations)")
            && err.contains("64 operations per transaction on this server"),
        "{err}"
    );
    assert!(old.keys("many/").is_empty(), "a refused batch wrote something");
    env.config(&["import", "--chunked", "-"]).write_stdin(doc).assert().code(2);
}

fn consul_http_addr_names_the_agent_of_a_url_without_one() {
    let fake = FakeConsul::start();
    let env = Env::with_store("consul:///from-env".into(), Box::new(()));
    let addr = format!("http://{}", fake.endpoint());
    env.config(&["set", "/k", "v"]).env("CONSUL_HTTP_ADDR", &addr).assert().success();
    assert_eq!(fake.keys(""), ["from-env/k"]);
    env.config(&["get", "/k"]).env("CONSUL_HTTP_ADDR", fake.endpoint()).assert().success().stdout("v");
    for bad in ["unix:///run/consul.sock", "http://h:8500/prefix"] {
        env.config(&["get", "/k"]).env("CONSUL_HTTP_ADDR", bad).assert().code(2).stderr(contains("CONSUL_HTTP_ADDR"));
    }
    // Consul has no user names: its ACL token is the credential.
    env.config(&["get", "/k", "--store", &format!("consul://admin@{}", fake.endpoint())])
        .assert()
        .code(2)
        .stderr(contains("CONSUL_HTTP_TOKEN"));
}

fn a_delete_guarded_by_a_revision_of_a_missing_key_is_a_conflict() {
    let Some(env) = consul_env() else { return };
    env.config(&["delete", "/gone", "--if-revision", "7"]).assert().code(5).stderr(contains("does not exist"));
    env.config(&["delete", "/gone"]).assert().code(4);
}

fn a_document_from_another_store_round_trips_through_consul_byte_identically() {
    let dir = Env::new();
    let bin = dir.path().join("bin");
    std::fs::write(&bin, [0xffu8, 0x00, 0xfe, b'\n']).unwrap();
    dir.config(&["set", "/rt/bin", "--file", bin.to_str().unwrap()]).assert().success();
    dir.set("/rt/multi", "one\ntwo\n");
    dir.set("/rt/empty", "");
    dir.set("/rt/ünï/key", "значение");
    let consul = consul_env().unwrap();
    for output in ["yaml", "json"] {
        let doc = dir.config(&["export", "-o", output, "/rt"]).assert().success().get_output().stdout.clone();
        let dst = format!("/rt-{output}");
        consul.config(&["import", "--prefix", &dst, "-"]).write_stdin(doc.clone()).assert().success();
        let back = consul.config(&["export", "-o", output, &dst]).assert().success().get_output().stdout.clone();
        let keys = |d: &[u8]| {
            let text = String::from_utf8_lossy(d);
            text.split_once("prefix").unwrap().1.split_once("keys").unwrap().1.to_string()
        };
        assert_eq!(keys(&back), keys(&doc), "{output}");
    }
}

/// Peak memory (VmHWM, KB) of `ovs` while it prints a listing, read from
/// /proc as the last lines come (the process cannot finish before they are
/// read), and the number of lines.
fn listing_peak_kb(env: &Env, args: &[&str]) -> (u64, usize) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ovs"))
        .env("OVS_CONFIG_STORE", &env.store_url)
        .env("HOME", env.path())
        .arg("config")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let hwm = || -> u64 {
        let text = std::fs::read_to_string(&status).unwrap_or_default();
        let line = text.lines().find(|l| l.starts_with("VmHWM:")).unwrap_or("VmHWM: 0 kB");
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    let (mut peak, mut lines) = (0, 0);
    for line in std::io::BufReader::new(child.stdout.take().unwrap()).lines() {
        line.unwrap();
        lines += 1;
        if lines % 5_000 == 0 {
            peak = peak.max(hwm());
        }
    }
    assert!(child.wait().unwrap().success());
    (peak, lines)
}

fn a_listing_of_100_000_keys_streams_in_flat_memory() {
    let fake = FakeConsul::start();
    let env = Env::with_store(fake.url(), Box::new(()));
    fake.load("small/", 10_000, b"v");
    fake.load("big/", 100_000, b"v");
    let (small, _) = listing_peak_kb(&env, &["list", "-r", "/small"]);
    let (big, lines) = listing_peak_kb(&env, &["list", "-r", "/big"]);
    assert_eq!(lines, 100_000);
    // 90,000 more keys are 1.5 MB more as JSON and several times that as
    // strings: held whole they would show; streamed, memory stays flat.
    assert!(big < small + (2 << 10), "list -r of 100,000 keys peaked at {big} KB, of 10,000 at {small} KB");
}

fn https_with_consuls_own_tls_variables_or_the_flags() {
    if !util::etcd::require("openssl") {
        return;
    }
    let fake = FakeConsul::start();
    let dir = tempfile::tempdir().unwrap();
    let certs = util::etcd::make_certificates(dir.path());
    let (ca, cert, key) = (certs.ca.unwrap(), certs.cert.unwrap(), certs.key.unwrap());
    let front = TlsFront::start(&fake, dir.path(), true);
    let env = Env::with_store(format!("consuls://{}", front.endpoint()), Box::new(()));
    let plain_scheme = format!("consul://{}", front.endpoint());
    let consul_env = [
        ("CONSUL_CACERT", ca.as_os_str()),
        ("CONSUL_CLIENT_CERT", cert.as_os_str()),
        ("CONSUL_CLIENT_KEY", key.as_os_str()),
    ];
    env.config(&["set", "/tls/k", "secure"]).envs(consul_env).assert().success();
    assert_eq!(fake.keys(""), ["tls/k"]);
    // The same files from the flags; any of them turns HTTPS on, as for etcd.
    env.config(&["get", "/tls/k", "--store", &plain_scheme])
        .arg("--cacert")
        .arg(&ca)
        .arg("--cert")
        .arg(&cert)
        .arg("--key")
        .arg(&key)
        .assert()
        .success()
        .stdout("secure");
    // Consul's variables alone do not turn it on (as in Consul's CLI);
    // $CONSUL_HTTP_SSL does.
    let two = ["--timeout", "2"];
    env.config(&["get", "/tls/k", "--store", &plain_scheme]).args(two).envs(consul_env).assert().code(6);
    env.config(&["get", "/tls/k", "--store", &plain_scheme])
        .envs(consul_env)
        .env("CONSUL_HTTP_SSL", "true")
        .assert()
        .success()
        .stdout("secure");
    // No client certificate: the server refuses the handshake.
    env.config(&["get", "/tls/k"]).args(two).env("CONSUL_CACERT", &ca).assert().code(6);
    // No CA: the server is not trusted, unless told not to check.
    let client = [("CONSUL_CLIENT_CERT", &cert), ("CONSUL_CLIENT_KEY", &key)];
    env.config(&["get", "/tls/k"]).args(two).envs(client).assert().code(6);
    env.config(&["get", "/tls/k"]).envs(client).env("CONSUL_HTTP_SSL_VERIFY", "false").assert().success();
    // Files that are not what their variable names: usage errors, naming it.
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "hello\n").unwrap();
    env.config(&["get", "/tls/k"]).env("CONSUL_CACERT", &not_pem).assert().code(2).stderr(contains("$CONSUL_CACERT"));
    env.config(&["get", "/tls/k"])
        .env("CONSUL_CACERT", &ca)
        .env("CONSUL_CLIENT_CERT", &cert)
        .assert()
        .code(2)
        .stderr(contains("needs its key"));
    env.config(&["get", "/tls/k"]).env("CONSUL_HTTP_SSL_VERIFY", "nope").assert().code(2);
}

fn copy_over_the_transaction_limit_needs_chunked_then_verifies_clean() {
    let (fake, env) = own_agent(Config::default());
    let src = Env::new();
    let doc: String = (0..300).map(|i| format!("  k{i:03}: v{i}\n")).collect();
    let file = src.path().join("doc.yaml");
    std::fs::write(&file, format!("ovs-config: 1\nprefix: /app\nkeys:\n{doc}")).unwrap();
    src.config(&["import", file.to_str().unwrap()]).assert().success();
    env.config(&["copy", &src.store_url, &env.store_url])
        .assert()
        .code(2)
        .stderr(contains("--chunked").and(contains("nothing was written")));
    assert!(fake.keys("").is_empty());
    env.config(&["copy", &src.store_url, &env.store_url, "--chunked"])
        .assert()
        .success()
        .stderr(contains("300 copied in 3 atomic chunks, 0 identical, 0 skipped, 0 mismatched"));
    assert_eq!(fake.keys("app/").len(), 300);
    env.config(&["compare", &src.store_url, &env.store_url]).assert().success();
}

fn a_destination_value_changed_before_the_read_back_is_a_mismatch() {
    let (fake, env) = own_agent(Config::default());
    let src = Env::new();
    for (key, value) in [("/app/a", "1"), ("/app/b", "2"), ("/app/c", "3")] {
        src.set(key, value);
    }
    // Right after copy's commit lands, the agent holds another value for /app/b.
    fake.write_after_next_txn("app/b", b"corrupted");
    let out = env
        .config(&["copy", &src.store_url, &env.store_url, "-o", "json"])
        .assert()
        .code(1)
        .stdout("{\"copied\":3,\"identical\":0,\"skipped\":0,\"mismatched\":1,\"mismatched_keys\":[\"/app/b\"]}\n")
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&out);
    assert!(err.contains("3 copied, 0 identical, 0 skipped, 1 mismatched"), "{err}");
    assert!(err.contains("verification failed: 1 key(s)") && err.contains("/app/b"), "{err}");
    // compare sees the same drift; a copy with --overwrite repairs it.
    env.config(&["compare", &src.store_url, &env.store_url]).assert().code(7).stdout("-+ /app/b\n");
    env.config(&["copy", &src.store_url, &env.store_url, "--overwrite"]).assert().success();
    env.config(&["compare", &src.store_url, &env.store_url]).assert().success();
}

fn keys_other_tools_wrote_that_ovs_cannot_address_are_skipped_by_copy() {
    let (fake, env) = own_agent(Config::default());
    for key in ["app/folder/", "app/a//b", "app/fine"] {
        fake.put_raw(key, b"v");
    }
    let dst = Env::new();
    let out = env.config(&["copy", &env.store_url, &dst.store_url]).assert().success().get_output().stderr.clone();
    let err = String::from_utf8_lossy(&out);
    assert!(err.contains("1 copied, 0 identical, 2 skipped, 0 mismatched"), "{err}");
    assert!(err.contains("skipped /app/a//b") && err.contains("skipped /app/folder/"), "{err}");
    dst.config(&["list", "-r", "/"]).assert().success().stdout("/app/fine\n");
}
