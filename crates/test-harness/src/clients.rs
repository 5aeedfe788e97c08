//! MQTT clients tests use on the brokers: an observer on the AWS-side TLS broker, a plain
//! subscriber and publisher on the LNS broker, and ChirpStack uplinks from the reference fixture.

use std::sync::mpsc;

use rumqttc::{Client, Event, MqttOptions, Packet, QoS, TlsConfiguration, Transport};

use crate::TestCa;

/// Subscribes to `topic` on the TLS broker at `port` with a certificate from `ca`; every
/// message arrives on the returned channel as JSON.
pub fn aws_observer(ca: &TestCa, port: u16, topic: &str) -> mpsc::Receiver<serde_json::Value> {
    // One client id per observer, so two in one test don't take each other's session.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = format!("observer-{}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let id = ca.client_identity(&name);
    let mut o = MqttOptions::new(name, "127.0.0.1", port);
    o.set_transport(Transport::tls_with_config(TlsConfiguration::Simple {
        ca: ca.cert_pem.as_bytes().to_vec(),
        alpn: None,
        client_auth: Some((id.cert_pem.into_bytes(), id.key_pem.into_bytes())),
    }));
    o.set_max_packet_size(256 * 1024, 256 * 1024);
    // A persistent session: across a restart of a persistent broker, what was published while
    // the observer was away is kept for it.
    o.set_clean_session(false);
    subscribe(o, topic)
}

/// Subscribes to `topic` on the plain broker at `port` (the LNS side); messages as JSON.
pub fn lns_observer(port: u16, topic: &str) -> mpsc::Receiver<serde_json::Value> {
    subscribe(MqttOptions::new("lns-observer", "127.0.0.1", port), topic)
}

fn subscribe(o: MqttOptions, topic: &str) -> mpsc::Receiver<serde_json::Value> {
    let (obs, mut conn) = Client::new(o, 100);
    obs.subscribe(topic, QoS::AtLeastOnce).unwrap();
    let (tx, rx) = mpsc::channel();
    let (subscribed_tx, subscribed) = mpsc::channel();
    std::thread::spawn(move || {
        let _keep = obs;
        for ev in conn.iter() {
            match ev {
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    let _ = subscribed_tx.send(());
                }
                Ok(Event::Incoming(Packet::Publish(p)))
                    if tx.send(serde_json::from_slice(&p.payload).unwrap()).is_err() =>
                {
                    return;
                }
                // The broker went away: rumqttc reconnects on the next poll; not in a busy loop.
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
                _ => {}
            }
        }
    });
    // Only once subscribed can a test rely on seeing what is published next.
    subscribed
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the observer subscribed");
    rx
}

/// A publisher on the plain broker at `port`; each publish is QoS 1.
pub struct Publisher {
    client: Client,
}

impl Publisher {
    pub fn connect(port: u16) -> Publisher {
        Self::with(MqttOptions::new("publisher", "127.0.0.1", port))
    }

    /// A publisher on the TLS broker at `port` (the AWS side), e.g. someone sending a downlink.
    pub fn connect_tls(ca: &TestCa, port: u16) -> Publisher {
        let id = ca.client_identity("aws-publisher");
        let mut o = MqttOptions::new("aws-publisher", "127.0.0.1", port);
        o.set_transport(Transport::tls_with_config(TlsConfiguration::Simple {
            ca: ca.cert_pem.as_bytes().to_vec(),
            alpn: None,
            client_auth: Some((id.cert_pem.into_bytes(), id.key_pem.into_bytes())),
        }));
        Self::with(o)
    }

    fn with(o: MqttOptions) -> Publisher {
        let (client, mut conn) = Client::new(o, 10);
        std::thread::spawn(move || for _ in conn.iter() {});
        Publisher { client }
    }

    pub fn publish(&self, topic: &str, payload: Vec<u8>) {
        self.client.publish(topic, QoS::AtLeastOnce, false, payload).unwrap();
    }
}

/// The reference ChirpStack uplink for another device, application, frame counter and
/// deduplication id.
pub fn uplink(eui: &str, app: &str, fcnt: u32, uuid: &str) -> Vec<u8> {
    let raw = std::fs::read(crate::repo_root().join("tests/fixtures/chirpstack/reference.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    v["deviceInfo"]["devEui"] = eui.into();
    v["deviceInfo"]["applicationId"] = app.into();
    v["fCnt"] = fcnt.into();
    v["deduplicationId"] = uuid.into();
    serde_json::to_vec(&v).unwrap()
}
