//! The registry is the one list of backends: `--store`'s help and
//! `ovs config stores` show every one of them, so a new backend is its
//! folder and one line there.

use assert_cmd::Command;
use ovs_config::store::registry::BACKENDS;

fn ovs(args: &[&str]) -> String {
    let out = Command::cargo_bin("ovs").unwrap().args(args).env_remove("OVS_CONFIG_STORE").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn store_help_and_stores_name_every_backend() {
    // Help wraps lines: compare without the white space.
    let help: String = ovs(&["--help"]).split_whitespace().collect();
    let stores = ovs(&["config", "stores"]);
    for backend in BACKENDS {
        let form: String = backend.form.split_whitespace().collect();
        assert!(help.contains(&form), "--store's help lacks {form}");
        assert!(stores.contains(backend.form), "`ovs config stores` lacks {}", backend.form);
    }
}
