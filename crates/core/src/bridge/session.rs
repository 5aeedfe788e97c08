//! One device's MQTT session with one AWS IoT data endpoint (account + region, or an endpoint
//! override): client id = thing name = device id, X.509 client certificate, persistent session
//! (AWS keeps downlinks while the bridge is away). Every integration that routes the device to
//! that endpoint shares the session — AWS allows one connection per client id, so two would
//! keep disconnecting each other — and each integration's topic is a publish on it. Publishes
//! the device's outbox in order, at most 100/s and 100 in flight; an entry leaves the outbox
//! only on PUBACK. Uplinks on the fast path (`fast.rs`) come in memory with no outbox row, most
//! of them handed to the connection's client by ingest itself (`outgoing.rs`); what of them AWS
//! has not acknowledged when the connection ends is handed over to the outbox. Receives the
//! device's downlinks.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use rumqttc::{AsyncClient, Event as MqttEvent, MqttOptions, Outgoing, Packet, QoS, TlsConfiguration, Transport};
use tokio::sync::watch;
use tokio::time::Instant;

use super::fast;
use super::inbox::{Inbox, Queued};
use super::outgoing::{Link, MAX_IN_FLIGHT};
use super::pace::{Backoff, Every, WARN_EVERY};
use super::Inner;
use crate::domain::Integration;
use crate::events::Event;
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
    inbox.hand_over(|held| fast::persist(&inner, held));
}

/// The session's integrations as they are now (still active, still on its endpoint), oldest
/// first: the first one's identity connects.
/// The integrations the session serves now, and how messages name its device (read once per
/// connection, with the integrations: never per uplink).
fn members(inner: &Inner, key: &SessionKey, ids: &[String]) -> (Vec<Integration>, String) {
    let store = inner.core.store();
    let members = ids
        .iter()
        .filter_map(|id| store.get_integration(id).ok())
        .filter(|i| i.active && endpoint_key(i) == key.endpoint)
        .collect();
    (members, store.device_called(&key.device_id))
}

