//! Decoders attached by label put `decoded` on the Helium JSON, change without a restart, and
//! never stop an uplink: a decoder that fails or loops gives `decoded.status = "error"`.

mod common;

use std::time::Duration;

use common::*;
use helium_bridge_core::codec::device_id_for_dev_eui;
use helium_bridge_core::domain::DecoderKind;
use serde_json::{json, Value};

const T: Duration = Duration::from_secs(20);
const EUI: &str = "00000000000000d1";
/// The seed document's sample uplink: Cayenne LPP.
const SEED: &str = "AWcA8AJodANzJ18Ecc04B9CYMAWGyVCIuDaw";

fn with_data(n: u32, data: &str) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(&uplink(EUI, n, &uuid::Uuid::new_v4().to_string())).unwrap();
    v["data"] = data.into();
    serde_json::to_vec(&v).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_labels_decoder_decodes_changes_live_and_a_failing_one_still_forwards() {
    let env = Env::new();
    let aws = env.aws_broker();
    let integration = env.integration("aws", "helium/uplinks", &aws);
    env.chirpstack_source();
    env.device(&device_id_for_dev_eui(EUI), EUI, "fleet", &[&integration]);
    let (fleet, cayenne) = {
        let store = env.core.store();
        let fleet = store.find_label("fleet").unwrap();
        let d = store.create_decoder("cayenne", DecoderKind::Cayenne, "").unwrap();
        store.attach_decoder_label(&d.id, &fleet.id).unwrap();
        (fleet, d)
    };
    let mut out = Observer::tls(&aws, &env.ca, "helium/uplinks").await;
    let helium = Observer::plain(&env.helium, "unused/#").await;
    let bridge = env.start().await;
    wait_for_sources(&env.core, &bridge).await;
    let topic = format!("application/{APP}/device/{EUI}/event/up");

    // Cayenne LPP, replacing ChirpStack's own `object`.
    helium.publish(&topic, with_data(1, SEED)).await;
    let (_, v) = out.next_json(T).await;
    assert_eq!(v["decoded"]["status"], "success", "{v}");
    let readings = v["decoded"]["payload"].as_array().unwrap();
    assert_eq!(readings.len(), 5);
    assert_eq!(
        readings[0],
        json!({"channel": 1, "type": 103, "name": "temperature", "value": 24.0, "unit": "celsius"})
    );
    assert_eq!(readings[2]["name"], "barometer");
    assert_eq!(readings[2]["value"], 1007.9);

    // A second decoder through a second label on the same device: a conflict, said in `decoded`.
    {
        let store = env.core.store();
        let other = store.create_label("other").unwrap();
        store
            .attach_label_to_device_ref(&other.id, &device_id_for_dev_eui(EUI))
            .unwrap();
        let js = store
            .create_decoder(
                "js",
                DecoderKind::Helium,
                "function Decoder(bytes) { return {first: bytes[0]}; }",
            )
            .unwrap();
        store.attach_decoder_label(&js.id, &other.id).unwrap();
    }
    // The device's page says so too.
    let details =
        helium_bridge_core::views::device_details(&env.core, &helium_bridge_core::engine::Engine::new(false), EUI)
            .unwrap();
    assert_eq!(
        details.decoder,
        helium_bridge_core::views::DeviceDecoderView::Conflict {
            message: "its labels attach 2 decoders (\"cayenne\" through fleet; \"js\" through other): each uplink's \
                      decoded is an error until one is detached"
                .into()
        }
    );
    helium.publish(&topic, with_data(2, SEED)).await;
    let (_, v) = out.next_json(T).await;
    assert_eq!(v["decoded"]["status"], "error");
    assert_eq!(
        v["decoded"]["error"],
        "the device's labels attach 2 decoders: \"cayenne\" (label fleet) and \"js\" (label other); attach one"
    );

    // One left: the JavaScript runs, compiled from the store's current script.
    env.core.store().detach_decoder_label(&cayenne.id, &fleet.id).unwrap();
    helium.publish(&topic, with_data(3, SEED)).await;
    let (_, v) = out.next_json(T).await;
    assert_eq!(v["decoded"], json!({"status": "success", "payload": {"first": 1}}));

    // An endless loop is stopped; the uplink goes out with the reason, and the next one too.
    let js = env.core.store().find_decoder("js").unwrap();
    env.core
        .store()
        .update_decoder(
            &js.id,
            None,
            Some("function Decoder(bytes, port, info) {\n  if (info.fcnt == 4) { while (true) {} }\n  return info.fcnt;\n}"),
        )
        .unwrap();
    helium.publish(&topic, with_data(4, SEED)).await;
    let (_, v) = out.next_json(T).await;
    assert_eq!(v["fcnt"], 4);
    assert_eq!(
        v["decoded"],
        json!({"status": "error", "error": "stopped after 100 ms (the limit): an endless loop?"})
    );
    helium.publish(&topic, with_data(5, SEED)).await;
    let (_, v) = out.next_json(T).await;
    assert_eq!(v["decoded"], json!({"status": "success", "payload": 5}));

    // No decoder: ChirpStack's `object` passes through as before.
    env.core.store().remove_decoder(&js.id).unwrap();
    helium.publish(&topic, with_data(6, SEED)).await;
    let (_, v) = out.next_json(T).await;
    assert_eq!(v["decoded"]["status"], "success");
    assert_ne!(v["decoded"]["payload"], json!(5));
    bridge.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_downlink_given_as_payload_json_is_encoded_by_the_devices_decoder() {
    let env = Env::new();
    let aws = env.aws_broker();
    let integration = env.integration("aws", "helium/uplinks", &aws);
    env.chirpstack_source();
    let id = device_id_for_dev_eui(EUI);
    env.device(&id, EUI, "fleet", &[&integration]);
    let decoder = {
        let store = env.core.store();
        let d = store
            .create_decoder(
                "valve",
                DecoderKind::DecodeUplink,
                "function decodeUplink(input) { return { data: { open: input.bytes[0] === 1 } }; }\n\
                 function encodeDownlink(input) { return { bytes: [input.data.open ? 1 : 0, 7], fPort: 4 }; }",
            )
            .unwrap();
        store
            .attach_decoder_label(&d.id, &store.find_label("fleet").unwrap().id)
            .unwrap();
        d
    };
    let mut up = Observer::tls(&aws, &env.ca, "helium/uplinks").await;
    let mut helium = Observer::plain(&env.helium, "application/+/device/+/command/down").await;
    let bridge = env.start().await;
    let mut events = bridge.events().subscribe();
    // The first uplink tells the bridge the device's application and brings its session up.
    helium
        .publish(
            &format!("application/{APP}/device/{EUI}/event/up"),
            with_data(1, "AQ=="),
        )
        .await;
    let (_, v) = up.next_json(T).await;
    assert_eq!(v["decoded"], json!({"status": "success", "payload": {"open": true}}));

    let down = format!("helium/devices/{id}/down");
    up.publish(&down, r#"{"payload_json":{"open":true},"confirmed":true}"#)
        .await;
    let (_, body) = helium.next_json(T).await;
    assert_eq!(
        body,
        json!({"devEui": EUI, "confirmed": true, "fPort": 4, "data": "AQc="})
    );

    // With no encodeDownlink, the downlink is refused visibly, naming the decoder.
    env.core
        .store()
        .update_decoder(
            &decoder.id,
            None,
            Some("function decodeUplink() { return { data: 1 }; }"),
        )
        .unwrap();
    up.publish(&down, r#"{"payload_json":{"open":false}}"#).await;
    let e = wait_event(&mut events, T, |e| e.kind == "downlink_rejected").await;
    assert_eq!(
        e.detail.as_ref().unwrap()["reason"],
        "payload_json decoder \"valve\": the decoder defines no encodeDownlink(input)"
    );
    helium.expect_silence(Duration::from_millis(300)).await;
    bridge.shutdown().await;
}

/// Two integrations on one AWS endpoint (one session per device): one takes `decoded`, the
/// other leaves it out and updates the thing's shadow instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_integration_gets_decoded_as_it_asks_and_the_shadow_gets_the_reported_state() {
    use helium_bridge_core::domain::PayloadOptions;
    let env = Env::new();
    let aws = env.aws_broker();
    let with = env.integration("with", "helium/with", &aws);
    let without = env.integration("without", "helium/without", &aws);
    env.chirpstack_source();
    let id = device_id_for_dev_eui(EUI);
    env.device(&id, EUI, "fleet", &[&with, &without]);
    {
        let store = env.core.store();
        let d = store.create_decoder("lpp", DecoderKind::Cayenne, "").unwrap();
        store
            .attach_decoder_label(&d.id, &store.find_label("fleet").unwrap().id)
            .unwrap();
        store
            .set_integration_payload(
                &without.id,
                PayloadOptions {
                    decoded: false,
                    source_object: true,
                    shadow: true,
                },
            )
            .unwrap();
    }
    let mut a = Observer::tls(&aws, &env.ca, "helium/with").await;
    let mut b = Observer::tls(&aws, &env.ca, "helium/without").await;
    let mut shadow = Observer::tls(&aws, &env.ca, "$aws/things/+/shadow/update").await;
    let helium = Observer::plain(&env.helium, "unused/#").await;
    let bridge = env.start().await;
    wait_for_sources(&env.core, &bridge).await;
    helium
        .publish(&format!("application/{APP}/device/{EUI}/event/up"), with_data(1, SEED))
        .await;
    let (_, v) = a.next_json(T).await;
    assert_eq!(v["decoded"]["payload"][0]["value"], 24.0);
    let (_, v) = b.next_json(T).await;
    assert!(v.get("decoded").is_none(), "{v}");
    assert_eq!(v["fcnt"], 1);
    let (topic, v) = shadow.next_json(T).await;
    assert_eq!(topic, format!("$aws/things/{id}/shadow/update"));
    let reported = &v["state"]["reported"];
    assert_eq!(reported["temperature_1"], 24.0);
    assert_eq!(reported["barometer_3"], 1007.9);
    assert_eq!(reported["fcnt"], 1);
    assert!(reported["rssi"].is_i64() && reported["snr"].is_number(), "{v}");
    // Each copy has its message, with the event it came from (recorded before it is sent).
    let monitor = env.core.monitor();
    monitor.flush();
    let filter = helium_bridge_core::monitor::MessageFilter {
        device: Some(id.clone()),
        ..Default::default()
    };
    let rows = monitor.reader().unwrap().search(&filter, None, 50).unwrap().rows;
    let mut copies: Vec<(String, Option<String>)> = rows
        .iter()
        .filter(|r| r.kind == "uplink" || r.kind == "shadow_update")
        .map(|r| (r.kind.clone(), r.topic.clone()))
        .collect();
    copies.sort();
    let topic = |t: &str| Some(t.to_string());
    assert_eq!(
        copies,
        [
            (
                "shadow_update".to_string(),
                topic(&format!("$aws/things/{id}/shadow/update"))
            ),
            ("uplink".to_string(), topic("helium/with")),
            ("uplink".to_string(), topic("helium/without")),
        ]
    );
    for r in rows.iter().filter(|r| r.kind == "uplink" || r.kind == "shadow_update") {
        let m = monitor.get(r.id).unwrap().unwrap();
        assert!(m.source_event.as_deref().is_some_and(|e| e.contains(EUI)), "{r:?}");
    }

    // A decode that fails updates no shadow; the uplink still reaches both topics.
    helium
        .publish(
            &format!("application/{APP}/device/{EUI}/event/up"),
            with_data(2, "/w=="),
        )
        .await;
    let (_, v) = a.next_json(T).await;
    assert_eq!(v["decoded"]["status"], "error");
    b.next_json(T).await;
    shadow.expect_silence(Duration::from_millis(500)).await;
    bridge.shutdown().await;
}
