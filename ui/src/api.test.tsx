import { afterEach, describe, expect, it, vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import {
  addIntegration,
  appInfo,
  checkAwsKeys,
  provisionNow,
  removeIntegration,
  updateIntegration,
  sourceStates,
  listDevices,
  listIntegrations,
  listLabels,
  recentEvents,
  setIntegrationActive,
  subscribeEvents,
  subscribeMessages,
  toError,
  CommandError,
} from "./api";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ErrorState } from "./components";
import type { Event, LiveBatch, MessageFilter } from "./bindings";
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

  it("keeps the core's error code and technical detail", async () => {
    vi.mocked(invoke).mockRejectedValue({
      code: "unavailable",
      message: "the bridge is not running",
      detail: "no OS keychain",
    });
    const err = await listDevices().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ code: "unavailable", message: "the bridge is not running", detail: "no OS keychain" });
    render(<ErrorState what="devices" error={err as Error} />);
    const detail = screen.getByText("Technical detail");
    expect(screen.getByText("no OS keychain")).not.toBeVisible();
    await userEvent.setup().click(detail);
    expect(screen.getByText("no OS keychain")).toBeVisible();
  });

  it("handles string and unknown rejections", () => {
    expect(toError("plain failure").message).toBe("plain failure");
    expect(toError(42).message).toMatch(/unexpected/i);
    const e = new Error("kept");
    expect(toError(e)).toBe(e);
  });

  it("passes the bridge commands' arguments by name", async () => {
    vi.mocked(invoke).mockResolvedValue([]);
    await sourceStates();
    await recentEvents(500);
    vi.mocked(invoke).mockResolvedValue(null);
    await setIntegrationActive("int-1", false);
    expect(vi.mocked(invoke).mock.calls).toEqual([
      ["source_states"],
      ["recent_events", { limit: 500 }],
      ["set_integration_active", { id: "int-1", active: false }],
    ]);
  });

  it("passes the integration commands' arguments by name (cleanup_aws in snake_case)", async () => {
    vi.mocked(invoke).mockResolvedValue(null);
    const keys = { access_key_id: "AKIA", secret_access_key: "s" };
    await checkAwsKeys({ keys, region: "us-east-1", api_url: null });
    const endpoint = { host: null, port: null, ca_file: null, cert_dir: null, api_url: null };
    const add = { name: "n", region: "us-east-1", topic: "t", endpoint, forward_joins: false, keys };
    await addIntegration(add);
    const update = { name: null, region: "eu-west-1", topic: null, endpoint: null, forward_joins: null, keys: null };
    await updateIntegration("int-1", update);
    await removeIntegration("int-1", true);
    await provisionNow("int-1");
    expect(vi.mocked(invoke).mock.calls).toEqual([
      ["check_aws_keys", { input: { keys, region: "us-east-1", api_url: null } }],
      ["add_integration", { input: add }],
      ["update_integration", { id: "int-1", input: update }],
      ["remove_integration", { id: "int-1", cleanup_aws: true }],
      ["provision_now", { id: "int-1" }],
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

  it("streams live messages with the filter until closed, then unsubscribes the channel by id", async () => {
    vi.mocked(invoke).mockResolvedValue(null);
    const filter: MessageFilter = {
      kinds: ["uplink"],
      levels: [],
      directions: [],
      device: "Sensor 1",
      integration_id: null,
      topic: null,
      text: null,
      from_ms: null,
      to_ms: null,
    };
    const got: LiveBatch[] = [];
    const sub = subscribeMessages(filter, (batch) => got.push(batch));
    await sub.ready;
    const [cmd, args] = vi.mocked(invoke).mock.calls[0] as [string, { filter: MessageFilter; channel: MockChannel<LiveBatch> }];
    expect(cmd).toBe("subscribe_messages");
    expect(args.filter).toEqual(filter);
    const batch: LiveBatch = { rows: [], skipped: 3, seen: [] };
    args.channel.onmessage(batch);
    expect(got).toEqual([batch]);

    sub.close();
    sub.close();
    args.channel.onmessage(batch);
    expect(got).toHaveLength(1);
    await vi.waitFor(() =>
      expect(vi.mocked(invoke).mock.calls.slice(1)).toEqual([["unsubscribe_events", { id: args.channel.id }]]),
    );
  });

  it("says why live messages cannot stream, and does not unsubscribe what never started", async () => {
    vi.mocked(invoke).mockRejectedValue({ message: "the bridge could not start" });
    const sub = subscribeMessages(
      { kinds: [], levels: [], directions: [], device: null, integration_id: null, topic: null, text: null, from_ms: null, to_ms: null },
      () => undefined,
    );
    await expect(sub.ready).rejects.toThrow("the bridge could not start");
    sub.close();
    await new Promise((r) => setTimeout(r, 0));
    expect(vi.mocked(invoke).mock.calls.map(([c]) => c)).toEqual(["subscribe_messages"]);
  });
});
