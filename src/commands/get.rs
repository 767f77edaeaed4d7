use anyhow::Result;

use super::field::Document;
use super::{leaf, Ctx};
use crate::cli::GetArgs;
use crate::output::Format;

pub fn run(ctx: &Ctx, args: &GetArgs) -> Result<()> {
    let item = ctx.store()?.get(leaf(&args.key)?)?;
    let Some(pointer) = &args.field else {
        return ctx.out.value(args.output, &args.key, &item);
    };
    let doc = Document::parse(&args.key, &item.value)?;
    let field = doc.get(&args.key, pointer)?;
    match args.output {
        // As jq -r: a string as its text, so scripts need not unquote it.
        Format::Plain => match field {
            serde_json::Value::String(text) => ctx.out.text(text),
            other => ctx.out.text(&format!("{other}\n")),
        },
        format => ctx.out.record(
            format,
            &serde_json::json!({"key": args.key.as_str(), "field": pointer, "value": field, "revision": item.revision.0}),
        ),
    }
}
