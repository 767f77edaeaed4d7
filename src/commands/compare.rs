//! `compare`: the drift between two stores below a prefix, in zk-shell's
//! `diff` style. Each store is read with one scan and the two are walked
//! together (both sorted by key bytes), so memory holds a page of each,
//! never a whole side; only the drift found is kept, for `-o json`.

use std::cmp::Ordering;
use std::io::Write as _;

use anyhow::Result;
use serde::Serialize;

use crate::cli::CompareArgs;
use crate::exit::{Differences, UsageError};
use crate::output::{escape, Plain, Report};
use crate::pipeline::Ctx;
use crate::settings::Target;
use crate::store::{Entry, Key, StoreError};

/// A key on which the two stores disagree.
#[derive(Debug, PartialEq, Eq)]
enum Drift {
    OnlyInA(String),
    OnlyInB(String),
    Different(String),
}

impl Drift {
    /// zk-shell's `diff` marks: `--` only in the first, `++` only in the
    /// second, `-+` in both with different values.
    fn line(&self) -> String {
        match self {
            Drift::OnlyInA(key) => format!("-- {}", escape(key)),
            Drift::OnlyInB(key) => format!("++ {}", escape(key)),
            Drift::Different(key) => format!("-+ {}", escape(key)),
        }
    }
}

/// A line of the drift, shown to a person as it is found.
impl Serialize for Drift {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.line())
    }
}

impl Report for Drift {
    fn plain(&self, out: &mut Plain<'_>) -> std::io::Result<()> {
        writeln!(out, "{}", self.line())
    }
}

/// The drift for scripts; for a person its lines came as it was found.
#[derive(Default, Serialize)]
struct CompareReport {
    only_in_a: Vec<String>,
    only_in_b: Vec<String>,
    different: Vec<String>,
    same: u64,
}

impl CompareReport {
    fn add(&mut self, drift: Drift) {
        match drift {
            Drift::OnlyInA(key) => self.only_in_a.push(key),
            Drift::OnlyInB(key) => self.only_in_b.push(key),
            Drift::Different(key) => self.different.push(key),
        }
    }
}

