//! One in-process bus for everything the bridge does; each event is also persisted (bounded)
//! for the monitor and device pages.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::broadcast;
use ts_rs::TS;

use crate::app::Core;
use crate::now_ms;

/// How many events the store keeps.
pub const KEEP_EVENTS: i64 = 50_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Event {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub at_ms: i64,
    /// e.g. `uplink`, `uplink_forwarded`, `downlink`, `downlink_rejected`, `parse_error`,
    /// `connection`, `auth_failed`, `outbox_warning`, `provisioning`.
    pub kind: String,
    /// `info`, `warn` or `error`.
    pub level: String,
    pub source_id: Option<String>,
    pub integration_id: Option<String>,
    pub device_id: Option<String>,
    pub message: String,
    #[ts(type = "unknown")]
    pub detail: Option<Value>,
}

impl Event {
    pub fn new(kind: &str, level: &str, message: impl Into<String>) -> Event {
        Event {
            id: 0,
            at_ms: now_ms(),
            kind: kind.into(),
            level: level.into(),
            source_id: None,
            integration_id: None,
            device_id: None,
            message: message.into(),
            detail: None,
        }
    }
    pub fn source(mut self, id: &str) -> Self {
        self.source_id = Some(id.into());
        self
    }
    pub fn integration(mut self, id: &str) -> Self {
        self.integration_id = Some(id.into());
        self
    }
    pub fn device(mut self, id: &str) -> Self {
        self.device_id = Some(id.into());
        self
    }
    pub fn detail(mut self, d: Value) -> Self {
        self.detail = Some(d);
        self
    }
}

#[derive(Clone)]
pub struct EventBus {
    core: Arc<Core>,
    tx: broadcast::Sender<Event>,
}

impl EventBus {
    pub fn new(core: Arc<Core>) -> EventBus {
        let (tx, _) = broadcast::channel(4096);
        EventBus { core, tx }
    }

    /// Persists the event, then hands it to live subscribers.
    pub fn emit(&self, mut e: Event) {
        match self.core.store().insert_event(&e, KEEP_EVENTS) {
            Ok(id) => e.id = id,
            Err(err) => eprintln!("warning: could not store an event: {err}"),
        }
        let _ = self.tx.send(e);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}
