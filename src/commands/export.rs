use std::io::{BufWriter, Write};

use anyhow::Result;

use crate::cli::{DocOutput, ExportArgs};
use crate::document::{self, Format, Style};
use crate::output::Escaping;
use crate::pipeline::Ctx;

pub fn run(ctx: &Ctx, args: &ExportArgs) -> Result<()> {
    let style = match (args.format, args.output) {
        (Format::Consul, _) => Style::Consul,
        (Format::Ovs, DocOutput::Json) => Style::Json,
        (Format::Ovs, DocOutput::Yaml) => Style::Yaml,
    };
    let stdout = std::io::stdout().lock();
    // To a file or a pipe, exact; to a terminal, escaped as `get` does, so
    // that no value can move the cursor or hide or reorder what is around it.
    let out: Box<dyn Write> = if ctx.out.to_terminal() { Box::new(Escaping::new(stdout)) } else { Box::new(stdout) };
    document::export(BufWriter::new(out), &args.prefix, style, ctx.store()?.scan(&args.prefix)?)?;
    Ok(())
}
