use helium_bridge_core::codec::device_id_for_dev_eui;

use super::common::Env;

fn setup() -> Env {
    let env = Env::new();
    super::integrations::add_prod(&env);
    env.ok(&["label", "add", "fleet"]);
    env
}

#[test]
fn add_and_list() {
    let env = Env::new();
    let o = env.run(&["label", "list"]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.trim()),
        (Some(0), "", "no labels yet; add one with `helium-aws-bridge label add`")
    );
    let out = env.ok(&["label", "add", "  fleet  "]);
    assert!(out.starts_with("added label \"fleet\" (id "), "{out}");
    env.ok(&["label", "add", "Basement"]);
    let v = env.json(&["label", "list", "--json"]);
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(
        (
            v[0]["name"].as_str(),
            v[0]["device_count"].as_i64(),
            v[0]["integration_count"].as_i64()
        ),
        (Some("Basement"), Some(0), Some(0))
    );
    let text = env.ok(&["label", "list"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "NAME      DEVICES  INTEGRATIONS  ID");
    assert_eq!(
        lines[2],
        format!("fleet     0        0             {}", v[1]["id"].as_str().unwrap())
    );

    // Wide characters take two terminal columns each: the columns still line up.
    env.ok(&["label", "add", "倉庫"]);
    let text = env.ok(&["label", "list"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "NAME      DEVICES  INTEGRATIONS  ID");
    assert!(lines[3].starts_with("倉庫      0        0             "), "{text}");
}

#[test]
fn attach_and_detach_integrations_and_devices() {
    let env = setup();
    env.seen("dev-1", "Sensor", "0102030405060708");
    assert_eq!(
        env.ok(&["label", "attach", "fleet", "--integration", "prod"]),
        "attached label \"fleet\" to integration \"Prod\"\n"
    );
    // Idempotent.
    env.ok(&["label", "attach", "FLEET", "--integration", "Prod"]);
    assert_eq!(
        env.ok(&["label", "attach", "fleet", "--device", "dev-1"]),
        "attached label \"fleet\" to device \"Sensor\" (id dev-1)\n"
    );
    // A known device by its DevEUI, any case.
    env.ok(&["label", "add", "other"]);
    env.ok(&["label", "attach", "other", "--device", "0102030405060708"]);
    let v = env.json(&["label", "list", "--json"]);
    assert_eq!(
        (v[0]["device_count"].as_i64(), v[0]["integration_count"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(v[1]["device_count"], 1);
    assert_eq!(
        env.json(&["integration", "show", "Prod", "--json"])["labels"][0]["name"],
        "fleet"
    );

    assert_eq!(
        env.ok(&["label", "detach", "fleet", "--integration", "Prod"]),
        "detached label \"fleet\" from integration \"Prod\"\n"
    );
    assert_eq!(
        env.ok(&["label", "detach", "other", "--device", "0102030405060708"]),
        "detached label \"other\" from device \"Sensor\" (id dev-1)\n"
    );
    let v = env.json(&["label", "list", "--json"]);
    assert_eq!(
        (v[0]["device_count"].as_i64(), v[0]["integration_count"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(v[1]["device_count"], 0);
    env.fails(
        &["label", "detach", "fleet", "--integration", "Prod"],
        "error: label \"fleet\" is not attached to integration \"Prod\"",
    );
    env.fails(
        &["label", "detach", "other", "--device", "dev-1"],
        "error: label \"other\" is not attached to device \"Sensor\"",
    );
}

#[test]
fn attaching_by_dev_eui_registers_a_device_not_heard_yet() {
    let env = setup();
    let id = device_id_for_dev_eui("a84041000181b3c2");
    assert_eq!(
        env.ok(&["label", "attach", "fleet", "--device", "a84041000181B3c2"]),
        format!(
            "registered device A84041000181B3C2 (id {id}) from its DevEUI; it has not been heard from yet \
             (a wrong DevEUI? `device remove A84041000181B3C2` takes it back)\n\
             attached label \"fleet\" to device \"A84041000181B3C2\" (id {id})\n"
        )
    );
    let d = env.json(&["device", "show", &id, "--json"]);
    assert_eq!(d["name"], "A84041000181B3C2");
    assert_eq!(d["dev_eui"], "A84041000181B3C2");
    assert_eq!(d["source"], "");
    assert_eq!(d["last_seen_ms"], serde_json::Value::Null);
    assert_eq!(d["uplinks"], 0);
    assert_eq!(d["labels"][0]["name"], "fleet");
    // Found again by DevEUI, not registered twice.
    env.ok(&["label", "add", "two"]);
    assert_eq!(
        env.ok(&["label", "attach", "two", "--device", "A84041000181B3C2"]),
        format!("attached label \"two\" to device \"A84041000181B3C2\" (id {id})\n")
    );
    assert_eq!(env.json(&["device", "list", "--json"]).as_array().unwrap().len(), 1);
}

#[test]
fn remove_takes_the_label_off_everything() {
    let env = setup();
    env.seen("dev-1", "Sensor", "0102030405060708");
    env.ok(&["label", "attach", "fleet", "--integration", "Prod"]);
    env.ok(&["label", "attach", "fleet", "--device", "dev-1"]);
    assert_eq!(env.ok(&["label", "remove", "FLEET"]), "removed label \"fleet\"\n");
    assert_eq!(env.json(&["label", "list", "--json"]), serde_json::json!([]));
    assert_eq!(
        env.json(&["device", "show", "dev-1", "--json"])["labels"],
        serde_json::json!([])
    );
    assert_eq!(
        env.json(&["integration", "show", "Prod", "--json"])["labels"],
        serde_json::json!([])
    );
}

#[test]
fn bad_input_is_refused_with_a_clear_message_and_nothing_written() {
    let env = setup();
    env.seen("dev-1", "Sensor", "0102030405060708");
    let cases: &[(&[&str], &str)] = &[
        (
            &["label", "add", "FLEET"],
            "error: a label named \"fleet\" already exists (names ignore case)",
        ),
        (&["label", "add", ""], "error: invalid label name: it must not be empty"),
        (
            &["label", "add", "a\tb"],
            "error: invalid label name: it must not contain control characters",
        ),
        // It would be taken for another label's id.
        (
            &["label", "add", "45a2b6b8-3a21-48c7-acaa-2414c4551d69"],
            "error: invalid label name: it looks like an id (a UUID), and commands take names and ids alike; \
             choose a name that does not",
        ),
        // An unknown label must not register the device either.
        (
            &["label", "attach", "nope", "--device", "A84041000181B3C2"],
            "error: label \"nope\" not found",
        ),
        (
            &["label", "attach", "nope", "--integration", "Prod"],
            "error: label \"nope\" not found",
        ),
        (
            &["label", "attach", "fleet", "--integration", "nope"],
            "error: integration \"nope\" not found",
        ),
        (
            &["label", "attach", "fleet", "--device", "not-a-device"],
            "error: invalid device: \"not-a-device\" is neither a known device (by name or id), a DevEUI (16 hex digits) nor a Helium Console device id (a UUID)",
        ),
        (
            &["label", "attach", "fleet", "--device", "A84041000181B3C"],
            "error: invalid device: \"A84041000181B3C\" is neither a known device (by name or id), a DevEUI (16 hex digits) nor a Helium Console device id (a UUID)",
        ),
        (
            &["label", "detach", "fleet", "--device", "A84041000181B3C2"],
            "error: device \"A84041000181B3C2\" not found",
        ),
        (
            &["label", "detach", "nope", "--device", "dev-1"],
            "error: label \"nope\" not found",
        ),
        (
            &["label", "detach", "fleet", "--integration", "nope"],
            "error: integration \"nope\" not found",
        ),
        (&["label", "remove", "nope"], "error: label \"nope\" not found"),
    ];
    for (args, want) in cases {
        env.fails(args, want);
    }
    // A pasted wall of text is quoted by its start, not echoed whole.
    let long = "x".repeat(10_000);
    env.fails(
        &["label", "attach", "fleet", "--device", &long],
        &format!(
            "error: invalid device: \"{}…\" (10000 characters) is neither a known device (by name or id), a DevEUI \
             (16 hex digits) nor a Helium Console device id (a UUID)",
            "x".repeat(40)
        ),
    );
    for (args, want) in [
        (
            &["label", "attach", "fleet"][..],
            "the following required arguments were not provided:\n  <--integration <NAME|ID>|--device <DEVICE>>",
        ),
        (
            &["label", "attach", "fleet", "--integration", "Prod", "--device", "dev-1"],
            "the argument '--integration <NAME|ID>' cannot be used with '--device <DEVICE>'",
        ),
        (
            &["label", "detach", "--device", "dev-1"],
            "the following required arguments were not provided:\n  <LABEL>",
        ),
    ] {
        let o = env.fails_with(args, 2);
        assert!(o.stderr.contains(want), "{args:?}: {}", o.stderr);
    }
}
