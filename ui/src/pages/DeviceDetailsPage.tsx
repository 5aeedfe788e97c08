// One device: what it is, charts of what its uplinks carried, where its uplinks go (and whether
// each AWS side is ready), its recent events, and a form to send it a downlink through the same
// checks and path as AWS's.
import { useCallback, useMemo, useRef, useState, type FormEvent } from "react";
import { deviceDetails, listIntegrations, removeDevice, sendDownlink } from "../api";
import type {
  DecoderKind,
  Device,
  DeviceDecoderView,
  DeviceDetails,
  DeviceRoute,
  Event,
  Integration,
  SessionState,
} from "../bindings";
import {
  BackButton,
  BreakAfter,
  ConfirmDialog,
  CopyButton,
  ErrorState,
  FormField,
  Loading,
  PageHeader,
  PortField,
  SmallButton,
} from "../components";
import { datePart, formatDateTime, formatLastSeen, formatListTime, plural } from "../format";
import { parsePayload, parsePort, payloadFormat } from "../payload";
import { PayloadFormatChoice, usePayloadFormat } from "../PayloadFormatChoice";
import { SessionBadge, useIntegrationHealth } from "../status";
import { useCommand } from "../useCommand";
import { DeviceCharts } from "./DeviceCharts";
import { DeviceName, NOT_HEARD, deviceTitle, neverHeard, reportedName } from "./deviceName";
import { enabledText } from "./IntegrationControls";
import { PageLink } from "../navigation";

/** Its counters, labels and routes change with each of these. */
const WATCH = ["devices", "labels", "integrations"];
const INTEGRATIONS_WATCH = ["integrations"];

/** Under its title: what identifies it besides (the DevEUI, unless the title is it already). */
function subtitleOf(device: Device): string {
  if (reportedName(device) === null) return "Helium device, not heard yet: registered by a label";
  return `Helium device ${device.dev_eui || device.id}`;
}

export function DeviceDetailsPage({ id, onBack }: { id: string; onBack: () => void }) {
  const fetcher = useCallback(() => deviceDetails(id), [id]);
  const [state, reload] = useCommand(fetcher, WATCH);
  const details = state.status === "ready" ? state.data : null;

  return (
    <div className="page details-page" data-testid="device-details-page">
      <BackButton label="Back to devices" testId="device-back" onBack={onBack} />
      <PageHeader
        title={details ? deviceTitle(details.device) : "Device details"}
        subtitle={details ? subtitleOf(details.device) : undefined}
      />
      {state.status === "loading" ? <Loading what="the device" /> : null}
      {state.status === "error" ? <ErrorState what="the device" error={state.error} onRetry={reload} /> : null}
      {details ? <DeviceBody details={details} onSent={reload} onRemoved={onBack} /> : null}
    </div>
  );
}

