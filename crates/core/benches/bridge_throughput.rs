//! Throughput, losses and added latency of the full bridge path (ChirpStack MQTT → outbox →
//! per-device AWS IoT session over TLS), against a raw relay (subscribe → publish on one TLS
//! client-certificate connection per device, QoS 1) run in the same process on brokers of the
//! same configuration. The LNS broker is a stock mosquitto (1000 queued messages per client,
//! then dropped), as users run it. Prints figures and ratios; it asserts nothing. Beside each
//! side's CPU per uplink (this process: the publisher, the observer and the side under test) it
//! prints its brokers': on a machine this bench saturates, throughput follows the sum.
//!
//!     cargo bench -p helium-bridge-core --bench bridge_throughput
//!
//! `BENCH_DEVICES=200,500` and `BENCH_PAIRS=5` change the fleet sizes and the latency pairs (0: none);
//! `BENCH_ROUNDS=15` the throughput rounds per fleet (the ratio printed is their median: a phase
//! lasts about a second, and on a shared machine one slow second moves a round's ratio by up to
//! ±0.15, while medians of 15 rounds stayed within ±0.03 of each other);
//! `BENCH_BURST=40` the uplinks per device in a throughput burst; `BENCH_DECODER=js` (or
//! `cayenne`) attaches a decoder to the devices' label, so every uplink is decoded too.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use helium_bridge_core::bridge::{Bridge, BridgeOptions};
use helium_bridge_core::codec::device_id_for_dev_eui;
use helium_bridge_core::domain::SourceConfig;
use helium_bridge_core::{aws::DirectoryProvisioner, Core, KeyringVault};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, TlsConfiguration, Transport};
use serde_json::Value;
use test_harness::{ClientIdentity, Mosquitto, TestCa};

mod common;
#[path = "throughput/relay.rs"]
mod relay;

use relay::{raw_relay, Tasks};

const LATENCY_DEVICES: usize = 200;
const LATENCY_RATE: u64 = 1000;
const LATENCY_MSGS: usize = 3000;
/// Uplinks per device in a throughput burst (`BENCH_BURST` changes it, e.g. to profile).
const BURST_PER_DEVICE: usize = 40;

/// What the observer saw of the uplinks a phase sent.
#[derive(Default)]
struct Tally {
    /// uuid → when it was sent, until it arrives.
    pending: HashMap<String, Instant>,
    arrived: HashSet<String>,
    duplicates: usize,
    /// Why the observer's connection dropped, each time it did.
    observer_errors: Vec<String>,
}

type Shared = Arc<Mutex<Tally>>;

struct Figures {
    per_sec: f64,
    p50: Duration,
    p99: Duration,
    lost: usize,
    duplicates: usize,
    cpu_us_per_uplink: f64,
    /// The side's two brokers' CPU time (user + system) per uplink.
    broker_us_per_uplink: f64,
    /// The bridge's history: how long after the last arrival it had written every message, how
    /// many it holds more than before, and this process's CPU per uplink until then.
    history: Option<(Duration, i64, f64)>,
}

fn tls(o: &mut MqttOptions, ca: &TestCa, id: &ClientIdentity) {
    o.set_transport(Transport::tls_with_config(TlsConfiguration::Simple {
        ca: ca.cert_pem.as_bytes().to_vec(),
        alpn: None,
        client_auth: Some((id.cert_pem.as_bytes().to_vec(), id.key_pem.as_bytes().to_vec())),
    }));
    o.set_max_packet_size(256 * 1024, 256 * 1024);
}

fn euis(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("b00000000000{i:04x}")).collect()
}

/// The reference ChirpStack event less its codec `object` (Helium's ChirpStack, one gateway with
/// its Helium metadata): about 1.2 KB, which the bridge turns into about 800 B of Helium JSON.
fn template() -> Value {
    let mut v: Value =
        serde_json::from_slice(include_bytes!("../../../tests/fixtures/chirpstack/reference.json")).unwrap();
    v.as_object_mut().unwrap().remove("object");
    v
}

