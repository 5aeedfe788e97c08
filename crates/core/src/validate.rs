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
    Err(Invalid {
        field,
        reason: reason.into(),
    })
}

/// What the user typed, quoted for a message: whole when short, else its start and its length
/// (a pasted 10,000-character value would bury the message).
pub fn quoted(value: &str) -> String {
    const LONG: usize = 64;
    let n = value.chars().count();
    if n <= LONG {
        format!("{value:?}")
    } else {
        let start: String = value.chars().take(40).collect();
        format!("\"{}…\" ({n} characters)", start.escape_debug())
    }
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
    // Commands take a name or an id (a UUID) alike: such a name could be taken for another's id.
    let trimmed = value.trim();
    if trimmed.len() == 36 && uuid::Uuid::try_parse(trimmed).is_ok() {
        return invalid(
            field,
            "it looks like an id (a UUID), and commands take names and ids alike; choose a name that does not",
        );
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
        invalid(
            "region",
            format!("{value:?} is not an AWS region code such as \"us-east-1\""),
        )
    }
}

/// An MQTT topic AWS IoT Core accepts for a publish.
pub fn publish_topic(value: &str) -> Result<(), Invalid> {
    if value.trim().is_empty() {
        return invalid("topic", "it must not be empty");
    }
    if value.trim() != value {
        return invalid(
            "topic",
            format!("{value:?} starts or ends with a space, which AWS IoT would keep as part of the topic"),
        );
    }
    if value.len() > 256 {
        return invalid(
            "topic",
            format!("it is {} bytes long; AWS IoT allows at most 256", value.len()),
        );
    }
    let slashes = value.matches('/').count();
    if slashes > 7 {
        return invalid(
            "topic",
            format!("it has {slashes} '/' separators; AWS IoT allows at most 7"),
        );
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

/// An override of an integration's AWS data endpoint.
pub fn endpoint(e: &crate::domain::EndpointOverride) -> Result<(), Invalid> {
    if let Some(host) = &e.host {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if bare.parse::<std::net::Ipv6Addr>().is_ok() {
            return invalid(
                "endpoint host",
                format!(
                    "{host:?} is an IPv6 address, which this version does not take; use a host name or an IPv4 address"
                ),
            );
        }
        // Dot-separated parts of letters, digits, '-' and '_' (an IPv4 address is such a name too).
        let part = |p: &str| {
            (1..=63).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if host.len() > 253 || !host.strip_suffix('.').unwrap_or(host).split('.').all(part) {
            return invalid("endpoint host", format!("{host:?} is not a host name or IP address"));
        }
    }
    if e.port == Some(0) {
        return invalid("endpoint port", "it must be from 1 to 65535");
    }
    if let Some(dir) = &e.cert_dir {
        if !std::path::Path::new(dir).is_dir() {
            return invalid("certificate folder", format!("{dir} does not exist or is not a folder"));
        }
    }
    if let Some(ca) = &e.ca_file {
        if !std::path::Path::new(ca).is_file() {
            return invalid("CA file", format!("{ca} does not exist or is not a file"));
        }
        pem_certificates("CA file", ca)?;
    }
    if let Some(url) = &e.api_url {
        api_url(url)?;
    }
    Ok(())
}

/// A TCP port as written in a URL: 1 to 65535.
fn port_number(p: &str) -> Option<u16> {
    p.parse::<u16>().ok().filter(|p| *p > 0)
}

/// An AWS API URL: http(s)://host[:port][/path], the port (when given) from 1 to 65535.
fn api_url(url: &str) -> Result<(), Invalid> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let Some(rest) = rest.filter(|r| !r.is_empty() && !r.contains([' ', '?', '#'])) else {
        return invalid("AWS API URL", format!("{url:?} is not an http:// or https:// URL"));
    };
    let authority = rest.split('/').next().unwrap_or_default();
    // The port follows the last ':' unless that is inside an IPv6 address's brackets.
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (h, Some(p)),
        _ => (authority, None),
    };
    if host.is_empty() || host.contains('@') {
        return invalid("AWS API URL", format!("{url:?} has no host (or has a user name in it)"));
    }
    if let Some(p) = port {
        if port_number(p).is_none() {
            return invalid(
                "AWS API URL",
                format!("{url:?} has port {p:?}; a port is from 1 to 65535"),
            );
        }
    }
    Ok(())
}

/// An AWS access key id: 16-128 upper-case letters and digits (e.g. `AKIA…`).
pub fn access_key_id(value: &str) -> Result<(), Invalid> {
    if value.len() < 16 || value.len() > 128 || !value.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
        return invalid(
            "access key id",
            "it must be 16-128 upper-case letters and digits, like AKIAIOSFODNN7EXAMPLE (the secret access key \
             is given separately)",
        );
    }
    Ok(())
}

