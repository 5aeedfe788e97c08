use super::common::{insert_event, Env};

#[test]
fn list_text_and_json() {
    let env = Env::new();
    let o = env.run(&["device", "list"]);
    assert_eq!(o.code, Some(0));
    assert_eq!(
        (o.stdout.as_str(), o.stderr.trim()),
        (
            "",
            "no devices yet: they appear with their first uplink, or label one by DevEUI"
        )
    );
    assert_eq!(env.json(&["device", "list", "--json"]), serde_json::json!([]));
    env.seen("dev-1", "Sensor", "0102030405060708");
    env.seen("dev-2", "Alpha", "1112131415161718");
    env.ok(&["label", "add", "fleet"]);
    env.ok(&["label", "attach", "fleet", "--device", "dev-1"]);
    let v = env.json(&["device", "list", "--json"]);
    assert_eq!(v[0]["name"], "Alpha");
    assert_eq!(v[1]["id"], "dev-1");
    assert_eq!(v[1]["dev_eui"], "0102030405060708");
    assert_eq!(v[1]["last_seen_ms"], 1_735_787_045_000i64);
    assert_eq!(
        v[1]["labels"],
        serde_json::json!([{"id": v[1]["labels"][0]["id"], "name": "fleet"}])
    );
    assert_eq!(v[0]["labels"], serde_json::json!([]));
    let text = env.ok(&["device", "list"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "NAME    DEVEUI            LAST SEEN             UPLINKS  DOWNLINKS  ERRORS  LABELS  SOURCE  ID"
    );
    assert_eq!(
        lines[2],
        "Sensor  0102030405060708  2025-01-02 03:04:05Z  0        0          0       fleet   src-1   dev-1"
    );
}

#[test]
fn show_has_labels_and_the_last_20_events() {
    let env = Env::new();
    env.seen("dev-1", "Sensor", "A84041000181B3C2");
    env.ok(&["label", "add", "fleet"]);
    env.ok(&["label", "attach", "fleet", "--device", "dev-1"]);
    {
        let core = env.core();
        for i in 1..=25 {
            insert_event(&core, "uplink", &format!("uplink {i}"), Some("dev-1"));
            insert_event(&core, "uplink", "someone else", Some("dev-2"));
        }
    }
    // By id, or by DevEUI or name in any case.
    let v = env.json(&["device", "show", "dev-1", "--json"]);
    assert_eq!(env.json(&["device", "show", "a84041000181b3c2", "--json"]), v);
    assert_eq!(env.json(&["device", "show", "sensor", "--json"]), v);
    assert_eq!(v["name"], "Sensor");
    assert_eq!(v["labels"][0]["name"], "fleet");
    let messages: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    let want: Vec<String> = (6..=25).map(|i| format!("uplink {i}")).collect();
    assert_eq!(messages, want);
    assert_eq!(v["events"][0]["device_id"], "dev-1");

    let text = env.ok(&["device", "show", "dev-1"]);
    for line in [
        "name:      Sensor",
        "DevEUI:    A84041000181B3C2",
        "JoinEUI:   0000000000000001",
        "last seen: 2025-01-02 03:04:05Z",
        "labels:    fleet",
        "last 20 event(s):",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} missing:\n{text}");
    }
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("  20") && last.ends_with(" info  uplink: uplink 25 [device dev-1]"),
        "{last}"
    );
}

#[test]
fn unknown_devices() {
    let env = Env::new();
    env.seen("dev-1", "Sensor", "A84041000181B3C2");
    env.fails(&["device", "show", "nope"], "error: device \"nope\" not found");
    env.fails(
        &["device", "show", "0000000000000000"],
        "error: device \"0000000000000000\" not found",
    );
    let o = env.fails_with(&["device", "show"], 2);
    assert!(
        o.stderr
            .contains("the following required arguments were not provided:\n  <DEVICE>"),
        "{}",
        o.stderr
    );
}

