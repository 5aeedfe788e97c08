//! The real desktop app under Xvfb, driven through tauri-driver + WebKitWebDriver.
//! Screenshots land in tests/artifacts/ (or $HELIUM_TEST_ARTIFACTS).

mod gui;

use gui::{click, launch, set_input, wait_texts, WAIT};
use helium_bridge_core::domain::{IntegrationKind, NewIntegration, SourceConfig};
use helium_bridge_core::monitor::{Direction, Message};
use helium_bridge_core::{Core, DataDir};
use serde_json::json;
use test_harness::gui::GuiSession;
use test_harness::{KeychainSession, Moto, TestCa};

fn new_integration(name: &str) -> NewIntegration {
    NewIntegration {
        kind: IntegrationKind::AwsIotCore,
        name: name.into(),
        region: "eu-west-1".into(),
        topic: "helium/uplinks".into(),
        endpoint: Default::default(),
        forward_joins: false,
    }
}

#[test]
fn gui_opens_on_the_empty_integrations_page_and_round_trips_commands() {
    let data = tempfile::tempdir().unwrap();
    let mut gui = GuiSession::start(&[]);
    let app = launch(&mut gui, data.path());

    assert_eq!(app.title(), "Helium AWS Bridge");
    let empty = app.wait_for("[data-testid=integrations-empty]", WAIT);
    assert!(app.text(&empty).contains("No integrations yet"), "{}", app.text(&empty));
    let add = app.wait_for("[data-testid=add-integration]", WAIT);
    assert_eq!(app.text(&add), "Add an AWS IoT Core integration");
    // app_info round-trips through the typed IPC: the version is the Rust crate's.
    let version = app.wait_for("[data-testid=app-version]", WAIT);
    assert_eq!(app.text(&version), env!("CARGO_PKG_VERSION"));
    // The app opened the data dir it was given.
    assert!(data.path().join("bridge.sqlite3").is_file());
    let shot = app.screenshot("integrations-empty");
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "a real window, not a blank image"
    );

    // Navigation: each page reaches its own command's result; each empty page passes axe.
    let axe = std::fs::read_to_string(test_harness::repo_root().join("ui/node_modules/axe-core/axe.min.js")).unwrap();
    let mut violations = app.accessibility_violations(&axe);
    for (page, empty) in [
        ("sources", "sources-empty"),
        ("devices", "devices-empty"),
        ("labels", "labels-empty"),
    ] {
        let nav = app.wait_for(&format!("[data-testid=nav-{page}]"), WAIT);
        app.click(&nav);
        app.wait_for(&format!("[data-testid={empty}]"), WAIT);
        violations.extend(
            app.accessibility_violations(&axe)
                .into_iter()
                .map(|v| format!("{page}: {v}")),
        );
    }
    app.screenshot("labels-empty");
    assert_eq!(violations, Vec::<String>::new(), "the empty pages");

    // The accessibility check the other GUI tests rely on finds what it should.
    app.execute(
        "document.querySelector('main, .content').insertAdjacentHTML('beforeend', \
         '<p id=\"faint\" style=\"color:#ddd;background:#fff\">hard to read</p>')",
        json!([]),
    );
    let found = app.accessibility_violations(&axe);
    assert!(
        found.len() == 1 && found[0].starts_with("color-contrast:") && found[0].contains("#faint"),
        "{found:?}"
    );
}

#[test]
fn gui_lists_integrations_and_labels_from_the_store() {
    let data = tempfile::tempdir().unwrap();
    {
        let core = Core::open(data.path()).unwrap();
        let store = core.store();
        for (name, region) in [("Warehouse sensors", "eu-central-1"), ("Field trackers", "us-east-1")] {
            store
                .create_integration(&NewIntegration {
                    kind: IntegrationKind::AwsIotCore,
                    name: name.into(),
                    region: region.into(),
                    topic: "helium/uplinks".into(),
                    endpoint: Default::default(),
                    forward_joins: false,
                })
                .unwrap();
        }
        store.create_label("fleet-a").unwrap();
    } // the lock is released here, before the app starts

    let mut gui = GuiSession::start(&[]);
    let app = launch(&mut gui, data.path());
    app.wait_for("[data-testid=integration-row]", WAIT);
    let rows: Vec<String> = app
        .find_all("[data-testid=integration-row]")
        .iter()
        .map(|r| app.text(r))
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows[0].contains("Field trackers") && rows[0].contains("us-east-1"),
        "{rows:?}"
    );
    assert!(
        rows[1].contains("Warehouse sensors") && rows[1].contains("eu-central-1"),
        "{rows:?}"
    );
    assert!(app.find("[data-testid=integrations-empty]").is_none());
    app.screenshot("integrations-list");

    let nav = app.wait_for("[data-testid=nav-labels]", WAIT);
    app.click(&nav);
    let label = app.wait_for("[data-testid=label-row]", WAIT);
    assert!(app.text(&label).contains("fleet-a"), "{}", app.text(&label));
}

