//! Keeps one AWS session per (integration, device) route, started when the route first has
//! work and stopped when its integration is disabled or the bridge shuts down.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinHandle;

use super::Inner;
use crate::aws::run_session;
use crate::events::Event;

pub(crate) enum Command {
    /// The route has new uplinks.
    Route { integration_id: String, device_id: String },
    /// Start sessions for every known route (bridge start, integration re-enabled).
    Resume,
    /// An integration was enabled or disabled (or asked to provision its devices now).
    IntegrationChanged(String),
    /// An integration's keys, region or endpoints changed: its sessions restart with them.
    IntegrationReconfigured(String),
}

struct Session {
    notify: Arc<Notify>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

type Route = (String, String);

pub(crate) async fn run(inner: Arc<Inner>, mut rx: mpsc::UnboundedReceiver<Command>) {
    let mut sessions: HashMap<Route, Session> = HashMap::new();
    let mut shutdown = inner.shutdown.clone();
    loop {
        let cmd = tokio::select! {
            _ = shutdown.changed() => break,
            cmd = rx.recv() => match cmd { Some(c) => c, None => break },
        };
        match cmd {
            Command::Route {
                integration_id,
                device_id,
            } => ensure(&inner, &mut sessions, (integration_id, device_id)),
            Command::Resume => {
                let routes = inner.core.store().known_routes();
                match routes {
                    Ok(routes) => routes.into_iter().for_each(|r| ensure(&inner, &mut sessions, r)),
                    Err(e) => inner
                        .events
                        .emit(Event::new("bridge", "error", format!("could not read routes: {e}"))),
                }
            }
            Command::IntegrationReconfigured(id) => {
                let stopping: Vec<Route> = sessions.keys().filter(|k| k.0 == id).cloned().collect();
                for k in stopping {
                    if let Some(s) = sessions.remove(&k) {
                        let _ = s.stop.send(true);
                        let _ = s.task.await;
                    }
                }
                inner.provisioner.forget(&id);
                let routes = inner.core.store().known_routes().unwrap_or_default();
                routes
                    .into_iter()
                    .filter(|r| r.0 == id)
                    .for_each(|r| ensure(&inner, &mut sessions, r));
            }
            Command::IntegrationChanged(id) => {
                let active = inner
                    .core
                    .store()
                    .get_integration(&id)
                    .map(|i| i.active)
                    .unwrap_or(false);
                if active {
                    let routes = inner.core.store().known_routes().unwrap_or_default();
                    routes
                        .into_iter()
                        .filter(|r| r.0 == id)
                        .for_each(|r| ensure(&inner, &mut sessions, r));
                } else {
                    let stopping: Vec<Route> = sessions.keys().filter(|k| k.0 == id).cloned().collect();
                    for k in stopping {
                        if let Some(s) = sessions.remove(&k) {
                            let _ = s.stop.send(true);
                        }
                    }
                }
            }
        }
    }
    for (_, s) in sessions {
        let _ = s.stop.send(true);
        let _ = s.task.await;
    }
}

fn ensure(inner: &Arc<Inner>, sessions: &mut HashMap<Route, Session>, route: Route) {
    if let Some(s) = sessions.get(&route) {
        if !s.task.is_finished() {
            s.notify.notify_one();
            return;
        }
    }
    let notify = Arc::new(Notify::new());
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(run_session(
        inner.clone(),
        route.0.clone(),
        route.1.clone(),
        notify.clone(),
        stop_rx,
    ));
    sessions.insert(route, Session { notify, stop, task });
}
