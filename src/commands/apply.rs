//! `import` and `apply`: a document planned against one scan of each store
//! and committed guarded by what the plan saw. `import` never removes and
//! never asks; `apply` shows the plan and asks on a terminal (or needs --yes).

use anyhow::Result;
use serde::Serialize;

use super::fanout::{self, Fanned, Read};
use super::{documents, Ctx};
use crate::cli::{ApplyArgs, ImportArgs};
use crate::document::Document;
use crate::exit::{Coded, UsageError};
use crate::output::Format;
use crate::plan::{Change, Kind, Plan};
use crate::store::{Committed, Key, Revision, Store};

#[derive(Serialize)]
struct Outcome<'a> {
    #[serde(flatten)]
    plan: documents::PlanView<'a>,
    written: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision: Option<u64>,
}

/// A document made to hold in every store.
pub struct ApplyDoc<'a> {
    pub doc: &'a Document,
    pub prune: bool,
    pub chunked: bool,
    /// -q: no progress bar either.
    pub quiet: bool,
}

impl Fanned for ApplyDoc<'_> {
    type Seen = Plan;

    fn read(&self, store: &dyn Store) -> Result<Plan> {
        Ok(Plan::compute(store.scan(&self.doc.prefix)?, self.doc, self.prune)?)
    }

    fn changes(&self, plan: &Plan) -> Vec<Change> {
        plan.changes.clone()
    }

    fn commit(&self, store: &dyn Store, plan: &Plan) -> Result<Committed> {
        commit_plan(store, &self.doc.prefix, plan, self.chunked, self.quiet)
    }
}

/// Commit a plan of the keys below `prefix` (nothing at all when it changes
/// nothing: revision 0).
pub fn commit_plan(store: &dyn Store, prefix: &Key, plan: &Plan, chunked: bool, quiet: bool) -> Result<Committed> {
    if plan.changes.is_empty() {
        return Ok(Committed { revision: Revision(0), deleted: 0 });
    }
    let applied = documents::commit(store, prefix, &plan.changes, chunked, quiet)?;
    if applied.chunks > 1 {
        tracing::info!(chunks = applied.chunks, "written in atomic chunks");
    }
    Ok(Committed { revision: applied.revision, deleted: plan.count(Kind::Removed) as u64 })
}

pub fn import(ctx: &Ctx, args: &ImportArgs) -> Result<()> {
    let doc = documents::read(ctx, &args.source)?;
    let write = ApplyDoc { doc: &doc, prune: false, chunked: args.chunked, quiet: ctx.out.is_quiet() };
    let plans = fanout::read_all(ctx, &write);
    if args.dry_run {
        return dry_run(ctx, &plans, args.output);
    }
    commit(ctx, "import", &write, &plans, args.output)
}

