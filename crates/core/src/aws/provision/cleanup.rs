//! Deprovisioning an integration: for each certificate it created, detach the policy and the
//! thing, set it INACTIVE and delete it; delete the things no other integration uses (and that
//! hold no other certificate); delete the integration's policy; forget the local identities and
//! the integration's AWS secret in the keychain. What could not be removed is reported, with why.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iot::types::CertificateStatus;

use super::{policy, ProvisionError};
use crate::domain::Integration;

/// What a cleanup removed, what it left on purpose, and what it could not remove
/// (`(what, why)`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct CleanupReport {
    pub removed: Vec<String>,
    /// Left in AWS on purpose: shared with another integration, or holding certificates the
    /// bridge did not make.
    pub kept: Vec<(String, String)>,
    /// Errors; a cleanup with any can be run again.
    pub failed: Vec<(String, String)>,
}

impl CleanupReport {
    /// Like `record`, for calls where "not found" means someone removed it already.
    fn record_found(&mut self, what: String, result: Result<bool, String>) -> bool {
        match result {
            Ok(true) => self.record::<String>(what, Ok(())),
            Ok(false) => self.record::<String>(format!("{what} (already gone)"), Ok(())),
            Err(e) => self.record(what, Err(e)),
        }
    }

    fn record<E: std::fmt::Display>(&mut self, what: String, result: Result<(), E>) -> bool {
        match result {
            Ok(()) => {
                self.removed.push(what);
                true
            }
            Err(e) => {
                self.failed.push((what, e.to_string()));
                false
            }
        }
    }
}

fn why<E>(e: aws_sdk_iot::error::SdkError<E, aws_sdk_iot::config::http::HttpResponse>) -> String
where
    E: aws_sdk_iot::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_sdk_iot::error::ProvideErrorMetadata;
    match (e.code(), e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        _ => super::credentials::sdk_error_text(&e),
    }
}

/// One certificate to remove, with its thing.
struct Item {
    device_id: String,
    thing_name: String,
    /// (certificate id, ARN); `None` when provisioning stopped before the certificate.
    cert: Option<(String, String)>,
    /// From `retired_identities` (an earlier region or key), not the device's current identity.
    retired: bool,
}

/// `Ok(true)`: done; `Ok(false)`: AWS did not know it (already gone).
fn found<T, E>(
    r: Result<T, aws_sdk_iot::error::SdkError<E, aws_sdk_iot::config::http::HttpResponse>>,
) -> Result<bool, String>
where
    E: aws_sdk_iot::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match r {
        Ok(_) => Ok(true),
        Err(e) if aws_sdk_iot::error::ProvideErrorMetadata::code(&e) == Some("ResourceNotFoundException") => Ok(false),
        Err(e) => Err(why(e)),
    }
}

impl super::AwsProvisioner {
    /// Removes from AWS what this integration's provisioning created, in every region it used
    /// (certificates retired by a region move included), then its local identities and keychain
    /// entry. Without calling this, nothing in AWS is touched.
    pub async fn deprovision(&self, integration: &Integration) -> Result<CleanupReport, ProvisionError> {
        let store_err = |e| Self::store_err("", super::Step::Certificate, e);
        let rows = self
            .core
            .store()
            .list_device_identities(&integration.id)
            .map_err(store_err)?;
        let retired = self
            .core
            .store()
            .list_retired_identities(&integration.id)
            .map_err(store_err)?;
        let mut regions: BTreeMap<String, Vec<Item>> = BTreeMap::new();
        regions.entry(integration.region.clone()).or_default();
        for r in rows {
            regions.entry(r.region.clone()).or_default().push(Item {
                device_id: r.device_id,
                thing_name: r.thing_name,
                cert: r.cert_id.zip(r.cert_arn),
                retired: false,
            });
        }
        for r in retired {
            regions.entry(r.region.clone()).or_default().push(Item {
                device_id: r.device_id,
                thing_name: r.thing_name,
                cert: Some((r.cert_id, r.cert_arn)),
                retired: true,
            });
        }
        let mut report = CleanupReport::default();
        for (region, items) in regions {
            let mut there = integration.clone();
            there.region = region;
            let iot = self.clients.iot(&there).await.map_err(|message| ProvisionError {
                device_id: String::new(),
                step: super::Step::Certificate,
                code: None,
                message,
            })?;
            self.deprovision_region(integration, &there.region, &iot, items, &mut report)
                .await;
        }
        if !report.failed.is_empty() {
            // The keys stay, so the cleanup can be run again.
            return Ok(report);
        }
        let (vault, id) = (self.vault.clone(), integration.id.clone());
        let key_id = self.clients.key_id(integration).await;
        let secret = tokio::task::spawn_blocking(move || match key_id {
            Some(key_id) => crate::vault::delete_aws_secret(vault.as_ref(), &id, &key_id),
            None => Ok(false),
        })
        .await;
        let what = format!("the AWS secret access key in the {}", crate::vault::name());
        match secret {
            Ok(Ok(true)) => report.removed.push(what),
            Ok(Ok(false)) => {}
            Ok(Err(e)) => report.failed.push((what, e.to_string())),
            Err(e) => report.failed.push((what, e.to_string())),
        }
        Ok(report)
    }

