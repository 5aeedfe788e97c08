use std::sync::Arc;
use std::time::Duration;

use super::*;

pub(super) fn uplink(device: &str, at_ms: i64, json: &str) -> Message {
    let mut m = Message::new("uplink", Direction::Up, "info", format!("uplink from {device}"))
        .with_json(json.to_string().into())
        .with_source_event(br#"{"deviceInfo":{}}"#);
    m.row.at_ms = at_ms;
    m.row.device_id = Some(format!("id-{device}"));
    m.row.device_name = Some(device.to_string());
    m.row.dev_eui = Some(format!("EUI{device}").to_ascii_uppercase());
    m.row.integration_id = Some("int-1".into());
    m.row.topic = Some("helium/uplinks".into());
    m.row.uuid = Some(format!("uuid-{device}-{at_ms}"));
    m
}

pub(super) fn monitor() -> (tempfile::TempDir, Monitor) {
    let dir = tempfile::tempdir().unwrap();
    let m = Monitor::open(dir.path(), Retention::default()).unwrap();
    // The history's thread prunes by age as it starts: once that is done, rows the tests date
    // long ago stay (on a busy machine the prune could otherwise come after them).
    m.flush();
    (dir, m)
}

#[test]
fn a_reader_up_to_now_finds_the_message_recorded_a_moment_ago() {
    let (_dir, monitor) = monitor();
    for i in 0..3 {
        monitor.record(uplink("alpha", 1_000 + i, "{}"));
        // At once: the history thread lets messages gather before it writes them.
        let found = monitor
            .reader_up_to_now()
            .unwrap()
            .search(&MessageFilter::default(), None, 10);
        assert_eq!(found.unwrap().rows.len(), i as usize + 1);
    }
}

#[test]
fn recorded_messages_are_found_by_device_text_and_time_newest_first_in_pages() {
    let (_dir, monitor) = monitor();
    for i in 0..50 {
        let device = if i % 2 == 0 { "alpha" } else { "beta" };
        monitor.record(uplink(
            device,
            1_000 + i,
            &format!(r#"{{"fcnt":{i},"payload":"AQ=="}}"#),
        ));
    }
    monitor.flush();
    let h = monitor.reader().unwrap();
    assert_eq!(h.count().unwrap(), 50);

    // By DevEUI (any case) or name, both resolve to the device's id.
    for device in ["euialpha", "ALPHA", "id-alpha"] {
        let f = MessageFilter {
            device: Some(device.into()),
            ..Default::default()
        };
        let page = h.search(&f, None, 100).unwrap();
        assert_eq!(page.rows.len(), 25, "{device}");
        assert!(page.rows.iter().all(|r| r.device_name.as_deref() == Some("alpha")));
    }

    // Text in the JSON, a time range, pages that meet without overlap.
    let f = MessageFilter {
        device: Some("beta".into()),
        text: Some("\"PAYLOAD\":\"AQ".into()),
        from_ms: Some(1_010),
        to_ms: Some(1_040),
        ..Default::default()
    };
    let first = h.search(&f, None, 10).unwrap();
    let at: Vec<i64> = first.rows.iter().map(|r| r.at_ms).collect();
    assert_eq!(at, vec![1039, 1037, 1035, 1033, 1031, 1029, 1027, 1025, 1023, 1021]);
    let second = h.search(&f, first.next, 10).unwrap();
    let at: Vec<i64> = second.rows.iter().map(|r| r.at_ms).collect();
    assert_eq!(at, vec![1019, 1017, 1015, 1013, 1011]);
    assert_eq!(second.next, None);

    // Nothing matches a text that is in no message; `%` is a character, not a wildcard.
    let none = MessageFilter {
        text: Some("%fcnt%".into()),
        ..Default::default()
    };
    assert!(h.search(&none, None, 10).unwrap().rows.is_empty());
}

#[test]
fn a_message_keeps_its_bodies_and_links_to_the_errors_about_it() {
    let (_dir, monitor) = monitor();
    let json = r#"{"id":"id-alpha","payload":"AWcA8A=="}"#;
    monitor.record(uplink("alpha", 5, json));
    let mut error = Message::new("shadow_rejected", Direction::None, "error", "shadow update not sent");
    error.row.uuid = Some("uuid-alpha-5".into());
    error.row.device_id = Some("id-alpha".into());
    error.row.at_ms = 9;
    monitor.record(error);
    // Another device's message with the same uuid is not about this uplink.
    let mut other = uplink("beta", 5, "{}");
    other.row.uuid = Some("uuid-alpha-5".into());
    monitor.record(other);
    // Not flushed: get() waits for what was recorded a moment ago.
    let m = monitor.get(1).unwrap().expect("the uplink");
    assert_eq!(m.json.as_deref().map(String::as_str), Some(json));
    assert_eq!(m.row.size, json.len() as i64);
    assert_eq!(m.source_event.as_deref(), Some(r#"{"deviceInfo":{}}"#));
    // get() waited for the uplink only; the error may be in the writer's next batch.
    monitor.flush();
    let h = monitor.reader().unwrap();
    for id in [1, 2] {
        let kinds: Vec<String> = h.related(id).unwrap().into_iter().map(|r| r.kind).collect();
        assert_eq!(kinds, vec!["uplink", "shadow_rejected"], "from message {id}");
    }
    assert_eq!(h.related(99).unwrap(), vec![]);
    assert_eq!(monitor.get(99).unwrap(), None);
}

#[test]
fn ids_go_on_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let m = Monitor::open(dir.path(), Retention::default()).unwrap();
        m.record(uplink("alpha", crate::now_ms(), "{}"));
        m.record(uplink("alpha", crate::now_ms(), "{}"));
    } // dropped: what was queued is written
    let m = Monitor::open(dir.path(), Retention::default()).unwrap();
    m.record(uplink("alpha", crate::now_ms(), "{}"));
    m.flush();
    let ids: Vec<i64> = m
        .reader()
        .unwrap()
        .search(&MessageFilter::default(), None, 10)
        .unwrap()
        .rows
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, vec![3, 2, 1]);
}

#[test]
fn retention_drops_what_is_too_old_then_the_oldest_beyond_the_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(&dir.path().join(HISTORY_FILE)).unwrap();
    let body = "x".repeat(2_000);
    let now = 100 * 86_400_000;
    let batch: Vec<Arc<Message>> = (0..2_000)
        .map(|i| {
            let mut m = uplink("alpha", now - (2_000 - i) * 60_000, &body);
            m.row.id = i + 1;
            Arc::new(m)
        })
        .collect();
    h.insert(&batch, &mut Default::default()).unwrap();
    // One day kept: the 1,440 newest minutes.
    h.prune(now, 86_400_000, i64::MAX).unwrap();
    assert_eq!(h.count().unwrap(), 1_440);
    let oldest = h.search(&MessageFilter::default(), None, 1000).unwrap();
    assert!(oldest.rows.iter().all(|r| r.at_ms >= now - 86_400_000));
    // Then by size: under 1 MB, the newest kept.
    h.prune(now, 86_400_000, 1024 * 1024).unwrap();
    assert!(h.used_bytes().unwrap() <= 1024 * 1024, "{}", h.used_bytes().unwrap());
    let left = h.count().unwrap();
    assert!(left > 100 && left < 1_440, "{left}");
    let newest = h.search(&MessageFilter::default(), None, 1).unwrap();
    assert_eq!(newest.rows[0].id, 2_000);
}

