// This file is generated from Rust by `cargo test -p helium-bridge-core` (ts-rs). Do not edit.
export type AppInfo = { name: string, version: string, data_dir: string, 
/**
 * Set when the app could not open its data (e.g. another process holds the data dir).
 */
startup_error: string | null, };
export type IntegrationKind = "aws_iot_core";
export type EndpointOverride = { host: string | null, port: number | null, 
/**
 * PEM file of the CA that signs the endpoint's server certificate.
 */
ca_file: string | null, 
/**
 * A folder of device certificates the user made in AWS themselves
 * (`{device_id}.cert.pem` + `{device_id}.key.pem`), used instead of provisioning.
 */
cert_dir: string | null, 
/**
 * Where AWS API (control-plane) calls go instead of AWS's own endpoints: a VPC endpoint,
 * or a stand-in such as moto in tests. `http(s)://host[:port]`.
 */
api_url: string | null, };
export type AwsAccount = { access_key_id: string, 
/**
 * The 12-digit AWS account id.
 */
account: string, 
/**
 * e.g. `arn:aws:iam::123456789012:user/HeliumIntegrationAccess`.
 */
user_arn: string, };
export type Integration = { id: string, kind: IntegrationKind, name: string, active: boolean, region: string, topic: string, endpoint: EndpointOverride, 
/**
 * Forward join events too (as `"type": "join"`).
 */
forward_joins: boolean, 
/**
 * The IAM user whose keys provision this integration's devices (`None`: the integration
 * uses certificates from `endpoint.cert_dir`). The secret is in the keychain only.
 */
aws: AwsAccount | null, 
/**
 * What its messages carry beyond the uplink itself.
 */
payload: PayloadOptions, created_at_ms: number, updated_at_ms: number, };
export type KeysInput = { access_key_id: string, secret_access_key: string, };
export type CheckKeysInput = { keys: KeysInput, region: string, api_url: string | null, };
export type NewIntegrationInput = { name: string, region: string, topic: string, endpoint: EndpointOverride, forward_joins: boolean, keys: KeysInput | null, };
export type UpdateIntegrationInput = { name: string | null, region: string | null, topic: string | null, endpoint: EndpointOverride | null, forward_joins: boolean | null, keys: KeysInput | null, };
export type KeysChecked = { account: AwsAccount, data_endpoint: string, };
export type UpdateOutcome = { integration: Integration, 
/**
 * Keys checked with AWS (new keys, or the stored ones in a new region).
 */
checked: KeysChecked | null, keys_changed: boolean, 
/**
 * Devices are provisioned again in the new region as they next connect.
 */
region_changed: boolean, };
export type CleanupReport = { removed: Array<string>, 
/**
 * Left in AWS on purpose: shared with another integration, or holding certificates the
 * bridge did not make.
 */
kept: Array<[string, string]>, 
/**
 * Errors; a cleanup with any can be run again.
 */
failed: Array<[string, string]>, };
export type RemoveOutcome = { name: string, 
/**
 * Uplinks that were still waiting for it and were dropped.
 */
dropped_uplinks: number, 
/**
 * `None`: AWS was not touched (its things, certificates and policy remain).
 */
cleanup: CleanupReport | null, 
/**
 * False when the cleanup failed somewhere: the integration is kept, disabled, with what
 * it knows of AWS, so the cleanup can be run again.
 */
removed: boolean, 
/**
 * What went wrong after the integration was removed (e.g. the keychain refused).
 */
warnings: Array<string>, 
/**
 * What the bridge had created in AWS and left there (AWS not cleaned up): things,
 * certificates, the policy.
 */
left_in_aws: Array<string>, };
export type MqttTlsFiles = { ca_file: string | null, cert_file: string | null, key_file: string | null, };
export type SourceConfig = { "kind": "chirpstack_mqtt", 
/**
 * `mqtt://host:port` or `mqtts://host:port`.
 */
url: string, username: string | null, 
/**
 * ChirpStack application id, or `+` for all applications.
 */
application_id: string, tls: MqttTlsFiles, } | { "kind": "legacy_mqtt", url: string, username: string | null, 
/**
 * Default `helium/+/rx`.
 */
uplink_topic: string, 
/**
 * Default `helium/{{device_id}}/tx`.
 */
downlink_topic: string, tls: MqttTlsFiles, } | { "kind": "http_webhook", 
/**
 * Address to listen on; default `127.0.0.1:8090`.
 */
bind: string, 
/**
 * Requests must carry the shared secret kept in the keychain.
 */
require_secret: boolean, };
export type Source = { id: string, name: string, config: SourceConfig, 
/**
 * Paused by the user: kept, but not connected.
 */
paused: boolean, created_at_ms: number, };
export type SourceInput = { name: string, config: SourceConfig, secret: string | null, };
export type SourceTestInput = { id: string | null, config: SourceConfig, secret: string | null, 
/**
 * How long to wait for a first uplink, in seconds (at most 60).
 */
wait_secs: number, };
export type Probe = { ok: boolean, 
/**
 * One sentence for the user.
 */
summary: string, 
/**
 * What was done, in order.
 */
steps: Array<string>, };
export type SourceRemoved = { name: string, 
/**
 * Its password or shared secret was deleted from the keychain.
 */
secret_deleted: boolean, 
/**
 * The source is gone, but something after that failed.
 */
warning: string | null, };
export type Target = { "kind": "integration", "id": string } | { "kind": "device", "id": string };
export type Label = { id: string, name: string, };
export type LabelSummary = { id: string, name: string, device_count: number, integration_count: number, 
/**
 * Ids of the devices carrying it.
 */
devices: Array<string>, 
/**
 * Ids of the integrations carrying it.
 */
integrations: Array<string>, };
export type LabelLinked = { label: Label, 
/**
 * What the user should know: devices whose labels now attach two decoders.
 */
warnings: Array<string>, };
export type Changed = { what: Array<string>, };
export type Device = { 
/**
 * Device id = AWS IoT thing name.
 */
id: string, name: string, dev_eui: string, app_eui: string | null, devaddr: string | null, 
/**
 * The Helium-side source the device was last seen on.
 */
source: string, last_seen_ms: number | null, uplinks: number, downlinks: number, errors: number, };
export type ControlError = { 
/**
 * `not_found`, `conflict`, `invalid`, `aws`, `vault`, `store`, `unavailable` (the data or
 * the bridge is not there), `bad_request`, `internal`.
 */
code: string, message: string, detail: string | null, };
export type Event = { id: number, at_ms: number, 
/**
 * e.g. `uplink`, `uplink_forwarded`, `uplink_rejected`, `upstream_gap`, `downlink`,
 * `downlink_rejected`, `parse_error`, `connection`, `auth_failed`, `outbox_warning`, `throttled`,
 * `provisioning`.
 */
kind: string, 
/**
 * `info`, `warn` or `error`.
 */
level: string, source_id: string | null, integration_id: string | null, device_id: string | null, message: string, detail: unknown, };
export type ConnectionState = { 
/**
 * `source` or `integration`.
 */
side: string, id: string, name: string, connected: boolean, detail: string, };
export type Settings = { 
/**
 * Closing the window keeps bridging in the tray (instead of quitting).
 */
close_to_tray: boolean, 
/**
 * A desktop notification when an integration fails or recovers, or uplinks are lost
 * upstream.
 */
notifications: boolean, 
/**
 * Messages older than this many days leave the history.
 */
history_days: number, 
/**
 * Beyond this many MiB, the oldest messages leave the history.
 */
history_max_mb: number, };
export type SessionState = { device_id: string, connected: boolean, 
/**
 * `connected`, `stopped`, or why it is not connected.
 */
detail: string, };
export type IntegrationHealth = { id: string, name: string, 
/**
 * Worst first: `failing` (a session cannot connect), `stopped` (the bridge is not running),
 * `inactive` (turned off), `waiting` (uplinks wait but no session is up yet), `idle` (no
 * session: nothing to send), `connected`.
 */
state: string, sessions_connected: number, sessions_failing: number, 
/**
 * One failing session's reason.
 */
last_error: string | null, 
/**
 * Uplinks waiting in the outbox for it.
 */
backlog: number, 
/**
 * Uplinks AWS acknowledged since the bridge started; a rate is two readings apart.
 */
delivered: number, sessions: Array<SessionState>, };
export type PipedDevice = { device: Device, 
/**
 * Where AWS users publish its downlinks.
 */
downlink_topic: string, 
/**
 * Its AWS session for this integration, once one ran.
 */
session: SessionState | null, };
export type IntegrationDetails = { integration: Integration, labels: Array<Label>, devices: Array<PipedDevice>, health: IntegrationHealth, };
export type DeviceRoute = { integration_id: string, name: string, active: boolean, 
/**
 * Its AWS thing and certificate exist and are usable.
 */
provisioned: boolean, session: SessionState | null, };
export type DeviceDecoderView = { "state": "none" } | { "state": "one", name: string, kind: DecoderKind, via: Array<string>, } | { "state": "conflict", message: string, };
export type DeviceDetails = { device: Device, 
/**
 * The AWS IoT thing name (the device id).
 */
thing_name: string, 
/**
 * The name of the source it was last heard on (`None`: not heard yet, or since removed).
 */
source_name: string | null, downlink_topic: string, labels: Array<Label>, 
/**
 * Integrations it shares a label with.
 */
integrations: Array<DeviceRoute>, 
/**
 * The decoder its labels attach, or why none runs (two attach different ones).
 */
decoder: DeviceDecoderView, 
/**
 * Newest last.
 */
recent_events: Array<Event>, };
export type BridgeStatus = { "state": "starting" } | { "state": "running" } | { "state": "failed", error: string, } | { "state": "stopped" };
export type PayloadOptions = { 
/**
 * Include `decoded` (the device's decoder's result, or ChirpStack's `object`).
 */
decoded: boolean, 
/**
 * With no decoder of the bridge's, pass ChirpStack's `object` (or a legacy `decoded`) as
 * `decoded`.
 */
source_object: boolean, 
/**
 * Update the thing's classic shadow (`reported`) with each decoded uplink and its radio
 * metadata.
 */
shadow: boolean, };
export type DecoderKind = "cayenne" | "helium" | "decode_uplink";
export type Decoder = { id: string, name: string, kind: DecoderKind, 
/**
 * The JavaScript; empty for Cayenne LPP.
 */
script: string, labels: Array<Label>, updated_at_ms: number, };
export type DecoderLinked = { decoder: Decoder, 
/**
 * What the user should know: devices whose labels now attach two decoders.
 */
warnings: Array<string>, };
export type DecoderTrial = { ok: boolean, 
/**
 * `decoded.payload` when it worked, as it is published: its members in the script's
 * order, its numbers as `JSON.stringify` writes them.
 */
payload: unknown, 
/**
 * Why it did not, with the script's line number when there is one.
 */
error: string | null, 
/**
 * What `console.log` printed.
 */
logs: Array<string>, 
/**
 * The warnings a `decodeUplink` returned (with its data or without).
 */
warnings: Array<string>, 
/**
 * How long the call took (compiling not included).
 */
micros: number, };
export type RecentPayload = { port: number, 
/**
 * Base64, as received.
 */
payload: string, fcnt: number, reported_at: number, };
export type Direction = "up" | "down" | "none";
export type MessageRow = { id: number, at_ms: number, 
/**
 * `uplink`, `join`, `downlink`, or an event's kind (`uplink_rejected`, `upstream_gap`,
 * `connection`, …).
 */
kind: string, direction: Direction, 
/**
 * `info`, `warn` or `error`.
 */
level: string, device_id: string | null, device_name: string | null, dev_eui: string | null, integration_id: string | null, source_id: string | null, 
/**
 * The MQTT topic it was published to (uplink) or received on (downlink).
 */
topic: string | null, qos: number | null, 
/**
 * The uplink's uuid; an error about an uplink carries the uplink's.
 */
uuid: string | null, 
/**
 * Bytes of the published (or received) JSON.
 */
size: number, 
/**
 * One line saying what happened.
 */
text: string, 
/**
 * When the integration's "watch AWS" monitor saw the uplink arrive at AWS.
 */
seen_ms: number | null, };
export type Message = { 
/**
 * Exactly what was published to AWS (uplink) or received (downlink).
 */
json: string | null, 
/**
 * The source's message the uplink was made from, as it arrived.
 */
source_event: string | null, detail: unknown, id: number, at_ms: number, 
/**
 * `uplink`, `join`, `downlink`, or an event's kind (`uplink_rejected`, `upstream_gap`,
 * `connection`, …).
 */
kind: string, direction: Direction, 
/**
 * `info`, `warn` or `error`.
 */
level: string, device_id: string | null, device_name: string | null, dev_eui: string | null, integration_id: string | null, source_id: string | null, 
/**
 * The MQTT topic it was published to (uplink) or received on (downlink).
 */
topic: string | null, qos: number | null, 
/**
 * The uplink's uuid; an error about an uplink carries the uplink's.
 */
uuid: string | null, 
/**
 * Bytes of the published (or received) JSON.
 */
size: number, 
/**
 * One line saying what happened.
 */
text: string, 
/**
 * When the integration's "watch AWS" monitor saw the uplink arrive at AWS.
 */
seen_ms: number | null, };
export type MessageFilter = { kinds: Array<string>, levels: Array<string>, directions: Array<Direction>, 
/**
 * A device's id, DevEUI or name (exactly, any case).
 */
device: string | null, integration_id: string | null, 
/**
 * Part of the topic.
 */
topic: string | null, 
/**
 * Part of the text or the JSON (any case).
 */
text: string | null, from_ms: number | null, 
/**
 * Up to, not including.
 */
to_ms: number | null, };
export type Cursor = { at_ms: number, id: number, };
export type HistoryPage = { 
/**
 * Newest first.
 */
rows: Array<MessageRow>, 
/**
 * Set when there may be more.
 */
next: Cursor | null, };
export type Seen = { integration_id: string, uuid: string, at_ms: number, };
export type LiveBatch = { 
/**
 * Oldest first.
 */
rows: Array<MessageRow>, 
/**
 * Messages that matched but came too fast to show (newer ones are shown); the history has
 * them.
 */
skipped: number, 
/**
 * Uplinks AWS echoed since the last batch (the newest `max`).
 */
seen: Array<Seen>, };
export type WatchPhase = "connecting" | "watching" | "failing";
export type WatchState = { integration_id: string, 
/**
 * The thing (and MQTT client id) the monitor connects as.
 */
thing: string, phase: WatchPhase, detail: string, 
/**
 * Uplinks AWS echoed since the watch started.
 */
seen: number, 
/**
 * Downlinks seen on the down topics since the watch started.
 */
downlinks: number, };
export type ExportFormat = "csv" | "ndjson";
export type SeriesField = { 
/**
 * SQLite JSON path, e.g. `$.hotspots[0].rssi`, `$.decoded.payload.temperature`.
 */
path: string, 
/**
 * What a person calls it: `RSSI (dBm)`, `temperature (channel 1)`.
 */
label: string, };
export type SeriesColumn = { path: string, 
/**
 * One per time; `null` where the uplink had no such number.
 */
values: Array<number | null>, };
export type Series = { t: Array<number>, columns: Array<SeriesColumn>, 
/**
 * More uplinks were in the range than [`MAX_POINTS`]: these are the newest.
 */
truncated: boolean, };
export type Rate = { t: Array<number>, per_second: Array<number>, 
/**
 * The most uplinks waiting for the integration in the bucket; `null` where the bridge was
 * not running (no sample).
 */
backlog: Array<number | null>, };
export type Exported = { path: string, count: number, };
/** What a failing command rejects with. */
export type IpcError = ControlError;
/** The regions where AWS IoT Core is offered (what the core accepts). */
export const IOT_CORE_REGIONS: readonly string[] = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1", "eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ap-southeast-5", "us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1"];
