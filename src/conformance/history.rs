//! `Store::history`: where the capability says so, every version since the
//! key was last created, oldest first, with its value; elsewhere refused.

use crate::store::{Precondition, Revision, Store, StoreError, StoreExt, Version};

use super::{key, put};

fn version(revision: Revision, value: &[u8]) -> Version {
    Version { revision, value: value.to_vec() }
}

pub fn history_lists_every_version_oldest_first(s: &dyn Store) {
    let revisions: Vec<Revision> = [&b"one"[..], b"", &[0xff, 0]].iter().map(|v| put(s, "/h/k", v)).collect();
    put(s, "/h/other", b"x");
    if !s.capabilities().history {
        let err = s.history(&key("/h/k")).unwrap_err();
        assert!(matches!(err, StoreError::Unsupported { .. }), "{err}");
        return;
    }
    let history = s.history(&key("/h/k")).unwrap();
    assert_eq!(
        history.versions,
        [version(revisions[0], b"one"), version(revisions[1], b""), version(revisions[2], &[0xff, 0])]
    );
    assert_eq!(history.compacted, None);
}

pub fn history_starts_at_the_last_creation(s: &dyn Store) {
    put(s, "/h/re", b"first life");
    s.delete(&key("/h/re"), Precondition::Any).unwrap();
    let again = put(s, "/h/re", b"second life");
    if !s.capabilities().history {
        return;
    }
    assert_eq!(s.history(&key("/h/re")).unwrap().versions, [version(again, b"second life")]);
    s.delete(&key("/h/re"), Precondition::Any).unwrap();
    let err = s.history(&key("/h/re")).unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    let err = s.history(&key("/h/never")).unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
}
