//! Throughput and added latency of the full bridge path (ChirpStack MQTT → outbox → per-device
//! AWS IoT session over TLS), against a minimal raw relay (subscribe → publish, same brokers,
//! same QoS 1, same TLS client certificates) run in the same process. Prints figures and the
//! ratio; it asserts nothing.
//!
//!     cargo bench -p helium-bridge-core --bench bridge_throughput

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use helium_bridge_core::bridge::{Bridge, BridgeOptions};
use helium_bridge_core::codec::device_id_for_dev_eui;
use helium_bridge_core::domain::{DeviceSeen, EndpointOverride, IntegrationKind, NewIntegration, SourceConfig};
use helium_bridge_core::{aws::DirectoryProvisioner, Core, KeyringVault};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, TlsConfiguration, Transport};
use serde_json::Value;
use test_harness::{ClientIdentity, Mosquitto, TestCa};

const DEVICES: usize = 20;
const LATENCY_MSGS: usize = 600;
const LATENCY_RATE: u64 = 200; // per second, well under the 100/s-per-device limit
const BURST_MSGS: usize = 4000;

type Sent = Arc<Mutex<HashMap<String, Instant>>>;

struct Figures {
    per_sec: f64,
    p50: Duration,
    p99: Duration,
}

fn tls(o: &mut MqttOptions, ca: &TestCa, id: &ClientIdentity) {
    o.set_transport(Transport::tls_with_config(TlsConfiguration::Simple {
        ca: ca.cert_pem.as_bytes().to_vec(),
        alpn: None,
        client_auth: Some((id.cert_pem.as_bytes().to_vec(), id.key_pem.as_bytes().to_vec())),
    }));
    o.set_max_packet_size(256 * 1024, 256 * 1024);
}

fn euis() -> Vec<String> {
    (0..DEVICES).map(|i| format!("b0000000000000{i:02x}")).collect()
}

fn uplink(template: &Value, eui: &str, n: usize, uuid: &str) -> Vec<u8> {
    let mut v = template.clone();
    v["deviceInfo"]["devEui"] = eui.into();
    v["fCnt"] = n.into();
    v["deduplicationId"] = uuid.into();
    serde_json::to_vec(&v).unwrap()
}

