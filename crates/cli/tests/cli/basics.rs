use std::process::{Command, Output};

use helium_bridge_core::DataDir;

use super::common::{Env, Running, BIN};

fn cli(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("HELIUM_AWS_BRIDGE_DATA_DIR")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn in_use(dir: &std::path::Path) -> String {
    format!(
        "error: the data directory {} is in use by another Helium AWS Bridge process (pid {}); \
         quit the other desktop app or CLI first, or pass a different --data-dir",
        dir.display(),
        std::process::id()
    )
}

#[test]
fn version_and_help() {
    let v = cli(&["--version"]);
    assert!(v.status.success());
    assert_eq!(
        stdout(&v).trim(),
        format!("helium-aws-bridge {}", env!("CARGO_PKG_VERSION"))
    );
    let h = cli(&["--help"]);
    assert!(h.status.success());
    let help = stdout(&h);
    assert!(help.contains("--data-dir <DIR>"), "{help}");
    for sub in ["status", "source", "integration", "label", "device", "run", "monitor"] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(&format!("{sub} "))),
            "{sub} missing:\n{help}"
        );
    }
}

#[test]
fn status_creates_and_migrates_the_data_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested/data");
    let o = cli(&["status", "--json", "--data-dir", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["schema_version"], helium_bridge_core::store::SCHEMA_VERSION);
    assert_eq!(v["integrations"], 0);
    assert_eq!(v["sources"], 0);
    assert!(dir.join("bridge.sqlite3").is_file());
    assert_eq!(v["created"], true);
    // Said in words too, the first time only; the directory named absolute.
    let again = cli(&["status", "--data-dir", dir.to_str().unwrap()]);
    assert!(!stdout(&again).contains("created now"), "{}", stdout(&again));
    let other = tmp.path().join("other");
    let o = Command::new(BIN)
        .current_dir(tmp.path())
        .args(["status", "--data-dir", "other"])
        .output()
        .unwrap();
    let text = stdout(&o);
    assert!(
        text.starts_with(&format!("data dir:       {}\n", other.display())),
        "{text}"
    );
    assert!(
        text.contains("created now: nothing was set up here before (check --data-dir"),
        "{text}"
    );
}

#[test]
fn data_dir_from_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let o = Command::new(BIN)
        .args(["status", "--json"])
        .env("HELIUM_AWS_BRIDGE_DATA_DIR", tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(tmp.path().join("bridge.sqlite3").is_file());
}

/// A process holds the data directory but serves no control socket (it is still starting,
/// or it is not a bridge): commands say so instead of writing behind its back.
#[test]
fn a_held_data_dir_without_a_control_socket_is_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let _held = DataDir::acquire(tmp.path()).unwrap();
    for args in [
        &["status"][..],
        &["source", "list"],
        &["integration", "list"],
        &["label", "add", "x"],
    ] {
        let mut args = args.to_vec();
        args.extend(["--data-dir", tmp.path().to_str().unwrap()]);
        let o = cli(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert_eq!(
            stderr(&o).trim(),
            format!(
                "error: another Helium AWS Bridge process (the desktop app, `run`, or a command still at work) \
                 holds {}, and its control socket does not answer; wait until it has started or finished, or quit it",
                tmp.path().display()
            ),
            "{args:?}"
        );
    }
}

