//! Integration set-up as the wizard and the CLI do it: keys are checked with AWS before
//! anything is saved; the secret goes to the vault only; changed keys are validated first and
//! then swapped; removal optionally cleans up what provisioning created in AWS.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use zeroize::Zeroizing;

use super::provision::credentials::{validate_credentials, CredentialError};
use super::provision::{AwsCredentials, AwsProvisioner, CleanupReport, ProvisionError};
use crate::domain::{AwsAccount, Integration, IntegrationUpdate, NewIntegration};
use crate::store::StoreError;
use crate::validate::{self, Invalid};
use crate::vault::{self, Vault, VaultError};
use crate::Core;

/// An IAM user's access key as the user typed it. The secret is zeroed on drop, never printed.
pub struct NewKeys {
    pub access_key_id: String,
    pub secret_access_key: Zeroizing<String>,
}

impl std::fmt::Debug for NewKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewKeys")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// What AWS said about keys that work: whose they are and the region's IoT data endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KeysChecked {
    pub account: AwsAccount,
    pub data_endpoint: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("cleaning up AWS failed: {0}")]
    Cleanup(#[from] ProvisionError),
}

/// Integration changes (add, update, remove) happen one at a time in this process, so a key
/// swap never interleaves with another change of the same integration.
static SETUP_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// Checks keys with AWS for use in `region`: STS `GetCallerIdentity`, then IoT
/// `DescribeEndpoint(iot:Data-ATS)` there. `api_url` redirects both calls (VPC endpoints,
/// tests). Nothing is saved.
pub async fn check_keys(keys: &NewKeys, region: &str, api_url: Option<&str>) -> Result<KeysChecked, SetupError> {
    validate::access_key_id(&keys.access_key_id)?;
    validate::secret_access_key(&keys.secret_access_key)?;
    validate::region(region)?;
    let creds = AwsCredentials {
        access_key_id: keys.access_key_id.clone(),
        secret_access_key: keys.secret_access_key.clone(),
        region: region.to_string(),
    };
    let (who, data_endpoint) = validate_credentials(&creds, api_url).await?;
    Ok(KeysChecked {
        account: AwsAccount {
            access_key_id: keys.access_key_id.clone(),
            account: who.account,
            user_arn: who.arn,
        },
        data_endpoint,
    })
}

/// Creates an integration. With keys: they are checked with AWS first, the integration is
/// saved with the IAM user's key id, and the secret goes to the vault (if the vault refuses,
/// the integration is not kept). Without keys the integration needs a certificate folder.
pub async fn add_integration(
    core: &Arc<Core>,
    vault: Arc<dyn Vault>,
    new: NewIntegration,
    keys: Option<NewKeys>,
) -> Result<(Integration, Option<KeysChecked>), SetupError> {
    validate::name("name", &new.name)?;
    validate::region(&new.region)?;
    validate::publish_topic(&new.topic)?;
    validate::endpoint(&new.endpoint)?;
    // A clash of names is reported before anything else is asked for.
    {
        let store = core.store();
        if store.find_integration(new.name.trim()).is_ok() {
            return Err(store.name_taken("integrations", "integration", &new.name).into());
        }
    }
    let Some(keys) = keys else {
        if new.endpoint.cert_dir.is_none() {
            return Err(Invalid {
                field: "access key id",
                reason: "give the IAM user's access key id and secret access key (or a folder of device \
                         certificates made in AWS)"
                    .into(),
            }
            .into());
        }
        // Without keys nothing can ask AWS where the account's data endpoint is.
        if new.endpoint.host.is_none() {
            return Err(Invalid {
                field: "endpoint",
                reason: "with a certificate folder and no keys, give the account's AWS IoT data endpoint \
                         (AWS console: IoT Core → Settings → Device data endpoint, like \
                         abc123-ats.iot.us-east-1.amazonaws.com)"
                    .into(),
            }
            .into());
        }
        return Ok((core.store().create_integration(&new)?, None));
    };
    if new.endpoint.cert_dir.is_some() {
        return Err(Invalid {
            field: "certificate folder",
            reason: "give either the IAM user's keys (automatic provisioning) or a certificate folder, not both".into(),
        }
        .into());
    }
    let _one_change_at_a_time = SETUP_LOCK.lock().await;
    let checked = check_keys(&keys, &new.region, new.endpoint.api_url.as_deref()).await?;
    // The secret first, then the row: no integration ever lacks its secret.
    let id = uuid::Uuid::new_v4().to_string();
    let (v, iid, kid, secret) = (
        vault.clone(),
        id.clone(),
        keys.access_key_id.clone(),
        keys.secret_access_key.clone(),
    );
    blocking(move || vault::put_aws_secret(v.as_ref(), &iid, &kid, &secret)).await?;
    let created = core.store().create_integration_as(&id, &new, Some(&checked.account));
    match created {
        Ok(integration) => Ok((integration, Some(checked))),
        Err(e) => {
            let (v, kid) = (vault.clone(), keys.access_key_id.clone());
            let _ = blocking(move || vault::delete_aws_secret(v.as_ref(), &id, &kid)).await;
            Err(e.into())
        }
    }
}

