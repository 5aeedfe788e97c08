import { afterEach, describe, expect, it, vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import {
  appInfo,
  connectionStates,
  listDevices,
  listIntegrations,
  listLabels,
  recentEvents,
  setIntegrationActive,
  subscribeEvents,
  toError,
} from "./api";
import type { Event } from "./bindings";
import type { MockChannel } from "./test/channel";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

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

  it("passes the bridge commands' arguments by name", async () => {
    vi.mocked(invoke).mockResolvedValue([]);
    await connectionStates();
    await recentEvents(500);
    vi.mocked(invoke).mockResolvedValue(null);
    await setIntegrationActive("int-1", false);
    expect(vi.mocked(invoke).mock.calls).toEqual([
      ["connection_states"],
      ["recent_events", { limit: 500 }],
      ["set_integration_active", { id: "int-1", active: false }],
    ]);
  });

  it("streams batches from a channel until closed, then unsubscribes it by id", async () => {
    vi.mocked(invoke).mockResolvedValue(null);
    const got: Event[][] = [];
    const sub = subscribeEvents((batch) => got.push(batch));
    await sub.ready;
    const [cmd, args] = vi.mocked(invoke).mock.calls[0] as [string, { channel: MockChannel<Event[]> }];
    expect(cmd).toBe("subscribe_events");
    const batch = [{ id: 1 } as Event];
    args.channel.onmessage(batch);
    expect(got).toEqual([batch]);

    sub.close();
    args.channel.onmessage(batch);
    expect(got).toHaveLength(1);
    await vi.waitFor(() =>
      expect(vi.mocked(invoke).mock.calls[1]).toEqual(["unsubscribe_events", { id: args.channel.id }]),
    );
  });
});
