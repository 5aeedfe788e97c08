//! `helium-aws-bridge run` killed with SIGKILL mid-stream and started again: every uplink the
//! Helium broker delivered reaches AWS IoT.

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rumqttc::{Client, Event, MqttOptions, Packet, QoS, TlsConfiguration, Transport};
use test_harness::{Mosquitto, TestCa};

const BIN: &str = env!("CARGO_BIN_EXE_helium-aws-bridge");
const APP: &str = "app-1";

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
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(log)
        .unwrap_or_default()
        .contains("source \"helium\" connected")
    {
        assert!(
            Instant::now() < deadline,
            "run did not connect its source:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn uplink(eui: &str, n: u32, uuid: &str) -> Vec<u8> {
    let raw = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/chirpstack/reference.json"),
    )
    .unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    v["deviceInfo"]["devEui"] = eui.into();
    v["deviceInfo"]["applicationId"] = APP.into();
    v["fCnt"] = n.into();
    v["deduplicationId"] = uuid.into();
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn sigkill_mid_stream_then_restart_loses_no_uplink() {
    let ca = TestCa::new("kill test CA");
    let helium = Mosquitto::plain();
    let aws = Mosquitto::tls(&ca);
    let tmp = tempfile::tempdir().unwrap();
    let (data, certs) = (tmp.path().join("data"), tmp.path().join("certs"));
    std::fs::create_dir_all(&certs).unwrap();
    let ca_file = tmp.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.cert_pem).unwrap();
    let euis = ["a000000000000001", "a000000000000002", "a000000000000003"];
    for eui in euis {
        let id = helium_bridge_core::codec::device_id_for_dev_eui(eui);
        let ident = ca.client_identity(&id);
        std::fs::write(certs.join(format!("{id}.cert.pem")), ident.cert_pem).unwrap();
        std::fs::write(certs.join(format!("{id}.key.pem")), ident.key_pem).unwrap();
    }
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
    let endpoint = format!("127.0.0.1:{}", aws.port);
    cli(
        &data,
        &[
            "integration",
            "add",
            "aws",
            "--region",
            "us-east-1",
            "--topic",
            "helium/uplinks",
            "--endpoint",
            &endpoint,
            "--ca-file",
            ca_file.to_str().unwrap(),
            "--cert-dir",
            certs.to_str().unwrap(),
        ],
    );
    cli(&data, &["label", "add", "fleet"]);
    cli(&data, &["label", "attach", "fleet", "--integration", "aws"]);
    for eui in euis {
        cli(&data, &["label", "attach", "fleet", "--device", eui]);
    }

    // What AWS receives.
    let id = ca.client_identity("observer");
    let mut o = MqttOptions::new("observer", "127.0.0.1", aws.port);
    o.set_transport(Transport::tls_with_config(TlsConfiguration::Simple {
        ca: ca.cert_pem.as_bytes().to_vec(),
        alpn: None,
        client_auth: Some((id.cert_pem.into_bytes(), id.key_pem.into_bytes())),
    }));
    o.set_max_packet_size(256 * 1024, 256 * 1024);
    let (obs, mut obs_conn) = Client::new(o, 100);
    obs.subscribe("helium/uplinks", QoS::AtLeastOnce).unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for ev in obs_conn.iter() {
            if let Ok(Event::Incoming(Packet::Publish(p))) = ev {
                let v: serde_json::Value = serde_json::from_slice(&p.payload).unwrap();
                if tx.send(v["uuid"].as_str().unwrap().to_string()).is_err() {
                    return;
                }
            }
        }
    });

    // The Helium side publishes 300 uplinks; the bridge is killed after ~100.
    let (publ, mut pub_conn) = Client::new(MqttOptions::new("publisher", "127.0.0.1", helium.port), 1000);
    std::thread::spawn(move || for _ in pub_conn.iter() {});
    let log = tmp.path().join("run.log");
    let mut run = start_run(&data, &log);
    let mut sent = Vec::new();
    for n in 0..300u32 {
        if n == 100 {
            // Let some be in flight, then kill -9.
            std::thread::sleep(Duration::from_millis(50));
            unsafe { libc_kill(run.id() as i32, 9) };
            run.wait().unwrap();
        }
        let eui = euis[n as usize % euis.len()];
        let uuid = uuid::Uuid::new_v4().to_string();
        publ.publish(
            format!("application/{APP}/device/{eui}/event/up"),
            QoS::AtLeastOnce,
            false,
            uplink(eui, n, &uuid),
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
    unsafe { libc_kill(run.id() as i32, 15) };
    let status = run.wait().unwrap();
    assert!(status.success(), "run exits 0 on SIGTERM: {status:?}");
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}
