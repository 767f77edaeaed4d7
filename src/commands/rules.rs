//! `validators`: which rules apply to a key (or all of them), in the order
//! they run, and where each was declared.

use anyhow::Result;
use serde::Serialize;

use crate::output::{Plain, Printer, Report};
use crate::store::Key;
use crate::validate::{Registry, Rule};

#[derive(Serialize)]
struct View<'a> {
    pattern: &'a str,
    kind: &'static str,
    validator: &'a str,
    /// The config file that declared it; null for the built-in rule.
    source: Option<String>,
}

/// The rules; plain, a line each: pattern, validator, where declared.
#[derive(Serialize)]
#[serde(transparent)]
struct Rules<'a>(Vec<View<'a>>);

impl Report for Rules<'_> {
    fn plain(&self, out: &mut Plain<'_>) -> std::io::Result<()> {
        for v in &self.0 {
            let source = v.source.as_deref().unwrap_or("built in");
            out.line(&format!("{}  {}  ({source})", v.pattern, v.validator))?;
        }
        Ok(())
    }
}

pub fn run(registry: &Registry, out: &Printer, key: Option<&Key>) -> Result<()> {
    let rules: Vec<&Rule> = match key {
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
    if let (Some(key), true) = (key, views.is_empty()) {
        out.note(format!("{key}: no validator applies"));
    }
    out.print(&Rules(views))
}
