// The bridge's live status: integration health (badge, backlog, uplinks/s), the sidebar indicator
// and the connections summary. All of it polls.
import { useState } from "react";
import { bridgeStatus, sourceStates, integrationHealth } from "./api";
import type { BridgeStatus, ConnectionState, IntegrationHealth, SessionState } from "./bindings";
import { formatCount } from "./format";
import { usePolling, type CommandState } from "./useCommand";

export const STATUS_POLL_MS = 2000;

/** One integration's health and its uplinks/s between the last two readings (null until there are two). */
export type LiveHealth = { health: IntegrationHealth; rate: number | null };

type Sample = { at: number; delivered: number; rate: number | null };

/** Readings closer than this are not a rate (e.g. React's dev mode mounting a poller twice). */
const MIN_RATE_WINDOW_MS = 500;

type Reading = { at: number; delivered: number };

/** Uplinks/s between two readings of `delivered`; null when it cannot be told (the counter restarted). */
export function uplinkRate(prev: Reading, next: Reading): number | null {
  const secs = (next.at - prev.at) / 1000;
  // `delivered` counts since the bridge started: a drop means it restarted, not negative traffic.
  if (secs <= 0 || next.delivered < prev.delivered) return null;
  return (next.delivered - prev.delivered) / secs;
}

/** "0", "4.5", "12", "1,204": one decimal below 10 uplinks/s, where it still means something. */
export function formatRate(rate: number): string {
  if (rate === 0) return "0";
  return rate < 10 ? rate.toFixed(1) : formatCount(Math.round(rate));
}

/** An `integrationHealth` that remembers its previous answer, to turn `delivered` into a rate. */
function healthFetcher(): () => Promise<LiveHealth[]> {
  let last = new Map<string, Sample>();
  return async () => {
    const list = await integrationHealth();
    const at = Date.now();
    const next = new Map<string, Sample>();
    const out = list.map((health) => {
      const prev = last.get(health.id);
      const reading = { at, delivered: health.delivered };
      const sample =
        prev && at - prev.at < MIN_RATE_WINDOW_MS ? prev : { ...reading, rate: prev ? uplinkRate(prev, reading) : null };
      next.set(health.id, sample);
      return { health, rate: sample.rate };
    });
    last = next;
    return out;
  };
}

/** Every integration's health, polled every {@link STATUS_POLL_MS}, with uplinks/s. */
export function useIntegrationHealth(): CommandState<LiveHealth[]> {
  // One fetcher per component: it holds the previous reading the rate is measured from.
  const [fetcher] = useState(healthFetcher);
  return usePolling(fetcher, STATUS_POLL_MS);
}

/** What the bridge's error chains repeat before the cause: what it was doing, the library's category. */
const ERROR_NOISE = /^(?:disconnected|could not connect|connection (?:failed|error|lost)|mqtt(?: connection)? error|i\/o(?: error)?|io error)\s*:\s*/i;
const OS_ERROR = /\s*\(os error \d+\)$/i;
/** Network failures that leave the cause bare: the sentence says what could not be reached. */
const UNREACHABLE: [RegExp, string][] = [
  [/^connection refused$/i, "connection refused"],
  [/^(?:connection |operation )?timed out$/i, "timed out"],
  [/^connection reset(?: by peer)?$/i, "connection reset"],
  [/^(?:network is unreachable|no route to host|host is unreachable)$/i, "network unreachable"],
  [/^(?:broken pipe|connection aborted)$/i, "connection dropped"],
  [/failed to lookup address|name or service not known|nodename nor servname|no such host/i, "host name not found"],
];

/**
 * An AWS IoT session's error, readable: "disconnected: I/O: Connection refused (os error 111)"
 * is "Can't reach AWS IoT (connection refused)"; other errors lose only the repeated prefixes.
 * The raw text stays in tooltips and on the details page.
 */
export function readableError(raw: string): string {
  let text = raw.trim();
  for (let before = ""; before !== text; ) {
    before = text;
    text = text.replace(ERROR_NOISE, "");
  }
  text = text.replace(OS_ERROR, "");
  const cause = UNREACHABLE.find(([pattern]) => pattern.test(text));
  if (cause) return `Can't reach AWS IoT (${cause[1]})`;
  return text === "" ? raw : text;
}

