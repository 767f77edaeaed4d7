//! The shared suites list their test functions once, in a macro; a `pub fn`
//! left out of that list would silently never run. This reads the suites'
//! source (the macro's file and its neighbours) and fails on any test
//! function the macro does not name. The store contract's checks live in
//! the library (`src/conformance/`), listed by `conformance_checks!`: first
//! those that take one store, then, after a `;`, those that take two.

use std::path::Path;

/// Names of `pub fn NAME(ARG: TYPE, ...)` in `source` with `arity`
/// parameters, each of type `ty`.
fn test_functions(source: &str, ty: &str, arity: usize) -> Vec<String> {
    source
        .lines()
        .filter_map(|line| line.trim().strip_prefix("pub fn "))
        .filter_map(|rest| rest.split_once('('))
        .filter(|(_, params)| {
            params.split_once(')').is_some_and(|(p, _)| {
                let params: Vec<&str> = p.split(',').collect();
                params.len() == arity && params.iter().all(|p| p.trim().ends_with(ty))
            })
        })
        .map(|(name, _)| name.to_string())
        .collect()
}

/// The names listed in the suite's macro after `marker`, up to `end`, in
/// the `part`th of its `;`-separated lists.
fn registered(source: &str, marker: &str, end: char, part: usize) -> Vec<String> {
    let start = source.find(marker).unwrap_or_else(|| panic!("the suite's macro lists its tests after `{marker}`"));
    let list = &source[start + marker.len()..];
    let list = list[..list.find(end).unwrap()].split(';').nth(part).unwrap_or("");
    list.split(',').map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect()
}

#[test]
fn every_suite_function_is_registered() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // (the macro's file, what its list follows and ends with, which of its
    // `;`-separated lists, the suite functions' parameter type and count)
    let checks = "src/conformance/mod.rs";
    let suites = [
        (checks, "! { $($args)*;", '}', 0, "&dyn Store", 1),
        (checks, "! { $($args)*;", '}', 1, "&dyn Store", 2),
        ("tests/cli_suite/mod.rs", "(@each $factory;", ')', 0, "&Env", 1),
    ];
    for (file, marker, end, part, ty, arity) in suites {
        let macro_source = std::fs::read_to_string(root.join(file)).unwrap();
        // The suite's functions may live in the modules next to it, too.
        let mut defined = Vec::new();
        for entry in std::fs::read_dir(root.join(file).parent().unwrap()).unwrap() {
            defined.extend(test_functions(&std::fs::read_to_string(entry.unwrap().path()).unwrap(), ty, arity));
        }
        let listed = registered(&macro_source, marker, end, part);
        assert!(defined.len() > 5, "{file}: found only {defined:?}");
        for name in &defined {
            assert!(listed.contains(name), "{file}: `{name}` is not in the suite's macro, so it never runs");
        }
        for name in &listed {
            assert!(defined.contains(name), "{file}: the macro names `{name}`, which is not a suite function");
        }
    }
}