/// A data directory held a moment by another command (scripts run several at once) is waited
/// for, not refused.
#[test]
fn a_command_waits_for_another_that_holds_the_data_dir_a_moment() {
    let tmp = tempfile::tempdir().unwrap();
    let held = DataDir::acquire(tmp.path()).unwrap();
    let (started, go) = std::sync::mpsc::channel();
    let release = std::thread::spawn(move || {
        // Released a while after the command started (it starts in milliseconds).
        go.recv().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(800));
        drop(held);
    });
    let mut cmd = std::process::Command::new(BIN);
    cmd.args(["label", "add", "x", "--data-dir", tmp.path().to_str().unwrap()]);
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    started.send(()).unwrap();
    let o = child.wait_with_output().unwrap();
    release.join().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("added label \"x\""));
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    let o = cli(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unrecognized subcommand 'frobnicate'"),
        "{}",
        stderr(&o)
    );
    let o = cli(&["source", "add", "carrier-pigeon", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unrecognized subcommand 'carrier-pigeon'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn run_has_help() {
    let o = cli(&["run", "--help"]);
    assert!(o.status.success());
    let help = stdout(&o);
    assert!(
        help.contains("Run the bridge in the foreground until SIGINT (Ctrl-C) or SIGTERM"),
        "{help}"
    );
    assert!(help.contains("Usage: helium-aws-bridge run [OPTIONS]"), "{help}");
}

#[test]
fn run_refuses_a_locked_data_dir() {
    let env = Env::new();
    let _held = DataDir::acquire(&env.dir).unwrap();
    let o = env.run(&["run"]);
    assert_eq!(o.code, Some(1));
    assert_eq!(o.stderr.trim(), in_use(&env.dir));
    assert_eq!(o.stdout, "");
}

/// No sources and no integrations: nothing is contacted. Checks the signal handling, and that
/// `monitor` follows a running bridge (which holds the lock) live.
#[test]
fn run_stops_on_sigterm_and_monitor_follows_it() {
    let env = Env::new();
    let run = Running::spawn(env.cmd(&["run"]));
    run.stderr_until("bridge running in");
    let monitor = Running::spawn(env.cmd(&["monitor", "--since-id", "0", "--json"]));
    let first: serde_json::Value = serde_json::from_str(&monitor.stdout_line()).unwrap();
    assert_eq!(
        (first["kind"].as_str(), first["message"].as_str()),
        (Some("bridge"), Some("bridge started"))
    );
    // A second bridge cannot start meanwhile.
    let o = env.run(&["run"]);
    assert_eq!(o.code, Some(1));
    assert!(
        o.stderr.contains("is in use by another Helium AWS Bridge process"),
        "{}",
        o.stderr
    );

    let (code, _) = run.terminate();
    assert_eq!(code, Some(0));
    let last: serde_json::Value = serde_json::from_str(&monitor.stdout_line()).unwrap();
    assert_eq!(last["message"], "bridge stopped");
    assert_eq!(last["id"].as_i64(), first["id"].as_i64().map(|i| i + 1));
    let (code, rest) = monitor.terminate();
    assert_eq!((code, rest), (Some(0), vec![]));
}

#[test]
fn run_refuses_an_outbox_limit_below_one() {
    let tmp = tempfile::tempdir().unwrap();
    let o = cli(&["run", "--outbox-max", "0", "--data-dir", tmp.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("invalid value '0' for '--outbox-max <N>': 0 is not in 1.."),
        "{}",
        stderr(&o)
    );
    // A warning age of 0 would warn of every uplink.
    let o = cli(&[
        "run",
        "--outbox-warn-age",
        "0",
        "--data-dir",
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("invalid value '0' for '--outbox-warn-age <SECONDS>': 0 is not in 1.."),
        "{}",
        stderr(&o)
    );
    assert!(
        !tmp.path().join("bridge.sqlite3").exists(),
        "nothing is opened on a usage error"
    );
}

/// `… | head` or `2>&1 | head`: the reader goes away. Nothing to tell anyone then, but no crash
/// (exit 101, a `crash.log` entry) either, and what the command did is done.
#[test]
fn a_closed_stdout_or_stderr_ends_a_command_quietly() {
    let env = super::common::Env::new();
    let closed = || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        writer
    };
    // `device list` with no devices says so on stderr; `label add` prints its result on stdout.
    for (args, stdout_closed) in [
        (&["device", "list"][..], false),
        (&["label", "add", "fleet"][..], true),
        (&["label", "add", "roof"][..], false),
    ] {
        let mut cmd = env.cmd(args);
        cmd.stderr(closed());
        if stdout_closed {
            cmd.stdout(closed());
        }
        let status = cmd.status().unwrap();
        assert_eq!(status.code(), Some(0), "{args:?}");
    }
    assert!(
        !env.dir.join("crash.log").exists(),
        "{}",
        std::fs::read_to_string(env.dir.join("crash.log")).unwrap_or_default()
    );
    let labels = env.json(&["label", "list", "--json"]);
    assert_eq!(labels.as_array().map(Vec::len), Some(2), "{labels}");
}
