use super::*;
use crate::domain::{DeviceSeen, Integration, IntegrationKind, NewIntegration, SourceConfig};
use crate::events::Event;

/// An AWS IoT Core integration as the wizard would create it (the writer's tests use it too).
pub(crate) fn new_integration(name: &str) -> NewIntegration {
    NewIntegration {
        kind: IntegrationKind::AwsIotCore,
        name: name.into(),
        region: "us-east-1".into(),
        topic: "helium/uplinks".into(),
        endpoint: Default::default(),
        forward_joins: false,
    }
}

fn seen(id: &str) -> DeviceSeen {
    DeviceSeen {
        id: id.into(),
        name: format!("dev {id}"),
        dev_eui: "0102030405060708".into(),
        app_eui: None,
        devaddr: Some("FE00486B".into()),
        source: "chirpstack".into(),
        application_id: None,
        seen_at_ms: 1_000,
    }
}

/// Rows a database at schema `version` could hold, written with plain SQL as that version's
/// code would have.
fn seed_at_version(conn: &Connection, version: u32) {
    if version >= 1 {
        conn.execute_batch(
            "INSERT INTO integrations (id, kind, name, active, region, topic, created_at_ms, updated_at_ms)
                 VALUES ('i1','aws_iot_core','Old',1,'eu-west-1','up/t',5,6);
             INSERT INTO labels VALUES ('l1','fleet',7);
             INSERT INTO label_integrations VALUES ('l1','i1');",
        )
        .unwrap();
    }
    if version >= 2 {
        conn.execute_batch(
            "INSERT INTO devices (id,name,dev_eui,source,created_at_ms,uplinks)
                 VALUES ('d1','Sensor','0102030405060708','chirpstack',8,3);
             INSERT INTO device_labels VALUES ('d1','l1');",
        )
        .unwrap();
    }
}

#[test]
fn fresh_database_gets_every_migration_with_wal_and_foreign_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("db")).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let mode: String = store
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: bool = store
        .conn
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .unwrap();
    assert!(fk);
    // Reopening an up-to-date database changes nothing.
    drop(store);
    let store = Store::open(&tmp.path().join("db")).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
}

#[test]
fn upgrades_in_place_from_every_earlier_version() {
    for from in 0..SCHEMA_VERSION {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("db");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate(&mut conn, from).unwrap();
            let v: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
            assert_eq!(v, from);
            seed_at_version(&conn, from);
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION, "upgrade from {from}");
        let integrations = store.list_integrations().unwrap();
        let labels = store.list_labels().unwrap();
        if from >= 1 {
            assert_eq!(integrations.len(), 1, "from {from}");
            assert_eq!(integrations[0].name, "Old");
            assert_eq!(integrations[0].region, "eu-west-1");
            assert_eq!(labels[0].integration_count, 1);
        } else {
            assert!(integrations.is_empty() && labels.is_empty());
        }
        if from >= 2 {
            assert_eq!(store.list_devices().unwrap()[0].uplinks, 3);
            assert_eq!(store.routes_for_device("d1").unwrap().len(), 1);
        }
        // The upgraded schema is fully usable.
        let i = store.create_integration(&new_integration("New")).unwrap();
        let l = store.create_label("new label").unwrap();
        store.record_device_seen(&seen("d2")).unwrap();
        store.attach_label_to_integration(&l.id, &i.id).unwrap();
        store.attach_label_to_device(&l.id, "d2").unwrap();
        assert_eq!(store.routes_for_device("d2").unwrap(), vec![i]);
    }
}

#[test]
fn refuses_a_database_from_a_newer_version() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    }
    let err = Store::open(&path).err().expect("must refuse");
    assert!(matches!(err, StoreError::TooNew { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "the database was written by a newer Helium AWS Bridge (schema version {}, this build \
             knows up to {}); install the newer version or use another --data-dir",
            SCHEMA_VERSION + 1,
            SCHEMA_VERSION
        )
    );
}

