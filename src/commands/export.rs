use std::io::BufWriter;

use anyhow::Result;

use super::Ctx;
use crate::cli::{DocOutput, ExportArgs};
use crate::document::{self, Format, Style};

pub fn run(ctx: &Ctx, args: &ExportArgs) -> Result<()> {
    let style = match (args.format, args.output) {
        (Format::Consul, _) => Style::Consul,
        (Format::Ovs, DocOutput::Json) => Style::Json,
        (Format::Ovs, DocOutput::Yaml) => Style::Yaml,
    };
    let out = BufWriter::new(std::io::stdout().lock());
    document::export(out, &args.prefix, style, ctx.store()?.scan(&args.prefix)?)?;
    Ok(())
}
