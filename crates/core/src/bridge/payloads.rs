//! What each integration gets for one uplink: its Helium JSON (with or without `decoded`, as the
//! integration asks) and, where shadow updates are on, the thing's shadow update. Most uplinks
//! go out the same to every integration, so each variant is serialised once.

use std::sync::Arc;

use serde_json::json;

use super::routing::Route;
use super::Inner;
use crate::codec::{self, shadow, HeliumUplink};
use crate::events::Event;
use crate::store::RowEntry;

/// `payload`: `up` serialised in full. `bridge_decoded`: `decoded` is the bridge's decoder's
/// (not ChirpStack's `object` or a legacy `decoded`).
pub(super) fn entries(
    inner: &Inner,
    source_id: &str,
    up: &HeliumUplink,
    payload: String,
    bridge_decoded: bool,
    routes: &[Route],
) -> Vec<RowEntry> {
    let is_join = up.kind == codec::UplinkType::Join;
    let mut out = Vec::with_capacity(routes.len());
    // (An `Arc<String>` shares the JSON's own buffer; an `Arc<str>` was a copy of it.)
    let full: Arc<String> = Arc::new(payload);
    let mut bare: Option<Arc<String>> = None;
    let mut update: Option<Option<Result<Arc<String>, String>>> = None;
    for r in routes.iter().filter(|r| !is_join || r.forward_joins) {
        let decoded_here = up.decoded.is_some() && r.payload.decoded && (bridge_decoded || r.payload.source_object);
        let payload = if decoded_here || up.decoded.is_none() {
            full.clone()
        } else {
            bare.get_or_insert_with(|| {
                let mut up = up.clone();
                up.decoded = None;
                codec::helium::to_json(&up).into()
            })
            .clone()
        };
        out.push(RowEntry {
            integration_id: r.id.clone(),
            uuid: up.uuid.clone(),
            payload,
        });
        if !r.payload.shadow || is_join || !(bridge_decoded || r.payload.source_object) {
            continue;
        }
        match update.get_or_insert_with(|| shadow::reported(up).map(|r| r.map(Arc::new))) {
            None => {}
            Some(Ok(doc)) => out.push(RowEntry {
                integration_id: r.id.clone(),
                uuid: format!("{}{}", up.uuid, shadow::SHADOW_SUFFIX),
                payload: doc.clone(),
            }),
            Some(Err(e)) => {
                inner.events.emit(
                    Event::new(
                        "shadow_rejected",
                        "error",
                        format!("shadow update for {} (fcnt {}) not sent: {e}", up.name, up.fcnt),
                    )
                    .source(source_id)
                    .device(&up.id)
                    .integration(&r.id)
                    .detail(json!({ "uuid": up.uuid, "fcnt": up.fcnt })),
                );
            }
        }
    }
    out
}
