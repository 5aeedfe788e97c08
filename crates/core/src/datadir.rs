//! The data directory and the lock that keeps the desktop app and the CLI from sharing it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const LOCK_FILE: &str = "bridge.lock";
pub const DB_FILE: &str = "bridge.sqlite3";

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error(
        "the data directory {dir} is in use by another Helium AWS Bridge process{holder}; \
         quit the other desktop app or CLI first, or pass a different --data-dir"
    )]
    InUse { dir: PathBuf, holder: String },
    #[error("the data directory {dir} is a file, not a folder; pass a folder (or a new path) as --data-dir")]
    NotADirectory { dir: PathBuf },
    #[error("cannot use the data directory {dir}: {source}")]
    Io {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no data directory was given and this platform has no standard one; pass --data-dir")]
    NoDefault,
}

/// The platform's data directory for the app (e.g. `~/.local/share/helium-aws-bridge`).
pub fn default_data_dir() -> Result<PathBuf, DataDirError> {
    dirs::data_dir()
        .map(|d| d.join("helium-aws-bridge"))
        .ok_or(DataDirError::NoDefault)
}

/// The environment variable that overrides the default data directory.
pub const DATA_DIR_ENV: &str = "HELIUM_AWS_BRIDGE_DATA_DIR";

/// The data directory to use: the one given on the command line, else `$HELIUM_AWS_BRIDGE_DATA_DIR`,
/// else the platform default.
/// A short name for one data directory, stable across runs: one desktop app per data
/// directory (a second launch on the same one focuses the first), several side by side on
/// different ones.
pub fn instance_tag(dir: &Path) -> String {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, dir.to_string_lossy().as_bytes());
    format!("d{}", &id.simple().to_string()[..12])
}

pub fn resolve_data_dir(given: Option<PathBuf>) -> Result<PathBuf, DataDirError> {
    match given.or_else(|| {
        std::env::var_os(DATA_DIR_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    }) {
        // Absolute, as every message names it: "data" alone says nothing in a log.
        Some(dir) => Ok(std::path::absolute(&dir).unwrap_or(dir)),
        None => default_data_dir(),
    }
}

/// An exclusively held data directory; the lock is released when this is dropped
/// (or when the process dies, since it is an OS file lock).
#[derive(Debug)]
pub struct DataDir {
    path: PathBuf,
    _lock: File,
}

impl DataDir {
    pub fn acquire(path: &Path) -> Result<DataDir, DataDirError> {
        let io = |source| DataDirError::Io {
            dir: path.to_path_buf(),
            source,
        };
        if path.exists() && !path.is_dir() {
            return Err(DataDirError::NotADirectory {
                dir: path.to_path_buf(),
            });
        }
        std::fs::create_dir_all(path).map_err(io)?;
        restrict_permissions(path).map_err(io)?;
        let mut lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path.join(LOCK_FILE))
            .map_err(io)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = lock.read_to_string(&mut pid);
                let pid = pid.trim();
                let holder = if pid.is_empty() {
                    String::new()
                } else {
                    format!(" (pid {pid})")
                };
                return Err(DataDirError::InUse {
                    dir: path.to_path_buf(),
                    holder,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        // The pid is only informational, for the "in use" message.
        lock.set_len(0).map_err(io)?;
        lock.seek(SeekFrom::Start(0)).map_err(io)?;
        write!(lock, "{}", std::process::id()).map_err(io)?;
        lock.flush().map_err(io)?;
        Ok(DataDir {
            path: path.to_path_buf(),
            _lock: lock,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn db_path(&self) -> PathBuf {
        self.path.join(DB_FILE)
    }
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_gets_a_clear_message_and_lock_is_released_on_drop() {
        let tmp = tempfile::tempdir().unwrap();
        let first = DataDir::acquire(tmp.path()).unwrap();
        let err = DataDir::acquire(tmp.path()).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, DataDirError::InUse { .. }), "{msg}");
        assert!(msg.contains("is in use by another Helium AWS Bridge process"), "{msg}");
        assert!(msg.contains(&format!("(pid {})", std::process::id())), "{msg}");
        drop(first);
        DataDir::acquire(tmp.path()).expect("lock must be free after drop");
    }

    #[test]
    fn a_file_given_as_the_data_directory_is_named_as_such() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("notes.txt");
        std::fs::write(&file, "mine").unwrap();
        let err = DataDir::acquire(&file).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "the data directory {} is a file, not a folder; pass a folder (or a new path) as --data-dir",
                file.display()
            )
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    }
}