fn uplink(template: &Value, eui: &str, n: usize, uuid: &str) -> Vec<u8> {
    let mut v = template.clone();
    v["deviceInfo"]["devEui"] = eui.into();
    v["fCnt"] = n.into();
    v["deduplicationId"] = uuid.into();
    serde_json::to_vec(&v).unwrap()
}

/// This process's CPU time (user + system).
fn cpu_time() -> Duration {
    helium_bridge_core::monitor::cpu_time(helium_bridge_core::monitor::CpuOf::Process)
}

/// The CPU time (user + system) of the processes `pids` (10 ms steps).
fn processes_cpu(pids: &[u32]) -> Duration {
    pids.iter().filter_map(|&pid| test_harness::cpu_time(pid)).sum()
}

/// Subscribes to everything on the AWS broker and records, per uuid, how long after sending it
/// arrived; returns once subscribed.
async fn observer(
    aws: &Mosquitto,
    ca: &TestCa,
    tally: Shared,
) -> (
    tokio::sync::mpsc::UnboundedReceiver<Duration>,
    tokio::task::JoinHandle<()>,
) {
    let mut o = MqttOptions::new(format!("obs-{}", uuid::Uuid::new_v4().simple()), "127.0.0.1", aws.port);
    tls(&mut o, ca, &ca.client_identity("observer"));
    o.set_inflight(1000);
    // Should the observer's connection drop, the broker keeps what comes meanwhile for it: a
    // reconnect must not count as uplinks lost by the side under test.
    o.set_clean_session(false);
    let (c, mut ev) = AsyncClient::new(o, 10_000);
    c.subscribe("#", QoS::AtLeastOnce).await.unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let (ready_tx, ready) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let _keep = c;
        let mut ready_tx = Some(ready_tx);
        loop {
            match ev.poll().await {
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    ready_tx.take().map(|r| r.send(()));
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let Ok(v) = serde_json::from_slice::<Value>(&p.payload) else {
                        continue;
                    };
                    let uuid = v["uuid"].as_str().or(v["deduplicationId"].as_str()).unwrap_or_default();
                    let mut t = tally.lock().unwrap();
                    if let Some(sent) = t.pending.remove(uuid) {
                        t.arrived.insert(uuid.to_string());
                        let _ = tx.send(sent.elapsed());
                    } else if t.arrived.contains(uuid) {
                        t.duplicates += 1;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tally.lock().unwrap().observer_errors.push(e.to_string());
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), ready)
        .await
        .unwrap()
        .unwrap();
    (rx, task)
}

/// Waits (up to 10 s) until this process is nearly idle: what the previous phase or a side's
/// start left to do (the history's writes, checkpoints) must not fall on the next phase.
async fn settle() {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let cpu0 = cpu_time();
        tokio::time::sleep(Duration::from_millis(200)).await;
        if cpu_time() - cpu0 < Duration::from_millis(10) {
            return;
        }
    }
}

