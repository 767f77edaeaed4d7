//! What a store behind a network does when its servers are down or do not
//! answer, written once and run against every networked backend (etcd,
//! ZooKeeper, Consul, MySQL, PostgreSQL): it exits 6 within the timeout,
//! naming every endpoint; and where a URL names several servers, it passes
//! over one that is down or silent for the next.

use std::time::{Duration, Instant};

use crate::cli_suite;
use crate::util::fixture::Factory;
use crate::util::suite::{self, Table, Trial};
use crate::util::{stderr_of, unique_root, Env};

/// How a backend's URL names its servers.
#[derive(Clone, Copy)]
pub struct Network {
    /// The store URL on these endpoints (`h1:p1,h2:p2`), with no root.
    pub url: fn(&str) -> String,
    /// Whether a refused connection is tried again until the timeout is
    /// spent, and no longer (ZooKeeper's client does; the others give up).
    pub retries_until_the_timeout: bool,
    /// For a backend whose URL names several servers.
    pub cluster: Option<Cluster>,
}

#[derive(Clone, Copy)]
pub struct Cluster {
    /// A store on a cluster with the first server its URL names down.
    pub first_down: Factory,
    /// The endpoint of the live server this binary shares.
    pub live: fn() -> Option<String>,
}

/// The checks every networked backend runs.
const EVERY: Table<fn(&Network)> = crate::table![
    every_endpoint_down_exits_6_within_the_timeout_naming_them,
    a_silent_endpoint_alone_exits_6_within_the_timeout_naming_it,
];

/// And those of a backend whose URL names several servers.
const SEVERAL: Table<fn(&Cluster, &Network)> = crate::table![
    every_command_works_with_the_first_server_down,
    a_silent_endpoint_cannot_hold_the_command_past_the_timeout,
];

pub fn trials(prefix: &str, network: Network) -> Vec<Trial> {
    let mut trials = suite::trials(prefix, EVERY, move |check: fn(&Network)| check(&network));
    if let Some(cluster) = network.cluster {
        trials.extend(suite::trials(prefix, SEVERAL, move |check: fn(&Cluster, &Network)| check(&cluster, &network)));
    }
    trials
}

/// `host:port` of a loopback port nothing listens on.
fn closed() -> String {
    format!("127.0.0.1:{}", crate::util::process::free_port())
}

fn every_endpoint_down_exits_6_within_the_timeout_naming_them(network: &Network) {
    let down: Vec<String> = match network.cluster {
        Some(_) => vec![closed(), closed()],
        None => vec![closed()],
    };
    let env = Env::with_store((network.url)(&down.join(",")), Box::new(()));
    let commands = [&["get", "/x"][..], &["set", "/x", "1"], &["list", "-r"], &["export", "/"]];
    let started = Instant::now();
    for args in commands {
        let one = Instant::now();
        let err = stderr_of(env.config(args).args(["--timeout", "2"]).assert().code(6));
        assert!(err.lines().count() == 1 && down.iter().all(|endpoint| err.contains(endpoint)), "{args:?}: {err}");
        let took = one.elapsed();
        if network.retries_until_the_timeout {
            assert!(took > Duration::from_millis(1900) && took < Duration::from_secs(4), "{args:?} took {took:?}");
        }
    }
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3) * commands.len() as u32, "took {took:?}");
}

fn a_silent_endpoint_alone_exits_6_within_the_timeout_naming_it(network: &Network) {
    // Accepts connections and never answers: only the timeout ends the wait.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = silent.local_addr().unwrap().to_string();
    let url = (network.url)(&host);
    let env = Env::with_store(url.clone(), Box::new(()));
    let started = Instant::now();
    let err = stderr_of(env.config(&["get", "/x", "--timeout", "2"]).assert().code(6));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let error = err.lines().last().unwrap_or_default();
    let after_store = error.strip_prefix(&format!("error: {url}: ")).unwrap_or_else(|| panic!("{err}"));
    assert!(after_store.contains(&host), "{err}");
}

fn every_command_works_with_the_first_server_down(cluster: &Cluster, _: &Network) {
    let Some(fixture) = (cluster.first_down)() else { return };
    cli_suite::every_command_once(&fixture.env());
}

fn a_silent_endpoint_cannot_hold_the_command_past_the_timeout(cluster: &Cluster, network: &Network) {
    let Some(live) = (cluster.live)() else { return };
    // Accepts connections and never answers: only the timeout ends the wait.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = (network.url)(&format!("{},{live}", silent.local_addr().unwrap()));
    let env = Env::with_store(format!("{url}{}", unique_root()), Box::new(()));
    env.config(&["set", "/s", "1", "--timeout", "2"]).assert().success();
    let started = Instant::now();
    env.config(&["get", "/s", "--timeout", "2"]).assert().success().stdout("1");
    assert!(started.elapsed() < Duration::from_secs(4), "took {:?}", started.elapsed());
}
