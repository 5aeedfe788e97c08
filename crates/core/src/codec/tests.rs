//! Golden-fixture and bad-input tests for uplink translation. Fixtures live in the repo's
//! `tests/fixtures/`; the expected files were written by hand from the wire contract.

use serde_json::{json, Value};
use uuid::Uuid;

use super::*;

fn fixture(rel: &str) -> Vec<u8> {
    let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("tests/fixtures")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn fixture_json(rel: &str) -> Value {
    serde_json::from_slice(&fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn ctx() -> UplinkContext<'static> {
    static LABELS: std::sync::LazyLock<Vec<crate::domain::Label>> = std::sync::LazyLock::new(|| {
        vec![crate::domain::Label {
            id: "0c6f7f4e-5d1a-4c3b-9e2f-7a8b9c0d1e2f".into(),
            name: "fleet-a".into(),
        }]
    });
    UplinkContext {
        labels: &LABELS,
        known_app_eui: None,
        device_id: None,
        now_ms: 1_700_000_000_000,
    }
}

/// Structural equality that names the first differing path. Integers must stay integers and
/// floats floats; float values may differ in the last bits (decimal parsing is not always exact).
fn assert_json_eq(path: &str, actual: &Value, expected: &Value) {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            let mut keys: Vec<_> = a.keys().chain(e.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                match (a.get(k), e.get(k)) {
                    (Some(av), Some(ev)) => assert_json_eq(&format!("{path}.{k}"), av, ev),
                    (av, ev) => panic!("{path}.{k}: actual {av:?}, expected {ev:?}"),
                }
            }
        }
        (Value::Array(a), Value::Array(e)) => {
            assert_eq!(a.len(), e.len(), "{path}: array length");
            for (i, (av, ev)) in a.iter().zip(e).enumerate() {
                assert_json_eq(&format!("{path}[{i}]"), av, ev);
            }
        }
        (Value::Number(a), Value::Number(e)) if a.is_f64() || e.is_f64() => {
            assert!(a.is_f64() && e.is_f64(), "{path}: {a} vs {e} (integer vs float)");
            let (a, e) = (a.as_f64().unwrap_or(f64::NAN), e.as_f64().unwrap_or(f64::NAN));
            assert!((a - e).abs() <= 1e-12 * e.abs().max(1.0), "{path}: {a} vs {e}");
        }
        _ => assert_eq!(actual, expected, "{path}"),
    }
}

const CHIRPSTACK_CASES: &[&str] = &[
    "reference",
    "pre-4.11-metadata",
    "two-hotspots",
    "no-location",
    "location-only",
    "no-object",
    "unknown-fields",
    "uppercase-euis",
    "omitted-defaults",
];

#[test]
fn chirpstack_golden_fixtures() {
    for case in CHIRPSTACK_CASES {
        let raw = fixture(&format!("chirpstack/{case}.json"));
        let ev = parse_chirpstack(&raw).unwrap_or_else(|e| panic!("{case}: {e}"));
        let out = from_chirpstack(ev, &ctx()).unwrap_or_else(|e| panic!("{case}: {e}"));
        let actual = serde_json::to_value(&out).expect("serialize");
        let expected = fixture_json(&format!("chirpstack/{case}.expected.json"));
        assert_json_eq(case, &actual, &expected);
        // The output type reads back what it writes (replays are stored and re-sent).
        let back: HeliumUplink = serde_json::from_value(actual).expect("deserialize");
        assert_eq!(back, out, "{case}: round trip");
    }
}

