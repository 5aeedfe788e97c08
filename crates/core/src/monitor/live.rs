//! The live view's stream: the messages a filter lets through, at most one batch per interval,
//! each at most `max` long (the newest; the rest are counted and stay in the history), so a
//! busy bridge costs the viewer a few IPC messages a second whatever the rate.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tokio::time::{Duration, Instant};
use ts_rs::TS;

use super::{Live, Message, MessageFilter, MessageRow, Seen};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct LiveBatch {
    /// Oldest first.
    pub rows: Vec<MessageRow>,
    /// Messages that matched but came too fast to show (newer ones are shown); the history has
    /// them.
    #[ts(type = "number")]
    pub skipped: u64,
    /// Uplinks AWS echoed since the last batch (the newest `max`).
    pub seen: Vec<Seen>,
}

fn contains_ci(hay: &str, needle_lower: &str) -> bool {
    hay.to_ascii_lowercase().contains(needle_lower)
}

impl MessageFilter {
    /// Whether `m` passes (the time range is the history's; live messages are now).
    pub fn matches(&self, m: &Message) -> bool {
        let r = &m.row;
        let listed = |list: &[String], v: &str| list.is_empty() || list.iter().any(|x| x == v);
        if !listed(&self.kinds, &r.kind) || !listed(&self.levels, &r.level) {
            return false;
        }
        if !self.directions.is_empty() && !self.directions.contains(&r.direction) {
            return false;
        }
        if let Some(d) = self.device.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            let is = |v: &Option<String>| v.as_deref().is_some_and(|v| v.eq_ignore_ascii_case(d));
            if !(r.device_id.as_deref() == Some(d) || is(&r.dev_eui) || is(&r.device_name)) {
                return false;
            }
        }
        if self.integration_id.is_some() && r.integration_id != self.integration_id {
            return false;
        }
        if let Some(t) = self.topic.as_deref().filter(|t| !t.is_empty()) {
            if !r
                .topic
                .as_deref()
                .is_some_and(|topic| contains_ci(topic, &t.to_ascii_lowercase()))
            {
                return false;
            }
        }
        if let Some(t) = self.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let t = t.to_ascii_lowercase();
            if !contains_ci(&r.text, &t) && !m.json.as_deref().is_some_and(|j| contains_ci(j, &t)) {
                return false;
            }
        }
        true
    }
}

/// Sends `rx`'s messages that pass `filter` to `send` until the stream closes or `send` returns
/// false: at most one batch per `interval`, each the newest `max` of what came (and of the
/// echoes from AWS).
pub async fn forward_live(
    mut rx: broadcast::Receiver<Live>,
    filter: MessageFilter,
    interval: Duration,
    max: usize,
    mut send: impl FnMut(LiveBatch) -> bool,
) {
    let mut last = Instant::now() - interval;
    let mut skipped = 0u64;
    let mut batch: VecDeque<MessageRow> = VecDeque::new();
    let mut seen: VecDeque<Seen> = VecDeque::new();
    let take = |item: Live, batch: &mut VecDeque<MessageRow>, seen: &mut VecDeque<Seen>, skipped: &mut u64| match item {
        Live::Message(m) => {
            if filter.matches(&m) {
                if batch.len() == max {
                    batch.pop_front();
                    *skipped += 1;
                }
                batch.push_back(m.row.clone());
            }
        }
        Live::Seen(s) => {
            if filter.integration_id.as_ref().is_none_or(|i| *i == s.integration_id) {
                if seen.len() == max {
                    seen.pop_front();
                }
                seen.push_back(s);
            }
        }
    };
    loop {
        let mut open = true;
        match rx.recv().await {
            Ok(m) => take(m, &mut batch, &mut seen, &mut skipped),
            Err(RecvError::Lagged(n)) => skipped += n,
            Err(RecvError::Closed) => open = false,
        }
        if open {
            tokio::time::sleep_until(last + interval).await;
            loop {
                match rx.try_recv() {
                    Ok(m) => take(m, &mut batch, &mut seen, &mut skipped),
                    Err(TryRecvError::Lagged(n)) => skipped += n,
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Closed) => {
                        open = false;
                        break;
                    }
                }
            }
        }
        if !batch.is_empty() || skipped > 0 || !seen.is_empty() {
            last = Instant::now();
            let out = LiveBatch {
                rows: batch.drain(..).collect(),
                skipped: std::mem::take(&mut skipped),
                seen: seen.drain(..).collect(),
            };
            if !send(out) {
                return;
            }
        }
        if !open {
            return;
        }
    }
}
