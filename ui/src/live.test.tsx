// The bridge's live side in the UI: the connections panel, the sidebar status and the integration
// toggle. (The Messages page's live view: messages.test.tsx.)
import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import { App } from "./App";
import type { ConnectionState, IntegrationHealth } from "./bindings";
import { callsOf, integration, mockCommands } from "./test/tauri";
import { fakeViewportEachTest } from "./test/viewport";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

const VIEWPORT = 480;
fakeViewportEachTest(VIEWPORT);

beforeEach(() => {
  vi.mocked(invoke).mockReset();
});

afterEach(() => {
  vi.useRealTimers();
});

const conn = (o: Partial<ConnectionState>): ConnectionState => ({
  side: "source",
  id: "s1",
  name: "ChirpStack",
  connected: true,
  detail: "connected to mqtt://broker:1883",
  ...o,
});

const health = (o: Partial<IntegrationHealth>): IntegrationHealth => ({
  id: "int-1",
  name: "Farm sensors",
  state: "connected",
  sessions_connected: 3,
  sessions_failing: 0,
  last_error: null,
  backlog: 0,
  delivered: 0,
  sessions: [],
  ...o,
});

const sessions = (connected: number, failing: number) => [
  ...Array.from({ length: connected }, (_, i) => ({ device_id: `dev-${i}`, connected: true, detail: "connected" })),
  ...Array.from({ length: failing }, (_, i) => ({ device_id: `bad-${i}`, connected: false, detail: "TLS handshake failed" })),
];

describe("Connections panel", () => {
  it("sums up each source and each integration in one row, without a row per device session", async () => {
    mockCommands({
      // Sources only: per-device AWS sessions are summed up in the integration's health (and
      // listed on its details page).
      source_states: [conn({})],
      integration_health: [
        health({ sessions_connected: 3, sessions: sessions(3, 2), sessions_failing: 2, state: "failing", last_error: "TLS handshake failed" }),
        health({ id: "int-2", name: "Water meters", state: "connected", sessions_connected: 1, sessions: sessions(1, 0) }),
      ],
    });
    render(<App />);
    await waitFor(() => expect(screen.getAllByTestId("connection-state")).toHaveLength(3));
    const rows = screen.getAllByTestId("connection-state");
    expect(rows[0]).toHaveTextContent("Source");
    expect(rows[0]).toHaveTextContent("ChirpStack");
    expect(rows[0]).toHaveTextContent("connected to mqtt://broker:1883");
    expect(rows[0]).toHaveAttribute("data-connected", "true");
    expect(rows[0]?.querySelector(".dot-on")).not.toBeNull();
    expect(rows[1]).toHaveTextContent("Integration");
    expect(rows[1]).toHaveTextContent("Farm sensors");
    expect(rows[1]).toHaveTextContent("3 of 5 sessions connected, 2 failing: TLS handshake failed");
    expect(rows[1]).toHaveAttribute("data-state", "failing");
    expect(rows[1]?.querySelector(".dot-error")).not.toBeNull();
    expect(rows[2]).toHaveTextContent("Water meters");
    expect(rows[2]).toHaveTextContent("1 of 1 session connected");
    expect(rows[2]?.querySelector(".dot-on")).not.toBeNull();
    expect(screen.getByText("2 of 3 connected")).toBeInTheDocument();
    expect(screen.queryByText(/dev-1/)).not.toBeInTheDocument();
    expect(screen.queryByTestId("connections-empty")).not.toBeInTheDocument();
  });

  it("shows its rows all at once, when both the sources and the integrations have answered", async () => {
    let answer: (h: IntegrationHealth[]) => void = () => {};
    const pending = new Promise<IntegrationHealth[]>((resolve) => (answer = resolve));
    mockCommands({ source_states: [conn({})], integration_health: () => pending });
    render(<App />);
    await waitFor(() => expect(callsOf("source_states").length).toBeGreaterThan(0));
    // The sources have answered, the integrations not yet: no row that the next answer would
    // push down (with the list below it) under the user's pointer.
    await act(async () => {});
    expect(screen.queryAllByTestId("connection-state")).toHaveLength(0);
    expect(screen.getByText("Checking connections…")).toBeInTheDocument();
    expect(screen.getByTestId("connections")).toHaveAttribute("data-loaded", "false");
    await act(async () => answer([health({})]));
    await waitFor(() => expect(screen.getAllByTestId("connection-state")).toHaveLength(2));
    expect(screen.queryByText("Checking connections…")).not.toBeInTheDocument();
    expect(screen.getByTestId("connections")).toHaveAttribute("data-loaded", "true");
  });

  it("points to the Sources page when there is nothing to show", async () => {
    mockCommands({});
    render(<App />);
    const empty = await screen.findByTestId("connections-empty");
    expect(empty).toHaveTextContent("add one on the Sources page");
    expect(empty).not.toHaveTextContent("helium-aws-bridge source add");
  });

  it("polls every 2 s", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    mockCommands({});
    render(<App />);
    expect(await screen.findByTestId("connections-empty")).toHaveTextContent("No connections yet");
    mockCommands({ source_states: [conn({})] });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(2000);
    });
    expect(await screen.findAllByTestId("connection-state")).toHaveLength(1);
    expect(screen.queryByTestId("connections-empty")).not.toBeInTheDocument();
  });

  it("shows why the bridge is not running", async () => {
    mockCommands({
      bridge_status: { state: "failed", error: "the bridge could not start: database error" },
      source_states: { reject: { message: "the bridge could not start: database error" } },
    });
    render(<App />);
    expect(await screen.findByTestId("connections-error")).toHaveTextContent("database error");
    const status = await screen.findByTestId("bridge-status");
    expect(status).toHaveAttribute("data-state", "failed");
    expect(status).toHaveTextContent("Bridge not running");
    expect(within(status).getByTestId("bridge-error")).toHaveTextContent("the bridge could not start: database error");
  });

  it("says when the bridge runs", async () => {
    mockCommands({});
    render(<App />);
    const status = await screen.findByTestId("bridge-status");
    expect(status).toHaveTextContent("Bridge running");
    expect(status.querySelector(".dot-on")).not.toBeNull();
  });
});

