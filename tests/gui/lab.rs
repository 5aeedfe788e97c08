//! The lab the GUI job tests run in — the servers a user's setup has, a data directory seeded as
//! the job leaves it — and how they look at pages (axe-core, screenshots at two sizes).

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use helium_bridge_core::Store;
use serde_json::Value;
use test_harness::gui::{GuiSession, WebDriver};
use test_harness::{uplink, KeychainSession, Mosquitto, Moto, Publisher, TestCa};

use super::WAIT;

pub const KEY_ID: &str = "AKIAGUIJOBTEST000001";
pub const SECRET: &str = "gUiJoB/SeCrEt+0123456789abcdefghijklmnop";
pub const APP: &str = "17c82e96-be03-4f38-aef3-f83d48582d97";
pub const EUI: &str = "0102030405060708";
/// The reference fixture's device name.
pub const DEVICE_NAME: &str = "sensor-01";

/// The servers a user's setup has: the LNS broker, "AWS" (moto and the TLS broker), a keychain.
pub struct Lab {
    pub ca: TestCa,
    /// `None` once stopped.
    pub moto: Option<Moto>,
    pub keychain: KeychainSession,
    pub lns: Mosquitto,
    pub aws: Mosquitto,
    pub tmp: tempfile::TempDir,
}

impl Lab {
    pub fn start() -> Lab {
        let ca = TestCa::new("gui job CA");
        // moto first: it finds its venv under the HOME the keychain session replaces.
        let moto = Moto::start(&ca);
        Lab {
            keychain: KeychainSession::start(),
            lns: Mosquitto::plain(),
            aws: Mosquitto::tls_persistent(&ca),
            moto: Some(moto),
            ca,
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    pub fn data(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    pub fn ca_file(&self) -> PathBuf {
        let f = self.tmp.path().join("ca.pem");
        std::fs::write(&f, &self.ca.cert_pem).unwrap();
        f
    }

    pub fn gui(&self) -> GuiSession {
        let env = self.keychain.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        GuiSession::start(&env)
    }

    /// The device's uplink count as the app's store has it (read-only, beside the app).
    pub fn uplinks_seen(&self) -> i64 {
        Store::open_reader(&self.data().join("bridge.sqlite3"))
            .ok()
            .and_then(|s| s.find_device(EUI).ok())
            .map_or(0, |d| d.uplinks)
    }
}

/// Accessibility and pictures of each page as the user sees it.
pub struct Pages {
    pub axe: String,
    pub violations: Vec<String>,
    /// Pictures taken that `docs/screenshots` has no copy of (checked as the test ends).
    undocumented: Vec<String>,
}

/// Every picture the GUI tests take is in the docs (a refresh once lost the wizard's): when a
/// test ends, any of its pictures missing from `docs/screenshots` fails it, with how to refresh.
impl Drop for Pages {
    fn drop(&mut self) {
        if !std::thread::panicking() && !self.undocumented.is_empty() {
            panic!(
                "docs/screenshots has no copy of {}: refresh them as the README says \
                 (HELIUM_TEST_ARTIFACTS=$PWD/docs/screenshots scripts/test.sh -E 'binary(…)') and look at them",
                self.undocumented.join(", ")
            );
        }
    }
}

impl Pages {
    pub fn new() -> Pages {
        let axe = test_harness::repo_root().join("ui/node_modules/axe-core/axe.min.js");
        Pages {
            axe: std::fs::read_to_string(&axe)
                .unwrap_or_else(|e| panic!("{}: {e} (run scripts/setup.sh)", axe.display())),
            violations: Vec::new(),
            undocumented: Vec::new(),
        }
    }

    /// Checks the page with axe-core and photographs it at both window sizes.
    pub fn look(&mut self, app: &WebDriver, name: &str) {
        self.look_at(app, name, None);
    }

    /// Like `look`, with the element `css` scrolled to the top of the view at each size (a
    /// long page's part, such as a wizard's step).
    pub fn look_at(&mut self, app: &WebDriver, name: &str, css: Option<&str>) {
        for v in app.accessibility_violations(&self.axe) {
            self.violations.push(format!("{name}: {v}"));
        }
        for (w, h) in [(1024, 700), (1280, 800)] {
            app.set_window_size(w, h);
            if let Some(css) = css {
                let found = app.execute(
                    "const e = document.querySelector(arguments[0]);
                     if (e) e.scrollIntoView({block: 'start'});
                     return e !== null",
                    serde_json::json!([css]),
                );
                assert_eq!(found, serde_json::json!(true), "{name}: no {css} to scroll to");
            }
            let file = format!("{name}-{w}x{h}");
            let shot = app.screenshot(&file);
            if !test_harness::repo_root()
                .join("docs/screenshots")
                .join(format!("{file}.png"))
                .exists()
            {
                self.undocumented.push(file);
            }
            assert!(
                std::fs::metadata(&shot).unwrap().len() > 10_000,
                "{name}: a blank window"
            );
        }
    }
}

/// The texts without the line breaks WebKit adds around block children.
pub fn trimmed(texts: &[String]) -> Vec<&str> {
    texts.iter().map(|t| t.trim()).collect()
}

/// Publishes uplink number `fcnt` of the device and returns its deduplication id.
pub fn send_uplink(lns: &Publisher, fcnt: u32) -> String {
    send_uplink_of(lns, EUI, fcnt)
}

/// Publishes uplink number `fcnt` of the device `eui` (one of [`fleet`]'s) and returns its
/// deduplication id.
pub fn send_uplink_of(lns: &Publisher, eui: &str, fcnt: u32) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    lns.publish(
        &format!("application/{APP}/device/{eui}/event/up"),
        uplink(eui, APP, fcnt, &id),
    );
    id
}

/// The DevEUIs of a fleet of `n` devices, the seeded one first.
pub fn fleet(n: usize) -> Vec<String> {
    std::iter::once(EUI.to_string())
        .chain((1..n).map(|i| format!("{:016X}", 0xF1EE_7000_0000_0000u64 + i as u64)))
        .collect()
}

/// The next message AWS receives.
pub fn next_on_aws(rx: &Receiver<Value>) -> Value {
    rx.recv_timeout(WAIT).expect("an uplink on the AWS broker")
}

/// Waits until the app has taken in `n` uplinks of the device (forwarded or not).
pub fn wait_uplinks(lab: &Lab, n: i64) {
    let deadline = Instant::now() + WAIT;
    while lab.uplinks_seen() < n {
        assert!(
            Instant::now() < deadline,
            "the app took in {} uplinks, not {n}",
            lab.uplinks_seen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A data directory set up as the job above leaves it, without AWS keys: the ChirpStack source,
/// an integration on the TLS broker with certificates made by hand, and the label `farm` on it
/// and on the device.
pub fn seed(lab: &Lab) {
    seed_fleet(lab, 1)
}

/// [`seed`], with `devices` devices (see [`fleet`]) labelled `farm`, each with its certificate.
pub fn seed_fleet(lab: &Lab, devices: usize) {
    use helium_bridge_core::domain::{EndpointOverride, IntegrationKind, NewIntegration, SourceConfig};
    let core = helium_bridge_core::Core::open(&lab.data()).unwrap();
    let store = core.store();
    store
        .create_source(
            "Helium LNS",
            SourceConfig::ChirpstackMqtt {
                url: format!("mqtt://127.0.0.1:{}", lab.lns.port),
                username: None,
                application_id: APP.into(),
                tls: Default::default(),
            },
        )
        .unwrap();
    let certs = lab.tmp.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    let euis = fleet(devices);
    for eui in &euis {
        let device = helium_bridge_core::codec::device_id_for_dev_eui(eui);
        let id = lab.ca.client_identity(&device);
        std::fs::write(certs.join(format!("{device}.cert.pem")), id.cert_pem).unwrap();
        std::fs::write(certs.join(format!("{device}.key.pem")), id.key_pem).unwrap();
    }
    let integration = store
        .create_integration(&NewIntegration {
            kind: IntegrationKind::AwsIotCore,
            name: "Farm sensors".into(),
            region: "us-east-1".into(),
            topic: "helium/uplinks".into(),
            endpoint: EndpointOverride {
                host: Some("127.0.0.1".into()),
                port: Some(lab.aws.port),
                ca_file: Some(lab.ca_file().display().to_string()),
                cert_dir: Some(certs.display().to_string()),
                api_url: None,
            },
            forward_joins: false,
        })
        .unwrap();
    let label = store.create_label("farm").unwrap();
    store.attach_label_to_integration(&label.id, &integration.id).unwrap();
    for eui in &euis {
        store.attach_label_to_device_ref(&label.id, eui).unwrap();
    }
}

/// The app on a data directory [`seed`]ed for the job, and the clients a test talks through.
pub struct Seeded {
    pub app: WebDriver,
    /// What the AWS broker receives on `helium/uplinks`.
    pub aws: Receiver<Value>,
    pub lns: Publisher,
}

/// Seeds the data directory, opens the app on it at 1280×800, and returns once its ChirpStack
/// source is subscribed (its state on the Sources page, not an event that may have passed):
/// an uplink published after this reaches the bridge.
pub fn open_seeded(lab: &Lab, gui: &mut GuiSession) -> Seeded {
    open_seeded_fleet(lab, gui, 1)
}

/// [`open_seeded`] with a fleet of `devices` (see [`seed_fleet`]).
pub fn open_seeded_fleet(lab: &Lab, gui: &mut GuiSession, devices: usize) -> Seeded {
    seed_fleet(lab, devices);
    let app = super::launch(gui, &lab.data());
    app.set_window_size(1280, 800);
    let aws = test_harness::aws_observer(&lab.ca, lab.aws.port, "helium/uplinks");
    let lns = Publisher::connect(lab.lns.port);
    super::nav(&app, "sources");
    super::wait_texts(&app, "[data-testid=source-status]", WAIT, |t| {
        trimmed(t) == ["Connected"]
    });
    Seeded { app, aws, lns }
}
