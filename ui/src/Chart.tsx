// One time chart, drawn by uPlot (a small canvas library, loaded with the first chart): lines over
// a time axis, coloured from the theme's tokens, resized with its box, redrawn when the theme
// changes. It is an image with a name that says what it shows, and under it the lowest, highest
// and latest values as text. Where it cannot draw (no canvas, as in the unit tests), only the text
// shows.
import { useEffect, useRef, useState } from "react";
import type uPlot from "uplot";
import { formatDateTime } from "./format";

export type ChartSeries = {
  /** What it is, e.g. `RSSI (dBm)`. */
  label: string;
  /** One per time of the chart; `null` where there is none (the line spans the gap, unless `gaps`). */
  values: readonly (number | null)[];
  /** Its colour: the token `--chart-N`, 1 to 8. */
  color?: number;
  /** A `null` is a gap in the line (no reading then: the bridge was not running), not spanned. */
  gaps?: boolean;
  /** What its numbers under the chart say when it has no value ("No values in this range." otherwise). */
  emptyText?: string;
  /** What they say when every value is 0, instead of three zeros (a real zero, said in words). */
  zeroText?: string;
};

type Props = {
  /** What the chart shows, e.g. `RSSI (dBm)`: its accessible name starts with it. */
  label: string;
  /** Milliseconds since the epoch, oldest first. */
  t: readonly number[];
  series: readonly ChartSeries[];
  /** The time axis spans this (ms), so charts of one range line up; the data's own span otherwise. */
  range?: readonly [number, number];
  /** Height of the plot in CSS pixels. */
  height?: number;
  /** Charts with the same key show the cursor at the same time. */
  syncKey?: string;
  /** How a value reads (axis, summary, cursor). */
  /** `digits`: the decimals an axis tick needs to differ from its neighbours. */
  format?: (value: number, digits?: number) => string;
  /** The y axis starts at zero (a rate), and the area under the line is filled. */
  fromZero?: boolean;
  /** The values are counts: the y axis ticks whole numbers only. */
  whole?: boolean;
  /** Its label shows as a heading over it (off where the section's heading says it already). */
  showTitle?: boolean;
  testId?: string;
};

/** Room left of the first time and right of the last, as a share of the span: a point at either end is whole. */
export const X_PAD = 0.02;
/** A single point's span when the chart has no range: a minute either side. */
const LONE_SPAN_MS = 60_000;

/**
 * The time axis: the range asked (or the data's), widened by {@link X_PAD} at both ends, so a
 * reading at "now" (the range's end) is not cut in half at the edge.
 */
export function timeRange(min: number, max: number, range?: readonly [number, number]): [number, number] {
  const [from, to] = range ?? [min, max];
  if (to <= from) return [from - LONE_SPAN_MS, to + LONE_SPAN_MS];
  const pad = (to - from) * X_PAD;
  return [from - pad, to + pad];
}

/** A lone point has no line to show it: drawn this big (a normal point: 5 px). */
export const LONE_POINT_SIZE = 9;

/** Readings closer together than this share of the time axis draw as one dot, not a line. */
const BUNCHED = 0.01;

/**
 * A series whose readings, one or a few close together (a burst of uplinks in the last hour),
 * would draw as a dot of a pixel or two: no line to see, so it needs markers.
 */
export function bunched(t: readonly number[], values: readonly (number | null)[], range?: readonly [number, number]): boolean {
  let first = Infinity;
  let last = -Infinity;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) return;
    const at = t[i] ?? 0;
    first = Math.min(first, at);
    last = Math.max(last, at);
  });
  if (first > last) return true;
  const [from, to] = range ?? [t[0] ?? 0, t[t.length - 1] ?? 0];
  return last - first <= (to - from) * BUNCHED;
}

/** The lowest, highest and latest value of a series, and how many it has. */
export type Summary = { count: number; min: number; max: number; last: number; lastAt: number } | null;

