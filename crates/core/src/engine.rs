//! The engine service: one running bridge, started, reached while it runs, and stopped the same
//! way by the desktop app (in the background at launch) and by `helium-aws-bridge run`. A bridge
//! that fails to start is a status (the UI shows it), never a crash.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::sync::LockExt;
use std::time::Duration;

use crate::bridge::{Bridge, BridgeOptions, ConnectionState, IntegrationHealth};
use crate::events::{Event, EventBus};
use crate::ipc::{BridgeStatus, IpcError};
use crate::Core;
use tokio::sync::{broadcast, watch};

enum Slot {
    Starting,
    Running(Bridge),
    /// Why is in `status`.
    Failed,
    Stopped,
}

/// What changed in the store, for [`Engine::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Labels, or which devices and integrations carry them.
    Labels,
    /// A source was added, edited or removed.
    Sources,
    /// An integration was enabled or disabled.
    IntegrationActive(String),
    /// An integration's keys, region or endpoints changed.
    IntegrationReconfigured(String),
}

pub struct Engine {
    slot: Mutex<Slot>,
    /// Mirrors the slot for whoever waits for the start to finish.
    status: watch::Sender<BridgeStatus>,
}

impl Engine {
    /// A host waiting for [`Engine::start`] (`starting`), or one that never runs a bridge.
    pub fn new(starting: bool) -> Arc<Engine> {
        let (slot, status) = if starting {
            (Slot::Starting, BridgeStatus::Starting)
        } else {
            (Slot::Stopped, BridgeStatus::Stopped)
        };
        Arc::new(Engine {
            slot: Mutex::new(slot),
            status: watch::channel(status).0,
        })
    }

    /// Starts the bridge as the app and `helium-aws-bridge run` do: keys from the keychain (or
    /// the secrets file), each integration's devices provisioned in AWS, events on `bus` (which
    /// the caller may have subscribed to first, to see every event).
    pub async fn start_app(&self, core: Arc<Core>, bus: EventBus, opts: BridgeOptions) {
        let starting = async {
            let vault = crate::vault::from_env().map_err(|e| e.to_string())?;
            Bridge::start_app(core, bus, vault, opts)
                .await
                .map_err(|e| e.to_string())
        };
        self.start(starting).await
    }

    /// Starts a stopped bridge again (the tray's "Resume bridging"); false when one runs or
    /// starts already.
    pub async fn resume_app(&self, core: Arc<Core>, bus: EventBus, opts: BridgeOptions) -> bool {
        {
            let mut slot = self.lock();
            if !matches!(*slot, Slot::Stopped | Slot::Failed) {
                return false;
            }
            *slot = Slot::Starting;
            self.status.send_replace(BridgeStatus::Starting);
        }
        self.start_app(core, bus, opts).await;
        true
    }