impl Report for CompareReport {
    fn plain(&self, _: &mut Plain<'_>) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn run(ctx: &Ctx, args: &CompareArgs) -> Result<()> {
    let named;
    let (a, b, prefix) = match (ctx.targets, args.args.as_slice()) {
        ([a, b], [] | [_]) => (a, b, args.args.first()),
        ([_], [a, b, rest @ ..]) if rest.len() <= 1 => {
            named = [ctx.settings.target(a)?, ctx.settings.target(b)?];
            (&named[0], &named[1], rest.first())
        }
        _ => {
            return Err(UsageError(format!(
                "compare takes two stores: URL_A URL_B [PREFIX], or two --store and at most PREFIX (got {} store(s) \
                 and {} argument(s))",
                ctx.targets.len(),
                args.args.len()
            ))
            .into())
        }
    };
    let prefix = match prefix {
        Some(text) => Key::parse(text)?,
        None => Key::root(),
    };
    let (scan_a, scan_b) = (a.store()?.scan(&prefix)?, b.store()?.scan(&prefix)?);
    let mut report = CompareReport::default();
    report.same = walk(scan_a, scan_b, |drift| {
        ctx.out.progress(&drift)?;
        report.add(drift);
        Ok(())
    })?;
    let drifted = report.only_in_a.len() + report.only_in_b.len() + report.different.len();
    ctx.out.print(&report)?;
    if ctx.out.is_plain() {
        ctx.out.note(summary(a, b, &prefix, &report, drifted));
    }
    if drifted > 0 {
        return Err(Differences.into());
    }
    Ok(())
}

fn summary(a: &Target, b: &Target, prefix: &Key, report: &CompareReport, drifted: usize) -> String {
    let (a, b) = (a.name(), b.name());
    if drifted == 0 {
        return format!("{a} and {b} agree below {prefix}: {} key(s), all the same", report.same);
    }
    format!(
        "{a} and {b} differ below {prefix}: {} only in {a} (--), {} only in {b} (++), {} different (-+), {} the same",
        report.only_in_a.len(),
        report.only_in_b.len(),
        report.different.len(),
        report.same
    )
}

/// Walk two sorted scans together, handing each key they disagree on to
/// `drift`, in key order; returns how many keys they hold alike.
fn walk(
    mut a: impl Iterator<Item = Result<Entry, StoreError>>,
    mut b: impl Iterator<Item = Result<Entry, StoreError>>,
    mut drift: impl FnMut(Drift) -> Result<()>,
) -> Result<u64> {
    let mut same = 0;
    let (mut x, mut y) = (a.next().transpose()?, b.next().transpose()?);
    loop {
        (x, y) = match (x, y) {
            (None, None) => return Ok(same),
            (Some(p), None) => {
                drift(Drift::OnlyInA(p.key))?;
                (a.next().transpose()?, None)
            }
            (None, Some(q)) => {
                drift(Drift::OnlyInB(q.key))?;
                (None, b.next().transpose()?)
            }
            (Some(p), Some(q)) => match p.key.as_bytes().cmp(q.key.as_bytes()) {
                Ordering::Less => {
                    drift(Drift::OnlyInA(p.key))?;
                    (a.next().transpose()?, Some(q))
                }
                Ordering::Greater => {
                    drift(Drift::OnlyInB(q.key))?;
                    (Some(p), b.next().transpose()?)
                }
                Ordering::Equal => {
                    match p.value == q.value {
                        true => same += 1,
                        false => drift(Drift::Different(p.key))?,
                    }
                    (a.next().transpose()?, b.next().transpose()?)
                }
            },
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Revision;

    fn scan(entries: &[(&str, &str)]) -> impl Iterator<Item = Result<Entry, StoreError>> {
        let entries: Vec<_> = entries
            .iter()
            .map(|(k, v)| Ok(Entry { key: k.to_string(), value: v.as_bytes().to_vec(), revision: Revision(1) }))
            .collect();
        entries.into_iter()
    }

    fn drift(a: &[(&str, &str)], b: &[(&str, &str)]) -> (Vec<Drift>, u64) {
        let mut found = Vec::new();
        let same = walk(scan(a), scan(b), |d| {
            found.push(d);
            Ok(())
        })
        .unwrap();
        (found, same)
    }

    #[test]
    fn two_sorted_scans_are_walked_together() {
        let a = [("/a", "1"), ("/b", "2"), ("/c", "3"), ("/e", "5")];
        let b = [("/b", "2"), ("/c", "x"), ("/d", "4"), ("/e", "5"), ("/f", "6")];
        let (found, same) = drift(&a, &b);
        assert_eq!(
            found,
            [
                Drift::OnlyInA("/a".into()),
                Drift::Different("/c".into()),
                Drift::OnlyInB("/d".into()),
                Drift::OnlyInB("/f".into())
            ]
        );
        assert_eq!(same, 2);
        assert_eq!(drift(&a, &a), (vec![], 4));
        assert_eq!(drift(&[], &[]), (vec![], 0));
        assert_eq!(drift(&a[..1], &[]), (vec![Drift::OnlyInA("/a".into())], 0));
    }

    #[test]
    fn keys_compare_by_bytes_as_scans_sort_them() {
        // '-' (0x2d) sorts before '/' (0x2f): "/a-b" comes first in both scans.
        let (found, same) = drift(&[("/a-b", "1"), ("/a/b", "1")], &[("/a/b", "1")]);
        assert_eq!((found, same), (vec![Drift::OnlyInA("/a-b".into())], 1));
    }

    #[test]
    fn drift_lines_are_escaped() {
        assert_eq!(Drift::Different("/a\x1b[2J".into()).line(), "-+ /a\\u{001b}[2J");
    }
}
