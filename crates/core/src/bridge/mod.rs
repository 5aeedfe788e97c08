//! The bridge engine: Helium sources → durable outbox → one AWS IoT session per device per
//! integration, and downlinks back. The desktop app runs it in-process; `helium-aws-bridge run`
//! runs it headless.

mod dispatch;
mod downlink;
mod fast;
mod feeds;
mod health;
mod heard;
mod in_flight;
pub(crate) mod inbox;
mod ingest;
mod outgoing;
mod payloads;
mod recent;
mod recorded;
pub use health::{integration_health_stopped, Alert, HealthAlerts, IntegrationHealth, SessionState};
pub use session::downlink_topic;
pub mod pace;
mod parse;
mod routing;
mod sampler;
mod session;
mod status;
mod watch_aws;
pub use watch_aws::{WatchPhase, WatchState, DOWN_FILTER, PUBLISH_TIMEOUT};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use ts_rs::TS;

pub(crate) use ingest::IngestHandle;
pub use ingest::{Incoming, IngestOutcome};
pub use recent::RecentPayload;
pub(crate) use status::Status;

use crate::app::Core;
use crate::aws::Provisioner;
use crate::domain::SourceConfig;
use crate::events::{Event, EventBus};
use crate::vault::Vault;

#[derive(Debug, Clone)]
pub struct BridgeOptions {
    /// At this many waiting uplinks new ones are refused: the source keeps them and offers
    /// them again later. A warning comes first, at 80 %.
    pub outbox_max_entries: i64,
    /// A warning is raised when the oldest waiting uplink is older than this.
    pub outbox_warn_age: Duration,
    pub max_backoff: Duration,
    /// Publishes per second per AWS connection (AWS allows 100).
    pub publish_rate: u32,
    /// New AWS connections per second, all sessions together (AWS allows 500 per account).
    pub connect_rate: u32,
    /// Messages an MQTT source's broker may send before the bridge acknowledges them (MQTT 5
    /// Receive Maximum). Each is acknowledged once AWS or the outbox has it, so this is how
    /// large a burst the bridge absorbs meanwhile; the broker queues what is beyond it
    /// (mosquitto: 1000 per client by default, then drops).
    pub lns_window: u16,
    /// How often each integration's backlog is sampled for its chart.
    pub sample_every: Duration,
}

/// The default [`BridgeOptions::lns_window`]: a 20,000-uplink burst (500 devices × 40) at full
/// publisher speed waits at the bridge, in memory only while it is being stored.
pub const DEFAULT_LNS_WINDOW: u16 = 20_000;

impl Default for BridgeOptions {
    fn default() -> Self {
        BridgeOptions {
            outbox_max_entries: 1_000_000,
            outbox_warn_age: Duration::from_secs(3600),
            max_backoff: Duration::from_secs(60),
            publish_rate: 100,
            connect_rate: 200,
            lns_window: DEFAULT_LNS_WINDOW,
            sample_every: Duration::from_secs(15),
        }
    }
}

/// A connection's state, for the desktop's status views.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ConnectionState {
    /// `source` or `integration`.
    pub side: String,
    pub id: String,
    pub name: String,
    pub connected: bool,
    pub detail: String,
}

/// A downlink on its way to a device's source.
#[derive(Debug, Clone)]
pub struct SourceDownlink {
    pub topic: String,
    pub payload: Vec<u8>,
    pub device_id: String,
    /// How messages about it name the device (see `Store::device_called`).
    pub device_called: String,
}

/// The engine's shared state, private to `bridge/`: sources get a `SourceContext` (an ingest
/// handle and a `Status`), never this.
struct Inner {
    core: Arc<Core>,
    events: EventBus,
    vault: Arc<dyn Vault>,
    provisioner: Arc<dyn Provisioner>,
    opts: BridgeOptions,
    shutdown: watch::Receiver<bool>,
    routes: mpsc::UnboundedSender<dispatch::Command>,
    downlinks: Mutex<HashMap<String, (SourceConfig, mpsc::Sender<SourceDownlink>)>>,
    /// Connection states and events: what sources and sessions report to.
    status: Status,
    /// Outbox warnings: at most one a minute.
    outbox_warning: Mutex<pace::Every>,
    /// Entries in the outbox, kept here so the per-uplink check needs no COUNT(*).
    outbox_len: std::sync::atomic::AtomicI64,
    /// Each device's last frame counter and uplinks, to notice uplinks lost upstream and
    /// uplinks that come twice.
    heard: heard::HeardLately,
    /// Warnings that two sources deliver the same uplinks, and notes of redelivered ones: at
    /// most one a minute each.
    overlap_warning: Mutex<pace::Every>,
    redelivery_noted: Mutex<pace::Every>,
    /// Running sessions' inboxes: committed uplinks reach them in memory.
    inboxes: inbox::Inboxes,
    /// Devices with uplinks on their way to the outbox (no fast path for them meanwhile).
    to_outbox: fast::ToOutbox,
    /// Every session's connection attempts, spread over time.
    connects: pace::ConnectPacer,
    /// Each device's last payloads, for trying decoders on.
    recent: recent::RecentPayloads,
}

