//! The error of a bad uplink, and the excerpt that goes with it into an error event.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// Why an incoming uplink could not be translated. `Display` is the user-facing reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("expected a JSON object, got {0}")]
    NotObject(&'static str),
    /// Dotted path of the missing field, e.g. `deviceInfo` or `deviceInfo.devEui`.
    #[error("missing field {0}")]
    MissingField(String),
    /// A field is present but has the wrong type or value; the message names it.
    #[error("invalid {0}")]
    Invalid(String),
    #[error("{0} is not valid base64")]
    BadBase64(&'static str),
}

/// "a string", "an array", … for messages about what arrived instead of what was expected.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses a JSON object into `T`. A well-formed message parses straight into `T`; only a bad
/// one goes through `Value`, which separates "not JSON" (with its position) from "JSON of the
/// wrong shape" (with the path of the offending field). (Building the `Value` for every good
/// message cost about a tenth of the bridge's CPU per uplink.)
pub(crate) fn decode_object<T: DeserializeOwned>(raw: &[u8]) -> Result<T, CodecError> {
    // The text is checked for UTF-8 once, whole: parsed from bytes, serde_json checks each
    // string on its own, which took a fifth of the time a ChirpStack event took to parse.
    if let (Some(b'{'), Ok(text)) = (raw.first(), std::str::from_utf8(raw)) {
        if let Ok(t) = serde_json::from_str(text) {
            return Ok(t);
        }
    }
    let value: Value = serde_json::from_slice(raw).map_err(|e| CodecError::NotJson(e.to_string()))?;
    if !value.is_object() {
        return Err(CodecError::NotObject(json_kind(&value)));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.inner().to_string();
        if let Some(name) = msg
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            // serde reports the missing field's parent as the path ("." at the top level).
            let full = if path == "." {
                name.to_string()
            } else {
                format!("{path}.{name}")
            };
            CodecError::MissingField(full)
        } else if path == "." {
            CodecError::Invalid(msg)
        } else {
            CodecError::Invalid(format!("{path}: {msg}"))
        }
    })
}

/// Longest excerpt, in characters, that an error event carries.
const EXCERPT_MAX: usize = 120;

/// A short single-line excerpt of a bad message, for error events: UTF-8 lossy, whitespace and
/// control characters collapsed to single spaces, at most 120 characters (ending in `…` if cut).
pub fn excerpt(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut flat = String::with_capacity(text.len().min(4 * EXCERPT_MAX));
    let mut count = 0;
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            pending_space = count > 0;
            continue;
        }
        let needed = usize::from(pending_space) + 1;
        if count + needed > EXCERPT_MAX {
            // Make room for the ellipsis within the limit.
            while count >= EXCERPT_MAX {
                flat.pop();
                count -= 1;
            }
            flat.push('…');
            return flat;
        }
        if pending_space {
            flat.push(' ');
            count += 1;
            pending_space = false;
        }
        flat.push(c);
        count += 1;
    }
    flat
}
