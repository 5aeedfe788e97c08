//! Secrets live only in the OS keychain: Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows (keyring v3 with those platform features; its in-memory mock
//! is never used).

mod file;

use crate::sync::LockExt;
use std::sync::Arc;

use zeroize::Zeroizing;

pub use file::{FileVault, SECRETS_FILE_ENV};

pub const SERVICE: &str = "helium-aws-bridge";

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "no OS keychain is available ({detail}). Helium AWS Bridge keeps secrets only in the OS \
         keychain: on Linux install, start and unlock a Secret Service provider such as GNOME \
         Keyring (apt install gnome-keyring) or KeePassXC in a session with a D-Bus session bus; \
         macOS uses the login Keychain and Windows the Credential Manager. On a headless server \
         without a keychain, opt in to a credentials file only you can read: set \
         HELIUM_AWS_BRIDGE_SECRETS_FILE=/absolute/path (created with mode 0600)"
    )]
    Unavailable { detail: String },
    /// A keychain answers but cannot be used: locked, or no default keyring yet.
    #[error(
        "the OS keychain is locked or has no default keyring ({detail}). {UNLOCK} On a headless server \
         without a keychain, opt in to a credentials file only you can read: set \
         HELIUM_AWS_BRIDGE_SECRETS_FILE=/absolute/path (created with mode 0600)"
    )]
    Locked { detail: String },
    /// The opted-in credentials file is unusable (the message says why and what to do).
    #[error("{detail}")]
    SecretsFile { detail: String },
    #[error("the OS keychain refused the request for {key:?}: {detail}")]
    Failed { key: String, detail: String },
}

/// How to unlock this system's keychain.
#[cfg(target_os = "linux")]
const UNLOCK: &str = "Unlock it: log in to the desktop session (GNOME Keyring unlocks its login keyring with \
                      your password), or from a shell give the password to `gnome-keyring-daemon --unlock`; \
                      KeePassXC: unlock its database and enable its Secret Service integration.";
#[cfg(target_os = "macos")]
const UNLOCK: &str = "Unlock the login keychain (Keychain Access, or `security unlock-keychain`), or run the \
                      bridge in a logged-in session.";
#[cfg(target_os = "windows")]
const UNLOCK: &str = "Run the bridge in a logged-in session: the Credential Manager needs one.";
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
const UNLOCK: &str = "Unlock it.";

/// A small seam over the OS keychain, so callers can be tested against the real one.
pub trait Vault: Send + Sync {
    fn put(&self, key: &str, secret: &[u8]) -> Result<(), VaultError>;
    /// `Ok(None)` when nothing is stored under `key`.
    fn get(&self, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError>;
    /// Returns whether something was deleted.
    fn delete(&self, key: &str) -> Result<bool, VaultError>;
}

/// The vault this process uses: the credentials file when `HELIUM_AWS_BRIDGE_SECRETS_FILE` is
/// set (an explicit opt-in), the OS keychain otherwise.
pub fn from_env() -> Result<Arc<dyn Vault>, VaultError> {
    match secrets_file_from_env() {
        Some(p) => Ok(Arc::new(FileVault::open(&p)?)),
        None => Ok(Arc::new(KeyringVault::default())),
    }
}

/// The credentials file this process opted in to, if any.
pub fn secrets_file_from_env() -> Option<std::path::PathBuf> {
    std::env::var_os(SECRETS_FILE_ENV)
        .filter(|p| !p.is_empty())
        .map(std::path::PathBuf::from)
}

/// Where secrets go, as users know it: "credentials file" or "OS keychain".
pub fn name() -> &'static str {
    match secrets_file_from_env() {
        Some(_) => "credentials file",
        None => "OS keychain",
    }
}

#[derive(Debug, Clone)]
pub struct KeyringVault {
    service: String,
}

impl Default for KeyringVault {
    fn default() -> Self {
        KeyringVault {
            service: SERVICE.to_string(),
        }
    }
}

impl KeyringVault {
    /// A vault under another service name (tests use one per run).
    pub fn with_service(service: impl Into<String>) -> Self {
        KeyringVault {
            service: service.into(),
        }
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
        keyring::Error::PlatformFailure(inner) => VaultError::Unavailable {
            detail: inner.to_string(),
        },
        // (Secret Service: a locked collection, none to use, or a prompt needed.)
        keyring::Error::NoStorageAccess(inner) => VaultError::Locked {
            detail: inner.to_string(),
        },
        keyring::Error::BadEncoding(_) => VaultError::Failed {
            key: key.to_string(),
            detail: "the stored secret is not valid".into(),
        },
        other => VaultError::Failed {
            key: key.to_string(),
            detail: other.to_string(),
        },
    }
}

// ---- the master key and sealed device keys ----

/// Where the random master key that seals device private keys lives in the keychain.
pub const MASTER_KEY: &str = "master-key";

/// Version byte of a sealed blob: 1 = XChaCha20-Poly1305, 24-byte random nonce, 16-byte tag.
const SEAL_V1: u8 = 1;
const NONCE_LEN: usize = 24;

