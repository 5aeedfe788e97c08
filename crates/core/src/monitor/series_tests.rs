//! The charts' data: a device's numbers over time and an integration's backlog, from history.

use super::tests::{monitor, uplink};
use super::*;

fn decoded_uplink(at_ms: i64, fcnt: i64, rssi: i64, integration: &str) -> Message {
    let json = format!(
        r#"{{"fcnt":{fcnt},"hotspots":[{{"rssi":{rssi},"snr":5.5}}],"decoded":{{"status":"success","payload":[
            {{"channel":1,"type":103,"name":"temperature","value":{t},"unit":"celsius"}},
            {{"channel":4,"type":113,"name":"accelerometer","value":{{"x":-13.0,"y":2.0,"z":-26.576}},"unit":"G"}}]}}}}"#,
        t = 20.0 + fcnt as f64 / 2.0
    );
    let mut m = uplink("alpha", at_ms, &json);
    m.row.uuid = Some(format!("uuid-{fcnt}"));
    m.row.integration_id = Some(integration.into());
    m
}

#[test]
fn a_devices_numbers_come_as_series_one_point_per_uplink() {
    let (_dir, monitor) = monitor();
    for fcnt in 1..=4 {
        // Each uplink went to two integrations: two messages, one point.
        monitor.record(decoded_uplink(1_000 * fcnt, fcnt, -100 + fcnt, "int-1"));
        monitor.record(decoded_uplink(1_000 * fcnt, fcnt, -100 + fcnt, "int-2"));
    }
    let mut odd = uplink("alpha", 4_500, r#"{"fcnt":9,"hotspots":[]}"#);
    odd.row.uuid = Some("uuid-9".into());
    monitor.record(odd);
    monitor.flush();
    let h = monitor.reader().unwrap();

    let fields = h.series_fields("EUIALPHA").unwrap();
    let labels: Vec<(&str, &str)> = fields.iter().map(|f| (f.path.as_str(), f.label.as_str())).collect();
    // The newest uplink has no decoded payload: only the radio figures.
    assert_eq!(
        labels,
        vec![("$.hotspots[0].rssi", "RSSI (dBm)"), ("$.hotspots[0].snr", "SNR (dB)")]
    );
    let older = h.series_fields("alpha");
    assert!(older.is_ok());

    let paths = vec![
        "$.hotspots[0].rssi".to_string(),
        "$.decoded.payload[0].value".to_string(),
    ];
    let s = h.series("alpha", 0, 10_000, &paths).unwrap();
    assert_eq!(s.t, vec![1_000, 2_000, 3_000, 4_000, 4_500]);
    assert_eq!(
        s.columns[0].values,
        vec![Some(-99.0), Some(-98.0), Some(-97.0), Some(-96.0), None]
    );
    assert_eq!(
        s.columns[1].values,
        vec![Some(20.5), Some(21.0), Some(21.5), Some(22.0), None]
    );
    assert!(!s.truncated);
    let e = h
        .series("alpha", 0, 10_000, &["hotspots; DROP TABLE messages".into()])
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "\"hotspots; DROP TABLE messages\" is not a field path like $.decoded.payload.temperature"
    );

    // int-1's rate in 2 s buckets: one uplink (at 1 s), then two (2 s, 3 s), then two (4 s, 4.5 s).
    let r = h.uplink_rate("int-1", 0, 6_000, 2_000).unwrap();
    assert_eq!(r.t, vec![0, 2_000, 4_000]);
    assert_eq!(r.per_second, vec![0.5, 1.0, 1.0]);
    // int-2 had no uplink at 4.5 s.
    assert_eq!(
        h.uplink_rate("int-2", 0, 6_000, 2_000).unwrap().per_second,
        vec![0.5, 1.0, 0.5]
    );
    // No backlog sampled (the bridge did not run): no value, not zero.
    assert_eq!(r.backlog, vec![None, None, None]);
}

#[test]
fn backlog_samples_chart_as_the_most_waiting_per_bucket_and_age_out() {
    let (_dir, monitor) = monitor();
    let mut h = History::open(&monitor.path).unwrap();
    h.insert_backlog(500, &[("int-1".into(), 10), ("int-2".into(), 3)])
        .unwrap();
    h.insert_backlog(1_500, &[("int-1".into(), 40), ("int-2".into(), 0)])
        .unwrap();
    h.insert_backlog(4_200, &[("int-1".into(), 0)]).unwrap();
    let r = h.uplink_rate("int-1", 0, 6_000, 2_000).unwrap();
    assert_eq!(r.backlog, vec![Some(40.0), None, Some(0.0)]);
    assert_eq!(
        h.uplink_rate("int-2", 0, 6_000, 2_000).unwrap().backlog,
        vec![Some(3.0), None, None]
    );
    // Retention by age takes old samples too.
    h.prune(5_000, 1_000, i64::MAX).unwrap();
    assert_eq!(
        h.uplink_rate("int-1", 0, 6_000, 2_000).unwrap().backlog,
        vec![None, None, Some(0.0)]
    );
    // Through the monitor's writer, as the bridge records them.
    monitor.backlog(vec![("int-3".into(), 7)]);
    monitor.flush();
    let now = crate::now_ms();
    let r = monitor
        .reader()
        .unwrap()
        .uplink_rate("int-3", now - 60_000, now + 1, 60_001)
        .unwrap();
    assert_eq!(r.backlog, vec![Some(7.0)]);
}

#[test]
fn cayenne_readings_are_offered_by_name_and_channel() {
    let (_dir, monitor) = monitor();
    monitor.record(decoded_uplink(crate::now_ms(), 1, -90, "int-1"));
    monitor.flush();
    let fields = monitor.reader().unwrap().series_fields("id-alpha").unwrap();
    let labels: Vec<(&str, &str)> = fields.iter().map(|f| (f.path.as_str(), f.label.as_str())).collect();
    assert_eq!(
        labels,
        vec![
            ("$.hotspots[0].rssi", "RSSI (dBm)"),
            ("$.hotspots[0].snr", "SNR (dB)"),
            ("$.decoded.payload[0].value", "temperature (channel 1, celsius)"),
            ("$.decoded.payload[1].value.x", "accelerometer (channel 4, G).x"),
            ("$.decoded.payload[1].value.y", "accelerometer (channel 4, G).y"),
            ("$.decoded.payload[1].value.z", "accelerometer (channel 4, G).z"),
        ]
    );
}
