//! Types that cross the desktop IPC boundary, and the TypeScript generated from them.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::aws::provision::CleanupReport;
use crate::aws::setup::{KeysChecked, NewKeys, RemoveOutcome, UpdateOutcome};
use crate::bridge::{ConnectionState, IntegrationHealth, SessionState};
use crate::control::{Changed, Secret, Target};
use crate::domain::{
    AwsAccount, Device, EndpointOverride, Integration, IntegrationKind, IntegrationUpdate, Label, LabelSummary,
    MqttTlsFiles, NewIntegration, Source, SourceConfig,
};
use crate::events::Event;
use crate::sources::Probe;
use crate::views::{DeviceDetails, DeviceRoute, IntegrationDetails, PipedDevice};

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    pub data_dir: String,
    /// Set when the app could not open its data (e.g. another process holds the data dir).
    pub startup_error: Option<String>,
}

/// A history export that was written.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Exported {
    pub path: String,
    #[ts(type = "number")]
    pub count: u64,
}

/// What a failing command rejects with on the UI side: the control plane's error, so the UI can
/// react to its `code` and show its `detail` on request.
pub type IpcError = crate::control::ControlError;

/// Whether the desktop app's in-process bridge is running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BridgeStatus {
    Starting,
    Running,
    /// It could not start; the pages that only read the store still work.
    Failed {
        error: String,
    },
    /// Not started (the data could not be opened) or shut down.
    Stopped,
}

/// An IAM user's access key as the wizard sends it. Not `Debug`: the secret must never be
/// formatted; it is moved into a zeroing buffer at once.
#[derive(Deserialize, TS)]
pub struct KeysInput {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl KeysInput {
    pub fn into_keys(self) -> NewKeys {
        NewKeys {
            access_key_id: self.access_key_id.trim().to_string(),
            secret_access_key: zeroize::Zeroizing::new(self.secret_access_key),
        }
    }
}

/// The wizard's "Check keys" step.
#[derive(Deserialize, TS)]
pub struct CheckKeysInput {
    pub keys: KeysInput,
    pub region: String,
    pub api_url: Option<String>,
}

/// A new integration from the wizard: keys (checked with AWS before it is saved) or a
/// certificate folder.
#[derive(Deserialize, TS)]
pub struct NewIntegrationInput {
    pub name: String,
    pub region: String,
    pub topic: String,
    pub endpoint: EndpointOverride,
    pub forward_joins: bool,
    pub keys: Option<KeysInput>,
}

impl NewIntegrationInput {
    pub fn into_parts(self) -> (NewIntegration, Option<NewKeys>) {
        let new = NewIntegration {
            kind: IntegrationKind::AwsIotCore,
            name: self.name,
            region: self.region.trim().to_string(),
            topic: self.topic,
            endpoint: self.endpoint,
            forward_joins: self.forward_joins,
        };
        (new, self.keys.map(KeysInput::into_keys))
    }
}

/// "Update your AWS connection details": what changes (`null` keeps a setting).
#[derive(Deserialize, TS)]
pub struct UpdateIntegrationInput {
    pub name: Option<String>,
    pub region: Option<String>,
    pub topic: Option<String>,
    pub endpoint: Option<EndpointOverride>,
    pub forward_joins: Option<bool>,
    pub keys: Option<KeysInput>,
}

impl UpdateIntegrationInput {
    pub fn into_parts(self) -> (IntegrationUpdate, Option<NewKeys>) {
        let update = IntegrationUpdate {
            name: self.name,
            region: self.region.map(|r| r.trim().to_string()),
            topic: self.topic,
            endpoint: self.endpoint,
            forward_joins: self.forward_joins,
            aws: None,
        };
        (update, self.keys.map(KeysInput::into_keys))
    }
}

/// A source from the Sources page. `secret`: its broker password or webhook shared secret;
/// on an edit, `null` keeps the stored one. Not `Debug`: the secret is never formatted.
#[derive(Deserialize, TS)]
pub struct SourceInput {
    pub name: String,
    pub config: SourceConfig,
    pub secret: Option<String>,
}

impl SourceInput {
    pub fn into_parts(self) -> (String, SourceConfig, Option<Secret>) {
        let secret = self
            .secret
            .filter(|s| !s.is_empty())
            .map(|s| Secret(zeroize::Zeroizing::new(s)));
        (self.name, self.config, secret)
    }
}

/// "Test" on the Sources page: the settings in the form; without a secret, a saved source's
/// (`id`) stored one is used.
#[derive(Deserialize, TS)]
pub struct SourceTestInput {
    pub id: Option<String>,
    pub config: SourceConfig,
    pub secret: Option<String>,
    /// How long to wait for a first uplink, in seconds (at most 60).
    pub wait_secs: u32,
}

impl SourceTestInput {
    pub async fn run(self, core: &crate::Core) -> Result<Probe, crate::control::ControlError> {
        let wait = std::time::Duration::from_secs(self.wait_secs.min(60).into());
        let secret = self.secret.map(zeroize::Zeroizing::new);
        let id = match &self.id {
            Some(id) => Some(core.store().find_source(id)?.id),
            None => None,
        };
        Ok(crate::sources::probe_with_stored(id.as_deref(), &self.config, secret, wait).await?)
    }
}

/// A removed source.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SourceRemoved {
    pub name: String,
    /// Its password or shared secret was deleted from the keychain.
    pub secret_deleted: bool,
    /// The source is gone, but something after that failed.
    pub warning: Option<String>,
}

