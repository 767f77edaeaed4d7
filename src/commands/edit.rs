//! `edit`: the value in $VISUAL/$EDITOR, validated, written back only if the
//! key is still at the revision that was read. Until a write succeeds the
//! user's text lives in a kept file whose path is printed on every failure.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{leaf, Ctx};
use crate::store::{Key, Precondition, StoreError};

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

/// What the key holds now, as the base of an edit.
fn read_base(ctx: &Ctx, key: &Key) -> Result<(Vec<u8>, Precondition)> {
    match ctx.store.get(key) {
        Ok(item) => Ok((item.value, Precondition::Revision(item.revision))),
        Err(StoreError::NotFound { .. }) => Ok((Vec::new(), Precondition::Absent)),
        Err(e) => Err(e.into()),
    }
}

fn suffix_for(ctx: &Ctx, key: &Key, value: &[u8]) -> &'static str {
    if let Some(validator) = ctx.registry.validator_for(key) {
        return validator.suffix();
    }
    if !value.is_empty() && serde_json::from_slice::<serde::de::IgnoredAny>(value).is_ok() {
        ".json"
    } else {
        ".txt"
    }
}

pub fn run(ctx: &Ctx, key: &Key) -> Result<()> {
    let key = leaf(key)?;
    check_editor(ctx.interactive)?;
    let (mut base, mut cond) = read_base(ctx, key)?;
    let mut draft = Draft::create(key, suffix_for(ctx, key, &base), &base)?;
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
        if let Err(rejected) = ctx.check_value(key, &text) {
            if ctx.interactive && ask(&format!("{rejected}\nRe-open the editor with your text?"))? {
                continue;
            }
            ctx.out.warn(kept(&draft));
            return Err(rejected);
        }
        match ctx.store.put(key, &text, cond) {
            Ok(revision) => {
                draft.discard();
                ctx.out.note(format!("{key} written at revision {revision}"));
                return Ok(());
            }
            Err(conflict @ StoreError::Conflict { .. }) => {
                ctx.out.warn(kept(&draft));
                let question =
                    format!("{conflict}\nRe-edit on top of the new value (your text stays in the kept file)?");
                if !(ctx.interactive && ask(&question)?) {
                    return Err(conflict.into());
                }
                (base, cond) = read_base(ctx, key)?;
                draft = Draft::create(key, suffix_for(ctx, key, &base), &base)?;
            }
            Err(e) => {
                ctx.out.warn(kept(&draft));
                return Err(e.into());
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