/// What an update changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UpdateOutcome {
    pub integration: Integration,
    /// Keys checked with AWS (new keys, or the stored ones in a new region).
    pub checked: Option<KeysChecked>,
    pub keys_changed: bool,
    /// Devices are provisioned again in the new region as they next connect.
    pub region_changed: bool,
}

/// Changes an integration's settings. New keys, a new region or a new API URL are checked with
/// AWS first; only then are the secret (vault) and the settings (store) swapped, and if the
/// store refuses, the previous secret is put back. Nothing changes when a check fails.
pub async fn update_integration(
    core: &Arc<Core>,
    vault: Arc<dyn Vault>,
    id: &str,
    mut update: IntegrationUpdate,
    keys: Option<NewKeys>,
) -> Result<UpdateOutcome, SetupError> {
    let _one_change_at_a_time = SETUP_LOCK.lock().await;
    let current = core.store().get_integration(id)?;
    update.aws = None;
    let region = update.region.clone().unwrap_or_else(|| current.region.clone());
    let endpoint = update.endpoint.clone().unwrap_or_else(|| current.endpoint.clone());
    if keys.is_some() && endpoint.cert_dir.is_some() {
        return Err(Invalid {
            field: "certificate folder",
            reason: "this integration uses certificates made by hand; clear its certificate folder to provision \
                     with keys instead"
                .into(),
        }
        .into());
    }
    let region_changed = region != current.region;
    let recheck = region_changed || endpoint.api_url != current.endpoint.api_url;
    let checked = match (&keys, &current.aws) {
        (Some(k), _) => Some(check_keys(k, &region, endpoint.api_url.as_deref()).await?),
        (None, Some(aws)) if recheck => {
            let (v, iid, kid) = (vault.clone(), current.id.clone(), aws.access_key_id.clone());
            let secret = blocking(move || vault::get_aws_secret(v.as_ref(), &iid, &kid)).await?;
            let secret = secret.ok_or_else(|| Invalid {
                field: "secret access key",
                reason: format!(
                    "the {} holds none for this integration; enter the keys again",
                    vault::name()
                ),
            })?;
            let stored = NewKeys {
                access_key_id: aws.access_key_id.clone(),
                secret_access_key: secret,
            };
            Some(check_keys(&stored, &region, endpoint.api_url.as_deref()).await?)
        }
        _ => None,
    };
    // Devices provisioned in one account cannot move to another by a key change.
    if let (Some(c), Some(old)) = (&checked, &current.aws) {
        let provisioned = {
            let store = core.store();
            !store.list_device_identities(id)?.is_empty() || !store.list_retired_identities(id)?.is_empty()
        };
        if c.account.account != old.account && provisioned {
            return Err(Invalid {
                field: "access key id",
                reason: format!(
                    "these keys belong to AWS account {}, but this integration's devices were provisioned in \
                     account {}: use keys of account {}, or remove the integration (cleaning up AWS) and add one \
                     for the other account",
                    c.account.account, old.account, old.account
                ),
            }
            .into());
        }
    }
    update.aws = checked.as_ref().map(|c| c.account.clone());
    let mut after = current.clone();
    after.region = region.clone();
    after.endpoint = endpoint.clone();
    if let Some(t) = &update.topic {
        validate::publish_topic(t)?;
        after.topic = t.clone();
    }
    let new_keys = keys.as_ref().map(|k| k.access_key_id.clone());
    if let Some(k) = &keys {
        // Stored beside the old key (entries are named by key id); the row switching key ids
        // below is the swap.
        let (v, iid, kid, secret) = (
            vault.clone(),
            current.id.clone(),
            k.access_key_id.clone(),
            k.secret_access_key.clone(),
        );
        blocking(move || vault::put_aws_secret(v.as_ref(), &iid, &kid, &secret)).await?;
        after.aws = update.aws.clone();
    }
    // A new topic must be allowed by the policy before sessions publish to it.
    if after.topic != current.topic && !region_changed && after.aws.is_some() {
        let provisioner = AwsProvisioner::from_vault(core.clone(), vault.clone());
        if let Some(k) = &keys {
            provisioner.set_credentials(
                &after.id,
                AwsCredentials {
                    access_key_id: k.access_key_id.clone(),
                    secret_access_key: k.secret_access_key.clone(),
                    region: after.region.clone(),
                },
            );
        }
        if let Err(e) = provisioner.refresh_policy(&after).await {
            forget_new_key(&vault, &current, new_keys.as_deref()).await;
            return Err(e.into());
        }
    }
    // Bound first: the store guard must not live across the `.await` below.
    let updated = core.store().update_integration(id, &update);
    match updated {
        Ok(integration) => {
            if new_keys.is_some() && new_keys.as_deref() != current.aws.as_ref().map(|a| a.access_key_id.as_str()) {
                if let Some(old) = &current.aws {
                    let (v, iid, kid) = (vault.clone(), current.id.clone(), old.access_key_id.clone());
                    let _ = blocking(move || vault::delete_aws_secret(v.as_ref(), &iid, &kid)).await;
                }
            }
            Ok(UpdateOutcome {
                integration,
                checked,
                keys_changed: new_keys.is_some(),
                region_changed,
            })
        }
        Err(e) => {
            forget_new_key(&vault, &current, new_keys.as_deref()).await;
            Err(e.into())
        }
    }
}

