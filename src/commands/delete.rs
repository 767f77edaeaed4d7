use anyhow::Result;

use super::{leaf, Ctx};
use crate::cli::DeleteArgs;
use crate::exit::UsageError;
use crate::output::Format;
use crate::store::{Key, Precondition, Revision, StoreError};

pub fn run(ctx: &Ctx, args: &DeleteArgs) -> Result<()> {
    let key = &args.key;
    if args.recursive {
        if !args.yes && !ctx.interactive {
            return Err(UsageError(format!(
                "refusing to delete {key} and everything below it without --yes (stdin is not a terminal)"
            ))
            .into());
        }
        confirm(ctx, args.yes, &format!("Delete {key} and every key below it?"))?;
        let removed = ctx.store()?.delete_tree(key)?;
        if removed == 0 {
            return Err(StoreError::NotFound { key: key.clone() }.into());
        }
        ctx.out.note(format!("deleted {removed} key(s) at and below {key}"));
        return report(ctx, args, key, removed);
    }
    let key = leaf(key)?;
    let cond = args.if_revision.map_or(Precondition::Any, |rev| Precondition::Revision(Revision(rev)));
    confirm(ctx, args.yes, &format!("Delete {key}?"))?;
    ctx.store()?.delete(key, cond)?;
    ctx.out.note(format!("deleted {key}"));
    report(ctx, args, key, 1)
}

/// `-o json`: what was deleted, for scripts.
fn report(ctx: &Ctx, args: &DeleteArgs, key: &Key, deleted: u64) -> Result<()> {
    if args.output == Format::Plain {
        return Ok(());
    }
    ctx.out.json(&serde_json::json!({"key": key.as_str(), "deleted": deleted}))
}

/// Ask on a terminal unless --yes; never prompt without one.
fn confirm(ctx: &Ctx, yes: bool, question: &str) -> Result<()> {
    if yes || !ctx.interactive {
        return Ok(());
    }
    if dialoguer::Confirm::new().with_prompt(question).default(false).interact()? {
        Ok(())
    } else {
        anyhow::bail!("declined; nothing was deleted")
    }
}
