//! The CLI from IAM keys to a first uplink in AWS IoT, against moto (control plane), a TLS
//! mosquitto (data plane) and gnome-keyring: keys are checked before anything is saved, devices
//! are provisioned with a key made here, the uplink arrives, cleanup empties AWS, and no file,
//! log or crash output of the run holds the secret or a private key in clear.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use rumqttc::{Client, MqttOptions, QoS};
use test_harness::moto::xml_field;
use test_harness::{KeychainSession, Mosquitto, Moto, TestCa};

mod support;

const BIN: &str = env!("CARGO_BIN_EXE_helium-aws-bridge");
const APP: &str = "00000000-0000-4000-8000-0000000000e2";
const EUI: &str = "e2e0000000000001";
const KEY_ID: &str = "AKIAE2ETESTKEY000001";
const SECRET: &str = "e2eSecret/Key+ForTheCli0123456789abcdefgh";

struct Cli<'a> {
    data: &'a Path,
    keychain: Option<&'a KeychainSession>,
    env: Vec<(String, String)>,
}

impl Cli<'_> {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--data-dir")
            .arg(self.data)
            .args(args)
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("HELIUM_AWS_BRIDGE_SECRETS_FILE");
        if let Some(k) = self.keychain {
            k.apply_env_to(&mut c);
        }
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        use std::io::Write;
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Succeeds; returns stdout + stderr.
    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let o = self.run(args, stdin);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.status.success(), "{args:?}:\n{text}");
        text
    }

    /// Fails with exit 1; returns stderr.
    fn fails(&self, args: &[&str], stdin: &str) -> String {
        let o = self.run(args, stdin);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        err
    }
}

fn add_args<'a>(name: &'a str, key_id: &'a str, api: &'a str) -> Vec<&'a str> {
    vec![
        "integration",
        "add",
        name,
        "--region",
        "us-east-1",
        "--topic",
        "helium/uplinks",
        "--access-key-id",
        key_id,
        "--secret-stdin",
        "--api-url",
        api,
    ]
}

#[test]
fn bad_keys_are_refused_by_aws_before_anything_is_saved() {
    let ca = TestCa::new("cli iam CA");
    let moto = Moto::start_with_iam_auth(&ca, 2);
    moto.iam(&[("Action", "CreateUser"), ("UserName", "HeliumIntegrationAccess")]);
    let key = moto.iam(&[("Action", "CreateAccessKey"), ("UserName", "HeliumIntegrationAccess")]);
    let (key_id, secret) = (xml_field(&key, "AccessKeyId"), xml_field(&key, "SecretAccessKey"));
    let keychain = KeychainSession::start();
    let tmp = tempfile::tempdir().unwrap();
    let cli = Cli {
        data: tmp.path(),
        keychain: Some(&keychain),
        env: vec![],
    };
    let url = moto.endpoint_url();

    let unknown = cli.fails(&add_args("aws", "AKIANOSUCHKEY0000000", &url), &format!("{secret}\n"));
    assert!(
        unknown.contains("error: AWS does not know the access key id \"AKIANOSUCHKEY0000000\""),
        "{unknown}"
    );
    let wrong = "WrongSecretWrongSecretWrongSecret0123456";
    let wrong_out = cli.fails(&add_args("aws", &key_id, &url), &format!("{wrong}\n"));
    assert!(
        wrong_out.contains(&format!(
            "error: the secret access key does not belong to the access key id \"{key_id}\": paste the secret again"
        )),
        "{wrong_out}"
    );
    for out in [&unknown, &wrong_out] {
        assert!(!out.contains(&secret) && !out.contains(wrong), "a secret in: {out}");
    }
    // Nothing was saved: no integration, nothing in the keychain.
    let list = cli.ok(&["integration", "list", "--json"], "");
    assert_eq!(list.trim(), "[]", "{list}");
    let db = std::fs::read(tmp.path().join(helium_bridge_core::datadir::DB_FILE)).unwrap();
    assert!(!contains(&db, secret.as_bytes()) && !contains(&db, wrong.as_bytes()));
}

