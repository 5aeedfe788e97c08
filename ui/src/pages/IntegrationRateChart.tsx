// An integration's uplinks per second and its backlog (uplinks waiting in the outbox, sampled while
// the bridge runs) over the last hour, a point a minute, read again every minute while its page is
// open. The two charts share their cursor, and their gaps: a minute the bridge was not running is
// no value in both (not a 0/s drawn before the bridge even started), and a real 0 is said in words.
import { useEffect, useState } from "react";
import { toError, uplinkRate } from "../api";
import type { Rate } from "../bindings";
import { Chart, formatValue } from "../Chart";
import { ErrorState, Loading } from "../components";
import { formatCount } from "../format";

export const RATE_WINDOW_MS = 3_600_000;
export const RATE_BUCKET_MS = 60_000;
export const RATE_REFRESH_MS = 60_000;

type Load =
  | { status: "loading" }
  | { status: "error"; error: Error }
  | { status: "ready"; rate: Rate; from: number; to: number };

const perSecond = (v: number, digits?: number) => `${formatValue(v, digits)}/s`;

/** How often the bridge samples the backlog (the core's `sample_every`). */
const SAMPLE_SECS = 15;

/**
 * Uplinks per second where the bridge was running: the core answers 0 for every minute without
 * an uplink, those before it started included. A minute with a backlog sample (taken only while
 * it runs) or an uplink is a reading; any other is no value, as in the backlog chart.
 */
export function ratePerSecond(rate: Rate): (number | null)[] {
  return rate.per_second.map((v, i) => (v > 0 || (rate.backlog[i] ?? null) !== null ? v : null));
}

export function IntegrationRateChart({
  id,
  backlogNow,
}: {
  id: string;
  /** The backlog as the latest health reading has it: said while no sample is charted yet. */
  backlogNow?: number;
}) {
  const [load, setLoad] = useState<Load>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      const to = Date.now();
      const from = to - RATE_WINDOW_MS;
      uplinkRate(id, from, to, RATE_BUCKET_MS)
        .then(
          (rate) => {
            if (!cancelled) setLoad({ status: "ready", rate, from, to });
          },
          (reason: unknown) => {
            // A failed refresh keeps the chart shown; the next one may do better.
            if (!cancelled) setLoad((prev) => (prev.status === "ready" ? prev : { status: "error", error: toError(reason) }));
          },
        )
        .finally(() => {
          if (!cancelled) timer = setTimeout(tick, RATE_REFRESH_MS);
        });
    };
    tick();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [id, attempt]);

  return (
    <section className="panel" aria-labelledby="rate-chart-title" data-testid="integration-rate-chart">
      <header className="panel-header">
        <h2 id="rate-chart-title">Uplinks per second and backlog, last hour</h2>
        <span className="muted">A point a minute; updated every minute.</span>
      </header>
      {/* As tall while loading as when drawn: the sections below must not move under the pointer. */}
      <div className="details-section rate-chart-slot">
        {load.status === "loading" ? <Loading what="the uplink rate" /> : null}
        {load.status === "error" ? (
          <ErrorState
            what="the uplink rate"
            error={load.error}
            onRetry={() => {
              setLoad({ status: "loading" });
              setAttempt((n) => n + 1);
            }}
          />
        ) : null}
        {load.status === "ready" && load.rate.t.length === 0 ? (
          <p className="muted chart-empty" data-testid="rate-empty">
            No readings: the bridge was not running in the last hour, or started just now.
          </p>
        ) : null}
        {load.status === "ready" && load.rate.t.length > 0 ? (
          <>
            <Chart
              label="Uplinks per second"
              t={load.rate.t}
              series={[
                {
                  label: "Uplinks per second",
                  values: ratePerSecond(load.rate),
                  color: 1,
                  gaps: true,
                  emptyText: "No readings: the bridge was not running in the last hour, or started just now.",
                  // Zeros only where the bridge ran: the gaps are the rest of the hour.
                  zeroText: "No uplinks while the bridge ran in the last hour.",
                },
              ]}
              range={[load.from, load.to]}
              height={160}
              syncKey={`integration-${id}`}
              format={perSecond}
              fromZero
              showTitle={false}
              testId="rate-chart"
            />
            {/* Gaps where the bridge was not running: no sample, not an empty outbox. */}
            <Chart
              label="Backlog (uplinks waiting for AWS)"
              t={load.rate.t}
              series={[
                {
                  label: "Waiting",
                  values: load.rate.backlog,
                  color: 2,
                  gaps: true,
                  emptyText:
                    `No samples yet: the bridge takes one every ${SAMPLE_SECS} s while it runs.` +
                    (backlogNow === undefined ? "" : ` Waiting now: ${formatCount(backlogNow)}.`),
                  zeroText: "No backlog while the bridge ran in the last hour: nothing waited for AWS.",
                },
              ]}
              range={[load.from, load.to]}
              height={120}
              syncKey={`integration-${id}`}
              fromZero
              whole
              testId="backlog-chart"
            />
          </>
        ) : null}
      </div>
    </section>
  );
}
