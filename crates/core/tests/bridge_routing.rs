//! Labels route devices to integrations; disabling an integration stops its traffic.

mod common;

use std::time::Duration;

use common::*;
use helium_bridge_core::codec::device_id_for_dev_eui;

const T: Duration = Duration::from_secs(20);

fn uplink(eui: &str, fcnt: u32) -> Vec<u8> {
    common::uplink(eui, fcnt, &uuid::Uuid::new_v4().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_route_each_uplink_once_per_integration_and_disabling_stops_traffic() {
    let env = Env::new();
    let (aws_a, aws_b) = (env.aws_broker(), env.aws_broker());
    let a = env.integration("A", "helium/a", &aws_a);
    let b = env.integration("B", "helium/b", &aws_b);
    env.chirpstack_source();
    let labeled = "0102030405060708";
    let unlabeled = "1112131415161718";
    env.device(&device_id_for_dev_eui(labeled), labeled, "shared", &[&a, &b]);
    env.device_cert(env.certs.path(), &device_id_for_dev_eui(unlabeled));

    let mut out_a = Observer::tls(&aws_a, &env.ca, "#").await;
    let mut out_b = Observer::tls(&aws_b, &env.ca, "#").await;
    let helium = Observer::plain(&env.helium, "unused/#").await;
    let bridge = env.start().await;
    let mut events = bridge.events().subscribe();
    let up = |eui: &str| format!("application/{APP}/device/{eui}/event/up");

    // An unlabeled device is registered and shown, not forwarded.
    helium.publish(&up(unlabeled), uplink(unlabeled, 1)).await;
    let e = wait_event(&mut events, T, |e| e.kind == "uplink").await;
    assert!(
        e.message
            .ends_with("not forwarded: no active integration shares a label with this device"),
        "{}",
        e.message
    );
    assert!(env
        .core
        .store()
        .list_devices()
        .unwrap()
        .iter()
        .any(|d| d.dev_eui == unlabeled));

    // Two integrations sharing the label: each gets exactly one copy.
    helium.publish(&up(labeled), uplink(labeled, 2)).await;
    let (ta, ja) = out_a.next_json(T).await;
    let (tb, jb) = out_b.next_json(T).await;
    assert_eq!((ta.as_str(), tb.as_str()), ("helium/a", "helium/b"));
    assert_eq!((ja["fcnt"].as_u64(), jb["fcnt"].as_u64()), (Some(2), Some(2)));
    assert_eq!(ja["uuid"], jb["uuid"]);
    out_a.expect_silence(Duration::from_millis(700)).await;
    out_b.expect_silence(Duration::from_millis(10)).await;

    // Disabled: B's traffic stops within a second; A's goes on.
    bridge.set_integration_active(&b.id, false).unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    helium.publish(&up(labeled), uplink(labeled, 3)).await;
    assert_eq!(out_a.next_json(T).await.1["fcnt"], 3);
    out_b.expect_silence(Duration::from_millis(1500)).await;

    // Re-enabled: traffic resumes.
    bridge.set_integration_active(&b.id, true).unwrap();
    helium.publish(&up(labeled), uplink(labeled, 4)).await;
    assert_eq!(out_a.next_json(T).await.1["fcnt"], 4);
    assert_eq!(out_b.next_json(T).await.1["fcnt"], 4);
    out_b.expect_silence(Duration::from_millis(700)).await;
    bridge.shutdown().await;
}

/// A device that sends faster than AWS IoT's 100 publishes a second per connection is held
/// back, not dropped, and the user is told which device, once rather than per uplink.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_over_the_aws_publish_rate_is_reported_once_and_loses_nothing() {
    const N: u64 = 250;
    let env = Env::new();
    let aws = env.aws_broker();
    let a = env.integration("A", "helium/a", &aws);
    env.chirpstack_source();
    let eui = "3132333435363738";
    let id = device_id_for_dev_eui(eui);
    env.device(&id, eui, "chatty", &[&a]);
    let mut out = Observer::tls(&aws, &env.ca, "helium/a").await;
    let helium = Observer::plain(&env.helium, "unused/#").await;
    let bridge = env.start().await;
    let mut events = bridge.events().subscribe();
    wait_for_sessions(&bridge, 1).await;

    for fcnt in 1..=N {
        helium
            .publish(
                &format!("application/{APP}/device/{eui}/event/up"),
                uplink(eui, fcnt as u32),
            )
            .await;
    }
    let e = wait_event(&mut events, T, |e| e.kind == "throttled").await;
    assert_eq!((e.level.as_str(), e.device_id.as_deref()), ("warn", Some(id.as_str())));
    assert_eq!(e.integration_id.as_deref(), Some(a.id.as_str()));
    assert!(
        e.message
            .starts_with(&format!("{id} sends more than AWS IoT's 100 publishes a second")),
        "{}",
        e.message
    );
    let mut fcnts = Vec::new();
    while fcnts.len() < N as usize {
        fcnts.push(out.next_json(T).await.1["fcnt"].as_u64().unwrap());
    }
    assert_eq!(fcnts, (1..=N).collect::<Vec<_>>(), "every uplink, in order");
    out.expect_silence(Duration::from_millis(700)).await;
    let mut again = 0;
    while let Ok(e) = events.try_recv() {
        again += usize::from(e.kind == "throttled");
    }
    assert_eq!(again, 0, "one report for the burst, not one per uplink");
    bridge.shutdown().await;
}

/// Two integrations on one AWS endpoint share each device's session (AWS allows one connection
/// per client id, and the client id is the thing name): no disconnects, both topics get every
/// uplink, and a downlink reaches the device once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_integrations_on_one_endpoint_share_the_session_without_disconnects() {
    use helium_bridge_core::bridge::{Bridge, BridgeOptions};
    use helium_bridge_core::events::EventBus;
    use helium_bridge_core::{aws::DirectoryProvisioner, KeyringVault};
    let env = Env::new();
    let aws = env.aws_broker();
    let a = env.integration("A", "helium/a", &aws);
    let b = env.integration("B", "helium/b", &aws);
    env.chirpstack_source();
    let eui = "2122232425262728";
    let id = device_id_for_dev_eui(eui);
    env.device(&id, eui, "shared", &[&a, &b]);
    let mut out = Observer::tls(&aws, &env.ca, "helium/+").await;
    let helium = Observer::plain(&env.helium, "unused/#").await;
    let mut commands = Observer::plain(&env.helium, "application/+/device/+/command/down").await;
    // Subscribed before the start, so every connection event is counted.
    let bus = EventBus::new(env.core.clone());
    let mut events = bus.subscribe();
    let bridge = Bridge::start_with_bus(
        env.core.clone(),
        bus,
        std::sync::Arc::new(KeyringVault::default()),
        std::sync::Arc::new(DirectoryProvisioner),
        BridgeOptions::default(),
    )
    .await
    .unwrap();
    log_events(&bridge);
    wait_for_sources(&env.core, &bridge).await;

    // 30 s of uplinks, one every 500 ms.
    let (mut sent, mut got_a, mut got_b) = (Vec::new(), Vec::new(), Vec::new());
    let start = tokio::time::Instant::now();
    let mut fcnt = 0;
    while start.elapsed() < Duration::from_secs(30) {
        fcnt += 1;
        let uuid = uuid::Uuid::new_v4().to_string();
        helium
            .publish(
                &format!("application/{APP}/device/{eui}/event/up"),
                common::uplink(eui, fcnt, &uuid),
            )
            .await;
        sent.push(uuid);
        let tick = tokio::time::Instant::now() + Duration::from_millis(500);
        while let Ok(Some((topic, p))) = tokio::time::timeout_at(tick, out.rx.recv()).await {
            let uuid = serde_json::from_slice::<serde_json::Value>(&p).unwrap()["uuid"]
                .as_str()
                .unwrap()
                .to_string();
            match topic.as_str() {
                "helium/a" => got_a.push(uuid),
                "helium/b" => got_b.push(uuid),
                other => panic!("unexpected topic {other}"),
            }
        }
    }
    while got_a.len() + got_b.len() < 2 * sent.len() {
        let Some((topic, p)) = out.next(T).await else {
            panic!(
                "A got {} and B got {} of {} uplinks",
                got_a.len(),
                got_b.len(),
                sent.len()
            );
        };
        let uuid = serde_json::from_slice::<serde_json::Value>(&p).unwrap()["uuid"]
            .as_str()
            .unwrap()
            .to_string();
        if topic == "helium/a" {
            got_a.push(uuid)
        } else {
            got_b.push(uuid)
        }
    }
    assert_eq!(got_a, sent, "integration A gets every uplink once, in order");
    assert_eq!(got_b, sent, "integration B gets every uplink once, in order");

    // One downlink on the device's topic reaches the device once.
    out.publish(
        &format!("helium/devices/{id}/down"),
        r#"{"payload_raw":"AQID","port":2}"#,
    )
    .await;
    let (topic, _) = commands.next(T).await.expect("the downlink reaches the LNS");
    assert_eq!(topic, format!("application/{APP}/device/{eui}/command/down"));
    commands.expect_silence(Duration::from_secs(1)).await;

    let mut connects = 0;
    let mut drops = Vec::new();
    while let Ok(e) = events.try_recv() {
        if e.kind == "connection" && e.device_id.as_deref() == Some(&id) {
            if e.level == "info" {
                // Named as the user named the device, not by its id.
                assert!(
                    e.message.starts_with(&format!("AWS session for dev-{eui} on ")),
                    "{}",
                    e.message
                );
                connects += 1;
            } else {
                drops.push(e.message);
            }
        }
    }
    assert!(drops.is_empty(), "the session was disconnected: {drops:?}");
    assert_eq!(connects, 1, "one session for both integrations");
    let states = bridge.connection_states();
    let up: Vec<_> = states
        .iter()
        .filter(|s| s.side == "integration" && s.connected)
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        up,
        vec!["A", "B"],
        "both integrations show the device connected: {states:?}"
    );
    // What the app polls: the sources only, however many device sessions there are.
    let sources: Vec<_> = states.iter().filter(|s| s.side == "source").cloned().collect();
    assert!(!sources.is_empty(), "{states:?}");
    assert_eq!(bridge.source_states(), sources);
    bridge.shutdown().await;
}

