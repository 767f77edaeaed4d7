//! `rollback KEY REV`: the value KEY had at REV written as a new revision,
//! guarded by the current one (a write meanwhile is a conflict) and checked
//! by the validators like any other write. Revisions belong to one store, so
//! it reads and writes the first store only.

use anyhow::Result;

use super::{history, leaf, Ctx};
use crate::cli::RollbackArgs;
use crate::output::Format;
use crate::store::{Precondition, StoreExt};

pub fn run(ctx: &Ctx, args: &RollbackArgs) -> Result<()> {
    let key = leaf(&args.key)?;
    let history = history::read(ctx, key)?;
    let version = history::find(&history, key, args.revision)?;
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
        return Ok(());
    }
    let revision = ctx.store()?.put(key, &version.value, Precondition::Revision(current))?;
    ctx.out.note(format!(
        "{key}: the value of revision {} ({size} bytes) written at revision {revision}",
        version.revision
    ));
    if args.output != Format::Plain {
        ctx.out.record(
            args.output,
            &serde_json::json!({"key": key.as_str(), "revision": revision.0, "from": version.revision.0}),
        )?;
    }
    Ok(())
}
