//! Checks on user input, each failing with a message the user can act on.
//! Limits are AWS IoT Core's (see the wire contract).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub reason: String,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.field, self.reason)
    }
}

impl std::error::Error for Invalid {}

fn invalid(field: &'static str, reason: impl Into<String>) -> Result<(), Invalid> {
    Err(Invalid { field, reason: reason.into() })
}

pub fn name(field: &'static str, value: &str) -> Result<(), Invalid> {
    let len = value.trim().chars().count();
    if len == 0 {
        return invalid(field, "it must not be empty");
    }
    if len > 100 {
        return invalid(field, format!("it is {len} characters long; at most 100 are allowed"));
    }
    if value.chars().any(char::is_control) {
        return invalid(field, "it must not contain control characters");
    }
    Ok(())
}

/// An AWS region code such as `us-east-1` or `us-gov-west-1`.
pub fn region(value: &str) -> Result<(), Invalid> {
    let parts: Vec<&str> = value.split('-').collect();
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok();
    if ok {
        Ok(())
    } else {
        invalid("region", format!("{value:?} is not an AWS region code such as \"us-east-1\""))
    }
}

/// An MQTT topic AWS IoT Core accepts for a publish.
pub fn publish_topic(value: &str) -> Result<(), Invalid> {
    if value.is_empty() {
        return invalid("topic", "it must not be empty");
    }
    if value.len() > 256 {
        return invalid("topic", format!("it is {} bytes long; AWS IoT allows at most 256", value.len()));
    }
    let slashes = value.matches('/').count();
    if slashes > 7 {
        return invalid("topic", format!("it has {slashes} '/' separators; AWS IoT allows at most 7"));
    }
    if value.starts_with('$') {
        return invalid("topic", "topics starting with '$' are reserved by AWS IoT");
    }
    if value.contains(['+', '#']) {
        return invalid("topic", "wildcards '+' and '#' cannot be used in a publish topic");
    }
    if value.chars().any(char::is_control) {
        return invalid("topic", "it must not contain control characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        for ok in ["us-east-1", "eu-central-1", "us-gov-west-1", "ap-southeast-2"] {
            region(ok).unwrap();
        }
        for bad in ["", "us-east", "US-EAST-1", "useast1", "us-east-x", "mars"] {
            let e = region(bad).unwrap_err();
            assert_eq!(e.field, "region");
            assert!(e.to_string().contains("is not an AWS region code"), "{e}");
        }
    }

    #[test]
    fn topics() {
        publish_topic("helium/uplinks").unwrap();
        let cases = [
            ("", "must not be empty"),
            ("$aws/things", "reserved by AWS IoT"),
            ("a/+/b", "wildcards"),
            ("a/#", "wildcards"),
            ("a/b/c/d/e/f/g/h/i", "8 '/' separators"),
        ];
        for (topic, want) in cases {
            let e = publish_topic(topic).unwrap_err().to_string();
            assert!(e.starts_with("invalid topic: "), "{e}");
            assert!(e.contains(want), "{topic:?}: {e}");
        }
        let long = "a".repeat(257);
        assert!(publish_topic(&long).unwrap_err().to_string().contains("257 bytes"));
    }

    #[test]
    fn names() {
        name("name", "My integration").unwrap();
        assert!(name("name", "  ").unwrap_err().to_string().contains("must not be empty"));
        assert!(name("name", &"x".repeat(101)).unwrap_err().to_string().contains("at most 100"));
    }
}
