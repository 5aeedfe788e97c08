use super::*;
use base64::Engine as _;
use serde_json::json;

/// The project's reference vectors, embedded at build time.
const VECTORS: &str = include_str!("../../../../../tests/fixtures/codec/cayenne-lpp-vectors.json");

/// Hex to bytes; spaces are allowed between readings for legibility.
fn hex(s: &str) -> Vec<u8> {
    let s = s.replace(' ', "");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn kind(bytes: &[u8]) -> CayenneErrorKind {
    decode(bytes).unwrap_err().kind
}

fn message(bytes: &[u8]) -> String {
    decode(bytes).unwrap_err().to_string()
}

fn data_len(ty: &LppType) -> usize {
    ty.fields.iter().map(|f| f.bytes).sum()
}

fn lpp_type(id: u8) -> &'static LppType {
    TYPES.iter().find(|t| t.id == id).unwrap()
}

#[test]
fn every_reference_case() {
    let vectors: Value = serde_json::from_str(VECTORS).unwrap();
    let cases = vectors["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let payload = match (case["payload_base64"].as_str(), case["payload_hex"].as_str()) {
            (Some(b64), None) => base64::engine::general_purpose::STANDARD.decode(b64).unwrap(),
            (None, Some(h)) => hex(h),
            _ => panic!("{name}: no payload"),
        };
        let got = decode(&payload);
        if case["expect_error"] == json!(true) {
            assert!(got.is_err(), "{name}: expected an error, got {got:?}");
        } else {
            assert_eq!(got.unwrap(), case["expect"], "{name}");
        }
    }
}

#[test]
fn reference_cases_fail_for_the_right_reason() {
    assert_eq!(
        kind(&hex("0167F0")),
        CayenneErrorKind::Truncated {
            channel: 1,
            type_name: "temperature",
            needed: 2,
            left: 1
        }
    );
    assert_eq!(
        kind(&hex("01FF00")),
        CayenneErrorKind::UnknownType {
            channel: 1,
            type_id: 0xFF
        }
    );
    assert_eq!(
        message(&hex("01FF00")),
        "byte 0: unknown Cayenne LPP type 0xFF (255) on channel 1"
    );
}

#[test]
fn type_table_matches_reference() {
    let vectors: Value = serde_json::from_str(VECTORS).unwrap();
    let rows = vectors["type_table"].as_array().unwrap();
    assert_eq!(rows.len(), TYPES.len());
    for row in rows {
        let id = u8::try_from(row[0].as_u64().unwrap()).unwrap();
        let ty = lpp_type(id);
        assert_eq!(ty.name, row[1], "type {id}");
        assert_eq!(data_len(ty) as u64, row[2].as_u64().unwrap(), "type {id}");
    }
}

#[test]
fn seed_payload() {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode("AWcA8AJodANzJ18Ecc04B9CYMAWGyVCIuDaw")
        .unwrap();
    let decoded = decode(&bytes).unwrap();
    assert_eq!(
        decoded,
        json!([
            {"channel": 1, "type": 103, "name": "temperature", "value": 24.0, "unit": "celsius"},
            {"channel": 2, "type": 104, "name": "humidity", "value": 58.0, "unit": "percent"},
            {"channel": 3, "type": 115, "name": "barometer", "value": 1007.9, "unit": "hPa"},
            {"channel": 4, "type": 113, "name": "accelerometer",
             "value": {"x": -13.0, "y": 2.0, "z": -26.576}, "unit": "G"},
            {"channel": 5, "type": 134, "name": "gyrometer",
             "value": {"x": -140.0, "y": -305.36, "z": 140.0}, "unit": "deg/s"},
        ])
    );
    // What actually gets published: clean decimals, no float noise.
    assert_eq!(
        serde_json::to_string(&decoded).unwrap(),
        concat!(
            r#"[{"channel":1,"name":"temperature","type":103,"unit":"celsius","value":24.0},"#,
            r#"{"channel":2,"name":"humidity","type":104,"unit":"percent","value":58.0},"#,
            r#"{"channel":3,"name":"barometer","type":115,"unit":"hPa","value":1007.9},"#,
            r#"{"channel":4,"name":"accelerometer","type":113,"unit":"G","value":{"x":-13.0,"y":2.0,"z":-26.576}},"#,
            r#"{"channel":5,"name":"gyrometer","type":134,"unit":"deg/s","value":{"x":-140.0,"y":-305.36,"z":140.0}}]"#,
        )
    );
}

