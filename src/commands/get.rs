use anyhow::Result;

use crate::cli::GetArgs;
use crate::output::Format;
use crate::pipeline::context::leaf;
use crate::pipeline::field::Structured;
use crate::pipeline::Ctx;

pub fn run(ctx: &Ctx, args: &GetArgs) -> Result<()> {
    let item = ctx.store()?.get(leaf(&args.key)?)?;
    let Some(pointer) = &args.field else {
        return ctx.out.value(args.output, &args.key, &item);
    };
    let doc = Structured::parse(&args.key, &item.value)?;
    let field = doc.get(&args.key, pointer)?;
    match args.output {
        // As jq -r: a string as its text, so scripts need not unquote it.
        Format::Plain => match (field, doc.number_text(pointer)) {
            (serde_json::Value::String(text), _) => ctx.out.text(text),
            // A number as the value writes it, not as a float reads it back.
            (serde_json::Value::Number(_), Some(written)) => ctx.out.text(&format!("{written}\n")),
            (other, _) => ctx.out.text(&format!("{other}\n")),
        },
        format => ctx.out.record(
            format,
            &serde_json::json!({"key": args.key.as_str(), "field": pointer, "value": field, "revision": item.revision.0}),
        ),
    }
}