/// Takes a new key's secret out of the vault again after a failed update, unless it is the key
/// the integration already uses (then the entry is the one in use and stays).
async fn forget_new_key(vault: &Arc<dyn Vault>, current: &Integration, new_key: Option<&str>) {
    let Some(kid) = new_key else { return };
    if current.aws.as_ref().is_some_and(|a| a.access_key_id == kid) {
        return;
    }
    let (v, iid, kid) = (vault.clone(), current.id.clone(), kid.to_string());
    let _ = blocking(move || vault::delete_aws_secret(v.as_ref(), &iid, &kid)).await;
}

/// What removing an integration did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RemoveOutcome {
    pub name: String,
    /// Uplinks that were still waiting for it and were dropped.
    #[ts(type = "number")]
    pub dropped_uplinks: i64,
    /// `None`: AWS was not touched (its things, certificates and policy remain).
    pub cleanup: Option<CleanupReport>,
    /// False when the cleanup failed somewhere: the integration is kept, disabled, with what
    /// it knows of AWS, so the cleanup can be run again.
    pub removed: bool,
    /// What went wrong after the integration was removed (e.g. the keychain refused).
    pub warnings: Vec<String>,
    /// What the bridge had created in AWS and left there (AWS not cleaned up): things,
    /// certificates, the policy.
    pub left_in_aws: Vec<String>,
}

