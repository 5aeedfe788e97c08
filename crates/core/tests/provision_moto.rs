//! Automatic provisioning against moto (the AWS IoT control plane, whose
//! CreateCertificateFromCsr signs our CSR's key with the test CA) and the TLS mosquitto that
//! trusts that CA, with the master key in a real gnome-keyring.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::moto::*;
use common::*;
use helium_bridge_core::aws::provision::{policy::policy_name, Step, THING_TYPE};
use helium_bridge_core::bridge::{Bridge, BridgeOptions};
use helium_bridge_core::codec::device_id_for_dev_eui;
use helium_bridge_core::domain::EndpointOverride;
use helium_bridge_core::{vault, Core};
use rcgen::PublicKeyData;
use serde_json::{json, Value};
use test_harness::{Mosquitto, TestCa};

/// The least-privilege document the issue specifies, written out independently of the code.
fn expected_policy() -> Value {
    let p = "arn:aws:iot:us-east-1:123456789012:";
    json!({
        "Version": "2012-10-17",
        "Statement": [
            { "Effect": "Allow", "Action": "iot:Connect", "Resource": format!("{p}client/${{iot:Connection.Thing.ThingName}}") },
            { "Effect": "Allow", "Action": "iot:Publish", "Resource": format!("{p}topic/helium/uplinks") },
            { "Effect": "Allow", "Action": "iot:Subscribe",
              "Resource": format!("{p}topicfilter/helium/devices/${{iot:Connection.Thing.ThingName}}/down") },
            { "Effect": "Allow", "Action": "iot:Receive",
              "Resource": format!("{p}topic/helium/devices/${{iot:Connection.Thing.ThingName}}/down") },
        ]
    })
}

fn spki_of_cert(pem: &str) -> Vec<u8> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    let cert = pem.parse_x509().unwrap();
    cert.public_key().raw.to_vec()
}

