//! One incoming uplink: parse, register the device, route, and commit to the outbox — before
//! the source is acknowledged.

use std::sync::atomic::Ordering;

use serde_json::json;

use super::{dispatch::Command, Inner};
use crate::codec::{self, CodecError, HeliumUplink, UplinkContext};
use crate::domain::DeviceSeen;
use crate::events::Event;
use crate::now_ms;
use crate::store::Enqueue;

/// A message as a source received it.
#[derive(Debug, Clone, Copy)]
pub enum Incoming<'a> {
    /// A ChirpStack v4 event; `event` is the topic's or query's event type (`up`, `join`, …).
    Chirpstack { event: &'a str, raw: &'a [u8] },
    /// A legacy Helium JSON uplink.
    Legacy { raw: &'a [u8] },
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
}

pub(crate) fn ingest(inner: &Inner, source_id: &str, incoming: Incoming<'_>) -> IngestOutcome {
    let parsed = match incoming {
        Incoming::Chirpstack { event, raw } if event == "up" || event == "join" => {
            from_chirpstack(inner, source_id, event, raw)
        }
        Incoming::Chirpstack { .. } => return IngestOutcome::Ignored,
        Incoming::Legacy { raw } => from_legacy(inner, source_id, raw),
    };
    let raw = match incoming {
        Incoming::Chirpstack { raw, .. } | Incoming::Legacy { raw } => raw,
    };
    match parsed {
        Ok((seen, up)) => {
            note_frame_counter(inner, source_id, &up);
            let payload = serde_json::to_string(&up).expect("Helium JSON serialises");
            match codec::check_uplink(up.payload_size, payload.len()) {
                Ok(()) => store(inner, source_id, seen, up, payload),
                Err(e) => reject_oversize(inner, source_id, &up, e),
            }
        }
        Err(e) => {
            let reason = e.to_string();
            inner.events.emit(
                Event::new("parse_error", "error", format!("could not read a message: {reason}"))
                    .source(source_id)
                    .detail(json!({ "reason": reason, "excerpt": codec::excerpt(raw) })),
            );
            IngestOutcome::Rejected(reason)
        }
    }
}

