// "Add an AWS IoT Core integration" and "Update connection details": the guided form of Helium
// Console's AWS IoT Core integration. The secret access key never enters React state: it is
// read from its (uncontrolled) input when sent, and the input is wiped after a success.
// Adding also has the Helium side's steps: a source for uplinks to arrive through, and the labels
// that connect devices to the new integration (created and attached once it exists).
import { useId, useRef, useState, type FormEvent } from "react";
import { addIntegration, checkAwsKeys, listLabels, listSources, updateIntegration } from "../api";
import type {
  EndpointOverride,
  Integration,
  KeysChecked,
  KeysInput,
  LabelSummary,
  Source,
  UpdateIntegrationInput,
  UpdateOutcome,
} from "../bindings";
import { IOT_CORE_REGIONS } from "../bindings";
import { BreakAfter, FormField, TextField } from "../components";
import { formatHostPort, parseHostPort } from "../endpoint";
import { useCommand } from "../useCommand";
import { FinishView, linkedLabels, useLabelPart, type LinkedLabel } from "./WizardFinish";
import { LabelStep, NO_LABELS, isEmptyPlan, labelPlan, newLabelProblem, type LabelChoice } from "./WizardLabelStep";
import { SourceStep } from "./WizardSourceStep";

export const IAM_USER = "HeliumIntegrationAccess";
export const IAM_POLICY = "AWSIoTConfigAccess";

export type WizardResult =
  /** `labels`: the labels it was given in the wizard (absent when none were chosen). */
  | { kind: "added"; integration: Integration; labels?: LinkedLabel[] }
  | { kind: "updated"; outcome: UpdateOutcome };

// Updating connection details touches neither sources nor labels: nothing is fetched for them.
const noSources = (): Promise<Source[]> => Promise.resolve([]);
const noLabels = (): Promise<LabelSummary[]> => Promise.resolve([]);
const SOURCES_WATCH = ["sources"];
const LABELS_WATCH = ["labels"];
const NO_WATCH: string[] = [];

type Fields = {
  accessKeyId: string;
  region: string;
  topic: string;
  name: string;
  apiUrl: string;
  dataEndpoint: string;
  caFile: string;
  forwardJoins: boolean;
};

type Check =
  | { state: "idle" }
  | { state: "checking" }
  | { state: "ok"; checked: KeysChecked }
  | { state: "failed"; message: string };

function initialFields(integration: Integration | undefined): Fields {
  const e = integration?.endpoint;
  return {
    accessKeyId: "",
    region: integration?.region ?? "us-east-1",
    topic: integration?.topic ?? "helium/uplinks",
    name: integration?.name ?? "",
    apiUrl: e?.api_url ?? "",
    dataEndpoint: e ? formatHostPort(e.host, e.port) : "",
    caFile: e?.ca_file ?? "",
    forwardJoins: integration?.forward_joins ?? false,
  };
}

const orNull = (s: string): string | null => (s.trim() === "" ? null : s.trim());

function sameEndpoint(a: EndpointOverride, b: EndpointOverride): boolean {
  return a.host === b.host && a.port === b.port && a.ca_file === b.ca_file && a.api_url === b.api_url;
}

/** `endpoint`: the data endpoint override typed in Advanced, which is where devices connect. */
function CheckResult({ check, endpoint }: { check: Check; endpoint: string }) {
  if (check.state === "ok") {
    const { account, data_endpoint } = check.checked;
    return (
      <div className="check-ok" role="status" data-testid="wizard-check-result">
        <p className="check-title">These keys work.</p>
        <dl className="check-facts">
          <dt>AWS account</dt>
          <dd className="mono">{account.account}</dd>
          <dt>IAM user</dt>
          <dd className="mono">{account.user_arn}</dd>
          <dt>Data endpoint</dt>
          {/* Host names wrap only after a dot, never at the hyphen inside "…-ats" or "us-east-1". */}
          {endpoint.trim() ? (
            <dd>
              <BreakAfter text={endpoint.trim()} at="." keepTail className="mono" /> (your override; AWS's own is{" "}
              <BreakAfter text={data_endpoint} at="." keepTail className="mono" />)
            </dd>
          ) : (
            <dd>
              <BreakAfter text={data_endpoint} at="." keepTail className="mono" />
            </dd>
          )}
        </dl>
      </div>
    );
  }
  if (check.state === "failed") {
    return (
      <p className="inline-error" role="alert" data-testid="wizard-check-error">
        {check.message}
      </p>
    );
  }
  return null;
}

