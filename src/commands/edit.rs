//! `edit`: the value in $VISUAL/$EDITOR, validated, written back only if the
//! key is still at the revision that was read — or with `-r` a whole subtree
//! as one document, applied as `apply --prune` would, guarded the same way.
//! Until a write succeeds the user's text lives in a kept file whose path is
//! printed on every failure.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{documents, leaf, Ctx};
use crate::document::{Document, Format};
use crate::plan::{self, Plan};
use crate::store::{Entry, Key, Precondition, StoreError};

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

/// One key: written back only if still at the revision read.
struct OneKey {
    key: Key,
    cond: Precondition,
}

impl Subject for OneKey {
    fn key(&self) -> &Key {
        &self.key
    }

    fn read(&mut self, ctx: &Ctx) -> Result<(Vec<u8>, &'static str)> {
        let value = match ctx.store()?.get(&self.key) {
            Ok(item) => {
                self.cond = Precondition::Revision(item.revision);
                item.value
            }
            Err(StoreError::NotFound { .. }) => {
                self.cond = Precondition::Absent;
                Vec::new()
            }
            Err(e) => return Err(e.into()),
        };
        let suffix = match ctx.registry.validator_for(&self.key) {
            Some(validator) => validator.suffix(),
            None if !value.is_empty() && serde_json::from_slice::<serde::de::IgnoredAny>(&value).is_ok() => ".json",
            None => ".txt",
        };
        Ok((value, suffix))
    }

    fn check(&mut self, ctx: &Ctx, text: &[u8]) -> Result<()> {
        ctx.check_value(&self.key, text).map(|_| ())
    }

    fn write(&mut self, ctx: &Ctx, text: &[u8]) -> Result<String> {
        let revision = ctx.store()?.put(&self.key, text, self.cond)?;
        Ok(format!("{} written at revision {revision}", self.key))
    }
}

/// A subtree as a document: on save, the difference is applied as `apply
/// --prune` would, guarded by the scan the document was made from, so a
/// key someone else changed meanwhile is a conflict, never overwritten.
struct Tree {
    prefix: Key,
    snapshot: Vec<Entry>,
    edited: Option<Document>,
}

impl Subject for Tree {
    fn key(&self) -> &Key {
        &self.prefix
    }

    fn read(&mut self, ctx: &Ctx) -> Result<(Vec<u8>, &'static str)> {
        self.snapshot = ctx.store()?.scan(&self.prefix)?.collect::<Result<_, _>>()?;
        let entries = self.snapshot.iter().filter_map(|e| Key::exact(&e.key).map(|k| (k, e.value.clone()))).collect();
        let doc = Document { prefix: self.prefix.clone(), entries };
        Ok((doc.to_yaml().into_bytes(), ".yaml"))
    }

    fn check(&mut self, ctx: &Ctx, text: &[u8]) -> Result<()> {
        let text = std::str::from_utf8(text).context("the document is not UTF-8 text")?;
        let doc = Document::parse(text, Format::Ovs, "the edited document", Some(&self.prefix))?;
        documents::check(ctx, &doc)?;
        self.edited = Some(doc);
        Ok(())
    }

    fn write(&mut self, ctx: &Ctx, _text: &[u8]) -> Result<String> {
        let doc = self.edited.as_ref().expect("checked before written");
        let plan = Plan::compute(self.snapshot.iter().cloned().map(Ok), doc, true)?;
        if plan.changes.is_empty() {
            return Ok(format!("{}: no change; nothing written", self.prefix));
        }
        let applied = plan::apply(ctx.store()?, &plan.changes, plan::Chunking::Off, &|_, _| {})?;
        Ok(format!("{} written at revision {}: {}", self.prefix, applied.revision, documents::summary(&plan)))
    }
}

pub fn run(ctx: &Ctx, key: &Key, recursive: bool) -> Result<()> {
    check_editor(ctx.interactive)?;
    if recursive {
        return edit(ctx, Tree { prefix: key.clone(), snapshot: Vec::new(), edited: None });
    }
    edit(ctx, OneKey { key: leaf(key)?.clone(), cond: Precondition::Absent })
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
            return Ok(());
        }
        if text.iter().all(u8::is_ascii_whitespace) {
            // As kubectl edit and patronictl edit-config do: an emptied buffer
            // means "abort", never "wipe the value".
            draft.discard();
            ctx.out.note(format!("{key}: the file was left empty, so the edit is cancelled; nothing written (store an empty value with: ovs config set {key} '')"));
            return Ok(());
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
