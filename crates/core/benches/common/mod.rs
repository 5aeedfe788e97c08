//! Set-up the benches share: a data directory whose one integration reaches a TLS mosquitto
//! with client certificates from a folder, and devices registered and labelled for it.

// Each bench uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use helium_bridge_core::domain::{DeviceSeen, EndpointOverride, Integration, IntegrationKind, Label, NewIntegration};
use helium_bridge_core::Core;
use test_harness::{Mosquitto, TestCa};

pub struct Fleet {
    pub core: Arc<Core>,
    pub integration: Integration,
    pub label: Label,
    certs: PathBuf,
}

impl Fleet {
    /// A data directory in `dir` with an integration "aws" (topic `helium/uplinks`) on `aws`
    /// and a label "fleet" attached to it.
    pub fn new(dir: &Path, aws: &Mosquitto, ca: &TestCa) -> Fleet {
        let certs = dir.join("certs");
        std::fs::create_dir_all(&certs).unwrap();
        std::fs::write(dir.join("ca.pem"), &ca.cert_pem).unwrap();
        let core = Arc::new(Core::open(&dir.join("data")).unwrap());
        let (integration, label) = {
            let s = core.store();
            let i = s
                .create_integration(&NewIntegration {
                    kind: IntegrationKind::AwsIotCore,
                    name: "aws".into(),
                    region: "us-east-1".into(),
                    topic: "helium/uplinks".into(),
                    endpoint: EndpointOverride {
                        host: Some("127.0.0.1".into()),
                        port: Some(aws.port),
                        ca_file: Some(dir.join("ca.pem").display().to_string()),
                        cert_dir: Some(certs.display().to_string()),
                        api_url: None,
                    },
                    forward_joins: false,
                })
                .unwrap();
            let l = s.create_label("fleet").unwrap();
            s.attach_label_to_integration(&l.id, &i.id).unwrap();
            (i, l)
        };
        Fleet {
            core,
            integration,
            label,
            certs,
        }
    }

    /// Registers a device (not heard yet), writes its certificate, and labels it if asked.
    pub fn add_device(&self, ca: &TestCa, id: &str, name: &str, dev_eui: &str, labelled: bool) {
        let s = self.core.store();
        s.record_device_seen(&DeviceSeen {
            id: id.to_string(),
            name: name.to_string(),
            dev_eui: dev_eui.to_string(),
            ..Default::default()
        })
        .unwrap();
        if labelled {
            s.attach_label_to_device(&self.label.id, id).unwrap();
        }
        let ident = ca.client_identity(id);
        std::fs::write(self.certs.join(format!("{id}.cert.pem")), ident.cert_pem).unwrap();
        std::fs::write(self.certs.join(format!("{id}.key.pem")), ident.key_pem).unwrap();
    }
}

/// A decoder in the style of the public Helium console-decoders (a sensor's fields read with bit
/// arithmetic, scaled, a status decoded from flags), written for this bench.
pub const JS_DECODER: &str = r#"
function Decoder(bytes, port) {
  var decoded = {};
  decoded.battery_mv = ((bytes[0] << 8) | bytes[1]) & 0x3fff;
  decoded.battery_status = bytes[0] >> 6;
  var t = (bytes[2] << 8) | bytes[3];
  if (t & 0x8000) t = t - 0x10000;
  decoded.temperature = t / 100;
  decoded.humidity = ((bytes[4] << 8) | bytes[5]) / 10;
  decoded.mode = ["IAQ", "TEMP", "DS18B20"][bytes[6] % 3];
  var ext = [];
  for (var i = 7; i + 1 < bytes.length; i += 2) ext.push((bytes[i] << 8) | bytes[i + 1]);
  decoded.ext = ext;
  decoded.port = port;
  return decoded;
}
"#;

/// Rounds and calls of [`best`].
pub const ROUNDS: usize = 5;
pub const CALLS: usize = 100_000;

/// Best time per call, in µs, of `f` over [`ROUNDS`] rounds of [`CALLS`] calls (the micro
/// benches: the best round is the one the machine disturbed least).
pub fn best(mut f: impl FnMut()) -> f64 {
    (0..ROUNDS)
        .map(|_| {
            let t = std::time::Instant::now();
            for _ in 0..CALLS {
                f();
            }
            t.elapsed().as_secs_f64() * 1e6 / CALLS as f64
        })
        .fold(f64::MAX, f64::min)
}
