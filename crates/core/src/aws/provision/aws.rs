//! The AWS IoT control-plane calls provisioning makes, each idempotent, with AWS's error code
//! kept. The SDK retries throttling and 5xx answers with jittered exponential backoff.

use crate::sync::LockExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_iot::config::retry::RetryConfig;
use aws_sdk_iot::config::timeout::TimeoutConfig;
use aws_sdk_iot::config::{BehaviorVersion, Region};
use aws_sdk_iot::error::ProvideErrorMetadata;
use aws_sdk_iot::types::{AttributePayload, ThingTypeProperties};
use serde_json::Value;

use super::{AwsCredentials, EventSink, ProvisionError, ProvisionEvent, Step, THING_TYPE};
use crate::domain::Integration;
use crate::vault::Vault;

/// Attempts per control-plane call (the first one included).
pub const MAX_ATTEMPTS: u32 = 6;

/// IoT clients per integration, built from its credentials: those set for it, else its IAM
/// user's key id with the secret from the vault, else the default ones.
pub struct AwsClients {
    default: Option<AwsCredentials>,
    vault: Option<Arc<dyn Vault>>,
    events: Option<EventSink>,
    per_integration: Mutex<HashMap<String, AwsCredentials>>,
    endpoint_url: Option<String>,
    /// A changed setting makes a new client.
    cache: Mutex<HashMap<ClientKey, aws_sdk_iot::Client>>,
}

/// (integration, region, access key id, API URL).
type ClientKey = (String, String, String, Option<String>);

impl AwsClients {
    pub fn new(default: Option<AwsCredentials>, vault: Option<Arc<dyn Vault>>, endpoint_url: Option<String>) -> Self {
        AwsClients {
            default,
            vault,
            events: None,
            per_integration: Mutex::default(),
            endpoint_url,
            cache: Mutex::default(),
        }
    }

    /// Reports throttled or failed (5xx) attempts, which the SDK retries, to `sink`.
    pub fn set_events(&mut self, sink: EventSink) {
        self.events = Some(sink);
    }

    pub fn set_credentials(&self, integration_id: &str, credentials: AwsCredentials) {
        self.forget(integration_id);
        self.per_integration
            .locked()
            .insert(integration_id.to_string(), credentials);
    }

    /// Drops the clients and the credentials kept for an integration (its keys or settings
    /// changed, or it was removed).
    pub fn forget(&self, integration_id: &str) {
        self.per_integration.locked().remove(integration_id);
        self.cache.locked().retain(|(id, ..), _| id != integration_id);
    }

    async fn credentials(&self, integration: &Integration) -> Result<AwsCredentials, String> {
        let wanted = integration.aws.as_ref().map(|a| a.access_key_id.as_str());
        let set = self.per_integration.locked().get(&integration.id).cloned();
        if let Some(c) = set.filter(|c| wanted.is_none_or(|w| w == c.access_key_id)) {
            return Ok(c);
        }
        match (wanted, &self.vault) {
            (Some(key_id), Some(vault)) => {
                let (vault, id, key_id, region) = (
                    vault.clone(),
                    integration.id.clone(),
                    key_id.to_string(),
                    integration.region.clone(),
                );
                let found = tokio::task::spawn_blocking(move || {
                    AwsCredentials::from_vault(vault.as_ref(), &id, &key_id, &region)
                })
                .await
                .map_err(|e| format!("the keychain task failed: {e}"))?
                .map_err(|e| e.to_string())?;
                let creds = found.ok_or_else(|| {
                    format!(
                        "the keychain holds no AWS secret access key for integration {:?}: enter the keys \
                         again (in the app, or `helium-aws-bridge integration update {:?} --access-key-id … \
                         --secret-stdin`)",
                        integration.name, integration.name
                    )
                })?;
                self.per_integration
                    .locked()
                    .insert(integration.id.clone(), creds.clone());
                Ok(creds)
            }
            _ => self.default.clone().ok_or_else(|| {
                format!(
                    "integration {:?} has no AWS access key to provision devices with: add one (in the app, \
                     or `helium-aws-bridge integration update {:?} --access-key-id … --secret-stdin`), or \
                     give it a folder of device certificates",
                    integration.name, integration.name
                )
            }),
        }
    }

