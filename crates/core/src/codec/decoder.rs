//! Running a device's decoder on an uplink: the built-in Cayenne LPP or a user's JavaScript,
//! with the result in the Helium router's `decoded` shape. A decoder that fails gives
//! `{"status":"error","error":…}` and the uplink still goes out.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::helium::{Decoded, DecodedPayload, HeliumUplink};
use super::js::{JsDecoder, JsError, JsShape, Said};
use crate::domain::DecoderKind;

/// A decoder ready to run, compiled once per change of its script.
#[derive(Debug)]
pub enum Compiled {
    Cayenne,
    Js(JsDecoder),
}

/// The JavaScript shape a decoder kind names (none for the built-in Cayenne LPP).
pub fn js_shape(kind: DecoderKind) -> Option<JsShape> {
    match kind {
        DecoderKind::Cayenne => None,
        DecoderKind::Helium => Some(JsShape::Helium),
        DecoderKind::DecodeUplink => Some(JsShape::DecodeUplink),
    }
}

impl Compiled {
    pub fn compile(kind: DecoderKind, script: &str) -> Result<Compiled, JsError> {
        Ok(match js_shape(kind) {
            None => Compiled::Cayenne,
            Some(shape) => Compiled::Js(JsDecoder::compile(shape, script)?),
        })
    }

    /// The kind it runs as: a script defining only the other shape's function runs as that.
    pub fn kind(&self) -> DecoderKind {
        match self {
            Compiled::Cayenne => DecoderKind::Cayenne,
            Compiled::Js(js) => match js.shape() {
                JsShape::Helium => DecoderKind::Helium,
                JsShape::DecodeUplink => DecoderKind::DecodeUplink,
            },
        }
    }

    /// Decodes `bytes` received on `port`, with what `console.log` printed. `info` makes the
    /// uplink's JSON, asked for only when the script's `Decoder` declares `uplink_info` and may
    /// read it; `recv_ms` is when it was received (`decodeUplink`'s `input.recvTime`).
    fn run(
        &self,
        bytes: &[u8],
        port: u8,
        info: impl FnOnce() -> String,
        recv_ms: i64,
    ) -> (Result<DecodedPayload, String>, Said) {
        match self {
            Compiled::Cayenne => (
                super::cayenne::decode(bytes)
                    .map(DecodedPayload::Tree)
                    .map_err(|e| e.to_string()),
                Said::default(),
            ),
            Compiled::Js(js) => {
                let info = if js.wants_uplink_info() { info() } else { String::new() };
                let (r, said) = js.run_text(bytes, port, &info, recv_ms);
                (r.map(DecodedPayload::Text).map_err(|e| e.0), said)
            }
        }
    }

    /// Decodes a raw payload on `port`; `up` is the uplink (for `uplink_info` and `recvTime`).
    pub fn decode_bytes(&self, bytes: &[u8], port: u8, up: &HeliumUplink) -> Decoded {
        let info = || serde_json::to_string(up).unwrap_or_default();
        match self.run(bytes, port, info, up.reported_at).0 {
            Ok(payload) => Decoded::Success { payload },
            Err(error) => Decoded::Error { error },
        }
    }

    /// A downlink's `payload_json` as bytes, with the port the script chose.
    pub fn encode(&self, data: &serde_json::Value, port: Option<u8>) -> Result<(Vec<u8>, Option<u8>), String> {
        match self {
            Compiled::Cayenne => {
                Err("the built-in Cayenne LPP decoder does not encode downlinks; send payload_raw".into())
            }
            Compiled::Js(js) => js.encode(data, port).map_err(|e| e.0),
        }
    }

    /// Decodes the uplink's own payload.
    pub fn decode(&self, up: &HeliumUplink) -> Decoded {
        match BASE64.decode(&up.payload) {
            Ok(bytes) => self.decode_bytes(&bytes, up.port, up),
            Err(e) => Decoded::Error {
                error: format!("the payload is not base64: {e}"),
            },
        }
    }
}

