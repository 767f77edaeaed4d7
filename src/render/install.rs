//! Installing a rendered file: staged beside it, checked, renamed over it
//! (fsynced: the old file or the new one, never a mix), and the program
//! reloaded only when the content changed.
//!
//! `--check` and `--reload` run as `sh -c CMD`, as confd runs its
//! `check_cmd` and `reload_cmd`, so that operators can write what they would
//! type; `{src}` is replaced by the staged file's path, quoted for the shell.

use std::fs;
use std::io::{Read, Write as _};
use std::os::fd::AsFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result};

use crate::files::Replacement;
use crate::process_group::Group;

/// Names the staged file beside the destination.
const STAGED_PREFIX: &str = ".ovs-render-";

/// Where and how a rendered text is installed.
#[derive(Clone, Debug)]
pub struct Target<'a> {
    pub file: &'a Path,
    /// None: the old file's mode, else 0644.
    pub mode: Option<u32>,
    /// Run on the staged file (`{src}`) before it replaces the old one.
    pub check: Option<&'a str>,
    /// Run after the file was replaced, only when its content changed.
    pub reload: Option<&'a str>,
}

/// What an install did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Installed {
    /// The content differed and the file was replaced.
    pub changed: bool,
    pub reloaded: bool,
}

/// `--check` refused the new file; the old one was kept: exit 3. The
/// message has the first line of the command's stderr.
#[derive(Debug, thiserror::Error)]
#[error("--check refused the new {file}, which was not installed: {said}")]
pub struct Refused {
    pub file: String,
    pub said: String,
}

/// The file's content now, None when it does not exist.
pub fn current(file: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(file) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", file.display())),
    }
}

/// Install `text` at `target.file` unless it already holds it: the check
/// first, the reload after, each only when the content changes. A file
/// whose content is the same only gets the mode asked for. Returns whether
/// it changed; the render-check-install-reload step of every render.
pub fn install(target: &Target, text: &str) -> Result<Installed> {
    let shown = target.file.display().to_string();
    // A link is kept: the file it points to is the one replaced.
    let real = match fs::symlink_metadata(target.file) {
        Ok(meta) if meta.file_type().is_symlink() => {
            Some(fs::canonicalize(target.file).with_context(|| format!("cannot follow the link {shown}"))?)
        }
        _ => None,
    };
    let file = real.as_deref().unwrap_or(target.file);
    let old = fs::metadata(file).ok();
    let mode = target.mode.or(old.as_ref().map(|m| m.mode() & 0o7777)).unwrap_or(0o644);
    if current(file)?.as_deref() == Some(text.as_bytes()) {
        if old.as_ref().is_some_and(|m| m.mode() & 0o7777 != mode) {
            fs::set_permissions(file, fs::Permissions::from_mode(mode))
                .with_context(|| format!("cannot set the mode of {shown}"))?;
        }
        return Ok(Installed { changed: false, reloaded: false });
    }
    let staging = || format!("cannot stage the new {shown}");
    let mut new = Replacement::beside(file, STAGED_PREFIX).with_context(staging)?;
    new.write_all(text.as_bytes()).with_context(staging)?;
    new.set_mode(mode).with_context(staging)?;
    if let Some(meta) = old.as_ref().filter(|m| !is_mine(m)) {
        new.set_owner(meta.uid(), meta.gid())
            .with_context(|| format!("cannot give the new {shown} the old one's owner (uid {})", meta.uid()))?;
    }
    if let Some(check) = target.check {
        let src = new.staged().with_context(staging)?.to_path_buf();
        let line = check.replace("{src}", &shell_words::quote(&src.to_string_lossy()));
        if let Err(said) = run(&line)? {
            return Err(Refused { file: shown, said }.into());
        }
    }
    new.commit().with_context(|| format!("cannot replace {shown}"))?;
    if let Some(reload) = target.reload {
        if let Err(said) = run(reload)? {
            anyhow::bail!("installed {shown}, but --reload failed: {said}");
        }
    }
    Ok(Installed { changed: true, reloaded: target.reload.is_some() })
}

fn is_mine(meta: &fs::Metadata) -> bool {
    // SAFETY: geteuid and getegid cannot fail and touch no memory.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    meta.uid() == uid && meta.gid() == gid
}

/// Run `sh -c LINE` in a process group of its own (ended with ovs), its
/// stdout on ovs's stderr (ovs's stdout is for results) and no stdin (it
/// must not wait on the operator's terminal); Err holds the first line of
/// its stderr when it fails.
fn run(line: &str) -> Result<std::result::Result<(), String>> {
    let stdout = std::io::stderr().as_fd().try_clone_to_owned().context("cannot pass stderr on")?;
    let mut group =
        Group::spawn(Command::new("sh").args(["-c", line]).stdin(Stdio::null()).stdout(stdout).stderr(Stdio::piped()))
            .with_context(|| format!("cannot run {}", crate::output::escape(line)))?;
    let mut said = Vec::new();
    if let Some(mut stderr) = group.child().stderr.take() {
        let _ = stderr.read_to_end(&mut said);
    }
    let status = group.child().wait().with_context(|| format!("waiting for {}", crate::output::escape(line)))?;
    if status.success() {
        return Ok(Ok(()));
    }
    let said = String::from_utf8_lossy(&said);
    match said.lines().map(str::trim).find(|l| !l.is_empty()) {
        Some(first) => Ok(Err(first.to_string())),
        None => Ok(Err(format!("{line} exited with {status} and said nothing on stderr"))),
    }
}