/** A failing badge's text: "Failing: <why, readable>". */
export function failingLabel(lastError: string | null): string {
  return `Failing: ${lastError === null ? "an AWS IoT session cannot connect" : readableError(lastError)}`;
}

type Tone = "connected" | "failing" | "waiting" | "neutral";

type View = { key: string; label: string; tone: Tone; title: string };

const HEALTH: Record<string, Omit<View, "key">> = {
  failing: { label: "Failing", tone: "failing", title: "An AWS IoT session cannot connect." },
  stopped: { label: "Bridge stopped", tone: "neutral", title: "The bridge is not running, so nothing is forwarded." },
  inactive: { label: "Disabled", tone: "neutral", title: "Disabled: nothing is forwarded to it." },
  waiting: { label: "Waiting", tone: "waiting", title: "Uplinks are waiting, but no AWS IoT session is up yet." },
  idle: { label: "Idle", tone: "neutral", title: "Nothing to send yet: no AWS IoT session is needed." },
  connected: { label: "Connected", tone: "connected", title: "Every AWS IoT session it needs is connected." },
};

/**
 * The sessions meant to be up. A stopped one was ended on purpose (its device left the
 * integration, or the integration was turned off): it is neither up nor failing, and counting it
 * made a green "Connected" sit beside "1 of 2 sessions connected". (A session still starting has
 * no state yet; one that cannot connect makes the integration Failing.)
 */
function meantToRun(health: IntegrationHealth): number {
  return health.sessions.filter((s) => s.detail !== STOPPED).length;
}

const STOPPED = "stopped";

/** What a health reading is, as shown. */
export function healthView(health: IntegrationHealth): View {
  const known = HEALTH[health.state] ?? { label: health.state, tone: "neutral", title: "" };
  return { key: health.state, ...known };
}

/**
 * Connected (green), Waiting (amber), Failing: <why> (red), Idle, Disabled,
 * Bridge stopped. A failing one says why in a few words; its tooltip has the error as the bridge
 * reported it. `clip` keeps it on one line (cut, the tooltip has it all).
 */
export function HealthBadge({ health, clip = false }: { health: IntegrationHealth; clip?: boolean }) {
  const view = healthView(health);
  const failing = health.state === "failing";
  const label = failing ? failingLabel(health.last_error) : view.label;
  const title = failing && health.last_error ? `${view.title}\n${health.last_error}` : view.title;
  return (
    <span
      className={`badge badge-health badge-health-${view.tone}${clip ? " badge-clip" : ""}`}
      data-testid="health-badge"
      data-state={view.key}
      title={title}
    >
      {clip ? <span className="ellipsis">{label}</span> : label}
    </span>
  );
}

/**
 * "N uplinks/s" once two readings tell it (0 at once when nothing can flow); until then, or when
 * no second reading comes (the bridge's health is unavailable), "—" and a tooltip saying why:
 * never a "Measuring…" that may not end.
 */
export function rateText({ health, rate }: LiveHealth): { text: string; title: string } {
  const title = "Uplinks AWS acknowledged per second, between the last two readings";
  if (rate !== null) return { text: `${formatRate(rate)} uplinks/s`, title };
  if (health.state === "inactive" || health.state === "stopped") return { text: "0 uplinks/s", title };
  return {
    text: "— uplinks/s",
    title: `Not known yet: a rate takes two readings of the bridge's health, ${STATUS_POLL_MS / 1000} s apart.`,
  };
}

/** The health badge (unless `badge` is false: shown elsewhere), "Backlog N" and "N uplinks/s". */
export function HealthLine({ live, badge = true }: { live: LiveHealth; badge?: boolean }) {
  const { health } = live;
  const rate = rateText(live);
  return (
    <span className="health-line" data-testid="integration-health">
      {badge ? <HealthBadge health={health} /> : null}
      <span className="health-stat" data-testid="health-backlog" title="Uplinks waiting in the outbox for it">
        Backlog {formatCount(health.backlog)}
      </span>
      <span className="health-stat" data-testid="health-rate" title={rate.title}>
        {rate.text}
      </span>
    </span>
  );
}

