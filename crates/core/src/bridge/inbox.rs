//! Uplinks handed to their AWS session in memory, so a connected session publishes without
//! reading the outbox back: committed ones (with a sequence number), and — on the fast path
//! (`fast.rs`) — ones with no outbox row, which the session must hand over to the outbox if it
//! cannot publish them. The outbox stays the truth for committed ones: a session reads it when
//! it connects, and again whenever its inbox could not keep everything (not connected, or full).

use crate::sync::{LockExt, RwLockExt};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, RwLock};

use foldhash::HashMap;
use tokio::sync::Notify;

use super::fast::Ticket;
use crate::store::OutboxEntry;

/// What one connected session may hold in memory; beyond it, it reads the outbox.
const CAPACITY: usize = 256;
/// How many uplinks without an outbox row a session may hold at once; beyond it they are
/// committed first. (AWS allows a connection 100 publishes a second, so this is about half a
/// second of a device that sends flat out.)
const FAST_CAPACITY: usize = 50;

/// An uplink for the session: committed (`ticket` is `None`, `entry.seq` is its row), or on the
/// fast path (its ticket, settled once AWS or the outbox has it; `entry.seq` is 0).
pub(crate) struct Queued {
    pub entry: OutboxEntry,
    pub ticket: Option<Ticket>,
}

#[derive(Default)]
struct State {
    /// Fast-path entries always come before committed ones here: a fast-path entry is taken
    /// only while no committed one waits, and a committed one dropped (inbox full) is read from
    /// the outbox after what the inbox held.
    entries: VecDeque<Queued>,
    /// How many of `entries` are committed ones.
    committed: usize,
    /// Entries were committed that this inbox did not keep.
    missed: bool,
    /// The session is connected and takes entries from here.
    open: bool,
    /// The session has read everything the outbox holds for it (since it connected or missed
    /// entries): only then may uplinks skip the outbox.
    caught_up: bool,
    /// The session ended: entries must go to a new one.
    closed: bool,
}

impl State {
    /// Drops the committed entries (the outbox has them), keeping the fast-path ones.
    fn drop_committed(&mut self) {
        if self.committed > 0 {
            self.entries.retain(|q| q.ticket.is_some());
            self.committed = 0;
        }
    }
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
            s.entries.push_back(Queued { entry, ticket: None });
            s.committed += 1;
        } else {
            s.drop_committed();
            s.missed = true;
            s.caught_up = false;
        }
        drop(s);
        self.notify.notify_one();
        true
    }

    /// Offers an uplink on the fast path; gives it back unless the session is connected, caught
    /// up with the outbox, and holds no committed entry (which must go first) and room.
    /// `before` runs just before it is taken (while no session can publish it yet).
    pub fn offer(&self, q: Queued, before: impl FnOnce()) -> Result<(), Queued> {
        let mut s = self.lock();
        let fast = s.entries.len() - s.committed;
        if s.closed || !s.open || !s.caught_up || s.missed || s.committed > 0 || fast >= FAST_CAPACITY {
            return Err(q);
        }
        before();
        s.entries.push_back(q);
        drop(s);
        self.notify.notify_one();
        Ok(())
    }

    /// Wakes the session (something changed).
    pub fn wake(&self) {
        self.notify.notify_one();
    }

    /// Completes at the next wake (or at once for one not yet taken).
    pub fn notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.notify.notified()
    }

    /// The session connected: it reads the outbox next, so the committed entries held are
    /// dropped.
    pub fn opened(&self) {
        let mut s = self.lock();
        s.open = true;
        s.caught_up = false;
        s.drop_committed();
        s.missed = false;
    }

    /// The session read everything the outbox held for it.
    pub fn caught_up(&self) {
        let mut s = self.lock();
        if !s.missed {
            s.caught_up = true;
        }
    }

    /// The session lost its connection or stops: from now on its device's uplinks go to the
    /// outbox. `persist` gets the session's own fast-path entries (`held`, oldest first) and
    /// then the inbox's, and runs before anything else can be offered — so they reach the
    /// outbox before any later uplink of the device.
    pub fn hand_over(&self, held: Vec<Queued>, persist: impl FnOnce(Vec<Queued>)) {
        let mut s = self.lock();
        s.open = false;
        s.caught_up = false;
        s.missed = false;
        s.committed = 0;
        let mut all = held;
        all.extend(s.entries.drain(..).filter(|q| q.ticket.is_some()));
        persist(all);
    }

    /// Everything waiting, and whether entries were missed (then the outbox has them).
    pub fn take(&self) -> (VecDeque<Queued>, bool) {
        let mut s = self.lock();
        s.committed = 0;
        (std::mem::take(&mut s.entries), std::mem::replace(&mut s.missed, false))
    }

    /// The session ended (or is being replaced): nothing more is taken. Fast-path entries stay
    /// for the session to hand over on its way out.
    pub fn close(&self) {
        let mut s = self.lock();
        s.closed = true;
        s.drop_committed();
    }
}

