//! The whole job in the desktop app, as a user does it, from an empty data directory: add a
//! ChirpStack source, walk the wizard (keys checked by moto, AWS data endpoint and CA pointed at
//! the TLS broker, a new label), label a device by DevEUI, and watch its uplinks reach "AWS";
//! detach and reattach the label, turn the integration off and on, send a downlink from the
//! device's page. Then the CLI changes things beside the running app and the app shows them.
//! Each page is checked with axe-core and photographed at 1280×800 and 1024×700
//! (`HELIUM_TEST_ARTIFACTS=docs/screenshots` refreshes the README's pictures).

mod gui;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gui::lab::*;
use gui::{click, launch, nav, open_integration_details, set_input, wait_texts, WAIT};
use serde_json::{json, Value};
use test_harness::gui::{GuiSession, WebDriver};
use test_harness::{aws_observer, lns_observer, KeychainSession, Publisher};

fn add_source(app: &WebDriver, pages: &mut Pages, lab: &Lab) {
    nav(app, "sources");
    app.wait_for("[data-testid=sources-empty]", WAIT);
    pages.look(app, "sources-empty");
    click(app, "[data-testid=sources-empty] [data-testid=add-source]");
    click(app, "[data-testid=kind-chirpstack_mqtt]");
    set_input(app, "[data-testid=source-name]", "Helium LNS");
    set_input(
        app,
        "[data-testid=source-url]",
        &format!("mqtt://127.0.0.1:{}", lab.lns.port),
    );
    set_input(app, "[data-testid=source-application-id]", APP);
    pages.look(app, "source-form");
    click(app, "[data-testid=source-form-submit]");
    wait_texts(app, "[data-testid=source-status]", WAIT, |t| {
        t.len() == 1 && t[0].contains("Connected")
    });
    pages.look(app, "sources");
}

fn walk_the_wizard(app: &WebDriver, pages: &mut Pages, lab: &Lab) {
    nav(app, "integrations");
    app.wait_for("[data-testid=integrations-empty]", WAIT);
    pages.look(app, "integrations-empty");
    click(app, "[data-testid=integrations-empty] [data-testid=add-integration]");
    set_input(app, "[data-testid=wizard-access-key-id]", KEY_ID);
    set_input(app, "[data-testid=wizard-secret]", SECRET);
    set_input(app, "[data-testid=wizard-region]", "us-east-1");
    click(app, "[data-testid=wizard-advanced]");
    let moto = lab.moto.as_ref().expect("moto runs");
    set_input(app, "[data-testid=wizard-api-url]", &moto.endpoint_url());
    set_input(
        app,
        "[data-testid=wizard-data-endpoint]",
        &format!("127.0.0.1:{}", lab.aws.port),
    );
    set_input(app, "[data-testid=wizard-ca-file]", lab.ca_file().to_str().unwrap());
    click(app, "[data-testid=wizard-check]");
    wait_texts(app, "[data-testid=wizard-check-result]", WAIT, |t| {
        t.len() == 1 && t[0].contains("123456789012")
    });
    set_input(app, "[data-testid=wizard-topic]", "helium/uplinks");
    set_input(app, "[data-testid=wizard-name]", "Farm sensors");
    // The source step shows the source just added; the label step makes a new label.
    wait_texts(app, "[data-testid=wizard-sources]", WAIT, |t| {
        t.len() == 1 && t[0].contains("Helium LNS")
    });
    click(app, "[data-testid=wizard-new-label]");
    set_input(app, "[data-testid=wizard-new-label-name]", "farm");
    // The wizard is one long form: a picture per part, each from its first step.
    pages.look_at(app, "wizard-keys", Some("[data-testid=integration-wizard]"));
    pages.look_at(app, "wizard-uplinks", Some(".wizard-steps > .wizard-step:nth-child(3)"));
    pages.look_at(app, "wizard-labels", Some("[data-testid=wizard-labels-step]"));
    click(app, "[data-testid=wizard-submit]:not([disabled])");
    let summary = wait_texts(app, "[data-testid=wizard-label-summary]", WAIT, |t| t.len() == 1);
    assert!(summary[0].contains("farm"), "{summary:?}");
    pages.look(app, "wizard-finished");
    click(app, "[data-testid=wizard-done]");
    wait_texts(app, "[data-testid=integration-row]", WAIT, |t| {
        t.len() == 1 && t[0].contains("Farm sensors")
    });
}

