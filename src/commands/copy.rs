//! `copy`: a one-shot migration from one store to another (what
//! `flocker-zk migrate` does), and its proof. The source is read with one
//! scan and kept as the snapshot; the destination is planned against one
//! scan and written with its own guarded atomic commit (never a delete);
//! then it is read back with one more scan and every key the snapshot holds
//! is compared with it.

use anyhow::Result;
use serde::Serialize;

use crate::cli::CopyArgs;
use crate::exit::UsageError;
use crate::output::{escape, Plain, Report};
use crate::pipeline::snapshot::snapshot;
use crate::pipeline::{documents, Ctx};
use crate::plan::Kind;
use crate::store::{Entry, Key, StoreError};

/// How many keys an error message names before "and N more".
const NAMED: usize = 5;

#[derive(Debug, Default, PartialEq, Eq, Serialize)]
struct Counts {
    copied: usize,
    identical: u64,
    skipped: usize,
    mismatched: usize,
}

/// The counts and the keys that did not verify; a person read the counts
/// in a note.
#[derive(Serialize)]
struct CopyReport<'a> {
    #[serde(flatten)]
    counts: &'a Counts,
    mismatched_keys: &'a [String],
}

impl Report for CopyReport<'_> {
    fn plain(&self, _: &mut Plain<'_>) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn run(ctx: &Ctx, args: &CopyArgs) -> Result<()> {
    let from = &args.prefix;
    let to = args.to_prefix.as_ref().unwrap_or(from);
    let source = ctx.settings.target(&args.source)?;
    let destination = ctx.settings.target(&args.destination)?;
    if source.name() == destination.name() && (from.contains(to.as_str()) || to.contains(from.as_str())) {
        return Err(UsageError(format!(
            "cannot copy {} onto itself: {from} and {to} overlap; nothing was written",
            source.name()
        ))
        .into());
    }
    let (doc, skipped) = snapshot(source.store()?.scan(from)?, from, to)?;
    let plan = documents::plan_onto(ctx, &destination, &doc, false)?;
    let dst = destination.store()?;
    let differing: Vec<&Key> = plan.changes.iter().filter(|c| c.kind() == Kind::Changed).map(|c| &c.key).collect();
    if let (false, Some(first)) = (args.overwrite, differing.first()) {
        let keys: Vec<&str> = differing.iter().map(|k| k.as_str()).collect();
        let detail = format!(
            "{} holds a different value there ({} key(s) differ: {}); --overwrite replaces them",
            destination.name(),
            keys.len(),
            named(&keys)
        );
        return Err(StoreError::Conflict { key: (*first).clone(), detail }.into());
    }
    let mut chunks = String::new();
    if !plan.changes.is_empty() {
        let applied = documents::commit(dst, to, &plan.changes, args.chunked, ctx.out.is_quiet())?;
        if applied.chunks > 1 {
            chunks = format!(" in {} atomic chunks", applied.chunks);
        }
    }
    let mismatched = verify(&doc.entries, dst.scan(to)?)?;
    let counts = Counts {
        copied: plan.changes.len(),
        identical: plan.unchanged,
        skipped: skipped.len(),
        mismatched: mismatched.len(),
    };
    ctx.out.note(format!(
        "{} -> {}: {} copied{chunks}, {} identical, {} skipped, {} mismatched",
        source.name(),
        destination.name(),
        counts.copied,
        counts.identical,
        counts.skipped,
        counts.mismatched
    ));
    for key in &skipped {
        ctx.out.note(format!("skipped {} (ovs cannot address this key)", escape(key)));
    }
    ctx.out.print(&CopyReport { counts: &counts, mismatched_keys: &mismatched })?;
    if !mismatched.is_empty() {
        let keys: Vec<&str> = mismatched.iter().map(String::as_str).collect();
        anyhow::bail!(
            "verification failed: {} key(s) in {} differ from the source after the copy: {}",
            keys.len(),
            destination.name(),
            named(&keys)
        );
    }
    Ok(())
}

/// The keys of `expected` that `actual` (a scan of the destination) does not
/// hold with the same value, in order. Keys `actual` holds besides are not
/// the copy's business. Both are sorted by key bytes: one pass over each.
fn verify(
    expected: &[(Key, Vec<u8>)],
    actual: impl Iterator<Item = Result<Entry, StoreError>>,
) -> Result<Vec<String>, StoreError> {
    let mut mismatched = Vec::new();
    let mut actual = actual.peekable();
    for (key, value) in expected {
        let mut found = None;
        while let Some(entry) = actual.next_if(|e| e.as_ref().map_or(true, |e| e.key.as_str() <= key.as_str())) {
            let entry = entry?;
            if entry.key == key.as_str() {
                found = Some(entry);
                break;
            }
        }
        if found.is_none_or(|entry| entry.value != *value) {
            mismatched.push(key.to_string());
        }
    }
    Ok(mismatched)
}

/// The first few of `keys`, escaped, and how many more.
fn named(keys: &[&str]) -> String {
    let mut text = keys.iter().take(NAMED).map(|k| escape(k).into_owned()).collect::<Vec<_>>().join(", ");
    if keys.len() > NAMED {
        text.push_str(&format!(" and {} more", keys.len() - NAMED));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::snapshot::tests::{entry, key};

    #[test]
    fn verify_reports_a_corrupted_value_and_a_missing_key_and_ignores_extra_keys() {
        let expected = vec![(key("/q/a"), b"1".to_vec()), (key("/q/b"), b"2".to_vec()), (key("/q/c"), b"3".to_vec())];
        let clean = [entry("/q/a", "1"), entry("/q/a/x", "extra"), entry("/q/b", "2"), entry("/q/c", "3")];
        assert!(verify(&expected, clean.into_iter()).unwrap().is_empty());
        let corrupted = [entry("/q/a", "1"), entry("/q/b", "corrupted"), entry("/q/c", "3")];
        assert_eq!(verify(&expected, corrupted.into_iter()).unwrap(), ["/q/b"]);
        let missing = [entry("/q/a", "1"), entry("/q/b", "2")];
        assert_eq!(verify(&expected, missing.into_iter()).unwrap(), ["/q/c"]);
        assert_eq!(verify(&expected, std::iter::empty()).unwrap(), ["/q/a", "/q/b", "/q/c"]);
    }

    #[test]
    fn verify_passes_a_failed_read_on() {
        let expected = vec![(key("/q/a"), b"1".to_vec())];
        let failing = [Err(StoreError::Backend { store: "s".into(), message: "lost".into() })];
        assert!(verify(&expected, failing.into_iter()).is_err());
    }

    #[test]
    fn error_messages_name_the_first_few_keys() {
        assert_eq!(named(&["/a", "/b"]), "/a, /b");
        let many: Vec<String> = (0..8).map(|i| format!("/k{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(named(&many), "/k0, /k1, /k2, /k3, /k4 and 3 more");
    }
}