/// An uplink over a limit is bad input: never queued, so it can't block its device's later
/// uplinks. Acknowledged (resending won't help), with an event naming device, size and limit.
fn reject_oversize(inner: &Inner, source_id: &str, up: &HeliumUplink, e: codec::LimitError) -> IngestOutcome {
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

/// Warns when the device's frame counter shows uplinks that never reached the bridge.
fn note_frame_counter(inner: &Inner, source_id: &str, up: &HeliumUplink) {
    if up.kind == codec::UplinkType::Join {
        inner.frame_counters.reset(&up.id);
        return;
    }
    let missing = inner.frame_counters.missing_before(&up.id, up.fcnt);
    if missing == 0 {
        return;
    }
    let last = up.fcnt - missing - 1;
    inner.events.emit(
        Event::new(
            "upstream_gap",
            "warn",
            format!(
                "device {}: {missing} uplinks missing upstream since fcnt {last} (the next one heard is fcnt {}); \
                 the LNS or its broker dropped them before the bridge",
                up.name, up.fcnt
            ),
        )
        .source(source_id)
        .device(&up.id)
        .detail(json!({ "missing": missing, "after_fcnt": last, "fcnt": up.fcnt })),
    );
}

fn context(inner: &Inner, device_id: &str) -> UplinkContext {
    let store = inner.core.store();
    UplinkContext {
        labels: store.device_labels(device_id).unwrap_or_default(),
        known_app_eui: store.device_app_eui(device_id).ok().flatten(),
        now_ms: now_ms(),
    }
}

fn from_chirpstack(
    inner: &Inner,
    source_id: &str,
    event: &str,
    raw: &[u8],
) -> Result<(DeviceSeen, HeliumUplink), CodecError> {
    let ev = codec::parse_chirpstack(raw)?;
    let device_id = codec::device_id_for_dev_eui(&ev.device_info.dev_eui);
    let ctx = context(inner, &device_id);
    let up = if event == "join" {
        codec::from_chirpstack_join(&ev, &ctx)?
    } else {
        codec::from_chirpstack(&ev, &ctx)?
    };
    let app = &ev.device_info.application_id;
    Ok((seen(&up, source_id, (!app.is_empty()).then(|| app.clone())), up))
}

fn from_legacy(inner: &Inner, source_id: &str, raw: &[u8]) -> Result<(DeviceSeen, HeliumUplink), CodecError> {
    let ev = codec::parse_legacy(raw)?;
    codec::check_legacy_ids(&ev)?;
    // Labelled by DevEUI before its first uplink: the labels come over to this device now,
    // before they are read for routing and for `metadata.labels`.
    if let Err(e) = inner.core.store().claim_placeholder(&ev.id, &ev.dev_eui) {
        inner
            .events
            .emit(Event::new("bridge", "error", format!("could not merge device {}: {e}", ev.id)).device(&ev.id));
    }
    let up = codec::from_legacy(&ev, &context(inner, &ev.id))?;
    Ok((seen(&up, source_id, None), up))
}

fn seen(up: &HeliumUplink, source_id: &str, application_id: Option<String>) -> DeviceSeen {
    DeviceSeen {
        id: up.id.clone(),
        name: up.name.clone(),
        dev_eui: up.dev_eui.clone(),
        app_eui: up.app_eui.clone(),
        devaddr: (!up.devaddr.is_empty()).then(|| up.devaddr.clone()),
        source: source_id.to_string(),
        application_id,
        seen_at_ms: now_ms(),
    }
}

fn store(inner: &Inner, source_id: &str, seen: DeviceSeen, up: HeliumUplink, payload: String) -> IngestOutcome {
    let is_join = up.kind == codec::UplinkType::Join;
    let result = (|| {
        let mut store = inner.core.store();
        let waiting = inner.outbox_len.load(Ordering::Relaxed);
        let oldest_ms = if waiting > 0 { store.outbox_oldest_age_ms()? } else { 0 };
        if waiting >= inner.opts.outbox_max_entries {
            return Ok(Err(format!(
                "the outbox is full ({waiting} uplinks waiting for AWS); new uplinks stay with their source until it drains"
            )));
        }
        let routes: Vec<_> = store
            .routes_for_device(&seen.id)?
            .into_iter()
            .filter(|i| !is_join || i.forward_joins)
            .collect();
        let entries: Vec<Enqueue<'_>> = routes
            .iter()
            .map(|i| Enqueue {
                integration_id: &i.id,
                device_id: &seen.id,
                uuid: &up.uuid,
                payload: &payload,
            })
            .collect();
        let added = store.enqueue_uplinks(&seen, &entries)?;
        inner.outbox_len.fetch_add(added as i64, Ordering::Relaxed);
        Ok::<_, crate::store::StoreError>(Ok((routes, added, waiting, oldest_ms)))
    })();
    // Events are emitted only after the store's lock is released (emitting writes to it).
    let (routes, added, waiting, oldest_ms) = match result
        .map_err(|e| format!("could not store the uplink: {e}"))
        .and_then(|r| r)
    {
        Ok(v) => v,
        Err(msg) => {
            inner.events.emit(
                Event::new("outbox_warning", "error", msg.clone())
                    .source(source_id)
                    .device(&seen.id),
            );
            return IngestOutcome::Refused(msg);
        }
    };
    warn_if_filling(inner, source_id, waiting, oldest_ms);
    let what = if is_join { "join" } else { "uplink" };
    let message = if added < routes.len() {
        // A source redelivered an uplink the bridge already had (same uuid): sent once.
        format!(
            "{what} from {} (fcnt {}) received again; already queued, not sent twice",
            seen.name, up.fcnt
        )
    } else if routes.is_empty() {
        format!(
            "{what} from {} (fcnt {}) not forwarded: no active integration shares a label with this device",
            seen.name, up.fcnt
        )
    } else {
        format!(
            "{what} from {} (fcnt {}) queued for {} integration(s)",
            seen.name,
            up.fcnt,
            routes.len()
        )
    };
    inner.events.emit(
        Event::new(what, "info", message)
            .source(source_id)
            .device(&seen.id)
            .detail(json!({ "uuid": up.uuid, "fcnt": up.fcnt, "port": up.port, "routes": routes.len() })),
    );
    for i in &routes {
        let _ = inner.routes.send(Command::Route {
            integration_id: i.id.clone(),
            device_id: seen.id.clone(),
        });
    }
    IngestOutcome::Stored {
        device_id: seen.id,
        routes: routes.len(),
    }
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
    let mut last = inner.outbox_warned.lock().unwrap_or_else(|p| p.into_inner());
    if last.is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(60)) {
        return;
    }
    *last = Some(std::time::Instant::now());
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
