use anyhow::Result;

use crate::output::{Format, Printer};
use crate::store::registry::BACKENDS;
use crate::store::{plugin, Capabilities};

pub fn run(out: &Printer) -> Result<()> {
    out.entries(Format::Plain, Box::new(lines().into_iter().map(Ok)))
}

/// Two lines a kind: its name, URL form and what it is, in columns as wide
/// as their longest entry; then its capabilities, under the form.
fn lines() -> Vec<String> {
    let plugin_caps = "capabilities as the plugin declares them in its hello".to_string();
    let rows: Vec<(&str, &str, &str, String)> = BACKENDS
        .iter()
        .map(|b| (b.schemes[0], b.form, b.about, capabilities(&b.capabilities)))
        .chain([("(plugin)", plugin::BACKEND.form, plugin::BACKEND.about, plugin_caps)])
        .collect();
    let name = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let form = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    rows.iter()
        .flat_map(|(scheme, url, about, caps)| {
            [format!("{scheme:<name$} {url:<form$}   {about}"), format!("{:name$} {caps}", "")]
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the text after the first run of `gap` spaces starts.
    fn after(line: &str, gap: &str) -> usize {
        let i = line.find(gap).expect("columns");
        i + line[i..].len() - line[i..].trim_start().len()
    }

    #[test]
    fn every_row_lines_up() {
        let lines = lines();
        let columns = |line: &str| {
            let form = after(line, " ");
            (form, form + after(&line[form..], "   "))
        };
        let first = columns(&lines[0]);
        for pair in lines.chunks(2) {
            assert_eq!(columns(&pair[0]), first, "{}", pair[0]);
            let form = first.0;
            assert_eq!(after(&pair[1], " "), form, "{}", pair[1]);
        }
    }
}
