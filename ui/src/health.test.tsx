// Integration health: the badge on each integration row, uplinks/s from two readings, and the
// sidebar indicator, which must never be green while an integration cannot reach AWS.
import { act, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import type { IntegrationHealth } from "./bindings";
import { IntegrationsPage } from "./pages/IntegrationsPage";
import {
  BridgeIndicator,
  failingLabel,
  formatRate,
  healthView,
  rateText,
  readableError,
  STATUS_POLL_MS,
  uplinkRate,
} from "./status";
import { integration, mockCommands } from "./test/tauri";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

beforeEach(() => {
  vi.mocked(invoke).mockReset();
});

afterEach(() => {
  vi.useRealTimers();
});

const UNREACHABLE = "AWS IoT endpoint unreachable: connection refused (a1b2-ats.iot.eu-west-1.amazonaws.com:8883)";

const health = (o: Partial<IntegrationHealth> = {}): IntegrationHealth => ({
  id: "int-1",
  name: "Farm sensors",
  state: "connected",
  sessions_connected: 1,
  sessions_failing: 0,
  last_error: null,
  backlog: 0,
  delivered: 0,
  sessions: [{ device_id: "dev-1", connected: true, detail: "connected" }],
  ...o,
});

const STATES: [string, string, string][] = [
  ["connected", "Connected", "badge-health-connected"],
  ["waiting", "Waiting", "badge-health-waiting"],
  ["idle", "Idle", "badge-health-neutral"],
  ["inactive", "Disabled", "badge-health-neutral"],
  ["stopped", "Bridge stopped", "badge-health-neutral"],
];

describe("Health badge on the Integrations page", () => {
  it("shows a failing integration in red with the error, and the others by name", async () => {
    const ids = ["failing", ...STATES.map(([s]) => s)];
    mockCommands({
      list_integrations: ids.map((s) => integration({ id: s, name: `Int ${s}` })),
      integration_health: [
        health({ id: "failing", name: "Int failing", state: "failing", last_error: UNREACHABLE, backlog: 1234, sessions_failing: 1 }),
        ...STATES.map(([s]) => health({ id: s, name: `Int ${s}`, state: s })),
      ],
    });
    render(<IntegrationsPage />);
    await waitFor(() => expect(screen.getAllByTestId("health-badge").length).toBeGreaterThanOrEqual(ids.length));
    const rows = screen.getAllByTestId("integration-row");

    const failing = within(rows[0] as HTMLElement).getByTestId("health-badge");
    expect(failing).toHaveTextContent(`Failing: ${UNREACHABLE}`);
    expect(failing).toHaveClass("badge-health-failing");
    expect(within(rows[0] as HTMLElement).getByTestId("health-backlog")).toHaveTextContent("Backlog 1,234");

    STATES.forEach(([, label, cls], i) => {
      const badge = within(rows[i + 1] as HTMLElement).getByTestId("health-badge");
      expect(badge).toHaveTextContent(new RegExp(`^${label}$`));
      expect(badge).toHaveClass(cls);
    });
  });

  it("shows the row without a badge while health is unknown", async () => {
    mockCommands({ list_integrations: [integration()], integration_health: { reject: { message: "no bridge" } } });
    render(<IntegrationsPage />);
    const row = await screen.findByTestId("integration-row");
    expect(await screen.findByTestId("connections-error")).toHaveTextContent("no bridge");
    expect(within(row).queryByTestId("health-badge")).not.toBeInTheDocument();
  });
});

describe("Sessions stopped on purpose", () => {
  const two = [
    { device_id: "dev-1", connected: true, detail: "connected" },
    { device_id: "dev-2", connected: false, detail: "stopped" },
  ];

  it("is Connected when the only other session was stopped on purpose, and says it is stopped", async () => {
    mockCommands({
      list_integrations: [integration()],
      integration_health: [health({ sessions: two, sessions_connected: 1 })],
    });
    render(<IntegrationsPage />);
    const badge = await screen.findByTestId("health-badge");
    expect(badge).toHaveTextContent(/^Connected$/);
    const conn = (await screen.findAllByTestId("connection-state"))[0] as HTMLElement;
    expect(conn).toHaveAttribute("data-connected", "true");
    expect(conn).toHaveTextContent("1 of 1 session connected (1 more stopped: not routed here now)");
  });

  it("is Connected, with a tooltip that says so, when every session is up", async () => {
    mockCommands({
      list_integrations: [integration()],
      integration_health: [health({ sessions: [two[0]!, { ...two[0]!, device_id: "dev-2" }], sessions_connected: 2 })],
    });
    render(<IntegrationsPage />);
    const badge = await screen.findByTestId("health-badge");
    expect(badge).toHaveTextContent(/^Connected$/);
    expect(badge).toHaveAttribute("title", "Every AWS IoT session it needs is connected.");
    expect(healthView(health()).key).toBe("connected");
  });
});

describe("One status per integration row", () => {
  const RAW = "disconnected: I/O: Connection refused (os error 111)";

  it("shows the health beside a switch that says the user's choice, Enabled", async () => {
    mockCommands({ list_integrations: [integration()], integration_health: [health()] });
    render(<IntegrationsPage />);
    await screen.findByTestId("health-badge");
    const row = screen.getByTestId("integration-row");
    expect(within(row).getByTestId("health-badge")).toHaveTextContent(/^Connected$/);
    // No green pill for the choice beside it to contradict it.
    expect(within(row).queryByTestId("integration-status")).not.toBeInTheDocument();
    expect(row).not.toHaveTextContent(/Active|Forwarding/);
    expect(within(row).getAllByTestId("health-badge")).toHaveLength(1);
    const toggle = within(row).getByRole("switch", { name: "Forward uplinks to Farm sensors" });
    expect(toggle.closest("label")).toHaveTextContent(/^Enabled$/);
  });

  it("says Enabled, not Forwarding, beside a failing integration that forwards nothing", async () => {
    mockCommands({
      list_integrations: [integration()],
      integration_health: [health({ state: "failing", last_error: "disconnected: I/O: Connection refused (os error 111)", sessions_failing: 1, sessions_connected: 0 })],
    });
    render(<IntegrationsPage />);
    const badge = await screen.findByTestId("health-badge");
    expect(badge).toHaveTextContent(/^Failing: Can't reach AWS IoT/);
    const row = screen.getByTestId("integration-row");
    const toggle = within(row).getByRole("switch", { name: "Forward uplinks to Farm sensors" });
    expect(toggle).toHaveAttribute("aria-checked", "true");
    expect(toggle.closest("label")).toHaveTextContent(/^Enabled$/);
    expect(row).not.toHaveTextContent("Forwarding");
  });

  it("says Disabled once when turned off, and 0 uplinks/s without waiting for a second reading", async () => {
    mockCommands({
      list_integrations: [integration({ active: false })],
      integration_health: [health({ state: "inactive", sessions: [], sessions_connected: 0 })],
    });
    render(<IntegrationsPage />);
    const row = await screen.findByTestId("integration-row");
    expect(await within(row).findByTestId("health-rate")).toHaveTextContent(/^0 uplinks\/s$/);
    // The switch says it; no badge repeats it beside.
    expect(within(row).getAllByText("Disabled")).toHaveLength(1);
    expect(within(row).queryByTestId("health-badge")).not.toBeInTheDocument();
    expect(within(row).queryByTestId("integration-status")).not.toBeInTheDocument();
    expect(row).not.toHaveTextContent(/Active|Inactive/);
    const toggle = within(row).getByRole("switch", { name: "Forward uplinks to Farm sensors" });
    expect(toggle).toHaveAttribute("aria-checked", "false");
    expect(toggle.closest("label")).toHaveTextContent(/^Disabled$/);
  });

  it("says Status unknown, in a neutral badge, while the health of an enabled integration is unknown", async () => {
    mockCommands({ list_integrations: [integration()], integration_health: { reject: { message: "no bridge" } } });
    render(<IntegrationsPage />);
    const row = await screen.findByTestId("integration-row");
    expect(await screen.findByTestId("connections-error")).toBeInTheDocument();
    const status = within(row).getByTestId("integration-status");
    expect(status).toHaveTextContent(/^Status unknown$/);
    expect(status).toHaveClass("badge-unknown");
    expect(status).not.toHaveClass("badge-active");
  });

  it("says why it fails in a few words, with the error as reported in the tooltip", async () => {
    mockCommands({
      list_integrations: [integration()],
      integration_health: [health({ state: "failing", last_error: RAW, sessions_failing: 1, sessions_connected: 0 })],
    });
    render(<IntegrationsPage />);
    const badge = await screen.findByTestId("health-badge");
    expect(badge).toHaveTextContent(/^Failing: Can't reach AWS IoT \(connection refused\)$/);
    expect(badge.getAttribute("title")).toContain(RAW);
    const conn = (await screen.findAllByTestId("connection-state"))[0] as HTMLElement;
    expect(conn).toHaveTextContent("1 failing: Can't reach AWS IoT (connection refused)");
    expect(conn.querySelector(".conn-detail")?.getAttribute("title")).toContain(RAW);
  });

  it("shows the readable error in the sidebar, the raw one in its tooltip", async () => {
    mockCommands({ integration_health: [health({ state: "failing", last_error: RAW, sessions_failing: 1 })] });
    render(<BridgeIndicator />);
    const error = await screen.findByTestId("bridge-error");
    expect(error).toHaveTextContent(/^Can't reach AWS IoT \(connection refused\)$/);
    expect(error).toHaveAttribute("title", RAW);
  });

  it("strips the repeated prefixes and the OS error number; keeps other errors as they are", () => {
    expect(readableError(RAW)).toBe("Can't reach AWS IoT (connection refused)");
    expect(readableError("I/O: Connection timed out (os error 110)")).toBe("Can't reach AWS IoT (timed out)");
    expect(readableError("disconnected: TLS: certificate rejected")).toBe("TLS: certificate rejected");
    // A session that never got in says so; the same cause reads the same.
    expect(readableError("could not connect: I/O: Connection refused (os error 111)")).toBe(
      "Can't reach AWS IoT (connection refused)",
    );
    expect(readableError(UNREACHABLE)).toBe(UNREACHABLE);
    // Always "Failing: …", so the state reads the same whatever the reason.
    expect(failingLabel(RAW)).toBe("Failing: Can't reach AWS IoT (connection refused)");
    expect(failingLabel("TLS handshake failed")).toBe("Failing: TLS handshake failed");
    expect(failingLabel(null)).toBe("Failing: an AWS IoT session cannot connect");
  });
});

describe("Uplinks per second", () => {
  it("is the change in delivered between two readings over the seconds between them", () => {
    expect(uplinkRate({ at: 0, delivered: 100 }, { at: 2000, delivered: 110 })).toBe(5);
    expect(uplinkRate({ at: 0, delivered: 100 }, { at: 4000, delivered: 100 })).toBe(0);
    // The counter restarted with the bridge: no rate rather than a negative one.
    expect(uplinkRate({ at: 0, delivered: 100 }, { at: 2000, delivered: 3 })).toBeNull();
    expect(uplinkRate({ at: 2000, delivered: 1 }, { at: 2000, delivered: 5 })).toBeNull();
    expect(formatRate(0)).toBe("0");
    expect(formatRate(4.96)).toBe("5.0");
    expect(formatRate(0.25)).toBe("0.3");
    expect(formatRate(1234.4)).toBe("1,234");
  });

  it("is computed from two polls of integration_health", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let delivered = 100;
    mockCommands({
      list_integrations: [integration()],
      integration_health: () => [health({ delivered })],
    });
    render(<IntegrationsPage />);
    const rate = await screen.findByTestId("health-rate");
    // One reading is no rate yet: "—", and the tooltip says why (no "Measuring…" that may never end).
    expect(rate).toHaveTextContent(/^— uplinks\/s$/);
    expect(rate.getAttribute("title")).toMatch(/^Not known yet: a rate takes two readings/);

    delivered = 110;
    await act(async () => {
      await vi.advanceTimersByTimeAsync(STATUS_POLL_MS);
    });
    await waitFor(() => expect(screen.getByTestId("health-rate")).not.toHaveTextContent("—"));
    const text = screen.getByTestId("health-rate").textContent ?? "";
    expect(text).toMatch(/^\d+(\.\d)? uplinks\/s$/);
    // 10 uplinks over 2 s; the clock may have moved a few ms more between the readings.
    expect(parseFloat(text)).toBeCloseTo(5, 0);
  });
});

describe("Uplinks per second without a second reading", () => {
  it("is a dash with a reason, never a Measuring… that does not end", () => {
    const waiting = rateText({ health: health(), rate: null });
    expect(waiting.text).toBe("— uplinks/s");
    expect(waiting.title).toContain("two readings");
    expect(rateText({ health: health({ state: "inactive" }), rate: null }).text).toBe("0 uplinks/s");
    expect(rateText({ health: health(), rate: 0.73 }).text).toBe("0.7 uplinks/s");
  });
});

describe("Sidebar bridge indicator", () => {
  it("is red and names the integration when the bridge runs but AWS is unreachable for it", async () => {
    mockCommands({
      bridge_status: { state: "running" },
      integration_health: [
        health({ id: "int-2", name: "Water meters" }),
        health({ state: "failing", last_error: UNREACHABLE, sessions_failing: 1 }),
      ],
    });
    render(<BridgeIndicator />);
    const status = await screen.findByTestId("bridge-status");
    expect(status).toHaveAttribute("data-state", "failing");
    expect(status).toHaveTextContent("AWS unreachable for Farm sensors");
    expect(status).not.toHaveTextContent("Bridge running");
    expect(status.querySelector(".dot-error")).not.toBeNull();
    expect(status.querySelector(".dot-on")).toBeNull();
    expect(within(status).getByTestId("bridge-error")).toHaveTextContent(UNREACHABLE);
  });

  it("counts the integrations failing when there are several", async () => {
    mockCommands({
      integration_health: [
        health({ state: "failing", last_error: UNREACHABLE }),
        health({ id: "int-2", name: "Water meters", state: "failing", last_error: "TLS handshake failed" }),
      ],
    });
    render(<BridgeIndicator />);
    const status = await screen.findByTestId("bridge-status");
    expect(status).toHaveTextContent("2 integrations failing");
  });

  it("says running, in green, only when nothing fails", async () => {
    mockCommands({ integration_health: [health(), health({ id: "int-2", name: "Off", state: "inactive" })] });
    render(<BridgeIndicator />);
    const status = await screen.findByTestId("bridge-status");
    expect(status).toHaveAttribute("data-state", "running");
    expect(status).toHaveTextContent("Bridge running");
    expect(status.querySelector(".dot-on")).not.toBeNull();
  });

  it("is not green while integrations wait for AWS or their health is unknown", async () => {
    mockCommands({ integration_health: [health({ state: "waiting", backlog: 12 })] });
    const { unmount } = render(<BridgeIndicator />);
    const waiting = await screen.findByTestId("bridge-status");
    expect(waiting).toHaveAttribute("data-state", "waiting");
    expect(waiting).toHaveTextContent("Connecting to AWS for Farm sensors");
    expect(waiting.querySelector(".dot-on")).toBeNull();
    unmount();

    mockCommands({ integration_health: { reject: { message: "health unavailable" } } });
    render(<BridgeIndicator />);
    const unknown = await screen.findByTestId("bridge-status");
    expect(unknown).toHaveTextContent("Integration health unavailable: health unavailable");
    expect(unknown.querySelector(".dot-on")).toBeNull();
  });

  it("turns red when an integration starts failing, on the next poll", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    mockCommands({ integration_health: [health()] });
    render(<BridgeIndicator />);
    expect(await screen.findByTestId("bridge-status")).toHaveAttribute("data-state", "running");
    mockCommands({ integration_health: [health({ state: "failing", last_error: UNREACHABLE })] });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(STATUS_POLL_MS);
    });
    await waitFor(() => expect(screen.getByTestId("bridge-status")).toHaveAttribute("data-state", "failing"));
  });

  it("shows why the bridge is not running before anything about integrations", async () => {
    mockCommands({
      bridge_status: { state: "failed", error: "the bridge could not start: database error" },
      integration_health: [health({ state: "stopped" })],
    });
    render(<BridgeIndicator />);
    const status = await screen.findByTestId("bridge-status");
    expect(status).toHaveAttribute("data-state", "failed");
    expect(status).toHaveTextContent("Bridge not running");
  });
});
