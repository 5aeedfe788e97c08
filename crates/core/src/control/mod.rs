//! The control plane: every change a user makes (labels and their links, sources,
//! integrations) goes through [`Control::handle`], whether it comes from a desktop command, the
//! CLI in the same process, or the CLI of another process over the control socket. Each change
//! is written to the store and then applied to the running bridge at once, and everyone
//! watching is told what changed.

mod decoders;
pub mod endpoint;
mod labels;
mod messages;
mod payload;
pub mod socket;
mod sources;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use ts_rs::TS;

use crate::aws::setup;
use crate::domain::Device;
use crate::engine::{Change, Engine};
use crate::ipc::BridgeStatus;
use crate::vault;
use crate::Core;

pub use messages::{ControlError, Keys, Reply, Request, Secret, Target};

/// What changed, for views to reload: `labels`, `devices`, `sources` or `integrations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Changed {
    pub what: Vec<String>,
}

/// The control plane of one opened data directory.
pub struct Control {
    core: Arc<Core>,
    engine: Arc<Engine>,
    changed: broadcast::Sender<Changed>,
}

impl Control {
    /// `engine` is the running bridge's (or a stopped one where none runs: changes then only
    /// reach the store, which the next start reads).
    pub fn new(core: Arc<Core>, engine: Arc<Engine>) -> Arc<Control> {
        Arc::new(Control {
            core,
            engine,
            changed: broadcast::channel(64).0,
        })
    }

    pub fn core(&self) -> &Arc<Core> {
        &self.core
    }

    /// Every change made from now on, whoever made it.
    pub fn subscribe(&self) -> broadcast::Receiver<Changed> {
        self.changed.subscribe()
    }

    fn tell(&self, what: &[&str]) {
        let _ = self.changed.send(Changed {
            what: what.iter().map(|s| s.to_string()).collect(),
        });
    }

