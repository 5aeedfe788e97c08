//! One incoming uplink: parse, register the device, route, and commit to the outbox — before
//! the source is acknowledged. Parsing and routing run on the source's task with its own read
//! connection; the commit is the store writer's (group commit), and the source hears the
//! outcome once the uplink is durable.

use crate::sync::LockExt;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::json;

use super::fast::{self, Ticket};
use super::heard::{self, Again, Outcome};
use super::inbox::Queued;
use super::parse::{context, from_chirpstack, from_legacy, remember, Facts};
use super::recorded::{Copy, Recorded};
use super::routing::{DeviceDecoder, RoutingCache};
use super::Inner;
use crate::codec::{self, HeliumUplink};
use crate::domain::DeviceSeen;
use crate::events::Event;
use crate::now_ms;
use crate::store::{Committed, OutboxEntry, Store, StoreError, UplinkRows, WriteError};

/// A message as a source received it, and the MQTT topic it came on (none: a webhook's).
#[derive(Debug, Clone, Copy)]
pub enum Incoming<'a> {
    /// A ChirpStack v4 event; `event` is the topic's or query's event type (`up`, `join`, …).
    Chirpstack {
        event: &'a str,
        raw: &'a Bytes,
        topic: Option<&'a str>,
    },
    /// A legacy Helium JSON uplink.
    Legacy { raw: &'a Bytes, topic: Option<&'a str> },
}

impl Incoming<'_> {
    fn topic(&self) -> Option<&str> {
        match *self {
            Incoming::Chirpstack { topic, .. } | Incoming::Legacy { topic, .. } => topic,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    /// Durably stored (and queued for `routes` integrations): acknowledge the source.
    Stored { device_id: String, routes: usize },
    /// An event type the bridge does not forward (`status`, `log`, …): acknowledge it.
    Ignored,
    /// The message is bad; an error event says why. Acknowledge it: resending won't help.
    Rejected(String),
    /// Not stored (outbox full, database error): do NOT acknowledge, so the source keeps it.
    Refused(String),
    /// Heard already (the same uuid, from this source or another): acknowledge it; it goes to
    /// AWS once.
    Again,
}

/// A source's way into the bridge. One per source task: it owns a read connection, so routing
/// an uplink never waits on another part's lock.
pub(crate) struct IngestHandle {
    inner: Arc<Inner>,
    source_id: String,
    /// The same, as what the bridge heard of each device remembers it.
    source: Arc<str>,
    /// The source's name, for messages about what it sent.
    source_name: String,
    reader: Store,
    routing: RoutingCache,
    /// Per device, what this handle last had written of it (its names and source): an uplink
    /// that changes it goes through the outbox, so the device's row is written before AWS has
    /// the uplink (downlinks are addressed by it). The others' sightings are this one, its time
    /// moved on (a sighting made afresh was seven strings an uplink).
    written: foldhash::HashMap<String, DeviceSeen>,
    /// Device ids by DevEUI as ChirpStack writes it: each is a name-based UUID (a SHA-1 hash),
    /// derived once, not at every uplink.
    ids: foldhash::HashMap<String, String>,
}

/// Who sent an uplink, as a device's row keeps it besides the uplink's own names.
struct Sender<'a> {
    source: &'a str,
    /// The ChirpStack application.
    application_id: Option<&'a str>,
}

impl Sender<'_> {
    /// The device's sighting with this uplink.
    fn sighting(&self, up: &HeliumUplink) -> DeviceSeen {
        DeviceSeen {
            id: up.id.clone(),
            name: up.name.clone(),
            dev_eui: up.dev_eui.clone(),
            app_eui: up.app_eui.clone(),
            devaddr: (!up.devaddr.is_empty()).then(|| up.devaddr.clone()),
            source: self.source.to_string(),
            application_id: self.application_id.map(str::to_string),
            seen_at_ms: now_ms(),
        }
    }

    /// `last`, the device's sighting (found by its id), says of it what this uplink says (its
    /// time aside).
    fn same(&self, last: &DeviceSeen, up: &HeliumUplink) -> bool {
        last.name == up.name
            && last.dev_eui == up.dev_eui
            && last.app_eui == up.app_eui
            && last.devaddr.as_deref().unwrap_or_default() == up.devaddr
            && last.source == self.source
            && last.application_id.as_deref() == self.application_id
    }
}

