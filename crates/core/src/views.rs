//! What the detail pages show, read in one go: an integration with the devices it pipes, and
//! a device with where its uplinks go. Shared by the desktop and the CLI.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::bridge::{IntegrationHealth, SessionState};
use crate::domain::{Device, Integration, Label};
use crate::engine::Engine;
use crate::events::Event;
use crate::ipc::IpcError;
use crate::Core;

/// A device an integration pipes (it shares a label with it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PipedDevice {
    pub device: Device,
    /// Where AWS users publish its downlinks.
    pub downlink_topic: String,
    /// Its AWS session for this integration, once one ran.
    pub session: Option<SessionState>,
}

/// The seed's "Integration Details".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IntegrationDetails {
    pub integration: Integration,
    pub labels: Vec<Label>,
    pub devices: Vec<PipedDevice>,
    pub health: IntegrationHealth,
}

/// An integration a device's uplinks go to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DeviceRoute {
    pub integration_id: String,
    pub name: String,
    pub active: bool,
    /// Its AWS thing and certificate exist and are usable.
    pub provisioned: bool,
    pub session: Option<SessionState>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DeviceDetails {
    pub device: Device,
    /// The AWS IoT thing name (the device id).
    pub thing_name: String,
    /// The name of the source it was last heard on (`None`: not heard yet, or since removed).
    pub source_name: Option<String>,
    pub downlink_topic: String,
    pub labels: Vec<Label>,
    /// Integrations it shares a label with.
    pub integrations: Vec<DeviceRoute>,
    /// The decoder its labels attach, or why none runs (two attach different ones).
    pub decoder: DeviceDecoderView,
    /// Newest last.
    pub recent_events: Vec<Event>,
}

/// Which decoder a device's uplinks go through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeviceDecoderView {
    /// No label of the device carries a decoder.
    None,
    One {
        name: String,
        kind: crate::domain::DecoderKind,
        via: Vec<String>,
    },
    /// Labels attach different decoders: each uplink's `decoded` is an error saying so.
    Conflict { message: String },
}

fn health_of(engine: &Engine, core: &Core, id: &str) -> Result<IntegrationHealth, IpcError> {
    engine
        .integration_health(core)?
        .into_iter()
        .find(|h| h.id == id)
        .ok_or_else(|| IpcError::new("not_found", format!("integration {id:?} not found")))
}

pub fn integration_details(core: &Core, engine: &Engine, id_or_name: &str) -> Result<IntegrationDetails, IpcError> {
    let (integration, labels, devices) = {
        let store = core.store();
        let integration = store.find_integration(id_or_name)?;
        let labels = store.integration_labels(&integration.id)?;
        let devices = store.piped_devices(&integration.id)?;
        (integration, labels, devices)
    };
    let health = health_of(engine, core, &integration.id)?;
    let devices = devices
        .into_iter()
        .map(|device| PipedDevice {
            downlink_topic: crate::bridge::downlink_topic(&device.id),
            session: health.sessions.iter().find(|s| s.device_id == device.id).cloned(),
            device,
        })
        .collect();
    Ok(IntegrationDetails {
        integration,
        labels,
        devices,
        health,
    })
}

/// How many recent events a device page shows.
const DEVICE_EVENTS: usize = 50;

pub fn device_details(core: &Core, engine: &Engine, id_or_eui: &str) -> Result<DeviceDetails, IpcError> {
    let (device, source_name, labels, routes, identities, mut events, decoders) = {
        let store = core.store();
        let device = store.find_device(id_or_eui)?;
        let source_name = store.find_source(&device.source).ok().map(|s| s.name);
        let labels = store.device_labels(&device.id)?;
        let routes: Vec<Integration> = store
            .list_integrations()?
            .into_iter()
            .filter(|i| {
                store
                    .integration_labels(&i.id)
                    .is_ok_and(|l| l.iter().any(|l| labels.contains(l)))
            })
            .collect();
        let identities = routes
            .iter()
            .map(|i| {
                store
                    .get_device_identity(&i.id, &device.id)
                    .map(|x| x.is_some_and(|x| x.ready))
            })
            .collect::<Result<Vec<bool>, _>>()?;
        let events = store.device_events(&device.id, DEVICE_EVENTS)?;
        let decoders = store.decoders_for_device(&device.id)?;
        (device, source_name, labels, routes, identities, events, decoders)
    };
    let decoder = decoder_view(&decoders);
    events.sort_by_key(|e| e.id);
    let health = engine.integration_health(core)?;
    let integrations = routes
        .into_iter()
        .zip(identities)
        .map(|(i, provisioned)| DeviceRoute {
            session: health
                .iter()
                .find(|h| h.id == i.id)
                .and_then(|h| h.sessions.iter().find(|s| s.device_id == device.id).cloned()),
            integration_id: i.id,
            name: i.name,
            active: i.active,
            provisioned,
        })
        .collect();
    Ok(DeviceDetails {
        thing_name: device.id.clone(),
        source_name,
        downlink_topic: crate::bridge::downlink_topic(&device.id),
        device,
        labels,
        integrations,
        decoder,
        recent_events: events,
    })
}

/// Which decoder the device's labels bring: none, one (and through which labels), or a conflict.
pub fn device_decoder(store: &crate::Store, device_id: &str) -> Result<DeviceDecoderView, crate::StoreError> {
    Ok(decoder_view(&store.decoders_for_device(device_id)?))
}

fn decoder_view(decoders: &[(crate::domain::Decoder, Vec<String>)]) -> DeviceDecoderView {
    match decoders {
        [] => DeviceDecoderView::None,
        [(d, via)] => DeviceDecoderView::One {
            name: d.name.clone(),
            kind: d.kind,
            via: via.clone(),
        },
        many => DeviceDecoderView::Conflict {
            message: format!(
                "its labels attach {} decoders ({}): each uplink's decoded is an error until one is detached",
                many.len(),
                many.iter()
                    .map(|(d, via)| format!("{:?} through {}", d.name, via.join(", ")))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        },
    }
}
