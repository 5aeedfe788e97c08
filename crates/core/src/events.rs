//! One in-process bus for everything the bridge does; each event is also persisted (bounded)
//! for the monitor and device pages.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::{Duration, Instant};
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
    /// e.g. `uplink`, `uplink_forwarded`, `uplink_rejected`, `upstream_gap`, `downlink`,
    /// `downlink_rejected`, `parse_error`, `connection`, `auth_failed`, `outbox_warning`, `throttled`,
    /// `provisioning`.
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

    /// Persists the event (in the store writer's next group commit), then hands it to live
    /// subscribers.
    pub fn emit(&self, e: Event) {
        self.core.monitor().event(&e);
        self.core.writer().event(e, self.tx.clone());
    }

    /// Hands the event to live subscribers only (id 0): routine per-uplink news that the
    /// device's counters already keep, so the store writes no row for it.
    pub fn emit_live(&self, e: Event) {
        let _ = self.tx.send(e);
    }

    /// Whether anyone subscribes to events live (else `emit_live`'s event goes nowhere).
    pub fn watched(&self) -> bool {
        self.tx.receiver_count() > 0
    }

    /// Returns once every event emitted before is stored and handed out.
    pub fn flush(&self) {
        self.core.writer().flush();
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}

/// Forwards `rx` to `send` in batches (oldest first) until the bus closes or `send` returns
/// false. Events lost to lag become one warning in their place.
pub async fn forward_batches(
    mut rx: broadcast::Receiver<Event>,
    interval: Duration,
    max: usize,
    mut send: impl FnMut(Vec<Event>) -> bool,
) {
    loop {
        let mut batch = Vec::new();
        let mut open = push(&mut batch, rx.recv().await);
        let deadline = Instant::now() + interval;
        while open && batch.len() < max {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(r) => open = push(&mut batch, r),
                Err(_) => break,
            }
        }
        if (!batch.is_empty() && !send(batch)) || !open {
            return;
        }
    }
}

/// Adds what `recv` gave to `batch`; false once the bus is closed.
fn push(batch: &mut Vec<Event>, r: Result<Event, RecvError>) -> bool {
    match r {
        Ok(e) => batch.push(e),
        Err(RecvError::Lagged(n)) => batch.push(Event::new(
            "monitor",
            "warn",
            format!("{n} event(s) came too fast to show live; they are kept in the store"),
        )),
        Err(RecvError::Closed) => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    fn event(i: usize) -> Event {
        let mut e = Event::new("uplink", "info", format!("event {i}"));
        e.id = i as i64;
        e
    }

    /// Runs the forwarder to completion and returns the batches it sent.
    async fn collect(rx: broadcast::Receiver<Event>, interval: Duration, max: usize) -> Vec<Vec<Event>> {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let s = sent.clone();
        forward_batches(rx, interval, max, move |b| {
            s.lock().unwrap().push(b);
            true
        })
        .await;
        Arc::try_unwrap(sent).unwrap().into_inner().unwrap()
    }

    #[tokio::test]
    async fn a_burst_goes_out_in_full_batches_in_order() {
        let (tx, rx) = broadcast::channel(4096);
        for i in 1..=1200 {
            tx.send(event(i)).unwrap();
        }
        drop(tx);
        let batches = collect(rx, Duration::from_secs(60), 500).await;
        assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), vec![500, 500, 200]);
        let ids: Vec<i64> = batches.concat().iter().map(|e| e.id).collect();
        assert_eq!(ids, (1..=1200).collect::<Vec<i64>>());
    }

    #[tokio::test]
    async fn events_within_the_interval_share_one_message() {
        let (tx, rx) = broadcast::channel(64);
        let forwarder = tokio::spawn(collect(rx, Duration::from_millis(300), 500));
        for i in 1..=3 {
            tx.send(event(i)).unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        tx.send(event(4)).unwrap();
        drop(tx);
        let batches = forwarder.await.unwrap();
        let ids: Vec<Vec<i64>> = batches.iter().map(|b| b.iter().map(|e| e.id).collect()).collect();
        assert_eq!(ids, vec![vec![1, 2, 3], vec![4]]);
    }

    #[tokio::test]
    async fn lag_becomes_a_warning_in_place_of_the_lost_events() {
        let (tx, rx) = broadcast::channel(4);
        for i in 1..=10 {
            tx.send(event(i)).unwrap();
        }
        drop(tx);
        let all = collect(rx, Duration::from_millis(50), 500).await.concat();
        assert_eq!(all.len(), 5, "{all:?}");
        assert_eq!((all[0].kind.as_str(), all[0].level.as_str()), ("monitor", "warn"));
        assert!(all[0].message.starts_with("6 event(s)"), "{}", all[0].message);
        assert_eq!(all[1..].iter().map(|e| e.id).collect::<Vec<_>>(), vec![7, 8, 9, 10]);
    }

    #[tokio::test]
    async fn stops_when_the_receiving_side_is_gone() {
        let (tx, rx) = broadcast::channel(64);
        let calls = Arc::new(Mutex::new(0));
        let c = calls.clone();
        let forwarder = tokio::spawn(forward_batches(rx, Duration::from_millis(10), 500, move |_| {
            *c.lock().unwrap() += 1;
            false
        }));
        tx.send(event(1)).unwrap();
        tokio::time::timeout(Duration::from_secs(5), forwarder)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(*calls.lock().unwrap(), 1);
        assert_eq!(tx.receiver_count(), 0);
    }
}
