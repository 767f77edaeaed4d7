//! `rollback KEY REV`: the value KEY had at REV written as a new revision,
//! guarded by the current one (a write meanwhile is a conflict) and checked
//! by the validators like any other write. Revisions belong to one store, so
//! it reads and writes the first store only.

use anyhow::Result;
use serde::Serialize;

use crate::cli::RollbackArgs;
use crate::output::{Plain, Report};
use crate::pipeline::context::leaf;
use crate::pipeline::{versions, Ctx};
use crate::store::Precondition;

/// The revision written (none in a dry run) and the one whose value it
/// holds; a person read it in a note.
#[derive(Serialize)]
struct RollbackReport<'a> {
    key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision: Option<u64>,
    from: u64,
}

impl Report for RollbackReport<'_> {
    fn plain(&self, _: &mut Plain<'_>) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn run(ctx: &Ctx, args: &RollbackArgs) -> Result<()> {
    let key = leaf(&args.key)?;
    let history = versions::read(ctx, key)?;
    let version = versions::find(&history, key, args.revision)?;
    let current = history.versions.last().expect("a key that exists has a current version").revision;
    let checked = ctx.check_value(key, &version.value)?;
    if ctx.targets.len() > 1 {
        ctx.out.warn(format!(
            "rollback writes to the first store only, {}: revisions belong to one store",
            ctx.targets[0].name()
        ));
    }
    let size = version.value.len();
    if args.dry_run {
        let checked = checked.map_or("no validator applies".to_string(), |name| format!("valid {name}"));
        ctx.out.note(format!(
            "dry run: {key}: {checked}; would write the {size} bytes of revision {} over revision {current}; nothing written",
            version.revision
        ));
        return ctx.out.print(&RollbackReport { key: key.as_str(), revision: None, from: version.revision.0 });
    }
    let revision = ctx.store()?.put(key, &version.value, Precondition::Revision(current))?;
    ctx.out.note(format!(
        "{key}: the value of revision {} ({size} bytes) written at revision {revision}",
        version.revision
    ));
    ctx.out.print(&RollbackReport { key: key.as_str(), revision: Some(revision.0), from: version.revision.0 })
}
