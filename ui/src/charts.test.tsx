// Charts: a device's fields over a time range (Device details) and an integration's uplinks per
// second over the last hour (Integration details). jsdom cannot draw: the charts show their
// numbers as text, which is what these tests read; chart.test.tsx drives uPlot itself.
import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { IntegrationDetails, Series, SeriesField } from "./bindings";
import { DeviceDetailsPage } from "./pages/DeviceDetailsPage";
import { DEFAULT_PATHS, MAX_FIELDS } from "./pages/DeviceCharts";
import { IntegrationDetailsPage } from "./pages/IntegrationDetailsPage";
import { RATE_BUCKET_MS, RATE_REFRESH_MS, RATE_WINDOW_MS, ratePerSecond } from "./pages/IntegrationRateChart";
import { axeViolations } from "./test/axe";
import {
  callsOf,
  deviceDetails as fixtureDetails,
  integration,
  mockCommands,
  resetCommandsEachTest,
} from "./test/tauri";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

resetCommandsEachTest();

afterEach(() => {
  vi.useRealTimers();
});

const HOUR = 3_600_000;
const RSSI = "$.hotspots[0].rssi";
const SNR = "$.hotspots[0].snr";
const TEMPERATURE = "$.decoded.payload.temperature";
const HUMIDITY = "$.decoded.payload.humidity";

const FIELDS: SeriesField[] = [
  { path: RSSI, label: "RSSI (dBm)" },
  { path: SNR, label: "SNR (dB)" },
  { path: TEMPERATURE, label: "temperature (channel 1, celsius)" },
  { path: HUMIDITY, label: "humidity (channel 2, %)" },
];

const T0 = 1_700_000_000_000;

/** What the core answers for `paths`: three uplinks a minute apart, one value each per path. */
function seriesFor(paths: string[], o: Partial<Series> = {}): Series {
  const values: Record<string, (number | null)[]> = {
    [RSSI]: [-110, -87, -95],
    [SNR]: [2.5, 7.25, null],
    [TEMPERATURE]: [21.5, 22, 22.5],
    [HUMIDITY]: [40, 41, 45],
  };
  return {
    t: [T0, T0 + 60_000, T0 + 120_000],
    columns: paths.map((path) => ({ path, values: values[path] ?? [1, 2, 3] })),
    truncated: false,
    ...o,
  };
}

const deviceDetails = () =>
  fixtureDetails({ labels: [], integrations: [], decoder: { state: "none" }, recent_events: [] });

type SeriesArgs = { device: string; from_ms: number; to_ms: number; paths: string[] };
const seriesCalls = () => callsOf("device_series").map(([, args]) => args as SeriesArgs);

function renderDevice() {
  return render(<DeviceDetailsPage id="dev-1" onBack={() => undefined} />);
}