/// What a decoder made of one payload, for the user trying it (desktop "Test", `decoder test`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct DecoderTrial {
    pub ok: bool,
    /// `decoded.payload` when it worked, as it is published: its members in the script's
    /// order, its numbers as `JSON.stringify` writes them.
    #[ts(type = "unknown")]
    pub payload: Option<crate::codec::DecodedPayload>,
    /// Why it did not, with the script's line number when there is one.
    pub error: Option<String>,
    /// What `console.log` printed.
    pub logs: Vec<String>,
    /// The warnings a `decodeUplink` returned (with its data or without).
    pub warnings: Vec<String>,
    /// How long the call took (compiling not included).
    #[ts(type = "number")]
    pub micros: u64,
}

/// Compiles `script` and decodes `bytes` received on `port` with it.
pub fn trial(kind: DecoderKind, script: &str, bytes: &[u8], port: u8) -> DecoderTrial {
    let failed = |error: String, said: Said, micros: u64| DecoderTrial {
        ok: false,
        payload: None,
        error: Some(error),
        logs: said.console,
        warnings: said.warnings,
        micros,
    };
    let compiled = match Compiled::compile(kind, script) {
        Ok(c) => c,
        Err(e) => return failed(e.0, Said::default(), 0),
    };
    let now = crate::now_ms();
    let info = serde_json::json!({
        "type": "uplink", "id": "test-device", "name": "test device", "fcnt": 0, "port": port,
        "payload": BASE64.encode(bytes), "payload_size": bytes.len(), "reported_at": now,
        "hotspots": [], "metadata": { "labels": [], "organization_id": null },
    });
    let started = std::time::Instant::now();
    let (result, said) = compiled.run(bytes, port, || info.to_string(), now);
    let micros = started.elapsed().as_micros() as u64;
    match result {
        Ok(payload) => DecoderTrial {
            ok: true,
            payload: Some(payload),
            error: None,
            logs: said.console,
            warnings: said.warnings,
            micros,
        },
        Err(e) => failed(e, said, micros),
    }
}

