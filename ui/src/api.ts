import { invoke } from "@tauri-apps/api/core";
import type { AppInfo, Device, Integration, IpcError, LabelSummary } from "./bindings";

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

async function call<T>(command: string): Promise<T> {
  try {
    return await invoke<T>(command);
  } catch (reason) {
    throw toError(reason);
  }
}

export const appInfo = (): Promise<AppInfo> => call<AppInfo>("app_info");
export const listIntegrations = (): Promise<Integration[]> => call<Integration[]>("list_integrations");
export const listLabels = (): Promise<LabelSummary[]> => call<LabelSummary[]>("list_labels");
export const listDevices = (): Promise<Device[]> => call<Device[]>("list_devices");
