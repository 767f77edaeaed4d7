//! The outbox: a write-ahead log of writes to several stores. Before any
//! store's commit starts, one entry per store records what the store must
//! become and what its keys must still be (their guards); each store's
//! entry is settled as it answers (removed when it took the write, kept
//! with the error when it did not). Whatever stops the process in between,
//! every store not confirmed has an entry, and `retry` delivers it only
//! where the key is still what it was — or counts it delivered where the
//! store already holds the value ("maybe applied").
//!
//! One JSON file per store and write, `ID.json`, in
//! `$XDG_STATE_HOME/ovs-config/outbox/` (else `~/.local/state/...`): a 0700
//! folder refused when anyone else can write it, files replaced whole
//! (temp file, fsync, rename; 0600). A file holds the store URL as given (it
//! may name a user; a URL never holds a password) and the values to write —
//! never a password or token: those come from the flags and environment of
//! `retry`.
//!
//! Every read-modify-write of entries holds an exclusive lock on `.lock` in
//! the folder ([`Outbox::lock`]), so two processes never both settle an
//! entry and an entry settled (removed) by one is never written back by
//! another. A process writing to stores holds its own run file
//! (`.run-NAME`, locked for its life) and marks its entries with it: while
//! that lock is held the entries are in flight and others leave them alone;
//! once it is free (the process ended, however) they may have been applied.
//!
//! A file that does not parse is set aside as `ID.json.damaged`, never
//! blocking anything; [`Locked::set_aside`] names the ones just moved.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::document::DocValue;
use crate::files;

/// What the key must still be for a pending write to be delivered.
#[derive(Clone, Debug, Serialize, Deserialize)]
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

impl Expect {
    /// Whether the guard was read from the store itself: then it already
    /// accounts for every older write to that store, and makes older pending
    /// writes of the key there obsolete.
    pub fn read_from_store(&self) -> bool {
        !matches!(self, Expect::Value(_))
    }
}

/// One key to write: its new value, or None to delete it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Pending {
    pub key: String,
    pub value: Option<DocValue>,
    pub expect: Expect,
}

/// The writes one store must still take.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    /// The file's name without `.json`; sorts by the order entries were
    /// recorded in (ids are given under the lock, each above every other).
    #[serde(skip)]
    pub id: String,
    pub created: String,
    /// The command that wrote: `set`, `apply`, ...
    pub command: String,
    /// The store URL as given.
    pub store: String,
    /// The run writing it, while it is in flight (see [`Locked::in_flight`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// Why it failed there (empty while in flight).
    #[serde(default)]
    pub error: String,
    pub writes: Vec<Pending>,
}

/// Where the outbox lives.
pub fn dir() -> Result<PathBuf> {
    crate::files::state_dir("outbox", "the outbox")
}

const WHAT: &str = "the outbox";
const LOCK: &str = ".lock";
const RUN_PREFIX: &str = ".run-";
const DAMAGED: &str = ".damaged";
/// What a run file says once every entry of its write is recorded.
const READY: &str = "ready";

/// Where an entry stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Settled as failed on its store: `retry` delivers it.
    Pending,
    /// Its write is under way in a live `ovs`: others leave it alone.
    InFlight,
    /// Its writer ended after its commits may have started, before the
    /// store answered: the store may hold the value already.
    MaybeApplied,
    /// Its writer ended while recording the write, before any commit
    /// started: nothing was written anywhere, and it is void.
    Abandoned,
}

/// The outbox folder, checked.
pub struct Outbox {
    dir: PathBuf,
}

impl Outbox {
    /// The outbox, created (0700) if missing; refused when anyone else can
    /// write it.
    pub fn open() -> Result<Outbox> {
        let dir = dir()?;
        files::private_dir(&dir, WHAT)?;
        Ok(Outbox { dir })
    }

    /// The outbox if there is one (reads create nothing); refused when
    /// anyone else can write it.
    pub fn existing() -> Result<Option<Outbox>> {
        let dir = dir()?;
        if !dir.exists() {
            return Ok(None);
        }
        files::check_trusted(&dir, WHAT)?;
        Ok(Some(Outbox { dir }))
    }

