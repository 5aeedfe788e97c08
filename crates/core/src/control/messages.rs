//! What goes in and out of the control plane: the requests (one per change a user can make),
//! their replies and the error every refusal carries. The desktop, the CLI and the control socket
//! all speak these.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::aws::setup::{KeysChecked, NewKeys, ProvisionSummary, RemoveOutcome, SetupError, UpdateOutcome};
use crate::domain::{
    Decoder, DecoderKind, Device, Integration, IntegrationUpdate, Label, NewIntegration, PayloadOptions, Source,
    SourceConfig,
};
use crate::store::StoreError;
use crate::vault::VaultError;

/// A secret on its way in (a broker password, an AWS secret access key): zeroed when dropped,
/// never printed, never sent back.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub Zeroizing<String>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// An IAM user's access key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Keys {
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

impl From<NewKeys> for Keys {
    fn from(k: NewKeys) -> Keys {
        Keys {
            access_key_id: k.access_key_id,
            secret_access_key: Secret(k.secret_access_key),
        }
    }
}

impl Keys {
    pub(super) fn into_new_keys(self) -> NewKeys {
        NewKeys {
            access_key_id: self.access_key_id.trim().to_string(),
            secret_access_key: self.secret_access_key.0,
        }
    }
}

/// What a label is put on or taken off.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Target {
    /// An integration's id or name.
    Integration(String),
    /// A device id, a DevEUI or a Helium Console device id.
    Device(String),
}

/// A change (and the one read only the process running the bridge can answer: its health).
/// Labels, sources and integrations are named by id or name.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    LabelAdd {
        name: String,
    },
    LabelRename {
        label: String,
        name: String,
    },
    LabelRemove {
        label: String,
    },
    /// Puts the label on every target, in one change (all or none).
    LabelAttach {
        label: String,
        targets: Vec<Target>,
    },
    /// Takes the label off every target; each must carry it.
    LabelDetach {
        label: String,
        targets: Vec<Target>,
    },
    SourceAdd {
        name: String,
        config: SourceConfig,
        secret: Option<Secret>,
    },
    /// Replaces a source's name and settings. `secret`: a new password or shared secret;
    /// `None` keeps the stored one where the settings still use it.
    SourceUpdate {
        source: String,
        name: String,
        config: SourceConfig,
        secret: Option<Secret>,
    },
    SourceSetPaused {
        source: String,
        paused: bool,
    },
    SourceRemove {
        source: String,
    },
    IntegrationAdd {
        new: NewIntegration,
        keys: Option<Keys>,
    },
    IntegrationUpdate {
        integration: String,
        update: IntegrationUpdate,
        keys: Option<Keys>,
    },
    IntegrationSetActive {
        integration: String,
        active: bool,
    },
    IntegrationRemove {
        integration: String,
        cleanup_aws: bool,
    },
    IntegrationSetPayload {
        integration: String,
        options: PayloadOptions,
    },
    SettingsSave {
        settings: crate::store::Settings,
    },
    /// Removes a device registered by a label and never heard from (e.g. a mistyped DevEUI).
    DeviceRemove {
        device: String,
    },
    /// A downlink from the user, sent the way one from AWS is (same checks, same path).
    DeviceDownlink {
        device: String,
        port: u8,
        confirmed: bool,
        /// Base64, as AWS's `payload_raw`.
        payload_raw: String,
    },
    /// Publish a downlink (AWS's JSON) for the device through AWS, with the integration's
    /// monitor identity, as an AWS user would; the bridge then takes it from AWS.
    DownlinkViaAws {
        integration: String,
        device: String,
        downlink: String,
    },
    /// A test uplink for the device (hex or base64 payload), marked `metadata.simulated`,
    /// through the running bridge like a real one.
    DeviceSimulateUplink {
        device: String,
        port: u8,
        payload: String,
    },
    /// Start or stop watching AWS for the integration (echoes of its uplinks, downlinks).
    IntegrationWatch {
        integration: String,
        on: bool,
    },
    /// Provision the integration's devices now: the running bridge does it (progress comes as
    /// events); with none running, it is done here and the summary returned.
    IntegrationProvision {
        integration: String,
    },
    DecoderAdd {
        name: String,
        kind: DecoderKind,
        /// The JavaScript; empty for Cayenne LPP.
        #[serde(default)]
        script: String,
    },
    DecoderUpdate {
        decoder: String,
        name: Option<String>,
        script: Option<String>,
    },
    DecoderRemove {
        decoder: String,
    },
    DecoderAttach {
        decoder: String,
        labels: Vec<String>,
    },
    DecoderDetach {
        decoder: String,
        labels: Vec<String>,
    },
    /// Every integration's health: its AWS sessions as the running bridge has them (with none
    /// running, `stopped` and backlogs).
    Health,
    /// The AWS watches the running bridge has (none when no bridge runs): a read, changing none.
    WatchStates,
}

