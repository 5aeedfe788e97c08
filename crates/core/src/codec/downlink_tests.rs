//! Downlink validation: each bad input names its field and the exact reason.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::json;

use super::downlink::*;

fn b64(n: usize) -> String {
    BASE64.encode(vec![0xA5u8; n])
}

fn rejected(raw: &str) -> (&'static str, String) {
    match parse_downlink(raw.as_bytes()) {
        Err(r) => (r.field, r.to_string()),
        Ok(d) => panic!("accepted {raw}: {d:?}"),
    }
}

#[test]
fn bad_downlinks_name_field_and_reason() {
    let over = format!(r#"{{"payload_raw":"{}"}}"#, b64(243));
    // One case a line: the table reads better than rustfmt's layout.
    #[rustfmt::skip]
    let cases: Vec<(String, &str, &str)> = vec![
        ("hello".into(), "body", "body is not JSON: expected value at line 1 column 1"),
        ("".into(), "body", "body is not JSON: EOF while parsing a value at line 1 column 0"),
        (r#"[1,2]"#.into(), "body", "body must be a JSON object, got an array"),
        (r#""AQID""#.into(), "body", "body must be a JSON object, got a string"),
        (r#"{"port":2}"#.into(), "payload_raw", "payload_raw is required (or payload_json, encoded by the device's decoder)"),
        (r#"{"payload_raw":42}"#.into(), "payload_raw", "payload_raw must be a base64 string, got a number"),
        (r#"{"payload_raw":null}"#.into(), "payload_raw", "payload_raw must be a base64 string, got null"),
        (r#"{"payload_raw":"not base64!"}"#.into(), "payload_raw",
            "payload_raw must be standard base64 (A-Z a-z 0-9 + / with = padding)"),
        // URL-safe alphabet (0xfb 0xff → "-_8=") and missing padding are not standard base64.
        (r#"{"payload_raw":"-_8="}"#.into(), "payload_raw",
            "payload_raw must be standard base64 (A-Z a-z 0-9 + / with = padding)"),
        (r#"{"payload_raw":"AQI"}"#.into(), "payload_raw",
            "payload_raw must be standard base64 (A-Z a-z 0-9 + / with = padding)"),
        (r#"{"payload_raw":""}"#.into(), "payload_raw", "payload_raw must decode to 1 to 242 bytes, got 0"),
        (over, "payload_raw", "payload_raw must decode to 1 to 242 bytes, got 243"),
        (r#"{"payload_raw":"AQID","port":0}"#.into(), "port", "port must be an integer from 1 to 223, got 0"),
        (r#"{"payload_raw":"AQID","port":224}"#.into(), "port", "port must be an integer from 1 to 223, got 224"),
        (r#"{"payload_raw":"AQID","port":"2"}"#.into(), "port", r#"port must be an integer from 1 to 223, got "2""#),
        (r#"{"payload_raw":"AQID","port":1.5}"#.into(), "port", "port must be an integer from 1 to 223, got 1.5"),
        (r#"{"payload_raw":"AQID","port":1.0}"#.into(), "port", "port must be an integer from 1 to 223, got 1.0"),
        (r#"{"payload_raw":"AQID","port":-1}"#.into(), "port", "port must be an integer from 1 to 223, got -1"),
        (r#"{"payload_raw":"AQID","port":null}"#.into(), "port", "port must be an integer from 1 to 223, got null"),
        (r#"{"payload_raw":"AQID","port":300}"#.into(), "port", "port must be an integer from 1 to 223, got 300"),
        (r#"{"payload_raw":"AQID","confirmed":"true"}"#.into(), "confirmed", r#"confirmed must be true or false, got "true""#),
        (r#"{"payload_raw":"AQID","confirmed":1}"#.into(), "confirmed", "confirmed must be true or false, got 1"),
        (r#"{"payload_raw":"AQID","confirmed":null}"#.into(), "confirmed", "confirmed must be true or false, got null"),
    ];
    for (raw, field, message) in &cases {
        let (f, m) = rejected(raw);
        assert_eq!((f, m.as_str()), (*field, *message), "input {raw}");
    }
}

#[test]
fn long_offending_values_are_shortened() {
    let raw = format!(r#"{{"payload_raw":"AQID","port":"{}"}}"#, "9".repeat(100));
    let (_, m) = rejected(&raw);
    assert!(m.chars().count() < 100, "{m}");
    assert!(m.ends_with('…'), "{m}");
}

#[test]
fn valid_downlinks() {
    let d = parse_downlink(br#"{"payload_raw":"AQID"}"#).expect("defaults");
    assert_eq!(
        d,
        Downlink {
            payload: vec![1, 2, 3],
            port: 1,
            confirmed: false
        }
    );

    let d = parse_downlink(br#"{"payload_raw":"AQID","port":223,"confirmed":true,"extra":[1]}"#)
        .expect("max port, confirmed, unknown field");
    assert_eq!(
        d,
        Downlink {
            payload: vec![1, 2, 3],
            port: 223,
            confirmed: true
        }
    );

    let raw = format!(r#"{{"payload_raw":"{}","port":1,"confirmed":false}}"#, b64(242));
    let d = parse_downlink(raw.as_bytes()).expect("242 bytes");
    assert_eq!(d.payload.len(), 242);

    let d = parse_downlink(br#"{"payload_raw":"+/8="}"#).expect("standard alphabet");
    assert_eq!(d.payload, vec![0xfb, 0xff]);
}

#[test]
fn encoders() {
    let d = Downlink {
        payload: vec![1, 2, 3],
        port: 10,
        confirmed: true,
    };
    assert_eq!(
        chirpstack_command("0102030405A0B0C0", &d),
        json!({"devEui": "0102030405a0b0c0", "confirmed": true, "fPort": 10, "data": "AQID"})
    );
    assert_eq!(
        legacy_tx(&d),
        json!({"payload_raw": "AQID", "port": 10, "confirmed": true})
    );
}

mod payload_json {
    use super::super::downlink::{parse_downlink_with, Encode};
    use serde_json::Value;

    type Encoded = Result<(Vec<u8>, Option<u8>), String>;

    fn enc(bytes: Vec<u8>, port: Option<u8>) -> impl Fn(&Value, Option<u8>) -> Encoded {
        move |_, _| Ok((bytes.clone(), port))
    }

    #[test]
    fn is_encoded_and_the_given_port_wins_over_the_scripts() {
        let seen = std::cell::RefCell::new(None);
        let e = |v: &Value, p: Option<u8>| {
            *seen.borrow_mut() = Some((v.clone(), p));
            Ok((vec![1, 2], Some(7)))
        };
        let d = parse_downlink_with(br#"{"payload_json":{"on":true},"port":3,"confirmed":true}"#, &e).unwrap();
        assert_eq!((d.payload, d.port, d.confirmed), (vec![1, 2], 3, true));
        assert_eq!(*seen.borrow(), Some((serde_json::json!({"on": true}), Some(3))));
        let d = parse_downlink_with(br#"{"payload_json":{}}"#, &enc(vec![9], Some(7))).unwrap();
        assert_eq!(d.port, 7);
        let d = parse_downlink_with(br#"{"payload_json":{}}"#, &enc(vec![9], Some(0))).unwrap();
        assert_eq!(d.port, 1, "a port the script got wrong falls back to 1");
    }

    #[test]
    fn bad_ones_name_the_field_and_the_reason() {
        let ok: Encode<'_> = &enc(vec![1], None);
        let err = |raw: &str, e: Encode<'_>| parse_downlink_with(raw.as_bytes(), e).unwrap_err().to_string();
        assert_eq!(
            err(r#"{"payload_raw":"AQ==","payload_json":{}}"#, ok),
            "body must give payload_raw or payload_json, not both"
        );
        assert_eq!(
            err(r#"{"payload_json":{}}"#, &|_, _| Err(
                "encodeDownlink failed: line 2: Error: x".into()
            )),
            "payload_json encodeDownlink failed: line 2: Error: x"
        );
        assert_eq!(
            err(r#"{"payload_json":{}}"#, &enc(vec![], None)),
            "payload_json encoded to 0 bytes; 1 to 242 are allowed"
        );
        assert_eq!(
            err(r#"{"payload_json":{}}"#, &enc(vec![0; 243], None)),
            "payload_json encoded to 243 bytes; 1 to 242 are allowed"
        );
        assert_eq!(
            err(r#"{"port":2}"#, ok),
            "payload_raw is required (or payload_json, encoded by the device's decoder)"
        );
        assert_eq!(
            super::super::parse_downlink(br#"{"payload_json":{}}"#)
                .unwrap_err()
                .to_string(),
            "payload_json needs a decoder with encodeDownlink(input) attached to one of the device's labels"
        );
    }
}
