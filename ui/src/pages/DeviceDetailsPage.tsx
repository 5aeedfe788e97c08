// One device: what it is, charts of what its uplinks carried, where its uplinks go (and whether
// each AWS side is ready), its recent events, and a form to send it a downlink through the same
// checks and path as AWS's.
import { useCallback, useMemo, useRef, useState, type FormEvent } from "react";
import { deviceDetails, removeDevice, sendDownlink } from "../api";
import type { DecoderKind, Device, DeviceDecoderView, DeviceDetails, DeviceRoute, Event, SessionState } from "../bindings";
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
import { formatCount, formatDateTime, formatLastSeen, formatTime, plural } from "../format";
import { parsePayload, parsePort, type PayloadFormat } from "../payload";
import { SessionBadge, useIntegrationHealth } from "../status";
import { useCommand } from "../useCommand";
import { DeviceCharts } from "./DeviceCharts";
import { PageLink } from "../navigation";

/** Its counters, labels and routes change with each of these. */
const WATCH = ["devices", "labels", "integrations"];

export function DeviceDetailsPage({ id, onBack }: { id: string; onBack: () => void }) {
  const fetcher = useCallback(() => deviceDetails(id), [id]);
  const [state, reload] = useCommand(fetcher, WATCH);
  const details = state.status === "ready" ? state.data : null;

  return (
    <div className="page details-page" data-testid="device-details-page">
      <BackButton label="Back to devices" testId="device-back" onBack={onBack} />
      <PageHeader
        title={details ? details.device.name : "Device details"}
        subtitle={details ? `Helium device ${details.device.dev_eui || details.device.id}` : undefined}
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
              <span className="mono nowrap">{device.id}</span>
              <CopyButton text={device.id} what="the device ID" />
            </dd>
            <dt>DevEUI</dt>
            <dd className="mono">{device.dev_eui || "—"}</dd>
            <dt>Thing name</dt>
            <dd className="mono nowrap">{details.thing_name}</dd>
            <dt>Name</dt>
            <dd>{device.name}</dd>
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
              <BreakAfter text={details.downlink_topic} at="/" className="mono" testId="device-downlink-topic" />
              <CopyButton text={details.downlink_topic} what="the downlink topic" />
            </p>
            <DownlinkForm key={device.id} device={device} onSent={onSent} />
          </div>
        </section>
      </div>
      <DeviceCharts key={device.id} deviceId={device.id} />
      <Routes deviceId={device.id} routes={details.integrations} />
      <RecentEvents events={details.recent_events} />
    </>
  );
}

/** Registered by a label (by DevEUI or Console id) and not heard from since. */
function neverHeard(device: Device): boolean {
  return device.source === "" && device.last_seen_ms === null && device.uplinks === 0;
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

/** The integrations the device shares a label with: is each on, provisioned, connected. */
function Routes({ deviceId, routes }: { deviceId: string; routes: DeviceRoute[] }) {
  // Sessions come and go without a change event: the polled health keeps them current.
  const health = useIntegrationHealth();
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
                <th scope="col">Active</th>
                <th scope="col">Provisioned</th>
                <th scope="col">Session</th>
              </tr>
            </thead>
            <tbody>
              {routes.map((r) => (
                <tr key={r.integration_id} data-testid="device-route">
                  <td>{r.name}</td>
                  <td>{r.active ? "Active" : "Inactive"}</td>
                  <td>{r.provisioned ? "Yes" : "No"}</td>
                  <td className="cell-clip">
                    <SessionBadge session={live.get(r.integration_id) ?? r.session} />
                  </td>
                </tr>
              ))}
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
                  {formatTime(e.at_ms)}
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

const FORMATS: { value: PayloadFormat; label: string; placeholder: string }[] = [
  { value: "hex", label: "Hex", placeholder: "01 02 ff" },
  { value: "base64", label: "Base64", placeholder: "AQL/" },
  { value: "text", label: "Text", placeholder: "hello" },
];

type Errors = { port?: string; payload?: string };
type Outcome = { ok: boolean; text: string };

/** Port, confirmed, payload (hex, base64 or UTF-8 text): checked here, sent as base64. */
function DownlinkForm({ device, onSent }: { device: Device; onSent: () => void }) {
  const [port, setPort] = useState("1");
  const [confirmed, setConfirmed] = useState(false);
  const [format, setFormat] = useState<PayloadFormat>("hex");
  const [payload, setPayload] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const portRef = useRef<HTMLInputElement>(null);
  const payloadRef = useRef<HTMLTextAreaElement>(null);

  const parsed = parsePayload(payload, format);
  const placeholder = FORMATS.find((f) => f.value === format)?.placeholder;

  const submit = (e: FormEvent) => {
    e.preventDefault();
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
      <fieldset className="segmented">
        <legend className="field-label">Payload format</legend>
        {FORMATS.map((f) => (
          <label key={f.value} className="segmented-option">
            <input
              type="radio"
              name={`downlink-format-${device.id}`}
              value={f.value}
              checked={format === f.value}
              onChange={() => {
                setFormat(f.value);
                setErrors((x) => ({ ...x, payload: undefined }));
              }}
            />
            {f.label}
          </label>
        ))}
      </fieldset>
      <FormField
        label="Payload"
        error={errors.payload}
        hint={
          parsed.ok
            ? `${formatCount(parsed.bytes)} ${parsed.bytes === 1 ? "byte" : "bytes"}, sent as base64 ${parsed.base64}`
            : format === "hex"
              ? "Hex digits; spaces are ignored."
              : format === "text"
                ? "Sent as UTF-8."
                : "Standard base64."
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
            placeholder={placeholder}
            value={payload}
            onChange={(e) => {
              setPayload(e.target.value);
              setErrors((x) => ({ ...x, payload: undefined }));
            }}
          />
        )}
      </FormField>
      <div className="downlink-actions">
        <button type="submit" className="button button-primary" data-testid="downlink-send" disabled={busy}>
          {busy ? "Sending…" : "Send downlink"}
        </button>
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