#[test]
fn the_writers_page_cache_grows_with_big_batches_and_shrinks_by_halves_after() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(&dir.path().join(HISTORY_FILE)).unwrap();
    let cache_kib = |h: &History| -> i64 {
        -h.conn
            .query_row("PRAGMA cache_size", [], |r| r.get::<_, i64>(0))
            .unwrap()
    };
    assert_eq!(cache_kib(&h), 2048, "SQLite's default to start with");
    let mut next_id = 0;
    let mut batch = |n: usize, body: &str| -> Vec<Arc<Message>> {
        (0..n)
            .map(|_| {
                next_id += 1;
                let mut m = uplink("alpha", 1_000 + next_id, body);
                m.row.id = next_id;
                Arc::new(m)
            })
            .collect()
    };
    // ~5 MB of messages: a cache twice that, the 16 MB step.
    let big = batch(2_500, &"x".repeat(2_000));
    h.insert(&big, &mut Default::default()).unwrap();
    assert_eq!(cache_kib(&h), 16_384);
    // Small batches (a few hundred messages a second): back down a step per batch.
    for step in [8_192, 4_096, 2_048, 2_048] {
        let small = batch(10, "{}");
        h.insert(&small, &mut Default::default()).unwrap();
        assert_eq!(cache_kib(&h), step);
    }
    assert_eq!(h.count().unwrap(), 2_540, "every message written whatever the cache");
}