    /// Records the outcome of `starting`. A bridge that comes up after shutdown was asked for
    /// is shut down again at once.
    pub async fn start<E: std::fmt::Display>(&self, starting: impl Future<Output = Result<Bridge, E>>) {
        let result = starting.await;
        let late = {
            let mut slot = self.lock();
            match (&*slot, result) {
                (Slot::Starting, Ok(bridge)) => {
                    *slot = Slot::Running(bridge);
                    self.status.send_replace(BridgeStatus::Running);
                    None
                }
                (Slot::Starting, Err(e)) => {
                    let error = format!("the bridge could not start: {e}");
                    *slot = Slot::Failed;
                    self.status.send_replace(BridgeStatus::Failed { error });
                    None
                }
                (_, Ok(bridge)) => Some(bridge),
                (_, Err(_)) => None,
            }
        };
        if let Some(bridge) = late {
            bridge.shutdown().await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.slot.locked()
    }

    pub fn status(&self) -> BridgeStatus {
        self.status.borrow().clone()
    }

    /// `f` on the running bridge, or `None` when it is not running.
    fn with<R>(&self, f: impl FnOnce(&Bridge) -> R) -> Option<R> {
        match &*self.lock() {
            Slot::Running(bridge) => Some(f(bridge)),
            _ => None,
        }
    }

    fn not_running(&self) -> IpcError {
        IpcError::new(
            "unavailable",
            match self.status() {
                BridgeStatus::Failed { error } => error,
                BridgeStatus::Starting => "the bridge is still starting".into(),
                _ => "the bridge is not running".into(),
            },
        )
    }

    /// The sources' connections (each device's session is on its integration's page); none
    /// while the bridge starts, an error when it could not start.
    pub fn source_states(&self) -> Result<Vec<ConnectionState>, IpcError> {
        match self.with(|b| b.source_states()) {
            Some(states) => Ok(states),
            None if matches!(self.status(), BridgeStatus::Failed { .. }) => Err(self.not_running()),
            None => Ok(Vec::new()),
        }
    }

    /// The device's last payloads since the bridge started (newest first); none while it is
    /// not running.
    pub fn recent_payloads(&self, device_id: &str) -> Vec<crate::bridge::RecentPayload> {
        self.with(|b| b.recent_payloads(device_id)).unwrap_or_default()
    }

    /// A downlink from the app, down the same path as one from AWS.
    pub fn send_downlink(&self, device_id: &str, raw: &[u8]) -> Result<(), crate::control::ControlError> {
        match self.with(|b| b.send_downlink(device_id, raw)) {
            Some(r) => r.map_err(|reason| crate::control::ControlError::new("invalid", reason)),
            None => Err(crate::control::ControlError::new(
                "unavailable",
                format!("{}; downlinks go out through it", self.not_running().message),
            )),
        }
    }

    /// Starts or stops watching AWS for the integration; the monitors' states after.
    pub fn watch_aws(&self, id: &str, on: bool) -> Result<Vec<crate::bridge::WatchState>, IpcError> {
        match self.with(|b| b.watch_aws(id, on)) {
            Some(states) => Ok(states?),
            None => Err(self.not_running()),
        }
    }

    /// The AWS monitors' states; none while the bridge is not running.
    pub fn watch_states(&self) -> Vec<crate::bridge::WatchState> {
        self.with(|b| b.watch_states()).unwrap_or_default()
    }

    /// Publishes a downlink through AWS (see [`Bridge::publish_via_aws`]); the future resolves
    /// when AWS acknowledged it.
    pub fn publish_via_aws(
        &self,
        integration: &crate::domain::Integration,
        device_id: &str,
        payload: Vec<u8>,
    ) -> Result<impl Future<Output = Result<(), String>> + Send + 'static, IpcError> {
        self.with(|b| b.publish_via_aws(integration, device_id, payload))
            .ok_or_else(|| self.not_running())
    }

    /// A test uplink for the device through the running bridge (see [`Bridge::simulate_uplink`]).
    pub fn simulate_uplink(
        &self,
        device: crate::domain::Device,
        port: u8,
        payload: Vec<u8>,
    ) -> Result<
        impl Future<Output = Result<crate::bridge::IngestOutcome, crate::store::StoreError>> + Send + 'static,
        IpcError,
    > {
        self.with(|b| b.simulate_uplink(device, port, payload))
            .ok_or_else(|| self.not_running())
    }

    /// Every integration's health; while the bridge is not running, `stopped` with backlogs.
    pub fn integration_health(&self, core: &crate::Core) -> Result<Vec<IntegrationHealth>, IpcError> {
        match self.with(|b| b.integration_health()) {
            Some(h) => Ok(h?),
            None => Ok(crate::bridge::integration_health_stopped(core)?),
        }
    }

    /// Applies a change the store already holds to the running bridge, so it takes effect at
    /// once; nothing to do when the bridge is not running (its next start reads the store).
    pub async fn apply(&self, change: Change) -> Result<(), IpcError> {
        match change {
            Change::Labels => {
                self.with(|b| b.labels_changed());
            }
            Change::Sources => {
                if let Some(following) = self.with(|b| b.sources_changed()) {
                    following.await?;
                }
            }
            Change::IntegrationActive(id) => {
                self.with(|b| b.provision_now(&id));
            }
            Change::IntegrationReconfigured(id) => self.integration_reconfigured(&id),
        }
        Ok(())
    }

    /// Restarts the integration's sessions with its new keys, region or endpoints. Nothing to
    /// do when the bridge is not running: its next start reads the new settings.
    pub fn integration_reconfigured(&self, id: &str) {
        self.with(|b| b.integration_reconfigured(id));
    }

    /// Stops the integration's sessions on the running bridge and waits until they ended (it is
    /// about to be removed); nothing to do when the bridge is not running.
    pub async fn stop_integration(&self, id: &str) {
        if let Some(ended) = self.with(|b| b.stop_integration(id)) {
            ended.await;
        }
    }

    /// Has the running bridge provision (and connect) the integration's devices now; progress
    /// arrives as events.
    pub fn provision_now(&self, id: &str) -> Result<(), IpcError> {
        self.with(|b| b.provision_now(id)).ok_or_else(|| self.not_running())
    }

