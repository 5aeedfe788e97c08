//! Labels route devices to integrations; disabling an integration stops its traffic.

mod common;

use std::time::Duration;

use common::*;
use helium_bridge_core::codec::device_id_for_dev_eui;

const T: Duration = Duration::from_secs(20);

fn uplink(eui: &str, fcnt: u32) -> Vec<u8> {
    common::uplink(eui, fcnt, &uuid::Uuid::new_v4().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_route_each_uplink_once_per_integration_and_disabling_stops_traffic() {
    let env = Env::new();
    let (aws_a, aws_b) = (env.aws_broker(), env.aws_broker());
    let a = env.integration("A", "helium/a", &aws_a);
    let b = env.integration("B", "helium/b", &aws_b);
    env.chirpstack_source();
    let labeled = "0102030405060708";
    let unlabeled = "1112131415161718";
    env.device(&device_id_for_dev_eui(labeled), labeled, "shared", &[&a, &b]);
    env.device_cert(env.certs.path(), &device_id_for_dev_eui(unlabeled));

    let mut out_a = Observer::tls(&aws_a, &env.ca, "#").await;
    let mut out_b = Observer::tls(&aws_b, &env.ca, "#").await;
    let helium = Observer::plain(&env.helium, "unused/#").await;
    let bridge = env.start().await;
    let mut events = bridge.events().subscribe();
    let up = |eui: &str| format!("application/{APP}/device/{eui}/event/up");

    // An unlabeled device is registered and shown, not forwarded.
    helium.publish(&up(unlabeled), uplink(unlabeled, 1)).await;
    let e = wait_event(&mut events, T, |e| e.kind == "uplink").await;
    assert!(
        e.message
            .ends_with("not forwarded: no active integration shares a label with this device"),
        "{}",
        e.message
    );
    assert!(env
        .core
        .store()
        .list_devices()
        .unwrap()
        .iter()
        .any(|d| d.dev_eui == unlabeled));

    // Two integrations sharing the label: each gets exactly one copy.
    helium.publish(&up(labeled), uplink(labeled, 2)).await;
    let (ta, ja) = out_a.next_json(T).await;
    let (tb, jb) = out_b.next_json(T).await;
    assert_eq!((ta.as_str(), tb.as_str()), ("helium/a", "helium/b"));
    assert_eq!((ja["fcnt"].as_u64(), jb["fcnt"].as_u64()), (Some(2), Some(2)));
    assert_eq!(ja["uuid"], jb["uuid"]);
    out_a.expect_silence(Duration::from_millis(700)).await;
    out_b.expect_silence(Duration::from_millis(10)).await;

    // Disabled: B's traffic stops within a second; A's goes on.
    bridge.set_integration_active(&b.id, false).unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    helium.publish(&up(labeled), uplink(labeled, 3)).await;
    assert_eq!(out_a.next_json(T).await.1["fcnt"], 3);
    out_b.expect_silence(Duration::from_millis(1500)).await;

    // Re-enabled: traffic resumes.
    bridge.set_integration_active(&b.id, true).unwrap();
    helium.publish(&up(labeled), uplink(labeled, 4)).await;
    assert_eq!(out_a.next_json(T).await.1["fcnt"], 4);
    assert_eq!(out_b.next_json(T).await.1["fcnt"], 4);
    out_b.expect_silence(Duration::from_millis(700)).await;
    bridge.shutdown().await;
}