#[test]
fn gui_explains_when_another_process_holds_the_data_dir() {
    let data = tempfile::tempdir().unwrap();
    let _held = DataDir::acquire(data.path()).unwrap();
    let mut gui = GuiSession::start(&[]);
    let app = launch(&mut gui, data.path());
    let err = app.wait_for("[data-testid=startup-error]", WAIT);
    let text = app.text(&err);
    assert!(
        text.contains("is in use by another Helium AWS Bridge process"),
        "{text}"
    );
    assert!(text.contains(&format!("(pid {})", std::process::id())), "{text}");
    app.screenshot("data-dir-in-use");
}

#[test]
fn gui_messages_show_the_history_and_integrations_show_the_connections_panel() {
    let data = tempfile::tempdir().unwrap();
    let seeded = [
        (
            "uplink",
            "info",
            "uplink from Barn sensor 7 (fcnt 41) queued for helium/uplinks",
            Some("dev-barn-7"),
        ),
        (
            "outbox_warning",
            "warn",
            "1,204 uplinks have waited for more than an hour",
            None,
        ),
        (
            "auth_failed",
            "error",
            "AWS IoT refused the certificate of device dev-barn-7",
            Some("dev-barn-7"),
        ),
        (
            "uplink",
            "info",
            "uplink from Field sensor 2 (fcnt 3) queued for helium/uplinks",
            Some("dev-field-2"),
        ),
    ];
    {
        let core = Core::open(data.path()).unwrap();
        for (kind, level, text, device) in seeded {
            let direction = if kind == "uplink" {
                Direction::Up
            } else {
                Direction::None
            };
            let mut m = Message::new(kind, direction, level, text);
            m.row.device_id = device.map(String::from);
            core.monitor().record(m);
        }
    } // the lock is released here, before the app starts

    let mut gui = GuiSession::start(&[]);
    let app = launch(&mut gui, data.path());

    // The bridge runs in the app; with no source, the connections panel says why it is empty.
    app.wait_for("[data-testid=bridge-status][data-state=running]", WAIT);
    let panel = app.wait_for("[data-testid=connections]", WAIT);
    assert!(app.text(&panel).contains("Connections"), "{}", app.text(&panel));
    let empty = app.wait_for("[data-testid=connections-empty]", WAIT);
    assert!(app.text(&empty).contains("No connections yet"), "{}", app.text(&empty));
    assert!(app.find("[data-testid=connection-state]").is_none());
    app.screenshot("integrations-connections-empty");

    let nav = app.wait_for("[data-testid=nav-monitor]", WAIT);
    app.click(&nav);
    // Newest first: the bridge's own start, then the seeded messages in reverse.
    let rows = wait_texts(&app, "[data-testid=message-row]", WAIT, |t| t.len() >= 5);
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert!(rows[0].contains("bridge started"), "{rows:?}");
    for (row, (kind, level, text, _)) in rows[1..].iter().zip(seeded.iter().rev()) {
        // The kind reads as words: "auth failed".
        let kind = kind.replace('_', " ");
        assert!(
            row.contains(text) && row.contains(&kind),
            "{row:?} should show {text:?} ({kind})"
        );
        if *level != "info" {
            assert!(row.to_lowercase().contains(level), "{row:?} should show level {level}");
        }
    }
    assert!(app.find("[data-testid=messages-empty]").is_none());
    app.screenshot("monitor-events");

    // By device, as the core filters: the barn sensor's two.
    set_input(&app, "[data-testid=filter-device]", "dev-barn-7");
    let rows = wait_texts(&app, "[data-testid=message-row]", WAIT, |t| t.len() == 2);
    assert!(
        rows.iter()
            .all(|r| r.contains("Barn sensor 7") || r.contains("dev-barn-7")),
        "{rows:?}"
    );
    app.screenshot("monitor-filtered");
}

