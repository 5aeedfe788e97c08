//! What the viewer and the history get of each uplink, as ingest routes it.

use super::routing::Route;
use super::Inner;
use crate::codec::{self, HeliumUplink};
use crate::monitor::{Direction, Message};
use crate::store::RowEntry;

/// What the viewer and the history get of an uplink: each integration's message as it will be
/// published, and the source's message it came from.
pub(super) struct Recorded {
    /// Cloned for each copy's message but the last, which takes it (most uplinks have one copy:
    /// the clone's dozen strings were a tenth of the ingest's allocations).
    base: std::cell::RefCell<Option<Message>>,
    /// Copies whose message is not recorded yet.
    remaining: std::cell::Cell<usize>,
}

/// One copy of an uplink on its way: the entry, and the topic it is published on.
pub(super) struct Copy {
    pub row: RowEntry,
    pub topic: Option<String>,
}

impl Recorded {
    /// `copies`: how many copies' messages will be recorded (a note is recorded instead of
    /// those not sent).
    pub fn new(up: &HeliumUplink, source_id: &str, raw: &[u8], copies: usize) -> Recorded {
        let what = if up.kind == codec::UplinkType::Join {
            "join"
        } else {
            "uplink"
        };
        let mut base = Message::new(what, Direction::Up, "info", String::new()).with_source_event(raw);
        base.row.device_id = Some(up.id.clone());
        base.row.device_name = Some(up.name.clone());
        base.row.dev_eui = Some(up.dev_eui.clone());
        base.row.source_id = Some(source_id.to_string());
        base.row.uuid = Some(up.uuid.clone());
        Recorded {
            base: std::cell::RefCell::new(Some(base)),
            remaining: std::cell::Cell::new(copies),
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
        let remaining = self.remaining.get();
        self.remaining.set(remaining.saturating_sub(1));
        let base = if remaining == 1 {
            self.base.borrow_mut().take()
        } else {
            self.base.borrow().clone()
        };
        // (Always there: each copy is recorded once, and a note only in place of some.)
        let Some(base) = base else { return };
        let mut m = base.with_json(copy.row.payload.clone());
        let shadow = copy.row.uuid.ends_with(codec::shadow::SHADOW_SUFFIX);
        if shadow {
            m.row.kind = "shadow_update".into();
        }
        let what = if shadow { "shadow update" } else { m.row.kind.as_str() };
        m.row.text = format!(
            "{what} from {} (fcnt {fcnt}) queued for {}",
            m.row.device_name.as_deref().unwrap_or_default(),
            copy.topic.as_deref().unwrap_or("?")
        );
        m.row.integration_id = Some(copy.row.integration_id.clone());
        m.row.topic = copy.topic.clone();
        m.row.qos = Some(1);
        inner.core.monitor().record(m);
    }

    /// One message saying why nothing was sent (in place of the copies not sent: the message
    /// is there, as only the last copy takes it).
    pub fn note(self, inner: &Inner, note: String) {
        let Some(mut m) = self.base.into_inner() else { return };
        m.row.text = note;
        inner.core.monitor().record(m);
    }
}