describe("Device charts", () => {
  it("lists the fields, charts RSSI and SNR by default over the last hour, and says their numbers", async () => {
    mockCommands({
      device_details: deviceDetails(),
      series_fields: FIELDS,
      device_series: (args) => seriesFor(args.paths as string[]),
    });
    const before = Date.now();
    renderDevice();
    const section = await screen.findByTestId("device-charts");
    const charts = await within(section).findAllByTestId("device-chart");
    expect(charts).toHaveLength(2);
    expect(callsOf("series_fields")).toEqual([["series_fields", { device: "dev-1" }]]);

    const fields = within(section).getAllByTestId("chart-field");
    expect(fields.map((f) => f.getAttribute("data-path"))).toEqual([RSSI, SNR, TEMPERATURE, HUMIDITY]);
    expect(fields.map((f) => (f as HTMLInputElement).checked)).toEqual([true, true, false, false]);
    expect(within(section).getByRole("checkbox", { name: "temperature (channel 1, celsius)" })).not.toBeChecked();

    const [asked] = seriesCalls();
    expect(asked?.device).toBe("dev-1");
    expect(asked?.paths).toEqual(DEFAULT_PATHS);
    expect((asked?.to_ms ?? 0) - (asked?.from_ms ?? 0)).toBe(HOUR);
    expect(asked?.to_ms).toBeGreaterThanOrEqual(before);
    expect(asked?.to_ms).toBeLessThanOrEqual(Date.now());

    // Each chart is an image named for what it shows, with its numbers as text under it.
    const rssi = charts[0] as HTMLElement;
    expect(within(rssi).getByRole("heading", { name: "RSSI (dBm)" })).toBeInTheDocument();
    expect(within(rssi).getByRole("img", { name: /^Chart of RSSI \(dBm\), .* to .*: 3 values$/ })).toBeInTheDocument();
    expect(within(rssi).getByTestId("chart-stats")).toHaveTextContent("Latest-95Lowest-110Highest-87");
    // SNR's last uplink had none: its latest is the one before.
    expect(within(charts[1] as HTMLElement).getByRole("img", { name: /: 2 values$/ })).toBeInTheDocument();
    expect(within(charts[1] as HTMLElement).getByTestId("chart-stats")).toHaveTextContent("Latest7.25Lowest2.5Highest7.25");
  });

  it("asks again for the range picked, and for the fields picked in the order the core lists them", async () => {
    const user = userEvent.setup();
    mockCommands({
      device_details: deviceDetails(),
      series_fields: FIELDS,
      device_series: (args) => seriesFor(args.paths as string[]),
    });
    renderDevice();
    await screen.findAllByTestId("device-chart");

    await user.selectOptions(screen.getByTestId("chart-range"), "Last 6 hours");
    await waitFor(() => expect(seriesCalls()).toHaveLength(2));
    let last = seriesCalls()[1];
    expect((last?.to_ms ?? 0) - (last?.from_ms ?? 0)).toBe(6 * HOUR);
    expect(last?.paths).toEqual([RSSI, SNR]);

    await user.selectOptions(screen.getByTestId("chart-range"), "Last 7 days");
    await waitFor(() => expect(seriesCalls()).toHaveLength(3));
    last = seriesCalls()[2];
    expect((last?.to_ms ?? 0) - (last?.from_ms ?? 0)).toBe(7 * 24 * HOUR);

    // Humidity, then temperature: asked in the fields' order; the range stays.
    await user.click(screen.getByRole("checkbox", { name: "humidity (channel 2, %)" }));
    await user.click(screen.getByRole("checkbox", { name: "temperature (channel 1, celsius)" }));
    await waitFor(() => expect(screen.getAllByTestId("device-chart")).toHaveLength(4));
    last = seriesCalls().at(-1);
    expect(last?.paths).toEqual([RSSI, SNR, TEMPERATURE, HUMIDITY]);
    expect((last?.to_ms ?? 0) - (last?.from_ms ?? 0)).toBe(7 * 24 * HOUR);

    // Nothing picked: nothing asked.
    const asked = seriesCalls().length;
    for (const name of ["RSSI (dBm)", "SNR (dB)", "temperature (channel 1, celsius)", "humidity (channel 2, %)"]) {
      await user.click(screen.getByRole("checkbox", { name }));
    }
    expect(await screen.findByTestId("chart-none")).toHaveTextContent("Pick a field to chart.");
    expect(screen.queryAllByTestId("device-chart")).toHaveLength(0);
    expect(seriesCalls().length).toBe(asked + 3);
  });

  it(`charts at most ${MAX_FIELDS} fields`, async () => {
    const user = userEvent.setup();
    const many: SeriesField[] = [
      ...FIELDS.slice(0, 2),
      ...Array.from({ length: 8 }, (_, i) => ({ path: `$.decoded.payload.v${i}`, label: `v${i}` })),
    ];
    mockCommands({
      device_details: deviceDetails(),
      series_fields: many,
      device_series: (args) => seriesFor(args.paths as string[]),
    });
    renderDevice();
    await screen.findAllByTestId("device-chart");
    for (let i = 0; i < 6; i++) await user.click(screen.getByRole("checkbox", { name: `v${i}` }));
    await waitFor(() => expect(screen.getAllByTestId("device-chart")).toHaveLength(MAX_FIELDS));
    expect(screen.getByTestId("chart-fields-full")).toHaveTextContent("8 fields are charted");
    expect(screen.getByRole("checkbox", { name: "v6" })).toBeDisabled();
    expect(screen.getByRole("checkbox", { name: "v7" })).toBeDisabled();
    expect(seriesCalls().at(-1)?.paths).toHaveLength(MAX_FIELDS);
    // Clearing one frees a place.
    await user.click(screen.getByRole("checkbox", { name: "v0" }));
    expect(screen.getByRole("checkbox", { name: "v7" })).toBeEnabled();
    expect(screen.queryByTestId("chart-fields-full")).toBeNull();
  });

  it("says when no uplink came in the range, and when the core kept only the newest", async () => {
    const user = userEvent.setup();
    mockCommands({
      device_details: deviceDetails(),
      series_fields: FIELDS,
      device_series: (args) =>
        (args.to_ms as number) - (args.from_ms as number) === HOUR
          ? { t: [], columns: [], truncated: false }
          : seriesFor(args.paths as string[], { truncated: true }),
    });
    renderDevice();
    expect(await screen.findByTestId("chart-empty")).toHaveTextContent("No uplinks in this range");
    expect(screen.queryByTestId("device-chart")).toBeNull();

    await user.selectOptions(screen.getByTestId("chart-range"), "Last 24 hours");
    expect(await screen.findByTestId("chart-truncated")).toHaveTextContent("these are the newest 3");
    expect(screen.getAllByTestId("device-chart")).toHaveLength(2);
    expect(screen.queryByTestId("chart-empty")).toBeNull();
  });

  it("shows the core's refusal with a retry that asks again", async () => {
    const user = userEvent.setup();
    let fail = true;
    mockCommands({
      device_details: deviceDetails(),
      series_fields: FIELDS,
      device_series: (args) => (fail ? { reject: { message: "history is unavailable" } } : seriesFor(args.paths as string[])),
    });
    renderDevice();
    const error = await screen.findByTestId("chart-error");
    expect(within(error).getByRole("alert")).toHaveTextContent("Could not load the chart data");
    expect(error).toHaveTextContent("history is unavailable");
    fail = false;
    await user.click(within(error).getByRole("button", { name: "Retry" }));
    expect(await screen.findAllByTestId("device-chart")).toHaveLength(2);
    expect(screen.queryByTestId("chart-error")).toBeNull();
    expect(seriesCalls()).toHaveLength(2);
  });

  it("shows why the fields could not be read, with a retry", async () => {
    const user = userEvent.setup();
    let fail = true;
    mockCommands({
      device_details: deviceDetails(),
      series_fields: () => (fail ? { reject: { message: "database is locked" } } : FIELDS),
      device_series: (args) => seriesFor(args.paths as string[]),
    });
    renderDevice();
    const section = await screen.findByTestId("device-charts");
    expect(await within(section).findByRole("alert")).toHaveTextContent("database is locked");
    fail = false;
    await user.click(within(section).getByRole("button", { name: "Retry" }));
    expect(await within(section).findAllByTestId("device-chart")).toHaveLength(2);
  });

  it("says when the device has no numbers to chart", async () => {
    mockCommands({ device_details: deviceDetails() });
    renderDevice();
    expect(await screen.findByTestId("chart-no-fields")).toHaveTextContent("No numbers to chart yet");
    expect(callsOf("device_series")).toHaveLength(0);
  });

  it("passes axe", async () => {
    mockCommands({
      device_details: deviceDetails(),
      series_fields: FIELDS,
      device_series: (args) => seriesFor(args.paths as string[], { truncated: true }),
    });
    renderDevice();
    const section = await screen.findByTestId("device-charts");
    await within(section).findAllByTestId("device-chart");
    expect(await axeViolations(section)).toEqual([]);
  });
});

