//! The rules ingest enforces (docs/WIRE_CONTRACT.md): limits, device identity, upstream gaps.
//! Each bad input is rejected with a named reason and the device's next uplink still goes through.

mod common;

use std::time::{Duration, Instant};

use base64::Engine as _;
use common::*;
use helium_bridge_core::codec::device_id_for_dev_eui;
use serde_json::{json, Value};

const T: Duration = Duration::from_secs(20);

/// One integration ("aws", topic `helium/uplinks`) on its own AWS broker, and one source.
struct Wired {
    env: Env,
    aws: test_harness::Mosquitto,
    integration: helium_bridge_core::domain::Integration,
}

/// The bridge running, with observers on the integration's topic and on the LNS broker.
struct Running {
    env: Env,
    _aws: test_harness::Mosquitto,
    out: Observer,
    helium: Observer,
    bridge: helium_bridge_core::bridge::Bridge,
}

impl Wired {
    fn new(add_source: impl FnOnce(&Env) -> String) -> Wired {
        let env = Env::new();
        let aws = env.aws_broker();
        let integration = env.integration("aws", "helium/uplinks", &aws);
        add_source(&env);
        Wired { env, aws, integration }
    }

    async fn start(self) -> Running {
        let out = Observer::tls(&self.aws, &self.env.ca, "helium/uplinks").await;
        let helium = Observer::plain(&self.env.helium, "unused/#").await;
        let bridge = self.env.start().await;
        Running {
            env: self.env,
            _aws: self.aws,
            out,
            helium,
            bridge,
        }
    }
}

/// One ChirpStack device labelled to one integration, with the bridge running and the device's
/// AWS session up.
struct OneDevice {
    env: Env,
    _aws: test_harness::Mosquitto,
    out: Observer,
    helium: Observer,
    bridge: helium_bridge_core::bridge::Bridge,
    id: String,
    /// The device's ChirpStack uplink topic.
    topic: String,
}

