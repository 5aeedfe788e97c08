//! The master key in a real gnome-keyring, device keys sealed with it, and per-integration AWS
//! secrets in the keychain.

use std::sync::Mutex;

use helium_bridge_core::vault::{self, SealError, MASTER_KEY};
use helium_bridge_core::{KeyringVault, Vault};
use test_harness::KeychainSession;

// The keychain is found through process-wide environment variables.
static ENV: Mutex<()> = Mutex::new(());

fn vault() -> KeyringVault {
    KeyringVault::with_service(format!("helium-provision-test-{}", uuid::Uuid::new_v4().simple()))
}

fn device_key_pem() -> String {
    rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .unwrap()
        .serialize_pem()
}

/// The base64 body of a PEM, without its armour lines.
fn pem_body(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

#[test]
fn master_key_is_made_once_in_the_keychain_and_seals_device_keys() {
    let _env = ENV.lock().unwrap_or_else(|p| p.into_inner());
    let session = KeychainSession::start();
    session.apply_env_to_this_process();
    let v = vault();

    assert!(v.get(MASTER_KEY).unwrap().is_none());
    let master = vault::master_key(&v).unwrap();
    let stored = v.get(MASTER_KEY).unwrap().expect("the master key is in the keychain");
    assert_eq!(stored.as_slice(), master.as_slice());
    assert_eq!(
        vault::master_key(&v).unwrap().as_slice(),
        master.as_slice(),
        "the same key on the next use"
    );
    assert_ne!(master.as_slice(), &[0u8; 32], "random, not zero");

    let pem = device_key_pem();
    let blob = vault::encrypt_private_key(&master, "i1/dev1", &pem);
    assert_eq!(blob[0], 1, "versioned blob");
    let opened = vault::decrypt_private_key(&master, "i1/dev1", &blob).unwrap();
    assert_eq!(opened.as_str(), pem);

    // Nothing of the key in the sealed blob, and a fresh nonce each time.
    let body = pem_body(&pem);
    let hay = String::from_utf8_lossy(&blob);
    assert!(!hay.contains("PRIVATE KEY") && !hay.contains(&body[..24]));
    assert!(
        !blob.windows(16).any(|w| pem.as_bytes().windows(16).any(|p| p == w)),
        "no 16-byte run of the PEM"
    );
    assert_ne!(
        blob,
        vault::encrypt_private_key(&master, "i1/dev1", &pem),
        "random nonce"
    );
}

#[test]
fn a_wrong_master_key_or_another_row_fails_clearly() {
    let master = zeroize::Zeroizing::new([7u8; 32]);
    let other = zeroize::Zeroizing::new([8u8; 32]);
    let pem = device_key_pem();
    let blob = vault::encrypt_private_key(&master, "i1/dev1", &pem);

    let err = vault::decrypt_private_key(&other, "i1/dev1", &blob).unwrap_err();
    assert!(matches!(err, SealError::WrongKeyOrDamaged), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("master key") && msg.contains("new certificate"), "{msg}");
    assert!(!msg.contains(&pem_body(&pem)[..24]));

    // Bound to its row: the same blob under another device does not open.
    assert!(matches!(
        vault::decrypt_private_key(&master, "i1/dev2", &blob),
        Err(SealError::WrongKeyOrDamaged)
    ));
    // Tampering is detected.
    let mut bad = blob.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert!(matches!(
        vault::decrypt_private_key(&master, "i1/dev1", &bad),
        Err(SealError::WrongKeyOrDamaged)
    ));
    let mut v2 = blob.clone();
    v2[0] = 2;
    assert!(matches!(
        vault::decrypt_private_key(&master, "i1/dev1", &v2),
        Err(SealError::UnknownVersion(2))
    ));
    assert!(matches!(
        vault::decrypt_private_key(&master, "i1/dev1", &blob[..20]),
        Err(SealError::Truncated(20))
    ));
    assert!(matches!(
        vault::decrypt_private_key(&master, "i1/dev1", &[]),
        Err(SealError::Truncated(0))
    ));
}

#[test]
fn a_master_key_of_the_wrong_size_is_refused() {
    let _env = ENV.lock().unwrap_or_else(|p| p.into_inner());
    let session = KeychainSession::start();
    session.apply_env_to_this_process();
    let v = vault();
    v.put(MASTER_KEY, &[1, 2, 3]).unwrap();
    assert!(matches!(vault::master_key(&v), Err(SealError::BadMasterKey)));
}

#[test]
fn aws_secrets_live_in_the_keychain_per_integration() {
    let _env = ENV.lock().unwrap_or_else(|p| p.into_inner());
    let session = KeychainSession::start();
    session.apply_env_to_this_process();
    let v = vault();
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    assert_eq!(
        vault::aws_secret_key_name("abc", "AKIAEXAMPLE"),
        "integration/abc/aws-secret-access-key/AKIAEXAMPLE"
    );
    assert!(vault::get_aws_secret(&v, "abc", "AKIAEXAMPLE").unwrap().is_none());
    vault::put_aws_secret(&v, "abc", "AKIAEXAMPLE", secret).unwrap();
    assert_eq!(
        v.get("integration/abc/aws-secret-access-key/AKIAEXAMPLE")
            .unwrap()
            .unwrap()
            .as_slice(),
        secret.as_bytes()
    );
    assert_eq!(
        vault::get_aws_secret(&v, "abc", "AKIAEXAMPLE")
            .unwrap()
            .unwrap()
            .as_str(),
        secret
    );
    assert!(vault::get_aws_secret(&v, "other", "AKIAEXAMPLE").unwrap().is_none());

    let creds = helium_bridge_core::aws::AwsCredentials::from_vault(&v, "abc", "AKIAEXAMPLE", "eu-west-1")
        .unwrap()
        .unwrap();
    assert_eq!(creds.secret_access_key.as_str(), secret);
    assert!(!format!("{creds:?}").contains(secret), "Debug redacts the secret");

    assert!(vault::delete_aws_secret(&v, "abc", "AKIAEXAMPLE").unwrap());
    assert!(vault::get_aws_secret(&v, "abc", "AKIAEXAMPLE").unwrap().is_none());
}
