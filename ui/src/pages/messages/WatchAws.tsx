// Watch AWS: the integration's own monitor identity on AWS IoT's data endpoint. While it watches,
// each uplink AWS echoes is marked "✓ AWS" and every downlink on the down topics shows; Publish
// downlink sends one through AWS, so the whole round trip AWS → bridge → LNS runs for real.
import { useEffect, useId, useState } from "react";
import { listDevices, publishDownlinkViaAws, toError, watchAws, watchStates } from "../../api";
import type { Device, Integration, WatchState } from "../../bindings";
import { Dialog } from "../../components";
import { formatCount } from "../../format";

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
    <span className="msg-watch-state" data-testid="watch-state" role="status" title={state.detail}>
      <span className={`badge badge-health badge-health-${phase.tone}`}>{phase.label}</span>{" "}
      {state.phase === "watching" ? (
        <span className="muted">
          as {state.thing}: {formatCount(state.seen)} uplinks seen on AWS, {formatCount(state.downlinks)} downlinks
        </span>
      ) : (
        <span className={state.phase === "failing" ? "field-error" : "muted"}>{state.detail}</span>
      )}
    </span>
  );
}

const EXAMPLE = '{"payload_raw": "AQID", "port": 1, "confirmed": false}';

export function WatchAws({ integrations, preferred }: { integrations: readonly Integration[]; preferred: string }) {
  const [chosen, setChosen] = useState("");
  const [states, setStates] = useState<WatchState[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [publishing, setPublishing] = useState(false);
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
        onClick={() => setPublishing(true)}
      >
        Publish downlink…
      </button>
      <WatchStatus state={state} />
      {error ? (
        <span className="field-error" role="alert" data-testid="watch-error">
          {error}
        </span>
      ) : null}
      {publishing ? (
        <PublishDialog integration={integrations.find((i) => i.id === id) ?? null} onClose={() => setPublishing(false)} />
      ) : null}
    </div>
  );
}

function PublishDialog({ integration, onClose }: { integration: Integration | null; onClose: () => void }) {
  const titleId = useId();
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [device, setDevice] = useState("");
  const [body, setBody] = useState(EXAMPLE);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    let cancelled = false;
    listDevices().then(
      (d) => {
        if (cancelled) return;
        setDevices(d);
        setDevice((current) => current || d[0]?.id || "");
      },
      (e: unknown) => {
        if (!cancelled) setResult({ ok: false, text: toError(e).message });
      },
    );
    return () => void (cancelled = true);
  }, []);

  const publish = () => {
    if (integration === null) return;
    setBusy(true);
    setResult(null);
    publishDownlinkViaAws(integration.id, device, body).then(
      (topic) => {
        setResult({ ok: true, text: `AWS acknowledged it on ${topic}; the bridge takes it from there.` });
        setBusy(false);
      },
      (e: unknown) => {
        setResult({ ok: false, text: toError(e).message });
        setBusy(false);
      },
    );
  };

  return (
    <Dialog
      titleId={titleId}
      title="Publish a downlink through AWS"
      testId="publish-dialog"
      busy={busy}
      onCancel={onClose}
      closeButton
      footer={
        <div className="dialog-actions">
          <button type="button" className="button button-secondary" disabled={busy} onClick={onClose}>
            Close
          </button>
          <button
            type="button"
            className="button button-primary"
            data-testid="publish-send"
            disabled={busy || device === "" || integration === null}
            onClick={publish}
          >
            {busy ? "Publishing…" : "Publish"}
          </button>
        </div>
      }
    >
      <div className="members">
        <p className="muted">
          Goes to <code>helium/devices/{device || "{id}"}/down</code> on AWS IoT, published with the monitor identity of{" "}
          {integration ? integration.name : "the integration"}, as your AWS application would. The bridge takes it from
          there to the device's LNS.
        </p>
        <label className="field">
          <span className="field-label">Device</span>
          <select
            className="input"
            data-testid="publish-device"
            value={device}
            disabled={devices === null}
            onChange={(e) => setDevice(e.target.value)}
          >
            {(devices ?? []).map((d) => (
              <option key={d.id} value={d.id}>
                {d.name || d.id}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Downlink JSON</span>
          <textarea
            className="input mono"
            rows={4}
            spellCheck={false}
            data-testid="publish-body"
            value={body}
            onChange={(e) => setBody(e.target.value)}
          />
        </label>
        {result ? (
          <p className={result.ok ? "note check-ok" : "note inline-error"} role="status" data-testid="publish-result">
            {result.text}
          </p>
        ) : null}
      </div>
    </Dialog>
  );
}
