//! The real desktop app under Xvfb, driven through tauri-driver + WebKitWebDriver.
//! Screenshots land in tests/artifacts/ (or $HELIUM_TEST_ARTIFACTS).

use std::path::Path;
use std::time::Duration;

use helium_bridge_core::domain::{IntegrationKind, NewIntegration};
use helium_bridge_core::{Core, DataDir};
use test_harness::gui::{GuiSession, WebDriver};

const WAIT: Duration = Duration::from_secs(30);

fn launch(gui: &mut GuiSession, data_dir: &Path) -> WebDriver {
    let app = Path::new(env!("CARGO_BIN_EXE_helium-aws-bridge-desktop"));
    gui.launch(app, &["--data-dir".to_string(), data_dir.display().to_string()])
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
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000, "a real window, not a blank image");

    // Navigation: each page reaches its own command's result.
    let nav = app.wait_for("[data-testid=nav-devices]", WAIT);
    app.click(&nav);
    app.wait_for("[data-testid=devices-empty]", WAIT);
    let nav = app.wait_for("[data-testid=nav-labels]", WAIT);
    app.click(&nav);
    app.wait_for("[data-testid=labels-empty]", WAIT);
    app.screenshot("labels-empty");
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
    let rows: Vec<String> = app.find_all("[data-testid=integration-row]").iter().map(|r| app.text(r)).collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[0].contains("Field trackers") && rows[0].contains("us-east-1"), "{rows:?}");
    assert!(rows[1].contains("Warehouse sensors") && rows[1].contains("eu-central-1"), "{rows:?}");
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
    assert!(text.contains("is in use by another Helium AWS Bridge process"), "{text}");
    assert!(text.contains(&format!("(pid {})", std::process::id())), "{text}");
    app.screenshot("data-dir-in-use");
}
