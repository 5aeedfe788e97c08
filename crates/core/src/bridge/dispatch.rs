//! Keeps one AWS session per (integration, device) route, started when the route first has
//! work and stopped when its integration is disabled or the bridge shuts down.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::inbox::Inbox;
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
    /// Stop the integration's sessions (it is about to be removed); answers once they ended.
    StopIntegration(String, tokio::sync::oneshot::Sender<()>),
}

struct Session {
    inbox: Arc<Inbox>,
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
                // Old sessions end first (bounded), then new ones start with the new settings;
                // the dispatcher keeps routing meanwhile.
                let ended = stop_sessions(&inner, &mut sessions, &id);
                inner.provisioner.forget(&id);
                let routes = inner.routes.clone();
                tokio::spawn(async move {
                    ended.await;
                    let _ = routes.send(Command::IntegrationChanged(id));
                });
            }
            Command::StopIntegration(id, done) => {
                let ended = stop_sessions(&inner, &mut sessions, &id);
                inner.provisioner.forget(&id);
                tokio::spawn(async move {
                    ended.await;
                    let _ = done.send(());
                });
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
                    // Disabled: stop at once, without waiting for them.
                    signal_stop(&inner, &mut sessions, &id);
                }
            }
        }
    }
    for (route, s) in sessions {
        inner.inboxes.remove(&route);
        let _ = s.stop.send(true);
        let _ = s.task.await;
    }
}

/// How long ending sessions may take to finish what they do before they are aborted
/// (provisioning is resumable; unacknowledged uplinks stay in the outbox).
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Tells the integration's sessions to stop and returns a future that resolves once they
/// ended (or were aborted after `STOP_GRACE`).
fn stop_sessions(
    inner: &Inner,
    sessions: &mut HashMap<Route, Session>,
    integration_id: &str,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let tasks = signal_stop(inner, sessions, integration_id);
    async move {
        let aborts: Vec<_> = tasks.iter().map(|t| t.abort_handle()).collect();
        let all = futures_util::future::join_all(tasks);
        if tokio::time::timeout(STOP_GRACE, all).await.is_err() {
            aborts.iter().for_each(|a| a.abort());
        }
    }
}

/// Tells the integration's sessions to stop and forgets them; returns their tasks.
fn signal_stop(inner: &Inner, sessions: &mut HashMap<Route, Session>, integration_id: &str) -> Vec<JoinHandle<()>> {
    let stopping: Vec<Route> = sessions.keys().filter(|k| k.0 == integration_id).cloned().collect();
    let mut tasks = Vec::new();
    for k in stopping {
        inner.inboxes.remove(&k);
        if let Some(s) = sessions.remove(&k) {
            let _ = s.stop.send(true);
            tasks.push(s.task);
        }
    }
    tasks
}

fn ensure(inner: &Arc<Inner>, sessions: &mut HashMap<Route, Session>, route: Route) {
    if let Some(s) = sessions.get(&route) {
        if !s.task.is_finished() {
            s.inbox.wake();
            return;
        }
    }
    let inbox = Arc::new(Inbox::default());
    inner.inboxes.insert(route.clone(), inbox.clone());
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(run_session(
        inner.clone(),
        route.0.clone(),
        route.1.clone(),
        inbox.clone(),
        stop_rx,
    ));
    sessions.insert(route, Session { inbox, stop, task });
}
