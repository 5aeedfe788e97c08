//! Real servers for tests, on 127.0.0.1 only, on free ports, each stopped by PID when its
//! guard is dropped (also when the test panics; the child also gets SIGTERM if the test
//! process dies, through PR_SET_PDEATHSIG).

pub mod clients;
pub mod gui;
pub mod keychain;
pub mod mosquitto;
pub mod moto;
pub mod pki;
pub mod process;

pub use clients::{aws_observer, lns_observer, uplink, Publisher};
pub use keychain::KeychainSession;
pub use mosquitto::Mosquitto;
pub use moto::Moto;
pub use pki::{ClientIdentity, TestCa};
pub use process::{cpu_time, free_port, Server};

use std::path::PathBuf;

/// The repository root (where the workspace's Cargo.toml is). Found from the running test's
/// package at run time: a target dir shared by two checkouts can hold this crate built from the
/// other one, and a compile-time path would then point there.
pub fn repo_root() -> PathBuf {
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let start = start.canonicalize().expect("the test's package directory exists");
    start
        .ancestors()
        .find(|d| {
            std::fs::read_to_string(d.join("Cargo.toml")).is_ok_and(|t| t.lines().any(|l| l.trim() == "[workspace]"))
        })
        .expect("the test runs inside the repository")
        .to_path_buf()
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