/// Every live session's inbox, by route: integration, then device (so that a lookup, once an
/// uplink, borrows its keys instead of building them).
#[derive(Default)]
pub(crate) struct Inboxes(RwLock<HashMap<String, HashMap<String, Arc<Inbox>>>>);

impl Inboxes {
    pub fn insert(&self, (integration_id, device_id): (String, String), inbox: Arc<Inbox>) {
        self.0
            .write_locked()
            .entry(integration_id)
            .or_default()
            .insert(device_id, inbox);
    }

    pub fn remove(&self, (integration_id, device_id): &(String, String)) {
        let mut all = self.0.write_locked();
        let Some(devices) = all.get_mut(integration_id) else {
            return;
        };
        if let Some(inbox) = devices.remove(device_id) {
            inbox.close();
        }
        if devices.is_empty() {
            all.remove(integration_id);
        }
    }

    /// Hands the entry to its route's session; false when none is running (start one).
    pub fn deliver(&self, entry: OutboxEntry) -> bool {
        match self.get(&entry.integration_id, &entry.device_id) {
            Some(inbox) => inbox.push(entry),
            None => false,
        }
    }

    /// The route's session's inbox, if one runs.
    pub fn get(&self, integration_id: &str, device_id: &str) -> Option<Arc<Inbox>> {
        self.0.read_locked().get(integration_id)?.get(device_id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, uuid: &str) -> OutboxEntry {
        OutboxEntry {
            seq,
            integration_id: "i".into(),
            device_id: "d".into(),
            uuid: uuid.into(),
            payload: "{}".into(),
        }
    }

    fn fast(uuid: &str) -> Queued {
        Queued {
            entry: entry(0, uuid),
            ticket: Some(Ticket::new(|_| {})),
        }
    }

    fn uuids(q: &[Queued]) -> Vec<&str> {
        q.iter().map(|q| q.entry.uuid.as_str()).collect()
    }

    #[test]
    fn the_fast_path_waits_for_a_connected_caught_up_session_with_nothing_committed_ahead() {
        let inbox = Inbox::default();
        assert!(inbox.offer(fast("a"), || {}).is_err(), "not connected");
        inbox.opened();
        assert!(inbox.offer(fast("a"), || {}).is_err(), "the outbox is not read yet");
        inbox.caught_up();
        let mut recorded = false;
        assert!(inbox.offer(fast("a"), || recorded = true).is_ok());
        assert!(recorded, "recorded before the session can take it");
        assert!(inbox.push(entry(7, "b")));
        assert!(
            inbox.offer(fast("c"), || {}).is_err(),
            "a committed entry waits: a fast one would overtake it"
        );
        let (taken, missed) = inbox.take();
        assert_eq!(uuids(&taken.into_iter().collect::<Vec<_>>()), ["a", "b"]);
        assert!(!missed);
        assert!(inbox.offer(fast("c"), || {}).is_ok());
    }

    #[test]
    fn a_full_inbox_drops_committed_entries_but_never_fast_ones_and_hands_them_over_in_order() {
        let inbox = Inbox::default();
        inbox.opened();
        inbox.caught_up();
        for n in 0..3 {
            assert!(inbox.offer(fast(&format!("f{n}")), || {}).is_ok());
        }
        for n in 0..CAPACITY as i64 {
            inbox.push(entry(n + 1, "c"));
        }
        assert!(
            inbox.offer(fast("late"), || {}).is_err(),
            "missed: the outbox must be read first"
        );
        let mut handed = Vec::new();
        inbox.hand_over(vec![fast("in-flight")], |all| handed = all);
        assert_eq!(uuids(&handed), ["in-flight", "f0", "f1", "f2"]);
        assert!(inbox.offer(fast("x"), || {}).is_err(), "disconnected");
        inbox.close();
        assert!(!inbox.push(entry(999, "y")), "closed");
    }
}
