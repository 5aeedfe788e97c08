//! Automatic AWS IoT provisioning: for each (integration, device) the bridge makes a thing, a
//! P-256 key on this machine, a certificate from its CSR, the integration's least-privilege
//! policy, and attaches them. Every step is idempotent and its result is recorded before the
//! next, so a crash anywhere resumes without duplicate things, certificates or policies.

mod aws;
mod certificate;
mod cleanup;
pub mod credentials;
mod grant;
pub mod policy;

use crate::sync::LockExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use zeroize::Zeroizing;

use super::identity::{DeviceIdentity, DirectoryProvisioner, ProvisionFuture, Provisioner, ShareFuture};
use crate::domain::Integration;
use crate::vault::{self, MasterKey, Vault, VaultError};
use crate::Core;

pub use aws::{iot_config, AwsClients};
use certificate::csr_pem;
pub use cleanup::CleanupReport;

/// The thing type every provisioned thing gets.
pub const THING_TYPE: &str = "Helium-Thing";

/// An IAM user's access key. The secret is zeroed on drop and never formatted.
#[derive(Clone)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: Zeroizing<String>,
    /// The region the keys were validated in (STS); IoT calls use the integration's region.
    pub region: String,
}

impl std::fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("region", &self.region)
            .finish()
    }
}

impl AwsCredentials {
    /// The static credentials the AWS SDK clients (IoT, STS) sign with.
    pub(crate) fn sdk_credentials(&self) -> aws_sdk_iot::config::Credentials {
        aws_sdk_iot::config::Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.as_str(),
            None,
            None,
            "helium-bridge",
        )
    }

    /// The integration's credentials: the key id given, its secret from the keychain
    /// (`Ok(None)` when the keychain has none for the integration).
    pub fn from_vault(
        vault: &dyn Vault,
        integration_id: &str,
        access_key_id: &str,
        region: &str,
    ) -> Result<Option<AwsCredentials>, VaultError> {
        Ok(
            vault::get_aws_secret(vault, integration_id, access_key_id)?.map(|secret_access_key| AwsCredentials {
                access_key_id: access_key_id.to_string(),
                secret_access_key,
                region: region.to_string(),
            }),
        )
    }
}

/// The provisioning steps, in order; each is reported as a [`ProvisionEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    ThingType,
    Thing,
    Key,
    Certificate,
    Policy,
    AttachPolicy,
    AttachThing,
    Endpoint,
}