/// An AWS secret access key as pasted: non-empty, no spaces or control characters. The value
/// itself never appears in the message.
pub fn secret_access_key(value: &str) -> Result<(), Invalid> {
    if value.is_empty() {
        return invalid("secret access key", "it is empty");
    }
    if value.len() > 256 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid(
            "secret access key",
            "it contains spaces, line breaks or other characters an AWS secret never has; paste it again",
        );
    }
    Ok(())
}

/// `mqtt://host[:port]` or `mqtts://host[:port]`; returns (tls, host, port).
pub fn mqtt_url(url: &str) -> Result<(bool, String, u16), Invalid> {
    let bad = |why: &str| Invalid {
        field: "broker URL",
        reason: format!("{url:?} {why}; expected mqtt://host:port or mqtts://host:port"),
    };
    let (tls, rest) = if let Some(r) = url.strip_prefix("mqtts://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("mqtt://") {
        (false, r)
    } else {
        return Err(bad("has no mqtt:// or mqtts:// scheme"));
    };
    let rest = rest.trim_end_matches('/');
    if rest.contains('@') {
        return Err(bad(
            "has a user name or password in it; give the user name on its own and the password as the source's secret",
        ));
    }
    if rest.contains(['/', '?', '#']) {
        return Err(bad("has a path or query after the host, which MQTT does not use"));
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, port_number(p).ok_or_else(|| bad("has a bad port"))?),
        None => (rest, if tls { 8883 } else { 1883 }),
    };
    if host.is_empty() || host.contains(['/', ' ', '@']) {
        return Err(bad("has no valid host"));
    }
    Ok((tls, host.to_string(), port))
}

/// A broker user name, when one is given: not blank (a broker without login takes none).
fn user_name(value: Option<&str>) -> Result<(), Invalid> {
    match value {
        Some(u) if u.trim().is_empty() => invalid(
            "user name",
            "it is empty; leave it out for a broker that needs no login",
        ),
        _ => Ok(()),
    }
}

/// The PEM files a source names: each readable, the CA and certificate files holding a
/// certificate and the key file a private key. (Checked when the source is saved: a wrong file
/// would otherwise show only as a TLS failure without its name.)
pub fn tls_files(files: &crate::domain::MqttTlsFiles) -> Result<(), Invalid> {
    use rustls_pki_types::pem::PemObject;
    if let Some(ca) = &files.ca_file {
        pem_certificates("CA file", ca)?;
    }
    if let Some(cert) = &files.cert_file {
        pem_certificates("client certificate file", cert)?;
    }
    if let Some(key) = &files.key_file {
        rustls_pki_types::PrivateKeyDer::from_pem_file(key).map_err(|e| pem_error("client key file", key, e))?;
    }
    Ok(())
}

/// A PEM file with at least one certificate in it.
fn pem_certificates(field: &'static str, path: &str) -> Result<(), Invalid> {
    use rustls_pki_types::pem::PemObject;
    let found = rustls_pki_types::CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_error(field, path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(field, path, e))?;
    if found.is_empty() {
        return invalid(
            field,
            format!("{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"),
        );
    }
    Ok(())
}

fn pem_error(field: &'static str, path: &str, e: rustls_pki_types::pem::Error) -> Invalid {
    use rustls_pki_types::pem::Error;
    let reason = match e {
        Error::Io(io) => format!("cannot read {path}: {io}"),
        Error::NoItemsFound => format!("{path} holds no PEM private key (-----BEGIN PRIVATE KEY-----)"),
        other => format!("{path} is not a readable PEM file: {other}"),
    };
    Invalid { field, reason }
}

/// What any MQTT topic a source uses must be: not empty, within MQTT's 65,535 bytes, without
/// control characters or spaces at its ends (pasted with the topic, they would be part of it).
fn topic_text(field: &'static str, value: &str) -> Result<(), Invalid> {
    if value.is_empty() {
        return invalid(field, "it must not be empty");
    }
    if value.len() > 65535 {
        return invalid(
            field,
            format!("it is {} bytes long; MQTT allows at most 65535", value.len()),
        );
    }
    if value.chars().any(char::is_control) {
        return invalid(
            field,
            format!("{value:?} contains a control character (a tab or a line break?)"),
        );
    }
    if value.trim() != value {
        return invalid(
            field,
            format!("{value:?} starts or ends with a space, which would be part of the topic"),
        );
    }
    Ok(())
}

