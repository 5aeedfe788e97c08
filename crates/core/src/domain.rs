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
    #[ts(type = "number")]
    pub created_at_ms: i64,
    #[ts(type = "number")]
    pub updated_at_ms: i64,
}

/// What a user supplies to create an integration; validated by the store.
#[derive(Debug, Clone)]
pub struct NewIntegration {
    pub kind: IntegrationKind,
    pub name: String,
    pub region: String,
    pub topic: String,
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
#[derive(Debug, Clone)]
pub struct DeviceSeen {
    pub id: String,
    pub name: String,
    pub dev_eui: String,
    pub app_eui: Option<String>,
    pub devaddr: Option<String>,
    pub source: String,
    pub seen_at_ms: i64,
}