#[test]
fn routing_is_the_union_over_labels_of_active_integrations() {
    let s = Store::open_in_memory().unwrap();
    let a = s.create_integration(&new_integration("A")).unwrap();
    let b = s.create_integration(&new_integration("B")).unwrap();
    let c = s.create_integration(&new_integration("C")).unwrap();
    let shared = s.create_label("shared").unwrap();
    let extra = s.create_label("extra").unwrap();
    for d in ["unlabeled", "dev"] {
        s.record_device_seen(&seen(d)).unwrap();
    }

    // A device with no label goes nowhere.
    assert!(s.routes_for_device("unlabeled").unwrap().is_empty());

    // Two integrations sharing a label: both, each once, even when reached by two labels.
    s.attach_label_to_integration(&shared.id, &a.id).unwrap();
    s.attach_label_to_integration(&shared.id, &b.id).unwrap();
    s.attach_label_to_integration(&extra.id, &a.id).unwrap();
    s.attach_label_to_device(&shared.id, "dev").unwrap();
    s.attach_label_to_device(&extra.id, "dev").unwrap();
    let ids = |v: Vec<Integration>| v.into_iter().map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.routes_for_device("dev").unwrap()),
        vec![a.id.clone(), b.id.clone()]
    );
    assert!(s.routes_for_device("unlabeled").unwrap().is_empty());

    // An integration the device shares no label with is not a route.
    assert!(!ids(s.routes_for_device("dev").unwrap()).contains(&c.id));

    // Inactive integrations are excluded, and come back when re-enabled.
    s.set_integration_active(&b.id, false).unwrap();
    assert_eq!(ids(s.routes_for_device("dev").unwrap()), vec![a.id.clone()]);
    s.set_integration_active(&b.id, true).unwrap();
    assert_eq!(ids(s.routes_for_device("dev").unwrap()), vec![a.id, b.id]);

    let labels = s.list_labels().unwrap();
    let shared_summary = labels.iter().find(|l| l.name == "shared").unwrap();
    assert_eq!((shared_summary.device_count, shared_summary.integration_count), (1, 2));
}

#[test]
fn bad_input_is_refused_with_a_clear_message_and_nothing_written() {
    let s = Store::open_in_memory().unwrap();
    let mut bad = new_integration("X");
    bad.topic = "a/+/b".into();
    assert_eq!(
        s.create_integration(&bad).unwrap_err().to_string(),
        "invalid topic: wildcards '+' and '#' cannot be used in a publish topic"
    );
    bad = new_integration("X");
    bad.region = "moon-1".into();
    assert_eq!(
        s.create_integration(&bad).unwrap_err().to_string(),
        "invalid region: \"moon-1\" is not an AWS region code such as \"us-east-1\""
    );
    assert!(s.list_integrations().unwrap().is_empty());

    s.create_integration(&new_integration("Dup")).unwrap();
    assert_eq!(
        s.create_integration(&new_integration("dup")).unwrap_err().to_string(),
        "an integration named \"Dup\" already exists (names ignore case)"
    );
    s.create_label("fleet").unwrap();
    assert_eq!(
        s.create_label("Fleet").unwrap_err().to_string(),
        "a label named \"fleet\" already exists (names ignore case)"
    );
    assert_eq!(
        s.attach_label_to_device("nope", "nodev").unwrap_err().to_string(),
        "label nope or device nodev not found"
    );
    assert_eq!(
        s.set_integration_active("nope", true).unwrap_err().to_string(),
        "integration nope not found"
    );
}

#[test]
fn device_sightings_register_then_refresh() {
    let s = Store::open_in_memory().unwrap();
    s.record_device_seen(&seen("d")).unwrap();
    let mut later = seen("d");
    later.name = "renamed".into();
    later.devaddr = None;
    later.seen_at_ms = 5_000;
    s.record_device_seen(&later).unwrap();
    let d = &s.list_devices().unwrap()[0];
    assert_eq!(d.name, "renamed");
    assert_eq!(
        d.devaddr.as_deref(),
        Some("FE00486B"),
        "a missing devaddr keeps the known one"
    );
    assert_eq!(d.last_seen_ms, Some(5_000));
}

