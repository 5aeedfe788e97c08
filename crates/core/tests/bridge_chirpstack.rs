//! ChirpStack v4 MQTT → Helium JSON on the AWS IoT stand-in, and downlinks back.

mod common;

use std::time::Duration;

use common::*;
use helium_bridge_core::codec::device_id_for_dev_eui;
use serde_json::Value;

const T: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_golden_fixture_arrives_as_the_contracts_helium_json() {
    let env = Env::new();
    let aws = env.aws_broker();
    let integration = env.integration("aws", "helium/uplinks", &aws);
    env.chirpstack_source();
    let cases = [
        "reference",
        "pre-4.11-metadata",
        "two-hotspots",
        "no-location",
        "location-only",
        "no-object",
        "unknown-fields",
        "uppercase-euis",
        "omitted-defaults",
    ];
    for case in cases {
        let raw = fixture(&format!("chirpstack/{case}.json"));
        let eui = dev_eui_of(&raw);
        let id = device_id_for_dev_eui(&eui);
        if env.core.store().list_devices().unwrap().iter().all(|d| d.id != id) {
            env.device(&id, &eui, "fleet-a", &[&integration]);
        }
    }
    let label_id = env.core.store().list_labels().unwrap()[0].id.clone();
    let mut out = Observer::tls(&aws, &env.ca, "helium/uplinks").await;
    let helium = Observer::plain(&env.helium, "unused/#").await;
    let bridge = env.start().await;

    for case in cases {
        let raw = fixture(&format!("chirpstack/{case}.json"));
        let eui = dev_eui_of(&raw);
        // The fixtures share one deduplicationId, and the bridge forwards an uplink once per
        // uuid: give each its own.
        let uuid = uuid::Uuid::new_v4().to_string();
        let mut input: Value = serde_json::from_slice(&raw).unwrap();
        input["deduplicationId"] = Value::String(uuid.clone());
        helium
            .publish(
                &format!("application/{APP}/device/{eui}/event/up"),
                serde_json::to_vec(&input).unwrap(),
            )
            .await;
        let (_, mut got) = out.next_json(T).await;
        let mut want: Value = serde_json::from_slice(&fixture(&format!("chirpstack/{case}.expected.json"))).unwrap();
        want["uuid"] = Value::String(uuid);
        // The label's id is the bridge's own (random) one.
        want["metadata"]["labels"][0]["id"] = Value::String(label_id.clone());
        if case == "no-object" {
            assert!(got.get("decoded").is_none(), "{case}: {got}");
        }
        normalise_floats(&mut got);
        normalise_floats(&mut want);
        assert_eq!(got, want, "case {case}");
    }
    out.expect_silence(Duration::from_millis(500)).await;
    let devices = env.core.store().list_devices().unwrap();
    assert!(
        devices.iter().all(|d| d.uplinks >= 1 && d.last_seen_ms.is_some()),
        "{devices:?}"
    );
    bridge.shutdown().await;
}

