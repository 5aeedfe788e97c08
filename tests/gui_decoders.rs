//! Decoders in the desktop app, as a user works with them: write one from a template in the
//! code editor, see a broken script refused at the right line, test the fixed one against the
//! device's last real uplink, attach it to the device's label, and find its output in the
//! Helium JSON that reaches "AWS". Pages are checked with axe-core and photographed at both
//! sizes (`HELIUM_TEST_ARTIFACTS=docs/screenshots` refreshes the README's pictures).

mod gui;

use gui::lab::*;
use gui::{click, nav, open_integration_details, set_input, wait_texts, WAIT};
use serde_json::json;
use test_harness::aws_observer;
use test_harness::gui::WebDriver;

/// Replaces the code editor's text as typing would (CodeMirror reads DOM input events).
fn set_script(app: &WebDriver, script: &str) {
    app.wait_for(".cm-content", WAIT);
    app.execute(
        "const el = document.querySelector('.cm-content'); el.focus();\
         document.execCommand('selectAll', false, null);\
         document.execCommand('insertText', false, arguments[0]);",
        json!([script]),
    );
    // What the editor holds now, line for line.
    let shown = app.execute(
        "return [...document.querySelectorAll('.cm-content .cm-line')].map(l => l.textContent).join('\\n')",
        json!([]),
    );
    assert_eq!(shown.as_str(), Some(script), "the editor holds the script");
}

const BROKEN: &str = "function Decoder(bytes, port) {\nvar t = ((bytes[2] << 8) | bytes[3]) / 10;\nreturn { temperature: t, port: port };;\n}}";
const CODEC: &str = "function decodeUplink(input) {\nconsole.log(input.bytes.length + ' bytes on port ' + input.fPort);\nreturn { data: { channel: input.bytes[0], humidity: undefined },\n  warnings: ['no humidity reading in this frame'] };\n}";
const FIXED: &str = "function Decoder(bytes, port) {\nvar t = ((bytes[2] << 8) | bytes[3]) / 10;\nreturn { temperature: t, port: port };\n}";

