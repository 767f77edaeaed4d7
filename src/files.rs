//! Files ovs keeps or trusts: the XDG folders it places them in, private
//! folders (0700), files replaced whole (temp file, fsync, rename, 0600),
//! and the ssh-style check that nobody but the invoking user or root can
//! write a file whose contents ovs acts on (a config file whose validator
//! runs, an outbox entry that `retry` writes with the operator's login).

use std::ffi::OsStr;
use std::fs;
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A file or folder that a user other than the invoking one or root can
/// write: refused (exit 2), as ssh refuses such a config file.
#[derive(Debug, thiserror::Error)]
#[error("refusing {what} {path}: {why}; only you or root may be able to write it (chown it, chmod go-w)")]
pub struct Untrusted {
    pub what: String,
    pub path: PathBuf,
    pub why: String,
}

/// The XDG base folder `$XDG_<kind>_HOME` when that variable is an
/// absolute path, else `$HOME/<fallback>` (the XDG base directory spec);
/// None when neither is set. Every folder ovs places by XDG is found here.
pub fn xdg_dir(var: &str, fallback: &str) -> Option<PathBuf> {
    let from_env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    match from_env(var).filter(|p| p.is_absolute()) {
        Some(base) => Some(base),
        None => Some(from_env("HOME")?.join(fallback)),
    }
}

/// The folder ovs keeps `sub`'s state in: `$XDG_STATE_HOME/ovs-config/<sub>`,
/// else `~/.local/state/ovs-config/<sub>`; `what` names it in the error.
pub fn state_dir(sub: &str, what: &str) -> anyhow::Result<PathBuf> {
    xdg_dir("XDG_STATE_HOME", ".local/state")
        .map(|base| base.join("ovs-config").join(sub))
        .ok_or_else(|| anyhow::anyhow!("cannot place {what}: neither XDG_STATE_HOME nor HOME is set"))
}

/// Create `dir` (and its parents) as 0700 if it is missing, then refuse it
/// if anyone but this user or root could write it or a folder above it.
pub fn private_dir(dir: &Path, what: &str) -> anyhow::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {what} {}: {e}", dir.display()))?;
    check_trusted(dir, what)?;
    Ok(())
}

/// Refuse `path` when a user other than the invoking one or root owns it,
/// or can write it or any folder above it (a sticky folder such as /tmp
/// only lets its owners replace entries, so it is fine). A symbolic link is
/// followed, and the folders of its target are held to the same rule: who
/// can replace the target can change what the link reads.
pub fn check_trusted(path: &Path, what: &str) -> Result<(), Untrusted> {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    check_chain(path, &absolute, None, what)?;
    match fs::canonicalize(&absolute) {
        Ok(real) if real != absolute => check_chain(path, &real, Some(&real), what),
        _ => Ok(()),
    }
}

/// [`check_trusted`] of `start` and every folder above it; `target` is set
/// when `start` is the real path behind `path`.
fn check_chain(path: &Path, start: &Path, target: Option<&Path>, what: &str) -> Result<(), Untrusted> {
    let me = unsafe { libc::geteuid() };
    let refuse = |at: &Path, why: String| Untrusted {
        what: what.to_string(),
        path: path.to_path_buf(),
        why: match target {
            _ if at != start => format!("the folder {} {why}", at.display()),
            Some(real) => format!("its target {} {why}", real.display()),
            None => why,
        },
    };
    let mut at: Option<&Path> = Some(start);
    while let Some(here) = at {
        // A path that does not exist yet cannot be written by anyone else.
        if let Ok(meta) = fs::metadata(here) {
            let mode = meta.permissions().mode();
            let owner = meta.uid();
            if owner != me && owner != 0 {
                return Err(refuse(here, format!("is owned by {} (mode {:04o})", user_name(owner), mode & 0o7777)));
            }
            let sticky_dir = meta.is_dir() && mode & 0o1000 != 0;
            if mode & 0o022 != 0 && !sticky_dir {
                return Err(refuse(
                    here,
                    format!(
                        "is writable by its group or others (owner {}, mode {:04o})",
                        user_name(owner),
                        mode & 0o7777
                    ),
                ));
            }
        }
        at = here.parent();
    }
    Ok(())
}

/// Names of [`write_atomic`]'s temp files.
const TEMP_PREFIX: &str = ".ovs-new-";

/// Replace `path` whole with `bytes`, or leave it as it was (see
/// [`Replacement`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = Replacement::beside(path, TEMP_PREFIX)?;
    file.write_all(bytes)?;
    file.commit()
}

/// A file being replaced whole, for writers that stream it: a 0600 temp
/// file beside it, written through a buffer; `commit` fsyncs it, renames it
/// over the file and fsyncs the folder, so that a crash leaves the old file
/// or the new one, never a mix. Dropped without `commit`, the temp file goes
/// and the file stays as it was.
pub struct Replacement {
    out: io::BufWriter<tempfile::NamedTempFile>,
    path: PathBuf,
}