    /// Hold the outbox's lock (waiting for it) until the answer is dropped.
    pub fn lock(&self) -> Result<Locked<'_>> {
        let path = self.dir.join(LOCK);
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the outbox lock {}", path.display()))?;
        file.lock().with_context(|| format!("cannot lock the outbox {}", path.display()))?;
        Ok(Locked { outbox: self, _file: file, set_aside: Vec::new() })
    }

    fn path_of(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }
}

/// A process's claim on the entries it writes: its run file, locked until
/// it is dropped (or the process ends, however it ends).
pub struct Run {
    pub name: String,
    path: PathBuf,
    file: File,
    /// Whether its file goes with it (not when entries that name it could
    /// not be removed: they are void, and its file says so).
    remove: bool,
}

impl Run {
    /// Every entry of the write is recorded (durably): from here on, its
    /// commits may start, and a run that ends unsettled may have applied
    /// them.
    pub fn ready(&mut self) -> Result<()> {
        io::Write::write_all(&mut self.file, READY.as_bytes())?;
        self.file.sync_all()?;
        Ok(())
    }

    /// Take back [`Run::ready`]: none of the write's commits started.
    pub fn unready(&mut self) -> Result<()> {
        self.file.set_len(0)?;
        self.file.sync_all()?;
        Ok(())
    }

