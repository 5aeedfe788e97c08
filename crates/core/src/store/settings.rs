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
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            close_to_tray: true,
            notifications: true,
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
        })
    }

    pub fn save_settings(&self, s: &Settings) -> Result<()> {
        self.atomically(|store| {
            for (key, value) in [("close_to_tray", s.close_to_tray), ("notifications", s.notifications)] {
                store.conn.execute(
                    "INSERT INTO settings (key, value) VALUES (?1, ?2)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    params![key, serde_json::Value::Bool(value).to_string()],
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
        };
        store.save_settings(&off).unwrap();
        assert_eq!(store.settings().unwrap(), off);
    }
}
