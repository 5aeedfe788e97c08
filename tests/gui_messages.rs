//! The Messages page as a user debugging an integration works with it: an uplink shows the JSON
//! AWS received and its payload as hex, a bad downlink sent to AWS shows as an error with its
//! reason, filters narrow the list, the list holds still while the user reads further down and
//! offers the new ones, and History exports exactly what it lists. Pages are checked with
//! axe-core and photographed at both sizes (`HELIUM_TEST_ARTIFACTS=docs/screenshots`).

mod gui;

use base64::Engine;
use gui::lab::*;
use gui::{click, nav, open_integration_details, select, texts, wait_texts, WAIT};
use serde_json::{json, Value};
use test_harness::gui::{GuiSession, WebDriver};
use test_harness::Publisher;

/// The JSON tab's whole text (CodeMirror renders only the lines in view; `EditorView.findFromDOM`
/// reads the view the same way).
fn json_tab(app: &WebDriver) -> String {
    app.wait_for("[data-testid=detail-json] .cm-content", WAIT);
    let v = app.execute(
        "return document.querySelector('[data-testid=detail-json] .cm-content').cmTile.root.view.state.doc.toString()",
        json!([]),
    );
    v.as_str().expect("the editor's text").to_string()
}

/// The `data-id` of the message row at the top of the list's viewport.
fn row_in_view(app: &WebDriver) -> String {
    let v = app.execute(
        "const s = document.querySelector('[data-testid=messages-scroll]').getBoundingClientRect();\
         const el = document.elementFromPoint(s.left + 40, s.top + 60);\
         const row = el && el.closest('[data-testid=message-row]');\
         return row ? row.dataset.id : null;",
        json!([]),
    );
    v.as_str().expect("a row in view").to_string()
}

fn scroll_top(app: &WebDriver) -> f64 {
    app.execute(
        "return document.querySelector('[data-testid=messages-scroll]').scrollTop",
        json!([]),
    )
    .as_f64()
    .unwrap()
}

