//! `run` (the bridge in the foreground) and `monitor` (its events, live, without the lock).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use helium_bridge_core::bridge::BridgeOptions;
use helium_bridge_core::control::{socket, Control};
use helium_bridge_core::datadir::DB_FILE;
use helium_bridge_core::engine::Engine;
use helium_bridge_core::events::{Event, EventBus};
use helium_bridge_core::ipc::BridgeStatus;
use helium_bridge_core::{Core, Store, StoreError};
use tokio::sync::{broadcast, oneshot};

use crate::{output, runtime, Result};

/// How often `monitor` looks for new events, and how many it reads at a time.
const POLL: Duration = Duration::from_millis(200);
const BATCH: usize = 500;
/// How long `run` waits for the bridge to stop (it lets in-flight publishes finish, bounded).
const SHUTDOWN_WITHIN: Duration = Duration::from_secs(30);

/// SIGINT and SIGTERM, installed before anything slow so neither kills us mid-way.
#[cfg(unix)]
struct Stop(tokio::signal::unix::Signal, tokio::signal::unix::Signal);

#[cfg(unix)]
impl Stop {
    const HOW: &'static str = "Ctrl-C or SIGTERM";

    fn install() -> Result<Stop> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Stop(signal(SignalKind::interrupt())?, signal(SignalKind::terminate())?))
    }

    async fn wait(&mut self) -> &'static str {
        tokio::select! {
            _ = self.0.recv() => "SIGINT",
            _ = self.1.recv() => "SIGTERM",
        }
    }
}

/// Ctrl-C and Ctrl-Break (and the console closing), as a Windows console sends them.
#[cfg(windows)]
struct Stop(
    tokio::signal::windows::CtrlC,
    tokio::signal::windows::CtrlBreak,
    tokio::signal::windows::CtrlClose,
);

#[cfg(windows)]
impl Stop {
    const HOW: &'static str = "Ctrl-C";

    fn install() -> Result<Stop> {
        use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close};
        Ok(Stop(ctrl_c()?, ctrl_break()?, ctrl_close()?))
    }

    async fn wait(&mut self) -> &'static str {
        tokio::select! {
            _ = self.0.recv() => "Ctrl-C",
            _ = self.1.recv() => "Ctrl-Break",
            _ = self.2.recv() => "the console closing",
        }
    }
}

pub fn run(dir: &Path, outbox_max: i64, outbox_warn_age_s: u64, lns_window: u16) -> Result {
    runtime()?.block_on(async {
        let mut stop = Stop::install()?;
        let core = Arc::new(Core::open(dir)?);
        // Sources that take uplinks (a paused one takes none), and the paused ones apart.
        let (sources, paused, integrations) = {
            let store = core.store();
            let all = store.list_sources()?;
            let paused = all.iter().filter(|s| s.paused).count();
            (
                all.len() - paused,
                paused,
                store.list_integrations()?.iter().filter(|i| i.active).count(),
            )
        };
        // Subscribe before starting, so the log has every event, the first ones included.
        let bus = EventBus::new(core.clone());
        let (done_tx, done_rx) = oneshot::channel();
        let printer = tokio::spawn(print_events(bus.subscribe(), done_rx));
        let engine = Engine::new(true);
        let opts = BridgeOptions {
            outbox_max_entries: outbox_max,
            outbox_warn_age: std::time::Duration::from_secs(outbox_warn_age_s),
            lns_window,
            ..BridgeOptions::default()
        };
        engine.start_app(core.clone(), bus, opts).await;
        if let BridgeStatus::Failed { error } = engine.status() {
            let _ = done_tx.send(());
            let _ = printer.await;
            return Err(error.into());
        }
        // Other CLI commands reach this bridge through the control socket.
        let (stop_control, control_stopped) = tokio::sync::watch::channel(false);
        socket::serve(Control::new(core, engine.clone()), dir, control_stopped)
            .map_err(|e| format!("cannot open the control socket in {}: {e}", dir.display()))?;
        let paused = match paused {
            0 => String::new(),
            n => format!(" ({n} paused)"),
        };
        note!(
            "bridge running in {}: {sources} source(s){paused}, {integrations} active integration(s); stop with {}",
            dir.display(),
            Stop::HOW
        );
        if sources == 0 && paused.is_empty() {
            note!("warning: no sources: nothing will arrive; add one with `helium-aws-bridge source add`");
        } else if sources == 0 {
            note!("warning: every source is paused: nothing will arrive; `helium-aws-bridge source resume NAME`");
        }
        let why = stop.wait().await;
        note!("{why}: stopping the bridge…");
        let _ = stop_control.send(true);
        engine.shutdown(SHUTDOWN_WITHIN).await;
        let _ = done_tx.send(());
        let _ = printer.await;
        Ok(())
    })
}

/// Prints bus events to stderr until told to stop, then whatever is still queued.
async fn print_events(mut rx: broadcast::Receiver<Event>, mut done: oneshot::Receiver<()>) {
    let print = |r: std::result::Result<Event, broadcast::error::RecvError>| match r {
        Ok(e) => {
            note!("{}", output::event_line(&e));
            helium_bridge_core::test_hooks::crash_drill(&e);
            true
        }
        Err(broadcast::error::RecvError::Lagged(n)) => {
            note!("warning: {n} event(s) were not shown here (see `helium-aws-bridge monitor --since-id`)");
            true
        }
        Err(broadcast::error::RecvError::Closed) => false,
    };
    loop {
        tokio::select! {
            r = rx.recv() => if !print(r) { return },
            _ = &mut done => break,
        }
    }
    loop {
        match rx.try_recv() {
            Ok(e) => note!("{}", output::event_line(&e)),
            Err(broadcast::error::TryRecvError::Lagged(n)) => {
                print(Err(broadcast::error::RecvError::Lagged(n)));
            }
            Err(_) => return,
        }
    }
}

pub fn monitor(dir: &Path, json: bool, since_id: Option<i64>) -> Result {
    let db = dir.join(DB_FILE);
    let store = Store::open_reader(&db).map_err(|e| match e {
        StoreError::NotFound(_) => format!(
            "there is no database in {} yet; nothing to monitor (start the bridge with \
             `helium-aws-bridge run`, or check --data-dir)",
            dir.display()
        ),
        other => format!("cannot read the database {}: {other}", db.display()),
    })?;
    let newest = store.last_event_id()?;
    let mut last = match since_id {
        // An id from another database (or a typo) would hide every new event until it is reached.
        Some(n) if n > newest => {
            note!("there is no event #{n} yet (the newest is #{newest}): only new ones are printed");
            newest
        }
        Some(n) => n.max(0),
        None => newest,
    };
    note!("watching events in {} after #{last}; stop with Ctrl-C", dir.display());
    // Waiting in silence for a bridge that is not there looked like a hang.
    if socket::Client::connect(dir).is_err() {
        note!("no bridge is running on this data directory: events come once the desktop app or `helium-aws-bridge run` starts");
    }
    runtime()?.block_on(async {
        let mut stop = Stop::install()?;
        loop {
            loop {
                let batch = store.events_after(last, BATCH)?;
                for e in &batch {
                    if json {
                        out!("{}", serde_json::to_string(e)?);
                    } else {
                        out!("{}", output::event_line(e));
                    }
                    last = e.id;
                }
                if batch.len() < BATCH {
                    break;
                }
            }
            tokio::select! {
                _ = stop.wait() => return Ok(()),
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    })
}
