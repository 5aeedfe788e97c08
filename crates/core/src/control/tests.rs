//! The control plane over its socket, as the CLI of another process uses it.

use std::time::Duration;

use super::endpoint::{self, endpoint_file};
use super::socket::{serve, Client};
use super::*;
use crate::domain::DecoderKind;
// (The source tests that use these need a keychain: Linux only.)
#[cfg(target_os = "linux")]
use crate::domain::SourceConfig;
#[cfg(target_os = "linux")]
use zeroize::Zeroizing;

fn opened() -> (tempfile::TempDir, Arc<Control>) {
    let dir = tempfile::tempdir().unwrap();
    let core = Arc::new(Core::open(dir.path()).unwrap());
    (dir, Control::new(core, Engine::new(false)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_over_the_socket_are_made_and_announced() {
    let (dir, control) = opened();
    let mut changed = control.subscribe();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    serve(control.clone(), dir.path(), stopped).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(endpoint_file(dir.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the socket is its user's only");
    }

    let path = dir.path().to_path_buf();
    let replies = tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(&path).unwrap();
        let added = c.call(&Request::LabelAdd { name: "fleet".into() });
        let again = c.call(&Request::LabelAdd { name: "FLEET".into() });
        let missing = c.call(&Request::LabelAttach {
            label: "fleet".into(),
            targets: vec![Target::Integration("nope".into())],
        });
        (added, again, missing)
    })
    .await
    .unwrap();
    let Ok(Reply::Label { label }) = replies.0 else {
        panic!("{:?}", replies.0)
    };
    assert_eq!(label.name, "fleet");
    assert_eq!(control.core().store().find_label("fleet").unwrap().id, label.id);
    let e = replies.1.unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("conflict", "a label named \"fleet\" already exists (names ignore case)")
    );
    let e = replies.2.unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("not_found", "integration \"nope\" not found")
    );

    // Whoever watches (the desktop's views) hears of it within a second.
    let heard = tokio::time::timeout(Duration::from_secs(1), changed.recv()).await;
    assert_eq!(heard.unwrap().unwrap().what, vec!["labels".to_string()]);

    // A request it cannot read is answered with why, and the connection serves on.
    let path = dir.path().to_path_buf();
    let answers = tokio::task::spawn_blocking(move || {
        use std::io::{BufRead, BufReader, Write};
        let mut s = endpoint::connect(&path, Duration::from_secs(30)).unwrap();
        s.write_all(b"{\"op\":\"label_explode\"}\n{\"op\":\"label_remove\",\"label\":\"fleet\"}\n")
            .unwrap();
        let mut r = BufReader::new(s);
        let (mut a, mut b) = (String::new(), String::new());
        r.read_line(&mut a).unwrap();
        r.read_line(&mut b).unwrap();
        (a, b)
    })
    .await
    .unwrap();
    let bad: serde_json::Value = serde_json::from_str(&answers.0).unwrap();
    assert_eq!(bad["err"]["code"], "bad_request", "{bad}");
    assert!(
        bad["err"]["detail"].as_str().unwrap().contains("label_explode"),
        "{bad}"
    );
    let removed: serde_json::Value = serde_json::from_str(&answers.1).unwrap();
    assert_eq!(removed["ok"]["done"], "label_removed", "{removed}");

    let _ = stop.send(true);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while endpoint_file(dir.path()).exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the endpoint's file was not removed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[cfg(target_os = "linux")]
fn chirpstack(username: Option<&str>) -> SourceConfig {
    SourceConfig::ChirpstackMqtt {
        url: "mqtt://127.0.0.1:1883".into(),
        username: username.map(str::to_string),
        application_id: "+".into(),
        tls: Default::default(),
    }
}

#[cfg(target_os = "linux")]
fn secret(s: &str) -> Option<Secret> {
    Some(Secret(Zeroizing::new(s.into())))
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_source_keeps_replaces_or_drops_its_secret_as_its_settings_need() {
    let keychain = test_harness::KeychainSession::start();
    keychain.apply_env_to_this_process();
    let (_dir, control) = opened();
    let vault = vault::from_env().unwrap();
    let stored = |id: &str| {
        vault
            .get(&crate::sources::secret_key(id))
            .unwrap()
            .map(|s| String::from_utf8(s.to_vec()).unwrap())
    };
    let Reply::Source { source } = control
        .handle(Request::SourceAdd {
            name: "lns".into(),
            config: chirpstack(Some("bridge")),
            secret: secret("pw-1"),
        })
        .await
        .unwrap()
    else {
        panic!()
    };
    let update = |name: &str, config, secret| Request::SourceUpdate {
        source: source.id.clone(),
        name: name.into(),
        config,
        secret,
    };
    // Renamed, password field left empty: the stored password stays.
    control
        .handle(update("lns-2", chirpstack(Some("bridge")), None))
        .await
        .unwrap();
    assert_eq!(stored(&source.id).as_deref(), Some("pw-1"));
    assert_eq!(control.core().store().find_source(&source.id).unwrap().name, "lns-2");
    control
        .handle(update("lns-2", chirpstack(Some("bridge")), secret("pw-2")))
        .await
        .unwrap();
    assert_eq!(stored(&source.id).as_deref(), Some("pw-2"));
    // A password without a username is refused, and nothing changes.
    let e = control
        .handle(update("x", chirpstack(None), secret("pw-3")))
        .await
        .unwrap_err();
    assert_eq!(e.code, "invalid", "{e:?}");
    assert_eq!(control.core().store().find_source(&source.id).unwrap().name, "lns-2");
    // No username any more: no password stays behind.
    control.handle(update("lns-2", chirpstack(None), None)).await.unwrap();
    assert_eq!(stored(&source.id), None);
    // A webhook that requires a secret it was never given is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let hook = SourceConfig::HttpWebhook {
        bind: format!("127.0.0.1:{port}"),
        require_secret: true,
    };
    let e = control.handle(update("lns-2", hook.clone(), None)).await.unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "invalid",
            "webhook \"lns-2\" has no shared secret stored; give one, or stop requiring it"
        )
    );
    control.handle(update("hook", hook, secret("s3cret"))).await.unwrap();
    assert_eq!(stored(&source.id).as_deref(), Some("s3cret"));

    let Reply::Source { source: paused } = control
        .handle(Request::SourceSetPaused {
            source: "hook".into(),
            paused: true,
        })
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(paused.paused);
    assert!(
        control.core().store().find_source("hook").unwrap().paused,
        "kept across a reload"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_label_goes_on_many_targets_at_once_all_or_none() {
    let (_dir, control) = opened();
    control
        .handle(Request::LabelAdd { name: "fleet".into() })
        .await
        .unwrap();
    let devices = || {
        vec![
            Target::Device("A84041000181B3C2".into()),
            Target::Device("A84041000181B3C3".into()),
        ]
    };
    let Reply::Linked {
        devices: linked,
        registered,
        ..
    } = control
        .handle(Request::LabelAttach {
            label: "fleet".into(),
            targets: devices(),
        })
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (linked.len(), registered.len()),
        (2, 2),
        "both registered: not heard yet"
    );
    let summary = |c: &Control| c.core().store().list_labels().unwrap().remove(0);
    assert_eq!(summary(&control).device_count, 2);
    assert_eq!(summary(&control).devices, {
        let mut ids: Vec<String> = linked.iter().map(|d| d.id.clone()).collect();
        ids.sort();
        ids
    });

    // One target does not carry it: nothing is detached, and the error names it.
    let mut targets = devices();
    targets.push(Target::Device("A84041000181B3C4".into()));
    let e = control
        .handle(Request::LabelDetach {
            label: "fleet".into(),
            targets,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code, "not_found", "{e:?}");
    assert_eq!(summary(&control).device_count, 2, "all or none");
    control
        .handle(Request::LabelDetach {
            label: "fleet".into(),
            targets: devices(),
        })
        .await
        .unwrap();
    assert_eq!(summary(&control).device_count, 0);
    let e = control
        .handle(Request::LabelAttach {
            label: "fleet".into(),
            targets: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(e.message, "name at least one device or integration");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_registered_by_a_mistyped_deveui_can_be_removed_but_a_heard_one_cannot() {
    let (_dir, control) = opened();
    let mut changed = control.subscribe();
    control
        .handle(Request::LabelAdd { name: "fleet".into() })
        .await
        .unwrap();
    control
        .handle(Request::LabelAttach {
            label: "fleet".into(),
            targets: vec![Target::Device("A84041000181B3C9".into())],
        })
        .await
        .unwrap();
    let store = || control.core().store();
    // Provisioned in advance for an integration: its thing stays there, and the reply says so.
    let integration = store()
        .create_integration(&crate::store::tests::new_integration("Farm"))
        .unwrap();
    let registered = crate::codec::device_id_for_dev_eui("A84041000181B3C9");
    store()
        .put_device_key(&integration.id, &registered, &registered, "us-east-1", b"sealed")
        .unwrap();
    let Reply::DeviceRemoved { device, things_kept_in } = control
        .handle(Request::DeviceRemove {
            device: "a84041000181b3c9".into(),
        })
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(device.dev_eui, "A84041000181B3C9");
    assert_eq!(things_kept_in, ["Farm"]);
    assert!(store().list_devices().unwrap().is_empty(), "the device is gone");
    assert_eq!(store().list_labels().unwrap()[0].device_count, 0, "and off its label");
    let mut heard = vec![];
    while let Ok(c) = changed.try_recv() {
        heard.extend(c.what);
    }
    assert!(heard.contains(&"devices".to_string()), "{heard:?}");

    let e = control
        .handle(Request::DeviceRemove {
            device: "A84041000181B3C9".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("not_found", "device \"A84041000181B3C9\" not found")
    );

    seen_porch(&control);
    let fleet = store().find_label("fleet").unwrap().id;
    store().attach_label_to_device_ref(&fleet, "dev-1").unwrap();
    let e = control
        .handle(Request::DeviceRemove { device: "dev-1".into() })
        .await
        .unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "conflict",
            "device \"porch\" (dev-1) has been heard from, so its next uplink would bring it back; to stop \
             forwarding it, take its labels off"
        )
    );
    assert_eq!(store().list_labels().unwrap()[0].device_count, 1, "nothing changed");
}

/// Device `dev-1` ("porch", DevEUI 0102030405060708), as if it had sent an uplink.
fn seen_porch(control: &Control) {
    control
        .core()
        .store()
        .record_device_seen(&crate::domain::DeviceSeen {
            id: "dev-1".into(),
            name: "porch".into(),
            dev_eui: "0102030405060708".into(),
            ..Default::default()
        })
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_downlink_from_the_app_needs_a_known_device_and_a_running_bridge() {
    let (_dir, control) = opened();
    let downlink = |device: &str| Request::DeviceDownlink {
        device: device.into(),
        port: 2,
        confirmed: false,
        payload_raw: "AQL/".into(),
    };
    let e = control.handle(downlink("0102030405060708")).await.unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("not_found", "device \"0102030405060708\" not found")
    );
    seen_porch(&control);
    // Nothing runs here: the downlink is refused with why, not queued somewhere it never leaves.
    let e = control.handle(downlink("dev-1")).await.unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("unavailable", "the bridge is not running; downlinks go out through it")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_through_aws_simulating_and_watching_say_what_is_wrong() {
    let (_dir, control) = opened();
    seen_porch(&control);
    let store = control.core().store();
    let integration = store
        .create_integration(&crate::domain::NewIntegration {
            kind: crate::domain::IntegrationKind::AwsIotCore,
            name: "farm".into(),
            region: "us-east-1".into(),
            topic: "helium/uplinks".into(),
            endpoint: Default::default(),
            forward_joins: false,
        })
        .unwrap();
    drop(store);
    let error = |r: Result<Reply, ControlError>| {
        let e = r.unwrap_err();
        (e.code, e.message)
    };
    let publish = |device: &str, downlink: &str| Request::DownlinkViaAws {
        integration: "farm".into(),
        device: device.into(),
        downlink: downlink.into(),
    };
    assert_eq!(
        error(control.handle(publish("nope", "{}")).await),
        ("not_found".into(), "device \"nope\" not found".into())
    );
    let (code, message) = error(control.handle(publish("dev-1", "{\"payload_raw\":")).await);
    assert_eq!(code, "invalid");
    assert!(message.starts_with("the downlink is not JSON: EOF"), "{message}");
    // Well-formed, but nothing runs here to publish it.
    assert_eq!(
        error(control.handle(publish("dev-1", "{}")).await),
        ("unavailable".into(), "the bridge is not running".into())
    );

    let simulate = |payload: &str| Request::DeviceSimulateUplink {
        device: "0102030405060708".into(),
        port: 1,
        payload: payload.into(),
    };
    let (code, message) = error(control.handle(simulate("")).await);
    assert_eq!((code.as_str(), message.as_str()), ("invalid", "the payload is empty"));
    assert_eq!(
        error(control.handle(simulate("0102")).await),
        ("unavailable".into(), "the bridge is not running".into())
    );
    let watch = Request::IntegrationWatch {
        integration: integration.id.clone(),
        on: true,
    };
    assert_eq!(
        error(control.handle(watch).await),
        ("unavailable".into(), "the bridge is not running".into())
    );
    // Reading the watches needs no bridge: there are none.
    match control.handle(Request::WatchStates).await.unwrap() {
        Reply::Watching { states } => assert!(states.is_empty(), "{states:?}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_that_gives_a_device_two_decoders_is_made_and_warned_of() {
    let (_dir, control) = opened();
    seen_porch(&control);
    for name in ["fleet", "roof"] {
        control.handle(Request::LabelAdd { name: name.into() }).await.unwrap();
    }
    let decoder = |name: &str, kind, script: &str| Request::DecoderAdd {
        name: name.into(),
        kind,
        script: script.into(),
    };
    control.handle(decoder("lpp", DecoderKind::Cayenne, "")).await.unwrap();
    control
        .handle(decoder(
            "js",
            DecoderKind::Helium,
            "function Decoder(bytes) { return {}; }",
        ))
        .await
        .unwrap();
    let attach_decoder = |d: &str, l: &str| Request::DecoderAttach {
        decoder: d.into(),
        labels: vec![l.into()],
    };
    let label_on_porch = |l: &str, attach: bool| {
        let (label, targets) = (l.to_string(), vec![Target::Device("dev-1".into())]);
        if attach {
            Request::LabelAttach { label, targets }
        } else {
            Request::LabelDetach { label, targets }
        }
    };
    let warned = |reply: Reply| match reply {
        Reply::Linked { warnings, .. } | Reply::DecoderLinked { warnings, .. } => warnings,
        other => panic!("{other:?}"),
    };
    let conflict = "device \"porch\" (dev-1): its labels attach 2 decoders (\"js\" through roof; \"lpp\" through \
                    fleet): each uplink's decoded is an error until one is detached";
    for (req, want) in [
        (attach_decoder("lpp", "fleet"), vec![]),
        (label_on_porch("fleet", true), vec![]),
        (label_on_porch("roof", true), vec![]),
        // The second decoder reaches the device through roof.
        (attach_decoder("js", "roof"), vec![conflict.to_string()]),
        (label_on_porch("roof", false), vec![]),
        (label_on_porch("roof", true), vec![conflict.to_string()]),
    ] {
        let what = format!("{req:?}");
        assert_eq!(warned(control.handle(req).await.unwrap()), want, "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decoder_is_kept_as_the_kind_its_script_is() {
    let (_dir, control) = opened();
    let kind_of = |reply: Reply| match reply {
        Reply::Decoder { decoder } => decoder.kind,
        other => panic!("{other:?}"),
    };
    // Chosen as a Helium Console decoder, but the script is a ChirpStack codec: it runs as one
    // either way, and the list says what runs.
    let added = control
        .handle(Request::DecoderAdd {
            name: "ttn".into(),
            kind: DecoderKind::Helium,
            script: "function decodeUplink(input) { return { data: {} }; }".into(),
        })
        .await
        .unwrap();
    assert_eq!(kind_of(added), DecoderKind::DecodeUplink);
    let edited = control
        .handle(Request::DecoderUpdate {
            decoder: "ttn".into(),
            name: None,
            script: Some("function Decoder(bytes, port) { return {}; }".into()),
        })
        .await
        .unwrap();
    assert_eq!(kind_of(edited), DecoderKind::Helium);
    // A script with both keeps the kind chosen.
    let both = "function Decoder(b) { return {}; }\nfunction decodeUplink(i) { return { data: {} }; }";
    let added = control
        .handle(Request::DecoderAdd {
            name: "both".into(),
            kind: DecoderKind::DecodeUplink,
            script: both.into(),
        })
        .await
        .unwrap();
    assert_eq!(kind_of(added), DecoderKind::DecodeUplink);
}
