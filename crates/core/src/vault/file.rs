//! The headless opt-in: secrets in one credentials file readable by its owner only (mode 0600),
//! for servers with no keychain service. Chosen explicitly with `HELIUM_AWS_BRIDGE_SECRETS_FILE`;
//! never a silent fallback.

use crate::sync::LockExt;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine;
use zeroize::Zeroizing;

use super::{Vault, VaultError};

/// The environment variable that opts in to the credentials file.
pub const SECRETS_FILE_ENV: &str = "HELIUM_AWS_BRIDGE_SECRETS_FILE";

/// A JSON object `{ "<key>": "<base64 secret>" }` in a 0600 file, rewritten atomically.
pub struct FileVault {
    path: PathBuf,
    lock: Mutex<()>,
}

impl FileVault {
    /// Uses `path`, which must be absolute. The file is created (0600) on the first write; an
    /// existing file must be a regular file that only its owner can read or write.
    pub fn open(path: &Path) -> Result<FileVault, VaultError> {
        if !path.is_absolute() {
            return Err(unavailable(path, "the path must be absolute"));
        }
        let vault = FileVault {
            path: path.to_path_buf(),
            lock: Mutex::new(()),
        };
        vault.read()?;
        Ok(vault)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<BTreeMap<String, String>, VaultError> {
        let meta = match std::fs::symlink_metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(unavailable(&self.path, &e.to_string())),
        };
        check_private(&self.path, &meta)?;
        let text =
            Zeroizing::new(std::fs::read_to_string(&self.path).map_err(|e| unavailable(&self.path, &e.to_string()))?);
        if text.trim().is_empty() {
            return Ok(BTreeMap::new());
        }
        // serde_json's error never quotes the input, so no secret can leak through it.
        serde_json::from_str(&text).map_err(|e| {
            unavailable(
                &self.path,
                &format!(
                    "it is not a JSON object of base64 strings (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )
        })
    }

    fn write(&self, map: &BTreeMap<String, String>) -> Result<(), VaultError> {
        let text = Zeroizing::new(serde_json::to_string_pretty(map).unwrap_or_default());
        let dir = self.path.parent().unwrap_or(Path::new("/"));
        let tmp = dir.join(format!(
            ".{}.tmp-{}",
            self.path.file_name().and_then(|n| n.to_str()).unwrap_or("secrets"),
            std::process::id()
        ));
        let fail = |e: std::io::Error| unavailable(&self.path, &e.to_string());
        let mut f = open_private(&tmp).map_err(fail)?;
        f.write_all(text.as_bytes()).map_err(fail)?;
        f.sync_all().map_err(fail)?;
        drop(f);
        std::fs::rename(&tmp, &self.path).map_err(fail)
    }
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::remove_file(path);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &std::fs::Metadata) -> Result<(), VaultError> {
    use std::os::unix::fs::MetadataExt;
    if !meta.file_type().is_file() {
        return Err(unavailable(
            path,
            "it is not a regular file (symbolic links are refused)",
        ));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(unavailable(
            path,
            &format!(
                "its mode is {mode:04o}, so other users can read it; run `chmod 600 {}`",
                path.display()
            ),
        ));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(unavailable(
            path,
            &format!("it belongs to user id {}, not to this user ({me})", meta.uid()),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), VaultError> {
    Ok(())
}

fn unavailable(path: &Path, why: &str) -> VaultError {
    VaultError::SecretsFile {
        detail: format!(
            "the credentials file {} ({SECRETS_FILE_ENV}) cannot be used: {why}",
            path.display()
        ),
    }
}

impl Vault for FileVault {
    fn put(&self, key: &str, secret: &[u8]) -> Result<(), VaultError> {
        let _g = self.lock.locked();
        let mut map = self.read()?;
        map.insert(
            key.to_string(),
            base64::engine::general_purpose::STANDARD.encode(secret),
        );
        self.write(&map)
    }

    fn get(&self, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
        let _g = self.lock.locked();
        match self.read()?.get(key) {
            None => Ok(None),
            Some(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map(|v| Some(Zeroizing::new(v)))
                .map_err(|_| VaultError::Failed {
                    key: key.to_string(),
                    detail: format!("the entry in {} is not valid base64", self.path.display()),
                }),
        }
    }

    fn delete(&self, key: &str) -> Result<bool, VaultError> {
        let _g = self.lock.locked();
        let mut map = self.read()?;
        if map.remove(key).is_none() {
            return Ok(false);
        }
        self.write(&map)?;
        Ok(true)
    }
}