impl OneDevice {
    async fn start(eui: &str) -> OneDevice {
        let wired = Wired::new(Env::chirpstack_source);
        let id = device_id_for_dev_eui(eui);
        wired.env.device(&id, eui, "fleet", &[&wired.integration]);
        let Running {
            env,
            _aws,
            out,
            helium,
            bridge,
        } = wired.start().await;
        wait_for_sessions(&bridge, 1).await;
        OneDevice {
            env,
            _aws,
            out,
            helium,
            bridge,
            id,
            topic: format!("application/{APP}/device/{eui}/event/up"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_uplinks_are_rejected_and_do_not_hold_up_the_device() {
    let eui = "00000000000000b1";
    let OneDevice {
        env,
        _aws,
        mut out,
        helium,
        bridge,
        id,
        topic,
    } = OneDevice::start(eui).await;
    let mut events = bridge.events().subscribe();

    // A ChirpStack codec's 200 KB object: the Helium JSON would exceed AWS's 128 KB.
    let mut huge: Value = serde_json::from_slice(&uplink(eui, 1, &uuid::Uuid::new_v4().to_string())).unwrap();
    huge["object"] = json!({ "blob": "x".repeat(200 * 1024) });
    helium.publish(&topic, serde_json::to_vec(&huge).unwrap()).await;
    // A 300-byte FRMPayload: no LoRaWAN region carries that.
    let mut long: Value = serde_json::from_slice(&uplink(eui, 2, &uuid::Uuid::new_v4().to_string())).unwrap();
    long["data"] = json!(base64::engine::general_purpose::STANDARD.encode([7u8; 300]));
    helium.publish(&topic, serde_json::to_vec(&long).unwrap()).await;

    let e = wait_event(&mut events, T, |e| e.kind == "uplink_rejected").await;
    assert_eq!(e.device_id.as_deref(), Some(id.as_str()));
    assert_eq!(e.level, "error");
    let size = e.detail.as_ref().unwrap()["size"].as_u64().unwrap();
    assert!(size > 200 * 1024, "{size}");
    assert_eq!(
        e.message,
        format!(
            "uplink from {} (fcnt 1) rejected: its Helium JSON is {size} bytes, over AWS IoT Core's \
             131072-byte message limit",
            device_name(&huge)
        )
    );
    assert_eq!(e.detail.as_ref().unwrap()["limit"], 131072);
    let e = wait_event(&mut events, T, |e| e.kind == "uplink_rejected").await;
    assert_eq!(
        e.message,
        format!(
            "uplink from {} (fcnt 2) rejected: its LoRaWAN payload is 300 bytes, over the 242-byte LoRaWAN limit",
            device_name(&long)
        )
    );
    assert_eq!(
        (
            e.detail.as_ref().unwrap()["size"].as_u64(),
            e.detail.as_ref().unwrap()["limit"].as_u64()
        ),
        (Some(300), Some(242))
    );

    // The device's next uplink is not stuck behind them.
    let next_uuid = uuid::Uuid::new_v4().to_string();
    let sent_at = Instant::now();
    helium.publish(&topic, uplink(eui, 3, &next_uuid)).await;
    let (_, got) = out.next_json(T).await;
    let took = sent_at.elapsed();
    assert_eq!(got["uuid"], next_uuid.as_str(), "nothing rejected reached AWS");
    eprintln!("next uplink reached AWS {took:?} after it was published");
    assert!(took < Duration::from_secs(1), "the next uplink took {took:?}");
    // Once AWS acknowledged that one the outbox is empty: nothing rejected is waiting in it.
    let deadline = Instant::now() + T;
    while env.core.store().outbox_stats().unwrap().0 != 0 {
        assert!(Instant::now() < deadline, "something rejected was queued");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bridge.shutdown().await;
}

fn device_name(ev: &Value) -> String {
    ev["deviceInfo"]["deviceName"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_counter_jump_warns_once_of_the_uplinks_missing_upstream() {
    let eui = "00000000000000b2";
    let OneDevice {
        env: _env,
        _aws,
        mut out,
        helium,
        bridge,
        id,
        topic,
    } = OneDevice::start(eui).await;
    let mut events = bridge.events().subscribe();
    for fcnt in [10, 21, 22] {
        helium
            .publish(&topic, uplink(eui, fcnt, &uuid::Uuid::new_v4().to_string()))
            .await;
        out.next_json(T).await;
    }
    // The warning is stored before it is handed out, and the uplinks' news is not: it may come
    // after all three uplinks. Wait for all four.
    let mut gaps = Vec::new();
    let mut uplinks = 0;
    while uplinks < 3 || gaps.is_empty() {
        let e = wait_event(&mut events, T, |e| e.kind == "uplink" || e.kind == "upstream_gap").await;
        match e.kind.as_str() {
            "uplink" => uplinks += 1,
            _ => gaps.push(e),
        }
    }
    // After a flush every event emitted so far has been handed out: a second warning is here.
    let bus = bridge.events().clone();
    tokio::task::spawn_blocking(move || bus.flush()).await.unwrap();
    while let Ok(e) = events.try_recv() {
        if e.kind == "upstream_gap" {
            gaps.push(e);
        }
    }
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].level, "warn");
    assert_eq!(gaps[0].device_id.as_deref(), Some(id.as_str()));
    assert!(
        gaps[0]
            .message
            .contains(": 10 uplinks missing upstream since fcnt 10 (the next one heard is fcnt 21)"),
        "{}",
        gaps[0].message
    );
    assert_eq!(gaps[0].detail.as_ref().unwrap()["missing"], 10);
    bridge.shutdown().await;
}

/// Two sources that hear the same device (here: both subscribed to every application on one
/// broker), and a source that delivers an uplink again: each uplink goes to AWS once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uplink_that_comes_twice_goes_to_aws_once_and_overlapping_sources_are_named() {
    let eui = "00000000000000b5";
    let wired = Wired::new(|env| {
        env.chirpstack_source();
        env.core
            .store()
            .create_source(
                "second",
                helium_bridge_core::domain::SourceConfig::ChirpstackMqtt {
                    url: format!("mqtt://127.0.0.1:{}", env.helium.port),
                    username: None,
                    application_id: APP.into(),
                    tls: Default::default(),
                },
            )
            .unwrap()
            .id
    });
    let id = device_id_for_dev_eui(eui);
    wired.env.device(&id, eui, "fleet", &[&wired.integration]);
    let Running {
        env: _env,
        _aws,
        mut out,
        helium,
        bridge,
    } = wired.start().await;
    wait_for_sessions(&bridge, 1).await;
    let mut events = bridge.events().subscribe();
    let topic = format!("application/{APP}/device/{eui}/event/up");
    let uuids: Vec<String> = (0..3).map(|_| uuid::Uuid::new_v4().to_string()).collect();

    // Both sources hear uplink 1: the first one to take it sends it, the other is told so,
    // with a warning that names both sources.
    helium.publish(&topic, uplink(eui, 1, &uuids[0])).await;
    let overlap = wait_event(&mut events, T, |e| e.kind == "source_overlap").await;
    assert_eq!(overlap.level, "warn");
    assert_eq!(overlap.device_id.as_deref(), Some(id.as_str()));
    assert!(
        overlap.message.contains("\"chirpstack\"") && overlap.message.contains("\"second\""),
        "{}",
        overlap.message
    );
    assert!(
        overlap.message.contains("each uplink goes to AWS once"),
        "{}",
        overlap.message
    );
    // Uplink 2: within the minute, the copy is news for whoever watches, not another warning.
    helium.publish(&topic, uplink(eui, 2, &uuids[1])).await;
    let copy = wait_event(&mut events, T, |e| {
        e.message.contains("(fcnt 2) received again from source")
    })
    .await;
    assert!(copy.message.ends_with("; it goes to AWS once"), "{}", copy.message);
    // Uplink 1 once more, as a source redelivers it: both copies are had already.
    helium.publish(&topic, uplink(eui, 1, &uuids[0])).await;
    for _ in 0..2 {
        let again = wait_event(&mut events, T, |e| {
            e.message.contains("(fcnt 1) received again from source")
        })
        .await;
        assert_eq!(again.level, "info");
    }
    // Every copy was dealt with before uplink 3 was sent: AWS has 1, 2 and 3, once each.
    helium.publish(&topic, uplink(eui, 3, &uuids[2])).await;
    let mut got = Vec::new();
    while got.last() != Some(&uuids[2]) {
        let (_, json) = out.next_json(T).await;
        got.push(json["uuid"].as_str().unwrap().to_string());
    }
    assert_eq!(got, uuids[..3].to_vec());
    bridge.shutdown().await;
}

/// A legacy device is keyed by its Console id; labelled by DevEUI (or by that id) before its first
/// uplink, it is one device, and that uplink is forwarded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_legacy_device_labelled_before_its_first_uplink_is_one_device_and_forwarded() {
    let wired = Wired::new(Env::legacy_source);
    let (env, integration) = (&wired.env, &wired.integration);
    let label = env.core.store().create_label("fleet").unwrap();
    env.core
        .store()
        .attach_label_to_integration(&label.id, &integration.id)
        .unwrap();
    let raw = fixture("legacy/full.json");
    let mut by_eui: Value = serde_json::from_slice(&raw).unwrap();
    let mut by_id = by_eui.clone();
    let (eui_a, id_a) = ("5F67F99E10B47006", "4f10d99a-e22e-4007-a3f0-6af3bc63acfe");
    let (eui_b, id_b) = ("5F67F99E10B47007", "9d2b4c1e-0000-4a7b-8c9d-0e1f2a3b4c5d");
    by_id["id"] = json!(id_b);
    by_id["dev_eui"] = json!(eui_b);
    by_id["uuid"] = json!(uuid::Uuid::new_v4().to_string());
    by_eui["id"] = json!(id_a);
    // Labelled the two ways a user knows a device, before it is heard.
    env.core
        .store()
        .attach_label_to_device_ref(&label.id, &eui_a.to_lowercase())
        .unwrap();
    env.core.store().attach_label_to_device_ref(&label.id, id_b).unwrap();
    env.device_cert(env.certs.path(), id_a);
    env.device_cert(env.certs.path(), id_b);
    let Running {
        env,
        _aws,
        mut out,
        helium,
        bridge,
    } = wired.start().await;

    for (id, v) in [(id_a, &by_eui), (id_b, &by_id)] {
        helium
            .publish(&format!("helium/{id}/rx"), serde_json::to_vec(v).unwrap())
            .await;
        let (_, got) = out.next_json(T).await;
        assert_eq!(got["id"], id, "forwarded under its Console id");
        assert_eq!(got["metadata"]["labels"][0]["name"], "fleet");
    }
    let devices = env.core.store().list_devices().unwrap();
    assert_eq!(devices.len(), 2, "one device each, no phantom: {devices:?}");
    for (id, eui) in [(id_a, eui_a), (id_b, eui_b)] {
        let d = env.core.store().find_device(eui).unwrap();
        assert_eq!((d.id.as_str(), d.uplinks), (id, 1));
        assert_eq!(env.core.store().device_labels(id).unwrap()[0].name, "fleet");
    }
    bridge.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_legacy_device_ids_are_rejected_and_never_listed() {
    let wired = Wired::new(Env::legacy_source);
    let good = "4f10d99a-e22e-4007-a3f0-6af3bc63acfe";
    wired
        .env
        .device(good, "5F67F99E10B47006", "fleet", &[&wired.integration]);
    let Running {
        env,
        _aws,
        mut out,
        helium,
        bridge,
    } = wired.start().await;
    let mut events = bridge.events().subscribe();
    let raw: Value = serde_json::from_slice(&fixture("legacy/full.json")).unwrap();
    let rule = "is not a usable device id: it must be 1 to 128 letters, digits, ':', '_' or '-' \
                (it becomes the AWS thing name)";
    let long = "a".repeat(129);
    let cases = [
        ("evil/+/#", "\"evil/+/#\"".to_string()),
        ("", "\"\"".to_string()),
        (long.as_str(), "a 129-character id".to_string()),
        ("$aws/x", "\"$aws/x\"".to_string()),
    ];
    for (bad, shown) in &cases {
        let mut v = raw.clone();
        v["id"] = json!(bad);
        v["uuid"] = json!(uuid::Uuid::new_v4().to_string());
        // The topic is the broker's business; the id inside the body is what becomes a thing.
        helium.publish("helium/x/rx", serde_json::to_vec(&v).unwrap()).await;
        let e = wait_event(&mut events, T, |e| e.kind == "parse_error").await;
        assert_eq!(
            e.message,
            format!("could not read a message from source \"legacy\" on helium/x/rx: invalid id: {shown} {rule}")
        );
    }
    // The bridge keeps going: a good uplink after them is forwarded.
    helium
        .publish(&format!("helium/{good}/rx"), serde_json::to_vec(&raw).unwrap())
        .await;
    let (_, got) = out.next_json(T).await;
    assert_eq!(got["id"], good);
    let ids: Vec<String> = env
        .core
        .store()
        .list_devices()
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(ids, vec![good.to_string()]);
    bridge.shutdown().await;
}

/// An oversize uplink an older version queued is dropped with a named event, not retried
/// forever, and the device's later uplinks go through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversize_uplink_already_in_the_outbox_is_dropped_not_retried() {
    use helium_bridge_core::domain::DeviceSeen;
    use helium_bridge_core::store::Enqueue;
    let env = Env::new();
    let aws = env.aws_broker();
    let integration = env.integration("aws", "helium/uplinks", &aws);
    env.chirpstack_source();
    let eui = "00000000000000b3";
    let id = device_id_for_dev_eui(eui);
    env.device(&id, eui, "fleet", &[&integration]);
    let old = uuid::Uuid::new_v4().to_string();
    let huge = format!("{{\"uuid\":\"{old}\",\"blob\":\"{}\"}}", "x".repeat(140 * 1024));
    let seen = DeviceSeen {
        id: id.clone(),
        name: "old".into(),
        dev_eui: eui.to_uppercase(),
        ..Default::default()
    };
    let entry = Enqueue {
        integration_id: &integration.id,
        device_id: &id,
        uuid: &old,
        payload: &huge,
    };
    env.core.store().enqueue_uplinks(&seen, &[entry]).unwrap();
    let mut out = Observer::tls(&aws, &env.ca, "helium/uplinks").await;
    let helium = Observer::plain(&env.helium, "unused/#").await;
    // Subscribed before the bridge starts: the drop happens as soon as the session is up.
    let bus = helium_bridge_core::events::EventBus::new(env.core.clone());
    let mut events = bus.subscribe();
    let bridge = helium_bridge_core::bridge::Bridge::start_with_bus(
        env.core.clone(),
        bus,
        std::sync::Arc::new(helium_bridge_core::KeyringVault::default()),
        std::sync::Arc::new(helium_bridge_core::aws::DirectoryProvisioner),
        Default::default(),
    )
    .await
    .unwrap();
    log_events(&bridge);
    wait_for_sources(&env.core, &bridge).await;
    let e = wait_event(&mut events, T, |e| e.kind == "uplink_rejected").await;
    assert_eq!(
        e.message,
        format!(
            "uplink {old} for \"aws\" dropped: its Helium JSON is {} bytes, over AWS IoT Core's 131072-byte \
             message limit",
            huge.len()
        )
    );
    assert_eq!(e.device_id.as_deref(), Some(id.as_str()));
    let next = uuid::Uuid::new_v4().to_string();
    helium
        .publish(
            &format!("application/{APP}/device/{eui}/event/up"),
            uplink(eui, 2, &next),
        )
        .await;
    let (_, got) = out.next_json(T).await;
    assert_eq!(got["uuid"], next.as_str());
    bridge.shutdown().await;
}
