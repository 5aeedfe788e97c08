// The shared chart with uPlot stood in for (jsdom has no canvas): made on mount with the theme's
// colours and the data, given new data without being made again, resized with its box, made again
// when the theme changes, destroyed on unmount; where it cannot draw, its numbers still show.
import { act, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type uPlot from "uplot";
import { bunched, Chart, chartName, formatValue, LONE_POINT_SIZE, summarise, tickDigits, timeRange } from "./Chart";

type Made = {
  opts: uPlot.Options;
  data: uPlot.AlignedData;
  target: HTMLElement;
  setData: ReturnType<typeof vi.fn>;
  setSize: ReturnType<typeof vi.fn>;
  destroy: ReturnType<typeof vi.fn>;
};

const made: Made[] = [];

vi.mock("uplot", () => ({
  default: class {
    width: number;
    setData = vi.fn();
    setSize = vi.fn((size: { width: number }) => {
      this.width = size.width;
    });
    destroy = vi.fn();
    constructor(opts: uPlot.Options, data: uPlot.AlignedData, target: HTMLElement) {
      this.width = opts.width;
      made.push({ opts, data, target, setData: this.setData, setSize: this.setSize, destroy: this.destroy });
    }
  },
}));

let resize: ((entries: { contentRect: { width: number } }[]) => void) | null = null;
let themeChanged: (() => void) | null = null;

beforeEach(() => {
  made.length = 0;
  vi.stubGlobal(
    "matchMedia",
    vi.fn(() => ({
      matches: false,
      addEventListener: (_: string, f: () => void) => {
        themeChanged = f;
      },
      removeEventListener: () => undefined,
    })),
  );
  vi.stubGlobal(
    "ResizeObserver",
    class {
      constructor(callback: (entries: { contentRect: { width: number } }[]) => void) {
        resize = callback;
      }
      observe() {}
      disconnect() {
        resize = null;
      }
    },
  );
  document.documentElement.style.setProperty("--chart-2", "#0b7a75");
  document.documentElement.style.setProperty("--text-muted", "#5b6178");
});

afterEach(() => {
  vi.unstubAllGlobals();
  document.documentElement.removeAttribute("style");
});

const t = [1_000, 2_000, 3_000];

describe("Chart", () => {
  it("makes a uPlot chart with the data and the theme's colours, then gives it new data", async () => {
    const series = [{ label: "RSSI (dBm)", values: [-100, null, -90], color: 2 }];
    const { rerender } = render(<Chart label="RSSI (dBm)" t={t} series={series} range={[0, 4_000]} testId="c" />);
    await waitFor(() => expect(made).toHaveLength(1));
    const chart = made[0]!;
    const img = screen.getByRole("img", { name: /^Chart of RSSI \(dBm\), .*: 2 values$/ });
    expect(chart.target).toBe(img);
    // Made, then marked drawn by a state update that renders a moment later.
    await waitFor(() => expect(img).toHaveAttribute("data-drawing", "drawn"));
    expect(chart.data).toEqual([t, [-100, null, -90]]);
    expect(chart.opts.ms).toBe(1);
    expect(chart.opts.series[1]?.stroke).toBe("#0b7a75");
    expect(chart.opts.axes?.[0]?.stroke).toBe("#5b6178");
    // The time axis spans the range asked, not only the data's, with room at both ends so a
    // point at either end is whole (2% of 4 s: 80 ms).
    const range = chart.opts.scales?.x?.range as uPlot.Range.Function;
    expect(range({} as uPlot, 1_000, 3_000, "x")).toEqual([-80, 4_080]);

    // The same data in new arrays: nothing to draw again.
    rerender(<Chart label="RSSI (dBm)" t={t} series={[{ ...series[0]! }]} range={[0, 4_000]} testId="c" />);
    expect(chart.setData).not.toHaveBeenCalled();
    const t2 = [...t, 4_000];
    rerender(<Chart label="RSSI (dBm)" t={t2} series={[{ ...series[0]!, values: [-100, null, -90, -80] }]} range={[0, 5_000]} testId="c" />);
    expect(chart.setData).toHaveBeenCalledWith([t2, [-100, null, -90, -80]]);
    expect(range({} as uPlot, 1_000, 4_000, "x")).toEqual([-100, 5_100]);
    expect(made).toHaveLength(1);
    expect(screen.getByTestId("chart-stats")).toHaveTextContent("Latest-80Lowest-100Highest-80");
  });

  it("follows its box's width, is made again when the theme changes, and is destroyed on unmount", async () => {
    const { unmount } = render(<Chart label="SNR" t={t} series={[{ label: "SNR", values: [1, 2, 3] }]} />);
    await waitFor(() => expect(made).toHaveLength(1));
    resize?.([{ contentRect: { width: 640 } }]);
    expect(made[0]!.setSize).toHaveBeenCalledWith({ width: 640, height: 160 });

    act(() => themeChanged?.());
    await waitFor(() => expect(made).toHaveLength(2));
    expect(made[0]!.destroy).toHaveBeenCalled();

    unmount();
    expect(made[1]!.destroy).toHaveBeenCalled();
  });

  it("shows its numbers only where it cannot draw", () => {
    vi.unstubAllGlobals();
    render(<Chart label="SNR" t={t} series={[{ label: "SNR", values: [1, 2.5, null] }]} />);
    expect(screen.getByRole("img", { name: /^Chart of SNR, .*: 2 values$/ })).toHaveAttribute("data-drawing", "failed");
    expect(screen.getByTestId("chart-stats")).toHaveTextContent("Latest2.5Lowest1Highest2.5");
    expect(made).toHaveLength(0);
  });

  it("draws a lone reading as a marker, not a dot cut in half at the right edge", async () => {
    const now = 3_600_000;
    render(<Chart label="RSSI (dBm)" t={[now - 1]} series={[{ label: "RSSI (dBm)", values: [-113] }]} range={[0, now]} />);
    await waitFor(() => expect(made).toHaveLength(1));
    const points = made[0]!.opts.series[1]?.points;
    expect(points?.show).toBe(true);
    expect(points?.size).toBe(LONE_POINT_SIZE);
    expect(LONE_POINT_SIZE).toBeGreaterThan(5);
    // The axis ends past "now" by enough for half a marker on the narrowest plot (about 500 px
    // wide in a 1024 px window): the reading is inside the plot, not cut at its edge.
    const [start, end] = timeRange(0, 0, [0, now]);
    expect(((end - now) / (end - start)) * 500).toBeGreaterThanOrEqual(LONE_POINT_SIZE / 2);
    // With no range, a lone time is a span of its own.
    expect(timeRange(5_000, 5_000)).toEqual([-55_000, 65_000]);
  });

  it("draws a burst of readings close together as markers too, and spread ones as a line", () => {
    const hour: [number, number] = [0, 3_600_000];
    // Five uplinks within a second of the last hour: a dot of a pixel as a line.
    expect(bunched([3_599_000, 3_599_200, 3_599_400, 3_599_600, 3_599_800], [1, 2, 3, 4, 5], hour)).toBe(true);
    expect(bunched([0, 1_800_000, 3_599_000], [1, 2, 3], hour)).toBe(false);
    // Without a range the readings' own span is the axis: all at one time is a dot.
    expect(bunched([5, 5], [1, 2])).toBe(true);
    expect(bunched([5, 6_000], [1, 2])).toBe(false);
    expect(bunched([5, 6], [null, null], hour)).toBe(true);
  });

  it("leaves gaps where asked, and says a series of zeros, or none, in words", async () => {
    render(
      <Chart
        label="Backlog"
        t={t}
        series={[
          { label: "Waiting", values: [0, null, 0], gaps: true, zeroText: "No backlog in the last hour." },
          { label: "Other", values: [null, null, null], emptyText: "No samples yet." },
        ]}
      />,
    );
    await waitFor(() => expect(made).toHaveLength(1));
    expect(made[0]!.opts.series[1]?.spanGaps).toBe(false);
    expect(made[0]!.opts.series[2]?.spanGaps).toBe(true);
    const [zeros, none] = screen.getAllByTestId("chart-stats");
    expect(zeros).toHaveTextContent(/^Waiting: No backlog in the last hour\.$/);
    expect(none).toHaveTextContent(/^Other: No samples yet\.$/);
  });

  it("summarises", () => {
    expect(summarise(t, [null, null, null])).toBeNull();
    expect(summarise(t, [3, null, 1])).toEqual({ count: 2, min: 1, max: 3, last: 1, lastAt: 3_000 });
    expect(chartName("SNR", [], [{ label: "SNR", values: [] }])).toBe("Chart of SNR: no values");
  });
});

describe("axis ticks", () => {
  it("carry the decimals their spacing needs, so no two read the same", () => {
    const ticks = (values: number[], step: number) => values.map((v) => formatValue(v, tickDigits(step)));
    expect(ticks([0, 0.005, 0.01, 0.015, 0.02], 0.005)).toEqual(["0", "0.005", "0.01", "0.015", "0.02"]);
    expect(ticks([0, 0.5, 1], 0.5)).toEqual(["0", "0.5", "1"]);
    expect(ticks([0, 200, 400], 200)).toEqual(["0", "200", "400"]);
    expect(ticks([0, 0.25, 0.5, 0.75], 0.25)).toEqual(["0", "0.25", "0.5", "0.75"]);
    expect(tickDigits(0.25)).toBe(2);
    expect(tickDigits(0.01)).toBe(2);
  });
});
