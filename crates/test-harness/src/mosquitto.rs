//! mosquitto brokers: plain TCP (the Helium/ChirpStack side) and TLS with client
//! certificates (the AWS IoT data-plane stand-in).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::pki::TestCa;
use crate::process::{free_port, require_program, Server};

/// A test broker must not drop QoS1 messages for slow clients (mosquitto's default keeps only
/// 1000 queued per client), or a test could not tell the bridge's losses from its.
const UNBOUNDED_QUEUES: &str = "max_queued_messages 1000000\n";

pub struct Mosquitto {
    pub port: u16,
    /// The CA that signs the server and valid client certificates (TLS brokers only).
    pub ca_pem: Option<String>,
    config: PathBuf,
    server: Option<Server>,
    dir: tempfile::TempDir,
}

impl Mosquitto {
    /// A plain MQTT broker on 127.0.0.1, anonymous access allowed.
    pub fn plain() -> Mosquitto {
        Self::start(
            |_, port| format!("listener {port} 127.0.0.1\nallow_anonymous true\n"),
            None,
            UNBOUNDED_QUEUES,
        )
    }

    /// Like [`Mosquitto::plain`], with mosquitto's stock queue limits (1000 queued QoS1 messages
    /// per client, then dropped): the LNS broker a user runs, for benchmarks that count losses.
    pub fn plain_stock() -> Mosquitto {
        Self::start(
            |_, port| format!("listener {port} 127.0.0.1\nallow_anonymous true\n"),
            None,
            "",
        )
    }

    /// A TLS broker on 127.0.0.1 that requires a client certificate signed by `ca`; the
    /// certificate's CN becomes the MQTT username, as AWS IoT uses it as the identity.
    pub fn tls(ca: &TestCa) -> Mosquitto {
        Self::tls_with(ca, UNBOUNDED_QUEUES)
    }

    /// Like [`Mosquitto::tls`], keeping persistent sessions (their subscriptions and queued
    /// messages) across [`Mosquitto::restart`]: an observer with a persistent session misses
    /// nothing published while the broker was down or it was reconnecting.
    pub fn tls_persistent(ca: &TestCa) -> Mosquitto {
        Self::tls_with(ca, &format!("{UNBOUNDED_QUEUES}persistence true\n"))
    }

    fn tls_with(ca: &TestCa, extra: &str) -> Mosquitto {
        let server = ca.server_identity();
        Self::start(
            |dir, port| {
                let (ca_file, _) = ca.write_to(dir);
                let cert = dir.join("server.pem");
                let key = dir.join("server.key");
                std::fs::write(&cert, &server.cert_pem).unwrap();
                std::fs::write(&key, &server.key_pem).unwrap();
                format!(
                    "listener {port} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\n\
                     require_certificate true\nuse_identity_as_username true\n",
                    ca_file.display(),
                    cert.display(),
                    key.display()
                )
            },
            Some(ca.cert_pem.clone()),
            extra,
        )
    }

    fn start(listener: impl Fn(&std::path::Path, u16) -> String, ca_pem: Option<String>, extra: &str) -> Mosquitto {
        require_program("mosquitto", "apt-get install mosquitto");
        // Another process may take the free port before the broker binds it: then another port.
        let mut taken = Vec::new();
        for _ in 0..5 {
            let mut m = Self::configure(&listener, ca_pem.clone(), extra, free_port());
            match m.try_restart() {
                Ok(()) => return m,
                Err(log) if log.contains("Address already in use") => taken.push(m.port),
                Err(log) => panic!("{log}"),
            }
        }
        panic!("mosquitto found each port it tried taken: {taken:?}");
    }

    fn configure(
        listener: &impl Fn(&std::path::Path, u16) -> String,
        ca_pem: Option<String>,
        extra: &str,
        port: u16,
    ) -> Mosquitto {
        let dir = tempfile::tempdir().unwrap();
        // A log file, not stdout: mosquitto block-buffers a redirected stdout, so its notices
        // (dropped messages among them) would show only once it exits.
        let mut conf = format!(
            "per_listener_settings true\nlog_dest file {}\n{extra}",
            dir.path().join("broker.log").display()
        );
        if extra.contains("persistence true") {
            let _ = writeln!(conf, "persistence_location {}/", dir.path().display());
        } else {
            conf.push_str("persistence false\n");
        }
        // As root, mosquitto would otherwise switch to the "mosquitto" user, which cannot read
        // the files in our private temp dir.
        if unsafe { libc::geteuid() } == 0 {
            conf.push_str("user root\n");
        }
        let _ = write!(conf, "{}", listener(dir.path(), port));
        let config = dir.path().join("mosquitto.conf");
        std::fs::write(&config, conf).unwrap();
        Mosquitto {
            port,
            ca_pem,
            config,
            server: None,
            dir,
        }
    }

    /// Stops the broker (by PID); clients see the connection drop.
    pub fn stop(&mut self) {
        if let Some(mut s) = self.server.take() {
            s.stop();
        }
    }

    /// (Re)starts the broker on the same port with the same configuration.
    pub fn restart(&mut self) {
        if let Err(log) = self.try_restart() {
            panic!("{log}");
        }
    }

    /// Like `restart`; `Err` with the broker's log (and what it wrote in its log file) if it
    /// exited instead of listening.
    fn try_restart(&mut self) -> Result<(), String> {
        self.stop();
        let mut cmd = Command::new(require_program("mosquitto", "apt-get install mosquitto"));
        cmd.arg("-c").arg(&self.config);
        let mut server = Server::spawn("mosquitto", cmd, &self.dir.path().join("mosquitto.log"));
        server
            .wait_until_listening(self.port, Duration::from_secs(10))
            .map_err(|e| format!("{e}{}", self.log()))?;
        self.server = Some(server);
        Ok(())
    }

    pub fn pid(&self) -> Option<u32> {
        self.server.as_ref().map(Server::pid)
    }

    /// Freezes the broker (SIGSTOP): connections stay open, nothing is answered — a hung
    /// endpoint, as a dead network path looks to a client.
    pub fn pause(&self) {
        self.signal(libc::SIGSTOP);
    }

    /// Lets a paused broker run again (SIGCONT).
    pub fn resume(&self) {
        self.signal(libc::SIGCONT);
    }

    fn signal(&self, sig: libc::c_int) {
        if let Some(pid) = self.pid() {
            // SAFETY: signals the broker this harness started, by its PID.
            unsafe { libc::kill(pid as i32, sig) };
        }
    }

    /// What mosquitto printed (start-up errors) and logged so far.
    pub fn log(&self) -> String {
        let printed = self.server.as_ref().map(Server::log).unwrap_or_default();
        let logged = std::fs::read_to_string(self.dir.path().join("broker.log")).unwrap_or_default();
        printed + &logged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(_: &std::path::Path, port: u16) -> String {
        format!("listener {port} 127.0.0.1\nallow_anonymous true\n")
    }

    #[test]
    fn a_port_taken_by_another_process_is_noticed_not_mistaken_for_the_broker() {
        // Another process holds the port: connecting to it works, but the broker is not there.
        let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = holder.local_addr().unwrap().port();
        let mut m = Mosquitto::configure(&plain, None, "", port);
        let err = m.try_restart().unwrap_err();
        assert!(err.contains("Address already in use"), "{err}");

        // A broker on a port of its own is found listening.
        let b = Mosquitto::plain();
        assert_ne!(b.port, port);
        std::net::TcpStream::connect(("127.0.0.1", b.port)).unwrap();
    }
}
