//! Sending an accepted downlink to the source its device came from.

use super::{Inner, SourceDownlink};
use crate::codec::{chirpstack_command, legacy_tx, Downlink};
use crate::domain::SourceConfig;

impl Inner {
    /// Returns the source id the downlink went to, or why it could not go anywhere.
    pub(crate) fn route_downlink(&self, device_id: &str, d: &Downlink) -> Result<String, String> {
        let (source_id, dev_eui, application_id) = self
            .core
            .store()
            .device_route_back(device_id)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "the bridge has never seen this device".to_string())?;
        let map = self.downlinks.lock().unwrap_or_else(|p| p.into_inner());
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
        })
        .map_err(|e| format!("the device's source cannot take the downlink now: {e}"))?;
        Ok(source_id)
    }
}