/// Subscribes to the AWS topic and records, per uuid, how long after sending it arrived.
async fn observer(aws: &Mosquitto, ca: &TestCa, sent: Sent) -> tokio::sync::mpsc::UnboundedReceiver<Duration> {
    let mut o = MqttOptions::new(format!("obs-{}", uuid::Uuid::new_v4().simple()), "127.0.0.1", aws.port);
    tls(&mut o, ca, &ca.client_identity("observer"));
    let (c, mut ev) = AsyncClient::new(o, 10_000);
    c.subscribe("#", QoS::AtLeastOnce).await.unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let _keep = c;
        loop {
            match ev.poll().await {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let uuid = match serde_json::from_slice::<Value>(&p.payload) {
                        Ok(v) => v["uuid"]
                            .as_str()
                            .or(v["deduplicationId"].as_str())
                            .unwrap_or_default()
                            .to_string(),
                        Err(_) => continue,
                    };
                    if let Some(t) = sent.lock().unwrap().remove(&uuid) {
                        let _ = tx.send(t.elapsed());
                    }
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    rx
}

/// Sends `n` uplinks (at `rate`/s, or as fast as possible) and collects their latencies.
async fn run_phase(
    helium: &Mosquitto,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Duration>,
    sent: &Sent,
    n: usize,
    rate: Option<u64>,
) -> Figures {
    let template: Value =
        serde_json::from_slice(include_bytes!("../../../tests/fixtures/chirpstack/reference.json")).unwrap();
    let (c, mut ev) = AsyncClient::new(
        MqttOptions::new(
            format!("pub-{}", uuid::Uuid::new_v4().simple()),
            "127.0.0.1",
            helium.port,
        ),
        10_000,
    );
    tokio::spawn(async move { while ev.poll().await.is_ok() {} });
    let euis = euis();
    let start = Instant::now();
    for i in 0..n {
        if let Some(r) = rate {
            tokio::time::sleep_until((start + Duration::from_micros(1_000_000 * i as u64 / r)).into()).await;
        }
        let eui = &euis[i % euis.len()];
        let uuid = uuid::Uuid::new_v4().to_string();
        sent.lock().unwrap().insert(uuid.clone(), Instant::now());
        c.publish(
            format!("application/app/device/{eui}/event/up"),
            QoS::AtLeastOnce,
            false,
            uplink(&template, eui, i, &uuid),
        )
        .await
        .unwrap();
    }
    let mut lat = Vec::with_capacity(n);
    while lat.len() < n {
        match tokio::time::timeout(Duration::from_secs(60), rx.recv()).await {
            Ok(Some(d)) => lat.push(d),
            _ => panic!("only {} of {n} messages arrived", lat.len()),
        }
    }
    let elapsed = start.elapsed();
    lat.sort();
    Figures {
        per_sec: n as f64 / elapsed.as_secs_f64(),
        p50: lat[n / 2],
        p99: lat[n * 99 / 100],
    }
}

/// The baseline: one subscriber, and one TLS connection per device that republishes as-is.
async fn raw_relay(helium: &Mosquitto, aws: &Mosquitto, ca: &TestCa) {
    let mut pubs = HashMap::new();
    for eui in euis() {
        let id = device_id_for_dev_eui(&eui);
        let mut o = MqttOptions::new(id.clone(), "127.0.0.1", aws.port);
        tls(&mut o, ca, &ca.client_identity(&id));
        o.set_inflight(100);
        let (c, mut ev) = AsyncClient::new(o, 10_000);
        tokio::spawn(async move { while ev.poll().await.is_ok() {} });
        pubs.insert(eui, c);
    }
    let (sub, mut ev) = AsyncClient::new(MqttOptions::new("relay-sub", "127.0.0.1", helium.port), 10_000);
    sub.subscribe("application/+/device/+/event/up", QoS::AtLeastOnce)
        .await
        .unwrap();
    tokio::spawn(async move {
        let _keep = sub;
        while let Ok(e) = ev.poll().await {
            if let Event::Incoming(Packet::Publish(p)) = e {
                let eui = p.topic.split('/').nth(3).unwrap_or_default().to_string();
                if let Some(c) = pubs.get(&eui) {
                    let _ = c
                        .publish("relay/uplinks", QoS::AtLeastOnce, false, p.payload.to_vec())
                        .await;
                }
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
}

async fn bridge(helium: &Mosquitto, aws: &Mosquitto, ca: &TestCa, dir: &std::path::Path) -> Bridge {
    let certs = dir.join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::write(dir.join("ca.pem"), &ca.cert_pem).unwrap();
    let core = Arc::new(Core::open(&dir.join("data")).unwrap());
    {
        let s = core.store();
        s.create_source(
            "helium",
            SourceConfig::ChirpstackMqtt {
                url: format!("mqtt://127.0.0.1:{}", helium.port),
                username: None,
                application_id: "+".into(),
                tls: Default::default(),
            },
        )
        .unwrap();
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
        for eui in euis() {
            let id = device_id_for_dev_eui(&eui);
            s.record_device_seen(&DeviceSeen {
                id: id.clone(),
                name: eui.clone(),
                dev_eui: eui.to_uppercase(),
                app_eui: None,
                devaddr: None,
                source: String::new(),
                application_id: None,
                seen_at_ms: 0,
            })
            .unwrap();
            s.attach_label_to_device(&l.id, &id).unwrap();
            let ident = ca.client_identity(&id);
            std::fs::write(certs.join(format!("{id}.cert.pem")), ident.cert_pem).unwrap();
            std::fs::write(certs.join(format!("{id}.key.pem")), ident.key_pem).unwrap();
        }
    }
    let b = Bridge::start(
        core,
        Arc::new(KeyringVault::default()),
        Arc::new(DirectoryProvisioner),
        BridgeOptions::default(),
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while b.connection_states().iter().filter(|s| s.connected).count() < DEVICES + 1 {
        assert!(
            Instant::now() < deadline,
            "bridge did not connect: {:?}",
            b.connection_states()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b
}

fn print(name: &str, latency: &Figures, burst: &Figures) {
    println!(
        "{name:<10} throughput {:>8.0} uplinks/s | latency at {LATENCY_RATE}/s: p50 {:>7.2} ms  p99 {:>7.2} ms",
        burst.per_sec,
        latency.p50.as_secs_f64() * 1e3,
        latency.p99.as_secs_f64() * 1e3
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for the list of tests; there are none.
    }
    let ca = TestCa::new("bench CA");
    let helium = Mosquitto::plain();
    let aws = Mosquitto::tls(&ca);
    let tmp = tempfile::tempdir().unwrap();
    println!(
        "{DEVICES} devices, QoS 1, TLS client certificates, loopback brokers; {BURST_MSGS} uplinks for throughput"
    );

    let sent: Sent = Arc::default();
    raw_relay(&helium, &aws, &ca).await;
    let mut rx = observer(&aws, &ca, sent.clone()).await;
    let raw_lat = run_phase(&helium, &mut rx, &sent, LATENCY_MSGS, Some(LATENCY_RATE)).await;
    let raw_burst = run_phase(&helium, &mut rx, &sent, BURST_MSGS, None).await;
    print("raw relay", &raw_lat, &raw_burst);
    drop(rx);

    // Fresh brokers of the same configuration for the bridge, so the relay's connections
    // (same client ids) cannot interfere.
    let helium2 = Mosquitto::plain();
    let aws2 = Mosquitto::tls(&ca);
    let b = bridge(&helium2, &aws2, &ca, tmp.path()).await;
    let sent: Sent = Arc::default();
    let mut rx = observer(&aws2, &ca, sent.clone()).await;
    let br_lat = run_phase(&helium2, &mut rx, &sent, LATENCY_MSGS, Some(LATENCY_RATE)).await;
    let br_burst = run_phase(&helium2, &mut rx, &sent, BURST_MSGS, None).await;
    print("bridge", &br_lat, &br_burst);
    println!(
        "ratio bridge/raw: throughput {:.2}x, p50 latency {:.2}x, p99 latency {:.2}x (the bridge commits each uplink to SQLite before acking its source and paces each AWS connection to 100 publishes/s)",
        br_burst.per_sec / raw_burst.per_sec,
        br_lat.p50.as_secs_f64() / raw_lat.p50.as_secs_f64(),
        br_lat.p99.as_secs_f64() / raw_lat.p99.as_secs_f64()
    );
    b.shutdown().await;
}
