//! Tauri-free core of Helium AWS Bridge.
//!
//! The desktop shell, the headless CLI and the tests all go through this crate; nothing here
//! depends on a GUI toolkit.

pub mod app;
pub mod aws;
pub mod bridge;
pub mod codec;
pub mod control;
pub mod datadir;
pub mod domain;
pub mod engine;
pub mod events;
pub mod ipc;
pub mod monitor;
pub mod sources;
pub mod store;
pub mod sync;
pub mod test_hooks;
pub mod validate;
pub mod vault;
pub mod views;

/// Every binary on the core (the app, the CLI, the tests and the benches) allocates with
/// jemalloc on Unix. Each uplink makes short-lived buffers of 1–2 KB (the source's event, its
/// Helium JSON, the viewer's message) that other threads free; glibc's malloc spent 12 µs of CPU
/// per uplink more on them (76 against 64 µs in the throughput bench), and held 77 KiB per device
/// session where jemalloc holds 65. C libraries (SQLite, WebKit) keep the system's malloc.
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

pub use app::{Core, CoreError};
pub use datadir::{default_data_dir, resolve_data_dir, DataDir, DataDirError};
pub use store::{Store, StoreError};
pub use vault::{KeyringVault, Vault, VaultError};

/// A warning on stderr from the core's own threads. With stderr gone (a CLI piped into `head`)
/// it is dropped: `eprintln!` would panic, and the thread (the store's writer, say) end with it.
pub(crate) fn warn(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{args}");
}

/// Milliseconds since the Unix epoch, the one time unit the store and the wire use.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