export function summarise(t: readonly number[], values: readonly (number | null)[]): Summary {
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  let last = 0;
  let lastAt = 0;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) return;
    count++;
    min = Math.min(min, v);
    max = Math.max(max, v);
    last = v;
    lastAt = t[i] ?? 0;
  });
  return count === 0 ? null : { count, min, max, last, lastAt };
}

/** A number as people read it: grouped, at most two decimals. */
export function formatValue(value: number, digits?: number): string {
  return value.toLocaleString(undefined, { maximumFractionDigits: digits ?? (Math.abs(value) >= 100 ? 0 : 2) });
}

const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 1e6, 1e7];

/** The decimals ticks `step` apart need so that no two read the same (0.005 apart: 3; 0.25: 2). */
export function tickDigits(step: number): number {
  for (let d = 0; d < 6; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6) return d;
  }
  return 6;
}

/** The accessible name: what, over which time, how many values. */
export function chartName(label: string, t: readonly number[], series: readonly ChartSeries[], range?: readonly [number, number]): string {
  const from = range?.[0] ?? t[0];
  const to = range?.[1] ?? t[t.length - 1];
  const span = from !== undefined && to !== undefined ? `, ${formatDateTime(from)} to ${formatDateTime(to)}` : "";
  const count = series.reduce((n, s) => n + (summarise(t, s.values)?.count ?? 0), 0);
  return `Chart of ${label}${span}: ${count === 0 ? "no values" : count === 1 ? "1 value" : `${count.toLocaleString()} values`}`;
}

const pad = (n: number) => String(n).padStart(2, "0");
const DAY = 86_400_000;

