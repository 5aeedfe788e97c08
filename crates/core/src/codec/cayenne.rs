//! Cayenne LPP decoder producing the list Helium's router put under `decoded.payload`: one object per reading,
//! `{channel, type, name, value, unit}`, in payload order. A payload is readings `[channel, type, data...]`.
//!
//! Types are the router's (the last 14 rows of `TYPES` since May 2021) plus `unix_time` from the project's
//! reference table. Where router and reference vectors differ, the vectors win: 115 is "barometer" (router:
//! "humidity"), 101 "illuminance" ("luminance"); units "celsius", "deg/s", "deg" ("celcius", "°/s", "º");
//! 100 is an unscaled integer "generic" (/100, "generic_sensor"); no router-internal `last: true` marker.
//! As in the router, readings without a unit (digital, presence, GPS, ...) have no `unit` key, resolution-1
//! values are JSON integers, scaled ones floats, and one bad reading fails the whole payload: a partial decode
//! would publish readings that silently lack the rest.

use serde_json::{Map, Value};
use std::fmt;

#[cfg(test)]
mod tests;

/// Channels above this are reserved; the router rejected them (`lpp_reserved_channel`).
const MAX_CHANNEL: u8 = 99;

/// `value = raw * mul / div`; `div == 1` keeps the value an integer.
#[derive(Clone, Copy)]
struct Scale {
    mul: i64,
    div: u32,
}

const ONE: Scale = Scale { mul: 1, div: 1 };

const fn per(div: u32) -> Scale {
    Scale { mul: 1, div }
}

/// Humidity's 0.5 % steps: raw * 5 / 10 keeps the arithmetic in integers until the one final division.
const HALF: Scale = Scale { mul: 5, div: 10 };

/// One big-endian integer inside a reading's data.
struct Field {
    /// Key in the value object; `None` for a type whose value is a single number.
    key: Option<&'static str>,
    bytes: usize,
    signed: bool,
    scale: Scale,
}

const fn scalar(bytes: usize, signed: bool, scale: Scale) -> Field {
    Field {
        key: None,
        bytes,
        signed,
        scale,
    }
}

const fn named(key: &'static str, bytes: usize, signed: bool, scale: Scale) -> Field {
    Field {
        key: Some(key),
        bytes,
        signed,
        scale,
    }
}

const fn xyz(scale: Scale) -> [Field; 3] {
    [
        named("x", 2, true, scale),
        named("y", 2, true, scale),
        named("z", 2, true, scale),
    ]
}

struct LppType {
    id: u8,
    name: &'static str,
    unit: Option<&'static str>,
    fields: &'static [Field],
}

static ACCELEROMETER: [Field; 3] = xyz(per(1000));
static GYROMETER: [Field; 3] = xyz(per(100));
static COLOUR: [Field; 3] = [
    named("r", 1, false, ONE),
    named("g", 1, false, ONE),
    named("b", 1, false, ONE),
];
static GPS: [Field; 3] = [
    named("latitude", 3, true, per(10_000)),
    named("longitude", 3, true, per(10_000)),
    named("altitude", 3, true, per(100)),
];

