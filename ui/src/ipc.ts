// How the UI calls the core: every command goes through `call`, which turns a refusal into a
// `CommandError` (message for the user, code for the UI, technical detail on request).
import { invoke, type InvokeArgs } from "@tauri-apps/api/core";
import type { IpcError } from "./bindings";

function isIpcError(value: unknown): value is Pick<IpcError, "message"> & Partial<IpcError> {
  return (
    typeof value === "object" &&
    value !== null &&
    "message" in value &&
    typeof (value as { message: unknown }).message === "string"
  );
}

/**
 * A command the core refused: `message` is for the user; `code` (`not_found`, `conflict`,
 * `invalid`, `aws`, `vault`, `unavailable`, …) is for the UI to react to; `detail` is the
 * technical detail, shown on request.
 */
export class CommandError extends Error {
  readonly code: string;
  readonly detail: string | null;
  constructor(e: Pick<IpcError, "message"> & Partial<IpcError>) {
    super(e.message);
    this.name = "CommandError";
    this.code = e.code ?? "error";
    this.detail = e.detail ?? null;
  }
}

/** Turn whatever a rejected `invoke` produced into an `Error` carrying a readable message. */
export function toError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  if (isIpcError(reason)) return new CommandError(reason);
  if (typeof reason === "string" && reason.length > 0) return new Error(reason);
  return new Error("Unexpected error from the bridge core");
}

export async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await (args === undefined ? invoke<T>(command) : invoke<T>(command, args));
  } catch (reason) {
    throw toError(reason);
  }
}
