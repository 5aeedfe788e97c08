//! Nothing is lost: the AWS side goes away while uplinks keep coming.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use helium_bridge_core::codec::device_id_for_dev_eui;
use serde_json::Value;

/// An integration on `aws` (topic `helium/uplinks`), the ChirpStack source, and `n` devices
/// (DevEUIs `{prefix}00`, `{prefix}01`, …) whose label routes them to it.
fn fleet(env: &Env, aws: &test_harness::Mosquitto, n: usize, prefix: &str) -> Vec<String> {
    let integration = env.integration("aws", "helium/uplinks", aws);
    env.chirpstack_source();
    let euis: Vec<String> = (0..n).map(|i| format!("{prefix}{i:02x}")).collect();
    for eui in &euis {
        env.device(&device_id_for_dev_eui(eui), eui, "fleet", &[&integration]);
    }
    euis
}

/// Publishes `n` uplinks as fast as the client goes, round-robin over the devices; their uuids.
async fn burst(helium: &Observer, euis: &[String], n: u32) -> HashSet<String> {
    burst_with(helium, euis, n, |_| {}).await
}

/// Like [`burst`], each ChirpStack event changed by `shape` first.
async fn burst_with(helium: &Observer, euis: &[String], n: u32, shape: impl Fn(&mut Value)) -> HashSet<String> {
    let mut sent = HashSet::new();
    for k in 0..n {
        let eui = &euis[k as usize % euis.len()];
        let uuid = uuid::Uuid::new_v4().to_string();
        // Each device counts its own frames, so no upstream gap is reported.
        let mut v: Value = serde_json::from_slice(&uplink(eui, k / euis.len() as u32, &uuid)).unwrap();
        shape(&mut v);
        helium
            .publish(
                &format!("application/{APP}/device/{eui}/event/up"),
                serde_json::to_vec(&v).unwrap(),
            )
            .await;
        sent.insert(uuid);
    }
    sent
}

