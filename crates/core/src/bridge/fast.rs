//! The fast path. An uplink whose sessions are connected and caught up with the outbox goes to
//! them in memory, without an outbox row, and its source is acknowledged once AWS acknowledged
//! every copy. Until then the LNS keeps it (its broker offers again what the bridge did not
//! acknowledge), so a crash loses nothing: at worst AWS gets it twice, QoS 1's at-least-once,
//! as when a crash comes between AWS's PUBACK and the outbox row's delete.
//!
//! A session that loses its connection (or stops) hands what it holds in memory over to the
//! outbox, in order and before any later uplink of its device (see `Inbox::hand_over`); the
//! source is acknowledged once that is committed. Writing every uplink to the outbox and
//! deleting it on PUBACK was the bridge's largest cost; now only uplinks AWS does not take at
//! once are written.

use std::sync::{Arc, Mutex};

use super::dispatch::Command;
use super::inbox::Queued;
use super::Inner;
use crate::store::OutboxEntry;
use crate::sync::LockExt;

type Done = Box<dyn FnOnce(Result<(), String>) + Send>;

/// One uplink's completion, shared by its copies (one per integration, and the outbox part if
/// some copies went there). When the last ticket is gone the source hears the outcome: taken if
/// every ticket was settled, refused otherwise (it keeps the uplink and offers it again).
pub(crate) struct Ticket {
    shared: Arc<Shared>,
    settled: bool,
}

struct Shared {
    failure: Mutex<Option<String>>,
    done: Mutex<Option<Done>>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        let failure = self.failure.get_mut().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(done) = self.done.get_mut().unwrap_or_else(|p| p.into_inner()).take() {
            done(failure.map_or(Ok(()), Err));
        }
    }
}

impl Ticket {
    pub fn new(done: impl FnOnce(Result<(), String>) + Send + 'static) -> Ticket {
        Ticket {
            shared: Arc::new(Shared {
                failure: Mutex::new(None),
                done: Mutex::new(Some(Box::new(done))),
            }),
            settled: false,
        }
    }

    /// Another part of the same uplink.
    pub fn share(&self) -> Ticket {
        Ticket {
            shared: self.shared.clone(),
            settled: false,
        }
    }

    /// This part is done: AWS acknowledged it, or it is in the outbox.
    pub fn settle(mut self) {
        self.settled = true;
    }

    /// This part could not be done; the first reason given is the one the source hears.
    pub fn fail(self, reason: String) {
        self.shared.failure.locked().get_or_insert(reason);
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.settled {
            // A session aborted with the uplink in hand: the source must offer it again.
            self.shared
                .failure
                .locked()
                .get_or_insert_with(|| "the bridge stopped before AWS or the outbox had the uplink".into());
        }
    }
}

/// Per device, uplinks on their way to the outbox: while a device has any, its next uplinks
/// go there too, behind them, and not on the fast path (which would overtake them).
#[derive(Default)]
pub(crate) struct ToOutbox(std::sync::Mutex<std::collections::HashMap<String, usize>>);

impl ToOutbox {
    pub fn none(&self, device_id: &str) -> bool {
        !self.0.locked().contains_key(device_id)
    }

    pub fn add(&self, device_id: &str) {
        *self.0.locked().entry(device_id.to_string()).or_default() += 1;
    }

    pub fn done(&self, device_id: &str) {
        let mut map = self.0.locked();
        if let Some(n) = map.get_mut(device_id) {
            *n -= 1;
            if *n == 0 {
                map.remove(device_id);
            }
        }
    }
}

/// Hands a committed outbox entry to its session, or asks for one to be started.
pub(super) fn deliver(inner: &Inner, entry: OutboxEntry) {
    let (integration_id, device_id) = (entry.integration_id.clone(), entry.device_id.clone());
    if !inner.inboxes.deliver(entry) {
        let _ = inner.routes.send(Command::Route {
            integration_id,
            device_id,
        });
    }
}

/// Writes the entries a session held in memory into the outbox (in this order; the caller
/// holds its inbox so no later uplink of the device gets there first); each one's ticket is
/// settled once committed. Entries that were already in the outbox are left out.
pub(super) fn persist(inner: &Arc<Inner>, held: Vec<Queued>) {
    let (entries, tickets): (Vec<OutboxEntry>, Vec<Ticket>) =
        held.into_iter().filter_map(|q| q.ticket.map(|t| (q.entry, t))).unzip();
    if entries.is_empty() {
        return;
    }
    let inner2 = inner.clone();
    inner.core.writer().persist(
        entries,
        Box::new(move |r| match r {
            Ok(stored) => {
                inner2
                    .outbox_len
                    .fetch_add(stored.len() as i64, std::sync::atomic::Ordering::Relaxed);
                for entry in stored {
                    deliver(&inner2, entry);
                }
                tickets.into_iter().for_each(Ticket::settle);
            }
            Err(e) => {
                for ticket in tickets {
                    ticket.fail(e.to_string());
                }
            }
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    type Heard = Arc<Mutex<Vec<Result<(), String>>>>;

    fn watched() -> (Ticket, Heard) {
        let heard = Arc::new(Mutex::new(Vec::new()));
        let h = heard.clone();
        (Ticket::new(move |r| h.locked().push(r)), heard)
    }

    #[test]
    fn the_source_hears_once_when_every_part_is_settled() {
        let (ticket, heard) = watched();
        let (a, b) = (ticket.share(), ticket.share());
        ticket.settle();
        a.settle();
        assert!(heard.locked().is_empty(), "one part is still out");
        b.settle();
        assert_eq!(*heard.locked(), vec![Ok(())]);
    }

    #[test]
    fn a_failed_or_dropped_part_refuses_the_uplink_with_the_first_reason() {
        let (ticket, heard) = watched();
        let (a, b) = (ticket.share(), ticket.share());
        ticket.settle();
        a.fail("disk full".into());
        drop(b);
        assert_eq!(*heard.locked(), vec![Err("disk full".to_string())]);

        let (ticket, heard) = watched();
        drop(ticket);
        let said = heard.locked()[0].clone().unwrap_err();
        assert!(said.contains("stopped before AWS or the outbox"), "{said}");
    }
}
