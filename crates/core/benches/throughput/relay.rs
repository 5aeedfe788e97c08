//! The bench's baseline: a raw MQTT relay, LNS subscription in, one TLS client-certificate
//! connection per device out, payloads forwarded as they are.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use helium_bridge_core::bridge::DEFAULT_LNS_WINDOW;
use helium_bridge_core::codec::device_id_for_dev_eui;
use rumqttc::{v5, AsyncClient, Event, MqttOptions, Packet, QoS};
use test_harness::{Mosquitto, TestCa};

use super::tls;

/// Tasks stopped when this is dropped: a fleet's connections must not go on retrying against
/// brokers that are gone while the next fleet is measured (the relay's retried every 200 ms,
/// hundreds of connection attempts a second).
#[derive(Default)]
pub struct Tasks(pub Vec<tokio::task::JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

/// The baseline: one subscriber, and one TLS connection per device that republishes as-is.
/// Returns once every connection is up and the subscription holds, with its tasks.
pub async fn raw_relay(helium: &Mosquitto, aws: &Mosquitto, ca: &TestCa, devices: &[String]) -> Tasks {
    let up = Arc::new(AtomicUsize::new(0));
    let mut tasks = Tasks::default();
    let mut pubs = HashMap::new();
    for eui in devices {
        let id = device_id_for_dev_eui(eui);
        let mut o = MqttOptions::new(id.clone(), "127.0.0.1", aws.port);
        tls(&mut o, ca, &ca.client_identity(&id));
        o.set_inflight(100);
        let (c, mut ev) = AsyncClient::new(o, 10_000);
        let up = up.clone();
        tasks.0.push(tokio::spawn(async move {
            loop {
                match ev.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        up.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
        }));
        pubs.insert(eui.clone(), c);
    }
    // Subscribed as the bridge's source is: MQTT 5, with the bridge's window of unacknowledged
    // messages. (Over MQTT 3.1.1 mosquitto has only 20 in flight to a client and queues the
    // rest, 1000 at most: the relay lost uplinks upstream in about one round in three, and a
    // relay that drops part of the burst is no baseline.)
    let mut o = v5::MqttOptions::new("relay-sub", "127.0.0.1", helium.port);
    o.set_receive_maximum(Some(DEFAULT_LNS_WINDOW));
    o.set_max_packet_size(Some(1024 * 1024));
    let (sub, mut ev) = v5::AsyncClient::new(o, 10_000);
    sub.subscribe("application/+/device/+/event/up", v5::mqttbytes::QoS::AtLeastOnce)
        .await
        .unwrap();
    let subscribed = up.clone();
    tasks.0.push(tokio::spawn(async move {
        let _keep = sub;
        while let Ok(e) = ev.poll().await {
            match e {
                v5::Event::Incoming(v5::mqttbytes::v5::Packet::SubAck(_)) => {
                    subscribed.fetch_add(1, Ordering::Relaxed);
                }
                v5::Event::Incoming(v5::mqttbytes::v5::Packet::Publish(p)) => {
                    let eui = std::str::from_utf8(&p.topic)
                        .unwrap_or_default()
                        .split('/')
                        .nth(3)
                        .unwrap_or_default();
                    if let Some(c) = pubs.get(eui) {
                        let _ = c
                            .publish("relay/uplinks", QoS::AtLeastOnce, false, p.payload.to_vec())
                            .await;
                    }
                }
                _ => {}
            }
        }
    }));
    let deadline = Instant::now() + Duration::from_secs(120);
    while up.load(Ordering::Relaxed) < devices.len() + 1 {
        assert!(Instant::now() < deadline, "the relay's connections did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tasks
}