impl Replacement {
    /// `prefix` names the temp file, so that readers can skip it and a writer
    /// can sweep up one that a killed process left.
    pub fn beside(path: &Path, prefix: &str) -> io::Result<Replacement> {
        let tmp = tempfile::Builder::new().prefix(prefix).tempfile_in(folder(path))?;
        Ok(Replacement { out: io::BufWriter::new(tmp), path: path.to_path_buf() })
    }

    /// The temp file as written so far, for a check to read before `commit`.
    pub fn staged(&mut self) -> io::Result<&Path> {
        self.out.flush()?;
        Ok(self.out.get_ref().path())
    }

    /// The mode the file gets (the temp file is 0600 until then).
    pub fn set_mode(&self, mode: u32) -> io::Result<()> {
        self.out.get_ref().as_file().set_permissions(fs::Permissions::from_mode(mode))
    }

    /// The owner and group the file gets (it is the invoking user's until then).
    pub fn set_owner(&self, uid: u32, gid: u32) -> io::Result<()> {
        std::os::unix::fs::fchown(self.out.get_ref().as_file(), Some(uid), Some(gid))
    }

    pub fn commit(self) -> io::Result<()> {
        let tmp = self.out.into_inner().map_err(|e| e.into_error())?;
        tmp.as_file().sync_all()?;
        tmp.persist(&self.path).map_err(|e| e.error)?;
        fs::File::open(folder(&self.path))?.sync_all()
    }
}

impl io::Write for Replacement {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The folder `path` is in.
fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Create `path` empty, mode 0600, unless it exists (then it is left as it
/// is): a private file that another library then fills, such as an SQLite
/// database, whose `-wal` and `-shm` files take the database's mode.
pub fn create_private(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// Whether `name` is one of [`write_atomic`]'s temp files (left behind only
/// by a process killed mid-write; readers skip them).
pub fn is_temp_name(name: &OsStr) -> bool {
    name.to_str().is_some_and(|n| n.starts_with(TEMP_PREFIX))
}

/// A user's name for messages, else `uid N`.
fn user_name(uid: u32) -> String {
    let mut buf = vec![0u8; 4096];
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // getpwuid_r: reentrant, and writes only into the buffers given.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr().cast(), buf.len(), &mut found) };
    if rc == 0 && !found.is_null() {
        let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
        if let Ok(name) = name.to_str() {
            return name.to_string();
        }
    }
    format!("uid {uid}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replacement_lands_whole_and_private_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(&path, "old").unwrap();
        let names = || fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect::<Vec<_>>();
        let mut dropped = Replacement::beside(&path, ".x-").unwrap();
        dropped.write_all(b"half").unwrap();
        drop(dropped);
        assert_eq!((fs::read_to_string(&path).unwrap().as_str(), names().len()), ("old", 1));
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        assert_eq!(names(), ["state.json"]);
    }

    #[test]
    fn a_file_others_can_write_is_refused_naming_it_and_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.yaml");
        fs::write(&file, "x").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
        check_trusted(&file, "config file").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o666)).unwrap();
        let err = check_trusted(&file, "config file").unwrap_err().to_string();
        assert!(err.contains("config file") && err.contains("config.yaml") && err.contains("0666"), "{err}");
    }

    #[test]
    fn a_folder_others_can_write_is_refused_unless_sticky() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("open");
        fs::create_dir(&sub).unwrap();
        let file = sub.join("f");
        fs::write(&file, "x").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o777)).unwrap();
        let err = check_trusted(&file, "schema file").unwrap_err().to_string();
        assert!(err.contains("the folder") && err.contains("0777"), "{err}");
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o1777)).unwrap();
        check_trusted(&file, "schema file").unwrap();
    }

    #[test]
    fn a_link_is_refused_when_its_target_sits_in_a_folder_others_can_write() {
        let dir = tempfile::tempdir().unwrap();
        let open = dir.path().join("open");
        fs::create_dir(&open).unwrap();
        let target = open.join("check.sh");
        fs::write(&target, "x").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o755)).unwrap();
        let link = dir.path().join("check");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        check_trusted(&link, "validator program").unwrap();
        fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
        let err = check_trusted(&link, "validator program").unwrap_err().to_string();
        assert!(err.contains("check") && err.contains(&format!("the folder {}", open.display())), "{err}");
    }

    #[test]
    fn a_private_dir_is_made_0700_and_an_open_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("a/outbox");
        private_dir(&outbox, "the outbox").unwrap();
        assert_eq!(fs::metadata(&outbox).unwrap().permissions().mode() & 0o777, 0o700);
        fs::set_permissions(&outbox, fs::Permissions::from_mode(0o733)).unwrap();
        assert!(private_dir(&outbox, "the outbox").is_err());
    }

    #[test]
    fn an_atomic_write_replaces_the_file_whole_as_0600() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("state.json");
        write_atomic(&file, b"one").unwrap();
        write_atomic(&file, b"two").unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"two");
        assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "no temp file left: {names:?}");
    }
}