#[test]
fn gps_example_from_the_spec() {
    // myDevices' documented GPS example: 42.3519 N, 87.9094 W, 10 m on channel 1.
    assert_eq!(
        decode(&hex("018806765FF2960A0003E8")).unwrap(),
        json!([{"channel": 1, "type": 136, "name": "gps",
                "value": {"latitude": 42.3519, "longitude": -87.9094, "altitude": 10.0}}])
    );
    // Southern/western hemisphere and below sea level: all three fields are signed 24-bit.
    assert_eq!(
        decode(&hex("0288FFFFFF800000FFFF9C")).unwrap()[0]["value"],
        json!({"latitude": -0.0001, "longitude": -838.8608, "altitude": -1.0})
    );
}

#[test]
fn every_type_decodes_with_the_routers_value_shapes() {
    let cases: [(&str, Value); 26] = [
        (
            "0000FF",
            json!({"channel": 0, "type": 0, "name": "digital_in", "value": 255}),
        ),
        (
            "0101 01",
            json!({"channel": 1, "type": 1, "name": "digital_out", "value": 1}),
        ),
        (
            "0202FFFF",
            json!({"channel": 2, "type": 2, "name": "analog_in", "value": -0.01}),
        ),
        (
            "03030181",
            json!({"channel": 3, "type": 3, "name": "analog_out", "value": 3.85}),
        ),
        (
            "046400000001",
            json!({"channel": 4, "type": 100, "name": "generic", "value": 1}),
        ),
        (
            "0565FFFF",
            json!({"channel": 5, "type": 101, "name": "illuminance", "value": 65535, "unit": "lux"}),
        ),
        (
            "066601",
            json!({"channel": 6, "type": 102, "name": "presence", "value": 1}),
        ),
        (
            "0767FF17",
            json!({"channel": 7, "type": 103, "name": "temperature", "value": -23.3, "unit": "celsius"}),
        ),
        (
            "0868FF",
            json!({"channel": 8, "type": 104, "name": "humidity", "value": 127.5, "unit": "percent"}),
        ),
        (
            "0971FFFF0001FC18",
            json!({"channel": 9, "type": 113, "name": "accelerometer",
            "value": {"x": -0.001, "y": 0.001, "z": -1.0}, "unit": "G"}),
        ),
        (
            "0A73FFFF",
            json!({"channel": 10, "type": 115, "name": "barometer", "value": 6553.5, "unit": "hPa"}),
        ),
        (
            "0B74014A",
            json!({"channel": 11, "type": 116, "name": "voltage", "value": 3.3, "unit": "V"}),
        ),
        (
            "0C7503E8",
            json!({"channel": 12, "type": 117, "name": "current", "value": 1.0, "unit": "A"}),
        ),
        (
            "0D76FFFFFFFF",
            json!({"channel": 13, "type": 118, "name": "frequency", "value": 4294967295u32, "unit": "Hz"}),
        ),
        (
            "0E7864",
            json!({"channel": 14, "type": 120, "name": "percentage", "value": 100, "unit": "%"}),
        ),
        (
            "0F79FF9C",
            json!({"channel": 15, "type": 121, "name": "altitude", "value": -100, "unit": "m"}),
        ),
        (
            "107D0190",
            json!({"channel": 16, "type": 125, "name": "concentration", "value": 400, "unit": "PPM"}),
        ),
        (
            "11800BB8",
            json!({"channel": 17, "type": 128, "name": "power", "value": 3000, "unit": "W"}),
        ),
        (
            "128200003039",
            json!({"channel": 18, "type": 130, "name": "distance", "value": 12.345, "unit": "m"}),
        ),
        (
            "1383FFFFFFFF",
            json!({"channel": 19, "type": 131, "name": "energy", "value": 4294967.295, "unit": "kWh"}),
        ),
        (
            "14840167",
            json!({"channel": 20, "type": 132, "name": "direction", "value": 359, "unit": "deg"}),
        ),
        (
            "15856553F100",
            json!({"channel": 21, "type": 133, "name": "unix_time", "value": 1700000000, "unit": "s"}),
        ),
        (
            "1686C950 88B8 36B0",
            json!({"channel": 22, "type": 134, "name": "gyrometer",
            "value": {"x": -140.0, "y": -305.36, "z": 140.0}, "unit": "deg/s"}),
        ),
        (
            "1787FF8000",
            json!({"channel": 23, "type": 135, "name": "colour", "value": {"r": 255, "g": 128, "b": 0}}),
        ),
        (
            "18880000000000000000 00",
            json!({"channel": 24, "type": 136, "name": "gps",
            "value": {"latitude": 0.0, "longitude": 0.0, "altitude": 0.0}}),
        ),
        (
            "638E00",
            json!({"channel": 99, "type": 142, "name": "switch", "value": 0}),
        ),
    ];
    for (payload, expected) in cases {
        assert_eq!(decode(&hex(payload)).unwrap(), json!([expected]), "{payload}");
    }
}