#[test]
fn gui_streams_live_events_shows_a_connected_source_and_toggles_an_integration() {
    let data = tempfile::tempdir().unwrap();
    let port = test_harness::free_port();
    {
        let core = Core::open(data.path()).unwrap();
        let store = core.store();
        store.create_integration(&new_integration("Warehouse sensors")).unwrap();
        let bind = format!("127.0.0.1:{port}");
        store
            .create_source(
                "farm webhook",
                SourceConfig::HttpWebhook {
                    bind,
                    require_secret: false,
                },
            )
            .unwrap();
    }

    let mut gui = GuiSession::start(&[]);
    let app = launch(&mut gui, data.path());

    // The webhook source listens: a green row in the connections panel, beside the
    // integration's summary row.
    // (Sources and integrations are read by two polls: wait for both rows.)
    let conns = wait_texts(&app, "[data-testid=connection-state]", WAIT, |t| {
        t.len() == 2 && t.iter().any(|r| r.contains("listening"))
    });
    assert!(
        conns[0].contains("farm webhook") && conns[0].contains(&format!("127.0.0.1:{port}")),
        "{conns:?}"
    );
    assert!(conns[1].contains("Warehouse sensors"), "{conns:?}");
    app.wait_for("[data-testid=connection-state][data-connected=true]", WAIT);

    // Disable the integration, live; the row shows it after the reload.
    let toggle = app.wait_for("[data-testid=integration-toggle][aria-checked=true]", WAIT);
    app.click(&toggle);
    app.wait_for("[data-testid=integration-toggle][aria-checked=false]", WAIT);
    wait_texts(&app, "[data-testid=integration-row]", WAIT, |t| {
        t.len() == 1 && t[0].contains("Disabled")
    });
    app.screenshot("integrations-connections");
    {
        // Read-only, alongside the app's own connection.
        let store = helium_bridge_core::Store::open_reader(&data.path().join("bridge.sqlite3")).unwrap();
        let integrations = store.list_integrations().unwrap();
        assert!(!integrations[0].active, "{integrations:?}");
    }

    let nav = app.wait_for("[data-testid=nav-monitor]", WAIT);
    app.click(&nav);
    wait_texts(&app, "[data-testid=message-row]", WAIT, |t| {
        t.iter().any(|r| r.contains("bridge started"))
    });

    // An uplink reaches the webhook while the page is open: it streams in at the top.
    let uplink = std::fs::read(test_harness::repo_root().join("tests/fixtures/chirpstack/reference.json")).unwrap();
    let (status, body) = test_harness::http_post(
        &format!("http://127.0.0.1:{port}/?event=up"),
        &[("content-type", "application/json")],
        &uplink,
    );
    assert_eq!(status, 200, "{body}");
    let rows = wait_texts(&app, "[data-testid=message-row]", WAIT, |t| {
        t.first().is_some_and(|r| r.contains("not forwarded"))
    });
    assert!(rows[0].contains("uplink"), "{rows:?}");
    app.screenshot("monitor-live");
}

