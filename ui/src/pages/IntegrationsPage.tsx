import { useEffect, useRef, useState, type ReactNode } from "react";
import { listIntegrations } from "../api";
import type { Integration, RemoveOutcome } from "../bindings";
import { EmptyState, ErrorState, Loading, PageHeader, SmallButton } from "../components";
import { CloudIcon } from "../icons";
import { ConnectionPanel, HealthBadge, HealthLine, useIntegrationHealth, type LiveHealth } from "../status";
import { useCommand } from "../useCommand";
import { ActiveToggle, AwsAccess, KIND_LABELS, ProvisionButton } from "./IntegrationControls";
import { DeleteDialog, RemoveOutcomeNote } from "./IntegrationDelete";
import { IntegrationDetailsPage } from "./IntegrationDetailsPage";
import { payloadSummary } from "./IntegrationPayload";
import { IntegrationWizard, type WizardResult } from "./IntegrationWizard";

/** What this page shows depends on; a change to it reloads the page. */
const WATCH = ["integrations", "labels"];

const SUBTITLE = "Where your devices' uplinks are forwarded.";

function AddIntegrationButton({ onClick }: { onClick: () => void }) {
  return (
    <button type="button" className="button button-primary" data-testid="add-integration" onClick={onClick}>
      Add an AWS IoT Core integration
    </button>
  );
}

/**
 * One status, not two that can contradict each other. Enabled, it is its health (Connected,
 * Partly connected, Failing, Waiting, Idle), or a neutral "Checking…"/"Status unknown" until the
 * bridge says: never a green badge for the user's choice alone. Disabled, no badge: the switch
 * beside it says "Disabled", once.
 */
function IntegrationStatus({
  integration,
  live,
  checking,
}: {
  integration: Integration;
  live: LiveHealth | undefined;
  /** The first health reading is on its way. */
  checking: boolean;
}) {
  if (!integration.active) return null;
  if (live) return <HealthBadge health={live.health} clip />;
  return (
    <span
      className="badge badge-unknown"
      data-testid="integration-status"
      title={checking ? undefined : "The bridge has not said how its AWS IoT sessions are."}
    >
      {checking ? "Checking…" : "Status unknown"}
    </span>
  );
}

function IntegrationRow({
  integration,
  live,
  checking,
  onChanged,
  onDetails,
  onUpdate,
  onDelete,
}: {
  integration: Integration;
  /** Its health; absent until the first reading (or when the bridge cannot say). */
  live: LiveHealth | undefined;
  checking: boolean;
  onChanged: () => void;
  onDetails: () => void;
  onUpdate: () => void;
  onDelete: () => void;
}) {
  return (
    <li className="card-row card-row-wrap integration-row" data-testid="integration-row">
      <div className="card-row-main">
        <span className="card-row-title">{integration.name}</span>
        <span className="muted">{KIND_LABELS[integration.kind] ?? integration.kind}</span>
      </div>
      {/* The status and its switch stay together, wrapping as one. */}
      <div className="integration-status">
        <IntegrationStatus integration={integration} live={live} checking={checking} />
        <ActiveToggle integration={integration} onChanged={onChanged} />
      </div>
      <div className="integration-facts">
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
            <dd data-testid="integration-aws">
              <AwsAccess aws={integration.aws} />
            </dd>
          </div>
          <div>
            <dt>Messages</dt>
            <dd data-testid="integration-payload">{payloadSummary(integration.payload)}</dd>
          </div>
        </dl>
        {live ? (
          <div className="health-row">
            <HealthLine live={live} badge={false} />
          </div>
        ) : null}
      </div>
      <div className="card-row-actions">
        <SmallButton
          testId="integration-details"
          data-details-for={integration.id}
          label={`Details of ${integration.name}`}
          onClick={onDetails}
        >
          Details
        </SmallButton>
        <SmallButton testId="integration-update" onClick={onUpdate}>
          Update connection details
        </SmallButton>
        <ProvisionButton integration={integration} />
        <SmallButton tone="danger" testId="integration-delete" onClick={onDelete}>
          Delete
        </SmallButton>
      </div>
    </li>
  );
}

/** Where "Update connection details" returns to: the list or the integration's details. */
type Back = { kind: "list" } | { kind: "details"; id: string };
type View =
  | { kind: "list" }
  | { kind: "add" }
  | { kind: "update"; integration: Integration; back: Back }
  | { kind: "details"; id: string };

