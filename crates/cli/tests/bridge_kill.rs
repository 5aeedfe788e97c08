//! `helium-aws-bridge run` killed with SIGKILL mid-stream and started again: every uplink the
//! Helium broker delivered reaches AWS IoT.

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rumqttc::{Client, MqttOptions, QoS};
use test_harness::{Mosquitto, TestCa};

mod support;

const BIN: &str = env!("CARGO_BIN_EXE_helium-aws-bridge");
const APP: &str = "00000000-0000-4000-8000-000000000001";

fn cli(dir: &std::path::Path, args: &[&str]) {
    let o = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .unwrap();
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

fn start_run(dir: &std::path::Path, log: &std::path::Path) -> Child {
    let child = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .arg("run")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    support::wait_for_log(log, "source \"helium\" connected");
    child
}

#[test]
fn sigkill_mid_stream_then_restart_loses_no_uplink() {
    let ca = TestCa::new("kill test CA");
    let helium = Mosquitto::plain();
    let aws = Mosquitto::tls(&ca);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let euis = ["a000000000000001", "a000000000000002", "a000000000000003"];
    let add_integration = support::hand_made_integration(tmp.path(), &ca, aws.port, &euis);
    let helium_url = format!("mqtt://127.0.0.1:{}", helium.port);
    cli(
        &data,
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
    );
    let args: Vec<&str> = add_integration.iter().map(String::as_str).collect();
    cli(&data, &args);
    cli(&data, &["label", "add", "fleet"]);
    cli(&data, &["label", "attach", "fleet", "--integration", "aws"]);
    for eui in euis {
        cli(&data, &["label", "attach", "fleet", "--device", eui]);
    }

    // What AWS receives.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let observed = support::aws_observer(&ca, aws.port, "helium/uplinks");
    std::thread::spawn(move || {
        for v in observed {
            if tx.send(v["uuid"].as_str().unwrap().to_string()).is_err() {
                return;
            }
        }
    });

    // The Helium side publishes 300 uplinks; the bridge is killed after ~100.
    let (publ, mut pub_conn) = Client::new(MqttOptions::new("publisher", "127.0.0.1", helium.port), 1000);
    std::thread::spawn(move || for _ in pub_conn.iter() {});
    let log = tmp.path().join("run.log");
    // (Waited for once it is killed, at the 100th uplink.)
    #[allow(clippy::zombie_processes)]
    let mut run = start_run(&data, &log);
    let mut sent = Vec::new();
    for n in 0..300u32 {
        if n == 100 {
            // Let some be in flight, then kill -9.
            std::thread::sleep(Duration::from_millis(50));
            support::signal(run.id(), 9);
            run.wait().unwrap();
        }
        let eui = euis[n as usize % euis.len()];
        let uuid = uuid::Uuid::new_v4().to_string();
        publ.publish(
            format!("application/{APP}/device/{eui}/event/up"),
            QoS::AtLeastOnce,
            false,
            support::uplink(eui, APP, n, &uuid),
        )
        .unwrap();
        sent.push(uuid);
        std::thread::sleep(Duration::from_millis(2));
    }
    let mut run = start_run(&data, &tmp.path().join("run2.log"));

    let want: HashSet<String> = sent.iter().cloned().collect();
    let mut got = HashSet::new();
    let mut copies = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while got.len() < want.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(u) => {
                copies += 1;
                assert!(want.contains(&u), "an uplink nobody sent: {u}");
                got.insert(u);
            }
            Err(_) => panic!(
                "only {} of {} uplinks reached AWS after the kill and restart; run log:\n{}",
                got.len(),
                want.len(),
                std::fs::read_to_string(tmp.path().join("run2.log")).unwrap_or_default()
            ),
        }
    }
    eprintln!(
        "{} uplinks arrived as {copies} messages (QoS1 allows redelivery after a kill)",
        got.len()
    );
    support::signal(run.id(), 15);
    let status = run.wait().unwrap();
    assert!(status.success(), "run exits 0 on SIGTERM: {status:?}");
}
