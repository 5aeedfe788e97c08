//! Domain types shared by the store, the CLI and the IPC boundary.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationKind {
    AwsIotCore,
}

impl IntegrationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationKind::AwsIotCore => "aws_iot_core",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "aws_iot_core" => Some(IntegrationKind::AwsIotCore),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Integration {
    pub id: String,
    pub kind: IntegrationKind,
    pub name: String,
    pub active: bool,
    pub region: String,
    pub topic: String,
    pub endpoint: EndpointOverride,
    /// Forward join events too (as `"type": "join"`).
    pub forward_joins: bool,
    /// The IAM user whose keys provision this integration's devices (`None`: the integration
    /// uses certificates from `endpoint.cert_dir`). The secret is in the keychain only.
    pub aws: Option<AwsAccount>,
    /// What its messages carry beyond the uplink itself.
    pub payload: PayloadOptions,
    #[ts(type = "number")]
    pub created_at_ms: i64,
    #[ts(type = "number")]
    pub updated_at_ms: i64,
}

/// Per integration: what goes out with each uplink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PayloadOptions {
    /// Include `decoded` (the device's decoder's result, or ChirpStack's `object`).
    pub decoded: bool,
    /// With no decoder of the bridge's, pass ChirpStack's `object` (or a legacy `decoded`) as
    /// `decoded`.
    pub source_object: bool,
    /// Update the thing's classic shadow (`reported`) with each decoded uplink and its radio
    /// metadata.
    pub shadow: bool,
}

impl Default for PayloadOptions {
    fn default() -> Self {
        PayloadOptions {
            decoded: true,
            source_object: true,
            shadow: false,
        }
    }
}

/// What a user supplies to create an integration; validated by the store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewIntegration {
    pub kind: IntegrationKind,
    pub name: String,
    pub region: String,
    pub topic: String,
    pub endpoint: EndpointOverride,
    pub forward_joins: bool,
}

/// The IAM user an integration provisions with, as AWS reported it when the keys were checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AwsAccount {
    pub access_key_id: String,
    /// The 12-digit AWS account id.
    pub account: String,
    /// e.g. `arn:aws:iam::123456789012:user/HeliumIntegrationAccess`.
    pub user_arn: String,
}

/// Changes to an integration's settings; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IntegrationUpdate {
    pub name: Option<String>,
    pub region: Option<String>,
    pub topic: Option<String>,
    pub endpoint: Option<EndpointOverride>,
    pub forward_joins: Option<bool>,
    pub aws: Option<AwsAccount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Label {
    pub id: String,
    pub name: String,
}

/// A label with how many devices and integrations carry it, for list views.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LabelSummary {
    pub id: String,
    pub name: String,
    #[ts(type = "number")]
    pub device_count: i64,
    #[ts(type = "number")]
    pub integration_count: i64,
    /// Ids of the devices carrying it.
    pub devices: Vec<String>,
    /// Ids of the integrations carrying it.
    pub integrations: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Device {
    /// Device id = AWS IoT thing name.
    pub id: String,
    pub name: String,
    pub dev_eui: String,
    pub app_eui: Option<String>,
    pub devaddr: Option<String>,
    /// The Helium-side source the device was last seen on.
    pub source: String,
    #[ts(type = "number | null")]
    pub last_seen_ms: Option<i64>,
    #[ts(type = "number")]
    pub uplinks: i64,
    #[ts(type = "number")]
    pub downlinks: i64,
    #[ts(type = "number")]
    pub errors: i64,
}

/// A device as a source reports it on an uplink; registers or refreshes the device.
#[derive(Debug, Clone, Default)]
pub struct DeviceSeen {
    pub id: String,
    pub name: String,
    pub dev_eui: String,
    pub app_eui: Option<String>,
    pub devaddr: Option<String>,
    pub source: String,
    /// ChirpStack application id, needed to address downlinks.
    pub application_id: Option<String>,
    pub seen_at_ms: i64,
}

/// Where an integration's devices connect on the AWS side, when the user overrides what AWS
/// reports (custom domains, private endpoints, test stand-ins).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EndpointOverride {
    pub host: Option<String>,
    pub port: Option<u16>,
    /// PEM file of the CA that signs the endpoint's server certificate.
    pub ca_file: Option<String>,
    /// A folder of device certificates the user made in AWS themselves
    /// (`{device_id}.cert.pem` + `{device_id}.key.pem`), used instead of provisioning.
    pub cert_dir: Option<String>,
    /// Where AWS API (control-plane) calls go instead of AWS's own endpoints: a VPC endpoint,
    /// or a stand-in such as moto in tests. `http(s)://host[:port]`.
    #[serde(default)]
    pub api_url: Option<String>,
}

