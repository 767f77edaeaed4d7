use anyhow::Result;

use super::{leaf, source, Ctx};
use crate::cli::SetArgs;
use crate::exit::UsageError;
use crate::output::Format;
use crate::store::{Precondition, Revision, StoreError};

pub fn run(ctx: &Ctx, args: &SetArgs) -> Result<()> {
    let key = leaf(&args.key)?;
    let value = source::read(&args.source)?
        .ok_or_else(|| UsageError("no value: give VALUE, - for stdin, or --file PATH".into()))?;
    let cond = match (args.if_revision, args.if_absent) {
        (Some(rev), _) => Precondition::Revision(Revision(rev)),
        (None, true) => Precondition::Absent,
        (None, false) => Precondition::Any,
    };
    let checked = ctx.check_value(key, &value)?;
    if args.dry_run {
        let current = match ctx.store()?.get(key) {
            Ok(item) => Some(item.revision),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        if !cond.holds(current) {
            return Err(StoreError::precondition_failed(key, cond, current).into());
        }
        let action = match current {
            Some(rev) => format!("update it from revision {rev}"),
            None => "create it".to_string(),
        };
        let checked = checked.map_or("no validator applies".to_string(), |name| format!("valid {name}"));
        let size = match value.len() {
            1 => "1 byte".to_string(),
            n => format!("{n} bytes"),
        };
        ctx.out.note(format!("dry run: {key}: {checked}; would {action} with {size}; nothing written"));
        return Ok(());
    }
    let revision = ctx.store()?.put(key, &value, cond)?;
    ctx.out.note(format!("{key} written at revision {revision}"));
    if args.output != Format::Plain {
        ctx.out.json(&serde_json::json!({"key": key.as_str(), "revision": revision.0}))?;
    }
    Ok(())
}
