//! The CLI beside a running bridge: while `helium-aws-bridge run` holds the data directory,
//! `label`, `source`, `integration` and `device` commands go to it over its control socket,
//! and it applies each change at once (no restart): a device starts or stops being piped.

use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use rumqttc::{Client, MqttOptions, QoS};
use test_harness::{Mosquitto, TestCa};

mod support;

const BIN: &str = env!("CARGO_BIN_EXE_helium-aws-bridge");

struct Setup {
    _tmp: tempfile::TempDir,
    data: std::path::PathBuf,
    log: std::path::PathBuf,
}

impl Setup {
    /// The CLI on this data directory, with no keychain (as beside a headless `run`).
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--data-dir")
            .arg(&self.data)
            .args(args)
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdin(Stdio::null());
        c
    }

    fn cli(&self, args: &[&str]) -> String {
        let o = self.command(args).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// A command that fails (a secret the running bridge cannot keep): its error.
    fn fails_with_secrets_file(&self, args: &[&str]) -> String {
        let o = self
            .command(args)
            .env("HELIUM_AWS_BRIDGE_SECRETS_FILE", self.data.with_file_name("secrets"))
            .env("BROKER_PW", "s3cret")
            .output()
            .unwrap();
        assert!(!o.status.success(), "{args:?} succeeded");
        String::from_utf8_lossy(&o.stderr).into_owned()
    }

    /// What a command that fails says.
    fn fails(&self, args: &[&str]) -> String {
        let o = self.command(args).output().unwrap();
        assert!(!o.status.success(), "{args:?} succeeded");
        String::from_utf8_lossy(&o.stderr).into_owned()
    }

    /// Runs `args` until its output passes `ok` (the history is written beside the bridge's
    /// work, a moment after it); the output then.
    fn cli_until(&self, args: &[&str], ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = self.cli(args);
            if ok(&out) {
                return out;
            }
            assert!(
                Instant::now() < deadline,
                "{args:?} never gave what was awaited:\n{out}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What a command that succeeds says on stderr (its notes).
    fn stderr_of(&self, args: &[&str]) -> String {
        let o = self.command(args).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).into_owned()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the run log (its events) has `text` at least `n` times.
    fn wait_log(&self, text: &str, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.log().matches(text).count() < n {
            assert!(
                Instant::now() < deadline,
                "{text:?} ×{n} not in the log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A command left running, killed if the test fails before it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The lines a command prints, as they come.
fn lines(out: std::process::ChildStdout) -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// The next printed line that passes `ok` (the others are skipped).
fn next_line(printed: &Receiver<String>, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match printed.recv_timeout(left) {
            Ok(line) if ok(&line) => return line,
            Ok(_) => {}
            Err(e) => panic!("the awaited line was not printed ({e})"),
        }
    }
}

/// The next uplink AWS receives for `uuid` (others, e.g. late ones, are skipped).
fn arrives(observed: &Receiver<serde_json::Value>, uuid: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let v = observed
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("uplink {uuid} did not reach AWS"));
        if v["uuid"] == uuid {
            return;
        }
    }
}

#[test]
fn cli_changes_reach_a_running_bridge_at_once() {
    let ca = TestCa::new("beside-run CA");
    let helium = Mosquitto::plain();
    let mut aws = Mosquitto::tls(&ca);
    let tmp = tempfile::tempdir().unwrap();
    let s = Setup {
        data: tmp.path().join("data"),
        log: tmp.path().join("run.log"),
        _tmp: tmp,
    };
    let (e1, e2, e3) = ("c000000000000001", "c000000000000002", "c000000000000003");
    let add_integration = support::hand_made_integration(s._tmp.path(), &ca, aws.port, &[e1, e2, e3]);
    let url = format!("mqtt://127.0.0.1:{}", helium.port);
    // Before the bridge runs: this process holds the data directory itself.
    s.cli(&[
        "source",
        "add",
        "chirpstack",
        "helium",
        "--url",
        &url,
        "--application-id",
        "00000000-0000-4000-8000-000000000001",
    ]);
    s.cli(&add_integration.iter().map(String::as_str).collect::<Vec<_>>());
    s.cli(&["label", "add", "fleet"]);
    s.cli(&["label", "attach", "fleet", "--integration", "aws"]);
    s.cli(&["label", "attach", "fleet", "--device", e1]);

    let observed = support::aws_observer(&ca, aws.port, "helium/uplinks");
    let (publ, mut conn) = Client::new(MqttOptions::new("publisher", "127.0.0.1", helium.port), 100);
    std::thread::spawn(move || for _ in conn.iter() {});
    let send = |app: &str, eui: &str, n: u32| {
        let uuid = uuid::Uuid::new_v4().to_string();
        publ.publish(
            format!("application/{app}/device/{eui}/event/up"),
            QoS::AtLeastOnce,
            false,
            support::uplink(eui, app, n, &uuid),
        )
        .unwrap();
        uuid
    };

    // Watching AWS takes a running bridge: the command says how to start one (and with none,
    // there is no watch to stop).
    let e = s.fails(&["integration", "watch", "aws"]);
    assert!(
        e.contains(
            "the bridge is not running (start the desktop app, or `helium-aws-bridge run`, on this data directory)"
        ),
        "{e}"
    );
    assert_eq!(
        s.cli(&["integration", "watch", "aws", "--off"]),
        "AWS is not watched for integration \"aws\"\n"
    );

    let mut run: Child = Command::new(BIN)
        .arg("--data-dir")
        .arg(&s.data)
        .arg("run")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&s.log).unwrap())
        .spawn()
        .unwrap();
    s.wait_log("source \"helium\" connected", 1);
    arrives(&observed, &send("00000000-0000-4000-8000-000000000001", e1, 1));

    // Labels: a new label links a new device and the integration; its uplinks flow at once.
    assert!(s.cli(&["status"]).contains("in use by:      a running bridge"));
    // A secret goes to the running bridge's keychain (it has none): this command's credentials
    // file has no say, and the error says so.
    let e = s.fails_with_secrets_file(&[
        "source",
        "add",
        "chirpstack",
        "with-password",
        "--url",
        "mqtt://127.0.0.1:1",
        "--username",
        "u",
        "--secret-env",
        "BROKER_PW",
    ]);
    assert!(e.contains("no OS keychain is available"), "{e}");
    assert!(
        e.contains("The bridge already running (the desktop app or `run`) was asked to make this change, with its keychain: set HELIUM_AWS_BRIDGE_SECRETS_FILE where it starts, and restart it"),
        "{e}"
    );
    assert!(!e.contains("s3cret"), "{e}");

    // A downlink and a test uplink from the command line, through the running bridge.
    let commands = test_harness::lns_observer(helium.port, "application/+/device/+/command/down");
    let out = s.cli(&["device", "downlink", e1, "--payload", "01 02 ff", "--port", "2"]);
    assert!(out.starts_with("downlink queued for "), "{out}");
    let down = commands
        .recv_timeout(Duration::from_secs(30))
        .expect("a downlink on the LNS");
    assert_eq!(
        (down["fPort"].as_u64(), down["data"].as_str()),
        (Some(2), Some("AQL/")),
        "{down}"
    );
    let out = s.cli(&["device", "simulate", e1, "--payload", "AQID", "--base64", "--port", "3"]);
    assert!(
        out.ends_with("queued for 1 integration(s), marked \"simulated\": true\n"),
        "{out}"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let v = observed.recv_timeout(left).expect("the simulated uplink reached AWS");
        if v["metadata"]["simulated"] == true {
            assert_eq!(
                (v["payload"].as_str(), v["port"].as_u64()),
                (Some("AQID"), Some(3)),
                "{v}"
            );
            break;
        }
    }
    // The running bridge's health: its session is up (the uplink reached AWS through it).
    let show = s.cli(&["integration", "show", "aws"]);
    assert!(
        show.lines().any(|l| l.starts_with("AWS:")
            && l.contains(" connected (1 of 1 session(s)); ")
            && l.ends_with(" uplink(s) delivered since the bridge started")),
        "{show}"
    );
    s.cli(&["label", "add", "second"]);
    s.cli(&["label", "attach", "second", "--device", e2]);
    s.cli(&["label", "attach", "second", "--integration", "aws"]);
    arrives(&observed, &send("00000000-0000-4000-8000-000000000001", e2, 1));

    // Detached: the device's next uplink is not forwarded; attached again: it is.
    s.cli(&["label", "detach", "fleet", "--device", e1]);
    let not_forwarded = "not forwarded: no active integration shares a label";
    let before = s.log().matches(not_forwarded).count();
    send("00000000-0000-4000-8000-000000000001", e1, 2);
    s.wait_log(not_forwarded, before + 1);
    s.cli(&["label", "attach", "fleet", "--device", e1]);
    arrives(&observed, &send("00000000-0000-4000-8000-000000000001", e1, 3));

    // A source added while running starts at once.
    s.cli(&[
        "source",
        "add",
        "chirpstack",
        "second-lns",
        "--url",
        &url,
        "--application-id",
        "00000000-0000-4000-8000-000000000002",
    ]);
    s.wait_log("source \"second-lns\" connected", 1);
    s.cli(&["label", "attach", "fleet", "--device", e3]);
    arrives(&observed, &send("00000000-0000-4000-8000-000000000002", e3, 1));

    // Reads beside the running bridge; integration settings change through it.
    let devices: serde_json::Value = serde_json::from_str(&s.cli(&["device", "list", "--json"])).unwrap();
    assert_eq!(devices.as_array().unwrap().len(), 3, "{devices}");
    s.cli(&["integration", "update", "aws", "--forward-joins", "on"]);
    let shown: serde_json::Value = serde_json::from_str(&s.cli(&["integration", "show", "aws", "--json"])).unwrap();
    assert_eq!(shown["forward_joins"], true, "{shown}");
    assert!(s.cli(&["label", "list"]).contains("second"));
    // So does the history's retention (the running bridge's history prunes by it).
    assert_eq!(
        s.cli(&["history", "retention", "--max-mb", "200"]),
        "messages are kept 7 day(s), at most 200 MiB (the oldest go first)\n"
    );

    // Watch AWS: uplinks AWS received are marked in the history; one from before is not.
    let before_watch = send("00000000-0000-4000-8000-000000000001", e1, 4);
    arrives(&observed, &before_watch);
    let shown: serde_json::Value = serde_json::from_str(&s.cli(&["integration", "show", "aws", "--json"])).unwrap();
    let monitor = format!("helium-bridge-monitor-{}", shown["id"].as_str().unwrap());
    let ident = ca.client_identity(&monitor);
    let certs = s._tmp.path().join("certs");
    std::fs::write(certs.join(format!("{monitor}.cert.pem")), ident.cert_pem).unwrap();
    std::fs::write(certs.join(format!("{monitor}.key.pem")), ident.key_pem).unwrap();
    // (Asked again while it connects: asking is harmless, and a slow machine may need longer.)
    let watching = format!("watching AWS for integration \"aws\" as {monitor}: ");
    let out = s.cli_until(&["integration", "watch", "aws"], |o| o.starts_with(&watching));
    assert!(
        out.ends_with(
            " uplink(s) arrived on helium/uplinks and 0 downlink(s) on helium/devices/+/down since the watch started\n"
        ),
        "{out}"
    );
    let show = s.cli(&["integration", "show", "aws"]);
    assert!(
        show.lines()
            .any(|l| l.starts_with("watch AWS:") && l.contains(&format!(" watching as {monitor}: "))),
        "{show}"
    );
    let watched = send("00000000-0000-4000-8000-000000000001", e1, 5);
    arrives(&observed, &watched);
    // The uplinks' rows in the history, newest first; the one with `uuid`.
    let uplinks = || s.cli(&["history", "search", "--kind", "uplink", "--json"]);
    let find = |rows: &str, uuid: &str| {
        rows.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|r| r["uuid"] == uuid)
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let seen = loop {
        // (Written by the history beside the bridge's work: its row may be a moment behind.)
        let rows = uplinks();
        match find(&rows, &watched) {
            Some(row) if row["seen_ms"].is_i64() => break row,
            _ => assert!(
                Instant::now() < deadline,
                "the watched uplink was never seen on AWS:\n{rows}"
            ),
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let detail = s.cli(&["history", "show", &seen["id"].to_string()]);
    assert!(
        detail
            .lines()
            .any(|l| l.starts_with("seen on AWS:") && l.ends_with(" ms after the bridge took it in)")),
        "{detail}"
    );
    let rows = uplinks();
    let unseen = find(&rows, &before_watch).unwrap_or_else(|| panic!("{before_watch} is not in the history:\n{rows}"));
    assert!(unseen["seen_ms"].is_null(), "{unseen}");
    let detail = s.cli(&["history", "show", &unseen["id"].to_string()]);
    assert!(
        detail.contains(
            "seen on AWS: not yet (uplinks AWS receives are marked while it is watched: `helium-aws-bridge integration watch \"aws\"`)"
        ),
        "{detail}"
    );
    let table = s.cli(&["history", "search", "--kind", "uplink", "--limit", "3"]);
    assert!(table.lines().next().unwrap().contains(" SEEN ON AWS "), "{table}");
    assert!(
        table.lines().any(|l| l.contains(" after ") && l.contains(" ms ")),
        "{table}"
    );
    // Asked again, it says what arrived (counted before the history marks it).
    let out = s.cli(&["integration", "watch", "aws"]);
    assert!(
        out.starts_with(&watching) && !out.contains(": 0 uplink(s) arrived"),
        "{out}"
    );
    // Followed (the watch goes on): each uplink is printed as AWS receives it, with its id in the history; the
    // follow ends when the watch is stopped.
    let mut follow = Killed(
        s.command(&["integration", "watch", "aws", "--follow"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let printed = lines(follow.0.stdout.take().unwrap());
    next_line(&printed, |l| l.starts_with(&watching));
    let followed = send("00000000-0000-4000-8000-000000000001", e1, 6);
    let line = next_line(&printed, |l| l.contains(&followed));
    assert!(
        line.contains("  uplink  ")
            && line.contains(" arrived on helium/uplinks ")
            && line.contains(" ms after the bridge took it in"),
        "{line}"
    );
    let id = line.split("  #").nth(1).and_then(|r| r.split(' ').next()).unwrap();
    assert!(s.cli(&["history", "show", id]).contains(&followed), "{line}");
    // And a downlink someone publishes through AWS.
    let devices: serde_json::Value = serde_json::from_str(&s.cli(&["device", "list", "--json"])).unwrap();
    let device = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["dev_eui"].as_str().unwrap().eq_ignore_ascii_case(e1));
    let device = device.unwrap()["id"].clone();
    let down = format!("helium/devices/{}/down", device.as_str().unwrap());
    let body = br#"{"payload_raw":"AQI=","port":2}"#;
    test_harness::Publisher::connect_tls(&ca, aws.port).publish(&down, body.to_vec());
    let line = next_line(&printed, |l| l.contains("  downlink  "));
    assert!(
        line.ends_with(&format!(" published on {down} ({} B)", body.len())),
        "{line}"
    );
    assert_eq!(
        s.cli(&["integration", "watch", "aws", "--off"]),
        "stopped watching AWS for integration \"aws\"\n"
    );
    next_line(&printed, |l| l.starts_with("the watch of integration \"aws\" stopped"));
    assert!(follow.0.wait().unwrap().success());
    assert_eq!(
        s.cli(&["integration", "watch", "aws", "--off"]),
        "AWS is not watched for integration \"aws\"\n"
    );
    let show = s.cli(&["integration", "show", "aws"]);
    assert!(
        show.lines().any(|l| l.starts_with("watch AWS:") && l.ends_with(" off")),
        "{show}"
    );

    // AWS down: a simulated uplink is queued, and the command says AWS does not take it now.
    aws.stop();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !s.cli(&["integration", "list"]).contains(" failing ") {
        assert!(Instant::now() < deadline, "the integration never showed failing");
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = s.cli(&["device", "simulate", e1, "--payload", "01"]);
    assert!(out.contains("queued for 1 integration(s)"), "{out}");
    let note = s.stderr_of(&["device", "simulate", e1, "--payload", "02"]);
    assert!(note.contains("integration \"aws\": failing: "), "{note}");

    support::signal(run.id(), 15);
    assert!(run.wait().unwrap().success(), "{}", s.log());
}
