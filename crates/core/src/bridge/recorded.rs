//! What the viewer and the history get of each uplink, as ingest routes it.

use std::sync::Arc;

use super::routing::Route;
use super::Inner;
use crate::codec::{self, HeliumUplink};
use crate::monitor::{Direction, Message};
use crate::store::RowEntry;

/// What the viewer and the history get of an uplink: each integration's message as it will be
/// published, and the source's message it came from. The messages are made from it when they
/// are needed (see `Monitor::record_with`), not on the uplink's way.
pub(super) struct Recorded {
    base: Arc<Base>,
}

/// What every message of an uplink shares; its copies' messages are made from it. Only what
/// they read of the uplink: the uplink itself (its hotspots, labels, payload) is freed once
/// ingest is done with it, not held until the history gets to it, after a burst.
struct Base {
    join: bool,
    /// A test uplink the user made: its messages say so.
    simulated: bool,
    device_id: String,
    device_name: String,
    dev_eui: String,
    uuid: String,
    source_id: String,
    /// The source's message, as it came (the source's own buffer, not a copy).
    raw: bytes::Bytes,
    /// When ingest took the uplink.
    at_ms: i64,
}

impl Base {
    fn message(&self) -> Message {
        let what = if self.join { "join" } else { "uplink" };
        let mut m = Message::new(what, Direction::Up, "info", String::new()).with_source_event(&self.raw);
        m.row.at_ms = self.at_ms;
        m.row.device_id = Some(self.device_id.clone());
        m.row.device_name = Some(self.device_name.clone());
        m.row.dev_eui = Some(self.dev_eui.clone());
        m.row.source_id = Some(self.source_id.clone());
        m.row.uuid = Some(self.uuid.clone());
        m
    }
}

/// One copy of an uplink on its way: the entry, and the topic it is published on.
pub(super) struct Copy {
    pub row: RowEntry,
    pub topic: Option<String>,
}

impl Recorded {
    pub fn new(up: &HeliumUplink, source_id: &str, raw: &bytes::Bytes) -> Recorded {
        Recorded {
            base: Arc::new(Base {
                join: up.kind == codec::UplinkType::Join,
                simulated: up.metadata.simulated,
                device_id: up.id.clone(),
                device_name: up.name.clone(),
                dev_eui: up.dev_eui.clone(),
                uuid: up.uuid.clone(),
                source_id: source_id.to_string(),
                raw: raw.clone(),
                at_ms: crate::now_ms(),
            }),
        }
    }

    /// Each entry with its topic.
    pub fn copies(device_id: &str, routes: &[Route], entries: Vec<RowEntry>) -> Vec<Copy> {
        entries
            .into_iter()
            .map(|row| {
                let topic = if row.uuid.ends_with(codec::shadow::SHADOW_SUFFIX) {
                    Some(codec::shadow::update_topic(device_id))
                } else {
                    routes
                        .iter()
                        .find(|r| r.id == row.integration_id)
                        .map(|r| r.topic.clone())
                };
                Copy { row, topic }
            })
            .collect()
    }

    /// The copy's message (recorded before a session can publish it: AWS's echo, "seen on AWS",
    /// must find it, in the live view and in the history).
    pub fn copy(&self, inner: &Inner, copy: &Copy, fcnt: u32) {
        let base = self.base.clone();
        let integration_id = copy.row.integration_id.clone();
        let topic = copy.topic.clone();
        let json = copy.row.payload.clone();
        let shadow = copy.row.uuid.ends_with(codec::shadow::SHADOW_SUFFIX);
        let simulated = self.base.simulated;
        inner.core.monitor().record_with(move || {
            let mut m = base.message().with_json(json);
            if shadow {
                m.row.kind = "shadow_update".into();
            }
            let what = match (shadow, simulated) {
                (true, _) => "shadow update",
                (false, true) => "simulated uplink",
                (false, false) => m.row.kind.as_str(),
            };
            m.row.text = format!(
                "{what} from {} (fcnt {fcnt}) queued for {}",
                m.row.device_name.as_deref().unwrap_or_default(),
                topic.as_deref().unwrap_or("?")
            );
            m.row.integration_id = Some(integration_id);
            m.row.topic = topic;
            m.row.qos = Some(1);
            m
        });
    }

    /// One message saying why nothing was sent (in place of the copies not sent).
    pub fn note(self, inner: &Inner, note: String) {
        let mut m = self.base.message();
        m.row.text = note;
        inner.core.monitor().record(m);
    }
}