/// ChirpStack's `object` reaches AWS as ChirpStack wrote it: the same text, numbers included.
#[test]
fn chirpstack_object_passes_through_as_written() {
    let mut v = fixture_json("chirpstack/reference.json");
    v["object"] = json!({});
    let raw = serde_json::to_string(&v)
        .unwrap()
        .replace(r#""object":{}"#, r#""object":{"t":21.50,"n":1e2,"s":"caf\u00e9"}"#);
    let ev = parse_chirpstack(raw.as_bytes()).unwrap();
    let out = crate::codec::helium::to_json(&from_chirpstack(ev, &ctx()).unwrap());
    assert!(
        out.contains(r#""decoded":{"status":"success","payload":{"t":21.50,"n":1e2,"s":"caf\u00e9"}}"#),
        "{out}"
    );
    // Read back (a shadow, a replay), it is the same JSON.
    let back: HeliumUplink = serde_json::from_str(&out).unwrap();
    assert_eq!(
        back.decoded.unwrap(),
        Decoded::Success {
            payload: json!({"t": 21.5, "n": 100.0, "s": "café"}).into()
        }
    );
}

#[test]
fn region_from_either_place() {
    let region = |case: &str| {
        parse_chirpstack(&fixture(&format!("chirpstack/{case}.json")))
            .map(|ev| ev.region().map(str::to_string))
            .expect("parse")
    };
    assert_eq!(region("reference").as_deref(), Some("eu868"));
    assert_eq!(region("pre-4.11-metadata").as_deref(), Some("eu868"));
    assert_eq!(region("omitted-defaults").as_deref(), Some("eu868"));
    let mut v = fixture_json("chirpstack/omitted-defaults.json");
    v.as_object_mut().map(|o| o.remove("regionConfigId"));
    let ev = parse_chirpstack(v.to_string().as_bytes()).expect("parse");
    assert_eq!(ev.region(), None);
}

#[test]
fn chirpstack_zero_rx_info_missing_dedup_and_known_app_eui() {
    let mut v = fixture_json("chirpstack/reference.json");
    if let Some(o) = v.as_object_mut() {
        o.remove("rxInfo");
        o.remove("deduplicationId");
    }
    let ev = parse_chirpstack(v.to_string().as_bytes()).expect("parse");
    let ctx = UplinkContext {
        known_app_eui: Some("70b3d57ed0000001"),
        ..ctx()
    };
    let out = from_chirpstack(ev, &ctx).expect("translate");
    assert!(out.hotspots.is_empty());
    assert_eq!(out.app_eui.as_deref(), Some("70B3D57ED0000001"));
    let fresh = Uuid::parse_str(&out.uuid).expect("uuid");
    assert_eq!(fresh.get_version_num(), 4);
}

#[test]
fn chirpstack_join_event() {
    let raw = json!({
        "deduplicationId": "c9dd5ba0-3b1b-4a0e-9e0c-1a2b3c4d5e6f",
        "time": "2025-06-01T12:00:00Z",
        "deviceInfo": {"tenantId": "t", "deviceName": "sensor-01", "devEui": "0102030405060708"},
        "devAddr": "fe00486b",
        "regionConfigId": "eu868"
    });
    let ev = parse_chirpstack(raw.to_string().as_bytes()).expect("parse");
    let out = from_chirpstack_join(ev, &ctx()).expect("translate");
    let v = serde_json::to_value(&out).expect("serialize");
    assert_eq!(v["type"], "join");
    assert_eq!(v["reported_at"], 1_748_779_200_000_i64);
    assert_eq!(v["payload_size"], 0);
    assert_eq!(v["hotspots"], json!([]));
    assert!(v.get("decoded").is_none());
}

#[test]
fn decoded_error_shape() {
    let d = Decoded::Error {
        error: "bad byte 3".into(),
    };
    assert_eq!(
        serde_json::to_value(&d).expect("serialize"),
        json!({"status": "error", "error": "bad byte 3"})
    );
}

#[test]
fn legacy_full_fixture() {
    let ev = parse_legacy(&fixture("legacy/full.json")).expect("parse");
    let out = from_legacy(&ev, &ctx()).expect("translate");
    let actual = serde_json::to_value(&out).expect("serialize");
    assert_json_eq("full", &actual, &fixture_json("legacy/full.expected.json"));
}

#[test]
fn legacy_seed_fixture() {
    let ev = parse_legacy(&fixture("legacy/seed.json")).expect("parse");
    let out = from_legacy(&ev, &ctx()).expect("translate");
    // The 2020 shape has no uuid, so a fresh v4 is made: check it, then compare the rest.
    let fresh = Uuid::parse_str(&out.uuid).expect("uuid");
    assert_eq!(fresh.get_version_num(), 4);
    let mut actual = serde_json::to_value(&out).expect("serialize");
    actual.as_object_mut().map(|o| o.remove("uuid"));
    assert_json_eq("seed", &actual, &fixture_json("legacy/seed.expected.json"));
}

fn chirpstack_err(v: &Value) -> String {
    let raw = v.to_string();
    match parse_chirpstack(raw.as_bytes()) {
        Err(e) => e.to_string(),
        Ok(ev) => match from_chirpstack(ev, &ctx()) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted: {raw}"),
        },
    }
}

#[test]
fn bad_uplinks_have_clear_reasons() {
    let e = parse_chirpstack(b"hello").expect_err("not JSON");
    assert_eq!(e.to_string(), "not JSON: expected value at line 1 column 1");
    let e = parse_chirpstack(b"[1,2]").expect_err("array");
    assert_eq!(e.to_string(), "expected a JSON object, got an array");
    // Not UTF-8 (a byte of Latin-1 in a name): said as such, with where.
    let e = parse_chirpstack(b"{\"deviceInfo\": {\"devEui\": \"0102030405060708\", \"deviceName\": \"caf\xe9\"}}")
        .expect_err("not UTF-8");
    assert_eq!(
        e.to_string(),
        "not JSON: invalid unicode code point at line 1 column 65"
    );

    let reference = fixture_json("chirpstack/reference.json");
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = reference.clone();
        f(&mut v);
        chirpstack_err(&v)
    };
    assert_eq!(
        with(&|v| {
            v.as_object_mut().map(|o| o.remove("deviceInfo"));
        }),
        "missing field deviceInfo"
    );
    assert_eq!(
        with(&|v| {
            v["deviceInfo"].as_object_mut().map(|o| o.remove("devEui"));
        }),
        "missing field deviceInfo.devEui"
    );
    assert_eq!(with(&|v| v["data"] = json!("not base64!")), "data is not valid base64");
    assert_eq!(
        with(&|v| v["fCnt"] = json!("x")),
        "invalid fCnt: invalid type: string \"x\", expected u32"
    );
    assert_eq!(
        with(&|v| v["rxInfo"][0]["gwTime"] = json!("yesterday")),
        "invalid rxInfo[0].gwTime: \"yesterday\" is not an RFC 3339 timestamp"
    );
    assert_eq!(
        with(&|v| v["deviceInfo"]["devEui"] = json!("0102")),
        "invalid deviceInfo.devEui: expected 16 hex digits, got \"0102\""
    );

    let mut legacy = fixture_json("legacy/full.json");
    legacy["payload"] = json!("%%%");
    let ev = parse_legacy(legacy.to_string().as_bytes()).expect("parse");
    let e = from_legacy(&ev, &ctx()).expect_err("bad payload");
    assert_eq!(e.to_string(), "payload is not valid base64");
    legacy.as_object_mut().map(|o| o.remove("id"));
    let e = parse_legacy(legacy.to_string().as_bytes()).expect_err("no id");
    assert_eq!(e.to_string(), "missing field id");

    // An up event with only its device is not an uplink of frame 0 with no payload.
    let bare = json!({"deviceInfo": {"devEui": "0102030405060708"}});
    assert_eq!(chirpstack_err(&bare), "missing field fCnt");
    assert_eq!(
        with(&|v| {
            v.as_object_mut().map(|o| o.remove("data"));
        }),
        "missing field data"
    );
}