fn issuer_cn(pem: &str) -> String {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    let cert = pem.parse_x509().unwrap();
    let cn = cert
        .issuer()
        .iter_common_name()
        .next()
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    cn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioning_creates_thing_certificate_and_least_privilege_policy() {
    let ca = TestCa::new("provisioning CA");
    let s = setup(&ca);
    let data = tempfile::tempdir().unwrap();
    let core = Arc::new(Core::open(data.path()).unwrap());
    let integration = new_integration(&core, EndpointOverride::default());
    let device = "dev-a";
    core.store()
        .record_device_seen(&helium_bridge_core::domain::DeviceSeen {
            id: device.into(),
            name: "a".into(),
            dev_eui: "0102030405060708".into(),
            app_eui: Some("A0A1A2A3A4A5A6A7".into()),
            ..Default::default()
        })
        .unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let p = s.provisioner(&core, &integration, events.clone());

    let id = p.provision(&integration, device).await.unwrap();
    assert!(
        id.endpoint_host
            .as_deref()
            .unwrap()
            .contains(".iot.us-east-1.amazonaws.com"),
        "{:?}",
        id.endpoint_host
    );
    let key = rcgen::KeyPair::from_pem(&id.key_pem).unwrap();
    assert_eq!(
        spki_of_cert(&id.cert_pem),
        key.subject_public_key_info(),
        "the certificate is for our key"
    );
    assert_eq!(
        issuer_cn(&id.cert_pem),
        "provisioning CA",
        "signed by the harness CA through moto"
    );

    let thing = s.iot.describe_thing().thing_name(device).send().await.unwrap();
    assert_eq!(thing.thing_type_name(), Some(THING_TYPE));
    let attrs = thing.attributes().unwrap();
    assert_eq!(attrs.get("dev_eui").map(String::as_str), Some("0102030405060708"));
    assert_eq!(attrs.get("app_eui").map(String::as_str), Some("A0A1A2A3A4A5A6A7"));

    let certs = s.iot.list_certificates().send().await.unwrap();
    assert_eq!(certs.certificates().len(), 1);
    let cert = &certs.certificates()[0];
    assert_eq!(cert.status().map(|s| s.as_str()), Some("ACTIVE"));
    let arn = cert.certificate_arn().unwrap();
    let principals = s.iot.list_thing_principals().thing_name(device).send().await.unwrap();
    assert_eq!(principals.principals(), [arn.to_string()]);
    let attached = s.iot.list_attached_policies().target(arn).send().await.unwrap();
    let names: Vec<_> = attached.policies().iter().filter_map(|p| p.policy_name()).collect();
    assert_eq!(names, [policy_name(&integration).as_str()]);

    assert_eq!(s.policy_document(&integration).await, expected_policy());

    let steps: Vec<_> = events.lock().unwrap().iter().filter_map(|e| e.step).collect();
    assert_eq!(
        steps,
        [
            Step::ThingType,
            Step::Thing,
            Step::Key,
            Step::Certificate,
            Step::Policy,
            Step::AttachPolicy,
            Step::AttachThing,
            Step::Endpoint
        ]
    );
    assert_eq!(s.counts().await, (1, 1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reprovisioning_and_resuming_after_a_failed_step_create_no_duplicates() {
    let ca = TestCa::new("provisioning CA");
    let s = setup(&ca);
    let data = tempfile::tempdir().unwrap();
    let core = Arc::new(Core::open(data.path()).unwrap());
    let integration = new_integration(&core, EndpointOverride::default());
    let events = Arc::new(Mutex::new(Vec::new()));
    let p = s.provisioner(&core, &integration, events.clone());

    let first = p.provision(&integration, "dev-0").await.unwrap();
    let again = p.provision(&integration, "dev-0").await.unwrap();
    assert_eq!(first.cert_pem, again.cert_pem);
    assert_eq!(first.key_pem.as_str(), again.key_pem.as_str());
    // A restarted app (new provisioner, same database and keychain) asks AWS nothing.
    let n = events.lock().unwrap().len();
    let restarted = s.provisioner(&core, &integration, events.clone());
    let third = restarted.provision(&integration, "dev-0").await.unwrap();
    assert_eq!(third.cert_pem, first.cert_pem);
    assert_eq!(
        events.lock().unwrap().len(),
        n,
        "a provisioned device takes no step again"
    );
    assert_eq!(s.counts().await, (1, 1, 1));

    let steps = [
        Step::ThingType,
        Step::Thing,
        Step::Key,
        Step::Certificate,
        Step::Policy,
        Step::AttachPolicy,
        Step::AttachThing,
        Step::Endpoint,
    ];
    for (i, step) in steps.into_iter().enumerate() {
        let device = format!("dev-{}", i + 1);
        p.fail_once_after(step);
        let Err(err) = p.provision(&integration, &device).await else {
            panic!("the hook must fail {step:?}")
        };
        assert_eq!(err.step, step);
        // The retry runs in a fresh provisioner, as after a crash.
        let retry = s.provisioner(&core, &integration, events.clone());
        let id = retry
            .provision(&integration, &device)
            .await
            .unwrap_or_else(|e| panic!("resume after {step:?}: {e}"));
        let key = rcgen::KeyPair::from_pem(&id.key_pem).unwrap();
        assert_eq!(
            spki_of_cert(&id.cert_pem),
            key.subject_public_key_info(),
            "after {step:?}"
        );
        assert_eq!(s.counts().await, (i + 2, i + 2, 1), "after failing at {step:?}");
        let principals = s.iot.list_thing_principals().thing_name(&device).send().await.unwrap();
        assert_eq!(principals.principals().len(), 1, "after {step:?}");
    }

    // A crash right after AWS issued a certificate, before it was recorded: the resumed
    // provisioning finds that certificate by its key and issues no second one.
    let (things, certs, _) = s.counts().await;
    p.crash_once_before_recording_a_certificate();
    assert!(p.provision(&integration, "dev-crash").await.is_err());
    assert_eq!(s.counts().await.1, certs + 1, "AWS issued one");
    let retry = s.provisioner(&core, &integration, events.clone());
    let id = retry.provision(&integration, "dev-crash").await.unwrap();
    assert_eq!(s.counts().await, (things + 1, certs + 1, 1), "no second certificate");
    let key = rcgen::KeyPair::from_pem(&id.key_pem).unwrap();
    assert_eq!(spki_of_cert(&id.cert_pem), key.subject_public_key_info());
    assert!(events
        .lock()
        .unwrap()
        .iter()
        .any(|e| e.device_id == "dev-crash" && e.message.contains("issued earlier for this key is used")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provisioned_device_uplink_reaches_the_tls_broker_and_no_secret_is_stored_in_clear() {
    let env = Env::new();
    let s = setup(&env.ca);
    let aws = Mosquitto::tls(&env.ca);
    let ca_file = env.certs.path().join("aws-ca.pem");
    std::fs::write(&ca_file, &env.ca.cert_pem).unwrap();
    // The broker stands in for the data endpoint; certificates come from provisioning.
    let integration = new_integration(
        &env.core,
        EndpointOverride {
            host: Some("127.0.0.1".into()),
            port: Some(aws.port),
            ca_file: Some(ca_file.display().to_string()),
            cert_dir: None,
            api_url: None,
        },
    );
    env.chirpstack_source();
    let raw = fixture("chirpstack/reference.json");
    let input: Value = serde_json::from_slice(&raw).unwrap();
    let eui = input["deviceInfo"]["devEui"].as_str().unwrap().to_string();
    let device = device_id_for_dev_eui(&eui);
    env.device(&device, &eui, "fleet", &[&integration]);

    let events = Arc::new(Mutex::new(Vec::new()));
    let p = Arc::new(s.provisioner(&env.core, &integration, events.clone()));
    let mut out = Observer::tls(&aws, &env.ca, "helium/uplinks").await;
    let helium = Observer::plain(&env.helium, "unused/#").await;
    let bridge = Bridge::start(env.core.clone(), s.vault.clone(), p.clone(), BridgeOptions::default())
        .await
        .unwrap();
    log_events(&bridge);
    wait_for_sources(&env.core, &bridge).await;

    helium
        .publish(&format!("application/{APP}/device/{eui}/event/up"), raw.clone())
        .await;
    let (_, got) = out.next_json(Duration::from_secs(30)).await;
    assert_eq!(
        got["dev_eui"].as_str().map(str::to_uppercase),
        Some(eui.to_uppercase()),
        "{got}"
    );
    bridge.shutdown().await;
    assert_eq!(s.counts().await, (1, 1, 1));
    assert!(events
        .lock()
        .unwrap()
        .iter()
        .any(|e| e.step == Some(Step::Endpoint) && e.device_id == device));

    // The key the session used, and the AWS secret, appear nowhere in the data directory.
    let id = p.provision(&integration, &device).await.unwrap();
    let key_body: String = id.key_pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let needles: Vec<&[u8]> = vec![
        SECRET.as_bytes(),
        b"PRIVATE KEY",
        &key_body.as_bytes()[..32],
        &key_body.as_bytes()[40..72],
    ];
    let mut scanned = 0;
    for entry in std::fs::read_dir(env.data.path()).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        scanned += 1;
        for n in &needles {
            assert!(
                !bytes.windows(n.len()).any(|w| w == *n),
                "{} contains {:?}",
                path.display(),
                String::from_utf8_lossy(n)
            );
        }
    }
    assert!(scanned >= 2, "the database and its WAL were scanned");
    let row = env
        .core
        .store()
        .get_device_identity(&integration.id, &device)
        .unwrap()
        .unwrap();
    assert!(row.ready && row.cert_pem.as_deref() == Some(id.cert_pem.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_removes_only_the_integrations_resources_and_its_keychain_entry() {
    let ca = TestCa::new("provisioning CA");
    let s = setup(&ca);
    let TwoIntegrations { _data, core, a, b, p } = s.two_integrations();
    for d in ["a-1", "a-2"] {
        p.provision(&a, d).await.unwrap();
    }
    p.provision(&b, "b-1").await.unwrap();
    // A policy with a second version (the topic changed) is removed too.
    let mut moved = a.clone();
    moved.topic = "helium/moved".into();
    p.provision(&moved, "a-3").await.unwrap();
    assert_eq!(s.counts().await, (4, 4, 2));

    let report = p.deprovision(&a).await.unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    assert!(
        report
            .removed
            .iter()
            .any(|r| r == &format!("policy {}", policy_name(&a))),
        "{report:?}"
    );
    assert!(report.removed.iter().any(|r| r == "thing a-1"), "{report:?}");
    // Without cleanup (integration b), nothing in AWS is touched.
    assert_eq!(s.counts().await, (1, 1, 1));
    s.iot.describe_thing().thing_name("b-1").send().await.unwrap();
    s.iot.get_policy().policy_name(policy_name(&b)).send().await.unwrap();
    assert!(core.store().list_device_identities(&a.id).unwrap().is_empty());
    assert_eq!(core.store().list_device_identities(&b.id).unwrap().len(), 1);
    assert!(
        vault::get_aws_secret(s.vault.as_ref(), &a.id, KEY_ID)
            .unwrap()
            .is_none(),
        "a's secret left the keychain"
    );
    assert!(
        vault::get_aws_secret(s.vault.as_ref(), &b.id, KEY_ID)
            .unwrap()
            .is_some(),
        "b's stays"
    );
    // Cleaning up again finds nothing left to remove and fails on nothing.
    let again = p.deprovision(&a).await.unwrap();
    assert!(again.failed.is_empty() && again.removed.is_empty(), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thing_with_a_certificate_we_hold_no_key_for_gets_a_new_one_and_the_old_is_left_and_reported() {
    let ca = TestCa::new("provisioning CA");
    let s = setup(&ca);
    let data = tempfile::tempdir().unwrap();
    let core = Arc::new(Core::open(data.path()).unwrap());
    let integration = new_integration(&core, EndpointOverride::default());
    // Made elsewhere (the user, or an earlier installation whose database is gone).
    s.iot.create_thing().thing_name("dev-old").send().await.unwrap();
    let (csr, _lost_key) = test_harness::pki::csr_for("dev-old");
    let old = s
        .iot
        .create_certificate_from_csr()
        .certificate_signing_request(csr)
        .set_as_active(true)
        .send()
        .await
        .unwrap();
    let old_arn = old.certificate_arn().unwrap().to_string();
    s.iot
        .attach_thing_principal()
        .thing_name("dev-old")
        .principal(&old_arn)
        .send()
        .await
        .unwrap();

    let events = Arc::new(Mutex::new(Vec::new()));
    let p = s.provisioner(&core, &integration, events.clone());
    let id = p.provision(&integration, "dev-old").await.unwrap();
    assert_ne!(id.cert_pem, old.certificate_pem().unwrap());
    let principals = s
        .iot
        .list_thing_principals()
        .thing_name("dev-old")
        .send()
        .await
        .unwrap();
    assert_eq!(principals.principals().len(), 2);
    let old_desc = s
        .iot
        .describe_certificate()
        .certificate_id(old.certificate_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        old_desc.certificate_description().unwrap().status().map(|s| s.as_str()),
        Some("ACTIVE"),
        "left untouched"
    );
    let events = events.lock().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.level == "warn" && e.message.contains(&old_arn) && e.message.contains("untouched")),
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_region_or_a_changed_master_key_provisions_again_and_cleanup_removes_the_old_certificates_too() {
    let ca = TestCa::new("provisioning CA");
    let s = setup(&ca);
    let data = tempfile::tempdir().unwrap();
    let core = Arc::new(Core::open(data.path()).unwrap());
    let integration = new_integration(&core, EndpointOverride::default());
    let events = Arc::new(Mutex::new(Vec::new()));
    let p = s.provisioner(&core, &integration, events.clone());
    let first = p.provision(&integration, "dev-r").await.unwrap();

    // The keychain's master key was replaced: the stored key no longer opens.
    s.vault.put(vault::MASTER_KEY, &[9u8; 32]).unwrap();
    let restarted = s.provisioner(&core, &integration, events.clone());
    let second = restarted.provision(&integration, "dev-r").await.unwrap();
    assert_ne!(second.cert_pem, first.cert_pem);
    assert_eq!(
        s.counts().await,
        (1, 2, 1),
        "one thing, a second certificate, one policy"
    );
    assert!(events
        .lock()
        .unwrap()
        .iter()
        .any(|e| e.level == "warn" && e.message.contains("master key")));

    // The integration moved to another region: provisioned again there.
    let mut moved = integration.clone();
    moved.region = "eu-west-1".into();
    let third = restarted.provision(&moved, "dev-r").await.unwrap();
    assert!(
        third.endpoint_host.as_deref().unwrap().contains(".iot.eu-west-1."),
        "{:?}",
        third.endpoint_host
    );
    assert!(events
        .lock()
        .unwrap()
        .iter()
        .any(|e| e.level == "warn" && e.message.contains("moved from us-east-1 to eu-west-1")));
    assert_eq!(s.counts().await, (1, 2, 1), "us-east-1 is untouched");
    let row = core
        .store()
        .get_device_identity(&integration.id, "dev-r")
        .unwrap()
        .unwrap();
    assert_eq!(row.region, "eu-west-1");
    assert_eq!(core.store().list_retired_identities(&integration.id).unwrap().len(), 2);

    // Cleanup removes what the bridge made in both regions, the retired certificates included.
    let report = restarted.deprovision(&moved).await.unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    assert!(
        report.removed.iter().any(|r| r == "thing dev-r in us-east-1"),
        "{report:?}"
    );
    assert!(report.removed.iter().any(|r| r == "thing dev-r"), "{report:?}");
    assert_eq!(s.counts().await, (0, 0, 0), "us-east-1 is empty");
    let eu = s.moto.iot_client("eu-west-1");
    assert_eq!(eu.list_things().send().await.unwrap().things().len(), 0);
    assert_eq!(eu.list_certificates().send().await.unwrap().certificates().len(), 0);
    assert_eq!(eu.list_policies().send().await.unwrap().policies().len(), 0);
    assert!(core
        .store()
        .list_retired_identities(&integration.id)
        .unwrap()
        .is_empty());
}

/// Two integrations in one account share each device's session, so the second one's policy is
/// attached to the first one's certificate; cleaning up either removes what it owns and
/// detaches what it shared, with nothing failing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_session_gets_both_policies_and_cleanup_of_either_detaches_them() {
    let ca = TestCa::new("provisioning CA");
    let s = setup(&ca);
    let TwoIntegrations { _data, core, a, b, p } = s.two_integrations();
    p.provision(&a, "d-1").await.unwrap();
    p.share(&a, &b, "d-1").await.unwrap();
    // Sharing again changes nothing.
    p.share(&a, &b, "d-1").await.unwrap();
    let cert_arn = core.store().list_device_identities(&a.id).unwrap()[0]
        .cert_arn
        .clone()
        .unwrap();
    let attached = |iot: aws_sdk_iot::Client, arn: String| async move {
        let out = iot.list_attached_policies().target(arn).send().await.unwrap();
        let mut names: Vec<String> = out
            .policies()
            .iter()
            .filter_map(|p| p.policy_name())
            .map(String::from)
            .collect();
        names.sort();
        names
    };
    let mut both = vec![policy_name(&a), policy_name(&b)];
    both.sort();
    assert_eq!(attached(s.iot.clone(), cert_arn.clone()).await, both);
    // b made no thing or certificate of its own: the shared session uses a's.
    assert_eq!(s.counts().await, (1, 1, 2));

    let report = p.deprovision(&b).await.unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    assert!(
        report
            .removed
            .iter()
            .any(|r| r == &format!("policy {}", policy_name(&b))),
        "{report:?}"
    );
    assert_eq!(attached(s.iot.clone(), cert_arn.clone()).await, vec![policy_name(&a)]);
    assert_eq!(s.counts().await, (1, 1, 1));

    // The other way round: a's certificate goes even with b's policy on it; b's policy stays.
    p.share(&a, &b, "d-1").await.unwrap();
    let report = p.deprovision(&a).await.unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    assert_eq!(s.counts().await, (0, 0, 1));
    s.iot.get_policy().policy_name(policy_name(&b)).send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_shadow_updates_on_extends_the_policy_by_the_things_own_shadow_topic_only() {
    let ca = TestCa::new("shadow CA");
    let s = setup(&ca);
    let data = tempfile::tempdir().unwrap();
    let core = Arc::new(Core::open(data.path()).unwrap());
    let mut integration = new_integration(&core, EndpointOverride::default());
    core.store()
        .record_device_seen(&helium_bridge_core::domain::DeviceSeen {
            id: "dev-s".into(),
            name: "s".into(),
            dev_eui: "0102030405060709".into(),
            ..Default::default()
        })
        .unwrap();
    let p = s.provisioner(&core, &integration, Arc::new(Mutex::new(Vec::new())));
    p.provision(&integration, "dev-s").await.unwrap();

    integration.payload.shadow = true;
    assert!(p.refresh_policy(&integration).await.unwrap());
    let mut expected = expected_policy();
    expected["Statement"][1]["Resource"] = json!([
        "arn:aws:iot:us-east-1:123456789012:topic/helium/uplinks",
        "arn:aws:iot:us-east-1:123456789012:topic/$aws/things/${iot:Connection.Thing.ThingName}/shadow/update"
    ]);
    assert_eq!(s.policy_document(&integration).await, expected);
}
