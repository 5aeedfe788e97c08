// A device's charts: the numbers its uplinks carried (RSSI, SNR, its decoded payload's) over a
// time range, one chart per field, all on the same time axis.
import { useCallback, useEffect, useState } from "react";
import { deviceSeries, seriesFields, toError } from "../api";
import type { Series, SeriesField } from "../bindings";
import { Chart } from "../Chart";
import { ErrorState, Loading } from "../components";
import { formatCount } from "../format";
import { useCommand } from "../useCommand";
import { NOT_HEARD } from "./deviceName";

const HOUR = 3_600_000;

export const CHART_RANGES = [
  { id: "1h", label: "Last hour", ms: HOUR },
  { id: "6h", label: "Last 6 hours", ms: 6 * HOUR },
  { id: "24h", label: "Last 24 hours", ms: 24 * HOUR },
  { id: "7d", label: "Last 7 days", ms: 7 * 24 * HOUR },
] as const;

type RangeId = (typeof CHART_RANGES)[number]["id"];

/** RSSI and SNR: charted until the user picks other fields. */
export const DEFAULT_PATHS = ["$.hotspots[0].rssi", "$.hotspots[0].snr"];
/** The core charts up to this many fields at once. */
export const MAX_FIELDS = 8;

type Span = { from: number; to: number };

const spanOf = (id: RangeId, now = Date.now()): Span => {
  const range = CHART_RANGES.find((r) => r.id === id) ?? CHART_RANGES[0];
  return { from: now - range.ms, to: now };
};

type Load =
  | { status: "idle" }
  | { status: "loading" }
  | { status: "error"; error: Error }
  | { status: "ready"; series: Series; span: Span };

/** The panel's title and what a point is. */
function ChartsHeader() {
  return (
    <header className="panel-header">
      <h2 id="device-charts-title">Charts</h2>
      <span className="muted">One point per uplink: what it carried.</span>
    </header>
  );
}

/** `heard`: false for a device no uplink came from yet: nothing to chart, nothing asked, and it says so. */
export function DeviceCharts({ deviceId, heard = true }: { deviceId: string; heard?: boolean }) {
  if (heard) return <HeardCharts deviceId={deviceId} />;
  return (
    <section className="panel" aria-labelledby="device-charts-title" data-testid="device-charts">
      <ChartsHeader />
      <p className="panel-note muted" data-testid="chart-unheard">
        {NOT_HEARD}: its charts show what its uplinks carry (RSSI, SNR, decoded values).
      </p>
    </section>
  );
}

