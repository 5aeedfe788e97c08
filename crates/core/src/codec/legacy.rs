//! Legacy Helium-Console-style uplink JSON, in both shapes seen in the wild: the 2020 one printed
//! in the seed document (`reported_at` in seconds, no `uuid`/`type`) and the 2021–2023 one
//! (`reported_at` in ms, hotspot `channel`/`lat`/`long`, where `lat`/`long` may be `"unknown"`).

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::error::{decode_object, CodecError};

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LegacyUplink {
    /// `"uplink"` (or `"join"`); absent in the 2020 shape.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub replay: bool,
    #[serde(default)]
    pub uuid: Option<String>,
    /// Console device id, the AWS thing name.
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub dev_eui: String,
    #[serde(default)]
    pub app_eui: Option<String>,
    #[serde(default)]
    pub devaddr: String,
    #[serde(default)]
    pub fcnt: u32,
    #[serde(default)]
    pub port: u8,
    /// Base64 as received.
    #[serde(default)]
    pub payload: String,
    /// Seconds (2020) or ms (2021 on); see [`to_ms`].
    #[serde(default)]
    pub reported_at: Option<i64>,
    #[serde(default)]
    pub hotspots: Vec<LegacyHotspot>,
    #[serde(default)]
    pub metadata: LegacyMetadata,
    /// A decoder's result, kept as JSON: an odd shape here must not reject the uplink.
    #[serde(default)]
    pub decoded: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct LegacyMetadata {
    pub labels: Vec<LegacyLabel>,
    pub organization_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct LegacyLabel {
    pub id: String,
    pub name: String,
    pub organization_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct LegacyHotspot {
    pub id: String,
    pub name: String,
    pub reported_at: Option<i64>,
    pub status: Option<String>,
    /// Accepts integer or float dBm; the output is an integer.
    pub rssi: f64,
    pub snr: f64,
    pub spreading: String,
    /// MHz.
    pub frequency: f64,
    pub channel: u32,
    #[serde(deserialize_with = "coordinate")]
    pub lat: Option<f64>,
    #[serde(deserialize_with = "coordinate")]
    pub long: Option<f64>,
}

/// Parses a legacy Helium uplink body.
pub fn parse_legacy(raw: &[u8]) -> Result<LegacyUplink, CodecError> {
    decode_object(raw)
}

/// Below this a `reported_at` is seconds: 1e11 s is in the year 5138, 1e11 ms in 1973.
const SECONDS_LIMIT: i64 = 100_000_000_000;

/// Normalizes a legacy `reported_at` (seconds in 2020, ms from 2021 on) to ms.
pub fn to_ms(reported_at: i64) -> i64 {
    if reported_at < SECONDS_LIMIT {
        reported_at.saturating_mul(1000)
    } else {
        reported_at
    }
}

/// A hotspot coordinate: a number, a numeric string, or anything else (`"unknown"`, null) → none.
fn coordinate<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|f| f.is_finite()))
}