export function IntegrationWizard({
  integration,
  onDone,
  onCancel,
}: {
  /** Set: update this integration's connection details; unset: add a new integration. */
  integration?: Integration;
  onDone: (result: WizardResult) => void;
  onCancel: () => void;
}) {
  const updating = integration !== undefined;
  const [fields, setFields] = useState<Fields>(() => initialFields(integration));
  const secretRef = useRef<HTMLInputElement>(null);
  const [hasSecret, setHasSecret] = useState(false);
  const [check, setCheck] = useState<Check>({ state: "idle" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Open from the start when the integration uses any advanced setting.
  const [advancedOpen] = useState(() => fields.apiUrl !== "" || fields.dataEndpoint !== "" || fields.caFile !== "");
  const formId = useId();
  const [sources, reloadSources] = useCommand(updating ? noSources : listSources, updating ? NO_WATCH : SOURCES_WATCH);
  const [labels, reloadLabels] = useCommand(updating ? noLabels : listLabels, updating ? NO_WATCH : LABELS_WATCH);
  const [addingSource, setAddingSource] = useState(false);
  const [labelChoice, setLabelChoice] = useState<LabelChoice>(NO_LABELS);
  const [triedFinish, setTriedFinish] = useState(false);
  const labelNameRef = useRef<HTMLInputElement>(null);
  const labelPart = useLabelPart();
  const knownLabels = labels.status === "ready" ? labels.data : [];
  const labelProblem = newLabelProblem(labelChoice, fields.name, knownLabels);

  const set = <K extends keyof Fields>(key: K, value: Fields[K]) => {
    setFields((f) => ({ ...f, [key]: value }));
    // What the check used changed: its answer no longer holds.
    if (key === "accessKeyId" || key === "region" || key === "apiUrl") setCheck({ state: "idle" });
  };

  const hasKeyId = fields.accessKeyId.trim() !== "";
  /** The keys typed in, or `null` for none (keeps the stored keys when updating). */
  const readKeys = (): KeysInput | null | string => {
    const secret = secretRef.current?.value ?? "";
    if (!hasKeyId && secret === "") return null;
    if (!hasKeyId || secret === "") return "Enter both the access key ID and the secret access key.";
    return { access_key_id: fields.accessKeyId.trim(), secret_access_key: secret };
  };
  const wipeSecret = () => {
    if (secretRef.current) secretRef.current.value = "";
    setHasSecret(false);
  };

  const endpoint = (): EndpointOverride | string => {
    const hostPort = parseHostPort(fields.dataEndpoint);
    if (typeof hostPort === "string") return hostPort;
    return {
      ...hostPort,
      ca_file: orNull(fields.caFile),
      cert_dir: integration?.endpoint.cert_dir ?? null,
      api_url: orNull(fields.apiUrl),
    };
  };

  const onCheck = () => {
    const keys = readKeys();
    if (keys === null || typeof keys === "string") {
      setCheck({ state: "failed", message: keys ?? "Enter the access key ID and the secret access key." });
      return;
    }
    setCheck({ state: "checking" });
    checkAwsKeys({ keys, region: fields.region.trim(), api_url: orNull(fields.apiUrl) }).then(
      (checked) => setCheck({ state: "ok", checked }),
      (e: Error) => setCheck({ state: "failed", message: e.message }),
    );
  };

  const submit = async (): Promise<WizardResult> => {
    const keys = readKeys();
    const ep = endpoint();
    if (typeof keys === "string") throw new Error(keys);
    if (typeof ep === "string") throw new Error(ep);
    const name = fields.name.trim();
    const region = fields.region.trim();
    const topic = fields.topic.trim();
    if (!integration) {
      if (keys === null) throw new Error("Enter the access key ID and the secret access key.");
      const input = { name, region, topic, endpoint: ep, forward_joins: fields.forwardJoins, keys };
      return { kind: "added", integration: await addIntegration(input) };
    }
    const changed = <T,>(now: T, was: T): T | null => (now === was ? null : now);
    const input: UpdateIntegrationInput = {
      name: changed(name, integration.name),
      region: changed(region, integration.region),
      topic: changed(topic, integration.topic),
      endpoint: sameEndpoint(ep, integration.endpoint) ? null : ep,
      forward_joins: changed(fields.forwardJoins, integration.forward_joins),
      keys,
    };
    return { kind: "updated", outcome: await updateIntegration(integration.id, input) };
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    // Enter in a field submits too: not while a source is half-entered above (it would be lost).
    if (busy || addingSource) return;
    if (!updating && labelProblem) {
      // Nothing is added until the label step is right: the integration alone would be half the job.
      setTriedFinish(true);
      labelNameRef.current?.focus();
      return;
    }
    // Fixed now: what the user chose is what is created and attached, even if the lists reload meanwhile.
    const plan = labelPlan(labelChoice, fields.name, knownLabels);
    setBusy(true);
    setError(null);
    submit().then(
      (result) => {
        wipeSecret();
        setBusy(false);
        if (result.kind === "added" && !isEmptyPlan(plan)) labelPart.start(result.integration, plan);
        else onDone(result);
      },
      (err: Error) => {
        setBusy(false);
        setError(err.message);
      },
    );
  };

  const regionChanged = updating && fields.region.trim() !== integration.region;
  const complete =
    fields.region.trim() !== "" &&
    fields.topic.trim() !== "" &&
    fields.name.trim() !== "" &&
    (updating || (hasKeyId && hasSecret));
  const currentKey = integration?.aws?.access_key_id;
  const finish = labelPart.finish;

  const header = (
    <header className="panel-header">
      <h2 id="wizard-title">
        {updating ? `Update connection details of ${integration.name}` : "Add an AWS IoT Core integration"}
      </h2>
      <span className="muted">AWS IoT Core</span>
    </header>
  );

  if (finish) {
    return (
      <section className="panel wizard" aria-labelledby="wizard-title" data-testid="integration-wizard">
        {header}
        <FinishView
          finish={finish}
          labels={knownLabels}
          noSource={sources.status === "ready" && sources.data.length === 0}
          onRetry={labelPart.retry}
          onDone={() =>
            onDone({ kind: "added", integration: finish.integration, labels: linkedLabels(finish, knownLabels) })
          }
        />
      </section>
    );
  }

  return (
    <section className="panel wizard" aria-labelledby="wizard-title" data-testid="integration-wizard">
      {header}
      <div className="wizard-body">
        {/* The form holds the AWS steps only: the source step embeds the Sources page's own form,
            and forms cannot nest. The footer's submit button reaches it by its id. */}
        <form id={formId} className="wizard-form" onSubmit={onSubmit} noValidate>
          <ol className="wizard-steps">
            <li className="wizard-step">
              <h3>Create an IAM user for the bridge</h3>
              <p>
                In the AWS console, open <strong>IAM → Users → Create user</strong> and name it{" "}
                <code>{IAM_USER}</code>. Give it programmatic access (an access key) and attach the AWS managed
                policy <code>{IAM_POLICY}</code>. The bridge uses it to create a thing, a certificate and a policy
                for each of your devices in AWS IoT Core.
              </p>
            </li>
            <li className="wizard-step">
              <h3>Enter its access key</h3>
              {updating ? (
                <p className="muted" data-testid="wizard-keep-keys">
                  {currentKey
                    ? `Leave both empty to keep the current key (${currentKey}).`
                    : "This integration uses a folder of device certificates; enter keys to have the bridge provision its devices."}
                </p>
              ) : null}
              <div className="field-grid">
                <FormField label="Access Key ID">
                  {(control) => (
                    <input
                      {...control}
                      className="input mono"
                      data-testid="wizard-access-key-id"
                      autoComplete="off"
                      spellCheck={false}
                      placeholder="AKIA…"
                      value={fields.accessKeyId}
                      onChange={(e) => set("accessKeyId", e.target.value)}
                    />
                  )}
                </FormField>
                <FormField label="Secret Access Key" hint="Stored in your OS keychain only; never shown again.">
                  {(control) => (
                    <input
                      {...control}
                      ref={secretRef}
                      type="password"
                      className="input mono"
                      data-testid="wizard-secret"
                      autoComplete="new-password"
                      spellCheck={false}
                      onChange={(e) => {
                        setHasSecret(e.target.value !== "");
                        setCheck({ state: "idle" });
                      }}
                    />
                  )}
                </FormField>
                <FormField label="Region" hint="The AWS region of your IoT Core.">
                  {(control) => (
                    <>
                      <input
                        {...control}
                        className="input mono"
                        data-testid="wizard-region"
                        list={`${control.id}-regions`}
                        autoComplete="off"
                        spellCheck={false}
                        value={fields.region}
                        onChange={(e) => set("region", e.target.value)}
                      />
                      <datalist id={`${control.id}-regions`}>
                        {IOT_CORE_REGIONS.map((r) => (
                          <option key={r} value={r} />
                        ))}
                      </datalist>
                    </>
                  )}
                </FormField>
              </div>
              {regionChanged ? (
                <p className="note note-warn" role="status" data-testid="wizard-region-warning">
                  Changing the region from {integration.region} to {fields.region.trim() || "…"} means every device
                  is provisioned again in the new region (a new thing and certificate there) as it next connects.
                  What the bridge created in {integration.region} stays there until the integration is deleted with AWS cleanup.
                </p>
              ) : null}
              <details className="advanced" open={advancedOpen}>
                <summary data-testid="wizard-advanced">Advanced</summary>
                <div className="field-grid">
                  <TextField
                    label="AWS API URL"
                    hint="A VPC endpoint or stand-in for AWS's API; empty for AWS itself."
                    testId="wizard-api-url"
                    placeholder="https://…"
                    value={fields.apiUrl}
                    onChange={(v) => set("apiUrl", v)}
                  />
                  <TextField
                    label="Data endpoint"
                    hint="host[:port]; empty for the region's own endpoint."
                    testId="wizard-data-endpoint"
                    placeholder="xxxx-ats.iot.region.amazonaws.com"
                    value={fields.dataEndpoint}
                    onChange={(v) => set("dataEndpoint", v)}
                  />
                  <TextField
                    label="CA file"
                    hint="PEM file of the endpoint's CA; empty for Amazon's root CAs."
                    testId="wizard-ca-file"
                    value={fields.caFile}
                    onChange={(v) => set("caFile", v)}
                  />
                </div>
              </details>
              <div className="check-row">
                <button
                  type="button"
                  className="button button-secondary"
                  data-testid="wizard-check"
                  disabled={!hasKeyId || !hasSecret || fields.region.trim() === "" || check.state === "checking"}
                  onClick={onCheck}
                >
                  {check.state === "checking" ? "Checking…" : "Check keys"}
                </button>
                <CheckResult check={check} endpoint={fields.dataEndpoint} />
              </div>
            </li>
            <li className="wizard-step">
              <h3>Choose where uplinks go</h3>
              <div className="field-grid">
                <TextField
                  label="Topic"
                  hint="Every uplink is published here as Helium JSON."
                  testId="wizard-topic"
                  value={fields.topic}
                  onChange={(v) => set("topic", v)}
                />
                <TextField
                  label="Name"
                  testId="wizard-name"
                  placeholder="e.g. Warehouse sensors"
                  mono={false}
                  value={fields.name}
                  onChange={(v) => set("name", v)}
                />
              </div>
              <label className="checkbox">
                <input
                  type="checkbox"
                  data-testid="wizard-forward-joins"
                  aria-describedby={`${formId}-joins-hint`}
                  checked={fields.forwardJoins}
                  onChange={(e) => set("forwardJoins", e.target.checked)}
                />
                Also forward join events
              </label>
              {/* Where they go, as the wire contract has it: the same topic, told apart by `type`. */}
              <p id={`${formId}-joins-hint`} className="field-hint" data-testid="wizard-joins-hint">
                Published to the same topic as uplinks, as Helium JSON with <code>&quot;type&quot;: &quot;join&quot;</code>{" "}
                (uplinks have <code>&quot;type&quot;: &quot;uplink&quot;</code>) and no <code>decoded</code>.
              </p>
            </li>
          </ol>
        </form>
        {updating ? null : (
          <ol className="wizard-steps wizard-steps-more" start={4}>
            <SourceStep sources={sources} onReload={reloadSources} adding={addingSource} onAdding={setAddingSource} />
            <LabelStep
              labels={labels}
              onReload={reloadLabels}
              choice={labelChoice}
              onChange={setLabelChoice}
              integrationName={fields.name}
              problem={labelProblem}
              showEmpty={triedFinish || labelChoice.newName !== null}
              nameRef={labelNameRef}
            />
          </ol>
        )}
        {error ? (
          <p className="inline-error" role="alert" data-testid="wizard-error">
            {error}
          </p>
        ) : null}
        {addingSource ? (
          <p className="muted wizard-footer-hint" data-testid="wizard-source-open">
            Add the source above, or cancel it, before adding the integration.
          </p>
        ) : null}
        <footer className="wizard-footer">
          <button type="button" className="button button-secondary" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <button
            type="submit"
            form={formId}
            className="button button-primary"
            data-testid="wizard-submit"
            disabled={!complete || busy || addingSource}
          >
            {busy ? (updating ? "Saving…" : "Adding…") : updating ? "Save changes" : "Add integration"}
          </button>
        </footer>
      </div>
    </section>
  );
}
