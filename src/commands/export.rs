use anyhow::Result;

use crate::cli::ExportArgs;
use crate::document::{self, Format, Style};
use crate::output;
use crate::pipeline::Ctx;

pub fn run(ctx: &Ctx, args: &ExportArgs) -> Result<()> {
    let style = match (args.format, ctx.out.format()) {
        (Format::Consul, _) => Style::Consul,
        (Format::Ovs, output::Format::Json) => Style::Json,
        (Format::Ovs, output::Format::Plain | output::Format::Yaml) => Style::Yaml,
    };
    let scan = ctx.store()?.scan(&args.prefix)?;
    ctx.out.document(|out| document::export(out, &args.prefix, style, scan).map(drop))
}