impl Step {
    pub fn describe(self) -> &'static str {
        match self {
            Step::ThingType => "thing type ready",
            Step::Thing => "thing ready",
            Step::Key => "device key generated",
            Step::Certificate => "certificate issued",
            Step::Policy => "policy ready",
            Step::AttachPolicy => "policy attached to the certificate",
            Step::AttachThing => "certificate attached to the thing",
            Step::Endpoint => "data endpoint known; device provisioned",
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// What the provisioner reports as it goes (the monitor shows these).
#[derive(Debug, Clone)]
pub struct ProvisionEvent {
    pub integration_id: String,
    pub device_id: String,
    /// `None` for notes that are not a step (e.g. a stale certificate left untouched).
    pub step: Option<Step>,
    pub level: &'static str,
    pub message: String,
}

pub type EventSink = Arc<dyn Fn(ProvisionEvent) + Send + Sync>;

/// A sink that puts provisioning events on the bridge's bus (so the monitor shows them and the
/// event store keeps them), as kind `provisioning`.
pub fn bus_sink(bus: crate::events::EventBus) -> EventSink {
    Arc::new(move |e: ProvisionEvent| {
        let mut ev = crate::events::Event::new("provisioning", e.level, e.message).integration(&e.integration_id);
        if !e.device_id.is_empty() {
            ev = ev.device(&e.device_id);
        }
        if let Some(step) = e.step {
            ev = ev.detail(serde_json::json!({ "step": format!("{step:?}") }));
        }
        bus.emit(ev);
    })
}

/// A provisioning failure: the step, AWS's error code when there is one, and a message that
/// never contains a secret.
#[derive(Debug, Clone, thiserror::Error)]
#[error("provisioning {device_id:?} failed at \"{step:?}\"{}: {message}", code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default())]
pub struct ProvisionError {
    pub device_id: String,
    pub step: Step,
    pub code: Option<String>,
    pub message: String,
}

pub struct AwsProvisioner {
    core: Arc<Core>,
    vault: Arc<dyn Vault>,
    clients: AwsClients,
    master: tokio::sync::OnceCell<MasterKey>,
    /// At most this many devices provision at once.
    limit: tokio::sync::Semaphore,
    /// One provisioning at a time per (integration, device).
    device_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The data endpoint per (integration, region), asked for once.
    endpoints: Mutex<HashMap<String, String>>,
    /// One policy change at a time per integration, so concurrent devices never each add a
    /// policy version.
    policy_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    events: Option<EventSink>,
    /// Test hook (set only with the `test-hooks` feature): the next provisioning fails right
    /// after this step (once).
    fail_after: Mutex<Option<Step>>,
    /// Test hook (set only with the `test-hooks` feature): the next certificate AWS issues is
    /// not recorded, as a crash right after `CreateCertificateFromCsr` would leave it.
    crash_before_recording: std::sync::atomic::AtomicBool,
}

impl AwsProvisioner {
    /// A provisioner that uses `credentials` for every integration not given others.
    /// `endpoint_url` overrides where the AWS SDK sends control-plane calls (tests: moto).
    pub fn new(
        core: Arc<Core>,
        vault: Arc<dyn Vault>,
        credentials: AwsCredentials,
        endpoint_url: Option<String>,
    ) -> Self {
        Self::build(core, vault, Some(credentials), endpoint_url)
    }

    /// The app's provisioner: each integration provisions with its own IAM user's key id and
    /// the secret the vault holds for it, against AWS (or the integration's API URL override).
    pub fn from_vault(core: Arc<Core>, vault: Arc<dyn Vault>) -> Self {
        Self::build(core, vault, None, None)
    }

    fn build(
        core: Arc<Core>,
        vault: Arc<dyn Vault>,
        credentials: Option<AwsCredentials>,
        endpoint_url: Option<String>,
    ) -> Self {
        AwsProvisioner {
            clients: AwsClients::new(credentials, Some(vault.clone()), endpoint_url),
            core,
            vault,
            master: tokio::sync::OnceCell::new(),
            limit: tokio::sync::Semaphore::new(4),
            device_locks: Mutex::new(HashMap::new()),
            endpoints: Mutex::new(HashMap::new()),
            policy_locks: Mutex::new(HashMap::new()),
            events: None,
            fail_after: Mutex::new(None),
            crash_before_recording: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub fn with_events(mut self, sink: EventSink) -> Self {
        self.clients.set_events(sink.clone());
        self.events = Some(sink);
        self
    }

    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.limit = tokio::sync::Semaphore::new(n.max(1));
        self
    }

    /// Uses other credentials for one integration (instead of the default ones).
    pub fn set_credentials(&self, integration_id: &str, credentials: AwsCredentials) {
        self.clients.set_credentials(integration_id, credentials);
    }

    /// Test hook: the next certificate issued is lost before it is recorded (once).
    #[cfg(feature = "test-hooks")]
    pub fn crash_once_before_recording_a_certificate(&self) {
        self.crash_before_recording
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Forgets the clients and cached credentials of an integration whose keys or settings
    /// changed; the next call reads them again.
    pub fn forget(&self, integration_id: &str) {
        self.clients.forget(integration_id);
        self.endpoints
            .locked()
            .retain(|k, _| !k.starts_with(&format!("{integration_id}/")));
    }

    /// Test hook: makes the next provisioning fail right after `step` succeeded, as a crash
    /// there would.
    #[cfg(feature = "test-hooks")]
    pub fn fail_once_after(&self, step: Step) {
        *self.fail_after.locked() = Some(step);
    }

    async fn master_key(&self) -> Result<&MasterKey, String> {
        self.master
            .get_or_try_init(|| async {
                let vault = self.vault.clone();
                tokio::task::spawn_blocking(move || vault::master_key(vault.as_ref()))
                    .await
                    .map_err(|e| format!("the keychain task failed: {e}"))?
                    .map_err(|e| e.to_string())
            })
            .await
    }

    fn emit(
        &self,
        integration: &Integration,
        device_id: &str,
        step: Option<Step>,
        level: &'static str,
        message: String,
    ) {
        if let Some(sink) = &self.events {
            sink(ProvisionEvent {
                integration_id: integration.id.clone(),
                device_id: device_id.to_string(),
                step,
                level,
                message,
            });
        }
    }

    /// Reports a finished step, then fails if the test hook says so.
    fn done(&self, integration: &Integration, device_id: &str, step: Step) -> Result<(), ProvisionError> {
        self.emit(integration, device_id, Some(step), "info", step.describe().to_string());
        let mut hook = self.fail_after.locked();
        if *hook == Some(step) {
            *hook = None;
            return Err(ProvisionError {
                device_id: device_id.to_string(),
                step,
                code: None,
                message: "simulated failure (test hook)".into(),
            });
        }
        Ok(())
    }

    fn store_err(device_id: &str, step: Step, e: impl std::fmt::Display) -> ProvisionError {
        ProvisionError {
            device_id: device_id.to_string(),
            step,
            code: None,
            message: format!("local database: {e}"),
        }
    }

    /// Provisions (or returns the stored identity of) one device for one integration.
    pub async fn provision(
        &self,
        integration: &Integration,
        device_id: &str,
    ) -> Result<DeviceIdentity, ProvisionError> {
        aws::DEVICE
            .scope(device_id.to_string(), self.provision_device(integration, device_id))
            .await
    }

    async fn provision_device(
        &self,
        integration: &Integration,
        device_id: &str,
    ) -> Result<DeviceIdentity, ProvisionError> {
        let local = |step: Step, message: String| ProvisionError {
            device_id: device_id.to_string(),
            step,
            code: None,
            message,
        };
        aws::check_thing_name(device_id).map_err(|m| local(Step::Thing, m))?;
        let master = self.master_key().await.map_err(|m| local(Step::Key, m))?;
        let context = format!("{}/{device_id}", integration.id);
        if let Some(identity) = self.usable(integration, device_id, master, &context)? {
            return Ok(identity);
        }

        let _permit = self
            .limit
            .acquire()
            .await
            .map_err(|_| local(Step::ThingType, "the provisioner is shutting down".into()))?;
        let lock = {
            let mut locks = self.device_locks.locked();
            locks.entry(context.clone()).or_default().clone()
        };
        let _device = lock.lock().await;
        // Someone else may have finished while we waited.
        if let Some(identity) = self.usable(integration, device_id, master, &context)? {
            return Ok(identity);
        }
        let stored = self.load(integration, device_id)?;
        self.emit(
            integration,
            device_id,
            None,
            "info",
            format!("provisioning {device_id} in {}: creating thing…", integration.region),
        );

        let iot = self
            .clients
            .iot(integration)
            .await
            .map_err(|m| local(Step::ThingType, m))?;
        let call = aws::Call { iot: &iot, device_id };
        call.ensure_thing_type().await?;
        self.done(integration, device_id, Step::ThingType)?;

        let euis = self
            .core
            .store()
            .device_euis(device_id)
            .map_err(|e| Self::store_err(device_id, Step::Thing, e))?;
        call.ensure_thing(euis).await?;
        self.done(integration, device_id, Step::Thing)?;

        // The key is recorded (sealed) before a certificate is asked for it.
        let resumed = stored.is_some();
        let row = match stored {
            Some(row) => row,
            None => {
                let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
                    .map_err(|e| local(Step::Key, format!("cannot generate a P-256 key: {e}")))?;
                let pem = Zeroizing::new(key.serialize_pem());
                let sealed = vault::encrypt_private_key(master, &context, &pem);
                self.core
                    .store()
                    .put_device_key(&integration.id, device_id, device_id, &integration.region, &sealed)
                    .map_err(|e| Self::store_err(device_id, Step::Key, e))?;
                self.load(integration, device_id)?
                    .ok_or_else(|| local(Step::Key, "the stored key vanished".into()))?
            }
        };
        self.done(integration, device_id, Step::Key)?;

        let (cert_arn, cert_pem) = match (&row.cert_id, &row.cert_arn, &row.cert_pem) {
            (Some(_), Some(arn), Some(pem)) => (arn.clone(), pem.clone()),
            _ => {
                let key_pem = vault::decrypt_private_key(master, &context, &row.key_enc)
                    .map_err(|e| local(Step::Key, e.to_string()))?;
                let stale = call.thing_principals().await?;
                if !stale.is_empty() {
                    self.emit(
                        integration,
                        device_id,
                        None,
                        "warn",
                        format!(
                            "thing {device_id} already has {} certificate(s) this machine holds no key for; \
                             issuing a new one and leaving those untouched: {}",
                            stale.len(),
                            stale.join(", ")
                        ),
                    );
                }
                // A certificate AWS issued for this key before a crash (or a cancelled call)
                // kept us from recording it is taken up, not issued again.
                let spki = rcgen::KeyPair::from_pem(&key_pem)
                    .map(|k| rcgen::PublicKeyData::subject_public_key_info(&k))
                    .map_err(|e| local(Step::Key, format!("the stored device key is not usable: {e}")))?;
                let earlier = match resumed {
                    true => call.find_certificate_for_key(&spki, row.created_at_ms).await?,
                    false => None,
                };
                let (id, arn, pem) = match earlier {
                    Some(found) => {
                        self.emit(
                            integration,
                            device_id,
                            None,
                            "info",
                            format!("certificate {} issued earlier for this key is used", found.0),
                        );
                        found
                    }
                    None => {
                        let csr = csr_pem(device_id, &key_pem).map_err(|m| local(Step::Certificate, m))?;
                        let issued = self.issue_certificate(&call, &csr, &spki).await?;
                        if self
                            .crash_before_recording
                            .swap(false, std::sync::atomic::Ordering::SeqCst)
                        {
                            return Err(local(Step::Certificate, "simulated crash (test hook)".into()));
                        }
                        issued
                    }
                };
                self.core
                    .store()
                    .set_device_certificate(&integration.id, device_id, &id, &arn, &pem)
                    .map_err(|e| Self::store_err(device_id, Step::Certificate, e))?;
                (arn, pem)
            }
        };
        self.done(integration, device_id, Step::Certificate)?;

        let prefix = policy::arn_prefix(&cert_arn).map_err(|m| local(Step::Policy, m))?;
        let (name, document) =
            policy::for_thing(integration, device_id, &prefix).map_err(|m| local(Step::Policy, m))?;
        {
            let _one_at_a_time = self.policy_lock(integration).lock_owned().await;
            call.ensure_policy(&name, &document).await?;
        }
        self.done(integration, device_id, Step::Policy)?;

        call.attach_policy(&name, &cert_arn).await?;
        self.done(integration, device_id, Step::AttachPolicy)?;
        call.attach_thing_principal(&cert_arn).await?;
        self.done(integration, device_id, Step::AttachThing)?;

        // Per account and region; integrations may use different accounts.
        let endpoint_key = format!("{}/{}", integration.id, integration.region);
        let cached = self.endpoints.locked().get(&endpoint_key).cloned();
        let endpoint = match cached {
            Some(e) => e,
            None => {
                let e = call.data_endpoint().await?;
                self.endpoints.locked().insert(endpoint_key, e.clone());
                e
            }
        };
        self.core
            .store()
            .set_device_identity_ready(&integration.id, device_id, &endpoint)
            .map_err(|e| Self::store_err(device_id, Step::Endpoint, e))?;
        self.done(integration, device_id, Step::Endpoint)?;

        let key_pem =
            vault::decrypt_private_key(master, &context, &row.key_enc).map_err(|e| local(Step::Key, e.to_string()))?;
        Ok(DeviceIdentity {
            cert_pem,
            key_pem,
            endpoint_host: Some(endpoint),
        })
    }
}

impl Provisioner for AwsProvisioner {
    fn forget(&self, integration_id: &str) {
        AwsProvisioner::forget(self, integration_id);
    }

    fn share<'a>(&'a self, primary: &'a Integration, other: &'a Integration, device_id: &'a str) -> ShareFuture<'a> {
        Box::pin(async move {
            if primary.endpoint.cert_dir.is_some() {
                return Ok(());
            }
            AwsProvisioner::share(self, primary, other, device_id)
                .await
                .map_err(|e| {
                    self.emit(other, device_id, Some(e.step), "error", e.to_string());
                    e.to_string()
                })
        })
    }

    fn identity<'a>(&'a self, integration: &'a Integration, device_id: &'a str) -> ProvisionFuture<'a> {
        Box::pin(async move {
            // Certificates the user made themselves take precedence.
            if integration.endpoint.cert_dir.is_some() {
                return DirectoryProvisioner.identity(integration, device_id).await;
            }
            match self.provision(integration, device_id).await {
                Ok(id) => Ok(id),
                Err(e) => {
                    self.emit(integration, device_id, Some(e.step), "error", e.to_string());
                    Err(e.to_string())
                }
            }
        })
    }
}