#[test]
fn exports_write_the_filtered_set_as_csv_and_ndjson() {
    let (_dir, monitor) = monitor();
    monitor.record(uplink("alpha", 1, r#"{"a":"comma, and \"quotes\""}"#));
    monitor.record(uplink("beta", 2, "{}"));
    monitor.record(uplink("alpha", 3, "{\"line\":\"one\ntwo\"}"));
    monitor.seen_on_aws(Seen {
        integration_id: "int-1".into(),
        uuid: "uuid-alpha-3".into(),
        at_ms: 1_000,
        device_id: Some("id-alpha".into()),
        reported_at_ms: 3,
    });
    monitor.flush();
    let h = monitor.reader().unwrap();
    let f = MessageFilter {
        device: Some("alpha".into()),
        ..Default::default()
    };
    let mut csv_out = Vec::new();
    assert_eq!(export(&h, &f, ExportFormat::Csv, &mut csv_out).unwrap(), 2);
    let mut reader = csv::Reader::from_reader(csv_out.as_slice());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "id");
    assert_eq!(&headers[15], "json");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][0], "3");
    assert_eq!(&rows[0][15], "{\"line\":\"one\ntwo\"}");
    assert_eq!(&rows[1][15], r#"{"a":"comma, and \"quotes\""}"#);
    assert_eq!(&rows[1][1], "1970-01-01T00:00:00.001Z");
    assert_eq!(&headers[16], "seen_on_aws");
    assert_eq!((&rows[0][16], &rows[1][16]), ("1970-01-01T00:00:01Z", ""));

    let mut nd = Vec::new();
    assert_eq!(export(&h, &f, ExportFormat::Ndjson, &mut nd).unwrap(), 2);
    let lines: Vec<Message> = String::from_utf8(nd)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.iter().map(|m| m.row.id).collect::<Vec<_>>(), vec![3, 1]);
    assert_eq!(
        lines[1].json.as_deref().map(String::as_str),
        Some(r#"{"a":"comma, and \"quotes\""}"#)
    );
}

#[test]
fn events_become_messages_except_those_recorded_with_their_body() {
    let (_dir, monitor) = monitor();
    let e = crate::events::Event::new("uplink_rejected", "error", "too big")
        .device("d1")
        .detail(serde_json::json!({"uuid": "u-1", "size": 200_000}));
    monitor.event(&e);
    monitor.event(&crate::events::Event::new("downlink", "info", "sent"));
    monitor.event(&crate::events::Event::new("uplink", "info", "queued"));
    monitor.flush();
    let rows = monitor
        .reader()
        .unwrap()
        .search(&MessageFilter::default(), None, 10)
        .unwrap()
        .rows;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].kind, "uplink_rejected");
    assert_eq!(rows[0].uuid.as_deref(), Some("u-1"));
    assert_eq!(rows[0].direction, Direction::None);
}