/// Legacy ids become thing names and topic levels: only thing-name characters pass.
#[test]
fn legacy_ids_must_be_thing_names() {
    let with_id = |id: &str| {
        let mut v = fixture_json("legacy/full.json");
        v["id"] = json!(id);
        let ev = parse_legacy(v.to_string().as_bytes()).expect("parse");
        from_legacy(&ev, &ctx()).map(|u| u.id).map_err(|e| e.to_string())
    };
    let rule = "is not a usable device id: it must be 1 to 128 letters, digits, ':', '_' or '-' \
                (it becomes the AWS thing name)";
    for bad in ["evil/+/#", "", "$aws/x"] {
        assert_eq!(with_id(bad), Err(format!("invalid id: {bad:?} {rule}")));
    }
    assert_eq!(
        with_id(&"a".repeat(129)),
        Err(format!("invalid id: a 129-character id {rule}"))
    );
    assert_eq!(with_id(&"a".repeat(128)), Ok("a".repeat(128)));
}

#[test]
fn a_device_id_the_caller_derived_is_used_as_given() {
    let ev = parse_chirpstack(&fixture("chirpstack/reference.json")).expect("parse");
    let derived = from_chirpstack(ev.clone(), &ctx()).expect("translate").id;
    assert_eq!(derived, crate::codec::device_id_for_dev_eui(&ev.device_info.dev_eui));
    let given = UplinkContext {
        device_id: Some(&derived),
        ..ctx()
    };
    assert_eq!(from_chirpstack(ev.clone(), &given).expect("translate").id, derived);
    let other = UplinkContext {
        device_id: Some("not-derived-here"),
        ..ctx()
    };
    assert_eq!(
        from_chirpstack(ev, &other).expect("translate").id,
        "not-derived-here",
        "the caller's id, not derived again"
    );
}

