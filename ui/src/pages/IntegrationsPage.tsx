import { useState } from "react";
import { listIntegrations, setIntegrationActive } from "../api";
import type { Integration, IntegrationKind } from "../bindings";
import { EmptyState, ErrorState, Loading, PageHeader } from "../components";
import { CloudIcon } from "../icons";
import { ConnectionPanel } from "../status";
import { useCommand } from "../useCommand";

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

function WizardNote() {
  return (
    <p className="note" role="status" data-testid="wizard-unavailable">
      The integration wizard is not available in this version of Helium AWS Bridge yet.
    </p>
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

function IntegrationRow({ integration, onChanged }: { integration: Integration; onChanged: () => void }) {
  return (
    <li className="card-row" data-testid="integration-row">
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
      </dl>
      <span className={integration.active ? "badge badge-active" : "badge badge-inactive"}>
        {integration.active ? "Active" : "Inactive"}
      </span>
      <ActiveToggle integration={integration} onChanged={onChanged} />
    </li>
  );
}

export function IntegrationsPage() {
  const [state, reload] = useCommand(listIntegrations);
  const [showNote, setShowNote] = useState(false);
  const onAdd = () => setShowNote(true);

  const hasRows = state.status === "ready" && state.data.length > 0;

  return (
    <div className="page">
      <PageHeader
        title="Integrations"
        subtitle="Where your devices' uplinks are forwarded."
        actions={hasRows ? <AddIntegrationButton onClick={onAdd} /> : undefined}
      />
      <ConnectionPanel />
      {hasRows && showNote ? <WizardNote /> : null}
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
          {showNote ? <WizardNote /> : null}
        </EmptyState>
      ) : null}
      {hasRows ? (
        <ul className="card-list" aria-label="Integrations">
          {state.data.map((integration) => (
            <IntegrationRow key={integration.id} integration={integration} onChanged={reload} />
          ))}
        </ul>
      ) : null}
    </div>
  );
}