#[test]
fn integers_stay_integers_and_scaled_values_are_floats() {
    // Matches the router: Erlang's `/` always yields a float, unscaled values stayed integers.
    let decoded = decode(&hex("016874")).unwrap();
    assert!(decoded[0]["value"].is_f64());
    let decoded = decode(&hex("016503E8")).unwrap();
    assert!(decoded[0]["value"].is_u64());
    let decoded = decode(&hex("0179FF9C")).unwrap();
    assert!(decoded[0]["value"].is_i64());
}

#[test]
fn readings_keep_payload_order_and_reuse_channels() {
    let decoded = decode(&hex("05670110 0167FF38 050001")).unwrap();
    let summary: Vec<(u64, &str)> = decoded
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["channel"].as_u64().unwrap(), r["name"].as_str().unwrap()))
        .collect();
    assert_eq!(summary, [(5, "temperature"), (1, "temperature"), (5, "digital_in")]);
    assert_eq!(decoded[1]["value"], json!(-20.0));
}

#[test]
fn truncated_reading_of_every_type_is_an_error() {
    // A valid 3-byte reading first, so the offset is the failing reading's, not always 0.
    let prefix = hex("0A0001");
    for ty in &TYPES {
        let needed = data_len(ty);
        for left in 0..needed {
            let mut payload = prefix.clone();
            payload.extend([7, ty.id]);
            payload.extend(vec![0x01; left]);
            let err = decode(&payload).unwrap_err();
            assert_eq!(err.offset, 3, "{}", ty.name);
            assert_eq!(
                err.kind,
                CayenneErrorKind::Truncated {
                    channel: 7,
                    type_name: ty.name,
                    needed,
                    left
                },
                "{} with {left} data bytes",
                ty.name
            );
        }
    }
}

#[test]
fn truncation_messages() {
    // Two readings (7 bytes) precede the cut temperature.
    assert_eq!(
        message(&hex("016700F0026874 036701")),
        "byte 7: temperature on channel 3 needs 2 data bytes, only 1 left"
    );
    assert_eq!(
        message(&hex("0388")),
        "byte 0: gps on channel 3 needs 9 data bytes, none left"
    );
    assert_eq!(
        message(&hex("0200")),
        "byte 0: digital_in on channel 2 needs 1 data byte, none left"
    );
}