#[test]
fn without_a_keychain_the_opt_in_credentials_file_is_used_and_must_be_private() {
    let ca = TestCa::new("cli file vault CA");
    let moto = Moto::start(&ca);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let bus_only = KeychainSession::bus_only();
    let no_keychain = Cli {
        data: &data,
        keychain: Some(&bus_only),
        env: vec![],
    };
    let url = moto.endpoint_url();
    let err = no_keychain.fails(&add_args("aws", KEY_ID, &url), &format!("{SECRET}\n"));
    assert!(
        err.contains("error: no OS keychain is available")
            && err.contains("HELIUM_AWS_BRIDGE_SECRETS_FILE=/absolute/path"),
        "{err}"
    );
    assert!(!err.contains(SECRET));
    assert_eq!(no_keychain.ok(&["integration", "list", "--json"], "").trim(), "[]");

    let file = tmp.path().join("secrets.json");
    let with_file = Cli {
        data: &data,
        keychain: Some(&bus_only),
        env: vec![("HELIUM_AWS_BRIDGE_SECRETS_FILE".into(), file.display().to_string())],
    };
    let out = with_file.ok(&add_args("aws", KEY_ID, &url), &format!("{SECRET}\n"));
    assert!(
        out.contains("its secret access key is in the credentials file"),
        "{out}"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let db = std::fs::read(data.join(helium_bridge_core::datadir::DB_FILE)).unwrap();
    assert!(!contains(&db, SECRET.as_bytes()));

    // New keys: checked, then swapped in the file (the old key's entry goes).
    let new_key = "AKIAE2ETESTKEY000002";
    let out = with_file.ok(
        &[
            "integration",
            "update",
            "aws",
            "--access-key-id",
            new_key,
            "--secret-stdin",
        ],
        "second/Secret+for-the-update-0123456789\n",
    );
    assert!(
        out.contains("keys checked with AWS") && out.contains("replaced the old one in the credentials file"),
        "{out}"
    );
    let entries = std::fs::read_to_string(&file).unwrap();
    assert!(entries.contains(new_key) && !entries.contains(KEY_ID), "{entries}");
    let show = with_file.ok(&["integration", "show", "aws"], "");
    assert!(show.contains(&format!("access key id: {new_key}")), "{show}");

    // A file others can read is refused, with what to do.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = with_file.fails(&["integration", "remove", "aws", "--keep-aws"], "");
    assert!(
        err.contains("its mode is 0644, so other users can read it; run `chmod 600"),
        "{err}"
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = with_file.ok(&["integration", "remove", "aws", "--keep-aws"], "");
    // Nothing was provisioned yet: nothing is left in AWS, and the report says so.
    assert!(
        out.contains("AWS was not touched; the bridge had created nothing there for it"),
        "{out}"
    );
    let left = std::fs::read_to_string(&file).unwrap();
    assert_eq!(left.trim(), "{}", "the secret left the file with its integration");
    // A clean-up names where the secret was: the file, not a keychain.
    with_file.ok(&add_args("aws2", KEY_ID, &url), &format!("{SECRET}\n"));
    let out = with_file.ok(&["integration", "remove", "aws2", "--cleanup-aws"], "");
    assert!(
        out.contains("cleaned up:\n") && out.contains("\n  the AWS secret access key in the credentials file\n"),
        "{out}"
    );
}

#[test]
fn from_keys_to_a_first_uplink_and_back_with_no_secret_in_any_file_log_or_crash_output() {
    let ca = TestCa::new("cli e2e CA");
    let moto = Moto::start(&ca);
    let keychain = KeychainSession::start();
    let helium = Mosquitto::plain();
    let aws = Mosquitto::tls(&ca);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let ca_file = tmp.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.cert_pem).unwrap();
    let cli = Cli {
        data: &data,
        keychain: Some(&keychain),
        env: vec![("RUST_BACKTRACE".into(), "1".into())],
    };
    let mut outputs = String::new();
    let helium_url = format!("mqtt://127.0.0.1:{}", helium.port);
    outputs += &cli.ok(
        &[
            "source",
            "add",
            "chirpstack",
            "helium",
            "--url",
            &helium_url,
            "--application-id",
            APP,
        ],
        "",
    );
    let endpoint = format!("127.0.0.1:{}", aws.port);
    let url = moto.endpoint_url();
    let mut add = add_args("aws", KEY_ID, &url);
    add.extend(["--endpoint", &endpoint, "--ca-file", ca_file.to_str().unwrap()]);
    let out = cli.ok(&add, &format!("{SECRET}\n"));
    assert!(
        out.contains("keys checked with AWS: account 123456789012") && out.contains("added integration \"aws\""),
        "{out}"
    );
    outputs += &out;
    let show = cli.ok(&["integration", "show", "aws"], "");
    assert!(show.contains(&format!("access key id: {KEY_ID}")), "{show}");
    outputs += &show;
    outputs += &cli.ok(&["label", "add", "fleet"], "");
    outputs += &cli.ok(&["label", "attach", "fleet", "--integration", "aws"], "");
    outputs += &cli.ok(&["label", "attach", "fleet", "--device", EUI], "");

    // "Provision now": thing, key, certificate, policy; each step shown.
    let out = cli.ok(&["integration", "provision", "aws"], "");
    assert!(out.contains("provisioned 1 device(s) for \"aws\"; 0 failed"), "{out}");
    for step in [
        "creating thing…",
        "certificate issued",
        "policy attached to the certificate",
    ] {
        assert!(out.contains(step), "{step:?} missing:\n{out}");
    }
    outputs += &out;
    // Again: nothing new is made.
    let again = cli.ok(&["integration", "provision", "aws"], "");
    assert!(!again.contains("certificate issued"), "{again}");
    outputs += &again;

    // What AWS receives.
    let rx = support::aws_observer(&ca, aws.port, "helium/uplinks");

    // The bridge runs with the crash drill armed: it panics once a device's AWS session is up.
    let log = tmp.path().join("run.log");
    let mut run = start_run(&cli, &log);
    let (publ, mut pub_conn) = Client::new(MqttOptions::new("publisher", "127.0.0.1", helium.port), 10);
    std::thread::spawn(move || for _ in pub_conn.iter() {});
    publ.publish(
        format!("application/{APP}/device/{EUI}/event/up"),
        QoS::AtLeastOnce,
        false,
        support::uplink(EUI, APP, 1, &uuid::Uuid::new_v4().to_string()),
    )
    .unwrap();
    let got = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| {
        panic!(
            "no uplink reached AWS; run log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        )
    });
    assert_eq!(got["dev_eui"], EUI.to_uppercase(), "{got}");
    support::wait_for_log(&log, "crash drill");
    support::signal(run.id(), 15);
    run.wait().unwrap();
    let run_log = std::fs::read_to_string(&log).unwrap();
    assert!(
        run_log.contains("panicked") && run_log.contains("crash drill"),
        "{run_log}"
    );
    let crash = std::fs::read_to_string(data.join("crash.log")).unwrap();
    assert!(crash.contains("crashed: ") && crash.contains("crash drill"), "{crash}");

    // The event store (what the monitor shows) has the provisioning steps.
    let events = helium_bridge_core::Core::open(&data)
        .unwrap()
        .store()
        .events_after(0, 100_000)
        .unwrap();
    let steps: Vec<&str> = events
        .iter()
        .filter(|e| e.kind == "provisioning")
        .map(|e| e.message.as_str())
        .collect();
    assert!(steps.contains(&"certificate issued"), "{steps:?}");
    let event_text = serde_json::to_vec(&events).unwrap();

    // Removing asks what to do with AWS; non-interactively it must be told.
    let err = cli.fails(&["integration", "remove", "aws"], "");
    assert!(
        err.contains("say --cleanup-aws to delete its things, certificates and policy there too, or --keep-aws"),
        "{err}"
    );
    // The device's private key, as the bridge holds it, to look for in clear.
    keychain.apply_env_to_this_process();
    let key_pem = private_key_in_clear(&data);

    let out = cli.ok(&["integration", "remove", "aws", "--cleanup-aws"], "");
    let device = helium_bridge_core::codec::device_id_for_dev_eui(EUI);
    // Under one heading, each removed item on a line of its own.
    let cleaned = out
        .split_once("cleaned up:\n")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    for removed in [
        format!("  thing {device}\n"),
        "  policy ".to_string(),
        "  the AWS secret access key in the OS keychain\n".to_string(),
    ] {
        assert!(cleaned.contains(&removed), "{removed:?} missing:\n{out}");
    }
    assert!(!out.contains("could not remove"), "{out}");
    outputs += &out;

    // Byte-wise: the data dir (SQLite, WAL, crash log), the run's log, every CLI output.
    let key_body: String = key_pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let needles: Vec<&[u8]> = vec![SECRET.as_bytes(), key_pem.as_bytes(), key_body.as_bytes()];
    let key_line = key_pem.lines().nth(1).unwrap().to_string();
    let mut scanned = vec![
        ("run log".to_string(), run_log.into_bytes()),
        ("CLI output".into(), outputs.into_bytes()),
        ("event store".into(), event_text),
    ];
    for entry in std::fs::read_dir(&data).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            scanned.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
    assert!(scanned
        .iter()
        .any(|(n, _)| n.ends_with(helium_bridge_core::datadir::DB_FILE)));
    for (name, bytes) in &scanned {
        for n in needles.iter().chain([&key_line.as_bytes()]) {
            assert!(!contains(bytes, n), "{name} holds a secret in clear");
        }
    }
}

fn private_key_in_clear(data: &Path) -> String {
    use helium_bridge_core::{vault, Core, KeyringVault};
    let core = Core::open(data).unwrap();
    let integration = core.store().find_integration("aws").unwrap();
    let device = helium_bridge_core::codec::device_id_for_dev_eui(EUI);
    let row = core
        .store()
        .get_device_identity(&integration.id, &device)
        .unwrap()
        .expect("the device was provisioned");
    let master = vault::master_key(&KeyringVault::default()).unwrap();
    let pem = vault::decrypt_private_key(&master, &format!("{}/{device}", integration.id), &row.key_enc).unwrap();
    assert!(pem.contains("PRIVATE KEY"));
    pem.to_string()
}

fn start_run(cli: &Cli<'_>, log: &Path) -> Child {
    let child = cli
        .cmd(&["run"])
        .env("HELIUM_AWS_BRIDGE_CRASH_DRILL", "connected")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    support::wait_for_log(log, "source \"helium\" connected");
    child
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}
