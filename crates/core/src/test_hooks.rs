//! Hooks that make the app fail on purpose, for tests. They act only in builds with the
//! `test-hooks` feature, which the test builds turn on (as a dev-dependency) and release builds
//! never have: there they do nothing.

use crate::events::Event;

/// The crash drill: with `HELIUM_AWS_BRIDGE_CRASH_DRILL=connected`, the process panics once a
/// device's AWS session has connected (its key decrypted, the integration's secret loaded), so
/// tests can check the crash output of a process holding secrets.
pub fn crash_drill(e: &Event) {
    #[cfg(feature = "test-hooks")]
    {
        const CRASH_DRILL: &str = "HELIUM_AWS_BRIDGE_CRASH_DRILL";
        static ARMED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        let armed = *ARMED.get_or_init(|| std::env::var(CRASH_DRILL).is_ok_and(|v| v == "connected"));
        if armed && e.kind == "connection" && e.integration_id.is_some() && e.message.ends_with("connected") {
            panic!("crash drill ({CRASH_DRILL}) after {e:?}");
        }
    }
    #[cfg(not(feature = "test-hooks"))]
    let _ = e;
}

/// Where the desktop's history export writes instead of asking in a save dialog (which a
/// WebDriver test cannot answer): `HELIUM_AWS_BRIDGE_EXPORT_TO`, in test builds only.
pub fn export_path() -> Option<std::path::PathBuf> {
    #[cfg(feature = "test-hooks")]
    {
        std::env::var_os("HELIUM_AWS_BRIDGE_EXPORT_TO").map(Into::into)
    }
    #[cfg(not(feature = "test-hooks"))]
    None
}
