//! What a render has read from the store so far, and what it read in one
//! pass: the template functions answer from a [`View`], never from the
//! store, so that the values of one render come from the reads the reader
//! chose (one snapshot where the store has them).

use std::collections::{BTreeMap, BTreeSet};

use crate::store::{Entry, Key, Version};

/// Values known to a render: keys read one by one (present or absent) and
/// whole subtrees scanned.
#[derive(Debug, Default)]
pub struct View {
    /// Full key → its version, as the store wrote the key.
    values: BTreeMap<String, Version>,
    /// Keys read one by one and found missing.
    absent: BTreeSet<Key>,
    /// Prefixes whose whole subtree is in `values`.
    scanned: BTreeSet<Key>,
    /// How many store reads filled it, and how many of those were scans
    /// (one get is one point in time on any store; one scan only where
    /// `snapshot_scan` says so).
    pub reads: usize,
    pub scans: usize,
}

/// What a view says of a key.
pub enum Lookup<'a> {
    /// Not read yet.
    Unknown,
    Missing,
    Found(&'a Version),
}

impl View {
    /// A key read one by one: its version, or None when it is missing.
    pub fn add_key(&mut self, key: &Key, found: Option<Version>) {
        self.reads += 1;
        match found {
            Some(version) => {
                self.values.insert(key.as_str().to_string(), version);
            }
            None => {
                self.absent.insert(key.clone());
            }
        }
    }

    /// The whole subtree of `prefix`, as one scan gave it.
    pub fn add_scan(&mut self, prefix: &Key, entries: Vec<Entry>) {
        self.reads += 1;
        self.scans += 1;
        let stale: Vec<String> = self.subtree(prefix).map(|(k, _)| k.to_string()).collect();
        for key in stale {
            self.values.remove(&key);
        }
        for entry in entries {
            self.values.insert(entry.key, Version { value: entry.value, revision: entry.revision });
        }
        self.scanned.insert(prefix.clone());
    }

    fn covered(&self, key: &str) -> bool {
        self.scanned.iter().any(|prefix| prefix.contains(key))
    }

    pub fn lookup(&self, key: &Key) -> Lookup<'_> {
        match self.values.get(key.as_str()) {
            Some(version) => Lookup::Found(version),
            None if self.absent.contains(key) || self.covered(key.as_str()) => Lookup::Missing,
            None => Lookup::Unknown,
        }
    }

    /// Whether the whole subtree of `prefix` is known.
    pub fn has_subtree(&self, prefix: &Key) -> bool {
        self.covered(prefix.as_str())
    }

    /// The known keys of the subtree of `prefix` (itself, then those below
    /// it), sorted by key bytes.
    pub fn subtree<'a>(&'a self, prefix: &'a Key) -> impl Iterator<Item = (&'a str, &'a Version)> + 'a {
        let own = match prefix.is_root() {
            true => None,
            false => self.values.get_key_value(prefix.as_str()),
        };
        let below = prefix.dir_prefix();
        let rest = self.values.range(below.clone()..).take_while(move |(k, _)| k.starts_with(&below));
        own.into_iter().chain(rest).map(|(k, v)| (k.as_str(), v))
    }
}

/// What one pass of a template read, and what it asked for that the view
/// did not have.
#[derive(Debug, Default)]
pub struct Reads {
    /// Keys read by `key()` and `exists()`.
    pub keys: BTreeSet<Key>,
    /// Prefixes listed by `keys()` and `tree()`.
    pub prefixes: BTreeSet<Key>,
    /// Keys, then prefixes, the view did not know: the pass is to be run again.
    pub unknown_keys: BTreeSet<Key>,
    pub unknown_prefixes: BTreeSet<Key>,
}

impl Reads {
    pub fn complete(&self) -> bool {
        self.unknown_keys.is_empty() && self.unknown_prefixes.is_empty()
    }

    /// The deepest prefix whose subtree holds everything read: one scan of
    /// it reads all of it at one point in time.
    pub fn covering(&self) -> Key {
        let mut all = self.keys.iter().chain(&self.prefixes);
        let Some(first) = all.next() else { return Key::root() };
        let mut common: Vec<&str> = segments(first).collect();
        for key in all {
            let same = common.iter().zip(segments(key)).take_while(|(a, b)| **a == *b).count();
            common.truncate(same);
        }
        Key::parse(&format!("/{}", common.join("/"))).unwrap_or_else(|_| Key::root())
    }
}

fn segments(key: &Key) -> impl Iterator<Item = &str> {
    key.as_str().split('/').filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Revision;

    fn key(text: &str) -> Key {
        Key::parse(text).unwrap()
    }

    fn entry(k: &str, v: &str) -> Entry {
        Entry { key: k.into(), value: v.into(), revision: Revision(1) }
    }

    #[test]
    fn a_scanned_subtree_answers_for_its_missing_keys_and_respects_segments() {
        let mut view = View::default();
        view.add_scan(&key("/a"), vec![entry("/a", "0"), entry("/a/b", "1"), entry("/a/c/d", "2")]);
        view.add_key(&key("/ab"), Some(Version { value: b"x".to_vec(), revision: Revision(3) }));
        assert!(matches!(view.lookup(&key("/a/b")), Lookup::Found(v) if v.value == b"1"));
        assert!(matches!(view.lookup(&key("/a/z")), Lookup::Missing));
        assert!(matches!(view.lookup(&key("/b")), Lookup::Unknown));
        let a = key("/a");
        let keys: Vec<&str> = view.subtree(&a).map(|(k, _)| k).collect();
        assert_eq!(keys, ["/a", "/a/b", "/a/c/d"]);
        assert!(view.has_subtree(&key("/a/c")) && !view.has_subtree(&key("/ab")));
    }

    #[test]
    fn the_covering_prefix_is_the_deepest_common_one() {
        let mut reads = Reads::default();
        assert_eq!(reads.covering(), Key::root());
        reads.keys.insert(key("/mysql/master/c1/hostname"));
        assert_eq!(reads.covering(), key("/mysql/master/c1/hostname"));
        reads.prefixes.insert(key("/mysql/master/c2"));
        assert_eq!(reads.covering(), key("/mysql/master"));
        reads.keys.insert(key("/mysqlx"));
        assert_eq!(reads.covering(), Key::root());
    }
}
