//! Events for the Monitor page: the newest from the store, and live ones from the bus in
//! batches, so a busy bridge costs a few IPC messages a second rather than one per event.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use helium_bridge_core::events::Event;
use helium_bridge_core::{Store, StoreError};
use tauri::async_runtime::JoinHandle;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;

/// A batch is sent at most this long after its first event…
pub const BATCH_INTERVAL: Duration = Duration::from_millis(100);
/// …or as soon as it holds this many.
pub const BATCH_MAX: usize = 500;
/// The most `recent_events` returns.
pub const RECENT_MAX: usize = 10_000;

/// The newest `limit` events (at most [`RECENT_MAX`]), oldest first.
pub fn recent_events(store: &Store, limit: usize) -> Result<Vec<Event>, StoreError> {
    let limit = limit.min(RECENT_MAX);
    let last = store.last_event_id()?;
    store.events_after((last - limit as i64).max(0), limit)
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

/// The live streams, by the id of the UI's channel, so the UI can end its own.
#[derive(Default)]
pub struct Subscriptions(Mutex<HashMap<u32, JoinHandle<()>>>);

impl Subscriptions {
    pub fn insert(&self, id: u32, task: JoinHandle<()>) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = map.insert(id, task) {
            old.abort();
        }
    }

    /// Stops the stream of channel `id`; false if there was none.
    pub fn remove(&self, id: u32) -> bool {
        let task = self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
        task.map(|t| t.abort()).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

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

    #[test]
    fn recent_events_are_the_newest_oldest_first() {
        let store = Store::open_in_memory().unwrap();
        assert!(recent_events(&store, 5).unwrap().is_empty());
        for i in 1..=20 {
            store
                .insert_event(&Event::new("uplink", "info", format!("event {i}")), 1000)
                .unwrap();
        }
        let ids: Vec<i64> = recent_events(&store, 5).unwrap().iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![16, 17, 18, 19, 20]);
        assert_eq!(recent_events(&store, 500).unwrap().len(), 20);
        assert!(recent_events(&store, 0).unwrap().is_empty());
    }
}
