//! The undo document of a chunked apply: before its first chunk is
//! committed, what the store holds below the document's prefix is saved as
//! a complete document, so that whatever becomes of the chunks (applied,
//! possibly applied, rolled back or not), one
//! `ovs --store STORE config apply --prune --chunked FILE` puts the store
//! back as it was: `--prune` deletes the keys the apply created, the rest
//! get their old values back, and keys it left alone stay unchanged. The
//! command printed has no `--yes`: it shows its plan and asks first, since
//! it would also undo whatever others changed below the prefix since.
//!
//! One YAML document per chunked apply, in
//! `$XDG_STATE_HOME/ovs-config/undo/` (else `~/.local/state/...`), mode 0600
//! in a 0700 folder: it holds configuration values, which may be secrets.
//! It is removed when the apply succeeds and kept when it fails.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::document::{Style, Writer};
use crate::store::{Key, Store};

/// Where a chunked apply saved what it replaces, and which store it is for.
#[derive(Clone, Debug)]
pub struct Undo {
    pub file: PathBuf,
    /// The store, as `--store` takes it (no user, never a secret).
    pub store: String,
}

impl Undo {
    /// The command that puts the store back.
    pub fn command(&self) -> String {
        let file = shell_word(&self.file.display().to_string());
        format!("ovs --store {} config apply --prune --chunked {file}", shell_word(&self.store))
    }

    /// The apply succeeded: the saved values are no longer needed.
    pub fn discard(&self) {
        if let Err(e) = std::fs::remove_file(&self.file) {
            tracing::warn!(file = %self.file.display(), "cannot remove the undo document: {e}");
        }
    }
}

/// The folder undo documents are kept in.
pub fn dir() -> Result<PathBuf> {
    crate::files::state_dir("undo", "the undo document")
}

/// Save what `store` holds below `prefix` as a document in the undo folder.
pub fn save(store: &dyn Store, prefix: &Key) -> Result<Undo> {
    save_in(&dir()?, store, prefix)
}

/// [`save`], into `dir` (created 0700, refused if others can write it).
pub fn save_in(dir: &Path, store: &dyn Store, prefix: &Key) -> Result<Undo> {
    crate::files::private_dir(dir, "the undo folder")?;
    let mut writer = Writer::start(Vec::new(), prefix, Style::Yaml)?;
    for entry in store.scan(prefix)? {
        let entry = entry?;
        // A key ovs cannot address is never written by an apply, nor
        // removed by --prune: it has no place in the document.
        if Key::exact(&entry.key).is_some() {
            writer.entry(&entry.key, &entry.value)?;
        }
    }
    let text = writer.finish()?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
    let name: String = store
        .describe()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' })
        .collect();
    let file = dir.join(format!("{stamp}-{}-{name}.yaml", std::process::id()));
    crate::files::write_atomic(&file, &text)
        .with_context(|| format!("cannot save the undo document {}; nothing was written", file.display()))?;
    Ok(Undo { file, store: store.describe().to_string() })
}

/// `text` as one shell word: as it is when it needs no quoting.
fn shell_word(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-:,@%+=".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        return text.to_string();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_quotes_what_the_shell_would_split() {
        let undo = Undo { file: PathBuf::from("/home/o p/undo/x.yaml"), store: "etcd://h:2379".into() };
        assert_eq!(undo.command(), "ovs --store etcd://h:2379 config apply --prune --chunked '/home/o p/undo/x.yaml'");
    }
}
