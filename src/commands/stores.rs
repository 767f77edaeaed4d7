use anyhow::Result;
use std::io::Write;

use crate::output::Printer;
use crate::store::SUPPORTED;

pub fn run(_out: &Printer) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    for kind in SUPPORTED {
        writeln!(stdout, "{:<6} {:<48} {}", kind.scheme, kind.form, kind.about)?;
    }
    Ok(())
}
