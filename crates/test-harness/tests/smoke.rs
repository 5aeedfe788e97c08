//! The harness is real: these talk to the actual servers it starts.

use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, TlsConfiguration, Transport};
use test_harness::pki::csr_for;
use test_harness::{ClientIdentity, Mosquitto, Moto, TestCa};

fn options(client_id: &str, port: u16, ca_pem: Option<&str>, identity: Option<&ClientIdentity>) -> MqttOptions {
    let mut o = MqttOptions::new(client_id, "127.0.0.1", port);
    o.set_keep_alive(Duration::from_secs(30));
    if let Some(ca) = ca_pem {
        o.set_transport(Transport::tls_with_config(TlsConfiguration::Simple {
            ca: ca.as_bytes().to_vec(),
            alpn: None,
            client_auth: identity.map(|i| (i.cert_pem.as_bytes().to_vec(), i.key_pem.as_bytes().to_vec())),
        }));
    }
    o
}

/// Connects, subscribes to `topic`, publishes one QoS1 message to it and waits for both the
/// PUBACK and the message coming back. Errors with the connection error, if any.
async fn qos1_round_trip(opts: MqttOptions, topic: &str) -> Result<(), String> {
    let (client, mut events) = AsyncClient::new(opts, 10);
    client.subscribe(topic, QoS::AtLeastOnce).await.unwrap();
    client
        .publish(topic, QoS::AtLeastOnce, false, b"hello".to_vec())
        .await
        .unwrap();
    let (mut acked, mut received) = (false, false);
    let outcome = tokio::time::timeout(Duration::from_secs(10), async {
        while !(acked && received) {
            match events.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => acked = true,
                Ok(Event::Incoming(Packet::Publish(p))) if p.topic == topic => {
                    assert_eq!(&p.payload[..], b"hello");
                    received = true;
                }
                Ok(_) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(())
    })
    .await;
    outcome.unwrap_or_else(|_| Err("timed out".into()))
}

#[tokio::test]
async fn plain_broker_round_trips_qos1() {
    let broker = Mosquitto::plain();
    qos1_round_trip(
        options("plain-client", broker.port, None, None),
        "application/x/device/y/event/up",
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn tls_broker_accepts_test_ca_clients_and_refuses_others() {
    let ca = TestCa::new("harness CA");
    let broker = Mosquitto::tls(&ca);
    let good = ca.client_identity("device-1");
    qos1_round_trip(
        options("device-1", broker.port, Some(&ca.cert_pem), Some(&good)),
        "helium/uplinks",
    )
    .await
    .expect("a client certificate signed by the test CA must be accepted");

    let other = TestCa::new("some other CA").client_identity("device-1");
    let err = qos1_round_trip(
        options("device-1", broker.port, Some(&ca.cert_pem), Some(&other)),
        "helium/uplinks",
    )
    .await
    .expect_err("a client certificate from another CA must be refused");
    assert!(!err.is_empty());

    let err = qos1_round_trip(
        options("device-1", broker.port, Some(&ca.cert_pem), None),
        "helium/uplinks",
    )
    .await
    .expect_err("a client without a certificate must be refused");
    assert!(!err.is_empty());
}

#[test]
fn servers_are_stopped_by_pid_on_drop() {
    let broker = Mosquitto::plain();
    let pid = broker.pid().unwrap() as i32;
    assert_eq!(unsafe { libc_kill(pid, 0) }, 0, "broker must be running");
    drop(broker);
    assert_ne!(
        unsafe { libc_kill(pid, 0) },
        0,
        "broker pid {pid} must be gone after drop"
    );
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

#[test]
fn broker_restarts_on_the_same_port() {
    let mut broker = Mosquitto::plain();
    let port = broker.port;
    broker.stop();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    broker.restart();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
}

#[tokio::test]
async fn moto_answers_create_thing_and_describe_endpoint_and_resets() {
    let ca = TestCa::new("moto CA");
    let moto = Moto::start(&ca);
    let iot = moto.iot_client("us-east-1");
    let thing = iot.create_thing().thing_name("harness-thing").send().await.unwrap();
    assert_eq!(thing.thing_name(), Some("harness-thing"));
    let ep = iot
        .describe_endpoint()
        .endpoint_type("iot:Data-ATS")
        .send()
        .await
        .unwrap();
    assert!(
        ep.endpoint_address()
            .unwrap_or_default()
            .contains(".iot.us-east-1.amazonaws.com"),
        "{ep:?}"
    );
    assert_eq!(iot.list_things().send().await.unwrap().things().len(), 1);
    moto.reset();
    assert_eq!(iot.list_things().send().await.unwrap().things().len(), 0);
}

#[tokio::test]
async fn csr_signed_by_patched_moto_is_accepted_by_the_tls_broker_with_the_csr_key() {
    let ca = TestCa::new("shared CA");
    let moto = Moto::start(&ca);
    let broker = Mosquitto::tls(&ca);
    let iot = moto.iot_client("us-east-1");
    let (csr, key) = csr_for("thing-1");
    let out = iot
        .create_certificate_from_csr()
        .certificate_signing_request(csr)
        .set_as_active(true)
        .send()
        .await
        .unwrap();
    let cert_pem = out.certificate_pem().unwrap().to_string();
    let described = iot
        .describe_certificate()
        .certificate_id(out.certificate_id().unwrap())
        .send()
        .await
        .unwrap();
    let status = described
        .certificate_description()
        .and_then(|d| d.status())
        .map(|s| s.as_str().to_string());
    assert_eq!(status.as_deref(), Some("ACTIVE"));

    let identity = ClientIdentity {
        cert_pem: cert_pem.clone(),
        key_pem: key.serialize_pem(),
    };
    qos1_round_trip(
        options("thing-1", broker.port, Some(&ca.cert_pem), Some(&identity)),
        "helium/uplinks",
    )
    .await
    .expect("the CSR-signed certificate must work with the CSR's key");

    // And not with any other key: the certificate really is bound to the CSR's key.
    let wrong = ClientIdentity {
        cert_pem,
        key_pem: csr_for("thing-1").1.serialize_pem(),
    };
    qos1_round_trip(
        options("thing-1", broker.port, Some(&ca.cert_pem), Some(&wrong)),
        "helium/uplinks",
    )
    .await
    .expect_err("a certificate with a mismatched key must fail");
}