function DeviceBody({
  details,
  onSent,
  onRemoved,
}: {
  details: DeviceDetails;
  onSent: () => void;
  onRemoved: () => void;
}) {
  const { device } = details;
  return (
    <>
      <div className="details-grid">
        <section className="panel" aria-labelledby="device-facts-title">
          <header className="panel-header">
            <h2 id="device-facts-title">Device</h2>
          </header>
          <dl className="details-facts" data-testid="device-facts">
            <dt>Device ID</dt>
            <dd className="details-copy">
              {/* Short of room, it breaks at a hyphen: its Copy button stays beside it. */}
              <BreakAfter text={device.id} at="-" className="mono" />
              <CopyButton text={device.id} what="the device ID" />
            </dd>
            <dt>DevEUI</dt>
            <dd className="mono">{device.dev_eui || "—"}</dd>
            <dt>Thing name</dt>
            <dd className="mono nowrap">{details.thing_name}</dd>
            <dt>Name</dt>
            <dd data-testid="device-name">
              <DeviceName device={device} />
            </dd>
            <dt>Source</dt>
            <dd title={device.source || undefined}>
              {details.source_name ?? (device.source ? "a removed source" : "not heard yet")}
            </dd>
            <dt>Last seen</dt>
            <dd title={device.last_seen_ms === null ? undefined : formatDateTime(device.last_seen_ms)}>
              {formatLastSeen(device.last_seen_ms)}
            </dd>
            <dt>Traffic</dt>
            <dd data-testid="device-counters">
              {plural(device.uplinks, "uplink", "uplinks")} · {plural(device.downlinks, "downlink", "downlinks")} ·{" "}
              <span className={device.errors > 0 ? "text-danger" : undefined}>
                {plural(device.errors, "error", "errors")}
              </span>
            </dd>
            <dt>Labels</dt>
            <dd>
              {details.labels.length > 0 ? (
                <ul className="pill-list" aria-label="Labels" data-testid="device-labels">
                  {details.labels.map((l) => (
                    <li key={l.id} className="pill pill-strong">
                      {l.name}
                    </li>
                  ))}
                </ul>
              ) : (
                <span className="muted">
                  None: attach one on the <PageLink page="labels">Labels page</PageLink>
                </span>
              )}
            </dd>
            <dt>Decoder</dt>
            <dd data-testid="device-decoder">
              <DecoderFact decoder={details.decoder} />
            </dd>
          </dl>
          {neverHeard(device) ? (
            <RemoveUnheard
              device={device}
              provisionedFor={details.integrations.filter((r) => r.provisioned).map((r) => r.name)}
              onRemoved={onRemoved}
            />
          ) : null}
        </section>
        <section className="panel" aria-labelledby="device-downlink-title">
          <header className="panel-header">
            <h2 id="device-downlink-title">Downlinks</h2>
          </header>
          <div className="details-section">
            <p className="field-label">Downlink topic in AWS IoT Core</p>
            <p className="details-copy">
              <BreakAfter text={details.downlink_topic} at="/" keepTail className="mono" testId="device-downlink-topic" />
              <CopyButton text={details.downlink_topic} what="the downlink topic" />
            </p>
            <DownlinkForm key={device.id} device={device} onSent={onSent} />
          </div>
        </section>
      </div>
      <DeviceCharts key={device.id} deviceId={device.id} heard={!neverHeard(device)} />
      <Routes deviceId={device.id} routes={details.integrations} />
      <RecentEvents events={details.recent_events} />
    </>
  );
}

/** A device a label registered by a mistyped DevEUI would stay listed forever: this takes it back. */
function RemoveUnheard({
  device,
  provisionedFor,
  onRemoved,
}: {
  device: Device;
  /** Integrations that already made its AWS thing (provisioned in advance). */
  provisionedFor: string[];
  onRemoved: () => void;
}) {
  const [asking, setAsking] = useState(false);
  return (
    <div className="panel-note" data-testid="device-unheard">
      <p className="muted">
        Registered by a label and not heard from yet. A wrong DevEUI? Remove the device; its labels go with it.
      </p>
      <SmallButton tone="danger" testId="remove-device" onClick={() => setAsking(true)}>
        Remove device
      </SmallButton>
      {asking ? (
        <ConfirmDialog
          titleId="remove-device-title"
          title={`Remove the device ${device.name}?`}
          testId="remove-device-dialog"
          confirmLabel="Remove device"
          busyLabel="Removing…"
          confirmTestId="remove-device-confirm"
          errorTestId="remove-device-error"
          action={() => removeDevice(device.id)}
          onDone={onRemoved}
          onCancel={() => setAsking(false)}
        >
          <p>
            It loses its labels and leaves the device list. Should it ever send an uplink, it comes back as a new
            device.
          </p>
          {provisionedFor.length > 0 ? (
            <p data-testid="remove-device-aws">
              Its AWS thing in {provisionedFor.join(", ")} stays until that integration is deleted with its AWS
              clean-up.
            </p>
          ) : null}
        </ConfirmDialog>
      ) : null}
    </div>
  );
}

/**
 * Whether the bridge made its AWS thing and certificate: "Yes"/"No", or "Own certificate" for an
 * integration on certificates made by hand (nothing to provision: "No" beside a connected
 * session was untrue). `integration` is unknown until the list loads.
 */
function provisionedText(route: DeviceRoute, integration: Integration | undefined): { text: string; title?: string } {
  if (integration && integration.aws === null) {
    return { text: "Own certificate", title: "It uses a certificate made by hand: the bridge provisions nothing." };
  }
  return { text: route.provisioned ? "Yes" : "No" };
}