#[test]
fn gui_writes_tests_and_attaches_a_decoder_whose_output_reaches_aws() {
    let lab = Lab::start();
    let mut gui = lab.gui();
    let Seeded { app, aws, lns } = open_seeded(&lab, &mut gui);
    let mut pages = Pages::new();
    // An uplink first: the editor will offer it for testing.
    send_uplink(&lns, 1);
    let first = next_on_aws(&aws);
    assert_eq!(
        first["decoded"]["status"], "success",
        "ChirpStack's object, before any decoder"
    );

    nav(&app, "decoders");
    app.wait_for("[data-testid=decoders-empty]", WAIT);
    pages.look(&app, "decoders-empty");
    click(&app, "[data-testid=new-decoder]");
    click(&app, "[data-testid=decoder-template-helium]");
    click(&app, "[data-testid=new-decoder-continue]");
    set_input(&app, "[data-testid=decoder-name]", "Greenhouse");

    // A script with a syntax error is refused at its line and kept in the editor.
    set_script(&app, BROKEN);
    click(&app, "[data-testid=decoder-save]");
    let refused = wait_texts(&app, "[data-testid=decoder-save-error]", WAIT, |t| t.len() == 1);
    assert!(
        refused[0].contains("line 4") && refused[0].contains("SyntaxError"),
        "{refused:?}"
    );
    app.wait_for("[data-testid=decoder-script][data-error-line='4']", WAIT);
    pages.look(&app, "decoder-refused");

    // Fixed and saved; then tried on the device's last real uplink (the seed payload).
    set_script(&app, FIXED);
    click(&app, "[data-testid=decoder-save]");
    wait_texts(&app, "[data-testid=decoder-saved]", WAIT, |t| {
        t.len() == 1 && t[0].contains("Greenhouse")
    });
    let device = helium_bridge_core::codec::device_id_for_dev_eui(EUI);
    gui::select(&app, "[data-testid=decoder-test-device]", &device);
    click(&app, "[data-testid=decoder-recent-item]");
    click(&app, "[data-testid=decoder-test-run]");
    let output = wait_texts(&app, "[data-testid=decoder-output]", WAIT, |t| t.len() == 1);
    let decoded: serde_json::Value = serde_json::from_str(&output[0]).unwrap();
    // Bytes 2..4 of AWcA8AJodANzJ18Ecc04B9CYMAWGyVCIuDaw are 0x00F0: 24.0.
    assert_eq!(decoded, json!({"temperature": 24, "port": 1}));
    // As it is published: in the script's order, not sorted.
    assert!(output[0].find("temperature") < output[0].find("port"), "{}", output[0]);
    app.execute(
        "document.querySelector('[data-testid=decoder-test-result]').scrollIntoView({ block: 'center' })",
        json!([]),
    );
    pages.look(&app, "decoder-test");
    // A pasted payload is read in the format chosen, base64 unless said (as Helium's JSON has
    // it), never guessed: AAAA, which is hex too, is three zero bytes; as hex, two bytes aa aa.
    set_input(&app, "[data-testid=decoder-test-payload]", "AAAA");
    wait_texts(&app, "[data-testid=decoder-test-bytes]", WAIT, |t| {
        t.len() == 1 && t[0] == "3 bytes: 00 00 00"
    });
    click(&app, "[data-testid=decoder-test-run]");
    wait_texts(&app, "[data-testid=decoder-output]", WAIT, |t| {
        t.len() == 1
            && serde_json::from_str::<serde_json::Value>(&t[0]).ok() == Some(json!({"temperature": 0, "port": 1}))
    });
    click(&app, "[data-testid=decoder-test-format-hex]");
    wait_texts(&app, "[data-testid=decoder-test-bytes]", WAIT, |t| {
        t.len() == 1 && t[0] == "2 bytes: aa aa"
    });
    app.execute(
        "document.querySelector('[data-testid=decoder-test-result]').scrollIntoView({ block: 'center' })",
        json!([]),
    );
    pages.look(&app, "decoder-test-reading");

    // Attached to the device's label: its next uplink carries the decoder's output.
    let label = app.wait_for("[data-testid=decoder-label]", WAIT);
    app.click(&label);
    wait_texts(&app, "[data-testid=decoder-labels-feedback]", WAIT, |t| {
        t.len() == 1 && t[0].contains("farm")
    });
    send_uplink(&lns, 2);
    let got = next_on_aws(&aws);
    assert_eq!(got["fcnt"], 2);
    assert_eq!(
        got["decoded"],
        json!({"status": "success", "payload": {"temperature": 24, "port": 1}})
    );

    // Shadow updates turned on from the integration's page: the thing's reported state follows.
    let shadows = aws_observer(&lab.ca, lab.aws.port, "$aws/things/+/shadow/update");
    open_integration_details(&app);
    click(&app, "[data-testid=payload-shadow-switch][aria-checked=false]");
    app.wait_for("[data-testid=payload-shadow-switch][aria-checked=true]", WAIT);
    wait_texts(&app, "[data-testid=payload-status]", WAIT, |t| {
        t.len() == 1 && t[0].contains("Shadow updates on")
    });
    app.execute(
        "document.querySelector('[data-testid=details-payload]').scrollIntoView({ block: 'center' })",
        json!([]),
    );
    pages.look(&app, "integration-payload");
    send_uplink(&lns, 3);
    assert_eq!(next_on_aws(&aws)["fcnt"], 3);
    let shadow = shadows.recv_timeout(WAIT).expect("a shadow update");
    assert_eq!(shadow["state"]["reported"]["temperature"], 24, "{shadow}");
    assert_eq!(shadow["state"]["reported"]["fcnt"], 3, "{shadow}");

    nav(&app, "decoders");
    wait_texts(&app, "[data-testid=decoder-row]", WAIT, |t| {
        t.len() == 1 && t[0].contains("Greenhouse") && t[0].contains("farm")
    });
    pages.look(&app, "decoders");

    // A ChirpStack / TTN codec, tried before it is saved: its warnings are listed apart from
    // what it logged, and a member it left undefined is null, as on ChirpStack.
    click(&app, "[data-testid=new-decoder]");
    click(&app, "[data-testid=decoder-template-decode_uplink]");
    click(&app, "[data-testid=new-decoder-continue]");
    set_script(&app, CODEC);
    click(&app, "[data-testid=decoder-test-format-hex]");
    set_input(&app, "[data-testid=decoder-test-payload]", "01 67 00 f0");
    click(&app, "[data-testid=decoder-test-run]");
    let output = wait_texts(&app, "[data-testid=decoder-output]", WAIT, |t| t.len() == 1);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&output[0]).unwrap(),
        json!({"channel": 1, "humidity": null})
    );
    wait_texts(&app, "[data-testid=decoder-warnings] li", WAIT, |t| {
        t == ["no humidity reading in this frame"]
    });
    wait_texts(&app, "[data-testid=decoder-logs]", WAIT, |t| t == ["4 bytes on port 1"]);
    app.execute(
        "document.querySelector('[data-testid=decoder-test-result]').scrollIntoView({ block: 'center' })",
        json!([]),
    );
    pages.look(&app, "decoder-test-warnings");
    assert!(
        pages.violations.is_empty(),
        "accessibility:\n{}",
        pages.violations.join("\n")
    );
}
