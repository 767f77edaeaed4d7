use anyhow::Result;

use crate::cli::ExportArgs;
use crate::document::{self, Style};
use crate::output::Format;
use crate::pipeline::Ctx;

pub fn run(ctx: &Ctx, args: &ExportArgs) -> Result<()> {
    let style = Style::of(args.format, ctx.out.format() == Format::Json);
    let scan = ctx.store()?.scan(&args.prefix)?;
    ctx.out.document(|out| document::export(out, &args.prefix, style, scan).map(drop))
}