/// How long an ending task (a session, a source) may take to finish what it does before it is
/// aborted: provisioning is resumable, and unacknowledged uplinks stay in the outbox or with
/// the LNS.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Waits until `task` ends, aborting it after [`STOP_GRACE`].
async fn end_within_grace(task: tokio::task::JoinHandle<()>) {
    let abort = task.abort_handle();
    if tokio::time::timeout(STOP_GRACE, task).await.is_err() {
        abort.abort();
    }
}

pub struct Bridge {
    inner: Arc<Inner>,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
    feeds: Arc<feeds::Feeds>,
    watches: watch_aws::Watches,
}

impl Bridge {
    /// Starts every configured source and resumes whatever the outbox still holds.
    pub async fn start(
        core: Arc<Core>,
        vault: Arc<dyn Vault>,
        provisioner: Arc<dyn Provisioner>,
        opts: BridgeOptions,
    ) -> Result<Bridge, crate::store::StoreError> {
        let events = EventBus::new(core.clone());
        Self::start_with_bus(core, events, vault, provisioner, opts).await
    }

    /// Like `start`, on a bus the caller made (and subscribed to) first, so that it sees
    /// every event from the very first one.
    pub async fn start_with_bus(
        core: Arc<Core>,
        events: EventBus,
        vault: Arc<dyn Vault>,
        provisioner: Arc<dyn Provisioner>,
        opts: BridgeOptions,
    ) -> Result<Bridge, crate::store::StoreError> {
        let (stop, shutdown) = watch::channel(false);
        let (routes, routes_rx) = mpsc::unbounded_channel();
        let connects = pace::ConnectPacer::new(opts.connect_rate);
        let status = Status::new(events.clone());
        let inner = Arc::new(Inner {
            core,
            events,
            vault,
            provisioner,
            opts,
            shutdown,
            routes,
            downlinks: Mutex::new(HashMap::new()),
            status,
            outbox_warning: Mutex::new(pace::Every::new(pace::WARN_EVERY)),
            outbox_len: std::sync::atomic::AtomicI64::new(0),
            heard: Default::default(),
            overlap_warning: Mutex::new(pace::Every::new(pace::WARN_EVERY)),
            redelivery_noted: Mutex::new(pace::Every::new(pace::WARN_EVERY)),
            inboxes: Default::default(),
            to_outbox: Default::default(),
            connects,
            recent: Default::default(),
        });
        let (waiting, _) = inner.core.store().outbox_stats()?;
        inner.outbox_len.store(waiting, std::sync::atomic::Ordering::Relaxed);
        let mut tasks = JoinSet::new();
        tasks.spawn(dispatch::run(inner.clone(), routes_rx));
        tasks.spawn(sampler::run(inner.clone()));
        let feeds = Arc::new(feeds::Feeds::default());
        feeds.reconcile(&inner).await?;
        // Sessions for every route that has uplinks waiting or could receive downlinks.
        let _ = inner.routes.send(dispatch::Command::Resume);
        inner.events.emit(Event::new("bridge", "info", "bridge started"));
        Ok(Bridge {
            inner,
            stop,
            tasks,
            feeds,
            watches: Default::default(),
        })
    }

    /// Starts the bridge as the app and `helium-aws-bridge run` do: each integration's devices
    /// are provisioned in AWS with its IAM user's keys from `vault` (or use the certificates in
    /// its folder), and provisioning steps are events on `events`.
    pub async fn start_app(
        core: Arc<Core>,
        events: EventBus,
        vault: Arc<dyn Vault>,
        opts: BridgeOptions,
    ) -> Result<Bridge, crate::store::StoreError> {
        let provisioner = crate::aws::AwsProvisioner::from_vault(core.clone(), vault.clone())
            .with_events(crate::aws::provision::bus_sink(events.clone()));
        Self::start_with_bus(core, events, vault, Arc::new(provisioner), opts).await
    }

    pub fn events(&self) -> &EventBus {
        &self.inner.events
    }

    pub fn connection_states(&self) -> Vec<ConnectionState> {
        self.inner.status.all()
    }

    /// The sources' connection states (no device sessions).
    pub fn source_states(&self) -> Vec<ConnectionState> {
        self.inner.status.sources()
    }

    /// Sends a downlink from the app (`{"payload_raw", "port", "confirmed"}`) down the same
    /// path as one from AWS; the error says why it was refused.
    /// The device's last payloads since the bridge started, newest first.
    pub fn recent_payloads(&self, device_id: &str) -> Vec<RecentPayload> {
        self.inner.recent.of(device_id)
    }

    pub fn send_downlink(&self, device_id: &str, raw: &[u8]) -> Result<(), String> {
        self.inner.handle_downlink(None, device_id, raw)
    }

    /// Starts or stops watching AWS for the integration (see `watch.rs`); the monitors'
    /// states after.
    pub fn watch_aws(&self, integration_id: &str, on: bool) -> Result<Vec<WatchState>, crate::store::StoreError> {
        let integration = self.inner.core.store().get_integration(integration_id)?;
        match on {
            true => self.watches.start(&self.inner, &integration),
            false => {
                self.watches.stop(&integration.id);
            }
        }
        Ok(self.watches.states())
    }

