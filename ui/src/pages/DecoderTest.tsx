// "Test" for a decoder: runs the editor's text (saved or not) on a pasted payload (read in the
// format chosen: base64 unless said, as Helium's JSON has it) and port, or on one of a device's
// last real uplinks, and shows the output, or the error with its line, what console.log printed
// and how long it took.
import { useCallback, useEffect, useId, useMemo, useRef, useState, type FormEvent } from "react";
import { CommandError, listDevices, listLabels, recentPayloads, testDecoder } from "../api";
import type { DecoderKind, DecoderTrial, Device, RecentPayload } from "../bindings";
import { CopyButton, FormField, PortField, SmallButton } from "../components";
import { datePart, formatDateTime, formatListTime } from "../format";
import { base64ToHex, forCore, parsePayload, parsePort, payloadFormat, payloadHint, type PayloadFormat } from "../payload";
import { useCommand } from "../useCommand";
import { errorLine } from "./decoderTemplates";
import { PayloadFormatChoice, usePayloadFormat } from "../PayloadFormatChoice";

const DEVICES_WATCH = ["devices"];
const LABELS_WATCH = ["labels"];

type TrialState =
  | { state: "idle" }
  | { state: "testing" }
  | { state: "done"; trial: DecoderTrial }
  | { state: "failed"; error: Error };

type Errors = { payload?: string; port?: string };

/** An uplink's time: the time alone today, with the date before. */
const uplinkTime = (ms: number) => formatListTime(ms, datePart(ms, Date.now()));

/** A recent uplink's payload (base64) as the form shows it in `format`: base64 or hex (text: base64). */
function payloadIn(p: RecentPayload, format: PayloadFormat): { format: PayloadFormat; payload: string } {
  const hex = format === "hex" ? base64ToHex(p.payload) : null;
  return hex !== null ? { format, payload: hex } : { format: "base64", payload: p.payload };
}

/** "0.42 ms": the script's own time, from the core's microseconds. */
export function formatMicros(micros: number): string {
  return `${(micros / 1000).toLocaleString("en", { maximumFractionDigits: micros < 10 ? 3 : 2 })} ms`;
}

export function DecoderTest({
  kind,
  script,
  labelIds,
  onErrorLine,
  onGoToLine,
}: {
  kind: DecoderKind;
  /** The editor's text, saved or not. */
  script: string;
  /** The decoder's labels: their devices come first in the device list. */
  labelIds: readonly string[];
  /** The line the last trial's error names (null: none), to mark it in the editor. */
  onErrorLine: (line: number | null) => void;
  onGoToLine: (line: number) => void;
}) {
  const [payload, setPayload] = useState("");
  const [format, setFormat] = usePayloadFormat();
  const [port, setPort] = useState("1");
  const [errors, setErrors] = useState<Errors>({});
  const [result, setResult] = useState<TrialState>({ state: "idle" });
  const payloadRef = useRef<HTMLInputElement>(null);
  const portRef = useRef<HTMLInputElement>(null);
  // Only the latest trial's answer is shown: an older one may arrive after it.
  const latest = useRef(0);
  useEffect(
    () => () => {
      latest.current = -1;
    },
    [],
  );

  const run = (e: FormEvent) => {
    e.preventDefault();
    const p = parsePort(port);
    const parsed = parsePayload(payload, format);
    const next: Errors = { port: p.ok ? undefined : p.error, payload: parsed.ok ? undefined : parsed.error };
    setErrors(next);
    // The first field in error takes focus, so its message is read out with it.
    if (next.payload) payloadRef.current?.focus();
    else if (next.port) portRef.current?.focus();
    if (!parsed.ok || !p.ok) return;
    const n = ++latest.current;
    setResult({ state: "testing" });
    testDecoder(kind, script, forCore(parsed), p.port).then(
      (trial) => {
        if (n !== latest.current) return;
        setResult({ state: "done", trial });
        onErrorLine(trial.ok ? null : errorLine(trial.error));
      },
      (err: Error) => {
        if (n !== latest.current) return;
        if (err instanceof CommandError && err.code === "invalid") {
          // The core refused the payload: said at the field.
          setResult({ state: "idle" });
          setErrors({ payload: err.message });
          payloadRef.current?.focus();
        } else {
          setResult({ state: "failed", error: err });
        }
      },
    );
  };

  // In the format chosen (hex stays hex); Text turns to base64, as the uplink's bytes need not be text.
  const fill = useCallback(
    (p: RecentPayload) => {
      const shown = payloadIn(p, format);
      setFormat(shown.format);
      setPayload(shown.payload);
      setPort(String(p.port));
      setErrors({});
    },
    [format],
  );

  return (
    <div className="decoder-test">
      <form className="decoder-test-form" onSubmit={run} aria-label="Test the decoder" noValidate>
        <PayloadFormatChoice
          value={format}
          testId="decoder-test-format"
          onChange={(f) => {
            setFormat(f);
            setErrors((x) => ({ ...x, payload: undefined }));
          }}
        />
        <FormField
          label="Payload"
          hint={<span data-testid="decoder-test-bytes">{payloadHint(payload, format)}</span>}
          error={errors.payload}
        >
          {(control) => (
            <input
              {...control}
              ref={payloadRef}
              className="input mono"
              data-testid="decoder-test-payload"
              autoComplete="off"
              spellCheck={false}
              placeholder={payloadFormat(format)?.placeholder}
              value={payload}
              onChange={(e) => {
                setPayload(e.target.value);
                setErrors((x) => ({ ...x, payload: undefined }));
              }}
            />
          )}
        </FormField>
        <PortField
          ref={portRef}
          testId="decoder-test-port"
          value={port}
          error={errors.port}
          onChange={(value) => {
            setPort(value);
            setErrors((x) => ({ ...x, port: undefined }));
          }}
        />
        <button
          type="submit"
          className="button button-primary"
          data-testid="decoder-test-run"
          disabled={result.state === "testing"}
        >
          {result.state === "testing" ? "Testing…" : "Test"}
        </button>
      </form>
      <RecentUplinks labelIds={labelIds} onPick={fill} payload={payload} format={format} port={port} />
      <TrialResult result={result} onGoToLine={onGoToLine} />
    </div>
  );
}

