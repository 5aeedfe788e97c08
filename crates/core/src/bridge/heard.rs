//! What the bridge heard of each device lately, in memory: its frame counter, which says how
//! many uplinks never reached the bridge (dropped by the LNS, its broker or the radio), and its
//! last uplinks, which say when one comes again (a source redelivering it, or a second source
//! that hears the same device): each goes to AWS once.
//!
//! A copy is answered only once the first is settled: taken, the copy is acknowledged as had
//! already; refused or rejected, the copy hears the same (its source keeps it and offers it
//! again). Acknowledging a copy while the first could still fail would lose the uplink.

use crate::sync::LockExt;
use foldhash::HashMap;
use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};

use serde_json::json;

use super::{IngestOutcome, Inner};
use crate::codec::{HeliumUplink, UplinkType};
use crate::events::Event;

/// Below this a lower frame counter is a restart (a rejoin resets it to 0), not a late copy.
const RESET_BELOW: u32 = 16;

/// The uplinks remembered per device once taken. A redelivery comes within a few uplinks of the
/// first copy (a source's reconnect, or a second source hearing it at the same moment).
const KEPT: usize = 8;

/// The most devices remembered; past it, those with nothing in flight are forgotten (a fleet is
/// smaller, but a source may send any DevEUI or id).
const MAX_DEVICES: usize = 100_000;

/// Where an uplink's outcome goes: its source's acknowledgement.
pub(crate) type Outcome = Box<dyn FnOnce(IngestOutcome) + Send>;

/// An uplink heard before (the same uuid and frame counter).
pub(crate) struct Again {
    /// The source that brought it first.
    pub first_source: Arc<str>,
    /// The copy's outcome, to give now (`IngestOutcome::Again`): `None` when the first copy is
    /// still being stored, which answers it when settled.
    pub done: Option<Outcome>,
}

struct Recent {
    hash: u64,
    fcnt: u32,
    source: Arc<str>,
    /// Copies waiting for this uplink's outcome; `None` once it is taken.
    waiting: Option<Vec<Outcome>>,
}

#[derive(Default)]
struct Device {
    fcnt: Option<u32>,
    recent: VecDeque<Recent>,
}

#[derive(Default)]
pub(crate) struct HeardLately {
    devices: Mutex<HashMap<String, Device>>,
}

/// One fixed hash for every uuid (64 bits: two uplinks of a device's last few do not collide).
fn hash(uuid: &str) -> u64 {
    foldhash::fast::FixedState::with_seed(0x5eed).hash_one(uuid)
}

impl HeardLately {
    /// Records the device's uplink `uuid` with frame counter `fcnt` (a join: the counter starts
    /// over) from `source`. New: how many uplinks are missing before it, and `done` back (call
    /// [`HeardLately::settle`] with its outcome). Heard before: who brought it first.
    pub fn heard(
        &self,
        device_id: &str,
        (uuid, fcnt, join): (&str, u32, bool),
        source: &Arc<str>,
        done: Outcome,
    ) -> Result<(u32, Outcome), Again> {
        let mut devices = self.devices.locked();
        if devices.len() >= MAX_DEVICES && !devices.contains_key(device_id) {
            devices.retain(|_, d| d.recent.iter().any(|r| r.waiting.is_some()));
        }
        let device = match devices.get_mut(device_id) {
            Some(d) => d,
            None => devices.entry(device_id.to_string()).or_default(),
        };
        let h = hash(uuid);
        // (A source that gives every uplink the same uuid still has each one taken.)
        if let Some(first) = device.recent.iter_mut().find(|r| r.hash == h && r.fcnt == fcnt) {
            let first_source = first.source.clone();
            return Err(match &mut first.waiting {
                Some(waiting) => {
                    waiting.push(done);
                    Again {
                        first_source,
                        done: None,
                    }
                }
                None => Again {
                    first_source,
                    done: Some(done),
                },
            });
        }
        // The oldest taken one makes room; uplinks in flight are never forgotten.
        if device.recent.len() >= KEPT {
            if let Some(i) = device.recent.iter().position(|r| r.waiting.is_none()) {
                device.recent.remove(i);
            }
        }
        device.recent.push_back(Recent {
            hash: h,
            fcnt,
            source: source.clone(),
            waiting: Some(Vec::new()),
        });
        if join {
            device.fcnt = None;
            return Ok((0, done));
        }
        let missing = match device.fcnt {
            None => 0,
            Some(prev) if fcnt > prev => fcnt - prev - 1,
            // A late copy keeps the counter; a fresh start replaces it.
            Some(prev) if fcnt < RESET_BELOW && fcnt < prev => 0,
            Some(_) => return Ok((0, done)),
        };
        device.fcnt = Some(fcnt);
        Ok((missing, done))
    }

    /// The uplink heard as new has its outcome: stored, it is had (its copies are acknowledged
    /// as such); otherwise it is forgotten, and its copies hear the same outcome.
    pub fn settle(&self, device_id: &str, uuid: &str, fcnt: u32, outcome: &IngestOutcome) {
        let h = hash(uuid);
        let waiting = {
            let mut devices = self.devices.locked();
            let Some(device) = devices.get_mut(device_id) else {
                return;
            };
            let Some(i) = device.recent.iter().position(|r| r.hash == h && r.fcnt == fcnt) else {
                return;
            };
            match outcome {
                IngestOutcome::Stored { .. } => device.recent[i].waiting.take(),
                _ => device.recent.remove(i).and_then(|r| r.waiting),
            }
        };
        // (Outside the lock: an outcome acknowledges at the source.)
        for copy in waiting.into_iter().flatten() {
            copy(match outcome {
                IngestOutcome::Stored { .. } => IngestOutcome::Again,
                other => other.clone(),
            });
        }
    }
}

/// Says that an uplink came again: from the source that brought it first (a redelivery), or
/// from another, which means two sources hear the same devices. Stored at most once a minute
/// (a reconnect may redeliver hundreds); the others are news for whoever watches.
pub(super) fn say_again(
    inner: &Inner,
    source: (&str, &str),
    up: &HeliumUplink,
    first_source: &str,
    first_name: impl FnOnce() -> String,
) {
    let (source_id, source_name) = source;
    let what = if up.kind == UplinkType::Join { "join" } else { "uplink" };
    let (name, fcnt) = (&up.name, up.fcnt);
    let event = |kind: &str, level: &str, message: String| {
        Event::new(kind, level, message)
            .source(source_id)
            .device(&up.id)
            .detail(json!({ "uuid": up.uuid, "fcnt": fcnt, "first_source": first_source }))
    };
    let again = || {
        event(
            what,
            "info",
            format!("{what} from {name} (fcnt {fcnt}) received again from source {source_name:?}; it goes to AWS once"),
        )
    };
    let redelivered = first_source == source_id;
    let pace = if redelivered {
        &inner.redelivery_noted
    } else {
        &inner.overlap_warning
    };
    if !pace.locked().due() {
        if inner.events.watched() {
            inner.events.emit_live(again());
        }
        return;
    }
    if redelivered {
        inner.events.emit(again());
        return;
    }
    inner.events.emit(event(
        "source_overlap",
        "warn",
        format!(
            "sources {:?} and {source_name:?} both deliver the uplinks of {name} (and maybe other devices): each \
             uplink goes to AWS once, but pause one of them, or give each its own application id",
            first_name()
        ),
    ));
}

/// Warns when the device's frame counter shows uplinks that never reached the bridge.
pub(super) fn warn_of_gap(inner: &Inner, source_id: &str, up: &HeliumUplink, missing: u32) {
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

#[cfg(test)]
#[path = "heard_tests.rs"]
mod tests;
