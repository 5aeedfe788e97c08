//! IPC commands. Their argument and result types are generated into `ui/src/bindings.ts`.

use helium_bridge_core::aws::setup::{self, KeysChecked, RemoveOutcome, UpdateOutcome};
use helium_bridge_core::bridge::ConnectionState;
use helium_bridge_core::bridge::IntegrationHealth;
use helium_bridge_core::control::{Changed, Reply, Request, Target};
use helium_bridge_core::domain::{Device, Integration, Label, LabelSummary, Source};
use helium_bridge_core::events::{self, Event};
use helium_bridge_core::ipc::{
    AppInfo, BridgeStatus, CheckKeysInput, IpcError, NewIntegrationInput, SourceInput, SourceRemoved, SourceTestInput,
    UpdateIntegrationInput,
};
use helium_bridge_core::sources::Probe;
use helium_bridge_core::store::Settings;
use helium_bridge_core::views::{self, DeviceDetails, IntegrationDetails};
use helium_bridge_core::Core;
use tauri::ipc::Channel;
use tauri::State;

use crate::stream::{BATCH_INTERVAL, BATCH_MAX};
use crate::AppState;

/// Why commands cannot reach the core: the data could not be opened at startup.
fn not_open(state: &State<'_, AppState>) -> IpcError {
    IpcError {
        message: state
            .info
            .startup_error
            .clone()
            .unwrap_or_else(|| "the app's data is not open".into()),
    }
}

fn core<'a>(state: &'a State<'_, AppState>) -> Result<&'a Core, IpcError> {
    state.core.as_deref().ok_or_else(|| not_open(state))
}

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    state.info.clone()
}

#[tauri::command]
pub fn list_integrations(state: State<'_, AppState>) -> Result<Vec<Integration>, IpcError> {
    Ok(core(&state)?.store().list_integrations()?)
}

#[tauri::command]
pub fn list_labels(state: State<'_, AppState>) -> Result<Vec<LabelSummary>, IpcError> {
    Ok(core(&state)?.store().list_labels()?)
}

#[tauri::command]
pub fn list_devices(state: State<'_, AppState>) -> Result<Vec<Device>, IpcError> {
    Ok(core(&state)?.store().list_devices()?)
}

#[tauri::command]
pub fn bridge_status(state: State<'_, AppState>) -> BridgeStatus {
    state.bridge.status()
}

#[tauri::command]
pub fn connection_states(state: State<'_, AppState>) -> Result<Vec<ConnectionState>, IpcError> {
    state.bridge.connection_states()
}

#[tauri::command]
pub async fn set_integration_active(state: State<'_, AppState>, id: String, active: bool) -> Result<(), IpcError> {
    change(
        &state,
        Request::IntegrationSetActive {
            integration: id,
            active,
        },
    )
    .await
    .map(drop)
}

/// Makes a change through the control plane (the same path the CLI's take).
async fn change(state: &State<'_, AppState>, req: Request) -> Result<Reply, IpcError> {
    let control = state.control.clone().ok_or_else(|| not_open(state))?;
    Ok(control.handle(req).await?)
}

fn unexpected(reply: Reply) -> IpcError {
    IpcError {
        message: format!("unexpected answer: {reply:?}"),
    }
}

fn label_of(reply: Reply) -> Result<Label, IpcError> {
    match reply {
        Reply::Label { label } | Reply::LabelRemoved { label } | Reply::Linked { label, .. } => Ok(label),
        other => Err(unexpected(other)),
    }
}

/// Tells `channel` what changed (from the app or the CLI) until the app closes, so views
/// reload. Works offline and while the bridge is stopped.
#[tauri::command]
pub fn subscribe_changes(state: State<'_, AppState>, channel: Channel<Changed>) -> Result<(), IpcError> {
    let control = state.control.clone().ok_or_else(|| not_open(&state))?;
    let mut rx = control.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            let changed = match rx.recv().await {
                Ok(c) => c,
                // Missed some: everything may have changed.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => Changed {
                    what: ["labels", "devices", "sources", "integrations"]
                        .map(String::from)
                        .to_vec(),
                },
                Err(_) => return,
            };
            if channel.send(changed).is_err() {
                return;
            }
        }
    });
    Ok(())
}

