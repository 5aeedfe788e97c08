//! The `Buffer` decoders get: Node's API, as ChirpStack gives it (the `buffer` package).
//! The expected values are what Node 20 gives for the same scripts; errors are worded as the
//! package words them (so are ChirpStack's), and it has no `base64url`, as ChirpStack has not.

use super::*;
use serde_json::json;

use super::decode_once as run;

fn data(body: &str, bytes: &[u8]) -> serde_json::Value {
    let script = format!(
        "function decodeUplink(input) {{\n  var b = Buffer.from(input.bytes);\n  return {{ data: {body} }};\n}}"
    );
    run(&script, bytes).unwrap_or_else(|e| panic!("{body}: {e}"))
}

#[test]
fn the_buffer_reads_and_writes_numbers_hex_base64_and_text() {
    let d = JsDecoder::compile(
        JsShape::DecodeUplink,
        r#"
        function decodeUplink(input) {
          const b = Buffer.from(input.bytes);
          return { data: {
            u16: b.readUInt16BE(0), i16le: b.readInt16LE(0), u8: b.readUint8(2), f: Buffer.from('0000c03f', 'hex').readFloatLE(0),
            hex: b.toString('hex'), b64: b.toString('base64'), back: Array.from(Buffer.from('AQID/w==', 'base64')),
            text: Buffer.from('héllo').toString(), isBuffer: Buffer.isBuffer(b.slice(1)),
          } };
        }"#,
    )
    .unwrap();
    assert_eq!(
        d.decode(&[0xff, 0xfe, 3], 1, &json!({}), 0).unwrap(),
        json!({"u16": 65534, "i16le": -257, "u8": 3, "f": 1.5, "hex": "fffe03", "b64": "//4D",
               "back": [1, 2, 3, 255], "text": "héllo", "isBuffer": true})
    );
}

#[test]
fn the_buffer_takes_array_buffers_and_reads_any_width() {
    assert_eq!(
        data(
            "{ ab: Buffer.from(new Uint8Array(input.bytes).buffer).readUInt16BE(0), \
               part: Array.from(Buffer.from(new Uint8Array(input.bytes).buffer, 1, 2)), \
               u24: b.readUIntBE(0, 3), i24: b.readIntLE(1, 3), u64: b.readBigUInt64BE(0).toString(), \
               i8: b.readInt8(3) }",
            &[1, 2, 3, 0xff, 0, 0, 0, 9],
        ),
        json!({"ab": 258, "part": [2, 3], "u24": 66051, "i24": -64766, "u64": "72624937742893065", "i8": -1})
    );
}

#[test]
fn the_buffer_decodes_text_as_node_does() {
    assert_eq!(
        data(
            "{ utf8: b.toString(), utf8Part: b.toString('utf8', 0, 2), latin1: b.toString('latin1'), \
               ascii: b.toString('ascii'), utf16: Buffer.from([0x41, 0, 0x42, 0]).toString('utf16le'), \
               fromUtf16: Array.from(Buffer.from('A', 'ucs2')), \
               upperHex: Array.from(Buffer.from('0A0b', 'HEX')), bytes: Buffer.byteLength('é€') }",
            &[0xc3, 0xa9, 0x41, 0x42, 0xff],
        ),
        json!({"utf8": "éAB\u{fffd}", "utf8Part": "é", "latin1": "Ã©ABÿ", "ascii": "C)AB\u{7f}",
               "utf16": "AB", "fromUtf16": [0x41, 0], "upperHex": [10, 11], "bytes": 5})
    );
}

#[test]
fn the_buffer_writes_concatenates_and_slices_as_views() {
    assert_eq!(
        data(
            "(function () { var w = Buffer.alloc(4); w.writeUInt16BE(0x1234, 0); w.writeInt16LE(-2, 2); \
               var s = b.slice(0, 1); s[0] = 99; \
               return { written: Array.from(w), filled: Array.from(Buffer.alloc(2, 0xff)), \
                 joined: Buffer.concat([w, Buffer.from([7])]).toString('hex'), view: b[0], \
                 has: Buffer.from('xABCx').includes('ABC'), same: w.equals(Buffer.from('1234feff', 'hex')) }; })()",
            &[1, 2],
        ),
        json!({"written": [0x12, 0x34, 0xfe, 0xff], "filled": [255, 255], "joined": "1234feff07", "view": 99,
               "has": true, "same": true})
    );
}

#[test]
fn a_buffer_in_the_result_is_written_as_node_writes_it_and_bad_use_fails_with_nodes_reason() {
    assert_eq!(
        data("{ raw: b }", &[1, 2]),
        json!({"raw": {"type": "Buffer", "data": [1, 2]}})
    );
    let e = run(
        "function decodeUplink(input) {\n  return { data: Buffer.from(input.bytes).toString('klingon') };\n}",
        &[1],
    )
    .unwrap_err();
    assert!(
        e.0.contains("TypeError: Unknown encoding: klingon") && e.0.contains("line 2"),
        "{e}"
    );
    let e = run(
        "function decodeUplink(input) {\n  return { data: Buffer.from(input.bytes).readUInt16BE(0) };\n}",
        &[1],
    )
    .unwrap_err();
    assert!(e.0.contains("RangeError: Trying to access beyond buffer length"), "{e}");
}

#[test]
fn encode_downlink_can_build_its_bytes_with_a_buffer() {
    let d = JsDecoder::compile(
        JsShape::DecodeUplink,
        "function decodeUplink(input) { return { data: {} }; }
         function encodeDownlink(input) {
           var b = Buffer.alloc(3);
           b.writeUInt8(input.data.mode, 0);
           b.writeUInt16LE(input.data.interval, 1);
           return { bytes: Array.from(b), fPort: 3 };
         }",
    )
    .unwrap();
    assert_eq!(
        d.encode(&json!({"mode": 2, "interval": 600}), None).unwrap(),
        (vec![2, 0x58, 0x02], Some(3))
    );
}

#[test]
fn the_buffer_is_made_only_for_a_script_that_reads_it_and_a_script_may_have_its_own() {
    let plain = JsDecoder::compile(
        JsShape::DecodeUplink,
        "function decodeUplink(i) { return { data: i.bytes }; }",
    )
    .unwrap();
    let reads = JsDecoder::compile(
        JsShape::DecodeUplink,
        "var B = Buffer;\nfunction decodeUplink(i) { return { data: B.from(i.bytes).toString('hex') }; }",
    )
    .unwrap();
    assert_eq!(reads.decode(&[1, 255], 1, &json!({}), 0).unwrap(), json!("01ff"));
    // (The package's functions are about 150 KB of the engine's memory.)
    assert!(
        reads.memory_used() - plain.memory_used() > 50_000,
        "{} vs {}",
        reads.memory_used(),
        plain.memory_used()
    );
    let own = "function Buffer(b) { this.n = b.length; }\nfunction decodeUplink(i) { return { data: new Buffer(i.bytes).n }; }";
    let d = JsDecoder::compile(JsShape::DecodeUplink, own).unwrap();
    assert_eq!(d.decode(&[1, 2, 3], 1, &json!({}), 0).unwrap(), json!(3));
    let assigned = "Buffer = { from: function (b) { return b.length; } };\nfunction decodeUplink(i) { return { data: Buffer.from(i.bytes) }; }";
    let d = JsDecoder::compile(JsShape::DecodeUplink, assigned).unwrap();
    assert_eq!(d.decode(&[1, 2], 1, &json!({}), 0).unwrap(), json!(2));
}
