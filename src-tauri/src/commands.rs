//! The IPC commands: one table (see `table.rs`), from which the invoke handler and
//! `ui/src/commands.ts` are made; argument and result types are in `ui/src/bindings.ts`.

use helium_bridge_core::aws::setup::{self, KeysChecked, RemoveOutcome, UpdateOutcome};
use helium_bridge_core::bridge::ConnectionState;
use helium_bridge_core::bridge::IntegrationHealth;
use helium_bridge_core::bridge::RecentPayload;
use helium_bridge_core::bridge::WatchState;
use helium_bridge_core::codec::decoder::{self as decoding, DecoderTrial};
use helium_bridge_core::control::{Changed, Reply, Request, Target};
use helium_bridge_core::domain::{
    Decoder, DecoderKind, Device, Integration, Label, LabelSummary, PayloadOptions, Source,
};
use helium_bridge_core::events::{self, Event};
use helium_bridge_core::ipc::{
    AppInfo, BridgeStatus, CheckKeysInput, DecoderLinked, Exported, IpcError, LabelLinked, NewIntegrationInput,
    SourceInput, SourceRemoved, SourceTestInput, UpdateIntegrationInput,
};
use helium_bridge_core::sources::Probe;
use helium_bridge_core::store::Settings;
use helium_bridge_core::views::{self, DeviceDetails, IntegrationDetails};
use helium_bridge_core::Core;
use tauri::ipc::Channel;
use tauri::State;

use helium_bridge_core::monitor::{
    self, Cursor, ExportFormat, HistoryPage, LiveBatch, Message, MessageFilter, MessageRow, Rate, Series, SeriesField,
};

use crate::stream::{BATCH_INTERVAL, BATCH_MAX, LIVE_INTERVAL, LIVE_MAX};
use crate::table::commands;
use crate::AppState;

/// Why commands cannot reach the core: the data could not be opened at startup.
fn not_open(state: &State<'_, AppState>) -> IpcError {
    let why = state.info.startup_error.clone();
    IpcError::new(
        "unavailable",
        why.unwrap_or_else(|| "the app's data is not open".into()),
    )
}

fn core<'a>(state: &'a State<'_, AppState>) -> Result<&'a Core, IpcError> {
    state.core.as_deref().ok_or_else(|| not_open(state))
}

/// Makes a change through the control plane (the same path the CLI's take).
async fn change(state: &State<'_, AppState>, req: Request) -> Result<Reply, IpcError> {
    let control = state.control.clone().ok_or_else(|| not_open(state))?;
    control.handle(req).await
}

/// Runs `f` on a blocking thread: off the async runtime's threads, and off the main thread (a
/// `sync` command of the table, a history query).
async fn blocking<T: Send + 'static, E: Into<IpcError> + Send + 'static>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, IpcError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| IpcError::new("internal", e.to_string()))?
        .map_err(Into::into)
}

fn unexpected(reply: Reply) -> IpcError {
    IpcError::new("internal", format!("unexpected answer: {reply:?}"))
}

fn label_of(reply: Reply) -> Result<Label, IpcError> {
    match reply {
        Reply::Label { label } | Reply::LabelRemoved { label } => Ok(label),
        other => Err(unexpected(other)),
    }
}

fn label_linked(reply: Reply) -> Result<LabelLinked, IpcError> {
    match reply {
        Reply::Linked { label, warnings, .. } => Ok(LabelLinked { label, warnings }),
        other => Err(unexpected(other)),
    }
}

fn decoder_linked(reply: Reply) -> Result<DecoderLinked, IpcError> {
    match reply {
        Reply::DecoderLinked { decoder, warnings } => Ok(DecoderLinked { decoder, warnings }),
        other => Err(unexpected(other)),
    }
}

fn decoder_of(reply: Reply) -> Result<Decoder, IpcError> {
    match reply {
        Reply::Decoder { decoder } | Reply::DecoderRemoved { decoder } => Ok(decoder),
        other => Err(unexpected(other)),
    }
}

fn source_of(reply: Reply) -> Result<Source, IpcError> {
    match reply {
        Reply::Source { source } => Ok(source),
        other => Err(unexpected(other)),
    }
}

