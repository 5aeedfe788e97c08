//! One device's MQTT session with one AWS IoT data endpoint (account + region, or an endpoint
//! override): client id = thing name = device id, X.509 client certificate, persistent session
//! (AWS keeps downlinks while the bridge is away). Every integration that routes the device to
//! that endpoint shares the session — AWS allows one connection per client id, so two would
//! keep disconnecting each other — and each integration's topic is a publish on it. Publishes
//! the device's outbox in order, at most 100/s and 100 in flight; an entry leaves the outbox
//! only on PUBACK. Uplinks on the fast path (`fast.rs`) come in memory with no outbox row; what
//! of them AWS has not acknowledged when the connection ends is handed over to the outbox.
//! Receives the device's downlinks.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{FutureExt, StreamExt};
use rumqttc::{AsyncClient, Event as MqttEvent, MqttOptions, Outgoing, Packet, QoS, TlsConfiguration, Transport};
use tokio::sync::watch;

use super::fast::{self, Ticket};
use super::in_flight::ByPacketId;
use super::inbox::{Inbox, Queued};
use super::pace::{Backoff, Every, Pacer, WARN_EVERY};
use super::Inner;
use crate::domain::Integration;
use crate::events::Event;

/// AWS IoT: at most 100 unacknowledged QoS1 publishes per connection.
const MAX_IN_FLIGHT: usize = 100;
/// AWS IoT's payload limit plus room for the PUBLISH header and the longest topic AWS allows
/// (rumqttc limits whole packets, and its default, 10 KiB, is far lower). Ingest rejects larger
/// uplinks, so every queued one fits.
const MAX_PACKET: usize = crate::codec::MAX_AWS_PAYLOAD + 512;

/// A publish AWS has not acknowledged by then means the connection is broken: it is dropped
/// and made again (and the fast-path uplinks it held go to the outbox meanwhile, so their
/// source is not kept waiting).
const ACK_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a connection's loop was told to end.
enum Halt {
    /// The session's integrations changed or were turned off.
    Stop,
    /// The bridge is stopping.
    Shutdown,
}

/// A session the user stopped (integration turned off): not a failure.
pub(crate) const STOPPED: &str = "stopped";

pub fn downlink_topic(device_id: &str) -> String {
    format!("helium/devices/{device_id}/down")
}

/// Which endpoint an integration's sessions connect to; integrations with the same key share
/// each device's session.
pub(crate) fn endpoint_key(i: &Integration) -> String {
    let port = i.endpoint.port.unwrap_or(crate::aws::DEFAULT_PORT);
    match (&i.endpoint.host, &i.aws) {
        (Some(host), _) => format!("{}:{port}", host.to_ascii_lowercase()),
        // AWS gives each account one data endpoint per region.
        (None, Some(aws)) => format!("aws:{}:{}:{port}", aws.account, i.region),
        (None, None) => format!("integration:{}", i.id),
    }
}

/// A session: a device on an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SessionKey {
    pub endpoint: String,
    pub device_id: String,
}

/// Runs the session for `key`, serving `members` (integration ids, oldest first) until it is
/// stopped; the dispatcher replaces it when that set changes.
pub(crate) async fn run_session(
    inner: Arc<Inner>,
    key: SessionKey,
    members: Vec<String>,
    inbox: Arc<Inbox>,
    stop: watch::Receiver<bool>,
) {
    run(&inner, &key, &members, &inbox, stop).await;
    // Uplinks committed from now on start a new session.
    inbox.close();
    inbox.hand_over(Vec::new(), |held| fast::persist(&inner, held));
}

/// A publish handed to the client: its outbox row, or (fast path) the entry itself and its
/// ticket, to hand over if AWS never acknowledges it.
struct Sent {
    seq: i64,
    member: usize,
    at: Instant,
    fast: Option<(crate::store::OutboxEntry, Ticket)>,
}

/// What a session holds between its outbox and AWS; outlives a connection, so that what is left
/// when one ends can be handed over.
#[derive(Default)]
struct Held {
    queue: VecDeque<Queued>,
    /// Handed to the client, waiting for their packet id; then by packet id.
    awaiting_pkid: VecDeque<Sent>,
    in_flight: ByPacketId<(u64, Sent)>,
    /// Publishes so far, to put `in_flight` back in order.
    published: u64,
}

