//! Links `ovs` as a position-dependent executable (no PIE). A PIE binary of
//! this size carries about 68,000 relative relocations that the dynamic
//! loader applies at every start, each write faulting in a page: they took
//! over half of a `get`'s start-up (`perf stat`: 606 page faults for
//! `ovs --version`, 179 without PIE). Only the binary is linked so: proc
//! macros and build scripts keep their defaults.
fn main() {
    println!("cargo:rustc-link-arg-bins=-no-pie");
}
