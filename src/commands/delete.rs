use anyhow::Result;
use serde::Serialize;

use crate::cli::DeleteArgs;
use crate::exit::UsageError;
use crate::pipeline::context::leaf;
use crate::pipeline::fanout;
use crate::pipeline::writes::{Delete, DeleteTree};
use crate::pipeline::Ctx;
use crate::store::{Committed, Precondition, Revision};

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
        let tree = DeleteTree { prefix: key };
        let outcomes = fanout::commit_all(ctx, "delete", &tree, &fanout::read_all(ctx, &tree))?;
        let note = |c: &Committed| format!("deleted {} key(s) at and below {key}", c.deleted);
        return fanout::report(ctx, key, &outcomes, note, |c| Some(Deleted { deleted: c.deleted }));
    }
    let key = leaf(key)?;
    let cond = args.if_revision.map_or(Precondition::Any, |rev| Precondition::Revision(Revision(rev)));
    confirm(ctx, args.yes, &format!("Delete {key}?"))?;
    let delete = Delete { key, cond };
    let outcomes = fanout::commit_all(ctx, "delete", &delete, &fanout::read_for_outbox(ctx, &delete, None))?;
    fanout::report(ctx, key, &outcomes, |_| format!("deleted {key}"), |_| Some(Deleted { deleted: 1 }))
}

/// What a delete adds to the write report: how many keys went.
#[derive(Serialize)]
struct Deleted {
    deleted: u64,
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