fn names(members: &[Integration]) -> String {
    members
        .iter()
        .map(|i| format!("{:?}", i.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a connection to AWS ended: lost after it was up, or never got in (said so: "disconnected"
/// read as a lost link), with what to do when the integration's settings explain it.
pub(super) fn connection_lost(was_up: bool, integration: &Integration, error: &str) -> String {
    match was_up {
        true => format!("disconnected: {error}"),
        false => format!("could not connect: {error}{}", hint(integration, error)),
    }
}

/// What to do about a connection error the integration's settings explain: a certificate no
/// trusted CA signed, on an endpoint of the user's own.
fn hint(integration: &Integration, error: &str) -> &'static str {
    if !error.contains("UnknownIssuer") {
        return "";
    }
    match (&integration.endpoint.host, &integration.endpoint.ca_file) {
        (Some(_), None) => {
            " (the endpoint's certificate is not signed by the Amazon root CAs the bridge trusts: give the CA \
             that signed it, as the integration's CA file)"
        }
        (_, Some(_)) => " (the endpoint's certificate is not signed by the integration's CA file)",
        (None, None) => "",
    }
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
    loop {
        if *stop.borrow() || *shutdown.borrow() {
            return;
        }
        let (members, called) = members(inner, key, ids);
        if members.is_empty() {
            return;
        }
        let ended = connect_and_run(
            inner,
            &members,
            device_id,
            &called,
            inbox,
            &mut stop,
            &mut shutdown,
            &mut backoff,
        )
        .await;
        inbox.hand_over(|all| fast::persist(inner, all));
        match ended {
            Ok(()) => return,
            Err(reason) => {
                set_states(inner, &members, device_id, false, &reason);
                inner.events.emit(
                    Event::new(
                        "connection",
                        "warn",
                        format!("AWS session for {called} on {}: {reason}", names(&members)),
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
    called: &str,
    inbox: &Inbox,
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
    // Per integration (by its place among the session's): where its deliveries are counted.
    let delivered: Vec<_> = members.iter().map(|i| inner.status.delivered_counter(&i.id)).collect();
    let mut throttle_warning = Every::new(WARN_EVERY);
    let mut acks_due = tokio::time::interval(Duration::from_secs(1));
    // Outbox rows read back and not published yet (AWS's limits).
    let mut backlog: VecDeque<crate::store::OutboxEntry> = VecDeque::new();
    let mut connected = false;
    let mut draining = false;
    // The outbox may hold entries not yet read (set on connect and when the inbox missed some).
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

    // What the last turn found, kept while no new turn is due.
    let mut paced_until = None;
    let mut outstanding = 0;
    // A turn is due after anything that may let a publish out. The client numbering a publish
    // it took (an event an uplink) changes nothing a turn reads: no turn follows that.
    let mut turn_due = true;
    loop {
        if connected && !draining && std::mem::replace(&mut turn_due, true) {
            // Hand the client as much as the limits allow: the outbox first, then the inbox.
            let turn = loop {
                let now = Instant::now();
                let mut turn = inbox.publish_waiting(&mut backlog, maybe_more, now);
                let (failed, missed, oversize) = (turn.failed.take(), turn.missed, std::mem::take(&mut turn.oversize));
                for q in oversize {
                    drop_oversize(inner, members, q);
                }
                if let Some(e) = failed {
                    return Err(e);
                }
                maybe_more |= missed;
                if !maybe_more || !backlog.is_empty() || turn.room == 0 {
                    break turn;
                }
                let rows = inner
                    .core
                    .store()
                    .outbox_pending(&ids, device_id, turn.last_seq, turn.room);
                let rows = rows.map_err(|e| format!("cannot read the outbox: {e}"))?;
                // (From the next turn on, once these are out, uplinks may skip the outbox.)
                maybe_more = rows.len() == turn.room;
                backlog.extend(rows);
            };
            paced_until = turn.paced_until;
            // (Entries wait when some are held, or the last outbox read came back full.)
            if paced_until.is_some() && (turn.waiting || maybe_more) && throttle_warning.due() {
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
            outstanding = turn.outstanding;
        } else if draining {
            paced_until = None;
            outstanding = inbox.outstanding();
            if outstanding == 0 {
                let _ = client.try_disconnect();
                return Ok(());
            }
        }

        // The connection's events first: while one is ready the others are not polled (a timer,
        // the inbox's wake) at each of them. Events run out often (a turn per packet), so the
        // others wait little; the inbox is read at the top of the loop all the same.
        tokio::select! {
            biased;
            Some(ev) = events.next() => match ev {
                Ok(MqttEvent::Incoming(Packet::ConnAck(_))) => {
                    connected = true;
                    // From now on new entries come in memory, and fast-path ones go straight
                    // to the client; the outbox is read first.
                    inbox.opened(Link {
                        client: client.clone(),
                        routes: members.iter().map(|i| (i.id.clone(), i.topic.clone())).collect(),
                        shadow_topic: crate::codec::shadow::update_topic(device_id),
                    });
                    maybe_more = true;
                    backoff.reset();
                    client.try_subscribe(&down, QoS::AtLeastOnce).map_err(|e| e.to_string())?;
                    set_states(inner, members, device_id, true, "connected");
                    inner.events.emit(
                        Event::new(
                            "connection",
                            "info",
                            format!("AWS session for {called} on {} connected", names(members)),
                        )
                            .integration(&primary.id)
                            .device(device_id),
                    );
                }
                Ok(MqttEvent::Outgoing(Outgoing::Publish(pkid))) => {
                    inbox.sent(pkid);
                    turn_due = false;
                }
                Ok(MqttEvent::Incoming(Packet::PubAck(ack))) => {
                    if let Some(sent) = inbox.acked(ack.pkid) {
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
                Err(e) => return Err(connection_lost(connected, &members[0], &e.to_string())),
            },
            _ = woken.as_mut(), if connected => woken.set(inbox.notified()),
            // (Only while publishes are out: an idle fleet of thousands of sessions stays idle.)
            _ = acks_due.tick(), if outstanding > 0 => {
                if inbox.oldest().is_some_and(|at| at.elapsed() >= ACK_TIMEOUT) {
                    return Err(format!("AWS did not acknowledge a publish within {} s", ACK_TIMEOUT.as_secs()));
                }
            }
            // (Made only when it is polled: a disabled branch's future is still made.)
            _ = async { tokio::time::sleep_until(paced_until.unwrap_or_else(Instant::now)).await }, if paced_until.is_some() => {}
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
                    inbox.unlink();
                    if !connected {
                        return Ok(());
                    }
                }
            },
        }
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
fn drop_oversize(inner: &Inner, members: &[Integration], q: Queued) {
    let Queued { entry, ticket } = q;
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
                names(members_of(members, &entry))
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