/// An MQTT topic filter a source subscribes to.
pub fn topic_filter(field: &'static str, value: &str) -> Result<(), Invalid> {
    topic_text(field, value)?;
    for (i, level) in value.split('/').enumerate() {
        let last = i == value.split('/').count() - 1;
        if (level.contains('#') && (level != "#" || !last)) || (level.contains('+') && level != "+") {
            return invalid(field, format!("{value:?} uses '+' or '#' in the wrong place"));
        }
    }
    Ok(())
}

pub fn source(config: &crate::domain::SourceConfig) -> Result<(), Invalid> {
    use crate::domain::SourceConfig::*;
    match config {
        ChirpstackMqtt {
            url,
            application_id,
            username,
            ..
        } => {
            mqtt_url(url)?;
            user_name(username.as_deref())?;
            // A level of the topics subscribed to: ChirpStack's application UUID (stored as
            // ChirpStack writes it in topics: see `SourceConfig::normalized`), or `+` for every
            // application. Anything else would subscribe to a topic nothing is published on.
            let uuid = application_id.len() == 36 && uuid::Uuid::try_parse(application_id).is_ok();
            if !uuid && application_id != "+" {
                return invalid(
                    "application id",
                    format!(
                        "{application_id:?} is not a ChirpStack application id (a UUID, such as \
                         17c82e96-be03-4f38-aef3-f83d48582d97) or '+' for every application"
                    ),
                );
            }
        }
        LegacyMqtt {
            url,
            username,
            uplink_topic,
            downlink_topic,
            ..
        } => {
            mqtt_url(url)?;
            user_name(username.as_deref())?;
            topic_filter("uplink topic", uplink_topic)?;
            topic_text("downlink topic", downlink_topic)?;
            if !downlink_topic.contains("{{device_id}}") || downlink_topic.contains(['+', '#']) {
                return invalid(
                    "downlink topic",
                    format!("{downlink_topic:?} must contain {{{{device_id}}}} and no wildcards"),
                );
            }
        }
        HttpWebhook { bind, .. } => match bind.parse::<std::net::SocketAddr>() {
            Err(_) => {
                return invalid(
                    "listen address",
                    format!("{bind:?} is not an address such as 127.0.0.1:8090"),
                )
            }
            // ChirpStack must be told the port: one the system picks is never known to it.
            Ok(a) if a.port() == 0 => {
                return invalid(
                    "listen address",
                    format!("{bind:?} has port 0; give the port ChirpStack will post to, such as 8090"),
                )
            }
            Ok(_) => {}
        },
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chirpstack_application_id_is_one_topic_level_and_a_webhook_a_known_port() {
        let chirpstack = |id: &str| crate::domain::SourceConfig::ChirpstackMqtt {
            url: "mqtt://127.0.0.1:1883".into(),
            username: None,
            application_id: id.into(),
            tls: Default::default(),
        };
        source(&chirpstack("17c82e96-be03-4f38-aef3-f83d48582d97")).unwrap();
        let blank_user = crate::domain::SourceConfig::ChirpstackMqtt {
            url: "mqtt://127.0.0.1:1883".into(),
            username: Some(" ".into()),
            application_id: "+".into(),
            tls: Default::default(),
        };
        assert_eq!(
            source(&blank_user).unwrap_err().to_string(),
            "invalid user name: it is empty; leave it out for a broker that needs no login"
        );
        source(&chirpstack("+")).unwrap();
        // Any case: it is stored as ChirpStack writes it.
        source(&chirpstack("17C82E96-BE03-4F38-AEF3-F83D48582D97")).unwrap();
        for bad in [
            "",
            " ",
            "a+b",
            "++",
            "a/b",
            "#",
            "a b",
            "app\t",
            "12345",
            "app-42",
            "17c82e96be034f38aef3f83d48582d97",
            " 17c82e96-be03-4f38-aef3-f83d48582d97",
        ] {
            let e = source(&chirpstack(bad)).unwrap_err().to_string();
            assert_eq!(
                e,
                format!(
                    "invalid application id: {bad:?} is not a ChirpStack application id (a UUID, such as \
                     17c82e96-be03-4f38-aef3-f83d48582d97) or '+' for every application"
                ),
                "{bad:?}"
            );
        }
        let webhook = |bind: &str| crate::domain::SourceConfig::HttpWebhook {
            bind: bind.into(),
            require_secret: false,
        };
        source(&webhook("127.0.0.1:8090")).unwrap();
        let e = source(&webhook("127.0.0.1:0")).unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid listen address: \"127.0.0.1:0\" has port 0; give the port ChirpStack will post to, such as 8090"
        );
    }

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
            ("   ", "must not be empty"),
            (" helium/uplinks", "starts or ends with a space"),
            ("helium/uplinks\t", "starts or ends with a space"),
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
    fn mqtt_urls_and_sources() {
        assert_eq!(mqtt_url("mqtt://localhost").unwrap(), (false, "localhost".into(), 1883));
        assert_eq!(
            mqtt_url("mqtts://broker.example:8884").unwrap(),
            (true, "broker.example".into(), 8884)
        );
        for (bad, why) in [
            ("http://x", "no mqtt://"),
            ("mqtt://", "no valid host"),
            ("mqtt://h:0", "bad port"),
            ("mqtt://h:x", "bad port"),
            ("mqtt://user:pw@h:1883", "has a user name or password in it"),
            ("mqtt://h:1883/path?q=1", "has a path or query after the host"),
        ] {
            let e = mqtt_url(bad).unwrap_err().to_string();
            assert!(e.starts_with("invalid broker URL: ") && e.contains(why), "{bad}: {e}");
        }
        topic_filter("t", "helium/+/rx").unwrap();
        topic_filter("t", "a/#").unwrap();
        assert!(topic_filter("t", "a/#/b").is_err());
        assert!(topic_filter("t", "a+/b").is_err());
        let long = "a".repeat(65536);
        for (bad, why) in [
            ("", "invalid t: it must not be empty".to_string()),
            (
                long.as_str(),
                "invalid t: it is 65536 bytes long; MQTT allows at most 65535".to_string(),
            ),
            (
                "helium/+/rx\t",
                "invalid t: \"helium/+/rx\\t\" contains a control character (a tab or a line break?)".to_string(),
            ),
            (
                " helium/+/rx",
                "invalid t: \" helium/+/rx\" starts or ends with a space, which would be part of the topic".to_string(),
            ),
        ] {
            assert_eq!(topic_filter("t", bad).unwrap_err().to_string(), why);
        }
        use crate::domain::SourceConfig;
        let legacy = |downlink: &str| SourceConfig::LegacyMqtt {
            url: "mqtt://h".into(),
            username: None,
            uplink_topic: "helium/+/rx".into(),
            downlink_topic: downlink.into(),
            tls: Default::default(),
        };
        assert_eq!(
            source(&legacy("helium/{{device_id}}/tx\n")).unwrap_err().to_string(),
            "invalid downlink topic: \"helium/{{device_id}}/tx\\n\" contains a control character (a tab or a line \
             break?)"
        );
        let e = source(&SourceConfig::LegacyMqtt {
            url: "mqtt://h".into(),
            username: None,
            uplink_topic: "helium/+/rx".into(),
            downlink_topic: "helium/tx".into(),
            tls: Default::default(),
        })
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid downlink topic: \"helium/tx\" must contain {{device_id}} and no wildcards"
        );
        let e = source(&SourceConfig::HttpWebhook {
            bind: "localhost".into(),
            require_secret: false,
        })
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid listen address: \"localhost\" is not an address such as 127.0.0.1:8090"
        );
    }

    #[test]
    fn long_input_is_quoted_by_its_start_and_length() {
        assert_eq!(quoted("dev-1"), "\"dev-1\"");
        assert_eq!(
            quoted(&"x".repeat(10_000)),
            format!("\"{}…\" (10000 characters)", "x".repeat(40))
        );
    }

    #[test]
    fn names() {
        name("name", "My integration").unwrap();
        assert!(name("name", "  ")
            .unwrap_err()
            .to_string()
            .contains("must not be empty"));
        assert!(name("name", &"x".repeat(101))
            .unwrap_err()
            .to_string()
            .contains("at most 100"));
        assert_eq!(
            name("label name", " 45A2B6B8-3a21-48c7-acaa-2414c4551d69 ")
                .unwrap_err()
                .to_string(),
            "invalid label name: it looks like an id (a UUID), and commands take names and ids alike; choose a \
             name that does not"
        );
        // Hex and hyphens in other shapes are names.
        name("name", "45a2b6b8-3a21").unwrap();
        name("name", "45a2b6b83a2148c7acaa2414c4551d69 sensors").unwrap();
    }
}
