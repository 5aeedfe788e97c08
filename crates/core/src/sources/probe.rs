//! "Test" for a source, saved or not: connects as the bridge would and reports what it found —
//! the first uplink seen, or the precise reason it could not connect. It changes nothing: an
//! MQTT test uses its own clean session (the bridge's persistent session keeps its messages),
//! and a webhook test only checks the address.

use std::time::{Duration, Instant};

use rumqttc::v5::mqttbytes::v5::{ConnectReturnCode, Packet, SubscribeReasonCode};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::{AsyncClient, ConnectionError, Event as MqttEvent};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::domain::SourceConfig;

/// What a test found. `ok`: the source can work as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Probe {
    pub ok: bool,
    /// One sentence for the user.
    pub summary: String,
    /// What was done, in order.
    pub steps: Vec<String>,
}

/// How long an MQTT test waits for the broker to answer.
const CONNECT_WITHIN: Duration = Duration::from_secs(10);

/// Tests a source's settings; `secret` is its broker password or webhook shared secret.
/// `wait`: how long to wait for a first uplink once subscribed.
pub async fn probe(config: &SourceConfig, secret: Option<&str>, wait: Duration) -> Probe {
    match config {
        SourceConfig::HttpWebhook { bind, .. } => webhook(bind, secret).await,
        _ => mqtt(config, secret, wait).await,
    }
}

/// Tests a source's settings with the secret given, or else the one stored for the saved source
/// `source_id` (a form that left the password field empty).
pub async fn probe_with_stored(
    source_id: Option<&str>,
    config: &SourceConfig,
    secret: Option<Zeroizing<String>>,
    wait: Duration,
) -> Result<Probe, crate::vault::VaultError> {
    let uses_secret = config.secret_use().is_some();
    let secret = match (secret.filter(|s| !s.is_empty()), source_id) {
        (Some(s), _) => Some(s),
        // The vault is asked only when the settings use a secret.
        (None, Some(id)) if uses_secret => {
            let key = super::secret_key(id);
            let vault = crate::vault::from_env()?;
            tokio::task::spawn_blocking(move || vault.get(&key))
                .await
                .map_err(|e| crate::vault::VaultError::Unavailable { detail: e.to_string() })??
                .map(|s| Zeroizing::new(String::from_utf8_lossy(&s).into_owned()))
        }
        (None, _) => None,
    };
    Ok(probe(config, secret.as_deref().map(String::as_str), wait).await)
}

fn failed(steps: Vec<String>, summary: String) -> Probe {
    Probe {
        ok: false,
        summary,
        steps,
    }
}

