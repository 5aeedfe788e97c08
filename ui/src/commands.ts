// Generated from the command table in src-tauri/src/commands.rs by `cargo test -p helium-aws-bridge-desktop`.
// Do not edit.
import type { Channel } from "@tauri-apps/api/core";
import type { AppInfo, BridgeStatus, Changed, CheckKeysInput, ConnectionState, Cursor, Decoder, DecoderKind, DecoderLinked, DecoderTrial, Device, DeviceDetails, Event, ExportFormat, Exported, HistoryPage, Integration, IntegrationDetails, IntegrationHealth, KeysChecked, Label, LabelLinked, LabelSummary, LiveBatch, Message, MessageFilter, MessageRow, NewIntegrationInput, PayloadOptions, Probe, Rate, RecentPayload, RemoveOutcome, Series, SeriesField, Settings, Source, SourceInput, SourceRemoved, SourceTestInput, Target, UpdateIntegrationInput, UpdateOutcome, WatchState } from "./bindings";
import { call } from "./ipc";

export const appInfo = (): Promise<AppInfo> => call("app_info");

export const listIntegrations = (): Promise<Array<Integration>> => call("list_integrations");

export const listLabels = (): Promise<Array<LabelSummary>> => call("list_labels");

export const listDevices = (): Promise<Array<Device>> => call("list_devices");

export const bridgeStatus = (): Promise<BridgeStatus> => call("bridge_status");

export const sourceStates = (): Promise<Array<ConnectionState>> => call("source_states");

export const setIntegrationActive = (id: string, active: boolean): Promise<null> => call("set_integration_active", { id, active });

/**
 * Tells `channel` what changed (from the app or the CLI) until the app closes, so views
 * reload. Works offline and while the bridge is stopped.
 */
export const subscribeChanges = (channel: Channel<Changed>): Promise<null> => call("subscribe_changes", { channel });

export const createLabel = (name: string): Promise<Label> => call("create_label", { name });

export const renameLabel = (id: string, name: string): Promise<Label> => call("rename_label", { id, name });

export const removeLabel = (id: string): Promise<Label> => call("remove_label", { id });

/**
 * Puts the label on every target (`{kind: "device" | "integration", id}`; a device also by
 * DevEUI), all or none.
 */
export const attachLabel = (id: string, targets: Array<Target>): Promise<LabelLinked> => call("attach_label", { id, targets });

/**
 * Takes the label off every target (each must carry it), all or none.
 */
export const detachLabel = (id: string, targets: Array<Target>): Promise<LabelLinked> => call("detach_label", { id, targets });

export const listSources = (): Promise<Array<Source>> => call("list_sources");

/**
 * Adds a source (its secret goes to the keychain only); the running bridge starts it at once.
 */
export const addSource = (input: SourceInput): Promise<Source> => call("add_source", { input });

/**
 * Replaces a source's settings; the running bridge restarts it with them.
 */
export const updateSource = (id: string, input: SourceInput): Promise<Source> => call("update_source", { id, input });

export const setSourcePaused = (id: string, paused: boolean): Promise<Source> => call("set_source_paused", { id, paused });

export const removeSource = (id: string): Promise<SourceRemoved> => call("remove_source", { id });

/**
 * Connects with the form's settings and reports what it found; changes nothing.
 */
export const testSource = (input: SourceTestInput): Promise<Probe> => call("test_source", { input });

/**
 * Every integration's health: worst session state, backlog, deliveries.
 */
export const integrationHealth = (): Promise<Array<IntegrationHealth>> => call("integration_health");

export const integrationDetails = (id: string): Promise<IntegrationDetails> => call("integration_details", { id });

export const deviceDetails = (id: string): Promise<DeviceDetails> => call("device_details", { id });

/**
 * Removes a device a label registered and that was never heard from (a mistyped DevEUI).
 */
export const removeDevice = (id: string): Promise<Device> => call("remove_device", { id });

/**
 * A downlink from the device page, through the same checks and path as one from AWS.
 */
export const sendDownlink = (id: string, port: number, confirmed: boolean, payload_raw: string): Promise<null> => call("send_downlink", { id, port, confirmed, payload_raw });

export const getSettings = (): Promise<Settings> => call("get_settings");

export const saveSettings = (settings: Settings): Promise<Settings> => call("save_settings", { settings });

/**
 * The newest `limit` events, oldest first.
 */
export const recentEvents = (limit: number): Promise<Array<Event>> => call("recent_events", { limit });

/**
 * Streams live events into `channel` in batches until `unsubscribe_events(channel.id)`.
 * Resolves once the stream is attached (after the bridge has started).
 */
export const subscribeEvents = (channel: Channel<Array<Event>>): Promise<null> => call("subscribe_events", { channel });

/**
 * Streams the messages `filter` lets through into `channel` (at most four batches a second,
 * each the newest few hundred; what is skipped is counted) until
 * `unsubscribe_events(channel.id)`. Works while the bridge is stopped.
 */
export const subscribeMessages = (filter: MessageFilter, channel: Channel<LiveBatch>): Promise<null> => call("subscribe_messages", { filter, channel });

/**
 * A page of the history, newest first, after `after` (`limit` up to 1,000).
 */
export const searchHistory = (filter: MessageFilter, after: Cursor | null, limit: number): Promise<HistoryPage> => call("search_history", { filter, after, limit });

/**
 * One message with its JSON and source event; `null` when retention removed it.
 */
export const getMessage = (id: number): Promise<Message | null> => call("get_message", { id });

