//! Limits of the wire that the bridge enforces itself (docs/WIRE_CONTRACT.md, "Limits"): what
//! breaks one of them is bad input, rejected at ingest with a reason, never queued.

/// AWS IoT Core's largest message payload.
pub const MAX_AWS_PAYLOAD: usize = 128 * 1024;
/// The largest LoRaWAN application payload (FRMPayload) any region allows.
pub const MAX_LORAWAN_PAYLOAD: usize = 242;
/// AWS IoT thing names (and so device ids): `[a-zA-Z0-9:_-]{1,128}`.
pub const MAX_THING_NAME: usize = 128;

/// Why an uplink cannot go to AWS although it parsed. `Display` is the user-facing reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("its LoRaWAN payload is {size} bytes, over the {MAX_LORAWAN_PAYLOAD}-byte LoRaWAN limit")]
    LoRaWanPayload { size: usize },
    #[error("its Helium JSON is {size} bytes, over AWS IoT Core's {MAX_AWS_PAYLOAD}-byte message limit")]
    AwsPayload { size: usize },
}

impl LimitError {
    /// (size, limit) for the event's detail.
    pub fn figures(&self) -> (usize, usize) {
        match *self {
            LimitError::LoRaWanPayload { size } => (size, MAX_LORAWAN_PAYLOAD),
            LimitError::AwsPayload { size } => (size, MAX_AWS_PAYLOAD),
        }
    }
}

/// Checks a translated uplink: its decoded LoRaWAN payload and the JSON that would be published.
pub fn check_uplink(payload_size: usize, json_len: usize) -> Result<(), LimitError> {
    if payload_size > MAX_LORAWAN_PAYLOAD {
        return Err(LimitError::LoRaWanPayload { size: payload_size });
    }
    if json_len > MAX_AWS_PAYLOAD {
        return Err(LimitError::AwsPayload { size: json_len });
    }
    Ok(())
}

/// Whether `s` may be an AWS IoT thing name (a device id becomes one, and part of topics).
pub fn is_thing_name(s: &str) -> bool {
    (1..=MAX_THING_NAME).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thing_names() {
        for ok in [
            "a",
            "Helium-Thing_1:x",
            &"x".repeat(128),
            "3a537f77-81ea-5850-94ee-1f4d75a22f3a",
        ] {
            assert!(is_thing_name(ok), "{ok}");
        }
        for bad in ["", "evil/+/#", "$aws/x", &"x".repeat(129), "a b", "é", "a.b"] {
            assert!(!is_thing_name(bad), "{bad}");
        }
    }

    #[test]
    fn limits_are_inclusive() {
        assert_eq!(check_uplink(242, MAX_AWS_PAYLOAD), Ok(()));
        assert_eq!(
            check_uplink(243, 10).unwrap_err().to_string(),
            "its LoRaWAN payload is 243 bytes, over the 242-byte LoRaWAN limit"
        );
        assert_eq!(
            check_uplink(10, MAX_AWS_PAYLOAD + 1).unwrap_err().to_string(),
            "its Helium JSON is 131073 bytes, over AWS IoT Core's 131072-byte message limit"
        );
    }
}
