// "Add a source" and "Edit": the kind, its settings, the exact settings to match in ChirpStack, and
// a Test of the unsaved settings. As with the AWS secret in IntegrationWizard, the broker password
// never enters React state: it is read from its input when sent and wiped after a save. A new
// webhook secret has to be in state: it is shown once, to be copied into ChirpStack.
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { addSource, updateSource } from "../api";
import type { Source, SourceInput } from "../bindings";
import { CopyButton, FormField, SmallButton, TextField } from "../components";
import { RadioCards, type RadioCardOption } from "../RadioCards";
import { SourceGuide } from "./SourceGuide";
import { TestResult, useSourceTest } from "./SourceProbe";
import {
  KIND_LABELS,
  TEST_WAIT_SECS,
  generateSecret,
  initialFields,
  secretUse,
  toConfig,
  validate,
  type SourceFields,
  type SourceKind,
} from "./sourceSettings";

const KIND_OPTIONS: readonly RadioCardOption<SourceKind>[] = (
  [
    ["chirpstack_mqtt", "ChirpStack v4's built-in MQTT integration. Uplinks and downlinks."],
    ["http_webhook", "ChirpStack's HTTP integration posts uplinks to this computer."],
    ["legacy_mqtt", "Helium Console-style MQTT topics with legacy Helium JSON."],
  ] as const
).map(([kind, description]) => ({ value: kind, title: KIND_LABELS[kind], description, testId: `kind-${kind}` }));

export type SourceSaved = { verb: "added" | "saved"; source: Source; newSecret: boolean };

