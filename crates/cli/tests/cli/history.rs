//! `history search|show|export`: the messages the bridge kept, found by the same filters as the
//! app's, and the errors a user meets.

use helium_bridge_core::monitor::{Direction, Message};

use crate::common::Env;

fn uplink(device: &str, eui: &str, at_ms: i64, json: &str) -> Message {
    let mut m = Message::new(
        "uplink",
        Direction::Up,
        "info",
        format!("uplink from {device} queued for helium/uplinks"),
    )
    .with_json(json.to_string().into())
    .with_source_event(br#"{"deviceInfo":{}}"#);
    m.row.at_ms = at_ms;
    m.row.device_id = Some(format!("id-{device}"));
    m.row.device_name = Some(device.into());
    m.row.dev_eui = Some(eui.into());
    m.row.topic = Some("helium/uplinks".into());
    m.row.qos = Some(1);
    m
}

#[test]
fn history_is_searched_shown_and_exported_with_the_apps_filters() {
    let env = Env::new();
    // Before the bridge ever ran there is nothing to read, and it says so.
    let o = env.fails_with(&["history", "search"], 1);
    assert!(o.stderr.starts_with("error: no message history in "), "{}", o.stderr);

    let now = helium_bridge_core::now_ms();
    {
        let core = env.core();
        let monitor = core.monitor();
        monitor.record(uplink(
            "barn-7",
            "0102030405060708",
            now - 3 * 3_600_000,
            r#"{"fcnt":1,"payload":"AQ=="}"#,
        ));
        monitor.record(uplink(
            "barn-7",
            "0102030405060708",
            now - 60_000,
            r#"{"fcnt":2,"payload":"Ag=="}"#,
        ));
        monitor.record(uplink(
            "field-2",
            "A1A2A3A4A5A6A7A8",
            now - 30_000,
            r#"{"fcnt":9,"note":"a, \"b\""}"#,
        ));
        let mut bad = Message::new(
            "downlink",
            Direction::Down,
            "error",
            "downlink for id-barn-7 rejected: port must be 1 to 223",
        );
        bad.row.device_id = Some("id-barn-7".into());
        monitor.record(bad.with_json(r#"{"payload_raw":"AQ==","port":0}"#.to_string().into()));
    } // closed: everything is in the file
      // The bridge knows the device: an event about it (which keeps its id only) is named.
    env.seen("id-barn-7", "Barn 7", "0102030405060708");

    // Newest first; by DevEUI in any case; the last hour only.
    let out = env.ok(&["history", "search", "--device", "0102030405060708"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0].starts_with("ID  TIME"), "{out}");
    assert!(
        lines[1].starts_with("4 ") && lines[1].contains("downlink") && lines[1].contains("error"),
        "{out}"
    );
    assert!(lines[1].contains("error  Barn 7  "), "{out}");
    assert!(lines[3].starts_with("1 "), "{out}");
    let recent = env.ok(&[
        "history", "search", "--device", "barn-7", "--since", "1h", "--kind", "uplink", "--json",
    ]);
    let ids: Vec<i64> = recent
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(ids, vec![2]);
    // A kind in upper case is the same kind.
    let shouted = env.ok(&[
        "history", "search", "--device", "barn-7", "--since", "1h", "--kind", "UPLINK", "--json",
    ]);
    assert_eq!(shouted, recent);
    // Text in the JSON, and errors only.
    let v = env.ok(&[
        "history",
        "search",
        "--text",
        "\"PORT\":0",
        "--level",
        "error",
        "--json",
    ]);
    assert_eq!(v.lines().count(), 1, "{v}");

    // One message in full: the JSON exactly as it went out.
    let shown = env.json(&["history", "show", "3", "--json"]);
    assert_eq!(shown["json"], r#"{"fcnt":9,"note":"a, \"b\""}"#);
    assert_eq!(shown["dev_eui"], "A1A2A3A4A5A6A7A8");
    let text = env.ok(&["history", "show", "3"]);
    assert!(
        text.contains("json (exactly as published or received):\n{\"fcnt\":9"),
        "{text}"
    );

    // Export: CSV rows are the filtered set, newest first, quoted where needed.
    let csv_path = env.dir.join("out.csv");
    let o = env.run(&[
        "history",
        "export",
        "--format",
        "csv",
        "--kind",
        "uplink",
        "-o",
        csv_path.to_str().unwrap(),
    ]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stderr.contains("exported 3 message(s) to "), "{}", o.stderr);
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("id,time,kind,direction,level,device_id") && lines[0].ends_with(",json,seen_on_aws"),
        "{csv}"
    );
    assert!(
        // The JSON, then an empty seen_on_aws (nothing watched AWS here).
        lines[1].starts_with("3,") && lines[1].ends_with(r#""{""fcnt"":9,""note"":""a, \""b\""""}","#),
        "{csv}"
    );
    assert!(lines[3].starts_with("1,"), "{csv}");
    assert_eq!(lines.len(), 4);
    // NDJSON to stdout: one message per line.
    let o = env.run(&["history", "export", "--format", "ndjson", "--device", "field-2"]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let rows: Vec<serde_json::Value> = o.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["source_event"], r#"{"deviceInfo":{}}"#);

    // Bad input, each named.
    for (args, error) in [
        (
            vec!["history", "search", "--since", "yesterday"],
            "error: --since \"yesterday\": give a number and a unit, e.g. 30s, 15m, 2h or 7d",
        ),
        (
            vec!["history", "search", "--direction", "sideways"],
            "error: --direction \"sideways\": use up, down or none",
        ),
        (
            vec!["history", "search", "--level", "debug"],
            "error: --level \"debug\": use info, warn or error",
        ),
        (
            vec!["history", "search", "--integration", "nope"],
            "error: integration \"nope\" not found",
        ),
        (
            vec!["history", "show", "99"],
            "error: no message 99 in the history (retention may have removed it)",
        ),
        (
            vec![
                "history",
                "search",
                "--from",
                "2026-12-05T10:00:00Z",
                "--until",
                "2026-12-04T10:00:00Z",
            ],
            "error: --from is after --until: no message can match; swap them",
        ),
    ] {
        env.fails(&args, error);
    }
    for (args, error) in [
        (
            vec!["history", "search", "--from", "tuesday"],
            "error: --from \"tuesday\" is not a time like 2026-12-04T10:00:00Z (RFC 3339) or a date like 2026-12-04",
        ),
        (
            vec!["history", "search", "--since", "99999999999999999999d"],
            "error: --since \"99999999999999999999d\" is longer than any history kept; give e.g. 30d",
        ),
    ] {
        env.fails(&args, error);
    }

    // A kind no kept message has is most likely misspelt: said beside "no messages match".
    let o = env.run(&["history", "search", "--kind", "uplinks"]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert_eq!(
        o.stderr.trim_end(),
        "no messages match (no kept message is of kind \"uplinks\": check the spelling, e.g. uplink, join, downlink)"
    );
    let o = env.run(&["history", "search", "--kind", "uplink", "--text", "nothing like this"]);
    assert_eq!(
        o.stderr.trim_end(),
        "no messages match",
        "a kind that is kept is not blamed"
    );
    // So is a device no kept message is about.
    let o = env.run(&["history", "search", "--device", "barn-8", "--kind", "uplinks"]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert_eq!(
        o.stderr.trim_end(),
        "no messages match (no kept message is of kind \"uplinks\": check the spelling, e.g. uplink, join, downlink; \
         no kept message is about a device \"barn-8\": give its id, DevEUI or name as `device list` shows them)"
    );
    // A device the bridge knows (labelled by DevEUI, never heard) that nothing kept is about.
    env.ok(&["label", "add", "later"]);
    env.ok(&["label", "attach", "later", "--device", "00000000000000aa"]);
    let o = env.run(&["history", "search", "--device", "00000000000000AA"]);
    assert_eq!(
        o.stderr.trim_end(),
        "no messages match (device \"00000000000000AA\" has no kept message: it has not been heard since the \
         history began, or its messages are older than the retention)"
    );
    for known in ["BARN-7", "0102030405060708", "id-field-2"] {
        let o = env.run(&["history", "search", "--device", known, "--text", "nothing like this"]);
        assert_eq!(o.stderr.trim_end(), "no messages match", "{known} is a kept device");
    }
    let o = env.fails_with(&["history", "export", "--format", "xml"], 2);
    assert!(
        o.stderr.contains("unknown export format \"xml\": use csv or ndjson"),
        "{}",
        o.stderr
    );
}

#[test]
fn retention_is_read_and_changed_headless_and_bad_values_are_refused() {
    let env = Env::new();
    assert_eq!(
        env.ok(&["history", "retention"]),
        "messages are kept 7 day(s), at most 1024 MiB (the oldest go first)\n"
    );
    assert_eq!(
        env.ok(&["history", "retention", "--days", "30"]),
        "messages are kept 30 day(s), at most 1024 MiB (the oldest go first)\n"
    );
    // What the desktop app's Settings page reads.
    let settings = env.core().store().settings().unwrap();
    assert_eq!((settings.history_days, settings.history_max_mb), (30, 1024));
    for (args, error) in [
        (
            ["--days", "0"],
            "invalid value '0' for '--days <N>': 0 is not in 1..=365",
        ),
        (
            ["--max-mb", "5"],
            "invalid value '5' for '--max-mb <MIB>': 5 is not in 10..=100000",
        ),
    ] {
        let o = env.fails_with(&["history", "retention", args[0], args[1]], 2);
        assert!(o.stderr.contains(error), "{}", o.stderr);
    }
    assert_eq!(env.core().store().settings().unwrap().history_days, 30);
}
