// Watch AWS: the integration's own monitor identity on AWS IoT's data endpoint. While it watches,
// each uplink AWS echoes is marked "✓" and every downlink on the down topics shows; Publish
// downlink sends one through AWS, so the whole round trip AWS → bridge → LNS runs for real.
import { useEffect, useState } from "react";
import { toError, watchAws, watchStates } from "../../api";
import type { Integration, MessageRow, WatchState } from "../../bindings";
import { plural } from "../../format";
import { SEEN_LEGEND } from "./MessageTable";
import { PublishDialog, SimulateDialog } from "./TryDialogs";

/** By integration id: the uplinks marked seen on AWS (✓) and AWS's downlinks the list shows. */
export type AwsCounts = Record<string, { seen: number; downlinks: number }>;

/**
 * Counts what the rows show of Watch AWS. The count is the list's, not the monitor's own tally:
 * that one polled once a second (a ✓ showed while it still said 0), began again with each watch
 * (while rows kept the ✓ of an earlier one from the history), and counted what the filters hide.
 */
export function countOnAws(rows: readonly MessageRow[]): AwsCounts {
  const counts: AwsCounts = {};
  for (const r of rows) {
    const seen = r.seen_ms !== null && (r.kind === "uplink" || r.kind === "join");
    const downlink = r.kind === "aws_downlink";
    if (r.integration_id === null || (!seen && !downlink)) continue;
    const c = (counts[r.integration_id] ??= { seen: 0, downlinks: 0 });
    if (seen) c.seen++;
    else c.downlinks++;
  }
  return counts;
}

const NONE = { seen: 0, downlinks: 0 };

/** How often the monitors' states are read while one runs. */
const POLL_MS = 1000;

const PHASES: Record<WatchState["phase"], { label: string; tone: string }> = {
  connecting: { label: "Connecting", tone: "waiting" },
  watching: { label: "Watching", tone: "connected" },
  failing: { label: "Failing", tone: "failing" },
};

/** The monitor's phase as a badge; what the list shows of it, or why it fails (the whole detail on hover). */
function WatchStatus({ state, listed }: { state: WatchState | null; listed: { seen: number; downlinks: number } }) {
  if (state === null) {
    return (
      <span className="muted" data-testid="watch-state" role="status">
        Not watching AWS.
      </span>
    );
  }
  const phase = PHASES[state.phase];
  return (
    <span
      className="msg-watch-state"
      data-testid="watch-state"
      role="status"
      title={`${state.detail} (connected as ${state.thing})`}
    >
      <span className={`badge badge-health badge-health-${phase.tone}`}>{phase.label}</span>{" "}
      {state.phase === "watching" ? (
        // What the list holds now (it keeps the newest messages only), not a tally of the watch;
        // not read out at each change, which would be every uplink.
        <span className="muted" aria-live="off">
          In the list: {plural(listed.seen, "uplink", "uplinks")} seen on AWS,{" "}
          {plural(listed.downlinks, "downlink", "downlinks")} seen on AWS
        </span>
      ) : (
        <span className={state.phase === "failing" ? "field-error" : "muted"}>{state.detail}</span>
      )}
    </span>
  );
}

export function WatchAws({
  integrations,
  preferred,
  counts = {},
}: {
  integrations: readonly Integration[];
  /** The integration the Integration filter shows ("" for all). */
  preferred: string;
  /** What the live list shows of each integration's watch (see {@link countOnAws}). */
  counts?: AwsCounts;
}) {
  const [chosen, setChosen] = useState("");
  const [states, setStates] = useState<WatchState[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [dialog, setDialog] = useState<"publish" | "simulate" | null>(null);
  // The integration the filter shows, else the one picked here, else the first.
  const id = preferred || chosen || integrations[0]?.id || "";
  const state = states.find((s) => s.integration_id === id) ?? null;
  const running = states.length > 0;
  const listed = counts[id] ?? NONE;

  useEffect(() => {
    let cancelled = false;
    const read = () =>
      watchStates().then(
        (s) => {
          if (!cancelled) setStates(s);
        },
        () => undefined,
      );
    void read();
    if (!running) return () => void (cancelled = true);
    const timer = window.setInterval(read, POLL_MS);
    return () => {
      cancelled = true;
      window.clearInterval(timer);
    };
  }, [running]);

  if (integrations.length === 0) return null;

  const toggle = () => {
    setBusy(true);
    setError(null);
    watchAws(id, state === null).then(
      (s) => {
        setStates(s);
        setBusy(false);
      },
      (e: unknown) => {
        setError(toError(e).message);
        setBusy(false);
      },
    );
  };

  return (
    <div className="msg-watch" data-testid="watch-aws">
      {/* Labelled: it picks whose monitor identity watches AWS (and publishes), it filters nothing. */}
      {preferred ? (
        <span className="msg-watch-as" data-testid="watch-integration-name">
          <span className="field-label">Watch on AWS as:</span>{" "}
          {integrations.find((i) => i.id === id)?.name ?? id}{" "}
          <span className="muted">(the Integration filter&apos;s)</span>
        </span>
      ) : (
        <label className="msg-watch-as">
          <span className="field-label">Watch on AWS as:</span>
          <select className="input" data-testid="watch-integration" value={id} onChange={(e) => setChosen(e.target.value)}>
            {integrations.map((i) => (
              <option key={i.id} value={i.id}>
                {i.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <button
        type="button"
        className="button button-secondary button-small"
        aria-pressed={state !== null}
        data-testid="watch-toggle"
        disabled={busy}
        title="Subscribes on AWS IoT with this integration's own monitor identity, to see each uplink arrive at AWS."
        onClick={toggle}
      >
        {state === null ? "Watch AWS" : "Stop watching AWS"}
      </button>
      <button
        type="button"
        className="button button-secondary button-small"
        data-testid="publish-downlink"
        onClick={() => setDialog("publish")}
      >
        Publish downlink…
      </button>
      <button
        type="button"
        className="button button-secondary button-small"
        data-testid="simulate-uplink"
        title="Sends a test uplink for a device, marked metadata.simulated, the way a real one goes."
        onClick={() => setDialog("simulate")}
      >
        Simulate uplink…
      </button>
      <WatchStatus state={state} listed={listed} />
      {state !== null || listed.seen > 0 ? (
        <span className="msg-watch-legend muted" data-testid="watch-legend">
          <span className="msg-seen">✓</span> = {SEEN_LEGEND}
        </span>
      ) : null}
      {error ? (
        <span className="field-error" role="alert" data-testid="watch-error">
          {error}
        </span>
      ) : null}
      {dialog === "publish" ? (
        <PublishDialog integration={integrations.find((i) => i.id === id) ?? null} onClose={() => setDialog(null)} />
      ) : null}
      {dialog === "simulate" ? <SimulateDialog onClose={() => setDialog(null)} /> : null}
    </div>
  );
}
