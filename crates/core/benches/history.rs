//! P6: the message history at scale. Fills a history with 1,000,000 messages (200 devices,
//! realistic Helium JSON), then times a filtered query's first page (device + time range + text)
//! and streams an export of 100,000 messages to disk, printing the peak memory it took.
//!
//! `cargo bench -p helium-bridge-core --bench history` (`BENCH_MESSAGES=…` to change the size).

use std::sync::Arc;
use std::time::Instant;

use helium_bridge_core::monitor::{
    cpu_time, export, CpuOf, Direction, ExportFormat, History, Message, MessageFilter, HISTORY_FILE,
};

mod common;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Peak resident memory (VmHWM) in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Resets the peak to the current resident size (Linux: `5` to clear_refs).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

const SOURCE_EVENT: &[u8] = include_bytes!("../../../tests/fixtures/chirpstack/reference.json");

/// A message's uuid: scattered like the random (v4) uuids ChirpStack gives uplinks (an index by
/// uuid would be written all over, as with real ones, not always at its end).
fn uuid_of(i: usize) -> String {
    format!(
        "{:032x}",
        (i as u128 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
    )
}

fn message(i: usize, devices: usize, start_ms: i64) -> Message {
    let d = i % devices;
    let json = format!(
        r#"{{"app_eui":"0000000000000000","dc":{{"balance":0,"nonce":0}},"dev_eui":"{d:016X}","devaddr":"0000{d:04x}","fcnt":{i},"hotspots":[{{"channel":2,"frequency":868.5,"id":"hotspot-{h}","lat":52.1,"long":5.1,"name":"gateway-{h}","reported_at":{at},"rssi":-{rssi},"snr":{snr},"spreading":"SF7BW125","status":"success"}}],"id":"device-{d}","metadata":{{"labels":[{{"id":"l1","name":"fleet","organization_id":"o"}}],"multi_buy":1,"organization_id":"o"}},"name":"sensor-{d}","payload":"AWcA8AJodANzJ18Ecc04B9CYMAWGyVCIuDaw","payload_size":27,"port":{port},"reported_at":{at},"type":"uplink","uuid":"{uuid}"{temp}}}"#,
        uuid = uuid_of(i),
        h = i % 17,
        at = start_ms + i as i64 * 100,
        rssi = 60 + i % 60,
        snr = (i % 20) as f64 / 2.0,
        port = 1 + i % 4,
        // A rare word the text search looks for.
        temp = if i.is_multiple_of(1000) {
            r#","note":"door-open""#
        } else {
            ""
        },
    );
    let mut m = Message::new(
        "uplink",
        Direction::Up,
        "info",
        format!("uplink from sensor-{d} (fcnt {i}) queued for helium/uplinks"),
    )
    .with_json(json.into())
    // The ChirpStack event each uplink came from, as the bridge keeps it (~1.2 KB).
    .with_source_event(SOURCE_EVENT);
    m.row.id = i as i64 + 1;
    m.row.at_ms = start_ms + i as i64 * 100;
    m.row.device_id = Some(format!("device-{d}"));
    m.row.device_name = Some(format!("sensor-{d}"));
    m.row.dev_eui = Some(format!("{d:016X}"));
    m.row.integration_id = Some("integration-1".into());
    m.row.topic = Some("helium/uplinks".into());
    m.row.qos = Some(1);
    m.row.uuid = Some(uuid_of(i));
    m
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let total = env_usize("BENCH_MESSAGES", 1_000_000);
    let devices = 200;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(HISTORY_FILE);
    let mut h = History::open(&path).unwrap();
    // 100 ms apart: a million messages span ~28 hours.
    let start_ms = helium_bridge_core::now_ms() - total as i64 * 100;

    let mut fill = std::time::Duration::ZERO;
    let mut cpu = std::time::Duration::ZERO;
    let mut known = Default::default();
    for chunk in (0..total).collect::<Vec<_>>().chunks(4096) {
        let batch: Vec<Arc<Message>> = chunk.iter().map(|&i| Arc::new(message(i, devices, start_ms))).collect();
        // Only the writing is timed, not making the messages.
        let (t, c) = (Instant::now(), cpu_time(CpuOf::Thread));
        h.insert(&batch, &mut known).unwrap();
        fill += t.elapsed();
        cpu += cpu_time(CpuOf::Thread) - c;
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "history: {total} messages from {devices} devices written in {:.1} s ({:.0} messages/s by one thread; CPU {:.1} µs a message), file {:.0} MB",
        fill.as_secs_f64(),
        total as f64 / fill.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / total as f64,
        size as f64 / 1e6
    );
    drop(h);
    // A history kept before the index of seen uplinks: opened once, it is made (a scan).
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("DROP INDEX messages_seen")
        .unwrap();
    let t = Instant::now();
    drop(History::open(&path).unwrap());
    println!(
        "opening it as kept before the index of seen uplinks (done once): {:.2} s",
        t.elapsed().as_secs_f64()
    );

    let h = History::open_read_only(&path).unwrap();
    // The viewer's question: one device, the last six hours, a word in the JSON.
    let now = start_ms + total as i64 * 100;
    let f = MessageFilter {
        device: Some("sensor-0".into()),
        from_ms: Some(now - 6 * 3_600_000),
        to_ms: Some(now),
        text: Some("door-open".into()),
        ..Default::default()
    };
    let mut times = Vec::new();
    let mut found = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let page = h.search(&f, None, 200).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        found = page.rows.len();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "P6 query (device + 6 h range + text, first page of 200): {found} rows, median {:.1} ms (min {:.1}, max {:.1}); target < 100 ms",
        times[2], times[0], times[4]
    );
    let broad = MessageFilter {
        from_ms: Some(now - 3_600_000),
        text: Some("gateway-3".into()),
        ..Default::default()
    };
    let t = Instant::now();
    let page = h.search(&broad, None, 200).unwrap();
    println!(
        "query (all devices, last hour, text): {} rows in {:.1} ms",
        page.rows.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );

    // Export 100k messages (the newest 10,000 s) as CSV and NDJSON, streamed to disk.
    let last_100k = MessageFilter {
        from_ms: Some(now - 100_000 * 100),
        ..Default::default()
    };
    for format in [ExportFormat::Csv, ExportFormat::Ndjson] {
        let out = tmp.path().join(format!("export-{format:?}"));
        let before = rss_kib();
        reset_peak();
        let t = Instant::now();
        let n = export(&h, &last_100k, format, std::fs::File::create(&out).unwrap()).unwrap();
        let peak = peak_rss_kib();
        let bytes = std::fs::metadata(&out).unwrap().len();
        println!(
            "P6 export {format:?}: {n} messages, {:.0} MB in {:.1} s; peak RSS {:.1} MB, {:.1} MB over the RSS before ({:.1} MB)",
            bytes as f64 / 1e6,
            t.elapsed().as_secs_f64(),
            peak as f64 / 1024.0,
            peak.saturating_sub(before) as f64 / 1024.0,
            before as f64 / 1024.0
        );
    }
}
