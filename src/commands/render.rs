use std::io::Write as _;

use anyhow::Result;
use serde::Serialize;

use crate::cli::RenderArgs;
use crate::config_file::DeclaredTemplate;
use crate::exit::{classify, message, Coded, Differences, Exit, UsageError};
use crate::output::{Plain, Report};
use crate::pipeline::follow::{Interest, Wait};
use crate::pipeline::keep_current::{keep_current, Job};
use crate::pipeline::Ctx;
use crate::render::install::{self, Target};
use crate::render::{render, Rendered, Template};

/// What became of one template: its text (to stdout), its diff
/// (--dry-run), or whether its file changed and the program was reloaded.
#[derive(Serialize)]
struct Outcome {
    template: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination: Option<String>,
    changed: bool,
    reloaded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<String>,
}

impl Report for Outcome {
    fn plain(&self, out: &mut Plain<'_>) -> std::io::Result<()> {
        if let Some(text) = self.text.as_ref().or(self.diff.as_ref()) {
            return out.value(text.as_bytes());
        }
        let file = self.destination.as_deref().unwrap_or_default();
        match (self.changed, self.reloaded) {
            (true, true) => out.line(&format!("installed {file}; reloaded")),
            (true, false) => out.line(&format!("installed {file}")),
            (false, _) => out.line(&format!("unchanged {file}")),
        }?;
        out.flush()
    }
}

pub fn run(ctx: &Ctx, args: &RenderArgs) -> Result<()> {
    if args.watch {
        return watch(ctx, args);
    }
    if args.all {
        return all(ctx, args.dry_run);
    }
    let path = args.template.as_deref().expect("clap requires TEMPLATE without --all");
    if args.dry_run && args.out.is_none() {
        return Err(UsageError("--dry-run compares with a file: give --out FILE".into()).into());
    }
    let target = args.out.as_deref().map(|file| Target {
        file,
        mode: args.mode,
        check: args.check.as_deref(),
        reload: args.reload.as_deref(),
    });
    let (outcome, _) = one(ctx, &Template::load(path)?, target.as_ref(), args.dry_run)?;
    ctx.out.print(&outcome)?;
    differs(&outcome)
}

/// Render one template, and install it (or diff it) when it has a file;
/// and what the render read.
fn one(ctx: &Ctx, template: &Template, target: Option<&Target>, dry_run: bool) -> Result<(Outcome, Interest)> {
    let Rendered { text, keys, prefixes } = render(ctx.store()?, template)?;
    let read = Interest { keys, prefixes };
    let mut outcome = Outcome {
        template: template.name.clone(),
        destination: target.map(|t| t.file.display().to_string()),
        changed: false,
        reloaded: false,
        text: None,
        diff: None,
    };
    let Some(target) = target else {
        outcome.text = Some(text);
        return Ok((outcome, read));
    };
    if dry_run {
        let old = install::current(target.file)?.unwrap_or_default();
        let old = String::from_utf8_lossy(&old);
        outcome.changed = old != text;
        let name = target.file.display().to_string();
        let diff = similar::TextDiff::from_lines(old.as_ref(), &text);
        outcome.diff = Some(diff.unified_diff().header(&name, &name).to_string());
        return Ok((outcome, read));
    }
    let installed = install::install(target, &text)?;
    (outcome.changed, outcome.reloaded) = (installed.changed, installed.reloaded);
    Ok((outcome, read))
}

fn differs(outcome: &Outcome) -> Result<()> {
    match outcome.diff.is_some() && outcome.changed {
        true => Err(Differences.into()),
        false => Ok(()),
    }
}

/// Every declared template; one that fails is reported and the others are
/// still rendered, and the most severe code is the exit code.
fn all(ctx: &Ctx, dry_run: bool) -> Result<()> {
    let templates = ctx.settings.config.as_ref().map_or(&[][..], |file| &file.templates[..]);
    if templates.is_empty() {
        return Err(UsageError("render --all: the config file declares no `templates:`".into()).into());
    }
    let mut outcomes = Vec::new();
    let mut worst: Option<(Exit, String)> = None;
    for declared in templates {
        match declared_one(ctx, declared, dry_run) {
            Ok((outcome, _)) => outcomes.push(outcome),
            Err(err) => {
                let (code, said) = (classify(&err), message(&err));
                ctx.out.warn(format!("error: {said}"));
                if worst.as_ref().is_none_or(|(w, _)| code.severity() > w.severity()) {
                    worst = Some((code, said));
                }
            }
        }
    }
    let (count, differ) = (outcomes.len(), outcomes.iter().any(|o| o.diff.is_some() && o.changed));
    ctx.out.list(outcomes.into_iter().map(Ok::<_, anyhow::Error>))?;
    if let Some((code, said)) = worst {
        let message = format!("{} of {} templates failed: {said}", templates.len() - count, templates.len());
        return Err(Coded { message, code }.into());
    }
    match differ {
        true => Err(Differences.into()),
        false => Ok(()),
    }
}

/// A declared template: its source held to the config file's own checks
/// (who else could write it could write the file it is rendered into).
fn declared_one(ctx: &Ctx, declared: &DeclaredTemplate, dry_run: bool) -> Result<(Outcome, Interest)> {
    crate::files::check_trusted(&declared.source, "the template")?;
    let template = Template::load(&declared.source)?;
    let target = Target {
        file: &declared.destination,
        mode: declared.mode,
        check: declared.check.as_deref(),
        reload: declared.reload.as_deref(),
    };
    one(ctx, &template, Some(&target), dry_run)
}

// render --watch: the files kept current by `pipeline::keep_current`.

/// --watch: the template, or every declared one, installed again whenever
/// what it read changes, until SIGTERM or SIGINT.
fn watch(ctx: &Ctx, args: &RenderArgs) -> Result<()> {
    let declared = ctx.settings.config.as_ref().map_or(&[][..], |file| &file.templates[..]);
    let mut jobs = Vec::new();
    if args.all {
        if declared.is_empty() {
            return Err(UsageError("render --all: the config file declares no `templates:`".into()).into());
        }
        // Each render reads its template again: SIGHUP needs nothing more.
        for template in declared {
            jobs.push(Job::new(template.destination.display().to_string(), move |_| {
                let (outcome, read) = declared_one(ctx, template, false)?;
                ctx.out.each(&outcome)?;
                Ok(read)
            }));
        }
    } else {
        let Some(file) = args.out.as_deref() else {
            return Err(UsageError("--watch keeps a file current: give --out FILE (or --all)".into()).into());
        };
        let path = args.template.as_deref().expect("clap requires TEMPLATE without --all");
        let target = Target { file, mode: args.mode, check: args.check.as_deref(), reload: args.reload.as_deref() };
        let mut template = Template::load(path)?;
        jobs.push(Job::new(file.display().to_string(), move |reread| {
            if reread {
                template = Template::load(path)?;
            }
            let (outcome, read) = one(ctx, &template, Some(&target), false)?;
            ctx.out.each(&outcome)?;
            Ok(read)
        }));
    }
    // --wait, else the longest a declared template asks for.
    let wait = args.wait.unwrap_or_else(|| {
        let waits = declared.iter().filter(|_| args.all).filter_map(|t| t.wait);
        waits.fold(Wait::OFF, |a, b| Wait { min: a.min.max(b.min), max: a.max.max(b.max) })
    });
    keep_current(ctx, ctx.store()?, &mut jobs, wait)
}