/// Sends `n` uplinks over `devices` (at `rate`/s, or as fast as possible) and collects what
/// arrives until all did or nothing more came for 10 s. With `history` (the bridge's), also
/// waits for its history to have written every message: its writer yields to the bridge under
/// load, so part of its work comes after the last uplink, and is counted apart.
#[allow(clippy::too_many_arguments)]
async fn run_phase(
    fcnt_base: usize,
    helium: &Mosquitto,
    brokers: &[u32],
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Duration>,
    tally: &Shared,
    devices: &[String],
    n: usize,
    rate: Option<u64>,
    history: Option<&Core>,
) -> Figures {
    let template = template();
    let kept = |core: &Core| core.monitor().reader().and_then(|h| h.count()).unwrap_or(-1);
    let kept_before = history.map(kept);
    let (c, mut ev) = AsyncClient::new(
        MqttOptions::new(
            format!("pub-{}", uuid::Uuid::new_v4().simple()),
            "127.0.0.1",
            helium.port,
        ),
        10_000,
    );
    tokio::spawn(async move { while ev.poll().await.is_ok() {} });
    {
        let mut t = tally.lock().unwrap();
        t.pending.clear();
        t.arrived.clear();
        t.duplicates = 0;
        t.observer_errors.clear();
    }
    settle().await;
    let cpu0 = cpu_time();
    let brokers0 = processes_cpu(brokers);
    let start = Instant::now();
    for i in 0..n {
        if let Some(r) = rate {
            tokio::time::sleep_until((start + Duration::from_micros(1_000_000 * i as u64 / r)).into()).await;
        }
        let eui = &devices[i % devices.len()];
        let uuid = uuid::Uuid::new_v4().to_string();
        tally.lock().unwrap().pending.insert(uuid.clone(), Instant::now());
        c.publish(
            format!("application/app/device/{eui}/event/up"),
            QoS::AtLeastOnce,
            false,
            // Each device counts its own frames, as a real one does (a global count would make
            // every uplink look like a gap upstream, and the bridge would warn about each).
            uplink(&template, eui, fcnt_base + i / devices.len(), &uuid),
        )
        .await
        .unwrap();
    }
    let mut lat = Vec::with_capacity(n);
    let mut last_arrival = Instant::now();
    while lat.len() < n {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(d)) => {
                lat.push(d);
                last_arrival = Instant::now();
            }
            _ => break,
        }
    }
    let elapsed = last_arrival - start;
    let cpu = cpu_time() - cpu0;
    let brokers_cpu = processes_cpu(brokers).saturating_sub(brokers0);
    let history = history.map(|core| {
        tokio::task::block_in_place(|| core.monitor().flush());
        let caught_up = last_arrival.elapsed();
        let with_history = cpu_time() - cpu0;
        (
            caught_up,
            kept(core) - kept_before.unwrap_or(0),
            with_history.as_secs_f64() * 1e6 / n as f64,
        )
    });
    // Late duplicates still count.
    tokio::time::sleep(Duration::from_secs(1)).await;
    lat.sort();
    let t = tally.lock().unwrap();
    if let Some(first) = t.observer_errors.first() {
        println!(
            "  the observer's connection dropped {} time(s), first: {first}",
            t.observer_errors.len()
        );
    }
    let at = |q: usize| lat.get(q.min(lat.len().saturating_sub(1))).copied().unwrap_or_default();
    Figures {
        per_sec: lat.len() as f64 / elapsed.as_secs_f64(),
        p50: at(lat.len() / 2),
        p99: at(lat.len() * 99 / 100),
        lost: t.pending.len(),
        duplicates: t.duplicates,
        cpu_us_per_uplink: cpu.as_secs_f64() * 1e6 / n as f64,
        broker_us_per_uplink: brokers_cpu.as_secs_f64() * 1e6 / n as f64,
        history,
    }
}

