//! The Helium side: ChirpStack v4 MQTT, legacy Helium MQTT, and an HTTP webhook.

mod mqtt;
mod webhook;

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::bridge::{Inner, SourceDownlink};
use crate::domain::{Source, SourceConfig};

/// Where a source's password or shared secret lives in the keychain.
pub fn secret_key(source_id: &str) -> String {
    format!("source/{source_id}/secret")
}

pub(crate) async fn run(inner: Arc<Inner>, source: Source, downlinks: mpsc::Receiver<SourceDownlink>) {
    match &source.config {
        SourceConfig::HttpWebhook { bind, require_secret } => {
            webhook::run(inner.clone(), source.clone(), bind.clone(), *require_secret).await
        }
        _ => mqtt::run(inner, source, downlinks).await,
    }
}
