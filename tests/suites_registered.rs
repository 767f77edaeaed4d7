//! The shared suites list their test functions once, in a macro; a `pub fn`
//! left out of that list would silently never run. This reads the suites'
//! source (the macro's file and its neighbours) and fails on any test
//! function the macro does not name.

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

/// The names listed in the suite's macro call after `marker`.
fn registered(source: &str, marker: &str) -> Vec<String> {
    let start = source.find(marker).unwrap_or_else(|| panic!("the suite's macro lists its tests after `{marker}`"));
    let list = &source[start + marker.len()..];
    let list = &list[..list.find(')').unwrap()];
    list.split(',').map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect()
}

#[test]
fn every_suite_function_is_registered() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    // (the macro's file, what its list follows, the suite functions' parameter type and count)
    let suites = [
        ("conformance/mod.rs", "(@each $factory;", "&dyn Store", 1),
        ("conformance/mod.rs", "(@watch $factory, $second;", "&dyn Store", 2),
        ("cli_suite/mod.rs", "(@each $factory;", "&Env", 1),
    ];
    for (file, marker, ty, arity) in suites {
        let macro_source = std::fs::read_to_string(root.join(file)).unwrap();
        // The suite's functions may live in the modules next to it, too.
        let mut defined = Vec::new();
        for entry in std::fs::read_dir(root.join(file).parent().unwrap()).unwrap() {
            defined.extend(test_functions(&std::fs::read_to_string(entry.unwrap().path()).unwrap(), ty, arity));
        }
        let listed = registered(&macro_source, marker);
        assert!(defined.len() > 5, "{file}: found only {defined:?}");
        for name in &defined {
            assert!(listed.contains(name), "{file}: `{name}` is not in the suite's macro, so it never runs");
        }
        for name in &listed {
            assert!(defined.contains(name), "{file}: the macro names `{name}`, which is not a suite function");
        }
    }
}
