//! Policies: bringing an integration's policy up to date, and granting it to a certificate
//! another integration's session uses (one session per device and endpoint).

use std::sync::Arc;

use super::{aws, policy, AwsProvisioner, ProvisionError, Step};
use crate::domain::Integration;
use crate::sync::LockExt;

impl AwsProvisioner {
    pub(super) fn policy_lock(&self, integration: &Integration) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.policy_locks.locked();
        locks.entry(integration.id.clone()).or_default().clone()
    }

    /// Brings the integration's policy in its region up to date with its settings (a new
    /// topic), so devices provisioned before may publish there. `Ok(false)` when no device has
    /// been provisioned in that region yet (the first one makes the policy).
    pub async fn refresh_policy(&self, integration: &Integration) -> Result<bool, ProvisionError> {
        let rows = self
            .core
            .store()
            .list_device_identities(&integration.id)
            .map_err(|e| Self::store_err("", Step::Policy, e))?;
        let Some(arn) = rows
            .iter()
            .filter(|r| r.region == integration.region)
            .find_map(|r| r.cert_arn.clone())
        else {
            return Ok(false);
        };
        let local = |message: String| ProvisionError {
            device_id: String::new(),
            step: Step::Policy,
            code: None,
            message,
        };
        let prefix = policy::arn_prefix(&arn).map_err(local)?;
        let iot = self.clients.iot(integration).await.map_err(local)?;
        let call = aws::Call {
            iot: &iot,
            device_id: "",
        };
        let _one_at_a_time = self.policy_lock(integration).lock_owned().await;
        // The devices' policy, and the monitor's where it was made (it watches the topic too).
        let monitor = policy::monitor_thing_name(integration);
        let watched = rows
            .iter()
            .any(|r| r.thing_name == monitor && r.region == integration.region);
        for thing in std::iter::once("").chain(watched.then_some(monitor.as_str())) {
            let (name, document) = policy::for_thing(integration, thing, &prefix).map_err(local)?;
            call.ensure_policy(&name, &document).await?;
        }
        Ok(true)
    }

    /// Attaches `other`'s policy (made if needed) to the certificate `primary` provisioned for
    /// the device, so their shared session may publish on `other`'s topic.
    pub async fn share(
        &self,
        primary: &Integration,
        other: &Integration,
        device_id: &str,
    ) -> Result<(), ProvisionError> {
        let local = |step: Step, message: String| ProvisionError {
            device_id: device_id.to_string(),
            step,
            code: None,
            message,
        };
        let cert_arn = self
            .load(primary, device_id)?
            .and_then(|row| row.cert_arn)
            .ok_or_else(|| local(Step::AttachPolicy, "the device has no certificate yet".into()))?;
        let iot = self.clients.iot(other).await.map_err(|m| local(Step::Policy, m))?;
        let call = aws::Call { iot: &iot, device_id };
        let name = policy::policy_name(other);
        let prefix = policy::arn_prefix(&cert_arn).map_err(|m| local(Step::Policy, m))?;
        let document = policy::policy_document(other, &prefix).map_err(|m| local(Step::Policy, m))?;
        {
            let _one_at_a_time = self.policy_lock(other).lock_owned().await;
            call.ensure_policy(&name, &document).await?;
        }
        call.attach_policy(&name, &cert_arn).await
    }
}
