//! Provisioning against moto (the AWS IoT control plane, whose CreateCertificateFromCsr signs
//! our CSR's key with the test CA), with the master key in a real gnome-keyring.

use std::sync::{Arc, Mutex};

use helium_bridge_core::aws::provision::{policy::policy_name, ProvisionEvent};
use helium_bridge_core::aws::{AwsCredentials, AwsProvisioner};
use helium_bridge_core::domain::{EndpointOverride, Integration, IntegrationKind, NewIntegration};
use helium_bridge_core::{vault, Core, KeyringVault, Vault};
use serde_json::Value;
use test_harness::{KeychainSession, Moto, TestCa};

pub const SECRET: &str = "mOtOsEcReT/for+provisioning/tests0123456789";
pub const KEY_ID: &str = "AKIAPROVISIONTEST";

pub struct Setup {
    _keychain: KeychainSession,
    pub vault: Arc<dyn Vault>,
    pub moto: Moto,
    pub iot: aws_sdk_iot::Client,
}

pub fn setup(ca: &TestCa) -> Setup {
    // moto first: the keychain session points HOME elsewhere, and moto finds its venv there.
    let moto = Moto::start(ca);
    let keychain = KeychainSession::start();
    keychain.apply_env_to_this_process();
    let vault: Arc<dyn Vault> = Arc::new(KeyringVault::with_service(format!(
        "helium-provision-moto-{}",
        uuid::Uuid::new_v4().simple()
    )));
    let iot = moto.iot_client("us-east-1");
    Setup {
        _keychain: keychain,
        vault,
        moto,
        iot,
    }
}

impl Setup {
    /// A provisioner whose credentials come from the keychain, as the app's will.
    pub fn provisioner(
        &self,
        core: &Arc<Core>,
        integration: &Integration,
        events: Arc<Mutex<Vec<ProvisionEvent>>>,
    ) -> AwsProvisioner {
        vault::put_aws_secret(self.vault.as_ref(), &integration.id, KEY_ID, SECRET).unwrap();
        let creds = AwsCredentials::from_vault(self.vault.as_ref(), &integration.id, KEY_ID, "us-east-1")
            .unwrap()
            .unwrap();
        AwsProvisioner::new(core.clone(), self.vault.clone(), creds, Some(self.moto.endpoint_url()))
            .with_events(Arc::new(move |e| events.lock().unwrap().push(e)))
    }

    /// A data directory with integrations "a" and "b" in the one moto account, both keys in
    /// the keychain, and a provisioner for them.
    pub fn two_integrations(&self) -> TwoIntegrations {
        let data = tempfile::tempdir().unwrap();
        let core = Arc::new(Core::open(data.path()).unwrap());
        let a = named_integration(&core, "a", EndpointOverride::default());
        let b = named_integration(&core, "b", EndpointOverride::default());
        let p = self.provisioner(&core, &a, Arc::new(Mutex::new(Vec::new())));
        vault::put_aws_secret(self.vault.as_ref(), &b.id, KEY_ID, SECRET).unwrap();
        TwoIntegrations {
            _data: data,
            core,
            a,
            b,
            p,
        }
    }

    /// The integration's policy document as moto holds it.
    pub async fn policy_document(&self, integration: &Integration) -> Value {
        let policy = self
            .iot
            .get_policy()
            .policy_name(policy_name(integration))
            .send()
            .await
            .unwrap();
        let text = policy.policy_document().unwrap();
        assert!(text.len() <= 2048, "AWS's limit on a policy document");
        serde_json::from_str(text).unwrap()
    }

    pub async fn counts(&self) -> (usize, usize, usize) {
        let things = self.iot.list_things().send().await.unwrap().things().len();
        let certs = self.iot.list_certificates().send().await.unwrap().certificates().len();
        let policies = self.iot.list_policies().send().await.unwrap().policies().len();
        (things, certs, policies)
    }
}

pub struct TwoIntegrations {
    pub _data: tempfile::TempDir,
    pub core: Arc<Core>,
    pub a: Integration,
    pub b: Integration,
    pub p: AwsProvisioner,
}

pub fn new_integration(core: &Core, endpoint: EndpointOverride) -> Integration {
    named_integration(core, "aws", endpoint)
}

pub fn named_integration(core: &Core, name: &str, endpoint: EndpointOverride) -> Integration {
    core.store()
        .create_integration(&NewIntegration {
            kind: IntegrationKind::AwsIotCore,
            name: name.into(),
            region: "us-east-1".into(),
            topic: "helium/uplinks".into(),
            endpoint,
            forward_joins: false,
        })
        .unwrap()
}
