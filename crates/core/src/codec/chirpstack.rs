//! ChirpStack v4 integration events (`up`, `join`) as its JSON marshaler writes them.
//!
//! Per the contract: lowerCamelCase names, unknown fields ignored, fields with default values
//! inside `rxInfo[]`/`txInfo` omitted (hence `#[serde(default)]` there), any number of `rxInfo`.

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::error::{decode_object, CodecError};

/// An `up` event. A `join` event is a subset of it (no frame counter, payload or radio info),
/// so it parses into the same struct with those fields at their defaults.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChirpstackUplink {
    #[serde(default)]
    pub deduplication_id: Option<String>,
    /// Event time, ms since the Unix epoch.
    #[serde(default, deserialize_with = "opt_rfc3339_ms")]
    pub time: Option<i64>,
    pub device_info: DeviceInfo,
    #[serde(default)]
    pub dev_addr: String,
    #[serde(default)]
    pub adr: bool,
    #[serde(default)]
    pub dr: u8,
    /// Always present in an `up` event (ChirpStack writes every top-level field); absent in a
    /// `join`. An `up` without it is rejected, not forwarded as frame 0.
    #[serde(default)]
    pub f_cnt: Option<u32>,
    #[serde(default)]
    pub f_port: u8,
    #[serde(default)]
    pub confirmed: bool,
    /// FRMPayload, base64 as received; like `fCnt`, required in an `up` event.
    #[serde(default)]
    pub data: Option<String>,
    /// Present only when the device profile has a codec. Kept as the text it came in: it is
    /// passed through as it is.
    #[serde(default)]
    pub object: Option<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    pub rx_info: Vec<RxInfo>,
    #[serde(default)]
    pub tx_info: TxInfo,
    /// Since ChirpStack 4.11; before that see `rxInfo[].metadata.region_config_id`.
    #[serde(default)]
    pub region_config_id: Option<String>,
}

/// What the bridge reads of `deviceInfo`; the names, profile and tags are skipped unread (each
/// kept field is an allocation per uplink).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    #[serde(default)]
    pub tenant_id: String,
    #[serde(default)]
    pub application_id: String,
    #[serde(default)]
    pub device_name: String,
    pub dev_eui: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RxInfo {
    pub gateway_id: String,
    pub uplink_id: u32,
    #[serde(deserialize_with = "opt_rfc3339_ms")]
    pub gw_time: Option<i64>,
    #[serde(deserialize_with = "opt_rfc3339_ms")]
    pub ns_time: Option<i64>,
    pub rssi: i32,
    pub snr: f64,
    pub channel: u32,
    pub location: Option<Location>,
    /// Helium Packet Router puts `gateway_id`, `gateway_name`, `gateway_lat`, … here, all strings.
    pub metadata: RxMetadata,
}

/// The entries of `rxInfo[].metadata` the bridge reads; the others are skipped unread (a map of
/// every entry was a fifth of the time an event took to parse). Values are kept as JSON so one
/// odd value can't reject the whole uplink.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RxMetadata {
    pub gateway_id: Option<Value>,
    pub gateway_name: Option<Value>,
    pub gateway_lat: Option<Value>,
    pub gateway_long: Option<Value>,
    pub region_config_id: Option<Value>,
}

impl RxMetadata {
    /// An entry as a non-empty string.
    pub fn text(entry: &Option<Value>) -> Option<&str> {
        entry.as_ref().and_then(Value::as_str).filter(|s| !s.is_empty())
    }

    /// An entry as a number (Helium sends coordinates as strings).
    pub fn number(entry: &Option<Value>) -> Option<f64> {
        match entry.as_ref()? {
            Value::String(s) => s.trim().parse().ok(),
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
        .filter(|v: &f64| v.is_finite())
    }
}

/// A gateway location. Fields at 0 are omitted like every default, so `{}` says nothing:
/// coordinates count only when at least one of them is present.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Location {
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub altitude: Option<f64>,
}

impl Location {
    pub fn coordinates(&self) -> Option<(f64, f64)> {
        match (self.latitude, self.longitude) {
            (None, None) => None,
            (lat, long) => Some((lat.unwrap_or(0.0), long.unwrap_or(0.0))),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TxInfo {
    /// Hz.
    pub frequency: u64,
    pub modulation: Option<Modulation>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Modulation {
    pub lora: Option<LoraModulation>,
    pub fsk: Option<Value>,
    pub lr_fhss: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LoraModulation {
    /// Hz.
    pub bandwidth: u32,
    pub spreading_factor: u32,
}

impl TxInfo {
    /// Helium's data-rate string, e.g. `SF7BW125`. Helium only carries LoRa; the other
    /// modulations get a plain name rather than failing the uplink.
    pub fn spreading(&self) -> String {
        match &self.modulation {
            Some(Modulation { lora: Some(l), .. }) => {
                format!("SF{}BW{}", l.spreading_factor, l.bandwidth / 1000)
            }
            Some(Modulation { fsk: Some(_), .. }) => "FSK".to_string(),
            Some(Modulation { lr_fhss: Some(_), .. }) => "LR-FHSS".to_string(),
            _ => String::new(),
        }
    }

    pub fn frequency_mhz(&self) -> f64 {
        self.frequency as f64 / 1_000_000.0
    }
}

impl ChirpstackUplink {
    /// The region config id: top-level `regionConfigId` (ChirpStack ≥ 4.11), else the first
    /// `rxInfo[].metadata.region_config_id` (before 4.11).
    pub fn region(&self) -> Option<&str> {
        self.region_config_id.as_deref().filter(|s| !s.is_empty()).or_else(|| {
            self.rx_info
                .iter()
                .find_map(|rx| RxMetadata::text(&rx.metadata.region_config_id))
        })
    }
}

/// The DevEUI a ChirpStack event's topic names (`application/{app}/device/{dev_eui}/event/…`):
/// which device sent a message that could not be read.
pub fn topic_dev_eui(topic: &str) -> Option<&str> {
    let mut levels = topic.split('/');
    match (levels.next(), levels.next(), levels.next(), levels.next()) {
        (Some("application"), Some(_), Some("device"), Some(eui))
            if eui.len() == 16 && eui.chars().all(|c| c.is_ascii_hexdigit()) =>
        {
            Some(eui)
        }
        _ => None,
    }
}

/// Parses a ChirpStack v4 `up` or `join` event body.
pub fn parse_chirpstack(raw: &[u8]) -> Result<ChirpstackUplink, CodecError> {
    decode_object(raw)
}

/// RFC 3339 with any number of fractional digits (ChirpStack trims trailing zeros) → ms.
pub fn rfc3339_ms(s: &str) -> Result<i64, String> {
    let dt = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| format!("{s:?} is not an RFC 3339 timestamp"))?;
    i64::try_from(dt.unix_timestamp_nanos().div_euclid(1_000_000)).map_err(|_| format!("{s:?} is out of range"))
}

fn opt_rfc3339_ms<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    /// Reads the text where it lies, without a `String` of its own (three per uplink).
    struct Ms;
    impl<'de> serde::de::Visitor<'de> for Ms {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an RFC 3339 timestamp")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            match s {
                "" => Ok(None),
                s => rfc3339_ms(s).map(Some).map_err(E::custom),
            }
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(Ms)
        }
    }
    d.deserialize_option(Ms)
}