impl IngestHandle {
    pub(super) fn new(inner: Arc<Inner>, source_id: &str, source_name: &str) -> Result<IngestHandle, StoreError> {
        let reader = inner.core.reader()?;
        Ok(IngestHandle {
            routing: RoutingCache::new(inner.core.clone()),
            inner,
            source_id: source_id.to_string(),
            source: source_id.into(),
            source_name: source_name.to_string(),
            reader,
            written: Default::default(),
            ids: Default::default(),
        })
    }

    /// Takes one message; `done` gets the outcome — at once for a message that is not stored,
    /// after the commit for one that is (on the store writer's thread: keep `done` short).
    pub fn ingest(&mut self, incoming: Incoming<'_>, done: impl FnOnce(IngestOutcome) + Send + 'static) {
        let done: Outcome = Box::new(done);
        let inner = &*self.inner;
        let source_id = self.source_id.as_str();
        let parsed = match incoming {
            Incoming::Chirpstack { event, raw, .. } if event == "up" || event == "join" => {
                from_chirpstack(&self.reader, &mut self.routing, &mut self.ids, event, raw)
            }
            Incoming::Chirpstack { .. } => return done(IngestOutcome::Ignored),
            Incoming::Legacy { raw, .. } => from_legacy(inner, &mut self.reader, &mut self.routing, raw),
        };
        let raw = match incoming {
            Incoming::Chirpstack { raw, .. } | Incoming::Legacy { raw, .. } => raw,
        };
        match parsed {
            Ok((up, facts, application_id)) => {
                let join = up.kind == codec::UplinkType::Join;
                let key = (up.uuid.as_str(), up.fcnt, join);
                let done = match inner.heard.heard(&up.id, key, &self.source, done) {
                    Ok((missing, done)) => {
                        heard::warn_of_gap(inner, source_id, &up, missing);
                        // Its outcome settles its copies too, whichever way it ends.
                        let (heard_inner, id, uuid, fcnt) =
                            (self.inner.clone(), up.id.clone(), up.uuid.clone(), up.fcnt);
                        move |outcome: IngestOutcome| {
                            heard_inner.heard.settle(&id, &uuid, fcnt, &outcome);
                            done(outcome)
                        }
                    }
                    Err(Again { first_source, done }) => {
                        let first_name = || {
                            self.reader
                                .find_source(&first_source)
                                .map_or_else(|_| first_source.to_string(), |s| s.name)
                        };
                        heard::say_again(inner, (source_id, &self.source_name), &up, &first_source, first_name);
                        // Taken already: acknowledged now; in flight: when the first copy settles.
                        if let Some(done) = done {
                            done(IngestOutcome::Again);
                        }
                        return;
                    }
                };
                self.take(None, application_id.as_deref(), up, facts, raw, done)
            }
            Err(e) => {
                let reason = e.to_string();
                // The topic says where it came from (a ChirpStack topic names the device).
                let topic = incoming.topic();
                let message = match topic {
                    Some(t) => format!(
                        "could not read a message from source {:?} on {t}: {reason}",
                        self.source_name
                    ),
                    None => format!("could not read a message from source {:?}: {reason}", self.source_name),
                };
                let mut event = Event::new("parse_error", "error", message)
                    .source(source_id)
                    .detail(json!({ "reason": reason, "excerpt": codec::excerpt(raw), "topic": topic }));
                if let Some(eui) = topic.and_then(codec::chirpstack::topic_dev_eui) {
                    let device = codec::device_id_for_dev_eui(eui);
                    count_error(inner, &device);
                    event = event.device(&device);
                }
                inner.events.emit(event);
                done(IngestOutcome::Rejected(reason))
            }
        }
    }

    /// A test uplink for `device` the user asked for (see [`codec::simulated`]): decoded, routed,
    /// stored and recorded like a real one, but its frame counter is not followed and the
    /// device keeps its source.
    pub fn simulate(
        &mut self,
        device: &crate::domain::Device,
        port: u8,
        payload: &[u8],
        done: impl FnOnce(IngestOutcome) + Send + 'static,
    ) {
        let facts = self.routing.get(&self.reader, &device.id);
        let up = codec::helium::simulated(device, port, payload, &context(&facts, None));
        let raw = json!({ "simulated": true, "port": port, "payload": up.payload }).to_string();
        self.take(Some(&device.source), None, up, facts, &raw.into(), done)
    }

