//! The desktop shell: a thin Tauri adapter over `helium-bridge-core`. Commands map to core
//! calls; no logic lives here.

mod commands;
mod shell;
mod stream;
mod table;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use helium_bridge_core::{ipc::AppInfo, resolve_data_dir, Core};
use tauri::{Manager, RunEvent};

use crate::stream::Subscriptions;
use helium_bridge_core::control::{socket, Control};
use helium_bridge_core::engine::Engine;

/// Stops serving the control socket when the app exits.
static CONTROL_STOP: std::sync::LazyLock<tokio::sync::watch::Sender<bool>> =
    std::sync::LazyLock::new(|| tokio::sync::watch::channel(false).0);

/// How long exit waits for the bridge to finish what is in flight.
pub(crate) const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// What the commands work on. `core` is `None` when the data could not be opened; the UI
/// then shows `info.startup_error` instead of the pages, and no bridge runs.
pub struct AppState {
    core: Option<Arc<Core>>,
    /// Every change made in the app goes through it, as the CLI's do over its socket.
    control: Option<Arc<Control>>,
    info: AppInfo,
    bridge: Arc<Engine>,
    subscriptions: Subscriptions,
    /// Set once the app is built (dialogs need it).
    app: std::sync::OnceLock<tauri::AppHandle>,
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
        // Said in the window and the log once this instance stays (a second launch on a held
        // data directory hands over to the first instead, saying nothing).
        Err(e) => (String::new(), None, Some(e)),
    };
    let bridge = Engine::new(core.is_some());
    AppState {
        control: core.clone().map(|c| Control::new(c, bridge.clone())),
        bridge,
        core,
        info: AppInfo {
            name: "Helium AWS Bridge".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            data_dir,
            startup_error,
        },
        subscriptions: Subscriptions::default(),
        app: std::sync::OnceLock::new(),
    }
}

pub fn run() {
    let state = open_state();
    let start = state
        .core
        .clone()
        .zip(state.control.clone())
        .map(|(core, control)| (core, control, state.bridge.clone()));
    // One app per data directory: a second launch on the same one focuses this window.
    let instance = resolve_data_dir(data_dir_arg())
        .map(|d| helium_bridge_core::datadir::instance_tag(&d))
        .unwrap_or_else(|_| "default".into());
    let (core, engine) = (state.core.clone(), state.bridge.clone());
    tauri::Builder::default()
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id(format!("org.heliumawsbridge.desktop.{instance}"))
                .callback(|app, _argv, _cwd| shell::show_main(app))
                .build(),
        )
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(
            tauri_plugin_log::Builder::new()
                .level(log::LevelFilter::Info)
                .targets([
                    tauri_plugin_log::Target::new(tauri_plugin_log::TargetKind::LogDir { file_name: None }),
                    tauri_plugin_log::Target::new(tauri_plugin_log::TargetKind::Stderr),
                ])
                .build(),
        )
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .on_window_event(shell::on_window_event)
        .setup(move |app| {
            let _ = app.state::<AppState>().app.set(app.handle().clone());
            shell::tune_webview(app.handle());
            if let Some(e) = &app.state::<AppState>().info.startup_error {
                log::error!("{e}");
            }
            if let Err(e) = shell::tray(app.handle(), core.clone(), engine.clone()) {
                log::warn!("no tray icon ({e}); closing the window quits the app");
            }
            if let Some(core) = core.clone() {
                shell::notify_on_changes(app.handle().clone(), core, engine.clone());
            }
            if let Some((core, control, engine)) = start {
                tauri::async_runtime::spawn(async move {
                    let bus = helium_bridge_core::events::EventBus::new(core.clone());
                    engine.start_app(core.clone(), bus, Default::default()).await;
                    if let helium_bridge_core::ipc::BridgeStatus::Failed { error } = engine.status() {
                        log::error!("{error}");
                    }
                    // The CLI reaches the app through it (changes still reach the store, and
                    // the next start, when the bridge could not start).
                    if let Err(e) = socket::serve(control, core.data_dir(), CONTROL_STOP.subscribe()) {
                        log::error!("cannot open the control socket: {e}");
                    }
                });
            }
            Ok(())
        })
        .invoke_handler(commands::handler())
        .build(tauri::generate_context!())
        .expect("error while running Helium AWS Bridge")
        .run(|app, event| {
            if let RunEvent::Exit = event {
                let _ = CONTROL_STOP.send(true);
                let bridge = app.state::<AppState>().bridge.clone();
                tauri::async_runtime::block_on(bridge.shutdown(SHUTDOWN_TIMEOUT));
            }
        });
}