pub fn apply(ctx: &Ctx, args: &ApplyArgs) -> Result<()> {
    let doc = documents::read(ctx, &args.source)?;
    let write = ApplyDoc { doc: &doc, prune: args.prune, chunked: args.chunked, quiet: ctx.out.is_quiet() };
    let plans = fanout::read_all(ctx, &write);
    if let [Err(e)] = plans.as_slice() {
        return Err(Coded::copy_of(e));
    }
    let changes = plans.iter().any(|p| p.as_ref().map_or(true, |p| !p.changes.is_empty()));
    if args.output == Format::Plain && changes {
        let colour = crate::output::colour(std::io::IsTerminal::is_terminal(&std::io::stderr()));
        let most = if ctx.settings.verbose { usize::MAX } else { documents::SCREENFUL };
        for (target, plan) in ctx.targets.iter().zip(&plans) {
            if ctx.targets.len() > 1 {
                eprintln!("{}:", target.name());
            }
            match plan {
                Ok(plan) => eprint!("{}", documents::render_at_most(plan, colour, most)),
                Err(e) => eprintln!("  cannot plan: {}", crate::output::escape(&crate::exit::message(e))),
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
    commit(ctx, "apply", &write, &plans, args.output)
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

fn dry_run(ctx: &Ctx, plans: &[Read<Plan>], output: Format) -> Result<()> {
    if let [plan] = plans {
        let plan = plan.as_ref().map_err(Coded::copy_of)?;
        ctx.out.note(format!("dry run: {}; nothing written", documents::summary(plan)));
        return report_one(ctx, output, plan, None);
    }
    ctx.out.note(format!("dry run: {}; nothing written", summaries(ctx, plans)));
    if output != Format::Plain {
        let stores: Vec<_> = ctx.targets.iter().zip(plans).map(|(t, p)| plan_view(&t.name(), p, None)).collect();
        ctx.out.json(&serde_json::json!({ "stores": stores }))?;
    }
    match plans.iter().find_map(|p| p.as_ref().err()) {
        Some(e) => Err(Coded::copy_of(e)),
        None => Ok(()),
    }
}

fn commit(ctx: &Ctx, command: &str, write: &ApplyDoc, plans: &[Read<Plan>], output: Format) -> Result<()> {
    let outcomes = fanout::commit_all(ctx, command, write, plans)?;
    if let ([plan], [one]) = (plans, outcomes.as_slice()) {
        let plan = plan.as_ref().map_err(Coded::copy_of)?;
        let committed = one.result.as_ref().map_err(Coded::copy_of)?;
        ctx.out.note(note(plan, committed));
        return report_one(ctx, output, plan, written(plan, committed));
    }
    for ((o, plan), target) in outcomes.iter().zip(plans).zip(ctx.targets) {
        match (&o.result, plan) {
            (Ok(committed), Ok(plan)) => ctx.out.note(format!("{}: {}", target.name(), note(plan, committed))),
            (Err(e), _) | (_, Err(e)) => {
                ctx.out.warn(format!("{}: failed: {}", target.name(), crate::exit::message(e)))
            }
        }
    }
    if output != Format::Plain {
        let stores: Vec<_> = outcomes
            .iter()
            .zip(plans)
            .map(|(o, plan)| {
                let revision = match (&o.result, plan) {
                    (Ok(c), Ok(p)) => written(p, c),
                    _ => None,
                };
                let mut view = plan_view(&o.store, plan, revision);
                if let Err(e) = &o.result {
                    view["error"] = crate::exit::message(e).into();
                    view["exit"] = (crate::exit::classify(e) as u8).into();
                }
                view
            })
            .collect();
        ctx.out.json(&serde_json::json!({ "stores": stores }))?;
    }
    fanout::finish(&outcomes)
}

/// The revision a commit landed at, None when the plan wrote nothing.
fn written(plan: &Plan, committed: &Committed) -> Option<u64> {
    (!plan.changes.is_empty()).then_some(committed.revision.0)
}

fn note(plan: &Plan, committed: &Committed) -> String {
    if plan.changes.is_empty() {
        return format!("no changes ({} unchanged); nothing written", plan.unchanged);
    }
    format!("written at revision {}: {}", committed.revision, documents::summary(plan))
}

fn plan_view(store: &str, plan: &Read<Plan>, revision: Option<u64>) -> serde_json::Value {
    let mut view = match plan {
        Ok(plan) => {
            serde_json::to_value(Outcome { plan: documents::PlanView::of(plan), written: revision.is_some(), revision })
                .unwrap_or_default()
        }
        Err(e) => {
            serde_json::json!({"written": false, "error": crate::exit::message(e), "exit": crate::exit::classify(e) as u8})
        }
    };
    view["store"] = store.into();
    view
}

fn report_one(ctx: &Ctx, output: Format, plan: &Plan, revision: Option<u64>) -> Result<()> {
    if output == Format::Plain {
        return Ok(());
    }
    ctx.out.json(&Outcome { plan: documents::PlanView::of(plan), written: revision.is_some(), revision })
}