#[tauri::command]
pub async fn create_label(state: State<'_, AppState>, name: String) -> Result<Label, IpcError> {
    label_of(change(&state, Request::LabelAdd { name }).await?)
}

#[tauri::command]
pub async fn rename_label(state: State<'_, AppState>, id: String, name: String) -> Result<Label, IpcError> {
    label_of(change(&state, Request::LabelRename { label: id, name }).await?)
}

#[tauri::command]
pub async fn remove_label(state: State<'_, AppState>, id: String) -> Result<Label, IpcError> {
    label_of(change(&state, Request::LabelRemove { label: id }).await?)
}

/// Puts the label on every target (`{kind: "device" | "integration", id}`; a device also by
/// DevEUI), all or none.
#[tauri::command]
pub async fn attach_label(state: State<'_, AppState>, id: String, targets: Vec<Target>) -> Result<Label, IpcError> {
    label_of(change(&state, Request::LabelAttach { label: id, targets }).await?)
}

/// Takes the label off every target (each must carry it), all or none.
#[tauri::command]
pub async fn detach_label(state: State<'_, AppState>, id: String, targets: Vec<Target>) -> Result<Label, IpcError> {
    label_of(change(&state, Request::LabelDetach { label: id, targets }).await?)
}

#[tauri::command]
pub fn list_sources(state: State<'_, AppState>) -> Result<Vec<Source>, IpcError> {
    Ok(core(&state)?.store().list_sources()?)
}

fn source_of(reply: Reply) -> Result<Source, IpcError> {
    match reply {
        Reply::Source { source } => Ok(source),
        other => Err(unexpected(other)),
    }
}

/// Adds a source (its secret goes to the keychain only); the running bridge starts it at once.
#[tauri::command]
pub async fn add_source(state: State<'_, AppState>, input: SourceInput) -> Result<Source, IpcError> {
    let (name, config, secret) = input.into_parts();
    source_of(change(&state, Request::SourceAdd { name, config, secret }).await?)
}

/// Replaces a source's settings; the running bridge restarts it with them.
#[tauri::command]
pub async fn update_source(state: State<'_, AppState>, id: String, input: SourceInput) -> Result<Source, IpcError> {
    let (name, config, secret) = input.into_parts();
    let req = Request::SourceUpdate {
        source: id,
        name,
        config,
        secret,
    };
    source_of(change(&state, req).await?)
}

#[tauri::command]
pub async fn set_source_paused(state: State<'_, AppState>, id: String, paused: bool) -> Result<Source, IpcError> {
    source_of(change(&state, Request::SourceSetPaused { source: id, paused }).await?)
}

#[tauri::command]
pub async fn remove_source(state: State<'_, AppState>, id: String) -> Result<SourceRemoved, IpcError> {
    match change(&state, Request::SourceRemove { source: id }).await? {
        Reply::SourceRemoved {
            source,
            secret_deleted,
            warning,
        } => Ok(SourceRemoved {
            name: source.name,
            secret_deleted,
            warning,
        }),
        other => Err(unexpected(other)),
    }
}

/// Connects with the form's settings and reports what it found; changes nothing.
#[tauri::command]
pub async fn test_source(state: State<'_, AppState>, input: SourceTestInput) -> Result<Probe, IpcError> {
    Ok(input.run(core(&state)?).await?)
}

/// Every integration's health: worst session state, backlog, deliveries.
#[tauri::command]
pub fn integration_health(state: State<'_, AppState>) -> Result<Vec<IntegrationHealth>, IpcError> {
    state.bridge.integration_health(core(&state)?)
}

#[tauri::command]
pub fn integration_details(state: State<'_, AppState>, id: String) -> Result<IntegrationDetails, IpcError> {
    views::integration_details(core(&state)?, &state.bridge, &id)
}

#[tauri::command]
pub fn device_details(state: State<'_, AppState>, id: String) -> Result<DeviceDetails, IpcError> {
    views::device_details(core(&state)?, &state.bridge, &id)
}

/// A downlink from the device page, through the same checks and path as one from AWS.
#[tauri::command(rename_all = "snake_case")]
pub async fn send_downlink(
    state: State<'_, AppState>,
    id: String,
    port: u8,
    confirmed: bool,
    payload_raw: String,
) -> Result<(), IpcError> {
    let req = Request::DeviceDownlink {
        device: id,
        port,
        confirmed,
        payload_raw,
    };
    change(&state, req).await.map(drop)
}

