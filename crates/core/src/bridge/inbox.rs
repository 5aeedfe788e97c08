//! Uplinks handed to their AWS session in memory, so a connected session publishes without
//! reading the outbox back: committed ones (with a sequence number), and — on the fast path
//! (`fast.rs`) — ones with no outbox row, which the session must hand over to the outbox if it
//! cannot publish them. A fast-path uplink with nothing ahead of it is published at once, by
//! its offer (`outgoing.rs`). The outbox stays the truth for committed ones: a session reads it
//! when it connects, and again whenever its inbox could not keep everything (not connected, or
//! full).

use crate::sync::{LockExt, RwLockExt};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, RwLock};

use foldhash::HashMap;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::fast::Ticket;
use super::outgoing::{Link, NotSent, Out, Sent};
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

struct State {
    /// Waiting to be published. Fast-path entries always come before committed ones here: a
    /// fast-path entry is taken only while no committed one waits, and a committed one dropped
    /// (inbox full) is read from the outbox after what the inbox held.
    entries: VecDeque<Queued>,
    /// How many of `entries` are committed ones.
    committed: usize,
    /// Entries were committed that this inbox did not keep.
    missed: bool,
    /// The session is connected and takes entries from here.
    open: bool,
    /// The session has read and published everything the outbox holds for it (since it
    /// connected or missed entries): only then may uplinks skip the outbox.
    caught_up: bool,
    /// The session ended: entries must go to a new one.
    closed: bool,
    /// What went to the connection.
    out: Out,
}

impl State {
    /// Drops the committed entries (the outbox has them), keeping the fast-path ones.
    fn drop_committed(&mut self) {
        if self.committed > 0 {
            self.entries.retain(|q| q.ticket.is_some());
            self.committed = 0;
        }
    }

    /// Puts an entry the session could not publish back at the front.
    fn put_back(&mut self, q: Queued) {
        if q.ticket.is_none() {
            self.committed += 1;
        }
        self.entries.push_front(q);
    }
}

/// What a session's turn at publishing left.
pub(crate) struct Turn {
    /// Entries AWS can never accept: the session drops them, with an event.
    pub oversize: Vec<Queued>,
    /// The client refused a publish: the connection is gone.
    pub failed: Option<String>,
    /// Entries were committed that the inbox did not keep: the outbox must be read.
    pub missed: bool,
    /// Entries wait (AWS's limits).
    pub waiting: bool,
    /// How many more publishes the limits allow now.
    pub room: usize,
    /// Publishes not acknowledged yet.
    pub outstanding: usize,
    /// When AWS's rate lets the next one out, if it holds them back now.
    pub paced_until: Option<Instant>,
    /// The outbox is to be read after this row.
    pub last_seq: i64,
}

/// Publishes `q` if the limits allow. What must wait comes back (the turn stops there, as it
/// does after a refusal, said in `failed`); what AWS can never take goes to `oversize`. (An
/// unrouted fast-path entry's ticket goes unsettled: its source offers it again.)
fn publish(
    out: &mut Out,
    q: Queued,
    now: Instant,
    oversize: &mut Vec<Queued>,
    failed: &mut Option<String>,
) -> Option<Queued> {
    match out.publish(q, now) {
        None | Some(NotSent::Unrouted(_)) => None,
        Some(NotSent::Oversize(q)) => {
            oversize.push(q);
            None
        }
        Some(NotSent::Wait(q)) => Some(q),
        Some(NotSent::Failed(e, q)) => {
            *failed = Some(e);
            Some(q)
        }
    }
}

/// One session's inbox.
pub(crate) struct Inbox {
    state: Mutex<State>,
    notify: Notify,
}

