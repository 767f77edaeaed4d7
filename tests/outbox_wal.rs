//! The outbox as a write-ahead log: a write to several stores stopped
//! while one store is slow leaves that store pending; a damaged outbox file
//! is set aside and blocks nothing; two `retry` at once deliver an entry
//! once and never bring a settled one back.

mod util;

use std::os::unix::process::ExitStatusExt;

use util::outbox::{signal, stderr_of, wait_until, Cluster};

/// Stores 0 and 1 take the write, store 2 is slow (its write lock held);
/// the write is stopped by `sig` once 0 and 1 are settled.
fn stopped_while_a_store_is_slow(sig: i32) -> Cluster {
    let c = Cluster::new(3);
    assert_eq!(c.run(&c.all(), &["set", "/k", "v1"]).0, Some(0));
    let lock = c.hold(2);
    let mut child = c.spawn(&c.all(), 30, &["set", "/k", "v2"]);
    let settled = wait_until(20, || {
        c.value(0, "/k").as_deref() == Some("v2")
            && c.value(1, "/k").as_deref() == Some("v2")
            && c.entry_files().len() == 1
    });
    assert!(settled, "stores 0 and 1 answered and only the slow store is left in the outbox: {:?}", c.entry_files());
    signal(&child, sig);
    let status = child.wait().unwrap();
    let err = stderr_of(&mut child);
    if sig == libc::SIGKILL {
        assert_eq!(status.signal(), Some(libc::SIGKILL));
    } else {
        assert_eq!(status.code(), Some(128 + sig), "{err}");
        assert!(err.contains("interrupted by SIG") && err.contains("written to 2 of 3 stores"), "{err}");
    }
    drop(lock);
    assert_eq!(c.value(2, "/k").as_deref(), Some("v1"));
    let kept = c.outbox();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0]["store"], c.url(2).as_str(), "{kept:?}");
    assert_eq!(kept[0]["writes"][0]["value"], "v2", "{kept:?}");
    let state = if sig == libc::SIGKILL { "maybe_applied" } else { "pending" };
    assert_eq!(kept[0]["state"], state, "{kept:?}");
    c
}

#[test]
fn a_fan_out_stopped_while_a_store_is_slow_leaves_that_store_pending() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGKILL] {
        let c = stopped_while_a_store_is_slow(sig);
        let (code, err) = c.run(&[0], &["retry"]);
        assert_eq!(code, Some(0), "{err}");
        assert!(err.contains("1 delivered"), "{err}");
        assert!(c.outbox().is_empty());
        for store in c.all() {
            assert_eq!(c.value(store, "/k").as_deref(), Some("v2"), "store {store}");
        }
        let left: Vec<_> = std::fs::read_dir(c.outbox_dir()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.iter().all(|n| n == ".lock"), "nothing but the lock file is left: {left:?}");
    }
}

