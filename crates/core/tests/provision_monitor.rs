//! The integration's "watch AWS" monitor identity, provisioned in moto: a thing and certificate
//! of its own with a policy that may only watch the integration's topics and publish downlinks;
//! cleanup removes them with the integration's devices.

mod common;

use common::moto::*;
use helium_bridge_core::aws::provision::policy::{monitor_policy_name, monitor_thing_name, policy_name};
use helium_bridge_core::aws::Provisioner;
use helium_bridge_core::domain::Integration;
use serde_json::{json, Value};
use test_harness::TestCa;

/// The monitor's policy document as moto holds it.
async fn monitor_policy(s: &Setup, integration: &Integration) -> String {
    let policy = s
        .iot
        .get_policy()
        .policy_name(monitor_policy_name(integration))
        .send()
        .await
        .unwrap();
    policy.policy_document().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monitor_gets_its_own_thing_and_watch_only_policy_and_cleanup_removes_them() {
    let ca = TestCa::new("monitor CA");
    let s = setup(&ca);
    let TwoIntegrations {
        _data,
        core,
        a,
        b: _,
        p,
    } = s.two_integrations();
    p.provision(&a, "a-1").await.unwrap();
    let monitor = monitor_thing_name(&a);
    let identity = p.monitor_identity(&a).await.expect("the monitor is provisioned");
    assert!(identity.cert_pem.contains("BEGIN CERTIFICATE"));
    // Asked again, the stored identity is used: no second thing or certificate.
    p.monitor_identity(&a).await.unwrap();
    assert_eq!(s.counts().await, (2, 2, 2), "things, certificates, policies");
    s.iot.describe_thing().thing_name(&monitor).send().await.unwrap();

    // Its certificate holds the monitor's policy only, which the least privilege allows.
    let cert_arn = core
        .store()
        .get_device_identity(&a.id, &monitor)
        .unwrap()
        .and_then(|r| r.cert_arn)
        .unwrap();
    let attached = s.iot.list_attached_policies().target(&cert_arn).send().await.unwrap();
    let names: Vec<_> = attached.policies().iter().filter_map(|p| p.policy_name()).collect();
    assert_eq!(names, [monitor_policy_name(&a).as_str()]);
    let doc: Value = serde_json::from_str(&monitor_policy(&s, &a).await).unwrap();
    let p_ = "arn:aws:iot:us-east-1:123456789012:";
    assert_eq!(
        doc,
        json!({
            "Version": "2012-10-17",
            "Statement": [
                { "Effect": "Allow", "Action": "iot:Connect", "Resource": format!("{p_}client/{monitor}") },
                { "Effect": "Allow", "Action": "iot:Subscribe",
                  "Resource": [format!("{p_}topicfilter/helium/uplinks"), format!("{p_}topicfilter/helium/devices/+/down")] },
                { "Effect": "Allow", "Action": "iot:Receive",
                  "Resource": [format!("{p_}topic/helium/uplinks"), format!("{p_}topic/helium/devices/*/down")] },
                { "Effect": "Allow", "Action": "iot:Publish", "Resource": format!("{p_}topic/helium/devices/*/down") },
            ]
        })
    );

    // A new topic reaches the monitor's policy too.
    let mut moved = a.clone();
    moved.topic = "helium/moved".into();
    assert!(p.refresh_policy(&moved).await.unwrap());
    assert!(monitor_policy(&s, &a).await.contains("topicfilter/helium/moved"));

    // Cleanup removes the monitor's thing, certificate and policy with the devices'.
    let report = p.deprovision(&a).await.unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    for what in [
        format!("thing {monitor}"),
        format!("policy {}", monitor_policy_name(&a)),
        format!("policy {}", policy_name(&a)),
    ] {
        assert!(report.removed.contains(&what), "{what} not in {report:?}");
    }
    assert!(
        !report.removed.iter().any(|r| r.contains("already gone")),
        "nothing is reported that was not there: {report:?}"
    );
    assert_eq!(s.counts().await, (0, 0, 0));
}
