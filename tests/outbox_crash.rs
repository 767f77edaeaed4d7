//! Crash trials: writes to three stores and `retry` stopped at random
//! points (SIGINT, SIGTERM, SIGHUP or SIGKILL, or left to finish), two
//! `retry` racing in half of the trials, one store slow (its write lock
//! held for a random while) in half of them. After each write and after
//! its retries, checked against the stores: every store holds the newest
//! value intended or has a pending entry for it, and no store ever goes
//! back to an older value.
//! At the end one `retry` converges every store and empties the outbox.
//!
//! Seeded: OVS_CRASH_SEED=N reproduces a run (the seed is printed on
//! failure); OVS_CRASH_TRIALS=N changes the number of trials (200).

mod util;

use std::process::Child;
use std::time::Duration;

use util::outbox::{entries_on_disk, signal, Cluster};

/// xorshift64*: enough randomness for delays and choices, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn millis(&mut self, max: u64) -> Duration {
        Duration::from_millis(self.below(max + 1))
    }
}

const SIGNALS: [i32; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGKILL];

/// After `delay`, stop each of `children` with a random signal — or, one
/// time in five, let it finish.
fn stop_at_random(rng: &mut Rng, children: &mut [Child], delay: Duration) {
    std::thread::sleep(delay);
    for child in children.iter() {
        if rng.below(5) > 0 {
            signal(child, SIGNALS[rng.below(4) as usize]);
        }
    }
    for child in children {
        child.wait().unwrap();
    }
}

fn version(value: &str) -> u64 {
    value.strip_prefix('v').and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("not a value of this test: {value}"))
}

/// The invariant, checked with every process ended. Returns each store's
/// version.
fn check(c: &Cluster, trial: u64, seed: u64) -> Vec<u64> {
    let context = format!("trial {trial} (OVS_CRASH_SEED={seed})");
    let kept = entries_on_disk(c);
    let mut pending: Vec<(String, u64)> = Vec::new();
    for entry in &kept {
        let state = entry["state"].as_str().unwrap_or_default();
        assert!(state != "damaged" && state != "in_flight", "{context}: {entry}");
        // A write stopped while it was being recorded never started.
        if state == "abandoned" {
            continue;
        }
        for write in entry["writes"].as_array().unwrap() {
            assert_eq!(write["key"], "/k", "{context}: {entry}");
            let value = write["value"].as_str().unwrap_or_else(|| panic!("{context}: a put: {entry}"));
            pending.push((entry["store"].as_str().unwrap().to_string(), version(value)));
        }
    }
    let held: Vec<u64> = c.all().iter().map(|&s| version(&c.value(s, "/k").expect("every store has /k"))).collect();
    let newest = held.iter().chain(pending.iter().map(|(_, v)| v)).copied().max().unwrap();
    for (store, &version) in held.iter().enumerate() {
        let url = c.url(store);
        assert!(
            version == newest || pending.iter().any(|(s, v)| *s == url && *v == newest),
            "{context}: store {store} holds v{version} and has no pending entry for the newest value v{newest}; \
             outbox: {kept:?}"
        );
    }
    held
}

#[test]
fn no_value_is_lost_or_resurrected_whatever_stops_writes_and_retries() {
    let seed = std::env::var("OVS_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x0f15_c0de_u64);
    let trials = std::env::var("OVS_CRASH_TRIALS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let mut rng = Rng(seed | 1);
    let c = Cluster::new(3);
    let all = c.all();
    assert_eq!(c.run(&all, &["set", "/k", "v0"]).0, Some(0));
    // How long a whole write takes here: stops are spread over it.
    let mut took: Vec<u64> = (0..3)
        .map(|_| {
            let start = std::time::Instant::now();
            assert_eq!(c.run(&all, &["set", "/k", "v0"]).0, Some(0));
            start.elapsed().as_millis() as u64
        })
        .collect();
    took.sort();
    let span = took[1].max(20);
    let mut before = vec![0; all.len()];
    // Writes stopped with the stores apart (some waiting in the outbox):
    // the cases the outbox is for.
    let mut apart = 0;
    let mut slowest = Duration::ZERO;
    for trial in 1..=trials {
        // Store 2 slow in half of the trials: its write lock held a while.
        let slow = (rng.below(2) == 0).then(|| {
            let lock = c.hold(2);
            let hold = rng.millis(span * 2);
            std::thread::spawn(move || {
                std::thread::sleep(hold);
                drop(lock);
            })
        });
        let started = std::time::Instant::now();
        let value = format!("v{trial}");
        let mut write = [c.spawn(&all, 5, &["set", "/k", &value])];
        let delay = rng.millis(span * 3 / 2);
        stop_at_random(&mut rng, &mut write, delay);
        if let Some(slow) = slow {
            slow.join().unwrap();
        }
        let held = check(&c, trial, seed);
        if held.iter().any(|&v| v != held[0]) {
            apart += 1;
        }

        let racing = if trial % 2 == 0 { 2 } else { 1 };
        let mut retries: Vec<Child> = (0..racing).map(|_| c.spawn(&[0], 5, &["retry"])).collect();
        let delay = rng.millis(span);
        stop_at_random(&mut rng, &mut retries, delay);
        let held = check(&c, trial, seed);
        slowest = slowest.max(started.elapsed());
        for (store, (&now, &was)) in held.iter().zip(&before).enumerate() {
            assert!(now >= was, "trial {trial} (OVS_CRASH_SEED={seed}): store {store} went back from v{was} to v{now}");
        }
        before = held;
    }
    eprintln!("{apart} of {trials} writes were stopped with the stores apart (a write takes {span} ms, the slowest trial {slowest:?}; OVS_CRASH_SEED={seed})");
    assert!(apart >= trials / 40, "the trials rarely stopped a write midway: {apart} of {trials}");
    // Nothing stopped: one retry converges every store on the newest value.
    let newest = *before.iter().max().unwrap();
    let kept = c.outbox();
    let newest = kept
        .iter()
        .filter(|e| e["state"] != "abandoned")
        .flat_map(|e| e["writes"].as_array().unwrap().iter().map(|w| version(w["value"].as_str().unwrap())))
        .fold(newest, u64::max);
    let (code, err) = c.run(&[0], &["retry"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(c.outbox().is_empty(), "{:?}", c.outbox());
    for store in all {
        assert_eq!(c.value(store, "/k"), Some(format!("v{newest}")), "store {store} (OVS_CRASH_SEED={seed})");
    }
}
