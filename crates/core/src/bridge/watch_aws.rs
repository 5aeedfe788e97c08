//! "Watch AWS": per integration, a connection to AWS IoT's data endpoint with the integration's
//! own monitor identity (a thing and certificate provisioned like a device's; its policy lets
//! it subscribe to the uplink topic and `helium/devices/+/down` and publish downlinks, nothing
//! else). Each uplink AWS echoes marks its message "seen on AWS"; each downlink anyone
//! publishes on a down topic is a message; the viewer's "publish downlink" goes out through it,
//! so AWS → bridge → LNS is exercised for real.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{AsyncClient, Event as MqttEvent, Outgoing, Packet, QoS, SubscribeReasonCode};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot, watch};
use ts_rs::TS;

use super::pace::Backoff;
use super::Inner;
use crate::aws::provision::policy::monitor_thing_name;
use crate::domain::Integration;
use crate::events::Event;
use crate::monitor::{Direction, Message, Seen};
use crate::sync::LockExt;

/// Every device's downlink topic, as the monitor subscribes to it.
pub const DOWN_FILTER: &str = "helium/devices/+/down";
/// How long a "publish through AWS" waits for AWS's PUBACK (the connection included).
pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum WatchPhase {
    /// Provisioning the monitor identity or connecting.
    Connecting,
    /// Subscribed: echoes and downlinks arrive.
    Watching,
    /// The last attempt failed (`detail` says why); it is tried again.
    Failing,
}

/// One integration's monitor, for the viewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WatchState {
    pub integration_id: String,
    /// The thing (and MQTT client id) the monitor connects as.
    pub thing: String,
    pub phase: WatchPhase,
    pub detail: String,
    /// Uplinks AWS echoed since the watch started.
    #[ts(type = "number")]
    pub seen: u64,
    /// Downlinks seen on the down topics since the watch started.
    #[ts(type = "number")]
    pub downlinks: u64,
}

struct Publish {
    topic: String,
    payload: Vec<u8>,
    done: oneshot::Sender<Result<(), String>>,
}

struct Running {
    stop: watch::Sender<bool>,
    publish: mpsc::Sender<Publish>,
    state: Arc<Mutex<WatchState>>,
}

/// The running monitors, by integration id.
#[derive(Default)]
pub(super) struct Watches {
    running: Mutex<HashMap<String, Running>>,
}

impl Watches {
    /// Starts the integration's monitor (nothing to do when it runs).
    pub fn start(&self, inner: &Arc<Inner>, integration: &Integration) {
        let mut running = self.running.locked();
        if running.contains_key(&integration.id) {
            return;
        }
        let (stop, stopped) = watch::channel(false);
        let (publish, requests) = mpsc::channel(16);
        let state = Arc::new(Mutex::new(WatchState {
            integration_id: integration.id.clone(),
            thing: monitor_thing_name(integration),
            phase: WatchPhase::Connecting,
            detail: "starting".into(),
            seen: 0,
            downlinks: 0,
        }));
        tokio::spawn(run(
            inner.clone(),
            integration.id.clone(),
            state.clone(),
            stopped,
            requests,
        ));
        running.insert(integration.id.clone(), Running { stop, publish, state });
    }

    /// Stops the integration's monitor; false when none ran.
    pub fn stop(&self, integration_id: &str) -> bool {
        match self.running.locked().remove(integration_id) {
            Some(r) => {
                let _ = r.stop.send(true);
                true
            }
            None => false,
        }
    }

    pub fn states(&self) -> Vec<WatchState> {
        let mut v: Vec<WatchState> = self
            .running
            .locked()
            .values()
            .map(|r| r.state.locked().clone())
            .collect();
        v.sort_by(|a, b| a.integration_id.cmp(&b.integration_id));
        v
    }

    /// Publishes `payload` on `topic` through the integration's monitor (started if need be)
    /// and resolves when AWS acknowledged it.
    pub fn publish(
        &self,
        inner: &Arc<Inner>,
        integration: &Integration,
        topic: String,
        payload: Vec<u8>,
    ) -> impl std::future::Future<Output = Result<(), String>> + Send + 'static {
        self.start(inner, integration);
        let sender = self.running.locked().get(&integration.id).map(|r| r.publish.clone());
        let (done, acked) = oneshot::channel();
        async move {
            let sender = sender.ok_or("the AWS monitor stopped")?;
            sender
                .send(Publish { topic, payload, done })
                .await
                .map_err(|_| "the AWS monitor stopped".to_string())?;
            match tokio::time::timeout(PUBLISH_TIMEOUT, acked).await {
                Ok(Ok(r)) => r,
                Ok(Err(_)) => Err("the AWS monitor stopped before AWS acknowledged the downlink".into()),
                Err(_) => Err(format!(
                    "AWS did not acknowledge the downlink within {} s",
                    PUBLISH_TIMEOUT.as_secs()
                )),
            }
        }
    }
}