    /// Decodes, routes, checks and commits one uplink the source sent (or the user simulated);
    /// `facts` are the device's routing facts its translation read. The device's row says it
    /// came from `source` (this handle's source if none) and ChirpStack's `application_id`.
    #[allow(clippy::too_many_arguments)]
    fn take(
        &mut self,
        source: Option<&str>,
        application_id: Option<&str>,
        mut up: HeliumUplink,
        facts: Facts,
        raw: &Bytes,
        done: impl FnOnce(IngestOutcome) + Send + 'static,
    ) {
        let inner = &*self.inner;
        let source_id = self.source_id.as_str();
        // The device's routing as its translation read it: its decoder now, its routes once the
        // uplink is checked.
        let mut bridge_decoded = false;
        if up.kind == codec::UplinkType::Uplink {
            inner.recent.note(
                &up.id,
                super::RecentPayload {
                    port: up.port,
                    payload: up.payload.clone(),
                    fcnt: up.fcnt,
                    reported_at: up.reported_at,
                },
            );
            // The device's decoder, if its labels attach one, replaces a ChirpStack
            // `object`; with none, `decoded` stays as the source gave it.
            if let Some(decoder) = facts.as_ref().ok().and_then(|f| f.decoder.as_ref()) {
                up.decoded = Some(match decoder {
                    DeviceDecoder::Ready(c) => c.decode(&up),
                    DeviceDecoder::Broken(error) => codec::Decoded::Error { error: error.clone() },
                });
                bridge_decoded = true;
            }
        }
        let payload = codec::helium::to_json(&up);
        match codec::check_uplink(up.payload_size, payload.len()) {
            Ok(()) => {
                if let Some(app_eui) = &up.app_eui {
                    self.routing.note_app_eui(&up.id, app_eui);
                }
                let facts = match facts {
                    Ok(facts) => facts,
                    Err(e) => {
                        return done(refuse(
                            inner,
                            source_id,
                            &up.id,
                            format!("could not store the uplink: {e}"),
                        ));
                    }
                };
                let routes = &facts.routes;
                let entries = super::payloads::entries(inner, source_id, &up, payload, bridge_decoded, routes);
                let copies = Recorded::copies(&up.id, routes, entries);
                let record = Recorded::new(&up, source_id, raw);
                let sender = Sender {
                    source: source.unwrap_or(&self.source_id),
                    application_id,
                };
                let simulated;
                let (seen, fast) = if up.metadata.simulated {
                    // A test uplink changes nothing the bridge knows of its device: its row (last
                    // seen, uplinks) stays what the radio delivered; through the outbox, rare.
                    simulated = sender.sighting(&up);
                    (&simulated, false)
                } else {
                    // The fast path only for a device whose row is written as this uplink has it.
                    let fast = match self.written.get_mut(&up.id) {
                        Some(last) if sender.same(last, &up) => {
                            last.seen_at_ms = now_ms();
                            true
                        }
                        _ => {
                            remember(&mut self.written, up.id.clone(), sender.sighting(&up));
                            false
                        }
                    };
                    (&self.written[&up.id], fast)
                };
                commit(&self.inner, source_id, seen, &up, copies, record, fast, done)
            }
            Err(e) => done(reject_oversize(inner, source_id, &up, e)),
        }
    }
}

/// A message of a device's that could not be taken counts on its device (a device the bridge
/// does not know has no row: nothing counts). Rare: bad input, not the uplinks' way.
fn count_error(inner: &Inner, device_id: &str) {
    let _ = inner
        .core
        .store()
        .bump_device_counter(device_id, crate::store::DeviceCounter::Errors);
}

