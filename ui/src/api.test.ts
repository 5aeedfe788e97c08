import { afterEach, describe, expect, it, vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import { appInfo, listDevices, listIntegrations, listLabels, toError } from "./api";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));

afterEach(() => vi.mocked(invoke).mockReset());

describe("api", () => {
  it("invokes the matching command with no arguments", async () => {
    vi.mocked(invoke).mockResolvedValue([]);
    await listIntegrations();
    await listLabels();
    await listDevices();
    vi.mocked(invoke).mockResolvedValue({ name: "x", version: "0.1.0", data_dir: "/d", startup_error: null });
    await expect(appInfo()).resolves.toMatchObject({ version: "0.1.0" });
    expect(vi.mocked(invoke).mock.calls).toEqual([["list_integrations"], ["list_labels"], ["list_devices"], ["app_info"]]);
  });

  it("turns an IpcError rejection into an Error with its message", async () => {
    vi.mocked(invoke).mockRejectedValue({ message: "boom" });
    const err = await listDevices().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe("boom");
  });

  it("handles string and unknown rejections", () => {
    expect(toError("plain failure").message).toBe("plain failure");
    expect(toError(42).message).toMatch(/unexpected/i);
    const e = new Error("kept");
    expect(toError(e)).toBe(e);
  });
});