/** What the last add or update did, shown above the list (or the details). */
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
      <SmallButton onClick={onDismiss}>Dismiss</SmallButton>
    </div>
  );
}

export function IntegrationsPage() {
  const [state, reload] = useCommand(listIntegrations, WATCH);
  // Polled here (not per row) so the rows, the connections panel and the details share one reading.
  const health = useIntegrationHealth();
  const [view, setView] = useState<View>({ kind: "list" });
  const [deleting, setDeleting] = useState<Integration | null>(null);
  const [result, setResult] = useState<WizardResult | null>(null);
  const [removed, setRemoved] = useState<RemoveOutcome | null>(null);
  // Back on the list from an integration's details, focus returns to its "Details" button.
  const [returnFocus, setReturnFocus] = useState<string | null>(null);
  const listRef = useRef<HTMLUListElement>(null);

  useEffect(() => {
    if (view.kind !== "list" || returnFocus === null || !listRef.current) return;
    const buttons = listRef.current.querySelectorAll<HTMLElement>("[data-details-for]");
    Array.from(buttons)
      .find((b) => b.dataset.detailsFor === returnFocus)
      ?.focus();
    setReturnFocus(null);
  }, [view, returnFocus, state]);

  const liveOf = (id: string): LiveHealth | undefined =>
    health.status === "ready" ? health.data.find((l) => l.health.id === id) : undefined;
  const clearNotes = () => {
    setResult(null);
    setRemoved(null);
  };
  const onAdd = () => {
    clearNotes();
    setView({ kind: "add" });
  };
  const onUpdate = (integration: Integration, back: Back) => {
    clearNotes();
    setView({ kind: "update", integration, back });
  };
  const onWizardDone = (r: WizardResult) => {
    setResult(r);
    setView(view.kind === "update" ? view.back : { kind: "list" });
    reload();
  };
  const onDeleted = (outcome: RemoveOutcome) => {
    setDeleting(null);
    setResult(null);
    setRemoved(outcome);
    setView({ kind: "list" });
    reload();
  };
  const resultNote: ReactNode = result ? <ResultNote result={result} onDismiss={() => setResult(null)} /> : null;
  const deleteDialog = deleting ? (
    <DeleteDialog integration={deleting} onDeleted={onDeleted} onCancel={() => setDeleting(null)} />
  ) : null;

  if (view.kind === "add" || view.kind === "update") {
    const back = view.kind === "update" ? view.back : { kind: "list" as const };
    return (
      <div className="page">
        <PageHeader title="Integrations" subtitle={SUBTITLE} />
        <IntegrationWizard
          key={view.kind === "update" ? view.integration.id : "add"}
          integration={view.kind === "update" ? view.integration : undefined}
          onDone={onWizardDone}
          onCancel={() => setView(back)}
        />
      </div>
    );
  }

  if (view.kind === "details") {
    return (
      <>
        <IntegrationDetailsPage
          id={view.id}
          live={liveOf(view.id)}
          notice={resultNote}
          onBack={() => {
            setResult(null);
            setReturnFocus(view.id);
            setView({ kind: "list" });
          }}
          onUpdate={(integration) => onUpdate(integration, { kind: "details", id: view.id })}
          onDelete={setDeleting}
        />
        {deleteDialog}
      </>
    );
  }

  const hasRows = state.status === "ready" && state.data.length > 0;

  return (
    <div className="page">
      <PageHeader
        title="Integrations"
        subtitle={SUBTITLE}
        actions={hasRows ? <AddIntegrationButton onClick={onAdd} /> : undefined}
      />
      {resultNote}
      {removed ? <RemoveOutcomeNote outcome={removed} onDismiss={() => setRemoved(null)} /> : null}
      <ConnectionPanel health={health} />
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
        <ul className="card-list" aria-label="Integrations" ref={listRef}>
          {state.data.map((integration) => (
            <IntegrationRow
              key={integration.id}
              integration={integration}
              live={liveOf(integration.id)}
              checking={health.status === "loading"}
              onChanged={reload}
              onDetails={() => {
                clearNotes();
                setView({ kind: "details", id: integration.id });
              }}
              onUpdate={() => onUpdate(integration, { kind: "list" })}
              onDelete={() => setDeleting(integration)}
            />
          ))}
        </ul>
      ) : null}
      {deleteDialog}
    </div>
  );
}