/// Receives every uplink of `sent` once (each Helium JSON), failing with what the LNS broker
/// logged about dropping messages when some do not come.
async fn receive_all(env: &Env, out: &mut Observer, sent: &HashSet<String>) -> Vec<Value> {
    let mut got = HashSet::new();
    let mut received = Vec::with_capacity(sent.len());
    while got.len() < sent.len() {
        let Some((_, p)) = out.next(Duration::from_secs(30)).await else {
            panic!(
                "only {} of {} uplinks arrived; the Helium broker's log says:\n{}",
                got.len(),
                sent.len(),
                env.helium
                    .log()
                    .lines()
                    .filter(|l| l.contains("dropped"))
                    .take(5)
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        };
        let v: Value = serde_json::from_slice(&p).unwrap();
        let uuid = v["uuid"].as_str().unwrap().to_string();
        assert!(sent.contains(&uuid), "an uplink nobody sent: {uuid}");
        assert!(got.insert(uuid.clone()), "uplink {uuid} arrived twice");
        received.push(v);
    }
    received
}

/// Receives until `got` holds `until` uplinks of `sent` (each at least once: QoS 1 allows a
/// copy of what was in flight at a fault); returns how many messages came, copies included.
async fn receive_each(out: &mut Observer, sent: &HashSet<String>, got: &mut HashSet<String>, until: usize) -> usize {
    let mut copies = 0;
    while got.len() < until {
        let Some((_, p)) = out.next(Duration::from_secs(60)).await else {
            panic!("only {} of {} uplinks arrived", got.len(), sent.len());
        };
        let v: Value = serde_json::from_slice(&p).unwrap();
        let uuid = v["uuid"].as_str().unwrap().to_string();
        assert!(sent.contains(&uuid), "an uplink nobody sent: {uuid}");
        copies += 1;
        got.insert(uuid);
    }
    copies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_broker_down_while_1000_uplinks_arrive_then_back_all_arrive_once() {
    let env = Env::new();
    // The observer keeps its session through the broker's restart, so whatever the bridge
    // publishes the moment the broker is back is counted, however fast it reconnects.
    let mut aws = test_harness::Mosquitto::tls_persistent(&env.ca);
    // Ten devices (ten AWS connections, each limited to 100 publishes/s).
    let euis = fleet(&env, &aws, 10, "00000000000000");
    let helium = Observer::plain(&env.helium, "unused/#").await;
    let mut out = Observer::tls_persistent(&aws, &env.ca, "helium/uplinks").await;
    let bridge = env.start().await;
    // Sessions up (their state, not their "connected" events, which may already have passed),
    // then the AWS side goes away.
    wait_for_sessions(&bridge, euis.len()).await;
    aws.stop();

    let sent = burst(&helium, &euis, 1000).await;
    // All 1000 are durably queued while AWS is away.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (waiting, _) = env.core.store().outbox_stats().unwrap();
        if waiting == 1000 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {waiting} of 1000 uplinks reached the outbox; end of the Helium broker's log:\n{}",
            env.helium
                .log()
                .chars()
                .rev()
                .take(3000)
                .collect::<String>()
                .chars()
                .rev()
                .collect::<String>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    aws.restart();
    let mut got = HashSet::new();
    while got.len() < 1000 {
        let Some((_, p)) = out.next(Duration::from_secs(60)).await else {
            panic!("only {} of 1000 uplinks arrived", got.len());
        };
        let v: Value = serde_json::from_slice(&p).unwrap();
        let uuid = v["uuid"].as_str().unwrap().to_string();
        assert!(sent.contains(&uuid), "an uplink nobody sent: {uuid}");
        assert!(got.insert(uuid.clone()), "uplink {uuid} arrived twice");
    }
    out.expect_silence(Duration::from_secs(2)).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while env.core.store().outbox_stats().unwrap().0 != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the outbox must empty once AWS acknowledged everything"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bridge.shutdown().await;
}

/// Uplinks on the fast path (in memory, not in the outbox, the LNS not yet acknowledged) when
/// the AWS side goes away: the sessions hand them over to the outbox, and all arrive once AWS is
/// back. Duplicates only for what was in flight at the fault (QoS 1's at-least-once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_broker_down_mid_stream_then_back_loses_nothing_held_in_memory() {
    let env = Env::new();
    let mut aws = test_harness::Mosquitto::tls_persistent(&env.ca);
    let euis = fleet(&env, &aws, 10, "00000000000001");
    let helium = Observer::plain(&env.helium, "unused/#").await;
    let mut out = Observer::tls_persistent(&aws, &env.ca, "helium/uplinks").await;
    let bridge = env.start().await;
    wait_for_sessions(&bridge, euis.len()).await;

    // 600 uplinks: AWS takes 100/s per device, so most are still at the bridge, in memory,
    // when the first 100 have arrived and the broker goes away.
    let mut sent = burst(&helium, &euis, 600).await;
    let mut got = HashSet::new();
    let mut copies = receive_each(&mut out, &sent, &mut got, 100).await;
    aws.stop();
    sent.extend(burst(&helium, &euis, 400).await);
    // Every uplink is acknowledged by AWS or in the outbox (none only in memory) while AWS
    // is away.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (waiting, _) = env.core.store().outbox_stats().unwrap();
        let acknowledged = bridge.integration_health().unwrap()[0].delivered;
        if waiting as u64 + acknowledged >= sent.len() as u64 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{waiting} uplinks in the outbox and {acknowledged} acknowledged by AWS, of {} sent",
            sent.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    aws.restart();
    copies += receive_each(&mut out, &sent, &mut got, sent.len()).await;
    out.expect_silence(Duration::from_secs(2)).await;
    let duplicates = copies - got.len();
    println!(
        "{} uplinks arrived, {duplicates} of them twice (in flight at the fault)",
        got.len()
    );
    // At most what the ten sessions had in flight (100 each) when the broker stopped.
    assert!(duplicates <= 1000, "{duplicates} duplicates");
    bridge.shutdown().await;
}

/// AWS stops answering without closing the connection (a hung endpoint): after 10 s without a
/// PUBACK the session gives up the connection, and what it held in memory goes to the outbox,
/// so the source is not kept waiting; once AWS answers again every uplink arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_that_stops_acknowledging_gets_its_uplinks_from_the_outbox_after_ten_seconds() {
    let env = Env::new();
    let aws = test_harness::Mosquitto::tls_persistent(&env.ca);
    let euis = fleet(&env, &aws, 2, "00000000000002");
    let helium = Observer::plain(&env.helium, "unused/#").await;
    let mut out = Observer::tls_persistent(&aws, &env.ca, "helium/uplinks").await;
    let bridge = env.start().await;
    let mut events = bridge.events().subscribe();
    wait_for_sessions(&bridge, euis.len()).await;

    aws.pause();
    let sent = burst(&helium, &euis, 20).await;
    let gave_up = wait_event(&mut events, Duration::from_secs(30), |e| {
        e.kind == "connection" && e.message.contains("did not acknowledge")
    })
    .await;
    assert!(
        gave_up
            .message
            .ends_with("AWS did not acknowledge a publish within 10 s"),
        "{}",
        gave_up.message
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while env.core.store().outbox_stats().unwrap().0 < 20 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the uplinks held for a silent AWS did not reach the outbox: {:?}",
            env.core.store().outbox_stats()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    aws.resume();
    receive_each(&mut out, &sent, &mut HashSet::new(), sent.len()).await;
    bridge.shutdown().await;
}

/// The bridge acknowledges an uplink only once it is stored, so while it commits a burst the
/// LNS broker holds the rest; with mosquitto's stock limits it would drop all but ~1000 of them.
/// The source's MQTT 5 Receive Maximum lets the burst wait at the bridge instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_4000_uplink_burst_at_full_speed_through_a_stock_mosquitto_arrives_whole() {
    const BURST: u32 = 4000;
    let env = Env::with_stock_lns();
    let aws = env.aws_broker();
    let euis = fleet(&env, &aws, 20, "00000000000001");
    let helium = Observer::plain(&env.helium, "unused/#").await;
    let mut out = Observer::tls(&aws, &env.ca, "helium/uplinks").await;
    let bridge = env.start().await;
    wait_for_sources(&env.core, &bridge).await;
    wait_for_sessions(&bridge, euis.len()).await;

    let sent = burst(&helium, &euis, BURST).await;
    receive_all(&env, &mut out, &sent).await;
    bridge.shutdown().await;
}

