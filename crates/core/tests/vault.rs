//! The vault against a real gnome-keyring over a private D-Bus session, and where no
//! keychain service exists.

use std::sync::Mutex;

use helium_bridge_core::{KeyringVault, Vault, VaultError};
use test_harness::KeychainSession;

// The keychain is found through process-wide environment variables.
static ENV: Mutex<()> = Mutex::new(());

fn vault() -> KeyringVault {
    KeyringVault::with_service(format!("helium-aws-bridge-test-{}", std::process::id()))
}

#[test]
fn stores_reads_overwrites_and_deletes_a_secret_in_gnome_keyring() {
    let _env = ENV.lock().unwrap_or_else(|p| p.into_inner());
    let session = KeychainSession::start();
    session.apply_env_to_this_process();
    let v = vault();
    let key = "integration/abc/aws-secret-access-key";

    assert!(v.get(key).unwrap().is_none());
    v.put(key, b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").unwrap();
    assert_eq!(
        v.get(key).unwrap().unwrap().as_slice(),
        b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    );
    v.put(key, &[0u8, 255, 1, 2]).unwrap();
    assert_eq!(
        v.get(key).unwrap().unwrap().as_slice(),
        &[0u8, 255, 1, 2],
        "binary secrets round-trip"
    );
    // Another vault process (same service) sees it: it is in the keychain, not in memory.
    assert_eq!(vault().get(key).unwrap().unwrap().as_slice(), &[0u8, 255, 1, 2]);
    assert!(v.delete(key).unwrap());
    assert!(v.get(key).unwrap().is_none());
    assert!(!v.delete(key).unwrap(), "deleting twice reports nothing deleted");

    // The secret landed in gnome-keyring's own files under the session's XDG_DATA_HOME.
    let keyrings = session.dir().join("data/keyrings");
    assert!(
        keyrings.is_dir(),
        "gnome-keyring keeps its keyrings in {}",
        keyrings.display()
    );
}

fn assert_unavailable(err: VaultError, secret: &str) {
    let msg = err.to_string();
    assert!(matches!(err, VaultError::Unavailable { .. }), "{msg}");
    assert!(msg.starts_with("no OS keychain is available ("), "{msg}");
    assert!(
        msg.contains(
            "install, start and unlock a Secret Service provider such as GNOME Keyring (apt install gnome-keyring)"
        ),
        "{msg}"
    );
    assert!(!msg.contains(secret), "the secret must never appear in an error");
}

#[test]
fn a_session_bus_without_secret_service_gives_a_clear_error() {
    let _env = ENV.lock().unwrap_or_else(|p| p.into_inner());
    let session = KeychainSession::bus_only();
    session.apply_env_to_this_process();
    let secret = "super-secret-value-123";
    assert_unavailable(vault().put("k", secret.as_bytes()).unwrap_err(), secret);
    assert_unavailable(vault().get("k").unwrap_err(), secret);
}

#[test]
fn no_session_bus_at_all_gives_a_clear_error() {
    let _env = ENV.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    // SAFETY: serialised by ENV; nothing else in this test reads the environment.
    unsafe {
        std::env::set_var(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}/absent", dir.path().display()),
        )
    };
    let secret = "another-secret-456";
    assert_unavailable(vault().put("k", secret.as_bytes()).unwrap_err(), secret);
}

#[test]
fn a_keychain_without_an_unlocked_keyring_is_called_locked_not_missing() {
    let _env = ENV.lock().unwrap_or_else(|p| p.into_inner());
    let session = KeychainSession::start_locked();
    session.apply_env_to_this_process();
    let secret = "locked-secret-789";
    let err = vault().put("k", secret.as_bytes()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, VaultError::Locked { .. }), "{msg}");
    assert!(
        msg.starts_with("the OS keychain is locked or has no default keyring ("),
        "{msg}"
    );
    assert!(
        msg.contains("give the password to `gnome-keyring-daemon --unlock`"),
        "{msg}"
    );
    assert!(!msg.contains("install"), "it is there: not told to install one: {msg}");
    assert!(!msg.contains(secret), "the secret must never appear in an error");
}
