//! What a source received, as a Helium uplink: parsed, its device named (a ChirpStack DevEUI
//! becomes its device id once, then is remembered) and read with the device's routing facts
//! (labels, AppEUI), which the Helium JSON carries.

use std::sync::Arc;

use super::routing::{DeviceRouting, RoutingCache};
use super::Inner;
use crate::codec::{self, CodecError, HeliumUplink, UplinkContext};
use crate::events::Event;
use crate::now_ms;
use crate::store::{Store, StoreError};

/// The most devices `IngestHandle::ids` and `written` remember; past it, each starts again (a
/// fleet is smaller, but a source may send any DevEUI or id).
const MAX_IDS: usize = 100_000;

/// Remembers `value` under `key` in a map bounded at [`MAX_IDS`].
pub(super) fn remember<V>(map: &mut foldhash::HashMap<String, V>, key: String, value: V) {
    if map.len() >= MAX_IDS {
        map.clear();
    }
    map.insert(key, value);
}

/// A device's routing facts, or why they could not be read (then its uplink is refused).
pub(super) type Facts = Result<Arc<DeviceRouting>, StoreError>;

/// What the codec reads of the device's routing facts (none when they could not be read).
pub(super) fn context<'a>(facts: &'a Facts, device_id: Option<&'a str>) -> UplinkContext<'a> {
    let facts = facts.as_deref().ok();
    UplinkContext {
        labels: facts.map_or(&[], |f| &f.labels),
        known_app_eui: facts.and_then(|f| f.app_eui.as_deref()),
        device_id,
        now_ms: now_ms(),
    }
}

pub(super) fn from_chirpstack(
    reader: &Store,
    routing: &mut RoutingCache,
    ids: &mut foldhash::HashMap<String, String>,
    event: &str,
    raw: &[u8],
) -> Result<(HeliumUplink, Facts, Option<String>), CodecError> {
    let mut ev = codec::parse_chirpstack(raw)?;
    let dev_eui = &ev.device_info.dev_eui;
    let device_id = match ids.get(dev_eui) {
        Some(id) => id.clone(),
        None => {
            let id = codec::device_id_for_dev_eui(dev_eui);
            remember(ids, dev_eui.clone(), id.clone());
            id
        }
    };
    let facts = routing.get(reader, &device_id);
    let ctx = context(&facts, Some(&device_id));
    let app = std::mem::take(&mut ev.device_info.application_id);
    let up = if event == "join" {
        codec::from_chirpstack_join(ev, &ctx)?
    } else {
        codec::from_chirpstack(ev, &ctx)?
    };
    Ok((up, facts, (!app.is_empty()).then_some(app)))
}

pub(super) fn from_legacy(
    inner: &Inner,
    reader: &mut Store,
    routing: &mut RoutingCache,
    raw: &[u8],
) -> Result<(HeliumUplink, Facts, Option<String>), CodecError> {
    let ev = codec::parse_legacy(raw)?;
    codec::check_legacy_ids(&ev)?;
    // Labelled by DevEUI before its first uplink: the labels come over to this device now,
    // before they are read for routing and for `metadata.labels`. Every source's cache reads
    // them again (another source may hear the device too).
    match reader.claim_placeholder(&ev.id, &ev.dev_eui) {
        Ok(true) => inner.core.note_change(),
        Ok(false) => {}
        Err(e) => inner
            .events
            .emit(Event::new("bridge", "error", format!("could not merge device {}: {e}", ev.id)).device(&ev.id)),
    }
    let facts = routing.get(reader, &ev.id);
    let up = codec::from_legacy(&ev, &context(&facts, None))?;
    Ok((up, facts, None))
}