#[test]
fn recent_events_are_the_newest_oldest_first() {
    let store = Store::open_in_memory().unwrap();
    assert!(store.recent_events(5).unwrap().is_empty());
    for i in 1..=20 {
        store
            .insert_event(&Event::new("uplink", "info", format!("event {i}")), 1000)
            .unwrap();
    }
    let ids: Vec<i64> = store.recent_events(5).unwrap().iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![16, 17, 18, 19, 20]);
    assert_eq!(store.recent_events(500).unwrap().len(), 20);
    assert!(store.recent_events(0).unwrap().is_empty());
}

#[test]
fn a_change_that_reads_then_writes_holds_the_write_lock_from_its_start() {
    // The app's store and the bridge's writer are two connections on one file: a change that
    // reads first (attach by DevEUI looks the device up) failed with "database is locked"
    // when the writer committed between its read and its write.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bridge.sqlite3");
    let app = Store::open(&path).unwrap();
    let writer = Store::open(&path).unwrap();
    writer.conn.busy_timeout(std::time::Duration::ZERO).unwrap();
    let label = app.create_label("fleet").unwrap();
    let mut writer_tried = None;
    let device = app
        .atomically(|s| {
            let known = s.lookup_device("0102030405060708")?;
            // The writer commits now, or is made to wait for this change.
            writer_tried = Some(writer.conn.execute(
                "INSERT INTO labels (id, name, created_at_ms) VALUES ('l2', 'other', 1)",
                [],
            ));
            assert!(known.is_none());
            s.attach_label_to_device_ref(&label.id, "0102030405060708")
        })
        .expect("the change is made whatever the writer does");
    let refused = writer_tried
        .unwrap()
        .expect_err("the writer waits for the change's lock");
    assert_eq!(refused.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy));
    assert_eq!(device.dev_eui, "0102030405060708");
    assert_eq!(app.device_labels(&device.id).unwrap()[0].name, "fleet");
    // Once it is committed, the writer gets its turn.
    writer
        .conn
        .execute(
            "INSERT INTO labels (id, name, created_at_ms) VALUES ('l2', 'other', 1)",
            [],
        )
        .unwrap();
}