function integrationDetails(): IntegrationDetails {
  return {
    integration: integration(),
    labels: [],
    devices: [],
    health: {
      id: "int-1",
      name: "Farm sensors",
      state: "connected",
      sessions_connected: 0,
      sessions_failing: 0,
      last_error: null,
      backlog: 0,
      delivered: 0,
      sessions: [],
    },
  };
}

type RateArgs = { id: string; from_ms: number; to_ms: number; bucket_ms: number };
const rateCalls = () => callsOf("uplink_rate").map(([, args]) => args as RateArgs);

function renderIntegration() {
  return render(
    <IntegrationDetailsPage
      id="int-1"
      live={undefined}
      onBack={() => undefined}
      onUpdate={() => undefined}
      onDelete={() => undefined}
    />,
  );
}

describe("Integration uplink rate", () => {
  it("asks for the last hour in 1-minute buckets, and again every minute", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], shouldAdvanceTime: true });
    vi.setSystemTime(T0);
    mockCommands({
      integration_details: integrationDetails(),
      uplink_rate: (args) => ({
        t: [(args.from_ms as number) + 0, (args.from_ms as number) + 60_000],
        per_second: [0.5, 1.25],
        backlog: [40, null],
      }),
    });
    renderIntegration();
    const section = await screen.findByTestId("integration-rate-chart");
    expect(within(section).getByRole("heading", { name: "Uplinks per second and backlog, last hour" })).toBeInTheDocument();
    expect(await within(section).findByRole("img", { name: /^Chart of Uplinks per second, .*: 2 values$/ })).toBeInTheDocument();
    const [rate, backlog] = within(section).getAllByTestId("chart-stats") as [HTMLElement, HTMLElement];
    expect(rate).toHaveTextContent("Latest1.25/sLowest0.5/sHighest1.25/s");
    // A minute without a sample (the bridge was stopped) is no value, not an empty outbox.
    expect(within(section).getByRole("img", { name: /^Chart of Backlog \(uplinks waiting for AWS\), .*: 1 value$/ })).toBeInTheDocument();
    expect(backlog).toHaveTextContent("Latest40");

    const [first] = rateCalls();
    expect(first).toEqual({ id: "int-1", from_ms: first!.to_ms - RATE_WINDOW_MS, to_ms: first!.to_ms, bucket_ms: RATE_BUCKET_MS });
    expect(RATE_WINDOW_MS).toBe(HOUR);
    expect(RATE_BUCKET_MS).toBe(60_000);
    expect(first!.to_ms - T0).toBeLessThan(5_000);

    await act(() => vi.advanceTimersByTimeAsync(RATE_REFRESH_MS));
    await waitFor(() => expect(rateCalls()).toHaveLength(2));
    const second = rateCalls()[1]!;
    expect(second.to_ms - second.from_ms).toBe(HOUR);
    expect(second.bucket_ms).toBe(60_000);
    expect(second.to_ms - first!.to_ms).toBeGreaterThanOrEqual(RATE_REFRESH_MS);
  });

  it("stops asking when the page closes", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"], shouldAdvanceTime: true });
    mockCommands({ integration_details: integrationDetails(), uplink_rate: { t: [T0], per_second: [0], backlog: [0] } });
    const { unmount } = renderIntegration();
    await screen.findByTestId("rate-chart");
    expect(rateCalls()).toHaveLength(1);
    unmount();
    await vi.advanceTimersByTimeAsync(3 * RATE_REFRESH_MS);
    expect(rateCalls()).toHaveLength(1);
  });

  it("says when no uplink came, and shows a refusal with a retry", async () => {
    const user = userEvent.setup();
    let fail = true;
    mockCommands({
      integration_details: integrationDetails(),
      uplink_rate: () => (fail ? { reject: { message: "history is unavailable" } } : { t: [], per_second: [], backlog: [] }),
    });
    renderIntegration();
    const section = await screen.findByTestId("integration-rate-chart");
    expect(await within(section).findByRole("alert")).toHaveTextContent("Could not load the uplink rate");
    fail = false;
    await user.click(within(section).getByRole("button", { name: "Retry" }));
    expect(await within(section).findByTestId("rate-empty")).toHaveTextContent("No readings: the bridge was not running in the last hour, or started just now.");
  });

  it("treats gaps alike in both charts: no 0/s before the bridge ran, a real 0 said in words", async () => {
    // Four minutes: the bridge started in the third; no uplink since, no backlog.
    const t = [T0, T0 + 60_000, T0 + 120_000, T0 + 180_000];
    mockCommands({
      integration_details: integrationDetails(),
      uplink_rate: { t, per_second: [0, 0, 0, 0], backlog: [null, null, 0, 0] },
    });
    renderIntegration();
    const section = await screen.findByTestId("integration-rate-chart");
    // Two readings in each chart, not four zeros for the rate and two for the backlog.
    expect(await within(section).findByRole("img", { name: /^Chart of Uplinks per second, .*: 2 values$/ })).toBeInTheDocument();
    expect(within(section).getByRole("img", { name: /^Chart of Backlog \(uplinks waiting for AWS\), .*: 2 values$/ })).toBeInTheDocument();
    const [rate, backlog] = within(section).getAllByTestId("chart-stats") as [HTMLElement, HTMLElement];
    expect(rate).toHaveTextContent(/^No uplinks while the bridge ran in the last hour\.$/);
    expect(backlog).toHaveTextContent(/^No backlog while the bridge ran in the last hour: nothing waited for AWS\.$/);
    // An uplink in a minute without a sample still counts (the current minute, before its sample).
    expect(ratePerSecond({ t, per_second: [0, 0.5, 0, 0.25], backlog: [null, null, 3, null] })).toEqual([null, 0.5, 0, 0.25]);
  });

  it("says the backlog known now while no sample is charted yet", async () => {
    mockCommands({
      integration_details: integrationDetails(),
      uplink_rate: { t: [T0, T0 + 60_000], per_second: [0, 0], backlog: [null, null] },
    });
    renderIntegration();
    const section = await screen.findByTestId("integration-rate-chart");
    await within(section).findByTestId("backlog-chart");
    const [rate, backlog] = within(section).getAllByTestId("chart-stats") as [HTMLElement, HTMLElement];
    expect(rate).toHaveTextContent("No readings: the bridge was not running in the last hour, or started just now.");
    expect(backlog).toHaveTextContent("No samples yet: the bridge takes one every 15 s while it runs. Waiting now: 0.");
    expect(backlog).not.toHaveTextContent("No values in this range");
  });

  it("passes axe", async () => {
    mockCommands({ integration_details: integrationDetails(), uplink_rate: { t: [T0, T0 + 60_000], per_second: [0, 2], backlog: [3, 0] } });
    renderIntegration();
    const section = await screen.findByTestId("integration-rate-chart");
    await within(section).findByTestId("rate-chart");
    expect(await axeViolations(section)).toEqual([]);
  });
});
