//! What the GUI tests share: launching the app on a data directory and driving its page
//! through WebDriver (waiting on states, typing into React inputs, clicking).
#![allow(dead_code)]

pub mod lab;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use test_harness::gui::{GuiSession, WebDriver};

pub const WAIT: Duration = Duration::from_secs(30);

pub fn launch(gui: &mut GuiSession, data_dir: &Path) -> WebDriver {
    let app = Path::new(env!("CARGO_BIN_EXE_helium-aws-bridge-desktop"));
    gui.launch(app, &["--data-dir".to_string(), data_dir.display().to_string()])
}

/// The `innerText` of the elements matching `css`, once `done` accepts them (or panics after
/// `timeout`). (WebKitWebDriver's element text leaves out `text-overflow: ellipsis` cells.)
pub fn wait_texts(app: &WebDriver, css: &str, timeout: Duration, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = Instant::now() + timeout;
    loop {
        let texts = texts(app, css);
        if done(&texts) {
            return texts;
        }
        assert!(Instant::now() < deadline, "{css}: still {texts:?} after {timeout:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The `innerText` of the elements matching `css`, now.
pub fn texts(app: &WebDriver, css: &str) -> Vec<String> {
    let found = app.execute(
        "return [...document.querySelectorAll(arguments[0])].map(e => e.innerText)",
        json!([css]),
    );
    serde_json::from_value(found).expect("a list of texts")
}

/// Types into a React-controlled input or textarea (the WebDriver helper has no key sending).
pub fn set_input(app: &WebDriver, css: &str, value: &str) {
    app.wait_for(css, WAIT);
    app.execute(
        "const input = document.querySelector(arguments[0]);\
         const proto = input instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;\
         Object.getOwnPropertyDescriptor(proto, 'value').set.call(input, arguments[1]);\
         input.dispatchEvent(new Event('input', { bubbles: true }));",
        json!([css, value]),
    );
}

/// Picks an option of a React-controlled select.
pub fn select(app: &WebDriver, css: &str, value: &str) {
    app.wait_for(css, WAIT);
    app.execute(
        "const s = document.querySelector(arguments[0]);\
         Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set.call(s, arguments[1]);\
         s.dispatchEvent(new Event('change', { bubbles: true }));",
        json!([css, value]),
    );
}

pub fn click(app: &WebDriver, css: &str) {
    let element = app.wait_for(css, WAIT);
    app.click(&element);
}

/// Opens a page from the sidebar.
pub fn nav(app: &WebDriver, page: &str) {
    click(app, &format!("[data-testid=nav-{page}]"));
}

/// Opens the (first) integration's details from the Integrations page, once the connections
/// panel above the list has loaded: its rows push the list down as they arrive, and a click
/// aimed before that lands beside the button.
pub fn open_integration_details(app: &WebDriver) {
    nav(app, "integrations");
    app.wait_for("[data-testid=connections][data-loaded=true]", WAIT);
    click(app, "[data-testid=integration-details]");
}