/** One device's AWS IoT session: connected, stopped, failing (and why) or not started. */
export function SessionBadge({ session }: { session: SessionState | null }) {
  if (!session) return <span className="muted">Not started</span>;
  if (session.connected) return <span className="badge badge-health badge-health-connected">Connected</span>;
  if (session.detail === STOPPED) return <span className="badge badge-health badge-health-neutral">Stopped</span>;
  return (
    <span className="badge badge-health badge-health-failing badge-clip" title={session.detail}>
      <span className="ellipsis">{failingLabel(session.detail)}</span>
    </span>
  );
}

/** "3 of 5 sessions connected", "1 failing" appended when some fail. */
export function sessionSummary(health: IntegrationHealth): string {
  const total = meantToRun(health);
  const stopped = health.sessions.length - total;
  const noun = total === 1 ? "session" : "sessions";
  let text = `${formatCount(health.sessions_connected)} of ${formatCount(total)} ${noun} connected`;
  if (health.sessions_failing > 0) text += `, ${formatCount(health.sessions_failing)} failing`;
  // Apart from the count: they are not meant to run (their device no longer routed here).
  if (stopped > 0) text += ` (${formatCount(stopped)} more stopped: not routed here now)`;
  return text;
}

const BRIDGE_LABELS: Record<BridgeStatus["state"], string> = {
  starting: "Bridge starting…",
  running: "Bridge running",
  failed: "Bridge not running",
  stopped: "Bridge stopped",
};

type Indicator = {
  state: string;
  dot: string;
  line: string;
  detail: string | null;
  /** The detail's tooltip: the error as reported, when the detail is its readable form. */
  title?: string;
  danger: boolean;
};

/**
 * The worst real state: a running bridge whose AWS side cannot connect is red, not green.
 * `null` while the health of a running bridge is not known yet (green could be a lie).
 */
export function indicatorFor(status: BridgeStatus, health: CommandState<LiveHealth[]>): Indicator | null {
  if (status.state === "failed") {
    return { state: "failed", dot: "dot dot-error", line: BRIDGE_LABELS.failed, detail: status.error, danger: true };
  }
  if (status.state !== "running") {
    return { state: status.state, dot: "dot", line: BRIDGE_LABELS[status.state], detail: null, danger: false };
  }
  if (health.status === "loading") return null;
  if (health.status === "error") {
    const detail = `Integration health unavailable: ${health.error.message}`;
    return { state: "unknown", dot: "dot", line: BRIDGE_LABELS.running, detail, danger: false };
  }
  const failing = health.data.filter((l) => l.health.state === "failing").map((l) => l.health);
  const first = failing[0];
  if (first) {
    const line = failing.length === 1 ? `AWS unreachable for ${first.name}` : `${failing.length} integrations failing`;
    const detail = first.last_error === null ? null : readableError(first.last_error);
    return { state: "failing", dot: "dot dot-error", line, detail, title: first.last_error ?? undefined, danger: true };
  }
  const waiting = health.data.filter((l) => l.health.state === "waiting").map((l) => l.health.name);
  if (waiting.length > 0) {
    const detail = `Connecting to AWS for ${waiting.join(", ")}`;
    return { state: "waiting", dot: "dot dot-wait", line: BRIDGE_LABELS.running, detail, danger: false };
  }
  return { state: "running", dot: "dot dot-on", line: BRIDGE_LABELS.running, detail: null, danger: false };
}

/** Sidebar line: is the bridge running, and is every integration's AWS side reachable. */
export function BridgeIndicator() {
  const state = usePolling(bridgeStatus, STATUS_POLL_MS);
  const health = useIntegrationHealth();
  const shown = state.status === "ready" ? indicatorFor(state.data, health) : null;
  if (!shown) return null;
  return (
    <div className="bridge-status" data-testid="bridge-status" data-state={shown.state} aria-live="polite">
      <span className="bridge-status-line">
        <span className={shown.dot} aria-hidden="true" />
        {shown.line}
      </span>
      {shown.detail ? (
        <span
          className={shown.danger ? "bridge-status-error" : "bridge-status-detail"}
          data-testid="bridge-error"
          title={shown.title ?? shown.detail}
        >
          {shown.detail}
        </span>
      ) : null}
    </div>
  );
}

const TONE_DOTS: Record<Tone, string> = {
  connected: "dot dot-on",
  failing: "dot dot-error",
  waiting: "dot dot-wait",
  neutral: "dot",
};

