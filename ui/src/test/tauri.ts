import { vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import type { AppInfo, Device, Integration, IpcError, LabelSummary } from "../bindings";

/** What each mocked command resolves to; an `{ reject }` entry makes it reject like the Rust side does. */
export type CommandMocks = {
  app_info?: AppInfo | { reject: IpcError };
  list_integrations?: Integration[] | { reject: IpcError };
  list_labels?: LabelSummary[] | { reject: IpcError };
  list_devices?: Device[] | { reject: IpcError };
};

export const defaultAppInfo: AppInfo = {
  name: "Helium AWS Bridge",
  version: "0.1.0",
  data_dir: "/home/user/.local/share/helium-aws-bridge",
  startup_error: null,
};

/** Route mocked `invoke` calls by command name. `vi.mock("@tauri-apps/api/core")` must be in the test file. */
export function mockCommands(mocks: CommandMocks): void {
  const all: CommandMocks = { app_info: defaultAppInfo, list_integrations: [], list_labels: [], list_devices: [], ...mocks };
  vi.mocked(invoke).mockImplementation(async (cmd: string) => {
    const value = all[cmd as keyof CommandMocks];
    if (value === undefined) throw { message: `unknown command ${cmd}` } satisfies IpcError;
    if (typeof value === "object" && value !== null && "reject" in value) throw value.reject;
    return value;
  });
}

export function integration(overrides: Partial<Integration> = {}): Integration {
  return {
    id: "int-1",
    kind: "aws_iot_core",
    name: "Farm sensors",
    active: true,
    region: "eu-west-1",
    topic: "helium/uplinks",
    endpoint: { host: null, port: null, ca_file: null, cert_dir: null },
    forward_joins: false,
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
