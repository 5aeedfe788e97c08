use super::*;
use serde_json::json;

fn helium(script: &str) -> JsDecoder {
    JsDecoder::compile(JsShape::Helium, script).unwrap()
}

fn run(d: &JsDecoder, bytes: &[u8], port: u8) -> Result<serde_json::Value, JsError> {
    d.decode(
        bytes,
        port,
        &json!({"fcnt": 7, "dev_eui": "0102030405060708"}),
        "2026-12-04T18:00:00Z",
    )
}

#[test]
fn a_helium_console_decoder_runs_unchanged() {
    // The shape of the public console-decoders collection: non-strict, var, bit arithmetic.
    let d = helium(
        r#"
        function Decoder(bytes, port, uplink_info) {
          var decoded = {};
          decoded.temperature = ((bytes[0] << 8) | bytes[1]) / 100;
          decoded.port = port;
          decoded.fcnt = uplink_info.fcnt;
          return decoded;
        }"#,
    );
    assert_eq!(
        run(&d, &[0x09, 0xc4], 2).unwrap(),
        json!({"temperature": 25, "port": 2, "fcnt": 7})
    );
}

#[test]
fn a_decode_uplink_codec_runs_unchanged() {
    let d = JsDecoder::compile(
        JsShape::DecodeUplink,
        r#"
        function decodeUplink(input) {
          return { data: { level: input.bytes[0], port: input.fPort, at: input.recvTime }, warnings: ["low"] };
        }"#,
    )
    .unwrap();
    assert_eq!(
        run(&d, &[42], 5).unwrap(),
        json!({"level": 42, "port": 5, "at": "2026-12-04T18:00:00Z"})
    );
}

#[test]
fn decode_uplink_errors_fail_the_decode_with_their_text() {
    let d = JsDecoder::compile(
        JsShape::DecodeUplink,
        r#"function decodeUplink(input) { return { errors: ["unknown frame type 9"] }; }"#,
    )
    .unwrap();
    assert_eq!(
        run(&d, &[9], 1).unwrap_err().0,
        "decodeUplink reported: unknown frame type 9"
    );
}

#[test]
fn a_script_without_its_entry_point_or_with_a_syntax_error_is_refused_with_the_line() {
    let e = JsDecoder::compile(JsShape::Helium, "function decodeUplink(input) { return {}; }").unwrap_err();
    assert_eq!(e.0, "the script defines no function Decoder(bytes, port, uplink_info)");
    let e = JsDecoder::compile(JsShape::Helium, "function Decoder(bytes) {\n  return {\n}}}").unwrap_err();
    assert!(
        e.0.starts_with("the script does not run: line 3: SyntaxError"),
        "{}",
        e.0
    );
}

#[test]
fn a_throw_names_the_line_and_the_message() {
    let d = helium(
        "function Decoder(bytes, port) {\n  if (port == 9) {\n    throw new Error('bad port');\n  }\n  return 1;\n}",
    );
    assert_eq!(
        run(&d, &[1], 9).unwrap_err().0,
        "Decoder failed: line 3: Error: bad port"
    );
    // The decoder is still usable after a failure.
    assert_eq!(run(&d, &[1], 1).unwrap(), json!(1));
    let d = helium("function Decoder(bytes) { return bytes.nothing.here; }");
    let e = run(&d, &[1], 1).unwrap_err().0;
    assert!(e.starts_with("Decoder failed: line 1: TypeError"), "{e}");
    let d = helium("function Decoder() { throw 'plain string'; }");
    assert_eq!(run(&d, &[1], 1).unwrap_err().0, "Decoder failed: it threw plain string");
}

#[test]
fn an_endless_loop_is_stopped_within_the_budget_and_the_decoder_recovers() {
    let d = helium("function Decoder(bytes) { if (bytes[0] == 1) { while (true) {} } return bytes[0]; }");
    let started = Instant::now();
    let e = run(&d, &[1], 1).unwrap_err().0;
    assert!(started.elapsed() < CALL_BUDGET * 5, "took {:?}", started.elapsed());
    assert_eq!(e, "stopped after 100 ms (the limit): an endless loop?");
    assert_eq!(run(&d, &[2], 1).unwrap(), json!(2));
}

#[test]
fn a_runaway_allocation_hits_the_memory_cap_and_the_decoder_recovers() {
    let d = helium(
        "function Decoder(bytes) { if (bytes[0] == 1) { var a = []; for (;;) { a.push(new Array(100000).fill(1)); } } return 'ok'; }",
    );
    let e = run(&d, &[1], 1).unwrap_err().0;
    assert!(e.contains("out of memory") || e.contains("stopped after"), "{e}");
    assert_eq!(run(&d, &[2], 1).unwrap(), json!("ok"));
}

#[test]
fn huge_and_non_json_results_are_errors() {
    let d = helium("function Decoder() { return 'x'.repeat(200000); }");
    assert_eq!(
        run(&d, &[1], 1).unwrap_err().0,
        "the result is 195 KB as JSON; at most 64 KB is allowed"
    );
    let d = helium("function Decoder() { return undefined; }");
    assert_eq!(
        run(&d, &[1], 1).unwrap_err().0,
        "Decoder returned undefined or a function, not a JSON value"
    );
    let d = helium("function Decoder() { return { n: 10n }; }");
    let e = run(&d, &[1], 1).unwrap_err().0;
    assert!(e.starts_with("the result is not JSON: "), "{e}");
}

#[test]
fn scripts_have_no_file_system_or_network() {
    let d = helium(
        "function Decoder() { return [typeof require, typeof std, typeof os, typeof fetch, typeof XMLHttpRequest]; }",
    );
    assert_eq!(
        run(&d, &[1], 1).unwrap(),
        json!(["undefined", "undefined", "undefined", "undefined", "undefined"])
    );
}