    async fn deprovision_region(
        &self,
        integration: &Integration,
        region: &str,
        iot: &aws_sdk_iot::Client,
        items: Vec<Item>,
        report: &mut CleanupReport,
    ) {
        // Names carry the region only where it is not the integration's own.
        let at = |what: String| {
            if region == integration.region {
                what
            } else {
                format!("{what} in {region}")
            }
        };
        let name = policy::policy_name(integration);
        let mut things = BTreeSet::new();
        for item in &items {
            let mut cert_gone = true;
            if let Some((id, arn)) = &item.cert {
                // Policies of integrations that shared this certificate's session (one session
                // per endpoint) hold it too; AWS deletes no certificate with a policy attached.
                if let Ok(out) = iot.list_attached_policies().target(arn).send().await {
                    for other in out
                        .policies()
                        .iter()
                        .filter_map(|p| p.policy_name())
                        .filter(|n| *n != name)
                    {
                        let r = found(iot.detach_policy().policy_name(other).target(arn).send().await);
                        report.record_found(at(format!("policy {other} from certificate {id}")), r);
                    }
                }
                // The monitor's certificate holds only its own policy (detached just above).
                if !policy::is_monitor_thing(&item.thing_name) {
                    let detach = found(iot.detach_policy().policy_name(&name).target(arn).send().await);
                    report.record_found(at(format!("policy {name} from certificate {id}")), detach);
                }
                let r = found(
                    iot.detach_thing_principal()
                        .thing_name(&item.thing_name)
                        .principal(arn)
                        .send()
                        .await,
                );
                report.record_found(at(format!("certificate {id} from thing {}", item.thing_name)), r);
                let r = iot
                    .update_certificate()
                    .certificate_id(id)
                    .new_status(CertificateStatus::Inactive)
                    .send()
                    .await;
                cert_gone = report.record_found(at(format!("certificate {id} set INACTIVE")), found(r))
                    && report.record_found(
                        at(format!("certificate {id}")),
                        found(iot.delete_certificate().certificate_id(id).send().await),
                    );
            }
            if cert_gone {
                let store = self.core.store();
                let _ = match (&item.cert, item.retired) {
                    (Some((id, _)), true) => store.delete_retired_identity(&integration.id, id),
                    _ => store.delete_device_identity(&integration.id, &item.device_id),
                };
            }
            things.insert(item.thing_name.clone());
        }
        for thing in things {
            let in_use = self
                .core
                .store()
                .thing_used_by_other_integration(&thing, &integration.id, region)
                .unwrap_or(true);
            if in_use {
                report
                    .failed
                    .push((at(format!("thing {thing}")), "another integration uses it".into()));
                continue;
            }
            match iot.list_thing_principals().thing_name(&thing).send().await {
                Ok(o) if !o.principals().is_empty() => report.kept.push((
                    at(format!("thing {thing}")),
                    format!(
                        "it still has {} certificate(s) this integration did not create",
                        o.principals().len()
                    ),
                )),
                Err(e) if aws_sdk_iot::error::ProvideErrorMetadata::code(&e) == Some("ResourceNotFoundException") => {}
                _ => {
                    let r = iot.delete_thing().thing_name(&thing).send().await;
                    report.record(at(format!("thing {thing}")), r.map(|_| ()).map_err(why));
                }
            }
        }
        for name in [name, policy::monitor_policy_name(integration)] {
            delete_policy(iot, &name, &at, report).await;
        }
    }
}

/// Deletes one of the integration's policies (its versions first, detached from whatever
/// still holds it); one AWS does not know is already gone.
async fn delete_policy(
    iot: &aws_sdk_iot::Client,
    name: &str,
    at: &impl Fn(String) -> String,
    report: &mut CleanupReport,
) {
    match iot.list_policy_versions().policy_name(name).send().await {
        Err(e) if aws_sdk_iot::error::ProvideErrorMetadata::code(&e) == Some("ResourceNotFoundException") => {}
        Err(e) => report.failed.push((at(format!("policy {name}")), why(e))),
        Ok(versions) => {
            for v in versions.policy_versions().iter().filter(|v| !v.is_default_version()) {
                let vid = v.version_id().unwrap_or_default();
                let r = iot
                    .delete_policy_version()
                    .policy_name(name)
                    .policy_version_id(vid)
                    .send()
                    .await;
                report.record(at(format!("policy {name} version {vid}")), r.map(|_| ()).map_err(why));
            }
            // Certificates of other integrations whose session this one shared hold it too.
            if let Ok(out) = iot.list_targets_for_policy().policy_name(name).send().await {
                for target in out.targets() {
                    let r = found(iot.detach_policy().policy_name(name).target(target).send().await);
                    report.record_found(at(format!("policy {name} from {target}")), r);
                }
            }
            let r = iot.delete_policy().policy_name(name).send().await;
            report.record(at(format!("policy {name}")), r.map(|_| ()).map_err(why));
        }
    }
}
