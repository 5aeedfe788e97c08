//! The last few payloads each device sent since the bridge started, in memory only: what the
//! decoder editor tests a script against ("this device's last real uplinks").

use std::collections::VecDeque;
use std::sync::Mutex;

use foldhash::HashMap;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::sync::LockExt;

/// Kept per device.
const PER_DEVICE: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RecentPayload {
    pub port: u8,
    /// Base64, as received.
    pub payload: String,
    pub fcnt: u32,
    #[ts(type = "number")]
    pub reported_at: i64,
}

#[derive(Default)]
pub(crate) struct RecentPayloads(Mutex<HashMap<String, VecDeque<RecentPayload>>>);

impl RecentPayloads {
    pub fn note(&self, device_id: &str, p: RecentPayload) {
        let mut all = self.0.locked();
        let list = match all.get_mut(device_id) {
            Some(l) => l,
            None => all.entry(device_id.to_string()).or_default(),
        };
        if list.len() == PER_DEVICE {
            list.pop_front();
        }
        list.push_back(p);
    }

    /// Newest first.
    pub fn of(&self, device_id: &str) -> Vec<RecentPayload> {
        self.0
            .locked()
            .get(device_id)
            .map(|l| l.iter().rev().cloned().collect())
            .unwrap_or_default()
    }
}
