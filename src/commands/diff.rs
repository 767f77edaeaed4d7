use std::io::Write as _;

use anyhow::Result;
use serde::Serialize;

use crate::cli::DiffArgs;
use crate::exit::Differences;
use crate::output::{Plain, Report};
use crate::pipeline::{documents, Ctx};
use crate::plan::Plan;

/// The plan: plain as `+ key`, `- key`, `~ key` with a diff of the value.
#[derive(Serialize)]
#[serde(transparent)]
struct DiffReport<'a> {
    view: documents::PlanView<'a>,
    #[serde(skip)]
    plan: &'a Plan,
}

impl Report for DiffReport<'_> {
    fn plain(&self, out: &mut Plain<'_>) -> std::io::Result<()> {
        let colour = out.colour();
        out.write_all(documents::render(self.plan, colour).as_bytes())
    }
}

pub fn run(ctx: &Ctx, args: &DiffArgs) -> Result<()> {
    // A read: validators are for writes (`apply` runs them), so a read never
    // pays for building them.
    let doc = documents::parse(ctx, &args.source.file, args.source.format, args.source.prefix.as_ref())?;
    let plan = Plan::compute(ctx.store()?.scan(&doc.prefix)?, &doc, args.prune)?;
    ctx.out.print(&DiffReport { view: documents::PlanView::of(&plan), plan: &plan })?;
    if ctx.out.is_plain() {
        ctx.out.note(documents::summary(&plan));
    }
    if args.exit_code && !plan.changes.is_empty() {
        return Err(Differences.into());
    }
    Ok(())
}
