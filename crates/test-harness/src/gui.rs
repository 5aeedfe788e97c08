//! The real desktop app under Xvfb, driven through tauri-driver + WebKitWebDriver.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

use crate::process::{free_port, require_program, Server};

/// Xvfb plus tauri-driver on a free port, both stopped by PID on drop.
pub struct GuiSession {
    pub display: String,
    pub driver_port: u16,
    driver: Server,
    xvfb: Server,
    _dir: tempfile::TempDir,
}

impl GuiSession {
    /// `env` is passed to tauri-driver, hence to WebKitWebDriver and the app it launches.
    pub fn start(env: &[(&str, &str)]) -> GuiSession {
        let dir = tempfile::tempdir().unwrap();
        let xvfb_bin = require_program("Xvfb", "apt-get install xvfb xauth");
        let mut cmd = Command::new(xvfb_bin);
        // -displayfd makes Xvfb pick a free display and print its number on stdout.
        cmd.args(["-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"]);
        let mut xvfb = Server::spawn("Xvfb", cmd, &dir.path().join("xvfb.log"));
        let deadline = Instant::now() + Duration::from_secs(20);
        let display = loop {
            xvfb.assert_running();
            let log = xvfb.log();
            if let Some(n) = log
                .lines()
                .find(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
            {
                break format!(":{n}");
            }
            assert!(Instant::now() < deadline, "Xvfb printed no display number:\n{log}");
            std::thread::sleep(Duration::from_millis(50));
        };

        let tauri_driver = tauri_driver_path();
        let native = require_program("WebKitWebDriver", "apt-get install webkit2gtk-driver");
        let driver_port = free_port();
        let native_port = free_port();
        let mut cmd = Command::new(tauri_driver);
        cmd.args([
            "--port",
            &driver_port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .arg("--native-driver")
        .arg(native)
        // (WEBKIT_DISABLE_COMPOSITING_MODE=1 made WebDriver screenshots hang on Xvfb.)
        .env("DISPLAY", &display);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut driver = Server::spawn("tauri-driver", cmd, &dir.path().join("tauri-driver.log"));
        driver.wait_for_port(driver_port, Duration::from_secs(20));
        // tauri-driver listens before the WebKitWebDriver it starts does; a session request
        // in between fails with an empty reply.
        driver.wait_for_port(native_port, Duration::from_secs(20));
        GuiSession {
            display,
            driver_port,
            driver,
            xvfb,
            _dir: dir,
        }
    }

    /// Launches `application` with `args` and returns a WebDriver session on its window.
    pub fn launch(&mut self, application: &Path, args: &[String]) -> WebDriver {
        self.driver.assert_running();
        self.xvfb.assert_running();
        let base = format!("http://127.0.0.1:{}", self.driver_port);
        let caps = json!({"capabilities": {"alwaysMatch": {
            "tauri:options": {"application": application, "args": args}
        }}});
        let mut attempt = 0;
        let v = loop {
            attempt += 1;
            match request("POST", &format!("{base}/session"), Some(caps.clone())) {
                Ok(v) => break v,
                // Transport errors only (not WebDriver errors): the driver may still be starting.
                Err(e) if attempt < 3 && !e.starts_with("HTTP ") => std::thread::sleep(Duration::from_millis(500)),
                Err(e) => panic!(
                    "cannot start a WebDriver session: {e}\ntauri-driver log:\n{}",
                    self.driver.log()
                ),
            }
        };
        let session = v["sessionId"].as_str().expect("sessionId").to_string();
        WebDriver {
            url: format!("{base}/session/{session}"),
        }
    }

    pub fn driver_log(&self) -> String {
        self.driver.log()
    }
}

fn tauri_driver_path() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    let p = home.join("bin/tauri-driver");
    if p.is_file() {
        p
    } else {
        require_program("tauri-driver", "cargo install tauri-driver --locked")
    }
}

/// One WebDriver session (W3C protocol over HTTP); the app quits when it is dropped.
pub struct WebDriver {
    url: String,
}

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

impl WebDriver {
    /// The element matching `css`, waiting up to `timeout` for it to appear.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            match self.find(css) {
                Some(id) => return id,
                None if Instant::now() > deadline => {
                    let body = self.execute("return document.body ? document.body.innerText : ''", json!([]));
                    panic!("no element matches {css:?} after {timeout:?}; page text: {body}")
                }
                None => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    pub fn find(&self, css: &str) -> Option<String> {
        let v = request(
            "POST",
            &format!("{}/element", self.url),
            Some(json!({"using": "css selector", "value": css})),
        )
        .ok()?;
        v[ELEMENT_KEY].as_str().map(str::to_string)
    }

    pub fn find_all(&self, css: &str) -> Vec<String> {
        let v = request(
            "POST",
            &format!("{}/elements", self.url),
            Some(json!({"using": "css selector", "value": css})),
        )
        .expect("find elements");
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e[ELEMENT_KEY].as_str().map(str::to_string))
            .collect()
    }

    pub fn text(&self, element: &str) -> String {
        let v = request("GET", &format!("{}/element/{element}/text", self.url), None).expect("element text");
        v.as_str().unwrap_or_default().to_string()
    }

    pub fn click(&self, element: &str) {
        request(
            "POST",
            &format!("{}/element/{element}/click", self.url),
            Some(json!({})),
        )
        .expect("click");
    }

    pub fn title(&self) -> String {
        request("GET", &format!("{}/title", self.url), None)
            .expect("title")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn execute(&self, script: &str, args: Value) -> Value {
        request(
            "POST",
            &format!("{}/execute/sync", self.url),
            Some(json!({"script": script, "args": args})),
        )
        .expect("execute script")
    }

    pub fn execute_async(&self, script: &str, args: Value) -> Value {
        request(
            "POST",
            &format!("{}/execute/async", self.url),
            Some(json!({"script": script, "args": args})),
        )
        .expect("execute async script")
    }

    /// Resizes the window (the page's viewport follows), waiting until the page sees the new
    /// size; on a display without a window manager the size is exact.
    pub fn set_window_size(&self, width: u32, height: u32) {
        request(
            "POST",
            &format!("{}/window/rect", self.url),
            Some(json!({"width": width, "height": height})),
        )
        .expect("set the window size");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // The window, and the page's layout viewport too: the window can take its new size
            // a moment before the page lays out at it (a screenshot then showed a black band and
            // the page still at the old width).
            let seen = self.execute(
                "return [window.outerWidth, window.outerHeight, window.innerWidth, window.innerHeight,
                         document.documentElement.clientHeight > 0]",
                json!([]),
            );
            if seen == json!([width, height, width, height, true]) {
                return;
            }
            assert!(Instant::now() < deadline, "the window is {seen}, not {width}x{height}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs axe-core (the accessibility checker) on the page as it is now and returns its
    /// serious and critical violations as `rule: what (n nodes)` lines.
    pub fn accessibility_violations(&self, axe_source: &str) -> Vec<String> {
        // The source goes in the script itself: WebDriver scripts are not subject to the
        // page's content security policy, an eval in the page would be.
        let run = "const done = arguments[arguments.length - 1];
            window.axe.run(document, { resultTypes: ['violations'] })
              .then(r => done(r.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ': ' + v.help + ' (' + v.nodes.length + ' nodes: ' +
                  v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ') + ')')))
              .catch(e => done(['axe failed: ' + e]));";
        let v = self.execute_async(&format!("{axe_source}\n;{run}"), json!([]));
        serde_json::from_value(v).expect("a list of violations")
    }

    /// Saves a PNG of the window after two animation frames (so it shows the current frame,
    /// not the previous one) and returns its path.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        self.execute_async(
            "const done = arguments[arguments.length - 1];\
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            json!([]),
        );
        // Drawn without accelerated compositing (the app's setting), WebKit answers a
        // screenshot only after its next paint, and a still page never paints: a pixel that
        // changes every frame for a second keeps paints coming while the request is served.
        self.execute(
            "const dot = document.createElement('div');\
             dot.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none;opacity:0.01';\
             document.body.appendChild(dot);\
             const until = performance.now() + 1000;\
             const tick = (t) => { dot.style.opacity = dot.style.opacity === '0.01' ? '0.02' : '0.01';\
               if (t < until) requestAnimationFrame(tick); else dot.remove(); };\
             requestAnimationFrame(tick);",
            json!([]),
        );
        let v = request("GET", &format!("{}/screenshot", self.url), None).expect("screenshot");
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().expect("base64 png"))
            .expect("decode png");
        assert!(png.starts_with(b"\x89PNG"), "screenshot is not a PNG");
        let dir = artifacts_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }
}

impl Drop for WebDriver {
    fn drop(&mut self) {
        let _ = request("DELETE", &self.url, None);
    }
}

/// Where tests leave screenshots: `$HELIUM_TEST_ARTIFACTS`, else `tests/artifacts`.
pub fn artifacts_dir() -> PathBuf {
    std::env::var_os("HELIUM_TEST_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo_root().join("tests/artifacts"))
}

/// One W3C WebDriver call; returns the response's `value`, or the WebDriver error text.
fn request(method: &str, url: &str, body: Option<Value>) -> Result<Value, String> {
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build();
    let req = agent.request(method, url);
    let resp = match body {
        Some(b) => req.send_json(b),
        None => req.call(),
    };
    let resp = match resp {
        Ok(r) => r,
        Err(ureq::Error::Status(code, r)) => {
            let v: Value = r.into_json().unwrap_or(Value::Null);
            return Err(format!("HTTP {code}: {}", v["value"]));
        }
        Err(e) => return Err(e.to_string()),
    };
    let v: Value = resp.into_json().map_err(|e| e.to_string())?;
    Ok(v["value"].clone())
}
