//! "Watch AWS": the integration's monitor identity sees each uplink arrive at AWS (its message is
//! marked, live and in the history), sees every downlink on the down topics, and publishes a
//! downlink through AWS that the bridge takes to the LNS. A monitor without an identity says why.

mod common;

use std::time::Duration;

use common::*;
use helium_bridge_core::aws::provision::policy::monitor_thing_name;
use helium_bridge_core::bridge::{Bridge, WatchPhase, WatchState};
use helium_bridge_core::domain::{IntegrationKind, NewIntegration};
use helium_bridge_core::monitor::{Direction, Live};

const T: Duration = Duration::from_secs(20);

/// Waits until the integration's monitor is in `phase`, and returns its state.
async fn wait_phase(bridge: &Bridge, integration_id: &str, phase: WatchPhase) -> WatchState {
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let states = bridge.watch_states();
        if let Some(s) = states
            .iter()
            .find(|s| s.integration_id == integration_id && s.phase == phase)
        {
            return s.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the monitor never reached {phase:?}: {states:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monitor_sees_uplinks_arrive_and_publishes_downlinks_through_aws() {
    let env = Env::new();
    let aws = env.aws_broker();
    let integration = env.integration("aws", "helium/uplinks", &aws);
    // Made by hand, like the devices' certificates in this integration's folder.
    env.device_cert(env.certs.path(), &monitor_thing_name(&integration));
    // Another integration whose certificate folder has none for its monitor.
    let empty = tempfile::tempdir().unwrap();
    let mut endpoint = integration.endpoint.clone();
    endpoint.cert_dir = Some(empty.path().display().to_string());
    let unwatchable = env
        .core
        .store()
        .create_integration(&NewIntegration {
            kind: IntegrationKind::AwsIotCore,
            name: "no monitor certificate".into(),
            region: "us-east-1".into(),
            topic: "other/uplinks".into(),
            endpoint,
            forward_joins: false,
        })
        .unwrap();
    env.chirpstack_source();
    let (raw, eui, id) = reference_device(&env, "fleet-a", &[&integration]);
    let mut lns = Observer::plain(&env.helium, "application/+/device/+/command/down").await;
    let helium = Observer::plain(&env.helium, "unused/#").await;
    let mut live = env.core.monitor().subscribe();
    let bridge = env.start().await;

    let states = bridge.watch_aws(&integration.id, true).unwrap();
    assert_eq!(states[0].thing, monitor_thing_name(&integration));
    wait_phase(&bridge, &integration.id, WatchPhase::Watching).await;

    // An uplink: its message, then AWS's echo of it.
    helium
        .publish(&format!("application/{APP}/device/{eui}/event/up"), raw.clone())
        .await;
    let up = next_message(&mut live, T, |m| m.row.kind == "uplink").await;
    let uuid = up.row.uuid.clone().expect("an uplink has a uuid");
    let Live::Seen(seen) = next_live(&mut live, T, |l| matches!(l, Live::Seen(_))).await else {
        unreachable!()
    };
    assert_eq!(
        (seen.integration_id.as_str(), seen.uuid.as_str()),
        (integration.id.as_str(), uuid.as_str())
    );
    assert!(seen.at_ms >= up.row.at_ms);
    env.core.monitor().flush();
    let kept = env.core.monitor().get(up.row.id).unwrap().unwrap();
    assert_eq!(kept.row.seen_ms, Some(seen.at_ms), "the history has the mark too");
    assert_eq!(wait_phase(&bridge, &integration.id, WatchPhase::Watching).await.seen, 1);

    // A downlink published through AWS: AWS carries it (the monitor sees it on the down
    // topic), the bridge takes it from AWS to the LNS.
    let body = r#"{"payload_raw":"AQID","port":7}"#;
    bridge
        .publish_via_aws(&integration, &id, body.as_bytes().to_vec())
        .await
        .expect("AWS acknowledged the downlink");
    let (topic, command) = lns.next_json(T).await;
    assert!(topic.ends_with("/command/down"), "{topic}");
    assert_eq!(command["fPort"], 7, "{command}");
    // The monitor's copy and the bridge's arrive in either order.
    let (mut carried, mut taken) = (None, None);
    while carried.is_none() || taken.is_none() {
        let Live::Message(m) = next_live(
            &mut live,
            T,
            |l| matches!(l, Live::Message(m) if m.row.kind == "aws_downlink" || m.row.kind == "downlink"),
        )
        .await
        else {
            unreachable!()
        };
        match m.row.kind.as_str() {
            "aws_downlink" => carried = Some(m),
            _ => taken = Some(m),
        }
    }
    let (carried, taken) = (carried.unwrap(), taken.unwrap());
    assert_eq!(carried.row.direction, Direction::Down);
    assert_eq!(
        carried.row.text,
        format!("AWS carried a downlink for sensor-01 on helium/devices/{id}/down")
    );
    assert_eq!(
        carried.row.topic.as_deref(),
        Some(format!("helium/devices/{id}/down").as_str())
    );
    assert_eq!(carried.json.as_deref().map(String::as_str), Some(body));
    assert_eq!(taken.row.level, "info", "{}", taken.row.text);
    assert_eq!(
        wait_phase(&bridge, &integration.id, WatchPhase::Watching)
            .await
            .downlinks,
        1
    );

    // A monitor with no certificate keeps trying and says why.
    bridge.watch_aws(&unwatchable.id, true).unwrap();
    let failing = wait_phase(&bridge, &unwatchable.id, WatchPhase::Failing).await;
    assert!(
        failing.detail.contains(&format!(
            "no identity for the monitor thing {}",
            monitor_thing_name(&unwatchable)
        )) && failing.detail.contains(".cert.pem"),
        "{}",
        failing.detail
    );
    // Stopping a watch stops it; the other runs on.
    let states = bridge.watch_aws(&unwatchable.id, false).unwrap();
    assert_eq!(
        states.iter().map(|s| s.integration_id.as_str()).collect::<Vec<_>>(),
        [integration.id.as_str()]
    );
    bridge.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_uplink_goes_out_marked_like_a_real_one_and_a_bad_one_says_why() {
    let env = Env::new();
    let aws = env.aws_broker();
    let integration = env.integration("aws", "helium/uplinks", &aws);
    env.chirpstack_source();
    let (_, eui, id) = reference_device(&env, "fleet-a", &[&integration]);
    let before = env.core.store().find_device(&id).unwrap();
    let mut out = Observer::tls(&aws, &env.ca, "helium/uplinks").await;
    let mut live = env.core.monitor().subscribe();
    let bridge = env.start().await;

    let device = env.core.store().find_device(&eui).unwrap();
    let outcome = bridge.simulate_uplink(device.clone(), 5, vec![1, 2, 3]).await.unwrap();
    assert!(
        matches!(
            outcome,
            helium_bridge_core::bridge::IngestOutcome::Stored { routes: 1, .. }
        ),
        "{outcome:?}"
    );
    let (_, json) = out.next_json(T).await;
    assert_eq!(json["metadata"]["simulated"], true, "{json}");
    assert_eq!(json["payload"], "AQID");
    assert_eq!(json["port"], 5);
    assert_eq!(json["id"], id.as_str());
    assert_eq!(json["hotspots"], serde_json::json!([]));
    assert_eq!(json["metadata"]["labels"][0]["name"], "fleet-a");
    let m = next_message(&mut live, T, |m| m.row.kind == "uplink").await;
    assert_eq!(m.row.source_id.as_deref(), Some("simulated"));
    // Its kind stays `uplink` (filters find it with the others); its text tells it apart.
    assert!(m.row.text.starts_with("simulated uplink from "), "{}", m.row.text);
    assert_eq!(m.row.uuid.as_deref(), json["uuid"].as_str());
    // The device keeps the source it is really on (its downlinks go there), and what the radio
    // delivered: a test uplink is not counted, nor is it "last seen".
    let after = env.core.store().find_device(&id).unwrap();
    assert_eq!(
        (after.source.as_str(), after.uplinks, after.last_seen_ms),
        (before.source.as_str(), before.uplinks, before.last_seen_ms)
    );

    // Larger than LoRaWAN allows: refused with the limit, nothing published.
    let outcome = bridge.simulate_uplink(device, 5, vec![0; 243]).await.unwrap();
    let helium_bridge_core::bridge::IngestOutcome::Rejected(reason) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(reason.contains("243") && reason.contains("242"), "{reason}");
    out.expect_silence(Duration::from_millis(300)).await;
    bridge.shutdown().await;
}
