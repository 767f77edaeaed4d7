use anyhow::Result;

use super::Ctx;
use crate::output::Format;
use crate::store::Key;

pub fn run(ctx: &Ctx, prefix: &Key, recursive: bool, format: Format) -> Result<()> {
    let entries = if recursive { ctx.store.keys(prefix)? } else { ctx.store.children(prefix)? };
    ctx.out.entries(format, entries)
}
