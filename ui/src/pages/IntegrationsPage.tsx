import { useState } from "react";
import { listIntegrations, provisionNow, setIntegrationActive } from "../api";
import type { Integration, IntegrationKind, RemoveOutcome } from "../bindings";
import { EmptyState, ErrorState, Loading, PageHeader } from "../components";
import { CloudIcon } from "../icons";
import { ConnectionPanel } from "../status";
import { useCommand } from "../useCommand";
import { DeleteDialog, RemoveOutcomeNote } from "./IntegrationDelete";
import { IntegrationWizard, type WizardResult } from "./IntegrationWizard";

/** What this page shows depends on; a change to it reloads the page. */
const WATCH = ["integrations", "labels"];

const KIND_LABELS: Record<IntegrationKind, string> = {
  aws_iot_core: "AWS IoT Core",
};

function AddIntegrationButton({ onClick }: { onClick: () => void }) {
  return (
    <button type="button" className="button button-primary" data-testid="add-integration" onClick={onClick}>
      Add an AWS IoT Core integration
    </button>
  );
}

/** Enables or disables an integration; the running bridge starts or stops its sessions at once. */
function ActiveToggle({ integration, onChanged }: { integration: Integration; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const toggle = () => {
    setBusy(true);
    setError(null);
    setIntegrationActive(integration.id, !integration.active)
      .then(onChanged, (e: Error) => setError(e.message))
      .finally(() => setBusy(false));
  };
  return (
    <div className="toggle-wrap">
      <button
        type="button"
        role="switch"
        aria-checked={integration.active}
        aria-label={`Forward to ${integration.name}`}
        title={integration.active ? "Disable this integration" : "Enable this integration"}
        className="switch"
        data-testid="integration-toggle"
        disabled={busy}
        onClick={toggle}
      >
        <span className="switch-knob" />
      </button>
      {error ? (
        <span className="toggle-error text-danger" role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}

/** Asks the running bridge to provision the integration's devices now. */
function ProvisionButton({ integration }: { integration: Integration }) {
  const [state, setState] = useState<{ busy: boolean; message: string | null; failed: boolean }>({
    busy: false,
    message: null,
    failed: false,
  });
  const run = () => {
    setState({ busy: true, message: null, failed: false });
    provisionNow(integration.id).then(
      () =>
        setState({ busy: false, failed: false, message: "Provisioning started; the Monitor page shows its steps." }),
      (e: Error) => setState({ busy: false, failed: true, message: e.message }),
    );
  };
  return (
    <>
      <button
        type="button"
        className="button button-secondary button-small"
        data-testid="integration-provision"
        disabled={state.busy || !integration.active}
        title={integration.active ? "Create its devices' things and certificates in AWS now" : "Enable it first"}
        onClick={run}
      >
        Provision now
      </button>
      {state.message ? (
        <span
          className={state.failed ? "row-message text-danger" : "row-message muted"}
          role={state.failed ? "alert" : "status"}
          data-testid="integration-provision-result"
        >
          {state.message}
        </span>
      ) : null}
    </>
  );
}

function IntegrationRow({
  integration,
  onChanged,
  onUpdate,
  onDelete,
}: {
  integration: Integration;
  onChanged: () => void;
  onUpdate: () => void;
  onDelete: () => void;
}) {
  const aws = integration.aws;
  return (
    <li className="card-row card-row-wrap" data-testid="integration-row">
      <div className="card-row-main">
        <span className="card-row-title">{integration.name}</span>
        <span className="muted">{KIND_LABELS[integration.kind] ?? integration.kind}</span>
      </div>
      <dl className="card-row-meta">
        <div>
          <dt>Region</dt>
          <dd className="mono">{integration.region}</dd>
        </div>
        <div>
          <dt>Topic</dt>
          <dd className="mono">{integration.topic}</dd>
        </div>
        <div>
          <dt>AWS</dt>
          <dd className="mono" data-testid="integration-aws" title={aws?.user_arn}>
            {aws ? `${aws.account} · ${aws.access_key_id}` : "own certificates"}
          </dd>
        </div>
      </dl>
      <span className={integration.active ? "badge badge-active" : "badge badge-inactive"}>
        {integration.active ? "Active" : "Inactive"}
      </span>
      <ActiveToggle integration={integration} onChanged={onChanged} />
      <div className="card-row-actions">
        <button
          type="button"
          className="button button-secondary button-small"
          data-testid="integration-update"
          onClick={onUpdate}
        >
          Update connection details
        </button>
        <ProvisionButton integration={integration} />
        <button
          type="button"
          className="button button-danger-quiet button-small"
          data-testid="integration-delete"
          onClick={onDelete}
        >
          Delete
        </button>
      </div>
    </li>
  );
}

type View = { kind: "list" } | { kind: "add" } | { kind: "update"; integration: Integration };

/** What the last add or update did, shown above the list. */
function ResultNote({ result, onDismiss }: { result: WizardResult; onDismiss: () => void }) {
  let text: string;
  if (result.kind === "added") {
    const aws = result.integration.aws;
    text =
      `Added ${result.integration.name}` +
      (aws ? ` for AWS account ${aws.account}. ` : ". ") +
      "Attach a label to it, and the devices carrying that label are forwarded to it.";
  } else {
    const o = result.outcome;
    text = `Saved ${o.integration.name}.`;
    if (o.keys_changed) text += " The new keys are in use.";
    if (o.region_changed) {
      text += ` Its devices are provisioned again in ${o.integration.region} as they next connect.`;
    }
  }
  return (
    <div className="note note-dismissible" role="status" data-testid="wizard-result">
      <span>{text}</span>
      <button type="button" className="button button-secondary button-small" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}

export function IntegrationsPage() {
  const [state, reload] = useCommand(listIntegrations, WATCH);
  const [view, setView] = useState<View>({ kind: "list" });
  const [deleting, setDeleting] = useState<Integration | null>(null);
  const [result, setResult] = useState<WizardResult | null>(null);
  const [removed, setRemoved] = useState<RemoveOutcome | null>(null);

  const onAdd = () => {
    setResult(null);
    setRemoved(null);
    setView({ kind: "add" });
  };
  const onWizardDone = (r: WizardResult) => {
    setResult(r);
    setView({ kind: "list" });
    reload();
  };
  const onDeleted = (outcome: RemoveOutcome) => {
    setDeleting(null);
    setResult(null);
    setRemoved(outcome);
    reload();
  };

  if (view.kind !== "list") {
    return (
      <div className="page">
        <PageHeader title="Integrations" subtitle="Where your devices' uplinks are forwarded." />
        <IntegrationWizard
          key={view.kind === "update" ? view.integration.id : "add"}
          integration={view.kind === "update" ? view.integration : undefined}
          onDone={onWizardDone}
          onCancel={() => setView({ kind: "list" })}
        />
      </div>
    );
  }

  const hasRows = state.status === "ready" && state.data.length > 0;

  return (
    <div className="page">
      <PageHeader
        title="Integrations"
        subtitle="Where your devices' uplinks are forwarded."
        actions={hasRows ? <AddIntegrationButton onClick={onAdd} /> : undefined}
      />
      {result ? <ResultNote result={result} onDismiss={() => setResult(null)} /> : null}
      {removed ? <RemoveOutcomeNote outcome={removed} onDismiss={() => setRemoved(null)} /> : null}
      <ConnectionPanel />
      {state.status === "loading" ? <Loading what="integrations" /> : null}
      {state.status === "error" ? <ErrorState what="integrations" error={state.error} onRetry={reload} /> : null}
      {state.status === "ready" && state.data.length === 0 ? (
        <EmptyState testId="integrations-empty" icon={<CloudIcon size={40} />} title="No integrations yet">
          <p>
            An integration forwards the uplinks of your Helium devices to AWS IoT Core, where your rules, Lambdas
            and dashboards can use them.
          </p>
          <p>
            Devices reach integrations through <strong>labels</strong>: attach a label to an integration, and every
            device carrying that label is forwarded to it.
          </p>
          <AddIntegrationButton onClick={onAdd} />
        </EmptyState>
      ) : null}
      {hasRows ? (
        <ul className="card-list" aria-label="Integrations">
          {state.data.map((integration) => (
            <IntegrationRow
              key={integration.id}
              integration={integration}
              onChanged={reload}
              onUpdate={() => {
                setResult(null);
                setRemoved(null);
                setView({ kind: "update", integration });
              }}
              onDelete={() => setDeleting(integration)}
            />
          ))}
        </ul>
      ) : null}
      {deleting ? (
        <DeleteDialog integration={deleting} onDeleted={onDeleted} onCancel={() => setDeleting(null)} />
      ) : null}
    </div>
  );
}