#[test]
fn the_built_in_cayenne_decoder_takes_no_script_when_edited() {
    let store = Store::open_in_memory().unwrap();
    let d = store
        .create_decoder("lpp", crate::domain::DecoderKind::Cayenne, "")
        .unwrap();
    let e = store
        .update_decoder(&d.id, None, Some("function Decoder(b) { return {}; }"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "invalid script: \"lpp\" is the built-in Cayenne LPP decoder: it runs no script; add a JavaScript decoder instead"
    );
    assert_eq!(store.find_decoder("lpp").unwrap().script, "");
    // Renaming it is fine.
    assert_eq!(
        store.update_decoder(&d.id, Some("cayenne"), None).unwrap().name,
        "cayenne"
    );
}

#[test]
fn a_device_is_found_by_its_name_too_and_a_shared_name_lists_the_devices() {
    let store = Store::open_in_memory().unwrap();
    let label = store.create_label("fleet").unwrap();
    store
        .record_device_seen(&DeviceSeen {
            name: "Sensor-01".into(),
            ..seen("a")
        })
        .unwrap();
    store
        .record_device_seen(&DeviceSeen {
            name: "twin".into(),
            dev_eui: "0102030405060709".into(),
            ..seen("b")
        })
        .unwrap();
    store
        .record_device_seen(&DeviceSeen {
            name: "Twin".into(),
            dev_eui: "010203040506070A".into(),
            ..seen("c")
        })
        .unwrap();
    assert_eq!(store.find_device("sensor-01").unwrap().id, "a");
    assert_eq!(
        store.attach_label_to_device_ref(&label.id, " SENSOR-01 ").unwrap().id,
        "a"
    );
    assert_eq!(
        store.find_device("twin").unwrap_err().to_string(),
        "2 devices are named \"twin\"; use a device id: b (DevEUI 0102030405060709), c (DevEUI 010203040506070A)"
    );
    // An id or a DevEUI comes first: a device named like another's DevEUI does not hide it; a
    // name that merely looks like a DevEUI is still a name.
    let (d, e) = (
        DeviceSeen {
            name: "0102030405060709".into(),
            dev_eui: "0102030405060799".into(),
            ..seen("d")
        },
        DeviceSeen {
            name: "AAAABBBBCCCCDDDD".into(),
            dev_eui: "0102030405060798".into(),
            ..seen("e")
        },
    );
    store.record_device_seen(&d).unwrap();
    store.record_device_seen(&e).unwrap();
    assert_eq!(store.find_device("0102030405060709").unwrap().id, "b");
    assert_eq!(store.find_device("aaaabbbbccccdddd").unwrap().id, "e");
    assert_eq!(store.find_device("b").unwrap().id, "b");
    assert!(matches!(store.find_device("nobody"), Err(StoreError::NotFound(_))));
}

#[test]
fn a_uuid_device_id_is_found_in_any_case() {
    let store = Store::open_in_memory().unwrap();
    let label = store.create_label("fleet").unwrap();
    let other = store.create_label("other").unwrap();
    let lower = "12345678-1234-1234-1234-123456789abc";
    let first = store.attach_label_to_device_ref(&label.id, lower).unwrap();
    // Pasted in upper case: the same device, not a database error.
    let again = store
        .attach_label_to_device_ref(&other.id, &lower.to_ascii_uppercase())
        .unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(store.find_device(&lower.to_ascii_uppercase()).unwrap().id, lower);
    let labels: Vec<String> = store
        .device_labels(lower)
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(labels, ["fleet", "other"]);
}

#[test]
fn a_label_carries_one_decoder() {
    use crate::domain::DecoderKind;
    let store = Store::open_in_memory().unwrap();
    let label = store.create_label("fleet").unwrap();
    let lpp = store.create_decoder("lpp", DecoderKind::Cayenne, "").unwrap();
    let js = store
        .create_decoder("js", DecoderKind::Helium, "function Decoder(b) { return {}; }")
        .unwrap();
    assert!(store.attach_decoder_label(&lpp.id, &label.id).unwrap());
    // Again: nothing to do.
    assert!(!store.attach_decoder_label(&lpp.id, &label.id).unwrap());
    let e = store.attach_decoder_label(&js.id, &label.id).unwrap_err().to_string();
    assert_eq!(
        e,
        "label \"fleet\" already carries decoder \"lpp\", and a device runs one decoder: detach it first"
    );
    assert!(store.detach_decoder_label(&lpp.id, &label.id).unwrap());
    assert!(store.attach_decoder_label(&js.id, &label.id).unwrap());
}

#[test]
fn two_webhooks_cannot_listen_on_one_address() {
    let store = Store::open_in_memory().unwrap();
    let hook = |bind: &str| SourceConfig::HttpWebhook {
        bind: bind.into(),
        require_secret: false,
    };
    let first = store.create_source("first", hook("127.0.0.1:8090")).unwrap();
    for clash in ["127.0.0.1:8090", "0.0.0.0:8090"] {
        let e = store.create_source("second", hook(clash)).unwrap_err().to_string();
        assert_eq!(
            e, "webhook \"first\" already listens on 127.0.0.1:8090; give this one another port",
            "{clash}"
        );
    }
    let second = store.create_source("second", hook("127.0.0.1:8091")).unwrap();
    // Moved onto the first one's port: refused; keeping its own: fine.
    assert!(store
        .update_source(&second.id, "second", hook("127.0.0.1:8090"))
        .is_err());
    store.update_source(&first.id, "first", hook("127.0.0.1:8090")).unwrap();
    assert_eq!(store.list_sources().unwrap().len(), 2);
}
