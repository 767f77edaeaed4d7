//! The environment `exec` gives its command: one variable per key below
//! each prefix, named from the key's path relative to that prefix (`/` and
//! `-` become `_`, letters are upper-cased). A key that cannot name a
//! variable, a value a variable cannot hold, and two keys that would name
//! the same variable are refused, naming them: a variable is never dropped
//! or overwritten silently.

use std::collections::BTreeMap;

use crate::exit::UsageError;
use crate::store::{Entry, Key};

/// The variable for the key at `relative` below its prefix, if it can be
/// one (a letter or `_` first, then letters, digits and `_`).
pub fn name(relative: &str) -> Option<String> {
    let name: String =
        relative.chars().map(|c| if c == '/' || c == '-' { '_' } else { c.to_ascii_uppercase() }).collect();
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_uppercase() || c == '_');
    (first_ok && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')).then_some(name)
}

/// The variables for `entries` (one read of the store), each from the
/// first of `prefixes` whose subtree holds it: name → value.
pub fn variables(
    prefixes: &[Key],
    entries: impl IntoIterator<Item = Entry>,
) -> Result<BTreeMap<String, Vec<u8>>, UsageError> {
    let mut named: BTreeMap<String, (String, Vec<u8>)> = BTreeMap::new();
    for entry in entries {
        let Some((prefix, relative)) = prefixes.iter().find_map(|p| Some((p, p.within(&entry.key)?))) else {
            continue;
        };
        let Some(variable) = name(relative) else {
            let why = match relative {
                "" => format!("it is the prefix {prefix} itself, which has no name below it"),
                _ => format!("{relative:?} is no variable name (letters, digits, _, / and - only, not a digit first)"),
            };
            return Err(UsageError(format!("key {} cannot be an environment variable: {why}", entry.key)));
        };
        if entry.value.contains(&0) {
            return Err(UsageError(format!(
                "key {} cannot be an environment variable: its value holds a NUL byte",
                entry.key
            )));
        }
        if let Some((other, _)) = named.get(&variable) {
            return Err(UsageError(format!("keys {other} and {} would both be ${variable}", entry.key)));
        }
        named.insert(variable, (entry.key, entry.value));
    }
    Ok(named.into_iter().map(|(variable, (_, value))| (variable, value)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Revision;

    fn entry(key: &str, value: &str) -> Entry {
        Entry { key: key.into(), value: value.into(), revision: Revision(1) }
    }

    fn prefixes(texts: &[&str]) -> Vec<Key> {
        texts.iter().map(|t| Key::parse(t).unwrap()).collect()
    }

    #[test]
    fn names_come_from_the_relative_key() {
        assert_eq!(name("db/host").as_deref(), Some("DB_HOST"));
        assert_eq!(name("max-conns").as_deref(), Some("MAX_CONNS"));
        assert_eq!(name("_x9").as_deref(), Some("_X9"));
        for bad in ["", "9lives", "a.b", "a b", "é", "a=b"] {
            assert_eq!(name(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn variables_from_several_prefixes() {
        let vars = variables(
            &prefixes(&["/app", "/shared"]),
            [entry("/app/db/host", "h"), entry("/app/port", "1"), entry("/shared/region", "eu")],
        )
        .unwrap();
        let got: Vec<(&str, &[u8])> = vars.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect();
        assert_eq!(got, [("DB_HOST", &b"h"[..]), ("PORT", b"1"), ("REGION", b"eu")]);
    }

    #[test]
    fn what_cannot_be_a_variable_is_refused_by_name() {
        let bad = |entries: Vec<Entry>| variables(&prefixes(&["/app", "/b"]), entries).unwrap_err().0;
        assert!(bad(vec![entry("/app/a.b", "1")]).contains("key /app/a.b"));
        assert!(bad(vec![entry("/app", "1")]).contains("prefix /app itself"));
        assert!(bad(vec![entry("/app/x", "a\0b")]).contains("NUL"));
        let both = bad(vec![entry("/app/a-b", "1"), entry("/app/a/b", "2")]);
        assert!(both.contains("/app/a-b") && both.contains("/app/a/b") && both.contains("$A_B"), "{both}");
        let across = bad(vec![entry("/app/x", "1"), entry("/b/x", "2")]);
        assert!(across.contains("/app/x") && across.contains("/b/x"), "{across}");
    }
}
