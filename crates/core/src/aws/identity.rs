//! Where a device's AWS certificate comes from.

use std::future::Future;
use std::pin::Pin;

use zeroize::Zeroizing;

use crate::domain::Integration;

/// A device's X.509 identity for one integration, and the data endpoint AWS reported.
pub struct DeviceIdentity {
    pub cert_pem: String,
    pub key_pem: Zeroizing<String>,
    /// `None` when unknown; the integration's endpoint override must then name one.
    pub endpoint_host: Option<String>,
}

pub type ProvisionFuture<'a> = Pin<Box<dyn Future<Output = Result<DeviceIdentity, String>> + Send + 'a>>;

/// Gets (creating if needed) the certificate a device uses to reach an integration.
pub trait Provisioner: Send + Sync + 'static {
    fn identity<'a>(&'a self, integration: &'a Integration, device_id: &'a str) -> ProvisionFuture<'a>;

    /// The identity the integration's "watch AWS" monitor connects with: by default, like a
    /// device's, under the monitor's thing name (`helium-bridge-monitor-{integration id}`).
    fn monitor_identity<'a>(&'a self, integration: &'a Integration) -> ProvisionFuture<'a> {
        Box::pin(async move {
            let thing = crate::aws::provision::policy::monitor_thing_name(integration);
            self.identity(integration, &thing).await
        })
    }

    /// The integration's keys or settings changed: drop anything cached for it.
    fn forget(&self, _integration_id: &str) {}

    /// Lets the connection made with `primary`'s identity for `device_id` publish for `other`
    /// too: the two share the device's AWS session (same account and endpoint), because AWS
    /// allows one connection per client id. Certificates the user made themselves carry the
    /// user's own policy, so by default nothing is done.
    fn share<'a>(&'a self, _primary: &'a Integration, _other: &'a Integration, _device_id: &'a str) -> ShareFuture<'a> {
        Box::pin(async { Ok(()) })
    }
}

pub type ShareFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Certificates the user made in AWS themselves, in the integration's certificate folder:
/// `{device_id}.cert.pem` and `{device_id}.key.pem`.
pub struct DirectoryProvisioner;

impl Provisioner for DirectoryProvisioner {
    fn identity<'a>(&'a self, integration: &'a Integration, device_id: &'a str) -> ProvisionFuture<'a> {
        Box::pin(async move {
            let dir = integration.endpoint.cert_dir.as_deref().ok_or_else(|| {
                format!(
                    "integration {:?} has no device certificates: automatic AWS provisioning is not \
                     available in this version; give the integration a certificate folder",
                    integration.name
                )
            })?;
            let dir = std::path::Path::new(dir);
            let read = |name: String| {
                std::fs::read_to_string(dir.join(&name))
                    .map_err(|e| format!("cannot read {}: {e}", dir.join(&name).display()))
            };
            Ok(DeviceIdentity {
                cert_pem: read(format!("{device_id}.cert.pem"))?,
                key_pem: Zeroizing::new(read(format!("{device_id}.key.pem"))?),
                endpoint_host: None,
            })
        })
    }
}
