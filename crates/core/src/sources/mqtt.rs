//! MQTT sources: a ChirpStack v4 MQTT integration, or a legacy Helium-Console-style broker.
//! A persistent MQTT 5 session with manual acknowledgements: a message is acknowledged (PUBACK)
//! only once AWS acknowledged it or it is committed to the outbox (see `bridge/fast.rs`), so
//! the broker redelivers whatever the bridge had not passed on when it stopped or crashed.
//!
//! MQTT 5 because of its Receive Maximum: the bridge, not the broker, sets how many messages
//! may wait for their commit. Over MQTT 3.1.1 mosquitto allows 20 and queues the rest (1000 by
//! default, then drops), so a burst the bridge is still committing would be lost at the broker.

use std::time::Duration;

use rumqttc::v5::mqttbytes::v5::{Packet, Publish};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::{AsyncClient, Event as MqttEvent, MqttOptions};
use rumqttc::{TlsConfiguration, Transport};
use tokio::sync::mpsc;

use crate::bridge::pace::Backoff;
use std::collections::VecDeque;

use super::SourceContext;
use crate::bridge::{Incoming, IngestOutcome};
use crate::domain::{MqttTlsFiles, Source, SourceConfig};
use crate::events::Event;
use crate::vault::Vault;

fn options(vault: &dyn Vault, source: &Source, window: u16) -> Result<(MqttOptions, Vec<String>), String> {
    let password = match source.config.secret_use() {
        Some(_) => vault.get(&super::secret_key(&source.id)).map_err(|e| e.to_string())?,
        None => None,
    };
    let password = password.map(|p| zeroize::Zeroizing::new(String::from_utf8_lossy(&p).into_owned()));
    // A stable client id, so the broker keeps our session (and unacknowledged messages).
    let client_id = format!("helium-aws-bridge-{}", &source.id[..8.min(source.id.len())]);
    let (mut o, topics) = connect_options(&source.config, client_id, password.as_deref().map(String::as_str))?;
    o.set_clean_start(false);
    // The session (and what the broker queued for it) outlives any disconnection, as MQTT
    // 3.1.1's clean_session=false did.
    o.set_session_expiry_interval(Some(u32::MAX));
    o.set_receive_maximum(Some(window));
    o.set_manual_acks(true);
    Ok((o, topics))
}

/// How to reach an MQTT source's broker, and the topics its uplinks come on.
pub(super) fn connect_options(
    config: &SourceConfig,
    client_id: String,
    password: Option<&str>,
) -> Result<(MqttOptions, Vec<String>), String> {
    let (url, username, tls, topics) = match config {
        SourceConfig::ChirpstackMqtt {
            url,
            username,
            application_id,
            tls,
        } => {
            // Lowercase, as ChirpStack's topics are: settings saved now are already, but one saved
            // by an older version, or a form's Test of settings not saved, may not be.
            let base = format!("application/{}/device/+/event", application_id.to_ascii_lowercase());
            (url, username, tls, vec![format!("{base}/up"), format!("{base}/join")])
        }
        SourceConfig::LegacyMqtt {
            url,
            username,
            uplink_topic,
            tls,
            ..
        } => (url, username, tls, vec![uplink_topic.clone()]),
        SourceConfig::HttpWebhook { .. } => return Err("a webhook is not an MQTT source".into()),
    };
    let (use_tls, host, port) = crate::validate::mqtt_url(url).map_err(|e| e.to_string())?;
    let mut o = MqttOptions::new(client_id, host, port);
    o.set_keep_alive(Duration::from_secs(30));
    o.set_max_packet_size(Some(1024 * 1024));
    if let Some(user) = username {
        o.set_credentials(user, password.unwrap_or_default());
    }
    if use_tls {
        o.set_transport(Transport::tls_with_config(tls_config(tls)?));
    }
    Ok((o, topics))
}

fn tls_config(files: &MqttTlsFiles) -> Result<TlsConfiguration, String> {
    let read = |f: &str| std::fs::read(f).map_err(|e| format!("cannot read {f}: {e}"));
    let ca = match &files.ca_file {
        Some(f) => read(f)?,
        None => return Err("an mqtts:// source needs a CA file in this version".into()),
    };
    let client_auth = match (&files.cert_file, &files.key_file) {
        (Some(c), Some(k)) => Some((read(c)?, read(k)?)),
        (None, None) => None,
        _ => return Err("a client certificate needs both a certificate file and a key file".into()),
    };
    Ok(TlsConfiguration::Simple {
        ca,
        alpn: None,
        client_auth,
    })
}

