//! `edit`: the value in $VISUAL/$EDITOR, validated, written back only if the
//! key is still at the revision that was read — or with `-r` a whole subtree
//! as one document, applied as `apply --prune` would, guarded the same way.
//! Until a write succeeds the user's text lives in a kept file whose path is
//! printed on every failure.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::document::{Dialect, Document};
use crate::exit::Coded;
use crate::pipeline::context::leaf;
use crate::pipeline::documents::PlanView;
use crate::pipeline::fanout::{self, Read};
use crate::pipeline::report::{StoreOutcome, WriteReport};
use crate::pipeline::writes::{Put, TreeWrite};
use crate::pipeline::{documents, Ctx};
use crate::plan::Plan;
use crate::store::{Committed, Entry, Key};

/// The file the user edits; removed only after a successful write or when
/// nothing changed.
struct Draft {
    path: PathBuf,
}

impl Draft {
    fn create(key: &Key, suffix: &str, text: &[u8]) -> Result<Draft> {
        // The key's last segment helps the user find the file, but a file
        // name has a bounded length (255 bytes on most file systems).
        let name = &key.name()[..key.name().floor_char_boundary(64)];
        let prefix = format!("ovs-edit-{name}-");
        let (file, path) = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(suffix)
            .tempfile()
            .context("cannot create a file to edit")?
            .keep()
            .context("cannot keep the file to edit")?;
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        drop(file);
        Ok(Draft { path })
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn discard(self) {
        // Best effort: a leftover temp file is harmless.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// What is edited: one key's value, or a subtree as one document.
trait Subject {
    fn key(&self) -> &Key;
    /// Read the store: the text to edit, and the file suffix for it.
    fn read(&mut self, ctx: &Ctx) -> Result<(Vec<u8>, &'static str)>;
    /// Everything that can refuse the text before a write (the user may fix it).
    fn check(&mut self, ctx: &Ctx, text: &[u8]) -> Result<()>;
    /// Write the checked text, guarded by what `read` saw; returns the note.
    fn write(&mut self, ctx: &Ctx, text: &[u8]) -> Result<String>;
}

/// One key: written back to each store only if still at the revision read
/// there before the editor opened.
struct OneKey {
    key: Key,
    seen: Vec<Read<Option<Entry>>>,
}

impl Subject for OneKey {
    fn key(&self) -> &Key {
        &self.key
    }

    fn read(&mut self, ctx: &Ctx) -> Result<(Vec<u8>, &'static str)> {
        self.seen = fanout::read_all(ctx, &Put { key: &self.key, value: &[], cond: None });
        let value = match &self.seen[0] {
            Ok(entry) => entry.as_ref().map(|e| e.value.clone()).unwrap_or_default(),
            Err(e) => return Err(Coded::copy_of(e)),
        };
        let suffix = match ctx.registry()?.suffix_for(&self.key) {
            Some(suffix) => suffix,
            None if !value.is_empty() && serde_json::from_slice::<serde::de::IgnoredAny>(&value).is_ok() => ".json",
            None => ".txt",
        };
        Ok((value, suffix))
    }

    fn check(&mut self, ctx: &Ctx, text: &[u8]) -> Result<()> {
        ctx.check_value(&self.key, text).map(|_| ())
    }

    fn write(&mut self, ctx: &Ctx, text: &[u8]) -> Result<String> {
        let put = Put { key: &self.key, value: text, cond: None };
        let outcomes = fanout::commit_all(ctx, "edit", &put, &self.seen)?;
        let key = &self.key;
        let stores = outcomes.iter().map(|o| o.reported(|_| None::<()>)).collect();
        let report = WriteReport { key: key.as_str(), stores };
        settle(ctx, &outcomes, &report, |c| format!("{key} written at revision {}", c.revision))
    }
}

/// The note for a write to one store, or a line per store and the error if
/// any failed; the report to the printer, as `set` and `apply` give it.
fn settle<D: Serialize>(
    ctx: &Ctx,
    outcomes: &[fanout::Outcome],
    report: &WriteReport<D>,
    note: impl Fn(&Committed) -> String,
) -> Result<String> {
    if let [one] = outcomes {
        let note = one.result.as_ref().map(note).map_err(Coded::copy_of)?;
        ctx.out.print(report)?;
        return Ok(note);
    }
    fanout::note_each(ctx, outcomes, &note);
    ctx.out.print(report)?;
    fanout::finish(outcomes)?;
    Ok(format!("written to {} stores", outcomes.len()))
}

/// A subtree as a document: on save, the difference is applied to each
/// store as `apply --prune` would, guarded by the scan of it taken before
/// the editor opened, so a key someone else changed meanwhile is a
/// conflict, never overwritten.
struct Tree {
    prefix: Key,
    seen: Vec<Read<Vec<Entry>>>,
    edited: Option<Document>,
}

impl Subject for Tree {
    fn key(&self) -> &Key {
        &self.prefix
    }

    fn read(&mut self, ctx: &Ctx) -> Result<(Vec<u8>, &'static str)> {
        self.seen = fanout::read_all(ctx, &TreeWrite { prefix: &self.prefix, doc: None });
        let snapshot = self.seen[0].as_ref().map_err(Coded::copy_of)?;
        let entries = snapshot.iter().filter_map(|e| Key::exact(&e.key).map(|k| (k, e.value.clone()))).collect();
        let doc = Document { prefix: self.prefix.clone(), entries };
        Ok((doc.to_yaml().into_bytes(), ".yaml"))
    }

    fn check(&mut self, ctx: &Ctx, text: &[u8]) -> Result<()> {
        let text = std::str::from_utf8(text).context("the document is not UTF-8 text")?;
        let doc = Document::parse(text, Dialect::Ovs, "the edited document", Some(&self.prefix))?;
        documents::check(ctx, &doc)?;
        self.edited = Some(doc);
        Ok(())
    }

    fn write(&mut self, ctx: &Ctx, _text: &[u8]) -> Result<String> {
        let write = TreeWrite { prefix: &self.prefix, doc: self.edited.as_ref() };
        let first = self.seen[0].as_ref().map_err(Coded::copy_of)?;
        let plan = write.plan(first)?;
        if plan.changes.is_empty() && ctx.targets.len() == 1 {
            let store = ctx.targets[0].name();
            let unchanged = StoreOutcome { store: &store, detail: Some(PlanView::of(&plan)), result: Ok(None) };
            ctx.out.print(&WriteReport { key: self.prefix.as_str(), stores: vec![unchanged] })?;
            return Ok(format!("{}: no change; nothing written", self.prefix));
        }
        let outcomes = fanout::commit_all(ctx, "edit", &write, &self.seen)?;
        // Each store's own plan, for the report.
        let plans: Vec<Result<Plan>> = self
            .seen
            .iter()
            .map(|seen| match seen {
                Ok(seen) => write.plan(seen),
                Err(e) => Err(Coded::copy_of(e)),
            })
            .collect();
        let stores =
            outcomes.iter().zip(&plans).map(|(o, plan)| StoreOutcome::of_plan(&o.store, plan, &o.result)).collect();
        let report = WriteReport { key: self.prefix.as_str(), stores };
        let prefix = &self.prefix;
        settle(ctx, &outcomes, &report, |c| {
            format!("{prefix} written at revision {}: {}", c.revision, documents::summary(&plan))
        })
    }
}

pub fn run(ctx: &Ctx, key: &Key, recursive: bool) -> Result<()> {
    check_editor(ctx.interactive)?;
    if recursive {
        return edit(ctx, Tree { prefix: key.clone(), seen: Vec::new(), edited: None });
    }
    edit(ctx, OneKey { key: leaf(key)?.clone(), seen: Vec::new() })
}

fn edit(ctx: &Ctx, mut subject: impl Subject) -> Result<()> {
    let key = subject.key().clone();
    let (mut base, suffix) = subject.read(ctx)?;
    let mut draft = Draft::create(&key, suffix, &base)?;
    let kept = |draft: &Draft| format!("your text is kept in {}", draft.path().display());
    loop {
        if let Err(e) = edit::edit_file(draft.path()) {
            ctx.out.warn(kept(&draft));
            return Err(e).context("the editor failed");
        }
        let text = std::fs::read(draft.path()).with_context(|| format!("cannot read {}", draft.path().display()))?;
        if text == base {
            draft.discard();
            ctx.out.note(format!("{key}: no change; nothing written"));
            return not_written(ctx, &key);
        }
        if text.iter().all(u8::is_ascii_whitespace) {
            // As kubectl edit and patronictl edit-config do: an emptied buffer
            // means "abort", never "wipe the value".
            draft.discard();
            ctx.out.note(format!("{key}: the file was left empty, so the edit is cancelled; nothing written (store an empty value with: ovs config set {key} '')"));
            return not_written(ctx, &key);
        }
        if let Err(refused) = subject.check(ctx, &text) {
            if ctx.interactive && ask(&format!("{refused:#}\nRe-open the editor with your text?"))? {
                continue;
            }
            ctx.out.warn(kept(&draft));
            return Err(refused);
        }
        match subject.write(ctx, &text) {
            Ok(note) => {
                draft.discard();
                ctx.out.note(note);
                return Ok(());
            }
            Err(conflict) if crate::exit::classify(&conflict) == crate::exit::Exit::Conflict => {
                ctx.out.warn(kept(&draft));
                let question =
                    format!("{conflict:#}\nRe-edit on top of the new value (your text stays in the kept file)?");
                if !(ctx.interactive && ask(&question)?) {
                    return Err(conflict);
                }
                let (fresh, suffix) = subject.read(ctx)?;
                base = fresh;
                draft = Draft::create(&key, suffix, &base)?;
            }
            Err(e) => {
                ctx.out.warn(kept(&draft));
                return Err(e);
            }
        }
    }
}

/// The report of an edit that wrote nothing, on any store.
fn not_written(ctx: &Ctx, key: &Key) -> Result<()> {
    let names: Vec<String> = ctx.targets.iter().map(|t| t.name()).collect();
    ctx.out.print(&WriteReport::<()>::nothing_written(key.as_str(), &names, None))
}

/// The editor the user named in $VISUAL or $EDITOR must be there: the edit
/// crate would otherwise fall back to another editor, which without a
/// terminal hangs or paints escape codes. A default editor is started only
/// when a person is at the terminal.
fn check_editor(interactive: bool) -> Result<()> {
    for var in ["VISUAL", "EDITOR"] {
        let Some(value) = std::env::var_os(var).filter(|v| !v.is_empty()) else { continue };
        let value = value.into_string().map_err(|_| anyhow::anyhow!("${var} is not valid UTF-8"))?;
        // The edit crate panics on an editor variable of only spaces.
        let words = shell_words::split(&value).unwrap_or_else(|_| value.split_whitespace().map(String::from).collect());
        let Some(program) = words.first() else {
            return Err(
                crate::exit::UsageError(format!("${var} is blank; set it to an editor command or unset it")).into()
            );
        };
        return match which::which(program) {
            Ok(_) => Ok(()),
            Err(_) => Err(anyhow::anyhow!("cannot run the editor in ${var}, {program:?}: not found or not executable")),
        };
    }
    if !interactive {
        anyhow::bail!("no editor: set $VISUAL or $EDITOR (a default editor is started only on a terminal)");
    }
    Ok(())
}

fn ask(question: &str) -> Result<bool> {
    Ok(dialoguer::Confirm::new().with_prompt(question).default(true).interact()?)
}
