//! The conformance suite against the embedded directory store.

mod conformance;
mod util;

fn main() {
    util::suite::run(conformance::trials("", util::fixture::dir))
}