/// Opens the label's members dialog on the Labels page.
fn open_members(app: &WebDriver) {
    nav(app, "labels");
    wait_texts(app, "[data-testid=label-row]", WAIT, |t| {
        t.len() == 1 && t[0].contains("farm")
    });
    click(app, "[data-testid=label-members]");
    app.wait_for("[data-testid=members-ref]", WAIT);
}

/// Ticks the device in the members dialog and presses attach or detach; waits for the result.
fn relabel(app: &WebDriver, attach: bool) {
    open_members(app);
    click(app, &format!("input[aria-label='Select device {DEVICE_NAME}']"));
    click(
        app,
        if attach {
            "[data-testid=members-attach]:not([disabled])"
        } else {
            "[data-testid=members-detach]:not([disabled])"
        },
    );
    let done = if attach { "Attached" } else { "Detached" };
    wait_texts(app, "[role=status]", WAIT, |t| t.iter().any(|s| s.contains(done)));
    click(app, "[data-testid=members-close]");
}

#[test]
fn gui_does_the_whole_job_from_an_empty_data_dir() {
    let lab = Lab::start();
    let mut gui = lab.gui();
    let app = launch(&mut gui, &lab.data());
    app.set_window_size(1280, 800);
    let mut pages = Pages::new();

    add_source(&app, &mut pages, &lab);
    walk_the_wizard(&app, &mut pages, &lab);

    // The device is labelled before it is ever heard, by its DevEUI.
    open_members(&app);
    set_input(&app, "[data-testid=members-ref]", EUI);
    click(&app, "[data-testid=members-ref-attach]");
    wait_texts(&app, "[data-testid=members-count]", WAIT, |t| {
        t.iter().any(|s| s.contains("1 carr"))
    });
    pages.look(&app, "label-members");
    // And a DevEUI with one digit wrong, which will never be heard: the device page takes it back.
    let wrong = "0102030405060709";
    set_input(&app, "[data-testid=members-ref]", wrong);
    click(&app, "[data-testid=members-ref-attach]");
    wait_texts(&app, "[data-testid=members-count]", WAIT, |t| {
        t.iter().any(|s| s.contains("2 carr"))
    });
    click(&app, "[data-testid=members-close]");
    nav(&app, "devices");
    wait_texts(&app, "[data-testid=device-row]", WAIT, |t| t.len() == 2);
    click(
        &app,
        &format!(
            "[data-device-id='{}']",
            helium_bridge_core::codec::device_id_for_dev_eui(wrong)
        ),
    );
    click(&app, "[data-testid=remove-device]");
    app.wait_for("[data-testid=remove-device-dialog]", WAIT);
    pages.look(&app, "device-remove");
    click(&app, "[data-testid=remove-device-confirm]");
    wait_texts(&app, "[data-testid=device-row]", WAIT, |t| {
        t.len() == 1 && t[0].contains(EUI)
    });

    // Its uplink reaches AWS as Helium JSON.
    let aws = aws_observer(&lab.ca, lab.aws.port, "helium/uplinks");
    let lns = Publisher::connect(lab.lns.port);
    let first = send_uplink(&lns, 1);
    let got = next_on_aws(&aws);
    assert_eq!(
        (got["uuid"].as_str(), got["fcnt"].as_u64()),
        (Some(first.as_str()), Some(1)),
        "{got}"
    );
    assert_eq!(got["dev_eui"], EUI);

    // The device appears in Devices, by the name its uplink gave it (the list reads itself again
    // as uplinks come: nothing announces them), and under the integration's Devices Piped.
    nav(&app, "devices");
    wait_texts(&app, "[data-testid=device-row]", WAIT, |t| {
        t.len() == 1 && t[0].contains(EUI) && t[0].contains("sensor-01")
    });
    pages.look(&app, "devices");
    open_integration_details(&app);
    let piped = wait_texts(&app, "[data-testid=piped-row]", WAIT, |t| t.len() == 1);
    assert!(piped[0].contains("helium/devices/"), "{piped:?}");
    pages.look(&app, "integration-details");

    // Detached in the UI: not forwarded. Reattached: the next one is.
    relabel(&app, false);
    send_uplink(&lns, 2);
    wait_uplinks(&lab, 2);
    relabel(&app, true);
    send_uplink(&lns, 3);
    assert_eq!(next_on_aws(&aws)["fcnt"], 3, "uplink 2 went out while detached");

    // Turned off: not forwarded. On again: the next one is.
    nav(&app, "integrations");
    click(&app, "[data-testid=integration-toggle][aria-checked=true]");
    app.wait_for("[data-testid=integration-toggle][aria-checked=false]", WAIT);
    send_uplink(&lns, 4);
    wait_uplinks(&lab, 4);
    click(&app, "[data-testid=integration-toggle][aria-checked=false]");
    app.wait_for("[data-testid=integration-toggle][aria-checked=true]", WAIT);
    send_uplink(&lns, 5);
    assert_eq!(next_on_aws(&aws)["fcnt"], 5, "uplink 4 went out while inactive");

    // A downlink from the device's page reaches the LNS's command topic.
    let commands = lns_observer(lab.lns.port, &format!("application/{APP}/device/+/command/down"));
    nav(&app, "devices");
    click(
        &app,
        &format!(
            "[data-device-id='{}']",
            helium_bridge_core::codec::device_id_for_dev_eui(EUI)
        ),
    );
    app.wait_for("[data-testid=device-details-page]", WAIT);
    set_input(&app, "[data-testid=downlink-port]", "2");
    click(&app, "[data-testid=downlink-format-hex]");
    set_input(&app, "[data-testid=downlink-payload]", "01 02 ff");
    click(&app, "[data-testid=downlink-send]");
    wait_texts(&app, "[data-testid=downlink-result]", WAIT, |t| t.len() == 1);
    let down = commands.recv_timeout(WAIT).expect("a downlink on the LNS");
    assert_eq!(
        (down["fPort"].as_u64(), down["data"].as_str()),
        (Some(2), Some("AQL/")),
        "{down}"
    );
    pages.look(&app, "device-details");
    // The pages not seen yet, populated.
    for (page, shown) in [
        ("labels", "label-row"),
        ("monitor", "message-row"),
        ("settings", "setting-close_to_tray"),
    ] {
        nav(&app, page);
        app.wait_for(&format!("[data-testid={shown}]"), WAIT);
        pages.look(&app, page);
    }

    cli_changes_show_in_the_app(&app, &lab);
    assert!(
        pages.violations.is_empty(),
        "accessibility:\n{}",
        pages.violations.join("\n")
    );
}