fn set(state: &Mutex<WatchState>, phase: WatchPhase, detail: impl Into<String>) {
    let mut s = state.locked();
    s.phase = phase;
    s.detail = detail.into();
}

async fn run(
    inner: Arc<Inner>,
    integration_id: String,
    state: Arc<Mutex<WatchState>>,
    mut stop: watch::Receiver<bool>,
    mut requests: mpsc::Receiver<Publish>,
) {
    let mut shutdown = inner.shutdown.clone();
    let mut backoff = Backoff::new(inner.opts.max_backoff);
    loop {
        if *stop.borrow() || *shutdown.borrow() {
            return;
        }
        let integration = match inner.core.store().get_integration(&integration_id) {
            Ok(i) => i,
            Err(e) => return set(&state, WatchPhase::Failing, format!("the integration is gone: {e}")),
        };
        let ended = tokio::select! {
            r = connect_and_watch(&inner, &integration, &state, &mut requests) => r,
            _ = stop.changed() => return,
            _ = shutdown.changed() => return,
        };
        let reason = match ended {
            Ok(()) => return,
            Err(reason) => reason,
        };
        set(&state, WatchPhase::Failing, reason.clone());
        inner.events.emit(
            Event::new(
                "connection",
                "warn",
                format!("watching AWS for {:?}: {reason}", integration.name),
            )
            .integration(&integration.id),
        );
        tokio::select! {
            _ = tokio::time::sleep(backoff.next_delay()) => {}
            _ = stop.changed() => return,
            _ = shutdown.changed() => return,
        }
    }
}

/// The device a down topic is for.
fn down_device(topic: &str) -> Option<&str> {
    let id = topic.strip_prefix("helium/devices/")?.strip_suffix("/down")?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

/// What an uplink's Helium JSON says of itself (without parsing the rest): its uuid, and where
/// available its device and `reported_at` in ms (0 when missing; any JSON number).
fn echo(payload: &[u8]) -> Option<(String, Option<String>, i64)> {
    #[derive(serde::Deserialize)]
    struct Echo {
        uuid: String,
        #[serde(default)]
        id: Option<serde_json::Value>,
        #[serde(default)]
        reported_at: Option<serde_json::Value>,
    }
    let e = serde_json::from_slice::<Echo>(payload).ok()?;
    let id = e.id.as_ref().and_then(|v| v.as_str()).map(String::from);
    let reported_at = e
        .reported_at
        .as_ref()
        .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)));
    Some((e.uuid, id, reported_at.unwrap_or(0)))
}

