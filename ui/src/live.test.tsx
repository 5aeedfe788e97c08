// The bridge's live side in the UI: Monitor (stored + streamed events), the connections panel,
// the sidebar status and the integration toggle.
import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import { App } from "./App";
import type { ConnectionState, Event, IntegrationHealth } from "./bindings";
import { callsOf, event, integration, lastEventChannel, mockCommands } from "./test/tauri";
import { fakeViewport } from "./test/viewport";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

const VIEWPORT = 480;
let restoreLayout: (() => void) | undefined;

beforeEach(() => {
  vi.mocked(invoke).mockReset();
  restoreLayout = fakeViewport(VIEWPORT);
});

afterEach(() => {
  restoreLayout?.();
  vi.useRealTimers();
});

async function openMonitor() {
  const user = userEvent.setup();
  render(<App />);
  await user.click(await screen.findByTestId("nav-monitor"));
  return user;
}

const rowTexts = () => screen.queryAllByTestId("event-row").map((r) => r.textContent ?? "");

function stream(batch: Event[]) {
  act(() => lastEventChannel().onmessage(batch));
}

describe("Monitor page", () => {
  it("shows the stored events newest first, then prepends a streamed batch", async () => {
    mockCommands({
      recent_events: [
        event({ id: 1, message: "bridge started", kind: "bridge" }),
        event({ id: 2, message: "uplink from sensor A", level: "warn" }),
      ],
    });
    await openMonitor();
    await waitFor(() => expect(rowTexts()).toHaveLength(2));
    expect(rowTexts()[0]).toContain("uplink from sensor A");
    expect(rowTexts()[1]).toContain("bridge started");
    expect(screen.getAllByTestId("event-row")[0]).toHaveAttribute("data-level", "warn");
    // Subscribed first, then read the newest 500 from the store.
    const order = vi.mocked(invoke).mock.calls.map(([c]) => c).filter((c) => c.endsWith("_events"));
    expect(order).toEqual(["subscribe_events", "recent_events"]);
    expect(callsOf("recent_events")[0]?.[1]).toEqual({ limit: 500 });

    stream([
      event({ id: 3, message: "uplink forwarded", kind: "uplink_forwarded" }),
      event({ id: 4, message: "auth failed", kind: "auth_failed", level: "error" }),
    ]);
    const rows = rowTexts();
    expect(rows).toHaveLength(4);
    expect(rows[0]).toContain("auth failed");
    expect(rows[0]).toContain("auth_failed");
    expect(rows[1]).toContain("uplink forwarded");
    expect(rows[3]).toContain("bridge started");
    expect(screen.queryByTestId("monitor-empty")).not.toBeInTheDocument();
  });

  it("shows an event that is both stored and streamed once", async () => {
    let resolveRecent: (events: Event[]) => void = () => undefined;
    const recent = new Promise<Event[]>((r) => (resolveRecent = r));
    mockCommands({});
    vi.mocked(invoke).mockImplementation(async (cmd: string) => {
      if (cmd === "recent_events") return recent;
      if (cmd === "app_info") return { name: "x", version: "0.1.0", data_dir: "/d", startup_error: null };
      if (cmd === "bridge_status") return { state: "running" };
      return cmd.startsWith("list_") || cmd === "connection_states" ? [] : null;
    });
    await openMonitor();
    await waitFor(() => expect(callsOf("recent_events")).toHaveLength(1));
    // Streamed while the stored ones are still being read.
    stream([event({ id: 10, message: "ten" }), event({ id: 11, message: "eleven" })]);
    await act(async () => resolveRecent([event({ id: 9, message: "nine" }), event({ id: 10, message: "ten" })]));
    await waitFor(() => expect(rowTexts()).toHaveLength(3));
    expect(rowTexts().map((t) => t.match(/nine|ten|eleven/)?.[0])).toEqual(["eleven", "ten", "nine"]);
  });

  it("filters rows by text", async () => {
    const user = userEvent.setup();
    mockCommands({
      recent_events: [
        event({ id: 1, message: "uplink from barn", device_id: "dev-barn" }),
        event({ id: 2, message: "uplink from field" }),
        event({ id: 3, message: "session connected", kind: "connection" }),
      ],
    });
    render(<App />);
    await user.click(await screen.findByTestId("nav-monitor"));
    await waitFor(() => expect(rowTexts()).toHaveLength(3));

    await user.type(screen.getByTestId("monitor-filter"), "UPLINK");
    expect(rowTexts()).toHaveLength(2);
    expect(screen.getByText("2 of 3 events match.")).toBeInTheDocument();

    await user.clear(screen.getByTestId("monitor-filter"));
    await user.type(screen.getByTestId("monitor-filter"), "dev-barn");
    expect(rowTexts()).toHaveLength(1);
    expect(rowTexts()[0]).toContain("uplink from barn");

    // Streamed events are filtered too.
    stream([event({ id: 4, message: "another", device_id: "dev-barn" }), event({ id: 5, message: "not it" })]);
    expect(rowTexts()).toHaveLength(2);

    await user.clear(screen.getByTestId("monitor-filter"));
    await user.type(screen.getByTestId("monitor-filter"), "nothing like this");
    expect(rowTexts()).toHaveLength(0);
    expect(screen.getByTestId("monitor-no-match")).toBeInTheDocument();
    expect(screen.queryByTestId("monitor-empty")).not.toBeInTheDocument();
  });

  it("holds streamed events while paused and shows them on resume", async () => {
    mockCommands({ recent_events: [event({ id: 1, message: "first" })] });
    const user = await openMonitor();
    await waitFor(() => expect(rowTexts()).toHaveLength(1));

    const pause = screen.getByTestId("monitor-pause");
    expect(pause).toHaveTextContent("Pause");
    await user.click(pause);
    expect(pause).toHaveAttribute("aria-pressed", "true");
    stream([event({ id: 2, message: "second" }), event({ id: 3, message: "third" })]);
    expect(rowTexts()).toHaveLength(1);
    expect(pause).toHaveTextContent("Resume (2 new)");

    await user.click(pause);
    expect(pause).toHaveAttribute("aria-pressed", "false");
    expect(pause).toHaveTextContent("Pause");
    expect(rowTexts().map((t) => t.match(/first|second|third/)?.[0])).toEqual(["third", "second", "first"]);
  });

  it("shows the empty state, and a stream that cannot start next to the stored events", async () => {
    mockCommands({});
    const user = await openMonitor();
    expect(await screen.findByTestId("monitor-empty")).toHaveTextContent("Nothing to show yet");
    stream([event({ id: 1, message: "the first one" })]);
    expect(rowTexts()).toHaveLength(1);
    expect(screen.queryByTestId("monitor-empty")).not.toBeInTheDocument();

    // Leaving the page ends its stream, by the channel's id.
    const channel = lastEventChannel();
    await user.click(screen.getByTestId("nav-labels"));
    await waitFor(() => expect(callsOf("unsubscribe_events")).toEqual([["unsubscribe_events", { id: channel.id }]]));

    mockCommands({
      subscribe_events: { reject: { message: "the bridge could not start: disk full" } },
      recent_events: [event({ id: 7, message: "stored before" })],
    });
    await user.click(screen.getByTestId("nav-monitor"));
    expect(await screen.findByTestId("monitor-live-error")).toHaveTextContent(
      "Live updates are unavailable: the bridge could not start: disk full",
    );
    await waitFor(() => expect(rowTexts()).toHaveLength(1));
    expect(rowTexts()[0]).toContain("stored before");
  });

  it("keeps at most 10,000 events and renders only a window of them", async () => {
    mockCommands({ recent_events: Array.from({ length: 500 }, (_, i) => event({ id: i + 1 })) });
    await openMonitor();
    await waitFor(() => expect(rowTexts().length).toBeGreaterThan(0));
    for (let b = 0; b < 20; b++) {
      stream(Array.from({ length: 500 }, (_, i) => event({ id: 1000 + b * 500 + i })));
    }
    expect(screen.getByRole("table", { name: "Events" })).toHaveAttribute("aria-rowcount", "10001");
    expect(rowTexts().length).toBeLessThan(50);
    expect(rowTexts()[0]).toContain(`event ${1000 + 20 * 500 - 1}`);
  });
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
      connection_states: [
        conn({}),
        // Per-device AWS sessions: summed up in the integration's row, listed on its details page.
        conn({ side: "integration", id: "i1/d1", name: "Farm sensors / dev-1", connected: true, detail: "connected" }),
        conn({ side: "integration", id: "i1/d2", name: "Farm sensors / dev-2", connected: true, detail: "connected" }),
      ],
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
    mockCommands({ connection_states: [conn({})] });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(2000);
    });
    expect(await screen.findAllByTestId("connection-state")).toHaveLength(1);
    expect(screen.queryByTestId("connections-empty")).not.toBeInTheDocument();
  });

  it("shows why the bridge is not running", async () => {
    mockCommands({
      bridge_status: { state: "failed", error: "the bridge could not start: database error" },
      connection_states: { reject: { message: "the bridge could not start: database error" } },
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
    expect(toggle).toHaveAccessibleName("Forwarding to Water meters");

    await user.click(toggle);
    expect(callsOf("set_integration_active")).toEqual([["set_integration_active", { id: "int-2", active: true }]]);
    await waitFor(() => expect(callsOf("list_integrations")).toHaveLength(2));
    const after = within((await screen.findAllByTestId("integration-row"))[1] as HTMLElement);
    await waitFor(() => expect(after.getByTestId("integration-toggle")).toHaveAttribute("aria-checked", "true"));
    expect(after.getByText("Active")).toBeInTheDocument();

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
