//! Eight `ovs` processes doing read-modify-write with --if-revision retries
//! on one key: every increment must survive.

mod util;

use std::process::Command;

const WORKERS: usize = 8;
const INCREMENTS: u64 = 12;

fn increment(store_url: &str) -> u32 {
    let ovs = assert_cmd::cargo::cargo_bin("ovs");
    let mut conflicts = 0;
    loop {
        let out = Command::new(&ovs).args(["config", "get", "-o", "json", "/counter"]).env("OVS_CONFIG_STORE", store_url).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let n: u64 = doc["value"].as_str().unwrap().parse().unwrap();
        let rev = doc["revision"].as_u64().unwrap().to_string();
        let status = Command::new(&ovs)
            .args(["-q", "config", "set", "/counter", &(n + 1).to_string(), "--if-revision", &rev])
            .env("OVS_CONFIG_STORE", store_url)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        match status.code() {
            Some(0) => return conflicts,
            Some(5) => conflicts += 1,
            other => panic!("set exited with {other:?}"),
        }
    }
}

#[test]
fn no_lost_increments() {
    let env = util::Env::new();
    env.config(&["set", "--if-absent", "/counter", "0"]).assert().success();
    let url = env.store_url.clone();
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || (0..INCREMENTS).map(|_| increment(&url)).sum::<u32>())
        })
        .collect();
    let conflicts: u32 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(env.get("/counter"), (WORKERS as u64 * INCREMENTS).to_string().as_bytes());
    eprintln!("{conflicts} conflicts were retried");
}