/// An uplink over a limit is bad input: never queued, so it can't block its device's later
/// uplinks. Acknowledged (resending won't help), with an event naming device, size and limit.
fn reject_oversize(inner: &Inner, source_id: &str, up: &HeliumUplink, e: codec::LimitError) -> IngestOutcome {
    count_error(inner, &up.id);
    let (size, limit) = e.figures();
    let reason = format!("uplink from {} (fcnt {}) rejected: {e}", up.name, up.fcnt);
    inner.events.emit(
        Event::new("uplink_rejected", "error", reason.clone())
            .source(source_id)
            .device(&up.id)
            .detail(json!({ "uuid": up.uuid, "fcnt": up.fcnt, "size": size, "limit": limit })),
    );
    IngestOutcome::Rejected(reason)
}

/// Refuses an uplink the bridge could not take (the source keeps it), with an event.
fn refuse(inner: &Inner, source_id: &str, device_id: &str, msg: String) -> IngestOutcome {
    inner.events.emit(
        Event::new("outbox_warning", "error", msg.clone())
            .source(source_id)
            .device(device_id),
    );
    IngestOutcome::Refused(msg)
}

/// Hands each copy whose session is connected and caught up to it (the fast path, see
/// `fast.rs`); returns the others, for the outbox.
fn offer_fast(
    inner: &Inner,
    device_id: &str,
    record: &Recorded,
    ticket: &Ticket,
    copies: Vec<Copy>,
    fcnt: u32,
) -> Vec<Copy> {
    let mut rest = Vec::new();
    for copy in copies {
        let Some(inbox) = inner.inboxes.get(&copy.row.integration_id, device_id) else {
            rest.push(copy);
            continue;
        };
        let queued = Queued {
            entry: OutboxEntry {
                seq: 0,
                integration_id: copy.row.integration_id.clone(),
                device_id: device_id.to_string(),
                uuid: copy.row.uuid.clone(),
                payload: copy.row.payload.clone(),
            },
            ticket: Some(ticket.share()),
        };
        if let Err(refused) = inbox.offer(queued, || record.copy(inner, &copy, fcnt)) {
            // Not taken: this share of the ticket is not needed (the outbox part has its own).
            if let Some(t) = refused.ticket {
                t.settle();
            }
            rest.push(copy);
        }
    }
    rest
}