    /// End the run leaving its file, for entries it could not remove.
    pub fn leave_file(mut self) {
        self.remove = false;
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if self.remove {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// An entry found in the outbox, or a file there that is not one.
pub struct Scan {
    /// Oldest first.
    pub entries: Vec<Entry>,
    /// Files set aside as damaged, now or before (their names).
    pub damaged: Vec<String>,
}

/// The outbox while its lock is held.
pub struct Locked<'a> {
    outbox: &'a Outbox,
    _file: File,
    set_aside: Vec<String>,
}

impl Locked<'_> {
    /// Every entry, oldest first, and the files set aside as damaged.
    /// A file that does not parse is set aside now (see [`Locked::set_aside`]).
    pub fn scan(&mut self) -> Result<Scan> {
        let mut entries = Vec::new();
        let mut damaged = Vec::new();
        for name in self.names()? {
            if let Some(id) = name.strip_suffix(".json") {
                if let Some(entry) = self.read(id)? {
                    entries.push(entry);
                }
            }
        }
        // Read after the entries: those set aside just now are listed too.
        for name in self.names()? {
            if name.contains(&format!(".json{DAMAGED}")) {
                damaged.push(name);
            }
        }
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        damaged.sort();
        Ok(Scan { entries, damaged })
    }

    /// The entry `id`, or None when it is gone (settled) or was damaged
    /// (then it is set aside).
    pub fn read(&mut self, id: &str) -> Result<Option<Entry>> {
        let path = self.outbox.path_of(id);
        let parsed = match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<Entry>(&bytes).map_err(|e| {
                if bytes.is_empty() {
                    "it is empty".to_string()
                } else {
                    format!("it is not an outbox entry ({e})")
                }
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => Err(format!("it cannot be read ({e})")),
        };
        match parsed {
            Ok(mut entry) => {
                entry.id = id.to_string();
                Ok(Some(entry))
            }
            Err(why) => {
                self.set_aside_file(&path, &why)?;
                Ok(None)
            }
        }
    }

    /// One line per file set aside as damaged since the lock was taken
    /// (the caller shows them).
    pub fn set_aside(&mut self) -> Vec<String> {
        std::mem::take(&mut self.set_aside)
    }

    /// Record `entry` under a new id above every id in the outbox, durably
    /// (fsynced) before this returns. Returns the id.
    pub fn add(&self, entry: &Entry) -> Result<String> {
        let newest = self.names()?.into_iter().filter_map(|n| n.strip_suffix(".json").map(stamp_of)).max();
        let mut at = chrono::Utc::now().naive_utc();
        if let Some(newest) = newest.flatten() {
            if at <= newest {
                at = newest + chrono::Duration::microseconds(1);
            }
        }
        let id = at.format(STAMP).to_string();
        self.store(&id, entry)?;
        Ok(id)
    }

    /// Replace entry `id` with `entry`, or remove it when nothing is left
    /// of it.
    pub fn put(&self, id: &str, entry: &Entry) -> Result<()> {
        if entry.writes.is_empty() {
            return self.remove(id);
        }
        self.store(id, entry)
    }

    /// Remove entry `id` (nothing when it is gone already).
    pub fn remove(&self, id: &str) -> Result<()> {
        let path = self.outbox.path_of(id);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("cannot remove {}", path.display()))
            }
            _ => Ok(()),
        }
    }

    /// A write that landed on `store` (as messages name it) as entry
    /// `landed` makes the pending writes of the same keys there recorded
    /// before it stale: they are dropped so that `retry` never replays them
    /// over it. Entries recorded after it are newer and stay. Returns how
    /// many writes were dropped.
    pub fn supersede(&mut self, store: &str, keys: &[&str], landed: &str) -> Result<usize> {
        let mut dropped = 0;
        for mut entry in self.scan()?.entries {
            if entry.id.as_str() >= landed || !same_store(&entry.store, store) {
                continue;
            }
            let before = entry.writes.len();
            entry.writes.retain(|w| !keys.contains(&w.key.as_str()));
            if entry.writes.len() != before {
                dropped += before - entry.writes.len();
                self.put(&entry.id.clone(), &entry)?;
            }
        }
        Ok(dropped)
    }

    /// Start a run: its file made and locked under the outbox lock, so that
    /// nobody takes it for the file of a finished run meanwhile.
    pub fn start_run(&self) -> Result<Run> {
        let file = tempfile::Builder::new()
            .prefix(RUN_PREFIX)
            .tempfile_in(&self.outbox.dir)
            .with_context(|| format!("cannot write to the outbox {}", self.outbox.dir.display()))?;
        let (file, path) = file.keep().context("cannot keep the outbox run file")?;
        file.lock().context("cannot lock the outbox run file")?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let name = name.trim_start_matches(RUN_PREFIX).to_string();
        Ok(Run { name, path, file, remove: true })
    }

    /// Where `entry` stands: settled, in flight (its run file is locked by
    /// a live process), or left by a process that ended before settling it.
    pub fn state(&self, entry: &Entry) -> State {
        let Some(run) = &entry.run else { return State::Pending };
        let Ok(mut file) = File::open(self.outbox.dir.join(format!("{RUN_PREFIX}{run}"))) else {
            // Its file goes only once no entry names it, or with the run
            // itself after every entry was settled.
            return State::MaybeApplied;
        };
        if let Err(fs::TryLockError::WouldBlock) = file.try_lock() {
            return State::InFlight;
        }
        let mut said = String::new();
        let _ = io::Read::read_to_string(&mut file, &mut said);
        match said.trim() {
            READY => State::MaybeApplied,
            _ => State::Abandoned,
        }
    }

    /// Remove the run files of runs that have ended and that no entry
    /// names any more (a process killed leaves its file behind).
    pub fn forget_ended_runs(&mut self, entries: &[Entry]) -> Result<()> {
        for name in self.names()? {
            let Some(run) = name.strip_prefix(RUN_PREFIX) else { continue };
            if entries.iter().any(|e| e.run.as_deref() == Some(run)) {
                continue;
            }
            let path = self.outbox.dir.join(&name);
            let ended = File::open(&path).is_ok_and(|f| f.try_lock().is_ok());
            if ended {
                let _ = fs::remove_file(&path);
            }
        }
        Ok(())
    }

    fn store(&self, id: &str, entry: &Entry) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(entry)?;
        bytes.push(b'\n');
        let path = self.outbox.path_of(id);
        files::write_atomic(&path, &bytes).with_context(|| format!("cannot write {}", path.display()))
    }

    /// The names in the folder, but the lock file and temp files (removed).
    fn names(&self) -> Result<Vec<String>> {
        let dir = &self.outbox.dir;
        let listing = fs::read_dir(dir).with_context(|| format!("cannot read the outbox {}", dir.display()))?;
        let mut names = Vec::new();
        for item in listing {
            let item = item.with_context(|| format!("cannot read the outbox {}", dir.display()))?;
            let name = item.file_name();
            if files::is_temp_name(&name) {
                // Only a lock holder writes one: any found is a killed
                // writer's, and its entry is the old file or none.
                let _ = fs::remove_file(item.path());
                continue;
            }
            if let Some(name) = name.to_str().filter(|n| *n != LOCK) {
                names.push(name.to_string());
            }
        }
        Ok(names)
    }

    /// Move a damaged entry out of the way under a name no reader takes for
    /// an entry, and say so once.
    fn set_aside_file(&mut self, path: &Path, why: &str) -> Result<()> {
        let mut aside = PathBuf::from(format!("{}{DAMAGED}", path.display()));
        let mut n = 1;
        while aside.exists() {
            n += 1;
            aside = PathBuf::from(format!("{}{DAMAGED}.{n}", path.display()));
        }
        fs::rename(path, &aside)
            .with_context(|| format!("cannot set aside the damaged outbox file {}", path.display()))?;
        self.set_aside.push(format!(
            "warning: the outbox file {} is damaged ({why}); set aside as {}",
            path.display(),
            aside.display()
        ));
        Ok(())
    }
}