async fn mqtt(config: &SourceConfig, secret: Option<&str>, wait: Duration) -> Probe {
    let mut steps = Vec::new();
    let id = format!(
        "helium-aws-bridge-test-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let (mut opts, topics) = match super::mqtt::connect_options(config, id, secret) {
        Ok(v) => v,
        Err(e) => return failed(steps, e),
    };
    opts.set_clean_start(true);
    let at = format!("{}:{}", opts.broker_address().0, opts.broker_address().1);
    let (client, mut events) = AsyncClient::new(opts, 16);
    let started = Instant::now();
    let mut deadline = started + CONNECT_WITHIN;
    let mut subscribed = false;
    let result = loop {
        let ev = match tokio::time::timeout_at(deadline.into(), events.poll()).await {
            Err(_) if subscribed => {
                break Probe {
                    ok: true,
                    summary: format!(
                        "Connected and subscribed; no uplink arrived in {} s. Uplinks show once a device sends \
                         one — if one should have, check {}.",
                        wait.as_secs(),
                        match config {
                            SourceConfig::LegacyMqtt { .. } => "the uplink topic",
                            _ => "the application id",
                        }
                    ),
                    steps,
                }
            }
            Err(_) => {
                break failed(
                    steps,
                    format!("{at} did not answer within {} s", CONNECT_WITHIN.as_secs()),
                )
            }
            Ok(ev) => ev,
        };
        match ev {
            Ok(MqttEvent::Incoming(Packet::ConnAck(_))) => {
                steps.push(format!("connected to {at}"));
                let filters = topics
                    .iter()
                    .map(|t| rumqttc::v5::mqttbytes::v5::Filter::new(t.clone(), QoS::AtMostOnce));
                let _ = client.subscribe_many(filters).await;
            }
            Ok(MqttEvent::Incoming(Packet::SubAck(ack))) => {
                let refused: Vec<&String> = topics
                    .iter()
                    .zip(&ack.return_codes)
                    .filter(|(_, c)| !matches!(c, SubscribeReasonCode::Success(_)))
                    .map(|(t, _)| t)
                    .collect();
                if !refused.is_empty() {
                    break failed(
                        steps,
                        format!(
                            "The broker refused the subscription to {} — the user may not be allowed to read it",
                            refused.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
                steps.push(format!("subscribed to {}", topics.join(", ")));
                subscribed = true;
                deadline = Instant::now() + wait;
            }
            Ok(MqttEvent::Incoming(Packet::Publish(p))) => {
                let topic = String::from_utf8_lossy(&p.topic);
                let what = describe(&topic, &p.payload);
                let after = started.elapsed().as_secs_f64();
                steps.push(format!("received {what} on {topic} after {after:.1} s"));
                break Probe {
                    ok: true,
                    summary: format!("Working: {what} arrived."),
                    steps,
                };
            }
            Ok(_) => {}
            Err(e) => break failed(steps, connect_error(&at, e)),
        }
    };
    let _ = client.try_disconnect();
    result
}

/// The first uplink, as a user names it: `an uplink from device 0102… (name), fCnt 7`.
fn describe(topic: &str, payload: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(payload) else {
        return format!("a message of {} bytes that is not JSON", payload.len());
    };
    let kind = if topic.ends_with("/join") {
        "a join"
    } else {
        "an uplink"
    };
    let s = |p: &str| v.pointer(p).and_then(|x| x.as_str()).map(str::to_string);
    let eui = s("/deviceInfo/devEui")
        .or_else(|| s("/dev_eui"))
        .unwrap_or_else(|| "?".into());
    let name = s("/deviceInfo/deviceName").or_else(|| s("/name"));
    let fcnt = v.get("fCnt").or_else(|| v.get("fcnt")).and_then(|x| x.as_u64());
    let mut out = format!("{kind} from device {eui}");
    if let Some(n) = name {
        out += &format!(" ({n})");
    }
    if let Some(f) = fcnt {
        out += &format!(", fCnt {f}");
    }
    out
}

fn connect_error(at: &str, e: ConnectionError) -> String {
    match e {
        ConnectionError::ConnectionRefused(code) => match code {
            ConnectReturnCode::BadUserNamePassword => {
                format!("{at} refused the username or password")
            }
            ConnectReturnCode::NotAuthorized => format!("{at} refused the connection: not authorised"),
            ConnectReturnCode::BadClientId | ConnectReturnCode::ClientIdentifierNotValid => {
                format!("{at} refused the client id")
            }
            ConnectReturnCode::UnsupportedProtocolVersion | ConnectReturnCode::RefusedProtocolVersion => {
                format!("{at} does not speak MQTT 5, which the bridge needs (mosquitto 1.6 or later, EMQX, HiveMQ and VerneMQ do)")
            }
            other => format!("{at} refused the connection ({other:?})"),
        },
        ConnectionError::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            format!("Nothing is listening on {at} (connection refused)")
        }
        ConnectionError::Io(e) => format!("Cannot reach {at}: {e}"),
        ConnectionError::Tls(e) => format!("The TLS handshake with {at} failed: {e}"),
        ConnectionError::Timeout(_) => format!("{at} did not answer (network timeout)"),
        other => format!("{at}: {other}"),
    }
}

/// Whether the bridge can listen on `bind`, or whether this bridge already does (it answers a
/// status event with "ignored").
async fn webhook(bind: &str, secret: Option<&str>) -> Probe {
    let mut steps = Vec::new();
    match tokio::net::TcpListener::bind(bind).await {
        Ok(l) => {
            drop(l);
            steps.push(format!("{bind} is free"));
            return Probe {
                ok: true,
                summary: format!(
                    "The bridge can listen on {bind}: point ChirpStack's HTTP integration at it. The bridge \
                     listens there while it runs with this source."
                ),
                steps,
            };
        }
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => steps.push(format!("{bind} is in use")),
        Err(e) => return failed(steps, format!("Cannot listen on {bind}: {e}")),
    }
    match ask_webhook(bind, secret).await {
        Ok(200) => {
            steps.push("it answered a test event as this bridge's webhook does".into());
            Probe {
                ok: true,
                summary: format!("The webhook is listening on {bind} and accepts the shared secret."),
                steps,
            }
        }
        Ok(401) => failed(steps, format!("The webhook on {bind} refused the shared secret")),
        Ok(status) => failed(
            steps,
            format!("Another program listens on {bind} (it answered HTTP {status}); pick another port"),
        ),
        Err(e) => failed(steps, format!("Another program holds {bind} ({e}); pick another port")),
    }
}

/// POSTs a ChirpStack status event (which the bridge ignores) and returns the HTTP status.
async fn ask_webhook(bind: &str, secret: Option<&str>) -> std::io::Result<u16> {
    let mut stream = tokio::time::timeout(CONNECT_WITHIN, tokio::net::TcpStream::connect(bind)).await??;
    let auth = secret
        .map(|s| format!("Authorization: Bearer {s}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "POST /?event=status HTTP/1.1\r\nHost: {bind}\r\nContent-Type: application/json\r\n{auth}Content-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    stream.write_all(req.as_bytes()).await?;
    let mut head = [0u8; 64];
    let n = tokio::time::timeout(CONNECT_WITHIN, stream.read(&mut head)).await??;
    let line = String::from_utf8_lossy(&head[..n]);
    line.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .filter(|_| line.starts_with("HTTP/1."))
        .ok_or_else(|| std::io::Error::other("it does not speak HTTP"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_uplinks_are_named_as_users_know_them() {
        let cs = br#"{"deviceInfo":{"devEui":"0102030405060708","deviceName":"porch"},"fCnt":7}"#;
        assert_eq!(
            describe("application/a/device/0102030405060708/event/up", cs),
            "an uplink from device 0102030405060708 (porch), fCnt 7"
        );
        let legacy = br#"{"dev_eui":"AABB","name":"gate","fcnt":3}"#;
        assert_eq!(
            describe("helium/x/rx", legacy),
            "an uplink from device AABB (gate), fCnt 3"
        );
        assert_eq!(describe("t", b"\x01\x02"), "a message of 2 bytes that is not JSON");
    }

    #[tokio::test]
    async fn a_closed_port_and_a_bad_url_are_explained() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = SourceConfig::ChirpstackMqtt {
            url: format!("mqtt://127.0.0.1:{port}"),
            username: None,
            application_id: "+".into(),
            tls: Default::default(),
        };
        let p = probe(&config, None, Duration::from_secs(1)).await;
        assert!(!p.ok);
        assert_eq!(
            p.summary,
            format!("Nothing is listening on 127.0.0.1:{port} (connection refused)")
        );
        let bad = SourceConfig::ChirpstackMqtt {
            url: "http://x".into(),
            username: None,
            application_id: "+".into(),
            tls: Default::default(),
        };
        let p = probe(&bad, None, Duration::from_secs(1)).await;
        assert!(!p.ok);
        assert!(p.summary.contains("mqtt://"), "{}", p.summary);
    }

    #[tokio::test]
    async fn a_free_webhook_port_is_reported_free_and_a_foreign_one_taken() {
        let free = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let p = probe(
            &SourceConfig::HttpWebhook {
                bind: free.to_string(),
                require_secret: false,
            },
            None,
            Duration::ZERO,
        )
        .await;
        assert!(p.ok, "{p:?}");
        // Something that is not HTTP holds the port.
        let held = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = held.local_addr().unwrap().to_string();
        let serve = tokio::spawn(async move {
            let (mut s, _) = held.accept().await.unwrap();
            let _ = s.write_all(b"SSH-2.0-OpenSSH\r\n").await;
        });
        let p = probe(
            &SourceConfig::HttpWebhook {
                bind: addr.clone(),
                require_secret: false,
            },
            None,
            Duration::ZERO,
        )
        .await;
        serve.await.unwrap();
        assert!(!p.ok);
        assert_eq!(
            p.summary,
            format!("Another program holds {addr} (it does not speak HTTP); pick another port")
        );
    }
}
