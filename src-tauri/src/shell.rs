//! Desktop conventions around the window: the tray (open, pause or resume bridging, quit),
//! closing to the tray when the setting says so, and notifications when an integration fails
//! or recovers, or when uplinks were lost upstream.

use std::sync::Arc;
use std::time::Duration;

use helium_bridge_core::bridge::HealthAlerts;
use helium_bridge_core::engine::Engine;
use helium_bridge_core::events::EventBus;
use helium_bridge_core::ipc::BridgeStatus;
use helium_bridge_core::Core;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, WindowEvent};
use tauri_plugin_notification::NotificationExt;

use crate::AppState;

/// Brings the main window back (from the tray, or when a second launch asks).
pub fn show_main(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}

/// How WebKitGTK draws and caches, for an app that is one page of lists and forms:
/// - no accelerated compositing: without a GPU (Xvfb, many VMs) it renders through Mesa's
///   software GL, and with it the Messages page under 1,000 uplinks/s took 64 % of a core in
///   the web process, with 23 frames over 50 ms in 30 s; drawn without it, 24 % and none, and
///   the web process idles at 130 MB instead of 213 (the viewer bench). Nothing here needs a GPU: no
///   3D transforms, WebGL or video;
/// - the document-viewer cache model: no back/forward page cache and a small memory cache, as
///   there is one page, loaded once from the app itself.
pub fn tune_webview(app: &AppHandle) {
    #[cfg(target_os = "linux")]
    if let Some(w) = app.get_webview_window("main") {
        let tuned = w.with_webview(|view| {
            use webkit2gtk::{CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt};
            let view = view.inner();
            if let Some(settings) = WebViewExt::settings(&view) {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
            if let Some(context) = view.context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        });
        if let Err(e) = tuned {
            log::warn!("cannot tune the web view: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = app;
}

/// Whether closing the window keeps the app bridging in the tray.
fn close_to_tray(app: &AppHandle) -> bool {
    let state = app.state::<AppState>();
    let tray = app.tray_by_id(TRAY).is_some();
    tray && state
        .core
        .as_ref()
        .and_then(|c| c.store().settings().ok())
        .is_some_and(|s| s.close_to_tray)
}

/// Closing the window hides it when bridging goes on in the tray.
pub fn on_window_event(window: &tauri::Window, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        if close_to_tray(window.app_handle()) {
            api.prevent_close();
            let _ = window.hide();
        }
    }
}

const TRAY: &str = "main";

/// The tray icon and its menu. Without a tray (no indicator support on this desktop) the app
/// just quits when its window closes.
pub fn tray(app: &AppHandle, core: Option<Arc<Core>>, engine: Arc<Engine>) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Helium AWS Bridge", true, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause", "Pause bridging", core.is_some(), None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &pause, &quit])?;
    let pause_item = pause.clone();
    let mut builder = TrayIconBuilder::with_id(TRAY)
        .tooltip("Helium AWS Bridge")
        .menu(&menu)
        .on_menu_event(move |app, event| match event.id.as_ref() {
            "open" => show_main(app),
            "quit" => app.exit(0),
            "pause" => {
                let (Some(core), engine, item) = (core.clone(), engine.clone(), pause_item.clone()) else {
                    return;
                };
                tauri::async_runtime::spawn(async move {
                    if matches!(engine.status(), BridgeStatus::Running) {
                        engine.shutdown(crate::SHUTDOWN_TIMEOUT).await;
                        let _ = item.set_text("Resume bridging");
                    } else {
                        let bus = EventBus::new(core.clone());
                        engine.resume_app(core, bus, Default::default()).await;
                        let _ = item.set_text("Pause bridging");
                    }
                });
            }
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}

/// How often integration health is read for notifications.
const HEALTH_EVERY: Duration = Duration::from_secs(2);

/// Notifies when an integration fails or recovers, and when uplinks were lost upstream (at
/// most once a minute), while the notifications setting is on.
pub fn notify_on_changes(app: AppHandle, core: Arc<Core>, engine: Arc<Engine>) {
    let notify = move |app: &AppHandle, title: &str, body: &str| {
        if core.store().settings().is_ok_and(|s| s.notifications) {
            if let Err(e) = app.notification().builder().title(title).body(body).show() {
                log::warn!("cannot show a notification: {e}");
            }
        }
    };
    let (app2, notify2, engine2) = (app.clone(), notify.clone(), engine.clone());
    let core2 = app.state::<AppState>().core.clone();
    tauri::async_runtime::spawn(async move {
        let Some(core) = core2 else { return };
        let mut alerts = HealthAlerts::default();
        loop {
            tokio::time::sleep(HEALTH_EVERY).await;
            if let Ok(health) = engine2.integration_health(&core) {
                for a in alerts.update(&health) {
                    notify2(&app2, &a.title, &a.body);
                }
            }
        }
    });
    tauri::async_runtime::spawn(async move {
        let mut last: Option<std::time::Instant> = None;
        loop {
            // Each (re)start of the bridge has a new event bus.
            let Ok(mut rx) = engine.subscribe().await else {
                tokio::time::sleep(HEALTH_EVERY).await;
                continue;
            };
            loop {
                let e = match rx.recv().await {
                    Ok(e) => e,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => break,
                };
                let quiet = last.is_some_and(|t| t.elapsed() < Duration::from_secs(60));
                if e.kind == "upstream_gap" && !quiet {
                    last = Some(std::time::Instant::now());
                    notify(&app, "Uplinks were lost before reaching the bridge", &e.message);
                }
            }
        }
    });
}