/// `application/{app}/device/{eui}/event/{type}` → `type`.
fn chirpstack_event(topic: &str) -> &str {
    topic.rsplit('/').next().unwrap_or("")
}

/// A message taken from the broker, acknowledged once its outcome is known — in arrival order,
/// as MQTT asks. Only what the acknowledgement needs is kept: the window can hold thousands.
struct Pending {
    ack: Publish,
    outcome: Option<IngestOutcome>,
}

/// The messages awaiting their acknowledgement, in arrival order; a message's token is its
/// position counted from the first message of the connection.
#[derive(Default)]
struct Window {
    /// The token of `queue`'s front.
    front: u64,
    queue: VecDeque<Pending>,
}

impl Window {
    /// Takes a message; returns its token.
    fn push(&mut self, p: &Publish) -> u64 {
        let ack = Publish {
            dup: false,
            qos: p.qos,
            retain: false,
            topic: Default::default(),
            pkid: p.pkid,
            payload: Default::default(),
            properties: None,
        };
        self.queue.push_back(Pending { ack, outcome: None });
        self.front + self.queue.len() as u64 - 1
    }

    fn record(&mut self, token: u64, outcome: IngestOutcome) {
        // A token from before a reconnection is stale: that message comes again.
        if let Some(p) = token
            .checked_sub(self.front)
            .and_then(|i| self.queue.get_mut(i as usize))
        {
            p.outcome = Some(outcome);
        }
    }

    /// Forgets every message (the broker offers them again): later outcomes are stale.
    fn clear(&mut self) {
        self.front += self.queue.len() as u64;
        self.queue.clear();
    }

    fn waiting(&self) -> bool {
        self.queue.iter().any(|p| p.outcome.is_none())
    }

    /// Acknowledges settled messages from the front, in order. Never awaits: this task also
    /// drives the event loop that drains the request queue, so a full queue would deadlock;
    /// what could not be queued is retried after the next poll. True when the front message
    /// was refused.
    fn settle(&mut self, client: &AsyncClient) -> bool {
        while let Some(front) = self.queue.front() {
            match &front.outcome {
                None => return false,
                Some(IngestOutcome::Refused(_)) => return true,
                Some(_) => {
                    if client.try_ack(&front.ack).is_err() {
                        return false;
                    }
                    self.queue.pop_front();
                    self.front += 1;
                }
            }
        }
        false
    }
}

/// How long the source's loop may take messages before it lets other tasks run.
const YIELD_EVERY: Duration = Duration::from_millis(2);

/// What the connection's poller hands on: an MQTT event, or why the connection failed.
type Polled = Result<MqttEvent, String>;

/// Drives the connection on a task of its own, reading from the broker as fast as it sends, so
/// the messages the bridge has not yet taken (up to the Receive Maximum) wait here and not in
/// the broker: mosquitto drops what it cannot write to a slow reader once it holds 1,000 unsent
/// packets for it, whatever its Receive Maximum (seen with 500 devices and a JS decoder, when
/// this loop read only as fast as the bridge took the messages). After a failure it waits its
/// backoff, then reconnects. Ends when the source's loop is gone.
fn poll_connection(
    mut events: rumqttc::v5::EventLoop,
    mut backoff: Backoff,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> (mpsc::UnboundedReceiver<Polled>, AbortOnDrop) {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        loop {
            let polled = events.poll().await;
            if !wanted(&polled) {
                continue;
            }
            let failed = polled.is_err();
            if matches!(polled, Ok(MqttEvent::Incoming(Packet::ConnAck(_)))) {
                backoff.reset();
            }
            if tx.send(polled.map_err(|e| e.to_string())).is_err() {
                return;
            }
            if failed {
                tokio::select! {
                    _ = tokio::time::sleep(backoff.next_delay()) => {}
                    _ = shutdown.changed() => return,
                }
            }
        }
    });
    (rx, AbortOnDrop(task))
}

/// What the source's loop acts on. The rest (above all the `Outgoing::PubAck` that follows each
/// acknowledgement) is not sent on: waking the loop for it cost a turn of it per uplink.
fn wanted(polled: &Result<MqttEvent, rumqttc::v5::ConnectionError>) -> bool {
    matches!(
        polled,
        Err(_)
            | Ok(MqttEvent::Incoming(
                Packet::ConnAck(_) | Packet::SubAck(_) | Packet::Publish(_)
            ))
            | Ok(MqttEvent::Outgoing(rumqttc::Outgoing::Disconnect))
    )
}