    pub fn watch_states(&self) -> Vec<WatchState> {
        self.watches.states()
    }

    /// Publishes a downlink for the device through AWS, as an AWS user would (on
    /// `helium/devices/{id}/down`, with the integration's monitor, started if need be); the
    /// bridge then takes it like any other. Resolves when AWS acknowledged it.
    pub fn publish_via_aws(
        &self,
        integration: &crate::domain::Integration,
        device_id: &str,
        payload: Vec<u8>,
    ) -> impl std::future::Future<Output = Result<(), String>> + Send + 'static {
        self.watches
            .publish(&self.inner, integration, downlink_topic(device_id), payload)
    }

    /// Injects a test uplink for the device (marked `metadata.simulated`), through the same
    /// decoding, routing, outbox and sessions as a real one. Resolves with what ingest did.
    pub fn simulate_uplink(
        &self,
        device: crate::domain::Device,
        port: u8,
        payload: Vec<u8>,
    ) -> impl std::future::Future<Output = Result<IngestOutcome, crate::store::StoreError>> + Send + 'static {
        let inner = self.inner.clone();
        async move {
            let mut handle = IngestHandle::new(inner, "simulated", "simulated")?;
            let (done, outcome) = tokio::sync::oneshot::channel();
            handle.simulate(&device, port, &payload, move |o| {
                let _ = done.send(o);
            });
            outcome
                .await
                .map_err(|_| crate::store::StoreError::Conflict("the bridge stopped before storing the uplink".into()))
        }
    }

    /// Every integration's health, from its sessions, outbox and deliveries.
    pub fn integration_health(&self) -> Result<Vec<IntegrationHealth>, crate::store::StoreError> {
        health::integration_health(&self.inner.core, Some(&self.inner.status))
    }

    /// Enables or disables an integration; its sessions stop or start right away.
    pub fn set_integration_active(&self, integration_id: &str, active: bool) -> Result<(), crate::store::StoreError> {
        self.inner.core.store().set_integration_active(integration_id, active)?;
        let _ = self
            .inner
            .routes
            .send(dispatch::Command::IntegrationChanged(integration_id.to_string()));
        Ok(())
    }

    /// An integration's keys, region or endpoints changed: its sessions restart with the new
    /// settings (devices are provisioned again where the region changed).
    pub fn integration_reconfigured(&self, integration_id: &str) {
        // A watch follows the new endpoint or keys too.
        if self.watches.stop(integration_id) {
            if let Ok(integration) = self.inner.core.store().get_integration(integration_id) {
                self.watches.start(&self.inner, &integration);
            }
        }
        let _ = self
            .inner
            .routes
            .send(dispatch::Command::IntegrationReconfigured(integration_id.to_string()));
    }

    /// Stops the integration's sessions and waits until they ended (it is about to be removed,
    /// or cleaned up in AWS); they start again only on `provision_now` or a change.
    /// (Asks at once; the returned future, which borrows nothing, resolves when they ended.)
    pub fn stop_integration(&self, integration_id: &str) -> impl std::future::Future<Output = ()> + Send + 'static {
        self.watches.stop(integration_id);
        let (done, ended) = tokio::sync::oneshot::channel();
        let _ = self
            .inner
            .routes
            .send(dispatch::Command::StopIntegration(integration_id.to_string(), done));
        async move {
            let _ = ended.await;
        }
    }

    /// Provisions (and connects) every device that shares a label with the integration now,
    /// instead of at each device's next uplink. Progress arrives as `provisioning` events.
    pub fn provision_now(&self, integration_id: &str) {
        let _ = self
            .inner
            .routes
            .send(dispatch::Command::IntegrationChanged(integration_id.to_string()));
    }

    /// Sources were added, edited or removed: the running ones follow the store at once.
    /// (Asks at once; the returned future, which borrows nothing, resolves when they follow.)
    pub fn sources_changed(
        &self,
    ) -> impl std::future::Future<Output = Result<(), crate::store::StoreError>> + Send + 'static {
        let (feeds, inner) = (self.feeds.clone(), self.inner.clone());
        async move { feeds.reconcile(&inner).await }
    }

    /// Labels or their links changed: devices start or stop being piped to integrations
    /// now (sessions gain or lose the integrations they serve); new uplinks route by the new
    /// labels as they arrive.
    pub fn labels_changed(&self) {
        let _ = self.inner.routes.send(dispatch::Command::LabelsChanged);
    }

    /// Stops the sources, lets sessions finish what is in flight (bounded), and returns.
    pub async fn shutdown(mut self) {
        self.feeds.stop_all().await;
        let _ = self.stop.send(true);
        let drain = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(Duration::from_secs(10), drain).await.is_err() {
            self.tasks.abort_all();
        }
        self.inner.events.emit(Event::new("bridge", "info", "bridge stopped"));
        // Acknowledgements and events still in the writer's queue are committed before the
        // caller closes the store.
        self.inner.events.flush();
    }
}
