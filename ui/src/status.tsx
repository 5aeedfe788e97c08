// The bridge's live status: the sidebar indicator and the connections panel. Both poll.
import { bridgeStatus, connectionStates } from "./api";
import type { BridgeStatus, ConnectionState } from "./bindings";
import { usePolling } from "./useCommand";

export const STATUS_POLL_MS = 2000;

const BRIDGE_LABELS: Record<BridgeStatus["state"], string> = {
  starting: "Bridge starting…",
  running: "Bridge running",
  failed: "Bridge not running",
  stopped: "Bridge stopped",
};

/** Sidebar line: is the in-process bridge running, and why not. */
export function BridgeIndicator() {
  const state = usePolling(bridgeStatus, STATUS_POLL_MS);
  if (state.status !== "ready") return null;
  const status = state.data;
  return (
    <div className="bridge-status" data-testid="bridge-status" data-state={status.state} aria-live="polite">
      <span className="bridge-status-line">
        <span className={status.state === "running" ? "dot dot-on" : status.state === "failed" ? "dot dot-error" : "dot"} />
        {BRIDGE_LABELS[status.state]}
      </span>
      {status.state === "failed" ? (
        <span className="bridge-status-error" data-testid="bridge-error" title={status.error}>
          {status.error}
        </span>
      ) : null}
    </div>
  );
}

const SIDE_LABELS: Record<string, string> = { source: "Source", integration: "Integration" };

function ConnectionRow({ conn }: { conn: ConnectionState }) {
  return (
    <li className="conn-row" data-testid="connection-state" data-connected={conn.connected}>
      <span className={conn.connected ? "dot dot-on" : "dot"} aria-hidden="true" />
      <span className="conn-side">{SIDE_LABELS[conn.side] ?? conn.side}</span>
      <span className="conn-name ellipsis" title={conn.name}>
        {conn.name}
      </span>
      <span className="conn-detail muted ellipsis" title={conn.detail}>
        <span className="sr-only">{conn.connected ? "connected: " : "not connected: "}</span>
        {conn.detail}
      </span>
    </li>
  );
}

/** Every source and integration session of the running bridge, refreshed every 2 s. */
export function ConnectionPanel() {
  const state = usePolling(connectionStates, STATUS_POLL_MS);
  const summary =
    state.status === "ready" && state.data.length > 0
      ? `${state.data.filter((c) => c.connected).length} of ${state.data.length} connected`
      : null;

  return (
    <section className="panel" aria-labelledby="connections-title" data-testid="connections">
      <header className="panel-header">
        <h2 id="connections-title">Connections</h2>
        {summary ? <span className="muted">{summary}</span> : null}
      </header>
      {state.status === "loading" ? <p className="panel-note muted">Checking connections…</p> : null}
      {state.status === "error" ? (
        <p className="panel-note text-danger" data-testid="connections-error">
          {state.error.message}
        </p>
      ) : null}
      {state.status === "ready" && state.data.length === 0 ? (
        <p className="panel-note muted" data-testid="connections-empty">
          No connections yet. Sources appear here once one is configured (
          <code>helium-aws-bridge source add</code>); AWS IoT sessions appear when devices send traffic.
        </p>
      ) : null}
      {state.status === "ready" && state.data.length > 0 ? (
        <ul className="conn-list" aria-label="Connections">
          {state.data.map((conn) => (
            <ConnectionRow key={`${conn.side}/${conn.id}`} conn={conn} />
          ))}
        </ul>
      ) : null}
    </section>
  );
}
