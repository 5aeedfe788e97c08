//! Memory per AWS device session: the bridge's resident memory with 1,000 and then 5,000
//! sessions held to a TLS mosquitto (client certificates, as AWS IoT), as a slope per session,
//! beside bare rumqttc + rustls client-certificate connections measured the same way in the
//! same run. Also counts sessions that dropped while the fleet was connecting (connects are
//! paced). Prints figures; asserts nothing.
//!
//!     cargo bench -p helium-bridge-core --bench session_memory
//!
//! `BENCH_SESSIONS=1000,5000` changes the two fleet sizes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use helium_bridge_core::bridge::{Bridge, BridgeOptions};
use helium_bridge_core::events::EventBus;
use helium_bridge_core::{aws::DirectoryProvisioner, KeyringVault};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, TlsConfiguration, Transport};
use test_harness::{Mosquitto, TestCa};

mod common;

/// Resident set size of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Each connection is a socket here and one in mosquitto (a child, which inherits the limit).
fn raise_fd_limit(n: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on local structs.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        let want = libc::rlimit {
            rlim_cur: n,
            rlim_max: lim.rlim_max.max(n),
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &want) != 0 {
            // Not allowed to raise the hard limit: go as far as it lets.
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

fn device_id(i: usize) -> String {
    format!("mem-device-{i:05}")
}

/// RSS after allocations settle (sessions finish their handshakes and first polls).
async fn settled_rss() -> u64 {
    tokio::time::sleep(Duration::from_secs(3)).await;
    rss_kib()
}

/// Opens `from..to` bare connections (paced like the bridge's) and waits until all are up.
async fn raw_connections(
    aws: &Mosquitto,
    ca: &TestCa,
    from: usize,
    to: usize,
    up: &Arc<AtomicUsize>,
    keep: &mut Vec<AsyncClient>,
) {
    for i in from..to {
        let id = format!("raw-{i:05}");
        let ident = ca.client_identity(&id);
        let mut o = MqttOptions::new(id, "127.0.0.1", aws.port);
        o.set_clean_session(false);
        o.set_keep_alive(Duration::from_secs(60));
        o.set_inflight(100);
        o.set_transport(Transport::tls_with_config(TlsConfiguration::Simple {
            ca: ca.cert_pem.as_bytes().to_vec(),
            alpn: None,
            client_auth: Some((ident.cert_pem.into_bytes(), ident.key_pem.into_bytes())),
        }));
        let (c, mut ev) = AsyncClient::new(o, 200);
        let up = up.clone();
        tokio::spawn(async move {
            while let Ok(e) = ev.poll().await {
                if matches!(e, Event::Incoming(Packet::ConnAck(_))) {
                    up.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        keep.push(c);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    while up.load(Ordering::Relaxed) < to {
        assert!(Instant::now() < deadline, "bare connections did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_connected(b: &Bridge, n: usize) -> Duration {
    let start = Instant::now();
    let deadline = start + Duration::from_secs(600);
    while b.connection_states().iter().filter(|s| s.connected).count() < n {
        assert!(Instant::now() < deadline, "the bridge's sessions did not come up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    start.elapsed()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let sizes: Vec<usize> = std::env::var("BENCH_SESSIONS")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1000, 5000]);
    let (lo, hi) = (sizes[0], sizes[1]);
    raise_fd_limit(4 * hi as u64 + 4096);
    let ca = TestCa::new("session memory CA");
    let aws = Mosquitto::tls(&ca);
    let tmp = tempfile::tempdir().unwrap();

    // Bare connections: 0 → lo → 2·lo.
    let up = Arc::new(AtomicUsize::new(0));
    let mut raw = Vec::new();
    let base = settled_rss().await;
    raw_connections(&aws, &ca, 0, lo, &up, &mut raw).await;
    let raw_lo = settled_rss().await;
    raw_connections(&aws, &ca, lo, 2 * lo, &up, &mut raw).await;
    let raw_hi = settled_rss().await;
    let raw_slope = (raw_hi - raw_lo) as f64 / lo as f64;
    println!(
        "bare rumqttc + rustls connection: {raw_slope:.1} KiB each ({lo} → {} connections; first {lo}: {:.1} KiB each)",
        2 * lo,
        (raw_lo - base) as f64 / lo as f64
    );

    // The bridge: one session per device, lo labelled first, then the rest.
    let fleet = common::Fleet::new(tmp.path(), &aws, &ca);
    for n in 0..hi {
        let id = device_id(n);
        fleet.add_device(&ca, &id, &id, &format!("{n:016X}"), n < lo);
    }
    let (core, integration, label) = (fleet.core.clone(), fleet.integration.clone(), fleet.label.clone());
    let bus = EventBus::new(core.clone());
    let mut events = bus.subscribe();
    let drops = Arc::new(AtomicUsize::new(0));
    {
        let drops = drops.clone();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(e) if e.kind == "connection" && e.level != "info" => {
                        drops.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => return,
                }
            }
        });
    }
    let before = settled_rss().await;
    let bridge = Bridge::start_with_bus(
        core.clone(),
        bus,
        Arc::new(KeyringVault::default()),
        Arc::new(DirectoryProvisioner),
        BridgeOptions::default(),
    )
    .await
    .unwrap();
    let t_lo = wait_connected(&bridge, lo).await;
    let bridge_lo = settled_rss().await;
    for n in lo..hi {
        core.store().attach_label_to_device(&label.id, &device_id(n)).unwrap();
    }
    bridge.provision_now(&integration.id);
    let t_hi = wait_connected(&bridge, hi).await;
    let bridge_hi = settled_rss().await;
    let slope = (bridge_hi - bridge_lo) as f64 / (hi - lo) as f64;
    println!(
        "bridge session: {slope:.1} KiB each ({lo} → {hi} sessions; first {lo}: {:.1} KiB each); {:.2}x a bare connection",
        (bridge_lo - before) as f64 / lo as f64,
        slope / raw_slope
    );
    println!(
        "  connecting took {:.1} s for {lo} and {:.1} s for {} more (paced at {}/s); {} connection(s) dropped meanwhile",
        t_lo.as_secs_f64(),
        t_hi.as_secs_f64(),
        hi - lo,
        BridgeOptions::default().connect_rate,
        drops.load(Ordering::Relaxed)
    );
    bridge.shutdown().await;
    drop(raw);
}