#[test]
fn gui_wizard_checks_keys_adds_an_integration_and_deletes_it_with_aws_cleanup() {
    const KEY_ID: &str = "AKIAGUIWIZARDTEST01";
    const SECRET: &str = "gUiWiZaRd/SeCrEt+0123456789abcdefghijkl";
    // moto first: it finds its venv under the HOME the keychain session replaces.
    let moto = Moto::start(&TestCa::new("gui wizard"));
    let keychain = KeychainSession::start();
    let env = keychain.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let data = tempfile::tempdir().unwrap();
    let mut gui = GuiSession::start(&env);
    let app = launch(&mut gui, data.path());

    click(&app, "[data-testid=integrations-empty] [data-testid=add-integration]");
    let wizard = wait_texts(&app, "[data-testid=integration-wizard]", WAIT, |t| t.len() == 1);
    assert!(
        wizard[0].contains("HeliumIntegrationAccess") && wizard[0].contains("AWSIoTConfigAccess"),
        "{wizard:?}"
    );

    // Keys the core refuses: its message, verbatim, in an alert.
    set_input(&app, "[data-testid=wizard-access-key-id]", "akia-not-a-key");
    set_input(&app, "[data-testid=wizard-secret]", SECRET);
    set_input(&app, "[data-testid=wizard-region]", "us-east-1");
    click(&app, "[data-testid=wizard-advanced]");
    set_input(&app, "[data-testid=wizard-api-url]", &moto.endpoint_url());
    click(&app, "[data-testid=wizard-check]");
    let error = wait_texts(&app, "[data-testid=wizard-check-error][role=alert]", WAIT, |t| {
        t.len() == 1
    });
    assert!(error[0].contains("access key id"), "{error:?}");
    app.screenshot("wizard-check-failed");

    // Keys moto accepts: whose they are.
    set_input(&app, "[data-testid=wizard-access-key-id]", KEY_ID);
    click(&app, "[data-testid=wizard-check]");
    let checked = wait_texts(&app, "[data-testid=wizard-check-result]", WAIT, |t| t.len() == 1);
    assert!(
        checked[0].contains("123456789012") && checked[0].contains("arn:aws:"),
        "{checked:?}"
    );
    set_input(&app, "[data-testid=wizard-topic]", "helium/uplinks");
    set_input(&app, "[data-testid=wizard-name]", "Wizard sensors");
    let shot = app.screenshot("wizard-keys-checked");
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);

    click(&app, "[data-testid=wizard-submit]:not([disabled])");
    let rows = wait_texts(&app, "[data-testid=integration-row]", WAIT, |t| t.len() == 1);
    assert!(
        rows[0].contains("Wizard sensors") && rows[0].contains("us-east-1") && rows[0].contains(KEY_ID),
        "{rows:?}"
    );
    let added = wait_texts(&app, "[data-testid=wizard-result]", WAIT, |t| t.len() == 1);
    assert!(added[0].contains("123456789012"), "{added:?}");
    let page = app.execute("return document.body.innerText", json!([]));
    assert!(!page.as_str().unwrap().contains(SECRET), "the secret is shown: {page}");
    app.screenshot("wizard-integration-added");
    {
        let store = helium_bridge_core::Store::open_reader(&data.path().join("bridge.sqlite3")).unwrap();
        let integrations = store.list_integrations().unwrap();
        let aws = integrations[0].aws.as_ref().expect("the IAM user's account");
        assert_eq!(
            (aws.access_key_id.as_str(), aws.account.as_str()),
            (KEY_ID, "123456789012")
        );
        assert_eq!(
            integrations[0].endpoint.api_url.as_deref(),
            Some(moto.endpoint_url().as_str())
        );
    }

    // A new region: the stored keys (from the keychain) are checked there before it is saved.
    click(&app, "[data-testid=integration-update]");
    set_input(&app, "[data-testid=wizard-region]", "eu-west-1");
    let warning = wait_texts(&app, "[data-testid=wizard-region-warning]", WAIT, |t| t.len() == 1);
    assert!(warning[0].contains("provisioned again"), "{warning:?}");
    app.screenshot("wizard-update-region");
    click(&app, "[data-testid=wizard-submit]:not([disabled])");
    let saved = wait_texts(&app, "[data-testid=wizard-result]", WAIT, |t| {
        t.len() == 1 && t[0].starts_with("Saved")
    });
    assert!(saved[0].contains("provisioned again in eu-west-1"), "{saved:?}");
    wait_texts(&app, "[data-testid=integration-row]", WAIT, |t| {
        t.len() == 1 && t[0].contains("eu-west-1")
    });

    // Delete, cleaning up AWS: the report names what went (the key the keychain held).
    click(&app, "[data-testid=integration-delete]");
    app.wait_for("[data-testid=delete-dialog]", WAIT);
    app.screenshot("wizard-delete-dialog");
    click(&app, "[data-testid=delete-cleanup-aws]");
    let report = wait_texts(&app, "[data-testid=remove-outcome]", WAIT, |t| t.len() == 1);
    assert!(
        report[0].contains("Deleted Wizard sensors")
            && report[0].contains("the AWS secret access key in the OS keychain"),
        "{report:?}"
    );
    app.wait_for("[data-testid=integrations-empty]", WAIT);
    app.screenshot("wizard-integration-deleted");
    let store = helium_bridge_core::Store::open_reader(&data.path().join("bridge.sqlite3")).unwrap();
    assert!(store.list_integrations().unwrap().is_empty());

    // The app's output (through tauri-driver) and every file it wrote hold no secret in clear.
    let mut scanned = vec![("app and driver log".to_string(), gui.driver_log().into_bytes())];
    for entry in std::fs::read_dir(data.path()).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            scanned.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
    for (name, bytes) in &scanned {
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "{name} holds the secret"
        );
    }
}
