//! The shared suites list their test functions once, in a macro; a `pub fn`
//! left out of that list would silently never run. This reads the suites'
//! source (the macro's file and its neighbours) and fails on any test
//! function the macro does not name.

use std::path::Path;

/// Names of `pub fn NAME(ARG: TYPE)` in `source` whose only parameter has `ty`.
fn test_functions(source: &str, ty: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|line| line.trim().strip_prefix("pub fn "))
        .filter_map(|rest| rest.split_once('('))
        .filter(|(_, params)| params.split_once(')').is_some_and(|(p, _)| p.ends_with(ty) && !p.contains(',')))
        .map(|(name, _)| name.to_string())
        .collect()
}

/// The names listed in the suite's `@each` macro call.
fn registered(source: &str) -> Vec<String> {
    let start = source.find("(@each $factory;").expect("the suite's macro lists its tests after `@each $factory;`");
    let list = &source[start + "(@each $factory;".len()..];
    let list = &list[..list.find(')').unwrap()];
    list.split(',').map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect()
}

#[test]
fn every_suite_function_is_registered() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    for (file, ty) in [("conformance/mod.rs", "&dyn Store"), ("cli_suite/mod.rs", "&Env")] {
        let source = std::fs::read_to_string(root.join(file)).unwrap();
        // The suite's functions may live in the modules next to it, too.
        let mut defined = Vec::new();
        for entry in std::fs::read_dir(root.join(file).parent().unwrap()).unwrap() {
            defined.extend(test_functions(&std::fs::read_to_string(entry.unwrap().path()).unwrap(), ty));
        }
        let listed = registered(&source);
        assert!(defined.len() > 10, "{file}: found only {defined:?}");
        for name in &defined {
            assert!(listed.contains(name), "{file}: `{name}` is not in the suite's macro, so it never runs");
        }
        for name in &listed {
            assert!(defined.contains(name), "{file}: the macro names `{name}`, which is not a suite function");
        }
    }
}