    /// A receiver of the bridge's events, waiting for the start to finish if need be.
    pub async fn subscribe(&self) -> Result<broadcast::Receiver<Event>, IpcError> {
        let mut changes = self.status.subscribe();
        loop {
            match &*self.lock() {
                Slot::Running(bridge) => return Ok(bridge.events().subscribe()),
                Slot::Starting => {}
                _ => return Err(self.not_running()),
            }
            if changes.changed().await.is_err() {
                return Err(self.not_running());
            }
        }
    }

    /// Stops the bridge if it runs (best effort, at most `timeout`); a start still under way
    /// shuts its bridge down when it finishes.
    pub async fn shutdown(&self, timeout: Duration) {
        let slot = std::mem::replace(&mut *self.lock(), Slot::Stopped);
        self.status.send_replace(BridgeStatus::Stopped);
        if let Slot::Running(bridge) = slot {
            if tokio::time::timeout(timeout, bridge.shutdown()).await.is_err() {
                crate::warn(format_args!("warning: the bridge did not stop within {timeout:?}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::DirectoryProvisioner;
    use crate::{KeyringVault, StoreError};

    fn open_core(dir: &std::path::Path) -> Arc<Core> {
        Arc::new(Core::open(dir).unwrap())
    }

    async fn start_real(core: Arc<Core>) -> Result<Bridge, StoreError> {
        Bridge::start(
            core,
            Arc::new(KeyringVault::default()),
            Arc::new(DirectoryProvisioner),
            BridgeOptions::default(),
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_streams_and_shuts_down() {
        let dir = tempfile::tempdir().unwrap();
        let core = open_core(dir.path());
        let host = Engine::new(true);
        assert_eq!(host.status(), BridgeStatus::Starting);
        assert_eq!(host.source_states().unwrap(), vec![]);

        // A subscriber that comes while the bridge starts gets the bus once it runs.
        let waiting = {
            let host = host.clone();
            tokio::spawn(async move { host.subscribe().await })
        };
        host.start(start_real(core.clone())).await;
        assert_eq!(host.status(), BridgeStatus::Running);
        let mut rx = waiting.await.unwrap().unwrap();

        // No sources: no connections.
        assert_eq!(host.source_states().unwrap(), vec![]);

        host.shutdown(Duration::from_secs(10)).await;
        assert_eq!(host.status(), BridgeStatus::Stopped);
        // Events reach subscribers once stored, so "bridge started" may come first.
        let stopped = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                let e = rx.recv().await.unwrap();
                if e.message != "bridge started" {
                    return e;
                }
            }
        })
        .await
        .unwrap();
        assert_eq!(stopped.message, "bridge stopped");
        assert!(host.subscribe().await.is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_start_is_a_status_and_toggles_still_reach_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let core = open_core(dir.path());
        let integration = core
            .store()
            .create_integration(&crate::domain::NewIntegration {
                kind: crate::domain::IntegrationKind::AwsIotCore,
                name: "x".into(),
                region: "eu-west-1".into(),
                topic: "t".into(),
                endpoint: Default::default(),
                forward_joins: false,
            })
            .unwrap();
        let host = Engine::new(true);
        host.start(async { Err(StoreError::NotFound("the test's database".into())) })
            .await;
        let BridgeStatus::Failed { error } = host.status() else {
            panic!("{:?}", host.status())
        };
        assert!(
            error.contains("could not start") && error.contains("the test's database"),
            "{error}"
        );
        assert_eq!(host.source_states().unwrap_err().message, error);
        assert_eq!(host.subscribe().await.unwrap_err().message, error);

        // Changes still reach the store through the control plane.
        let control = crate::control::Control::new(core.clone(), host.clone());
        control
            .handle(crate::control::Request::IntegrationSetActive {
                integration: integration.id.clone(),
                active: false,
            })
            .await
            .unwrap();
        assert!(!core.store().get_integration(&integration.id).unwrap().active);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_start_that_finishes_after_shutdown_is_stopped_again() {
        let dir = tempfile::tempdir().unwrap();
        let core = open_core(dir.path());
        let host = Engine::new(true);
        host.shutdown(Duration::from_secs(1)).await;
        host.start(start_real(core.clone())).await;
        assert_eq!(host.status(), BridgeStatus::Stopped);
        assert_eq!(
            core.store().events_after(0, 10).unwrap().last().unwrap().message,
            "bridge stopped"
        );
    }
}
