import { Channel, invoke, type InvokeArgs } from "@tauri-apps/api/core";
import type {
  AppInfo,
  BridgeStatus,
  Changed,
  CheckKeysInput,
  ConnectionState,
  Device,
  DeviceDetails,
  Event,
  Integration,
  IntegrationDetails,
  IntegrationHealth,
  IpcError,
  KeysChecked,
  Label,
  LabelSummary,
  NewIntegrationInput,
  Probe,
  RemoveOutcome,
  Settings,
  Source,
  SourceInput,
  SourceRemoved,
  SourceTestInput,
  Target,
  UpdateIntegrationInput,
  UpdateOutcome,
} from "./bindings";

function isIpcError(value: unknown): value is IpcError {
  return (
    typeof value === "object" &&
    value !== null &&
    "message" in value &&
    typeof (value as { message: unknown }).message === "string"
  );
}

/** Turn whatever a rejected `invoke` produced into an `Error` carrying a readable message. */
export function toError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  if (isIpcError(reason)) return new Error(reason.message);
  if (typeof reason === "string" && reason.length > 0) return new Error(reason);
  return new Error("Unexpected error from the bridge core");
}

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await (args === undefined ? invoke<T>(command) : invoke<T>(command, args));
  } catch (reason) {
    throw toError(reason);
  }
}

export const appInfo = (): Promise<AppInfo> => call<AppInfo>("app_info");
export const listIntegrations = (): Promise<Integration[]> => call<Integration[]>("list_integrations");
export const listLabels = (): Promise<LabelSummary[]> => call<LabelSummary[]>("list_labels");
export const listDevices = (): Promise<Device[]> => call<Device[]>("list_devices");
export const bridgeStatus = (): Promise<BridgeStatus> => call<BridgeStatus>("bridge_status");
export const connectionStates = (): Promise<ConnectionState[]> => call<ConnectionState[]>("connection_states");
export const setIntegrationActive = (id: string, active: boolean): Promise<void> =>
  call<void>("set_integration_active", { id, active });
/** Every integration's health: worst session state, backlog, uplinks AWS acknowledged. */
export const integrationHealth = (): Promise<IntegrationHealth[]> => call<IntegrationHealth[]>("integration_health");
/** The seed's "Integration Details": settings, labels, piped devices with their sessions, health. */
export const integrationDetails = (id: string): Promise<IntegrationDetails> =>
  call<IntegrationDetails>("integration_details", { id });
export const deviceDetails = (id: string): Promise<DeviceDetails> => call<DeviceDetails>("device_details", { id });
/** Sends a downlink through the same checks and path as one from AWS; `payloadRaw` is base64. */
export const sendDownlink = (id: string, port: number, confirmed: boolean, payloadRaw: string): Promise<void> =>
  call<void>("send_downlink", { id, port, confirmed, payload_raw: payloadRaw });
export const getSettings = (): Promise<Settings> => call<Settings>("get_settings");
export const saveSettings = (settings: Settings): Promise<Settings> => call<Settings>("save_settings", { settings });
/** The newest `limit` events, oldest first. */
export const recentEvents = (limit: number): Promise<Event[]> => call<Event[]>("recent_events", { limit });

/** Asks AWS whose keys these are (and the region's IoT data endpoint); nothing is saved. */
export const checkAwsKeys = (input: CheckKeysInput): Promise<KeysChecked> =>
  call<KeysChecked>("check_aws_keys", { input });
/** Checks the keys with AWS, then saves the integration (the secret goes to the keychain only). */
export const addIntegration = (input: NewIntegrationInput): Promise<Integration> =>
  call<Integration>("add_integration", { input });
export const updateIntegration = (id: string, input: UpdateIntegrationInput): Promise<UpdateOutcome> =>
  call<UpdateOutcome>("update_integration", { id, input });
/** `cleanupAws`: also remove the things, certificates and policy the bridge created in AWS. */
export const removeIntegration = (id: string, cleanupAws: boolean): Promise<RemoveOutcome> =>
  call<RemoveOutcome>("remove_integration", { id, cleanup_aws: cleanupAws });
/** Provisions the integration's devices now; progress arrives as events (Monitor page). */
export const provisionNow = (id: string): Promise<void> => call<void>("provision_now", { id });

export const createLabel = (name: string): Promise<Label> => call<Label>("create_label", { name });
export const renameLabel = (id: string, name: string): Promise<Label> => call<Label>("rename_label", { id, name });
/** Takes the label off every device and integration, then deletes it. */
export const removeLabel = (id: string): Promise<Label> => call<Label>("remove_label", { id });
/** Puts the label on every target (a device also by DevEUI): all of them or none. */
export const attachLabel = (id: string, targets: Target[]): Promise<Label> =>
  call<Label>("attach_label", { id, targets });
/** Takes the label off every target (each must carry it): all of them or none. */
export const detachLabel = (id: string, targets: Target[]): Promise<Label> =>
  call<Label>("detach_label", { id, targets });

export const listSources = (): Promise<Source[]> => call<Source[]>("list_sources");
/** Saves a source (its secret goes to the keychain only); the bridge starts it at once. */
export const addSource = (input: SourceInput): Promise<Source> => call<Source>("add_source", { input });
/** Replaces a source's settings; `input.secret === null` keeps the stored secret. */
export const updateSource = (id: string, input: SourceInput): Promise<Source> =>
  call<Source>("update_source", { id, input });
export const setSourcePaused = (id: string, paused: boolean): Promise<Source> =>
  call<Source>("set_source_paused", { id, paused });
export const removeSource = (id: string): Promise<SourceRemoved> => call<SourceRemoved>("remove_source", { id });
/** Connects with these settings and reports what it found (first uplink, or the precise error). */
export const testSource = (input: SourceTestInput): Promise<Probe> => call<Probe>("test_source", { input });

type ChangeListener = (what: string[]) => void;
const changeListeners = new Set<ChangeListener>();
let changesSubscribed = false;

/**
 * Calls `listener` with what changed (labels, devices, sources, integrations), whoever changed
 * it: this window or the CLI. One stream for the whole app; returns the unsubscribe function.
 */
export function onChanged(listener: ChangeListener): () => void {
  changeListeners.add(listener);
  if (!changesSubscribed) {
    changesSubscribed = true;
    const channel = new Channel<Changed>();
    channel.onmessage = (c) => changeListeners.forEach((l) => l(c.what));
    call<void>("subscribe_changes", { channel }).catch(() => {
      changesSubscribed = false;
    });
  }
  return () => {
    changeListeners.delete(listener);
  };
}

/** Tests only: forget the app-wide change stream so the next listener subscribes again. */
export function resetChangeStreamForTests(): void {
  changeListeners.clear();
  changesSubscribed = false;
}

export type EventSubscription = {
  /** Resolves once live events flow; rejects when they cannot (e.g. the bridge did not start). */
  ready: Promise<void>;
  /** Stops the stream; `onBatch` is not called any more. */
  close: () => void;
};

/** Live events, in batches (oldest first within a batch). */
export function subscribeEvents(onBatch: (events: Event[]) => void): EventSubscription {
  const channel = new Channel<Event[]>();
  let open = true;
  channel.onmessage = (events) => {
    if (open) onBatch(events);
  };
  const ready = call<void>("subscribe_events", { channel });
  const close = () => {
    if (!open) return;
    open = false;
    // After `ready`, so the stream is registered on the Rust side before it is ended.
    ready.then(
      () => invoke("unsubscribe_events", { id: channel.id }).catch(() => undefined),
      () => undefined,
    );
  };
  return { ready, close };
}
