//! The tests' fake Consul agent as a process of its own, for
//! bench/consul.sh: prints `FAKE-CONSUL <url>` and serves until stdin
//! closes. (No Consul server can be installed here; see README.)

use std::io::{Read, Write};

#[allow(dead_code)] // the tests use more of it than this does
#[path = "../tests/util/consul.rs"]
mod consul;

fn main() {
    let fake = consul::FakeConsul::start();
    println!("FAKE-CONSUL {}", fake.url());
    std::io::stdout().flush().unwrap();
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}
