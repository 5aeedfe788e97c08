//! The desktop shell: a thin Tauri adapter over `helium-bridge-core`. Commands map to core
//! calls; no logic lives here.

mod commands;

use std::path::PathBuf;

use helium_bridge_core::{ipc::AppInfo, resolve_data_dir, Core};

/// What the commands work on. `core` is `None` when the data could not be opened; the UI
/// then shows `info.startup_error` instead of the pages.
pub struct AppState {
    core: Option<Core>,
    info: AppInfo,
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
        Ok((dir, core)) => (dir.display().to_string(), Some(core), None),
        Err(e) => {
            eprintln!("error: {e}");
            (String::new(), None, Some(e))
        }
    };
    AppState {
        core,
        info: AppInfo {
            name: "Helium AWS Bridge".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            data_dir,
            startup_error,
        },
    }
}

pub fn run() {
    tauri::Builder::default()
        .manage(open_state())
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::list_integrations,
            commands::list_labels,
            commands::list_devices,
        ])
        .run(tauri::generate_context!())
        .expect("error while running Helium AWS Bridge");
}