/** The integrations the device shares a label with: is each enabled, provisioned, connected. */
function Routes({ deviceId, routes }: { deviceId: string; routes: DeviceRoute[] }) {
  // Sessions come and go without a change event: the polled health keeps them current.
  const health = useIntegrationHealth();
  // Whether each provisions with keys or uses certificates made by hand.
  const [integrations] = useCommand(listIntegrations, INTEGRATIONS_WATCH);
  const byId = useMemo(
    () => new Map(integrations.status === "ready" ? integrations.data.map((i) => [i.id, i]) : []),
    [integrations],
  );
  const live = useMemo(() => {
    const byIntegration = new Map<string, SessionState>();
    if (health.status !== "ready") return byIntegration;
    for (const { health: h } of health.data) {
      const session = h.sessions.find((x) => x.device_id === deviceId);
      if (session) byIntegration.set(h.id, session);
    }
    return byIntegration;
  }, [health, deviceId]);
  return (
    <section className="panel" aria-labelledby="device-routes-title">
      <header className="panel-header">
        <h2 id="device-routes-title">Integrations</h2>
      </header>
      {routes.length === 0 ? (
        <p className="panel-note muted" data-testid="device-routes-empty">
          Its uplinks go nowhere yet: it shares no label with an integration. Attach one of an integration&apos;s
          labels to it on the <PageLink page="labels">Labels page</PageLink>.
        </p>
      ) : (
        <div className="table-scroll" role="region" aria-label="Integrations (scrollable)" tabIndex={0}>
          <table className="plain-table" aria-labelledby="device-routes-title">
            <thead>
              <tr>
                <th scope="col">Integration</th>
                <th scope="col">Forwarding</th>
                <th scope="col">Provisioned</th>
                <th scope="col">Session</th>
              </tr>
            </thead>
            <tbody>
              {routes.map((r) => {
                const provisioned = provisionedText(r, byId.get(r.integration_id));
                return (
                  <tr key={r.integration_id} data-testid="device-route">
                    <td>{r.name}</td>
                    <td>{enabledText(r.active)}</td>
                    <td title={provisioned.title}>{provisioned.text}</td>
                    <td className="cell-clip">
                      <SessionBadge session={live.get(r.integration_id) ?? r.session} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function levelClass(level: string): string {
  return level === "error" || level === "warn" || level === "info" ? `level level-${level}` : "level";
}

function RecentEvents({ events }: { events: Event[] }) {
  // The core sends them oldest first; the newest matter most.
  const newestFirst = events.slice().reverse();
  const now = Date.now();
  return (
    <section className="panel" aria-labelledby="device-events-title">
      <header className="panel-header">
        <h2 id="device-events-title">Recent events</h2>
        <span className="muted">The Messages page shows every message and event as it happens.</span>
      </header>
      {newestFirst.length === 0 ? (
        <p className="panel-note muted" data-testid="device-events-empty">
          No events for this device yet.
        </p>
      ) : (
        <div className="details-events" role="region" aria-label="Recent events (scrollable)" tabIndex={0}>
          <ol className="event-list" aria-labelledby="device-events-title">
            {newestFirst.map((e) => (
              <li key={e.id} className="event-item" data-testid="device-event" data-level={e.level}>
                <span className="mono muted" title={formatDateTime(e.at_ms)}>
                  {/* Dated unless from today, as in the message views. */}
                  {formatListTime(e.at_ms, datePart(e.at_ms, now))}
                </span>
                <span className={levelClass(e.level)}>{e.level}</span>
                <span className="mono event-kind">{e.kind}</span>
                <span className="event-message">{e.message}</span>
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}

type Errors = { port?: string; payload?: string };
type Outcome = { ok: boolean; text: string };

/**
 * Port, confirmed, payload (hex, base64 or UTF-8 text): checked here, sent as base64. A device
 * not heard yet has no source to send it through: Send waits, saying why.
 */
function DownlinkForm({ device, onSent }: { device: Device; onSent: () => void }) {
  const unheard = neverHeard(device);
  const reasonId = `downlink-unheard-${device.id}`;
  const [port, setPort] = useState("1");
  const [confirmed, setConfirmed] = useState(false);
  const [format, setFormat] = usePayloadFormat();
  const [payload, setPayload] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const portRef = useRef<HTMLInputElement>(null);
  const payloadRef = useRef<HTMLTextAreaElement>(null);

  const parsed = parsePayload(payload, format);
  const formatInfo = payloadFormat(format);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (unheard) return;
    const p = parsePort(port);
    const next: Errors = { port: p.ok ? undefined : p.error, payload: parsed.ok ? undefined : parsed.error };
    setErrors(next);
    setOutcome(null);
    // The first field in error takes focus, so its message is read out with it.
    if (!p.ok) portRef.current?.focus();
    else if (!parsed.ok) payloadRef.current?.focus();
    if (!p.ok || !parsed.ok) return;
    setBusy(true);
    sendDownlink(device.id, p.port, confirmed, parsed.base64).then(
      () => {
        setBusy(false);
        setPayload("");
        setOutcome({ ok: true, text: `Downlink queued for ${device.name}` });
        onSent();
      },
      (err: Error) => {
        setBusy(false);
        setOutcome({ ok: false, text: err.message });
      },
    );
  };

  return (
    <form className="downlink-form" onSubmit={submit} aria-label="Send downlink" noValidate data-testid="downlink-form">
      <h3 className="section-title">Send downlink</h3>
      <PortField
        ref={portRef}
        testId="downlink-port"
        value={port}
        error={errors.port}
        onChange={(value) => {
          setPort(value);
          setErrors((x) => ({ ...x, port: undefined }));
        }}
      />
      <label className="checkbox downlink-confirmed">
        <input
          type="checkbox"
          data-testid="downlink-confirmed"
          checked={confirmed}
          onChange={(e) => setConfirmed(e.target.checked)}
        />
        Confirmed (the device acknowledges it)
      </label>
      <PayloadFormatChoice
        value={format}
        testId="downlink-format"
        onChange={(f) => {
          setFormat(f);
          setErrors((x) => ({ ...x, payload: undefined }));
        }}
      />
      <FormField
        label="Payload"
        error={errors.payload}
        hint={
          parsed.ok
            ? `${plural(parsed.bytes, "byte", "bytes")}, sent as base64 ${parsed.base64}`
            : formatInfo?.hint
        }
      >
        {(control) => (
          <textarea
            {...control}
            ref={payloadRef}
            className="input mono"
            data-testid="downlink-payload"
            rows={2}
            spellCheck={false}
            placeholder={formatInfo?.placeholder}
            value={payload}
            onChange={(e) => {
              setPayload(e.target.value);
              setErrors((x) => ({ ...x, payload: undefined }));
            }}
          />
        )}
      </FormField>
      <div className="downlink-actions">
        <button
          type="submit"
          className="button button-primary"
          data-testid="downlink-send"
          disabled={busy || unheard}
          aria-describedby={unheard ? reasonId : undefined}
        >
          {busy ? "Sending…" : "Send downlink"}
        </button>
        {unheard ? (
          <span id={reasonId} className="muted" data-testid="downlink-unheard">
            {NOT_HEARD}: a downlink goes out through the source the device is heard on.
          </span>
        ) : null}
        {outcome?.ok ? (
          <span className="members-ok" role="status" data-testid="downlink-result">
            {outcome.text}
          </span>
        ) : null}
      </div>
      {outcome && !outcome.ok ? (
        <p className="inline-error" role="alert" data-testid="downlink-error">
          {outcome.text}
        </p>
      ) : null}
    </form>
  );
}

const DECODER_KINDS: Record<DecoderKind, string> = {
  cayenne: "Cayenne LPP",
  helium: "Helium Console Decoder",
  decode_uplink: "decodeUplink",
};

/** The decoder the device's labels attach, or the conflict that stops any from running. */
function DecoderFact({ decoder }: { decoder: DeviceDecoderView }) {
  switch (decoder.state) {
    case "none":
      return (
        <span className="muted">
          None: attach one to a label on the <PageLink page="decoders">Decoders page</PageLink>
        </span>
      );
    case "one":
      return (
        <span>
          {decoder.name} ({DECODER_KINDS[decoder.kind]}), through {decoder.via.join(", ")}
        </span>
      );
    case "conflict":
      return (
        <span className="text-danger" role="alert">
          {decoder.message}
        </span>
      );
  }
}