impl Held {
    /// The fast-path entries held, oldest first; the rest is dropped (the outbox has it).
    fn take_fast(&mut self) -> Vec<Queued> {
        let mut in_flight: Vec<(u64, Sent)> = self.in_flight.drain().collect();
        in_flight.sort_by_key(|(n, _)| *n);
        let sent = in_flight
            .into_iter()
            .map(|(_, s)| s)
            .chain(self.awaiting_pkid.drain(..))
            .filter_map(|s| s.fast)
            .map(|(entry, t)| Queued { entry, ticket: Some(t) });
        let queued = self.queue.drain(..).filter(|q| q.ticket.is_some());
        sent.chain(queued).collect()
    }
}

/// The session's integrations as they are now (still active, still on its endpoint), oldest
/// first: the first one's identity connects.
fn members(inner: &Inner, key: &SessionKey, ids: &[String]) -> Vec<Integration> {
    let store = inner.core.store();
    ids.iter()
        .filter_map(|id| store.get_integration(id).ok())
        .filter(|i| i.active && endpoint_key(i) == key.endpoint)
        .collect()
}

fn names(members: &[Integration]) -> String {
    members
        .iter()
        .map(|i| format!("{:?}", i.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn set_states(inner: &Inner, members: &[Integration], device_id: &str, connected: bool, detail: &str) {
    for i in members {
        inner.status.set(
            "integration",
            &format!("{}/{device_id}", i.id),
            &i.name,
            connected,
            detail,
        );
    }
}

async fn run(inner: &Arc<Inner>, key: &SessionKey, ids: &[String], inbox: &Inbox, mut stop: watch::Receiver<bool>) {
    let mut shutdown = inner.shutdown.clone();
    let mut backoff = Backoff::new(inner.opts.max_backoff);
    let device_id = key.device_id.as_str();
    let mut held = Held::default();
    loop {
        if *stop.borrow() || *shutdown.borrow() {
            return;
        }
        let members = members(inner, key, ids);
        if members.is_empty() {
            return;
        }
        let ended = connect_and_run(
            inner,
            &members,
            device_id,
            inbox,
            &mut held,
            &mut stop,
            &mut shutdown,
            &mut backoff,
        )
        .await;
        inbox.hand_over(held.take_fast(), |all| fast::persist(inner, all));
        match ended {
            Ok(()) => return,
            Err(reason) => {
                set_states(inner, &members, device_id, false, &reason);
                inner.events.emit(
                    Event::new(
                        "connection",
                        "warn",
                        format!("AWS session for {device_id} on {}: {reason}", names(&members)),
                    )
                    .integration(&members[0].id)
                    .device(device_id),
                );
            }
        }
        let delay = backoff.next_delay();
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop.changed() => return,
            _ = shutdown.changed() => return,
        }
    }
}

pub(super) fn options(
    integration: &Integration,
    device_id: &str,
    identity: &crate::aws::DeviceIdentity,
) -> Result<MqttOptions, String> {
    let host = integration
        .endpoint
        .host
        .clone()
        .or_else(|| identity.endpoint_host.clone())
        .ok_or("no AWS IoT data endpoint is known for this integration")?;
    let port = integration.endpoint.port.unwrap_or(crate::aws::DEFAULT_PORT);
    let ca = match &integration.endpoint.ca_file {
        Some(f) => std::fs::read(f).map_err(|e| format!("cannot read the CA file {f}: {e}"))?,
        None => crate::aws::AMAZON_ROOT_CAS.as_bytes().to_vec(),
    };
    let mut o = MqttOptions::new(device_id, host, port);
    o.set_clean_session(false);
    o.set_keep_alive(Duration::from_secs(60));
    o.set_max_packet_size(MAX_PACKET, MAX_PACKET);
    o.set_inflight(MAX_IN_FLIGHT as u16);
    o.set_transport(Transport::tls_with_config(TlsConfiguration::Simple {
        ca,
        // Port 443 needs ALPN x-amzn-mqtt-ca.
        alpn: (port == 443).then(|| vec![b"x-amzn-mqtt-ca".to_vec()]),
        client_auth: Some((
            identity.cert_pem.as_bytes().to_vec(),
            identity.key_pem.as_bytes().to_vec(),
        )),
    }));
    Ok(o)
}

/// Runs one connection until it fails (Err, reconnect) or the session is told to stop (Ok).
#[allow(clippy::too_many_arguments)]
async fn connect_and_run(
    inner: &Arc<Inner>,
    members: &[Integration],
    device_id: &str,
    inbox: &Inbox,
    held: &mut Held,
    stop: &mut watch::Receiver<bool>,
    shutdown: &mut watch::Receiver<bool>,
    backoff: &mut Backoff,
) -> Result<(), String> {
    // Provisioning can take a while (AWS retries); a stop or shutdown ends it at once (it
    // resumes where it was next time).
    let primary = &members[0];
    let identity = tokio::select! {
        identity = inner.provisioner.identity(primary, device_id) => identity?,
        _ = stop.changed() => return Ok(()),
        _ = shutdown.changed() => return Ok(()),
    };
    for other in &members[1..] {
        tokio::select! {
            shared = inner.provisioner.share(primary, other, device_id) => shared?,
            _ = stop.changed() => return Ok(()),
            _ = shutdown.changed() => return Ok(()),
        }
    }
    let opts = options(primary, device_id, &identity)?;
    drop(identity);
    tokio::select! {
        _ = inner.connects.turn() => {}
        _ = stop.changed() => return Ok(()),
        _ = shutdown.changed() => return Ok(()),
    }
    let (client, events) = AsyncClient::new(opts, MAX_IN_FLIGHT * 2);
    // The event loop as a stream: a turn won by another branch leaves its poll where it was.
    // (Its poll, dropped and made again at each turn, signed off from the request channel and
    // on again: about once an uplink, as most uplinks come in while it waits.) Boxed: the
    // stream moves it in and out at each event, and moving the loop itself (state, options,
    // buffers) was a tenth of the session's own work.
    let events = futures_util::stream::unfold(Box::new(events), |mut events| async move {
        let polled = events.poll().await;
        Some((polled, events))
    });
    tokio::pin!(events);
    let down = downlink_topic(device_id);
    let ids: Vec<String> = members.iter().map(|i| i.id.clone()).collect();
    // Per integration: its topic, and where its deliveries are counted. (A few at most: a scan
    // costs less than hashing the id.)
    let route_of: Vec<(&str, (&str, usize))> = members
        .iter()
        .enumerate()
        .map(|(n, i)| (i.id.as_str(), (i.topic.as_str(), n)))
        .collect();
    let delivered: Vec<_> = members.iter().map(|i| inner.status.delivered_counter(&i.id)).collect();
    let mut pacer = Pacer::new(inner.opts.publish_rate);
    let mut throttle_warning = Every::new(WARN_EVERY);
    let Held {
        queue,
        awaiting_pkid,
        in_flight,
        published,
    } = held;
    let mut acks_due = tokio::time::interval(Duration::from_secs(1));
    let mut last_seq = 0i64;
    let mut connected = false;
    let mut draining = false;
    // The outbox may hold entries not yet fetched (set on notify and connect).
    let mut maybe_more = true;
    // Made once for the connection, not at each turn of the loop (about three an uplink): a
    // new wait signs up with its notifier and leaves again whenever another branch wins, and
    // the shutdown's notifier is shared by every session.
    let (stop_seen, shutdown_seen) = (stop.clone(), shutdown.clone());
    let halted = polled_when(
        async {
            tokio::select! {
                _ = stop.changed() => Halt::Stop,
                _ = shutdown.changed() => Halt::Shutdown,
            }
        },
        // (A closed channel counts as a change, as `changed` says.)
        move || stop_seen.has_changed().unwrap_or(true) || shutdown_seen.has_changed().unwrap_or(true),
    );
    tokio::pin!(halted);
    let woken = inbox.notified();
    tokio::pin!(woken);

    loop {
        // Hand the client as much as the limits allow.
        while connected && !draining && awaiting_pkid.len() + in_flight.len() < MAX_IN_FLIGHT && pacer.ready() {
            if queue.is_empty() {
                if !maybe_more {
                    // Caught up with the outbox: new entries arrive in memory.
                    let (entries, missed) = inbox.take();
                    maybe_more = missed;
                    queue.extend(
                        entries
                            .into_iter()
                            .filter(|q| q.ticket.is_some() || q.entry.seq > last_seq),
                    );
                }
                if queue.is_empty() && maybe_more {
                    let want = MAX_IN_FLIGHT - awaiting_pkid.len() - in_flight.len();
                    let rows = inner.core.store().outbox_pending(&ids, device_id, last_seq, want);
                    let rows = rows.map_err(|e| format!("cannot read the outbox: {e}"))?;
                    maybe_more = rows.len() == want;
                    if !maybe_more {
                        // From now on uplinks may come on the fast path.
                        inbox.caught_up();
                    }
                    queue.extend(rows.into_iter().map(|entry| Queued { entry, ticket: None }));
                }
                if queue.is_empty() {
                    break;
                }
            }
            let Some(Queued { entry, ticket }) = queue.pop_front() else {
                break;
            };
            let Some(&(_, (topic, member))) = route_of.iter().find(|(id, _)| *id == entry.integration_id) else {
                // (A fast-path one's ticket goes unsettled: its source offers it again.)
                continue;
            };
            if crate::codec::check_uplink(0, entry.payload.len()).is_err() {
                // Queued before ingest checked the limit: AWS would refuse it forever and the
                // device's later uplinks would wait behind it.
                drop_oversize(inner, members, &entry, ticket);
                continue;
            }
            // A shadow update goes to the thing's own shadow (the thing is named by the device id).
            let shadow_topic;
            let topic = if entry.uuid.ends_with(crate::codec::shadow::SHADOW_SUFFIX) {
                shadow_topic = crate::codec::shadow::update_topic(device_id);
                shadow_topic.as_str()
            } else {
                topic
            };
            let seq = entry.seq;
            // The entry's own bytes, not a copy.
            let payload = bytes::Bytes::from_owner(Body(entry.payload.clone()));
            // A fast-path entry is kept to hand over should AWS not acknowledge it.
            let fast = ticket.map(|t| (entry, t));
            // Taken at once or not at all: this task also drives the event loop that empties the
            // client's queue, so waiting for room would never end. (Its room, twice the
            // publishes in flight, is always enough.)
            match client
                .publish_bytes(topic, QoS::AtLeastOnce, false, payload)
                .now_or_never()
            {
                Some(Ok(())) => {}
                Some(Err(e)) => return Err(format!("cannot queue a publish: {e}")),
                None => return Err("cannot queue a publish: the client's queue is full".into()),
            }
            if fast.is_none() {
                last_seq = seq;
            }
            awaiting_pkid.push_back(Sent {
                seq,
                member,
                at: Instant::now(),
                fast,
            });
            pacer.consume();
        }
        let paced = connected && !draining && !pacer.ready();
        // (Entries wait when some are fetched, or the last outbox read came back full.)
        if paced && (!queue.is_empty() || maybe_more) && throttle_warning.due() {
            inner.events.emit(
                Event::new(
                    "throttled",
                    "warn",
                    format!(
                        "{device_id} sends more than AWS IoT's {} publishes a second per connection: \
                         its uplinks wait their turn, in order (none is lost)",
                        inner.opts.publish_rate
                    ),
                )
                .integration(&primary.id)
                .device(device_id),
            );
        }
        let finished_draining = draining && awaiting_pkid.is_empty() && in_flight.is_empty();
        if finished_draining {
            let _ = client.try_disconnect();
            return Ok(());
        }

        // The connection's events first: while one is ready the others are not polled (a timer,
        // the inbox's wake) at each of them. Events run out often (a turn per packet), so the
        // others wait little; the inbox is read at the top of the loop all the same.
        tokio::select! {
            biased;
            Some(ev) = events.next() => match ev {
                Ok(MqttEvent::Incoming(Packet::ConnAck(_))) => {
                    connected = true;
                    // From now on new entries come in memory; the outbox is read first.
                    inbox.opened();
                    maybe_more = true;
                    backoff.reset();
                    client.try_subscribe(&down, QoS::AtLeastOnce).map_err(|e| e.to_string())?;
                    set_states(inner, members, device_id, true, "connected");
                    inner.events.emit(
                        Event::new("connection", "info", format!("AWS session for {device_id} on {} connected", names(members)))
                            .integration(&primary.id)
                            .device(device_id),
                    );
                }
                Ok(MqttEvent::Outgoing(Outgoing::Publish(pkid))) => {
                    if let Some(sent) = awaiting_pkid.pop_front() {
                        *published += 1;
                        in_flight.insert(pkid, (*published, sent));
                    }
                }
                Ok(MqttEvent::Incoming(Packet::PubAck(ack))) => {
                    if let Some((_, sent)) = in_flight.remove(ack.pkid) {
                        match sent.fast {
                            Some((_, ticket)) => ticket.settle(),
                            None => {
                                inner.core.writer().ack(sent.seq);
                                inner.outbox_len.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
                            }
                        }
                        delivered[sent.member].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
                Ok(MqttEvent::Incoming(Packet::Publish(p))) if p.topic == down => {
                    // Refusals are reported as events; AWS gets its PUBACK either way.
                    let _ = inner.handle_downlink(Some(&primary.id), device_id, &p.payload);
                }
                Ok(_) => {}
                Err(e) => return Err(format!("disconnected: {e}")),
            },
            _ = woken.as_mut(), if connected => woken.set(inbox.notified()),
            // (Only while publishes are out: an idle fleet of thousands of sessions stays idle.)
            _ = acks_due.tick(), if !in_flight.is_empty() || !awaiting_pkid.is_empty() => {
                let oldest = in_flight.values().map(|(_, s)| s.at).chain(awaiting_pkid.iter().map(|s| s.at)).min();
                if oldest.is_some_and(|at| at.elapsed() >= ACK_TIMEOUT) {
                    return Err(format!("AWS did not acknowledge a publish within {} s", ACK_TIMEOUT.as_secs()));
                }
            }
            // (Made only when it is polled: a disabled branch's future is still made.)
            _ = async { tokio::time::sleep_until(pacer.next_slot()).await }, if paced => {}
            // (Done once: draining is the only way on.)
            halt = halted.as_mut(), if !draining => match halt {
                Halt::Stop => {
                    // Integration disabled: stop at once; what is in flight stays in the outbox.
                    let _ = client.try_disconnect();
                    set_states(inner, members, device_id, false, STOPPED);
                    return Ok(());
                }
                Halt::Shutdown => {
                    // Bridge stopping: wait (bounded by Bridge::shutdown) for in-flight PUBACKs.
                    draining = true;
                    if !connected {
                        return Ok(());
                    }
                }
            },
        }
    }
}

/// An entry's payload as the bytes of a publish.
struct Body(Arc<str>);

impl AsRef<[u8]> for Body {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// `wait`, polled on the first poll and then only when `may_be_done` says it may be done.
/// `select!` polls every branch at each turn of the loop (about three an uplink), and each poll
/// of a watch's wait takes its notifier's lock, shared by all sessions for the shutdown; the
/// waker it registered on the first poll stays the task's, so it still wakes the loop.
fn polled_when<F: std::future::Future>(
    wait: F,
    may_be_done: impl Fn() -> bool,
) -> impl std::future::Future<Output = F::Output> {
    let mut wait = Box::pin(wait);
    let mut first = true;
    std::future::poll_fn(move |cx| {
        if std::mem::take(&mut first) || may_be_done() {
            wait.as_mut().poll(cx)
        } else {
            std::task::Poll::Pending
        }
    })
}

/// Takes an entry AWS can never accept out of the outbox, with an error event saying so.
fn drop_oversize(inner: &Inner, members: &[Integration], entry: &crate::store::OutboxEntry, ticket: Option<Ticket>) {
    match ticket {
        Some(t) => t.settle(),
        None => {
            inner.core.writer().ack(entry.seq);
            inner.outbox_len.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let limit = crate::codec::LimitError::AwsPayload {
        size: entry.payload.len(),
    };
    let (size, max) = limit.figures();
    inner.events.emit(
        Event::new(
            "uplink_rejected",
            "error",
            format!(
                "uplink {} for {} dropped: {limit}",
                entry.uuid,
                names(members_of(members, entry))
            ),
        )
        .integration(&entry.integration_id)
        .device(&entry.device_id)
        .detail(serde_json::json!({ "uuid": entry.uuid, "size": size, "limit": max })),
    );
}

fn members_of<'a>(members: &'a [Integration], entry: &crate::store::OutboxEntry) -> &'a [Integration] {
    let i = members.iter().position(|m| m.id == entry.integration_id).unwrap_or(0);
    &members[i..=i]
}