commands! {
    sync fn app_info(state) -> AppInfo {
        Ok(state.info.clone())
    }

    sync fn list_integrations(state) -> Vec<Integration> {
        Ok(core(&state)?.store().list_integrations()?)
    }

    sync fn list_labels(state) -> Vec<LabelSummary> {
        Ok(core(&state)?.store().list_labels()?)
    }

    sync fn list_devices(state) -> Vec<Device> {
        Ok(core(&state)?.store().list_devices()?)
    }

    sync fn bridge_status(state) -> BridgeStatus {
        Ok(state.bridge.status())
    }

    sync fn source_states(state) -> Vec<ConnectionState> {
        state.bridge.source_states()
    }

    async fn set_integration_active(state, id: String, active: bool) -> () {
        change(
            &state,
            Request::IntegrationSetActive {
                integration: id,
                active,
            },
        )
        .await
        .map(drop)
    }

    /// Tells `channel` what changed (from the app or the CLI) until the app closes, so views
    /// reload. Works offline and while the bridge is stopped.
    sync fn subscribe_changes(state, channel: Channel<Changed>) -> () {
        let control = state.control.clone().ok_or_else(|| not_open(&state))?;
        let mut rx = control.subscribe();
        tauri::async_runtime::spawn(async move {
            loop {
                let changed = match rx.recv().await {
                    Ok(c) => c,
                    // Missed some: everything may have changed.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => Changed {
                        what: ["labels", "devices", "sources", "integrations"]
                            .map(String::from)
                            .to_vec(),
                    },
                    Err(_) => return,
                };
                if channel.send(changed).is_err() {
                    return;
                }
            }
        });
        Ok(())
    }

    async fn create_label(state, name: String) -> Label {
        label_of(change(&state, Request::LabelAdd { name }).await?)
    }

    async fn rename_label(state, id: String, name: String) -> Label {
        label_of(change(&state, Request::LabelRename { label: id, name }).await?)
    }

    async fn remove_label(state, id: String) -> Label {
        label_of(change(&state, Request::LabelRemove { label: id }).await?)
    }

    /// Puts the label on every target (`{kind: "device" | "integration", id}`; a device also by
    /// DevEUI), all or none.
    async fn attach_label(state, id: String, targets: Vec<Target>) -> LabelLinked {
        label_linked(change(&state, Request::LabelAttach { label: id, targets }).await?)
    }

    /// Takes the label off every target (each must carry it), all or none.
    async fn detach_label(state, id: String, targets: Vec<Target>) -> LabelLinked {
        label_linked(change(&state, Request::LabelDetach { label: id, targets }).await?)
    }

    sync fn list_sources(state) -> Vec<Source> {
        Ok(core(&state)?.store().list_sources()?)
    }

    /// Adds a source (its secret goes to the keychain only); the running bridge starts it at once.
    async fn add_source(state, input: SourceInput) -> Source {
        let (name, config, secret) = input.into_parts();
        source_of(change(&state, Request::SourceAdd { name, config, secret }).await?)
    }

    /// Replaces a source's settings; the running bridge restarts it with them.
    async fn update_source(state, id: String, input: SourceInput) -> Source {
        let (name, config, secret) = input.into_parts();
        let req = Request::SourceUpdate {
            source: id,
            name,
            config,
            secret,
        };
        source_of(change(&state, req).await?)
    }

    async fn set_source_paused(state, id: String, paused: bool) -> Source {
        source_of(change(&state, Request::SourceSetPaused { source: id, paused }).await?)
    }

    async fn remove_source(state, id: String) -> SourceRemoved {
        match change(&state, Request::SourceRemove { source: id }).await? {
            Reply::SourceRemoved {
                source,
                secret_deleted,
                warning,
            } => Ok(SourceRemoved {
                name: source.name,
                secret_deleted,
                warning,
            }),
            other => Err(unexpected(other)),
        }
    }

    /// Connects with the form's settings and reports what it found; changes nothing.
    async fn test_source(state, input: SourceTestInput) -> Probe {
        input.run(core(&state)?).await
    }

    /// Every integration's health: worst session state, backlog, deliveries.
    sync fn integration_health(state) -> Vec<IntegrationHealth> {
        state.bridge.integration_health(core(&state)?)
    }

    sync fn integration_details(state, id: String) -> IntegrationDetails {
        views::integration_details(core(&state)?, &state.bridge, &id)
    }

    sync fn device_details(state, id: String) -> DeviceDetails {
        views::device_details(core(&state)?, &state.bridge, &id)
    }

    /// Removes a device a label registered and that was never heard from (a mistyped DevEUI).
    async fn remove_device(state, id: String) -> Device {
        match change(&state, Request::DeviceRemove { device: id }).await? {
            Reply::DeviceRemoved { device, .. } => Ok(device),
            other => Err(unexpected(other)),
        }
    }

    /// A downlink from the device page, through the same checks and path as one from AWS.
    async fn send_downlink(state, id: String, port: u8, confirmed: bool, payload_raw: String) -> () {
        let req = Request::DeviceDownlink {
            device: id,
            port,
            confirmed,
            payload_raw,
        };
        change(&state, req).await.map(drop)
    }

    sync fn get_settings(state) -> Settings {
        Ok(core(&state)?.store().settings()?)
    }

    async fn save_settings(state, settings: Settings) -> Settings {
        match change(&state, Request::SettingsSave { settings }).await? {
            Reply::Settings { settings } => Ok(settings),
            other => Err(unexpected(other)),
        }
    }

    /// The newest `limit` events, oldest first.
    sync fn recent_events(state, limit: usize) -> Vec<Event> {
        Ok(core(&state)?.store().recent_events(limit)?)
    }

    /// Streams live events into `channel` in batches until `unsubscribe_events(channel.id)`.
    /// Resolves once the stream is attached (after the bridge has started).
    async fn subscribe_events(state, channel: Channel<Vec<Event>>) -> () {
        let rx = state.bridge.subscribe().await?;
        let id = channel.id();
        let task = tauri::async_runtime::spawn(events::forward_batches(rx, BATCH_INTERVAL, BATCH_MAX, move |batch| {
            channel.send(batch).is_ok()
        }));
        state.subscriptions.insert(id, task);
        Ok(())
    }

    /// Streams the messages `filter` lets through into `channel` (at most four batches a second,
    /// each the newest few hundred; what is skipped is counted) until
    /// `unsubscribe_events(channel.id)`. Works while the bridge is stopped.
    sync fn subscribe_messages(state, filter: MessageFilter, channel: Channel<LiveBatch>) -> () {
        let rx = core(&state)?.monitor().subscribe();
        let id = channel.id();
        let task = tauri::async_runtime::spawn(monitor::forward_live(rx, filter, LIVE_INTERVAL, LIVE_MAX, move |batch| {
            channel.send(batch).is_ok()
        }));
        state.subscriptions.insert(id, task);
        Ok(())
    }

    /// A page of the history, newest first, after `after` (`limit` up to 1,000).
    async fn search_history(state, filter: MessageFilter, after: Option<Cursor>, limit: usize) -> HistoryPage {
        let core = state.core.clone().ok_or_else(|| not_open(&state))?;
        blocking(move || core.monitor().reader_up_to_now()?.search(&filter, after, limit)).await
    }

    /// One message with its JSON and source event; `null` when retention removed it.
    async fn get_message(state, id: i64) -> Option<Message> {
        let core = state.core.clone().ok_or_else(|| not_open(&state))?;
        blocking(move || core.monitor().get(id)).await
    }

    /// The messages about the same uplink as message `id` (its copy per integration, the
    /// errors about it, itself).
    async fn related_messages(state, id: i64) -> Vec<MessageRow> {
        let core = state.core.clone().ok_or_else(|| not_open(&state))?;
        blocking(move || core.monitor().reader_up_to_now()?.related(id)).await
    }

    /// Writes what `filter` finds to a file the user picks in a save dialog, streamed; `null`
    /// when they cancel.
    async fn export_history(state, filter: MessageFilter, format: ExportFormat) -> Option<Exported> {
        use tauri_plugin_dialog::DialogExt;
        let history = core(&state)?.monitor().reader()?;
        let extension = match format {
            ExportFormat::Csv => "csv",
            ExportFormat::Ndjson => "ndjson",
        };
        let app = state.app.get().ok_or_else(|| IpcError::new("unavailable", "the window is not ready"))?;
        let dialog = app.dialog().clone();
        let path = blocking(move || {
            Ok::<_, IpcError>(helium_bridge_core::test_hooks::export_path().or_else(|| {
                dialog
                    .file()
                    .set_title("Export messages")
                    .set_file_name(format!("helium-messages.{extension}"))
                    .add_filter(extension.to_uppercase(), &[extension])
                    .blocking_save_file()
                    .and_then(|p| p.into_path().ok())
            }))
        })
        .await?;
        let Some(path) = path else { return Ok(None) };
        blocking(move || -> Result<_, helium_bridge_core::StoreError> {
            let file = std::fs::File::create(&path).map_err(|e| {
                helium_bridge_core::StoreError::Conflict(format!("cannot write {}: {e}", path.display()))
            })?;
            let count = monitor::export(&history, &filter, format, file)?;
            Ok(Some(Exported { path: path.display().to_string(), count }))
        })
        .await
    }

    /// The numbers a chart can show for the device: RSSI, SNR and those in its decoded payload.
    async fn series_fields(state, device: String) -> Vec<SeriesField> {
        let history = core(&state)?.monitor().reader()?;
        blocking(move || history.series_fields(&device)).await
    }

    /// The device's uplinks in `[from_ms, to_ms)` with the numbers at `paths` (up to 8), oldest
    /// first; at most the newest 5,000.
    async fn device_series(state, device: String, from_ms: i64, to_ms: i64, paths: Vec<String>) -> Series {
        let history = core(&state)?.monitor().reader()?;
        blocking(move || history.series(&device, from_ms, to_ms, &paths)).await
    }

    /// The integration's uplinks per second in `bucket_ms` buckets over `[from_ms, to_ms)`.
    async fn uplink_rate(state, id: String, from_ms: i64, to_ms: i64, bucket_ms: i64) -> Rate {
        let history = core(&state)?.monitor().reader()?;
        blocking(move || history.uplink_rate(&id, from_ms, to_ms, bucket_ms)).await
    }

    /// Ends the stream of the channel with this id; false if there was none.
    sync fn unsubscribe_events(state, id: u32) -> bool {
        Ok(state.subscriptions.remove(id))
    }

    /// The wizard's "Check keys": whose keys they are, and the region's IoT data endpoint. Nothing
    /// is saved.
    async fn check_aws_keys(state, input: CheckKeysInput) -> KeysChecked {
        let keys = input.keys.into_keys();
        Ok(setup::check_keys(&keys, input.region.trim(), input.api_url.as_deref()).await?)
    }

    /// Adds an integration (its keys are checked with AWS first; the secret goes to the vault).
    /// Its devices get sessions as labels link them; a running bridge is asked to provision any
    /// already linked.
    async fn add_integration(state, input: NewIntegrationInput) -> Integration {
        let (new, keys) = input.into_parts();
        let keys = keys.map(Into::into);
        match change(&state, Request::IntegrationAdd { new, keys }).await? {
            Reply::IntegrationAdded { integration, .. } => Ok(integration),
            other => Err(unexpected(other)),
        }
    }

    /// "Update your AWS connection details"; the running bridge restarts the integration's
    /// sessions with the new settings.
    async fn update_integration(state, id: String, input: UpdateIntegrationInput) -> UpdateOutcome {
        let (update, keys) = input.into_parts();
        let keys = keys.map(Into::into);
        let req = Request::IntegrationUpdate {
            integration: id,
            update,
            keys,
        };
        match change(&state, req).await? {
            Reply::IntegrationUpdated { outcome } => Ok(outcome),
            other => Err(unexpected(other)),
        }
    }

    /// Removes an integration, with or without cleaning up what the bridge created in AWS (its
    /// sessions stop first, and come back if it is kept).
    async fn remove_integration(state, id: String, cleanup_aws: bool) -> RemoveOutcome {
        let req = Request::IntegrationRemove {
            integration: id,
            cleanup_aws,
        };
        match change(&state, req).await? {
            Reply::IntegrationRemoved { outcome } => Ok(outcome),
            other => Err(unexpected(other)),
        }
    }

    /// What the integration's messages carry: `decoded`, ChirpStack's `object`, shadow updates
    /// (turning those on first lets the devices' policy publish to their own shadow).
    async fn set_integration_payload(state, id: String, options: PayloadOptions) -> Integration {
        let req = Request::IntegrationSetPayload {
            integration: id,
            options,
        };
        match change(&state, req).await? {
            Reply::IntegrationActive { integration } => Ok(integration),
            other => Err(unexpected(other)),
        }
    }

    sync fn list_decoders(state) -> Vec<Decoder> {
        Ok(core(&state)?.store().list_decoders()?)
    }

    /// Adds a decoder; a script that does not compile is refused with its line number.
    async fn add_decoder(state, name: String, kind: DecoderKind, script: String) -> Decoder {
        decoder_of(change(&state, Request::DecoderAdd { name, kind, script }).await?)
    }

    async fn update_decoder(state, id: String, name: Option<String>, script: Option<String>) -> Decoder {
        decoder_of(change(&state, Request::DecoderUpdate { decoder: id, name, script }).await?)
    }

    async fn remove_decoder(state, id: String) -> Decoder {
        decoder_of(change(&state, Request::DecoderRemove { decoder: id }).await?)
    }

    /// Attaches the decoder to every label (names or ids), all or none.
    async fn attach_decoder(state, id: String, labels: Vec<String>) -> DecoderLinked {
        decoder_linked(change(&state, Request::DecoderAttach { decoder: id, labels }).await?)
    }

    async fn detach_decoder(state, id: String, labels: Vec<String>) -> DecoderLinked {
        decoder_linked(change(&state, Request::DecoderDetach { decoder: id, labels }).await?)
    }

    /// Decodes a pasted payload (hex or base64) with a script, saved or not. Off the UI thread:
    /// a script may take up to its 100 ms budget.
    async fn test_decoder(state, kind: DecoderKind, script: String, payload: String, port: u8) -> DecoderTrial {
        let bytes = decoding::parse_payload(&payload).map_err(|e| IpcError::new("invalid", e))?;
        blocking(move || Ok::<_, IpcError>(decoding::trial(kind, &script, &bytes, port))).await
    }

    /// The device's last payloads since the bridge started, newest first.
    sync fn recent_payloads(state, id: String) -> Vec<RecentPayload> {
        Ok(state.bridge.recent_payloads(&id))
    }

    /// Starts or stops watching AWS for the integration: its monitor identity subscribes to
    /// the uplink topic (each echo marks its uplink "seen on AWS") and to the down topics.
    async fn watch_aws(state, id: String, on: bool) -> Vec<WatchState> {
        match change(&state, Request::IntegrationWatch { integration: id, on }).await? {
            Reply::Watching { states } => Ok(states),
            other => Err(unexpected(other)),
        }
    }

    /// The AWS monitors that run, with their state.
    sync fn watch_states(state) -> Vec<WatchState> {
        Ok(state.bridge.watch_states())
    }

    /// Publishes a downlink (AWS's JSON) for the device through AWS with the integration's
    /// monitor; resolves with the topic once AWS acknowledged it.
    async fn publish_downlink_via_aws(state, id: String, device: String, downlink: String) -> String {
        match change(&state, Request::DownlinkViaAws { integration: id, device, downlink }).await? {
            Reply::DownlinkPublished { topic, .. } => Ok(topic),
            other => Err(unexpected(other)),
        }
    }

    /// Injects a test uplink for the device (payload in hex or base64), marked
    /// `metadata.simulated`, through the running bridge like a real one; resolves with how many
    /// integrations it was stored for.
    async fn simulate_uplink(state, id: String, port: u8, payload: String) -> usize {
        match change(&state, Request::DeviceSimulateUplink { device: id, port, payload }).await? {
            Reply::UplinkSimulated { routes, .. } => Ok(routes),
            other => Err(unexpected(other)),
        }
    }

    /// Provisions the integration's devices now instead of at their next uplink; progress
    /// arrives as `provisioning` events.
    sync fn provision_now(state, id: String) -> () {
        core(&state)?.store().get_integration(&id)?;
        state.bridge.provision_now(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::IpcError;

    /// The table's `sync` bodies and the history's queries go through `blocking`: they take locks
    /// a busy bridge can hold, and on the calling thread (for a plain command, Tauri's main
    /// thread, which also runs the window) the window would freeze meanwhile.
    #[test]
    fn blocking_work_runs_off_the_calling_thread() {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let caller = std::thread::current().id();
        let ran_on = runtime
            .block_on(super::blocking(|| Ok::<_, IpcError>(std::thread::current().id())))
            .unwrap();
        assert_ne!(ran_on, caller);
    }
}