    pub async fn handle(&self, req: Request) -> Result<Reply, ControlError> {
        match req {
            Request::LabelAdd { name } => {
                let label = self.core.store().create_label(&name)?;
                self.tell(&["labels"]);
                Ok(Reply::Label { label })
            }
            Request::LabelRename { label, name } => {
                let label = {
                    let store = self.core.store();
                    let l = store.find_label(&label)?;
                    store.rename_label(&l.id, &name)?
                };
                self.tell(&["labels", "devices", "integrations"]);
                Ok(Reply::Label { label })
            }
            Request::LabelRemove { label } => {
                let label = {
                    let store = self.core.store();
                    let l = store.find_label(&label)?;
                    store.remove_label(&l.id)?;
                    l
                };
                self.applied(Change::Labels, &["labels", "devices", "integrations"])
                    .await?;
                Ok(Reply::LabelRemoved { label })
            }
            Request::LabelAttach { label, targets } => self.link(&label, targets, true).await,
            Request::LabelDetach { label, targets } => self.link(&label, targets, false).await,
            Request::SourceAdd { name, config, secret } => self.add_source(&name, config, secret).await,
            Request::SourceUpdate {
                source,
                name,
                config,
                secret,
            } => self.update_source(&source, &name, config, secret).await,
            Request::SourceSetPaused { source, paused } => {
                let source = {
                    let store = self.core.store();
                    let s = store.find_source(&source)?;
                    store.set_source_paused(&s.id, paused)?
                };
                self.applied(Change::Sources, &["sources"]).await?;
                Ok(Reply::Source { source })
            }
            Request::SourceRemove { source } => self.remove_source(&source).await,
            Request::IntegrationAdd { new, keys } => {
                let vault = vault::from_env()?;
                let (integration, checked) =
                    setup::add_integration(&self.core, vault, new, keys.map(Keys::into_new_keys)).await?;
                self.applied(Change::IntegrationActive(integration.id.clone()), &["integrations"])
                    .await?;
                Ok(Reply::IntegrationAdded { integration, checked })
            }
            Request::IntegrationUpdate {
                integration,
                update,
                keys,
            } => {
                let id = self.core.store().find_integration(&integration)?.id;
                let vault = vault::from_env()?;
                let outcome =
                    setup::update_integration(&self.core, vault, &id, update, keys.map(Keys::into_new_keys)).await?;
                self.applied(Change::IntegrationReconfigured(id), &["integrations"])
                    .await?;
                Ok(Reply::IntegrationUpdated { outcome })
            }
            Request::IntegrationSetActive { integration, active } => {
                let integration = {
                    let store = self.core.store();
                    let i = store.find_integration(&integration)?;
                    store.set_integration_active(&i.id, active)?;
                    store.get_integration(&i.id)?
                };
                self.applied(Change::IntegrationActive(integration.id.clone()), &["integrations"])
                    .await?;
                Ok(Reply::IntegrationActive { integration })
            }
            Request::IntegrationRemove {
                integration,
                cleanup_aws,
            } => {
                let id = self.core.store().find_integration(&integration)?.id;
                let vault = vault::from_env()?;
                // Its sessions end first, so none provisions while AWS is cleaned up.
                self.engine.stop_integration(&id).await;
                let removed = setup::remove_integration(&self.core, vault, &id, cleanup_aws).await;
                if !matches!(&removed, Ok(o) if o.removed) {
                    // Still there: its sessions come back.
                    self.engine.apply(Change::IntegrationActive(id)).await?;
                }
                self.tell(&["integrations", "labels"]);
                Ok(Reply::IntegrationRemoved { outcome: removed? })
            }
            Request::IntegrationSetPayload { integration, options } => self.set_payload(&integration, options).await,
            Request::DecoderAdd { name, kind, script } => self.add_decoder(&name, kind, &script),
            Request::DecoderUpdate { decoder, name, script } => {
                self.update_decoder(&decoder, name.as_deref(), script.as_deref())
            }
            Request::DecoderRemove { decoder } => self.remove_decoder(&decoder),
            Request::DecoderAttach { decoder, labels } => self.link_decoder(&decoder, &labels, true),
            Request::DecoderDetach { decoder, labels } => self.link_decoder(&decoder, &labels, false),
            Request::SettingsSave { settings } => {
                settings.check().map_err(crate::store::StoreError::from)?;
                self.core.store().save_settings(&settings)?;
                self.core.monitor().set_retention(settings.retention());
                self.tell(&["settings"]);
                Ok(Reply::Settings { settings })
            }
            Request::DeviceRemove { device } => {
                let (device, things_kept_in) = {
                    let store = self.core.store();
                    let device = store.remove_unheard_device(&device)?;
                    let kept = store.device_identity_integrations(&device.id)?;
                    (device, kept)
                };
                self.applied(Change::Labels, &["devices", "labels", "integrations"])
                    .await?;
                Ok(Reply::DeviceRemoved { device, things_kept_in })
            }
            Request::DeviceDownlink {
                device,
                port,
                confirmed,
                payload_raw,
            } => {
                let device = self.core.store().find_device(&device)?;
                let raw = serde_json::json!({ "payload_raw": payload_raw, "port": port, "confirmed": confirmed });
                self.engine.send_downlink(&device.id, raw.to_string().as_bytes())?;
                self.tell(&["devices"]);
                Ok(Reply::DownlinkSent { device })
            }
            Request::DownlinkViaAws {
                integration,
                device,
                downlink,
            } => {
                let integration = self.core.store().find_integration(&integration)?;
                let device = self.core.store().find_device(&device)?;
                if let Err(e) = serde_json::from_str::<serde_json::Value>(&downlink) {
                    return Err(ControlError::new("invalid", format!("the downlink is not JSON: {e}")));
                }
                let acked = self
                    .engine
                    .publish_via_aws(&integration, &device.id, downlink.into_bytes())?;
                acked.await.map_err(|reason| ControlError::new("aws", reason))?;
                let topic = crate::bridge::downlink_topic(&device.id);
                Ok(Reply::DownlinkPublished { device, topic })
            }
            Request::DeviceSimulateUplink { device, port, payload } => {
                let device = self.core.store().find_device(&device)?;
                let bytes =
                    crate::codec::decoder::parse_payload(&payload).map_err(|e| ControlError::new("invalid", e))?;
                let outcome = self.engine.simulate_uplink(device.clone(), port, bytes)?.await?;
                self.tell(&["devices"]);
                match outcome {
                    crate::bridge::IngestOutcome::Stored { routes, .. } => {
                        Ok(Reply::UplinkSimulated { device, routes })
                    }
                    crate::bridge::IngestOutcome::Rejected(reason) => Err(ControlError::new("invalid", reason)),
                    crate::bridge::IngestOutcome::Refused(reason) => Err(ControlError::new("unavailable", reason)),
                    crate::bridge::IngestOutcome::Ignored | crate::bridge::IngestOutcome::Again => {
                        Err(ControlError::new("internal", "the uplink was ignored"))
                    }
                }
            }
            Request::Health => Ok(Reply::Health {
                integrations: self.engine.integration_health(&self.core)?,
            }),
            Request::WatchStates => Ok(Reply::Watching {
                states: self.engine.watch_states(),
            }),
            Request::IntegrationWatch { integration, on } => {
                let integration = self.core.store().find_integration(&integration)?;
                let states = self.engine.watch_aws(&integration.id, on)?;
                Ok(Reply::Watching { states })
            }
            Request::IntegrationProvision { integration } => {
                let integration = self.core.store().find_integration(&integration)?;
                if integration.aws.is_none() {
                    return Err(ControlError::new(
                        "invalid",
                        format!(
                            "integration {:?} uses certificates made by hand (a certificate folder); there is \
                             nothing to provision",
                            integration.name
                        ),
                    ));
                }
                if matches!(self.engine.status(), BridgeStatus::Running) {
                    self.engine.provision_now(&integration.id)?;
                    return Ok(Reply::ProvisioningStarted { integration });
                }
                let vault = vault::from_env()?;
                let sink = crate::aws::provision::bus_sink(crate::events::EventBus::new(self.core.clone()));
                let provisioner = crate::aws::AwsProvisioner::from_vault(self.core.clone(), vault).with_events(sink);
                let summary = setup::provision_now(&self.core, &provisioner, &integration.id).await?;
                self.tell(&["devices", "integrations"]);
                Ok(Reply::Provisioned { integration, summary })
            }
        }
    }

    /// A line for each of `devices` whose labels attach more than one decoder (a few, then how
    /// many more): a change that leaves a device so is made, but the user is told at once.
    fn decoder_conflicts(store: &crate::Store, devices: &[Device]) -> Result<Vec<String>, ControlError> {
        const SHOWN: usize = 10;
        let mut lines = Vec::new();
        let mut more = 0;
        for d in devices {
            if let crate::views::DeviceDecoderView::Conflict { message } = crate::views::device_decoder(store, &d.id)? {
                if lines.len() < SHOWN {
                    lines.push(format!("device {:?} ({}): {message}", d.name, d.id));
                } else {
                    more += 1;
                }
            }
        }
        if more > 0 {
            lines.push(format!("and {more} more device(s) like these"));
        }
        Ok(lines)
    }

    /// Applies a change the store holds to the running bridge, then tells the watchers.
    async fn applied(&self, change: Change, what: &[&str]) -> Result<(), ControlError> {
        self.engine.apply(change).await?;
        self.tell(what);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
