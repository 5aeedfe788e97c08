//! Commands run at a terminal: `script` (util-linux) gives them a pseudo-terminal.

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use helium_bridge_core::domain::DeviceSeen;
use helium_bridge_core::store::Enqueue;

use super::common::Env;

/// A command of the env's on a terminal of its own, and what the terminal showed.
struct AtTerminal {
    child: Child,
    output: mpsc::Receiver<Vec<u8>>,
    shown: Vec<u8>,
    deadline: Instant,
}

impl AtTerminal {
    fn start(env: &Env, args: &[&str]) -> AtTerminal {
        let inner = env.cmd(args);
        let line = std::iter::once(inner.get_program())
            .chain(inner.get_args())
            .map(|a| format!("'{}'", a.to_string_lossy().replace('\'', r"'\''")))
            .collect::<Vec<_>>()
            .join(" ");
        let mut cmd = Command::new("script");
        cmd.args(["-qec", &line, "/dev/null"]).current_dir(env.tmp.path());
        for (k, v) in inner.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        let (tx, output) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while let Ok(n @ 1..) = out.read(&mut buf) {
                if tx.send(buf[..n].to_vec()).is_err() {
                    return;
                }
            }
        });
        AtTerminal {
            child,
            output,
            shown: Vec::new(),
            deadline: Instant::now() + Duration::from_secs(30),
        }
    }

    fn shown(&self) -> String {
        String::from_utf8_lossy(&self.shown).into_owned()
    }

    /// Waits until the terminal shows `text`.
    fn wait_for(&mut self, text: &str) {
        while !self.shown().contains(text) {
            let left = self.deadline.saturating_duration_since(Instant::now());
            let chunk = self
                .output
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no {text:?}; the terminal showed: {}", self.shown()));
            self.shown.extend(chunk);
        }
    }

    /// The terminal the command reads from (`/dev/pts/N`), once it has started.
    fn tty(&self) -> Option<String> {
        let pid = self.child.id();
        let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
        let child = children.split_whitespace().next()?;
        let tty = std::fs::read_link(format!("/proc/{child}/fd/0")).ok()?;
        Some(tty.to_string_lossy().into_owned()).filter(|t| t.starts_with("/dev/pts/"))
    }

    /// Waits until the terminal no longer echoes what is typed (`stty` lists `-echo`).
    fn wait_for_no_echo(&self) {
        loop {
            if let Some(tty) = self.tty() {
                let out = Command::new("stty").args(["-F", &tty, "-a"]).output().unwrap();
                if String::from_utf8_lossy(&out.stdout)
                    .split_whitespace()
                    .any(|f| f == "-echo")
                {
                    return;
                }
            }
            assert!(Instant::now() < self.deadline, "the terminal kept echoing");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types a line (Enter is a carriage return on a terminal).
    fn type_line(&mut self, text: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(format!("{text}\r").as_bytes()).unwrap();
    }

    /// Waits for the command to end; returns its status and all the terminal showed.
    fn finish(mut self) -> (ExitStatus, String) {
        let status = self.child.wait().unwrap();
        while let Ok(chunk) = self.output.recv_timeout(Duration::from_secs(5)) {
            self.shown.extend(chunk);
        }
        (status, self.shown())
    }
}

#[test]
fn a_secret_typed_at_a_terminal_is_asked_for_and_not_shown() {
    let env = Env::with_keychain();
    let mut t = AtTerminal::start(&env, &["source", "add", "webhook", "hook", "--secret-stdin"]);
    t.wait_for("Shared secret (typing is not shown): ");
    // The prompt comes before the terminal stops echoing: type once it has.
    t.wait_for_no_echo();
    t.type_line("typed secret 77");
    let (status, shown) = t.finish();
    assert!(status.success(), "{shown}");
    assert!(!shown.contains("typed secret 77"), "the secret was shown: {shown}");
    assert!(shown.contains("added webhook source \"hook\""), "{shown}");
    let v = env.json(&["source", "list", "--json"]);
    let kept = env.kept_secret(v[0]["id"].as_str().unwrap());
    assert_eq!(kept.as_deref(), Some(&b"typed secret 77"[..]));
}

#[test]
fn removing_an_integration_with_uplinks_waiting_asks_first_at_a_terminal() {
    let env = Env::new();
    let id = super::integrations::add_prod(&env);
    let seen = DeviceSeen {
        id: "dev-1".into(),
        name: "sensor".into(),
        dev_eui: "0102030405060708".into(),
        app_eui: None,
        devaddr: None,
        source: "lns".into(),
        application_id: None,
        seen_at_ms: 1,
    };
    let entries: Vec<Enqueue<'_>> = ["u-1", "u-2"]
        .iter()
        .map(|uuid| Enqueue {
            integration_id: &id,
            device_id: "dev-1",
            uuid,
            payload: "{}",
        })
        .collect();
    assert_eq!(env.core().store().enqueue_uplinks(&seen, &entries).unwrap(), 2);

    let question = "2 uplink(s) still wait for AWS on \"Prod\"; removing it drops them. Remove it? [y/N] ";
    let mut t = AtTerminal::start(&env, &["integration", "remove", "Prod"]);
    t.wait_for(question);
    t.type_line("n");
    let (status, shown) = t.finish();
    assert!(status.success(), "{shown}");
    assert!(shown.contains("kept integration \"Prod\""), "{shown}");
    assert_eq!(
        env.json(&["integration", "show", "Prod", "--json"])["outbox_entries"],
        2
    );

    let mut t = AtTerminal::start(&env, &["integration", "remove", "Prod"]);
    t.wait_for(question);
    t.type_line("y");
    let (status, shown) = t.finish();
    assert!(status.success(), "{shown}");
    assert!(
        shown.contains("removed integration \"Prod\"; 2 waiting uplink(s) were dropped"),
        "{shown}"
    );
    assert_eq!(env.json(&["integration", "list", "--json"]), serde_json::json!([]));
}
