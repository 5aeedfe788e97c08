//! A private D-Bus session bus with gnome-keyring's Secret Service, unlocked with a password
//! fed on stdin, and HOME/XDG_* pointed into a temp dir.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{require_program, Server};

pub struct KeychainSession {
    pub bus_address: String,
    keyring: Option<Server>,
    bus: Server,
    dir: tempfile::TempDir,
}

impl KeychainSession {
    /// A session bus with gnome-keyring's Secret Service running and unlocked.
    pub fn start() -> KeychainSession {
        Self::with_keyring(true)
    }

    /// gnome-keyring's Secret Service running, never given a password: it has no login
    /// keyring to keep secrets in (as after an automatic login).
    pub fn start_locked() -> KeychainSession {
        Self::with_keyring(false)
    }

    fn with_keyring(unlock: bool) -> KeychainSession {
        let mut s = Self::bus_only();
        let daemon = require_program("gnome-keyring-daemon", "apt-get install gnome-keyring");
        let mut cmd = Command::new(daemon);
        cmd.args(["--foreground", "--components=secrets"]);
        if unlock {
            cmd.arg("--unlock");
        }
        s.apply_env_to(&mut cmd);
        let log = s.dir.path().join("keyring.log");
        let mut keyring = if unlock {
            Server::spawn_with_stdin("gnome-keyring-daemon", cmd, &log, b"test-keyring-password")
        } else {
            Server::spawn("gnome-keyring-daemon", cmd, &log)
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !s.name_has_owner("org.freedesktop.secrets") {
            keyring.assert_running();
            assert!(
                Instant::now() < deadline,
                "gnome-keyring did not take org.freedesktop.secrets:\n{}",
                keyring.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        s.keyring = Some(keyring);
        s
    }

    /// A session bus with no Secret Service on it (and no service activation), to see how
    /// the app behaves where no keychain exists.
    pub fn bus_only() -> KeychainSession {
        let dbus = require_program("dbus-daemon", "apt-get install dbus");
        let dir = tempfile::tempdir().unwrap();
        for sub in ["home", "data", "config", "runtime"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        std::fs::set_permissions(
            dir.path().join("runtime"),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        let socket = dir.path().join("bus");
        let bus_address = format!("unix:path={}", socket.display());
        // No <servicedir>: nothing may be auto-started on this bus.
        let conf = format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{bus_address}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#
        );
        let conf_path = dir.path().join("bus.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let mut cmd = Command::new(dbus);
        cmd.arg("--nofork")
            .arg(format!("--config-file={}", conf_path.display()));
        let mut bus = Server::spawn("dbus-daemon", cmd, &dir.path().join("bus.log"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            bus.assert_running();
            assert!(
                Instant::now() < deadline,
                "dbus-daemon did not create its socket:\n{}",
                bus.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        KeychainSession {
            bus_address,
            keyring: None,
            bus,
            dir,
        }
    }

    /// Points a child process at this session.
    pub fn apply_env_to(&self, cmd: &mut Command) {
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
    }

    /// Points this process at the session. Call it before any thread that could read the
    /// environment starts (each test runs in its own process under nextest).
    pub fn apply_env_to_this_process(&self) {
        for (k, v) in self.env() {
            // SAFETY: see above; tests call this first thing.
            unsafe { std::env::set_var(k, v) };
        }
    }

    /// The variables that point a process at this session's bus and keychain.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let p = |s: &str| self.dir.path().join(s).display().to_string();
        vec![
            ("DBUS_SESSION_BUS_ADDRESS", self.bus_address.clone()),
            ("HOME", p("home")),
            ("XDG_DATA_HOME", p("data")),
            ("XDG_CONFIG_HOME", p("config")),
            ("XDG_RUNTIME_DIR", p("runtime")),
        ]
    }

    fn name_has_owner(&self, name: &str) -> bool {
        let out = Command::new("dbus-send")
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
            ])
            .arg("org.freedesktop.DBus.NameHasOwner")
            .arg(format!("string:{name}"))
            .stderr(Stdio::null())
            .output()
            .expect("dbus-send");
        String::from_utf8_lossy(&out.stdout).contains("boolean true")
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for KeychainSession {
    fn drop(&mut self) {
        // The keyring daemon first, while its bus is still there.
        if let Some(mut k) = self.keyring.take() {
            k.stop();
        }
        self.bus.stop();
    }
}
