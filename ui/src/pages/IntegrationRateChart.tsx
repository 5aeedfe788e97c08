// An integration's uplinks per second and its backlog (uplinks waiting in the outbox, sampled while
// the bridge runs) over the last hour, a point a minute, read again every minute while its page is
// open. The two charts share their cursor.
import { useEffect, useState } from "react";
import { toError, uplinkRate } from "../api";
import type { Rate } from "../bindings";
import { Chart, formatValue } from "../Chart";
import { ErrorState, Loading } from "../components";

export const RATE_WINDOW_MS = 3_600_000;
export const RATE_BUCKET_MS = 60_000;
export const RATE_REFRESH_MS = 60_000;

type Load =
  | { status: "loading" }
  | { status: "error"; error: Error }
  | { status: "ready"; rate: Rate; from: number; to: number };

const perSecond = (v: number, digits?: number) => `${formatValue(v, digits)}/s`;

export function IntegrationRateChart({ id }: { id: string }) {
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
            No uplinks in the last hour.
          </p>
        ) : null}
        {load.status === "ready" && load.rate.t.length > 0 ? (
          <>
            <Chart
              label="Uplinks per second"
              t={load.rate.t}
              series={[{ label: "Uplinks per second", values: load.rate.per_second, color: 1 }]}
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
              series={[{ label: "Waiting", values: load.rate.backlog, color: 2 }]}
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