impl Inbox {
    /// An inbox for a session that publishes at most `per_second` a second.
    pub fn new(per_second: u32) -> Inbox {
        Inbox {
            state: Mutex::new(State {
                entries: VecDeque::new(),
                committed: 0,
                missed: false,
                open: false,
                caught_up: false,
                closed: false,
                out: Out::new(per_second),
            }),
            notify: Notify::new(),
        }
    }

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
    /// up with the outbox, and holds no committed entry (which must go first) and room. With
    /// nothing waiting ahead of it, it goes to the connection at once if AWS's limits allow.
    /// `before` runs just before it is taken (while no session can publish it yet).
    pub fn offer(&self, q: Queued, before: impl FnOnce()) -> Result<(), Queued> {
        let mut s = self.lock();
        let fast = s.entries.len() - s.committed;
        if s.closed || !s.open || !s.caught_up || s.missed || s.committed > 0 || fast >= FAST_CAPACITY {
            return Err(q);
        }
        before();
        let q = if s.entries.is_empty() {
            match s.out.publish(q, Instant::now()) {
                None => return Ok(()),
                // The session deals with it (and meets the same failure, if any).
                Some(NotSent::Wait(q) | NotSent::Unrouted(q) | NotSent::Oversize(q) | NotSent::Failed(_, q)) => q,
            }
        } else {
            q
        };
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

    /// The session connected: publishes go to `link`; it reads the outbox next, so the
    /// committed entries held are dropped.
    pub fn opened(&self, link: Link) {
        let mut s = self.lock();
        s.open = true;
        s.caught_up = false;
        s.drop_committed();
        s.missed = false;
        s.out.link(link);
    }

    /// The session stops publishing (it drains what is in flight).
    pub fn unlink(&self) {
        self.lock().out.unlink();
    }

    /// The session's turn: publishes what the limits allow — the rows it read back from the
    /// outbox (`backlog`) first, then, unless it is still `reading` the outbox, what waits
    /// here — and says what is left.
    pub fn publish_waiting(&self, backlog: &mut VecDeque<OutboxEntry>, reading: bool, now: Instant) -> Turn {
        let mut guard = self.lock();
        let s = &mut *guard;
        let mut oversize = Vec::new();
        let mut failed = None;
        let missed = std::mem::replace(&mut s.missed, false);
        while let Some(entry) = backlog.pop_front() {
            if let Some(q) = publish(
                &mut s.out,
                Queued { entry, ticket: None },
                now,
                &mut oversize,
                &mut failed,
            ) {
                backlog.push_front(q.entry);
                break;
            }
        }
        if !reading && !missed && backlog.is_empty() && failed.is_none() {
            // From now on uplinks may skip the outbox (behind what waits here).
            s.caught_up = true;
            while let Some(q) = s.entries.pop_front() {
                if q.ticket.is_none() {
                    s.committed -= 1;
                    if q.entry.seq <= s.out.last_seq() {
                        // Read from the outbox already.
                        continue;
                    }
                }
                if let Some(q) = publish(&mut s.out, q, now, &mut oversize, &mut failed) {
                    s.put_back(q);
                    break;
                }
            }
        }
        Turn {
            oversize,
            failed,
            missed,
            waiting: !backlog.is_empty() || !s.entries.is_empty(),
            room: s.out.room(now),
            outstanding: s.out.outstanding(),
            paced_until: s.out.paced_until(now),
            last_seq: s.out.last_seq(),
        }
    }

    /// The client gave the oldest publish handed to it this packet id.
    pub fn sent(&self, pkid: u16) {
        self.lock().out.sent(pkid);
    }

    /// AWS acknowledged this packet id: what it was.
    pub fn acked(&self, pkid: u16) -> Option<Sent> {
        self.lock().out.acked(pkid)
    }

    /// Publishes not acknowledged yet.
    pub fn outstanding(&self) -> usize {
        self.lock().out.outstanding()
    }

    /// When the oldest publish not acknowledged went out.
    pub fn oldest(&self) -> Option<Instant> {
        self.lock().out.oldest()
    }

    /// The session lost its connection or stops: from now on its device's uplinks go to the
    /// outbox. `persist` gets the fast-path entries the connection held (oldest first) and then
    /// those waiting here, and runs before anything else can be offered — so they reach the
    /// outbox before any later uplink of the device.
    pub fn hand_over(&self, persist: impl FnOnce(Vec<Queued>)) {
        let mut s = self.lock();
        s.open = false;
        s.caught_up = false;
        s.missed = false;
        s.committed = 0;
        s.out.unlink();
        let mut all = s.out.take_fast();
        all.extend(s.entries.drain(..).filter(|q| q.ticket.is_some()));
        persist(all);
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
            payload: "{}".to_string().into(),
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

    /// A connection's link (its event loop kept, so the client's queue stays open).
    fn link() -> (Link, rumqttc::EventLoop) {
        let (client, events) = rumqttc::AsyncClient::new(rumqttc::MqttOptions::new("d", "127.0.0.1", 1883), 10);
        let routes = vec![("i".to_string(), "t".to_string())];
        (
            Link {
                client,
                routes,
                shadow_topic: "s".into(),
            },
            events,
        )
    }

    fn turn(inbox: &Inbox) -> Turn {
        inbox.publish_waiting(&mut VecDeque::new(), false, Instant::now())
    }

    /// A session's inbox, connected at `per_second` publishes a second and caught up with the
    /// outbox (the event loop is the connection's, kept open).
    fn caught_up(per_second: u32) -> (Inbox, rumqttc::EventLoop) {
        let inbox = Inbox::new(per_second);
        let (link, events) = link();
        inbox.opened(link);
        turn(&inbox);
        (inbox, events)
    }

    fn handed_over(inbox: &Inbox) -> Vec<Queued> {
        let mut handed = Vec::new();
        inbox.hand_over(|all| handed = all);
        handed
    }

    #[test]
    fn the_fast_path_waits_for_a_connected_caught_up_session_with_nothing_committed_ahead() {
        let inbox = Inbox::new(100);
        assert!(inbox.offer(fast("a"), || {}).is_err(), "not connected");
        let (link, _events) = link();
        inbox.opened(link);
        assert!(inbox.offer(fast("a"), || {}).is_err(), "the outbox is not read yet");
        turn(&inbox);
        let mut recorded = false;
        assert!(inbox.offer(fast("a"), || recorded = true).is_ok());
        assert!(recorded, "recorded before the session can take it");
        assert_eq!(inbox.outstanding(), 1, "nothing waited ahead: published at once");
        assert!(inbox.push(entry(7, "b")));
        assert!(
            inbox.offer(fast("c"), || {}).is_err(),
            "a committed entry waits: a fast one would overtake it"
        );
        let t = turn(&inbox);
        assert!(!t.missed && !t.waiting && t.last_seq == 7, "the committed one went out");
        assert!(inbox.offer(fast("c"), || {}).is_ok());
        assert_eq!(inbox.outstanding(), 3);
    }

    #[test]
    fn past_aws_rate_fast_ones_wait_in_order_and_are_handed_over_after_those_in_flight() {
        let (inbox, _events) = caught_up(2);
        for n in 0..4 {
            assert!(inbox.offer(fast(&format!("f{n}")), || {}).is_ok());
        }
        assert_eq!(inbox.outstanding(), 2, "two a second");
        let t = turn(&inbox);
        assert!(
            t.waiting && t.room == 0 && t.paced_until.is_some(),
            "the others wait their turn"
        );
        // The client numbered the first; AWS acknowledged none.
        inbox.sent(1);
        assert_eq!(uuids(&handed_over(&inbox)), ["f0", "f1", "f2", "f3"]);
        assert!(inbox.offer(fast("x"), || {}).is_err(), "disconnected");
    }

    #[test]
    fn an_acknowledged_publish_is_no_longer_held() {
        let (inbox, _events) = caught_up(100);
        assert!(inbox.offer(fast("a"), || {}).is_ok());
        assert!(inbox.offer(fast("b"), || {}).is_ok());
        inbox.sent(1);
        inbox.sent(2);
        let sent = inbox.acked(1).expect("packet 1 was a");
        assert_eq!(sent.fast.as_ref().map(|(e, _)| e.uuid.as_str()), Some("a"));
        assert!(inbox.acked(1).is_none(), "acknowledged once");
        assert_eq!(uuids(&handed_over(&inbox)), ["b"]);
    }

    #[test]
    fn a_full_inbox_drops_committed_entries_but_never_fast_ones_and_hands_them_over_in_order() {
        let (inbox, _events) = caught_up(1);
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
        assert_eq!(uuids(&handed_over(&inbox)), ["f0", "f1", "f2"]);
        assert!(inbox.offer(fast("x"), || {}).is_err(), "disconnected");
        inbox.close();
        assert!(!inbox.push(entry(999, "y")), "closed");
    }
}