/// A pasted payload without its spaces and line breaks.
fn compact(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// A payload as a user pastes it: hex (spaces and a `0x` allowed) or base64.
pub fn parse_payload(text: &str) -> Result<Vec<u8>, String> {
    let t = compact(text);
    let hex = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(&t);
    if hex.is_empty() {
        return Err("the payload is empty".into());
    }
    // Hex first: "0102" is also valid base64, and hex is what device manuals print.
    if let Some(bytes) = from_hex(hex) {
        return Ok(bytes);
    }
    BASE64
        .decode(&t)
        .map_err(|_| format!("{text:?} is neither hex nor base64"))
}

/// The payload read as base64 only (for a base64 payload that is also valid hex, e.g. `AAAA`).
pub fn parse_base64_payload(text: &str) -> Result<Vec<u8>, String> {
    let t = compact(text);
    if t.is_empty() {
        return Err("the payload is empty".into());
    }
    BASE64.decode(&t).map_err(|_| format!("{text:?} is not base64"))
}

/// What the same text would be as base64, when [`parse_payload`] reads it as hex though it looks
/// like base64 (letters only, valid base64 too: `AAAA`): a guess worth telling the user. Hex
/// with a digit in it (`01ff`, which is valid base64 too) is taken for hex without a word.
pub fn base64_reading_of_hex(text: &str) -> Option<Vec<u8>> {
    let t = compact(text);
    if t.starts_with("0x") || t.starts_with("0X") || t.contains(|c: char| c.is_ascii_digit()) || from_hex(&t).is_none()
    {
        return None;
    }
    BASE64.decode(&t).ok()
}

fn from_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.is_empty() || !hex.len().is_multiple_of(2) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_paste_as_hex_or_base64() {
        assert_eq!(parse_payload("01 67 00 F0").unwrap(), vec![1, 0x67, 0, 0xf0]);
        assert_eq!(parse_payload("0x0102").unwrap(), vec![1, 2]);
        assert_eq!(parse_payload("AWcA8A==").unwrap(), vec![1, 0x67, 0, 0xf0]);
        assert_eq!(parse_payload("  ").unwrap_err(), "the payload is empty");
        assert_eq!(parse_payload("zz!").unwrap_err(), "\"zz!\" is neither hex nor base64");
    }

    #[test]
    fn a_payload_valid_both_ways_is_read_as_hex_and_its_base64_reading_is_known() {
        assert_eq!(parse_payload("AAAA").unwrap(), vec![0xaa, 0xaa]);
        assert_eq!(base64_reading_of_hex("AAAA"), Some(vec![0, 0, 0]));
        assert_eq!(parse_base64_payload("AAAA").unwrap(), vec![0, 0, 0]);
        // Only hex, or only base64, or hex said with 0x: nothing to tell.
        assert_eq!(base64_reading_of_hex("016700F"), None);
        assert_eq!(base64_reading_of_hex("01ff"), None, "hex with digits is hex");
        assert_eq!(base64_reading_of_hex("AWcA8A=="), None);
        assert_eq!(base64_reading_of_hex("0x0102"), None);
        assert_eq!(parse_base64_payload("01!").unwrap_err(), "\"01!\" is not base64");
    }

    #[test]
    fn a_trial_reports_output_error_logs_and_time() {
        let t = trial(
            DecoderKind::Cayenne,
            "",
            &parse_payload("0367011005670 0FF").unwrap(),
            1,
        );
        assert!(t.ok);
        assert_eq!(t.payload.unwrap().tree()[1]["value"], 25.5);
        let t = trial(
            DecoderKind::Helium,
            "function Decoder(bytes, port) {\n  console.log('port', port);\n  return bytes.nope.x;\n}",
            &[1],
            9,
        );
        assert!(!t.ok);
        assert!(t.error.unwrap().starts_with("Decoder failed: line 3: TypeError"));
        assert_eq!(t.logs, vec!["port 9"]);
        let t = trial(DecoderKind::DecodeUplink, "function decodeUplink( {", &[1], 1);
        assert!(t
            .error
            .unwrap()
            .starts_with("the script does not run: line 1: SyntaxError"));
    }

    #[test]
    fn a_trial_shows_the_payload_as_it_is_published_in_the_scripts_order_and_number_text() {
        let t = trial(
            DecoderKind::DecodeUplink,
            "function decodeUplink() { return { data: { b: 1, a: 0.000001, 10: 2 ** 64, 2: 1e21 } }; }",
            &[1],
            1,
        );
        let shown = serde_json::to_string(&t).unwrap();
        // (Integer-like keys first, ascending, as every JavaScript engine orders them.)
        let payload = r#""payload":{"2":1e+21,"10":18446744073709552000,"b":1,"a":0.000001}"#;
        assert!(shown.contains(payload), "{shown}");
    }

    #[test]
    fn uplink_info_reaches_a_decoder_that_reads_it_however_it_does() {
        let read = |script: &str| {
            trial(DecoderKind::Helium, script, &[1], 9)
                .payload
                .map(|p| p.tree().into_owned())
        };
        let named = "function Decoder(bytes, port, uplink_info) { return { port: uplink_info.port }; }";
        assert_eq!(read(named), Some(serde_json::json!({ "port": 9 })));
        let via_arguments = "function Decoder(bytes, port, u) { return { port: arguments[2].port }; }";
        assert_eq!(read(via_arguments), Some(serde_json::json!({ "port": 9 })));
        // Declared and not read: not built, and the decoder runs as well.
        let unread = "function Decoder(bytes, port, uplink_info) { return { port: port }; }";
        assert_eq!(read(unread), Some(serde_json::json!({ "port": 9 })));
    }
}