/// Compares numbers by value (1 == 1.0), as consumers parsing JSON do.
fn normalise_floats(v: &mut Value) {
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64() {
                *v = serde_json::json!((f * 1e9).round() / 1e9);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(normalise_floats),
        Value::Object(o) => o.values_mut().for_each(normalise_floats),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downlinks_reach_the_chirpstack_command_topic_and_bad_ones_are_rejected_visibly() {
    let env = Env::new();
    let aws = env.aws_broker();
    let integration = env.integration("aws", "helium/uplinks", &aws);
    env.chirpstack_source();
    let (raw, eui, id) = reference_device(&env, "fleet-a", &[&integration]);
    let mut up = Observer::tls(&aws, &env.ca, "helium/uplinks").await;
    let mut helium = Observer::plain(&env.helium, "application/+/device/+/command/down").await;
    let bridge = env.start().await;
    let mut events = bridge.events().subscribe();

    // The first uplink tells the bridge the device's application; once it has gone through,
    // the device's session is up and subscribed to its downlink topic.
    helium
        .publish(&format!("application/{APP}/device/{eui}/event/up"), raw)
        .await;
    up.next_json(T).await;

    let down = format!("helium/devices/{id}/down");
    let bad: &[(&str, &str)] = &[
        ("not json", "body is not JSON"),
        ("[1,2]", "body must be a JSON object, got an array"),
        (r#"{"port":2}"#, "payload_raw is required"),
        (r#"{"payload_raw":"@@@"}"#, "payload_raw must be standard base64"),
        (
            r#"{"payload_raw":""}"#,
            "payload_raw must decode to 1 to 242 bytes, got 0",
        ),
        ("BIG", "payload_raw must decode to 1 to 242 bytes, got 243"),
        (
            r#"{"payload_raw":"AQID","port":0}"#,
            "port must be an integer from 1 to 223, got 0",
        ),
        (
            r#"{"payload_raw":"AQID","port":224}"#,
            "port must be an integer from 1 to 223, got 224",
        ),
        (
            r#"{"payload_raw":"AQID","port":"2"}"#,
            "port must be an integer from 1 to 223, got \"2\"",
        ),
        (
            r#"{"payload_raw":"AQID","port":1.5}"#,
            "port must be an integer from 1 to 223, got 1.5",
        ),
        (
            r#"{"payload_raw":"AQID","confirmed":"true"}"#,
            "confirmed must be true or false, got \"true\"",
        ),
        (
            r#"{"payload_raw":"AQID","confirmed":1}"#,
            "confirmed must be true or false, got 1",
        ),
    ];
    let big = {
        use base64::Engine;
        format!(
            r#"{{"payload_raw":"{}"}}"#,
            base64::engine::general_purpose::STANDARD.encode([7u8; 243])
        )
    };
    for (body, reason) in bad {
        let body = if *body == "BIG" { big.clone() } else { body.to_string() };
        up.publish(&down, body.clone()).await;
        let e = wait_event(&mut events, T, |e| e.kind == "downlink_rejected").await;
        assert_eq!(e.device_id.as_deref(), Some(id.as_str()));
        let got = e.detail.as_ref().unwrap()["reason"].as_str().unwrap().to_string();
        assert!(got.starts_with(reason), "{body}: got {got:?}, want {reason:?}");
        // By its name: the id is the event's `device`.
        assert!(
            e.message.starts_with("downlink for sensor-01 rejected: ") && !e.message.contains(&id),
            "the event names the device: {}",
            e.message
        );
    }
    helium.expect_silence(Duration::from_millis(300)).await;

    // The next valid one still goes through, with the exact ChirpStack JSON.
    up.publish(&down, r#"{"payload_raw":"AQID","port":5,"confirmed":true}"#)
        .await;
    let (topic, body) = helium.next_json(T).await;
    assert_eq!(topic, format!("application/{APP}/device/{eui}/command/down"));
    assert_eq!(
        body,
        serde_json::json!({"devEui": eui, "confirmed": true, "fPort": 5, "data": "AQID"})
    );
    // Defaults: port 1, unconfirmed.
    up.publish(&down, r#"{"payload_raw":"AQID"}"#).await;
    let (_, body) = helium.next_json(T).await;
    assert_eq!(
        body,
        serde_json::json!({"devEui": eui, "confirmed": false, "fPort": 1, "data": "AQID"})
    );
    let d = env
        .core
        .store()
        .list_devices()
        .unwrap()
        .into_iter()
        .find(|d| d.id == id)
        .unwrap();
    assert_eq!((d.downlinks, d.errors), (2, bad.len() as i64));
    bridge.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_message_is_an_event_and_the_source_keeps_running() {
    let env = Env::new();
    let aws = env.aws_broker();
    let integration = env.integration("aws", "helium/uplinks", &aws);
    let source = env.chirpstack_source();
    let (raw, eui, _) = reference_device(&env, "fleet-a", &[&integration]);
    let mut out = Observer::tls(&aws, &env.ca, "helium/uplinks").await;
    let helium = Observer::plain(&env.helium, "unused/#").await;
    let mut live = env.core.monitor().subscribe();
    let bridge = env.start().await;
    let mut events = bridge.events().subscribe();
    let topic = format!("application/{APP}/device/{eui}/event/up");
    helium.publish(&topic, "{ not json").await;
    let e = wait_event(&mut events, T, |e| e.kind == "parse_error").await;
    // The viewer's message (and the history's) has the topic, for a search by topic.
    let m = next_message(&mut live, T, |m| m.row.kind == "parse_error").await;
    assert_eq!(m.row.topic.as_deref(), Some(topic.as_str()));
    assert_eq!(e.source_id.as_deref(), Some(source.as_str()));
    // Which device sent it: its topic, and the device the topic names.
    assert!(
        e.message.starts_with(&format!(
            "could not read a message from source \"chirpstack\" on {topic}: not JSON"
        )),
        "{}",
        e.message
    );
    assert_eq!(e.detail.as_ref().unwrap()["excerpt"], "{ not json");
    assert_eq!(e.detail.as_ref().unwrap()["topic"], topic.as_str());
    let id = helium_bridge_core::codec::device_id_for_dev_eui(&eui);
    assert_eq!(e.device_id.as_deref(), Some(id.as_str()));
    // It counts on the device, as its page and `device list` show.
    assert_eq!(env.core.store().find_device(&id).unwrap().errors, 1);
    helium.publish(&topic, r#"{"deviceInfo":{}}"#).await;
    let e = wait_event(&mut events, T, |e| e.kind == "parse_error").await;
    assert!(e.message.contains("missing field deviceInfo.devEui"), "{}", e.message);
    helium.publish(&topic, raw).await;
    let (_, got) = out.next_json(T).await;
    assert_eq!(got["dev_eui"], eui.to_uppercase());
    bridge.shutdown().await;
}
