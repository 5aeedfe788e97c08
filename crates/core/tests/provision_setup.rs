//! Setting an integration up as the wizard and the CLI do (`aws::setup`), against moto, a TLS
//! mosquitto and gnome-keyring: keys are checked before saving; new keys are checked, then
//! swapped, and put back if saving fails; a region change, told to the running bridge,
//! provisions the device again in the new region and its uplinks flow on.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use helium_bridge_core::aws::provision::credentials::CredentialError;
use helium_bridge_core::aws::provision::policy::policy_name;
use helium_bridge_core::aws::setup::{self, NewKeys, SetupError};
use helium_bridge_core::bridge::{Bridge, BridgeOptions};
use helium_bridge_core::codec::device_id_for_dev_eui;
use helium_bridge_core::domain::{AwsAccount, EndpointOverride, IntegrationKind, IntegrationUpdate, NewIntegration};
use helium_bridge_core::events::EventBus;
use helium_bridge_core::store::StoreError;
use helium_bridge_core::{vault, KeyringVault, Vault};
use test_harness::moto::xml_field;
use test_harness::{KeychainSession, Moto};
use zeroize::Zeroizing;

fn keys(id: &str, secret: &str) -> NewKeys {
    NewKeys {
        access_key_id: id.into(),
        secret_access_key: Zeroizing::new(secret.into()),
    }
}

fn new_integration(endpoint: EndpointOverride) -> NewIntegration {
    NewIntegration {
        kind: IntegrationKind::AwsIotCore,
        name: "aws".into(),
        region: "us-east-1".into(),
        topic: "helium/uplinks".into(),
        endpoint,
        forward_joins: false,
    }
}

fn api_only(url: String) -> EndpointOverride {
    EndpointOverride {
        api_url: Some(url),
        ..Default::default()
    }
}

fn test_vault() -> Arc<dyn Vault> {
    Arc::new(KeyringVault::with_service(format!(
        "helium-setup-{}",
        uuid::Uuid::new_v4().simple()
    )))
}

