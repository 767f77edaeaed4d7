use anyhow::Result;

use crate::output::{Format, Printer};
use crate::store::SUPPORTED;

pub fn run(out: &Printer) -> Result<()> {
    let lines = SUPPORTED.iter().map(|kind| Ok(format!("{:<6} {:<48} {}", kind.scheme, kind.form, kind.about)));
    out.entries(Format::Plain, Box::new(lines))
}