#[test]
fn gui_shows_messages_exactly_holds_its_place_and_exports_what_it_lists() {
    let lab = Lab::start();
    let export = lab.tmp.path().join("messages.csv");
    let mut env = lab.keychain.env();
    env.push(("HELIUM_AWS_BRIDGE_EXPORT_TO", export.display().to_string()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut gui = GuiSession::start(&env);
    let Seeded { app, aws, lns } = open_seeded(&lab, &mut gui);
    let mut pages = Pages::new();
    let device = helium_bridge_core::codec::device_id_for_dev_eui(EUI);

    send_uplink(&lns, 1);
    let at_aws = next_on_aws(&aws);
    nav(&app, "monitor");
    click(&app, "[data-testid=message-row][data-kind=uplink]");
    app.wait_for("[data-testid=message-detail]", WAIT);
    // The JSON tab holds what AWS received, value for value.
    let shown: Value = serde_json::from_str(&json_tab(&app)).expect("the JSON tab holds JSON");
    assert_eq!(shown, at_aws);
    pages.look(&app, "message-detail");
    // Its payload as a hex dump: offset, then the bytes (8 a line in the pane beside the list, 16
    // where it has the room).
    click(&app, "[data-testid=detail-tab-hex]");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(at_aws["payload"].as_str().unwrap())
        .unwrap();
    let first: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let hex = wait_texts(&app, "[data-testid=detail-hex]", WAIT, |t| {
        t.len() == 1 && t[0].contains("0000")
    });
    assert!(
        hex[0].contains(&format!("0000  {}", first.join(" "))),
        "{hex:?} should start with {first:?}"
    );
    pages.look(&app, "message-detail-hex");

    // Someone sends a bad downlink through AWS: an error, with the reason, and the body it came with.
    let aws_side = Publisher::connect_tls(&lab.ca, lab.aws.port);
    aws_side.publish(
        &format!("helium/devices/{device}/down"),
        br#"{"payload_raw":"@@@","port":2}"#.to_vec(),
    );
    let bad = wait_texts(
        &app,
        "[data-testid=message-row][data-kind=downlink][data-level=error]",
        WAIT,
        |t| t.len() == 1,
    );
    assert!(bad[0].contains("payload_raw must be standard base64"), "{bad:?}");
    // Errors only: the downlink is all that is left.
    select(&app, "[data-testid=filter-level]", "error");
    wait_texts(&app, "[data-testid=message-row]", WAIT, |t| {
        t.len() == 1 && t[0].contains("payload_raw must be standard base64")
    });
    click(&app, "[data-testid=message-row]");
    // (The pane keeps the tab chosen last: back to the JSON.)
    click(&app, "[data-testid=detail-tab-json]");
    let json_text = json_tab(&app);
    assert_eq!(json_text.replace([' ', '\n'], ""), r#"{"payload_raw":"@@@","port":2}"#);
    select(&app, "[data-testid=filter-level]", "");

    // Watch AWS with the integration's own monitor identity (made by hand here, like this
    // integration's device certificates): the next uplink is seen arriving at AWS.
    let lns_commands = test_harness::lns_observer(lab.lns.port, "application/+/device/+/command/down");
    let integration = helium_bridge_core::Store::open_reader(&lab.data().join("bridge.sqlite3"))
        .unwrap()
        .list_integrations()
        .unwrap()
        .remove(0);
    let monitor = helium_bridge_core::aws::provision::policy::monitor_thing_name(&integration);
    let identity = lab.ca.client_identity(&monitor);
    let certs = lab.tmp.path().join("certs");
    std::fs::write(certs.join(format!("{monitor}.cert.pem")), identity.cert_pem).unwrap();
    std::fs::write(certs.join(format!("{monitor}.key.pem")), identity.key_pem).unwrap();
    click(&app, "[data-testid=watch-toggle]");
    wait_texts(&app, "[data-testid=watch-state]", WAIT, |t| {
        t.len() == 1 && t[0].starts_with("Watching In the list: 0 uplinks seen on AWS")
    });
    send_uplink(&lns, 2);
    next_on_aws(&aws);
    let seen_rows = || -> Vec<String> {
        serde_json::from_value(app.execute(
            "return [...document.querySelectorAll('[data-testid=message-row][data-kind=uplink]')]\
               .filter(r => r.querySelector('[data-testid=seen-on-aws]')).map(r => r.textContent)",
            json!([]),
        ))
        .unwrap()
    };
    let deadline = std::time::Instant::now() + WAIT;
    while seen_rows().is_empty() {
        if std::time::Instant::now() >= deadline {
            let state = texts(&app, "[data-testid=watch-state]");
            let rows = texts(&app, "[data-testid=message-row]");
            let log = gui.driver_log();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            panic!(
                "no uplink was marked seen on AWS\nwatch: {state:?}\nrows: {rows:#?}\nAWS broker:\n{}\napp log (newest first):\n{}",
                lab.aws.log(),
                tail.join("\n")
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let seen = seen_rows();
    assert!(
        seen.len() == 1 && seen[0].contains("(fcnt 2)"),
        "only the uplink sent while watching: {seen:?}"
    );
    pages.look(&app, "messages-watch-aws");

    // A downlink published from the viewer goes through AWS, and the bridge takes it to the LNS.
    click(&app, "[data-testid=publish-downlink]");
    app.wait_for("[data-testid=publish-dialog]", WAIT);
    wait_texts(&app, "[data-testid=publish-device] option", WAIT, |t| !t.is_empty());
    pages.look(&app, "messages-publish-downlink");
    click(&app, "[data-testid=publish-send]");
    let result = wait_texts(&app, "[data-testid=publish-result]", WAIT, |t| t.len() == 1);
    assert!(
        result[0].contains(&format!("AWS acknowledged it on helium/devices/{device}/down")),
        "{result:?}"
    );
    let command = lns_commands
        .recv_timeout(WAIT)
        .expect("the downlink at the LNS command topic");
    assert_eq!(command["fPort"], 1, "{command}");
    assert_eq!(command["data"], "AQID", "{command}");
    click(&app, "[data-testid=publish-dialog-x]");

    // Enough uplinks to scroll; the user scrolls down to read.
    for fcnt in 3..=40 {
        send_uplink(&lns, fcnt);
    }
    // All 40 in the view (the newest on top) before the user scrolls.
    wait_uplinks(&lab, 40);
    wait_texts(&app, "[data-testid=message-row][data-kind=uplink]", WAIT, |t| {
        t.len() >= 12 && t[0].contains("(fcnt 40)")
    });
    app.execute(
        "document.querySelector('[data-testid=messages-scroll]').scrollTop = 400",
        json!([]),
    );
    let reading = row_in_view(&app);
    let top = scroll_top(&app);
    assert!(top >= 300.0, "scrolled to {top}");
    // Three more arrive: the row being read stays where it was, and the marker offers them.
    for fcnt in 41..=43 {
        send_uplink(&lns, fcnt);
    }
    let marker = wait_texts(&app, "[data-testid=messages-new-marker]", WAIT, |t| {
        t.len() == 1 && t[0].starts_with('3')
    });
    assert!(marker[0].contains("new — jump to latest"), "{marker:?}");
    assert_eq!(row_in_view(&app), reading, "the row being read moved");
    pages.look(&app, "messages-live");
    click(&app, "[data-testid=messages-new-marker]");
    wait_texts(&app, "[data-testid=messages-new-marker]", WAIT, |t| t.is_empty());
    assert!(scroll_top(&app) < 1.0, "back at the latest");

    // History: the uplinks; the export writes those rows, in the order listed.
    click(&app, "[data-testid=messages-mode-history]");
    select(&app, "[data-testid=filter-kind]", "uplink");
    click(&app, "[data-testid=history-search]");
    let count = wait_texts(&app, "[data-testid=history-count]", WAIT, |t| {
        t.len() == 1 && t[0].starts_with("43 messages found")
    });
    let listed: Vec<String> = serde_json::from_value(app.execute(
        "return [...document.querySelectorAll('[data-testid=message-row]')].map(r => r.dataset.id)",
        json!([]),
    ))
    .unwrap();
    assert!(listed.len() >= 10, "{count:?} {listed:?}");
    pages.look(&app, "messages-history");
    click(&app, "[data-testid=export-csv]");
    let result = wait_texts(&app, "[data-testid=export-result]", WAIT, |t| t.len() == 1);
    assert!(result[0].starts_with("Exported 43 messages to "), "{result:?}");
    let mut csv = csv::Reader::from_path(&export).unwrap();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 43);
    assert!(rows.iter().all(|r| &r[2] == "uplink"));
    let exported: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(
        &exported[..listed.len()],
        listed.iter().map(String::as_str).collect::<Vec<_>>().as_slice()
    );
    assert!(texts(&app, "[data-testid=export-error]").is_empty());

    // The device's page charts its RSSI from the history: the latest is the last uplink's.
    nav(&app, "devices");
    click(&app, &format!("[data-device-id='{device}']"));
    // Drawn (uPlot), not just summarised: the app runs with LANG=C here, whose "C" tag Intl refuses.
    app.wait_for(
        "[data-testid=device-charts] [data-testid=device-chart] [data-drawing=drawn]",
        WAIT,
    );
    let rssi = at_aws["hotspots"][0]["rssi"].as_f64().unwrap();
    let stats = wait_texts(
        &app,
        "[data-testid=device-charts] [data-testid=chart-stats]",
        WAIT,
        |t| t.len() == 2,
    );
    assert!(
        stats[0].contains(&format!("{rssi}")),
        "RSSI {rssi} should be the latest: {stats:?}"
    );
    app.execute(
        "document.querySelector('[data-testid=device-charts]').scrollIntoView({block: 'start'})",
        json!([]),
    );
    pages.look(&app, "device-charts");

    // A simulated uplink from the Messages page goes out to AWS, marked, like a real one.
    nav(&app, "monitor");
    click(&app, "[data-testid=simulate-uplink]");
    app.wait_for("[data-testid=simulate-dialog]", WAIT);
    wait_texts(&app, "[data-testid=simulate-device] option", WAIT, |t| !t.is_empty());
    click(&app, "[data-testid=simulate-send]");
    let result = wait_texts(&app, "[data-testid=simulate-result]", WAIT, |t| t.len() == 1);
    assert!(result[0].starts_with("Sent to 1 integration;"), "{result:?}");
    // (After the real uplinks the observer still holds.)
    let simulated = std::iter::repeat_with(|| next_on_aws(&aws))
        .find(|m| m["metadata"].get("simulated").is_some())
        .unwrap();
    assert_eq!(simulated["metadata"]["simulated"], true, "{simulated}");
    assert_eq!(simulated["payload"], "AQID", "{simulated}");
    pages.look(&app, "messages-simulate-uplink");
    click(&app, "[data-testid=simulate-dialog-x]");

    // The integration's page charts its uplinks per second from the history, and its backlog.
    open_integration_details(&app);
    app.wait_for("[data-testid=rate-chart] [data-drawing=drawn]", WAIT);
    app.wait_for("[data-testid=backlog-chart]", WAIT);
    // Drawn, the charts fit the room kept for them while loading: nothing below moved under
    // the pointer (a click meant for a switch below would land on another).
    let slot = app.execute(
        "const s = document.querySelector('.rate-chart-slot');\
         return [s.offsetHeight, parseFloat(getComputedStyle(s).minHeight)]",
        json!([]),
    );
    assert_eq!(slot[0], slot[1], "the drawn charts' height, and the room kept: {slot}");
    app.execute(
        "document.querySelector('[data-testid=integration-rate-chart]').scrollIntoView({ block: 'start' })",
        json!([]),
    );
    pages.look(&app, "integration-rate-chart");

    assert!(
        pages.violations.is_empty(),
        "accessibility:\n{}",
        pages.violations.join("\n")
    );
}
