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
        1_796_407_200_000, // 2026-12-04T18:00:00Z
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
        json!({"level": 42, "port": 5, "at": "2026-12-04T18:00:00.000Z"})
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
fn a_decode_uplink_result_must_be_an_object_with_data_which_may_be_null() {
    let with = |body: &str| {
        let d = JsDecoder::compile(
            JsShape::DecodeUplink,
            &format!("function decodeUplink(input) {{ return {body}; }}"),
        )
        .unwrap();
        run(&d, &[1], 1)
    };
    assert_eq!(with("{ data: null }").unwrap(), serde_json::Value::Null);
    assert_eq!(with("{ data: [1, 2], errors: [] }").unwrap(), json!([1, 2]));
    assert_eq!(with("{ warnings: [] }").unwrap_err().0, "decodeUplink returned no data");
    // `data` left undefined is no data, not null (a member left undefined inside it is null).
    assert_eq!(
        with("{ data: undefined }").unwrap_err().0,
        "decodeUplink returned no data"
    );
    assert_eq!(with("{ data: { a: undefined } }").unwrap(), json!({"a": null}));
    // Falsy errors report nothing.
    assert_eq!(with("{ data: 1, errors: '' }").unwrap(), json!(1));
    assert_eq!(with("{ data: 1, errors: 0 }").unwrap(), json!(1));
    assert_eq!(with("{ data: 1, errors: false }").unwrap(), json!(1));
    for not_object in ["[1, 2]", "42", "\"data\""] {
        assert_eq!(
            with(not_object).unwrap_err().0,
            "decodeUplink must return an object {data, warnings, errors}",
            "{not_object}"
        );
    }
    // What the bridge publishes: the script's JSON as it made it.
    let d = helium("function Decoder(bytes) { return { t: 21.5, list: [bytes[0]] }; }");
    let (raw, _) = d.run_text(&[7], 1, "", 1_796_407_200_000);
    assert_eq!(raw.unwrap().get(), r#"{"t":21.5,"list":[7]}"#);
}

#[test]
fn a_script_without_its_entry_point_or_with_a_syntax_error_is_refused_with_the_line() {
    let e = JsDecoder::compile(JsShape::Helium, "function decode(input) { return {}; }").unwrap_err();
    assert_eq!(
        e.0,
        "the script defines no function Decoder(bytes, port, uplink_info) (nor decodeUplink(input))"
    );
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
    // Anything else that is thrown says what it holds, not only its type.
    for (thrown, said) in [
        ("{ code: 7, why: 'short' }", r#"{"code":7,"why":"short"}"#),
        ("7", "7"),
        ("undefined", "undefined"),
        ("Symbol('s')", "a symbol"),
        ("{ s: 'x'.repeat(500) }", &format!(r#"{{"s":"{}…"#, "x".repeat(194))),
    ] {
        let d = helium(&format!("function Decoder() {{ throw {thrown}; }}"));
        assert_eq!(
            run(&d, &[1], 1).unwrap_err().0,
            format!("Decoder failed: it threw {said}")
        );
    }
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
    // (The Console's examples return nothing for ports they do not know.)
    let d = helium("function Decoder(bytes, port) { if (port == 2) return { a: 1 }; }");
    assert_eq!(
        run(&d, &[1], 3).unwrap_err().0,
        "Decoder returned nothing (undefined) for this payload on port 3"
    );
    let d = helium("function Decoder() { return function () {}; }");
    assert_eq!(
        run(&d, &[1], 1).unwrap_err().0,
        "Decoder returned a function, not a JSON value"
    );
    let d = helium("function Decoder() { return Symbol('s'); }");
    assert_eq!(
        run(&d, &[1], 1).unwrap_err().0,
        "Decoder returned a symbol, not a JSON value"
    );
    let d = JsDecoder::compile(
        JsShape::DecodeUplink,
        "async function decodeUplink(input) { return { data: 1 }; }",
    )
    .unwrap();
    assert_eq!(
        run(&d, &[1], 1).unwrap_err().0,
        "decodeUplink returned a Promise: a decoder returns its result itself (no async function, no await)"
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

// Real-world scripts, written the way people write them (our own, in the collections' style).

#[test]
fn sloppy_mode_undeclared_assignments_and_legacy_octal_literals() {
    let d = helium("function Decoder(bytes) { total = bytes[0] + 010; return total; }");
    assert_eq!(run(&d, &[2], 1).unwrap(), json!(10));
}

#[test]
fn globals_a_call_creates_do_not_reach_the_next_call() {
    let d = helium(
        "var calls = 0;\nfunction Decoder(bytes) { seen = (typeof seen === 'undefined' ? 0 : seen) + 1; calls++; return seen; }",
    );
    assert_eq!(run(&d, &[1], 1).unwrap(), json!(1));
    assert_eq!(run(&d, &[1], 1).unwrap(), json!(1));
    // A failing call is cleaned up too.
    let d = helium("function Decoder(bytes) { if (typeof leftover !== 'undefined') return 'leaked'; leftover = 1; throw new Error('x'); }");
    assert!(run(&d, &[1], 1).is_err());
    assert_eq!(run(&d, &[1], 1).unwrap_err().0, "Decoder failed: line 1: Error: x");
    // Every way a call assigns a global.
    let d = helium(
        "function Decoder(bytes) { var found = [typeof a, typeof b, typeof c, typeof d]; a = 1; this.b = 2; \
         globalThis.c = 3; (0, eval)('var d = 4'); return found; }",
    );
    let fresh = json!(["undefined", "undefined", "undefined", "undefined"]);
    assert_eq!(run(&d, &[1], 1).unwrap(), fresh);
    assert_eq!(run(&d, &[1], 1).unwrap(), fresh);
    // With enumerable properties added to Object.prototype, which the reset also comes across.
    let d = helium(
        "Object.prototype.extra = 1;\nfunction Decoder(bytes) { var before = typeof leak; leak = 1; return [before, ({}).extra]; }",
    );
    assert_eq!(run(&d, &[1], 1).unwrap(), json!(["undefined", 1]));
    assert_eq!(run(&d, &[1], 1).unwrap(), json!(["undefined", 1]));
}

#[test]
fn bytes_is_a_plain_mutable_array_and_scripts_may_extend_object_prototype() {
    let d = helium(
        r#"
        Object.prototype.total = function () { var t = 0; for (var i = 0; i < this.length; i++) t += this[i]; return t; };
        function Decoder(bytes, port) {
          bytes.push(4);
          bytes[0] = 10;
          return { array: Array.isArray(bytes), typed: bytes instanceof Uint8Array, frozen: Object.isFrozen(bytes),
                   total: bytes.total(), length: bytes.length };
        }"#,
    );
    assert_eq!(
        run(&d, &[1, 2, 3], 1).unwrap(),
        json!({"array": true, "typed": false, "frozen": false, "total": 19, "length": 4})
    );
}

#[test]
fn console_log_is_captured() {
    let d =
        helium("function Decoder(bytes) { console.log('first byte', bytes[0], {a: 1}); console.warn('w'); return 1; }");
    let (r, said) = d.run(&[7], 1, &json!({}), 0);
    assert_eq!(r.unwrap(), json!(1));
    assert_eq!(
        said.console,
        vec!["first byte 7 {\"a\":1}".to_string(), "w".to_string()]
    );
    let (_, said) = d.run(&[8], 1, &json!({}), 0);
    assert_eq!(
        said.console,
        vec!["first byte 8 {\"a\":1}".to_string(), "w".to_string()]
    );
}

#[test]
fn dates_run_in_utc_whatever_the_machines_time_zone() {
    // nextest runs each test in its own process, so this reaches only this test's QuickJS.
    std::env::set_var("TZ", "Asia/Kolkata");
    let d = helium(
        "function Decoder() { var d = new Date(2020, 0, 1, 0, 30); return [d.getHours(), d.getMinutes(), d.getTimezoneOffset(), d.getTime(), new Date(0).getHours()]; }",
    );
    assert_eq!(run(&d, &[1], 1).unwrap(), json!([0, 30, 0, 1577838600000i64, 0]));
}

#[test]
fn es2020_syntax() {
    let d = JsDecoder::compile(
        JsShape::DecodeUplink,
        r#"
        const kinds = new Set(['a', 'b']);
        const decodeUplink = ({ bytes, fPort }) => {
          let [first, ...rest] = bytes;
          const label = `port ${fPort}`;
          return { data: { first, rest: [...rest, 0], label, has: kinds.has('a') && [1, 2].includes(2),
                           opt: input?.missing ?? 'none' } };
        };
        var input;"#,
    )
    .unwrap();
    assert_eq!(
        run(&d, &[5, 6], 3).unwrap(),
        json!({"first": 5, "rest": [6, 0], "label": "port 3", "has": true, "opt": "none"})
    );
}

#[test]
fn a_console_decoder_runs_where_decode_uplink_was_expected() {
    let d = JsDecoder::compile(
        JsShape::DecodeUplink,
        "function Decoder(bytes, port) { return { b: bytes[0], port: port }; }",
    )
    .unwrap();
    assert_eq!(d.shape(), JsShape::Helium);
    assert_eq!(run(&d, &[9], 4).unwrap(), json!({"b": 9, "port": 4}));
}

#[test]
fn hostile_scripts_fail_within_150_ms_and_the_next_uplink_decodes() {
    let cases = [
        ("while (true) {}", "stopped after 100 ms"),
        (
            "var a = new Array(100 * 1024 * 1024 / 8).fill(1.5); return a.length;",
            "out of memory",
        ),
        ("throw new Error('no');", "Error: no"),
        ("return function () {};", "not a JSON value"),
        ("return require('fs');", "ReferenceError"),
        ("return process.env;", "ReferenceError"),
    ];
    for (body, reason) in cases {
        let d = helium(&format!(
            "function Decoder(bytes) {{ if (bytes[0] == 1) {{ {body} }} return 'next'; }}"
        ));
        // The interrupt is on the wall clock, which a loaded machine stretches: the fastest
        // of three tries must be within 150 ms (a broken interrupt fails all three).
        let mut took = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            let e = run(&d, &[1], 1).unwrap_err().0;
            took.push(started.elapsed());
            assert!(e.contains(reason), "{body}: {e}");
            assert_eq!(run(&d, &[2], 1).unwrap(), json!("next"), "{body}");
            if took.last().unwrap() < &Duration::from_millis(150) {
                break;
            }
        }
        assert!(
            took.iter().min().unwrap() < &Duration::from_millis(150),
            "{body} took {took:?}"
        );
    }
}

#[test]
fn encode_downlink_turns_payload_json_into_bytes() {
    let d = JsDecoder::compile(
        JsShape::DecodeUplink,
        r#"
        function decodeUplink(input) { return { data: {} }; }
        function encodeDownlink(input) {
          if (input.data.level > 100) return { errors: ["level must be at most 100"] };
          return { bytes: [input.data.on ? 1 : 0, input.data.level], fPort: input.fPort || 5 };
        }"#,
    )
    .unwrap();
    assert_eq!(
        d.encode(&json!({"on": true, "level": 42}), None).unwrap(),
        (vec![1, 42], Some(5))
    );
    assert_eq!(
        d.encode(&json!({"on": false, "level": 1}), Some(9)).unwrap(),
        (vec![0, 1], Some(9))
    );
    assert_eq!(
        d.encode(&json!({"level": 200}), None).unwrap_err().0,
        "encodeDownlink reported: level must be at most 100"
    );
    let d = JsDecoder::compile(
        JsShape::DecodeUplink,
        "function decodeUplink() {}\nfunction encodeDownlink() { return { bytes: [1, 300] }; }",
    )
    .unwrap();
    assert_eq!(
        d.encode(&json!({}), None).unwrap_err().0,
        "encodeDownlink must return bytes: an array of integers from 0 to 255"
    );
    let d = helium("function Decoder() { return 1; }");
    assert_eq!(
        d.encode(&json!({}), None).unwrap_err().0,
        "the decoder defines no encodeDownlink(input)"
    );
}

#[test]
fn uplink_info_is_built_only_for_a_decoder_that_may_read_it() {
    let wants = |script: &str| helium(script).wants_uplink_info();
    // Declared (as Console's template does) and never read: not built for each uplink.
    assert!(!wants(
        "function Decoder(bytes, port, uplink_info) { return { port: port }; }"
    ));
    assert!(!wants("function Decoder(bytes, port) { return {}; }"));
    assert!(!wants(
        "var Decoder = (b, p, info) => ({ n: b.length, information: 1 });"
    ));
    // Read, or maybe read: built.
    assert!(wants(
        "function Decoder(bytes, port, uplink_info) { return { f: uplink_info.fcnt }; }"
    ));
    assert!(wants("var Decoder = (b, p, info) => ({ f: info.fcnt });"));
    assert!(wants(
        "function Decoder(bytes, port, u) { return { f: arguments[2].fcnt }; }"
    ));
    assert!(wants("function Decoder(bytes, port, u) { return eval('u.fcnt'); }"));
    assert!(wants("function Decoder(bytes, port, { fcnt }) { return { fcnt }; }"));
}

/// A string cut in the middle of a UTF-16 pair (a lone surrogate) is valid JavaScript but no
/// UTF-8 text: it becomes U+FFFD, and the rest of the result stays.
#[test]
fn a_lone_surrogate_becomes_a_replacement_character_not_a_lost_result() {
    let expected = json!({"s": "a\u{fffd}b", "pair": "\u{1f600}", "o": 1, "k\u{fffd}": true, "esc": "\\ud800"});
    let body = r#"{ s: "a" + String.fromCharCode(0xd800) + "b", pair: "\ud83d\ude00", o: 1,
        ["k" + String.fromCharCode(0xdc00)]: true, esc: "\\ud800" }"#;
    let d = helium(&format!("function Decoder() {{ return {body}; }}"));
    assert_eq!(run(&d, &[1], 1).unwrap(), expected);
    let d = JsDecoder::compile(
        JsShape::DecodeUplink,
        &format!("function decodeUplink() {{ return {{ data: {body} }}; }}"),
    )
    .unwrap();
    assert_eq!(run(&d, &[1], 1).unwrap(), expected);
    // (A Date is not a plain value: the whole result takes JSON.stringify's way.)
    let d = helium("function Decoder() { return { at: new Date(0), s: String.fromCharCode(0xd801) }; }");
    assert_eq!(
        run(&d, &[1], 1).unwrap(),
        json!({"at": "1970-01-01T00:00:00.000Z", "s": "\u{fffd}"})
    );
}

/// ChirpStack and The Things Stack write a `decodeUplink` member left undefined as null (and The
/// Things Stack so for a `Decoder` it runs in a codec's place); a Console `Decoder`'s result is
/// JSON.stringify's, which leaves it out.
#[test]
fn undefined_members_are_null_for_decode_uplink_and_left_out_for_a_console_decoder() {
    let body = "{ a: undefined, b: 1, list: [undefined, 2], deep: { c: undefined } }";
    let d = JsDecoder::compile(
        JsShape::DecodeUplink,
        &format!("function decodeUplink() {{ return {{ data: {body} }}; }}"),
    )
    .unwrap();
    assert_eq!(
        run(&d, &[1], 1).unwrap(),
        json!({"a": null, "b": 1, "list": [null, 2], "deep": {"c": null}})
    );
    // The same where JSON.stringify writes the result (a Date in it).
    let d = JsDecoder::compile(
        JsShape::DecodeUplink,
        "function decodeUplink() { return { data: { a: undefined, at: new Date(0) } }; }",
    )
    .unwrap();
    assert_eq!(
        run(&d, &[1], 1).unwrap(),
        json!({"a": null, "at": "1970-01-01T00:00:00.000Z"})
    );
    let console = format!("function Decoder() {{ return {body}; }}");
    // A Console Decoder pasted as a decodeUplink codec (it runs as the fallback) writes them as
    // a codec does: its user reads the result as a ChirpStack or TTN user.
    assert_eq!(
        run(&JsDecoder::compile(JsShape::DecodeUplink, &console).unwrap(), &[1], 1).unwrap(),
        json!({"a": null, "b": 1, "list": [null, 2], "deep": {"c": null}})
    );
    let d = helium(&console);
    assert_eq!(
        run(&d, &[1], 1).unwrap(),
        json!({"b": 1, "list": [null, 2], "deep": {}})
    );
}

/// `input.recvTime` is a Date, as ChirpStack and The Things Stack pass it, and dates print as
/// Node prints them for en-US in UTC.
#[test]
fn recv_time_is_a_date_and_dates_print_as_node_does_in_utc() {
    std::env::set_var("TZ", "America/New_York");
    let d = JsDecoder::compile(
        JsShape::DecodeUplink,
        r#"function decodeUplink(input) {
          var t = input.recvTime, pm = new Date(Date.UTC(2024, 0, 2, 15, 4, 5));
          return { data: { date: t instanceof Date, ms: t.getTime(), text: String(t), day: t.toDateString(),
            time: t.toTimeString(), local: t.toLocaleString(), localDate: t.toLocaleDateString(),
            pm: pm.toLocaleTimeString(), midnight: new Date(0).toLocaleTimeString("de-DE"),
            invalid: String(new Date(NaN)), called: typeof Date(),
            bc: new Date(Date.UTC(-1, 0, 1)).toDateString() } };
        }"#,
    )
    .unwrap();
    assert_eq!(
        run(&d, &[1], 1).unwrap(),
        json!({
            "date": true, "ms": 1_796_407_200_000i64,
            "text": "Fri Dec 04 2026 18:00:00 GMT+0000 (Coordinated Universal Time)",
            "day": "Fri Dec 04 2026", "time": "18:00:00 GMT+0000 (Coordinated Universal Time)",
            "local": "12/4/2026, 6:00:00 PM", "localDate": "12/4/2026", "pm": "3:04:05 PM",
            "midnight": "12:00:00 AM", "invalid": "Invalid Date", "called": "string",
            "bc": "Fri Jan 01 -0001",
        })
    );
}

/// `decodeUplink`'s warnings reach the test output (beside console.log), and its `errors` may be
/// one string, as some codecs write it.
#[test]
fn decode_uplink_warnings_are_shown_and_a_single_error_string_counts() {
    let d = JsDecoder::compile(
        JsShape::DecodeUplink,
        r#"function decodeUplink(input) {
          if (input.fPort == 9) return { errors: "unknown port 9" };
          if (input.fPort == 8) return { warnings: ["battery low"] };
          console.log("port", input.fPort);
          return { data: { v: 1 }, warnings: ["battery low", "clock unset"] };
        }"#,
    )
    .unwrap();
    let (r, said) = d.run(&[1], 1, &json!({}), 0);
    assert_eq!(r.unwrap(), json!({"v": 1}));
    assert_eq!(said.console, ["port 1"]);
    assert_eq!(said.warnings, ["battery low", "clock unset"]);
    assert_eq!(run(&d, &[1], 9).unwrap_err().0, "decodeUplink reported: unknown port 9");
    let (r, said) = d.run(&[1], 8, &json!({}), 0);
    assert_eq!(
        r.unwrap_err().0,
        "decodeUplink returned no data, only warnings: battery low"
    );
    assert_eq!(
        said,
        Said {
            console: vec![],
            warnings: vec!["battery low".into()]
        }
    );
}

/// Numbers print as Node prints them for en-US too (there is no Intl to ask).
#[test]
fn numbers_to_locale_string_as_node_does_for_en_us() {
    let d = helium(
        "function Decoder() { return [1234567.891, 0.5, -1234.5678, 1.0005, 999.9996, 1e-7, 2.5e22, NaN, -Infinity, 12]\
         .map(function (n) { return n.toLocaleString('de-DE'); }); }",
    );
    assert_eq!(
        run(&d, &[1], 1).unwrap(),
        json!([
            "1,234,567.891",
            "0.5",
            "-1,234.568",
            "1.001",
            "1,000",
            "0",
            "25,000,000,000,000,000,000,000",
            "NaN",
            "-∞",
            "12"
        ])
    );
}

/// What a script says goes out bounded and as text: an error message is cut (it goes into
/// `decoded.error`, within AWS's 128 KB), a console line with half a UTF-16 pair is kept.
#[test]
fn errors_are_cut_short_and_console_lines_are_always_text() {
    let d = helium("function Decoder() { throw 'x'.repeat(200000); }");
    let e = run(&d, &[1], 1).unwrap_err().0;
    assert!(
        e.starts_with("Decoder failed: it threw xxx") && e.ends_with("x…"),
        "{e}"
    );
    assert_eq!(e.chars().count(), "Decoder failed: it threw ".len() + 1001);
    let d = helium("function Decoder() { throw new Error('y'.repeat(200000)); }");
    let e = run(&d, &[1], 1).unwrap_err().0;
    assert!(
        e.starts_with("Decoder failed: line 1: Error: yyy") && e.chars().count() < 1100,
        "{e}"
    );
    // Half a UTF-16 pair in what a script throws is no reason to lose the rest of the message.
    let d = helium("function Decoder(bytes, port) { if (port == 2) throw 'x' + String.fromCharCode(0xdc00);\n  throw new Error('bad ' + String.fromCharCode(0xd800)); }");
    assert_eq!(
        run(&d, &[1], 1).unwrap_err().0,
        "Decoder failed: line 2: Error: bad \u{fffd}"
    );
    assert_eq!(run(&d, &[1], 2).unwrap_err().0, "Decoder failed: it threw x\u{fffd}");
    let d = helium("function Decoder() { console.log('half ' + String.fromCharCode(0xd800), new Date(0)); return 1; }");
    let (r, said) = d.run(&[1], 1, &json!({}), 0);
    assert_eq!(r.unwrap(), json!(1));
    assert_eq!(
        said.console,
        ["half \u{fffd} Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)"]
    );
}

/// `data` left undefined is no data however the result is made (frozen, or behind a getter),
/// and an `await`'s continuation runs within its call, not never (nor on the next uplink).
#[test]
fn odd_results_and_awaits_are_settled_within_their_call() {
    let with = |body: &str| {
        JsDecoder::compile(
            JsShape::DecodeUplink,
            &format!("function decodeUplink(input) {{ {body} }}"),
        )
        .unwrap()
    };
    let d = with("return Object.freeze({ data: undefined });");
    assert_eq!(run(&d, &[1], 1).unwrap_err().0, "decodeUplink returned no data");
    let d = with("return { get data() { throw new Error('no getter'); } };");
    let e = run(&d, &[1], 1).unwrap_err().0;
    assert!(e.starts_with("the result is not JSON: line 1: Error: no getter"), "{e}");
    assert_eq!(run(&with("return { data: 2 };"), &[1], 1).unwrap(), json!(2));
    let d = with("Promise.resolve().then(function () { console.log('later', input.fPort); }); return { data: 1 };");
    for port in [1, 2] {
        let (r, said) = d.run(&[1], port, &json!({}), 0);
        assert_eq!(r.unwrap(), json!(1));
        assert_eq!(said.console, [format!("later {port}")]);
    }
    // A class extending Date makes its own instances.
    let d = helium("class Stamp extends Date {}\nfunction Decoder() { var s = new Stamp(0); return [s instanceof Stamp, s.getTime()]; }");
    assert_eq!(run(&d, &[1], 1).unwrap(), json!([true, 0]));
}
