//! Secrets typed at a terminal: `script` (util-linux) gives the command a pseudo-terminal.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::common::Env;

/// `arg` quoted for `sh -c`.
fn quoted(arg: &std::ffi::OsStr) -> String {
    format!("'{}'", arg.to_string_lossy().replace('\'', r"'\''"))
}

/// The terminal `script`'s child reads from (`/dev/pts/N`), once it has started.
fn terminal_of(script_pid: u32) -> Option<String> {
    let children = std::fs::read_to_string(format!("/proc/{script_pid}/task/{script_pid}/children")).ok()?;
    let child = children.split_whitespace().next()?;
    let tty = std::fs::read_link(format!("/proc/{child}/fd/0")).ok()?;
    Some(tty.to_string_lossy().into_owned()).filter(|t| t.starts_with("/dev/pts/"))
}

/// Whether the terminal echoes what is typed (`stty` lists `-echo` once it does not).
fn echoes(tty: &str) -> bool {
    let out = Command::new("stty").args(["-F", tty, "-a"]).output().unwrap();
    !String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .any(|f| f == "-echo")
}

#[test]
fn a_secret_typed_at_a_terminal_is_asked_for_and_not_shown() {
    let env = Env::with_keychain();
    let inner = env.cmd(&["source", "add", "webhook", "hook", "--secret-stdin"]);
    let line = std::iter::once(inner.get_program())
        .chain(inner.get_args())
        .map(quoted)
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
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok(n @ 1..) = out.read(&mut buf) {
            if tx.send(buf[..n].to_vec()).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut shown = Vec::new();
    let prompt = "Shared secret (typing is not shown): ";
    while !String::from_utf8_lossy(&shown).contains(prompt) {
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no prompt; the terminal showed: {}", String::from_utf8_lossy(&shown)));
        shown.extend(chunk);
    }
    // The prompt comes before the terminal stops echoing: type once it has.
    let tty = loop {
        if let Some(tty) = terminal_of(child.id()).filter(|t| !echoes(t)) {
            break tty;
        }
        assert!(Instant::now() < deadline, "the terminal kept echoing");
        std::thread::sleep(Duration::from_millis(20));
    };
    child.stdin.as_mut().unwrap().write_all(b"typed secret 77\r").unwrap();
    let status = child.wait().unwrap();
    while let Ok(chunk) = rx.recv_timeout(Duration::from_secs(5)) {
        shown.extend(chunk);
    }
    let shown = String::from_utf8_lossy(&shown);
    assert!(status.success(), "{tty}: {shown}");
    assert!(!shown.contains("typed secret 77"), "the secret was shown: {shown}");
    assert!(shown.contains("added webhook source \"hook\""), "{shown}");
    let v = env.json(&["source", "list", "--json"]);
    let kept = env.kept_secret(v[0]["id"].as_str().unwrap());
    assert_eq!(kept.as_deref(), Some(&b"typed secret 77"[..]));
}
