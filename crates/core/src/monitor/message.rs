//! A message as the viewer shows it: an uplink as published to AWS, a downlink as received, or
//! one of the bridge's events (errors and rejections linked to their uplink by device and `uuid`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::events::Event;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Helium → AWS.
    Up,
    /// AWS (or the app) → Helium.
    Down,
    /// Not a message on the wire: something the bridge reports.
    None,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
            Direction::None => "none",
        }
    }
    pub fn parse(s: &str) -> Direction {
        match s {
            "up" => Direction::Up,
            "down" => Direction::Down,
            _ => Direction::None,
        }
    }
}

/// What a list shows of a message: everything but its bodies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MessageRow {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub at_ms: i64,
    /// `uplink`, `join`, `downlink`, or an event's kind (`uplink_rejected`, `upstream_gap`,
    /// `connection`, …).
    pub kind: String,
    pub direction: Direction,
    /// `info`, `warn` or `error`.
    pub level: String,
    pub device_id: Option<String>,
    pub device_name: Option<String>,
    pub dev_eui: Option<String>,
    pub integration_id: Option<String>,
    pub source_id: Option<String>,
    /// The MQTT topic it was published to (uplink) or received on (downlink).
    pub topic: Option<String>,
    pub qos: Option<u8>,
    /// The uplink's uuid; an error about an uplink carries the uplink's.
    pub uuid: Option<String>,
    /// Bytes of the published (or received) JSON.
    #[ts(type = "number")]
    pub size: i64,
    /// One line saying what happened.
    pub text: String,
    /// When the integration's "watch AWS" monitor saw the uplink arrive at AWS.
    #[ts(type = "number | null")]
    pub seen_ms: Option<i64>,
}

/// An uplink's echo from AWS: the integration's monitor received it on the uplink topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Seen {
    pub integration_id: String,
    pub uuid: String,
    #[ts(type = "number")]
    pub at_ms: i64,
    /// The uplink's device and `reported_at` (0 when the echo had none), where the history
    /// looks for it (the view has no use for them).
    #[serde(skip)]
    #[ts(skip)]
    pub device_id: Option<String>,
    #[serde(skip)]
    #[ts(skip)]
    pub reported_at_ms: i64,
}

/// What the live stream carries: a message, or the news that AWS echoed an uplink.
#[derive(Debug, Clone)]
pub enum Live {
    Message(Arc<Message>),
    Seen(Seen),
}

/// A message with its bodies, for the detail pane and exports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Message {
    #[serde(flatten)]
    #[ts(flatten)]
    pub row: MessageRow,
    /// Exactly what was published to AWS (uplink) or received (downlink).
    #[ts(type = "string | null")]
    pub json: Option<Arc<String>>,
    /// The source's message the uplink was made from, as it arrived.
    #[ts(type = "string | null")]
    pub source_event: Option<Arc<str>>,
    #[ts(type = "unknown")]
    pub detail: Option<Value>,
}

impl Message {
    pub fn new(kind: &str, direction: Direction, level: &str, text: impl Into<String>) -> Message {
        Message {
            row: MessageRow {
                id: 0,
                at_ms: crate::now_ms(),
                kind: kind.into(),
                direction,
                level: level.into(),
                device_id: None,
                device_name: None,
                dev_eui: None,
                integration_id: None,
                source_id: None,
                topic: None,
                qos: None,
                uuid: None,
                size: 0,
                text: text.into(),
                seen_ms: None,
            },
            json: None,
            source_event: None,
            detail: None,
        }
    }

    /// The event as a message, unless the bridge records its message itself (with the JSON).
    pub fn from_event(e: &Event) -> Option<Message> {
        if RECORDED_WITH_BODY.contains(&e.kind.as_str()) {
            return None;
        }
        let mut m = Message::new(&e.kind, Direction::None, &e.level, e.message.clone());
        m.row.at_ms = e.at_ms;
        m.row.device_id = e.device_id.clone();
        m.row.integration_id = e.integration_id.clone();
        m.row.source_id = e.source_id.clone();
        let text = |key: &str| {
            e.detail
                .as_ref()
                .and_then(|d| d.get(key))
                .and_then(Value::as_str)
                .map(String::from)
        };
        m.row.uuid = text("uuid");
        // The topic a message that could not be read came on: searched by like any other.
        m.row.topic = text("topic");
        m.detail = e.detail.clone();
        Some(m)
    }

    /// The source's message, kept as text (lossy where it was not UTF-8).
    pub fn with_source_event(mut self, raw: &[u8]) -> Message {
        // `from_utf8` first: its ASCII fast path is several times quicker than the lossy walk,
        // and sources send UTF-8.
        self.source_event = Some(match std::str::from_utf8(raw) {
            Ok(s) => s.into(),
            Err(_) => String::from_utf8_lossy(raw).into(),
        });
        self
    }

    pub fn with_json(mut self, json: Arc<String>) -> Message {
        self.row.size = json.len() as i64;
        self.json = Some(json);
        self
    }
}

/// Event kinds whose message the bridge records with its body (the uplink as published, the
/// downlink as received): their events are not recorded a second time.
const RECORDED_WITH_BODY: &[&str] = &["uplink", "join", "downlink", "downlink_rejected"];