/// A label put on or taken off.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct LabelLinked {
    pub label: Label,
    /// What the user should know: devices whose labels now attach two decoders.
    pub warnings: Vec<String>,
}

/// A decoder attached to labels or detached from them.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct DecoderLinked {
    pub decoder: crate::domain::Decoder,
    /// What the user should know: devices whose labels now attach two decoders.
    pub warnings: Vec<String>,
}

/// Where the generated file lives, relative to the workspace root.
pub const BINDINGS_PATH: &str = "ui/src/bindings.ts";

/// The whole `ui/src/bindings.ts`, rendered from the Rust types.
pub fn typescript_bindings() -> String {
    let decls = [
        AppInfo::decl(),
        IntegrationKind::decl(),
        EndpointOverride::decl(),
        AwsAccount::decl(),
        Integration::decl(),
        KeysInput::decl(),
        CheckKeysInput::decl(),
        NewIntegrationInput::decl(),
        UpdateIntegrationInput::decl(),
        KeysChecked::decl(),
        UpdateOutcome::decl(),
        CleanupReport::decl(),
        RemoveOutcome::decl(),
        MqttTlsFiles::decl(),
        SourceConfig::decl(),
        Source::decl(),
        SourceInput::decl(),
        SourceTestInput::decl(),
        Probe::decl(),
        SourceRemoved::decl(),
        Target::decl(),
        Label::decl(),
        LabelSummary::decl(),
        LabelLinked::decl(),
        Changed::decl(),
        Device::decl(),
        crate::control::ControlError::decl(),
        Event::decl(),
        ConnectionState::decl(),
        crate::store::Settings::decl(),
        SessionState::decl(),
        IntegrationHealth::decl(),
        PipedDevice::decl(),
        IntegrationDetails::decl(),
        DeviceRoute::decl(),
        crate::views::DeviceDecoderView::decl(),
        DeviceDetails::decl(),
        BridgeStatus::decl(),
        crate::domain::PayloadOptions::decl(),
        crate::domain::DecoderKind::decl(),
        crate::domain::Decoder::decl(),
        DecoderLinked::decl(),
        crate::codec::decoder::DecoderTrial::decl(),
        crate::bridge::RecentPayload::decl(),
        crate::monitor::Direction::decl(),
        crate::monitor::MessageRow::decl(),
        crate::monitor::Message::decl(),
        crate::monitor::MessageFilter::decl(),
        crate::monitor::Cursor::decl(),
        crate::monitor::HistoryPage::decl(),
        crate::monitor::Seen::decl(),
        crate::monitor::LiveBatch::decl(),
        crate::bridge::WatchPhase::decl(),
        crate::bridge::WatchState::decl(),
        crate::monitor::ExportFormat::decl(),
        crate::monitor::SeriesField::decl(),
        crate::monitor::SeriesColumn::decl(),
        crate::monitor::Series::decl(),
        crate::monitor::Rate::decl(),
        Exported::decl(),
    ];
    let mut out = String::from(
        "// This file is generated from Rust by `cargo test -p helium-bridge-core` (ts-rs). Do not edit.\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push('\n');
    }
    out.push_str("/** What a failing command rejects with. */\nexport type IpcError = ControlError;\n");
    // Values the UI offers come from the same constants the core checks against.
    let regions: Vec<String> = crate::aws::provision::credentials::IOT_CORE_REGIONS
        .iter()
        .map(|r| format!("{r:?}"))
        .collect();
    out.push_str(&format!(
        "/** The regions where AWS IoT Core is offered (what the core accepts). */\nexport const IOT_CORE_REGIONS: readonly string[] = [{}];\n",
        regions.join(", ")
    ));
    out
}

#[cfg(test)]
mod tests {
    /// Fails when `ui/src/bindings.ts` no longer matches the Rust types; run with
    /// `UPDATE_BINDINGS=1` to rewrite it.
    #[test]
    fn generated_typescript_bindings_are_up_to_date() {
        let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(super::BINDINGS_PATH);
        let want = super::typescript_bindings();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} is stale: run `UPDATE_BINDINGS=1 cargo test -p helium-bridge-core ipc` and commit it",
            super::BINDINGS_PATH
        );
    }
}