#[allow(clippy::too_many_arguments)]
fn commit(
    inner: &Arc<Inner>,
    source_id: &str,
    seen: &DeviceSeen,
    up: &HeliumUplink,
    copies: Vec<Copy>,
    record: Recorded,
    fast: bool,
    done: impl FnOnce(IngestOutcome) + Send + 'static,
) {
    let is_join = up.kind == codec::UplinkType::Join;
    let integrations = copies.iter().filter(|c| c.row.uuid == up.uuid).count();
    let device_id = seen.id.clone();
    let name = seen.name.clone();
    let what = if is_join { "join" } else { "uplink" };
    // Said in its text (its kind stays `uplink`): a test uplink the user made is told apart.
    let said = if up.metadata.simulated {
        "simulated uplink"
    } else {
        what
    };
    let fcnt = up.fcnt;
    // The source hears once every copy is with AWS or in the outbox.
    let ticket = {
        let (inner, source_id, device_id) = (inner.clone(), source_id.to_string(), device_id.clone());
        Ticket::new(move |r| match r {
            Ok(()) => done(IngestOutcome::Stored {
                device_id,
                routes: integrations,
            }),
            Err(e) => done(refuse(&inner, &source_id, &device_id, e)),
        })
    };
    let copies = if !fast || copies.is_empty() || !inner.to_outbox.none(&device_id) {
        copies
    } else {
        offer_fast(inner, &device_id, &record, &ticket, copies, fcnt)
    };
    // The news is written here, on the source's task; the writer's thread only hands it out.
    let news = || {
        let message = if integrations == 0 {
            format!(
                "{said} from {name} (fcnt {fcnt}) not forwarded: no active integration shares a label with this device"
            )
        } else {
            format!("{said} from {name} (fcnt {fcnt}) queued for {integrations} integration(s)")
        };
        Event::new(what, "info", message)
            .source(source_id)
            .device(&device_id)
            .detail(json!({ "uuid": up.uuid, "fcnt": fcnt, "port": up.port, "routes": integrations }))
    };
    if copies.is_empty() && integrations > 0 {
        // Every copy went on the fast path: only the sighting is written. Forwarded as it
        // should be: the device's counters keep it, no event row; the news only for whoever
        // watches events live (made for nobody, it cost about a microsecond an uplink).
        // (Never a simulated one: it goes through the outbox.)
        inner.core.writer().seen(seen);
        if inner.events.watched() {
            inner.events.emit_live(news());
        }
        return ticket.settle();
    }
    let mut event = news();
    // The entries are counted when routed, not when committed, so uplinks still on their way
    // to the writer count against the limit too.
    let reserved = copies.len() as i64;
    let waiting = inner.outbox_len.fetch_add(reserved, Ordering::Relaxed);
    if waiting >= inner.opts.outbox_max_entries {
        inner.outbox_len.fetch_sub(reserved, Ordering::Relaxed);
        return ticket.fail(format!(
            "the outbox is full ({waiting} uplinks waiting for AWS); new uplinks stay with their source until it drains"
        ));
    }
    let to_outbox = !copies.is_empty();
    if to_outbox {
        inner.to_outbox.add(&device_id);
    }
    let rows = UplinkRows {
        seen: seen.clone(),
        entries: copies.iter().map(|c| c.row.clone()).collect(),
        counts: !up.metadata.simulated,
    };
    let (inner, source_id) = (inner.clone(), source_id.to_string());
    let part = ticket.share();
    ticket.settle();
    inner.clone().core.writer().uplink(
        rows,
        Box::new(move |r: Result<Committed, WriteError>| {
            let committed = match r {
                Ok(c) => c,
                Err(e) => {
                    inner.outbox_len.fetch_sub(reserved, Ordering::Relaxed);
                    if to_outbox {
                        inner.to_outbox.done(&device_id);
                    }
                    return part.fail(e.to_string());
                }
            };
            let added = committed.seqs.iter().flatten().count();
            inner.outbox_len.fetch_sub(reserved - added as i64, Ordering::Relaxed);
            let (note, log) = if added < copies.len() {
                // A source redelivered an uplink the bridge already had (same uuid): sent once.
                event.message =
                    format!("{what} from {name} (fcnt {fcnt}) received again; already queued, not sent twice");
                (Some(event.message.clone()), true)
            } else if integrations == 0 {
                (Some(event.message.clone()), true)
            } else {
                // Forwarded as it should be: the device's counters keep it, no event row.
                (None, false)
            };
            match note {
                Some(note) => record.note(&inner, note),
                None => {
                    for (copy, seq) in copies.iter().zip(&committed.seqs) {
                        if seq.is_some() {
                            record.copy(&inner, copy, fcnt);
                        }
                    }
                }
            }
            for (copy, seq) in copies.into_iter().zip(&committed.seqs) {
                let Some(seq) = *seq else { continue };
                fast::deliver(
                    &inner,
                    OutboxEntry {
                        seq,
                        integration_id: copy.row.integration_id,
                        device_id: device_id.clone(),
                        uuid: copy.row.uuid,
                        payload: copy.row.payload.clone(),
                    },
                );
            }
            if to_outbox {
                inner.to_outbox.done(&device_id);
            }
            part.settle();
            warn_if_filling(&inner, &source_id, waiting, committed.oldest_age_ms);
            if log {
                inner.events.emit(event);
            } else {
                inner.events.emit_live(event);
            }
        }),
    );
}

/// Warns (at most once a minute) before the outbox is full, or when uplinks wait too long.
fn warn_if_filling(inner: &Inner, source_id: &str, waiting: i64, oldest_ms: i64) {
    let max = inner.opts.outbox_max_entries;
    let age = std::time::Duration::from_millis(oldest_ms.max(0) as u64);
    let filling = waiting * 10 >= max * 8;
    let old = waiting > 0 && age >= inner.opts.outbox_warn_age;
    if !filling && !old {
        return;
    }
    if !inner.outbox_warning.locked().due() {
        return;
    }
    let message = format!(
        "{waiting} uplinks are waiting for AWS (limit {max}; the oldest has waited {} s); at the limit new \
         uplinks stay with their source until AWS takes the backlog",
        age.as_secs()
    );
    inner.events.emit(
        Event::new("outbox_warning", "warn", message)
            .source(source_id)
            .detail(json!({ "waiting": waiting, "limit": max, "oldest_age_ms": oldest_ms })),
    );
}
