use anyhow::Result;

use crate::cli::ValidateArgs;
use crate::pipeline::context::leaf;
use crate::pipeline::{source, Ctx};

pub fn run(ctx: &Ctx, args: &ValidateArgs) -> Result<()> {
    let key = leaf(&args.key)?;
    let (value, what) = match source::read(args.source.value.as_deref(), args.source.file.as_deref())? {
        Some(value) => (value, "value"),
        None => (ctx.store()?.get(key)?.value, "stored value"),
    };
    // A value too large for the store would be refused anyway, and is not
    // worth parsing.
    ctx.check_size(&value)?;
    match ctx.registry()?.check(key, &value)? {
        Some(name) => ctx.out.note(format!("{key}: {what} is a valid {name}")),
        None => ctx.out.note(format!("{key}: no validator applies; nothing to check")),
    }
    Ok(())
}