#[test]
fn remove_takes_back_a_mistyped_deveui_and_refuses_a_heard_device() {
    let env = Env::new();
    env.ok(&["label", "add", "fleet"]);
    // One digit wrong: the label registers a device that will never be heard.
    let attached = env.ok(&["label", "attach", "fleet", "--device", "A84041000181B3C9"]);
    assert!(
        attached.contains("(a wrong DevEUI? `device remove A84041000181B3C9` takes it back)"),
        "{attached}"
    );
    let id = helium_bridge_core::codec::device_id_for_dev_eui("A84041000181B3C9");
    assert_eq!(
        env.ok(&["device", "remove", "a84041000181b3c9"]),
        format!("removed device \"A84041000181B3C9\" ({id})\n")
    );
    assert_eq!(env.json(&["device", "list", "--json"]), serde_json::json!([]));
    assert_eq!(env.json(&["label", "list", "--json"])[0]["device_count"], 0);
    env.fails(
        &["device", "remove", "A84041000181B3C9"],
        "error: device \"A84041000181B3C9\" not found",
    );

    env.seen("dev-1", "Sensor", "0102030405060708");
    env.fails(
        &["device", "remove", "dev-1"],
        "error: device \"Sensor\" (dev-1) has been heard from, so its next uplink would bring it back; to stop \
         forwarding it, take its labels off",
    );
    assert_eq!(env.json(&["device", "list", "--json"])[0]["id"], "dev-1");
}

#[test]
fn show_names_the_decoder_its_labels_bring_or_the_conflict() {
    let env = Env::new();
    env.seen("dev-1", "Sensor", "A84041000181B3C2");
    let decoder = || env.json(&["device", "show", "dev-1", "--json"])["decoder"].clone();
    assert_eq!(decoder(), serde_json::json!({"state": "none"}));
    for label in ["fleet", "roof"] {
        env.ok(&["label", "add", label]);
        env.ok(&["label", "attach", label, "--device", "dev-1"]);
    }
    env.ok(&["decoder", "add", "lpp", "--kind", "cayenne"]);
    env.ok(&["decoder", "attach", "lpp", "--label", "fleet"]);
    let text = env.ok(&["device", "show", "dev-1"]);
    assert!(text.lines().any(|l| l == "decoder:   \"lpp\" through fleet"), "{text}");
    let o = env.run_with_stdin(
        &["decoder", "add", "js", "--kind", "helium", "--script", "-"],
        b"function Decoder(bytes) { return {}; }",
    );
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let conflict = "its labels attach 2 decoders (\"js\" through roof; \"lpp\" through fleet): each uplink's \
                    decoded is an error until one is detached";
    // The attach that makes the conflict is done, and says so at once.
    let o = env.run(&["decoder", "attach", "js", "--label", "roof"]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert_eq!(o.stdout, "decoder \"js\" is attached to: roof\n");
    assert_eq!(
        o.stderr.trim_end(),
        format!("warning: device \"Sensor\" (dev-1): {conflict}")
    );
    assert_eq!(decoder(), serde_json::json!({"state": "conflict", "message": conflict}));
    let text = env.ok(&["device", "show", "dev-1"]);
    assert!(
        text.lines().any(|l| l == format!("decoder:   conflict: {conflict}")),
        "{text}"
    );
}

#[test]
fn downlink_and_simulate_without_a_running_bridge_say_how_to_start_one() {
    let env = Env::new();
    env.seen("dev-1", "Sensor", "0102030405060708");
    env.fails(
        &["device", "downlink", "sensor", "--payload", "01 02"],
        "error: the bridge is not running; downlinks go out through it (start the desktop app, or \
         `helium-aws-bridge run`, on this data directory)",
    );
    env.fails(
        &["device", "simulate", "sensor", "--payload", "01 02"],
        "error: the bridge is not running (start the desktop app, or `helium-aws-bridge run`, on this data \
         directory)",
    );
    // Bad input is named before anything is asked of a bridge.
    env.fails(
        &["device", "downlink", "sensor", "--payload", "zz"],
        "error: \"zz\" is neither hex nor base64",
    );
}
