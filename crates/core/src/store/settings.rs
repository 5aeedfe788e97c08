//! The app's settings: one row per setting, the value as JSON. Missing means the default.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Result, Store};

/// What the user can set. Each field has its default when never set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Settings {
    /// Closing the window keeps bridging in the tray (instead of quitting).
    pub close_to_tray: bool,
    /// A desktop notification when an integration fails or recovers, or uplinks are lost
    /// upstream.
    pub notifications: bool,
    /// Messages older than this many days leave the history.
    pub history_days: u32,
    /// Beyond this many MiB, the oldest messages leave the history.
    pub history_max_mb: u32,
}

/// The history's bounds the user may choose.
pub const HISTORY_DAYS: std::ops::RangeInclusive<u32> = 1..=365;
pub const HISTORY_MAX_MB: std::ops::RangeInclusive<u32> = 10..=100_000;

impl Settings {
    pub fn retention(&self) -> crate::monitor::Retention {
        crate::monitor::Retention {
            days: self.history_days,
            max_mb: self.history_max_mb,
        }
    }

    /// Settings a user could not mean: said, with the range that works.
    pub fn check(&self) -> std::result::Result<(), crate::validate::Invalid> {
        let out =
            |field: &'static str, v: u32, r: &std::ops::RangeInclusive<u32>, unit: &str| crate::validate::Invalid {
                field,
                reason: format!("must be {} to {} {unit} (got {v})", r.start(), r.end()),
            };
        if !HISTORY_DAYS.contains(&self.history_days) {
            return Err(out("history_days", self.history_days, &HISTORY_DAYS, "days"));
        }
        if !HISTORY_MAX_MB.contains(&self.history_max_mb) {
            return Err(out("history_max_mb", self.history_max_mb, &HISTORY_MAX_MB, "MiB"));
        }
        Ok(())
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            close_to_tray: true,
            notifications: true,
            history_days: crate::monitor::Retention::default().days,
            history_max_mb: crate::monitor::Retention::default().max_mb,
        }
    }
}

impl Store {
    pub fn settings(&self) -> Result<Settings> {
        let mut stmt = self.conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")?;
        let mut get = |key: &str| -> Result<Option<serde_json::Value>> {
            let v: Option<String> = stmt.query_row([key], |r| r.get(0)).optional()?;
            Ok(v.and_then(|v| serde_json::from_str(&v).ok()))
        };
        let d = Settings::default();
        Ok(Settings {
            close_to_tray: get("close_to_tray")?
                .and_then(|v| v.as_bool())
                .unwrap_or(d.close_to_tray),
            notifications: get("notifications")?
                .and_then(|v| v.as_bool())
                .unwrap_or(d.notifications),
            history_days: get("history_days")?
                .and_then(|v| v.as_u64())
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(d.history_days),
            history_max_mb: get("history_max_mb")?
                .and_then(|v| v.as_u64())
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(d.history_max_mb),
        })
    }

    pub fn save_settings(&self, s: &Settings) -> Result<()> {
        self.atomically(|store| {
            let values = [
                ("close_to_tray", serde_json::json!(s.close_to_tray)),
                ("notifications", serde_json::json!(s.notifications)),
                ("history_days", serde_json::json!(s.history_days)),
                ("history_max_mb", serde_json::json!(s.history_max_mb)),
            ];
            for (key, value) in values {
                store.conn.execute(
                    "INSERT INTO settings (key, value) VALUES (?1, ?2)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    params![key, value.to_string()],
                )?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_default_on_and_are_kept() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.settings().unwrap(), Settings::default());
        let off = Settings {
            close_to_tray: false,
            notifications: false,
            history_days: 30,
            history_max_mb: 200,
        };
        store.save_settings(&off).unwrap();
        assert_eq!(store.settings().unwrap(), off);
    }
}
