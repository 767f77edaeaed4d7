//! `validators`: which rules apply to a key (or all of them), in the order
//! they run, and where each was declared.

use anyhow::Result;
use serde::Serialize;

use crate::cli::ValidatorsArgs;
use crate::output::{escape, Format, Printer};
use crate::validate::{Registry, Rule};

#[derive(Serialize)]
struct View<'a> {
    pattern: &'a str,
    kind: &'static str,
    validator: &'a str,
    /// The config file that declared it; null for the built-in rule.
    source: Option<String>,
}

pub fn run(registry: &Registry, out: &Printer, args: &ValidatorsArgs) -> Result<()> {
    let rules: Vec<&Rule> = match &args.key {
        Some(key) => registry.rules_for(key).collect(),
        None => registry.rules().iter().collect(),
    };
    let views: Vec<View> = rules
        .iter()
        .map(|r| View {
            pattern: r.pattern.as_str(),
            kind: r.kind.as_str(),
            validator: r.name(),
            source: r.source.as_ref().map(|p| p.display().to_string()),
        })
        .collect();
    if args.output != Format::Plain {
        return out.json(&views);
    }
    if let (Some(key), true) = (&args.key, views.is_empty()) {
        out.note(format!("{key}: no validator applies"));
    }
    for v in &views {
        let source = v.source.as_deref().unwrap_or("built in");
        println!("{}", escape(&format!("{}  {}  ({source})", v.pattern, v.validator)));
    }
    Ok(())
}
