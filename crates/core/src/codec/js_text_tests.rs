//! TextDecoder and TextEncoder in decoders, as browsers have them (the WHATWG Encoding standard)
//! and Node does but for its windows-1252, which returns 0x80–0x9F as they are (nodejs/node#56542).

use super::*;
use serde_json::json;

use super::decode_once as run;

#[test]
fn text_decoder_reads_utf8_text_from_bytes_as_a_plain_array_or_a_typed_array() {
    let script = r#"
        function decodeUplink(input) {
          var d = new TextDecoder();
          return { data: {
            plain: d.decode(input.bytes),
            typed: d.decode(new Uint8Array(input.bytes).subarray(1)),
            buffer: d.decode(new Uint8Array(input.bytes).buffer),
            encoding: d.encoding, fatal: d.fatal, ignoreBOM: d.ignoreBOM,
            empty: d.decode(),
          } };
        }"#;
    // "hé€😀" with a byte order mark first, which is not part of the text.
    let mut bytes = vec![0xef, 0xbb, 0xbf, b'h', 0xc3, 0xa9, 0xe2, 0x82, 0xac];
    bytes.extend([0xf0, 0x9f, 0x98, 0x80]);
    assert_eq!(
        run(script, &bytes).unwrap(),
        json!({"plain": "hé€😀", "typed": "\u{fffd}\u{fffd}h\u{e9}€😀", "buffer": "hé€😀",
               "encoding": "utf-8", "fatal": false, "ignoreBOM": false, "empty": ""})
    );
}

#[test]
fn malformed_utf8_is_replaced_one_sequence_at_a_time_or_refused_when_fatal() {
    let script = r#"
        function decodeUplink(input) {
          var text = new TextDecoder("utf-8").decode(input.bytes);
          var kept = new TextDecoder("utf-8", { ignoreBOM: true }).decode([0xef, 0xbb, 0xbf, 0x41]);
          var refused;
          try { new TextDecoder("utf-8", { fatal: true }).decode(input.bytes); } catch (e) { refused = e.name + ": " + e.message; }
          return { data: { text: text, kept: kept.length, refused: refused } };
        }"#;
    // A truncated 3-byte sequence, a surrogate's encoding, a byte never in UTF-8, a lone tail.
    let bytes = [0xe2, 0x82, b'a', 0xed, 0xa0, 0x80, b'b', 0xff, 0x80, 0xc3];
    assert_eq!(
        run(script, &bytes).unwrap(),
        json!({"text": "\u{fffd}a\u{fffd}\u{fffd}\u{fffd}b\u{fffd}\u{fffd}\u{fffd}", "kept": 2,
               "refused": "TypeError: The encoded data was not valid for encoding utf-8"})
    );
}

#[test]
fn text_decoder_reads_utf16_and_windows_1252_by_their_labels() {
    let script = r#"
        function decodeUplink(input) {
          return { data: {
            le: new TextDecoder("utf-16le").decode([0xff, 0xfe, 0x41, 0x00, 0x3d, 0xd8, 0x00, 0xde]),
            be: new TextDecoder("UTF-16BE").decode([0x00, 0x41, 0xd8, 0x00]),
            odd: new TextDecoder("utf-16").decode([0x41, 0x00, 0x42]),
            latin1: new TextDecoder("latin1").decode([0x80, 0x41, 0xe9, 0x9f]),
            names: ["ascii", " utf8\n", "unicode", "ISO-8859-1"].map(function (l) { return new TextDecoder(l).encoding; }),
            refused: ["__proto__", "constructor", "\u00a0utf-8"].filter(function (l) {
              try { new TextDecoder(l); return false; } catch (e) { return e instanceof RangeError; }
            }).length,
          } };
        }"#;
    assert_eq!(
        run(script, &[]).unwrap(),
        json!({"le": "A😀", "be": "A\u{fffd}", "odd": "A\u{fffd}", "latin1": "€AéŸ",
               "names": ["windows-1252", "utf-8", "utf-16le", "windows-1252"], "refused": 3})
    );
}

#[test]
fn text_encoder_writes_utf8_and_bad_text_decoder_use_fails_the_decode_with_the_reason() {
    let script = r#"
        function decodeUplink(input) {
          var e = new TextEncoder();
          var dest = new Uint8Array(4);
          var into = e.encodeInto("a€b", dest);
          return { data: {
            bytes: Array.from(e.encode("hé😀\ud800")), encoding: e.encoding,
            into: into, dest: Array.from(dest),
          } };
        }"#;
    assert_eq!(
        run(script, &[]).unwrap(),
        json!({"bytes": [0x68, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80, 0xef, 0xbf, 0xbd], "encoding": "utf-8",
               "into": {"read": 2, "written": 4}, "dest": [0x61, 0xe2, 0x82, 0xac]})
    );
    for (call, reason) in [
        ("new TextDecoder('ebcdic')", r#"RangeError: The "ebcdic" encoding is not supported"#),
        (
            "new TextDecoder().decode('text')",
            "TypeError: TextDecoder.decode takes an ArrayBuffer, a typed array, a DataView or an array of bytes, not string",
        ),
        (
            "new TextDecoder('utf-8', true)",
            "TypeError: TextDecoder: options must be an object, not boolean",
        ),
        (
            "new TextDecoder().decode(input.bytes, { stream: true })",
            "TypeError: TextDecoder: streaming (stream: true) is not supported; decode the whole payload at once",
        ),
    ] {
        let script = format!("function decodeUplink(input) {{\n  return {{ data: {call} }};\n}}");
        let error = run(&script, &[1]).unwrap_err().0;
        assert!(error.contains(reason), "{call}: {error}");
        assert!(error.contains("line 2"), "{call}: {error}");
    }
}

#[test]
fn text_decoder_and_encoder_outlast_the_reset_between_uplinks() {
    let d = JsDecoder::compile(
        JsShape::DecodeUplink,
        "function decodeUplink(input) { return { data: new TextDecoder().decode(input.bytes) }; }",
    )
    .unwrap();
    for text in ["first", "second"] {
        let out = d.decode(text.as_bytes(), 1, &json!({}), 0).unwrap();
        assert_eq!(out, json!(text));
    }
}
