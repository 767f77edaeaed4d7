//! `schedule [KEY]`: when Celery beat will run each task of a schedule, from
//! the first store or from a file not written yet. The value is checked by
//! the Celery validator first, so a schedule it would refuse is exit 3 here
//! too.

use std::collections::BTreeMap;
use std::io::{Read, Write as _};

use anyhow::{anyhow, Context, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::{OffsetName, Tz};
use serde::Serialize;

use crate::cli::ScheduleArgs;
use crate::output::{Plain, Report};
use crate::pipeline::context::leaf;
use crate::pipeline::Ctx;
use crate::schedule::next_runs;
use crate::validate::celery::{parse_schedule, CelerySchedule};
use crate::validate::{Rejected, Validator};

#[derive(Serialize)]
struct TaskView {
    enabled: bool,
    next: Vec<String>,
}

/// Each task, sorted by name: plain a block each, its run times indented.
#[derive(Serialize)]
#[serde(transparent)]
struct ScheduleReport(BTreeMap<String, TaskView>);

impl Report for ScheduleReport {
    fn plain(&self, out: &mut Plain<'_>) -> std::io::Result<()> {
        for (task, runs) in &self.0 {
            out.line(task)?;
            if !runs.enabled {
                writeln!(out, "  disabled")?;
            }
            for time in &runs.next {
                writeln!(out, "  {time}")?;
            }
        }
        Ok(())
    }
}

pub fn run(ctx: &Ctx, args: &ScheduleArgs) -> Result<()> {
    let key = leaf(&args.key)?;
    let value = match &args.file {
        Some(path) if path.as_os_str() == "-" => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).context("cannot read stdin")?;
            buf
        }
        Some(path) => std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
        None => ctx.store()?.get(key)?.value,
    };
    let tasks = parse_schedule(&value).map_err(|message| Rejected {
        key: key.clone(),
        name: CelerySchedule.name().to_string(),
        message,
        refused_write: false,
    })?;
    let after = args.at.map_or_else(Utc::now, |at| at.with_timezone(&Utc));
    // Sorted by task name, in both outputs.
    let mut view = BTreeMap::new();
    for (task, crontab) in tasks {
        let next = match &crontab {
            Some(tab) => {
                next_runs(tab, args.tz, after, args.count.into()).map_err(|e| anyhow!("task {task:?}: {e}"))?
            }
            None => Vec::new(),
        };
        view.insert(task, TaskView { enabled: crontab.is_some(), next: next.iter().map(rfc3339).collect() });
    }
    ctx.out.print(&ScheduleReport(view))
}

/// RFC 3339 with the zone's offset; `Z` in UTC itself.
fn rfc3339(time: &DateTime<Tz>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, time.offset().abbreviation() == Some("UTC"))
}