/// Stops the connection's poller with the source's loop (it would keep the connection up).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub(super) async fn run(mut ctx: SourceContext) {
    let mut shutdown = ctx.shutdown.clone();
    let legacy = matches!(ctx.source.config, SourceConfig::LegacyMqtt { .. });
    let (opts, topics) = match options(ctx.vault.as_ref(), &ctx.source, ctx.window) {
        Ok(v) => v,
        Err(e) => return ctx.fail("source", e),
    };
    let source = ctx.source.clone();
    // Room for a whole window of acknowledgements at once.
    let (client, connection) = AsyncClient::new(opts, usize::from(ctx.window).max(1024));
    let (mut events, _poller) = poll_connection(connection, Backoff::new(ctx.max_backoff), shutdown.clone());
    let (outcomes_tx, mut outcomes) = mpsc::unbounded_channel::<(u64, IngestOutcome)>();
    let mut pending = Window::default();
    let mut last_yield = std::time::Instant::now();
    loop {
        if pending.settle(&client) {
            // Not stored and not acknowledged: reconnect (after a backoff) so the broker offers
            // it again from our persistent session, with everything after it.
            pending.clear();
            let _ = client.try_disconnect();
        }
        tokio::select! {
            Some(ev) = events.recv() => match ev {
                Ok(MqttEvent::Incoming(Packet::ConnAck(_))) => {
                    // A new connection: what was not acknowledged comes again.
                    pending.clear();
                    let filters = topics.iter().map(|t| rumqttc::v5::mqttbytes::v5::Filter::new(t.clone(), QoS::AtLeastOnce));
                    let _ = client.subscribe_many(filters).await;
                }
                Ok(MqttEvent::Incoming(Packet::SubAck(_))) => {
                    // Only now can messages flow: report the source as connected.
                    ctx.report(true, "connected");
                    ctx.status.emit(Event::new("connection", "info", format!("source {:?} connected", source.name)).source(&source.id));
                }
                Ok(MqttEvent::Incoming(Packet::Publish(p))) => {
                    let topic = std::str::from_utf8(&p.topic).unwrap_or_default();
                    let incoming = if legacy {
                        Incoming::Legacy { raw: &p.payload, topic: Some(topic) }
                    } else {
                        Incoming::Chirpstack { event: chirpstack_event(topic), raw: &p.payload, topic: Some(topic) }
                    };
                    let token = pending.push(&p);
                    let tx = outcomes_tx.clone();
                    ctx.ingest.ingest(incoming, move |outcome| {
                        let _ = tx.send((token, outcome));
                    });
                    // A decoder can take a while: every few milliseconds of a backlog, let the
                    // poller (and the rest) run, or this loop keeps its worker thread to itself
                    // and the broker's queue for us overflows after all.
                    if last_yield.elapsed() >= YIELD_EVERY {
                        tokio::task::yield_now().await;
                        last_yield = std::time::Instant::now();
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    // The broker redelivers whatever was not acknowledged (stored twice is
                    // kept once: same uuid). The poller reconnects after its backoff.
                    pending.clear();
                    ctx.report(false, e.clone());
                    ctx.status.emit(
                        Event::new("connection", "warn", format!("source {:?} disconnected: {e}", source.name)).source(&source.id),
                    );
                }
            },
            Some((token, outcome)) = outcomes.recv() => {
                pending.record(token, outcome);
                while let Ok((token, outcome)) = outcomes.try_recv() {
                    pending.record(token, outcome);
                }
            }
            Some(dl) = ctx.downlinks.recv() => {
                if let Err(e) = client.publish(&dl.topic, QoS::AtLeastOnce, false, dl.payload).await {
                    ctx.status.emit(
                        Event::new("downlink_rejected", "error", format!("downlink for {} not sent to {:?}: {e}", dl.device_called, source.name))
                            .source(&source.id)
                            .device(&dl.device_id),
                    );
                }
            }
            _ = shutdown.changed() => {
                // Acknowledge what is being stored (bounded), so the broker doesn't offer it
                // again next time, then let the DISCONNECT go out.
                let _ = tokio::time::timeout(Duration::from_secs(2), async {
                    while pending.waiting() {
                        match outcomes.recv().await {
                            Some((token, outcome)) => pending.record(token, outcome),
                            None => break,
                        }
                    }
                })
                .await;
                pending.settle(&client);
                let _ = client.try_disconnect();
                let _ = tokio::time::timeout(Duration::from_millis(500), async {
                    while let Some(Ok(ev)) = events.recv().await {
                        if matches!(ev, MqttEvent::Outgoing(rumqttc::Outgoing::Disconnect)) {
                            break;
                        }
                    }
                })
                .await;
                return;
            }
        }
    }
}
