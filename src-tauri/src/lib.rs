//! The desktop shell: a thin Tauri adapter over `helium-bridge-core`. Commands map to core
//! calls; no logic lives here.

mod commands;
mod stream;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use helium_bridge_core::{ipc::AppInfo, resolve_data_dir, Core};
use tauri::{Manager, RunEvent};

use crate::stream::Subscriptions;
use helium_bridge_core::engine::Engine;

/// How long exit waits for the bridge to finish what is in flight.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// What the commands work on. `core` is `None` when the data could not be opened; the UI
/// then shows `info.startup_error` instead of the pages, and no bridge runs.
pub struct AppState {
    core: Option<Arc<Core>>,
    info: AppInfo,
    bridge: Arc<Engine>,
    subscriptions: Subscriptions,
}

/// `--data-dir DIR` or `--data-dir=DIR` from the command line, if given.
fn data_dir_arg() -> Option<PathBuf> {
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        if a == "--data-dir" {
            return args.next().map(PathBuf::from);
        }
        if let Some(v) = a.to_str().and_then(|s| s.strip_prefix("--data-dir=")) {
            return Some(PathBuf::from(v));
        }
    }
    None
}

fn open_state() -> AppState {
    let opened = resolve_data_dir(data_dir_arg())
        .map_err(|e| e.to_string())
        .and_then(|dir| Core::open(&dir).map(|c| (dir, c)).map_err(|e| e.to_string()));
    let (data_dir, core, startup_error) = match opened {
        Ok((dir, core)) => (dir.display().to_string(), Some(Arc::new(core)), None),
        Err(e) => {
            eprintln!("error: {e}");
            (String::new(), None, Some(e))
        }
    };
    AppState {
        bridge: Engine::new(core.is_some()),
        core,
        info: AppInfo {
            name: "Helium AWS Bridge".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            data_dir,
            startup_error,
        },
        subscriptions: Subscriptions::default(),
    }
}

pub fn run() {
    let state = open_state();
    let start = state.core.clone().map(|core| (core, state.bridge.clone()));
    tauri::Builder::default()
        .manage(state)
        .setup(move |_| {
            if let Some((core, engine)) = start {
                tauri::async_runtime::spawn(async move {
                    let bus = helium_bridge_core::events::EventBus::new(core.clone());
                    engine.start_app(core, bus, Default::default()).await;
                    if let helium_bridge_core::ipc::BridgeStatus::Failed { error } = engine.status() {
                        eprintln!("error: {error}");
                    }
                });
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::list_integrations,
            commands::list_labels,
            commands::list_devices,
            commands::bridge_status,
            commands::connection_states,
            commands::set_integration_active,
            commands::recent_events,
            commands::subscribe_events,
            commands::unsubscribe_events,
            commands::check_aws_keys,
            commands::add_integration,
            commands::update_integration,
            commands::remove_integration,
            commands::provision_now,
        ])
        .build(tauri::generate_context!())
        .expect("error while running Helium AWS Bridge")
        .run(|app, event| {
            if let RunEvent::Exit = event {
                let bridge = app.state::<AppState>().bridge.clone();
                tauri::async_runtime::block_on(bridge.shutdown(SHUTDOWN_TIMEOUT));
            }
        });
}
