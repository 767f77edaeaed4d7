//! The tests' fake Arakoon cluster as a process of its own, for
//! bench/arakoon.sh: starts three nodes (cluster id `ovs_bench`), prints
//! `FAKE-ARAKOON <url>` and serves until stdin closes. (No Arakoon server
//! can be installed here; see README.)

use std::io::{Read, Write};

#[allow(dead_code)] // the tests use more of it than this does
#[path = "../tests/util/arakoon.rs"]
mod arakoon;

fn main() {
    let fake = arakoon::FakeArakoon::start("ovs_bench", 3);
    println!("FAKE-ARAKOON {}", fake.url(""));
    std::io::stdout().flush().unwrap();
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}
