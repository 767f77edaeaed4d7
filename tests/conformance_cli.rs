//! `ovs config conformance` against every built-in store: the same checks
//! as each backend's conformance tests, run through the command (below a
//! fresh prefix, on a store that holds other keys), which must pass them
//! all and leave the store as it found it.

mod util;

use util::fixture::{self, Factory};
use util::{suite, Env};

fn main() {
    suite::run(suite::trials("", fixture::ALL, |store: Factory| {
        if let Some(fixture) = store() {
            passes(fixture.env());
        }
    }))
}

/// Every check passes on the store `env` names, and only its own key is left.
fn passes(env: Env) {
    env.set("/outside", "kept");
    let out = env.config(&["conformance", "-o", "json"]).assert().success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(report["failed"], 0, "{report}");
    assert_eq!(report["passed"], ovs_config::conformance::CHECKS.len(), "{report}");
    env.config(&["list", "-r", "/"]).assert().success().stdout("/outside\n");
}
