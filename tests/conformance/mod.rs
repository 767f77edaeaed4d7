//! The store contract's checks live in the library
//! (`ovs_config::conformance`, listed once by its `conformance_checks!`),
//! so that `ovs config conformance` runs the same ones. Every backend's test
//! file calls `conformance_suite!(factory, second)`, which makes a `#[test]`
//! of each check: the factory returns a fresh, empty store and a guard that
//! keeps whatever backs it alive, or None when the server is not installed
//! here (the harness fails instead when CI=true), and `second` opens another
//! handle on that same store from its guard, as another process would (for
//! the watch checks).

pub use ovs_config::conformance::*;
use ovs_config::store::Store;

pub type Fixture = (Box<dyn Store>, Box<dyn std::any::Any>);

/// Opens a second handle on a fixture's store, from its guard.
pub type Second = fn(&dyn std::any::Any) -> Box<dyn Store>;

#[macro_export]
macro_rules! conformance_suite {
    ($factory:expr, $second:expr) => {
        ovs_config::conformance_checks!([$crate::conformance_tests] $factory, $second);
    };
}

/// The `#[test]`s `conformance_checks!` lists: those that take one store,
/// then those that take two.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr, $second:expr; $($name:ident),*; $($watch:ident),*) => {
        $(
            #[test]
            fn $name() {
                let fixture: Option<conformance::Fixture> = $factory();
                let Some((store, _guard)) = fixture else { return };
                conformance::$name(store.as_ref());
            }
        )*
        $(
            #[test]
            fn $watch() {
                let fixture: Option<conformance::Fixture> = $factory();
                let Some((store, guard)) = fixture else { return };
                let second: conformance::Second = $second;
                let other = second(guard.as_ref());
                conformance::watch::$watch(store.as_ref(), other.as_ref());
            }
        )*
    };
}
