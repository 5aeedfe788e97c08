//! The AWS control plane: device identities (the `Provisioner` seam), provisioning, set-up.
//! (The MQTT sessions to AWS IoT's data plane are bridge machinery: `bridge/session.rs`.)

mod identity;
pub mod provision;
pub mod setup;

pub use identity::{DeviceIdentity, DirectoryProvisioner, ProvisionFuture, Provisioner};
pub use provision::{AwsCredentials, AwsProvisioner};

/// Amazon Root CA 1 (RSA) and 3 (ECC), which sign AWS IoT Core's ATS endpoints.
pub const AMAZON_ROOT_CAS: &str = include_str!("../../certs/amazon-root-cas.pem");

/// The data-plane port: 8883, or 443 with ALPN `x-amzn-mqtt-ca`.
pub const DEFAULT_PORT: u16 = 8883;
