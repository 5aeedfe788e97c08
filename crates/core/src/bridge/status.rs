//! Where every part of the bridge reports: connection states for the status views, and the
//! event bus. A cheap clone, handed to sources and sessions instead of the engine's insides.

use crate::sync::LockExt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::ConnectionState;
use crate::events::{Event, EventBus};

#[derive(Clone)]
pub(crate) struct Status {
    states: Arc<Mutex<HashMap<String, ConnectionState>>>,
    /// Uplinks AWS acknowledged, per integration, since the bridge started.
    delivered: Arc<Mutex<HashMap<String, Arc<AtomicU64>>>>,
    events: EventBus,
}

impl Status {
    pub fn new(events: EventBus) -> Status {
        Status {
            states: Default::default(),
            delivered: Default::default(),
            events,
        }
    }

    /// The integration's delivery counter, for a session to count its PUBACKs on (no lock per
    /// uplink).
    pub fn delivered_counter(&self, integration_id: &str) -> Arc<AtomicU64> {
        self.delivered
            .locked()
            .entry(integration_id.to_string())
            .or_default()
            .clone()
    }

    pub fn delivered(&self) -> HashMap<String, u64> {
        self.delivered
            .locked()
            .iter()
            .map(|(k, v)| (k.clone(), v.load(Ordering::Relaxed)))
            .collect()
    }

    /// Records a connection's state (`side` is `source` or `integration`).
    pub fn set(&self, side: &str, id: &str, name: &str, connected: bool, detail: impl Into<String>) {
        let st = ConnectionState {
            side: side.into(),
            id: id.into(),
            name: name.into(),
            connected,
            detail: detail.into(),
        };
        self.states.locked().insert(format!("{side}/{id}"), st);
    }

    /// Drops a connection that no longer exists (a removed source).
    pub fn forget(&self, side: &str, id: &str) {
        self.states.locked().remove(&format!("{side}/{id}"));
    }

    pub fn emit(&self, e: Event) {
        self.events.emit(e);
    }

    /// Every connection's state, sources first, by name.
    pub fn all(&self) -> Vec<ConnectionState> {
        self.matching(|_| true)
    }

    /// The sources' connection states, by name: what the app polls, without the thousands of
    /// device sessions a fleet has.
    pub fn sources(&self) -> Vec<ConnectionState> {
        self.matching(|s| s.side == "source")
    }

    fn matching(&self, keep: impl Fn(&ConnectionState) -> bool) -> Vec<ConnectionState> {
        let mut v: Vec<_> = self.states.locked().values().filter(|s| keep(s)).cloned().collect();
        v.sort_by(|a, b| (&a.side, &a.name).cmp(&(&b.side, &b.name)));
        v
    }
}
