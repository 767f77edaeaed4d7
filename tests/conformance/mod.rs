//! The store contract's checks live in the library, in one table
//! (`ovs_config::conformance::CHECKS`), so that `ovs config conformance`
//! runs the same ones. [`trials`] makes a trial of each, on a fresh, empty
//! store from a backend's fixture; a watch check is also given a second
//! handle on that store, opened on its own as another process would.

pub use ovs_config::conformance::*;

use crate::util::fixture::Factory;
use crate::util::suite::{self, Trial};

pub fn trials(prefix: &str, factory: Factory) -> Vec<Trial> {
    let table: Vec<(&str, Run)> = CHECKS.iter().map(|check| (check.name, check.run)).collect();
    suite::trials(prefix, &table, move |run: Run| {
        let Some(fixture) = factory() else { return };
        let store = fixture.open();
        match run {
            Run::One(check) => check(store.as_ref()),
            Run::Two(check) => check(store.as_ref(), fixture.open().as_ref()),
        }
    })
}
