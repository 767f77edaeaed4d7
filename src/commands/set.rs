use anyhow::Result;
use serde::Serialize;

use crate::cli::SetArgs;
use crate::exit::{Coded, UsageError};
use crate::pipeline::context::leaf;
use crate::pipeline::fanout;
use crate::pipeline::field;
use crate::pipeline::report::WriteReport;
use crate::pipeline::writes::{FieldPut, Put};
use crate::pipeline::{source, Ctx};
use crate::store::{Entry, Key, Precondition, Revision, StoreError};

pub fn run(ctx: &Ctx, args: &SetArgs) -> Result<()> {
    let key = leaf(&args.key)?;
    let value = source::read(args.source.value.as_deref(), args.source.file.as_deref())?
        .ok_or_else(|| UsageError("no value: give VALUE, - for stdin, or --file PATH".into()))?;
    let cond = match (args.if_revision, args.if_absent) {
        (Some(rev), _) => Precondition::Revision(Revision(rev)),
        (None, true) => Precondition::Absent,
        (None, false) => Precondition::Any,
    };
    if let Some(pointer) = &args.field {
        let field = field::new_value(&value, args.string)?;
        let cond = args.if_revision.map(|_| cond);
        return set_field(ctx, args, FieldPut { ctx, key, pointer, field, cond });
    }
    let checked = ctx.check_value(key, &value)?;
    let put = Put { key, value: &value, cond: Some(cond) };
    if args.dry_run {
        return dry_run(ctx, key, &value, cond, checked.as_deref(), &fanout::read_all(ctx, &put));
    }
    let seen = fanout::read_for_outbox(ctx, &put, None);
    let outcomes = fanout::commit_all(ctx, "set", &put, &seen)?;
    fanout::report(ctx, key, &outcomes, |c| format!("{key} written at revision {}", c.revision), |_| None::<FieldSet>)
}

/// What a field set adds to the write report: which field.
#[derive(Clone, Serialize)]
struct FieldSet<'a> {
    field: &'a str,
}

fn set_field(ctx: &Ctx, args: &SetArgs, put: FieldPut) -> Result<()> {
    let seen = fanout::read_all(ctx, &put);
    if args.dry_run {
        let first = seen[0].as_ref().map_err(Coded::copy_of)?;
        let value = put.edit(first)?;
        ctx.out.note(format!(
            "dry run: {}: field {} would make it {} bytes, and the value passes its checks; nothing written",
            put.key,
            put.pointer,
            value.len()
        ));
        return not_written(ctx, put.key, Some(FieldSet { field: put.pointer }));
    }
    let outcomes = fanout::commit_all(ctx, "set", &put, &seen)?;
    let key = put.key;
    fanout::report(
        ctx,
        key,
        &outcomes,
        |c| format!("{key}: field {} written at revision {}", put.pointer, c.revision),
        |_| Some(FieldSet { field: put.pointer }),
    )
}

/// A dry run's report: nothing written on any store.
fn not_written(ctx: &Ctx, key: &Key, detail: Option<FieldSet>) -> Result<()> {
    let names: Vec<String> = ctx.targets.iter().map(|t| t.name()).collect();
    ctx.out.print(&WriteReport::nothing_written(key.as_str(), &names, detail))
}

fn dry_run(
    ctx: &Ctx,
    key: &Key,
    value: &[u8],
    cond: Precondition,
    checked: Option<&str>,
    seen: &[fanout::Read<Option<Entry>>],
) -> Result<()> {
    let checked = checked.map_or("no validator applies".to_string(), |name| format!("valid {name}"));
    let size = match value.len() {
        1 => "1 byte".to_string(),
        n => format!("{n} bytes"),
    };
    for (target, seen) in ctx.targets.iter().zip(seen) {
        let current = match seen {
            Ok(entry) => entry.as_ref().map(|e| e.revision),
            Err(e) => return Err(Coded::copy_of(e)),
        };
        if !cond.holds(current) {
            return Err(StoreError::precondition_failed(key, cond, current).into());
        }
        let action = match current {
            Some(rev) => format!("update it from revision {rev}"),
            None => "create it".to_string(),
        };
        let on = if ctx.targets.len() > 1 { format!(" on {}", target.name()) } else { String::new() };
        ctx.out.note(format!("dry run: {key}: {checked}; would {action}{on} with {size}; nothing written"));
    }
    not_written(ctx, key, None)
}
