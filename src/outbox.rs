//! The outbox: writes that reached some stores but not others, kept on disk
//! so that `retry` can deliver them later — only where the key is still what
//! it was when the write failed, so a newer write is never overwritten by a
//! stale one (orchestrator's replay after failback).
//!
//! One JSON file per store a write failed on, in
//! `$XDG_STATE_HOME/ovs-config/outbox/` (else `~/.local/state/...`), mode
//! 0600 in a 0700 folder. A file holds the store URL as given (it may name a
//! user; a URL never holds a password) and the values to write — never a
//! password or token: those come from the flags and environment of `retry`.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::document::DocValue;

/// What the key must still be for a pending write to be delivered.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// At this revision of this store (read from it before the write).
    Revision(u64),
    /// Missing.
    Absent,
    /// Holding this value: the store could not be read, so the value the
    /// other stores held before the write stands in for its revision.
    Value(DocValue),
}

/// One key to write: its new value, or None to delete it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pending {
    pub key: String,
    pub value: Option<DocValue>,
    pub expect: Expect,
}

/// The writes one store missed.
#[derive(Debug, Serialize, Deserialize)]
pub struct Entry {
    /// The file's name without `.json`; sorts by time.
    #[serde(skip)]
    pub id: String,
    pub created: String,
    /// The command that wrote: `set`, `apply`, ...
    pub command: String,
    /// The store URL as given.
    pub store: String,
    /// Why it failed there.
    pub error: String,
    pub writes: Vec<Pending>,
}

/// Where the outbox lives.
pub fn dir() -> Result<PathBuf> {
    let from_env = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(state) = from_env("XDG_STATE_HOME").filter(|p| p.is_absolute()) {
        return Ok(state.join("ovs-config/outbox"));
    }
    from_env("HOME")
        .map(|home| home.join(".local/state/ovs-config/outbox"))
        .context("cannot place the outbox: neither XDG_STATE_HOME nor HOME is set")
}

/// Keep `entry`, returning its id. Written whole or not at all (a temp file
/// renamed into place).
pub fn add(entry: &Entry) -> Result<String> {
    let dir = dir()?;
    create_private_dir(&dir)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
    let mut file = tempfile::Builder::new()
        .prefix(".new-")
        .tempfile_in(&dir)
        .with_context(|| format!("cannot write to the outbox {}", dir.display()))?;
    serde_json::to_writer_pretty(&mut file, entry)?;
    file.write_all(b"\n")?;
    file.as_file().sync_all()?;
    // The random part of the temp name keeps ids of one instant apart.
    let unique = file.path().file_name().and_then(|n| n.to_str()).unwrap_or("x").trim_start_matches(".new-");
    let id = format!("{stamp}-{unique}");
    file.persist(dir.join(format!("{id}.json"))).context("cannot write to the outbox")?;
    Ok(id)
}

/// Every pending entry, oldest first. A file that cannot be read is an
/// error naming it: the outbox holds writes nobody may lose.
pub fn entries() -> Result<Vec<Entry>> {
    let dir = dir()?;
    let listing = match fs::read_dir(&dir) {
        Ok(listing) => listing,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read the outbox {}", dir.display())),
    };
    let mut out = Vec::new();
    for item in listing {
        let path = item?.path();
        let Some(id) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".json")) else {
            continue;
        };
        if id.starts_with('.') {
            continue;
        }
        let text = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut entry: Entry = serde_json::from_slice(&text)
            .with_context(|| format!("the outbox file {} is damaged; move it away to go on", path.display()))?;
        entry.id = id.to_string();
        out.push(entry);
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// Replace an entry with what is left of it, or remove it when nothing is.
pub fn update(entry: &Entry) -> Result<()> {
    let path = path_of(&entry.id)?;
    if entry.writes.is_empty() {
        return match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("cannot remove {}", path.display()))
            }
            _ => Ok(()),
        };
    }
    let dir = dir()?;
    let mut file = tempfile::Builder::new().prefix(".new-").tempfile_in(&dir)?;
    serde_json::to_writer_pretty(&mut file, entry)?;
    file.write_all(b"\n")?;
    file.as_file().sync_all()?;
    file.persist(&path).with_context(|| format!("cannot rewrite {}", path.display()))?;
    Ok(())
}

/// A write that succeeded on `store` makes the outbox's older pending
/// writes of the same keys there stale: they are dropped so that `retry`
/// never replays them over it. Returns how many were dropped.
pub fn supersede(store: &str, keys: &[&str]) -> Result<usize> {
    let mut dropped = 0;
    for mut entry in entries()? {
        if !same_store(&entry.store, store) {
            continue;
        }
        let before = entry.writes.len();
        entry.writes.retain(|w| !keys.contains(&w.key.as_str()));
        if entry.writes.len() != before {
            dropped += before - entry.writes.len();
            update(&entry)?;
        }
    }
    Ok(dropped)
}

/// Whether a URL kept in the outbox names `store` (as messages name it).
fn same_store(kept: &str, store: &str) -> bool {
    crate::store::StoreUrl::parse(kept).is_ok_and(|url| url.to_string() == store)
}

fn path_of(id: &str) -> Result<PathBuf> {
    Ok(dir()?.join(format!("{id}.json")))
}

fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create the outbox {}", dir.display()))
}
