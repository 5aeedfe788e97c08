// Watch AWS: the integration's own monitor identity on AWS IoT's data endpoint. While it watches,
// each uplink AWS echoes is marked "✓ AWS" and every downlink on the down topics shows; Publish
// downlink sends one through AWS, so the whole round trip AWS → bridge → LNS runs for real.
import { useEffect, useState } from "react";
import { toError, watchAws, watchStates } from "../../api";
import type { Integration, WatchState } from "../../bindings";
import { plural } from "../../format";
import { PublishDialog, SimulateDialog } from "./TryDialogs";

/** How often the monitors' states are read while one runs. */
const POLL_MS = 1000;

const PHASES: Record<WatchState["phase"], { label: string; tone: string }> = {
  connecting: { label: "Connecting", tone: "waiting" },
  watching: { label: "Watching", tone: "connected" },
  failing: { label: "Failing", tone: "failing" },
};

/** The monitor's phase as a badge; what it sees, or why it fails (the whole detail on hover). */
function WatchStatus({ state }: { state: WatchState | null }) {
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
        <span className="muted">
          {plural(state.seen, "uplink", "uplinks")} seen on AWS, {plural(state.downlinks, "downlink", "downlinks")}
        </span>
      ) : (
        <span className={state.phase === "failing" ? "field-error" : "muted"}>{state.detail}</span>
      )}
    </span>
  );
}

export function WatchAws({ integrations, preferred }: { integrations: readonly Integration[]; preferred: string }) {
  const [chosen, setChosen] = useState("");
  const [states, setStates] = useState<WatchState[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [dialog, setDialog] = useState<"publish" | "simulate" | null>(null);
  // The integration the filter shows, else the one picked here, else the first.
  const id = preferred || chosen || integrations[0]?.id || "";
  const state = states.find((s) => s.integration_id === id) ?? null;
  const running = states.length > 0;

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
      {preferred ? null : (
        <select
          className="input"
          aria-label="Integration to watch on AWS"
          data-testid="watch-integration"
          value={id}
          onChange={(e) => setChosen(e.target.value)}
        >
          {integrations.map((i) => (
            <option key={i.id} value={i.id}>
              {i.name}
            </option>
          ))}
        </select>
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
      <WatchStatus state={state} />
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
