//! What the CLI's process-level tests share: an observer on the AWS-side broker, ChirpStack
//! uplinks built from the reference fixture, signals, and waiting on a log file.
#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use test_harness::TestCa;

pub use test_harness::{aws_observer, uplink};

/// Waits (30 s at most) until the log file contains `text`.
pub fn wait_for_log(log: &Path, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(log).unwrap_or_default().contains(text) {
        assert!(
            Instant::now() < deadline,
            "{text:?} not in the log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn signal(pid: u32, sig: i32) {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc_kill(pid as i32, sig) };
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

/// `integration add aws …` for an integration named `aws` that publishes to `helium/uplinks` on
/// the TLS broker at `port`, with device certificates made by hand (no AWS keys): the folder
/// holds one signed by `ca` for each DevEUI's device, written into `dir`.
pub fn hand_made_integration(dir: &Path, ca: &TestCa, port: u16, euis: &[&str]) -> Vec<String> {
    let certs = dir.join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, &ca.cert_pem).unwrap();
    for eui in euis {
        let id = helium_bridge_core::codec::device_id_for_dev_eui(eui);
        let ident = ca.client_identity(&id);
        std::fs::write(certs.join(format!("{id}.cert.pem")), ident.cert_pem).unwrap();
        std::fs::write(certs.join(format!("{id}.key.pem")), ident.key_pem).unwrap();
    }
    [
        "integration",
        "add",
        "aws",
        "--region",
        "us-east-1",
        "--topic",
        "helium/uplinks",
        "--endpoint",
        &format!("127.0.0.1:{port}"),
        "--ca-file",
        ca_file.to_str().unwrap(),
        "--cert-dir",
        certs.to_str().unwrap(),
    ]
    .map(String::from)
    .to_vec()
}
