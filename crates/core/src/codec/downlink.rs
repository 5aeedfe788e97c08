//! Downlink requests from AWS (`helium/devices/{id}/down`): validation per the contract's
//! "AWS side (input) — downlinks" table, and the bodies sent on to the device's source.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::error::json_kind;

/// Largest downlink payload accepted, in bytes (the LoRaWAN maximum at the fastest data rate).
pub const MAX_DOWNLINK_BYTES: usize = 242;
/// Application ports: 0 is MAC commands, 224 the LoRaWAN test port, 225–255 reserved.
pub const MIN_PORT: u64 = 1;
pub const MAX_PORT: u64 = 223;

/// An accepted downlink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downlink {
    pub payload: Vec<u8>,
    pub port: u8,
    pub confirmed: bool,
}

/// Why a downlink was rejected; `Display` reads e.g.
/// `port must be an integer from 1 to 223, got 224`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {reason}")]
pub struct DownlinkRejection {
    /// `"payload_raw"`, `"port"`, `"confirmed"` or `"body"`.
    pub field: &'static str,
    pub reason: String,
}

fn reject(field: &'static str, reason: impl Into<String>) -> DownlinkRejection {
    DownlinkRejection {
        field,
        reason: reason.into(),
    }
}

/// A JSON value as it arrived, shortened for a message.
fn shown(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= 40 {
        s
    } else {
        format!("{}…", s.chars().take(39).collect::<String>())
    }
}

/// Validates a downlink request body. Unknown extra fields are ignored.
///
/// `port` and `confirmed` take their defaults only when absent: an explicit `null` is rejected,
/// since it usually means a template or variable failed upstream, and silently sending on port 1
/// or unconfirmed would hide that.
pub fn parse_downlink(raw: &[u8]) -> Result<Downlink, DownlinkRejection> {
    parse_downlink_with(raw, &|_, _| {
        Err("needs a decoder with encodeDownlink(input) attached to one of the device's labels".into())
    })
}

/// Turns a downlink's `payload_json` into bytes (the device's decoder's `encodeDownlink`): gets
/// the JSON and the port given, returns the bytes and the port the script chose.
pub type Encode<'a> = &'a dyn Fn(&Value, Option<u8>) -> Result<(Vec<u8>, Option<u8>), String>;

/// Like [`parse_downlink`]; a body may give `payload_json` instead of `payload_raw`, which
/// `encode` turns into bytes. The port given wins over the script's, then 1.
pub fn parse_downlink_with(raw: &[u8], encode: Encode<'_>) -> Result<Downlink, DownlinkRejection> {
    let body: Value = serde_json::from_slice(raw).map_err(|e| reject("body", format!("is not JSON: {e}")))?;
    let Value::Object(obj) = body else {
        return Err(reject(
            "body",
            format!("must be a JSON object, got {}", json_kind(&body)),
        ));
    };
    let port_given = match obj.contains_key("port") {
        true => Some(port(&obj)?),
        false => None,
    };
    let confirmed = confirmed(&obj)?;
    let (payload, port) = match (obj.contains_key("payload_raw"), obj.get("payload_json")) {
        (true, Some(_)) => return Err(reject("body", "must give payload_raw or payload_json, not both")),
        (false, Some(json)) => {
            let (bytes, chosen) = encode(json, port_given).map_err(|e| reject("payload_json", e))?;
            if bytes.is_empty() || bytes.len() > MAX_DOWNLINK_BYTES {
                return Err(reject(
                    "payload_json",
                    format!(
                        "encoded to {} bytes; 1 to {MAX_DOWNLINK_BYTES} are allowed",
                        bytes.len()
                    ),
                ));
            }
            let chosen = chosen.filter(|p| (MIN_PORT..=MAX_PORT).contains(&u64::from(*p)));
            (bytes, port_given.or(chosen).unwrap_or(1))
        }
        _ => (payload_raw(&obj)?, port_given.unwrap_or(1)),
    };
    Ok(Downlink {
        payload,
        port,
        confirmed,
    })
}

fn payload_raw(obj: &Map<String, Value>) -> Result<Vec<u8>, DownlinkRejection> {
    let b64 = match obj.get("payload_raw") {
        None => {
            return Err(reject(
                "payload_raw",
                "is required (or payload_json, encoded by the device's decoder)",
            ))
        }
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(reject(
                "payload_raw",
                format!("must be a base64 string, got {}", json_kind(other)),
            ))
        }
    };
    // The STANDARD engine wants the +/ alphabet and canonical `=` padding: URL-safe or
    // unpadded input is rejected rather than guessed at.
    let bytes = BASE64.decode(b64).map_err(|_| {
        reject(
            "payload_raw",
            "must be standard base64 (A-Z a-z 0-9 + / with = padding)",
        )
    })?;
    if bytes.is_empty() || bytes.len() > MAX_DOWNLINK_BYTES {
        return Err(reject(
            "payload_raw",
            format!("must decode to 1 to {MAX_DOWNLINK_BYTES} bytes, got {}", bytes.len()),
        ));
    }
    Ok(bytes)
}

fn port(obj: &Map<String, Value>) -> Result<u8, DownlinkRejection> {
    let Some(v) = obj.get("port") else {
        return Ok(1);
    };
    // as_u64 is None for negatives, floats (even 1.0) and non-numbers: all rejected.
    v.as_u64()
        .filter(|p| (MIN_PORT..=MAX_PORT).contains(p))
        .and_then(|p| u8::try_from(p).ok())
        .ok_or_else(|| {
            reject(
                "port",
                format!("must be an integer from {MIN_PORT} to {MAX_PORT}, got {}", shown(v)),
            )
        })
}

fn confirmed(obj: &Map<String, Value>) -> Result<bool, DownlinkRejection> {
    match obj.get("confirmed") {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(reject("confirmed", format!("must be true or false, got {}", shown(v)))),
    }
}

/// Body for ChirpStack's `application/{app}/device/{dev_eui}/command/down`; `devEui` must equal
/// the topic's, which ChirpStack expects lowercase.
pub fn chirpstack_command(dev_eui: &str, d: &Downlink) -> Value {
    json!({
        "devEui": dev_eui.to_ascii_lowercase(),
        "confirmed": d.confirmed,
        "fPort": d.port,
        "data": BASE64.encode(&d.payload),
    })
}

/// Body for the legacy `helium/{device_id}/tx` topic.
pub fn legacy_tx(d: &Downlink) -> Value {
    json!({
        "payload_raw": BASE64.encode(&d.payload),
        "port": d.port,
        "confirmed": d.confirmed,
    })
}
