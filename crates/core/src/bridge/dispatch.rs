//! Keeps one AWS session per (endpoint, device), shared by every integration that routes the
//! device to that endpoint; started when a route first has work, replaced when the set of
//! integrations it serves changes, stopped when the bridge shuts down.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::inbox::Inbox;
use super::session::{endpoint_key, run_session, SessionKey};
use super::Inner;
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
    /// Labels or their links changed: sessions serve the integrations that share a label with
    /// their device now, and routes that appeared get sessions.
    LabelsChanged,
    /// A session that was being replaced has ended: start its successor.
    Replaced(SessionKey),
}

struct Session {
    inbox: Arc<Inbox>,
    /// The integrations whose entries it publishes.
    members: Vec<String>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

struct Dispatch {
    inner: Arc<Inner>,
    sessions: HashMap<SessionKey, Session>,
    /// Sessions waiting for their predecessor to end (AWS would drop one of two connections
    /// with the same client id): routes to them wait for `Replaced`.
    replacing: HashSet<SessionKey>,
    /// Integrations being removed: no session serves them again.
    removed: HashSet<String>,
}

pub(crate) async fn run(inner: Arc<Inner>, mut rx: mpsc::UnboundedReceiver<Command>) {
    let mut d = Dispatch {
        inner: inner.clone(),
        sessions: HashMap::new(),
        replacing: HashSet::new(),
        removed: HashSet::new(),
    };
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
            } => d.route(&integration_id, &device_id),
            Command::Resume => d.resume(None),
            Command::LabelsChanged => {
                d.regroup();
                d.resume(None);
            }
            Command::Replaced(key) => {
                d.replacing.remove(&key);
                if !d.sessions.contains_key(&key) {
                    d.start(key);
                }
            }
            Command::IntegrationReconfigured(id) => {
                // Old sessions end first (bounded), then new ones start with the new settings
                // (the endpoint may have changed too); the dispatcher keeps routing meanwhile.
                let ended = d.replace_serving(&id);
                inner.provisioner.forget(&id);
                let routes = inner.routes.clone();
                tokio::spawn(async move {
                    ended.await;
                    let _ = routes.send(Command::IntegrationChanged(id));
                });
            }
            Command::StopIntegration(id, done) => {
                d.removed.insert(id.clone());
                let ended = d.replace_serving(&id);
                inner.provisioner.forget(&id);
                tokio::spawn(async move {
                    ended.await;
                    let _ = done.send(());
                });
            }
            Command::IntegrationChanged(id) => {
                d.removed.remove(&id);
                let active = inner
                    .core
                    .store()
                    .get_integration(&id)
                    .map(|i| i.active)
                    .unwrap_or(false);
                if active {
                    d.resume(Some(&id));
                } else {
                    // Disabled: its sessions end at once; integrations sharing them go on.
                    drop(d.replace_serving(&id));
                }
            }
        }
    }
    for (_, s) in d.sessions.drain() {
        let _ = s.stop.send(true);
        let _ = s.task.await;
    }
}

impl Dispatch {
    /// Routes for every known route, or only `integration_id`'s.
    fn resume(&mut self, integration_id: Option<&str>) {
        let routes = self.inner.core.store().known_routes();
        match routes {
            Ok(routes) => routes
                .into_iter()
                .filter(|r| integration_id.is_none_or(|id| r.0 == id))
                .for_each(|(i, dev)| self.route(&i, &dev)),
            Err(e) => self
                .inner
                .events
                .emit(Event::new("bridge", "error", format!("could not read routes: {e}"))),
        }
    }

    fn route(&mut self, integration_id: &str, device_id: &str) {
        if self.removed.contains(integration_id) {
            return;
        }
        let Ok(integration) = self.inner.core.store().get_integration(integration_id) else {
            return;
        };
        if !integration.active {
            return;
        }
        let key = SessionKey {
            endpoint: endpoint_key(&integration),
            device_id: device_id.to_string(),
        };
        if self.replacing.contains(&key) {
            return;
        }
        match self.sessions.get(&key) {
            Some(s) if !s.task.is_finished() && s.members.iter().any(|m| m == integration_id) => s.inbox.wake(),
            // Serves other integrations only: its successor serves this one too.
            Some(s) if !s.task.is_finished() => drop(self.replace(&key)),
            _ => self.start(key),
        }
    }

    /// Replaces every session whose integrations are no longer the ones that share a label
    /// with its device (one was attached or detached); a session left with none ends.
    fn regroup(&mut self) {
        let stale: Vec<SessionKey> = self
            .sessions
            .iter()
            .filter(|(k, s)| !s.task.is_finished() && self.members(k) != s.members)
            .map(|(k, _)| k.clone())
            .collect();
        for key in stale {
            drop(self.replace(&key));
        }
    }

    /// The integrations a new session for `key` serves, oldest first.
    fn members(&self, key: &SessionKey) -> Vec<String> {
        let serving = self.inner.core.store().integrations_serving_device(&key.device_id);
        serving
            .unwrap_or_default()
            .into_iter()
            .filter(|i| endpoint_key(i) == key.endpoint && !self.removed.contains(&i.id))
            .map(|i| i.id)
            .collect()
    }

    fn start(&mut self, key: SessionKey) {
        let members = self.members(&key);
        if let Some(old) = self.sessions.remove(&key) {
            self.forget_inboxes(&key, &old.members);
        }
        if members.is_empty() {
            return;
        }
        let inbox = Arc::new(Inbox::new(self.inner.opts.publish_rate));
        for m in &members {
            self.inner
                .inboxes
                .insert((m.clone(), key.device_id.clone()), inbox.clone());
        }
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(run_session(
            self.inner.clone(),
            key.clone(),
            members.clone(),
            inbox.clone(),
            stop_rx,
        ));
        self.sessions.insert(
            key,
            Session {
                inbox,
                members,
                stop,
                task,
            },
        );
    }

    fn forget_inboxes(&self, key: &SessionKey, members: &[String]) {
        for m in members {
            self.inner.inboxes.remove(&(m.clone(), key.device_id.clone()));
        }
    }

    /// Stops the session; once it ended (bounded), a successor starts with the integrations
    /// that route there then. Resolves when the old one ended.
    fn replace(&mut self, key: &SessionKey) -> impl std::future::Future<Output = ()> + Send + 'static {
        let old = self.sessions.remove(key);
        let routes = self.inner.routes.clone();
        let key = key.clone();
        self.replacing.insert(key.clone());
        let task = old.map(|s| {
            self.forget_inboxes(&key, &s.members);
            let _ = s.stop.send(true);
            s.task
        });
        let (done, ended) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            if let Some(task) = task {
                super::end_within_grace(task).await;
            }
            let _ = done.send(());
            let _ = routes.send(Command::Replaced(key));
        });
        async move {
            let _ = ended.await;
        }
    }

    /// Replaces every session that serves the integration; resolves when all of them ended.
    fn replace_serving(&mut self, integration_id: &str) -> impl std::future::Future<Output = ()> + Send + 'static {
        let keys: Vec<SessionKey> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.members.iter().any(|m| m == integration_id))
            .map(|(k, _)| k.clone())
            .collect();
        let ended: Vec<_> = keys.iter().map(|k| self.replace(k)).collect();
        async move {
            futures_util::future::join_all(ended).await;
        }
    }
}