/**
 * The messages about the same uplink as message `id` (its copy per integration, the
 * errors about it, itself).
 */
export const relatedMessages = (id: number): Promise<Array<MessageRow>> => call("related_messages", { id });

/**
 * Writes what `filter` finds to a file the user picks in a save dialog, streamed; `null`
 * when they cancel.
 */
export const exportHistory = (filter: MessageFilter, format: ExportFormat): Promise<Exported | null> => call("export_history", { filter, format });

/**
 * The numbers a chart can show for the device: RSSI, SNR and those in its decoded payload.
 */
export const seriesFields = (device: string): Promise<Array<SeriesField>> => call("series_fields", { device });

/**
 * The device's uplinks in `[from_ms, to_ms)` with the numbers at `paths` (up to 8), oldest
 * first; at most the newest 5,000.
 */
export const deviceSeries = (device: string, from_ms: number, to_ms: number, paths: Array<string>): Promise<Series> => call("device_series", { device, from_ms, to_ms, paths });

/**
 * The integration's uplinks per second in `bucket_ms` buckets over `[from_ms, to_ms)`.
 */
export const uplinkRate = (id: string, from_ms: number, to_ms: number, bucket_ms: number): Promise<Rate> => call("uplink_rate", { id, from_ms, to_ms, bucket_ms });

/**
 * Ends the stream of the channel with this id; false if there was none.
 */
export const unsubscribeEvents = (id: number): Promise<boolean> => call("unsubscribe_events", { id });

/**
 * The wizard's "Check keys": whose keys they are, and the region's IoT data endpoint. Nothing
 * is saved.
 */
export const checkAwsKeys = (input: CheckKeysInput): Promise<KeysChecked> => call("check_aws_keys", { input });

/**
 * Adds an integration (its keys are checked with AWS first; the secret goes to the vault).
 * Its devices get sessions as labels link them; a running bridge is asked to provision any
 * already linked.
 */
export const addIntegration = (input: NewIntegrationInput): Promise<Integration> => call("add_integration", { input });

/**
 * "Update your AWS connection details"; the running bridge restarts the integration's
 * sessions with the new settings.
 */
export const updateIntegration = (id: string, input: UpdateIntegrationInput): Promise<UpdateOutcome> => call("update_integration", { id, input });

/**
 * Removes an integration, with or without cleaning up what the bridge created in AWS (its
 * sessions stop first, and come back if it is kept).
 */
export const removeIntegration = (id: string, cleanup_aws: boolean): Promise<RemoveOutcome> => call("remove_integration", { id, cleanup_aws });

/**
 * What the integration's messages carry: `decoded`, ChirpStack's `object`, shadow updates
 * (turning those on first lets the devices' policy publish to their own shadow).
 */
export const setIntegrationPayload = (id: string, options: PayloadOptions): Promise<Integration> => call("set_integration_payload", { id, options });

export const listDecoders = (): Promise<Array<Decoder>> => call("list_decoders");

/**
 * Adds a decoder; a script that does not compile is refused with its line number.
 */
export const addDecoder = (name: string, kind: DecoderKind, script: string): Promise<Decoder> => call("add_decoder", { name, kind, script });

export const updateDecoder = (id: string, name: string | null, script: string | null): Promise<Decoder> => call("update_decoder", { id, name, script });

export const removeDecoder = (id: string): Promise<Decoder> => call("remove_decoder", { id });

/**
 * Attaches the decoder to every label (names or ids), all or none.
 */
export const attachDecoder = (id: string, labels: Array<string>): Promise<DecoderLinked> => call("attach_decoder", { id, labels });

export const detachDecoder = (id: string, labels: Array<string>): Promise<DecoderLinked> => call("detach_decoder", { id, labels });

/**
 * Decodes a pasted payload (hex or base64) with a script, saved or not. Off the UI thread:
 * a script may take up to its 100 ms budget.
 */
export const testDecoder = (kind: DecoderKind, script: string, payload: string, port: number): Promise<DecoderTrial> => call("test_decoder", { kind, script, payload, port });

/**
 * The device's last payloads since the bridge started, newest first.
 */
export const recentPayloads = (id: string): Promise<Array<RecentPayload>> => call("recent_payloads", { id });

/**
 * Starts or stops watching AWS for the integration: its monitor identity subscribes to
 * the uplink topic (each echo marks its uplink "seen on AWS") and to the down topics.
 */
export const watchAws = (id: string, on: boolean): Promise<Array<WatchState>> => call("watch_aws", { id, on });

/**
 * The AWS monitors that run, with their state.
 */
export const watchStates = (): Promise<Array<WatchState>> => call("watch_states");

/**
 * Publishes a downlink (AWS's JSON) for the device through AWS with the integration's
 * monitor; resolves with the topic once AWS acknowledged it.
 */
export const publishDownlinkViaAws = (id: string, device: string, downlink: string): Promise<string> => call("publish_downlink_via_aws", { id, device, downlink });

/**
 * Injects a test uplink for the device (payload in hex or base64), marked
 * `metadata.simulated`, through the running bridge like a real one; resolves with how many
 * integrations it was stored for.
 */
export const simulateUplink = (id: string, port: number, payload: string): Promise<number> => call("simulate_uplink", { id, port, payload });

/**
 * Provisions the integration's devices now instead of at their next uplink; progress
 * arrives as `provisioning` events.
 */
export const provisionNow = (id: string): Promise<null> => call("provision_now", { id });
