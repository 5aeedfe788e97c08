//! moto, the AWS IoT control-plane stand-in, started from `tests/harness/moto_server.py` in
//! the project's venv. The launcher makes CreateCertificateFromCsr sign the CSR's own key with
//! the test CA, as AWS does with its CA.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::pki::TestCa;
use crate::process::{free_port, Server};

/// The project's Python venv (made by scripts/setup.sh --test).
pub fn venv_dir() -> PathBuf {
    if let Some(v) = std::env::var_os("HELIUM_VENV") {
        return PathBuf::from(v);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"));
    home.join(".cache/helium-aws-bridge/venv")
}

pub struct Moto {
    pub port: u16,
    server: Server,
    _dir: tempfile::TempDir,
}

impl Moto {
    pub fn start(ca: &TestCa) -> Moto {
        Self::start_with(ca, None)
    }

    /// moto in its IAM-auth mode: requests are checked against moto's IAM after
    /// `free_actions` unauthenticated ones.
    pub fn start_with_iam_auth(ca: &TestCa, free_actions: u32) -> Moto {
        Self::start_with(ca, Some(free_actions))
    }

    fn start_with(ca: &TestCa, iam_auth: Option<u32>) -> Moto {
        let python = venv_dir().join("bin/python");
        assert!(
            python.is_file(),
            "the test venv is missing ({}): run scripts/setup.sh --test",
            python.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let (ca_cert, ca_key) = ca.write_to(dir.path());
        let port = free_port();
        let mut cmd = Command::new(python);
        cmd.arg(crate::repo_root().join("tests/harness/moto_server.py"))
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .arg("--ca-cert")
            .arg(ca_cert)
            .arg("--ca-key")
            .arg(ca_key)
            .env("PYTHONUNBUFFERED", "1");
        if let Some(n) = iam_auth {
            cmd.args(["--iam-auth", &n.to_string()]);
        }
        let mut server = Server::spawn("moto", cmd, &dir.path().join("moto.log"));
        server.wait_for_log("moto ready on", Duration::from_secs(60));
        Moto {
            port,
            server,
            _dir: dir,
        }
    }

    pub fn endpoint_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Forgets every resource (moto's `POST /moto-api/reset`).
    pub fn reset(&self) {
        let resp = ureq::post(&format!("{}/moto-api/reset", self.endpoint_url())).call();
        assert!(resp.is_ok(), "moto reset failed: {resp:?}");
    }

    /// A control-plane client of the test's own (not the bridge's), to look at what moto holds
    /// in `region`.
    pub fn iot_client(&self, region: &str) -> aws_sdk_iot::Client {
        use aws_sdk_iot::config::{BehaviorVersion, Credentials, Region};
        let conf = aws_sdk_iot::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .credentials_provider(Credentials::new(
                "AKIAHARNESSTEST",
                "harness-secret",
                None,
                None,
                "test",
            ))
            .endpoint_url(self.endpoint_url())
            .build();
        aws_sdk_iot::Client::from_conf(conf)
    }

    /// An IAM query-API call (`CreateUser`, `CreateAccessKey`, `PutUserPolicy`…); in IAM-auth
    /// mode moto lets the first few through unauthenticated. Returns the XML answer.
    pub fn iam(&self, params: &[(&str, &str)]) -> String {
        let enc = |s: &str| -> String {
            s.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect()
        };
        let mut body = String::from("Version=2010-05-08");
        for (k, v) in params {
            body.push_str(&format!("&{k}={}", enc(v)));
        }
        let auth = "AWS4-HMAC-SHA256 Credential=AKIAADMIN/20250101/us-east-1/iam/aws4_request, SignedHeaders=host, \
                    Signature=0";
        let (status, text) = crate::http_post(
            &format!("{}/", self.endpoint_url()),
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Authorization", auth),
            ],
            body.as_bytes(),
        );
        assert_eq!(status, 200, "IAM {params:?}: {text}");
        text
    }

    pub fn pid(&self) -> u32 {
        self.server.pid()
    }
}

/// The text of the first `<tag>` element in an AWS XML answer.
pub fn xml_field(text: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let from = text.find(&open).unwrap_or_else(|| panic!("no <{tag}> in {text}")) + open.len();
    text[from..from + text[from..].find("</").unwrap()].to_string()
}
