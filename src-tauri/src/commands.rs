//! IPC commands. Their argument and result types are generated into `ui/src/bindings.ts`.

use helium_bridge_core::domain::{Device, Integration, LabelSummary};
use helium_bridge_core::ipc::{AppInfo, IpcError};
use helium_bridge_core::Core;
use tauri::State;

use crate::AppState;

fn core<'a>(state: &'a State<'_, AppState>) -> Result<&'a Core, IpcError> {
    state.core.as_ref().ok_or_else(|| IpcError {
        message: state.info.startup_error.clone().unwrap_or_else(|| "the app's data is not open".into()),
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