/// A burst that arrives faster than the bridge decodes it (a slow decoder, large events) waits
/// at the bridge: mosquitto drops what it cannot write to a slow reader once 1,000 packets wait
/// for it, whatever the Receive Maximum, so the bridge must read as fast as the broker sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_decoded_slower_than_it_arrives_waits_at_the_bridge_not_in_the_broker() {
    const BURST: u32 = 4000;
    let env = Env::with_stock_lns();
    let aws = env.aws_broker();
    let euis = fleet(&env, &aws, 20, "00000000000002");
    {
        let store = env.core.store();
        let label = store.find_label("fleet").unwrap();
        // About a millisecond per uplink: 4,000 take seconds, the burst arrives in a moment.
        let slow = "function Decoder(bytes, port) { var t = Date.now(); while (Date.now() - t < 1) {} \
                    return { size: bytes.length }; }";
        let d = store
            .create_decoder("slow", helium_bridge_core::domain::DecoderKind::Helium, slow)
            .unwrap();
        store.attach_decoder_label(&d.id, &label.id).unwrap();
    }
    let helium = Observer::plain(&env.helium, "unused/#").await;
    let mut out = Observer::tls(&aws, &env.ca, "helium/uplinks").await;
    let bridge = env.start().await;
    wait_for_sources(&env.core, &bridge).await;
    wait_for_sessions(&bridge, euis.len()).await;

    // ~9 KB events (ChirpStack's `object` padded): more than the sockets' buffers hold.
    let pad = "x".repeat(8_000);
    let sent = burst_with(&helium, &euis, BURST, |v| {
        v["object"] = serde_json::json!({ "pad": pad })
    })
    .await;
    for v in receive_all(&env, &mut out, &sent).await {
        assert_eq!(v["decoded"]["status"], "success", "{v}");
    }
    bridge.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_outbox_warns_first_then_leaves_uplinks_with_the_source_and_loses_none() {
    use helium_bridge_core::bridge::{Bridge, BridgeOptions};
    use helium_bridge_core::{aws::DirectoryProvisioner, KeyringVault};
    let env = Env::new();
    let mut aws = test_harness::Mosquitto::tls_persistent(&env.ca);
    let integration = env.integration("aws", "helium/uplinks", &aws);
    env.chirpstack_source();
    let eui = "00000000000000aa";
    env.device(&device_id_for_dev_eui(eui), eui, "fleet", &[&integration]);
    let helium = Observer::plain(&env.helium, "unused/#").await;
    // Subscribed before the outage, so it sees what the bridge sends the moment AWS is back.
    let mut out = Observer::tls_persistent(&aws, &env.ca, "helium/uplinks").await;
    aws.stop();
    let opts = BridgeOptions {
        outbox_max_entries: 5,
        ..BridgeOptions::default()
    };
    let bridge = Bridge::start(
        env.core.clone(),
        std::sync::Arc::new(KeyringVault::default()),
        std::sync::Arc::new(DirectoryProvisioner),
        opts,
    )
    .await
    .unwrap();
    log_events(&bridge);
    let mut events = bridge.events().subscribe();
    wait_for_sources(&env.core, &bridge).await;

    let mut sent = HashSet::new();
    for n in 0..8u32 {
        let uuid = uuid::Uuid::new_v4().to_string();
        helium
            .publish(
                &format!("application/{APP}/device/{eui}/event/up"),
                uplink(eui, n, &uuid),
            )
            .await;
        sent.insert(uuid);
    }
    let warn = wait_event(&mut events, Duration::from_secs(20), |e| {
        e.kind == "outbox_warning" && e.level == "warn"
    })
    .await;
    assert!(
        warn.message.starts_with("4 uplinks are waiting for AWS (limit 5;"),
        "{}",
        warn.message
    );
    let full = wait_event(&mut events, Duration::from_secs(20), |e| {
        e.kind == "outbox_warning" && e.level == "error"
    })
    .await;
    assert!(
        full.message
            .starts_with("the outbox is full (5 uplinks waiting for AWS)"),
        "{}",
        full.message
    );
    assert_eq!(
        env.core.store().outbox_stats().unwrap().0,
        5,
        "nothing beyond the limit is stored"
    );

    // AWS comes back: the backlog drains, and the source offers the refused uplinks again.
    aws.restart();
    let mut got = HashSet::new();
    while got.len() < sent.len() {
        let Some((_, p)) = out.next(Duration::from_secs(60)).await else {
            panic!("only {} of {} uplinks arrived", got.len(), sent.len());
        };
        let v: Value = serde_json::from_slice(&p).unwrap();
        got.insert(v["uuid"].as_str().unwrap().to_string());
    }
    assert_eq!(got, sent);
    bridge.shutdown().await;
}
