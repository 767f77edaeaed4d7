use anyhow::Result;

use super::{leaf, Ctx};
use crate::cli::GetArgs;

pub fn run(ctx: &Ctx, args: &GetArgs) -> Result<()> {
    let item = ctx.store()?.get(leaf(&args.key)?)?;
    ctx.out.value(args.output, &args.key, &item)
}
