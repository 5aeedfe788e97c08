//! IPC commands. Their argument and result types are generated into `ui/src/bindings.ts`.

use helium_bridge_core::bridge::ConnectionState;
use helium_bridge_core::domain::{Device, Integration, LabelSummary};
use helium_bridge_core::events::{self, Event};
use helium_bridge_core::ipc::{AppInfo, BridgeStatus, IpcError};
use helium_bridge_core::Core;
use tauri::ipc::Channel;
use tauri::State;

use crate::stream::{BATCH_INTERVAL, BATCH_MAX};
use crate::AppState;

fn core<'a>(state: &'a State<'_, AppState>) -> Result<&'a Core, IpcError> {
    state.core.as_deref().ok_or_else(|| IpcError {
        message: state
            .info
            .startup_error
            .clone()
            .unwrap_or_else(|| "the app's data is not open".into()),
    })
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