async fn connect_and_watch(
    inner: &Arc<Inner>,
    integration: &Integration,
    state: &Mutex<WatchState>,
    requests: &mut mpsc::Receiver<Publish>,
) -> Result<(), String> {
    let thing = monitor_thing_name(integration);
    set(
        state,
        WatchPhase::Connecting,
        format!("getting the identity of {thing}"),
    );
    let identity = inner
        .provisioner
        .monitor_identity(integration)
        .await
        .map_err(|e| format!("no identity for the monitor thing {thing}: {e}"))?;
    let mut opts = super::session::options(integration, &thing, &identity)?;
    drop(identity);
    // Nothing is kept for the monitor while it is away: it watches what happens now.
    opts.set_clean_session(true);
    set(state, WatchPhase::Connecting, format!("connecting as {thing}"));
    inner.connects.turn().await;
    let (client, mut events) = AsyncClient::new(opts, 64);
    let topic = integration.topic.clone();
    let monitor = inner.core.monitor();
    // Publishes handed to the client, waiting for their packet id; then by packet id.
    let mut awaiting_pkid: std::collections::VecDeque<oneshot::Sender<Result<(), String>>> = Default::default();
    let mut in_flight: HashMap<u16, oneshot::Sender<Result<(), String>>> = HashMap::new();
    let mut subscribed = false;
    loop {
        tokio::select! {
            ev = events.poll() => match ev {
                Ok(MqttEvent::Incoming(Packet::ConnAck(_))) => {
                    client
                        .try_subscribe_many([
                            rumqttc::SubscribeFilter::new(topic.clone(), QoS::AtLeastOnce),
                            rumqttc::SubscribeFilter::new(DOWN_FILTER.into(), QoS::AtLeastOnce),
                        ])
                        .map_err(|e| e.to_string())?;
                }
                Ok(MqttEvent::Incoming(Packet::SubAck(ack))) => {
                    if ack.return_codes.iter().any(|c| matches!(c, SubscribeReasonCode::Failure)) {
                        return Err(format!(
                            "AWS refused the subscription to {topic:?} or {DOWN_FILTER:?}: the policy of {thing} \
                             must allow both"
                        ));
                    }
                    subscribed = true;
                    set(state, WatchPhase::Watching, format!("watching {topic} and {DOWN_FILTER} as {thing}"));
                    inner.events.emit(
                        Event::new("connection", "info", format!("watching AWS for {:?} as {thing}", integration.name))
                            .integration(&integration.id),
                    );
                }
                Ok(MqttEvent::Incoming(Packet::Publish(p))) => {
                    let at_ms = crate::now_ms();
                    let on = p.topic.as_str();
                    if on == topic {
                        if let Some((uuid, device_id, reported_at_ms)) = echo(&p.payload) {
                            state.locked().seen += 1;
                            monitor.seen_on_aws(Seen {
                                integration_id: integration.id.clone(),
                                uuid,
                                at_ms,
                                device_id,
                                reported_at_ms,
                            });
                        }
                    } else if let Some(device) = down_device(on) {
                        state.locked().downlinks += 1;
                        let called = inner.core.store().device_called(device);
                        let mut m = Message::new(
                            "aws_downlink",
                            Direction::Down,
                            "info",
                            format!("AWS carried a downlink for {called} on {on}"),
                        )
                        .with_json(Arc::new(String::from_utf8_lossy(&p.payload).into_owned()));
                        m.row.at_ms = at_ms;
                        m.row.device_id = Some(device.to_string());
                        m.row.integration_id = Some(integration.id.clone());
                        m.row.topic = Some(on.to_string());
                        m.row.qos = Some(p.qos as u8);
                        monitor.record(m);
                    }
                }
                Ok(MqttEvent::Outgoing(Outgoing::Publish(pkid))) => {
                    if let Some(done) = awaiting_pkid.pop_front() {
                        in_flight.insert(pkid, done);
                    }
                }
                Ok(MqttEvent::Incoming(Packet::PubAck(ack))) => {
                    if let Some(done) = in_flight.remove(&ack.pkid) {
                        let _ = done.send(Ok(()));
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    for done in awaiting_pkid.drain(..).chain(in_flight.drain().map(|(_, d)| d)) {
                        let _ = done.send(Err(format!("the connection to AWS dropped: {e}")));
                    }
                    return Err(super::session::connection_lost(subscribed, integration, &e.to_string()));
                }
            },
            Some(req) = requests.recv(), if subscribed => {
                match client.try_publish(req.topic, QoS::AtLeastOnce, false, req.payload) {
                    Ok(()) => awaiting_pkid.push_back(req.done),
                    Err(e) => { let _ = req.done.send(Err(format!("cannot publish: {e}"))); }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn down_topics_name_their_device_and_echoes_their_uplink() {
        assert_eq!(down_device("helium/devices/abc/down"), Some("abc"));
        assert_eq!(down_device("helium/devices//down"), None);
        assert_eq!(down_device("helium/devices/a/b/down"), None);
        assert_eq!(down_device("helium/uplinks"), None);
        assert_eq!(
            echo(br#"{"id":"d","uuid":"u-1","payload":"AQ==","reported_at":1700000000123}"#),
            Some(("u-1".into(), Some("d".into()), 1_700_000_000_123))
        );
        // Other publishers' shapes still count as an echo of that uuid.
        assert_eq!(
            echo(br#"{"id":"d","uuid":"u-1","reported_at":1.7e12}"#),
            Some(("u-1".into(), Some("d".into()), 1_700_000_000_000))
        );
        assert_eq!(
            echo(br#"{"id":null,"uuid":"u-1","reported_at":"soon"}"#),
            Some(("u-1".into(), None, 0))
        );
        assert_eq!(echo(br#"{"uuid":"u-1"}"#), Some(("u-1".into(), None, 0)));
        assert_eq!(echo(b"not json"), None);
        assert_eq!(echo(br#"{"id":"d"}"#), None);
    }
}
