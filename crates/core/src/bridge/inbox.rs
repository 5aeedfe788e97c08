//! Committed uplinks handed to their AWS session in memory, so a connected session publishes
//! without reading the outbox back. The outbox stays the truth: a session reads it when it
//! connects, and again whenever its inbox could not keep everything (not connected, or full).

use crate::sync::{LockExt, RwLockExt};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::Notify;

use crate::store::OutboxEntry;

/// What one connected session may hold in memory; beyond it, it reads the outbox.
const CAPACITY: usize = 256;

#[derive(Default)]
struct State {
    entries: VecDeque<OutboxEntry>,
    /// Entries were committed that this inbox did not keep.
    missed: bool,
    /// The session is connected and takes entries from here.
    open: bool,
    /// The session ended: entries must go to a new one.
    closed: bool,
}

/// One session's inbox.
#[derive(Default)]
pub(crate) struct Inbox {
    state: Mutex<State>,
    notify: Notify,
}

impl Inbox {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.locked()
    }

    /// Offers a committed entry. False when the session has ended.
    pub fn push(&self, entry: OutboxEntry) -> bool {
        let mut s = self.lock();
        if s.closed {
            return false;
        }
        if s.open && s.entries.len() < CAPACITY {
            s.entries.push_back(entry);
        } else {
            s.entries.clear();
            s.missed = true;
        }
        drop(s);
        self.notify.notify_one();
        true
    }

    /// Wakes the session (something changed).
    pub fn wake(&self) {
        self.notify.notify_one();
    }

    pub async fn notified(&self) {
        self.notify.notified().await
    }

    /// The session connected (`true`) or lost its connection (`false`). Either way it reads the
    /// outbox next, so what the inbox held is dropped.
    pub fn set_open(&self, open: bool) {
        let mut s = self.lock();
        s.open = open;
        s.entries.clear();
        s.missed = false;
    }

    /// Everything waiting, and whether entries were missed (then the outbox has them).
    pub fn take(&self) -> (VecDeque<OutboxEntry>, bool) {
        let mut s = self.lock();
        (std::mem::take(&mut s.entries), std::mem::replace(&mut s.missed, false))
    }

    pub fn close(&self) {
        let mut s = self.lock();
        s.closed = true;
        s.entries.clear();
    }
}

/// Every live session's inbox, by route.
#[derive(Default)]
pub(crate) struct Inboxes(RwLock<HashMap<(String, String), Arc<Inbox>>>);

impl Inboxes {
    pub fn insert(&self, route: (String, String), inbox: Arc<Inbox>) {
        self.0.write_locked().insert(route, inbox);
    }

    pub fn remove(&self, route: &(String, String)) {
        if let Some(inbox) = self.0.write_locked().remove(route) {
            inbox.close();
        }
    }

    /// Hands the entry to its route's session; false when none is running (start one).
    pub fn deliver(&self, entry: OutboxEntry) -> bool {
        let map = self.0.read_locked();
        // A lookup by borrowed pair would need a custom key type; routes are short strings.
        let route = (entry.integration_id.clone(), entry.device_id.clone());
        match map.get(&route) {
            Some(inbox) => inbox.push(entry),
            None => false,
        }
    }
}