/// The CLI, built next to this test.
fn cli() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let cli = dir.join("helium-aws-bridge");
    assert!(
        cli.is_file(),
        "{} is missing: build it (cargo build -p helium-aws-bridge-cli)",
        cli.display()
    );
    cli
}

/// Runs the CLI against the app's data directory; its output.
fn run_cli(lab: &Lab, args: &[&str]) -> String {
    let mut cmd = std::process::Command::new(cli());
    cmd.args(args).arg("--data-dir").arg(lab.data());
    for (k, v) in lab.keychain.env() {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs the CLI with `args`, then checks the app showed the change within a second of the CLI
/// returning: one of the `css` elements shows all of `text`. The page notes when (a
/// MutationObserver, set before the CLI runs), so WebDriver's polling is not counted.
fn cli_change_shown_within_a_second(app: &WebDriver, lab: &Lab, args: &[&str], css: &str, text: &[&str]) {
    let shown_already = app.execute(
        "const [css, text] = arguments;\
         const shows = () => [...document.querySelectorAll(css)]\
           .some((el) => text.every((t) => el.textContent.includes(t)));\
         window.__cliChangeShownAt = null;\
         if (shows()) return true;\
         const watch = new MutationObserver(() => {\
           if (shows()) { window.__cliChangeShownAt = Date.now(); watch.disconnect(); }\
         });\
         watch.observe(document.body, { subtree: true, childList: true, characterData: true });\
         return false;",
        json!([css, text]),
    );
    assert_eq!(shown_already, json!(false), "{text:?} shown before the CLI ran");
    run_cli(lab, args);
    let returned_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as f64;
    wait_texts(app, css, WAIT, |t| t.iter().any(|s| text.iter().all(|x| s.contains(x))));
    let shown_ms = app
        .execute("return window.__cliChangeShownAt", json!([]))
        .as_f64()
        .expect("the page noted when the change showed");
    let after = shown_ms - returned_ms;
    eprintln!("{text:?} shown {after:.0} ms after the CLI returned");
    assert!(
        after < 1000.0,
        "{text:?} shown {after:.0} ms after the CLI returned (at most 1 s)"
    );
}

fn cli_changes_show_in_the_app(app: &WebDriver, lab: &Lab) {
    nav(app, "labels");
    let rows = "[data-testid=label-row]";
    cli_change_shown_within_a_second(
        app,
        lab,
        &["label", "add", "from-cli"],
        rows,
        &["from-cli", "0 devices"],
    );
    cli_change_shown_within_a_second(
        app,
        lab,
        &["label", "attach", "from-cli", "--device", EUI],
        rows,
        &["from-cli", "1 device"],
    );

    nav(app, "sources");
    let bind = format!("127.0.0.1:{}", test_harness::free_port());
    cli_change_shown_within_a_second(
        app,
        lab,
        &["source", "add", "webhook", "cli hook", "--bind", &bind],
        "[data-testid=source-row]",
        &["cli hook"],
    );

    nav(app, "integrations");
    cli_change_shown_within_a_second(
        app,
        lab,
        &["integration", "update", "Farm sensors", "--topic", "helium/cli"],
        "[data-testid=integration-row]",
        &["helium/cli"],
    );

    let devices = run_cli(lab, &["device", "list"]);
    assert!(devices.contains(EUI), "{devices}");
}

#[test]
fn gui_turns_an_integration_red_when_aws_is_down_and_green_when_its_backlog_drains() {
    let mut lab = Lab::start();
    let mut gui = lab.gui();
    let Seeded { app, aws, lns } = open_seeded(&lab, &mut gui);
    let mut pages = Pages::new();
    nav(&app, "integrations");
    send_uplink(&lns, 1);
    assert_eq!(next_on_aws(&aws)["fcnt"], 1);
    wait_texts(&app, "[data-testid=health-badge]", WAIT, |t| {
        trimmed(t) == ["Connected"]
    });
    wait_texts(&app, "[data-testid=bridge-status]", WAIT, |t| {
        t.len() == 1 && t[0].contains("Bridge running")
    });
    pages.look(&app, "integrations");

    // AWS goes away: red within 10 s, in the row and the sidebar.
    lab.aws.stop();
    let red = Instant::now();
    let badge = wait_texts(&app, "[data-testid=health-badge]", Duration::from_secs(10), |t| {
        t.len() == 1 && t[0].starts_with("Failing")
    });
    eprintln!("red {} ms after AWS stopped: {badge:?}", red.elapsed().as_millis());
    wait_texts(&app, "[data-testid=bridge-status]", WAIT, |t| {
        t.len() == 1 && t[0].contains("AWS unreachable for Farm sensors")
    });
    // The backlog grows with each uplink that arrives meanwhile.
    send_uplink(&lns, 2);
    wait_texts(&app, "[data-testid=health-backlog]", WAIT, |t| {
        trimmed(t) == ["Backlog 1"]
    });
    send_uplink(&lns, 3);
    send_uplink(&lns, 4);
    wait_texts(&app, "[data-testid=health-backlog]", WAIT, |t| {
        trimmed(t) == ["Backlog 3"]
    });
    pages.look(&app, "integrations-aws-down");

    // Back: green, the backlog drains to 0, and every waiting uplink arrives, in order.
    lab.aws.restart();
    wait_texts(&app, "[data-testid=health-badge]", WAIT, |t| {
        trimmed(t) == ["Connected"]
    });
    wait_texts(&app, "[data-testid=health-backlog]", WAIT, |t| {
        trimmed(t) == ["Backlog 0"]
    });
    let after: Vec<Value> = (0..3).map(|_| next_on_aws(&aws)["fcnt"].clone()).collect();
    assert_eq!(after, [2, 3, 4]);
    assert!(
        pages.violations.is_empty(),
        "accessibility:\n{}",
        pages.violations.join("\n")
    );
}

#[test]
fn gui_edits_labels_offline_and_they_survive_a_restart() {
    let mut lab = Lab::start();
    seed(&lab);
    // Every network down: no broker, no AWS.
    lab.lns.stop();
    lab.aws.stop();
    lab.moto = None;
    let mut gui = lab.gui();
    let app = launch(&mut gui, &lab.data());
    app.set_window_size(1280, 800);
    let mut pages = Pages::new();
    // The device was registered by DevEUI in the seed; it gets a second label, on and off.
    nav(&app, "labels");
    set_input(&app, "[data-testid=new-label-name]", "offline");
    click(&app, "[data-testid=new-label-add]");
    wait_texts(&app, "[data-testid=label-row]", WAIT, |t| t.len() == 2);
    let rows = app.find_all("[data-testid=label-members]");
    app.click(&rows[1]);
    click(&app, &format!("input[aria-label='Select device {EUI}']"));
    click(&app, "[data-testid=members-attach]:not([disabled])");
    wait_texts(&app, "[role=status]", WAIT, |t| {
        t.iter().any(|s| s.contains("Attached"))
    });
    click(&app, "[data-testid=member-integration]");
    wait_texts(&app, "[role=status]", WAIT, |t| {
        t.iter().any(|s| s.contains("Farm sensors"))
    });
    pages.look(&app, "labels-offline");
    click(&app, "[data-testid=members-close]");
    // Detached again from the integration only.
    let rows = app.find_all("[data-testid=label-members]");
    app.click(&rows[1]);
    click(&app, "[data-testid=member-integration]");
    wait_texts(&app, "[data-testid=label-row]", WAIT, |t| {
        t.iter()
            .any(|r| r.contains("offline") && r.contains("1 device") && r.contains("0 integrations"))
    });
    drop(app);
    drop(gui);

    // After a restart of the app: still there.
    let mut gui = lab.gui();
    let app = launch(&mut gui, &lab.data());
    nav(&app, "labels");
    let rows = wait_texts(&app, "[data-testid=label-row]", WAIT, |t| t.len() == 2);
    assert!(
        rows.iter()
            .any(|r| r.contains("offline") && r.contains("1 device") && r.contains("0 integrations")),
        "{rows:?}"
    );
    assert!(
        pages.violations.is_empty(),
        "accessibility:\n{}",
        pages.violations.join("\n")
    );
}

#[test]
fn gui_a_second_launch_on_the_same_data_dir_hands_over_to_the_first() {
    let keychain = KeychainSession::start();
    let data = tempfile::tempdir().unwrap();
    let env = keychain.env();
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut gui = GuiSession::start(&env_refs);
    let app = launch(&mut gui, data.path());
    app.wait_for("[data-testid=integrations-empty]", WAIT);

    // As a user double-clicking the app again: same display, same session bus, same data.
    let mut second = std::process::Command::new(env!("CARGO_BIN_EXE_helium-aws-bridge-desktop"));
    second
        .arg("--data-dir")
        .arg(data.path())
        .env("DISPLAY", &gui.display)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in &env {
        second.env(k, v);
    }
    let mut child = second.spawn().unwrap();
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the second launch kept running instead of handing over to the first");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(status.success(), "{status}: {stderr}");
    assert!(
        !stderr.contains("in use"),
        "it must not open a second window on a held data dir: {stderr}"
    );
    // The first is still there, answering.
    app.wait_for("[data-testid=integrations-empty]", WAIT);
}
