//! Real servers for tests, on 127.0.0.1 only, on free ports, each stopped by PID when its
//! guard is dropped (also when the test panics; the child also gets SIGTERM if the test
//! process dies, through PR_SET_PDEATHSIG).

pub mod gui;
pub mod keychain;
pub mod mosquitto;
pub mod moto;
pub mod pki;
pub mod process;

pub use keychain::KeychainSession;
pub use mosquitto::Mosquitto;
pub use moto::Moto;
pub use pki::{ClientIdentity, TestCa};
pub use process::{free_port, Server};

use std::path::PathBuf;

/// The repository root (where the top-level Cargo.toml is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// A plain-HTTP POST on loopback; returns (status, body) whatever the status.
pub fn http_post(url: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let mut req = ureq::post(url).timeout(std::time::Duration::from_secs(30));
    for (k, v) in headers {
        req = req.set(k, v);
    }
    match req.send_bytes(body) {
        Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("POST {url} failed: {e}"),
    }
}