/// What a change did; each request has its variant.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "done", rename_all = "snake_case")]
pub enum Reply {
    Label {
        label: Label,
    },
    LabelRemoved {
        label: Label,
    },
    /// A label was attached or detached; `registered` names the devices (by id) that attaching
    /// registered (not heard from yet).
    Linked {
        label: Label,
        integrations: Vec<Integration>,
        devices: Vec<Device>,
        registered: Vec<String>,
        /// Devices whose labels now attach two decoders (their `decoded` is an error until one
        /// goes), one line each.
        warnings: Vec<String>,
    },
    Source {
        source: Source,
    },
    SourceRemoved {
        source: Source,
        /// Whether it had a secret in the vault, now deleted.
        secret_deleted: bool,
        /// The source is gone but its secret could not be deleted.
        warning: Option<String>,
    },
    IntegrationAdded {
        integration: Integration,
        checked: Option<KeysChecked>,
    },
    IntegrationUpdated {
        outcome: UpdateOutcome,
    },
    IntegrationActive {
        integration: Integration,
    },
    IntegrationRemoved {
        outcome: RemoveOutcome,
    },
    DeviceRemoved {
        device: Device,
        /// Integrations whose AWS thing for the device stays (it was provisioned in advance)
        /// until their AWS clean-up.
        things_kept_in: Vec<String>,
    },
    DownlinkSent {
        device: Device,
    },
    /// AWS acknowledged the downlink on this topic.
    DownlinkPublished {
        device: Device,
        topic: String,
    },
    Watching {
        states: Vec<crate::bridge::WatchState>,
    },
    /// Stored for this many integrations (none: no integration shares a label with it).
    UplinkSimulated {
        device: Device,
        routes: usize,
    },
    Settings {
        settings: crate::store::Settings,
    },
    /// The running bridge is provisioning; progress comes as events.
    ProvisioningStarted {
        integration: Integration,
    },
    Provisioned {
        integration: Integration,
        summary: ProvisionSummary,
    },
    Decoder {
        decoder: Decoder,
    },
    DecoderRemoved {
        decoder: Decoder,
    },
    /// A decoder attached or detached; `warnings` as for `Linked`.
    DecoderLinked {
        decoder: Decoder,
        warnings: Vec<String>,
    },
    Health {
        integrations: Vec<crate::bridge::IntegrationHealth>,
    },
}

/// Why a change was refused: a stable `code` the UI and CLI can react to, a message for the
/// user, and the technical detail when there is more to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct ControlError {
    /// `not_found`, `conflict`, `invalid`, `aws`, `vault`, `store`, `unavailable` (the data or
    /// the bridge is not there), `bad_request`, `internal`.
    pub code: String,
    pub message: String,
    pub detail: Option<String>,
}

impl ControlError {
    pub fn new(code: &str, message: impl Into<String>) -> ControlError {
        ControlError {
            code: code.into(),
            message: message.into(),
            detail: None,
        }
    }
}

impl From<StoreError> for ControlError {
    fn from(e: StoreError) -> Self {
        let code = match &e {
            StoreError::NotFound(_) => "not_found",
            StoreError::Conflict(_) => "conflict",
            StoreError::Invalid(_) => "invalid",
            StoreError::TooNew { .. } | StoreError::Sqlite(_) => "store",
        };
        ControlError::new(code, e.to_string())
    }
}

impl From<SetupError> for ControlError {
    fn from(e: SetupError) -> Self {
        match e {
            SetupError::Store(s) => s.into(),
            SetupError::Invalid(_) => ControlError::new("invalid", e.to_string()),
            SetupError::Vault(_) => ControlError::new("vault", e.to_string()),
            SetupError::Credentials(_) | SetupError::Cleanup(_) => ControlError::new("aws", e.to_string()),
        }
    }
}

impl From<VaultError> for ControlError {
    fn from(e: VaultError) -> Self {
        ControlError::new("vault", e.to_string())
    }
}

impl From<tokio::task::JoinError> for ControlError {
    fn from(e: tokio::task::JoinError) -> Self {
        ControlError::new("internal", e.to_string())
    }
}