#[test]
fn payload_ending_after_a_channel_byte() {
    assert_eq!(kind(&hex("016700F001")), CayenneErrorKind::MissingType { channel: 1 });
    assert_eq!(
        message(&hex("016700F001")),
        "byte 4: channel 1 has no type byte, the payload ends there"
    );
}

#[test]
fn unknown_types() {
    for type_id in 0..=u8::MAX {
        if TYPES.iter().all(|t| t.id != type_id) {
            let err = decode(&[1, type_id, 0, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap_err();
            assert_eq!(
                err,
                CayenneError {
                    offset: 0,
                    kind: CayenneErrorKind::UnknownType { channel: 1, type_id }
                }
            );
        }
    }
    assert_eq!(
        message(&hex("016700F00199")),
        "byte 4: unknown Cayenne LPP type 0x99 (153) on channel 1"
    );
}

#[test]
fn reserved_channels() {
    assert_eq!(
        message(&hex("016700F0FF6700F0")),
        "reserved channel 255 at byte 4 (Cayenne LPP channels are 0-99)"
    );
    // The router checked the channel before anything else, so even a lone reserved byte says so.
    assert_eq!(kind(&hex("64")), CayenneErrorKind::ReservedChannel { channel: 100 });
    assert_eq!(kind(&hex("64FF")), CayenneErrorKind::ReservedChannel { channel: 100 });
    assert!(decode(&hex("63670001")).is_ok());
}

#[test]
fn empty_payload() {
    assert_eq!(
        decode(&[]).unwrap_err(),
        CayenneError {
            offset: 0,
            kind: CayenneErrorKind::Empty
        }
    );
    assert_eq!(message(&[]), "empty payload");
}

#[test]
fn is_a_std_error() {
    let err: Box<dyn std::error::Error + Send + Sync> = Box::new(decode(&[]).unwrap_err());
    assert_eq!(err.to_string(), "empty payload");
}

/// `raw / 10^decimals` written out with integer arithmetic, e.g. (-26576, 3) -> "-26.576", (240, 1) -> "24.0".
fn exact_decimal(raw: i64, decimals: u32) -> String {
    let div = 10i64.pow(decimals);
    let sign = if raw < 0 { "-" } else { "" };
    let fraction = format!("{:0width$}", raw.abs() % div, width = decimals as usize);
    let fraction = fraction.trim_end_matches('0');
    format!(
        "{sign}{}.{}",
        raw.abs() / div,
        if fraction.is_empty() { "0" } else { fraction }
    )
}

fn assert_clean(raw: i64, scale: Scale, decimals: u32) {
    let value = scaled(raw, scale);
    let expected = exact_decimal(raw * scale.mul, decimals);
    // Same double as parsing the exact decimal, and printed back as exactly that decimal.
    assert_eq!(
        value.as_f64(),
        Some(expected.parse::<f64>().unwrap()),
        "{raw} * {} / {}",
        scale.mul,
        scale.div
    );
    assert_eq!(
        serde_json::to_string(&value).unwrap(),
        expected,
        "{raw} * {} / {}",
        scale.mul,
        scale.div
    );
}

#[test]
fn every_16_bit_value_prints_clean() {
    for raw in i64::from(i16::MIN)..=i64::from(u16::MAX) {
        assert_clean(raw, per(10), 1);
        assert_clean(raw, per(100), 2);
        assert_clean(raw, per(1000), 3);
    }
    for raw in 0..=255 {
        assert_clean(raw, HALF, 1);
    }
}

#[test]
fn gps_and_32_bit_values_print_clean() {
    // 24-bit range in steps that still hit both ends and many digit patterns.
    for raw in (-(1i64 << 23)..(1i64 << 23))
        .step_by(997)
        .chain([-(1i64 << 23), (1i64 << 23) - 1, -1, 1])
    {
        assert_clean(raw, per(10_000), 4);
        assert_clean(raw, per(100), 2);
    }
    for raw in (0..=i64::from(u32::MAX)).step_by(65_521).chain([i64::from(u32::MAX)]) {
        assert_clean(raw, per(1000), 3);
    }
}
