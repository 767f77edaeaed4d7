//! `render`: a Jinja2 template (minijinja) filled from the store at one point
//! in time, and the safe install of the result.
//!
//! **One point in time.** A template's functions answer from a [`view::View`],
//! never from the store. A first pass learns what the template reads (what
//! it asks for and the view lacks is read, and the pass run again). Then:
//! where the store's `scan` is one snapshot, the smallest prefix covering
//! everything read is scanned once and the template rendered from that scan
//! alone (widened again if that render reads outside it); elsewhere, after
//! the render, everything read is read again and the render is kept only if
//! no revision moved (else it starts over, a few times at most). A render
//! that needed one read of one key, or one snapshot scan, is kept as it is.

pub mod functions;
pub mod install;
mod view;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::exit::Exit;
use crate::store::{Key, Store, StoreError};
use functions::{environment, Pass, Shared};
use view::{Lookup, Reads, View};

/// A template's text as it was rendered, and what it read: the keys
/// `key()` and `exists()` read, the prefixes `keys()` and `tree()` listed
/// (a change to any of them can change the text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub keys: BTreeSet<Key>,
    pub prefixes: BTreeSet<Key>,
}

/// A template file, read whole.
#[derive(Clone, Debug)]
pub struct Template {
    pub path: PathBuf,
    /// How messages name it (its path as given).
    pub name: String,
    pub source: String,
}

/// Why a render failed, where in the template (`template FILE, line N`).
#[derive(Debug, thiserror::Error)]
#[error("{at}: {problem}")]
pub struct RenderError {
    pub at: String,
    pub problem: Problem,
}

#[derive(Clone, Debug, thiserror::Error)]
pub enum Problem {
    /// `key()` without a default read a key the store does not have: exit 4.
    #[error("key {0} not found")]
    Missing(Key),
    /// A value the template read is not UTF-8, so cannot be text: exit 1.
    #[error("the value of {} is not UTF-8 text", crate::output::escape(.0))]
    NotText(String),
    /// The template's syntax, or an error while running it: exit 2.
    #[error("{0}")]
    Template(String),
    /// The keys kept changing while they were read: exit 5.
    #[error("the keys it reads kept changing while they were read ({0} tries); nothing rendered")]
    Unsettled(usize),
}

impl RenderError {
    pub fn exit(&self) -> Exit {
        match self.problem {
            Problem::Missing(_) => Exit::NotFound,
            Problem::NotText(_) => Exit::Failure,
            Problem::Template(_) => Exit::Usage,
            Problem::Unsettled(_) => Exit::Conflict,
        }
    }
}

/// Passes that read something new before a render gives up (a template
/// whose every pass names keys it has not read yet).
const MAX_PASSES: usize = 64;
/// Fresh starts when what a render read moved under it.
const MAX_TRIES: usize = 5;

impl Template {
    /// The file at `path`: unreadable is a failure (exit 1), not UTF-8 a
    /// template error (exit 2).
    pub fn load(path: &Path) -> Result<Template> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).with_context(|| format!("cannot read the template {name}"))?;
        let source = String::from_utf8(bytes).map_err(|e| RenderError {
            at: format!("template {name}"),
            problem: Problem::Template(format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to())),
        })?;
        Ok(Template { path: path.to_path_buf(), name, source })
    }

    /// A minijinja error as the render's error, naming the file and line.
    fn error(&self, e: &minijinja::Error) -> RenderError {
        let at = match e.line() {
            Some(line) => format!("template {}, line {line}", self.name),
            None => format!("template {}", self.name),
        };
        let own = std::error::Error::source(e).and_then(|s| s.downcast_ref::<Problem>());
        let problem = match own {
            Some(problem) => problem.clone(),
            None => Problem::Template(match e.detail() {
                Some(detail) => format!("{}: {detail}", e.kind()),
                None => e.kind().to_string(),
            }),
        };
        RenderError { at, problem }
    }

    fn failed(&self, problem: Problem) -> RenderError {
        RenderError { at: format!("template {}", self.name), problem }
    }
}

