//! What an integration's messages carry: `decoded`, ChirpStack's `object`, shadow updates. Turning
//! shadow updates on first lets the integration's devices publish to their own shadow (its
//! policy grows by that one topic), so the change is refused if AWS cannot be told.

use super::{Control, ControlError, Reply};
use crate::aws::AwsProvisioner;
use crate::domain::PayloadOptions;
use crate::vault;

impl Control {
    pub(super) async fn set_payload(&self, integration: &str, options: PayloadOptions) -> Result<Reply, ControlError> {
        let current = self.core.store().find_integration(integration)?;
        if options.shadow && !current.payload.shadow && current.aws.is_some() {
            let mut after = current.clone();
            after.payload = options;
            let provisioner = AwsProvisioner::from_vault(self.core.clone(), vault::from_env()?);
            provisioner.refresh_policy(&after).await.map_err(|e| {
                ControlError::new(
                    "aws",
                    format!("shadow updates stay off: the integration's AWS policy could not allow them ({e})"),
                )
            })?;
        }
        let integration = {
            let store = self.core.store();
            store.set_integration_payload(&current.id, options)?;
            store.get_integration(&current.id)?
        };
        // Sources read it with their routing at the next uplink; sessions need nothing new.
        self.tell(&["integrations"]);
        Ok(Reply::IntegrationActive { integration })
    }
}