type Row = {
  key: string;
  side: string;
  name: string;
  detail: string;
  /** The detail's tooltip, when it differs (the error as reported). */
  title?: string;
  dot: string;
  ok: boolean;
  state: string;
};

function sourceRow(conn: ConnectionState): Row {
  return {
    key: `source/${conn.id}`,
    side: "Source",
    name: conn.name,
    detail: conn.detail,
    dot: conn.connected ? "dot dot-on" : "dot",
    ok: conn.connected,
    state: conn.connected ? "connected" : "disconnected",
  };
}

function integrationRow({ health }: LiveHealth): Row {
  let detail: string;
  let title: string | undefined;
  switch (health.state) {
    case "failing":
      detail = `${sessionSummary(health)}: ${
        health.last_error ? readableError(health.last_error) : "an AWS IoT session cannot connect"
      }`;
      title = health.last_error ? `${sessionSummary(health)}: ${health.last_error}` : undefined;
      break;
    case "inactive":
      detail = "Disabled";
      break;
    case "stopped":
      detail = "The bridge is not running";
      break;
    case "idle":
      detail = "No session needed: nothing to send";
      break;
    case "waiting":
      detail = `${formatCount(health.backlog)} waiting; no session up yet`;
      break;
    default:
      detail = sessionSummary(health);
  }
  const view = healthView(health);
  return {
    key: `integration/${health.id}`,
    side: "Integration",
    name: health.name,
    detail,
    title,
    dot: TONE_DOTS[view.tone],
    ok: view.key === "connected",
    state: view.key,
  };
}

function ConnectionRow({ row }: { row: Row }) {
  return (
    <li className="conn-row" data-testid="connection-state" data-connected={row.ok} data-state={row.state}>
      <span className={row.dot} aria-hidden="true" />
      <span className="conn-side">{row.side}</span>
      <span className="conn-name ellipsis" title={row.name}>
        {row.name}
      </span>
      <span
        className={row.state === "failing" ? "conn-detail text-danger ellipsis" : "conn-detail muted ellipsis"}
        title={row.title ?? row.detail}
      >
        <span className="sr-only">{row.ok ? "connected: " : `${row.state}: `}</span>
        {row.detail}
      </span>
    </li>
  );
}

/**
 * One line per source (its connection) and per integration (its sessions, summed up), refreshed
 * every 2 s. Each device's own session is on the integration's details page: listed here, a
 * few hundred of them would push everything else off the screen.
 */
export function ConnectionPanel({ health }: { health: CommandState<LiveHealth[]> }) {
  const sources = usePolling(sourceStates, STATUS_POLL_MS);
  const loading = sources.status === "loading" || health.status === "loading";
  // Rows appear once both polls have answered, all at once: growing twice, the panel pushed the
  // list below it down under the user's pointer.
  const rows: Row[] = loading
    ? []
    : [
        ...(sources.status === "ready" ? sources.data.map(sourceRow) : []),
        ...(health.status === "ready" ? health.data.map(integrationRow) : []),
      ];
  const error = sources.status === "error" ? sources.error : health.status === "error" ? health.error : null;
  // Disabled and idle integrations need no connection: they are not counted as missing one.
  const counted = rows.filter((r) => r.state !== "inactive" && r.state !== "idle");
  const summary = counted.length > 0 ? `${counted.filter((r) => r.ok).length} of ${counted.length} connected` : null;

  return (
    <section
      className="panel"
      aria-labelledby="connections-title"
      data-testid="connections"
      data-loaded={loading ? "false" : "true"}
    >
      <header className="panel-header">
        <h2 id="connections-title">Connections</h2>
        {summary ? <span className="muted">{summary}</span> : null}
      </header>
      {loading && !error ? <p className="panel-note muted">Checking connections…</p> : null}
      {error ? (
        <p className="panel-note text-danger" data-testid="connections-error">
          {error.message}
        </p>
      ) : null}
      {!loading && !error && rows.length === 0 ? (
        <p className="panel-note muted" data-testid="connections-empty">
          No connections yet. Sources appear here once one is configured: add one on the Sources page. Integrations
          appear here once added.
        </p>
      ) : null}
      {rows.length > 0 ? (
        <ul className="conn-list" aria-label="Connections">
          {rows.map((row) => (
            <ConnectionRow key={row.key} row={row} />
          ))}
        </ul>
      ) : null}
    </section>
  );
}
