//! A bridge wired to real brokers: mosquitto for the Helium side, mosquitto with TLS and
//! client certificates for AWS IoT, device certificates signed by the test CA.
#![allow(dead_code)]

pub mod moto;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use helium_bridge_core::bridge::{Bridge, BridgeOptions};
use helium_bridge_core::domain::{
    DeviceSeen, EndpointOverride, Integration, IntegrationKind, NewIntegration, SourceConfig,
};
use helium_bridge_core::events::Event;
use helium_bridge_core::{aws::DirectoryProvisioner, Core, KeyringVault};
use rumqttc::{AsyncClient, Event as MqttEvent, MqttOptions, Packet, QoS, TlsConfiguration, Transport};
use serde_json::Value;
use test_harness::{Mosquitto, TestCa};
use tokio::sync::mpsc;

pub const APP: &str = "17c82e96-be03-4f38-aef3-f83d48582d97";

pub struct Env {
    pub ca: TestCa,
    pub helium: Mosquitto,
    pub certs: tempfile::TempDir,
    pub data: tempfile::TempDir,
    pub core: Arc<Core>,
}

impl Env {
    pub fn new() -> Env {
        Self::with_lns(Mosquitto::plain())
    }

    /// With an LNS broker that keeps mosquitto's stock limits (20 in flight over MQTT 3.1.1,
    /// 1000 queued per client, then dropped), as users run it.
    pub fn with_stock_lns() -> Env {
        Self::with_lns(Mosquitto::plain_stock())
    }

    fn with_lns(helium: Mosquitto) -> Env {
        let data = tempfile::tempdir().unwrap();
        Env {
            ca: TestCa::new("bridge test CA"),
            helium,
            certs: tempfile::tempdir().unwrap(),
            core: Arc::new(Core::open(data.path()).unwrap()),
            data,
        }
    }

    pub fn aws_broker(&self) -> Mosquitto {
        Mosquitto::tls(&self.ca)
    }

    pub fn integration(&self, name: &str, topic: &str, aws: &Mosquitto) -> Integration {
        let ca_file = self.certs.path().join("aws-ca.pem");
        std::fs::write(&ca_file, &self.ca.cert_pem).unwrap();
        self.core
            .store()
            .create_integration(&NewIntegration {
                kind: IntegrationKind::AwsIotCore,
                name: name.into(),
                region: "us-east-1".into(),
                topic: topic.into(),
                endpoint: EndpointOverride {
                    host: Some("127.0.0.1".into()),
                    port: Some(aws.port),
                    ca_file: Some(ca_file.display().to_string()),
                    cert_dir: Some(self.certs.path().display().to_string()),
                    api_url: None,
                },
                forward_joins: false,
            })
            .unwrap()
    }

    pub fn chirpstack_source(&self) -> String {
        self.core
            .store()
            .create_source(
                "chirpstack",
                SourceConfig::ChirpstackMqtt {
                    url: format!("mqtt://127.0.0.1:{}", self.helium.port),
                    username: None,
                    application_id: "+".into(),
                    tls: Default::default(),
                },
            )
            .unwrap()
            .id
    }

    pub fn legacy_source(&self) -> String {
        self.core
            .store()
            .create_source(
                "legacy",
                SourceConfig::LegacyMqtt {
                    url: format!("mqtt://127.0.0.1:{}", self.helium.port),
                    username: None,
                    uplink_topic: "helium/+/rx".into(),
                    downlink_topic: "helium/{{device_id}}/tx".into(),
                    tls: Default::default(),
                },
            )
            .unwrap()
            .id
    }

    /// Registers a device (as if seen before), gives it a certificate, and labels it so it
    /// routes to `integrations`.
    pub fn device(&self, device_id: &str, dev_eui: &str, label: &str, integrations: &[&Integration]) {
        let store = self.core.store();
        store
            .record_device_seen(&DeviceSeen {
                id: device_id.into(),
                name: format!("dev-{dev_eui}"),
                dev_eui: dev_eui.to_uppercase(),
                ..Default::default()
            })
            .unwrap();
        let label_id = match store.list_labels().unwrap().into_iter().find(|l| l.name == label) {
            Some(l) => l.id,
            None => store.create_label(label).unwrap().id,
        };
        store.attach_label_to_device(&label_id, device_id).unwrap();
        for i in integrations {
            store.attach_label_to_integration(&label_id, &i.id).unwrap();
        }
        drop(store);
        self.device_cert(self.certs.path(), device_id);
    }