#[test]
fn a_store_that_took_the_write_after_all_counts_as_delivered() {
    // Stopped before the slow store answered: it may have taken the
    // write. Here it did (written to it alone, from elsewhere).
    let c = stopped_while_a_store_is_slow(libc::SIGKILL);
    let elsewhere = tempfile::tempdir().unwrap();
    let written = c.ovs(&[2], 5, &["set", "/k", "v2"]).env("XDG_STATE_HOME", elsewhere.path()).output().unwrap();
    assert!(written.status.success());
    let (code, err) = c.run(&[0], &["retry"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("0 delivered, 0 superseded, 1 already there"), "{err}");
    assert!(c.outbox().is_empty());
}

#[test]
fn a_damaged_outbox_file_is_set_aside_and_blocks_no_write() {
    use std::os::unix::fs::DirBuilderExt;
    let c = Cluster::new(2);
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(c.outbox_dir()).unwrap();
    let empty = c.outbox_dir().join("20200101T000000.000000Z.json");
    let cut = c.outbox_dir().join("20200101T000001.000000Z.json");
    std::fs::write(&empty, "").unwrap();
    std::fs::write(&cut, "{\"created\": \"2020").unwrap();

    let (code, err) = c.run(&c.all(), &["set", "/k", "v1"]);
    assert_eq!(code, Some(0), "the write's exit code is its own: {err}");
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("damaged")).collect();
    assert_eq!(warnings.len(), 2, "one line per damaged file: {err}");
    assert!(warnings[0].contains(&empty.display().to_string()) && warnings[0].contains("empty"), "{err}");
    assert!(warnings[1].contains(&cut.display().to_string()), "{err}");
    assert!(!empty.exists() && c.outbox_dir().join("20200101T000000.000000Z.json.damaged").exists());
    for store in c.all() {
        assert_eq!(c.value(store, "/k").as_deref(), Some("v1"));
    }

    // Said once; nothing else is blocked: writes, outbox and retry.
    let (code, err) = c.run(&c.all(), &["set", "/k", "v2"]);
    assert_eq!((code, err.contains("damaged")), (Some(0), false), "{err}");
    let listed = c.outbox();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().all(|e| e["state"] == "damaged"), "{listed:?}");
    let plain = c.ovs(&[0], 5, &["outbox"]).output().unwrap();
    assert!(plain.status.success());
    assert!(String::from_utf8_lossy(&plain.stdout).contains("20200101T000000.000000Z.json.damaged  damaged"));
    assert_eq!(c.run(&[0], &["retry"]).0, Some(0));

    // A write that misses a store is still kept beside them.
    c.set_up(1, false);
    let (code, _) = c.run(&c.all(), &["set", "/k", "v3"]);
    assert_ne!(code, Some(0));
    c.set_up(1, true);
    let (code, err) = c.run(&[0], &["retry"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("1 delivered"), "{err}");
    assert_eq!(c.value(1, "/k").as_deref(), Some("v3"));
}

#[test]
fn two_retries_deliver_an_entry_once_and_never_bring_it_back() {
    // Store 0 takes the write; stores 1 and 2 are down and keep entries
    // (store 1's first).
    let c = Cluster::new(3);
    assert_eq!(c.run(&c.all(), &["set", "/k", "v1"]).0, Some(0));
    c.set_up(1, false);
    c.set_up(2, false);
    assert_ne!(c.run(&c.all(), &["set", "/k", "v2"]).0, Some(0));
    c.set_up(1, true);
    c.set_up(2, true);
    assert_eq!(c.entry_files_for(1).len(), 1);
    assert_eq!(c.entry_files_for(2).len(), 1);

    // One retry is slow on store 1's entry (its lock is held) while the
    // other runs through both.
    let lock = c.hold(1);
    let mut slow = c.spawn(&[0], 4, &["retry"]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let _ = c.ovs(&[0], 1, &["retry"]).output().unwrap();
    assert!(wait_until(20, || c.entry_files_for(2).is_empty()), "store 2's entry is delivered");
    assert_eq!(c.value(2, "/k").as_deref(), Some("v2"));
    // Store 2 down again: a retry that still had its entry in hand and
    // failed on it would write it back.
    c.set_up(2, false);
    slow.wait().unwrap();
    let err = stderr_of(&mut slow);
    c.set_up(2, true);
    assert!(c.entry_files_for(2).is_empty(), "store 2's entry was settled and stays settled: {err}");

    drop(lock);
    let (code, err) = c.run(&[0], &["retry"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(c.outbox().is_empty());
    for store in c.all() {
        assert_eq!(c.value(store, "/k").as_deref(), Some("v2"), "store {store}");
    }
}

#[test]
fn the_outbox_folder_is_private_and_refused_when_others_can_write_it() {
    use std::os::unix::fs::PermissionsExt;
    let c = Cluster::new(2);
    assert_eq!(c.run(&c.all(), &["set", "/k", "v1"]).0, Some(0));
    let mode = std::fs::metadata(c.outbox_dir()).map(|m| m.permissions().mode() & 0o777);
    assert_eq!(mode.ok(), Some(0o700), "a write to several stores makes the outbox, private");
    std::fs::set_permissions(c.outbox_dir(), std::fs::Permissions::from_mode(0o777)).unwrap();
    for args in [&["set", "/k", "v2"][..], &["outbox"], &["retry"]] {
        let (code, err) = c.run(&c.all(), args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains("outbox") && err.contains("0777") && err.lines().count() == 1, "{err}");
    }
    for store in c.all() {
        assert_eq!(c.value(store, "/k").as_deref(), Some("v1"), "nothing written");
    }
}
