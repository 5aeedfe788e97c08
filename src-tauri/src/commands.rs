//! IPC commands. Their argument and result types are generated into `ui/src/bindings.ts`.

use std::sync::Arc;

use helium_bridge_core::aws::setup::{self, KeysChecked, RemoveOutcome, UpdateOutcome};
use helium_bridge_core::bridge::ConnectionState;
use helium_bridge_core::domain::{Device, Integration, LabelSummary};
use helium_bridge_core::events::{self, Event};
use helium_bridge_core::ipc::{
    AppInfo, BridgeStatus, CheckKeysInput, IpcError, NewIntegrationInput, UpdateIntegrationInput,
};
use helium_bridge_core::vault::{self, Vault};
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

/// The core for commands that outlive the call's borrow (the AWS ones).
fn core_arc(state: &State<'_, AppState>) -> Result<Arc<Core>, IpcError> {
    state.core.clone().ok_or_else(|| not_open(state))
}

/// Where AWS secret access keys live: the OS keychain, or the opt-in credentials file.
fn vault() -> Result<Arc<dyn Vault>, IpcError> {
    Ok(vault::from_env()?)
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
pub fn set_integration_active(state: State<'_, AppState>, id: String, active: bool) -> Result<(), IpcError> {
    state.bridge.set_integration_active(core(&state)?, &id, active)
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
    let (core, vault) = (core_arc(&state)?, vault()?);
    let (new, keys) = input.into_parts();
    let (integration, _) = setup::add_integration(&core, vault, new, keys).await?;
    let _ = state.bridge.provision_now(&integration.id);
    Ok(integration)
}

/// "Update your AWS connection details"; the running bridge restarts the integration's
/// sessions with the new settings.
#[tauri::command]
pub async fn update_integration(
    state: State<'_, AppState>,
    id: String,
    input: UpdateIntegrationInput,
) -> Result<UpdateOutcome, IpcError> {
    let (core, vault) = (core_arc(&state)?, vault()?);
    let (update, keys) = input.into_parts();
    let outcome = setup::update_integration(&core, vault, &id, update, keys).await?;
    state.bridge.integration_reconfigured(&id);
    Ok(outcome)
}

/// Removes an integration, with or without cleaning up what the bridge created in AWS. Its
/// sessions are stopped (and waited for) first, so none provisions while AWS is cleaned up;
/// they start again if the removal fails.
#[tauri::command(rename_all = "snake_case")]
pub async fn remove_integration(
    state: State<'_, AppState>,
    id: String,
    cleanup_aws: bool,
) -> Result<RemoveOutcome, IpcError> {
    let (core, vault) = (core_arc(&state)?, vault()?);
    core.store().get_integration(&id)?;
    state.bridge.stop_integration(&id).await;
    let removed = setup::remove_integration(&core, vault, &id, cleanup_aws).await;
    if removed.is_err() {
        // Still there: its sessions come back.
        let _ = state.bridge.provision_now(&id);
    }
    Ok(removed?)
}

/// Provisions the integration's devices now instead of at their next uplink; progress
/// arrives as `provisioning` events.
#[tauri::command]
pub fn provision_now(state: State<'_, AppState>, id: String) -> Result<(), IpcError> {
    core(&state)?.store().get_integration(&id)?;
    state.bridge.provision_now(&id)
}