function HeardCharts({ deviceId }: { deviceId: string }) {
  const fieldsFetcher = useCallback(() => seriesFields(deviceId), [deviceId]);
  const [fields, reloadFields] = useCommand<SeriesField[]>(fieldsFetcher);
  const [rangeId, setRangeId] = useState<RangeId>("1h");
  const [span, setSpan] = useState<Span>(() => spanOf("1h"));
  // null until the user picks: RSSI and SNR (those of them the device has).
  const [picked, setPicked] = useState<readonly string[] | null>(null);
  const [load, setLoad] = useState<Load>({ status: "idle" });
  // Data already shown stays while the next answer comes (no flash on a range change).
  const [busy, setBusy] = useState(false);
  const [attempt, setAttempt] = useState(0);

  const known = fields.status === "ready" ? fields.data : [];
  const chosen = picked ?? DEFAULT_PATHS;
  // In the order the core lists them; never more than it takes.
  const paths = known.map((f) => f.path).filter((p) => chosen.includes(p)).slice(0, MAX_FIELDS);
  const pathsKey = JSON.stringify(paths);

  useEffect(() => {
    const asked: string[] = JSON.parse(pathsKey);
    if (asked.length === 0) {
      setLoad({ status: "idle" });
      setBusy(false);
      return undefined;
    }
    let cancelled = false;
    setBusy(true);
    setLoad((prev) => (prev.status === "ready" ? prev : { status: "loading" }));
    deviceSeries(deviceId, span.from, span.to, asked).then(
      (series) => {
        if (cancelled) return;
        setLoad({ status: "ready", series, span });
        setBusy(false);
      },
      (reason: unknown) => {
        if (cancelled) return;
        setLoad({ status: "error", error: toError(reason) });
        setBusy(false);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [deviceId, span, pathsKey, attempt]);

  const toggle = (path: string, on: boolean) => {
    const next = on ? [...paths, path] : paths.filter((p) => p !== path);
    setPicked(next);
  };
  const refresh = () => setSpan(spanOf(rangeId));
  const full = paths.length >= MAX_FIELDS;
  const labels = new Map(known.map((f, i) => [f.path, { label: f.label, color: (i % 8) + 1 }]));

  return (
    <section className="panel" aria-labelledby="device-charts-title" data-testid="device-charts">
      <ChartsHeader />
      <div className="details-section charts">
        {fields.status === "loading" ? <Loading what="the fields" /> : null}
        {fields.status === "error" ? (
          <ErrorState what="the fields to chart" error={fields.error} onRetry={reloadFields} />
        ) : null}
        {fields.status === "ready" && known.length === 0 ? (
          <p className="muted" data-testid="chart-no-fields">
            No numbers to chart yet: they come with the device&apos;s uplinks.
          </p>
        ) : null}
        {fields.status === "ready" && known.length > 0 ? (
          <>
            <div className="chart-controls">
              <label className="chart-range">
                <span className="field-label">Time range</span>
                <select
                  className="input"
                  data-testid="chart-range"
                  value={rangeId}
                  onChange={(e) => {
                    const id = e.target.value as RangeId;
                    setRangeId(id);
                    setSpan(spanOf(id));
                  }}
                >
                  {CHART_RANGES.map((r) => (
                    <option key={r.id} value={r.id}>
                      {r.label}
                    </option>
                  ))}
                </select>
              </label>
              <button
                type="button"
                className="button button-secondary button-small"
                data-testid="chart-refresh"
                disabled={busy || paths.length === 0}
                onClick={refresh}
              >
                {busy ? "Loading…" : "Refresh"}
              </button>
            </div>
            <fieldset className="chart-fields">
              <legend className="field-label">Fields, up to {MAX_FIELDS}</legend>
              <div className="chip-list">
                {known.map((f) => {
                  const on = paths.includes(f.path);
                  return (
                    <label key={f.path} className={on ? "chip chip-on" : "chip"} title={f.path}>
                      <input
                        type="checkbox"
                        data-testid="chart-field"
                        data-path={f.path}
                        checked={on}
                        disabled={!on && full}
                        onChange={(e) => toggle(f.path, e.target.checked)}
                      />
                      {f.label}
                    </label>
                  );
                })}
              </div>
              {full ? (
                <p className="field-hint" data-testid="chart-fields-full">
                  {MAX_FIELDS} fields are charted: clear one to pick another.
                </p>
              ) : null}
            </fieldset>
            <ChartsBody
              load={load}
              labels={labels}
              deviceId={deviceId}
              busy={busy}
              none={paths.length === 0}
              onRetry={() => setAttempt((n) => n + 1)}
            />
          </>
        ) : null}
      </div>
    </section>
  );
}

function ChartsBody({
  load,
  labels,
  deviceId,
  busy,
  none,
  onRetry,
}: {
  load: Load;
  labels: ReadonlyMap<string, { label: string; color: number }>;
  deviceId: string;
  busy: boolean;
  none: boolean;
  onRetry: () => void;
}) {
  if (none)
    return (
      <p className="muted" data-testid="chart-none">
        Pick a field to chart.
      </p>
    );
  switch (load.status) {
    case "idle":
      return null;
    case "loading":
      return <Loading what="the chart data" />;
    case "error":
      return (
        <div data-testid="chart-error">
          <ErrorState what="the chart data" error={load.error} onRetry={onRetry} />
        </div>
      );
    case "ready": {
      const { series, span } = load;
      if (series.t.length === 0)
        return (
          <p className="muted chart-empty" data-testid="chart-empty">
            No uplinks in this range.
          </p>
        );
      return (
        <>
          {series.truncated ? (
            <p className="note" data-testid="chart-truncated">
              More uplinks came in this range than a chart shows: these are the newest {formatCount(series.t.length)}.
              Pick a shorter range to see every one.
            </p>
          ) : null}
          <div className="chart-stack" aria-busy={busy || undefined} data-testid="chart-list">
            {series.columns.map((c) => {
              const field = labels.get(c.path);
              return (
                <Chart
                  key={c.path}
                  label={field?.label ?? c.path}
                  t={series.t}
                  series={[{ label: field?.label ?? c.path, values: c.values, color: field?.color ?? 1 }]}
                  range={[span.from, span.to]}
                  height={170}
                  syncKey={`device-${deviceId}`}
                  testId="device-chart"
                />
              );
            })}
          </div>
        </>
      );
    }
  }
}
