//! `import` and `apply`: a document planned against one scan of each store
//! and committed guarded by what the plan saw. `import` never removes and
//! never asks; `apply` shows the plan and asks on a terminal (or needs --yes).

use anyhow::Result;

use crate::cli::{ApplyArgs, ImportArgs};
use crate::document::Document;
use crate::exit::{Coded, UsageError};
use crate::pipeline::documents::{self, PlanView};
use crate::pipeline::fanout::{self, Read};
use crate::pipeline::report::{StoreOutcome, WriteReport};
use crate::pipeline::writes::ApplyDoc;
use crate::pipeline::Ctx;
use crate::plan::Plan;
use crate::store::Committed;

pub fn import(ctx: &Ctx, args: &ImportArgs) -> Result<()> {
    let doc = documents::read(ctx, &args.source.file, args.source.format, args.source.prefix.as_ref())?;
    let write = ApplyDoc { doc: &doc, prune: false, chunked: args.chunked, quiet: ctx.out.is_quiet() };
    let plans = fanout::read_all(ctx, &write);
    if args.dry_run {
        return dry_run(ctx, &doc, &plans);
    }
    commit(ctx, "import", &write, &plans)
}

pub fn apply(ctx: &Ctx, args: &ApplyArgs) -> Result<()> {
    let doc = documents::read(ctx, &args.source.file, args.source.format, args.source.prefix.as_ref())?;
    let write = ApplyDoc { doc: &doc, prune: args.prune, chunked: args.chunked, quiet: ctx.out.is_quiet() };
    let plans = fanout::read_all(ctx, &write);
    if let [Err(e)] = plans.as_slice() {
        return Err(Coded::copy_of(e));
    }
    let changes = plans.iter().any(|p| p.as_ref().map_or(true, |p| !p.changes.is_empty()));
    if ctx.out.is_plain() && changes {
        let colour = ctx.out.colour_stderr();
        let most = if ctx.settings.verbose { usize::MAX } else { documents::SCREENFUL };
        for (target, plan) in ctx.targets.iter().zip(&plans) {
            if ctx.targets.len() > 1 {
                ctx.out.show(&format!("{}:\n", target.name()));
            }
            match plan {
                Ok(plan) => ctx.out.show(&documents::render_at_most(plan, colour, most)),
                Err(e) => {
                    ctx.out.show(&format!("  cannot plan: {}\n", crate::output::escape(&crate::exit::message(e))))
                }
            }
        }
    }
    if changes && !args.yes {
        let what = summaries(ctx, &plans);
        if !ctx.interactive {
            return Err(UsageError(format!(
                "refusing to apply {what} without --yes (stdin is not a terminal); nothing written"
            ))
            .into());
        }
        if !dialoguer::Confirm::new().with_prompt(format!("Apply: {what}?")).default(false).interact()? {
            anyhow::bail!("declined; nothing written");
        }
    }
    commit(ctx, "apply", &write, &plans)
}

/// `2 to add, ...`, or for several stores each store's.
fn summaries(ctx: &Ctx, plans: &[Read<Plan>]) -> String {
    let each: Vec<String> = ctx
        .targets
        .iter()
        .zip(plans)
        .map(|(target, plan)| {
            let summary = plan.as_ref().map_or_else(|_| "cannot plan".to_string(), documents::summary);
            if ctx.targets.len() > 1 {
                format!("{}: {summary}", target.name())
            } else {
                summary
            }
        })
        .collect();
    each.join("; ")
}

fn dry_run(ctx: &Ctx, doc: &Document, plans: &[Read<Plan>]) -> Result<()> {
    let summary = match plans {
        [plan] => documents::summary(plan.as_ref().map_err(Coded::copy_of)?),
        _ => summaries(ctx, plans),
    };
    ctx.out.note(format!("dry run: {summary}; nothing written"));
    let names: Vec<String> = ctx.targets.iter().map(|t| t.name()).collect();
    let stores = names
        .iter()
        .zip(plans)
        .map(|(store, plan)| StoreOutcome {
            store,
            detail: plan.as_ref().ok().map(PlanView::of),
            result: plan.as_ref().map(|_| None),
        })
        .collect();
    ctx.out.print(&WriteReport { key: doc.prefix.as_str(), stores })?;
    match plans.iter().find_map(|p| p.as_ref().err()) {
        Some(e) => Err(Coded::copy_of(e)),
        None => Ok(()),
    }
}

fn commit(ctx: &Ctx, command: &str, write: &ApplyDoc, plans: &[Read<Plan>]) -> Result<()> {
    let outcomes = fanout::commit_all(ctx, command, write, plans)?;
    if let ([plan], [one]) = (plans, outcomes.as_slice()) {
        let plan = plan.as_ref().map_err(Coded::copy_of)?;
        let committed = one.result.as_ref().map_err(Coded::copy_of)?;
        ctx.out.note(note(plan, committed));
    }
    if outcomes.len() > 1 {
        for ((o, plan), target) in outcomes.iter().zip(plans).zip(ctx.targets) {
            match (&o.result, plan) {
                (Ok(committed), Ok(plan)) => ctx.out.note(format!("{}: {}", target.name(), note(plan, committed))),
                (Err(e), _) | (_, Err(e)) => {
                    ctx.out.warn(format!("{}: failed: {}", target.name(), crate::exit::message(e)))
                }
            }
        }
    }
    let stores = outcomes.iter().zip(plans).map(|(o, plan)| StoreOutcome::of_plan(&o.store, plan, &o.result)).collect();
    ctx.out.print(&WriteReport { key: write.doc.prefix.as_str(), stores })?;
    fanout::finish(&outcomes)
}

fn note(plan: &Plan, committed: &Committed) -> String {
    if plan.changes.is_empty() {
        return format!("no changes ({} unchanged); nothing written", plan.unchanged);
    }
    format!("written at revision {}: {}", committed.revision, documents::summary(plan))
}
