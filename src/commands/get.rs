use anyhow::Result;
use serde::Serialize;

use crate::cli::GetArgs;
use crate::output::{Plain, Report, ValueReport};
use crate::pipeline::context::leaf;
use crate::pipeline::field::Structured;
use crate::pipeline::Ctx;

/// One field of a value (`get --field`): plain as jq -r gives it, a string
/// as its text, so scripts need not unquote it.
#[derive(Serialize)]
struct FieldReport<'a> {
    key: &'a str,
    field: &'a str,
    value: &'a serde_json::Value,
    revision: u64,
    /// A number as the value writes it, not as a float reads it back.
    #[serde(skip)]
    number_text: Option<&'a str>,
}

impl Report for FieldReport<'_> {
    fn plain(&self, out: &mut Plain<'_>) -> std::io::Result<()> {
        match (self.value, self.number_text) {
            (serde_json::Value::String(text), _) => out.value(text.as_bytes()),
            (serde_json::Value::Number(_), Some(written)) => out.value(format!("{written}\n").as_bytes()),
            (other, _) => out.value(format!("{other}\n").as_bytes()),
        }
    }
}

pub fn run(ctx: &Ctx, args: &GetArgs) -> Result<()> {
    let item = ctx.store()?.get(leaf(&args.key)?)?;
    let Some(pointer) = &args.field else {
        return ctx.out.print(&ValueReport::of(&args.key, &item));
    };
    let doc = Structured::parse(&args.key, &item.value)?;
    let value = doc.get(&args.key, pointer)?;
    let report = FieldReport {
        key: args.key.as_str(),
        field: pointer,
        value,
        revision: item.revision.0,
        number_text: doc.number_text(pointer),
    };
    ctx.out.print(&report)
}