/// A Helium-side source of uplinks and carrier of downlinks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Source {
    pub id: String,
    pub name: String,
    pub config: SourceConfig,
    /// Paused by the user: kept, but not connected.
    #[serde(default)]
    pub paused: bool,
    #[ts(type = "number")]
    pub created_at_ms: i64,
}

/// How to reach a source. Passwords and shared secrets are not here: they live in the OS
/// keychain under `source/{id}/secret`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceConfig {
    /// A ChirpStack v4 MQTT integration (how Helium devices reach users today).
    ChirpstackMqtt {
        /// `mqtt://host:port` or `mqtts://host:port`.
        url: String,
        username: Option<String>,
        /// ChirpStack application id, or `+` for all applications.
        application_id: String,
        #[serde(default)]
        tls: MqttTlsFiles,
    },
    /// Helium-Console-style MQTT: legacy Helium JSON in and out.
    LegacyMqtt {
        url: String,
        username: Option<String>,
        /// Default `helium/+/rx`.
        uplink_topic: String,
        /// Default `helium/{{device_id}}/tx`.
        downlink_topic: String,
        #[serde(default)]
        tls: MqttTlsFiles,
    },
    /// A local HTTP server for ChirpStack's HTTP integration and legacy Helium JSON.
    HttpWebhook {
        /// Address to listen on; default `127.0.0.1:8090`.
        bind: String,
        /// Requests must carry the shared secret kept in the keychain.
        #[serde(default)]
        require_secret: bool,
    },
}

impl SourceConfig {
    /// The settings as they are kept: a ChirpStack application id in lowercase, as ChirpStack
    /// writes it in its topics (an id typed in capitals would subscribe to topics nothing is
    /// published on).
    pub fn normalized(mut self) -> SourceConfig {
        if let SourceConfig::ChirpstackMqtt { application_id, .. } = &mut self {
            application_id.make_ascii_lowercase();
        }
        self
    }

    /// What these settings do with a secret: a broker password (MQTT with a username), the
    /// webhook's shared secret (when it requires one), or nothing.
    pub fn secret_use(&self) -> Option<&'static str> {
        match self {
            SourceConfig::ChirpstackMqtt { username, .. } | SourceConfig::LegacyMqtt { username, .. } => {
                username.as_ref().map(|_| "password")
            }
            SourceConfig::HttpWebhook { require_secret, .. } => require_secret.then_some("shared secret"),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            SourceConfig::ChirpstackMqtt { .. } => "chirpstack_mqtt",
            SourceConfig::LegacyMqtt { .. } => "legacy_mqtt",
            SourceConfig::HttpWebhook { .. } => "http_webhook",
        }
    }
}

/// Optional PEM files for an `mqtts://` source: a CA to trust and a client certificate + key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MqttTlsFiles {
    pub ca_file: Option<String>,
    pub cert_file: Option<String>,
    pub key_file: Option<String>,
}

/// What a decoder is: the built-in Cayenne LPP, or a user's JavaScript in one of the two shapes
/// users already have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DecoderKind {
    Cayenne,
    /// Helium Console's `function Decoder(bytes, port, uplink_info)`.
    Helium,
    /// ChirpStack / TTN v3's `function decodeUplink(input)` → `{data, warnings, errors}`.
    DecodeUplink,
}

impl DecoderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DecoderKind::Cayenne => "cayenne",
            DecoderKind::Helium => "helium",
            DecoderKind::DecodeUplink => "decode_uplink",
        }
    }

    pub fn parse(s: &str) -> Option<DecoderKind> {
        [DecoderKind::Cayenne, DecoderKind::Helium, DecoderKind::DecodeUplink]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A decoder and the labels it is attached to: a device gets the decoder of its labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Decoder {
    pub id: String,
    pub name: String,
    pub kind: DecoderKind,
    /// The JavaScript; empty for Cayenne LPP.
    pub script: String,
    pub labels: Vec<Label>,
    #[ts(type = "number")]
    pub updated_at_ms: i64,
}
