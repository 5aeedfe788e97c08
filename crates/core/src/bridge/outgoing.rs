//! A session's publishing, which ingest shares through the session's inbox: an uplink on the
//! fast path is handed to the connection's client by ingest itself, as a relay would, rather
//! than waking the session to hand it over (that wake, the session's turn, and the client's
//! wake of the session that followed cost more than the publish). The session publishes the
//! rest — outbox rows, and what had to wait for AWS's limits — and follows the connection's
//! events. Both keep to the same limits and order, under the inbox's lock.

use std::collections::VecDeque;

use futures_util::FutureExt;
use rumqttc::{AsyncClient, QoS};
use tokio::time::Instant;

use super::fast::Ticket;
use super::in_flight::ByPacketId;
use super::inbox::Queued;
use super::pace::Pacer;
use crate::store::OutboxEntry;

/// AWS IoT: at most 100 unacknowledged QoS1 publishes per connection.
pub(crate) const MAX_IN_FLIGHT: usize = 100;

/// A publish handed to the client: its outbox row, or (fast path) the entry itself and its
/// ticket, to hand over if AWS never acknowledges it.
pub(crate) struct Sent {
    pub seq: i64,
    /// The integration's place among the session's.
    pub member: usize,
    pub at: Instant,
    pub fast: Option<(OutboxEntry, Ticket)>,
}

/// The connection publishes go through, while it is up and not draining.
pub(crate) struct Link {
    pub client: AsyncClient,
    /// Per integration of the session, in its order: the integration's id and topic.
    pub routes: Vec<(String, String)>,
    /// The thing's shadow update topic (the thing is named by the device id).
    pub shadow_topic: String,
}

/// Why an entry was not published.
pub(crate) enum NotSent {
    /// No connection, or AWS's limits (in flight, rate): it waits.
    Wait(Queued),
    /// None of the session's integrations is the entry's (they changed since).
    Unrouted(Queued),
    /// Over AWS's payload limit (queued before ingest checked it): AWS would refuse it forever
    /// and the device's later uplinks would wait behind it.
    Oversize(Queued),
    /// The client refused it: its connection is gone.
    Failed(String, Queued),
}

/// What a session has handed to its connections; outlives a connection, so that what is left
/// when one ends can be handed over.
pub(crate) struct Out {
    link: Option<Link>,
    pacer: Pacer,
    /// Handed to the client, waiting for their packet id; then by packet id.
    awaiting: VecDeque<Sent>,
    in_flight: ByPacketId<(u64, Sent)>,
    /// Publishes so far, to put `in_flight` back in order.
    published: u64,
    /// The last outbox row published on this connection: the outbox is read after it.
    last_seq: i64,
}

impl Out {
    pub fn new(per_second: u32) -> Out {
        Out {
            link: None,
            pacer: Pacer::new(per_second),
            awaiting: VecDeque::new(),
            in_flight: ByPacketId::default(),
            published: 0,
            last_seq: 0,
        }
    }

    /// A connection is up: publishes go to it, and the outbox is read from its start.
    pub fn link(&mut self, link: Link) {
        self.link = Some(link);
        self.last_seq = 0;
    }

    /// Nothing more goes to the connection.
    pub fn unlink(&mut self) {
        self.link = None;
    }

    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    /// Publishes not acknowledged yet.
    pub fn outstanding(&self) -> usize {
        self.awaiting.len() + self.in_flight.len()
    }

    /// How many publishes may go out now (0 when AWS's rate says wait, or no connection).
    pub fn room(&mut self, now: Instant) -> usize {
        if self.link.is_none() || !self.pacer.ready(now) {
            return 0;
        }
        MAX_IN_FLIGHT.saturating_sub(self.outstanding())
    }

    /// When AWS's rate lets the next publish out, if it holds them back now.
    pub fn paced_until(&mut self, now: Instant) -> Option<Instant> {
        (self.link.is_some() && !self.pacer.ready(now)).then(|| self.pacer.next_slot(now))
    }

    /// Hands the entry to the client, if the limits allow; otherwise says why not.
    pub fn publish(&mut self, q: Queued, now: Instant) -> Option<NotSent> {
        if self.room(now) == 0 {
            return Some(NotSent::Wait(q));
        }
        let Some(link) = &self.link else {
            return Some(NotSent::Wait(q));
        };
        let Some(member) = link.routes.iter().position(|(id, _)| *id == q.entry.integration_id) else {
            return Some(NotSent::Unrouted(q));
        };
        if crate::codec::check_uplink(0, q.entry.payload.len()).is_err() {
            return Some(NotSent::Oversize(q));
        }
        let topic = if q.entry.uuid.ends_with(crate::codec::shadow::SHADOW_SUFFIX) {
            &link.shadow_topic
        } else {
            &link.routes[member].1
        };
        // The entry's own bytes, not a copy.
        let payload = bytes::Bytes::from_owner(Body(q.entry.payload.clone()));
        // Taken at once or not at all: the session's task drives the event loop that empties the
        // client's queue, so waiting for room could never end. (Its room, twice the publishes
        // in flight, is always enough.)
        match link
            .client
            .publish_bytes(topic.as_str(), QoS::AtLeastOnce, false, payload)
            .now_or_never()
        {
            Some(Ok(())) => {}
            Some(Err(e)) => return Some(NotSent::Failed(format!("cannot queue a publish: {e}"), q)),
            None => {
                return Some(NotSent::Failed(
                    "cannot queue a publish: the client's queue is full".into(),
                    q,
                ))
            }
        }
        let Queued { entry, ticket } = q;
        if ticket.is_none() {
            self.last_seq = entry.seq;
        }
        self.awaiting.push_back(Sent {
            seq: entry.seq,
            member,
            at: now,
            // A fast-path entry is kept to hand over should AWS not acknowledge it.
            fast: ticket.map(|t| (entry, t)),
        });
        self.pacer.consume(now);
        None
    }

    /// The client gave the oldest publish handed to it this packet id.
    pub fn sent(&mut self, pkid: u16) {
        if let Some(sent) = self.awaiting.pop_front() {
            self.published += 1;
            self.in_flight.insert(pkid, (self.published, sent));
        }
    }

    /// AWS acknowledged this packet id.
    pub fn acked(&mut self, pkid: u16) -> Option<Sent> {
        self.in_flight.remove(pkid).map(|(_, sent)| sent)
    }

    /// When the oldest publish not acknowledged went out.
    pub fn oldest(&self) -> Option<Instant> {
        let in_flight = self.in_flight.values().map(|(_, s)| s.at);
        in_flight.chain(self.awaiting.iter().map(|s| s.at)).min()
    }

    /// The fast-path entries held, oldest first; the rest is dropped (the outbox has it).
    pub fn take_fast(&mut self) -> Vec<Queued> {
        let mut in_flight: Vec<(u64, Sent)> = self.in_flight.drain().collect();
        in_flight.sort_by_key(|(n, _)| *n);
        in_flight
            .into_iter()
            .map(|(_, s)| s)
            .chain(self.awaiting.drain(..))
            .filter_map(|s| s.fast)
            .map(|(entry, t)| Queued { entry, ticket: Some(t) })
            .collect()
    }
}

/// An entry's payload as the bytes of a publish.
struct Body(std::sync::Arc<String>);

impl AsRef<[u8]> for Body {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}
