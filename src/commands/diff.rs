use anyhow::Result;

use crate::cli::DiffArgs;
use crate::exit::Differences;
use crate::output::Format;
use crate::pipeline::plan::Plan;
use crate::pipeline::{documents, Ctx};

pub fn run(ctx: &Ctx, args: &DiffArgs) -> Result<()> {
    // A read: validators are for writes (`apply` runs them), so a read never
    // pays for building them.
    let doc = documents::parse(ctx, &args.source.file, args.source.format, args.source.prefix.as_ref())?;
    let plan = Plan::compute(ctx.store()?.scan(&doc.prefix)?, &doc, args.prune)?;
    match args.output {
        Format::Json | Format::Yaml => ctx.out.json(&documents::PlanView::of(&plan))?,
        Format::Plain => {
            use std::io::Write;
            let text = documents::render(&plan, crate::output::colour(ctx.out.to_terminal()));
            std::io::stdout().lock().write_all(text.as_bytes())?;
            ctx.out.note(documents::summary(&plan));
        }
    }
    if args.exit_code && !plan.changes.is_empty() {
        return Err(Differences.into());
    }
    Ok(())
}