    /// The access key id the integration's calls are signed with, if it has one.
    pub async fn key_id(&self, integration: &Integration) -> Option<String> {
        self.credentials(integration).await.ok().map(|c| c.access_key_id)
    }

    pub async fn iot(&self, integration: &Integration) -> Result<aws_sdk_iot::Client, String> {
        let creds = self.credentials(integration).await?;
        let url = integration
            .endpoint
            .api_url
            .clone()
            .or_else(|| self.endpoint_url.clone());
        let key = (
            integration.id.clone(),
            integration.region.clone(),
            creds.access_key_id.clone(),
            url.clone(),
        );
        let mut cache = self.cache.locked();
        if let Some(c) = cache.get(&key) {
            return Ok(c.clone());
        }
        let mut conf = iot_config(&creds, &integration.region, url.as_deref()).to_builder();
        if let Some(sink) = &self.events {
            conf = conf.interceptor(RetryReporter {
                integration_id: integration.id.clone(),
                sink: sink.clone(),
            });
        }
        let client = aws_sdk_iot::Client::from_conf(conf.build());
        cache.insert(key, client.clone());
        Ok(client)
    }
}

/// The SDK configuration: static credentials, the region, standard retries (throttling and
/// 5xx, jittered exponential backoff), bounded timeouts, optional endpoint override.
pub fn iot_config(creds: &AwsCredentials, region: &str, endpoint_url: Option<&str>) -> aws_sdk_iot::Config {
    let mut b = aws_sdk_iot::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .credentials_provider(creds.sdk_credentials())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(200))
                .with_max_backoff(Duration::from_secs(20)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .operation_attempt_timeout(Duration::from_secs(30))
                .build(),
        );
    if let Some(url) = endpoint_url {
        b = b.endpoint_url(url);
    }
    b.build()
}

tokio::task_local! {
    /// The device being provisioned by the calls of this task, so a retry warning names it
    /// (the SDK client is shared by all the integration's devices).
    pub(super) static DEVICE: String;
}

/// Turns each throttled (429, `ThrottlingException`) or 5xx attempt into a warning event; the
/// SDK's standard retry strategy then backs off (jittered) and tries again.
struct RetryReporter {
    integration_id: String,
    sink: EventSink,
}

impl std::fmt::Debug for RetryReporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryReporter")
            .field("integration_id", &self.integration_id)
            .finish()
    }
}

impl aws_sdk_iot::config::Intercept for RetryReporter {
    fn name(&self) -> &'static str {
        "HeliumBridgeRetryReporter"
    }

    fn read_after_attempt(
        &self,
        ctx: &aws_sdk_iot::config::interceptors::FinalizerInterceptorContextRef<'_>,
        _rc: &aws_sdk_iot::config::RuntimeComponents,
        _cfg: &mut aws_sdk_iot::config::ConfigBag,
    ) -> Result<(), aws_sdk_iot::error::BoxError> {
        let Some(resp) = ctx.response() else { return Ok(()) };
        let status = resp.status().as_u16();
        let code = resp
            .headers()
            .get("x-amzn-errortype")
            .map(|v| v.split(':').next().unwrap_or(v).to_string());
        let throttled = status == 429 || code.as_deref().is_some_and(|c| c.contains("Throttling"));
        if throttled || status >= 500 {
            let device_id = DEVICE.try_with(String::clone).unwrap_or_default();
            let while_ = if device_id.is_empty() {
                String::new()
            } else {
                format!(" while provisioning {device_id}")
            };
            (self.sink)(ProvisionEvent {
                integration_id: self.integration_id.clone(),
                device_id,
                step: None,
                level: "warn",
                message: format!(
                    "AWS IoT answered {status}{}{while_}; retrying with backoff",
                    code.map(|c| format!(" ({c})")).unwrap_or_default()
                ),
            });
        }
        Ok(())
    }
}