#[test]
fn an_empty_gateway_location_has_no_coordinates() {
    let mut v = fixture_json("chirpstack/reference.json");
    for rx in v["rxInfo"].as_array_mut().unwrap() {
        rx.as_object_mut().map(|o| o.remove("metadata"));
        rx["location"] = json!({});
    }
    let ev = parse_chirpstack(v.to_string().as_bytes()).expect("parse");
    let out = from_chirpstack(ev, &ctx()).expect("translate");
    assert!(!out.hotspots.is_empty());
    for h in &out.hotspots {
        assert_eq!((h.lat, h.long), (None, None));
    }
    // Only one coordinate given: the other is an omitted 0.
    v["rxInfo"][0]["location"] = json!({"latitude": 52.5});
    let ev = parse_chirpstack(v.to_string().as_bytes()).expect("parse");
    let out = from_chirpstack(ev, &ctx()).expect("translate");
    assert_eq!((out.hotspots[0].lat, out.hotspots[0].long), (Some(52.5), Some(0.0)));
}

/// Only the metadata entries the bridge reads count: an odd value there is passed over (not a
/// rejection), and whatever else the LNS puts beside them is skipped.
#[test]
fn odd_gateway_metadata_does_not_reject_the_uplink() {
    let mut v = fixture_json("chirpstack/reference.json");
    v["rxInfo"][0]["metadata"] = json!({
        "gateway_name": 42,
        "gateway_lat": {"deg": 51},
        "gateway_long": "4.35",
        "gateway_id": "",
        "extra": [1, {"nested": null}],
        "network": "helium_iot"
    });
    v["rxInfo"][0]["location"] = json!({"latitude": 1.5, "longitude": 2.5});
    let ev = parse_chirpstack(v.to_string().as_bytes()).expect("parse");
    let h = &from_chirpstack(ev, &ctx()).expect("translate").hotspots[0];
    assert_eq!(
        h.name, "8d5ecb12457ba867",
        "a name that is not text falls back to the gateway id"
    );
    assert_eq!(h.id, "8d5ecb12457ba867", "so does an empty id");
    assert_eq!(
        (h.lat, h.long),
        (Some(1.5), Some(2.5)),
        "half a metadata position: the location's"
    );
}

/// Coordinates and frequencies leave exactly as they came, digit for digit.
#[test]
fn floats_pass_through_exactly() {
    let ev = parse_legacy(&fixture("legacy/full.json")).expect("parse");
    let out = serde_json::to_string(&from_legacy(&ev, &ctx()).expect("translate")).unwrap();
    assert!(out.contains("\"frequency\":911.9000244140625"), "{out}");
}

/// The 2020 shape carries its organization only on its labels; the bridge's labels get it too.
#[test]
fn legacy_labels_carry_the_uplink_organization() {
    let ev = parse_legacy(&fixture("legacy/seed.json")).expect("parse");
    let out = from_legacy(&ev, &ctx()).expect("translate");
    let org = out.metadata.organization_id.clone().expect("an organization");
    assert!(!org.is_empty());
    assert!(
        out.metadata.labels.iter().all(|l| l.organization_id == org),
        "{:?}",
        out.metadata
    );
}

#[test]
fn excerpt_is_short_and_single_line() {
    assert_eq!(excerpt(b"{\"a\":\n  1}\r\n"), "{\"a\": 1}");
    assert_eq!(excerpt(b"ab\xffcd"), "ab\u{fffd}cd");
    let long = "x".repeat(500);
    let e = excerpt(long.as_bytes());
    assert_eq!(e.chars().count(), 120);
    assert!(e.ends_with('…'));
    assert_eq!(excerpt("y".repeat(120).as_bytes()), "y".repeat(120));
    assert_eq!(excerpt("é".repeat(121).as_bytes()).chars().count(), 120);
}

/// `decodeUplink` gets the uplink's time as `input.recvTime`; a Console `Decoder`, which has no
/// use for it, runs without it being made.
#[test]
fn decode_uplink_reads_the_uplinks_time_as_recv_time() {
    let ev = parse_chirpstack(&fixture("chirpstack/reference.json")).unwrap();
    let up = from_chirpstack(ev, &ctx()).unwrap();
    let script = "function decodeUplink(input) { return { data: { at: input.recvTime } }; }";
    let decoder = decoder::Compiled::compile(crate::domain::DecoderKind::DecodeUplink, script).unwrap();
    match decoder.decode_bytes(&[1], 1, &up) {
        Decoded::Success { payload } => assert_eq!(*payload.tree(), json!({ "at": "2025-06-01T12:34:56.789Z" })),
        other => panic!("{other:?}"),
    }
    let script = "function Decoder(bytes, port) { return { port: port }; }";
    let decoder = decoder::Compiled::compile(crate::domain::DecoderKind::Helium, script).unwrap();
    match decoder.decode_bytes(&[1], 7, &up) {
        Decoded::Success { payload } => assert_eq!(*payload.tree(), json!({ "port": 7 })),
        other => panic!("{other:?}"),
    }
}