const STAMP: &str = "%Y%m%dT%H%M%S%.6fZ";

/// The time an id starts with (ids of older versions carry a suffix).
fn stamp_of(id: &str) -> Option<chrono::NaiveDateTime> {
    let stamp = id.split('-').next()?;
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S%.fZ").ok()
}

/// Whether a URL kept in the outbox names `store` (as messages name it).
pub fn same_store(kept: &str, store: &str) -> bool {
    crate::store::StoreUrl::parse(kept).is_ok_and(|url| url.to_string() == store)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(store: &str, key: &str) -> Entry {
        Entry {
            id: String::new(),
            created: String::new(),
            command: "set".into(),
            store: store.into(),
            run: None,
            error: String::new(),
            writes: vec![Pending { key: key.into(), value: None, expect: Expect::Absent }],
        }
    }

    #[test]
    fn ids_grow_in_the_order_entries_are_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox { dir: dir.path().to_path_buf() };
        let locked = outbox.lock().unwrap();
        let ids: Vec<String> = (0..20).map(|_| locked.add(&entry("dir:///a", "/k")).unwrap()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids, sorted);
    }

    #[test]
    fn a_damaged_file_is_set_aside_once_and_listed() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox { dir: dir.path().to_path_buf() };
        let mut locked = outbox.lock().unwrap();
        let good = locked.add(&entry("dir:///a", "/k")).unwrap();
        fs::write(dir.path().join("20200101T000000.000000Z.json"), "").unwrap();
        let scan = locked.scan().unwrap();
        assert_eq!(scan.entries.len(), 1);
        assert_eq!(scan.entries[0].id, good);
        assert_eq!(scan.damaged, ["20200101T000000.000000Z.json.damaged"]);
        let said = locked.set_aside();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(said[0].contains("20200101T000000.000000Z.json") && said[0].contains("empty"), "{said:?}");
        assert_eq!(locked.scan().unwrap().damaged.len(), 1);
        assert!(locked.set_aside().is_empty());
    }

    #[test]
    fn a_run_is_in_flight_while_its_file_is_locked() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox { dir: dir.path().to_path_buf() };
        let mut locked = outbox.lock().unwrap();
        let run = locked.start_run().unwrap();
        let mut e = entry("dir:///a", "/k");
        e.run = Some(run.name.clone());
        assert_eq!(locked.state(&e), State::InFlight);
        locked.forget_ended_runs(&[]).unwrap();
        assert_eq!(locked.state(&e), State::InFlight, "a live run's file stays");
        drop(run);
        assert_eq!(locked.state(&e), State::MaybeApplied, "its file gone, its writes may have been made");
        // A run that ended before it was ready wrote nothing anywhere.
        let path = dir.path().join(format!("{RUN_PREFIX}{}", e.run.as_ref().unwrap()));
        fs::write(&path, "").unwrap();
        assert_eq!(locked.state(&e), State::Abandoned);
        fs::write(&path, READY).unwrap();
        assert_eq!(locked.state(&e), State::MaybeApplied);
        e.run = None;
        assert_eq!(locked.state(&e), State::Pending);
    }
}
