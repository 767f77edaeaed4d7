//! `import` and `apply`: a document planned against one scan and committed
//! guarded by what the plan saw. `import` never removes and never asks;
//! `apply` shows the plan and asks on a terminal (or needs --yes).

use anyhow::Result;
use serde::Serialize;

use super::{documents, Ctx};
use crate::cli::{ApplyArgs, ImportArgs};
use crate::exit::UsageError;
use crate::output::Format;
use crate::plan::Plan;

#[derive(Serialize)]
struct Outcome<'a> {
    #[serde(flatten)]
    plan: documents::PlanView<'a>,
    written: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision: Option<u64>,
}

pub fn import(ctx: &Ctx, args: &ImportArgs) -> Result<()> {
    let doc = documents::read(ctx, &args.source)?;
    let plan = Plan::compute(ctx.store()?.scan(&doc.prefix)?, &doc, false)?;
    if args.dry_run {
        ctx.out.note(format!("dry run: {}; nothing written", documents::summary(&plan)));
        return report(ctx, args.output, &plan, None);
    }
    commit(ctx, &plan, args.chunked, args.output)
}

pub fn apply(ctx: &Ctx, args: &ApplyArgs) -> Result<()> {
    let doc = documents::read(ctx, &args.source)?;
    let plan = Plan::compute(ctx.store()?.scan(&doc.prefix)?, &doc, args.prune)?;
    if args.output == Format::Plain && !plan.changes.is_empty() {
        eprint!(
            "{}",
            documents::render(&plan, crate::output::colour(std::io::IsTerminal::is_terminal(&std::io::stderr())))
        );
    }
    if !plan.changes.is_empty() && !args.yes {
        if !ctx.interactive {
            return Err(UsageError(format!(
                "refusing to apply {} without --yes (stdin is not a terminal); nothing written",
                documents::summary(&plan)
            ))
            .into());
        }
        let question = format!("Apply: {}?", documents::summary(&plan));
        if !dialoguer::Confirm::new().with_prompt(question).default(false).interact()? {
            anyhow::bail!("declined; nothing written");
        }
    }
    commit(ctx, &plan, args.chunked, args.output)
}

fn commit(ctx: &Ctx, plan: &Plan, chunked: bool, output: Format) -> Result<()> {
    if plan.changes.is_empty() {
        ctx.out.note(format!("no changes ({} unchanged); nothing written", plan.unchanged));
        return report(ctx, output, plan, None);
    }
    let applied = documents::commit(ctx, ctx.store()?, &plan.changes, chunked)?;
    let chunks = if applied.chunks > 1 { format!(" in {} atomic chunks", applied.chunks) } else { String::new() };
    ctx.out.note(format!("written{chunks} at revision {}: {}", applied.revision, documents::summary(plan)));
    report(ctx, output, plan, Some(applied.revision.0))
}

fn report(ctx: &Ctx, output: Format, plan: &Plan, revision: Option<u64>) -> Result<()> {
    if output == Format::Plain {
        return Ok(());
    }
    ctx.out.json(&Outcome { plan: documents::PlanView::of(plan), written: revision.is_some(), revision })
}
