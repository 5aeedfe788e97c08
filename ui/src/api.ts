import { Channel, invoke, type InvokeArgs } from "@tauri-apps/api/core";
import type {
  AppInfo,
  BridgeStatus,
  ConnectionState,
  Device,
  Event,
  Integration,
  IpcError,
  LabelSummary,
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
/** The newest `limit` events, oldest first. */
export const recentEvents = (limit: number): Promise<Event[]> => call<Event[]>("recent_events", { limit });

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
