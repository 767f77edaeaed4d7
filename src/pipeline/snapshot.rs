//! A consistent read of a source's subtree, placed where it is to go: what
//! `copy` and `mirror` plan the destination against.

use anyhow::Result;

use crate::document::Document;
use crate::store::{Entry, Key, StoreError};

/// The source's subtree of `from` (`from` itself and the keys below it),
/// placed at `to`, as the document the destination is planned against; and
/// the keys ovs cannot address (or `from` itself copied to the root, which
/// holds no value), which are skipped (copy and mirror).
pub fn snapshot(
    scan: impl Iterator<Item = Result<Entry, StoreError>>,
    from: &Key,
    to: &Key,
) -> Result<(Document, Vec<String>)> {
    let (mut entries, mut skipped) = (Vec::new(), Vec::new());
    for entry in scan {
        let entry = entry?;
        // Every key of the subtree shares its prefix, so the keys placed at
        // `to` keep the scan's order.
        let placed = Key::exact(&entry.key)
            .and_then(|_| from.within(&entry.key))
            .and_then(|rest| Key::exact(&to.join(rest)))
            .filter(|key| !key.is_root());
        match placed {
            Some(key) => entries.push((key, entry.value)),
            None => skipped.push(entry.key),
        }
    }
    Ok((Document { prefix: to.clone(), entries }, skipped))
}

/// Its tests' helpers serve the copy command's tests too.
#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::Revision;

    /// A scanned entry at revision 1.
    pub(crate) fn entry(key: &str, value: &str) -> Result<Entry, StoreError> {
        Ok(Entry { key: key.into(), value: value.into(), revision: Revision(1) })
    }

    pub(crate) fn key(text: &str) -> Key {
        Key::parse(text).unwrap()
    }

    #[test]
    fn a_snapshot_is_placed_below_the_new_prefix_and_skips_what_ovs_cannot_address() {
        let scan = [entry("/a/b", "1"), entry("/a/c//d", "2"), entry("/a/c/e", "3"), entry("/a/f/", "4")];
        let (doc, skipped) = snapshot(scan.into_iter(), &key("/a"), &key("/z/y")).unwrap();
        assert_eq!(doc.prefix, key("/z/y"));
        assert_eq!(doc.entries, vec![(key("/z/y/b"), b"1".to_vec()), (key("/z/y/c/e"), b"3".to_vec())]);
        assert_eq!(skipped, ["/a/c//d", "/a/f/"]);
        let (doc, _) = snapshot([entry("/a/b", "1")].into_iter(), &Key::root(), &key("/r")).unwrap();
        assert_eq!(doc.entries, vec![(key("/r/a/b"), b"1".to_vec())]);
        // The prefix's own key goes to the new prefix's; never to the root.
        let (doc, _) = snapshot([entry("/a", "0"), entry("/a/b", "1")].into_iter(), &key("/a"), &key("/z")).unwrap();
        assert_eq!(doc.entries, vec![(key("/z"), b"0".to_vec()), (key("/z/b"), b"1".to_vec())]);
        let (doc, skipped) =
            snapshot([entry("/a", "0"), entry("/a/b", "1")].into_iter(), &key("/a"), &Key::root()).unwrap();
        assert_eq!((doc.entries, skipped), (vec![(key("/b"), b"1".to_vec())], vec!["/a".to_string()]));
    }
}
