//! The Helium side: ChirpStack v4 MQTT, legacy Helium MQTT, and an HTTP webhook.

mod mqtt;
mod probe;
mod webhook;

pub use probe::{probe, probe_with_stored, Probe};

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::bridge::{IngestHandle, SourceDownlink, Status};
use crate::domain::{Source, SourceConfig};
use crate::events::Event;
use crate::vault::Vault;

/// Where a source's password or shared secret lives in the keychain.
pub fn secret_key(source_id: &str) -> String {
    format!("source/{source_id}/secret")
}

/// What a source task gets from the bridge, and nothing more: its way in (ingest), where it
/// reports (status and events), its secrets, when to stop, and the downlinks to send.
pub(crate) struct SourceContext {
    pub source: Source,
    pub ingest: IngestHandle,
    pub status: Status,
    pub vault: Arc<dyn Vault>,
    pub shutdown: watch::Receiver<bool>,
    pub max_backoff: Duration,
    /// MQTT sources: how many messages may wait for their commit (MQTT 5 Receive Maximum).
    pub window: u16,
    pub downlinks: mpsc::Receiver<SourceDownlink>,
}

impl SourceContext {
    /// Reports the source's connection state.
    fn report(&self, connected: bool, detail: impl Into<String>) {
        self.status
            .set("source", &self.source.id, &self.source.name, connected, detail);
    }

    /// The source cannot run: says why, in its state and as an event.
    fn fail(&self, what: &str, e: String) {
        self.report(false, e.clone());
        self.status.emit(
            Event::new(
                "connection",
                "error",
                format!("{what} {:?} cannot start: {e}", self.source.name),
            )
            .source(&self.source.id),
        );
    }
}

pub(crate) async fn run(ctx: SourceContext) {
    match &ctx.source.config {
        SourceConfig::HttpWebhook { bind, require_secret } => {
            let (bind, require_secret) = (bind.clone(), *require_secret);
            webhook::run(ctx, bind, require_secret).await
        }
        _ => mqtt::run(ctx).await,
    }
}