/** A time axis label, as the app writes times (24-hour); at midnight, or ticks days apart, the day. */
export function timeTick(ms: number, step: number): string {
  const d = new Date(ms);
  if (step < DAY && (d.getHours() !== 0 || d.getMinutes() !== 0)) return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return d.toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

let loader: Promise<typeof uPlot> | null = null;

/**
 * uPlot formats numbers with `navigator.language` as it loads, and a process started with
 * `LANG=C` (servers, containers, Xvfb) gives WebKit the tag "C", which Intl refuses ("invalid
 * language tag"): no chart would ever draw. Such a tag is replaced by the default locale.
 */
function usableLanguage(): void {
  try {
    new Intl.NumberFormat(navigator.language);
  } catch {
    const fallback = new Intl.NumberFormat().resolvedOptions().locale;
    Object.defineProperty(navigator, "language", { value: fallback, configurable: true });
  }
}

/** uPlot, loaded once (its own chunk: pages without charts do not pay for it). */
function loadUPlot(): Promise<typeof uPlot> {
  usableLanguage();
  loader ??= import("uplot").then(
    (m) => m.default,
    (reason: unknown) => {
      loader = null;
      throw reason;
    },
  );
  return loader;
}

/** uPlot needs a canvas, media queries and resize observers: jsdom has none of them. */
export function canDraw(): boolean {
  return typeof window !== "undefined" && typeof window.matchMedia === "function" && typeof ResizeObserver === "function";
}

const DARK = "(prefers-color-scheme: dark)";

/** The tokens (on :root) a chart is drawn with, read as the theme has them now. */
function themeColours(el: Element) {
  const root = getComputedStyle(document.documentElement);
  const token = (name: string, fallback: string) => root.getPropertyValue(name).trim() || fallback;
  return {
    axis: token("--text-muted", "#5b6178"),
    grid: token("--border", "#e3e6ef"),
    line: (n: number) => token(`--chart-${((n - 1) % 8) + 1}`, "#4f46e5"),
    font: `11px ${getComputedStyle(el).fontFamily || "system-ui, sans-serif"}`,
  };
}

/** `#rrggbb` with an alpha (the fill under a line); other colour forms as they are. */
function withAlpha(colour: string, alpha: string): string {
  return /^#[0-9a-f]{6}$/i.test(colour) ? colour + alpha : colour;
}

type Latest = Pick<Props, "t" | "series" | "range" | "format">;

function toData({ t, series }: Latest): uPlot.AlignedData {
  // uPlot reads the arrays and never writes them.
  return [t as number[], ...series.map((s) => s.values as (number | null)[])];
}

/** What a chart's data is made of, compared by identity. */
type DataKey = { t: readonly number[]; values: readonly (readonly (number | null)[])[]; from?: number; to?: number };

const shownKey = ({ t, series, range }: Latest): DataKey => ({ t, values: series.map((s) => s.values), from: range?.[0], to: range?.[1] });

const sameData = (a: DataKey, b: DataKey) =>
  a.t === b.t && a.from === b.from && a.to === b.to && a.values.length === b.values.length && a.values.every((v, i) => v === b.values[i]);

export function Chart({
  label,
  t,
  series,
  range,
  height = 160,
  syncKey,
  format = formatValue,
  fromZero = false,
  whole = false,
  showTitle = true,
  testId,
}: Props) {
  const box = useRef<HTMLDivElement>(null);
  const readout = useRef<HTMLSpanElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shown = useRef<DataKey | null>(null);
  // The props as of the latest render: uPlot's callbacks read them, so new data needs no new chart.
  const latest = useRef<Latest>({ t, series, range, format });
  latest.current = { t, series, range, format };
  const [drawing, setDrawing] = useState<"pending" | "drawn" | "failed">(() => (canDraw() ? "pending" : "failed"));
  // Bumped when the theme changes: the chart is made again with the new colours.
  const [theme, setTheme] = useState(0);

  useEffect(() => {
    if (!canDraw()) return undefined;
    const query = window.matchMedia(DARK);
    const changed = () => setTheme((n) => n + 1);
    query.addEventListener?.("change", changed);
    return () => query.removeEventListener?.("change", changed);
  }, []);

  // Each series one reading, or a few close together: no line, so each is drawn as a marker big enough to see.
  const lone = series.every((s) => bunched(t, s.values, range));
  // What the chart is made of; data alone changes through setData.
  const shape = JSON.stringify([
    series.map((s) => [s.label, s.color ?? 1, s.gaps ?? false]),
    height,
    syncKey ?? null,
    fromZero,
    theme,
    lone,
  ]);

  useEffect(() => {
    const el = box.current;
    if (!el || !canDraw()) return undefined;
    let gone = false;
    let made: uPlot | null = null;
    let observer: ResizeObserver | null = null;
    loadUPlot().then(
      (UPlot) => {
        if (gone) return;
        try {
          const colours = themeColours(el);
          const axis: uPlot.Axis = {
            stroke: colours.axis,
            font: colours.font,
            grid: { stroke: colours.grid, width: 1 },
            ticks: { stroke: colours.grid, width: 1, size: 4 },
          };
          const opts: uPlot.Options = {
            width: Math.max(el.clientWidth, 200),
            height,
            ms: 1,
            legend: { show: false },
            cursor: {
              y: false,
              drag: { x: false, y: false },
              ...(syncKey ? { sync: { key: syncKey, setSeries: false } } : {}),
            },
            scales: {
              x: {
                time: true,
                range: (_u, min, max) => timeRange(min, max, latest.current.range),
              },
              ...(fromZero ? { y: { range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, max > 0 ? max * 1.15 : 1] } } : {}),
            },
            axes: [
              { ...axis, size: 36, values: (_u, splits, _axis, _space, step) => splits.map((v) => timeTick(v, step)) },
              {
                ...axis,
                size: 56,
                space: 24,
                // Counts tick 1, 2, 5, 10, … apart: never half an uplink.
                ...(whole ? { incrs: WHOLE_STEPS } : {}),
                values: (_u, splits, _axis, _space, step) =>
                  splits.map((v) => (latest.current.format ?? formatValue)(v, tickDigits(step))),
              },
            ],
            series: [
              {},
              ...series.map((s): uPlot.Series => {
                const stroke = colours.line(s.color ?? 1);
                return {
                  label: s.label,
                  stroke,
                  width: 1.5,
                  spanGaps: !s.gaps,
                  points: lone ? { show: true, size: LONE_POINT_SIZE, fill: stroke } : { size: 5, fill: stroke },
                  ...(fromZero ? { fill: withAlpha(stroke, "26") } : {}),
                };
              }),
            ],
            hooks: {
              setCursor: [
                (u) => {
                  const out = readout.current;
                  if (!out) return;
                  const i = u.cursor.idx;
                  const at = i === null || i === undefined ? undefined : latest.current.t[i];
                  if (i === null || i === undefined || at === undefined) {
                    out.textContent = "";
                    return;
                  }
                  const shown = latest.current.series
                    .map((s) => s.values[i])
                    .map((v) => (v === null || v === undefined ? "—" : (latest.current.format ?? formatValue)(v)));
                  out.textContent = `${formatDateTime(at)}: ${shown.join(", ")}`;
                },
              ],
            },
          };
          made = new UPlot(opts, toData(latest.current), el);
          shown.current = shownKey(latest.current);
          plot.current = made;
          observer = new ResizeObserver((entries) => {
            const width = Math.floor(entries[0]?.contentRect.width ?? 0);
            if (width > 0 && made && width !== made.width) made.setSize({ width, height });
          });
          observer.observe(el);
          setDrawing("drawn");
        } catch (reason) {
          made?.destroy();
          made = null;
          el.dataset.error = String(reason);
          setDrawing("failed");
        }
      },
      (reason: unknown) => {
        el.dataset.error = String(reason);
        if (!gone) setDrawing("failed");
      },
    );
    return () => {
      gone = true;
      observer?.disconnect();
      made?.destroy();
      if (plot.current === made) plot.current = null;
    };
    // `shape` stands for what the options are made of.
  }, [shape]);

  // New data (not new arrays of the same data: callers may pass them inline) is drawn again.
  useEffect(() => {
    const p = plot.current;
    if (!p) return;
    const now = shownKey(latest.current);
    if (shown.current !== null && sameData(shown.current, now)) return;
    shown.current = now;
    p.setData(toData(latest.current));
  });

  const name = chartName(label, t, series, range);
  return (
    <div className="chart" data-testid={testId}>
      <div className="chart-head">
        {showTitle ? <h3 className="chart-title">{label}</h3> : null}
        <span ref={readout} className="chart-readout mono" aria-hidden="true" />
      </div>
      <div
        ref={box}
        className={drawing === "failed" ? "chart-plot chart-plot-none" : "chart-plot"}
        role="img"
        aria-label={name}
        data-drawing={drawing}
        style={drawing === "failed" ? undefined : { minHeight: height }}
      />
      <ChartStats t={t} series={series} format={format} />
    </div>
  );
}