#[rustfmt::skip]
static TYPES: [LppType; 26] = [
    LppType { id: 0, name: "digital_in", unit: None, fields: &[scalar(1, false, ONE)] },
    LppType { id: 1, name: "digital_out", unit: None, fields: &[scalar(1, false, ONE)] },
    LppType { id: 2, name: "analog_in", unit: None, fields: &[scalar(2, true, per(100))] },
    LppType { id: 3, name: "analog_out", unit: None, fields: &[scalar(2, true, per(100))] },
    LppType { id: 101, name: "illuminance", unit: Some("lux"), fields: &[scalar(2, false, ONE)] },
    LppType { id: 102, name: "presence", unit: None, fields: &[scalar(1, false, ONE)] },
    LppType { id: 103, name: "temperature", unit: Some("celsius"), fields: &[scalar(2, true, per(10))] },
    LppType { id: 104, name: "humidity", unit: Some("percent"), fields: &[scalar(1, false, HALF)] },
    LppType { id: 113, name: "accelerometer", unit: Some("G"), fields: &ACCELEROMETER },
    LppType { id: 115, name: "barometer", unit: Some("hPa"), fields: &[scalar(2, false, per(10))] },
    LppType { id: 134, name: "gyrometer", unit: Some("deg/s"), fields: &GYROMETER },
    LppType { id: 136, name: "gps", unit: None, fields: &GPS },
    // Types the router added in May 2021 (helium/router#319).
    LppType { id: 100, name: "generic", unit: None, fields: &[scalar(4, false, ONE)] },
    LppType { id: 116, name: "voltage", unit: Some("V"), fields: &[scalar(2, false, per(100))] },
    LppType { id: 117, name: "current", unit: Some("A"), fields: &[scalar(2, false, per(1000))] },
    LppType { id: 118, name: "frequency", unit: Some("Hz"), fields: &[scalar(4, false, ONE)] },
    LppType { id: 120, name: "percentage", unit: Some("%"), fields: &[scalar(1, false, ONE)] },
    LppType { id: 121, name: "altitude", unit: Some("m"), fields: &[scalar(2, true, ONE)] },
    LppType { id: 125, name: "concentration", unit: Some("PPM"), fields: &[scalar(2, false, ONE)] },
    LppType { id: 128, name: "power", unit: Some("W"), fields: &[scalar(2, false, ONE)] },
    LppType { id: 130, name: "distance", unit: Some("m"), fields: &[scalar(4, false, per(1000))] },
    LppType { id: 131, name: "energy", unit: Some("kWh"), fields: &[scalar(4, false, per(1000))] },
    LppType { id: 132, name: "direction", unit: Some("deg"), fields: &[scalar(2, false, ONE)] },
    LppType { id: 135, name: "colour", unit: None, fields: &COLOUR },
    LppType { id: 142, name: "switch", unit: None, fields: &[scalar(1, false, ONE)] },
    // Not decoded by the router; listed in the project's reference type table (seconds since the epoch).
    LppType { id: 133, name: "unix_time", unit: Some("s"), fields: &[scalar(4, false, ONE)] },
];

/// Why a payload is not valid Cayenne LPP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CayenneError {
    /// Index of the failing reading's channel byte (0 for an empty payload).
    pub offset: usize,
    pub kind: CayenneErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CayenneErrorKind {
    Empty,
    /// Channels 100–255 are reserved.
    ReservedChannel {
        channel: u8,
    },
    /// The payload ends right after a channel byte.
    MissingType {
        channel: u8,
    },
    UnknownType {
        channel: u8,
        type_id: u8,
    },
    /// Fewer data bytes remain than the type needs.
    Truncated {
        channel: u8,
        type_name: &'static str,
        needed: usize,
        left: usize,
    },
}

impl CayenneError {
    fn new(offset: usize, kind: CayenneErrorKind) -> Self {
        CayenneError { offset, kind }
    }
}

impl fmt::Display for CayenneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.offset;
        match self.kind {
            CayenneErrorKind::Empty => write!(f, "empty payload"),
            CayenneErrorKind::ReservedChannel { channel } => {
                write!(
                    f,
                    "reserved channel {channel} at byte {at} (Cayenne LPP channels are 0-{MAX_CHANNEL})"
                )
            }
            CayenneErrorKind::MissingType { channel } => {
                write!(
                    f,
                    "byte {at}: channel {channel} has no type byte, the payload ends there"
                )
            }
            CayenneErrorKind::UnknownType { channel, type_id } => {
                write!(
                    f,
                    "byte {at}: unknown Cayenne LPP type 0x{type_id:02X} ({type_id}) on channel {channel}"
                )
            }
            CayenneErrorKind::Truncated {
                channel,
                type_name,
                needed,
                left,
            } => {
                let unit = if needed == 1 { "byte" } else { "bytes" };
                let left = if left == 0 {
                    "none".to_owned()
                } else {
                    format!("only {left}")
                };
                write!(
                    f,
                    "byte {at}: {type_name} on channel {channel} needs {needed} data {unit}, {left} left"
                )
            }
        }
    }
}

