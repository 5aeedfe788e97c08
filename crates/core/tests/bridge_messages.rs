//! The viewer's messages and the history: each uplink as AWS received it, byte for byte, with
//! the source's message it came from; each downlink as it came, accepted or rejected with why.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use helium_bridge_core::monitor::{Direction, Message, MessageFilter};

const T: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uplinks_and_downlinks_are_kept_exactly_as_on_the_wire() {
    let env = Env::new();
    let aws = env.aws_broker();
    let integration = env.integration("aws", "helium/uplinks", &aws);
    env.chirpstack_source();
    let (raw, eui, id) = reference_device(&env, "fleet-a", &[&integration]);
    let mut out = Observer::tls(&aws, &env.ca, "helium/uplinks").await;
    let mut lns = Observer::plain(&env.helium, "application/+/device/+/command/down").await;
    let helium = Observer::plain(&env.helium, "unused/#").await;
    let mut live = env.core.monitor().subscribe();
    let bridge = env.start().await;
    wait_for_sources(&env.core, &bridge).await;

    helium
        .publish(&format!("application/{APP}/device/{eui}/event/up"), raw.clone())
        .await;
    let (topic, published) = out.next(T).await.expect("the uplink at AWS");
    let m = next_message(&mut live, T, |m| m.row.kind == "uplink").await;
    assert_uplink(&m, &topic, &integration.id, &id, &eui);

    // The history has it, byte for byte what AWS received, and the source's message.
    let kept = env.core.monitor().get(m.row.id).unwrap().expect("in the history");
    assert_bodies(&kept, &published, &raw);
    let by_name = MessageFilter {
        device: Some(m.row.device_name.clone().unwrap()),
        kinds: vec!["uplink".into()],
        ..Default::default()
    };
    let page = env.core.monitor().reader().unwrap().search(&by_name, None, 10).unwrap();
    assert_eq!(page.rows.iter().map(|r| r.id).collect::<Vec<_>>(), vec![m.row.id]);

    // A bad downlink from AWS: a message with the body as it came and why it was refused.
    let down = format!("helium/devices/{id}/down");
    out.publish(&down, r#"{"payload_raw":"@@@"}"#).await;
    let bad = next_message(&mut live, T, |m| m.row.kind == "downlink").await;
    assert_eq!(bad.row.level, "error");
    assert_eq!(bad.row.direction, Direction::Down);
    assert!(
        bad.row.text.contains("payload_raw must be standard base64"),
        "{}",
        bad.row.text
    );
    assert_eq!(bad.row.topic.as_deref(), Some(down.as_str()));
    assert_eq!(
        bad.json.as_deref().map(String::as_str),
        Some(r#"{"payload_raw":"@@@"}"#)
    );

    // A good one reaches the LNS, and says so.
    out.publish(&down, r#"{"payload_raw":"AQID","port":3}"#).await;
    lns.next(T).await.expect("the downlink at the LNS");
    let good = next_message(&mut live, T, |m| m.row.kind == "downlink").await;
    assert_eq!(good.row.level, "info");
    assert!(good.row.text.contains("3 bytes, port 3"), "{}", good.row.text);

    // Searching for the refused one by its text finds it and nothing else.
    let errors = MessageFilter {
        levels: vec!["error".into()],
        text: Some("standard base64".into()),
        ..Default::default()
    };
    env.core.monitor().flush();
    let page = env.core.monitor().reader().unwrap().search(&errors, None, 10).unwrap();
    assert_eq!(page.rows.iter().map(|r| r.id).collect::<Vec<_>>(), vec![bad.row.id]);
}

/// `m` is the uplink of device `id` (`eui`) published on `topic` for `integration`.
fn assert_uplink(m: &Message, topic: &str, integration: &str, id: &str, eui: &str) {
    assert_eq!(m.row.direction, Direction::Up);
    assert_eq!(m.row.topic.as_deref(), Some(topic));
    assert_eq!(m.row.integration_id.as_deref(), Some(integration));
    assert_eq!(m.row.device_id.as_deref(), Some(id));
    assert_eq!(m.row.dev_eui.as_deref(), Some(eui.to_ascii_uppercase().as_str()));
    assert_eq!(m.row.qos, Some(1));
}

/// `m` keeps byte for byte the JSON AWS received and the source's message `raw`.
fn assert_bodies(m: &Message, published: &[u8], raw: &[u8]) {
    assert_eq!(m.json.as_deref().map(String::as_bytes), Some(published));
    assert_eq!(m.row.size, published.len() as i64);
    assert_eq!(m.source_event.as_deref().map(str::as_bytes), Some(raw));
}

/// With nobody watching live, the history's thread makes an uplink's message itself: the same
/// message, timed when the bridge took the uplink.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uplink_nobody_watches_is_kept_the_same_in_the_history() {
    let env = Env::new();
    let aws = env.aws_broker();
    let integration = env.integration("aws", "helium/uplinks", &aws);
    env.chirpstack_source();
    let (raw, eui, id) = reference_device(&env, "fleet-a", &[&integration]);
    let mut out = Observer::tls(&aws, &env.ca, "helium/uplinks").await;
    let helium = Observer::plain(&env.helium, "unused/#").await;
    let bridge = env.start().await;
    wait_for_sources(&env.core, &bridge).await;

    let before = helium_bridge_core::now_ms();
    helium
        .publish(&format!("application/{APP}/device/{eui}/event/up"), raw.clone())
        .await;
    let (topic, published) = out.next(T).await.expect("the uplink at AWS");
    let after = helium_bridge_core::now_ms();
    env.core.monitor().flush();
    let uplinks = MessageFilter {
        kinds: vec!["uplink".into()],
        ..Default::default()
    };
    let page = env.core.monitor().reader().unwrap().search(&uplinks, None, 10).unwrap();
    assert_eq!(page.rows.len(), 1, "{:?}", page.rows);
    let m = env
        .core
        .monitor()
        .get(page.rows[0].id)
        .unwrap()
        .expect("in the history");
    assert_uplink(&m, &topic, &integration.id, &id, &eui);
    assert!(m.row.text.starts_with("uplink from "), "{}", m.row.text);
    assert!(
        (before..=after).contains(&m.row.at_ms),
        "{before} ≤ {} ≤ {after}",
        m.row.at_ms
    );
    assert_bodies(&m, &published, &raw);
    bridge.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_integrations_backlog_is_sampled_for_its_chart() {
    let env = Env::new();
    // AWS is down: what comes in waits in the outbox.
    let integration = {
        let aws = env.aws_broker();
        env.integration("aws", "helium/uplinks", &aws)
    };
    env.chirpstack_source();
    let (_, eui, _) = reference_device(&env, "fleet-a", &[&integration]);
    let helium = Observer::plain(&env.helium, "unused/#").await;
    let opts = helium_bridge_core::bridge::BridgeOptions {
        sample_every: Duration::from_millis(100),
        ..Default::default()
    };
    let bridge = helium_bridge_core::bridge::Bridge::start(
        env.core.clone(),
        Arc::new(helium_bridge_core::KeyringVault::default()),
        Arc::new(helium_bridge_core::aws::DirectoryProvisioner),
        opts,
    )
    .await
    .unwrap();
    wait_for_sources(&env.core, &bridge).await;
    for fcnt in 1..=3 {
        helium
            .publish(
                &format!("application/{APP}/device/{eui}/event/up"),
                uplink(&eui, fcnt, &uuid()),
            )
            .await;
    }
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let now = helium_bridge_core::now_ms();
        let rate = env
            .core
            .monitor()
            .reader()
            .unwrap()
            .uplink_rate(&integration.id, now - 60_000, now + 1, 60_001)
            .unwrap();
        if rate.backlog == [Some(3.0)] {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "backlog samples: {:?}",
            rate.backlog
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bridge.shutdown().await;
}