async fn bridge(
    helium: &Mosquitto,
    aws: &Mosquitto,
    ca: &TestCa,
    dir: &std::path::Path,
    devices: &[String],
) -> (Bridge, Arc<Core>) {
    let fleet = common::Fleet::new(dir, aws, ca);
    if let Some((kind, script)) = decoder() {
        let s = fleet.core.store();
        let d = s.create_decoder("bench", kind, script).unwrap();
        s.attach_decoder_label(&d.id, &fleet.label.id).unwrap();
    }
    fleet
        .core
        .store()
        .create_source(
            "helium",
            SourceConfig::ChirpstackMqtt {
                url: format!("mqtt://127.0.0.1:{}", helium.port),
                username: None,
                application_id: "+".into(),
                tls: Default::default(),
            },
        )
        .unwrap();
    for eui in devices {
        fleet.add_device(ca, &device_id_for_dev_eui(eui), eui, &eui.to_uppercase(), true);
    }
    let b = Bridge::start(
        fleet.core.clone(),
        Arc::new(KeyringVault::default()),
        Arc::new(DirectoryProvisioner),
        BridgeOptions::default(),
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(180);
    while b.connection_states().iter().filter(|s| s.connected).count() < devices.len() + 1 {
        assert!(Instant::now() < deadline, "the bridge's sessions did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (b, fleet.core.clone())
}

fn decoder() -> Option<(helium_bridge_core::domain::DecoderKind, &'static str)> {
    use helium_bridge_core::domain::DecoderKind;
    match std::env::var("BENCH_DECODER").as_deref() {
        Ok("js") => Some((DecoderKind::Helium, common::JS_DECODER)),
        Ok("cayenne") => Some((DecoderKind::Cayenne, "")),
        _ => None,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn print(name: &str, f: &Figures) {
    println!(
        "  {name:<10} {:>8.0} uplinks/s  p50 {:>7.2} ms  p99 {:>7.2} ms  lost {:>5}  duplicated {:>4}  CPU {:>6.1} µs/uplink (brokers {:>5.1})",
        f.per_sec,
        ms(f.p50),
        ms(f.p99),
        f.lost,
        f.duplicates,
        f.cpu_us_per_uplink,
        f.broker_us_per_uplink
    );
    if let Some((caught_up, kept, cpu)) = f.history {
        println!(
            "  {:<10} history: {kept} messages written, the last {:.2} s after the last uplink arrived; CPU {cpu:.1} µs/uplink with it",
            "",
            caught_up.as_secs_f64()
        );
    }
}

/// The bridge's events since `after` that are not routine (anything but `info`, and connection
/// changes), by kind: how many, and the first. Read from the store, where every such event is
/// kept, so none is missed however busy the event bus was.
fn trouble_since(core: &Core, after: i64) -> std::collections::BTreeMap<String, (usize, String)> {
    core.writer().flush();
    let mut trouble = std::collections::BTreeMap::new();
    let events = core.store().events_after(after, 1_000_000).unwrap_or_default();
    for e in events.iter().filter(|e| e.level != "info" || e.kind == "connection") {
        trouble
            .entry(format!("{} {}", e.level, e.kind))
            .or_insert((0, e.message.clone()))
            .0 += 1;
    }
    trouble
}

/// One side (relay or bridge) on fresh brokers of its own, so client ids cannot clash.
struct Side {
    helium: Mosquitto,
    rx: tokio::sync::mpsc::UnboundedReceiver<Duration>,
    tally: Shared,
    aws: Mosquitto,
    bridge: Option<(Bridge, Arc<Core>)>,
    /// The relay's and the observer's tasks, stopped with the side.
    tasks: Tasks,
    /// The frame counter the next phase starts from.
    fcnt: usize,
    /// How many of the LNS broker's lines about the bridge's connection were printed.
    broker_lines: usize,
}

async fn side(ca: &TestCa, devices: &[String], with_bridge: Option<&std::path::Path>) -> Side {
    let helium = Mosquitto::plain_stock();
    let aws = Mosquitto::tls(ca);
    let (bridge, mut tasks) = match with_bridge {
        Some(dir) => (Some(bridge(&helium, &aws, ca, dir, devices).await), Tasks::default()),
        None => (None, raw_relay(&helium, &aws, ca, devices).await),
    };
    let tally: Shared = Arc::default();
    let (rx, watching) = observer(&aws, ca, tally.clone()).await;
    tasks.0.push(watching);
    Side {
        helium,
        rx,
        tally,
        aws,
        bridge,
        tasks,
        fcnt: 0,
        broker_lines: 0,
    }
}

impl Side {
    /// Stops the side before its brokers go: the bridge shut down as the app does it, the
    /// relay's and observer's tasks aborted.
    async fn close(mut self) {
        if let Some((bridge, _core)) = self.bridge.take() {
            bridge.shutdown().await;
        }
        drop(std::mem::take(&mut self.tasks));
    }

    async fn phase(&mut self, devices: &[String], n: usize, rate: Option<u64>) -> Figures {
        let events_before = self
            .bridge
            .as_ref()
            .map(|(_, core)| core.store().last_event_id().unwrap_or(0));
        let fcnt_base = self.fcnt;
        // Each device's frame counter goes on from this side's previous phase without a gap
        // (a gap is uplinks lost upstream, and the bridge would warn about each).
        self.fcnt += n.div_ceil(devices.len());
        let brokers: Vec<u32> = [self.helium.pid(), self.aws.pid()].into_iter().flatten().collect();
        let f = run_phase(
            fcnt_base,
            &self.helium,
            &brokers,
            &mut self.rx,
            &self.tally,
            devices,
            n,
            rate,
            self.bridge.as_ref().map(|(_, core)| core.as_ref()),
        )
        .await;
        if self.bridge.is_some() {
            // When the LNS broker dropped the bridge's connection (what its queue for the bridge
            // could not hold meanwhile is lost), what it said.
            let log = self.helium.log();
            let drops: Vec<&str> = log
                .lines()
                .filter(|l| {
                    (l.contains("helium-aws-bridge")
                        && !l.contains("New client connected")
                        && !l.contains("New connection"))
                        || l.contains("dropped")
                })
                .collect();
            for line in drops.iter().skip(self.broker_lines).take(5) {
                println!("  LNS broker: {line}");
            }
            self.broker_lines = drops.len();
        }
        if let (Some((_, core)), Some(before)) = (&self.bridge, events_before) {
            for (kind, (count, first)) in trouble_since(core, before) {
                println!("  bridge said {count} × {kind}, first: {first}");
            }
        }
        if let (Some((b, _)), true) = (&self.bridge, f.lost > 0) {
            // Still in the outbox: late (AWS had not taken them when the phase gave up), not lost.
            let waiting: i64 = b
                .integration_health()
                .map(|h| h.iter().map(|i| i.backlog).sum())
                .unwrap_or(-1);
            println!(
                "  of the {} not seen, {waiting} are still in the bridge's outbox",
                f.lost
            );
        }
        f
    }
}

fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for the list of tests; there are none.
    }
    let ca = TestCa::new("bench CA");
    let tmp = tempfile::tempdir().unwrap();
    let event = uplink(&template(), "b000000000000000", 1, &uuid::Uuid::new_v4().to_string());
    // What the bridge publishes for it (without labels: each label adds its name and id).
    let ctx = helium_bridge_core::codec::UplinkContext::default();
    let parsed = helium_bridge_core::codec::parse_chirpstack(&event).unwrap();
    let helium = serde_json::to_vec(&helium_bridge_core::codec::from_chirpstack(parsed, &ctx).unwrap()).unwrap();
    let decoding = std::env::var("BENCH_DECODER").unwrap_or_else(|_| "none".into());
    println!(
        "QoS 1, TLS client certificates, loopback mosquitto brokers (LNS with stock queue limits); {} B ChirpStack \
         events, which the relay forwards as they are and the bridge as {} B of Helium JSON; decoder: {decoding}",
        event.len(),
        helium.len()
    );

    let rounds = env_list("BENCH_ROUNDS", &[15])[0].max(1);
    for (k, n) in env_list("BENCH_DEVICES", &[200, 500]).into_iter().enumerate() {
        let devices = euis(n);
        let burst = n * env_list("BENCH_BURST", &[BURST_PER_DEVICE])[0];
        println!(
            "throughput: {n} devices, {burst} uplinks as fast as the publisher goes, {rounds} relay/bridge rounds"
        );
        // Both sides stay up and take turns, so a slow moment of this shared machine falls on
        // one round, and the median says what is typical.
        let mut relay = side(&ca, &devices, None).await;
        let mut bridged = side(&ca, &devices, Some(&tmp.path().join(format!("t{k}")))).await;
        let mut rounds_seen = Vec::new();
        for round in 0..rounds {
            if round == 0 {
                // Marks a profiler can wait for, to record one side only.
                eprintln!("relay phase starts");
            }
            let r = relay.phase(&devices, burst, None).await;
            print("raw relay", &r);
            if round == 0 {
                eprintln!("bridge phase starts");
            }
            let b = bridged.phase(&devices, burst, None).await;
            print("bridge", &b);
            println!(
                "  round {}: throughput {:.2}x; lost {} (relay {}), duplicated {} (relay {})",
                round + 1,
                b.per_sec / r.per_sec,
                b.lost,
                r.lost,
                b.duplicates,
                r.duplicates
            );
            rounds_seen.push((r, b));
        }
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let ratio = median(rounds_seen.iter().map(|(r, b)| b.per_sec / r.per_sec).collect());
        let (lo, hi) = rounds_seen
            .iter()
            .map(|(r, b)| b.per_sec / r.per_sec)
            .fold((f64::MAX, 0f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
        let cpu_relay = median(rounds_seen.iter().map(|(r, _)| r.cpu_us_per_uplink).collect());
        let cpu_bridge = median(rounds_seen.iter().map(|(_, b)| b.cpu_us_per_uplink).collect());
        let brokers_relay = median(rounds_seen.iter().map(|(r, _)| r.broker_us_per_uplink).collect());
        let brokers_bridge = median(rounds_seen.iter().map(|(_, b)| b.broker_us_per_uplink).collect());
        let lost: usize = rounds_seen.iter().map(|(_, b)| b.lost).sum();
        let duplicated: usize = rounds_seen.iter().map(|(_, b)| b.duplicates).sum();
        let relay_lost: usize = rounds_seen.iter().map(|(r, _)| r.lost).sum();
        println!(
            "  ratio bridge/raw, median of {rounds}: throughput {ratio:.2}x (min {lo:.2}, max {hi:.2}); CPU {cpu_bridge:.1} vs \
             {cpu_relay:.1} µs/uplink (their brokers {brokers_bridge:.1} vs {brokers_relay:.1}); lost {lost} (relay {relay_lost}), duplicated {duplicated} in all rounds"
        );
        // A round in which the relay lost uplinks upstream flatters the bridge (those rounds gave
        // the highest ratios): the median of the others is printed too.
        let whole: Vec<f64> = rounds_seen
            .iter()
            .filter(|(r, _)| r.lost == 0)
            .map(|(r, b)| b.per_sec / r.per_sec)
            .collect();
        if whole.len() < rounds_seen.len() {
            let n = whole.len();
            match n {
                0 => println!("  the relay lost uplinks upstream in every round"),
                _ => println!(
                    "  ratio over the {n} round(s) in which the relay lost none: median {:.2}x",
                    median(whole)
                ),
            }
        }
        // Gone before the next fleet is measured: nothing of this one goes on running.
        relay.close().await;
        bridged.close().await;
    }

    let pairs = env_list("BENCH_PAIRS", &[5])[0];
    if pairs == 0 {
        return; // `BENCH_PAIRS=0`: throughput only.
    }
    let devices = euis(LATENCY_DEVICES);
    println!("latency: {LATENCY_DEVICES} devices at {LATENCY_RATE} uplinks/s, {LATENCY_MSGS} uplinks a run, {pairs} relay/bridge pairs");
    let mut relay = side(&ca, &devices, None).await;
    let mut bridged = side(&ca, &devices, Some(&tmp.path().join("latency"))).await;
    let mut added_p50 = Vec::new();
    let mut added_p99 = Vec::new();
    for _ in 0..pairs {
        let r = relay.phase(&devices, LATENCY_MSGS, Some(LATENCY_RATE)).await;
        let b = bridged.phase(&devices, LATENCY_MSGS, Some(LATENCY_RATE)).await;
        print("raw relay", &r);
        print("bridge", &b);
        added_p50.push(ms(b.p50) - ms(r.p50));
        added_p99.push(ms(b.p99) - ms(r.p99));
    }
    let summary = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        (v[v.len() / 2], v[0], v[v.len() - 1])
    };
    let (p50, p50_min, p50_max) = summary(&mut added_p50);
    let (p99, p99_min, p99_max) = summary(&mut added_p99);
    println!(
        "  bridge-added latency, median of {pairs} pairs: p50 {p50:.2} ms (min {p50_min:.2}, max {p50_max:.2}), \
         p99 {p99:.2} ms (min {p99_min:.2}, max {p99_max:.2})"
    );
    relay.close().await;
    bridged.close().await;
}
