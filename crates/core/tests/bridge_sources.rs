//! The legacy Helium MQTT source and the HTTP webhook.

mod common;

use std::time::Duration;

use common::*;
use helium_bridge_core::bridge::{Bridge, BridgeOptions};
use helium_bridge_core::codec::device_id_for_dev_eui;
use helium_bridge_core::domain::SourceConfig;
use helium_bridge_core::{aws::DirectoryProvisioner, sources::secret_key, KeyringVault, Vault};
use serde_json::Value;
use test_harness::{http_post, KeychainSession};

const T: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_uplinks_and_downlinks() {
    let env = Env::new();
    let aws = env.aws_broker();
    let integration = env.integration("aws", "helium/uplinks", &aws);
    env.legacy_source();
    let raw = fixture("legacy/full.json");
    let input: Value = serde_json::from_slice(&raw).unwrap();
    let id = input["id"].as_str().unwrap().to_string();
    env.device(&id, input["dev_eui"].as_str().unwrap(), "fleet-a", &[&integration]);
    let mut out = Observer::tls(&aws, &env.ca, "helium/uplinks").await;
    let mut helium = Observer::plain(&env.helium, "helium/+/tx").await;
    let bridge = env.start().await;

    helium.publish(&format!("helium/{id}/rx"), raw).await;
    let (_, mut got) = out.next_json(T).await;
    let mut want: Value = serde_json::from_slice(&fixture("legacy/full.expected.json")).unwrap();
    let label_id = env.core.store().list_labels().unwrap()[0].id.clone();
    for v in [&mut got, &mut want] {
        // The label is the bridge's own: its id is random, its organization the uplink's.
        v["metadata"]["labels"][0]["id"] = Value::String(label_id.clone());
        v["metadata"]["labels"][0]["organization_id"] = input["metadata"]["organization_id"].clone();
    }
    assert_eq!(got, want);

    out.publish(
        &format!("helium/devices/{id}/down"),
        r#"{"payload_raw":"AQID","port":3}"#,
    )
    .await;
    let (topic, body) = helium.next_json(T).await;
    assert_eq!(topic, format!("helium/{id}/tx"));
    assert_eq!(
        body,
        serde_json::json!({"payload_raw": "AQID", "port": 3, "confirmed": false})
    );
    bridge.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_accepts_chirpstack_and_legacy_json_and_refuses_a_wrong_secret() {
    let keychain = KeychainSession::start();
    keychain.apply_env_to_this_process();
    let env = Env::new();
    let aws = env.aws_broker();
    let integration = env.integration("aws", "helium/uplinks", &aws);
    let port = test_harness::free_port();
    let source = env
        .core
        .store()
        .create_source(
            "hook",
            SourceConfig::HttpWebhook {
                bind: format!("127.0.0.1:{port}"),
                require_secret: true,
            },
        )
        .unwrap();
    let vault = KeyringVault::with_service(format!("hab-test-{}", std::process::id()));
    vault.put(&secret_key(&source.id), b"s3cret-token").unwrap();
    let cs = fixture("chirpstack/reference.json");
    let eui = "0102030405060708";
    env.device(&device_id_for_dev_eui(eui), eui, "fleet-a", &[&integration]);
    let legacy = fixture("legacy/full.json");
    let legacy_v: Value = serde_json::from_slice(&legacy).unwrap();
    env.device(
        legacy_v["id"].as_str().unwrap(),
        legacy_v["dev_eui"].as_str().unwrap(),
        "fleet-a",
        &[],
    );
    let mut out = Observer::tls(&aws, &env.ca, "helium/uplinks").await;
    let bridge = Bridge::start(
        env.core.clone(),
        std::sync::Arc::new(vault),
        std::sync::Arc::new(DirectoryProvisioner),
        BridgeOptions::default(),
    )
    .await
    .unwrap();
    let mut events = bridge.events().subscribe();
    log_events(&bridge);
    wait_for_sources(&env.core, &bridge).await;
    let url = format!("http://127.0.0.1:{port}/");

    let (status, body) = tokio::task::spawn_blocking({
        let (url, cs) = (url.clone(), cs.clone());
        move || {
            http_post(
                &format!("{url}?event=up"),
                &[("content-type", "application/json"), ("authorization", "Bearer wrong")],
                &cs,
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("wrong or missing secret"), "{body}");
    let e = wait_event(&mut events, T, |e| e.kind == "auth_failed").await;
    assert_eq!(e.detail.as_ref().unwrap()["refused_total"], 1);
    let (status, _) = tokio::task::spawn_blocking({
        let (url, cs) = (url.clone(), cs.clone());
        move || http_post(&format!("{url}?event=up"), &[], &cs)
    })
    .await
    .unwrap();
    assert_eq!(status, 401, "a missing secret is refused too");
    out.expect_silence(Duration::from_millis(500)).await;

    let post = |q: &'static str, body: Vec<u8>, secret_header: (&'static str, &'static str)| {
        let url = format!("{url}{q}");
        tokio::task::spawn_blocking(move || {
            http_post(&url, &[("content-type", "application/json"), secret_header], &body)
        })
    };
    let (status, body) = post("?event=up", cs.clone(), ("authorization", "Bearer s3cret-token"))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let (_, got) = out.next_json(T).await;
    assert_eq!(got["uuid"], "3f2b6c1e-8a4d-4c2e-9b1a-2d6f0e7c5a91");

    // A webhook cannot carry downlinks: a downlink for its device is rejected with that reason.
    out.publish(
        &format!("helium/devices/{}/down", device_id_for_dev_eui(eui)),
        r#"{"payload_raw":"AQID"}"#,
    )
    .await;
    let e = wait_event(&mut events, T, |e| e.kind == "downlink_rejected").await;
    assert_eq!(
        e.detail.as_ref().unwrap()["reason"],
        "the device's source is an HTTP webhook, which cannot carry downlinks"
    );

    let (status, body) = post("", legacy.clone(), ("x-helium-bridge-secret", "s3cret-token"))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let (_, got) = out.next_json(T).await;
    assert_eq!(got["id"], legacy_v["id"]);

    let (status, body) = post("?event=up", b"{oops".to_vec(), ("authorization", "Bearer s3cret-token"))
        .await
        .unwrap();
    assert_eq!(status, 400);
    assert!(body.contains("not JSON"), "{body}");
    let (status, _) = post("?event=status", cs.clone(), ("authorization", "Bearer s3cret-token"))
        .await
        .unwrap();
    assert_eq!(status, 200, "other event types are acknowledged and ignored");
    out.expect_silence(Duration::from_millis(500)).await;
    bridge.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chirpstack_over_mqtts_with_a_client_certificate() {
    let env = Env::new();
    let aws = env.aws_broker();
    let integration = env.integration("aws", "helium/uplinks", &aws);
    // The Helium-side broker speaks TLS and wants a client certificate too.
    let helium_tls = test_harness::Mosquitto::tls(&env.ca);
    let files = env.certs.path();
    let client = env.ca.client_identity("helium-aws-bridge");
    std::fs::write(files.join("src-ca.pem"), &env.ca.cert_pem).unwrap();
    std::fs::write(files.join("src.pem"), &client.cert_pem).unwrap();
    std::fs::write(files.join("src.key"), &client.key_pem).unwrap();
    let path = |f: &str| Some(files.join(f).display().to_string());
    env.core
        .store()
        .create_source(
            "chirpstack-tls",
            SourceConfig::ChirpstackMqtt {
                url: format!("mqtts://localhost:{}", helium_tls.port),
                username: None,
                application_id: APP.into(),
                tls: helium_bridge_core::domain::MqttTlsFiles {
                    ca_file: path("src-ca.pem"),
                    cert_file: path("src.pem"),
                    key_file: path("src.key"),
                },
            },
        )
        .unwrap();
    let eui = "0102030405060708";
    env.device(&device_id_for_dev_eui(eui), eui, "fleet-a", &[&integration]);
    let mut out = Observer::tls(&aws, &env.ca, "helium/uplinks").await;
    let helium = Observer::tls(&helium_tls, &env.ca, "unused/#").await;
    let bridge = env.start().await;
    helium
        .publish(
            &format!("application/{APP}/device/{eui}/event/up"),
            fixture("chirpstack/reference.json"),
        )
        .await;
    let (_, got) = out.next_json(T).await;
    assert_eq!(got["dev_eui"], "0102030405060708");
    bridge.shutdown().await;
}

/// A source saved by an older version under looser rules (an application id that is not a
/// UUID) still starts, and the user hears which setting this version refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_saved_under_older_rules_starts_with_a_warning_naming_the_setting() {
    let env = Env::new();
    let id = env.chirpstack_source();
    let db = rusqlite::Connection::open(env.data.path().join(helium_bridge_core::datadir::DB_FILE)).unwrap();
    db.execute(
        "UPDATE sources SET config = json_set(config, '$.application_id', 'app-1') WHERE id = ?1",
        [&id],
    )
    .unwrap();
    let bridge = env.start().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let warning = loop {
        let events = env.core.store().events_after(0, 1000).unwrap();
        if let Some(e) = events
            .into_iter()
            .find(|e| e.message.contains("has a setting this version refuses"))
        {
            break e;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no warning about the old setting"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        (warning.level.as_str(), warning.source_id.as_deref()),
        ("warn", Some(id.as_str()))
    );
    assert!(
        warning.message.starts_with(
            "source \"chirpstack\" has a setting this version refuses (invalid application id: \"app-1\" is not a \
             ChirpStack application id"
        ),
        "{}",
        warning.message
    );
    bridge.shutdown().await;
}
