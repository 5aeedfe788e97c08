//! Secrets live only in the OS keychain: Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows (keyring v3 with those platform features; its in-memory mock
//! is never used).

use zeroize::Zeroizing;

pub const SERVICE: &str = "helium-aws-bridge";

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "no OS keychain is available ({detail}). Helium AWS Bridge keeps secrets only in the OS \
         keychain: on Linux install, start and unlock a Secret Service provider such as GNOME \
         Keyring (apt install gnome-keyring) or KeePassXC in a session with a D-Bus session bus; \
         macOS uses the login Keychain and Windows the Credential Manager"
    )]
    Unavailable { detail: String },
    #[error("the OS keychain refused the request for {key:?}: {detail}")]
    Failed { key: String, detail: String },
}

/// A small seam over the OS keychain, so callers can be tested against the real one.
pub trait Vault: Send + Sync {
    fn put(&self, key: &str, secret: &[u8]) -> Result<(), VaultError>;
    /// `Ok(None)` when nothing is stored under `key`.
    fn get(&self, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError>;
    /// Returns whether something was deleted.
    fn delete(&self, key: &str) -> Result<bool, VaultError>;
}

#[derive(Debug, Clone)]
pub struct KeyringVault {
    service: String,
}

impl Default for KeyringVault {
    fn default() -> Self {
        KeyringVault { service: SERVICE.to_string() }
    }
}

impl KeyringVault {
    /// A vault under another service name (tests use one per run).
    pub fn with_service(service: impl Into<String>) -> Self {
        KeyringVault { service: service.into() }
    }

    fn entry(&self, key: &str) -> Result<keyring::Entry, VaultError> {
        keyring::Entry::new(&self.service, key).map_err(|e| map_err(key, e))
    }
}

impl Vault for KeyringVault {
    fn put(&self, key: &str, secret: &[u8]) -> Result<(), VaultError> {
        self.entry(key)?.set_secret(secret).map_err(|e| map_err(key, e))
    }

    fn get(&self, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
        match self.entry(key)?.get_secret() {
            Ok(s) => Ok(Some(Zeroizing::new(s))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_err(key, e)),
        }
    }

    fn delete(&self, key: &str) -> Result<bool, VaultError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_err(key, e)),
        }
    }
}

/// Maps keyring errors to ours without ever formatting secret bytes (keyring's
/// `BadEncoding` carries them).
fn map_err(key: &str, e: keyring::Error) -> VaultError {
    match e {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            VaultError::Unavailable { detail: inner.to_string() }
        }
        keyring::Error::BadEncoding(_) => {
            VaultError::Failed { key: key.to_string(), detail: "the stored secret is not valid".into() }
        }
        other => VaultError::Failed { key: key.to_string(), detail: other.to_string() },
    }
}
