//! Downlinks from AWS: validated, then sent to the source the device came from, or rejected
//! with an event.

use crate::sync::LockExt;
use serde_json::json;

use super::{Inner, SourceDownlink};
use crate::codec::{chirpstack_command, legacy_tx, Downlink};
use crate::domain::SourceConfig;
use crate::events::Event;
use crate::monitor::{Direction, Message};

impl Inner {
    /// Validates a downlink from AWS and forwards it to the device's source, or rejects it
    /// with an event naming the device, the reason and the field.
    /// Validates a downlink (as AWS sends it: `{"payload_raw", "port", "confirmed"}`) and hands
    /// it to the device's source. `integration_id`: where it came from (`None`: the app).
    /// Either way an event says what happened; the error is the reason it was refused.
    pub(crate) fn handle_downlink(
        &self,
        integration_id: Option<&str>,
        device_id: &str,
        raw: &[u8],
    ) -> Result<(), String> {
        use crate::store::DeviceCounter;
        let from = |e: Event| match integration_id {
            Some(i) => e.integration(i),
            None => e,
        };
        // The viewer's message: the downlink exactly as it came, and what became of it.
        let record = |level: &str, text: &str, detail: serde_json::Value| {
            let mut m = Message::new("downlink", Direction::Down, level, text)
                .with_json(std::sync::Arc::new(String::from_utf8_lossy(raw).into_owned()));
            m.row.device_id = Some(device_id.to_string());
            m.row.integration_id = integration_id.map(String::from);
            m.row.topic = integration_id.map(|_| super::downlink_topic(device_id));
            m.row.qos = integration_id.map(|_| 1);
            m.detail = Some(detail);
            self.core.monitor().record(m);
        };
        // Messages name the device; their `device` field keeps its id.
        let called = self.core.store().device_called(device_id);
        let reject = |reason: String, field: &str| {
            let text = format!("downlink for {called} rejected: {reason}");
            record("error", &text, json!({ "reason": reason, "field": field }));
            let _ = self.core.store().bump_device_counter(device_id, DeviceCounter::Errors);
            self.events.emit(from(
                Event::new("downlink_rejected", "error", text)
                    .device(device_id)
                    .detail(json!({ "reason": reason, "field": field, "excerpt": crate::codec::excerpt(raw) })),
            ));
            Err(reason)
        };
        let encode = |json: &serde_json::Value, port: Option<u8>| self.encode_downlink(device_id, json, port);
        let downlink = match crate::codec::downlink::parse_downlink_with(raw, &encode) {
            Ok(d) => d,
            Err(rej) => return reject(rej.to_string(), rej.field),
        };
        match self.route_downlink(device_id, &called, &downlink) {
            Ok(source_id) => {
                let _ = self
                    .core
                    .store()
                    .bump_device_counter(device_id, DeviceCounter::Downlinks);
                let text = format!(
                    "downlink for {called} ({} bytes, port {}) sent to its source",
                    downlink.payload.len(),
                    downlink.port
                );
                record(
                    "info",
                    &text,
                    json!({ "port": downlink.port, "confirmed": downlink.confirmed, "size": downlink.payload.len(), "source_id": source_id }),
                );
                self.events.emit(from(
                    Event::new("downlink", "info", text)
                    .device(device_id)
                    .source(&source_id)
                    .detail(json!({ "port": downlink.port, "confirmed": downlink.confirmed, "size": downlink.payload.len() })),
                ));
                Ok(())
            }
            Err(reason) => reject(reason, "device"),
        }
    }

    /// `payload_json` through the `encodeDownlink` of the decoder the device's labels attach.
    fn encode_downlink(
        &self,
        device_id: &str,
        json: &serde_json::Value,
        port: Option<u8>,
    ) -> Result<(Vec<u8>, Option<u8>), String> {
        let found = self
            .core
            .store()
            .decoders_for_device(device_id)
            .map_err(|e| e.to_string())?;
        let d = super::routing::the_decoder(found)?.ok_or_else(|| {
            "needs a decoder with encodeDownlink(input) attached to one of the device's labels".to_string()
        })?;
        // Downlinks are rare: compiled for each.
        let compiled = crate::codec::decoder::Compiled::compile(d.kind, &d.script)
            .map_err(|e| format!("decoder {:?}: {e}", d.name))?;
        compiled
            .encode(json, port)
            .map_err(|e| format!("decoder {:?}: {e}", d.name))
    }

    /// Returns the source id the downlink went to, or why it could not go anywhere.
    /// `called`: how messages name the device (see `Store::device_called`).
    pub(crate) fn route_downlink(&self, device_id: &str, called: &str, d: &Downlink) -> Result<String, String> {
        let (source_id, dev_eui, application_id) = self
            .core
            .store()
            .device_route_back(device_id)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "the bridge has never seen this device".to_string())?;
        let map = self.downlinks.locked();
        let (config, tx) = map
            .get(&source_id)
            .ok_or_else(|| format!("the device's source {source_id} is not running"))?;
        let (topic, body) = match config {
            SourceConfig::ChirpstackMqtt { .. } => {
                let app = application_id.ok_or("the device's ChirpStack application is unknown")?;
                let eui = dev_eui.to_ascii_lowercase();
                (
                    format!("application/{app}/device/{eui}/command/down"),
                    chirpstack_command(&eui, d),
                )
            }
            SourceConfig::LegacyMqtt { downlink_topic, .. } => {
                (downlink_topic.replace("{{device_id}}", device_id), legacy_tx(d))
            }
            SourceConfig::HttpWebhook { .. } => {
                return Err("the device's source is an HTTP webhook, which cannot carry downlinks".into())
            }
        };
        tx.try_send(SourceDownlink {
            topic,
            payload: body.to_string().into_bytes(),
            device_id: device_id.to_string(),
            device_called: called.to_string(),
        })
        .map_err(|e| format!("the device's source cannot take the downlink now: {e}"))?;
        Ok(source_id)
    }
}
