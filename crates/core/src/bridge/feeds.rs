//! The running sources: started with the bridge, and started, restarted or stopped while it
//! runs when the user adds, edits, pauses or removes one (no restart of the bridge).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::{IngestHandle, Inner};
use crate::domain::{Source, SourceConfig};
use crate::events::Event;
use crate::sources;
use crate::sync::LockExt;

/// A paused source's state, as the sessions list shows it.
pub const PAUSED: &str = "paused";

struct Running {
    config: SourceConfig,
    name: String,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

#[derive(Default)]
pub(super) struct Feeds {
    running: Mutex<HashMap<String, Running>>,
    /// One reconciliation at a time: two quick edits must not both start the same source.
    reconciling: tokio::sync::Mutex<()>,
}

impl Feeds {
    /// Makes the running sources match the store: new ones start, removed ones stop, changed
    /// ones restart with their new settings.
    pub async fn reconcile(&self, inner: &Arc<Inner>) -> Result<(), crate::store::StoreError> {
        let _one = self.reconciling.lock().await;
        let (paused, wanted): (Vec<Source>, Vec<Source>) =
            inner.core.store().list_sources()?.into_iter().partition(|s| s.paused);
        let wanted: HashMap<String, Source> = wanted.into_iter().map(|s| (s.id.clone(), s)).collect();
        let stopping: Vec<(String, Running)> = {
            let mut running = self.running.locked();
            let gone: Vec<String> = running
                .iter()
                .filter(|(id, r)| wanted.get(*id).is_none_or(|s| s.config != r.config || s.name != r.name))
                .map(|(id, _)| id.clone())
                .collect();
            gone.into_iter()
                .filter_map(|id| running.remove(&id).map(|r| (id, r)))
                .collect()
        };
        for (id, r) in stopping {
            inner.downlinks.locked().remove(&id);
            stop(r).await;
            inner.status.forget("source", &id);
        }
        for s in paused {
            inner.status.set("source", &s.id, &s.name, false, PAUSED);
        }
        for (id, source) in wanted {
            if !self.running.locked().contains_key(&id) {
                self.start(inner, source);
            }
        }
        Ok(())
    }

    pub fn start(&self, inner: &Arc<Inner>, source: Source) {
        // Settings saved by an older version under looser rules still run; the user hears why
        // they may not work, and an edit will ask for them right.
        if let Err(e) = crate::validate::source(&source.config) {
            inner.status.emit(
                Event::new(
                    "connection",
                    "warn",
                    format!(
                        "source {:?} has a setting this version refuses ({e}): edit the source",
                        source.name
                    ),
                )
                .source(&source.id),
            );
        }
        let (tx, rx) = mpsc::channel(256);
        let ingest = match IngestHandle::new(inner.clone(), &source.id, &source.name) {
            Ok(h) => h,
            Err(e) => {
                let e = format!("source {:?} cannot start: cannot open the database: {e}", source.name);
                inner.status.set("source", &source.id, &source.name, false, e.clone());
                inner
                    .status
                    .emit(Event::new("connection", "error", e).source(&source.id));
                return;
            }
        };
        inner
            .downlinks
            .locked()
            .insert(source.id.clone(), (source.config.clone(), tx));
        let (stop, shutdown) = watch::channel(false);
        let (id, config, name) = (source.id.clone(), source.config.clone(), source.name.clone());
        let task = tokio::spawn(sources::run(sources::SourceContext {
            source,
            ingest,
            status: inner.status.clone(),
            vault: inner.vault.clone(),
            shutdown,
            max_backoff: inner.opts.max_backoff,
            window: inner.opts.lns_window,
            downlinks: rx,
        }));
        self.running.locked().insert(
            id,
            Running {
                config,
                name,
                stop,
                task,
            },
        );
    }

    /// Stops every source and waits for them (bounded).
    pub async fn stop_all(&self) {
        let all: Vec<Running> = self.running.locked().drain().map(|(_, r)| r).collect();
        futures_util::future::join_all(all.into_iter().map(stop)).await;
    }
}

async fn stop(r: Running) {
    let _ = r.stop.send(true);
    super::end_within_grace(r.task).await;
}
