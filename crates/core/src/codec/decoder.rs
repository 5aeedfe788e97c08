//! Running a device's decoder on an uplink: the built-in Cayenne LPP or a user's JavaScript,
//! with the result in the Helium router's `decoded` shape. A decoder that fails gives
//! `{"status":"error","error":…}` and the uplink still goes out.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::helium::{Decoded, HeliumUplink};
use super::js::{JsDecoder, JsError, JsShape};
use crate::domain::DecoderKind;

/// A decoder ready to run, compiled once per change of its script.
#[derive(Debug)]
pub enum Compiled {
    Cayenne,
    Js(JsDecoder),
}

impl Compiled {
    pub fn compile(kind: DecoderKind, script: &str) -> Result<Compiled, JsError> {
        Ok(match kind {
            DecoderKind::Cayenne => Compiled::Cayenne,
            DecoderKind::Helium => Compiled::Js(JsDecoder::compile(JsShape::Helium, script)?),
            DecoderKind::DecodeUplink => Compiled::Js(JsDecoder::compile(JsShape::DecodeUplink, script)?),
        })
    }

    /// Decodes a raw payload on `port`; `up` is the uplink (for `uplink_info` and `recvTime`).
    pub fn decode_bytes(&self, bytes: &[u8], port: u8, up: &HeliumUplink) -> Decoded {
        let r = match self {
            Compiled::Cayenne => super::cayenne::decode(bytes).map_err(|e| e.to_string()),
            Compiled::Js(js) => {
                let info = serde_json::to_value(up).unwrap_or_default();
                js.decode(bytes, port, &info, &rfc3339(up.reported_at)).map_err(|e| e.0)
            }
        };
        match r {
            Ok(payload) => Decoded::Success { payload },
            Err(error) => Decoded::Error { error },
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

fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}