/** The lowest, highest and latest value of each series, as text; a series all 0, or with none, in words. */
function ChartStats({ t, series, format }: { t: readonly number[]; series: readonly ChartSeries[]; format: (v: number) => string }) {
  return (
    <div className="chart-stats">
      {series.map((s) => {
        const sum = summarise(t, s.values);
        const of = series.length > 1 ? `${s.label}: ` : "";
        const said =
          sum === null
            ? (s.emptyText ?? "No values in this range.")
            : sum.min === 0 && sum.max === 0
              ? s.zeroText
              : undefined;
        if (said !== undefined)
          return (
            <p key={s.label} className="muted" data-testid="chart-stats">
              {of}
              {said}
            </p>
          );
        // (Never null here: said above. Narrowed for the types.)
        if (sum === null) return null;
        return (
          <dl key={s.label} className="chart-stats-list" data-testid="chart-stats">
            <div>
              <dt>{of}Latest</dt>
              <dd title={formatDateTime(sum.lastAt)}>{format(sum.last)}</dd>
            </div>
            <div>
              <dt>Lowest</dt>
              <dd>{format(sum.min)}</dd>
            </div>
            <div>
              <dt>Highest</dt>
              <dd>{format(sum.max)}</dd>
            </div>
          </dl>
        );
      })}
    </div>
  );
}