fn secret_of(v: &Arc<dyn Vault>, integration_id: &str, key_id: &str) -> Option<String> {
    vault::get_aws_secret(v.as_ref(), integration_id, key_id)
        .unwrap()
        .map(|s| s.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_keys_change_nothing_and_save_nothing() {
    let env = Env::new();
    // moto's IAM-auth mode after its 2 free calls (the IAM set-up below): real key checks.
    let moto = Moto::start_with_iam_auth(&env.ca, 2);
    moto.iam(&[("Action", "CreateUser"), ("UserName", "HeliumIntegrationAccess")]);
    let key = moto.iam(&[("Action", "CreateAccessKey"), ("UserName", "HeliumIntegrationAccess")]);
    let (key_id, secret) = (xml_field(&key, "AccessKeyId"), xml_field(&key, "SecretAccessKey"));
    let keychain = KeychainSession::start();
    keychain.apply_env_to_this_process();
    let v = test_vault();

    // An integration saved earlier with these keys.
    let new = new_integration(api_only(moto.endpoint_url()));
    let account = AwsAccount {
        access_key_id: key_id.clone(),
        account: "123456789012".into(),
        user_arn: "arn:aws:iam::123456789012:user/HeliumIntegrationAccess".into(),
    };
    let before = env.core.store().create_integration_with(&new, Some(&account)).unwrap();
    vault::put_aws_secret(v.as_ref(), &before.id, &key_id, &secret).unwrap();

    let wrong = "WrongSecretWrongSecretWrongSecret0123456";
    let err = setup::update_integration(
        &env.core,
        v.clone(),
        &before.id,
        IntegrationUpdate::default(),
        Some(keys(&key_id, wrong)),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, SetupError::Credentials(CredentialError::WrongSecret { .. })),
        "{err}"
    );
    assert!(!err.to_string().contains(wrong));
    let err = setup::update_integration(
        &env.core,
        v.clone(),
        &before.id,
        IntegrationUpdate::default(),
        Some(keys("AKIANOSUCHKEY0000000", &secret)),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, SetupError::Credentials(CredentialError::UnknownAccessKey { .. })),
        "{err}"
    );
    assert_eq!(env.core.store().get_integration(&before.id).unwrap(), before);
    assert_eq!(secret_of(&v, &before.id, &key_id).as_deref(), Some(secret.as_str()));
    assert_eq!(secret_of(&v, &before.id, "AKIANOSUCHKEY0000000"), None);
    // A new integration with bad keys is not saved.
    let mut other = new.clone();
    other.name = "other".into();
    let err = setup::add_integration(&env.core, v.clone(), other, Some(keys(&key_id, wrong)))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SetupError::Credentials(CredentialError::WrongSecret { .. })),
        "{err}"
    );
    assert_eq!(env.core.store().list_integrations().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_swapped_after_the_check_and_put_back_when_saving_fails_and_a_new_region_reprovisions() {
    let env = Env::new();
    let moto = Moto::start(&env.ca);
    let keychain = KeychainSession::start();
    keychain.apply_env_to_this_process();
    let v = test_vault();
    let aws = env.aws_broker();
    let ca_file = env.certs.path().join("aws-ca.pem");
    std::fs::write(&ca_file, &env.ca.cert_pem).unwrap();
    let new = new_integration(EndpointOverride {
        host: Some("127.0.0.1".into()),
        port: Some(aws.port),
        ca_file: Some(ca_file.display().to_string()),
        cert_dir: None,
        api_url: Some(moto.endpoint_url()),
    });
    let first_secret = "first/Secret+0123456789abcdefghijklmnopq";
    let (integration, checked) = setup::add_integration(
        &env.core,
        v.clone(),
        new.clone(),
        Some(keys("AKIAFIRSTKEY00000001", first_secret)),
    )
    .await
    .unwrap();
    let checked = checked.unwrap();
    assert_eq!(checked.account.account, "123456789012");
    assert!(checked.data_endpoint.contains(".iot.us-east-1."), "{checked:?}");
    assert_eq!(integration.aws.as_ref().unwrap().access_key_id, "AKIAFIRSTKEY00000001");
    assert_eq!(
        secret_of(&v, &integration.id, "AKIAFIRSTKEY00000001").as_deref(),
        Some(first_secret)
    );

    // Saving fails after the check (the new name is taken): the old secret is put back.
    env.core
        .store()
        .create_integration_with(
            &NewIntegration {
                name: "taken".into(),
                ..new.clone()
            },
            None,
        )
        .unwrap();
    let second_secret = "second/Secret+0123456789abcdefghijklmnop";
    let err = setup::update_integration(
        &env.core,
        v.clone(),
        &integration.id,
        IntegrationUpdate {
            name: Some("taken".into()),
            ..Default::default()
        },
        Some(keys("AKIASECONDKEY0000002", second_secret)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, SetupError::Store(StoreError::Conflict(_))), "{err}");
    assert_eq!(
        secret_of(&v, &integration.id, "AKIAFIRSTKEY00000001").as_deref(),
        Some(first_secret)
    );
    assert_eq!(
        secret_of(&v, &integration.id, "AKIASECONDKEY0000002"),
        None,
        "the new key's entry went again"
    );
    assert_eq!(env.core.store().get_integration(&integration.id).unwrap(), integration);

    // The bridge runs with the app's provisioner; the device is provisioned in us-east-1.
    env.chirpstack_source();
    let eui = "5e70000000000001";
    let device = device_id_for_dev_eui(eui);
    env.device(&device, eui, "fleet", &[&integration]);
    let bus = EventBus::new(env.core.clone());
    let mut events = bus.subscribe();
    let bridge = Bridge::start_app(env.core.clone(), bus, v.clone(), BridgeOptions::default())
        .await
        .unwrap();
    let mut obs = Observer::tls(&aws, &env.ca, "helium/uplinks").await;
    wait_event(&mut events, Duration::from_secs(30), |e| {
        e.kind == "connection" && e.device_id.as_deref() == Some(device.as_str()) && e.level == "info"
    })
    .await;

    // New keys and a new region: checked, swapped, and the bridge re-provisions in eu-west-1.
    let outcome = setup::update_integration(
        &env.core,
        v.clone(),
        &integration.id,
        IntegrationUpdate {
            region: Some("eu-west-1".into()),
            ..Default::default()
        },
        Some(keys("AKIASECONDKEY0000002", second_secret)),
    )
    .await
    .unwrap();
    assert!(outcome.keys_changed && outcome.region_changed);
    assert!(outcome.checked.unwrap().data_endpoint.contains(".iot.eu-west-1."));
    assert_eq!(
        outcome.integration.aws.as_ref().unwrap().access_key_id,
        "AKIASECONDKEY0000002"
    );
    assert_eq!(
        secret_of(&v, &integration.id, "AKIASECONDKEY0000002").as_deref(),
        Some(second_secret)
    );
    assert_eq!(
        secret_of(&v, &integration.id, "AKIAFIRSTKEY00000001"),
        None,
        "the old key's entry is gone"
    );
    bridge.integration_reconfigured(&integration.id);
    let moved = wait_event(&mut events, Duration::from_secs(30), |e| {
        e.kind == "provisioning" && e.message.contains("moved from us-east-1 to eu-west-1")
    })
    .await;
    assert_eq!(moved.level, "warn");
    wait_event(&mut events, Duration::from_secs(30), |e| {
        e.kind == "connection" && e.device_id.as_deref() == Some(device.as_str()) && e.level == "info"
    })
    .await;
    let row = env
        .core
        .store()
        .get_device_identity(&integration.id, &device)
        .unwrap()
        .unwrap();
    assert_eq!(row.region, "eu-west-1");
    assert!(row.ready);

    // Uplinks flow on through the new identity.
    let helium = Observer::plain(&env.helium, "#").await;
    let id = uuid();
    helium
        .publish(&format!("application/{APP}/device/{eui}/event/up"), uplink(eui, 7, &id))
        .await;
    let (_, got) = obs.next_json(Duration::from_secs(30)).await;
    assert_eq!(got["dev_eui"], eui.to_uppercase());

    // New topics: the policy of the provisioned device follows each time (AWS keeps 5 versions
    // at most; older ones make room), and the sessions publish there.
    let iot = moto.iot_client("eu-west-1");
    for n in 1..=6 {
        let topic = format!("helium/topic-{n}");
        setup::update_integration(
            &env.core,
            v.clone(),
            &integration.id,
            IntegrationUpdate {
                topic: Some(topic.clone()),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
        let doc = iot
            .get_policy()
            .policy_name(policy_name(&integration))
            .send()
            .await
            .unwrap()
            .policy_document()
            .unwrap()
            .to_string();
        assert!(doc.contains(&format!(":topic/{topic}\"")), "{doc}");
    }
    let versions = iot
        .list_policy_versions()
        .policy_name(policy_name(&integration))
        .send()
        .await
        .unwrap();
    assert!(versions.policy_versions().len() <= 5, "{versions:?}");
    bridge.integration_reconfigured(&integration.id);
    let mut moved_obs = Observer::tls(&aws, &env.ca, "helium/topic-6").await;
    let id = uuid();
    helium
        .publish(&format!("application/{APP}/device/{eui}/event/up"), uplink(eui, 8, &id))
        .await;
    let (_, got) = moved_obs.next_json(Duration::from_secs(30)).await;
    assert_eq!(got["uuid"], id);
    bridge.set_integration_active(&integration.id, false).unwrap();
    bridge.shutdown().await;

    // Removed without cleanup: AWS keeps the thing, certificate and policy; the keychain entry goes.
    let outcome = setup::remove_integration(&env.core, v.clone(), &integration.id, false)
        .await
        .unwrap();
    assert!(outcome.cleanup.is_none() && outcome.warnings.is_empty(), "{outcome:?}");
    assert_eq!(secret_of(&v, &integration.id, "AKIASECONDKEY0000002"), None);
    iot.describe_thing().thing_name(&device).send().await.unwrap();
    let certs = iot.list_certificates().send().await.unwrap();
    assert_eq!(certs.certificates().len(), 1);
    // The user is told what stays in AWS, by name.
    let cert_id = certs.certificates()[0].certificate_id().unwrap();
    let left = &outcome.left_in_aws;
    assert_eq!(left.first(), Some(&format!("thing {device}")), "{left:?}");
    assert!(left.contains(&format!("certificate {cert_id}")), "{left:?}");
    assert_eq!(
        left.last(),
        Some(&format!("policy {}", policy_name(&integration))),
        "{left:?}"
    );
    iot.get_policy()
        .policy_name(policy_name(&integration))
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cleanup_that_fails_in_part_keeps_the_integration_so_it_can_run_again() {
    let env = Env::new();
    let moto = Moto::start(&env.ca);
    let keychain = KeychainSession::start();
    keychain.apply_env_to_this_process();
    let v = test_vault();
    let new = new_integration(api_only(moto.endpoint_url()));
    let key_id = "AKIACLEANUPKEY000001";
    let (integration, _) = setup::add_integration(&env.core, v.clone(), new, Some(keys(key_id, "cleanup-secret-0123")))
        .await
        .unwrap();
    let eui = "c1ea000000000001";
    let device = device_id_for_dev_eui(eui);
    env.device(&device, eui, "fleet", &[&integration]);
    let p = helium_bridge_core::aws::AwsProvisioner::from_vault(env.core.clone(), v.clone());
    let summary = setup::provision_now(&env.core, &p, &integration.id).await.unwrap();
    assert_eq!(summary.provisioned, vec![device.clone()], "{summary:?}");

    // AWS cannot be reached during the cleanup (the API URL points at a closed port).
    let closed = format!("http://127.0.0.1:{}", test_harness::free_port());
    env.core
        .store()
        .update_integration(
            &integration.id,
            &IntegrationUpdate {
                endpoint: Some(api_only(closed)),
                ..Default::default()
            },
        )
        .unwrap();
    let outcome = setup::remove_integration(&env.core, v.clone(), &integration.id, true)
        .await
        .unwrap();
    assert!(!outcome.removed, "{outcome:?}");
    let report = outcome.cleanup.unwrap();
    assert!(!report.failed.is_empty(), "{report:?}");
    let kept = env.core.store().get_integration(&integration.id).unwrap();
    assert!(!kept.active, "kept, disabled");
    assert_eq!(
        env.core.store().list_device_identities(&integration.id).unwrap().len(),
        1
    );
    assert!(
        secret_of(&v, &integration.id, key_id).is_some(),
        "the keys stay for the next try"
    );

    // Reachable again: the cleanup completes and the integration goes.
    env.core
        .store()
        .update_integration(
            &integration.id,
            &IntegrationUpdate {
                endpoint: Some(api_only(moto.endpoint_url())),
                ..Default::default()
            },
        )
        .unwrap();
    let outcome = setup::remove_integration(&env.core, v.clone(), &integration.id, true)
        .await
        .unwrap();
    assert!(outcome.removed, "{outcome:?}");
    let report = outcome.cleanup.unwrap();
    assert!(report.failed.is_empty() && report.kept.is_empty(), "{report:?}");
    assert!(
        report.removed.iter().any(|r| r == &format!("thing {device}")),
        "{report:?}"
    );
    assert!(env.core.store().list_integrations().unwrap().is_empty());
    assert!(secret_of(&v, &integration.id, key_id).is_none());
    let iot = moto.iot_client("us-east-1");
    assert!(iot.list_things().send().await.unwrap().things().is_empty());
    assert!(iot.list_certificates().send().await.unwrap().certificates().is_empty());
    assert!(iot.list_policies().send().await.unwrap().policies().is_empty());
}