describe("Integration toggle", () => {
  it("calls set_integration_active with the row's id and the new state, then reloads", async () => {
    const user = userEvent.setup();
    let active = false;
    mockCommands({
      list_integrations: () => [integration(), integration({ id: "int-2", name: "Water meters", active })],
      set_integration_active: (args) => {
        active = args.active as boolean;
        return null;
      },
    });
    render(<App />);
    const rows = await screen.findAllByTestId("integration-row");
    const toggle = within(rows[1] as HTMLElement).getByTestId("integration-toggle");
    expect(toggle).toHaveAttribute("aria-checked", "false");
    expect(toggle).toHaveAccessibleName("Forward uplinks to Water meters");

    await user.click(toggle);
    expect(callsOf("set_integration_active")).toEqual([["set_integration_active", { id: "int-2", active: true }]]);
    await waitFor(() => expect(callsOf("list_integrations")).toHaveLength(2));
    const after = within((await screen.findAllByTestId("integration-row"))[1] as HTMLElement);
    await waitFor(() => expect(after.getByTestId("integration-toggle")).toHaveAttribute("aria-checked", "true"));
    expect(after.getByText("Enabled")).toBeInTheDocument();

    // And back off, on the first row.
    const first = within(screen.getAllByTestId("integration-row")[0] as HTMLElement);
    await user.click(first.getByTestId("integration-toggle"));
    expect(callsOf("set_integration_active")[1]).toEqual(["set_integration_active", { id: "int-1", active: false }]);
  });

  it("shows a failed toggle in the row", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_integrations: [integration()],
      set_integration_active: { reject: { message: "integration int-1 not found" } },
    });
    render(<App />);
    const row = await screen.findByTestId("integration-row");
    await user.click(within(row).getByTestId("integration-toggle"));
    expect(await within(row).findByRole("alert")).toHaveTextContent("integration int-1 not found");
    expect(callsOf("list_integrations")).toHaveLength(1);
  });
});