export function SourceForm({
  source,
  onDone,
  onCancel,
}: {
  /** Set: edit this source; unset: add a new one. */
  source?: Source;
  onDone: (saved: SourceSaved) => void;
  onCancel: () => void;
}) {
  const stored = source ? secretUse(source.config) : null;
  const [fields, setFields] = useState<SourceFields>(() => initialFields(source));
  const passwordRef = useRef<HTMLInputElement>(null);
  const [hasPassword, setHasPassword] = useState(false);
  /** A new webhook secret: sent on save, shown until then. */
  const [secret, setSecret] = useState<string | null>(null);
  const [showErrors, setShowErrors] = useState(false);
  const [focusInvalid, setFocusInvalid] = useState(0);
  const [tlsOpen, setTlsOpen] = useState(
    () => fields.url.startsWith("mqtts://") || fields.caFile !== "" || fields.certFile !== "" || fields.keyFile !== "",
  );
  const [test, runTest, resetTest] = useSourceTest();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  // Keyboard and screen reader users start at the form, not at the button that opened it.
  useEffect(() => headingRef.current?.focus(), []);
  useEffect(() => {
    if (focusInvalid > 0) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [focusInvalid]);

  const errors = validate(fields, { hasPassword, hasNewSecret: secret !== null, stored });
  const shown = showErrors ? errors : {};
  const errorCount = Object.keys(errors).length;

  const update = (patch: Partial<SourceFields>) => {
    const next = { ...fields, ...patch };
    setFields(next);
    // A webhook that requires a secret but has none stored for it gets a new one right away.
    if (secret === null && next.kind === "http_webhook" && next.requireSecret && stored !== "shared secret") {
      setSecret(generateSecret());
    }
    if (patch.url?.startsWith("mqtts://")) setTlsOpen(true);
    // What a test used changed: its answer no longer holds.
    if (!("name" in patch)) resetTest();
  };

  /** Shows the problems, if any, and moves the focus to the first. */
  const check = (): boolean => {
    setShowErrors(true);
    if (errorCount === 0) return true;
    if (errors.caFile || errors.certFile || errors.keyFile) setTlsOpen(true);
    setFocusInvalid((n) => n + 1);
    return false;
  };

  const secretToSend = (): string | null => {
    if (fields.kind === "http_webhook") return fields.requireSecret ? secret : null;
    const password = passwordRef.current?.value ?? "";
    return fields.username.trim() === "" || password === "" ? null : password;
  };

  const onTest = () => {
    if (!check()) return;
    const config = toConfig(fields);
    // The saved source's id makes the test use its stored secret, if that is still what it is for.
    const id = source && stored !== null && stored === secretUse(config) ? source.id : null;
    runTest({ id, config, secret: secretToSend(), wait_secs: TEST_WAIT_SECS });
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (busy || !check()) return;
    const input: SourceInput = { name: fields.name.trim(), config: toConfig(fields), secret: secretToSend() };
    setBusy(true);
    setError(null);
    (source ? updateSource(source.id, input) : addSource(input)).then(
      (saved) => {
        if (passwordRef.current) passwordRef.current.value = "";
        onDone({ verb: source ? "saved" : "added", source: saved, newSecret: fields.kind === "http_webhook" && input.secret !== null });
      },
      (err: Error) => {
        setBusy(false);
        setError(err.message);
      },
    );
  };

  const mqtt = fields.kind !== "http_webhook";
  const title = source ? `Edit ${source.name}` : "Add a source";

  return (
    <section className="panel wizard source-form" aria-labelledby="source-form-title" data-testid="source-form">
      <header className="panel-header">
        <h2 id="source-form-title" ref={headingRef} tabIndex={-1}>
          {title}
        </h2>
        <span className="muted">{KIND_LABELS[fields.kind]}</span>
      </header>
      <form ref={formRef} className="wizard-body" onSubmit={onSubmit} noValidate>
        <RadioCards
          legend="Where uplinks come from"
          options={KIND_OPTIONS}
          value={fields.kind}
          onChange={(kind) => update({ kind })}
        />
        <div className="field-grid">
          <TextField
            label="Name"
            testId="source-name"
            placeholder="e.g. Farm ChirpStack"
            mono={false}
            error={shown.name}
            value={fields.name}
            onChange={(name) => update({ name })}
          />
          {mqtt ? (
            <TextField
              label="Broker URL"
              hint="mqtt://host:port, or mqtts://host:port for TLS."
              testId="source-url"
              placeholder="mqtt://localhost:1883"
              error={shown.url}
              value={fields.url}
              onChange={(url) => update({ url })}
            />
          ) : (
            <TextField
              label="Listen address"
              hint="The IP address and port the bridge listens on."
              testId="source-bind"
              placeholder="127.0.0.1:8090"
              error={shown.bind}
              value={fields.bind}
              onChange={(bind) => update({ bind })}
            />
          )}
        </div>
        {mqtt ? (
          <div className="field-grid">
            <TextField
              label="Username"
              hint="Optional: empty for a broker without login."
              testId="source-username"
              error={shown.username}
              value={fields.username}
              onChange={(username) => update({ username })}
            />
            <FormField
              label="Password"
              hint={
                stored === "password"
                  ? "Stored in the keychain — leave empty to keep it."
                  : "Only with a username. Kept in your OS keychain only."
              }
              error={shown.password}
            >
              {(control) => (
                <input
                  {...control}
                  ref={passwordRef}
                  type="password"
                  className="input mono"
                  data-testid="source-password"
                  autoComplete="new-password"
                  spellCheck={false}
                  onChange={(e) => {
                    setHasPassword(e.target.value !== "");
                    resetTest();
                  }}
                />
              )}
            </FormField>
          </div>
        ) : null}
        {fields.kind === "chirpstack_mqtt" ? (
          <div className="field-grid">
            <TextField
              label="Application ID"
              hint="The application's UUID in ChirpStack, or + for all."
              testId="source-application-id"
              placeholder="e.g. 2f9e6b1c-…"
              error={shown.applicationId}
              value={fields.applicationId}
              onChange={(applicationId) => update({ applicationId })}
            />
          </div>
        ) : null}
        {fields.kind === "legacy_mqtt" ? (
          <div className="field-grid">
            <TextField
              label="Uplink topic"
              hint="Where uplinks arrive; + and # are wildcards."
              testId="source-uplink-topic"
              error={shown.uplinkTopic}
              value={fields.uplinkTopic}
              onChange={(uplinkTopic) => update({ uplinkTopic })}
            />
            <TextField
              label="Downlink topic"
              hint="Where downlinks go; {{device_id}} becomes the device's id."
              testId="source-downlink-topic"
              error={shown.downlinkTopic}
              value={fields.downlinkTopic}
              onChange={(downlinkTopic) => update({ downlinkTopic })}
            />
          </div>
        ) : null}
        {mqtt ? (
          <details className="advanced" open={tlsOpen} onToggle={(e) => setTlsOpen(e.currentTarget.open)}>
            <summary data-testid="source-tls">TLS files</summary>
            <div className="field-grid">
              <TextField
                label="CA file"
                hint="PEM of the CA that signed the broker's certificate; needed for mqtts://."
                testId="source-ca-file"
                error={shown.caFile}
                value={fields.caFile}
                onChange={(caFile) => update({ caFile })}
              />
              <TextField
                label="Client certificate"
                hint="Optional PEM file, with its key."
                testId="source-cert-file"
                error={shown.certFile}
                value={fields.certFile}
                onChange={(certFile) => update({ certFile })}
              />
              <TextField
                label="Client key"
                hint="Optional PEM file, with its certificate."
                testId="source-key-file"
                error={shown.keyFile}
                value={fields.keyFile}
                onChange={(keyFile) => update({ keyFile })}
              />
            </div>
          </details>
        ) : (
          <WebhookSecret
            requireSecret={fields.requireSecret}
            secret={secret}
            stored={stored === "shared secret"}
            error={shown.secret}
            onRequire={(requireSecret) => update({ requireSecret })}
            onGenerate={() => {
              setSecret(generateSecret());
              resetTest();
            }}
          />
        )}
        <SourceGuide fields={fields} secret={secret} storedSecret={stored === "shared secret"} />
        <div className="check-row">
          <button
            type="button"
            className="button button-secondary"
            data-testid="source-form-test"
            disabled={test.state === "testing"}
            onClick={onTest}
          >
            {test.state === "testing" ? "Testing…" : "Test these settings"}
          </button>
          <TestResult test={test} testId="source-form-test-result" />
        </div>
        {showErrors && errorCount > 0 ? (
          <p className="inline-error" role="alert" data-testid="source-form-invalid">
            {errorCount === 1 ? "Fix the field marked above." : `Fix the ${errorCount} fields marked above.`}
          </p>
        ) : null}
        {error ? (
          <p className="inline-error" role="alert" data-testid="source-form-error">
            {error}
          </p>
        ) : null}
        <footer className="wizard-footer">
          <button type="button" className="button button-secondary" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" data-testid="source-form-submit" disabled={busy}>
            {busy ? "Saving…" : source ? "Save changes" : "Add source"}
          </button>
        </footer>
      </form>
    </section>
  );
}

/** "Require a shared secret", and the new secret, shown once with a copy button. */
function WebhookSecret({
  requireSecret,
  secret,
  stored,
  error,
  onRequire,
  onGenerate,
}: {
  requireSecret: boolean;
  secret: string | null;
  stored: boolean;
  error?: string;
  onRequire: (require: boolean) => void;
  onGenerate: () => void;
}) {
  const hintId = useId();
  return (
    <div className="webhook-secret">
      <label className="checkbox">
        <input
          type="checkbox"
          checked={requireSecret}
          aria-describedby={hintId}
          data-testid="source-require-secret"
          onChange={(e) => onRequire(e.target.checked)}
        />
        Require a shared secret
      </label>
      <p id={hintId} className="field-hint">
        Requests without <code>Authorization: Bearer &lt;secret&gt;</code> are refused.
      </p>
      {requireSecret && secret !== null ? (
        <>
          <FormField label="New shared secret">
            {(control) => (
              <span className="secret-row">
                <input {...control} className="input mono" readOnly value={secret} data-testid="source-secret" />
                <CopyButton text={secret} what="the shared secret" testId="copy-secret" />
              </span>
            )}
          </FormField>
          <p className="note note-warn" data-testid="source-secret-once">
            Copy it into ChirpStack now: it is not shown again. It is stored in the keychain when you save.
          </p>
        </>
      ) : null}
      {requireSecret && secret === null && stored ? (
        <p className="muted" data-testid="source-secret-stored">
          A shared secret is stored in the keychain; it is not shown again.
        </p>
      ) : null}
      {requireSecret && (stored || secret !== null) ? (
        <div>
          <SmallButton testId="source-generate-secret" onClick={onGenerate}>
            Generate a new secret
          </SmallButton>
        </div>
      ) : null}
      {error ? (
        <p className="inline-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