#[tokio::test(start_paused = true)]
async fn live_batches_come_at_most_once_an_interval_bounded_and_filtered() {
    let (tx, rx) = tokio::sync::broadcast::channel(10_000);
    let filter = MessageFilter {
        kinds: vec!["uplink".into()],
        ..Default::default()
    };
    let sent = Arc::new(std::sync::Mutex::new(Vec::<(tokio::time::Instant, LiveBatch)>::new()));
    let s = sent.clone();
    let task = tokio::spawn(forward_live(rx, filter, Duration::from_millis(100), 50, move |b| {
        s.lock().unwrap().push((tokio::time::Instant::now(), b));
        true
    }));
    // 2,000 messages a second for one second, a tenth of them events the filter leaves out.
    for i in 0..2_000i64 {
        let mut m = uplink("alpha", i, "{}");
        m.row.id = i + 1;
        if i % 10 == 9 {
            m.row.kind = "connection".into();
        }
        tx.send(Live::Message(Arc::new(m))).unwrap();
        if i % 2 == 1 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    drop(tx);
    task.await.unwrap();
    let sent = sent.lock().unwrap();
    for pair in sent.windows(2) {
        assert!(
            pair[1].0 - pair[0].0 >= Duration::from_millis(100),
            "batches closer than the interval"
        );
    }
    assert!(sent.len() <= 11, "{} batches in a second", sent.len());
    let shown: usize = sent.iter().map(|(_, b)| b.rows.len()).sum();
    let skipped: u64 = sent.iter().map(|(_, b)| b.skipped).sum();
    assert!(sent.iter().all(|(_, b)| b.rows.len() <= 50));
    assert_eq!(
        shown as u64 + skipped,
        1_800,
        "every matching message is shown or counted"
    );
    assert!(sent.iter().flat_map(|(_, b)| &b.rows).all(|r| r.kind == "uplink"));
    // The newest are the ones shown.
    assert_eq!(sent.last().unwrap().1.rows.last().unwrap().id, 1_999);
}

#[tokio::test]
async fn an_echo_from_aws_marks_its_uplink_live_and_in_the_history() {
    let (_dir, monitor) = monitor();
    let mut live = monitor.subscribe();
    let mut other = uplink("alpha", 1_000, "{}");
    other.row.integration_id = Some("int-2".into());
    monitor.record(uplink("alpha", 1_000, "{}"));
    monitor.record(other);
    let seen = Seen {
        integration_id: "int-1".into(),
        uuid: "uuid-alpha-1000".into(),
        at_ms: 1_050,
        device_id: Some("id-alpha".into()),
        reported_at_ms: 990,
    };
    monitor.seen_on_aws(seen.clone());
    monitor.flush();
    let rows = monitor.reader().unwrap().related(1).unwrap();
    let marks: Vec<_> = rows.iter().map(|r| (r.integration_id.as_deref(), r.seen_ms)).collect();
    // Only the copy AWS echoed on that integration's topic.
    assert_eq!(marks, [(Some("int-1"), Some(1_050)), (Some("int-2"), None)]);
    let mut got = Vec::new();
    while let Ok(item) = live.try_recv() {
        got.push(item);
    }
    assert!(matches!(got.last(), Some(Live::Seen(s)) if *s == seen), "{got:?}");

    // The live stream passes it on to a filter on its integration, not to one on another.
    let (tx, rx) = tokio::sync::broadcast::channel(16);
    let sent = Arc::new(std::sync::Mutex::new(Vec::<LiveBatch>::new()));
    let s = sent.clone();
    let filter = MessageFilter {
        integration_id: Some("int-2".into()),
        ..Default::default()
    };
    let task = tokio::spawn(forward_live(rx, filter, Duration::from_millis(10), 50, move |b| {
        s.lock().unwrap().push(b);
        true
    }));
    tx.send(Live::Seen(seen.clone())).unwrap();
    let mut on_two = seen.clone();
    on_two.integration_id = "int-2".into();
    tx.send(Live::Seen(on_two.clone())).unwrap();
    drop(tx);
    task.await.unwrap();
    let marks: Vec<Seen> = sent.lock().unwrap().iter().flat_map(|b| b.seen.clone()).collect();
    assert_eq!(marks, [on_two]);
}

#[test]
fn an_echo_finds_its_uplink_among_its_devices_messages_whatever_the_lns_clock_says() {
    let (_dir, monitor) = monitor();
    let hour = 3_600_000;
    monitor.record(uplink("alpha", 10 * hour, "{}"));
    monitor.record(uplink("alpha", 11 * hour, "{}"));
    monitor.record(uplink("beta", 20 * hour, "{}"));
    monitor.record(uplink("gamma", 30 * hour, "{}"));
    // The same uplink recorded twice for one integration: the newest copy is the one marked.
    let mut twice = uplink("delta", 40 * hour + 1_000, "{}");
    twice.row.uuid = Some(format!("uuid-delta-{}", 40 * hour));
    monitor.record(uplink("delta", 40 * hour, "{}"));
    monitor.record(twice);
    let echo = |device: &str, at: i64, reported: i64| Seen {
        integration_id: "int-1".into(),
        uuid: format!("uuid-{device}-{at}"),
        at_ms: at + 5_000,
        device_id: Some(format!("id-{device}")),
        reported_at_ms: reported,
    };
    // Recorded 9 h after it was reported (the bridge was away).
    monitor.seen_on_aws(echo("alpha", 10 * hour, hour));
    // Reported by a clock half an hour, and one three hours, ahead of ours.
    monitor.seen_on_aws(echo("beta", 20 * hour, 20 * hour + hour / 2));
    monitor.seen_on_aws(echo("gamma", 30 * hour, 33 * hour));
    monitor.seen_on_aws(echo("delta", 40 * hour, 40 * hour));
    // The echo names another device: not this uplink. One that names none marks nothing here.
    let mut stray = echo("alpha", 10 * hour, hour);
    stray.uuid = format!("uuid-beta-{}", 20 * hour);
    monitor.seen_on_aws(stray);
    let mut anonymous = echo("alpha", 11 * hour, 11 * hour);
    anonymous.device_id = None;
    monitor.seen_on_aws(anonymous);
    monitor.flush();
    let h = monitor.reader().unwrap();
    let seen: Vec<_> = h
        .search(&MessageFilter::default(), None, 10)
        .unwrap()
        .rows
        .iter()
        .map(|r| (r.device_name.clone().unwrap(), r.seen_ms.map(|ms| ms / hour)))
        .collect();
    let at = |device: &str, h: i64| (device.to_string(), Some(h));
    let unseen = |device: &str| (device.to_string(), None);
    assert_eq!(
        seen,
        [
            at("delta", 40),
            unseen("delta"),
            at("gamma", 30),
            at("beta", 20),
            unseen("alpha"),
            at("alpha", 10)
        ]
    );
    // Both look-ups walk the device's index, never the whole table.
    let related = format!(
        "SELECT id FROM messages WHERE {} {}",
        history::RELATED_WHERE,
        history::RELATED_ORDER
    );
    for sql in [history::MARK_SEEN, related.as_str()] {
        let mut stmt = h.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let mut rows = stmt.raw_query();
        let mut plan = Vec::new();
        while let Some(r) = rows.next().unwrap() {
            plan.push(r.get::<_, String>(3).unwrap());
        }
        assert!(plan.iter().any(|p| p.contains("messages_device_at")), "{sql}: {plan:?}");
        // In order straight off the index, not every match gathered and sorted.
        assert!(!plan.iter().any(|p| p.contains("TEMP B-TREE")), "{sql}: {plan:?}");
    }
}

#[test]
fn an_echo_that_comes_before_its_uplinks_message_marks_it_once_the_message_is_recorded() {
    // A session that connects as an uplink is committed publishes it from the outbox at once:
    // AWS's echo can reach the history before the uplink's message.
    let (_dir, monitor) = monitor();
    let at = crate::now_ms();
    let early = uplink("alpha", at + 3, "{}");
    monitor.seen_on_aws(Seen {
        integration_id: "int-1".into(),
        uuid: early.row.uuid.clone().unwrap(),
        at_ms: at,
        device_id: Some("id-alpha".into()),
        reported_at_ms: at - 40,
    });
    monitor.flush();
    let marks = |monitor: &Monitor| -> Vec<Option<i64>> {
        let h = monitor.reader().unwrap();
        h.search(&MessageFilter::default(), None, 10)
            .unwrap()
            .rows
            .iter()
            .map(|r| r.seen_ms)
            .collect()
    };
    assert_eq!(marks(&monitor), Vec::<Option<i64>>::new());
    monitor.record(uplink("beta", at + 1, "{}"));
    monitor.flush();
    assert_eq!(marks(&monitor), [None]);
    monitor.record(early);
    monitor.flush();
    assert_eq!(marks(&monitor), [Some(at), None]);
}

#[test]
fn a_source_event_is_kept_as_it_came_and_bytes_that_are_not_utf8_become_replacement_characters() {
    let up = |raw: &[u8]| Message::new("uplink", Direction::Up, "info", "").with_source_event(raw);
    assert_eq!(
        up("{\"name\":\"café\"}".as_bytes()).source_event.as_deref(),
        Some("{\"name\":\"café\"}")
    );
    assert_eq!(
        up(b"{\"name\":\"caf\xe9\"}").source_event.as_deref(),
        Some("{\"name\":\"caf\u{fffd}\"}")
    );
}

/// The history thread's purge names jemalloc's all-arenas index right: a wrong name is an error
/// (ENOENT) that nobody would see.
#[cfg(unix)]
#[test]
fn jemalloc_purges_every_arena() {
    let kept: Vec<Vec<u8>> = (0..1000).map(|i| vec![i as u8; 2000]).collect();
    drop(kept);
    assert_eq!(purge_jemalloc(), 0);
}

/// The history's WAL is copied into its file past its bound, or once the history is quiet
/// (`settle`), never at SQLite's own checkpoints (every 1,000 frames), which came in the middle
/// of bursts.
#[test]
fn the_history_wal_is_copied_past_its_bound_or_once_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(HISTORY_FILE);
    let mut h = History::open(&path).unwrap();
    // Frames in the WAL now, and how many of them are copied (copying what is there).
    let frames = |h: &History| -> i64 {
        h.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
            .unwrap()
    };
    let body = "x".repeat(1000);
    let mut known = HashSet::new();
    let mut id = 0;
    let mut write = |h: &mut History, commits: usize, wal: &mut crate::store::wal::WalSize| {
        for _ in 0..commits {
            let batch: Vec<Arc<Message>> = (0..10)
                .map(|_| {
                    id += 1;
                    let mut m = uplink("alpha", 1_000 + id, &body);
                    m.row.id = id;
                    Arc::new(m)
                })
                .collect();
            h.insert(&batch, &mut known).unwrap();
            wal.check(&h.conn);
        }
    };
    let mut wal = crate::store::wal::WalSize::follow(&h.conn, 100_000);
    write(&mut h, 300, &mut wal);
    let held = frames(&h);
    assert!(held > 1_000, "every frame since the start is still in the WAL: {held}");
    wal.settle(&h.conn);
    let wal_file = dir.path().join(format!("{HISTORY_FILE}-wal"));
    assert_eq!(
        std::fs::metadata(&wal_file).unwrap().len(),
        0,
        "settled: the WAL starts over"
    );

    let mut wal = crate::store::wal::WalSize::follow(&h.conn, 100);
    write(&mut h, 300, &mut wal);
    let held = frames(&h);
    assert!(held <= 100 + 50, "past its bound the WAL starts over: {held} frames");
    assert_eq!(h.count().unwrap(), 6_000);
}