/// Throttled, 5xx, timed out or not sent: worth another attempt.
fn is_transient<E>(e: &aws_sdk_iot::error::SdkError<E, aws_sdk_iot::config::http::HttpResponse>) -> bool
where
    E: ProvideErrorMetadata,
{
    use aws_sdk_iot::error::SdkError;
    if matches!(e, SdkError::TimeoutError(_) | SdkError::DispatchFailure(_)) {
        return true;
    }
    let status = e.raw_response().map(|r| r.status().as_u16());
    status == Some(429)
        || status.is_some_and(|s| s >= 500)
        || aws_sdk_iot::error::ProvideErrorMetadata::code(e).is_some_and(|c| c.contains("Throttling"))
}

/// The DER bytes of the first PEM block in `pem`.
fn pem_der(pem: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body.trim()).ok()
}

/// AWS IoT thing names: 1–128 of `[a-zA-Z0-9:_-]`.
pub fn check_thing_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 128 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b":_-".contains(&b)) {
        return Err(format!(
            "the device id {name:?} cannot be an AWS IoT thing name (1-128 letters, digits, ':', '_' or '-')"
        ));
    }
    Ok(())
}

/// The calls for one device.
pub struct Call<'a> {
    pub iot: &'a aws_sdk_iot::Client,
    pub device_id: &'a str,
}

fn code_of<E: ProvideErrorMetadata>(e: &E) -> Option<&str> {
    e.code()
}