type Recent = { state: "loading" } | { state: "error"; message: string } | { state: "ready"; list: RecentPayload[] };

/** A device picker (devices carrying the decoder's labels first) and its last uplinks. `payload`,
 *  `format` and `port` are the form's: an uplink shows as picked only while the form still holds it. */
function RecentUplinks({
  labelIds,
  onPick,
  payload,
  format,
  port,
}: {
  labelIds: readonly string[];
  onPick: (p: RecentPayload) => void;
  payload: string;
  format: PayloadFormat;
  port: string;
}) {
  const [devices] = useCommand(listDevices, DEVICES_WATCH);
  const [labels] = useCommand(listLabels, LABELS_WATCH);
  const [deviceId, setDeviceId] = useState("");
  const [recent, setRecent] = useState<Recent | null>(null);
  const [picked, setPicked] = useState<RecentPayload | null>(null);
  const listId = useId();
  // The last device chosen: an answer for an earlier one is dropped.
  const asked = useRef(0);

  const [carrying, others] = useMemo(() => {
    const all = devices.status === "ready" ? devices.data : [];
    const wanted = new Set(labelIds);
    const ids = new Set<string>();
    if (labels.status === "ready") {
      for (const l of labels.data) if (wanted.has(l.id)) l.devices.forEach((d) => ids.add(d));
    }
    return [all.filter((d) => ids.has(d.id)), all.filter((d) => !ids.has(d.id))];
  }, [devices, labels, labelIds]);

  useEffect(
    () => () => {
      asked.current = -1;
    },
    [],
  );

  const load = useCallback((id: string) => {
    const n = ++asked.current;
    setPicked(null);
    if (id === "") {
      setRecent(null);
      return;
    }
    setRecent({ state: "loading" });
    recentPayloads(id).then(
      (list) => {
        if (n === asked.current) setRecent({ state: "ready", list });
      },
      (err: Error) => {
        if (n === asked.current) setRecent({ state: "error", message: err.message });
      },
    );
  }, []);

  const device = [...carrying, ...others].find((d) => d.id === deviceId);
  // Typing another payload or port leaves the picked uplink behind.
  const held = picked === null ? null : payloadIn(picked, format);
  const filled =
    picked && held?.format === format && payload === held.payload && port === String(picked.port) ? picked : null;
  const option = (d: Device) => (
    <option key={d.id} value={d.id}>
      {d.name === d.dev_eui || d.dev_eui === "" ? d.name : `${d.name} (${d.dev_eui})`}
    </option>
  );

  return (
    <section className="decoder-recent" aria-labelledby={`${listId}-title`}>
      <h3 id={`${listId}-title`} className="decoder-subtitle">
        Or use a device&apos;s last uplinks
      </h3>
      <div className="decoder-recent-pick">
        <FormField label="Device">
          {(control) => (
            <select
              {...control}
              className="input"
              data-testid="decoder-test-device"
              value={deviceId}
              disabled={devices.status !== "ready"}
              onChange={(e) => {
                setDeviceId(e.target.value);
                load(e.target.value);
              }}
            >
              <option value="">
                {devices.status === "loading"
                  ? "Loading devices…"
                  : devices.status === "error"
                    ? "Could not load devices"
                    : devices.data.length === 0
                      ? "No devices yet"
                      : "Choose a device…"}
              </option>
              {carrying.length > 0 ? <optgroup label="With this decoder's labels">{carrying.map(option)}</optgroup> : null}
              {others.length > 0 ? (
                <optgroup label={carrying.length > 0 ? "Other devices" : "Devices"}>{others.map(option)}</optgroup>
              ) : null}
            </select>
          )}
        </FormField>
        {deviceId !== "" ? (
          <SmallButton
            testId="decoder-recent-refresh"
            disabled={recent?.state === "loading"}
            onClick={() => load(deviceId)}
          >
            Refresh
          </SmallButton>
        ) : null}
      </div>
      {recent?.state === "loading" ? (
        <p className="muted" role="status">
          Loading its uplinks…
        </p>
      ) : null}
      {recent?.state === "error" ? (
        <p className="inline-error" role="alert" data-testid="decoder-recent-error">
          {recent.message}
        </p>
      ) : null}
      {recent?.state === "ready" && recent.list.length === 0 ? (
        <p className="muted" data-testid="decoder-recent-empty">
          No uplinks from this device since the bridge started.
        </p>
      ) : null}
      {recent?.state === "ready" && recent.list.length > 0 ? (
        <ul className="decoder-recent-list" aria-label={`Last uplinks of ${device?.name ?? "the device"}`}>
          {recent.list.map((p, i) => (
            <li key={`${p.fcnt}-${p.reported_at}-${i}`}>
              <button
                type="button"
                className="decoder-recent-item"
                data-testid="decoder-recent-item"
                title={`Received ${formatDateTime(p.reported_at)}`}
                aria-pressed={filled === p}
                onClick={() => {
                  setPicked(p);
                  onPick(p);
                }}
              >
                <span className="mono">{base64ToHex(p.payload) ?? p.payload}</span>
                <span className="muted">
                  port {p.port} · fcnt {p.fcnt} · {uplinkTime(p.reported_at)}
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {filled ? (
        <p className="muted decoder-recent-note" role="status">
          Payload and port filled in from the uplink of {uplinkTime(filled.reported_at)}: press Test.
        </p>
      ) : null}
    </section>
  );
}

function TrialResult({ result, onGoToLine }: { result: TrialState; onGoToLine: (line: number) => void }) {
  if (result.state === "idle") return null;
  if (result.state === "testing") {
    return (
      <p className="probe probe-busy" role="status" data-testid="decoder-test-busy">
        <span className="spinner" aria-hidden="true" />
        Testing…
      </p>
    );
  }
  if (result.state === "failed") {
    return (
      <div className="decoder-result" role="region" aria-label="Test result" data-testid="decoder-test-result">
        <p className="inline-error" role="alert" data-testid="decoder-test-error">
          {result.error.message}
        </p>
      </div>
    );
  }
  const { trial } = result;
  const line = trial.ok ? null : errorLine(trial.error);
  const json = trial.ok ? JSON.stringify(trial.payload, null, 2) : "";
  return (
    <div
      className="decoder-result"
      role="region"
      aria-label="Test result"
      data-testid="decoder-test-result"
      data-ok={trial.ok}
    >
      {trial.ok ? (
        <>
          <div className="decoder-result-head">
            <p className="decoder-result-title" role="status" data-testid="decoder-test-ok">
              Decoded in {formatMicros(trial.micros)}
            </p>
            <CopyButton text={json} what="the output" testId="decoder-output-copy" />
          </div>
          <pre className="code-block decoder-output mono" tabIndex={0} aria-label="Output" data-testid="decoder-output">
            {json}
          </pre>
        </>
      ) : (
        <div className="decoder-result-error">
          <p className="inline-error" role="alert" data-testid="decoder-test-error">
            {trial.error ?? "The decoder failed."}
          </p>
          {line !== null ? (
            <SmallButton testId="decoder-test-goto" onClick={() => onGoToLine(line)}>
              Go to line {line}
            </SmallButton>
          ) : null}
          {trial.micros > 0 ? <p className="muted">Ran for {formatMicros(trial.micros)}.</p> : null}
        </div>
      )}
      {trial.warnings.length > 0 ? (
        <div className="decoder-logs">
          <p className="decoder-result-title">Warnings</p>
          <ul className="note note-warn decoder-warnings" aria-label="Warnings" data-testid="decoder-warnings">
            {trial.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <div className="decoder-logs">
        <p className="decoder-result-title">console.log</p>
        {trial.logs.length > 0 ? (
          <pre className="code-block decoder-output mono" tabIndex={0} aria-label="console.log output" data-testid="decoder-logs">
            {trial.logs.join("\n")}
          </pre>
        ) : (
          <p className="muted" data-testid="decoder-logs-none">
            Nothing logged.
          </p>
        )}
      </div>
    </div>
  );
}