/// Render `template` from `store` at one point in time (see the module's
/// comment); nothing is written anywhere.
pub fn render(store: &dyn Store, template: &Template) -> Result<Rendered> {
    let pass: Shared = Default::default();
    let mut env = environment(&pass);
    env.add_template_owned(template.name.clone(), template.source.clone()).map_err(|e| template.error(&e))?;
    let compiled = env.get_template(&template.name).map_err(|e| template.error(&e))?;
    let snapshot = store.capabilities().snapshot_scan;
    let (mut view, mut passes, mut tries) = (View::default(), 0, 0);
    loop {
        *functions::lock(&pass) = Pass { view, reads: Reads::default() };
        let result = compiled.render(());
        let Pass { view: seen, reads } = std::mem::take(&mut *functions::lock(&pass));
        view = seen;
        if !reads.complete() {
            passes += 1;
            if passes > MAX_PASSES {
                let why = format!("it reads keys it has not read yet on each of {MAX_PASSES} passes");
                return Err(template.failed(Problem::Template(why)).into());
            }
            fill(store, &mut view, &reads)?;
            continue;
        }
        let text = result.map_err(|e| template.error(&e))?;
        let one_read = view.reads == 0 || (view.reads == 1 && (view.scans == 0 || snapshot));
        if one_read || (!snapshot && unchanged(store, &view, &reads)?) {
            return Ok(Rendered { text, keys: reads.keys, prefixes: reads.prefixes });
        }
        tries += 1;
        if tries > MAX_TRIES {
            return Err(template.failed(Problem::Unsettled(MAX_TRIES)).into());
        }
        view = View::default();
        if snapshot {
            // All of it again from one scan; a pass that then reads outside
            // it reads more, and the next covering prefix is wider.
            let cover = reads.covering();
            view.add_scan(&cover, store.scan(&cover)?.collect::<Result<_, _>>()?);
        }
    }
}

/// Read what a pass asked for and the view lacked: each prefix's subtree by
/// one scan, each key by one get.
fn fill(store: &dyn Store, view: &mut View, reads: &Reads) -> Result<()> {
    for prefix in &reads.unknown_prefixes {
        if !view.has_subtree(prefix) {
            view.add_scan(prefix, store.scan(prefix)?.collect::<Result<_, _>>()?);
        }
    }
    for key in &reads.unknown_keys {
        if matches!(view.lookup(key), Lookup::Unknown) {
            view.add_key(key, found(store.get(key))?);
        }
    }
    Ok(())
}

/// A get's answer, a missing key being None.
fn found(read: Result<crate::store::Version, StoreError>) -> Result<Option<crate::store::Version>, StoreError> {
    match read {
        Ok(version) => Ok(Some(version)),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether everything `reads` names is still as `view` has it: the same
/// keys at the same revisions. Every value was then the store's at once, at
/// the moment between the last first read and the first re-read.
fn unchanged(store: &dyn Store, view: &View, reads: &Reads) -> Result<bool> {
    let revisions = |prefix: &Key| view.subtree(prefix).map(|(k, v)| (k.to_string(), v.revision)).collect::<Vec<_>>();
    let outer: Vec<&Key> =
        reads.prefixes.iter().filter(|p| !reads.prefixes.iter().any(|q| q != *p && q.contains(p.as_str()))).collect();
    for prefix in &outer {
        let now: Vec<_> = store.scan(prefix)?.map(|e| e.map(|e| (e.key, e.revision))).collect::<Result<_, _>>()?;
        if now != revisions(prefix) {
            return Ok(false);
        }
    }
    for key in reads.keys.iter().filter(|k| !outer.iter().any(|p| p.contains(k.as_str()))) {
        let had = match view.lookup(key) {
            Lookup::Found(version) => Some(version.revision),
            _ => None,
        };
        if found(store.get(key))?.map(|v| v.revision) != had {
            return Ok(false);
        }
    }
    Ok(true)
}