impl Call<'_> {
    fn fail<E>(&self, step: Step, op: &str, e: E) -> ProvisionError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let code = e.code().map(str::to_string);
        let mut message = match e.message() {
            Some(m) => format!("{op}: {m}"),
            None => format!("{op}: {}", super::credentials::sdk_error_text(&e)),
        };
        // A denied action says which policy to attach, as the key check does.
        if matches!(
            code.as_deref(),
            Some("AccessDenied" | "AccessDeniedException" | "UnauthorizedException")
        ) {
            let action = e
                .message()
                .and_then(super::credentials::denied_action)
                .unwrap_or_else(|| format!("iot:{op}"));
            message = super::credentials::CredentialError::AccessDenied { action }.to_string();
        }
        ProvisionError {
            device_id: self.device_id.to_string(),
            step,
            code,
            message,
        }
    }

    pub async fn ensure_thing_type(&self) -> Result<(), ProvisionError> {
        match self.iot.describe_thing_type().thing_type_name(THING_TYPE).send().await {
            Ok(_) => return Ok(()),
            Err(e) if code_of(&e) == Some("ResourceNotFoundException") => {}
            Err(e) => return Err(self.fail(Step::ThingType, "DescribeThingType", e)),
        }
        let props = ThingTypeProperties::builder()
            .thing_type_description("A Helium LoRaWAN device, bridged by Helium AWS Bridge")
            .searchable_attributes("dev_eui")
            .searchable_attributes("app_eui")
            .build();
        match self
            .iot
            .create_thing_type()
            .thing_type_name(THING_TYPE)
            .thing_type_properties(props)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if code_of(&e) == Some("ResourceAlreadyExistsException") => Ok(()),
            Err(e) => Err(self.fail(Step::ThingType, "CreateThingType", e)),
        }
    }

    pub async fn ensure_thing(&self, euis: Option<(String, Option<String>)>) -> Result<(), ProvisionError> {
        match self.iot.describe_thing().thing_name(self.device_id).send().await {
            Ok(_) => return Ok(()),
            Err(e) if code_of(&e) == Some("ResourceNotFoundException") => {}
            Err(e) => return Err(self.fail(Step::Thing, "DescribeThing", e)),
        }
        let mut attrs = AttributePayload::builder();
        if let Some((dev_eui, app_eui)) = euis {
            attrs = attrs.attributes("dev_eui", dev_eui);
            if let Some(app_eui) = app_eui {
                attrs = attrs.attributes("app_eui", app_eui);
            }
        }
        let req = self
            .iot
            .create_thing()
            .thing_name(self.device_id)
            .thing_type_name(THING_TYPE)
            .attribute_payload(attrs.build());
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e) if code_of(&e) == Some("ResourceAlreadyExistsException") => Ok(()),
            Err(e) => Err(self.fail(Step::Thing, "CreateThing", e)),
        }
    }

    /// The certificates already attached to the thing (their ARNs).
    pub async fn thing_principals(&self) -> Result<Vec<String>, ProvisionError> {
        let out = self
            .iot
            .list_thing_principals()
            .thing_name(self.device_id)
            .send()
            .await
            .map_err(|e| self.fail(Step::Certificate, "ListThingPrincipals", e))?;
        Ok(out.principals().to_vec())
    }

    /// One `CreateCertificateFromCsr` (active) attempt: (certificate id, ARN, PEM). Not
    /// idempotent, so the SDK does not retry it; on `Err((e, true))` (throttled, 5xx, timed out)
    /// the caller may try again after checking whether AWS issued one anyway.
    pub async fn create_certificate_once(&self, csr: &str) -> Result<(String, String, String), (ProvisionError, bool)> {
        let once = aws_sdk_iot::config::Builder::default().retry_config(RetryConfig::standard().with_max_attempts(1));
        let r = self
            .iot
            .create_certificate_from_csr()
            .certificate_signing_request(csr)
            .set_as_active(true)
            .customize()
            .config_override(once)
            .send()
            .await;
        let out = match r {
            Ok(out) => out,
            Err(e) => {
                let again = is_transient(&e);
                return Err((self.fail(Step::Certificate, "CreateCertificateFromCsr", e), again));
            }
        };
        match (out.certificate_id(), out.certificate_arn(), out.certificate_pem()) {
            (Some(id), Some(arn), Some(pem)) => Ok((id.to_string(), arn.to_string(), pem.to_string())),
            _ => Err((
                ProvisionError {
                    device_id: self.device_id.to_string(),
                    step: Step::Certificate,
                    code: None,
                    message: "CreateCertificateFromCsr answered without a certificate".into(),
                },
                false,
            )),
        }
    }

    /// A certificate issued since `since_ms` (less a minute of clock slack) for the key whose
    /// SubjectPublicKeyInfo is `spki`: (id, ARN, PEM). Looks at the newest certificates only.
    pub async fn find_certificate_for_key(
        &self,
        spki: &[u8],
        since_ms: i64,
    ) -> Result<Option<(String, String, String)>, ProvisionError> {
        let out = self
            .iot
            .list_certificates()
            .ascending_order(false)
            .page_size(250)
            .send()
            .await
            .map_err(|e| self.fail(Step::Certificate, "ListCertificates", e))?;
        for c in out.certificates() {
            let recent = c.creation_date().is_none_or(|d| d.secs() * 1000 >= since_ms - 60_000);
            let Some(id) = c.certificate_id().filter(|_| recent) else {
                continue;
            };
            let d = self
                .iot
                .describe_certificate()
                .certificate_id(id)
                .send()
                .await
                .map_err(|e| self.fail(Step::Certificate, "DescribeCertificate", e))?;
            let Some(desc) = d.certificate_description() else {
                continue;
            };
            let (Some(arn), Some(pem)) = (desc.certificate_arn(), desc.certificate_pem()) else {
                continue;
            };
            // The certificate's DER holds its SubjectPublicKeyInfo verbatim.
            if pem_der(pem).is_some_and(|der| der.windows(spki.len()).any(|w| w == spki)) {
                return Ok(Some((id.to_string(), arn.to_string(), pem.to_string())));
            }
        }
        Ok(None)
    }

    /// Creates the policy, or makes `document` its default version when it differs.
    pub async fn ensure_policy(&self, name: &str, document: &Value) -> Result<(), ProvisionError> {
        let text = document.to_string();
        match self.iot.get_policy().policy_name(name).send().await {
            Ok(out) => {
                let current: Option<Value> = out.policy_document().and_then(|d| serde_json::from_str(d).ok());
                if current.as_ref() == Some(document) {
                    return Ok(());
                }
                self.make_room_for_a_policy_version(name).await?;
                self.iot
                    .create_policy_version()
                    .policy_name(name)
                    .policy_document(text)
                    .set_as_default(true)
                    .send()
                    .await
                    .map_err(|e| self.fail(Step::Policy, "CreatePolicyVersion", e))?;
                Ok(())
            }
            Err(e) if code_of(&e) == Some("ResourceNotFoundException") => {
                match self
                    .iot
                    .create_policy()
                    .policy_name(name)
                    .policy_document(text)
                    .send()
                    .await
                {
                    Ok(_) => Ok(()),
                    // Another device of the integration made it meanwhile.
                    Err(e) if code_of(&e) == Some("ResourceAlreadyExistsException") => Ok(()),
                    Err(e) => Err(self.fail(Step::Policy, "CreatePolicy", e)),
                }
            }
            Err(e) => Err(self.fail(Step::Policy, "GetPolicy", e)),
        }
    }

    /// AWS keeps at most 5 versions of a policy: the oldest non-default one goes first.
    async fn make_room_for_a_policy_version(&self, name: &str) -> Result<(), ProvisionError> {
        let out = self
            .iot
            .list_policy_versions()
            .policy_name(name)
            .send()
            .await
            .map_err(|e| self.fail(Step::Policy, "ListPolicyVersions", e))?;
        let mut old: Vec<_> = out
            .policy_versions()
            .iter()
            .filter(|v| !v.is_default_version())
            .collect();
        if out.policy_versions().len() < 5 {
            return Ok(());
        }
        old.sort_by_key(|v| v.create_date().map(|d| d.secs()).unwrap_or(0));
        if let Some(vid) = old.first().and_then(|v| v.version_id()) {
            self.iot
                .delete_policy_version()
                .policy_name(name)
                .policy_version_id(vid)
                .send()
                .await
                .map_err(|e| self.fail(Step::Policy, "DeletePolicyVersion", e))?;
        }
        Ok(())
    }

    pub async fn attach_policy(&self, name: &str, cert_arn: &str) -> Result<(), ProvisionError> {
        self.iot
            .attach_policy()
            .policy_name(name)
            .target(cert_arn)
            .send()
            .await
            .map_err(|e| self.fail(Step::AttachPolicy, "AttachPolicy", e))?;
        Ok(())
    }

    pub async fn attach_thing_principal(&self, cert_arn: &str) -> Result<(), ProvisionError> {
        self.iot
            .attach_thing_principal()
            .thing_name(self.device_id)
            .principal(cert_arn)
            .send()
            .await
            .map_err(|e| self.fail(Step::AttachThing, "AttachThingPrincipal", e))?;
        Ok(())
    }

    /// The account's ATS data endpoint in this region.
    pub async fn data_endpoint(&self) -> Result<String, ProvisionError> {
        let out = self
            .iot
            .describe_endpoint()
            .endpoint_type("iot:Data-ATS")
            .send()
            .await
            .map_err(|e| self.fail(Step::Endpoint, "DescribeEndpoint", e))?;
        out.endpoint_address()
            .map(str::to_string)
            .ok_or_else(|| ProvisionError {
                device_id: self.device_id.to_string(),
                step: Step::Endpoint,
                code: None,
                message: "DescribeEndpoint answered without an address".into(),
            })
    }
}