/// What provisioning created in AWS for an integration, as the store knows it.
fn created_in_aws(core: &Core, integration: &Integration) -> Result<Vec<String>, StoreError> {
    if integration.aws.is_none() {
        return Ok(vec![]);
    }
    let store = core.store();
    let at = |what: String, region: &str| {
        if region == integration.region {
            what
        } else {
            format!("{what} in {region}")
        }
    };
    let mut things = std::collections::BTreeSet::new();
    let mut certs = Vec::new();
    let mut monitor = false;
    for r in store.list_device_identities(&integration.id)? {
        monitor |= super::provision::policy::is_monitor_thing(&r.thing_name);
        things.insert(at(format!("thing {}", r.thing_name), &r.region));
        if let Some(c) = r.cert_id {
            certs.push(at(format!("certificate {c}"), &r.region));
        }
    }
    for r in store.list_retired_identities(&integration.id)? {
        things.insert(at(format!("thing {}", r.thing_name), &r.region));
        certs.push(at(format!("certificate {}", r.cert_id), &r.region));
    }
    let mut out: Vec<String> = things.into_iter().collect();
    out.extend(certs);
    if !out.is_empty() {
        out.push(format!("policy {}", super::provision::policy::policy_name(integration)));
    }
    if monitor {
        out.push(format!(
            "policy {}",
            super::provision::policy::monitor_policy_name(integration)
        ));
    }
    Ok(out)
}

/// Removes an integration. With `cleanup_aws`, first removes from AWS what provisioning made
/// for it (a report says what could not be removed, and why); without, AWS is not touched.
/// Either way its keychain entry goes. The caller stops the integration's sessions first.
pub async fn remove_integration(
    core: &Arc<Core>,
    vault: Arc<dyn Vault>,
    id: &str,
    cleanup_aws: bool,
) -> Result<RemoveOutcome, SetupError> {
    let _one_change_at_a_time = SETUP_LOCK.lock().await;
    let integration = core.store().get_integration(id)?;
    let cleanup = if cleanup_aws && integration.aws.is_some() {
        let provisioner = AwsProvisioner::from_vault(core.clone(), vault.clone());
        Some(provisioner.deprovision(&integration).await?)
    } else if cleanup_aws {
        Some(CleanupReport {
            removed: vec![],
            kept: vec![(
                "AWS resources".into(),
                "this integration uses certificates made in AWS by hand; the bridge created nothing there".into(),
            )],
            failed: vec![],
        })
    } else {
        None
    };
    if cleanup.as_ref().is_some_and(|r| !r.failed.is_empty()) {
        core.store().set_integration_active(id, false)?;
        return Ok(RemoveOutcome {
            name: integration.name,
            dropped_uplinks: 0,
            cleanup,
            removed: false,
            warnings: vec![
                "the integration is kept (disabled) so the cleanup can be run again once the problem is \
                 fixed; or remove it leaving AWS as it is"
                    .into(),
            ],
            left_in_aws: vec![],
        });
    }
    let left_in_aws = if cleanup.is_none() {
        created_in_aws(core, &integration)?
    } else {
        vec![]
    };
    let dropped_uplinks = core.store().integration_outbox_len(id)?;
    core.store().remove_integration(id)?;
    let mut warnings = Vec::new();
    if let Some(aws) = &integration.aws {
        let (v, iid, kid) = (vault.clone(), integration.id.clone(), aws.access_key_id.clone());
        if let Err(e) = blocking(move || vault::delete_aws_secret(v.as_ref(), &iid, &kid)).await {
            warnings.push(format!(
                "its AWS secret access key could not be deleted from the {}: {e}",
                vault::name()
            ));
        }
    }
    Ok(RemoveOutcome {
        name: integration.name,
        dropped_uplinks,
        cleanup,
        removed: true,
        warnings,
        left_in_aws,
    })
}

/// The result of provisioning an integration's devices now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ProvisionSummary {
    pub provisioned: Vec<String>,
    /// (device id, why)
    pub failed: Vec<(String, String)>,
}

/// Provisions every device that shares a label with the integration (bounded concurrency; each
/// step is an event on `provisioner`'s sink). Devices provisioned before are only checked.
pub async fn provision_now(
    core: &Arc<Core>,
    provisioner: &AwsProvisioner,
    id: &str,
) -> Result<ProvisionSummary, SetupError> {
    let integration = core.store().get_integration(id)?;
    let devices = core.store().integration_device_ids(id)?;
    let results = futures_util::future::join_all(devices.iter().map(|d| provisioner.provision(&integration, d))).await;
    let mut summary = ProvisionSummary::default();
    for (device, r) in devices.into_iter().zip(results) {
        match r {
            Ok(_) => summary.provisioned.push(device),
            Err(e) => summary.failed.push((device, e.to_string())),
        }
    }
    Ok(summary)
}
