//! Running the real binary against a temporary data directory.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use helium_bridge_core::domain::DeviceSeen;
use helium_bridge_core::events::{Event, KEEP_EVENTS};
use helium_bridge_core::{Core, Store};
use test_harness::KeychainSession;

pub const BIN: &str = env!("CARGO_BIN_EXE_helium-aws-bridge");

pub struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Out {
    fn from(o: Output) -> Out {
        Out {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// A data directory in a temp dir, and optionally a private D-Bus session (with or without a
/// keychain) the binary is pointed at. Without one the binary gets no session bus at all, so
/// no test ever reaches the keychain of whoever runs the tests.
pub struct Env {
    pub tmp: tempfile::TempDir,
    pub dir: PathBuf,
    pub session: Option<KeychainSession>,
}

impl Env {
    pub fn new() -> Env {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        Env {
            tmp,
            dir,
            session: None,
        }
    }

    /// With gnome-keyring running and unlocked.
    pub fn with_keychain() -> Env {
        Env {
            session: Some(KeychainSession::start()),
            ..Env::new()
        }
    }

    /// With a session bus but no keychain on it.
    pub fn without_keychain() -> Env {
        Env {
            session: Some(KeychainSession::bus_only()),
            ..Env::new()
        }
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .arg("--data-dir")
            .arg(&self.dir)
            .current_dir(self.tmp.path())
            .env_remove("HELIUM_AWS_BRIDGE_DATA_DIR")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdin(Stdio::null());
        if let Some(s) = &self.session {
            s.apply_env_to(&mut cmd);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Out {
        self.cmd(args).output().unwrap().into()
    }

    pub fn run_with_stdin(&self, args: &[&str], input: &[u8]) -> Out {
        use std::io::Write;
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap().into()
    }

    /// Runs a command that must succeed with nothing on stderr; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert_eq!(o.code, Some(0), "{args:?} failed:\n{}{}", o.stdout, o.stderr);
        assert_eq!(o.stderr, "", "{args:?}");
        o.stdout
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.ok(args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"))
    }

    /// Runs a command that must fail with exactly `stderr` (one line, `error: …`), exit 1,
    /// nothing on stdout, and nothing changed in the database.
    pub fn fails(&self, args: &[&str], stderr: &str) {
        let o = self.fails_with(args, 1);
        assert_eq!(o.stderr.trim_end(), stderr, "{args:?}");
    }

    /// Runs a command that must exit with `code`, print nothing on stdout and change nothing.
    pub fn fails_with(&self, args: &[&str], code: i32) -> Out {
        let before = self.snapshot();
        let o = self.run(args);
        assert_eq!(o.code, Some(code), "{args:?}:\n{}{}", o.stdout, o.stderr);
        assert_eq!(o.stdout, "", "{args:?}");
        assert_eq!(self.snapshot(), before, "{args:?} changed the database");
        o
    }

    /// Everything the database holds that a command could change (without taking the lock).
    pub fn snapshot(&self) -> serde_json::Value {
        let db = self.dir.join("bridge.sqlite3");
        if !db.exists() {
            return serde_json::Value::Null;
        }
        let s = Store::open_reader(&db).unwrap();
        let devices = s.list_devices().unwrap();
        let device_labels: Vec<_> = devices.iter().map(|d| s.device_labels(&d.id).unwrap()).collect();
        serde_json::json!({
            "sources": s.list_sources().unwrap(),
            "integrations": s.list_integrations().unwrap(),
            "labels": s.list_labels().unwrap(),
            "devices": devices,
            "device_labels": device_labels,
            "last_event": s.last_event_id().unwrap(),
        })
    }

    /// Opens the data dir in this process (takes the lock until dropped).
    pub fn core(&self) -> Core {
        Core::open(&self.dir).unwrap()
    }

    /// Registers a device as its first uplink would.
    pub fn seen(&self, id: &str, name: &str, dev_eui: &str) {
        let core = self.core();
        core.store()
            .record_device_seen(&DeviceSeen {
                id: id.into(),
                name: name.into(),
                dev_eui: dev_eui.into(),
                app_eui: Some("0000000000000001".into()),
                devaddr: Some("FE00486B".into()),
                source: "src-1".into(),
                application_id: None,
                seen_at_ms: 1_735_787_045_000,
            })
            .unwrap();
    }

    /// Every byte the database keeps on disk (main file, WAL, shared memory).
    /// What the keychain keeps for the source `source_id` (none: `None`).
    pub fn kept_secret(&self, source_id: &str) -> Option<Vec<u8>> {
        use helium_bridge_core::{KeyringVault, Vault};
        self.session
            .as_ref()
            .expect("a keychain session")
            .apply_env_to_this_process();
        let kept = KeyringVault::default()
            .get(&helium_bridge_core::sources::secret_key(source_id))
            .unwrap();
        kept.map(|s| s.to_vec())
    }

    pub fn db_bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for f in ["bridge.sqlite3", "bridge.sqlite3-wal", "bridge.sqlite3-shm"] {
            if let Ok(mut file) = std::fs::File::open(self.dir.join(f)) {
                file.read_to_end(&mut all).unwrap();
            }
        }
        all
    }
}

pub fn insert_event(core: &Core, kind: &str, message: &str, device: Option<&str>) -> i64 {
    let mut e = Event::new(kind, "info", message);
    if let Some(d) = device {
        e = e.device(d);
    }
    core.store().insert_event(&e, KEEP_EVENTS).unwrap()
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A running child whose stdout and stderr are read line by line.
pub struct Running {
    pub child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

impl Running {
    pub fn spawn(mut cmd: Command) -> Running {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        Running { child, stdout, stderr }
    }

    pub fn stdout_line(&self) -> String {
        self.stdout
            .recv_timeout(Duration::from_secs(20))
            .expect("a line on stdout within 20 s")
    }

    /// Waits for a stderr line containing `want`; returns it.
    pub fn stderr_until(&self, want: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .stderr
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no stderr line with {want:?}"));
            if line.contains(want) {
                return line;
            }
        }
    }

    /// Sends SIGTERM and returns the exit code and the rest of stdout.
    pub fn terminate(mut self) -> (Option<i32>, Vec<String>) {
        let st = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < deadline, "the child did not exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        };
        // The rest of stdout, up to EOF.
        let mut rest = Vec::new();
        while let Ok(line) = self.stdout.recv_timeout(Duration::from_secs(5)) {
            rest.push(line);
        }
        (status.code(), rest)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn lines(r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Writes a file under the env's temp dir and returns its path.
pub fn write(env: &Env, name: &str, text: &str) -> PathBuf {
    let p = env.tmp.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}
