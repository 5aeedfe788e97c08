//! Deprovisioning an integration: for each certificate it created, detach the policy and the
//! thing, set it INACTIVE and delete it; delete the things no other integration uses (and that
//! hold no other certificate); delete the integration's policy; forget the local identities and
//! the integration's AWS secret in the keychain. What could not be removed is reported, with why.

use aws_sdk_iot::types::CertificateStatus;

use super::{policy, ProvisionError};
use crate::domain::Integration;

/// What a cleanup removed, and what it could not (`(what, why)`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct CleanupReport {
    pub removed: Vec<String>,
    pub failed: Vec<(String, String)>,
}

impl CleanupReport {
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
        _ => aws_sdk_iot::error::DisplayErrorContext(&e).to_string(),
    }
}

impl super::AwsProvisioner {
    /// Removes from AWS what this integration's provisioning created, then its local
    /// identities and keychain entry. Without calling this, nothing in AWS is touched.
    pub async fn deprovision(&self, integration: &Integration) -> Result<CleanupReport, ProvisionError> {
        let rows = self
            .core
            .store()
            .list_device_identities(&integration.id)
            .map_err(|e| Self::store_err("", super::Step::Certificate, e))?;
        let iot = self.clients.iot(integration).await.map_err(|message| ProvisionError {
            device_id: String::new(),
            step: super::Step::Certificate,
            code: None,
            message,
        })?;
        let name = policy::policy_name(integration);
        let mut report = CleanupReport::default();
        for row in &rows {
            let mut cert_gone = true;
            if let (Some(id), Some(arn)) = (&row.cert_id, &row.cert_arn) {
                let detach = iot.detach_policy().policy_name(&name).target(arn).send().await;
                let detach = match detach {
                    Err(e)
                        if aws_sdk_iot::error::ProvideErrorMetadata::code(&e) == Some("ResourceNotFoundException") =>
                    {
                        Ok(())
                    }
                    r => r.map(|_| ()).map_err(why),
                };
                report.record(format!("policy {name} from certificate {id}"), detach);
                let r = iot
                    .detach_thing_principal()
                    .thing_name(&row.thing_name)
                    .principal(arn)
                    .send()
                    .await;
                let r = match r {
                    Err(e)
                        if aws_sdk_iot::error::ProvideErrorMetadata::code(&e) == Some("ResourceNotFoundException") =>
                    {
                        Ok(())
                    }
                    r => r.map(|_| ()).map_err(why),
                };
                report.record(format!("certificate {id} from thing {}", row.thing_name), r);
                let r = iot
                    .update_certificate()
                    .certificate_id(id)
                    .new_status(CertificateStatus::Inactive)
                    .send()
                    .await;
                cert_gone = report.record(format!("certificate {id} set INACTIVE"), r.map(|_| ()).map_err(why))
                    && report.record(
                        format!("certificate {id}"),
                        iot.delete_certificate()
                            .certificate_id(id)
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(why),
                    );
            }
            let in_use = self
                .core
                .store()
                .thing_used_by_other_integration(&row.thing_name, &integration.id)
                .unwrap_or(true);
            if in_use {
                report.failed.push((
                    format!("thing {}", row.thing_name),
                    "another integration uses it".into(),
                ));
            } else {
                let others = iot.list_thing_principals().thing_name(&row.thing_name).send().await;
                match others {
                    Ok(o) if !o.principals().is_empty() => report.failed.push((
                        format!("thing {}", row.thing_name),
                        format!(
                            "it still has {} certificate(s) this integration did not create",
                            o.principals().len()
                        ),
                    )),
                    Err(e)
                        if aws_sdk_iot::error::ProvideErrorMetadata::code(&e) == Some("ResourceNotFoundException") => {}
                    _ => {
                        let r = iot.delete_thing().thing_name(&row.thing_name).send().await;
                        report.record(format!("thing {}", row.thing_name), r.map(|_| ()).map_err(why));
                    }
                }
            }
            if cert_gone {
                let _ = self
                    .core
                    .store()
                    .delete_device_identity(&integration.id, &row.device_id);
            }
        }
        match iot.list_policy_versions().policy_name(&name).send().await {
            Err(e) if aws_sdk_iot::error::ProvideErrorMetadata::code(&e) == Some("ResourceNotFoundException") => {}
            Err(e) => report.failed.push((format!("policy {name}"), why(e))),
            Ok(versions) => {
                for v in versions.policy_versions().iter().filter(|v| !v.is_default_version()) {
                    let vid = v.version_id().unwrap_or_default();
                    let r = iot
                        .delete_policy_version()
                        .policy_name(&name)
                        .policy_version_id(vid)
                        .send()
                        .await;
                    report.record(format!("policy {name} version {vid}"), r.map(|_| ()).map_err(why));
                }
                let r = iot.delete_policy().policy_name(&name).send().await;
                report.record(format!("policy {name}"), r.map(|_| ()).map_err(why));
            }
        }
        let vault = self.vault.clone();
        let id = integration.id.clone();
        let secret = tokio::task::spawn_blocking(move || crate::vault::delete_aws_secret(vault.as_ref(), &id)).await;
        match secret {
            Ok(Ok(true)) => report.removed.push("the AWS secret access key in the keychain".into()),
            Ok(Ok(false)) => {}
            Ok(Err(e)) => report
                .failed
                .push(("the AWS secret access key in the keychain".into(), e.to_string())),
            Err(e) => report
                .failed
                .push(("the AWS secret access key in the keychain".into(), e.to_string())),
        }
        Ok(report)
    }
}