    pub fn device_cert(&self, dir: &Path, device_id: &str) {
        let id = self.ca.client_identity(device_id);
        std::fs::write(dir.join(format!("{device_id}.cert.pem")), id.cert_pem).unwrap();
        std::fs::write(dir.join(format!("{device_id}.key.pem")), id.key_pem).unwrap();
    }

    pub async fn start(&self) -> Bridge {
        let b = Bridge::start(
            self.core.clone(),
            Arc::new(KeyringVault::default()),
            Arc::new(DirectoryProvisioner),
            BridgeOptions::default(),
        )
        .await
        .unwrap();
        log_events(&b);
        wait_for_sources(&self.core, &b).await;
        b
    }
}

/// Waits until every source reports itself connected (subscribed, or listening).
pub async fn wait_for_sources(core: &Core, b: &Bridge) {
    let n = core.store().list_sources().unwrap().len();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while b
        .connection_states()
        .iter()
        .filter(|s| s.side == "source" && s.connected)
        .count()
        < n
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "sources did not connect: {:?}",
            b.connection_states()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `n` AWS sessions report themselves connected. A state, not an event: it holds
/// however late the test looks.
pub async fn wait_for_sessions(b: &Bridge, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let states = b.connection_states();
        if states.iter().filter(|s| s.side == "integration" && s.connected).count() >= n {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{n} AWS sessions did not connect: {states:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every event goes to stderr, which the test runner shows when a test fails.
pub fn log_events(b: &Bridge) {
    let mut rx = b.events().subscribe();
    tokio::spawn(async move {
        while let Ok(e) = rx.recv().await {
            eprintln!("event: {} {} {} {}", e.at_ms, e.kind, e.level, e.message);
        }
    });
}

/// An MQTT client that collects what arrives on `filter` (QoS1).
pub struct Observer {
    pub client: AsyncClient,
    pub rx: mpsc::UnboundedReceiver<(String, Vec<u8>)>,
}

impl Observer {
    pub async fn plain(broker: &Mosquitto, filter: &str) -> Observer {
        Self::start(
            MqttOptions::new(format!("obs-{}", uuid()), "127.0.0.1", broker.port),
            filter,
        )
        .await
    }

    pub async fn tls(broker: &Mosquitto, ca: &TestCa, filter: &str) -> Observer {
        let id = ca.client_identity("observer");
        let mut o = MqttOptions::new(format!("obs-{}", uuid()), "127.0.0.1", broker.port);
        o.set_transport(Transport::tls_with_config(TlsConfiguration::Simple {
            ca: ca.cert_pem.as_bytes().to_vec(),
            alpn: None,
            client_auth: Some((id.cert_pem.into_bytes(), id.key_pem.into_bytes())),
        }));
        Self::start(o, filter).await
    }

    /// An observer with a persistent session on a broker that keeps sessions across restarts
    /// ([`Mosquitto::tls_persistent`]): it stays subscribed through the broker's restart and
    /// receives what was published before it reconnected.
    pub async fn tls_persistent(broker: &Mosquitto, ca: &TestCa, filter: &str) -> Observer {
        let id = ca.client_identity("observer");
        let mut o = MqttOptions::new(format!("obs-{}", uuid()), "127.0.0.1", broker.port);
        o.set_clean_session(false);
        o.set_transport(Transport::tls_with_config(TlsConfiguration::Simple {
            ca: ca.cert_pem.as_bytes().to_vec(),
            alpn: None,
            client_auth: Some((id.cert_pem.into_bytes(), id.key_pem.into_bytes())),
        }));
        Self::start(o, filter).await
    }

    async fn start(mut o: MqttOptions, filter: &str) -> Observer {
        o.set_max_packet_size(256 * 1024, 256 * 1024);
        let (client, mut events) = AsyncClient::new(o, 1000);
        client.subscribe(filter, QoS::AtLeastOnce).await.unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let mut ready = Some(ready_tx);
        tokio::spawn(async move {
            loop {
                match events.poll().await {
                    Ok(MqttEvent::Incoming(Packet::SubAck(_))) => {
                        if let Some(r) = ready.take() {
                            let _ = r.send(());
                        }
                    }
                    Ok(MqttEvent::Incoming(Packet::Publish(p))) => {
                        if tx.send((p.topic.clone(), p.payload.to_vec())).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
        });
        tokio::time::timeout(Duration::from_secs(10), ready_rx)
            .await
            .expect("observer subscribed")
            .unwrap();
        Observer { client, rx }
    }

    pub async fn next(&mut self, timeout: Duration) -> Option<(String, Vec<u8>)> {
        tokio::time::timeout(timeout, self.rx.recv()).await.ok().flatten()
    }

    pub async fn next_json(&mut self, timeout: Duration) -> (String, Value) {
        let (t, p) = self.next(timeout).await.expect("a message within the timeout");
        (
            t,
            serde_json::from_slice(&p).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&p))),
        )
    }

    /// Asserts nothing arrives for `d`.
    pub async fn expect_silence(&mut self, d: Duration) {
        if let Some((t, p)) = self.next(d).await {
            panic!("unexpected message on {t}: {}", String::from_utf8_lossy(&p));
        }
    }

    pub async fn publish(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload.into())
            .await
            .unwrap();
    }
}

pub fn uuid() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

/// Waits for the first event matching `pred`.
pub async fn wait_event(
    rx: &mut tokio::sync::broadcast::Receiver<Event>,
    timeout: Duration,
    pred: impl Fn(&Event) -> bool,
) -> Event {
    tokio::time::timeout(timeout, async {
        loop {
            match rx.recv().await {
                Ok(e) if pred(&e) => return e,
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("event bus closed: {e}"),
            }
        }
    })
    .await
    .expect("the expected event within the timeout")
}

/// The reference ChirpStack uplink's device, registered with `label` on `integrations`: the
/// uplink as ChirpStack sends it, its DevEUI and the device's id.
pub fn reference_device(env: &Env, label: &str, integrations: &[&Integration]) -> (Vec<u8>, String, String) {
    let raw = fixture("chirpstack/reference.json");
    let eui = dev_eui_of(&raw);
    let id = helium_bridge_core::codec::device_id_for_dev_eui(&eui);
    env.device(&id, &eui, label, integrations);
    (raw, eui, id)
}

/// The DevEUI of a ChirpStack event.
pub fn dev_eui_of(raw: &[u8]) -> String {
    let v: Value = serde_json::from_slice(raw).unwrap();
    v["deviceInfo"]["devEui"].as_str().unwrap().to_string()
}

pub fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(test_harness::repo_root().join("tests/fixtures").join(path)).unwrap()
}

/// The reference ChirpStack uplink for another device, frame counter and deduplication id.
pub fn uplink(eui: &str, fcnt: u32, uuid: &str) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(&fixture("chirpstack/reference.json")).unwrap();
    v["deviceInfo"]["devEui"] = Value::String(eui.into());
    v["fCnt"] = fcnt.into();
    v["deduplicationId"] = Value::String(uuid.into());
    serde_json::to_vec(&v).unwrap()
}

/// Waits for the first item of the monitor's live stream matching `pred`.
pub async fn next_live(
    rx: &mut tokio::sync::broadcast::Receiver<helium_bridge_core::monitor::Live>,
    timeout: Duration,
    pred: impl Fn(&helium_bridge_core::monitor::Live) -> bool,
) -> helium_bridge_core::monitor::Live {
    tokio::time::timeout(timeout, async {
        loop {
            match rx.recv().await {
                Ok(l) if pred(&l) => return l,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("monitor closed: {e}"),
            }
        }
    })
    .await
    .expect("the expected live item within the timeout")
}

/// Waits for the first live message matching `pred`.
pub async fn next_message(
    rx: &mut tokio::sync::broadcast::Receiver<helium_bridge_core::monitor::Live>,
    timeout: Duration,
    pred: impl Fn(&helium_bridge_core::monitor::Message) -> bool,
) -> Arc<helium_bridge_core::monitor::Message> {
    use helium_bridge_core::monitor::Live;
    match next_live(rx, timeout, |l| matches!(l, Live::Message(m) if pred(m))).await {
        Live::Message(m) => m,
        Live::Seen(_) => unreachable!("the predicate takes messages only"),
    }
}
