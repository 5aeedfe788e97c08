import "@testing-library/jest-dom/vitest";
import { beforeEach, vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import { resetChangeStreamForTests } from "../api";
import type {
  AppInfo,
  BridgeStatus,
  ConnectionState,
  Decoder,
  DecoderLinked,
  DecoderTrial,
  Device,
  DeviceDetails,
  Event,
  Exported,
  HistoryPage,
  Integration,
  IntegrationDetails,
  IntegrationHealth,
  IpcError,
  KeysChecked,
  Label,
  LabelLinked,
  LabelSummary,
  LiveBatch,
  Message,
  MessageFilter,
  MessageRow,
  PayloadOptions,
  Probe,
  Rate,
  RecentPayload,
  RemoveOutcome,
  Series,
  SeriesField,
  Settings,
  Source,
  SourceRemoved,
  UpdateOutcome,
  WatchState,
} from "../bindings";
import type { MockChannel } from "./channel";

/** A mocked command's answer: a value, `{ reject }` to reject like the Rust side does, or a
 *  function of the call's arguments returning either. */
/** What the Rust side rejects with; tests name the message, and the code and detail when they matter. */
type Rejection = Pick<IpcError, "message"> & Partial<IpcError>;
type Answer<T> = T | { reject: Rejection };
/** A function may answer later (a promise), to hold a command's answer back. */
type Mock<T> = Answer<T> | ((args: Record<string, unknown>) => Answer<T> | Promise<T>);

/** What each mocked command resolves to. */
export type CommandMocks = {
  app_info?: Mock<AppInfo>;
  list_integrations?: Mock<Integration[]>;
  list_labels?: Mock<LabelSummary[]>;
  list_devices?: Mock<Device[]>;
  remove_device?: Mock<Device>;
  bridge_status?: Mock<BridgeStatus>;
  source_states?: Mock<ConnectionState[]>;
  set_integration_active?: Mock<null>;
  recent_events?: Mock<Event[]>;
  subscribe_events?: Mock<null>;
  unsubscribe_events?: Mock<boolean>;
  check_aws_keys?: Mock<KeysChecked>;
  add_integration?: Mock<Integration>;
  update_integration?: Mock<UpdateOutcome>;
  remove_integration?: Mock<RemoveOutcome>;
  provision_now?: Mock<null>;
  subscribe_changes?: Mock<null>;
  create_label?: Mock<Label>;
  rename_label?: Mock<Label>;
  remove_label?: Mock<Label>;
  attach_label?: Mock<LabelLinked>;
  detach_label?: Mock<LabelLinked>;
  list_sources?: Mock<Source[]>;
  add_source?: Mock<Source>;
  update_source?: Mock<Source>;
  set_source_paused?: Mock<Source>;
  remove_source?: Mock<SourceRemoved>;
  test_source?: Mock<Probe>;
  integration_health?: Mock<IntegrationHealth[]>;
  integration_details?: Mock<IntegrationDetails>;
  device_details?: Mock<DeviceDetails>;
  send_downlink?: Mock<null>;
  get_settings?: Mock<Settings>;
  save_settings?: Mock<Settings>;
  list_decoders?: Mock<Decoder[]>;
  add_decoder?: Mock<Decoder>;
  update_decoder?: Mock<Decoder>;
  remove_decoder?: Mock<Decoder>;
  attach_decoder?: Mock<DecoderLinked>;
  detach_decoder?: Mock<DecoderLinked>;
  test_decoder?: Mock<DecoderTrial>;
  recent_payloads?: Mock<RecentPayload[]>;
  set_integration_payload?: Mock<Integration>;
  subscribe_messages?: Mock<null>;
  search_history?: Mock<HistoryPage>;
  get_message?: Mock<Message | null>;
  related_messages?: Mock<MessageRow[]>;
  export_history?: Mock<Exported | null>;
  series_fields?: Mock<SeriesField[]>;
  device_series?: Mock<Series>;
  uplink_rate?: Mock<Rate>;
  watch_states?: Mock<WatchState[]>;
  watch_aws?: Mock<WatchState[]>;
  publish_downlink_via_aws?: Mock<string>;
  simulate_uplink?: Mock<number>;
};

export const defaultAppInfo: AppInfo = {
  name: "Helium AWS Bridge",
  version: "0.1.0",
  data_dir: "/home/user/.local/share/helium-aws-bridge",
  startup_error: null,
};

/** Route mocked `invoke` calls by command name. `vi.mock("@tauri-apps/api/core")` must be in the test file. */
export function mockCommands(mocks: CommandMocks): void {
  const all: CommandMocks = {
    app_info: defaultAppInfo,
    list_integrations: [],
    list_labels: [],
    list_devices: [],
    bridge_status: { state: "running" },
    source_states: [],
    set_integration_active: null,
    recent_events: [],
    subscribe_events: null,
    unsubscribe_events: true,
    provision_now: null,
    subscribe_changes: null,
    list_sources: [],
    integration_health: [],
    get_settings: { close_to_tray: true, notifications: true, history_days: 7, history_max_mb: 1024 },
    list_decoders: [],
    recent_payloads: [],
    // Saved as asked: the fixture integration with the options passed.
    set_integration_payload: (args) => integration({ id: args.id as string, payload: args.options as PayloadOptions }),
    subscribe_messages: null,
    search_history: { rows: [], next: null },
    get_message: null,
    related_messages: [],
    export_history: null,
    // Charts: nothing to chart unless a test says otherwise.
    series_fields: [],
    device_series: { t: [], columns: [], truncated: false },
    uplink_rate: { t: [], per_second: [], backlog: [] },
    // Watch AWS: nothing watched unless a test says otherwise.
    watch_states: [],
    watch_aws: [],
    publish_downlink_via_aws: "helium/devices/dev-1/down",
    simulate_uplink: 1,
    ...mocks,
  };
  vi.mocked(invoke).mockImplementation(async (cmd: string, args?: unknown) => {
    const mock = all[cmd as keyof CommandMocks];
    if (mock === undefined) throw { code: "bad_request", message: `unknown command ${cmd}`, detail: null } satisfies IpcError;
    const value: unknown = typeof mock === "function" ? mock((args ?? {}) as Record<string, unknown>) : mock;
    if (typeof value === "object" && value !== null && "reject" in value) throw (value as { reject: Rejection }).reject;
    return value;
  });
}

/**
 * Before each test of the file: `invoke` answers nothing and has no calls, and the app's change
 * stream is forgotten, so the page under test subscribes anew (`changesChannel()` finds it).
 */
export function resetCommandsEachTest(): void {
  beforeEach(() => {
    vi.mocked(invoke).mockReset();
    resetChangeStreamForTests();
  });
}

/** The UI's `invoke` calls of `cmd` so far, each `[cmd, args]`. */
export const callsOf = (cmd: string) => vi.mocked(invoke).mock.calls.filter(([c]) => c === cmd);

/** The channel the UI passed to its latest `subscribe_events` call. */
export function lastEventChannel(): MockChannel<Event[]> {
  const calls = vi.mocked(invoke).mock.calls.filter(([cmd]) => cmd === "subscribe_events");
  const args = calls[calls.length - 1]?.[1] as { channel?: MockChannel<Event[]> } | undefined;
  if (!args?.channel) throw new Error("subscribe_events was not called with a channel");
  return args.channel;
}

/** The channel the UI passed to its latest `subscribe_messages` call, and the filter with it. */
export function lastMessageChannel(): MockChannel<LiveBatch> {
  const calls = vi.mocked(invoke).mock.calls.filter(([cmd]) => cmd === "subscribe_messages");
  const args = calls[calls.length - 1]?.[1] as { channel?: MockChannel<LiveBatch> } | undefined;
  if (!args?.channel) throw new Error("subscribe_messages was not called with a channel");
  return args.channel;
}

/** The channel the app passed to `subscribe_changes` (one for the whole app). */
export function changesChannel(): MockChannel<{ what: string[] }> | undefined {
  const calls = vi.mocked(invoke).mock.calls.filter(([cmd]) => cmd === "subscribe_changes");
  const args = calls[calls.length - 1]?.[1] as { channel?: MockChannel<{ what: string[] }> } | undefined;
  return args?.channel;
}

let nextEventId = 1;

export function event(overrides: Partial<Event> = {}): Event {
  const id = overrides.id ?? nextEventId++;
  return {
    id,
    at_ms: 1_700_000_000_000 + id * 1000,
    kind: "uplink",
    level: "info",
    source_id: null,
    integration_id: null,
    device_id: null,
    message: `event ${id}`,
    detail: null,
    ...overrides,
  };
}

let nextMessageId = 1;

/** A message's summary: by default an uplink of device "dev-1" ("Sensor 1") to "int-1", 1 s apart by id. */
/** The filter that lets every message through, as the core gets it. */
export const NO_FILTER: MessageFilter = {
  kinds: [],
  levels: [],
  directions: [],
  device: null,
  integration_id: null,
  topic: null,
  text: null,
  from_ms: null,
  to_ms: null,
};

export function messageRow(overrides: Partial<MessageRow> = {}): MessageRow {
  const id = overrides.id ?? nextMessageId++;
  return {
    id,
    at_ms: 1_700_000_000_000 + id * 1000,
    kind: "uplink",
    direction: "up",
    level: "info",
    device_id: "dev-1",
    device_name: "Sensor 1",
    dev_eui: "0011223344556677",
    integration_id: "int-1",
    source_id: "src-1",
    topic: "helium/uplinks",
    qos: 1,
    uuid: `uuid-${id}`,
    size: 120,
    text: `message ${id}`,
    seen_ms: null,
    ...overrides,
  };
}

/** A message with its bodies (none unless given). */
export function message(overrides: Partial<Message> = {}): Message {
  const { json = null, source_event = null, detail = null, ...row } = overrides;
  return { ...messageRow(row), json, source_event, detail };
}

export function integration(overrides: Partial<Integration> = {}): Integration {
  return {
    id: "int-1",
    kind: "aws_iot_core",
    name: "Farm sensors",
    active: true,
    region: "eu-west-1",
    topic: "helium/uplinks",
    endpoint: { host: null, port: null, ca_file: null, cert_dir: null, api_url: null },
    forward_joins: false,
    aws: null,
    payload: { decoded: true, source_object: true, shadow: false },
    created_at_ms: 1_700_000_000_000,
    updated_at_ms: 1_700_000_000_000,
    ...overrides,
  };
}

export function device(i: number): Device {
  const hex = i.toString(16).toUpperCase().padStart(16, "0");
  return {
    id: `dev-${i}`,
    name: `Sensor ${i}`,
    dev_eui: hex,
    app_eui: null,
    devaddr: null,
    source: "helium",
    last_seen_ms: i % 2 === 0 ? null : Date.now() - i * 60_000,
    uplinks: i * 3,
    downlinks: i,
    errors: i % 7 === 0 ? 1 : 0,
  };
}

/** A device's details: on two integrations (one live), with a decoder and two events. */
export function deviceDetails(o: Partial<DeviceDetails> = {}): DeviceDetails {
  return {
    device: device(1),
    thing_name: "dev-1",
    source_name: "Helium LNS",
    downlink_topic: "helium/devices/dev-1/down",
    labels: [{ id: "l1", name: "farm" }],
    integrations: [
      {
        integration_id: "int-1",
        name: "Farm sensors",
        active: true,
        provisioned: true,
        session: { device_id: "dev-1", connected: true, detail: "connected" },
      },
      { integration_id: "int-2", name: "Water meters", active: false, provisioned: false, session: null },
    ],
    decoder: { state: "one", name: "Greenhouse", kind: "helium", via: ["farm"] },
    recent_events: [
      event({ id: 501, message: "uplink from Sensor 1", device_id: "dev-1", at_ms: Date.now() - 2 * 86_400_000 }),
      event({
        id: 502,
        message: "downlink rejected",
        kind: "downlink_rejected",
        level: "error",
        device_id: "dev-1",
        at_ms: Date.now(),
      }),
    ],
    ...o,
  };
}

export function keysChecked(overrides: Partial<KeysChecked["account"]> = {}): KeysChecked {
  return {
    account: {
      access_key_id: "AKIAIOSFODNN7EXAMPLE",
      account: "123456789012",
      user_arn: "arn:aws:iam::123456789012:user/HeliumIntegrationAccess",
      ...overrides,
    },
    data_endpoint: "a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com",
  };
}
