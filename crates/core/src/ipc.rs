//! Types that cross the desktop IPC boundary, and the TypeScript generated from them.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::bridge::ConnectionState;
use crate::domain::{Device, EndpointOverride, Integration, IntegrationKind, LabelSummary};
use crate::events::Event;

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    pub data_dir: String,
    /// Set when the app could not open its data (e.g. another process holds the data dir).
    pub startup_error: Option<String>,
}

/// What a failing command rejects with on the UI side.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct IpcError {
    pub message: String,
}

impl<E: std::fmt::Display> From<E> for IpcError {
    fn from(e: E) -> Self {
        IpcError { message: e.to_string() }
    }
}

/// Whether the desktop app's in-process bridge is running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BridgeStatus {
    Starting,
    Running,
    /// It could not start; the pages that only read the store still work.
    Failed {
        error: String,
    },
    /// Not started (the data could not be opened) or shut down.
    Stopped,
}

/// Where the generated file lives, relative to the workspace root.
pub const BINDINGS_PATH: &str = "ui/src/bindings.ts";

/// The whole `ui/src/bindings.ts`, rendered from the Rust types.
pub fn typescript_bindings() -> String {
    let decls = [
        AppInfo::decl(),
        IntegrationKind::decl(),
        EndpointOverride::decl(),
        Integration::decl(),
        LabelSummary::decl(),
        Device::decl(),
        IpcError::decl(),
        Event::decl(),
        ConnectionState::decl(),
        BridgeStatus::decl(),
    ];
    let mut out = String::from(
        "// This file is generated from Rust by `cargo test -p helium-bridge-core` (ts-rs). Do not edit.\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    /// Fails when `ui/src/bindings.ts` no longer matches the Rust types; run with
    /// `UPDATE_BINDINGS=1` to rewrite it.
    #[test]
    fn generated_typescript_bindings_are_up_to_date() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(super::BINDINGS_PATH);
        let want = super::typescript_bindings();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} is stale: run `UPDATE_BINDINGS=1 cargo test -p helium-bridge-core ipc` and commit it",
            super::BINDINGS_PATH
        );
    }
}
