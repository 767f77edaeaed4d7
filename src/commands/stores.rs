use anyhow::Result;

use crate::output::{Format, Printer};
use crate::store::registry::BACKENDS;
use crate::store::{plugin, Capabilities};

pub fn run(out: &Printer) -> Result<()> {
    let lines = BACKENDS.iter().flat_map(|b| {
        [
            format!("{:<8} {:<50} {}", b.schemes[0], b.form, b.about),
            format!("         {}", capabilities(&b.capabilities)),
        ]
    });
    let plugins = [
        format!("{:<8} {:<50} {}", "(plugin)", plugin::BACKEND.form, plugin::BACKEND.about),
        "         capabilities as the plugin declares them in its hello".to_string(),
    ];
    out.entries(Format::Plain, Box::new(lines.chain(plugins).map(Ok)))
}

/// `values of at most N bytes; atomic batches of any size; snapshot scans; no history; no watch`.
fn capabilities(caps: &Capabilities) -> String {
    let batches = match (caps.atomic_batch, caps.max_batch_ops, caps.max_batch_bytes) {
        (false, _, _) => "no atomic batches".to_string(),
        (true, None, None) => "atomic batches of any size".to_string(),
        (true, ops, bytes) => {
            let ops = ops.map(|n| match caps.delete_ops {
                1 => format!("{n} operations"),
                d => format!("{n} operations (a delete counts {d})"),
            });
            let limits: Vec<String> = [ops, bytes.map(|b| format!("{} bytes", b))].into_iter().flatten().collect();
            format!("atomic batches of at most {}", limits.join(" and "))
        }
    };
    let yes_no = |on: bool, what: &str| if on { what.to_string() } else { format!("no {what}") };
    format!(
        "values of at most {} bytes; {batches}; {}; {}; {}",
        caps.max_value_bytes,
        if caps.snapshot_scan { "snapshot scans" } else { "scans read key by key" },
        yes_no(caps.history, "history"),
        yes_no(caps.watch, "watch"),
    )
}
