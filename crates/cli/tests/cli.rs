use std::process::{Command, Output};

use helium_bridge_core::DataDir;

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_helium-aws-bridge"))
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

#[test]
fn version_and_help() {
    let v = cli(&["--version"]);
    assert!(v.status.success());
    assert_eq!(stdout(&v).trim(), format!("helium-aws-bridge {}", env!("CARGO_PKG_VERSION")));
    let h = cli(&["--help"]);
    assert!(h.status.success());
    assert!(stdout(&h).contains("--data-dir <DIR>"), "{}", stdout(&h));
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
    assert!(dir.join("bridge.sqlite3").is_file());
}

#[test]
fn data_dir_from_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_helium-aws-bridge"))
        .args(["status", "--json"])
        .env("HELIUM_AWS_BRIDGE_DATA_DIR", tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(tmp.path().join("bridge.sqlite3").is_file());
}

#[test]
fn refuses_a_data_dir_held_by_another_process() {
    let tmp = tempfile::tempdir().unwrap();
    let _held = DataDir::acquire(tmp.path()).unwrap();
    let o = cli(&["status", "--data-dir", tmp.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o).trim(),
        format!(
            "error: the data directory {} is in use by another Helium AWS Bridge process (pid {}); \
             quit the other desktop app or CLI first, or pass a different --data-dir",
            tmp.path().display(),
            std::process::id()
        )
    );
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    let o = cli(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unrecognized subcommand 'frobnicate'"), "{}", stderr(&o));
}