/// The 32-byte key that seals device private keys before they go to SQLite.
pub type MasterKey = Zeroizing<[u8; 32]>;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(
        "a stored device key could not be decrypted: the keychain's master key ({MASTER_KEY:?}) is \
         not the one it was sealed with, or the database entry is damaged; the device needs a new \
         certificate"
    )]
    WrongKeyOrDamaged,
    #[error("a stored device key has an unknown format (version {0}); it was written by a newer version")]
    UnknownVersion(u8),
    #[error("a stored device key is truncated ({0} bytes)")]
    Truncated(usize),
    #[error("the keychain's master key ({MASTER_KEY:?}) is not 32 bytes; refusing to use it")]
    BadMasterKey,
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// Serialises first-use creation of the master key within this process, so two callers never
/// create two different keys.
static MASTER_KEY_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The master key from the keychain, created (32 random bytes) on first use.
pub fn master_key(vault: &dyn Vault) -> Result<MasterKey, SealError> {
    let _guard = MASTER_KEY_LOCK.locked();
    if let Some(bytes) = vault.get(MASTER_KEY)? {
        let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| SealError::BadMasterKey)?;
        return Ok(Zeroizing::new(arr));
    }
    let mut key = Zeroizing::new([0u8; 32]);
    getrandom_fill(key.as_mut());
    vault.put(MASTER_KEY, key.as_ref())?;
    Ok(key)
}

fn getrandom_fill(buf: &mut [u8]) {
    use chacha20poly1305::aead::rand_core::RngCore;
    chacha20poly1305::aead::OsRng.fill_bytes(buf);
}

/// Seals a device private key (PEM) with the master key. `context` (e.g.
/// `"{integration_id}/{device_id}"`) is authenticated, so a blob cannot be moved to another row.
/// Blob: version (1) || nonce (24) || ciphertext + tag.
pub fn encrypt_private_key(master: &[u8; 32], context: &str, key_pem: &str) -> Vec<u8> {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    let cipher = chacha20poly1305::XChaCha20Poly1305::new(master.into());
    let mut nonce = [0u8; NONCE_LEN];
    getrandom_fill(&mut nonce);
    let sealed = cipher
        .encrypt(
            (&nonce).into(),
            Payload {
                msg: key_pem.as_bytes(),
                aad: context.as_bytes(),
            },
        )
        .expect("XChaCha20-Poly1305 encryption of a small buffer cannot fail");
    let mut blob = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
    blob.push(SEAL_V1);
    blob.extend_from_slice(&nonce);
    blob.extend_from_slice(&sealed);
    blob
}

/// Opens a blob made by [`encrypt_private_key`] with the same master key and context.
pub fn decrypt_private_key(master: &[u8; 32], context: &str, blob: &[u8]) -> Result<Zeroizing<String>, SealError> {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    match blob.first() {
        None => return Err(SealError::Truncated(0)),
        Some(&SEAL_V1) => {}
        Some(&v) => return Err(SealError::UnknownVersion(v)),
    }
    if blob.len() < 1 + NONCE_LEN + 16 {
        return Err(SealError::Truncated(blob.len()));
    }
    let (nonce, sealed) = blob[1..].split_at(NONCE_LEN);
    let cipher = chacha20poly1305::XChaCha20Poly1305::new(master.into());
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                nonce.into(),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::WrongKeyOrDamaged)?,
    );
    let text = std::str::from_utf8(&plain).map_err(|_| SealError::WrongKeyOrDamaged)?;
    Ok(Zeroizing::new(text.to_string()))
}

// ---- per-integration AWS secrets ----

/// The keychain entry holding the secret of one of an integration's access keys. Named by the
/// key id too, so a new key is stored beside the old one and the database row switching key
/// ids is the swap.
pub fn aws_secret_key_name(integration_id: &str, access_key_id: &str) -> String {
    format!("integration/{integration_id}/aws-secret-access-key/{access_key_id}")
}

pub fn put_aws_secret(
    vault: &dyn Vault,
    integration_id: &str,
    access_key_id: &str,
    secret: &str,
) -> Result<(), VaultError> {
    vault.put(&aws_secret_key_name(integration_id, access_key_id), secret.as_bytes())
}

/// `Ok(None)` when the keychain has no secret for that key of the integration.
pub fn get_aws_secret(
    vault: &dyn Vault,
    integration_id: &str,
    access_key_id: &str,
) -> Result<Option<Zeroizing<String>>, VaultError> {
    let key = aws_secret_key_name(integration_id, access_key_id);
    match vault.get(&key)? {
        None => Ok(None),
        Some(bytes) => match std::str::from_utf8(&bytes) {
            Ok(s) => Ok(Some(Zeroizing::new(s.to_string()))),
            Err(_) => Err(VaultError::Failed {
                key,
                detail: "the stored secret is not valid".into(),
            }),
        },
    }
}

pub fn delete_aws_secret(vault: &dyn Vault, integration_id: &str, access_key_id: &str) -> Result<bool, VaultError> {
    vault.delete(&aws_secret_key_name(integration_id, access_key_id))
}