/// An endpoint of the user's own whose certificate the Amazon root CAs do not vouch for: the
/// session's error says it never connected, and to give the integration the CA that signed it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_signed_by_an_unknown_ca_says_to_give_its_ca_file() {
    let env = Env::new();
    let aws = env.aws_broker();
    let mut integration = env.integration("aws", "helium/uplinks", &aws);
    integration = env
        .core
        .store()
        .update_integration(
            &integration.id,
            &helium_bridge_core::domain::IntegrationUpdate {
                endpoint: Some(helium_bridge_core::domain::EndpointOverride {
                    ca_file: None,
                    ..integration.endpoint.clone()
                }),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(integration.endpoint.ca_file, None);
    env.chirpstack_source();
    env.device("dev-unknown-ca", "00000000000000c1", "fleet", &[&integration]);
    let bridge = env.start().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let error = loop {
        let states = bridge.connection_states();
        // (A session's first state is "connected" or why it is not.)
        if let Some(s) = states.iter().find(|s| s.side == "integration" && !s.connected) {
            break s.detail.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "no session failed: {states:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(error.starts_with("could not connect: "), "{error}");
    assert!(error.contains("UnknownIssuer"), "{error}");
    assert!(
        error.ends_with(
            "(the endpoint's certificate is not signed by the Amazon root CAs the bridge trusts: give the CA that \
             signed it, as the integration's CA file)"
        ),
        "{error}"
    );
    bridge.shutdown().await;
}