impl std::error::Error for CayenneError {}

/// Decodes a Cayenne LPP payload into the Helium router's shape: one object per reading,
/// `{channel, type, name, value, unit}`, in payload order. Returns a JSON array.
pub fn decode(bytes: &[u8]) -> Result<Value, CayenneError> {
    use CayenneErrorKind::*;
    if bytes.is_empty() {
        return Err(CayenneError::new(0, Empty));
    }
    let mut readings = Vec::new();
    let mut at = 0;
    while let Some(&channel) = bytes.get(at) {
        // Checked before the type, as the router did: a reserved channel fails whatever follows it.
        if channel > MAX_CHANNEL {
            return Err(CayenneError::new(at, ReservedChannel { channel }));
        }
        let type_id = *bytes
            .get(at + 1)
            .ok_or_else(|| CayenneError::new(at, MissingType { channel }))?;
        let ty = TYPES
            .iter()
            .find(|t| t.id == type_id)
            .ok_or_else(|| CayenneError::new(at, UnknownType { channel, type_id }))?;
        let start = at + 2;
        let needed: usize = ty.fields.iter().map(|f| f.bytes).sum();
        let data = bytes.get(start..start + needed).ok_or_else(|| {
            let left = bytes.len() - start;
            CayenneError::new(
                at,
                Truncated {
                    channel,
                    type_name: ty.name,
                    needed,
                    left,
                },
            )
        })?;
        readings.push(reading(channel, ty, data));
        at = start + needed;
    }
    Ok(Value::Array(readings))
}

fn reading(channel: u8, ty: &LppType, data: &[u8]) -> Value {
    let mut parts = Map::new();
    let mut single = None;
    let mut rest = data;
    for field in ty.fields {
        // `data` holds exactly the bytes the fields need, so each split finds its bytes.
        let (raw, tail) = rest.split_at_checked(field.bytes).unwrap_or((rest, &[]));
        rest = tail;
        let value = scaled(big_endian(raw, field.signed), field.scale);
        match field.key {
            Some(key) => _ = parts.insert(key.to_owned(), value),
            None => single = Some(value),
        }
    }
    let mut out = Map::new();
    out.insert("channel".to_owned(), channel.into());
    out.insert("type".to_owned(), ty.id.into());
    out.insert("name".to_owned(), ty.name.into());
    out.insert("value".to_owned(), single.unwrap_or(Value::Object(parts)));
    if let Some(unit) = ty.unit {
        out.insert("unit".to_owned(), unit.into());
    }
    Value::Object(out)
}

/// Reads 1–4 bytes as a big-endian integer, sign-extending when `signed`.
fn big_endian(raw: &[u8], signed: bool) -> i64 {
    let value = raw.iter().fold(0i64, |acc, &b| (acc << 8) | i64::from(b));
    let unused = 64 - 8 * raw.len() as u32;
    if signed && unused < 64 {
        (value << unused) >> unused
    } else {
        value
    }
}

fn scaled(raw: i64, scale: Scale) -> Value {
    let numerator = raw * scale.mul;
    if scale.div == 1 {
        return numerator.into();
    }
    // Both operands are exact in f64 (|numerator| < 2^35), and IEEE division rounds correctly, so this is
    // the double nearest the exact decimal: the one "-26.576" parses to, which serde_json prints back as
    // -26.576. Multiplying by 0.1 instead rounds twice: 10079 * 0.1 prints as 1007.9000000000001.
    (numerator as f64 / f64::from(scale.div)).into()
}