#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> Result<Settings, IpcError> {
    Ok(core(&state)?.store().settings()?)
}

#[tauri::command]
pub async fn save_settings(state: State<'_, AppState>, settings: Settings) -> Result<Settings, IpcError> {
    match change(&state, Request::SettingsSave { settings }).await? {
        Reply::Settings { settings } => Ok(settings),
        other => Err(unexpected(other)),
    }
}

/// The newest `limit` events, oldest first.
#[tauri::command]
pub fn recent_events(state: State<'_, AppState>, limit: usize) -> Result<Vec<Event>, IpcError> {
    Ok(core(&state)?.store().recent_events(limit)?)
}

/// Streams live events into `channel` in batches until `unsubscribe_events(channel.id)`.
/// Resolves once the stream is attached (after the bridge has started).
#[tauri::command]
pub async fn subscribe_events(state: State<'_, AppState>, channel: Channel<Vec<Event>>) -> Result<(), IpcError> {
    let rx = state.bridge.subscribe().await?;
    let id = channel.id();
    let task = tauri::async_runtime::spawn(events::forward_batches(rx, BATCH_INTERVAL, BATCH_MAX, move |batch| {
        channel.send(batch).is_ok()
    }));
    state.subscriptions.insert(id, task);
    Ok(())
}

/// Ends the stream of the channel with this id; false if there was none.
#[tauri::command]
pub fn unsubscribe_events(state: State<'_, AppState>, id: u32) -> bool {
    state.subscriptions.remove(id)
}

/// The wizard's "Check keys": whose keys they are, and the region's IoT data endpoint. Nothing
/// is saved.
#[tauri::command]
pub async fn check_aws_keys(input: CheckKeysInput) -> Result<KeysChecked, IpcError> {
    let keys = input.keys.into_keys();
    Ok(setup::check_keys(&keys, input.region.trim(), input.api_url.as_deref()).await?)
}

/// Adds an integration (its keys are checked with AWS first; the secret goes to the vault).
/// Its devices get sessions as labels link them; a running bridge is asked to provision any
/// already linked.
#[tauri::command]
pub async fn add_integration(state: State<'_, AppState>, input: NewIntegrationInput) -> Result<Integration, IpcError> {
    let (new, keys) = input.into_parts();
    let keys = keys.map(Into::into);
    match change(&state, Request::IntegrationAdd { new, keys }).await? {
        Reply::IntegrationAdded { integration, .. } => Ok(integration),
        other => Err(unexpected(other)),
    }
}

/// "Update your AWS connection details"; the running bridge restarts the integration's
/// sessions with the new settings.
#[tauri::command]
pub async fn update_integration(
    state: State<'_, AppState>,
    id: String,
    input: UpdateIntegrationInput,
) -> Result<UpdateOutcome, IpcError> {
    let (update, keys) = input.into_parts();
    let keys = keys.map(Into::into);
    let req = Request::IntegrationUpdate {
        integration: id,
        update,
        keys,
    };
    match change(&state, req).await? {
        Reply::IntegrationUpdated { outcome } => Ok(outcome),
        other => Err(unexpected(other)),
    }
}

/// Removes an integration, with or without cleaning up what the bridge created in AWS (its
/// sessions stop first, and come back if it is kept).
#[tauri::command(rename_all = "snake_case")]
pub async fn remove_integration(
    state: State<'_, AppState>,
    id: String,
    cleanup_aws: bool,
) -> Result<RemoveOutcome, IpcError> {
    let req = Request::IntegrationRemove {
        integration: id,
        cleanup_aws,
    };
    match change(&state, req).await? {
        Reply::IntegrationRemoved { outcome } => Ok(outcome),
        other => Err(unexpected(other)),
    }
}

/// Provisions the integration's devices now instead of at their next uplink; progress
/// arrives as `provisioning` events.
#[tauri::command]
pub fn provision_now(state: State<'_, AppState>, id: String) -> Result<(), IpcError> {
    core(&state)?.store().get_integration(&id)?;
    state.bridge.provision_now(&id)
}
